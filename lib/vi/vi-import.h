/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_IMPORT_H__
#define __VI_IMPORT_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <vi/vi-version.h>
#include <vi/vi-annotation.h>
#include <vi/vi-import-types.h>
#include <vi/vi-client.h>

G_BEGIN_DECLS

/**
 * ViUploadStage:
 * @VI_UPLOAD_STAGE_COLLECTING: finding the files and computing their
 *   sizes and CRC-32C
 * @VI_UPLOAD_STAGE_CREATING_SESSION: creating the import session
 * @VI_UPLOAD_STAGE_REGISTERING: registering the files in the session
 * @VI_UPLOAD_STAGE_UPLOADING: sending the files to their signed URLs
 * @VI_UPLOAD_STAGE_FINALIZING: marking the files as inserted
 * @VI_UPLOAD_STAGE_PROCESSING: waiting for the server to import them
 * @VI_UPLOAD_STAGE_DONE: finished successfully
 *
 * The steps of an upload, in the order they are reported.
 */
typedef enum {
  VI_UPLOAD_STAGE_COLLECTING,
  VI_UPLOAD_STAGE_CREATING_SESSION,
  VI_UPLOAD_STAGE_REGISTERING,
  VI_UPLOAD_STAGE_UPLOADING,
  VI_UPLOAD_STAGE_FINALIZING,
  VI_UPLOAD_STAGE_PROCESSING,
  VI_UPLOAD_STAGE_DONE,
} ViUploadStage;

/**
 * ViUploadProgress:
 * @stage: the current step
 * @session_id: (nullable): the import session, once created
 * @current_file: (nullable) (type filename): the local path of the file
 *   being sent, while uploading
 * @files_done: files sent so far
 * @files_total: files to send
 * @bytes_done: bytes sent so far, counting the current file's bytes
 *   already written (it goes back when a file's attempt is retried)
 * @bytes_total: the size of all files
 * @session: (nullable): the session as last read, while processing and
 *   when done
 *
 * What a #ViUploadProgressFunc is told.  Everything it points to belongs
 * to the operation and is valid only during the call.
 */
typedef struct {
  ViUploadStage                    stage;
  const char                      *session_id;
  const char                      *current_file;
  guint                            files_done;
  guint                            files_total;
  guint64                          bytes_done;
  guint64                          bytes_total;
  const ViAnnotationImportSession *session;
} ViUploadProgress;

/**
 * ViUploadProgressFunc:
 * @progress: where the upload is
 * @user_data: the data given with the function
 *
 * Called as an upload or a wait advances, on the thread-default main
 * context of the caller (during the call for the blocking forms).
 */
typedef void (*ViUploadProgressFunc) (const ViUploadProgress *progress,
                                      gpointer                user_data);

/**
 * ViUploadOptions:
 * @wait_until_done: wait for the server to finish the import
 * @poll_interval_ms: time between two reads of the session while waiting
 *   (0 means 1000)
 * @timeout_ms: the longest wait in milliseconds, 0 for no limit
 * @failure_policies: what the server does with bad annotations and files
 *
 * Options of vi_client_upload_annotations().  Initialize with
 * vi_upload_options_init().
 */
typedef struct {
  gboolean                        wait_until_done;
  guint                           poll_interval_ms;
  guint                           timeout_ms;
  ViAnnotationImportFailurePolicy failure_policies;
} ViUploadOptions;

#define VI_TYPE_UPLOAD_OPTIONS (vi_upload_options_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_upload_options_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
void vi_upload_options_init (ViUploadOptions *options);
VI_AVAILABLE_IN_ALL
ViUploadOptions *vi_upload_options_new (void);
VI_AVAILABLE_IN_ALL
ViUploadOptions *vi_upload_options_copy (const ViUploadOptions *options);
VI_AVAILABLE_IN_ALL
void vi_upload_options_free (ViUploadOptions *options);

VI_AVAILABLE_IN_ALL
GPtrArray *vi_collect_annotation_files (const char *const *paths,
                                        GError           **error);

/* upload */
VI_AVAILABLE_IN_ALL
ViAnnotationUploadResult *vi_client_upload_annotations (
    ViClient              *self,
    const char            *dataset_id,
    const char *const     *paths,
    const ViUploadOptions *options,
    ViUploadProgressFunc   progress,
    gpointer               progress_data,
    GCancellable          *cancellable,
    GError               **error);
VI_AVAILABLE_IN_ALL
void vi_client_upload_annotations_async (ViClient              *self,
                                         const char            *dataset_id,
                                         const char *const     *paths,
                                         const ViUploadOptions *options,
                                         ViUploadProgressFunc   progress,
                                         gpointer               progress_data,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationUploadResult *vi_client_upload_annotations_finish (
    ViClient     *self,
    GAsyncResult *result,
    GError      **error);

/* get_import_session */
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_get_import_session (
    ViClient     *self,
    const char   *dataset_id,
    const char   *session_id,
    GCancellable *cancellable,
    GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_get_import_session_async (ViClient           *self,
                                         const char         *dataset_id,
                                         const char         *session_id,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_get_import_session_finish (
    ViClient     *self,
    GAsyncResult *result,
    GError      **error);

/* abandon_import_session */
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_abandon_import_session (
    ViClient     *self,
    const char   *dataset_id,
    const char   *session_id,
    GCancellable *cancellable,
    GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_abandon_import_session_async (ViClient           *self,
                                             const char         *dataset_id,
                                             const char         *session_id,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_abandon_import_session_finish (
    ViClient     *self,
    GAsyncResult *result,
    GError      **error);

/* wait_until_done */
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_wait_until_done (
    ViClient            *self,
    const char          *dataset_id,
    const char          *session_id,
    guint                poll_interval_ms,
    guint                timeout_ms,
    ViUploadProgressFunc progress,
    gpointer             progress_data,
    GCancellable        *cancellable,
    GError             **error);
VI_AVAILABLE_IN_ALL
void vi_client_wait_until_done_async (ViClient            *self,
                                      const char          *dataset_id,
                                      const char          *session_id,
                                      guint                poll_interval_ms,
                                      guint                timeout_ms,
                                      ViUploadProgressFunc progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_client_wait_until_done_finish (
    ViClient     *self,
    GAsyncResult *result,
    GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViUploadOptions, vi_upload_options_free)

G_END_DECLS

#endif /* __VI_IMPORT_H__ */
