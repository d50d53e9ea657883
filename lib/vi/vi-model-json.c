/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-annotation.h"
#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/*
 * JSON in and out for the data model (design.md L-3, L-4; vi-api.md §0,
 * §2.5, §2.6, §3, §4.4, §4.6, §8, §9.6).
 *
 * Parsing is strict about what the SDK requires (a missing required field
 * or a wrong type is VI_ERROR_INVALID_RESPONSE naming the JSON path) and
 * lenient where the SDK would fail a whole page for no good reason: unknown
 * members are ignored, and an unknown content kind, role, failure policy,
 * condition status or reason is kept as the UNKNOWN value with the string
 * as sent.  Paths live on the stack (ViJsonPath) and are only rendered when
 * an error is reported.
 */

/* ------------------------------------------------------------------------
 * Parsing helpers
 * ------------------------------------------------------------------------ */

/* The top-level `kind` of a tagged struct decoded on its own: optional,
 * but if present it must name the struct (vi-api.md §0). */
static gboolean
check_kind (JsonObject       *object,
            const ViJsonPath *path,
            const char       *expected,
            GError          **error)
{
  const char *kind = NULL;

  if (!vi_json_get_string (object, path, "kind", FALSE, &kind, error))
    return FALSE;
  if (kind != NULL && strcmp (kind, expected) != 0) {
    ViJsonPath       kind_path = VI_JSON_PATH_MEMBER (path, "kind");
    g_autofree char *shown = _vi_text_excerpt (kind, -1, 64, VI_TEXT_QUOTE);

    vi_json_set_error (error, &kind_path, "expected \"%s\", got %s", expected,
                       shown);
    return FALSE;
  }
  return TRUE;
}

static ViResourceMetadata *
parse_metadata (JsonObject       *parent,
                const ViJsonPath *parent_path,
                GError          **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (parent_path, "metadata");
  JsonObject *object;
  GHashTable *attributes;
  gint64      time_created, last_updated, generation;

  if (!vi_json_get_object (parent, parent_path, "metadata", TRUE, &object,
                           error) ||
      !vi_json_get_int (object, &path, "timeCreated", TRUE, &time_created,
                        error) ||
      !vi_json_get_int (object, &path, "lastUpdated", TRUE, &last_updated,
                        error) ||
      !vi_json_get_int (object, &path, "generation", TRUE, &generation,
                        error) ||
      !vi_json_get_string_map (object, &path, "attributes", TRUE, &attributes,
                               error))
    return NULL;

  return _vi_resource_metadata_new_full (time_created, last_updated, generation,
                                         attributes);
}

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
      gsize              n_points = 0;
      int                target[2];

      points = parse_bound (contents, &path, &n_points, error);
      if (points == NULL || !parse_target (contents, &path, target, error))
        return NULL;
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

/* "{org}_{ds}" as the wire carries it. */
static char *
compose_dataset_id (const char *organization_id, const char *dataset_id)
{
  if (organization_id == NULL || organization_id[0] == '\0')
    return g_strdup (dataset_id);
  return g_strconcat (organization_id, "_", dataset_id, NULL);
}

/* ------------------------------------------------------------------------
 * Serialization helpers
 * ------------------------------------------------------------------------ */

static JsonNode *
node_take_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

static JsonObject *
add_object (JsonObject *parent, const char *member)
{
  JsonObject *child = json_object_new ();

  json_object_set_object_member (parent, member, child);
  return child;
}

static JsonArray *
add_array (JsonObject *parent, const char *member)
{
  JsonArray *child = json_array_new ();

  json_object_set_array_member (parent, member, child);
  return child;
}

