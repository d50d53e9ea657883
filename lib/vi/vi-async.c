/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The async plumbing every operation of libvi runs on: cancellation that
 * arrives on the operation's own main context whatever thread cancels,
 * waits that a cancellation ends at once, deadlines of long operations,
 * and the blocking form of every call.
 */
#include "config.h"

#include "vi-async-private.h"

/* ------------------------------------------------------------------------
 * Cancellation arrives on the operation's own thread
 *
 * A GCancellable may be cancelled from any thread, and its "cancelled"
 * handlers run in that thread.  Parts of Debian 12's stack are not safe
 * against that:
 *   - GLib 2.74's GSocketClient drops a connection attempt cancelled from
 *     another thread at the wrong moment without its task ever completing
 *     (the request then hangs).  No upstream report found; GLib 2.79
 *     reworked the cancelled paths of GSocketClient (issue #3266, MR
 *     !3944), not checked against this;
 *   - libsoup 3.2 crashes when a send is cancelled just as its response
 *     comes in (see "One exchange" in vi-http.c; no upstream report
 *     found);
 *   - GLib 2.74's GCancellableSource leaks when it is destroyed while its
 *     cancellable is being cancelled in another thread: GLib issue #3448
 *     (races between disposing the source and the cancellation), fixed in
 *     2.83.4.
 * So what libvi hands to GIO and libsoup, and watches with sources, is a
 * cancellable of its own, which is cancelled from an idle source on the
 * thread-default main context of the operation: the cancellation then
 * happens between two dispatches of that context, as if the operation's
 * own code had done it.
 * ------------------------------------------------------------------------ */

typedef struct {
  GMainContext *context;
  GCancellable *local;
} LocalCancelLink;

static void
local_cancel_link_free (gpointer data)
{
  LocalCancelLink *link = data;

  g_main_context_unref (link->context);
  g_object_unref (link->local);
  g_free (link);
}

static gboolean
local_cancel_idle_cb (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_REMOVE;
}

/* Any thread: only schedules the cancellation. */
static void
local_cancel_linked_cb (GCancellable *user, gpointer data)
{
  LocalCancelLink *link = data;
  GSource         *idle = g_idle_source_new ();

  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, local_cancel_idle_cb, g_object_ref (link->local),
                         g_object_unref);
  g_source_attach (idle, link->context);
  g_source_unref (idle);
}

void
_vi_local_cancel_init (ViLocalCancel *lc, GCancellable *user)
{
  LocalCancelLink *link;

  lc->cancellable = g_cancellable_new ();
  lc->user = NULL;
  lc->handler = 0;
  if (user == NULL)
    return;
  if (g_cancellable_is_cancelled (user)) {
    g_cancellable_cancel (lc->cancellable);
    return;
  }
  link = g_new0 (LocalCancelLink, 1);
  link->context = g_main_context_ref_thread_default ();
  link->local = g_object_ref (lc->cancellable);
  lc->user = g_object_ref (user);
  /* Cancelled meanwhile: the handler runs at once, here. */
  lc->handler = g_cancellable_connect (user,
                                       G_CALLBACK (local_cancel_linked_cb),
                                       link, local_cancel_link_free);
}

void
_vi_local_cancel_clear (ViLocalCancel *lc)
{
  /* Waits for a cancellation running in another thread to be done with
   * our handler. */
  if (lc->handler != 0)
    g_cancellable_disconnect (lc->user, lc->handler);
  lc->handler = 0;
  g_clear_object (&lc->user);
  g_clear_object (&lc->cancellable);
}

/* ------------------------------------------------------------------------
 * A wait that a cancellation ends at once
 * ------------------------------------------------------------------------ */

typedef struct {
  GSource      *timer;
  GSource      *cancel;
  ViLocalCancel local;
} SleepData;

static void
sleep_stop (SleepData *data)
{
  if (data->timer != NULL) {
    g_source_destroy (data->timer);
    g_clear_pointer (&data->timer, g_source_unref);
  }
  if (data->cancel != NULL) {
    g_source_destroy (data->cancel);
    g_clear_pointer (&data->cancel, g_source_unref);
  }
}

static void
sleep_data_free (SleepData *data)
{
  sleep_stop (data);
  _vi_local_cancel_clear (&data->local);
  g_free (data);
}

