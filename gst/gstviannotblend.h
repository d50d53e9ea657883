/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_BLEND_H__
#define __GST_VI_ANNOT_BLEND_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
void     gst_vi_annot_blend_mark_opaque (GstVideoOverlayRectangle * rect,
                                         gboolean solid);

typedef struct _GstViAnnotBlender GstViAnnotBlender;

G_GNUC_INTERNAL
GstViAnnotBlender *gst_vi_annot_blender_new   (void);

G_GNUC_INTERNAL
void               gst_vi_annot_blender_free  (GstViAnnotBlender * blender);

G_GNUC_INTERNAL
gboolean           gst_vi_annot_blender_blend (GstViAnnotBlender * blender,
                                               GstVideoOverlayComposition * comp,
                                               GstVideoFrame * frame);

G_END_DECLS

#endif /* __GST_VI_ANNOT_BLEND_H__ */
