/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Import sessions: reading one (get_import_session, and the read that
 * exactly-once uploads rely on), setting its status, abandoning one, and
 * waiting for one to finish.
 */
#include "config.h"

#include <string.h>

#include "vi-import-private.h"
#include "vi-text-private.h"
#include "vi-wait-private.h"

/* ------------------------------------------------------------------------
 * Helpers: a wait a cancellation ends, URLs
 * ------------------------------------------------------------------------ */

/* ".../annotationImportSessions[/{id}]"; ids validated by the caller. */
char *
_vi_import_sessions_url (ViClient   *client,
                         const char *dataset_id,
                         const char *session_id)
{
  GString *url = _vi_client_dataset_url (client, dataset_id);

  g_string_append (url, "/annotationImportSessions");
  if (session_id != NULL) {
    g_autofree char *id = vi_escape_path_segment (session_id);

    g_string_append_printf (url, "/%s", id);
  }
  return g_string_free (url, FALSE);
}

gint64
_vi_import_now_ms (void)
{
  return g_get_real_time () / 1000;
}

gboolean
_vi_import_is_cancelled_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* PATCH {session_url}/status with one FilesInserted condition. */
ViHttpRequest *
_vi_import_patch_status_request (ViClient         *client,
                                 const char       *session_url,
                                 ViConditionStatus status,
                                 ViConditionReason reason)
{
  g_autoptr (ViAnnotationImportSessionCondition) condition = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;

  condition =
      vi_annotation_import_session_condition_new ("FilesInserted", status,
                                                  (double) _vi_import_now_ms (),
                                                  reason);
  body = _vi_patch_status_body (condition);
  url = g_strconcat (session_url, "/status", NULL);
  return _vi_client_new_request (client, "PATCH", url, body,
                                 VI_HTTP_TARGET_SESSION,
                                 "update import session status");
}

/* ------------------------------------------------------------------------
 * get_import_session
 * ------------------------------------------------------------------------ */

static gpointer
decode_session (gpointer node, gpointer decode_data, GError **error)
{
  return vi_annotation_import_session_new_from_json (node, error);
}

/**
 * vi_client_get_import_session_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Reads an annotation import session.  See
 * vi_client_get_import_session().
 */
void
vi_client_get_import_session_async (ViClient           *self,
                                    const char         *dataset_id,
                                    const char         *session_id,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self, vi_client_get_import_session_async,
                                   error, callback, user_data);
    return;
  }
  url = _vi_import_sessions_url (self, dataset_id, session_id);
  _vi_client_call_async (self,
                         _vi_client_new_request (self, "GET", url, NULL,
                                                 VI_HTTP_TARGET_SESSION,
                                                 "get import session"),
                         decode_session, NULL, NULL,
                         (GDestroyNotify) vi_annotation_import_session_unref,
                         vi_client_get_import_session_async, cancellable,
                         callback, user_data);
}

