/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <string.h>

#include "vi-enums.h"
#include "vi-model-private.h"

/* ------------------------------------------------------------------------
 * Enumerations
 *
 * Each *_to_string() returns the wire string of a value.  The UNKNOWN
 * value of every enumeration maps to "Unknown" (and "Unknown" back to
 * UNKNOWN), so that a value this version does not know survives a round
 * trip through JSON; where the wire string is at hand (the role of a part,
 * the reason of a condition) the objects keep it as well.  A number that is
 * not a member of the enumeration gives %NULL.
 * ------------------------------------------------------------------------ */

static const char *const role_names[] = {
  [VI_ROLE_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_ROLE_CAPTION] = "Caption",
  [VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX] = "PhraseGroundingBoundingBox",
  [VI_ROLE_VQA] = "Vqa",
};

static const char *const content_kind_names[] = {
  [VI_CONTENT_KIND_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_CONTENT_KIND_CAPTION] = "Caption",
  [VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX] =
      "PhraseGroundingBoundingBox",
  [VI_CONTENT_KIND_VQA] = "Vqa",
};

static const char *const failure_policy_names[] = {
  [VI_FAILURE_POLICY_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_FAILURE_POLICY_WARN] = "Warn",
  [VI_FAILURE_POLICY_REJECT_FILE] = "RejectFile",
  [VI_FAILURE_POLICY_REJECT_SESSION] = "RejectSession",
};

static const char *const import_source_names[] = {
  [VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES] =
      "UploadedIndividualFiles",
};

static const char *const condition_status_names[] = {
  [VI_CONDITION_STATUS_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_CONDITION_STATUS_WAITING] = "Waiting",
  [VI_CONDITION_STATUS_REACHED] = "Reached",
  [VI_CONDITION_STATUS_FAILED_REACH] = "FailedReach",
};

static const char *const condition_reason_names[] = {
  [VI_CONDITION_REASON_NONE] = NULL,
  [VI_CONDITION_REASON_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_CONDITION_REASON_CANCELLED_BY_USER] = "CancelledByUser",
  [VI_CONDITION_REASON_USER_UPLOAD_ERRORED] = "UserUploadErrored",
};

static const char *const export_format_names[] = {
  [VI_EXPORT_FORMAT_UNKNOWN] = _VI_UNKNOWN_NAME,
  [VI_EXPORT_FORMAT_VI_FULL] = "ViFull",
  [VI_EXPORT_FORMAT_VI_JSONL] = "ViJsonl",
  [VI_EXPORT_FORMAT_VI_TFRECORD] = "ViTfrecord",
};

static const char *
enum_to_string (const char *const *names, guint n_names, int value)
{
  if (value < 0 || (guint) value >= n_names)
    return NULL;
  return names[value];
}

/* Values 1.. are the known ones; 0 is UNKNOWN (NONE for reasons, whose
 * UNKNOWN is 1 and is skipped as it has no wire string of its own). */
static int
enum_from_string (const char *const *names,
                  guint              n_names,
                  guint              first_known,
                  int                unknown,
                  const char        *str)
{
  guint i;

  if (str == NULL)
    return unknown;
  for (i = first_known; i < n_names; i++) {
    if (names[i] != NULL && strcmp (names[i], str) == 0)
      return (int) i;
  }
  return unknown;
}

/**
 * vi_role_to_string:
 * @role: a #ViRole
 *
 * Returns: (nullable): the wire string of @role (`"Caption"`,
 *   `"PhraseGroundingBoundingBox"`, `"Vqa"`), `"Unknown"` for
 *   %VI_ROLE_UNKNOWN, %NULL for a number that is not a #ViRole
 */
const char *
vi_role_to_string (ViRole role)
{
  return enum_to_string (role_names, G_N_ELEMENTS (role_names), role);
}

/**
 * vi_role_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the role named @str (case-sensitive), %VI_ROLE_UNKNOWN for any
 *   other string or %NULL
 */
ViRole
vi_role_from_string (const char *str)
{
  return enum_from_string (role_names, G_N_ELEMENTS (role_names), 1,
                           VI_ROLE_UNKNOWN, str);
}

/**
 * vi_content_kind_to_string:
 * @kind: a #ViContentKind
 *
 * Returns: (nullable): the wire `kind` of @kind, `"Unknown"` for
 *   %VI_CONTENT_KIND_UNKNOWN (the content's own name is given by
 *   vi_annotation_content_get_kind_name()), %NULL for a number that is not
 *   a #ViContentKind
 */
const char *
vi_content_kind_to_string (ViContentKind kind)
{
  return enum_to_string (content_kind_names, G_N_ELEMENTS (content_kind_names),
                         kind);
}

/**
 * vi_content_kind_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the kind named @str, %VI_CONTENT_KIND_UNKNOWN for any other
 *   string or %NULL
 */
