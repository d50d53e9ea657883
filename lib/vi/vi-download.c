/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The download of an export's archive.
 *
 * The download asks the signed URL for its size (HEAD, without the API
 * credentials), then fetches ranges of it with several requests in flight,
 * each written at its offset into "<export>.zip.part"
 * (vi-download-ranges.c).  A small sidecar, "<export>.zip.part.json",
 * records the ranges on disk, so that a call after an interruption
 * (cancellation, or an error once the retries are spent) fetches only the
 * missing ones (vi-download-sidecar.c).  The complete archive is renamed
 * to ".zip", checked and extracted next to it, streaming
 * (vi-download-extract.c, vi-zip.c).  This file is the call: its
 * arguments, the destination folder, the download's state.
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-download-private.h"

#define DEFAULT_CONNECTIONS 4
#define MAX_CONNECTIONS 64

static void
download_free (ViDownload *dl)
{
  g_assert (dl->in_flight == 0);
  if (dl->fd >= 0)
    close (dl->fd);
  _vi_op_cancel_clear (&dl->op);
  g_clear_object (&dl->session);
  g_free (dl->url);
  g_free (dl->organization_id);
  g_free (dl->dataset_id);
  g_free (dl->export_id);
  g_free (dl->format);
  g_free (dl->dir);
  g_free (dl->part_path);
  g_free (dl->sidecar_path);
  g_free (dl->zip_path);
  g_free (dl->etag);
  g_free (dl->chunks);
  g_clear_error (&dl->error);
  g_free (dl);
}

/* DIR/<dataset>: created if needed (DIR too, as the caller chose it), but
 * never a symbolic link someone planted to send the files elsewhere. */
static gboolean
prepare_dataset_dir (const char *destination_dir,
                     const char *dir,
                     GError    **error)
{
  GStatBuf st;

  if (g_mkdir_with_parents (destination_dir, 0755) != 0 ||
      (g_mkdir (dir, 0755) != 0 && errno != EEXIST)) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "cannot create %s: %s", dir, g_strerror (saved_errno));
    return FALSE;
  }
  if (g_lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "refusing to download into %s: it is a symbolic link or not a "
                 "folder, and files are never written through one; remove it or "
                 "choose another folder",
                 dir);
    return FALSE;
  }
  return TRUE;
}

/**
 * vi_client_download_export_async:
 * @self: a #ViClient
 * @export_: a ready export, with its download URL
 * @destination_dir: (type filename): where to put the dataset's folder
 * @n_connections: requests in flight, or 0 for 4
 * @progress: (nullable) (scope notified) (closure progress_data): called as
 *   bytes arrive
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the archive is extracted, or on error
 * @user_data: data for @callback
 *
 * Downloads and extracts an export.  See vi_client_download_export().
 */
void
vi_client_download_export_async (ViClient              *self,
                                 ViExportedAnnotations *export_,
                                 const char            *destination_dir,
                                 guint                  n_connections,
                                 ViDownloadProgressFunc progress,
                                 gpointer               progress_data,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  const ViExportedAnnotationsDownloadUrl *url;
  const char                             *dataset_id, *export_id, *format;
  g_autofree char                        *base = NULL;
  GError                                 *error = NULL;
  ViDownload                             *dl;
  GTask                                  *task;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (export_ != NULL);
  g_return_if_fail (destination_dir != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  dataset_id = vi_exported_annotations_get_dataset_id (export_);
  export_id = vi_exported_annotations_get_dataset_export_id (export_);
  url = vi_exported_annotations_get_download_url (export_);
  /* These ids name files: only the id alphabet is allowed. */
  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("export id", export_id, &error)) {
    g_prefix_error (&error, "download export: ");
    _vi_client_return_early_error (self, vi_client_download_export_async, error,
                                   callback, user_data);
    return;
  }
  if (url == NULL || url->url == NULL || *url->url == '\0') {
    _vi_client_return_early_error (
        self, vi_client_download_export_async,
        g_error_new (VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                     "export %s has no download URL yet: wait for it with "
                     "vi_client_wait_export()",
                     export_id),
        callback, user_data);
    return;
  }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_download_export_async);
  dl = g_new0 (ViDownload, 1);
  dl->fd = -1;
  dl->session = g_object_ref (_vi_client_get_session (self));
  dl->policy = _vi_client_get_retry_policy (self);
  dl->url = g_strdup (url->url);
  dl->organization_id = g_strdup (vi_client_get_organization_id (self));
  dl->dataset_id = g_strdup (dataset_id);
  dl->export_id = g_strdup (export_id);
  format = vi_export_format_to_string (
      vi_exported_annotations_get_spec (export_)->format);
  dl->format = g_strdup (format != NULL ? format : "unknown");
  dl->dir = g_build_filename (destination_dir, dataset_id, NULL);
  base = g_build_filename (dl->dir, export_id, NULL);
  dl->zip_path = g_strconcat (base, ".zip", NULL);
  dl->part_path = g_strconcat (base, ".zip.part", NULL);
  dl->sidecar_path = g_strconcat (base, ".zip.part.json", NULL);
  dl->n_connections = n_connections != 0 ? MIN (n_connections, MAX_CONNECTIONS)
                                         : DEFAULT_CONNECTIONS;
  _vi_client_get_extract_limits (self, &dl->max_extract_size,
                                 &dl->max_extract_entries);
  dl->progress = progress;
  dl->progress_data = progress_data;
  g_task_set_task_data (task, dl, (GDestroyNotify) download_free);
  _vi_op_cancel_init (&dl->op, cancellable, 0);

  if (!prepare_dataset_dir (destination_dir, dl->dir, &error)) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }

  _vi_download_start (task);
  g_object_unref (task);
}

