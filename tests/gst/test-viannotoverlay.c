/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotoverlay: what is drawn where (GstHarness, blended and attached,
 * and real pipelines fed by viannotsrc from a JSONL file), hostile text,
 * rendering once for unchanged annotations, ROI metas of other elements.
 *
 * Frames are a uniform grey, so that "untouched" is exact; colours are
 * checked on RGBA frames exactly (opaque drawing) and on I420 frames
 * against the BT.601 conversion of the palette colour. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>

#define GREY 0x80
/* default palette, entries 0, 1 and 2 */
#define RED 0xFFFF4B4B
#define GREEN 0xFF3CDC5A
#define BLUE 0xFF4B9BFF
/* the caption band: black, alpha 0x99, over GREY */
#define BAND_OVER_GREY (GREY * (255 - 0x99) / 255)

#define CAPTION "a red car and a green tree"

static const ViBBox car_box = { 0.05, 0.15, 0.40, 0.55 };
static const ViBBox tree_box = { 0.55, 0.10, 0.95, 0.60 };
static const ViBBox sky_box = { 0.42, 0.20, 0.52, 0.40 };

/* "red car" and "green tree" have spans in the caption; "sky" has none. */
static GstViAnnotSet *
make_street_set (void)
{
  GstViAnnotSet *set = gst_vi_annot_set_new ("ds", "street");
  guint c = gst_vi_annot_set_add_caption (set, CAPTION);

  gst_vi_annot_set_add_phrase (set, c, "red car", 2, 9, &car_box, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, c, "green tree", 16, 26, &tree_box, NULL,
      NULL);
  gst_vi_annot_set_add_phrase (set, c, "sky", -1, -1, &sky_box, NULL, NULL);
  return set;
}

static GstBuffer *
grey_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame frame;
  guint p;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);

    /* RGBA: grey, opaque; I420: Y = U = V = 128 */
    memset (data, GREY, (gsize) stride * rows);
    if (GST_VIDEO_FRAME_FORMAT (&frame) == GST_VIDEO_FORMAT_RGBA) {
      gint x, y;

      for (y = 0; y < rows; y++)
        for (x = 0; x < GST_VIDEO_FRAME_WIDTH (&frame); x++)
          data[y * stride + 4 * x + 3] = 0xFF;
    }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static guint32
frame_rgba_at (GstVideoFrame * frame, gint x, gint y)
{
  const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0) + 4 * x;

  return ((guint32) p[3] << 24) | (p[0] << 16) | (p[1] << 8) | p[2];
}

static guint32
rgba_at (GstBuffer * buf, const GstVideoInfo * info, gint x, gint y)
{
  GstVideoFrame frame;
  guint32 v;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  v = frame_rgba_at (&frame, x, y);
  gst_video_frame_unmap (&frame);
  return v;
}

static gint
color_distance (guint32 a, guint32 b)
{
  return ABS ((gint) ((a >> 16) & 0xff) - (gint) ((b >> 16) & 0xff)) +
      ABS ((gint) ((a >> 8) & 0xff) - (gint) ((b >> 8) & 0xff)) +
      ABS ((gint) (a & 0xff) - (gint) (b & 0xff));
}

#define assert_rgba(buf, info, x, y, expected) G_STMT_START {            \
  guint32 _got = rgba_at ((buf), (info), (x), (y));                      \
  fail_unless (color_distance (_got, (expected)) <= 3,                   \
      "pixel (%d, %d) is %08x, expected %08x", (x), (y), _got,           \
      (guint32) (expected));                                             \
} G_STMT_END

static ViPixelBox
box_pixels (const ViBBox * b, const GstVideoInfo * info)
{
  ViPixelBox px;

  vi_bbox_to_pixels (b, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), &px);
  return px;
}

/* The middle of each side of the outline has the colour; the middle of
 * the box is untouched. */
static void
check_box (GstBuffer * buf, const GstVideoInfo * info, const ViBBox * b,
    guint32 color)
{
  ViPixelBox px = box_pixels (b, info);
  gint cx = (px.x_min + px.x_max) / 2, cy = (px.y_min + px.y_max) / 2;

  assert_rgba (buf, info, px.x_min, cy, color);
  assert_rgba (buf, info, px.x_max - 1, cy, color);
  assert_rgba (buf, info, cx, px.y_min, color);
  assert_rgba (buf, info, cx, px.y_max - 1, color);
  assert_rgba (buf, info, cx, cy, 0xFF000000 | GREY << 16 | GREY << 8 | GREY);
  /* just outside the box, below it: untouched */
  if (px.y_max < GST_VIDEO_INFO_HEIGHT (info) * 2 / 3)
    assert_rgba (buf, info, cx, px.y_max + 1,
        0xFF000000 | GREY << 16 | GREY << 8 | GREY);
}

/* Pixels of @color in the bottom third (the caption band): how many, and
 * the mean x. */
static guint
caption_pixels (GstBuffer * buf, const GstVideoInfo * info, guint32 color,
    gdouble * mean_x)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoFrame frame;
  gint x, y;
  guint n = 0;
  gdouble sum = 0;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  for (y = h - h / 3; y < h; y++) {
    for (x = 0; x < w; x++) {
      if (color_distance (frame_rgba_at (&frame, x, y), color) <= 24) {
        n++;
        sum += x;
      }
    }
  }
  gst_video_frame_unmap (&frame);
  if (mean_x)
    *mean_x = n ? sum / n : -1;
  return n;
}

