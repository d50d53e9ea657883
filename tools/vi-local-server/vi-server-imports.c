/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Import sessions: create one, read it, register its files, patch its
 * status, process its files (on the pool), and keep it across restarts.
 */
#include "config.h"

#include "vi-server-imports.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define SESSION_RECORD "session"

static void process_import (ViServerWrite *w, const char *id, gint64 queued);

void
vi_server_imports_init (ViServerWrite *w)
{
  w->sessions =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                             (GDestroyNotify) vi_server_import_session_free);
  w->tokens = g_hash_table_new (g_str_hash, g_str_equal);
}

void
vi_server_import_file_free (ViServerImportFile *file)
{
  g_free (file->name);
  g_free (file->crc_b64);
  g_free (file->token);
  g_free (file->reason);
  if (file->path != NULL)
    g_unlink (file->path);
  g_free (file->path);
  g_free (file);
}

void
vi_server_import_session_free (ViServerImportSession *s)
{
  g_free (s->id);
  g_free (s->dataset_id);
  g_free (s->etag);
  g_ptr_array_unref (s->attributes);
  g_free (s->on_bad_annotation);
  g_free (s->on_bad_file);
  g_free (s->on_overwritten);
  g_free (s->source);
  g_ptr_array_unref (s->conditions);
  g_ptr_array_unref (s->files);
  g_free (s->reason);
  g_free (s);
}

void
vi_server_session_touch (ViServerImportSession *s)
{
  s->last_updated = MAX (vi_server_now_ms (), s->last_updated);
  s->generation++;
  g_free (s->etag);
  s->etag = vi_store_random_etag ();
}

/* Records a condition as the newest one, replacing an older entry of the
 * same name. */
void
vi_server_session_set_condition (ViServerImportSession *s,
                                 const char            *name,
                                 const char            *status,
                                 gint64                 time,
                                 const char            *reason)
{
  ViServerCondition *c = g_new0 (ViServerCondition, 1);
  guint              i;

  for (i = 0; i < s->conditions->len; i++) {
    ViServerCondition *old = g_ptr_array_index (s->conditions, i);

    if (g_str_equal (old->condition, name)) {
      g_ptr_array_remove_index (s->conditions, i);
      break;
    }
  }
  c->condition = g_strdup (name);
  c->status = g_strdup (status);
  c->time = time;
  c->reason = g_strdup (reason);
  g_ptr_array_insert (s->conditions, 0, c);
}

GString *
vi_server_session_to_json (ViServerWrite *w, ViServerImportSession *s)
{
  const char *org = w->org;
  GString    *out = g_string_sized_new (1024);
  gboolean    first;
  guint       i;

  g_string_append (out, "{\"kind\":\"AnnotationImportSession\"");
  vi_server_json_append_member (out, "user");
  vi_json_append_string (out, "local-user");
  vi_server_json_append_ids (out, org, s->dataset_id);
  vi_server_json_append_member (out, "annotationImportSessionId");
  vi_json_append_string (out, s->id);
  vi_server_json_append_member (out, "selfLink");
  g_string_append_c (out, '"');
  vi_server_append_dataset_path (out, org, s->dataset_id);
  g_string_append (out, "/annotationImportSessions/");
  vi_server_append_segment (out, s->id);
  g_string_append_c (out, '"');
  vi_server_json_append_member (out, "etag");
  vi_json_append_string (out, s->etag);
  vi_server_json_append_metadata (out, s->time_created, s->last_updated,
                                  s->generation, s->attributes);

  vi_server_json_append_member (out, "spec");
  g_string_append (out, "{\"uploadBefore\":");
  vi_json_append_int (out, s->upload_before);
  g_string_append (out, ",\"failurePolicies\":{\"onBadAnnotation\":");
  vi_json_append_string (out, s->on_bad_annotation);
  g_string_append (out, ",\"onBadFile\":");
  vi_json_append_string (out, s->on_bad_file);
  g_string_append (out, ",\"onOverwritten\":");
  vi_json_append_string (out, s->on_overwritten);
  g_string_append_c (out, '}');
  if (s->source != NULL) {
    g_string_append (out, ",\"source\":");
    vi_json_append_string (out, s->source);
  }
  g_string_append_c (out, '}');

  vi_server_json_append_member (out, "status");
  g_string_append (out, "{\"conditions\":[");
  for (i = 0; i < s->conditions->len; i++) {
    if (i > 0)
      g_string_append_c (out, ',');
    vi_server_json_append_condition (out, g_ptr_array_index (s->conditions, i),
                                     NULL);
  }
  g_string_append (out, "],\"files\":{\"pageCount\":");
  vi_json_append_int (out, (gint64) s->page_count);
  g_string_append (out, ",\"totalSizeBytes\":");
  vi_json_append_int (out, (gint64) s->total_size);
  g_string_append (out, ",\"statusCount\":{");
  first = TRUE;
  vi_server_json_append_count (out, &first, "Processed", s->files_processed);
  vi_server_json_append_count (out, &first, "Failed", s->files_failed);
  g_string_append (out, "}},\"annotations\":{\"statusCount\":{");
  first = TRUE;
  vi_server_json_append_count (out, &first, "Created", s->annotations_created);
  vi_server_json_append_count (out, &first, "Failed", s->annotations_failed);
  g_string_append (out, "}},\"reason\":");
  if (s->reason != NULL)
    vi_json_append_string (out, s->reason);
  else
    g_string_append (out, "null");
  g_string_append (out, "}}");
  return out;
}