static gboolean
sleep_timer_cb (gpointer user_data)
{
  GTask *task = user_data;

  sleep_stop (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
sleep_cancel_cb (GCancellable *cancellable, gpointer user_data)
{
  GTask  *task = user_data;
  GError *error = NULL;

  sleep_stop (g_task_get_task_data (task));
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  g_task_return_error (task, error);
  return G_SOURCE_REMOVE;
}

/* Waits on the thread-default main context; cancelling ends the wait at
 * once with G_IO_ERROR_CANCELLED. */
void
_vi_sleep_async (double              seconds,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SleepData    *data = g_new0 (SleepData, 1);
  GMainContext *context = g_task_get_context (task);
  guint         ms = seconds <= 0
              ? 0
              : (guint) MIN (seconds * 1000.0, (double) (G_MAXUINT / 2));

  g_task_set_source_tag (task, _vi_sleep_async);
  g_task_set_task_data (task, data, (GDestroyNotify) sleep_data_free);
  if (g_task_return_error_if_cancelled (task))
    return;

  /* Each source holds a task ref; whichever fires first destroys both. */
  data->timer = g_timeout_source_new (ms);
  g_source_set_callback (data->timer, sleep_timer_cb, g_object_ref (task),
                         g_object_unref);
  g_source_attach (data->timer, context);
  if (cancellable != NULL) {
    _vi_local_cancel_init (&data->local, cancellable);
    data->cancel = g_cancellable_source_new (data->local.cancellable);
    g_source_set_callback (data->cancel,
                           (GSourceFunc) (void (*) (void)) sleep_cancel_cb,
                           g_object_ref (task), g_object_unref);
    g_source_attach (data->cancel, context);
  }
}

gboolean
_vi_sleep_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------
 * Cancellation of a long operation by the caller or a deadline
 * ------------------------------------------------------------------------ */

static gboolean
op_cancel_deadline_cb (gpointer user_data)
{
  ViOpCancel *op = user_data;

  op->timed_out = TRUE;
  g_cancellable_cancel (op->local.cancellable);
  g_clear_pointer (&op->deadline, g_source_unref);
  return G_SOURCE_REMOVE;
}

void
_vi_op_cancel_init (ViOpCancel   *op,
                    GCancellable *user_cancellable,
                    guint         timeout_ms)
{
  memset (op, 0, sizeof *op);
  _vi_local_cancel_init (&op->local, user_cancellable);
  op->cancellable = op->local.cancellable;
  if (user_cancellable != NULL)
    op->user_cancellable = g_object_ref (user_cancellable);
  if (timeout_ms > 0) {
    GMainContext *context = g_main_context_ref_thread_default ();

    op->deadline = g_timeout_source_new (timeout_ms);
    g_source_set_callback (op->deadline, op_cancel_deadline_cb, op, NULL);
    g_source_attach (op->deadline, context);
    g_main_context_unref (context);
  }
}

void
_vi_op_cancel_stop_deadline (ViOpCancel *op)
{
  if (op->deadline != NULL) {
    g_source_destroy (op->deadline);
    g_clear_pointer (&op->deadline, g_source_unref);
  }
}

void
_vi_op_cancel_clear (ViOpCancel *op)
{
  _vi_op_cancel_stop_deadline (op);
  g_clear_object (&op->user_cancellable);
  op->cancellable = NULL;
  _vi_local_cancel_clear (&op->local);
}

/* ------------------------------------------------------------------------
 * Blocking calls
 * ------------------------------------------------------------------------ */

/* One context per thread for blocking calls, kept for the thread's life:
 * libsoup does a message's I/O on the context it was sent from, so reusing
 * the same context lets consecutive blocking calls share keep-alive
 * connections. */
static GPrivate sync_context_key = G_PRIVATE_INIT (
    (GDestroyNotify) g_main_context_unref);

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

GAsyncResult *
_vi_run_sync (ViAsyncStarter start, gpointer data, GCancellable *cancellable)
{
  GMainContext *context = g_private_get (&sync_context_key);
  GAsyncResult *result = NULL;

  if (context == NULL) {
    context = g_main_context_new ();
    g_private_set (&sync_context_key, context);
  }

  g_main_context_push_thread_default (context);
  start (data, cancellable, sync_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  return result;
}
