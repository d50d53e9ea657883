/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* The shared server fixture of the tests (tests/common/vi-test-server.h)
 * as the gst-check programs use it: one fixture per test, made by the
 * tcase's checked fixture (server_setup() and server_teardown()), and its
 * parts under the short names the tests use, borrowed from it.  A test
 * takes the server down and up again on the same port with
 * vi_test_server_stop (&fixture) and vi_test_server_start (&fixture). */

#include <gst/check/gstcheck.h>

#include "vi-test-server.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
/* Shaped like a key, but not the server's. */
#define WRONG_KEY \
  "dtvi_wrong_key_for_the_tests_" \
  "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"

static ViTestServer fixture;
static ViLocalServer *server;
static const gchar *server_url;

static void G_GNUC_UNUSED
server_setup (void)
{
  vi_test_server_setup (&fixture, NULL);
  server = fixture.server;
  server_url = fixture.url;
}

static void G_GNUC_UNUSED
server_teardown (void)
{
  server = NULL;
  server_url = NULL;
  vi_test_server_teardown (&fixture, NULL);
}

/* Waits until the server has seen @n requests of @method under @prefix
 * (either may be NULL: any): woken by the server as each one comes in,
 * and a request the server holds counts when it arrives.  The limit is a
 * safety net, not a timing assertion. */
static void G_GNUC_UNUSED
server_wait_requests (const gchar * method, const gchar * prefix, guint n)
{
  fail_unless (vi_local_server_wait_for_requests (server, method, prefix, n,
          120 * 1000), "the server saw no %u %s %s", n, GST_STR_NULL (method),
      GST_STR_NULL (prefix));
}
