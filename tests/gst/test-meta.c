/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* Unit tests of libgstviannot: GstViAnnotSet, GstViAnnotMeta, ROI metas. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>
#include <string.h>

static const ViBBox box_a = { 0.1, 0.2, 0.5, 0.7 };
static const ViBBox box_b = { 0.0, 0.0, 1.0, 1.0 };

/* Built from pixels of a 37×23 frame, so that the pixel round trip is
 * exercised at an odd size. */
static ViBBox
box_from_37x23 (void)
{
  ViPixelBox px = { 13, 5, 36, 22 };
  ViBBox b;

  vi_bbox_from_pixels (&px, 37, 23, &b);
  return b;
}

static GstViAnnotSet *
make_set (void)
{
  GstViAnnotSet *set = gst_vi_annot_set_new ("ds-1", "asset-1");
  ViBBox c = box_from_37x23 ();
  guint cap;

  cap = gst_vi_annot_set_add_caption (set, "Ein Hund läuft über die Straße");
  fail_unless_equals_int (cap, 0);
  fail_unless_equals_int (gst_vi_annot_set_add_phrase (set, cap, "Hund", 4,
          8, &box_a, "ann-1", "whole-1"), 0);
  fail_unless_equals_int (gst_vi_annot_set_add_phrase (set, cap, "Straße",
          24, 30, &box_b, "ann-2", "whole-1"), 1);
  fail_unless_equals_int (gst_vi_annot_set_add_phrase (set, cap, "über", 15,
          19, &c, NULL, NULL), 2);
  fail_unless_equals_int (gst_vi_annot_set_add_interaction (set,
          "Wo läuft der Hund?", "Über die Straße."), 0);
  return set;
}

static void
assert_bbox_eq (const ViBBox * a, const ViBBox * b)
{
  fail_unless (a->x_min == b->x_min && a->y_min == b->y_min &&
      a->x_max == b->x_max && a->y_max == b->y_max,
      "box [%g %g %g %g] != [%g %g %g %g]", a->x_min, a->y_min, a->x_max,
      a->y_max, b->x_min, b->y_min, b->x_max, b->y_max);
}

GST_START_TEST (test_set_build_and_ref)
{
  GstViAnnotSet *set = make_set ();
  GstViAnnotSet *ref;

  fail_unless_equals_string (gst_vi_annot_set_get_dataset_id (set), "ds-1");
  fail_unless_equals_string (gst_vi_annot_set_get_asset_id (set), "asset-1");
  fail_unless_equals_int (gst_vi_annot_set_get_n_captions (set), 1);
  fail_unless_equals_int (gst_vi_annot_set_get_n_phrases (set), 3);
  fail_unless_equals_int (gst_vi_annot_set_get_n_interactions (set), 1);

  /* A caption index that does not exist is refused. */
  ASSERT_CRITICAL (gst_vi_annot_set_add_phrase (set, 5, "x", 0, 1, &box_a,
          NULL, NULL));
  fail_unless_equals_int (gst_vi_annot_set_get_n_phrases (set), 3);

  /* Shared: immutable, even after the other reference is gone. */
  ref = gst_vi_annot_set_ref (set);
  fail_unless (ref == set);
  ASSERT_CRITICAL (gst_vi_annot_set_add_caption (set, "more"));
  gst_vi_annot_set_unref (ref);
  ASSERT_CRITICAL (gst_vi_annot_set_add_interaction (set, "q", "a"));
  fail_unless_equals_int (gst_vi_annot_set_get_n_captions (set), 1);
  fail_unless_equals_int (gst_vi_annot_set_get_n_interactions (set), 1);

  /* The boxed type copies by reference. */
  ref = g_boxed_copy (GST_TYPE_VI_ANNOT_SET, set);
  fail_unless (ref == set);
  g_boxed_free (GST_TYPE_VI_ANNOT_SET, ref);

  gst_vi_annot_set_unref (set);
}

GST_END_TEST;

