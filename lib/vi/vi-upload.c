/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Annotation upload: the import-session workflow (create a session,
 * register the files, send them to the signed URLs, PATCH FilesInserted,
 * wait), exactly once.
 *
 * Everything runs on the thread-default main context of the caller, except
 * collecting the files and their CRC-32C, which reads them in a worker
 * thread (vi-upload-files.c).  Files are never loaded: the CRC is computed
 * over 1 MiB chunks and each signed upload streams the file from disk
 * (vi-upload-signed.c), so memory does not depend on file size.  Marking
 * the files inserted exactly once is vi-upload-mark-inserted.c.  This
 * file holds the session's steps, their order and the upload's progress.
 */
#include "config.h"

#include "vi-import-private.h"
#include "vi-wait-private.h"

/* Signed-upload progress is reported at most once per this many bytes,
 * and at the end of each file. */
#define PROGRESS_STEP ((guint64) 256 * 1024)

/* ------------------------------------------------------------------------
 * Upload (docs/protocol.md §7.1 to §7.4)
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient            *client;
  char                *dataset_id;
  char               **paths;
  ViUploadOptions      options;
  ViUploadProgressFunc progress;
  gpointer             progress_data;

  GPtrArray                 *files;   /* ViLocalFile, collected order */
  GHashTable                *by_name; /* name -> ViLocalFile */
  GPtrArray                 *uploads; /* ViSignedUpload, server order */
  ViAnnotationImportSession *session; /* latest response */
  char                      *session_id;
  char                      *session_url;

  ViUploadStage stage;
  guint         index; /* into uploads */
  ViLocalFile  *current;
  guint         files_done;
  guint64       bytes_done; /* files finished */
  guint64       bytes_sent; /* current attempt */
  guint64       bytes_reported;
  guint64       bytes_total;

  GError *failure;    /* while marking the session */
  guint   reconciles; /* session reads after a lost answer */
} UploadData;

static void
upload_data_free (UploadData *data)
{
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_strfreev (data->paths);
  g_clear_pointer (&data->files, g_ptr_array_unref);
  g_clear_pointer (&data->by_name, g_hash_table_unref);
  g_clear_pointer (&data->uploads, g_ptr_array_unref);
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  g_free (data->session_id);
  g_free (data->session_url);
  g_clear_error (&data->failure);
  g_free (data);
}

static void
upload_report (UploadData *data)
{
  ViUploadProgress p = {
    0,
  };

  if (data->progress == NULL)
    return;
  p.stage = data->stage;
  p.session_id = data->session_id;
  p.current_file = data->stage == VI_UPLOAD_STAGE_UPLOADING &&
          data->current != NULL
      ? data->current->path
      : NULL;
  p.files_done = data->files_done;
  p.files_total = data->files != NULL ? data->files->len : 0;
  p.bytes_done = data->bytes_done + data->bytes_sent;
  p.bytes_total = data->bytes_total;
  p.session = data->stage >= VI_UPLOAD_STAGE_PROCESSING ? data->session : NULL;
  data->bytes_reported = p.bytes_done;
  data->progress (&p, data->progress_data);
}

static void
upload_set_stage (UploadData *data, ViUploadStage stage)
{
  data->stage = stage;
  upload_report (data);
}

static void upload_fail (GTask *task, GError *error);

static void
upload_return_error (GTask *task, GError *error)
{
  g_task_return_error (task, error);
}

static void
upload_done (GTask *task, ViAnnotationImportSession *session)
{
  g_task_return_pointer (task, vi_annotation_upload_result_new (session),
                         (GDestroyNotify) vi_annotation_upload_result_unref);
}

/* ---- step 5: wait ---- */

static void
upload_waited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  GError *error = NULL;

  session = _vi_wait_finish (result, &error);
  if (session == NULL) {
    upload_return_error (task, error);
    return;
  }
  upload_done (task, session);
}

/* Progress of the wait inside an upload: the upload's own callback sees
 * the session as last read. */
