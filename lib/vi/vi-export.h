/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_EXPORT_H__
#define __VI_EXPORT_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <vi/vi-version.h>
#include <vi/vi-annotation.h>
#include <vi/vi-export-types.h>
#include <vi/vi-client.h>

G_BEGIN_DECLS

/**
 * ViDownloadProgressFunc:
 * @bytes_done: bytes of the archive on disk so far, including those kept
 *   from an earlier, interrupted download
 * @bytes_total: size of the archive
 * @user_data: the data given with the function
 *
 * Called on the thread-default main context of the download as bytes
 * arrive.
 */
typedef void (*ViDownloadProgressFunc) (guint64  bytes_done,
                                        guint64  bytes_total,
                                        gpointer user_data);

VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_create_export (ViClient      *self,
                                                const char    *dataset_id,
                                                ViExportFormat format,
                                                gboolean       normalized,
                                                GCancellable  *cancellable,
                                                GError       **error);
VI_AVAILABLE_IN_ALL
void vi_client_create_export_async (ViClient           *self,
                                    const char         *dataset_id,
                                    ViExportFormat      format,
                                    gboolean            normalized,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_create_export_finish (ViClient     *self,
                                                       GAsyncResult *result,
                                                       GError      **error);

VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_get_export (ViClient     *self,
                                             const char   *dataset_id,
                                             const char   *export_id,
                                             GCancellable *cancellable,
                                             GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_get_export_async (ViClient           *self,
                                 const char         *dataset_id,
                                 const char         *export_id,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_get_export_finish (ViClient     *self,
                                                    GAsyncResult *result,
                                                    GError      **error);

VI_AVAILABLE_IN_ALL
GPtrArray *vi_client_list_exports (ViClient     *self,
                                   const char   *dataset_id,
                                   GCancellable *cancellable,
                                   GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_list_exports_async (ViClient           *self,
                                   const char         *dataset_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_client_list_exports_finish (ViClient     *self,
                                          GAsyncResult *result,
                                          GError      **error);

VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_wait_export (ViClient     *self,
                                              const char   *dataset_id,
                                              const char   *export_id,
                                              guint         poll_interval_ms,
                                              guint         timeout_ms,
                                              GCancellable *cancellable,
                                              GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_wait_export_async (ViClient           *self,
                                  const char         *dataset_id,
                                  const char         *export_id,
                                  guint               poll_interval_ms,
                                  guint               timeout_ms,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_client_wait_export_finish (ViClient     *self,
                                                     GAsyncResult *result,
                                                     GError      **error);

VI_AVAILABLE_IN_ALL
gboolean vi_client_download_export (ViClient              *self,
                                    ViExportedAnnotations *export_,
                                    const char            *destination_dir,
                                    guint                  n_connections,
                                    ViDownloadProgressFunc progress,
                                    gpointer               progress_data,
                                    GCancellable          *cancellable,
                                    GError               **error);
VI_AVAILABLE_IN_ALL
void vi_client_download_export_async (ViClient              *self,
                                      ViExportedAnnotations *export_,
                                      const char            *destination_dir,
                                      guint                  n_connections,
                                      ViDownloadProgressFunc progress,
                                      gpointer               progress_data,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data);
VI_AVAILABLE_IN_ALL
gboolean vi_client_download_export_finish (ViClient     *self,
                                           GAsyncResult *result,
                                           GError      **error);

G_END_DECLS

#endif /* __VI_EXPORT_H__ */
