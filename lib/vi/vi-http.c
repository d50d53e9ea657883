/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One API request, sent and re-sent as docs/protocol.md §10 says: 429 up to
 * max_rate_limit_retries times honouring Retry-After (capped), 500/502/503/
 * 504, timeouts and transport errors up to max_retries times with full-jitter
 * exponential backoff.  Waits between attempts are main-context timeouts
 * that a cancellation ends at once.
 */
#include "config.h"

#include <string.h>
#include <math.h>

#include "vi-http-private.h"
#include "vi-error-private.h"
#include "vi-json-private.h"
#include "vi-text-private.h"

ViHttpRequest *
_vi_http_request_new (SoupSession         *session,
                      const char          *method,
                      const char          *url,
                      JsonNode            *body,
                      const ViRetryPolicy *policy,
                      ViHttpTarget         target,
                      const char          *what)
{
  ViHttpRequest *request = g_new0 (ViHttpRequest, 1);

  request->session = g_object_ref (session);
  request->method = g_strdup (method);
  request->url = g_strdup (url);
  request->policy = *policy;
  request->what = g_strdup (what);
  request->target = target;
  request->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            g_free);
  if (body != NULL) {
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    gsize len = 0;
    char *text;

    json_generator_set_root (gen, body);
    text = json_generator_to_data (gen, &len);
    request->body = g_bytes_new_take (text, len);
  }
  return request;
}

void
_vi_http_request_free (ViHttpRequest *request)
{
  if (request == NULL)
    return;
  g_clear_object (&request->session);
  g_free (request->method);
  g_free (request->url);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_pointer (&request->headers, g_hash_table_unref);
  g_free (request->what);
  g_free (request);
}

