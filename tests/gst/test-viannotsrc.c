/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotsrc with GstHarness against vi-local-server, running in a thread
 * on 127.0.0.1 with an ephemeral port (the shared server fixture).
 *
 * Harnesses answer the latency query as live by default: tests that want
 * the non-live behaviour (the frame waits for its annotations) call
 * gst_harness_set_live (h, FALSE) before the first push.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#include "test-gst-server.h"

static const ViBBox cat_box = { 0.1, 0.2, 0.5, 0.7 };
static const ViBBox couch_box = { 0.6, 0.2, 0.9, 0.7 };

static ViJsonlRecord *
grounding_record (const gchar * asset)
{
  ViJsonlRecord *record = vi_jsonl_record_new (asset);

  vi_jsonl_record_set_caption (record, "A cat sitting on a couch");
  vi_jsonl_record_add_phrase (record, "cat", &cat_box);
  vi_jsonl_record_add_phrase (record, "couch", &couch_box);
  fail_unless (vi_jsonl_record_compute_spans (record, NULL));
  return record;
}

static ViJsonlRecord *
vqa_record (const gchar * asset)
{
  ViJsonlRecord *record = vi_jsonl_record_new (asset);

  vi_jsonl_record_add_interaction (record, "What is on the couch?", "A cat");
  return record;
}

static void
add_record (const gchar * dataset, ViJsonlRecord * record)
{
  GError *error = NULL;

  fail_unless (vi_local_server_add_record (server, dataset, record, &error));
  g_assert_no_error (error);
  vi_jsonl_record_unref (record);
}

static void
add_asset (const gchar * dataset, const gchar * asset)
{
  add_record (dataset, grounding_record (asset));
  add_record (dataset, vqa_record (asset));
}

/* A viannotsrc with @base_dataset's connection to the test server (if
 * not NULL), then these properties. */
static GstElement *
element_valist (const gchar * base_dataset, const gchar * first_prop,
    va_list args)
{
  GstElement *e = gst_element_factory_make ("viannotsrc", NULL);

  fail_unless (e != NULL);
  if (base_dataset != NULL)
    g_object_set (e, "endpoint", server_url, "organization-id", ORG,
        "secret-key", KEY, "dataset-id", base_dataset, NULL);
  if (first_prop != NULL)
    g_object_set_valist (G_OBJECT (e), first_prop, args);
  return e;
}

static GstElement *
element_with (const gchar * first_prop, ...)
{
  GstElement *e;
  va_list args;

  va_start (args, first_prop);
  e = element_valist (NULL, first_prop, args);
  va_end (args);
  return e;
}

static GstElement *
new_dataset_element (const gchar * dataset, const gchar * first_prop, ...)
{
  GstElement *e;
  va_list args;

  va_start (args, first_prop);
  e = element_valist (dataset, first_prop, args);
  va_end (args);
  return e;
}

/* Takes @e, floating as gst_element_factory_make() returns it: the harness
 * only adds a reference of its own. */
static GstHarness *
new_harness (GstElement * e, gboolean live, gint width, gint height)
{
  GstHarness *h;
  gchar *caps = g_strdup_printf ("video/x-raw,format=GRAY8,width=%d,"
      "height=%d,framerate=30/1", width, height);

  gst_object_ref_sink (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);

  gst_harness_set_live (h, live);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

static GstBuffer *
frame (gint width, gint height, guint64 offset)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (width * height);

  gst_buffer_memset (buf, 0, 0x80, width * height);
  GST_BUFFER_OFFSET (buf) = offset;
  return buf;
}

static guint
count_rois (GstBuffer * buf)
{
  gpointer state = NULL;
  guint n = 0;

  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    n++;
  return n;
}

/* The phrases of the meta and the ROI metas, in pixels of width x height,
 * equal the library's conversion of the boxes. */
