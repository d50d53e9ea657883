/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The round trip of issue 9, against vi-local-server in a thread:
 *
 *   dataset A -> viannotsrc -> videoscale (another size) -> viannotsink
 *   -> dataset B
 *
 * Every caption, phrase, span, VQA pair and box of A is in B: exactly
 * (normalized) through GstViAnnotMeta; through ROI metas only (the
 * annotation meta removed on the way), within 1 px at the output size,
 * from viannot's ROI metas and from plain ones carrying pixels only; and
 * through location, read back by viannotsrc. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#define SINK_TEST_WITH_SERVER
#include "test-sink-common.h"

#define N_FRAMES 6
#define OUT_W 200
#define OUT_H 150

/* Dataset A: captions with phrases (repeated words, overlapping phrases,
 * non-ASCII text), a caption without boxes, VQA pairs, a frame without
 * annotations (frame_000003), boxes that are no short decimals. */
static const gchar *dataset_a =
    "{\"asset_id\": \"frame_000000\", \"caption\": \"A red car parked next to "
    "a tall tree\", \"grounded_phrases\": [{\"phrase\": \"red car\", \"bbox\": "
    "[0.12, 0.45, 0.48, 0.86]}, {\"phrase\": \"tall tree\", \"bbox\": "
    "[0.55, 0.05, 0.83, 0.9]}]}\n"
    "{\"asset_id\": \"frame_000000\", \"contents\": {\"interactions\": "
    "[{\"question\": \"What colour is the car?\", \"answer\": \"Red\"}, "
    "{\"question\": \"Is it moving?\", \"answer\": \"No\"}]}}\n"
    "{\"asset_id\": \"frame_000001\", \"caption\": \"a dog and a dog\", "
    "\"grounded_phrases\": [{\"phrase\": \"dog\", \"bbox\": [0.1, 0.1, "
    "0.3, 0.3]}, {\"phrase\": \"dog\", \"bbox\": [0.6, 0.1, 0.9, 0.3]}]}\n"
    "{\"asset_id\": \"frame_000001\", \"caption\": \"Two dogs\"}\n"
    "{\"asset_id\": \"frame_000002\", \"caption\": \"Un café près du café\", "
    "\"grounded_phrases\": [{\"phrase\": \"café\", \"bbox\": [0.123456789, "
    "0.2, 0.3333333333333333, 0.4]}, {\"phrase\": \"café\", \"bbox\": "
    "[0.7, 0.7, 0.987654321, 0.99]}]}\n"
    "{\"asset_id\": \"frame_000004\", \"contents\": {\"interactions\": "
    "[{\"question\": \"How many?\", \"answer\": \"Three\"}]}}\n"
    "{\"asset_id\": \"frame_000005\", \"caption\": \"a red car\", "
    "\"grounded_phrases\": [{\"phrase\": \"red car\", \"bbox\": [0.2, 0.2, "
    "0.5, 0.5]}, {\"phrase\": \"car\", \"bbox\": [0.3, 0.2, 0.5, 0.5]}]}\n";

/* For g_ptr_array_sort (), which passes pointers to the elements. */
static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

/* The common setup, with dataset A loaded. */
static void
setup_roundtrip (void)
{
  GError *error = NULL;
  gchar *path;

  setup ();
  path = g_build_filename (work, "a.jsonl", NULL);
  fail_unless (g_file_set_contents (path, dataset_a, -1, NULL));
  fail_unless (vi_local_server_load_jsonl (server, "a", path, &error));
  g_assert_no_error (error);
  g_free (path);
}

/* ------------------------------------------------------------------ */
/* what a dataset holds, in a form two datasets can be compared in */

typedef struct
{
  gchar *caption;
  GPtrArray *boxes;             /* gchar *: "phrase [start,end) x y x y" */
} Whole;

static void
whole_free (Whole * w)
{
  g_free (w->caption);
  g_ptr_array_unref (w->boxes);
  g_free (w);
}

/* The annotations of an asset: one string per whole (its caption and its
 * boxes, sorted), and the VQA pairs, sorted; ids left out. */
