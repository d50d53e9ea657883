/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <string.h>

#include <gst/viannot/gstviannotmeta.h>

#include "gstviannotelements.h"
#include "gstviannotrecords.h"
#include "gstviannotregions.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* What a label without text becomes: a box needs a phrase. */
#define DEFAULT_LABEL "object"

typedef struct
{
  const gchar *label;
  ViBBox bbox;
  gint start;                   /* span start from the meta, or -1 */
  gint end;
  gint order;                   /* where it sorts in the caption */
  guint index;                  /* position on the frame, for stability */
} Phrase;

const gchar *
gst_vi_annot_records_meta_asset (GstBuffer * buffer)
{
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buffer);

  return meta != NULL ? gst_vi_annot_meta_get_asset_id (meta) : NULL;
}

/* "car", "car and dog", "car, person and dog". */
gchar *
gst_vi_annot_caption_from_labels (const gchar * const *labels, guint n_labels)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n_labels; i++) {
    if (i > 0)
      g_string_append (s, i + 1 == n_labels ? " and " : ", ");
    g_string_append (s, labels[i]);
  }
  return g_string_free (s, FALSE);
}

static gint
compare_phrases (gconstpointer a, gconstpointer b)
{
  const Phrase *x = a, *y = b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* One record: @caption (NULL: built from the labels) grounding @phrases.
 * With a given caption, phrases whose label it does not contain are left
 * out (counted), and the others ordered by their span, else by where
 * their text first appears, so that libvi's search finds each. */
static void
add_grounded_record (GPtrArray * records, const gchar * asset_id,
    const gchar * caption, GArray * phrases, GstViAnnotRecordCounts * counts)
{
  ViJsonlRecord *record = vi_jsonl_record_new (asset_id);
  gchar *built = NULL;
  GError *error = NULL;
  guint i;

  if (caption != NULL) {
    for (i = 0; i < phrases->len;) {
      Phrase *p = &g_array_index (phrases, Phrase, i);
      const gchar *at = strstr (caption, p->label);

      if (at == NULL) {
        GST_DEBUG ("asset %s: \"%s\" is not in the caption \"%s\"",
            asset_id, p->label, caption);
        counts->phrases_unplaced++;
        g_array_remove_index (phrases, i);
        continue;
      }
      p->order = p->start >= 0 ? p->start :
          (gint) g_utf8_pointer_to_offset (caption, at);
      i++;
    }
    g_array_sort (phrases, compare_phrases);
  } else {
    const gchar **labels = g_new (const gchar *, phrases->len);

    for (i = 0; i < phrases->len; i++)
      labels[i] = g_array_index (phrases, Phrase, i).label;
    caption = built = gst_vi_annot_caption_from_labels (labels, phrases->len);
    g_free (labels);
  }

  vi_jsonl_record_set_caption (record, caption);
  for (i = 0; i < phrases->len; i++) {
    Phrase *p = &g_array_index (phrases, Phrase, i);

    vi_jsonl_record_add_phrase (record, p->label, &p->bbox);
  }
  if (!vi_jsonl_record_compute_spans (record, &error)) {
    /* Every label is in the caption and in caption order: only a caption
     * that repeats a phrase in an order the search cannot follow gets
     * here.  The caption is written alone rather than wrongly. */
    GST_WARNING ("asset %s: %s; writing the caption without its boxes",
        asset_id, error->message);
    counts->phrases_unplaced += phrases->len;
    g_clear_error (&error);
    vi_jsonl_record_unref (record);
    record = vi_jsonl_record_new (asset_id);
    vi_jsonl_record_set_caption (record, caption);
  } else {
    for (i = 0; i < phrases->len; i++) {
      const Phrase *p = &g_array_index (phrases, Phrase, i);
      const ViGroundedPhrase *gp = vi_jsonl_record_get_phrase (record, i);

      if (p->start >= 0 && (gp->start != p->start || gp->end != p->end))
        counts->spans_changed++;
    }
  }
  g_ptr_array_add (records, record);
  g_free (built);
}

/* A label usable as a phrase: UTF-8 (a detector's roi_type may be
 * anything), not empty.  Returns @label or a string added to @strings. */
static const gchar *
usable_label (const gchar * label, GPtrArray * strings)
{
  gchar *valid;

  if (label == NULL || *label == '\0')
    return DEFAULT_LABEL;
  if (g_utf8_validate (label, -1, NULL))
    return label;
  valid = g_utf8_make_valid (label, -1);
  g_ptr_array_add (strings, valid);
  return valid;
}

static guint
records_from_meta (GstViAnnotMeta * meta, GArray * regions,
    const gchar * asset_id, const GstViAnnotRecordOptions * options,
    GPtrArray * records, GstViAnnotRecordCounts * counts)
{
  GArray *phrases = g_array_new (FALSE, FALSE, sizeof (Phrase));
  guint before = records->len;
  guint c, i, n;

  for (c = 0; c < gst_vi_annot_meta_get_n_captions (meta); c++) {
    const gchar *caption = gst_vi_annot_meta_get_caption (meta, c);

    g_array_set_size (phrases, 0);
    for (i = 0; i < regions->len; i++) {
      const GstViAnnotRegion *r = &g_array_index (regions, GstViAnnotRegion,
          i);
      Phrase p = { r->label, r->bbox, -1, -1, 0, i };

      if (r->source != GST_VI_ANNOT_REGION_FROM_META || r->caption != (gint) c
          || r->label == NULL || *r->label == '\0' ||
          !vi_bbox_is_valid (&p.bbox))
        continue;
      gst_vi_annot_meta_get_phrase_span (meta, r->id, &p.start, &p.end);
      g_array_append_val (phrases, p);
    }
    if (caption == NULL || *caption == '\0') {
      /* A record that had boxes but no caption. */
      if (phrases->len == 0)
        continue;
      caption = options->caption;
      for (i = 0; i < phrases->len; i++)
        g_array_index (phrases, Phrase, i).start = -1;
    }
    add_grounded_record (records, asset_id, caption, phrases, counts);
  }
  g_array_unref (phrases);

  n = gst_vi_annot_meta_get_n_interactions (meta);
  if (n > 0) {
    ViJsonlRecord *record = vi_jsonl_record_new (asset_id);

    for (i = 0; i < n; i++)
      vi_jsonl_record_add_interaction (record,
          gst_vi_annot_meta_get_question (meta, i),
          gst_vi_annot_meta_get_answer (meta, i));
    g_ptr_array_add (records, record);
  }
  return records->len - before;
}

static guint
records_from_rois (GArray * regions, const gchar * asset_id,
    const GstViAnnotRecordOptions * options, GPtrArray * records,
    GstViAnnotRecordCounts * counts)
{
  GArray *phrases = g_array_new (FALSE, FALSE, sizeof (Phrase));
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  guint i, before = records->len;

  for (i = 0; i < regions->len; i++) {
    const GstViAnnotRegion *r = &g_array_index (regions, GstViAnnotRegion, i);
    Phrase p = { NULL, r->bbox, -1, -1, 0, i };

    if (r->source != GST_VI_ANNOT_REGION_FROM_ROI ||
        r->confidence < options->min_confidence)
      continue;
    vi_bbox_clamp (&p.bbox);
    if (!vi_bbox_is_valid (&p.bbox))
      continue;
    p.label = usable_label (r->label, strings);
    g_array_append_val (phrases, p);
  }
  if (phrases->len > 0)
    add_grounded_record (records, asset_id, options->caption, phrases, counts);
  g_ptr_array_unref (strings);
  g_array_unref (phrases);
  return records->len - before;
}

/* Appends the records of @buffer, a frame of geometry @info, for
 * @asset_id to @records (full references).  @scratch is a GArray of
 * GstViAnnotRegion the caller keeps from frame to frame.  Returns how
 * many were appended: 0 for a frame with nothing to write. */
guint
gst_vi_annot_records_from_frame (GstBuffer * buffer,
    const GstVideoInfo * info, const gchar * asset_id,
    const GstViAnnotRecordOptions * options, GArray * scratch,
    GPtrArray * records, GstViAnnotRecordCounts * counts)
{
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buffer);

  g_array_set_size (scratch, 0);
  gst_vi_annot_regions_read (buffer, info, scratch);

  if (meta != NULL)
    return records_from_meta (meta, scratch, asset_id, options, records,
        counts);
  return records_from_rois (scratch, asset_id, options, records, counts);
}
