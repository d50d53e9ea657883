/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* Comparing JSONL records, member by member, for the tests that read
 * and write them.  Header-only. */

#include <vi/vi.h>

/* Every member the getters give but the record's id (which the writer
 * does not write), numbers exactly. */
static inline void
vi_test_assert_records_equal (const ViJsonlRecord *a, const ViJsonlRecord *b)
{
  guint i;

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (a), ==,
                   vi_jsonl_record_get_asset_id (b));
  g_assert_cmpstr (vi_jsonl_record_get_caption (a), ==,
                   vi_jsonl_record_get_caption (b));
  g_assert_cmpint (vi_jsonl_record_get_format (a), ==,
                   vi_jsonl_record_get_format (b));
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (a), ==,
                    vi_jsonl_record_get_n_phrases (b));
  for (i = 0; i < vi_jsonl_record_get_n_phrases (a); i++) {
    const ViGroundedPhrase *pa = vi_jsonl_record_get_phrase (a, i);
    const ViGroundedPhrase *pb = vi_jsonl_record_get_phrase (b, i);

    g_assert_cmpstr (pa->phrase, ==, pb->phrase);
    /* Exactly the same doubles. */
    g_assert_cmpfloat (pa->bbox.x_min, ==, pb->bbox.x_min);
    g_assert_cmpfloat (pa->bbox.y_min, ==, pb->bbox.y_min);
    g_assert_cmpfloat (pa->bbox.x_max, ==, pb->bbox.x_max);
    g_assert_cmpfloat (pa->bbox.y_max, ==, pb->bbox.y_max);
    g_assert_cmpint (pa->start, ==, pb->start);
    g_assert_cmpint (pa->end, ==, pb->end);
  }
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (a), ==,
                    vi_jsonl_record_get_n_interactions (b));
  for (i = 0; i < vi_jsonl_record_get_n_interactions (a); i++) {
    const ViVqaInteraction *va = vi_jsonl_record_get_interaction (a, i);
    const ViVqaInteraction *vb = vi_jsonl_record_get_interaction (b, i);

    g_assert_cmpstr (va->question, ==, vb->question);
    g_assert_cmpstr (va->answer, ==, vb->answer);
    g_assert_cmpint (va->order, ==, vb->order);
  }
  g_assert_cmpuint (vi_jsonl_record_get_n_parts (a), ==,
                    vi_jsonl_record_get_n_parts (b));
}
