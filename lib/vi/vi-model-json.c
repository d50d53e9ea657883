/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define VI_HAVE_SSE2 1
#endif

#include "vi-annotation.h"
#include "vi-model-private.h"
#include "vi-maps-private.h"

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

/* A server string shown in a message: quoted, escaped, cut. */
static char *
quote_for_message (const char *str)
{
  g_autofree char *cut = NULL;
  g_autofree char *escaped = NULL;
  gsize            len = strlen (str);
  gboolean         truncated = FALSE;

  if (len > 64) {
    const char *end = str + 64;

    while (end > str && (((guchar) *end) & 0xc0) == 0x80)
      end--;
    cut = g_strndup (str, end - str);
    truncated = TRUE;
  }
  escaped = g_strescape (cut != NULL ? cut : str, NULL);
  return g_strdup_printf ("\"%s%s\"", escaped, truncated ? "..." : "");
}

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
    g_autofree char *shown = quote_for_message (kind);

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

/* ------------------------------------------------------------------------
 * The direct reader: a page of annotations from the bytes of the body.
 *
 * json-glib builds a tree of hash tables (about 30 MB/s here), which is
 * most of the time of a listing.  This reader goes from the bytes to the
 * model in one pass, allocating little more than the model itself, with
 * the rules and the messages of the tree reader above: the same required
 * members, the same types, unknown members ignored, unknown kinds and
 * roles kept, and errors naming the JSON path.  Syntax is strict RFC 8259,
 * as vi_json_parse_bytes() enforces it.  A member given twice counts once,
 * the last time, as in json-glib.
 *
 * Strings are slices of the body; only those with escapes are decoded,
 * into a scratch buffer that each item reuses.
 * ------------------------------------------------------------------------ */

/* For the few helpers of the hot loops. */
#if defined(__GNUC__)
#define FAST_INLINE static inline __attribute__ ((always_inline))
#else
#define FAST_INLINE static inline
#endif

typedef enum {
  FIELD_ABSENT,
  FIELD_NULL,
  FIELD_SET,
} FieldState;

typedef struct {
  const char *str;    /* in the body, or NULL when decoded into scratch */
  gsize       offset; /* in scratch */
  gsize       len;
  FieldState  state;
} Str;

typedef struct {
  const char *data;
  const char *p;
  const char *end;
  guint       depth;
  gboolean    failed; /* a syntax error was reported */
  GByteArray *scratch;
  ViArena    *arena; /* where the objects go */
} Reader;

typedef enum {
  TOKEN_OBJECT,
  TOKEN_ARRAY,
  TOKEN_STRING,
  TOKEN_NUMBER,
  TOKEN_TRUE,
  TOKEN_FALSE,
  TOKEN_NULL,
  TOKEN_INVALID,
  TOKEN_END,
} TokenKind;

static gboolean skip_value (Reader *r, GError **error);

static gboolean
syntax_error (Reader *r, const char *at, const char *what, GError **error)
{
  vi_json_set_syntax_error (error, r->data, at - r->data, what);
  r->failed = TRUE;
  return FALSE;
}

FAST_INLINE void
skip_ws (Reader *r)
{
  /* Bodies are usually compact. */
  if (G_LIKELY (r->p < r->end && (guchar) *r->p > ' '))
    return;
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static TokenKind
peek (Reader *r)
{
  if (r->p >= r->end)
    return TOKEN_END;
  switch (*r->p) {
    case '{':
      return TOKEN_OBJECT;
    case '[':
      return TOKEN_ARRAY;
    case '"':
      return TOKEN_STRING;
    case 't':
      return TOKEN_TRUE;
    case 'f':
      return TOKEN_FALSE;
    case 'n':
      return TOKEN_NULL;
    default:
      if (*r->p == '-' || g_ascii_isdigit (*r->p))
        return TOKEN_NUMBER;
      return TOKEN_INVALID;
  }
}

static const char *
describe_token (TokenKind kind)
{
  switch (kind) {
    case TOKEN_OBJECT:
      return "an object";
    case TOKEN_ARRAY:
      return "an array";
    case TOKEN_STRING:
      return "a string";
    case TOKEN_NUMBER:
      return "a number";
    case TOKEN_TRUE:
    case TOKEN_FALSE:
      return "a boolean";
    case TOKEN_NULL:
      return "null";
    case TOKEN_INVALID:
    case TOKEN_END:
    default:
      return "nothing";
  }
}

/* A value of the wrong type: it must still be valid JSON (a syntax error
 * wins, as it does when json-glib parses the whole document first). */
static gboolean
type_error (Reader           *r,
            const ViJsonPath *path,
            const char       *expected,
            GError          **error)
{
  TokenKind kind = peek (r);

  if (!skip_value (r, error))
    return FALSE;
  vi_json_set_error (error, path, "expected %s, got %s", expected,
                     describe_token (kind));
  return FALSE;
}

static inline const char *
str_data (const Reader *r, const Str *s)
{
  return s->str != NULL ? s->str : (const char *) r->scratch->data + s->offset;
}

static inline ViStrRef
str_ref_of (const Reader *r, const Str *s)
{
  ViStrRef ref = { NULL, 0 };

  if (s->state == FIELD_SET) {
    ref.str = str_data (r, s);
    ref.len = s->len;
  }
  return ref;
}

static inline gboolean
str_equal (const Reader *r, const Str *s, const char *literal, gsize literal_len)
{
  return s->len == literal_len &&
      memcmp (str_data (r, s), literal, literal_len) == 0;
}

#define KEY_IS(r, key, literal) \
  str_equal ((r), (key), literal, sizeof (literal) - 1)

/* The names shared by ViRole and ViContentKind (same values for both):
 * 1 Caption, 2 PhraseGroundingBoundingBox, 3 Vqa, 0 anything else. */
G_STATIC_ASSERT ((int) VI_ROLE_CAPTION == (int) VI_CONTENT_KIND_CAPTION);
G_STATIC_ASSERT ((int) VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX ==
                 (int) VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
G_STATIC_ASSERT ((int) VI_ROLE_VQA == (int) VI_CONTENT_KIND_VQA);

static int
part_name_from_str (const Reader *r, const Str *s)
{
  switch (s->len) {
    case 7:
      return KEY_IS (r, s, "Caption") ? VI_ROLE_CAPTION : 0;
    case 26:
      return KEY_IS (r, s, "PhraseGroundingBoundingBox")
          ? VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX
          : 0;
    case 3:
      return KEY_IS (r, s, "Vqa") ? VI_ROLE_VQA : 0;
    default:
      return 0;
  }
}

/* vi_role_from_string() and vi_content_kind_from_string() on a slice. */
static ViRole
role_from_str (const Reader *r, const Str *s)
{
  return (ViRole) part_name_from_str (r, s);
}

static ViContentKind
content_kind_from_str (const Reader *r, const Str *s)
{
  return (ViContentKind) part_name_from_str (r, s);
}

/* Length of the valid UTF-8 sequence at p (its first byte >= 0x80), or 0
 * (overlong forms, surrogates and values past U+10FFFF are invalid, as for
 * g_utf8_validate()). */
static gsize
utf8_sequence (const guchar *p, const guchar *end)
{
  gunichar value;
  gsize    n, i;

  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    n = 2;
    value = p[0] & 0x1f;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    value = p[0] & 0x0f;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    value = p[0] & 0x07;
  } else {
    return 0;
  }
  if ((gsize) (end - p) < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    value = (value << 6) | (p[i] & 0x3f);
  }
  if (n == 3 && (value < 0x800 || (value >= 0xd800 && value <= 0xdfff)))
    return 0;
  if (n == 4 && (value < 0x10000 || value > 0x10ffff))
    return 0;
  return n;
}

static int
hex4 (const guchar *p, const guchar *end)
{
  int value = 0, i;

  if (end - p < 4)
    return -1;
  for (i = 0; i < 4; i++) {
    int c = p[i];

    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= c - '0';
    else if (c >= 'a' && c <= 'f')
      value |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      value |= c - 'A' + 10;
    else
      return -1;
  }
  return value;
}

/* Whether any of the 8 bytes of v is '"', '\\', a control character or
 * not ASCII (false positives are harmless: the caller then looks at each
 * byte). */
static inline gboolean
has_special_byte (guint64 v)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);
  guint64       quote = v ^ (ones * '"');
  guint64       backslash = v ^ (ones * '\\');

  return ((((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
           (v - ones * 0x20) | v) &
          highs) != 0;
}

/* Reads the string at r->p (the quote), whose bytes before resume need
 * no attention.  With out == NULL it is only checked; otherwise out points
 * into the body or, when the string has escapes, into the scratch
 * buffer. */
static G_GNUC_NO_INLINE gboolean
read_string_slow (Reader *r, const guchar *resume, Str *out, GError **error)
{
  const guchar *start = (const guchar *) r->p;
  const guchar *p = resume;
  const guchar *end = (const guchar *) r->end;
  const guchar *run = start + 1;
  gboolean      decoding = FALSE;
  gsize         offset = 0;

  while (p < end) {
    guchar c;

#ifdef VI_HAVE_SSE2
    /* 16 bytes at a time; signed "< 0x20" also catches bytes >= 0x80. */
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (gconstpointer) p);
      __m128i special =
          _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                      _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                        _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
      int mask = _mm_movemask_epi8 (special);

      if (mask != 0) {
        p += __builtin_ctz (mask);
        break;
      }
      p += 16;
    }
#endif
    while (end - p >= 8) {
      guint64 v;

      memcpy (&v, p, 8);
      if (has_special_byte (v))
        break;
      p += 8;
    }
    if (p >= end)
      break;
    c = *p;
    if (G_LIKELY (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')) {
      p++;
      continue;
    }
    if (c == '"') {
      if (out != NULL) {
        if (decoding) {
          g_byte_array_append (r->scratch, run, p - run);
          out->str = NULL;
          out->offset = offset;
          out->len = r->scratch->len - offset;
        } else {
          out->str = (const char *) start + 1;
          out->len = p - (start + 1);
        }
        out->state = FIELD_SET;
      }
      r->p = (const char *) p + 1;
      return TRUE;
    }
    if (c >= 0x80) {
      gsize n = utf8_sequence (p, end);

      if (n == 0)
        return syntax_error (r, (const char *) p, "invalid UTF-8", error);
      p += n;
      continue;
    }
    if (c < 0x20)
      return syntax_error (r, (const char *) p, "control character in a string",
                           error);

    /* A backslash. */
    if (out != NULL && !decoding) {
      decoding = TRUE;
      offset = r->scratch->len;
    }
    if (decoding)
      g_byte_array_append (r->scratch, run, p - run);
    if (p + 1 >= end)
      break;
    switch (p[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': {
        static const char from[] = "\"\\/bfnrt";
        static const char to[] = "\"\\/\b\f\n\r\t";
        guint8            decoded = to[strchr (from, p[1]) - from];

        if (decoding)
          g_byte_array_append (r->scratch, &decoded, 1);
        p += 2;
        break;
      }
      case 'u': {
        int      unit = hex4 (p + 2, end);
        gunichar value = unit;
        gsize    length = 6;

        if (unit >= 0xd800 && unit <= 0xdbff) {
          int low = (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
              ? hex4 (p + 8, end)
              : -1;

          if (low < 0xdc00 || low > 0xdfff)
            unit = -1;
          else
            value = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          length = 12;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          unit = -1;
        }
        if (unit < 0)
          return syntax_error (r, (const char *) p, "invalid \\u escape",
                               error);
        if (decoding) {
          char utf8[6];
          int  n = g_unichar_to_utf8 (value, utf8);

          g_byte_array_append (r->scratch, (const guint8 *) utf8, n);
        }
        p += length;
        break;
      }
      default:
        return syntax_error (r, (const char *) p, "invalid escape in a string",
                             error);
    }
    run = p;
  }
  return syntax_error (r, (const char *) start, "unterminated string", error);
}

/* read_string_slow(), with the common case inline: a string of plain
 * ASCII (no escape, control character or byte >= 0x80). */
FAST_INLINE gboolean
read_string (Reader *r, Str *out, GError **error)
{
  const guchar *start = (const guchar *) r->p;
  const guchar *p = start + 1;
#ifdef VI_HAVE_SSE2
  const guchar *end = (const guchar *) r->end;

  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128 ((const __m128i *) (gconstpointer) p);
    __m128i special =
        _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                    _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                      _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
    int mask = _mm_movemask_epi8 (special);

    if (mask != 0) {
      p += __builtin_ctz (mask);
      if (G_LIKELY (*p == '"')) {
        if (out != NULL) {
          out->str = (const char *) start + 1;
          out->len = p - (start + 1);
          out->state = FIELD_SET;
        }
        r->p = (const char *) p + 1;
        return TRUE;
      }
      break;
    }
    p += 16;
  }
#endif
  return read_string_slow (r, p, out, error);
}

