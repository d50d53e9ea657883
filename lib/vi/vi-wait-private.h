/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/*
 * The one wait of libvi, for a resource whose conditions say when it is
 * done: an import session (vi_client_wait_until_done()) and an export
 * (vi_client_wait_export()).
 *
 * The resource is read at once, then every interval, until it has
 * conditions and all of them are `Reached` (the SDK's rule).  Every read
 * and every pause use one cancellable, cancelled by the caller's or by the
 * overall deadline, so the outcome is one of:
 *   - the resource, done (after the optional `check_done`);
 *   - VI_ERROR_IMPORT_FAILED when a condition is `FailedReach`: "<what>
 *     failed: <description>";
 *   - G_IO_ERROR_CANCELLED when the caller cancelled, even if the deadline
 *     passed too: "waiting for <what> was cancelled";
 *   - VI_ERROR_TIMEOUT when the deadline passed: "<what> did not finish
 *     within N ms (K polls); last state: <description>";
 *   - the error of a read, as the read gave it.
 */

typedef enum {
  VI_WAIT_PENDING,
  VI_WAIT_DONE,
  VI_WAIT_FAILED,
} ViWaitState;

typedef struct {
  /* Reads the resource: data is the wait's data. */
  void (*read_async) (gpointer            data,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data);
  gpointer (*read_finish) (gpointer data, GAsyncResult *result, GError **error);
  /* What the conditions of a resource say. */
  ViWaitState (*state) (gconstpointer resource);
  /* The chain of conditions (and reason) of a resource, for messages. */
  char *(*describe) (gconstpointer resource);
  /* Nullable: a last check of a done resource. */
  gboolean (*check_done) (gpointer      data,
                          gconstpointer resource,
                          GError      **error);
  /* Nullable: called after each read (done: it is the last one). */
  void (*progress) (gpointer data, gconstpointer resource, gboolean done);
  GDestroyNotify resource_free;
} ViWaitFuncs;

/* Starts a wait, on the thread-default main context.  what ("import
 * session X") begins the messages; data (freed with data_free) is handed
 * to the functions.  interval_ms 0: one second; timeout_ms 0: none. */
void _vi_wait_async (gpointer            source_object,
                     gpointer            source_tag,
                     const ViWaitFuncs  *funcs,
                     const char         *what,
                     gpointer            data,
                     GDestroyNotify      data_free,
                     guint               interval_ms,
                     guint               timeout_ms,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data);
/* The done resource (transfer full), or NULL with error set. */
gpointer _vi_wait_finish (GAsyncResult *result, GError **error);

G_END_DECLS
