/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 */

#ifndef __GST_VI_ANNOT_ROI_H__
#define __GST_VI_ANNOT_ROI_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Reading GstVideoRegionOfInterestMeta written by any element: viannotsrc
 * (with a "vi/annotation" parameter), detectors following DL Streamer's
 * "detection" parameter, or plain ROIs with only a roi_type. */

G_GNUC_INTERNAL
gboolean     gst_vi_annot_roi_is_viannot      (GstVideoRegionOfInterestMeta * roi);

G_GNUC_INTERNAL
const gchar *gst_vi_annot_roi_get_label       (GstVideoRegionOfInterestMeta * roi);

G_GNUC_INTERNAL
gboolean     gst_vi_annot_roi_get_confidence  (GstVideoRegionOfInterestMeta * roi,
                                               gdouble * confidence);

G_END_DECLS

#endif /* __GST_VI_ANNOT_ROI_H__ */