static GstViAnnotMeta *
attach (GstBuffer * buf, GstViAnnotSet * set)
{
  GstViAnnotMeta *meta = gst_buffer_add_vi_annot_meta (buf, set);

  fail_unless (meta != NULL);
  return meta;
}

GST_START_TEST (test_set_from_records)
{
  g_autoptr (GPtrArray) records =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (ViJsonlRecord) r1 = vi_jsonl_record_new ("asset-1");
  g_autoptr (ViJsonlRecord) r2 = vi_jsonl_record_new ("asset-1");
  g_autoptr (ViJsonlRecord) r3 = vi_jsonl_record_new ("asset-1");
  GstViAnnotSet *set;
  GstBuffer *buf;
  GstViAnnotMeta *meta;
  GError *error = NULL;
  ViBBox b;
  int start, end;

  vi_jsonl_record_set_id (r1, "rec-1");
  vi_jsonl_record_set_caption (r1, "Ein Hund läuft über die Straße");
  vi_jsonl_record_add_phrase (r1, "Hund", &box_a);
  vi_jsonl_record_add_phrase (r1, "Straße", &box_b);
  fail_unless (vi_jsonl_record_compute_spans (r1, &error));
  g_assert_no_error (error);

  /* Spans not computed: unknown. */
  vi_jsonl_record_set_caption (r2, "日本語のキャプション：猫");
  vi_jsonl_record_add_phrase (r2, "猫", &box_a);

  vi_jsonl_record_add_interaction (r3, "色は？", "赤い");
  vi_jsonl_record_add_interaction (r3, "How many?", "Two");

  g_ptr_array_add (records, vi_jsonl_record_ref (r1));
  g_ptr_array_add (records, vi_jsonl_record_ref (r2));
  g_ptr_array_add (records, vi_jsonl_record_ref (r3));

  set = gst_vi_annot_set_new_from_records ("ds", "asset-1", records);
  buf = gst_buffer_new ();
  meta = attach (buf, set);
  gst_vi_annot_set_unref (set);

  fail_unless_equals_string (gst_vi_annot_meta_get_dataset_id (meta), "ds");
  fail_unless_equals_string (gst_vi_annot_meta_get_asset_id (meta), "asset-1");
  fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 2);
  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 0),
      "Ein Hund läuft über die Straße");
  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 1),
      "日本語のキャプション：猫");

  fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (meta), 3);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 0), "Hund");
  fail_unless_equals_int (gst_vi_annot_meta_get_phrase_caption (meta, 0), 0);
  fail_unless (gst_vi_annot_meta_get_phrase_span (meta, 0, &start, &end));
  fail_unless_equals_int (start, 4);
  fail_unless_equals_int (end, 8);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 1), "Straße");
  fail_unless (gst_vi_annot_meta_get_phrase_span (meta, 1, &start, &end));
  /* In characters, not bytes ("ä", "ü", "ß" are two bytes each). */
  fail_unless_equals_int (start, 24);
  fail_unless_equals_int (end, 30);
  gst_vi_annot_meta_get_phrase_bbox (meta, 1, &b);
  assert_bbox_eq (&b, &box_b);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase_whole_id (meta, 1),
      "rec-1");
  fail_unless (gst_vi_annot_meta_get_phrase_annotation_id (meta, 1) == NULL);

  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 2), "猫");
  fail_unless_equals_int (gst_vi_annot_meta_get_phrase_caption (meta, 2), 1);
  fail_if (gst_vi_annot_meta_get_phrase_span (meta, 2, &start, &end));
  fail_unless_equals_int (start, -1);
  fail_unless_equals_int (end, -1);

  fail_unless_equals_int (gst_vi_annot_meta_get_n_interactions (meta), 2);
  fail_unless_equals_string (gst_vi_annot_meta_get_question (meta, 0),
      "色は？");
  fail_unless_equals_string (gst_vi_annot_meta_get_answer (meta, 0), "赤い");
  fail_unless_equals_string (gst_vi_annot_meta_get_question (meta, 1),
      "How many?");
  fail_unless_equals_string (gst_vi_annot_meta_get_answer (meta, 1), "Two");

  gst_buffer_unref (buf);
}

