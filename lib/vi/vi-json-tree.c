/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The json-glib tree of a document: JSON paths for messages, typed access
 * to members that names the path of what is wrong, and the builders and
 * readers shared by the JSON mapping of every type.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-json-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/* Member names longer than this are cut in error messages, so that a
 * hostile key cannot make a message of megabytes. */
#define VI_JSON_MAX_NAME_IN_MESSAGE 64

static gboolean
is_identifier (const char *name)
{
  const char *p;

  if (!g_ascii_isalpha (name[0]) && name[0] != '_')
    return FALSE;
  for (p = name + 1; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  }
  return TRUE;
}

static void
append_member (GString *out, const char *member)
{
  gsize len = strlen (member);

  if (len > 0 && len <= VI_JSON_MAX_NAME_IN_MESSAGE && is_identifier (member)) {
    if (out->len > 0)
      g_string_append_c (out, '.');
    g_string_append_len (out, member, len);
  } else {
    /* Not a plain name ("annotations.jsonl", "", a key with spaces):
     * quote it, so the path stays unambiguous. */
    g_autofree char *cut = NULL;
    g_autofree char *escaped = NULL;
    gboolean         truncated = FALSE;

    if (len > VI_JSON_MAX_NAME_IN_MESSAGE) {
      const char *end = member + VI_JSON_MAX_NAME_IN_MESSAGE;

      /* Do not cut a UTF-8 sequence in two. */
      while (end > member && (((guchar) *end) & 0xc0) == 0x80)
        end--;
      cut = g_strndup (member, end - member);
      truncated = TRUE;
    }
    escaped = g_strescape (cut != NULL ? cut : member, NULL);
    g_string_append_printf (out, "[\"%s%s\"]", escaped, truncated ? "..." : "");
  }
}

/**
 * vi_json_path_to_string:
 * @path: (nullable): a path, or %NULL for the root
 *
 * Renders @path the way error messages name a member:
 * `items[3].spec.contents.bound`.  A member whose name is not a plain
 * identifier is quoted (`files["a.jsonl"].url`).  The root alone renders as
 * `(root)`.
 *
 * Returns: (transfer full): the rendered path
 */
char *
vi_json_path_to_string (const ViJsonPath *path)
{
  const ViJsonPath *frames[VI_JSON_MAX_DEPTH * 2];
  const ViJsonPath *p;
  GString          *out;
  guint             n = 0;

  for (p = path; p != NULL && n < G_N_ELEMENTS (frames); p = p->parent) {
    if (p->member != NULL || p->index >= 0)
      frames[n++] = p;
  }

  if (n == 0)
    return g_strdup ("(root)");

  out = g_string_new (NULL);
  while (n > 0) {
    p = frames[--n];
    if (p->member != NULL)
      append_member (out, p->member);
    else
      g_string_append_printf (out, "[%d]", p->index);
  }
  return g_string_free (out, FALSE);
}

/**
 * vi_json_set_error:
 * @error: return location for a #GError, or %NULL
 * @path: (nullable): where the problem is
 * @format: printf-style message
 * @...: arguments for @format
 *
 * Sets %VI_ERROR_INVALID_RESPONSE with the message
 * `invalid response: <path>: <message>`.  Nothing is formatted when @error
 * is %NULL.
 */
void
vi_json_set_error (GError          **error,
                   const ViJsonPath *path,
                   const char       *format,
                   ...)
{
  g_autofree char *where = NULL;
  g_autofree char *what = NULL;
  va_list          args;

  if (error == NULL)
    return;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  where = vi_json_path_to_string (path);

  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
               "invalid response: %s: %s", where, what);
}

static const char *
describe_node (JsonNode *node)
{
  GType type;

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
  }

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return "a string";
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    return "a number";
  if (type == G_TYPE_BOOLEAN)
    return "a boolean";
  return "an unknown value";
}

static gboolean
node_holds (JsonNode *node, GType type)
{
  return JSON_NODE_TYPE (node) == JSON_NODE_VALUE &&
      json_node_get_value_type (node) == type;
}

/* Looks the member up.  Returns FALSE (with error set when required) if it
 * is absent or null; *node is then NULL. */
static gboolean
lookup (JsonObject       *object,
        const ViJsonPath *path,
        gboolean          required,
        const char       *expected,
        JsonNode        **node,
        GError          **error)
{
  JsonNode *found = json_object_get_member (object, path->member);

  *node = NULL;
  if (found == NULL) {
    if (required)
      vi_json_set_error (error, path, "missing required field");
    return FALSE;
  }
  if (JSON_NODE_TYPE (found) == JSON_NODE_NULL) {
    if (required)
      vi_json_set_error (error, path, "expected %s, got null", expected);
    return FALSE;
  }
  *node = found;
  return TRUE;
}

static gboolean
check_node (JsonNode *node, const ViJsonPath *path, GError **error)
{
  if (node == NULL) {
    vi_json_set_error (error, path, "missing required field");
    return FALSE;
  }
  return TRUE;
}

static void
set_type_error (GError          **error,
                const ViJsonPath *path,
                const char       *expected,
                JsonNode         *node)
{
  vi_json_set_error (error, path, "expected %s, got %s", expected,
                     describe_node (node));
}

