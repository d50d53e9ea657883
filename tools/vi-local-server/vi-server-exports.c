/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Dataset exports: create one (built on the pool into a ZIP archive of
 * the dataset in the ViJsonl form), read them, and download the archive
 * (ranges, no authentication: the export id is the credential).
 */
#include "config.h"

#include "vi-server-exports.h"
#include "vi-zip.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define DOWNLOAD_LIFETIME_MS (60 * 60 * 1000)

typedef struct {
  char             *id;
  char             *dataset_id;
  char             *format;
  gboolean          normalized;
  gboolean          has_split_ratio;
  double            split_ratio;
  gint64            time_created;
  gint64            last_updated;
  gint64            generation;
  char             *etag;
  ViServerCondition ready;
  char             *message;
  char             *path; /* the archive, once ready */
  gint64            expires_at;
} DatasetExport;

static void process_export (ViServerWrite *w, const char *id, gint64 queued);

static void
dataset_export_free (DatasetExport *e)
{
  g_free (e->id);
  g_free (e->dataset_id);
  g_free (e->format);
  g_free (e->etag);
  vi_server_condition_clear (&e->ready);
  g_free (e->message);
  if (e->path != NULL)
    g_unlink (e->path);
  g_free (e->path);
  g_free (e);
}

static GString *
export_to_json (ViServerWrite *w, DatasetExport *e)
{
  const char *org = w->org;
  GString    *out = g_string_sized_new (1024);

  g_string_append (out, "{\"kind\":\"DatasetExport\"");
  vi_server_json_append_ids (out, org, e->dataset_id);
  vi_server_json_append_member (out, "datasetExportId");
  vi_json_append_string (out, e->id);
  vi_server_json_append_member (out, "spec");
  g_string_append (out, "{\"format\":");
  vi_json_append_string (out, e->format);
  g_string_append (out, ",\"options\":{\"normalized\":");
  g_string_append (out, e->normalized ? "true" : "false");
  g_string_append (out, ",\"splitRatio\":");
  if (e->has_split_ratio)
    vi_server_json_append_double (out, e->split_ratio);
  else
    g_string_append (out, "null");
  g_string_append (out, "}}");
  vi_server_json_append_member (out, "status");
  g_string_append (out, "{\"conditions\":[");
  vi_server_json_append_condition (out, &e->ready, e->message);
  g_string_append_c (out, ']');
  if (e->path != NULL) {
    g_autofree char *url = vi_server_state_get_url (w->state);

    g_string_append (out, ",\"downloadUrl\":{\"url\":");
    g_string_append_c (out, '"');
    g_string_append (out, url);
    g_string_append (out, "/downloads/");
    vi_server_append_segment (out, e->id);
    g_string_append (out, ".zip\",\"expiresAt\":");
    vi_json_append_int (out, e->expires_at);
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, '}');
  vi_server_json_append_metadata (out, e->time_created, e->last_updated,
                                  e->generation, NULL);
  vi_server_json_append_member (out, "selfLink");
  g_string_append_c (out, '"');
  vi_server_append_dataset_path (out, org, e->dataset_id);
  g_string_append (out, "/datasetExports/");
  vi_server_append_segment (out, e->id);
  g_string_append_c (out, '"');
  vi_server_json_append_member (out, "etag");
  vi_json_append_string (out, e->etag);
  g_string_append_c (out, '}');
  return out;
}