static gchar *
describe_asset (const gchar * dataset, const gchar * asset)
{
  ViClient *client = vi_client_new (server_url, KEY, ORG, NULL, NULL);
  GPtrArray *all, *wholes, *vqa, *lines;
  GHashTable *by_whole;
  GError *error = NULL;
  GString *out = g_string_new (NULL);
  guint i;

  all = vi_client_list_all_annotations (client, dataset, asset, 1000, NULL,
      &error);
  g_object_unref (client);
  if (g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND)) {
    g_error_free (error);
    return g_string_free (out, FALSE);
  }
  g_assert_no_error (error);

  by_whole = g_hash_table_new (g_str_hash, g_str_equal);
  wholes = g_ptr_array_new_with_free_func ((GDestroyNotify) whole_free);
  vqa = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < all->len; i++) {
    ViAnnotationSpec *spec = vi_annotation_get_spec (all->pdata[i]);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);
    const gchar *id = vi_annotation_spec_get_whole_id (spec);
    Whole *w;
    ViBBox b;
    gint start, end;

    if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_VQA) {
      g_ptr_array_add (vqa, g_strdup_printf ("Q %s A %s",
              vi_annotation_content_get_question (c),
              vi_annotation_content_get_answer (c)));
      continue;
    }
    w = g_hash_table_lookup (by_whole, id);
    if (w == NULL) {
      w = g_new0 (Whole, 1);
      w->boxes = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (by_whole, (gpointer) id, w);
      g_ptr_array_add (wholes, w);
    }
    if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_CAPTION) {
      w->caption = g_strdup (vi_annotation_content_get_caption (c));
      continue;
    }
    fail_unless (vi_annotation_content_get_bbox (c, &b));
    fail_unless (vi_annotation_content_get_target (c, &start, &end));
    g_ptr_array_add (w->boxes, g_strdup_printf ("[%d,%d) %.17g %.17g "
            "%.17g %.17g", start, end, b.x_min, b.y_min, b.x_max, b.y_max));
  }

  lines = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < wholes->len; i++) {
    Whole *w = g_ptr_array_index (wholes, i);
    GString *line = g_string_new (w->caption);
    guint j;

    g_ptr_array_sort (w->boxes, compare_strings);
    for (j = 0; j < w->boxes->len; j++)
      g_string_append_printf (line, " | %s",
          (gchar *) g_ptr_array_index (w->boxes, j));
    g_ptr_array_add (lines, g_string_free (line, FALSE));
  }
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_sort (vqa, compare_strings);
  for (i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s\n", (gchar *) lines->pdata[i]);
  for (i = 0; i < vqa->len; i++)
    g_string_append_printf (out, "%s\n", (gchar *) vqa->pdata[i]);

  g_ptr_array_unref (lines);
  g_ptr_array_unref (vqa);
  g_ptr_array_unref (wholes);
  g_hash_table_unref (by_whole);
  g_ptr_array_unref (all);
  return g_string_free (out, FALSE);
}

static gchar *
asset_name (guint i)
{
  return g_strdup_printf ("frame_%06u", i);
}

/* ------------------------------------------------------------------ */
/* pipelines */

/* What strip_probe leaves of the annotations of a frame. */
typedef enum
{
  /* The GstViAnnotMeta removed before the sink: viannot's ROI metas
   * (label and normalized box in their `detection` parameters). */
  ROI_ONLY,
  /* Every ROI meta replaced by a plain one with pixels and a roi_type,
   * as a detector attaches: the sink normalizes pixels. */
  PIXELS_ONLY,
} Strip;

