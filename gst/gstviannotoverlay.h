/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_OVERLAY_H__
#define __GST_VI_ANNOT_OVERLAY_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>
#include <gst/viannot/gstviannotmeta.h>

#include "gstviannotblend.h"
#include "gstviannotdraw.h"

G_BEGIN_DECLS

#define GST_TYPE_VI_ANNOT_OVERLAY (gst_vi_annot_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstViAnnotOverlay, gst_vi_annot_overlay, GST,
    VI_ANNOT_OVERLAY, GstVideoFilter)

struct _GstViAnnotOverlay
{
  GstVideoFilter parent;

  /* properties, GST_OBJECT_LOCK */
  gboolean draw_boxes;
  gboolean draw_labels;
  gboolean draw_caption;
  gboolean draw_vqa;
  gchar *font_desc;
  guint line_width;
  gchar *palette_str;
  guint32 *palette;
  guint n_palette;
  gdouble min_confidence;
  guint props_cookie;           /* bumped by every setter */

  /* GST_OBJECT_LOCK: read by transform_caps on any thread */
  gboolean meta_refused;        /* downstream took the caps feature, but
                                 * not the meta in the ALLOCATION query */
  gboolean check_allocation;    /* ask downstream on the next frame */

  /* statistics, GST_OBJECT_LOCK */
  guint64 n_frames;
  guint64 n_compositions;       /* times the overlay was built */
  guint64 n_attached;
  guint64 n_blended;

  /* streaming thread only */
  gboolean attach;              /* composition meta, else blend */
  GstViAnnotDraw draw;          /* the style, texts rendered; its
                                 * n_text_renders under GST_OBJECT_LOCK */
  GstViAnnotBlender *blender;   /* start () .. stop () */

  /* What the current composition was built from: it is reused as long as
   * a frame carries the same (immutable) annotation set, ROI metas with
   * the same content, on the same geometry, with the same style. */
  GstViAnnotSet *scene_set;     /* ref held: no other set can take its
                                 * address while it is compared */
  GArray *scene_rois;           /* GstViAnnotDrawRoi, labels owned */
  GArray *frame_rois;           /* the same for the frame at hand */
  gint scene_width;
  gint scene_height;
  guint scene_cookie;
  gboolean scene_valid;
  GstVideoOverlayComposition *composition;      /* NULL: nothing to draw */

};

G_END_DECLS

#endif /* __GST_VI_ANNOT_OVERLAY_H__ */
