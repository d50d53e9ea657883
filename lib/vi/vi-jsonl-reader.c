/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViJsonlReader: a JSONL file, one record at a time, with the error mode
 * the caller chose for bad lines.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-jsonl-private.h"

#define DEFAULT_MAX_LINE_LENGTH VI_JSONL_DEFAULT_MAX_LINE_LENGTH
#define READ_CHUNK_SIZE (64 * 1024)
#define MAX_KEPT_BAD_LINES 1000
#define DEFAULT_STREAM_NAME "<stream>"

/**
 * ViJsonlReader:
 *
 * Reads a JSONL annotation file one line at a time; memory use is bounded
 * by the maximum line length whatever the size of the file.
 */
struct _ViJsonlReader {
  GObject parent_instance;

  GInputStream    *stream;
  char            *name;
  ViJsonlErrorMode error_mode;
  gsize            max_line_length;

  JsonParser *parser;

  guint8     *buf;
  gsize       buf_pos;
  gsize       buf_len;
  gboolean    eof;
  GByteArray *line;

  guint      line_number;
  guint      n_records;
  guint      n_bad_lines;
  GPtrArray *bad_lines; /* GError */
};

G_DEFINE_FINAL_TYPE (ViJsonlReader, vi_jsonl_reader, G_TYPE_OBJECT)

static void
vi_jsonl_reader_finalize (GObject *object)
{
  ViJsonlReader *self = VI_JSONL_READER (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->parser);
  g_free (self->name);
  g_free (self->buf);
  g_byte_array_unref (self->line);
  g_ptr_array_unref (self->bad_lines);

  G_OBJECT_CLASS (vi_jsonl_reader_parent_class)->finalize (object);
}

static void
vi_jsonl_reader_class_init (ViJsonlReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vi_jsonl_reader_finalize;
}

static void
vi_jsonl_reader_init (ViJsonlReader *self)
{
  self->error_mode = VI_JSONL_ERROR_MODE_SKIP;
  self->max_line_length = DEFAULT_MAX_LINE_LENGTH;
  self->parser = json_parser_new ();
  self->buf = g_malloc (READ_CHUNK_SIZE);
  self->line = g_byte_array_new ();
  self->bad_lines = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_error_free);
}

/**
 * vi_jsonl_reader_new:
 * @stream: the stream to read
 * @name: (nullable): the name used in error messages (a file name), or
 *   %NULL for "<stream>"
 *
 * Creates a reader over @stream.  Bad lines are skipped by default
 * (%VI_JSONL_ERROR_MODE_SKIP) and lines may be up to 4 MiB long.
 *
 * Returns: (transfer full): a new #ViJsonlReader
 */
ViJsonlReader *
vi_jsonl_reader_new (GInputStream *stream, const char *name)
{
  ViJsonlReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (VI_TYPE_JSONL_READER, NULL);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (name != NULL ? name : DEFAULT_STREAM_NAME);

  return self;
}

/**
 * vi_jsonl_reader_new_for_path:
 * @path: (type filename): the file to read
 * @error: return location for a #GError
 *
 * Opens @path for reading; @path is the name used in error messages.
 *
 * Returns: (transfer full) (nullable): a new #ViJsonlReader, or %NULL with a
 * #GIOError if the file cannot be opened
 */
ViJsonlReader *
vi_jsonl_reader_new_for_path (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;

  display = g_filename_display_name (path);
  return vi_jsonl_reader_new (G_INPUT_STREAM (stream), display);
}

/**
 * vi_jsonl_reader_set_error_mode:
 * @reader: a #ViJsonlReader
 * @mode: what to do with bad lines
 *
 * Sets what vi_jsonl_reader_next() does with a bad line.
 */
void
vi_jsonl_reader_set_error_mode (ViJsonlReader *reader, ViJsonlErrorMode mode)
{
  g_return_if_fail (VI_IS_JSONL_READER (reader));
  g_return_if_fail (mode <= VI_JSONL_ERROR_MODE_FAIL);

  reader->error_mode = mode;
}

/**
 * vi_jsonl_reader_get_error_mode:
 * @reader: a #ViJsonlReader
 *
 * Returns: what the reader does with bad lines
 */
ViJsonlErrorMode
vi_jsonl_reader_get_error_mode (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), VI_JSONL_ERROR_MODE_SKIP);

  return reader->error_mode;
}

/**
 * vi_jsonl_reader_set_max_line_length:
 * @reader: a #ViJsonlReader
 * @max_length: the longest line accepted, in bytes without the newline
 *
 * Longer lines are bad lines: the reader discards them without keeping
 * them in memory and goes on with the next line.  The newline, and a CR
 * before it, do not count.  The default is 4 MiB.
 */
void
vi_jsonl_reader_set_max_line_length (ViJsonlReader *reader, gsize max_length)
{
  g_return_if_fail (VI_IS_JSONL_READER (reader));
  g_return_if_fail (max_length > 0);

  /* A line is held in a GByteArray, whose length is a guint. */
  reader->max_line_length = MIN (max_length, (gsize) G_MAXINT);
}

typedef enum {
  READ_LINE,
  READ_EOF,
  READ_ERROR,
} ReadStatus;

/* Reads the next physical line (without its '\n') into reader->line.  A
 * line longer than the limit is dropped as it is read and *too_long set. */
