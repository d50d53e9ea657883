/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * What a request that failed for good reports: an HTTP error status as the
 * VI_ERROR code and advice for what the request was about (with the
 * server's own message, cut short, and the trace id), or a failure below
 * HTTP as a timeout or a network error.
 */
#include "config.h"

#include <string.h>

#include "vi-http-private.h"
#include "vi-error-private.h"
#include "vi-json-private.h"
#include "vi-text-private.h"

/* A server's message as errors carry it: at most MAX_SERVER_MESSAGE
 * characters (the body is the server's, or anyone's on the path). */
#define MAX_SERVER_MESSAGE 1000

/* The message of an error body: its "message" (else "error") member when
 * it is a JSON object, else a short excerpt of the text.  The body comes
 * from anyone on the path, so it is parsed with the limits of every JSON
 * the library reads (a small size, the usual depth). */
static char *
server_message_from_body (guint status, GBytes *body)
{
  gsize       len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (data == NULL || len == 0)
    return NULL;

  root = vi_json_parse_data (data, len, VI_JSON_MAX_ERROR_BODY_SIZE,
                             VI_ERROR_INVALID_RESPONSE, "error body", NULL);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *obj = json_node_get_object (root);
    const char *members[] = { "message", "error" };

    for (guint i = 0; i < G_N_ELEMENTS (members); i++) {
      JsonNode *m = json_object_get_member (obj, members[i]);
      if (m != NULL && JSON_NODE_HOLDS_VALUE (m) &&
          json_node_get_value_type (m) == G_TYPE_STRING)
        return _vi_text_excerpt (json_node_get_string (m), -1,
                                 MAX_SERVER_MESSAGE, 0);
    }
    return NULL;
  }

  /* Not JSON, or not within the limits: keep a short, valid UTF-8 excerpt
   * of the raw text. */
  text = _vi_text_excerpt (data, (gssize) MIN (len, G_MAXSSIZE), 200, 0);
  return g_strdup_printf ("HTTP %u: %s", status, text);
}

void
_vi_http_set_status_error (GError     **error,
                           const char  *what,
                           ViHttpTarget target,
                           guint        status,
                           GBytes      *body,
                           const char  *trace_header)
{
  g_autofree char *server_message = server_message_from_body (status, body);
  g_autofree char *trace_id = NULL;
  g_autofree char *detail = NULL;
  GError          *err;
  ViError          code;
  const char      *advice;

  if (trace_header != NULL) {
    const char *slash = strchr (trace_header, '/');
    trace_id = slash ? g_strndup (trace_header, slash - trace_header)
                     : g_strdup (trace_header);
  }

  switch (status) {
    case 400:
      code = VI_ERROR_INVALID_ARGUMENT;
      advice = "the server refused the request as invalid";
      break;
    case 401:
    case 403:
      code = status == 401 ? VI_ERROR_AUTHENTICATION : VI_ERROR_PERMISSION;
      if (target == VI_HTTP_TARGET_SIGNED_URL)
        /* No key goes to a signed URL: its signature or expiry is
         * wrong. */
        advice = "the signed URL was refused: it has expired or its "
                 "signature is not valid; ask the API for a new one";
      else if (status == 401)
        advice = "authentication failed: check DATATURE_VI_SECRET_KEY "
                 "(or the secret key given to the client)";
      else
        advice = "permission denied: check DATATURE_VI_ORGANIZATION_ID and "
                 "that the secret key belongs to that organization";
      break;
    case 404:
      code = VI_ERROR_NOT_FOUND;
      switch (target) {
        case VI_HTTP_TARGET_DATASET:
          advice = "not found: check the dataset id";
          break;
        case VI_HTTP_TARGET_SESSION:
          advice = "not found: check the dataset and session ids";
          break;
        case VI_HTTP_TARGET_EXPORT:
          advice = "not found: check the dataset and export ids";
          break;
        case VI_HTTP_TARGET_SIGNED_URL:
          advice = "the signed URL was not found: it may have expired; ask "
                   "the API for a new one";
          break;
        case VI_HTTP_TARGET_ANNOTATION:
        default:
          advice = "not found: check the dataset, asset and annotation ids";
          break;
      }
      break;
    case 409:
      code = VI_ERROR_CONFLICT;
      advice = "conflict with the resource's current state";
      break;
    case 429:
      code = VI_ERROR_RATE_LIMITED;
      advice = "rate limited and out of retries: try again later";
      break;
    case 500:
    case 502:
    case 503:
    case 504:
      code = VI_ERROR_SERVER;
      advice = "server error and out of retries: try again later";
      break;
    default:
      code = VI_ERROR_FAILED;
      advice = "unexpected response";
      break;
  }

  detail = server_message ? g_strdup_printf (" (%s)", server_message)
                          : g_strdup ("");
  err = g_error_new (VI_ERROR, code, "%s: HTTP %u, %s%s", what, status, advice,
                     detail);
  vi_error_set_http_details (err, status, server_message, trace_id);
  g_propagate_error (error, err);
}

void
_vi_http_set_transport_error (GError      **error,
                              const char   *what,
                              const GError *cause,
                              guint         attempts)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, VI_ERROR, VI_ERROR_TIMEOUT,
                 "%s: timed out after %u attempt%s (%s)", what, attempts,
                 attempts == 1 ? "" : "s", cause->message);
  else
    g_set_error (error, VI_ERROR, VI_ERROR_NETWORK,
                 "%s: network error after %u attempt%s (%s): check the endpoint "
                 "and the connection",
                 what, attempts, attempts == 1 ? "" : "s", cause->message);
}