GST_END_TEST;

static ViAnnotation *
make_annotation (const char *id, const char *asset, const char *whole,
    ViRole role, ViAnnotationContent * content)
{
  ViAnnotationSpec *spec = vi_annotation_spec_new (role == VI_ROLE_CAPTION ?
      "caption" : "box", 0, whole, role, content);
  ViAnnotation *a = vi_annotation_new (id, asset, "org", "ds", spec, NULL,
      NULL, NULL);

  vi_annotation_spec_unref (spec);
  vi_annotation_content_unref (content);
  return a;
}

GST_START_TEST (test_set_from_annotations)
{
  g_autoptr (GPtrArray) anns =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vi_annotation_unref);
  /* 猫が窓の上で寝ている: 猫 [0,1), 窓 [2,3), 寝ている [6,10) */
  const char *cap1 = "猫が窓の上で寝ている";
  const char *cap2 = "Ünïcödé caption with a dog";
  ViBBox c = box_from_37x23 ();
  GstViAnnotSet *set;
  GstBuffer *buf;
  GstViAnnotMeta *meta;
  ViBBox b;
  int start, end;

  /* Parts out of order: a box before its caption, wholes interleaved. */
  g_ptr_array_add (anns, make_annotation ("a-box-window", "asset-1", "w1",
          VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX,
          vi_annotation_content_new_from_bbox (&box_b, 2, 3)));
  g_ptr_array_add (anns, make_annotation ("a-cap-2", "asset-1", "w2",
          VI_ROLE_CAPTION, vi_annotation_content_new_caption (cap2)));
  g_ptr_array_add (anns, make_annotation ("a-cap-1", "asset-1", "w1",
          VI_ROLE_CAPTION, vi_annotation_content_new_caption (cap1)));
  g_ptr_array_add (anns, make_annotation ("a-vqa", "asset-1", "w3",
          VI_ROLE_VQA, vi_annotation_content_new_vqa ("何匹？", "一匹")));
  g_ptr_array_add (anns, make_annotation ("a-box-cat", "asset-1", "w1",
          VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX,
          vi_annotation_content_new_from_bbox (&box_a, 0, 1)));
  g_ptr_array_add (anns, make_annotation ("a-box-dog", "asset-1", "w2",
          VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX,
          vi_annotation_content_new_from_bbox (&c, 23, 26)));
  /* Another asset's annotation is not taken. */
  g_ptr_array_add (anns, make_annotation ("other", "asset-2", "w9",
          VI_ROLE_CAPTION, vi_annotation_content_new_caption ("nope")));

  set = gst_vi_annot_set_new_from_annotations ("ds", "asset-1", anns);
  buf = gst_buffer_new ();
  meta = attach (buf, set);
  gst_vi_annot_set_unref (set);

  /* Wholes in order of first appearance: w1, w2. */
  fail_unless_equals_int (gst_vi_annot_meta_get_n_captions (meta), 2);
  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 0), cap1);
  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 1), cap2);

  fail_unless_equals_int (gst_vi_annot_meta_get_n_phrases (meta), 3);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 0), "窓");
  fail_unless_equals_int (gst_vi_annot_meta_get_phrase_caption (meta, 0), 0);
  fail_unless (gst_vi_annot_meta_get_phrase_span (meta, 0, &start, &end));
  fail_unless_equals_int (start, 2);
  fail_unless_equals_int (end, 3);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase_annotation_id
      (meta, 0), "a-box-window");
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase_whole_id (meta, 0),
      "w1");
  gst_vi_annot_meta_get_phrase_bbox (meta, 0, &b);
  assert_bbox_eq (&b, &box_b);

  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 1), "猫");
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase_annotation_id
      (meta, 1), "a-box-cat");
  gst_vi_annot_meta_get_phrase_bbox (meta, 1, &b);
  assert_bbox_eq (&b, &box_a);

  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (meta, 2), "dog");
  fail_unless_equals_int (gst_vi_annot_meta_get_phrase_caption (meta, 2), 1);
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase_whole_id (meta, 2),
      "w2");
  gst_vi_annot_meta_get_phrase_bbox (meta, 2, &b);
  assert_bbox_eq (&b, &c);

  fail_unless_equals_int (gst_vi_annot_meta_get_n_interactions (meta), 1);
  fail_unless_equals_string (gst_vi_annot_meta_get_question (meta, 0),
      "何匹？");
  fail_unless_equals_string (gst_vi_annot_meta_get_answer (meta, 0), "一匹");

  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_meta_add_get_copy)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf, *copy, *region;
  GstViAnnotMeta *meta, *cmeta;

  buf = gst_buffer_new_allocate (NULL, 1024, NULL);
  fail_unless (gst_buffer_get_vi_annot_meta (buf) == NULL);
  meta = attach (buf, set);
  fail_unless (gst_buffer_get_vi_annot_meta (buf) == meta);
  fail_unless (gst_vi_annot_meta_get_set (meta) == set);
  /* Attached: immutable. */
  ASSERT_CRITICAL (gst_vi_annot_set_add_caption (set, "late"));
  gst_vi_annot_set_unref (set);

  fail_unless_equals_string (gst_vi_annot_meta_get_caption (meta, 0),
      "Ein Hund läuft über die Straße");
  fail_unless_equals_string (gst_vi_annot_meta_get_question (meta, 0),
      "Wo läuft der Hund?");

  /* A copy shares the set. */
  copy = gst_buffer_copy (buf);
  cmeta = gst_buffer_get_vi_annot_meta (copy);
  fail_unless (cmeta != NULL);
  fail_unless (cmeta != meta);
  fail_unless (gst_vi_annot_meta_get_set (cmeta) ==
      gst_vi_annot_meta_get_set (meta));
  gst_buffer_unref (buf);
  /* Still valid through the copy alone. */
  fail_unless_equals_string (gst_vi_annot_meta_get_phrase (cmeta, 1),
      "Straße");

  /* A deep copy shares it too. */
  buf = gst_buffer_copy_deep (copy);
  fail_unless (gst_vi_annot_meta_get_set (gst_buffer_get_vi_annot_meta
          (buf)) == gst_vi_annot_meta_get_set (cmeta));
  gst_buffer_unref (buf);

  /* A byte range of a frame is not a frame. */
  region = gst_buffer_copy_region (copy, GST_BUFFER_COPY_ALL, 100, 200);
  fail_unless (gst_buffer_get_vi_annot_meta (region) == NULL);
  gst_buffer_unref (region);

  /* Out-of-range indices. */
  ASSERT_CRITICAL (gst_vi_annot_meta_get_phrase (cmeta, 3));
  ASSERT_CRITICAL (gst_vi_annot_meta_get_caption (cmeta, 1));

  gst_buffer_unref (copy);
}

