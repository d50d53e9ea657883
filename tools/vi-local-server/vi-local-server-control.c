/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * What a test sets and reads while the server runs, from any thread: the
 * fault rules, the latency and the processing delay, the request limits,
 * and the request and fault counters.  The control endpoint
 * (vi-server-dispatch.c) offers part of it over HTTP.
 */
#include "config.h"

#include "vi-local-server.h"
#include "vi-local-server-private.h"
#include "vi-server-write.h"

/**
 * vi_local_server_add_fault_json:
 * @self: a #ViLocalServer
 * @json: one fault rule, or an array of them (see vi-faults.h)
 * @error: return location for a #GError
 *
 * Appends fault rules.  Thread-safe; takes effect for the next request.
 *
 * Returns: %TRUE on success; on failure no rule is added
 */
gboolean
vi_local_server_add_fault_json (ViLocalServer *self,
                                const char    *json,
                                GError       **error)
{
  g_autoptr (GPtrArray) rules = NULL;
  guint i;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rules = vi_fault_rules_parse (json, -1, error);
  if (rules == NULL)
    return FALSE;

  g_ptr_array_set_free_func (rules, NULL);
  g_mutex_lock (&self->state.lock);
  for (i = 0; i < rules->len; i++)
    g_ptr_array_add (self->dispatch.faults, g_ptr_array_index (rules, i));
  g_mutex_unlock (&self->state.lock);
  return TRUE;
}

/**
 * vi_local_server_clear_faults:
 * @self: a #ViLocalServer
 *
 * Removes every fault rule.  Thread-safe.
 */
void
vi_local_server_clear_faults (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  vi_server_dispatch_clear_faults (&self->dispatch);
}

/**
 * vi_local_server_set_latency:
 * @self: a #ViLocalServer
 * @latency_ms: a delay added to every API request, 0 for none
 *
 * The delay does not block the server: other requests are served
 * meanwhile.  It adds to the delay of a "latency" fault.  Thread-safe.
 */
void
vi_local_server_set_latency (ViLocalServer *self, guint latency_ms)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->state.lock);
  self->dispatch.latency_ms = latency_ms;
  g_mutex_unlock (&self->state.lock);
}

/**
 * vi_local_server_set_processing_delay:
 * @self: a #ViLocalServer
 * @delay_ms: how long an import session waits, once `FilesInserted` is
 *   reached, before it is processed; and an export before it is built
 *
 * Lets tests see the `Complete: Waiting` (and export `Ready: Waiting`)
 * states, and hold a session there: the delay counts from the moment the
 * files were marked inserted (the export created), and a new value
 * applies at once to what is waiting, so setting 0 releases it.
 * Default 0.  Thread-safe.
 */
void
vi_local_server_set_processing_delay (ViLocalServer *self, guint delay_ms)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->state.lock);
  vi_server_write_set_processing_delay (self->state.write, delay_ms);
  g_mutex_unlock (&self->state.lock);
}

/**
 * vi_local_server_set_max_body_size:
 * @self: a #ViLocalServer
 * @size: the largest request body taken, in bytes, on every route but the
 *   signed upload URLs
 *
 * A request that announces a larger body (`Content-Length`) is answered
 * 413 before its body is read; a chunked one once it passes @size.
 * Default %VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE.  Thread-safe.
 */
void
vi_local_server_set_max_body_size (ViLocalServer *self, guint64 size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->state.lock);
  self->dispatch.max_body_size = size;
  g_mutex_unlock (&self->state.lock);
}

/**
 * vi_local_server_set_max_upload_size:
 * @self: a #ViLocalServer
 * @size: the largest body of a `PUT` to a signed upload URL, in bytes
 *
 * As vi_local_server_set_max_body_size(), for uploads.  Default
 * %VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE.  Thread-safe.
 */
void
vi_local_server_set_max_upload_size (ViLocalServer *self, guint64 size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->state.lock);
  self->dispatch.max_upload_size = size;
  g_mutex_unlock (&self->state.lock);
}

/**
 * vi_local_server_set_max_header_size:
 * @self: a #ViLocalServer
 * @size: the largest request line and header fields of a request, in
 *   bytes, from %VI_LOCAL_SERVER_MIN_HEADER_SIZE to
 *   %VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE (libsoup drops a connection
 *   whose headers pass 64 KiB; the server answers 431 before that)
 *
 * Larger headers get 431.  Thread-safe.
 */
