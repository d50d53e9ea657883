/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GStreamer frame metadata for Datature Vi annotations
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstviannotmeta
 * @title: GstViAnnotMeta
 * @short_description: Dataset annotations (captions, grounded phrases,
 *   VQA) on video frames
 *
 * A #GstViAnnotMeta carries the annotations of one Datature Vi asset on a
 * video frame: the captions, the grounded phrases of each caption (phrase
 * text, span in the caption, annotation ids and a box in normalized
 * coordinates) and the VQA interactions.  The annotations live in a
 * #GstViAnnotSet, an immutable refcounted snapshot shared by every frame
 * of the asset.
 *
 * Boxes are stored normalized and converted to pixels when read, from the
 * geometry of the frame being looked at:
 * gst_vi_annot_meta_get_phrase_pixels() with a #GstVideoInfo, or
 * gst_vi_annot_meta_get_phrase_pixels_for_caps() with the caps of the pad
 * the buffer was seen on.
 *
 * The meta API carries the tags %GST_META_TAG_VIDEO_STR,
 * %GST_META_TAG_VIDEO_SIZE_STR and %GST_META_TAG_VIDEO_ORIENTATION_STR, so
 * elements that change the geometry and do not know about it drop it.
 * Its transform function handles:
 *
 * - copies (gst_buffer_copy(), `videorate` duplicating frames, ...): the
 *   set is shared;
 * - the "gst-video-scale" transform (`videoscale`, `videoconvert`,
 *   `videoconvertscale`): normalized boxes do not change when the picture
 *   is scaled or converted, so the set is shared — unless the display
 *   aspect ratio of the picture changes in a way that `videoscale
 *   add-borders=true` turns into black borders (letterboxing): the content
 *   area is then no longer the whole frame and the meta is dropped rather
 *   than left wrong;
 * - anything else (partial copies, unknown transforms): the meta is
 *   dropped.
 *
 * Measured on GStreamer 1.22.0 (tests/gst/test-meta-pipelines.c):
 * `videocrop`, `videobox` (borders or crop) and `videoflip` (every method
 * that flips or rotates) drop the meta because of its tags.  Two cases
 * keep it, correctly: `videoflip` given its method at construction (as
 * gst_parse_launch() does) does not flip on 1.22.0 and passes frames
 * through; and `videocrop` towards an element that accepts
 * #GstVideoCropMeta does not crop but adds a crop meta — read boxes there
 * with gst_vi_annot_meta_get_phrase_pixels_for_buffer(), which honours it.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstviannotmeta-private.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_vi_annot_meta_debug);
#define GST_CAT_DEFAULT gst_vi_annot_meta_debug

static void
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
  set->interactions =
      g_array_new (FALSE, TRUE, sizeof (GstViAnnotInteraction));
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
gst_vi_annot_set_ref (GstViAnnotSet *set)
{
  g_return_val_if_fail (set != NULL, NULL);

  g_atomic_int_set (&set->frozen, 1);
  g_atomic_int_inc (&set->ref_count);

  return set;
}

/**
 * gst_vi_annot_set_unref:
 * @set: (transfer full): a #GstViAnnotSet
 *
 * Drops a reference, freeing the set with the last one.
 */