static void
check_grounding (GstBuffer * buf, gint width, gint height)
{
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buf);
  const ViBBox *expected[2] = { &cat_box, &couch_box };
  GstVideoInfo info;
  gpointer state = NULL;
  GstMeta *m;
  guint i, n_rois = 0;

  fail_unless (meta != NULL);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, width, height);

  fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 1);
  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 0),
      "A cat sitting on a couch");
  fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (meta), 2);
  fail_unless_equals_int (gst_vi_annot_meta_get_n_interactions (meta), 1);
  fail_unless_equals_string (gst_vi_annot_meta_get_question (meta, 0),
      "What is on the couch?");
  fail_unless_equals_string (gst_vi_annot_meta_get_answer (meta, 0), "A cat");

  for (i = 0; i < 2; i++) {
    ViPixelBox want, got;
    ViBBox box;
    gint start, end;

    fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, i),
        i == 0 ? "cat" : "couch");
    fail_unless (gst_vi_annot_meta_get_phrase_span (meta, i, &start, &end));
    fail_unless_equals_int (start, i == 0 ? 2 : 19);
    fail_unless_equals_int (end, i == 0 ? 5 : 24);
    gst_vi_annot_meta_get_phrase_bbox (meta, i, &box);
    fail_unless (G_APPROX_VALUE (box.x_min, expected[i]->x_min, 1e-9));
    fail_unless (G_APPROX_VALUE (box.y_max, expected[i]->y_max, 1e-9));
    vi_bbox_to_pixels (expected[i], width, height, &want);
    gst_vi_annot_meta_get_phrase_pixels (meta, i, &info, &got);
    fail_unless (memcmp (&want, &got, sizeof want) == 0);
  }

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    ViPixelBox want;
    const gchar *type = g_quark_to_string (roi->roi_type);
    guint k = g_str_equal (type, "cat") ? 0 : 1;

    fail_unless (g_str_equal (type, "cat") || g_str_equal (type, "couch"));
    vi_bbox_to_pixels (expected[k], width, height, &want);
    fail_unless_equals_int (roi->x, want.x_min);
    fail_unless_equals_int (roi->y, want.y_min);
    fail_unless_equals_int (roi->w, want.x_max - want.x_min);
    fail_unless_equals_int (roi->h, want.y_max - want.y_min);
    n_rois++;
  }
  fail_unless_equals_int (n_rois, 2);
}

static GstMessage *
pop_message (GstBus * bus, GstMessageType type)
{
  return gst_bus_pop_filtered (bus, type);
}

/* Waits, on @bus, for viannotsrc's "vi-annotations-fetched" message of a
 * first fetch or of a refresh: the moment the annotations are in the
 * element.  Fails on an error.  The limit is a safety net only; @timeout
 * (or GST_CLOCK_TIME_NONE for that net) bounds a wait the caller paces
 * frames with.  Returns FALSE when @timeout passed first. */
static gboolean
wait_fetched (GstBus * bus, gboolean refresh, GstClockTime timeout)
{
  gint64 end = g_get_monotonic_time () + (timeout == GST_CLOCK_TIME_NONE ?
      120 * G_TIME_SPAN_SECOND : (gint64) GST_TIME_AS_USECONDS (timeout));
  gint64 left;

  while ((left = end - g_get_monotonic_time ()) > 0) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    gboolean is_refresh = FALSE, found;

    if (msg == NULL)
      break;
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT,
        "an error before the annotations came");
    found = gst_message_has_name (msg, "vi-annotations-fetched") &&
        gst_structure_get_boolean (gst_message_get_structure (msg), "refresh",
        &is_refresh) && is_refresh == refresh;
    gst_message_unref (msg);
    if (found)
      return TRUE;
  }
  fail_unless (timeout != GST_CLOCK_TIME_NONE, "the annotations never came");
  return FALSE;
}

/* ------------------------------------------------------------------ */

