/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <string.h>

#include "gstviannotelements.h"
#include "gstviannoterrors.h"
#include "gstviannotspoolfeed.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* @spool, @worker and @element must outlive the feed; @seal_func runs on
 * the worker when a batch is cut. */
void
gst_vi_annot_spool_feed_init (GstViAnnotSpoolFeed * feed, GstElement * element,
    GstViAnnotWorker * worker, GstViAnnotSpool * spool,
    const GstViAnnotUploadLimits * limits, GSourceFunc seal_func,
    gpointer seal_data)
{
  memset (feed, 0, sizeof (*feed));
  feed->element = element;
  feed->worker = worker;
  feed->spool = spool;
  feed->limits = *limits;
  feed->seal_func = seal_func;
  feed->seal_data = seal_data;
  g_mutex_init (&feed->lock);
  g_cond_init (&feed->cond);
  g_queue_init (&feed->to_seal);
}

/* After the worker has been freed. */
void
gst_vi_annot_spool_feed_clear (GstViAnnotSpoolFeed * feed)
{
  g_queue_clear_full (&feed->to_seal, (GDestroyNotify) gst_vi_annot_batch_free);
  g_clear_pointer (&feed->open, gst_vi_annot_batch_free);
  g_clear_pointer (&feed->interval_source, g_source_unref);
  g_mutex_clear (&feed->lock);
  g_cond_clear (&feed->cond);
}

/* An error was (is being) posted: nothing more is uploaded, and the
 * streaming thread stops waiting. */
void
gst_vi_annot_spool_feed_mark_failed (GstViAnnotSpoolFeed * feed)
{
  g_mutex_lock (&feed->lock);
  feed->failed = TRUE;
  g_cond_broadcast (&feed->cond);
  g_mutex_unlock (&feed->lock);
}

/* A local failure (the spool): always an error, whatever on-error says,
 * since nothing could be kept any more. */
void
gst_vi_annot_spool_feed_fail (GstViAnnotSpoolFeed * feed, const GError * error)
{
  gst_vi_annot_spool_feed_mark_failed (feed);
  gst_vi_annot_post_gerror (feed->element, GST_MESSAGE_ERROR, error,
      gst_vi_annot_spool_get_dir (feed->spool));
}

gboolean
gst_vi_annot_spool_feed_is_failed (GstViAnnotSpoolFeed * feed)
{
  gboolean failed;

  g_mutex_lock (&feed->lock);
  failed = feed->failed;
  g_mutex_unlock (&feed->lock);
  return failed;
}

guint64
gst_vi_annot_spool_feed_get_pending (GstViAnnotSpoolFeed * feed)
{
  guint64 pending;

  g_mutex_lock (&feed->lock);
  pending = feed->pending;
  g_mutex_unlock (&feed->lock);
  return pending;
}

/* On the worker: the next batch cut, to be sealed, or NULL. */
GstViAnnotBatch *
gst_vi_annot_spool_feed_pop_filled (GstViAnnotSpoolFeed * feed)
{
  GstViAnnotBatch *batch;

  g_mutex_lock (&feed->lock);
  batch = g_queue_pop_head (&feed->to_seal);
  g_mutex_unlock (&feed->lock);
  return batch;
}

/* Called with the lock: the open batch goes to the worker to be sealed
 * and sent. */
static void
detach_open_locked (GstViAnnotSpoolFeed * feed)
{
  if (feed->interval_source != NULL) {
    g_source_destroy (feed->interval_source);
    g_clear_pointer (&feed->interval_source, g_source_unref);
  }
  if (feed->open == NULL)
    return;
  g_queue_push_tail (&feed->to_seal, feed->open);
  feed->open = NULL;
  gst_vi_annot_worker_invoke (feed->worker, feed->seal_func, feed->seal_data,
      NULL);
}

static gboolean
_interval_cb (gpointer user_data)
{
  GstViAnnotSpoolFeed *feed = user_data;

  g_mutex_lock (&feed->lock);
  /* The batch it was set for may have been sealed (by size, at EOS)
   * while this callback waited for the lock: then it is not ours. */
  if (feed->interval_source != NULL &&
      feed->interval_source == g_main_current_source ()) {
    GST_DEBUG_OBJECT (feed->element, "batch-interval: sealing %s",
        feed->open != NULL ? feed->open->name : "nothing");
    g_clear_pointer (&feed->interval_source, g_source_unref);
    detach_open_locked (feed);
  }
  g_mutex_unlock (&feed->lock);
  return G_SOURCE_REMOVE;
}

/* Waits until the spool has room for @lines more (max-pending, counting
 * what is not imported yet); an empty spool always has room.  Returns
 * FALSE when flushing or failed. */