void
gst_vi_annot_set_unref (GstViAnnotSet *set)
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
gst_vi_annot_set_is_mutable (GstViAnnotSet *set)
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
gst_vi_annot_set_add_caption (GstViAnnotSet *set, const char *caption)
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
gst_vi_annot_set_add_phrase (GstViAnnotSet *set, guint caption_index,
    const char *phrase, int start, int end, const ViBBox *bbox,
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
gst_vi_annot_set_add_interaction (GstViAnnotSet *set, const char *question,
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
    const char *asset_id, GPtrArray *records)
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
    guint c = G_MAXUINT, i;

    if (caption != NULL || n_phrases > 0)
      c = gst_vi_annot_set_add_caption (set, caption ? caption : "");

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

typedef struct
{
  const char *whole_id;
  ViAnnotation *caption;        /* borrowed */
  GPtrArray *boxes;             /* ViAnnotation, borrowed */
} WholeGroup;

static void
whole_group_free (gpointer data)
{
  WholeGroup *g = data;

  g_ptr_array_unref (g->boxes);
  g_free (g);
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

/**
 * gst_vi_annot_set_new_from_annotations:
 * @dataset_id: (nullable): the dataset the annotations come from
 * @asset_id: (nullable): the asset they describe; when set, annotations
 *   of other assets are skipped
 * @annotations: (element-type Vi.Annotation): annotations of the asset, as
 *   listed by the API
 *
 * Builds a set from API annotations.  Parts are grouped by the id of
 * their whole (`spec.aggregation.whole.id`), in the order the wholes first
 * appear: the `Caption` part gives a caption, each
 * `PhraseGroundingBoundingBox` part of the same whole a grounded phrase —
 * its text is the caption's characters `[start, end)` of the part's
 * target, its box the box around the part's bound, its annotation id the
 * part's.  `Vqa` parts become interactions.
 *
 * Returns: (transfer full): a new #GstViAnnotSet, not yet shared
 */
GstViAnnotSet *
gst_vi_annot_set_new_from_annotations (const char *dataset_id,
    const char *asset_id, GPtrArray *annotations)
{
  GstViAnnotSet *set;
  g_autoptr (GHashTable) by_whole = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  guint i, j;

  g_return_val_if_fail (annotations != NULL, NULL);

  set = gst_vi_annot_set_new (dataset_id, asset_id);
  by_whole = g_hash_table_new (g_str_hash, g_str_equal);
  groups = g_ptr_array_new_with_free_func (whole_group_free);

  for (i = 0; i < annotations->len; i++) {
    ViAnnotation *a = g_ptr_array_index (annotations, i);
    ViAnnotationSpec *spec = vi_annotation_get_spec (a);
    ViAnnotationContent *content;
    const char *whole_id, *a_asset;
    WholeGroup *g;

    if (spec == NULL)
      continue;
    a_asset = vi_annotation_get_asset_id (a);
    if (asset_id != NULL && a_asset != NULL && strcmp (asset_id, a_asset)) {
      GST_DEBUG ("skipping annotation %s of asset %s (want %s)",
          GST_STR_NULL (vi_annotation_get_annotation_id (a)), a_asset,
          asset_id);
      continue;
    }
    content = vi_annotation_spec_get_contents (spec);
    if (content == NULL)
      continue;

    switch (vi_annotation_content_get_kind (content)) {
      case VI_CONTENT_KIND_VQA:
        gst_vi_annot_set_add_interaction (set,
            vi_annotation_content_get_question (content) ?
            vi_annotation_content_get_question (content) : "",
            vi_annotation_content_get_answer (content) ?
            vi_annotation_content_get_answer (content) : "");
        continue;
      case VI_CONTENT_KIND_CAPTION:
      case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
        break;
      default:
        GST_DEBUG ("skipping annotation %s of kind %s",
            GST_STR_NULL (vi_annotation_get_annotation_id (a)),
            GST_STR_NULL (vi_annotation_content_get_kind_name (content)));
        continue;
    }

    whole_id = vi_annotation_spec_get_whole_id (spec);
    if (whole_id == NULL)
      whole_id = "";
    g = g_hash_table_lookup (by_whole, whole_id);
    if (g == NULL) {
      g = g_new0 (WholeGroup, 1);
      g->whole_id = whole_id;
      g->boxes = g_ptr_array_new ();
      g_hash_table_insert (by_whole, (gpointer) whole_id, g);
      g_ptr_array_add (groups, g);
    }
    if (vi_annotation_content_get_kind (content) == VI_CONTENT_KIND_CAPTION) {
      if (g->caption != NULL)
        GST_WARNING ("whole %s has more than one caption, keeping the first",
            whole_id);
      else
        g->caption = a;
    } else {
      g_ptr_array_add (g->boxes, a);
    }
  }

  for (i = 0; i < groups->len; i++) {
    WholeGroup *g = g_ptr_array_index (groups, i);
    const char *text = NULL;
    guint c;

    if (g->caption != NULL) {
      text = vi_annotation_content_get_caption (vi_annotation_spec_get_contents
          (vi_annotation_get_spec (g->caption)));
    }
    c = gst_vi_annot_set_add_caption (set, text ? text : "");

    for (j = 0; j < g->boxes->len; j++) {
      ViAnnotation *a = g_ptr_array_index (g->boxes, j);
      ViAnnotationContent *content =
          vi_annotation_spec_get_contents (vi_annotation_get_spec (a));
      g_autofree char *phrase = NULL;
      ViBBox bbox;
      int start = -1, end = -1;

      if (!vi_annotation_content_get_bbox (content, &bbox)) {
        GST_WARNING ("annotation %s has no usable bound, skipped",
            GST_STR_NULL (vi_annotation_get_annotation_id (a)));
        continue;
      }
      if (vi_annotation_content_get_target (content, &start, &end))
        phrase = utf8_substring_checked (text, start, end);
      if (phrase == NULL && start >= 0) {
        GST_WARNING ("annotation %s: span [%d, %d) is not in the caption "
            "of whole %s", GST_STR_NULL (vi_annotation_get_annotation_id (a)),
            start, end, g->whole_id);
      }
      gst_vi_annot_set_add_phrase (set, c, phrase ? phrase : "", start, end,
          &bbox, vi_annotation_get_annotation_id (a),
          g->whole_id[0] ? g->whole_id : NULL);
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
gst_vi_annot_set_get_dataset_id (GstViAnnotSet *set)
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
gst_vi_annot_set_get_asset_id (GstViAnnotSet *set)
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
gst_vi_annot_set_get_n_captions (GstViAnnotSet *set)
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
gst_vi_annot_set_get_n_phrases (GstViAnnotSet *set)
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
gst_vi_annot_set_get_n_interactions (GstViAnnotSet *set)
{
  g_return_val_if_fail (set != NULL, 0);
  return set->interactions->len;
}

/* ------------------------------------------------------------------------
 * GstViAnnotMeta
 * ------------------------------------------------------------------------ */

/**
 * gst_vi_annot_meta_api_get_type:
 *
 * The API type of #GstViAnnotMeta, tagged %GST_META_TAG_VIDEO_STR,
 * %GST_META_TAG_VIDEO_SIZE_STR and %GST_META_TAG_VIDEO_ORIENTATION_STR.
 *
 * Returns: the #GType
 */
GType
gst_vi_annot_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = {
    GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR,
    GST_META_TAG_VIDEO_ORIENTATION_STR,
    NULL
  };

  if (g_once_init_enter (&type)) {
    GType _type = gst_meta_api_type_register ("GstViAnnotMetaAPI", tags);

    gst_vi_annot_meta_debug_init ();
    g_once_init_leave (&type, _type);
  }
  return type;
}

static gboolean
gst_vi_annot_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  GstViAnnotMeta *vmeta = (GstViAnnotMeta *) meta;

  vmeta->set = NULL;
  return TRUE;
}

static void
gst_vi_annot_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  GstViAnnotMeta *vmeta = (GstViAnnotMeta *) meta;

  g_clear_pointer (&vmeta->set, gst_vi_annot_set_unref);
}

/* The display aspect ratio of @info as a reduced fraction. */
static gboolean
video_info_get_dar (const GstVideoInfo *info, gint *n, gint *d)
{
  gint par_n = GST_VIDEO_INFO_PAR_N (info), par_d = GST_VIDEO_INFO_PAR_D (info);

  if (GST_VIDEO_INFO_WIDTH (info) <= 0 || GST_VIDEO_INFO_HEIGHT (info) <= 0)
    return FALSE;
  if (par_n <= 0 || par_d <= 0)
    par_n = par_d = 1;

  return gst_util_fraction_multiply (GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), par_n, par_d, n, d);
}

/* Whether a scale from @in to @out keeps the picture filling the whole
 * frame.  When the display aspect ratio changes, videoscale's
 * add-borders (the default) letterboxes the picture inside @out; with
 * add-borders=false it stretches it.  The transform cannot tell which, so
 * a DAR change that letterboxing would turn into borders of at least one
 * pixel is refused.  This mirrors the border computation of videoscale
 * (gst_video_convert_scale_set_info) on 1.22. */
static gboolean
scale_keeps_content_area (const GstVideoInfo *in, const GstVideoInfo *out)
{
  gint in_n, in_d, out_n, out_d, n, d, to_w, to_h;

  if (!video_info_get_dar (in, &in_n, &in_d) ||
      !video_info_get_dar (out, &out_n, &out_d))
    return FALSE;
  if (in_n == out_n && in_d == out_d)
    return TRUE;

  if (!gst_util_fraction_multiply (in_n, in_d, GST_VIDEO_INFO_PAR_D (out),
          GST_VIDEO_INFO_PAR_N (out), &n, &d) || n <= 0 || d <= 0)
    return FALSE;

  to_h = gst_util_uint64_scale_int (GST_VIDEO_INFO_WIDTH (out), d, n);
  if (to_h <= GST_VIDEO_INFO_HEIGHT (out))
    return to_h == GST_VIDEO_INFO_HEIGHT (out);
  to_w = gst_util_uint64_scale_int (GST_VIDEO_INFO_HEIGHT (out), n, d);
  return to_w == GST_VIDEO_INFO_WIDTH (out);
}

/**
 * gst_vi_annot_transform_classify: (skip)
 * @type: the transform type a #GstMetaTransformFunction was given
 * @data: its data
 * @out_info: (out): for %GST_VI_ANNOT_TRANSFORM_SCALE, the output geometry
 *
 * The rule both metas of viannot follow: copies of whole frames and scales
 * or conversions that keep the picture filling the frame are followed;
 * everything else (byte-range copies, letterbox, crop, flip, rotation,
 * borders, transforms not known here) drops the meta.
 *
 * Returns: what to do
 */
GstViAnnotTransform
gst_vi_annot_transform_classify (GQuark type, gpointer data,
    const GstVideoInfo **out_info)
{
  *out_info = NULL;

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;

    if (copy->region) {
      /* A byte range of a frame is not a frame. */
      GST_DEBUG ("dropping on a region copy (%" G_GSIZE_FORMAT
          "+%" G_GSIZE_FORMAT ")", copy->offset, copy->size);
      return GST_VI_ANNOT_TRANSFORM_DROP;
    }
    return GST_VI_ANNOT_TRANSFORM_COPY;
  }

  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    GstVideoMetaTransform *trans = data;

    GST_DEBUG ("scale %s %dx%d (par %d/%d) -> %s %dx%d (par %d/%d)",
        GST_VIDEO_INFO_NAME (trans->in_info),
        GST_VIDEO_INFO_WIDTH (trans->in_info),
        GST_VIDEO_INFO_HEIGHT (trans->in_info),
        GST_VIDEO_INFO_PAR_N (trans->in_info),
        GST_VIDEO_INFO_PAR_D (trans->in_info),
        GST_VIDEO_INFO_NAME (trans->out_info),
        GST_VIDEO_INFO_WIDTH (trans->out_info),
        GST_VIDEO_INFO_HEIGHT (trans->out_info),
        GST_VIDEO_INFO_PAR_N (trans->out_info),
        GST_VIDEO_INFO_PAR_D (trans->out_info));
    if (!scale_keeps_content_area (trans->in_info, trans->out_info)) {
      GST_DEBUG ("display aspect ratio changes: the picture may be "
          "letterboxed, dropping");
      return GST_VI_ANNOT_TRANSFORM_DROP;
    }
    *out_info = trans->out_info;
    return GST_VI_ANNOT_TRANSFORM_SCALE;
  }

  GST_DEBUG ("dropping on unhandled transform %s", g_quark_to_string (type));
  return GST_VI_ANNOT_TRANSFORM_DROP;
}

