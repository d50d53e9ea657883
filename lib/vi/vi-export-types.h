/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_EXPORT_TYPES_H__
#define __VI_EXPORT_TYPES_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <vi/vi-version.h>
#include <vi/vi-enums.h>
#include <vi/vi-resource-metadata.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------
 * Dataset exports (ExportedAnnotations / DatasetExport)
 * ------------------------------------------------------------------------ */

/**
 * ViResourceCondition:
 * @condition: the condition name (any string)
 * @status: its state
 * @last_transition_time: milliseconds since the epoch
 * @reason: (nullable): free-form reason
 * @message: (nullable): free-form message
 *
 * One condition of an export's status.
 */
typedef struct {
  char             *condition;
  ViConditionStatus status;
  gint64            last_transition_time;
  char             *reason;
  char             *message;
} ViResourceCondition;
#define VI_TYPE_RESOURCE_CONDITION (vi_resource_condition_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_resource_condition_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViResourceCondition *vi_resource_condition_copy (
    const ViResourceCondition *self);
VI_AVAILABLE_IN_ALL
void vi_resource_condition_free (ViResourceCondition *self);

/**
 * ViExportedAnnotationsDownloadUrl:
 * @url: where to download the archive
 * @expires_at: when the URL expires, milliseconds since the epoch
 *
 * The reference's `ExportedAnnotationsDownloadUrl`.
 */
typedef struct {
  char  *url;
  gint64 expires_at;
} ViExportedAnnotationsDownloadUrl;
#define VI_TYPE_EXPORTED_ANNOTATIONS_DOWNLOAD_URL \
  (vi_exported_annotations_download_url_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_exported_annotations_download_url_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViExportedAnnotationsDownloadUrl *vi_exported_annotations_download_url_copy (
    const ViExportedAnnotationsDownloadUrl *self);
VI_AVAILABLE_IN_ALL
void vi_exported_annotations_download_url_free (
    ViExportedAnnotationsDownloadUrl *self);

/**
 * ViExportSpec:
 * @format: the export format
 * @normalized: whether boxes are normalized
 * @has_split_ratio: whether @split_ratio is set (`splitRatio` is `null`
 *   otherwise)
 * @split_ratio: the training/validation split
 *
 * What an export contains (`spec` of a DatasetExport).
 */
typedef struct {
  ViExportFormat format;
  gboolean       normalized;
  gboolean       has_split_ratio;
  double         split_ratio;
} ViExportSpec;
#define VI_TYPE_EXPORT_SPEC (vi_export_spec_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_export_spec_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViExportSpec *vi_export_spec_copy (const ViExportSpec *self);
VI_AVAILABLE_IN_ALL
void vi_export_spec_free (ViExportSpec *self);

typedef struct _ViExportedAnnotations ViExportedAnnotations;
#define VI_TYPE_EXPORTED_ANNOTATIONS (vi_exported_annotations_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_exported_annotations_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_exported_annotations_ref (ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
void vi_exported_annotations_unref (ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_kind (const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_organization_id (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_dataset_id (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_dataset_export_id (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const ViExportSpec *vi_exported_annotations_get_spec (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_unread (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
JsonNode *vi_exported_annotations_get_spec_json (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_exported_annotations_get_conditions (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const ViExportedAnnotationsDownloadUrl *vi_exported_annotations_get_download_url (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
ViResourceMetadata *vi_exported_annotations_get_metadata (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_self_link (
    const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
const char *vi_exported_annotations_get_etag (const ViExportedAnnotations *self);
VI_AVAILABLE_IN_ALL
ViExportedAnnotations *vi_exported_annotations_new_from_json (JsonNode *node,
                                                              GError  **error);
VI_AVAILABLE_IN_ALL
JsonNode *vi_exported_annotations_to_json (const ViExportedAnnotations *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViResourceCondition, vi_resource_condition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportedAnnotationsDownloadUrl,
                               vi_exported_annotations_download_url_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportSpec, vi_export_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportedAnnotations,
                               vi_exported_annotations_unref)

G_END_DECLS

#endif /* __VI_EXPORT_TYPES_H__ */
