/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer: each argument is a file or a folder of files.  meson test
 * builds every target with this driver and replays its seed corpus and its
 * regression inputs (inputs that once crashed or diverged), so the suite
 * keeps them fixed with any compiler, under the sanitizers too.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint
replay_path (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize            len = 0;
  guint            n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const char *name;
    guint       i;

    if (dir == NULL)
      g_error ("%s", error->message);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
    /* A fixed order, so that a failure names the same file every run. */
    g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
    for (i = 0; i < names->len; i++)
      n += replay_path (g_ptr_array_index (names, i));
    return n;
  }

  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  g_printerr ("replay %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  return 1;
}

int
main (int argc, char **argv)
{
  guint n = 0;
  int   i;

  for (i = 1; i < argc; i++)
    n += replay_path (argv[i]);
  if (n == 0) {
    g_printerr ("replay: no input\n");
    return 1;
  }
  printf ("%u inputs replayed\n", n);
  return 0;
}
