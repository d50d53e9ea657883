/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */

/**
 * SECTION:gstviannotset
 * @title: GstViAnnotSet
 * @short_description: The annotations of one asset, shared by its frames
 *
 * A #GstViAnnotSet holds what a #GstViAnnotMeta describes: the captions
 * of one asset, the grounded phrases of each caption (phrase text, span in
 * the caption, annotation ids, a normalized box) and the VQA
 * interactions.  It is built once (from JSONL records, from annotations of
 * the API, or piece by piece), then shared, immutable and refcounted, by
 * every frame of the asset; a refresh swaps one set for another.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstviannotmeta-private.h"

#include <string.h>

/* The debug category of the whole library, defined here, at its bottom:
 * the meta and the ROI metas are built on the set. */
GST_DEBUG_CATEGORY (gst_vi_annot_meta_debug);
#define GST_CAT_DEFAULT gst_vi_annot_meta_debug

void
gst_vi_annot_meta_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_vi_annot_meta_debug, "viannotmeta", 0,
        "Datature Vi annotation frame metadata");
    g_once_init_leave (&done, 1);
  }
}

static void
gst_vi_annot_phrase_clear (gpointer data)
{
  GstViAnnotPhrase *p = data;

  g_free (p->phrase);
  g_free (p->annotation_id);
  g_free (p->whole_id);
}

static void
gst_vi_annot_interaction_clear (gpointer data)
{
  GstViAnnotInteraction *i = data;

  g_free (i->question);
  g_free (i->answer);
}

G_DEFINE_BOXED_TYPE (GstViAnnotSet, gst_vi_annot_set, gst_vi_annot_set_ref,
    gst_vi_annot_set_unref);

/* ------------------------------------------------------------------------
 * GstViAnnotSet
 * ------------------------------------------------------------------------ */

/**
 * gst_vi_annot_set_new:
 * @dataset_id: (nullable): the dataset the annotations come from
 * @asset_id: (nullable): the asset they describe
 *
 * Creates an empty set, to be filled with gst_vi_annot_set_add_caption(),
 * gst_vi_annot_set_add_phrase() and gst_vi_annot_set_add_interaction()
 * before it is shared.
 *
 * Returns: (transfer full): a new #GstViAnnotSet
 */
GstViAnnotSet *
gst_vi_annot_set_new (const char *dataset_id, const char *asset_id)
{
  GstViAnnotSet *set;

  gst_vi_annot_meta_debug_init ();

  set = g_new0 (GstViAnnotSet, 1);
  set->ref_count = 1;
  set->dataset_id = g_strdup (dataset_id);
  set->asset_id = g_strdup (asset_id);
  set->captions = g_ptr_array_new_with_free_func (g_free);
  set->phrases = g_array_new (FALSE, TRUE, sizeof (GstViAnnotPhrase));
  g_array_set_clear_func (set->phrases, gst_vi_annot_phrase_clear);
  set->interactions = g_array_new (FALSE, TRUE, sizeof (GstViAnnotInteraction));
  g_array_set_clear_func (set->interactions, gst_vi_annot_interaction_clear);

  return set;
}

/**
 * gst_vi_annot_set_ref:
 * @set: a #GstViAnnotSet
 *
 * Takes a reference.  A set that has been referenced more than once is
 * shared and can no longer be changed.
 *
 * Returns: (transfer full): @set
 */
GstViAnnotSet *
gst_vi_annot_set_ref (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, NULL);

  g_atomic_int_set (&set->frozen, 1);
  g_atomic_int_inc (&set->ref_count);

  return set;
}

/* With the last reference of @set: the cache its ROI metas shared
 * (gstviannotroimeta.c builds it, the set owns it). */
static void
gst_vi_annot_set_free_roi_params (GstViAnnotSet * set)
{
  guint i;

  if (set->roi_params != NULL) {
    for (i = 0; i < 2 * set->phrases->len; i++) {
      gst_structure_set_parent_refcount (set->roi_params[i], NULL);
      gst_structure_free (set->roi_params[i]);
    }
  }
  g_clear_pointer (&set->roi_params, g_free);
  g_clear_pointer (&set->roi_types, g_free);
}

/**
 * gst_vi_annot_set_unref:
 * @set: (transfer full): a #GstViAnnotSet
 *
 * Drops a reference, freeing the set with the last one.
 */
