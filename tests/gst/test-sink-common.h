/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* What the viannotsink tests share: a scratch directory and its removal,
 * and the server fixture with an empty dataset "b" for the sink to upload
 * to (tests that use the server define SINK_TEST_WITH_SERVER before
 * including this). */

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

static G_GNUC_UNUSED gchar *
make_tmp_dir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("viannotsink-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

#ifdef SINK_TEST_WITH_SERVER
#include "test-gst-server.h"

#define SESSIONS "/workspaces/" ORG "/datasets/" ORG "_b/annotationImportSessions"

/* A scratch directory per test, the fixture's: the spool, files. */
static const gchar *work;

static void
setup (void)
{
  GError *error = NULL;

  server_setup ();
  work = fixture.dir;
  /* The dataset uploads go to exists, empty. */
  g_assert_true (vi_local_server_clear_dataset (server, "b", &error));
  g_assert_no_error (error);
}

static void
teardown (void)
{
  work = NULL;
  server_teardown ();
}
#endif
