/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <gio/gio.h>

#include "gstviannoterrors.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* The retries of an outage: after about 0.5 s, doubling up to 30 s. */
#define FIRST_BACKOFF_MS 500
#define MAX_BACKOFF_MS 30000

/* Whether the service may well answer if asked again later: it did not
 * answer (timeout, connection refused or dropped), was overloaded (5xx,
 * 429), or the network failed.  Those make an outage, retried in the
 * background; everything else is an answer (401, 403, 404, 400, a
 * malformed body) and goes by on-error. */
gboolean
gst_vi_annot_error_is_transient (const GError * error)
{
  if (error == NULL)
    return FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return TRUE;
  if (error->domain != VI_ERROR)
    return FALSE;

  switch (error->code) {
    case VI_ERROR_TIMEOUT:
    case VI_ERROR_NETWORK:
    case VI_ERROR_SERVER:
    case VI_ERROR_RATE_LIMITED:
      return TRUE;
    default:
      return FALSE;
  }
}

GstStructure *
gst_vi_annot_error_details (const GError * error, const gchar * asset_id)
{
  guint status = 0;
  gint code = -1;

  if (error != NULL && error->domain == VI_ERROR) {
    status = vi_error_get_http_status (error);
    code = error->code;
  }
  return gst_structure_new ("details",
      "http-status-code", G_TYPE_UINT, status,
      "vi-error-code", G_TYPE_INT, code,
      "asset-id", G_TYPE_STRING, asset_id, NULL);
}

static gboolean
is_vi_error (const GError * error, gint code, guint status)
{
  return (error->domain == VI_ERROR && error->code == code) ||
      (status != 0 && error->domain == VI_ERROR &&
      vi_error_get_http_status (error) == status);
}

static gchar *
request_debug (const GError * error, const gchar * asset_id,
    const GstViAnnotErrorContext * ctx)
{
  guint status = 0;
  const gchar *server_message = NULL;

  if (error->domain == VI_ERROR) {
    status = vi_error_get_http_status (error);
    server_message = vi_error_get_server_message (error);
  }
  if (ctx->config == NULL)
    return g_strdup_printf ("%s (file %s, asset %s)", error->message,
        ctx->location, asset_id ? asset_id : "(none)");

  return g_strdup_printf ("%s (HTTP status %u, server message: %s; %s; "
      "dataset %s, asset %s)", error->message, status,
      server_message ? server_message : "none",
      ctx->service ? ctx->service : "no client",
      ctx->config->dataset_id ? ctx->config->dataset_id : "(none)",
      asset_id ? asset_id : "(none)");
}

/* Maps a request's error to an element error (or warning) and posts it.
 * Must not be called with a lock a bus handler could want. */
