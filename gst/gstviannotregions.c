/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <math.h>

#include <gst/viannot/gstviannotmeta.h>

#include "gstviannotelements.h"
#include "gstviannotregions.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* DL Streamer's object detection parameter: normalized box, label,
 * confidence. */
#define DETECTION_PARAM "detection"

/* TRUE if @roi is one viannot derived from a GstViAnnotMeta (its own
 * implementation of the ROI meta API): an element that reads the
 * GstViAnnotMeta of the same buffer must not count it twice. */
gboolean
gst_vi_annot_roi_is_own (GstVideoRegionOfInterestMeta * roi)
{
  g_return_val_if_fail (roi != NULL, FALSE);

  return roi->meta.info == GST_VI_ANNOT_ROI_META_INFO;
}

/* The label of @roi: the `label` string of its `detection` parameter if it
 * has one, else its roi_type; "" when it has neither. */
const gchar *
gst_vi_annot_roi_get_label (GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *det;
  const gchar *label = NULL;

  g_return_val_if_fail (roi != NULL, "");

  det = gst_video_region_of_interest_meta_get_param (roi, DETECTION_PARAM);
  if (det != NULL)
    label = gst_structure_get_string (det, "label");
  if (label == NULL && roi->roi_type != 0)
    label = g_quark_to_string (roi->roi_type);
  return label != NULL ? label : "";
}

/* The `confidence` of @roi's `detection` parameter (a double, or a float
 * as some detectors write it), if it has one that is a number. */
gboolean
gst_vi_annot_roi_get_confidence (GstVideoRegionOfInterestMeta * roi,
    gdouble * confidence)
{
  GstStructure *det;
  const GValue *v;

  g_return_val_if_fail (roi != NULL, FALSE);
  g_return_val_if_fail (confidence != NULL, FALSE);

  det = gst_video_region_of_interest_meta_get_param (roi, DETECTION_PARAM);
  if (det == NULL)
    return FALSE;
  v = gst_structure_get_value (det, "confidence");
  if (v == NULL)
    return FALSE;
  if (G_VALUE_HOLDS_DOUBLE (v))
    *confidence = g_value_get_double (v);
  else if (G_VALUE_HOLDS_FLOAT (v))
    *confidence = g_value_get_float (v);
  else
    return FALSE;
  /* A NaN is no confidence at all: comparisons with it are all false. */
  return !isnan (*confidence);
}

static void
read_meta (GstViAnnotMeta * meta, GstBuffer * buffer,
    const GstVideoInfo * info, GArray * regions)
{
  GstVideoCropMeta *crop = gst_buffer_get_video_crop_meta (buffer);
  guint i, n = gst_vi_annot_meta_get_n_phrases (meta);

  for (i = 0; i < n; i++) {
    GstViAnnotRegion r = { GST_VI_ANNOT_REGION_FROM_META, };

    if (!gst_vi_annot_meta_get_phrase_pixels_for_buffer (meta, i, buffer,
            info, &r.pixels))
      continue;
    r.label = gst_vi_annot_meta_get_phrase (meta, i);
    r.caption = (gint) gst_vi_annot_meta_get_phrase_caption (meta, i);
    r.annotation_id = gst_vi_annot_meta_get_phrase_annotation_id (meta, i);
    r.id = (gint) i;
    r.confidence = 1.0;
    if (crop == NULL)
      gst_vi_annot_meta_get_phrase_bbox (meta, i, &r.bbox);
    else
      vi_bbox_from_pixels (&r.pixels, crop->width, crop->height, &r.bbox);
    g_array_append_val (regions, r);
  }
}

static void
read_roi (GstVideoRegionOfInterestMeta * roi, const GstVideoInfo * info,
    GArray * regions)
{
  GstViAnnotRegion r = { GST_VI_ANNOT_REGION_FROM_ROI, };
  GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
      DETECTION_PARAM);
  gint width = GST_VIDEO_INFO_WIDTH (info);
  gint height = GST_VIDEO_INFO_HEIGHT (info);
  ViBBox box;

  r.label = gst_vi_annot_roi_get_label (roi);
  r.caption = -1;
  r.id = roi->id;
  r.has_confidence = gst_vi_annot_roi_get_confidence (roi, &r.confidence);
  if (!r.has_confidence)
    r.confidence = 1.0;
  r.pixels.x_min = MIN (roi->x, (guint) width);
  r.pixels.y_min = MIN (roi->y, (guint) height);
  r.pixels.x_max = MIN ((guint64) roi->x + roi->w, (guint64) width);
  r.pixels.y_max = MIN ((guint64) roi->y + roi->h, (guint64) height);
  vi_bbox_from_pixels (&r.pixels, width, height, &r.bbox);

  /* Normalized by the element that detected it, not rounded. */
  if (det != NULL &&
      gst_structure_get_double (det, "x_min", &box.x_min) &&
      gst_structure_get_double (det, "y_min", &box.y_min) &&
      gst_structure_get_double (det, "x_max", &box.x_max) &&
      gst_structure_get_double (det, "y_max", &box.y_max))
    r.bbox = box;
  g_array_append_val (regions, r);
}

/* Appends the regions of @buffer, whose geometry is @info (the caps it
 * was negotiated with), to @regions (of GstViAnnotRegion).  Returns how
 * many were appended. */
guint
gst_vi_annot_regions_read (GstBuffer * buffer, const GstVideoInfo * info,
    GArray * regions)
{
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buffer);
  guint before = regions->len;
  gpointer state = NULL;
  GstMeta *m;

  g_return_val_if_fail (GST_VIDEO_INFO_WIDTH (info) > 0 &&
      GST_VIDEO_INFO_HEIGHT (info) > 0, 0);

  if (meta != NULL)
    read_meta (meta, buffer, info, regions);

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (meta != NULL &&
        gst_vi_annot_roi_is_own ((GstVideoRegionOfInterestMeta *) m))
      continue;
    read_roi ((GstVideoRegionOfInterestMeta *) m, info, regions);
  }

  return regions->len - before;
}