static gboolean
gst_vi_annot_meta_transform (GstBuffer *dest, GstMeta *meta,
    GstBuffer *buffer, GQuark type, gpointer data)
{
  GstViAnnotMeta *smeta = (GstViAnnotMeta *) meta;
  const GstVideoInfo *out_info;

  /* Normalized boxes are the same on a copy and after a scale. */
  if (gst_vi_annot_transform_classify (type, data, &out_info) ==
      GST_VI_ANNOT_TRANSFORM_DROP)
    return FALSE;

  if (gst_buffer_get_vi_annot_meta (dest) != NULL) {
    GST_LOG ("destination already has a meta");
    return TRUE;
  }

  GST_LOG ("sharing set %p", smeta->set);
  return gst_buffer_add_vi_annot_meta (dest, smeta->set) != NULL;
}

/**
 * gst_vi_annot_meta_get_info:
 *
 * Returns: (transfer none): the #GstMetaInfo of #GstViAnnotMeta
 */
const GstMetaInfo *
gst_vi_annot_meta_get_info (void)
{
  static const GstMetaInfo *meta_info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & meta_info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_VI_ANNOT_META_API_TYPE,
        "GstViAnnotMeta", sizeof (GstViAnnotMeta),
        gst_vi_annot_meta_init, gst_vi_annot_meta_free,
        gst_vi_annot_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & meta_info, (GstMetaInfo *) mi);
  }
  return meta_info;
}

