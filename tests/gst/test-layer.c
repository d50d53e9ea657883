/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The parts of the plugin the elements share, on their own (linked from
 * the plugin's static layer library): the frame -> asset mapping, and the
 * reading of the regions on a frame. */
#include "config.h"

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotelements.h"
#include "gstviannotframemap.h"
#include "gstviannotregions.h"

static GstViAnnotFrameMap *
new_map (const gchar * tmpl, guint start, gint rate_n, gint rate_d)
{
  GstViAnnotFrameMapProps props;
  GstViAnnotFrameMap *map;
  GError *error = NULL;

  gst_vi_annot_frame_map_props_init (&props);
  props.asset_id_template = g_strdup (tmpl);
  props.start_number = start;
  props.asset_rate_n = rate_n;
  props.asset_rate_d = rate_d;
  map = gst_vi_annot_frame_map_new (&props, &error);
  g_assert_no_error (error);
  gst_vi_annot_frame_map_props_clear (&props);
  return map;
}

/* The asset index of a buffer with @pts (and @dts, @offset) in @segment
 * at @fps_n/@fps_d; -1 if outside, -2 if failed (error message in
 * @message). */
static gint64
index_of (GstViAnnotFrameMap * map, const GstSegment * segment,
    gint fps_n, gint fps_d, GstClockTime pts, GstClockTime dts,
    guint64 offset, gchar ** message)
{
  GstBuffer *buf = gst_buffer_new ();
  GError *error = NULL;
  guint64 index = 0;
  gint64 ret;

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_OFFSET (buf) = offset;
  switch (gst_vi_annot_frame_map_index (map, segment, fps_n, fps_d, buf,
          &index, &error)) {
    case GST_VI_ANNOT_FRAME_INDEX_OK:
      g_assert_no_error (error);
      ret = (gint64) index;
      break;
    case GST_VI_ANNOT_FRAME_INDEX_OUTSIDE:
      g_assert_no_error (error);
      ret = -1;
      break;
    default:
      fail_unless (error != NULL);
      fail_unless (g_error_matches (error, GST_STREAM_ERROR,
              GST_STREAM_ERROR_FORMAT));
      if (message != NULL)
        *message = g_strdup (error->message);
      g_clear_error (&error);
      ret = -2;
      break;
  }
  gst_buffer_unref (buf);
  return ret;
}

#define NONE GST_CLOCK_TIME_NONE
#define NO_OFFSET GST_BUFFER_OFFSET_NONE
#define MS GST_MSECOND

GST_START_TEST (test_format)
{
  GstViAnnotFrameMap *map = new_map ("frame_%06d.jpg", 0, 0, 1);
  gchar *s;

  s = gst_vi_annot_frame_map_format (map, 42);
  fail_unless_equals_string (s, "frame_000042.jpg");
  g_free (s);
  gst_vi_annot_frame_map_free (map);

  map = new_map ("%% %5u %%", 0, 0, 1);
  s = gst_vi_annot_frame_map_format (map, 7);
  fail_unless_equals_string (s, "%     7 %");
  g_free (s);
  gst_vi_annot_frame_map_free (map);
}

GST_END_TEST;

/* The asset of a buffer, as both elements ask for it: asset-id's, or the
 * template filled with the frame's number; nothing outside the stream. */
GST_START_TEST (test_asset_of_buffer)
{
  GstViAnnotFrameMapProps props;
  GstViAnnotFrameMap *map = new_map ("frame_%03d.jpg", 1, 0, 1);
  GstBuffer *buf = gst_buffer_new ();
  GstSegment seg;
  GError *error = NULL;
  const gchar *asset;
  gchar *alloc;
  guint64 index;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  GST_BUFFER_PTS (buf) = GST_SECOND;
  fail_unless_equals_int (gst_vi_annot_frame_map_asset (map, &seg, 25, 1, buf,
          &index, &asset, &alloc, &error), GST_VI_ANNOT_FRAME_INDEX_OK);
  fail_unless_equals_uint64 (index, 26);
  fail_unless_equals_string (asset, "frame_026.jpg");
  fail_unless (asset == alloc);
  g_free (alloc);

  /* Before the stream's start (negative stream time): no asset, no
   * error. */
  seg.start = 2 * GST_SECOND;
  seg.time = 0;
  fail_unless_equals_int (gst_vi_annot_frame_map_asset (map, &seg, 25, 1, buf,
          &index, &asset, &alloc, &error), GST_VI_ANNOT_FRAME_INDEX_OUTSIDE);
  fail_unless (asset == NULL && alloc == NULL && error == NULL);

  /* No framerate: no number, an error. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless_equals_int (gst_vi_annot_frame_map_asset (map, &seg, 0, 1, buf,
          &index, &asset, &alloc, &error), GST_VI_ANNOT_FRAME_INDEX_FAILED);
  fail_unless (asset == NULL && alloc == NULL && error != NULL);
  g_clear_error (&error);
  gst_vi_annot_frame_map_free (map);

  /* asset-id: the same asset for every frame, nothing to free. */
  gst_vi_annot_frame_map_props_init (&props);
  props.asset_id = g_strdup ("still.jpg");
  map = gst_vi_annot_frame_map_new (&props, &error);
  g_assert_no_error (error);
  gst_vi_annot_frame_map_props_clear (&props);
  fail_unless_equals_int (gst_vi_annot_frame_map_asset (map, &seg, 0, 1, buf,
          &index, &asset, &alloc, &error), GST_VI_ANNOT_FRAME_INDEX_OK);
  fail_unless_equals_string (asset, "still.jpg");
  fail_unless (alloc == NULL);
  fail_unless_equals_uint64 (index, 0);
  gst_vi_annot_frame_map_free (map);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Stream time x framerate, rounded to the nearest frame. */
GST_START_TEST (test_index_from_time)
{
  GstViAnnotFrameMap *map = new_map ("f%d", 0, 0, 1);
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 0, NONE, NO_OFFSET,
          NULL), 0);
  /* 3/30 s rounded down to the nanosecond by a decoder. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 99999999, NONE,
          NO_OFFSET, NULL), 3);
  fail_unless_equals_int64 (index_of (map, &seg, 30000, 1001,
          gst_util_uint64_scale (1000, 1001 * GST_SECOND, 30000), NONE,
          NO_OFFSET, NULL), 1000);
  /* DTS when there is no PTS; the offset does not count then. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, NONE, 200 * MS, 99,
          NULL), 6);

  /* After a flushing seek to 1 s: the segment starts there, and so does
   * its stream time. */
  seg.start = seg.time = GST_SECOND;
  seg.position = GST_SECOND;
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, GST_SECOND +
          500 * MS, NONE, NO_OFFSET, NULL), 45);
  /* Before the segment's start (a decoder's frame before a keyframe):
   * still the frame of its stream time. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 900 * MS, NONE,
          NO_OFFSET, NULL), 27);

  /* A demuxer whose timestamps start at 10 s for stream time 0. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = 10 * GST_SECOND;
  seg.time = 0;
  fail_unless_equals_int64 (index_of (map, &seg, 25, 1, 12 * GST_SECOND,
          NONE, NO_OFFSET, NULL), 50);
  /* Before stream time 0: no frame of the stream, no asset. */
  fail_unless_equals_int64 (index_of (map, &seg, 25, 1, 9 * GST_SECOND,
          NONE, NO_OFFSET, NULL), -1);

  /* Rate 2.0 (a seek): timestamps and stream time are unchanged. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.rate = 2.0;
  seg.start = seg.time = 400 * MS;
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 500 * MS, NONE,
          NO_OFFSET, NULL), 15);
  /* Applied rate 2.0 (upstream already sped it up): stream time runs
   * twice as fast as the timestamps. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.applied_rate = 2.0;
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 500 * MS, NONE,
          NO_OFFSET, NULL), 30);
  gst_vi_annot_frame_map_free (map);
}

GST_END_TEST;

GST_START_TEST (test_index_start_number_and_offsets)
{
  GstViAnnotFrameMap *map = new_map ("f%d", 10, 0, 1);
  GstSegment seg;
  gchar *message = NULL;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, 0, NONE, NO_OFFSET,
          NULL), 10);
  /* No timestamp: the offset numbers raw video frames. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, NONE, NONE, 7,
          NULL), 17);
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, NONE, NONE, 7, NULL),
      17);
  /* Neither: no number, and a message that says why. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, NONE, NONE,
          NO_OFFSET, &message), -2);
  fail_unless_equals_string (message, "asset-id-template cannot number the "
      "frames: a frame has neither a timestamp nor an offset.");
  g_free (message);
  gst_vi_annot_frame_map_free (map);
}

GST_END_TEST;

GST_START_TEST (test_index_without_framerate)
{
  GstViAnnotFrameMap *map = new_map ("f%d", 0, 0, 1);
  GstSegment seg;
  gchar *message = NULL;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, GST_SECOND, NONE,
          NO_OFFSET, &message), -2);
  fail_unless (strstr (message, "the caps have no framerate (0/1)") != NULL);
  g_free (message);
  gst_vi_annot_frame_map_free (map);

  /* asset-rate gives a number from time alone. */
  map = new_map ("f%d", 0, 1, 1);
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, 999999999, NONE,
          NO_OFFSET, NULL), 1);
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, 999 * MS, NONE,
          NO_OFFSET, NULL), 0);
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, 2500 * MS, NONE,
          NO_OFFSET, NULL), 2);
  /* But not from an offset. */
  fail_unless_equals_int64 (index_of (map, &seg, 0, 1, NONE, NONE, 5,
          &message), -2);
  fail_unless_equals_string (message, "asset-rate needs the time of the "
      "frames: they have no timestamp and the caps no framerate.");
  g_free (message);
  gst_vi_annot_frame_map_free (map);
}

