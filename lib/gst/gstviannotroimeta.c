/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* GStreamer frame metadata for Datature Vi annotations. */

/* The ROI metas viannot attaches (docs/decisions.md, "Frame metadata and
 * viannotsrc").
 *
 * They are #GstVideoRegionOfInterestMeta for every reader: they are
 * registered under the ROI meta API type, and every lookup GStreamer 1.22
 * offers goes by API type (gst_buffer_get_video_region_of_interest_meta(),
 * gst_buffer_get_video_region_of_interest_meta_id(),
 * gst_buffer_iterate_meta_filtered()), and no element of -base or -good
 * looks at which implementation a ROI meta has.  What is ours is the
 * implementation behind the API: the struct starts with a
 * #GstVideoRegionOfInterestMeta and goes on with the annotation set and
 * the phrase index, and the init, free and transform functions are ours.
 *
 * That gives the two things the stock implementation cannot:
 *
 * - exact or removed: the transform follows the same rule as
 *   #GstViAnnotMeta (gst_vi_annot_transform_classify()).  On a copy the
 *   rectangle is copied; after a scale or conversion it is derived again
 *   from the phrase's normalized box for the output size, rounding as
 *   vi_bbox_to_pixels() (the stock transform scales the rounded integers
 *   of the input, 1-3 px off); wherever #GstViAnnotMeta is dropped
 *   (letterbox, crop, flip, borders, unknown transforms), so is the ROI
 *   meta, and the parameters survive scale and conversion (the stock
 *   transform drops them).
 * - cheap: the two parameter structures of a phrase are built once per
 *   annotation set and shared by the ROI metas of every frame, made
 *   immutable with a parent refcount that is never 1 (gst_structure_set()
 *   on them is refused, gst_structure_free() too).  A frame only allocates
 *   its metas and two list nodes per box.  Parameters another element
 *   adds with gst_video_region_of_interest_meta_add_param() are its own,
 *   copied and freed as usual.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstviannotmeta-private.h"

#define GST_CAT_DEFAULT gst_vi_annot_meta_debug

typedef struct
{
  GstVideoRegionOfInterestMeta roi;

  /*< private > */
  GstViAnnotSet *set;
  guint index;
} GstViAnnotRoiMeta;

static gboolean
gst_vi_annot_roi_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstViAnnotRoiMeta *rmeta = (GstViAnnotRoiMeta *) meta;

  rmeta->roi.roi_type = 0;
  rmeta->roi.id = 0;
  rmeta->roi.parent_id = -1;
  rmeta->roi.x = rmeta->roi.y = rmeta->roi.w = rmeta->roi.h = 0;
  rmeta->roi.params = NULL;
  rmeta->set = NULL;
  rmeta->index = 0;

  return TRUE;
}

static gboolean
is_shared_param (const GstViAnnotRoiMeta * rmeta, const GstStructure * s)
{
  const GstViAnnotSet *set = rmeta->set;

  return set != NULL && set->roi_params != NULL &&
      (s == set->roi_params[2 * rmeta->index] ||
      s == set->roi_params[2 * rmeta->index + 1]);
}

static void
gst_vi_annot_roi_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstViAnnotRoiMeta *rmeta = (GstViAnnotRoiMeta *) meta;
  GList *l;

  for (l = rmeta->roi.params; l != NULL; l = l->next) {
    if (!is_shared_param (rmeta, l->data))
      gst_structure_free (l->data);
  }
  g_list_free (rmeta->roi.params);
  rmeta->roi.params = NULL;
  g_clear_pointer (&rmeta->set, gst_vi_annot_set_unref);
}

/* The rectangle of phrase @index in a frame of @width x @height. */
static void
set_rectangle (GstViAnnotRoiMeta * rmeta, int width, int height)
{
  const GstViAnnotPhrase *p =
      &g_array_index (rmeta->set->phrases, GstViAnnotPhrase, rmeta->index);
  ViPixelBox px;
  int x0, y0, x1, y1;

  vi_bbox_to_pixels (&p->bbox, width, height, &px);
  x0 = CLAMP (px.x_min, 0, width);
  y0 = CLAMP (px.y_min, 0, height);
  x1 = CLAMP (px.x_max, x0, width);
  y1 = CLAMP (px.y_max, y0, height);

  rmeta->roi.x = x0;
  rmeta->roi.y = y0;
  rmeta->roi.w = x1 - x0;
  rmeta->roi.h = y1 - y0;
}

