/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The routes of import sessions: create one, read it, register its files
 * (and get their signed upload URLs), and patch its status, which queues
 * its processing (vi-server-import-process.c).
 */
#include "config.h"

#include "vi-server-imports.h"
#include "vi-server-import-process.h"
#include "vi-server-json.h"

#include <string.h>

#include <json-glib/json-glib.h>

static void
handle_create_session (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) attributes = g_ptr_array_new_with_free_func (g_free);
  JsonObject *body, *spec, *policies, *metadata, *attrs = NULL;
  const char *names[] = { "onBadAnnotation", "onBadFile", "onOverwritten" };
  const char *values[3];
  const char *source = NULL;
  const char *bad;
  ViServerImportSession *s;
  gint64                 upload_before;
  ViStore               *store;
  GString               *out;
  guint                  i;

  body = vi_server_request_parse_body (req, &root);
  if (body == NULL)
    return;

  spec = vi_server_json_get_object (body, "spec");
  if (spec == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "spec is missing or not an object");
    return;
  }
  if (!vi_server_json_get_integer (spec, "uploadBefore", &upload_before)) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "spec.uploadBefore must be an integer "
                                   "(milliseconds since the epoch)");
    return;
  }
  policies = vi_server_json_get_object (spec, "failurePolicies");
  if (policies == NULL) {
    vi_server_request_reply_error (
        req, SOUP_STATUS_BAD_REQUEST,
        "spec.failurePolicies is missing or not an object");
    return;
  }
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    values[i] = vi_server_json_get_string (policies, names[i]);
    if (!vi_server_is_policy (values[i])) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.failurePolicies.%s must be \"Warn\", "
                                     "\"RejectFile\" or \"RejectSession\"",
                                     names[i]);
      return;
    }
  }
  if (!vi_server_json_is_null (spec, "source")) {
    source = vi_server_json_get_string (spec, "source");
    if (source == NULL || !g_str_equal (source, "UploadedIndividualFiles")) {
      vi_server_request_reply_error (
          req, SOUP_STATUS_BAD_REQUEST,
          "spec.source must be \"UploadedIndividualFiles\"");
      return;
    }
  }
  if (!vi_server_json_is_null (body, "metadata")) {
    metadata = vi_server_json_get_object (body, "metadata");
    if (metadata == NULL) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "metadata must be an object");
      return;
    }
    if (!vi_server_json_is_null (metadata, "attributes")) {
      attrs = vi_server_json_get_object (metadata, "attributes");
      if (attrs == NULL) {
        vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                       "metadata.attributes must be an object "
                                       "of strings");
        return;
      }
    }
  }
  if (attrs != NULL &&
      (bad = vi_server_json_read_attributes (attrs, attributes)) != NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "metadata.attributes.%s must be a string",
                                   bad);
    return;
  }

  store = vi_server_state_lock_store (req->state);
  if (!vi_store_ensure_dataset (store, req->dataset_id, &error)) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "%s",
                                   error->message);
    return;
  }

  s = g_new0 (ViServerImportSession, 1);
  do {
    g_free (s->id);
    s->id = vi_server_random_string (20);
  } while (g_hash_table_contains (w->sessions, s->id));
  s->dataset_id = g_strdup (req->dataset_id);
  s->time_created = s->last_updated = vi_server_now_ms ();
  s->generation = 1;
  s->etag = vi_store_random_etag ();
  s->attributes = g_steal_pointer (&attributes);
  s->upload_before = upload_before;
  s->on_bad_annotation = g_strdup (values[0]);
  s->on_bad_file = g_strdup (values[1]);
  s->on_overwritten = g_strdup (values[2]);
  s->source = g_strdup (source);
  s->conditions = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_server_condition_free);
  s->files = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_server_import_file_free);
  g_hash_table_insert (w->sessions, s->id, s);
  vi_server_session_save (w, store, s);
  out = vi_server_session_to_json (w, s);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

ViServerImportSession *
vi_server_lock_session (ViServerRequest *req, ViStore **store)
{
  ViServerWrite         *w = req->state->write;
  const char            *id = vi_server_request_get_param (req, "session");
  ViStore               *locked;
  ViServerImportSession *s;

  locked = vi_server_state_lock_store (req->state);
  if (store != NULL)
    *store = locked;
  s = g_hash_table_lookup (w->sessions, id);
  if (s == NULL || !g_str_equal (s->dataset_id, req->dataset_id)) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "annotation import session “%s” not found in "
                                   "dataset “%s”",
                                   id, req->dataset_id);
    return NULL;
  }
  return s;
}

