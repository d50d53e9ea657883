/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */

/**
 * SECTION:element-viannotoverlay
 * @title: viannotoverlay
 *
 * viannotoverlay draws the annotations that frames carry: the grounded
 * phrases, caption and VQA interactions of a #GstViAnnotMeta (attached by
 * viannotsrc, or by an application), and the #GstVideoRegionOfInterestMeta
 * of any other element (a detector, for instance).
 *
 * What is drawn:
 *
 * - every box as an outline (#GstViAnnotOverlay:line-width), in the colour
 *   of its phrase: phrase n of an annotation set takes entry n of
 *   #GstViAnnotOverlay:palette (cycling), so a phrase keeps its colour on
 *   every frame of the asset; a ROI meta takes the entry chosen by a hash
 *   of its label, so every "person" of a detector has one colour;
 * - each box's label, on a tab of the box's colour just above its top left
 *   corner (inside the box when there is no room above): the phrase, or
 *   the ROI's label — the `label` of its `detection` parameter, else its
 *   roi_type — followed by its confidence when it has one;
 * - the caption(s), wrapped, at the bottom of the frame on a translucent
 *   band, the words of each phrase in the phrase's colour, so that one
 *   sees which words belong to which box;
 * - the VQA interactions, one "Q:" and one "A:" line each, on a
 *   translucent panel at the top left.
 *
 * ROI metas with a confidence below #GstViAnnotOverlay:min-confidence are
 * not drawn.  The ROI metas viannotsrc derives from the #GstViAnnotMeta of
 * the same frame are not drawn twice.
 *
 * All text is used as plain text: it is validated as UTF-8 (invalid bytes
 * become U+FFFD) and never parsed as Pango markup, so a label such as
 * `<b>&amp;` is shown as it is written.
 *
 * Drawing is cheap on live video: the overlay is laid out and rendered
 * only when the annotations change — a new annotation set (sets are
 * immutable and shared by the frames of an asset, so the set's identity
 * tells), ROI metas with a different content — or the frame size or a
 * property changes; otherwise the same #GstVideoOverlayComposition serves
 * every frame.  It is made of small rectangles only (one per box side,
 * one per label, one for the caption band, one for the VQA panel), never
 * of a canvas of the frame's size.  When downstream accepts
 * #GstVideoOverlayCompositionMeta (the caps feature
 * `meta:GstVideoOverlayComposition` and the meta in the ALLOCATION query)
 * the composition is attached to the frames and their pixels are left
 * untouched; otherwise it is blended into the frames.
 * #GstViAnnotOverlay:stats counts the frames, the compositions built, the
 * texts rendered, and the frames attached or blended.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! \
 *     viannotsrc location=annotations.jsonl asset-id=street.jpg ! \
 *     viannotoverlay ! videoconvert ! autovideosink
 * ]| The annotations of `street.jpg` from a local file, drawn on the video.
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! \
 *     viannotsrc location=annotations.jsonl ! \
 *     viannotoverlay draw-vqa=false font-desc="Serif Bold 24" line-width=4 \
 *     palette="#00FF00,#FF00FF" ! videoconvert ! vp8enc ! webmmux ! \
 *     filesink location=annotated.webm
 * ]| Boxes, labels and caption (no VQA), in two colours, to a file.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "gstviannotelements.h"
#include "gstviannotoverlay.h"
#include "gstviannotregions.h"

GST_DEBUG_CATEGORY_STATIC (gst_vi_annot_overlay_debug);
#define GST_CAT_DEFAULT gst_vi_annot_overlay_debug

#define OVERLAY_FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION

/* Blended: every format gst_video_overlay_composition_blend() handles;
 * attached: any raw format, the pixels are not touched. */
#define OVERLAY_CAPS \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES (OVERLAY_FEATURE, GST_VIDEO_FORMATS_ALL) \
    ";" GST_VIDEO_CAPS_MAKE (GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (OVERLAY_CAPS));

enum
{
  PROP_0,
  PROP_DRAW_BOXES,
  PROP_DRAW_LABELS,
  PROP_DRAW_CAPTION,
  PROP_DRAW_VQA,
  PROP_FONT_DESC,
  PROP_LINE_WIDTH,
  PROP_PALETTE,
  PROP_MIN_CONFIDENCE,
  PROP_STATS,
};

#define DEFAULT_DRAW_BOXES TRUE
#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_DRAW_CAPTION TRUE
#define DEFAULT_DRAW_VQA TRUE
#define DEFAULT_FONT_DESC "Sans Bold"
#define DEFAULT_LINE_WIDTH 0
#define DEFAULT_PALETTE \
    "#FF4B4B,#3CDC5A,#4B9BFF,#FFD23C,#FF8C28,#C864FF," \
    "#3CE6E6,#FF64C8,#A0E632,#FFA0A0,#64C8A0,#E6BE8C"
#define DEFAULT_MIN_CONFIDENCE 0.0

#define MAX_LINE_WIDTH 64
#define MAX_PALETTE 256
/* Boxes drawn per frame, at most (each of GstViAnnotMeta and ROI metas):
 * a bound on the work an untrusted annotation file can ask for. */
