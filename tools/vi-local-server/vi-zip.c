/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-zip.h"

#include <string.h>

typedef struct {
  char   *name;
  guint32 crc;
  guint32 compressed_size;
  guint32 size;
  guint32 offset;
} ZipEntry;

struct _ViZipWriter {
  GByteArray *out;
  GArray     *entries; /* ZipEntry */
  guint16     dos_time;
  guint16     dos_date;
};

static void
zip_entry_clear (gpointer data)
{
  ZipEntry *entry = data;

  g_free (entry->name);
}

ViZipWriter *
vi_zip_writer_new (void)
{
  ViZipWriter *zip = g_new0 (ViZipWriter, 1);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  zip->out = g_byte_array_new ();
  zip->entries = g_array_new (FALSE, TRUE, sizeof (ZipEntry));
  g_array_set_clear_func (zip->entries, zip_entry_clear);
  zip->dos_time = (guint16) ((g_date_time_get_hour (now) << 11) |
                             (g_date_time_get_minute (now) << 5) |
                             (g_date_time_get_second (now) / 2));
  zip->dos_date = (guint16) ((MAX (g_date_time_get_year (now) - 1980, 0) << 9) |
                             (g_date_time_get_month (now) << 5) |
                             g_date_time_get_day_of_month (now));
  return zip;
}

void
vi_zip_writer_free (ViZipWriter *zip)
{
  if (zip == NULL)
    return;
  if (zip->out != NULL)
    g_byte_array_unref (zip->out);
  g_array_unref (zip->entries);
  g_free (zip);
}

static void
put16 (GByteArray *out, guint value)
{
  guint8 b[2] = { value & 0xff, (value >> 8) & 0xff };

  g_byte_array_append (out, b, 2);
}

static void
put32 (GByteArray *out, guint32 value)
{
  guint8 b[4] = { value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff,
                  value >> 24 };

  g_byte_array_append (out, b, 4);
}

/* Raw deflate of the whole buffer, appended to out. */
static gboolean
deflate_into (GByteArray *out, const guint8 *data, gsize length, GError **error)
{
  g_autoptr (GZlibCompressor)
      compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, -1);
  guint8 buf[64 * 1024];
  gsize  in_pos = 0;

  for (;;) {
    gsize            bytes_read = 0, bytes_written = 0;
    GConverterResult result;

    result = g_converter_convert (G_CONVERTER (compressor), data + in_pos,
                                  length - in_pos, buf, sizeof buf,
                                  G_CONVERTER_INPUT_AT_END, &bytes_read,
                                  &bytes_written, error);
    if (result == G_CONVERTER_ERROR)
      return FALSE;
    in_pos += bytes_read;
    g_byte_array_append (out, buf, (guint) bytes_written);
    if (result == G_CONVERTER_FINISHED)
      return TRUE;
  }
}

gboolean
vi_zip_writer_add (ViZipWriter  *zip,
                   const char   *name,
                   const guint8 *data,
                   gsize         length,
                   GError      **error)
{
  ZipEntry entry = {
    0,
  };
  gsize name_len = strlen (name);
  guint header_pos, data_pos;

  g_return_val_if_fail (zip->out != NULL, FALSE);

  if (length >= G_MAXUINT32 || zip->out->len >= G_MAXUINT32 - length ||
      name_len > 0xffff) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "the archive would need ZIP64, which is not supported");
    return FALSE;
  }

  entry.name = g_strdup (name);
  entry.crc = vi_crc32_update (0, data, length);
  entry.size = (guint32) length;
  entry.offset = zip->out->len;

  header_pos = zip->out->len;
  put32 (zip->out, 0x04034b50);
  put16 (zip->out, 20);     /* version needed: 2.0, deflate */
  put16 (zip->out, 0x0800); /* UTF-8 names */
  put16 (zip->out, 8);      /* deflate */
  put16 (zip->out, zip->dos_time);
  put16 (zip->out, zip->dos_date);
  put32 (zip->out, entry.crc);
  put32 (zip->out, 0); /* compressed size, patched below */
  put32 (zip->out, entry.size);
  put16 (zip->out, (guint) name_len);
  put16 (zip->out, 0);
  g_byte_array_append (zip->out, (const guint8 *) name, (guint) name_len);

  data_pos = zip->out->len;
  if (!deflate_into (zip->out, data, length, error)) {
    g_byte_array_set_size (zip->out, header_pos);
    g_free (entry.name);
    return FALSE;
  }
  entry.compressed_size = zip->out->len - data_pos;
  zip->out->data[header_pos + 18] = entry.compressed_size & 0xff;
  zip->out->data[header_pos + 19] = (entry.compressed_size >> 8) & 0xff;
  zip->out->data[header_pos + 20] = (entry.compressed_size >> 16) & 0xff;
  zip->out->data[header_pos + 21] = entry.compressed_size >> 24;

  g_array_append_val (zip->entries, entry);
  return TRUE;
}

/* Writes the central directory and the end record; the writer is then
 * spent (only vi_zip_writer_free() may follow). */
GBytes *
vi_zip_writer_finish (ViZipWriter *zip)
{
  guint32 cd_start = zip->out->len;
  guint   i;

  for (i = 0; i < zip->entries->len; i++) {
    const ZipEntry *entry = &g_array_index (zip->entries, ZipEntry, i);
    gsize           name_len = strlen (entry->name);

    put32 (zip->out, 0x02014b50);
    put16 (zip->out, (3 << 8) | 20); /* made by: Unix, 2.0 */
    put16 (zip->out, 20);
    put16 (zip->out, 0x0800);
    put16 (zip->out, 8);
    put16 (zip->out, zip->dos_time);
    put16 (zip->out, zip->dos_date);
    put32 (zip->out, entry->crc);
    put32 (zip->out, entry->compressed_size);
    put32 (zip->out, entry->size);
    put16 (zip->out, (guint) name_len);
    put16 (zip->out, 0);              /* extra */
    put16 (zip->out, 0);              /* comment */
    put16 (zip->out, 0);              /* disk */
    put16 (zip->out, 0);              /* internal attributes */
    put32 (zip->out, 0100644u << 16); /* external: a regular file, rw-r--r-- */
    put32 (zip->out, entry->offset);
    g_byte_array_append (zip->out, (const guint8 *) entry->name,
                         (guint) name_len);
  }

  put32 (zip->out, 0x06054b50);
  put16 (zip->out, 0);
  put16 (zip->out, 0);
  put16 (zip->out, zip->entries->len);
  put16 (zip->out, zip->entries->len);
  put32 (zip->out, zip->out->len - cd_start - 12);
  put32 (zip->out, cd_start);
  put16 (zip->out, 0);

  return g_byte_array_free_to_bytes (g_steal_pointer (&zip->out));
}
