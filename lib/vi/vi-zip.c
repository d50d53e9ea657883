/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * A small ZIP reader for export archives: the central directory is read
 * (it is small), entries are streamed from disk to disk in 64 KiB pieces,
 * so memory does not grow with the archive.  Only what exports need:
 * stored and deflated entries, no ZIP64, no encryption, one disk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-error.h"
#include "vi-zip-private.h"

#define EOCD_SIGNATURE 0x06054b50u
#define CENTRAL_SIGNATURE 0x02014b50u
#define LOCAL_SIGNATURE 0x04034b50u
#define EOCD_SIZE 22
#define CENTRAL_SIZE 46
#define LOCAL_SIZE 30
#define MAX_COMMENT 0xffff
#define MAX_CENTRAL_DIRECTORY ((guint32) 64 * 1024 * 1024)
#define BUFFER_SIZE (64 * 1024)

/* ------------------------------------------------------------------------
 * Reading the directory
 * ------------------------------------------------------------------------ */

typedef struct {
  char    *name;
  char    *normalized; /* no "" or "." components, no trailing '/' */
  gboolean is_dir;
  guint16  made_by;
  guint16  flags;
  guint16  method;
  guint32  crc;
  guint32  compressed_size;
  guint32  size;
  guint32  external_attributes;
  guint32  local_offset;
  guint64  data_offset; /* filled from the local header */
} ZipEntry;

static void
zip_entry_free (ZipEntry *entry)
{
  g_free (entry->name);
  g_free (entry->normalized);
  g_free (entry);
}

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) |
      ((guint32) p[3] << 24);
}

static gboolean invalid (GError    **error,
                         const char *path,
                         const char *format,
                         ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const char *path, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *base = g_path_get_basename (path);
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
               "invalid export archive %s: %s", base, message);
  return FALSE;
}

static gboolean
set_errno_error (GError    **error,
                 const char *what,
                 const char *path,
                 int         saved_errno)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Reads exactly len bytes at offset; a short read is a truncated file. */
static gboolean
read_at (int         fd,
         const char *path,
         void       *buf,
         gsize       len,
         guint64     offset,
         GError    **error)
{
  guint8 *p = buf;

  while (len > 0) {
    ssize_t n = pread (fd, p, len, (off_t) offset);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, "cannot read", path, errno);
    }
    if (n == 0)
      return invalid (error, path, "the file ends early (truncated)");
    p += n;
    len -= (gsize) n;
    offset += (guint64) n;
  }
  return TRUE;
}

static gboolean
write_all (int fd, const char *path, const void *buf, gsize len, GError **error)
{
  const guint8 *p = buf;

  while (len > 0) {
    ssize_t n = write (fd, p, len);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, "cannot write", path, errno);
    }
    p += n;
    len -= (gsize) n;
  }
  return TRUE;
}

/* A safe relative path, or an error naming the entry (zip-slip). */
static gboolean
check_entry_name (const ZipEntry *entry, const char *path, GError **error)
{
  const char *name = entry->name;
  g_auto (GStrv) parts = NULL;
  guint mode;

  if (*name == '\0')
    return invalid (error, path, "an entry has an empty name");
  if (!g_utf8_validate (name, -1, NULL))
    return invalid (error, path, "an entry name is not valid UTF-8");
  if (name[0] == '/' || (g_ascii_isalpha (name[0]) && name[1] == ':'))
    return invalid (error, path, "entry \"%s\" has an absolute path", name);
  if (strchr (name, '\\') != NULL)
    return invalid (error, path, "entry \"%s\" contains a backslash", name);
  parts = g_strsplit (name, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (g_str_equal (parts[i], ".."))
      return invalid (error, path,
                      "entry \"%s\" has a \"..\" component, which would write outside "
                      "the destination",
                      name);
  }
  /* Unix mode in the high half of the external attributes, when made on
   * Unix (3) or macOS (19). */
  mode = entry->external_attributes >> 16;
  if (((entry->made_by >> 8) == 3 || (entry->made_by >> 8) == 19) &&
      (mode & 0170000) == 0120000)
    return invalid (error, path, "entry \"%s\" is a symbolic link", name);
  if (entry->flags & 0x0001)
    return invalid (error, path, "entry \"%s\" is encrypted", name);
  if (entry->method != 0 && entry->method != 8)
    return invalid (error, path,
                    "entry \"%s\" uses compression method %u (only stored and deflated "
                    "are supported)",
                    name, entry->method);
  return TRUE;
}

