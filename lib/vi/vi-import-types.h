/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_IMPORT_TYPES_H__
#define __VI_IMPORT_TYPES_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <vi/vi-version.h>
#include <vi/vi-enums.h>
#include <vi/vi-resource-metadata.h>

G_BEGIN_DECLS

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
gint64 vi_annotation_upload_result_get_n_created (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_upload_result_get_n_failed (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
gint64 vi_annotation_upload_result_get_n_failed_files (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_upload_result_is_all_created (
    const ViAnnotationUploadResult *self);
VI_AVAILABLE_IN_ALL
char *vi_annotation_upload_result_summary (const ViAnnotationUploadResult *self);

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

G_END_DECLS

#endif /* __VI_IMPORT_TYPES_H__ */
