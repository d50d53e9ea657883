/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The download of an export's archive.
 *
 * The download asks the signed URL for its size (HEAD, without the API
 * credentials), then fetches ranges of it with several requests in flight,
 * each written at its offset into "<export>.zip.part".  A small sidecar,
 * "<export>.zip.part.json", records the ranges on disk, so that a call
 * after an interruption (cancellation, or an error once the retries are
 * spent) fetches only the missing ones.  The complete archive is renamed
 * to ".zip", checked and extracted next to it, streaming (vi-zip.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-client-private.h"
#include "vi-error-private.h"
#include "vi-export-private.h"
#include "vi-json-private.h"
#include "vi-model-private.h"
#include "vi-zip-private.h"

#define DEFAULT_CONNECTIONS 4
#define MAX_CONNECTIONS 64
#define DEFAULT_CHUNK_SIZE ((guint64) 1024 * 1024)
#define READ_SIZE (64 * 1024)
#define SIDECAR_VERSION 1
/* A sidecar asking for more ranges than this is not one of ours. */
#define MAX_SIDECAR_CHUNKS ((guint64) 1 << 22)

static guint64 download_chunk_size = DEFAULT_CHUNK_SIZE;

void
_vi_export_set_download_chunk_size (guint64 chunk_size)
{
  download_chunk_size = chunk_size != 0 ? chunk_size : DEFAULT_CHUNK_SIZE;
}

/* ------------------------------------------------------------------------
 * download
 * ------------------------------------------------------------------------ */

enum {
  CHUNK_TODO,
  CHUNK_BUSY,
  CHUNK_DONE,
};

typedef struct {
  SoupSession           *session;
  ViRetryPolicy          policy;
  char                  *url;
  char                  *organization_id;
  char                  *dataset_id;
  char                  *export_id;
  char                  *format;
  char                  *dir;
  char                  *part_path;
  char                  *sidecar_path;
  char                  *zip_path;
  guint                  n_connections;
  ViDownloadProgressFunc progress;
  gpointer               progress_data;
  guint64                max_extract_size;
  guint                  max_extract_entries;

  ViOpCancel op; /* the user's, or a failed range's */

  int      fd;
  guint64  size;
  char    *etag;
  gboolean ranges;
  guint64  chunk_size;
  guint    n_chunks;
  guint8  *chunks; /* CHUNK_* */
  guint    next;   /* first chunk that may be TODO */
  guint    in_flight;
  guint64  bytes_done;
  guint    n_fetched; /* ranges fetched by this call */
  GError  *error;     /* the first failure */
} Download;

static void
download_free (Download *dl)
{
  g_assert (dl->in_flight == 0);
  if (dl->fd >= 0)
    close (dl->fd);
  _vi_op_cancel_clear (&dl->op);
  g_clear_object (&dl->session);
  g_free (dl->url);
  g_free (dl->organization_id);
  g_free (dl->dataset_id);
  g_free (dl->export_id);
  g_free (dl->format);
  g_free (dl->dir);
  g_free (dl->part_path);
  g_free (dl->sidecar_path);
  g_free (dl->zip_path);
  g_free (dl->etag);
  g_free (dl->chunks);
  g_clear_error (&dl->error);
  g_free (dl);
}

/* One HEAD (chunk < 0) or one range, with its retries. */
typedef struct {
  GTask        *task;
  int           chunk;
  guint64       start;
  guint64       end; /* inclusive */
  guint64       received;
  gboolean      whole; /* a 200 to a ranged request */
  guint64       skip;  /* bytes of it before the range */
  SoupMessage  *msg;
  GInputStream *stream;
  guint8       *buf;
  guint         attempts;
  ViRetryState  retries;
} Fetch;

static void
fetch_free (Fetch *f)
{
  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  g_free (f->buf);
  g_clear_object (&f->task);
  g_free (f);
}

static void fetch_start (Fetch *f);
static void head_done (Fetch *f);
static void range_done (Fetch *f);
static void fetch_failed (Fetch *f, GError *error);

static const char *
fetch_what (Fetch *f)
{
  return f->chunk < 0 ? "download export (HEAD)" : "download export";
}

static void
fetch_slept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch  *f = user_data;
  GError *error = NULL;

  if (!_vi_sleep_finish (result, &error)) {
    fetch_failed (f, error);
    return;
  }
  fetch_start (f);
}

