/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * JSON in and out for annotations and pages (the json-glib tree reader;
 * pages of a list are read from their bytes by vi-page-reader.c, with the
 * same rules and messages).
 *
 * Parsing is strict about what the SDK requires (a missing required field
 * or a wrong type is VI_ERROR_INVALID_RESPONSE naming the JSON path) and
 * lenient where the SDK would fail a whole page for no good reason: unknown
 * members are ignored, and an unknown content kind or role is kept as the
 * UNKNOWN value with the string as sent.  Paths live on the stack
 * (ViJsonPath) and are only rendered when an error is reported.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/* `bound`: a list of [x, y] points, at least one, each exactly two finite
 * numbers.  Returns 2 * n_points doubles. */
static double *
parse_bound (JsonObject       *contents,
             const ViJsonPath *contents_path,
             gsize            *n_points,
             GError          **error)
{
  ViJsonPath         bound_path = VI_JSON_PATH_MEMBER (contents_path, "bound");
  g_autofree double *points = NULL;
  JsonArray         *bound;
  guint              n, i;

  if (!vi_json_get_array (contents, contents_path, "bound", TRUE, &bound,
                          error))
    return NULL;

  n = json_array_get_length (bound);
  if (n == 0) {
    vi_json_set_error (error, &bound_path, "expected at least one point");
    return NULL;
  }

  points = g_new (double, 2 * (gsize) n);
  for (i = 0; i < n; i++) {
    ViJsonPath point_path = VI_JSON_PATH_INDEX (&bound_path, (int) i);
    JsonArray *point;
    guint      j;

    point = vi_json_require_array (json_array_get_element (bound, i),
                                   &point_path, error);
    if (point == NULL)
      return NULL;
    if (json_array_get_length (point) != 2) {
      vi_json_set_error (error, &point_path,
                         "expected a point of 2 numbers, got %u elements",
                         json_array_get_length (point));
      return NULL;
    }
    for (j = 0; j < 2; j++) {
      ViJsonPath coord_path = VI_JSON_PATH_INDEX (&point_path, (int) j);

      if (!vi_json_node_get_double (json_array_get_element (point, j),
                                    &coord_path, &points[2 * i + j], error))
        return NULL;
    }
  }

  *n_points = n;
  return g_steal_pointer (&points);
}

/* `target`: exactly two integers that fit in an int. */
static gboolean
parse_target (JsonObject       *contents,
              const ViJsonPath *contents_path,
              int               target[2],
              GError          **error)
{
  ViJsonPath target_path = VI_JSON_PATH_MEMBER (contents_path, "target");
  JsonArray *array;
  guint      j;

  if (!vi_json_get_array (contents, contents_path, "target", TRUE, &array,
                          error))
    return FALSE;
  if (json_array_get_length (array) != 2) {
    vi_json_set_error (error, &target_path,
                       "expected 2 integers, got %u elements",
                       json_array_get_length (array));
    return FALSE;
  }
  for (j = 0; j < 2; j++) {
    ViJsonPath index_path = VI_JSON_PATH_INDEX (&target_path, (int) j);
    gint64     value;

    if (!vi_json_node_get_int (json_array_get_element (array, j), &index_path,
                               &value, error))
      return FALSE;
    if (value < G_MININT || value > G_MAXINT) {
      vi_json_set_error (error, &index_path, "integer out of range");
      return FALSE;
    }
    target[j] = (int) value;
  }
  return TRUE;
}

/* The `contents` union, tagged by a mandatory `kind`.  A kind this version
 * does not know is kept with its raw JSON (L-4). */
