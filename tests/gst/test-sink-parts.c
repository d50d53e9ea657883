/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The parts of viannotsink on their own (linked from the plugin's static
 * layer library): the spool directory (durability, recovery of what a
 * crash left, the lock, the target), the JSONL records of a frame
 * (GstViAnnotMeta, a detector's ROI metas, captions and spans) and which
 * frames of an asset are written (repeated-frames). */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotelements.h"
#include "gstviannotrecords.h"
#include "gstviannotregions.h"
#include "gstviannotrepeats.h"
#include "gstviannotspool.h"
#include "test-sink-common.h"

static gboolean
exists_in (const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);

  g_free (path);
  return exists;
}

static gchar *
read_in (const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *contents = NULL;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL), "%s", path);
  g_free (path);
  return contents;
}

static void
write_in (const gchar * dir, const gchar * name, const gchar * contents)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  g_free (path);
}

static GstViAnnotSpool *
open_ok (const gchar * dir)
{
  GError *error = NULL;
  GstViAnnotSpool *spool = gst_vi_annot_spool_open (dir, &error);

  g_assert_no_error (error);
  fail_unless (spool != NULL);
  return spool;
}

/* ------------------------------------------------------------------ */
/* the spool */

#define LINE1 "{\"asset_id\":\"a\",\"caption\":\"one\"}\n"
#define LINE2 "{\"asset_id\":\"b\",\"caption\":\"two\"}\n"

/* A batch is filled, sealed (renamed to .jsonl), given a session,
 * removed: the files follow, and the sequence goes on across opens. */
