/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-local-server.h"
#include "vi-server-annotations.h"
#include "vi-server-dispatch.h"
#include "vi-server-json.h"
#include "vi-server-exports.h"
#include "vi-server-imports.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/**
 * SECTION:vi-local-server
 *
 * The Vi annotations API (docs/protocol.md), served on loopback by libsoup, for
 * tests, the demo and offline use.
 *
 * Threading: the SoupServer lives on one thread (its own, or the caller's
 * thread-default main context).  Every public function may be called from
 * any thread: the store, the fault rules and the counters are behind one
 * mutex, which handlers hold only while they read or change the store.
 */

struct _ViLocalServer {
  GObject parent_instance;

  /* The store, the write side, the counters, the lock: what handlers see. */
  ViServerState state;
  /* Faults, limits, authentication and routing of requests. */
  ViServerDispatch dispatch;

  /* Owned by the server's thread while it runs. */
  SoupServer         *soup;
  GMainContext       *context;
  GMainLoop          *loop;
  GThread            *thread;
  GInetSocketAddress *listen_address;
  GSocket            *listen_socket;
  GSource            *accept_source;
  GSocket            *keepalive_peer; /* see keep_connections_alive() */

  /* Start-up handshake with the server's thread. */
  GCond    started_cond;
  gboolean started;
  GError  *start_error;

  int port; /* atomic: read from any thread */
};

#define LISTEN_BACKLOG 128

G_DEFINE_FINAL_TYPE (ViLocalServer, vi_local_server, G_TYPE_OBJECT)

static const ViServerRoute *const route_tables[] = {
  vi_server_annotation_routes, vi_server_import_routes,
  vi_server_export_routes,     vi_server_upload_routes,
  vi_server_download_routes,
};

/* Reached without authentication: the signed URLs carry their own
 * credential. */
static const ViServerRoute *const public_route_tables[] = {
  vi_server_upload_routes,
  vi_server_download_routes,
};
static void
vi_local_server_finalize (GObject *object)
{
  ViLocalServer *self = VI_LOCAL_SERVER (object);

  vi_local_server_stop (self);

  /* Joins the processing threads, which take the lock. */
  g_clear_pointer (&self->state.write, vi_server_write_free);
  vi_server_state_clear (&self->state);
  vi_server_dispatch_clear (&self->dispatch);
  g_cond_clear (&self->started_cond);

  G_OBJECT_CLASS (vi_local_server_parent_class)->finalize (object);
}

static void
vi_local_server_class_init (ViLocalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vi_local_server_finalize;
}

static void
vi_local_server_init (ViLocalServer *self)
{
  g_cond_init (&self->started_cond);
}

/**
 * vi_local_server_new:
 * @secret_key: (nullable): the key clients must send as
 *   `Authorization: Bearer <key>`, or %NULL for
 *   %VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
 * @organization_id: (nullable): the organization served, or %NULL for
 *   %VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
 *
 * Returns: (transfer full): a new server, not listening yet
 */
ViLocalServer *
vi_local_server_new (const char *secret_key, const char *organization_id)
{
  ViLocalServer *self = g_object_new (VI_TYPE_LOCAL_SERVER, NULL);

  vi_server_state_init (&self->state,
                        organization_id != NULL && *organization_id != '\0'
                            ? organization_id
                            : VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID,
                        VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE);
  vi_server_dispatch_init (&self->dispatch, &self->state,
                           secret_key != NULL && *secret_key != '\0'
                               ? secret_key
                               : VI_LOCAL_SERVER_DEFAULT_SECRET_KEY);
  self->dispatch.max_body_size = VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE;
  self->dispatch.max_upload_size = VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE;
  self->dispatch.max_header_size = VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE;
  self->state.routes = route_tables;
  self->state.n_routes = G_N_ELEMENTS (route_tables);
  self->state.public_routes = public_route_tables;
  self->state.n_public_routes = G_N_ELEMENTS (public_route_tables);
  self->state.write = vi_server_write_new (&self->state);
  vi_server_imports_init (self->state.write);
  vi_server_exports_init (self->state.write);
  return self;
}

/* ---- data --------------------------------------------------------------- */

