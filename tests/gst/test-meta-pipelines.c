/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* GstViAnnotMeta through real GStreamer 1.22 pipelines.
 *
 * videotestsrc ! caps ! identity name=attach ! CHAIN ! appsink
 *
 * A probe on identity's src pad attaches the meta (what viannotsrc does);
 * the test reads it back after the chain and checks that it is either
 * exact — every box in pixels equal to vi_bbox_to_pixels() of the
 * normalized box at the size of the frame that comes out — or gone.  What
 * each element does was measured on 1.22.0 and is asserted here, so a
 * change of behaviour in a GStreamer update shows up as a failure. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>
#include <string.h>

#define N_FRAMES 5

static const ViBBox boxes[] = {
  {0.1, 0.2, 0.5, 0.7},
  {0.0, 0.0, 1.0, 1.0},
  {0.25, 0.125, 0.3125, 0.875},
};

typedef enum
{
  EXPECT_KEPT,
  EXPECT_DROPPED,
} Expect;

typedef struct
{
  guint n_buffers;
  guint n_with_meta;
  guint n_exact;
  /* Frames whose bytes are those that were attached to (not changed by
   * the chain), and of those, how many carry the meta, exact. */
  guint n_unchanged;
  guint n_unchanged_exact;
  int width;
  int height;
} Result;

typedef struct
{
  GstViAnnotSet *set;
  GMutex lock;
  GHashTable *sums;             /* PTS -> checksum of the attached frame */
} Attach;

/* The SHA-256 of the picture: the visible bytes of each row of each plane,
 * not the padding at the end of rows (37 pixels of I420 are stored in 40),
 * which no element writes. */
static char *
buffer_checksum (GstBuffer * buf, const GstVideoInfo * info)
{
  GstVideoFrame frame;
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  char *sum;
  guint p;

  fail_unless (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gint row, width, height;

    gst_video_format_info_component (frame.info.finfo, p, comp);
    width = GST_VIDEO_FRAME_COMP_WIDTH (&frame, comp[0]) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, comp[0]);
    height = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, comp[0]);
    for (row = 0; row < height; row++)
      g_checksum_update (checksum, data + (gsize) row * stride, width);
  }
  gst_video_frame_unmap (&frame);
  sum = g_strdup (g_checksum_get_string (checksum));
  g_checksum_free (checksum);
  return sum;
}

static GstViAnnotSet *
make_set (void)
{
  GstViAnnotSet *set = gst_vi_annot_set_new ("ds", "asset");
  guint c, i;

  c = gst_vi_annot_set_add_caption (set, "a cat, a frame and a stripe");
  for (i = 0; i < G_N_ELEMENTS (boxes); i++)
    gst_vi_annot_set_add_phrase (set, c, "p", 0, 1, &boxes[i], NULL, NULL);
  return set;
}

static GstPadProbeReturn
attach_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Attach *a = user_data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  fail_unless (caps != NULL && gst_video_info_from_caps (&vinfo, caps));
  gst_caps_unref (caps);
  fail_unless (gst_buffer_add_vi_annot_meta (buf, a->set) != NULL);
  g_mutex_lock (&a->lock);
  g_hash_table_insert (a->sums, GUINT_TO_POINTER (GST_BUFFER_PTS (buf)),
      buffer_checksum (buf, &vinfo));
  g_mutex_unlock (&a->lock);
  return GST_PAD_PROBE_OK;
}

/* Whether the meta on @buf is exactly right for a frame of @info. */
static gboolean
meta_is_exact (GstViAnnotMeta * meta, const GstVideoInfo * info)
{
  guint i;

  if (gst_vi_annot_meta_get_n_phrases (meta) != G_N_ELEMENTS (boxes))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (boxes); i++) {
    ViBBox b;
    ViPixelBox want, got;

    gst_vi_annot_meta_get_phrase_bbox (meta, i, &b);
    if (memcmp (&b, &boxes[i], sizeof (b)) != 0)
      return FALSE;
    vi_bbox_to_pixels (&boxes[i], GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), &want);
    gst_vi_annot_meta_get_phrase_pixels (meta, i, info, &got);
    if (memcmp (&want, &got, sizeof (want)) != 0)
      return FALSE;
  }
  return TRUE;
}

