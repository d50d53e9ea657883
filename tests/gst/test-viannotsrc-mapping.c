/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotsrc asset-id-template in real pipelines: every frame must carry
 * the asset of its own frame number, whatever happened before it (a
 * decoder, flushing seeks, a segment seek, a rate change, videorate, an
 * image sequence that does not start at 0).
 *
 * The frames' own numbers are ground truth written into their pixels when
 * the test media is made (the top half of frame n is a flat gray of level
 * 16 + 20 x its tens, the bottom half 16 + 20 x its units: JPEG and PNG
 * keep that within a few levels), so the test does not compute them the
 * way the element does.  Local JSONL mode: no server is needed. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gi18n-lib.h>

#include <gst/viannot/gstviannotmeta.h>

#define N_FRAMES 90
#define WIDTH 64
#define HEIGHT 48

static gchar *tmp_dir;
static gchar *clip_path;        /* 90 MJPEG frames at 30/1 in AVI */
static gchar *ann_path;         /* assets frame_000000 .. frame_000199 */

/* ------------------------------------------------------------------ */
/* test media */

static GstPadProbeReturn
stamp_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  fail_unless (*n < 100);
  gst_buffer_memset (buf, 0, 16 + 20 * (*n / 10), WIDTH * HEIGHT / 2);
  gst_buffer_memset (buf, WIDTH * HEIGHT / 2, 16 + 20 * (*n % 10),
      WIDTH * HEIGHT / 2);
  (*n)++;
  return GST_PAD_PROBE_OK;
}

/* Runs "videotestsrc ! GRAY8 ! identity name=stamp ! @tail", frame n
 * stamped with its number (from @first_number). */
static void
make_media (const gchar * tail, guint n_frames, guint first_number)
{
  GstElement *pipeline, *stamp;
  GstPad *pad;
  GstMessage *msg;
  GstBus *bus;
  GError *error = NULL;
  gchar *desc;
  guint n = first_number;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=black ! "
      "video/x-raw,format=GRAY8,width=%d,height=%d,framerate=30/1 ! "
      "identity name=stamp ! %s", n_frames, WIDTH, HEIGHT, tail);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  stamp = gst_bin_get_by_name (GST_BIN (pipeline), "stamp");
  pad = gst_element_get_static_pad (stamp, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_probe, &n, NULL);
  gst_object_unref (pad);
  gst_object_unref (stamp);

  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fail_unless_equals_int (n, first_number + n_frames);
}

static void
media_setup (void)
{
  GString *lines = g_string_new (NULL);
  gchar *tail;
  guint i;

  tmp_dir = g_dir_make_tmp ("viannotsrc-mapping-XXXXXX", NULL);
  fail_unless (tmp_dir != NULL);
  clip_path = g_build_filename (tmp_dir, "clip.avi", NULL);
  ann_path = g_build_filename (tmp_dir, "ann.jsonl", NULL);

  tail = g_strdup_printf ("jpegenc quality=95 ! avimux ! filesink "
      "location=\"%s\"", clip_path);
  make_media (tail, N_FRAMES, 0);
  g_free (tail);

  for (i = 0; i < 200; i++)
    g_string_append_printf (lines, "{\"asset_id\": \"frame_%06u\", "
        "\"caption\": \"frame %u\"}\n", i, i);
  fail_unless (g_file_set_contents (ann_path, lines->str, -1, NULL));
  g_string_free (lines, TRUE);
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
media_teardown (void)
{
  remove_dir (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
  g_clear_pointer (&clip_path, g_free);
  g_clear_pointer (&ann_path, g_free);
}

/* ------------------------------------------------------------------ */
/* reading */

/* The frame's own number, from its pixels. */
static gint
frame_truth (GstSample * sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstMapInfo map;
  gint tens, units;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  tens = map.data[(HEIGHT / 4) * WIDTH + WIDTH / 2];
  units = map.data[(3 * HEIGHT / 4) * WIDTH + WIDTH / 2];
  gst_buffer_unmap (buf, &map);
  return 10 * ((tens - 16 + 10) / 20) + (units - 16 + 10) / 20;
}

/* The number in the asset id the element put on the frame, -1 if none. */
static gint
frame_asset (GstSample * sample)
{
  GstViAnnotMeta *meta =
      gst_buffer_get_vi_annot_meta (gst_sample_get_buffer (sample));
  const gchar *asset;

  if (meta == NULL)
    return -1;
  asset = gst_vi_annot_meta_get_asset_id (meta);
  fail_unless (g_str_has_prefix (asset, "frame_") ||
      g_str_has_prefix (asset, "f_"), "%s", asset);
  return atoi (strchr (asset, '_') + 1);
}

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
} Pipe;

static void
pipe_open (Pipe * p, const gchar * head, const gchar * props)
{
  GError *error = NULL;
  gchar *desc;

  desc = g_strdup_printf ("%s ! videoconvert ! video/x-raw,format=GRAY8 ! "
      "viannotsrc name=v location=\"%s\" %s ! appsink name=sink sync=false "
      "max-buffers=2", head, ann_path, props);
  p->pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  p->sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  p->bus = gst_element_get_bus (p->pipeline);
}

static void
pipe_close (Pipe * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->bus);
  gst_object_unref (p->sink);
  gst_object_unref (p->pipeline);
}

