/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_IMPORT_JOB_H__
#define __GST_VI_ANNOT_IMPORT_JOB_H__

#include <gst/gst.h>
#include <vi/vi.h>

#include "gstviannotspool.h"
#include "gstviannotworker.h"

G_BEGIN_DECLS

/* The way of one sealed batch through an import session, on the worker
 * (the recovery rule of docs/decisions.md, "viannotsink"): uploaded in a
 * new session, the session recorded in the spool as soon as it exists
 * and before its files are registered; a batch that has a session (from
 * this run or an earlier one) has it read until it settles: read again
 * while it is being imported, given up and sent again in a new session
 * when it never got its files inserted or the service does not know it.
 *
 * What becomes of the batch is the owner's to decide (on-error,
 * outages, statistics, messages): the job says it through
 * GstViAnnotImportJobFuncs, after which the job is the owner's to end
 * with gst_vi_annot_import_job_end(). */

typedef struct _GstViAnnotImportJob GstViAnnotImportJob;

typedef struct
{
  /* The service answered a request (outages end). */
  void (*answered) (gpointer owner);
  /* A step of the batch, for the bus: "session-created" (recorded in
   * the spool), "files-inserted", "resending" (in a new session). */
  void (*progress) (gpointer owner, GstViAnnotImportJob * job,
      const gchar * stage);
  /* The session is Complete: the batch is imported. */
  void (*complete) (gpointer owner, GstViAnnotImportJob * job,
      ViAnnotationImportSession * session);
  /* The service refused the batch (a 4xx, a malformed answer) or did not
   * import it; @answer: the refusal answers the request just made (rather
   * than a session telling what became of an earlier one). */
  void (*refused) (gpointer owner, GstViAnnotImportJob * job,
      const GError * error, gboolean answer);
  /* No answer: the batch is to be taken up again later (from its
   * session, if it has one). */
  void (*unanswered) (gpointer owner, GstViAnnotImportJob * job,
      const GError * error);
  /* The session could not be recorded in the spool (the upload is
   * cancelled, with everything else of the owner's cancellable). */
  void (*record_failed) (gpointer owner, const GError * error);
} GstViAnnotImportJobFuncs;

/* The jobs of an owner, and what they share with it, on the worker. */
typedef struct
{
  /* from gst_vi_annot_import_jobs_init(), not owned */
  GstElement *element;          /* for debug output */
  GstViAnnotWorker *worker;     /* its client, its loop */
  const gchar *dataset_id;
  GstViAnnotSpool *spool;
  GCancellable *cancellable;
  /* A batch the service did not import is sent again in a new session
   * (on-error=retry-forever) instead of being refused. */
  gboolean resend_failed;
  const GstViAnnotImportJobFuncs *funcs;
  gpointer owner;

  GList *list;                  /* GstViAnnotImportJob */
  guint outstanding;            /* requests whose callback has not run,
                                 * the owner's too */
  gboolean shutting_down;       /* callbacks only end their job */
} GstViAnnotImportJobs;

struct _GstViAnnotImportJob
{
  GstViAnnotImportJobs *jobs;
  GstViAnnotBatch *batch;
  GSource *poll_source;
  guint poll_ms;
  gboolean recorded;            /* this attempt's session is recorded */
  GError *upload_error;         /* why this attempt's upload failed */
};

G_GNUC_INTERNAL
void gst_vi_annot_import_jobs_init (GstViAnnotImportJobs * jobs,
    GstElement * element, GstViAnnotWorker * worker, const gchar * dataset_id,
    GstViAnnotSpool * spool, GCancellable * cancellable,
    gboolean resend_failed, const GstViAnnotImportJobFuncs * funcs,
    gpointer owner);

G_GNUC_INTERNAL
void gst_vi_annot_import_jobs_quit_if_idle (GstViAnnotImportJobs * jobs);

G_GNUC_INTERNAL
void gst_vi_annot_import_jobs_shutdown (GstViAnnotImportJobs * jobs);

G_GNUC_INTERNAL
void gst_vi_annot_import_job_start (GstViAnnotImportJobs * jobs,
    GstViAnnotBatch * batch);

G_GNUC_INTERNAL
GstViAnnotBatch *gst_vi_annot_import_job_end (GstViAnnotImportJob * job);

G_END_DECLS

#endif /* __GST_VI_ANNOT_IMPORT_JOB_H__ */
