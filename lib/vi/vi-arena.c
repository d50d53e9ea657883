/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <string.h>

#include "vi-arena-private.h"

/* ------------------------------------------------------------------------
 * ViArena: the memory of the objects of one decoded page
 *
 * A page of a list holds thousands of small objects (an annotation, its
 * spec, contents and metadata each).  The direct reader puts all of them
 * in one arena instead of one allocation each: their references are the
 * arena's, so that any of them keeps the whole arena alive, and the
 * arena is freed, in a few calls, with its last reference.  The count is
 * atomic as for any object, since a page may be read on one thread and
 * used on another.
 * ------------------------------------------------------------------------ */

#define ARENA_CHUNK_SIZE (64 * 1024 - 64)

typedef struct _ViArenaChunk ViArenaChunk;
struct _ViArenaChunk {
  ViArenaChunk *prev;
  gsize         pad; /* keeps the data 16-byte aligned */
};

struct _ViArena {
  gint          ref_count;
  char         *cursor;
  char         *limit;
  ViArenaChunk *chunks;    /* of ARENA_CHUNK_SIZE bytes */
  ViArenaChunk *oversized; /* for objects that do not fit in one */
  GPtrArray    *metadata;  /* ViResourceMetadata here: their attributes */
  GPtrArray    *nodes;     /* JsonNode kept by contents of unknown kinds */
  ViStrRef      interned[VI_ARENA_N_INTERNED];
};

/* Freed chunks are kept for the next pages (up to 4 MB): given back to
 * malloc, they would go back to the system, and the next page would
 * fault its memory in again. */
#define ARENA_POOL_MAX 64

static GMutex        arena_pool_lock;
static ViArenaChunk *arena_pool;
static guint         arena_pool_size;

static ViArenaChunk *
arena_chunk_new (void)
{
  ViArenaChunk *chunk = NULL;

  g_mutex_lock (&arena_pool_lock);
  if (arena_pool != NULL) {
    chunk = arena_pool;
    arena_pool = chunk->prev;
    arena_pool_size--;
  }
  g_mutex_unlock (&arena_pool_lock);
  return chunk != NULL ? chunk : g_malloc (ARENA_CHUNK_SIZE);
}

/* Frees a list of chunks (linked by prev), keeping those of the
 * standard size in the pool while it has room. */
static void
arena_chunks_free (ViArenaChunk *chunks, ViArenaChunk *oversized)
{
  ViArenaChunk *rest = NULL;

  while (oversized != NULL) {
    ViArenaChunk *prev = oversized->prev;

    g_free (oversized);
    oversized = prev;
  }
  g_mutex_lock (&arena_pool_lock);
  while (chunks != NULL && arena_pool_size < ARENA_POOL_MAX) {
    ViArenaChunk *prev = chunks->prev;

    chunks->prev = arena_pool;
    arena_pool = chunks;
    arena_pool_size++;
    chunks = prev;
  }
  rest = chunks;
  g_mutex_unlock (&arena_pool_lock);
  while (rest != NULL) {
    ViArenaChunk *prev = rest->prev;

    g_free (rest);
    rest = prev;
  }
}

ViArena *
_vi_arena_new (void)
{
  ViArena *self = g_new0 (ViArena, 1);

  self->ref_count = 1;
  self->metadata = g_ptr_array_sized_new (1024);
  return self;
}

static G_GNUC_NO_INLINE gpointer
arena_alloc_slow (ViArena *self, gsize size)
{
  ViArenaChunk *chunk;
  char         *mem;

  if (size > ARENA_CHUNK_SIZE / 4) {
    chunk = g_malloc (sizeof (ViArenaChunk) + size);
    chunk->prev = self->oversized;
    self->oversized = chunk;
    return chunk + 1;
  }
  chunk = arena_chunk_new ();
  mem = (char *) (chunk + 1);
  chunk->prev = self->chunks;
  self->chunks = chunk;
  self->cursor = mem + size;
  self->limit = (char *) chunk + ARENA_CHUNK_SIZE;
  return mem;
}

/* size bytes, 8-byte aligned, for as long as the arena lives. */
gpointer
_vi_arena_alloc (ViArena *self, gsize size)
{
  char *mem = self->cursor;

  size = (size + 7) & ~(gsize) 7;
  if (G_UNLIKELY ((gsize) (self->limit - mem) < size))
    return arena_alloc_slow (self, size);
  self->cursor = mem + size;
  return mem;
}

/* A copy of str, NUL-terminated, shared with the last string given for
 * the same slot when it is the same (ids repeated on every item). */
const char *
_vi_arena_intern (ViArena *self, guint slot, const char *str, gsize len)
{
  ViStrRef *last = &self->interned[slot];
  char     *copy;

  if (str == NULL)
    len = 0;
  if (last->str != NULL && last->len == len &&
      (len == 0 || memcmp (last->str, str, len) == 0))
    return last->str;
  copy = _vi_arena_alloc (self, len + 1);
  if (len > 0)
    memcpy (copy, str, len);
  copy[len] = '\0';
  last->str = copy;
  last->len = len;
  return copy;
}

/* A NUL-terminated copy of the len bytes at str. */
char *
_vi_arena_strndup (ViArena *self, const char *str, gsize len)
{
  char *copy = _vi_arena_alloc (self, len + 1);

  if (len > 0)
    memcpy (copy, str, len);
  copy[len] = '\0';
  return copy;
}

/* References taken while the arena is still private to the thread that
 * fills it. */
void
_vi_arena_add_refs (ViArena *self, gint n)
{
  self->ref_count += n;
}

void
_vi_arena_ref (ViArena *self)
{
  g_atomic_int_inc (&self->ref_count);
}

/* The attributes of a metadata object of the arena: unreffed with it. */
void
_vi_arena_own_attributes (ViArena *self, GHashTable **attributes)
{
  g_ptr_array_add (self->metadata, attributes);
}

/* A node kept by contents of an unknown kind: unreffed with the arena. */
void
_vi_arena_own_node (ViArena *self, JsonNode *node)
{
  if (self->nodes == NULL)
    self->nodes = g_ptr_array_new_with_free_func (
        (GDestroyNotify) json_node_unref);
  g_ptr_array_add (self->nodes, node);
}

void
_vi_arena_unref (ViArena *self)
{
  guint i;

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  for (i = 0; i < self->metadata->len; i++) {
    GHashTable **attributes = self->metadata->pdata[i];

    if (*attributes != NULL)
      g_hash_table_unref (*attributes);
  }
  g_ptr_array_unref (self->metadata);
  if (self->nodes != NULL)
    g_ptr_array_unref (self->nodes);
  arena_chunks_free (self->chunks, self->oversized);
  g_free (self);
}