static void
pipe_preroll (Pipe * p)
{
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
}

static void
pipe_seek (Pipe * p, gdouble rate, GstSeekFlags flags, gdouble start_s,
    gdouble stop_s)
{
  fail_unless (gst_element_seek (p->pipeline, rate, GST_FORMAT_TIME,
          flags | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
          (GstClockTime) (start_s * GST_SECOND), GST_SEEK_TYPE_SET,
          stop_s < 0 ? GST_CLOCK_TIME_NONE :
          (GstClockTime) (stop_s * GST_SECOND)));
}

/* Pulls up to @n samples (all if n < 0: until EOS, or until no sample
 * comes within the safety timeout after a segment seek ended), checking
 * that each carries the asset of its own number (through @expect, which
 * maps a true frame number to the asset number).  Returns how many were
 * pulled; *first_frame gets the first frame's true number. */
static guint
pull_and_check_until (Pipe * p, gint n, gint (*expect) (gint),
    gint * first_frame, GstClockTime end)
{
  guint got = 0;

  *first_frame = -1;
  while (n < 0 || (gint) got < n) {
    GstSample *sample = NULL;
    gint truth, asset;

    /* The timeout is a safety net: samples come as fast as the pipeline
     * makes them; a segment seek's end has no EOS. */
    g_signal_emit_by_name (p->sink, "try-pull-sample", 10 * GST_SECOND,
        &sample);
    if (sample == NULL)
      break;
    if (GST_BUFFER_PTS (gst_sample_get_buffer (sample)) >= end) {
      gst_sample_unref (sample);
      continue;
    }
    truth = frame_truth (sample);
    asset = frame_asset (sample);
    if (*first_frame < 0)
      *first_frame = truth;
    fail_unless (asset == expect (truth), "frame %d carries asset %d, "
        "not %d", truth, asset, expect (truth));
    gst_sample_unref (sample);
    got++;
  }
  return got;
}

static guint
pull_and_check (Pipe * p, gint n, gint (*expect) (gint), gint * first_frame)
{
  return pull_and_check_until (p, n, expect, first_frame, GST_CLOCK_TIME_NONE);
}

static gint
same (gint n)
{
  return n;
}

static gint
per_second (gint n)
{
  return n / 30;
}

/* ------------------------------------------------------------------ */

/* Flushing seeks to 0.5 s, 0.2 s and 0.9 s in a decoded file: the first_frame
 * frame after each is the one of that time, and every frame carries its
 * own asset (a counter of buffers gave frame 15 frame_000008). */
