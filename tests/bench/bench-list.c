/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * bench-list URL DATASET ASSET PAGE_SIZE
 *
 * Lists every annotation of one asset with libvi, decoding all of them,
 * and prints "<seconds> <items> <pages>".  Credentials come from the
 * environment, as for any libvi program.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <vi/vi.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  ViAnnotationPage *page;
  guint64           items = 0, boxes = 0;
  gint64            start, end;

  if (argc != 5) {
    fprintf (stderr, "usage: bench-list URL DATASET ASSET PAGE_SIZE\n");
    return 2;
  }

  client = vi_client_new (argv[1], NULL, NULL, NULL, &error);
  if (client == NULL) {
    fprintf (stderr, "bench-list: %s\n", error->message);
    return 1;
  }

  start = g_get_monotonic_time ();
  pager = vi_client_iterate_annotations (client, argv[2], argv[3],
                                         atoi (argv[4]));
  while ((page = vi_annotation_pager_next (pager, NULL, &error)) != NULL) {
    for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++) {
      ViAnnotation        *a = vi_annotation_page_get_item (page, i);
      ViAnnotationContent *c = vi_annotation_spec_get_contents (
          vi_annotation_get_spec (a));
      ViBBox b;

      /* Touch what a user would read, so nothing is decoded for nothing. */
      if (vi_annotation_content_get_bbox (c, &b))
        boxes++;
      items++;
    }
    vi_annotation_page_unref (page);
  }
  end = g_get_monotonic_time ();
  if (error != NULL) {
    fprintf (stderr, "bench-list: %s\n", error->message);
    return 1;
  }
  printf ("%.6f %" G_GUINT64_FORMAT " %u %" G_GUINT64_FORMAT "\n",
          (end - start) / 1e6, items, vi_annotation_pager_get_n_pages (pager),
          boxes);
  return 0;
}
