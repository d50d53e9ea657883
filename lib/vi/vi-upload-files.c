/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * What an upload sends: its options, and the annotation files collected
 * from the paths given (with their sizes and CRC-32C, read in a worker
 * thread).
 */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "vi-import-private.h"

#define DEFAULT_POLL_INTERVAL_MS 1000

/* ------------------------------------------------------------------------
 * ViUploadOptions
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViUploadOptions,
                     vi_upload_options,
                     vi_upload_options_copy,
                     vi_upload_options_free)

/**
 * vi_upload_options_init:
 * @options: (out caller-allocates): the options to fill
 *
 * Fills @options with the SDK's defaults: wait until the import is done,
 * polling every second, with no overall timeout, and `RejectSession` for
 * bad annotations, bad files and overwritten annotations.
 */
void
vi_upload_options_init (ViUploadOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->wait_until_done = TRUE;
  options->poll_interval_ms = DEFAULT_POLL_INTERVAL_MS;
  options->timeout_ms = 0;
  options->failure_policies.on_bad_annotation =
      VI_FAILURE_POLICY_REJECT_SESSION;
  options->failure_policies.on_bad_file = VI_FAILURE_POLICY_REJECT_SESSION;
  options->failure_policies.on_overwritten = VI_FAILURE_POLICY_REJECT_SESSION;
}

/**
 * vi_upload_options_new:
 *
 * Returns: (transfer full): new options, as vi_upload_options_init() sets
 *   them
 */
ViUploadOptions *
vi_upload_options_new (void)
{
  ViUploadOptions *options = g_new0 (ViUploadOptions, 1);

  vi_upload_options_init (options);
  return options;
}

/**
 * vi_upload_options_copy:
 * @options: a #ViUploadOptions
 *
 * Returns: (transfer full): a copy of @options
 */
ViUploadOptions *
vi_upload_options_copy (const ViUploadOptions *options)
{
  g_return_val_if_fail (options != NULL, NULL);

  return g_memdup2 (options, sizeof *options);
}

/**
 * vi_upload_options_free:
 * @options: (transfer full) (nullable): a #ViUploadOptions
 *
 * Frees @options.
 */
void
vi_upload_options_free (ViUploadOptions *options)
{
  g_free (options);
}

/* ------------------------------------------------------------------------
 * Collecting files (docs/protocol.md §12)
 * ------------------------------------------------------------------------ */

static gboolean
has_annotation_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  return dot != NULL && dot != name &&
      (g_ascii_strcasecmp (dot, ".json") == 0 ||
       g_ascii_strcasecmp (dot, ".jsonl") == 0);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Appends the annotation files under dir, recursively, sorted by path.
 * Symbolic links to files are followed; links to folders are not, so
 * that a loop cannot make the walk endless. */
static gboolean
collect_folder (const char *dir, GPtrArray *out, GError **error)
{
  g_autoptr (GDir) handle = NULL;
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) subdirs = g_ptr_array_new_with_free_func (g_free);
  GError     *local_error = NULL;
  const char *name;
  guint       i;

  handle = g_dir_open (dir, 0, &local_error);
  if (handle == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "cannot read the folder \"%s\": %s", dir,
                 local_error->message);
    g_error_free (local_error);
    return FALSE;
  }

  while ((name = g_dir_read_name (handle)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    GStatBuf         st;

    if (g_lstat (path, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode)) {
      g_ptr_array_add (subdirs, g_steal_pointer (&path));
      continue;
    }
    if (S_ISLNK (st.st_mode) &&
        (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)))
      continue;
    if (S_ISREG (st.st_mode) && has_annotation_extension (name))
      g_ptr_array_add (found, g_steal_pointer (&path));
  }

  /* Files and folders together in path order, as a sorted recursive
   * listing gives them. */
  for (i = 0; i < subdirs->len; i++)
    g_ptr_array_add (found,
                     g_strconcat (subdirs->pdata[i], G_DIR_SEPARATOR_S, NULL));
  g_ptr_array_sort (found, compare_paths);

  for (i = 0; i < found->len; i++) {
    char *path = found->pdata[i];
    gsize len = strlen (path);

    if (len > 0 && path[len - 1] == G_DIR_SEPARATOR) {
      path[len - 1] = '\0';
      if (!collect_folder (path, out, error))
        return FALSE;
    } else {
      g_ptr_array_add (out, g_strdup (path));
    }
  }
  return TRUE;
}

