/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The types of an import session (the reference's AnnotationImportSession and
 * its parts: spec and failure policies, status, conditions), and those of
 * the registration of its files (ViAnnotationImportFileSpec,
 * ViSignedUpload).
 */
#include "config.h"

#include "vi-model-private.h"
#include "vi-maps-private.h"

/* ------------------------------------------------------------------------
 * Import session: failure policy, spec, conditions, status
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViAnnotationImportFailurePolicy,
                     vi_annotation_import_failure_policy,
                     vi_annotation_import_failure_policy_copy,
                     vi_annotation_import_failure_policy_free)

/**
 * vi_annotation_import_failure_policy_copy:
 * @self: a #ViAnnotationImportFailurePolicy
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportFailurePolicy *
vi_annotation_import_failure_policy_copy (
    const ViAnnotationImportFailurePolicy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_annotation_import_failure_policy_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportFailurePolicy
 *
 * Frees @self.
 */
void
vi_annotation_import_failure_policy_free (ViAnnotationImportFailurePolicy *self)
{
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViAnnotationImportSpec,
                     vi_annotation_import_spec,
                     vi_annotation_import_spec_copy,
                     vi_annotation_import_spec_free)

/**
 * vi_annotation_import_spec_copy:
 * @self: a #ViAnnotationImportSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportSpec *
vi_annotation_import_spec_copy (const ViAnnotationImportSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_annotation_import_spec_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportSpec
 *
 * Frees @self.
 */
void
vi_annotation_import_spec_free (ViAnnotationImportSpec *self)
{
  g_free (self);
}

/**
 * vi_annotation_import_spec_init_default:
 * @self: (out caller-allocates): a #ViAnnotationImportSpec
 *
 * Fills @self with what the SDK's upload sends: a deadline 55 minutes from
 * now (`uploadBefore`, milliseconds), `RejectSession` for the three
 * failure policies and the `UploadedIndividualFiles` source.
 */
void
vi_annotation_import_spec_init_default (ViAnnotationImportSpec *self)
{
  g_return_if_fail (self != NULL);

  /* Whole seconds, as the SDK computes int((time() + 3300) * 1000). */
  self->upload_before = (g_get_real_time () / G_USEC_PER_SEC + 55 * 60) * 1000;
  self->failure_policies.on_bad_annotation = VI_FAILURE_POLICY_REJECT_SESSION;
  self->failure_policies.on_bad_file = VI_FAILURE_POLICY_REJECT_SESSION;
  self->failure_policies.on_overwritten = VI_FAILURE_POLICY_REJECT_SESSION;
  self->source = VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES;
}

G_DEFINE_BOXED_TYPE (ViAnnotationImportSessionCondition,
                     vi_annotation_import_session_condition,
                     vi_annotation_import_session_condition_copy,
                     vi_annotation_import_session_condition_free)

/**
 * vi_annotation_import_session_condition_new:
 * @condition: the condition name (`FilesInserted`, `Complete`, ...)
 * @status: its state
 * @last_transition_time: milliseconds since the Unix epoch
 * @reason: why, or %VI_CONDITION_REASON_NONE
 *
 * Returns: (transfer full): a new #ViAnnotationImportSessionCondition,
 *   whose @reason_name is the wire string of @reason
 */
ViAnnotationImportSessionCondition *
vi_annotation_import_session_condition_new (const char       *condition,
                                            ViConditionStatus status,
                                            double last_transition_time,
                                            ViConditionReason reason)
{
  ViAnnotationImportSessionCondition *self;

  g_return_val_if_fail (condition != NULL, NULL);

  self = g_new0 (ViAnnotationImportSessionCondition, 1);
  self->condition = g_strdup (condition);
  self->status = status;
  self->last_transition_time = last_transition_time;
  self->reason = reason;
  self->reason_name = g_strdup (vi_condition_reason_to_string (reason));
  return self;
}

/**
 * vi_annotation_import_session_condition_copy:
 * @self: a #ViAnnotationImportSessionCondition
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportSessionCondition *
vi_annotation_import_session_condition_copy (
    const ViAnnotationImportSessionCondition *self)
{
  ViAnnotationImportSessionCondition *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViAnnotationImportSessionCondition, 1);
  copy->condition = g_strdup (self->condition);
  copy->status = self->status;
  copy->last_transition_time = self->last_transition_time;
  copy->reason = self->reason;
  copy->reason_name = g_strdup (self->reason_name);
  return copy;
}

/**
 * vi_annotation_import_session_condition_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportSessionCondition
 *
 * Frees @self.
 */
void
vi_annotation_import_session_condition_free (
    ViAnnotationImportSessionCondition *self)
{
  if (self == NULL)
    return;
  g_free (self->condition);
  g_free (self->reason_name);
  g_free (self);
}

