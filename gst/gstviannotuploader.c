/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <gio/gio.h>

#include "gstviannotelements.h"
#include "gstviannotspoolfeed.h"
#include "gstviannotuploader.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* Sessions in flight at a time (uploading or being imported). */
#define MAX_IN_FLIGHT 4
/* A session being imported is read again after this, doubling up to the
 * maximum: short batches finish in a few polls, long ones cost little. */
#define FIRST_POLL_MS 20
#define MAX_POLL_MS 1000

/* What a session's conditions say about its batch. */
typedef enum
{
  SESSION_OPEN,                 /* no FilesInserted: could still be inserted */
  SESSION_GIVEN_UP,             /* FilesInserted FailedReach: never will be */
  SESSION_INSERTED,             /* being imported */
  SESSION_COMPLETE,
  SESSION_FAILED,               /* inserted, and the import failed */
} SessionState;

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

typedef struct _Job Job;

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
  gboolean active;              /* may send requests */
  gboolean shutting_down;
  gboolean probed;              /* the dataset answered */
  gboolean probing;
  GQueue ready;                 /* GstViAnnotBatch, sealed, oldest first */
  GList *jobs;                  /* Job */
  guint outstanding;            /* requests whose callback has not run */
  GstViAnnotOutage outage;
  gboolean retry_due;           /* outage: the next request may go */
  GSource *retry_source;
};

struct _Job
{
  GstViAnnotUploader *self;
  GstViAnnotBatch *batch;
  GSource *poll_source;
  guint poll_ms;
  gboolean recorded;            /* this attempt's session is recorded */
  GError *upload_error;         /* why this attempt's upload failed */
};

static void pump (GstViAnnotUploader * self);
static void job_start (Job * job);
static void job_settle (Job * job);
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

  if (self->retry_source != NULL || self->shutting_down)
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
/* worker: jobs */

static Job *
job_new (GstViAnnotUploader * self, GstViAnnotBatch * batch)
{
  Job *job = g_new0 (Job, 1);

  job->self = self;
  job->batch = batch;
  job->poll_ms = FIRST_POLL_MS;
  self->jobs = g_list_prepend (self->jobs, job);
  return job;
}

/* Ends a job; its batch, if still there, is the caller's. */
static void
job_free (Job * job)
{
  GstViAnnotUploader *self = job->self;

  if (job->poll_source != NULL) {
    g_source_destroy (job->poll_source);
    g_source_unref (job->poll_source);
  }
  g_clear_error (&job->upload_error);
  self->jobs = g_list_remove (self->jobs, job);
  g_free (job);
}

/* The batch goes back to the head of the queue, to be taken up again
 * (from its session, if it has one) when the next request may go. */
static void
job_requeue (Job * job)
{
  GstViAnnotUploader *self = job->self;

  g_queue_push_head (&self->ready, job->batch);
  job_free (job);
}

static void
job_transient (Job * job, const GError * error)
{
  GstViAnnotUploader *self = job->self;

  job_requeue (job);
  begin_outage (self, error);
}

/* The batch is imported: it leaves the spool. */
static void
job_complete (Job * job, ViAnnotationImportSession * session)
{
  GstViAnnotUploader *self = job->self;
  GstViAnnotBatch *batch = job->batch;
  ViAnnotationImportSessionStatus *status =
      vi_annotation_import_session_get_status (session);
  gint64 created = vi_annotation_import_session_status_get_annotation_count
      (status, "Created");
  gint64 failed = vi_annotation_import_session_status_get_annotation_count
      (status, "Failed");
  GError *error = NULL;
  guint64 pending;

  job_free (job);
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
job_refused (Job * job, const GError * error)
{
  GstViAnnotUploader *self = job->self;
  GstViAnnotBatch *batch = job->batch;
  GError *local = NULL;
  gchar *moved = NULL;

  switch (self->config->on_error) {
    case GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER:
      job_transient (job, error);
      return;
    case GST_VI_ANNOT_ON_ERROR_WARN:
      job_free (job);
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
      job_free (job);
      gst_vi_annot_batch_free (batch);
      gst_vi_annot_spool_feed_mark_failed (&self->feed);
      gst_vi_annot_post_request_error (self->element, GST_MESSAGE_ERROR,
          error, NULL, self->ctx);
      return;
  }
}

/* Whether the service said no (a 4xx, a malformed answer) rather than
 * did not answer: libvi reports a failed upload as IMPORT_FAILED with the
 * cause's HTTP status, and a lost answer after the files were sent as
 * IMPORT_STATE_UNKNOWN, which the session settles. */
static gboolean
is_refusal (const GError * error)
{
  guint status;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, VI_ERROR, VI_ERROR_IMPORT_STATE_UNKNOWN))
    return FALSE;
  if (g_error_matches (error, VI_ERROR, VI_ERROR_IMPORT_FAILED)) {
    status = vi_error_get_http_status (error);
    return status >= 400 && status < 500 && status != 408 && status != 429;
  }
  return !gst_vi_annot_error_is_transient (error);
}

