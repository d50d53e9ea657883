/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/* A string that need not be NUL-terminated (a slice of a body). */
typedef struct {
  const char *str;
  gsize       len;
} ViStrRef;

/* The memory of the objects of one decoded page (vi-arena.c): objects
 * built in an arena come with no reference of their own; each reference
 * taken or dropped on any of them is one on the arena, which frees them
 * all with its last one.  Objects in an arena only point to objects in
 * the same arena, and hold no reference on them. */
typedef struct _ViArena ViArena;

typedef enum {
  VI_ARENA_INTERN_NONE,
  VI_ARENA_INTERN_ASSET_ID,
  VI_ARENA_INTERN_ORGANIZATION_ID,
  VI_ARENA_INTERN_DATASET_ID,
  VI_ARENA_INTERN_BOUND_TYPE,
  VI_ARENA_INTERN_WHOLE_ID,
  VI_ARENA_N_INTERNED
} ViArenaInterned;

ViArena    *_vi_arena_new (void);
gpointer    _vi_arena_alloc (ViArena *arena, gsize size);
const char *_vi_arena_intern (ViArena    *arena,
                              guint       slot,
                              const char *str,
                              gsize       len);
char       *_vi_arena_strndup (ViArena *arena, const char *str, gsize len);
void        _vi_arena_own_attributes (ViArena *arena, GHashTable **attributes);
void        _vi_arena_own_node (ViArena *arena, JsonNode *node);
/* Only while the arena is private to one thread (being filled). */
void _vi_arena_add_refs (ViArena *arena, gint n);
void _vi_arena_ref (ViArena *arena);
void _vi_arena_unref (ViArena *arena);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViArena, _vi_arena_unref)

G_END_DECLS