static GstPadProbeReturn
strip_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Strip strip = GPOINTER_TO_INT (user_data);
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buf);
  GArray *rois =
      g_array_new (FALSE, FALSE, sizeof (GstVideoRegionOfInterestMeta));
  gpointer state = NULL;
  GstMeta *m;
  guint i;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (meta != NULL)
    gst_buffer_remove_meta (buf, (GstMeta *) meta);
  if (strip == PIXELS_ONLY) {
    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
      g_array_append_val (rois, *(GstVideoRegionOfInterestMeta *) m);
    while ((m = gst_buffer_get_meta (buf,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
      gst_buffer_remove_meta (buf, m);
    for (i = 0; i < rois->len; i++) {
      GstVideoRegionOfInterestMeta *r = &g_array_index (rois,
          GstVideoRegionOfInterestMeta, i);

      gst_buffer_add_video_region_of_interest_meta_id (buf, r->roi_type, r->x,
          r->y, r->w, r->h);
    }
  }
  g_array_unref (rois);
  return GST_PAD_PROBE_OK;
}

/* Runs "videotestsrc ! @src ! videoscale ! OUT_WxOUT_H ! @sink" to EOS;
 * @probe (with @data) sees the buffers on the sink's pad. */
static void
run_pipeline (const gchar * src, const gchar * sink, GstPadProbeCallback probe,
    gpointer data)
{
  GError *error = NULL;
  gchar *desc;
  GstElement *pipeline, *e;
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! video/x-raw,"
      "width=320,height=240,framerate=30/1 ! %s ! videoscale ! "
      "video/x-raw,width=%u,height=%u ! %s name=sink", N_FRAMES, src, OUT_W,
      OUT_H, sink);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  if (probe != NULL) {
    e = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    pad = gst_element_get_static_pad (e, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, data, NULL);
    gst_object_unref (pad);
    gst_object_unref (e);
  }
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    fail ("%s", error->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

static gchar *
src_from_dataset (void)
{
  return g_strdup_printf ("viannotsrc endpoint=%s organization-id=%s "
      "secret-key=%s dataset-id=a asset-id-template=frame_%%06d", server_url,
      ORG, KEY);
}

static gchar *
sink_to_dataset (const gchar * extra)
{
  gchar *spool = g_build_filename (work, "spool", NULL);
  gchar *s = g_strdup_printf ("viannotsink endpoint=%s organization-id=%s "
      "secret-key=%s dataset-id=b spool-dir=%s asset-id-template=frame_%%06d "
      "%s", server_url, ORG, KEY, spool, extra ? extra : "");

  g_free (spool);
  return s;
}

/* ------------------------------------------------------------------ */

/* Through GstViAnnotMeta: B is A, exactly. */
GST_START_TEST (test_meta_exact)
{
  gchar *src = src_from_dataset (), *sink = sink_to_dataset (NULL);
  guint i;

  run_pipeline (src, sink, NULL, NULL);
  for (i = 0; i < N_FRAMES; i++) {
    gchar *asset = asset_name (i);
    gchar *a = describe_asset ("a", asset), *b = describe_asset ("b", asset);

    GST_INFO ("%s:\n%s", asset, a);
    fail_unless_equals_string (b, a);
    fail_unless ((*a != '\0') == (i != 3));
    g_free (a);
    g_free (b);
    g_free (asset);
  }
  g_free (src);
  g_free (sink);
}

GST_END_TEST;

/* The boxes of an asset in pixels of OUT_WxOUT_H, "label x y x y",
 * sorted. */
static GPtrArray *
pixel_boxes (const gchar * dataset, const gchar * asset, gchar ** caption)
{
  ViClient *client = vi_client_new (server_url, KEY, ORG, NULL, NULL);
  GPtrArray *all, *out = g_ptr_array_new_with_free_func (g_free);
  GHashTable *captions = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;
  guint i;

  all = vi_client_list_all_annotations (client, dataset, asset, 1000, NULL,
      &error);
  g_object_unref (client);
  if (all == NULL) {
    g_clear_error (&error);
    g_hash_table_unref (captions);
    return out;
  }
  for (i = 0; i < all->len; i++) {
    ViAnnotationSpec *spec = vi_annotation_get_spec (all->pdata[i]);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);

    if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_CAPTION) {
      g_hash_table_insert (captions,
          (gpointer) vi_annotation_spec_get_whole_id (spec),
          (gpointer) vi_annotation_content_get_caption (c));
      if (caption != NULL) {
        g_free (*caption);
        *caption = g_strdup (vi_annotation_content_get_caption (c));
      }
    }
  }
  for (i = 0; i < all->len; i++) {
    ViAnnotationSpec *spec = vi_annotation_get_spec (all->pdata[i]);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);
    const gchar *text = g_hash_table_lookup (captions,
        vi_annotation_spec_get_whole_id (spec));
    ViBBox b;
    ViPixelBox p;
    gint start, end;
    gchar *phrase;

    if (vi_annotation_content_get_kind (c) !=
        VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX)
      continue;
    fail_unless (vi_annotation_content_get_bbox (c, &b));
    fail_unless (vi_annotation_content_get_target (c, &start, &end));
    vi_bbox_to_pixels (&b, OUT_W, OUT_H, &p);
    phrase = g_utf8_substring (text, start, end);
    g_ptr_array_add (out, g_strdup_printf ("%s %d %d %d %d", phrase, p.x_min,
            p.y_min, p.x_max, p.y_max));
    g_free (phrase);
  }
  g_ptr_array_unref (all);
  g_hash_table_unref (captions);
  g_ptr_array_sort (out, compare_strings);
  return out;
}

