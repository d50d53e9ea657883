/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The annotations of an asset: list one page, get one, delete one.
 */
#include "config.h"

#include <string.h>
#include "vi-client-private.h"
#include "vi-model-private.h"

/* ------------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------------ */

/* Pages are decoded straight from the body: json-glib's node tree would
 * cost more than the transfer (see tests/bench).  decode_data is the
 * list the page belongs to, kept on the page so that it can be followed
 * onward. */
static gpointer
decode_page (gpointer body, gpointer decode_data, GError **error)
{
  ViAnnotationPage *page = _vi_annotation_page_new_from_bytes (body, error);

  if (page != NULL)
    _vi_annotation_page_set_origin (page,
                                    _vi_annotation_page_origin_copy (
                                        decode_data));
  return page;
}

static GString *
annotations_path (ViClient *self, const char *dataset_id, const char *asset_id)
{
  GString         *path = _vi_client_dataset_url (self, dataset_id);
  g_autofree char *asset = vi_escape_path_segment (asset_id);

  g_string_append_printf (path, "/assets/%s/annotations", asset);
  return path;
}

/* The URL of one page, or NULL with error set for bad arguments. */
char *
_vi_client_list_url (ViClient   *self,
                     const char *dataset_id,
                     const char *asset_id,
                     guint       page_size,
                     const char *page_token,
                     GError    **error)
{
  GString *url;

  if (page_size == 0)
    page_size = VI_DEFAULT_PAGE_SIZE;
  if (!vi_validate_id ("dataset id", dataset_id, error) ||
      !_vi_validate_asset_id (asset_id, error))
    return NULL;
  if (page_size > VI_MAX_PAGE_SIZE) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "page size %u is out of range: use 1 to %d", page_size,
                 VI_MAX_PAGE_SIZE);
    return NULL;
  }

  url = annotations_path (self, dataset_id, asset_id);
  g_string_append_c (url, '?');
  if (page_token != NULL && *page_token != '\0') {
    g_autofree char *token = _vi_http_escape_query (page_token);
    g_string_append_printf (url, "pageToken=%s&", token);
  }
  g_string_append_printf (url, "pageSize=%u", page_size);
  return g_string_free (url, FALSE);
}

ViHttpRequest *
_vi_client_new_list_request (ViClient *self, const char *url)
{
  ViHttpRequest *request = _vi_client_new_request (self, "GET", url, NULL,
                                                   VI_HTTP_TARGET_ANNOTATION,
                                                   "list annotations");

  request->raw_body = TRUE;
  return request;
}

/**
 * vi_client_list_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id (any text but "." and ".." and control
 *   characters; it is percent-encoded)
 * @page_size: items per page, 1 to %VI_MAX_PAGE_SIZE, or 0 for
 *   %VI_DEFAULT_PAGE_SIZE
 * @page_token: (nullable): the `nextPage` token of the previous page, or
 *   %NULL for the first page
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the page is there
 * @user_data: data for @callback
 *
 * Lists one page of the annotations of an asset.  See
 * vi_client_list_annotations().
 */
void
vi_client_list_annotations_async (ViClient           *self,
                                  const char         *dataset_id,
                                  const char         *asset_id,
                                  guint               page_size,
                                  const char         *page_token,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = _vi_client_list_url (self, dataset_id, asset_id, page_size, page_token,
                             &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_list_annotations_async,
                                   error, callback, user_data);
    return;
  }
  _vi_client_call_async (self, _vi_client_new_list_request (self, url),
                         decode_page,
                         _vi_annotation_page_origin_new (G_OBJECT (self),
                                                         dataset_id, asset_id,
                                                         page_size),
                         (GDestroyNotify) _vi_annotation_page_origin_free,
                         (GDestroyNotify) vi_annotation_page_unref,
                         vi_client_list_annotations_async, cancellable,
                         callback, user_data);
}

/**
 * vi_client_list_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the page, or %NULL on error
 */
ViAnnotationPage *
vi_client_list_annotations_finish (ViClient     *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_list_annotations_async,
                                 error);
}

typedef struct {
  ViClient   *client;
  const char *dataset_id;
  const char *asset_id;
  const char *annotation_id;
  const char *page_token;
  guint       page_size;
} SyncArgs;

static void
start_list (gpointer            data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_list_annotations_async (a->client, a->dataset_id, a->asset_id,
                                    a->page_size, a->page_token, cancellable,
                                    callback, user_data);
}

/**
 * vi_client_list_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id (any text but "." and ".." and control
 *   characters; it is percent-encoded)
 * @page_size: items per page, 1 to %VI_MAX_PAGE_SIZE, or 0 for
 *   %VI_DEFAULT_PAGE_SIZE
 * @page_token: (nullable): the `nextPage` token of the previous page, or
 *   %NULL for the first page
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists one page of the annotations of an asset (the reference's `list()`
 * with `PaginationParams`): exactly one GET.  The page remembers the list
 * it belongs to, as the SDK's `PaginatedResponse` does: follow it onward
 * with vi_annotation_page_iterate() or collect it and every later page
 * with vi_annotation_page_all_items(), neither of which fetches this page
 * again.  vi_client_iterate_annotations() and
 * vi_client_list_all_annotations() walk every page from the first.
 *
 * Returns: (transfer full): the page, or %NULL on error
 */