static void
check_street (GstBuffer * buf, const GstVideoInfo * info)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  gdouble car_x, tree_x;

  check_box (buf, info, &car_box, RED);
  check_box (buf, info, &tree_box, GREEN);
  check_box (buf, info, &sky_box, BLUE);

  /* the caption band, bottom left, translucent black over the grey */
  assert_rgba (buf, info, 0, h - 1, 0xFF000000 | BAND_OVER_GREY << 16 |
      BAND_OVER_GREY << 8 | BAND_OVER_GREY);
  /* and nothing drawn far right of a short caption, at mid height */
  assert_rgba (buf, info, w - 1, h / 2,
      0xFF000000 | GREY << 16 | GREY << 8 | GREY);

  /* the phrases' words, in their colours, in caption order; "sky" has no
   * span: none of its colour */
  fail_unless (caption_pixels (buf, info, RED, &car_x) >= 8);
  fail_unless (caption_pixels (buf, info, GREEN, &tree_x) >= 8);
  fail_unless (car_x < tree_x, "red car at %g, green tree at %g", car_x,
      tree_x);
  fail_unless_equals_int (caption_pixels (buf, info, BLUE, NULL), 0);
}

static guint64
get_stat (GstElement * e, const gchar * field)
{
  GstStructure *s;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v));
  gst_structure_free (s);
  return v;
}

static GstHarness *
harness_new (const gchar * caps, gboolean take_meta)
{
  GstHarness *h = gst_harness_new ("viannotoverlay");

  gst_harness_set_src_caps_str (h, caps);
  if (take_meta)
    gst_harness_add_propose_allocation_meta (h,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  else
    gst_harness_set_sink_caps_str (h, caps);
  return h;
}

static GstBuffer *
push_set (GstHarness * h, const GstVideoInfo * info, GstViAnnotSet * set)
{
  GstBuffer *buf = grey_frame (info);

  if (set != NULL)
    gst_buffer_add_vi_annot_meta (buf, set);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  return gst_harness_pull (h);
}

static void
geometry_blend (gint width, gint height)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGBA,width=%d,"
      "height=%d,framerate=30/1", width, height);
  GstHarness *h = harness_new (caps, FALSE);
  GstViAnnotSet *set = make_street_set ();
  GstVideoInfo info;
  GstBuffer *out;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, width, height);
  out = push_set (h, &info, set);
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
  check_street (out, &info);
  fail_unless_equals_uint64 (get_stat (h->element, "blended"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "attached"), 0);

  gst_buffer_unref (out);
  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_START_TEST (test_geometry_320x240)
{
  geometry_blend (320, 240);
}

GST_END_TEST;

GST_START_TEST (test_geometry_1920x1080)
{
  geometry_blend (1920, 1080);
}

GST_END_TEST;

/* @argb in the colour matrix of @f (limited range), as videoconvert
 * would turn it back into the same RGB */
static void
rgb_to_yuv (GstVideoFrame * f, guint32 argb, gint * y, gint * u, gint * v)
{
  gdouble r = ((argb >> 16) & 0xff) / 255.0, g = ((argb >> 8) & 0xff) / 255.0;
  gdouble b = (argb & 0xff) / 255.0, kr, kb, luma;

  fail_unless (gst_video_color_matrix_get_Kr_Kb (f->info.colorimetry.matrix,
          &kr, &kb));
  fail_unless_equals_int (f->info.colorimetry.range,
      GST_VIDEO_COLOR_RANGE_16_235);
  luma = kr * r + (1 - kr - kb) * g + kb * b;
  *y = (gint) (16 + 219 * luma + 0.5);
  *u = (gint) (128 + 224 * (b - luma) / (2 * (1 - kb)) + 0.5);
  *v = (gint) (128 + 224 * (r - luma) / (2 * (1 - kr)) + 0.5);
}