/* "label x y x y" of A and B: same labels, each coordinate within 1 px. */
static void
assert_within_one_pixel (const gchar * asset)
{
  GPtrArray *a = pixel_boxes ("a", asset, NULL);
  gchar *caption = NULL;
  GPtrArray *b = pixel_boxes ("b", asset, &caption);
  guint i, k;

  fail_unless_equals_int (b->len, a->len);
  for (i = 0; i < a->len; i++) {
    gchar **fa = g_strsplit (a->pdata[i], " ", -1);
    gchar **fb = g_strsplit (b->pdata[i], " ", -1);
    guint n = g_strv_length (fa);

    fail_unless_equals_int (g_strv_length (fb), n);
    for (k = 0; k + 4 < n; k++)
      fail_unless_equals_string (fb[k], fa[k]);
    for (; k < n; k++)
      fail_unless (ABS (atoi (fa[k]) - atoi (fb[k])) <= 1, "%s: %s vs %s",
          asset, (gchar *) a->pdata[i], (gchar *) b->pdata[i]);
    g_strfreev (fa);
    g_strfreev (fb);
  }
  g_free (caption);
  g_ptr_array_unref (a);
  g_ptr_array_unref (b);
}

static void
check_boxes_only (void)
{
  guint i;

  for (i = 0; i < N_FRAMES; i++) {
    gchar *asset = asset_name (i);
    gchar *caption = NULL;
    GPtrArray *b = pixel_boxes ("b", asset, &caption);

    assert_within_one_pixel (asset);
    /* A caption built from the labels, the phrases on them. */
    if (i == 0)
      fail_unless_equals_string (caption, "red car and tall tree");
    if (i == 1)
      fail_unless_equals_string (caption, "dog and dog");
    if (i == 2)
      fail_unless_equals_string (caption, "café and café");
    if (i == 3 || i == 4)
      fail_unless_equals_int (b->len, 0);
    g_free (caption);
    g_ptr_array_unref (b);
    g_free (asset);
  }
}

/* Through viannot's ROI metas only. */
GST_START_TEST (test_roi_only)
{
  gchar *src = src_from_dataset (), *sink = sink_to_dataset (NULL);

  run_pipeline (src, sink, strip_probe, GINT_TO_POINTER (ROI_ONLY));
  check_boxes_only ();
  g_free (src);
  g_free (sink);
}

GST_END_TEST;

/* Through plain ROI metas with pixels and a roi_type: normalized by the
 * sink from the frame's size. */
GST_START_TEST (test_pixels_only)
{
  gchar *src = src_from_dataset (), *sink = sink_to_dataset (NULL);

  run_pipeline (src, sink, strip_probe, GINT_TO_POINTER (PIXELS_ONLY));
  check_boxes_only ();
  g_free (src);
  g_free (sink);
}

