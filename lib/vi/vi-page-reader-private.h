/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/*
 * What the page reader (vi-page-reader.c) shares with its fast path
 * (vi-page-fast.c).
 */

#include "vi-json-scanner.h"
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

/* The names shared by ViRole and ViContentKind (same values for both):
 * 1 Caption, 2 PhraseGroundingBoundingBox, 3 Vqa, 0 anything else. */
G_STATIC_ASSERT ((int) VI_ROLE_CAPTION == (int) VI_CONTENT_KIND_CAPTION);
G_STATIC_ASSERT ((int) VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX ==
                 (int) VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
G_STATIC_ASSERT ((int) VI_ROLE_VQA == (int) VI_CONTENT_KIND_VQA);

static inline int
_vi_page_part_name_from_str (const ViJsonScanner *r, const ViJsonStr *s)
{
  switch (s->len) {
    case 7:
      return VI_JSON_KEY_IS (r, s, "Caption") ? VI_ROLE_CAPTION : 0;
    case 26:
      return VI_JSON_KEY_IS (r, s, "PhraseGroundingBoundingBox")
          ? VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX
          : 0;
    case 3:
      return VI_JSON_KEY_IS (r, s, "Vqa") ? VI_ROLE_VQA : 0;
    default:
      return 0;
  }
}

/* vi_role_from_string() and vi_content_kind_from_string() on a slice. */
static inline ViRole
_vi_page_role_from_str (const ViJsonScanner *r, const ViJsonStr *s)
{
  return (ViRole) _vi_page_part_name_from_str (r, s);
}

/* The wire `datasetId` without "{org}_" (see _vi_strip_dataset_prefix()). */
static inline ViStrRef
_vi_page_strip_dataset_prefix (ViStrRef organization_id, ViStrRef dataset_id)
{
  if (organization_id.len > 0 && dataset_id.len > organization_id.len + 1 &&
      memcmp (dataset_id.str, organization_id.str, organization_id.len) == 0 &&
      dataset_id.str[organization_id.len] == '_') {
    dataset_id.str += organization_id.len + 1;
    dataset_id.len -= organization_id.len + 1;
  }
  return dataset_id;
}

/* An item at r->p (an object) in the exact shape the local server writes,
 * or NULL with r where it was (but for the scratch buffer, the caches and
 * objects left in the arena): the caller then reads it with the general
 * reader. */
ViAnnotation *_vi_page_read_annotation_fast (ViJsonScanner     *r,
                                             ViArena           *arena,
                                             ViPageInternCache *caches,
                                             GArray            *points);

G_END_DECLS