ViContentKind
vi_content_kind_from_string (const char *str)
{
  return enum_from_string (content_kind_names,
                           G_N_ELEMENTS (content_kind_names), 1,
                           VI_CONTENT_KIND_UNKNOWN, str);
}

/**
 * vi_failure_policy_to_string:
 * @policy: a #ViFailurePolicy
 *
 * Returns: (nullable): `"Warn"`, `"RejectFile"`, `"RejectSession"`,
 *   `"Unknown"` for %VI_FAILURE_POLICY_UNKNOWN, %NULL for a number that is
 *   not a #ViFailurePolicy
 */
const char *
vi_failure_policy_to_string (ViFailurePolicy policy)
{
  return enum_to_string (failure_policy_names,
                         G_N_ELEMENTS (failure_policy_names), policy);
}

/**
 * vi_failure_policy_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the policy named @str, %VI_FAILURE_POLICY_UNKNOWN for any other
 *   string or %NULL
 */
ViFailurePolicy
vi_failure_policy_from_string (const char *str)
{
  return enum_from_string (failure_policy_names,
                           G_N_ELEMENTS (failure_policy_names), 1,
                           VI_FAILURE_POLICY_UNKNOWN, str);
}

/**
 * vi_annotation_import_source_to_string:
 * @source: a #ViAnnotationImportSource
 *
 * Returns: (nullable): `"UploadedIndividualFiles"`, `"Unknown"` for
 *   %VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN, %NULL for a number that is not a
 *   #ViAnnotationImportSource
 */
const char *
vi_annotation_import_source_to_string (ViAnnotationImportSource source)
{
  return enum_to_string (import_source_names,
                         G_N_ELEMENTS (import_source_names), source);
}

/**
 * vi_annotation_import_source_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the source named @str, %VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN for
 *   any other string or %NULL
 */
ViAnnotationImportSource
vi_annotation_import_source_from_string (const char *str)
{
  return enum_from_string (import_source_names,
                           G_N_ELEMENTS (import_source_names), 1,
                           VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN, str);
}

/**
 * vi_condition_status_to_string:
 * @status: a #ViConditionStatus
 *
 * Returns: (nullable): `"Waiting"`, `"Reached"`, `"FailedReach"`,
 *   `"Unknown"` for %VI_CONDITION_STATUS_UNKNOWN, %NULL for a number that
 *   is not a #ViConditionStatus
 */
const char *
vi_condition_status_to_string (ViConditionStatus status)
{
  return enum_to_string (condition_status_names,
                         G_N_ELEMENTS (condition_status_names), status);
}

/**
 * vi_condition_status_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the status named @str, %VI_CONDITION_STATUS_UNKNOWN for any
 *   other string or %NULL
 */
ViConditionStatus
vi_condition_status_from_string (const char *str)
{
  return enum_from_string (condition_status_names,
                           G_N_ELEMENTS (condition_status_names), 1,
                           VI_CONDITION_STATUS_UNKNOWN, str);
}

/**
 * vi_condition_reason_to_string:
 * @reason: a #ViConditionReason
 *
 * Returns: (nullable): `"CancelledByUser"`, `"UserUploadErrored"`,
 *   `"Unknown"` for %VI_CONDITION_REASON_UNKNOWN, %NULL for
 *   %VI_CONDITION_REASON_NONE and for a number that is not a
 *   #ViConditionReason
 */
const char *
vi_condition_reason_to_string (ViConditionReason reason)
{
  return enum_to_string (condition_reason_names,
                         G_N_ELEMENTS (condition_reason_names), reason);
}

/**
 * vi_condition_reason_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: %VI_CONDITION_REASON_NONE for %NULL, the reason named @str, or
 *   %VI_CONDITION_REASON_UNKNOWN for any other string
 */
ViConditionReason
vi_condition_reason_from_string (const char *str)
{
  if (str == NULL)
    return VI_CONDITION_REASON_NONE;
  return enum_from_string (condition_reason_names,
                           G_N_ELEMENTS (condition_reason_names), 2,
                           VI_CONDITION_REASON_UNKNOWN, str);
}

/**
 * vi_export_format_to_string:
 * @format: a #ViExportFormat
 *
 * Returns: (nullable): `"ViFull"`, `"ViJsonl"`, `"ViTfrecord"`,
 *   `"Unknown"` for %VI_EXPORT_FORMAT_UNKNOWN, %NULL for a number that is
 *   not a #ViExportFormat
 */
const char *
vi_export_format_to_string (ViExportFormat format)
{
  return enum_to_string (export_format_names,
                         G_N_ELEMENTS (export_format_names), format);
}

/**
 * vi_export_format_from_string:
 * @str: (nullable): a wire string
 *
 * Returns: the format named @str, %VI_EXPORT_FORMAT_UNKNOWN for any other
 *   string or %NULL
 */
ViExportFormat
vi_export_format_from_string (const char *str)
{
  return enum_from_string (export_format_names,
                           G_N_ELEMENTS (export_format_names), 1,
                           VI_EXPORT_FORMAT_UNKNOWN, str);
}
