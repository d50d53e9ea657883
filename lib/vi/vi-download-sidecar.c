/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The sidecar of a download, "<export>.zip.part.json": the ranges of the
 * .part file that are complete, so that a call after an interruption
 * fetches only the missing ones.  It is read as untrusted: any surprise
 * means starting over.
 */
#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "vi-download-private.h"
#include "vi-json-private.h"

#define SIDECAR_VERSION 1
/* A sidecar asking for more ranges than this is not one of ours. */
#define MAX_SIDECAR_CHUNKS ((guint64) 1 << 22)

gboolean
_vi_download_save_sidecar (ViDownload *dl, GError **error)
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
    if (dl->chunks[i] == VI_CHUNK_DONE)
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
 * chunks it records become VI_CHUNK_DONE. */
gboolean
_vi_download_load_sidecar (ViDownload *dl)
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
    if (index >= 0 && index < dl->n_chunks &&
        dl->chunks[index] != VI_CHUNK_DONE) {
      guint64 start = (guint64) index * dl->chunk_size;

      dl->chunks[index] = VI_CHUNK_DONE;
      dl->bytes_done += MIN (dl->chunk_size, dl->size - start);
    }
  }
  return TRUE;
}
