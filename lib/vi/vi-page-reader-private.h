/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the page reader (vi-page-reader.c) shares with its fast path
 * (vi-page-fast.c).
 */

#include "vi-json-scanner-private.h"
#include "vi-model-private.h"

G_BEGIN_DECLS

static inline ViStrRef
vi_json_scan_str_ref (const ViJsonScanner *r, const ViJsonStr *s)
{
  ViStrRef ref = { NULL, 0 };

  if (s->state == VI_JSON_FIELD_SET) {
    ref.str = vi_json_scan_str_data (r, s);
    ref.len = s->len;
  }
  return ref;
}

/* The strings the arena interns (ids repeated on every item): the last
 * one read for a slot, as a slice of the body, and what it gave.  The
 * same bytes again give the same string, found without reading it. */
typedef struct {
  const char *raw; /* NULL when the last one had escapes */
  gsize       raw_len;
  ViStrRef    value;           /* in the arena */
  const char *organization_id; /* dataset id: stripped of this one */
} ViPageInternCache;

typedef enum {
  VI_PAGE_CACHE_ASSET_ID,
  VI_PAGE_CACHE_ORGANIZATION_ID,
  VI_PAGE_CACHE_DATASET_ID,
  VI_PAGE_CACHE_BOUND_TYPE,
  VI_PAGE_CACHE_WHOLE_ID,
  VI_PAGE_N_CACHES
} ViPageCacheSlot;

ViRole   _vi_page_role_from_str (const ViJsonScanner *r, const ViJsonStr *s);
ViStrRef _vi_page_strip_dataset_prefix (ViStrRef organization_id,
                                        ViStrRef dataset_id);

/* An item at r->p (an object) in the exact shape the local server writes,
 * or NULL with r where it was (but for the scratch buffer, the caches and
 * objects left in the arena): the caller then reads it with the general
 * reader. */
ViAnnotation *_vi_page_read_annotation_fast (ViJsonScanner     *r,
                                             ViArena           *arena,
                                             ViPageInternCache *caches,
                                             GArray            *points);

G_END_DECLS
