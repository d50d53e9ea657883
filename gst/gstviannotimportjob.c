/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <gio/gio.h>

#include "gstviannotelements.h"
#include "gstviannoterrors.h"
#include "gstviannotimportjob.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

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

static void job_start (GstViAnnotImportJob * job);
static void job_settle (GstViAnnotImportJob * job);

/* @element, @worker, @dataset_id, @spool, @cancellable and @owner belong
 * to the owner and outlive the jobs. */
void
gst_vi_annot_import_jobs_init (GstViAnnotImportJobs * jobs,
    GstElement * element, GstViAnnotWorker * worker, const gchar * dataset_id,
    GstViAnnotSpool * spool, GCancellable * cancellable,
    gboolean resend_failed, const GstViAnnotImportJobFuncs * funcs,
    gpointer owner)
{
  jobs->element = element;
  jobs->worker = worker;
  jobs->dataset_id = dataset_id;
  jobs->spool = spool;
  jobs->cancellable = cancellable;
  jobs->resend_failed = resend_failed;
  jobs->funcs = funcs;
  jobs->owner = owner;
  jobs->list = NULL;
  jobs->outstanding = 0;
  jobs->shutting_down = FALSE;
}

/* After a request's callback (the owner's too): once shutting down and
 * no request is outstanding, the worker's loop quits. */
void
gst_vi_annot_import_jobs_quit_if_idle (GstViAnnotImportJobs * jobs)
{
  if (jobs->shutting_down && jobs->outstanding == 0)
    gst_vi_annot_worker_quit (jobs->worker);
}

static GstViAnnotImportJob *
job_new (GstViAnnotImportJobs * jobs, GstViAnnotBatch * batch)
{
  GstViAnnotImportJob *job = g_new0 (GstViAnnotImportJob, 1);

  job->jobs = jobs;
  job->batch = batch;
  job->poll_ms = FIRST_POLL_MS;
  jobs->list = g_list_prepend (jobs->list, job);
  return job;
}

/* Ends a job; returns its batch, if still there, which is the
 * caller's. */
GstViAnnotBatch *
gst_vi_annot_import_job_end (GstViAnnotImportJob * job)
{
  GstViAnnotImportJobs *jobs = job->jobs;
  GstViAnnotBatch *batch = job->batch;

  if (job->poll_source != NULL) {
    g_source_destroy (job->poll_source);
    g_source_unref (job->poll_source);
  }
  g_clear_error (&job->upload_error);
  jobs->list = g_list_remove (jobs->list, job);
  g_free (job);
  return batch;
}

/* Ends a job and drops its batch (stopping): the batch stays in the
 * spool for the next run. */
static void
job_discard (GstViAnnotImportJob * job)
{
  gst_vi_annot_batch_free (gst_vi_annot_import_job_end (job));
}

/* From the owner's shutdown, after its batches are sealed: jobs waiting
 * for their next poll end here; those with a request out end in its
 * (cancelled) callback. */
void
gst_vi_annot_import_jobs_shutdown (GstViAnnotImportJobs * jobs)
{
  GList *l;

  jobs->shutting_down = TRUE;
  for (l = jobs->list; l != NULL;) {
    GstViAnnotImportJob *job = l->data;

    l = l->next;
    if (job->poll_source != NULL)
      job_discard (job);
  }
  gst_vi_annot_import_jobs_quit_if_idle (jobs);
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
job_failed (GstViAnnotImportJob * job, const GError * error)
{
  GstViAnnotImportJobs *jobs = job->jobs;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    job_discard (job);
  else if (!is_refusal (error))
    jobs->funcs->unanswered (jobs->owner, job, error);
  else
    jobs->funcs->refused (jobs->owner, job, error, TRUE);
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
  GstViAnnotImportJob *job = user_data;

  g_clear_pointer (&job->poll_source, g_source_unref);
  job_settle (job);
  return G_SOURCE_REMOVE;
}

/* Sends the batch again, in a new session: the old one (if any) will
 * never import it.  Unless the old one's upload was refused: sending the
 * same again would be refused again, and the owner decides. */
static void
job_resend (GstViAnnotImportJob * job)
{
  GstViAnnotImportJobs *jobs = job->jobs;

  if (job->upload_error != NULL && is_refusal (job->upload_error)) {
    GError *error = g_steal_pointer (&job->upload_error);

    jobs->funcs->refused (jobs->owner, job, error, FALSE);
    g_error_free (error);
    return;
  }
  g_clear_error (&job->upload_error);

  if (job->batch->session_id != NULL) {
    GST_INFO_OBJECT (jobs->element, "%s: session %s imported nothing; "
        "sending the batch again", job->batch->name, job->batch->session_id);
    jobs->funcs->progress (jobs->owner, job, "resending");
    g_clear_pointer (&job->batch->session_id, g_free);
  }
  job_start (job);
}

static void
_abandoned_cb (GObject * source, GAsyncResult * result, gpointer user_data);

/* What to do about the batch, from its session as the service shows it
 * (the recovery rule of docs/decisions.md). */
static void
job_handle_session (GstViAnnotImportJob * job,
    ViAnnotationImportSession * session, gboolean abandoned)
{
  GstViAnnotImportJobs *jobs = job->jobs;
  const gchar *reason;
  GError *error;

  switch (classify (session)) {
    case SESSION_COMPLETE:
      jobs->funcs->complete (jobs->owner, job, session);
      break;
    case SESSION_INSERTED:
      /* Being imported: read it again later. */
      job->poll_source = gst_vi_annot_worker_add_timeout (jobs->worker,
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
        jobs->funcs->unanswered (jobs->owner, job, error);
        g_error_free (error);
        break;
      }
      /* Created, maybe uploaded, never marked inserted: make sure it
       * never will be, then send the batch again. */
      jobs->outstanding++;
      vi_client_abandon_import_session_async (gst_vi_annot_worker_get_client
          (jobs->worker), jobs->dataset_id, job->batch->session_id,
          jobs->cancellable, _abandoned_cb, job);
      break;
    case SESSION_FAILED:
    default:
      reason = vi_annotation_import_session_status_get_reason
          (vi_annotation_import_session_get_status (session));
      error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
          _("the service did not import %s (session %s): %s"),
          job->batch->name, job->batch->session_id,
          reason ? reason : "no reason given");
      /* Sending it again would fail again, except under retry-forever,
       * which asks for exactly that. */
      if (jobs->resend_failed) {
        g_clear_pointer (&job->batch->session_id, g_free);
        jobs->funcs->unanswered (jobs->owner, job, error);
      } else {
        jobs->funcs->refused (jobs->owner, job, error, FALSE);
      }
      g_error_free (error);
      break;
  }
}

