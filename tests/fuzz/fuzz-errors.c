/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libFuzzer target for error bodies: the bytes are the body of a response
 * with an error status, as any server (or anyone on a plain-http path) can
 * send it.  Whatever the body, the error must be in the VI_ERROR domain,
 * its message and the server's message valid UTF-8 and short; nothing may
 * crash, leak or log a critical.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <vi/vi.h>
#include "vi-http-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* "what", the advice, the server's message of at most 1000 characters (4
 * bytes each at most) and the trace id. */
#define MAX_MESSAGE 8192

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const guint statuses[] = {
    400, 401, 403, 404, 409, 429, 500, 503, 418
  };
  g_autoptr (GBytes) body = g_bytes_new (data, size);

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++) {
    g_autoptr (GError) error = NULL;
    const char *server_message;

    _vi_http_set_status_error (&error, "fuzz", (ViHttpTarget) (i % 5),
                               statuses[i], body, i % 2 ? "0123/4;o=1" : NULL);
    if (error == NULL || error->domain != VI_ERROR ||
        vi_error_get_http_status (error) != statuses[i] ||
        !g_utf8_validate (error->message, -1, NULL) ||
        strlen (error->message) > MAX_MESSAGE)
      abort ();
    server_message = vi_error_get_server_message (error);
    if (server_message != NULL && !g_utf8_validate (server_message, -1, NULL))
      abort ();
    /* A copy keeps the details (they travel through GTask). */
    {
      g_autoptr (GError) copy = g_error_copy (error);

      if (g_strcmp0 (vi_error_get_server_message (copy), server_message) != 0)
        abort ();
    }
  }
  return 0;
}
