/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests for ViWholes: annotation parts grouped into wholes, by whole id,
 * in the order of first appearance, by kind.
 */
#include "config.h"

#include <vi/vi.h>

static void
assert_parts (const guint *parts,
              guint        n_parts,
              const guint *expected,
              guint        n_expected)
{
  guint i;

  g_assert_cmpuint (n_parts, ==, n_expected);
  if (n_expected == 0) {
    g_assert_null (parts);
    return;
  }
  for (i = 0; i < n_expected; i++)
    g_assert_cmpuint (parts[i], ==, expected[i]);
}

typedef const guint *(*PartsGetter) (const ViWholes *wholes,
                                     guint           whole,
                                     guint          *n_parts);

/* The parts of one kind of a whole, as a getter gives them. */
static void
assert_kind (PartsGetter     get,
             const ViWholes *wholes,
             guint           whole,
             const guint    *expected,
             guint           n_expected)
{
  guint        n = G_MAXUINT;
  const guint *parts = get (wholes, whole, &n);

  assert_parts (parts, n, expected, n_expected);
}

#define assert_boxes(wholes, whole, expected, n) \
  assert_kind (vi_wholes_get_boxes, wholes, whole, expected, n)
#define assert_vqa(wholes, whole, expected, n) \
  assert_kind (vi_wholes_get_vqa, wholes, whole, expected, n)

static void
assert_caption (const ViWholes *wholes, guint whole, guint expected)
{
  guint part = G_MAXUINT;

  g_assert_true (vi_wholes_get_caption (wholes, whole, &part));
  g_assert_cmpuint (part, ==, expected);
}

/* Wholes come in the order of their first part, whatever its kind; in a
 * whole, each kind keeps the order of its parts. */
static void
test_order_and_kinds (void)
{
  g_autoptr (ViWholes) wholes = vi_wholes_new ();
  const guint w1_boxes[] = { 10, 13 }, w1_vqa[] = { 15 };
  const guint w2_boxes[] = { 12 }, w3_vqa[] = { 14, 16 };
  char       *id = g_strdup ("w1");

  /* The grouping keeps its own copy of the ids. */
  g_assert_true (
      vi_wholes_add_part (wholes, 10, id,
                          VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX));
  g_free (id);
  g_assert_true (
      vi_wholes_add_part (wholes, 11, "w2", VI_CONTENT_KIND_CAPTION));
  g_assert_true (
      vi_wholes_add_part (wholes, 12, "w2",
                          VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX));
  g_assert_true (
      vi_wholes_add_part (wholes, 13, "w1",
                          VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX));
  g_assert_true (vi_wholes_add_part (wholes, 14, "w3", VI_CONTENT_KIND_VQA));
  g_assert_true (vi_wholes_add_part (wholes, 15, "w1", VI_CONTENT_KIND_VQA));
  g_assert_true (vi_wholes_add_part (wholes, 16, "w3", VI_CONTENT_KIND_VQA));
  g_assert_true (
      vi_wholes_add_part (wholes, 17, "w1", VI_CONTENT_KIND_CAPTION));

  g_assert_cmpuint (vi_wholes_get_n_wholes (wholes), ==, 3);
  g_assert_cmpstr (vi_wholes_get_whole_id (wholes, 0), ==, "w1");
  g_assert_cmpstr (vi_wholes_get_whole_id (wholes, 1), ==, "w2");
  g_assert_cmpstr (vi_wholes_get_whole_id (wholes, 2), ==, "w3");

  assert_caption (wholes, 0, 17);
  assert_boxes (wholes, 0, w1_boxes, G_N_ELEMENTS (w1_boxes));
  assert_vqa (wholes, 0, w1_vqa, G_N_ELEMENTS (w1_vqa));

  assert_caption (wholes, 1, 11);
  assert_boxes (wholes, 1, w2_boxes, G_N_ELEMENTS (w2_boxes));
  assert_vqa (wholes, 1, NULL, 0);

  g_assert_false (vi_wholes_get_caption (wholes, 2, NULL));
  assert_boxes (wholes, 2, NULL, 0);
  assert_vqa (wholes, 2, w3_vqa, G_N_ELEMENTS (w3_vqa));

  {
    guint n = G_MAXUINT;

    g_assert_null (vi_wholes_get_dropped (wholes, &n));
    g_assert_cmpuint (n, ==, 0);
  }
}