#define MAX_BOXES 1024
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

/* A box of a ROI meta, as the composition was built from it. */
typedef struct
{
  gint x0, y0, x1, y1;          /* clamped to the frame */
  gchar *label;                 /* owned in scene_rois only */
  gboolean has_confidence;
  gdouble confidence;
} GstViAnnotOverlayRoi;

static void gst_vi_annot_overlay_finalize (GObject * object);
static void gst_vi_annot_overlay_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_vi_annot_overlay_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);

static gboolean gst_vi_annot_overlay_start (GstBaseTransform * trans);
static gboolean gst_vi_annot_overlay_stop (GstBaseTransform * trans);
static GstCaps *gst_vi_annot_overlay_transform_caps (GstBaseTransform *
    trans, GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static gboolean gst_vi_annot_overlay_propose_allocation (GstBaseTransform *
    trans, GstQuery * decide_query, GstQuery * query);
static gboolean gst_vi_annot_overlay_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static gboolean gst_vi_annot_overlay_src_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_vi_annot_overlay_transform_ip (GstBaseTransform *
    trans, GstBuffer * buf);

#define gst_vi_annot_overlay_parent_class parent_class
G_DEFINE_TYPE (GstViAnnotOverlay, gst_vi_annot_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (viannotoverlay, "viannotoverlay",
    GST_RANK_NONE, GST_TYPE_VI_ANNOT_OVERLAY, viannot_element_init (plugin));

static void
gst_vi_annot_overlay_class_init (GstViAnnotOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vi_annot_overlay_debug, "viannotoverlay", 0,
      "Draws Datature Vi annotations and ROI metas on video");

  gobject_class->finalize = gst_vi_annot_overlay_finalize;
  gobject_class->set_property = gst_vi_annot_overlay_set_property;
  gobject_class->get_property = gst_vi_annot_overlay_get_property;

  /**
   * GstViAnnotOverlay:draw-boxes:
   *
   * Draw the outline of every box (grounded phrases and ROI metas).
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_BOXES,
      g_param_spec_boolean ("draw-boxes", "Draw boxes",
          "Draw the outline of every box", DEFAULT_DRAW_BOXES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:draw-labels:
   *
   * Draw each box's label on a tab of its colour: the phrase, or a ROI
   * meta's label and confidence.
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean ("draw-labels", "Draw labels",
          "Draw each box's label (phrase, or ROI label and confidence)",
          DEFAULT_DRAW_LABELS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:draw-caption:
   *
   * Draw the caption(s) at the bottom of the frame, wrapped, on a
   * translucent band, each phrase's words in the colour of its box.
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_CAPTION,
      g_param_spec_boolean ("draw-caption", "Draw caption",
          "Draw the caption at the bottom, phrases in their boxes' colours",
          DEFAULT_DRAW_CAPTION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:draw-vqa:
   *
   * Draw the VQA interactions (question and answer) at the top left.
   */
  g_object_class_install_property (gobject_class, PROP_DRAW_VQA,
      g_param_spec_boolean ("draw-vqa", "Draw VQA",
          "Draw the VQA questions and answers at the top left",
          DEFAULT_DRAW_VQA,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:font-desc:
   *
   * Pango font description of the texts, as "Sans Bold 20".  Without a
   * size, labels are 1/48 of the frame height (at least 10 pixels); with
   * one, labels have that size in pixels.  The caption and the VQA panel
   * are 1.25 times as large as the labels.
   */
  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
      g_param_spec_string ("font-desc", "Font description",
          "Pango font description of the texts (no size: from the frame "
          "height)", DEFAULT_FONT_DESC,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:line-width:
   *
   * Width in pixels of the box outlines, drawn inside the box; 0 derives
   * it from the frame height (1/360 of it, at least 2 pixels).
   */
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_uint ("line-width", "Line width",
          "Width in pixels of the box outlines (0 = from the frame height)",
          0, MAX_LINE_WIDTH, DEFAULT_LINE_WIDTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:palette:
   *
   * The colours of the boxes, as a list separated by commas or spaces of
   * `#RRGGBB` (opaque), `#AARRGGBB` or `0xAARRGGBB`, 1 to 256 of them.
   * Phrase n of an annotation set takes colour n (cycling); a ROI meta
   * takes the colour chosen by a hash of its label.  A value that cannot
   * be parsed is refused with a warning and the palette is kept.
   */
  g_object_class_install_property (gobject_class, PROP_PALETTE,
      g_param_spec_string ("palette", "Palette",
          "Box colours: #RRGGBB, #AARRGGBB or 0xAARRGGBB, separated by "
          "commas", DEFAULT_PALETTE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:min-confidence:
   *
   * ROI metas whose `detection` parameter has a confidence below this are
   * not drawn.  Boxes without a confidence (grounded phrases, plain ROI
   * metas) are always drawn.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "ROI metas with a lower confidence are not drawn", 0.0, 1.0,
          DEFAULT_MIN_CONFIDENCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotOverlay:stats:
   *
   * Statistics since the element started: `frames`, `compositions` (times
   * the overlay was laid out again because the annotations, the frame size
   * or a property changed), `text-renders` (texts laid out and drawn with
   * Pango), `attached` (frames given the composition as a meta) and
   * `blended` (frames drawn into), all guint64.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Frames, compositions built, texts rendered, frames attached or "
          "blended", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Vi annotation overlay", "Filter/Editor/Video",
      "Draws the annotations of video frames (Datature Vi boxes, labels, "
      "captions and VQA pairs, and ROI metas of any element)",
      "The viannot authors");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_transform_caps);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_propose_allocation);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_src_event);
  /* Not GstVideoFilter's transform_frame_ip: attaching must not map (and
   * possibly copy) the frame. */
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_transform_ip);

  GST_VIDEO_FILTER_CLASS (klass)->set_info =
      GST_DEBUG_FUNCPTR (gst_vi_annot_overlay_set_info);
}

static guint32 *
parse_palette (const gchar * str, guint * n_colors)
{
  gchar **tokens;
  guint32 *colors;
  guint i, n = 0;

  *n_colors = 0;
  if (str == NULL)
    return NULL;

  tokens = g_strsplit_set (str, ", \t", -1);
  colors = g_new0 (guint32, MAX_PALETTE);
  for (i = 0; tokens[i] != NULL; i++) {
    const gchar *t = tokens[i];
    const gchar *digits;
    gchar *end = NULL;
    guint64 v;
    gsize len;

    if (*t == '\0')
      continue;
    if (n == MAX_PALETTE)
      goto bad;
    if (t[0] == '#')
      digits = t + 1;
    else if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
      digits = t + 2;
    else
      goto bad;
    len = strlen (digits);
    if (len == 0 || len > 8 || !g_ascii_isxdigit (digits[0]))
      goto bad;
    v = g_ascii_strtoull (digits, &end, 16);
    if (end == NULL || *end != '\0')
      goto bad;
    if (t[0] == '#') {
      if (len == 6)
        v |= 0xFF000000;
      else if (len != 8)
        goto bad;
    }
    colors[n++] = (guint32) v;
  }
  g_strfreev (tokens);
  if (n == 0) {
    g_free (colors);
    return NULL;
  }
  *n_colors = n;
  return colors;

bad:
  g_strfreev (tokens);
  g_free (colors);
  return NULL;
}

static void
gst_vi_annot_overlay_style_clear (GstViAnnotOverlayStyle * style)
{
  g_clear_pointer (&style->font_desc, g_free);
  g_clear_pointer (&style->palette, g_free);
  style->n_palette = 0;
}

static void
gst_vi_annot_overlay_init (GstViAnnotOverlay * self)
{
  self->draw_boxes = DEFAULT_DRAW_BOXES;
  self->draw_labels = DEFAULT_DRAW_LABELS;
  self->draw_caption = DEFAULT_DRAW_CAPTION;
  self->draw_vqa = DEFAULT_DRAW_VQA;
  self->font_desc = g_strdup (DEFAULT_FONT_DESC);
  self->line_width = DEFAULT_LINE_WIDTH;
  self->palette_str = g_strdup (DEFAULT_PALETTE);
  self->palette = parse_palette (DEFAULT_PALETTE, &self->n_palette);
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
  self->props_cookie = 1;

  self->scene_rois = g_array_new (FALSE, TRUE, sizeof (GstViAnnotOverlayRoi));
  self->frame_rois = g_array_new (FALSE, TRUE, sizeof (GstViAnnotOverlayRoi));

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}

static void
clear_scene_rois (GstViAnnotOverlay * self)
{
  guint i;

  for (i = 0; i < self->scene_rois->len; i++)
    g_free (g_array_index (self->scene_rois, GstViAnnotOverlayRoi, i).label);
  g_array_set_size (self->scene_rois, 0);
}

/* Drops everything rendered; the next frame lays the overlay out again. */
static void
gst_vi_annot_overlay_reset_scene (GstViAnnotOverlay * self)
{
  self->scene_valid = FALSE;
  g_clear_pointer (&self->scene_set, gst_vi_annot_set_unref);
  clear_scene_rois (self);
  g_clear_pointer (&self->composition, gst_video_overlay_composition_unref);
  g_clear_pointer (&self->caption_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&self->vqa_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&self->text_set, gst_vi_annot_set_unref);
  if (self->label_cache != NULL)
    g_hash_table_remove_all (self->label_cache);
}

static void
gst_vi_annot_overlay_finalize (GObject * object)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (object);

  /* what stop () frees, if the element was never stopped */
  gst_vi_annot_overlay_stop (GST_BASE_TRANSFORM (self));
  g_array_unref (self->scene_rois);
  g_array_unref (self->frame_rois);
  gst_vi_annot_overlay_style_clear (&self->style);
  g_free (self->font_desc);
  g_free (self->palette_str);
  g_free (self->palette);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Setters only store the value and bump the cookie: the streaming thread
 * copies the style and lays the overlay out again on its next frame. */
static void
gst_vi_annot_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_BOXES:
      self->draw_boxes = g_value_get_boolean (value);
      break;
    case PROP_DRAW_LABELS:
      self->draw_labels = g_value_get_boolean (value);
      break;
    case PROP_DRAW_CAPTION:
      self->draw_caption = g_value_get_boolean (value);
      break;
    case PROP_DRAW_VQA:
      self->draw_vqa = g_value_get_boolean (value);
      break;
    case PROP_FONT_DESC:
      g_free (self->font_desc);
      self->font_desc = g_value_dup_string (value);
      if (self->font_desc == NULL || *self->font_desc == '\0') {
        g_free (self->font_desc);
        self->font_desc = g_strdup (DEFAULT_FONT_DESC);
      }
      break;
    case PROP_LINE_WIDTH:
      self->line_width = g_value_get_uint (value);
      break;
    case PROP_PALETTE:{
      const gchar *str = g_value_get_string (value);
      guint32 *colors;
      guint n;

      if (str == NULL || *str == '\0')
        str = DEFAULT_PALETTE;
      colors = parse_palette (str, &n);
      if (colors == NULL) {
        GST_OBJECT_UNLOCK (self);
        GST_WARNING_OBJECT (self, "invalid palette \"%s\": expected 1 to %d "
            "colours #RRGGBB, #AARRGGBB or 0xAARRGGBB; palette unchanged",
            str, MAX_PALETTE);
        return;
      }
      g_free (self->palette);
      self->palette = colors;
      self->n_palette = n;
      g_free (self->palette_str);
      self->palette_str = g_strdup (str);
      break;
    }
    case PROP_MIN_CONFIDENCE:
      self->min_confidence = g_value_get_double (value);
      break;
    default:
      GST_OBJECT_UNLOCK (self);
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
  }
  self->props_cookie++;
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
gst_vi_annot_overlay_get_stats (GstViAnnotOverlay * self)
{
  GstStructure *s;

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("viannotoverlay-stats",
      "frames", G_TYPE_UINT64, self->n_frames,
      "compositions", G_TYPE_UINT64, self->n_compositions,
      "text-renders", G_TYPE_UINT64, self->n_text_renders,
      "attached", G_TYPE_UINT64, self->n_attached,
      "blended", G_TYPE_UINT64, self->n_blended, NULL);
  GST_OBJECT_UNLOCK (self);

  return s;
}

static void
gst_vi_annot_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_vi_annot_overlay_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_BOXES:
      g_value_set_boolean (value, self->draw_boxes);
      break;
    case PROP_DRAW_LABELS:
      g_value_set_boolean (value, self->draw_labels);
      break;
    case PROP_DRAW_CAPTION:
      g_value_set_boolean (value, self->draw_caption);
      break;
    case PROP_DRAW_VQA:
      g_value_set_boolean (value, self->draw_vqa);
      break;
    case PROP_FONT_DESC:
      g_value_set_string (value, self->font_desc);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_uint (value, self->line_width);
      break;
    case PROP_PALETTE:
      g_value_set_string (value, self->palette_str);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_double (value, self->min_confidence);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_vi_annot_overlay_start (GstBaseTransform * trans)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);
  cairo_font_options_t *options;

  /* A font map of our own: Pango objects are then only ever used by this
   * element's streaming thread. */
  self->font_map = pango_cairo_font_map_new ();
  self->pango_context = pango_font_map_create_context (self->font_map);
  /* Sizes are given in pixels: 72 dpi makes a point a pixel. */
  pango_cairo_context_set_resolution (self->pango_context, 72.0);
  /* No hinting: the same text has the same size at every position, and
   * the rendering does not depend on the machine's fontconfig settings. */
  options = cairo_font_options_create ();
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (self->pango_context, options);
  cairo_font_options_destroy (options);

  self->label_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) gst_buffer_unref);
  self->blender = gst_vi_annot_blender_new ();

  GST_OBJECT_LOCK (self);
  self->n_frames = self->n_compositions = self->n_text_renders = 0;
  self->n_attached = self->n_blended = 0;
  self->meta_refused = FALSE;
  self->check_allocation = TRUE;
  GST_OBJECT_UNLOCK (self);
  self->style.cookie = 0;
  self->attach = FALSE;

  return TRUE;
}

