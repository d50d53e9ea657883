/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
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
 * (planar, semi-planar and simple packed formats); for the others (tiled,
 * palette, several pixels packed in a word) the view is the whole frame,
 * whole lines as in 1.22, with the same colour conversion. */

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

typedef struct
{
  GstVideoColorMatrix matrix;
  GstVideoColorRange range;
  GstBuffer *ayuv;
} AyuvCache;

static void
ayuv_cache_free (gpointer data)
{
  AyuvCache *c = data;

  gst_buffer_unref (c->ayuv);
  g_free (c);
}

/* qdata of the converted pixels on a rectangle's pixel buffer */
static G_DEFINE_QUARK (viannot - ayuv, ayuv);

/* The frame's Y'CbCr matrix and range, 8 bits. */
typedef struct
{
  gdouble kr, kb;
  gint offset[GST_VIDEO_MAX_COMPONENTS];
  gint scale[GST_VIDEO_MAX_COMPONENTS];
} YuvMatrix;

static void
yuv_matrix_init (YuvMatrix * m, const GstVideoColorimetry * cinfo)
{
  if (!gst_video_color_matrix_get_Kr_Kb (cinfo->matrix, &m->kr, &m->kb)) {
    m->kr = 0.2126;
    m->kb = 0.0722;
  }
  gst_video_color_range_offsets (cinfo->range,
      gst_video_format_get_info (GST_VIDEO_FORMAT_AYUV), m->offset, m->scale);
}

/* A native-endian straight ARGB word as unpacked AYUV bytes. */
static void
argb_to_ayuv (const YuvMatrix * m, guint32 argb, guint8 out[4])
{
  gdouble r = ((argb >> 16) & 0xff) / 255.0;
  gdouble g = ((argb >> 8) & 0xff) / 255.0;
  gdouble b = (argb & 0xff) / 255.0;
  gdouble luma = m->kr * r + (1 - m->kr - m->kb) * g + m->kb * b;

  out[0] = argb >> 24;
  out[1] = CLAMP (m->offset[0] + m->scale[0] * luma + 0.5, 0, 255);
  out[2] = CLAMP (m->offset[1] + m->scale[1] * (b - luma) /
      (2 * (1 - m->kb)) + 0.5, 0, 255);
  out[3] = CLAMP (m->offset[2] + m->scale[2] * (r - luma) /
      (2 * (1 - m->kr)) + 0.5, 0, 255);
}

/* @bgra (straight alpha, with a GstVideoMeta) as AYUV in the colour matrix
 * and range of the frame, so that a colour of the palette is the colour a
 * viewer of the frame sees.  (1.22's own conversion of a rectangle picks
 * its matrix from the rectangle's size, not from the frame.) */
static GstBuffer *
convert_to_ayuv (GstBuffer * bgra, const GstVideoColorimetry * cinfo)
{
  GstVideoMeta *vmeta = gst_buffer_get_video_meta (bgra);
  GstBuffer *out;
  GstMapInfo in_map, out_map;
  YuvMatrix m;
  guint x, y;

  yuv_matrix_init (&m, cinfo);
  out = gst_buffer_new_allocate (NULL, (gsize) vmeta->width * vmeta->height
      * 4, NULL);
  gst_buffer_add_video_meta (out, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_AYUV, vmeta->width, vmeta->height);
  gst_buffer_map (bgra, &in_map, GST_MAP_READ);
  gst_buffer_map (out, &out_map, GST_MAP_WRITE);
  for (y = 0; y < vmeta->height; y++) {
    const guint32 *src = (const guint32 *) (in_map.data + vmeta->offset[0] +
        (gsize) y * vmeta->stride[0]);
    guint8 *dst = out_map.data + (gsize) y * vmeta->width * 4;

    for (x = 0; x < vmeta->width; x++, dst += 4)
      argb_to_ayuv (&m, src[x], dst);
  }
  gst_buffer_unmap (out, &out_map);
  gst_buffer_unmap (bgra, &in_map);

  return out;
}