/* @props, if not NULL: "name:property=value" set on an element of the
 * chain after it is built (videoflip 1.22.0 ignores a method given at
 * construction, which gst_parse_launch does). */
static void
run_chain_full (const char *src_caps, const char *chain, const char *props,
    Result * r)
{
  Attach a;
  GstElement *pipeline, *attach, *sink;
  GstPad *pad;
  GstSample *sample;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  char *desc;

  memset (r, 0, sizeof (*r));
  a.set = make_set ();
  g_mutex_init (&a.lock);
  a.sums = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! %s ! "
      "identity name=attach ! %s ! appsink name=sink sync=false",
      N_FRAMES, src_caps, chain);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  fail_unless (pipeline != NULL);

  attach = gst_bin_get_by_name (GST_BIN (pipeline), "attach");
  pad = gst_element_get_static_pad (attach, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, attach_probe, &a, NULL);
  gst_object_unref (pad);
  gst_object_unref (attach);

  if (props != NULL) {
    g_auto (GStrv) kv = g_strsplit_set (props, ":=", 3);
    GstElement *e;

    fail_unless (g_strv_length (kv) == 3);
    e = gst_bin_get_by_name (GST_BIN (pipeline), kv[0]);
    fail_unless (e != NULL);
    gst_util_set_object_arg (G_OBJECT (e), kv[1], kv[2]);
    gst_object_unref (e);
  }

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);

  for (;;) {
    GstBuffer *buf;
    GstViAnnotMeta *meta;
    GstVideoInfo info;
    const char *in_sum;
    char *out_sum;
    gboolean unchanged, exact = FALSE;

    g_signal_emit_by_name (sink, "pull-sample", &sample);
    if (sample == NULL)
      break;
    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    buf = gst_sample_get_buffer (sample);
    r->n_buffers++;
    r->width = GST_VIDEO_INFO_WIDTH (&info);
    r->height = GST_VIDEO_INFO_HEIGHT (&info);
    meta = gst_buffer_get_vi_annot_meta (buf);
    if (meta != NULL) {
      r->n_with_meta++;
      exact = meta_is_exact (meta, &info);
      if (exact)
        r->n_exact++;
    }
    out_sum = buffer_checksum (buf, &info);
    g_mutex_lock (&a.lock);
    in_sum = g_hash_table_lookup (a.sums,
        GUINT_TO_POINTER (GST_BUFFER_PTS (buf)));
    unchanged = in_sum != NULL && strcmp (in_sum, out_sum) == 0;
    g_mutex_unlock (&a.lock);
    g_free (out_sum);
    if (unchanged) {
      r->n_unchanged++;
      if (exact)
        r->n_unchanged_exact++;
    }
    gst_sample_unref (sample);
  }

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 0, GST_MESSAGE_ERROR);
  if (msg != NULL) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("%s: %s", chain, err->message);
  }
  gst_object_unref (bus);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  GST_INFO ("%s ! %s (%s): %u buffers %dx%d, %u with meta, %u exact, "
      "%u unchanged", src_caps, chain, GST_STR_NULL (props), r->n_buffers,
      r->width, r->height, r->n_with_meta, r->n_exact, r->n_unchanged);
  g_free (desc);
  g_hash_table_unref (a.sums);
  g_mutex_clear (&a.lock);
  gst_vi_annot_set_unref (a.set);
}

static void
run_chain (const char *src_caps, const char *chain, Result * r)
{
  run_chain_full (src_caps, chain, NULL, r);
}

#define SRC_640 "video/x-raw,format=I420,width=640,height=480," \
  "framerate=30/1,pixel-aspect-ratio=1/1"
#define SRC_320 "video/x-raw,format=I420,width=320,height=240," \
  "framerate=30/1,pixel-aspect-ratio=1/1"

