/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-viannotsrc
 * @title: viannotsrc
 *
 * viannotsrc is "the source of annotations in a video path": an in-place
 * transform that never touches the pixels and puts the annotations of a
 * Datature Vi dataset (captions, grounded phrases with their boxes and
 * spans, VQA interactions) on every frame as a #GstViAnnotMeta, and, with
 * #GstViAnnotSrc:attach-roi-meta, as one #GstVideoRegionOfInterestMeta per
 * box in pixels of the current caps.
 *
 * The annotations come from a dataset through the Vi API
 * (#GstViAnnotSrc:dataset-id and credentials) or from a local JSONL file
 * (#GstViAnnotSrc:location: no account, no network).  Every frame carries
 * the annotations of one asset (#GstViAnnotSrc:asset-id), or frame n those
 * of the asset named by #GstViAnnotSrc:asset-id-template filled with n, for
 * datasets of extracted frames.  Frame n is the buffer offset when upstream
 * sets it (videotestsrc, image sequences), else the number of frames seen
 * since the stream started, counting from 0.
 *
 * All HTTP runs on a worker thread with its own main context; the streaming
 * thread never does network I/O.  A non-live pipeline waits for the
 * annotations of a frame, at most #GstViAnnotSrc:max-wait milliseconds
 * (flushes and state changes interrupt the wait); a live pipeline (as
 * upstream answers the latency query) never waits: frames whose
 * annotations are not there yet pass without them, and are counted in
 * #GstViAnnotSrc:stats.  With #GstViAnnotSrc:refresh-interval the
 * annotations are fetched again periodically; a refresh swaps an immutable
 * snapshot, so a frame never carries half of an update.
 *
 * Credentials not set as properties are read as libvi reads them: the
 * environment variables `DATATURE_VI_SECRET_KEY`,
 * `DATATURE_VI_ORGANIZATION_ID` and `DATATURE_VI_API_ENDPOINT`, then
 * #GstViAnnotSrc:config-file.  The secret key is never logged nor put in a
 * message.
 *
 * Messages: an element message `vi-annotations-fetched` is posted each time
 * the annotations of an asset (or the local file) have been read, with the
 * fields `asset-id` (string), `dataset-id` or `location` (string), `count`
 * (guint: annotations, or records of the file), `milliseconds` (guint64)
 * and `refresh` (gboolean).  At EOS an element message
 * `vi-annotations-stats` carries the same fields as #GstViAnnotSrc:stats.
 *
 * Errors: 401 and 403 are `RESOURCE/NOT_AUTHORIZED`, naming the credential
 * to check; 404 is `RESOURCE/NOT_FOUND`, naming the dataset and asset; the
 * server's message is in the debug string and the status in the
 * `http-status-code` details field.  With `on-error=warn` they are
 * warnings and the video keeps flowing without annotations.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! \
 *     viannotsrc location=annotations.jsonl asset-id=street.jpg ! \
 *     videoconvert ! autovideosink
 * ]| Every frame carries the annotations of `street.jpg` from a local file.
 * |[
 * DATATURE_VI_SECRET_KEY=dtvi_… DATATURE_VI_ORGANIZATION_ID=my-org \
 * gst-launch-1.0 multifilesrc location=frame_%06d.jpg index=0 ! jpegdec ! \
 *     viannotsrc dataset-id=my-dataset asset-id-template=frame_%06d.jpg ! \
 *     videoconvert ! autovideosink
 * ]| Frame n carries the annotations of asset `frame_<n>.jpg` of a dataset,
 * fetched ahead of the stream.
 * |[
 * gst-launch-1.0 v4l2src ! viannotsrc dataset-id=my-dataset asset-id=cam0 \
 *     refresh-interval=30 on-error=warn ! fakesink
 * ]| A live source: frames never wait, the annotations are refreshed every
 * 30 seconds, and errors do not stop the video.
 */

#include "config.h"

#include <string.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotelements.h"
#include "gstviannotsrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_vi_annot_src_debug);
#define GST_CAT_DEFAULT gst_vi_annot_src_debug

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_DATASET_ID,
  PROP_ASSET_ID,
  PROP_ASSET_ID_TEMPLATE,
  PROP_ENDPOINT,
  PROP_ORGANIZATION_ID,
  PROP_SECRET_KEY,
  PROP_CONFIG_FILE,
  PROP_PAGE_SIZE,
  PROP_REFRESH_INTERVAL,
  PROP_PREFETCH,
  PROP_MAX_WAIT,
  PROP_ON_ERROR,
  PROP_ATTACH_ROI_META,
  PROP_STATS,
};

#define DEFAULT_LOCATION NULL
#define DEFAULT_DATASET_ID NULL
#define DEFAULT_ASSET_ID NULL
#define DEFAULT_ASSET_ID_TEMPLATE NULL
#define DEFAULT_ENDPOINT NULL
#define DEFAULT_ORGANIZATION_ID NULL
#define DEFAULT_SECRET_KEY NULL
#define DEFAULT_CONFIG_FILE NULL
#define DEFAULT_PAGE_SIZE 1000
#define DEFAULT_REFRESH_INTERVAL 0
#define DEFAULT_PREFETCH 8
#define DEFAULT_MAX_WAIT 10000
#define DEFAULT_ON_ERROR GST_VI_ANNOT_SRC_ON_ERROR_FAIL
#define DEFAULT_ATTACH_ROI_META TRUE

#define MAX_PREFETCH 256
#define MIN_CACHE_SIZE 32

/* What start () copies from the properties: read by the streaming and the
 * worker threads without locking, freed in stop (). */
struct _GstViAnnotSrcConfig
{
  gchar *location;
  gchar *dataset_id;
  gchar *asset_id;
  gboolean template_mode;
  gchar *template_prefix;
  gchar *template_suffix;
  gint template_width;
  gboolean template_zero;
  gchar *endpoint;
  gchar *organization_id;
  gchar *secret_key;
  gchar *config_file;
  guint page_size;
  guint refresh_interval;
  guint prefetch;
  guint max_wait;
  GstViAnnotSrcOnError on_error;
};

typedef enum
{
  ENTRY_NEW,                    /* queued, not requested yet */
  ENTRY_FETCHING,
  ENTRY_READY,
  ENTRY_FAILED,
} EntryState;

/* One asset of the dataset mode, in self->cache. */
typedef struct
{
  gchar *asset_id;
  GstViAnnotSet *set;           /* NULL until fetched */
  EntryState state;
  gboolean in_flight;
  gboolean refresh_queued;
  gint64 fetched_at;            /* monotonic, us */
  guint64 last_use;
  GError *error;                /* ENTRY_FAILED: why */
} Entry;

typedef struct
{
  gchar *asset_id;
  guint64 frame;                /* G_MAXUINT64: never stale */
} QueueItem;

/* One asset of the location mode. */
typedef struct
{
  GstViAnnotSet *set;
  guint count;
} LocalAsset;

typedef struct
{
  GstViAnnotSrc *self;
  gchar *asset_id;
  gint64 start_time;
  gboolean refresh;
} FetchData;

static void gst_vi_annot_src_finalize (GObject * object);
static void gst_vi_annot_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_vi_annot_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);

