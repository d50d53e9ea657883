/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Processing an import session once its files are in: each uploaded JSONL
 * file is read on a thread of the pool, without the lock, its records
 * checked and staged under the session's failure policies, and the
 * annotations committed to the store at once, with the session's final
 * state.
 */
#include "config.h"

#include "vi-server-import-process.h"

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

void
vi_server_import_process (ViServerWrite *w, const char *id, gint64 queued)
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
    if (!vi_store_commit (store, batch, VI_SERVER_SESSION_RECORD, s->id,
                          json->str, NULL, &error))
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
