/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_RECORDS_H__
#define __GST_VI_ANNOT_RECORDS_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <vi/vi.h>

G_BEGIN_DECLS

/* What a frame says, as JSONL records in the reference's flat form
 * (docs/decisions.md, "viannotsink"), for viannotsink:
 *
 * - a frame with a GstViAnnotMeta gives one record per caption, with the
 *   caption's grounded phrases ordered by their spans, and one record with
 *   the VQA interactions; boxes normalized exactly as the meta has them
 *   (a crop meta applied);
 * - otherwise its ROI metas give one record: a phrase per ROI meta (its
 *   `detection` label, else its roi_type; its normalized `detection` box,
 *   else its pixels normalized by the frame's size), those under the
 *   minimum confidence left out, with the caption of the caption property
 *   or one built from the labels ("car, person and dog").
 *
 * Spans are libvi's (vi_jsonl_record_compute_spans()): the flat form has
 * none, the service finds each phrase from the previous one's start. */

typedef struct
{
  /* The caption property: the caption of frames that have none. */
  const gchar *caption;
  gdouble min_confidence;
} GstViAnnotRecordOptions;

typedef struct
{
  /* Labels that are not in the caption of their frame (caption property):
   * written without those boxes. */
  guint64 phrases_unplaced;
  /* Phrases of a GstViAnnotMeta whose span is not the one the flat form
   * gives back (a phrase pointing at a later occurrence of its text). */
  guint64 spans_changed;
} GstViAnnotRecordCounts;

G_GNUC_INTERNAL
const gchar *gst_vi_annot_records_meta_asset (GstBuffer * buffer);

G_GNUC_INTERNAL
guint gst_vi_annot_records_from_frame (GstBuffer * buffer,
    const GstVideoInfo * info, const gchar * asset_id,
    const GstViAnnotRecordOptions * options, GArray * scratch,
    GPtrArray * records, GstViAnnotRecordCounts * counts);

G_GNUC_INTERNAL
gchar *gst_vi_annot_caption_from_labels (const gchar * const *labels,
    guint n_labels);

G_END_DECLS

#endif /* __GST_VI_ANNOT_RECORDS_H__ */
