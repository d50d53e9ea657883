/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * JSON in and out for import sessions: the session and its parts, the
 * signed uploads of the file registration, and the bodies of the requests
 * that create a session, register files and patch its status.  Strict and
 * lenient as the annotations are (vi-annotation-json.c): an unknown
 * failure policy, condition status or reason is kept as UNKNOWN with the
 * string as sent.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/* ------------------------------------------------------------------------
 * Import sessions (docs/protocol.md §7.6)
 * ------------------------------------------------------------------------ */

static gboolean
parse_policy (JsonObject       *object,
              const ViJsonPath *path,
              const char       *member,
              ViFailurePolicy  *out,
              GError          **error)
{
  const char *name;

  if (!vi_json_get_string (object, path, member, TRUE, &name, error))
    return FALSE;
  *out = vi_failure_policy_from_string (name);
  return TRUE;
}

static gboolean
parse_import_spec (JsonObject             *session,
                   const ViJsonPath       *session_path,
                   ViAnnotationImportSpec *spec,
                   GError                **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (session_path, "spec");
  ViJsonPath  policies_path = VI_JSON_PATH_MEMBER (&path, "failurePolicies");
  JsonObject *object, *policies;
  const char *source = NULL;

  if (!vi_json_get_object (session, session_path, "spec", TRUE, &object,
                           error) ||
      !vi_json_get_int (object, &path, "uploadBefore", TRUE,
                        &spec->upload_before, error) ||
      !vi_json_get_object (object, &path, "failurePolicies", TRUE, &policies,
                           error) ||
      !parse_policy (policies, &policies_path, "onBadAnnotation",
                     &spec->failure_policies.on_bad_annotation, error) ||
      !parse_policy (policies, &policies_path, "onBadFile",
                     &spec->failure_policies.on_bad_file, error) ||
      !parse_policy (policies, &policies_path, "onOverwritten",
                     &spec->failure_policies.on_overwritten, error) ||
      !vi_json_get_string (object, &path, "source", FALSE, &source, error))
    return FALSE;

  spec->source = source != NULL
      ? vi_annotation_import_source_from_string (source)
      : VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES;
  return TRUE;
}

static ViAnnotationImportSessionCondition *
parse_session_condition (JsonNode *node, const ViJsonPath *path, GError **error)
{
  ViAnnotationImportSessionCondition *condition;
  const char                         *name, *status, *reason = NULL;
  double                              time;
  JsonObject                         *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !vi_json_get_string (object, path, "condition", TRUE, &name, error) ||
      !vi_json_get_string (object, path, "status", TRUE, &status, error) ||
      !vi_json_get_double (object, path, "lastTransitionTime", TRUE, &time,
                           error) ||
      !vi_json_get_string (object, path, "reason", FALSE, &reason, error))
    return NULL;

  condition = vi_annotation_import_session_condition_new (
      name, vi_condition_status_from_string (status), time,
      vi_condition_reason_from_string (reason));
  /* Keep the reason as sent, also when this version does not know it. */
  g_free (condition->reason_name);
  condition->reason_name = g_strdup (reason);
  return condition;
}

static ViAnnotationImportSessionStatus *
parse_session_status (JsonObject       *session,
                      const ViJsonPath *session_path,
                      GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (session_path, "status");
  ViJsonPath conditions_path = VI_JSON_PATH_MEMBER (&path, "conditions");
  ViJsonPath files_path = VI_JSON_PATH_MEMBER (&path, "files");
  ViJsonPath annotations_path = VI_JSON_PATH_MEMBER (&path, "annotations");
  g_autoptr (GPtrArray) conditions = NULL;
  g_autoptr (GHashTable) file_counts = NULL;
  g_autoptr (GHashTable) annotation_counts = NULL;
  JsonObject *object, *files, *annotations;
  JsonArray  *array;
  const char *reason = NULL;
  gint64      page_count, total_size;
  guint       n, i;

  if (!vi_json_get_object (session, session_path, "status", TRUE, &object,
                           error) ||
      !vi_json_get_array (object, &path, "conditions", TRUE, &array, error))
    return NULL;

  n = json_array_get_length (array);
  conditions =
      g_ptr_array_new_full (n,
                            (GDestroyNotify)
                                vi_annotation_import_session_condition_free);
  for (i = 0; i < n; i++) {
    ViJsonPath item_path = VI_JSON_PATH_INDEX (&conditions_path, (int) i);
    ViAnnotationImportSessionCondition *condition;

    condition = parse_session_condition (json_array_get_element (array, i),
                                         &item_path, error);
    if (condition == NULL)
      return NULL;
    g_ptr_array_add (conditions, condition);
  }

  if (!vi_json_get_object (object, &path, "files", TRUE, &files, error) ||
      !vi_json_get_int (files, &files_path, "pageCount", TRUE, &page_count,
                        error) ||
      !vi_json_get_int (files, &files_path, "totalSizeBytes", TRUE, &total_size,
                        error) ||
      !vi_json_get_count_map (files, &files_path, "statusCount", TRUE,
                              &file_counts, error) ||
      !vi_json_get_object (object, &path, "annotations", TRUE, &annotations,
                           error) ||
      !vi_json_get_count_map (annotations, &annotations_path, "statusCount",
                              TRUE, &annotation_counts, error) ||
      !vi_json_get_string (object, &path, "reason", FALSE, &reason, error))
    return NULL;

  return _vi_annotation_import_session_status_new (conditions, page_count,
                                                   total_size, file_counts,
                                                   annotation_counts, reason);
}