/* The fetch stays alive until the wait ends, one way or the other. */
static void
fetch_schedule_retry (Fetch *f, double seconds)
{
  Download *dl = g_task_get_task_data (f->task);

  g_debug ("%s: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
           ": attempt %u failed, retrying in %.3f s",
           fetch_what (f), f->start, f->end, f->attempts, seconds);
  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  _vi_sleep_async (seconds, dl->op.cancellable, fetch_slept_cb, f);
}

/* A failure below HTTP, or a body cut short: retried as the API's
 * transport errors are.  Takes error. */
static void
fetch_transport_error (Fetch *f, GError *error)
{
  Download *dl = g_task_get_task_data (f->task);
  double    delay;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    fetch_failed (f, error);
    return;
  }
  if (_vi_http_error_is_final (error)) {
    g_prefix_error (&error, "%s: ", fetch_what (f));
    fetch_failed (f, error);
    return;
  }
  if (_vi_retry_next (&dl->policy, &f->retries, 0, NULL, &delay)) {
    g_error_free (error);
    fetch_schedule_retry (f, delay);
    return;
  }
  {
    GError *out = g_error_new (
        VI_ERROR,
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
            ? VI_ERROR_TIMEOUT
            : VI_ERROR_NETWORK,
        "%s: network error after %u attempt%s (%s); call again to resume",
        fetch_what (f), f->attempts, f->attempts == 1 ? "" : "s",
        error->message);

    g_error_free (error);
    fetch_failed (f, out);
  }
}

/* An HTTP status that is not the one expected. */
static void
fetch_bad_status (Fetch *f, guint status)
{
  Download           *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  GError             *error = NULL;
  double              delay;

  if (_vi_retry_next (&dl->policy, &f->retries, status, headers, &delay)) {
    fetch_schedule_retry (f, delay);
    return;
  }
  if (status == 416) {
    g_set_error (&error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: the server refused the range %" G_GUINT64_FORMAT
                 "-%" G_GUINT64_FORMAT
                 " (416): the archive changed size; delete %s to "
                 "start again",
                 fetch_what (f), f->start, f->end, dl->sidecar_path);
    fetch_failed (f, error);
    return;
  }
  _vi_http_set_status_error (
      &error, fetch_what (f), VI_HTTP_TARGET_SIGNED_URL, status, NULL,
      soup_message_headers_get_one (headers, "x-cloud-trace-context"));
  if (status == 429 || status >= 500)
    g_prefix_error (&error, "after %u attempt%s: ", f->attempts,
                    f->attempts == 1 ? "" : "s");
  fetch_failed (f, error);
}

/* "bytes a-b/total" must be what was asked for. */
static gboolean
check_content_range (Fetch *f, guint64 from, GError **error)
{
  Download           *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  goffset             start = 0, end = 0, total = 0;

  if (!soup_message_headers_get_content_range (headers, &start, &end, &total)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: invalid response: 206 without a valid Content-Range",
                 fetch_what (f));
    return FALSE;
  }
  if ((guint64) start != from || (guint64) end != f->end ||
      (total >= 0 && (guint64) total != dl->size)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: invalid response: asked for bytes %" G_GUINT64_FORMAT
                 "-%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 ", got %" G_GOFFSET_FORMAT "-%" G_GOFFSET_FORMAT
                 "/%" G_GOFFSET_FORMAT,
                 fetch_what (f), from, f->end, dl->size, start, end, total);
    return FALSE;
  }
  return TRUE;
}

static void
report_progress (Download *dl)
{
  if (dl->progress != NULL)
    dl->progress (dl->bytes_done, dl->size, dl->progress_data);
}

static void fetch_read (Fetch *f);

