/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The fast path of the direct reader.
 *
 * The server writes every item the same way: the same members, in the
 * same order, with no null and nothing unknown.
 * _vi_page_read_annotation_fast()
 * reads an item of exactly that shape with straight-line code: the bytes
 * between two values are compared at once with those expected there
 * (`,"assetId":` for instance), a few words for a compact body, token by
 * token when there is white space.  It gives up at the first thing it
 * does not expect, reporting nothing, and the item is then read again
 * from its start by read_annotation() (vi-page-reader.c), which knows
 * every rule and every message: the fast path only succeeds where
 * read_annotation() would,
 * with the same values.
 */
#include "config.h"

#include "vi-page-reader-private.h"

/* Whether the len bytes at p and at q are the same: a few compares of
 * words when len and q are constants. */
VI_JSON_INLINE gboolean
bytes_equal (const char *p, const char *q, gsize len)
{
  guint64 a, b, diff = 0;
  gsize   i;

  if (len >= 8) {
    for (i = 0; i + 8 <= len; i += 8) {
      memcpy (&a, p + i, 8);
      memcpy (&b, q + i, 8);
      diff |= a ^ b;
    }
    if (i < len) {
      memcpy (&a, p + len - 8, 8);
      memcpy (&b, q + len - 8, 8);
      diff |= a ^ b;
    }
  } else if (len >= 4) {
    guint32 c, d;

    memcpy (&c, p, 4);
    memcpy (&d, q, 4);
    diff = c ^ d;
    memcpy (&c, p + len - 4, 4);
    memcpy (&d, q + len - 4, 4);
    diff |= c ^ d;
  } else {
    for (i = 0; i < len; i++)
      diff |= (guchar) p[i] ^ (guchar) q[i];
  }
  return diff == 0;
}

/* fast_lit() with white space between the tokens of lit.  Leaves r->p
 * where it was when the bytes are not those. */
static G_GNUC_NO_INLINE gboolean
fast_lit_spaced (ViJsonScanner *r, const char *lit, gsize len)
{
  const char *start = r->p;
  gboolean    in_string = FALSE;
  gsize       i;

  for (i = 0; i < len; i++) {
    if (!in_string)
      vi_json_scan_skip_ws (r);
    if (r->p >= r->end || *r->p != lit[i]) {
      r->p = start;
      return FALSE;
    }
    if (lit[i] == '"')
      in_string = !in_string;
    r->p++;
  }
  return TRUE;
}

/* The tokens of lit (whole tokens: punctuation and strings with no
 * escape) at r->p, which moves past them; or FALSE with r->p where it
 * was. */
VI_JSON_INLINE gboolean
fast_lit (ViJsonScanner *r, const char *lit, gsize len)
{
  if (G_LIKELY ((gsize) (r->end - r->p) >= len &&
                bytes_equal (r->p, lit, len))) {
    r->p += len;
    return TRUE;
  }
  return fast_lit_spaced (r, lit, len);
}

#define FAST_LIT(r, lit) fast_lit ((r), lit, sizeof (lit) - 1)

/* Whether the next token starts with c (it is then at r->p). */
VI_JSON_INLINE gboolean
fast_peek (ViJsonScanner *r, char c)
{
  if (G_LIKELY (r->p < r->end && *r->p == c))
    return TRUE;
  vi_json_scan_skip_ws (r);
  return r->p < r->end && *r->p == c;
}

VI_JSON_INLINE gboolean
fast_string (ViJsonScanner *r, ViJsonStr *out)
{
  return fast_peek (r, '"') && vi_json_scan_read_string (r, out, NULL);
}

VI_JSON_INLINE gboolean
fast_number (ViJsonScanner *r, ViJsonNumber *out)
{
  vi_json_scan_skip_ws (r);
  if (G_UNLIKELY (r->p >= r->end ||
                  (*r->p != '-' && (guint) (*r->p - '0') >= 10)))
    return FALSE;
  return vi_json_scan_read_number (r, out, NULL);
}

VI_JSON_INLINE gboolean
fast_int (ViJsonScanner *r, gint64 *out)
{
  ViJsonNumber number;

  if (!fast_number (r, &number) || !number.is_integer)
    return FALSE;
  *out = number.integer;
  return TRUE;
}

VI_JSON_INLINE gboolean
fast_double (ViJsonScanner *r, double *out)
{
  ViJsonNumber number;

  if (!fast_number (r, &number) || !isfinite (number.value))
    return FALSE;
  *out = number.value;
  return TRUE;
}

/* Whether the string at r->p is the one of cache (read past it then). */
VI_JSON_INLINE gboolean
fast_cached (ViJsonScanner *r, const ViPageInternCache *cache)
{
  gsize len = cache->raw_len;

  if (cache->raw != NULL && (gsize) (r->end - r->p) >= len + 2 &&
      r->p[0] == '"' && r->p[len + 1] == '"' &&
      bytes_equal (r->p + 1, cache->raw, len)) {
    r->p += len + 2;
    return TRUE;
  }
  return FALSE;
}