ViAnnotationImportSession *
_vi_annotation_import_session_from_json (JsonNode         *node,
                                         const ViJsonPath *path,
                                         GError          **error)
{
  g_autoptr (ViResourceMetadata) metadata = NULL;
  g_autoptr (ViAnnotationImportSessionStatus) status = NULL;
  g_autofree char       *dataset_id = NULL;
  ViAnnotationImportSpec spec;
  const char            *user, *organization_id, *wire_dataset_id, *session_id;
  const char            *self_link, *etag;
  JsonObject            *object;

  object = vi_json_require_object (node, path, error);
  if (object == NULL ||
      !vi_json_check_kind (object, path, "AnnotationImportSession", error) ||
      !vi_json_get_string (object, path, "user", TRUE, &user, error) ||
      !vi_json_get_string (object, path, "workspaceId", TRUE, &organization_id,
                           error) ||
      !vi_json_get_string (object, path, "datasetId", TRUE, &wire_dataset_id,
                           error) ||
      !vi_json_get_string (object, path, "annotationImportSessionId", TRUE,
                           &session_id, error) ||
      !vi_json_get_string (object, path, "selfLink", TRUE, &self_link, error) ||
      !vi_json_get_string (object, path, "etag", TRUE, &etag, error))
    return NULL;

  metadata = _vi_resource_metadata_from_json (object, path, error);
  if (metadata == NULL || !parse_import_spec (object, path, &spec, error))
    return NULL;
  status = parse_session_status (object, path, error);
  if (status == NULL)
    return NULL;

  dataset_id = _vi_strip_dataset_prefix (organization_id, wire_dataset_id);
  return _vi_annotation_import_session_new (user, organization_id, dataset_id,
                                            session_id, self_link, etag,
                                            metadata, &spec, status);
}

/**
 * vi_annotation_import_session_new_from_json:
 * @node: an `AnnotationImportSession` object (docs/protocol.md §7.6)
 * @error: return location for a #GError
 *
 * Reads an import session from JSON, with the rules of
 * vi_annotation_new_from_json(): required members and types are checked,
 * unknown members ignored, an unknown failure policy, source, condition
 * status or reason is kept as the UNKNOWN value.
 *
 * Returns: (transfer full) (nullable): the session, or %NULL with @error
 *   set
 */
ViAnnotationImportSession *
vi_annotation_import_session_new_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return _vi_annotation_import_session_from_json (node, &root, error);
}

static void
add_policies (JsonObject                            *parent,
              const ViAnnotationImportFailurePolicy *policies)
{
  JsonObject *object = vi_json_add_object (parent, "failurePolicies");

  json_object_set_string_member (object, "onBadAnnotation",
                                 vi_json_name_or_unknown (
                                     vi_failure_policy_to_string (
                                         policies->on_bad_annotation)));
  json_object_set_string_member (object, "onBadFile",
                                 vi_json_name_or_unknown (
                                     vi_failure_policy_to_string (
                                         policies->on_bad_file)));
  json_object_set_string_member (object, "onOverwritten",
                                 vi_json_name_or_unknown (
                                     vi_failure_policy_to_string (
                                         policies->on_overwritten)));
}

static void
add_import_spec (JsonObject *parent, const ViAnnotationImportSpec *spec)
{
  JsonObject *object = vi_json_add_object (parent, "spec");

  json_object_set_int_member (object, "uploadBefore", spec->upload_before);
  add_policies (object, &spec->failure_policies);
  json_object_set_string_member (object, "source",
                                 vi_json_name_or_unknown (
                                     vi_annotation_import_source_to_string (
                                         spec->source)));
}

