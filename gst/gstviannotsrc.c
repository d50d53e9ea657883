/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */

/**
 * SECTION:element-viannotsrc
 * @title: viannotsrc
 *
 * viannotsrc is "the source of annotations in a video path": an in-place
 * transform that never touches the pixels and puts the annotations of a
 * Datature Vi dataset (captions, grounded phrases with their boxes and
 * spans, VQA interactions) on every frame as a #GstViAnnotMeta, and, with
 * #GstViAnnotSrc:attach-roi-meta, as one #GstVideoRegionOfInterestMeta per
 * box in pixels of the current caps.  Those ROI metas stay exact through
 * videoscale and videoconvert and are removed wherever the
 * #GstViAnnotMeta is (letterbox, crop, flip, borders).
 *
 * The annotations come from a dataset through the Vi API
 * (#GstViAnnotSrc:dataset-id and credentials) or from a local JSONL file
 * (#GstViAnnotSrc:location: no account, no network); the two are
 * exclusive.  Every frame carries the annotations of one asset
 * (#GstViAnnotSrc:asset-id), or, for datasets of extracted frames, those
 * of the asset named by #GstViAnnotSrc:asset-id-template filled with the
 * frame's number: round (stream time × framerate) +
 * #GstViAnnotSrc:start-number, or with #GstViAnnotSrc:asset-rate
 * floor (stream time × asset-rate) + start-number.  Stream time makes the
 * number right after flushing and segment seeks, rate changes, decoders
 * and videorate.  A stream without framerate needs asset-rate; a frame
 * that cannot be numbered is an error (a warning with `on-error=warn`).
 *
 * All HTTP runs on a worker thread with its own main context; the
 * streaming thread never does network I/O.  A non-live pipeline waits for
 * the annotations of a frame, at most #GstViAnnotSrc:max-wait
 * milliseconds (flushes and state changes interrupt the wait); a live
 * pipeline (as upstream answers the latency query) never waits: frames
 * whose annotations are not there yet pass without them, and are counted
 * in #GstViAnnotSrc:stats.  Requests time out after
 * #GstViAnnotSrc:timeout seconds without an answer.  A request that fails
 * that way (or 5xx, or a refused connection), or a frame that waited
 * max-wait in vain, starts an outage: a warning on the bus, frames no
 * longer wait, and the element retries in the background with a growing
 * delay; the first answer ends it, with an info message.  A silent service
 * thus costs one max-wait, not one per frame.  In template mode an asset
 * that does not exist is a frame without annotations (counted as
 * `frames-no-asset`).  With #GstViAnnotSrc:refresh-interval the
 * annotations are fetched again periodically; a refresh swaps an
 * immutable snapshot, so a frame never carries half of an update.
 *
 * Credentials not set as properties are read as libvi reads them: the
 * environment variables `DATATURE_VI_SECRET_KEY`,
 * `DATATURE_VI_ORGANIZATION_ID` and `DATATURE_VI_API_ENDPOINT`, then
 * #GstViAnnotSrc:config-file.  Prefer those to `secret-key=` on a
 * gst-launch-1.0 line, which GStreamer's parser logs at
 * `GST_DEBUG=GST_PIPELINE:4`.  The secret key is never logged nor put in
 * a message.
 *
 * Messages:
 *
 * - element `vi-annotations-fetched` each time the annotations of an
 *   asset (or the local file) have been read: `asset-id` (string),
 *   `dataset-id` or `location` (string), `count` (guint: annotations, or
 *   records of the file), `milliseconds` (guint64), `refresh` (gboolean);
 * - element `vi-annotations-stats` at EOS, the fields of
 *   #GstViAnnotSrc:stats;
 * - warning when an outage starts ("Annotations of dataset … are late"),
 *   info when it ends ("… are back"); warning with the count and the first
 *   reasons when lines of the local file are invalid; warning on the first
 *   asset of a template the dataset does not have.
 *
 * Errors: configuration errors (missing or contradictory properties, a
 * bad template or dataset id, a missing file, unusable credentials) fail
 * in start() with `RESOURCE/SETTINGS` or `RESOURCE/NOT_FOUND`.  401 and
 * 403 are `RESOURCE/NOT_AUTHORIZED`, naming where the credential came from
 * (property, environment or config file); 404 is `RESOURCE/NOT_FOUND`,
 * naming the dataset and asset; anything else the service refuses is
 * `RESOURCE/OPEN_READ`.  The server's message is in the debug string, the
 * status in the `http-status-code` field of the details, with
 * `vi-error-code` and `asset-id`.  With `on-error=warn` they are warnings
 * and the video keeps flowing without annotations.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! \
 *     viannotsrc location=annotations.jsonl asset-id=street.jpg ! \
 *     videoconvert ! autovideosink
 * ]| Every frame carries the annotations of `street.jpg` from a local file.
 * |[
 * export DATATURE_VI_SECRET_KEY=dtvi_… DATATURE_VI_ORGANIZATION_ID=my-org
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! \
 *     viannotsrc dataset-id=my-dataset asset-id-template=frame_%06d.jpg ! \
 *     videoconvert ! autovideosink
 * ]| Frame n of the clip carries the annotations of asset
 * `frame_<n>.jpg` of a dataset, fetched ahead of the stream, also after a
 * seek.
 * |[
 * gst-launch-1.0 multifilesrc location=frame_%06d.png index=10 \
 *     caps="image/png,framerate=30/1" ! pngdec ! \
 *     viannotsrc location=ann.jsonl asset-id-template=frame_%06d.png \
 *     start-number=10 ! fakesink
 * ]| An image sequence that starts at 10.
 * |[
 * gst-launch-1.0 v4l2src ! viannotsrc dataset-id=my-dataset asset-id=cam0 \
 *     config-file=vi.json refresh-interval=30 on-error=warn ! fakesink
 * ]| A live source: frames never wait, the annotations are refreshed every
 * 30 seconds, and errors do not stop the video.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>
#include <gst/video/video.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotconfig.h"
#include "gstviannotelements.h"
#include "gstviannoterrors.h"
#include "gstviannotfetcher.h"
#include "gstviannotframemap.h"
#include "gstviannotlocal.h"
#include "gstviannotsrc.h"
#include "gstviannotstore.h"
#include "gstviannotworker.h"

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
  PROP_PAGE_SIZE,
  PROP_REFRESH_INTERVAL,
  PROP_PREFETCH,
  PROP_MAX_WAIT,
  PROP_ATTACH_ROI_META,
  PROP_STATS,
  PROP_CONFIG_FIRST,
  PROP_FRAME_MAP_FIRST = PROP_CONFIG_FIRST + GST_VI_ANNOT_CONFIG_N_PROPS,
};

#define DEFAULT_LOCATION NULL
#define DEFAULT_PAGE_SIZE 1000
#define DEFAULT_REFRESH_INTERVAL 0
#define DEFAULT_PREFETCH 8
#define DEFAULT_MAX_WAIT 10000
#define DEFAULT_ATTACH_ROI_META TRUE

#define MAX_PREFETCH 256

struct _GstViAnnotSrc
{
  GstBaseTransform parent;

  /* properties, GST_OBJECT_LOCK */
  gchar *location;
  GstViAnnotConfig config;
  GstViAnnotFrameMapProps map_props;
  guint page_size;
  guint refresh_interval;       /* seconds, 0 = never */
  guint prefetch;
  guint max_wait;               /* ms */
  gboolean attach_roi_meta;     /* atomic, also read while streaming */
  GstViAnnotStats last_stats;   /* of the last run, after stop () */

  /* set in start (), immutable until stop () */
  GstViAnnotConfig cfg;
  gchar *cfg_location;
  guint cfg_max_wait;
  GstViAnnotFrameMap *map;
  gchar *service;
  GstViAnnotErrorContext error_ctx;
  GstViAnnotWorker *worker;
  GstViAnnotStore *store;       /* swapped under GST_OBJECT_LOCK */

  /* streaming thread only */
  GstVideoInfo info;
  gboolean have_info;
  gboolean live_checked;
  gboolean live;
  gboolean error_posted;
  gboolean warned;              /* on-error=warn: one warning per run */
};

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

