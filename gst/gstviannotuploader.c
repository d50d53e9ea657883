/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <gio/gio.h>

#include "gstviannotelements.h"
#include "gstviannotimportjob.h"
#include "gstviannotspoolfeed.h"
#include "gstviannotuploader.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* Sessions in flight at a time (uploading or being imported). */
#define MAX_IN_FLIGHT 4

/* With the feed's lock; the feed counts lines spooled and waits. */
typedef struct
{
  guint64 lines_imported;
  guint64 batches_imported;
  guint64 batches_rejected;
  guint64 sessions;
  guint64 resends;
  guint64 annotations_created;
  guint64 annotations_failed;
  guint64 outages;
} UploadStats;

struct _GstViAnnotUploader
{
  GstElement *element;
  GstViAnnotWorker *worker;
  const GstViAnnotConfig *config;       /* the element's, immutable */
  const GstViAnnotErrorContext *ctx;    /* the element's, immutable */
  GstViAnnotSpool *spool;
  GCancellable *cancellable;    /* cancelled in stop only */

  /* the lines coming in; its lock also guards stats */
  GstViAnnotSpoolFeed feed;
  UploadStats stats;

  /* worker only */
  GstViAnnotImportJobs jobs;    /* batches being imported, requests out,
                                 * shutting down */
  gboolean active;              /* may send requests */
  gboolean probed;              /* the dataset answered */
  gboolean probing;
  GQueue ready;                 /* GstViAnnotBatch, sealed, oldest first */
  GstViAnnotOutage outage;
  gboolean retry_due;           /* outage: the next request may go */
  GSource *retry_source;
};

static void pump (GstViAnnotUploader * self);
static gboolean _pump_cb (gpointer user_data);
static gboolean _seal_cb (gpointer user_data);

/* ------------------------------------------------------------------ */
/* messages */

static void
post_element_message (GstViAnnotUploader * self, GstStructure * s)
{
  gst_element_post_message (self->element,
      gst_message_new_element (GST_OBJECT_CAST (self->element), s));
}

static void
post_progress (GstViAnnotUploader * self, GstViAnnotBatch * batch,
    const gchar * stage)
{
  post_element_message (self, gst_structure_new ("vi-upload-progress",
          "stage", G_TYPE_STRING, stage,
          "batch", G_TYPE_STRING, batch->name,
          "session-id", G_TYPE_STRING, batch->session_id,
          "lines", G_TYPE_UINT, batch->lines,
          "pending", G_TYPE_UINT64,
          gst_vi_annot_spool_feed_get_pending (&self->feed), NULL));
}

/* ------------------------------------------------------------------ */
/* worker: outages */