GST_START_TEST (test_spool_life)
{
  gchar *dir = make_tmp_dir ();
  GstViAnnotSpool *spool = open_ok (dir);
  GstViAnnotBatch *batch;
  GPtrArray *found;
  GError *error = NULL;
  gchar *text;

  found = gst_vi_annot_spool_take_batches (spool);
  fail_unless_equals_int (found->len, 0);
  g_ptr_array_unref (found);

  batch = gst_vi_annot_spool_new_batch (spool, &error);
  g_assert_no_error (error);
  fail_unless (exists_in (dir, "batch-000000000001.open"));
  fail_unless (gst_vi_annot_batch_append (batch, LINE1 LINE2,
          strlen (LINE1 LINE2), 2, &error));
  fail_unless (gst_vi_annot_spool_seal (spool, batch, &error));
  g_assert_no_error (error);
  fail_unless (!exists_in (dir, "batch-000000000001.open"));
  text = read_in (dir, "batch-000000000001.jsonl");
  fail_unless_equals_string (text, LINE1 LINE2);
  g_free (text);
  fail_unless_equals_string (batch->name, "batch-000000000001.jsonl");
  fail_unless_equals_int (batch->lines, 2);

  fail_unless (gst_vi_annot_spool_record_session (spool, batch, "SeSsIoN_1",
          &error));
  text = read_in (dir, "batch-000000000001.session");
  fail_unless_equals_string (text, "SeSsIoN_1\n");
  g_free (text);
  /* Replaced atomically, no temporary file left. */
  fail_unless (gst_vi_annot_spool_record_session (spool, batch, "other-2",
          &error));
  fail_unless (!exists_in (dir, "batch-000000000001.session.tmp"));
  gst_vi_annot_spool_close (spool);

  /* Found again, with its session. */
  spool = open_ok (dir);
  found = gst_vi_annot_spool_take_batches (spool);
  fail_unless_equals_int (found->len, 1);
  gst_vi_annot_batch_free (batch);
  batch = g_ptr_array_steal_index (found, 0);
  g_ptr_array_unref (found);
  fail_unless_equals_int (batch->seq, 1);
  fail_unless_equals_int (batch->lines, 2);
  fail_unless_equals_string (batch->session_id, "other-2");

  fail_unless (gst_vi_annot_spool_remove (spool, batch, &error));
  g_assert_no_error (error);
  fail_unless (!exists_in (dir, "batch-000000000001.jsonl"));
  fail_unless (!exists_in (dir, "batch-000000000001.session"));
  gst_vi_annot_batch_free (batch);

  /* The next batch comes after every one seen. */
  batch = gst_vi_annot_spool_new_batch (spool, &error);
  fail_unless_equals_int (batch->seq, 2);
  gst_vi_annot_batch_free (batch);
  gst_vi_annot_spool_close (spool);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* What a killed process leaves: a batch being filled (sealed at the next
 * open, a torn last line cut off, an empty one removed), a session whose
 * batch was already removed, a temporary file. */
GST_START_TEST (test_spool_recovery)
{
  gchar *dir = make_tmp_dir ();
  GstViAnnotSpool *spool = open_ok (dir);
  GstViAnnotBatch *batch, *empty;
  GPtrArray *found;
  GError *error = NULL;
  gchar *text;

  batch = gst_vi_annot_spool_new_batch (spool, &error);
  fail_unless (gst_vi_annot_batch_append (batch, LINE1, strlen (LINE1), 1,
          &error));
  fail_unless (gst_vi_annot_batch_append (batch, LINE2, strlen (LINE2), 1,
          &error));
  empty = gst_vi_annot_spool_new_batch (spool, &error);
  /* Never sealed: the process "dies" with both open. */
  gst_vi_annot_batch_free (batch);
  gst_vi_annot_batch_free (empty);
  gst_vi_annot_spool_close (spool);
  /* A power loss tore a last line. */
  {
    gchar *path = g_build_filename (dir, "batch-000000000001.open", NULL);
    FILE *f = fopen (path, "a");

    fputs ("{\"asset_id\":\"c\",\"capt", f);
    fclose (f);
    g_free (path);
  }
  write_in (dir, "batch-000000000007.session", "gone\n");
  write_in (dir, "batch-000000000003.session.tmp", "half");

  spool = open_ok (dir);
  found = gst_vi_annot_spool_take_batches (spool);
  fail_unless_equals_int (found->len, 1);
  batch = g_ptr_array_index (found, 0);
  fail_unless_equals_int (batch->seq, 1);
  fail_unless_equals_int (batch->lines, 2);
  fail_unless (batch->session_id == NULL);
  fail_unless_equals_int (batch->fd, -1);
  text = read_in (dir, "batch-000000000001.jsonl");
  fail_unless_equals_string (text, LINE1 LINE2);
  g_free (text);
  fail_unless (!exists_in (dir, "batch-000000000001.open"));
  fail_unless (!exists_in (dir, "batch-000000000002.open"));
  fail_unless (!exists_in (dir, "batch-000000000007.session"));
  fail_unless (!exists_in (dir, "batch-000000000003.session.tmp"));
  g_ptr_array_unref (found);

  /* Numbers are never reused, even those of removed files. */
  batch = gst_vi_annot_spool_new_batch (spool, &error);
  fail_unless_equals_int (batch->seq, 8);
  gst_vi_annot_batch_free (batch);
  gst_vi_annot_spool_close (spool);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* A session file is written whole or not at all: anything else is damage,
 * and guessing could import the batch twice. */
GST_START_TEST (test_spool_damaged_session)
{
  gchar *dir = make_tmp_dir ();
  GError *error = NULL;

  write_in (dir, "batch-000000000004.jsonl", LINE1);
  write_in (dir, "batch-000000000004.session", "abc/../x\n");
  fail_unless (gst_vi_annot_spool_open (dir, &error) == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  fail_unless (strstr (error->message, "batch-000000000004.session") != NULL);
  fail_unless (strstr (error->message, "is damaged") != NULL);
  g_clear_error (&error);

  write_in (dir, "batch-000000000004.session", "abc");
  fail_unless (gst_vi_annot_spool_open (dir, &error) == NULL);
  g_clear_error (&error);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* One element at a time: the second open fails, naming the process; the
 * lock goes with the first. */
GST_START_TEST (test_spool_lock)
{
  gchar *dir = make_tmp_dir ();
  GstViAnnotSpool *spool = open_ok (dir);
  GError *error = NULL;
  gchar *pid = g_strdup_printf ("(process %d)", (int) getpid ());

  fail_unless (gst_vi_annot_spool_open (dir, &error) == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY));
  fail_unless (strstr (error->message, "is in use by another viannotsink")
      != NULL, "%s", error->message);
  fail_unless (strstr (error->message, pid) != NULL, "%s", error->message);
  g_clear_error (&error);

  gst_vi_annot_spool_close (spool);
  spool = open_ok (dir);
  gst_vi_annot_spool_close (spool);
  g_free (pid);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* Batches are for the target they were written for. */
GST_START_TEST (test_spool_target)
{
  gchar *dir = make_tmp_dir ();
  GstViAnnotSpool *spool = open_ok (dir);
  GstViAnnotBatch *batch;
  GError *error = NULL;

  fail_unless (gst_vi_annot_spool_check_target (spool, "http://a", "org",
          "ds", &error));
  batch = gst_vi_annot_spool_new_batch (spool, &error);
  gst_vi_annot_batch_append (batch, LINE1, strlen (LINE1), 1, &error);
  gst_vi_annot_spool_seal (spool, batch, &error);
  gst_vi_annot_batch_free (batch);
  gst_vi_annot_spool_close (spool);

  spool = open_ok (dir);
  fail_unless (gst_vi_annot_spool_check_target (spool, "http://a", "org",
          "ds", &error));
  fail_unless (!gst_vi_annot_spool_check_target (spool, "http://a", "org",
          "other", &error));
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (error->message, "holds 1 batches for another target "
          "(endpoint http://a;organization org;dataset ds;)") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_ptr_array_unref (gst_vi_annot_spool_take_batches (spool));
  gst_vi_annot_spool_close (spool);

  /* Empty of batches: any target. */
  {
    gchar *path = g_build_filename (dir, "batch-000000000001.jsonl", NULL);

    g_unlink (path);
    g_free (path);
  }
  spool = open_ok (dir);
  fail_unless (gst_vi_annot_spool_check_target (spool, "http://b", "org",
          "other", &error));
  gst_vi_annot_spool_close (spool);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_spool_reject_and_errors)
{
  gchar *dir = make_tmp_dir ();
  GstViAnnotSpool *spool = open_ok (dir);
  GstViAnnotBatch *batch;
  GError *error = NULL;
  gchar *moved = NULL, *file, *under_file;

  batch = gst_vi_annot_spool_new_batch (spool, &error);
  gst_vi_annot_batch_append (batch, LINE1, strlen (LINE1), 1, &error);
  gst_vi_annot_spool_seal (spool, batch, &error);
  gst_vi_annot_spool_record_session (spool, batch, "s", &error);
  fail_unless (gst_vi_annot_spool_reject (spool, batch, &moved, &error));
  g_assert_no_error (error);
  fail_unless (g_str_has_suffix (moved, "/rejected/batch-000000000001.jsonl"));
  fail_unless (g_file_test (moved, G_FILE_TEST_IS_REGULAR));
  fail_unless (!exists_in (dir, "batch-000000000001.jsonl"));
  fail_unless (!exists_in (dir, "batch-000000000001.session"));
  g_free (moved);
  gst_vi_annot_batch_free (batch);
  gst_vi_annot_spool_close (spool);

  /* A spool-dir that cannot be a directory: a clear error (running as
   * root, permissions would not stop us; a file in the way does). */
  file = g_build_filename (dir, "a-file", NULL);
  write_in (dir, "a-file", "x");
  under_file = g_build_filename (file, "spool", NULL);
  fail_unless (gst_vi_annot_spool_open (file, &error) == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE));
  fail_unless (strstr (error->message, file) != NULL, "%s", error->message);
  g_clear_error (&error);
  fail_unless (gst_vi_annot_spool_open (under_file, &error) == NULL);
  fail_unless (strstr (error->message, "Cannot create spool-dir") != NULL,
      "%s", error->message);
  g_clear_error (&error);
  g_free (file);
  g_free (under_file);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* records */

static gchar *
lines_of (GPtrArray * records)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < records->len; i++) {
    gchar *line = vi_jsonl_record_to_line (g_ptr_array_index (records, i));

    g_string_append_printf (s, "%s\n", line);
    g_free (line);
  }
  return g_string_free (s, FALSE);
}

static GstVideoRegionOfInterestMeta *
add_detection (GstBuffer * buf, const gchar * label, guint x, guint y,
    guint w, guint h, gdouble confidence)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, "object", x, y, w,
      h);

  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "label", G_TYPE_STRING, label,
          "confidence", G_TYPE_DOUBLE, confidence, NULL));
  return roi;
}

