/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_ENUMS_H__
#define __VI_ENUMS_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib-object.h>
#include <vi/vi-version.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------
 * Enumerations.  Each has an UNKNOWN value: a value the server sends that
 * this version does not know is kept as UNKNOWN (with its string available
 * on the object that carries it) instead of failing the whole response.
 * ------------------------------------------------------------------------ */

/**
 * ViRole:
 * @VI_ROLE_UNKNOWN: a role this version does not know; see
 *   vi_annotation_spec_get_role_name()
 * @VI_ROLE_CAPTION: `Caption`
 * @VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX: `PhraseGroundingBoundingBox`
 * @VI_ROLE_VQA: `Vqa` — not in the SDK's `Roles`; the local server uses it
 *   for VQA parts (docs/decisions.md, "Lines become parts")
 *
 * The role of one part of an annotation (the reference's `Roles`).
 */
typedef enum {
  VI_ROLE_UNKNOWN,
  VI_ROLE_CAPTION,
  VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX,
  VI_ROLE_VQA,
} ViRole;

/**
 * ViContentKind:
 * @VI_CONTENT_KIND_UNKNOWN: a `kind` this version does not know; the raw
 *   JSON is kept (vi_annotation_content_get_raw_json())
 * @VI_CONTENT_KIND_CAPTION: the reference's `Caption`
 * @VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX: the reference's
 *   `PhraseGroundingBoundingBox`
 * @VI_CONTENT_KIND_VQA: a question/answer pair (`Vqa`, docs/decisions.md,
 *   "Lines become parts")
 *
 * Which member of the reference's `AnnotationContent` union a
 * #ViAnnotationContent holds.
 */
typedef enum {
  VI_CONTENT_KIND_UNKNOWN,
  VI_CONTENT_KIND_CAPTION,
  VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX,
  VI_CONTENT_KIND_VQA,
} ViContentKind;

/**
 * ViFailurePolicy:
 * @VI_FAILURE_POLICY_UNKNOWN: a value this version does not know
 * @VI_FAILURE_POLICY_WARN: `Warn`: log a warning and continue
 * @VI_FAILURE_POLICY_REJECT_FILE: `RejectFile`: reject the file
 * @VI_FAILURE_POLICY_REJECT_SESSION: `RejectSession`: reject the session
 *
 * What an import does with bad input (the reference's `FailurePolicy`).
 */
typedef enum {
  VI_FAILURE_POLICY_UNKNOWN,
  VI_FAILURE_POLICY_WARN,
  VI_FAILURE_POLICY_REJECT_FILE,
  VI_FAILURE_POLICY_REJECT_SESSION,
} ViFailurePolicy;

/**
 * ViAnnotationImportSource:
 * @VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN: a value this version does not know
 * @VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES:
 *   `UploadedIndividualFiles`
 *
 * Where an import session's files come from.
 */
typedef enum {
  VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN,
  VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES,
} ViAnnotationImportSource;

/**
 * ViConditionStatus:
 * @VI_CONDITION_STATUS_UNKNOWN: a value this version does not know
 *   (treated as still waiting)
 * @VI_CONDITION_STATUS_WAITING: `Waiting`
 * @VI_CONDITION_STATUS_REACHED: `Reached`
 * @VI_CONDITION_STATUS_FAILED_REACH: `FailedReach`
 *
 * The state of one condition of a session or export.
 */
typedef enum {
  VI_CONDITION_STATUS_UNKNOWN,
  VI_CONDITION_STATUS_WAITING,
  VI_CONDITION_STATUS_REACHED,
  VI_CONDITION_STATUS_FAILED_REACH,
} ViConditionStatus;

/**
 * ViConditionReason:
 * @VI_CONDITION_REASON_NONE: no reason (absent or `null`)
 * @VI_CONDITION_REASON_UNKNOWN: a value this version does not know
 * @VI_CONDITION_REASON_CANCELLED_BY_USER: `CancelledByUser`
 * @VI_CONDITION_REASON_USER_UPLOAD_ERRORED: `UserUploadErrored`
 *
 * Why an import-session condition is in its state.
 */
typedef enum {
  VI_CONDITION_REASON_NONE,
  VI_CONDITION_REASON_UNKNOWN,
  VI_CONDITION_REASON_CANCELLED_BY_USER,
  VI_CONDITION_REASON_USER_UPLOAD_ERRORED,
} ViConditionReason;

/**
 * ViExportFormat:
 * @VI_EXPORT_FORMAT_UNKNOWN: a value this version does not know
 * @VI_EXPORT_FORMAT_VI_FULL: `ViFull`: assets and annotations
 * @VI_EXPORT_FORMAT_VI_JSONL: `ViJsonl`: annotations only, as JSONL
 * @VI_EXPORT_FORMAT_VI_TFRECORD: `ViTfrecord`
 *
 * The format of a dataset export.
 */
typedef enum {
  VI_EXPORT_FORMAT_UNKNOWN,
  VI_EXPORT_FORMAT_VI_FULL,
  VI_EXPORT_FORMAT_VI_JSONL,
  VI_EXPORT_FORMAT_VI_TFRECORD,
} ViExportFormat;

VI_AVAILABLE_IN_ALL
const char *vi_role_to_string (ViRole role);
VI_AVAILABLE_IN_ALL
ViRole vi_role_from_string (const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_content_kind_to_string (ViContentKind kind);
VI_AVAILABLE_IN_ALL
ViContentKind vi_content_kind_from_string (const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_failure_policy_to_string (ViFailurePolicy policy);
VI_AVAILABLE_IN_ALL
ViFailurePolicy vi_failure_policy_from_string (const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_annotation_import_source_to_string (
    ViAnnotationImportSource source);
VI_AVAILABLE_IN_ALL
ViAnnotationImportSource vi_annotation_import_source_from_string (
    const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_condition_status_to_string (ViConditionStatus status);
VI_AVAILABLE_IN_ALL
ViConditionStatus vi_condition_status_from_string (const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_condition_reason_to_string (ViConditionReason reason);
VI_AVAILABLE_IN_ALL
ViConditionReason vi_condition_reason_from_string (const char *str);
VI_AVAILABLE_IN_ALL
const char *vi_export_format_to_string (ViExportFormat format);
VI_AVAILABLE_IN_ALL
ViExportFormat vi_export_format_from_string (const char *str);

G_END_DECLS

#endif /* __VI_ENUMS_H__ */