static GstViAnnotRoiMeta *
roi_meta_add (GstBuffer * buffer, GstViAnnotSet * set, guint index)
{
  GstViAnnotRoiMeta *rmeta;

  rmeta = (GstViAnnotRoiMeta *) gst_buffer_add_meta (buffer,
      GST_VI_ANNOT_ROI_META_INFO, NULL);
  if (rmeta == NULL)
    return NULL;
  rmeta->set = gst_vi_annot_set_ref (set);
  rmeta->index = index;
  rmeta->roi.roi_type = set->roi_types[index];

  return rmeta;
}

static gboolean
gst_vi_annot_roi_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstViAnnotRoiMeta *smeta = (GstViAnnotRoiMeta *) meta, *dmeta;
  const GstVideoInfo *out_info;
  GstViAnnotTransform what;
  GList *l, *params = NULL;

  if (smeta->set == NULL)
    return FALSE;

  what = gst_vi_annot_transform_classify (type, data, &out_info);
  if (what == GST_VI_ANNOT_TRANSFORM_DROP)
    return FALSE;

  dmeta = roi_meta_add (dest, smeta->set, smeta->index);
  if (dmeta == NULL)
    return FALSE;
  dmeta->roi.roi_type = smeta->roi.roi_type;
  dmeta->roi.id = smeta->roi.id;
  dmeta->roi.parent_id = smeta->roi.parent_id;
  if (what == GST_VI_ANNOT_TRANSFORM_SCALE) {
    set_rectangle (dmeta, GST_VIDEO_INFO_WIDTH (out_info),
        GST_VIDEO_INFO_HEIGHT (out_info));
  } else {
    dmeta->roi.x = smeta->roi.x;
    dmeta->roi.y = smeta->roi.y;
    dmeta->roi.w = smeta->roi.w;
    dmeta->roi.h = smeta->roi.h;
  }

  for (l = smeta->roi.params; l != NULL; l = l->next) {
    GstStructure *s = l->data;

    params = g_list_prepend (params, is_shared_param (smeta, s) ? s :
        gst_structure_copy (s));
  }
  dmeta->roi.params = g_list_reverse (params);

  GST_LOG ("ROI %d (%s): %u,%u %ux%u -> %u,%u %ux%u", smeta->roi.id,
      g_quark_to_string (smeta->roi.roi_type), smeta->roi.x, smeta->roi.y,
      smeta->roi.w, smeta->roi.h, dmeta->roi.x, dmeta->roi.y, dmeta->roi.w,
      dmeta->roi.h);

  return TRUE;
}

/**
 * gst_vi_annot_roi_meta_get_info:
 *
 * The implementation of the #GstVideoRegionOfInterestMeta API that
 * gst_vi_annot_meta_add_roi_metas() uses: a ROI meta whose
 * `meta.info` is this one was attached by viannot and is kept exact
 * (or removed) through copies, scaling and conversion.
 *
 * Returns: (transfer none): the #GstMetaInfo
 */
const GstMetaInfo *
gst_vi_annot_roi_meta_get_info (void)
{
  static const GstMetaInfo *meta_info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & meta_info)) {
    const GstMetaInfo *mi =
        gst_meta_register (GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE,
        "GstViAnnotRoiMeta", sizeof (GstViAnnotRoiMeta),
        gst_vi_annot_roi_meta_init, gst_vi_annot_roi_meta_free,
        gst_vi_annot_roi_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & meta_info, (GstMetaInfo *) mi);
  }
  return meta_info;
}

