/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "gstviannotworker.h"

struct _GstViAnnotWorker
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  ViClient *client;             /* created, used and released here */

  GMutex lock;
  GCond cond;
  gboolean running;
};

static gboolean
_worker_started_cb (gpointer user_data)
{
  GstViAnnotWorker *worker = user_data;

  g_mutex_lock (&worker->lock);
  worker->running = TRUE;
  g_cond_broadcast (&worker->cond);
  g_mutex_unlock (&worker->lock);

  return G_SOURCE_REMOVE;
}

static gpointer
_worker_thread_func (gpointer user_data)
{
  GstViAnnotWorker *worker = user_data;
  GSource *source;

  g_main_context_push_thread_default (worker->context);

  source = g_idle_source_new ();
  g_source_set_callback (source, _worker_started_cb, worker, NULL);
  g_source_attach (source, worker->context);
  g_source_unref (source);

  g_main_loop_run (worker->loop);

  /* Whatever was queued after the quit (destroy notifies of idle
   * sources) is dispatched here, still on this thread. */
  while (g_main_context_iteration (worker->context, FALSE));

  /* Whoever quit the loop made sure no request is in flight. */
  g_clear_object (&worker->client);
  while (g_main_context_iteration (worker->context, FALSE));

  g_main_context_pop_thread_default (worker->context);

  return NULL;
}

/* Starts the thread and returns once its loop runs. */
GstViAnnotWorker *
gst_vi_annot_worker_new (const gchar * name)
{
  GstViAnnotWorker *worker = g_new0 (GstViAnnotWorker, 1);

  g_mutex_init (&worker->lock);
  g_cond_init (&worker->cond);
  worker->context = g_main_context_new ();
  worker->loop = g_main_loop_new (worker->context, FALSE);
  worker->thread = g_thread_new (name, _worker_thread_func, worker);

  g_mutex_lock (&worker->lock);
  while (!worker->running)
    g_cond_wait (&worker->cond, &worker->lock);
  g_mutex_unlock (&worker->lock);

  return worker;
}

typedef struct
{
  GstViAnnotWorker *worker;
  const GstViAnnotConfig *cfg;
  GError *error;
  gboolean done;
} CreateClient;

static gboolean
_create_client_cb (gpointer user_data)
{
  CreateClient *cc = user_data;
  GstViAnnotWorker *worker = cc->worker;
  ViClient *client;
  GError *error = NULL;

  client = gst_vi_annot_config_new_client (cc->cfg, &error);

  g_mutex_lock (&worker->lock);
  g_clear_object (&worker->client);
  worker->client = client;
  cc->error = error;
  cc->done = TRUE;
  g_cond_broadcast (&worker->cond);
  g_mutex_unlock (&worker->lock);

  return G_SOURCE_REMOVE;
}

/* Creates the worker's client on the worker, from @cfg, and waits for it:
 * only credentials are read (environment, config file), no request is
 * made. */
gboolean
gst_vi_annot_worker_create_client (GstViAnnotWorker * worker,
    const GstViAnnotConfig * cfg, GError ** error)
{
  CreateClient cc = { worker, cfg, NULL, FALSE };

  g_assert (!gst_vi_annot_worker_is_current (worker));

  gst_vi_annot_worker_invoke (worker, _create_client_cb, &cc, NULL);
  g_mutex_lock (&worker->lock);
  while (!cc.done)
    g_cond_wait (&worker->cond, &worker->lock);
  g_mutex_unlock (&worker->lock);

  if (cc.error != NULL) {
    g_propagate_error (error, cc.error);
    return FALSE;
  }
  return TRUE;
}

/* The client, on the worker thread only. */
ViClient *
gst_vi_annot_worker_get_client (GstViAnnotWorker * worker)
{
  return worker->client;
}

GMainContext *
gst_vi_annot_worker_get_context (GstViAnnotWorker * worker)
{
  return worker->context;
}

gboolean
gst_vi_annot_worker_is_current (GstViAnnotWorker * worker)
{
  return worker->thread == g_thread_self ();
}

/* Runs func (data) on the worker thread; notify is called there too. */
void
gst_vi_annot_worker_invoke (GstViAnnotWorker * worker, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

/* Returns a reference to the timeout source, so that the caller can
 * g_source_destroy () it. */
GSource *
gst_vi_annot_worker_add_timeout (GstViAnnotWorker * worker,
    guint interval_ms, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, worker->context);

  return source;
}

void
gst_vi_annot_worker_quit (GstViAnnotWorker * worker)
{
  g_main_loop_quit (worker->loop);
}

/* Joins the thread: the caller has made sure the loop quits (or calls
 * gst_vi_annot_worker_quit () first).  Must not run on the worker. */
void
gst_vi_annot_worker_free (GstViAnnotWorker * worker)
{
  if (worker == NULL)
    return;

  g_assert (!gst_vi_annot_worker_is_current (worker));

  g_thread_join (worker->thread);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->cond);
  g_free (worker);
}
