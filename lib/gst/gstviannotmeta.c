/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* GStreamer frame metadata for Datature Vi annotations. */

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

#define GST_CAT_DEFAULT gst_vi_annot_meta_debug

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
gst_vi_annot_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstViAnnotMeta *vmeta = (GstViAnnotMeta *) meta;

  vmeta->set = NULL;
  return TRUE;
}

static void
gst_vi_annot_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstViAnnotMeta *vmeta = (GstViAnnotMeta *) meta;

  g_clear_pointer (&vmeta->set, gst_vi_annot_set_unref);
}

/* The display aspect ratio of @info as a reduced fraction. */
static gboolean
video_info_get_dar (const GstVideoInfo * info, gint * n, gint * d)
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
scale_keeps_content_area (const GstVideoInfo * in, const GstVideoInfo * out)
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
    const GstVideoInfo ** out_info)
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
gst_vi_annot_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
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
gst_buffer_add_vi_annot_meta (GstBuffer * buffer, GstViAnnotSet * set)
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
gst_buffer_get_vi_annot_meta (GstBuffer * buffer)
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
gst_vi_annot_pad_probe_info_add_meta (GstPadProbeInfo * info,
    GstViAnnotSet * set)
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
gst_vi_annot_meta_get_set (GstViAnnotMeta * meta)
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
gst_vi_annot_meta_get_dataset_id (GstViAnnotMeta * meta)
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
gst_vi_annot_meta_get_asset_id (GstViAnnotMeta * meta)
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
gst_vi_annot_meta_get_n_captions (GstViAnnotMeta * meta)
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
gst_vi_annot_meta_get_caption (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_n_phrases (GstViAnnotMeta * meta)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, 0);
  return meta->set->phrases->len;
}

static const GstViAnnotPhrase *
get_phrase (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_phrase (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_phrase_caption (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_phrase_span (GstViAnnotMeta * meta, guint index,
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
gst_vi_annot_meta_get_phrase_bbox (GstViAnnotMeta * meta, guint index,
    ViBBox * bbox)
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
gst_vi_annot_meta_get_phrase_annotation_id (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_phrase_whole_id (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_phrase_pixels (GstViAnnotMeta * meta, guint index,
    const GstVideoInfo * info, ViPixelBox * box)
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
gst_vi_annot_meta_get_phrase_pixels_for_caps (GstViAnnotMeta * meta,
    guint index, GstCaps * caps, ViPixelBox * box)
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
gst_vi_annot_meta_get_phrase_pixels_for_buffer (GstViAnnotMeta * meta,
    guint index, GstBuffer * buffer, const GstVideoInfo * info,
    ViPixelBox * box)
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
gst_vi_annot_meta_get_n_interactions (GstViAnnotMeta * meta)
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
gst_vi_annot_meta_get_question (GstViAnnotMeta * meta, guint index)
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
gst_vi_annot_meta_get_answer (GstViAnnotMeta * meta, guint index)
{
  g_return_val_if_fail (meta != NULL && meta->set != NULL, NULL);
  g_return_val_if_fail (index < meta->set->interactions->len, NULL);
  return g_array_index (meta->set->interactions, GstViAnnotInteraction,
      index).answer;
}