static void
upload_wait_progress (const ViUploadProgress *progress, gpointer user_data)
{
  UploadData *data = user_data;

  data->stage = progress->stage;
  if (progress->session != NULL && progress->session != data->session) {
    g_clear_pointer (&data->session, vi_annotation_import_session_unref);
    data->session = vi_annotation_import_session_ref (
        (ViAnnotationImportSession *) progress->session);
  }
  if (data->progress != NULL)
    data->progress (progress, data->progress_data);
}

/* ---- step 4: PATCH FilesInserted (vi-upload-mark-inserted.c) ---- */

static void upload_finalize (GTask *task);

/* The files are marked inserted: wait, or return the session. */
static void
upload_marked (GTask *task)
{
  UploadData      *data = g_task_get_task_data (task);
  ViUploadProgress base = {
    0,
  };

  if (!data->options.wait_until_done) {
    upload_set_stage (data, VI_UPLOAD_STAGE_DONE);
    upload_done (task, data->session);
    return;
  }

  base.files_done = data->files_done;
  base.files_total = data->files->len;
  base.bytes_done = data->bytes_done;
  base.bytes_total = data->bytes_total;
  data->stage = VI_UPLOAD_STAGE_PROCESSING;
  _vi_import_wait_start (data->client, data->dataset_id, data->session_id,
                         data->options.poll_interval_ms,
                         data->options.timeout_ms, upload_wait_progress, data,
                         &base, upload_waited_cb, g_task_get_cancellable (task),
                         upload_waited_cb, g_object_ref (task));
}

static void
upload_inserted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData                *data = g_task_get_task_data (task);
  ViAnnotationImportSession *session;
  gboolean                   marked = FALSE;
  GError                    *error = NULL;

  session = _vi_upload_mark_inserted_finish (result, &marked, &error);
  if (session == NULL) {
    upload_return_error (task, error);
    return;
  }
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  data->session = session;
  if (marked)
    upload_marked (task);
  else
    /* Not carried out: the PATCH is idempotent, send it again. */
    upload_finalize (task);
}

static void
upload_finalize (GTask *task)
{
  UploadData *data = g_task_get_task_data (task);
  GError     *error = NULL;

  data->current = NULL;
  /* Cancelled once the last file was sent: still a cancelled upload. */
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task),
                                            &error)) {
    upload_fail (task, error);
    return;
  }
  upload_set_stage (data, VI_UPLOAD_STAGE_FINALIZING);
  _vi_upload_mark_inserted_async (data->client, data->dataset_id,
                                  data->session_id, data->session_url,
                                  &data->reconciles,
                                  g_task_get_cancellable (task),
                                  upload_inserted_cb, g_object_ref (task));
}

/* ---- after a failure in steps 2-3: FailedReach ---- */

static void
upload_failed_patched_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) patch_error = NULL;
  g_autoptr (GError) failure = g_steal_pointer (&data->failure);
  GError *error;

  node = _vi_http_send_finish (result, &patch_error);

  if (_vi_import_is_cancelled_error (failure)) {
    if (patch_error != NULL)
      g_warning ("import session %s: marking it cancelled failed: %s",
                 data->session_id, patch_error->message);
    upload_return_error (task, g_steal_pointer (&failure));
    return;
  }

  if (patch_error != NULL)
    error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
                         "import session %s: %s; marking the session failed "
                         "(FailedReach, UserUploadErrored) failed too: %s",
                         data->session_id, failure->message,
                         patch_error->message);
  else
    error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
                         "import session %s: %s; the session was marked failed "
                         "(FilesInserted: FailedReach, UserUploadErrored)",
                         data->session_id, failure->message);
  if (failure->domain == VI_ERROR)
    vi_error_set_http_details (error, vi_error_get_http_status (failure),
                               vi_error_get_server_message (failure),
                               vi_error_get_trace_id (failure));
  upload_return_error (task, error);
}

/* A failure while registering or sending (takes error): the session is
 * marked FailedReach, with CancelledByUser when the caller cancelled and
 * UserUploadErrored otherwise; the PATCH is not cancellable. */