typedef struct {
  gboolean is_integer;
  gint64   integer;
  double   value;
} Number;

static const double powers_of_ten[] = {
  1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Reads the number at r->p, with the strict grammar of RFC 8259.  A
 * float is converted exactly when it has at most 15 significant digits
 * and a small exponent (one correctly rounded operation on two exact
 * doubles), with g_ascii_strtod() otherwise: the same value json-glib
 * gives. */
static G_GNUC_NO_INLINE gboolean
read_number_slow (Reader *r, Number *out, GError **error)
{
  const char *start = r->p, *p = r->p, *end = r->end;
  const char *int_start, *int_end, *frac_start = NULL, *frac_end = NULL;
  gboolean    negative = FALSE, has_exponent = FALSE;

  if (*p == '-') {
    negative = TRUE;
    p++;
  }
  int_start = p;
  if (p < end && *p == '0')
    p++;
  else if (p < end && g_ascii_isdigit (*p))
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    return syntax_error (r, start, "invalid number", error);
  int_end = p;
  if (p < end && *p == '.') {
    frac_start = ++p;
    while (p < end && g_ascii_isdigit (*p))
      p++;
    frac_end = p;
    if (frac_end == frac_start)
      return syntax_error (r, start, "invalid number", error);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    const char *digits;

    has_exponent = TRUE;
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    digits = p;
    while (p < end && g_ascii_isdigit (*p))
      p++;
    if (p == digits)
      return syntax_error (r, start, "invalid number", error);
  }
  if (p < end && (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '+'))
    return syntax_error (r, start, "invalid number", error);

  if (frac_start == NULL && !has_exponent) {
    guint64     value = 0;
    const char *q;

    for (q = int_start; q < int_end; q++) {
      guint digit = *q - '0';

      if (value > (G_MAXUINT64 - digit) / 10)
        return syntax_error (r, start, "integer out of the 64-bit range",
                             error);
      value = value * 10 + digit;
    }
    if (value > (guint64) G_MAXINT64 + (negative ? 1 : 0))
      return syntax_error (r, start, "integer out of the 64-bit range", error);
    out->is_integer = TRUE;
    out->integer = negative ? (gint64) (0 - value) : (gint64) value;
    out->value = (double) out->integer;
  } else {
    guint64     mantissa = 0;
    int         significant = 0, exponent = 0;
    gboolean    fast = TRUE;
    const char *q;

    for (q = int_start; q < int_end && fast; q++) {
      if (mantissa == 0 && *q == '0')
        continue;
      mantissa = mantissa * 10 + (*q - '0');
      fast = ++significant <= 15;
    }
    for (q = frac_start; frac_start != NULL && q < frac_end && fast; q++) {
      exponent--;
      if (mantissa == 0 && *q == '0')
        continue;
      mantissa = mantissa * 10 + (*q - '0');
      fast = ++significant <= 15;
    }
    if (has_exponent && fast) {
      const char *e = int_end +
          (frac_start != NULL ? (frac_end - int_end) : 0) + 1;
      gboolean exp_negative = FALSE;
      int      value = 0;

      if (*e == '+' || *e == '-')
        exp_negative = (*e++ == '-');
      for (; e < p; e++) {
        value = value * 10 + (*e - '0');
        if (value > 1000) {
          fast = FALSE;
          break;
        }
      }
      exponent += exp_negative ? -value : value;
    }
    if (fast && exponent >= -22 && exponent <= 22) {
      double value = (double) mantissa;

      value = exponent < 0 ? value / powers_of_ten[-exponent]
                           : value * powers_of_ten[exponent];
      out->value = negative ? -value : value;
    } else {
      char  buffer[64];
      gsize len = p - start;

      if (len < sizeof buffer) {
        memcpy (buffer, start, len);
        buffer[len] = '\0';
        out->value = g_ascii_strtod (buffer, NULL);
      } else {
        g_autofree char *copy = g_strndup (start, len);

        out->value = g_ascii_strtod (copy, NULL);
      }
    }
    out->is_integer = FALSE;
    out->integer = 0;
  }
  r->p = p;
  return TRUE;
}

/* read_number_slow(), with the common cases inline: an integer of up to
 * 18 digits, or a number with a fraction and no exponent whose digits
 * fit in 2^53 with at most 22 of them after the point (the value is
 * then one correctly rounded division of two exact doubles).  Anything
 * else, errors included, is left to read_number_slow(). */
FAST_INLINE gboolean
read_number (Reader *r, Number *out, GError **error)
{
  const char *p = r->p, *end = r->end;
  const char *digits, *frac = NULL;
  gboolean    negative = FALSE;
  guint64     mantissa = 0;
  gsize       n_digits;

  if (*p == '-') {
    negative = TRUE;
    p++;
  }
  digits = p;
  if (p < end && *p == '0') {
    p++;
  } else {
    while (p < end && (guint) (*p - '0') < 10) {
      mantissa = mantissa * 10 + (guint) (*p - '0');
      p++;
    }
  }
  n_digits = p - digits;
  if (G_UNLIKELY (n_digits == 0 || n_digits > 18))
    return read_number_slow (r, out, error);
  if (p < end && *p == '.') {
    frac = ++p;
    while (p < end && (guint) (*p - '0') < 10) {
      mantissa = mantissa * 10 + (guint) (*p - '0');
      p++;
    }
    if (G_UNLIKELY (p == frac || p - frac > 22 || n_digits + (p - frac) > 18 ||
                    mantissa > (G_GUINT64_CONSTANT (1) << 53)))
      return read_number_slow (r, out, error);
  }
  /* Usually followed by one of ",]}". */
  if (G_UNLIKELY (
          p < end && *p != ',' && *p != ']' && *p != '}' &&
          (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '+')))
    return read_number_slow (r, out, error);

  if (frac == NULL) {
    out->is_integer = TRUE;
    out->integer = negative ? -(gint64) mantissa : (gint64) mantissa;
    out->value = (double) out->integer;
  } else {
    double value = (double) mantissa / powers_of_ten[p - frac];

    out->is_integer = FALSE;
    out->integer = 0;
    out->value = negative ? -value : value;
  }
  r->p = p;
  return TRUE;
}

static gboolean
read_literal (Reader *r, const char *word, gsize len, GError **error)
{
  if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0 ||
      ((gsize) (r->end - r->p) > len && g_ascii_isalnum (r->p[len])))
    return syntax_error (r, r->p, "invalid literal", error);
  r->p += len;
  return TRUE;
}

