/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_REGIONS_H__
#define __GST_VI_ANNOT_REGIONS_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <vi/vi.h>

G_BEGIN_DECLS

/* The boxes on a frame, as the elements that consume them (viannotsink,
 * viannotoverlay) need them, whoever attached them: the grounded phrases
 * of a GstViAnnotMeta (exact; a GstVideoCropMeta honoured), and the ROI
 * metas other elements attached (a detector's).  The ROI metas viannot
 * attached itself repeat the GstViAnnotMeta and are skipped when it is
 * there. */

typedef enum
{
  GST_VI_ANNOT_REGION_FROM_META,
  GST_VI_ANNOT_REGION_FROM_ROI,
} GstViAnnotRegionSource;

typedef struct
{
  GstViAnnotRegionSource source;
  /* The phrase; for a ROI meta its `detection` label, else its roi_type.
   * Owned by the buffer's metas (or the quark table). */
  const gchar *label;
  /* GstViAnnotMeta: the caption index and annotation id (nullable);
   * ROI: -1 and NULL. */
  gint caption;
  const gchar *annotation_id;
  /* The phrase index, or the ROI meta's id. */
  gint id;
  /* The box in the frame as shown (a crop meta applied), normalized and
   * in pixels of it. */
  ViBBox bbox;
  ViPixelBox pixels;
  /* 1.0 for annotations; a ROI's `detection` confidence when it has
   * one (has_confidence). */
  gdouble confidence;
  gboolean has_confidence;
} GstViAnnotRegion;

G_GNUC_INTERNAL
guint gst_vi_annot_regions_read (GstBuffer * buffer,
    const GstVideoInfo * info, GArray * regions);

/* Reading one ROI meta, whoever attached it. */
G_GNUC_INTERNAL
gboolean gst_vi_annot_roi_is_own (GstVideoRegionOfInterestMeta * roi);

G_GNUC_INTERNAL
const gchar *gst_vi_annot_roi_get_label (GstVideoRegionOfInterestMeta * roi);

G_GNUC_INTERNAL
gboolean gst_vi_annot_roi_get_confidence (GstVideoRegionOfInterestMeta * roi,
    gdouble * confidence);

G_END_DECLS

#endif /* __GST_VI_ANNOT_REGIONS_H__ */
