/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <string.h>

#include <vi/vi.h>
#include "vi-json-private.h"
#include "vi-arena-private.h"

G_BEGIN_DECLS

/* The metadata of a resource (vi-resource-metadata.c), defined here so
 * that an annotation can be built in one block with its metadata. */
struct _ViResourceMetadata {
  gatomicrefcount ref_count;
  ViArena        *arena; /* owner of the memory and references */
  gint64          time_created;
  gint64          last_updated;
  gint64          generation;
  GHashTable     *attributes; /* created when first asked for: almost
                                   * every resource has none */
};

/* Copies len bytes of str to *cursor, NUL-terminated, and moves the
 * cursor past them. */
static inline const char *
_vi_pack_string (char **cursor, const char *str, gsize len)
{
  char *dest = *cursor;

  if (len > 0)
    memcpy (dest, str, len);
  dest[len] = '\0';
  *cursor += len + 1;
  return dest;
}

/* The wire name of the UNKNOWN value of every enumeration (vi-enums.c). */
#define _VI_UNKNOWN_NAME "Unknown"

/* Parsers that take the path of the node being parsed, so that errors
 * name the member inside a larger document (items[3].spec...). */
ViAnnotation              *_vi_annotation_from_json (JsonNode         *node,
                                                     const ViJsonPath *path,
                                                     GError          **error);
ViAnnotationImportSession *_vi_annotation_import_session_from_json (
    JsonNode         *node,
    const ViJsonPath *path,
    GError          **error);
ViExportedAnnotations *_vi_exported_annotations_from_json (
    JsonNode         *node,
    const ViJsonPath *path,
    GError          **error);

ViAnnotationPage *_vi_annotation_page_new (GPtrArray  *items,
                                           const char *next_page,
                                           const char *prev_page);

/* The list a page of annotations belongs to: the client (a ViClient)
 * and the arguments that fetched it, so that the pages after it can be
 * fetched from the page alone (vi_annotation_page_iterate()). */
typedef struct {
  GObject *client;
  char    *dataset_id;
  char    *asset_id;
  guint    page_size;
} ViAnnotationPageOrigin;

ViAnnotationPageOrigin *_vi_annotation_page_origin_new (GObject    *client,
                                                        const char *dataset_id,
                                                        const char *asset_id,
                                                        guint       page_size);
ViAnnotationPageOrigin *_vi_annotation_page_origin_copy (
    const ViAnnotationPageOrigin *origin);
void _vi_annotation_page_origin_free (ViAnnotationPageOrigin *origin);
void _vi_annotation_page_set_origin (ViAnnotationPage       *self,
                                     ViAnnotationPageOrigin *origin);
const ViAnnotationPageOrigin *_vi_annotation_page_get_origin (
    const ViAnnotationPage *self);

/* A page of exports: items are ViExportedAnnotations. */
GPtrArray *_vi_exported_annotations_list_from_json (JsonNode *node,
                                                    char    **next_page,
                                                    GError  **error);

ViAnnotationImportSession *_vi_annotation_import_session_new (
    const char                      *user,
    const char                      *organization_id,
    const char                      *dataset_id,
    const char                      *session_id,
    const char                      *self_link,
    const char                      *etag,
    ViResourceMetadata              *metadata,
    const ViAnnotationImportSpec    *spec,
    ViAnnotationImportSessionStatus *status);
ViAnnotationImportSessionStatus *_vi_annotation_import_session_status_new (
    GPtrArray  *conditions,
    gint64      file_page_count,
    gint64      file_total_size_bytes,
    GHashTable *file_status_count,
    GHashTable *annotation_status_count,
    const char *reason);

/* Request bodies (docs/protocol.md §7.1, §7.2, §7.4, §8).  All fields are
 * always present, as the SDK's ViStruct sends them. */
JsonNode *_vi_import_session_create_body (const ViAnnotationImportSpec *spec,
                                          GHashTable *attributes);
JsonNode *_vi_import_files_body (GPtrArray *file_specs);
JsonNode *_vi_patch_status_body (
    const ViAnnotationImportSessionCondition *condition);
JsonNode *_vi_export_create_body (const ViExportSpec *spec);

/* Response of the file registration: element type ViSignedUpload, in the
 * server's order. */
GPtrArray *_vi_signed_uploads_from_json (JsonNode *node, GError **error);
JsonNode  *_vi_signed_uploads_to_json (GPtrArray *uploads);

/* Strips "{org}_" from a composite dataset id (docs/protocol.md
 * §3). */
char *_vi_strip_dataset_prefix (const char *organization_id,
                                const char *dataset_id);

/* The fast path for lists: a page of
 * annotations read straight from the bytes of the body, without building
 * a JsonNode tree first.  Same rules and same error messages as
 * vi_json_parse_bytes() followed by vi_annotation_page_new_from_json(). */
ViAnnotationPage *_vi_annotation_page_new_from_bytes (GBytes  *bytes,
                                                      GError **error);
/* How many items, since the process started, the fast path of that
 * reader could not read (and left to the general reader). */
guint _vi_page_reader_get_fast_path_misses (void);

/* vi_annotation_content_get_unread() of a box whose `bound` is not a list
 * of [x, y] points. */