static gboolean
begin_container (Reader *r, GError **error)
{
  if (++r->depth > VI_JSON_MAX_DEPTH)
    return syntax_error (r, r->p,
                         "nesting too deep (more than " G_STRINGIFY (
                             VI_JSON_MAX_DEPTH) " levels)",
                         error);
  r->p++;
  return TRUE;
}

/* Moves to the next member of the object being read: TRUE with r->p on
 * its value and key (nullable) set to its name; FALSE at the end of the
 * object, or on a syntax error (r->failed). */
static gboolean
next_member (Reader *r, gboolean *first, Str *key, GError **error)
{
  Str ignored;

  skip_ws (r);
  if (r->p >= r->end)
    return syntax_error (r, r->p, "unexpected end of data", error);
  if (*r->p == '}') {
    r->p++;
    r->depth--;
    return FALSE;
  }
  if (!*first) {
    if (*r->p != ',')
      return syntax_error (r, r->p, "expected ',' or '}'", error);
    r->p++;
    skip_ws (r);
  }
  *first = FALSE;
  if (r->p >= r->end || *r->p != '"')
    return syntax_error (r, r->p, "expected a member name", error);
  if (!read_string (r, key != NULL ? key : &ignored, error))
    return FALSE;
  skip_ws (r);
  if (r->p >= r->end || *r->p != ':')
    return syntax_error (r, r->p, "expected ':'", error);
  r->p++;
  skip_ws (r);
  if (r->p >= r->end)
    return syntax_error (r, r->p, "unexpected end of data", error);
  return TRUE;
}

/* The same for the elements of an array. */
static gboolean
next_element (Reader *r, gboolean *first, GError **error)
{
  skip_ws (r);
  if (r->p >= r->end)
    return syntax_error (r, r->p, "unexpected end of data", error);
  if (*r->p == ']') {
    r->p++;
    r->depth--;
    return FALSE;
  }
  if (!*first) {
    if (*r->p != ',')
      return syntax_error (r, r->p, "expected ',' or ']'", error);
    r->p++;
    skip_ws (r);
    if (r->p >= r->end)
      return syntax_error (r, r->p, "unexpected end of data", error);
    if (*r->p == ']')
      return syntax_error (r, r->p, "expected a value", error);
  }
  *first = FALSE;
  return TRUE;
}

static gboolean
skip_value (Reader *r, GError **error)
{
  gboolean first = TRUE;
  Number   number;

  switch (peek (r)) {
    case TOKEN_OBJECT:
      if (!begin_container (r, error))
        return FALSE;
      while (next_member (r, &first, NULL, error)) {
        if (!skip_value (r, error))
          return FALSE;
      }
      return !r->failed;
    case TOKEN_ARRAY:
      if (!begin_container (r, error))
        return FALSE;
      while (next_element (r, &first, error)) {
        if (!skip_value (r, error))
          return FALSE;
      }
      return !r->failed;
    case TOKEN_STRING:
      return read_string (r, NULL, error);
    case TOKEN_NUMBER:
      return read_number (r, &number, error);
    case TOKEN_TRUE:
      return read_literal (r, "true", 4, error);
    case TOKEN_FALSE:
      return read_literal (r, "false", 5, error);
    case TOKEN_NULL:
      return read_literal (r, "null", 4, error);
    case TOKEN_END:
      return syntax_error (r, r->p, "unexpected end of data", error);
    case TOKEN_INVALID:
    default:
      return syntax_error (r, r->p, "unexpected character", error);
  }
}

/* Typed members.  A null is recorded (FIELD_NULL) and judged by the caller,
 * which knows whether the member is required. */
static gboolean
member_string (Reader *r, const ViJsonPath *path, Str *out, GError **error)
{
  switch (peek (r)) {
    case TOKEN_STRING:
      return read_string (r, out, error);
    case TOKEN_NULL:
      out->state = FIELD_NULL;
      return read_literal (r, "null", 4, error);
    default:
      return type_error (r, path, "a string", error);
  }
}

static gboolean
member_int (Reader           *r,
            const ViJsonPath *path,
            gint64           *out,
            FieldState       *state,
            GError          **error)
{
  Number number;

  switch (peek (r)) {
    case TOKEN_NUMBER:
      if (!read_number (r, &number, error))
        return FALSE;
      if (!number.is_integer) {
        vi_json_set_error (error, path,
                           "expected an integer, got a floating-point number");
        return FALSE;
      }
      *out = number.integer;
      *state = FIELD_SET;
      return TRUE;
    case TOKEN_NULL:
      *state = FIELD_NULL;
      return read_literal (r, "null", 4, error);
    default:
      return type_error (r, path, "an integer", error);
  }
}

/* A number that must be one, from an array element (no null allowed). */
static gboolean
element_double (Reader *r, const ViJsonPath *path, double *out, GError **error)
{
  Number number;

  if (peek (r) != TOKEN_NUMBER)
    return type_error (r, path, "a number", error);
  if (!read_number (r, &number, error))
    return FALSE;
  if (!isfinite (number.value)) {
    vi_json_set_error (error, path, "number out of range");
    return FALSE;
  }
  *out = number.value;
  return TRUE;
}

static gboolean
element_int (Reader *r, const ViJsonPath *path, gint64 *out, GError **error)
{
  FieldState state = FIELD_ABSENT;

  if (peek (r) == TOKEN_NULL)
    return type_error (r, path, "an integer", error);
  return member_int (r, path, out, &state, error);
}

/* The checks the tree reader makes on a member when it is looked up. */
static gboolean
require_field (FieldState        state,
               const ViJsonPath *parent,
               const char       *member,
               const char       *expected,
               GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  if (state == FIELD_SET)
    return TRUE;
  if (state == FIELD_ABSENT)
    vi_json_set_error (error, &path, "missing required field");
  else
    vi_json_set_error (error, &path, "expected %s, got null", expected);
  return FALSE;
}

/* Reads a small array at r->p (known to be one) whose first two elements
 * should be numbers: their values, how many elements there are, and the
 * first of the two that is not a number (or not finite, or not an
 * integer when integers are asked for), -1 if none.  Errors are reported
 * by the caller, in the order the tree reader finds them. */