/**
 * gst_buffer_add_vi_annot_meta:
 * @buffer: a writable #GstBuffer
 * @set: the annotations; a reference is taken and @set can no longer be
 *   changed
 *
 * Attaches @set to @buffer.
 *
 * Returns: (transfer none) (nullable): the new meta
 */
GstViAnnotMeta *
gst_buffer_add_vi_annot_meta (GstBuffer *buffer, GstViAnnotSet *set)
{
  GstViAnnotMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (set != NULL, NULL);

  meta = (GstViAnnotMeta *) gst_buffer_add_meta (buffer,
      GST_VI_ANNOT_META_INFO, NULL);
  if (meta == NULL)
    return NULL;
  meta->set = gst_vi_annot_set_ref (set);

  return meta;
}

/**
 * gst_buffer_get_vi_annot_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the #GstViAnnotMeta of @buffer
 */
GstViAnnotMeta *
gst_buffer_get_vi_annot_meta (GstBuffer *buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  return (GstViAnnotMeta *) gst_buffer_get_meta (buffer,
      GST_VI_ANNOT_META_API_TYPE);
}

/**
 * gst_vi_annot_pad_probe_info_add_meta:
 * @info: the #GstPadProbeInfo of a buffer probe
 * @set: the annotations
 *
 * Attaches @set to the buffer of a pad probe, first making the buffer
 * writable (replacing it in @info if needed).  This is for bindings, where
 * the buffer of a probe is usually not writable because the binding holds
 * a reference of its own.
 *
 * Returns: (transfer none) (nullable): the new meta, %NULL if @info holds
 *   no buffer
 */