GST_START_TEST (test_flushing_seeks)
{
  static const struct
  {
    gdouble at;
    gint frame;
  } seeks[] = { {0.5, 15}, {0.2, 6}, {0.9, 27} };
  Pipe p;
  gint first_frame;
  guint i;

  gchar *head = g_strdup_printf ("filesrc location=\"%s\" ! decodebin",
      clip_path);

  pipe_open (&p, head, "asset-id-template=frame_%06d");
  g_free (head);
  pipe_preroll (&p);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (pull_and_check (&p, 8, same, &first_frame), 8);
  fail_unless_equals_int (first_frame, 0);

  for (i = 0; i < G_N_ELEMENTS (seeks); i++) {
    pipe_seek (&p, 1.0, GST_SEEK_FLAG_FLUSH, seeks[i].at, -1);
    fail_unless_equals_int (pull_and_check (&p, 8, same, &first_frame), 8);
    fail_unless_equals_int (first_frame, seeks[i].frame);
  }
  /* And to the end. */
  fail_unless (pull_and_check (&p, -1, same, &first_frame) > 0);
  pipe_close (&p);
}

GST_END_TEST;

/* A segment seek [0.3 s, 0.6 s), then a non-flushing segment seek
 * [0.1 s, 0.2 s) as a looping player does, then the rest at rate 2.0. */
GST_START_TEST (test_segment_seek_and_rate)
{
  gchar *head = g_strdup_printf ("filesrc location=\"%s\" ! decodebin",
      clip_path);
  GstMessage *msg;
  Pipe p;
  gint first_frame;
  guint got;

  pipe_open (&p, head, "asset-id-template=frame_%06d");
  g_free (head);
  pipe_preroll (&p);

  pipe_seek (&p, 1.0, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT, 0.3, 0.6);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  got = pull_and_check (&p, 9, same, &first_frame);
  fail_unless_equals_int (got, 9);
  fail_unless_equals_int (first_frame, 9);
  msg = gst_bus_timed_pop_filtered (p.bus, 30 * GST_SECOND,
      GST_MESSAGE_SEGMENT_DONE | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL &&
      GST_MESSAGE_TYPE (msg) == GST_MESSAGE_SEGMENT_DONE);
  gst_message_unref (msg);

  /* The loop: no flush, the running time goes on, stream time restarts. */
  pipe_seek (&p, 1.0, GST_SEEK_FLAG_SEGMENT, 0.1, 0.2);
  got = pull_and_check (&p, 3, same, &first_frame);
  fail_unless_equals_int (got, 3);
  fail_unless_equals_int (first_frame, 3);
  msg = gst_bus_timed_pop_filtered (p.bus, 30 * GST_SECOND,
      GST_MESSAGE_SEGMENT_DONE | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL &&
      GST_MESSAGE_TYPE (msg) == GST_MESSAGE_SEGMENT_DONE);
  gst_message_unref (msg);

  /* Twice as fast from 0.4 s: still each frame's own number. */
  pipe_seek (&p, 2.0, GST_SEEK_FLAG_FLUSH, 0.4, -1);
  got = pull_and_check (&p, -1, same, &first_frame);
  fail_unless_equals_int (first_frame, 12);
  fail_unless_equals_int (got, N_FRAMES - 12);
  pipe_close (&p);
}

GST_END_TEST;

/* videorate from 30 to 10 fps: the frames of stream time k/10 s are
 * frames 3k of the video; with asset-rate=30/1 (the dataset has one asset
 * per original frame) each carries its own. */
GST_START_TEST (test_videorate)
{
  gchar *head = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videorate ! video/x-raw,framerate=10/1", clip_path);
  Pipe p;
  gint first_frame;

  pipe_open (&p, head, "asset-id-template=frame_%06d asset-rate=30/1");
  g_free (head);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* videorate closes the stream with one more copy of the last frame, at
   * 3.0 s: past the clip, that time has no frame of its own. */
  fail_unless_equals_int (pull_and_check_until (&p, -1, same, &first_frame,
          N_FRAMES * GST_SECOND / 30), N_FRAMES / 3);
  fail_unless_equals_int (first_frame, 0);
  pipe_close (&p);
}

