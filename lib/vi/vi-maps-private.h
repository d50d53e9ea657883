/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* string -> string, both owned. */
GHashTable *_vi_string_map_new (void);
/* A copy of src (nullable: an empty map). */
GHashTable *_vi_string_map_copy (GHashTable *src);
/* string -> gint64 *, both owned; a copy of src (nullable: empty). */
GHashTable *_vi_count_map_copy (GHashTable *src);
/* The count of key, 0 when absent. */
gint64 _vi_count_map_get (GHashTable *map, const char *key);
gint64 _vi_count_map_sum (GHashTable *map);
/* The keys of map, sorted, for stable output (free the array only). */
const char **_vi_sorted_keys (GHashTable *map, guint *n_keys);

static inline char *
_vi_strdup_or_empty (const char *str)
{
  return g_strdup (str != NULL ? str : "");
}

G_END_DECLS
