/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_SPOOL_FEED_H__
#define __GST_VI_ANNOT_SPOOL_FEED_H__

#include <gst/gst.h>

#include "gstviannotspool.h"
#include "gstviannotworker.h"

G_BEGIN_DECLS

typedef struct
{
  guint batch_size;             /* lines */
  guint batch_interval_ms;
  guint max_pending;            /* lines */
} GstViAnnotUploadLimits;

/* How lines get into the spool of an upload (viannotsink's uploader):
 * the streaming thread reserves room for a frame's lines (max-pending,
 * counting every line not imported yet; past it, it waits: backpressure,
 * interrupted by flushing), the writer thread appends them to the batch
 * being filled, and a batch is cut when full, after batch-interval, while
 * the streaming thread waits for room, at EOS and at stop.  A batch cut
 * goes to the worker to be sealed: the owner's seal function runs there
 * and takes the batches with gst_vi_annot_spool_feed_pop_filled().
 *
 * The lock is the owner's too: it guards the fields below it and the
 * owner's counters.  The owner removes the lines of a batch imported or
 * set aside from pending, with the lock, and broadcasts cond.  Messages
 * are never posted with the lock held. */
typedef struct
{
  /* from gst_vi_annot_spool_feed_init(), not owned */
  GstElement *element;          /* messages are posted on it */
  GstViAnnotWorker *worker;
  GstViAnnotSpool *spool;
  GstViAnnotUploadLimits limits;
  GSourceFunc seal_func;        /* invoked on the worker */
  gpointer seal_data;

  GMutex lock;
  GCond cond;
  /* lock */
  gboolean flushing;
  gboolean failed;              /* an error was posted: nothing more */
  gboolean blocked;             /* the streaming thread waits for room */
  GstViAnnotBatch *open;        /* being filled */
  GSource *interval_source;     /* cuts open after batch-interval */
  GQueue to_seal;               /* GstViAnnotBatch, filled, for the worker */
  guint64 pending;              /* lines in the spool, not imported */
  guint64 lines_spooled;
  guint64 n_blocked;            /* times the streaming thread waited */
} GstViAnnotSpoolFeed;

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_init (GstViAnnotSpoolFeed * feed,
    GstElement * element, GstViAnnotWorker * worker, GstViAnnotSpool * spool,
    const GstViAnnotUploadLimits * limits, GSourceFunc seal_func,
    gpointer seal_data);

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_clear (GstViAnnotSpoolFeed * feed);

G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_spool_feed_reserve (GstViAnnotSpoolFeed * feed,
    guint lines, gboolean may_wait);

G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_spool_feed_write (GstViAnnotSpoolFeed * feed,
    const gchar * data, gsize len, guint lines);

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_set_flushing (GstViAnnotSpoolFeed * feed,
    gboolean flushing);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_feed_drain (GstViAnnotSpoolFeed * feed,
    gboolean wait);

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_stop (GstViAnnotSpoolFeed * feed);

G_GNUC_INTERNAL
GstViAnnotBatch *gst_vi_annot_spool_feed_pop_filled (GstViAnnotSpoolFeed *
    feed);

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_mark_failed (GstViAnnotSpoolFeed * feed);

G_GNUC_INTERNAL
void gst_vi_annot_spool_feed_fail (GstViAnnotSpoolFeed * feed,
    const GError * error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_feed_is_failed (GstViAnnotSpoolFeed * feed);

G_GNUC_INTERNAL
guint64 gst_vi_annot_spool_feed_get_pending (GstViAnnotSpoolFeed * feed);

G_END_DECLS

#endif /* __GST_VI_ANNOT_SPOOL_FEED_H__ */