static void
upload_fail (GTask *task, GError *error)
{
  UploadData       *data = g_task_get_task_data (task);
  GCancellable     *cancellable = g_task_get_cancellable (task);
  gboolean          cancelled;
  ViConditionReason reason;

  data->current = NULL;
  cancelled = _vi_import_is_cancelled_error (error) ||
      (cancellable != NULL && g_cancellable_is_cancelled (cancellable));
  if (cancelled && !_vi_import_is_cancelled_error (error)) {
    g_error_free (error);
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "Operation was cancelled");
  }
  if (cancelled) {
    g_prefix_error (&error, "upload to import session %s: ", data->session_id);
    reason = VI_CONDITION_REASON_CANCELLED_BY_USER;
  } else {
    reason = VI_CONDITION_REASON_USER_UPLOAD_ERRORED;
  }

  data->failure = error;
  _vi_http_send_async (_vi_import_patch_status_request (
                           data->client, data->session_url,
                           VI_CONDITION_STATUS_FAILED_REACH, reason),
                       NULL, upload_failed_patched_cb, g_object_ref (task));
}

/* ---- step 3: the signed uploads (vi-upload-signed.c) ---- */

static void upload_next_file (GTask *task);

/* Bytes of the current file sent by its attempt in flight. */
static void
upload_sent_bytes (guint64 bytes_sent, gpointer user_data)
{
  UploadData *data = user_data;

  data->bytes_sent = bytes_sent;
  if (data->bytes_done + data->bytes_sent >=
      data->bytes_reported + PROGRESS_STEP)
    upload_report (data);
}

static void
upload_file_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  GError     *error = NULL;

  if (!_vi_signed_upload_send_finish (result, &error)) {
    upload_fail (task, error);
    return;
  }
  data->files_done++;
  data->bytes_done += data->current->size;
  data->bytes_sent = 0;
  upload_report (data);
  data->index++;
  upload_next_file (task);
}

static void
upload_next_file (GTask *task)
{
  UploadData           *data = g_task_get_task_data (task);
  const ViSignedUpload *upload;

  if (data->index >= data->uploads->len) {
    upload_finalize (task);
    return;
  }
  upload = data->uploads->pdata[data->index];
  data->current = g_hash_table_lookup (data->by_name, upload->name);
  data->bytes_sent = 0;
  upload_report (data);
  _vi_signed_upload_send_async (data->client, upload, data->current,
                                upload_sent_bytes, data,
                                g_task_get_cancellable (task),
                                upload_file_sent_cb, g_object_ref (task));
}

/* ---- step 2: register ---- */

static void
upload_registered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GHashTable) listed = NULL;
  GError *error = NULL;
  guint   i;

  node = _vi_http_send_finish (result, &error);
  if (node == NULL) {
    upload_fail (task, error);
    return;
  }
  data->uploads = _vi_signed_uploads_from_json (node, &error);
  if (data->uploads == NULL) {
    g_prefix_error (&error, "register files: ");
    upload_fail (task, error);
    return;
  }
  if (data->uploads->len == 0) {
    upload_fail (task,
                 g_error_new_literal (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                                      "register files: the server added no "
                                      "files to the session"));
    return;
  }

  /* Each name must be one we registered, and each file must get a URL
   * (the SDK pairs them blindly and may send a file to another's URL). */
  listed = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < data->uploads->len; i++) {
    const ViSignedUpload *upload = data->uploads->pdata[i];

    if (!g_hash_table_contains (data->by_name, upload->name)) {
      upload_fail (task,
                   g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                                "register files: the server returned an upload URL for "
                                "\"%s\", which was not registered",
                                upload->name));
      return;
    }
    g_hash_table_add (listed, upload->name);
  }
  for (i = 0; i < data->files->len; i++) {
    const ViLocalFile *file = data->files->pdata[i];

    if (!g_hash_table_contains (listed, file->name)) {
      upload_fail (
          task,
          g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                       "register files: the server returned no upload URL for %s",
                       file->path));
      return;
    }
  }

  data->index = 0;
  data->stage = VI_UPLOAD_STAGE_UPLOADING;
  upload_next_file (task);
}

/* ---- step 1: create the session ---- */