/* The pixels of @rect at its render size, straight alpha, in the unpacked
 * family of @frame: BGRA for RGB frames, AYUV for YUV and gray ones
 * (converted once per pixel buffer and colorimetry: label pixels are
 * shared by the compositions that show the label).  gst_video_blend()
 * then has no colour matrix to apply per line.  (transfer none) */
static GstBuffer *
rectangle_pixels (GstVideoOverlayRectangle * rect, GstVideoFrame * frame)
{
  GstBuffer *raw = gst_video_overlay_rectangle_get_pixels_raw (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  GstVideoColorimetry *cinfo = &frame->info.colorimetry;
  AyuvCache *cache;

  if (raw == NULL || gst_buffer_get_video_meta (raw) == NULL)
    return NULL;
  if (GST_VIDEO_INFO_IS_RGB (&frame->info))
    return raw;

  cache = gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (raw), ayuv_quark ());
  if (cache == NULL || cache->matrix != cinfo->matrix ||
      cache->range != cinfo->range) {
    cache = g_new0 (AyuvCache, 1);
    cache->matrix = cinfo->matrix;
    cache->range = cinfo->range;
    cache->ayuv = convert_to_ayuv (raw, cinfo);
    gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (raw), ayuv_quark (),
        cache, ayuv_cache_free);
  }
  return cache->ayuv;
}

/* qdata of a rectangle: what kind of pixels it has */
static G_DEFINE_QUARK (viannot - opaque, opaque);

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
gst_vi_annot_blend_mark_opaque (GstVideoOverlayRectangle * rect, gboolean solid)
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

/* Fills [x0, x1) x [y0, y1) of @frame with @px (unpacked AYUV or ARGB),
 * component by component: only for formats whose components are whole
 * bytes.  A subsampled component is written wherever the rectangle
 * touches its sample. */
static void
fill_rectangle (GstVideoFrame * frame, const guint8 px[4], gint x0, gint y0,
    gint x1, gint y1)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  guint c;

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
copy_rectangle (GstVideoFrame * view, GstVideoFrame * src, gint x, gint y,
    guint8 * line)
{
  const GstVideoFormatInfo *dinfo = view->info.finfo;
  const GstVideoFormatInfo *sinfo = src->info.finfo;
  gint vw = GST_VIDEO_FRAME_WIDTH (view), vh = GST_VIDEO_FRAME_HEIGHT (view);
  gint sw = GST_VIDEO_FRAME_WIDTH (src), sh = GST_VIDEO_FRAME_HEIGHT (src);
  gint sx = 0, sy = 0, w, h, i;
  gboolean covers;

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

  for (i = 0; i < h; i++) {
    if (!covers)
      dinfo->unpack_func (dinfo, 0, line, view->data, view->info.stride, 0,
          y + i, vw);
    sinfo->unpack_func (sinfo, 0, line + 4 * x, src->data, src->info.stride,
        sx, sy + i, w);
    dinfo->pack_func (dinfo, 0, line, 0, view->data, view->info.stride,
        view->info.chroma_site, y + i, vw);
  }
}

/* How one rectangle goes into frames of the current geometry. */
typedef struct
{
  gint kind;
  gint x, y;                    /* render position */
  gint x0, y0, x1, y1;          /* clipped to the frame */
  gint vx0, vy0, vx1, vy1;      /* the view: aligned around it */
  guint8 solid[4];              /* SOLID: the unpacked colour */
  gboolean mapped;
  GstVideoFrame src;            /* otherwise: the pixels, mapped */
  gfloat global_alpha;
} BlendStep;

struct _GstViAnnotBlender
{
  /* what the plan was made for */
  GstVideoOverlayComposition *comp;
  GstVideoFormat format;
  gint width;
  gint height;
  GstVideoColorMatrix matrix;
  GstVideoColorRange range;

