/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The errors of the server: the JSON body of an error (the SDK's codes),
 * reason phrases, trace contexts, and a complete error answer written on a
 * connection taken from libsoup.
 */
#include "config.h"

#include "vi-server-errors.h"

#include <vi/vi.h>

const char *
vi_server_error_code (guint status)
{
  /* The codes of the SDK's ViErrorCode (docs/protocol.md §9). */
  switch (status) {
    case 400:
      return "ValidationFailed";
    case 401:
      return "AuthenticationFailed";
    case 403:
      return "PermissionDenied";
    case 404:
      return "ResourceNotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "ResourceConflict";
    case 413:
      return "FileTooLarge";
    case 429:
      return "RateLimitExceeded";
    case 500:
      return "ServerError";
    case 502:
      return "NetworkError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "TimeoutError";
    default:
      return "UnknownError";
  }
}

/* {"error": <the SDK's code>, "message": ...} */
GString *
vi_server_error_body (guint status, const char *message)
{
  GString *body = g_string_new ("{\"error\":");

  vi_json_append_string (body, vi_server_error_code (status));
  g_string_append (body, ",\"message\":");
  vi_json_append_string (body, message);
  g_string_append_c (body, '}');
  return body;
}

const char *
vi_server_reason_phrase (guint status)
{
  /* libsoup 3.2 has no phrase for 431. */
  switch (status) {
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return soup_status_get_phrase (status);
  }
}

char *
vi_server_new_trace (void)
{
  /* A GCP-style trace context: 32 hex digits, a span id, and the "traced"
   * option. */
  return g_strdup_printf ("%08x%08x%08x%08x/%u;o=1", g_random_int (),
                          g_random_int (), g_random_int (), g_random_int (),
                          g_random_int () >> 1);
}

void
vi_server_write_raw_error (GOutputStream *out,
                           guint          status,
                           const char    *message)
{
  g_autoptr (GString) body = vi_server_error_body (status, message);
  g_autoptr (GString) head = g_string_new (NULL);
  g_autofree char *trace = vi_server_new_trace ();

  g_string_append_printf (head,
                          "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Connection: close\r\n"
                          "x-cloud-trace-context: %s\r\n"
                          "\r\n",
                          status, vi_server_reason_phrase (status), body->len,
                          trace);
  g_string_append_len (head, body->str, body->len);
  /* Small, on a connection nothing else writes to: the socket buffer takes
   * it at once. */
  g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
}
