/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 */

#include "config.h"

#include <string.h>
#include <gst/video/video-blend.h>

#include "gstviannotblend.h"

GST_DEBUG_CATEGORY_STATIC (gst_vi_annot_blend_debug);
#define GST_CAT_DEFAULT gst_vi_annot_blend_debug

/* gst_video_overlay_composition_blend() (1.22) converts, for every line a
 * rectangle covers, the whole line of the frame to and from its unpacked
 * form: a box side 3 pixels wide and 200 high costs 200 lines of 1920
 * pixels.  Here each rectangle is blended into a view of the frame that
 * starts at the rectangle's (aligned) corner and is only as wide as it, so
 * the cost is the rectangle's area.  A view is possible for the formats
 * whose components all move by a whole number of bytes per aligned step
 * (planar, semi-planar and simple packed formats); the others (tiled,
 * palette, several pixels packed in a word) are blended the 1.22 way. */

typedef struct
{
  gint x_align;                 /* pixels: lcm of the horizontal subsampling */
  gint y_align;
  gboolean unpacked_8bit;       /* lines unpack to AYUV or ARGB */
  gboolean byte_components;     /* each component a whole byte */
} ViewLayout;

static gboolean
view_layout (const GstVideoFormatInfo * finfo, ViewLayout * layout)
{
  guint c, c2;

  if (GST_VIDEO_FORMAT_INFO_IS_TILED (finfo) ||
      GST_VIDEO_FORMAT_INFO_IS_COMPLEX (finfo) ||
      GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo) || finfo->pack_lines != 1)
    return FALSE;

  layout->x_align = layout->y_align = 1;
  layout->unpacked_8bit = GST_VIDEO_FORMAT_INFO_BITS (gst_video_format_get_info
      (finfo->unpack_format)) == 8;
  layout->byte_components = TRUE;
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    if (GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c) <= 0)
      return FALSE;
    if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c) != 8 ||
        GST_VIDEO_FORMAT_INFO_SHIFT (finfo, c) != 0)
      layout->byte_components = FALSE;
    layout->x_align = MAX (layout->x_align,
        1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c));
    layout->y_align = MAX (layout->y_align,
        1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c));
  }
  /* the components sharing a plane must agree on where a step starts */
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    for (c2 = c + 1; c2 < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c2++) {
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) !=
          GST_VIDEO_FORMAT_INFO_PLANE (finfo, c2))
        continue;
      if ((layout->x_align >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c)) *
          GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c) !=
          (layout->x_align >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c2)) *
          GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c2))
        return FALSE;
    }
  }
  return TRUE;
}

/* @view: @frame's pixels from (x, y) (aligned), @width x @height. */
static void
frame_view (const GstVideoFrame * frame, gint x, gint y, gint width,
    gint height, GstVideoFrame * view)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  guint c;

  *view = *frame;
  GST_VIDEO_INFO_WIDTH (&view->info) = width;
  GST_VIDEO_INFO_HEIGHT (&view->info) = height;
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    guint p = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);

    /* one component per plane is enough: the others agree */
    view->data[p] = (guint8 *) frame->data[p] +
        (y >> GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c)) *
        GST_VIDEO_FRAME_PLANE_STRIDE (frame, p) +
        (x >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c)) *
        GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
  }
}

/* The pixels of @rect at its render size, in the unpacked family of
 * @frame (AYUV for YUV and gray, raw BGRA/ARGB for RGB: gst_video_blend()
 * then has no colour matrix to apply per line), not premultiplied. */
