/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViAnnotationPager: the pages of an asset's annotations, one after the other,
 * and the list of all of them (the SDK's PaginatedResponse iteration and
 * all_items()).
 */
#include "config.h"

#include <string.h>
#include "vi-client-private.h"
#include "vi-model-private.h"

/* ------------------------------------------------------------------------
 * Pager
 * ------------------------------------------------------------------------ */

/**
 * ViAnnotationPager:
 *
 * Walks the pages of an asset's annotations, sending each page's
 * `nextPage` as the next request's `pageToken`, as the SDK's
 * `PaginatedResponse` iteration does.  It stops after the first page whose
 * `nextPage` is missing, null or empty, and fails with
 * %VI_ERROR_INVALID_RESPONSE if the server hands back the token it was
 * just given (which would loop forever).
 *
 * Asking for one page costs one GET.  Once the caller has asked for a
 * second page, the pager takes it that the walk goes on and overlaps the
 * transfer of each following page with the decoding of the current one:
 * as soon as a page's body is in, the request for the page after it is
 * sent (with the `nextPage` token read from the end of the body) while
 * the body is decoded on a worker thread.  The token is checked against
 * the decoded page; a wrong guess is cancelled and the right page
 * requested, so the pages returned are exactly those of a sequential
 * walk.  The prefetch is a GET, which changes nothing on the server; at
 * most one page more than the caller asked for is fetched.
 *
 * Every page a pager returns remembers its list, like the pages of
 * vi_client_list_annotations(): vi_annotation_page_iterate() and
 * vi_annotation_page_all_items() carry on from it.
 */
struct _ViAnnotationPager {
  GObject parent_instance;

  ViClient *client; /* NULL when iterating a page built from JSON */
  char     *dataset_id;
  char     *asset_id;
  guint     page_size;
  char     *token;
  gboolean  done;
  gboolean  busy;
  guint     n_pages;
  /* vi_annotation_page_iterate(): the page to return first, with no
   * request. */
  ViAnnotationPage *first_page;

  /* The speculative request for the page after the one being decoded. */
  char         *prefetch_token;
  GCancellable *prefetch_cancellable;
  GMainContext *prefetch_context;
  gboolean      prefetch_done;
  GBytes       *prefetch_bytes;
  GError       *prefetch_error;
  GTask        *prefetch_waiter;
  gulong        prefetch_cancel_id;
  guint         prefetch_generation;
};

G_DEFINE_FINAL_TYPE (ViAnnotationPager, vi_annotation_pager, G_TYPE_OBJECT)

static void
pager_clear_prefetch (ViAnnotationPager *self)
{
  /* Late callbacks of an abandoned request see another generation. */
  self->prefetch_generation++;
  if (self->prefetch_cancellable != NULL)
    g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  g_clear_pointer (&self->prefetch_token, g_free);
  g_clear_pointer (&self->prefetch_context, g_main_context_unref);
  g_clear_pointer (&self->prefetch_bytes, g_bytes_unref);
  g_clear_error (&self->prefetch_error);
  self->prefetch_done = FALSE;
}

static void
vi_annotation_pager_dispose (GObject *object)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (object);

  /* A prefetch in flight holds a reference, so there is no waiter here. */
  g_assert (self->prefetch_waiter == NULL);
  pager_clear_prefetch (self);

  G_OBJECT_CLASS (vi_annotation_pager_parent_class)->dispose (object);
}

static void
vi_annotation_pager_finalize (GObject *object)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->first_page, vi_annotation_page_unref);
  g_free (self->dataset_id);
  g_free (self->asset_id);
  g_free (self->token);

  G_OBJECT_CLASS (vi_annotation_pager_parent_class)->finalize (object);
}

static void
vi_annotation_pager_class_init (ViAnnotationPagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vi_annotation_pager_dispose;
  G_OBJECT_CLASS (klass)->finalize = vi_annotation_pager_finalize;
}

static void
vi_annotation_pager_init (ViAnnotationPager *self)
{
}

/**
 * vi_client_iterate_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 *
 * Returns a pager over every page of an asset's annotations.  No request
 * is made until vi_annotation_pager_next().
 *
 * Returns: (transfer full): a new #ViAnnotationPager
 */