static GstStateChangeReturn gst_vi_annot_src_change_state (GstElement *
    element, GstStateChange transition);

static gboolean gst_vi_annot_src_start (GstBaseTransform * trans);
static gboolean gst_vi_annot_src_stop (GstBaseTransform * trans);
static gboolean gst_vi_annot_src_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_vi_annot_src_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_vi_annot_src_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void gst_vi_annot_src_unlock (GstViAnnotSrc * self);
static void gst_vi_annot_src_unlock_stop (GstViAnnotSrc * self);
static GstStructure *gst_vi_annot_src_get_stats (GstViAnnotSrc * self);
static gboolean _worker_setup_cb (gpointer user_data);
static gboolean _worker_shutdown_cb (gpointer user_data);
static gboolean _worker_pump_cb (gpointer user_data);
static gboolean _worker_load_cb (gpointer user_data);

#define gst_vi_annot_src_parent_class parent_class
G_DEFINE_TYPE (GstViAnnotSrc, gst_vi_annot_src, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (viannotsrc, "viannotsrc",
    GST_RANK_NONE, GST_TYPE_VI_ANNOT_SRC, viannot_element_init (plugin));

GType
gst_vi_annot_src_on_error_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VI_ANNOT_SRC_ON_ERROR_FAIL,
        "Post an error and stop the stream", "fail"},
    {GST_VI_ANNOT_SRC_ON_ERROR_WARN,
        "Post a warning and keep streaming without annotations", "warn"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstViAnnotSrcOnError", values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

static void
gst_vi_annot_src_class_init (GstViAnnotSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vi_annot_src_debug, "viannotsrc", 0,
      "Datature Vi annotations on video frames");

  gobject_class->finalize = gst_vi_annot_src_finalize;
  gobject_class->set_property = gst_vi_annot_src_set_property;
  gobject_class->get_property = gst_vi_annot_src_get_property;

  /**
   * GstViAnnotSrc:location:
   *
   * A local JSONL annotation file (any form libvi reads: the flat phrase
   * grounding form, the nested form, VQA or a dataset export).  Replaces
   * the dataset: no account and no network.  Without asset-id or
   * asset-id-template, every frame carries the first asset of the file.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Local JSONL annotation file, instead of a dataset "
          "(default: none)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:dataset-id:
   *
   * The dataset whose annotations are fetched through the Vi API.  Needs
   * asset-id or asset-id-template, and credentials.
   */
  g_object_class_install_property (gobject_class, PROP_DATASET_ID,
      g_param_spec_string ("dataset-id", "Dataset id",
          "Dataset whose annotations are fetched (default: none)",
          DEFAULT_DATASET_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:asset-id:
   *
   * The asset whose annotations go on every frame.  Exclusive with
   * asset-id-template.
   */
  g_object_class_install_property (gobject_class, PROP_ASSET_ID,
      g_param_spec_string ("asset-id", "Asset id",
          "Asset whose annotations go on every frame (default: none; in "
          "location mode the first asset of the file)", DEFAULT_ASSET_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:asset-id-template:
   *
   * The asset of frame n, as a printf-like template with one integer
   * conversion (`%d`, `%06d`, `%u`; `%%` is a percent sign), e.g.
   * `frame_%06d.jpg`.  n is the buffer offset when upstream sets it,
   * else the number of frames since the stream started, from 0.
   * Exclusive with asset-id.
   */
  g_object_class_install_property (gobject_class, PROP_ASSET_ID_TEMPLATE,
      g_param_spec_string ("asset-id-template", "Asset id template",
          "Asset of frame n, e.g. frame_%06d: filled with the buffer offset, "
          "or the frame count from 0 when buffers have none (default: none)",
          DEFAULT_ASSET_ID_TEMPLATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:endpoint:
   *
   * The API endpoint.  When unset, `DATATURE_VI_API_ENDPOINT`, else
   * https://api.vi.datature.com.
   */
  g_object_class_install_property (gobject_class, PROP_ENDPOINT,
      g_param_spec_string ("endpoint", "Endpoint",
          "API endpoint (default: none = $DATATURE_VI_API_ENDPOINT, else "
          VI_DEFAULT_ENDPOINT ")", DEFAULT_ENDPOINT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:organization-id:
   *
   * The organization.  When unset, `DATATURE_VI_ORGANIZATION_ID`, then
   * config-file.
   */
  g_object_class_install_property (gobject_class, PROP_ORGANIZATION_ID,
      g_param_spec_string ("organization-id", "Organization id",
          "Organization id (default: none = $DATATURE_VI_ORGANIZATION_ID, "
          "then config-file)", DEFAULT_ORGANIZATION_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:secret-key:
   *
   * The secret key (`dtvi_…`).  Write-only: it cannot be read back and
   * is never logged nor put in a message.  When unset,
   * `DATATURE_VI_SECRET_KEY`, then config-file.
   */
  g_object_class_install_property (gobject_class, PROP_SECRET_KEY,
      g_param_spec_string ("secret-key", "Secret key",
          "Secret key, write-only (default: none = $DATATURE_VI_SECRET_KEY, "
          "then config-file)", DEFAULT_SECRET_KEY,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:config-file:
   *
   * A JSON file with `secret_key` and `organization_id`, for what neither
   * the properties nor the environment give.
   */
  g_object_class_install_property (gobject_class, PROP_CONFIG_FILE,
      g_param_spec_string ("config-file", "Config file",
          "JSON credentials file with secret_key and organization_id "
          "(default: none)", DEFAULT_CONFIG_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:page-size:
   *
   * Annotations asked for per request when listing an asset.
   */
  g_object_class_install_property (gobject_class, PROP_PAGE_SIZE,
      g_param_spec_uint ("page-size", "Page size",
          "Annotations per list request", 1, VI_MAX_PAGE_SIZE,
          DEFAULT_PAGE_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:refresh-interval:
   *
   * Seconds between two fetches of the annotations (the local file is
   * read again), for live use; 0 fetches once.  In template mode an
   * asset older than this is fetched again when a frame asks for it,
   * its previous annotations being used meanwhile.
   */
  g_object_class_install_property (gobject_class, PROP_REFRESH_INTERVAL,
      g_param_spec_uint ("refresh-interval", "Refresh interval",
          "Seconds between two fetches of the annotations (0 = never)",
          0, 24 * 3600, DEFAULT_REFRESH_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:prefetch:
   *
   * Template mode: how many assets, from the current frame on, are
   * fetched ahead, and how many requests may be in flight.
   */
  g_object_class_install_property (gobject_class, PROP_PREFETCH,
      g_param_spec_uint ("prefetch", "Prefetch",
          "Template mode: assets fetched ahead of the current frame "
          "(and requests in flight)", 1, MAX_PREFETCH, DEFAULT_PREFETCH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:max-wait:
   *
   * How long, in milliseconds, a frame of a non-live pipeline waits for
   * its annotations before it passes without them.  Live pipelines
   * never wait.  0 never waits.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_WAIT,
      g_param_spec_uint ("max-wait", "Max wait",
          "Non-live pipelines: ms a frame waits for its annotations "
          "(0 = never wait; live pipelines never wait)", 0, G_MAXUINT,
          DEFAULT_MAX_WAIT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:on-error:
   *
   * What a failed fetch does: `fail` posts an error and stops the
   * stream, `warn` posts a warning and keeps the video flowing without
   * annotations.  Configuration errors always fail, in start.
   */
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What a failed fetch does", GST_TYPE_VI_ANNOT_SRC_ON_ERROR,
          DEFAULT_ON_ERROR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:attach-roi-meta:
   *
   * Also attach one #GstVideoRegionOfInterestMeta per box, in pixels of
   * the current caps, with `vi/annotation` and `detection` parameters,
   * for elements that understand ROI metas.  May change while playing.
   */
  g_object_class_install_property (gobject_class, PROP_ATTACH_ROI_META,
      g_param_spec_boolean ("attach-roi-meta", "Attach ROI meta",
          "Also attach a GstVideoRegionOfInterestMeta per box",
          DEFAULT_ATTACH_ROI_META,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotSrc:stats:
   *
   * Statistics: `frames`, `frames-annotated`, `frames-missed` (passed,
   * live, before their annotations were there), `frames-timed-out`
   * (waited max-wait in vain), `fetches`, `fetch-errors`, `refreshes`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Frames annotated, missed, timed out; fetches and errors",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Vi dataset annotations", "Filter/Metadata/Video",
      "Attaches the annotations of a Datature Vi dataset or of a local "
      "JSONL file to video frames, without touching the pixels",
      "The viannot authors");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_vi_annot_src_change_state);

  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_vi_annot_src_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_vi_annot_src_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_vi_annot_src_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_vi_annot_src_sink_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_vi_annot_src_transform_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_VI_ANNOT_SRC_ON_ERROR, 0);
}

static void
gst_vi_annot_src_init (GstViAnnotSrc * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->page_size = DEFAULT_PAGE_SIZE;
  self->refresh_interval = DEFAULT_REFRESH_INTERVAL;
  self->prefetch = DEFAULT_PREFETCH;
  self->max_wait = DEFAULT_MAX_WAIT;
  self->on_error = DEFAULT_ON_ERROR;
  self->attach_roi_meta = DEFAULT_ATTACH_ROI_META;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);

  gst_video_info_init (&self->info);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static void
wipe_secret (gchar ** secret)
{
  if (*secret != NULL) {
    memset (*secret, 0, strlen (*secret));
    g_clear_pointer (secret, g_free);
  }
}

static void
gst_vi_annot_src_finalize (GObject * object)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (object);

  g_free (self->location);
  g_free (self->dataset_id);
  g_free (self->asset_id);
  g_free (self->asset_id_template);
  g_free (self->endpoint);
  g_free (self->organization_id);
  wipe_secret (&self->secret_key);
  g_free (self->config_file);

  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
set_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
  if (*field != NULL && **field == '\0')
    g_clear_pointer (field, g_free);
}

static void
gst_vi_annot_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (object);

  GST_OBJECT_LOCK (self);
  /* Connection parameters are taken in start (): refuse them later, as
   * filesrc refuses a new location. */
  if (prop_id != PROP_ATTACH_ROI_META && GST_STATE (self) > GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "property '%s' can only be set in NULL or "
        "READY state", pspec->name);
    return;
  }

  switch (prop_id) {
    case PROP_LOCATION:
      set_string (&self->location, value);
      break;
    case PROP_DATASET_ID:
      set_string (&self->dataset_id, value);
      break;
    case PROP_ASSET_ID:
      set_string (&self->asset_id, value);
      break;
    case PROP_ASSET_ID_TEMPLATE:
      set_string (&self->asset_id_template, value);
      break;
    case PROP_ENDPOINT:
      set_string (&self->endpoint, value);
      break;
    case PROP_ORGANIZATION_ID:
      set_string (&self->organization_id, value);
      break;
    case PROP_SECRET_KEY:
      wipe_secret (&self->secret_key);
      set_string (&self->secret_key, value);
      break;
    case PROP_CONFIG_FILE:
      set_string (&self->config_file, value);
      break;
    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;
    case PROP_REFRESH_INTERVAL:
      self->refresh_interval = g_value_get_uint (value);
      break;
    case PROP_PREFETCH:
      self->prefetch = g_value_get_uint (value);
      break;
    case PROP_MAX_WAIT:
      self->max_wait = g_value_get_uint (value);
      break;
    case PROP_ON_ERROR:
      self->on_error = g_value_get_enum (value);
      break;
    case PROP_ATTACH_ROI_META:
      g_atomic_int_set (&self->attach_roi_meta, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_vi_annot_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_vi_annot_src_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_DATASET_ID:
      g_value_set_string (value, self->dataset_id);
      break;
    case PROP_ASSET_ID:
      g_value_set_string (value, self->asset_id);
      break;
    case PROP_ASSET_ID_TEMPLATE:
      g_value_set_string (value, self->asset_id_template);
      break;
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_ORGANIZATION_ID:
      g_value_set_string (value, self->organization_id);
      break;
    case PROP_CONFIG_FILE:
      g_value_set_string (value, self->config_file);
      break;
    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;
    case PROP_REFRESH_INTERVAL:
      g_value_set_uint (value, self->refresh_interval);
      break;
    case PROP_PREFETCH:
      g_value_set_uint (value, self->prefetch);
      break;
    case PROP_MAX_WAIT:
      g_value_set_uint (value, self->max_wait);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->on_error);
      break;
    case PROP_ATTACH_ROI_META:
      g_value_set_boolean (value, g_atomic_int_get (&self->attach_roi_meta));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------ */
/* helpers */

static void
config_free (GstViAnnotSrcConfig * cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->location);
  g_free (cfg->dataset_id);
  g_free (cfg->asset_id);
  g_free (cfg->template_prefix);
  g_free (cfg->template_suffix);
  g_free (cfg->endpoint);
  g_free (cfg->organization_id);
  wipe_secret (&cfg->secret_key);
  g_free (cfg->config_file);
  g_free (cfg);
}

static void
entry_free (Entry * entry)
{
  g_free (entry->asset_id);
  g_clear_pointer (&entry->set, gst_vi_annot_set_unref);
  g_clear_error (&entry->error);
  g_free (entry);
}

static void
queue_item_free (QueueItem * item)
{
  g_free (item->asset_id);
  g_free (item);
}

static void
local_asset_free (LocalAsset * asset)
{
  g_clear_pointer (&asset->set, gst_vi_annot_set_unref);
  g_free (asset);
}

/* Splits "frame_%06d.jpg" into prefix, width, zero flag and suffix.  The
 * template is never handed to printf: it comes from the user. */
static gboolean
parse_template (const gchar * tmpl, GstViAnnotSrcConfig * cfg,
    gchar ** reason)
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
      if (width > 64)
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
    cfg->template_zero = zero;
    cfg->template_width = width;
    cur = suffix;
    p = q;
  }
  if (!found)
    goto no_conversion;

  cfg->template_prefix = g_string_free (prefix, FALSE);
  cfg->template_suffix = g_string_free (suffix, FALSE);
  return TRUE;

  /* ERRORS */
bad_width:
  *reason = g_strdup ("the field width is larger than 64");
  goto fail;
bad_conversion:
  *reason = g_strdup ("only integer conversions (%d, %06d, %u) and %% "
      "are allowed");
  goto fail;
two_conversions:
  *reason = g_strdup ("it has more than one conversion");
  goto fail;
no_conversion:
  *reason = g_strdup ("it has no conversion for the frame number (%d)");
  goto fail;
fail:
  g_string_free (prefix, TRUE);
  g_string_free (suffix, TRUE);
  return FALSE;
}

static gchar *
format_asset_id (const GstViAnnotSrcConfig * cfg, guint64 frame)
{
  if (cfg->template_zero)
    return g_strdup_printf ("%s%0*" G_GUINT64_FORMAT "%s",
        cfg->template_prefix, cfg->template_width, frame,
        cfg->template_suffix);
  return g_strdup_printf ("%s%*" G_GUINT64_FORMAT "%s", cfg->template_prefix,
      cfg->template_width, frame, cfg->template_suffix);
}

static GstStructure *
gst_vi_annot_src_get_stats (GstViAnnotSrc * self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("vi-annotations-stats",
      "frames", G_TYPE_UINT64, self->n_frames,
      "frames-annotated", G_TYPE_UINT64, self->n_annotated,
      "frames-missed", G_TYPE_UINT64, self->n_missed,
      "frames-timed-out", G_TYPE_UINT64, self->n_timed_out,
      "fetches", G_TYPE_UINT64, self->n_fetches,
      "fetch-errors", G_TYPE_UINT64, self->n_fetch_errors,
      "refreshes", G_TYPE_UINT64, self->n_refreshes, NULL);
  g_mutex_unlock (&self->lock);

  return s;
}

static void
post_fetched (GstViAnnotSrc * self, const gchar * asset_id, guint count,
    gint64 start_time, gboolean refresh)
{
  GstStructure *s;
  guint64 ms = (g_get_monotonic_time () - start_time) / 1000;

  s = gst_structure_new ("vi-annotations-fetched",
      "asset-id", G_TYPE_STRING, asset_id,
      "count", G_TYPE_UINT, count,
      "milliseconds", G_TYPE_UINT64, ms,
      "refresh", G_TYPE_BOOLEAN, refresh, NULL);
  if (self->cfg->location != NULL)
    gst_structure_set (s, "location", G_TYPE_STRING, self->cfg->location,
        NULL);
  else
    gst_structure_set (s, "dataset-id", G_TYPE_STRING, self->cfg->dataset_id,
        NULL);

  GST_DEBUG_OBJECT (self, "fetched %u annotations of '%s' in %"
      G_GUINT64_FORMAT " ms", count, GST_STR_NULL (asset_id), ms);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* Maps a fetch error to an element error or warning (style.md convention
 * 9).  The debug string has the server's message, never the key. */
static void
post_fetch_error (GstViAnnotSrc * self, const GError * error,
    const gchar * asset_id, gboolean warn)
{
  const GstViAnnotSrcConfig *cfg = self->cfg;
  GstResourceError code;
  gchar *text, *debug;
  guint status = 0;
  const gchar *server_message = NULL;
  GstStructure *details;

  if (error->domain == VI_ERROR) {
    status = vi_error_get_http_status (error);
    server_message = vi_error_get_server_message (error);
  }

  if (cfg->location != NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
        g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
        (error->domain == VI_ERROR && error->code == VI_ERROR_NOT_FOUND)) {
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      if (asset_id != NULL && error->domain == VI_ERROR)
        text = g_strdup_printf ("Asset \"%s\" is not in \"%s\".", asset_id,
            cfg->location);
      else
        text = g_strdup_printf ("Could not open \"%s\".", cfg->location);
    } else {
      code = GST_RESOURCE_ERROR_READ;
      text = g_strdup_printf ("Could not read the annotations of \"%s\".",
          cfg->location);
    }
  } else if (status == 401 || (error->domain == VI_ERROR &&
          error->code == VI_ERROR_AUTHENTICATION)) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    text = g_strdup ("The Vi API refused the secret key: check "
        "DATATURE_VI_SECRET_KEY (or the secret-key property / config-file).");
  } else if (status == 403 || (error->domain == VI_ERROR &&
          error->code == VI_ERROR_PERMISSION)) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    text = g_strdup_printf ("The secret key may not read dataset \"%s\": "
        "check organization-id (DATATURE_VI_ORGANIZATION_ID) and the key's "
        "permissions.", cfg->dataset_id);
  } else if (status == 404 || (error->domain == VI_ERROR &&
          error->code == VI_ERROR_NOT_FOUND)) {
    code = GST_RESOURCE_ERROR_NOT_FOUND;
    text = g_strdup_printf ("Dataset \"%s\" or asset \"%s\" not found: "
        "check dataset-id and %s.", cfg->dataset_id, GST_STR_NULL (asset_id),
        cfg->template_mode ? "asset-id-template" : "asset-id");
  } else {
    code = GST_RESOURCE_ERROR_OPEN_READ;
    text = g_strdup_printf ("Could not fetch the annotations of asset \"%s\" "
        "of dataset \"%s\".", GST_STR_NULL (asset_id), cfg->dataset_id);
  }

  debug = g_strdup_printf ("%s (HTTP status %u, server message: %s, "
      "endpoint %s, organization %s, dataset %s, asset %s)",
      error->message, status, GST_STR_NULL (server_message),
      self->client ? vi_client_get_endpoint (self->client) :
      GST_STR_NULL (cfg->endpoint), GST_STR_NULL (cfg->organization_id),
      GST_STR_NULL (cfg->dataset_id), GST_STR_NULL (asset_id));

  details = gst_structure_new ("details",
      "http-status-code", G_TYPE_UINT, status,
      "vi-error-code", G_TYPE_INT,
      error->domain == VI_ERROR ? error->code : -1, NULL);

  gst_element_message_full_with_details (GST_ELEMENT_CAST (self),
      warn ? GST_MESSAGE_WARNING : GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      code, text, debug, __FILE__, GST_FUNCTION, __LINE__, details);
}

/* ------------------------------------------------------------------ */
/* worker thread */

/* Called with the lock. */
static void
schedule_pump_locked (GstViAnnotSrc * self)
{
  if (self->pump_scheduled || self->worker == NULL)
    return;
  self->pump_scheduled = TRUE;
  gst_vi_annot_worker_invoke (self->worker, _worker_pump_cb, self, NULL);
}

/* Called with the lock: queue asset for fetching unless it is there. */
static Entry *
request_asset_locked (GstViAnnotSrc * self, const gchar * asset_id,
    guint64 frame)
{
  Entry *entry = g_hash_table_lookup (self->cache, asset_id);
  QueueItem *item;

  if (entry != NULL)
    return entry;

  entry = g_new0 (Entry, 1);
  entry->asset_id = g_strdup (asset_id);
  entry->state = ENTRY_NEW;
  entry->last_use = ++self->use_clock;
  g_hash_table_insert (self->cache, entry->asset_id, entry);

  item = g_new0 (QueueItem, 1);
  item->asset_id = g_strdup (asset_id);
  item->frame = frame;
  g_queue_push_tail (&self->queue, item);
  schedule_pump_locked (self);

  return entry;
}

/* Called with the lock: a fetched asset is fetched again, the current
 * set staying in use meanwhile. */
static void
request_refresh_locked (GstViAnnotSrc * self, Entry * entry)
{
  QueueItem *item;

  if (entry->in_flight || entry->refresh_queued)
    return;
  entry->refresh_queued = TRUE;
  item = g_new0 (QueueItem, 1);
  item->asset_id = g_strdup (entry->asset_id);
  item->frame = G_MAXUINT64;
  g_queue_push_tail (&self->queue, item);
  schedule_pump_locked (self);
}

/* Called with the lock: keeps the cache bounded, evicting the least
 * recently used entries that are neither in flight nor queued. */
static void
evict_locked (GstViAnnotSrc * self)
{
  guint capacity = MAX (self->cfg->prefetch * 4, MIN_CACHE_SIZE);

  while (g_hash_table_size (self->cache) > capacity) {
    GHashTableIter iter;
    gpointer value;
    Entry *oldest = NULL;

    g_hash_table_iter_init (&iter, self->cache);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      Entry *e = value;

      if (e->in_flight || e->state == ENTRY_NEW || e->refresh_queued)
        continue;
      if (oldest == NULL || e->last_use < oldest->last_use)
        oldest = e;
    }
    if (oldest == NULL)
      break;
    g_hash_table_remove (self->cache, oldest->asset_id);
  }
}

static void
worker_finish (GstViAnnotSrc * self)
{
  /* The client was created on this thread, with its soup session: it
   * goes away here too. */
  g_clear_object (&self->client);
  gst_vi_annot_worker_quit (self->worker);
}

static void
_fetch_done_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  FetchData *fd = user_data;
  GstViAnnotSrc *self = fd->self;
  GError *error = NULL;
  GPtrArray *annotations;
  GstViAnnotSet *set = NULL, *old = NULL;
  Entry *entry;
  gboolean post_warning = FALSE;
  guint count = 0;

  annotations = vi_client_list_all_annotations_finish (VI_CLIENT (source),
      result, &error);
  if (annotations != NULL) {
    count = annotations->len;
    set = gst_vi_annot_set_new_from_annotations (self->cfg->dataset_id,
        fd->asset_id, annotations);
    g_ptr_array_unref (annotations);
  }

  g_mutex_lock (&self->lock);
  self->in_flight--;
  entry = g_hash_table_lookup (self->cache, fd->asset_id);
  if (entry != NULL) {
    entry->in_flight = FALSE;
    if (set != NULL) {
      old = entry->set;
      entry->set = set;
      set = NULL;
      entry->state = ENTRY_READY;
      entry->fetched_at = g_get_monotonic_time ();
      if (fd->refresh)
        self->n_refreshes++;
    } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      if (entry->set == NULL)
        entry->state = ENTRY_NEW;
    } else if (entry->set != NULL) {
      /* A refresh failed: keep what we have. */
      self->n_fetch_errors++;
      entry->fetched_at = g_get_monotonic_time ();
      post_warning = !self->warned_refresh;
      self->warned_refresh = TRUE;
    } else {
      /* Reported when a frame asks for this asset, not before: a
       * prefetch past the end of the stream is no error. */
      self->n_fetch_errors++;
      entry->state = ENTRY_FAILED;
      g_clear_error (&entry->error);
      entry->error = g_error_copy (error);
    }
  }
  g_cond_broadcast (&self->cond);
  if (!self->shutting_down)
    schedule_pump_locked (self);
  g_mutex_unlock (&self->lock);

  if (old != NULL)
    gst_vi_annot_set_unref (old);
  if (set != NULL)
    gst_vi_annot_set_unref (set);

  if (annotations != NULL) {
    post_fetched (self, fd->asset_id, count, fd->start_time, fd->refresh);
  } else if (post_warning) {
    post_fetch_error (self, error, fd->asset_id, TRUE);
  } else if (error != NULL && !g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED)) {
    GST_INFO_OBJECT (self, "fetching '%s' failed: %s", fd->asset_id,
        error->message);
  }

  g_clear_error (&error);
  g_free (fd->asset_id);
  g_free (fd);

  if (self->shutting_down && self->in_flight == 0)
    worker_finish (self);
}

/* Starts queued fetches, up to prefetch in flight. */
static gboolean
_worker_pump_cb (gpointer user_data)
{
  GstViAnnotSrc *self = user_data;
  guint max_in_flight = self->cfg->template_mode ? self->cfg->prefetch : 1;

  g_mutex_lock (&self->lock);
  self->pump_scheduled = FALSE;
  while (!self->shutting_down && self->client != NULL &&
      self->in_flight < max_in_flight) {
    QueueItem *item = g_queue_pop_head (&self->queue);
    Entry *entry;
    FetchData *fd;

    if (item == NULL)
      break;
    entry = g_hash_table_lookup (self->cache, item->asset_id);
    if (entry == NULL || entry->in_flight) {
      queue_item_free (item);
      continue;
    }
    /* Live template mode: frames that went by need nothing. */
    if (item->frame != G_MAXUINT64 && item->frame < self->current_frame &&
        entry->state == ENTRY_NEW) {
      g_hash_table_remove (self->cache, item->asset_id);
      queue_item_free (item);
      continue;
    }

    fd = g_new0 (FetchData, 1);
    fd->self = self;
    fd->asset_id = g_strdup (item->asset_id);
    fd->start_time = g_get_monotonic_time ();
    fd->refresh = entry->set != NULL;
    entry->in_flight = TRUE;
    entry->refresh_queued = FALSE;
    if (entry->state == ENTRY_NEW)
      entry->state = ENTRY_FETCHING;
    self->in_flight++;
    self->n_fetches++;
    queue_item_free (item);

    GST_LOG_OBJECT (self, "fetching '%s'", fd->asset_id);
    vi_client_list_all_annotations_async (self->client,
        self->cfg->dataset_id, fd->asset_id, self->cfg->page_size,
        self->cancellable, _fetch_done_cb, fd);
  }
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

/* Location mode: reads the whole file into an immutable table of sets,
 * swapped in under the lock. */
static gboolean
_worker_load_cb (gpointer user_data)
{
  GstViAnnotSrc *self = user_data;
  const GstViAnnotSrcConfig *cfg = self->cfg;
  ViJsonlReader *reader;
  GError *error = NULL;
  GHashTable *groups = NULL, *table = NULL, *old_table = NULL;
  GPtrArray *order = NULL;
  gchar *first = NULL;
  gint64 start_time = g_get_monotonic_time ();
  gboolean refresh;
  guint n_records = 0, i;

  if (self->shutting_down)
    return G_SOURCE_REMOVE;

  reader = vi_jsonl_reader_new_for_path (cfg->location, &error);
  if (reader == NULL)
    goto failed;
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_WARN);

  groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  order = g_ptr_array_new_with_free_func (g_free);
  for (;;) {
    ViJsonlRecord *record = vi_jsonl_reader_next (reader, self->cancellable,
        &error);
    const gchar *asset;
    GPtrArray *records;

    if (record == NULL)
      break;
    n_records++;
    asset = vi_jsonl_record_get_asset_id (record);
    if (asset == NULL)
      asset = "";
    records = g_hash_table_lookup (groups, asset);
    if (records == NULL) {
      records = g_ptr_array_new_with_free_func ((GDestroyNotify)
          vi_jsonl_record_unref);
      g_hash_table_insert (groups, g_strdup (asset), records);
      g_ptr_array_add (order, g_strdup (asset));
    }
    g_ptr_array_add (records, record);
  }
  g_object_unref (reader);
  if (error != NULL)
    goto failed;

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) local_asset_free);
  for (i = 0; i < order->len; i++) {
    const gchar *asset = g_ptr_array_index (order, i);
    GPtrArray *records = g_hash_table_lookup (groups, asset);
    LocalAsset *la = g_new0 (LocalAsset, 1);

    la->set = gst_vi_annot_set_new_from_records (cfg->dataset_id, asset,
        records);
    la->count = records->len;
    g_hash_table_insert (table, g_strdup (asset), la);
  }
  if (order->len > 0)
    first = g_strdup (g_ptr_array_index (order, 0));
  g_ptr_array_unref (order);
  g_hash_table_unref (groups);

  g_mutex_lock (&self->lock);
  refresh = self->local_table != NULL;
  old_table = self->local_table;
  self->local_table = table;
  g_free (self->local_first_asset);
  self->local_first_asset = first;
  if (refresh)
    self->n_refreshes++;
  self->n_fetches++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (old_table != NULL)
    g_hash_table_unref (old_table);

  {
    const gchar *asset = cfg->asset_id;
    guint count = n_records;

    if (asset == NULL && !cfg->template_mode)
      asset = first;
    if (asset != NULL && !cfg->template_mode) {
      LocalAsset *la = g_hash_table_lookup (table, asset);
      count = la ? la->count : 0;
    }
    post_fetched (self, cfg->template_mode ? NULL : asset, count, start_time,
        refresh);
  }

  return G_SOURCE_REMOVE;

failed:
  if (order != NULL)
    g_ptr_array_unref (order);
  if (groups != NULL)
    g_hash_table_unref (groups);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_error (&error);
    return G_SOURCE_REMOVE;
  }
  g_mutex_lock (&self->lock);
  self->n_fetch_errors++;
  if (self->local_table == NULL && self->load_error == NULL) {
    self->load_error = error;
    error = NULL;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (error != NULL) {
    /* A reload failed: keep the previous annotations. */
    post_fetch_error (self, error, NULL, TRUE);
    g_clear_error (&error);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
_worker_refresh_cb (gpointer user_data)
{
  GstViAnnotSrc *self = user_data;

  if (self->shutting_down)
    return G_SOURCE_REMOVE;

  if (self->cfg->location != NULL) {
    _worker_load_cb (self);
  } else if (!self->cfg->template_mode) {
    Entry *entry;

    g_mutex_lock (&self->lock);
    entry = g_hash_table_lookup (self->cache, self->cfg->asset_id);
    if (entry != NULL && entry->state != ENTRY_NEW)
      request_refresh_locked (self, entry);
    g_mutex_unlock (&self->lock);
  }

  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GstViAnnotSrc *self;
  GError *error;
  gboolean done;
} SetupData;

/* Runs on the worker: creates the client there (no network), then starts
 * the first fetch so that it overlaps the preroll. */
static gboolean
_worker_setup_cb (gpointer user_data)
{
  SetupData *sd = user_data;
  GstViAnnotSrc *self = sd->self;
  const GstViAnnotSrcConfig *cfg = self->cfg;
  GError *error = NULL;

  if (cfg->location == NULL) {
    self->client = vi_client_new (cfg->endpoint, cfg->secret_key,
        cfg->organization_id, cfg->config_file, &error);
  }

  if (error == NULL) {
    if (cfg->refresh_interval > 0 && (cfg->location != NULL ||
            !cfg->template_mode))
      self->refresh_source = gst_vi_annot_worker_add_timeout (self->worker,
          cfg->refresh_interval * 1000, _worker_refresh_cb, self, NULL);

    if (cfg->location != NULL) {
      gst_vi_annot_worker_invoke (self->worker, _worker_load_cb, self, NULL);
    } else {
      g_mutex_lock (&self->lock);
      if (!cfg->template_mode) {
        request_asset_locked (self, cfg->asset_id, G_MAXUINT64);
      } else {
        guint i;

        for (i = 0; i < cfg->prefetch; i++) {
          gchar *asset = format_asset_id (cfg, i);

          request_asset_locked (self, asset, i);
          g_free (asset);
        }
        self->next_prefetch = cfg->prefetch;
      }
      g_mutex_unlock (&self->lock);
    }
  }

  g_mutex_lock (&self->lock);
  sd->error = error;
  sd->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

static gboolean
_worker_shutdown_cb (gpointer user_data)
{
  GstViAnnotSrc *self = user_data;

  self->shutting_down = TRUE;
  if (self->refresh_source != NULL) {
    g_source_destroy (self->refresh_source);
    g_clear_pointer (&self->refresh_source, g_source_unref);
  }
  if (self->in_flight == 0)
    worker_finish (self);

  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* streaming thread */

/* Called with the lock.  Returns a ref to the set of asset_id when there
 * is one; *done when waiting longer would not help; *error when fetching
 * the annotations of this frame failed. */
static GstViAnnotSet *
lookup_set_locked (GstViAnnotSrc * self, const gchar * asset_id,
    guint64 frame, gboolean * done, GError ** error)
{
  const GstViAnnotSrcConfig *cfg = self->cfg;

  *done = FALSE;

  if (cfg->location != NULL) {
    LocalAsset *la;

    if (self->load_error != NULL) {
      *done = TRUE;
      *error = g_error_copy (self->load_error);
      return NULL;
    }
    if (self->local_table == NULL)
      return NULL;
    *done = TRUE;
    if (asset_id == NULL)
      asset_id = self->local_first_asset;
    if (asset_id == NULL)
      return NULL;
    la = g_hash_table_lookup (self->local_table, asset_id);
    if (la == NULL) {
      /* An explicit asset must be there; frames of a template may have
       * no annotations. */
      if (!cfg->template_mode)
        *error = g_error_new (VI_ERROR, VI_ERROR_NOT_FOUND,
            "asset \"%s\" is not in \"%s\"", asset_id, cfg->location);
      return NULL;
    }
    return gst_vi_annot_set_ref (la->set);
  } else {
    Entry *entry = g_hash_table_lookup (self->cache, asset_id);

    if (entry == NULL) {
      /* Evicted, or a jump in the stream: ask for it now. */
      entry = request_asset_locked (self, asset_id, frame);
    }
    entry->last_use = ++self->use_clock;
    if (entry->state == ENTRY_FAILED) {
      *done = TRUE;
      if (entry->error != NULL)
        *error = g_error_copy (entry->error);
      return NULL;
    }
    if (entry->set == NULL)
      return NULL;
    *done = TRUE;
    if (cfg->template_mode && cfg->refresh_interval > 0 &&
        g_get_monotonic_time () - entry->fetched_at >
        (gint64) cfg->refresh_interval * G_USEC_PER_SEC)
      request_refresh_locked (self, entry);
    return gst_vi_annot_set_ref (entry->set);
  }
}

/* Called with the lock: queues the assets of the frames ahead. */
static void
prefetch_locked (GstViAnnotSrc * self, guint64 frame)
{
  const GstViAnnotSrcConfig *cfg = self->cfg;

  if (frame < self->current_frame || frame > self->next_prefetch)
    self->next_prefetch = frame;
  self->current_frame = frame;

  while (self->next_prefetch < frame + cfg->prefetch) {
    gchar *asset = format_asset_id (cfg, self->next_prefetch);

    request_asset_locked (self, asset, self->next_prefetch);
    g_free (asset);
    self->next_prefetch++;
  }
  evict_locked (self);
}

static gboolean
query_is_live (GstViAnnotSrc * self)
{
  GstQuery *query = gst_query_new_latency ();
  gboolean live = FALSE;

  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  gst_query_unref (query);

  GST_DEBUG_OBJECT (self, "upstream is %slive", live ? "" : "not ");
  return live;
}

static GstFlowReturn
gst_vi_annot_src_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  const GstViAnnotSrcConfig *cfg = self->cfg;
  GstViAnnotSet *set = NULL;
  GError *error = NULL;
  gchar *asset_id = NULL;
  guint64 frame;
  gint64 deadline = 0;
  gboolean done, timed_out = FALSE, missed = FALSE;
  gboolean warn = cfg->on_error == GST_VI_ANNOT_SRC_ON_ERROR_WARN;

  if (self->error_posted)
    return GST_FLOW_ERROR;

  if (!self->live_checked) {
    self->live = query_is_live (self);
    self->live_checked = TRUE;
  }

  frame = GST_BUFFER_OFFSET_IS_VALID (buf) ? GST_BUFFER_OFFSET (buf) :
      self->frame_count;
  self->frame_count++;

  if (cfg->template_mode)
    asset_id = format_asset_id (cfg, frame);
  else if (cfg->asset_id != NULL)
    asset_id = g_strdup (cfg->asset_id);

  g_mutex_lock (&self->lock);
  if (cfg->template_mode && cfg->location == NULL)
    prefetch_locked (self, frame);
  self->n_frames++;

  for (;;) {
    if (self->flushing)
      goto flushing;
    set = lookup_set_locked (self, asset_id, frame, &done, &error);
    if (done)
      break;
    if (self->live || cfg->max_wait == 0) {
      missed = TRUE;
      break;
    }
    if (deadline == 0)
      deadline = g_get_monotonic_time () +
          (gint64) cfg->max_wait * G_TIME_SPAN_MILLISECOND;
    GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " waits for '%s'",
        frame, GST_STR_NULL (asset_id));
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline)) {
      if (self->flushing)
        goto flushing;
      set = lookup_set_locked (self, asset_id, frame, &done, &error);
      timed_out = !done;
      break;
    }
  }

  if (missed)
    self->n_missed++;
  if (timed_out)
    self->n_timed_out++;
  if (set != NULL)
    self->n_annotated++;
  /* on-error=warn: one warning per run, not one per frame. */
  if (error != NULL && warn) {
    if (self->warned)
      g_clear_error (&error);
    self->warned = TRUE;
  }
  g_mutex_unlock (&self->lock);

  if (error != NULL) {
    post_fetch_error (self, error, asset_id, warn);
    g_clear_error (&error);
    if (!warn) {
      self->error_posted = TRUE;
      g_clear_pointer (&set, gst_vi_annot_set_unref);
      g_free (asset_id);
      return GST_FLOW_ERROR;
    }
  }

  if (timed_out)
    GST_WARNING_OBJECT (self, "no annotations for frame %" G_GUINT64_FORMAT
        " ('%s') after %u ms", frame, GST_STR_NULL (asset_id), cfg->max_wait);

  if (set != NULL) {
    GstViAnnotMeta *meta = gst_buffer_add_vi_annot_meta (buf, set);

    if (meta != NULL && self->have_info &&
        g_atomic_int_get (&self->attach_roi_meta))
      gst_vi_annot_meta_add_roi_metas (meta, buf, &self->info);
    gst_vi_annot_set_unref (set);
  }
  g_free (asset_id);

  return GST_FLOW_OK;

flushing:
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&set, gst_vi_annot_set_unref);
  g_clear_error (&error);
  g_free (asset_id);
  GST_DEBUG_OBJECT (self, "flushing");
  return GST_FLOW_FLUSHING;
}

/* ------------------------------------------------------------------ */
/* vfuncs */

static void
gst_vi_annot_src_unlock (GstViAnnotSrc * self)
{
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gst_vi_annot_src_unlock_stop (GstViAnnotSrc * self)
{
  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
gst_vi_annot_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (element);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_vi_annot_src_unlock_stop (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* The streaming thread may wait for annotations while holding the
       * stream lock that deactivating the pads needs. */
      gst_vi_annot_src_unlock (self);
      break;
    default:
      break;
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_vi_annot_src_start (GstBaseTransform * trans)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  GstViAnnotSrcConfig *cfg = g_new0 (GstViAnnotSrcConfig, 1);
  SetupData sd = { self, NULL, FALSE };
  gchar *reason = NULL;
  gchar *asset_id_template;

  GST_OBJECT_LOCK (self);
  cfg->location = g_strdup (self->location);
  cfg->dataset_id = g_strdup (self->dataset_id);
  cfg->asset_id = g_strdup (self->asset_id);
  asset_id_template = g_strdup (self->asset_id_template);
  cfg->endpoint = g_strdup (self->endpoint);
  cfg->organization_id = g_strdup (self->organization_id);
  cfg->secret_key = g_strdup (self->secret_key);
  cfg->config_file = g_strdup (self->config_file);
  cfg->page_size = self->page_size;
  cfg->refresh_interval = self->refresh_interval;
  cfg->prefetch = self->prefetch;
  cfg->max_wait = self->max_wait;
  cfg->on_error = self->on_error;
  GST_OBJECT_UNLOCK (self);

  if (cfg->location == NULL && cfg->dataset_id == NULL)
    goto no_source;
  if (cfg->location == NULL && cfg->asset_id == NULL &&
      asset_id_template == NULL)
    goto no_asset;
  if (cfg->asset_id != NULL && asset_id_template != NULL)
    goto both_assets;
  if (asset_id_template != NULL) {
    if (!parse_template (asset_id_template, cfg, &reason))
      goto bad_template;
    cfg->template_mode = TRUE;
  }
  if (cfg->location != NULL &&
      !g_file_test (cfg->location, G_FILE_TEST_IS_REGULAR))
    goto no_file;
  if (cfg->dataset_id != NULL &&
      !vi_validate_id ("dataset-id", cfg->dataset_id, NULL))
    goto bad_dataset;

  GST_DEBUG_OBJECT (self, "starting: %s %s, asset %s%s",
      cfg->location ? "location" : "dataset",
      cfg->location ? cfg->location : cfg->dataset_id,
      cfg->template_mode ? "template " : "",
      cfg->template_mode ? asset_id_template : GST_STR_NULL (cfg->asset_id));
  g_free (asset_id_template);

  self->cfg = cfg;
  self->cancellable = g_cancellable_new ();
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) entry_free);
  self->shutting_down = FALSE;
  self->in_flight = 0;
  self->warned_refresh = FALSE;
  self->live_checked = FALSE;
  self->frame_count = 0;
  self->next_prefetch = 0;
  self->error_posted = FALSE;
  self->have_info = FALSE;

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->warned = FALSE;
  self->current_frame = 0;
  self->use_clock = 0;
  self->n_frames = self->n_annotated = self->n_missed = 0;
  self->n_timed_out = self->n_fetches = self->n_fetch_errors = 0;
  self->n_refreshes = 0;
  g_mutex_unlock (&self->lock);

  /* Only a thread is started here: the client is created on it (reading
   * credentials, no network) and the first fetch begins there. */
  self->worker = gst_vi_annot_worker_new ("viannotsrc");
  gst_vi_annot_worker_invoke (self->worker, _worker_setup_cb, &sd, NULL);
  g_mutex_lock (&self->lock);
  while (!sd.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (sd.error != NULL)
    goto no_client;

  return TRUE;

  /* ERRORS */
no_source:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No annotations to read: set dataset-id (with credentials) or "
            "location."), (NULL));
    goto fail;
  }
no_asset:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("dataset-id \"%s\" needs asset-id or asset-id-template.",
            cfg->dataset_id), (NULL));
    goto fail;
  }
both_assets:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("asset-id and asset-id-template are exclusive: set only one."),
        (NULL));
    goto fail;
  }
bad_template:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid asset-id-template \"%s\": %s.", asset_id_template, reason),
        (NULL));
    g_free (reason);
    goto fail;
  }