static GstStructure *gst_vi_annot_src_get_stats (GstViAnnotSrc * self);

#define gst_vi_annot_src_parent_class parent_class
G_DEFINE_TYPE (GstViAnnotSrc, gst_vi_annot_src, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (viannotsrc, "viannotsrc",
    GST_RANK_NONE, GST_TYPE_VI_ANNOT_SRC, viannot_element_init (plugin));

#define NL GST_VI_ANNOT_METADATA_NL

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
   * grounding form, the nested form, VQA or a dataset export), instead of
   * a dataset: no account and no network.  Without asset-id or
   * asset-id-template, every frame carries the first asset of the file.
   * Invalid lines are skipped and reported in one warning.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Local JSONL annotation file, instead of a dataset (exclusive "
          "with dataset-id; default: none)", DEFAULT_LOCATION,
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
   * Template mode: how many assets, from the current frame's on, are
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
   * its annotations before it passes without them.  A frame that waited
   * in vain starts an outage: the next frames do not wait until the
   * service answers again.  Live pipelines never wait.  0 never waits.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_WAIT,
      g_param_spec_uint ("max-wait", "Max wait",
          "Non-live pipelines: ms a frame waits for its annotations, once "
          "per outage (0 = never wait; live pipelines never wait)", 0,
          G_MAXUINT, DEFAULT_MAX_WAIT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:attach-roi-meta:
   *
   * Also attach one #GstVideoRegionOfInterestMeta per box, in pixels of
   * the current caps, with `vi/annotation` and `detection` parameters,
   * for elements that understand ROI metas.  They stay exact through
   * scaling and conversion and are removed where #GstViAnnotMeta is.  May
   * change while playing.
   */
  g_object_class_install_property (gobject_class, PROP_ATTACH_ROI_META,
      g_param_spec_boolean ("attach-roi-meta", "Attach ROI meta",
          "Also attach a GstVideoRegionOfInterestMeta per box (exact after "
          "scaling, removed where the annotation meta is)",
          DEFAULT_ATTACH_ROI_META,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstViAnnotSrc:stats:
   *
   * Statistics: `frames`, `frames-annotated`, `frames-missed` (passed,
   * live or during an outage, before their annotations were there),
   * `frames-timed-out` (waited max-wait in vain), `frames-no-asset`
   * (template mode: the asset does not exist), `frames-unmapped`
   * (template mode: the frame could not be numbered), `fetches`,
   * `fetch-errors`, `refreshes`, `outages`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Frames annotated, missed, timed out, without asset; fetches, "
          "errors, outages", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_vi_annot_config_install_properties (gobject_class, PROP_CONFIG_FIRST,
      GST_VI_ANNOT_CONFIG_READ);
  gst_vi_annot_frame_map_install_properties (gobject_class,
      PROP_FRAME_MAP_FIRST);

  gst_element_class_set_static_metadata (element_class,
      "Vi dataset annotations", "Filter/Metadata/Video",
      "Attaches the annotations of a Datature Vi dataset (dataset-id, "
      "through the Vi API)" NL "or of a local JSONL file (location) to "
      "video frames, without touching the pixels:" NL "a GstViAnnotMeta "
      "per frame (captions, grounded phrases with normalized boxes, VQA)"
      NL "and, with attach-roi-meta, a GstVideoRegionOfInterestMeta per "
      "box, exact after" NL "scaling and removed where the annotation "
      "meta is (letterbox, crop, flip).", "The viannot authors");
  gst_element_class_add_static_metadata (element_class, "examples",
      "viannotsrc location=ann.jsonl asset-id=street.jpg" NL
      "filesrc location=clip.mp4 ! decodebin ! viannotsrc dataset-id=ds "
      "asset-id-template=frame_%06d.jpg" NL
      "multifilesrc location=f_%06d.png index=10 "
      "caps=image/png,framerate=30/1 ! pngdec !" NL
      "  viannotsrc location=ann.jsonl asset-id-template=f_%06d.png "
      "start-number=10");
  gst_element_class_add_static_metadata (element_class, "frames",
      "asset-id: one asset for every frame. asset-id-template: frame number "
      "=" NL "round(stream time x framerate) + start-number, or with "
      "asset-rate" NL "floor(stream time x asset-rate) + start-number; right "
      "after seeks, rate" NL "changes, decoders and videorate. No framerate "
      "and no asset-rate: an error.");
  gst_element_class_add_static_metadata (element_class, "waiting",
      "Non-live: a frame waits up to max-wait ms for its annotations; live: "
      "never." NL "A request without an answer for timeout s (or 5xx, or a "
      "refused connection)," NL "or a frame that waited max-wait in vain, "
      "starts an outage: a warning, frames" NL "stop waiting, the element "
      "retries in the background; an info message when" NL "they are back. "
      "Template mode: an asset that does not exist is a frame" NL
      "without annotations (stats: frames-no-asset).");
  gst_element_class_add_static_metadata (element_class, "messages",
      "element vi-annotations-fetched (asset-id, count, milliseconds, "
      "refresh," NL "dataset-id or location); element vi-annotations-stats "
      "at EOS (the stats" NL "property); warning/info when an outage starts/"
      "ends; warning with the count" NL "and first file:line reasons of "
      "invalid lines of location.");
  gst_element_class_add_static_metadata (element_class, "errors",
      "Configuration: RESOURCE/SETTINGS or NOT_FOUND in start(). 401/403: "
      "RESOURCE/" NL "NOT_AUTHORIZED naming the credential's origin; 404: "
      "RESOURCE/NOT_FOUND; others" NL "RESOURCE/OPEN_READ. Details: "
      "http-status-code, vi-error-code, asset-id." NL "on-error=warn makes "
      "them warnings and keeps the video flowing.");
  gst_vi_annot_config_add_metadata (element_class);

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
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_vi_annot_src_transform_ip);
}

static void
gst_vi_annot_src_init (GstViAnnotSrc * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  gst_vi_annot_config_init (&self->config);
  gst_vi_annot_config_init (&self->cfg);
  gst_vi_annot_frame_map_props_init (&self->map_props);
  self->page_size = DEFAULT_PAGE_SIZE;
  self->refresh_interval = DEFAULT_REFRESH_INTERVAL;
  self->prefetch = DEFAULT_PREFETCH;
  self->max_wait = DEFAULT_MAX_WAIT;
  self->attach_roi_meta = DEFAULT_ATTACH_ROI_META;

  gst_video_info_init (&self->info);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_vi_annot_src_finalize (GObject * object)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (object);

  g_free (self->location);
  gst_vi_annot_config_clear (&self->config);
  gst_vi_annot_frame_map_props_clear (&self->map_props);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_vi_annot_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (object);

  GST_OBJECT_LOCK (self);
  if (!gst_vi_annot_property_is_settable (GST_ELEMENT (self), pspec)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  if (!gst_vi_annot_shared_set_property (&self->config, &self->map_props,
          PROP_CONFIG_FIRST, prop_id, value)) {
    switch (prop_id) {
      case PROP_LOCATION:
        gst_vi_annot_set_string (&self->location, value);
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
      case PROP_ATTACH_ROI_META:
        g_atomic_int_set (&self->attach_roi_meta, g_value_get_boolean (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
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
  if (!gst_vi_annot_shared_get_property (&self->config, &self->map_props,
          PROP_CONFIG_FIRST, prop_id, value)) {
    switch (prop_id) {
      case PROP_LOCATION:
        g_value_set_string (value, self->location);
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
      case PROP_ATTACH_ROI_META:
        g_value_set_boolean (value, g_atomic_int_get (&self->attach_roi_meta));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
}

/* Object lock, then the store's: the store never takes the object lock
 * with its own held (messages are posted after unlocking). */
static GstStructure *
gst_vi_annot_src_get_stats (GstViAnnotSrc * self)
{
  GstStructure *s;

  GST_OBJECT_LOCK (self);
  if (self->store != NULL)
    s = gst_vi_annot_store_get_stats (self->store);
  else
    s = gst_vi_annot_stats_to_structure (&self->last_stats);
  GST_OBJECT_UNLOCK (self);

  return s;
}

/* ------------------------------------------------------------------ */
/* streaming thread */

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

/* A frame's error: on-error=warn, one warning per run; else an error
 * that stops the stream.  A request's error (@request) is worded for the
 * request about @asset_id.  Returns the flow to return. */
static GstFlowReturn
fail_or_warn (GstViAnnotSrc * self, const GError * error,
    const gchar * asset_id, gboolean request)
{
  return gst_vi_annot_fail_or_warn (GST_ELEMENT_CAST (self),
      self->cfg.on_error == GST_VI_ANNOT_ON_ERROR_WARN, &self->warned,
      &self->error_posted, error, asset_id, request ? &self->error_ctx : NULL);
}

static GstFlowReturn
gst_vi_annot_src_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  GstViAnnotSet *set = NULL;
  GError *error = NULL;
  gchar *asset_alloc = NULL;
  const gchar *asset_id;
  guint64 index = 0;
  gboolean template_mode = gst_vi_annot_frame_map_is_template (self->map);
  GstFlowReturn ret = GST_FLOW_OK;
  GstViAnnotLookup res;

  if (self->error_posted)
    return GST_FLOW_ERROR;

  if (!self->live_checked) {
    self->live = query_is_live (self);
    self->live_checked = TRUE;
  }

  switch (gst_vi_annot_frame_map_asset (self->map, &trans->segment,
          GST_VIDEO_INFO_FPS_N (&self->info),
          GST_VIDEO_INFO_FPS_D (&self->info), buf, &index, &asset_id,
          &asset_alloc, &error)) {
    case GST_VI_ANNOT_FRAME_INDEX_OK:
      break;
    case GST_VI_ANNOT_FRAME_INDEX_OUTSIDE:
      GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT " is before the stream's "
          "start: no asset", buf);
      return GST_FLOW_OK;
    case GST_VI_ANNOT_FRAME_INDEX_FAILED:
    default:
      gst_vi_annot_store_count_unmapped (self->store);
      ret = fail_or_warn (self, error, NULL, FALSE);
      g_clear_error (&error);
      return ret;
  }

  res = gst_vi_annot_store_get (self->store, asset_id, index, template_mode,
      self->live ? 0 : (gint64) self->cfg_max_wait * G_TIME_SPAN_MILLISECOND,
      &set, &error);

  switch (res) {
    case GST_VI_ANNOT_LOOKUP_FLUSHING:
      GST_DEBUG_OBJECT (self, "flushing");
      ret = GST_FLOW_FLUSHING;
      break;
    case GST_VI_ANNOT_LOOKUP_FAILED:
      ret = fail_or_warn (self, error, asset_id, TRUE);
      break;
    case GST_VI_ANNOT_LOOKUP_TIMED_OUT:
      GST_WARNING_OBJECT (self, "no annotations for frame %" G_GUINT64_FORMAT
          " ('%s') after %u ms", index, GST_STR_NULL (asset_id),
          self->cfg_max_wait);
      break;
    case GST_VI_ANNOT_LOOKUP_READY:{
      GstViAnnotMeta *meta = gst_buffer_add_vi_annot_meta (buf, set);

      if (meta != NULL && self->have_info &&
          g_atomic_int_get (&self->attach_roi_meta))
        gst_vi_annot_meta_add_roi_metas (meta, buf, &self->info);
      gst_vi_annot_set_unref (set);
      break;
    }
    default:
      break;
  }

  g_clear_error (&error);
  g_free (asset_alloc);

  return ret;
}

/* ------------------------------------------------------------------ */
/* vfuncs */

static GstStateChangeReturn
gst_vi_annot_src_change_state (GstElement * element, GstStateChange transition)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (element);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* The streaming thread may wait for annotations while holding the
       * stream lock that deactivating the pads needs. */
      if (self->store != NULL)
        gst_vi_annot_store_set_flushing (self->store, TRUE);
      break;
    default:
      break;
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static void
free_run_state (GstViAnnotSrc * self)
{
  gst_vi_annot_config_clear (&self->cfg);
  g_clear_pointer (&self->cfg_location, g_free);
  g_clear_pointer (&self->map, gst_vi_annot_frame_map_free);
  g_clear_pointer (&self->service, g_free);
}

static gboolean
gst_vi_annot_src_start (GstBaseTransform * trans)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  GstViAnnotFrameMapProps map_props;
  GstViAnnotStore *store;
  GError *error = NULL;
  guint page_size, prefetch, refresh_interval;
  gchar *map_text;

  GST_OBJECT_LOCK (self);
  self->cfg_location = g_strdup (self->location);
  gst_vi_annot_config_copy (&self->config, &self->cfg);
  gst_vi_annot_frame_map_props_copy (&self->map_props, &map_props);
  page_size = self->page_size;
  prefetch = self->prefetch;
  refresh_interval = self->refresh_interval;
  self->cfg_max_wait = self->max_wait;
  GST_OBJECT_UNLOCK (self);

  if (!gst_vi_annot_config_check_target (&self->cfg, FALSE,
          self->cfg_location, NULL, &error))
    goto config_error;
  if (self->cfg.dataset_id != NULL && map_props.asset_id == NULL &&
      map_props.asset_id_template == NULL)
    goto no_asset;
  self->map = gst_vi_annot_frame_map_new (&map_props, &error);
  gst_vi_annot_frame_map_props_clear (&map_props);
  if (self->map == NULL)
    goto config_error;
  if (self->cfg_location != NULL &&
      !g_file_test (self->cfg_location, G_FILE_TEST_IS_REGULAR))
    goto no_file;
  if (!gst_vi_annot_config_validate (&self->cfg, &error))
    goto config_error;

  self->error_ctx.config = self->cfg_location ? NULL : &self->cfg;
  self->error_ctx.location = self->cfg_location;
  self->error_ctx.asset_property =
      gst_vi_annot_frame_map_is_template (self->map) ? "asset-id-template" :
      "asset-id";
  self->error_ctx.action = "fetch the annotations of";
  self->error_ctx.access = "read";
  self->error_ctx.io_error = GST_RESOURCE_ERROR_OPEN_READ;

  self->live_checked = FALSE;
  self->error_posted = FALSE;
  self->warned = FALSE;
  self->have_info = FALSE;

  /* Only a thread is started here: the client is created on it (reading
   * credentials, no network) and the first fetch begins there. */
  self->worker = gst_vi_annot_worker_new ("viannotsrc");
  if (self->cfg_location == NULL) {
    if (!gst_vi_annot_worker_create_client (self->worker, &self->cfg, &error))
      goto no_client;
    self->service = gst_vi_annot_config_describe (&self->cfg,
        gst_vi_annot_worker_get_client (self->worker));
    self->error_ctx.service = self->service;
    store = gst_vi_annot_fetcher_new (GST_ELEMENT_CAST (self), self->worker,
        &self->cfg, self->map, &self->error_ctx, page_size, prefetch,
        refresh_interval);
  } else {
    store = gst_vi_annot_local_new (GST_ELEMENT_CAST (self), self->worker,
        self->cfg_location, self->map, refresh_interval);
  }

  map_text = gst_vi_annot_frame_map_to_string (self->map);
  GST_DEBUG_OBJECT (self, "started: %s %s, %s; %s",
      self->cfg_location ? "location" : "dataset",
      self->cfg_location ? self->cfg_location : self->cfg.dataset_id,
      map_text, self->service ? self->service : "no network");
  g_free (map_text);

  GST_OBJECT_LOCK (self);
  self->store = store;
  GST_OBJECT_UNLOCK (self);

  return TRUE;

  /* ERRORS */
no_asset:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        (_("dataset-id \"%s\" needs asset-id or asset-id-template."),
            self->cfg.dataset_id), (NULL));
    goto fail;
  }
config_error:
  {
    gst_vi_annot_post_gerror (GST_ELEMENT_CAST (self), GST_MESSAGE_ERROR,
        error, NULL);
    g_clear_error (&error);
    goto fail;
  }
no_file:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        (_("Annotation file \"%s\" does not exist or is not a file."),
            self->cfg_location), GST_ERROR_SYSTEM);
    goto fail;
  }
no_client:
  {
    gst_vi_annot_post_client_error (GST_ELEMENT_CAST (self), &self->cfg, error);
    g_clear_error (&error);
    gst_vi_annot_worker_quit (self->worker);
    g_clear_pointer (&self->worker, gst_vi_annot_worker_free);
    goto fail;
  }
fail:
  {
    gst_vi_annot_frame_map_props_clear (&map_props);
    free_run_state (self);
    return FALSE;
  }
}

static gboolean
gst_vi_annot_src_stop (GstBaseTransform * trans)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);
  GstViAnnotStore *store;

  if (self->worker == NULL)
    return TRUE;

  GST_DEBUG_OBJECT (self, "stopping");
  gst_vi_annot_store_stop (self->store);
  /* Returns once the worker is done with the store and the client. */
  g_clear_pointer (&self->worker, gst_vi_annot_worker_free);

  GST_OBJECT_LOCK (self);
  store = self->store;
  self->store = NULL;
  self->last_stats = store->stats;
  GST_OBJECT_UNLOCK (self);

  gst_vi_annot_store_free (store);
  free_run_state (self);

  return TRUE;
}

static gboolean
gst_vi_annot_src_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);

  /* Boxes are converted per frame from these, and frames numbered with
   * their framerate: a caps change mid-stream applies to the next
   * frames. */
  self->have_info = gst_video_info_from_caps (&self->info, incaps);
  if (!self->have_info) {
    GST_WARNING_OBJECT (self, "no video info in %" GST_PTR_FORMAT
        ", not attaching ROI metas", incaps);
    gst_video_info_init (&self->info);
  } else {
    GST_DEBUG_OBJECT (self, "frames are %dx%d at %d/%d", self->info.width,
        self->info.height, self->info.fps_n, self->info.fps_d);
  }

  return TRUE;
}

static gboolean
gst_vi_annot_src_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstViAnnotSrc *self = GST_VI_ANNOT_SRC (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      if (self->store != NULL)
        gst_vi_annot_store_set_flushing (self->store, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      if (self->store != NULL)
        gst_vi_annot_store_set_flushing (self->store, FALSE);
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