/**
 * vi_local_server_set_data_dir:
 * @self: a #ViLocalServer
 * @dir: a directory, created if needed
 * @error: return location for a #GError
 *
 * Keeps the store in @dir: what is there is loaded now, and every later
 * change is written there before it is answered.  Import sessions are kept
 * there too; those a stop interrupted come back failed (see
 * vi-server-write.c).  Call it before anything is loaded.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_set_data_dir (ViLocalServer *self,
                              const char    *dir,
                              GError       **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_server_state_lock_store (&self->state);
  if (vi_store_get_dir (store) != NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "the data directory is already set to %s",
                 vi_store_get_dir (store));
    ok = FALSE;
  } else {
    ok = vi_store_open_dir (store, dir, error);
    if (ok)
      vi_server_imports_restore (self->state.write, store);
  }
  vi_server_state_unlock_store (&self->state);
  return ok;
}

/**
 * vi_local_server_add_records:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @records: (array length=n_records): records; their spans are computed
 * @n_records: the number of records
 * @error: return location for a #GError
 *
 * Adds the annotations of @records to @dataset_id, creating it if needed:
 * all of them, or none when one is invalid.  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_add_records (ViLocalServer  *self,
                             const char     *dataset_id,
                             ViJsonlRecord **records,
                             guint           n_records,
                             GError        **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (records != NULL || n_records == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_server_state_lock_store (&self->state);
  ok = vi_store_ensure_dataset (store, dataset_id, error) &&
      vi_store_add_records (store, dataset_id, records, n_records, NULL, error);
  vi_server_state_unlock_store (&self->state);
  return ok;
}

/**
 * vi_local_server_add_record:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @record: a record; its spans are computed
 * @error: return location for a #GError
 *
 * Adds the annotations of one record.  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_add_record (ViLocalServer *self,
                            const char    *dataset_id,
                            ViJsonlRecord *record,
                            GError       **error)
{
  g_return_val_if_fail (record != NULL, FALSE);

  return vi_local_server_add_records (self, dataset_id, &record, 1, error);
}

static gboolean
load_jsonl (ViLocalServer *self,
            const char    *dataset_id,
            const char    *path,
            gboolean       replace,
            GError       **error)
{
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) local_error = NULL;
  ViJsonlRecord *record;
  ViStore       *store;
  gboolean       ok;

  if (!vi_store_dataset_id_is_valid (dataset_id)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "invalid dataset id “%s”: use 1 to 255 characters from "
                 "A-Z, a-z, 0-9, '_' and '-'",
                 dataset_id ? dataset_id : "");
    return FALSE;
  }

  /* The file is read whole before the lock is taken: requests are served
   * meanwhile, and a bad line leaves the dataset untouched. */
  reader = vi_jsonl_reader_new_for_path (path, error);
  if (reader == NULL)
    return FALSE;
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);

  records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  while ((record = vi_jsonl_reader_next (reader, NULL, &local_error)) != NULL)
    g_ptr_array_add (records, record);

  if (local_error != NULL) {
    /* The reader's message should name the place already; make sure. */
    if (strstr (local_error->message, path) == NULL)
      g_prefix_error (&local_error, "%s:%u: ", path,
                      vi_jsonl_reader_get_line_number (reader));
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }

  store = vi_server_state_lock_store (&self->state);
  ok = (replace ? vi_store_clear_dataset (store, dataset_id, &local_error)
                : vi_store_ensure_dataset (store, dataset_id, &local_error)) &&
      vi_store_add_records (store, dataset_id,
                            (ViJsonlRecord **) records->pdata, records->len,
                            NULL, &local_error);
  vi_server_state_unlock_store (&self->state);

  if (!ok) {
    g_prefix_error (&local_error, "%s: ", path);
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  return TRUE;
}

