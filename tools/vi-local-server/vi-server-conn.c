/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-conn.h"
#include "vi-local-server.h"

/*
 * What the server's connections need beyond what libsoup 3.2 does.
 *
 * Oversized headers.  libsoup's server reads a request's header block into
 * a buffer and, past 64 KiB, drops the connection without a word.  So every
 * connection reaches libsoup through a ViGuardStream, whose input counts
 * the bytes libsoup reads while it is reading headers: from the end of a
 * message (vi_server_conns_message_done()) to the early handler of the next
 * (vi_server_conns_got_headers()).  libsoup reads ahead by up to one 8 KiB
 * block, so the count can be that much above the real header size, or below
 * it for the next message; the guard trips at the limit plus that slack,
 * which is well below libsoup's 64 KiB as long as the limit is at most
 * VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE, answers 431 itself and closes
 * gracefully.
 * Headers above the limit but small enough not to trip the guard are
 * measured exactly by the early handler, which answers 431 too.
 *
 * Graceful close.  Closing a socket that still has unread data makes the
 * kernel send a reset, and the client may lose the answer it has not read
 * yet; a client that is still sending (a body it was told not to send)
 * sees a failed write instead of the answer.  A refused request's
 * connection is therefore closed by vi_server_conns_linger_close(): what
 * the client still sends is read and dropped, up to the end of the stream
 * or for at most VI_SERVER_LINGER_MS, then the connection is closed.  Its
 * memory does not grow with what it drops.
 */

#define READ_AHEAD_SLACK 8192
#define LINGER_BUFFER    (64 * 1024)

struct _ViServerConns {
  guint       max_header;         /* atomic */
  GHashTable *lingering;          /* Linger, on the server's thread */
};

typedef struct {
  ViServerConns *conns;           /* a reference */
  GIOStream     *stream;
  GInputStream  *input;
  GCancellable  *cancellable;
  GSource       *timeout;
  guint8         buffer[LINGER_BUFFER];
} Linger;

/* ---- the guarded stream -------------------------------------------------- */

#define VI_TYPE_HEADER_GUARD (vi_header_guard_get_type ())
G_DECLARE_FINAL_TYPE (ViHeaderGuard, vi_header_guard, VI, HEADER_GUARD, GFilterInputStream)

#define VI_TYPE_GUARD_STREAM (vi_guard_stream_get_type ())
G_DECLARE_FINAL_TYPE (ViGuardStream, vi_guard_stream, VI, GUARD_STREAM, GIOStream)

struct _ViHeaderGuard {
  GFilterInputStream  parent_instance;
  ViGuardStream      *owner;      /* not a reference: it owns us */
};

struct _ViGuardStream {
  GIOStream       parent_instance;
  ViServerConns  *conns;          /* a reference */
  GIOStream      *base;
  GInputStream   *input;          /* a ViHeaderGuard */
  GSocketAddress *remote;
  gboolean        reading_headers;
  gsize           header_bytes;
  gboolean        tripped;        /* answered 431; the linger owns base */
};

static void vi_header_guard_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ViHeaderGuard, vi_header_guard, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      vi_header_guard_pollable_init))
G_DEFINE_FINAL_TYPE (ViGuardStream, vi_guard_stream, G_TYPE_IO_STREAM)

static GQuark
guard_quark (void)
{
  return g_quark_from_static_string ("vi-server-guard");
}

static GInputStream *
base_input (ViHeaderGuard *self)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self));
}

/* Answers 431 and closes gracefully.  libsoup gets an error and lets go of
 * the stream; closing it leaves the base stream to the linger. */
static void
guard_trip (ViGuardStream *self)
{
  g_autofree char *message = NULL;

  self->tripped = TRUE;
  message = g_strdup_printf ("request header fields too large: the request line and "
                             "headers may take %u bytes",
                             (guint) g_atomic_int_get (&self->conns->max_header));
  vi_server_write_raw_error (g_io_stream_get_output_stream (self->base),
                             431, message);
  vi_server_conns_linger_close (self->conns, self->base);
}

/* Counts what libsoup reads while it reads headers. */
static gssize
guard_account (ViHeaderGuard  *guard,
               gssize          n,
               GError        **error)
{
  ViGuardStream *self = guard->owner;
  gsize limit;

  if (n <= 0 || self == NULL || !self->reading_headers)
    return n;

  self->header_bytes += (gsize) n;
  limit = (gsize) g_atomic_int_get (&self->conns->max_header) + READ_AHEAD_SLACK;
  if (self->header_bytes <= limit)
    return n;

  guard_trip (self);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "request header fields too large");
  return -1;
}

/* After a 431, libsoup gets only errors. */
static gboolean
guard_closing (ViHeaderGuard  *self,
               GError        **error)
{
  if (self->owner == NULL || !self->owner->tripped)
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the connection is closing");
  return TRUE;
}