static void
ensure_roi_params (GstViAnnotSet * set)
{
  guint i, n;

  if (!g_once_init_enter (&set->roi_ready))
    return;

  n = set->phrases->len;
  /* Never 1: the structures are read-only for everyone. */
  set->roi_params_refcount = 2;
  set->roi_types = g_new (GQuark, MAX (n, 1));
  set->roi_params = g_new (GstStructure *, MAX (2 * n, 1));
  for (i = 0; i < n; i++) {
    const GstViAnnotPhrase *p =
        &g_array_index (set->phrases, GstViAnnotPhrase, i);

    set->roi_types[i] = g_quark_from_string (p->phrase);
    set->roi_params[2 * i] = gst_structure_new ("vi/annotation",
        "annotation-id", G_TYPE_STRING, p->annotation_id,
        "whole-id", G_TYPE_STRING, p->whole_id,
        "dataset-id", G_TYPE_STRING, set->dataset_id,
        "asset-id", G_TYPE_STRING, set->asset_id,
        "phrase", G_TYPE_STRING, p->phrase,
        "caption", G_TYPE_UINT, p->caption,
        "start", G_TYPE_INT, p->start,
        "end", G_TYPE_INT, p->end,
        "x-min", G_TYPE_DOUBLE, p->bbox.x_min,
        "y-min", G_TYPE_DOUBLE, p->bbox.y_min,
        "x-max", G_TYPE_DOUBLE, p->bbox.x_max,
        "y-max", G_TYPE_DOUBLE, p->bbox.y_max, NULL);
    set->roi_params[2 * i + 1] = gst_structure_new ("detection",
        "x_min", G_TYPE_DOUBLE, p->bbox.x_min,
        "y_min", G_TYPE_DOUBLE, p->bbox.y_min,
        "x_max", G_TYPE_DOUBLE, p->bbox.x_max,
        "y_max", G_TYPE_DOUBLE, p->bbox.y_max,
        "label", G_TYPE_STRING, p->phrase,
        "confidence", G_TYPE_DOUBLE, 1.0, NULL);
    gst_structure_set_parent_refcount (set->roi_params[2 * i],
        &set->roi_params_refcount);
    gst_structure_set_parent_refcount (set->roi_params[2 * i + 1],
        &set->roi_params_refcount);
  }
  g_once_init_leave (&set->roi_ready, 1);
}

/**
 * gst_vi_annot_meta_add_roi_metas:
 * @meta: a #GstViAnnotMeta
 * @buffer: a writable #GstBuffer, usually the one carrying @meta
 * @info: the geometry of @buffer
 *
 * Adds one #GstVideoRegionOfInterestMeta per grounded phrase to @buffer,
 * for elements that understand ROI metas (encoders' ROI support, analytics
 * elements).  The rectangle is the phrase's box in pixels of @info
 * (vi_bbox_to_pixels(), clipped to the frame), `roi_type` the quark of the
 * phrase text, `id` the phrase index, `parent_id` -1.  Two parameter
 * structures are attached, read-only (shared by every frame of the set):
 *
 * - `vi/annotation`: `annotation-id`, `whole-id`, `dataset-id`,
 *   `asset-id` (strings, possibly %NULL), `phrase` (string), `caption`
 *   (uint, the caption index), `start`, `end` (int, the span, -1 when not
 *   known), `x-min`, `y-min`, `x-max`, `y-max` (double, normalized);
 * - `detection`, as DL Streamer reads it: `x_min`, `y_min`, `x_max`,
 *   `y_max` (double, normalized), `label` (string, the phrase) and
 *   `confidence` (double, 1.0).
 *
 * The metas are viannot's implementation of the ROI meta API
 * (gst_vi_annot_roi_meta_get_info()): they follow the rule of
 * #GstViAnnotMeta.  After a copy, a scale or a format conversion they are
 * exact for the frame they are on (derived again from the normalized box,
 * parameters kept); wherever #GstViAnnotMeta is dropped (letterbox, crop,
 * flip, rotation, borders, unknown transforms) they are dropped too, so a
 * reader never sees a rectangle that a stock integer transform left wrong.
 *
 * Returns: how many were added
 */
guint
gst_vi_annot_meta_add_roi_metas (GstViAnnotMeta * meta, GstBuffer * buffer,
    const GstVideoInfo * info)
{
  GstViAnnotSet *set;
  int width, height;
  guint i, n = 0;

  g_return_val_if_fail (meta != NULL && meta->set != NULL, 0);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), 0);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), 0);
  g_return_val_if_fail (info != NULL, 0);

  width = GST_VIDEO_INFO_WIDTH (info);
  height = GST_VIDEO_INFO_HEIGHT (info);
  g_return_val_if_fail (width > 0 && height > 0, 0);

  set = meta->set;
  ensure_roi_params (set);

  for (i = 0; i < set->phrases->len; i++) {
    GstViAnnotRoiMeta *rmeta = roi_meta_add (buffer, set, i);

    if (rmeta == NULL)
      continue;
    rmeta->roi.id = (gint) i;
    set_rectangle (rmeta, width, height);
    rmeta->roi.params = g_list_prepend (g_list_prepend (NULL,
            set->roi_params[2 * i + 1]), set->roi_params[2 * i]);
    n++;
  }

  return n;
}