/* With a data directory, a session is written there as the JSON it is
 * served as when it is created, when FilesInserted is PATCHed and when its
 * processing ends (then in the same transaction as its annotations), so a
 * restarted server tells the truth about it.  Called with the lock held. */
void
vi_server_session_save (ViServerWrite         *w,
                        ViStore               *store,
                        ViServerImportSession *s)
{
  g_autoptr (GString) json = vi_server_session_to_json (w, s);
  g_autoptr (GError) error = NULL;

  if (!vi_store_set_record (store, SESSION_RECORD, s->id, json->str, &error))
    g_warning ("cannot keep import session %s in the data directory: %s", s->id,
               error->message);
}

static gint64
get_count (JsonObject *obj, const char *name, const char *key)
{
  JsonObject *counts =
      vi_server_json_get_object (vi_server_json_get_object (obj, name),
                                 "statusCount");
  gint64 n = 0;

  return vi_server_json_get_integer (counts, key, &n) && n > 0 ? n : 0;
}

/* The session a record of session_save() holds, without its files (they
 * do not outlive the server). */
static ViServerImportSession *
session_from_json (ViServerWrite *w, const char *json, GError **error)
{
  g_autoptr (JsonNode) root = vi_server_json_parse (json, strlen (json), error);
  g_autofree char *prefix = g_strconcat (w->org, "_", NULL);
  JsonObject      *obj, *meta, *spec, *policies, *status, *attrs, *files;
  JsonNode        *conditions, *reason;
  const char      *id, *dataset, *etag, *values[3];
  const char *names[] = { "onBadAnnotation", "onBadFile", "onOverwritten" };
  ViServerImportSession *s;
  guint                  i;

  if (root == NULL)
    return NULL;
  obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  meta = vi_server_json_get_object (obj, "metadata");
  spec = vi_server_json_get_object (obj, "spec");
  policies = vi_server_json_get_object (spec, "failurePolicies");
  status = vi_server_json_get_object (obj, "status");
  files = vi_server_json_get_object (status, "files");
  conditions = status != NULL ? json_object_get_member (status, "conditions")
                              : NULL;
  reason = status != NULL ? json_object_get_member (status, "reason") : NULL;
  id = vi_server_json_get_string (obj, "annotationImportSessionId");
  dataset = vi_server_json_get_string (obj, "datasetId");
  etag = vi_server_json_get_string (obj, "etag");
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    values[i] = vi_server_json_get_string (policies, names[i]);
  if (id == NULL || dataset == NULL || !g_str_has_prefix (dataset, prefix) ||
      !vi_store_dataset_id_is_valid (dataset + strlen (prefix)) ||
      etag == NULL || meta == NULL || files == NULL || conditions == NULL ||
      !JSON_NODE_HOLDS_ARRAY (conditions) || reason == NULL ||
      !vi_server_is_policy (values[0]) || !vi_server_is_policy (values[1]) ||
      !vi_server_is_policy (values[2])) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                         "not an import session of this organization");
    return NULL;
  }

  s = g_new0 (ViServerImportSession, 1);
  s->id = g_strdup (id);
  s->dataset_id = g_strdup (dataset + strlen (prefix));
  s->etag = g_strdup (etag);
  vi_server_json_get_integer (meta, "timeCreated", &s->time_created);
  vi_server_json_get_integer (meta, "lastUpdated", &s->last_updated);
  vi_server_json_get_integer (meta, "generation", &s->generation);
  s->attributes = g_ptr_array_new_with_free_func (g_free);
  attrs = vi_server_json_get_object (meta, "attributes");
  if (attrs != NULL)
    vi_server_json_read_attributes (attrs, s->attributes);
  vi_server_json_get_integer (spec, "uploadBefore", &s->upload_before);
  s->on_bad_annotation = g_strdup (values[0]);
  s->on_bad_file = g_strdup (values[1]);
  s->on_overwritten = g_strdup (values[2]);
  s->source = g_strdup (vi_server_json_get_string (spec, "source"));
  s->conditions = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_server_condition_free);
  s->files = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_server_import_file_free);

  /* Listed newest first: added oldest first. */
  for (i = json_array_get_length (json_node_get_array (conditions)); i-- > 0;) {
    JsonNode   *node = json_array_get_element (json_node_get_array (conditions),
                                               i);
    JsonObject *c = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                  : NULL;
    const char *name = vi_server_json_get_string (c, "condition");
    const char *value = vi_server_json_get_string (c, "status");
    gint64      time = 0;

    if (name == NULL || value == NULL)
      continue;
    vi_server_json_get_integer (c, "lastTransitionTime", &time);
    vi_server_session_set_condition (s, name, value, time,
                                     vi_server_json_get_string (c, "reason"));
    if (g_str_equal (name, "FilesInserted")) {
      s->files_inserted = TRUE;
      if (g_str_equal (value, "FailedReach"))
        s->finished = TRUE;
    }
    if (g_str_equal (name, "Complete") && !g_str_equal (value, "Waiting"))
      s->finished = TRUE;
  }

  vi_server_json_get_integer (files, "pageCount", (gint64 *) &s->page_count);
  vi_server_json_get_integer (files, "totalSizeBytes",
                              (gint64 *) &s->total_size);
  s->files_processed = get_count (status, "files", "Processed");
  s->files_failed = get_count (status, "files", "Failed");
  s->annotations_created = get_count (status, "annotations", "Created");
  s->annotations_failed = get_count (status, "annotations", "Failed");
  s->reason = g_strdup (vi_server_json_get_string (status, "reason"));
  return s;
}