GST_START_TEST (test_boxes_in_pixels)
{
  const gint sizes[][2] = { {640, 480}, {1920, 1080}, {37, 23} };
  guint s, i;

  add_asset ("ds", "cat.jpg");

  for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
    gint w = sizes[s][0], hh = sizes[s][1];
    GstHarness *h = new_harness (new_dataset_element ("ds", "asset-id",
            "cat.jpg", NULL), FALSE, w, hh);

    for (i = 0; i < 5; i++) {
      GstBuffer *out;

      fail_unless_equals_int (gst_harness_push (h, frame (w, hh, i)),
          GST_FLOW_OK);
      out = gst_harness_pull (h);
      /* Captions, spans and VQA on every frame, not just the first. */
      check_grounding (out, w, hh);
      gst_buffer_unref (out);
    }
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* The same data read from a file and from the API give the same metas. */
GST_START_TEST (test_location_equals_dataset)
{
  gchar *dir = g_dir_make_tmp ("viannotsrc-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "ann.jsonl", NULL);
  ViJsonlWriter *writer;
  ViJsonlRecord *records[3];
  GError *error = NULL;
  GstHarness *hd, *hl;
  GstBuffer *bd, *bl;
  GstViAnnotMeta *md, *ml;
  GstElement *e;
  guint i;

  records[0] = grounding_record ("a");
  records[1] = vqa_record ("a");
  records[2] = grounding_record ("b");
  writer = vi_jsonl_writer_new_for_path (path, &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++) {
    fail_unless (vi_jsonl_writer_write (writer, records[i], NULL, &error));
    vi_jsonl_record_unref (records[i]);
  }
  fail_unless (vi_jsonl_writer_close (writer, NULL, &error));
  g_object_unref (writer);
  fail_unless (vi_local_server_load_jsonl (server, "fileds", path, &error));
  g_assert_no_error (error);

  hd = new_harness (new_dataset_element ("fileds", "asset-id", "a", NULL),
      FALSE, 640, 480);
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id", "a", NULL);
  hl = new_harness (e, FALSE, 640, 480);

  fail_unless_equals_int (gst_harness_push (hd, frame (640, 480, 0)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (hl, frame (640, 480, 0)),
      GST_FLOW_OK);
  bd = gst_harness_pull (hd);
  bl = gst_harness_pull (hl);
  check_grounding (bd, 640, 480);
  check_grounding (bl, 640, 480);
  md = gst_buffer_get_vi_annot_meta (bd);
  ml = gst_buffer_get_vi_annot_meta (bl);
  fail_unless_equals_string (gst_vi_annot_meta_get_asset_id (md), "a");
  fail_unless_equals_string (gst_vi_annot_meta_get_asset_id (ml), "a");
  fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (md),
      gst_vi_annot_meta_get_n_phrases (ml));
  for (i = 0; i < gst_vi_annot_meta_get_n_phrases (md); i++) {
    ViBBox a, b;
    gint sa, ea, sb, eb;

    fail_unless_equals_string (gst_vi_annot_meta_get_phrase (md, i),
        gst_vi_annot_meta_get_phrase (ml, i));
    gst_vi_annot_meta_get_phrase_bbox (md, i, &a);
    gst_vi_annot_meta_get_phrase_bbox (ml, i, &b);
    fail_unless (memcmp (&a, &b, sizeof a) == 0);
    gst_vi_annot_meta_get_phrase_span (md, i, &sa, &ea);
    gst_vi_annot_meta_get_phrase_span (ml, i, &sb, &eb);
    fail_unless_equals_int (sa, sb);
    fail_unless_equals_int (ea, eb);
  }
  fail_unless_equals_int (count_rois (bd), count_rois (bl));
  gst_buffer_unref (bd);
  gst_buffer_unref (bl);
  gst_harness_teardown (hd);
  gst_harness_teardown (hl);

  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_caps_change_mid_stream)
{
  GstHarness *h;
  GstBuffer *out;

  add_asset ("ds", "cat.jpg");
  h = new_harness (new_dataset_element ("ds", "asset-id", "cat.jpg", NULL),
      FALSE, 640, 480);

  fail_unless_equals_int (gst_harness_push (h, frame (640, 480, 0)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_grounding (out, 640, 480);
  gst_buffer_unref (out);

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=GRAY8,width=320,height=240,framerate=30/1");
  fail_unless_equals_int (gst_harness_push (h, frame (320, 240, 1)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_grounding (out, 320, 240);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
}

GST_END_TEST;

#define N_TEMPLATE_FRAMES 500

GST_START_TEST (test_template_500_frames)
{
  ViJsonlRecord *records[N_TEMPLATE_FRAMES];
  GstHarness *h;
  GError *error = NULL;
  guint n;

  for (n = 0; n < N_TEMPLATE_FRAMES; n++) {
    gchar *asset = g_strdup_printf ("frame_%06u.jpg", n);
    gchar *caption = g_strdup_printf ("frame number %u", n);
    ViBBox box = { (n % 100) / 200.0, 0.1, 0.6, 0.9 };

    records[n] = vi_jsonl_record_new (asset);
    vi_jsonl_record_set_caption (records[n], caption);
    vi_jsonl_record_add_phrase (records[n], "frame", &box);
    g_free (asset);
    g_free (caption);
  }
  fail_unless (vi_local_server_add_records (server, "frames", records,
          N_TEMPLATE_FRAMES, &error));
  g_assert_no_error (error);
  for (n = 0; n < N_TEMPLATE_FRAMES; n++)
    vi_jsonl_record_unref (records[n]);

  h = new_harness (new_dataset_element ("frames", "asset-id-template",
          "frame_%06d.jpg", "prefetch", 16, NULL), FALSE, 64, 48);

  for (n = 0; n < N_TEMPLATE_FRAMES; n++) {
    GstBuffer *in = frame (64, 48, 0), *out;
    GstViAnnotMeta *meta;
    gchar *asset = g_strdup_printf ("frame_%06u.jpg", n);
    gchar *caption = g_strdup_printf ("frame number %u", n);
    ViBBox box;

    /* No offset: the frame number comes from the timestamp. */
    GST_BUFFER_OFFSET (in) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_PTS (in) = gst_util_uint64_scale (n, GST_SECOND, 30);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    meta = gst_buffer_get_vi_annot_meta (out);
    fail_unless (meta != NULL);
    fail_unless_equals_string (gst_vi_annot_meta_get_asset_id (meta), asset);
    fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 1);
    fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 0),
        caption);
    fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (meta), 1);
    gst_vi_annot_meta_get_phrase_bbox (meta, 0, &box);
    fail_unless (G_APPROX_VALUE (box.x_min, (n % 100) / 200.0, 1e-9));
    fail_unless_equals_int (count_rois (out), 1);
    /* None other: one annotation meta per frame. */
    {
      gpointer state = NULL;
      guint k = 0;

      while (gst_buffer_iterate_meta_filtered (out, &state,
              GST_VI_ANNOT_META_API_TYPE))
        k++;
      fail_unless_equals_int (k, 1);
    }
    gst_buffer_unref (out);
    g_free (asset);
    g_free (caption);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Live: the fetch takes 600 ms and no frame waits for it.  A push that
 * waited for the fetch would come out with the annotations; here the
 * frames pushed while the fetch is in flight come out without them, and
 * are counted as missed.  The frames come every 20 ms, as from a live
 * source at 50 fps, or at once when the element says the annotations are
 * in (its "vi-annotations-fetched" message); after that message, every
 * frame has them.  (No wall-clock bound: the suite has no timed
 * assertions.) */
GST_START_TEST (test_live_never_waits)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstElement *e;
  GstStructure *stats;
  guint64 missed = 0;
  guint without = 0, with = 0, i;
  gboolean fetched = FALSE;

  add_asset ("ds", "cat.jpg");
  vi_local_server_set_latency (server, 600);
  e = new_dataset_element ("ds", "asset-id", "cat.jpg", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, TRUE, 64, 48);

  for (i = 0; with < 3; i++) {
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, frame (64, 48, i)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    if (gst_buffer_get_vi_annot_meta (out) != NULL) {
      check_grounding (out, 64, 48);
      with++;
    } else {
      /* The frame before the fetch was answered, at least. */
      fail_unless (with == 0 && !fetched);
      without++;
    }
    gst_buffer_unref (out);
    if (!fetched)
      fetched = wait_fetched (bus, FALSE, 20 * GST_MSECOND);
  }
  fail_unless (without > 0);
  fail_unless (with == 3);

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "frames-missed", &missed));
  fail_unless_equals_int (missed, without);
  gst_structure_free (stats);

  vi_local_server_set_latency (server, 0);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Non-live: the first frame waits for the fetch and carries it. */
GST_START_TEST (test_non_live_waits)
{
  GstHarness *h;
  GstBuffer *out;
  gint64 t0;

  add_asset ("ds", "cat.jpg");
  vi_local_server_set_latency (server, 200);
  h = new_harness (new_dataset_element ("ds", "asset-id", "cat.jpg", NULL),
      FALSE, 64, 48);

  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)), GST_FLOW_OK);
  fail_unless (g_get_monotonic_time () - t0 >= 150 * G_TIME_SPAN_MILLISECOND);
  out = gst_harness_pull (h);
  check_grounding (out, 64, 48);
  gst_buffer_unref (out);

  vi_local_server_set_latency (server, 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* max-wait bounds the wait; the frame then passes without annotations. */
GST_START_TEST (test_max_wait)
{
  GstHarness *h;
  GstBuffer *out;
  gint64 t0, dt;

  add_asset ("ds", "cat.jpg");
  vi_local_server_set_latency (server, 2000);
  h = new_harness (new_dataset_element ("ds", "asset-id", "cat.jpg",
          "max-wait", 100, NULL), FALSE, 64, 48);

  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)), GST_FLOW_OK);
  dt = g_get_monotonic_time () - t0;
  /* Not less than max-wait; and not the whole fetch, or the frame would
   * carry the annotations (checked below): no wall-clock bound above. */
  fail_unless (dt >= 90 * G_TIME_SPAN_MILLISECOND);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_get_vi_annot_meta (out) == NULL);
  gst_buffer_unref (out);

  vi_local_server_set_latency (server, 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An annotation added on the server reaches frames with the next refresh
 * (every refresh-interval), and a frame never sees half of an update: the
 * test waits for the element's "vi-annotations-fetched" message of the
 * refresh, not for a guessed time. */
GST_START_TEST (test_refresh)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstHarness *h;
  GstBuffer *out;
  GstViAnnotMeta *meta;
  ViJsonlRecord *record;
  gint64 t0;

  add_asset ("ds", "cat.jpg");
  e = new_dataset_element ("ds", "asset-id", "cat.jpg", "refresh-interval", 1,
      NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);

  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  meta = gst_buffer_get_vi_annot_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 1);
  gst_buffer_unref (out);

  record = vi_jsonl_record_new ("cat.jpg");
  vi_jsonl_record_set_caption (record, "A second caption");
  add_record ("ds", record);
  /* One refresh may have started before the record was added and miss
   * it (there is one request per asset at a time): the second one from
   * now cannot.  What the bus held from before is dropped. */
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);
  t0 = g_get_monotonic_time ();
  wait_fetched (bus, TRUE, GST_CLOCK_TIME_NONE);
  wait_fetched (bus, TRUE, GST_CLOCK_TIME_NONE);
  /* Two intervals and their requests: the bound is far from that, so that
   * a busy machine does not trip it, and still catches an interval taken
   * in the wrong unit. */
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);

  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 1)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  meta = gst_buffer_get_vi_annot_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 2);
  /* The rest of the set came with it. */
  fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (meta), 2);
  fail_unless_equals_int (gst_vi_annot_meta_get_n_interactions (meta), 1);
  gst_buffer_unref (out);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