GST_END_TEST;

static void
check_pixels_at (GstViAnnotMeta * meta, int width, int height)
{
  GstVideoInfo info;
  GstCaps *caps;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  caps = gst_video_info_to_caps (&info);

  for (i = 0; i < gst_vi_annot_meta_get_n_phrases (meta); i++) {
    ViBBox b;
    ViPixelBox want, got, got_caps;

    gst_vi_annot_meta_get_phrase_bbox (meta, i, &b);
    vi_bbox_to_pixels (&b, width, height, &want);
    gst_vi_annot_meta_get_phrase_pixels (meta, i, &info, &got);
    fail_unless (gst_vi_annot_meta_get_phrase_pixels_for_caps (meta, i, caps,
            &got_caps));
    fail_unless (memcmp (&want, &got, sizeof (want)) == 0,
        "phrase %u at %dx%d: %d,%d,%d,%d != %d,%d,%d,%d", i, width, height,
        got.x_min, got.y_min, got.x_max, got.y_max,
        want.x_min, want.y_min, want.x_max, want.y_max);
    fail_unless (memcmp (&want, &got_caps, sizeof (want)) == 0);
  }
  gst_caps_unref (caps);
}

GST_START_TEST (test_pixels)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf = gst_buffer_new ();
  GstViAnnotMeta *meta = attach (buf, set);
  GstVideoInfo info;
  ViPixelBox px;
  GstCaps *caps;

  gst_vi_annot_set_unref (set);

  check_pixels_at (meta, 640, 480);
  check_pixels_at (meta, 1920, 1080);
  check_pixels_at (meta, 37, 23);

  /* Known values. */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 640, 480);
  gst_vi_annot_meta_get_phrase_pixels (meta, 0, &info, &px);
  fail_unless_equals_int (px.x_min, 64);
  fail_unless_equals_int (px.y_min, 96);
  fail_unless_equals_int (px.x_max, 320);
  fail_unless_equals_int (px.y_max, 336);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 1920, 1080);
  gst_vi_annot_meta_get_phrase_pixels (meta, 0, &info, &px);
  fail_unless_equals_int (px.x_min, 192);
  fail_unless_equals_int (px.y_min, 216);
  fail_unless_equals_int (px.x_max, 960);
  fail_unless_equals_int (px.y_max, 756);
  /* The round trip at 37×23 gives the pixels back. */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, 37, 23);
  gst_vi_annot_meta_get_phrase_pixels (meta, 2, &info, &px);
  fail_unless_equals_int (px.x_min, 13);
  fail_unless_equals_int (px.y_min, 5);
  fail_unless_equals_int (px.x_max, 36);
  fail_unless_equals_int (px.y_max, 22);

  /* Caps without a size. */
  caps = gst_caps_from_string ("video/x-raw");
  fail_if (gst_vi_annot_meta_get_phrase_pixels_for_caps (meta, 0, caps, &px));
  gst_caps_unref (caps);
  caps = gst_caps_from_string ("audio/x-raw");
  fail_if (gst_vi_annot_meta_get_phrase_pixels_for_caps (meta, 0, caps, &px));
  gst_caps_unref (caps);

  gst_buffer_unref (buf);
}

