/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* What the files of the import support share (vi-import-session.c,
 * vi-upload.c, vi-upload-files.c, vi-upload-signed.c,
 * vi-upload-mark-inserted.c). */

#include <vi/vi.h>

#include "vi-client-private.h"
#include "vi-error-private.h"
#include "vi-model-private.h"

G_BEGIN_DECLS

/* ".../annotationImportSessions[/{id}]"; ids validated by the caller. */
char    *_vi_import_sessions_url (ViClient   *client,
                                  const char *dataset_id,
                                  const char *session_id);
gint64   _vi_import_now_ms (void);
gboolean _vi_import_is_cancelled_error (const GError *error);

/* Reads the session at url, retried as any GET, a malformed or
 * undecodable body read again within the same budget. */
void                       _vi_import_session_read_async (ViClient           *client,
                                                          const char         *url,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
ViAnnotationImportSession *_vi_import_session_read_finish (GAsyncResult *result,
                                                           GError      **error);

/* Whether a failed request may have been carried out, its answer lost or
 * unreadable: the session's state, not the error, says what happened. */
gboolean _vi_import_answer_may_be_lost (const GError *error);
/* PATCH {session_url}/status with one FilesInserted condition. */
ViHttpRequest *_vi_import_patch_status_request (ViClient         *client,
                                                const char       *session_url,
                                                ViConditionStatus status,
                                                ViConditionReason reason);
/* VI_ERROR_IMPORT_STATE_UNKNOWN, with the advice every such error gives. */
GError *_vi_import_state_unknown_error (const char   *dataset_id,
                                        const char   *session_id,
                                        const char   *what,
                                        const GError *cause);

/* The wait of vi_client_wait_until_done_async() and of the upload; base
 * (nullable) holds the file and byte counts progress reports carry. */
void _vi_import_wait_start (ViClient               *client,
                            const char             *dataset_id,
                            const char             *session_id,
                            guint                   poll_interval_ms,
                            guint                   timeout_ms,
                            ViUploadProgressFunc    progress,
                            gpointer                progress_data,
                            const ViUploadProgress *base,
                            gpointer                source_tag,
                            GCancellable           *cancellable,
                            GAsyncReadyCallback     callback,
                            gpointer                user_data);

/* An annotation file as an upload registers and sends it
 * (vi-upload-files.c). */
typedef struct {
  char   *path; /* as collected */
  char   *name; /* base name, the registration key */
  guint64 size;
  char   *crc32c; /* base64 of the big-endian CRC-32C */
} ViLocalFile;

void _vi_local_file_free (ViLocalFile *file);

/* Collects the files of paths (vi_collect_annotation_files()) and reads
 * each once, in a worker thread, for its size and CRC-32C.  The result is
 * a GPtrArray of ViLocalFile in collected order. */
void       _vi_upload_collect_async (const char *const  *paths,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GPtrArray *_vi_upload_collect_finish (GAsyncResult *result, GError **error);

/* The bytes of a file that the attempt in flight has sent (0 when an
 * attempt starts or restarts). */
typedef void (*ViUploadSentFunc) (guint64 bytes_sent, gpointer user_data);

/* Sends file to its signed URL upload (vi-upload-signed.c), on the
 * thread-default main context; upload and file must live until callback
 * is called. */
void     _vi_signed_upload_send_async (ViClient             *client,
                                       const ViSignedUpload *upload,
                                       const ViLocalFile    *file,
                                       ViUploadSentFunc      sent,
                                       gpointer              sent_data,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean _vi_signed_upload_send_finish (GAsyncResult *result, GError **error);

/* Marks the files of the session at session_url inserted (PATCH
 * FilesInserted: Reached), learning from the session what happened when
 * the answer is lost (vi-upload-mark-inserted.c); reconciles counts the
 * session reads this takes over the whole upload.  The result is the
 * session as last read, with *marked FALSE when it shows that the PATCH
 * was not carried out and must be sent again. */
void                       _vi_upload_mark_inserted_async (ViClient           *client,
                                                           const char         *dataset_id,
                                                           const char         *session_id,
                                                           const char         *session_url,
                                                           guint              *reconciles,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
ViAnnotationImportSession *_vi_upload_mark_inserted_finish (GAsyncResult *result,
                                                            gboolean *marked,
                                                            GError  **error);

G_END_DECLS
