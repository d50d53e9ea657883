/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The types of a dataset export (the reference's ExportedAnnotations and
 * its parts: spec, conditions, download URL).
 */
#include "config.h"

#include "vi-model-private.h"
#include "vi-maps-private.h"

/* ------------------------------------------------------------------------
 * Exports
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViResourceCondition,
                     vi_resource_condition,
                     vi_resource_condition_copy,
                     vi_resource_condition_free)

/**
 * vi_resource_condition_copy:
 * @self: a #ViResourceCondition
 *
 * Returns: (transfer full): a copy of @self
 */
ViResourceCondition *
vi_resource_condition_copy (const ViResourceCondition *self)
{
  ViResourceCondition *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViResourceCondition, 1);
  copy->condition = g_strdup (self->condition);
  copy->status = self->status;
  copy->last_transition_time = self->last_transition_time;
  copy->reason = g_strdup (self->reason);
  copy->message = g_strdup (self->message);
  return copy;
}

/**
 * vi_resource_condition_free:
 * @self: (transfer full) (nullable): a #ViResourceCondition
 *
 * Frees @self.
 */
void
vi_resource_condition_free (ViResourceCondition *self)
{
  if (self == NULL)
    return;
  g_free (self->condition);
  g_free (self->reason);
  g_free (self->message);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViExportedAnnotationsDownloadUrl,
                     vi_exported_annotations_download_url,
                     vi_exported_annotations_download_url_copy,
                     vi_exported_annotations_download_url_free)

/**
 * vi_exported_annotations_download_url_copy:
 * @self: a #ViExportedAnnotationsDownloadUrl
 *
 * Returns: (transfer full): a copy of @self
 */
ViExportedAnnotationsDownloadUrl *
vi_exported_annotations_download_url_copy (
    const ViExportedAnnotationsDownloadUrl *self)
{
  ViExportedAnnotationsDownloadUrl *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViExportedAnnotationsDownloadUrl, 1);
  copy->url = g_strdup (self->url);
  copy->expires_at = self->expires_at;
  return copy;
}

/**
 * vi_exported_annotations_download_url_free:
 * @self: (transfer full) (nullable): a #ViExportedAnnotationsDownloadUrl
 *
 * Frees @self.
 */
void
vi_exported_annotations_download_url_free (
    ViExportedAnnotationsDownloadUrl *self)
{
  if (self == NULL)
    return;
  g_free (self->url);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViExportSpec,
                     vi_export_spec,
                     vi_export_spec_copy,
                     vi_export_spec_free)

/**
 * vi_export_spec_copy:
 * @self: a #ViExportSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViExportSpec *
vi_export_spec_copy (const ViExportSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_export_spec_free:
 * @self: (transfer full) (nullable): a #ViExportSpec
 *
 * Frees @self.
 */
void
vi_export_spec_free (ViExportSpec *self)
{
  g_free (self);
}

struct _ViExportedAnnotations {
  gatomicrefcount                   ref_count;
  char                             *organization_id;
  char                             *dataset_id;
  char                             *dataset_export_id;
  ViExportSpec                      spec;
  JsonNode                         *spec_json;
  GPtrArray                        *conditions;
  ViExportedAnnotationsDownloadUrl *download_url;
  ViResourceMetadata               *metadata;
  char                             *self_link;
  char                             *etag;
};

G_DEFINE_BOXED_TYPE (ViExportedAnnotations,
                     vi_exported_annotations,
                     vi_exported_annotations_ref,
                     vi_exported_annotations_unref)

static gpointer
resource_condition_copy_func (gconstpointer src, gpointer data)
{
  return vi_resource_condition_copy (src);
}

/* Strings are copied (NULL stored as ""); spec, download_url (nullable)
 * and the conditions (element-type ViResourceCondition, nullable) are
 * copied; spec_json (nullable), the `spec` object as sent, is copied;
 * metadata (nullable) gets a reference. */
