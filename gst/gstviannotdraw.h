/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_DRAW_H__
#define __GST_VI_ANNOT_DRAW_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>
#include <pango/pangocairo.h>

G_BEGIN_DECLS

/* The layout and drawing of viannotoverlay's overlay: box outlines and
 * label tabs in the palette's colours, the caption band with the words
 * of each phrase in its colour, the VQA panel, made into a
 * GstVideoOverlayComposition of small rectangles.  Used on the streaming
 * thread only. */

/* Boxes drawn per frame, at most (each of GstViAnnotMeta and ROI metas):
 * a bound on the work an untrusted annotation file can ask for. */
#define GST_VI_ANNOT_DRAW_MAX_BOXES 1024

/* What is drawn, copied from the element's properties when they change:
 * the streaming thread never reads a property while it draws. */
typedef struct
{
  guint cookie;                 /* the element's properties cookie copied */
  gboolean draw_boxes;
  gboolean draw_labels;
  gboolean draw_caption;
  gboolean draw_vqa;
  gchar *font_desc;
  guint line_width;             /* 0 = from the frame height */
  guint32 *palette;             /* ARGB */
  guint n_palette;
  gdouble min_confidence;
} GstViAnnotDrawStyle;

/* A box of a ROI meta, as a composition is built from it. */
typedef struct
{
  gint x0, y0, x1, y1;          /* clamped to the frame */
  gchar *label;
  gboolean has_confidence;
  gdouble confidence;
} GstViAnnotDrawRoi;

typedef struct
{
  GstObject *owner;             /* the element, not owned */
  GstViAnnotDrawStyle style;
  PangoFontMap *font_map;       /* start () .. stop () */
  PangoContext *pango_context;
  GHashTable *label_cache;      /* "colour:size:text" -> GstBuffer */
  gint label_px;                /* label font size of the composition */

  /* caption band and VQA panel: kept while the set, geometry and style
   * stay, even when ROI metas change */
  GstVideoOverlayRectangle *caption_rect;
  GstVideoOverlayRectangle *vqa_rect;
  GstViAnnotSet *text_set;
  gint text_width;
  gint text_height;
  guint text_cookie;

  /* statistics, the owner's GST_OBJECT_LOCK */
  guint64 n_text_renders;       /* texts laid out and drawn */
} GstViAnnotDraw;

/* Creates the Pango context and the label cache; @owner's object lock
 * guards the statistics. */
G_GNUC_INTERNAL
void gst_vi_annot_draw_start (GstViAnnotDraw * draw, GstObject * owner);

/* Frees what start created and what was rendered (not the style); does
 * nothing on a state never started. */
G_GNUC_INTERNAL
void gst_vi_annot_draw_stop (GstViAnnotDraw * draw);

/* Drops every text rendered (after a flush, a new style). */
G_GNUC_INTERNAL
void gst_vi_annot_draw_reset (GstViAnnotDraw * draw);

G_GNUC_INTERNAL
void gst_vi_annot_draw_style_clear (GstViAnnotDrawStyle * style);

/* The composition for the phrases of @meta (nullable) and @rois (of
 * GstViAnnotDrawRoi) on a @width x @height frame: outlines, then the
 * labels over them, then caption band and VQA panel.  Returns NULL when
 * there is nothing to draw. */
G_GNUC_INTERNAL
GstVideoOverlayComposition *gst_vi_annot_draw_build (GstViAnnotDraw * draw,
    GstViAnnotMeta * meta, GArray * rois, gint width, gint height);

G_END_DECLS

#endif /* __GST_VI_ANNOT_DRAW_H__ */
