/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One HTTP exchange, without retries: a message sent through libvi's
 * session send (TLS handling of vi-http-tls.c, the libsoup 3.2 workarounds
 * below) and its whole body read, within the size limit of every response
 * libvi reads.  Retried API requests are vi-http-request.c; signed uploads
 * and ranged downloads use the exchange directly.
 */
#include "config.h"

#include "vi-http-private.h"
#include "vi-json-private.h"

/* ------------------------------------------------------------------------
 * One exchange: send a message, read its whole body
 *
 * libsoup 3.2 crashes when the cancellable given to soup_session_send_async()
 * is cancelled after the response headers are in but before the callback
 * runs: the GTask then reports the cancellation, soup_session_send_finish()
 * ends the message's I/O, and the body stream the task holds is finalized
 * with it, closing itself against I/O that is gone (a NULL dereference in
 * soup_message_io_skip()).  A cancellation from another thread (an element
 * stopping, an application's cancel button) hits that window now and then.
 * So the task is told not to check the cancellable: the stream comes back,
 * and is then dropped here without reading the rest of it.  Seen with
 * libsoup 3.2.3 (Debian 12); no upstream report found (libsoup's history
 * up to 3.7.1 searched for the symptom), so the workaround stays until a
 * newer libsoup passes /client/cancel-from-another-thread without it.
 *
 * Disposing of an open body stream would read the rest of the body,
 * blocking; _vi_http_body_abandon() closes it with a cancelled cancellable
 * instead, which ends the message's I/O at once (the connection is not
 * reused).
 * ------------------------------------------------------------------------ */

void
_vi_http_body_abandon (GInputStream *stream)
{
  g_autoptr (GCancellable) now = NULL;

  if (stream == NULL)
    return;
  now = g_cancellable_new ();
  g_cancellable_cancel (now);
  g_input_stream_close (stream, now, NULL);
  g_object_unref (stream);
}

void
_vi_http_session_send_async (SoupSession        *session,
                             SoupMessage        *msg,
                             int                 priority,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  _vi_http_tls_watch (session, msg);
  /* libsoup 3.2 re-sends by itself an idempotent request whose reused
   * connection closed before any answer.  When the failure of the first
   * try is reported from an idle (GTask does so when an operation ends in
   * the main-context iteration that started it) and the session's queue
   * source runs the new try first, that late report finishes the new
   * try's I/O, hands the caller an error, and the new try's own report
   * then crashes in run_until_read_done() (a NULL I/O).  Seen with a GET
   * poll dropped by the server on a keep-alive connection, one run in
   * three.  The reports are idles at the message's I/O priority and the
   * queue source is at G_PRIORITY_DEFAULT: one step above it, the late
   * report always comes first and finds the message restarting, as
   * libsoup expects.  Only the exchange up to the response headers runs
   * at that priority; bodies are read at the caller's.  libsoup 3.2.3;
   * no upstream report found.  libsoup 3.7.1 changed run_until_read_done()
   * not to finish a finished item twice (commit 9ba1243a), which may be
   * this bug: /upload/dropped-read tells, once the platform has it. */
  soup_session_send_async (session, msg, priority - 1, cancellable, callback,
                           user_data);
}

gboolean
_vi_http_error_is_final (const GError *error)
{
  /* Below HTTP, GIO and libsoup report in their own domains; what libvi
   * turned into its own is final (a TLS refusal, an oversized body). */
  return error != NULL && error->domain == VI_ERROR;
}

GInputStream *
_vi_http_session_send_finish (SoupSession  *session,
                              GAsyncResult *result,
                              GCancellable *cancellable,
                              GError      **error)
{
  GInputStream *stream;
  GError       *local_error = NULL;

  if (G_IS_TASK (result))
    g_task_set_check_cancellable (G_TASK (result), FALSE);
  stream = soup_session_send_finish (session, result, &local_error);
  if (stream == NULL) {
    GError *final =
        _vi_http_tls_final_error (soup_session_get_async_result_message (session,
                                                                         result),
                                  local_error);

    if (final != NULL) {
      g_error_free (local_error);
      local_error = final;
    }
    g_propagate_error (error, local_error);
    return NULL;
  }
  if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    _vi_http_body_abandon (stream);
    return NULL;
  }
  return stream;
}