/* A string for an interned slot of the arena. */
static G_GNUC_NO_INLINE gboolean
fast_intern_slow (ViJsonScanner     *r,
                  ViArena           *arena,
                  ViPageInternCache *cache,
                  guint              slot,
                  ViStrRef           organization_id)
{
  ViStrRef  ref;
  ViJsonStr s;

  if (!fast_string (r, &s))
    return FALSE;
  ref.str = vi_json_scan_str_data (r, &s);
  ref.len = s.len;
  if (slot == VI_ARENA_INTERN_DATASET_ID)
    ref = _vi_page_strip_dataset_prefix (organization_id, ref);
  cache->raw = s.str;
  cache->raw_len = s.len;
  cache->value.str = _vi_arena_intern (arena, slot, ref.str, ref.len);
  cache->value.len = ref.len;
  cache->organization_id = organization_id.str;
  return TRUE;
}

VI_JSON_INLINE gboolean
fast_intern (ViJsonScanner     *r,
             ViArena           *arena,
             ViPageInternCache *cache,
             guint              slot,
             ViStrRef          *out)
{
  if (!fast_cached (r, cache) &&
      !fast_intern_slow (r, arena, cache, slot, (ViStrRef){ NULL, 0 }))
    return FALSE;
  *out = cache->value;
  return TRUE;
}

/* `bound`: [[x, y], ...], at least one point, from after its first
 * bracket.  The points go to local (of n_local doubles) while they fit,
 * then to points; *out is where they are. */
static gboolean
fast_bound (ViJsonScanner *r,
            double        *local,
            gsize          n_local,
            GArray        *points,
            double       **out,
            gsize         *n_points)
{
  double *buffer = local;
  gsize   capacity = n_local, n = 0;

  for (;;) {
    if (G_UNLIKELY (n + 2 > capacity)) {
      g_array_set_size (points, MAX (2 * capacity, 16));
      if (buffer == local)
        memcpy (points->data, local, n * sizeof (double));
      buffer = (double *) (gpointer) points->data;
      capacity = points->len;
    }
    if (!fast_double (r, &buffer[n]) || !FAST_LIT (r, ",") ||
        !fast_double (r, &buffer[n + 1]))
      return FALSE;
    n += 2;
    if (G_LIKELY (r->end - r->p >= 3 && r->p[0] == ']')) {
      if (r->p[1] == ',' && r->p[2] == '[') {
        r->p += 3;
        continue;
      }
      if (r->p[1] == ']') {
        r->p += 2;
        break;
      }
    }
    if (fast_lit_spaced (r, "],[", 3))
      continue;
    if (fast_lit_spaced (r, "]]", 2))
      break;
    return FALSE;
  }
  *out = buffer;
  *n_points = n / 2;
  return TRUE;
}

/* `contents` from its `kind` value to its closing brace. */
static ViAnnotationContent *
fast_contents (ViJsonScanner *r, ViArena *arena, GArray *points)
{
  if (!fast_peek (r, '"') || r->end - r->p < 2)
    return NULL;
  switch (r->p[1]) {
    case 'P': {
      double local[32], *bound;
      gsize  n_points;
      gint64 start, end;

      if (!FAST_LIT (r, "\"PhraseGroundingBoundingBox\",\"bound\":[[") ||
          !fast_bound (r, local, G_N_ELEMENTS (local), points, &bound,
                       &n_points) ||
          !FAST_LIT (r, ",\"target\":[") || !fast_int (r, &start) ||
          !FAST_LIT (r, ",") || !fast_int (r, &end) || !FAST_LIT (r, "]}") ||
          start < G_MININT || start > G_MAXINT || end < G_MININT ||
          end > G_MAXINT)
        return NULL;
      return _vi_annotation_content_new_box_in (arena, bound, n_points,
                                                (int) start, (int) end);
    }

    case 'C': {
      ViJsonStr text;

      if (!FAST_LIT (r, "\"Caption\",\"contents\":") ||
          !fast_string (r, &text) || !FAST_LIT (r, "}"))
        return NULL;
      return _vi_annotation_content_new_caption_len (arena,
                                                     vi_json_scan_str_data (r,
                                                                            &text),
                                                     text.len);
    }

    case 'V': {
      ViJsonStr question, answer;

      if (!FAST_LIT (r, "\"Vqa\",\"question\":") ||
          !fast_string (r, &question) || !FAST_LIT (r, ",\"answer\":") ||
          !fast_string (r, &answer) || !FAST_LIT (r, "}"))
        return NULL;
      return _vi_annotation_content_new_vqa_len (arena,
                                                 vi_json_scan_str_data (r,
                                                                        &question),
                                                 question.len,
                                                 vi_json_scan_str_data (r,
                                                                        &answer),
                                                 answer.len);
    }

    default:
      return NULL;
  }
}

/* `attributes` from after its opening brace: a map of strings, usually
 * empty. */
