/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_SRC_H__
#define __GST_VI_ANNOT_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_VI_ANNOT_SRC (gst_vi_annot_src_get_type ())
G_DECLARE_FINAL_TYPE (GstViAnnotSrc, gst_vi_annot_src, GST, VI_ANNOT_SRC,
    GstBaseTransform)

G_END_DECLS

#endif /* __GST_VI_ANNOT_SRC_H__ */
