/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-request.h"

G_BEGIN_DECLS

/*
 * The write side of the API: import sessions and signed uploads
 * (vi-server-import*.c, vi-server-upload.c), exports and their downloads
 * (vi-server-exports.c), and what they share (vi-server-write.c): the
 * ViServerWrite they live in, behind the server's lock, the work
 * directory, and the pool of threads that process imports and build
 * exports.
 */

typedef struct {
  char  *condition;
  char  *status;
  gint64 time;
  char  *reason; /* a ConditionReason, or NULL */
} ViServerCondition;

struct _ViServerWrite {
  ViServerState *state; /* the server's: its lock guards us */
  char          *org;
  GCond          cond; /* wakes delays at shutdown */
  gboolean       shutdown;
  guint          processing_delay_ms;
  char          *data_dir; /* the store's, or NULL */
  char          *work_dir; /* created on first use, removed at the end */
  /* vi_server_imports_init() */
  GHashTable *sessions; /* id -> ViServerImportSession, owned */
  GHashTable *tokens;   /* token -> ViServerImportFile, not owned */
  /* vi_server_exports_init() */
  GHashTable  *exports;      /* id -> DatasetExport, owned */
  GPtrArray   *export_order; /* DatasetExport, creation order, not owned */
  GThreadPool *pool;
};

/* Runs on a thread of the pool, without the lock; queued is the
 * monotonic time the job was queued, where the processing delay starts. */
typedef void (*ViServerJobFunc) (ViServerWrite *w,
                                 const char    *id,
                                 gint64         queued);

ViServerWrite *vi_server_write_new (ViServerState *state);
void           vi_server_write_free (ViServerWrite *w);
void vi_server_write_set_processing_delay (ViServerWrite *w, guint delay_ms);

gint64 vi_server_now_ms (void);
char  *vi_server_random_string (guint length);
void   vi_server_condition_clear (ViServerCondition *c);
void   vi_server_condition_free (ViServerCondition *c);
void   vi_server_remove_tree (const char *dir);
void   vi_server_write_set_data_dir (ViServerWrite *w, const char *data_dir);
const char *vi_server_write_work_dir (ViServerWrite *w, GError **error);
void        vi_server_write_queue_job (ViServerWrite  *w,
                                       ViServerJobFunc func,
                                       const char     *id);
gboolean    vi_server_write_wait_delay (ViServerWrite *w, gint64 queued);
void        vi_server_json_append_condition (GString                 *out,
                                             const ViServerCondition *c,
                                             const char              *message);

G_END_DECLS