/* A frame to read records from, and what reading them needs. */
typedef struct
{
  GstViAnnotRecordOptions options;
  GstViAnnotRecordCounts counts;
  GArray *scratch;
  GPtrArray *records;
  GstBuffer *buf;
  GstVideoInfo info;
} Frame;

static void
frame_init (Frame * f, gint width, gint height)
{
  memset (f, 0, sizeof (*f));
  f->scratch = g_array_new (FALSE, FALSE, sizeof (GstViAnnotRegion));
  f->records = g_ptr_array_new_with_free_func ((GDestroyNotify)
      vi_jsonl_record_unref);
  f->buf = gst_buffer_new ();
  gst_video_info_set_format (&f->info, GST_VIDEO_FORMAT_I420, width, height);
}

/* The records of the frame for @asset_id, the earlier ones dropped. */
static guint
frame_read (Frame * f, const gchar * asset_id)
{
  g_ptr_array_set_size (f->records, 0);
  return gst_vi_annot_records_from_frame (f->buf, &f->info, asset_id,
      &f->options, f->scratch, f->records, &f->counts);
}

static void
frame_clear (Frame * f)
{
  gst_buffer_unref (f->buf);
  g_array_unref (f->scratch);
  g_ptr_array_unref (f->records);
}

GST_START_TEST (test_caption_from_labels)
{
  const gchar *labels[] = { "car", "person", "dog" };
  gchar *c;

  c = gst_vi_annot_caption_from_labels (labels, 1);
  fail_unless_equals_string (c, "car");
  g_free (c);
  c = gst_vi_annot_caption_from_labels (labels, 2);
  fail_unless_equals_string (c, "car and person");
  g_free (c);
  c = gst_vi_annot_caption_from_labels (labels, 3);
  fail_unless_equals_string (c, "car, person and dog");
  g_free (c);
}