static void
upload_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) specs = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;
  GError          *error = NULL;
  const char      *id;
  guint            i;

  node = _vi_http_send_finish (result, &error);
  if (node == NULL) {
    upload_return_error (task, error);
    return;
  }
  data->session = vi_annotation_import_session_new_from_json (node, &error);
  if (data->session == NULL) {
    g_prefix_error (&error, "create import session: ");
    upload_return_error (task, error);
    return;
  }
  id = vi_annotation_import_session_get_session_id (data->session);
  if (!vi_validate_id ("import session id", id, &error)) {
    g_prefix_error (&error, "create import session: invalid response: ");
    error->code = VI_ERROR_INVALID_RESPONSE;
    upload_return_error (task, error);
    return;
  }
  data->session_id = g_strdup (id);
  data->session_url = _vi_import_sessions_url (data->client, data->dataset_id,
                                               id);

  upload_set_stage (data, VI_UPLOAD_STAGE_REGISTERING);
  specs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_import_file_spec_free);
  for (i = 0; i < data->files->len; i++) {
    const ViLocalFile *file = data->files->pdata[i];

    g_ptr_array_add (specs,
                     vi_annotation_import_file_spec_new (file->name,
                                                         (gint64) file->size,
                                                         file->crc32c));
  }
  body = _vi_import_files_body (specs);
  url = g_strconcat (data->session_url, "/files", NULL);
  _vi_http_send_async (_vi_client_new_request (data->client, "POST", url, body,
                                               VI_HTTP_TARGET_SESSION,
                                               "register files"),
                       g_task_get_cancellable (task), upload_registered_cb,
                       g_object_ref (task));
}

static void
upload_collected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData            *data = g_task_get_task_data (task);
  ViAnnotationImportSpec spec;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;
  GError          *error = NULL;
  guint            i;

  data->files = _vi_upload_collect_finish (result, &error);
  if (data->files == NULL) {
    upload_return_error (task, error);
    return;
  }
  data->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < data->files->len; i++) {
    ViLocalFile *file = data->files->pdata[i];

    g_hash_table_insert (data->by_name, file->name, file);
    data->bytes_total += file->size;
  }

  upload_set_stage (data, VI_UPLOAD_STAGE_CREATING_SESSION);
  vi_annotation_import_spec_init_default (&spec);
  spec.failure_policies = data->options.failure_policies;
  body = _vi_import_session_create_body (&spec, NULL);
  url = _vi_import_sessions_url (data->client, data->dataset_id, NULL);
  _vi_http_send_async (_vi_client_new_request (data->client, "POST", url, body,
                                               VI_HTTP_TARGET_DATASET,
                                               "create import session"),
                       g_task_get_cancellable (task), upload_created_cb,
                       g_object_ref (task));
}

/**
 * vi_client_upload_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @paths: (array zero-terminated=1) (element-type filename): annotation
 *   files and folders
 * @options: (nullable): options, or %NULL for those of
 *   vi_upload_options_init()
 * @progress: (nullable) (scope forever) (closure progress_data): called as
 *   the upload advances
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Uploads annotation files.  See vi_client_upload_annotations().
 * @progress and @progress_data must stay valid until @callback is called.
 */
void
vi_client_upload_annotations_async (ViClient              *self,
                                    const char            *dataset_id,
                                    const char *const     *paths,
                                    const ViUploadOptions *options,
                                    ViUploadProgressFunc   progress,
                                    gpointer               progress_data,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_autoptr (GTask) task = NULL;
  UploadData *data;
  GError     *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error)) {
    _vi_client_return_early_error (self, vi_client_upload_annotations_async,
                                   error, callback, user_data);
    return;
  }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_upload_annotations_async);
  g_task_set_check_cancellable (task, FALSE);
  data = g_new0 (UploadData, 1);
  data->client = g_object_ref (self);
  data->dataset_id = g_strdup (dataset_id);
  data->paths = g_strdupv ((char **) paths);
  if (options != NULL)
    data->options = *options;
  else
    vi_upload_options_init (&data->options);
  data->progress = progress;
  data->progress_data = progress_data;
  g_task_set_task_data (task, data, (GDestroyNotify) upload_data_free);

  upload_set_stage (data, VI_UPLOAD_STAGE_COLLECTING);

  _vi_upload_collect_async ((const char *const *) data->paths, cancellable,
                            upload_collected_cb, g_object_ref (task));
}

