/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gstviannotframemap.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

#define MAX_TEMPLATE_WIDTH 64

struct _GstViAnnotFrameMap
{
  gchar *asset_id;              /* single-asset mode, may be NULL */
  gboolean template_mode;
  gchar *template;              /* as given, for messages */
  gchar *prefix;
  gchar *suffix;
  gint width;
  gboolean zero;
  guint start_number;
  gint rate_n;                  /* 0: one asset per frame */
  gint rate_d;
};

void
gst_vi_annot_frame_map_props_init (GstViAnnotFrameMapProps * props)
{
  props->asset_id = NULL;
  props->asset_id_template = NULL;
  props->start_number = 0;
  props->asset_rate_n = 0;
  props->asset_rate_d = 1;
}

void
gst_vi_annot_frame_map_props_clear (GstViAnnotFrameMapProps * props)
{
  g_clear_pointer (&props->asset_id, g_free);
  g_clear_pointer (&props->asset_id_template, g_free);
}

/* For the snapshot an element takes in start(). */
void
gst_vi_annot_frame_map_props_copy (const GstViAnnotFrameMapProps * src,
    GstViAnnotFrameMapProps * dest)
{
  *dest = *src;
  dest->asset_id = g_strdup (src->asset_id);
  dest->asset_id_template = g_strdup (src->asset_id_template);
}

void
gst_vi_annot_frame_map_install_properties (GObjectClass * klass,
    guint first_prop_id)
{
  /**
   * GstViAnnotSrc:asset-id:
   *
   * The asset of every frame.  Exclusive with asset-id-template.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID,
      g_param_spec_string ("asset-id", "Asset id",
          "The asset of every frame (exclusive with asset-id-template)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:asset-id-template:
   *
   * The asset of a frame, for datasets of frames extracted from a video:
   * a printf-like template with one integer conversion (`%d`, `%06d`,
   * `%u`; `%%` is a percent sign), e.g. `frame_%06d.jpg`, filled with the
   * frame's number: round (stream time × framerate) + start-number, the
   * number the frame has in its stream whatever seeks, rate changes,
   * decoders or videorate did before.  With asset-rate, the number of the
   * asset instead: floor (stream time × asset-rate) + start-number.
   * Buffers without a timestamp use their offset.  Exclusive with
   * asset-id.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID_TEMPLATE,
      g_param_spec_string ("asset-id-template", "Asset id template",
          "Asset of a frame, e.g. frame_%06d.jpg, filled with "
          "round(stream time x framerate) + start-number (exclusive with "
          "asset-id)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:start-number:
   *
   * The number of the first frame (stream time 0) in asset-id-template,
   * like `multifilesrc index` or `ffmpeg -start_number`.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_FRAME_MAP_PROP_START_NUMBER,
      g_param_spec_uint ("start-number", "Start number",
          "Number of the first frame in asset-id-template (as multifilesrc "
          "index, ffmpeg -start_number)", 0, G_MAXINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:asset-rate:
   *
   * For datasets of frames extracted at a lower rate than the video: how
   * many assets per second of stream time.  1/1 = one asset per second:
   * frame n of a 30 fps video maps to asset floor (n / 30) +
   * start-number.  0/1 (the default): one asset per frame.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_RATE,
      gst_param_spec_fraction ("asset-rate", "Asset rate",
          "Assets per second of stream, for frames extracted at a lower "
          "rate than the video (0/1 = one asset per frame)", 0, 1,
          G_MAXINT, 1, 0, 1,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

void
gst_vi_annot_frame_map_set_property (GstViAnnotFrameMapProps * props,
    guint id, const GValue * value)
{
  switch (id) {
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID:
      g_free (props->asset_id);
      props->asset_id = g_value_dup_string (value);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID_TEMPLATE:
      g_free (props->asset_id_template);
      props->asset_id_template = g_value_dup_string (value);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_START_NUMBER:
      props->start_number = g_value_get_uint (value);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_RATE:
      props->asset_rate_n = gst_value_get_fraction_numerator (value);
      props->asset_rate_d = gst_value_get_fraction_denominator (value);
      break;
    default:
      g_assert_not_reached ();
  }
  /* An empty string is no value. */
  if (props->asset_id != NULL && *props->asset_id == '\0')
    g_clear_pointer (&props->asset_id, g_free);
  if (props->asset_id_template != NULL && *props->asset_id_template == '\0')
    g_clear_pointer (&props->asset_id_template, g_free);
}

