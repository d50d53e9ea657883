/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_GEOMETRY_H__
#define __VI_GEOMETRY_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib-object.h>
#include <vi/vi-version.h>

G_BEGIN_DECLS

/**
 * ViBBox:
 * @x_min: left edge, 0 = left of the image, 1 = right
 * @y_min: top edge, 0 = top, 1 = bottom
 * @x_max: right edge
 * @y_max: bottom edge
 *
 * A box in normalized coordinates, as the reference's `bbox`
 * `[x_min, y_min, x_max, y_max]`.
 */
typedef struct {
  double x_min;
  double y_min;
  double x_max;
  double y_max;
} ViBBox;

/**
 * ViPixelBox:
 * @x_min: left edge in pixels
 * @y_min: top edge in pixels
 * @x_max: right edge in pixels (exclusive, as the reference's to_pixels)
 * @y_max: bottom edge in pixels
 *
 * A box in pixels of a frame of a given size.
 */
typedef struct {
  int x_min;
  int y_min;
  int x_max;
  int y_max;
} ViPixelBox;

#define VI_TYPE_BBOX (vi_bbox_get_type ())
#define VI_TYPE_PIXEL_BOX (vi_pixel_box_get_type ())

VI_AVAILABLE_IN_ALL
GType vi_bbox_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViBBox *vi_bbox_copy (const ViBBox *bbox);
VI_AVAILABLE_IN_ALL
void vi_bbox_free (ViBBox *bbox);
VI_AVAILABLE_IN_ALL
GType vi_pixel_box_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViPixelBox *vi_pixel_box_copy (const ViPixelBox *box);
VI_AVAILABLE_IN_ALL
void vi_pixel_box_free (ViPixelBox *box);

VI_AVAILABLE_IN_ALL
gboolean vi_bbox_is_valid (const ViBBox *bbox);
VI_AVAILABLE_IN_ALL
void vi_bbox_clamp (ViBBox *bbox);
VI_AVAILABLE_IN_ALL
void vi_bbox_to_pixels (const ViBBox *bbox,
                        int           width,
                        int           height,
                        ViPixelBox   *out);
VI_AVAILABLE_IN_ALL
void vi_bbox_from_pixels (const ViPixelBox *box,
                          int               width,
                          int               height,
                          ViBBox           *out);
VI_AVAILABLE_IN_ALL
void vi_bbox_to_bound (const ViBBox *bbox, double bound[8]);
VI_AVAILABLE_IN_ALL
gboolean vi_bbox_from_bound (const double *points, gsize n_points, ViBBox *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViBBox, vi_bbox_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViPixelBox, vi_pixel_box_free)

G_END_DECLS

#endif /* __VI_GEOMETRY_H__ */