static void
set_string_or_null (JsonObject *object, const char *member, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

static const char *
name_or_unknown (const char *name)
{
  return name != NULL ? name : "Unknown";
}

/* Map members in sorted order, so that output does not depend on hash
 * order. */
static void
add_string_map (JsonObject *parent, const char *member, GHashTable *map)
{
  JsonObject             *object = add_object (parent, member);
  g_autofree const char **keys = NULL;
  guint                   n_keys = 0, i;

  if (map == NULL)
    return;
  keys = _vi_sorted_keys (map, &n_keys);
  for (i = 0; i < n_keys; i++)
    json_object_set_string_member (object, keys[i],
                                   g_hash_table_lookup (map, keys[i]));
}

static void
add_count_map (JsonObject *parent, const char *member, GHashTable *map)
{
  JsonObject             *object = add_object (parent, member);
  g_autofree const char **keys = NULL;
  guint                   n_keys = 0, i;

  if (map == NULL)
    return;
  keys = _vi_sorted_keys (map, &n_keys);
  for (i = 0; i < n_keys; i++) {
    const gint64 *count = g_hash_table_lookup (map, keys[i]);

    json_object_set_int_member (object, keys[i], count != NULL ? *count : 0);
  }
}

static void
add_metadata (JsonObject *parent, const ViResourceMetadata *metadata)
{
  JsonObject *object = add_object (parent, "metadata");

  json_object_set_int_member (object, "timeCreated",
                              vi_resource_metadata_get_time_created (metadata));
  json_object_set_int_member (object, "lastUpdated",
                              vi_resource_metadata_get_last_updated (metadata));
  json_object_set_int_member (object, "generation",
                              vi_resource_metadata_get_generation (metadata));
  add_string_map (object, "attributes",
                  vi_resource_metadata_get_attributes (metadata));
}

/* Milliseconds as an integer when they are one (as the SDK sends them),
 * as a float otherwise, so that a parse gives the same double back. */
static void
set_time_member (JsonObject *object, const char *member, double value)
{
  if (isfinite (value) && value == floor (value) &&
      value >= -9007199254740992.0 && value <= 9007199254740992.0)
    json_object_set_int_member (object, member, (gint64) value);
  else
    json_object_set_double_member (object, member,
                                   isfinite (value) ? value : 0.0);
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
  if (object == NULL || !check_kind (object, path, "Annotation", error) ||
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
  metadata = parse_metadata (object, path, error);
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
 * @node: an `Annotation` object (vi-api.md §8)
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
      return node_take_object (object);

    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
      object = json_object_new ();
      json_object_set_string_member (object, "kind",
                                     "PhraseGroundingBoundingBox");
      bound = vi_annotation_content_get_bound (contents, &n_points);
      array = add_array (object, "bound");
      for (i = 0; i < n_points; i++) {
        JsonArray *point = json_array_sized_new (2);

        json_array_add_double_element (point, bound[2 * i]);
        json_array_add_double_element (point, bound[2 * i + 1]);
        json_array_add_array_element (array, point);
      }
      vi_annotation_content_get_target (contents, &start, &end);
      array = add_array (object, "target");
      json_array_add_int_element (array, start);
      json_array_add_int_element (array, end);
      return node_take_object (object);

    case VI_CONTENT_KIND_VQA:
      object = json_object_new ();
      json_object_set_string_member (object, "kind", "Vqa");
      json_object_set_string_member (object, "question",
                                     vi_annotation_content_get_question (
                                         contents));
      json_object_set_string_member (object, "answer",
                                     vi_annotation_content_get_answer (
                                         contents));
      return node_take_object (object);

    case VI_CONTENT_KIND_UNKNOWN:
    default:
      if (vi_annotation_content_get_raw_json (contents) != NULL)
        return json_node_copy (vi_annotation_content_get_raw_json (contents));
      object = json_object_new ();
      json_object_set_string_member (object, "kind",
                                     vi_annotation_content_get_kind_name (
                                         contents));
      return node_take_object (object);
  }
}

/**
 * vi_annotation_to_json:
 * @self: a #ViAnnotation
 *
 * Writes @self as the API's `Annotation` object (vi-api.md §8), with
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
  dataset_id = compose_dataset_id (vi_annotation_get_organization_id (self),
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

  spec_object = add_object (object, "spec");
  json_object_set_string_member (spec_object, "boundType",
                                 vi_annotation_spec_get_bound_type (spec));
  json_object_set_int_member (spec_object, "tag",
                              vi_annotation_spec_get_tag (spec));
  aggregation = add_object (spec_object, "aggregation");
  json_object_set_string_member (add_object (aggregation, "whole"), "id",
                                 vi_annotation_spec_get_whole_id (spec));
  part = add_object (aggregation, "thisPart");
  json_object_set_string_member (part, "role",
                                 vi_annotation_spec_get_role_name (spec));
  json_object_set_member (spec_object, "contents",
                          contents_to_json (
                              vi_annotation_spec_get_contents (spec)));

  add_metadata (object, vi_annotation_get_metadata (self));
  json_object_set_string_member (object, "selfLink",
                                 vi_annotation_get_self_link (self));
  json_object_set_string_member (object, "etag", vi_annotation_get_etag (self));
  return node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Pages (vi-api.md §3)
 * ------------------------------------------------------------------------ */

typedef gpointer (*ItemParser) (JsonNode         *node,
                                const ViJsonPath *path,
                                GError          **error);

/* The Pagination envelope: `items` (default []), `nextPage` and `prevPage`
 * (missing, null or a string; "" means none). */
static GPtrArray *
parse_page (JsonNode      *node,
            ItemParser     parse_item,
            GDestroyNotify free_item,
            const char   **next_page,
            const char   **prev_page,
            GError       **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath items_path = VI_JSON_PATH_MEMBER (&root, "items");
  g_autoptr (GPtrArray) items = NULL;
  JsonObject *object;
  JsonArray  *array;
  guint       n, i;

  *next_page = NULL;
  *prev_page = NULL;
  object = vi_json_require_object (node, &root, error);
  if (object == NULL ||
      !vi_json_get_array (object, &root, "items", FALSE, &array, error))
    return NULL;

  n = array != NULL ? json_array_get_length (array) : 0;
  items = g_ptr_array_new_full (n, free_item);
  for (i = 0; i < n; i++) {
    ViJsonPath item_path = VI_JSON_PATH_INDEX (&items_path, (int) i);
    gpointer   item;

    item = parse_item (json_array_get_element (array, i), &item_path, error);
    if (item == NULL)
      return NULL;
    g_ptr_array_add (items, item);
  }

  if (!vi_json_get_string (object, &root, "nextPage", FALSE, next_page,
                           error) ||
      !vi_json_get_string (object, &root, "prevPage", FALSE, prev_page, error))
    return NULL;
  if (*next_page != NULL && (*next_page)[0] == '\0')
    *next_page = NULL;
  if (*prev_page != NULL && (*prev_page)[0] == '\0')
    *prev_page = NULL;

  return g_steal_pointer (&items);
}

/**
 * vi_annotation_page_new_from_json:
 * @node: a `Pagination` object whose items are `Annotation`s
 * @error: return location for a #GError
 *
 * Reads one page of a list of annotations (vi-api.md §3).  `items` may be
 * absent (no items); `nextPage` and `prevPage` may be absent, `null` or
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

  items = parse_page (node, (ItemParser) _vi_annotation_from_json,
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
  items = add_array (object, "items");
  n = vi_annotation_page_get_n_items (page);
  for (i = 0; i < n; i++)
    json_array_add_element (items,
                            vi_annotation_to_json (
                                vi_annotation_page_get_item (page, i)));
  set_string_or_null (object, "nextPage",
                      vi_annotation_page_get_next_page (page));
  set_string_or_null (object, "prevPage",
                      vi_annotation_page_get_prev_page (page));
  return node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Import sessions (vi-api.md §4.6)
 * ------------------------------------------------------------------------ */

static gboolean
parse_policy (JsonObject       *object,
              const ViJsonPath *path,
              const char       *member,
              ViFailurePolicy  *out,
              GError          **error)
{
  const char *name;

  if (!vi_json_get_string (object, path, member, TRUE, &name, error))
    return FALSE;
  *out = vi_failure_policy_from_string (name);
  return TRUE;
}

static gboolean
parse_import_spec (JsonObject             *session,
                   const ViJsonPath       *session_path,
                   ViAnnotationImportSpec *spec,
                   GError                **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (session_path, "spec");
  ViJsonPath  policies_path = VI_JSON_PATH_MEMBER (&path, "failurePolicies");
  JsonObject *object, *policies;
  const char *source = NULL;

  if (!vi_json_get_object (session, session_path, "spec", TRUE, &object,
                           error) ||
      !vi_json_get_int (object, &path, "uploadBefore", TRUE,
                        &spec->upload_before, error) ||
      !vi_json_get_object (object, &path, "failurePolicies", TRUE, &policies,
                           error) ||
      !parse_policy (policies, &policies_path, "onBadAnnotation",
                     &spec->failure_policies.on_bad_annotation, error) ||
      !parse_policy (policies, &policies_path, "onBadFile",
                     &spec->failure_policies.on_bad_file, error) ||
      !parse_policy (policies, &policies_path, "onOverwritten",
                     &spec->failure_policies.on_overwritten, error) ||
      !vi_json_get_string (object, &path, "source", FALSE, &source, error))
    return FALSE;

  spec->source = source != NULL
      ? vi_annotation_import_source_from_string (source)
      : VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES;
  return TRUE;
}

static ViAnnotationImportSessionCondition *
parse_session_condition (JsonNode *node, const ViJsonPath *path, GError **error)
{
  ViAnnotationImportSessionCondition *condition;
  const char                         *name, *status, *reason = NULL;
  double                              time;
  JsonObject                         *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !vi_json_get_string (object, path, "condition", TRUE, &name, error) ||
      !vi_json_get_string (object, path, "status", TRUE, &status, error) ||
      !vi_json_get_double (object, path, "lastTransitionTime", TRUE, &time,
                           error) ||
      !vi_json_get_string (object, path, "reason", FALSE, &reason, error))
    return NULL;

  condition = vi_annotation_import_session_condition_new (
      name, vi_condition_status_from_string (status), time,
      vi_condition_reason_from_string (reason));
  /* Keep the reason as sent, also when this version does not know it. */
  g_free (condition->reason_name);
  condition->reason_name = g_strdup (reason);
  return condition;
}

