/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * A part as the API serves it: the one writer of the wire shape on the
 * server's side, held to tests/lib/schema/ by test-schema.
 */
#include "config.h"

#include "vi-store-private.h"
#include "vi-server-json.h"

/* ---- JSON of a part, as served ------------------------------------------ */

const char *
vi_store_part_bound_type (ViStorePartKind kind)
{
  switch (kind) {
    case VI_STORE_PART_CAPTION:
      return "caption";
    case VI_STORE_PART_BOX:
      return "box";
    case VI_STORE_PART_VQA:
    default:
      return "vqa";
  }
}

/* The role and the contents kind of a part.  The SDK knows only "Caption"
 * and "PhraseGroundingBoundingBox"; VQA parts are served with role and kind
 * "Vqa" and contents {question, answer} (docs/decisions.md, "Lines become
 * parts"): libvi keeps parts of unknown kind, the Python SDK would refuse
 * them. */
static const char *
part_role (ViStorePartKind kind)
{
  switch (kind) {
    case VI_STORE_PART_CAPTION:
      return "Caption";
    case VI_STORE_PART_BOX:
      return "PhraseGroundingBoundingBox";
    case VI_STORE_PART_VQA:
    default:
      return "Vqa";
  }
}

static void
append_point (GString *out, double x, double y)
{
  g_string_append_c (out, '[');
  vi_server_json_append_double (out, x);
  g_string_append_c (out, ',');
  vi_server_json_append_double (out, y);
  g_string_append_c (out, ']');
}

/* The 4 corners [[x1,y1],[x2,y1],[x2,y2],[x1,y2]] and the span. */
char *
vi_store_box_contents_json (const ViStoreAnnotation *ann)
{
  GString *out = g_string_sized_new (128);

  APPEND_LITERAL (out, "\"bound\":[");
  append_point (out, ann->bbox.x_min, ann->bbox.y_min);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_max, ann->bbox.y_min);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_max, ann->bbox.y_max);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_min, ann->bbox.y_max);
  APPEND_LITERAL (out, "],\"target\":[");
  vi_json_append_int (out, ann->target[0]);
  g_string_append_c (out, ',');
  vi_json_append_int (out, ann->target[1]);
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

/* Called with the store's lock held: a box's contents are formatted the
 * first time they are served and kept, as formatting doubles dominates
 * listing; an import does not pay for what may never be listed. */
void
vi_store_annotation_to_json (ViStoreAnnotation *ann, GString *out)
{
  const ViStoreAsset *asset = ann->asset;
  const char         *role = part_role (ann->kind);

  /* Ids are [A-Za-z0-9_-] (checked when created or loaded), so they are
   * written without escaping. */
  APPEND_LITERAL (out, "{\"kind\":\"Annotation\",\"annotationId\":\"");
  g_string_append (out, ann->id);
  APPEND_LITERAL (out, "\",");
  g_string_append (out, asset->json_ids);
  APPEND_LITERAL (out, ",\"spec\":{\"boundType\":\"");
  g_string_append (out, vi_store_part_bound_type (ann->kind));
  APPEND_LITERAL (out, "\",\"tag\":0,\"aggregation\":{\"whole\":{\"id\":\"");
  g_string_append (out, ann->group_id);
  APPEND_LITERAL (out, "\"},\"thisPart\":{\"role\":\"");
  g_string_append (out, role);
  APPEND_LITERAL (out, "\"}},\"contents\":{\"kind\":\"");
  g_string_append (out, role);
  APPEND_LITERAL (out, "\",");

  switch (ann->kind) {
    case VI_STORE_PART_CAPTION:
      APPEND_LITERAL (out, "\"contents\":");
      vi_json_append_string (out, ann->text);
      break;
    case VI_STORE_PART_BOX:
      if (ann->box_json == NULL)
        ann->box_json = vi_store_box_contents_json (ann);
      g_string_append (out, ann->box_json);
      break;
    case VI_STORE_PART_VQA:
    default:
      APPEND_LITERAL (out, "\"question\":");
      vi_json_append_string (out, ann->text);
      APPEND_LITERAL (out, ",\"answer\":");
      vi_json_append_string (out, ann->answer);
      break;
  }

  APPEND_LITERAL (out, "}},\"metadata\":{\"timeCreated\":");
  vi_json_append_int (out, ann->time_created);
  APPEND_LITERAL (out, ",\"lastUpdated\":");
  vi_json_append_int (out, ann->last_updated);
  APPEND_LITERAL (out, ",\"generation\":");
  vi_json_append_int (out, ann->generation);
  APPEND_LITERAL (out, ",\"attributes\":{}},\"selfLink\":\"");
  g_string_append (out, asset->self_prefix);
  g_string_append (out, ann->id);
  APPEND_LITERAL (out, "\",\"etag\":");
  vi_json_append_string (out, ann->etag);
  g_string_append_c (out, '}');
}
