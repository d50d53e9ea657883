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

G_END_DECLS

#endif /* __GST_VI_ANNOT_SINK_H__ */
