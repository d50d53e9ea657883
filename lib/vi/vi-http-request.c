/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One API request: built once (method, URL, JSON body, headers), then sent
 * and re-sent as docs/protocol.md §10 says, each attempt one exchange of
 * vi-http.c.  What the retries wait for is vi-http-retry.c; how a final
 * failure reads, vi-http-errors.c.  Also the encoding of the ids and query
 * values that go into an API URL.
 */
#include "config.h"

#include <string.h>

#include "vi-http-private.h"
#include "vi-json-private.h"

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
 * Sending, retried
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

      _vi_http_set_transport_error (&out, request->what, error, data->attempts);
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
