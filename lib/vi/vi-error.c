/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-error.h"
#include "vi-error-private.h"

typedef struct {
  guint http_status;
  char *server_message;
  char *trace_id;
  char *location;
  guint line;
} ViErrorPrivate;

static void
vi_error_private_init (ViErrorPrivate *priv)
{
  /* Zeroed by GLib. */
}

static void
vi_error_private_copy (const ViErrorPrivate *src, ViErrorPrivate *dest)
{
  dest->http_status = src->http_status;
  dest->server_message = g_strdup (src->server_message);
  dest->trace_id = g_strdup (src->trace_id);
  dest->location = g_strdup (src->location);
  dest->line = src->line;
}

static void
vi_error_private_clear (ViErrorPrivate *priv)
{
  g_clear_pointer (&priv->server_message, g_free);
  g_clear_pointer (&priv->trace_id, g_free);
  g_clear_pointer (&priv->location, g_free);
}

/* The extended error domain keeps the HTTP details with the GError, so they
 * travel through g_propagate_error and GTask untouched. */
G_DEFINE_EXTENDED_ERROR (ViError, vi_error)

static const ViErrorPrivate *
get_private (const GError *error)
{
  if (error == NULL || error->domain != VI_ERROR)
    return NULL;
  return vi_error_get_private (error);
}

/**
 * vi_error_get_http_status:
 * @error: a #GError
 *
 * Returns: the HTTP status of the response that caused @error, or 0 when
 * @error is not in the %VI_ERROR domain or did not come from a response
 */
guint
vi_error_get_http_status (const GError *error)
{
  const ViErrorPrivate *priv = get_private (error);

  return priv ? priv->http_status : 0;
}

/**
 * vi_error_get_server_message:
 * @error: a #GError
 *
 * Returns: (nullable): the `message` (or `error`) member of the server's
 * error body, if there was one
 */
const char *
vi_error_get_server_message (const GError *error)
{
  const ViErrorPrivate *priv = get_private (error);

  return priv ? priv->server_message : NULL;
}

/**
 * vi_error_get_trace_id:
 * @error: a #GError
 *
 * Returns: (nullable): the trace id of the failed request (from the
 * `x-cloud-trace-context` response header), if the server sent one
 */
const char *
vi_error_get_trace_id (const GError *error)
{
  const ViErrorPrivate *priv = get_private (error);

  return priv ? priv->trace_id : NULL;
}

/**
 * vi_error_get_location:
 * @error: a #GError
 *
 * Returns: (nullable): for %VI_ERROR_INVALID_DATA, the file (or stream name)
 * the bad data came from
 */
const char *
vi_error_get_location (const GError *error)
{
  const ViErrorPrivate *priv = get_private (error);

  return priv ? priv->location : NULL;
}

/**
 * vi_error_get_line:
 * @error: a #GError
 *
 * Returns: for %VI_ERROR_INVALID_DATA, the 1-based line number of the bad
 * line, or 0
 */
guint
vi_error_get_line (const GError *error)
{
  const ViErrorPrivate *priv = get_private (error);

  return priv ? priv->line : 0;
}

void
vi_error_set_http_details (GError     *error,
                           guint       http_status,
                           const char *server_message,
                           const char *trace_id)
{
  ViErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == VI_ERROR);

  priv = vi_error_get_private (error);
  priv->http_status = http_status;
  if (server_message != NULL) {
    g_free (priv->server_message);
    priv->server_message = g_strdup (server_message);
  }
  if (trace_id != NULL) {
    g_free (priv->trace_id);
    priv->trace_id = g_strdup (trace_id);
  }
}

void
vi_error_set_file_details (GError *error, const char *location, guint line)
{
  ViErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == VI_ERROR);

  priv = vi_error_get_private (error);
  g_free (priv->location);
  priv->location = g_strdup (location);
  priv->line = line;
}