/**
 * vi_client_download_export_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the archive is extracted
 */
gboolean
vi_client_download_export_finish (ViClient     *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_download_export_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  ViClient              *client;
  ViExportedAnnotations *export_;
  const char            *destination_dir;
  guint                  n_connections;
  ViDownloadProgressFunc progress;
  gpointer               progress_data;
} DownloadArgs;

static void
start_download (gpointer            data,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  DownloadArgs *a = data;

  vi_client_download_export_async (a->client, a->export_, a->destination_dir,
                                   a->n_connections, a->progress,
                                   a->progress_data, cancellable, callback,
                                   user_data);
}

/**
 * vi_client_download_export:
 * @self: a #ViClient
 * @export_: a ready export, with its download URL (from
 *   vi_client_wait_export() or vi_client_get_export())
 * @destination_dir: (type filename): where to put the dataset's folder
 * @n_connections: ranges fetched at the same time, or 0 for 4
 * @progress: (nullable) (scope call) (closure progress_data): called as
 *   bytes arrive
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Downloads the archive of an export and extracts it into
 * `destination_dir/<dataset id>/`, then writes `metadata.json` there as
 * the SDK does.
 *
 * The signed URL is asked for its size with `HEAD`, without the API
 * credentials, then fetched in ranges of 1 MiB, @n_connections at a time,
 * straight to `<export id>.zip.part` (memory does not grow with the
 * archive).  Each range is retried like an API request (429, 5xx,
 * transport errors and bodies cut short), continuing where it stopped.
 * The ranges on disk are recorded in `<export id>.zip.part.json`: after an
 * interruption — cancellation, or an error once the retries are spent —
 * calling again with the same export (or a fresh one of the same id, whose
 * URL may have been renewed) fetches only the missing ranges.
 *
 * The complete archive must have its end-of-central-directory record;
 * entries are checked (size, CRC-32) as they are extracted.  Refused with
 * %VI_ERROR_INVALID_RESPONSE before anything is written: names that would
 * write outside the folder (absolute, `..`, symbolic links), two entries
 * for one path, a file where another entry needs a folder, entries named
 * like the archive or its sidecar, and archives over
 * #ViClient:max-extract-entries or #ViClient:max-extract-size.  A bad
 * archive is deleted, so that the next call starts over; the archive and
 * the sidecar are deleted after a successful extraction.
 *
 * Symbolic links in the destination are never followed: when
 * `destination_dir/<dataset id>` or one of the folders inside it is a
 * link, the call fails with %VI_ERROR_INVALID_ARGUMENT naming it.
 *
 * Returns: %TRUE when the archive is extracted
 */
gboolean
vi_client_download_export (ViClient              *self,
                           ViExportedAnnotations *export_,
                           const char            *destination_dir,
                           guint                  n_connections,
                           ViDownloadProgressFunc progress,
                           gpointer               progress_data,
                           GCancellable          *cancellable,
                           GError               **error)
{
  DownloadArgs a = { .client = self,
                     .export_ = export_,
                     .destination_dir = destination_dir,
                     .n_connections = n_connections,
                     .progress = progress,
                     .progress_data = progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (export_ != NULL, FALSE);
  g_return_val_if_fail (destination_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = _vi_run_sync (start_download, &a, cancellable);
  return vi_client_download_export_finish (self, result, error);
}