static const char *
condition_reason_name (const ViAnnotationImportSessionCondition *condition)
{
  if (condition->reason_name != NULL)
    return condition->reason_name;
  return vi_json_name_or_unknown (
      vi_condition_reason_to_string (condition->reason));
}

/* A condition as the API writes it: `reason` omitted when there is none
 * (the SDK's omit_defaults, and its PATCH body, docs/protocol.md §7.4). */
static JsonNode *
session_condition_to_json (const ViAnnotationImportSessionCondition *condition,
                           gboolean integer_time)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "condition", condition->condition);
  json_object_set_string_member (object, "status",
                                 vi_json_name_or_unknown (
                                     vi_condition_status_to_string (
                                         condition->status)));
  if (integer_time)
    json_object_set_int_member (object, "lastTransitionTime",
                                isfinite (condition->last_transition_time)
                                    ? (gint64) condition->last_transition_time
                                    : 0);
  else
    vi_json_set_time_member (object, "lastTransitionTime",
                             condition->last_transition_time);
  if (condition->reason != VI_CONDITION_REASON_NONE)
    json_object_set_string_member (object, "reason",
                                   condition_reason_name (condition));
  return vi_json_node_take_object (object);
}

/**
 * vi_annotation_import_session_to_json:
 * @self: a #ViAnnotationImportSession
 *
 * Writes @self as the API's `AnnotationImportSession` object (docs/protocol.md
 * §7.6), so that vi_annotation_import_session_new_from_json() reads the
 * same session back.
 *
 * Returns: (transfer full): a new JSON object node
 */
JsonNode *
vi_annotation_import_session_to_json (const ViAnnotationImportSession *self)
{
  const ViAnnotationImportSessionStatus *status;
  const ViAnnotationFileStatus          *files;
  JsonObject                            *object, *status_object, *files_object;
  JsonArray                             *conditions;
  GPtrArray                             *list;
  g_autofree char                       *dataset_id = NULL;
  guint                                  i;

  g_return_val_if_fail (self != NULL, NULL);

  dataset_id =
      vi_json_compose_dataset_id (vi_annotation_import_session_get_organization_id (
                                      self),
                                  vi_annotation_import_session_get_dataset_id (
                                      self));

  object = json_object_new ();
  json_object_set_string_member (object, "kind", "AnnotationImportSession");
  json_object_set_string_member (object, "user",
                                 vi_annotation_import_session_get_user (self));
  json_object_set_string_member (object, "workspaceId",
                                 vi_annotation_import_session_get_organization_id (
                                     self));
  json_object_set_string_member (object, "datasetId", dataset_id);
  json_object_set_string_member (object, "annotationImportSessionId",
                                 vi_annotation_import_session_get_session_id (
                                     self));
  json_object_set_string_member (object, "selfLink",
                                 vi_annotation_import_session_get_self_link (
                                     self));
  json_object_set_string_member (object, "etag",
                                 vi_annotation_import_session_get_etag (self));
  _vi_resource_metadata_to_json (object,
                                 vi_annotation_import_session_get_metadata (
                                     self));
  add_import_spec (object, vi_annotation_import_session_get_spec (self));

  status = vi_annotation_import_session_get_status (self);
  status_object = vi_json_add_object (object, "status");
  conditions = vi_json_add_array (status_object, "conditions");
  list = vi_annotation_import_session_status_get_conditions (status);
  for (i = 0; i < list->len; i++)
    json_array_add_element (conditions,
                            session_condition_to_json (g_ptr_array_index (list,
                                                                          i),
                                                       FALSE));
  files = vi_annotation_import_session_status_get_files (status);
  files_object = vi_json_add_object (status_object, "files");
  json_object_set_int_member (files_object, "pageCount", files->page_count);
  json_object_set_int_member (files_object, "totalSizeBytes",
                              files->total_size_bytes);
  vi_json_add_count_map (files_object, "statusCount", files->status_count);
  vi_json_add_count_map (vi_json_add_object (status_object, "annotations"),
                         "statusCount",
                         vi_annotation_import_session_status_get_annotations (
                             status)
                             ->status_count);
  vi_json_set_string_or_null (status_object, "reason",
                              vi_annotation_import_session_status_get_reason (
                                  status));
  return vi_json_node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Signed uploads (docs/protocol.md §7.2, response)
 * ------------------------------------------------------------------------ */

/* `{"files": {"<name>": {"method", "url", "headers"}}}`, all three
 * required, in the server's order (json-glib keeps member order). */
GPtrArray *
_vi_signed_uploads_from_json (JsonNode *node, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath files_path = VI_JSON_PATH_MEMBER (&root, "files");
  g_autoptr (GPtrArray) uploads = NULL;
  JsonObject    *object, *files;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *entry;

  g_return_val_if_fail (node != NULL, NULL);

  object = vi_json_require_object (node, &root, error);
  if (object == NULL ||
      !vi_json_get_object (object, &root, "files", TRUE, &files, error))
    return NULL;

  uploads = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_signed_upload_free);
  json_object_iter_init_ordered (&iter, files);
  while (json_object_iter_next_ordered (&iter, &name, &entry)) {
    ViJsonPath entry_path = VI_JSON_PATH_MEMBER (&files_path, name);
    g_autoptr (ViSignedUpload) upload = g_new0 (ViSignedUpload, 1);
    JsonObject *entry_object;
    const char *method, *url;

    entry_object = vi_json_require_object (entry, &entry_path, error);
    if (entry_object == NULL ||
        !vi_json_get_string (entry_object, &entry_path, "method", TRUE, &method,
                             error) ||
        !vi_json_get_string (entry_object, &entry_path, "url", TRUE, &url,
                             error) ||
        !vi_json_get_string_map (entry_object, &entry_path, "headers", TRUE,
                                 &upload->headers, error))
      return NULL;

    upload->name = g_strdup (name);
    upload->method = g_strdup (method);
    upload->url = g_strdup (url);
    g_ptr_array_add (uploads, g_steal_pointer (&upload));
  }
  return g_steal_pointer (&uploads);
}