GST_END_TEST;

/* One asset per second of a 30 fps video: frame n -> floor (n / 30). */
GST_START_TEST (test_index_asset_rate)
{
  GstViAnnotFrameMap *map = new_map ("f%d", 100, 1, 1);
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1,
          gst_util_uint64_scale (29, GST_SECOND, 30), NONE, NO_OFFSET, NULL),
      100);
  /* 30/30 s rounded down by a nanosecond is still frame 30. */
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, GST_SECOND - 1,
          NONE, NO_OFFSET, NULL), 101);
  fail_unless_equals_int64 (index_of (map, &seg, 30, 1, NONE, NONE, 61,
          NULL), 102);
  gst_vi_annot_frame_map_free (map);

  /* A dataset of every original frame of a video played through
   * videorate at 60 fps: asset-rate = the original rate. */
  map = new_map ("f%d", 0, 30000, 1001);
  fail_unless_equals_int64 (index_of (map, &seg, 60000, 1001,
          gst_util_uint64_scale (201, 1001 * GST_SECOND, 60000), NONE,
          NO_OFFSET, NULL), 100);
  gst_vi_annot_frame_map_free (map);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

static GstViAnnotSet *
make_set (void)
{
  GstViAnnotSet *set = gst_vi_annot_set_new ("ds", "a");
  ViBBox cat = { 0.1, 0.2, 0.5, 0.7 }, couch = { 0.6, 0.2, 0.9, 0.7 };
  guint c = gst_vi_annot_set_add_caption (set, "A cat on a couch");

  gst_vi_annot_set_add_phrase (set, c, "cat", 2, 5, &cat, "ann-1", "w");
  gst_vi_annot_set_add_phrase (set, c, "couch", 11, 16, &couch, "ann-2", "w");
  return set;
}