static void
fetch_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch    *f = user_data;
  Download *dl = g_task_get_task_data (f->task);
  GError   *error = NULL;
  guint64   length = f->end - f->start + 1;
  gssize    n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    fetch_transport_error (f, error);
    return;
  }
  if (f->skip > 0) {
    f->skip -= (guint64) n;
    if (n == 0)
      fetch_transport_error (f,
                             g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                          "the body ended early"));
    else
      fetch_read (f);
    return;
  }
  if (n == 0) {
    if (f->received < length) {
      fetch_transport_error (f,
                             g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                          "the body ended after %" G_GUINT64_FORMAT
                                          " of %" G_GUINT64_FORMAT " bytes",
                                          f->received, length));
      return;
    }
    /* At the end of the body: closing keeps the connection. */
    g_input_stream_close (f->stream, NULL, NULL);
    range_done (f);
    return;
  }
  if (f->received + (guint64) n > length) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "%s: invalid response: more than the %" G_GUINT64_FORMAT
                               " bytes asked for",
                               fetch_what (f), length));
    return;
  }
  for (gssize off = 0; off < n;) {
    ssize_t w = pwrite (dl->fd, f->buf + off, (size_t) (n - off),
                        (off_t) (f->start + f->received + (guint64) off));

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int saved_errno = errno;

      fetch_failed (f,
                    g_error_new (G_IO_ERROR,
                                 g_io_error_from_errno (saved_errno),
                                 "cannot write %s: %s", dl->part_path,
                                 g_strerror (saved_errno)));
      return;
    }
    off += w;
  }
  f->received += (guint64) n;
  dl->bytes_done += (guint64) n;
  report_progress (dl);
  if (f->whole && f->received == length) {
    /* The rest of the archive is not needed: the connection is closed
     * with the stream. */
    range_done (f);
    return;
  }
  fetch_read (f);
}

static void
fetch_read (Fetch *f)
{
  Download *dl = g_task_get_task_data (f->task);
  guint64   left = f->end - f->start + 1 - f->received;
  guint64   want;

  if (f->skip > 0)
    want = f->skip;
  else if (f->whole)
    want = left;
  else
    want = left + 1; /* one more, to see the end (or an excess) */
  g_input_stream_read_async (f->stream, f->buf,
                             (gsize) MIN ((guint64) READ_SIZE, want),
                             G_PRIORITY_DEFAULT, dl->op.cancellable,
                             fetch_read_cb, f);
}

static void
fetch_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch    *f = user_data;
  Download *dl = g_task_get_task_data (f->task);
  GError   *error = NULL;
  guint     status;

  f->stream = _vi_http_session_send_finish (SOUP_SESSION (source), result,
                                            dl->op.cancellable, &error);
  if (f->stream == NULL) {
    fetch_transport_error (f, error);
    return;
  }
  status = soup_message_get_status (f->msg);

  if (f->chunk < 0) {
    if (status != 200) {
      fetch_bad_status (f, status);
      return;
    }
    /* No body: closing keeps the connection for the ranges. */
    g_input_stream_close (f->stream, NULL, NULL);
    head_done (f);
    return;
  }

  f->whole = FALSE;
  f->skip = 0;
  if (dl->ranges && status == 200) {
    /* The server ignored the range and sends the whole archive (allowed
     * by RFC 9110): skip to the range, and stop after it. */
    goffset length = soup_message_headers_get_content_length (
        soup_message_get_response_headers (f->msg));

    if (length > 0 && (guint64) length != dl->size) {
      /* Not the archive: a proxy's page, or a body cut short. */
      fetch_transport_error (
          f,
          g_error_new (
              G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
              "a 200 answer of %" G_GOFFSET_FORMAT
              " bytes to a ranged request, for an archive of %" G_GUINT64_FORMAT,
              length, dl->size));
      return;
    }
    f->whole = TRUE;
    f->skip = f->start + f->received;
  } else if (dl->ranges) {
    if (status != 206) {
      fetch_bad_status (f, status);
      return;
    }
    if (!check_content_range (f, f->start + f->received, &error)) {
      fetch_failed (f, error);
      return;
    }
  } else if (status != 200) {
    fetch_bad_status (f, status);
    return;
  }
  if (f->buf == NULL)
    f->buf = g_malloc (READ_SIZE + 1);
  fetch_read (f);
}

