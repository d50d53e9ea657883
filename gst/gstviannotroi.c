/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 */

#include "config.h"

#include <math.h>

#include "gstviannotroi.h"

/* The parameter structure viannotsrc puts on the ROI metas it derives from
 * a GstViAnnotMeta (see gst_vi_annot_meta_add_roi_metas()). */
#define VI_ANNOTATION_PARAM "vi/annotation"
/* DL Streamer's object detection parameter: normalized box, label,
 * confidence. */
#define DETECTION_PARAM "detection"

/* TRUE if @roi was derived from a GstViAnnotMeta: an element that reads
 * the GstViAnnotMeta of the same buffer must not count it twice. */
gboolean
gst_vi_annot_roi_is_viannot (GstVideoRegionOfInterestMeta * roi)
{
  g_return_val_if_fail (roi != NULL, FALSE);

  return gst_video_region_of_interest_meta_get_param (roi,
      VI_ANNOTATION_PARAM) != NULL;
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