/**
 * vi_client_get_import_session_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_get_import_session_finish (ViClient     *self,
                                     GAsyncResult *result,
                                     GError      **error)
{
  return _vi_client_call_finish (self, result,
                                 vi_client_get_import_session_async, error);
}

typedef struct {
  ViClient   *client;
  const char *dataset_id;
  const char *session_id;
} GetArgs;

static void
start_get_session (gpointer            data,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  GetArgs *a = data;

  vi_client_get_import_session_async (a->client, a->dataset_id, a->session_id,
                                      cancellable, callback, user_data);
}

/**
 * vi_client_get_import_session:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads an annotation import session (`GET
 * …/annotationImportSessions/{id}`), retried as every API call.
 *
 * Returns: (transfer full): the session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_get_import_session (ViClient     *self,
                              const char   *dataset_id,
                              const char   *session_id,
                              GCancellable *cancellable,
                              GError      **error)
{
  GetArgs a = { self, dataset_id, session_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_get_session, &a, cancellable);
  return vi_client_get_import_session_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * Reading a session's state
 *
 * Exactly-once uploads rest on this read: when the answer to a step is
 * lost, the session says what happened.  A read changes nothing on the
 * server, so it is retried as any GET (5xx, 429, transport errors, bodies
 * cut short), and a body that is malformed or does not decode is read
 * again too, within the same retry budget and backoff.
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient    *client;
  char        *url;
  ViRetryState retries;
} SessionRead;

static void
session_read_free (SessionRead *read)
{
  g_clear_object (&read->client);
  g_free (read->url);
  g_free (read);
}

static void session_read_attempt (GTask *task);

static void
session_read_got_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SessionRead *read = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session = NULL;
  GError                    *error = NULL;
  ViRetryPolicy              policy;
  double                     delay;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL) {
    session = vi_annotation_import_session_new_from_json (node, &error);
    if (session == NULL)
      g_prefix_error (&error, "get import session: ");
  }
  if (session != NULL) {
    g_task_return_pointer (task, session,
                           (GDestroyNotify) vi_annotation_import_session_unref);
    return;
  }

  policy = _vi_client_get_retry_policy (read->client);
  if (g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE) &&
      _vi_retry_next (&policy, &read->retries, 0, NULL, &delay)) {
    g_debug ("%s: %s; reading it again in %.3f s", read->url, error->message,
             delay);
    g_error_free (error);
    _vi_retry_later (task, delay, session_read_attempt);
    return;
  }
  g_task_return_error (task, error);
}

static void
session_read_attempt (GTask *task)
{
  SessionRead *read = g_task_get_task_data (task);

  _vi_http_send_async (_vi_client_new_request (read->client, "GET", read->url,
                                               NULL, VI_HTTP_TARGET_SESSION,
                                               "get import session"),
                       g_task_get_cancellable (task), session_read_got_cb,
                       g_object_ref (task));
}

/* Reads the session at url (…/annotationImportSessions/{id}). */
void
_vi_import_session_read_async (ViClient           *client,
                               const char         *url,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SessionRead *read = g_new0 (SessionRead, 1);

  g_task_set_source_tag (task, _vi_import_session_read_async);
  read->client = g_object_ref (client);
  read->url = g_strdup (url);
  g_task_set_task_data (task, read, (GDestroyNotify) session_read_free);
  session_read_attempt (task);
}

ViAnnotationImportSession *
_vi_import_session_read_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Whether a failed request may have been carried out, its answer lost or
 * unreadable: the session's state, not the error, says what happened. */
gboolean
_vi_import_answer_may_be_lost (const GError *error)
{
  return error != NULL && error->domain == VI_ERROR &&
      (error->code == VI_ERROR_NETWORK || error->code == VI_ERROR_TIMEOUT ||
       error->code == VI_ERROR_SERVER || error->code == VI_ERROR_RATE_LIMITED ||
       error->code == VI_ERROR_INVALID_RESPONSE ||
       error->code == VI_ERROR_CONFLICT);
}

/* VI_ERROR_IMPORT_STATE_UNKNOWN, with the advice every such error gives. */
GError *
_vi_import_state_unknown_error (const char   *dataset_id,
                                const char   *session_id,
                                const char   *what,
                                const GError *cause)
{
  return g_error_new (
      VI_ERROR, VI_ERROR_IMPORT_STATE_UNKNOWN,
      "import session %s of dataset %s: %s (%s); the import may still "
      "complete: wait for the session (vi_client_wait_until_done()) rather "
      "than uploading again, which could import the annotations twice",
      session_id, dataset_id, what, cause->message);
}

/* ------------------------------------------------------------------------
 * abandon_import_session
 *
 * The other half of exactly-once for a client that lost track of a
 * session (a crash, an outage): before sending the files again in a new
 * session, make sure the old one can never import them.
 * ------------------------------------------------------------------------ */

typedef struct {
  char *url;
  char *session_id;
} AbandonData;

static void
abandon_data_free (AbandonData *data)
{
  g_free (data->url);
  g_free (data->session_id);
  g_free (data);
}