static void
assert_i420 (GstVideoFrame * f, gint x, gint y, guint32 argb)
{
  gint ey, eu, ev;
  const guint8 *py = GST_VIDEO_FRAME_COMP_DATA (f, 0);
  const guint8 *pu = GST_VIDEO_FRAME_COMP_DATA (f, 1);
  const guint8 *pv = GST_VIDEO_FRAME_COMP_DATA (f, 2);
  gint gy = py[y * GST_VIDEO_FRAME_COMP_STRIDE (f, 0) + x];
  gint gu = pu[(y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (f, 1) + x / 2];
  gint gv = pv[(y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (f, 2) + x / 2];

  rgb_to_yuv (f, argb, &ey, &eu, &ev);
  fail_unless (ABS (gy - ey) <= 1 && ABS (gu - eu) <= 1 && ABS (gv - ev) <= 1,
      "pixel (%d, %d) is YUV %d %d %d, expected %d %d %d", x, y, gy, gu, gv,
      ey, eu, ev);
}

/* I420 is blended rectangle by rectangle, through aligned views of the
 * planes: the outline is where and what it is in RGBA. */
GST_START_TEST (test_geometry_i420_1920x1080)
{
  GstHarness *h = harness_new ("video/x-raw,format=I420,width=1920,"
      "height=1080,framerate=30/1", FALSE);
  GstViAnnotSet *set = make_street_set ();
  const ViBBox *boxes[] = { &car_box, &tree_box, &sky_box };
  guint32 colors[] = { RED, GREEN, BLUE };
  GstVideoInfo info;
  GstVideoFrame f;
  GstBuffer *out;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 1920, 1080);
  out = push_set (h, &info, set);
  fail_unless (gst_video_frame_map (&f, &info, out, GST_MAP_READ));
  for (i = 0; i < G_N_ELEMENTS (boxes); i++) {
    ViPixelBox px = box_pixels (boxes[i], &info);
    gint cx = (px.x_min + px.x_max) / 2, cy = (px.y_min + px.y_max) / 2;
    const guint8 *py = GST_VIDEO_FRAME_COMP_DATA (&f, 0);

    assert_i420 (&f, px.x_min, cy, colors[i]);
    assert_i420 (&f, px.x_max - 1, cy, colors[i]);
    assert_i420 (&f, cx, px.y_min, colors[i]);
    assert_i420 (&f, cx, px.y_max - 1, colors[i]);
    fail_unless_equals_int (py[cy * GST_VIDEO_FRAME_COMP_STRIDE (&f, 0) + cx],
        GREY);
  }
  gst_video_frame_unmap (&f);

  gst_buffer_unref (out);
  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gboolean
caps_have_overlay_feature (GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean has;

  fail_unless (caps != NULL);
  has = gst_caps_features_contains (gst_caps_get_features (caps, 0),
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
  gst_caps_unref (caps);
  return has;
}

/* Downstream takes the meta: the frame's bytes are not touched, the
 * composition rides along, and blending it gives the picture the blend
 * path gives. */
static void
composition_path (gint width, gint height)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=I420,width=%d,"
      "height=%d,framerate=30/1", width, height);
  GstHarness *h = harness_new (caps, TRUE);
  GstViAnnotSet *set = make_street_set ();
  GstVideoOverlayCompositionMeta *cmeta;
  GstVideoInfo info, rgba;
  GstBuffer *in, *out, *canvas;
  GstMapInfo a, b;
  GstVideoFrame f;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  in = grey_frame (&info);
  gst_buffer_add_vi_annot_meta (in, set);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);

  fail_unless (caps_have_overlay_feature (h->sinkpad));
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cmeta != NULL);
  fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_int (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0,
      "the frame's bytes changed");
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (out, &b);
  fail_unless_equals_uint64 (get_stat (h->element, "attached"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "blended"), 0);

  gst_video_info_set_format (&rgba, GST_VIDEO_FORMAT_RGBA, width, height);
  canvas = grey_frame (&rgba);
  fail_unless (gst_video_frame_map (&f, &rgba, canvas, GST_MAP_READWRITE));
  fail_unless (gst_video_overlay_composition_blend (cmeta->overlay, &f));
  gst_video_frame_unmap (&f);
  check_street (canvas, &rgba);

  gst_buffer_unref (canvas);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_START_TEST (test_composition_320x240)
{
  composition_path (320, 240);
}

GST_END_TEST;

GST_START_TEST (test_composition_1920x1080)
{
  composition_path (1920, 1080);
}

GST_END_TEST;

/* Downstream takes the caps feature (as fakesink takes anything) but not
 * the meta in the ALLOCATION query: the overlay blends, and goes on with
 * plain caps. */
GST_START_TEST (test_blend_when_meta_not_allocated)
{
  GstHarness *h = gst_harness_new ("viannotoverlay");
  GstViAnnotSet *set = make_street_set ();
  GstVideoInfo info;
  GstBuffer *out;
  guint i;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGBA,width=320,"
      "height=240,framerate=30/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 320, 240);
  for (i = 0; i < 3; i++) {
    out = push_set (h, &info, set);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
    check_street (out, &info);
    gst_buffer_unref (out);
  }
  fail_if (caps_have_overlay_feature (h->sinkpad));
  fail_unless_equals_uint64 (get_stat (h->element, "blended"), 3);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 1);

  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* @buf (of @info) converted to RGBA */
static GstBuffer *
to_rgba (GstBuffer * buf, const GstVideoInfo * info, GstVideoInfo * rgba)
{
  GstVideoConverter *conv;
  GstVideoFrame in, out;
  GstBuffer *ret;

  gst_video_info_set_format (rgba, GST_VIDEO_FORMAT_RGBA, info->width,
      info->height);
  ret = gst_buffer_new_allocate (NULL, rgba->size, NULL);
  conv = gst_video_converter_new ((GstVideoInfo *) info, rgba, NULL);
  fail_unless (gst_video_frame_map (&in, info, buf, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, rgba, ret, GST_MAP_WRITE));
  gst_video_converter_frame (conv, &in, &out);
  gst_video_frame_unmap (&in);
  gst_video_frame_unmap (&out);
  gst_video_converter_free (conv);
  return ret;
}

/* Every kind of layout: planar, semi-planar, packed, 3-byte, 16-bit
 * components, bit-packed (whole-line blending) and gray.  The outline of
 * an opaque box is red, its middle grey. */