static ViAnnotationContent *
parse_contents (JsonObject *spec, const ViJsonPath *spec_path, GError **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (spec_path, "contents");
  JsonObject *contents;
  const char *kind;

  if (!vi_json_get_object (spec, spec_path, "contents", TRUE, &contents,
                           error) ||
      !vi_json_get_string (contents, &path, "kind", TRUE, &kind, error))
    return NULL;

  switch (vi_content_kind_from_string (kind)) {
    case VI_CONTENT_KIND_CAPTION: {
      const char *text = "";

      if (!vi_json_get_string (contents, &path, "contents", FALSE, &text,
                               error))
        return NULL;
      return vi_annotation_content_new_caption (text);
    }

    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX: {
      g_autofree double *points = NULL;
      g_autoptr (GError) bound_error = NULL;
      gsize     n_points = 0;
      int       target[2];
      JsonNode *bound = json_object_get_member (contents, "bound");

      /* A bound that is there but of another shape keeps the part (the
       * SDK does not fail a page for it); a missing or null one is an
       * error, as any required field. */
      points = parse_bound (contents, &path, &n_points, &bound_error);
      if (points == NULL && (bound == NULL || JSON_NODE_HOLDS_NULL (bound))) {
        g_propagate_error (error, g_steal_pointer (&bound_error));
        return NULL;
      }
      if (!parse_target (contents, &path, target, error))
        return NULL;
      if (points == NULL)
        return _vi_annotation_content_new_box_unread_in (
            NULL, json_object_get_member (spec, "contents"), target[0],
            target[1]);
      return vi_annotation_content_new_phrase_grounding_bounding_box (points,
                                                                      n_points,
                                                                      target[0],
                                                                      target[1]);
    }

    case VI_CONTENT_KIND_VQA: {
      const char *question, *answer;

      if (!vi_json_get_string (contents, &path, "question", TRUE, &question,
                               error) ||
          !vi_json_get_string (contents, &path, "answer", TRUE, &answer, error))
        return NULL;
      return vi_annotation_content_new_vqa (question, answer);
    }

    case VI_CONTENT_KIND_UNKNOWN:
    default:
      return _vi_annotation_content_new_unknown (
          kind, json_object_get_member (spec, "contents"));
  }
}

static ViAnnotationSpec *
parse_annotation_spec (JsonObject       *annotation,
                       const ViJsonPath *annotation_path,
                       GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (annotation_path, "spec");
  ViJsonPath aggregation_path = VI_JSON_PATH_MEMBER (&path, "aggregation");
  ViJsonPath whole_path = VI_JSON_PATH_MEMBER (&aggregation_path, "whole");
  ViJsonPath part_path = VI_JSON_PATH_MEMBER (&aggregation_path, "thisPart");
  g_autoptr (ViAnnotationContent) contents = NULL;
  JsonObject *spec, *aggregation, *whole, *part;
  const char *bound_type, *whole_id, *role;
  gint64      tag;

  if (!vi_json_get_object (annotation, annotation_path, "spec", TRUE, &spec,
                           error) ||
      !vi_json_get_string (spec, &path, "boundType", TRUE, &bound_type,
                           error) ||
      !vi_json_get_int (spec, &path, "tag", TRUE, &tag, error) ||
      !vi_json_get_object (spec, &path, "aggregation", TRUE, &aggregation,
                           error) ||
      !vi_json_get_object (aggregation, &aggregation_path, "whole", TRUE,
                           &whole, error) ||
      !vi_json_get_string (whole, &whole_path, "id", TRUE, &whole_id, error) ||
      !vi_json_get_object (aggregation, &aggregation_path, "thisPart", TRUE,
                           &part, error) ||
      !vi_json_get_string (part, &part_path, "role", TRUE, &role, error))
    return NULL;

  contents = parse_contents (spec, &path, error);
  if (contents == NULL)
    return NULL;

  return _vi_annotation_spec_new_full (bound_type, tag, whole_id,
                                       vi_role_from_string (role), role,
                                       contents);
}

/* ------------------------------------------------------------------------
 * Annotation
 * ------------------------------------------------------------------------ */

