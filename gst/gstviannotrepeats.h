/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_REPEATS_H__
#define __GST_VI_ANNOT_REPEATS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

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

#define GST_TYPE_VI_ANNOT_SINK_REPEATED (gst_vi_annot_sink_repeated_get_type ())
G_GNUC_INTERNAL GType gst_vi_annot_sink_repeated_get_type (void);

/* Which frames of an asset are written (viannotsink's repeated-frames,
 * docs/decisions.md, "viannotsink"): the streaming thread asks, for each
 * frame that has an asset,
 *
 * 1. gst_vi_annot_repeats_check() before making the frame's records:
 *    FALSE when they are not needed (first: the asset was written, also
 *    before a seek back, among the last max_recent assets);
 * 2. gst_vi_annot_repeats_due() once they are made: the records held for
 *    an asset this frame ends (last), to be handed to the writer first,
 *    and gst_vi_annot_repeats_written() once the writer took them;
 * 3. gst_vi_annot_repeats_hold() with the frame's records, if it has
 *    any: TRUE when they are held (last), FALSE when they go to the writer
 *    now (first, all).
 *
 * At the end of the stream gst_vi_annot_repeats_get_held() gives what is
 * still held.  A plain structure of the element, used by the streaming
 * thread (and start, stop) only: no lock. */
typedef struct
{
  GstViAnnotSinkRepeated mode;
  guint max_recent;
  gchar *last_asset;            /* of the last frame checked */
  gboolean changed;             /* that frame's asset differs from the
                                 * one before */
  /* first: the assets written, oldest first in recent_order */
  GHashTable *recent;
  GQueue recent_order;
  /* last: the records of the current asset, not written yet */
  gchar *held_asset;
  GPtrArray *held;
} GstViAnnotRepeats;

G_GNUC_INTERNAL
void gst_vi_annot_repeats_init (GstViAnnotRepeats * r, guint max_recent);

G_GNUC_INTERNAL
void gst_vi_annot_repeats_clear (GstViAnnotRepeats * r);

G_GNUC_INTERNAL
void gst_vi_annot_repeats_reset (GstViAnnotRepeats * r,
    GstViAnnotSinkRepeated mode);

G_GNUC_INTERNAL
gboolean gst_vi_annot_repeats_check (GstViAnnotRepeats * r,
    const gchar * asset_id);

G_GNUC_INTERNAL
GPtrArray *gst_vi_annot_repeats_due (GstViAnnotRepeats * r,
    const gchar * asset_id, gboolean has_records);

G_GNUC_INTERNAL
void gst_vi_annot_repeats_written (GstViAnnotRepeats * r);

G_GNUC_INTERNAL
gboolean gst_vi_annot_repeats_hold (GstViAnnotRepeats * r,
    const gchar * asset_id, GPtrArray ** records);

G_GNUC_INTERNAL
GPtrArray *gst_vi_annot_repeats_get_held (GstViAnnotRepeats * r);

G_END_DECLS

#endif /* __GST_VI_ANNOT_REPEATS_H__ */
