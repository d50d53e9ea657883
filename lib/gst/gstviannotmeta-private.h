/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* Internals shared by the parts of libgstviannot: the set
 * (gstviannotset.c), GstViAnnotMeta (gstviannotmeta.c) and viannot's own
 * implementation of the ROI meta API (gstviannotroimeta.c).  Not
 * installed. */
#pragma once

#include "gstviannotmeta.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_vi_annot_meta_debug);

G_GNUC_INTERNAL
void gst_vi_annot_meta_debug_init (void);

typedef struct
{
  char *phrase;
  guint caption;
  int start;
  int end;
  ViBBox bbox;
  char *annotation_id;
  char *whole_id;
} GstViAnnotPhrase;

typedef struct
{
  char *question;
  char *answer;
} GstViAnnotInteraction;

struct _GstViAnnotSet
{
  gint ref_count;
  /* Set once the set has been shared (ref'd or attached to a buffer);
   * builders refuse to change it from then on. */
  gint frozen;

  char *dataset_id;
  char *asset_id;
  GPtrArray *captions;          /* char * */
  GArray *phrases;              /* GstViAnnotPhrase */
  GArray *interactions;         /* GstViAnnotInteraction */

  /* What the ROI metas of the set share, built once, on the first frame
   * that needs them (gstviannotroimeta.c): the roi_type of each phrase
   * and its two parameter structures, made immutable by giving them
   * roi_params_refcount (never 1) as parent refcount.  Every ROI meta of
   * every frame points to them instead of holding copies. */
  gsize roi_ready;
  gint roi_params_refcount;
  GQuark *roi_types;            /* one per phrase */
  GstStructure **roi_params;    /* two per phrase */
};

/* What a transform does to the metas viannot attaches; one rule for
 * GstViAnnotMeta and the ROI metas, so that one is never kept where the
 * other is dropped. */
typedef enum
{
  GST_VI_ANNOT_TRANSFORM_DROP,
  /* Same picture, same geometry (a copy). */
  GST_VI_ANNOT_TRANSFORM_COPY,
  /* Same picture, filling the whole output frame of *out_info (a scale
   * or format conversion that keeps the display aspect ratio). */
  GST_VI_ANNOT_TRANSFORM_SCALE,
} GstViAnnotTransform;

G_GNUC_INTERNAL
GstViAnnotTransform gst_vi_annot_transform_classify (GQuark type,
                                                     gpointer data,
                                                     const GstVideoInfo **out_info);

G_END_DECLS
