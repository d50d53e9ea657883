/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotsink against vi-local-server in a thread on 127.0.0.1: what a
 * detector's frames become in the dataset (captions built from labels,
 * spans on the labels, min-confidence), batching by size and by interval,
 * EOS waiting for the import, repeated frames of one asset, backpressure
 * under a slow server, flushing out of it, the location output read back,
 * and the errors at start (no output, unusable or busy spool, wrong key,
 * unknown dataset). */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#define SINK_TEST_WITH_SERVER
#include "test-sink-common.h"

/* A limit for waits on the bus: far above what any of them takes, so
 * that a broken element fails the test instead of hanging it. */
#define BUS_LIMIT (60 * GST_SECOND)

/* A viannotsink uploading to dataset "b" of the server through the test's
 * spool (the test's scratch directory), quick batches, then the given properties. */
static GstElement *
new_sink (const gchar * first_prop, ...)
{
  GstElement *e = gst_element_factory_make ("viannotsink", NULL);
  va_list args;

  fail_unless (e != NULL);
  g_object_set (e, "endpoint", server_url, "organization-id", ORG,
      "secret-key", KEY, "dataset-id", "b", "spool-dir", work,
      "asset-id-template", "f%03d", NULL);
  va_start (args, first_prop);
  if (first_prop != NULL)
    g_object_set_valist (G_OBJECT (e), first_prop, args);
  va_end (args);
  return e;
}

/* The element with its own bus (set before it starts), in a harness.
 * Takes @e, floating as gst_element_factory_make() returns it: the
 * harness only adds a reference of its own. */
static GstHarness *
new_harness (GstElement * e, GstBus ** bus)
{
  GstHarness *h;

  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", NULL);
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=320,"
      "height=240,framerate=30/1");
  return h;
}

static void
teardown_harness (GstHarness * h, GstBus * bus)
{
  GstElement *e = gst_object_ref (h->element);

  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
}

/* Frame @n (PTS n/30 s, so asset f<n>), with a detector's boxes. */
static GstBuffer *
frame_with (guint n, guint n_boxes, const gchar * const *labels,
    const gdouble * confidences)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (320 * 240);
  guint i;

  gst_buffer_memset (buf, 0, 0x80, 320 * 240);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 30);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  for (i = 0; i < n_boxes; i++) {
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_add_video_region_of_interest_meta (buf, "object",
        32 * i, 24, 32, 48);

    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new ("detection", "label", G_TYPE_STRING, labels[i],
            "confidence", G_TYPE_DOUBLE, confidences ? confidences[i] : 0.9,
            NULL));
  }
  return buf;
}

/* Frame @n with one box labelled "car". */
static GstBuffer *
frame (guint n)
{
  static const gchar *car[] = { "car" };

  return frame_with (n, 1, car, NULL);
}

static GstMessage *
wait_message (GstBus * bus, GstMessageType type)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, BUS_LIMIT, type);

  fail_unless (msg != NULL, "no %s message", gst_message_type_get_name (type));
  return msg;
}

/* The next element message named @name, skipping others. */
static GstStructure *
wait_element_message (GstBus * bus, const gchar * name)
{
  for (;;) {
    GstMessage *msg = wait_message (bus, GST_MESSAGE_ELEMENT |
        GST_MESSAGE_ERROR);
    GstStructure *s;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      fail ("error while waiting for %s: %s", name, err->message);
    }
    if (gst_message_has_name (msg, name)) {
      s = gst_structure_copy (gst_message_get_structure (msg));
      gst_message_unref (msg);
      return s;
    }
    gst_message_unref (msg);
  }
}

static void
push_eos (GstHarness * h)
{
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

static guint64
stat_of (GstElement * e, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "%s", field);
  gst_structure_free (s);
  return v;
}

static GPtrArray *
list_asset (const gchar * dataset, const gchar * asset)
{
  GError *error = NULL;
  ViClient *client = vi_client_new (server_url, KEY, ORG, NULL, &error);
  GPtrArray *all;

  g_assert_no_error (error);
  all = vi_client_list_all_annotations (client, dataset, asset, 1000, NULL,
      &error);
  g_assert_no_error (error);
  g_object_unref (client);
  return all;
}