/* "a//b/./c/" -> "a/b/c": the path an entry is written to, so that two
 * spellings of one path are seen as the same. */
static char *
normalize_name (const char *name)
{
  g_auto (GStrv) parts = g_strsplit (name, "/", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++) {
    if (*parts[i] == '\0' || g_str_equal (parts[i], "."))
      continue;
    if (out->len > 0)
      g_string_append_c (out, '/');
    g_string_append (out, parts[i]);
  }
  return g_string_free (out, FALSE);
}

/* What the entries would write, checked as a whole before anything is:
 * no path twice, no file where another entry needs a folder, no name of
 * the files kept next to the archive, and within the limits. */
static gboolean
check_entries (GPtrArray         *entries,
               const char        *path,
               const ViZipLimits *limits,
               GError           **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 total = 0;

  for (guint i = 0; i < entries->len; i++) {
    ZipEntry *entry = entries->pdata[i];
    ZipEntry *other;

    if (*entry->normalized == '\0')
      return invalid (error, path, "entry \"%s\" names no file", entry->name);
    other = g_hash_table_lookup (seen, entry->normalized);
    if (other != NULL)
      return invalid (error, path,
                      "entries \"%s\" and \"%s\" are the same "
                      "path: one would silently replace the other",
                      other->name, entry->name);
    g_hash_table_insert (seen, entry->normalized, entry);
    if (limits != NULL && limits->reserved != NULL) {
      g_autofree char *top = g_strdup (entry->normalized);
      char            *slash = strchr (top, '/');

      if (slash != NULL)
        *slash = '\0';
      if (g_strv_contains (limits->reserved, top))
        return invalid (error, path,
                        "entry \"%s\" has the name of a file "
                        "the download keeps next to the archive (%s)",
                        entry->name, top);
    }
    total += entry->size;
  }

  /* A folder an entry needs must not be a file of another entry. */
  for (guint i = 0; i < entries->len; i++) {
    ZipEntry        *entry = entries->pdata[i];
    g_autofree char *prefix = g_strdup (entry->normalized);
    char            *slash;

    while ((slash = strrchr (prefix, '/')) != NULL) {
      ZipEntry *parent;

      *slash = '\0';
      parent = g_hash_table_lookup (seen, prefix);
      if (parent != NULL && !parent->is_dir)
        return invalid (error, path,
                        "entry \"%s\" is a file, and entry "
                        "\"%s\" needs a folder of that name",
                        parent->name, entry->name);
    }
  }

  if (limits != NULL && limits->max_size > 0 && total > limits->max_size)
    return invalid (error, path,
                    "its entries add up to %" G_GUINT64_FORMAT
                    " bytes, more than the limit of %" G_GUINT64_FORMAT
                    " bytes "
                    "(ViClient:max-extract-size)",
                    total, limits->max_size);
  return TRUE;
}