static void
fetch_start (Fetch *f)
{
  Download *dl = g_task_get_task_data (f->task);

  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  f->attempts++;
  f->msg = soup_message_new (f->chunk < 0 ? "HEAD" : "GET", dl->url);
  if (f->msg == NULL) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "download export: invalid response: the download URL is not "
                               "a valid URL"));
    return;
  }
  if (f->chunk >= 0) {
    if (dl->ranges) {
      soup_message_headers_set_range (soup_message_get_request_headers (f->msg),
                                      (goffset) (f->start + f->received),
                                      (goffset) f->end);
    } else if (f->received > 0) {
      /* Without ranges a retry starts over. */
      dl->bytes_done -= f->received;
      f->received = 0;
    }
  }
  _vi_http_session_send_async (dl->session, f->msg, G_PRIORITY_DEFAULT,
                               dl->op.cancellable, fetch_sent_cb, f);
}

static Fetch *
fetch_new (GTask *task, int chunk, guint64 start, guint64 end)
{
  Download *dl = g_task_get_task_data (task);
  Fetch    *f = g_new0 (Fetch, 1);

  f->task = g_object_ref (task);
  f->chunk = chunk;
  f->start = start;
  f->end = end;
  dl->in_flight++;
  return f;
}

/* The sidecar: which ranges of the .part file are complete. */
static gboolean
save_sidecar (Download *dl, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, SIDECAR_VERSION);
  json_builder_set_member_name (builder, "datasetExportId");
  json_builder_add_string_value (builder, dl->export_id);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, dl->url);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) dl->size);
  json_builder_set_member_name (builder, "etag");
  if (dl->etag != NULL)
    json_builder_add_string_value (builder, dl->etag);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "chunkSize");
  json_builder_add_int_value (builder, (gint64) dl->chunk_size);
  json_builder_set_member_name (builder, "done");
  json_builder_begin_array (builder);
  for (guint i = 0; i < dl->n_chunks; i++) {
    if (dl->chunks[i] == CHUNK_DONE)
      json_builder_add_int_value (builder, i);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  return g_file_set_contents (dl->sidecar_path, text, -1, error);
}

/* Reads the sidecar of an earlier call, if it is for this archive; the
 * chunks it records become CHUNK_DONE. */