/* Any error of a request: cancelled (stopping), no answer (an outage),
 * or a refusal. */
static void
job_failed (Job * job, const GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    GstViAnnotBatch *batch = job->batch;

    job_free (job);
    gst_vi_annot_batch_free (batch);
    return;
  }
  if (!is_refusal (error)) {
    job_transient (job, error);
    return;
  }
  job->self->retry_due = FALSE;
  end_outage (job->self);
  job_refused (job, error);
}

static const ViAnnotationImportSessionCondition *
find_condition (ViAnnotationImportSession * session, const gchar * name)
{
  GPtrArray *conditions = vi_annotation_import_session_status_get_conditions
      (vi_annotation_import_session_get_status (session));
  guint i;

  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c =
        g_ptr_array_index (conditions, i);

    if (g_strcmp0 (c->condition, name) == 0)
      return c;
  }
  return NULL;
}

static SessionState
classify (ViAnnotationImportSession * session)
{
  const ViAnnotationImportSessionCondition *inserted, *complete;

  complete = find_condition (session, "Complete");
  if (complete != NULL && complete->status == VI_CONDITION_STATUS_REACHED)
    return SESSION_COMPLETE;
  if (complete != NULL && complete->status == VI_CONDITION_STATUS_FAILED_REACH)
    return SESSION_FAILED;
  inserted = find_condition (session, "FilesInserted");
  if (inserted == NULL)
    return SESSION_OPEN;
  if (inserted->status == VI_CONDITION_STATUS_FAILED_REACH)
    return SESSION_GIVEN_UP;
  if (inserted->status == VI_CONDITION_STATUS_REACHED)
    return SESSION_INSERTED;
  return SESSION_OPEN;
}

static gboolean
_poll_cb (gpointer user_data)
{
  Job *job = user_data;

  g_clear_pointer (&job->poll_source, g_source_unref);
  job_settle (job);
  return G_SOURCE_REMOVE;
}

/* Sends the batch again, in a new session: the old one (if any) will
 * never import it.  Unless the old one's upload was refused: sending the
 * same again would be refused again, and on-error decides. */
static void
job_resend (Job * job)
{
  GstViAnnotUploader *self = job->self;

  if (job->upload_error != NULL && is_refusal (job->upload_error)) {
    GError *error = g_steal_pointer (&job->upload_error);

    job_refused (job, error);
    g_error_free (error);
    return;
  }
  g_clear_error (&job->upload_error);

  if (job->batch->session_id != NULL) {
    GST_INFO_OBJECT (self->element, "%s: session %s imported nothing; "
        "sending the batch again", job->batch->name, job->batch->session_id);
    g_mutex_lock (&self->feed.lock);
    self->stats.resends++;
    g_mutex_unlock (&self->feed.lock);
    post_progress (self, job->batch, "resending");
    g_clear_pointer (&job->batch->session_id, g_free);
  }
  job_start (job);
}

static void
_abandoned_cb (GObject * source, GAsyncResult * result, gpointer user_data);

/* What to do about the batch, from its session as the service shows it
 * (the recovery rule of docs/decisions.md). */