void
gst_vi_annot_set_unref (GstViAnnotSet * set)
{
  g_return_if_fail (set != NULL);

  if (!g_atomic_int_dec_and_test (&set->ref_count))
    return;

  g_free (set->dataset_id);
  g_free (set->asset_id);
  gst_vi_annot_set_free_roi_params (set);
  g_ptr_array_unref (set->captions);
  g_array_unref (set->phrases);
  g_array_unref (set->interactions);
  g_free (set);
}

static gboolean
gst_vi_annot_set_is_mutable (GstViAnnotSet * set)
{
  return g_atomic_int_get (&set->frozen) == 0 &&
      g_atomic_int_get (&set->ref_count) == 1;
}

/**
 * gst_vi_annot_set_add_caption:
 * @set: a #GstViAnnotSet that has not been shared yet
 * @caption: the caption text (UTF-8)
 *
 * Appends a caption.
 *
 * Returns: the index of the caption, or %G_MAXUINT if @set is shared
 */
guint
gst_vi_annot_set_add_caption (GstViAnnotSet * set, const char *caption)
{
  g_return_val_if_fail (set != NULL, G_MAXUINT);
  g_return_val_if_fail (caption != NULL, G_MAXUINT);
  g_return_val_if_fail (gst_vi_annot_set_is_mutable (set), G_MAXUINT);

  g_ptr_array_add (set->captions, g_strdup (caption));

  return set->captions->len - 1;
}

/**
 * gst_vi_annot_set_add_phrase:
 * @set: a #GstViAnnotSet that has not been shared yet
 * @caption_index: the caption the phrase belongs to, as returned by
 *   gst_vi_annot_set_add_caption()
 * @phrase: the phrase text
 * @start: its first character in the caption, in Unicode characters, or
 *   -1 when not known
 * @end: one past its last character, or -1
 * @bbox: its box, normalized
 * @annotation_id: (nullable): the id of the annotation holding the box
 * @whole_id: (nullable): the id of the whole the box is part of
 *
 * Appends a grounded phrase.
 *
 * Returns: the index of the phrase, or %G_MAXUINT if @set is shared or
 *   @caption_index is out of range
 */
guint
gst_vi_annot_set_add_phrase (GstViAnnotSet * set, guint caption_index,
    const char *phrase, int start, int end, const ViBBox * bbox,
    const char *annotation_id, const char *whole_id)
{
  GstViAnnotPhrase p = { 0, };

  g_return_val_if_fail (set != NULL, G_MAXUINT);
  g_return_val_if_fail (phrase != NULL, G_MAXUINT);
  g_return_val_if_fail (bbox != NULL, G_MAXUINT);
  g_return_val_if_fail (gst_vi_annot_set_is_mutable (set), G_MAXUINT);
  g_return_val_if_fail (caption_index < set->captions->len, G_MAXUINT);

  p.phrase = g_strdup (phrase);
  p.caption = caption_index;
  if (start < 0 || end < start) {
    start = -1;
    end = -1;
  }
  p.start = start;
  p.end = end;
  p.bbox = *bbox;
  p.annotation_id = g_strdup (annotation_id);
  p.whole_id = g_strdup (whole_id);
  g_array_append_val (set->phrases, p);

  return set->phrases->len - 1;
}

/**
 * gst_vi_annot_set_add_interaction:
 * @set: a #GstViAnnotSet that has not been shared yet
 * @question: the question
 * @answer: the answer
 *
 * Appends a VQA interaction.
 *
 * Returns: the index of the interaction, or %G_MAXUINT if @set is shared
 */
guint
gst_vi_annot_set_add_interaction (GstViAnnotSet * set, const char *question,
    const char *answer)
{
  GstViAnnotInteraction i;

  g_return_val_if_fail (set != NULL, G_MAXUINT);
  g_return_val_if_fail (question != NULL, G_MAXUINT);
  g_return_val_if_fail (answer != NULL, G_MAXUINT);
  g_return_val_if_fail (gst_vi_annot_set_is_mutable (set), G_MAXUINT);

  i.question = g_strdup (question);
  i.answer = g_strdup (answer);
  g_array_append_val (set->interactions, i);

  return set->interactions->len - 1;
}

/* The caption of one whole (a JSONL record, or the parts of one whole of
 * the API): @caption, or an empty one when the whole has phrases but no
 * caption, whose index is returned; G_MAXUINT when it has neither. */
static guint
gst_vi_annot_set_add_whole_caption (GstViAnnotSet * set, const char *caption,
    guint n_phrases)
{
  if (caption == NULL && n_phrases == 0)
    return G_MAXUINT;
  return gst_vi_annot_set_add_caption (set, caption ? caption : "");
}

