/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_WORKER_H__
#define __GST_VI_ANNOT_WORKER_H__

#include <glib.h>
#include <vi/vi.h>

#include "gstviannotconfig.h"

G_BEGIN_DECLS

/* A thread with its own GMainContext and GMainLoop, the souphttpsrc model:
 * everything that talks to libvi (and through it to libsoup) runs there,
 * so no streaming thread ever does network I/O.  The ViClient is created
 * on it, used only from it (async calls, callbacks on its context) and
 * released on it when the loop has quit.  Private to the plugin. */
typedef struct _GstViAnnotWorker GstViAnnotWorker;

G_GNUC_INTERNAL
GstViAnnotWorker *gst_vi_annot_worker_new (const gchar * name);

G_GNUC_INTERNAL
gboolean gst_vi_annot_worker_create_client (GstViAnnotWorker * worker,
    const GstViAnnotConfig * cfg, GError ** error);

G_GNUC_INTERNAL
ViClient *gst_vi_annot_worker_get_client (GstViAnnotWorker * worker);

G_GNUC_INTERNAL
GMainContext *gst_vi_annot_worker_get_context (GstViAnnotWorker * worker);

G_GNUC_INTERNAL
gboolean gst_vi_annot_worker_is_current (GstViAnnotWorker * worker);

G_GNUC_INTERNAL
void gst_vi_annot_worker_invoke (GstViAnnotWorker * worker,
    GSourceFunc func, gpointer data, GDestroyNotify notify);

G_GNUC_INTERNAL
GSource *gst_vi_annot_worker_add_timeout (GstViAnnotWorker * worker,
    guint interval_ms, GSourceFunc func, gpointer data,
    GDestroyNotify notify);

G_GNUC_INTERNAL
void gst_vi_annot_worker_quit (GstViAnnotWorker * worker);

G_GNUC_INTERNAL
void gst_vi_annot_worker_free (GstViAnnotWorker * worker);

G_END_DECLS

#endif /* __GST_VI_ANNOT_WORKER_H__ */