GST_START_TEST (test_blend_formats)
{
  static const gchar *formats[] = {
    "I420", "YV12", "NV12", "NV21", "Y42B", "Y444", "Y41B", "YUY2", "UYVY",
    "AYUV", "RGBx", "BGRA", "RGB", "BGR", "RGB16", "I420_10LE", "ARGB64",
    "v210", "UYVP", "NV12_10LE32", "GRAY8",
  };
  static const ViBBox b = { 0.25, 0.25, 0.75, 0.75 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoFormat format = gst_video_format_from_string (formats[i]);
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=192,"
        "height=96,framerate=30/1", formats[i]);
    GstHarness *h = harness_new (caps, FALSE);
    GstViAnnotSet *set = gst_vi_annot_set_new (NULL, formats[i]);
    GstVideoInfo info, rgba;
    GstBuffer *grey_rgba, *in, *out, *check, *ref;
    gboolean gray = format == GST_VIDEO_FORMAT_GRAY8;
    guint32 px;

    fail_unless (format != GST_VIDEO_FORMAT_UNKNOWN, "%s", formats[i]);
    /* pure red: darker than the grey in GRAY8 too */
    g_object_set (h->element, "draw-labels", FALSE, "line-width", 8,
        "palette", "#FF0000", NULL);
    gst_vi_annot_set_add_caption (set, "");
    gst_vi_annot_set_add_phrase (set, 0, "box", -1, -1, &b, NULL, NULL);
    gst_video_info_set_format (&info, format, 192, 96);
    gst_video_info_set_format (&rgba, GST_VIDEO_FORMAT_RGBA, 192, 96);
    grey_rgba = grey_frame (&rgba);
    /* the grey frame in @format: converted back from RGBA */
    {
      GstVideoConverter *conv = gst_video_converter_new (&rgba, &info, NULL);
      GstVideoFrame fi, fo;

      in = gst_buffer_new_allocate (NULL, info.size, NULL);
      fail_unless (gst_video_frame_map (&fi, &rgba, grey_rgba, GST_MAP_READ));
      fail_unless (gst_video_frame_map (&fo, &info, in, GST_MAP_WRITE));
      gst_video_converter_frame (conv, &fi, &fo);
      gst_video_frame_unmap (&fi);
      gst_video_frame_unmap (&fo);
      gst_video_converter_free (conv);
    }
    /* what the untouched pixels look like once converted back */
    ref = to_rgba (in, &info, &rgba);
    gst_buffer_add_vi_annot_meta (in, set);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    check = to_rgba (out, &info, &rgba);

    px = rgba_at (check, &rgba, 52, 48);
    if (gray)
      fail_unless (color_distance (px, 0xFF808080) > 24, "%s: %08x",
          formats[i], px);
    else
      fail_unless (color_distance (px, 0xFFFF0000) <= 24, "%s: left side %08x",
          formats[i], px);
    px = rgba_at (check, &rgba, 96, 68);
    if (!gray)
      fail_unless (color_distance (px, 0xFFFF0000) <= 24, "%s: bottom %08x",
          formats[i], px);
    px = rgba_at (check, &rgba, 96, 48);
    fail_unless_equals_int (px, rgba_at (ref, &rgba, 96, 48));
    px = rgba_at (check, &rgba, 40, 48);
    fail_unless_equals_int (px, rgba_at (ref, &rgba, 40, 48));

    gst_buffer_unref (check);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
    gst_buffer_unref (grey_rgba);
    gst_vi_annot_set_unref (set);
    gst_harness_teardown (h);
    g_free (caps);
  }
}

GST_END_TEST;

/* Frames without annotations pass untouched, in both paths. */
GST_START_TEST (test_nothing_to_draw)
{
  GstVideoInfo info;
  guint path;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 64, 48);
  for (path = 0; path < 2; path++) {
    GstHarness *h = harness_new ("video/x-raw,format=RGBA,width=64,"
        "height=48,framerate=30/1", path == 1);
    GstBuffer *out = push_set (h, &info, NULL);
    GstViAnnotSet *empty = gst_vi_annot_set_new (NULL, "empty");

    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
    assert_rgba (out, &info, 10, 10, 0xFF808080);
    gst_buffer_unref (out);

    out = push_set (h, &info, empty);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
    gst_buffer_unref (out);
    gst_vi_annot_set_unref (empty);
    fail_unless_equals_uint64 (get_stat (h->element, "text-renders"), 0);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Text from the network: plain text, repaired UTF-8, bounded sizes
 * ------------------------------------------------------------------------ */

/* The composition of one frame carrying @set, attached; NULL if none. */
static GstVideoOverlayComposition *
composition_for (GstHarness * h, GstViAnnotSet * set, gint width, gint height)
{
  GstVideoOverlayCompositionMeta *cmeta;
  GstVideoOverlayComposition *comp = NULL;
  GstVideoInfo info;
  GstBuffer *out;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  out = push_set (h, &info, set);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  if (cmeta != NULL)
    comp = gst_video_overlay_composition_ref (cmeta->overlay);
  gst_buffer_unref (out);
  return comp;
}

static GstHarness *
text_harness (const gchar * what)
{
  GstHarness *h = harness_new ("video/x-raw,format=I420,width=640,"
      "height=480,framerate=30/1", TRUE);

  /* one rectangle per frame: the label, or the caption band */
  g_object_set (h->element, "draw-boxes", FALSE, "draw-vqa", FALSE,
      "draw-labels", g_str_equal (what, "label"),
      "draw-caption", g_str_equal (what, "caption"), NULL);
  return h;
}

/* Width and height of the one rectangle drawn for @set, 0 if none; its
 * bottom at the frame's bottom if @bottom. */
static guint
rectangle_size (GstHarness * h, GstViAnnotSet * set, gboolean bottom,
    guint * height)
{
  GstVideoOverlayComposition *comp = composition_for (h, set, 640, 480);
  guint w = 0, hh = 0;

  if (comp != NULL) {
    gint x, y;

    fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
        (comp), 1);
    gst_video_overlay_rectangle_get_render_rectangle
        (gst_video_overlay_composition_get_rectangle (comp, 0), &x, &y, &w,
        &hh);
    fail_unless (x >= 0 && y >= 0 && x + w <= 640 && y + hh <= 480);
    if (bottom)
      fail_unless_equals_int (y + hh, 480);
    gst_video_overlay_composition_unref (comp);
  }
  gst_vi_annot_set_unref (set);
  if (height)
    *height = hh;
  return w;
}