/**
 * vi_client_upload_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the result, or %NULL on error
 */
ViAnnotationUploadResult *
vi_client_upload_annotations_finish (ViClient     *self,
                                     GAsyncResult *result,
                                     GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_upload_annotations_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  ViClient              *client;
  const char            *dataset_id;
  const char *const     *paths;
  const ViUploadOptions *options;
  ViUploadProgressFunc   progress;
  gpointer               progress_data;
} UploadArgs;

static void
start_upload (gpointer            data,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  UploadArgs *a = data;

  vi_client_upload_annotations_async (a->client, a->dataset_id, a->paths,
                                      a->options, a->progress, a->progress_data,
                                      cancellable, callback, user_data);
}

/**
 * vi_client_upload_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @paths: (array zero-terminated=1) (element-type filename): annotation
 *   files and folders
 * @options: (nullable): options, or %NULL for those of
 *   vi_upload_options_init()
 * @progress: (nullable) (scope call) (closure progress_data): called as the
 *   upload advances
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Uploads annotation files to a dataset, as the SDK's `upload()`
 * (docs/protocol.md §7):
 *
 * 1. collects the files (vi_collect_annotation_files()) and reads each
 *    once for its size and CRC-32C;
 * 2. creates an import session, with an upload deadline 55 minutes away
 *    and the failure policies of @options;
 * 3. registers the files under their base names;
 * 4. sends each file, in the order the server lists them, to its signed
 *    URL with exactly the method and headers the server gave and without
 *    the API credentials, streamed from disk with a `Content-Length`.
 *    Unlike the SDK, these requests are retried as API calls are (429,
 *    500/502/503/504, dropped connections), the file being read again
 *    from the start; any 2xx is success, anything else failure;
 * 5. marks the files inserted (`FilesInserted: Reached`);
 * 6. when @options says so, waits as vi_client_wait_until_done().
 *
 * Uploads are exactly-once: when the answer to marking the files inserted
 * is lost (cut short, dropped, garbled, or a retry told that the files are
 * already marked), the session is read to learn what happened: marked, the
 * upload goes on; not marked, the request is sent again.  When the state
 * cannot be learned, the call fails with %VI_ERROR_IMPORT_STATE_UNKNOWN,
 * whose message names the session: wait for it with
 * vi_client_wait_until_done() rather than uploading again, which could
 * import the annotations twice.
 *
 * Memory use does not depend on the size of the files.
 *
 * When registering or sending fails, the session is marked
 * `FilesInserted: FailedReach` with reason `UserUploadErrored`, as the SDK
 * does; but where the SDK then returns normally and hides the cause, this
 * fails with %VI_ERROR_IMPORT_FAILED, whose message names the session,
 * the file and what went wrong.  Cancelling @cancellable while
 * registering or sending marks the session `FailedReach` with reason
 * `CancelledByUser` (that request itself is not cancellable, and retried
 * only as any API call) and fails with %G_IO_ERROR_CANCELLED; cancelling
 * while the `FilesInserted: Reached` request is in flight fails with
 * %G_IO_ERROR_CANCELLED, the session being in whatever state that request
 * left it; cancelling during the wait ends it at once, leaving the session
 * as it is.  Errors
 * before the session exists (a bad path, two files with the same name,
 * creating the session) are reported as they are, with no session left
 * behind except for a failed creation.
 *
 * @progress is called on the thread-default main context of the caller
 * (during the call), at each stage and while sending at most every
 * 256 KiB of each file.
 *
 * Returns: (transfer full): the result, with the session as last read, or
 *   %NULL on error
 */
ViAnnotationUploadResult *
vi_client_upload_annotations (ViClient              *self,
                              const char            *dataset_id,
                              const char *const     *paths,
                              const ViUploadOptions *options,
                              ViUploadProgressFunc   progress,
                              gpointer               progress_data,
                              GCancellable          *cancellable,
                              GError               **error)
{
  UploadArgs a = { self, dataset_id, paths, options, progress, progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_upload, &a, cancellable);
  return vi_client_upload_annotations_finish (self, result, error);
}