static ViAnnotationContent *
content_of (GPtrArray * annotations, guint i)
{
  return vi_annotation_spec_get_contents (vi_annotation_get_spec
      (g_ptr_array_index (annotations, i)));
}

/* ------------------------------------------------------------------ */

/* A detector's frames: each a line of its own asset, the caption built
 * from the labels, each box's span on its label; min-confidence leaves
 * boxes out; frames without boxes write nothing; the location file has
 * the same lines. */
GST_START_TEST (test_detector)
{
  static const gchar *labels[] = { "car", "person", "car" };
  static const gdouble conf[] = { 0.9, 0.3, 0.8 };
  gchar *location = g_build_filename (work, "out.jsonl", NULL);
  GstElement *e = new_sink ("min-confidence", 0.5, "location", location,
      NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GPtrArray *all;
  ViAnnotationContent *c;
  ViJsonlReader *reader;
  ViJsonlRecord *record;
  GError *error = NULL;
  gint start, end;
  ViBBox box;
  guint i;

  for (i = 0; i < 4; i++)
    fail_unless_equals_int (gst_harness_push (h, frame_with (i, i == 2 ? 0 :
                3, labels, conf)), GST_FLOW_OK);
  push_eos (h);
  /* EOS went on after the import. */
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f000"), 3);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f002"), 0);
  fail_unless_equals_int (stat_of (e, "frames"), 4);
  fail_unless_equals_int (stat_of (e, "frames-written"), 3);
  fail_unless_equals_int (stat_of (e, "lines-imported"), 3);
  fail_unless_equals_int (stat_of (e, "pending"), 0);

  all = list_asset ("b", "f003");
  fail_unless_equals_int (all->len, 3);
  c = content_of (all, 0);
  fail_unless_equals_int (vi_annotation_content_get_kind (c),
      VI_CONTENT_KIND_CAPTION);
  fail_unless_equals_string (vi_annotation_content_get_caption (c),
      "car and car");
  /* The first car box: [0, 3); the second: [8, 11). */
  c = content_of (all, 1);
  fail_unless (vi_annotation_content_get_target (c, &start, &end));
  fail_unless_equals_int (start, 0);
  fail_unless_equals_int (end, 3);
  fail_unless (vi_annotation_content_get_bbox (c, &box));
  fail_unless (box.x_min == 0 && box.y_min == 0.1 && box.x_max == 0.1 &&
      box.y_max == 0.3);
  c = content_of (all, 2);
  fail_unless (vi_annotation_content_get_target (c, &start, &end));
  fail_unless_equals_int (start, 8);
  fail_unless_equals_int (end, 11);
  fail_unless (vi_annotation_content_get_bbox (c, &box));
  fail_unless (box.x_min == 0.2 && box.x_max == 0.3);
  g_ptr_array_unref (all);
  teardown_harness (h, bus);

  /* The location file: the same lines, readable by libvi. */
  reader = vi_jsonl_reader_new_for_path (location, &error);
  g_assert_no_error (error);
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  for (i = 0; (record = vi_jsonl_reader_next (reader, NULL, &error)); i++) {
    fail_unless_equals_string (vi_jsonl_record_get_caption (record),
        "car and car");
    fail_unless_equals_int (vi_jsonl_record_get_phrase (record, 1)->start, 8);
    vi_jsonl_record_unref (record);
  }
  g_assert_no_error (error);
  fail_unless_equals_int (i, 3);
  g_object_unref (reader);
  g_unlink (location);
  g_free (location);
}

GST_END_TEST;

/* batch-size lines per session: 25 lines in batches of 10 are three
 * sessions; the spool is empty after EOS. */
