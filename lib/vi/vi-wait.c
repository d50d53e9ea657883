/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The wait shared by import sessions and exports: see vi-wait-private.h.
 */
#include "config.h"

#include "vi-http-private.h"
#include "vi-wait-private.h"

#define DEFAULT_INTERVAL_MS 1000

typedef struct {
  const ViWaitFuncs *funcs;
  char              *what;
  gpointer           data;
  GDestroyNotify     data_free;
  guint              interval_ms;
  guint              timeout_ms;
  ViOpCancel         op;       /* the caller's cancellable or the deadline */
  gpointer           resource; /* the last one read */
  guint              polls;
} Wait;

static void
wait_free (Wait *wait)
{
  _vi_op_cancel_clear (&wait->op);
  if (wait->resource != NULL)
    wait->funcs->resource_free (wait->resource);
  if (wait->data_free != NULL)
    wait->data_free (wait->data);
  g_free (wait->what);
  g_free (wait);
}

static char *
describe (Wait *wait)
{
  if (wait->resource == NULL)
    return g_strdup ("it was never read");
  return wait->funcs->describe (wait->resource);
}

/* A read or a pause was interrupted, or a read failed. */
static void
wait_return_error (GTask *task, GError *error)
{
  Wait *wait = g_task_get_task_data (task);

  _vi_op_cancel_stop_deadline (&wait->op);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    if (g_cancellable_is_cancelled (wait->op.user_cancellable)) {
      g_error_free (error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "waiting for %s was cancelled", wait->what);
      return;
    }
    if (wait->op.timed_out) {
      g_autofree char *state = describe (wait);

      g_error_free (error);
      g_task_return_new_error (
          task, VI_ERROR, VI_ERROR_TIMEOUT,
          "%s did not finish within %u ms (%u poll%s); last state: %s",
          wait->what, wait->timeout_ms, wait->polls,
          wait->polls == 1 ? "" : "s", state);
      return;
    }
  }
  g_task_return_error (task, error);
}

static void wait_poll (GTask *task);

static void
slept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!_vi_sleep_finish (result, &error)) {
    wait_return_error (task, error);
    return;
  }
  wait_poll (task);
}

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Wait    *wait = g_task_get_task_data (task);
  GError  *error = NULL;
  gpointer resource;

  resource = wait->funcs->read_finish (wait->data, result, &error);
  if (resource == NULL) {
    wait_return_error (task, error);
    return;
  }
  if (wait->resource != NULL)
    wait->funcs->resource_free (wait->resource);
  wait->resource = resource;
  wait->polls++;

  switch (wait->funcs->state (resource)) {
    case VI_WAIT_FAILED: {
      g_autofree char *state = describe (wait);

      _vi_op_cancel_stop_deadline (&wait->op);
      g_task_return_new_error (task, VI_ERROR, VI_ERROR_IMPORT_FAILED,
                               "%s failed: %s", wait->what, state);
      return;
    }
    case VI_WAIT_DONE:
      _vi_op_cancel_stop_deadline (&wait->op);
      if (wait->funcs->check_done != NULL &&
          !wait->funcs->check_done (wait->data, resource, &error)) {
        g_task_return_error (task, error);
        return;
      }
      if (wait->funcs->progress != NULL)
        wait->funcs->progress (wait->data, resource, TRUE);
      g_task_return_pointer (task, g_steal_pointer (&wait->resource),
                             wait->funcs->resource_free);
      return;
    case VI_WAIT_PENDING:
    default:
      if (wait->funcs->progress != NULL)
        wait->funcs->progress (wait->data, resource, FALSE);
      _vi_sleep_async (wait->interval_ms / 1000.0, wait->op.cancellable,
                       slept_cb, g_object_ref (task));
      return;
  }
}

static void
wait_poll (GTask *task)
{
  Wait *wait = g_task_get_task_data (task);

  wait->funcs->read_async (wait->data, wait->op.cancellable, read_cb,
                           g_object_ref (task));
}

void
_vi_wait_async (gpointer            source_object,
                gpointer            source_tag,
                const ViWaitFuncs  *funcs,
                const char         *what,
                gpointer            data,
                GDestroyNotify      data_free,
                guint               interval_ms,
                guint               timeout_ms,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  Wait *wait;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* The outcome says whether the caller cancelled. */
  g_task_set_check_cancellable (task, FALSE);

  wait = g_new0 (Wait, 1);
  wait->funcs = funcs;
  wait->what = g_strdup (what);
  wait->data = data;
  wait->data_free = data_free;
  wait->interval_ms = interval_ms != 0 ? interval_ms : DEFAULT_INTERVAL_MS;
  wait->timeout_ms = timeout_ms;
  g_task_set_task_data (task, wait, (GDestroyNotify) wait_free);
  _vi_op_cancel_init (&wait->op, cancellable, timeout_ms);
  wait_poll (task);
}

gpointer
_vi_wait_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