static gboolean
load_sidecar (Download *dl)
{
  ViJsonPath root_path = VI_JSON_PATH_ROOT;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonArray  *done = NULL;
  const char *export_id = NULL, *etag = NULL;
  GStatBuf    st;
  gint64      version = 0, size = -1, chunk_size = 0;

  /* Written by an earlier call, but in a folder anyone may have written
   * to: read with the usual limits, and any surprise means start over. */
  if (g_lstat (dl->sidecar_path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  root = vi_json_parse_file (dl->sidecar_path, VI_JSON_MAX_FILE_SIZE,
                             VI_ERROR_INVALID_DATA, "download sidecar", NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  if (!vi_json_get_int (object, &root_path, "version", TRUE, &version, NULL) ||
      version != SIDECAR_VERSION ||
      !vi_json_get_int (object, &root_path, "size", TRUE, &size, NULL) ||
      !vi_json_get_int (object, &root_path, "chunkSize", TRUE, &chunk_size,
                        NULL) ||
      !vi_json_get_string (object, &root_path, "datasetExportId", TRUE,
                           &export_id, NULL) ||
      !vi_json_get_string (object, &root_path, "etag", FALSE, &etag, NULL) ||
      !vi_json_get_array (object, &root_path, "done", TRUE, &done, NULL))
    return FALSE;
  if (size < 0 || (guint64) size != dl->size || chunk_size <= 0 ||
      dl->size / (guint64) chunk_size >= MAX_SIDECAR_CHUNKS ||
      !g_str_equal (export_id, dl->export_id))
    return FALSE;
  /* A signed URL may be renewed; the archive is the same if its size and
   * its ETag (when both sides have one) are. */
  if (dl->etag != NULL && etag != NULL && !g_str_equal (etag, dl->etag))
    return FALSE;
  if (g_lstat (dl->part_path, &st) != 0 || !S_ISREG (st.st_mode) ||
      (guint64) st.st_size != dl->size)
    return FALSE;

  dl->chunk_size = (guint64) chunk_size;
  dl->n_chunks = (guint) ((dl->size + dl->chunk_size - 1) / dl->chunk_size);
  dl->chunks = g_new0 (guint8, dl->n_chunks);
  for (guint i = 0; i < json_array_get_length (done); i++) {
    JsonNode *node = json_array_get_element (done, i);
    gint64    index;

    if (!JSON_NODE_HOLDS_VALUE (node) ||
        json_node_get_value_type (node) != G_TYPE_INT64)
      continue;
    index = json_node_get_int (node);
    if (index >= 0 && index < dl->n_chunks && dl->chunks[index] != CHUNK_DONE) {
      guint64 start = (guint64) index * dl->chunk_size;

      dl->chunks[index] = CHUNK_DONE;
      dl->bytes_done += MIN (dl->chunk_size, dl->size - start);
    }
  }
  return TRUE;
}

static void download_pump (GTask *task);

/* A fetch is over, with error (taken) or not. */
static void
fetch_finished (Fetch *f, GError *error)
{
  GTask    *task = g_object_ref (f->task);
  Download *dl = g_task_get_task_data (task);

  if (error != NULL) {
    if (dl->error == NULL) {
      dl->error = error;
      /* Stop the others; their cancellation errors are dropped. */
      g_cancellable_cancel (dl->op.cancellable);
    } else {
      g_error_free (error);
    }
  }
  if (f->chunk >= 0 && dl->chunks[f->chunk] == CHUNK_BUSY)
    dl->chunks[f->chunk] = CHUNK_TODO;
  dl->in_flight--;
  fetch_free (f);
  download_pump (task);
  g_object_unref (task);
}

static void
fetch_failed (Fetch *f, GError *error)
{
  fetch_finished (f, error);
}

static void
range_done (Fetch *f)
{
  Download *dl = g_task_get_task_data (f->task);
  GError   *error = NULL;

  dl->chunks[f->chunk] = CHUNK_DONE;
  dl->n_fetched++;
  if (dl->ranges && !save_sidecar (dl, &error)) {
    fetch_finished (f, error);
    return;
  }
  fetch_finished (f, NULL);
}

static void
head_done (Fetch *f)
{
  Download           *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  const char *accept = soup_message_headers_get_list (headers, "Accept-Ranges");
  goffset     length = soup_message_headers_get_content_length (headers);
  gboolean    resumed = FALSE;
  GError     *error = NULL;

  if (soup_message_headers_get_encoding (headers) !=
          SOUP_ENCODING_CONTENT_LENGTH ||
      length <= 0) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "download export: invalid response: HEAD of the download URL "
                               "gave no archive size (Content-Length)"));
    return;
  }
  dl->size = (guint64) length;
  dl->ranges = accept != NULL && soup_header_contains (accept, "bytes");
  dl->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));

  if (dl->ranges)
    resumed = load_sidecar (dl);
  if (!resumed) {
    dl->bytes_done = 0;
    dl->chunk_size = dl->ranges ? download_chunk_size : dl->size;
    dl->n_chunks = (guint) ((dl->size + dl->chunk_size - 1) / dl->chunk_size);
    dl->chunks = g_new0 (guint8, dl->n_chunks);
  }
  dl->fd = g_open (dl->part_path,
                   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                       (resumed ? 0 : O_TRUNC),
                   0644);
  if (dl->fd < 0 || (!resumed && ftruncate (dl->fd, (off_t) dl->size) != 0)) {
    int saved_errno = errno;

    fetch_failed (f,
                  g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "cannot write %s: %s", dl->part_path,
                               g_strerror (saved_errno)));
    return;
  }
  if (!resumed) {
    if (dl->ranges) {
      if (!save_sidecar (dl, &error)) {
        fetch_failed (f, error);
        return;
      }
    } else {
      g_unlink (dl->sidecar_path);
    }
  }
  g_debug ("download export %s: %" G_GUINT64_FORMAT " bytes, %u range%s, %s",
           dl->export_id, dl->size, dl->n_chunks, dl->n_chunks == 1 ? "" : "s",
           resumed ? "resumed" : "from the start");
  report_progress (dl);
  fetch_finished (f, NULL);
}