static gboolean
gst_vi_annot_overlay_stop (GstBaseTransform * trans)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);

  gst_vi_annot_overlay_reset_scene (self);
  g_clear_pointer (&self->label_cache, g_hash_table_unref);
  g_clear_pointer (&self->blender, gst_vi_annot_blender_free);
  g_clear_object (&self->pango_context);
  g_clear_object (&self->font_map);

  return TRUE;
}

/* ------------------------------------------------------------------------
 * Negotiation: the basetextoverlay model in GstBaseTransform terms.
 *
 * Towards downstream the overlay offers, for each input structure, the
 * same caps with the meta:GstVideoOverlayComposition feature first, then
 * without.  An in-place GstBaseTransform makes no ALLOCATION query of its
 * own, so on the first frame after the caps (or after downstream asked
 * for a reconfiguration) the overlay asks downstream itself: if the
 * output caps have the feature and the answer has the meta, compositions
 * are attached; if the caps have the feature but the answer has no meta
 * (fakesink takes any caps), that frame is blended, the feature is no
 * longer offered and the source pad is marked for renegotiation, so the
 * next frames go out with plain caps.  Input caps that already have the
 * feature keep it: an upstream overlay attached compositions, and ours
 * are added to them.
 * ------------------------------------------------------------------------ */