void
_vi_http_request_add_header (ViHttpRequest *request,
                             const char    *name,
                             const char    *value)
{
  g_hash_table_replace (request->headers, g_strdup (name), g_strdup (value));
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/**
 * vi_escape_path_segment:
 * @segment: one segment of a path (an id)
 *
 * Percent-encodes @segment so that it stays one literal segment of a URI
 * path: everything but the unreserved characters of RFC 3986
 * (`A-Z a-z 0-9 - . _ ~`) is encoded, `/`, `?`, `#`, `%` and spaces
 * included, and so are the dots of a `.` or `..` segment, which a URI
 * parser would otherwise resolve.  This is how libvi puts ids into the
 * paths of the API.
 *
 * Returns: (transfer full): the encoded segment
 */
char *
vi_escape_path_segment (const char *segment)
{
  static const char hex[] = "0123456789ABCDEF";
  GString          *out;
  gboolean          all_dots;
  const char       *p;

  g_return_val_if_fail (segment != NULL, NULL);

  out = g_string_sized_new (strlen (segment) + 8);
  all_dots = strcmp (segment, ".") == 0 || strcmp (segment, "..") == 0;
  for (p = segment; *p != '\0'; p++) {
    guchar c = (guchar) *p;

    if (is_unreserved (c) && !(c == '.' && all_dots)) {
      g_string_append_c (out, c);
    } else {
      g_string_append_c (out, '%');
      g_string_append_c (out, hex[c >> 4]);
      g_string_append_c (out, hex[c & 0xf]);
    }
  }
  return g_string_free (out, FALSE);
}

/* Query values as Python's quote_plus, which the SDK uses: space is '+'. */
char *
_vi_http_escape_query (const char *value)
{
  GString      *out = g_string_sized_new (strlen (value) + 8);
  const guchar *p;

  for (p = (const guchar *) value; *p; p++) {
    if (is_unreserved (*p))
      g_string_append_c (out, *p);
    else if (*p == ' ')
      g_string_append_c (out, '+');
    else
      g_string_append_printf (out, "%%%02X", *p);
  }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * Retry timing
 * ------------------------------------------------------------------------ */

/* Retry-After is delta-seconds (integer or decimal) or an HTTP-date. */
gboolean
_vi_http_parse_retry_after (const char *value, GDateTime *now, double *seconds)
{
  char  *end = NULL;
  double v;
  g_autoptr (GDateTime) date = NULL;

  if (value == NULL)
    return FALSE;
  while (g_ascii_isspace (*value))
    value++;
  if (*value == '\0')
    return FALSE;

  v = g_ascii_strtod (value, &end);
  if (end != value) {
    while (g_ascii_isspace (*end))
      end++;
    if (*end == '\0' && isfinite (v) && v >= 0) {
      *seconds = v;
      return TRUE;
    }
    if (*end == '\0')
      return FALSE;
  }

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return FALSE;
  v = g_date_time_difference (date, now) / (double) G_USEC_PER_SEC;
  *seconds = MAX (v, 0.0);
  return TRUE;
}

/* Full jitter: uniform(0, base * 2^(attempt-1)), capped; attempt counts
 * from 1. */
double
_vi_http_backoff_delay (const ViRetryPolicy *policy, guint attempt)
{
  double ceiling;

  ceiling = policy->base_delay * ldexp (1.0, (int) MIN (attempt, 30u) - 1);
  ceiling = MIN (ceiling, policy->max_delay);
  if (ceiling <= 0)
    return 0;
  return g_random_double_range (0, ceiling);
}

/* The retry rule of docs/protocol.md §10, shared by API calls, signed uploads
 * and ranged downloads.  status is the HTTP status, or 0 when the exchange
 * failed below HTTP (transport_error, never a cancellation).  Counts the
 * retry in state and gives the wait before the next attempt. */
gboolean
_vi_retry_next (const ViRetryPolicy *policy,
                ViRetryState        *state,
                guint                status,
                SoupMessageHeaders  *response_headers,
                double              *delay)
{
  if (status == 0 || status == 500 || status == 502 || status == 503 ||
      status == 504) {
    /* Retry-After is ignored for these, as the SDK does. */
    if (state->server_retries >= policy->max_retries)
      return FALSE;
    state->server_retries++;
    *delay = _vi_http_backoff_delay (policy, state->server_retries);
    return TRUE;
  }

  if (status == 429) {
    const char *retry_after = response_headers
        ? soup_message_headers_get_one (response_headers, "Retry-After")
        : NULL;
    g_autoptr (GDateTime) now = NULL;

    if (state->rate_retries >= policy->max_rate_limit_retries)
      return FALSE;
    state->rate_retries++;
    now = g_date_time_new_now_utc ();
    if (_vi_http_parse_retry_after (retry_after, now, delay))
      *delay = MIN (*delay, policy->max_delay);
    else
      *delay = _vi_http_backoff_delay (policy, state->rate_retries);
    return TRUE;
  }

  return FALSE;
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

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

static void
set_transport_error (GError      **error,
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

/* ------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------ */

typedef struct {
  ViHttpRequest *request;
  SoupMessage   *msg;
  guint          attempts;
  ViRetryState   retries;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->msg);
  _vi_http_request_free (data->request);
  g_free (data);
}

static void start_attempt (GTask *task);

typedef struct {
  GTask      *task;
  ViRetryFunc again;
} RetryLater;

static void
retry_slept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RetryLater *later = user_data;
  g_autoptr (GTask) task = later->task;
  ViRetryFunc again = later->again;
  GError     *error = NULL;

  g_free (later);
  if (!_vi_sleep_finish (result, &error)) {
    g_task_return_error (task, error);
    return;
  }
  again (task);
}

void
_vi_retry_later (GTask *task, double seconds, ViRetryFunc again)
{
  RetryLater *later = g_new (RetryLater, 1);

  later->task = g_object_ref (task);
  later->again = again;
  _vi_sleep_async (seconds, g_task_get_cancellable (task), retry_slept_cb,
                   later);
}

static void
schedule_retry (GTask *task, double seconds)
{
  SendData *data = g_task_get_task_data (task);

  g_debug ("%s: attempt %u failed, retrying in %.3f s", data->request->what,
           data->attempts, seconds);
  _vi_retry_later (task, seconds, start_attempt);
}

/* What happens once a response body is in (body != NULL) or the exchange
 * failed below HTTP (error != NULL).  Takes both. */
static void
handle_response (GTask *task, GBytes *body_in, GError *error_in)
{
  SendData      *data = g_task_get_task_data (task);
  ViHttpRequest *request = data->request;
  g_autoptr (GError) error = error_in;
  g_autoptr (GBytes) body = body_in;
  guint  status;
  double delay;

  if (body == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
    if (_vi_http_error_is_final (error)) {
      g_prefix_error (&error, "%s: ", request->what);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
    /* Anything below HTTP (refused, reset, dropped, truncated, timed out,
     * TLS) may succeed on another attempt. */
    if (_vi_retry_next (&request->policy, &data->retries, 0, NULL, &delay)) {
      g_debug ("%s: %s", request->what, error->message);
      schedule_retry (task, delay);
      return;
    }
    {
      GError *out = NULL;

      set_transport_error (&out, request->what, error, data->attempts);
      g_task_return_error (task, out);
    }
    return;
  }

  status = soup_message_get_status (data->msg);

  if (SOUP_STATUS_IS_SUCCESSFUL (status)) {
    GError   *parse_error = NULL;
    JsonNode *root;

    if (request->expect_empty) {
      if (g_bytes_get_size (body) != 0) {
        g_task_return_new_error (
            task, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
            "%s: invalid response: expected an empty body, got %" G_GSIZE_FORMAT
            " bytes",
            request->what, g_bytes_get_size (body));
        return;
      }
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

    if (request->raw_body) {
      g_task_return_pointer (task, g_steal_pointer (&body),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

    root = vi_json_parse_bytes (body, &parse_error);
    if (root == NULL) {
      g_prefix_error (&parse_error, "%s: ", request->what);
      g_task_return_error (task, parse_error);
      return;
    }
    g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
    return;
  }

  if (_vi_retry_next (&request->policy, &data->retries, status,
                      soup_message_get_response_headers (data->msg), &delay)) {
    schedule_retry (task, delay);
    return;
  }

  {
    GError     *out = NULL;
    const char *trace =
        soup_message_headers_get_one (soup_message_get_response_headers (
                                          data->msg),
                                      "x-cloud-trace-context");

    _vi_http_set_status_error (&out, request->what, request->target, status,
                               body, trace);
    if (status == 429 || status >= 500)
      g_prefix_error (&out, "after %u attempt%s: ", data->attempts,
                      data->attempts == 1 ? "" : "s");
    g_task_return_error (task, out);
  }
}

/* ------------------------------------------------------------------------
 * One exchange: send a message, read its whole body
 *
 * libsoup 3.2 crashes when the cancellable given to soup_session_send_async()
 * is cancelled after the response headers are in but before the callback
 * runs: the GTask then reports the cancellation, soup_session_send_finish()
 * ends the message's I/O, and the body stream the task holds is finalized
 * with it, closing itself against I/O that is gone (a NULL dereference in
 * soup_message_io_skip()).  A cancellation from another thread (an element
 * stopping, an application's cancel button) hits that window now and then.
 * So the task is told not to check the cancellable: the stream comes back,
 * and is then dropped here without reading the rest of it.  Seen with
 * libsoup 3.2.3 (Debian 12); no upstream report found (libsoup's history
 * up to 3.7.1 searched for the symptom), so the workaround stays until a
 * newer libsoup passes /client/cancel-from-another-thread without it.
 *
 * Disposing of an open body stream would read the rest of the body,
 * blocking; _vi_http_body_abandon() closes it with a cancelled cancellable
 * instead, which ends the message's I/O at once (the connection is not
 * reused).
 * ------------------------------------------------------------------------ */

void
_vi_http_body_abandon (GInputStream *stream)
{
  g_autoptr (GCancellable) now = NULL;

  if (stream == NULL)
    return;
  now = g_cancellable_new ();
  g_cancellable_cancel (now);
  g_input_stream_close (stream, now, NULL);
  g_object_unref (stream);
}

/* ------------------------------------------------------------------------
 * TLS
 *
 * A certificate the client does not trust stays untrusted on the next
 * attempt: such a failure is final, and its message says what is wrong
 * with the certificate.  The flags come from the message's
 * "accept-certificate" signal, emitted during the handshake of a new
 * connection.  A client's CA file (ViClient:tls-ca-file) is honoured there
 * too: a certificate the system refuses is accepted when the CA file
 * vouches for it (chain and host name), so that the system's authorities
 * keep working for the signed URLs of cloud storage.
 * ------------------------------------------------------------------------ */

#define CA_DATABASE_KEY "vi-ca-database"
/* Marks the flags as seen: a certificate may be refused with none set. */
#define TLS_FLAGS_SEEN (1u << 31)

static GQuark tls_peer_flags_quark (void);
G_DEFINE_QUARK (vi - tls - peer - flags, tls_peer_flags)

void
_vi_http_session_set_ca_database (SoupSession *session, GTlsDatabase *database)
{
  g_object_set_data_full (G_OBJECT (session), CA_DATABASE_KEY,
                          g_object_ref (database), g_object_unref);
}

static gboolean
accept_certificate_cb (SoupMessage         *msg,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  GTlsDatabase *database = user_data;

  if (database != NULL) {
    GUri *uri = soup_message_get_uri (msg);
    int   port = g_uri_get_port (uri);
    g_autoptr (GSocketConnectable)
        identity = g_network_address_new (g_uri_get_host (uri),
                                          port > 0 ? (guint16) port : 443);
    GTlsCertificateFlags flags;

    flags =
        g_tls_database_verify_chain (database, certificate,
                                     G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                     identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                     NULL, NULL);
    if (flags == 0)
      return TRUE;
  }
  g_object_set_qdata (G_OBJECT (msg), tls_peer_flags_quark (),
                      GUINT_TO_POINTER ((guint) errors | TLS_FLAGS_SEEN));
  return FALSE;
}

static void
unref_if_set (gpointer data, GClosure *closure)
{
  if (data != NULL)
    g_object_unref (data);
}

void
_vi_http_session_send_async (SoupSession        *session,
                             SoupMessage        *msg,
                             int                 priority,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTlsDatabase *database = g_object_get_data (G_OBJECT (session),
                                              CA_DATABASE_KEY);

  g_signal_connect_data (msg, "accept-certificate",
                         G_CALLBACK (accept_certificate_cb),
                         database != NULL ? g_object_ref (database) : NULL,
                         unref_if_set, 0);
  /* libsoup 3.2 re-sends by itself an idempotent request whose reused
   * connection closed before any answer.  When the failure of the first
   * try is reported from an idle (GTask does so when an operation ends in
   * the main-context iteration that started it) and the session's queue
   * source runs the new try first, that late report finishes the new
   * try's I/O, hands the caller an error, and the new try's own report
   * then crashes in run_until_read_done() (a NULL I/O).  Seen with a GET
   * poll dropped by the server on a keep-alive connection, one run in
   * three.  The reports are idles at the message's I/O priority and the
   * queue source is at G_PRIORITY_DEFAULT: one step above it, the late
   * report always comes first and finds the message restarting, as
   * libsoup expects.  Only the exchange up to the response headers runs
   * at that priority; bodies are read at the caller's.  libsoup 3.2.3;
   * no upstream report found.  libsoup 3.7.1 changed run_until_read_done()
   * not to finish a finished item twice (commit 9ba1243a), which may be
   * this bug: /upload/dropped-read tells, once the platform has it. */
  soup_session_send_async (session, msg, priority - 1, cancellable, callback,
                           user_data);
}

/* GTlsCertificateFlags in words. */
static char *
describe_certificate_flags (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags flag;
    const char          *words;
  } problems[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA,
      "it is not signed by a known "
      "certificate authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it is not for this host name" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "it failed validation" },
  };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (problems); i++) {
    if (flags & problems[i].flag) {
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, problems[i].words);
    }
  }
  if (out->len == 0)
    g_string_append (out, "it was refused");
  return g_string_free (out, FALSE);
}

/* A TLS failure that another attempt cannot fix, as a final VI_ERROR
 * naming the problem; NULL for other failures.  EOF and MISC may be a
 * connection lost during the handshake: those stay retried. */
static GError *
final_tls_error (SoupMessage *msg, const GError *error)
{
  GUri       *uri = msg != NULL ? soup_message_get_uri (msg) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : "the server";
  guint       flags;

  if (error->domain != G_TLS_ERROR || error->code == G_TLS_ERROR_EOF ||
      error->code == G_TLS_ERROR_MISC)
    return NULL;

  flags = msg != NULL
      ? GPOINTER_TO_UINT (
            g_object_get_qdata (G_OBJECT (msg), tls_peer_flags_quark ()))
      : 0;
  if (error->code == G_TLS_ERROR_BAD_CERTIFICATE && (flags & TLS_FLAGS_SEEN)) {
    g_autofree char *words = describe_certificate_flags (flags &
                                                         ~TLS_FLAGS_SEEN);

    return g_error_new (
        VI_ERROR, VI_ERROR_NETWORK,
        "the TLS certificate of %s is not trusted: %s (not retried: a "
        "certificate does not change between attempts)%s",
        host, words,
        (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
            ? "; for a private "
              "deployment, give the client its CA certificate (ViClient:"
              "tls-ca-file, vi-annotations --ca-file)"
            : "");
  }
  return g_error_new (VI_ERROR, VI_ERROR_NETWORK,
                      "TLS with %s failed: %s (not retried)", host,
                      error->message);
}

gboolean
_vi_http_error_is_final (const GError *error)
{
  /* Below HTTP, GIO and libsoup report in their own domains; what libvi
   * turned into its own is final (a TLS refusal, an oversized body). */
  return error != NULL && error->domain == VI_ERROR;
}

GInputStream *
_vi_http_session_send_finish (SoupSession  *session,
                              GAsyncResult *result,
                              GCancellable *cancellable,
                              GError      **error)
{
  GInputStream *stream;
  GError       *local_error = NULL;

  if (G_IS_TASK (result))
    g_task_set_check_cancellable (G_TASK (result), FALSE);
  stream = soup_session_send_finish (session, result, &local_error);
  if (stream == NULL) {
    GError *final =
        final_tls_error (soup_session_get_async_result_message (session,
                                                                result),
                         local_error);

    if (final != NULL) {
      g_error_free (local_error);
      local_error = final;
    }
    g_propagate_error (error, local_error);
    return NULL;
  }
  if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    _vi_http_body_abandon (stream);
    return NULL;
  }
  return stream;
}

/* libsoup's send_and_read grows a GMemoryOutputStream, zeroing and copying
 * as it goes; with the length known the body is read into one buffer of the
 * right size instead, which matters for pages of hundreds of kilobytes. */
#define MAX_BODY_SIZE VI_JSON_MAX_BODY_SIZE

typedef struct {
  SoupSession  *session;
  SoupMessage  *msg;
  ViLocalCancel cancel;
  GInputStream *stream;
  char         *buf;
  gsize         filled;
  gsize         alloc;
} ReadData;

static void
read_data_free (ReadData *data)
{
  _vi_http_body_abandon (g_steal_pointer (&data->stream));
  _vi_local_cancel_clear (&data->cancel);
  g_free (data->buf);
  g_clear_object (&data->msg);
  g_clear_object (&data->session);
  g_free (data);
}

static void
body_finish (GTask *task, GError *error)
{
  ReadData *data = g_task_get_task_data (task);

  if (error != NULL) {
    _vi_http_body_abandon (g_steal_pointer (&data->stream));
    g_task_return_error (task, error);
    return;
  }
  g_input_stream_close (data->stream, NULL, NULL);
  g_clear_object (&data->stream);
  g_task_return_pointer (task,
                         g_bytes_new_take (g_steal_pointer (&data->buf),
                                           data->filled),
                         (GDestroyNotify) g_bytes_unref);
}

static void read_more (GTask *task);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ReadData *data = g_task_get_task_data (task);
  GError   *error = NULL;
  gssize    n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    body_finish (task, error);
    return;
  }
  if (n == 0) {
    body_finish (task, NULL);
    return;
  }
  data->filled += n;
  read_more (task);
}