/* ---- after the last range ---- */

static gboolean
write_metadata (Download *dl, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = NULL;
  g_autofree char *path = g_build_filename (dl->dir, "metadata.json", NULL);

  /* The SDK's DatasetExportMetadata, then what the C client knows more. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, dl->dataset_id);
  json_builder_set_member_name (builder, "organizationId");
  json_builder_add_string_value (builder, dl->organization_id);
  json_builder_set_member_name (builder, "exportDir");
  json_builder_add_string_value (builder, dl->dir);
  json_builder_set_member_name (builder, "createdAt");
  json_builder_add_int_value (builder, g_date_time_to_unix (now));
  json_builder_set_member_name (builder, "license");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "datasetId");
  json_builder_add_string_value (builder, dl->dataset_id);
  json_builder_set_member_name (builder, "datasetExportId");
  json_builder_add_string_value (builder, dl->export_id);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, dl->format);
  json_builder_set_member_name (builder, "sizeBytes");
  json_builder_add_int_value (builder, (gint64) dl->size);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_file_set_contents (path, text, -1, error);
}

static void
extract_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Download        *dl = task_data;
  GError          *error = NULL;
  guint            n_files = 0;
  g_autofree char *zip_name = g_path_get_basename (dl->zip_path);
  g_autofree char *part_name = g_path_get_basename (dl->part_path);
  g_autofree char *sidecar_name = g_path_get_basename (dl->sidecar_path);
  const char      *reserved[] = { zip_name, part_name, sidecar_name, NULL };
  ViZipLimits      limits = { dl->max_extract_size, dl->max_extract_entries,
                              reserved };

  if (!_vi_zip_extract (dl->zip_path, dl->dir, &limits, &n_files, cancellable,
                        &error)) {
    if (g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE)) {
      /* A bad archive is not kept: the next call downloads it again. */
      g_unlink (dl->zip_path);
      g_unlink (dl->sidecar_path);
    }
    g_task_return_error (task, error);
    return;
  }
  if (!write_metadata (dl, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_unlink (dl->sidecar_path);
  g_unlink (dl->zip_path);
  g_debug ("download export %s: %u file%s extracted into %s", dl->export_id,
           n_files, n_files == 1 ? "" : "s", dl->dir);
  g_task_return_boolean (task, TRUE);
}

static void
download_complete (GTask *task)
{
  Download *dl = g_task_get_task_data (task);
  GError   *error = NULL;
  int       fd = dl->fd;

  dl->fd = -1;
  if (close (fd) != 0) {
    int saved_errno = errno;

    g_task_return_new_error (task, G_IO_ERROR,
                             g_io_error_from_errno (saved_errno),
                             "cannot write %s: %s", dl->part_path,
                             g_strerror (saved_errno));
    return;
  }
  if (g_rename (dl->part_path, dl->zip_path) != 0) {
    int saved_errno = errno;

    g_task_return_new_error (task, G_IO_ERROR,
                             g_io_error_from_errno (saved_errno),
                             "cannot rename %s: %s", dl->part_path,
                             g_strerror (saved_errno));
    return;
  }
  if (!_vi_zip_verify (dl->zip_path, &error)) {
    g_unlink (dl->zip_path);
    g_unlink (dl->sidecar_path);
    g_task_return_error (task, error);
    return;
  }
  g_task_run_in_thread (task, extract_in_thread);
}

/* Starts ranges while there is room; ends the task when nothing is left
 * in flight. */
static void
download_pump (GTask *task)
{
  Download *dl = g_task_get_task_data (task);

  if (dl->error != NULL) {
    if (dl->in_flight == 0)
      g_task_return_error (task, g_steal_pointer (&dl->error));
    return;
  }
  if (dl->chunks == NULL)
    return; /* the HEAD is not done */

  while (dl->in_flight < dl->n_connections && dl->next < dl->n_chunks) {
    guint   i = dl->next++;
    guint64 start, end;

    if (dl->chunks[i] != CHUNK_TODO)
      continue;
    start = (guint64) i * dl->chunk_size;
    end = MIN (start + dl->chunk_size, dl->size) - 1;
    dl->chunks[i] = CHUNK_BUSY;
    fetch_start (fetch_new (task, (int) i, start, end));
  }
  if (dl->in_flight == 0 && dl->next >= dl->n_chunks)
    download_complete (task);
}

/* DIR/<dataset>: created if needed (DIR too, as the caller chose it), but
 * never a symbolic link someone planted to send the files elsewhere. */
static gboolean
prepare_dataset_dir (const char *destination_dir,
                     const char *dir,
                     GError    **error)
{
  GStatBuf st;

  if (g_mkdir_with_parents (destination_dir, 0755) != 0 ||
      (g_mkdir (dir, 0755) != 0 && errno != EEXIST)) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "cannot create %s: %s", dir, g_strerror (saved_errno));
    return FALSE;
  }
  if (g_lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "refusing to download into %s: it is a symbolic link or not a "
                 "folder, and files are never written through one; remove it or "
                 "choose another folder",
                 dir);
    return FALSE;
  }
  return TRUE;
}