/* The registration response, in the order of uploads (element-type
 * ViSignedUpload). */
JsonNode *
_vi_signed_uploads_to_json (GPtrArray *uploads)
{
  JsonObject *object = json_object_new ();
  JsonObject *files = vi_json_add_object (object, "files");
  guint       i;

  for (i = 0; uploads != NULL && i < uploads->len; i++) {
    const ViSignedUpload *upload = g_ptr_array_index (uploads, i);
    JsonObject           *entry = vi_json_add_object (files, upload->name);

    json_object_set_string_member (entry, "method", upload->method);
    json_object_set_string_member (entry, "url", upload->url);
    vi_json_add_string_map (entry, "headers", upload->headers);
  }
  return vi_json_node_take_object (object);
}

/* ------------------------------------------------------------------------
 * Request bodies.  All members are always present, as the SDK's ViStruct
 * sends them, in its field order.
 * ------------------------------------------------------------------------ */

/* §2.5: {"spec": {"uploadBefore", "failurePolicies": {...}, "source"},
 *        "metadata": {"attributes": {...}}}; attributes may be NULL. */
JsonNode *
_vi_import_session_create_body (const ViAnnotationImportSpec *spec,
                                GHashTable                   *attributes)
{
  JsonObject *object;

  g_return_val_if_fail (spec != NULL, NULL);

  object = json_object_new ();
  add_import_spec (object, spec);
  vi_json_add_string_map (vi_json_add_object (object, "metadata"), "attributes",
                          attributes);
  return vi_json_node_take_object (object);
}

/* §2.6: {"files": {"<name>": {"sizeBytes", "crc32c", "kind"}}} in the
 * order of file_specs (element-type ViAnnotationImportFileSpec).  A name
 * given twice keeps its first place and its last value, as the SDK's dict
 * does. */
JsonNode *
_vi_import_files_body (GPtrArray *file_specs)
{
  JsonObject *object = json_object_new ();
  JsonObject *files = vi_json_add_object (object, "files");
  guint       i;

  for (i = 0; file_specs != NULL && i < file_specs->len; i++) {
    const ViAnnotationImportFileSpec *spec = g_ptr_array_index (file_specs, i);
    JsonObject                       *entry = json_object_new ();

    json_object_set_int_member (entry, "sizeBytes", spec->size_bytes);
    json_object_set_string_member (entry, "crc32c", spec->crc32c);
    json_object_set_string_member (entry, "kind",
                                   spec->kind != NULL ? spec->kind : "Unknown");
    json_object_set_object_member (files, spec->name, entry);
  }
  return vi_json_node_take_object (object);
}

/* §4.4: {"status": {"conditions": [{"condition", "status",
 * "lastTransitionTime": <int ms>, "reason"?}]}}; reason omitted when
 * VI_CONDITION_REASON_NONE. */
JsonNode *
_vi_patch_status_body (const ViAnnotationImportSessionCondition *condition)
{
  JsonObject *object, *status;
  JsonArray  *conditions;

  g_return_val_if_fail (condition != NULL, NULL);

  object = json_object_new ();
  status = vi_json_add_object (object, "status");
  conditions = vi_json_add_array (status, "conditions");
  json_array_add_element (conditions,
                          session_condition_to_json (condition, TRUE));
  return vi_json_node_take_object (object);
}
