/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * bench-upload URL DATASET FILE
 *
 * Uploads FILE with libvi and waits until the import is complete, then
 * prints "<seconds> <annotations> <peak RSS in KiB> <seconds until the
 * files were in>": the last is the client's own part (session, register,
 * send, PATCH), the rest is the server processing.  Credentials come from
 * the environment.
 */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include <vi/vi.h>

static gint64 start, files_in;

static void
progress (const ViUploadProgress *p, gpointer user_data)
{
  if (p->stage == VI_UPLOAD_STAGE_PROCESSING && files_in == 0)
    files_in = g_get_monotonic_time ();
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  const char     *paths[2] = { NULL, NULL };
  ViUploadOptions options;
  struct rusage   usage;
  gint64          end;

  if (argc != 4) {
    fprintf (stderr, "usage: bench-upload URL DATASET FILE\n");
    return 2;
  }
  client = vi_client_new (argv[1], NULL, NULL, NULL, &error);
  if (client == NULL) {
    fprintf (stderr, "bench-upload: %s\n", error->message);
    return 1;
  }
  paths[0] = argv[3];
  vi_upload_options_init (&options);
  options.poll_interval_ms = 100;

  start = g_get_monotonic_time ();
  result = vi_client_upload_annotations (client, argv[2], paths, &options,
                                         progress, NULL, NULL, &error);
  end = g_get_monotonic_time ();
  if (result == NULL) {
    fprintf (stderr, "bench-upload: %s\n", error->message);
    return 1;
  }
  getrusage (RUSAGE_SELF, &usage);
  printf ("%.6f %" G_GINT64_FORMAT " %ld %.6f\n", (end - start) / 1e6,
          vi_annotation_upload_result_get_total_annotations (result),
          usage.ru_maxrss, ((files_in ? files_in : end) - start) / 1e6);
  return 0;
}
