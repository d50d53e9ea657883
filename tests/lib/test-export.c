/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Dataset exports: the ZIP reader (CRC-32, stored and deflated entries,
 * zip-slip, truncation), the ranged, resumable download against a small
 * in-test download server, and the whole round trip against
 * vi-local-server (create, wait, list, get, download, parse back).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <vi/vi.h>
#include "vi-http-private.h"
#include "vi-export-private.h"
#include "vi-zip-private.h"
#include "vi-test-server.h"
#include "test-cancel-later.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY

/* ------------------------------------------------------------------------
 * A small ZIP writer, for archives the tests control byte by byte.
 * ------------------------------------------------------------------------ */

typedef struct {
  GByteArray *data;
  GByteArray *central;
  guint       n_entries;
} ZipWriter;

static void
put16 (GByteArray *a, guint v)
{
  guint8 b[2] = { v & 0xff, (v >> 8) & 0xff };

  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  g_byte_array_append (a, b, 4);
}

static GBytes *
deflate_raw (const guint8 *data, gsize len)
{
  g_autoptr (GZlibCompressor)
      compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, 6);
  GByteArray *out = g_byte_array_new ();
  guint8      buf[4096];
  gsize       pos = 0;

  for (;;) {
    gsize nread = 0, nwritten = 0;
    g_autoptr (GError) error = NULL;
    GConverterResult res;

    res = g_converter_convert (G_CONVERTER (compressor), data + pos, len - pos,
                               buf, sizeof buf, G_CONVERTER_INPUT_AT_END,
                               &nread, &nwritten, &error);
    g_assert_no_error (error);
    pos += nread;
    g_byte_array_append (out, buf, (guint) nwritten);
    if (res == G_CONVERTER_FINISHED)
      break;
  }
  return g_byte_array_free_to_bytes (out);
}

static ZipWriter *
zip_writer_new (void)
{
  ZipWriter *w = g_new0 (ZipWriter, 1);

  w->data = g_byte_array_new ();
  w->central = g_byte_array_new ();
  return w;
}

/* made_by_unix with mode: a Unix entry with that st_mode. */
static void
zip_writer_add_full (ZipWriter  *w,
                     const char *name,
                     const void *content,
                     gsize       len,
                     gboolean    deflate,
                     guint       unix_mode,
                     guint32     crc_xor)
{
  g_autoptr (GBytes) packed = NULL;
  const guint8 *body;
  gsize         body_len;
  guint32       crc = vi_crc32_update (0, content, len) ^ crc_xor;
  guint32       offset = w->data->len;
  gsize         name_len = strlen (name);

  if (deflate) {
    packed = deflate_raw (content, len);
    body = g_bytes_get_data (packed, &body_len);
  } else {
    body = content;
    body_len = len;
  }

  put32 (w->data, 0x04034b50);
  put16 (w->data, 20);
  put16 (w->data, 0x0800);
  put16 (w->data, deflate ? 8 : 0);
  put16 (w->data, 0);
  put16 (w->data, 0x21);
  put32 (w->data, crc);
  put32 (w->data, (guint32) body_len);
  put32 (w->data, (guint32) len);
  put16 (w->data, (guint) name_len);
  put16 (w->data, 0);
  g_byte_array_append (w->data, (const guint8 *) name, (guint) name_len);
  g_byte_array_append (w->data, body, (guint) body_len);

  put32 (w->central, 0x02014b50);
  put16 (w->central, unix_mode != 0 ? (3 << 8) | 20 : 20);
  put16 (w->central, 20);
  put16 (w->central, 0x0800);
  put16 (w->central, deflate ? 8 : 0);
  put16 (w->central, 0);
  put16 (w->central, 0x21);
  put32 (w->central, crc);
  put32 (w->central, (guint32) body_len);
  put32 (w->central, (guint32) len);
  put16 (w->central, (guint) name_len);
  put16 (w->central, 0);
  put16 (w->central, 0);
  put16 (w->central, 0);
  put16 (w->central, 0);
  put32 (w->central, (guint32) unix_mode << 16);
  put32 (w->central, offset);
  g_byte_array_append (w->central, (const guint8 *) name, (guint) name_len);
  w->n_entries++;
}

static void
zip_writer_add (ZipWriter  *w,
                const char *name,
                const char *content,
                gboolean    deflate)
{
  zip_writer_add_full (w, name, content, strlen (content), deflate, 0, 0);
}

static GBytes *
zip_writer_finish (ZipWriter *w)
{
  guint32 cd_offset = w->data->len;
  guint32 cd_size = w->central->len;

  g_byte_array_append (w->data, w->central->data, w->central->len);
  put32 (w->data, 0x06054b50);
  put16 (w->data, 0);
  put16 (w->data, 0);
  put16 (w->data, w->n_entries);
  put16 (w->data, w->n_entries);
  put32 (w->data, cd_size);
  put32 (w->data, cd_offset);
  put16 (w->data, 0);
  g_byte_array_unref (w->central);
  {
    GBytes *bytes = g_byte_array_free_to_bytes (w->data);

    g_free (w);
    return bytes;
  }
}

static char *
write_temp (const char *dir, const char *name, GBytes *bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                       (gssize) g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  return path;
}