static gboolean
_retry_cb (gpointer user_data)
{
  GstViAnnotUploader *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  self->retry_due = TRUE;
  pump (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (GstViAnnotUploader * self)
{
  guint delay;

  if (self->retry_source != NULL || self->jobs.shutting_down)
    return;
  delay = gst_vi_annot_outage_next_delay (&self->outage);
  GST_DEBUG_OBJECT (self->element, "retrying in %u ms", delay);
  self->retry_source = gst_vi_annot_worker_add_timeout (self->worker, delay,
      _retry_cb, self, NULL);
}

/* The service did not answer, or refused with on-error=retry-forever:
 * uploads wait, one request at a time goes after a growing delay. */
static void
begin_outage (GstViAnnotUploader * self, const GError * error)
{
  self->retry_due = FALSE;
  if (gst_vi_annot_outage_begin (&self->outage)) {
    GST_WARNING_OBJECT (self->element, "outage: %s", error->message);
    g_mutex_lock (&self->feed.lock);
    self->stats.outages++;
    g_mutex_unlock (&self->feed.lock);
    gst_element_post_message (self->element,
        gst_vi_annot_outage_message_new (self->element, error->message,
            error, NULL, self->ctx));
  }
  schedule_retry (self);
}

/* The service answered. */
static void
end_outage (GstViAnnotUploader * self)
{
  gint64 duration;

  if (self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  if (gst_vi_annot_outage_end (&self->outage, &duration)) {
    GST_INFO_OBJECT (self->element, "outage over");
    gst_element_post_message (self->element,
        gst_vi_annot_back_message_new (self->element, duration, "pending",
            gst_vi_annot_spool_feed_get_pending (&self->feed), self->ctx));
    /* What waited may go. */
    gst_vi_annot_worker_invoke (self->worker, _pump_cb, self, NULL);
  }
}

/* ------------------------------------------------------------------ */
/* worker: what becomes of a batch (GstViAnnotImportJobFuncs) */

static void
job_answered (gpointer owner)
{
  end_outage (owner);
}

static void
job_progress (gpointer owner, GstViAnnotImportJob * job, const gchar * stage)
{
  GstViAnnotUploader *self = owner;

  g_mutex_lock (&self->feed.lock);
  if (g_str_equal (stage, "session-created"))
    self->stats.sessions++;
  else if (g_str_equal (stage, "resending"))
    self->stats.resends++;
  g_mutex_unlock (&self->feed.lock);
  post_progress (self, job->batch, stage);
}

/* No answer: the batch goes back to the head of the queue, to be taken
 * up again (from its session, if it has one) when the next request may
 * go. */
static void
job_unanswered (gpointer owner, GstViAnnotImportJob * job, const GError * error)
{
  GstViAnnotUploader *self = owner;

  g_queue_push_head (&self->ready, gst_vi_annot_import_job_end (job));
  begin_outage (self, error);
}

static void
job_record_failed (gpointer owner, const GError * error)
{
  GstViAnnotUploader *self = owner;

  gst_vi_annot_spool_feed_fail (&self->feed, error);
}

/* The batch is imported: it leaves the spool. */
static void
job_complete (gpointer owner, GstViAnnotImportJob * job,
    ViAnnotationImportSession * session)
{
  GstViAnnotUploader *self = owner;
  GstViAnnotBatch *batch = gst_vi_annot_import_job_end (job);
  ViAnnotationImportSessionStatus *status =
      vi_annotation_import_session_get_status (session);
  gint64 created = vi_annotation_import_session_status_get_annotation_count
      (status, "Created");
  gint64 failed = vi_annotation_import_session_status_get_annotation_count
      (status, "Failed");
  GError *error = NULL;
  guint64 pending;

  if (!gst_vi_annot_spool_remove (self->spool, batch, &error)) {
    /* Imported, but still on disk: a restart settles it (Complete, so it
     * is removed without being sent again). */
    gst_vi_annot_spool_feed_fail (&self->feed, error);
    g_error_free (error);
    gst_vi_annot_batch_free (batch);
    return;
  }
  if (failed > 0)
    GST_WARNING_OBJECT (self->element, "session %s of %s: %" G_GINT64_FORMAT
        " annotations failed", batch->session_id, batch->name, failed);

  GST_DEBUG_OBJECT (self->element, "%s imported by session %s: %u lines, %"
      G_GINT64_FORMAT " annotations created", batch->name, batch->session_id,
      batch->lines, created);
  /* Posted before the count drops, so that it is on the bus before an EOS
   * that waited for this batch. */
  pending = gst_vi_annot_spool_feed_get_pending (&self->feed) - batch->lines;
  post_element_message (self, gst_structure_new ("vi-upload-done",
          "batch", G_TYPE_STRING, batch->name,
          "session-id", G_TYPE_STRING, batch->session_id,
          "lines", G_TYPE_UINT, batch->lines,
          "created", G_TYPE_INT64, created,
          "failed", G_TYPE_INT64, failed,
          "pending", G_TYPE_UINT64, pending, NULL));

  g_mutex_lock (&self->feed.lock);
  self->feed.pending -= batch->lines;
  self->stats.lines_imported += batch->lines;
  self->stats.batches_imported++;
  self->stats.annotations_created += MAX (created, 0);
  self->stats.annotations_failed += MAX (failed, 0);
  g_cond_broadcast (&self->feed.cond);
  g_mutex_unlock (&self->feed.lock);
  gst_vi_annot_batch_free (batch);
  pump (self);
}

/* The service refused (401, 403, 404, 400) or rejected the batch, as
 * on-error says: fail keeps the batch and stops; warn sets it aside;
 * retry-forever treats the refusal as an outage. */
static void
job_refused (gpointer owner, GstViAnnotImportJob * job, const GError * error,
    gboolean answer)
{
  GstViAnnotUploader *self = owner;
  GstViAnnotBatch *batch;
  GError *local = NULL;
  gchar *moved = NULL;

  if (answer) {
    self->retry_due = FALSE;
    end_outage (self);
  }
  switch (self->config->on_error) {
    case GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER:
      job_unanswered (self, job, error);
      return;
    case GST_VI_ANNOT_ON_ERROR_WARN:
      batch = gst_vi_annot_import_job_end (job);
      if (!gst_vi_annot_spool_reject (self->spool, batch, &moved, &local)) {
        gst_vi_annot_spool_feed_fail (&self->feed, local);
        g_error_free (local);
        gst_vi_annot_batch_free (batch);
        return;
      }
      gst_vi_annot_post_request_error (self->element, GST_MESSAGE_WARNING,
          error, NULL, self->ctx);
      g_mutex_lock (&self->feed.lock);
      self->feed.pending -= batch->lines;
      self->stats.batches_rejected++;
      g_cond_broadcast (&self->feed.cond);
      g_mutex_unlock (&self->feed.lock);
      post_element_message (self, gst_structure_new ("vi-upload-rejected",
              "batch", G_TYPE_STRING, batch->name,
              "location", G_TYPE_STRING, moved,
              "lines", G_TYPE_UINT, batch->lines,
              "reason", G_TYPE_STRING, error->message, NULL));
      g_free (moved);
      gst_vi_annot_batch_free (batch);
      pump (self);
      return;
    case GST_VI_ANNOT_ON_ERROR_FAIL:
    default:
      /* The batch stays in the spool, for the next run. */
      batch = gst_vi_annot_import_job_end (job);
      gst_vi_annot_batch_free (batch);
      gst_vi_annot_spool_feed_mark_failed (&self->feed);
      gst_vi_annot_post_request_error (self->element, GST_MESSAGE_ERROR,
          error, NULL, self->ctx);
      return;
  }
}

static const GstViAnnotImportJobFuncs job_funcs = {
  job_answered,
  job_progress,
  job_complete,
  job_refused,
  job_unanswered,
  job_record_failed,
};

/* ------------------------------------------------------------------ */
/* worker: the dataset probe, the pump */

static void
_probed_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstViAnnotUploader *self = user_data;
  GPtrArray *exports;
  GError *error = NULL;

  self->jobs.outstanding--;
  self->probing = FALSE;
  exports = vi_client_list_exports_finish (VI_CLIENT (source), result, &error);
  if (self->jobs.shutting_down) {
    /* nothing */
  } else if (exports != NULL) {
    GST_DEBUG_OBJECT (self->element, "dataset %s answered",
        self->config->dataset_id);
    self->probed = TRUE;
    end_outage (self);
    pump (self);
  } else if (gst_vi_annot_error_is_transient (error) ||
      self->config->on_error == GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER) {
    begin_outage (self, error);
  } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    end_outage (self);
    if (self->config->on_error == GST_VI_ANNOT_ON_ERROR_WARN) {
      /* Each batch will say what becomes of it. */
      gst_vi_annot_post_request_error (self->element, GST_MESSAGE_WARNING,
          error, NULL, self->ctx);
      self->probed = TRUE;
      pump (self);
    } else {
      gst_vi_annot_spool_feed_mark_failed (&self->feed);
      gst_vi_annot_post_request_error (self->element, GST_MESSAGE_ERROR,
          error, NULL, self->ctx);
    }
  }
  g_clear_pointer (&exports, g_ptr_array_unref);
  g_clear_error (&error);
  gst_vi_annot_import_jobs_quit_if_idle (&self->jobs);
}

/* Starts what may start: the probe first (is the dataset there, is the
 * key accepted), then sessions, up to MAX_IN_FLIGHT, oldest batch first;
 * during an outage one request when its retry is due. */
static void
pump (GstViAnnotUploader * self)
{
  guint limit = MAX_IN_FLIGHT;

  if (!self->active || self->jobs.shutting_down
      || gst_vi_annot_spool_feed_is_failed (&self->feed))
    return;
  if (self->outage.active) {
    if (!self->retry_due)
      return;
    limit = g_list_length (self->jobs.list) + 1;
  }
  if (!self->probed) {
    if (!self->probing) {
      self->probing = TRUE;
      self->retry_due = FALSE;
      self->jobs.outstanding++;
      vi_client_list_exports_async (gst_vi_annot_worker_get_client
          (self->worker), self->config->dataset_id, self->cancellable,
          _probed_cb, self);
    }
    return;
  }
  while (!g_queue_is_empty (&self->ready) &&
      g_list_length (self->jobs.list) < MIN (limit, MAX_IN_FLIGHT)) {
    self->retry_due = FALSE;
    gst_vi_annot_import_job_start (&self->jobs,
        g_queue_pop_head (&self->ready));
  }
}

static gboolean
_pump_cb (gpointer user_data)
{
  pump (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
_activate_cb (gpointer user_data)
{
  GstViAnnotUploader *self = user_data;

  self->active = TRUE;
  pump (self);
  return G_SOURCE_REMOVE;
}

/* Seals the batches the streaming thread filled and queues them. */
static gboolean
_seal_cb (gpointer user_data)
{
  GstViAnnotUploader *self = user_data;
  GstViAnnotBatch *batch;
  GError *error = NULL;

  while ((batch = gst_vi_annot_spool_feed_pop_filled (&self->feed))) {
    if (!gst_vi_annot_spool_seal (self->spool, batch, &error)) {
      gst_vi_annot_spool_feed_fail (&self->feed, error);
      g_clear_error (&error);
      gst_vi_annot_batch_free (batch);
      continue;
    }
    if (batch->lines == 0) {
      gst_vi_annot_batch_free (batch);
      continue;
    }
    GST_DEBUG_OBJECT (self->element, "sealed %s: %u lines", batch->name,
        batch->lines);
    g_queue_push_tail (&self->ready, batch);
  }
  pump (self);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* streaming thread: the feed's */

GstFlowReturn
gst_vi_annot_uploader_reserve (GstViAnnotUploader * self, guint lines,
    gboolean may_wait)
{
  return gst_vi_annot_spool_feed_reserve (&self->feed, lines, may_wait);
}

GstFlowReturn
gst_vi_annot_uploader_write (GstViAnnotUploader * self, const gchar * data,
    gsize len, guint lines)
{
  return gst_vi_annot_spool_feed_write (&self->feed, data, len, lines);
}

void
gst_vi_annot_uploader_set_flushing (GstViAnnotUploader * self,
    gboolean flushing)
{
  gst_vi_annot_spool_feed_set_flushing (&self->feed, flushing);
}

gboolean
gst_vi_annot_uploader_drain (GstViAnnotUploader * self, gboolean wait)
{
  return gst_vi_annot_spool_feed_drain (&self->feed, wait);
}

GstStructure *
gst_vi_annot_uploader_get_stats (GstViAnnotUploader * self)
{
  UploadStats stats;
  guint64 pending, spooled, blocked;

  g_mutex_lock (&self->feed.lock);
  stats = self->stats;
  pending = self->feed.pending;
  spooled = self->feed.lines_spooled;
  blocked = self->feed.n_blocked;
  g_mutex_unlock (&self->feed.lock);

  return gst_structure_new ("vi-upload-stats",
      "lines-spooled", G_TYPE_UINT64, spooled,
      "lines-imported", G_TYPE_UINT64, stats.lines_imported,
      "pending", G_TYPE_UINT64, pending,
      "batches-imported", G_TYPE_UINT64, stats.batches_imported,
      "batches-rejected", G_TYPE_UINT64, stats.batches_rejected,
      "sessions", G_TYPE_UINT64, stats.sessions,
      "resends", G_TYPE_UINT64, stats.resends,
      "annotations-created", G_TYPE_UINT64, stats.annotations_created,
      "annotations-failed", G_TYPE_UINT64, stats.annotations_failed,
      "blocked", G_TYPE_UINT64, blocked,
      "outages", G_TYPE_UINT64, stats.outages, NULL);
}

/* ------------------------------------------------------------------ */
/* life cycle */

static gboolean
_shutdown_cb (gpointer user_data)
{
  GstViAnnotUploader *self = user_data;

  /* What was filled is sealed: it is safe for the next run. */
  self->jobs.shutting_down = TRUE;
  _seal_cb (self);
  if (self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  gst_vi_annot_import_jobs_shutdown (&self->jobs);
  return G_SOURCE_REMOVE;
}

/* From the element's stop(): the batch being filled is sealed, requests
 * are cancelled, and the worker's loop quits once their callbacks ran;
 * the caller then frees the worker (joining it) and the uploader.  What
 * is not imported stays in the spool for the next run. */
void
gst_vi_annot_uploader_stop (GstViAnnotUploader * self)
{
  gst_vi_annot_spool_feed_stop (&self->feed);
  g_cancellable_cancel (self->cancellable);
  gst_vi_annot_worker_invoke (self->worker, _shutdown_cb, self, NULL);
}

/* After the worker has been freed. */
void
gst_vi_annot_uploader_free (GstViAnnotUploader * self)
{
  if (self == NULL)
    return;
  g_assert (self->jobs.list == NULL);
  g_queue_clear_full (&self->ready, (GDestroyNotify) gst_vi_annot_batch_free);
  gst_vi_annot_spool_feed_clear (&self->feed);
  gst_vi_annot_spool_close (self->spool);
  g_object_unref (self->cancellable);
  g_free (self);
}

/* Takes @spool; @config and @ctx belong to the element and outlive the
 * uploader; the worker's client must exist.  Nothing is sent before
 * gst_vi_annot_uploader_activate(); then the batches the spool holds from
 * an earlier run are settled first, oldest first, once the dataset
 * answered. */
static GstViAnnotUploader *
gst_vi_annot_uploader_new (GstElement * element, GstViAnnotWorker * worker,
    const GstViAnnotConfig * config, const GstViAnnotErrorContext * ctx,
    GstViAnnotSpool * spool, const GstViAnnotUploadLimits * limits)
{
  GstViAnnotUploader *self = g_new0 (GstViAnnotUploader, 1);
  GPtrArray *found;
  guint i;

  self->element = element;
  self->worker = worker;
  self->config = config;
  self->ctx = ctx;
  self->spool = spool;
  self->cancellable = g_cancellable_new ();
  gst_vi_annot_spool_feed_init (&self->feed, element, worker, spool, limits,
      _seal_cb, self);
  gst_vi_annot_import_jobs_init (&self->jobs, element, worker,
      config->dataset_id, spool, self->cancellable,
      config->on_error == GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER, &job_funcs,
      self);
  g_queue_init (&self->ready);
  gst_vi_annot_outage_init (&self->outage);

  found = gst_vi_annot_spool_take_batches (spool);
  g_ptr_array_set_free_func (found, NULL);
  for (i = 0; i < found->len; i++) {
    GstViAnnotBatch *batch = g_ptr_array_index (found, i);

    self->feed.pending += batch->lines;
    g_queue_push_tail (&self->ready, batch);
  }
  g_ptr_array_unref (found);

  return self;
}

/* The upload side of an element that starts: a worker and its client (no
 * request yet; *@worker and *@service, the description of the service in
 * messages, are the caller's to free at stop), the spool of the target
 * (@spool_dir, or the default one of gst_vi_annot_spool_open_for_target()),
 * and the uploader, which asks the dataset first and then settles what the
 * spool holds.  NULL with the error posted on @element. */
GstViAnnotUploader *
gst_vi_annot_uploader_start (GstElement * element,
    const GstViAnnotConfig * config, GstViAnnotErrorContext * ctx,
    const gchar * spool_dir, const GstViAnnotUploadLimits * limits,
    GstViAnnotWorker ** worker, gchar ** service)
{
  GstViAnnotSpool *spool;
  ViClient *client;
  GError *error = NULL;

  *worker = gst_vi_annot_worker_new ("viannotsink");
  if (!gst_vi_annot_worker_create_client (*worker, config, &error)) {
    gst_vi_annot_post_client_error (element, config, error);
    goto fail;
  }
  client = gst_vi_annot_worker_get_client (*worker);
  *service = gst_vi_annot_config_describe (config, client);
  ctx->service = *service;

  spool = gst_vi_annot_spool_open_for_target (spool_dir,
      vi_client_get_endpoint (client), vi_client_get_organization_id (client),
      config->dataset_id, &error);
  if (spool == NULL) {
    gst_vi_annot_post_gerror (element, GST_MESSAGE_ERROR, error,
        "spool-dir is where viannotsink keeps what is not imported yet");
    goto fail;
  }
  GST_DEBUG_OBJECT (element, "uploading to %s through spool %s", *service,
      gst_vi_annot_spool_get_dir (spool));
  return gst_vi_annot_uploader_new (element, *worker, config, ctx, spool,
      limits);

fail:
  g_clear_error (&error);
  gst_vi_annot_worker_quit (*worker);
  g_clear_pointer (worker, gst_vi_annot_worker_free);
  return NULL;
}

/* The first request (the dataset, then what the spool holds) goes once
 * the element plays, not in start(): an error posted while the
 * application is still inside its first gst_element_set_state() call is
 * lost by some (gst-launch-1.0 quits a main loop it has not entered yet,
 * and then waits forever).  Calling it again does nothing. */
void
gst_vi_annot_uploader_activate (GstViAnnotUploader * self)
{
  gst_vi_annot_worker_invoke (self->worker, _activate_cb, self, NULL);
}