static GstBuffer *
rectangle_pixels (GstVideoOverlayRectangle * rect, GstVideoFrame * frame)
{
  gboolean rgb = GST_VIDEO_INFO_IS_RGB (&frame->info);

  return rgb ? gst_video_overlay_rectangle_get_pixels_raw (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE) :
      gst_video_overlay_rectangle_get_pixels_ayuv (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
}

static GQuark
opaque_quark (void)
{
  static gsize q = 0;

  if (g_once_init_enter (&q)) {
    gsize tmp = g_quark_from_static_string ("viannot-opaque");
    g_once_init_leave (&q, tmp);
  }
  return (GQuark) q;
}

enum
{
  BLEND = 0,                    /* translucent pixels: blend */
  OPAQUE,                       /* no transparent pixel: copy */
  SOLID,                        /* and one colour: fill */
};

/* Marks @rect as having no transparent pixel (labels on an opaque tab),
 * and with @solid all of one colour (box sides of an opaque colour): it
 * can then be written into frames without blending. */
void
gst_vi_annot_blend_mark_opaque (GstVideoOverlayRectangle * rect,
    gboolean solid)
{
  gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (rect), opaque_quark (),
      GINT_TO_POINTER (solid ? SOLID : OPAQUE), NULL);
}

static gint
rectangle_kind (GstVideoOverlayRectangle * rect)
{
  if (gst_video_overlay_rectangle_get_global_alpha (rect) != 1.0f)
    return BLEND;
  return GPOINTER_TO_INT (gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST
          (rect), opaque_quark ()));
}

/* Fills [x0, x1) x [y0, y1) of @frame with the colour of the first pixel
 * of @src, component by component: only for formats whose components are
 * whole bytes.  A subsampled component is written wherever the rectangle
 * touches its sample. */
static void
fill_rectangle (GstVideoFrame * frame, GstVideoFrame * src, gint x0, gint y0,
    gint x1, gint y1)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  const GstVideoFormatInfo *sinfo = src->info.finfo;
  guint8 px[4 * 9];
  guint c;

  sinfo->unpack_func (sinfo, 0, px, src->data, src->info.stride, 0, 0, 1);
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    /* unpacked AYUV / ARGB: alpha first */
    guint8 v = c < 3 ? px[1 + c] : px[0];
    guint ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    guint hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
    gint cx0 = x0 >> ws, cx1 = ((x1 - 1) >> ws) + 1;
    gint cy0 = y0 >> hs, cy1 = ((y1 - 1) >> hs) + 1;
    gint ps = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    guint8 *base = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    gint x, y;

    for (y = cy0; y < cy1; y++) {
      guint8 *p = base + (gsize) y * stride + (gsize) cx0 * ps;

      if (ps == 1) {
        memset (p, v, cx1 - cx0);
      } else {
        for (x = cx0; x < cx1; x++, p += ps)
          *p = v;
      }
    }
  }
}

/* An opaque rectangle replaces the pixels under it: each of its lines is
 * unpacked into the unpacked line of the view (itself unpacked from the
 * frame only where alignment makes the view wider than the rectangle) and
 * packed back, without any per-pixel arithmetic.  @src is in the unpacked
 * format of @view's format. */
static void
copy_rectangle (GstVideoFrame * view, GstVideoFrame * src, gint x, gint y)
{
  const GstVideoFormatInfo *dinfo = view->info.finfo;
  const GstVideoFormatInfo *sinfo = src->info.finfo;
  gint vw = GST_VIDEO_FRAME_WIDTH (view), vh = GST_VIDEO_FRAME_HEIGHT (view);
  gint sw = GST_VIDEO_FRAME_WIDTH (src), sh = GST_VIDEO_FRAME_HEIGHT (src);
  gint sx = 0, sy = 0, w, h, i;
  gboolean covers;
  guint8 *line;

  if (x < 0) {
    sx = -x;
    x = 0;
  }
  if (y < 0) {
    sy = -y;
    y = 0;
  }
  w = MIN (sw - sx, vw - x);
  h = MIN (sh - sy, vh - y);
  if (w <= 0 || h <= 0)
    return;
  covers = x == 0 && w == vw;

  line = g_malloc ((gsize) (vw + 8) * 4);
  for (i = 0; i < h; i++) {
    if (!covers)
      dinfo->unpack_func (dinfo, 0, line, view->data, view->info.stride, 0,
          y + i, vw);
    sinfo->unpack_func (sinfo, 0, line + 4 * x, src->data, src->info.stride,
        sx, sy + i, w);
    dinfo->pack_func (dinfo, 0, line, 0, view->data, view->info.stride,
        view->info.chroma_site, y + i, vw);
  }
  g_free (line);
}