ViAnnotationPager *
vi_client_iterate_annotations (ViClient   *self,
                               const char *dataset_id,
                               const char *asset_id,
                               guint       page_size)
{
  ViAnnotationPager *pager;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);

  pager = g_object_new (VI_TYPE_ANNOTATION_PAGER, NULL);
  pager->client = g_object_ref (self);
  pager->dataset_id = g_strdup (dataset_id);
  pager->asset_id = g_strdup (asset_id);
  pager->page_size = page_size;
  return pager;
}

/**
 * vi_annotation_page_iterate:
 * @self: a #ViAnnotationPage
 *
 * Returns a pager whose first page is @self itself, with no request, and
 * whose next pages are those after @self: iterating onward from the
 * result of a one-page list, as the SDK's `PaginatedResponse` does.
 *
 * The pages of vi_client_list_annotations() and of a #ViAnnotationPager
 * remember the list they belong to (the client holds on to it).  A page
 * made with vi_annotation_page_new_from_json() does not: its pager
 * returns it, then fails with %VI_ERROR_INVALID_ARGUMENT if it names a
 * next page, rather than end as if the list ended there.
 *
 * Returns: (transfer full): a new #ViAnnotationPager
 */
ViAnnotationPager *
vi_annotation_page_iterate (ViAnnotationPage *self)
{
  const ViAnnotationPageOrigin *origin;
  ViAnnotationPager            *pager;

  g_return_val_if_fail (self != NULL, NULL);

  pager = g_object_new (VI_TYPE_ANNOTATION_PAGER, NULL);
  origin = _vi_annotation_page_get_origin (self);
  if (origin != NULL) {
    pager->client = VI_CLIENT (g_object_ref (origin->client));
    pager->dataset_id = g_strdup (origin->dataset_id);
    pager->asset_id = g_strdup (origin->asset_id);
    pager->page_size = origin->page_size;
  }
  pager->first_page = vi_annotation_page_ref (self);
  return pager;
}

/* Reads the top-level "nextPage" string from the end of a page body
 * without parsing it: the last occurrence of the key, a colon, a string
 * without escapes.  Only a guess; the decoded page decides. */
char *
_vi_guess_next_token (GBytes *bytes)
{
  static const char key[] = "\"nextPage\"";
  gsize             len = 0;
  const char       *data = g_bytes_get_data (bytes, &len);
  const char       *p, *end;

  if (data == NULL || len < sizeof key)
    return NULL;
  for (p = data + len - (sizeof key - 1); p >= data; p--) {
    if (*p == '"' && memcmp (p, key, sizeof key - 1) == 0)
      break;
  }
  if (p < data)
    return NULL;
  end = data + len;
  p += sizeof key - 1;
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p >= end || *p != ':')
    return NULL;
  p++;
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p >= end || *p != '"')
    return NULL;
  p++;
  for (const char *q = p; q < end && q - p < 4096; q++) {
    if (*q == '\\' || (guchar) *q < 0x20)
      return NULL;
    if (*q == '"')
      return q > p ? g_strndup (p, q - p) : NULL;
  }
  return NULL;
}

static void pager_got_bytes (GTask *task, GBytes *bytes);

static void
pager_deliver_prefetch (ViAnnotationPager *self)
{
  GTask        *task = g_steal_pointer (&self->prefetch_waiter);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (GBytes) bytes = g_steal_pointer (&self->prefetch_bytes);
  GError *error = g_steal_pointer (&self->prefetch_error);

  if (self->prefetch_cancel_id != 0) {
    g_cancellable_disconnect (cancellable, self->prefetch_cancel_id);
    self->prefetch_cancel_id = 0;
  }
  pager_clear_prefetch (self);

  if (error != NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  pager_got_bytes (task, bytes);
}

typedef struct {
  ViAnnotationPager *pager;
  guint              generation;
} PrefetchData;

static void
prefetch_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PrefetchData *data = user_data;
  g_autoptr (ViAnnotationPager) self = data->pager;
  guint   generation = data->generation;
  GError *error = NULL;
  GBytes *bytes;

  g_free (data);
  bytes = _vi_http_send_finish_bytes (result, &error);
  if (generation != self->prefetch_generation || self->prefetch_done) {
    /* Abandoned: a wrong guess, or the pager moved on. */
    g_clear_pointer (&bytes, g_bytes_unref);
    g_clear_error (&error);
    return;
  }
  self->prefetch_done = TRUE;
  self->prefetch_bytes = bytes;
  self->prefetch_error = error;
  if (self->prefetch_waiter != NULL)
    pager_deliver_prefetch (self);
}

