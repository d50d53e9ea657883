/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libFuzzer target for the ZIP reader of export downloads: the bytes are
 * an archive as a server would send it.  It is checked (_vi_zip_verify())
 * and extracted (_vi_zip_extract()) into a folder of its own, with small
 * caps, then the folder is emptied.  Nothing may crash, leak, log a
 * critical, or write outside that folder: after each input, the parent
 * folder holds the archive and the destination only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <vi/vi.h>
#include "vi-zip-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *work_dir;
static char *archive;
static char *dest;

static void
remove_tree (const char *path)
{
  GDir       *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL) {
    g_unlink (path);
    return;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
        !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
cleanup (void)
{
  if (work_dir != NULL)
    remove_tree (work_dir);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const reserved[] = { "a.zip", "a.zip.part", NULL };
  ViZipLimits              limits = { 1024 * 1024, 256, reserved };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  const char *name;
  guint       n = 0;

  if (work_dir == NULL) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    work_dir = g_dir_make_tmp ("fuzz-zip-XXXXXX", NULL);
    if (work_dir == NULL)
      abort ();
    archive = g_build_filename (work_dir, "a.zip", NULL);
    dest = g_build_filename (work_dir, "out", NULL);
    atexit (cleanup);
  }

  if (!g_file_set_contents (archive, (const char *) data, (gssize) size, NULL))
    abort ();
  if (_vi_zip_verify (archive, &error) != (error == NULL))
    abort ();
  g_clear_error (&error);
  if (_vi_zip_extract (archive, dest, &limits, &n, NULL, &error)) {
    if (error != NULL || n > limits.max_entries)
      abort ();
  } else if (error == NULL ||
             !(error->domain == VI_ERROR || error->domain == G_IO_ERROR)) {
    abort ();
  }

  /* Nothing but the archive and the destination. */
  listing = g_dir_open (work_dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL) {
    if (!g_str_equal (name, "a.zip") && !g_str_equal (name, "out"))
      abort ();
  }
  remove_tree (dest);
  return 0;
}
