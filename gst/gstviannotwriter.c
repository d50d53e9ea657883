/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <stdio.h>
#include <string.h>

#include <vi/vi.h>

#include "gstviannotelements.h"
#include "gstviannotwriter.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* Frames whose records wait for the writer thread: past that, the
 * streaming thread waits for it. */
#define WRITER_QUEUE 64
/* The writer, woken by a first frame, takes up to this many at once,
 * waiting at most WRITER_GATHER_US for them: one wake-up and one write to
 * the location file for many frames, and lines in the files soon after
 * their frame all the same. */
#define WRITER_GATHER 16
#define WRITER_GATHER_US (10 * G_TIME_SPAN_MILLISECOND)

void
gst_vi_annot_writer_init (GstViAnnotWriter * w)
{
  memset (w, 0, sizeof (*w));
  w->lines = g_string_new (NULL);
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  g_queue_init (&w->jobs);
}

void
gst_vi_annot_writer_clear (GstViAnnotWriter * w)
{
  g_string_free (w->lines, TRUE);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
}


/* The lines of frames (@jobs, GPtrArray of records each) to both outputs:
 * one write to the location file, one append to the spool per frame
 * (their room there was reserved by the streaming thread: no waiting
 * here).  Errors are posted. */
static gboolean
write_jobs (GstViAnnotWriter * w, GQueue * jobs)
{
  GString *lines = w->lines;
  gsize ends[WRITER_GATHER];
  guint n_lines = 0, n, i, j;
  GList *l;

  g_assert (jobs->length <= WRITER_GATHER);
  g_string_truncate (lines, 0);
  for (l = jobs->head, j = 0; l != NULL; l = l->next, j++) {
    GPtrArray *records = l->data;

    for (i = 0; i < records->len; i++) {
      vi_jsonl_record_append_line (g_ptr_array_index (records, i), lines);
      g_string_append_c (lines, '\n');
    }
    n_lines += records->len;
    ends[j] = lines->len;
  }

  if (w->file != NULL &&
      fwrite (lines->str, 1, lines->len, w->file) != lines->len) {
    GST_ELEMENT_ERROR (w->element, RESOURCE, WRITE,
        (_("Could not write to \"%s\"."), w->location), GST_ERROR_SYSTEM);
    return FALSE;
  }
  GST_OBJECT_LOCK (w->element);
  *w->n_lines += n_lines;
  GST_OBJECT_UNLOCK (w->element);
  if (w->uploader == NULL)
    return TRUE;

  /* Frame by frame: batches are cut at batch-size between frames. */
  for (l = jobs->head, j = 0; l != NULL; l = l->next, j++) {
    gsize start = j > 0 ? ends[j - 1] : 0;

    n = ((GPtrArray *) l->data)->len;
    if (gst_vi_annot_uploader_write (w->uploader, lines->str + start,
            ends[j] - start, n) != GST_FLOW_OK)
      return FALSE;
  }
  return TRUE;
}

/* Whether the writer should go now rather than wait for more frames. */
static gboolean
writer_must_go (GstViAnnotWriter * w)
{
  return w->jobs.length >= WRITER_GATHER || w->quit ||
      w->flushing || w->draining > 0 || w->pusher_waiting;
}

static gpointer
writer_thread (gpointer user_data)
{
  GstViAnnotWriter *w = user_data;
  GQueue jobs = G_QUEUE_INIT;
  gint64 until;
  gboolean ok;

  g_mutex_lock (&w->lock);
  for (;;) {
    w->idle = TRUE;
    while (g_queue_is_empty (&w->jobs) && !w->quit)
      g_cond_wait (&w->cond, &w->lock);
    until = g_get_monotonic_time () + WRITER_GATHER_US;
    while (!writer_must_go (w) &&
        g_cond_wait_until (&w->cond, &w->lock, until));
    w->idle = FALSE;
    if (g_queue_is_empty (&w->jobs))
      break;

    while (jobs.length < WRITER_GATHER && !g_queue_is_empty (&w->jobs))
      g_queue_push_tail (&jobs, g_queue_pop_head (&w->jobs));
    w->writing = TRUE;
    ok = !w->failed;
    if (w->pusher_waiting)
      g_cond_broadcast (&w->cond);
    g_mutex_unlock (&w->lock);

    /* After an error, nothing more is written. */
    if (ok)
      ok = write_jobs (w, &jobs);
    g_queue_clear_full (&jobs, (GDestroyNotify) g_ptr_array_unref);

    g_mutex_lock (&w->lock);
    w->writing = FALSE;
    if (!ok)
      w->failed = TRUE;
    if (w->pusher_waiting || w->draining > 0)
      g_cond_broadcast (&w->cond);
  }
  g_mutex_unlock (&w->lock);
  return NULL;
}

