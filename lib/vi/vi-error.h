/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_ERROR_H__
#define __VI_ERROR_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib.h>
#include <vi/vi-version.h>

G_BEGIN_DECLS

/**
 * VI_ERROR:
 *
 * Error domain for libvi.  Errors in this domain are from the #ViError
 * enumeration.  Cancellation is reported as %G_IO_ERROR_CANCELLED, not in
 * this domain.
 *
 * Errors in this domain may carry the HTTP status, the server's message and
 * the trace id of the failed request: see vi_error_get_http_status(),
 * vi_error_get_server_message() and vi_error_get_trace_id().
 */
#define VI_ERROR (vi_error_quark ())

/**
 * ViError:
 * @VI_ERROR_FAILED: any other failure, including an HTTP status with no
 *   more specific code (405, 413, 422, ...)
 * @VI_ERROR_INVALID_ARGUMENT: an argument was refused by the library before
 *   any request was sent (bad id, page size out of range, missing
 *   credentials), or by the server with 400
 * @VI_ERROR_AUTHENTICATION: the server refused the secret key (401)
 * @VI_ERROR_PERMISSION: the key is not allowed to act on this organization
 *   or resource (403)
 * @VI_ERROR_NOT_FOUND: the resource does not exist (404)
 * @VI_ERROR_CONFLICT: the request conflicts with the resource's state (409)
 * @VI_ERROR_RATE_LIMITED: 429, after every retry was spent
 * @VI_ERROR_SERVER: 500, 502, 503 or 504, after every retry was spent
 * @VI_ERROR_TIMEOUT: the request or an overall wait timed out
 * @VI_ERROR_NETWORK: the connection failed, was dropped or a body was
 *   truncated, after every retry was spent
 * @VI_ERROR_INVALID_RESPONSE: the server answered with JSON that does not
 *   match the schema; the message names the JSON path
 * @VI_ERROR_IMPORT_FAILED: an import session or export reached
 *   `FailedReach`
 * @VI_ERROR_INVALID_DATA: a local annotation file is malformed; the message
 *   names the file and line
 * @VI_ERROR_IMPORT_STATE_UNKNOWN: the files of an import session were sent
 *   and marked inserted (or may have been), but the session's state could
 *   not be learned, its answers lost or unreadable after every retry.  The
 *   import may still complete: wait for the session (the message names
 *   it) rather than uploading again, which could import the annotations
 *   twice
 *
 * Error codes in the %VI_ERROR domain.  This enumeration may be extended.
 */
typedef enum {
  VI_ERROR_FAILED,
  VI_ERROR_INVALID_ARGUMENT,
  VI_ERROR_AUTHENTICATION,
  VI_ERROR_PERMISSION,
  VI_ERROR_NOT_FOUND,
  VI_ERROR_CONFLICT,
  VI_ERROR_RATE_LIMITED,
  VI_ERROR_SERVER,
  VI_ERROR_TIMEOUT,
  VI_ERROR_NETWORK,
  VI_ERROR_INVALID_RESPONSE,
  VI_ERROR_IMPORT_FAILED,
  VI_ERROR_INVALID_DATA,
  VI_ERROR_IMPORT_STATE_UNKNOWN,
} ViError;

VI_AVAILABLE_IN_ALL
GQuark vi_error_quark (void);

VI_AVAILABLE_IN_ALL
guint vi_error_get_http_status (const GError *error);
VI_AVAILABLE_IN_ALL
const char *vi_error_get_server_message (const GError *error);
VI_AVAILABLE_IN_ALL
const char *vi_error_get_trace_id (const GError *error);
VI_AVAILABLE_IN_ALL
const char *vi_error_get_location (const GError *error);
VI_AVAILABLE_IN_ALL
guint vi_error_get_line (const GError *error);

G_END_DECLS

#endif /* __VI_ERROR_H__ */