static ReadStatus
read_line (ViJsonlReader *self,
           gboolean      *too_long,
           GCancellable  *cancellable,
           GError       **error)
{
  gboolean got_any = FALSE;

  g_byte_array_set_size (self->line, 0);
  *too_long = FALSE;

  for (;;) {
    const guint8 *start, *newline;
    gsize         chunk;

    if (self->buf_pos == self->buf_len) {
      gssize n;

      if (self->eof)
        break;
      n = g_input_stream_read (self->stream, self->buf, READ_CHUNK_SIZE,
                               cancellable, error);
      if (n < 0)
        return READ_ERROR;
      if (n == 0) {
        self->eof = TRUE;
        break;
      }
      self->buf_pos = 0;
      self->buf_len = (gsize) n;
    }

    got_any = TRUE;
    start = self->buf + self->buf_pos;
    newline = memchr (start, '\n', self->buf_len - self->buf_pos);
    chunk = newline != NULL ? (gsize) (newline - start)
                            : self->buf_len - self->buf_pos;

    /* One byte more than the limit is kept, for a CR before the LF. */
    if (!*too_long) {
      if (chunk > self->max_line_length + 1 - self->line->len) {
        *too_long = TRUE;
        g_byte_array_set_size (self->line, 0);
      } else {
        g_byte_array_append (self->line, start, (guint) chunk);
      }
    }

    self->buf_pos += chunk;
    if (newline != NULL) {
      self->buf_pos++;
      break;
    }
  }

  if (!got_any)
    return READ_EOF;

  if (!*too_long && self->line->len > self->max_line_length &&
      self->line->data[self->line->len - 1] != '\r') {
    *too_long = TRUE;
    g_byte_array_set_size (self->line, 0);
  }

  return READ_LINE;
}

/* Decides the fate of a bad line; returns TRUE if reading goes on. */
static gboolean
handle_bad_line (ViJsonlReader *self, GError *bad, GError **error)
{
  g_prefix_error (&bad, "%s:%u: ", self->name, self->line_number);
  vi_error_set_file_details (bad, self->name, self->line_number);

  self->n_bad_lines++;
  if (self->bad_lines->len < MAX_KEPT_BAD_LINES)
    g_ptr_array_add (self->bad_lines, g_error_copy (bad));

  switch (self->error_mode) {
    case VI_JSONL_ERROR_MODE_FAIL:
      g_propagate_error (error, bad);
      return FALSE;
    case VI_JSONL_ERROR_MODE_WARN:
      g_warning ("%s", bad->message);
      break;
    case VI_JSONL_ERROR_MODE_SKIP:
    default:
      break;
  }

  g_error_free (bad);
  return TRUE;
}

/**
 * vi_jsonl_reader_next:
 * @reader: a #ViJsonlReader
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads lines until one gives a record.  Blank lines are skipped; bad lines
 * are handled as the error mode says.  With %VI_JSONL_ERROR_MODE_FAIL a bad
 * line gives %NULL and a %VI_ERROR_INVALID_DATA error whose message starts
 * with "name:line: " (see vi_error_get_location() and vi_error_get_line());
 * a later call goes on with the next line.  I/O errors and cancellation
 * always fail.
 *
 * Returns: (transfer full) (nullable): the next record, or %NULL at the end
 * of the stream (@error unset) or on error
 */
ViJsonlRecord *
vi_jsonl_reader_next (ViJsonlReader *reader,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (;;) {
    GError        *bad = NULL;
    ViJsonlRecord *record;
    gboolean       too_long;
    const char    *line;
    gsize          length;

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return NULL;

    switch (read_line (reader, &too_long, cancellable, error)) {
      case READ_ERROR:
        return NULL;
      case READ_EOF:
        return NULL;
      case READ_LINE:
      default:
        break;
    }
    reader->line_number++;

    if (too_long) {
      bad = g_error_new (VI_ERROR, VI_ERROR_INVALID_DATA,
                         "line is longer than %" G_GSIZE_FORMAT " bytes",
                         reader->max_line_length);
      if (!handle_bad_line (reader, bad, error))
        return NULL;
      continue;
    }

    line = (const char *) reader->line->data;
    length = reader->line->len;
    if (line == NULL)
      line = "";
    _vi_jsonl_trim_line (&line, &length, reader->line_number == 1);

    if (_vi_jsonl_is_blank (line, length))
      continue;

    record = _vi_jsonl_parse_line_with (reader->parser, line, length, &bad);
    if (record == NULL) {
      if (bad == NULL)
        bad = g_error_new_literal (VI_ERROR, VI_ERROR_INVALID_DATA,
                                   "invalid line");
      if (!handle_bad_line (reader, bad, error))
        return NULL;
      continue;
    }

    reader->n_records++;
    return record;
  }
}

/**
 * vi_jsonl_reader_get_line_number:
 * @reader: a #ViJsonlReader
 *
 * Returns: the 1-based number of the last line read, 0 before the first
 */
guint
vi_jsonl_reader_get_line_number (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->line_number;
}

/**
 * vi_jsonl_reader_get_n_records:
 * @reader: a #ViJsonlReader
 *
 * Returns: how many records vi_jsonl_reader_next() returned so far
 */
guint
vi_jsonl_reader_get_n_records (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->n_records;
}

/**
 * vi_jsonl_reader_get_n_bad_lines:
 * @reader: a #ViJsonlReader
 *
 * Returns: how many bad lines were met so far, in any error mode
 */
guint
vi_jsonl_reader_get_n_bad_lines (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->n_bad_lines;
}

/**
 * vi_jsonl_reader_get_bad_lines:
 * @reader: a #ViJsonlReader
 *
 * The errors of the bad lines met so far, in order; only the first 1000
 * are kept (vi_jsonl_reader_get_n_bad_lines() counts them all).
 *
 * Returns: (transfer none) (element-type GError): the errors, owned by
 * @reader
 */
GPtrArray *
vi_jsonl_reader_get_bad_lines (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), NULL);

  return reader->bad_lines;
}