static gboolean
blend_rectangle (GstVideoOverlayRectangle * rect, GstVideoFrame * frame,
    const ViewLayout * layout)
{
  GstVideoFrame src, view;
  GstVideoInfo info;
  gint kind = rectangle_kind (rect);
  GstVideoMeta *vmeta;
  GstBuffer *pixels;
  gint x, y, x0, y0, x1, y1;
  guint w, h;
  gint fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);
  gboolean ret;

  gst_video_overlay_rectangle_get_render_rectangle (rect, &x, &y, &w, &h);
  x1 = (gint) MIN ((gint64) x + w, fw);
  y1 = (gint) MIN ((gint64) y + h, fh);
  x0 = MAX (x, 0);
  y0 = MAX (y, 0);
  if (x1 <= x0 || y1 <= y0)
    return TRUE;

  pixels = rectangle_pixels (rect, frame);
  vmeta = pixels ? gst_buffer_get_video_meta (pixels) : NULL;
  if (vmeta == NULL)
    return FALSE;
  gst_video_info_set_format (&info, vmeta->format, vmeta->width,
      vmeta->height);
  info.stride[0] = vmeta->stride[0];
  info.offset[0] = vmeta->offset[0];
  if (!gst_video_frame_map (&src, &info, pixels, GST_MAP_READ))
    return FALSE;

  if (kind != BLEND && layout->unpacked_8bit &&
      src.info.finfo->unpack_format == frame->info.finfo->unpack_format) {
    if (kind == SOLID && layout->byte_components) {
      fill_rectangle (frame, &src, x0, y0, x1, y1);
      gst_video_frame_unmap (&src);
      return TRUE;
    }
  } else {
    kind = BLEND;
  }

  /* the view: aligned down at the start, up at the end */
  x0 -= x0 % layout->x_align;
  y0 -= y0 % layout->y_align;
  x1 = MIN (x1 + (layout->x_align - x1 % layout->x_align) % layout->x_align,
      fw);
  y1 = MIN (y1 + (layout->y_align - y1 % layout->y_align) % layout->y_align,
      fh);
  frame_view (frame, x0, y0, x1 - x0, y1 - y0, &view);
  if (kind != BLEND) {
    copy_rectangle (&view, &src, x - x0, y - y0);
    ret = TRUE;
  } else {
    ret = gst_video_blend (&view, &src, x - x0, y - y0,
        gst_video_overlay_rectangle_get_global_alpha (rect));
  }

  gst_video_frame_unmap (&src);
  return ret;
}

/* Blends @comp into @frame, as gst_video_overlay_composition_blend()
 * does, touching only the pixels under the rectangles. */
gboolean
gst_vi_annot_blend (GstVideoOverlayComposition * comp, GstVideoFrame * frame)
{
  static gsize debug_init = 0;
  ViewLayout layout;
  guint i, n;
  gboolean ret = TRUE;

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (gst_vi_annot_blend_debug, "viannotblend", 0,
        "Blending of overlay compositions, rectangle by rectangle");
    g_once_init_leave (&debug_init, 1);
  }

  if (!view_layout (frame->info.finfo, &layout)) {
    GST_LOG ("%s: whole-line blending",
        GST_VIDEO_INFO_NAME (&frame->info));
    return gst_video_overlay_composition_blend (comp, frame);
  }

  n = gst_video_overlay_composition_n_rectangles (comp);
  for (i = 0; i < n; i++)
    ret &= blend_rectangle (gst_video_overlay_composition_get_rectangle (comp,
            i), frame, &layout);

  return ret;
}