static gboolean
features_have_overlay (GstCapsFeatures * f)
{
  return f != NULL && !gst_caps_features_is_any (f) &&
      gst_caps_features_contains (f, OVERLAY_FEATURE);
}

static gboolean
caps_have_overlay (GstCaps * caps)
{
  return caps != NULL && gst_caps_get_size (caps) > 0 &&
      features_have_overlay (gst_caps_get_features (caps, 0));
}

/* @f with the overlay feature; system memory is implied. */
static GstCapsFeatures *
features_add_overlay (GstCapsFeatures * f)
{
  GstCapsFeatures *out = gst_caps_features_copy (f);

  gst_caps_features_remove (out, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY);
  gst_caps_features_add (out, OVERLAY_FEATURE);
  return out;
}

static GstCapsFeatures *
features_remove_overlay (GstCapsFeatures * f)
{
  GstCapsFeatures *out = gst_caps_features_copy (f);

  gst_caps_features_remove (out, OVERLAY_FEATURE);
  if (gst_caps_features_get_size (out) == 0) {
    gst_caps_features_free (out);
    out = gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY, NULL);
  }
  return out;
}

static GstCaps *
gst_vi_annot_overlay_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);
  GstCaps *ret = gst_caps_new_empty ();
  gboolean offer_overlay;
  guint i;

  GST_OBJECT_LOCK (self);
  offer_overlay = !self->meta_refused;
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    if (f == NULL || gst_caps_features_is_any (f)) {
      gst_caps_append_structure_full (ret, gst_structure_copy (s),
          f ? gst_caps_features_copy (f) : NULL);
      continue;
    }

    if (direction == GST_PAD_SINK) {
      /* input -> output */
      if (features_have_overlay (f)) {
        gst_caps_append_structure_full (ret, gst_structure_copy (s),
            gst_caps_features_copy (f));
      } else {
        if (offer_overlay)
          gst_caps_append_structure_full (ret, gst_structure_copy (s),
              features_add_overlay (f));
        gst_caps_append_structure_full (ret, gst_structure_copy (s),
            gst_caps_features_copy (f));
      }
    } else {
      /* output -> input: what we can turn into it */
      gst_caps_append_structure_full (ret, gst_structure_copy (s),
          gst_caps_features_copy (f));
      if (features_have_overlay (f))
        gst_caps_append_structure_full (ret, gst_structure_copy (s),
            features_remove_overlay (f));
    }
  }

  if (filter != NULL) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (ret);
    ret = tmp;
  }

  GST_LOG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, ret);
  return ret;
}

