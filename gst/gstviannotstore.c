/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <string.h>

#include "gstviannotstore.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

void
gst_vi_annot_store_init (GstViAnnotStore * store,
    const GstViAnnotStoreFuncs * funcs, GstElement * element)
{
  store->funcs = funcs;
  store->element = element;
  g_mutex_init (&store->lock);
  g_cond_init (&store->cond);
  store->flushing = FALSE;
  memset (&store->stats, 0, sizeof (store->stats));
  g_queue_init (&store->messages);
}

void
gst_vi_annot_store_clear (GstViAnnotStore * store)
{
  g_queue_clear_full (&store->messages, (GDestroyNotify) gst_message_unref);
  g_mutex_clear (&store->lock);
  g_cond_clear (&store->cond);
}

void
gst_vi_annot_store_lock (GstViAnnotStore * store)
{
  g_mutex_lock (&store->lock);
}

/* Unlocks, then posts what was queued meanwhile, in order. */
void
gst_vi_annot_store_unlock (GstViAnnotStore * store)
{
  GQueue messages = G_QUEUE_INIT;
  GstMessage *msg;

  if (G_UNLIKELY (!g_queue_is_empty (&store->messages))) {
    messages = store->messages;
    g_queue_init (&store->messages);
  }
  g_mutex_unlock (&store->lock);

  while ((msg = g_queue_pop_head (&messages)) != NULL)
    gst_element_post_message (store->element, msg);
}

void
gst_vi_annot_store_post_locked (GstViAnnotStore * store, GstMessage * message)
{
  g_queue_push_tail (&store->messages, message);
}

void
gst_vi_annot_store_set_flushing (GstViAnnotStore * store, gboolean flushing)
{
  g_mutex_lock (&store->lock);
  store->flushing = flushing;
  g_cond_broadcast (&store->cond);
  g_mutex_unlock (&store->lock);
}

/* The annotations of a frame.  Waits at most @max_wait_us (0: never) for
 * annotations that are on their way; flushing ends the wait.  Counts the
 * frame in the statistics.  A provider that knows the service is out
 * answers UNAVAILABLE, so frames do not wait during an outage, and a wait
 * that expires tells the provider (which then declares an outage): a
 * silent service costs one max-wait, not one per frame. */
GstViAnnotLookup
gst_vi_annot_store_get (GstViAnnotStore * store, const gchar * asset_id,
    guint64 index, gboolean template_mode, gint64 max_wait_us,
    GstViAnnotSet ** set, GError ** error)
{
  GstViAnnotLookup res;
  gint64 deadline = 0;

  *set = NULL;

  g_mutex_lock (&store->lock);
  if (template_mode && store->funcs->prefetch != NULL)
    store->funcs->prefetch (store, index);
  store->stats.frames++;

  for (;;) {
    if (store->flushing) {
      res = GST_VI_ANNOT_LOOKUP_FLUSHING;
      break;
    }
    res = store->funcs->lookup (store, asset_id, index, set, error);
    if (res != GST_VI_ANNOT_LOOKUP_PENDING)
      break;
    if (max_wait_us <= 0) {
      res = GST_VI_ANNOT_LOOKUP_MISSED;
      break;
    }
    if (deadline == 0)
      deadline = g_get_monotonic_time () + max_wait_us;
    GST_LOG_OBJECT (store->element, "frame %" G_GUINT64_FORMAT " waits for "
        "'%s'", index, GST_STR_NULL (asset_id));
    if (!g_cond_wait_until (&store->cond, &store->lock, deadline)) {
      if (store->flushing) {
        res = GST_VI_ANNOT_LOOKUP_FLUSHING;
        break;
      }
      res = store->funcs->lookup (store, asset_id, index, set, error);
      if (res == GST_VI_ANNOT_LOOKUP_PENDING) {
        if (store->funcs->wait_expired != NULL)
          store->funcs->wait_expired (store, asset_id);
        res = GST_VI_ANNOT_LOOKUP_TIMED_OUT;
      }
      break;
    }
  }

  switch (res) {
    case GST_VI_ANNOT_LOOKUP_READY:
      store->stats.frames_annotated++;
      break;
    case GST_VI_ANNOT_LOOKUP_UNAVAILABLE:
      res = GST_VI_ANNOT_LOOKUP_MISSED;
      /* fall through */
    case GST_VI_ANNOT_LOOKUP_MISSED:
      store->stats.frames_missed++;
      break;
    case GST_VI_ANNOT_LOOKUP_TIMED_OUT:
      store->stats.frames_timed_out++;
      break;
    case GST_VI_ANNOT_LOOKUP_NO_ASSET:
      store->stats.frames_no_asset++;
      break;
    default:
      break;
  }
  gst_vi_annot_store_unlock (store);

  return res;
}

void
gst_vi_annot_store_count_unmapped (GstViAnnotStore * store)
{
  g_mutex_lock (&store->lock);
  store->stats.frames++;
  store->stats.frames_unmapped++;
  g_mutex_unlock (&store->lock);
}

GstStructure *
gst_vi_annot_stats_to_structure (const GstViAnnotStats * stats)
{
  return gst_structure_new ("vi-annotations-stats",
      "frames", G_TYPE_UINT64, stats->frames,
      "frames-annotated", G_TYPE_UINT64, stats->frames_annotated,
      "frames-missed", G_TYPE_UINT64, stats->frames_missed,
      "frames-timed-out", G_TYPE_UINT64, stats->frames_timed_out,
      "frames-no-asset", G_TYPE_UINT64, stats->frames_no_asset,
      "frames-unmapped", G_TYPE_UINT64, stats->frames_unmapped,
      "fetches", G_TYPE_UINT64, stats->fetches,
      "fetch-errors", G_TYPE_UINT64, stats->fetch_errors,
      "refreshes", G_TYPE_UINT64, stats->refreshes,
      "outages", G_TYPE_UINT64, stats->outages, NULL);
}

GstStructure *
gst_vi_annot_store_get_stats (GstViAnnotStore * store)
{
  GstViAnnotStats stats;

  g_mutex_lock (&store->lock);
  stats = store->stats;
  g_mutex_unlock (&store->lock);

  return gst_vi_annot_stats_to_structure (&stats);
}

/* The element message of a provider that has read the annotations of an
 * asset (or a whole file): @source_field is "dataset-id" or "location".
 * Posted from the worker, without the lock. */
void
gst_vi_annot_store_post_fetched (GstViAnnotStore * store,
    const gchar * asset_id, guint count, gint64 start_time, gboolean refresh,
    const gchar * source_field, const gchar * source)
{
  GstStructure *s;
  guint64 ms = (g_get_monotonic_time () - start_time) / 1000;

  s = gst_structure_new ("vi-annotations-fetched",
      "asset-id", G_TYPE_STRING, asset_id,
      "count", G_TYPE_UINT, count,
      "milliseconds", G_TYPE_UINT64, ms,
      "refresh", G_TYPE_BOOLEAN, refresh,
      source_field, G_TYPE_STRING, source, NULL);

  GST_DEBUG_OBJECT (store->element, "fetched %u annotations of '%s' in %"
      G_GUINT64_FORMAT " ms", count, GST_STR_NULL (asset_id), ms);
  gst_element_post_message (store->element,
      gst_message_new_element (GST_OBJECT_CAST (store->element), s));
}

void
gst_vi_annot_store_stop (GstViAnnotStore * store)
{
  gst_vi_annot_store_set_flushing (store, TRUE);
  store->funcs->stop (store);
}

void
gst_vi_annot_store_free (GstViAnnotStore * store)
{
  if (store != NULL)
    store->funcs->free (store);
}
