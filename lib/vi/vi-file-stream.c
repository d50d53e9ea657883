/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-file-stream-private.h"

typedef struct {
  GInputStream parent_instance;
  int          fd;
  goffset      position;
} ViFileStream;

typedef struct {
  GInputStreamClass parent_class;
} ViFileStreamClass;

static void vi_file_stream_pollable_iface_init (
    GPollableInputStreamInterface *iface);
static void  vi_file_stream_seekable_iface_init (GSeekableIface *iface);
static GType vi_file_stream_get_type (void);

G_DEFINE_TYPE_WITH_CODE (
    ViFileStream,
    vi_file_stream,
    G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                           vi_file_stream_pollable_iface_init)
        G_IMPLEMENT_INTERFACE (G_TYPE_SEEKABLE,
                               vi_file_stream_seekable_iface_init))

static gssize
file_read (ViFileStream *self, void *buffer, gsize count, GError **error)
{
  gssize n;

  do
    n = pread (self->fd, buffer, count, self->position);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "cannot read the file: %s", g_strerror (saved));
    return -1;
  }
  self->position += n;
  return n;
}

static gssize
vi_file_stream_read (GInputStream *stream,
                     void         *buffer,
                     gsize         count,
                     GCancellable *cancellable,
                     GError      **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  return file_read ((ViFileStream *) stream, buffer, count, error);
}

static gboolean
vi_file_stream_close (GInputStream *stream,
                      GCancellable *cancellable,
                      GError      **error)
{
  ViFileStream *self = (ViFileStream *) stream;

  if (self->fd >= 0) {
    g_close (self->fd, NULL);
    self->fd = -1;
  }
  return TRUE;
}

static void
vi_file_stream_finalize (GObject *object)
{
  ViFileStream *self = (ViFileStream *) object;

  if (self->fd >= 0)
    g_close (self->fd, NULL);
  G_OBJECT_CLASS (vi_file_stream_parent_class)->finalize (object);
}

static void
vi_file_stream_class_init (ViFileStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vi_file_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = vi_file_stream_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = vi_file_stream_close;
}

static void
vi_file_stream_init (ViFileStream *self)
{
  self->fd = -1;
}

static gboolean
can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
is_readable (GPollableInputStream *stream)
{
  return TRUE;
}

static GSource *
create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  /* Always ready: a source that dispatches at once. */
  GSource *base = g_timeout_source_new (0);
  GSource *source = g_pollable_source_new_full (stream, base, cancellable);

  g_source_unref (base);
  return source;
}

static gssize
read_nonblocking (GPollableInputStream *stream,
                  void                 *buffer,
                  gsize                 count,
                  GError              **error)
{
  return file_read ((ViFileStream *) stream, buffer, count, error);
}

static void
vi_file_stream_pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = can_poll;
  iface->is_readable = is_readable;
  iface->create_source = create_source;
  iface->read_nonblocking = read_nonblocking;
}

static goffset
tell (GSeekable *seekable)
{
  return ((ViFileStream *) seekable)->position;
}

static gboolean
can_seek (GSeekable *seekable)
{
  return TRUE;
}

static gboolean
seek (GSeekable    *seekable,
      goffset       offset,
      GSeekType     type,
      GCancellable *cancellable,
      GError      **error)
{
  ViFileStream *self = (ViFileStream *) seekable;
  goffset       target;

  switch (type) {
    case G_SEEK_SET:
      target = offset;
      break;
    case G_SEEK_CUR:
      target = self->position + offset;
      break;
    default: {
      goffset end = lseek (self->fd, 0, SEEK_END);
      if (end < 0) {
        int saved = errno;
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     "cannot seek: %s", g_strerror (saved));
        return FALSE;
      }
      target = end + offset;
      break;
    }
  }
  if (target < 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "cannot seek before the start of the file");
    return FALSE;
  }
  self->position = target;
  return TRUE;
}

static gboolean
can_truncate (GSeekable *seekable)
{
  return FALSE;
}

static gboolean
truncate_fn (GSeekable    *seekable,
             goffset       offset,
             GCancellable *cancellable,
             GError      **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "cannot truncate an input stream");
  return FALSE;
}

static void
vi_file_stream_seekable_iface_init (GSeekableIface *iface)
{
  iface->tell = tell;
  iface->can_seek = can_seek;
  iface->seek = seek;
  iface->can_truncate = can_truncate;
  iface->truncate_fn = truncate_fn;
}

GInputStream *
_vi_file_stream_new (const char *path, GError **error)
{
  ViFileStream *self;
  int           fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s",
                 g_strerror (saved));
    return NULL;
  }
  self = g_object_new (vi_file_stream_get_type (), NULL);
  self->fd = fd;
  return G_INPUT_STREAM (self);
}
