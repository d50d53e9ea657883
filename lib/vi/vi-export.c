/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Dataset exports (docs/protocol.md §8): create, get, list and wait; the
 * download of the archive is vi-download.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-client.h"
#include "vi-export.h"
#include "vi-error-private.h"
#include "vi-http-private.h"
#include "vi-json-private.h"
#include "vi-model-private.h"
#include "vi-client-private.h"
#include "vi-wait-private.h"
#include "vi-export-private.h"
#include "vi-zip-private.h"

static char *
exports_url (ViClient   *self,
             const char *dataset_id,
             const char *export_id,
             const char *page_token)
{
  GString *url = _vi_client_dataset_url (self, dataset_id);

  g_string_append (url, "/datasetExports");
  if (export_id != NULL) {
    g_autofree char *id = vi_escape_path_segment (export_id);
    g_string_append_printf (url, "/%s", id);
  }
  if (page_token != NULL && *page_token != '\0') {
    g_autofree char *token = _vi_http_escape_query (page_token);
    g_string_append_printf (url, "?pageToken=%s", token);
  }
  return g_string_free (url, FALSE);
}

static gpointer
decode_export (gpointer node, gpointer decode_data, GError **error)
{
  return vi_exported_annotations_new_from_json (node, error);
}

typedef struct {
  ViClient      *client;
  const char    *dataset_id;
  const char    *export_id;
  ViExportFormat format;
  gboolean       normalized;
  guint          poll_interval_ms;
  guint          timeout_ms;
} SyncArgs;

/* ------------------------------------------------------------------------
 * create
 * ------------------------------------------------------------------------ */

/**
 * vi_client_create_export_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @format: %VI_EXPORT_FORMAT_VI_FULL or %VI_EXPORT_FORMAT_VI_JSONL
 * @normalized: whether boxes are written normalized
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Starts an export of a dataset.  See vi_client_create_export().
 */
void
vi_client_create_export_async (ViClient           *self,
                               const char         *dataset_id,
                               ViExportFormat      format,
                               gboolean            normalized,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  ViExportSpec spec = { format, normalized != FALSE, FALSE, 0 };
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;
  GError          *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error)) {
    _vi_client_return_early_error (self, vi_client_create_export_async, error,
                                   callback, user_data);
    return;
  }
  if (vi_export_format_to_string (format) == NULL ||
      format == VI_EXPORT_FORMAT_UNKNOWN) {
    _vi_client_return_early_error (
        self, vi_client_create_export_async,
        g_error_new (VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                     "export format %d is not one the API knows: use ViFull or "
                     "ViJsonl",
                     (int) format),
        callback, user_data);
    return;
  }

  url = exports_url (self, dataset_id, NULL, NULL);
  body = _vi_export_create_body (&spec);
  _vi_client_call_async (self,
                         _vi_client_new_request (self, "POST", url, body,
                                                 VI_HTTP_TARGET_DATASET,
                                                 "create export"),
                         decode_export, NULL, NULL,
                         (GDestroyNotify) vi_exported_annotations_unref,
                         vi_client_create_export_async, cancellable, callback,
                         user_data);
}

/**
 * vi_client_create_export_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the new export, or %NULL on error
 */
ViExportedAnnotations *
vi_client_create_export_finish (ViClient     *self,
                                GAsyncResult *result,
                                GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_create_export_async,
                                 error);
}

static void
start_create (gpointer            data,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_create_export_async (a->client, a->dataset_id, a->format,
                                 a->normalized, cancellable, callback,
                                 user_data);
}

/**
 * vi_client_create_export:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @format: %VI_EXPORT_FORMAT_VI_FULL (assets and annotations) or
 *   %VI_EXPORT_FORMAT_VI_JSONL (annotations only)
 * @normalized: whether boxes are written normalized
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the server for an export of a dataset
 * (`POST …/datasetExports`, with `splitRatio` `null` as the SDK sends
 * it).  The export is produced asynchronously: wait for it with
 * vi_client_wait_export().
 *
 * Returns: (transfer full): the new export, or %NULL on error
 */