static void
pager_start_prefetch (ViAnnotationPager *self, char *token)
{
  g_autofree char *url = NULL;
  ViHttpRequest   *request;
  PrefetchData    *data;

  url = _vi_client_list_url (self->client, self->dataset_id, self->asset_id,
                             self->page_size, token, NULL);
  if (url == NULL) {
    g_free (token);
    return;
  }
  self->prefetch_token = token;
  self->prefetch_cancellable = g_cancellable_new ();
  self->prefetch_context = g_main_context_ref_thread_default ();
  request = _vi_client_new_list_request (self->client, url);
  data = g_new (PrefetchData, 1);
  data->pager = g_object_ref (self);
  data->generation = self->prefetch_generation;
  _vi_http_send_async (request, self->prefetch_cancellable, prefetch_cb, data);
}

static void
decode_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError           *error = NULL;
  ViAnnotationPage *page;

  page = _vi_annotation_page_new_from_bytes (task_data, &error);
  if (page == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, page,
                           (GDestroyNotify) vi_annotation_page_unref);
}

/* Hands page (taken) to the caller and moves on to the page after it. */
static void
pager_return_page (ViAnnotationPager *self, GTask *task, ViAnnotationPage *page)
{
  const char *next = vi_annotation_page_get_next_page (page);

  self->n_pages++;
  g_free (self->token);
  self->token = g_strdup (next);
  if (next == NULL)
    self->done = TRUE;
  g_task_return_pointer (task, page, (GDestroyNotify) vi_annotation_page_unref);
}

static void
decoded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (source);
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;
  ViAnnotationPage *page;
  const char       *next;

  self->busy = FALSE;
  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (page == NULL) {
    pager_clear_prefetch (self);
    g_prefix_error (&error, "list annotations: ");
    g_task_return_error (task, error);
    return;
  }

  next = vi_annotation_page_get_next_page (page);
  if (next != NULL && self->token != NULL && g_str_equal (next, self->token)) {
    pager_clear_prefetch (self);
    self->done = TRUE;
    vi_annotation_page_unref (page);
    g_task_return_new_error (
        task, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
        "list annotations: invalid response: the server returned the page "
        "token it was given as nextPage, which would never end");
    return;
  }

  /* Keep the prefetch only if it asked for the right page. */
  if (self->prefetch_token != NULL &&
      (next == NULL || !g_str_equal (next, self->prefetch_token)))
    pager_clear_prefetch (self);

  _vi_annotation_page_set_origin (
      page,
      _vi_annotation_page_origin_new (G_OBJECT (self->client), self->dataset_id,
                                      self->asset_id, self->page_size));
  pager_return_page (self, task, page);
}

/* A page body is in: from the second page on, ask for the following page
 * at once; then decode this one off the main context. */