GST_END_TEST;

static const GstStructure *
roi_param (GstVideoRegionOfInterestMeta * roi, const char *name)
{
  const GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      name);

  fail_unless (s != NULL, "no %s param", name);
  return s;
}

static void
assert_double_field (const GstStructure * s, const char *field, double want)
{
  double v;

  fail_unless (gst_structure_get_double (s, field, &v), "no %s in %s",
      field, gst_structure_get_name (s));
  fail_unless (v == want, "%s: %g != %g", field, v, want);
}

GST_START_TEST (test_roi_metas)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf = gst_buffer_new ();
  GstViAnnotMeta *meta = attach (buf, set);
  GstVideoInfo info;
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  gst_vi_annot_set_unref (set);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 640, 480);

  fail_unless_equals_int (gst_vi_annot_meta_add_roi_metas (meta, buf, &info),
      3);

  /* add_roi_metas may have moved things: look the meta up again. */
  meta = gst_buffer_get_vi_annot_meta (buf);
  fail_unless (meta != NULL);

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    const GstStructure *s;
    ViBBox b;
    ViPixelBox px;
    int v;
    guint i = roi->id;

    fail_unless (i < 3);
    gst_vi_annot_meta_get_phrase_bbox (meta, i, &b);
    vi_bbox_to_pixels (&b, 640, 480, &px);
    fail_unless_equals_string (g_quark_to_string (roi->roi_type),
        gst_vi_annot_meta_get_phrase (meta, i));
    fail_unless_equals_int (roi->x, px.x_min);
    fail_unless_equals_int (roi->y, px.y_min);
    fail_unless_equals_int (roi->w, px.x_max - px.x_min);
    fail_unless_equals_int (roi->h, px.y_max - px.y_min);

    s = roi_param (roi, "vi/annotation");
    fail_unless_equals_string (gst_structure_get_string (s, "phrase"),
        gst_vi_annot_meta_get_phrase (meta, i));
    fail_unless (g_strcmp0 (gst_structure_get_string (s, "annotation-id"),
            gst_vi_annot_meta_get_phrase_annotation_id (meta, i)) == 0);
    fail_unless (g_strcmp0 (gst_structure_get_string (s, "whole-id"),
            gst_vi_annot_meta_get_phrase_whole_id (meta, i)) == 0);
    fail_unless_equals_string (gst_structure_get_string (s, "asset-id"),
        "asset-1");
    fail_unless_equals_string (gst_structure_get_string (s, "dataset-id"),
        "ds-1");
    fail_unless (gst_structure_get_int (s, "start", &v));
    fail_unless_equals_int (v, i == 0 ? 4 : i == 1 ? 24 : 15);
    fail_unless (gst_structure_get_int (s, "end", &v));
    fail_unless_equals_int (v, i == 0 ? 8 : i == 1 ? 30 : 19);
    assert_double_field (s, "x-min", b.x_min);
    assert_double_field (s, "y-min", b.y_min);
    assert_double_field (s, "x-max", b.x_max);
    assert_double_field (s, "y-max", b.y_max);

    s = roi_param (roi, "detection");
    assert_double_field (s, "x_min", b.x_min);
    assert_double_field (s, "y_min", b.y_min);
    assert_double_field (s, "x_max", b.x_max);
    assert_double_field (s, "y_max", b.y_max);
    assert_double_field (s, "confidence", 1.0);
    fail_unless_equals_string (gst_structure_get_string (s, "label"),
        gst_vi_annot_meta_get_phrase (meta, i));
    n++;
  }
  fail_unless_equals_int (n, 3);

  /* Phrase 0 in numbers: [0.1, 0.2, 0.5, 0.7] at 640×480. */
  {
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_get_video_region_of_interest_meta_id (buf, 0);

    fail_unless (roi != NULL);
    fail_unless_equals_int (roi->x, 64);
    fail_unless_equals_int (roi->y, 96);
    fail_unless_equals_int (roi->w, 256);
    fail_unless_equals_int (roi->h, 240);
  }

  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Calls the meta's transform directly, as a scaler would. */