ViAnnotationPage *
vi_client_list_annotations (ViClient     *self,
                            const char   *dataset_id,
                            const char   *asset_id,
                            guint         page_size,
                            const char   *page_token,
                            GCancellable *cancellable,
                            GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, NULL, page_token, page_size };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_list, &a, cancellable);
  return vi_client_list_annotations_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * get
 * ------------------------------------------------------------------------ */

static gpointer
decode_annotation (gpointer node, gpointer decode_data, GError **error)
{
  return vi_annotation_new_from_json (node, error);
}

static char *
annotation_url (ViClient   *self,
                const char *dataset_id,
                const char *asset_id,
                const char *annotation_id,
                GError    **error)
{
  GString         *url;
  g_autofree char *id = NULL;

  if (!vi_validate_id ("dataset id", dataset_id, error) ||
      !_vi_validate_asset_id (asset_id, error) ||
      !vi_validate_id ("annotation id", annotation_id, error))
    return NULL;

  url = annotations_path (self, dataset_id, asset_id);
  id = vi_escape_path_segment (annotation_id);
  g_string_append_printf (url, "/%s", id);
  return g_string_free (url, FALSE);
}

/**
 * vi_client_get_annotation_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets one annotation.  See vi_client_get_annotation().
 */
void
vi_client_get_annotation_async (ViClient           *self,
                                const char         *dataset_id,
                                const char         *asset_id,
                                const char         *annotation_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = annotation_url (self, dataset_id, asset_id, annotation_id, &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_get_annotation_async, error,
                                   callback, user_data);
    return;
  }
  _vi_client_call_async (self,
                         _vi_client_new_request (self, "GET", url, NULL,
                                                 VI_HTTP_TARGET_ANNOTATION,
                                                 "get annotation"),
                         decode_annotation, NULL, NULL,
                         (GDestroyNotify) vi_annotation_unref,
                         vi_client_get_annotation_async, cancellable, callback,
                         user_data);
}

/**
 * vi_client_get_annotation_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the annotation, or %NULL on error
 */
ViAnnotation *
vi_client_get_annotation_finish (ViClient     *self,
                                 GAsyncResult *result,
                                 GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_get_annotation_async,
                                 error);
}

static void
start_get (gpointer            data,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_get_annotation_async (a->client, a->dataset_id, a->asset_id,
                                  a->annotation_id, cancellable, callback,
                                  user_data);
}

/**
 * vi_client_get_annotation:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gets one annotation (the reference's `get()`).
 *
 * Returns: (transfer full): the annotation, or %NULL on error
 */
ViAnnotation *
vi_client_get_annotation (ViClient     *self,
                          const char   *dataset_id,
                          const char   *asset_id,
                          const char   *annotation_id,
                          GCancellable *cancellable,
                          GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, annotation_id, NULL, 0 };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_get, &a, cancellable);
  return vi_client_get_annotation_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * delete
 * ------------------------------------------------------------------------ */

static gpointer
decode_deleted (gpointer node, gpointer decode_data, GError **error)
{
  return vi_deleted_resource_new (decode_data);
}

/**
 * vi_client_delete_annotation_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Deletes one annotation.  See vi_client_delete_annotation().
 */
void
vi_client_delete_annotation_async (ViClient           *self,
                                   const char         *dataset_id,
                                   const char         *asset_id,
                                   const char         *annotation_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;
  ViHttpRequest   *request;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = annotation_url (self, dataset_id, asset_id, annotation_id, &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_delete_annotation_async,
                                   error, callback, user_data);
    return;
  }
  request = _vi_client_new_request (self, "DELETE", url, NULL,
                                    VI_HTTP_TARGET_ANNOTATION,
                                    "delete annotation");
  /* The service answers 2xx with an empty body (docs/protocol.md §4). */
  request->expect_empty = TRUE;
  _vi_client_call_async (self, request, decode_deleted,
                         g_strdup (annotation_id), g_free,
                         (GDestroyNotify) vi_deleted_resource_free,
                         vi_client_delete_annotation_async, cancellable,
                         callback, user_data);
}

/**
 * vi_client_delete_annotation_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a #ViDeletedResource naming the deleted
 *   annotation, or %NULL on error
 */
ViDeletedResource *
vi_client_delete_annotation_finish (ViClient     *self,
                                    GAsyncResult *result,
                                    GError      **error)
{
  return _vi_client_call_finish (self, result,
                                 vi_client_delete_annotation_async, error);
}

static void
start_delete (gpointer            data,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_delete_annotation_async (a->client, a->dataset_id, a->asset_id,
                                     a->annotation_id, cancellable, callback,
                                     user_data);
}

/**
 * vi_client_delete_annotation:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Deletes one annotation (the reference's `delete()`).  A delete is not
 * idempotent from the caller's point of view: retried after a lost
 * response, it may end with %VI_ERROR_NOT_FOUND although it succeeded.
 *
 * Returns: (transfer full): a #ViDeletedResource, or %NULL on error
 */
ViDeletedResource *
vi_client_delete_annotation (ViClient     *self,
                             const char   *dataset_id,
                             const char   *asset_id,
                             const char   *annotation_id,
                             GCancellable *cancellable,
                             GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, annotation_id, NULL, 0 };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_delete, &a, cancellable);
  return vi_client_delete_annotation_finish (self, result, error);
}
