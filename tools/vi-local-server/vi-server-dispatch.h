/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-request.h"

G_BEGIN_DECLS

/*
 * What happens to a request (vi-server-dispatch.c): the early checks
 * before its body is read (sizes, signed upload tokens), the control
 * endpoint, the fault rules and the latency, authentication, routing to a
 * handler, and the answers held back for a delay.
 */
typedef struct {
  ViServerState *state;
  char          *secret_key;

  /* Under state->lock. */
  GPtrArray *faults; /* ViFaultRule */
  guint      latency_ms;
  guint64    n_faulted; /* requests a fault rule fired for */
  guint64    max_body_size;
  guint64    max_upload_size;
  guint      max_header_size;

  /* The server's thread, while it runs. */
  GMainContext *context; /* borrowed */
  GHashTable   *pending; /* ViServerRequest waiting for their delay */
} ViServerDispatch;

void vi_server_dispatch_init (ViServerDispatch *self,
                              ViServerState    *state,
                              const char       *secret_key);
void vi_server_dispatch_clear (ViServerDispatch *self);

/* Handles the requests of soup, on context (the thread-default main
 * context of the thread that runs soup). */
void vi_server_dispatch_attach (ViServerDispatch *self,
                                SoupServer       *soup,
                                GMainContext     *context);
/* Drops the answers still held back. */
void vi_server_dispatch_detach (ViServerDispatch *self);

void vi_server_dispatch_clear_faults (ViServerDispatch *self);
void vi_server_dispatch_reset_counters (ViServerDispatch *self);

G_END_DECLS
