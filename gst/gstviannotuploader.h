/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_UPLOADER_H__
#define __GST_VI_ANNOT_UPLOADER_H__

#include <gst/gst.h>

#include "gstviannotconfig.h"
#include "gstviannoterrors.h"
#include "gstviannotspool.h"
#include "gstviannotspoolfeed.h"
#include "gstviannotworker.h"

G_BEGIN_DECLS

/* The upload side of viannotsink (docs/decisions.md, "viannotsink"): the
 * streaming thread reserves room for a frame's lines and never waits on
 * the network (only, when max-pending lines are not imported yet, for
 * room: backpressure); the element's writer thread appends the lines to
 * the batch being filled in the spool (both through the uploader's
 * GstViAnnotSpoolFeed); the worker seals batches (by size, by interval,
 * at EOS), imports each in its own session, several at a time, settles
 * what a crash or an outage left, retries through outages, and removes a
 * batch once its session is Complete.
 *
 * Messages are never posted with the uploader's lock held. */

typedef struct _GstViAnnotUploader GstViAnnotUploader;

G_GNUC_INTERNAL
GstViAnnotUploader *gst_vi_annot_uploader_start (GstElement * element,
    const GstViAnnotConfig * config, GstViAnnotErrorContext * ctx,
    const gchar * spool_dir, const GstViAnnotUploadLimits * limits,
    GstViAnnotWorker ** worker, gchar ** service);

G_GNUC_INTERNAL
void gst_vi_annot_uploader_activate (GstViAnnotUploader * up);

G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_uploader_reserve (GstViAnnotUploader * up,
    guint lines, gboolean may_wait);

G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_uploader_write (GstViAnnotUploader * up,
    const gchar * data, gsize len, guint lines);

G_GNUC_INTERNAL
void gst_vi_annot_uploader_set_flushing (GstViAnnotUploader * up,
    gboolean flushing);

G_GNUC_INTERNAL
gboolean gst_vi_annot_uploader_drain (GstViAnnotUploader * up,
    gboolean wait);

G_GNUC_INTERNAL
GstStructure *gst_vi_annot_uploader_get_stats (GstViAnnotUploader * up);

G_GNUC_INTERNAL
void gst_vi_annot_uploader_stop (GstViAnnotUploader * up);

G_GNUC_INTERNAL
void gst_vi_annot_uploader_free (GstViAnnotUploader * up);

G_END_DECLS

#endif /* __GST_VI_ANNOT_UPLOADER_H__ */