/* The size of the label drawn for @text. */
static guint
label_size (GstHarness * h, const gchar * text, guint * height)
{
  static const ViBBox b = { 0.3, 0.3, 0.6, 0.6 };
  GstViAnnotSet *set = gst_vi_annot_set_new (NULL, "labels");

  gst_vi_annot_set_add_caption (set, "");
  gst_vi_annot_set_add_phrase (set, 0, text, -1, -1, &b, NULL, NULL);
  return rectangle_size (h, set, FALSE, height);
}

/* The size of the band drawn for @caption, all of it one phrase. */
static guint
caption_size (GstHarness * h, const gchar * caption, guint * height)
{
  static const ViBBox b = { 0.1, 0.1, 0.2, 0.2 };
  GstViAnnotSet *set = gst_vi_annot_set_new (NULL, "captions");
  glong n = g_utf8_validate (caption, -1, NULL) ?
      g_utf8_strlen (caption, -1) : (glong) strlen (caption);

  gst_vi_annot_set_add_caption (set, caption);
  /* a span over the whole caption, whatever its bytes */
  gst_vi_annot_set_add_phrase (set, 0, "all", 0, (int) n, &b, NULL, NULL);
  return rectangle_size (h, set, TRUE, height);
}

static gchar *
long_text (gsize n)
{
  GString *s = g_string_new (NULL);

  while (s->len < n)
    g_string_append (s, "word ");
  g_string_truncate (s, n);
  return g_string_free (s, FALSE);
}

GST_START_TEST (test_labels_are_plain_text)
{
  GstHarness *h = text_harness ("label");
  gchar *two_thousand = long_text (2000);
  guint w_a, w_markup, w_amp, w_ent, w_long, w_fmt, h_a, h_long;
  const gchar *others[] = {
    "שלום עולם",        /* right to left */
    "مرحبا بالعالم",
    "猫がソファに座っている",        /* CJK */
    "\xff\xfe bad \xc3( bytes \xed\xa0\x80",    /* invalid UTF-8 */
    "tab\there\nnewline",
    "%s%s%s%n%n",
  };
  guint i;

  w_a = label_size (h, "A", &h_a);
  w_markup = label_size (h, "<b>A</b>", NULL);
  w_amp = label_size (h, "&", NULL);
  w_ent = label_size (h, "&amp;", NULL);
  w_fmt = label_size (h, "%s", NULL);
  w_long = label_size (h, two_thousand, &h_long);

  fail_unless (w_a > 0 && w_amp > 0 && w_fmt > 0);
  /* markup would have drawn one bold "A", an entity one "&" */
  fail_unless (w_markup > 3 * w_a, "<b>A</b>: %u, A: %u", w_markup, w_a);
  fail_unless (w_ent > 2 * w_amp, "&amp;: %u, &: %u", w_ent, w_amp);
  /* one line, ellipsized within half of the frame */
  fail_unless (w_long > 0 && w_long <= 320, "2000 characters: %u", w_long);
  fail_unless_equals_int (h_long, h_a);

  for (i = 0; i < G_N_ELEMENTS (others); i++)
    fail_unless (label_size (h, others[i], NULL) > 2 * w_a, "%s", others[i]);
  /* an empty label draws no tab */
  fail_unless_equals_int (label_size (h, "", NULL), 0);

  g_free (two_thousand);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_captions_are_plain_text)
{
  GstHarness *h = text_harness ("caption");
  gchar *two_thousand = long_text (2000), *megabyte = long_text (1 << 20);
  guint w_x, w_markup, w_amp, w_ent, h_x, h_long, h_huge;

  w_x = caption_size (h, "x", &h_x);
  w_markup = caption_size (h, "<b>x</b>", NULL);
  w_amp = caption_size (h, "&&&", NULL);
  w_ent = caption_size (h, "&amp;&amp;&amp;", NULL);
  fail_unless (w_markup > 3 * w_x, "<b>x</b>: %u, x: %u", w_markup, w_x);
  fail_unless (w_ent > 2 * w_amp, "&amp;: %u, &: %u", w_ent, w_amp);

  /* wrapped on the frame's width, ellipsized at a third of its height */
  fail_unless_equals_int (caption_size (h, two_thousand, &h_long), 640);
  fail_unless (h_long > 2 * h_x && h_long <= 480 / 3, "band %u high", h_long);
  /* a megabyte: cut before Pango sees it, drawn as the 2,000 */
  fail_unless_equals_int (caption_size (h, megabyte, &h_huge), 640);
  fail_unless_equals_int (h_huge, h_long);

  fail_unless (caption_size (h, "%s%s%s%n", NULL) > 0);
  fail_unless (caption_size (h, "שלום עולם, a cat", NULL) > 0);
  fail_unless (caption_size (h, "猫がソファに座っている", NULL) > 0);
  /* the span counts characters of bytes that are not UTF-8 */
  fail_unless (caption_size (h, "\xff\xfe\xfd cat \xc3", NULL) > 0);

  g_free (megabyte);
  g_free (two_thousand);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Spans outside their caption, phrases of a caption that does not exist,
 * boxes outside the frame or empty: nothing crashes, and what can be
 * drawn is. */
GST_START_TEST (test_odd_annotations)
{
  GstHarness *h = harness_new ("video/x-raw,format=RGBA,width=160,"
      "height=120,framerate=30/1", FALSE);
  GstViAnnotSet *set = gst_vi_annot_set_new (NULL, "odd");
  ViBBox outside = { 1.5, 1.5, 2.0, 2.0 }, empty = { 0.5, 0.5, 0.5, 0.5 };
  ViBBox whole = { 0.0, 0.0, 1.0, 1.0 }, neg = { -1.0, -1.0, 0.5, 0.5 };
  ViBBox nan_box = { NAN, 0.1, 0.2, NAN }, huge = { -1e300, -1e300, 1e300,
    1e300
  };
  GstVideoInfo info;
  GstBuffer *out;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 160, 120);
  gst_vi_annot_set_add_caption (set, "short");
  gst_vi_annot_set_add_phrase (set, 0, "far", 100, 200, &outside, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, 0, "flat", 3, 1000, &empty, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, 0, "all", 0, 5, &whole, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, 0, "neg", 0, 1, &neg, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, 0, "nan", 0, 1, &nan_box, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, 0, "huge", 0, 1, &huge, NULL, NULL);
  gst_vi_annot_set_add_interaction (set, "", "an answer without question");
  out = push_set (h, &info, set);
  /* the frame-sized boxes' outlines at the frame's edges, the last one
   * ("huge", colour 5) over the others */
  assert_rgba (out, &info, 159, 60, 0xFFC864FF);
  assert_rgba (out, &info, 120, 119, 0xFFC864FF);
  gst_buffer_unref (out);

  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Rendering once
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_render_once)
{
  GstHarness *h = harness_new ("video/x-raw,format=I420,width=320,"
      "height=240,framerate=30/1", TRUE);
  GstViAnnotSet *set = make_street_set (), *other;
  GstVideoInfo info;
  GstBuffer *out;
  guint64 renders;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  out = push_set (h, &info, set);
  gst_buffer_unref (out);
  /* three labels and the caption */
  renders = get_stat (h->element, "text-renders");
  fail_unless_equals_uint64 (renders, 4);

  /* each frame gets its own meta, sharing the set, as from viannotsrc */
  for (i = 1; i < 100; i++) {
    out = push_set (h, &info, set);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) != NULL);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "frames"), 100);
  fail_unless_equals_uint64 (get_stat (h->element, "attached"), 100);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "text-renders"), renders);

  /* a new set (a refresh): laid out again; its labels were drawn before */
  other = make_street_set ();
  out = push_set (h, &info, other);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 2);
  fail_unless_equals_uint64 (get_stat (h->element, "text-renders"),
      renders + 1);

  /* a property: laid out again on the next frame, not in the setter */
  g_object_set (h->element, "line-width", 5, NULL);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 2);
  out = push_set (h, &info, other);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 3);

  /* the geometry: laid out again */
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=640,"
      "height=480,framerate=30/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 640, 480);
  out = push_set (h, &info, other);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 4);

  gst_vi_annot_set_unref (set);
  gst_vi_annot_set_unref (other);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * ROI metas of other elements
 * ------------------------------------------------------------------------ */