  gboolean views;               /* else whole-line blending */
  ViewLayout layout;
  GArray *steps;                /* BlendStep */
  guint8 *line;                 /* an unpacked line of the frame */
};

GstViAnnotBlender *
gst_vi_annot_blender_new (void)
{
  static gsize debug_init = 0;
  GstViAnnotBlender *b = g_new0 (GstViAnnotBlender, 1);

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (gst_vi_annot_blend_debug, "viannotblend", 0,
        "Blending of overlay compositions, rectangle by rectangle");
    g_once_init_leave (&debug_init, 1);
  }
  b->steps = g_array_new (FALSE, TRUE, sizeof (BlendStep));
  return b;
}

static void
gst_vi_annot_blender_clear (GstViAnnotBlender * b)
{
  guint i;

  for (i = 0; i < b->steps->len; i++) {
    BlendStep *st = &g_array_index (b->steps, BlendStep, i);

    if (st->mapped)
      gst_video_frame_unmap (&st->src);
  }
  g_array_set_size (b->steps, 0);
  g_clear_pointer (&b->comp, gst_video_overlay_composition_unref);
  g_clear_pointer (&b->line, g_free);
}

void
gst_vi_annot_blender_free (GstViAnnotBlender * b)
{
  if (b == NULL)
    return;
  gst_vi_annot_blender_clear (b);
  g_array_unref (b->steps);
  g_free (b);
}

/* Everything about a rectangle that does not change from frame to frame:
 * its place, its kind, its pixels mapped in the frame's family. */
static gboolean
plan_step (GstViAnnotBlender * b, GstVideoOverlayRectangle * rect,
    GstVideoFrame * frame, BlendStep * st)
{
  const ViewLayout *layout = &b->layout;
  GstVideoInfo info;
  GstVideoMeta *vmeta;
  GstBuffer *pixels;
  guint w, h;
  gint fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);

  memset (st, 0, sizeof (*st));
  gst_video_overlay_rectangle_get_render_rectangle (rect, &st->x, &st->y, &w,
      &h);
  st->x1 = (gint) MIN ((gint64) st->x + w, fw);
  st->y1 = (gint) MIN ((gint64) st->y + h, fh);
  st->x0 = MAX (st->x, 0);
  st->y0 = MAX (st->y, 0);
  if (st->x1 <= st->x0 || st->y1 <= st->y0)
    return FALSE;
  st->global_alpha = gst_video_overlay_rectangle_get_global_alpha (rect);

  st->kind = rectangle_kind (rect);
  if (!layout->unpacked_8bit)
    st->kind = BLEND;
  if (st->kind == SOLID && !layout->byte_components)
    st->kind = OPAQUE;
  if (st->kind == SOLID) {
    /* one colour: only its first pixel is looked at (and converted) */
    GstBuffer *raw = gst_video_overlay_rectangle_get_pixels_raw (rect,
        GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
    GstMapInfo map;
    guint32 argb;

    vmeta = raw ? gst_buffer_get_video_meta (raw) : NULL;
    if (vmeta == NULL || !gst_buffer_map (raw, &map, GST_MAP_READ))
      return FALSE;
    argb = *(const guint32 *) (map.data + vmeta->offset[0]);
    gst_buffer_unmap (raw, &map);
    if (GST_VIDEO_INFO_IS_RGB (&frame->info)) {
      st->solid[0] = argb >> 24;
      st->solid[1] = argb >> 16;
      st->solid[2] = argb >> 8;
      st->solid[3] = argb;
    } else {
      YuvMatrix m;

      yuv_matrix_init (&m, &frame->info.colorimetry);
      argb_to_ayuv (&m, argb, st->solid);
    }
    return TRUE;
  }

  pixels = rectangle_pixels (rect, frame);
  vmeta = pixels ? gst_buffer_get_video_meta (pixels) : NULL;
  if (vmeta == NULL)
    return FALSE;
  gst_video_info_set_format (&info, vmeta->format, vmeta->width, vmeta->height);
  info.stride[0] = vmeta->stride[0];
  info.offset[0] = vmeta->offset[0];
  if (!gst_video_frame_map (&st->src, &info, pixels, GST_MAP_READ))
    return FALSE;
  st->mapped = TRUE;
  if (st->src.info.finfo->unpack_format != frame->info.finfo->unpack_format)
    st->kind = BLEND;

  if (!b->views) {
    st->vx0 = st->vy0 = 0;
    st->vx1 = fw;
    st->vy1 = fh;
    return TRUE;
  }
  /* the view: aligned down at the start, up at the end */
  st->vx0 = st->x0 - st->x0 % layout->x_align;
  st->vy0 = st->y0 - st->y0 % layout->y_align;
  st->vx1 = MIN (st->x1 + (layout->x_align - st->x1 % layout->x_align) %
      layout->x_align, fw);
  st->vy1 = MIN (st->y1 + (layout->y_align - st->y1 % layout->y_align) %
      layout->y_align, fh);
  return TRUE;
}

