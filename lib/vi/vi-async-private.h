/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* The async plumbing of libvi (vi-async.c). */

#include <vi/vi.h>

G_BEGIN_DECLS

/* Waits on the thread-default main context; a cancellation ends the wait
 * at once with G_IO_ERROR_CANCELLED. */
void     _vi_sleep_async (double              seconds,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data);
gboolean _vi_sleep_finish (GAsyncResult *result, GError **error);

/* A cancellable for GIO and libsoup, cancelled on the thread-default main
 * context of the caller when user is (from any thread); see vi-async.c. */
typedef struct {
  GCancellable *cancellable; /* pass this one down */
  GCancellable *user;        /* nullable */
  gulong        handler;     /* on user */
} ViLocalCancel;

void _vi_local_cancel_init (ViLocalCancel *lc, GCancellable *user);
void _vi_local_cancel_clear (ViLocalCancel *lc);

/* The cancellable for the steps of a long operation (a wait, a download):
 * cancelled by the caller's cancellable or by an overall deadline, and
 * which of the two fired is known (timed_out).  Like ViLocalCancel, it is
 * only ever cancelled on the operation's main context. */
typedef struct {
  GCancellable *cancellable;      /* pass this one to every step */
  GCancellable *user_cancellable; /* nullable */
  ViLocalCancel local;
  GSource      *deadline;
  gboolean      timed_out;
} ViOpCancel;

/* timeout_ms 0: no deadline.  The deadline runs on the thread-default
 * main context. */
void _vi_op_cancel_init (ViOpCancel   *op,
                         GCancellable *user_cancellable,
                         guint         timeout_ms);
void _vi_op_cancel_stop_deadline (ViOpCancel *op);
void _vi_op_cancel_clear (ViOpCancel *op);

/* Runs an async operation to completion on a private main context, for the
 * blocking API: start() is called with that context pushed as the
 * thread default; the GAsyncResult it produces is returned (transfer
 * full). */
typedef void (*ViAsyncStarter) (gpointer            data,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
GAsyncResult *_vi_run_sync (ViAsyncStarter start,
                            gpointer       data,
                            GCancellable  *cancellable);

G_END_DECLS