static ViAnnotationImportSessionStatus *
parse_session_status (JsonObject       *session,
                      const ViJsonPath *session_path,
                      GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (session_path, "status");
  ViJsonPath conditions_path = VI_JSON_PATH_MEMBER (&path, "conditions");
  ViJsonPath files_path = VI_JSON_PATH_MEMBER (&path, "files");
  ViJsonPath annotations_path = VI_JSON_PATH_MEMBER (&path, "annotations");
  g_autoptr (GPtrArray) conditions = NULL;
  g_autoptr (GHashTable) file_counts = NULL;
  g_autoptr (GHashTable) annotation_counts = NULL;
  JsonObject *object, *files, *annotations;
  JsonArray  *array;
  const char *reason = NULL;
  gint64      page_count, total_size;
  guint       n, i;

  if (!vi_json_get_object (session, session_path, "status", TRUE, &object,
                           error) ||
      !vi_json_get_array (object, &path, "conditions", TRUE, &array, error))
    return NULL;

  n = json_array_get_length (array);
  conditions =
      g_ptr_array_new_full (n,
                            (GDestroyNotify)
                                vi_annotation_import_session_condition_free);
  for (i = 0; i < n; i++) {
    ViJsonPath item_path = VI_JSON_PATH_INDEX (&conditions_path, (int) i);
    ViAnnotationImportSessionCondition *condition;

    condition = parse_session_condition (json_array_get_element (array, i),
                                         &item_path, error);
    if (condition == NULL)
      return NULL;
    g_ptr_array_add (conditions, condition);
  }

  if (!vi_json_get_object (object, &path, "files", TRUE, &files, error) ||
      !vi_json_get_int (files, &files_path, "pageCount", TRUE, &page_count,
                        error) ||
      !vi_json_get_int (files, &files_path, "totalSizeBytes", TRUE, &total_size,
                        error) ||
      !vi_json_get_count_map (files, &files_path, "statusCount", TRUE,
                              &file_counts, error) ||
      !vi_json_get_object (object, &path, "annotations", TRUE, &annotations,
                           error) ||
      !vi_json_get_count_map (annotations, &annotations_path, "statusCount",
                              TRUE, &annotation_counts, error) ||
      !vi_json_get_string (object, &path, "reason", FALSE, &reason, error))
    return NULL;

  return _vi_annotation_import_session_status_new (conditions, page_count,
                                                   total_size, file_counts,
                                                   annotation_counts, reason);
}