static gboolean
gst_vi_annot_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (filter);

  GST_OBJECT_LOCK (self);
  self->check_allocation = TRUE;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

/* Attach or blend: decided on the streaming thread, with the output caps
 * set, so that any downstream element can answer the query. */
static void
gst_vi_annot_overlay_check_allocation (GstViAnnotOverlay * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstCaps *outcaps, *incaps;
  gboolean out_has, in_has, alloc_has = FALSE;

  outcaps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SRC_PAD (trans));
  incaps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SINK_PAD (trans));
  out_has = caps_have_overlay (outcaps);
  in_has = caps_have_overlay (incaps);

  if (out_has && !in_has) {
    GstQuery *query = gst_query_new_allocation (outcaps, FALSE);

    if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SRC_PAD (trans), query))
      GST_DEBUG_OBJECT (self, "ALLOCATION query failed");
    alloc_has = gst_query_find_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
    gst_query_unref (query);
  }
  gst_clear_caps (&outcaps);
  gst_clear_caps (&incaps);

  self->attach = out_has && (in_has || alloc_has);
  if (out_has && !self->attach) {
    GST_OBJECT_LOCK (self);
    self->meta_refused = TRUE;
    GST_OBJECT_UNLOCK (self);
    gst_pad_mark_reconfigure (GST_BASE_TRANSFORM_SRC_PAD (trans));
  }
  GST_DEBUG_OBJECT (self, "output caps feature %d, allocation meta %d, "
      "input caps feature %d: %s", out_has, alloc_has, in_has,
      self->attach ? "attaching" : "blending");
}

/* Upstream's query goes on downstream (in place); but a frame whose crop
 * is only a GstVideoCropMeta would be drawn at the wrong place: upstream
 * must crop for real. */
static gboolean
gst_vi_annot_overlay_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  guint index;

  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->propose_allocation (trans,
          decide_query, query))
    return FALSE;
  while (gst_query_find_allocation_meta (query, GST_VIDEO_CROP_META_API_TYPE,
          &index))
    gst_query_remove_nth_allocation_meta (query, index);
  return TRUE;
}

static gboolean
gst_vi_annot_overlay_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);

  /* Downstream changed: it may take the meta now. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    GST_OBJECT_LOCK (self);
    self->meta_refused = FALSE;
    self->check_allocation = TRUE;
    GST_OBJECT_UNLOCK (self);
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* ------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------ */

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
label_font_px (GstViAnnotOverlay * self, gint height)
{
  PangoFontDescription *desc =
      pango_font_description_from_string (self->style.font_desc);
  gint px;

  if (pango_font_description_get_set_fields (desc) & PANGO_FONT_MASK_SIZE)
    px = pango_font_description_get_size (desc) / PANGO_SCALE;
  else
    px = MAX (10, height / 48);
  pango_font_description_free (desc);

  return CLAMP (px, 4, MAX (4, height / 4));
}

