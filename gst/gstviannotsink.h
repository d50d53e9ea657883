/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_SINK_H__
#define __GST_VI_ANNOT_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_VI_ANNOT_SINK (gst_vi_annot_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstViAnnotSink, gst_vi_annot_sink, GST, VI_ANNOT_SINK,
    GstBaseSink)

/**
 * GstViAnnotSinkRepeated:
 * @GST_VI_ANNOT_SINK_REPEATED_FIRST: write an asset's annotations from the
 *   first of its frames that has any
 * @GST_VI_ANNOT_SINK_REPEATED_LAST: from the last one (written when the
 *   asset changes, at EOS or at stop)
 * @GST_VI_ANNOT_SINK_REPEATED_ALL: from every frame
 *
 * What viannotsink does with consecutive frames of one asset (a still
 * scene with asset-id, template mode with a lower asset-rate).
 */
typedef enum
{
  GST_VI_ANNOT_SINK_REPEATED_FIRST,
  GST_VI_ANNOT_SINK_REPEATED_LAST,
  GST_VI_ANNOT_SINK_REPEATED_ALL,
} GstViAnnotSinkRepeated;

G_END_DECLS

#endif /* __GST_VI_ANNOT_SINK_H__ */