ViAnnotationImportSession *
_vi_annotation_import_session_from_json (JsonNode         *node,
                                         const ViJsonPath *path,
                                         GError          **error)
{
  g_autoptr (ViResourceMetadata) metadata = NULL;
  g_autoptr (ViAnnotationImportSessionStatus) status = NULL;
  g_autofree char       *dataset_id = NULL;
  ViAnnotationImportSpec spec;
  const char            *user, *organization_id, *wire_dataset_id, *session_id;
  const char            *self_link, *etag;
  JsonObject            *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !check_kind (object, path, "AnnotationImportSession", error) ||
      !vi_json_get_string (object, path, "user", TRUE, &user, error) ||
      !vi_json_get_string (object, path, "workspaceId", TRUE, &organization_id,
                           error) ||
      !vi_json_get_string (object, path, "datasetId", TRUE, &wire_dataset_id,
                           error) ||
      !vi_json_get_string (object, path, "annotationImportSessionId", TRUE,
                           &session_id, error) ||
      !vi_json_get_string (object, path, "selfLink", TRUE, &self_link, error) ||
      !vi_json_get_string (object, path, "etag", TRUE, &etag, error))
    return NULL;

  metadata = parse_metadata (object, path, error);
  if (metadata == NULL || !parse_import_spec (object, path, &spec, error))
    return NULL;
  status = parse_session_status (object, path, error);
  if (status == NULL)
    return NULL;

  dataset_id = _vi_strip_dataset_prefix (organization_id, wire_dataset_id);
  return _vi_annotation_import_session_new (user, organization_id, dataset_id,
                                            session_id, self_link, etag,
                                            metadata, &spec, status);
}

/**
 * vi_annotation_import_session_new_from_json:
 * @node: an `AnnotationImportSession` object (vi-api.md §4.6)
 * @error: return location for a #GError
 *
 * Reads an import session from JSON, with the rules of
 * vi_annotation_new_from_json(): required members and types are checked,
 * unknown members ignored, an unknown failure policy, source, condition
 * status or reason is kept as the UNKNOWN value.
 *
 * Returns: (transfer full) (nullable): the session, or %NULL with @error
 *   set
 */
ViAnnotationImportSession *
vi_annotation_import_session_new_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _vi_annotation_import_session_from_json (node, &root, error);
}

static void
add_policies (JsonObject                            *parent,
              const ViAnnotationImportFailurePolicy *policies)
{
  JsonObject *object = add_object (parent, "failurePolicies");

  json_object_set_string_member (object, "onBadAnnotation",
                                 name_or_unknown (vi_failure_policy_to_string (
                                     policies->on_bad_annotation)));
  json_object_set_string_member (object, "onBadFile",
                                 name_or_unknown (vi_failure_policy_to_string (
                                     policies->on_bad_file)));
  json_object_set_string_member (object, "onOverwritten",
                                 name_or_unknown (vi_failure_policy_to_string (
                                     policies->on_overwritten)));
}

static void
add_import_spec (JsonObject *parent, const ViAnnotationImportSpec *spec)
{
  JsonObject *object = add_object (parent, "spec");

  json_object_set_int_member (object, "uploadBefore", spec->upload_before);
  add_policies (object, &spec->failure_policies);
  json_object_set_string_member (object, "source",
                                 name_or_unknown (
                                     vi_annotation_import_source_to_string (
                                         spec->source)));
}

