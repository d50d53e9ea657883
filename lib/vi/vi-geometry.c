/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libvi — normalized boxes, pixel boxes and corner lists.
 */
#include "config.h"

#include <math.h>

#include "vi-geometry.h"

/**
 * SECTION:vi-geometry
 *
 * Boxes are normalized to [0, 1] on the wire (`bbox` is `[x_min, y_min,
 * x_max, y_max]`, `bound` lists the four corners).  These helpers convert
 * them to and from pixels of a frame of a given size, as the reference's
 * `to_pixels` and `from_pixels` do, with one guarantee the reference lacks:
 * pixels → normalized → pixels gives back the same integers.
 */

G_DEFINE_BOXED_TYPE (ViBBox, vi_bbox, vi_bbox_copy, vi_bbox_free)
G_DEFINE_BOXED_TYPE (ViPixelBox,
                     vi_pixel_box,
                     vi_pixel_box_copy,
                     vi_pixel_box_free)

/**
 * vi_bbox_copy:
 * @bbox: a #ViBBox
 *
 * Returns: (transfer full): a newly allocated copy of @bbox
 */
ViBBox *
vi_bbox_copy (const ViBBox *bbox)
{
  g_return_val_if_fail (bbox != NULL, NULL);

  return g_memdup2 (bbox, sizeof (ViBBox));
}

/**
 * vi_bbox_free:
 * @bbox: (transfer full): a #ViBBox from vi_bbox_copy()
 *
 * Frees @bbox.
 */
void
vi_bbox_free (ViBBox *bbox)
{
  g_free (bbox);
}

/**
 * vi_pixel_box_copy:
 * @box: a #ViPixelBox
 *
 * Returns: (transfer full): a newly allocated copy of @box
 */
ViPixelBox *
vi_pixel_box_copy (const ViPixelBox *box)
{
  g_return_val_if_fail (box != NULL, NULL);

  return g_memdup2 (box, sizeof (ViPixelBox));
}

/**
 * vi_pixel_box_free:
 * @box: (transfer full): a #ViPixelBox from vi_pixel_box_copy()
 *
 * Frees @box.
 */
void
vi_pixel_box_free (ViPixelBox *box)
{
  g_free (box);
}

/**
 * vi_bbox_is_valid:
 * @bbox: a #ViBBox
 *
 * Whether @bbox is a box the service accepts: every coordinate a finite
 * number in [0, 1], `x_min < x_max` and `y_min < y_max`.
 *
 * Returns: %TRUE if @bbox is valid
 */
gboolean
vi_bbox_is_valid (const ViBBox *bbox)
{
  double v[4];
  guint  i;

  g_return_val_if_fail (bbox != NULL, FALSE);

  v[0] = bbox->x_min;
  v[1] = bbox->y_min;
  v[2] = bbox->x_max;
  v[3] = bbox->y_max;
  for (i = 0; i < G_N_ELEMENTS (v); i++)
    /* Written so that NaN fails too. */
    if (!(isfinite (v[i]) && v[i] >= 0.0 && v[i] <= 1.0))
      return FALSE;

  return bbox->x_min < bbox->x_max && bbox->y_min < bbox->y_max;
}

static double
clamp_unit (double v)
{
  if (isnan (v) || v < 0.0)
    return 0.0;
  if (v > 1.0)
    return 1.0;
  return v;
}

/**
 * vi_bbox_clamp:
 * @bbox: a #ViBBox
 *
 * Clamps each coordinate of @bbox into [0, 1] (NaN becomes 0).  The order of
 * the edges is not changed: a box with `x_min >= x_max` stays invalid.
 */
void
vi_bbox_clamp (ViBBox *bbox)
{
  g_return_if_fail (bbox != NULL);

  bbox->x_min = clamp_unit (bbox->x_min);
  bbox->y_min = clamp_unit (bbox->y_min);
  bbox->x_max = clamp_unit (bbox->x_max);
  bbox->y_max = clamp_unit (bbox->y_max);
}

/* One coordinate to pixels.
 *
 * The reference computes int(v * size): the product is rounded to a double
 * and then truncated toward zero.  That alone does not give back the pixel
 * a normalized value came from: for p = 13 and size = 23, v = 13.0 / 23 is
 * rounded down a little, and v * 23 is 12.999999999999998, so int() gives
 * 12.
 *
 * A fixed epsilon added before flooring would fix that case but move every
 * value within epsilon below an integer, and no epsilon suits all sizes.
 * Instead the result is the reference's, except when @v is exactly the
 * double vi_bbox_from_pixels() makes for the next integer k (k / size
 * rounded to nearest): then it is k.  The product k / size * size is within
 * one ulp of k, so the truncated value can only be k or the integer just
 * below (toward zero); checking that one neighbour is enough, and the
 * check is an exact equality of doubles, so no value that does not stand
 * for k is moved.  Thus every integer p with |p| < 2^31 round-trips, for
 * any size, and all other values are mapped as the reference maps them.
 *
 * Results beyond the range of int are saturated, NaN gives 0. */
