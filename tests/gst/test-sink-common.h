/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* What the viannotsink tests share: a scratch directory and its removal,
 * and vi-local-server in a thread with an empty dataset "b" for the sink
 * to upload to (tests that use the server define
 * SINK_TEST_WITH_SERVER before including this). */

#include <glib.h>
#include <glib/gstdio.h>

static void G_GNUC_UNUSED
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

static gchar * G_GNUC_UNUSED
make_tmp_dir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("viannotsink-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

#ifdef SINK_TEST_WITH_SERVER
#include "vi-local-server.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define SESSIONS "/workspaces/" ORG "/datasets/" ORG "_b/annotationImportSessions"

static ViLocalServer *server;
static gchar *server_url;
static guint16 server_port;
/* A scratch directory per test: the spool, files. */
static gchar *work;

static void
setup (void)
{
  GError *error = NULL;

  server = vi_local_server_new (NULL, NULL);
  g_assert_true (vi_local_server_start (server, "127.0.0.1", 0, TRUE,
          &error));
  g_assert_no_error (error);
  server_url = vi_local_server_get_url (server);
  server_port = vi_local_server_get_port (server);
  /* The dataset uploads go to exists, empty. */
  g_assert_true (vi_local_server_clear_dataset (server, "b", &error));
  g_assert_no_error (error);
  work = make_tmp_dir ();
}

static void
teardown (void)
{
  vi_local_server_stop (server);
  g_clear_object (&server);
  g_clear_pointer (&server_url, g_free);
  rm_rf (work);
  g_clear_pointer (&work, g_free);
}
#endif