GstViAnnotMeta *
gst_vi_annot_pad_probe_info_add_meta (GstPadProbeInfo *info,
    GstViAnnotSet *set)
{
  GstBuffer *buf;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (set != NULL, NULL);

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER))
    return NULL;
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (buf == NULL)
    return NULL;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;

  return gst_buffer_add_vi_annot_meta (buf, set);
}

/**
 * gst_vi_annot_meta_get_set:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: (transfer none): the annotations carried by @meta
 */
GstViAnnotSet *
gst_vi_annot_meta_get_set (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL, NULL);
  return meta->set;
}

/**
 * gst_vi_annot_meta_get_dataset_id:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: (nullable): the dataset id
 */
const char *
gst_vi_annot_meta_get_dataset_id (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  return meta->set->dataset_id;
}

/**
 * gst_vi_annot_meta_get_asset_id:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: (nullable): the asset id
 */
const char *
gst_vi_annot_meta_get_asset_id (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  return meta->set->asset_id;
}

/**
 * gst_vi_annot_meta_get_n_captions:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: the number of captions
 */
guint
gst_vi_annot_meta_get_n_captions (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, 0);
  return meta->set->captions->len;
}

/**
 * gst_vi_annot_meta_get_caption:
 * @meta: a #GstViAnnotMeta
 * @index: a caption index
 *
 * Returns: (nullable): the caption, %NULL if @index is out of range
 */
const char *
gst_vi_annot_meta_get_caption (GstViAnnotMeta *meta, guint index)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  g_return_val_if_fail (index < meta->set->captions->len, NULL);
  return g_ptr_array_index (meta->set->captions, index);
}

/**
 * gst_vi_annot_meta_get_n_phrases:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: the number of grounded phrases, over all captions
 */
guint
gst_vi_annot_meta_get_n_phrases (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, 0);
  return meta->set->phrases->len;
}

static const GstViAnnotPhrase *
get_phrase (GstViAnnotMeta *meta, guint index)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  g_return_val_if_fail (index < meta->set->phrases->len, NULL);
  return &g_array_index (meta->set->phrases, GstViAnnotPhrase, index);
}

/**
 * gst_vi_annot_meta_get_phrase:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 *
 * Returns: (nullable): the phrase text, %NULL if @index is out of range
 */
const char *
gst_vi_annot_meta_get_phrase (GstViAnnotMeta *meta, guint index)
{
  const GstViAnnotPhrase *p = get_phrase (meta, index);

  return p ? p->phrase : NULL;
}

/**
 * gst_vi_annot_meta_get_phrase_caption:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 *
 * Returns: the index of the caption the phrase belongs to, %G_MAXUINT if
 *   @index is out of range
 */