GST_START_TEST (test_regions)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf = gst_buffer_new ();
  GstViAnnotMeta *meta = gst_buffer_add_vi_annot_meta (buf, set);
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (GstViAnnotRegion));
  GstVideoRegionOfInterestMeta *roi;
  GstViAnnotRegion *r;
  GstVideoInfo info;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 640, 480);
  fail_unless_equals_int (gst_vi_annot_meta_add_roi_metas (meta, buf, &info),
      2);
  /* A detector's box. */
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "person", 320, 0,
      64, 240);
  roi->id = 9;
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "label", G_TYPE_STRING, "someone",
          "confidence", G_TYPE_DOUBLE, 0.75, "x_min", G_TYPE_DOUBLE, 0.5,
          "y_min", G_TYPE_DOUBLE, 0.0, "x_max", G_TYPE_DOUBLE, 0.6,
          "y_max", G_TYPE_DOUBLE, 0.5, NULL));

  /* The phrases from the meta (not again from its ROI metas), then the
   * detector's box. */
  fail_unless_equals_int (gst_vi_annot_regions_read (buf, &info, regions), 3);
  r = &g_array_index (regions, GstViAnnotRegion, 0);
  fail_unless_equals_int (r->source, GST_VI_ANNOT_REGION_FROM_META);
  fail_unless_equals_string (r->label, "cat");
  fail_unless_equals_string (r->annotation_id, "ann-1");
  fail_unless_equals_int (r->caption, 0);
  fail_unless_equals_int (r->pixels.x_min, 64);
  fail_unless_equals_int (r->pixels.y_max, 336);
  fail_unless (r->bbox.x_min == 0.1 && r->bbox.y_max == 0.7);
  r = &g_array_index (regions, GstViAnnotRegion, 1);
  fail_unless_equals_string (r->label, "couch");
  r = &g_array_index (regions, GstViAnnotRegion, 2);
  fail_unless_equals_int (r->source, GST_VI_ANNOT_REGION_FROM_ROI);
  fail_unless_equals_string (r->label, "someone");
  fail_unless_equals_int (r->id, 9);
  fail_unless (r->confidence == 0.75);
  fail_unless_equals_int (r->pixels.x_min, 320);
  fail_unless_equals_int (r->pixels.x_max, 384);
  fail_unless (r->bbox.x_min == 0.5 && r->bbox.x_max == 0.6);
  g_array_set_size (regions, 0);

  /* Without the GstViAnnotMeta, every ROI meta is a region. */
  gst_buffer_remove_meta (buf, (GstMeta *) gst_buffer_get_vi_annot_meta (buf));
  fail_unless_equals_int (gst_vi_annot_regions_read (buf, &info, regions), 3);
  g_array_set_size (regions, 0);

  gst_buffer_unref (buf);
  gst_vi_annot_set_unref (set);
  g_array_unref (regions);
}