static void
job_handle_session (Job * job, ViAnnotationImportSession * session,
    gboolean abandoned)
{
  GstViAnnotUploader *self = job->self;
  GError *error;

  switch (classify (session)) {
    case SESSION_COMPLETE:
      job_complete (job, session);
      break;
    case SESSION_INSERTED:
      /* Being imported: read it again later. */
      job->poll_source = gst_vi_annot_worker_add_timeout (self->worker,
          job->poll_ms, _poll_cb, job, NULL);
      job->poll_ms = MIN (job->poll_ms * 2, MAX_POLL_MS);
      break;
    case SESSION_GIVEN_UP:
      job_resend (job);
      break;
    case SESSION_OPEN:
      if (abandoned) {
        /* The answer to giving it up was lost and the request did not
         * arrive: try again later, as in an outage. */
        error = g_error_new (VI_ERROR, VI_ERROR_NETWORK, _("session %s could "
                "not be given up"), job->batch->session_id);
        job_transient (job, error);
        g_error_free (error);
        break;
      }
      /* Created, maybe uploaded, never marked inserted: make sure it
       * never will be, then send the batch again. */
      self->outstanding++;
      vi_client_abandon_import_session_async (gst_vi_annot_worker_get_client
          (self->worker), self->config->dataset_id, job->batch->session_id,
          self->cancellable, _abandoned_cb, job);
      break;
    case SESSION_FAILED:
    default:
      error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
          _("the service did not import %s (session %s): %s"), job->batch->name,
          job->batch->session_id,
          vi_annotation_import_session_status_get_reason
          (vi_annotation_import_session_get_status (session)) ?
          vi_annotation_import_session_status_get_reason
          (vi_annotation_import_session_get_status (session)) :
          "no reason given");
      /* Sending it again would fail again, except under retry-forever,
       * which asks for exactly that. */
      if (self->config->on_error == GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER) {
        g_clear_pointer (&job->batch->session_id, g_free);
        job_transient (job, error);
      } else {
        job_refused (job, error);
      }
      g_error_free (error);
      break;
  }
}

static void
after_session_read (Job * job, ViAnnotationImportSession * session,
    GError * error, gboolean abandoned)
{
  GstViAnnotUploader *self = job->self;

  self->outstanding--;
  if (self->shutting_down) {
    GstViAnnotBatch *batch = job->batch;

    job_free (job);
    gst_vi_annot_batch_free (batch);
  } else if (session != NULL) {
    end_outage (self);
    job_handle_session (job, session, abandoned);
  } else if (g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND)) {
    /* The service does not know the session (it never got the request
     * that created it, or forgot it): nothing of it was imported. */
    end_outage (self);
    job_resend (job);
  } else {
    job_failed (job, error);
  }
  if (self->shutting_down && self->outstanding == 0)
    gst_vi_annot_worker_quit (self->worker);
}

static void
_abandoned_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Job *job = user_data;
  ViAnnotationImportSession *session;
  GError *error = NULL;

  session = vi_client_abandon_import_session_finish (VI_CLIENT (source),
      result, &error);
  after_session_read (job, session, error, TRUE);
  g_clear_pointer (&session, vi_annotation_import_session_unref);
  g_clear_error (&error);
}

static void
_settled_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Job *job = user_data;
  ViAnnotationImportSession *session;
  GError *error = NULL;

  session = vi_client_get_import_session_finish (VI_CLIENT (source), result,
      &error);
  after_session_read (job, session, error, FALSE);
  g_clear_pointer (&session, vi_annotation_import_session_unref);
  g_clear_error (&error);
}

/* Reads the batch's session to learn what happened to it. */
static void
job_settle (Job * job)
{
  GstViAnnotUploader *self = job->self;

  self->outstanding++;
  vi_client_get_import_session_async (gst_vi_annot_worker_get_client
      (self->worker), self->config->dataset_id, job->batch->session_id,
      self->cancellable, _settled_cb, job);
}

/* From libvi's upload, on the worker, in order: once the session exists
 * (REGISTERING), and before its files are registered, sent or inserted,
 * it is recorded in the spool. */
static void
upload_progress_cb (const ViUploadProgress * progress, gpointer user_data)
{
  Job *job = user_data;
  GstViAnnotUploader *self = job->self;
  GError *error = NULL;

  if (progress->stage != VI_UPLOAD_STAGE_REGISTERING || job->recorded ||
      progress->session_id == NULL)
    return;

  if (!gst_vi_annot_spool_record_session (self->spool, job->batch,
          progress->session_id, &error)) {
    /* Without the record, a crash could import the batch twice: stop
     * this upload (libvi gives the session up) and everything else. */
    gst_vi_annot_spool_feed_fail (&self->feed, error);
    g_error_free (error);
    g_cancellable_cancel (self->cancellable);
    return;
  }
  job->recorded = TRUE;
  g_mutex_lock (&self->feed.lock);
  self->stats.sessions++;
  g_mutex_unlock (&self->feed.lock);
  post_progress (self, job->batch, "session-created");
}