void
gst_vi_annot_post_request_error (GstElement * element, GstMessageType type,
    const GError * error, const gchar * asset_id,
    const GstViAnnotErrorContext * ctx)
{
  const GstViAnnotConfig *cfg = ctx->config;
  GstResourceError code;
  gchar *text, *origin;

  if (cfg == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
        g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      text = g_strdup_printf (_("Could not open \"%s\"."), ctx->location);
    } else if (is_vi_error (error, VI_ERROR_NOT_FOUND, 0)) {
      /* The local provider says which asset and why. */
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      text = g_strdup (error->message);
    } else {
      code = GST_RESOURCE_ERROR_READ;
      text = g_strdup_printf (_("Could not read the annotations of \"%s\"."),
          ctx->location);
    }
  } else if (is_vi_error (error, VI_ERROR_AUTHENTICATION, 401)) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    origin = gst_vi_annot_config_describe_origin (cfg,
        GST_VI_ANNOT_CREDENTIAL_SECRET_KEY);
    text = g_strdup_printf (_("The Vi API refused the secret key from %s: "
            "check it."), origin);
    g_free (origin);
  } else if (is_vi_error (error, VI_ERROR_PERMISSION, 403)) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    origin = gst_vi_annot_config_describe_origin (cfg,
        GST_VI_ANNOT_CREDENTIAL_ORGANIZATION_ID);
    text = g_strdup_printf (_("The secret key may not %s dataset \"%s\": "
            "check organization-id (from %s) and the key's permissions."),
        ctx->access, cfg->dataset_id, origin);
    g_free (origin);
  } else if (is_vi_error (error, VI_ERROR_NOT_FOUND, 404)) {
    code = GST_RESOURCE_ERROR_NOT_FOUND;
    /* Without an asset, the request was about the dataset alone. */
    if (asset_id == NULL)
      text = g_strdup_printf (_("Dataset \"%s\" not found: check dataset-id "
              "(and organization-id)."), cfg->dataset_id);
    else
      text = g_strdup_printf (_("Dataset \"%s\" or asset \"%s\" not found: "
              "check dataset-id and %s."), cfg->dataset_id, asset_id,
          ctx->asset_property);
  } else if (asset_id == NULL) {
    code = ctx->io_error;
    text = g_strdup_printf (_("Could not %s dataset \"%s\"."), ctx->action,
        cfg->dataset_id);
  } else {
    code = ctx->io_error;
    text = g_strdup_printf (_("Could not %s asset \"%s\" of dataset \"%s\"."),
        ctx->action, asset_id, cfg->dataset_id);
  }

  gst_element_message_full_with_details (element, type, GST_RESOURCE_ERROR,
      code, text, request_debug (error, asset_id, ctx), __FILE__,
      GST_FUNCTION, __LINE__, gst_vi_annot_error_details (error, asset_id));
}

/* For errors made by the layer itself (configuration, frame numbering),
 * whose message is already the user's text. */
void
gst_vi_annot_post_gerror (GstElement * element, GstMessageType type,
    const GError * error, const gchar * debug)
{
  gst_element_message_full (element, type, error->domain, error->code,
      g_strdup (error->message), g_strdup (debug), __FILE__, GST_FUNCTION,
      __LINE__);
}

/* The client could not be made from the credentials (start()): which
 * value came from where, never the key. */
void
gst_vi_annot_post_client_error (GstElement * element,
    const GstViAnnotConfig * cfg, const GError * error)
{
  gchar *key = gst_vi_annot_config_describe_origin (cfg,
      GST_VI_ANNOT_CREDENTIAL_SECRET_KEY);
  gchar *org = gst_vi_annot_config_describe_origin (cfg,
      GST_VI_ANNOT_CREDENTIAL_ORGANIZATION_ID);
  gchar *text = g_strdup_printf (_("Could not set up the Vi API client: %s "
          "(secret key from %s, organization id from %s)."), error->message,
      key,
      org);

  gst_element_message_full (element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, text,
      gst_vi_annot_config_describe (cfg, NULL), __FILE__, GST_FUNCTION,
      __LINE__);
  g_free (key);
  g_free (org);
}

/* The warning of an outage: viannotsrc's annotations are late and frames
 * no longer wait for them; viannotsink's uploads wait in the spool. */
GstMessage *
gst_vi_annot_outage_message_new (GstElement * element, const gchar * why,
    const GError * error, const gchar * asset_id,
    const GstViAnnotErrorContext * ctx)
{
  GError *gerror;
  gchar *debug;
  GstMessage *msg;

  if (ctx->write)
    gerror = g_error_new (GST_RESOURCE_ERROR, ctx->io_error,
        _("Uploads to dataset \"%s\" are held up: %s. The annotations wait "
            "in the spool and are sent when the Vi API answers again; "
            "retrying in the background."), ctx->config->dataset_id, why);
  else
    gerror = g_error_new (GST_RESOURCE_ERROR, ctx->io_error,
        _("Annotations of dataset \"%s\" are late: %s. Frames pass without "
            "them until the Vi API answers again; retrying in the background."),
        ctx->config->dataset_id, why);
  debug = error != NULL ? request_debug (error, asset_id, ctx) :
      g_strdup_printf ("%s; dataset %s, asset %s", ctx->service ?
      ctx->service : "no client", ctx->config->dataset_id,
      asset_id ? asset_id : "(none)");
  msg = gst_message_new_warning_with_details (GST_OBJECT_CAST (element),
      gerror, debug, gst_vi_annot_error_details (error, asset_id));
  g_error_free (gerror);
  g_free (debug);

  return msg;
}