check_one_error (GstBus * bus, GstElement * e, GQuark domain, gint code,
    const gchar * must_name, guint status)
{
  GstMessage *msg = pop_message (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;
  const GstStructure *details = NULL;
  guint got_status = 0;

  fail_unless (msg != NULL);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (e));
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (g_error_matches (err, domain, code));
  fail_unless (strstr (err->message, must_name) != NULL, "'%s' not in '%s'",
      must_name, err->message);
  fail_unless (strstr (err->message, "dtvi_") == NULL);
  fail_unless (debug == NULL || strstr (debug, "dtvi_") == NULL);
  fail_unless (debug == NULL || strstr (debug, "(NULL)") == NULL, "%s", debug);
  if (status != 0) {
    gst_message_parse_error_details (msg, &details);
    fail_unless (details != NULL);
    fail_unless (gst_structure_get_uint (details, "http-status-code",
            &got_status));
    fail_unless_equals_int (got_status, status);
  }
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);

  /* One error, not one per frame. */
  msg = pop_message (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);
}

GST_START_TEST (test_wrong_key)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstHarness *h;
  guint i;

  add_asset ("ds", "cat.jpg");
  e = new_dataset_element ("ds", "asset-id", "cat.jpg", "secret-key",
      WRONG_KEY, NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);

  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  for (i = 1; i < 3; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (64, 48, i)),
        GST_FLOW_ERROR);
  /* The key came from the property, not from the environment. */
  check_one_error (bus, e, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "from the secret-key property", 401);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_forbidden)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstHarness *h;
  GError *error = NULL;

  add_asset ("ds", "cat.jpg");
  fail_unless (vi_local_server_add_fault_json (server,
          "{\"action\":\"status\",\"status\":403,\"times\":-1}", &error));
  e = new_dataset_element ("ds", "asset-id", "cat.jpg", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);

  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  check_one_error (bus, e, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "organization-id", 403);

  vi_local_server_clear_faults (server);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_not_found)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstHarness *h;

  add_asset ("ds", "cat.jpg");
  e = new_dataset_element ("nosuchds", "asset-id", "cat.jpg", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);

  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  check_one_error (bus, e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "nosuchds", 404);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* on-error=warn: one warning, and the video keeps flowing. */
