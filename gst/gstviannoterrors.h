/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_ERRORS_H__
#define __GST_VI_ANNOT_ERRORS_H__

#include <gst/gst.h>
#include <vi/vi.h>

#include "gstviannotconfig.h"

G_BEGIN_DECLS

/* GError (libvi, GIO, a local file) -> element error, warning or info
 * (docs/decisions.md, "Frame metadata and viannotsrc"): a user message naming
 * what to check, with the real origin of the credential; a debug string with
 * the server's message and where the request went (never the key); and a
 * details structure with `http-status-code`, `vi-error-code` and `asset-id`. */

typedef struct
{
  /* Dataset mode: the element's configuration snapshot; NULL for a local
   * file. */
  const GstViAnnotConfig *config;
  /* Where requests go and where the credentials came from, as
   * gst_vi_annot_config_describe() says once the client exists; may be
   * NULL. */
  const gchar *service;
  /* File mode: the file. */
  const gchar *location;
  /* The property that named the asset ("asset-id", "asset-id-template"). */
  const gchar *asset_property;
  /* What was being done, for the generic text: "fetch the annotations of"
   * (viannotsrc), "upload annotations to" (viannotsink). */
  const gchar *action;
  /* What the key needs on the dataset: "read", "write to". */
  const gchar *access;
  /* The code of failures that are neither auth nor not-found. */
  GstResourceError io_error;
  /* TRUE for an element that writes to the dataset (viannotsink): the
   * outage texts speak of uploads waiting in the spool, not of frames
   * passing without annotations. */
  gboolean write;
} GstViAnnotErrorContext;

/* The state of an outage (the outage rule of docs/decisions.md): whether
 * the service is out, since when, and how long until the next request.
 * Guarded by whatever guards its owner. */
typedef struct
{
  gboolean active;
  gint64 start;                 /* monotonic, us */
  guint backoff_ms;             /* the next delay is about this long */
  guint count;                  /* outages since reset */
} GstViAnnotOutage;

G_GNUC_INTERNAL
gboolean gst_vi_annot_error_is_transient (const GError * error);

G_GNUC_INTERNAL
GstStructure *gst_vi_annot_error_details (const GError * error,
    const gchar * asset_id);

G_GNUC_INTERNAL
void gst_vi_annot_post_request_error (GstElement * element,
    GstMessageType type, const GError * error, const gchar * asset_id,
    const GstViAnnotErrorContext * ctx);

G_GNUC_INTERNAL
void gst_vi_annot_post_gerror (GstElement * element, GstMessageType type,
    const GError * error, const gchar * debug);

/* On-error for a frame: TRUE for warn, FALSE for an error; what the
 * element keeps from run to run. */
G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_fail_or_warn (GstElement * element, gboolean warn,
    gboolean * warned, gboolean * error_posted, const GError * error,
    const gchar * asset_id, const GstViAnnotErrorContext * ctx);

G_GNUC_INTERNAL
void gst_vi_annot_post_client_error (GstElement * element,
    const GstViAnnotConfig * cfg, const GError * error);

G_GNUC_INTERNAL
GstMessage *gst_vi_annot_outage_message_new (GstElement * element,
    const gchar * why, const GError * error, const gchar * asset_id,
    const GstViAnnotErrorContext * ctx);

G_GNUC_INTERNAL
GstMessage *gst_vi_annot_back_message_new (GstElement * element,
    gint64 outage_us, const gchar * count_name, guint64 count,
    const GstViAnnotErrorContext * ctx);

G_GNUC_INTERNAL
void gst_vi_annot_outage_init (GstViAnnotOutage * outage);

G_GNUC_INTERNAL
gboolean gst_vi_annot_outage_begin (GstViAnnotOutage * outage);

G_GNUC_INTERNAL
gboolean gst_vi_annot_outage_end (GstViAnnotOutage * outage,
    gint64 * duration_us);

G_GNUC_INTERNAL
guint gst_vi_annot_outage_next_delay (GstViAnnotOutage * outage);

G_END_DECLS

#endif /* __GST_VI_ANNOT_ERRORS_H__ */
