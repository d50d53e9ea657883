/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <vi/vi.h>

G_BEGIN_DECLS

/**
 * GstViAnnotSet:
 *
 * The annotations of one asset, as attached to frames: captions, grounded
 * phrases (text, span in the caption, normalized box, annotation ids) and
 * VQA interactions.  Immutable once built and refcounted, so that every
 * frame of an asset shares one set and a refresh swaps sets atomically.
 */
typedef struct _GstViAnnotSet GstViAnnotSet;

#define GST_TYPE_VI_ANNOT_SET (gst_vi_annot_set_get_type ())
GType          gst_vi_annot_set_get_type            (void);

GstViAnnotSet *gst_vi_annot_set_new                 (const char *dataset_id,
                                                     const char *asset_id);
GstViAnnotSet *gst_vi_annot_set_new_from_records    (const char *dataset_id,
                                                     const char *asset_id,
                                                     GPtrArray  *records);
GstViAnnotSet *gst_vi_annot_set_new_from_annotations (const char *dataset_id,
                                                     const char *asset_id,
                                                     GPtrArray  *annotations);
/* Builders, only before the set is shared (refcount 1). Return the index. */
guint          gst_vi_annot_set_add_caption         (GstViAnnotSet *set,
                                                     const char    *caption);
guint          gst_vi_annot_set_add_phrase          (GstViAnnotSet *set,
                                                     guint          caption_index,
                                                     const char    *phrase,
                                                     int            start,
                                                     int            end,
                                                     const ViBBox  *bbox,
                                                     const char    *annotation_id,
                                                     const char    *whole_id);
guint          gst_vi_annot_set_add_interaction     (GstViAnnotSet *set,
                                                     const char    *question,
                                                     const char    *answer);
GstViAnnotSet *gst_vi_annot_set_ref                 (GstViAnnotSet *set);
void           gst_vi_annot_set_unref               (GstViAnnotSet *set);
/* Readers of a set (also reachable through the meta). */
const char    *gst_vi_annot_set_get_dataset_id      (GstViAnnotSet *set);
const char    *gst_vi_annot_set_get_asset_id        (GstViAnnotSet *set);
guint          gst_vi_annot_set_get_n_captions      (GstViAnnotSet *set);
guint          gst_vi_annot_set_get_n_phrases       (GstViAnnotSet *set);
guint          gst_vi_annot_set_get_n_interactions  (GstViAnnotSet *set);

/**
 * GstViAnnotMeta:
 * @meta: the parent #GstMeta
 *
 * Dataset annotations on one frame (design.md M-1).  Boxes are kept
 * normalized; pixels are derived when read, from the geometry of the frame
 * being looked at.  Survives copies, scaling and format conversion exactly;
 * crop, flip, rotation and added borders transform it correctly or drop
 * it.
 */
typedef struct {
  GstMeta meta;

  /*< private >*/
  GstViAnnotSet *set;
  gpointer _gst_reserved[GST_PADDING];
} GstViAnnotMeta;

#define GST_VI_ANNOT_META_API_TYPE (gst_vi_annot_meta_api_get_type ())
#define GST_VI_ANNOT_META_INFO (gst_vi_annot_meta_get_info ())

GType             gst_vi_annot_meta_api_get_type       (void);
const GstMetaInfo *gst_vi_annot_meta_get_info          (void);

GstViAnnotMeta *gst_buffer_add_vi_annot_meta           (GstBuffer     *buffer,
                                                        GstViAnnotSet *set);
GstViAnnotMeta *gst_buffer_get_vi_annot_meta           (GstBuffer     *buffer);
/* For bindings: attach to the buffer of a pad probe, making it writable. */
GstViAnnotMeta *gst_vi_annot_pad_probe_info_add_meta   (GstPadProbeInfo *info,
                                                        GstViAnnotSet   *set);

GstViAnnotSet  *gst_vi_annot_meta_get_set              (GstViAnnotMeta *meta);
const char     *gst_vi_annot_meta_get_dataset_id       (GstViAnnotMeta *meta);
const char     *gst_vi_annot_meta_get_asset_id         (GstViAnnotMeta *meta);
guint           gst_vi_annot_meta_get_n_captions       (GstViAnnotMeta *meta);
const char     *gst_vi_annot_meta_get_caption          (GstViAnnotMeta *meta,
                                                        guint           index);
guint           gst_vi_annot_meta_get_n_phrases        (GstViAnnotMeta *meta);
const char     *gst_vi_annot_meta_get_phrase           (GstViAnnotMeta *meta,
                                                        guint           index);
guint           gst_vi_annot_meta_get_phrase_caption   (GstViAnnotMeta *meta,
                                                        guint           index);
gboolean        gst_vi_annot_meta_get_phrase_span      (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        int            *start,
                                                        int            *end);
void            gst_vi_annot_meta_get_phrase_bbox      (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        ViBBox         *bbox);
const char     *gst_vi_annot_meta_get_phrase_annotation_id (GstViAnnotMeta *meta,
                                                        guint           index);
const char     *gst_vi_annot_meta_get_phrase_whole_id  (GstViAnnotMeta *meta,
                                                        guint           index);
/* The box in pixels of a frame described by info / caps. */
void            gst_vi_annot_meta_get_phrase_pixels    (GstViAnnotMeta     *meta,
                                                        guint               index,
                                                        const GstVideoInfo *info,
                                                        ViPixelBox         *box);
gboolean        gst_vi_annot_meta_get_phrase_pixels_for_caps (GstViAnnotMeta *meta,
                                                        guint           index,
                                                        GstCaps        *caps,
                                                        ViPixelBox     *box);
/* Honours a GstVideoCropMeta on the buffer (videocrop towards elements
 * that accept crop metas). */
gboolean        gst_vi_annot_meta_get_phrase_pixels_for_buffer (GstViAnnotMeta     *meta,
                                                        guint               index,
                                                        GstBuffer          *buffer,
                                                        const GstVideoInfo *info,
                                                        ViPixelBox         *box);
guint           gst_vi_annot_meta_get_n_interactions   (GstViAnnotMeta *meta);
const char     *gst_vi_annot_meta_get_question         (GstViAnnotMeta *meta,
                                                        guint           index);
const char     *gst_vi_annot_meta_get_answer           (GstViAnnotMeta *meta,
                                                        guint           index);

/* ROI metas for interoperability (design.md M-2): one
 * GstVideoRegionOfInterestMeta per box in pixels of info, roi_type the
 * phrase, with params "vi/annotation" and "detection", kept exact through
 * scaling and conversion and removed wherever GstViAnnotMeta is.  Returns
 * how many were added. */
guint           gst_vi_annot_meta_add_roi_metas        (GstViAnnotMeta     *meta,
                                                        GstBuffer          *buffer,
                                                        const GstVideoInfo *info);
/* The implementation behind those ROI metas (their meta.info). */
const GstMetaInfo *gst_vi_annot_roi_meta_get_info      (void);
#define GST_VI_ANNOT_ROI_META_INFO (gst_vi_annot_roi_meta_get_info ())

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstViAnnotSet, gst_vi_annot_set_unref)

G_END_DECLS