static const char *
condition_reason_name (const ViAnnotationImportSessionCondition *condition)
{
  if (condition->reason_name != NULL)
    return condition->reason_name;
  return name_or_unknown (vi_condition_reason_to_string (condition->reason));
}

/* A condition as the API writes it: `reason` omitted when there is none
 * (the SDK's omit_defaults, and its PATCH body, vi-api.md §4.4). */
static JsonNode *
session_condition_to_json (const ViAnnotationImportSessionCondition *condition,
                           gboolean integer_time)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "condition", condition->condition);
  json_object_set_string_member (object, "status",
                                 name_or_unknown (
                                     vi_condition_status_to_string (
                                         condition->status)));
  if (integer_time)
    json_object_set_int_member (object, "lastTransitionTime",
                                isfinite (condition->last_transition_time)
                                    ? (gint64) condition->last_transition_time
                                    : 0);
  else
    set_time_member (object, "lastTransitionTime",
                     condition->last_transition_time);
  if (condition->reason != VI_CONDITION_REASON_NONE)
    json_object_set_string_member (object, "reason",
                                   condition_reason_name (condition));
  return node_take_object (object);
}

/**
 * vi_annotation_import_session_to_json:
 * @self: a #ViAnnotationImportSession
 *
 * Writes @self as the API's `AnnotationImportSession` object (vi-api.md
 * §4.6), so that vi_annotation_import_session_new_from_json() reads the
 * same session back.
 *
 * Returns: (transfer full): a new JSON object node
 */
JsonNode *
vi_annotation_import_session_to_json (const ViAnnotationImportSession *self)
{
  const ViAnnotationImportSessionStatus *status;
  const ViAnnotationFileStatus          *files;
  JsonObject                            *object, *status_object, *files_object;
  JsonArray                             *conditions;
  GPtrArray                             *list;
  g_autofree char                       *dataset_id = NULL;
  guint                                  i;

  g_return_val_if_fail (self != NULL, NULL);

  dataset_id =
      compose_dataset_id (vi_annotation_import_session_get_organization_id (
                              self),
                          vi_annotation_import_session_get_dataset_id (self));

  object = json_object_new ();
  json_object_set_string_member (object, "kind", "AnnotationImportSession");
  json_object_set_string_member (object, "user",
                                 vi_annotation_import_session_get_user (self));
  json_object_set_string_member (object, "workspaceId",
                                 vi_annotation_import_session_get_organization_id (
                                     self));
  json_object_set_string_member (object, "datasetId", dataset_id);
  json_object_set_string_member (object, "annotationImportSessionId",
                                 vi_annotation_import_session_get_session_id (
                                     self));
  json_object_set_string_member (object, "selfLink",
                                 vi_annotation_import_session_get_self_link (
                                     self));
  json_object_set_string_member (object, "etag",
                                 vi_annotation_import_session_get_etag (self));
  add_metadata (object, vi_annotation_import_session_get_metadata (self));
  add_import_spec (object, vi_annotation_import_session_get_spec (self));

  status = vi_annotation_import_session_get_status (self);
  status_object = add_object (object, "status");
  conditions = add_array (status_object, "conditions");
  list = vi_annotation_import_session_status_get_conditions (status);
  for (i = 0; i < list->len; i++)
    json_array_add_element (conditions,
                            session_condition_to_json (g_ptr_array_index (list,
                                                                          i),
                                                       FALSE));
  files = vi_annotation_import_session_status_get_files (status);
  files_object = add_object (status_object, "files");
  json_object_set_int_member (files_object, "pageCount", files->page_count);
  json_object_set_int_member (files_object, "totalSizeBytes",
                              files->total_size_bytes);
  add_count_map (files_object, "statusCount", files->status_count);
  add_count_map (add_object (status_object, "annotations"), "statusCount",
                 vi_annotation_import_session_status_get_annotations (status)
                     ->status_count);
  set_string_or_null (status_object, "reason",
                      vi_annotation_import_session_status_get_reason (status));
  return node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Dataset exports (vi-api.md §9.6)
 * ------------------------------------------------------------------------ */

static gboolean
parse_export_spec (JsonObject *export,
                   const ViJsonPath *export_path,
                   ViExportSpec     *spec,
                   JsonNode        **spec_node,
                   GError          **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (export_path, "spec");
  ViJsonPath  options_path = VI_JSON_PATH_MEMBER (&path, "options");
  JsonObject *object, *options;
  const char *format;
  double      split_ratio = 0.0;

  if (!vi_json_get_object (export, export_path, "spec", TRUE, &object, error) ||
      !vi_json_get_string (object, &path, "format", TRUE, &format, error) ||
      !vi_json_get_object (object, &path, "options", TRUE, &options, error) ||
      !vi_json_get_boolean (options, &options_path, "normalized", TRUE,
                            &spec->normalized, error))
    return FALSE;

  spec->has_split_ratio = FALSE;
  spec->split_ratio = 0.0;
  if (!vi_json_get_double (options, &options_path, "splitRatio", FALSE,
                           &split_ratio, error))
    return FALSE;
  if (json_object_get_member (options, "splitRatio") != NULL &&
      !json_object_get_null_member (options, "splitRatio")) {
    spec->has_split_ratio = TRUE;
    spec->split_ratio = split_ratio;
  }
  spec->format = vi_export_format_from_string (format);
  *spec_node = json_object_get_member (export, "spec");
  return TRUE;
}

static ViResourceCondition *
parse_resource_condition (JsonNode         *node,
                          const ViJsonPath *path,
                          GError          **error)
{
  ViResourceCondition *condition;
  const char          *name, *status, *reason = NULL, *message = NULL;
  gint64               time;
  JsonObject          *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !vi_json_get_string (object, path, "condition", TRUE, &name, error) ||
      !vi_json_get_string (object, path, "status", TRUE, &status, error) ||
      !vi_json_get_int (object, path, "lastTransitionTime", TRUE, &time,
                        error) ||
      !vi_json_get_string (object, path, "reason", FALSE, &reason, error) ||
      !vi_json_get_string (object, path, "message", FALSE, &message, error))
    return NULL;

  condition = g_new0 (ViResourceCondition, 1);
  condition->condition = g_strdup (name);
  condition->status = vi_condition_status_from_string (status);
  condition->last_transition_time = time;
  condition->reason = g_strdup (reason);
  condition->message = g_strdup (message);
  return condition;
}