/**
 * gst_vi_annot_set_new_from_records:
 * @dataset_id: (nullable): the dataset the records come from
 * @asset_id: (nullable): the asset they describe
 * @records: (element-type Vi.JsonlRecord): JSONL records of the asset
 *
 * Builds a set from JSONL records: each record's caption (an empty one
 * if the record has phrases but no caption) with its grounded phrases
 * (spans as the record has them, whole id the record's id), then the
 * record's VQA interactions.
 *
 * Returns: (transfer full): a new #GstViAnnotSet, not yet shared
 */
GstViAnnotSet *
gst_vi_annot_set_new_from_records (const char *dataset_id,
    const char *asset_id, GPtrArray * records)
{
  GstViAnnotSet *set;
  guint r;

  g_return_val_if_fail (records != NULL, NULL);

  set = gst_vi_annot_set_new (dataset_id, asset_id);

  for (r = 0; r < records->len; r++) {
    const ViJsonlRecord *rec = g_ptr_array_index (records, r);
    const char *caption = vi_jsonl_record_get_caption (rec);
    guint n_phrases = vi_jsonl_record_get_n_phrases (rec);
    guint n_inter = vi_jsonl_record_get_n_interactions (rec);
    guint c, i;

    c = gst_vi_annot_set_add_whole_caption (set, caption, n_phrases);

    for (i = 0; i < n_phrases; i++) {
      const ViGroundedPhrase *gp = vi_jsonl_record_get_phrase (rec, i);

      gst_vi_annot_set_add_phrase (set, c, gp->phrase ? gp->phrase : "",
          gp->start, gp->end, &gp->bbox, NULL, vi_jsonl_record_get_id (rec));
    }
    for (i = 0; i < n_inter; i++) {
      const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (rec, i);

      gst_vi_annot_set_add_interaction (set,
          vqa->question ? vqa->question : "", vqa->answer ? vqa->answer : "");
    }
  }

  GST_LOG ("built set of asset %s from %u records: %u captions, "
      "%u phrases, %u interactions", GST_STR_NULL (asset_id), records->len,
      set->captions->len, set->phrases->len, set->interactions->len);

  return set;
}

/* The characters [start, end) of @text, or NULL if out of range. */
static char *
utf8_substring_checked (const char *text, int start, int end)
{
  glong len;

  if (text == NULL || start < 0 || end < start)
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    return NULL;
  len = g_utf8_strlen (text, -1);
  if (end > len)
    return NULL;

  return g_utf8_substring (text, start, end);
}

static void
gst_vi_annot_set_add_box_part (GstViAnnotSet * set, guint caption,
    const char *caption_text, const ViAnnotation * a, const char *whole_id)
{
  ViAnnotationContent *content =
      vi_annotation_spec_get_contents (vi_annotation_get_spec (a));
  g_autofree char *phrase = NULL;
  ViBBox bbox;
  int start = -1, end = -1;

  if (!vi_annotation_content_get_bbox (content, &bbox)) {
    GST_WARNING ("annotation %s has no usable bound, skipped",
        GST_STR_NULL (vi_annotation_get_annotation_id (a)));
    return;
  }
  if (vi_annotation_content_get_target (content, &start, &end))
    phrase = utf8_substring_checked (caption_text, start, end);
  if (phrase == NULL && start >= 0) {
    GST_WARNING ("annotation %s: span [%d, %d) is not in the caption "
        "of whole %s", GST_STR_NULL (vi_annotation_get_annotation_id (a)),
        start, end, GST_STR_NULL (whole_id));
  }
  gst_vi_annot_set_add_phrase (set, caption, phrase ? phrase : "", start, end,
      &bbox, vi_annotation_get_annotation_id (a), whole_id);
}

/**
 * gst_vi_annot_set_new_from_annotations:
 * @dataset_id: (nullable): the dataset the annotations come from
 * @asset_id: (nullable): the asset they describe; when set, annotations
 *   of other assets are skipped
 * @annotations: (element-type Vi.Annotation): annotations of the asset, as
 *   listed by the API
 *
 * Builds a set from API annotations, grouped into wholes by #ViWholes
 * (by the id of their whole, `spec.aggregation.whole.id`, in the order
 * the wholes first appear), each whole as gst_vi_annot_set_new_from_records()
 * takes a record: the `Caption` part gives a caption (an empty one when
 * the whole has boxes but no caption), each `PhraseGroundingBoundingBox`
 * part a grounded phrase of it — its text is the caption's characters
 * `[start, end)` of the part's target, its box the box around the part's
 * bound, its annotation id the part's — and the `Vqa` parts interactions.
 * A second caption of a whole is left out with a warning in the debug
 * log.
 *
 * Returns: (transfer full): a new #GstViAnnotSet, not yet shared
 */