/* Opens the archive and reads its central directory. */
static GPtrArray *
read_directory (const char        *path,
                const ViZipLimits *limits,
                int               *fd_out,
                GError           **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree guint8 *tail = NULL;
  g_autofree guint8 *directory = NULL;
  struct stat        st;
  guint64            size, tail_start, eocd_offset = 0;
  gsize              tail_len;
  gboolean           found = FALSE;
  guint32            cd_size, cd_offset;
  guint16            n_entries;
  int                fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) {
    set_errno_error (error, "cannot open", path, errno);
    return NULL;
  }
  if (fstat (fd, &st) != 0) {
    set_errno_error (error, "cannot read", path, errno);
    close (fd);
    return NULL;
  }
  size = (guint64) st.st_size;
  if (size < EOCD_SIZE) {
    invalid (error, path,
             "%" G_GUINT64_FORMAT " bytes is too short for a "
             "ZIP archive (truncated?)",
             size);
    close (fd);
    return NULL;
  }

  /* The end record is in the last 22 + 65535 bytes. */
  tail_len = (gsize) MIN (size, (guint64) EOCD_SIZE + MAX_COMMENT);
  tail_start = size - tail_len;
  tail = g_malloc (tail_len);
  if (!read_at (fd, path, tail, tail_len, tail_start, error)) {
    close (fd);
    return NULL;
  }
  for (gssize i = (gssize) tail_len - EOCD_SIZE; i >= 0; i--) {
    if (get32 (tail + i) == EOCD_SIGNATURE &&
        (gsize) i + EOCD_SIZE + get16 (tail + i + 20) <= tail_len) {
      eocd_offset = tail_start + (guint64) i;
      found = TRUE;
      break;
    }
  }
  if (!found) {
    invalid (error, path,
             "no end-of-central-directory record (the archive "
             "is truncated or not a ZIP file)");
    close (fd);
    return NULL;
  }
  {
    const guint8 *e = tail + (eocd_offset - tail_start);

    if (get16 (e + 4) != 0 || get16 (e + 6) != 0 ||
        get16 (e + 8) != get16 (e + 10)) {
      invalid (error, path, "multi-disk archives are not supported");
      close (fd);
      return NULL;
    }
    n_entries = get16 (e + 10);
    cd_size = get32 (e + 12);
    cd_offset = get32 (e + 16);
  }
  if (n_entries == 0xffff || cd_size == 0xffffffffu ||
      cd_offset == 0xffffffffu) {
    invalid (error, path, "ZIP64 archives are not supported");
    close (fd);
    return NULL;
  }
  if ((guint64) cd_offset + cd_size > eocd_offset) {
    invalid (error, path, "the central directory lies outside the file");
    close (fd);
    return NULL;
  }
  if (cd_size > MAX_CENTRAL_DIRECTORY) {
    invalid (error, path, "the central directory is too large (%u bytes)",
             cd_size);
    close (fd);
    return NULL;
  }
  if (limits != NULL && limits->max_entries > 0 &&
      n_entries > limits->max_entries) {
    invalid (error, path,
             "it has %u entries, more than the limit of %u "
             "(ViClient:max-extract-entries)",
             n_entries, limits->max_entries);
    close (fd);
    return NULL;
  }

  directory = g_malloc (MAX (cd_size, 1));
  if (!read_at (fd, path, directory, cd_size, cd_offset, error)) {
    close (fd);
    return NULL;
  }

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) zip_entry_free);
  for (gsize pos = 0, i = 0; i < n_entries; i++) {
    const guint8 *c = directory + pos;
    ZipEntry     *entry;
    guint16       name_len, extra_len, comment_len;
    guint8        local[LOCAL_SIZE];

    if (pos + CENTRAL_SIZE > cd_size || get32 (c) != CENTRAL_SIGNATURE) {
      invalid (error, path,
               "central directory entry %" G_GSIZE_FORMAT " is malformed", i);
      close (fd);
      return NULL;
    }
    name_len = get16 (c + 28);
    extra_len = get16 (c + 30);
    comment_len = get16 (c + 32);
    if (pos + CENTRAL_SIZE + name_len + extra_len + comment_len > cd_size) {
      invalid (error, path,
               "central directory entry %" G_GSIZE_FORMAT " is malformed", i);
      close (fd);
      return NULL;
    }
    if (memchr (c + CENTRAL_SIZE, '\0', name_len) != NULL) {
      invalid (error, path,
               "entry %" G_GSIZE_FORMAT " has a NUL in its "
               "name",
               i);
      close (fd);
      return NULL;
    }

    entry = g_new0 (ZipEntry, 1);
    entry->name = g_strndup ((const char *) c + CENTRAL_SIZE, name_len);
    entry->normalized = normalize_name (entry->name);
    entry->is_dir = g_str_has_suffix (entry->name, "/");
    entry->made_by = get16 (c + 4);
    entry->flags = get16 (c + 8);
    entry->method = get16 (c + 10);
    entry->crc = get32 (c + 16);
    entry->compressed_size = get32 (c + 20);
    entry->size = get32 (c + 24);
    entry->external_attributes = get32 (c + 38);
    entry->local_offset = get32 (c + 42);
    g_ptr_array_add (entries, entry);
    pos += CENTRAL_SIZE + name_len + extra_len + comment_len;

    if (!check_entry_name (entry, path, error)) {
      close (fd);
      return NULL;
    }
    if (entry->compressed_size == 0xffffffffu || entry->size == 0xffffffffu ||
        entry->local_offset == 0xffffffffu) {
      invalid (error, path, "ZIP64 archives are not supported");
      close (fd);
      return NULL;
    }
    if ((guint64) entry->local_offset + LOCAL_SIZE > cd_offset ||
        !read_at (fd, path, local, LOCAL_SIZE, entry->local_offset, error) ||
        get32 (local) != LOCAL_SIGNATURE) {
      g_clear_error (error);
      invalid (error, path, "the local header of entry \"%s\" is missing",
               entry->name);
      close (fd);
      return NULL;
    }
    entry->data_offset = (guint64) entry->local_offset + LOCAL_SIZE +
        get16 (local + 26) + get16 (local + 28);
    if (entry->data_offset + entry->compressed_size > cd_offset) {
      invalid (error, path, "the data of entry \"%s\" lies outside the file",
               entry->name);
      close (fd);
      return NULL;
    }
    if (entry->method == 0 && entry->compressed_size != entry->size) {
      invalid (error, path, "stored entry \"%s\" has two different sizes",
               entry->name);
      close (fd);
      return NULL;
    }
  }

  if (!check_entries (entries, path, limits, error)) {
    close (fd);
    return NULL;
  }

  *fd_out = fd;
  return g_steal_pointer (&entries);
}

