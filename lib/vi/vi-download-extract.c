/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The end of a download: the complete archive renamed from ".zip.part" to
 * ".zip", checked (vi-zip.c), extracted next to it in a worker thread
 * within the client's limits, the SDK's metadata.json written; the
 * archive and its sidecar are then removed.  A bad archive is not kept.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-download-private.h"
#include "vi-zip-private.h"

static gboolean
write_metadata (ViDownload *dl, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = NULL;
  g_autofree char *path = g_build_filename (dl->dir, "metadata.json", NULL);

  /* The SDK's DatasetExportMetadata, then what the C client knows more. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, dl->dataset_id);
  json_builder_set_member_name (builder, "organizationId");
  json_builder_add_string_value (builder, dl->organization_id);
  json_builder_set_member_name (builder, "exportDir");
  json_builder_add_string_value (builder, dl->dir);
  json_builder_set_member_name (builder, "createdAt");
  json_builder_add_int_value (builder, g_date_time_to_unix (now));
  json_builder_set_member_name (builder, "license");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "datasetId");
  json_builder_add_string_value (builder, dl->dataset_id);
  json_builder_set_member_name (builder, "datasetExportId");
  json_builder_add_string_value (builder, dl->export_id);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, dl->format);
  json_builder_set_member_name (builder, "sizeBytes");
  json_builder_add_int_value (builder, (gint64) dl->size);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_file_set_contents (path, text, -1, error);
}

static void
extract_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ViDownload      *dl = task_data;
  GError          *error = NULL;
  guint            n_files = 0;
  g_autofree char *zip_name = g_path_get_basename (dl->zip_path);
  g_autofree char *part_name = g_path_get_basename (dl->part_path);
  g_autofree char *sidecar_name = g_path_get_basename (dl->sidecar_path);
  const char      *reserved[] = { zip_name, part_name, sidecar_name, NULL };
  ViZipLimits      limits = { dl->max_extract_size, dl->max_extract_entries,
                              reserved };

  if (!_vi_zip_extract (dl->zip_path, dl->dir, &limits, &n_files, cancellable,
                        &error)) {
    if (g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE)) {
      /* A bad archive is not kept: the next call downloads it again. */
      g_unlink (dl->zip_path);
      g_unlink (dl->sidecar_path);
    }
    g_task_return_error (task, error);
    return;
  }
  if (!write_metadata (dl, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_unlink (dl->sidecar_path);
  g_unlink (dl->zip_path);
  g_debug ("download export %s: %u file%s extracted into %s", dl->export_id,
           n_files, n_files == 1 ? "" : "s", dl->dir);
  g_task_return_boolean (task, TRUE);
}

void
_vi_download_complete (GTask *task)
{
  ViDownload *dl = g_task_get_task_data (task);
  GError     *error = NULL;
  int         fd = dl->fd;

  dl->fd = -1;
  if (close (fd) != 0) {
    int saved_errno = errno;

    g_task_return_new_error (task, G_IO_ERROR,
                             g_io_error_from_errno (saved_errno),
                             "cannot write %s: %s", dl->part_path,
                             g_strerror (saved_errno));
    return;
  }
  if (g_rename (dl->part_path, dl->zip_path) != 0) {
    int saved_errno = errno;

    g_task_return_new_error (task, G_IO_ERROR,
                             g_io_error_from_errno (saved_errno),
                             "cannot rename %s: %s", dl->part_path,
                             g_strerror (saved_errno));
    return;
  }
  if (!_vi_zip_verify (dl->zip_path, &error)) {
    g_unlink (dl->zip_path);
    g_unlink (dl->sidecar_path);
    g_task_return_error (task, error);
    return;
  }
  g_task_run_in_thread (task, extract_in_thread);
}