guint
gst_vi_annot_meta_get_phrase_caption (GstViAnnotMeta *meta, guint index)
{
  const GstViAnnotPhrase *p = get_phrase (meta, index);

  return p ? p->caption : G_MAXUINT;
}

/**
 * gst_vi_annot_meta_get_phrase_span:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 * @start: (out) (optional): the first character of the phrase in its
 *   caption, in Unicode characters, or -1
 * @end: (out) (optional): one past the last character, or -1
 *
 * Gets the span `[start, end)` of a phrase in its caption.
 *
 * Returns: %TRUE if the span is known
 */
gboolean
gst_vi_annot_meta_get_phrase_span (GstViAnnotMeta *meta, guint index,
    int *start, int *end)
{
  const GstViAnnotPhrase *p = get_phrase (meta, index);

  if (start)
    *start = p ? p->start : -1;
  if (end)
    *end = p ? p->end : -1;
  return p != NULL && p->start >= 0;
}

/**
 * gst_vi_annot_meta_get_phrase_bbox:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 * @bbox: (out caller-allocates): the normalized box of the phrase
 *
 * Gets the box of a phrase in normalized coordinates (all zero if @index
 * is out of range).
 */
void
gst_vi_annot_meta_get_phrase_bbox (GstViAnnotMeta *meta, guint index,
    ViBBox *bbox)
{
  const GstViAnnotPhrase *p;

  g_return_if_fail (bbox != NULL);
  memset (bbox, 0, sizeof (*bbox));
  p = get_phrase (meta, index);
  if (p)
    *bbox = p->bbox;
}

/**
 * gst_vi_annot_meta_get_phrase_annotation_id:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 *
 * Returns: (nullable): the id of the annotation holding the phrase's box
 */
const char *
gst_vi_annot_meta_get_phrase_annotation_id (GstViAnnotMeta *meta,
    guint index)
{
  const GstViAnnotPhrase *p = get_phrase (meta, index);

  return p ? p->annotation_id : NULL;
}

/**
 * gst_vi_annot_meta_get_phrase_whole_id:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 *
 * Returns: (nullable): the id of the whole (caption and its boxes) the
 *   phrase is part of
 */
const char *
gst_vi_annot_meta_get_phrase_whole_id (GstViAnnotMeta *meta, guint index)
{
  const GstViAnnotPhrase *p = get_phrase (meta, index);

  return p ? p->whole_id : NULL;
}

/**
 * gst_vi_annot_meta_get_phrase_pixels:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 * @info: the geometry of the frame the meta is read on
 * @box: (out caller-allocates): the box in pixels of that frame
 *
 * Converts the box of a phrase to pixels of a frame of @info's width and
 * height, with vi_bbox_to_pixels() (all zero if @index is out of range or
 * @info has no size).
 */
void
gst_vi_annot_meta_get_phrase_pixels (GstViAnnotMeta *meta, guint index,
    const GstVideoInfo *info, ViPixelBox *box)
{
  const GstViAnnotPhrase *p;

  g_return_if_fail (box != NULL);
  memset (box, 0, sizeof (*box));
  g_return_if_fail (info != NULL);
  g_return_if_fail (GST_VIDEO_INFO_WIDTH (info) > 0 &&
      GST_VIDEO_INFO_HEIGHT (info) > 0);

  p = get_phrase (meta, index);
  if (p)
    vi_bbox_to_pixels (&p->bbox, GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), box);
}

/**
 * gst_vi_annot_meta_get_phrase_pixels_for_caps:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 * @caps: the fixed raw video caps of the frame the meta is read on
 * @box: (out caller-allocates): the box in pixels of that frame
 *
 * Like gst_vi_annot_meta_get_phrase_pixels(), from caps.
 *
 * Returns: %TRUE if @caps describe a video frame and @index is valid
 */
gboolean
gst_vi_annot_meta_get_phrase_pixels_for_caps (GstViAnnotMeta *meta,
    guint index, GstCaps *caps, ViPixelBox *box)
{
  GstVideoInfo info;

  g_return_val_if_fail (box != NULL, FALSE);
  memset (box, 0, sizeof (*box));
  g_return_val_if_fail (meta != NULL && meta->set != NULL, FALSE);
  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

  if (index >= meta->set->phrases->len)
    return FALSE;
  if (!gst_video_info_from_caps (&info, caps) ||
      GST_VIDEO_INFO_WIDTH (&info) <= 0 || GST_VIDEO_INFO_HEIGHT (&info) <= 0)
    return FALSE;

  gst_vi_annot_meta_get_phrase_pixels (meta, index, &info, box);
  return TRUE;
}

