/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GSTVIANNOTMETA_H__
#define __GSTVIANNOTMETA_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <vi/vi.h>

#include <gst/viannot/gstviannot-prelude.h>
#include <gst/viannot/gstviannotset.h>

G_BEGIN_DECLS

/**
 * GstViAnnotMeta:
 * @meta: the parent #GstMeta
 *
 * Dataset annotations on one frame (docs/decisions.md, "Frame metadata and
 * viannotsrc").  Boxes are kept normalized; pixels are derived when read,
 * from the geometry of the frame being looked at.  Survives copies, scaling
 * and format conversion exactly; crop, flip, rotation and added borders
 * transform it correctly or drop it.
 */
typedef struct {
  GstMeta meta;

  /*< private >*/
  GstViAnnotSet *set;
  gpointer _gst_reserved[GST_PADDING];
} GstViAnnotMeta;

#define GST_VI_ANNOT_META_API_TYPE (gst_vi_annot_meta_api_get_type ())
#define GST_VI_ANNOT_META_INFO (gst_vi_annot_meta_get_info ())

GST_VI_ANNOT_API
GType             gst_vi_annot_meta_api_get_type       (void);
GST_VI_ANNOT_API
const GstMetaInfo *gst_vi_annot_meta_get_info          (void);

GST_VI_ANNOT_API
GstViAnnotMeta *gst_buffer_add_vi_annot_meta           (GstBuffer     *buffer,
                                                        GstViAnnotSet *set);
GST_VI_ANNOT_API
GstViAnnotMeta *gst_buffer_get_vi_annot_meta           (GstBuffer     *buffer);
/* For bindings: attach to the buffer of a pad probe, making it writable. */
GST_VI_ANNOT_API
GstViAnnotMeta *gst_vi_annot_pad_probe_info_add_meta   (GstPadProbeInfo *info,
                                                        GstViAnnotSet   *set);

GST_VI_ANNOT_API
GstViAnnotSet  *gst_vi_annot_meta_get_set              (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_dataset_id       (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_asset_id         (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
guint           gst_vi_annot_meta_get_n_captions       (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_caption          (GstViAnnotMeta *meta,
                                                        guint           index);
GST_VI_ANNOT_API
guint           gst_vi_annot_meta_get_n_phrases        (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_phrase           (GstViAnnotMeta *meta,
                                                        guint           index);
GST_VI_ANNOT_API
guint           gst_vi_annot_meta_get_phrase_caption   (GstViAnnotMeta *meta,
                                                        guint           index);
GST_VI_ANNOT_API
gboolean        gst_vi_annot_meta_get_phrase_span      (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        int            *start,
                                                        int            *end);
GST_VI_ANNOT_API
void            gst_vi_annot_meta_get_phrase_bbox      (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        ViBBox         *bbox);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_phrase_annotation_id (GstViAnnotMeta *meta,
                                                        guint           index);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_phrase_whole_id  (GstViAnnotMeta *meta,
                                                        guint           index);
/* The box in pixels of a frame described by info / caps. */
GST_VI_ANNOT_API
void            gst_vi_annot_meta_get_phrase_pixels    (GstViAnnotMeta     *meta,
                                                        guint               index,
                                                        const GstVideoInfo *info,
                                                        ViPixelBox         *box);
GST_VI_ANNOT_API
gboolean        gst_vi_annot_meta_get_phrase_pixels_for_caps (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        GstCaps        *caps,
                                                        ViPixelBox     *box);
/* Honours a GstVideoCropMeta on the buffer (videocrop towards elements
 * that accept crop metas). */
GST_VI_ANNOT_API
gboolean        gst_vi_annot_meta_get_phrase_pixels_for_buffer (GstViAnnotMeta     *meta,
                                                        guint               index,
                                                        GstBuffer          *buffer,
                                                        const GstVideoInfo *info,
                                                        ViPixelBox         *box);
GST_VI_ANNOT_API
guint           gst_vi_annot_meta_get_n_interactions   (GstViAnnotMeta *meta);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_question         (GstViAnnotMeta *meta,
                                                        guint           index);
GST_VI_ANNOT_API
const char     *gst_vi_annot_meta_get_answer           (GstViAnnotMeta *meta,
                                                        guint           index);

/* ROI metas for interoperability (docs/decisions.md, "Frame metadata and
 * viannotsrc"): one GstVideoRegionOfInterestMeta per box in pixels of info,
 * roi_type the phrase, with params "vi/annotation" and "detection", kept
 * exact through scaling and conversion and removed wherever GstViAnnotMeta
 * is.  Returns how many were added. */
GST_VI_ANNOT_API
guint           gst_vi_annot_meta_add_roi_metas        (GstViAnnotMeta     *meta,
                                                        GstBuffer          *buffer,
                                                        const GstVideoInfo *info);
/* The implementation behind those ROI metas (their meta.info). */
GST_VI_ANNOT_API
const GstMetaInfo *gst_vi_annot_roi_meta_get_info      (void);
#define GST_VI_ANNOT_ROI_META_INFO (gst_vi_annot_roi_meta_get_info ())

G_END_DECLS

#endif /* __GSTVIANNOTMETA_H__ */
