/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests for normalized boxes, pixel boxes and corner lists.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <vi/vi.h>

static void
assert_pixels (const ViPixelBox *box, int x_min, int y_min, int x_max, int y_max)
{
  g_assert_cmpint (box->x_min, ==, x_min);
  g_assert_cmpint (box->y_min, ==, y_min);
  g_assert_cmpint (box->x_max, ==, x_max);
  g_assert_cmpint (box->y_max, ==, y_max);
}

static void
test_reference_example (void)
{
  ViBBox     bbox = { 0.1, 0.2, 0.5, 0.7 };
  ViPixelBox px;
  ViBBox     back;

  vi_bbox_to_pixels (&bbox, 1920, 1080, &px);
  assert_pixels (&px, 192, 216, 960, 756);

  vi_bbox_from_pixels (&px, 1920, 1080, &back);
  g_assert_cmpfloat (back.x_min, ==, 192.0 / 1920);
  g_assert_cmpfloat (back.y_min, ==, 216.0 / 1080);
  g_assert_cmpfloat (back.x_max, ==, 960.0 / 1920);
  g_assert_cmpfloat (back.y_max, ==, 756.0 / 1080);
  g_assert_cmpfloat_with_epsilon (back.x_min, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (back.y_max, 0.7, 1e-12);
}

static void
test_truncation (void)
{
  ViPixelBox px;
  ViBBox     a = { 0.0, 0.0, 1.0, 1.0 };
  /* 0.999 * 10 = 9.99: truncated, as int() does. */
  ViBBox b = { 0.05, 0.149, 0.999, 0.5 };

  vi_bbox_to_pixels (&a, 640, 480, &px);
  assert_pixels (&px, 0, 0, 640, 480);

  vi_bbox_to_pixels (&b, 10, 10, &px);
  assert_pixels (&px, 0, 1, 9, 5);

  /* The reference's int() truncates toward zero for negative values. */
  {
    ViBBox c = { -0.05, -0.25, 0.5, 0.5 };

    vi_bbox_to_pixels (&c, 10, 10, &px);
    assert_pixels (&px, 0, -2, 5, 5);
  }
}

/* Every integer box of a width × height frame survives the round trip. */
static void
check_every_box (int width, int height)
{
  int     x0, x1, y0, y1;
  guint64 n = 0;

  for (x0 = 0; x0 < width; x0++)
    for (x1 = x0 + 1; x1 <= width; x1++)
      for (y0 = 0; y0 < height; y0++)
        for (y1 = y0 + 1; y1 <= height; y1++) {
          ViPixelBox in = { x0, y0, x1, y1 };
          ViPixelBox out;
          ViBBox     norm;

          vi_bbox_from_pixels (&in, width, height, &norm);
          g_assert_true (vi_bbox_is_valid (&norm));
          vi_bbox_to_pixels (&norm, width, height, &out);
          if (out.x_min != x0 || out.y_min != y0 || out.x_max != x1 ||
              out.y_max != y1)
            g_error ("%dx%d: [%d,%d,%d,%d] came back as [%d,%d,%d,%d]", width,
                     height, x0, y0, x1, y1, out.x_min, out.y_min, out.x_max,
                     out.y_max);
          n++;
        }

  /* C(w+1, 2) * C(h+1, 2) boxes. */
  g_assert_cmpuint (n, ==,
                    (guint64) width * (width + 1) / 2 * height * (height + 1) /
                        2);
}

static void
test_round_trip_every_box (void)
{
  /* 13 / 23 * 23 is 12.999999999999998: plain truncation fails here. */
  ViBBox     tricky = { 13.0 / 23, 0.0, 1.0, 1.0 };
  ViPixelBox px;

  g_assert_cmpint ((int) (tricky.x_min * 23), ==, 12);
  vi_bbox_to_pixels (&tricky, 23, 23, &px);
  g_assert_cmpint (px.x_min, ==, 13);

  check_every_box (37, 23);
}

/* Every single coordinate, for several sizes: faster than every box and
 * covering all integers of large frames. */
static void
check_every_coordinate (int width, int height)
{
  int i;

  for (i = 0; i <= MAX (width, height); i++) {
    ViPixelBox in = { MIN (i, width), MIN (i, height), MIN (i, width),
                      MIN (i, height) };
    ViPixelBox out;
    ViBBox     norm;

    vi_bbox_from_pixels (&in, width, height, &norm);
    vi_bbox_to_pixels (&norm, width, height, &out);
    g_assert_cmpint (out.x_min, ==, in.x_min);
    g_assert_cmpint (out.y_min, ==, in.y_min);
    g_assert_cmpint (out.x_max, ==, in.x_max);
    g_assert_cmpint (out.y_max, ==, in.y_max);
  }
}

static void
test_round_trip_spot_checks (void)
{
  static const int sizes[][2] = {
    { 1920, 1080 }, { 640, 480 },      { 1, 1 },       { 3, 7 },
    { 37, 23 },     { 49, 98 },        { 4096, 2160 }, { 7680, 4320 },
    { 1279, 719 },  { 100003, 99991 },
  };
  static const int boxes_1080p[][4] = {
    { 0, 0, 1920, 1080 },       { 192, 216, 960, 756 }, { 1, 1, 2, 2 },
    { 1919, 1079, 1920, 1080 }, { 333, 111, 777, 999 }, { 7, 13, 1013, 1077 },
  };
  static const int boxes_480p[][4] = {
    { 0, 0, 640, 480 },     { 1, 2, 3, 4 },       { 213, 107, 427, 373 },
    { 639, 479, 640, 480 }, { 37, 41, 601, 443 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_every_coordinate (sizes[i][0], sizes[i][1]);

  for (i = 0; i < G_N_ELEMENTS (boxes_1080p); i++) {
    ViPixelBox in = { boxes_1080p[i][0], boxes_1080p[i][1], boxes_1080p[i][2],
                      boxes_1080p[i][3] };
    ViPixelBox out;
    ViBBox     norm;

    vi_bbox_from_pixels (&in, 1920, 1080, &norm);
    vi_bbox_to_pixels (&norm, 1920, 1080, &out);
    assert_pixels (&out, in.x_min, in.y_min, in.x_max, in.y_max);
  }

  for (i = 0; i < G_N_ELEMENTS (boxes_480p); i++) {
    ViPixelBox in = { boxes_480p[i][0], boxes_480p[i][1], boxes_480p[i][2],
                      boxes_480p[i][3] };
    ViPixelBox out;
    ViBBox     norm;

    vi_bbox_from_pixels (&in, 640, 480, &norm);
    vi_bbox_to_pixels (&norm, 640, 480, &out);
    assert_pixels (&out, in.x_min, in.y_min, in.x_max, in.y_max);
  }
}

static void
test_to_pixels_extremes (void)
{
  ViBBox     huge = { NAN, -INFINITY, INFINITY, 1e300 };
  ViPixelBox px;

  vi_bbox_to_pixels (&huge, 1920, 1080, &px);
  assert_pixels (&px, 0, G_MININT, G_MAXINT, G_MAXINT);
}

static void
test_bound (void)
{
  ViBBox       bbox = { 0.1, 0.2, 0.5, 0.7 };
  double       bound[8];
  ViBBox       back = { 0, 0, 0, 0 };
  const double expected[8] = { 0.1, 0.2, 0.5, 0.2, 0.5, 0.7, 0.1, 0.7 };
  /* Corners in any order, and more than four points. */
  const double points[10] = { 0.5, 0.7, 0.3, 0.4, 0.1, 0.2, 0.5, 0.2, 0.1, 0.7 };
  const double corners[4] = { 0.5, 0.7, 0.1, 0.2 };
  const double bad[4] = { 0.1, NAN, 0.5, 0.5 };
  guint        i;

  vi_bbox_to_bound (&bbox, bound);
  for (i = 0; i < 8; i++)
    g_assert_cmpfloat (bound[i], ==, expected[i]);

  g_assert_true (vi_bbox_from_bound (bound, 4, &back));
  g_assert_cmpfloat (back.x_min, ==, 0.1);
  g_assert_cmpfloat (back.y_min, ==, 0.2);
  g_assert_cmpfloat (back.x_max, ==, 0.5);
  g_assert_cmpfloat (back.y_max, ==, 0.7);

  memset (&back, 0, sizeof back);
  g_assert_true (vi_bbox_from_bound (points, 5, &back));
  g_assert_cmpfloat (back.x_min, ==, 0.1);
  g_assert_cmpfloat (back.y_min, ==, 0.2);
  g_assert_cmpfloat (back.x_max, ==, 0.5);
  g_assert_cmpfloat (back.y_max, ==, 0.7);

  /* Two opposite corners are enough. */
  g_assert_true (vi_bbox_from_bound (corners, 2, &back));
  g_assert_cmpfloat (back.x_min, ==, 0.1);
  g_assert_cmpfloat (back.y_min, ==, 0.2);
  g_assert_cmpfloat (back.x_max, ==, 0.5);
  g_assert_cmpfloat (back.y_max, ==, 0.7);

  /* One point: a degenerate box, which is not valid. */
  g_assert_true (vi_bbox_from_bound (expected, 1, &back));
  g_assert_false (vi_bbox_is_valid (&back));

  /* No points, or a non-finite one: FALSE and the output untouched. */
  back.x_min = 42;
  g_assert_false (vi_bbox_from_bound (points, 0, &back));
  g_assert_false (vi_bbox_from_bound (NULL, 0, &back));
  g_assert_false (vi_bbox_from_bound (bad, 2, &back));
  g_assert_cmpfloat (back.x_min, ==, 42);
}

static void
test_is_valid (void)
{
  const ViBBox good[] = {
    { 0.1, 0.2, 0.5, 0.7 },
    { 0, 0, 1, 1 },
    { 0.5, 0.5, 0.5000001, 0.6 },
  };
  const ViBBox bad[] = {
    { 0.5, 0.2, 0.5, 0.7 }, /* x_min == x_max */
    { 0.6, 0.2, 0.5, 0.7 }, /* x_min > x_max */
    { 0.1, 0.7, 0.5, 0.7 }, /* y_min == y_max */
    { 0.1, 0.8, 0.5, 0.7 },       { -0.1, 0.2, 0.5, 0.7 },
    { 0.1, 0.2, 1.5, 0.7 },       { 0.1, 0.2, 0.5, 1.0000001 },
    { NAN, 0.2, 0.5, 0.7 },       { 0.1, 0.2, INFINITY, 0.7 },
    { 0.1, -INFINITY, 0.5, 0.7 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (vi_bbox_is_valid (&good[i]));
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_test_message ("bad box %u", i);
    g_assert_false (vi_bbox_is_valid (&bad[i]));
  }
}

static void
test_clamp (void)
{
  ViBBox a = { -0.5, 0.2, 1.5, 0.7 };
  ViBBox b = { NAN, -INFINITY, INFINITY, 0.25 };
  ViBBox c = { 0.1, 0.2, 0.5, 0.7 };
  ViBBox d = { 0.9, 1.2, 0.2, 1.5 };

  vi_bbox_clamp (&a);
  g_assert_cmpfloat (a.x_min, ==, 0.0);
  g_assert_cmpfloat (a.y_min, ==, 0.2);
  g_assert_cmpfloat (a.x_max, ==, 1.0);
  g_assert_cmpfloat (a.y_max, ==, 0.7);
  g_assert_true (vi_bbox_is_valid (&a));

  vi_bbox_clamp (&b);
  g_assert_cmpfloat (b.x_min, ==, 0.0);
  g_assert_cmpfloat (b.y_min, ==, 0.0);
  g_assert_cmpfloat (b.x_max, ==, 1.0);
  g_assert_cmpfloat (b.y_max, ==, 0.25);
  g_assert_true (vi_bbox_is_valid (&b));

  /* A valid box is unchanged. */
  vi_bbox_clamp (&c);
  g_assert_cmpfloat (c.x_min, ==, 0.1);
  g_assert_cmpfloat (c.y_min, ==, 0.2);
  g_assert_cmpfloat (c.x_max, ==, 0.5);
  g_assert_cmpfloat (c.y_max, ==, 0.7);

  /* Clamping does not reorder edges: still invalid. */
  vi_bbox_clamp (&d);
  g_assert_cmpfloat (d.y_min, ==, 1.0);
  g_assert_cmpfloat (d.y_max, ==, 1.0);
  g_assert_false (vi_bbox_is_valid (&d));
}

static void
test_boxed (void)
{
  ViBBox     bbox = { 0.1, 0.2, 0.5, 0.7 };
  ViPixelBox px = { 1, 2, 3, 4 };
  g_autoptr (ViBBox) bcopy = NULL;
  g_autoptr (ViPixelBox) pcopy = NULL;
  ViBBox *boxed;

  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_BBOX));
  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_PIXEL_BOX));
  g_assert_cmpstr (g_type_name (VI_TYPE_BBOX), ==, "ViBBox");
  g_assert_cmpstr (g_type_name (VI_TYPE_PIXEL_BOX), ==, "ViPixelBox");

  bcopy = vi_bbox_copy (&bbox);
  g_assert_true (memcmp (bcopy, &bbox, sizeof bbox) == 0);
  pcopy = vi_pixel_box_copy (&px);
  g_assert_true (memcmp (pcopy, &px, sizeof px) == 0);

  boxed = g_boxed_copy (VI_TYPE_BBOX, &bbox);
  g_assert_cmpfloat (boxed->y_max, ==, 0.7);
  g_boxed_free (VI_TYPE_BBOX, boxed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/geometry/reference-example", test_reference_example);
  g_test_add_func ("/geometry/truncation", test_truncation);
  g_test_add_func ("/geometry/round-trip/every-box-37x23",
                   test_round_trip_every_box);
  g_test_add_func ("/geometry/round-trip/spot-checks",
                   test_round_trip_spot_checks);
  g_test_add_func ("/geometry/to-pixels-extremes", test_to_pixels_extremes);
  g_test_add_func ("/geometry/bound", test_bound);
  g_test_add_func ("/geometry/is-valid", test_is_valid);
  g_test_add_func ("/geometry/clamp", test_clamp);
  g_test_add_func ("/geometry/boxed", test_boxed);

  return g_test_run ();
}