GST_END_TEST;

/* A dataset of one frame per second of a 30 fps video: asset-rate=1/1,
 * frame n carries asset floor (n / 30), also after a seek. */
GST_START_TEST (test_asset_rate)
{
  gchar *head = g_strdup_printf ("filesrc location=\"%s\" ! decodebin",
      clip_path);
  Pipe p;
  gint first_frame;

  pipe_open (&p, head, "asset-id-template=frame_%06d asset-rate=1/1");
  g_free (head);
  pipe_preroll (&p);
  pipe_seek (&p, 1.0, GST_SEEK_FLAG_FLUSH, 1.5, -1);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (pull_and_check (&p, -1, per_second, &first_frame),
      N_FRAMES - 45);
  fail_unless_equals_int (first_frame, 45);
  pipe_close (&p);
}

GST_END_TEST;

/* An image sequence that starts at 10: multifilesrc index=10 and
 * start-number=10 give the first_frame picture frame_000010, not frame_000000. */
GST_START_TEST (test_image_sequence_start_number)
{
  gchar *tail, *head;
  Pipe p;
  gint first_frame;

  tail = g_strdup_printf ("pngenc ! multifilesink location=\"%s/f_%%06d.png\""
      " index=10", tmp_dir);
  make_media (tail, 10, 10);
  g_free (tail);

  head = g_strdup_printf ("multifilesrc location=\"%s/f_%%06d.png\" "
      "index=10 stop-index=19 caps=\"image/png,framerate=30/1\" ! pngdec",
      tmp_dir);
  pipe_open (&p, head, "asset-id-template=frame_%06d start-number=10");
  g_free (head);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (pull_and_check (&p, -1, same, &first_frame), 10);
  fail_unless_equals_int (first_frame, 10);
  pipe_close (&p);
}

GST_END_TEST;

/* Without a framerate there is no frame number: a clear error, never a
 * silently wrong asset. */
GST_START_TEST (test_no_framerate)
{
  gchar *tail, *head;
  GstMessage *msg;
  GError *err = NULL;
  Pipe p;

  tail = g_strdup_printf ("pngenc ! multifilesink location=\"%s/g_%%06d.png\"",
      tmp_dir);
  make_media (tail, 3, 0);
  g_free (tail);

  head = g_strdup_printf ("multifilesrc location=\"%s/g_%%06d.png\" "
      "stop-index=2 ! pngdec", tmp_dir);
  pipe_open (&p, head, "asset-id-template=frame_%06d");
  g_free (head);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (p.bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  fail_unless_equals_string (err->message, "asset-id-template cannot number "
      "the frames: the caps have no framerate (0/1). Give the stream a "
      "framerate (e.g. multifilesrc caps=\"image/png,framerate=30/1\") or "
      "set asset-rate.");
  g_clear_error (&err);
  gst_message_unref (msg);
  pipe_close (&p);
}

GST_END_TEST;

/* The plugin binds its own gettext domain when it loads, so that its
 * elements' messages (marked with _()) can be translated. */
GST_START_TEST (test_messages_domain_bound)
{
  GstElement *e = gst_element_factory_make ("viannotsrc", NULL);

  fail_unless (e != NULL);
  fail_unless_equals_string (bindtextdomain (GETTEXT_PACKAGE, NULL), LOCALEDIR);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
viannotsrc_mapping_suite (void)
{
  Suite *s = suite_create ("viannotsrc-mapping");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, media_setup, media_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_flushing_seeks);
  tcase_add_test (tc, test_segment_seek_and_rate);
  tcase_add_test (tc, test_videorate);
  tcase_add_test (tc, test_asset_rate);
  tcase_add_test (tc, test_image_sequence_start_number);
  tcase_add_test (tc, test_no_framerate);
  tcase_add_test (tc, test_messages_domain_bound);

  return s;
}

GST_CHECK_MAIN (viannotsrc_mapping);