static void
check_result (const char *chain, const Result * r, Expect expect,
    int out_width, int out_height)
{
  fail_unless (r->n_buffers > 0, "%s: no buffers", chain);
  fail_unless_equals_int (r->width, out_width);
  fail_unless_equals_int (r->height, out_height);
  switch (expect) {
    case EXPECT_KEPT:
      fail_unless (r->n_with_meta == r->n_buffers,
          "%s: meta on %u of %u buffers", chain, r->n_with_meta, r->n_buffers);
      fail_unless (r->n_exact == r->n_buffers,
          "%s: exact on %u of %u buffers", chain, r->n_exact, r->n_buffers);
      break;
    case EXPECT_DROPPED:
      fail_unless (r->n_with_meta == 0, "%s: meta on %u of %u buffers",
          chain, r->n_with_meta, r->n_buffers);
      break;
  }
}

static void
check_chain (const char *src_caps, const char *chain, Expect expect,
    int out_width, int out_height)
{
  Result r;

  run_chain (src_caps, chain, &r);
  fail_unless (r.n_buffers == N_FRAMES, "%s: %u buffers", chain, r.n_buffers);
  check_result (chain, &r, expect, out_width, out_height);
}

/* Baseline. */
GST_START_TEST (test_identity)
{
  check_chain (SRC_640, "identity", EXPECT_KEPT, 640, 480);
}

GST_END_TEST;

/* Scaling keeping the display aspect ratio: the scale transform, exact. */
GST_START_TEST (test_videoscale)
{
  /* 4:3 into 1280x720: videoscale picks pixel-aspect-ratio 3/4. */
  check_chain (SRC_320, "videoscale ! video/x-raw,width=1280,height=720",
      EXPECT_KEPT, 1280, 720);
  check_chain (SRC_640, "videoscale ! video/x-raw,width=1920,height=1080",
      EXPECT_KEPT, 1920, 1080);
  check_chain (SRC_640, "videoscale ! video/x-raw,width=37,height=23",
      EXPECT_KEPT, 37, 23);
  check_chain (SRC_640, "videoscale ! video/x-raw,width=320,height=240",
      EXPECT_KEPT, 320, 240);
  /* Same size: passthrough. */
  check_chain (SRC_640, "videoscale ! video/x-raw,width=640,height=480",
      EXPECT_KEPT, 640, 480);
}

GST_END_TEST;

/* Letterboxing: the content area shrinks; the scale transform cannot see
 * it (stock elements were measured leaving ROI metas wrong there).  Dropped. */
GST_START_TEST (test_videoscale_borders)
{
  check_chain (SRC_640,
      "videoscale ! video/x-raw,width=1280,height=720,pixel-aspect-ratio=1/1",
      EXPECT_DROPPED, 1280, 720);
  check_chain (SRC_640,
      "videoscale add-borders=true ! "
      "video/x-raw,width=1280,height=1280,pixel-aspect-ratio=1/1",
      EXPECT_DROPPED, 1280, 1280);
  /* Stretched instead: the transform sees the same in/out geometry as
   * for the letterbox, so it drops here too (never wrong, maybe lost). */
  check_chain (SRC_640,
      "videoscale add-borders=false ! "
      "video/x-raw,width=1280,height=720,pixel-aspect-ratio=1/1",
      EXPECT_DROPPED, 1280, 720);
}

GST_END_TEST;

/* Format conversion goes through the scale transform too: exact. */
GST_START_TEST (test_videoconvert)
{
  check_chain (SRC_640, "videoconvert ! video/x-raw,format=RGBA",
      EXPECT_KEPT, 640, 480);
  check_chain (SRC_640, "videoconvert ! video/x-raw,format=NV12",
      EXPECT_KEPT, 640, 480);
  check_chain (SRC_320, "videoconvert ! video/x-raw,format=RGBA ! "
      "videoscale ! video/x-raw,width=1280,height=720", EXPECT_KEPT, 1280, 720);
  check_chain (SRC_640, "videoconvertscale ! "
      "video/x-raw,format=BGRx,width=320,height=240", EXPECT_KEPT, 320, 240);
}

GST_END_TEST;