ViAnnotation *
_vi_annotation_from_json (JsonNode         *node,
                          const ViJsonPath *path,
                          GError          **error)
{
  g_autoptr (ViAnnotationSpec) spec = NULL;
  g_autoptr (ViResourceMetadata) metadata = NULL;
  g_autofree char *dataset_id = NULL;
  const char      *annotation_id, *asset_id, *organization_id, *wire_dataset_id;
  const char      *self_link, *etag;
  JsonObject      *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !vi_json_check_kind (object, path, "Annotation", error) ||
      !vi_json_get_string (object, path, "annotationId", TRUE, &annotation_id,
                           error) ||
      !vi_json_get_string (object, path, "assetId", TRUE, &asset_id, error) ||
      !vi_json_get_string (object, path, "workspaceId", TRUE, &organization_id,
                           error) ||
      !vi_json_get_string (object, path, "datasetId", TRUE, &wire_dataset_id,
                           error))
    return NULL;

  spec = parse_annotation_spec (object, path, error);
  if (spec == NULL)
    return NULL;
  metadata = _vi_resource_metadata_from_json (object, path, error);
  if (metadata == NULL)
    return NULL;

  if (!vi_json_get_string (object, path, "selfLink", TRUE, &self_link, error) ||
      !vi_json_get_string (object, path, "etag", TRUE, &etag, error))
    return NULL;

  dataset_id = _vi_strip_dataset_prefix (organization_id, wire_dataset_id);
  return vi_annotation_new (annotation_id, asset_id, organization_id,
                            dataset_id, spec, metadata, self_link, etag);
}

/**
 * vi_annotation_new_from_json:
 * @node: an `Annotation` object (docs/protocol.md §6)
 * @error: return location for a #GError
 *
 * Reads an annotation part from JSON.  A missing required member or one of
 * the wrong type is %VI_ERROR_INVALID_RESPONSE, whose message names the
 * JSON path (`spec.contents.bound`).  Unknown members are ignored; a
 * content kind or role this version does not know is kept (as
 * %VI_CONTENT_KIND_UNKNOWN with its raw JSON, or %VI_ROLE_UNKNOWN with its
 * name).  The `"{organization}_"` prefix of `datasetId` is removed.
 *
 * Returns: (transfer full) (nullable): the annotation, or %NULL with @error
 *   set
 */
ViAnnotation *
vi_annotation_new_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _vi_annotation_from_json (node, &root, error);
}

static JsonNode *
contents_to_json (const ViAnnotationContent *contents)
{
  JsonObject   *object;
  JsonArray    *array;
  const double *bound;
  gsize         n_points, i;
  int           start, end;

  switch (vi_annotation_content_get_kind (contents)) {
    case VI_CONTENT_KIND_CAPTION:
      object = json_object_new ();
      json_object_set_string_member (object, "kind", "Caption");
      json_object_set_string_member (object, "contents",
                                     vi_annotation_content_get_caption (
                                         contents));
      return vi_json_node_take_object (object);

    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
      /* A bound that was not read goes back as it came. */
      if (vi_annotation_content_get_raw_json (contents) != NULL)
        return json_node_copy (vi_annotation_content_get_raw_json (contents));
      object = json_object_new ();
      json_object_set_string_member (object, "kind",
                                     "PhraseGroundingBoundingBox");
      bound = vi_annotation_content_get_bound (contents, &n_points);
      array = vi_json_add_array (object, "bound");
      for (i = 0; i < n_points; i++) {
        JsonArray *point = json_array_sized_new (2);

        json_array_add_double_element (point, bound[2 * i]);
        json_array_add_double_element (point, bound[2 * i + 1]);
        json_array_add_array_element (array, point);
      }
      vi_annotation_content_get_target (contents, &start, &end);
      array = vi_json_add_array (object, "target");
      json_array_add_int_element (array, start);
      json_array_add_int_element (array, end);
      return vi_json_node_take_object (object);

    case VI_CONTENT_KIND_VQA:
      object = json_object_new ();
      json_object_set_string_member (object, "kind", "Vqa");
      json_object_set_string_member (object, "question",
                                     vi_annotation_content_get_question (
                                         contents));
      json_object_set_string_member (object, "answer",
                                     vi_annotation_content_get_answer (
                                         contents));
      return vi_json_node_take_object (object);

    case VI_CONTENT_KIND_UNKNOWN:
    default:
      if (vi_annotation_content_get_raw_json (contents) != NULL)
        return json_node_copy (vi_annotation_content_get_raw_json (contents));
      object = json_object_new ();
      json_object_set_string_member (object, "kind",
                                     vi_annotation_content_get_kind_name (
                                         contents));
      return vi_json_node_take_object (object);
  }
}

/**
 * vi_annotation_to_json:
 * @self: a #ViAnnotation
 *
 * Writes @self as the API's `Annotation` object (docs/protocol.md §6), with
 * `kind`, camelCase members, `workspaceId` and the composite
 * `"{organization}_{dataset}"` `datasetId`, so that
 * vi_annotation_new_from_json() reads the same annotation back.
 *
 * Returns: (transfer full): a new JSON object node
 */