no_file:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Annotation file \"%s\" does not exist or is not a file.",
            cfg->location), GST_ERROR_SYSTEM);
    goto fail;
  }
bad_dataset:
  {
    GError *error = NULL;

    vi_validate_id ("dataset-id", cfg->dataset_id, &error);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid dataset-id \"%s\".", cfg->dataset_id), ("%s",
            error->message));
    g_clear_error (&error);
    goto fail;
  }
fail:
  {
    g_free (asset_id_template);
    config_free (cfg);
    return FALSE;
  }
no_client:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not set up the Vi API client: %s", sd.error->message),
        ("endpoint %s, organization %s", GST_STR_NULL (cfg->endpoint),
            GST_STR_NULL (cfg->organization_id)));
    g_clear_error (&sd.error);
    gst_vi_annot_src_stop (trans);
    return FALSE;
  }
}

static gboolean
gst_vi_annot_src_stop (GstBaseTransform * trans)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  GHashTable *local_table;

  if (self->worker == NULL)
    return TRUE;

  GST_DEBUG_OBJECT (self, "stopping");
  gst_vi_annot_src_unlock (self);
  g_cancellable_cancel (self->cancellable);
  gst_vi_annot_worker_invoke (self->worker, _worker_shutdown_cb, self, NULL);
  gst_vi_annot_worker_free (self->worker);
  self->worker = NULL;

  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->queue, (GDestroyNotify) queue_item_free);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  local_table = g_steal_pointer (&self->local_table);
  g_clear_pointer (&self->local_first_asset, g_free);
  g_clear_error (&self->load_error);
  self->pump_scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  if (local_table != NULL)
    g_hash_table_unref (local_table);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->cfg, config_free);

  return TRUE;
}

static gboolean
gst_vi_annot_src_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);

  /* Boxes are converted per frame from these: a caps change mid-stream
   * gives the next frames the new size. */
  self->have_info = gst_video_info_from_caps (&self->info, incaps);
  if (!self->have_info)
    GST_WARNING_OBJECT (self, "no video info in %" GST_PTR_FORMAT
        ", not attaching ROI metas", incaps);
  else
    GST_DEBUG_OBJECT (self, "frames are %dx%d", self->info.width,
        self->info.height);

  return TRUE;
}

static gboolean
gst_vi_annot_src_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      gst_vi_annot_src_unlock (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_vi_annot_src_unlock_stop (self);
      break;
    case GST_EVENT_STREAM_START:
      self->live_checked = FALSE;
      break;
    case GST_EVENT_EOS:
      gst_element_post_message (GST_ELEMENT_CAST (self),
          gst_message_new_element (GST_OBJECT_CAST (self),
              gst_vi_annot_src_get_stats (self)));
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}