/**
 * gst_vi_annot_meta_get_phrase_pixels_for_buffer:
 * @meta: a #GstViAnnotMeta
 * @index: a phrase index
 * @buffer: the buffer carrying @meta
 * @info: the geometry negotiated for @buffer (its caps)
 * @box: (out caller-allocates): the box in pixels of the frame as shown
 *
 * Like gst_vi_annot_meta_get_phrase_pixels(), but honours a
 * #GstVideoCropMeta on @buffer.  `videocrop` (1.22) does not crop when
 * downstream accepts crop metas: it passes the whole frame on with a
 * #GstVideoCropMeta and caps of the cropped size, and the #GstViAnnotMeta
 * stays on it.  The box is then computed in the whole frame (the size of
 * the buffer's #GstVideoMeta), moved by the crop offset and clipped to the
 * crop rectangle.  Elements that accept crop metas must read boxes this
 * way.
 *
 * Returns: %TRUE if @box was set; %FALSE if @index is out of range or
 *   @buffer has a crop meta but no #GstVideoMeta giving the whole frame
 */
gboolean
gst_vi_annot_meta_get_phrase_pixels_for_buffer (GstViAnnotMeta *meta,
    guint index, GstBuffer *buffer, const GstVideoInfo *info, ViPixelBox *box)
{
  const GstViAnnotPhrase *p;
  GstVideoCropMeta *crop;
  GstVideoMeta *vmeta;
  ViPixelBox full;

  g_return_val_if_fail (box != NULL, FALSE);
  memset (box, 0, sizeof (*box));
  g_return_val_if_fail (meta != NULL && meta->set != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (index >= meta->set->phrases->len)
    return FALSE;
  p = &g_array_index (meta->set->phrases, GstViAnnotPhrase, index);

  crop = gst_buffer_get_video_crop_meta (buffer);
  if (crop == NULL) {
    if (GST_VIDEO_INFO_WIDTH (info) <= 0 || GST_VIDEO_INFO_HEIGHT (info) <= 0)
      return FALSE;
    vi_bbox_to_pixels (&p->bbox, GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), box);
    return TRUE;
  }

  vmeta = gst_buffer_get_video_meta (buffer);
  if (vmeta == NULL || vmeta->width == 0 || vmeta->height == 0) {
    GST_DEBUG ("crop meta without video meta: whole frame size unknown");
    return FALSE;
  }
  vi_bbox_to_pixels (&p->bbox, vmeta->width, vmeta->height, &full);
  box->x_min = CLAMP (full.x_min - (int) crop->x, 0, (int) crop->width);
  box->y_min = CLAMP (full.y_min - (int) crop->y, 0, (int) crop->height);
  box->x_max = CLAMP (full.x_max - (int) crop->x, box->x_min,
      (int) crop->width);
  box->y_max = CLAMP (full.y_max - (int) crop->y, box->y_min,
      (int) crop->height);
  return TRUE;
}

/**
 * gst_vi_annot_meta_get_n_interactions:
 * @meta: a #GstViAnnotMeta
 *
 * Returns: the number of VQA interactions
 */
guint
gst_vi_annot_meta_get_n_interactions (GstViAnnotMeta *meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, 0);
  return meta->set->interactions->len;
}

/**
 * gst_vi_annot_meta_get_question:
 * @meta: a #GstViAnnotMeta
 * @index: an interaction index
 *
 * Returns: (nullable): the question, %NULL if @index is out of range
 */
const char *
gst_vi_annot_meta_get_question (GstViAnnotMeta *meta, guint index)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  g_return_val_if_fail (index < meta->set->interactions->len, NULL);
  return g_array_index (meta->set->interactions, GstViAnnotInteraction,
      index).question;
}

/**
 * gst_vi_annot_meta_get_answer:
 * @meta: a #GstViAnnotMeta
 * @index: an interaction index
 *
 * Returns: (nullable): the answer, %NULL if @index is out of range
 */
const char *
gst_vi_annot_meta_get_answer (GstViAnnotMeta *meta, guint index)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  g_return_val_if_fail (index < meta->set->interactions->len, NULL);
  return g_array_index (meta->set->interactions, GstViAnnotInteraction,
      index).answer;
}