GST_START_TEST (test_on_error_warn)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e;
  GstHarness *h;
  GstMessage *msg;
  GError *err = NULL;
  guint i;

  e = new_dataset_element ("nosuchds", "asset-id", "cat.jpg", "on-error",
      1, NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);

  for (i = 0; i < 10; i++) {
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, frame (64, 48, i)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (gst_buffer_get_vi_annot_meta (out) == NULL);
    fail_unless_equals_int (count_rois (out), 0);
    gst_buffer_unref (out);
  }

  msg = pop_message (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  g_clear_error (&err);
  gst_message_unref (msg);
  fail_unless (pop_message (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR) ==
      NULL);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A file holding @contents in a new temporary directory; remove_tmp ()
 * removes both. */
static gchar *
write_tmp (const gchar * name, const gchar * contents)
{
  gchar *dir = g_dir_make_tmp ("viannotsrc-XXXXXX", NULL);
  gchar *path;

  fail_unless (dir != NULL);
  path = g_build_filename (dir, name, NULL);
  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  g_free (dir);
  return path;
}

static void
remove_tmp (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

/* start () fails with exactly @message. */
static void
check_start_fails (GstElement * e, gint code, const gchar * message)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = pop_message (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("start error: %s (%s)", err->message, debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, code), "%s: %s",
      g_quark_to_string (err->domain), err->message);
  fail_unless_equals_string (err->message, message);
  fail_unless (debug == NULL || strstr (debug, "(NULL)") == NULL, "%s", debug);
  fail_unless (debug == NULL || strstr (debug, "dtvi_") == NULL);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  /* One error. */
  fail_unless (pop_message (bus, GST_MESSAGE_ERROR) == NULL);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

/* What libvi says when it cannot make a client of these. */
static gchar *
client_error (const gchar * endpoint, const gchar * key, const gchar * org,
    const gchar * config_file)
{
  GError *error = NULL;
  ViClient *client = vi_client_new (endpoint, key, org, config_file, &error);
  gchar *message;

  fail_unless (client == NULL);
  message = g_strdup (error->message);
  g_error_free (error);
  return message;
}

/* Every configuration error fails in start (), with its own message. */
GST_START_TEST (test_configuration_errors)
{
  gchar *ann = write_tmp ("ann.jsonl", "");
  gchar *text, *libvi;
  GError *error = NULL;

  check_start_fails (element_with (NULL), GST_RESOURCE_ERROR_SETTINGS,
      "No annotations to read: set dataset-id (with credentials) or "
      "location.");

  /* location silently won. */
  check_start_fails (element_with ("location", ann, "dataset-id", "ds",
          "asset-id", "a", NULL), GST_RESOURCE_ERROR_SETTINGS,
      "location and dataset-id are exclusive: set only one (location reads "
      "a local JSONL file, dataset-id the Vi API).");
  check_start_fails (element_with ("location", ann, "endpoint", server_url,
          NULL), GST_RESOURCE_ERROR_SETTINGS,
      "endpoint only applies to dataset-id: location reads a local file, "
      "without credentials.");
  check_start_fails (element_with ("location", ann, "secret-key", KEY,
          NULL), GST_RESOURCE_ERROR_SETTINGS,
      "secret-key only applies to dataset-id: location reads a local file, "
      "without credentials.");

  check_start_fails (element_with ("dataset-id", "ds", NULL),
      GST_RESOURCE_ERROR_SETTINGS,
      "dataset-id \"ds\" needs asset-id or asset-id-template.");
  check_start_fails (element_with ("dataset-id", "ds", "asset-id", "a",
          "asset-id-template", "f_%d", NULL), GST_RESOURCE_ERROR_SETTINGS,
      "asset-id and asset-id-template are exclusive: set only one.");
  check_start_fails (element_with ("dataset-id", "ds", "asset-id", "a",
          "start-number", 10, NULL), GST_RESOURCE_ERROR_SETTINGS,
      "start-number and asset-rate only apply to asset-id-template.");
  check_start_fails (element_with ("location", ann, "asset-rate", 1, 1,
          NULL), GST_RESOURCE_ERROR_SETTINGS,
      "start-number and asset-rate only apply to asset-id-template.");
  check_start_fails (element_with ("dataset-id", "ds", "asset-id-template",
          "frame", NULL), GST_RESOURCE_ERROR_SETTINGS,
      "Invalid asset-id-template \"frame\": it has no conversion for the "
      "frame number (%d).");
  check_start_fails (element_with ("dataset-id", "ds", "asset-id-template",
          "f_%s_%d", NULL), GST_RESOURCE_ERROR_SETTINGS,
      "Invalid asset-id-template \"f_%s_%d\": only integer conversions "
      "(%d, %06d, %u) and %% are allowed.");
  check_start_fails (element_with ("dataset-id", "ds", "asset-id-template",
          "f_%d_%d", NULL), GST_RESOURCE_ERROR_SETTINGS,
      "Invalid asset-id-template \"f_%d_%d\": it has more than one "
      "conversion.");

  check_start_fails (element_with ("location", "/nonexistent/ann.jsonl",
          NULL), GST_RESOURCE_ERROR_NOT_FOUND,
      "Annotation file \"/nonexistent/ann.jsonl\" does not exist or is not "
      "a file.");

  fail_if (vi_validate_id ("dataset-id", "a b", &error));
  text = g_strdup_printf ("Invalid dataset-id \"a b\": %s.", error->message);
  g_clear_error (&error);
  check_start_fails (element_with ("dataset-id", "a b", "asset-id", "a",
          NULL), GST_RESOURCE_ERROR_SETTINGS, text);
  g_free (text);

  /* No credentials at all (the test environment has none). */
  libvi = client_error (server_url, NULL, NULL, NULL);
  text = g_strdup_printf ("Could not set up the Vi API client: %s (secret "
      "key from nowhere, organization id from nowhere).", libvi);
  check_start_fails (element_with ("dataset-id", "ds", "asset-id", "a",
          "endpoint", server_url, NULL), GST_RESOURCE_ERROR_SETTINGS, text);
  g_free (text);
  g_free (libvi);

  /* A malformed key, and where it came from. */
  libvi = client_error (server_url, "dtvi_short", ORG, NULL);
  text = g_strdup_printf ("Could not set up the Vi API client: %s (secret "
      "key from the secret-key property, organization id from the "
      "organization-id property).", libvi);
  check_start_fails (element_with ("dataset-id", "ds", "asset-id", "a",
          "endpoint", server_url, "secret-key", "dtvi_short",
          "organization-id", ORG, NULL), GST_RESOURCE_ERROR_SETTINGS, text);
  g_free (text);
  g_free (libvi);

  remove_tmp (ann);
}

GST_END_TEST;

/* 401: the message names where the refused key came from. */
static void
check_refused_key (GstElement * e, const gchar * origin)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  gchar *text;

  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);
  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  text = g_strdup_printf ("The Vi API refused the secret key from %s: "
      "check it.", origin);
  check_one_error (bus, e, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, text, 401);
  g_free (text);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_START_TEST (test_refused_key_origin)
{
  gchar *json, *config, *origin;
  GstElement *e;

  add_asset ("ds", "cat.jpg");

  /* From a config file. */
  json = g_strdup_printf ("{\"secret_key\": \"%s\", \"organization_id\": "
      "\"%s\"}", WRONG_KEY, ORG);
  config = write_tmp ("vi.json", json);
  g_free (json);
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "endpoint", server_url, "config-file", config,
      "dataset-id", "ds", "asset-id", "cat.jpg", NULL);
  origin = g_strdup_printf ("config-file \"%s\"", config);
  check_refused_key (e, origin);
  g_free (origin);

  /* From the environment, which comes before the config file.  Set before
   * the element exists: nothing reads the environment meanwhile. */
  g_setenv ("DATATURE_VI_SECRET_KEY", WRONG_KEY, TRUE);
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "endpoint", server_url, "config-file", config,
      "dataset-id", "ds", "asset-id", "cat.jpg", NULL);
  check_refused_key (e, "DATATURE_VI_SECRET_KEY (environment)");
  g_setenv ("DATATURE_VI_SECRET_KEY", "", TRUE);

  remove_tmp (config);
}