/**
 * vi_client_download_export_async:
 * @self: a #ViClient
 * @export_: a ready export, with its download URL
 * @destination_dir: (type filename): where to put the dataset's folder
 * @n_connections: requests in flight, or 0 for 4
 * @progress: (nullable) (scope notified) (closure progress_data): called as
 *   bytes arrive
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the archive is extracted, or on error
 * @user_data: data for @callback
 *
 * Downloads and extracts an export.  See vi_client_download_export().
 */
void
vi_client_download_export_async (ViClient              *self,
                                 ViExportedAnnotations *export_,
                                 const char            *destination_dir,
                                 guint                  n_connections,
                                 ViDownloadProgressFunc progress,
                                 gpointer               progress_data,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  const ViExportedAnnotationsDownloadUrl *url;
  const char                             *dataset_id, *export_id, *format;
  g_autofree char                        *base = NULL;
  GError                                 *error = NULL;
  Download                               *dl;
  GTask                                  *task;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (export_ != NULL);
  g_return_if_fail (destination_dir != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  dataset_id = vi_exported_annotations_get_dataset_id (export_);
  export_id = vi_exported_annotations_get_dataset_export_id (export_);
  url = vi_exported_annotations_get_download_url (export_);
  /* These ids name files: only the id alphabet is allowed. */
  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("export id", export_id, &error)) {
    g_prefix_error (&error, "download export: ");
    _vi_client_return_early_error (self, vi_client_download_export_async, error,
                                   callback, user_data);
    return;
  }
  if (url == NULL || url->url == NULL || *url->url == '\0') {
    _vi_client_return_early_error (
        self, vi_client_download_export_async,
        g_error_new (VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                     "export %s has no download URL yet: wait for it with "
                     "vi_client_wait_export()",
                     export_id),
        callback, user_data);
    return;
  }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_download_export_async);
  dl = g_new0 (Download, 1);
  dl->fd = -1;
  dl->session = g_object_ref (_vi_client_get_session (self));
  dl->policy = _vi_client_get_retry_policy (self);
  dl->url = g_strdup (url->url);
  dl->organization_id = g_strdup (vi_client_get_organization_id (self));
  dl->dataset_id = g_strdup (dataset_id);
  dl->export_id = g_strdup (export_id);
  format = vi_export_format_to_string (
      vi_exported_annotations_get_spec (export_)->format);
  dl->format = g_strdup (format != NULL ? format : "unknown");
  dl->dir = g_build_filename (destination_dir, dataset_id, NULL);
  base = g_build_filename (dl->dir, export_id, NULL);
  dl->zip_path = g_strconcat (base, ".zip", NULL);
  dl->part_path = g_strconcat (base, ".zip.part", NULL);
  dl->sidecar_path = g_strconcat (base, ".zip.part.json", NULL);
  dl->n_connections = n_connections != 0 ? MIN (n_connections, MAX_CONNECTIONS)
                                         : DEFAULT_CONNECTIONS;
  _vi_client_get_extract_limits (self, &dl->max_extract_size,
                                 &dl->max_extract_entries);
  dl->progress = progress;
  dl->progress_data = progress_data;
  g_task_set_task_data (task, dl, (GDestroyNotify) download_free);
  _vi_op_cancel_init (&dl->op, cancellable, 0);

  if (!prepare_dataset_dir (destination_dir, dl->dir, &error)) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }

  fetch_start (fetch_new (task, -1, 0, 0));
  g_object_unref (task);
}

