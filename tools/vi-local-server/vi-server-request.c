/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The request, reply and route layer of the server: what a handler sees of
 * a request, how it answers, and how a path finds its route.  It knows
 * nothing of the handlers: the server gives it the route tables
 * (ViServerState).
 */
#include "config.h"

#include "vi-server-errors.h"
#include "vi-server-json.h"
#include "vi-server-request.h"

#include <string.h>

/* Requests kept in the log that vi_local_server_get_request_count() filters;
 * past this, only the total is counted. */
#define MAX_LOGGED_REQUESTS (1 << 20)

static void
logged_request_clear (gpointer data)
{
  ViServerLoggedRequest *entry = data;

  g_free (entry->path);
}

void
vi_server_state_init (ViServerState *state,
                      const char    *org,
                      guint          max_header_size)
{
  g_mutex_init (&state->lock);
  g_cond_init (&state->request_cond);
  state->org = g_strdup (org);
  state->store = vi_store_new (org);
  state->request_log = g_array_new (FALSE, FALSE,
                                    sizeof (ViServerLoggedRequest));
  g_array_set_clear_func (state->request_log, logged_request_clear);
  state->conns = vi_server_conns_new (max_header_size);
}

/* The write side must be gone already: its threads take the lock. */
void
vi_server_state_clear (ViServerState *state)
{
  g_clear_pointer (&state->store, vi_store_free);
  g_clear_pointer (&state->request_log, g_array_unref);
  g_clear_pointer (&state->conns, vi_server_conns_unref);
  g_clear_pointer (&state->org, g_free);
  g_clear_pointer (&state->url, g_free);
  g_cond_clear (&state->request_cond);
  g_mutex_clear (&state->lock);
}

char *
vi_server_state_get_url (ViServerState *state)
{
  return g_strdup (state->url);
}

void
vi_server_request_free (ViServerRequest *req)
{
  if (req->delay != NULL) {
    g_source_destroy (req->delay);
    g_source_unref (req->delay);
  }
  if (req->disconnected_id != 0)
    g_signal_handler_disconnect (req->msg, req->disconnected_id);
  g_object_unref (req->msg);
  g_strfreev (req->segments);
  g_free (req->path);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_free (req->trace);
  vi_fault_clear (&req->fault);
  g_free (req);
}

static gboolean
route_matches (const ViServerRoute *route,
               ViServerRequest     *req,
               char               **segments,
               guint                n_segments)
{
  const char *p = route->pattern + 1;
  guint       i = 0;

  req->n_params = 0;
  for (;;) {
    const char *end = strchr (p, '/');
    gsize       len = end != NULL ? (gsize) (end - p) : strlen (p);

    if (i >= n_segments)
      return FALSE;

    if (p[0] == '{' && len >= 2 && p[len - 1] == '}') {
      if (segments[i][0] == '\0' || req->n_params == VI_SERVER_MAX_PARAMS)
        return FALSE;
      req->param_names[req->n_params] = p + 1;
      req->param_name_lens[req->n_params] = len - 2;
      req->param_values[req->n_params] = segments[i];
      req->n_params++;
    } else if (strlen (segments[i]) != len ||
               strncmp (segments[i], p, len) != 0) {
      return FALSE;
    }

    i++;
    if (end == NULL)
      break;
    p = end + 1;
  }
  return i == n_segments;
}

gboolean
vi_server_request_match (ViServerRequest *req, const ViServerRoute *route)
{
  return route_matches (route, req, req->segments, req->n_segments);
}

static gboolean
any_route_matches (ViServerRequest *req, char **segments, guint n_segments)
{
  guint                t;
  const ViServerRoute *route;

  for (t = 0; t < req->state->n_routes; t++) {
    for (route = req->state->routes[t]; route->pattern != NULL; route++) {
      if (route_matches (route, req, segments, n_segments))
        return TRUE;
    }
  }
  return FALSE;
}

/* GLib's URI parser, which libsoup uses on both ends, removes "." and ".."
 * segments even when they are percent-encoded ("%2E%2E"), so an asset whose
 * id is "." or ".." cannot arrive as itself:
 *
 *   .../datasets/D/assets/%2E%2E/annotations[/ID] arrives as .../datasets/D/annotations[/ID]
 *   .../datasets/D/assets/%2E/annotations[/ID]    arrives as .../datasets/D/assets/annotations[/ID]
 *
 * When the path is no route as it stands, these shapes are mapped back. */
static gboolean
recover_dot_segment (GPtrArray *segments)
{
  char **s = (char **) segments->pdata;

  if (segments->len < 5 || !g_str_equal (s[0], "workspaces") ||
      !g_str_equal (s[2], "datasets"))
    return FALSE;

  if (g_str_equal (s[4], "annotations") && segments->len <= 6) {
    g_ptr_array_insert (segments, 4, g_strdup (".."));
    g_ptr_array_insert (segments, 4, g_strdup ("assets"));
    return TRUE;
  }
  if (segments->len >= 6 && segments->len <= 7 &&
      g_str_equal (s[4], "assets") && g_str_equal (s[5], "annotations")) {
    g_ptr_array_insert (segments, 5, g_strdup ("."));
    return TRUE;
  }
  return FALSE;
}

void
vi_server_request_count (ViServerRequest *req)
{
  ViServerState *state = req->state;

  state->n_requests++;
  if (state->request_log->len < MAX_LOGGED_REQUESTS) {
    ViServerLoggedRequest entry = { g_intern_string (req->method),
                                    g_strdup (req->path) };

    g_array_append_val (state->request_log, entry);
  }
  g_cond_broadcast (&state->request_cond);
}

