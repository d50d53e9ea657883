/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-local-server.h"
#include "vi-local-server-private.h"
#include "vi-server-annotations.h"
#include "vi-server-exports.h"
#include "vi-server-imports.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
 *
 * This file holds the object, its route tables, listening (the loopback
 * socket, the server's own thread and main context), start and stop;
 * vi-local-server-data.c the data it serves, vi-local-server-control.c
 * what tests set and read while it runs.
 */

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