static void
abandon_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ViAnnotationImportSession *session;
  GError                    *error = NULL;

  session = _vi_import_session_read_finish (result, &error);
  if (session == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, session,
                         (GDestroyNotify) vi_annotation_import_session_unref);
}

static void
abandon_patched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AbandonData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session = NULL;
  GError                    *error = NULL;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL)
    session = vi_annotation_import_session_new_from_json (node, &error);
  if (session != NULL) {
    g_task_return_pointer (task, session,
                           (GDestroyNotify) vi_annotation_import_session_unref);
    return;
  }
  if (_vi_import_answer_may_be_lost (error)) {
    /* 409 (the files were marked inserted, or the session had already
     * ended) or an answer that never came: the session says which. */
    g_debug ("import session %s: %s; reading it", data->session_id,
             error->message);
    g_error_free (error);
    _vi_import_session_read_async (VI_CLIENT (g_task_get_source_object (task)),
                                   data->url, g_task_get_cancellable (task),
                                   abandon_read_cb, g_object_ref (task));
    return;
  }
  g_task_return_error (task, error);
}

/**
 * vi_client_abandon_import_session_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gives up an import session whose files may not have been marked
 * inserted.  See vi_client_abandon_import_session().
 */
void
vi_client_abandon_import_session_async (ViClient           *self,
                                        const char         *dataset_id,
                                        const char         *session_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  AbandonData *data;
  GError      *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self, vi_client_abandon_import_session_async,
                                   error, callback, user_data);
    return;
  }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_abandon_import_session_async);
  data = g_new0 (AbandonData, 1);
  data->url = _vi_import_sessions_url (self, dataset_id, session_id);
  data->session_id = g_strdup (session_id);
  g_task_set_task_data (task, data, (GDestroyNotify) abandon_data_free);
  _vi_http_send_async (_vi_import_patch_status_request (
                           self, data->url, VI_CONDITION_STATUS_FAILED_REACH,
                           VI_CONDITION_REASON_CANCELLED_BY_USER),
                       cancellable, abandon_patched_cb, g_object_ref (task));
}

/**
 * vi_client_abandon_import_session_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session as it is afterwards, or %NULL on
 *   error
 */