static char *
read_text (const char *path)
{
  char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
rm_rf (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;

  e = g_file_enumerate_children (file,
                                 G_FILE_ATTRIBUTE_STANDARD_NAME
                                 "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL,
                                 NULL);
  while (e != NULL &&
         (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL) {
    g_autofree char *child =
        g_build_filename (path, g_file_info_get_name (info), NULL);

    if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
      rm_rf (child);
    else
      g_unlink (child);
    g_object_unref (info);
  }
  g_rmdir (path);
}

/* Text that deflate cannot shrink much. */
static char *
random_text (gsize n_lines)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < n_lines; i++) {
    g_string_append_printf (s, "{\"line\":%" G_GSIZE_FORMAT ",\"v\":\"", i);
    for (int k = 0; k < 60; k++)
      g_string_append_c (s, (char) ('a' + g_rand_int_range (rand, 0, 26)));
    g_string_append (s, "\"}\n");
  }
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------
 * ZIP and CRC-32
 * ------------------------------------------------------------------------ */

static void
test_crc32 (void)
{
  const char *check = "123456789";
  guint32     crc;

  g_assert_cmphex (vi_crc32_update (0, check, 9), ==, 0xcbf43926);
  g_assert_cmphex (vi_crc32_update (0, "", 0), ==, 0);
  g_assert_cmphex (vi_crc32_update (0, "a", 1), ==, 0xe8b7be43);
  /* In pieces. */
  crc = vi_crc32_update (0, check, 4);
  crc = vi_crc32_update (crc, check + 4, 5);
  g_assert_cmphex (crc, ==, 0xcbf43926);
}

static void
test_zip_extract (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vi-zip-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *big = random_text (5000);
  g_autofree char *zip = NULL;
  g_autofree char *p = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  ZipWriter *w = zip_writer_new ();
  guint      n = 0;

  zip_writer_add (w, "metadata.json", "{\"a\":1}", FALSE);
  zip_writer_add (w, "dump/", "", FALSE);
  zip_writer_add (w, "dump/annotations/annotations.jsonl", big, TRUE);
  zip_writer_add (w, "empty-stored", "", FALSE);
  zip_writer_add (w, "empty-deflated", "", TRUE);
  bytes = zip_writer_finish (w);
  zip = write_temp (dir, "a.zip", bytes);

  g_assert_true (_vi_zip_verify (zip, &error));
  g_assert_no_error (error);
  g_assert_true (_vi_zip_extract (zip, out, NULL, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);

  p = g_build_filename (out, "dump", "annotations", "annotations.jsonl", NULL);
  text = read_text (p);
  g_assert_cmpstr (text, ==, big);
  g_clear_pointer (&p, g_free);
  g_clear_pointer (&text, g_free);
  p = g_build_filename (out, "metadata.json", NULL);
  text = read_text (p);
  g_assert_cmpstr (text, ==, "{\"a\":1}");
  g_clear_pointer (&p, g_free);
  p = g_build_filename (out, "empty-deflated", NULL);
  g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));

  rm_rf (dir);
}

/* A writer whose first entry is good: nothing at all may be written when
 * a later entry is refused. */
static ZipWriter *
zip_writer_new_with_first (void)
{
  ZipWriter *w = zip_writer_new ();

  zip_writer_add (w, "first.txt", "first", FALSE);
  return w;
}

/* Finishes w and checks that extracting it fails with code and a message
 * holding expect (and also, if not NULL, also), before anything is
 * written. */
static void
assert_refused (ZipWriter         *w,
                const ViZipLimits *limits,
                int                code,
                const char        *expect,
                const char        *also)
{
  g_autofree char *dir = g_dir_make_tmp ("vi-zip-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *first = g_build_filename (out, "first.txt", NULL);
  g_autoptr (GBytes) bytes = zip_writer_finish (w);
  g_autofree char *zip = write_temp (dir, "exp-1.zip", bytes);
  g_autoptr (GError) error = NULL;

  g_assert_false (_vi_zip_extract (zip, out, limits, NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, expect));
  g_assert_true (also == NULL || strstr (error->message, also) != NULL);
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
  rm_rf (dir);
}

static void
check_refused (const char *name, guint unix_mode, const char *expect)
{
  ZipWriter       *w = zip_writer_new_with_first ();
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", name);

  zip_writer_add_full (w, name, "/etc/passwd", 11, FALSE, unix_mode, 0);
  assert_refused (w, NULL, VI_ERROR_INVALID_RESPONSE, quoted, expect);
}

static void
test_zip_slip (void)
{
  check_refused ("../evil.txt", 0, "..");
  check_refused ("a/../../evil.txt", 0, "..");
  check_refused ("a/..", 0, "..");
  check_refused ("/tmp/evil.txt", 0, "absolute");
  check_refused ("C:/evil.txt", 0, "absolute");
  check_refused ("a\\..\\evil.txt", 0, "backslash");
  check_refused ("link", 0120777, "symbolic link");
}

/* Entries that would overwrite each other, or the archive's own files:
 * refused, nothing written, never silently dropped. */
static void
check_conflict (const char *const *names,
                guint              n_names,
                const ViZipLimits *limits,
                int                code,
                const char        *expect)
{
  ZipWriter *w = zip_writer_new_with_first ();

  for (guint i = 0; i < n_names; i++)
    zip_writer_add (w, names[i],
                    g_str_has_suffix (names[i], "/") ? "" : "content", FALSE);
  assert_refused (w, limits, code, expect, NULL);
}

static void
test_zip_conflicts (void)
{
  const char *twice[] = { "a.txt", "a.txt" };
  const char *spelled[] = { "d/a.txt", "d//./a.txt" };
  const char *dirs[] = { "d/", "d/" };
  const char *file_dir[] = { "d", "d/x.txt" };
  const char *dir_file[] = { "d/x.txt", "d" };
  const char *archive[] = { "exp-1.zip" };
  const char *sidecar[] = { "exp-1.zip.part.json" };
  const char *under[] = { "exp-1.zip/x" };
  const char *reserved[] = { "exp-1.zip", "exp-1.zip.part",
                             "exp-1.zip.part.json", NULL };
  ViZipLimits limits = { 0, 0, reserved };

  check_conflict (twice, 2, NULL, VI_ERROR_INVALID_RESPONSE, "same path");
  check_conflict (spelled, 2, NULL, VI_ERROR_INVALID_RESPONSE, "same path");
  check_conflict (dirs, 2, NULL, VI_ERROR_INVALID_RESPONSE, "same path");
  check_conflict (file_dir, 2, NULL, VI_ERROR_INVALID_RESPONSE,
                  "needs a folder");
  check_conflict (dir_file, 2, NULL, VI_ERROR_INVALID_RESPONSE,
                  "needs a folder");
  check_conflict (archive, 1, &limits, VI_ERROR_INVALID_RESPONSE,
                  "next to the archive");
  check_conflict (sidecar, 1, &limits, VI_ERROR_INVALID_RESPONSE,
                  "next to the archive");
  check_conflict (under, 1, &limits, VI_ERROR_INVALID_RESPONSE,
                  "next to the archive");
}

/* The caps, from the central directory, before anything is written. */
static void
test_zip_limits (void)
{
  const char      *three[] = { "a", "b", "c" };
  ViZipLimits      entries = { 0, 3, NULL };
  ViZipLimits      size = { 5 + 3 * 7 - 1, 0, NULL };
  ViZipLimits      enough = { 5 + 3 * 7, 4, NULL };
  g_autofree char *dir = g_dir_make_tmp ("vi-zip-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *zip = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  ZipWriter *w = zip_writer_new ();

  /* first.txt and three entries of 7 bytes: 4 entries, 26 bytes. */
  check_conflict (three, 3, &entries, VI_ERROR_INVALID_RESPONSE,
                  "max-extract-entries");
  check_conflict (three, 3, &size, VI_ERROR_INVALID_RESPONSE,
                  "max-extract-size");

  zip_writer_add (w, "first.txt", "first", FALSE);
  for (guint i = 0; i < 3; i++)
    zip_writer_add (w, three[i], "content", TRUE);
  bytes = zip_writer_finish (w);
  zip = write_temp (dir, "ok.zip", bytes);
  g_assert_true (_vi_zip_extract (zip, out, &enough, NULL, NULL, &error));
  g_assert_no_error (error);
  rm_rf (dir);
}

/* A symbolic link planted in the destination is never followed. */
static void
test_zip_symlinked_destination (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vi-zip-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *elsewhere = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *link = g_build_filename (out, "dump", NULL);
  g_autofree char *escaped = g_build_filename (elsewhere, "x.txt", NULL);
  g_autofree char *linked_out = g_build_filename (dir, "linked-out", NULL);
  g_autofree char *zip = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  ZipWriter *w = zip_writer_new ();

  zip_writer_add (w, "dump/x.txt", "escaped?", FALSE);
  bytes = zip_writer_finish (w);
  zip = write_temp (dir, "a.zip", bytes);
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0755), ==, 0);

  /* A folder of the archive is a link in the destination. */
  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  g_assert_false (_vi_zip_extract (zip, out, NULL, NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, link));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* The destination itself. */
  g_assert_cmpint (symlink (elsewhere, linked_out), ==, 0);
  g_assert_false (_vi_zip_extract (zip, linked_out, NULL, NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));

  g_unlink (link);
  g_unlink (linked_out);
  rm_rf (dir);
}

