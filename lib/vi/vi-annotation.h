/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_ANNOTATION_H__
#define __VI_ANNOTATION_H__

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
VI_AVAILABLE_IN_ALL
const char *vi_annotation_content_get_unread (const ViAnnotationContent *self);

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
void vi_annotation_print_info (const ViAnnotation *self);
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationContent, vi_annotation_content_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationSpec, vi_annotation_spec_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotation, vi_annotation_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViDeletedResource, vi_deleted_resource_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViAnnotationPage, vi_annotation_page_unref)

G_END_DECLS

#endif /* __VI_ANNOTATION_H__ */