GST_START_TEST (test_batch_size)
{
  GstElement *e = new_sink ("batch-size", 10, "batch-interval", 0, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstMessage *msg;
  guint lines[3] = { 0, }, n = 0, i;

  for (i = 0; i < 25; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
  push_eos (h);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_message_has_name (msg, "vi-upload-done")) {
      fail_unless (n < 3);
      gst_structure_get_uint (gst_message_get_structure (msg), "lines",
          &lines[n++]);
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (lines[0] + lines[1] + lines[2], 25);
  fail_unless (lines[0] == 10 || lines[1] == 10 || lines[2] == 10);
  fail_unless_equals_int (stat_of (e, "sessions"), 3);
  fail_unless_equals_int (vi_local_server_get_request_count (server, "POST",
          SESSIONS), 3 * 2);
  for (i = 0; i < 25; i++) {
    gchar *asset = g_strdup_printf ("f%03u", i);

    fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
            asset), 2);
    g_free (asset);
  }
  teardown_harness (h, bus);
  /* Nothing left but the lock and the target. */
  {
    gchar *batch = g_build_filename (work, "batch-000000000001.jsonl", NULL);

    fail_unless (!g_file_test (batch, G_FILE_TEST_EXISTS));
    g_free (batch);
  }
}

GST_END_TEST;

/* batch-interval: a batch that does not fill is sent anyway, without
 * EOS. */
