/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The ROI metas viannotsrc attaches, downstream of stock elements, read
 * with plain GStreamer API only (gst_buffer_iterate_meta_filtered,
 * gst_video_region_of_interest_meta_get_param): after videoscale or
 * videoconvert every box is exact for the frame that comes out (the
 * reference's to_pixels of the normalized box at the output size: the
 * stock integer transform is 1-3 px off), and after a letterbox, a crop, a
 * flip or borders no ROI meta is left (the stock transform keeps them,
 * wrong, after a letterbox).
 *
 * videotestsrc 640x480 ! viannotsrc location=... ! CHAIN ! appsink */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <gst/viannot/gstviannotmeta.h>

#define N_FRAMES 3

/* Coordinates whose products with 640 and with the output sizes fall on
 * both sides of .5, so that an integer rescale of the rounded input
 * rectangle is off. */
static const gdouble boxes[][4] = {
  {0.1234, 0.2345, 0.5678, 0.7891},
  {0.0113, 0.0517, 0.9987, 0.9923},
  {0.3337, 0.4449, 0.3551, 0.4663},
};

static gchar *tmp_dir;
static gchar *ann_path;

static void
setup (void)
{
  GString *line = g_string_new ("{\"asset_id\": \"a\", \"caption\": "
      "\"one two three\", \"grounded_phrases\": [");
  static const gchar *phrases[] = { "one", "two", "three" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (boxes); i++) {
    gchar x0[G_ASCII_DTOSTR_BUF_SIZE], y0[G_ASCII_DTOSTR_BUF_SIZE];
    gchar x1[G_ASCII_DTOSTR_BUF_SIZE], y1[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf (line, "%s{\"phrase\": \"%s\", \"bbox\": "
        "[%s, %s, %s, %s]}", i ? ", " : "", phrases[i],
        g_ascii_dtostr (x0, sizeof x0, boxes[i][0]),
        g_ascii_dtostr (y0, sizeof y0, boxes[i][1]),
        g_ascii_dtostr (x1, sizeof x1, boxes[i][2]),
        g_ascii_dtostr (y1, sizeof y1, boxes[i][3]));
  }
  g_string_append (line, "]}\n");

  tmp_dir = g_dir_make_tmp ("viannotsrc-roi-XXXXXX", NULL);
  ann_path = g_build_filename (tmp_dir, "ann.jsonl", NULL);
  fail_unless (g_file_set_contents (ann_path, line->str, -1, NULL));
  g_string_free (line, TRUE);
}

static void
teardown (void)
{
  g_unlink (ann_path);
  g_rmdir (tmp_dir);
  g_clear_pointer (&ann_path, g_free);
  g_clear_pointer (&tmp_dir, g_free);
}

typedef struct
{
  guint n_frames;
  guint n_rois;                 /* all ROI metas seen */
  guint n_with_annot;           /* frames with a GstViAnnotMeta */
  gdouble max_error;            /* px, over every edge of every ROI */
  guint n_with_params;
  gint width, height;
} Result;

/* The reference's to_pixels: int (v * size). */
static gdouble
to_pixel (gdouble v, gint size)
{
  return (gdouble) (gint) (v * size);
}

static void
check_roi (GstVideoRegionOfInterestMeta * roi, gint width, gint height,
    Result * r)
{
  static const gchar *phrases[] = { "one", "two", "three" };
  const GstStructure *s =
      gst_video_region_of_interest_meta_get_param (roi, "vi/annotation");
  const GstStructure *det =
      gst_video_region_of_interest_meta_get_param (roi, "detection");
  const gdouble *box = NULL;
  gdouble x0, err;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (phrases); i++) {
    if (g_str_equal (g_quark_to_string (roi->roi_type), phrases[i]))
      box = boxes[i];
  }
  fail_unless (box != NULL, "ROI of type %s",
      g_quark_to_string (roi->roi_type));

  err = MAX (MAX (fabs (roi->x - to_pixel (box[0], width)),
          fabs (roi->y - to_pixel (box[1], height))),
      MAX (fabs (roi->x + roi->w - to_pixel (box[2], width)),
          fabs (roi->y + roi->h - to_pixel (box[3], height))));
  GST_LOG ("%s: %u,%u %ux%u at %dx%d: %g px off",
      g_quark_to_string (roi->roi_type), roi->x, roi->y, roi->w, roi->h,
      width, height, err);
  r->max_error = MAX (r->max_error, err);

  /* The parameters survive scaling and conversion (the stock transform
   * drops them), with the normalized box. */
  if (s != NULL && det != NULL && gst_structure_get_double (s, "x-min",
          &x0) && x0 == box[0])
    r->n_with_params++;
}

/* @props: "name:property=value" set on an element of the chain once it
 * is built (videoflip 1.22.0 ignores a method given at construction). */