ViExportedAnnotations *
_vi_exported_annotations_from_json (JsonNode         *node,
                                    const ViJsonPath *path,
                                    GError          **error)
{
  ViJsonPath status_path = VI_JSON_PATH_MEMBER (path, "status");
  ViJsonPath conditions_path = VI_JSON_PATH_MEMBER (&status_path, "conditions");
  ViJsonPath url_path = VI_JSON_PATH_MEMBER (&status_path, "downloadUrl");
  g_autoptr (ViResourceMetadata) metadata = NULL;
  g_autoptr (GPtrArray) conditions = NULL;
  g_autofree char                 *dataset_id = NULL;
  ViExportedAnnotationsDownloadUrl download_url = { NULL, 0 };
  ViExportSpec                     spec;
  JsonNode                        *spec_node = NULL;
  JsonObject                      *object, *status, *url;
  JsonArray                       *array;
  const char *organization_id, *wire_dataset_id, *export_id;
  const char *self_link, *etag, *url_string = NULL;
  guint       n, i;

  object = vi_json_require_object (node, path, error);
  if (object == NULL || !check_kind (object, path, "DatasetExport", error) ||
      !vi_json_get_string (object, path, "workspaceId", TRUE, &organization_id,
                           error) ||
      !vi_json_get_string (object, path, "datasetId", TRUE, &wire_dataset_id,
                           error) ||
      !vi_json_get_string (object, path, "datasetExportId", TRUE, &export_id,
                           error) ||
      !parse_export_spec (object, path, &spec, &spec_node, error) ||
      !vi_json_get_object (object, path, "status", TRUE, &status, error) ||
      !vi_json_get_array (status, &status_path, "conditions", TRUE, &array,
                          error))
    return NULL;

  n = json_array_get_length (array);
  conditions =
      g_ptr_array_new_full (n, (GDestroyNotify) vi_resource_condition_free);
  for (i = 0; i < n; i++) {
    ViJsonPath item_path = VI_JSON_PATH_INDEX (&conditions_path, (int) i);
    ViResourceCondition *condition;

    condition = parse_resource_condition (json_array_get_element (array, i),
                                          &item_path, error);
    if (condition == NULL)
      return NULL;
    g_ptr_array_add (conditions, condition);
  }

  if (!vi_json_get_object (status, &status_path, "downloadUrl", FALSE, &url,
                           error))
    return NULL;
  if (url != NULL &&
      (!vi_json_get_string (url, &url_path, "url", TRUE, &url_string, error) ||
       !vi_json_get_int (url, &url_path, "expiresAt", TRUE,
                         &download_url.expires_at, error)))
    return NULL;
  download_url.url = (char *) url_string;

  metadata = parse_metadata (object, path, error);
  if (metadata == NULL ||
      !vi_json_get_string (object, path, "selfLink", TRUE, &self_link, error) ||
      !vi_json_get_string (object, path, "etag", TRUE, &etag, error))
    return NULL;

  dataset_id = _vi_strip_dataset_prefix (organization_id, wire_dataset_id);
  return _vi_exported_annotations_new (organization_id, dataset_id, export_id,
                                       &spec, spec_node, conditions,
                                       url != NULL ? &download_url : NULL,
                                       metadata, self_link, etag);
}

/**
 * vi_exported_annotations_new_from_json:
 * @node: a `DatasetExport` object (vi-api.md §9.6)
 * @error: return location for a #GError
 *
 * Reads a dataset export from JSON, with the rules of
 * vi_annotation_new_from_json().  The `spec` object is also kept as sent
 * (vi_exported_annotations_get_spec_json()).
 *
 * Returns: (transfer full) (nullable): the export, or %NULL with @error set
 */