GST_END_TEST;

/* A detector's frame: one line, a phrase per box in a caption built from
 * the labels, each span on its label, boxes normalized from pixels;
 * min-confidence leaves boxes out. */
GST_START_TEST (test_records_detections)
{
  const ViGroundedPhrase *p;
  ViJsonlRecord *r;
  gchar *text;
  Frame f;

  frame_init (&f, 320, 240);
  add_detection (f.buf, "car", 32, 24, 64, 48, 0.9);
  add_detection (f.buf, "person", 160, 0, 32, 240, 0.4);
  add_detection (f.buf, "car", 0, 120, 320, 120, 0.8);
  /* No detection params: the roi_type is the label. */
  gst_buffer_add_video_region_of_interest_meta (f.buf, "dog", 0, 0, 16, 12);

  fail_unless_equals_int (frame_read (&f, "f1"), 1);
  r = g_ptr_array_index (f.records, 0);
  fail_unless_equals_string (vi_jsonl_record_get_asset_id (r), "f1");
  fail_unless_equals_string (vi_jsonl_record_get_caption (r),
      "car, person, car and dog");
  fail_unless_equals_int (vi_jsonl_record_get_n_phrases (r), 4);
  p = vi_jsonl_record_get_phrase (r, 0);
  fail_unless_equals_string (p->phrase, "car");
  fail_unless_equals_int (p->start, 0);
  fail_unless_equals_int (p->end, 3);
  fail_unless (p->bbox.x_min == 0.1 && p->bbox.y_min == 0.1 &&
      p->bbox.x_max == 0.3 && p->bbox.y_max == 0.3);
  p = vi_jsonl_record_get_phrase (r, 1);
  fail_unless_equals_int (p->start, 5);
  fail_unless_equals_int (p->end, 11);
  /* The second car is the second "car" of the caption. */
  p = vi_jsonl_record_get_phrase (r, 2);
  fail_unless_equals_string (p->phrase, "car");
  fail_unless_equals_int (p->start, 13);
  fail_unless (p->bbox.y_min == 0.5 && p->bbox.y_max == 1.0);
  p = vi_jsonl_record_get_phrase (r, 3);
  fail_unless_equals_string (p->phrase, "dog");
  fail_unless_equals_int (p->start, 21);
  fail_unless (p->bbox.x_max == 0.05 && p->bbox.y_max == 0.05);
  text = lines_of (f.records);
  fail_unless_equals_string (text, "{\"asset_id\":\"f1\",\"caption\":\"car, "
      "person, car and dog\",\"grounded_phrases\":[{\"phrase\":\"car\","
      "\"bbox\":[0.1,0.1,0.3,0.3]},{\"phrase\":\"person\",\"bbox\":[0.5,0,"
      "0.6,1]},{\"phrase\":\"car\",\"bbox\":[0,0.5,1,1]},{\"phrase\":\"dog\","
      "\"bbox\":[0,0,0.05,0.05]}]}\n");
  g_free (text);

  /* min-confidence 0.5: the person (0.4) is left out; the dog, without a
   * confidence, counts as sure. */
  f.options.min_confidence = 0.5;
  fail_unless_equals_int (frame_read (&f, "f1"), 1);
  r = g_ptr_array_index (f.records, 0);
  fail_unless_equals_string (vi_jsonl_record_get_caption (r),
      "car, car and dog");
  fail_unless_equals_int (vi_jsonl_record_get_n_phrases (r), 3);
  frame_clear (&f);

  /* Every box under it: nothing to write. */
  frame_init (&f, 320, 240);
  f.options.min_confidence = 1.0;
  add_detection (f.buf, "car", 0, 0, 10, 10, 0.99);
  fail_unless_equals_int (frame_read (&f, "f2"), 0);
  fail_unless_equals_int (f.counts.phrases_unplaced, 0);
  frame_clear (&f);
}