/**
 * vi_local_server_load_jsonl:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @path: a JSONL file in any form libvi reads
 * @error: return location for a #GError
 *
 * Adds every line of @path to @dataset_id, creating it if needed.  A bad
 * line fails the whole load, with an error naming the file and line, and
 * nothing is added.  Thread-safe; the file is read without holding the
 * server's lock.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_load_jsonl (ViLocalServer *self,
                            const char    *dataset_id,
                            const char    *path,
                            GError       **error)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return load_jsonl (self, dataset_id, path, FALSE, error);
}

/**
 * vi_local_server_replace_jsonl:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @path: a JSONL file in any form libvi reads
 * @error: return location for a #GError
 *
 * Like vi_local_server_load_jsonl(), but what @dataset_id held is removed
 * first, and only when the whole file is good.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_replace_jsonl (ViLocalServer *self,
                               const char    *dataset_id,
                               const char    *path,
                               GError       **error)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return load_jsonl (self, dataset_id, path, TRUE, error);
}

/**
 * vi_local_server_clear_dataset:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @error: return location for a #GError
 *
 * Removes every annotation and asset of @dataset_id (creating it empty if
 * it did not exist).  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_clear_dataset (ViLocalServer *self,
                               const char    *dataset_id,
                               GError       **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_server_state_lock_store (&self->state);
  ok = vi_store_clear_dataset (store, dataset_id, error);
  vi_server_state_unlock_store (&self->state);
  return ok;
}

/**
 * vi_local_server_count_annotations:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @asset_id: (nullable): an asset, or %NULL for the whole dataset
 *
 * Returns: the number of annotation parts stored
 */
guint
vi_local_server_count_annotations (ViLocalServer *self,
                                   const char    *dataset_id,
                                   const char    *asset_id)
{
  ViStore *store;
  guint    n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);
  g_return_val_if_fail (dataset_id != NULL, 0);

  store = vi_server_state_lock_store (&self->state);
  n = vi_store_count_annotations (store, dataset_id, asset_id);
  vi_server_state_unlock_store (&self->state);
  return n;
}

/* ---- faults and counters ------------------------------------------------ */

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

/* ---- requests ----------------------------------------------------------- */

/* ---- dispatch ----------------------------------------------------------- */

/* ---- control endpoint --------------------------------------------------- */

/* ---- limits ------------------------------------------------------------- */

/* ---- start and stop ----------------------------------------------------- */

/* libsoup 3.2 (3.2.3, Debian 12; no upstream report found) keeps a
 * connection alive after an answer only while it has a listener of its own, and the server hands it connections it accepted
 * itself (soup_server_accept_iostream(), through the header guard).  So
 * libsoup gets one end of a socket pair as its "listener": a connected
 * socket, which it takes, and which never delivers a connection.  The
 * other end is kept until the server stops. */
static void
keep_connections_alive (ViLocalServer *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) end = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    g_warning ("cannot make a socket pair: %s; connections are not kept alive",
               g_strerror (errno));
    return;
  }
  end = g_socket_new_from_fd (fds[0], &error);
  if (end == NULL)
    close (fds[0]);
  self->keepalive_peer = g_socket_new_from_fd (fds[1],
                                               error == NULL ? &error : NULL);
  if (self->keepalive_peer == NULL)
    close (fds[1]);
  if (end == NULL || self->keepalive_peer == NULL ||
      !soup_server_listen_socket (self->soup, end, 0, &error))
    g_warning ("cannot keep connections alive: %s",
               error != NULL ? error->message : "no socket");
}

static void
setup_soup (ViLocalServer *self)
{
  self->soup = soup_server_new ("raw-paths", TRUE, "server-header",
                                "vi-local-server/" PACKAGE_VERSION " ", NULL);
  vi_server_dispatch_attach (&self->dispatch, self->soup, self->context);
  keep_connections_alive (self);
}

/**
 * vi_local_server_serve_stream:
 * @self: a #ViLocalServer, not started
 * @stream: a connection
 * @local: its local address
 * @remote: the address of its peer
 *
 * Serves @stream as a connection accepted on a listening socket would be,
 * on the thread-default main context (which the caller runs), without
 * listening: for the fuzzer.  vi_local_server_stop() ends it.
 */