/* A part without a whole id is a whole of its own, without an id. */
static void
test_missing_whole_id (void)
{
  g_autoptr (ViWholes) wholes = vi_wholes_new ();
  const guint first[] = { 0 }, second[] = { 1 }, fourth[] = { 3 };

  vi_wholes_add_part (wholes, 0, NULL,
                      VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
  vi_wholes_add_part (wholes, 1, "",
                      VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
  vi_wholes_add_part (wholes, 2, NULL, VI_CONTENT_KIND_CAPTION);
  vi_wholes_add_part (wholes, 3, NULL, VI_CONTENT_KIND_VQA);
  vi_wholes_add_part (wholes, 4, NULL, VI_CONTENT_KIND_CAPTION);

  g_assert_cmpuint (vi_wholes_get_n_wholes (wholes), ==, 5);
  g_assert_null (vi_wholes_get_whole_id (wholes, 0));
  g_assert_null (vi_wholes_get_whole_id (wholes, 1));
  assert_boxes (wholes, 0, first, 1);
  g_assert_false (vi_wholes_get_caption (wholes, 0, NULL));
  assert_boxes (wholes, 1, second, 1);
  assert_caption (wholes, 2, 2);
  assert_boxes (wholes, 2, NULL, 0);
  assert_vqa (wholes, 3, fourth, 1);
  assert_caption (wholes, 4, 4);
}

/* A whole keeps its first caption; later ones, and parts of a kind that
 * is not grouped, are dropped and listed as such. */
static void
test_dropped (void)
{
  g_autoptr (ViWholes) wholes = vi_wholes_new ();
  const guint  boxes[] = { 1 }, dropped[] = { 2, 3, 4 };
  const guint *parts;
  guint        n = 0;

  g_assert_true (vi_wholes_add_part (wholes, 0, "w", VI_CONTENT_KIND_CAPTION));
  g_assert_true (
      vi_wholes_add_part (wholes, 1, "w",
                          VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX));
  g_assert_false (vi_wholes_add_part (wholes, 2, "w", VI_CONTENT_KIND_CAPTION));
  g_assert_false (vi_wholes_add_part (wholes, 3, "w", VI_CONTENT_KIND_UNKNOWN));
  /* A dropped part does not make a whole. */
  g_assert_false (
      vi_wholes_add_part (wholes, 4, "other", VI_CONTENT_KIND_UNKNOWN));

  g_assert_cmpuint (vi_wholes_get_n_wholes (wholes), ==, 1);
  assert_caption (wholes, 0, 0);
  assert_boxes (wholes, 0, boxes, 1);
  parts = vi_wholes_get_dropped (wholes, &n);
  assert_parts (parts, n, dropped, G_N_ELEMENTS (dropped));
}

static ViAnnotation *
make_annotation (const char          *asset,
                 const char          *whole,
                 ViAnnotationContent *content)
{
  static guint     counter;
  g_autofree char *id = g_strdup_printf ("ann-%u", counter++);
  g_autoptr (ViAnnotationContent) owned = content;
  g_autoptr (ViAnnotationSpec)
      spec = vi_annotation_spec_new ("box", 0, whole, VI_ROLE_UNKNOWN, content);

  return vi_annotation_new (id, asset, "org", "ds", spec, NULL, NULL, NULL);
}

/* From annotations: a part is its index; other assets are left out (not
 * dropped). */
static void
test_from_annotations (void)
{
  g_autoptr (GPtrArray) annotations = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  g_autoptr (ViWholes) wholes = NULL;
  g_autoptr (ViWholes) all = NULL;
  const ViBBox box = { 0.1, 0.2, 0.3, 0.4 };
  const guint  a_boxes[] = { 0, 4 }, b_vqa[] = { 3 }, dropped[] = { 5 };
  const guint *parts;
  guint        n = G_MAXUINT;

  g_ptr_array_add (annotations,
                   make_annotation ("asset", "a",
                                    vi_annotation_content_new_from_bbox (&box,
                                                                         0,
                                                                         3)));
  g_ptr_array_add (annotations,
                   make_annotation ("other", "x",
                                    vi_annotation_content_new_caption ("no")));
  g_ptr_array_add (annotations,
                   make_annotation ("asset", "a",
                                    vi_annotation_content_new_caption ("cat")));
  g_ptr_array_add (annotations,
                   make_annotation ("asset", "b",
                                    vi_annotation_content_new_vqa ("Q?", "A")));
  g_ptr_array_add (annotations,
                   make_annotation ("asset", "a",
                                    vi_annotation_content_new_from_bbox (&box,
                                                                         1,
                                                                         2)));
  g_ptr_array_add (annotations,
                   make_annotation ("asset", "a",
                                    vi_annotation_content_new_caption ("dog")));

  wholes = vi_wholes_new_from_annotations (annotations, "asset");
  g_assert_cmpuint (vi_wholes_get_n_wholes (wholes), ==, 2);
  g_assert_cmpstr (vi_wholes_get_whole_id (wholes, 0), ==, "a");
  assert_caption (wholes, 0, 2);
  assert_boxes (wholes, 0, a_boxes, G_N_ELEMENTS (a_boxes));
  g_assert_cmpstr (vi_wholes_get_whole_id (wholes, 1), ==, "b");
  assert_vqa (wholes, 1, b_vqa, G_N_ELEMENTS (b_vqa));
  /* The second caption of a: dropped. */
  parts = vi_wholes_get_dropped (wholes, &n);
  assert_parts (parts, n, dropped, G_N_ELEMENTS (dropped));

  /* Without an asset id, every part is taken. */
  all = vi_wholes_new_from_annotations (annotations, NULL);
  g_assert_cmpuint (vi_wholes_get_n_wholes (all), ==, 3);
  g_assert_cmpstr (vi_wholes_get_whole_id (all, 1), ==, "x");
  assert_caption (all, 1, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wholes/order-and-kinds", test_order_and_kinds);
  g_test_add_func ("/wholes/missing-whole-id", test_missing_whole_id);
  g_test_add_func ("/wholes/dropped", test_dropped);
  g_test_add_func ("/wholes/from-annotations", test_from_annotations);

  return g_test_run ();
}