ViServerRequest *
vi_server_request_new (ViServerState     *state,
                       gpointer           owner,
                       SoupServerMessage *msg,
                       GHashTable        *query)
{
  ViServerRequest *req = g_new0 (ViServerRequest, 1);
  g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *raw;
  GString    *path;
  guint       i;

  req->state = state;
  req->owner = owner;
  req->msg = g_object_ref (msg);
  req->method = soup_server_message_get_method (msg);
  if (query != NULL)
    req->query = g_hash_table_ref (query);

  /* The server runs with "raw-paths", so this is still percent-encoded:
   * split first, then decode each segment, so that "%2F" stays inside its
   * segment. */
  raw = g_uri_get_path (soup_server_message_get_uri (msg));
  if (raw[0] == '/')
    raw++;
  if (raw[0] != '\0') {
    g_auto (GStrv) parts = g_strsplit (raw, "/", -1);

    for (i = 0; parts[i] != NULL; i++) {
      char *decoded = g_uri_unescape_string (parts[i], NULL);

      if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL)) {
        req->bad_path = TRUE;
        g_free (decoded);
        decoded = g_strdup ("");
      }
      g_ptr_array_add (segments, decoded);
    }
  }

  if (!req->bad_path &&
      !any_route_matches (req, (char **) segments->pdata, segments->len)) {
    g_autoptr (GPtrArray) recovered = g_ptr_array_new_with_free_func (g_free);

    for (i = 0; i < segments->len; i++)
      g_ptr_array_add (recovered, g_strdup (g_ptr_array_index (segments, i)));
    if (recover_dot_segment (recovered) &&
        any_route_matches (req, (char **) recovered->pdata, recovered->len)) {
      g_ptr_array_unref (segments);
      segments = g_steal_pointer (&recovered);
    }
  }
  req->n_params = 0;

  path = g_string_new (NULL);
  for (i = 0; i < segments->len; i++) {
    g_string_append_c (path, '/');
    g_string_append (path, g_ptr_array_index (segments, i));
  }
  if (path->len == 0)
    g_string_append_c (path, '/');
  req->path = g_string_free (path, FALSE);

  req->n_segments = segments->len;
  g_ptr_array_add (segments, NULL);
  req->segments = (char **) g_ptr_array_free (g_steal_pointer (&segments),
                                              FALSE);

  /* A trace context on every response. */
  req->trace = vi_server_new_trace ();
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "x-cloud-trace-context", req->trace);
  return req;
}

const char *
vi_server_request_get_param (ViServerRequest *req, const char *name)
{
  gsize len = strlen (name);
  guint i;

  for (i = 0; i < req->n_params; i++) {
    if (req->param_name_lens[i] == len &&
        strncmp (req->param_names[i], name, len) == 0)
      return req->param_values[i];
  }
  return NULL;
}

const char *
vi_server_request_get_query (ViServerRequest *req, const char *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

GBytes *
vi_server_request_get_body (ViServerRequest *req)
{
  return soup_message_body_flatten (
      soup_server_message_get_request_body (req->msg));
}

/* libsoup 3.2 calls 429 "Unknown Error". */
void
vi_server_request_set_status (ViServerRequest *req, guint status)
{
  soup_server_message_set_status (req->msg, status,
                                  status == 429 ? "Too Many Requests" : NULL);
}

void
vi_server_request_reply_json (ViServerRequest *req, guint status, GString *body)
{
  gsize len = body->len;

  vi_server_request_set_status (req, status);
  soup_server_message_set_response (req->msg, "application/json",
                                    SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), len);
}

void
vi_server_request_reply_empty (ViServerRequest *req, guint status)
{
  vi_server_request_set_status (req, status);
  soup_message_body_truncate (soup_server_message_get_response_body (req->msg));
}

void
vi_server_request_reply_error_literal (ViServerRequest *req,
                                       guint            status,
                                       const char      *message)
{
  vi_server_request_reply_json (req, status,
                                vi_server_error_body (status, message));
}

void
vi_server_request_reply_error (ViServerRequest *req,
                               guint            status,
                               const char      *format,
                               ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  vi_server_request_reply_error_literal (req, status, message);
}

/**
 * vi_server_refuse:
 * @state: the server's state
 * @msg: a request whose headers are read, from the early handler or a
 *   "got-chunk" handler
 * @status: 403, 413, 431…
 * @message: the error message
 *
 * Answers @msg at once, without reading (more of) its body: the
 * connection is taken from libsoup, the answer written, and the
 * connection closed gracefully.  The request is counted (not the control
 * endpoint's), but no fault rule sees it.  @msg may be gone afterwards.
 */
void
vi_server_refuse (ViServerState     *state,
                  SoupServerMessage *msg,
                  guint              status,
                  const char        *message)
{
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (ViServerRequest)
      req = vi_server_request_new (state, NULL, msg, NULL);

  if (req->n_segments == 0 || !g_str_equal (req->segments[0], "_control")) {
    g_mutex_lock (&state->lock);
    vi_server_request_count (req);
    g_mutex_unlock (&state->lock);
  }
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  vi_server_write_raw_error (g_io_stream_get_output_stream (stream), status,
                             message);
  vi_server_conns_linger_close (state->conns, stream);
}

/* Parses the body as a JSON object into *root; on failure a 400 has been
 * sent. */
JsonObject *
vi_server_request_parse_body (ViServerRequest *req, JsonNode **root)
{
  g_autoptr (GBytes) body = vi_server_request_get_body (req);
  g_autoptr (GError) error = NULL;
  gsize       len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data == NULL || len == 0) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "the request needs a JSON object body");
    return NULL;
  }
  *root = vi_server_json_parse (data, len, &error);
  if (*root == NULL) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "the body is not valid JSON: %s",
                                   error->message);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (*root)) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "the body must be a JSON object");
    return NULL;
  }
  return json_node_get_object (*root);
}
