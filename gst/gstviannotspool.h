/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_SPOOL_H__
#define __GST_VI_ANNOT_SPOOL_H__

#include <glib.h>

G_BEGIN_DECLS

/* The spool of viannotsink (docs/decisions.md, "viannotsink"): a directory
 * holding every annotation that is not known to be imported yet, so that a
 * crash, a power loss or an outage loses nothing and a restart imports
 * nothing twice.  Only files, no threads: the uploader decides when.
 *
 *   lock                      flock()ed while an element uses the spool;
 *                             holds the pid of that process
 *   target                    the endpoint, organization and dataset the
 *                             batches are for
 *   batch-NNNNNNNNNNNN.open   the batch being filled, one line per write()
 *   batch-NNNNNNNNNNNN.jsonl  a sealed batch: fsynced, then renamed, then
 *                             the directory fsynced, before any request
 *   batch-NNNNNNNNNNNN.session  the import session of that batch, written
 *                             atomically once the session exists and
 *                             before its files are inserted
 *   rejected/                 batches the service refused (on-error=warn)
 *
 * A batch leaves the spool (its .jsonl first, then its .session) only
 * once the service reports its session Complete. */

typedef struct _GstViAnnotSpool GstViAnnotSpool;

typedef struct
{
  guint64 seq;
  gchar *path;                  /* .open while filled, .jsonl once sealed */
  gchar *name;                  /* base name of the sealed file */
  guint lines;
  guint64 bytes;
  gchar *session_id;            /* recorded session, or NULL */
  int fd;                       /* while filled; -1 once sealed */
} GstViAnnotBatch;

G_GNUC_INTERNAL
GstViAnnotSpool *gst_vi_annot_spool_open (const gchar * dir,
    GError ** error);

G_GNUC_INTERNAL
GstViAnnotSpool *gst_vi_annot_spool_open_for_target (const gchar * dir,
    const gchar * endpoint, const gchar * organization_id,
    const gchar * dataset_id, GError ** error);

G_GNUC_INTERNAL
const gchar *gst_vi_annot_spool_get_dir (GstViAnnotSpool * spool);

G_GNUC_INTERNAL
GPtrArray *gst_vi_annot_spool_take_batches (GstViAnnotSpool * spool);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_check_target (GstViAnnotSpool * spool,
    const gchar * endpoint, const gchar * organization_id,
    const gchar * dataset_id, GError ** error);

G_GNUC_INTERNAL
GstViAnnotBatch *gst_vi_annot_spool_new_batch (GstViAnnotSpool * spool,
    GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_batch_append (GstViAnnotBatch * batch,
    const gchar * data, gsize len, guint lines, GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_seal (GstViAnnotSpool * spool,
    GstViAnnotBatch * batch, GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_record_session (GstViAnnotSpool * spool,
    GstViAnnotBatch * batch, const gchar * session_id, GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_remove (GstViAnnotSpool * spool,
    GstViAnnotBatch * batch, GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_spool_reject (GstViAnnotSpool * spool,
    GstViAnnotBatch * batch, gchar ** new_path, GError ** error);

G_GNUC_INTERNAL
void gst_vi_annot_spool_close (GstViAnnotSpool * spool);

G_GNUC_INTERNAL
void gst_vi_annot_batch_free (GstViAnnotBatch * batch);

G_END_DECLS

#endif /* __GST_VI_ANNOT_SPOOL_H__ */