/**
 * vi_client_download_export_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the archive is extracted
 */
gboolean
vi_client_download_export_finish (ViClient     *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_download_export_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  ViClient              *client;
  ViExportedAnnotations *export_;
  const char            *destination_dir;
  guint                  n_connections;
  ViDownloadProgressFunc progress;
  gpointer               progress_data;
} DownloadArgs;

static void
start_download (gpointer            data,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  DownloadArgs *a = data;

  vi_client_download_export_async (a->client, a->export_, a->destination_dir,
                                   a->n_connections, a->progress,
                                   a->progress_data, cancellable, callback,
                                   user_data);
}

/**
 * vi_client_download_export:
 * @self: a #ViClient
 * @export_: a ready export, with its download URL (from
 *   vi_client_wait_export() or vi_client_get_export())
 * @destination_dir: (type filename): where to put the dataset's folder
 * @n_connections: ranges fetched at the same time, or 0 for 4
 * @progress: (nullable) (scope call) (closure progress_data): called as
 *   bytes arrive
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Downloads the archive of an export and extracts it into
 * `destination_dir/<dataset id>/`, then writes `metadata.json` there as
 * the SDK does.
 *
 * The signed URL is asked for its size with `HEAD`, without the API
 * credentials, then fetched in ranges of 1 MiB, @n_connections at a time,
 * straight to `<export id>.zip.part` (memory does not grow with the
 * archive).  Each range is retried like an API request (429, 5xx,
 * transport errors and bodies cut short), continuing where it stopped.
 * The ranges on disk are recorded in `<export id>.zip.part.json`: after an
 * interruption — cancellation, or an error once the retries are spent —
 * calling again with the same export (or a fresh one of the same id, whose
 * URL may have been renewed) fetches only the missing ranges.
 *
 * The complete archive must have its end-of-central-directory record;
 * entries are checked (size, CRC-32) as they are extracted.  Refused with
 * %VI_ERROR_INVALID_RESPONSE before anything is written: names that would
 * write outside the folder (absolute, `..`, symbolic links), two entries
 * for one path, a file where another entry needs a folder, entries named
 * like the archive or its sidecar, and archives over
 * #ViClient:max-extract-entries or #ViClient:max-extract-size.  A bad
 * archive is deleted, so that the next call starts over; the archive and
 * the sidecar are deleted after a successful extraction.
 *
 * Symbolic links in the destination are never followed: when
 * `destination_dir/<dataset id>` or one of the folders inside it is a
 * link, the call fails with %VI_ERROR_INVALID_ARGUMENT naming it.
 *
 * Returns: %TRUE when the archive is extracted
 */
gboolean
vi_client_download_export (ViClient              *self,
                           ViExportedAnnotations *export_,
                           const char            *destination_dir,
                           guint                  n_connections,
                           ViDownloadProgressFunc progress,
                           gpointer               progress_data,
                           GCancellable          *cancellable,
                           GError               **error)
{
  DownloadArgs a = { .client = self,
                     .export_ = export_,
                     .destination_dir = destination_dir,
                     .n_connections = n_connections,
                     .progress = progress,
                     .progress_data = progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (export_ != NULL, FALSE);
  g_return_val_if_fail (destination_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = _vi_run_sync (start_download, &a, cancellable);
  return vi_client_download_export_finish (self, result, error);
}
