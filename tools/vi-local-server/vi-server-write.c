/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The write side of the API (docs/protocol.md §7 and §8):
 *
 *   POST  …/datasets/{org}_{ds}/annotationImportSessions
 *   GET   …/annotationImportSessions/{id}
 *   POST  …/annotationImportSessions/{id}/files
 *   PATCH …/annotationImportSessions/{id}/status
 *   PUT   /upload/{token}                  the signed URL: no authentication
 *   POST  …/datasets/{org}_{ds}/datasetExports
 *   GET   …/datasetExports, …/datasetExports/{id}
 *   GET   /downloads/{id}.zip (and HEAD)   no authentication; Range
 *
 * Sessions and exports live in memory, behind the server's lock (the one
 * that guards the store); with a data directory, sessions are also kept
 * there as records of the store.  Uploaded bytes are streamed to spool
 * files in a work directory as they arrive (an early handler turns
 * accumulation off), with their CRC32C computed on the way.  Processing of
 * a session and building of an export run on a thread pool: they read
 * files and build archives without the lock, and take it only to copy what
 * they need and to store what they produced.  An import's annotations are
 * stored at once, with the session's final state (vi_store_commit()): all
 * or nothing, also across a crash.
 */
#include "config.h"

#include "vi-server-write.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define WORK_DIR_NAME "work"
#define MAX_WORKERS 4

typedef struct {
  ViServerJobFunc func;
  char           *id;
  gint64          queued; /* monotonic: the processing delay's start */
} Job;

gint64
vi_server_now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
vi_server_random_string (guint length)
{
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char *s = g_malloc (length + 1);
  guint i;

  for (i = 0; i < length; i++)
    s[i] = alphabet[g_random_int_range (0, 62)];
  s[length] = '\0';
  return s;
}

void
vi_server_condition_clear (ViServerCondition *c)
{
  g_clear_pointer (&c->condition, g_free);
  g_clear_pointer (&c->status, g_free);
  g_clear_pointer (&c->reason, g_free);
}

void
vi_server_condition_free (ViServerCondition *c)
{
  vi_server_condition_clear (c);
  g_free (c);
}

void
vi_server_remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d != NULL) {
    while ((name = g_dir_read_name (d)) != NULL) {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
          !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        vi_server_remove_tree (path);
      else
        g_unlink (path);
    }
  }
  g_rmdir (dir);
}

/* Called with the lock held, when the store opens its data directory:
 * what a previous run left in the work folder there is removed. */
void
vi_server_write_set_data_dir (ViServerWrite *w, const char *data_dir)
{
  g_autofree char *work = NULL;

  g_free (w->data_dir);
  w->data_dir = g_strdup (data_dir);
  work = g_build_filename (w->data_dir, WORK_DIR_NAME, NULL);
  if (w->work_dir == NULL || !g_str_equal (w->work_dir, work))
    vi_server_remove_tree (work);
}

/* Called with the lock held.  With a data directory, its "work" folder, so
 * that what a killed server leaves there is removed when it restarts;
 * else a temporary folder. */
const char *
vi_server_write_work_dir (ViServerWrite *w, GError **error)
{
  if (w->work_dir == NULL && w->data_dir != NULL) {
    g_autofree char *dir = g_build_filename (w->data_dir, WORK_DIR_NAME, NULL);

    if (g_mkdir_with_parents (dir, 0700) != 0) {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot create %s: %s", dir, g_strerror (errsv));
      return NULL;
    }
    w->work_dir = g_steal_pointer (&dir);
  }
  if (w->work_dir == NULL)
    w->work_dir = g_dir_make_tmp ("vi-local-server-XXXXXX", error);
  return w->work_dir;
}

static void
worker_func (gpointer data, gpointer user_data)
{
  Job           *job = data;
  ViServerWrite *w = user_data;

  job->func (w, job->id, job->queued);
  g_free (job->id);
  g_free (job);
}

ViServerWrite *
vi_server_write_new (ViServerState *state)
{
  ViServerWrite *w = g_new0 (ViServerWrite, 1);

  w->state = state;
  w->org = g_strdup (state->org);
  g_cond_init (&w->cond);
  w->pool = g_thread_pool_new (worker_func, w, MAX_WORKERS, FALSE, NULL);
  return w;
}

void
vi_server_write_free (ViServerWrite *w)
{
  if (w == NULL)
    return;

  g_mutex_lock (&w->state->lock);
  g_atomic_int_set (&w->shutdown, TRUE);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->state->lock);
  /* Queued jobs still run, see the flag and return at once. */
  g_thread_pool_free (w->pool, FALSE, TRUE);

  /* Made by vi_server_imports_init() and vi_server_exports_init(). */
  g_clear_pointer (&w->tokens, g_hash_table_unref);
  g_clear_pointer (&w->sessions, g_hash_table_unref);
  g_clear_pointer (&w->export_order, g_ptr_array_unref);
  g_clear_pointer (&w->exports, g_hash_table_unref);
  if (w->work_dir != NULL)
    vi_server_remove_tree (w->work_dir);
  g_free (w->work_dir);
  g_free (w->data_dir);
  g_cond_clear (&w->cond);
  g_free (w->org);
  g_free (w);
}

/* Called with the lock held.  Jobs waiting out the delay see the new one
 * at once. */
void
vi_server_write_set_processing_delay (ViServerWrite *w, guint delay_ms)
{
  w->processing_delay_ms = delay_ms;
  g_cond_broadcast (&w->cond);
}

void
vi_server_write_queue_job (ViServerWrite  *w,
                           ViServerJobFunc func,
                           const char     *id)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->id = g_strdup (id);
  job->queued = g_get_monotonic_time ();
  g_thread_pool_push (w->pool, job, NULL);
}

/* Waits until the processing delay has passed since @queued, with the
 * lock held (released meanwhile); the delay is read again at every wake,
 * so a test can hold a session in "Complete: Waiting" and release it.
 * FALSE at shutdown. */
gboolean
vi_server_write_wait_delay (ViServerWrite *w, gint64 queued)
{
  for (;;) {
    gint64 end = queued + (gint64) w->processing_delay_ms * 1000;

    if (w->shutdown || g_get_monotonic_time () >= end)
      break;
    g_cond_wait_until (&w->cond, &w->state->lock, end);
  }
  return !w->shutdown;
}

void
vi_server_json_append_condition (GString                 *out,
                                 const ViServerCondition *c,
                                 const char              *message)
{
  g_string_append (out, "{\"condition\":");
  vi_json_append_string (out, c->condition);
  g_string_append (out, ",\"status\":");
  vi_json_append_string (out, c->status);
  g_string_append (out, ",\"lastTransitionTime\":");
  vi_json_append_int (out, c->time);
  if (c->reason != NULL) {
    g_string_append (out, ",\"reason\":");
    vi_json_append_string (out, c->reason);
  }
  if (message != NULL) {
    g_string_append (out, ",\"message\":");
    vi_json_append_string (out, message);
  }
  g_string_append_c (out, '}');
}