static void
add_detection (GstBuffer * buf, const gchar * roi_type, guint x, guint y,
    guint w, guint hh, const gchar * label, gdouble confidence)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, roi_type, x, y, w,
      hh);

  if (label != NULL)
    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new ("detection", "label", G_TYPE_STRING, label,
            "confidence", G_TYPE_DOUBLE, confidence, NULL));
}

static GstBuffer *
push_detections (GstHarness * h, const GstVideoInfo * info)
{
  GstBuffer *buf = grey_frame (info);

  /* a detector's ROI: label and confidence in "detection" */
  add_detection (buf, "object", 20, 40, 100, 80, "person", 0.9);
  /* a plain ROI: roi_type only */
  add_detection (buf, "car", 180, 100, 120, 60, NULL, 0);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  return gst_harness_pull (h);
}

GST_START_TEST (test_roi_metas_of_other_elements)
{
  GstHarness *h = harness_new ("video/x-raw,format=RGBA,width=320,"
      "height=240,framerate=30/1", FALSE);
  GstVideoInfo info;
  GstBuffer *out;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 320, 240);
  g_object_set (h->element, "palette", "#00FF00", NULL);
  for (i = 0; i < 5; i++) {
    out = push_detections (h, &info);
    assert_rgba (out, &info, 20, 80, 0xFF00FF00);
    assert_rgba (out, &info, 119, 80, 0xFF00FF00);
    assert_rgba (out, &info, 70, 119, 0xFF00FF00);
    assert_rgba (out, &info, 70, 80, 0xFF808080);
    assert_rgba (out, &info, 180, 130, 0xFF00FF00);
    assert_rgba (out, &info, 299, 130, 0xFF00FF00);
    assert_rgba (out, &info, 240, 130, 0xFF808080);
    /* the labels' tabs above the boxes */
    assert_rgba (out, &info, 21, 38, 0xFF00FF00);
    assert_rgba (out, &info, 181, 98, 0xFF00FF00);
    gst_buffer_unref (out);
  }
  /* new metas every frame, the same content: laid out once */
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "text-renders"), 2);

  /* a moving detection: laid out again each frame, its label drawn once */
  for (i = 0; i < 5; i++) {
    GstBuffer *buf = grey_frame (&info);

    add_detection (buf, "object", 20 + 10 * i, 40, 100, 80, "person", 0.9);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    out = gst_harness_pull (h);
    assert_rgba (out, &info, 20 + 10 * i, 80, 0xFF00FF00);
    assert_rgba (out, &info, 119 + 10 * i, 80, 0xFF00FF00);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "compositions"), 6);
  fail_unless_equals_uint64 (get_stat (h->element, "text-renders"), 2);

  /* below min-confidence: the person is not drawn, the car (no
   * confidence) still is */
  g_object_set (h->element, "min-confidence", 0.95, NULL);
  out = push_detections (h, &info);
  assert_rgba (out, &info, 20, 80, 0xFF808080);
  assert_rgba (out, &info, 21, 38, 0xFF808080);
  assert_rgba (out, &info, 180, 130, 0xFF00FF00);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* A ROI label carries its confidence. */