ViExportedAnnotations *
_vi_exported_annotations_new (
    const char                             *organization_id,
    const char                             *dataset_id,
    const char                             *dataset_export_id,
    const ViExportSpec                     *spec,
    JsonNode                               *spec_json,
    GPtrArray                              *conditions,
    const ViExportedAnnotationsDownloadUrl *download_url,
    ViResourceMetadata                     *metadata,
    const char                             *self_link,
    const char                             *etag)
{
  ViExportedAnnotations *self = g_new0 (ViExportedAnnotations, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->organization_id = _vi_strdup_or_empty (organization_id);
  self->dataset_id = _vi_strdup_or_empty (dataset_id);
  self->dataset_export_id = _vi_strdup_or_empty (dataset_export_id);
  if (spec != NULL) {
    self->spec = *spec;
  } else {
    self->spec.format = VI_EXPORT_FORMAT_VI_FULL;
    self->spec.normalized = TRUE;
  }
  self->spec_json = spec_json != NULL ? json_node_copy (spec_json) : NULL;
  if (conditions != NULL) {
    self->conditions = g_ptr_array_copy (conditions,
                                         resource_condition_copy_func, NULL);
    g_ptr_array_set_free_func (self->conditions,
                               (GDestroyNotify) vi_resource_condition_free);
  } else {
    self->conditions = g_ptr_array_new_with_free_func (
        (GDestroyNotify) vi_resource_condition_free);
  }
  if (download_url != NULL)
    self->download_url = vi_exported_annotations_download_url_copy (
        download_url);
  self->metadata = metadata != NULL ? vi_resource_metadata_ref (metadata)
                                    : vi_resource_metadata_new (0, 0, 0);
  self->self_link = _vi_strdup_or_empty (self_link);
  self->etag = _vi_strdup_or_empty (etag);
  return self;
}

/**
 * vi_exported_annotations_ref:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViExportedAnnotations *
vi_exported_annotations_ref (ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_exported_annotations_unref:
 * @self: (transfer full): a #ViExportedAnnotations
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_exported_annotations_unref (ViExportedAnnotations *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->organization_id);
  g_free (self->dataset_id);
  g_free (self->dataset_export_id);
  g_clear_pointer (&self->spec_json, json_node_unref);
  g_ptr_array_unref (self->conditions);
  vi_exported_annotations_download_url_free (self->download_url);
  vi_resource_metadata_unref (self->metadata);
  g_free (self->self_link);
  g_free (self->etag);
  g_free (self);
}

/**
 * vi_exported_annotations_get_kind:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the resource kind, `DatasetExport`
 */
const char *
vi_exported_annotations_get_kind (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return "DatasetExport";
}

/**
 * vi_exported_annotations_get_organization_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the organization id (`workspaceId` on the wire)
 */
const char *
vi_exported_annotations_get_organization_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->organization_id;
}

/**
 * vi_exported_annotations_get_dataset_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the dataset id, without the `"{organization}_"` prefix
 */
const char *
vi_exported_annotations_get_dataset_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_id;
}

/**
 * vi_exported_annotations_get_dataset_export_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the export id (`datasetExportId`)
 */
const char *
vi_exported_annotations_get_dataset_export_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_export_id;
}

/**
 * vi_exported_annotations_get_spec:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none): the spec, decoded
 */
const ViExportSpec *
vi_exported_annotations_get_spec (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->spec;
}

/**
 * vi_exported_annotations_get_spec_json:
 * @self: a #ViExportedAnnotations
 *
 * Gets the `spec` object as the server sent it (the reference types it as
 * `dict[str, Any]`), with any member this version does not decode.  Do not
 * modify it.
 *
 * Returns: (transfer none) (nullable): the `spec` object, or %NULL for an
 *   export that was not read from JSON
 */
JsonNode *
vi_exported_annotations_get_spec_json (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->spec_json;
}

gboolean
_vi_export_spec_format_is_readable (JsonNode *format)
{
  return format != NULL && JSON_NODE_HOLDS_VALUE (format) &&
      json_node_get_value_type (format) == G_TYPE_STRING;
}

/**
 * vi_exported_annotations_get_unread:
 * @self: a #ViExportedAnnotations
 *
 * Says what of the export this version could not read, the export being
 * kept rather than failing its list (the reference types `spec` as a
 * free dictionary).  Today the one case is a `spec` whose `format` is
 * missing or not a string: vi_exported_annotations_get_spec() then gives
 * %VI_EXPORT_FORMAT_UNKNOWN, and the spec as sent is in
 * vi_exported_annotations_get_spec_json().  An unknown format name is not
 * unread: it is %VI_EXPORT_FORMAT_UNKNOWN with the name in the JSON.
 *
 * Returns: (nullable): a short description such as "spec.format: missing
 *   or not a string", or %NULL when everything was read
 */
const char *
vi_exported_annotations_get_unread (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->spec_json == NULL || !JSON_NODE_HOLDS_OBJECT (self->spec_json))
    return NULL;
  if (_vi_export_spec_format_is_readable (
          json_object_get_member (json_node_get_object (self->spec_json),
                                  "format")))
    return NULL;
  return "spec.format: missing or not a string";
}

/**
 * vi_exported_annotations_get_conditions:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none) (element-type ViResourceCondition): the
 *   conditions of `status`, in the server's order; do not modify the array
 */
GPtrArray *
vi_exported_annotations_get_conditions (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->conditions;
}

/**
 * vi_exported_annotations_get_download_url:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none) (nullable): where to download the archive, once
 *   the export is done
 */
const ViExportedAnnotationsDownloadUrl *
vi_exported_annotations_get_download_url (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->download_url;
}

/**
 * vi_exported_annotations_get_metadata:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none): the metadata
 */
ViResourceMetadata *
vi_exported_annotations_get_metadata (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/**
 * vi_exported_annotations_get_self_link:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the `selfLink`
 */
const char *
vi_exported_annotations_get_self_link (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->self_link;
}

/**
 * vi_exported_annotations_get_etag:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the `etag`
 */
const char *
vi_exported_annotations_get_etag (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->etag;
}