static void
read_more (GTask *task)
{
  ReadData *data = g_task_get_task_data (task);

  if (data->filled == data->alloc) {
    gsize grown = MAX (data->alloc * 2, 16384);

    if (data->alloc >= MAX_BODY_SIZE) {
      body_finish (task,
                   g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                                "invalid response: body larger than %" G_GSIZE_FORMAT
                                " bytes",
                                MAX_BODY_SIZE));
      return;
    }
    data->alloc = MIN (grown, MAX_BODY_SIZE);
    data->buf = g_realloc (data->buf, data->alloc);
  }
  g_input_stream_read_async (data->stream, data->buf + data->filled,
                             data->alloc - data->filled,
                             g_task_get_priority (task),
                             data->cancel.cancellable, read_cb,
                             g_object_ref (task));
}

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ReadData           *data = g_task_get_task_data (task);
  GError             *error = NULL;
  SoupMessageHeaders *headers;
  goffset             length = -1;

  data->stream = _vi_http_session_send_finish (SOUP_SESSION (source), result,
                                               data->cancel.cancellable,
                                               &error);
  if (data->stream == NULL) {
    g_task_return_error (task, error);
    return;
  }

  headers = soup_message_get_response_headers (data->msg);
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH)
    length = soup_message_headers_get_content_length (headers);

  if (length >= 0 && (guint64) length < MAX_BODY_SIZE) {
    /* One spare byte, so that the read that sees the end of the body
     * needs no growth. */
    data->alloc = length + 1;
    data->buf = g_malloc (data->alloc);
  }
  read_more (task);
}