static void
_uploaded_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Job *job = user_data;
  GstViAnnotUploader *self = job->self;
  ViAnnotationUploadResult *res;
  GError *error = NULL;

  self->outstanding--;
  res = vi_client_upload_annotations_finish (VI_CLIENT (source), result,
      &error);
  if (self->shutting_down) {
    GstViAnnotBatch *batch = job->batch;

    job_free (job);
    gst_vi_annot_batch_free (batch);
  } else if (res != NULL) {
    end_outage (self);
    post_progress (self, job->batch, "files-inserted");
    job_handle_session (job, vi_annotation_upload_result_get_session (res),
        FALSE);
  } else if (job->recorded &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* The session exists: whatever went wrong, it says what happened. */
    GST_INFO_OBJECT (self->element, "%s: %s; reading session %s",
        job->batch->name, error->message, job->batch->session_id);
    job->upload_error = g_steal_pointer (&error);
    job_settle (job);
  } else {
    job_failed (job, error);
  }
  g_clear_pointer (&res, vi_annotation_upload_result_unref);
  g_clear_error (&error);
  if (self->shutting_down && self->outstanding == 0)
    gst_vi_annot_worker_quit (self->worker);
}

static void
job_upload (Job * job)
{
  GstViAnnotUploader *self = job->self;
  const gchar *paths[] = { job->batch->path, NULL };
  ViUploadOptions options;

  vi_upload_options_init (&options);
  options.wait_until_done = FALSE;
  /* A line the service finds bad is counted (vi-upload-done `failed`)
   * instead of failing the batch's other lines. */
  options.failure_policies.on_bad_annotation = VI_FAILURE_POLICY_WARN;
  job->recorded = FALSE;
  self->outstanding++;
  vi_client_upload_annotations_async (gst_vi_annot_worker_get_client
      (self->worker), self->config->dataset_id, paths, &options,
      upload_progress_cb, job, self->cancellable, _uploaded_cb, job);
}

static void
job_start (Job * job)
{
  job->poll_ms = FIRST_POLL_MS;
  if (job->batch->session_id != NULL)
    job_settle (job);
  else
    job_upload (job);
}

/* ------------------------------------------------------------------ */
/* worker: the dataset probe, the pump */

static void
_probed_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstViAnnotUploader *self = user_data;
  GPtrArray *exports;
  GError *error = NULL;

  self->outstanding--;
  self->probing = FALSE;
  exports = vi_client_list_exports_finish (VI_CLIENT (source), result, &error);
  if (self->shutting_down) {
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
  if (self->shutting_down && self->outstanding == 0)
    gst_vi_annot_worker_quit (self->worker);
}

/* Starts what may start: the probe first (is the dataset there, is the
 * key accepted), then sessions, up to MAX_IN_FLIGHT, oldest batch first;
 * during an outage one request when its retry is due. */
static void
pump (GstViAnnotUploader * self)
{
  guint limit = MAX_IN_FLIGHT;

  if (!self->active || self->shutting_down
      || gst_vi_annot_spool_feed_is_failed (&self->feed))
    return;
  if (self->outage.active) {
    if (!self->retry_due)
      return;
    limit = g_list_length (self->jobs) + 1;
  }
  if (!self->probed) {
    if (!self->probing) {
      self->probing = TRUE;
      self->retry_due = FALSE;
      self->outstanding++;
      vi_client_list_exports_async (gst_vi_annot_worker_get_client
          (self->worker), self->config->dataset_id, self->cancellable,
          _probed_cb, self);
    }
    return;
  }
  while (!g_queue_is_empty (&self->ready) &&
      g_list_length (self->jobs) < MIN (limit, MAX_IN_FLIGHT)) {
    self->retry_due = FALSE;
    job_start (job_new (self, g_queue_pop_head (&self->ready)));
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
  GList *l;

  /* What was filled is sealed: it is safe for the next run. */
  self->shutting_down = TRUE;
  _seal_cb (self);
  if (self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  /* Jobs waiting for their next poll end here; those with a request out
   * end in its (cancelled) callback. */
  for (l = self->jobs; l != NULL;) {
    Job *job = l->data;

    l = l->next;
    if (job->poll_source != NULL) {
      GstViAnnotBatch *batch = job->batch;

      job_free (job);
      gst_vi_annot_batch_free (batch);
    }
  }
  if (self->outstanding == 0)
    gst_vi_annot_worker_quit (self->worker);
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
  g_assert (self->jobs == NULL);
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
GstViAnnotUploader *
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
