/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_FETCHER_H__
#define __GST_VI_ANNOT_FETCHER_H__

#include "gstviannotconfig.h"
#include "gstviannoterrors.h"
#include "gstviannotframemap.h"
#include "gstviannotstore.h"
#include "gstviannotworker.h"

G_BEGIN_DECLS

/* The dataset provider of a GstViAnnotStore: fetches the annotations of
 * assets through the worker's ViClient (docs/decisions.md, "Frame metadata
 * and viannotsrc").  One asset (fetched at once, refreshed every
 * refresh-interval), or in template mode a window of `prefetch` assets ahead
 * of the current frame with as many requests in flight, in a bounded LRU
 * cache.
 *
 * Outages: a request that fails without an answer (timeout, connection
 * refused, 5xx, 429 after libvi's quick retry) or a frame that waited
 * max-wait in vain starts an outage: one warning on the bus, frames stop
 * waiting (lookups answer UNAVAILABLE), and one request at a time is
 * retried in the background after a growing delay (0.5 s doubling up to
 * 30 s).  The first request that gets an answer ends it, with an info
 * message.  In template mode an asset the API does not know (404) is a
 * frame without annotations. */

G_GNUC_INTERNAL
GstViAnnotStore *gst_vi_annot_fetcher_new (GstElement * element,
    GstViAnnotWorker * worker, const GstViAnnotConfig * config,
    const GstViAnnotFrameMap * map, const GstViAnnotErrorContext * ctx,
    guint page_size, guint prefetch, guint refresh_interval);

G_END_DECLS

#endif /* __GST_VI_ANNOT_FETCHER_H__ */
