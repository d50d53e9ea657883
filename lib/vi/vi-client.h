/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_CLIENT_H__
#define __VI_CLIENT_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <vi/vi-version.h>
#include <vi/vi-annotation.h>

G_BEGIN_DECLS

/**
 * VI_DEFAULT_ENDPOINT:
 *
 * The endpoint used when neither the constructor nor
 * `DATATURE_VI_API_ENDPOINT` names one.
 */
#define VI_DEFAULT_ENDPOINT "https://api.vi.datature.com"

/**
 * VI_DEFAULT_PAGE_SIZE:
 *
 * The page size sent when the caller passes 0, as the SDK's default.
 */
#define VI_DEFAULT_PAGE_SIZE 10

/**
 * VI_MAX_PAGE_SIZE:
 *
 * The largest page size the API accepts.
 */
#define VI_MAX_PAGE_SIZE 1000

#define VI_TYPE_CLIENT (vi_client_get_type ())
VI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ViClient, vi_client, VI, CLIENT, GObject)

VI_AVAILABLE_IN_ALL
ViClient *vi_client_new (const char *endpoint,
                         const char *secret_key,
                         const char *organization_id,
                         const char *config_file,
                         GError    **error);
VI_AVAILABLE_IN_ALL
ViClient *vi_client_new_from_env (GError **error);

VI_AVAILABLE_IN_ALL
const char *vi_client_get_endpoint (ViClient *self);
VI_AVAILABLE_IN_ALL
const char *vi_client_get_organization_id (ViClient *self);
VI_AVAILABLE_IN_ALL
const char *vi_client_get_user_agent (ViClient *self);

/* list */
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_client_list_annotations (ViClient     *self,
                                              const char   *dataset_id,
                                              const char   *asset_id,
                                              guint         page_size,
                                              const char   *page_token,
                                              GCancellable *cancellable,
                                              GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_list_annotations_async (ViClient           *self,
                                       const char         *dataset_id,
                                       const char         *asset_id,
                                       guint               page_size,
                                       const char         *page_token,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_client_list_annotations_finish (ViClient     *self,
                                                     GAsyncResult *result,
                                                     GError      **error);

/* all items */
VI_AVAILABLE_IN_ALL
GPtrArray *vi_client_list_all_annotations (ViClient     *self,
                                           const char   *dataset_id,
                                           const char   *asset_id,
                                           guint         page_size,
                                           GCancellable *cancellable,
                                           GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_list_all_annotations_async (ViClient           *self,
                                           const char         *dataset_id,
                                           const char         *asset_id,
                                           guint               page_size,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_client_list_all_annotations_finish (ViClient     *self,
                                                  GAsyncResult *result,
                                                  GError      **error);

/* get */
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_client_get_annotation (ViClient     *self,
                                        const char   *dataset_id,
                                        const char   *asset_id,
                                        const char   *annotation_id,
                                        GCancellable *cancellable,
                                        GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_get_annotation_async (ViClient           *self,
                                     const char         *dataset_id,
                                     const char         *asset_id,
                                     const char         *annotation_id,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViAnnotation *vi_client_get_annotation_finish (ViClient     *self,
                                               GAsyncResult *result,
                                               GError      **error);

/* delete */
VI_AVAILABLE_IN_ALL
ViDeletedResource *vi_client_delete_annotation (ViClient     *self,
                                                const char   *dataset_id,
                                                const char   *asset_id,
                                                const char   *annotation_id,
                                                GCancellable *cancellable,
                                                GError      **error);
VI_AVAILABLE_IN_ALL
void vi_client_delete_annotation_async (ViClient           *self,
                                        const char         *dataset_id,
                                        const char         *asset_id,
                                        const char         *annotation_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViDeletedResource *vi_client_delete_annotation_finish (ViClient     *self,
                                                       GAsyncResult *result,
                                                       GError      **error);

/* Page iterator */
#define VI_TYPE_ANNOTATION_PAGER (vi_annotation_pager_get_type ())
VI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ViAnnotationPager,
                      vi_annotation_pager,
                      VI,
                      ANNOTATION_PAGER,
                      GObject)

VI_AVAILABLE_IN_ALL
ViAnnotationPager *vi_client_iterate_annotations (ViClient   *self,
                                                  const char *dataset_id,
                                                  const char *asset_id,
                                                  guint       page_size);
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_annotation_pager_next (ViAnnotationPager *self,
                                            GCancellable      *cancellable,
                                            GError           **error);
VI_AVAILABLE_IN_ALL
void vi_annotation_pager_next_async (ViAnnotationPager  *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
VI_AVAILABLE_IN_ALL
ViAnnotationPage *vi_annotation_pager_next_finish (ViAnnotationPager *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
VI_AVAILABLE_IN_ALL
gboolean vi_annotation_pager_is_done (ViAnnotationPager *self);
VI_AVAILABLE_IN_ALL
guint vi_annotation_pager_get_n_pages (ViAnnotationPager *self);

/* Onward from one page (the SDK's PaginatedResponse) */
VI_AVAILABLE_IN_ALL
ViAnnotationPager *vi_annotation_page_iterate (ViAnnotationPage *self);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_annotation_page_all_items (ViAnnotationPage *self,
                                         GCancellable     *cancellable,
                                         GError          **error);
VI_AVAILABLE_IN_ALL
void vi_annotation_page_all_items_async (ViAnnotationPage   *self,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_annotation_page_all_items_finish (ViAnnotationPage *self,
                                                GAsyncResult     *result,
                                                GError          **error);

/* Identifier checks, as the SDK does them (docs/protocol.md §3). */
VI_AVAILABLE_IN_ALL
gboolean vi_validate_id (const char *what, const char *id, GError **error);
VI_AVAILABLE_IN_ALL
char *vi_escape_path_segment (const char *segment);

G_END_DECLS

#endif /* __VI_CLIENT_H__ */