static gboolean
read_pair (Reader     *r,
           gboolean    integers,
           Number      values[2],
           const char *starts[2],
           guint      *count,
           int        *bad,
           GError    **error)
{
  gboolean first = TRUE;

  *count = 0;
  *bad = -1;
  if (!begin_container (r, error))
    return FALSE;
  while (next_element (r, &first, error)) {
    if (*count < 2) {
      starts[*count] = r->p;
      if (peek (r) == TOKEN_NUMBER) {
        if (!read_number (r, &values[*count], error))
          return FALSE;
        if (*bad < 0 &&
            (integers ? !values[*count].is_integer
                      : !isfinite (values[*count].value)))
          *bad = *count;
      } else {
        if (*bad < 0)
          *bad = *count;
        if (!skip_value (r, error))
          return FALSE;
      }
    } else if (!skip_value (r, error)) {
      return FALSE;
    }
    (*count)++;
  }
  return !r->failed;
}

static gboolean
read_bound (Reader           *r,
            const ViJsonPath *bound_path,
            GArray           *points,
            GError          **error)
{
  gboolean first = TRUE;
  int      index = 0;

  g_array_set_size (points, 0);
  if (!begin_container (r, error))
    return FALSE;
  while (next_element (r, &first, error)) {
    ViJsonPath  point_path = VI_JSON_PATH_INDEX (bound_path, index);
    const char *starts[2];
    Number      values[2];
    double      xy[2];
    guint       count;
    int         bad;

    if (peek (r) != TOKEN_ARRAY)
      return type_error (r, &point_path, "an array", error);
    /* The tree reader checks the length before the types. */
    if (!read_pair (r, FALSE, values, starts, &count, &bad, error))
      return FALSE;
    if (count != 2) {
      vi_json_set_error (error, &point_path,
                         "expected a point of 2 numbers, got %u elements",
                         count);
      return FALSE;
    }
    if (bad >= 0) {
      ViJsonPath coord_path = VI_JSON_PATH_INDEX (&point_path, bad);

      r->p = starts[bad];
      element_double (r, &coord_path, &xy[0], error);
      return FALSE;
    }
    xy[0] = values[0].value;
    xy[1] = values[1].value;
    g_array_append_vals (points, xy, 2);
    index++;
  }
  if (r->failed)
    return FALSE;
  if (index == 0) {
    vi_json_set_error (error, bound_path, "expected at least one point");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_target (Reader           *r,
             const ViJsonPath *target_path,
             int               target[2],
             GError          **error)
{
  const char *starts[2];
  Number      values[2];
  guint       count, j;
  int         bad;

  if (!read_pair (r, TRUE, values, starts, &count, &bad, error))
    return FALSE;
  if (count != 2) {
    vi_json_set_error (error, target_path,
                       "expected 2 integers, got %u elements", count);
    return FALSE;
  }
  for (j = 0; j < 2; j++) {
    ViJsonPath index_path = VI_JSON_PATH_INDEX (target_path, (int) j);

    if (bad == (int) j) {
      const char *after = r->p;
      gint64      ignored;

      r->p = starts[j];
      element_int (r, &index_path, &ignored, error);
      r->p = after;
      return FALSE;
    }
    if (values[j].integer < G_MININT || values[j].integer > G_MAXINT) {
      vi_json_set_error (error, &index_path, "integer out of range");
      return FALSE;
    }
    target[j] = (int) values[j].integer;
  }
  return TRUE;
}

/* A member whose value is read later: where the value starts, or NULL. */
typedef enum {
  CONTENTS_TEXT,
  CONTENTS_BOUND,
  CONTENTS_TARGET,
  CONTENTS_QUESTION,
  CONTENTS_ANSWER,
  CONTENTS_N_MEMBERS
} ContentsMember;

static gboolean
read_array_member (Reader           *r,
                   const char       *at,
                   guint             depth,
                   const ViJsonPath *parent,
                   const char       *member,
                   gboolean          is_bound,
                   GArray           *points,
                   int               target[2],
                   GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  if (at == NULL)
    return require_field (FIELD_ABSENT, parent, member, "an array", error);
  r->p = at;
  r->depth = depth;
  switch (peek (r)) {
    case TOKEN_ARRAY:
      return is_bound ? read_bound (r, &path, points, error)
                      : read_target (r, &path, target, error);
    case TOKEN_NULL:
      return require_field (FIELD_NULL, parent, member, "an array", error);
    default:
      return type_error (r, &path, "an array", error);
  }
}

static gboolean
read_string_member (Reader           *r,
                    const char       *at,
                    guint             depth,
                    const ViJsonPath *parent,
                    const char       *member,
                    gboolean          required,
                    Str              *out,
                    GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  out->state = FIELD_ABSENT;
  if (at != NULL) {
    r->p = at;
    r->depth = depth;
    if (!member_string (r, &path, out, error))
      return FALSE;
  }
  return !required ||
      require_field (out->state, parent, member, "a string", error);
}

/* `contents`, at r->p (an object).  Its `kind` decides what the other
 * members mean, and may come last: one pass finds it and where the
 * members that matter start; they are then read in the order the tree
 * reader checks them, so that both report the same first error. */
static ViAnnotationContent *
read_contents (Reader *r, const ViJsonPath *path, GArray *points, GError **error)
{
  static const char *const names[CONTENTS_N_MEMBERS] = { "contents", "bound",
                                                         "target", "question",
                                                         "answer" };
  static const gsize       name_lens[CONTENTS_N_MEMBERS] = { 8, 5, 6, 8, 6 };
  const char   *at[CONTENTS_N_MEMBERS] = { NULL, NULL, NULL, NULL, NULL };
  const char   *start = r->p, *end;
  guint         depth = r->depth;
  gboolean      first = TRUE;
  Str           key, kind = { NULL, 0, 0, FIELD_ABSENT };
  ViJsonPath    kind_path = VI_JSON_PATH_MEMBER (path, "kind");
  ViContentKind content_kind, kind_so_far = VI_CONTENT_KIND_UNKNOWN;
  ViAnnotationContent *contents = NULL;
  gboolean             bound_read = FALSE, target_read = FALSE;
  int                  target[2] = { 0, 0 };
  guint                i;

  if (!begin_container (r, error))
    return NULL;
  while (next_member (r, &first, &key, error)) {
    if (KEY_IS (r, &key, "kind")) {
      if (!member_string (r, &kind_path, &kind, error))
        return NULL;
      kind_so_far = kind.state == FIELD_SET ? content_kind_from_str (r, &kind)
                                            : VI_CONTENT_KIND_UNKNOWN;
      continue;
    }
    for (i = 0; i < CONTENTS_N_MEMBERS; i++) {
      if (str_equal (r, &key, names[i], name_lens[i])) {
        at[i] = r->p;
        break;
      }
    }
    /* With `kind` already known (the usual order), a box is read at once;
     * anything wrong is read again below, in the tree reader's order, so
     * that the error is the same. */
    if (kind_so_far == VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX &&
        (i == CONTENTS_BOUND || i == CONTENTS_TARGET)) {
      const char *value = r->p;
      ViJsonPath  ignored = VI_JSON_PATH_ROOT;
      gboolean    ok;

      ok = peek (r) == TOKEN_ARRAY &&
          (i == CONTENTS_BOUND ? read_bound (r, &ignored, points, NULL)
                               : read_target (r, &ignored, target, NULL));
      if (i == CONTENTS_BOUND)
        bound_read = ok;
      else
        target_read = ok;
      if (ok)
        continue;
      r->p = value;
      r->depth = depth + 1;
      r->failed = FALSE;
    }
    if (!skip_value (r, error))
      return NULL;
  }
  if (r->failed || !require_field (kind.state, path, "kind", "a string", error))
    return NULL;
  end = r->p;

  content_kind = content_kind_from_str (r, &kind);
  switch (content_kind) {
    case VI_CONTENT_KIND_CAPTION: {
      Str text;

      if (!read_string_member (r, at[CONTENTS_TEXT], depth + 1, path,
                               "contents", FALSE, &text, error))
        return NULL;
      if (text.state != FIELD_SET)
        contents = _vi_annotation_content_new_caption_len (r->arena, "", 0);
      else
        contents = _vi_annotation_content_new_caption_len (r->arena,
                                                           str_data (r, &text),
                                                           text.len);
      break;
    }

    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
      if ((!bound_read &&
           !read_array_member (r, at[CONTENTS_BOUND], depth + 1, path, "bound",
                               TRUE, points, target, error)) ||
          (!target_read &&
           !read_array_member (r, at[CONTENTS_TARGET], depth + 1, path,
                               "target", FALSE, points, target, error)))
        return NULL;
      contents = _vi_annotation_content_new_box_in (r->arena,
                                                    (const double *) (gpointer)
                                                        points->data,
                                                    points->len / 2, target[0],
                                                    target[1]);
      break;

    case VI_CONTENT_KIND_VQA: {
      Str question, answer;

      if (!read_string_member (r, at[CONTENTS_QUESTION], depth + 1, path,
                               "question", TRUE, &question, error) ||
          !read_string_member (r, at[CONTENTS_ANSWER], depth + 1, path,
                               "answer", TRUE, &answer, error))
        return NULL;
      contents = _vi_annotation_content_new_vqa_len (r->arena,
                                                     str_data (r, &question),
                                                     question.len,
                                                     str_data (r, &answer),
                                                     answer.len);
      break;
    }

    case VI_CONTENT_KIND_UNKNOWN:
    default: {
      g_autoptr (JsonNode) raw = NULL;
      g_autofree char *kind_name = g_strndup (str_data (r, &kind), kind.len);

      /* Kept as sent (L-4); rare, so json-glib may build it. */
      raw = vi_json_parse_data (start, end - start, VI_JSON_MAX_BODY_SIZE,
                                VI_ERROR_INVALID_RESPONSE, "contents", NULL);
      if (raw == NULL) {
        syntax_error (r, start, "malformed contents", error);
        return NULL;
      }
      contents = _vi_annotation_content_new_unknown_in (r->arena, kind_name,
                                                        raw);
      break;
    }
  }

  r->p = end;
  r->depth = depth;
  return contents;
}

/* An object member that must be an object: reads '{' and returns TRUE with
 * *state FIELD_SET, or records null, or fails. */
static gboolean
member_object (Reader           *r,
               const ViJsonPath *path,
               FieldState       *state,
               GError          **error)
{
  switch (peek (r)) {
    case TOKEN_OBJECT:
      *state = FIELD_SET;
      return TRUE;
    case TOKEN_NULL:
      *state = FIELD_NULL;
      return read_literal (r, "null", 4, error);
    default:
      return type_error (r, path, "an object", error);
  }
}

/* { "id": string } or { "role": string } */
static gboolean
read_single_string_object (Reader           *r,
                           const ViJsonPath *path,
                           const char       *member,
                           Str              *out,
                           GError          **error)
{
  ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, member);
  gboolean   first = TRUE;
  gsize      member_len = strlen (member);
  Str        key;

  out->state = FIELD_ABSENT;
  if (!begin_container (r, error))
    return FALSE;
  while (next_member (r, &first, &key, error)) {
    if (str_equal (r, &key, member, member_len)) {
      if (!member_string (r, &member_path, out, error))
        return FALSE;
    } else if (!skip_value (r, error)) {
      return FALSE;
    }
  }
  if (r->failed)
    return FALSE;
  return require_field (out->state, path, member, "a string", error);
}

static ViAnnotationSpec *
read_spec (Reader *r, const ViJsonPath *path, GArray *points, GError **error)
{
  ViJsonPath bound_type_path = VI_JSON_PATH_MEMBER (path, "boundType");
  ViJsonPath tag_path = VI_JSON_PATH_MEMBER (path, "tag");
  ViJsonPath aggregation_path = VI_JSON_PATH_MEMBER (path, "aggregation");
  ViJsonPath whole_path = VI_JSON_PATH_MEMBER (&aggregation_path, "whole");
  ViJsonPath part_path = VI_JSON_PATH_MEMBER (&aggregation_path, "thisPart");
  ViJsonPath contents_path = VI_JSON_PATH_MEMBER (path, "contents");
  ViAnnotationContent *contents = NULL; /* in the arena */
  Str                  key, bound_type = { NULL, 0, 0, FIELD_ABSENT };
  Str                  whole_id = { NULL, 0, 0, FIELD_ABSENT };
  Str                  role = { NULL, 0, 0, FIELD_ABSENT };
  FieldState tag_state = FIELD_ABSENT, aggregation_state = FIELD_ABSENT;
  FieldState whole_state = FIELD_ABSENT, part_state = FIELD_ABSENT;
  FieldState contents_state = FIELD_ABSENT;
  gboolean   first = TRUE;
  gint64     tag = 0;

  if (!begin_container (r, error))
    return NULL;
  while (next_member (r, &first, &key, error)) {
    if (KEY_IS (r, &key, "boundType")) {
      if (!member_string (r, &bound_type_path, &bound_type, error))
        return NULL;
    } else if (KEY_IS (r, &key, "tag")) {
      if (!member_int (r, &tag_path, &tag, &tag_state, error))
        return NULL;
    } else if (KEY_IS (r, &key, "aggregation")) {
      gboolean first_part = TRUE;
      Str      part_key;

      if (!member_object (r, &aggregation_path, &aggregation_state, error))
        return NULL;
      if (aggregation_state != FIELD_SET)
        continue;
      whole_state = part_state = FIELD_ABSENT;
      if (!begin_container (r, error))
        return NULL;
      while (next_member (r, &first_part, &part_key, error)) {
        if (KEY_IS (r, &part_key, "whole")) {
          if (!member_object (r, &whole_path, &whole_state, error))
            return NULL;
          if (whole_state == FIELD_SET &&
              !read_single_string_object (r, &whole_path, "id", &whole_id,
                                          error))
            return NULL;
        } else if (KEY_IS (r, &part_key, "thisPart")) {
          if (!member_object (r, &part_path, &part_state, error))
            return NULL;
          if (part_state == FIELD_SET &&
              !read_single_string_object (r, &part_path, "role", &role, error))
            return NULL;
        } else if (!skip_value (r, error)) {
          return NULL;
        }
      }
      if (r->failed ||
          !require_field (whole_state, &aggregation_path, "whole", "an object",
                          error) ||
          !require_field (part_state, &aggregation_path, "thisPart",
                          "an object", error))
        return NULL;
    } else if (KEY_IS (r, &key, "contents")) {
      if (!member_object (r, &contents_path, &contents_state, error))
        return NULL;
      contents = NULL;
      if (contents_state != FIELD_SET)
        continue;
      contents = read_contents (r, &contents_path, points, error);
      if (contents == NULL)
        return NULL;
    } else if (!skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed ||
      !require_field (bound_type.state, path, "boundType", "a string", error) ||
      !require_field (tag_state, path, "tag", "an integer", error) ||
      !require_field (aggregation_state, path, "aggregation", "an object",
                      error) ||
      !require_field (contents_state, path, "contents", "an object", error))
    return NULL;

  return _vi_annotation_spec_new_from_parts (r->arena,
                                             str_ref_of (r, &bound_type), tag,
                                             str_ref_of (r, &whole_id),
                                             role_from_str (r, &role),
                                             str_ref_of (r, &role), contents);
}

static ViResourceMetadata *
read_metadata (Reader *r, const ViJsonPath *path, GError **error)
{
  static const char *const names[] = { "timeCreated", "lastUpdated",
                                       "generation" };
  static const gsize       name_lens[] = { 11, 11, 10 };
  ViJsonPath attributes_path = VI_JSON_PATH_MEMBER (path, "attributes");
  g_autoptr (GHashTable) attributes = NULL;
  FieldState states[3] = { FIELD_ABSENT, FIELD_ABSENT, FIELD_ABSENT };
  FieldState attributes_state = FIELD_ABSENT;
  gint64     values[3] = { 0, 0, 0 };
  gboolean   first = TRUE;
  Str        key;
  guint      i;

  if (!begin_container (r, error))
    return NULL;
  while (next_member (r, &first, &key, error)) {
    for (i = 0; i < 3; i++) {
      if (str_equal (r, &key, names[i], name_lens[i]))
        break;
    }
    if (i < 3) {
      ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, names[i]);

      if (!member_int (r, &member_path, &values[i], &states[i], error))
        return NULL;
    } else if (KEY_IS (r, &key, "attributes")) {
      gboolean first_entry = TRUE;
      Str      name;

      if (!member_object (r, &attributes_path, &attributes_state, error))
        return NULL;
      g_clear_pointer (&attributes, g_hash_table_unref);
      if (attributes_state != FIELD_SET)
        continue;
      if (!begin_container (r, error))
        return NULL;
      while (next_member (r, &first_entry, &name, error)) {
        g_autofree char *name_copy = g_strndup (str_data (r, &name), name.len);
        ViJsonPath       entry_path = VI_JSON_PATH_MEMBER (&attributes_path,
                                                           name_copy);
        Str              value = { NULL, 0, 0, FIELD_ABSENT };

        if (!member_string (r, &entry_path, &value, error))
          return NULL;
        if (value.state != FIELD_SET) {
          vi_json_set_error (error, &entry_path, "expected a string, got null");
          return NULL;
        }
        if (attributes == NULL)
          attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              g_free);
        g_hash_table_insert (attributes, g_steal_pointer (&name_copy),
                             g_strndup (str_data (r, &value), value.len));
      }
      if (r->failed)
        return NULL;
    } else if (!skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;
  for (i = 0; i < 3; i++) {
    if (!require_field (states[i], path, names[i], "an integer", error))
      return NULL;
  }
  if (!require_field (attributes_state, path, "attributes", "an object", error))
    return NULL;
  return _vi_resource_metadata_new_in (r->arena, values[0], values[1],
                                       values[2],
                                       g_steal_pointer (&attributes));
}

/* The wire `datasetId` without "{org}_" (see _vi_strip_dataset_prefix()). */
static ViStrRef
strip_dataset_prefix (ViStrRef organization_id, ViStrRef dataset_id)
{
  if (organization_id.len > 0 && dataset_id.len > organization_id.len + 1 &&
      memcmp (dataset_id.str, organization_id.str, organization_id.len) == 0 &&
      dataset_id.str[organization_id.len] == '_') {
    dataset_id.str += organization_id.len + 1;
    dataset_id.len -= organization_id.len + 1;
  }
  return dataset_id;
}

static ViAnnotation *
read_annotation (Reader           *r,
                 const ViJsonPath *path,
                 GArray           *points,
                 GError          **error)
{
#define NAME(s) s, sizeof (s) - 1
  static const struct {
    const char        *name;
    gsize              len;
    ViAnnotationString index;
  } strings[] = {
    { NAME ("annotationId"), VI_ANNOTATION_STRING_ID },
    { NAME ("assetId"), VI_ANNOTATION_STRING_ASSET_ID },
    { NAME ("workspaceId"), VI_ANNOTATION_STRING_ORGANIZATION_ID },
    { NAME ("datasetId"), VI_ANNOTATION_STRING_DATASET_ID },
    { NAME ("selfLink"), VI_ANNOTATION_STRING_SELF_LINK },
    { NAME ("etag"), VI_ANNOTATION_STRING_ETAG },
  };
#undef NAME
  ViJsonPath          kind_path = VI_JSON_PATH_MEMBER (path, "kind");
  ViJsonPath          spec_path = VI_JSON_PATH_MEMBER (path, "spec");
  ViJsonPath          metadata_path = VI_JSON_PATH_MEMBER (path, "metadata");
  ViAnnotationSpec   *spec = NULL;     /* in the arena */
  ViResourceMetadata *metadata = NULL; /* in the arena */
  Str                 values[VI_ANNOTATION_N_STRINGS];
  ViStrRef            refs[VI_ANNOTATION_N_STRINGS];
  Str                 key, kind = { NULL, 0, 0, FIELD_ABSENT };
  FieldState          spec_state = FIELD_ABSENT, metadata_state = FIELD_ABSENT;
  gboolean            first = TRUE;
  guint               i;

  memset (values, 0, sizeof values);
  if (!begin_container (r, error))
    return NULL;
  while (next_member (r, &first, &key, error)) {
    for (i = 0; i < G_N_ELEMENTS (strings); i++) {
      if (str_equal (r, &key, strings[i].name, strings[i].len))
        break;
    }
    if (i < G_N_ELEMENTS (strings)) {
      ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, strings[i].name);

      if (!member_string (r, &member_path, &values[strings[i].index], error))
        return NULL;
    } else if (KEY_IS (r, &key, "kind")) {
      if (!member_string (r, &kind_path, &kind, error))
        return NULL;
    } else if (KEY_IS (r, &key, "spec")) {
      if (!member_object (r, &spec_path, &spec_state, error))
        return NULL;
      spec = NULL;
      if (spec_state == FIELD_SET) {
        spec = read_spec (r, &spec_path, points, error);
        if (spec == NULL)
          return NULL;
      }
    } else if (KEY_IS (r, &key, "metadata")) {
      if (!member_object (r, &metadata_path, &metadata_state, error))
        return NULL;
      metadata = NULL;
      if (metadata_state == FIELD_SET) {
        metadata = read_metadata (r, &metadata_path, error);
        if (metadata == NULL)
          return NULL;
      }
    } else if (!skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;

  /* In the order of the tree reader. */
  if (kind.state == FIELD_SET && !KEY_IS (r, &kind, "Annotation")) {
    g_autofree char *kind_copy = g_strndup (str_data (r, &kind), kind.len);
    g_autofree char *shown = quote_for_message (kind_copy);

    vi_json_set_error (error, &kind_path, "expected \"Annotation\", got %s",
                       shown);
    return NULL;
  }
  for (i = 0; i < 4; i++) {
    if (!require_field (values[strings[i].index].state, path, strings[i].name,
                        "a string", error))
      return NULL;
  }
  if (!require_field (spec_state, path, "spec", "an object", error) ||
      !require_field (metadata_state, path, "metadata", "an object", error))
    return NULL;
  for (i = 4; i < G_N_ELEMENTS (strings); i++) {
    if (!require_field (values[strings[i].index].state, path, strings[i].name,
                        "a string", error))
      return NULL;
  }

  for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++)
    refs[i] = str_ref_of (r, &values[i]);
  refs[VI_ANNOTATION_STRING_DATASET_ID] =
      strip_dataset_prefix (refs[VI_ANNOTATION_STRING_ORGANIZATION_ID],
                            refs[VI_ANNOTATION_STRING_DATASET_ID]);
  return _vi_annotation_new_from_parts (r->arena, refs, spec, metadata);
}

/* ------------------------------------------------------------------------
 * The fast path of the direct reader.
 *
 * The server writes every item the same way: the same members, in the
 * same order, with no null and nothing unknown.  read_annotation_fast()
 * reads an item of exactly that shape with straight-line code: the bytes
 * between two values are compared at once with those expected there
 * (`,"assetId":` for instance), a few words for a compact body, token by
 * token when there is white space.  It gives up at the first thing it
 * does not expect, reporting nothing, and the item is then read again
 * from its start by read_annotation(), which knows every rule and every
 * message: the fast path only succeeds where read_annotation() would,
 * with the same values.
 * ------------------------------------------------------------------------ */

/* Whether the len bytes at p and at q are the same: a few compares of
 * words when len and q are constants. */
FAST_INLINE gboolean
bytes_equal (const char *p, const char *q, gsize len)
{
  guint64 a, b, diff = 0;
  gsize   i;

  if (len >= 8) {
    for (i = 0; i + 8 <= len; i += 8) {
      memcpy (&a, p + i, 8);
      memcpy (&b, q + i, 8);
      diff |= a ^ b;
    }
    if (i < len) {
      memcpy (&a, p + len - 8, 8);
      memcpy (&b, q + len - 8, 8);
      diff |= a ^ b;
    }
  } else if (len >= 4) {
    guint32 c, d;

    memcpy (&c, p, 4);
    memcpy (&d, q, 4);
    diff = c ^ d;
    memcpy (&c, p + len - 4, 4);
    memcpy (&d, q + len - 4, 4);
    diff |= c ^ d;
  } else {
    for (i = 0; i < len; i++)
      diff |= (guchar) p[i] ^ (guchar) q[i];
  }
  return diff == 0;
}

/* fast_lit() with white space between the tokens of lit.  Leaves r->p
 * where it was when the bytes are not those. */
static G_GNUC_NO_INLINE gboolean
fast_lit_spaced (Reader *r, const char *lit, gsize len)
{
  const char *start = r->p;
  gboolean    in_string = FALSE;
  gsize       i;

  for (i = 0; i < len; i++) {
    if (!in_string)
      skip_ws (r);
    if (r->p >= r->end || *r->p != lit[i]) {
      r->p = start;
      return FALSE;
    }
    if (lit[i] == '"')
      in_string = !in_string;
    r->p++;
  }
  return TRUE;
}

/* The tokens of lit (whole tokens: punctuation and strings with no
 * escape) at r->p, which moves past them; or FALSE with r->p where it
 * was. */
FAST_INLINE gboolean
fast_lit (Reader *r, const char *lit, gsize len)
{
  if (G_LIKELY ((gsize) (r->end - r->p) >= len &&
                bytes_equal (r->p, lit, len))) {
    r->p += len;
    return TRUE;
  }
  return fast_lit_spaced (r, lit, len);
}

#define FAST_LIT(r, lit) fast_lit ((r), lit, sizeof (lit) - 1)

/* Whether the next token starts with c (it is then at r->p). */
FAST_INLINE gboolean
fast_peek (Reader *r, char c)
{
  if (G_LIKELY (r->p < r->end && *r->p == c))
    return TRUE;
  skip_ws (r);
  return r->p < r->end && *r->p == c;
}

FAST_INLINE gboolean
fast_string (Reader *r, Str *out)
{
  return fast_peek (r, '"') && read_string (r, out, NULL);
}

FAST_INLINE gboolean
fast_number (Reader *r, Number *out)
{
  skip_ws (r);
  if (G_UNLIKELY (r->p >= r->end ||
                  (*r->p != '-' && (guint) (*r->p - '0') >= 10)))
    return FALSE;
  return read_number (r, out, NULL);
}

FAST_INLINE gboolean
fast_int (Reader *r, gint64 *out)
{
  Number number;

  if (!fast_number (r, &number) || !number.is_integer)
    return FALSE;
  *out = number.integer;
  return TRUE;
}

FAST_INLINE gboolean
fast_double (Reader *r, double *out)
{
  Number number;

  if (!fast_number (r, &number) || !isfinite (number.value))
    return FALSE;
  *out = number.value;
  return TRUE;
}

/* The strings the arena interns (ids repeated on every item): the last
 * one read for a slot, as a slice of the body, and what it gave.  The
 * same bytes again give the same string, found without reading it. */
typedef struct {
  const char *raw; /* NULL when the last one had escapes */
  gsize       raw_len;
  ViStrRef    value;           /* in the arena */
  const char *organization_id; /* dataset id: stripped of this one */
} InternCache;

typedef enum {
  CACHE_ASSET_ID,
  CACHE_ORGANIZATION_ID,
  CACHE_DATASET_ID,
  CACHE_BOUND_TYPE,
  CACHE_WHOLE_ID,
  N_CACHES
} CacheSlot;

/* Whether the string at r->p is the one of cache (read past it then). */
FAST_INLINE gboolean
fast_cached (Reader *r, const InternCache *cache)
{
  gsize len = cache->raw_len;

  if (cache->raw != NULL && (gsize) (r->end - r->p) >= len + 2 &&
      r->p[0] == '"' && r->p[len + 1] == '"' &&
      bytes_equal (r->p + 1, cache->raw, len)) {
    r->p += len + 2;
    return TRUE;
  }
  return FALSE;
}

/* A string for an interned slot of the arena. */
static G_GNUC_NO_INLINE gboolean
fast_intern_slow (Reader      *r,
                  InternCache *cache,
                  guint        slot,
                  ViStrRef     organization_id)
{
  ViStrRef ref;
  Str      s;

  if (!fast_string (r, &s))
    return FALSE;
  ref.str = str_data (r, &s);
  ref.len = s.len;
  if (slot == VI_ARENA_INTERN_DATASET_ID)
    ref = strip_dataset_prefix (organization_id, ref);
  cache->raw = s.str;
  cache->raw_len = s.len;
  cache->value.str = _vi_arena_intern (r->arena, slot, ref.str, ref.len);
  cache->value.len = ref.len;
  cache->organization_id = organization_id.str;
  return TRUE;
}

FAST_INLINE gboolean
fast_intern (Reader *r, InternCache *cache, guint slot, ViStrRef *out)
{
  if (!fast_cached (r, cache) &&
      !fast_intern_slow (r, cache, slot, (ViStrRef){ NULL, 0 }))
    return FALSE;
  *out = cache->value;
  return TRUE;
}

/* `bound`: [[x, y], ...], at least one point, from after its first
 * bracket.  The points go to local (of n_local doubles) while they fit,
 * then to points; *out is where they are. */
static gboolean
fast_bound (Reader  *r,
            double  *local,
            gsize    n_local,
            GArray  *points,
            double **out,
            gsize   *n_points)
{
  double *buffer = local;
  gsize   capacity = n_local, n = 0;

  for (;;) {
    if (G_UNLIKELY (n + 2 > capacity)) {
      g_array_set_size (points, MAX (2 * capacity, 16));
      if (buffer == local)
        memcpy (points->data, local, n * sizeof (double));
      buffer = (double *) (gpointer) points->data;
      capacity = points->len;
    }
    if (!fast_double (r, &buffer[n]) || !FAST_LIT (r, ",") ||
        !fast_double (r, &buffer[n + 1]))
      return FALSE;
    n += 2;
    if (G_LIKELY (r->end - r->p >= 3 && r->p[0] == ']')) {
      if (r->p[1] == ',' && r->p[2] == '[') {
        r->p += 3;
        continue;
      }
      if (r->p[1] == ']') {
        r->p += 2;
        break;
      }
    }
    if (fast_lit_spaced (r, "],[", 3))
      continue;
    if (fast_lit_spaced (r, "]]", 2))
      break;
    return FALSE;
  }
  *out = buffer;
  *n_points = n / 2;
  return TRUE;
}

/* `contents` from its `kind` value to its closing brace. */
static ViAnnotationContent *
fast_contents (Reader *r, GArray *points)
{
  if (!fast_peek (r, '"') || r->end - r->p < 2)
    return NULL;
  switch (r->p[1]) {
    case 'P': {
      double local[32], *bound;
      gsize  n_points;
      gint64 start, end;

      if (!FAST_LIT (r, "\"PhraseGroundingBoundingBox\",\"bound\":[[") ||
          !fast_bound (r, local, G_N_ELEMENTS (local), points, &bound,
                       &n_points) ||
          !FAST_LIT (r, ",\"target\":[") || !fast_int (r, &start) ||
          !FAST_LIT (r, ",") || !fast_int (r, &end) || !FAST_LIT (r, "]}") ||
          start < G_MININT || start > G_MAXINT || end < G_MININT ||
          end > G_MAXINT)
        return NULL;
      return _vi_annotation_content_new_box_in (r->arena, bound, n_points,
                                                (int) start, (int) end);
    }

    case 'C': {
      Str text;

      if (!FAST_LIT (r, "\"Caption\",\"contents\":") ||
          !fast_string (r, &text) || !FAST_LIT (r, "}"))
        return NULL;
      return _vi_annotation_content_new_caption_len (r->arena,
                                                     str_data (r, &text),
                                                     text.len);
    }

    case 'V': {
      Str question, answer;

      if (!FAST_LIT (r, "\"Vqa\",\"question\":") ||
          !fast_string (r, &question) || !FAST_LIT (r, ",\"answer\":") ||
          !fast_string (r, &answer) || !FAST_LIT (r, "}"))
        return NULL;
      return _vi_annotation_content_new_vqa_len (r->arena,
                                                 str_data (r, &question),
                                                 question.len,
                                                 str_data (r, &answer),
                                                 answer.len);
    }

    default:
      return NULL;
  }
}

/* `attributes` from after its opening brace: a map of strings, usually
 * empty. */
static gboolean
fast_attributes (Reader *r, GHashTable **out)
{
  g_autoptr (GHashTable) attributes = NULL;

  *out = NULL;
  if (G_LIKELY (FAST_LIT (r, "}")))
    return TRUE;
  for (;;) {
    Str name, value;

    if (!fast_string (r, &name) || !FAST_LIT (r, ":") ||
        !fast_string (r, &value))
      return FALSE;
    if (attributes == NULL)
      attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
    g_hash_table_insert (attributes, g_strndup (str_data (r, &name), name.len),
                         g_strndup (str_data (r, &value), value.len));
    if (FAST_LIT (r, ","))
      continue;
    if (FAST_LIT (r, "}"))
      break;
    return FALSE;
  }
  *out = g_steal_pointer (&attributes);
  return TRUE;
}

/* An item at r->p (an object) in the server's shape, or NULL with r
 * unchanged but for the scratch buffer, the caches and objects left in
 * the arena. */
static ViAnnotation *
read_annotation_fast (Reader *r, InternCache *caches, GArray *points)
{
  const char       *start = r->p;
  ViAnnotationParts parts;
  ViStrRef          asset_id, organization_id, dataset_id, bound_type, whole_id;
  Str               id, self_link, etag, role;

  if (!FAST_LIT (r, "{\"kind\":\"Annotation\",\"annotationId\":") ||
      !fast_string (r, &id) || !FAST_LIT (r, ",\"assetId\":") ||
      !fast_intern (r, &caches[CACHE_ASSET_ID], VI_ARENA_INTERN_ASSET_ID,
                    &asset_id) ||
      !FAST_LIT (r, ",\"workspaceId\":") ||
      !fast_intern (r, &caches[CACHE_ORGANIZATION_ID],
                    VI_ARENA_INTERN_ORGANIZATION_ID, &organization_id) ||
      !FAST_LIT (r, ",\"datasetId\":"))
    goto fail;
  /* The dataset id is stripped of the organization id. */
  if (caches[CACHE_DATASET_ID].organization_id == organization_id.str &&
      fast_cached (r, &caches[CACHE_DATASET_ID]))
    dataset_id = caches[CACHE_DATASET_ID].value;
  else if (fast_intern_slow (r, &caches[CACHE_DATASET_ID],
                             VI_ARENA_INTERN_DATASET_ID, organization_id))
    dataset_id = caches[CACHE_DATASET_ID].value;
  else
    goto fail;

  if (!FAST_LIT (r, ",\"spec\":{\"boundType\":") ||
      !fast_intern (r, &caches[CACHE_BOUND_TYPE], VI_ARENA_INTERN_BOUND_TYPE,
                    &bound_type) ||
      !FAST_LIT (r, ",\"tag\":") || !fast_int (r, &parts.tag) ||
      !FAST_LIT (r, ",\"aggregation\":{\"whole\":{\"id\":") ||
      !fast_intern (r, &caches[CACHE_WHOLE_ID], VI_ARENA_INTERN_WHOLE_ID,
                    &whole_id) ||
      !FAST_LIT (r, "},\"thisPart\":{\"role\":") || !fast_string (r, &role) ||
      !FAST_LIT (r, "}},\"contents\":{\"kind\":"))
    goto fail;
  parts.contents = fast_contents (r, points);
  if (parts.contents == NULL ||
      !FAST_LIT (r, "},\"metadata\":{\"timeCreated\":") ||
      !fast_int (r, &parts.time_created) ||
      !FAST_LIT (r, ",\"lastUpdated\":") ||
      !fast_int (r, &parts.last_updated) || !FAST_LIT (r, ",\"generation\":") ||
      !fast_int (r, &parts.generation) || !FAST_LIT (r, ",\"attributes\":{") ||
      !fast_attributes (r, &parts.attributes))
    goto fail;
  if (!FAST_LIT (r, "},\"selfLink\":") || !fast_string (r, &self_link) ||
      !FAST_LIT (r, ",\"etag\":") || !fast_string (r, &etag) ||
      !FAST_LIT (r, "}")) {
    g_clear_pointer (&parts.attributes, g_hash_table_unref);
    goto fail;
  }

  parts.id = str_ref_of (r, &id);
  parts.self_link = str_ref_of (r, &self_link);
  parts.etag = str_ref_of (r, &etag);
  parts.asset_id = asset_id.str;
  parts.organization_id = organization_id.str;
  parts.dataset_id = dataset_id.str;
  parts.bound_type = bound_type.str;
  parts.whole_id = whole_id.str;
  parts.role = role_from_str (r, &role);
  parts.role_name = str_ref_of (r, &role);
  return _vi_annotation_new_in_arena (r->arena, &parts);

fail:
  r->p = start;
  r->failed = FALSE;
  return NULL;
}

static gboolean
read_page_token (Reader *r, const ViJsonPath *path, char **out, GError **error)
{
  Str token = { NULL, 0, 0, FIELD_ABSENT };

  if (!member_string (r, path, &token, error))
    return FALSE;
  g_clear_pointer (out, g_free);
  if (token.state == FIELD_SET && token.len > 0)
    *out = g_strndup (str_data (r, &token), token.len);
  return TRUE;
}

/* The byte reader of _vi_annotation_page_new_from_bytes(). */
static ViAnnotationPage *
read_page_direct (GBytes *bytes, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath items_path = VI_JSON_PATH_MEMBER (&root, "items");
  ViJsonPath next_path = VI_JSON_PATH_MEMBER (&root, "nextPage");
  ViJsonPath prev_path = VI_JSON_PATH_MEMBER (&root, "prevPage");
  g_autoptr (ViArena) arena = NULL; /* freed after items */
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GByteArray) scratch = NULL;
  g_autoptr (GArray) points = NULL;
  g_autofree char *next_page = NULL;
  g_autofree char *prev_page = NULL;
  gboolean         first = TRUE;
  const char      *data = NULL;
  gsize            len = 0;
  Reader           reader, *r = &reader;
  InternCache      caches[N_CACHES];
  Str              key;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &len);
  if (data == NULL)
    data = ""; /* an empty GBytes has no data, and NULL + 0 is undefined */
  reader.data = data;
  reader.p = data;
  reader.end = data + len;
  reader.depth = 0;
  reader.failed = FALSE;
  skip_ws (r);
  if (r->p == r->end) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                         "invalid response: empty body");
    return NULL;
  }

  memset (caches, 0, sizeof caches);
  scratch = g_byte_array_new ();
  reader.scratch = scratch;
  arena = _vi_arena_new ();
  reader.arena = arena;
  points = g_array_sized_new (FALSE, FALSE, sizeof (double), 8);
  /* Items take some 600 bytes each as the server writes them. */
  items = g_ptr_array_new_full ((guint) MIN (len / 512 + 1, 65536),
                                (GDestroyNotify) vi_annotation_unref);

  if (peek (r) != TOKEN_OBJECT) {
    TokenKind kind = peek (r);

    if (!skip_value (r, error))
      return NULL;
    skip_ws (r);
    if (r->p != r->end) {
      syntax_error (r, r->p, "unexpected data after the root value", error);
      return NULL;
    }
    vi_json_set_error (error, &root, "expected an object, got %s",
                       describe_token (kind));
    return NULL;
  }

  if (!begin_container (r, error))
    return NULL;
  while (next_member (r, &first, &key, error)) {
    if (KEY_IS (r, &key, "items")) {
      gboolean first_item = TRUE;
      int      index = 0;

      g_ptr_array_set_size (items, 0);
      if (peek (r) == TOKEN_NULL) {
        if (!read_literal (r, "null", 4, error))
          return NULL;
        continue;
      }
      if (peek (r) != TOKEN_ARRAY) {
        type_error (r, &items_path, "an array", error);
        return NULL;
      }
      if (!begin_container (r, error))
        return NULL;
      while (next_element (r, &first_item, error)) {
        ViJsonPath    item_path = VI_JSON_PATH_INDEX (&items_path, index);
        ViAnnotation *annotation;

        if (peek (r) != TOKEN_OBJECT) {
          type_error (r, &item_path, "an object", error);
          return NULL;
        }
        if (scratch->len > 0)
          g_byte_array_set_size (scratch, 0);
        annotation = read_annotation_fast (r, caches, points);
        if (annotation == NULL) {
          g_byte_array_set_size (scratch, 0);
          annotation = read_annotation (r, &item_path, points, error);
          if (annotation == NULL)
            return NULL;
        }
        g_ptr_array_add (items, annotation);
        _vi_arena_add_refs (arena, 1);
        index++;
      }
      if (r->failed)
        return NULL;
    } else if (KEY_IS (r, &key, "nextPage")) {
      if (!read_page_token (r, &next_path, &next_page, error))
        return NULL;
    } else if (KEY_IS (r, &key, "prevPage")) {
      if (!read_page_token (r, &prev_path, &prev_page, error))
        return NULL;
    } else if (!skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;
  skip_ws (r);
  if (r->p != r->end) {
    syntax_error (r, r->p, "unexpected data after the root value", error);
    return NULL;
  }

  return _vi_annotation_page_new_take (g_steal_pointer (&items),
                                       g_steal_pointer (&arena),
                                       g_steal_pointer (&next_page),
                                       g_steal_pointer (&prev_page));
}

/**
 * _vi_annotation_page_new_from_bytes:
 * @bytes: (nullable): the body of a list response
 * @error: return location for a #GError
 *
 * Reads a page of annotations straight from the body, giving what
 * vi_json_parse_bytes() and vi_annotation_page_new_from_json() give, errors
 * included, several times faster.
 *
 * The byte reader checks each member as it meets it; the tree reader sees
 * only the last of two members with the same name (as json-glib and
 * Python's json do).  A page whose first "spec" is invalid and whose second
 * is valid would fail here and parse there.  So a schema error is checked
 * against the tree reader before it is returned: the rare failing page
 * pays for a second parse, the common one does not.
 *
 * Returns: (transfer full) (nullable): the page, or %NULL with @error set
 */
ViAnnotationPage *
_vi_annotation_page_new_from_bytes (GBytes *bytes, GError **error)
{
  g_autoptr (GError) direct_error = NULL;
  g_autoptr (JsonNode) root = NULL;
  ViAnnotationPage *page;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  page = read_page_direct (bytes, &direct_error);
  if (page != NULL)
    return page;

  if (!g_str_has_prefix (direct_error->message,
                         "invalid response: malformed JSON") &&
      !g_str_has_prefix (direct_error->message,
                         "invalid response: empty body")) {
    root = vi_json_parse_bytes (bytes, NULL);
    if (root != NULL) {
      page = vi_annotation_page_new_from_json (root, NULL);
      if (page != NULL)
        return page;
    }
  }

  g_propagate_error (error, g_steal_pointer (&direct_error));
  return NULL;
}