static gssize
vi_header_guard_read (GInputStream  *stream,
                      void          *buffer,
                      gsize          count,
                      GCancellable  *cancellable,
                      GError       **error)
{
  ViHeaderGuard *self = VI_HEADER_GUARD (stream);

  if (guard_closing (self, error))
    return -1;
  return guard_account (self, g_input_stream_read (base_input (self), buffer, count,
                                                   cancellable, error), error);
}

static gboolean
vi_header_guard_can_poll (GPollableInputStream *stream)
{
  GInputStream *base = base_input (VI_HEADER_GUARD (stream));

  return G_IS_POLLABLE_INPUT_STREAM (base) &&
         g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
vi_header_guard_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (
    G_POLLABLE_INPUT_STREAM (base_input (VI_HEADER_GUARD (stream))));
}

static GSource *
vi_header_guard_create_source (GPollableInputStream *stream,
                               GCancellable         *cancellable)
{
  g_autoptr(GSource) base_source = g_pollable_input_stream_create_source (
    G_POLLABLE_INPUT_STREAM (base_input (VI_HEADER_GUARD (stream))), NULL);

  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
vi_header_guard_read_nonblocking (GPollableInputStream  *stream,
                                  void                  *buffer,
                                  gsize                  count,
                                  GError               **error)
{
  ViHeaderGuard *self = VI_HEADER_GUARD (stream);

  if (guard_closing (self, error))
    return -1;
  return guard_account (self, g_pollable_input_stream_read_nonblocking (
                                G_POLLABLE_INPUT_STREAM (base_input (self)), buffer, count,
                                NULL, error), error);
}

static void
vi_header_guard_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = vi_header_guard_can_poll;
  iface->is_readable = vi_header_guard_is_readable;
  iface->create_source = vi_header_guard_create_source;
  iface->read_nonblocking = vi_header_guard_read_nonblocking;
}

static void
vi_header_guard_class_init (ViHeaderGuardClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  input_class->read_fn = vi_header_guard_read;
}

static void
vi_header_guard_init (ViHeaderGuard *self)
{
}

static GInputStream *
vi_guard_stream_get_input_stream (GIOStream *stream)
{
  return VI_GUARD_STREAM (stream)->input;
}

static GOutputStream *
vi_guard_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (VI_GUARD_STREAM (stream)->base);
}

static gboolean
vi_guard_stream_close (GIOStream     *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  ViGuardStream *self = VI_GUARD_STREAM (stream);

  g_input_stream_close (self->input, NULL, NULL);
  /* After a 431 the linger closes the base stream. */
  if (self->tripped)
    return TRUE;
  return g_io_stream_close (self->base, cancellable, error);
}

/* Closed in the calling thread (GIOStream's default would use a worker
 * thread, which the server does not need). */
static void
vi_guard_stream_close_async (GIOStream           *stream,
                             int                  io_priority,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, vi_guard_stream_close_async);
  if (vi_guard_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
vi_guard_stream_close_finish (GIOStream     *stream,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
vi_guard_stream_finalize (GObject *object)
{
  ViGuardStream *self = VI_GUARD_STREAM (object);

  VI_HEADER_GUARD (self->input)->owner = NULL;
  g_object_unref (self->input);
  if (self->remote != NULL)
    {
      g_object_set_qdata (G_OBJECT (self->remote), guard_quark (), NULL);
      g_object_unref (self->remote);
    }
  g_object_unref (self->base);
  vi_server_conns_unref (self->conns);

  G_OBJECT_CLASS (vi_guard_stream_parent_class)->finalize (object);
}

static void
vi_guard_stream_class_init (ViGuardStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = vi_guard_stream_finalize;
  stream_class->get_input_stream = vi_guard_stream_get_input_stream;
  stream_class->get_output_stream = vi_guard_stream_get_output_stream;
  stream_class->close_fn = vi_guard_stream_close;
  stream_class->close_async = vi_guard_stream_close_async;
  stream_class->close_finish = vi_guard_stream_close_finish;
}

static void
vi_guard_stream_init (ViGuardStream *self)
{
  self->reading_headers = TRUE;
}

/* ---- lingering close ------------------------------------------------------ */

static void
linger_free (Linger *linger)
{
  if (linger->timeout != NULL)
    {
      g_source_destroy (linger->timeout);
      g_source_unref (linger->timeout);
    }
  g_io_stream_close (linger->stream, NULL, NULL);
  g_object_unref (linger->stream);
  g_object_unref (linger->cancellable);
  vi_server_conns_unref (linger->conns);
  g_free (linger);
}

static void linger_read_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data);

static void
linger_read (Linger *linger)
{
  g_input_stream_read_async (linger->input, linger->buffer, sizeof linger->buffer,
                             G_PRIORITY_LOW, linger->cancellable, linger_read_cb, linger);
}

static void
linger_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Linger *linger = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n > 0 && !g_cancellable_is_cancelled (linger->cancellable))
    {
      linger_read (linger);
      return;
    }
  g_hash_table_remove (linger->conns->lingering, linger);
  linger_free (linger);
}