gboolean
vi_json_node_get_string (JsonNode         *node,
                         const ViJsonPath *path,
                         const char      **out,
                         GError          **error)
{
  if (!check_node (node, path, error))
    return FALSE;
  if (!node_holds (node, G_TYPE_STRING)) {
    set_type_error (error, path, "a string", node);
    return FALSE;
  }
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
vi_json_node_get_int (JsonNode         *node,
                      const ViJsonPath *path,
                      gint64           *out,
                      GError          **error)
{
  if (!check_node (node, path, error))
    return FALSE;
  if (node_holds (node, G_TYPE_DOUBLE)) {
    /* The SDK sends integers for int fields; 1.5 and 1.0 alike are
     * refused rather than silently truncated. */
    vi_json_set_error (error, path,
                       "expected an integer, got a floating-point number");
    return FALSE;
  }
  if (!node_holds (node, G_TYPE_INT64)) {
    set_type_error (error, path, "an integer", node);
    return FALSE;
  }
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
vi_json_node_get_double (JsonNode         *node,
                         const ViJsonPath *path,
                         double           *out,
                         GError          **error)
{
  double value;

  if (!check_node (node, path, error))
    return FALSE;
  if (node_holds (node, G_TYPE_INT64)) {
    *out = (double) json_node_get_int (node);
    return TRUE;
  }
  if (!node_holds (node, G_TYPE_DOUBLE)) {
    set_type_error (error, path, "a number", node);
    return FALSE;
  }
  value = json_node_get_double (node);
  if (!isfinite (value)) {
    vi_json_set_error (error, path, "number out of range");
    return FALSE;
  }
  *out = value;
  return TRUE;
}

/**
 * vi_json_require_object:
 * @node: (nullable): the node
 * @path: (nullable): where @node is
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the object held by @node, or %NULL
 * with @error set if @node is missing or not an object
 */
JsonObject *
vi_json_require_object (JsonNode *node, const ViJsonPath *path, GError **error)
{
  if (node == NULL) {
    vi_json_set_error (error, path, "missing required field");
    return NULL;
  }
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT) {
    vi_json_set_error (error, path, "expected an object, got %s",
                       describe_node (node));
    return NULL;
  }
  return json_node_get_object (node);
}

/**
 * vi_json_require_array:
 * @node: (nullable): the node
 * @path: (nullable): where @node is
 * @error: return location for a #GError
 *
 * Returns: (transfer none) (nullable): the array held by @node, or %NULL
 * with @error set if @node is missing or not an array
 */
JsonArray *
vi_json_require_array (JsonNode *node, const ViJsonPath *path, GError **error)
{
  if (node == NULL) {
    vi_json_set_error (error, path, "missing required field");
    return NULL;
  }
  if (JSON_NODE_TYPE (node) != JSON_NODE_ARRAY) {
    vi_json_set_error (error, path, "expected an array, got %s",
                       describe_node (node));
    return NULL;
  }
  return json_node_get_array (node);
}

gboolean
vi_json_get_string (JsonObject       *object,
                    const ViJsonPath *parent,
                    const char       *member,
                    gboolean          required,
                    const char      **out,
                    GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  if (!lookup (object, &path, required, "a string", &node, error))
    return !required;
  return vi_json_node_get_string (node, &path, out, error);
}

gboolean
vi_json_get_int (JsonObject       *object,
                 const ViJsonPath *parent,
                 const char       *member,
                 gboolean          required,
                 gint64           *out,
                 GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  if (!lookup (object, &path, required, "an integer", &node, error))
    return !required;
  return vi_json_node_get_int (node, &path, out, error);
}

gboolean
vi_json_get_double (JsonObject       *object,
                    const ViJsonPath *parent,
                    const char       *member,
                    gboolean          required,
                    double           *out,
                    GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  if (!lookup (object, &path, required, "a number", &node, error))
    return !required;
  return vi_json_node_get_double (node, &path, out, error);
}

gboolean
vi_json_get_boolean (JsonObject       *object,
                     const ViJsonPath *parent,
                     const char       *member,
                     gboolean          required,
                     gboolean         *out,
                     GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  if (!lookup (object, &path, required, "a boolean", &node, error))
    return !required;
  if (!node_holds (node, G_TYPE_BOOLEAN)) {
    set_type_error (error, &path, "a boolean", node);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
vi_json_get_object (JsonObject       *object,
                    const ViJsonPath *parent,
                    const char       *member,
                    gboolean          required,
                    JsonObject      **out,
                    GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  *out = NULL;
  if (!lookup (object, &path, required, "an object", &node, error))
    return !required;
  *out = vi_json_require_object (node, &path, error);
  return *out != NULL;
}

gboolean
vi_json_get_array (JsonObject       *object,
                   const ViJsonPath *parent,
                   const char       *member,
                   gboolean          required,
                   JsonArray       **out,
                   GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);
  JsonNode  *node;

  *out = NULL;
  if (!lookup (object, &path, required, "an array", &node, error))
    return !required;
  *out = vi_json_require_array (node, &path, error);
  return *out != NULL;
}

gboolean
vi_json_get_string_map (JsonObject       *object,
                        const ViJsonPath *parent,
                        const char       *member,
                        gboolean          required,
                        GHashTable      **out,
                        GError          **error)
{
  g_autoptr (GHashTable) map = NULL;
  ViJsonPath     map_path = VI_JSON_PATH_MEMBER (parent, member);
  JsonObject    *map_object;
  JsonObjectIter iter;
  const char    *key;
  JsonNode      *value;

  *out = NULL;
  if (!vi_json_get_object (object, parent, member, required, &map_object,
                           error))
    return FALSE;

  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (map_object != NULL) {
    json_object_iter_init_ordered (&iter, map_object);
    while (json_object_iter_next_ordered (&iter, &key, &value)) {
      ViJsonPath  path = VI_JSON_PATH_MEMBER (&map_path, key);
      const char *str;

      if (!vi_json_node_get_string (value, &path, &str, error))
        return FALSE;
      g_hash_table_insert (map, g_strdup (key), g_strdup (str));
    }
  }
  *out = g_steal_pointer (&map);
  return TRUE;
}

gboolean
vi_json_get_count_map (JsonObject       *object,
                       const ViJsonPath *parent,
                       const char       *member,
                       gboolean          required,
                       GHashTable      **out,
                       GError          **error)
{
  g_autoptr (GHashTable) map = NULL;
  ViJsonPath     map_path = VI_JSON_PATH_MEMBER (parent, member);
  JsonObject    *map_object;
  JsonObjectIter iter;
  const char    *key;
  JsonNode      *value;

  *out = NULL;
  if (!vi_json_get_object (object, parent, member, required, &map_object,
                           error))
    return FALSE;

  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (map_object != NULL) {
    json_object_iter_init_ordered (&iter, map_object);
    while (json_object_iter_next_ordered (&iter, &key, &value)) {
      ViJsonPath path = VI_JSON_PATH_MEMBER (&map_path, key);
      gint64    *count;
      gint64     n;

      if (!vi_json_node_get_int (value, &path, &n, error))
        return FALSE;
      count = g_new (gint64, 1);
      *count = n;
      g_hash_table_insert (map, g_strdup (key), count);
    }
  }
  *out = g_steal_pointer (&map);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Reading and building the objects of the model
 * ------------------------------------------------------------------------ */

/* The top-level `kind` of a tagged struct decoded on its own: optional,
 * but if present it must name the struct (docs/protocol.md §6). */
gboolean
vi_json_check_kind (JsonObject       *object,
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

/* "{org}_{ds}" as the wire carries it. */
char *
vi_json_compose_dataset_id (const char *organization_id, const char *dataset_id)
{
  if (organization_id == NULL || organization_id[0] == '\0')
    return g_strdup (dataset_id);
  return g_strconcat (organization_id, "_", dataset_id, NULL);
}

JsonNode *
vi_json_node_take_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

JsonObject *
vi_json_add_object (JsonObject *parent, const char *member)
{
  JsonObject *child = json_object_new ();

  json_object_set_object_member (parent, member, child);
  return child;
}

JsonArray *
vi_json_add_array (JsonObject *parent, const char *member)
{
  JsonArray *child = json_array_new ();

  json_object_set_array_member (parent, member, child);
  return child;
}

void
vi_json_set_string_or_null (JsonObject *object,
                            const char *member,
                            const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

const char *
vi_json_name_or_unknown (const char *name)
{
  return name != NULL ? name : "Unknown";
}

/* Map members in sorted order, so that output does not depend on hash
 * order. */
void
vi_json_add_string_map (JsonObject *parent, const char *member, GHashTable *map)
{
  JsonObject             *object = vi_json_add_object (parent, member);
  g_autofree const char **keys = NULL;
  guint                   n_keys = 0, i;

  if (map == NULL)
    return;
  keys = _vi_sorted_keys (map, &n_keys);
  for (i = 0; i < n_keys; i++)
    json_object_set_string_member (object, keys[i],
                                   g_hash_table_lookup (map, keys[i]));
}

void
vi_json_add_count_map (JsonObject *parent, const char *member, GHashTable *map)
{
  JsonObject             *object = vi_json_add_object (parent, member);
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

/* Milliseconds as an integer when they are one (as the SDK sends them),
 * as a float otherwise, so that a parse gives the same double back. */
void
vi_json_set_time_member (JsonObject *object, const char *member, double value)
{
  if (isfinite (value) && value == floor (value) &&
      value >= -9007199254740992.0 && value <= 9007199254740992.0)
    json_object_set_int_member (object, member, (gint64) value);
  else
    json_object_set_double_member (object, member,
                                   isfinite (value) ? value : 0.0);
}

/* The Pagination envelope: `items` (default []), `nextPage` and `prevPage`
 * (missing, null or a string; "" means none). */
GPtrArray *
vi_json_parse_page (JsonNode        *node,
                    ViJsonItemParser parse_item,
                    GDestroyNotify   free_item,
                    const char     **next_page,
                    const char     **prev_page,
                    GError         **error)
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
