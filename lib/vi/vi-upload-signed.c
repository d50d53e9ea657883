/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One file sent to its signed upload URL (step 3 of an upload,
 * docs/protocol.md §7.3): exactly the method and headers the server gave
 * and no API credentials, the file streamed from disk with a
 * Content-Length, retried as API calls are (vi-http-retry.c) with the
 * file opened again for each attempt.  The bytes sent are reported as
 * they go.
 */
#include "config.h"

#include "vi-import-private.h"
#include "vi-text-private.h"
#include "vi-file-stream-private.h"

typedef struct {
  ViClient             *client;
  const ViSignedUpload *upload; /* borrowed, as file */
  const ViLocalFile    *file;
  ViUploadSentFunc      sent;
  gpointer              sent_data;

  SoupMessage  *msg;
  GInputStream *body;
  guint64       bytes_sent; /* this attempt */
  guint         attempts;
  ViRetryState  retries;
} SendData;

static void
send_stop_message (SendData *data)
{
  if (data->msg != NULL) {
    g_signal_handlers_disconnect_matched (data->msg, G_SIGNAL_MATCH_DATA, 0, 0,
                                          NULL, NULL, data);
    g_clear_object (&data->msg);
  }
  if (data->body != NULL) {
    g_input_stream_close (data->body, NULL, NULL);
    g_clear_object (&data->body);
  }
}

static void
send_data_free (SendData *data)
{
  send_stop_message (data);
  g_clear_object (&data->client);
  g_free (data);
}

static void
send_set_bytes_sent (SendData *data, guint64 bytes_sent)
{
  data->bytes_sent = bytes_sent;
  data->sent (bytes_sent, data->sent_data);
}

static void send_attempt (GTask *task);

static void
wrote_body_data_cb (SoupMessage *msg, guint chunk_size, gpointer user_data)
{
  SendData *data = user_data;

  send_set_bytes_sent (data, data->bytes_sent + chunk_size);
}

static void
restarted_cb (SoupMessage *msg, gpointer user_data)
{
  SendData *data = user_data;

  g_debug ("upload of %s: restarted by libsoup", data->file->path);
  if (data->body != NULL && G_IS_SEEKABLE (data->body) &&
      g_seekable_can_seek (G_SEEKABLE (data->body)))
    g_seekable_seek (G_SEEKABLE (data->body), 0, G_SEEK_SET, NULL, NULL);
  send_set_bytes_sent (data, 0);
}

static void
send_retry (GTask *task, double seconds)
{
  SendData *data = g_task_get_task_data (task);

  g_debug ("upload of %s: attempt %u failed, retrying in %.3f s",
           data->file->path, data->attempts, seconds);
  _vi_retry_later (task, seconds, send_attempt);
}

static void
send_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData     *data = g_task_get_task_data (task);
  ViRetryPolicy policy = _vi_client_get_retry_policy (data->client);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  GError *error = NULL;
  guint   status;
  double  delay;

  body = _vi_http_send_and_read_finish (result, &error);
  msg = g_object_ref (data->msg);
  send_stop_message (data);

  if (body == NULL) {
    if (_vi_import_is_cancelled_error (error)) {
      g_task_return_error (task, error);
      return;
    }
    if (_vi_http_error_is_final (error)) {
      g_prefix_error (&error, "sending %s: ", data->file->path);
      g_task_return_error (task, error);
      return;
    }
    if (_vi_retry_next (&policy, &data->retries, 0, NULL, &delay)) {
      g_error_free (error);
      send_retry (task, delay);
      return;
    }
    {
      GError *out = g_error_new (VI_ERROR, VI_ERROR_NETWORK,
                                 "sending %s failed after %u attempt%s: %s",
                                 data->file->path, data->attempts,
                                 data->attempts == 1 ? "" : "s",
                                 error->message);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        out->code = VI_ERROR_TIMEOUT;
      g_error_free (error);
      g_task_return_error (task, out);
    }
    return;
  }

  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_task_return_boolean (task, TRUE);
    return;
  }

  if (_vi_retry_next (&policy, &data->retries, status,
                      soup_message_get_response_headers (msg), &delay)) {
    send_retry (task, delay);
    return;
  }
  {
    g_autofree char *what = g_strdup_printf ("sending %s", data->file->path);
    const char      *trace =
        soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                      "x-cloud-trace-context");

    _vi_http_set_status_error (&error, what, VI_HTTP_TARGET_SIGNED_URL, status,
                               body, trace);
    if (data->attempts > 1)
      g_prefix_error (&error, "after %u attempts: ", data->attempts);
    g_task_return_error (task, error);
  }
}