static gint
box_line_width (GstViAnnotOverlay * self, gint height)
{
  if (self->style.line_width > 0)
    return self->style.line_width;
  return MAX (2, height / 360);
}

/* Lays @text out (plain text, never markup; @attrs may colour parts of it)
 * and draws it on a @bg rectangle with @pad pixels around.  Labels
 * (!@wrap) are one line, ellipsized at @max_width; paragraphs wrap within
 * @max_width and are ellipsized past @max_height.  The rectangle is as
 * wide as the longest line.  @rtl (optional) tells if the first line is
 * right to left.  Returns pixels with a GstVideoMeta giving their size. */
static GstBuffer *
gst_vi_annot_overlay_render_text (GstViAnnotOverlay * self,
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

  layout = pango_layout_new (self->pango_context);
  desc = pango_font_description_from_string (self->style.font_desc);
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

  GST_OBJECT_LOCK (self);
  self->n_text_renders++;
  GST_OBJECT_UNLOCK (self);

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
gst_vi_annot_overlay_label_pixels (GstViAnnotOverlay * self,
    const gchar * text, guint32 color, gint font_px, gint max_width)
{
  gchar *key = g_strdup_printf ("%08x:%d:%d:%s", color, font_px, max_width,
      text);
  GstBuffer *buf = g_hash_table_lookup (self->label_cache, key);

  if (buf != NULL) {
    g_free (key);
    return gst_buffer_ref (buf);
  }

  buf = gst_vi_annot_overlay_render_text (self, text, NULL, font_px, FALSE,
      max_width, G_MAXINT, color, label_text_color (color), NULL);
  if (g_hash_table_size (self->label_cache) >= MAX_LABEL_CACHE)
    g_hash_table_remove_all (self->label_cache);
  g_hash_table_insert (self->label_cache, key, gst_buffer_ref (buf));

  return buf;
}

/* A label tab above the top left corner of the box, inside it when there
 * is no room above; always inside the frame. */
static GstVideoOverlayRectangle *
gst_vi_annot_overlay_label_rectangle (GstViAnnotOverlay * self,
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
  buf = gst_vi_annot_overlay_label_pixels (self, valid,
      color | 0xFF000000, self->label_px, MAX (16, width / 2));
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
phrase_color (GstViAnnotOverlay * self, guint index)
{
  return self->style.palette[index % self->style.n_palette];
}

/* ROI metas have no index in a set: one colour per label. */
static guint32
label_color (GstViAnnotOverlay * self, const gchar * label)
{
  return self->style.palette[g_str_hash (label) % self->style.n_palette];
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
gst_vi_annot_overlay_caption_rectangle (GstViAnnotOverlay * self,
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
  for (i = 0; i < n_phrases && i < MAX_BOXES; i++) {
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
    add_foreground (attrs, phrase_color (self, i),
        g_utf8_offset_to_pointer (caption, start) - text->str,
        g_utf8_offset_to_pointer (caption, end) - text->str);
  }

  buf = gst_vi_annot_overlay_render_text (self, text->str, attrs,
      self->label_px * 5 / 4, TRUE, width,
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
gst_vi_annot_overlay_vqa_rectangle (GstViAnnotOverlay * self,
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
        add_foreground (attrs, self->style.palette[0], text->len,
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

  buf = gst_vi_annot_overlay_render_text (self, text->str, attrs,
      self->label_px * 5 / 4, TRUE, MAX (1, width * 3 / 5),
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
gst_vi_annot_overlay_update_texts (GstViAnnotOverlay * self,
    GstViAnnotMeta * meta, gint width, gint height)
{
  GstViAnnotSet *set = meta ? gst_vi_annot_meta_get_set (meta) : NULL;

  if (self->text_set == set && self->text_width == width &&
      self->text_height == height && self->text_cookie == self->style.cookie)
    return;

  g_clear_pointer (&self->caption_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&self->vqa_rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer (&self->text_set, gst_vi_annot_set_unref);
  if (set != NULL) {
    if (self->style.draw_caption)
      self->caption_rect = gst_vi_annot_overlay_caption_rectangle (self, meta,
          width, height);
    if (self->style.draw_vqa)
      self->vqa_rect = gst_vi_annot_overlay_vqa_rectangle (self, meta, width,
          height);
    self->text_set = gst_vi_annot_set_ref (set);
  }
  self->text_width = width;
  self->text_height = height;
  self->text_cookie = self->style.cookie;
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
roi_label_text (const GstViAnnotOverlayRoi * roi)
{
  gchar conf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!roi->has_confidence)
    return g_strdup (roi->label);
  g_ascii_formatd (conf, sizeof conf, "%.2f", roi->confidence);
  return g_strconcat (roi->label, *roi->label ? " " : "", conf, NULL);
}

/* Lays the overlay out for @meta (may be NULL) and self->frame_rois. */
static void
gst_vi_annot_overlay_build (GstViAnnotOverlay * self, GstViAnnotMeta * meta,
    gint width, gint height)
{
  GPtrArray *rects = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_video_overlay_rectangle_unref);
  GstVideoInfo info;
  gint lw = box_line_width (self, height);
  guint n_phrases = meta ? gst_vi_annot_meta_get_n_phrases (meta) : 0;
  guint i, pass;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRA, width, height);
  n_phrases = MIN (n_phrases, MAX_BOXES);
  self->label_px = label_font_px (self, height);

  /* Boxes first, then labels over them, then the texts. */
  for (pass = 0; pass < 2; pass++) {
    if (pass == 0 && !self->style.draw_boxes)
      continue;
    if (pass == 1 && !self->style.draw_labels)
      continue;

    for (i = 0; i < n_phrases; i++) {
      ViPixelBox px;
      guint32 color = phrase_color (self, i);

      gst_vi_annot_meta_get_phrase_pixels (meta, i, &info, &px);
      clamp_box (&px.x_min, &px.y_min, &px.x_max, &px.y_max, width, height);
      if (px.x_max <= px.x_min || px.y_max <= px.y_min)
        continue;
      if (pass == 0) {
        add_box_outline (rects, px.x_min, px.y_min, px.x_max, px.y_max, lw,
            color);
      } else {
        GstVideoOverlayRectangle *r = gst_vi_annot_overlay_label_rectangle
            (self, gst_vi_annot_meta_get_phrase (meta, i), color, px.x_min,
            px.y_min, width, height);
        if (r != NULL)
          g_ptr_array_add (rects, r);
      }
    }

    for (i = 0; i < self->frame_rois->len; i++) {
      GstViAnnotOverlayRoi *roi =
          &g_array_index (self->frame_rois, GstViAnnotOverlayRoi, i);
      guint32 color = label_color (self, roi->label);

      if (pass == 0) {
        add_box_outline (rects, roi->x0, roi->y0, roi->x1, roi->y1, lw, color);
      } else {
        gchar *text = roi_label_text (roi);
        GstVideoOverlayRectangle *r =
            gst_vi_annot_overlay_label_rectangle (self, text, color, roi->x0,
            roi->y0, width, height);

        if (r != NULL)
          g_ptr_array_add (rects, r);
        g_free (text);
      }
    }
  }

  gst_vi_annot_overlay_update_texts (self, meta, width, height);
  if (self->caption_rect != NULL)
    g_ptr_array_add (rects,
        gst_video_overlay_rectangle_ref (self->caption_rect));
  if (self->vqa_rect != NULL)
    g_ptr_array_add (rects, gst_video_overlay_rectangle_ref (self->vqa_rect));

  g_clear_pointer (&self->composition, gst_video_overlay_composition_unref);
  for (i = 0; i < rects->len; i++) {
    if (self->composition == NULL)
      self->composition = gst_video_overlay_composition_new (rects->pdata[i]);
    else
      gst_video_overlay_composition_add_rectangle (self->composition,
          rects->pdata[i]);
  }
  GST_DEBUG_OBJECT (self, "built a composition of %u rectangles for %ux%u",
      rects->len, width, height);
  g_ptr_array_unref (rects);

  GST_OBJECT_LOCK (self);
  self->n_compositions++;
  GST_OBJECT_UNLOCK (self);
}

/* The ROI metas of @buf to draw, into self->frame_rois (labels borrowed
 * from the metas). */
static void
gst_vi_annot_overlay_collect_rois (GstViAnnotOverlay * self, GstBuffer * buf,
    GstViAnnotMeta * meta, gint width, gint height)
{
  gpointer state = NULL;
  GstMeta *m;

  g_array_set_size (self->frame_rois, 0);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != NULL) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstViAnnotOverlayRoi item = { 0, };

    if (self->frame_rois->len == MAX_BOXES)
      break;

    /* viannotsrc's ROI metas repeat the phrases of the GstViAnnotMeta
     * (and go wherever it goes: they are kept exact or dropped with it). */
    if (meta != NULL && gst_vi_annot_roi_is_own (roi))
      continue;

    item.has_confidence = gst_vi_annot_roi_get_confidence (roi,
        &item.confidence);
    if (item.has_confidence && item.confidence < self->style.min_confidence)
      continue;

    /* guint fields: clamped in 64 bits, then to the frame */
    item.x0 = (gint) MIN ((gint64) roi->x, width);
    item.y0 = (gint) MIN ((gint64) roi->y, height);
    item.x1 = (gint) MIN ((gint64) roi->x + roi->w, width);
    item.y1 = (gint) MIN ((gint64) roi->y + roi->h, height);
    if (item.x1 <= item.x0 || item.y1 <= item.y0)
      continue;
    item.label = (gchar *) gst_vi_annot_roi_get_label (roi);
    g_array_append_val (self->frame_rois, item);
  }
}

static gboolean
rois_equal (GArray * a, GArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++) {
    GstViAnnotOverlayRoi *x = &g_array_index (a, GstViAnnotOverlayRoi, i);
    GstViAnnotOverlayRoi *y = &g_array_index (b, GstViAnnotOverlayRoi, i);

    if (x->x0 != y->x0 || x->y0 != y->y0 || x->x1 != y->x1 ||
        x->y1 != y->y1 || x->has_confidence != y->has_confidence ||
        (x->has_confidence && x->confidence != y->confidence) ||
        g_strcmp0 (x->label, y->label) != 0)
      return FALSE;
  }
  return TRUE;
}

/* Takes the properties' values when they changed. */
static void
gst_vi_annot_overlay_update_style (GstViAnnotOverlay * self)
{
  GstViAnnotOverlayStyle *st = &self->style;

  GST_OBJECT_LOCK (self);
  if (st->cookie == self->props_cookie) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  gst_vi_annot_overlay_style_clear (st);
  st->cookie = self->props_cookie;
  st->draw_boxes = self->draw_boxes;
  st->draw_labels = self->draw_labels;
  st->draw_caption = self->draw_caption;
  st->draw_vqa = self->draw_vqa;
  st->font_desc = g_strdup (self->font_desc);
  st->line_width = self->line_width;
  st->palette = g_memdup2 (self->palette, self->n_palette * sizeof (guint32));
  st->n_palette = self->n_palette;
  st->min_confidence = self->min_confidence;
  GST_OBJECT_UNLOCK (self);

  /* The font may have changed. */
  g_hash_table_remove_all (self->label_cache);
}

static GstFlowReturn
gst_vi_annot_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstViAnnotMeta *meta;
  GstViAnnotSet *set;
  gboolean check;
  gint width, height;

  if (G_UNLIKELY (!filter->negotiated))
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  check = self->check_allocation;
  self->check_allocation = FALSE;
  GST_OBJECT_UNLOCK (self);
  if (check)
    gst_vi_annot_overlay_check_allocation (self);

  width = GST_VIDEO_INFO_WIDTH (&filter->in_info);
  height = GST_VIDEO_INFO_HEIGHT (&filter->in_info);

  gst_vi_annot_overlay_update_style (self);
  meta = gst_buffer_get_vi_annot_meta (buf);
  set = meta ? gst_vi_annot_meta_get_set (meta) : NULL;
  gst_vi_annot_overlay_collect_rois (self, buf, meta, width, height);

  if (!self->scene_valid || self->scene_set != set ||
      self->scene_width != width || self->scene_height != height ||
      self->scene_cookie != self->style.cookie ||
      !rois_equal (self->scene_rois, self->frame_rois)) {
    guint i;

    gst_vi_annot_overlay_build (self, meta, width, height);

    g_clear_pointer (&self->scene_set, gst_vi_annot_set_unref);
    if (set != NULL)
      self->scene_set = gst_vi_annot_set_ref (set);
    clear_scene_rois (self);
    for (i = 0; i < self->frame_rois->len; i++) {
      GstViAnnotOverlayRoi item =
          g_array_index (self->frame_rois, GstViAnnotOverlayRoi, i);

      item.label = g_strdup (item.label);
      g_array_append_val (self->scene_rois, item);
    }
    self->scene_width = width;
    self->scene_height = height;
    self->scene_cookie = self->style.cookie;
    self->scene_valid = TRUE;
  }
  g_array_set_size (self->frame_rois, 0);

  GST_OBJECT_LOCK (self);
  self->n_frames++;
  GST_OBJECT_UNLOCK (self);

  if (self->composition == NULL)
    return GST_FLOW_OK;

  if (self->attach) {
    GstVideoOverlayCompositionMeta *upstream =
        gst_buffer_get_video_overlay_composition_meta (buf);

    if (upstream != NULL) {
      /* An overlay upstream attached its own: draw ours over it. */
      GstVideoOverlayComposition *comp =
          gst_video_overlay_composition_copy (upstream->overlay);
      guint i, n = gst_video_overlay_composition_n_rectangles
          (self->composition);

      for (i = 0; i < n; i++)
        gst_video_overlay_composition_add_rectangle (comp,
            gst_video_overlay_composition_get_rectangle (self->composition, i));
      gst_buffer_remove_meta (buf, (GstMeta *) upstream);
      gst_buffer_add_video_overlay_composition_meta (buf, comp);
      gst_video_overlay_composition_unref (comp);
    } else {
      gst_buffer_add_video_overlay_composition_meta (buf, self->composition);
    }
    GST_OBJECT_LOCK (self);
    self->n_attached++;
    GST_OBJECT_UNLOCK (self);
  } else {
    GstVideoFrame frame;

    if (!gst_video_frame_map (&frame, &filter->in_info, buf, GST_MAP_READWRITE))
      goto invalid_frame;
    gst_vi_annot_blender_blend (self->blender, self->composition, &frame);
    gst_video_frame_unmap (&frame);
    GST_OBJECT_LOCK (self);
    self->n_blended++;
    GST_OBJECT_UNLOCK (self);
  }

  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("frame before the caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
invalid_frame:
  {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, (NULL),
        ("cannot map a frame of %" GST_PTR_FORMAT " to draw on it", buf));
    return GST_FLOW_OK;
  }
}
