/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-async-private.h"

G_BEGIN_DECLS

/* How one API request is retried (docs/protocol.md §10). */
typedef struct {
  guint  max_retries;            /* 5xx, timeouts, transport errors */
  guint  max_rate_limit_retries; /* 429 */
  double base_delay;             /* seconds */
  double max_delay;              /* seconds; also caps Retry-After */
} ViRetryPolicy;

/* How many retries of each kind a request has had. */
typedef struct {
  guint server_retries; /* 5xx, timeouts, transport errors */
  guint rate_retries;   /* 429 */
} ViRetryState;

/* The retry rule of docs/protocol.md §10 for any request (API call, signed
 * upload, ranged download): status is the HTTP status, or 0 when the
 * exchange failed below HTTP (but not cancelled).  TRUE when another
 * attempt is due, after *delay seconds; the retry is counted in state. */
gboolean _vi_retry_next (const ViRetryPolicy *policy,
                         ViRetryState        *state,
                         guint                status,
                         SoupMessageHeaders  *response_headers,
                         double              *delay);

/* Waits seconds on task's cancellable, then calls again (task); a
 * cancellation returns G_IO_ERROR_CANCELLED on task instead. */
typedef void (*ViRetryFunc) (GTask *task);
void _vi_retry_later (GTask *task, double seconds, ViRetryFunc again);

/* One exchange, without retries, on the thread-default main context: sends
 * msg and reads its whole body (any status), safe against a cancellation
 * from another thread at any moment (see vi-http.c). */
void    _vi_http_send_and_read_async (SoupSession        *session,
                                      SoupMessage        *msg,
                                      int                 priority,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
GBytes *_vi_http_send_and_read_finish (GAsyncResult *result, GError **error);

/* soup_session_send_async() with libvi's TLS handling (vi-http-tls.c) and
 * the libsoup workarounds of vi-http.c: every message libvi sends goes
 * through it. */
void _vi_http_session_send_async (SoupSession        *session,
                                  SoupMessage        *msg,
                                  int                 priority,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
/* soup_session_send_finish() for a send started with cancellable, made
 * safe against that cancellation: a stream that came back anyway is
 * abandoned and the call fails with G_IO_ERROR_CANCELLED.  A TLS failure
 * another attempt cannot fix becomes a VI_ERROR naming the problem. */
GInputStream *_vi_http_session_send_finish (SoupSession  *session,
                                            GAsyncResult *result,
                                            GCancellable *cancellable,
                                            GError      **error);
/* Whether a failure below HTTP must not be retried (a TLS refusal, a body
 * over the size limit): it is in the VI_ERROR domain. */
gboolean _vi_http_error_is_final (const GError *error);
/* Certificates this database vouches for are accepted on every message of
 * the session, as well as those the system trusts. */
void _vi_http_session_set_ca_database (SoupSession  *session,
                                       GTlsDatabase *database);
/* TLS (vi-http-tls.c).  Watches the handshake of msg's connection: the
 * certificate's flags are noted on msg, and the session's CA database
 * (_vi_http_session_set_ca_database()) consulted. */
void _vi_http_tls_watch (SoupSession *session, SoupMessage *msg);
/* A TLS failure of msg that another attempt cannot fix, as a final
 * VI_ERROR naming the problem; NULL for other failures. */
GError *_vi_http_tls_final_error (SoupMessage *msg, const GError *error);
/* Drops a response body stream (taking the reference) without reading the
 * rest of the body: the message's I/O ends, its connection is closed. */
void _vi_http_body_abandon (GInputStream *stream);

/* What a request is about, for the advice of an error status: which ids
 * a 404 asks to check, and whether a 401/403 is the key's fault or the
 * signed URL's. */
typedef enum {
  VI_HTTP_TARGET_ANNOTATION, /* .../assets/{asset}/annotations[/{id}] */
  VI_HTTP_TARGET_DATASET,    /* a collection of the dataset */
  VI_HTTP_TARGET_SESSION,    /* .../annotationImportSessions/{id}... */
  VI_HTTP_TARGET_EXPORT,     /* .../datasetExports/{id} */
  VI_HTTP_TARGET_SIGNED_URL, /* an upload or download URL, no key */
} ViHttpTarget;

/* One request to the API, ready to be sent and re-sent. */
typedef struct {
  SoupSession  *session; /* borrowed from the client */
  char         *method;
  char         *url;     /* full, already encoded */
  GBytes       *body;    /* nullable */
  GHashTable   *headers; /* extra request headers, borrowed values */
  ViRetryPolicy policy;
  char         *what; /* "list annotations", for messages */
  ViHttpTarget  target;
  gboolean      expect_empty; /* DELETE: a 2xx body must be empty */
  gboolean      raw_body;     /* hand back the 2xx body as GBytes */
} ViHttpRequest;

ViHttpRequest *_vi_http_request_new (SoupSession         *session,
                                     const char          *method,
                                     const char          *url,
                                     JsonNode            *body,
                                     const ViRetryPolicy *policy,
                                     ViHttpTarget         target,
                                     const char          *what);
void           _vi_http_request_free (ViHttpRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViHttpRequest, _vi_http_request_free)

void _vi_http_request_add_header (ViHttpRequest *request,
                                  const char    *name,
                                  const char    *value);

/* Sends request (taking ownership), retrying as its policy says, on the
 * thread-default main context.  The result is the parsed JSON body (NULL
 * for an expected-empty body). */
void      _vi_http_send_async (ViHttpRequest      *request,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
JsonNode *_vi_http_send_finish (GAsyncResult *result, GError **error);
/* For requests with raw_body set: the body, unparsed. */
GBytes *_vi_http_send_finish_bytes (GAsyncResult *result, GError **error);

/* Helpers, exposed for tests. */
char    *_vi_http_escape_query (const char *value);
gboolean _vi_http_parse_retry_after (const char *value,
                                     GDateTime  *now,
                                     double     *seconds);
double   _vi_http_backoff_delay (const ViRetryPolicy *policy, guint attempt);
void     _vi_http_set_status_error (GError     **error,
                                    const char  *what,
                                    ViHttpTarget target,
                                    guint        status,
                                    GBytes      *body,
                                    const char  *trace_header);
/* A failure below HTTP after attempts tries, as VI_ERROR_TIMEOUT or
 * VI_ERROR_NETWORK. */
void _vi_http_set_transport_error (GError      **error,
                                   const char   *what,
                                   const GError *cause,
                                   guint         attempts);

G_END_DECLS