ViExportedAnnotations *
vi_client_create_export (ViClient      *self,
                         const char    *dataset_id,
                         ViExportFormat format,
                         gboolean       normalized,
                         GCancellable  *cancellable,
                         GError       **error)
{
  SyncArgs a = { .client = self,
                 .dataset_id = dataset_id,
                 .format = format,
                 .normalized = normalized };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_create, &a, cancellable);
  return vi_client_create_export_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * get
 * ------------------------------------------------------------------------ */

/**
 * vi_client_get_export_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @export_id: the export id (`datasetExportId`)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets an export.  See vi_client_get_export().
 */
void
vi_client_get_export_async (ViClient           *self,
                            const char         *dataset_id,
                            const char         *export_id,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autofree char *url = NULL;
  GError          *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("export id", export_id, &error)) {
    _vi_client_return_early_error (self, vi_client_get_export_async, error,
                                   callback, user_data);
    return;
  }
  url = exports_url (self, dataset_id, export_id, NULL);
  _vi_client_call_async (self,
                         _vi_client_new_request (self, "GET", url, NULL,
                                                 VI_HTTP_TARGET_EXPORT,
                                                 "get export"),
                         decode_export, NULL, NULL,
                         (GDestroyNotify) vi_exported_annotations_unref,
                         vi_client_get_export_async, cancellable, callback,
                         user_data);
}

/**
 * vi_client_get_export_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the export, or %NULL on error
 */
ViExportedAnnotations *
vi_client_get_export_finish (ViClient     *self,
                             GAsyncResult *result,
                             GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_get_export_async,
                                 error);
}

static void
start_get (gpointer            data,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_get_export_async (a->client, a->dataset_id, a->export_id,
                              cancellable, callback, user_data);
}

/**
 * vi_client_get_export:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @export_id: the export id (`datasetExportId`)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gets an export (`GET …/datasetExports/{id}`): its spec, its conditions
 * and, once it is ready, its download URL.
 *
 * Returns: (transfer full): the export, or %NULL on error
 */
ViExportedAnnotations *
vi_client_get_export (ViClient     *self,
                      const char   *dataset_id,
                      const char   *export_id,
                      GCancellable *cancellable,
                      GError      **error)
{
  SyncArgs a = { .client = self,
                 .dataset_id = dataset_id,
                 .export_id = export_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_get, &a, cancellable);
  return vi_client_get_export_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------------ */

typedef struct {
  char      *dataset_id;
  char      *token;
  GPtrArray *items;
  guint      n_pages;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->dataset_id);
  g_free (data->token);
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_free (data);
}

static void list_fetch (GTask *task);

static void
list_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *next = NULL;
  GError          *error = NULL;

  node = _vi_http_send_finish (result, &error);
  if (node == NULL) {
    g_task_return_error (task, error);
    return;
  }
  items = _vi_exported_annotations_list_from_json (node, &next, &error);
  if (items == NULL) {
    g_prefix_error (&error, "list exports: ");
    g_task_return_error (task, error);
    return;
  }
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (data->items,
                     vi_exported_annotations_ref (items->pdata[i]));
  data->n_pages++;

  if (next == NULL || *next == '\0') {
    g_task_return_pointer (task, g_steal_pointer (&data->items),
                           (GDestroyNotify) g_ptr_array_unref);
    return;
  }
  if (data->token != NULL && g_str_equal (next, data->token)) {
    g_task_return_new_error (
        task, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
        "list exports: invalid response: the server returned the page "
        "token it was given as nextPage, which would never end");
    return;
  }
  g_free (data->token);
  data->token = g_steal_pointer (&next);
  list_fetch (g_steal_pointer (&task));
}

/* Takes the task. */
static void
list_fetch (GTask *task)
{
  ListData        *data = g_task_get_task_data (task);
  ViClient        *self = g_task_get_source_object (task);
  g_autofree char *url = exports_url (self, data->dataset_id, NULL,
                                      data->token);

  _vi_http_send_async (_vi_client_new_request (self, "GET", url, NULL,
                                               VI_HTTP_TARGET_DATASET,
                                               "list exports"),
                       g_task_get_cancellable (task), list_page_cb, task);
}

