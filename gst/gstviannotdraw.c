/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */

/* The layout and drawing of what viannotoverlay shows: colours, Pango
 * layouts of plain text, the caption band with each phrase's words in its
 * colour, the VQA panel, box outlines and label tabs, and the overlay
 * composition made of them.  The element decides when to draw and what
 * to do with the result (gstviannotoverlay.c). */

#include "config.h"

#include <string.h>

#include "gstviannotblend.h"
#include "gstviannotdraw.h"

/* Label texts kept rendered across compositions (moving boxes of a
 * detector keep their labels); cleared when it grows past this. */
#define MAX_LABEL_CACHE 512
/* Bytes of one text given to Pango, at most; captions and VQA pairs drawn,
 * at most (the panels hold a few lines anyway). */
#define MAX_TEXT 4096
#define MAX_PARAGRAPHS 64
/* The caption band and the VQA panel: translucent black. */
#define PANEL_COLOR 0x99000000
#define TEXT_COLOR 0xFFFFFFFF

/* @text as Pango takes it: valid UTF-8, invalid bytes as U+FFFD, at most
 * MAX_TEXT bytes (then cut at a character and ended with an ellipsis):
 * what is drawn is at most a few lines, and laying out megabytes of
 * untrusted text on the streaming thread would stall the video. */
static gchar *
text_make_valid (const gchar * text)
{
  gchar *valid, *end;

  if (text == NULL)
    return g_strdup ("");
  if (g_utf8_validate (text, -1, NULL))
    valid = g_strdup (text);
  else
    valid = g_utf8_make_valid (text, -1);
  if (strlen (valid) <= MAX_TEXT)
    return valid;

  end = g_utf8_find_prev_char (valid, valid + MAX_TEXT + 1);
  *end = '\0';
  end = g_strconcat (valid, "…", NULL);
  g_free (valid);
  return end;
}

/* Cairo draws premultiplied ARGB; rectangles are handed out straight
 * (not premultiplied): converted to AYUV for blending into YUV frames,
 * premultiplied pixels would have their chroma scaled around 0 instead of
 * the middle of its range (1.22 converts the format, then the alpha). */
static void
unpremultiply (guint32 * p, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    guint a = p[i] >> 24;
    guint r, g, b;

    if (a == 0 || a == 255)
      continue;
    r = (((p[i] >> 16) & 0xff) * 255 + a / 2) / a;
    g = (((p[i] >> 8) & 0xff) * 255 + a / 2) / a;
    b = ((p[i] & 0xff) * 255 + a / 2) / a;
    p[i] = (a << 24) | (MIN (r, 255) << 16) | (MIN (g, 255) << 8) |
        MIN (b, 255);
  }
}

/* Pixels for a rectangle.  Cairo's ARGB32 is a native-endian 32-bit ARGB
 * word: GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB in memory. */
static GstBuffer *
new_pixels (gint width, gint height)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) width * height * 4,
      NULL);
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
  gint stride[GST_VIDEO_MAX_PLANES] = { width * 4, };

  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, width, height, 1, offset,
      stride);
  return buf;
}