/* The info message at the end of an outage, with how long it lasted and
 * a count of what it cost (viannotsrc: frames-missed) or left to do
 * (viannotsink: pending). */
GstMessage *
gst_vi_annot_back_message_new (GstElement * element, gint64 outage_us,
    const gchar * count_name, guint64 count, const GstViAnnotErrorContext * ctx)
{
  GError *gerror;
  GstMessage *msg;

  if (ctx->write)
    gerror = g_error_new (GST_RESOURCE_ERROR, ctx->io_error,
        _("Uploads to dataset \"%s\" are going again: the Vi API answered "
            "after %.1f s."), ctx->config->dataset_id, outage_us / 1e6);
  else
    gerror = g_error_new (GST_RESOURCE_ERROR, ctx->io_error,
        _("Annotations of dataset \"%s\" are back: the Vi API answered again "
            "after %.1f s."), ctx->config->dataset_id, outage_us / 1e6);
  msg = gst_message_new_info_with_details (GST_OBJECT_CAST (element),
      gerror, ctx->service, gst_structure_new ("details",
          "outage-milliseconds", G_TYPE_UINT64,
          (guint64) (outage_us / 1000), count_name, G_TYPE_UINT64, count,
          NULL));
  g_error_free (gerror);

  return msg;
}

void
gst_vi_annot_outage_init (GstViAnnotOutage * outage)
{
  outage->active = FALSE;
  outage->start = 0;
  outage->backoff_ms = FIRST_BACKOFF_MS;
  outage->count = 0;
}

/* The service did not answer: returns TRUE if that starts an outage
 * (the caller posts the warning then). */
gboolean
gst_vi_annot_outage_begin (GstViAnnotOutage * outage)
{
  if (outage->active)
    return FALSE;
  outage->active = TRUE;
  outage->start = g_get_monotonic_time ();
  outage->count++;
  return TRUE;
}

/* The service answered: the next outage's retries start short again.
 * Returns TRUE if that ends an outage, with its duration. */
gboolean
gst_vi_annot_outage_end (GstViAnnotOutage * outage, gint64 * duration_us)
{
  outage->backoff_ms = FIRST_BACKOFF_MS;
  if (!outage->active)
    return FALSE;
  outage->active = FALSE;
  if (duration_us != NULL)
    *duration_us = g_get_monotonic_time () - outage->start;
  return TRUE;
}

/* The delay before the next request of an outage: about backoff_ms,
 * growing from 0.5 s to 30 s, with jitter so that many elements do not
 * retry in step. */
guint
gst_vi_annot_outage_next_delay (GstViAnnotOutage * outage)
{
  guint delay = outage->backoff_ms / 2 + g_random_int_range (0,
      outage->backoff_ms / 2 + 1);

  outage->backoff_ms = MIN (outage->backoff_ms * 2, MAX_BACKOFF_MS);
  return delay;
}

/* What an element does with an error on a frame: with @warn (on-error),
 * one warning per run (*@warned) and the frame goes on, GST_FLOW_OK;
 * else an error that stops the stream (*@error_posted), GST_FLOW_ERROR.
 * With @ctx, @error is a request's (about @asset_id) and is worded as
 * gst_vi_annot_post_request_error() does; else it is posted as it is. */
GstFlowReturn
gst_vi_annot_fail_or_warn (GstElement * element, gboolean warn,
    gboolean * warned, gboolean * error_posted, const GError * error,
    const gchar * asset_id, const GstViAnnotErrorContext * ctx)
{
  GstMessageType type = warn ? GST_MESSAGE_WARNING : GST_MESSAGE_ERROR;

  if (warn && *warned)
    return GST_FLOW_OK;
  if (ctx != NULL)
    gst_vi_annot_post_request_error (element, type, error, asset_id, ctx);
  else
    gst_vi_annot_post_gerror (element, type, error, NULL);
  if (warn) {
    *warned = TRUE;
    return GST_FLOW_OK;
  }
  *error_posted = TRUE;
  return GST_FLOW_ERROR;
}
