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

#include "gstviannotdraw.h"
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

  self->scene_rois = g_array_new (FALSE, TRUE, sizeof (GstViAnnotDrawRoi));
  self->frame_rois = g_array_new (FALSE, TRUE, sizeof (GstViAnnotDrawRoi));

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}

static void
clear_scene_rois (GstViAnnotOverlay * self)
{
  guint i;

  for (i = 0; i < self->scene_rois->len; i++)
    g_free (g_array_index (self->scene_rois, GstViAnnotDrawRoi, i).label);
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
  gst_vi_annot_draw_reset (&self->draw);
}

static void
gst_vi_annot_overlay_finalize (GObject * object)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (object);

  /* what stop () frees, if the element was never stopped */
  gst_vi_annot_overlay_stop (GST_BASE_TRANSFORM (self));
  g_array_unref (self->scene_rois);
  g_array_unref (self->frame_rois);
  gst_vi_annot_draw_style_clear (&self->draw.style);
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
      "text-renders", G_TYPE_UINT64, self->draw.n_text_renders,
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

  gst_vi_annot_draw_start (&self->draw, GST_OBJECT (self));
  self->blender = gst_vi_annot_blender_new ();

  GST_OBJECT_LOCK (self);
  self->n_frames = self->n_compositions = self->draw.n_text_renders = 0;
  self->n_attached = self->n_blended = 0;
  self->meta_refused = FALSE;
  self->check_allocation = TRUE;
  GST_OBJECT_UNLOCK (self);
  self->draw.style.cookie = 0;
  self->attach = FALSE;

  return TRUE;
}

static gboolean
gst_vi_annot_overlay_stop (GstBaseTransform * trans)
{
  GstViAnnotOverlay *self = GST_VI_ANNOT_OVERLAY (trans);

  gst_vi_annot_overlay_reset_scene (self);
  gst_vi_annot_draw_stop (&self->draw);
  g_clear_pointer (&self->blender, gst_vi_annot_blender_free);

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
    GstViAnnotDrawRoi item = { 0, };

    if (self->frame_rois->len == GST_VI_ANNOT_DRAW_MAX_BOXES)
      break;

    /* viannotsrc's ROI metas repeat the phrases of the GstViAnnotMeta
     * (and go wherever it goes: they are kept exact or dropped with it). */
    if (meta != NULL && gst_vi_annot_roi_is_own (roi))
      continue;

    item.has_confidence = gst_vi_annot_roi_get_confidence (roi,
        &item.confidence);
    if (item.has_confidence
        && item.confidence < self->draw.style.min_confidence)
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
    GstViAnnotDrawRoi *x = &g_array_index (a, GstViAnnotDrawRoi, i);
    GstViAnnotDrawRoi *y = &g_array_index (b, GstViAnnotDrawRoi, i);

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
  GstViAnnotDrawStyle *st = &self->draw.style;

  GST_OBJECT_LOCK (self);
  if (st->cookie == self->props_cookie) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  gst_vi_annot_draw_style_clear (st);
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
  g_hash_table_remove_all (self->draw.label_cache);
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
      self->scene_cookie != self->draw.style.cookie ||
      !rois_equal (self->scene_rois, self->frame_rois)) {
    guint i;

    g_clear_pointer (&self->composition, gst_video_overlay_composition_unref);
    self->composition = gst_vi_annot_draw_build (&self->draw, meta,
        self->frame_rois, width, height);
    GST_DEBUG_OBJECT (self, "built a composition of %u rectangles for %ux%u",
        self->composition ?
        gst_video_overlay_composition_n_rectangles (self->composition) : 0,
        width, height);
    GST_OBJECT_LOCK (self);
    self->n_compositions++;
    GST_OBJECT_UNLOCK (self);

    g_clear_pointer (&self->scene_set, gst_vi_annot_set_unref);
    if (set != NULL)
      self->scene_set = gst_vi_annot_set_ref (set);
    clear_scene_rois (self);
    for (i = 0; i < self->frame_rois->len; i++) {
      GstViAnnotDrawRoi item =
          g_array_index (self->frame_rois, GstViAnnotDrawRoi, i);

      item.label = g_strdup (item.label);
      g_array_append_val (self->scene_rois, item);
    }
    self->scene_width = width;
    self->scene_height = height;
    self->scene_cookie = self->draw.style.cookie;
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