gboolean
_vi_zip_verify (const char *path, GError **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  int fd = -1;

  g_return_val_if_fail (path != NULL, FALSE);

  entries = read_directory (path, NULL, &fd, error);
  if (entries == NULL)
    return FALSE;
  close (fd);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Extracting
 * ------------------------------------------------------------------------ */

/* Streams one entry's data into out_fd, checking size and CRC. */
static gboolean
extract_data (int             fd,
              const char     *path,
              const ZipEntry *entry,
              int             out_fd,
              const char     *out_path,
              GCancellable   *cancellable,
              GError        **error)
{
  g_autofree guint8 *in_buf = g_malloc (BUFFER_SIZE);
  g_autofree guint8 *out_buf = g_malloc (BUFFER_SIZE);
  g_autoptr (GConverter) inflater = NULL;
  guint64  consumed = 0, produced = 0;
  guint32  crc = 0;
  gboolean finished = FALSE;
  gsize    in_len = 0, in_pos = 0;

  if (entry->method == 8)
    inflater = G_CONVERTER (
        g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW));

  while (!finished) {
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;

    /* Refill when everything read so far was used. */
    if (in_pos == in_len && consumed < entry->compressed_size) {
      in_len = (gsize) MIN ((guint64) BUFFER_SIZE,
                            entry->compressed_size - consumed);
      if (!read_at (fd, path, in_buf, in_len, entry->data_offset + consumed,
                    error))
        return FALSE;
      consumed += in_len;
      in_pos = 0;
    }

    if (inflater == NULL) {
      /* Stored. */
      if (in_pos == in_len) {
        finished = TRUE;
        break;
      }
      crc = vi_crc32_update (crc, in_buf + in_pos, in_len - in_pos);
      if (!write_all (out_fd, out_path, in_buf + in_pos, in_len - in_pos,
                      error))
        return FALSE;
      produced += in_len - in_pos;
      in_pos = in_len;
      if (consumed == entry->compressed_size)
        finished = TRUE;
    } else {
      gsize            bytes_read = 0, bytes_written = 0;
      GConverterResult res;
      g_autoptr (GError) local_error = NULL;
      GConverterFlags flags = consumed == entry->compressed_size
          ? G_CONVERTER_INPUT_AT_END
          : G_CONVERTER_NO_FLAGS;

      res = g_converter_convert (inflater, in_buf + in_pos, in_len - in_pos,
                                 out_buf, BUFFER_SIZE, flags, &bytes_read,
                                 &bytes_written, &local_error);
      if (res == G_CONVERTER_ERROR) {
        if (g_error_matches (local_error, G_IO_ERROR,
                             G_IO_ERROR_PARTIAL_INPUT) &&
            consumed < entry->compressed_size)
          continue; /* needs more input: the refill above */
        return invalid (error, path, "entry \"%s\" cannot be inflated: %s",
                        entry->name, local_error->message);
      }
      in_pos += bytes_read;
      if (bytes_written > 0) {
        if (produced + bytes_written > entry->size)
          return invalid (error, path,
                          "entry \"%s\" inflates to more than "
                          "its declared %u bytes",
                          entry->name, entry->size);
        crc = vi_crc32_update (crc, out_buf, bytes_written);
        if (!write_all (out_fd, out_path, out_buf, bytes_written, error))
          return FALSE;
        produced += bytes_written;
      }
      if (res == G_CONVERTER_FINISHED)
        finished = TRUE;
      else if (bytes_read == 0 && bytes_written == 0 && in_pos == in_len &&
               consumed == entry->compressed_size)
        return invalid (error, path,
                        "entry \"%s\": the deflated data ends "
                        "early",
                        entry->name);
    }
  }

  if (produced != entry->size)
    return invalid (error, path,
                    "entry \"%s\" has %" G_GUINT64_FORMAT
                    " bytes, not the declared %u",
                    entry->name, produced, entry->size);
  if (crc != entry->crc)
    return invalid (error, path,
                    "entry \"%s\" fails its CRC-32 check "
                    "(%08x, expected %08x)",
                    entry->name, crc, entry->crc);
  return TRUE;
}