GST_START_TEST (test_batch_interval)
{
  GstElement *e = new_sink ("batch-interval", 1, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstStructure *done;
  guint lines = 0;

  fail_unless_equals_int (gst_harness_push (h, frame (0)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, frame (1)), GST_FLOW_OK);
  done = wait_element_message (bus, "vi-upload-done");
  gst_structure_get_uint (done, "lines", &lines);
  fail_unless_equals_int (lines, 2);
  gst_structure_free (done);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f001"), 2);

  fail_unless_equals_int (gst_harness_push (h, frame (2)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f002"), 2);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* EOS goes on only once the server has imported everything: here the
 * server takes its time (processing delay), and right after EOS the
 * annotations are there. */
GST_START_TEST (test_eos_waits)
{
  GstElement *e = new_sink (NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstStructure *stats;
  guint i;

  vi_local_server_set_processing_delay (server, 500);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          NULL), 10);
  /* vi-upload-stats at EOS. */
  stats = wait_element_message (bus, "vi-upload-stats");
  fail_unless (gst_structure_has_field (stats, "lines-imported"));
  gst_structure_free (stats);
  vi_local_server_set_processing_delay (server, 0);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* 300 frames of one asset: one line, not 300; last and all as asked. */
GST_START_TEST (test_repeated_frames)
{
  static const gchar *one[] = { "car" }, *two[] = { "car", "dog" };
  GstElement *e = new_sink ("asset-id-template", NULL, "asset-id", "still",
      NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GPtrArray *all;
  guint i;

  for (i = 0; i < 300; i++)
    fail_unless_equals_int (gst_harness_push (h, frame_with (i, i < 150 ?
                1 : 2, i < 150 ? one : two, NULL)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (stat_of (e, "lines"), 1);
  fail_unless_equals_int (stat_of (e, "frames-repeated"), 299);
  /* The first frame's: a caption and one box. */
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "still"), 2);
  teardown_harness (h, bus);

  /* last: the last frame's. */
  fail_unless (vi_local_server_clear_dataset (server, "b", NULL));
  e = new_sink ("asset-id-template", NULL, "asset-id", "still",
      "repeated-frames", 1, NULL);
  h = new_harness (e, &bus);
  for (i = 0; i < 30; i++)
    fail_unless_equals_int (gst_harness_push (h, frame_with (i, i < 15 ?
                1 : 2, i < 15 ? one : two, NULL)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (stat_of (e, "lines"), 1);
  all = list_asset ("b", "still");
  fail_unless_equals_int (all->len, 3);
  fail_unless_equals_string (vi_annotation_content_get_caption (content_of
          (all, 0)), "car and dog");
  g_ptr_array_unref (all);
  teardown_harness (h, bus);

  /* all: one line per frame. */
  fail_unless (vi_local_server_clear_dataset (server, "b", NULL));
  e = new_sink ("asset-id-template", NULL, "asset-id", "still",
      "repeated-frames", 2, NULL);
  h = new_harness (e, &bus);
  for (i = 0; i < 30; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "still"), 60);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* Lines in the work, not imported yet. */
static guint
spooled_lines (void)
{
  GDir *dir = g_dir_open (work, 0, NULL);
  const gchar *name;
  guint lines = 0;

  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path, *text, *p;

    if (!g_str_has_prefix (name, "batch-") ||
        !(g_str_has_suffix (name, ".jsonl") ||
            g_str_has_suffix (name, ".open")))
      continue;
    path = g_build_filename (work, name, NULL);
    if (g_file_get_contents (path, &text, NULL, NULL)) {
      for (p = text; (p = strchr (p, '\n')) != NULL; p++)
        lines++;
      g_free (text);
    }
    g_free (path);
  }
  g_dir_close (dir);
  return lines;
}

/* A slow server (every request 150 ms late): at max-pending lines the
 * stream waits, says so, and never holds more; nothing is dropped. */
GST_START_TEST (test_backpressure)
{
  GstElement *e = new_sink ("max-pending", 6, "batch-size", 3,
      "batch-interval", 0, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstStructure *s;
  guint64 pending = 0;
  guint i;

  vi_local_server_set_latency (server, 150);
  for (i = 0; i < 30; i++) {
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
    fail_unless (spooled_lines () <= 6, "%u lines in the spool",
        spooled_lines ());
    fail_unless (stat_of (e, "pending") <= 6);
  }
  s = wait_element_message (bus, "vi-upload-backpressure");
  fail_unless (gst_structure_get_uint64 (s, "pending", &pending));
  fail_unless (pending <= 6);
  gst_structure_free (s);
  fail_unless (stat_of (e, "blocked") >= 1);
  push_eos (h);
  vi_local_server_set_latency (server, 0);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          NULL), 60);
  fail_unless_equals_int (stat_of (e, "lines-imported"), 30);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* Frame @n of asset m<n> with a meta of two captions: two lines. */
static GstBuffer *
two_line_frame (guint n)
{
  GstBuffer *buf = frame_with (n, 0, NULL, NULL);
  gchar *asset = g_strdup_printf ("m%03u", n);
  GstViAnnotSet *set = gst_vi_annot_set_new ("b", asset);

  gst_vi_annot_set_add_caption (set, "a quiet street");
  gst_vi_annot_set_add_caption (set, "nobody around");
  gst_buffer_add_vi_annot_meta (buf, set);
  gst_vi_annot_set_unref (set);
  g_free (asset);
  return buf;
}

/* Frames of two lines against max-pending 5 and a batch-size it never
 * reaches, no batch-interval: the lines the writer adds while the stream
 * waits for room must go at once, or nothing frees room again. */
GST_START_TEST (test_backpressure_writer)
{
  GstElement *e = new_sink ("max-pending", 5, "batch-size", 100,
      "batch-interval", 0, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  guint i;

  vi_local_server_set_latency (server, 50);
  for (i = 0; i < 12; i++) {
    fail_unless_equals_int (gst_harness_push (h, two_line_frame (i)),
        GST_FLOW_OK);
    fail_unless (spooled_lines () <= 5, "%u lines in the spool",
        spooled_lines ());
  }
  push_eos (h);
  vi_local_server_set_latency (server, 0);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          NULL), 24);
  fail_unless_equals_int (stat_of (e, "lines-imported"), 24);
  fail_unless (stat_of (e, "blocked") >= 1);
  teardown_harness (h, bus);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  guint first;
  GstFlowReturn ret;
} Pusher;

static gpointer
push_until_blocked (gpointer data)
{
  Pusher *p = data;
  guint i;

  for (i = p->first; i < p->first + 100; i++) {
    p->ret = gst_harness_push (p->h, frame (i));
    if (p->ret != GST_FLOW_OK)
      break;
  }
  return NULL;
}

/* The server holds every session's creation: the stream blocks at
 * max-pending, a flush ends the wait at once (FLUSHING), and stopping
 * with requests out does not hang; what was spooled stays for the next
 * run. */
GST_START_TEST (test_flush_unblocks)
{
  GstElement *e = new_sink ("max-pending", 4, "batch-size", 2,
      "batch-interval", 0, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstStructure *s;
  Pusher p = { h, 0, GST_FLOW_OK };
  GThread *thread;
  GError *error = NULL;

  fail_unless (vi_local_server_add_fault_json (server, "{\"method\": "
          "\"POST\", \"path\": \"" SESSIONS "\", \"action\": \"latency\", "
          "\"latencyMs\": 600000, \"times\": -1}", &error));
  thread = g_thread_new ("pusher", push_until_blocked, &p);
  s = wait_element_message (bus, "vi-upload-backpressure");
  gst_structure_free (s);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  fail_unless_equals_int (p.ret, GST_FLOW_FLUSHING);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  teardown_harness (h, bus);
  vi_local_server_clear_faults (server);
  fail_unless_equals_int (spooled_lines (), 4);

  /* The next run on the spool sends them. */
  e = new_sink (NULL);
  h = new_harness (e, &bus);
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          NULL), 8);
  fail_unless_equals_int (spooled_lines (), 0);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* errors at start */

static GError *
start_error (GstElement * e, GstStateChangeReturn expected)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  /* Alone, the sink would wait for a frame to preroll before it plays
   * and sends its first request: no waiting. */
  g_object_set (e, "async", FALSE, NULL);
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
      expected);
  msg = wait_message (bus, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  /* Never the key, in the message or its debug. */
  fail_unless (strstr (err->message, KEY) == NULL);
  fail_unless (debug == NULL || strstr (debug, KEY) == NULL);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return err;
}

#define ASSERT_ERROR(err, code, text) G_STMT_START { \
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, code), \
      "%s", err->message); \
  fail_unless (strstr (err->message, text) != NULL, "%s", err->message); \
  g_clear_error (&err); \
} G_STMT_END

GST_START_TEST (test_start_errors)
{
  GstElement *e, *holder;
  GError *err;
  gchar *file;

  /* No output. */
  e = gst_element_factory_make ("viannotsink", NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_SETTINGS, "Nowhere to write the "
      "annotations: set dataset-id (with credentials), location");

  /* Credentials without a dataset. */
  e = gst_element_factory_make ("viannotsink", NULL);
  g_object_set (e, "location", "/dev/null", "endpoint", server_url, NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_SETTINGS,
      "endpoint only applies to dataset-id");

  /* A spool without a dataset to upload to. */
  e = gst_element_factory_make ("viannotsink", NULL);
  g_object_set (e, "location", "/dev/null", "spool-dir", work, NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_SETTINGS,
      "spool-dir only applies to dataset-id (uploads), which is not set.");

  /* A spool that cannot be a directory. */
  file = g_build_filename (work, "a-file", NULL);
  fail_unless (g_file_set_contents (file, "x", 1, NULL));
  e = new_sink ("spool-dir", file, NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_OPEN_WRITE, file);
  g_free (file);

  /* A spool another sink uses. */
  holder = new_sink (NULL);
  fail_unless_equals_int (gst_element_set_state (holder, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  e = new_sink (NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_BUSY, "is in use by another "
      "viannotsink");
  gst_element_set_state (holder, GST_STATE_NULL);
  gst_object_unref (holder);

  /* A location that cannot be written. */
  e = new_sink ("location", "/nonexistent-dir/out.jsonl", NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_OPEN_WRITE, "/nonexistent-dir");

  /* A key the server does not know: refused as soon as the element asks
   * for the dataset, when it plays. */
  {
    gchar *y = g_strnfill (98, 'y');
    gchar *other_key = g_strconcat ("dtvi_", y, NULL);

    e = new_sink ("secret-key", other_key, NULL);
    g_free (other_key);
    g_free (y);
  }
  err = start_error (e, GST_STATE_CHANGE_SUCCESS);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "The Vi API refused "
      "the secret key from the secret-key property");

  /* A dataset that does not exist. */
  e = new_sink ("dataset-id", "nosuch", NULL);
  err = start_error (e, GST_STATE_CHANGE_SUCCESS);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_NOT_FOUND, "Dataset \"nosuch\" not "
      "found: check dataset-id");

  /* A malformed key: before any request. */
  e = new_sink ("secret-key", "not-a-key", NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_SETTINGS, "Could not set up the Vi "
      "API client");
}

GST_END_TEST;

/* The spool holds batches for "b": another dataset on it is refused. */
GST_START_TEST (test_spool_target)
{
  GstElement *e = new_sink ("max-pending", 4, "batch-size", 2,
      "batch-interval", 0, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GError *err, *error = NULL;

  /* Keep a batch in the spool: its session is never created. */
  fail_unless (vi_local_server_add_fault_json (server, "{\"method\": "
          "\"POST\", \"path\": \"" SESSIONS "\", \"action\": \"latency\", "
          "\"latencyMs\": 600000}", &error));
  fail_unless_equals_int (gst_harness_push (h, frame (0)), GST_FLOW_OK);
  teardown_harness (h, bus);
  vi_local_server_clear_faults (server);

  fail_unless (vi_local_server_clear_dataset (server, "c", NULL));
  e = new_sink ("dataset-id", "c", NULL);
  err = start_error (e, GST_STATE_CHANGE_FAILURE);
  ASSERT_ERROR (err, GST_RESOURCE_ERROR_SETTINGS, "holds 1 batches for "
      "another target");
}

GST_END_TEST;

/* on-error=warn: a refused batch is set aside in rejected/, with a
 * warning and a message naming it, and the stream goes on. */
GST_START_TEST (test_on_error_warn)
{
  GstElement *e = new_sink ("on-error", 1, "batch-size", 1, NULL);
  GstBus *bus;
  GstHarness *h = new_harness (e, &bus);
  GstStructure *s;
  GstMessage *msg;
  GError *error = NULL;
  const gchar *where;

  /* The first session's files are refused (400 on registration: libvi
   * gives the session up, the batch is refused). */
  fail_unless (vi_local_server_add_fault_json (server, "{\"method\": "
          "\"POST\", \"path\": \"" SESSIONS "/\", \"action\": \"status\", "
          "\"status\": 400}", &error));
  fail_unless_equals_int (gst_harness_push (h, frame (0)), GST_FLOW_OK);
  msg = wait_message (bus, GST_MESSAGE_WARNING);
  gst_message_unref (msg);
  s = wait_element_message (bus, "vi-upload-rejected");
  where = gst_structure_get_string (s, "location");
  fail_unless (g_str_has_suffix (where, "rejected/batch-000000000001.jsonl"));
  fail_unless (g_file_test (where, G_FILE_TEST_IS_REGULAR));
  gst_structure_free (s);
  fail_unless_equals_int (gst_harness_push (h, frame (1)), GST_FLOW_OK);
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f001"), 2);
  fail_unless_equals_int (stat_of (e, "batches-rejected"), 1);
  teardown_harness (h, bus);
}

GST_END_TEST;

/* on-error=retry-forever: a refusal is treated as an outage (a warning,
 * retries in the background); once the service accepts, the batch is
 * imported once and nothing is set aside. */
GST_START_TEST (test_on_error_retry_forever)
{
  GstElement *e = new_sink ("batch-size", 1, NULL);
  GstBus *bus;
  GstHarness *h;
  GstMessage *msg;
  GError *error = NULL;

  gst_util_set_object_arg (G_OBJECT (e), "on-error", "retry-forever");
  h = new_harness (e, &bus);
  /* The first two sessions are refused (400), the third is accepted. */
  fail_unless (vi_local_server_add_fault_json (server, "{\"method\": "
          "\"POST\", \"path\": \"" SESSIONS "/\", \"action\": \"status\", "
          "\"status\": 400, \"times\": 2}", &error));
  fail_unless_equals_int (gst_harness_push (h, frame (0)), GST_FLOW_OK);
  msg = wait_message (bus, GST_MESSAGE_WARNING);
  gst_message_unref (msg);
  /* EOS goes on only once the batch is imported. */
  push_eos (h);
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          "f000"), 2);
  fail_unless_equals_int (stat_of (e, "batches-rejected"), 0);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);
  teardown_harness (h, bus);
}

GST_END_TEST;

static Suite *
viannotsink_suite (void)
{
  Suite *s = suite_create ("viannotsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_detector);
  tcase_add_test (tc, test_batch_size);
  tcase_add_test (tc, test_batch_interval);
  tcase_add_test (tc, test_eos_waits);
  tcase_add_test (tc, test_repeated_frames);
  tcase_add_test (tc, test_backpressure);
  tcase_add_test (tc, test_backpressure_writer);
  tcase_add_test (tc, test_flush_unblocks);
  tcase_add_test (tc, test_start_errors);
  tcase_add_test (tc, test_spool_target);
  tcase_add_test (tc, test_on_error_warn);
  tcase_add_test (tc, test_on_error_retry_forever);

  return s;
}

GST_CHECK_MAIN (viannotsink);