struct _ViAnnotationImportSessionStatus {
  gatomicrefcount        ref_count;
  GPtrArray             *conditions;
  ViAnnotationFileStatus files;
  ViAnnotationStatus     annotations;
  char                  *reason;
};

G_DEFINE_BOXED_TYPE (ViAnnotationImportSessionStatus,
                     vi_annotation_import_session_status,
                     vi_annotation_import_session_status_ref,
                     vi_annotation_import_session_status_unref)

static gpointer
condition_copy_func (gconstpointer src, gpointer data)
{
  return vi_annotation_import_session_condition_copy (src);
}

/* Everything is copied: conditions (element-type
 * ViAnnotationImportSessionCondition), the two count maps (utf8 ->
 * gint64 *) and the reason; all may be NULL. */
ViAnnotationImportSessionStatus *
_vi_annotation_import_session_status_new (GPtrArray  *conditions,
                                          gint64      file_page_count,
                                          gint64      file_total_size_bytes,
                                          GHashTable *file_status_count,
                                          GHashTable *annotation_status_count,
                                          const char *reason)
{
  ViAnnotationImportSessionStatus *self;

  self = g_new0 (ViAnnotationImportSessionStatus, 1);
  g_atomic_ref_count_init (&self->ref_count);
  if (conditions != NULL) {
    self->conditions = g_ptr_array_copy (conditions, condition_copy_func, NULL);
    g_ptr_array_set_free_func (self->conditions,
                               (GDestroyNotify)
                                   vi_annotation_import_session_condition_free);
  } else {
    self->conditions = g_ptr_array_new_with_free_func (
        (GDestroyNotify) vi_annotation_import_session_condition_free);
  }
  self->files.page_count = file_page_count;
  self->files.total_size_bytes = file_total_size_bytes;
  self->files.status_count = _vi_count_map_copy (file_status_count);
  self->annotations.status_count = _vi_count_map_copy (annotation_status_count);
  self->reason = g_strdup (reason);
  return self;
}

/**
 * vi_annotation_import_session_status_ref:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationImportSessionStatus *
vi_annotation_import_session_status_ref (ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_import_session_status_unref:
 * @self: (transfer full): a #ViAnnotationImportSessionStatus
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_import_session_status_unref (ViAnnotationImportSessionStatus *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->conditions);
  g_hash_table_unref (self->files.status_count);
  g_hash_table_unref (self->annotations.status_count);
  g_free (self->reason);
  g_free (self);
}

/**
 * vi_annotation_import_session_status_get_conditions:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none) (element-type ViAnnotationImportSessionCondition):
 *   the conditions in the server's order (newest first); do not modify the
 *   array
 */
GPtrArray *
vi_annotation_import_session_status_get_conditions (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->conditions;
}

/**
 * vi_annotation_import_session_status_get_files:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none): the file counts
 */
const ViAnnotationFileStatus *
vi_annotation_import_session_status_get_files (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->files;
}

/**
 * vi_annotation_import_session_status_get_annotations:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none): the annotation counts
 */
const ViAnnotationStatus *
vi_annotation_import_session_status_get_annotations (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->annotations;
}

/**
 * vi_annotation_import_session_status_get_reason:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (nullable): the session-level free-form `reason`
 */
const char *
vi_annotation_import_session_status_get_reason (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reason;
}

/**
 * vi_annotation_import_session_status_get_file_count:
 * @self: a #ViAnnotationImportSessionStatus
 * @status: a status name (`Processed`, `Failed`, ...)
 *
 * Returns: the number of files counted under @status, 0 if none
 */
gint64
vi_annotation_import_session_status_get_file_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (status != NULL, 0);

  return _vi_count_map_get (self->files.status_count, status);
}

/**
 * vi_annotation_import_session_status_get_annotation_count:
 * @self: a #ViAnnotationImportSessionStatus
 * @status: a status name (`Created`, `Failed`, ...)
 *
 * Returns: the number of annotations counted under @status, 0 if none
 */
gint64
vi_annotation_import_session_status_get_annotation_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (status != NULL, 0);

  return _vi_count_map_get (self->annotations.status_count, status);
}

/**
 * vi_annotation_import_session_status_get_total_annotations:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: the sum of every annotation status count, as the SDK's
 *   `total_annotations`
 */
gint64
vi_annotation_import_session_status_get_total_annotations (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return _vi_count_map_sum (self->annotations.status_count);
}

/* ------------------------------------------------------------------------
 * ViAnnotationImportSession
 * ------------------------------------------------------------------------ */