GstViAnnotSet *
gst_vi_annot_set_new_from_annotations (const char *dataset_id,
    const char *asset_id, GPtrArray * annotations)
{
  GstViAnnotSet *set;
  g_autoptr (ViWholes) wholes = NULL;
  const guint *parts;
  guint w, i, n;

  g_return_val_if_fail (annotations != NULL, NULL);

  set = gst_vi_annot_set_new (dataset_id, asset_id);
  wholes = vi_wholes_new_from_annotations (annotations, asset_id);

  parts = vi_wholes_get_dropped (wholes, &n);
  for (i = 0; i < n; i++) {
    const ViAnnotation *a = g_ptr_array_index (annotations, parts[i]);
    const ViAnnotationSpec *spec = vi_annotation_get_spec (a);
    ViAnnotationContent *content = vi_annotation_spec_get_contents (spec);

    if (vi_annotation_content_get_kind (content) == VI_CONTENT_KIND_CAPTION)
      GST_WARNING ("whole %s has more than one caption, keeping the first",
          GST_STR_NULL (vi_annotation_spec_get_whole_id (spec)));
    else
      GST_DEBUG ("skipping annotation %s of kind %s",
          GST_STR_NULL (vi_annotation_get_annotation_id (a)),
          GST_STR_NULL (vi_annotation_content_get_kind_name (content)));
  }

  for (w = 0; w < vi_wholes_get_n_wholes (wholes); w++) {
    const char *whole_id = vi_wholes_get_whole_id (wholes, w);
    const char *text = NULL;
    guint caption_part, c;

    if (vi_wholes_get_caption (wholes, w, &caption_part)) {
      const ViAnnotation *a = g_ptr_array_index (annotations, caption_part);

      text = vi_annotation_content_get_caption
          (vi_annotation_spec_get_contents (vi_annotation_get_spec (a)));
      if (text == NULL)
        text = "";
    }

    parts = vi_wholes_get_boxes (wholes, w, &n);
    c = gst_vi_annot_set_add_whole_caption (set, text, n);
    for (i = 0; i < n; i++)
      gst_vi_annot_set_add_box_part (set, c, text,
          g_ptr_array_index (annotations, parts[i]), whole_id);

    parts = vi_wholes_get_vqa (wholes, w, &n);
    for (i = 0; i < n; i++) {
      const ViAnnotation *a = g_ptr_array_index (annotations, parts[i]);
      ViAnnotationContent *content =
          vi_annotation_spec_get_contents (vi_annotation_get_spec (a));
      const char *question = vi_annotation_content_get_question (content);
      const char *answer = vi_annotation_content_get_answer (content);

      gst_vi_annot_set_add_interaction (set, question ? question : "",
          answer ? answer : "");
    }
  }

  GST_LOG ("built set of asset %s from %u annotations: %u captions, "
      "%u phrases, %u interactions", GST_STR_NULL (asset_id),
      annotations->len, set->captions->len, set->phrases->len,
      set->interactions->len);

  return set;
}

/**
 * gst_vi_annot_set_get_dataset_id:
 * @set: a #GstViAnnotSet
 *
 * Returns: (nullable): the dataset id
 */
const char *
gst_vi_annot_set_get_dataset_id (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, NULL);
  return set->dataset_id;
}

/**
 * gst_vi_annot_set_get_asset_id:
 * @set: a #GstViAnnotSet
 *
 * Returns: (nullable): the asset id
 */
const char *
gst_vi_annot_set_get_asset_id (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, NULL);
  return set->asset_id;
}

/**
 * gst_vi_annot_set_get_n_captions:
 * @set: a #GstViAnnotSet
 *
 * Returns: the number of captions
 */
guint
gst_vi_annot_set_get_n_captions (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, 0);
  return set->captions->len;
}

/**
 * gst_vi_annot_set_get_n_phrases:
 * @set: a #GstViAnnotSet
 *
 * Returns: the number of grounded phrases
 */
guint
gst_vi_annot_set_get_n_phrases (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, 0);
  return set->phrases->len;
}

/**
 * gst_vi_annot_set_get_n_interactions:
 * @set: a #GstViAnnotSet
 *
 * Returns: the number of VQA interactions
 */
guint
gst_vi_annot_set_get_n_interactions (GstViAnnotSet * set)
{
  g_return_val_if_fail (set != NULL, 0);
  return set->interactions->len;
}