GST_START_TEST (test_roi_label_confidence)
{
  GstHarness *h = harness_new ("video/x-raw,format=I420,width=320,"
      "height=240,framerate=30/1", TRUE);
  GstVideoOverlayCompositionMeta *cmeta;
  GstVideoInfo info;
  GstBuffer *buf, *out;
  guint w_conf, w_plain, n, i;
  gint x, y;
  guint hh;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  g_object_set (h->element, "draw-boxes", FALSE, NULL);
  buf = grey_frame (&info);
  add_detection (buf, "object", 20, 100, 50, 50, "person", 0.87);
  add_detection (buf, "person", 200, 100, 50, 50, NULL, 0);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cmeta != NULL);
  n = gst_video_overlay_composition_n_rectangles (cmeta->overlay);
  fail_unless_equals_int (n, 2);
  for (i = 0; i < n; i++) {
    GstVideoOverlayRectangle *r =
        gst_video_overlay_composition_get_rectangle (cmeta->overlay, i);

    gst_video_overlay_rectangle_get_render_rectangle (r, &x, &y,
        i == 0 ? &w_conf : &w_plain, &hh);
  }
  /* "person 0.87" is wider than "person" */
  fail_unless (w_conf > w_plain + 10, "%u vs %u", w_conf, w_plain);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The ROI metas viannotsrc derives from the GstViAnnotMeta on the same
 * frame are not drawn a second time; without the GstViAnnotMeta they are
 * drawn as any ROI. */
GST_START_TEST (test_roi_metas_of_viannotsrc)
{
  GstHarness *h = harness_new ("video/x-raw,format=I420,width=320,"
      "height=240,framerate=30/1", TRUE);
  GstViAnnotSet *set = make_street_set ();
  GstVideoOverlayCompositionMeta *cmeta;
  GstViAnnotMeta *meta;
  GstVideoInfo info;
  GstBuffer *buf, *out;
  guint n_alone, n_with_rois;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  g_object_set (h->element, "draw-caption", FALSE, NULL);

  out = push_set (h, &info, set);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  n_alone = gst_video_overlay_composition_n_rectangles (cmeta->overlay);
  gst_buffer_unref (out);

  buf = grey_frame (&info);
  meta = gst_buffer_add_vi_annot_meta (buf, set);
  fail_unless_equals_int (gst_vi_annot_meta_add_roi_metas (meta, buf, &info),
      3);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  n_with_rois = gst_video_overlay_composition_n_rectangles (cmeta->overlay);
  fail_unless_equals_int (n_with_rois, n_alone);
  gst_buffer_unref (out);

  /* the same ROI metas, their GstViAnnotMeta gone */
  buf = grey_frame (&info);
  meta = gst_buffer_add_vi_annot_meta (buf, set);
  gst_vi_annot_meta_add_roi_metas (meta, buf, &info);
  gst_buffer_remove_meta (buf, (GstMeta *) meta);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  cmeta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cmeta != NULL);
  fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
      (cmeta->overlay), n_alone);
  gst_buffer_unref (out);

  gst_vi_annot_set_unref (set);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Properties
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("viannotoverlay", NULL);
  gchar *palette, *font;
  GstStructure *stats;

  fail_unless (e != NULL);
  g_object_get (e, "palette", &palette, "font-desc", &font, NULL);
  fail_unless (g_str_has_prefix (palette, "#FF4B4B,#3CDC5A,#4B9BFF"));
  fail_unless_equals_string (font, "Sans Bold");
  g_free (palette);
  g_free (font);

  g_object_set (e, "palette", "0x80FF0000 #00ff00, #1200FF00", NULL);
  g_object_get (e, "palette", &palette, NULL);
  fail_unless_equals_string (palette, "0x80FF0000 #00ff00, #1200FF00");
  g_free (palette);
  /* refused, kept */
  g_object_set (e, "palette", "red", NULL);
  g_object_set (e, "palette", "#12345", NULL);
  g_object_set (e, "palette", "#GG0000", NULL);
  g_object_set (e, "palette", "0x1FFFFFFFF", NULL);
  g_object_get (e, "palette", &palette, NULL);
  fail_unless_equals_string (palette, "0x80FF0000 #00ff00, #1200FF00");
  g_free (palette);

  g_object_set (e, "font-desc", "", NULL);
  g_object_get (e, "font-desc", &font, NULL);
  fail_unless_equals_string (font, "Sans Bold");
  g_free (font);

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_has_field_typed (stats, "frames", G_TYPE_UINT64));
  gst_structure_free (stats);
  gst_object_unref (e);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Real pipelines: viannotsrc from a JSONL file, then viannotoverlay
 * ------------------------------------------------------------------------ */

static gchar *
write_jsonl (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("viannotoverlay-XXXXXX", &error);
  gchar *path;
  gchar *line;

  g_assert_no_error (error);
  path = g_build_filename (dir, "street.jsonl", NULL);
  line = g_strdup_printf ("{\"asset_id\": \"street\", \"caption\": \"%s\", "
      "\"grounded_phrases\": ["
      "{\"phrase\": \"red car\", \"bbox\": [%g, %g, %g, %g]}, "
      "{\"phrase\": \"green tree\", \"bbox\": [%g, %g, %g, %g]}]}\n"
      "{\"asset_id\": \"street\", \"contents\": {\"interactions\": "
      "[{\"question\": \"What is red?\", \"answer\": \"The car\"}]}}\n",
      CAPTION, car_box.x_min, car_box.y_min, car_box.x_max, car_box.y_max,
      tree_box.x_min, tree_box.y_min, tree_box.x_max, tree_box.y_max);
  fail_unless (g_file_set_contents (path, line, -1, &error));
  g_assert_no_error (error);
  g_free (line);
  g_free (dir);
  return path;
}

