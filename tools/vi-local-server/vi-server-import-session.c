/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Import sessions themselves: the table of them, their conditions, the
 * JSON they are served as, and how they are kept in the data directory and
 * brought back after a restart.
 */
#include "config.h"

#include "vi-server-import-session.h"
#include "vi-server-json.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

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

  if (!vi_store_set_record (store, VI_SERVER_SESSION_RECORD, s->id, json->str,
                            &error))
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
  vi_store_foreach_record (store, VI_SERVER_SESSION_RECORD, restore_session_cb,
                           w);

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

gboolean
vi_server_is_policy (const char *value)
{
  return value != NULL &&
      (g_str_equal (value, "Warn") || g_str_equal (value, "RejectFile") ||
       g_str_equal (value, "RejectSession"));
}