void
gst_vi_annot_frame_map_get_property (const GstViAnnotFrameMapProps * props,
    guint id, GValue * value)
{
  switch (id) {
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID:
      g_value_set_string (value, props->asset_id);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_ID_TEMPLATE:
      g_value_set_string (value, props->asset_id_template);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_START_NUMBER:
      g_value_set_uint (value, props->start_number);
      break;
    case GST_VI_ANNOT_FRAME_MAP_PROP_ASSET_RATE:
      gst_value_set_fraction (value, props->asset_rate_n, props->asset_rate_d);
      break;
    default:
      g_assert_not_reached ();
  }
}

/* Splits "frame_%06d.jpg" into prefix, width, zero flag and suffix.  The
 * template is never handed to printf: it comes from the user. */
static gboolean
parse_template (const gchar * tmpl, GstViAnnotFrameMap * map,
    const gchar ** reason)
{
  GString *prefix = g_string_new (NULL);
  GString *suffix = g_string_new (NULL);
  GString *cur = prefix;
  gboolean found = FALSE;
  const gchar *p;

  for (p = tmpl; *p != '\0'; p++) {
    const gchar *q;
    gboolean zero = FALSE;
    gint width = 0;

    if (*p != '%') {
      g_string_append_c (cur, *p);
      continue;
    }
    q = p + 1;
    if (*q == '%') {
      g_string_append_c (cur, '%');
      p = q;
      continue;
    }
    if (*q == '0') {
      zero = TRUE;
      q++;
    }
    while (g_ascii_isdigit (*q)) {
      width = width * 10 + (*q - '0');
      if (width > MAX_TEMPLATE_WIDTH)
        goto bad_width;
      q++;
    }
    while (*q == 'l' || *q == 'z' || *q == 'j')
      q++;
    if (*q != 'd' && *q != 'i' && *q != 'u')
      goto bad_conversion;
    if (found)
      goto two_conversions;
    found = TRUE;
    map->zero = zero;
    map->width = width;
    cur = suffix;
    p = q;
  }
  if (!found)
    goto no_conversion;

  map->prefix = g_string_free (prefix, FALSE);
  map->suffix = g_string_free (suffix, FALSE);
  return TRUE;

  /* ERRORS */
bad_width:
  *reason = "the field width is larger than 64";
  goto fail;
bad_conversion:
  *reason = "only integer conversions (%d, %06d, %u) and %% are allowed";
  goto fail;
two_conversions:
  *reason = "it has more than one conversion";
  goto fail;
no_conversion:
  *reason = "it has no conversion for the frame number (%d)";
  goto fail;
fail:
  g_string_free (prefix, TRUE);
  g_string_free (suffix, TRUE);
  return FALSE;
}

/* Checks the properties against each other; the messages are what
 * start() posts. */