/**
 * vi_client_list_exports_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every page is in
 * @user_data: data for @callback
 *
 * Lists the exports of a dataset.  See vi_client_list_exports().
 */
void
vi_client_list_exports_async (ViClient           *self,
                              const char         *dataset_id,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask    *task;
  ListData *data;
  GError   *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error)) {
    _vi_client_return_early_error (self, vi_client_list_exports_async, error,
                                   callback, user_data);
    return;
  }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_list_exports_async);
  data = g_new0 (ListData, 1);
  data->dataset_id = g_strdup (dataset_id);
  data->items = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_exported_annotations_unref);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);
  list_fetch (task);
}

/**
 * vi_client_list_exports_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ViExportedAnnotations): the
 *   exports, or %NULL on error
 */
GPtrArray *
vi_client_list_exports_finish (ViClient     *self,
                               GAsyncResult *result,
                               GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_list_exports_async,
                                 error);
}

static void
start_list (gpointer            data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_list_exports_async (a->client, a->dataset_id, cancellable, callback,
                                user_data);
}

/**
 * vi_client_list_exports:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists the exports of a dataset (`GET …/datasetExports`, with no query
 * parameters as the SDK sends it), following `nextPage` when the server
 * gives one.
 *
 * Returns: (transfer container) (element-type ViExportedAnnotations): the
 *   exports, or %NULL on error
 */
GPtrArray *
vi_client_list_exports (ViClient     *self,
                        const char   *dataset_id,
                        GCancellable *cancellable,
                        GError      **error)
{
  SyncArgs a = { .client = self, .dataset_id = dataset_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_list, &a, cancellable);
  return vi_client_list_exports_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * wait
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient *client;
  char     *dataset_id;
  char     *export_id;
} WaitData;

static void
wait_data_free (WaitData *data)
{
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_free (data->export_id);
  g_free (data);
}

static void
wait_read_async (gpointer            data,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  WaitData *wait = data;

  vi_client_get_export_async (wait->client, wait->dataset_id, wait->export_id,
                              cancellable, callback, user_data);
}

static gpointer
wait_read_finish (gpointer data, GAsyncResult *result, GError **error)
{
  WaitData *wait = data;

  return vi_client_get_export_finish (wait->client, result, error);
}

static ViWaitState
wait_state (gconstpointer resource)
{
  GPtrArray *conditions = vi_exported_annotations_get_conditions (resource);
  gboolean   all_reached = TRUE;

  for (guint i = 0; conditions != NULL && i < conditions->len; i++) {
    const ViResourceCondition *c = conditions->pdata[i];

    if (c->status == VI_CONDITION_STATUS_FAILED_REACH)
      return VI_WAIT_FAILED;
    if (c->status != VI_CONDITION_STATUS_REACHED)
      all_reached = FALSE;
  }
  if (conditions == NULL || conditions->len == 0 || !all_reached)
    return VI_WAIT_PENDING;
  return VI_WAIT_DONE;
}

/* The chain of conditions, oldest first (the server lists them newest
 * first, docs/protocol.md §7.5). */
static char *
wait_describe (gconstpointer resource)
{
  GPtrArray *conditions = vi_exported_annotations_get_conditions (resource);
  GString   *out = g_string_new (NULL);

  for (guint i = conditions != NULL ? conditions->len : 0; i > 0; i--) {
    const ViResourceCondition *c = conditions->pdata[i - 1];
    const char *status = vi_condition_status_to_string (c->status);

    if (out->len > 0)
      g_string_append (out, " -> ");
    g_string_append_printf (out, "%s: %s", c->condition,
                            status != NULL ? status : "unknown");
    if (c->reason != NULL && *c->reason != '\0')
      g_string_append_printf (out, " (%s)", c->reason);
    if (c->message != NULL && *c->message != '\0')
      g_string_append_printf (out, ": %s", c->message);
  }
  if (out->len == 0)
    g_string_append (out, "no conditions");
  return g_string_free (out, FALSE);
}