struct _ViAnnotationImportSession {
  gatomicrefcount                  ref_count;
  char                            *user;
  char                            *organization_id;
  char                            *dataset_id;
  char                            *session_id;
  char                            *self_link;
  char                            *etag;
  ViResourceMetadata              *metadata;
  ViAnnotationImportSpec           spec;
  ViAnnotationImportSessionStatus *status;
};

G_DEFINE_BOXED_TYPE (ViAnnotationImportSession,
                     vi_annotation_import_session,
                     vi_annotation_import_session_ref,
                     vi_annotation_import_session_unref)

/* Strings are copied (NULL stored as ""), metadata and status get a
 * reference (NULL gives empty ones), spec is copied (NULL gives
 * vi_annotation_import_spec_init_default()). */
ViAnnotationImportSession *
_vi_annotation_import_session_new (const char         *user,
                                   const char         *organization_id,
                                   const char         *dataset_id,
                                   const char         *session_id,
                                   const char         *self_link,
                                   const char         *etag,
                                   ViResourceMetadata *metadata,
                                   const ViAnnotationImportSpec    *spec,
                                   ViAnnotationImportSessionStatus *status)
{
  ViAnnotationImportSession *self = g_new0 (ViAnnotationImportSession, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->user = _vi_strdup_or_empty (user);
  self->organization_id = _vi_strdup_or_empty (organization_id);
  self->dataset_id = _vi_strdup_or_empty (dataset_id);
  self->session_id = _vi_strdup_or_empty (session_id);
  self->self_link = _vi_strdup_or_empty (self_link);
  self->etag = _vi_strdup_or_empty (etag);
  self->metadata = metadata != NULL ? vi_resource_metadata_ref (metadata)
                                    : vi_resource_metadata_new (0, 0, 0);
  if (spec != NULL)
    self->spec = *spec;
  else
    vi_annotation_import_spec_init_default (&self->spec);
  self->status = status != NULL
      ? vi_annotation_import_session_status_ref (status)
      : _vi_annotation_import_session_status_new (NULL, 0, 0, NULL, NULL, NULL);
  return self;
}

/**
 * vi_annotation_import_session_ref:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationImportSession *
vi_annotation_import_session_ref (ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_import_session_unref:
 * @self: (transfer full): a #ViAnnotationImportSession
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_import_session_unref (ViAnnotationImportSession *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->user);
  g_free (self->organization_id);
  g_free (self->dataset_id);
  g_free (self->session_id);
  g_free (self->self_link);
  g_free (self->etag);
  vi_resource_metadata_unref (self->metadata);
  vi_annotation_import_session_status_unref (self->status);
  g_free (self);
}

/**
 * vi_annotation_import_session_get_user:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the id of the user who started the session
 */
const char *
vi_annotation_import_session_get_user (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->user;
}

/**
 * vi_annotation_import_session_get_organization_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the organization id (`workspaceId` on the wire)
 */
const char *
vi_annotation_import_session_get_organization_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->organization_id;
}

/**
 * vi_annotation_import_session_get_dataset_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the dataset id, without the `"{organization}_"` prefix
 */
const char *
vi_annotation_import_session_get_dataset_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_id;
}

/**
 * vi_annotation_import_session_get_session_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the session id (`annotationImportSessionId`)
 */
const char *
vi_annotation_import_session_get_session_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->session_id;
}

/**
 * vi_annotation_import_session_get_self_link:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the `selfLink`
 */
const char *
vi_annotation_import_session_get_self_link (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->self_link;
}

/**
 * vi_annotation_import_session_get_etag:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the `etag`
 */
const char *
vi_annotation_import_session_get_etag (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->etag;
}

/**
 * vi_annotation_import_session_get_metadata:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the metadata
 */
ViResourceMetadata *
vi_annotation_import_session_get_metadata (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/**
 * vi_annotation_import_session_get_spec:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the spec
 */
const ViAnnotationImportSpec *
vi_annotation_import_session_get_spec (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->spec;
}

/**
 * vi_annotation_import_session_get_status:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the status
 */
ViAnnotationImportSessionStatus *
vi_annotation_import_session_get_status (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->status;
}

/**
 * vi_annotation_import_session_is_complete:
 * @self: a #ViAnnotationImportSession
 *
 * Whether the import is done, as the SDK's `AnnotationUploadResult`
 * decides it: some condition named `Complete` is `Reached`.
 *
 * Returns: %TRUE if the session is complete
 */
gboolean
vi_annotation_import_session_is_complete (const ViAnnotationImportSession *self)
{
  GPtrArray *conditions;
  guint      i;

  g_return_val_if_fail (self != NULL, FALSE);

  conditions = self->status->conditions;
  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i);

    if (c->status == VI_CONDITION_STATUS_REACHED &&
        g_strcmp0 (c->condition, "Complete") == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * vi_annotation_import_session_is_failed:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: %TRUE if any condition is `FailedReach`
 */
gboolean
vi_annotation_import_session_is_failed (const ViAnnotationImportSession *self)
{
  GPtrArray *conditions;
  guint      i;

  g_return_val_if_fail (self != NULL, FALSE);

  conditions = self->status->conditions;
  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i);

    if (c->status == VI_CONDITION_STATUS_FAILED_REACH)
      return TRUE;
  }
  return FALSE;
}