static void
handle_get_session (ViServerRequest *req)
{
  ViServerWrite         *w = req->state->write;
  ViServerImportSession *s = vi_server_lock_session (req, NULL);
  GString               *out;

  if (s == NULL)
    return;
  out = vi_server_session_to_json (w, s);
  vi_server_state_unlock_store (req->state);
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static gboolean
file_name_is_valid (const char *name)
{
  return *name != '\0' && strchr (name, '/') == NULL &&
      strchr (name, '\\') == NULL && !g_str_equal (name, ".") &&
      !g_str_equal (name, "..") && g_utf8_validate (name, -1, NULL);
}

typedef struct {
  const char *name;
  gint64      size;
  guint32     crc;
  const char *crc_b64;
} FileSpec;

static void
handle_register_files (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GArray) specs = g_array_new (FALSE, TRUE, sizeof (FileSpec));
  g_autoptr (GList) members = NULL;
  g_autofree char       *base_url = NULL;
  JsonObject            *body, *files;
  ViServerImportSession *s;
  GString               *out;
  GList                 *l;
  guint                  i, j;

  body = vi_server_request_parse_body (req, &root);
  if (body == NULL)
    return;
  files = vi_server_json_get_object (body, "files");
  if (files == NULL || json_object_get_size (files) == 0) {
    vi_server_request_reply_error (
        req, SOUP_STATUS_BAD_REQUEST,
        "files must be a non-empty object of "
        "{\"name\": {\"sizeBytes\", \"crc32c\", \"kind\"}}");
    return;
  }

  /* json-glib 1.6 keeps members in document order. */
  members = json_object_get_members (files);
  for (l = members; l != NULL; l = l->next) {
    const char        *name = l->data;
    JsonObject        *spec = vi_server_json_get_object (files, name);
    FileSpec           fs = { name, 0, 0, NULL };
    g_autofree guint8 *raw = NULL;
    const char        *kind;
    gsize              raw_len = 0;

    if (!file_name_is_valid (name)) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "files: “%s” is not a file base name",
                                     name);
      return;
    }
    if (spec == NULL) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "files.%s must be an object", name);
      return;
    }
    if (!vi_server_json_get_integer (spec, "sizeBytes", &fs.size) ||
        fs.size < 0) {
      vi_server_request_reply_error (
          req, SOUP_STATUS_BAD_REQUEST,
          "files.%s.sizeBytes must be a non-negative integer", name);
      return;
    }
    fs.crc_b64 = vi_server_json_get_string (spec, "crc32c");
    if (fs.crc_b64 != NULL && strlen (fs.crc_b64) == 8)
      raw = g_base64_decode (fs.crc_b64, &raw_len);
    if (raw == NULL || raw_len != 4) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "files.%s.crc32c must be the base64 of the 4-byte "
                                     "big-endian CRC-32C",
                                     name);
      return;
    }
    fs.crc = ((guint32) raw[0] << 24) | ((guint32) raw[1] << 16) |
        ((guint32) raw[2] << 8) | raw[3];
    kind = vi_server_json_get_string (spec, "kind");
    if (!vi_server_json_is_null (spec, "kind") &&
        (kind == NULL || !g_str_equal (kind, "Unknown"))) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "files.%s.kind must be \"Unknown\"", name);
      return;
    }
    g_array_append_val (specs, fs);
  }

  s = vi_server_lock_session (req, NULL);
  if (s == NULL)
    return;
  if (s->files_inserted) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_CONFLICT,
                                   "the session is past FilesInserted: no more files "
                                   "can be registered");
    return;
  }

  base_url = vi_server_state_get_url (req->state);
  out = g_string_new ("{\"files\":{");
  for (i = 0; i < specs->len; i++) {
    const FileSpec     *fs = &g_array_index (specs, FileSpec, i);
    ViServerImportFile *file = g_new0 (ViServerImportFile, 1);

    /* Registering a name again replaces it, and its old URL dies. */
    for (j = 0; j < s->files->len; j++) {
      ViServerImportFile *old = g_ptr_array_index (s->files, j);

      if (g_str_equal (old->name, fs->name)) {
        g_hash_table_remove (w->tokens, old->token);
        s->total_size -= old->size;
        g_ptr_array_remove_index (s->files, j);
        break;
      }
    }
    file->session = s;
    file->name = g_strdup (fs->name);
    file->size = (guint64) fs->size;
    file->crc = fs->crc;
    file->crc_b64 = vi_crc32c_to_base64 (fs->crc);
    do {
      g_free (file->token);
      file->token = vi_server_random_string (43);
    } while (g_hash_table_contains (w->tokens, file->token));
    file->state = FILE_REGISTERED;
    g_ptr_array_add (s->files, file);
    g_hash_table_insert (w->tokens, file->token, file);
    s->total_size += file->size;

    if (i > 0)
      g_string_append_c (out, ',');
    vi_json_append_string (out, file->name);
    g_string_append (out, ":{\"method\":\"PUT\",\"url\":\"");
    g_string_append (out, base_url);
    g_string_append (out, "/upload/");
    g_string_append (out, file->token);
    g_string_append (out,
                     "\",\"headers\":{\"content-type\":\"application/octet-stream\","
                     "\"x-goog-hash\":\"crc32c=");
    g_string_append (out, file->crc_b64);
    g_string_append (out, "\"}}");
  }
  g_string_append (out, "}}");
  vi_server_session_touch (s);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_patch_status (ViServerRequest *req)
{
  ViServerWrite *w = req->state->write;
  g_autoptr (JsonNode) root = NULL;
  JsonObject            *body, *status, *cond;
  JsonNode              *conditions;
  JsonArray             *array;
  const char            *name, *value, *reason = NULL;
  gint64                 time = vi_server_now_ms ();
  ViServerImportSession *s;
  ViStore               *store;
  GString               *out;

  body = vi_server_request_parse_body (req, &root);
  if (body == NULL)
    return;
  status = vi_server_json_get_object (body, "status");
  conditions = status != NULL ? json_object_get_member (status, "conditions")
                              : NULL;
  if (conditions == NULL || !JSON_NODE_HOLDS_ARRAY (conditions) ||
      json_array_get_length (array = json_node_get_array (conditions)) != 1 ||
      (cond = json_array_get_object_element (array, 0)) == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "status.conditions must be an array of one condition "
                                   "object");
    return;
  }
  name = vi_server_json_get_string (cond, "condition");
  if (name == NULL || !g_str_equal (name, "FilesInserted")) {
    vi_server_request_reply_error (
        req, SOUP_STATUS_BAD_REQUEST,
        "status.conditions[0].condition must be \"FilesInserted\"");
    return;
  }
  value = vi_server_json_get_string (cond, "status");
  if (value == NULL ||
      (!g_str_equal (value, "Reached") &&
       !g_str_equal (value, "FailedReach"))) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "status.conditions[0].status must be \"Reached\" or "
                                   "\"FailedReach\"");
    return;
  }
  if (!vi_server_json_is_null (cond, "lastTransitionTime")) {
    JsonNode *node = json_object_get_member (cond, "lastTransitionTime");

    if (!JSON_NODE_HOLDS_VALUE (node) ||
        (json_node_get_value_type (node) != G_TYPE_INT64 &&
         json_node_get_value_type (node) != G_TYPE_DOUBLE)) {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "status.conditions[0].lastTransitionTime must be "
                                     "a number (milliseconds since the epoch)");
      return;
    }
    time = json_node_get_value_type (node) == G_TYPE_INT64
        ? json_node_get_int (node)
        : (gint64) json_node_get_double (node);
  }
  if (!vi_server_json_is_null (cond, "reason")) {
    reason = vi_server_json_get_string (cond, "reason");
    if (reason == NULL ||
        (!g_str_equal (reason, "UserUploadErrored") &&
         !g_str_equal (reason, "CancelledByUser"))) {
      vi_server_request_reply_error (
          req, SOUP_STATUS_BAD_REQUEST,
          "status.conditions[0].reason must be "
          "\"UserUploadErrored\", \"CancelledByUser\" or null");
      return;
    }
  }

  s = vi_server_lock_session (req, &store);
  if (s == NULL)
    return;
  if (s->files_inserted) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_CONFLICT,
                                   "the session already has FilesInserted (%s)",
                                   s->finished ? "finished"
                                               : "being processed");
    return;
  }

  s->files_inserted = TRUE;
  vi_server_session_set_condition (s, "FilesInserted", value, time, reason);
  if (g_str_equal (value, "Reached")) {
    vi_server_session_set_condition (s, "Complete", "Waiting",
                                     MAX (vi_server_now_ms (), time), NULL);
    vi_server_write_queue_job (w, vi_server_import_process, s->id);
  } else {
    s->finished = TRUE;
    g_free (s->reason);
    s->reason =
        g_strdup_printf ("the client reported FilesInserted FailedReach (%s)",
                         reason != NULL ? reason : "no reason");
  }
  vi_server_session_touch (s);
  vi_server_session_save (w, store, s);
  out = vi_server_session_to_json (w, s);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

const ViServerRoute vi_server_import_routes[] = {
  { "POST", "/workspaces/{org}/datasets/{dataset}/annotationImportSessions",
    handle_create_session },
  { "GET",
    "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}",
    handle_get_session },
  { "POST",
    "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}/files",
    handle_register_files },
  { "PATCH",
    "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}/status",
    handle_patch_status },
  { NULL, NULL, NULL },
};