ViExportedAnnotations *
vi_exported_annotations_new_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _vi_exported_annotations_from_json (node, &root, error);
}

static JsonNode *
export_spec_to_json (const ViExportSpec *spec)
{
  JsonObject *object = json_object_new ();
  JsonObject *options;

  json_object_set_string_member (object, "format",
                                 name_or_unknown (vi_export_format_to_string (
                                     spec->format)));
  options = add_object (object, "options");
  json_object_set_boolean_member (options, "normalized", spec->normalized);
  if (spec->has_split_ratio)
    json_object_set_double_member (options, "splitRatio", spec->split_ratio);
  else
    json_object_set_null_member (options, "splitRatio");
  return node_take_object (object);
}

/**
 * vi_exported_annotations_to_json:
 * @self: a #ViExportedAnnotations
 *
 * Writes @self as the API's `DatasetExport` object (vi-api.md §9.6).  The
 * `spec` is written as it was read, when @self was read from JSON.
 *
 * Returns: (transfer full): a new JSON object node
 */
JsonNode *
vi_exported_annotations_to_json (const ViExportedAnnotations *self)
{
  const ViExportedAnnotationsDownloadUrl *url;
  JsonObject                             *object, *status;
  JsonArray                              *conditions;
  GPtrArray                              *list;
  JsonNode                               *spec_json;
  g_autofree char                        *dataset_id = NULL;
  guint                                   i;

  g_return_val_if_fail (self != NULL, NULL);

  dataset_id =
      compose_dataset_id (vi_exported_annotations_get_organization_id (self),
                          vi_exported_annotations_get_dataset_id (self));

  object = json_object_new ();
  json_object_set_string_member (object, "kind", "DatasetExport");
  json_object_set_string_member (object, "workspaceId",
                                 vi_exported_annotations_get_organization_id (
                                     self));
  json_object_set_string_member (object, "datasetId", dataset_id);
  json_object_set_string_member (object, "datasetExportId",
                                 vi_exported_annotations_get_dataset_export_id (
                                     self));
  spec_json = vi_exported_annotations_get_spec_json (self);
  json_object_set_member (object, "spec",
                          spec_json != NULL
                              ? json_node_copy (spec_json)
                              : export_spec_to_json (
                                    vi_exported_annotations_get_spec (self)));

  status = add_object (object, "status");
  conditions = add_array (status, "conditions");
  list = vi_exported_annotations_get_conditions (self);
  for (i = 0; i < list->len; i++) {
    const ViResourceCondition *condition = g_ptr_array_index (list, i);
    JsonObject                *item = json_object_new ();

    json_object_set_string_member (item, "condition", condition->condition);
    json_object_set_string_member (item, "status",
                                   name_or_unknown (
                                       vi_condition_status_to_string (
                                           condition->status)));
    json_object_set_int_member (item, "lastTransitionTime",
                                condition->last_transition_time);
    if (condition->reason != NULL)
      json_object_set_string_member (item, "reason", condition->reason);
    if (condition->message != NULL)
      json_object_set_string_member (item, "message", condition->message);
    json_array_add_object_element (conditions, item);
  }
  url = vi_exported_annotations_get_download_url (self);
  if (url != NULL) {
    JsonObject *url_object = add_object (status, "downloadUrl");

    json_object_set_string_member (url_object, "url", url->url);
    json_object_set_int_member (url_object, "expiresAt", url->expires_at);
  }

  add_metadata (object, vi_exported_annotations_get_metadata (self));
  json_object_set_string_member (object, "selfLink",
                                 vi_exported_annotations_get_self_link (self));
  json_object_set_string_member (object, "etag",
                                 vi_exported_annotations_get_etag (self));
  return node_take_object (object);
}

/* A page of exports.  Returns the items (element-type
 * ViExportedAnnotations) and, if next_page is not NULL, the next page
 * token (NULL when there is none). */
GPtrArray *
_vi_exported_annotations_list_from_json (JsonNode *node,
                                         char    **next_page,
                                         GError  **error)
{
  g_autoptr (GPtrArray) items = NULL;
  const char *next, *prev;

  g_return_val_if_fail (node != NULL, NULL);

  if (next_page != NULL)
    *next_page = NULL;
  items = parse_page (node, (ItemParser) _vi_exported_annotations_from_json,
                      (GDestroyNotify) vi_exported_annotations_unref, &next,
                      &prev, error);
  if (items == NULL)
    return NULL;
  if (next_page != NULL)
    *next_page = g_strdup (next);
  return g_steal_pointer (&items);
}

/* ------------------------------------------------------------------------
 * Signed uploads (vi-api.md §2.6, response)
 * ------------------------------------------------------------------------ */

/* `{"files": {"<name>": {"method", "url", "headers"}}}`, all three
 * required, in the server's order (json-glib keeps member order). */
