/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * bench-decode PAGE.json [N [direct]]
 *
 * Decodes and frees one saved list page N times (default 200), with the
 * direct reader (_vi_annotation_page_new_from_bytes()) and with the
 * json-glib tree route (vi_json_parse_bytes() then
 * vi_annotation_page_new_from_json()), and prints the time per page and
 * the throughput of each.  With "direct", only the direct reader runs
 * (for profiling).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <vi/vi.h>
#include "vi-json-private.h"
#include "vi-model-private.h"

typedef ViAnnotationPage *(*DecodeFunc) (GBytes *bytes, GError **error);

static ViAnnotationPage *
decode_tree (GBytes *bytes, GError **error)
{
  g_autoptr (JsonNode) root = vi_json_parse_bytes (bytes, error);

  if (root == NULL)
    return NULL;
  return vi_annotation_page_new_from_json (root, error);
}

/* n decodes, in batches of up to 20: the time per page of the fastest
 * batch, in ms (the machine may be busy with something else). */
static double
run (const char *name, DecodeFunc decode, GBytes *bytes, guint n)
{
  double best = G_MAXDOUBLE;
  guint  items = 0;
  guint  done, batch, i;

  for (done = 0; done < n; done += batch) {
    gint64 start = g_get_monotonic_time ();
    double ms;

    batch = MIN (20, n - done);
    for (i = 0; i < batch; i++) {
      g_autoptr (GError) error = NULL;
      ViAnnotationPage *page = decode (bytes, &error);

      if (page == NULL) {
        fprintf (stderr, "bench-decode: %s: %s\n", name, error->message);
        exit (1);
      }
      items = vi_annotation_page_get_n_items (page);
      vi_annotation_page_unref (page);
    }
    ms = (g_get_monotonic_time () - start) / 1e3 / batch;
    best = MIN (best, ms);
  }
  printf ("%-8s %8.4f ms/page  %8.1f MB/s  (%u items, best batch of %u pages)\n",
          name, best, g_bytes_get_size (bytes) / (best / 1e3) / 1e6, items,
          MIN (20, n));
  return best;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char  *contents = NULL;
  gsize  len = 0;
  guint  n = 200;
  double direct, tree;

  if (argc < 2 || argc > 4) {
    fprintf (stderr, "usage: bench-decode PAGE.json [N [direct]]\n");
    return 2;
  }
  if (argc >= 3)
    n = MAX (1, atoi (argv[2]));
  if (!g_file_get_contents (argv[1], &contents, &len, &error)) {
    fprintf (stderr, "bench-decode: %s\n", error->message);
    return 1;
  }
  bytes = g_bytes_new_take (contents, len);

  direct = run ("direct", _vi_annotation_page_new_from_bytes, bytes, n);
  if (argc == 4 && g_str_equal (argv[3], "direct"))
    return 0;
  tree = run ("tree", decode_tree, bytes, MAX (1, n / 10));
  printf ("direct is %.1fx the tree route\n", tree / direct);
  return 0;
}
