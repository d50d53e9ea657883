/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* What the files of an export's download share: vi-download.c (the call),
 * vi-download-ranges.c (the HEAD and the ranges), vi-download-sidecar.c
 * (the record of the ranges on disk), vi-download-extract.c (the complete
 * archive). */

#include "vi-client-private.h"

G_BEGIN_DECLS

/* The state of one range of the archive. */
enum {
  VI_CHUNK_TODO,
  VI_CHUNK_BUSY,
  VI_CHUNK_DONE,
};

/* One download, the task data of its GTask. */
typedef struct {
  SoupSession           *session;
  ViRetryPolicy          policy;
  char                  *url;
  char                  *organization_id;
  char                  *dataset_id;
  char                  *export_id;
  char                  *format;
  char                  *dir;
  char                  *part_path;
  char                  *sidecar_path;
  char                  *zip_path;
  guint                  n_connections;
  ViDownloadProgressFunc progress;
  gpointer               progress_data;
  guint64                max_extract_size;
  guint                  max_extract_entries;

  ViOpCancel op; /* the user's, or a failed range's */

  int      fd;
  guint64  size;
  char    *etag;
  gboolean ranges;
  guint64  chunk_size;
  guint    n_chunks;
  guint8  *chunks; /* CHUNK_* */
  guint    next;   /* first chunk that may be TODO */
  guint    in_flight;
  guint64  bytes_done;
  guint    n_fetched; /* ranges fetched by this call */
  GError  *error;     /* the first failure */
} ViDownload;

/* Fetches the size of the archive (HEAD), then its ranges, n_connections
 * at a time, each retried and written at its offset; then completes the
 * download.  task's data is the ViDownload, its directory prepared. */
void _vi_download_start (GTask *task);

/* The sidecar, "<export>.zip.part.json": which ranges of the .part file
 * are complete.  Loading takes the record of an earlier call only if it
 * is for this archive (its chunks become VI_CHUNK_DONE). */
gboolean _vi_download_save_sidecar (ViDownload *dl, GError **error);
gboolean _vi_download_load_sidecar (ViDownload *dl);

/* Every range is in: the archive is renamed, verified, and extracted in
 * a worker thread, then metadata.json written; returns on task. */
void _vi_download_complete (GTask *task);

G_END_DECLS