/* A ready export must say where to download it. */
static gboolean
wait_check_done (gpointer data, gconstpointer resource, GError **error)
{
  WaitData                               *wait = data;
  const ViExportedAnnotationsDownloadUrl *url =
      vi_exported_annotations_get_download_url (resource);

  if (url == NULL || url->url == NULL || *url->url == '\0') {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "export %s: invalid response: every condition is reached but "
                 "there is no downloadUrl",
                 wait->export_id);
    return FALSE;
  }
  return TRUE;
}

static const ViWaitFuncs wait_funcs = {
  wait_read_async,
  wait_read_finish,
  wait_state,
  wait_describe,
  wait_check_done,
  NULL,
  (GDestroyNotify) vi_exported_annotations_unref,
};

/**
 * vi_client_wait_export_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @export_id: the export id
 * @poll_interval_ms: time between two polls, or 0 for one second
 * @timeout_ms: overall limit, or 0 for none
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the export is ready or failed
 * @user_data: data for @callback
 *
 * Waits for an export.  See vi_client_wait_export().
 */
void
vi_client_wait_export_async (ViClient           *self,
                             const char         *dataset_id,
                             const char         *export_id,
                             guint               poll_interval_ms,
                             guint               timeout_ms,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autofree char *what = NULL;
  WaitData        *data;
  GError          *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("export id", export_id, &error)) {
    _vi_client_return_early_error (self, vi_client_wait_export_async, error,
                                   callback, user_data);
    return;
  }

  what = g_strdup_printf ("export %s", export_id);
  data = g_new0 (WaitData, 1);
  data->client = g_object_ref (self);
  data->dataset_id = g_strdup (dataset_id);
  data->export_id = g_strdup (export_id);
  _vi_wait_async (self, vi_client_wait_export_async, &wait_funcs, what, data,
                  (GDestroyNotify) wait_data_free, poll_interval_ms, timeout_ms,
                  cancellable, callback, user_data);
}

/**
 * vi_client_wait_export_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ready export, or %NULL on error
 */
ViExportedAnnotations *
vi_client_wait_export_finish (ViClient     *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_client_wait_export_async,
                        NULL);
  return _vi_wait_finish (result, error);
}

static void
start_wait (gpointer            data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_wait_export_async (a->client, a->dataset_id, a->export_id,
                               a->poll_interval_ms, a->timeout_ms, cancellable,
                               callback, user_data);
}

/**
 * vi_client_wait_export:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @export_id: the export id
 * @poll_interval_ms: time between two polls, or 0 for one second
 * @timeout_ms: overall limit, or 0 for none
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Polls an export until it is ready, as the SDK's `ResourceWaiter` does:
 * ready when it has conditions and all of them are `Reached`.  Any
 * `FailedReach` ends the wait with %VI_ERROR_IMPORT_FAILED, whose message
 * gives the chain of conditions; a ready export without `downloadUrl` is
 * %VI_ERROR_INVALID_RESPONSE.  After @timeout_ms the wait ends with
 * %VI_ERROR_TIMEOUT, the request in flight being cancelled; cancelling
 * @cancellable ends it at once with %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full): the ready export, with its download URL, or
 *   %NULL on error
 */
ViExportedAnnotations *
vi_client_wait_export (ViClient     *self,
                       const char   *dataset_id,
                       const char   *export_id,
                       guint         poll_interval_ms,
                       guint         timeout_ms,
                       GCancellable *cancellable,
                       GError      **error)
{
  SyncArgs a = { .client = self,
                 .dataset_id = dataset_id,
                 .export_id = export_id,
                 .poll_interval_ms = poll_interval_ms,
                 .timeout_ms = timeout_ms };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_wait, &a, cancellable);
  return vi_client_wait_export_finish (self, result, error);
}