GST_END_TEST;

/* The caption property: labels it does not contain are left out and
 * counted; the others ordered as they appear in it. */
GST_START_TEST (test_records_caption_property)
{
  const ViGroundedPhrase *p;
  ViJsonlRecord *r;
  Frame f;

  frame_init (&f, 100, 100);
  f.options.caption = "a dog chasing a red car";
  add_detection (f.buf, "car", 50, 50, 10, 10, 1.0);
  add_detection (f.buf, "person", 0, 0, 10, 10, 1.0);
  add_detection (f.buf, "dog", 10, 10, 10, 10, 1.0);
  fail_unless_equals_int (frame_read (&f, "x"), 1);
  r = g_ptr_array_index (f.records, 0);
  fail_unless_equals_string (vi_jsonl_record_get_caption (r),
      "a dog chasing a red car");
  fail_unless_equals_int (vi_jsonl_record_get_n_phrases (r), 2);
  p = vi_jsonl_record_get_phrase (r, 0);
  fail_unless_equals_string (p->phrase, "dog");
  fail_unless_equals_int (p->start, 2);
  p = vi_jsonl_record_get_phrase (r, 1);
  fail_unless_equals_string (p->phrase, "car");
  fail_unless_equals_int (p->start, 20);
  fail_unless_equals_int (f.counts.phrases_unplaced, 1);
  frame_clear (&f);
}

GST_END_TEST;

/* A GstViAnnotMeta: one line per caption with its phrases in span order
 * (whatever order the set has them in), boxes exactly as the meta has
 * them, one line of VQA pairs; a span the flat form cannot say is
 * counted. */
GST_START_TEST (test_records_meta)
{
  GstViAnnotSet *set = gst_vi_annot_set_new ("a", "img.jpg");
  ViBBox b1 = { 1.0 / 3, 0.2, 0.5, 0.7 }, b2 = { 0.6, 0.2, 0.9, 0.7 };
  guint c0, c1;
  gchar *text;
  Frame f;

  c0 = gst_vi_annot_set_add_caption (set, "A cat on a couch");
  gst_vi_annot_set_add_phrase (set, c0, "couch", 11, 16, &b2, NULL, NULL);
  gst_vi_annot_set_add_phrase (set, c0, "cat", 2, 5, &b1, NULL, NULL);
  c1 = gst_vi_annot_set_add_caption (set, "a car and a car");
  /* The second car: the flat form can only say the first. */
  gst_vi_annot_set_add_phrase (set, c1, "car", 12, 15, &b2, NULL, NULL);
  gst_vi_annot_set_add_interaction (set, "Is it a cat?", "Yes");
  gst_vi_annot_set_add_interaction (set, "Where?", "On a couch");
  frame_init (&f, 320, 240);
  gst_buffer_add_vi_annot_meta (f.buf, set);
  fail_unless_equals_string (gst_vi_annot_records_meta_asset (f.buf),
      "img.jpg");
  fail_unless_equals_int (frame_read (&f, "img.jpg"), 3);
  text = lines_of (f.records);
  fail_unless_equals_string (text,
      "{\"asset_id\":\"img.jpg\",\"caption\":\"A cat on a couch\","
      "\"grounded_phrases\":[{\"phrase\":\"cat\",\"bbox\":"
      "[0.3333333333333333,0.2,0.5,0.7]},{\"phrase\":\"couch\",\"bbox\":"
      "[0.6,0.2,0.9,0.7]}]}\n"
      "{\"asset_id\":\"img.jpg\",\"caption\":\"a car and a car\","
      "\"grounded_phrases\":[{\"phrase\":\"car\",\"bbox\":[0.6,0.2,0.9,"
      "0.7]}]}\n"
      "{\"asset_id\":\"img.jpg\",\"contents\":{\"interactions\":[{"
      "\"question\":\"Is it a cat?\",\"answer\":\"Yes\"},{\"question\":"
      "\"Where?\",\"answer\":\"On a couch\"}]}}\n");
  g_free (text);
  fail_unless_equals_int (f.counts.spans_changed, 1);

  frame_clear (&f);
  gst_vi_annot_set_unref (set);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* repeated frames */

/* A frame's records: @n records of @asset_id. */
static GPtrArray *
records_of (const gchar * asset_id, guint n)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)
      vi_jsonl_record_unref);

  while (n-- > 0)
    g_ptr_array_add (records, vi_jsonl_record_new (asset_id));
  return records;
}