GST_END_TEST;

static GPtrArray *
bad_lines_of (const gchar * path, guint * n_lines)
{
  GError *error = NULL;
  ViJsonlReader *reader = vi_jsonl_reader_new_for_path (path, &error);
  ViJsonlRecord *record;
  GPtrArray *bad;

  g_assert_no_error (error);
  while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL)
    vi_jsonl_record_unref (record);
  g_assert_no_error (error);
  *n_lines = vi_jsonl_reader_get_line_number (reader);
  bad = g_ptr_array_ref (vi_jsonl_reader_get_bad_lines (reader));
  g_object_unref (reader);
  return bad;
}

/* Invalid lines of a location file: one warning on the bus with their
 * count and the first reasons (not g_warning on stderr, which this test
 * would fail on), and an asset whose lines were all invalid says so
 * instead of "not in the file". */
GST_START_TEST (test_invalid_lines)
{
  const gchar *lines =
      "{\"asset_id\": \"a\", \"caption\": \"A cat\", "
      "\"grounded_phrases\": [{\"phrase\": \"cat\", "
      "\"bbox\": [0.1, 0.2, 0.5, 0.6]}]}\n"
      "{\"asset_id\": \"b\", \"caption\": \"A dog\", "
      "\"grounded_phrases\": [{\"phrase\": \"dog\", "
      "\"bbox\": [0.5, 0.2, 0.1, 0.6]}]}\n"
      "{not json\n"
      "{\"asset_id\": \"c\", \"caption\": \"A cow\"}\n"
      "{\"asset_id\": \"b\", \"caption\": \"A dog\", "
      "\"grounded_phrases\": [{\"phrase\": \"cat\", "
      "\"bbox\": [0.1, 0.2, 0.5, 0.6]}]}\n"
      "{\"asset_id\": \"d\", \"caption\": 7}\n";
  GPtrArray *bad;
  GstElement *e;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  const GstStructure *details = NULL;
  gchar *text, *path = write_tmp ("ann.jsonl", lines);
  guint n_lines, value, i;

  bad = bad_lines_of (path, &n_lines);
  fail_unless_equals_int (bad->len, 4);
  fail_unless_equals_int (n_lines, 6);

  /* The warning, once; the frames of a valid asset carry it. */
  bus = gst_bus_new ();
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id", "a", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);
  for (i = 0; i < 3; i++) {
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, frame (64, 48, i)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (gst_buffer_get_vi_annot_meta (out) != NULL);
    gst_buffer_unref (out);
  }
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  gst_message_parse_warning_details (msg, &details);
  text = g_strdup_printf ("4 of 6 lines of \"%s\" are invalid and were "
      "skipped: %s; %s; %s (and 1 more).", path,
      ((GError *) g_ptr_array_index (bad, 0))->message,
      ((GError *) g_ptr_array_index (bad, 1))->message,
      ((GError *) g_ptr_array_index (bad, 2))->message);
  fail_unless_equals_string (err->message, text);
  fail_unless (strstr (err->message, ":2: ") != NULL);
  fail_unless (details != NULL);
  fail_unless (gst_structure_get_uint (details, "invalid-lines", &value));
  fail_unless_equals_int (value, 4);
  g_free (text);
  g_clear_error (&err);
  gst_message_unref (msg);
  fail_unless (pop_message (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR) ==
      NULL);
  gst_element_set_bus (e, NULL);
  gst_harness_teardown (h);

  /* b's two lines were both invalid.  (The warning about the lines comes
   * again, from the worker: popping the error discards it.) */
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id", "b", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);
  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  text = g_strdup_printf ("Asset \"b\" has no valid line in \"%s\": its 2 "
      "lines are invalid (first: %s).", path,
      ((GError *) g_ptr_array_index (bad, 0))->message);
  check_one_error (bus, e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      text, 0);
  g_free (text);
  gst_element_set_bus (e, NULL);
  gst_harness_teardown (h);

  /* z is not in the file at all. */
  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id", "z", NULL);
  gst_element_set_bus (e, bus);
  h = new_harness (e, FALSE, 64, 48);
  fail_unless_equals_int (gst_harness_push (h, frame (64, 48, 0)),
      GST_FLOW_ERROR);
  text = g_strdup_printf ("Asset \"z\" is not in \"%s\".", path);
  check_one_error (bus, e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      text, 0);
  g_free (text);
  gst_element_set_bus (e, NULL);
  gst_harness_teardown (h);

  gst_object_unref (bus);
  g_ptr_array_unref (bad);
  remove_tmp (path);
}