/* Hands a frame's @records to the writer, taking them on success.  With
 * @may_wait, waits while WRITER_QUEUE frames are queued, then for room in
 * the spool (max-pending counts the lines handed over: a flush or a stop
 * writes them without going past it), interrupted by flushing
 * (GST_FLOW_FLUSHING); GST_FLOW_ERROR once an error was posted. */
GstFlowReturn
gst_vi_annot_writer_push (GstViAnnotWriter * w, GPtrArray * records,
    gboolean may_wait)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (records == NULL || records->len == 0)
    return GST_FLOW_OK;

  /* Only this thread queues: the queue does not grow meanwhile. */
  g_mutex_lock (&w->lock);
  while (may_wait && !w->flushing && !w->failed &&
      w->jobs.length >= WRITER_QUEUE) {
    w->pusher_waiting = TRUE;
    g_cond_broadcast (&w->cond);
    g_cond_wait (&w->cond, &w->lock);
    w->pusher_waiting = FALSE;
  }
  if (w->failed)
    ret = GST_FLOW_ERROR;
  else if (may_wait && w->jobs.length >= WRITER_QUEUE)
    ret = GST_FLOW_FLUSHING;
  g_mutex_unlock (&w->lock);

  if (ret == GST_FLOW_OK && w->uploader != NULL)
    ret = gst_vi_annot_uploader_reserve (w->uploader, records->len, may_wait);
  if (ret != GST_FLOW_OK)
    return ret;

  g_mutex_lock (&w->lock);
  g_queue_push_tail (&w->jobs, records);
  /* The writer waits for a first frame, or gathers up to WRITER_GATHER. */
  if (w->idle && (w->jobs.length == 1 || w->jobs.length >= WRITER_GATHER))
    g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  return GST_FLOW_OK;
}

/* Returns once the writer has written everything handed over: FALSE if
 * it failed. */
gboolean
gst_vi_annot_writer_drain (GstViAnnotWriter * w)
{
  gboolean ok;

  g_mutex_lock (&w->lock);
  w->draining++;
  g_cond_broadcast (&w->cond);
  while (!g_queue_is_empty (&w->jobs) || w->writing)
    g_cond_wait (&w->cond, &w->lock);
  w->draining--;
  ok = !w->failed;
  g_mutex_unlock (&w->lock);
  return ok;
}

void
gst_vi_annot_writer_set_flushing (GstViAnnotWriter * w, gboolean flushing)
{
  g_mutex_lock (&w->lock);
  w->flushing = flushing;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

void
gst_vi_annot_writer_start (GstViAnnotWriter * w, GstElement * element,
    FILE * file, const gchar * location, GstViAnnotUploader * uploader,
    guint64 * n_lines)
{
  w->element = element;
  w->file = file;
  w->location = location;
  w->uploader = uploader;
  w->n_lines = n_lines;
  w->quit = FALSE;
  w->failed = FALSE;
  w->writing = FALSE;
  w->idle = FALSE;
  w->pusher_waiting = FALSE;
  w->draining = 0;
  w->thread = g_thread_new ("viannotsink-writer", writer_thread, w);
}

/* Writes what is queued, then ends the thread. */
void
gst_vi_annot_writer_stop (GstViAnnotWriter * w)
{
  if (w->thread == NULL)
    return;
  g_mutex_lock (&w->lock);
  w->quit = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);
  w->thread = NULL;
  w->file = NULL;
  w->location = NULL;
  w->uploader = NULL;
}

gboolean
gst_vi_annot_writer_failed (GstViAnnotWriter * w)
{
  gboolean failed;

  g_mutex_lock (&w->lock);
  failed = w->failed;
  g_mutex_unlock (&w->lock);
  return failed;
}
