/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The SDK's error code of an HTTP status ("ResourceNotFound"...). */
const char *vi_server_error_code (guint status);
/* {"error": <the SDK's code>, "message": message} */
GString *vi_server_error_body (guint status, const char *message);
/* The reason phrase of a status (libsoup 3.2 lacks some). */
const char *vi_server_reason_phrase (guint status);
/* A new GCP-style trace context, for x-cloud-trace-context. */
char *vi_server_new_trace (void);
/* Writes a complete error answer (the JSON error body, a trace header,
 * "Connection: close") on a connection taken from libsoup. */
void vi_server_write_raw_error (GOutputStream *out,
                                guint          status,
                                const char    *message);

G_END_DECLS