static void
restore_session_cb (const char *id, const char *json, gpointer user_data)
{
  ViServerWrite *w = user_data;
  g_autoptr (GError) error = NULL;
  ViServerImportSession *s = session_from_json (w, json, &error);

  if (s == NULL || !g_str_equal (s->id, id) ||
      g_hash_table_contains (w->sessions, s->id)) {
    g_warning ("ignoring import session record %s of the data directory: %s",
               id, error != NULL ? error->message : "a duplicate");
    g_clear_pointer (&s, vi_server_import_session_free);
    return;
  }
  g_hash_table_insert (w->sessions, s->id, s);
}

/**
 * vi_server_imports_restore:
 * @w: the write side
 * @store: the store, just opened on its data directory; the lock is held
 *
 * Brings back the import sessions the data directory kept.  Those a stop
 * or a crash interrupted (uploading, or processing: their annotations
 * were not committed, so none are there) end as `Complete: FailedReach`
 * saying so, which is what a client that asks after a lost answer reads.
 * What the previous run left in the work folder is removed.
 */
void
vi_server_imports_restore (ViServerWrite *w, ViStore *store)
{
  GHashTableIter iter;
  gpointer       value;

  vi_server_write_set_data_dir (w, vi_store_get_dir (store));
  vi_store_foreach_record (store, SESSION_RECORD, restore_session_cb, w);

  g_hash_table_iter_init (&iter, w->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    ViServerImportSession *s = value;

    if (s->finished)
      continue;
    s->files_inserted = TRUE;
    s->finished = TRUE;
    g_free (s->reason);
    s->reason = g_strdup (
        "the server stopped before this import was processed: none of "
        "its annotations were added; upload the files again");
    vi_server_session_set_condition (s, "Complete", "FailedReach",
                                     MAX (vi_server_now_ms (), s->last_updated),
                                     NULL);
    vi_server_session_touch (s);
    vi_server_session_save (w, store, s);
  }
}

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

/* Finds the session of the path, with the lock held (and the store in
 * *store when store is not NULL); on failure the 404 has been sent and the
 * lock released. */
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
    vi_server_write_queue_job (w, process_import, s->id);
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

