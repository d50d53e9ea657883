/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libFuzzer target for the page decoder the client uses on every list
 * response (_vi_annotation_page_new_from_bytes, with its fast path for
 * the server's own layout), checked against the json-glib tree reader:
 * both fail, or both give the same page.  This is the open-ended form of
 * test-model's /model/direct/fuzz.
 */
#include "config.h"

#include <string.h>

#include <vi/vi.h>
#include "vi-json-private.h"
#include "vi-model-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *
page_to_string (const ViAnnotationPage *page)
{
  g_autoptr (JsonNode) node = vi_annotation_page_to_json (page);

  return json_to_string (node, FALSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) tree_error = NULL;
  g_autoptr (GError) direct_error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (ViAnnotationPage) tree = NULL;
  g_autoptr (ViAnnotationPage) direct = NULL;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);

  root = vi_json_parse_bytes (bytes, &tree_error);
  if (root != NULL)
    tree = vi_annotation_page_new_from_json (root, &tree_error);
  direct = _vi_annotation_page_new_from_bytes (bytes, &direct_error);

  if ((tree == NULL) != (direct == NULL)) {
    g_printerr ("tree: %s\ndirect: %s\n",
                tree_error ? tree_error->message : "(parsed)",
                direct_error ? direct_error->message : "(parsed)");
    abort ();
  }
  if (tree == NULL) {
    g_assert (
        g_error_matches (tree_error, VI_ERROR, VI_ERROR_INVALID_RESPONSE));
    g_assert (
        g_error_matches (direct_error, VI_ERROR, VI_ERROR_INVALID_RESPONSE));
    return 0;
  }

  {
    g_autofree char *a = page_to_string (tree);
    g_autofree char *b = page_to_string (direct);

    if (strcmp (a, b) != 0) {
      g_printerr ("tree:   %s\ndirect: %s\n", a, b);
      abort ();
    }
  }
  return 0;
}
