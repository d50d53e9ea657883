/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * What happens to a request: see vi-server-dispatch.h.
 */
#include "config.h"

#include "vi-server-dispatch.h"
#include "vi-server-errors.h"
#include "vi-server-imports.h"

#include <string.h>

void
vi_server_dispatch_init (ViServerDispatch *self,
                         ViServerState    *state,
                         const char       *secret_key)
{
  self->state = state;
  self->secret_key = g_strdup (secret_key);
  self->faults = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_fault_rule_free);
}

void
vi_server_dispatch_clear (ViServerDispatch *self)
{
  vi_server_dispatch_detach (self);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->secret_key, g_free);
}

void
vi_server_dispatch_clear_faults (ViServerDispatch *self)
{
  g_mutex_lock (&self->state->lock);
  g_ptr_array_set_size (self->faults, 0);
  g_mutex_unlock (&self->state->lock);
}

void
vi_server_dispatch_reset_counters (ViServerDispatch *self)
{
  g_mutex_lock (&self->state->lock);
  self->state->n_requests = 0;
  self->n_faulted = 0;
  g_array_set_size (self->state->request_log, 0);
  g_mutex_unlock (&self->state->lock);
}

static gboolean
check_auth (ViServerRequest *req)
{
  ViServerDispatch   *self = req->owner;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (
      req->msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  const char *org = soup_message_headers_get_one (headers, "Organization-Id");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 ||
      !g_str_equal (auth + 7, self->secret_key)) {
    soup_message_headers_replace (soup_server_message_get_response_headers (
                                      req->msg),
                                  "WWW-Authenticate", "Bearer");
    vi_server_request_reply_error_literal (
        req, SOUP_STATUS_UNAUTHORIZED,
        auth == NULL ? "authentication failed: no Authorization header; send "
                       "“Authorization: Bearer <secret key>”"
                     : "authentication failed: the secret key is not valid");
    return FALSE;
  }

  if (org == NULL) {
    vi_server_request_reply_error_literal (
        req, SOUP_STATUS_FORBIDDEN,
        "permission denied: no Organization-Id header");
    return FALSE;
  }
  if (!g_str_equal (org, self->state->org)) {
    vi_server_request_reply_error_literal (
        req, SOUP_STATUS_FORBIDDEN,
        "permission denied: the secret key has no access to this organization");
    return FALSE;
  }
  return TRUE;
}

/* The signed upload and download URLs carry their own credential. */
static gboolean
is_public_path (ViServerRequest *req)
{
  const ViServerRoute *route;
  gboolean             found = FALSE;
  guint                t;

  if (req->bad_path)
    return FALSE;
  for (t = 0; t < req->state->n_public_routes && !found; t++) {
    for (route = req->state->public_routes[t]; route->pattern != NULL && !found;
         route++)
      found = vi_server_request_match (req, route);
  }
  req->n_params = 0;
  return found;
}

static void
dispatch_api (ViServerRequest *req)
{
  ViServerDispatch    *self = req->owner;
  const ViServerRoute *found = NULL, *route;
  const char          *method = req->method;
  const char          *org, *dataset;
  g_autoptr (GString) allow = NULL;
  guint t;

  if (!is_public_path (req) && !check_auth (req))
    return;

  if (req->bad_path) {
    vi_server_request_reply_error_literal (
        req, SOUP_STATUS_BAD_REQUEST,
        "the path has a malformed percent-encoding or is not UTF-8");
    return;
  }

  if (g_str_equal (method, SOUP_METHOD_HEAD))
    method = SOUP_METHOD_GET;

  for (t = 0; t < self->state->n_routes && found == NULL; t++) {
    for (route = self->state->routes[t]; route->pattern != NULL; route++) {
      if (!vi_server_request_match (req, route))
        continue;
      if (g_str_equal (route->method, method)) {
        found = route;
        break;
      }
      if (allow == NULL)
        allow = g_string_new (route->method);
      else
        g_string_append_printf (allow, ", %s", route->method);
    }
  }

  if (found == NULL) {
    if (allow != NULL) {
      soup_message_headers_replace (soup_server_message_get_response_headers (
                                        req->msg),
                                    "Allow", allow->str);
      vi_server_request_reply_error (req, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                     "method %s is not allowed here (allowed: %s)",
                                     req->method, allow->str);
    } else {
      vi_server_request_reply_error_literal (req, SOUP_STATUS_NOT_FOUND,
                                             "no such endpoint");
    }
    return;
  }
  /* route_matches() of the found route was the last one run. */
  vi_server_request_match (req, found);

  org = vi_server_request_get_param (req, "org");
  if (org != NULL && !g_str_equal (org, self->state->org)) {
    vi_server_request_reply_error_literal (
        req, SOUP_STATUS_FORBIDDEN,
        "permission denied: the path names another organization "
        "than Organization-Id");
    return;
  }

  dataset = vi_server_request_get_param (req, "dataset");
  if (dataset != NULL) {
    gsize org_len = strlen (self->state->org);

    if (strncmp (dataset, self->state->org, org_len) != 0 ||
        dataset[org_len] != '_' || dataset[org_len + 1] == '\0') {
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "dataset “%s” not found: dataset segments are "
                                     "“{organization}_{dataset}”",
                                     dataset);
      return;
    }
    req->dataset_id = dataset + org_len + 1;
  }

  found->func (req);
}