typedef struct {
  char             *name;
  ViServerFileState state;
  char             *reason;
  char             *path;
} FileCopy;

static void
file_copy_clear (gpointer data)
{
  FileCopy *fc = data;

  g_free (fc->name);
  g_free (fc->reason);
  g_free (fc->path);
}

/* vi_store_check_record() names the record as "record 1"; the caller
 * names the file and line instead. */
static const char *
strip_record_prefix (const char *message)
{
  if (g_str_has_prefix (message, "record 1: "))
    return message + 10;
  if (g_str_has_prefix (message, "record 1 "))
    return message + 9;
  return message;
}

typedef enum {
  POLICY_WARN,
  POLICY_REJECT_FILE,
  POLICY_REJECT_SESSION,
} Policy;

static Policy
policy_from_string (const char *s)
{
  if (g_str_equal (s, "Warn"))
    return POLICY_WARN;
  if (g_str_equal (s, "RejectFile"))
    return POLICY_REJECT_FILE;
  return POLICY_REJECT_SESSION;
}

static void
process_import (ViServerWrite *w, const char *id, gint64 queued)
{
  g_autoptr (GArray) files = g_array_new (FALSE, TRUE, sizeof (FileCopy));
  g_autoptr (ViStoreBatch) batch = NULL;
  g_autoptr (GError) stage_error = NULL;
  g_autofree char *dataset_id = NULL;
  g_autofree char *failure = NULL;
  Policy           on_bad_annotation, on_bad_file;
  guint64 files_processed = 0, files_failed = 0, ann_failed = 0, ann_seen = 0;
  ViServerImportSession *s;
  ViStore               *store;
  const char            *dir;
  guint                  i;

  g_array_set_clear_func (files, file_copy_clear);

  store = vi_server_state_lock_store (w->state);
  if (!vi_server_write_wait_delay (w, queued) ||
      (s = g_hash_table_lookup (w->sessions, id)) == NULL) {
    vi_server_state_unlock_store (w->state);
    return;
  }
  dataset_id = g_strdup (s->dataset_id);
  on_bad_annotation = policy_from_string (s->on_bad_annotation);
  on_bad_file = policy_from_string (s->on_bad_file);
  for (i = 0; i < s->files->len; i++) {
    ViServerImportFile *file = g_ptr_array_index (s->files, i);
    FileCopy fc = { g_strdup (file->name), file->state, g_strdup (file->reason),
                    g_strdup (file->path) };

    g_array_append_val (files, fc);
  }
  /* The parts are made here, without the lock, and added to the store at
   * once at the end: all of them or none, also across a crash. */
  batch = vi_store_batch_new (store, dataset_id);
  dir = vi_server_write_work_dir (w, &stage_error);
  vi_server_state_unlock_store (w->state);

  if (dir != NULL) {
    g_autofree char *name = g_strdup_printf ("import-%s.jsonl", id);
    g_autofree char *spool = g_build_filename (dir, name, NULL);

    vi_store_batch_set_spool (batch, spool, &stage_error);
  }
  if (stage_error != NULL)
    failure = g_strdup_printf ("cannot stage the annotations: %s",
                               stage_error->message);

  for (i = 0; i < files->len && failure == NULL; i++) {
    FileCopy *fc = &g_array_index (files, FileCopy, i);
    g_autoptr (GPtrArray) file_records = NULL;
    g_autoptr (ViJsonlReader) reader = NULL;
    g_autoptr (GFileInputStream) stream = NULL;
    g_autoptr (GFile) gfile = NULL;
    g_autoptr (GError) io_error = NULL;
    g_autofree char *bad_file = NULL;
    guint64          file_bad = 0, file_seen = 0;
    gboolean         reject_file = FALSE;

    if (fc->state == FILE_REGISTERED)
      bad_file = g_strdup_printf ("%s: registered but never uploaded",
                                  fc->name);
    else if (fc->state == FILE_FAILED)
      bad_file = g_strdup_printf ("%s: upload failed: %s", fc->name,
                                  fc->reason);

    if (bad_file == NULL) {
      gfile = g_file_new_for_path (fc->path);
      stream = g_file_read (gfile, NULL, &io_error);
      if (stream == NULL)
        bad_file = g_strdup_printf ("%s: %s", fc->name, io_error->message);
    }

    if (bad_file == NULL) {
      file_records = g_ptr_array_new_with_free_func (
          (GDestroyNotify) vi_jsonl_record_unref);
      reader = vi_jsonl_reader_new (G_INPUT_STREAM (stream), fc->name);
      vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);

      for (;;) {
        g_autoptr (GError) error = NULL;
        g_autofree char *bad = NULL;
        ViJsonlRecord   *record;

        /* A server being stopped does not finish a big import. */
        if ((file_seen & 1023) == 0 && g_atomic_int_get (&w->shutdown)) {
          bad_file = g_strdup_printf ("%s: the server is stopping", fc->name);
          break;
        }
        record = vi_jsonl_reader_next (reader, NULL, &error);

        if (record == NULL && error == NULL)
          break;
        if (record == NULL &&
            !g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_DATA)) {
          bad_file = g_strdup_printf ("%s: %s", fc->name, error->message);
          break;
        }
        file_seen++;
        if (record != NULL) {
          if (vi_store_check_record (record, &error)) {
            g_ptr_array_add (file_records, record);
            continue;
          }
          vi_jsonl_record_unref (record);
          bad = g_strdup_printf ("%s:%u: %s", fc->name,
                                 vi_jsonl_reader_get_line_number (reader),
                                 strip_record_prefix (error->message));
        } else {
          bad = g_strdup (error->message);
        }

        file_bad++;
        if (on_bad_annotation == POLICY_REJECT_SESSION) {
          failure = g_strdup_printf ("bad annotation, and onBadAnnotation is "
                                     "RejectSession: %s",
                                     bad);
          break;
        }
        if (on_bad_annotation == POLICY_REJECT_FILE)
          reject_file = TRUE;
      }
      ann_seen += file_seen;
      if (failure != NULL)
        break;
    }

    if (bad_file != NULL) {
      if (on_bad_file == POLICY_REJECT_SESSION) {
        failure =
            g_strdup_printf ("bad file, and onBadFile is RejectSession: %s",
                             bad_file);
        break;
      }
      files_failed++;
      ann_failed += file_seen;
      continue;
    }
    if (reject_file) {
      files_failed++;
      ann_failed += file_seen;
      continue;
    }
    if (!vi_store_batch_add_records (batch,
                                     (ViJsonlRecord **) file_records->pdata,
                                     file_records->len, &stage_error)) {
      failure = g_strdup_printf ("cannot stage the annotations: %s",
                                 stage_error->message);
      break;
    }
    files_processed++;
    ann_failed += file_bad;
  }

  store = vi_server_state_lock_store (w->state);
  s = g_hash_table_lookup (w->sessions, id);
  if (s == NULL || w->shutdown) {
    vi_server_state_unlock_store (w->state);
    return;
  }
  if (failure == NULL) {
    g_autoptr (GString) json = NULL;
    g_autoptr (GError) error = NULL;

    /* The session as it is once the parts are in, committed with them:
       * a restarted server says Complete: Reached exactly when they are
       * there. */
    s->files_processed = files_processed;
    s->files_failed = files_failed;
    s->page_count = files_processed;
    s->annotations_created = vi_store_batch_get_n_parts (batch);
    s->annotations_failed = ann_failed;
    vi_server_session_set_condition (s, "Complete", "Reached",
                                     vi_server_now_ms (), NULL);
    s->finished = TRUE;
    vi_server_session_touch (s);
    json = vi_server_session_to_json (w, s);
    if (!vi_store_commit (store, batch, SESSION_RECORD, s->id, json->str, NULL,
                          &error))
      failure = g_strdup_printf ("cannot store the annotations: %s",
                                 error->message);
  }
  if (failure != NULL) {
    s->files_processed = 0;
    s->files_failed = s->files->len;
    s->page_count = 0;
    s->annotations_created = 0;
    s->annotations_failed = ann_seen;
    g_free (s->reason);
    s->reason = g_steal_pointer (&failure);
    vi_server_session_set_condition (s, "Complete", "FailedReach",
                                     vi_server_now_ms (), NULL);
    s->finished = TRUE;
    vi_server_session_touch (s);
    vi_server_session_save (w, store, s);
  }
  vi_server_state_unlock_store (w->state);
}

gboolean
vi_server_is_policy (const char *value)
{
  return value != NULL &&
      (g_str_equal (value, "Warn") || g_str_equal (value, "RejectFile") ||
       g_str_equal (value, "RejectSession"));
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