/**
 * vi_collect_annotation_files:
 * @paths: (array zero-terminated=1) (element-type filename): files and
 *   folders
 * @error: return location for a #GError
 *
 * Lists the files an upload of @paths sends, as the SDK does
 * (docs/protocol.md §12): a file named in @paths is taken whatever its
 * extension; a folder is searched recursively for files ending in `.json`
 * or `.jsonl` (in any case), which are listed sorted by path.  The result
 * keeps the order of @paths.  A path named twice is listed once.
 *
 * Unlike the SDK, which registers files under their base name and so
 * silently drops all but one of the files that share a base name, two
 * different files with the same base name are an error.
 *
 * Errors (all %VI_ERROR_INVALID_ARGUMENT): a path that is neither a file
 * nor a folder, two files with the same base name (both are named), a base
 * name that is not valid UTF-8, or no file at all.
 *
 * Returns: (transfer full) (element-type filename): the paths of the
 *   files, or %NULL on error
 */
GPtrArray *
vi_collect_annotation_files (const char *const *paths, GError **error)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) result = NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GHashTable) seen = NULL;
  guint i;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (paths == NULL || paths[0] == NULL) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                         "no annotation files or folders given");
    return NULL;
  }

  files = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; paths[i] != NULL; i++) {
    const char *path = paths[i];
    GStatBuf    st;

    if (*path == '\0') {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "an empty path is neither a file nor a folder");
      return NULL;
    }
    if (g_stat (path, &st) != 0) {
      int saved = errno;

      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is neither a file nor a folder (%s)", path,
                   g_strerror (saved));
      return NULL;
    }
    if (S_ISREG (st.st_mode)) {
      g_ptr_array_add (files, g_strdup (path));
    } else if (S_ISDIR (st.st_mode)) {
      if (!collect_folder (path, files, error))
        return NULL;
    } else {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is neither a file nor a folder", path);
      return NULL;
    }
  }

  result = g_ptr_array_new_with_free_func (g_free);
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (i = 0; i < files->len; i++) {
    const char      *path = files->pdata[i];
    g_autofree char *canonical = g_canonicalize_filename (path, NULL);
    g_autofree char *base = g_path_get_basename (path);
    const char      *other;

    if (g_hash_table_contains (seen, canonical))
      continue;
    if (!g_utf8_validate (base, -1, NULL)) {
      g_autofree char *shown = g_filename_display_name (path);

      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "the name of \"%s\" is not valid UTF-8: files are registered "
                   "under their name, which must be text",
                   shown);
      return NULL;
    }
    other = g_hash_table_lookup (names, base);
    if (other != NULL) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "\"%s\" and \"%s\" have the same name \"%s\": files are "
                   "registered under their name, so one would replace the other; "
                   "rename one of them",
                   other, path, base);
      return NULL;
    }
    g_hash_table_add (seen, g_steal_pointer (&canonical));
    g_hash_table_insert (names, g_steal_pointer (&base), (gpointer) path);
    g_ptr_array_add (result, g_strdup (path));
  }

  if (result->len == 0) {
    g_autofree char *joined = g_strjoinv ("\", \"", (char **) paths);

    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "no annotation files (.json or .jsonl) found in \"%s\"",
                 joined);
    return NULL;
  }
  return g_steal_pointer (&result);
}

/* ------------------------------------------------------------------------
 * The files of an upload, read for their sizes and CRC-32C
 * ------------------------------------------------------------------------ */

void
_vi_local_file_free (ViLocalFile *file)
{
  g_free (file->path);
  g_free (file->name);
  g_free (file->crc32c);
  g_free (file);
}

/* Collecting, in a worker thread: the files, their sizes and CRCs. */
static void
collect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  char **paths = task_data;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) files = NULL;
  GError *error = NULL;
  guint   i;

  found = vi_collect_annotation_files ((const char *const *) paths, &error);
  if (found == NULL) {
    g_task_return_error (task, error);
    return;
  }

  files = g_ptr_array_new_with_free_func ((GDestroyNotify) _vi_local_file_free);
  for (i = 0; i < found->len; i++) {
    ViLocalFile *file = g_new0 (ViLocalFile, 1);
    guint32      crc = 0;

    file->path = g_strdup (found->pdata[i]);
    file->name = g_path_get_basename (file->path);
    g_ptr_array_add (files, file);
    /* Size and CRC from the same read, so that they agree. */
    if (!vi_crc32c_file (file->path, &crc, &file->size, cancellable, &error)) {
      if (!_vi_import_is_cancelled_error (error)) {
        GError *wrapped = g_error_new (VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                                       "cannot read \"%s\": %s", file->path,
                                       error->message);

        g_error_free (error);
        error = wrapped;
      }
      g_task_return_error (task, error);
      return;
    }
    file->crc32c = vi_crc32c_to_base64 (crc);
  }
  g_task_return_pointer (task, g_steal_pointer (&files),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
_vi_upload_collect_async (const char *const  *paths,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, _vi_upload_collect_async);
  g_task_set_task_data (task, g_strdupv ((char **) paths),
                        (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, collect_thread);
}

GPtrArray *
_vi_upload_collect_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
