/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * JSON in and out for dataset exports (the reference's ExportedAnnotations).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/* ------------------------------------------------------------------------
 * Dataset exports (docs/protocol.md §8)
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
  JsonNode   *format;
  double      split_ratio = 0.0;

  /* The reference types `spec` as dict[str, Any]: a `format` that is
   * missing or not a string does not fail the export (it reads as
   * VI_EXPORT_FORMAT_UNKNOWN, and vi_exported_annotations_get_unread()
   * says so).  The options are still checked as the API documents them. */
  if (!vi_json_get_object (export, export_path, "spec", TRUE, &object, error) ||
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
  format = json_object_get_member (object, "format");
  spec->format = _vi_export_spec_format_is_readable (format)
      ? vi_export_format_from_string (json_node_get_string (format))
      : VI_EXPORT_FORMAT_UNKNOWN;
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
  if (object == NULL ||
      !vi_json_check_kind (object, path, "DatasetExport", error) ||
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

  metadata = _vi_resource_metadata_from_json (object, path, error);
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
 * @node: a `DatasetExport` object (docs/protocol.md §8)
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
                                 vi_json_name_or_unknown (
                                     vi_export_format_to_string (spec->format)));
  options = vi_json_add_object (object, "options");
  json_object_set_boolean_member (options, "normalized", spec->normalized);
  if (spec->has_split_ratio)
    json_object_set_double_member (options, "splitRatio", spec->split_ratio);
  else
    json_object_set_null_member (options, "splitRatio");
  return vi_json_node_take_object (object);
}

/**
 * vi_exported_annotations_to_json:
 * @self: a #ViExportedAnnotations
 *
 * Writes @self as the API's `DatasetExport` object (docs/protocol.md §8).  The
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
      vi_json_compose_dataset_id (vi_exported_annotations_get_organization_id (
                                      self),
                                  vi_exported_annotations_get_dataset_id (
                                      self));

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

  status = vi_json_add_object (object, "status");
  conditions = vi_json_add_array (status, "conditions");
  list = vi_exported_annotations_get_conditions (self);
  for (i = 0; i < list->len; i++) {
    const ViResourceCondition *condition = g_ptr_array_index (list, i);
    JsonObject                *item = json_object_new ();

    json_object_set_string_member (item, "condition", condition->condition);
    json_object_set_string_member (item, "status",
                                   vi_json_name_or_unknown (
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
    JsonObject *url_object = vi_json_add_object (status, "downloadUrl");

    json_object_set_string_member (url_object, "url", url->url);
    json_object_set_int_member (url_object, "expiresAt", url->expires_at);
  }

  _vi_resource_metadata_to_json (object,
                                 vi_exported_annotations_get_metadata (self));
  json_object_set_string_member (object, "selfLink",
                                 vi_exported_annotations_get_self_link (self));
  json_object_set_string_member (object, "etag",
                                 vi_exported_annotations_get_etag (self));
  return vi_json_node_take_object (object);
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
  items =
      vi_json_parse_page (node,
                          (ViJsonItemParser) _vi_exported_annotations_from_json,
                          (GDestroyNotify) vi_exported_annotations_unref, &next,
                          &prev, error);
  if (items == NULL)
    return NULL;
  if (next_page != NULL)
    *next_page = g_strdup (next);
  return g_steal_pointer (&items);
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
  return vi_json_node_take_object (object);
}