GST_END_TEST;

/* Template mode on a file: a frame whose asset is not there has no
 * annotations, and is counted, as in dataset mode. */
GST_START_TEST (test_location_template_missing)
{
  const gchar *lines =
      "{\"asset_id\": \"f0\", \"caption\": \"zero\"}\n"
      "{\"asset_id\": \"f2\", \"caption\": \"two\"}\n";
  GstStructure *stats;
  GstElement *e;
  GstHarness *h;
  guint64 v;
  guint i;

  gchar *path = write_tmp ("ann.jsonl", lines);

  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id-template", "f%d", NULL);
  h = new_harness (e, FALSE, 64, 48);
  for (i = 0; i < 3; i++) {
    GstBuffer *in = frame (64, 48, GST_BUFFER_OFFSET_NONE), *out;

    GST_BUFFER_PTS (in) = gst_util_uint64_scale (i, GST_SECOND, 30);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless ((gst_buffer_get_vi_annot_meta (out) != NULL) == (i != 1));
    gst_buffer_unref (out);
  }
  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "frames-no-asset", &v));
  fail_unless_equals_int (v, 1);
  fail_unless (gst_structure_get_uint64 (stats, "frames-annotated", &v));
  fail_unless_equals_int (v, 2);
  gst_structure_free (stats);
  gst_harness_teardown (h);

  remove_tmp (path);
}