JsonNode *
vi_annotation_to_json (const ViAnnotation *self)
{
  const ViAnnotationSpec *spec;
  JsonObject             *object, *spec_object, *aggregation, *part;
  g_autofree char        *dataset_id = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  spec = vi_annotation_get_spec (self);
  dataset_id =
      vi_json_compose_dataset_id (vi_annotation_get_organization_id (self),
                                  vi_annotation_get_dataset_id (self));

  object = json_object_new ();
  json_object_set_string_member (object, "kind", "Annotation");
  json_object_set_string_member (object, "annotationId",
                                 vi_annotation_get_annotation_id (self));
  json_object_set_string_member (object, "assetId",
                                 vi_annotation_get_asset_id (self));
  json_object_set_string_member (object, "workspaceId",
                                 vi_annotation_get_organization_id (self));
  json_object_set_string_member (object, "datasetId", dataset_id);

  spec_object = vi_json_add_object (object, "spec");
  json_object_set_string_member (spec_object, "boundType",
                                 vi_annotation_spec_get_bound_type (spec));
  json_object_set_int_member (spec_object, "tag",
                              vi_annotation_spec_get_tag (spec));
  aggregation = vi_json_add_object (spec_object, "aggregation");
  json_object_set_string_member (vi_json_add_object (aggregation, "whole"),
                                 "id", vi_annotation_spec_get_whole_id (spec));
  part = vi_json_add_object (aggregation, "thisPart");
  json_object_set_string_member (part, "role",
                                 vi_annotation_spec_get_role_name (spec));
  json_object_set_member (spec_object, "contents",
                          contents_to_json (
                              vi_annotation_spec_get_contents (spec)));

  _vi_resource_metadata_to_json (object, vi_annotation_get_metadata (self));
  json_object_set_string_member (object, "selfLink",
                                 vi_annotation_get_self_link (self));
  json_object_set_string_member (object, "etag", vi_annotation_get_etag (self));
  return vi_json_node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Pages (docs/protocol.md §5)
 * ------------------------------------------------------------------------ */

/**
 * vi_annotation_page_new_from_json:
 * @node: a `Pagination` object whose items are `Annotation`s
 * @error: return location for a #GError
 *
 * Reads one page of a list of annotations (docs/protocol.md §5).  `items`
 * may be absent (no items); `nextPage` and `prevPage` may be absent, `null` or
 * `""`, which all mean "none".  An error in an item names its path, e.g.
 * `items[3].spec.contents.bound`.
 *
 * Returns: (transfer full) (nullable): the page, or %NULL with @error set
 */
ViAnnotationPage *
vi_annotation_page_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr (GPtrArray) items = NULL;
  const char *next_page, *prev_page;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  items = vi_json_parse_page (node, (ViJsonItemParser) _vi_annotation_from_json,
                              (GDestroyNotify) vi_annotation_unref, &next_page,
                              &prev_page, error);
  if (items == NULL)
    return NULL;
  return _vi_annotation_page_new (items, next_page, prev_page);
}

/**
 * vi_annotation_page_to_json:
 * @page: a #ViAnnotationPage
 *
 * Serializes a page as the API sends it: `items`, `nextPage` and
 * `prevPage`.
 *
 * Returns: (transfer full): a new JSON node
 */
JsonNode *
vi_annotation_page_to_json (const ViAnnotationPage *page)
{
  JsonObject *object;
  JsonArray  *items;
  guint       i, n;

  g_return_val_if_fail (page != NULL, NULL);

  object = json_object_new ();
  items = vi_json_add_array (object, "items");
  n = vi_annotation_page_get_n_items (page);
  for (i = 0; i < n; i++)
    json_array_add_element (items,
                            vi_annotation_to_json (
                                vi_annotation_page_get_item (page, i)));
  vi_json_set_string_or_null (object, "nextPage",
                              vi_annotation_page_get_next_page (page));
  vi_json_set_string_or_null (object, "prevPage",
                              vi_annotation_page_get_prev_page (page));
  return vi_json_node_take_object (object);
}
