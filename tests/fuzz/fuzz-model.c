/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libFuzzer target for the response parsers: the bytes are a response body,
 * decoded as every resource the client reads.  Any outcome but a crash, a
 * leak or a sanitizer report is fine; a parse that succeeds must also
 * serialize.
 */
#include "config.h"

#include <vi/vi.h>
#include "vi-json-private.h"
#include "vi-model-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  root = vi_json_parse_bytes (bytes, &error);
  if (root == NULL)
    return 0;

  {
    g_autoptr (ViAnnotationPage) page = NULL;
    g_autoptr (GError) e = NULL;

    page = vi_annotation_page_new_from_json (root, &e);
    if (page != NULL) {
      g_autoptr (JsonNode) back = vi_annotation_page_to_json (page);
      g_assert (back != NULL);
    }
  }
  {
    g_autoptr (ViAnnotation) a = NULL;
    g_autoptr (GError) e = NULL;

    a = vi_annotation_new_from_json (root, &e);
    if (a != NULL) {
      g_autoptr (JsonNode) back = vi_annotation_to_json (a);
      g_autofree char *text = vi_annotation_to_string (a);
      g_assert (back != NULL && text != NULL);
    }
  }
  {
    g_autoptr (ViAnnotationImportSession) s = NULL;
    g_autoptr (GError) e = NULL;

    s = vi_annotation_import_session_new_from_json (root, &e);
    if (s != NULL) {
      g_autoptr (JsonNode) back = vi_annotation_import_session_to_json (s);
      g_autoptr (ViAnnotationUploadResult)
          r = vi_annotation_upload_result_new (s);
      g_autofree char *summary = vi_annotation_upload_result_summary (r);
      g_assert (back != NULL && summary != NULL);
    }
  }
  {
    g_autoptr (ViExportedAnnotations) x = NULL;
    g_autoptr (GError) e = NULL;

    x = vi_exported_annotations_new_from_json (root, &e);
    if (x != NULL) {
      g_autoptr (JsonNode) back = vi_exported_annotations_to_json (x);
      g_assert (back != NULL);
    }
  }
  {
    g_autoptr (GPtrArray) uploads = NULL;
    g_autoptr (GError) e = NULL;

    uploads = _vi_signed_uploads_from_json (root, &e);
  }
  return 0;
}