ViAnnotationImportSession *
vi_client_abandon_import_session_finish (ViClient     *self,
                                         GAsyncResult *result,
                                         GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_abandon_import_session_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_abandon_session (gpointer            data,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GetArgs *a = data;

  vi_client_abandon_import_session_async (a->client, a->dataset_id,
                                          a->session_id, cancellable, callback,
                                          user_data);
}

/**
 * vi_client_abandon_import_session:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Makes sure that an import session imports nothing more than it already
 * does, for a client that lost track of it (a crash or an outage while
 * uploading) and wants to send the same files again in a new session
 * without importing them twice.
 *
 * The session is marked `FilesInserted: FailedReach` with reason
 * `CancelledByUser`, which the service accepts only while the files have
 * not been marked inserted; from then on, no request can insert them.
 * When the service refuses (409: the files were already marked inserted,
 * or the session had already ended) or the answer is lost, the session is
 * read instead.  Either way the session is returned as it is afterwards,
 * and its conditions say what to do: `FilesInserted: Reached` means the
 * files are being (or were) imported — wait for the session, do not send
 * them again; `FilesInserted: FailedReach` means they never will be.  A
 * session still without `FilesInserted` (a lost answer whose request did
 * not arrive) may be abandoned again.
 *
 * Returns: (transfer full): the session as it is afterwards, or %NULL on
 *   error (404 for a session the service does not know)
 */
ViAnnotationImportSession *
vi_client_abandon_import_session (ViClient     *self,
                                  const char   *dataset_id,
                                  const char   *session_id,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  GetArgs a = { self, dataset_id, session_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_abandon_session, &a, cancellable);
  return vi_client_abandon_import_session_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * wait_until_done (docs/protocol.md §7.5)
 *
 * The shared wait of vi-wait.c, reading the session as exactly-once
 * uploads do.
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient            *client;
  char                *dataset_id;
  char                *session_id;
  char                *url;
  ViUploadProgressFunc progress;
  gpointer             progress_data;
  ViUploadProgress     base; /* files and bytes, from an upload */
} WaitData;

static void
wait_data_free (WaitData *data)
{
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_free (data->session_id);
  g_free (data->url);
  g_free (data);
}

static void
wait_read_async (gpointer            data,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  WaitData *wait = data;

  _vi_import_session_read_async (wait->client, wait->url, cancellable, callback,
                                 user_data);
}

static gpointer
wait_read_finish (gpointer data, GAsyncResult *result, GError **error)
{
  WaitData                  *wait = data;
  ViAnnotationImportSession *session;
  GError                    *local_error = NULL;

  session = _vi_import_session_read_finish (result, &local_error);
  if (session != NULL)
    return session;
  if (_vi_import_answer_may_be_lost (local_error)) {
    GError *unknown =
        _vi_import_state_unknown_error (wait->dataset_id, wait->session_id,
                                        "its state could not be read",
                                        local_error);

    g_error_free (local_error);
    local_error = unknown;
  } else if (!_vi_import_is_cancelled_error (local_error)) {
    g_prefix_error (&local_error, "import session %s: ", wait->session_id);
  }
  g_propagate_error (error, local_error);
  return NULL;
}

static ViWaitState
wait_state (gconstpointer resource)
{
  const ViAnnotationImportSession *session = resource;
  GPtrArray                       *conditions;
  guint                            i;

  if (vi_annotation_import_session_is_failed (session))
    return VI_WAIT_FAILED;
  /* Done when every condition is Reached, and there is at least one; the
   * names are not looked at (the SDK's Condition.ALL). */
  conditions = vi_annotation_import_session_status_get_conditions (
      vi_annotation_import_session_get_status (session));
  if (conditions->len == 0)
    return VI_WAIT_PENDING;
  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = conditions->pdata[i];

    if (c->status != VI_CONDITION_STATUS_REACHED)
      return VI_WAIT_PENDING;
  }
  return VI_WAIT_DONE;
}

static char *
wait_describe (gconstpointer resource)
{
  const ViAnnotationImportSession *session = resource;
  g_autofree char                 *chain = NULL;
  const char                      *reason;

  chain = vi_annotation_import_session_describe_conditions (session);
  reason = vi_annotation_import_session_status_get_reason (
      vi_annotation_import_session_get_status (session));
  if (reason != NULL && *reason != '\0')
    return g_strdup_printf ("%s; reason: %s", chain, reason);
  return g_steal_pointer (&chain);
}

static void
wait_progress (gpointer data, gconstpointer resource, gboolean done)
{
  WaitData        *wait = data;
  ViUploadProgress p;

  if (wait->progress == NULL)
    return;
  p = wait->base;
  p.stage = done ? VI_UPLOAD_STAGE_DONE : VI_UPLOAD_STAGE_PROCESSING;
  p.session_id = wait->session_id;
  p.current_file = NULL;
  p.session = (ViAnnotationImportSession *) resource;
  wait->progress (&p, wait->progress_data);
}

static const ViWaitFuncs wait_funcs = {
  wait_read_async,
  wait_read_finish,
  wait_state,
  wait_describe,
  NULL,
  wait_progress,
  (GDestroyNotify) vi_annotation_import_session_unref,
};

/* The wait, for vi_client_wait_until_done_async() and the upload; base
 * (nullable) holds the file and byte counts progress reports carry. */
void
_vi_import_wait_start (ViClient               *client,
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
                       gpointer                user_data)
{
  g_autofree char *what = g_strdup_printf ("import session %s", session_id);
  WaitData        *data;

  data = g_new0 (WaitData, 1);
  data->client = g_object_ref (client);
  data->dataset_id = g_strdup (dataset_id);
  data->session_id = g_strdup (session_id);
  data->url = _vi_import_sessions_url (client, dataset_id, session_id);
  data->progress = progress;
  data->progress_data = progress_data;
  if (base != NULL)
    data->base = *base;
  _vi_wait_async (client, source_tag, &wait_funcs, what, data,
                  (GDestroyNotify) wait_data_free, poll_interval_ms, timeout_ms,
                  cancellable, callback, user_data);
}