static void
reply_malformed (ViServerRequest *req)
{
  static const char body[] =
      "{\"items\":[{\"kind\":\"Annotation\",\"annotationId\":<<truncated";

  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/json",
                                    SOUP_MEMORY_STATIC, body, sizeof body - 1);
}

/* Closes the connection without answering. */
static void
drop_connection (ViServerRequest *req)
{
  g_autoptr (GIOStream)
      stream = soup_server_message_steal_connection (req->msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* Answers 200 with a Content-Length larger than the body that follows, then
 * closes the connection.  The body is the start of the real answer when
 * there is one. */
static void
truncate_response (ViServerRequest *req)
{
  static const char fallback[] =
      "{\"items\":[{\"kind\":\"Annotation\",\"annotationId\":\"";
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GString) head = NULL;
  const char *data;
  gsize       full, sent;

  body = soup_message_body_flatten (
      soup_server_message_get_response_body (req->msg));
  data = g_bytes_get_data (body, &full);
  if (soup_server_message_get_status (req->msg) == SOUP_STATUS_OK &&
      full >= 2) {
    sent = full / 2;
  } else {
    data = fallback;
    sent = sizeof fallback - 1;
    full = sent + 1000;
  }

  head = g_string_new (NULL);
  g_string_append_printf (head,
                          "HTTP/1.1 200 OK\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "x-cloud-trace-context: %s\r\n"
                          "\r\n",
                          full, req->trace);
  g_string_append_len (head, data, sent);

  stream = soup_server_message_steal_connection (req->msg);
  if (stream == NULL)
    return;
  /* Small, and the client is reading: writing synchronously is fine. */
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), head->str,
                             head->len, NULL, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* Returns FALSE when the connection was taken away from libsoup. */
static gboolean
process_api_request (ViServerRequest *req)
{
  switch (req->fault.action) {
    case VI_FAULT_STATUS:
      if (req->fault.retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (
                                          req->msg),
                                      "Retry-After", req->fault.retry_after);
      if (req->fault.body != NULL) {
        gsize       len;
        const char *data = g_bytes_get_data (req->fault.body, &len);

        vi_server_request_set_status (req, req->fault.status);
        soup_server_message_set_response (req->msg, "application/json",
                                          SOUP_MEMORY_COPY, data, len);
        return TRUE;
      }
      vi_server_request_reply_error (req, req->fault.status,
                                     "injected fault: status %u",
                                     req->fault.status);
      return TRUE;
    case VI_FAULT_DROP:
      drop_connection (req);
      return FALSE;
    case VI_FAULT_MALFORMED:
      reply_malformed (req);
      return TRUE;
    case VI_FAULT_TRUNCATE:
      dispatch_api (req);
      truncate_response (req);
      return FALSE;
    case VI_FAULT_LATENCY:
    case VI_FAULT_NONE:
    default:
      dispatch_api (req);
      return TRUE;
  }
}

static gboolean
delay_done_cb (gpointer user_data)
{
  ViServerRequest  *req = user_data;
  ViServerDispatch *self = req->owner;

  g_signal_handler_disconnect (req->msg, req->disconnected_id);
  req->disconnected_id = 0;
  g_clear_pointer (&req->delay, g_source_unref);
  g_hash_table_steal (self->pending, req);

  if (process_api_request (req))
    soup_server_message_unpause (req->msg);
  vi_server_request_free (req);
  return G_SOURCE_REMOVE;
}

static void
delayed_request_disconnected_cb (SoupServerMessage *msg, gpointer user_data)
{
  ViServerRequest *req = user_data;

  /* The client went away while its answer was being held back. */
  g_hash_table_remove (((ViServerDispatch *) req->owner)->pending, req);
}

static gboolean
is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  return addr != NULL && G_IS_INET_SOCKET_ADDRESS (addr) &&
      g_inet_address_get_is_loopback (
             g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

static void
handle_control (ViServerRequest *req)
{
  ViServerDispatch *self = req->owner;
  const char       *what = req->n_segments == 2 ? req->segments[1] : "";
  GString          *out;

  if (!is_loopback_peer (req->msg)) {
    vi_server_request_reply_error_literal (req, SOUP_STATUS_FORBIDDEN,
                                           "the control endpoint is loopback only");
    return;
  }

  if (g_str_equal (what, "faults")) {
    if (g_str_equal (req->method, SOUP_METHOD_POST)) {
      g_autoptr (GBytes) body = vi_server_request_get_body (req);
      g_autoptr (GPtrArray) rules = NULL;
      g_autoptr (GError) error = NULL;
      gsize       len;
      const char *data = g_bytes_get_data (body, &len);
      guint       i, n;

      rules = vi_fault_rules_parse (data != NULL ? data : "", len, &error);
      if (rules == NULL) {
        vi_server_request_reply_error_literal (req, SOUP_STATUS_BAD_REQUEST,
                                               error->message);
        return;
      }
      g_ptr_array_set_free_func (rules, NULL);
      g_mutex_lock (&self->state->lock);
      for (i = 0; i < rules->len; i++)
        g_ptr_array_add (self->faults, g_ptr_array_index (rules, i));
      n = self->faults->len;
      g_mutex_unlock (&self->state->lock);

      out = g_string_new (NULL);
      g_string_append_printf (out, "{\"faults\":%u}", n);
      vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
      return;
    }
    if (g_str_equal (req->method, SOUP_METHOD_DELETE)) {
      vi_server_dispatch_clear_faults (self);
      vi_server_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
    if (g_str_equal (req->method, SOUP_METHOD_GET)) {
      out = g_string_new (NULL);
      g_mutex_lock (&self->state->lock);
      vi_fault_rules_to_json (self->faults, out);
      g_mutex_unlock (&self->state->lock);
      vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
      return;
    }
    soup_message_headers_replace (soup_server_message_get_response_headers (
                                      req->msg),
                                  "Allow", "GET, POST, DELETE");
    vi_server_request_reply_error_literal (req, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                           "use GET, POST or DELETE");
    return;
  }

  if (g_str_equal (what, "stats")) {
    if (!g_str_equal (req->method, SOUP_METHOD_GET)) {
      soup_message_headers_replace (soup_server_message_get_response_headers (
                                        req->msg),
                                    "Allow", "GET");
      vi_server_request_reply_error_literal (req,
                                             SOUP_STATUS_METHOD_NOT_ALLOWED,
                                             "use GET");
      return;
    }
    out = g_string_new (NULL);
    g_mutex_lock (&self->state->lock);
    g_string_append_printf (out,
                            "{\"requests\":%" G_GUINT64_FORMAT
                            ",\"faults\":%" G_GUINT64_FORMAT ",\"rules\":%u}",
                            self->state->n_requests, self->n_faulted,
                            self->faults->len);
    g_mutex_unlock (&self->state->lock);
    vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
    return;
  }

  if (g_str_equal (what, "reset")) {
    if (!g_str_equal (req->method, SOUP_METHOD_POST)) {
      soup_message_headers_replace (soup_server_message_get_response_headers (
                                        req->msg),
                                    "Allow", "POST");
      vi_server_request_reply_error_literal (req,
                                             SOUP_STATUS_METHOD_NOT_ALLOWED,
                                             "use POST");
      return;
    }
    vi_server_dispatch_reset_counters (self);
    vi_server_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
    return;
  }

  vi_server_request_reply_error_literal (
      req, SOUP_STATUS_NOT_FOUND,
      "no such control endpoint (faults, stats, reset)");
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  ViServerDispatch *self = user_data;
  g_autoptr (ViServerRequest)
      req = vi_server_request_new (self->state, self, msg, query);
  guint delay;

  if (req->n_segments >= 1 && g_str_equal (req->segments[0], "_control")) {
    handle_control (req);
    return;
  }

  g_mutex_lock (&self->state->lock);
  vi_server_request_count (req);
  if (vi_fault_rules_match (self->faults, req->method, req->path, &req->fault))
    self->n_faulted++;
  delay = self->latency_ms;
  if (req->fault.action == VI_FAULT_LATENCY)
    delay += req->fault.latency_ms;
  g_mutex_unlock (&self->state->lock);

  if (delay == 0) {
    process_api_request (req);
    return;
  }

  /* Hold the answer back without blocking the thread: the message is paused
   * and a timeout on this thread's context resumes it. */
  soup_server_message_pause (msg);
  req->delay = g_timeout_source_new (delay);
  g_source_set_callback (req->delay, delay_done_cb, req, NULL);
  g_source_attach (req->delay, self->context);
  req->disconnected_id =
      g_signal_connect (msg, "disconnected",
                        G_CALLBACK (delayed_request_disconnected_cb), req);
  g_hash_table_add (self->pending, g_steal_pointer (&req));
}

/* The request line and header fields, as sent (give or take the spaces
 * around the colons). */
static gsize
header_size (SoupServerMessage *msg)
{
  SoupMessageHeadersIter iter;
  const char            *name, *value;
  GUri                  *uri = soup_server_message_get_uri (msg);
  const char            *query = g_uri_get_query (uri);
  gsize                  size;

  size = strlen (soup_server_message_get_method (msg)) + 1 +
      strlen (g_uri_get_path (uri)) + (query != NULL ? strlen (query) + 1 : 0) +
      sizeof " HTTP/1.1\r\n" - 1;
  soup_message_headers_iter_init (&iter,
                                  soup_server_message_get_request_headers (
                                      msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    size += strlen (name) + 2 + strlen (value) + 2;
  return size;
}

static void
body_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  ViServerDispatch *self = user_data;
  SoupMessageBody  *body = soup_server_message_get_request_body (msg);
  guint64           limit;

  g_mutex_lock (&self->state->lock);
  limit = self->max_body_size;
  g_mutex_unlock (&self->state->lock);
  if ((guint64) body->length > limit) {
    g_autofree char *message =
        g_strdup_printf ("the request body is larger than %" G_GUINT64_FORMAT
                         " bytes",
                         limit);

    g_signal_handlers_disconnect_by_func (msg, body_chunk_cb, user_data);
    vi_server_refuse (self->state, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                      message);
  }
}

/* Runs once the headers are read, before the body: what can be refused
 * without reading the body is refused here. */
static void
early_callback (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ViServerDispatch   *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
  gboolean    upload = g_str_equal (soup_server_message_get_method (msg),
                                    SOUP_METHOD_PUT) &&
      g_str_has_prefix (raw_path, "/upload/") &&
      strchr (raw_path + strlen ("/upload/"), '/') == NULL;
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  guint64      max_body, max_upload, limit;
  guint        max_header;
  gsize        size;

  vi_server_conns_got_headers (msg);

  g_mutex_lock (&self->state->lock);
  max_body = self->max_body_size;
  max_upload = self->max_upload_size;
  max_header = self->max_header_size;
  g_mutex_unlock (&self->state->lock);

  size = header_size (msg);
  if (size > max_header) {
    g_autofree char *message =
        g_strdup_printf ("request header fields too large: the "
                         "request line and headers may take %u "
                         "bytes, not %" G_GSIZE_FORMAT,
                         max_header, size);

    vi_server_refuse (self->state, msg, 431, message);
    return;
  }

  /* The signed URL is checked first: a wrong one is the better answer. */
  if (upload && !vi_server_upload_check_token (self->state, msg))
    return;

  limit = upload ? max_upload : max_body;
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > limit) {
    g_autofree char *message =
        g_strdup_printf ("the request body is larger than %" G_GUINT64_FORMAT
                         " bytes (%s)",
                         limit,
                         upload ? "--max-upload-size" : "--max-body-size");

    vi_server_refuse (self->state, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                      message);
    return;
  }

  if (upload)
    vi_server_upload_early (self->state, msg, max_upload);
  else if (encoding == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (body_chunk_cb), self);
}

static void
message_done_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  vi_server_conns_message_done (msg);
}

void
vi_server_dispatch_attach (ViServerDispatch *self,
                           SoupServer       *soup,
                           GMainContext     *context)
{
  self->context = context;
  self->pending =
      g_hash_table_new_full (NULL, NULL,
                             (GDestroyNotify) vi_server_request_free, NULL);
  soup_server_add_early_handler (soup, NULL, early_callback, self, NULL);
  soup_server_add_handler (soup, NULL, server_callback, self, NULL);
  g_signal_connect (soup, "request-finished", G_CALLBACK (message_done_cb),
                    self);
  g_signal_connect (soup, "request-aborted", G_CALLBACK (message_done_cb),
                    self);
}

void
vi_server_dispatch_detach (ViServerDispatch *self)
{
  g_clear_pointer (&self->pending, g_hash_table_unref);
  self->context = NULL;
}
