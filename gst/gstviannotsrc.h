/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 */

#ifndef __GST_VI_ANNOT_SRC_H__
#define __GST_VI_ANNOT_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>
#include <vi/vi.h>

#include "gstviannotworker.h"

G_BEGIN_DECLS

#define GST_TYPE_VI_ANNOT_SRC (gst_vi_annot_src_get_type ())
G_DECLARE_FINAL_TYPE (GstViAnnotSrc, gst_vi_annot_src, GST, VI_ANNOT_SRC,
    GstBaseTransform)

/**
 * GstViAnnotSrcOnError:
 * @GST_VI_ANNOT_SRC_ON_ERROR_FAIL: post an error and stop the stream
 * @GST_VI_ANNOT_SRC_ON_ERROR_WARN: post a warning and keep streaming
 *   without annotations
 *
 * What viannotsrc does when annotations cannot be fetched.
 */
typedef enum
{
  GST_VI_ANNOT_SRC_ON_ERROR_FAIL,
  GST_VI_ANNOT_SRC_ON_ERROR_WARN,
} GstViAnnotSrcOnError;

#define GST_TYPE_VI_ANNOT_SRC_ON_ERROR (gst_vi_annot_src_on_error_get_type ())
G_GNUC_INTERNAL GType gst_vi_annot_src_on_error_get_type (void);

typedef struct _GstViAnnotSrcConfig GstViAnnotSrcConfig;

struct _GstViAnnotSrc
{
  GstBaseTransform parent;

  /* properties, GST_OBJECT_LOCK */
  gchar *location;
  gchar *dataset_id;
  gchar *asset_id;
  gchar *asset_id_template;
  gchar *endpoint;
  gchar *organization_id;
  gchar *secret_key;            /* write-only, never logged, wiped on free */
  gchar *config_file;
  guint page_size;
  guint refresh_interval;       /* seconds, 0 = never */
  guint prefetch;
  guint max_wait;               /* ms */
  GstViAnnotSrcOnError on_error;
  gboolean attach_roi_meta;     /* also read by the streaming thread */

  /* set in start (), immutable until stop () */
  GstViAnnotSrcConfig *cfg;
  GstViAnnotWorker *worker;
  GCancellable *cancellable;    /* cancelled in stop () only */

  /* streaming thread only */
  GstVideoInfo info;
  gboolean have_info;
  gboolean live_checked;
  gboolean live;
  guint64 frame_count;          /* frames since the stream started */
  guint64 next_prefetch;        /* template mode: next frame to queue */
  gboolean error_posted;

  /* worker thread only */
  ViClient *client;
  guint in_flight;
  gboolean shutting_down;
  GSource *refresh_source;
  gboolean warned_refresh;

  /* everything below: lock */
  GMutex lock;
  GCond cond;                   /* broadcast on results, flushing, errors */
  gboolean flushing;
  GHashTable *cache;            /* asset id -> Entry (dataset mode) */
  guint64 use_clock;            /* LRU stamp */
  GQueue queue;                 /* QueueItem: assets to fetch */
  gboolean pump_scheduled;
  GHashTable *local_table;      /* location mode: asset -> LocalAsset */
  gchar *local_first_asset;
  GError *load_error;           /* location mode: the file failed */
  guint64 current_frame;
  gboolean warned;              /* on-error=warn: one warning per run */

  /* statistics, lock */
  guint64 n_frames;
  guint64 n_annotated;
  guint64 n_missed;             /* passed before their annotations came */
  guint64 n_timed_out;          /* waited max-wait in vain */
  guint64 n_fetches;
  guint64 n_fetch_errors;
  guint64 n_refreshes;
};

G_END_DECLS

#endif /* __GST_VI_ANNOT_SRC_H__ */