static void
after_session_read (GstViAnnotImportJob * job,
    ViAnnotationImportSession * session, GError * error, gboolean abandoned)
{
  GstViAnnotImportJobs *jobs = job->jobs;

  jobs->outstanding--;
  if (jobs->shutting_down) {
    job_discard (job);
  } else if (session != NULL) {
    jobs->funcs->answered (jobs->owner);
    job_handle_session (job, session, abandoned);
  } else if (g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND)) {
    /* The service does not know the session (it never got the request
     * that created it, or forgot it): nothing of it was imported. */
    jobs->funcs->answered (jobs->owner);
    job_resend (job);
  } else {
    job_failed (job, error);
  }
  gst_vi_annot_import_jobs_quit_if_idle (jobs);
}

static void
_abandoned_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstViAnnotImportJob *job = user_data;
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
  GstViAnnotImportJob *job = user_data;
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
job_settle (GstViAnnotImportJob * job)
{
  GstViAnnotImportJobs *jobs = job->jobs;

  jobs->outstanding++;
  vi_client_get_import_session_async (gst_vi_annot_worker_get_client
      (jobs->worker), jobs->dataset_id, job->batch->session_id,
      jobs->cancellable, _settled_cb, job);
}

/* From libvi's upload, on the worker, in order: once the session exists
 * (REGISTERING), and before its files are registered, sent or inserted,
 * it is recorded in the spool. */
static void
upload_progress_cb (const ViUploadProgress * progress, gpointer user_data)
{
  GstViAnnotImportJob *job = user_data;
  GstViAnnotImportJobs *jobs = job->jobs;
  GError *error = NULL;

  if (progress->stage != VI_UPLOAD_STAGE_REGISTERING || job->recorded ||
      progress->session_id == NULL)
    return;

  if (!gst_vi_annot_spool_record_session (jobs->spool, job->batch,
          progress->session_id, &error)) {
    /* Without the record, a crash could import the batch twice: stop
     * this upload (libvi gives the session up) and everything else. */
    jobs->funcs->record_failed (jobs->owner, error);
    g_error_free (error);
    g_cancellable_cancel (jobs->cancellable);
    return;
  }
  job->recorded = TRUE;
  jobs->funcs->progress (jobs->owner, job, "session-created");
}

static void
_uploaded_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstViAnnotImportJob *job = user_data;
  GstViAnnotImportJobs *jobs = job->jobs;
  ViAnnotationUploadResult *res;
  GError *error = NULL;

  jobs->outstanding--;
  res = vi_client_upload_annotations_finish (VI_CLIENT (source), result,
      &error);
  if (jobs->shutting_down) {
    job_discard (job);
  } else if (res != NULL) {
    jobs->funcs->answered (jobs->owner);
    jobs->funcs->progress (jobs->owner, job, "files-inserted");
    job_handle_session (job, vi_annotation_upload_result_get_session (res),
        FALSE);
  } else if (job->recorded &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* The session exists: whatever went wrong, it says what happened. */
    GST_INFO_OBJECT (jobs->element, "%s: %s; reading session %s",
        job->batch->name, error->message, job->batch->session_id);
    job->upload_error = g_steal_pointer (&error);
    job_settle (job);
  } else {
    job_failed (job, error);
  }
  g_clear_pointer (&res, vi_annotation_upload_result_unref);
  g_clear_error (&error);
  gst_vi_annot_import_jobs_quit_if_idle (jobs);
}

static void
job_upload (GstViAnnotImportJob * job)
{
  GstViAnnotImportJobs *jobs = job->jobs;
  const gchar *paths[] = { job->batch->path, NULL };
  ViUploadOptions options;

  vi_upload_options_init (&options);
  options.wait_until_done = FALSE;
  /* A line the service finds bad is counted (vi-upload-done `failed`)
   * instead of failing the batch's other lines. */
  options.failure_policies.on_bad_annotation = VI_FAILURE_POLICY_WARN;
  job->recorded = FALSE;
  jobs->outstanding++;
  vi_client_upload_annotations_async (gst_vi_annot_worker_get_client
      (jobs->worker), jobs->dataset_id, paths, &options,
      upload_progress_cb, job, jobs->cancellable, _uploaded_cb, job);
}

static void
job_start (GstViAnnotImportJob * job)
{
  job->poll_ms = FIRST_POLL_MS;
  if (job->batch->session_id != NULL)
    job_settle (job);
  else
    job_upload (job);
}

/* Takes @batch (sealed) up: its session read if it has one, else it is
 * uploaded in a new one. */
void
gst_vi_annot_import_job_start (GstViAnnotImportJobs * jobs,
    GstViAnnotBatch * batch)
{
  job_start (job_new (jobs, batch));
}
