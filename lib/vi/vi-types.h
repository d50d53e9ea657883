/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <vi/vi-version.h>
#include <vi/vi-enums.h>
#include <vi/vi-resource-metadata.h>
#include <vi/vi-geometry.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------
 * Annotation and its parts
 * ------------------------------------------------------------------------ */

typedef struct _ViAnnotationContent ViAnnotationContent;
#define VI_TYPE_ANNOTATION_CONTENT (vi_annotation_content_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_content_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_content_new_caption (const char *text);
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_content_new_phrase_grounding_bounding_box (
    const double *points,
    gsize         n_points,
    int           start,
    int           end);
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_content_new_from_bbox (const ViBBox *bbox,
                                                          int           start,
                                                          int           end);
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_content_new_vqa (const char *question,
                                                    const char *answer);
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_content_ref (ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_content_unref (ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
ViContentKind vi_annotation_content_get_kind (const ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_content_get_kind_name (
    const ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_content_get_caption (const ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
const double *vi_annotation_content_get_bound (const ViAnnotationContent *self,
                                               gsize *n_points);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_content_get_bbox (const ViAnnotationContent *self,
                                         ViBBox                    *bbox);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_content_get_target (const ViAnnotationContent *self,
                                           int                       *start,
                                           int                       *end);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_content_get_question (const ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_content_get_answer (const ViAnnotationContent *self);
VI_AVAILABLE_IN_ALL
JsonNode *vi_annotation_content_get_raw_json (const ViAnnotationContent *self);

typedef struct _ViAnnotationSpec ViAnnotationSpec;
#define VI_TYPE_ANNOTATION_SPEC (vi_annotation_spec_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_spec_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationSpec *vi_annotation_spec_new (const char          *bound_type,
                                          gint64               tag,
                                          const char          *whole_id,
                                          ViRole               role,
                                          ViAnnotationContent *contents);
VI_AVAILABLE_IN_ALL
ViAnnotationSpec *vi_annotation_spec_ref (ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_spec_unref (ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_spec_get_bound_type (const ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_spec_get_tag (const ViAnnotationSpec *self);
/* The reference's AnnotationAggregation{whole{id}, this_part{role}}. */
VI_AVAILABLE_IN_ALL
const char *vi_annotation_spec_get_whole_id (const ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
ViRole vi_annotation_spec_get_role (const ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_spec_get_role_name (const ViAnnotationSpec *self);
VI_AVAILABLE_IN_ALL
ViAnnotationContent *vi_annotation_spec_get_contents (
    const ViAnnotationSpec *self);

typedef struct _ViAnnotation ViAnnotation;
#define VI_TYPE_ANNOTATION (vi_annotation_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_annotation_new (const char         *annotation_id,
                                 const char         *asset_id,
                                 const char         *organization_id,
                                 const char         *dataset_id,
                                 ViAnnotationSpec   *spec,
                                 ViResourceMetadata *metadata,
                                 const char         *self_link,
                                 const char         *etag);
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_annotation_ref (ViAnnotation *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_unref (ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_annotation_id (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_asset_id (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_organization_id (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_dataset_id (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
ViAnnotationSpec *vi_annotation_get_spec (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
ViResourceMetadata *vi_annotation_get_metadata (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_self_link (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_get_etag (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
char *vi_annotation_to_string (const ViAnnotation *self);
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_annotation_new_from_json (JsonNode *node, GError **error);
VI_AVAILABLE_IN_ALL
JsonNode *vi_annotation_to_json (const ViAnnotation *self);

/**
 * ViDeletedResource:
 * @id: the id of the deleted resource
 * @deleted: always %TRUE
 *
 * What a delete returns (the SDK's `DeletedResource`, built on the client;
 * the server's body is empty).
 */
typedef struct {
  char    *id;
  gboolean deleted;
} ViDeletedResource;
#define VI_TYPE_DELETED_RESOURCE (vi_deleted_resource_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_deleted_resource_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViDeletedResource *vi_deleted_resource_new (const char *id);
VI_AVAILABLE_IN_ALL
ViDeletedResource *vi_deleted_resource_copy (const ViDeletedResource *self);
VI_AVAILABLE_IN_ALL
void vi_deleted_resource_free (ViDeletedResource *self);

/* ------------------------------------------------------------------------
 * A page of a list (the SDK's Pagination / PaginatedResponse).
 * ------------------------------------------------------------------------ */

typedef struct _ViAnnotationPage ViAnnotationPage;
#define VI_TYPE_ANNOTATION_PAGE (vi_annotation_page_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_page_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_annotation_page_ref (ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_page_unref (ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
guint vi_annotation_page_get_n_items (const ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_annotation_page_get_item (const ViAnnotationPage *self,
                                           guint                   index);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_annotation_page_get_items (const ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_page_get_next_page (const ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_page_get_prev_page (const ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_annotation_page_new_from_json (JsonNode *node,
                                                    GError  **error);
VI_AVAILABLE_IN_ALL
JsonNode *vi_annotation_page_to_json (const ViAnnotationPage *page);

/* ------------------------------------------------------------------------
 * Import sessions
 * ------------------------------------------------------------------------ */

/**
 * ViAnnotationImportFailurePolicy:
 * @on_bad_annotation: what to do with a bad annotation
 * @on_bad_file: what to do with a bad file
 * @on_overwritten: what to do when an annotation would be overwritten
 *
 * The reference's `AnnotationImportFailurePolicy`.
 */
typedef struct {
  ViFailurePolicy on_bad_annotation;
  ViFailurePolicy on_bad_file;
  ViFailurePolicy on_overwritten;
} ViAnnotationImportFailurePolicy;
#define VI_TYPE_ANNOTATION_IMPORT_FAILURE_POLICY \
  (vi_annotation_import_failure_policy_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_failure_policy_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportFailurePolicy *vi_annotation_import_failure_policy_copy (
    const ViAnnotationImportFailurePolicy *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_failure_policy_free (
    ViAnnotationImportFailurePolicy *self);

/**
 * ViAnnotationImportSpec:
 * @upload_before: upload deadline, milliseconds since the Unix epoch
 * @failure_policies: failure handling
 * @source: where the files come from
 *
 * The reference's `AnnotationImportSpec`.
 */
typedef struct {
  gint64                          upload_before;
  ViAnnotationImportFailurePolicy failure_policies;
  ViAnnotationImportSource        source;
} ViAnnotationImportSpec;
#define VI_TYPE_ANNOTATION_IMPORT_SPEC (vi_annotation_import_spec_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_spec_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportSpec *vi_annotation_import_spec_copy (
    const ViAnnotationImportSpec *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_spec_free (ViAnnotationImportSpec *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_spec_init_default (ViAnnotationImportSpec *self);

/**
 * ViAnnotationImportSessionCondition:
 * @condition: the condition name (`FilesInserted`, `Complete`, ...; any
 *   string)
 * @status: its state
 * @last_transition_time: when it last changed, milliseconds since the epoch
 *   (the wire allows an integer or a float)
 * @reason: why, or %VI_CONDITION_REASON_NONE
 * @reason_name: (nullable): the reason as sent, also when unknown
 *
 * The reference's `AnnotationImportSessionCondition`.
 */
typedef struct {
  char             *condition;
  ViConditionStatus status;
  double            last_transition_time;
  ViConditionReason reason;
  char             *reason_name;
} ViAnnotationImportSessionCondition;
#define VI_TYPE_ANNOTATION_IMPORT_SESSION_CONDITION \
  (vi_annotation_import_session_condition_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_session_condition_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportSessionCondition *vi_annotation_import_session_condition_new (
    const char       *condition,
    ViConditionStatus status,
    double            last_transition_time,
    ViConditionReason reason);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSessionCondition *vi_annotation_import_session_condition_copy (
    const ViAnnotationImportSessionCondition *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_session_condition_free (
    ViAnnotationImportSessionCondition *self);

/**
 * ViAnnotationFileStatus:
 * @page_count: pages (files) processed
 * @total_size_bytes: total size of the files
 * @status_count: (element-type utf8 gint64): status name -> count, values
 *   are `gint64 *`
 *
 * The reference's `AnnotationFileStatus`.
 */
typedef struct {
  gint64      page_count;
  gint64      total_size_bytes;
  GHashTable *status_count;
} ViAnnotationFileStatus;

/**
 * ViAnnotationStatus:
 * @status_count: status name -> count, values are `gint64 *`
 *
 * The reference's `AnnotationStatus`.
 */
typedef struct {
  GHashTable *status_count;
} ViAnnotationStatus;

typedef struct _ViAnnotationImportSessionStatus ViAnnotationImportSessionStatus;
#define VI_TYPE_ANNOTATION_IMPORT_SESSION_STATUS \
  (vi_annotation_import_session_status_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_session_status_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportSessionStatus *vi_annotation_import_session_status_ref (
    ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_session_status_unref (
    ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_annotation_import_session_status_get_conditions (
    const ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
const ViAnnotationFileStatus *vi_annotation_import_session_status_get_files (
    const ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
const ViAnnotationStatus *vi_annotation_import_session_status_get_annotations (
    const ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_status_get_reason (
    const ViAnnotationImportSessionStatus *self);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_import_session_status_get_file_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_import_session_status_get_annotation_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_import_session_status_get_total_annotations (
    const ViAnnotationImportSessionStatus *self);

typedef struct _ViAnnotationImportSession ViAnnotationImportSession;
#define VI_TYPE_ANNOTATION_IMPORT_SESSION \
  (vi_annotation_import_session_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_session_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_annotation_import_session_ref (
    ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_session_unref (ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_user (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_organization_id (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_dataset_id (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_session_id (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_self_link (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_session_get_etag (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
ViResourceMetadata *vi_annotation_import_session_get_metadata (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
const ViAnnotationImportSpec *vi_annotation_import_session_get_spec (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSessionStatus *vi_annotation_import_session_get_status (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_import_session_is_complete (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_import_session_is_failed (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
char *vi_annotation_import_session_describe_conditions (
    const ViAnnotationImportSession *self);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_annotation_import_session_new_from_json (
    JsonNode *node,
    GError  **error);
VI_AVAILABLE_IN_ALL
JsonNode *vi_annotation_import_session_to_json (
    const ViAnnotationImportSession *self);

/**
 * ViAnnotationImportFileSpec:
 * @name: the file's base name (the key of the registration map)
 * @size_bytes: its size
 * @crc32c: base64 of the big-endian CRC-32C of its bytes
 * @kind: always `Unknown` on the wire today
 *
 * One file registered in an import session (`AnnotationImportFileSpec`).
 */
typedef struct {
  char  *name;
  gint64 size_bytes;
  char  *crc32c;
  char  *kind;
} ViAnnotationImportFileSpec;
#define VI_TYPE_ANNOTATION_IMPORT_FILE_SPEC \
  (vi_annotation_import_file_spec_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_import_file_spec_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationImportFileSpec *vi_annotation_import_file_spec_new (
    const char *name,
    gint64      size_bytes,
    const char *crc32c);
VI_AVAILABLE_IN_ALL
ViAnnotationImportFileSpec *vi_annotation_import_file_spec_copy (
    const ViAnnotationImportFileSpec *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_import_file_spec_free (ViAnnotationImportFileSpec *self);

/**
 * ViSignedUpload:
 * @name: the registered file name
 * @method: the HTTP method to use, exactly as sent
 * @url: the signed URL
 * @headers: (element-type utf8 utf8): headers to send, exactly as sent
 *
 * Where and how to send one registered file (an entry of
 * `AnnotationImportFilesResponse`).
 */
typedef struct {
  char       *name;
  char       *method;
  char       *url;
  GHashTable *headers;
} ViSignedUpload;
#define VI_TYPE_SIGNED_UPLOAD (vi_signed_upload_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_signed_upload_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViSignedUpload *vi_signed_upload_copy (const ViSignedUpload *self);
VI_AVAILABLE_IN_ALL
void vi_signed_upload_free (ViSignedUpload *self);

typedef struct _ViAnnotationUploadResult ViAnnotationUploadResult;
#define VI_TYPE_ANNOTATION_UPLOAD_RESULT \
  (vi_annotation_upload_result_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_annotation_upload_result_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViAnnotationUploadResult *vi_annotation_upload_result_new (
    ViAnnotationImportSession *session);
VI_AVAILABLE_IN_ALL
ViAnnotationUploadResult *vi_annotation_upload_result_ref (
    ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
void vi_annotation_upload_result_unref (ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_upload_result_get_session_id (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_upload_result_get_total_annotations (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSession *vi_annotation_upload_result_get_session (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_upload_result_is_complete (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
char *vi_annotation_upload_result_summary (const ViAnnotationUploadResult *self);

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationContent, vi_annotation_content_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationSpec, vi_annotation_spec_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotation, vi_annotation_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViDeletedResource, vi_deleted_resource_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationPage, vi_annotation_page_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportFailurePolicy,
                               vi_annotation_import_failure_policy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportSpec,
                               vi_annotation_import_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportSessionCondition,
                               vi_annotation_import_session_condition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportSessionStatus,
                               vi_annotation_import_session_status_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportSession,
                               vi_annotation_import_session_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationImportFileSpec,
                               vi_annotation_import_file_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViSignedUpload, vi_signed_upload_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationUploadResult,
                               vi_annotation_upload_result_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViResourceCondition, vi_resource_condition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportedAnnotationsDownloadUrl,
                               vi_exported_annotations_download_url_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportSpec, vi_export_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViExportedAnnotations,
                               vi_exported_annotations_unref)

G_END_DECLS
