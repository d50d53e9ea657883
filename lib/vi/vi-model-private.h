/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vi/vi-types.h>
#include "vi-json-private.h"

G_BEGIN_DECLS

/* Parsers that take the path of the node being parsed, so that errors
 * name the member inside a larger document (items[3].spec...). */
ViAnnotation              *_vi_annotation_from_json              (JsonNode         *node,
                                                                  const ViJsonPath *path,
                                                                  GError          **error);
ViAnnotationImportSession *_vi_annotation_import_session_from_json (JsonNode         *node,
                                                                  const ViJsonPath *path,
                                                                  GError          **error);
ViExportedAnnotations     *_vi_exported_annotations_from_json    (JsonNode         *node,
                                                                  const ViJsonPath *path,
                                                                  GError          **error);

ViAnnotationPage *_vi_annotation_page_new      (GPtrArray  *items,
                                                const char *next_page,
                                                const char *prev_page);
JsonNode         *_vi_annotation_page_to_json  (const ViAnnotationPage *page);

/* A page of exports: items are ViExportedAnnotations. */
GPtrArray *_vi_exported_annotations_list_from_json (JsonNode  *node,
                                                    char     **next_page,
                                                    GError   **error);

ViAnnotationImportSession *_vi_annotation_import_session_new (const char                      *user,
                                                              const char                      *organization_id,
                                                              const char                      *dataset_id,
                                                              const char                      *session_id,
                                                              const char                      *self_link,
                                                              const char                      *etag,
                                                              ViResourceMetadata              *metadata,
                                                              const ViAnnotationImportSpec    *spec,
                                                              ViAnnotationImportSessionStatus *status);
ViAnnotationImportSessionStatus *_vi_annotation_import_session_status_new (GPtrArray   *conditions,
                                                                          gint64       file_page_count,
                                                                          gint64       file_total_size_bytes,
                                                                          GHashTable  *file_status_count,
                                                                          GHashTable  *annotation_status_count,
                                                                          const char  *reason);

/* Request bodies (vi-api.md §2.5, §2.6, §4.4, §9.6).  All fields are
 * always present, as the SDK's ViStruct sends them. */
JsonNode  *_vi_import_session_create_body (const ViAnnotationImportSpec *spec,
                                           GHashTable                   *attributes);
JsonNode  *_vi_import_files_body          (GPtrArray                    *file_specs);
JsonNode  *_vi_patch_status_body          (const ViAnnotationImportSessionCondition *condition);
JsonNode  *_vi_export_create_body         (const ViExportSpec           *spec);

/* Response of the file registration: element type ViSignedUpload, in the
 * server's order. */
GPtrArray *_vi_signed_uploads_from_json   (JsonNode  *node,
                                           GError   **error);
JsonNode  *_vi_signed_uploads_to_json     (GPtrArray *uploads);

/* Strips "{org}_" from a composite dataset id (design.md §7). */
char *_vi_strip_dataset_prefix (const char *organization_id,
                                const char *dataset_id);

/* The fast path for lists (design.md L-3 performance): a page of
 * annotations read straight from the bytes of the body, without building
 * a JsonNode tree first.  Same rules and same error messages as
 * vi_json_parse_bytes() followed by vi_annotation_page_new_from_json(). */
ViAnnotationPage *_vi_annotation_page_new_from_bytes (GBytes  *bytes,
                                                      GError **error);

/* A string that need not be NUL-terminated (a slice of a body). */
typedef struct {
  const char *str;
  gsize       len;
} ViStrRef;

typedef enum {
  VI_ANNOTATION_STRING_ID,
  VI_ANNOTATION_STRING_ASSET_ID,
  VI_ANNOTATION_STRING_ORGANIZATION_ID,
  VI_ANNOTATION_STRING_DATASET_ID,
  VI_ANNOTATION_STRING_SELF_LINK,
  VI_ANNOTATION_STRING_ETAG,
  VI_ANNOTATION_N_STRINGS
} ViAnnotationString;

/* Internal constructors (vi-types.c).  The _from_parts and _take ones
 * take ownership of the objects passed to them; strings are copied. */
ViAnnotation          *_vi_annotation_new_from_parts      (const ViStrRef      *strings,
                                                           ViAnnotationSpec    *spec,
                                                           ViResourceMetadata  *metadata);
ViAnnotationSpec      *_vi_annotation_spec_new_from_parts (ViStrRef             bound_type,
                                                           gint64               tag,
                                                           ViStrRef             whole_id,
                                                           ViRole               role,
                                                           ViStrRef             role_name,
                                                           ViAnnotationContent *contents);
ViAnnotationContent   *_vi_annotation_content_new_caption_len (const char      *text,
                                                               gsize            len);
ViAnnotationContent   *_vi_annotation_content_new_vqa_len (const char          *question,
                                                           gsize                question_len,
                                                           const char          *answer,
                                                           gsize                answer_len);
ViAnnotationPage      *_vi_annotation_page_new_take       (GPtrArray           *items,
                                                           char                *next_page,
                                                           char                *prev_page);

/* Internal constructors (vi-types.c) for what the public API cannot build:
 * values kept although this version does not know them, and exports. */
ViResourceMetadata    *_vi_resource_metadata_new_full     (gint64               time_created,
                                                           gint64               last_updated,
                                                           gint64               generation,
                                                           GHashTable          *attributes);
ViAnnotationContent   *_vi_annotation_content_new_unknown (const char          *kind_name,
                                                           JsonNode            *raw);
ViAnnotationSpec      *_vi_annotation_spec_new_full       (const char          *bound_type,
                                                           gint64               tag,
                                                           const char          *whole_id,
                                                           ViRole               role,
                                                           const char          *role_name,
                                                           ViAnnotationContent *contents);
ViExportedAnnotations *_vi_exported_annotations_new       (const char          *organization_id,
                                                           const char          *dataset_id,
                                                           const char          *dataset_export_id,
                                                           const ViExportSpec  *spec,
                                                           JsonNode            *spec_json,
                                                           GPtrArray           *conditions,
                                                           const ViExportedAnnotationsDownloadUrl *download_url,
                                                           ViResourceMetadata  *metadata,
                                                           const char          *self_link,
                                                           const char          *etag);

G_END_DECLS