GstViAnnotFrameMap *
gst_vi_annot_frame_map_new (const GstViAnnotFrameMapProps * props,
    GError ** error)
{
  GstViAnnotFrameMap *map = g_new0 (GstViAnnotFrameMap, 1);
  const gchar *reason = NULL;

  if (props->asset_id != NULL && props->asset_id_template != NULL)
    goto both_assets;
  if (props->asset_id_template == NULL && (props->start_number != 0 ||
          props->asset_rate_n != 0))
    goto numbering_without_template;

  map->asset_id = g_strdup (props->asset_id);
  map->start_number = props->start_number;
  map->rate_n = props->asset_rate_n;
  map->rate_d = props->asset_rate_n != 0 ? props->asset_rate_d : 1;
  if (props->asset_id_template != NULL) {
    if (!parse_template (props->asset_id_template, map, &reason))
      goto bad_template;
    map->template_mode = TRUE;
    map->template = g_strdup (props->asset_id_template);
  }
  return map;

  /* ERRORS */
both_assets:
  {
    g_set_error_literal (error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS,
        _("asset-id and asset-id-template are exclusive: set only one."));
    goto fail;
  }
numbering_without_template:
  {
    g_set_error_literal (error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS,
        _("start-number and asset-rate only apply to asset-id-template."));
    goto fail;
  }
bad_template:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        _("Invalid asset-id-template \"%s\": %s."), props->asset_id_template,
        reason);
    goto fail;
  }
fail:
  {
    gst_vi_annot_frame_map_free (map);
    return NULL;
  }
}

void
gst_vi_annot_frame_map_free (GstViAnnotFrameMap * map)
{
  if (map == NULL)
    return;
  g_free (map->asset_id);
  g_free (map->template);
  g_free (map->prefix);
  g_free (map->suffix);
  g_free (map);
}

gboolean
gst_vi_annot_frame_map_is_template (const GstViAnnotFrameMap * map)
{
  return map->template_mode;
}

const gchar *
gst_vi_annot_frame_map_get_asset_id (const GstViAnnotFrameMap * map)
{
  return map->asset_id;
}

guint
gst_vi_annot_frame_map_get_start_number (const GstViAnnotFrameMap * map)
{
  return map->start_number;
}

gchar *
gst_vi_annot_frame_map_format (const GstViAnnotFrameMap * map, guint64 index)
{
  g_return_val_if_fail (map->template_mode, NULL);

  if (map->zero)
    return g_strdup_printf ("%s%0*" G_GUINT64_FORMAT "%s", map->prefix,
        map->width, index, map->suffix);
  return g_strdup_printf ("%s%*" G_GUINT64_FORMAT "%s", map->prefix,
      map->width, index, map->suffix);
}

/* The number of the asset of @buffer in template mode:
 *
 * - with a timestamp (PTS, else DTS) in a TIME segment, from its stream
 *   time st (which seeks, segment seeks and rate changes leave right):
 *   frame n = round (st × framerate); asset n, or with asset-rate
 *   floor (n × asset-rate / framerate), or without a framerate
 *   floor (st × asset-rate), st rounded to the microsecond so that a
 *   timestamp rounded down to the nanosecond stays on its asset;
 * - without a timestamp, from the buffer offset (raw video numbers its
 *   frames there);
 * - plus start-number.
 *
 * Without a framerate and without asset-rate there is no frame number:
 * counting buffers would silently go wrong after the first seek, so the
 * frame is FAILED with a reason instead. */