void
_vi_http_send_and_read_async (SoupSession        *session,
                              SoupMessage        *msg,
                              int                 priority,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask    *task = g_task_new (NULL, cancellable, callback, user_data);
  ReadData *data = g_new0 (ReadData, 1);

  g_task_set_source_tag (task, _vi_http_send_and_read_async);
  g_task_set_priority (task, priority);
  data->session = g_object_ref (session);
  data->msg = g_object_ref (msg);
  _vi_local_cancel_init (&data->cancel, cancellable);
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  _vi_http_session_send_async (session, msg, priority, data->cancel.cancellable,
                               sent_cb, task);
}

GBytes *
_vi_http_send_and_read_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------
 * API requests, retried
 * ------------------------------------------------------------------------ */

static void
attempt_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GBytes *body;

  body = _vi_http_send_and_read_finish (result, &error);
  handle_response (task, body, error);
}

static void
start_attempt (GTask *task)
{
  SendData           *data = g_task_get_task_data (task);
  ViHttpRequest      *request = data->request;
  SoupMessageHeaders *headers;
  GHashTableIter      iter;
  gpointer            key, value;

  if (g_task_return_error_if_cancelled (task))
    return;

  g_clear_object (&data->msg);
  data->msg = soup_message_new (request->method, request->url);
  if (data->msg == NULL) {
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                             "%s: cannot build a request for this URL",
                             request->what);
    return;
  }

  headers = soup_message_get_request_headers (data->msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  g_hash_table_iter_init (&iter, request->headers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    soup_message_headers_replace (headers, key, value);

  /* Every API request declares JSON, with or without a body (§1.3). */
  if (request->body != NULL)
    soup_message_set_request_body_from_bytes (data->msg, "application/json",
                                              request->body);
  else
    soup_message_headers_replace (headers, "Content-Type", "application/json");

  data->attempts++;
  _vi_http_send_and_read_async (request->session, data->msg,
                                g_task_get_priority (task),
                                g_task_get_cancellable (task), attempt_done_cb,
                                g_object_ref (task));
}

void
_vi_http_send_async (ViHttpRequest      *request,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  SendData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, _vi_http_send_async);
  data = g_new0 (SendData, 1);
  data->request = request;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);
  start_attempt (task);
}

JsonNode *
_vi_http_send_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GBytes *
_vi_http_send_finish_bytes (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
