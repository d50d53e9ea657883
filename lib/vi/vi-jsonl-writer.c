/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViJsonlWriter: records to a stream, one line each.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-jsonl-private.h"
#include "vi-text-private.h"

/**
 * ViJsonlWriter:
 *
 * Writes records, one line each, with vi_jsonl_record_to_line().  Only
 * lines that a #ViJsonlReader reads back are written: a record it would
 * reject is refused (vi_jsonl_writer_write()), so a file written by a
 * writer always reads back whole.
 */
struct _ViJsonlWriter {
  GObject parent_instance;

  GOutputStream *stream; /* buffered, owns the caller's stream */
  gboolean       closed;
};

G_DEFINE_FINAL_TYPE (ViJsonlWriter, vi_jsonl_writer, G_TYPE_OBJECT)

static void
vi_jsonl_writer_dispose (GObject *object)
{
  ViJsonlWriter *self = VI_JSONL_WRITER (object);

  /* An unclosed writer flushes (and closes) when it goes away; errors
   * there are lost, so callers who care call vi_jsonl_writer_close(). */
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (vi_jsonl_writer_parent_class)->dispose (object);
}

static void
vi_jsonl_writer_class_init (ViJsonlWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vi_jsonl_writer_dispose;
}

static void
vi_jsonl_writer_init (ViJsonlWriter *self)
{
}

/**
 * vi_jsonl_writer_new:
 * @stream: the stream to write to
 *
 * Creates a writer over @stream.  Output is buffered; vi_jsonl_writer_close()
 * flushes it and closes @stream.
 *
 * Returns: (transfer full): a new #ViJsonlWriter
 */
ViJsonlWriter *
vi_jsonl_writer_new (GOutputStream *stream)
{
  ViJsonlWriter *self;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = g_object_new (VI_TYPE_JSONL_WRITER, NULL);
  self->stream = g_buffered_output_stream_new_sized (stream, 64 * 1024);

  return self;
}

/**
 * vi_jsonl_writer_new_for_path:
 * @path: (type filename): the file to write, replaced if it exists
 * @error: return location for a #GError
 *
 * Creates (or replaces) @path and returns a writer for it.  The file is
 * replaced atomically when the writer is closed.
 *
 * Returns: (transfer full) (nullable): a new #ViJsonlWriter, or %NULL with
 * a #GIOError
 */
ViJsonlWriter *
vi_jsonl_writer_new_for_path (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) stream = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (stream == NULL)
    return NULL;

  return vi_jsonl_writer_new (G_OUTPUT_STREAM (stream));
}

/* Whether record's line (len bytes) is one a reader reads back, by the
 * checks the reader's parser makes (_vi_jsonl_record_check(), shared with
 * it), not a second copy of them. */
static gboolean
check_reads_back (const ViJsonlRecord *record, gsize len, GError **error)
{
  g_autoptr (GError) reason = NULL;
  g_autofree char *asset = NULL;

  if (len > VI_JSONL_DEFAULT_MAX_LINE_LENGTH)
    g_set_error (&reason, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "the line would be %" G_GSIZE_FORMAT
                 " bytes, over the %d a reader reads",
                 len, VI_JSONL_DEFAULT_MAX_LINE_LENGTH);
  else if (_vi_jsonl_record_check (record, &reason))
    return TRUE;

  asset = _vi_text_excerpt (record->asset_id, -1, 60, VI_TEXT_QUOTE);
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
               "record of asset %s not written, it would not read back: %s",
               asset, reason->message);
  return FALSE;
}

/**
 * vi_jsonl_writer_write:
 * @writer: a #ViJsonlWriter
 * @record: the record to write
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Writes @record as one line (see vi_jsonl_record_to_line()), if a
 * #ViJsonlReader would read it back.  A record it would reject is not
 * written, and the error (%VI_ERROR_INVALID_DATA) gives the reader's
 * reason: an empty asset id; nothing to import (no caption, phrase or
 * interaction); grounded phrases without a caption, or a phrase that is
 * empty or not found in the caption (in caption order); a box coordinate
 * that is not a finite number in [0, 1], or a minimum not below its
 * maximum; a line longer than a reader reads by default (4 MiB).  The
 * writer stays usable.
 *
 * Returns: %TRUE on success, %FALSE with a #GIOError or
 *   %VI_ERROR_INVALID_DATA
 */
gboolean
vi_jsonl_writer_write (ViJsonlWriter       *writer,
                       const ViJsonlRecord *record,
                       GCancellable        *cancellable,
                       GError             **error)
{
  g_autofree char *line = NULL;
  gsize            len;

  g_return_val_if_fail (VI_IS_JSONL_WRITER (writer), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->closed) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                         "The JSONL writer is closed");
    return FALSE;
  }

  line = vi_jsonl_record_to_line (record);
  len = strlen (line);
  if (!check_reads_back (record, len, error))
    return FALSE;

  return g_output_stream_write_all (writer->stream, line, len, NULL,
                                    cancellable, error) &&
      g_output_stream_write_all (writer->stream, "\n", 1, NULL, cancellable,
                                 error);
}

/**
 * vi_jsonl_writer_close:
 * @writer: a #ViJsonlWriter
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Flushes what is buffered and closes the stream.  Closing twice is
 * harmless.
 *
 * Returns: %TRUE on success, %FALSE with a #GIOError
 */
gboolean
vi_jsonl_writer_close (ViJsonlWriter *writer,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (VI_IS_JSONL_WRITER (writer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->closed)
    return TRUE;
  writer->closed = TRUE;

  return g_output_stream_close (writer->stream, cancellable, error);
}