static gboolean
scale_keeps (int in_w, int in_h, int in_par_n, int in_par_d,
    int out_w, int out_h, int out_par_n, int out_par_d)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *in = gst_buffer_new (), *out = gst_buffer_new ();
  GstViAnnotMeta *meta = attach (in, set);
  GstVideoInfo in_info, out_info;
  GstVideoMetaTransform trans = { &in_info, &out_info };
  gboolean kept;

  gst_vi_annot_set_unref (set);
  gst_video_info_set_format (&in_info, GST_VIDEO_FORMAT_I420, in_w, in_h);
  GST_VIDEO_INFO_PAR_N (&in_info) = in_par_n;
  GST_VIDEO_INFO_PAR_D (&in_info) = in_par_d;
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGBA, out_w, out_h);
  GST_VIDEO_INFO_PAR_N (&out_info) = out_par_n;
  GST_VIDEO_INFO_PAR_D (&out_info) = out_par_d;

  kept = meta->meta.info->transform_func (out, (GstMeta *) meta, in,
      gst_video_meta_transform_scale_get_quark (), &trans);
  fail_unless_equals_int (kept, gst_buffer_get_vi_annot_meta (out) != NULL);
  if (kept)
    fail_unless (gst_vi_annot_meta_get_set (gst_buffer_get_vi_annot_meta
            (out)) == gst_vi_annot_meta_get_set (meta));

  gst_buffer_unref (in);
  gst_buffer_unref (out);
  return kept;
}