static int
to_pixel (double v, int size)
{
  double x, t, next;

  if (isnan (v))
    return 0;

  x = v * size;
  t = trunc (x);
  next = x >= 0 ? t + 1 : t - 1;
  if (next / size == v)
    t = next;

  if (t >= (double) G_MAXINT)
    return G_MAXINT;
  if (t <= (double) G_MININT)
    return G_MININT;
  return (int) t;
}

/**
 * vi_bbox_to_pixels:
 * @bbox: a normalized box
 * @width: the frame width in pixels, positive
 * @height: the frame height in pixels, positive
 * @out: (out caller-allocates): the box in pixels
 *
 * Converts @bbox to pixels as the reference's `to_pixels`:
 * `int (x_min * width)` and so on, truncating.  `[0.1, 0.2, 0.5, 0.7]` at
 * 1920×1080 is `[192, 216, 960, 756]`.
 *
 * Unlike the reference, a value that vi_bbox_from_pixels() made from an
 * integer always gives that integer back, whatever the frame size (plain
 * truncation gives 12 for 13 / 23 at a width of 23): the round trip
 * pixels → normalized → pixels is the identity.
 */
void
vi_bbox_to_pixels (const ViBBox *bbox, int width, int height, ViPixelBox *out)
{
  g_return_if_fail (bbox != NULL);
  g_return_if_fail (out != NULL);
  g_return_if_fail (width > 0 && height > 0);

  out->x_min = to_pixel (bbox->x_min, width);
  out->y_min = to_pixel (bbox->y_min, height);
  out->x_max = to_pixel (bbox->x_max, width);
  out->y_max = to_pixel (bbox->y_max, height);
}

/**
 * vi_bbox_from_pixels:
 * @box: a box in pixels
 * @width: the frame width in pixels, positive
 * @height: the frame height in pixels, positive
 * @out: (out caller-allocates): the normalized box
 *
 * Converts @box to normalized coordinates as the reference's
 * `from_pixels`: `x_min / width` and so on.  No clamping is done.
 */
void
vi_bbox_from_pixels (const ViPixelBox *box, int width, int height, ViBBox *out)
{
  g_return_if_fail (box != NULL);
  g_return_if_fail (out != NULL);
  g_return_if_fail (width > 0 && height > 0);

  out->x_min = (double) box->x_min / width;
  out->y_min = (double) box->y_min / height;
  out->x_max = (double) box->x_max / width;
  out->y_max = (double) box->y_max / height;
}

/**
 * vi_bbox_to_bound:
 * @bbox: a #ViBBox
 * @bound: (out caller-allocates) (array fixed-size=8): the corners
 *
 * Writes the four corners of @bbox, as the annotation resource's `bound`
 * `[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]` (top-left, top-right,
 * bottom-right, bottom-left), flattened: `x1, y1, x2, y1, x2, y2, x1, y2`.
 */
void
vi_bbox_to_bound (const ViBBox *bbox, double bound[8])
{
  g_return_if_fail (bbox != NULL);
  g_return_if_fail (bound != NULL);

  bound[0] = bbox->x_min;
  bound[1] = bbox->y_min;
  bound[2] = bbox->x_max;
  bound[3] = bbox->y_min;
  bound[4] = bbox->x_max;
  bound[5] = bbox->y_max;
  bound[6] = bbox->x_min;
  bound[7] = bbox->y_max;
}

/**
 * vi_bbox_from_bound: (skip)
 * @points: the points, `x, y` pairs flattened, so `2 * n_points` doubles
 * @n_points: the number of points
 * @out: (out caller-allocates): the box around the points
 *
 * Computes the smallest box holding every point: the minimum and maximum
 * of the x and of the y coordinates.  With the four corners of a box this
 * gives the box back.  The result is not checked with vi_bbox_is_valid().
 *
 * Not available to language bindings, which cannot express that @points
 * holds twice @n_points numbers.
 *
 * Returns: %FALSE (and @out untouched) if there are no points or one is
 * not finite
 */
gboolean
vi_bbox_from_bound (const double *points, gsize n_points, ViBBox *out)
{
  ViBBox box;
  gsize  i;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (points != NULL || n_points == 0, FALSE);

  if (n_points == 0)
    return FALSE;

  box.x_min = box.x_max = points[0];
  box.y_min = box.y_max = points[1];
  for (i = 0; i < n_points; i++) {
    double x = points[2 * i], y = points[2 * i + 1];

    if (!isfinite (x) || !isfinite (y))
      return FALSE;
    box.x_min = MIN (box.x_min, x);
    box.x_max = MAX (box.x_max, x);
    box.y_min = MIN (box.y_min, y);
    box.y_max = MAX (box.y_max, y);
  }

  *out = box;
  return TRUE;
}
