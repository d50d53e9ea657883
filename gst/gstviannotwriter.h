/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_WRITER_H__
#define __GST_VI_ANNOT_WRITER_H__

#include <stdio.h>

#include <gst/gst.h>

#include "gstviannotuploader.h"

G_BEGIN_DECLS

/* The writer thread of an element that writes annotations (viannotsink):
 * it formats the lines of the frames handed to it and writes them to the
 * location file (one write for the frames it gathered) and to the spool
 * through the uploader, so that the streaming thread does neither.  The
 * streaming thread waits when WRITER_QUEUE frames are queued, and for room
 * in the spool (max-pending).  After a write error (posted on the
 * element) nothing more is written.
 *
 * The structure lives as long as the element (init, clear); the thread
 * from start to stop. */
typedef struct
{
  /* start () .. stop (), not owned */
  GstElement *element;          /* errors are posted on it */
  FILE *file;                   /* location, may be NULL */
  const gchar *location;        /* its name, for messages */
  GstViAnnotUploader *uploader; /* may be NULL */
  guint64 *n_lines;             /* lines written are added to it, under
                                 * the element's GST_OBJECT_LOCK */

  GThread *thread;
  GString *lines;               /* the thread's scratch */
  GMutex lock;
  GCond cond;
  /* lock */
  GQueue jobs;                  /* a frame's records: GPtrArray */
  gboolean writing;             /* jobs are out of the queue */
  gboolean idle;                /* the thread waits for jobs */
  gboolean pusher_waiting;      /* the streaming thread waits for it */
  guint draining;               /* threads waiting for an empty queue */
  gboolean flushing;            /* unlock(): nobody waits for the writer */
  gboolean quit;
  gboolean failed;              /* the writer posted an error */
} GstViAnnotWriter;

G_GNUC_INTERNAL
void gst_vi_annot_writer_init (GstViAnnotWriter * w);

G_GNUC_INTERNAL
void gst_vi_annot_writer_clear (GstViAnnotWriter * w);

/* Starts the thread; @file, @location, @uploader and @n_lines must stay
 * valid until gst_vi_annot_writer_stop(). */
G_GNUC_INTERNAL
void gst_vi_annot_writer_start (GstViAnnotWriter * w, GstElement * element,
    FILE * file, const gchar * location, GstViAnnotUploader * uploader,
    guint64 * n_lines);

/* Writes what is queued, then ends the thread; nothing if not started. */
G_GNUC_INTERNAL
void gst_vi_annot_writer_stop (GstViAnnotWriter * w);

G_GNUC_INTERNAL
GstFlowReturn gst_vi_annot_writer_push (GstViAnnotWriter * w,
    GPtrArray * records, gboolean may_wait);

G_GNUC_INTERNAL
gboolean gst_vi_annot_writer_drain (GstViAnnotWriter * w);

G_GNUC_INTERNAL
void gst_vi_annot_writer_set_flushing (GstViAnnotWriter * w,
    gboolean flushing);

G_GNUC_INTERNAL
gboolean gst_vi_annot_writer_failed (GstViAnnotWriter * w);

G_END_DECLS

#endif /* __GST_VI_ANNOT_WRITER_H__ */