/* "<dest_dir>/<the first n parts>", for messages. */
static char *
shown_path (const char *dest_dir, char **parts, guint n)
{
  GString *out = g_string_new (dest_dir);

  for (guint i = 0; i < n; i++) {
    g_string_append_c (out, G_DIR_SEPARATOR);
    g_string_append (out, parts[i]);
  }
  return g_string_free (out, FALSE);
}

/* The folder made of the first n parts under root_fd, created as needed,
 * one component at a time and never through a symbolic link: a link
 * planted in the destination cannot send the files elsewhere. */
static int
open_folder (int         root_fd,
             const char *dest_dir,
             char      **parts,
             guint       n,
             GError    **error)
{
  int fd = openat (root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return set_errno_error (error, "cannot open", dest_dir, errno), -1;
  for (guint i = 0; i < n; i++) {
    int next;

    if (mkdirat (fd, parts[i], 0755) != 0 && errno != EEXIST) {
      int              saved_errno = errno;
      g_autofree char *shown = shown_path (dest_dir, parts, i + 1);

      close (fd);
      return set_errno_error (error, "cannot create the directory", shown,
                              saved_errno),
             -1;
    }
    next = openat (fd, parts[i],
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      int              saved_errno = errno;
      g_autofree char *shown = shown_path (dest_dir, parts, i + 1);

      close (fd);
      if (saved_errno == ELOOP || saved_errno == ENOTDIR) {
        g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                     "refusing to extract into %s: it is a symbolic link or not a "
                     "folder, and files are never written through one; remove it",
                     shown);
        return -1;
      }
      return set_errno_error (error, "cannot open", shown, saved_errno), -1;
    }
    close (fd);
    fd = next;
  }
  return fd;
}

