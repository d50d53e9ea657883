/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViAnnotationUploadResult: what an upload returns, the reference's
 * AnnotationUploadResult, with its summary().
 */
#include "config.h"

#include "vi-model-private.h"
#include "vi-maps-private.h"

/* ------------------------------------------------------------------------
 * ViAnnotationUploadResult
 * ------------------------------------------------------------------------ */

struct _ViAnnotationUploadResult {
  gatomicrefcount            ref_count;
  ViAnnotationImportSession *session;
};

G_DEFINE_BOXED_TYPE (ViAnnotationUploadResult,
                     vi_annotation_upload_result,
                     vi_annotation_upload_result_ref,
                     vi_annotation_upload_result_unref)

/**
 * vi_annotation_upload_result_new:
 * @session: the import session of the upload; a reference is taken
 *
 * Wraps @session as the result of an upload (the SDK's
 * `AnnotationUploadResult`).
 *
 * Returns: (transfer full): a new #ViAnnotationUploadResult
 */
ViAnnotationUploadResult *
vi_annotation_upload_result_new (ViAnnotationImportSession *session)
{
  ViAnnotationUploadResult *self;

  g_return_val_if_fail (session != NULL, NULL);

  self = g_new0 (ViAnnotationUploadResult, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->session = vi_annotation_import_session_ref (session);
  return self;
}

/**
 * vi_annotation_upload_result_ref:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationUploadResult *
vi_annotation_upload_result_ref (ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_upload_result_unref:
 * @self: (transfer full): a #ViAnnotationUploadResult
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_upload_result_unref (ViAnnotationUploadResult *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  vi_annotation_import_session_unref (self->session);
  g_free (self);
}

/**
 * vi_annotation_upload_result_get_session_id:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: the id of the import session
 */
const char *
vi_annotation_upload_result_get_session_id (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return vi_annotation_import_session_get_session_id (self->session);
}

/**
 * vi_annotation_upload_result_get_total_annotations:
 * @self: a #ViAnnotationUploadResult
 *
 * The SDK's `total_annotations`: the sum of every annotation status count
 * of the session, failed ones included.  It is not the number of
 * annotations created, nor the number of lines uploaded: the service
 * counts annotation parts (one per caption, per grounded phrase, per
 * question and answer), and the local server counts created parts plus
 * rejected lines.  Use vi_annotation_upload_result_get_n_created() and
 * vi_annotation_upload_result_is_all_created() to check an upload.
 *
 * Returns: the sum of the session's annotation status counts
 */
gint64
vi_annotation_upload_result_get_total_annotations (
    const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return vi_annotation_import_session_status_get_total_annotations (
      vi_annotation_import_session_get_status (self->session));
}

/**
 * vi_annotation_upload_result_get_session:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: (transfer none): the import session
 */
ViAnnotationImportSession *
vi_annotation_upload_result_get_session (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->session;
}

/**
 * vi_annotation_upload_result_is_complete:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: %TRUE if the session's `Complete` condition is `Reached`
 */
gboolean
vi_annotation_upload_result_is_complete (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return vi_annotation_import_session_is_complete (self->session);
}

/**
 * vi_annotation_upload_result_get_n_created:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: the annotation parts the session created (its `Created`
 *   status count)
 */
gint64
vi_annotation_upload_result_get_n_created (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return _vi_count_map_get (vi_annotation_import_session_status_get_annotations (
                                vi_annotation_import_session_get_status (
                                    self->session))
                                ->status_count,
                            "Created");
}

/**
 * vi_annotation_upload_result_get_n_failed:
 * @self: a #ViAnnotationUploadResult
 *
 * Counts what the session did not create: every annotation status count
 * but `Created` (`Failed`, and any status this version does not know).
 * The local server counts a rejected line once, whatever number of parts
 * it would have made.
 *
 * Returns: the annotations that were not created
 */
gint64
vi_annotation_upload_result_get_n_failed (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return vi_annotation_upload_result_get_total_annotations (self) -
      vi_annotation_upload_result_get_n_created (self);
}

/**
 * vi_annotation_upload_result_get_n_failed_files:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: the files of the session that failed (their `Failed` status
 *   count): rejected, or never uploaded
 */
gint64
vi_annotation_upload_result_get_n_failed_files (
    const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return _vi_count_map_get (vi_annotation_import_session_status_get_files (
                                vi_annotation_import_session_get_status (
                                    self->session))
                                ->status_count,
                            "Failed");
}

/**
 * vi_annotation_upload_result_is_all_created:
 * @self: a #ViAnnotationUploadResult
 *
 * Whether the import did everything it was asked: the session is
 * complete, no file failed and every annotation counted was created.
 * Under a `Warn` failure policy a session completes with bad lines or
 * files left out; this is then %FALSE.  It trusts the service's counts:
 * to compare with what was sent, count the parts of the uploaded records
 * (vi_jsonl_record_get_n_parts()) and compare them with
 * vi_annotation_upload_result_get_n_created().
 *
 * Returns: %TRUE if everything uploaded was created
 */
gboolean
vi_annotation_upload_result_is_all_created (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return vi_annotation_upload_result_is_complete (self) &&
      vi_annotation_upload_result_get_n_failed_files (self) == 0 &&
      vi_annotation_upload_result_get_n_failed (self) == 0;
}

static void
append_counts (GString *out, const char *title, GHashTable *counts)
{
  g_autofree const char **keys = NULL;
  guint                   n_keys, i;

  if (g_hash_table_size (counts) == 0)
    return;
  keys = _vi_sorted_keys (counts, &n_keys);
  g_string_append_printf (out, "\n  %s:\n", title);
  for (i = 0; i < n_keys; i++)
    g_string_append_printf (out, "    - %s: %" G_GINT64_FORMAT "\n", keys[i],
                            _vi_count_map_get (counts, keys[i]));
}

/**
 * vi_annotation_upload_result_summary:
 * @self: a #ViAnnotationUploadResult
 *
 * Describes the result on several lines for people, modelled on the SDK's
 * `AnnotationUploadResult.summary()`: the state (complete, complete with
 * failures, failed or in progress) with the chain of conditions, the
 * session id, files processed and failed, annotations created and failed
 * (never together as "imported": a failed annotation was not imported),
 * size and duration, every status count, and the session's reason if
 * there is one.  The layout may change between versions.
 *
 * Returns: (transfer full): the summary
 */
char *
vi_annotation_upload_result_summary (const ViAnnotationUploadResult *self)
{
  const ViAnnotationImportSession       *session;
  const ViAnnotationImportSessionStatus *status;
  const ViAnnotationFileStatus          *files;
  const ViAnnotationStatus              *annotations;
  ViResourceMetadata                    *metadata;
  g_autofree char                       *conditions = NULL;
  const char                            *state, *reason;
  GString                               *out;
  gint64                                 duration_ms;

  g_return_val_if_fail (self != NULL, NULL);

  session = self->session;
  status = vi_annotation_import_session_get_status (session);
  files = vi_annotation_import_session_status_get_files (status);
  annotations = vi_annotation_import_session_status_get_annotations (status);
  metadata = vi_annotation_import_session_get_metadata (session);
  if (vi_annotation_import_session_is_failed (session))
    state = "Annotation import failed";
  else if (vi_annotation_upload_result_is_all_created (self))
    state = "Annotation import complete";
  else if (vi_annotation_import_session_is_complete (session))
    state = "Annotation import complete, with failures";
  else
    state = "Annotation import in progress";

  out = g_string_new (NULL);
  g_string_append_printf (out, "%s\n", state);
  g_string_append_printf (out, "  Session: %s\n",
                          vi_annotation_import_session_get_session_id (
                              session));
  conditions = vi_annotation_import_session_describe_conditions (session);
  g_string_append_printf (out, "  Conditions: %s\n", conditions);
  g_string_append_printf (out,
                          "  Files: %" G_GINT64_FORMAT
                          " processed, %" G_GINT64_FORMAT
                          " failed (%" G_GINT64_FORMAT " pages)\n",
                          _vi_count_map_get (files->status_count, "Processed"),
                          _vi_count_map_get (files->status_count, "Failed"),
                          files->page_count);
  g_string_append_printf (out,
                          "  Annotations: %" G_GINT64_FORMAT
                          " created, %" G_GINT64_FORMAT " failed\n",
                          vi_annotation_upload_result_get_n_created (self),
                          vi_annotation_upload_result_get_n_failed (self));
  g_string_append_printf (out,
                          "  Total size: %.2f MB (%" G_GINT64_FORMAT
                          " bytes)\n",
                          files->total_size_bytes / (1024.0 * 1024.0),
                          files->total_size_bytes);
  duration_ms = vi_resource_metadata_get_last_updated (metadata) -
      vi_resource_metadata_get_time_created (metadata);
  g_string_append_printf (out, "  Duration: %.1fs\n", duration_ms / 1000.0);
  append_counts (out, "File status", files->status_count);
  append_counts (out, "Annotation status", annotations->status_count);
  reason = vi_annotation_import_session_status_get_reason (status);
  if (reason != NULL && reason[0] != '\0')
    g_string_append_printf (out, "\n  Reason: %s\n", reason);
  return g_string_free (out, FALSE);
}
