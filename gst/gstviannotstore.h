/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_STORE_H__
#define __GST_VI_ANNOT_STORE_H__

#include <gst/gst.h>
#include <gst/viannot/gstviannotmeta.h>

G_BEGIN_DECLS

/* What a frame reads its annotations from: the annotation sets of assets,
 * filled on the worker by a provider (gstviannotfetcher.c: the Vi API;
 * gstviannotlocal.c: a JSONL file), read by the streaming thread.  The
 * store has the one lock and condition both sides use, the flushing
 * flag, the statistics, and the wait of a frame for its annotations
 * (bounded, interruptible, at most once per outage).
 *
 * Messages are never posted with the lock held (a bus sync handler may
 * read the stats property): code holding it queues them with
 * gst_vi_annot_store_post_locked(), and gst_vi_annot_store_unlock()
 * posts them. */

typedef enum
{
  /* Not there yet, being fetched: a non-live frame may wait. */
  GST_VI_ANNOT_LOOKUP_PENDING,
  /* *set holds a reference. */
  GST_VI_ANNOT_LOOKUP_READY,
  /* The asset does not exist (template mode): no annotations. */
  GST_VI_ANNOT_LOOKUP_NO_ASSET,
  /* Not there, and the service is out: do not wait. */
  GST_VI_ANNOT_LOOKUP_UNAVAILABLE,
  /* A request was refused or the file is unusable: *error says why. */
  GST_VI_ANNOT_LOOKUP_FAILED,
  /* Results of gst_vi_annot_store_get() only: */
  GST_VI_ANNOT_LOOKUP_MISSED,   /* passed without waiting (live, outage) */
  GST_VI_ANNOT_LOOKUP_TIMED_OUT,        /* waited the whole max-wait */
  GST_VI_ANNOT_LOOKUP_FLUSHING,
} GstViAnnotLookup;

typedef struct _GstViAnnotStore GstViAnnotStore;

typedef struct
{
  /* Called with the lock, on the streaming thread. */
  GstViAnnotLookup (*lookup) (GstViAnnotStore * store,
      const gchar * asset_id, guint64 index, GstViAnnotSet ** set,
      GError ** error);
  /* Called with the lock before a template-mode lookup; may be NULL. */
  void (*prefetch) (GstViAnnotStore * store, guint64 index);
  /* Called with the lock: a frame waited max-wait in vain; may be
   * NULL. */
  void (*wait_expired) (GstViAnnotStore * store, const gchar * asset_id);
  /* Without the lock, from the element's stop(): makes the worker's loop
   * quit once nothing of the provider runs there any more. */
  void (*stop) (GstViAnnotStore * store);
  void (*free) (GstViAnnotStore * store);
} GstViAnnotStoreFuncs;

typedef struct
{
  guint64 frames;
  guint64 frames_annotated;
  guint64 frames_missed;        /* passed before their annotations came */
  guint64 frames_timed_out;     /* waited max-wait in vain */
  guint64 frames_no_asset;      /* template mode: the asset does not exist */
  guint64 frames_unmapped;      /* template mode: no frame number */
  guint64 fetches;
  guint64 fetch_errors;
  guint64 refreshes;
  guint64 outages;
} GstViAnnotStats;

struct _GstViAnnotStore
{
  const GstViAnnotStoreFuncs *funcs;
  GstElement *element;          /* posts the messages; outlives the store */

  GMutex lock;
  GCond cond;                   /* results, errors, flushing */
  gboolean flushing;
  GstViAnnotStats stats;
  GQueue messages;              /* to post at unlock */
};

G_GNUC_INTERNAL
void gst_vi_annot_store_init (GstViAnnotStore * store,
    const GstViAnnotStoreFuncs * funcs, GstElement * element);

G_GNUC_INTERNAL
void gst_vi_annot_store_lock (GstViAnnotStore * store);

G_GNUC_INTERNAL
void gst_vi_annot_store_unlock (GstViAnnotStore * store);

G_GNUC_INTERNAL
void gst_vi_annot_store_post_locked (GstViAnnotStore * store,
    GstMessage * message);

G_GNUC_INTERNAL
void gst_vi_annot_store_set_flushing (GstViAnnotStore * store,
    gboolean flushing);

G_GNUC_INTERNAL
GstViAnnotLookup gst_vi_annot_store_get (GstViAnnotStore * store,
    const gchar * asset_id, guint64 index, gboolean template_mode,
    gint64 max_wait_us, GstViAnnotSet ** set, GError ** error);

G_GNUC_INTERNAL
void gst_vi_annot_store_count_unmapped (GstViAnnotStore * store);

G_GNUC_INTERNAL
GstStructure *gst_vi_annot_stats_to_structure (const GstViAnnotStats *
    stats);

G_GNUC_INTERNAL
GstStructure *gst_vi_annot_store_get_stats (GstViAnnotStore * store);

G_GNUC_INTERNAL
void gst_vi_annot_store_post_fetched (GstViAnnotStore * store,
    const gchar * asset_id, guint count, gint64 start_time, gboolean refresh,
    const gchar * source_field, const gchar * source);

G_GNUC_INTERNAL
void gst_vi_annot_store_stop (GstViAnnotStore * store);

G_GNUC_INTERNAL
void gst_vi_annot_store_free (GstViAnnotStore * store);

/* For providers: frees what gst_vi_annot_store_init() set up. */
G_GNUC_INTERNAL
void gst_vi_annot_store_clear (GstViAnnotStore * store);

G_END_DECLS

#endif /* __GST_VI_ANNOT_STORE_H__ */