GST_END_TEST;

/* A crop meta (videocrop towards an element that accepts them): boxes in
 * the cropped frame. */
GST_START_TEST (test_regions_crop_meta)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf = gst_buffer_new ();
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (GstViAnnotRegion));
  GstVideoCropMeta *crop;
  GstViAnnotRegion *r;
  GstVideoInfo info;

  gst_buffer_add_vi_annot_meta (buf, set);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_I420, 640, 480);
  crop = gst_buffer_add_video_crop_meta (buf);
  crop->x = 100;
  crop->y = 40;
  crop->width = 540;
  crop->height = 440;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 540, 440);

  fail_unless_equals_int (gst_vi_annot_regions_read (buf, &info, regions), 2);
  r = &g_array_index (regions, GstViAnnotRegion, 0);
  fail_unless_equals_int (r->pixels.x_min, 0);
  fail_unless_equals_int (r->pixels.y_min, 56);
  fail_unless_equals_int (r->pixels.x_max, 220);
  fail_unless_equals_int (r->pixels.y_max, 296);
  fail_unless (G_APPROX_VALUE (r->bbox.x_max, 220.0 / 540, 1e-12));

  gst_buffer_unref (buf);
  gst_vi_annot_set_unref (set);
  g_array_unref (regions);
}

GST_END_TEST;

static Suite *
layer_suite (void)
{
  Suite *s = suite_create ("viannot-layer");
  TCase *tc = tcase_create ("general");

  viannot_element_init (NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_format);
  tcase_add_test (tc, test_asset_of_buffer);
  tcase_add_test (tc, test_index_from_time);
  tcase_add_test (tc, test_index_start_number_and_offsets);
  tcase_add_test (tc, test_index_without_framerate);
  tcase_add_test (tc, test_index_asset_rate);
  tcase_add_test (tc, test_regions);
  tcase_add_test (tc, test_regions_crop_meta);

  return s;
}

GST_CHECK_MAIN (layer);