static void
append_condition_chain (GString *out, GPtrArray *conditions)
{
  guint i;

  if (conditions->len == 0) {
    g_string_append (out, "(no conditions)");
    return;
  }
  /* The server lists the newest first; people read oldest first. */
  for (i = conditions->len; i > 0; i--) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i - 1);
    const char *status = vi_condition_status_to_string (c->status);

    if (i != conditions->len)
      g_string_append (out, " -> ");
    g_string_append_printf (out, "%s: %s", c->condition,
                            status != NULL ? status : _VI_UNKNOWN_NAME);
    if (c->reason != VI_CONDITION_REASON_NONE)
      g_string_append_printf (out, " (%s)",
                              c->reason_name != NULL ? c->reason_name
                                                     : _VI_UNKNOWN_NAME);
  }
}

/**
 * vi_annotation_import_session_describe_conditions:
 * @self: a #ViAnnotationImportSession
 *
 * Describes the conditions in chronological order, as the SDK's progress
 * text does: `FilesInserted: Reached -> Complete: Waiting`, with the reason
 * of a condition in parentheses.  The server lists conditions newest
 * first, so this is the reverse of the list.
 *
 * Returns: (transfer full): the description; `(no conditions)` when there
 *   are none
 */
char *
vi_annotation_import_session_describe_conditions (
    const ViAnnotationImportSession *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  append_condition_chain (out, self->status->conditions);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * ViAnnotationImportFileSpec, ViSignedUpload
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViAnnotationImportFileSpec,
                     vi_annotation_import_file_spec,
                     vi_annotation_import_file_spec_copy,
                     vi_annotation_import_file_spec_free)

/**
 * vi_annotation_import_file_spec_new:
 * @name: the file's base name
 * @size_bytes: its size
 * @crc32c: base64 of the big-endian CRC-32C of its bytes
 *   (vi_crc32c_to_base64())
 *
 * Returns: (transfer full): a new #ViAnnotationImportFileSpec of kind
 *   `Unknown`
 */
ViAnnotationImportFileSpec *
vi_annotation_import_file_spec_new (const char *name,
                                    gint64      size_bytes,
                                    const char *crc32c)
{
  ViAnnotationImportFileSpec *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (crc32c != NULL, NULL);

  self = g_new0 (ViAnnotationImportFileSpec, 1);
  self->name = g_strdup (name);
  self->size_bytes = size_bytes;
  self->crc32c = g_strdup (crc32c);
  self->kind = g_strdup ("Unknown");
  return self;
}

/**
 * vi_annotation_import_file_spec_copy:
 * @self: a #ViAnnotationImportFileSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportFileSpec *
vi_annotation_import_file_spec_copy (const ViAnnotationImportFileSpec *self)
{
  ViAnnotationImportFileSpec *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViAnnotationImportFileSpec, 1);
  copy->name = g_strdup (self->name);
  copy->size_bytes = self->size_bytes;
  copy->crc32c = g_strdup (self->crc32c);
  copy->kind = g_strdup (self->kind);
  return copy;
}

/**
 * vi_annotation_import_file_spec_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportFileSpec
 *
 * Frees @self.
 */
void
vi_annotation_import_file_spec_free (ViAnnotationImportFileSpec *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->crc32c);
  g_free (self->kind);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViSignedUpload,
                     vi_signed_upload,
                     vi_signed_upload_copy,
                     vi_signed_upload_free)

/**
 * vi_signed_upload_copy:
 * @self: a #ViSignedUpload
 *
 * Returns: (transfer full): a copy of @self
 */
ViSignedUpload *
vi_signed_upload_copy (const ViSignedUpload *self)
{
  ViSignedUpload *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViSignedUpload, 1);
  copy->name = g_strdup (self->name);
  copy->method = g_strdup (self->method);
  copy->url = g_strdup (self->url);
  copy->headers = _vi_string_map_copy (self->headers);
  return copy;
}

/**
 * vi_signed_upload_free:
 * @self: (transfer full) (nullable): a #ViSignedUpload
 *
 * Frees @self.
 */
void
vi_signed_upload_free (ViSignedUpload *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->method);
  g_free (self->url);
  g_clear_pointer (&self->headers, g_hash_table_unref);
  g_free (self);
}