void
vi_local_server_serve_stream (ViLocalServer  *self,
                              GIOStream      *stream,
                              GSocketAddress *local,
                              GSocketAddress *remote)
{
  g_autoptr (GIOStream) guarded = NULL;

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  if (self->soup == NULL)
    setup_soup (self);
  /* Signed URLs name the server: the local address stands for it. */
  if (vi_local_server_get_port (self) == 0 &&
      G_IS_INET_SOCKET_ADDRESS (local)) {
    GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (local);
    g_autofree char    *host = g_inet_address_to_string (
           g_inet_socket_address_get_address (inet));

    g_atomic_int_set (&self->port, g_inet_socket_address_get_port (inet));
    g_free (self->state.url);
    self->state.url = g_strdup_printf ("http://%s:%u", host,
                                       g_inet_socket_address_get_port (inet));
  }
  guarded = vi_server_conns_wrap (self->state.conns, stream, remote);
  soup_server_accept_iostream (self->soup, guarded, local, remote, NULL);
}

/* A connection on the listening socket: it reaches libsoup through the
 * header guard. */
static gboolean
accept_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  ViLocalServer *self = user_data;
  g_autoptr (GSocket) client = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GError) error = NULL;

  client = g_socket_accept (socket, NULL, &error);
  if (client == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      g_warning ("cannot accept a connection: %s", error->message);
    return G_SOURCE_CONTINUE;
  }
  /* As libsoup does for its own listeners: answers are written in a few
   * pieces, which Nagle's algorithm would hold back. */
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  connection = g_socket_connection_factory_create_connection (client);
  local = g_socket_get_local_address (client, NULL);
  remote = g_socket_get_remote_address (client, NULL);
  if (local == NULL || remote == NULL)
    return G_SOURCE_CONTINUE;
  vi_local_server_serve_stream (self, G_IO_STREAM (connection), local, remote);
  return G_SOURCE_CONTINUE;
}

static gboolean
server_listen (ViLocalServer *self, GError **error)
{
  GSocketAddress *address = G_SOCKET_ADDRESS (self->listen_address);
  g_autoptr (GSocketAddress) local = NULL;

  setup_soup (self);
  self->listen_socket = g_socket_new (g_socket_address_get_family (address),
                                      G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, error);
  if (self->listen_socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (self->listen_socket, LISTEN_BACKLOG);
  if (!g_socket_bind (self->listen_socket, address, TRUE, error) ||
      !g_socket_listen (self->listen_socket, error))
    return FALSE;
  local = g_socket_get_local_address (self->listen_socket, error);
  if (local == NULL)
    return FALSE;
  g_atomic_int_set (&self->port,
                    g_inet_socket_address_get_port (
                        G_INET_SOCKET_ADDRESS (local)));

  self->accept_source = g_socket_create_source (self->listen_socket, G_IO_IN,
                                                NULL);
  g_source_set_callback (self->accept_source,
                         (GSourceFunc) G_CALLBACK (accept_cb), self, NULL);
  g_source_attach (self->accept_source, self->context);
  return TRUE;
}

static void
server_teardown (ViLocalServer *self, gboolean own_context)
{
  if (self->accept_source != NULL) {
    g_source_destroy (self->accept_source);
    g_clear_pointer (&self->accept_source, g_source_unref);
  }
  if (self->listen_socket != NULL) {
    g_socket_close (self->listen_socket, NULL);
    g_clear_object (&self->listen_socket);
  }
  vi_server_dispatch_detach (&self->dispatch);
  if (self->soup != NULL) {
    soup_server_disconnect (self->soup);
    g_clear_object (&self->soup);
  }
  if (self->keepalive_peer != NULL) {
    g_socket_close (self->keepalive_peer, NULL);
    g_clear_object (&self->keepalive_peer);
  }
  vi_server_conns_close_all (self->state.conns);
  /* Let what the disconnection scheduled run and release its references;
   * only on our own context, the caller's may hold anything. */
  if (own_context) {
    while (vi_server_conns_is_lingering (self->state.conns))
      g_main_context_iteration (self->context, TRUE);
    while (g_main_context_iteration (self->context, FALSE))
      ;
  }
}

static gpointer
server_thread (gpointer user_data)
{
  ViLocalServer *self = user_data;
  GError        *error = NULL;
  gboolean       ok;

  g_main_context_push_thread_default (self->context);

  ok = server_listen (self, &error);

  g_mutex_lock (&self->state.lock);
  self->started = TRUE;
  self->start_error = error;
  g_cond_broadcast (&self->started_cond);
  g_mutex_unlock (&self->state.lock);

  if (ok)
    g_main_loop_run (self->loop);

  server_teardown (self, TRUE);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static GInetAddress *
parse_loopback_address (const char *address, GError **error)
{
  g_autoptr (GInetAddress) inet = NULL;

  if (address == NULL || g_str_equal (address, "localhost"))
    address = "127.0.0.1";

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "“%s” is not an IP address", address);
    return NULL;
  }
  if (!g_inet_address_get_is_loopback (inet)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "refusing to listen on %s: the local server listens on loopback "
                 "addresses only (127.0.0.1 or ::1)",
                 address);
    return NULL;
  }
  return g_steal_pointer (&inet);
}

