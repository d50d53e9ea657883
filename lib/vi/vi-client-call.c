/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One call of the API on a client, for every operation file: the request
 * sent (retried as vi-http-request.c does), then its body decoded by the
 * operation's own function in the caller's context, as a GTask whose
 * source object is the client.
 */
#include "config.h"

#include "vi-client-private.h"

typedef struct {
  ViDecodeFunc   decode;
  gboolean       raw;
  gpointer       decode_data;
  GDestroyNotify decode_data_free;
  GDestroyNotify result_free;
} CallData;

static void
call_data_free (CallData *data)
{
  if (data->decode_data_free != NULL)
    data->decode_data_free (data->decode_data);
  g_free (data);
}

static void
call_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GError  *error = NULL;
  gpointer decoded;

  if (data->raw)
    bytes = _vi_http_send_finish_bytes (result, &error);
  else
    node = _vi_http_send_finish (result, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  decoded = data->decode (data->raw ? (gpointer) bytes : (gpointer) node,
                          data->decode_data, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, decoded, data->result_free);
}

void
_vi_client_call_async (ViClient           *self,
                       ViHttpRequest      *request,
                       ViDecodeFunc        decode,
                       gpointer            decode_data,
                       GDestroyNotify      decode_data_free,
                       GDestroyNotify      result_free,
                       gpointer            source_tag,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GTask    *task;
  CallData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (CallData, 1);
  data->decode = decode;
  data->raw = request->raw_body;
  data->decode_data = decode_data;
  data->decode_data_free = decode_data_free;
  data->result_free = result_free;
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);
  _vi_http_send_async (request, cancellable, call_done_cb, task);
}

gpointer
_vi_client_call_finish (ViClient     *self,
                        GAsyncResult *result,
                        gpointer      source_tag,
                        GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_vi_client_return_early_error (ViClient           *self,
                               gpointer            source_tag,
                               GError             *error,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_error (task, error);
  g_object_unref (task);
}