/* videorate duplicates (copies) buffers: every frame keeps it. */
GST_START_TEST (test_videorate)
{
  Result r;

  run_chain (SRC_640, "videorate ! video/x-raw,framerate=60/1", &r);
  fail_unless (r.n_buffers > N_FRAMES, "videorate duplicated nothing");
  check_result ("videorate 60/1", &r, EXPECT_KEPT, 640, 480);
  run_chain (SRC_640, "videorate ! video/x-raw,framerate=10/1", &r);
  fail_unless (r.n_buffers < N_FRAMES, "videorate dropped nothing");
  check_result ("videorate 10/1", &r, EXPECT_KEPT, 640, 480);
}

GST_END_TEST;

/* Crop: videocrop really cropping (downstream does not accept crop metas)
 * drops metas tagged size (measured). */
GST_START_TEST (test_videocrop)
{
  check_chain (SRC_640, "videocrop left=100 top=40", EXPECT_DROPPED, 540, 440);
  check_chain (SRC_640, "videocrop right=2 bottom=2", EXPECT_DROPPED, 638, 478);
  /* Nothing cropped: passthrough, untouched and exact. */
  check_chain (SRC_640, "videocrop", EXPECT_KEPT, 640, 480);
}

GST_END_TEST;

static GstPadProbeReturn
accept_crop_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *q = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (q) == GST_QUERY_ALLOCATION) {
    gst_query_add_allocation_meta (q, GST_VIDEO_META_API_TYPE, NULL);
    gst_query_add_allocation_meta (q, GST_VIDEO_CROP_META_API_TYPE, NULL);
  }
  return GST_PAD_PROBE_OK;
}

/* videocrop towards an element that accepts GstVideoCropMeta (1.22,
 * measured): no cropping, the whole frame goes on with a crop meta and
 * caps of the cropped size, and the GstViAnnotMeta stays.  Read with
 * gst_vi_annot_meta_get_phrase_pixels_for_buffer(), the boxes are those
 * of the cropped frame. */
GST_START_TEST (test_videocrop_crop_meta)
{
  GstViAnnotSet *set = make_set ();
  Attach a = { set, };
  GstElement *pipeline, *e;
  GstPad *pad;
  GstSample *sample;
  guint n = 0;

  g_mutex_init (&a.lock);
  a.sums = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  pipeline = gst_parse_launch ("videotestsrc num-buffers=3 ! " SRC_640
      " ! identity name=attach ! videocrop left=100 top=40 ! "
      "appsink name=sink sync=false", NULL);
  fail_unless (pipeline != NULL);
  e = gst_bin_get_by_name (GST_BIN (pipeline), "attach");
  pad = gst_element_get_static_pad (e, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, attach_probe, &a, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
  e = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (e, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      accept_crop_meta, NULL, NULL);
  gst_object_unref (pad);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((g_signal_emit_by_name (e, "pull-sample", &sample), sample)) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstVideoCropMeta *crop = gst_buffer_get_video_crop_meta (buf);
    GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buf);
    GstVideoInfo info;
    guint i;

    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 540);
    fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 440);
    fail_unless (crop != NULL, "videocrop cropped instead of a crop meta");
    fail_unless (meta != NULL);
    for (i = 0; i < G_N_ELEMENTS (boxes); i++) {
      ViPixelBox full, got;

      vi_bbox_to_pixels (&boxes[i], 640, 480, &full);
      fail_unless (gst_vi_annot_meta_get_phrase_pixels_for_buffer (meta, i,
              buf, &info, &got));
      fail_unless_equals_int (got.x_min, CLAMP (full.x_min - 100, 0, 540));
      fail_unless_equals_int (got.y_min, CLAMP (full.y_min - 40, 0, 440));
      fail_unless_equals_int (got.x_max, CLAMP (full.x_max - 100, 0, 540));
      fail_unless_equals_int (got.y_max, CLAMP (full.y_max - 40, 0, 440));
    }
    n++;
    gst_sample_unref (sample);
  }
  fail_unless_equals_int (n, 3);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (e);
  gst_object_unref (pipeline);
  g_hash_table_unref (a.sums);
  g_mutex_clear (&a.lock);
  gst_vi_annot_set_unref (set);
}

GST_END_TEST;