static void
server_reset_runtime (ViLocalServer *self)
{
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->listen_address);
  g_clear_error (&self->start_error);
  self->started = FALSE;
  g_atomic_int_set (&self->port, 0);
}

/**
 * vi_local_server_start:
 * @self: a #ViLocalServer
 * @address: (nullable): a loopback address, or %NULL for 127.0.0.1
 * @port: a port, or 0 for a free one
 * @in_thread: %TRUE to serve from a new thread with its own main context;
 *   %FALSE to serve from the caller's thread-default main context, which
 *   the caller then runs
 * @error: return location for a #GError
 *
 * Starts listening.  Returns once the socket listens, so the port and URL
 * are known.  Non-loopback addresses are refused.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_start (ViLocalServer *self,
                       const char    *address,
                       guint16        port,
                       gboolean       in_thread,
                       GError       **error)
{
  g_autoptr (GInetAddress) inet = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (self->context == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  inet = parse_loopback_address (address, error);
  if (inet == NULL)
    return FALSE;
  self->listen_address = G_INET_SOCKET_ADDRESS (
      g_inet_socket_address_new (inet, port));

  if (in_thread) {
    self->context = g_main_context_new ();
    self->loop = g_main_loop_new (self->context, FALSE);
    self->thread = g_thread_new ("vi-local-server", server_thread, self);

    g_mutex_lock (&self->state.lock);
    while (!self->started)
      g_cond_wait (&self->started_cond, &self->state.lock);
    g_mutex_unlock (&self->state.lock);

    if (self->start_error != NULL) {
      g_thread_join (g_steal_pointer (&self->thread));
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      server_reset_runtime (self);
      return FALSE;
    }
  } else {
    self->context = g_main_context_ref_thread_default ();
    if (!server_listen (self, error)) {
      server_teardown (self, FALSE);
      server_reset_runtime (self);
      return FALSE;
    }
  }

  host = g_inet_address_to_string (inet);
  g_free (self->state.url);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    self->state.url = g_strdup_printf ("http://[%s]:%u", host,
                                       vi_local_server_get_port (self));
  else
    self->state.url = g_strdup_printf ("http://%s:%u", host,
                                       vi_local_server_get_port (self));
  return TRUE;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * vi_local_server_stop:
 * @self: a #ViLocalServer
 *
 * Stops listening and closes every connection.  A server started in its
 * own thread is stopped from any thread, and the thread is joined; one
 * started without must be stopped from the thread that started it.
 * Does nothing when the server is not running.
 */
void
vi_local_server_stop (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  if (self->thread != NULL) {
    /* Through the context rather than g_main_loop_quit() directly, so a
       * quit cannot come before the loop runs. */
    GSource *source = g_idle_source_new ();

    g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
    g_thread_join (g_steal_pointer (&self->thread));
  } else if (self->soup != NULL) {
    server_teardown (self, FALSE);
  } else {
    return;
  }
  server_reset_runtime (self);
}

/**
 * vi_local_server_get_port:
 * @self: a #ViLocalServer
 *
 * Returns: the port listened on, or 0 when not running
 */
guint16
vi_local_server_get_port (ViLocalServer *self)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  return (guint16) g_atomic_int_get (&self->port);
}

/**
 * vi_local_server_get_url:
 * @self: a #ViLocalServer
 *
 * Returns: (transfer full) (nullable): the base URL, such as
 *   `http://127.0.0.1:8080` (no trailing slash), or %NULL when not running
 */
char *
vi_local_server_get_url (ViLocalServer *self)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), NULL);

  if (vi_local_server_get_port (self) == 0)
    return NULL;
  return g_strdup (self->state.url);
}