void
vi_local_server_set_max_header_size (ViLocalServer *self, guint size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));
  g_return_if_fail (size >= VI_LOCAL_SERVER_MIN_HEADER_SIZE &&
                    size <= VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE);

  g_mutex_lock (&self->state.lock);
  self->dispatch.max_header_size = size;
  vi_server_conns_set_max_header (self->state.conns, size);
  g_mutex_unlock (&self->state.lock);
}

/**
 * vi_local_server_get_request_count:
 * @self: a #ViLocalServer
 * @method: (nullable): count only this method
 * @path_prefix: (nullable): count only requests whose percent-decoded path
 *   starts with this
 *
 * Counts the API requests received since the start or the last
 * vi_local_server_reset_counters(), faulted and refused ones included, the
 * control endpoint excluded.  With a filter, only the first 2^20 requests
 * are considered.
 *
 * Returns: the number of requests
 */
static guint
count_requests_locked (ViLocalServer *self,
                       const char    *method,
                       const char    *path_prefix)
{
  guint64 n = 0;
  guint   i;

  if (method == NULL && path_prefix == NULL) {
    n = self->state.n_requests;
  } else {
    for (i = 0; i < self->state.request_log->len; i++) {
      ViServerLoggedRequest *entry = &g_array_index (self->state.request_log,
                                                     ViServerLoggedRequest, i);

      if ((method == NULL || g_ascii_strcasecmp (entry->method, method) == 0) &&
          (path_prefix == NULL || g_str_has_prefix (entry->path, path_prefix)))
        n++;
    }
  }
  return (guint) MIN (n, G_MAXUINT);
}

guint
vi_local_server_get_request_count (ViLocalServer *self,
                                   const char    *method,
                                   const char    *path_prefix)
{
  guint n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  g_mutex_lock (&self->state.lock);
  n = count_requests_locked (self, method, path_prefix);
  g_mutex_unlock (&self->state.lock);
  return n;
}

/**
 * vi_local_server_wait_for_requests:
 * @self: a #ViLocalServer
 * @method: (nullable): as for vi_local_server_get_request_count()
 * @path_prefix: (nullable): as for vi_local_server_get_request_count()
 * @n: how many requests to wait for
 * @timeout_ms: how long to wait at most
 *
 * Waits, from any thread but the server's, until the server has counted
 * @n requests that vi_local_server_get_request_count() would count: the
 * moment a request has reached the server (and, with a latency fault, is
 * being held), without polling.  Thread-safe.
 *
 * Returns: %TRUE once there are @n, %FALSE when @timeout_ms passed first
 */
gboolean
vi_local_server_wait_for_requests (ViLocalServer *self,
                                   const char    *method,
                                   const char    *path_prefix,
                                   guint          n,
                                   guint          timeout_ms)
{
  gint64   end;
  gboolean reached;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);

  end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&self->state.lock);
  while (!(reached = count_requests_locked (self, method, path_prefix) >= n) &&
         g_cond_wait_until (&self->state.request_cond, &self->state.lock, end))
    ;
  if (!reached)
    reached = count_requests_locked (self, method, path_prefix) >= n;
  g_mutex_unlock (&self->state.lock);
  return reached;
}

/**
 * vi_local_server_get_fault_count:
 * @self: a #ViLocalServer
 *
 * Counts the requests a fault rule fired for (any action, "latency"
 * included) since the start or the last vi_local_server_reset_counters().
 * Thread-safe.
 *
 * Returns: the number of faulted requests
 */
guint
vi_local_server_get_fault_count (ViLocalServer *self)
{
  guint64 n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  g_mutex_lock (&self->state.lock);
  n = self->dispatch.n_faulted;
  g_mutex_unlock (&self->state.lock);
  return (guint) MIN (n, G_MAXUINT);
}

/**
 * vi_local_server_reset_counters:
 * @self: a #ViLocalServer
 *
 * Sets the request and fault counters back to zero.  Thread-safe.
 */
void
vi_local_server_reset_counters (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  vi_server_dispatch_reset_counters (&self->dispatch);
}