/* Borders and crops by videobox: dropped. */
GST_START_TEST (test_videobox)
{
  check_chain (SRC_640, "videobox left=-100 top=-50", EXPECT_DROPPED, 740, 530);
  check_chain (SRC_640, "videobox left=100 top=50", EXPECT_DROPPED, 540, 430);
  check_chain (SRC_640, "videobox", EXPECT_KEPT, 640, 480);
}

GST_END_TEST;

/* Flips and rotations: videoflip (a GstVideoFilter without
 * transform_meta) drops metas tagged size/orientation; every method but
 * none flips, and the meta is gone. */
GST_START_TEST (test_videoflip)
{
  static const struct
  {
    const char *method;
    int width, height;
  } methods[] = {
    {"horizontal-flip", 640, 480},
    {"vertical-flip", 640, 480},
    {"rotate-180", 640, 480},
    {"clockwise", 480, 640},
    {"counterclockwise", 480, 640},
    {"upper-left-diagonal", 480, 640},
    {"upper-right-diagonal", 480, 640},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (methods); i++) {
    g_autofree char *props = g_strdup_printf ("flip:method=%s",
        methods[i].method);
    Result r;

    run_chain_full (SRC_640, "videoflip name=flip", props, &r);
    fail_unless_equals_int (r.n_buffers, N_FRAMES);
    /* The frames really were flipped ... */
    fail_unless (r.n_unchanged == 0, "%s: %u frames not flipped",
        methods[i].method, r.n_unchanged);
    /* ... and no meta is left on them. */
    check_result (props, &r, EXPECT_DROPPED, methods[i].width,
        methods[i].height);
  }
}

GST_END_TEST;

/* videoflip 1.22.0 with the method given at construction (as
 * gst_parse_launch does) stays in passthrough and does not flip
 * (measured: "set passthrough 0" then "set passthrough 1"), so the meta
 * stays and is right; "method=none" copies the frame without passthrough
 * and drops the meta; "video-direction=vert" flips and drops it.
 * Whatever a given GStreamer does there, a meta that is left must be on
 * an unchanged frame and exact. */
GST_START_TEST (test_videoflip_correct_or_none)
{
  static const char *chains[] = {
    "videoflip method=horizontal-flip",
    "videoflip video-direction=vert",
    "videoflip method=rotate-180",
    "videoflip method=none",
    "videoflip",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (chains); i++) {
    Result r;

    run_chain (SRC_640, chains[i], &r);
    fail_unless_equals_int (r.n_buffers, N_FRAMES);
    fail_unless (r.n_with_meta == r.n_unchanged_exact,
        "%s: %u with meta, %u unchanged, %u unchanged and exact",
        chains[i], r.n_with_meta, r.n_unchanged, r.n_unchanged_exact);
  }
}

GST_END_TEST;

/* A chain: scale and convert keep it, a flip after them drops it. */
GST_START_TEST (test_chains)
{
  Result r;

  run_chain (SRC_640, "videoscale ! video/x-raw,width=320,height=240 ! "
      "videoconvert ! video/x-raw,format=RGBA ! videorate ! "
      "video/x-raw,framerate=60/1", &r);
  check_result ("scale-convert-rate", &r, EXPECT_KEPT, 320, 240);
  run_chain_full (SRC_640, "videoscale ! video/x-raw,width=320,height=240 ! "
      "videoflip name=flip ! videoconvert", "flip:method=horizontal-flip", &r);
  check_result ("scale-flip-convert", &r, EXPECT_DROPPED, 320, 240);
}

GST_END_TEST;

static Suite *
viannotmeta_pipelines_suite (void)
{
  Suite *s = suite_create ("viannotmeta-pipelines");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_identity);
  tcase_add_test (tc, test_videoscale);
  tcase_add_test (tc, test_videoscale_borders);
  tcase_add_test (tc, test_videoconvert);
  tcase_add_test (tc, test_videorate);
  tcase_add_test (tc, test_videocrop);
  tcase_add_test (tc, test_videocrop_crop_meta);
  tcase_add_test (tc, test_videobox);
  tcase_add_test (tc, test_videoflip);
  tcase_add_test (tc, test_videoflip_correct_or_none);
  tcase_add_test (tc, test_chains);

  return s;
}

GST_CHECK_MAIN (viannotmeta_pipelines);