/* The writer takes @held, which the unit gave: one "asset:records" in
 * @written. */
static void
repeats_write_held (GstViAnnotRepeats * r, GPtrArray * held, GString * written)
{
  g_string_append_printf (written, "%s:%u ",
      vi_jsonl_record_get_asset_id (g_ptr_array_index (held, 0)), held->len);
  g_ptr_array_unref (held);
  gst_vi_annot_repeats_written (r);
}

/* What the sink's render() does with a frame of @asset_id that has @n
 * records, the writer taking what it is given (into @written, one
 * "asset:records" per hand-over) unless @refuse.  Returns FALSE when the
 * frame was skipped. */
static gboolean
repeats_frame (GstViAnnotRepeats * r, const gchar * asset_id, guint n,
    GString * written, gboolean refuse)
{
  GPtrArray *records, *held;

  if (!gst_vi_annot_repeats_check (r, asset_id))
    return FALSE;
  records = records_of (asset_id, n);
  held = gst_vi_annot_repeats_due (r, asset_id, n > 0);
  if (held != NULL) {
    fail_if (held == records);
    if (refuse) {
      g_ptr_array_unref (records);
      return TRUE;
    }
    repeats_write_held (r, held, written);
  }
  if (n > 0 && !gst_vi_annot_repeats_hold (r, asset_id, &records))
    g_string_append_printf (written, "%s:%u ", asset_id, records->len);
  g_ptr_array_unref (records);
  return TRUE;
}

/* What is held at the end (EOS, stop), as repeats_frame() writes it. */
static void
repeats_end (GstViAnnotRepeats * r, GString * written)
{
  GPtrArray *held = gst_vi_annot_repeats_get_held (r);

  if (held != NULL)
    repeats_write_held (r, held, written);
}

/* first: an asset's first frame with records is written; its later
 * frames are skipped, also after another asset (a seek back), until the
 * asset is among the oldest forgotten; a frame without records does not
 * count as written. */
GST_START_TEST (test_repeats_first)
{
  GString *w = g_string_new (NULL);
  GstViAnnotRepeats r;

  gst_vi_annot_repeats_init (&r, 2);
  gst_vi_annot_repeats_reset (&r, GST_VI_ANNOT_SINK_REPEATED_FIRST);
  fail_unless (repeats_frame (&r, "a", 0, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 2, w, FALSE));
  fail_if (repeats_frame (&r, "a", 2, w, FALSE));
  fail_unless (repeats_frame (&r, "b", 1, w, FALSE));
  fail_if (repeats_frame (&r, "a", 1, w, FALSE));
  fail_if (repeats_frame (&r, "b", 1, w, FALSE));
  fail_unless (gst_vi_annot_repeats_get_held (&r) == NULL);
  /* A third asset: the oldest, a, is forgotten. */
  fail_unless (repeats_frame (&r, "c", 1, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 3, w, FALSE));
  fail_if (repeats_frame (&r, "c", 1, w, FALSE));
  fail_unless_equals_string (w->str, "a:2 b:1 c:1 a:3 ");

  /* A new run forgets what was written. */
  gst_vi_annot_repeats_reset (&r, GST_VI_ANNOT_SINK_REPEATED_FIRST);
  g_string_truncate (w, 0);
  fail_unless (repeats_frame (&r, "c", 1, w, FALSE));
  fail_unless_equals_string (w->str, "c:1 ");

  gst_vi_annot_repeats_clear (&r);
  g_string_free (w, TRUE);
}

GST_END_TEST;