GPtrArray *
_vi_signed_uploads_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath files_path = VI_JSON_PATH_MEMBER (&root, "files");
  g_autoptr (GPtrArray) uploads = NULL;
  JsonObject    *object, *files;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *entry;

  g_return_val_if_fail (node != NULL, NULL);

  object = vi_json_require_object (node, &root, error);
  if (object == NULL ||
      !vi_json_get_object (object, &root, "files", TRUE, &files, error))
    return NULL;

  uploads = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_signed_upload_free);
  json_object_iter_init_ordered (&iter, files);
  while (json_object_iter_next_ordered (&iter, &name, &entry)) {
    ViJsonPath entry_path = VI_JSON_PATH_MEMBER (&files_path, name);
    g_autoptr (ViSignedUpload) upload = g_new0 (ViSignedUpload, 1);
    JsonObject *entry_object;
    const char *method, *url;

    entry_object = vi_json_require_object (entry, &entry_path, error);
    if (entry_object == NULL ||
        !vi_json_get_string (entry_object, &entry_path, "method", TRUE, &method,
                             error) ||
        !vi_json_get_string (entry_object, &entry_path, "url", TRUE, &url,
                             error) ||
        !vi_json_get_string_map (entry_object, &entry_path, "headers", TRUE,
                                 &upload->headers, error))
      return NULL;

    upload->name = g_strdup (name);
    upload->method = g_strdup (method);
    upload->url = g_strdup (url);
    g_ptr_array_add (uploads, g_steal_pointer (&upload));
  }
  return g_steal_pointer (&uploads);
}

/* The registration response, in the order of uploads (element-type
 * ViSignedUpload). */
JsonNode *
_vi_signed_uploads_to_json (GPtrArray *uploads)
{
  JsonObject *object = json_object_new ();
  JsonObject *files = add_object (object, "files");
  guint       i;

  for (i = 0; uploads != NULL && i < uploads->len; i++) {
    const ViSignedUpload *upload = g_ptr_array_index (uploads, i);
    JsonObject           *entry = add_object (files, upload->name);

    json_object_set_string_member (entry, "method", upload->method);
    json_object_set_string_member (entry, "url", upload->url);
    add_string_map (entry, "headers", upload->headers);
  }
  return node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Request bodies.  All members are always present, as the SDK's ViStruct
 * sends them, in its field order.
 * ------------------------------------------------------------------------ */

/* §2.5: {"spec": {"uploadBefore", "failurePolicies": {...}, "source"},
 *        "metadata": {"attributes": {...}}}; attributes may be NULL. */
JsonNode *
_vi_import_session_create_body (const ViAnnotationImportSpec *spec,
                                GHashTable                   *attributes)
{
  JsonObject *object;

  g_return_val_if_fail (spec != NULL, NULL);

  object = json_object_new ();
  add_import_spec (object, spec);
  add_string_map (add_object (object, "metadata"), "attributes", attributes);
  return node_take_object (object);
}

/* §2.6: {"files": {"<name>": {"sizeBytes", "crc32c", "kind"}}} in the
 * order of file_specs (element-type ViAnnotationImportFileSpec).  A name
 * given twice keeps its first place and its last value, as the SDK's dict
 * does. */
JsonNode *
_vi_import_files_body (GPtrArray *file_specs)
{
  JsonObject *object = json_object_new ();
  JsonObject *files = add_object (object, "files");
  guint       i;

  for (i = 0; file_specs != NULL && i < file_specs->len; i++) {
    const ViAnnotationImportFileSpec *spec = g_ptr_array_index (file_specs, i);
    JsonObject                       *entry = json_object_new ();

    json_object_set_int_member (entry, "sizeBytes", spec->size_bytes);
    json_object_set_string_member (entry, "crc32c", spec->crc32c);
    json_object_set_string_member (entry, "kind",
                                   spec->kind != NULL ? spec->kind : "Unknown");
    json_object_set_object_member (files, spec->name, entry);
  }
  return node_take_object (object);
}

/* §4.4: {"status": {"conditions": [{"condition", "status",
 * "lastTransitionTime": <int ms>, "reason"?}]}}; reason omitted when
 * VI_CONDITION_REASON_NONE. */
JsonNode *
_vi_patch_status_body (const ViAnnotationImportSessionCondition *condition)
{
  JsonObject *object, *status;
  JsonArray  *conditions;

  g_return_val_if_fail (condition != NULL, NULL);

  object = json_object_new ();
  status = add_object (object, "status");
  conditions = add_array (status, "conditions");
  json_array_add_element (conditions,
                          session_condition_to_json (condition, TRUE));
  return node_take_object (object);
}

/* §9.6: {"spec": {"format", "options": {"normalized", "splitRatio"}}},
 * splitRatio null when unset. */
JsonNode *
_vi_export_create_body (const ViExportSpec *spec)
{
  JsonObject *object;

  g_return_val_if_fail (spec != NULL, NULL);

  object = json_object_new ();
  json_object_set_member (object, "spec", export_spec_to_json (spec));
  return node_take_object (object);
}
