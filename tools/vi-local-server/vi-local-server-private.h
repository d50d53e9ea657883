/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-dispatch.h"

G_BEGIN_DECLS

/*
 * The instance of ViLocalServer, shared by the three files that implement
 * it: vi-local-server.c (the object, its routes, listening, start and
 * stop), vi-local-server-data.c (the data it serves) and
 * vi-local-server-control.c (what tests set and read while it runs).
 * Their type, ViLocalServer, is declared in vi-local-server.h.
 */
struct _ViLocalServer {
  GObject parent_instance;

  /* The store, the write side, the counters, the lock: what handlers see. */
  ViServerState state;
  /* Faults, limits, authentication and routing of requests. */
  ViServerDispatch dispatch;

  /* Owned by the server's thread while it runs. */
  SoupServer         *soup;
  GMainContext       *context;
  GMainLoop          *loop;
  GThread            *thread;
  GInetSocketAddress *listen_address;
  GSocket            *listen_socket;
  GSource            *accept_source;
  GSocket            *keepalive_peer; /* see keep_connections_alive() */

  /* Start-up handshake with the server's thread. */
  GCond    started_cond;
  gboolean started;
  GError  *start_error;

  int port; /* atomic: read from any thread */
};

G_END_DECLS
