/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_LOCAL_H__
#define __GST_VI_ANNOT_LOCAL_H__

#include "gstviannotframemap.h"
#include "gstviannotstore.h"
#include "gstviannotworker.h"

G_BEGIN_DECLS

/* The local-file provider of a GstViAnnotStore (docs/decisions.md, "Frame
 * metadata and viannotsrc"): reads a JSONL file of any form libvi reads, on
 * the worker, into an immutable table of annotation sets, read again every
 * refresh-interval.  No account, no network.
 *
 * Invalid lines are skipped and reported: one warning per load with their
 * count and the first reasons (file:line), and an asset whose lines were
 * all invalid says so when a frame asks for it. */

G_GNUC_INTERNAL
GstViAnnotStore *gst_vi_annot_local_new (GstElement * element,
    GstViAnnotWorker * worker, const gchar * location,
    const GstViAnnotFrameMap * map, guint refresh_interval);

G_END_DECLS

#endif /* __GST_VI_ANNOT_LOCAL_H__ */
