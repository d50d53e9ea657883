/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/*
 * The fixture of every test that talks to vi-local-server: a server
 * started in a thread of the test on an ephemeral loopback port, its URL,
 * and a client of it with the server's credentials and a short retry
 * backoff.  Register a test with
 *
 *   g_test_add ("/area/case", ViTestServer, NULL, vi_test_server_setup,
 *               test_case, vi_test_server_teardown);
 *
 * or VI_TEST_SERVER_ADD ("/area/case", test_case).  A test seeds the
 * server with vi_local_server_add_record() and friends, which work on a
 * running server.  vi_test_server_setup_stopped() leaves the server
 * unstarted, for tests that set a data directory or limits first
 * (vi_test_server_start()); vi_test_server_restart() restarts it, as a
 * new process would.  vi_test_server_stop() and vi_test_server_start()
 * take the same server down and up again on the same port (an outage).
 *
 * The fixture is plain data: a gst-check test keeps one in a static and
 * calls vi_test_server_setup() and vi_test_server_teardown() from its
 * tcase fixture.
 */

#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-local-server.h"

G_BEGIN_DECLS

typedef struct {
  ViLocalServer *server;
  char          *url;
  ViClient      *client;  /* libvi's, with the server's credentials */
  SoupSession   *session; /* for raw HTTP (vi-test-http.h) */
  char          *dir;     /* a temporary folder of the test, removed after it */
  guint16        port;    /* once started; kept across vi_test_server_stop() */
} ViTestServer;

void vi_test_server_setup (ViTestServer *fixture, gconstpointer data);
void vi_test_server_setup_stopped (ViTestServer *fixture, gconstpointer data);
void vi_test_server_teardown (ViTestServer *fixture, gconstpointer data);
void vi_test_server_start (ViTestServer *fixture);
void vi_test_server_stop (ViTestServer *fixture);
void vi_test_server_restart (ViTestServer *fixture, const char *data_dir);

ViClient *vi_test_server_new_client (ViTestServer *fixture,
                                     const char   *secret_key,
                                     const char   *organization_id);

void vi_test_server_add_caption (ViTestServer *fixture,
                                 const char   *dataset_id,
                                 const char   *asset_id,
                                 const char   *caption);

GThread *vi_test_server_cancel_on_request (ViLocalServer *server,
                                           GCancellable  *cancellable,
                                           const char    *method,
                                           const char    *path_prefix,
                                           guint          n);
GThread *vi_test_server_cancel_on_request_in (ViLocalServer *server,
                                              GCancellable  *cancellable,
                                              GMainContext  *context,
                                              const char    *method,
                                              const char    *path_prefix,
                                              guint          n);

#define VI_TEST_SERVER_ADD(path, func)                                  \
  g_test_add ((path), ViTestServer, NULL, vi_test_server_setup, (func), \
              vi_test_server_teardown)

G_END_DECLS