/* One attempt: the file is opened again, so a retry sends it from the
 * start. */
static void
send_attempt (GTask *task)
{
  SendData             *data = g_task_get_task_data (task);
  const ViSignedUpload *upload = data->upload;
  const ViLocalFile    *file = data->file;
  g_autoptr (GFile) gfile = NULL;
  g_autoptr (GFileInfo) info = NULL;
  SoupMessageHeaders *headers;
  GHashTableIter      iter;
  gpointer            key, value;
  GError             *error = NULL;
  goffset             size;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task),
                                            &error)) {
    g_task_return_error (task, error);
    return;
  }

  send_set_bytes_sent (data, 0);
  gfile = g_file_new_for_path (file->path);
  info = g_file_query_info (gfile, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info == NULL) {
    g_prefix_error (&error, "cannot read %s: ", file->path);
    g_task_return_error (task, error);
    return;
  }
  /* Read on this thread: see vi-file-stream-private.h. */
  data->body = _vi_file_stream_new (file->path, &error);
  if (data->body == NULL) {
    g_prefix_error (&error, "cannot read %s: ", file->path);
    g_task_return_error (task, error);
    return;
  }
  size = g_file_info_get_size (info);
  if (size < 0 || (guint64) size != file->size) {
    g_task_return_error (
        task,
        g_error_new (VI_ERROR, VI_ERROR_INVALID_DATA,
                     "%s changed while it was being uploaded (%" G_GUINT64_FORMAT
                     " bytes when registered, %" G_GINT64_FORMAT " now)",
                     file->path, file->size, (gint64) size));
    return;
  }

  data->msg = soup_message_new (upload->method, upload->url);
  if (data->msg == NULL) {
    g_autofree char *shown = _vi_text_excerpt (upload->url, -1, 200,
                                               VI_TEXT_ESCAPE);

    g_task_return_error (
        task,
        g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                     "invalid response: the upload URL for %s is not a valid URL "
                     "(%s %s)",
                     file->name, upload->method, shown));
    return;
  }
  /* Exactly the method and headers the server gave, and no API
   * credentials; redirects are failures, as for the SDK. */
  /* A new connection each time: libsoup re-sends a PUT by itself when a
   * reused keep-alive connection turns out to be closed, with the body
   * stream where the first try left it, which sends a truncated body.
   * Our own retries open the file again instead.  Should libsoup restart
   * it anyway, the stream is rewound. */
  soup_message_add_flags (data->msg,
                          SOUP_MESSAGE_NO_REDIRECT |
                              SOUP_MESSAGE_NEW_CONNECTION);
  g_signal_connect (data->msg, "restarted", G_CALLBACK (restarted_cb), data);
  headers = soup_message_get_request_headers (data->msg);
  if (upload->headers != NULL) {
    g_hash_table_iter_init (&iter, upload->headers);
    while (g_hash_table_iter_next (&iter, &key, &value))
      soup_message_headers_replace (headers, key, value);
  }
  soup_message_set_request_body (data->msg, NULL, data->body, size);
  g_signal_connect (data->msg, "wrote-body-data",
                    G_CALLBACK (wrote_body_data_cb), data);

  data->attempts++;
  _vi_http_send_and_read_async (_vi_client_get_session (data->client),
                                data->msg, G_PRIORITY_DEFAULT,
                                g_task_get_cancellable (task), send_done_cb,
                                g_object_ref (task));
}

void
_vi_signed_upload_send_async (ViClient             *client,
                              const ViSignedUpload *upload,
                              const ViLocalFile    *file,
                              ViUploadSentFunc      sent,
                              gpointer              sent_data,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, _vi_signed_upload_send_async);
  /* What failed, cancellation included, is told by the error each step
   * returns, as for the rest of the upload. */
  g_task_set_check_cancellable (task, FALSE);
  data->client = g_object_ref (client);
  data->upload = upload;
  data->file = file;
  data->sent = sent;
  data->sent_data = sent_data;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);
  send_attempt (task);
}

gboolean
_vi_signed_upload_send_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