static void
pager_got_bytes (GTask *task, GBytes *bytes)
{
  ViAnnotationPager *self = g_task_get_source_object (task);
  GTask             *decode;
  char              *guess;

  /* No prefetch before the caller has asked for a second page: one page
   * asked for is one GET. */
  guess = self->n_pages > 0 ? _vi_guess_next_token (bytes) : NULL;
  if (guess != NULL &&
      (self->token == NULL || !g_str_equal (guess, self->token)))
    pager_start_prefetch (self, guess);
  else
    g_free (guess);

  decode = g_task_new (self, NULL, decoded_cb, task);
  g_task_set_source_tag (decode, pager_got_bytes);
  g_task_set_task_data (decode, g_bytes_ref (bytes),
                        (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (decode, decode_in_thread);
  g_object_unref (decode);
}

static void
pager_fetch_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask             *task = user_data;
  ViAnnotationPager *self = g_task_get_source_object (task);
  GError            *error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = _vi_http_send_finish_bytes (result, &error);
  if (bytes == NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  pager_got_bytes (task, bytes);
}

static void
waiter_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  ViAnnotationPager *self = user_data;

  /* Runs in the canceller's thread: only cancel the request; the pager's
   * state is handled when its callback runs. */
  g_cancellable_cancel (self->prefetch_cancellable);
}

/**
 * vi_annotation_pager_next_async:
 * @self: a #ViAnnotationPager
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the next page
 * @user_data: data for @callback
 *
 * Fetches the next page.  See vi_annotation_pager_next().
 */
void
vi_annotation_pager_next_async (ViAnnotationPager  *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GTask *task;
  g_autoptr (GMainContext) context = NULL;
  g_autofree char *url = NULL;
  GError          *error = NULL;

  g_return_if_fail (VI_IS_ANNOTATION_PAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_annotation_pager_next_async);
  if (self->busy) {
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                             "a page is already being fetched by this pager");
    g_object_unref (task);
    return;
  }
  if (self->done) {
    g_task_return_pointer (task, NULL, NULL);
    g_object_unref (task);
    return;
  }
  if (self->first_page != NULL) {
    pager_return_page (self, task, g_steal_pointer (&self->first_page));
    g_object_unref (task);
    return;
  }
  if (self->client == NULL) {
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                             "list annotations: the page was not fetched by "
                             "a client, so the page after it cannot be");
    g_object_unref (task);
    return;
  }
  self->busy = TRUE;

  /* The prefetched page, if it is the right one and its I/O runs on this
   * thread's context. */
  context = g_main_context_ref_thread_default ();
  if (self->prefetch_token != NULL && self->token != NULL &&
      g_str_equal (self->prefetch_token, self->token) &&
      self->prefetch_context == context) {
    self->prefetch_waiter = task;
    if (self->prefetch_done) {
      pager_deliver_prefetch (self);
    } else if (cancellable != NULL) {
      self->prefetch_cancel_id =
          g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                 self, NULL);
    }
    return;
  }
  pager_clear_prefetch (self);

  url = _vi_client_list_url (self->client, self->dataset_id, self->asset_id,
                             self->page_size, self->token, &error);
  if (url == NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  _vi_http_send_async (_vi_client_new_list_request (self->client, url),
                       cancellable, pager_fetch_cb, task);
}

/**
 * vi_annotation_pager_next_finish:
 * @self: a #ViAnnotationPager
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the next page, or %NULL with no
 *   error after the last page, or %NULL with @error set
 */
ViAnnotationPage *
vi_annotation_pager_next_finish (ViAnnotationPager *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_pager_next (gpointer            data,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  vi_annotation_pager_next_async (data, cancellable, callback, user_data);
}

/**
 * vi_annotation_pager_next:
 * @self: a #ViAnnotationPager
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Fetches the next page.
 *
 * Returns: (transfer full) (nullable): the next page, or %NULL with no
 *   error after the last page, or %NULL with @error set
 */
ViAnnotationPage *
vi_annotation_pager_next (ViAnnotationPager *self,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), NULL);

  if (self->done)
    return NULL;
  result = _vi_run_sync (start_pager_next, self, cancellable);
  return vi_annotation_pager_next_finish (self, result, error);
}

/**
 * vi_annotation_pager_is_done:
 * @self: a #ViAnnotationPager
 *
 * Returns: %TRUE once the last page has been returned
 */
gboolean
vi_annotation_pager_is_done (ViAnnotationPager *self)
{
  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), TRUE);
  return self->done;
}

/**
 * vi_annotation_pager_get_n_pages:
 * @self: a #ViAnnotationPager
 *
 * Returns: how many pages were returned so far
 */
guint
vi_annotation_pager_get_n_pages (ViAnnotationPager *self)
{
  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), 0);
  return self->n_pages;
}

/* ------------------------------------------------------------------------
 * All items
 * ------------------------------------------------------------------------ */

typedef struct {
  ViAnnotationPager *pager;
  GPtrArray         *items;
} AllData;

static void
all_data_free (AllData *data)
{
  g_clear_object (&data->pager);
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_free (data);
}