#define VI_CONTENT_UNREAD_BOUND "bound: not a list of [x, y] points"
ViAnnotationContent *_vi_annotation_content_new_box_unread_in (ViArena  *arena,
                                                               JsonNode *raw,
                                                               int       start,
                                                               int       end);

/* Whether the `format` member of an export's spec (nullable) is a string
 * (vi-export-types.c). */
gboolean _vi_export_spec_format_is_readable (JsonNode *format);

typedef enum {
  VI_ANNOTATION_STRING_ID,
  VI_ANNOTATION_STRING_ASSET_ID,
  VI_ANNOTATION_STRING_ORGANIZATION_ID,
  VI_ANNOTATION_STRING_DATASET_ID,
  VI_ANNOTATION_STRING_SELF_LINK,
  VI_ANNOTATION_STRING_ETAG,
  VI_ANNOTATION_N_STRINGS
} ViAnnotationString;

/* Internal constructors (vi-annotation.c).  arena is nullable: without one,
 * the _from_parts and _take ones take ownership of the objects passed to
 * them; strings are copied. */
ViAnnotation     *_vi_annotation_new_from_parts (ViArena            *arena,
                                                 const ViStrRef     *strings,
                                                 ViAnnotationSpec   *spec,
                                                 ViResourceMetadata *metadata);
ViAnnotationSpec *_vi_annotation_spec_new_from_parts (
    ViArena             *arena,
    ViStrRef             bound_type,
    gint64               tag,
    ViStrRef             whole_id,
    ViRole               role,
    ViStrRef             role_name,
    ViAnnotationContent *contents);
ViAnnotationContent *_vi_annotation_content_new_caption_len (ViArena    *arena,
                                                             const char *text,
                                                             gsize       len);
ViAnnotationContent *_vi_annotation_content_new_vqa_len (ViArena    *arena,
                                                         const char *question,
                                                         gsize question_len,
                                                         const char *answer,
                                                         gsize answer_len);
ViAnnotationContent *_vi_annotation_content_new_box_in (ViArena      *arena,
                                                        const double *points,
                                                        gsize         n_points,
                                                        int           start,
                                                        int           end);
ViAnnotationContent *_vi_annotation_content_new_unknown_in (
    ViArena    *arena,
    const char *kind_name,
    JsonNode   *raw);
ViResourceMetadata *_vi_resource_metadata_new_in (ViArena    *arena,
                                                  gint64      time_created,
                                                  gint64      last_updated,
                                                  gint64      generation,
                                                  GHashTable *attributes);
/* What the fast path of the direct reader gathers for one item: strings
 * are slices (str never NULL) but for those already interned in the
 * arena; attributes: (transfer full) (nullable); contents: in the
 * arena. */
typedef struct {
  ViStrRef             id;
  ViStrRef             self_link;
  ViStrRef             etag;
  const char          *asset_id;
  const char          *organization_id;
  const char          *dataset_id;
  const char          *bound_type;
  const char          *whole_id;
  gint64               tag;
  ViRole               role;
  ViStrRef             role_name;
  ViAnnotationContent *contents;
  gint64               time_created;
  gint64               last_updated;
  gint64               generation;
  GHashTable          *attributes;
} ViAnnotationParts;

ViAnnotation *_vi_annotation_new_in_arena (ViArena                 *arena,
                                           const ViAnnotationParts *parts);
/* arena: (transfer full) (nullable): where the items are. */
ViAnnotationPage *_vi_annotation_page_new_take (GPtrArray *items,
                                                ViArena   *arena,
                                                char      *next_page,
                                                char      *prev_page);

/* JSON of the `metadata` member (vi-resource-metadata.c). */
ViResourceMetadata *_vi_resource_metadata_from_json (
    JsonObject       *parent,
    const ViJsonPath *parent_path,
    GError          **error);
void _vi_resource_metadata_to_json (JsonObject               *parent,
                                    const ViResourceMetadata *metadata);

void _vi_annotation_content_describe (const ViAnnotationContent *contents,
                                      GString                   *out);

/* Internal constructors (vi-annotation.c) for what the public API cannot build:
 * values kept although this version does not know them, and exports. */
ViResourceMetadata  *_vi_resource_metadata_new_full (gint64      time_created,
                                                     gint64      last_updated,
                                                     gint64      generation,
                                                     GHashTable *attributes);
ViAnnotationContent *_vi_annotation_content_new_unknown (const char *kind_name,
                                                         JsonNode   *raw);
ViAnnotationSpec    *_vi_annotation_spec_new_full (const char          *bound_type,
                                                   gint64               tag,
                                                   const char          *whole_id,
                                                   ViRole               role,
                                                   const char          *role_name,
                                                   ViAnnotationContent *contents);
ViExportedAnnotations *_vi_exported_annotations_new (
    const char                             *organization_id,
    const char                             *dataset_id,
    const char                             *dataset_export_id,
    const ViExportSpec                     *spec,
    JsonNode                               *spec_json,
    GPtrArray                              *conditions,
    const ViExportedAnnotationsDownloadUrl *download_url,
    ViResourceMetadata                     *metadata,
    const char                             *self_link,
    const char                             *etag);

G_END_DECLS