static gboolean
fast_attributes (ViJsonScanner *r, GHashTable **out)
{
  g_autoptr (GHashTable) attributes = NULL;

  *out = NULL;
  if (G_LIKELY (FAST_LIT (r, "}")))
    return TRUE;
  for (;;) {
    ViJsonStr name, value;

    if (!fast_string (r, &name) || !FAST_LIT (r, ":") ||
        !fast_string (r, &value))
      return FALSE;
    if (attributes == NULL)
      attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
    g_hash_table_insert (attributes,
                         g_strndup (vi_json_scan_str_data (r, &name), name.len),
                         g_strndup (vi_json_scan_str_data (r, &value),
                                    value.len));
    if (FAST_LIT (r, ","))
      continue;
    if (FAST_LIT (r, "}"))
      break;
    return FALSE;
  }
  *out = g_steal_pointer (&attributes);
  return TRUE;
}

/* An item at r->p (an object) in the server's shape, or NULL with r
 * unchanged but for the scratch buffer, the caches and objects left in
 * the arena. */
ViAnnotation *
_vi_page_read_annotation_fast (ViJsonScanner     *r,
                               ViArena           *arena,
                               ViPageInternCache *caches,
                               GArray            *points)
{
  const char       *start = r->p;
  ViAnnotationParts parts;
  ViStrRef          asset_id, organization_id, dataset_id, bound_type, whole_id;
  ViJsonStr         id, self_link, etag, role;

  if (!FAST_LIT (r, "{\"kind\":\"Annotation\",\"annotationId\":") ||
      !fast_string (r, &id) || !FAST_LIT (r, ",\"assetId\":") ||
      !fast_intern (r, arena, &caches[VI_PAGE_CACHE_ASSET_ID],
                    VI_ARENA_INTERN_ASSET_ID, &asset_id) ||
      !FAST_LIT (r, ",\"workspaceId\":") ||
      !fast_intern (r, arena, &caches[VI_PAGE_CACHE_ORGANIZATION_ID],
                    VI_ARENA_INTERN_ORGANIZATION_ID, &organization_id) ||
      !FAST_LIT (r, ",\"datasetId\":"))
    goto fail;
  /* The dataset id is stripped of the organization id. */
  if (caches[VI_PAGE_CACHE_DATASET_ID].organization_id == organization_id.str &&
      fast_cached (r, &caches[VI_PAGE_CACHE_DATASET_ID]))
    dataset_id = caches[VI_PAGE_CACHE_DATASET_ID].value;
  else if (fast_intern_slow (r, arena, &caches[VI_PAGE_CACHE_DATASET_ID],
                             VI_ARENA_INTERN_DATASET_ID, organization_id))
    dataset_id = caches[VI_PAGE_CACHE_DATASET_ID].value;
  else
    goto fail;

  if (!FAST_LIT (r, ",\"spec\":{\"boundType\":") ||
      !fast_intern (r, arena, &caches[VI_PAGE_CACHE_BOUND_TYPE],
                    VI_ARENA_INTERN_BOUND_TYPE, &bound_type) ||
      !FAST_LIT (r, ",\"tag\":") || !fast_int (r, &parts.tag) ||
      !FAST_LIT (r, ",\"aggregation\":{\"whole\":{\"id\":") ||
      !fast_intern (r, arena, &caches[VI_PAGE_CACHE_WHOLE_ID],
                    VI_ARENA_INTERN_WHOLE_ID, &whole_id) ||
      !FAST_LIT (r, "},\"thisPart\":{\"role\":") || !fast_string (r, &role) ||
      !FAST_LIT (r, "}},\"contents\":{\"kind\":"))
    goto fail;
  parts.contents = fast_contents (r, arena, points);
  if (parts.contents == NULL ||
      !FAST_LIT (r, "},\"metadata\":{\"timeCreated\":") ||
      !fast_int (r, &parts.time_created) ||
      !FAST_LIT (r, ",\"lastUpdated\":") ||
      !fast_int (r, &parts.last_updated) || !FAST_LIT (r, ",\"generation\":") ||
      !fast_int (r, &parts.generation) || !FAST_LIT (r, ",\"attributes\":{") ||
      !fast_attributes (r, &parts.attributes))
    goto fail;
  if (!FAST_LIT (r, "},\"selfLink\":") || !fast_string (r, &self_link) ||
      !FAST_LIT (r, ",\"etag\":") || !fast_string (r, &etag) ||
      !FAST_LIT (r, "}")) {
    g_clear_pointer (&parts.attributes, g_hash_table_unref);
    goto fail;
  }

  parts.id = vi_json_scan_str_ref (r, &id);
  parts.self_link = vi_json_scan_str_ref (r, &self_link);
  parts.etag = vi_json_scan_str_ref (r, &etag);
  parts.asset_id = asset_id.str;
  parts.organization_id = organization_id.str;
  parts.dataset_id = dataset_id.str;
  parts.bound_type = bound_type.str;
  parts.whole_id = whole_id.str;
  parts.role = _vi_page_role_from_str (r, &role);
  parts.role_name = vi_json_scan_str_ref (r, &role);
  return _vi_annotation_new_in_arena (arena, &parts);

fail:
  r->p = start;
  r->failed = FALSE;
  return NULL;
}
