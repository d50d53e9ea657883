/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViAnnotationPage: one page of a list of annotations, the SDK's
 * PaginatedResponse.
 */
#include "config.h"

#include "vi-model-private.h"

struct _ViAnnotationPage {
  gatomicrefcount ref_count;
  GPtrArray      *items;
  ViArena        *arena; /* nullable: where the items are */
  char           *next_page;
  char           *prev_page;
  /* Where the page came from, so that it can be followed onward; NULL
   * for a page built from JSON by the caller. */
  ViAnnotationPageOrigin *origin;
};

G_DEFINE_BOXED_TYPE (ViAnnotationPage,
                     vi_annotation_page,
                     vi_annotation_page_ref,
                     vi_annotation_page_unref)

static gpointer
annotation_ref_copy (gconstpointer src, gpointer data)
{
  return vi_annotation_ref ((ViAnnotation *) src);
}

/* items: (transfer none) (nullable) (element-type ViAnnotation): the page
 * keeps its own array holding its own references.  An empty token is
 * stored as NULL: it means "no page" (docs/protocol.md §5). */
ViAnnotationPage *
_vi_annotation_page_new (GPtrArray  *items,
                         const char *next_page,
                         const char *prev_page)
{
  ViAnnotationPage *self = g_new0 (ViAnnotationPage, 1);

  g_atomic_ref_count_init (&self->ref_count);
  if (items != NULL) {
    self->items = g_ptr_array_copy (items, annotation_ref_copy, NULL);
    g_ptr_array_set_free_func (self->items,
                               (GDestroyNotify) vi_annotation_unref);
  } else {
    self->items = g_ptr_array_new_with_free_func (
        (GDestroyNotify) vi_annotation_unref);
  }
  self->next_page = (next_page != NULL && *next_page != '\0')
      ? g_strdup (next_page)
      : NULL;
  self->prev_page = (prev_page != NULL && *prev_page != '\0')
      ? g_strdup (prev_page)
      : NULL;
  return self;
}

/* items: (transfer full) (element-type ViAnnotation), its free function
 * unrefs; next_page and prev_page: (transfer full) (nullable). */
ViAnnotationPage *
_vi_annotation_page_new_take (GPtrArray *items,
                              ViArena   *arena,
                              char      *next_page,
                              char      *prev_page)
{
  ViAnnotationPage *self = g_new0 (ViAnnotationPage, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->items = items;
  self->arena = arena;
  if (next_page != NULL && *next_page == '\0')
    g_clear_pointer (&next_page, g_free);
  if (prev_page != NULL && *prev_page == '\0')
    g_clear_pointer (&prev_page, g_free);
  self->next_page = next_page;
  self->prev_page = prev_page;
  return self;
}

/**
 * vi_annotation_page_ref:
 * @self: a #ViAnnotationPage
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationPage *
vi_annotation_page_ref (ViAnnotationPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_page_unref:
 * @self: (transfer full): a #ViAnnotationPage
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_page_unref (ViAnnotationPage *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->items);
  if (self->arena != NULL)
    _vi_arena_unref (self->arena);
  g_free (self->next_page);
  g_free (self->prev_page);
  g_clear_pointer (&self->origin, _vi_annotation_page_origin_free);
  g_free (self);
}

/**
 * vi_annotation_page_get_n_items:
 * @self: a #ViAnnotationPage
 *
 * Returns: the number of annotations on the page
 */
guint
vi_annotation_page_get_n_items (const ViAnnotationPage *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->items->len;
}

/**
 * vi_annotation_page_get_item:
 * @self: a #ViAnnotationPage
 * @index: an index below vi_annotation_page_get_n_items()
 *
 * Returns: (transfer none): the annotation at @index
 */
ViAnnotation *
vi_annotation_page_get_item (const ViAnnotationPage *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->items->len, NULL);

  return g_ptr_array_index (self->items, index);
}

/**
 * vi_annotation_page_get_items:
 * @self: a #ViAnnotationPage
 *
 * Returns: (transfer none) (element-type ViAnnotation): the annotations of
 *   the page, in the server's order; do not modify the array
 */
GPtrArray *
vi_annotation_page_get_items (const ViAnnotationPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->items;
}

/**
 * vi_annotation_page_get_next_page:
 * @self: a #ViAnnotationPage
 *
 * Returns: (nullable): the token of the next page, to pass as page token;
 *   %NULL on the last page (the server sent `null`, `""` or nothing)
 */
const char *
vi_annotation_page_get_next_page (const ViAnnotationPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->next_page;
}

/**
 * vi_annotation_page_get_prev_page:
 * @self: a #ViAnnotationPage
 *
 * Returns: (nullable): the token of the previous page, if the server sent
 *   one
 */
const char *
vi_annotation_page_get_prev_page (const ViAnnotationPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->prev_page;
}

ViAnnotationPageOrigin *
_vi_annotation_page_origin_new (GObject    *client,
                                const char *dataset_id,
                                const char *asset_id,
                                guint       page_size)
{
  ViAnnotationPageOrigin *origin = g_new0 (ViAnnotationPageOrigin, 1);

  origin->client = g_object_ref (client);
  origin->dataset_id = g_strdup (dataset_id);
  origin->asset_id = g_strdup (asset_id);
  origin->page_size = page_size;
  return origin;
}

ViAnnotationPageOrigin *
_vi_annotation_page_origin_copy (const ViAnnotationPageOrigin *origin)
{
  return _vi_annotation_page_origin_new (origin->client, origin->dataset_id,
                                         origin->asset_id, origin->page_size);
}

void
_vi_annotation_page_origin_free (ViAnnotationPageOrigin *origin)
{
  g_object_unref (origin->client);
  g_free (origin->dataset_id);
  g_free (origin->asset_id);
  g_free (origin);
}

/* origin: (transfer full) (nullable).  Only while the page is not yet
 * shared: pages are immutable once handed out. */
void
_vi_annotation_page_set_origin (ViAnnotationPage       *self,
                                ViAnnotationPageOrigin *origin)
{
  g_clear_pointer (&self->origin, _vi_annotation_page_origin_free);
  self->origin = origin;
}

const ViAnnotationPageOrigin *
_vi_annotation_page_get_origin (const ViAnnotationPage *self)
{
  return self->origin;
}