static gboolean
wait_for_room_locked (GstViAnnotSpoolFeed * feed, guint lines)
{
  while (feed->pending > 0 && feed->pending + lines > feed->limits.max_pending) {
    if (feed->flushing || feed->failed)
      return FALSE;
    if (!feed->blocked) {
      guint64 pending = feed->pending;

      feed->blocked = TRUE;
      feed->n_blocked++;
      /* What is there must go for room to come. */
      detach_open_locked (feed);
      g_mutex_unlock (&feed->lock);
      GST_INFO_OBJECT (feed->element, "max-pending reached (%"
          G_GUINT64_FORMAT " lines not imported): waiting", pending);
      gst_element_post_message (feed->element,
          gst_message_new_element (GST_OBJECT_CAST (feed->element),
              gst_structure_new ("vi-upload-backpressure",
                  "pending", G_TYPE_UINT64, pending,
                  "max-pending", G_TYPE_UINT, feed->limits.max_pending, NULL)));
      g_mutex_lock (&feed->lock);
      continue;
    }
    g_cond_wait (&feed->cond, &feed->lock);
  }
  feed->blocked = FALSE;
  return !feed->failed;
}

/* Makes room for @lines more lines in the spool, counted as pending from
 * now on: the streaming thread reserves a frame's lines, and the writer
 * appends them later with gst_vi_annot_spool_feed_write().  Never waits on
 * the network: only, with max-pending lines not imported and @may_wait,
 * for room, interrupted by flushing.  Returns GST_FLOW_FLUSHING when
 * interrupted (nothing reserved), GST_FLOW_ERROR once an error was
 * posted. */
GstFlowReturn
gst_vi_annot_spool_feed_reserve (GstViAnnotSpoolFeed * feed, guint lines,
    gboolean may_wait)
{
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&feed->lock);
  if (feed->failed || (may_wait && !wait_for_room_locked (feed, lines)))
    ret = feed->failed ? GST_FLOW_ERROR : GST_FLOW_FLUSHING;
  else
    feed->pending += lines;
  g_mutex_unlock (&feed->lock);
  return ret;
}

/* Appends whole lines (@lines of them, each ending with a newline, which
 * were reserved) to the batch being filled.  Never waits.  Returns
 * GST_FLOW_ERROR once an error was posted. */
GstFlowReturn
gst_vi_annot_spool_feed_write (GstViAnnotSpoolFeed * feed, const gchar * data,
    gsize len, guint lines)
{
  GError *error = NULL;

  g_mutex_lock (&feed->lock);
  if (feed->failed) {
    g_mutex_unlock (&feed->lock);
    return GST_FLOW_ERROR;
  }
  if (feed->open == NULL) {
    feed->open = gst_vi_annot_spool_new_batch (feed->spool, &error);
    if (feed->open == NULL)
      goto failed;
    if (feed->limits.batch_interval_ms > 0)
      feed->interval_source = gst_vi_annot_worker_add_timeout (feed->worker,
          feed->limits.batch_interval_ms, _interval_cb, feed, NULL);
  }
  if (!gst_vi_annot_batch_append (feed->open, data, len, lines, &error))
    goto failed;
  feed->lines_spooled += lines;
  /* While the streaming thread waits for room, what is written goes at
   * once: it is what room comes from. */
  if (feed->open->lines >= feed->limits.batch_size ||
      feed->pending >= feed->limits.max_pending || feed->blocked)
    detach_open_locked (feed);
  g_mutex_unlock (&feed->lock);
  return GST_FLOW_OK;

failed:
  g_mutex_unlock (&feed->lock);
  gst_vi_annot_spool_feed_fail (feed, error);
  g_error_free (error);
  return GST_FLOW_ERROR;
}

void
gst_vi_annot_spool_feed_set_flushing (GstViAnnotSpoolFeed * feed,
    gboolean flushing)
{
  g_mutex_lock (&feed->lock);
  feed->flushing = flushing;
  g_cond_broadcast (&feed->cond);
  g_mutex_unlock (&feed->lock);
}

/* At EOS: the batch being filled goes now; with @wait, returns once
 * every line in the spool is imported (TRUE), or when flushing or failed
 * (FALSE). */
gboolean
gst_vi_annot_spool_feed_drain (GstViAnnotSpoolFeed * feed, gboolean wait)
{
  gboolean done;

  g_mutex_lock (&feed->lock);
  detach_open_locked (feed);
  while (wait && feed->pending > 0 && !feed->flushing && !feed->failed)
    g_cond_wait (&feed->cond, &feed->lock);
  done = !feed->failed && (!wait || feed->pending == 0);
  g_mutex_unlock (&feed->lock);

  return done;
}

/* At stop: nobody waits any more, and the batch being filled goes to be
 * sealed. */
void
gst_vi_annot_spool_feed_stop (GstViAnnotSpoolFeed * feed)
{
  g_mutex_lock (&feed->lock);
  feed->flushing = TRUE;
  detach_open_locked (feed);
  g_cond_broadcast (&feed->cond);
  g_mutex_unlock (&feed->lock);
}