GST_END_TEST;

/* What frames carry, per asset, as text: captions with their phrases
 * (text, span, exact box) and the VQA pairs. */
typedef struct
{
  GHashTable *seen;             /* asset -> description */
} Capture;

static gchar *
describe_meta (GstViAnnotMeta * meta)
{
  GString *s = g_string_new (NULL);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint i, c;

  for (c = 0; c < gst_vi_annot_meta_get_n_captions (meta); c++) {
    GString *line = g_string_new (gst_vi_annot_meta_get_caption (meta, c));

    for (i = 0; i < gst_vi_annot_meta_get_n_phrases (meta); i++) {
      gint start, end;
      ViBBox b;

      if (gst_vi_annot_meta_get_phrase_caption (meta, i) != c)
        continue;
      gst_vi_annot_meta_get_phrase_span (meta, i, &start, &end);
      gst_vi_annot_meta_get_phrase_bbox (meta, i, &b);
      g_string_append_printf (line, " | %s [%d,%d) %.17g %.17g %.17g %.17g",
          gst_vi_annot_meta_get_phrase (meta, i), start, end, b.x_min,
          b.y_min, b.x_max, b.y_max);
    }
    g_ptr_array_add (lines, g_string_free (line, FALSE));
  }
  for (i = 0; i < gst_vi_annot_meta_get_n_interactions (meta); i++)
    g_ptr_array_add (lines, g_strdup_printf ("Q %s A %s",
            gst_vi_annot_meta_get_question (meta, i),
            gst_vi_annot_meta_get_answer (meta, i)));
  g_ptr_array_sort (lines, compare_strings);
  for (i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s\n", (gchar *) lines->pdata[i]);
  g_ptr_array_unref (lines);
  return g_string_free (s, FALSE);
}

static GstPadProbeReturn
capture_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Capture *cap = user_data;
  GstViAnnotMeta *meta =
      gst_buffer_get_vi_annot_meta (GST_PAD_PROBE_INFO_BUFFER (info));

  if (meta != NULL)
    g_hash_table_replace (cap->seen,
        g_strdup (gst_vi_annot_meta_get_asset_id (meta)), describe_meta (meta));
  return GST_PAD_PROBE_OK;
}

/* Through location: the file, read back by viannotsrc, puts on frames
 * what dataset A put there. */
GST_START_TEST (test_location_back)
{
  gchar *location = g_build_filename (work, "copy.jsonl", NULL);
  gchar *src = src_from_dataset (), *sink, *back;
  Capture from_a = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free)
  };
  Capture from_file = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free)
  };
  GHashTableIter iter;
  gpointer key, value;

  sink = g_strdup_printf ("viannotsink location=%s", location);
  run_pipeline (src, sink, capture_probe, &from_a);
  fail_unless_equals_int (g_hash_table_size (from_a.seen), N_FRAMES - 1);

  back = g_strdup_printf ("viannotsrc location=%s "
      "asset-id-template=frame_%%06d", location);
  run_pipeline (back, "fakesink", capture_probe, &from_file);
  fail_unless_equals_int (g_hash_table_size (from_file.seen), N_FRAMES - 1);
  g_hash_table_iter_init (&iter, from_a.seen);
  while (g_hash_table_iter_next (&iter, &key, &value))
    fail_unless_equals_string (g_hash_table_lookup (from_file.seen, key),
        value);

  g_hash_table_unref (from_a.seen);
  g_hash_table_unref (from_file.seen);
  g_free (back);
  g_free (sink);
  g_free (src);
  g_free (location);
}

GST_END_TEST;

static Suite *
roundtrip_suite (void)
{
  Suite *s = suite_create ("viannotsink-roundtrip");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup_roundtrip, teardown);
  tcase_add_test (tc, test_meta_exact);
  tcase_add_test (tc, test_roi_only);
  tcase_add_test (tc, test_pixels_only);
  tcase_add_test (tc, test_location_back);

  return s;
}

GST_CHECK_MAIN (roundtrip);