GstViAnnotFrameIndex
gst_vi_annot_frame_map_index (const GstViAnnotFrameMap * map,
    const GstSegment * segment, gint fps_n, gint fps_d, GstBuffer * buffer,
    guint64 * index, GError ** error)
{
  GstClockTime ts = GST_BUFFER_PTS (buffer);
  guint64 n, st;
  gboolean have_fps = fps_n > 0 && fps_d > 0;

  g_return_val_if_fail (map->template_mode, GST_VI_ANNOT_FRAME_INDEX_FAILED);

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    ts = GST_BUFFER_DTS (buffer);

  if (GST_CLOCK_TIME_IS_VALID (ts) && segment->format == GST_FORMAT_TIME) {
    gint sign = gst_segment_to_stream_time_full (segment, GST_FORMAT_TIME,
        ts, &st);

    if (sign < 0)
      return GST_VI_ANNOT_FRAME_INDEX_OUTSIDE;
    if (sign == 0)
      goto no_stream_time;

    if (have_fps) {
      n = gst_util_uint64_scale_round (st, fps_n, (guint64) fps_d * GST_SECOND);
      if (map->rate_n != 0)
        n = gst_util_uint64_scale (n, (guint64) map->rate_n * fps_d,
            (guint64) map->rate_d * fps_n);
    } else if (map->rate_n != 0) {
      guint64 us = gst_util_uint64_scale_round (st, 1, GST_USECOND);

      n = gst_util_uint64_scale (us, map->rate_n,
          (guint64) map->rate_d * G_USEC_PER_SEC);
    } else {
      goto no_framerate;
    }
  } else if (GST_BUFFER_OFFSET_IS_VALID (buffer)) {
    n = GST_BUFFER_OFFSET (buffer);
    if (map->rate_n != 0) {
      if (!have_fps)
        goto no_time;
      n = gst_util_uint64_scale (n, (guint64) map->rate_n * fps_d,
          (guint64) map->rate_d * fps_n);
    }
  } else {
    goto no_number;
  }

  *index = n + map->start_number;
  return GST_VI_ANNOT_FRAME_INDEX_OK;

  /* ERRORS */
no_stream_time:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "The frame at %" GST_TIME_FORMAT " has no stream time in segment %"
        GST_SEGMENT_FORMAT ": asset-id-template cannot number it.",
        GST_TIME_ARGS (ts), segment);
    return GST_VI_ANNOT_FRAME_INDEX_FAILED;
  }
no_framerate:
  {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        _("asset-id-template cannot number the frames: the caps have no "
            "framerate (0/1). Give the stream a framerate (e.g. multifilesrc "
            "caps=\"image/png,framerate=30/1\") or set asset-rate."));
    return GST_VI_ANNOT_FRAME_INDEX_FAILED;
  }
no_time:
  {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        _("asset-rate needs the time of the frames: they have no timestamp "
            "and the caps no framerate."));
    return GST_VI_ANNOT_FRAME_INDEX_FAILED;
  }
no_number:
  {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        _("asset-id-template cannot number the frames: a frame has neither a "
            "timestamp nor an offset."));
    return GST_VI_ANNOT_FRAME_INDEX_FAILED;
  }
}

gchar *
gst_vi_annot_frame_map_to_string (const GstViAnnotFrameMap * map)
{
  if (!map->template_mode)
    return g_strdup_printf ("asset %s", map->asset_id ? map->asset_id :
        "(the first of the file)");
  if (map->rate_n != 0)
    return g_strdup_printf ("template %s from %u, %d/%d assets per second",
        map->template, map->start_number, map->rate_n, map->rate_d);
  return g_strdup_printf ("template %s from %u, one asset per frame",
      map->template, map->start_number);
}

/* The asset of @buffer: asset-id's (@index 0; NULL when asset-id is not
 * set), or in template mode the template filled with the frame's number
 * (@index), also returned in *@alloc for the caller to free.  Not OK as
 * gst_vi_annot_frame_map_index() says, *@asset_id then NULL. */
GstViAnnotFrameIndex
gst_vi_annot_frame_map_asset (const GstViAnnotFrameMap * map,
    const GstSegment * segment, gint fps_n, gint fps_d, GstBuffer * buffer,
    guint64 * index, const gchar ** asset_id, gchar ** alloc, GError ** error)
{
  GstViAnnotFrameIndex res;

  *index = 0;
  *asset_id = NULL;
  *alloc = NULL;
  if (!map->template_mode) {
    *asset_id = map->asset_id;
    return GST_VI_ANNOT_FRAME_INDEX_OK;
  }
  res = gst_vi_annot_frame_map_index (map, segment, fps_n, fps_d, buffer,
      index, error);
  if (res == GST_VI_ANNOT_FRAME_INDEX_OK)
    *asset_id = *alloc = gst_vi_annot_frame_map_format (map, *index);
  return res;
}