static void
remove_jsonl (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

static GstPadProbeReturn
keep_last (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer **last = user_data;

  gst_buffer_replace (last, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* Runs @desc to EOS and returns the last frame reaching "sink". */
static GstBuffer *
run_pipeline (const gchar * desc, GstElement ** overlay)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *sink;
  GstBuffer *last = NULL;
  GstMessage *msg;
  GstBus *bus;
  GstPad *pad;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_last, &last, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  *overlay = gst_bin_get_by_name (GST_BIN (pipeline), "o");

  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &error, &dbg);
    fail ("pipeline error: %s (%s)", error->message, dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fail_unless (last != NULL);
  return last;
}

static void
pipeline_geometry (gint width, gint height)
{
  gchar *path = write_jsonl ();
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=5 "
      "pattern=solid-color foreground-color=0xff808080 ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! "
      "viannotsrc location=\"%s\" ! viannotoverlay name=o ! videoconvert ! "
      "video/x-raw,format=RGBA ! fakesink name=sink", width, height, path);
  GstElement *overlay;
  GstBuffer *last = run_pipeline (desc, &overlay);
  GstVideoInfo info;
  ViPixelBox px;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, width, height);
  /* through I420 and videoconvert: colours within the conversion's
   * rounding */
  px = box_pixels (&car_box, &info);
  fail_unless (color_distance (rgba_at (last, &info, px.x_min,
              (px.y_min + px.y_max) / 2), RED) <= 24);
  fail_unless (color_distance (rgba_at (last, &info,
              (px.x_min + px.x_max) / 2, px.y_max - 1), RED) <= 24);
  fail_unless (color_distance (rgba_at (last, &info,
              (px.x_min + px.x_max) / 2, (px.y_min + px.y_max) / 2),
          0xFF808080) <= 6);
  px = box_pixels (&tree_box, &info);
  fail_unless (color_distance (rgba_at (last, &info, px.x_max - 1,
              (px.y_min + px.y_max) / 2), GREEN) <= 24);
  fail_unless (color_distance (rgba_at (last, &info,
              (px.x_min + px.x_max) / 2, px.y_min), GREEN) <= 24);
  /* caption band and VQA panel */
  fail_unless (color_distance (rgba_at (last, &info, 1, height - 2),
          0xFF000000 | BAND_OVER_GREY * 0x010101) <= 9);
  fail_unless (color_distance (rgba_at (last, &info, 1, 1),
          0xFF000000 | BAND_OVER_GREY * 0x010101) <= 9);

  /* viannotsrc shares one set between the frames: laid out once */
  fail_unless_equals_uint64 (get_stat (overlay, "frames"), 5);
  fail_unless_equals_uint64 (get_stat (overlay, "compositions"), 1);
  fail_unless_equals_uint64 (get_stat (overlay, "blended"), 5);

  gst_object_unref (overlay);
  gst_buffer_unref (last);
  g_free (desc);
  remove_jsonl (path);
}

GST_START_TEST (test_pipeline_320x240)
{
  pipeline_geometry (320, 240);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_1920x1080)
{
  pipeline_geometry (1920, 1080);
}

GST_END_TEST;

/* Scaled after viannotsrc: the meta follows, and the overlay draws the
 * boxes at the converted position of the new size. */
GST_START_TEST (test_pipeline_scaled)
{
  gchar *path = write_jsonl ();
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 "
      "pattern=solid-color foreground-color=0xff808080 ! "
      "video/x-raw,format=RGBA,width=640,height=480,framerate=30/1 ! "
      "viannotsrc location=\"%s\" ! videoscale ! "
      "video/x-raw,width=320,height=240 ! viannotoverlay name=o ! "
      "fakesink name=sink", path);
  GstElement *overlay;
  GstBuffer *last = run_pipeline (desc, &overlay);
  GstVideoInfo info;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 320, 240);
  check_box (last, &info, &car_box, RED);
  check_box (last, &info, &tree_box, GREEN);

  gst_object_unref (overlay);
  gst_buffer_unref (last);
  g_free (desc);
  remove_jsonl (path);
}

GST_END_TEST;

static Suite *
viannotoverlay_suite (void)
{
  Suite *s = suite_create ("viannotoverlay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_geometry_320x240);
  tcase_add_test (tc, test_geometry_1920x1080);
  tcase_add_test (tc, test_geometry_i420_1920x1080);
  tcase_add_test (tc, test_composition_320x240);
  tcase_add_test (tc, test_composition_1920x1080);
  tcase_add_test (tc, test_blend_when_meta_not_allocated);
  tcase_add_test (tc, test_blend_formats);
  tcase_add_test (tc, test_nothing_to_draw);
  tcase_add_test (tc, test_labels_are_plain_text);
  tcase_add_test (tc, test_captions_are_plain_text);
  tcase_add_test (tc, test_odd_annotations);
  tcase_add_test (tc, test_render_once);
  tcase_add_test (tc, test_roi_metas_of_other_elements);
  tcase_add_test (tc, test_roi_label_confidence);
  tcase_add_test (tc, test_roi_metas_of_viannotsrc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_pipeline_320x240);
  tcase_add_test (tc, test_pipeline_1920x1080);
  tcase_add_test (tc, test_pipeline_scaled);

  return s;
}

GST_CHECK_MAIN (viannotoverlay);
