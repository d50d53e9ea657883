/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-server-json.h"

#include <string.h>

/* The largest document the server parses: request bodies have their own,
 * smaller limit (checked before they are read), data directory lines are
 * the server's own. */
#define MAX_DOCUMENT_SIZE ((gsize) 512 * 1024 * 1024)

void
vi_server_json_append_double (GString *out, double value)
{
  gsize start = out->len;

  vi_json_append_number (out, value);
  /* Keep a fraction or exponent, so that readers that type JSON numbers
   * (json-glib among them) see a double, never an integer. */
  if (strpbrk (out->str + start, ".eEn") == NULL)
    g_string_append_len (out, ".0", 2);
}

void
vi_server_append_segment (GString *out, const char *segment)
{
  g_autofree char *escaped = vi_escape_path_segment (segment);

  g_string_append (out, escaped);
}

JsonNode *
vi_server_json_parse (const char *data, gsize length, GError **error)
{
  gsize i;

  /* A document of white space only is as empty as no document. */
  for (i = 0; i < length && g_ascii_isspace (data[i]); i++)
    ;
  if (i == length) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                         "empty document");
    return NULL;
  }
  return vi_json_parse_data (data, length, MAX_DOCUMENT_SIZE,
                             VI_ERROR_INVALID_ARGUMENT, NULL, error);
}

JsonObject *
vi_server_json_get_object (JsonObject *obj, const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node)
      ? json_node_get_object (node)
      : NULL;
}

const char *
vi_server_json_get_string (JsonObject *obj, const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
vi_server_json_get_integer (JsonObject *obj, const char *name, gint64 *value)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

gboolean
vi_server_json_is_null (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* Copies the string members of attrs into out (name, value, name, value…);
 * returns the name of the first member that is not a string, or NULL. */
const char *
vi_server_json_read_attributes (JsonObject *attrs, GPtrArray *out)
{
  g_autoptr (GList) members = json_object_get_members (attrs);
  const char *bad = NULL;
  GList      *l;

  for (l = members; l != NULL; l = l->next) {
    const char *value = vi_server_json_get_string (attrs, l->data);

    if (value == NULL) {
      if (bad == NULL)
        bad = l->data;
      continue;
    }
    g_ptr_array_add (out, g_strdup (l->data));
    g_ptr_array_add (out, g_strdup (value));
  }
  return bad;
}

void
vi_server_json_append_member (GString *out, const char *name)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  vi_json_append_string (out, name);
  g_string_append_c (out, ':');
}

void
vi_server_append_dataset_path (GString    *out,
                               const char *org,
                               const char *dataset_id)
{
  g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

  g_string_append (out, "/workspaces/");
  vi_server_append_segment (out, org);
  g_string_append (out, "/datasets/");
  vi_server_append_segment (out, composite);
}

void
vi_server_json_append_ids (GString    *out,
                           const char *org,
                           const char *dataset_id)
{
  g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

  vi_server_json_append_member (out, "workspaceId");
  vi_json_append_string (out, org);
  vi_server_json_append_member (out, "datasetId");
  vi_json_append_string (out, composite);
}

void
vi_server_json_append_metadata (GString   *out,
                                gint64     created,
                                gint64     updated,
                                gint64     generation,
                                GPtrArray *attributes)
{
  guint i;

  vi_server_json_append_member (out, "metadata");
  g_string_append (out, "{\"timeCreated\":");
  vi_json_append_int (out, created);
  g_string_append (out, ",\"lastUpdated\":");
  vi_json_append_int (out, updated);
  g_string_append (out, ",\"generation\":");
  vi_json_append_int (out, generation);
  g_string_append (out, ",\"attributes\":{");
  for (i = 0; attributes != NULL && i + 1 < attributes->len; i += 2) {
    if (i > 0)
      g_string_append_c (out, ',');
    vi_json_append_string (out, g_ptr_array_index (attributes, i));
    g_string_append_c (out, ':');
    vi_json_append_string (out, g_ptr_array_index (attributes, i + 1));
  }
  g_string_append (out, "}}");
}

void
vi_server_json_append_count (GString    *out,
                             gboolean   *first,
                             const char *key,
                             guint64     n)
{
  if (n == 0)
    return;
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  vi_json_append_string (out, key);
  g_string_append_c (out, ':');
  vi_json_append_int (out, (gint64) n);
}