static void
all_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AllData *data = g_task_get_task_data (task);
  g_autoptr (ViAnnotationPage) page = NULL;
  GError    *error = NULL;
  GPtrArray *items;

  page = vi_annotation_pager_next_finish (data->pager, result, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (page == NULL) {
    g_task_return_pointer (task, g_steal_pointer (&data->items),
                           (GDestroyNotify) g_ptr_array_unref);
    return;
  }
  items = vi_annotation_page_get_items (page);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (data->items, vi_annotation_ref (items->pdata[i]));

  vi_annotation_pager_next_async (data->pager, g_task_get_cancellable (task),
                                  all_page_cb, g_object_ref (task));
}

/* Walks pager (taken) to its end, collecting the items of every page. */
static void
collect_all_async (gpointer            source_object,
                   ViAnnotationPager  *pager,
                   gpointer            source_tag,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  GTask   *task;
  AllData *data;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (AllData, 1);
  data->pager = pager;
  data->items = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  g_task_set_task_data (task, data, (GDestroyNotify) all_data_free);
  vi_annotation_pager_next_async (data->pager, cancellable, all_page_cb, task);
}

/**
 * vi_client_list_all_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every page is in
 * @user_data: data for @callback
 *
 * Collects every annotation of an asset.  See
 * vi_client_list_all_annotations().
 */
void
vi_client_list_all_annotations_async (ViClient           *self,
                                      const char         *dataset_id,
                                      const char         *asset_id,
                                      guint               page_size,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (VI_IS_CLIENT (self));

  collect_all_async (self,
                     vi_client_iterate_annotations (self, dataset_id, asset_id,
                                                    page_size),
                     vi_client_list_all_annotations_async, cancellable,
                     callback, user_data);
}

/**
 * vi_client_list_all_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation, or %NULL on error
 */
GPtrArray *
vi_client_list_all_annotations_finish (ViClient     *self,
                                       GAsyncResult *result,
                                       GError      **error)
{
  return _vi_client_call_finish (self, result,
                                 vi_client_list_all_annotations_async, error);
}

typedef struct {
  ViClient   *client;
  const char *dataset_id;
  const char *asset_id;
  guint       page_size;
} AllArgs;

static void
start_list_all (gpointer            data,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  AllArgs *a = data;

  vi_client_list_all_annotations_async (a->client, a->dataset_id, a->asset_id,
                                        a->page_size, cancellable, callback,
                                        user_data);
}

/**
 * vi_client_list_all_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Collects every annotation of an asset, walking `nextPage` (the
 * reference's `all_items()`).
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation, or %NULL on error
 */
GPtrArray *
vi_client_list_all_annotations (ViClient     *self,
                                const char   *dataset_id,
                                const char   *asset_id,
                                guint         page_size,
                                GCancellable *cancellable,
                                GError      **error)
{
  AllArgs a = { self, dataset_id, asset_id, page_size };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_list_all, &a, cancellable);
  return vi_client_list_all_annotations_finish (self, result, error);
}

/**
 * vi_annotation_page_all_items_async:
 * @self: a #ViAnnotationPage
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every page is in
 * @user_data: data for @callback
 *
 * Collects the annotations of @self and of every page after it.  See
 * vi_annotation_page_all_items().
 */
void
vi_annotation_page_all_items_async (ViAnnotationPage   *self,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_return_if_fail (self != NULL);

  collect_all_async (NULL, vi_annotation_page_iterate (self),
                     vi_annotation_page_all_items_async, cancellable, callback,
                     user_data);
}

/**
 * vi_annotation_page_all_items_finish:
 * @self: a #ViAnnotationPage
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation from @self on, or %NULL on error
 */
GPtrArray *
vi_annotation_page_all_items_finish (ViAnnotationPage *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            vi_annotation_page_all_items_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_page_all_items (gpointer            data,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  vi_annotation_page_all_items_async (data, cancellable, callback, user_data);
}

/**
 * vi_annotation_page_all_items:
 * @self: a #ViAnnotationPage
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Collects the annotations of @self and of every page after it (the
 * reference's `PaginatedResponse.all_items()`): @self is not fetched
 * again, and one GET is sent per later page.  On the first page of a
 * list, that is every annotation of the asset.  See
 * vi_annotation_page_iterate() for a page that does not remember its
 * list.
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation from @self on, or %NULL on error
 */
GPtrArray *
vi_annotation_page_all_items (ViAnnotationPage *self,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_page_all_items, self, cancellable);
  return vi_annotation_page_all_items_finish (self, result, error);
}