/* The ROI metas' own transform: a copy copies them with their parameters
 * (the shared ones and one another element added); a scale derives each
 * rectangle again from the normalized box at the output size; a letterbox
 * or an unknown transform drops them.  The shared parameter structures
 * are read-only. */
GST_START_TEST (test_roi_transform)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *buf = gst_buffer_new (), *copy, *out;
  GstViAnnotMeta *meta = attach (buf, set);
  GstVideoInfo in_info, out_info;
  GstVideoMetaTransform trans = { &in_info, &out_info };
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  gst_vi_annot_set_unref (set);
  gst_video_info_set_format (&in_info, GST_VIDEO_FORMAT_I420, 640, 480);
  fail_unless_equals_int (gst_vi_annot_meta_add_roi_metas (meta, buf,
          &in_info), 3);
  roi = gst_buffer_get_video_region_of_interest_meta_id (buf, 0);
  fail_unless (roi != NULL);
  fail_unless (((GstMeta *) roi)->info == GST_VI_ANNOT_ROI_META_INFO);
  fail_unless (((GstMeta *) roi)->info->api ==
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);

  /* Read-only for everyone. */
  s = gst_video_region_of_interest_meta_get_param (roi, "detection");
  ASSERT_CRITICAL (gst_structure_set (s, "label", G_TYPE_STRING, "cat", NULL));
  fail_unless_equals_string (gst_structure_get_string (s, "label"), "Hund");
  /* Another element's parameter is its own. */
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("roi/x264enc", "delta-qp", G_TYPE_INT, -3, NULL));

  copy = gst_buffer_copy (buf);
  roi = gst_buffer_get_video_region_of_interest_meta_id (copy, 0);
  fail_unless (roi != NULL);
  fail_unless_equals_int (g_list_length (roi->params), 3);
  fail_unless (gst_video_region_of_interest_meta_get_param (roi,
          "detection") == s);
  fail_unless (gst_video_region_of_interest_meta_get_param (roi,
          "roi/x264enc") != NULL);
  gst_buffer_unref (copy);

  /* 640x480 -> 1280x720 (pixel-aspect-ratio 3/4, same picture). */
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGBA, 1280, 720);
  GST_VIDEO_INFO_PAR_N (&out_info) = 3;
  GST_VIDEO_INFO_PAR_D (&out_info) = 4;
  out = gst_buffer_new ();
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    fail_unless (m->info->transform_func (out, m, buf,
            gst_video_meta_transform_scale_get_quark (), &trans));
  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    ViBBox b;
    ViPixelBox px;

    roi = (GstVideoRegionOfInterestMeta *) m;
    gst_vi_annot_meta_get_phrase_bbox (meta, roi->id, &b);
    vi_bbox_to_pixels (&b, 1280, 720, &px);
    fail_unless_equals_int (roi->x, px.x_min);
    fail_unless_equals_int (roi->y, px.y_min);
    fail_unless_equals_int (roi->x + roi->w, MIN (px.x_max, 1280));
    fail_unless_equals_int (roi->y + roi->h, MIN (px.y_max, 720));
    fail_unless (gst_video_region_of_interest_meta_get_param (roi,
            "vi/annotation") != NULL);
    n++;
  }
  fail_unless_equals_int (n, 3);
  gst_buffer_unref (out);

  /* A letterbox into 1280x720 with square pixels: dropped. */
  GST_VIDEO_INFO_PAR_N (&out_info) = 1;
  GST_VIDEO_INFO_PAR_D (&out_info) = 1;
  out = gst_buffer_new ();
  roi = gst_buffer_get_video_region_of_interest_meta_id (buf, 1);
  fail_if (((GstMeta *) roi)->info->transform_func (out, (GstMeta *) roi, buf,
          gst_video_meta_transform_scale_get_quark (), &trans));
  fail_if (((GstMeta *) roi)->info->transform_func (out, (GstMeta *) roi, buf,
          g_quark_from_static_string ("gst-video-flip"), NULL));
  fail_unless (gst_buffer_get_video_region_of_interest_meta (out) == NULL);
  gst_buffer_unref (out);

  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_transform_scale)
{
  /* Same display aspect ratio: kept. */
  fail_unless (scale_keeps (640, 480, 1, 1, 640, 480, 1, 1));
  fail_unless (scale_keeps (640, 480, 1, 1, 320, 240, 1, 1));
  fail_unless (scale_keeps (640, 480, 1, 1, 1280, 720, 3, 4));
  fail_unless (scale_keeps (640, 480, 1, 1, 37, 23, 92, 111));
  fail_unless (scale_keeps (720, 576, 16, 15, 768, 576, 1, 1));
  /* A DAR change whose letterbox rounds to no border: kept. */
  fail_unless (scale_keeps (640, 480, 1, 1, 641, 480, 1, 1));
  /* Letterbox / pillarbox (or a stretch): dropped. */
  fail_if (scale_keeps (640, 480, 1, 1, 1280, 720, 1, 1));
  fail_if (scale_keeps (640, 480, 1, 1, 1280, 1280, 1, 1));
  fail_if (scale_keeps (1920, 1080, 1, 1, 640, 480, 1, 1));
  /* A rotation seen as a scale: dropped. */
  fail_if (scale_keeps (640, 480, 1, 1, 480, 640, 1, 1));
}