static GstVideoOverlayRectangle *
solid_rectangle (gint x, gint y, gint width, gint height, guint32 argb)
{
  GstVideoOverlayRectangle *rect;
  GstBuffer *buf = new_pixels (width, height);
  guint32 *p;
  GstMapInfo map;
  gsize i, n = (gsize) width * height;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  p = (guint32 *) map.data;
  for (i = 0; i < n; i++)
    p[i] = argb;
  gst_buffer_unmap (buf, &map);

  rect = gst_video_overlay_rectangle_new_raw (buf, x, y, width, height,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  if ((argb >> 24) == 0xff)
    gst_vi_annot_blend_mark_opaque (rect, TRUE);
  return rect;
}

static void
set_source_argb (cairo_t * cr, guint32 argb)
{
  cairo_set_source_rgba (cr, ((argb >> 16) & 0xff) / 255.0,
      ((argb >> 8) & 0xff) / 255.0, (argb & 0xff) / 255.0,
      (argb >> 24) / 255.0);
}

/* Pixel size of the labels for a frame @height pixels high; the caption
 * and VQA panel use 5/4 of it. */
static gint
label_font_px (GstViAnnotDraw * draw, gint height)
{
  PangoFontDescription *desc =
      pango_font_description_from_string (draw->style.font_desc);
  gint px;

  if (pango_font_description_get_set_fields (desc) & PANGO_FONT_MASK_SIZE)
    px = pango_font_description_get_size (desc) / PANGO_SCALE;
  else
    px = MAX (10, height / 48);
  pango_font_description_free (desc);

  return CLAMP (px, 4, MAX (4, height / 4));
}

static gint
box_line_width (GstViAnnotDraw * draw, gint height)
{
  if (draw->style.line_width > 0)
    return draw->style.line_width;
  return MAX (2, height / 360);
}

/* Lays @text out (plain text, never markup; @attrs may colour parts of it)
 * and draws it on a @bg rectangle with @pad pixels around.  Labels
 * (!@wrap) are one line, ellipsized at @max_width; paragraphs wrap within
 * @max_width and are ellipsized past @max_height.  The rectangle is as
 * wide as the longest line.  @rtl (optional) tells if the first line is
 * right to left.  Returns pixels with a GstVideoMeta giving their size. */
static GstBuffer *
gst_vi_annot_draw_render_text (GstViAnnotDraw * draw,
    const gchar * text, PangoAttrList * attrs, gint font_px, gboolean wrap,
    gint max_width, gint max_height, guint32 bg, guint32 fg, gboolean * rtl)
{
  PangoLayout *layout;
  PangoFontDescription *desc;
  PangoRectangle logical;
  cairo_surface_t *surface;
  cairo_t *cr;
  GstBuffer *buf;
  GstMapInfo map;
  gint pad = MAX (2, font_px / 4);
  gint text_w, width, height, x;

  max_width = MAX (max_width, 1);
  max_height = MAX (max_height, 1);
  text_w = MAX (1, max_width - 2 * pad);

  layout = pango_layout_new (draw->pango_context);
  desc = pango_font_description_from_string (draw->style.font_desc);
  pango_font_description_set_absolute_size (desc, font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text, -1);
  if (attrs != NULL)
    pango_layout_set_attributes (layout, attrs);

  if (wrap) {
    pango_layout_set_width (layout, text_w * PANGO_SCALE);
    pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_height (layout,
        MAX (1, max_height - 2 * pad) * PANGO_SCALE);
  } else {
    pango_layout_set_single_paragraph_mode (layout, TRUE);
    pango_layout_get_pixel_extents (layout, NULL, &logical);
    if (logical.width > text_w) {
      pango_layout_set_width (layout, text_w * PANGO_SCALE);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  }
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  if (rtl != NULL)
    *rtl = pango_layout_get_direction (layout, 0) == PANGO_DIRECTION_RTL;

  /* lines of right-to-left paragraphs are aligned right in the layout's
   * width: logical.x moves them back into the rectangle */
  width = CLAMP (logical.width + 2 * pad, 1, max_width);
  height = CLAMP (logical.height + 2 * pad, 1, max_height);
  x = pad - logical.x;

  buf = new_pixels (width, height);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  surface = cairo_image_surface_create_for_data (map.data,
      CAIRO_FORMAT_ARGB32, width, height, width * 4);
  cr = cairo_create (surface);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  set_source_argb (cr, bg);
  cairo_paint (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  cairo_move_to (cr, x, pad - logical.y);
  set_source_argb (cr, fg);
  pango_cairo_show_layout (cr, layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  unpremultiply ((guint32 *) map.data, (gsize) width * height);
  gst_buffer_unmap (buf, &map);
  g_object_unref (layout);

  GST_OBJECT_LOCK (draw->owner);
  draw->n_text_renders++;
  GST_OBJECT_UNLOCK (draw->owner);

  return buf;
}

static guint32
label_text_color (guint32 bg)
{
  guint r = (bg >> 16) & 0xff, g = (bg >> 8) & 0xff, b = bg & 0xff;

  return (299 * r + 587 * g + 114 * b) / 1000 > 140 ? 0xFF000000 : TEXT_COLOR;
}

/* The rendered label @text in @color, from the cache or rendered now. */
static GstBuffer *
gst_vi_annot_draw_label_pixels (GstViAnnotDraw * draw,
    const gchar * text, guint32 color, gint font_px, gint max_width)
{
  gchar *key = g_strdup_printf ("%08x:%d:%d:%s", color, font_px, max_width,
      text);
  GstBuffer *buf = g_hash_table_lookup (draw->label_cache, key);

  if (buf != NULL) {
    g_free (key);
    return gst_buffer_ref (buf);
  }

  buf = gst_vi_annot_draw_render_text (draw, text, NULL, font_px, FALSE,
      max_width, G_MAXINT, color, label_text_color (color), NULL);
  if (g_hash_table_size (draw->label_cache) >= MAX_LABEL_CACHE)
    g_hash_table_remove_all (draw->label_cache);
  g_hash_table_insert (draw->label_cache, key, gst_buffer_ref (buf));

  return buf;
}

/* A label tab above the top left corner of the box, inside it when there
 * is no room above; always inside the frame. */
static GstVideoOverlayRectangle *
gst_vi_annot_draw_label_rectangle (GstViAnnotDraw * draw,
    const gchar * text, guint32 color, gint x0, gint y0, gint width,
    gint height)
{
  GstVideoOverlayRectangle *rect;
  GstVideoMeta *vmeta;
  GstBuffer *buf;
  gchar *valid;
  gint w, h, x, y;

  if (text == NULL || *text == '\0')
    return NULL;

  valid = text_make_valid (text);
  buf = gst_vi_annot_draw_label_pixels (draw, valid,
      color | 0xFF000000, draw->label_px, MAX (16, width / 2));
  g_free (valid);

  vmeta = gst_buffer_get_video_meta (buf);
  w = MIN ((gint) vmeta->width, width);
  h = MIN ((gint) vmeta->height, height);
  x = CLAMP (x0, 0, width - w);
  y = y0 - h >= 0 ? y0 - h : y0;
  y = CLAMP (y, 0, height - h);

  rect = gst_video_overlay_rectangle_new_raw (buf, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  /* the tab is painted in the (opaque) colour before the text */
  gst_vi_annot_blend_mark_opaque (rect, FALSE);
  return rect;
}

/* Four thin rectangles, the outline drawn inside [x0, x1) x [y0, y1). */
static void
add_box_outline (GPtrArray * rects, gint x0, gint y0, gint x1, gint y1,
    gint line_width, guint32 color)
{
  gint w = x1 - x0, h = y1 - y0;
  gint lw = MIN (line_width, MIN ((w + 1) / 2, (h + 1) / 2));

  if (w <= 0 || h <= 0 || lw <= 0)
    return;
  g_ptr_array_add (rects, solid_rectangle (x0, y0, w, lw, color));
  if (h > lw)
    g_ptr_array_add (rects, solid_rectangle (x0, y1 - lw, w, lw, color));
  if (h > 2 * lw) {
    g_ptr_array_add (rects, solid_rectangle (x0, y0 + lw, lw, h - 2 * lw,
            color));
    if (w > lw)
      g_ptr_array_add (rects, solid_rectangle (x1 - lw, y0 + lw, lw,
              h - 2 * lw, color));
  }
}

static guint32
phrase_color (GstViAnnotDraw * draw, guint index)
{
  return draw->style.palette[index % draw->style.n_palette];
}

/* ROI metas have no index in a set: one colour per label. */
static guint32
label_color (GstViAnnotDraw * draw, const gchar * label)
{
  return draw->style.palette[g_str_hash (label) % draw->style.n_palette];
}

static void
add_foreground (PangoAttrList * attrs, guint32 argb, guint start, guint end)
{
  guint r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;
  PangoAttribute *a = pango_attr_foreground_new (r * 257, g * 257, b * 257);

  a->start_index = start;
  a->end_index = end;
  pango_attr_list_insert (attrs, a);
}

/* The captions, one paragraph each, on a band at the bottom of the frame,
 * as wide as the text (the frame when it wraps); the characters [start, end) of each phrase's span in its colour
 * (converted to byte offsets of the repaired text, clamped to it). */
static GstVideoOverlayRectangle *
gst_vi_annot_draw_caption_rectangle (GstViAnnotDraw * draw,
    GstViAnnotMeta * meta, gint width, gint height)
{
  guint n_captions = MIN (gst_vi_annot_meta_get_n_captions (meta),
      MAX_PARAGRAPHS);
  guint n_phrases = gst_vi_annot_meta_get_n_phrases (meta);
  GstVideoOverlayRectangle *rect;
  GString *text;
  PangoAttrList *attrs;
  GstVideoMeta *vmeta;
  GstBuffer *buf;
  gsize *offsets;
  glong *lengths;
  gboolean rtl;
  guint c, i;

  if (n_captions == 0)
    return NULL;

  text = g_string_new (NULL);
  offsets = g_new0 (gsize, n_captions);
  lengths = g_new0 (glong, n_captions);
  for (c = 0; c < n_captions; c++) {
    gchar *valid = text_make_valid (gst_vi_annot_meta_get_caption (meta, c));

    if (c > 0)
      g_string_append_c (text, '\n');
    offsets[c] = text->len;
    lengths[c] = g_utf8_strlen (valid, -1);
    g_string_append (text, valid);
    g_free (valid);
  }

  attrs = pango_attr_list_new ();
  for (i = 0; i < n_phrases && i < GST_VI_ANNOT_DRAW_MAX_BOXES; i++) {
    guint cap = gst_vi_annot_meta_get_phrase_caption (meta, i);
    const gchar *caption;
    int start, end;

    if (cap >= n_captions ||
        !gst_vi_annot_meta_get_phrase_span (meta, i, &start, &end))
      continue;
    start = CLAMP (start, 0, lengths[cap]);
    end = CLAMP (end, start, lengths[cap]);
    if (start == end)
      continue;
    caption = text->str + offsets[cap];
    add_foreground (attrs, phrase_color (draw, i),
        g_utf8_offset_to_pointer (caption, start) - text->str,
        g_utf8_offset_to_pointer (caption, end) - text->str);
  }

  buf = gst_vi_annot_draw_render_text (draw, text->str, attrs,
      draw->label_px * 5 / 4, TRUE, width,
      MAX (1, height / 3), PANEL_COLOR, TEXT_COLOR, &rtl);
  pango_attr_list_unref (attrs);
  g_string_free (text, TRUE);
  g_free (offsets);
  g_free (lengths);

  /* bottom left, bottom right for a right-to-left caption */
  vmeta = gst_buffer_get_video_meta (buf);
  rect = gst_video_overlay_rectangle_new_raw (buf,
      rtl ? width - (gint) vmeta->width : 0, height - (gint) vmeta->height,
      vmeta->width, vmeta->height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  return rect;
}

/* "Q: question" / "A: answer" lines on a panel at the top left. */
static GstVideoOverlayRectangle *
gst_vi_annot_draw_vqa_rectangle (GstViAnnotDraw * draw,
    GstViAnnotMeta * meta, gint width, gint height)
{
  guint n = MIN (gst_vi_annot_meta_get_n_interactions (meta),
      MAX_PARAGRAPHS);
  GstVideoOverlayRectangle *rect;
  PangoAttrList *attrs;
  GstVideoMeta *vmeta;
  GString *text;
  GstBuffer *buf;
  guint i;

  if (n == 0)
    return NULL;

  text = g_string_new (NULL);
  attrs = pango_attr_list_new ();
  for (i = 0; i < n; i++) {
    const gchar *prefix[2] = { "Q: ", "A: " };
    const gchar *part[2];
    guint k;

    part[0] = gst_vi_annot_meta_get_question (meta, i);
    part[1] = gst_vi_annot_meta_get_answer (meta, i);
    for (k = 0; k < 2; k++) {
      gchar *valid = text_make_valid (part[k]);
      PangoAttribute *a;

      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* the answers in the first palette colour, to tell them apart */
      if (k == 1)
        add_foreground (attrs, draw->style.palette[0], text->len,
            text->len + strlen (prefix[k]) + strlen (valid));
      a = pango_attr_weight_new (PANGO_WEIGHT_HEAVY);
      a->start_index = text->len;
      a->end_index = text->len + strlen (prefix[k]);
      pango_attr_list_insert (attrs, a);
      g_string_append (text, prefix[k]);
      g_string_append (text, valid);
      g_free (valid);
    }
  }

  buf = gst_vi_annot_draw_render_text (draw, text->str, attrs,
      draw->label_px * 5 / 4, TRUE, MAX (1, width * 3 / 5),
      MAX (1, height / 3), PANEL_COLOR, TEXT_COLOR, NULL);
  pango_attr_list_unref (attrs);
  g_string_free (text, TRUE);

  vmeta = gst_buffer_get_video_meta (buf);
  rect = gst_video_overlay_rectangle_new_raw (buf, 0, 0, vmeta->width,
      vmeta->height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  return rect;
}

/* The caption band and VQA panel depend only on the set, the geometry and
 * the style: kept across compositions rebuilt for changed ROI metas. */
static void
gst_vi_annot_draw_update_texts (GstViAnnotDraw * draw,
    GstViAnnotMeta * meta, gint width, gint height)
{
  GstViAnnotSet *set = meta ? gst_vi_annot_meta_get_set (meta) : NULL;

  if (draw->text_set == set && draw->text_width == width &&
      draw->text_height == height && draw->text_cookie == draw->style.cookie)
    return;

  g_clear_pointer (&draw->caption_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&draw->vqa_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&draw->text_set, gst_vi_annot_set_unref);
  if (set != NULL) {
    if (draw->style.draw_caption)
      draw->caption_rect = gst_vi_annot_draw_caption_rectangle (draw, meta,
          width, height);
    if (draw->style.draw_vqa)
      draw->vqa_rect = gst_vi_annot_draw_vqa_rectangle (draw, meta, width,
          height);
    draw->text_set = gst_vi_annot_set_ref (set);
  }
  draw->text_width = width;
  draw->text_height = height;
  draw->text_cookie = draw->style.cookie;
}

static void
clamp_box (gint * x0, gint * y0, gint * x1, gint * y1, gint width, gint height)
{
  *x0 = CLAMP (*x0, 0, width);
  *y0 = CLAMP (*y0, 0, height);
  *x1 = CLAMP (*x1, *x0, width);
  *y1 = CLAMP (*y1, *y0, height);
}

static gchar *
roi_label_text (const GstViAnnotDrawRoi * roi)
{
  gchar conf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!roi->has_confidence)
    return g_strdup (roi->label);
  g_ascii_formatd (conf, sizeof conf, "%.2f", roi->confidence);
  return g_strconcat (roi->label, *roi->label ? " " : "", conf, NULL);
}

/* Lays the overlay out for @meta (may be NULL) and @rois. */
GstVideoOverlayComposition *
gst_vi_annot_draw_build (GstViAnnotDraw * draw, GstViAnnotMeta * meta,
    GArray * rois, gint width, gint height)
{
  GstVideoOverlayComposition *composition = NULL;
  GPtrArray *rects = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_video_overlay_rectangle_unref);
  GstVideoInfo info;
  gint lw = box_line_width (draw, height);
  guint n_phrases = meta ? gst_vi_annot_meta_get_n_phrases (meta) : 0;
  guint i, pass;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRA, width, height);
  n_phrases = MIN (n_phrases, GST_VI_ANNOT_DRAW_MAX_BOXES);
  draw->label_px = label_font_px (draw, height);

  /* Boxes first, then labels over them, then the texts. */
  for (pass = 0; pass < 2; pass++) {
    if (pass == 0 && !draw->style.draw_boxes)
      continue;
    if (pass == 1 && !draw->style.draw_labels)
      continue;

    for (i = 0; i < n_phrases; i++) {
      ViPixelBox px;
      guint32 color = phrase_color (draw, i);

      gst_vi_annot_meta_get_phrase_pixels (meta, i, &info, &px);
      clamp_box (&px.x_min, &px.y_min, &px.x_max, &px.y_max, width, height);
      if (px.x_max <= px.x_min || px.y_max <= px.y_min)
        continue;
      if (pass == 0) {
        add_box_outline (rects, px.x_min, px.y_min, px.x_max, px.y_max, lw,
            color);
      } else {
        GstVideoOverlayRectangle *r = gst_vi_annot_draw_label_rectangle
            (draw, gst_vi_annot_meta_get_phrase (meta, i), color, px.x_min,
            px.y_min, width, height);
        if (r != NULL)
          g_ptr_array_add (rects, r);
      }
    }

    for (i = 0; i < rois->len; i++) {
      GstViAnnotDrawRoi *roi = &g_array_index (rois, GstViAnnotDrawRoi, i);
      guint32 color = label_color (draw, roi->label);

      if (pass == 0) {
        add_box_outline (rects, roi->x0, roi->y0, roi->x1, roi->y1, lw, color);
      } else {
        gchar *text = roi_label_text (roi);
        GstVideoOverlayRectangle *r =
            gst_vi_annot_draw_label_rectangle (draw, text, color, roi->x0,
            roi->y0, width, height);

        if (r != NULL)
          g_ptr_array_add (rects, r);
        g_free (text);
      }
    }
  }

  gst_vi_annot_draw_update_texts (draw, meta, width, height);
  if (draw->caption_rect != NULL)
    g_ptr_array_add (rects,
        gst_video_overlay_rectangle_ref (draw->caption_rect));
  if (draw->vqa_rect != NULL)
    g_ptr_array_add (rects, gst_video_overlay_rectangle_ref (draw->vqa_rect));

  for (i = 0; i < rects->len; i++) {
    if (composition == NULL)
      composition = gst_video_overlay_composition_new (rects->pdata[i]);
    else
      gst_video_overlay_composition_add_rectangle (composition,
          rects->pdata[i]);
  }
  g_ptr_array_unref (rects);

  return composition;
}

void
gst_vi_annot_draw_start (GstViAnnotDraw * draw, GstObject * owner)
{
  cairo_font_options_t *options;

  draw->owner = owner;
  /* A font map of our own: Pango objects are then only ever used by this
   * element's streaming thread. */
  draw->font_map = pango_cairo_font_map_new ();
  draw->pango_context = pango_font_map_create_context (draw->font_map);
  /* Sizes are given in pixels: 72 dpi makes a point a pixel. */
  pango_cairo_context_set_resolution (draw->pango_context, 72.0);
  /* No hinting: the same text has the same size at every position, and
   * the rendering does not depend on the machine's fontconfig settings. */
  options = cairo_font_options_create ();
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (draw->pango_context, options);
  cairo_font_options_destroy (options);

  draw->label_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) gst_buffer_unref);
}

/* Drops every text rendered; the next build lays them out again. */
void
gst_vi_annot_draw_reset (GstViAnnotDraw * draw)
{
  g_clear_pointer (&draw->caption_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&draw->vqa_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&draw->text_set, gst_vi_annot_set_unref);
  if (draw->label_cache != NULL)
    g_hash_table_remove_all (draw->label_cache);
}

void
gst_vi_annot_draw_stop (GstViAnnotDraw * draw)
{
  gst_vi_annot_draw_reset (draw);
  g_clear_pointer (&draw->label_cache, g_hash_table_unref);
  g_clear_object (&draw->pango_context);
  g_clear_object (&draw->font_map);
}

void
gst_vi_annot_draw_style_clear (GstViAnnotDrawStyle * style)
{
  g_clear_pointer (&style->font_desc, g_free);
  g_clear_pointer (&style->palette, g_free);
  style->n_palette = 0;
}