static void
handle_create_export (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  g_autoptr (JsonNode) root = NULL;
  JsonObject    *body, *spec, *options = NULL;
  const char    *format;
  gboolean       normalized = TRUE, has_split = FALSE;
  double         split = 0.0;
  DatasetExport *e;
  ViStore       *store;
  GString       *out;

  body = vi_server_request_parse_body (req, &root);
  if (body == NULL)
    return;
  spec = vi_server_json_get_object (body, "spec");
  if (spec == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "spec is missing or not an object");
    return;
  }
  format = vi_server_json_is_null (spec, "format")
      ? "ViFull"
      : vi_server_json_get_string (spec, "format");
  if (format == NULL ||
      (!g_str_equal (format, "ViJsonl") && !g_str_equal (format, "ViFull"))) {
    vi_server_request_reply_error (
        req, SOUP_STATUS_BAD_REQUEST,
        "spec.format must be \"ViJsonl\" or \"ViFull\" "
        "(ViTfrecord is not supported by the local server)");
    return;
  }
  if (!vi_server_json_is_null (spec, "options")) {
    options = vi_server_json_get_object (spec, "options");
    if (options == NULL) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.options must be an object");
      return;
    }
  }
  if (options != NULL && !vi_server_json_is_null (options, "normalized")) {
    JsonNode *node = json_object_get_member (options, "normalized");

    if (!JSON_NODE_HOLDS_VALUE (node) ||
        json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.options.normalized must be a boolean");
      return;
    }
    normalized = json_node_get_boolean (node);
  }
  if (options != NULL && !vi_server_json_is_null (options, "splitRatio")) {
    JsonNode *node = json_object_get_member (options, "splitRatio");

    if (!JSON_NODE_HOLDS_VALUE (node) ||
        (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
         json_node_get_value_type (node) != G_TYPE_INT64) ||
        (split = json_node_get_double (node)) < 0.0 || split > 1.0) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.options.splitRatio must be null or a number "
                                     "from 0 to 1");
      return;
    }
    has_split = TRUE;
  }

  store = vi_server_state_lock_store (req->state);
  if (vi_store_lookup_dataset (store, req->dataset_id) == NULL) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "dataset “%s” not found", req->dataset_id);
    return;
  }
  e = g_new0 (DatasetExport, 1);
  do {
    g_free (e->id);
    e->id = vi_server_random_string (20);
  } while (g_hash_table_contains (w->exports, e->id));
  e->dataset_id = g_strdup (req->dataset_id);
  e->format = g_strdup (format);
  e->normalized = normalized;
  e->has_split_ratio = has_split;
  e->split_ratio = split;
  e->time_created = e->last_updated = vi_server_now_ms ();
  e->generation = 1;
  e->etag = vi_store_random_etag ();
  e->ready.condition = g_strdup ("Ready");
  e->ready.status = g_strdup ("Waiting");
  e->ready.time = e->time_created;
  g_hash_table_insert (w->exports, e->id, e);
  g_ptr_array_add (w->export_order, e);
  vi_server_write_queue_job (w, process_export, e->id);
  out = export_to_json (w, e);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_get_export (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  const char    *id = vi_server_request_get_param (req, "export");
  DatasetExport *e;
  GString       *out;

  vi_server_state_lock_store (req->state);
  e = g_hash_table_lookup (w->exports, id);
  if (e == NULL || !g_str_equal (e->dataset_id, req->dataset_id)) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "dataset export “%s” not found in dataset “%s”",
                                   id, req->dataset_id);
    return;
  }
  out = export_to_json (w, e);
  vi_server_state_unlock_store (req->state);
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_list_exports (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  ViStore       *store;
  GString       *out = g_string_new ("{\"items\":[");
  gboolean       first = TRUE;
  guint          i;

  store = vi_server_state_lock_store (req->state);
  if (vi_store_lookup_dataset (store, req->dataset_id) == NULL) {
    vi_server_state_unlock_store (req->state);
    g_string_free (out, TRUE);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "dataset “%s” not found", req->dataset_id);
    return;
  }
  for (i = 0; i < w->export_order->len; i++) {
    DatasetExport *e = g_ptr_array_index (w->export_order, i);
    GString       *item;

    if (!g_str_equal (e->dataset_id, req->dataset_id))
      continue;
    if (!first)
      g_string_append_c (out, ',');
    first = FALSE;
    item = export_to_json (w, e);
    g_string_append_len (out, item->str, item->len);
    g_string_free (item, TRUE);
  }
  vi_server_state_unlock_store (req->state);
  g_string_append (out, "],\"nextPage\":null,\"prevPage\":null}");
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static int
compare_annotation_seq (gconstpointer a, gconstpointer b)
{
  const ViStoreAnnotation *x = *(ViStoreAnnotation *const *) a;
  const ViStoreAnnotation *y = *(ViStoreAnnotation *const *) b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
append_export_head (GString *out, const ViStoreAnnotation *part)
{
  g_string_append (out, "{\"id\":");
  vi_json_append_string (out, part->group_id);
  g_string_append (out, ",\"asset\":{\"type\":\"Image\",\"filename\":");
  vi_json_append_string (out, part->asset->id);
  g_string_append (out,
                   ",\"height\":0,\"width\":0,\"filepath\":null,\"url\":null}");
}

static ViContentKind
part_content_kind (const ViStoreAnnotation *part)
{
  switch (part->kind) {
    case VI_STORE_PART_CAPTION:
      return VI_CONTENT_KIND_CAPTION;
    case VI_STORE_PART_BOX:
      return VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX;
    case VI_STORE_PART_VQA:
    default:
      return VI_CONTENT_KIND_VQA;
  }
}

/* The dataset in the ViJsonl form (docs/protocol.md §12), one line per
 * whole (the parts sharing whole.id, grouped by libvi's ViWholes), in the
 * order the wholes were created.  Called with the lock held. */
static guint
export_dataset_lines (ViStoreDataset *dataset, GString *out)
{
  g_autoptr (GPtrArray) anns = g_ptr_array_new ();
  g_autoptr (ViWholes) wholes = vi_wholes_new ();
  GHashTableIter iter;
  gpointer       value;
  guint          i, j, w, n_lines = 0;

  g_hash_table_iter_init (&iter, dataset->annotations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (anns, value);
  g_ptr_array_sort (anns, compare_annotation_seq);

  for (i = 0; i < anns->len; i++) {
    const ViStoreAnnotation *ann = g_ptr_array_index (anns, i);

    vi_wholes_add_part (wholes, i, ann->group_id, part_content_kind (ann));
  }

  for (w = 0; w < vi_wholes_get_n_wholes (wholes); w++) {
    const ViStoreAnnotation *caption_part = NULL;
    const guint             *boxes, *vqa;
    guint                    n_boxes, n_vqa, part;

    if (vi_wholes_get_caption (wholes, w, &part))
      caption_part = g_ptr_array_index (anns, part);
    boxes = vi_wholes_get_boxes (wholes, w, &n_boxes);
    vqa = vi_wholes_get_vqa (wholes, w, &n_vqa);

    /* Boxes whose caption part was deleted have no phrase text left:
       * they are not exported. */
    if (caption_part != NULL) {
      const char *caption = caption_part->text;
      glong       n_chars = g_utf8_strlen (caption, -1);
      gboolean    first = TRUE;

      append_export_head (out, caption_part);
      g_string_append (out,
                       ",\"contents\":{\"type\":\"PhraseGrounding\",\"caption\":");
      vi_json_append_string (out, caption);
      g_string_append (out, ",\"groundedPhrases\":[");
      for (j = 0; j < n_boxes; j++) {
        const ViStoreAnnotation *box = g_ptr_array_index (anns, boxes[j]);
        const char              *start, *end;

        if (box->target[0] < 0 || box->target[1] > n_chars ||
            box->target[0] >= box->target[1])
          continue;
        start = g_utf8_offset_to_pointer (caption, box->target[0]);
        end = g_utf8_offset_to_pointer (caption, box->target[1]);
        if (!first)
          g_string_append_c (out, ',');
        first = FALSE;
        g_string_append (out, "{\"phrase\":");
        {
          g_autofree char *phrase = g_strndup (start, (gsize) (end - start));

          vi_json_append_string (out, phrase);
        }
        g_string_append (out, ",\"startTokenIndex\":");
        vi_json_append_int (out, box->target[0]);
        g_string_append (out, ",\"endTokenIndex\":");
        vi_json_append_int (out, box->target[1]);
        g_string_append (out, ",\"bounds\":[[");
        vi_server_json_append_double (out, box->bbox.x_min);
        g_string_append_c (out, ',');
        vi_server_json_append_double (out, box->bbox.y_min);
        g_string_append_c (out, ',');
        vi_server_json_append_double (out, box->bbox.x_max);
        g_string_append_c (out, ',');
        vi_server_json_append_double (out, box->bbox.y_max);
        g_string_append (out, "]]}");
      }
      g_string_append (out, "]},\"category\":null}\n");
      n_lines++;
    }
    if (n_vqa > 0) {
      append_export_head (out, g_ptr_array_index (anns, vqa[0]));
      g_string_append (out,
                       ",\"contents\":{\"type\":\"Vqa\",\"interactions\":[");
      for (j = 0; j < n_vqa; j++) {
        const ViStoreAnnotation *pair = g_ptr_array_index (anns, vqa[j]);

        if (j > 0)
          g_string_append_c (out, ',');
        g_string_append (out, "{\"order\":");
        vi_json_append_int (out, j);
        g_string_append (out, ",\"question\":");
        vi_json_append_string (out, pair->text);
        g_string_append (out, ",\"answer\":");
        vi_json_append_string (out, pair->answer);
        g_string_append_c (out, '}');
      }
      g_string_append (out, "]},\"category\":null}\n");
      n_lines++;
    }
  }
  return n_lines;
}

static void
process_export (ViServerWrite *w, const char *id, gint64 queued)
{
  g_autoptr (GString) lines = g_string_new (NULL);
  g_autoptr (GString) metadata = g_string_new (NULL);
  g_autoptr (ViZipWriter) zip = NULL;
  g_autoptr (GBytes) archive = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dataset_id = NULL;
  g_autofree char *org = NULL;
  g_autofree char *format = NULL;
  ViStoreDataset  *dataset;
  const char      *dir;
  DatasetExport   *e;
  ViStore         *store;
  gboolean         normalized;
  guint            n_lines = 0;
  gint64           now;

  store = vi_server_state_lock_store (w->state);
  if (!vi_server_write_wait_delay (w, queued) ||
      (e = g_hash_table_lookup (w->exports, id)) == NULL) {
    vi_server_state_unlock_store (w->state);
    return;
  }
  dataset_id = g_strdup (e->dataset_id);
  format = g_strdup (e->format);
  normalized = e->normalized;
  org = g_strdup (vi_store_get_organization_id (store));
  dataset = vi_store_lookup_dataset (store, dataset_id);
  if (dataset != NULL)
    n_lines = export_dataset_lines (dataset, lines);
  dir = vi_server_write_work_dir (w, &error);
  if (dir != NULL)
    path = g_build_filename (dir, id, NULL);
  vi_server_state_unlock_store (w->state);

  now = vi_server_now_ms ();
  g_string_append (metadata, "{\"workspaceId\":");
  vi_json_append_string (metadata, org);
  g_string_append (metadata, ",\"datasetId\":");
  {
    g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

    vi_json_append_string (metadata, composite);
  }
  g_string_append (metadata, ",\"datasetExportId\":");
  vi_json_append_string (metadata, id);
  g_string_append (metadata, ",\"format\":");
  vi_json_append_string (metadata, format);
  g_string_append_printf (metadata, ",\"normalized\":%s,\"timeCreated\":",
                          normalized ? "true" : "false");
  vi_json_append_int (metadata, now);
  g_string_append (metadata,
                   ",\"annotationFiles\":[\"dump/annotations/annotations.jsonl\"]"
                   ",\"lines\":");
  vi_json_append_int (metadata, n_lines);
  g_string_append (metadata, "}\n");

  zip = vi_zip_writer_new ();
  if (path != NULL &&
      vi_zip_writer_add (zip, "metadata.json", (const guint8 *) metadata->str,
                         metadata->len, &error) &&
      vi_zip_writer_add (zip, "dump/annotations/annotations.jsonl",
                         (const guint8 *) lines->str, lines->len, &error)) {
    archive = vi_zip_writer_finish (zip);
    if (!g_file_set_contents_full (path, g_bytes_get_data (archive, NULL),
                                   (gssize) g_bytes_get_size (archive),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                   &error))
      g_clear_pointer (&archive, g_bytes_unref);
  }

  vi_server_state_lock_store (w->state);
  e = g_hash_table_lookup (w->exports, id);
  if (e != NULL && !w->shutdown) {
    g_free (e->ready.status);
    e->ready.time = MAX (vi_server_now_ms (), e->ready.time);
    if (archive != NULL) {
      e->ready.status = g_strdup ("Reached");
      e->path = g_steal_pointer (&path);
      e->expires_at = vi_server_now_ms () + DOWNLOAD_LIFETIME_MS;
    } else {
      e->ready.status = g_strdup ("FailedReach");
      e->message = g_strdup_printf ("cannot write the archive: %s",
                                    error != NULL ? error->message
                                                  : "no work directory");
    }
    e->last_updated = MAX (vi_server_now_ms (), e->last_updated);
    e->generation++;
    g_free (e->etag);
    e->etag = vi_store_random_etag ();
  }
  vi_server_state_unlock_store (w->state);
}

/* Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n".  Returns 0 when
 * there is no usable single range (the whole file is sent), 206 with the
 * range set, or 416. */
static guint
parse_range (const char *header, guint64 total, guint64 *start, guint64 *end)
{
  const char *p, *dash;
  guint64     a, b;
  char       *endp;

  if (header == NULL)
    return 0;
  while (g_ascii_isspace (*header))
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return 0;
  p = header + 6;
  if (strchr (p, ',') != NULL)
    return 0;
  dash = strchr (p, '-');
  if (dash == NULL)
    return 0;

  if (dash == p) {
    /* The last n bytes. */
    b = g_ascii_strtoull (dash + 1, &endp, 10);
    if (endp == dash + 1 || *endp != '\0')
      return 0;
    if (b == 0 || total == 0)
      return 416;
    *start = b >= total ? 0 : total - b;
    *end = total - 1;
    return 206;
  }

  a = g_ascii_strtoull (p, &endp, 10);
  if (endp != dash)
    return 0;
  if (dash[1] == '\0') {
    b = total - 1;
  } else {
    b = g_ascii_strtoull (dash + 1, &endp, 10);
    if (*endp != '\0')
      return 0;
    if (b < a)
      return 0;
  }
  if (a >= total)
    return 416;
  *start = a;
  *end = MIN (b, total - 1);
  return 206;
}

static void
handle_download (ViServerRequest *req)
{
  ViServerWrite      *w = req->state->write;
  const char         *file = vi_server_request_get_param (req, "file");
  SoupMessageHeaders *request_headers =
      soup_server_message_get_request_headers (req->msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (
      req->msg);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  guint64        total, start = 0, end = 0;
  DatasetExport *e;
  gboolean       expired = FALSE;
  guint          status;

  if (g_str_has_suffix (file, ".zip"))
    id = g_strndup (file, strlen (file) - 4);

  vi_server_state_lock_store (req->state);
  e = id != NULL ? g_hash_table_lookup (w->exports, id) : NULL;
  if (e != NULL && e->path != NULL) {
    path = g_strdup (e->path);
    expired = vi_server_now_ms () > e->expires_at;
  }
  vi_server_state_unlock_store (req->state);

  if (path == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "no such download: “%s”", file);
    return;
  }
  if (expired) {
    vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN,
                                   "the download URL expired");
    return;
  }

  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   "cannot read the archive: %s",
                                   error->message);
    return;
  }
  bytes = g_mapped_file_get_bytes (mapped);
  total = g_bytes_get_size (bytes);

  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  soup_message_headers_replace (headers, "Content-Type", "application/zip");

  status = g_str_equal (req->method, SOUP_METHOD_GET)
      ? parse_range (soup_message_headers_get_one (request_headers, "Range"),
                     total, &start, &end)
      : 0;
  if (status == 416) {
    g_autofree char *range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT,
                                              total);

    soup_message_headers_replace (headers, "Content-Range", range);
    vi_server_request_reply_error (req,
                                   SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                                   "the range is outside the %" G_GUINT64_FORMAT
                                   " bytes of the file",
                                   total);
    return;
  }

  soup_server_message_set_status (req->msg,
                                  status == 206 ? SOUP_STATUS_PARTIAL_CONTENT
                                                : SOUP_STATUS_OK,
                                  NULL);
  soup_message_body_truncate (soup_server_message_get_response_body (req->msg));
  if (status == 206) {
    g_autoptr (GBytes)
        part = g_bytes_new_from_bytes (bytes, start, end - start + 1);
    g_autofree char *range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT
                                              "-%" G_GUINT64_FORMAT
                                              "/%" G_GUINT64_FORMAT,
                                              start, end, total);

    soup_message_headers_replace (headers, "Content-Range", range);
    soup_message_body_append_bytes (soup_server_message_get_response_body (
                                        req->msg),
                                    part);
  } else {
    soup_message_body_append_bytes (soup_server_message_get_response_body (
                                        req->msg),
                                    bytes);
  }
}

void
vi_server_exports_init (ViServerWrite *w)
{
  w->exports = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) dataset_export_free);
  w->export_order = g_ptr_array_new ();
}

const ViServerRoute vi_server_export_routes[] = {
  { "POST", "/workspaces/{org}/datasets/{dataset}/datasetExports",
    handle_create_export },
  { "GET", "/workspaces/{org}/datasets/{dataset}/datasetExports",
    handle_list_exports },
  { "GET", "/workspaces/{org}/datasets/{dataset}/datasetExports/{export}",
    handle_get_export },
  { NULL, NULL, NULL },
};

const ViServerRoute vi_server_download_routes[] = {
  { "GET", "/downloads/{file}", handle_download },
  { NULL, NULL, NULL },
};
