/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Step 4 of an upload, exactly once: the session's files marked inserted
 * (PATCH FilesInserted: Reached, docs/protocol.md §7.4).  When the answer
 * is lost (cut short, dropped, garbled, or a retry told that the files
 * are already marked), the session is read to learn whether the PATCH was
 * carried out; when it was not, the upload sends it again
 * (vi-upload.c), for it is idempotent.
 */
#include "config.h"

#include "vi-import-private.h"

/* Reading the session after a lost answer is tried this many times in an
 * upload; each read that finds the files not marked sends the PATCH
 * again. */
#define MAX_RECONCILES 2

typedef struct {
  ViClient *client;
  char     *dataset_id;
  char     *session_id;
  char     *session_url;
  guint    *reconciles; /* the upload's */
  GError   *lost;       /* the PATCH whose answer is lost */
  gboolean  marked;
} MarkData;

static void
mark_data_free (MarkData *data)
{
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_free (data->session_id);
  g_free (data->session_url);
  g_clear_error (&data->lost);
  g_free (data);
}

/* Whether the session shows the PATCH as carried out: FilesInserted is
 * there, Reached or FailedReach (the session may also have failed). */
static gboolean
files_inserted_marked (ViAnnotationImportSession *session)
{
  GPtrArray *conditions = vi_annotation_import_session_status_get_conditions (
      vi_annotation_import_session_get_status (session));

  for (guint i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = conditions->pdata[i];

    if (g_strcmp0 (c->condition, "FilesInserted") == 0 &&
        c->status != VI_CONDITION_STATUS_WAITING)
      return TRUE;
  }
  return vi_annotation_import_session_is_failed (session);
}

static void
mark_reconciled_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  MarkData *data = g_task_get_task_data (task);
  g_autoptr (GError) lost = g_steal_pointer (&data->lost);
  ViAnnotationImportSession *session;
  GError                    *error = NULL;

  session = _vi_import_session_read_finish (result, &error);
  if (session == NULL) {
    if (!_vi_import_is_cancelled_error (error)) {
      g_autofree char *what =
          g_strdup_printf ("every file was sent, but "
                           "the answer to marking them inserted was lost (%s) and the "
                           "session could not be read",
                           lost->message);
      GError *unknown = _vi_import_state_unknown_error (data->dataset_id,
                                                        data->session_id, what,
                                                        error);

      g_error_free (error);
      error = unknown;
    }
    g_task_return_error (task, error);
    return;
  }

  data->marked = files_inserted_marked (session);
  if (data->marked)
    g_debug ("import session %s: the files were marked inserted (%s)",
             data->session_id, lost->message);
  else
    g_debug ("import session %s: the files are not marked inserted (%s); "
             "marking them again",
             data->session_id, lost->message);
  g_task_return_pointer (task, session,
                         (GDestroyNotify) vi_annotation_import_session_unref);
}

static void
mark_patched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  MarkData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session = NULL;
  GError                    *error = NULL;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL)
    session = vi_annotation_import_session_new_from_json (node, &error);
  if (error != NULL && _vi_import_answer_may_be_lost (error)) {
    /* Truncated, dropped, garbled, or a retry told that the files are
     * already marked (409): the session says whether the PATCH was
     * carried out. */
    if (*data->reconciles < MAX_RECONCILES) {
      (*data->reconciles)++;
      g_clear_error (&data->lost);
      data->lost = error;
      _vi_import_session_read_async (data->client, data->session_url,
                                     g_task_get_cancellable (task),
                                     mark_reconciled_cb, g_object_ref (task));
      return;
    }
    {
      GError *unknown = _vi_import_state_unknown_error (
          data->dataset_id, data->session_id,
          "every file was sent, but marking them "
          "inserted kept failing without a usable answer",
          error);

      g_error_free (error);
      error = unknown;
    }
  } else if (error != NULL && !_vi_import_is_cancelled_error (error)) {
    g_prefix_error (&error,
                    "import session %s: every file was sent, but "
                    "marking them inserted failed: ",
                    data->session_id);
  }
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  data->marked = TRUE;
  g_task_return_pointer (task, session,
                         (GDestroyNotify) vi_annotation_import_session_unref);
}

void
_vi_upload_mark_inserted_async (ViClient           *client,
                                const char         *dataset_id,
                                const char         *session_id,
                                const char         *session_url,
                                guint              *reconciles,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  MarkData *data = g_new0 (MarkData, 1);

  g_task_set_source_tag (task, _vi_upload_mark_inserted_async);
  /* A PATCH carried out despite a cancellation still counts: what
   * happened is told by the answer, as for the rest of the upload. */
  g_task_set_check_cancellable (task, FALSE);
  data->client = g_object_ref (client);
  data->dataset_id = g_strdup (dataset_id);
  data->session_id = g_strdup (session_id);
  data->session_url = g_strdup (session_url);
  data->reconciles = reconciles;
  g_task_set_task_data (task, data, (GDestroyNotify) mark_data_free);
  _vi_http_send_async (_vi_import_patch_status_request (client, session_url,
                                                        VI_CONDITION_STATUS_REACHED,
                                                        VI_CONDITION_REASON_NONE),
                       cancellable, mark_patched_cb, g_object_ref (task));
}

ViAnnotationImportSession *
_vi_upload_mark_inserted_finish (GAsyncResult *result,
                                 gboolean     *marked,
                                 GError      **error)
{
  MarkData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  data = g_task_get_task_data (G_TASK (result));
  *marked = data->marked;
  return g_task_propagate_pointer (G_TASK (result), error);
}