/* libsoup's send_and_read grows a GMemoryOutputStream, zeroing and copying
 * as it goes; with the length known the body is read into one buffer of the
 * right size instead, which matters for pages of hundreds of kilobytes. */
#define MAX_BODY_SIZE VI_JSON_MAX_BODY_SIZE

typedef struct {
  SoupSession  *session;
  SoupMessage  *msg;
  ViLocalCancel cancel;
  GInputStream *stream;
  char         *buf;
  gsize         filled;
  gsize         alloc;
} ReadData;

static void
read_data_free (ReadData *data)
{
  _vi_http_body_abandon (g_steal_pointer (&data->stream));
  _vi_local_cancel_clear (&data->cancel);
  g_free (data->buf);
  g_clear_object (&data->msg);
  g_clear_object (&data->session);
  g_free (data);
}

static void
body_finish (GTask *task, GError *error)
{
  ReadData *data = g_task_get_task_data (task);

  if (error != NULL) {
    _vi_http_body_abandon (g_steal_pointer (&data->stream));
    g_task_return_error (task, error);
    return;
  }
  g_input_stream_close (data->stream, NULL, NULL);
  g_clear_object (&data->stream);
  g_task_return_pointer (task,
                         g_bytes_new_take (g_steal_pointer (&data->buf),
                                           data->filled),
                         (GDestroyNotify) g_bytes_unref);
}

static void read_more (GTask *task);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ReadData *data = g_task_get_task_data (task);
  GError   *error = NULL;
  gssize    n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    body_finish (task, error);
    return;
  }
  if (n == 0) {
    body_finish (task, NULL);
    return;
  }
  data->filled += n;
  read_more (task);
}

static void
read_more (GTask *task)
{
  ReadData *data = g_task_get_task_data (task);

  if (data->filled == data->alloc) {
    gsize grown = MAX (data->alloc * 2, 16384);

    if (data->alloc >= MAX_BODY_SIZE) {
      body_finish (task,
                   g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                                "invalid response: body larger than %" G_GSIZE_FORMAT
                                " bytes",
                                MAX_BODY_SIZE));
      return;
    }
    data->alloc = MIN (grown, MAX_BODY_SIZE);
    data->buf = g_realloc (data->buf, data->alloc);
  }
  g_input_stream_read_async (data->stream, data->buf + data->filled,
                             data->alloc - data->filled,
                             g_task_get_priority (task),
                             data->cancel.cancellable, read_cb,
                             g_object_ref (task));
}

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ReadData           *data = g_task_get_task_data (task);
  GError             *error = NULL;
  SoupMessageHeaders *headers;
  goffset             length = -1;

  data->stream = _vi_http_session_send_finish (SOUP_SESSION (source), result,
                                               data->cancel.cancellable,
                                               &error);
  if (data->stream == NULL) {
    g_task_return_error (task, error);
    return;
  }

  headers = soup_message_get_response_headers (data->msg);
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH)
    length = soup_message_headers_get_content_length (headers);

  if (length >= 0 && (guint64) length < MAX_BODY_SIZE) {
    /* One spare byte, so that the read that sees the end of the body
     * needs no growth. */
    data->alloc = length + 1;
    data->buf = g_malloc (data->alloc);
  }
  read_more (task);
}

void
_vi_http_send_and_read_async (SoupSession        *session,
                              SoupMessage        *msg,
                              int                 priority,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask    *task = g_task_new (NULL, cancellable, callback, user_data);
  ReadData *data = g_new0 (ReadData, 1);

  g_task_set_source_tag (task, _vi_http_send_and_read_async);
  g_task_set_priority (task, priority);
  data->session = g_object_ref (session);
  data->msg = g_object_ref (msg);
  _vi_local_cancel_init (&data->cancel, cancellable);
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  _vi_http_session_send_async (session, msg, priority, data->cancel.cancellable,
                               sent_cb, task);
}

GBytes *
_vi_http_send_and_read_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