GST_END_TEST;

GST_START_TEST (test_transform_other)
{
  GstViAnnotSet *set = make_set ();
  GstBuffer *in = gst_buffer_new (), *out = gst_buffer_new ();
  GstViAnnotMeta *meta = attach (in, set);

  gst_vi_annot_set_unref (set);
  fail_if (meta->meta.info->transform_func (out, (GstMeta *) meta, in,
          g_quark_from_static_string ("gst-video-rotate"), NULL));
  fail_unless (gst_buffer_get_vi_annot_meta (out) == NULL);

  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_api_tags)
{
  GType api = GST_VI_ANNOT_META_API_TYPE;

  fail_unless (gst_meta_api_type_has_tag (api,
          g_quark_from_string (GST_META_TAG_VIDEO_STR)));
  fail_unless (gst_meta_api_type_has_tag (api,
          g_quark_from_string (GST_META_TAG_VIDEO_SIZE_STR)));
  fail_unless (gst_meta_api_type_has_tag (api,
          g_quark_from_string (GST_META_TAG_VIDEO_ORIENTATION_STR)));
  fail_if (gst_meta_api_type_has_tag (api,
          g_quark_from_string (GST_META_TAG_VIDEO_COLORSPACE_STR)));
  fail_unless (GST_VI_ANNOT_META_INFO->api == api);
}

GST_END_TEST;

static Suite *
viannotmeta_suite (void)
{
  Suite *s = suite_create ("viannotmeta");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_set_build_and_ref);
  tcase_add_test (tc, test_set_from_records);
  tcase_add_test (tc, test_set_from_annotations);
  tcase_add_test (tc, test_meta_add_get_copy);
  tcase_add_test (tc, test_pixels);
  tcase_add_test (tc, test_roi_metas);
  tcase_add_test (tc, test_roi_transform);
  tcase_add_test (tc, test_transform_scale);
  tcase_add_test (tc, test_transform_other);
  tcase_add_test (tc, test_api_tags);

  return s;
}

/* ASSERT_CRITICAL only watches GStreamer's and GLib's log domains;
 * route the library's criticals through the same flags. */
static void
on_lib_critical (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  if (_gst_check_expecting_log) {
    _gst_check_raised_critical = TRUE;
    return;
  }
  g_log_default_handler (domain, level, message, user_data);
  fail ("unexpected critical: %s", message);
}

int
main (int argc, char **argv)
{
  Suite *s;

  gst_check_init (&argc, &argv);
  g_log_set_handler ("GstViAnnot", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
      on_lib_critical, NULL);
  s = viannotmeta_suite ();
  return gst_check_run_suite (s, "viannotmeta", __FILE__);
}
