/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GSTVIANNOTSET_H__
#define __GSTVIANNOTSET_H__

#include <gst/gst.h>
#include <vi/vi.h>

#include <gst/viannot/gstviannot-prelude.h>

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
GST_VI_ANNOT_API
GType          gst_vi_annot_set_get_type            (void);

GST_VI_ANNOT_API
GstViAnnotSet *gst_vi_annot_set_new                 (const char *dataset_id,
                                                     const char *asset_id);
GST_VI_ANNOT_API
GstViAnnotSet *gst_vi_annot_set_new_from_records    (const char *dataset_id,
                                                     const char *asset_id,
                                                     GPtrArray  *records);
GST_VI_ANNOT_API
GstViAnnotSet *gst_vi_annot_set_new_from_annotations (const char *dataset_id,
                                                     const char *asset_id,
                                                     GPtrArray  *annotations);
/* Builders, only before the set is shared (refcount 1). Return the index. */
GST_VI_ANNOT_API
guint          gst_vi_annot_set_add_caption         (GstViAnnotSet *set,
                                                     const char    *caption);
GST_VI_ANNOT_API
guint          gst_vi_annot_set_add_phrase          (GstViAnnotSet *set,
                                                     guint          caption_index,
                                                     const char    *phrase,
                                                     int            start,
                                                     int            end,
                                                     const ViBBox  *bbox,
                                                     const char    *annotation_id,
                                                     const char    *whole_id);
GST_VI_ANNOT_API
guint          gst_vi_annot_set_add_interaction     (GstViAnnotSet *set,
                                                     const char    *question,
                                                     const char    *answer);
GST_VI_ANNOT_API
GstViAnnotSet *gst_vi_annot_set_ref                 (GstViAnnotSet *set);
GST_VI_ANNOT_API
void           gst_vi_annot_set_unref               (GstViAnnotSet *set);
/* Readers of a set (also reachable through the meta). */
GST_VI_ANNOT_API
const char    *gst_vi_annot_set_get_dataset_id      (GstViAnnotSet *set);
GST_VI_ANNOT_API
const char    *gst_vi_annot_set_get_asset_id        (GstViAnnotSet *set);
GST_VI_ANNOT_API
guint          gst_vi_annot_set_get_n_captions      (GstViAnnotSet *set);
GST_VI_ANNOT_API
guint          gst_vi_annot_set_get_n_phrases       (GstViAnnotSet *set);
GST_VI_ANNOT_API
guint          gst_vi_annot_set_get_n_interactions  (GstViAnnotSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstViAnnotSet, gst_vi_annot_set_unref)

G_END_DECLS

#endif /* __GSTVIANNOTSET_H__ */
