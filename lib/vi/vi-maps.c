/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The maps of the model: string -> string (attributes, headers) and
 * string -> count (the status counts of an import session), whose values
 * are g_new'd gint64.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vi-maps-private.h"

GHashTable *
_vi_string_map_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

GHashTable *
_vi_string_map_copy (GHashTable *src)
{
  GHashTable    *copy = _vi_string_map_new ();
  GHashTableIter iter;
  gpointer       key, value;

  if (src == NULL)
    return copy;
  g_hash_table_iter_init (&iter, src);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

GHashTable *
_vi_count_map_copy (GHashTable *src)
{
  GHashTable    *copy = _vi_string_map_new ();
  GHashTableIter iter;
  gpointer       key, value;

  if (src == NULL)
    return copy;
  g_hash_table_iter_init (&iter, src);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    gint64 *count = g_new (gint64, 1);

    *count = value != NULL ? *(const gint64 *) value : 0;
    g_hash_table_insert (copy, g_strdup (key), count);
  }
  return copy;
}

gint64
_vi_count_map_get (GHashTable *map, const char *key)
{
  const gint64 *count;

  if (map == NULL || key == NULL)
    return 0;
  count = g_hash_table_lookup (map, key);
  return count != NULL ? *count : 0;
}

gint64
_vi_count_map_sum (GHashTable *map)
{
  GHashTableIter iter;
  gpointer       value;
  gint64         total = 0;

  if (map == NULL)
    return 0;
  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (value != NULL)
      total += *(const gint64 *) value;
  }
  return total;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The keys of map, sorted, for stable output. */
const char **
_vi_sorted_keys (GHashTable *map, guint *n_keys)
{
  const char **keys;

  keys = (const char **) g_hash_table_get_keys_as_array (map, n_keys);
  qsort (keys, *n_keys, sizeof (char *), compare_strings);
  return keys;
}