static gboolean
extract_entry (int             fd,
               const char     *path,
               const ZipEntry *entry,
               int             root_fd,
               const char     *dest_dir,
               GCancellable   *cancellable,
               GError        **error)
{
  g_auto (GStrv) parts = g_strsplit (entry->normalized, "/", -1);
  guint            n = g_strv_length (parts);
  g_autofree char *out_path = shown_path (dest_dir, parts, n);
  g_autofree char *tmp_name = NULL;
  int              dir_fd, out_fd = -1;
  gboolean         ok = FALSE;

  if (entry->is_dir) {
    dir_fd = open_folder (root_fd, dest_dir, parts, n, error);
    if (dir_fd < 0)
      return FALSE;
    close (dir_fd);
    return TRUE;
  }
  dir_fd = open_folder (root_fd, dest_dir, parts, n - 1, error);
  if (dir_fd < 0)
    return FALSE;

  /* Written under a name of our own, then renamed: rename() replaces a
   * symbolic link at the final name rather than following it. */
  for (guint tries = 0; out_fd < 0 && tries < 100; tries++) {
    g_free (tmp_name);
    tmp_name = g_strdup_printf (".%s.%08x.part", parts[n - 1], g_random_int ());
    out_fd = openat (dir_fd, tmp_name,
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0644);
    if (out_fd < 0 && errno != EEXIST)
      break;
  }
  if (out_fd < 0) {
    set_errno_error (error, "cannot create", out_path, errno);
    goto out;
  }
  if (!extract_data (fd, path, entry, out_fd, out_path, cancellable, error)) {
    close (out_fd);
    unlinkat (dir_fd, tmp_name, 0);
    goto out;
  }
  if (fchmod (out_fd, 0644) != 0 || close (out_fd) != 0) {
    set_errno_error (error, "cannot write", out_path, errno);
    unlinkat (dir_fd, tmp_name, 0);
    goto out;
  }
  if (renameat (dir_fd, tmp_name, dir_fd, parts[n - 1]) != 0) {
    set_errno_error (error, "cannot write", out_path, errno);
    unlinkat (dir_fd, tmp_name, 0);
    goto out;
  }
  ok = TRUE;

out:
  close (dir_fd);
  return ok;
}

gboolean
_vi_zip_extract (const char        *path,
                 const char        *dest_dir,
                 const ViZipLimits *limits,
                 guint             *n_entries,
                 GCancellable      *cancellable,
                 GError           **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  guint n_files = 0;
  int   fd = -1, root_fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (dest_dir != NULL, FALSE);

  /* Every name is checked before anything is written. */
  entries = read_directory (path, limits, &fd, error);
  if (entries == NULL)
    return FALSE;
  if (g_mkdir_with_parents (dest_dir, 0755) != 0) {
    set_errno_error (error, "cannot create the directory", dest_dir, errno);
    close (fd);
    return FALSE;
  }
  root_fd = g_open (dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                    0);
  if (root_fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "refusing to extract into %s: it is a symbolic link or not a "
                   "folder, and files are never written through one; remove it",
                   dest_dir);
    else
      set_errno_error (error, "cannot open", dest_dir, errno);
    close (fd);
    return FALSE;
  }
  for (guint i = 0; i < entries->len; i++) {
    ZipEntry *entry = entries->pdata[i];

    if (!extract_entry (fd, path, entry, root_fd, dest_dir, cancellable,
                        error)) {
      close (root_fd);
      close (fd);
      return FALSE;
    }
    if (!entry->is_dir)
      n_files++;
  }
  close (root_fd);
  close (fd);
  if (n_entries != NULL)
    *n_entries = n_files;
  return TRUE;
}