static void
run_chain (const gchar * chain, const gchar * props, Result * r)
{
  GstElement *pipeline, *sink;
  GstSample *sample;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  gchar *desc;

  memset (r, 0, sizeof *r);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! video/x-raw,"
      "format=I420,width=640,height=480,framerate=30/1,"
      "pixel-aspect-ratio=1/1 ! viannotsrc location=\"%s\" asset-id=a ! "
      "%s ! appsink name=sink sync=false", N_FRAMES, ann_path, chain);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);

  if (props != NULL) {
    gchar **kv = g_strsplit_set (props, ":=", 3);
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), kv[0]);

    fail_unless (e != NULL);
    gst_util_set_object_arg (G_OBJECT (e), kv[1], kv[2]);
    gst_object_unref (e);
    g_strfreev (kv);
  }

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  while ((g_signal_emit_by_name (sink, "pull-sample", &sample), sample)) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstVideoInfo info;
    gpointer state = NULL;
    GstMeta *m;
    guint n = 0;

    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    r->width = GST_VIDEO_INFO_WIDTH (&info);
    r->height = GST_VIDEO_INFO_HEIGHT (&info);
    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      check_roi ((GstVideoRegionOfInterestMeta *) m, r->width, r->height, r);
      n++;
    }
    r->n_rois += n;
    if (gst_buffer_get_vi_annot_meta (buf) != NULL) {
      r->n_with_annot++;
      /* Both or neither: one rule for the two metas. */
      fail_unless_equals_int (n, G_N_ELEMENTS (boxes));
    } else {
      fail_unless_equals_int (n, 0);
    }
    r->n_frames++;
    gst_sample_unref (sample);
  }

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg != NULL) {
    gst_message_parse_error (msg, &error, NULL);
    fail ("%s: %s", chain, error->message);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  GST_INFO ("%s: %u frames %dx%d, %u ROI metas, %g px off at most", chain,
      r->n_frames, r->width, r->height, r->n_rois, r->max_error);
}

static void
check_exact (const gchar * chain, gint width, gint height)
{
  Result r;

  run_chain (chain, NULL, &r);
  /* videorate may add frames. */
  fail_unless (r.n_frames >= N_FRAMES);
  fail_unless_equals_int (r.width, width);
  fail_unless_equals_int (r.height, height);
  fail_unless_equals_int (r.n_rois, r.n_frames * G_N_ELEMENTS (boxes));
  fail_unless (r.max_error <= 0.5, "%s: a box edge is %g px off", chain,
      r.max_error);
  fail_unless_equals_int (r.n_with_params, r.n_rois);
}

static void
check_removed (const gchar * chain, const gchar * props, gint width,
    gint height)
{
  Result r;

  run_chain (chain, props, &r);
  fail_unless (r.n_frames > 0);
  fail_unless_equals_int (r.width, width);
  fail_unless_equals_int (r.height, height);
  fail_unless (r.n_rois == 0, "%s: %u ROI metas left", chain, r.n_rois);
}

GST_START_TEST (test_no_transform)
{
  check_exact ("identity", 640, 480);
}

GST_END_TEST;

GST_START_TEST (test_videoscale)
{
  check_exact ("videoscale ! video/x-raw,width=1280,height=720", 1280, 720);
  check_exact ("videoscale ! video/x-raw,width=1919,height=1081", 1919, 1081);
  check_exact ("videoscale ! video/x-raw,width=37,height=23", 37, 23);
}

GST_END_TEST;

GST_START_TEST (test_videoconvert)
{
  check_exact ("videoconvert ! video/x-raw,format=RGBA", 640, 480);
  check_exact ("videoconvertscale ! video/x-raw,format=BGRx,width=320,"
      "height=240", 320, 240);
  check_exact ("videorate ! video/x-raw,framerate=60/1 ! videoscale ! "
      "video/x-raw,width=960,height=720", 960, 720);
}

GST_END_TEST;

GST_START_TEST (test_removed_with_the_annotations)
{
  /* The usual detector preprocessing: a letterbox. */
  check_removed ("videoscale ! video/x-raw,width=640,height=640,"
      "pixel-aspect-ratio=1/1", NULL, 640, 640);
  check_removed ("videoscale add-borders=true ! video/x-raw,width=1280,"
      "height=1280,pixel-aspect-ratio=1/1", NULL, 1280, 1280);
  check_removed ("videocrop left=100 top=40", NULL, 540, 440);
  check_removed ("videoflip name=flip", "flip:method=horizontal-flip",
      640, 480);
  check_removed ("videoflip name=flip", "flip:method=clockwise", 480, 640);
  check_removed ("videobox left=-100 top=-50", NULL, 740, 530);
  check_removed ("videobox left=20 right=20", NULL, 600, 480);
}

GST_END_TEST;

static Suite *
viannotsrc_roi_suite (void)
{
  Suite *s = suite_create ("viannotsrc-roi");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_transform);
  tcase_add_test (tc, test_videoscale);
  tcase_add_test (tc, test_videoconvert);
  tcase_add_test (tc, test_removed_with_the_annotations);

  return s;
}

GST_CHECK_MAIN (viannotsrc_roi);