/* last: an asset's records are held, each frame's replacing the
 * previous', and written when a frame of another asset comes (with
 * records or not) or at the end; a frame of the same asset without
 * records keeps them; a writer that refuses (flushing) leaves them held. */
GST_START_TEST (test_repeats_last)
{
  GString *w = g_string_new (NULL);
  GstViAnnotRepeats r;

  gst_vi_annot_repeats_init (&r, 2);
  gst_vi_annot_repeats_reset (&r, GST_VI_ANNOT_SINK_REPEATED_LAST);
  fail_unless (repeats_frame (&r, "a", 1, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 3, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 0, w, FALSE));
  fail_unless_equals_string (w->str, "");
  fail_unless_equals_int (gst_vi_annot_repeats_get_held (&r)->len, 3);

  /* Another asset with records: a's last go, b's are held. */
  fail_unless (repeats_frame (&r, "b", 2, w, FALSE));
  fail_unless_equals_string (w->str, "a:3 ");
  /* Another one without records ends b all the same. */
  fail_unless (repeats_frame (&r, "c", 0, w, FALSE));
  fail_unless_equals_string (w->str, "a:3 b:2 ");
  fail_unless (gst_vi_annot_repeats_get_held (&r) == NULL);

  /* Assets seen before are written again: nothing is remembered. */
  fail_unless (repeats_frame (&r, "a", 1, w, FALSE));
  /* The writer refuses: a stays held, d's frame is lost; the next frame
   * with records hands a over. */
  fail_unless (repeats_frame (&r, "d", 1, w, TRUE));
  fail_unless_equals_int (gst_vi_annot_repeats_get_held (&r)->len, 1);
  fail_unless (repeats_frame (&r, "d", 4, w, FALSE));
  fail_unless_equals_string (w->str, "a:3 b:2 a:1 ");
  repeats_end (&r, w);
  fail_unless_equals_string (w->str, "a:3 b:2 a:1 d:4 ");
  fail_unless (gst_vi_annot_repeats_get_held (&r) == NULL);

  /* What a run leaves held is dropped by the next run's reset (the
   * element writes it at stop first). */
  fail_unless (repeats_frame (&r, "e", 1, w, FALSE));
  gst_vi_annot_repeats_reset (&r, GST_VI_ANNOT_SINK_REPEATED_LAST);
  fail_unless (gst_vi_annot_repeats_get_held (&r) == NULL);
  fail_unless (repeats_frame (&r, "e", 1, w, FALSE));

  gst_vi_annot_repeats_clear (&r);
  g_string_free (w, TRUE);
}

GST_END_TEST;

/* all: every frame with records is written at once. */
GST_START_TEST (test_repeats_all)
{
  GString *w = g_string_new (NULL);
  GstViAnnotRepeats r;

  gst_vi_annot_repeats_init (&r, 2);
  gst_vi_annot_repeats_reset (&r, GST_VI_ANNOT_SINK_REPEATED_ALL);
  fail_unless (repeats_frame (&r, "a", 1, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 2, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 0, w, FALSE));
  fail_unless (repeats_frame (&r, "b", 1, w, FALSE));
  fail_unless (repeats_frame (&r, "a", 1, w, FALSE));
  fail_unless (gst_vi_annot_repeats_get_held (&r) == NULL);
  fail_unless_equals_string (w->str, "a:1 a:2 b:1 a:1 ");

  gst_vi_annot_repeats_clear (&r);
  g_string_free (w, TRUE);
}

GST_END_TEST;

static Suite *
sink_parts_suite (void)
{
  Suite *s = suite_create ("viannotsink-parts");
  TCase *tc = tcase_create ("general");

  viannot_element_init (NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_spool_life);
  tcase_add_test (tc, test_spool_recovery);
  tcase_add_test (tc, test_spool_damaged_session);
  tcase_add_test (tc, test_spool_lock);
  tcase_add_test (tc, test_spool_target);
  tcase_add_test (tc, test_spool_reject_and_errors);
  tcase_add_test (tc, test_caption_from_labels);
  tcase_add_test (tc, test_records_detections);
  tcase_add_test (tc, test_records_caption_property);
  tcase_add_test (tc, test_records_meta);
  tcase_add_test (tc, test_repeats_first);
  tcase_add_test (tc, test_repeats_last);
  tcase_add_test (tc, test_repeats_all);

  return s;
}

GST_CHECK_MAIN (sink_parts);