GST_END_TEST;

/* Without a timestamp, the buffer offset numbers the frame. */
GST_START_TEST (test_template_offsets)
{
  const gchar *lines =
      "{\"asset_id\": \"f7\", \"caption\": \"seven\"}\n"
      "{\"asset_id\": \"f8\", \"caption\": \"eight\"}\n";
  GstElement *e;
  GstHarness *h;
  guint i;

  gchar *path = write_tmp ("ann.jsonl", lines);

  e = gst_element_factory_make ("viannotsrc", NULL);
  g_object_set (e, "location", path, "asset-id-template", "f%d",
      "start-number", 5, NULL);
  h = new_harness (e, FALSE, 64, 48);
  for (i = 2; i < 4; i++) {
    GstBuffer *out;
    GstViAnnotMeta *meta;
    gchar *asset = g_strdup_printf ("f%u", i + 5);

    fail_unless_equals_int (gst_harness_push (h, frame (64, 48, i)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    meta = gst_buffer_get_vi_annot_meta (out);
    fail_unless (meta != NULL);
    fail_unless_equals_string (gst_vi_annot_meta_get_asset_id (meta), asset);
    gst_buffer_unref (out);
    g_free (asset);
  }
  gst_harness_teardown (h);

  remove_tmp (path);
}

GST_END_TEST;

GST_START_TEST (test_secret_key_write_only)
{
  GstElement *e = gst_element_factory_make ("viannotsrc", NULL);
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (e), "secret-key");

  fail_unless (pspec != NULL);
  fail_unless ((pspec->flags & G_PARAM_READABLE) == 0);
  fail_unless ((pspec->flags & G_PARAM_WRITABLE) != 0);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
viannotsrc_suite (void)
{
  Suite *s = suite_create ("viannotsrc");
  TCase *tc = tcase_create ("general");

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");

  tcase_add_checked_fixture (tc, server_setup, server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_boxes_in_pixels);
  tcase_add_test (tc, test_location_equals_dataset);
  tcase_add_test (tc, test_caps_change_mid_stream);
  tcase_add_test (tc, test_template_500_frames);
  tcase_add_test (tc, test_live_never_waits);
  tcase_add_test (tc, test_non_live_waits);
  tcase_add_test (tc, test_max_wait);
  tcase_add_test (tc, test_refresh);
  tcase_add_test (tc, test_wrong_key);
  tcase_add_test (tc, test_forbidden);
  tcase_add_test (tc, test_not_found);
  tcase_add_test (tc, test_on_error_warn);
  tcase_add_test (tc, test_configuration_errors);
  tcase_add_test (tc, test_refused_key_origin);
  tcase_add_test (tc, test_invalid_lines);
  tcase_add_test (tc, test_location_template_missing);
  tcase_add_test (tc, test_template_offsets);
  tcase_add_test (tc, test_secret_key_write_only);

  return s;
}

GST_CHECK_MAIN (viannotsrc);