static void
gst_vi_annot_blender_plan (GstViAnnotBlender * b,
    GstVideoOverlayComposition * comp, GstVideoFrame * frame)
{
  guint i, n;

  gst_vi_annot_blender_clear (b);
  b->comp = gst_video_overlay_composition_ref (comp);
  b->format = GST_VIDEO_FRAME_FORMAT (frame);
  b->width = GST_VIDEO_FRAME_WIDTH (frame);
  b->height = GST_VIDEO_FRAME_HEIGHT (frame);
  b->matrix = frame->info.colorimetry.matrix;
  b->range = frame->info.colorimetry.range;
  b->views = view_layout (frame->info.finfo, &b->layout);
  if (!b->views) {
    /* every rectangle blended into the whole frame */
    GST_DEBUG ("%s: whole-line blending", GST_VIDEO_INFO_NAME (&frame->info));
    memset (&b->layout, 0, sizeof (b->layout));
  }
  b->line = g_malloc ((gsize) (b->width + 8) * 4);

  n = gst_video_overlay_composition_n_rectangles (comp);
  for (i = 0; i < n; i++) {
    BlendStep st;

    if (plan_step (b, gst_video_overlay_composition_get_rectangle (comp, i),
            frame, &st))
      g_array_append_val (b->steps, st);
    else if (st.mapped)
      gst_video_frame_unmap (&st.src);
  }
}

/* Blends @comp into @frame, as gst_video_overlay_composition_blend()
 * does, touching only the pixels under the rectangles.  What does not
 * change between frames is worked out once per composition and
 * geometry. */
gboolean
gst_vi_annot_blender_blend (GstViAnnotBlender * b,
    GstVideoOverlayComposition * comp, GstVideoFrame * frame)
{
  gboolean ret = TRUE;
  guint i;

  if (b->comp != comp || b->format != GST_VIDEO_FRAME_FORMAT (frame) ||
      b->width != GST_VIDEO_FRAME_WIDTH (frame) ||
      b->height != GST_VIDEO_FRAME_HEIGHT (frame) ||
      b->matrix != frame->info.colorimetry.matrix ||
      b->range != frame->info.colorimetry.range)
    gst_vi_annot_blender_plan (b, comp, frame);

  for (i = 0; i < b->steps->len; i++) {
    BlendStep *st = &g_array_index (b->steps, BlendStep, i);
    GstVideoFrame view;

    if (st->kind == SOLID) {
      fill_rectangle (frame, st->solid, st->x0, st->y0, st->x1, st->y1);
      continue;
    }
    frame_view (frame, st->vx0, st->vy0, st->vx1 - st->vx0,
        st->vy1 - st->vy0, &view);
    if (st->kind == OPAQUE)
      copy_rectangle (&view, &st->src, st->x - st->vx0, st->y - st->vy0,
          b->line);
    else
      ret &= gst_video_blend (&view, &st->src, st->x - st->vx0,
          st->y - st->vy0, st->global_alpha);
  }

  return ret;
}