static gboolean
linger_timeout_cb (gpointer user_data)
{
  Linger *linger = user_data;

  g_clear_pointer (&linger->timeout, g_source_unref);
  g_cancellable_cancel (linger->cancellable);
  return G_SOURCE_REMOVE;
}

/**
 * vi_server_conns_linger_close:
 * @conns: the server's connections
 * @stream: a connection that libsoup no longer uses
 *
 * Closes @stream once the client stopped sending, or after
 * VI_SERVER_LINGER_MS: what it sends meanwhile is dropped.  Runs on the
 * thread-default main context.
 */
void
vi_server_conns_linger_close (ViServerConns *conns,
                              GIOStream     *stream)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  Linger *linger = g_new0 (Linger, 1);

  linger->conns = vi_server_conns_ref (conns);
  linger->stream = g_object_ref (stream);
  linger->input = g_io_stream_get_input_stream (stream);
  linger->cancellable = g_cancellable_new ();
  linger->timeout = g_timeout_source_new (VI_SERVER_LINGER_MS);
  g_source_set_callback (linger->timeout, linger_timeout_cb, linger, NULL);
  g_source_attach (linger->timeout, context);
  g_hash_table_add (conns->lingering, linger);
  linger_read (linger);
}

/* ---- the connections ------------------------------------------------------ */

ViServerConns *
vi_server_conns_new (guint max_header)
{
  ViServerConns *conns = g_atomic_rc_box_new0 (ViServerConns);

  conns->max_header = max_header;
  conns->lingering = g_hash_table_new (NULL, NULL);
  return conns;
}

ViServerConns *
vi_server_conns_ref (ViServerConns *conns)
{
  return g_atomic_rc_box_acquire (conns);
}

static void
conns_clear (ViServerConns *conns)
{
  g_hash_table_unref (conns->lingering);
}

void
vi_server_conns_unref (ViServerConns *conns)
{
  g_atomic_rc_box_release_full (conns, (GDestroyNotify) conns_clear);
}

void
vi_server_conns_set_max_header (ViServerConns *conns,
                                guint          max_header)
{
  g_atomic_int_set (&conns->max_header, max_header);
}

/**
 * vi_server_conns_close_all:
 * @conns: the server's connections
 *
 * Ends the lingering closes at once; they finish on the main context they
 * were started on.
 */
void
vi_server_conns_close_all (ViServerConns *conns)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, conns->lingering);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_cancellable_cancel (((Linger *) key)->cancellable);
}

gboolean
vi_server_conns_is_lingering (ViServerConns *conns)
{
  return g_hash_table_size (conns->lingering) > 0;
}

/**
 * vi_server_conns_wrap:
 * @conns: the server's connections
 * @base: a new connection
 * @remote: the address of its peer, handed to libsoup with the stream
 *
 * Returns: (transfer full): the stream to give libsoup
 */
GIOStream *
vi_server_conns_wrap (ViServerConns  *conns,
                      GIOStream      *base,
                      GSocketAddress *remote)
{
  ViGuardStream *self = g_object_new (VI_TYPE_GUARD_STREAM, NULL);
  ViHeaderGuard *guard;

  self->conns = vi_server_conns_ref (conns);
  self->base = g_object_ref (base);
  guard = g_object_new (VI_TYPE_HEADER_GUARD,
                        "base-stream", g_io_stream_get_input_stream (base),
                        "close-base-stream", FALSE,
                        NULL);
  guard->owner = self;
  self->input = G_INPUT_STREAM (guard);
  /* libsoup hands the address back with every message: it leads from a
   * message to its connection's guard. */
  self->remote = g_object_ref (remote);
  g_object_set_qdata (G_OBJECT (remote), guard_quark (), self);
  return G_IO_STREAM (self);
}

static ViGuardStream *
guard_of (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), guard_quark ()) : NULL;
}

/* The early handler of @msg runs: its headers are read. */
void
vi_server_conns_got_headers (SoupServerMessage *msg)
{
  ViGuardStream *self = guard_of (msg);

  if (self != NULL)
    self->reading_headers = FALSE;
}

/* @msg is finished: what the connection reads next is the next message's
 * headers. */
void
vi_server_conns_message_done (SoupServerMessage *msg)
{
  ViGuardStream *self = guard_of (msg);

  if (self != NULL)
    {
      self->reading_headers = TRUE;
      self->header_bytes = 0;
    }
}
