/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_FRAME_MAP_H__
#define __GST_VI_ANNOT_FRAME_MAP_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Frame -> asset (docs/decisions.md, "Frame metadata and viannotsrc"), for
 * every element that names the asset of a frame (viannotsrc reads it,
 * viannotsink writes to it): one asset for every frame (asset-id), or the
 * asset of a template filled with the frame's number (asset-id-template,
 * start-number, asset-rate).  The number comes from the buffer's stream time
 * and the caps' framerate, so that seeks, rate changes, decoders and
 * videorate all give the number the frame has in its stream. */

enum
{
  GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID,
  GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID_TEMPLATE,
  GST_VI_ANNOT_FRAME_MAP_PROP_START_NUMBER,
  GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_RATE,
  GST_VI_ANNOT_FRAME_MAP_N_PROPS
};

/* The property values. */
typedef struct
{
  gchar *asset_id;
  gchar *asset_id_template;
  guint start_number;
  gint asset_rate_n;            /* 0/1: one asset per frame */
  gint asset_rate_d;
} GstViAnnotFrameMapProps;

/* Built from the properties in start(), immutable. */
typedef struct _GstViAnnotFrameMap GstViAnnotFrameMap;

typedef enum
{
  GST_VI_ANNOT_FRAME_INDEX_OK,
  /* Before the start of the stream (negative stream time): no asset. */
  GST_VI_ANNOT_FRAME_INDEX_OUTSIDE,
  /* The frame cannot be numbered; the error says why. */
  GST_VI_ANNOT_FRAME_INDEX_FAILED,
} GstViAnnotFrameIndex;

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_props_init (GstViAnnotFrameMapProps * props);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_props_clear (GstViAnnotFrameMapProps * props);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_props_copy (const GstViAnnotFrameMapProps * src,
    GstViAnnotFrameMapProps * dest);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_install_properties (GObjectClass * klass,
    guint first_prop_id);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_set_property (GstViAnnotFrameMapProps * props,
    guint id, const GValue * value);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_get_property (const GstViAnnotFrameMapProps *
    props, guint id, GValue * value);

G_GNUC_INTERNAL
GstViAnnotFrameMap *gst_vi_annot_frame_map_new (const
    GstViAnnotFrameMapProps * props, GError ** error);

G_GNUC_INTERNAL
void gst_vi_annot_frame_map_free (GstViAnnotFrameMap * map);

G_GNUC_INTERNAL
gboolean gst_vi_annot_frame_map_is_template (const GstViAnnotFrameMap * map);

G_GNUC_INTERNAL
const gchar *gst_vi_annot_frame_map_get_asset_id (const GstViAnnotFrameMap *
    map);

G_GNUC_INTERNAL
guint gst_vi_annot_frame_map_get_start_number (const GstViAnnotFrameMap *
    map);

G_GNUC_INTERNAL
gchar *gst_vi_annot_frame_map_format (const GstViAnnotFrameMap * map,
    guint64 index);

G_GNUC_INTERNAL
GstViAnnotFrameIndex gst_vi_annot_frame_map_index (const GstViAnnotFrameMap *
    map, const GstSegment * segment, gint fps_n, gint fps_d,
    GstBuffer * buffer, guint64 * index, GError ** error);

G_GNUC_INTERNAL
gchar *gst_vi_annot_frame_map_to_string (const GstViAnnotFrameMap * map);

G_GNUC_INTERNAL
GstViAnnotFrameIndex gst_vi_annot_frame_map_asset (const GstViAnnotFrameMap *
    map, const GstSegment * segment, gint fps_n, gint fps_d,
    GstBuffer * buffer, guint64 * index, const gchar ** asset_id,
    gchar ** alloc, GError ** error);

G_END_DECLS

#endif /* __GST_VI_ANNOT_FRAME_MAP_H__ */