static void
test_zip_corrupt (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vi-zip-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *big = random_text (500);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) cut = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *zip = NULL;
  ZipWriter       *w;

  /* Truncated: no end record. */
  w = zip_writer_new ();
  zip_writer_add (w, "a.jsonl", big, TRUE);
  bytes = zip_writer_finish (w);
  for (gsize keep = 0; keep < g_bytes_get_size (bytes);
       keep += g_bytes_get_size (bytes) / 7 + 1) {
    g_autofree char *path = NULL;

    cut = g_bytes_new_from_bytes (bytes, 0, keep);
    path = write_temp (dir, "cut.zip", cut);
    g_assert_false (_vi_zip_verify (path, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    g_clear_error (&error);
    g_assert_false (_vi_zip_extract (path, out, NULL, NULL, NULL, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    g_clear_error (&error);
    g_clear_pointer (&cut, g_bytes_unref);
  }
  g_clear_pointer (&bytes, g_bytes_unref);

  /* A wrong CRC, stored and deflated; the entry is not left behind. */
  for (int deflate = 0; deflate < 2; deflate++) {
    g_autofree char *entry = g_build_filename (out, "a.jsonl", NULL);

    w = zip_writer_new ();
    zip_writer_add_full (w, "a.jsonl", big, strlen (big), deflate, 0, 1);
    bytes = zip_writer_finish (w);
    g_free (zip);
    zip = write_temp (dir, "crc.zip", bytes);
    g_assert_true (_vi_zip_verify (zip, &error));
    g_assert_false (_vi_zip_extract (zip, out, NULL, NULL, NULL, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    g_assert_nonnull (strstr (error->message, "CRC-32"));
    g_clear_error (&error);
    g_assert_false (g_file_test (entry, G_FILE_TEST_EXISTS));
    g_clear_pointer (&bytes, g_bytes_unref);
  }

  /* Not a ZIP file at all. */
  bytes = g_bytes_new_static ("hello, this is not an archive at all......", 42);
  g_free (zip);
  zip = write_temp (dir, "text.zip", bytes);
  g_assert_false (_vi_zip_verify (zip, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------
 * A download server of our own: HEAD and ranged GET of one archive, with
 * a fault switch.
 * ------------------------------------------------------------------------ */

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        lock;
  GCond         cond;
  gboolean      ready;

  GBytes  *archive;
  guint    n_head;
  guint    n_get;
  guint    fail_after; /* GETs served before failing */
  guint    fail_times; /* GETs failed then */
  guint    fail_status;
  gboolean auth_seen;
  char    *count_query; /* if set, requests with another query are
                            * served but neither counted nor failed */
} MiniServer;

/* A DatasetExport with those conditions, and that download URL. */
static char *
api_export_json (const char *id, const char *conditions, const char *url)
{
  g_autofree char *download = url != NULL
      ? g_strdup_printf (
            ",\"downloadUrl\":{\"url\":\"%sdownloads/%s.zip\",\"expiresAt\":1}",
            url, id)
      : g_strdup ("");

  return g_strdup_printf (
      "{\"kind\":\"DatasetExport\",\"workspaceId\":\"local-org\","
      "\"datasetId\":\"local-org_ds1\",\"datasetExportId\":\"%s\","
      "\"spec\":{\"format\":\"ViJsonl\",\"options\":{\"normalized\":true,"
      "\"splitRatio\":null}},\"status\":{\"conditions\":[%s]%s},"
      "\"metadata\":{\"timeCreated\":1,\"lastUpdated\":1,\"generation\":1,"
      "\"attributes\":{}},\"selfLink\":\"x\",\"etag\":\"y\"}",
      id, conditions, download);
}

static void
mini_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  MiniServer         *mini = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char         *method = soup_server_message_get_method (msg);
  g_autoptr (GBytes) archive = NULL;
  gsize       size;
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  SoupRange  *ranges = NULL;
  int         n_ranges = 0;
  gboolean    fail = FALSE;

  g_mutex_lock (&mini->lock);
  if (soup_message_headers_get_one (req, "Authorization") != NULL ||
      soup_message_headers_get_one (req, "Organization-Id") != NULL)
    mini->auth_seen = TRUE;
  if (mini->count_query != NULL &&
      g_strcmp0 (raw_query, mini->count_query) != 0) {
    /* A straggler of an earlier call. */
  } else if (g_str_equal (method, "HEAD")) {
    mini->n_head++;
  } else {
    mini->n_get++;
    if (mini->n_get > mini->fail_after &&
        mini->n_get <= mini->fail_after + mini->fail_times)
      fail = TRUE;
  }
  archive = mini->archive != NULL ? g_bytes_ref (mini->archive) : NULL;
  g_mutex_unlock (&mini->lock);

  if (g_str_has_prefix (path,
                        "/workspaces/local-org/datasets/local-org_ds1/"
                        "datasetExports/")) {
    const char      *id = strrchr (path, '/') + 1;
    g_autofree char *json = NULL;

    if (g_str_equal (id, "exp-fail"))
      /* Newest first. */
      json = api_export_json (
          id,
          "{\"condition\":\"Finished\",\"status\":"
          "\"FailedReach\",\"lastTransitionTime\":2,\"reason\":"
          "\"ExportErrored\",\"message\":\"disk full\"},{\"condition\":"
          "\"Started\",\"status\":\"Reached\",\"lastTransitionTime\":1}",
          NULL);
    else
      json = api_export_json (id,
                              "{\"condition\":\"Finished\",\"status\":"
                              "\"Reached\",\"lastTransitionTime\":1}",
                              NULL);
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                      json, strlen (json));
    return;
  }
  if (!g_str_equal (path, "/downloads/exp-1.zip") || archive == NULL) {
    soup_server_message_set_status (msg, 404, NULL);
    return;
  }
  if (fail) {
    soup_server_message_set_status (msg, mini->fail_status, NULL);
    soup_server_message_set_response (msg, "application/json",
                                      SOUP_MEMORY_STATIC,
                                      "{\"message\":\"injected\"}", 22);
    return;
  }
  size = g_bytes_get_size (archive);
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  if (g_str_equal (method, "GET") &&
      soup_message_headers_get_ranges (req, (goffset) size, &ranges,
                                       &n_ranges) &&
      n_ranges == 1) {
    gsize start = (gsize) ranges[0].start, end = (gsize) ranges[0].end;

    soup_message_headers_free_ranges (req, ranges);
    soup_server_message_set_status (msg, 206, NULL);
    soup_message_headers_set_content_range (resp, (goffset) start,
                                            (goffset) end, (goffset) size);
    soup_server_message_set_response (msg, "application/zip", SOUP_MEMORY_COPY,
                                      (const char *) g_bytes_get_data (archive,
                                                                       NULL) +
                                          start,
                                      end - start + 1);
    return;
  }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/zip", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (archive, NULL), size);
}

static gpointer
mini_thread (gpointer user_data)
{
  MiniServer *mini = user_data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (mini->context);
  mini->server = soup_server_new ("server-header", "mini", NULL);
  soup_server_add_handler (mini->server, NULL, mini_handler, mini, NULL);
  soup_server_listen_local (mini->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (mini->server);
  mini->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&mini->lock);
  mini->ready = TRUE;
  g_cond_signal (&mini->cond);
  g_mutex_unlock (&mini->lock);

  g_main_loop_run (mini->loop);
  soup_server_disconnect (mini->server);
  g_clear_object (&mini->server);
  g_main_context_pop_thread_default (mini->context);
  return NULL;
}

static MiniServer *
mini_server_new (GBytes *archive)
{
  MiniServer *mini = g_new0 (MiniServer, 1);

  g_mutex_init (&mini->lock);
  g_cond_init (&mini->cond);
  mini->archive = g_bytes_ref (archive);
  mini->fail_status = 500;
  mini->context = g_main_context_new ();
  mini->loop = g_main_loop_new (mini->context, FALSE);
  mini->thread = g_thread_new ("mini-server", mini_thread, mini);
  g_mutex_lock (&mini->lock);
  while (!mini->ready)
    g_cond_wait (&mini->cond, &mini->lock);
  g_mutex_unlock (&mini->lock);
  return mini;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
mini_server_free (MiniServer *mini)
{
  g_main_context_invoke (mini->context, quit_cb, mini->loop);
  g_thread_join (mini->thread);
  g_main_loop_unref (mini->loop);
  g_main_context_unref (mini->context);
  g_bytes_unref (mini->archive);
  g_free (mini->url);
  g_free (mini->count_query);
  g_mutex_clear (&mini->lock);
  g_cond_clear (&mini->cond);
  g_free (mini);
}

static void
mini_set_faults (MiniServer *mini, guint after, guint times)
{
  g_mutex_lock (&mini->lock);
  mini->n_get = 0;
  mini->n_head = 0;
  mini->fail_after = after;
  mini->fail_times = times;
  g_mutex_unlock (&mini->lock);
}

/* From now on only requests whose URL has that query count: a request of
 * an earlier, cancelled call may still reach the server after it. */
static void
mini_count_only (MiniServer *mini, const char *query)
{
  g_mutex_lock (&mini->lock);
  g_free (mini->count_query);
  mini->count_query = g_strdup (query);
  g_mutex_unlock (&mini->lock);
}

static guint
mini_get_count (MiniServer *mini)
{
  guint n;

  g_mutex_lock (&mini->lock);
  n = mini->n_get;
  g_mutex_unlock (&mini->lock);
  return n;
}

/* An export as the API gives it, pointing at url, with a query string if
 * not NULL (a renewed signed URL). */
static ViExportedAnnotations *
fake_export_with_query (const char *url, const char *query)
{
  g_autofree char *json = g_strdup_printf (
      "{\"kind\":\"DatasetExport\",\"workspaceId\":\"local-org\","
      "\"datasetId\":\"local-org_ds1\",\"datasetExportId\":\"exp-1\","
      "\"spec\":{\"format\":\"ViJsonl\",\"options\":{\"normalized\":true,"
      "\"splitRatio\":null}},\"status\":{\"conditions\":[{\"condition\":"
      "\"Finished\",\"status\":\"Reached\",\"lastTransitionTime\":1}],"
      "\"downloadUrl\":{\"url\":\"%sdownloads/exp-1.zip%s%s\",\"expiresAt\":1}},"
      "\"metadata\":{\"timeCreated\":1,\"lastUpdated\":1,\"generation\":1,"
      "\"attributes\":{}},\"selfLink\":\"x\",\"etag\":\"y\"}",
      url, query != NULL ? "?" : "", query != NULL ? query : "");
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (GError) error = NULL;
  ViExportedAnnotations *export_;

  g_assert_nonnull (node);
  export_ = vi_exported_annotations_new_from_json (node, &error);
  g_assert_no_error (error);
  return export_;
}

static ViExportedAnnotations *
fake_export (const char *url)
{
  return fake_export_with_query (url, NULL);
}

static ViClient *
new_client (const char *url)
{
  g_autoptr (GError) error = NULL;
  ViClient *client = vi_client_new (url, KEY, ORG, NULL, &error);

  g_assert_no_error (error);
  g_object_set (client, "retry-base-delay", 0.01, NULL);
  return client;
}

typedef struct {
  guint64       last_done;
  guint64       total;
  guint64       cancel_at;
  GCancellable *cancellable;
  guint         calls;
} Progress;

static void
progress_cb (guint64 done, guint64 total, gpointer user_data)
{
  Progress *p = user_data;

  g_assert_cmpuint (done, >=, p->calls == 0 ? 0 : p->last_done);
  g_assert_cmpuint (done, <=, total);
  p->last_done = done;
  p->total = total;
  p->calls++;
  if (p->cancellable != NULL && p->cancel_at != 0 && done >= p->cancel_at)
    g_cancellable_cancel (p->cancellable);
}

/* How many ranges the sidecar says are on disk. */
static guint
sidecar_done (const char *dir, const char *export_id)
{
  g_autofree char *name = g_strconcat (export_id, ".zip.part.json", NULL);
  g_autofree char *path = g_build_filename (dir, "ds1", name, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_array_get_length (
      json_object_get_array_member (json_node_get_object (
                                        json_parser_get_root (parser)),
                                    "done"));
}

#define CHUNK 16384

static GBytes *
make_archive (char **jsonl_out)
{
  g_autofree char *jsonl = random_text (6000);
  ZipWriter       *w = zip_writer_new ();

  zip_writer_add (w, "metadata.json", "{\"server\":true}", FALSE);
  zip_writer_add (w, "dump/annotations/annotations.jsonl", jsonl, TRUE);
  *jsonl_out = g_steal_pointer (&jsonl);
  return zip_writer_finish (w);
}

static void
check_extracted (const char *dir, const char *jsonl)
{
  g_autofree char *path = g_build_filename (dir, "ds1", "dump", "annotations",
                                            "annotations.jsonl", NULL);
  g_autofree char *text = read_text (path);
  g_autofree char *meta_path = g_build_filename (dir, "ds1", "metadata.json",
                                                 NULL);
  g_autofree char *meta = read_text (meta_path);
  g_autofree char *part = g_build_filename (dir, "ds1", "exp-1.zip.part", NULL);
  g_autofree char *sidecar = g_strconcat (part, ".json", NULL);

  g_assert_cmpstr (text, ==, jsonl);
  g_assert_nonnull (strstr (meta, "\"datasetExportId\" : \"exp-1\""));
  g_assert_nonnull (strstr (meta, "\"format\" : \"ViJsonl\""));
  g_assert_nonnull (strstr (meta, "\"name\" : \"ds1\""));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (sidecar, G_FILE_TEST_EXISTS));
}

static void
test_download_basic (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) archive = make_archive (&jsonl);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (ViExportedAnnotations) export_ = fake_export (mini->url);
  g_autofree char *dir = g_dir_make_tmp ("vi-dl-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  Progress p = { 0 };
  guint    n_chunks;

  _vi_export_set_download_chunk_size (CHUNK);
  n_chunks = (guint) ((g_bytes_get_size (archive) + CHUNK - 1) / CHUNK);
  g_assert_cmpuint (n_chunks, >=, 8);

  g_assert_true (vi_client_download_export (client, export_, dir, 3,
                                            progress_cb, &p, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p.total, ==, g_bytes_get_size (archive));
  g_assert_cmpuint (p.last_done, ==, p.total);
  g_assert_cmpuint (mini_get_count (mini), ==, n_chunks);
  g_assert_false (mini->auth_seen);
  check_extracted (dir, jsonl);

  /* 5xx on some ranges: retried. */
  mini_set_faults (mini, 2, 2);
  g_assert_true (vi_client_download_export (client, export_, dir, 2, NULL, NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mini_get_count (mini), ==, n_chunks + 2);
  check_extracted (dir, jsonl);

  _vi_export_set_download_chunk_size (0);
  mini_server_free (mini);
  rm_rf (dir);
}

/* Retries spent on one range: the call fails; the next fetches only the
 * ranges missing. */
static void
test_download_resume_after_error (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) archive = make_archive (&jsonl);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (ViExportedAnnotations) export_ = fake_export (mini->url);
  g_autofree char *dir = g_dir_make_tmp ("vi-dl-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  guint n_chunks, done;

  _vi_export_set_download_chunk_size (CHUNK);
  n_chunks = (guint) ((g_bytes_get_size (archive) + CHUNK - 1) / CHUNK);

  /* One connection, so that the order is known: 3 ranges, then the 4th
   * fails 4 times (3 retries). */
  mini_set_faults (mini, 3, 4);
  g_assert_false (vi_client_download_export (client, export_, dir, 1, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_SERVER);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (mini_get_count (mini), ==, 7);
  done = sidecar_done (dir, "exp-1");
  g_assert_cmpuint (done, ==, 3);

  /* The chunk size in the sidecar wins over a new setting. */
  _vi_export_set_download_chunk_size (CHUNK * 2);
  mini_set_faults (mini, 0, 0);
  g_assert_true (vi_client_download_export (client, export_, dir, 4, NULL, NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mini_get_count (mini), ==, n_chunks - done);
  check_extracted (dir, jsonl);

  _vi_export_set_download_chunk_size (0);
  mini_server_free (mini);
  rm_rf (dir);
}

/* Cancelled from the progress callback halfway, then resumed. */
static void
test_download_resume_after_cancel (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) archive = make_archive (&jsonl);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (ViExportedAnnotations) export_ = fake_export (mini->url);
  g_autofree char *dir = g_dir_make_tmp ("vi-dl-XXXXXX", NULL);
  g_autoptr (ViExportedAnnotations) renewed = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Progress p = { 0 };
  guint    n_chunks, done;

  _vi_export_set_download_chunk_size (CHUNK);
  n_chunks = (guint) ((g_bytes_get_size (archive) + CHUNK - 1) / CHUNK);

  p.cancellable = cancellable;
  p.cancel_at = g_bytes_get_size (archive) / 2;
  g_assert_false (vi_client_download_export (client, export_, dir, 2,
                                             progress_cb, &p, cancellable,
                                             &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  done = sidecar_done (dir, "exp-1");
  g_assert_cmpuint (done, >, 0);
  g_assert_cmpuint (done, <, n_chunks);

  /* Resumed from a renewed signed URL, so that a range request of the
   * cancelled call reaching the server late is not counted. */
  renewed = fake_export_with_query (mini->url, "renewed=1");
  mini_count_only (mini, "renewed=1");
  mini_set_faults (mini, 0, 0);
  memset (&p, 0, sizeof p);
  g_assert_true (vi_client_download_export (client, renewed, dir, 2,
                                            progress_cb, &p, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mini_get_count (mini), ==, n_chunks - done);
  g_assert_cmpuint (p.last_done, ==, g_bytes_get_size (archive));
  check_extracted (dir, jsonl);

  _vi_export_set_download_chunk_size (0);
  mini_server_free (mini);
  rm_rf (dir);
}

/* Cancelled from another thread at moments spread over twice the time of
 * a whole download, 60 times over the same folder: each call ends with the
 * archive extracted or with G_IO_ERROR_CANCELLED, never hangs or breaks,
 * and a last call completes from what is left. */
static void
test_download_cancel_from_another_thread (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) archive = make_archive (&jsonl);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (ViExportedAnnotations) export_ = fake_export (mini->url);
  g_autofree char *dir = g_dir_make_tmp ("vi-dl-XXXXXX", NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GError) error = NULL;
  guint  completed = 0, cancelled = 0;
  gint64 start, span;

  _vi_export_set_download_chunk_size (CHUNK);
  start = g_get_monotonic_time ();
  g_assert_true (vi_client_download_export (client, export_, dir, 2, NULL, NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  span = MAX ((g_get_monotonic_time () - start) * 2, 500);

  for (guint i = 0; i < 60; i++) {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    GThread *thread =
        cancel_later (cancellable,
                      (gulong) g_rand_int_range (rand, 0, (gint32) span));
    gboolean ok;

    ok = vi_client_download_export (client, export_, dir, 2, NULL, NULL,
                                    cancellable, &error);
    g_thread_join (thread);
    if (ok) {
      g_assert_no_error (error);
      check_extracted (dir, jsonl);
      completed++;
    } else {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      cancelled++;
    }
  }
  g_test_message ("download %" G_GINT64_FORMAT " us: %u completed, "
                  "%u cancelled",
                  span / 2, completed, cancelled);
  g_assert_cmpuint (cancelled, >, 0);

  g_assert_true (vi_client_download_export (client, export_, dir, 2, NULL, NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  check_extracted (dir, jsonl);

  _vi_export_set_download_chunk_size (0);
  mini_server_free (mini);
  rm_rf (dir);
}

/* A server whose archive is cut short: the download completes, the check
 * refuses it, nothing is left for a resume. */
static void
test_download_truncated_archive (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) full = make_archive (&jsonl);
  g_autoptr (GBytes)
      archive = g_bytes_new_from_bytes (full, 0, g_bytes_get_size (full) - 100);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (ViExportedAnnotations) export_ = fake_export (mini->url);
  g_autofree char *dir = g_dir_make_tmp ("vi-dl-XXXXXX", NULL);
  g_autofree char *zip = g_build_filename (dir, "ds1", "exp-1.zip", NULL);
  g_autofree char *sidecar = g_build_filename (dir, "ds1",
                                               "exp-1.zip.part.json", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (vi_client_download_export (client, export_, dir, 0, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_test_message ("%s", error->message);
  g_assert_false (g_file_test (zip, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (sidecar, G_FILE_TEST_EXISTS));

  mini_server_free (mini);
  rm_rf (dir);
}

/* FailedReach ends the wait with the chain; Reached without a URL is an
 * invalid response. */
static void
test_wait_failed (void)
{
  g_autofree char *jsonl = NULL;
  g_autoptr (GBytes) archive = make_archive (&jsonl);
  MiniServer *mini = mini_server_new (archive);
  g_autoptr (ViClient) client = new_client (mini->url);
  g_autoptr (ViExportedAnnotations) export_ = NULL;
  g_autoptr (GError) error = NULL;

  export_ = vi_client_wait_export (client, "ds1", "exp-fail", 10, 5000, NULL,
                                   &error);
  g_assert_null (export_);
  g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message,
                            "Started: Reached -> Finished: "
                            "FailedReach (ExportErrored): disk full"));
  g_clear_error (&error);

  export_ = vi_client_wait_export (client, "ds1", "exp-nourl", 10, 5000, NULL,
                                   &error);
  g_assert_null (export_);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "downloadUrl"));

  mini_server_free (mini);
}

static void
test_download_no_url (void)
{
  g_autoptr (ViClient) client = new_client ("http://127.0.0.1:1");
  g_autoptr (GError) error = NULL;
  g_autoptr (ViExportedAnnotations) export_ = NULL;
  g_autoptr (JsonNode) node = json_from_string (
      "{\"workspaceId\":\"local-org\",\"datasetId\":\"local-org_ds1\","
      "\"datasetExportId\":\"exp-1\",\"spec\":{\"format\":\"ViJsonl\","
      "\"options\":{\"normalized\":true}},\"status\":{\"conditions\":[]},"
      "\"metadata\":{\"timeCreated\":1,\"lastUpdated\":1,\"generation\":1,"
      "\"attributes\":{}},\"selfLink\":\"x\",\"etag\":\"y\"}",
      NULL);

  export_ = vi_exported_annotations_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_false (vi_client_download_export (client, export_, "/nonexistent", 0,
                                             NULL, NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------------------
 * Against vi-local-server
 * ------------------------------------------------------------------------ */

/* The shared fixture: a server started for the test and a client of it. */
typedef ViTestServer Fixture;

/* The records loaded: captions alone, captions with phrases, VQA. */
static GPtrArray *
load_records (Fixture *f, guint n)
{
  GPtrArray *records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++) {
    g_autofree char *asset = g_strdup_printf ("asset-%04u.jpg", i);
    ViJsonlRecord   *r = vi_jsonl_record_new (asset);

    switch (i % 3) {
      case 0: {
        g_autofree char *caption =
            g_strdup_printf ("plain caption number %u "
                             "with some words to make it longer",
                             i);
        vi_jsonl_record_set_caption (r, caption);
        break;
      }
      case 1: {
        ViBBox cat = { 0.1, 0.2, 0.5, 0.7 + (i % 10) * 0.01 };
        ViBBox couch = { 0.6, 0.2, 0.9, 0.7 };
        vi_jsonl_record_set_caption (r, "A cat sitting on a couch");
        vi_jsonl_record_add_phrase (r, "cat", &cat);
        vi_jsonl_record_add_phrase (r, "couch", &couch);
        break;
      }
      default: {
        g_autofree char *answer = g_strdup_printf ("%u", i);
        vi_jsonl_record_add_interaction (r, "How many cats?", answer);
        vi_jsonl_record_add_interaction (r, "What colour?", "grey");
        break;
      }
    }
    g_assert_true (vi_local_server_add_record (f->server, "ds1", r, &error));
    g_assert_no_error (error);
    g_ptr_array_add (records, r);
  }
  return records;
}

/* Creates an export; FALSE (test skipped) if the server has none. */
static ViExportedAnnotations *
create_or_skip (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  ViExportedAnnotations *export_;

  export_ = vi_client_create_export (f->client, "ds1",
                                     VI_EXPORT_FORMAT_VI_JSONL, TRUE, NULL,
                                     &error);
  if (export_ == NULL &&
      (g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND) ||
       g_error_matches (error, VI_ERROR, VI_ERROR_FAILED))) {
    g_test_skip ("vi-local-server has no dataset exports yet");
    return NULL;
  }
  g_assert_no_error (error);
  return export_;
}

static void
compare_records (GPtrArray *expected, const char *path)
{
  g_autoptr (GHashTable)
      by_asset = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  ViJsonlRecord *r;

  reader = vi_jsonl_reader_new_for_path (path, &error);
  g_assert_no_error (error);
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  while ((r = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    g_assert_cmpint (vi_jsonl_record_get_format (r), ==,
                     VI_JSONL_FORMAT_EXPORT);
    g_assert_null (
        g_hash_table_lookup (by_asset, vi_jsonl_record_get_asset_id (r)));
    g_hash_table_insert (by_asset, (gpointer) vi_jsonl_record_get_asset_id (r),
                         r);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (by_asset), ==, expected->len);

  for (guint i = 0; i < expected->len; i++) {
    const ViJsonlRecord *want = expected->pdata[i];
    const ViJsonlRecord *got =
        g_hash_table_lookup (by_asset, vi_jsonl_record_get_asset_id (want));

    g_assert_nonnull (got);
    g_assert_cmpstr (vi_jsonl_record_get_caption (got), ==,
                     vi_jsonl_record_get_caption (want));
    g_assert_cmpuint (vi_jsonl_record_get_n_phrases (got), ==,
                      vi_jsonl_record_get_n_phrases (want));
    for (guint k = 0; k < vi_jsonl_record_get_n_phrases (want); k++) {
      const ViGroundedPhrase *a = vi_jsonl_record_get_phrase (want, k);
      const ViGroundedPhrase *b = vi_jsonl_record_get_phrase (got, k);

      g_assert_cmpstr (a->phrase, ==, b->phrase);
      g_assert_cmpfloat_with_epsilon (a->bbox.x_min, b->bbox.x_min, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.y_min, b->bbox.y_min, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.x_max, b->bbox.x_max, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.y_max, b->bbox.y_max, 1e-9);
    }
    g_assert_cmpuint (vi_jsonl_record_get_n_interactions (got), ==,
                      vi_jsonl_record_get_n_interactions (want));
    for (guint k = 0; k < vi_jsonl_record_get_n_interactions (want); k++) {
      const ViVqaInteraction *a = vi_jsonl_record_get_interaction (want, k);
      const ViVqaInteraction *b = vi_jsonl_record_get_interaction (got, k);

      g_assert_cmpstr (a->question, ==, b->question);
      g_assert_cmpstr (a->answer, ==, b->answer);
    }
  }
}

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = load_records (f, 900);
  g_autoptr (ViExportedAnnotations) created = NULL;
  g_autoptr (ViExportedAnnotations) ready = NULL;
  g_autoptr (ViExportedAnnotations) got = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-export-XXXXXX", NULL);
  g_autofree char *jsonl = NULL;
  g_autofree char *fault = NULL;
  const char      *id;
  Progress         p = { 0 };
  guint            n_chunks, done, chunk = 4096;
  gboolean         found = FALSE;

  created = create_or_skip (f);
  if (created == NULL)
    return;
  id = vi_exported_annotations_get_dataset_export_id (created);
  g_assert_cmpstr (vi_exported_annotations_get_dataset_id (created), ==, "ds1");
  g_assert_cmpint (vi_exported_annotations_get_spec (created)->format, ==,
                   VI_EXPORT_FORMAT_VI_JSONL);

  ready = vi_client_wait_export (f->client, "ds1", id, 20, 60000, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vi_exported_annotations_get_download_url (ready));

  got = vi_client_get_export (f->client, "ds1", id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_exported_annotations_get_dataset_export_id (got), ==, id);

  list = vi_client_list_exports (f->client, "ds1", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    found |= g_str_equal (vi_exported_annotations_get_dataset_export_id (
                              list->pdata[i]),
                          id);
  g_assert_true (found);

  /* Interrupted once: two ranges go through, then the third one fails
   * until its retries are spent (one connection, so the order is
   * known). */
  _vi_export_set_download_chunk_size (chunk);
  fault = g_strdup_printf (
      "{\"method\":\"GET\",\"path\":\"/downloads\","
      "\"after\":2,\"times\":4,\"action\":\"status\",\"status\":500}");
  g_assert_true (vi_local_server_add_fault_json (f->server, fault, &error));
  g_assert_no_error (error);
  vi_local_server_reset_counters (f->server);
  g_assert_false (vi_client_download_export (f->client, ready, dir, 1,
                                             progress_cb, &p, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_SERVER);
  g_clear_error (&error);
  n_chunks = (guint) ((p.total + chunk - 1) / chunk);
  g_assert_cmpuint (n_chunks, >, 3);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                       "/downloads"),
                    ==, 6);
  done = sidecar_done (dir, id);
  g_assert_cmpuint (done, ==, 2);

  /* Resumed: only the missing ranges. */
  vi_local_server_clear_faults (f->server);
  vi_local_server_reset_counters (f->server);
  g_assert_true (vi_client_download_export (f->client, ready, dir, 4, NULL,
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                       "/downloads"),
                    ==, n_chunks - done);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "HEAD",
                                                       "/downloads"),
                    ==, 1);

  jsonl = g_build_filename (dir, "ds1", "dump", "annotations",
                            "annotations.jsonl", NULL);
  compare_records (records, jsonl);
  rm_rf (dir);

  /* Bodies cut short and dropped connections: retried, continuing where
   * they stopped; the async form. */
  {
    g_autoptr (GMainContext) context = g_main_context_new ();
    g_autoptr (GAsyncResult) result = NULL;
    g_autofree char *dir2 = g_dir_make_tmp ("vi-export-XXXXXX", NULL);
    g_autofree char *jsonl2 = g_build_filename (dir2, "ds1", "dump",
                                                "annotations",
                                                "annotations.jsonl", NULL);

    g_assert_true (vi_local_server_add_fault_json (
        f->server,
        "[{\"method\":\"GET\",\"path\":\"/downloads\",\"after\":1,"
        "\"times\":2,\"action\":\"truncate\"},{\"method\":\"GET\","
        "\"path\":\"/downloads\",\"after\":4,\"times\":1,"
        "\"action\":\"drop\"}]",
        &error));
    g_assert_no_error (error);
    g_main_context_push_thread_default (context);
    vi_client_download_export_async (f->client, ready, dir2, 2, NULL, NULL,
                                     NULL, store_result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (context, TRUE);
    vi_client_download_export_finish (f->client, result, &error);
    g_assert_no_error (error);
    g_main_context_pop_thread_default (context);
    compare_records (records, jsonl2);
    rm_rf (dir2);
  }
  _vi_export_set_download_chunk_size (0);
}

static void
test_wait_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = load_records (f, 3);
  g_autoptr (ViExportedAnnotations) created = NULL;
  g_autoptr (ViExportedAnnotations) ready = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  gint64 t0;

  created = create_or_skip (f);
  if (created == NULL)
    return;

  /* Every request takes 400 ms: a 150 ms wait ends during the first. */
  vi_local_server_set_latency (f->server, 400);
  t0 = g_get_monotonic_time ();
  ready = vi_client_wait_export (f->client, "ds1",
                                 vi_exported_annotations_get_dataset_export_id (
                                     created),
                                 10, 150, NULL, &error);
  g_assert_null (ready);
  g_assert_error (error, VI_ERROR, VI_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 390 * 1000);
  g_clear_error (&error);

  /* Cancelled: at once too. */
  g_cancellable_cancel (cancellable);
  ready = vi_client_wait_export (f->client, "ds1",
                                 vi_exported_annotations_get_dataset_export_id (
                                     created),
                                 10, 0, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  vi_local_server_set_latency (f->server, 0);
}

static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (vi_client_create_export (f->client, "bad/id",
                                          VI_EXPORT_FORMAT_VI_JSONL, TRUE, NULL,
                                          &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (vi_client_create_export (f->client, "ds1",
                                          VI_EXPORT_FORMAT_UNKNOWN, TRUE, NULL,
                                          &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (vi_client_get_export (f->client, "ds1", "", NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (
      vi_client_wait_export (f->client, "ds1", "a b", 0, 0, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (vi_client_get_export (f->client, "ds1", "nope", NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
}

/* What the download refuses: a planted link for the dataset's folder
 * (before any request), an archive over the client's caps, and a signed
 * URL that the server refuses (its signature, not the organization). */
static void
test_download_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = load_records (f, 30);
  g_autoptr (ViExportedAnnotations) created = NULL;
  g_autoptr (ViExportedAnnotations) ready = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-export-XXXXXX", NULL);
  g_autofree char *elsewhere = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *link = g_build_filename (target, "ds1", NULL);
  g_autofree char *jsonl = g_build_filename (target, "ds1", "dump",
                                             "annotations", "annotations.jsonl",
                                             NULL);
  g_autoptr (GDir) listing = NULL;

  created = create_or_skip (f);
  if (created == NULL)
    return;
  ready = vi_client_wait_export (f->client, "ds1",
                                 vi_exported_annotations_get_dataset_export_id (
                                     created),
                                 20, 60000, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (target, 0755), ==, 0);

  /* DIR/<dataset> is a link to elsewhere. */
  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  vi_local_server_reset_counters (f->server);
  g_assert_false (vi_client_download_export (f->client, ready, target, 0, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, link));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL,
                                                       "/downloads"),
                    ==, 0);
  listing = g_dir_open (elsewhere, 0, NULL);
  g_assert_null (g_dir_read_name (listing));
  g_unlink (link);

  /* Over the entry cap: refused from the central directory. */
  g_object_set (f->client, "max-extract-entries", 1, NULL);
  g_assert_false (vi_client_download_export (f->client, ready, target, 0, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "max-extract-entries"));
  g_assert_false (g_file_test (jsonl, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_object_set (f->client, "max-extract-entries", 0, "max-extract-size",
                (guint64) 10, NULL);
  g_assert_false (vi_client_download_export (f->client, ready, target, 0, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "max-extract-size"));
  g_clear_error (&error);
  g_object_set (f->client, "max-extract-size", (guint64) 0, NULL);

  /* The signed URL refused. */
  g_assert_true (
      vi_local_server_add_fault_json (f->server,
                                      "{\"path\":\"/downloads\",\"action\":\"status\","
                                      "\"status\":403}",
                                      &error));
  g_assert_false (vi_client_download_export (f->client, ready, target, 0, NULL,
                                             NULL, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "signed URL"));
  g_assert_null (strstr (error->message, "DATATURE_VI_ORGANIZATION_ID"));
  g_clear_error (&error);

  /* And then it works. */
  g_assert_true (vi_client_download_export (f->client, ready, target, 0, NULL,
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  compare_records (records, jsonl);
  rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("DATATURE_VI_SECRET_KEY");
  g_unsetenv ("DATATURE_VI_ORGANIZATION_ID");
  g_unsetenv ("DATATURE_VI_API_ENDPOINT");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/export/crc32", test_crc32);
  g_test_add_func ("/export/zip/extract", test_zip_extract);
  g_test_add_func ("/export/zip/slip", test_zip_slip);
  g_test_add_func ("/export/zip/corrupt", test_zip_corrupt);
  g_test_add_func ("/export/zip/conflicts", test_zip_conflicts);
  g_test_add_func ("/export/zip/limits", test_zip_limits);
  g_test_add_func ("/export/zip/symlinked-destination",
                   test_zip_symlinked_destination);
  g_test_add_func ("/export/download/basic", test_download_basic);
  g_test_add_func ("/export/download/resume-after-error",
                   test_download_resume_after_error);
  g_test_add_func ("/export/download/resume-after-cancel",
                   test_download_resume_after_cancel);
  g_test_add_func ("/export/download/truncated-archive",
                   test_download_truncated_archive);
  g_test_add_func ("/export/download/no-url", test_download_no_url);
  g_test_add_func ("/export/download/cancel-from-another-thread",
                   test_download_cancel_from_another_thread);
  g_test_add_func ("/export/wait/failed", test_wait_failed);

#define ADD(path, func)                                        \
  g_test_add (path, Fixture, NULL, vi_test_server_setup, func, \
              vi_test_server_teardown)
  ADD ("/export/server/bad-arguments", test_bad_arguments);
  ADD ("/export/server/round-trip", test_round_trip);
  ADD ("/export/server/download-refusals", test_download_refusals);
  ADD ("/export/server/wait-timeout", test_wait_timeout);

  return g_test_run ();
}