/**
 * vi_client_wait_until_done_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @poll_interval_ms: time between two reads, 0 for 1000
 * @timeout_ms: the longest wait, 0 for no limit
 * @progress: (nullable) (scope forever) (closure progress_data): called
 *   after each read of the session
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Waits for an import session to finish.  See
 * vi_client_wait_until_done().  @progress and @progress_data must stay
 * valid until @callback is called.
 */
void
vi_client_wait_until_done_async (ViClient            *self,
                                 const char          *dataset_id,
                                 const char          *session_id,
                                 guint                poll_interval_ms,
                                 guint                timeout_ms,
                                 ViUploadProgressFunc progress,
                                 gpointer             progress_data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GError *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self, vi_client_wait_until_done_async, error,
                                   callback, user_data);
    return;
  }
  _vi_import_wait_start (self, dataset_id, session_id, poll_interval_ms,
                         timeout_ms, progress, progress_data, NULL,
                         vi_client_wait_until_done_async, cancellable, callback,
                         user_data);
}

/**
 * vi_client_wait_until_done_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the finished session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_wait_until_done_finish (ViClient     *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_wait_until_done_async,
                        NULL);
  return _vi_wait_finish (result, error);
}

typedef struct {
  ViClient            *client;
  const char          *dataset_id;
  const char          *session_id;
  guint                poll_interval_ms;
  guint                timeout_ms;
  ViUploadProgressFunc progress;
  gpointer             progress_data;
} WaitArgs;

static void
start_wait (gpointer            data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  WaitArgs *a = data;

  vi_client_wait_until_done_async (a->client, a->dataset_id, a->session_id,
                                   a->poll_interval_ms, a->timeout_ms,
                                   a->progress, a->progress_data, cancellable,
                                   callback, user_data);
}

/**
 * vi_client_wait_until_done:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @poll_interval_ms: time between two reads, 0 for 1000
 * @timeout_ms: the longest wait, 0 for no limit
 * @progress: (nullable) (scope call) (closure progress_data): called after
 *   each read of the session, with %VI_UPLOAD_STAGE_PROCESSING, and once
 *   with %VI_UPLOAD_STAGE_DONE
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for an import session to finish, as the SDK's `wait_until_done()`:
 * reads the session every @poll_interval_ms until it has conditions and
 * all of them are `Reached`.  Each read is retried as any GET, and a body
 * that is malformed or does not decode is read again too, within the same
 * budget (#ViClient:max-retries).  When the session still cannot be read,
 * the wait fails with %VI_ERROR_IMPORT_STATE_UNKNOWN, naming the session:
 * wait for it again later, its import may well complete.
 *
 * Unlike the SDK, the wait can be bounded and cancelled: after
 * @timeout_ms it fails with %VI_ERROR_TIMEOUT, naming the session and its
 * last state; cancelling @cancellable ends it at once with
 * %G_IO_ERROR_CANCELLED, also in the middle of a request or a pause.  A
 * condition in `FailedReach` fails it with %VI_ERROR_IMPORT_FAILED, whose
 * message holds the chain of conditions with their reasons and the
 * session's `status.reason`.
 *
 * Returns: (transfer full): the finished session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_wait_until_done (ViClient            *self,
                           const char          *dataset_id,
                           const char          *session_id,
                           guint                poll_interval_ms,
                           guint                timeout_ms,
                           ViUploadProgressFunc progress,
                           gpointer             progress_data,
                           GCancellable        *cancellable,
                           GError             **error)
{
  WaitArgs a = { self,       dataset_id, session_id,   poll_interval_ms,
                 timeout_ms, progress,   progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_wait, &a, cancellable);
  return vi_client_wait_until_done_finish (self, result, error);
}
