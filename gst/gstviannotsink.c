/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */

/**
 * SECTION:element-viannotsink
 * @title: viannotsink
 *
 * viannotsink writes the annotations that video frames carry into a
 * Datature Vi dataset (#GstViAnnotSink:dataset-id, through the Vi API's
 * import sessions) and/or into a JSONL file (#GstViAnnotSink:location),
 * in the reference's flat form (`caption`, `grounded_phrases[].bbox`,
 * VQA as `contents.interactions`), which libvi's reader and viannotsrc
 * read back.
 *
 * A frame's annotations are its #GstViAnnotMeta when it has one (put
 * there by viannotsrc: captions, grounded phrases with their spans, VQA
 * pairs, boxes kept normalized exactly, also after videoscale); otherwise
 * its #GstVideoRegionOfInterestMeta (a detector's): one grounded phrase
 * per ROI meta, labelled with its `detection` label or its roi_type, its
 * box the `detection` box when there is one, else its pixels normalized
 * by the frame's caps, those below #GstViAnnotSink:min-confidence left
 * out, under the caption of #GstViAnnotSink:caption or one built from the
 * labels ("car, person and dog"), each phrase's span on its label.  A
 * frame with nothing writes nothing.
 *
 * The asset is the meta's; else #GstViAnnotSink:asset-id, or
 * #GstViAnnotSink:asset-id-template filled with the frame's number
 * exactly as viannotsrc numbers frames (stream time × framerate,
 * #GstViAnnotSink:start-number, #GstViAnnotSink:asset-rate).  Consecutive
 * frames of one asset write its annotations once
 * (#GstViAnnotSink:repeated-frames).
 *
 * Uploads never happen on the streaming thread, nor do the writes: the
 * streaming thread turns a frame's metas into records and hands them to a
 * writer thread, which writes their lines to #GstViAnnotSink:location and
 * to a batch in a spool directory (#GstViAnnotSink:spool-dir); a batch
 * is sealed after #GstViAnnotSink:batch-size lines, after
 * #GstViAnnotSink:batch-interval seconds, at EOS or at stop: fsynced and
 * renamed, the directory fsynced, before its upload starts.  A worker
 * thread imports each batch in its own session (several at a time),
 * records the session in the spool as soon as it exists and before its
 * files are inserted, and removes the batch only once the service says
 * the session is Complete.  A pipeline started again on the same spool
 * (after a crash, a kill, a power loss, an outage) settles what is there
 * first: a batch whose session completed is removed without being sent
 * again, one whose session never got its files inserted is given up and
 * sent again in a new session, one being imported is waited for.  At
 * most #GstViAnnotSink:max-pending lines wait in the spool (counting
 * those handed to the writer): past that,
 * the streaming thread waits for room (backpressure, interrupted by
 * flushes and state changes) and says so on the bus; nothing is dropped.
 * A service that does not answer is an outage: a warning, retries in the
 * background with a growing delay, an info message when uploads go again.
 * With #GstViAnnotSink:wait-until-done, EOS goes on once everything in
 * the spool is imported.
 *
 * Messages:
 *
 * - element `vi-upload-progress`: `stage` ("session-created",
 *   "files-inserted", "resending"), `batch`, `session-id`, `lines`,
 *   `pending`;
 * - element `vi-upload-done` when a batch is imported: `batch`,
 *   `session-id`, `lines`, `created` and `failed` (the session's
 *   annotation counts), `pending`;
 * - element `vi-upload-backpressure` when the streaming thread starts to
 *   wait for room: `pending`, `max-pending`;
 * - element `vi-upload-rejected` (on-error=warn): `batch`, `location` (in
 *   `rejected/` of the spool), `lines`, `reason`;
 * - element `vi-upload-stats` at EOS: the fields of #GstViAnnotSink:stats;
 * - warning when uploads are held up by an outage, info when they go
 *   again.
 *
 * Errors at start: no output, contradictory properties, an unusable
 * location or spool-dir, a spool-dir another viannotsink uses, unusable
 * credentials.  When the element starts playing, the dataset is asked
 * for (its list of exports, a read without side effects): a wrong key
 * (401), organization or permission (403) or an unknown dataset (404) is
 * an error then, as on-error says, before any frame is uploaded.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert ! \
 *     detector ! viannotsink dataset-id=my-dataset \
 *     asset-id-template=frame_%06d.jpg location=detections.jsonl
 * ]| A detector's ROI metas become phrase-grounding annotations of the
 * dataset's extracted frames, and a local copy.
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! \
 *     viannotsrc dataset-id=a asset-id=street.jpg ! videoscale ! \
 *     video/x-raw,width=640,height=360 ! viannotsink dataset-id=b
 * ]| Copies the annotations of an asset from dataset a to dataset b
 * (once: every frame is of the same asset).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gst/video/video.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotconfig.h"
#include "gstviannotelements.h"
#include "gstviannoterrors.h"
#include "gstviannotframemap.h"
#include "gstviannotrecords.h"
#include "gstviannotregions.h"
#include "gstviannotrepeats.h"
#include "gstviannotsink.h"
#include "gstviannotuploader.h"
#include "gstviannotworker.h"
#include "gstviannotwriter.h"

GST_DEBUG_CATEGORY_STATIC (gst_vi_annot_sink_debug);
#define GST_CAT_DEFAULT gst_vi_annot_sink_debug

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_CAPTION,
  PROP_MIN_CONFIDENCE,
  PROP_REPEATED_FRAMES,
  PROP_BATCH_SIZE,
  PROP_BATCH_INTERVAL,
  PROP_WAIT_UNTIL_DONE,
  PROP_SPOOL_DIR,
  PROP_MAX_PENDING,
  PROP_STATS,
  PROP_CONFIG_FIRST,
  PROP_FRAME_MAP_FIRST = PROP_CONFIG_FIRST + GST_VI_ANNOT_CONFIG_N_PROPS,
};

#define DEFAULT_MIN_CONFIDENCE 0.0
#define DEFAULT_REPEATED_FRAMES GST_VI_ANNOT_SINK_REPEATED_FIRST
#define DEFAULT_BATCH_SIZE 1000
#define DEFAULT_BATCH_INTERVAL 10
#define DEFAULT_WAIT_UNTIL_DONE TRUE
#define DEFAULT_MAX_PENDING 100000

#define MAX_BATCH_SIZE 1000000
/* "first": assets already written, remembered so that a frame of one of
 * them seen again (after a seek back) does not write it twice. */
#define RECENT_ASSETS 4096
#define LOCATION_BUFFER (64 * 1024)

typedef struct
{
  guint64 frames;
  guint64 frames_written;
  guint64 frames_repeated;
  guint64 frames_unmapped;
  guint64 lines;
  GstViAnnotRecordCounts records;
} SinkStats;

struct _GstViAnnotSink
{
  GstBaseSink parent;

  /* properties, GST_OBJECT_LOCK */
  gchar *location;
  gchar *caption;
  gdouble min_confidence;
  GstViAnnotSinkRepeated repeated;
  guint batch_size;
  guint batch_interval;         /* seconds, 0: by size and EOS only */
  gboolean wait_until_done;
  gchar *spool_dir;
  guint max_pending;
  GstViAnnotConfig config;
  GstViAnnotFrameMapProps map_props;
  GstStructure *last_stats;     /* of the last run, after stop () */

  /* set in start (), immutable until stop () */
  GstViAnnotConfig cfg;
  gchar *cfg_location;
  gchar *cfg_caption;
  gdouble cfg_min_confidence;
  gboolean cfg_wait;
  GstViAnnotFrameMap *map;
  gchar *service;
  GstViAnnotErrorContext error_ctx;
  GstViAnnotWorker *worker;
  GstViAnnotUploader *uploader; /* swapped under GST_OBJECT_LOCK */
  FILE *file;                   /* location, the writer's */

  /* formats each frame's lines and writes them to location and the
   * spool, off the streaming thread */
  GstViAnnotWriter writer;

  /* streaming thread, and stats under GST_OBJECT_LOCK */
  GstVideoInfo info;
  gboolean have_info;
  gboolean error_posted;
  gboolean warned;              /* on-error=warn: one warning per run */
  GArray *regions;              /* scratch */
  GPtrArray *records;           /* scratch */
  GstViAnnotRepeats repeats;    /* repeated-frames */
  SinkStats stats;
};

static void gst_vi_annot_sink_finalize (GObject * object);
static void gst_vi_annot_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_vi_annot_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);

static GstStateChangeReturn gst_vi_annot_sink_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_vi_annot_sink_start (GstBaseSink * bsink);
static gboolean gst_vi_annot_sink_stop (GstBaseSink * bsink);
static gboolean gst_vi_annot_sink_set_caps (GstBaseSink * bsink,
    GstCaps * caps);
static gboolean gst_vi_annot_sink_event (GstBaseSink * bsink, GstEvent * event);
static gboolean gst_vi_annot_sink_unlock (GstBaseSink * bsink);
static gboolean gst_vi_annot_sink_unlock_stop (GstBaseSink * bsink);
static GstFlowReturn gst_vi_annot_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);

static GstStructure *gst_vi_annot_sink_get_stats (GstViAnnotSink * self);

#define gst_vi_annot_sink_parent_class parent_class
G_DEFINE_TYPE (GstViAnnotSink, gst_vi_annot_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (viannotsink, "viannotsink",
    GST_RANK_NONE, GST_TYPE_VI_ANNOT_SINK, viannot_element_init (plugin));

#define NL GST_VI_ANNOT_METADATA_NL

static void
gst_vi_annot_sink_class_init (GstViAnnotSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *bsink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vi_annot_sink_debug, "viannotsink", 0,
      "Datature Vi annotations from video frames");

  gobject_class->finalize = gst_vi_annot_sink_finalize;
  gobject_class->set_property = gst_vi_annot_sink_set_property;
  gobject_class->get_property = gst_vi_annot_sink_get_property;

  /**
   * GstViAnnotSink:location:
   *
   * A JSONL file the annotations are written to (replaced at start), in
   * the reference's flat form, with or without dataset-id.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "JSONL file the annotations are written to, replaced at start "
          "(default: none; with or without dataset-id)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:caption:
   *
   * The caption of frames whose annotations have none (ROI metas, a
   * caption-less record).  Boxes whose label it does not contain are left
   * out (counted in stats as `phrases-unplaced`).  Without it, the caption
   * is built from the labels: "car, person and dog".
   */
  g_object_class_install_property (gobject_class, PROP_CAPTION,
      g_param_spec_string ("caption", "Caption",
          "Caption of frames that have none (default: none = built from "
          "the labels, e.g. \"car, person and dog\")", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:min-confidence:
   *
   * ROI metas whose `detection` confidence is lower are not written.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double ("min-confidence", "Minimum confidence",
          "ROI metas with a lower detection confidence are not written",
          0.0, 1.0, DEFAULT_MIN_CONFIDENCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:repeated-frames:
   *
   * Consecutive frames of one asset (asset-id on a still scene, template
   * mode with a lower asset-rate, viannotsrc's frames of one asset) write
   * the asset's annotations once: from the first of its frames that has
   * any (the default; an asset written in the last 4096 is not written
   * again after a seek back), from the last (written when the asset
   * changes, at EOS or at stop), or from every frame.
   */
  g_object_class_install_property (gobject_class, PROP_REPEATED_FRAMES,
      g_param_spec_enum ("repeated-frames", "Repeated frames",
          "Which frames of an asset are written",
          GST_TYPE_VI_ANNOT_SINK_REPEATED, DEFAULT_REPEATED_FRAMES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:batch-size:
   *
   * Lines (a caption with its boxes, or an asset's VQA pairs) per batch,
   * and so per import session.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Lines (annotations: a caption with its boxes, or VQA pairs) per "
          "batch, one import session each", 1, MAX_BATCH_SIZE,
          DEFAULT_BATCH_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:batch-interval:
   *
   * Seconds after its first line a batch is sent even if not full; 0:
   * only when full, at EOS or at stop.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_INTERVAL,
      g_param_spec_uint ("batch-interval", "Batch interval",
          "Seconds after its first line a batch is sent even if not full "
          "(0 = when full, at EOS or at stop)", 0, 24 * 3600,
          DEFAULT_BATCH_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:wait-until-done:
   *
   * At EOS, wait until everything in the spool is imported before EOS
   * goes on (and the pipeline posts it).  Without, what is left is sent
   * until the element stops, and by the next run on the same spool.
   */
  g_object_class_install_property (gobject_class, PROP_WAIT_UNTIL_DONE,
      g_param_spec_boolean ("wait-until-done", "Wait until done",
          "At EOS, wait until every batch is imported (the server's "
          "result) before EOS goes on", DEFAULT_WAIT_UNTIL_DONE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:spool-dir:
   *
   * Where batches wait until they are imported.  By default the user's
   * cache directory, `viannot/spool/ORGANIZATION/DATASET`.  One
   * viannotsink at a time may use a spool (a lock file); a spool that
   * holds batches for another dataset, organization or endpoint is
   * refused.
   */
  g_object_class_install_property (gobject_class, PROP_SPOOL_DIR,
      g_param_spec_string ("spool-dir", "Spool directory",
          "Where batches wait until imported (default: none = "
          "$XDG_CACHE_HOME/viannot/spool/ORGANIZATION/DATASET); one "
          "viannotsink per spool", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:max-pending:
   *
   * Lines that may wait in the spool, not imported yet (those of an
   * earlier run included).  Past it the streaming thread waits for room
   * (backpressure; flushes and state changes interrupt the wait) and a
   * `vi-upload-backpressure` message says so.  Nothing is dropped.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PENDING,
      g_param_spec_uint ("max-pending", "Max pending",
          "Lines that may wait in the spool; past it the stream waits "
          "(backpressure, never drops)", 1, G_MAXINT, DEFAULT_MAX_PENDING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSink:stats:
   *
   * Statistics: `frames`, `frames-written`, `frames-repeated` (not
   * written: an asset already written), `frames-unmapped` (no asset),
   * `lines` (written by this run), `phrases-unplaced`, `spans-changed`,
   * and for uploads `lines-spooled`, `lines-imported`, `pending`,
   * `batches-imported`, `batches-rejected`, `sessions`, `resends`,
   * `annotations-created`, `annotations-failed`, `blocked`, `outages`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Frames written, repeated; lines; batches imported, sessions, "
          "pending lines, outages", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_vi_annot_config_install_properties (gobject_class, PROP_CONFIG_FIRST,
      GST_VI_ANNOT_CONFIG_WRITE);
  gst_vi_annot_frame_map_install_properties (gobject_class,
      PROP_FRAME_MAP_FIRST);

  gst_element_class_set_static_metadata (element_class,
      "Vi dataset annotation sink", "Sink/Metadata/Video",
      "Writes the annotations of video frames (GstViAnnotMeta, or a "
      "detector's ROI metas)" NL "to a Datature Vi dataset (dataset-id, "
      "import sessions) and/or a JSONL file" NL "(location), exactly once "
      "through crashes and outages (spool-dir).", "The viannot authors");
  gst_element_class_add_static_metadata (element_class, "examples",
      "... ! detector ! viannotsink dataset-id=ds "
      "asset-id-template=frame_%06d.jpg" NL
      "viannotsrc dataset-id=a asset-id=x.jpg ! videoscale ! viannotsink "
      "dataset-id=b" NL "... ! viannotsink location=out.jsonl "
      "asset-id=x.jpg min-confidence=0.5");
  gst_element_class_add_static_metadata (element_class, "spool",
      "Lines go to spool-dir, one write() each, in batches of batch-size "
      "lines or" NL "batch-interval s, fsynced before their session starts; "
      "the session is recorded" NL "before its files are inserted; a batch "
      "leaves once its session is Complete." NL "A restart on the same "
      "spool settles it first: Complete -> removed, never" NL "inserted -> "
      "given up and sent again, being imported -> waited for." NL
      "max-pending lines not imported: the stream waits, nothing is "
      "dropped.");
  gst_element_class_add_static_metadata (element_class, "messages",
      "element vi-upload-progress (stage, batch, session-id, lines, "
      "pending);" NL "vi-upload-done (batch, session-id, lines, created, "
      "failed, pending);" NL "vi-upload-backpressure (pending, max-pending); "
      "vi-upload-rejected; vi-upload-stats" NL "at EOS; warning/info when "
      "an outage holds uploads up / ends.");
  gst_element_class_add_static_metadata (element_class, "errors",
      "At start: no output, contradictions, unusable location or spool-dir, "
      "a spool" NL "in use (RESOURCE/BUSY). When it plays: the dataset is "
      "read once; 401/403" NL "(NOT_AUTHORIZED), 404 (NOT_FOUND) as "
      "on-error says.");
  gst_vi_annot_config_add_metadata (element_class);

  gst_element_class_add_static_pad_template (element_class, &sink_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_vi_annot_sink_change_state);

  bsink_class->start = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_start);
  bsink_class->stop = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_stop);
  bsink_class->set_caps = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_set_caps);
  bsink_class->event = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_event);
  bsink_class->unlock = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_unlock);
  bsink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_unlock_stop);
  bsink_class->render = GST_DEBUG_FUNCPTR (gst_vi_annot_sink_render);

  gst_type_mark_as_plugin_api (GST_TYPE_VI_ANNOT_SINK_REPEATED, 0);
}

static void
gst_vi_annot_sink_init (GstViAnnotSink * self)
{
  self->min_confidence = DEFAULT_MIN_CONFIDENCE;
  self->repeated = DEFAULT_REPEATED_FRAMES;
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->batch_interval = DEFAULT_BATCH_INTERVAL;
  self->wait_until_done = DEFAULT_WAIT_UNTIL_DONE;
  self->max_pending = DEFAULT_MAX_PENDING;
  gst_vi_annot_config_init (&self->config);
  gst_vi_annot_config_init (&self->cfg);
  gst_vi_annot_frame_map_props_init (&self->map_props);

  gst_video_info_init (&self->info);
  self->regions = g_array_new (FALSE, FALSE, sizeof (GstViAnnotRegion));
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify)
      vi_jsonl_record_unref);
  gst_vi_annot_writer_init (&self->writer);
  gst_vi_annot_repeats_init (&self->repeats, RECENT_ASSETS);

  /* Annotations are data, not presentation: no clock. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
gst_vi_annot_sink_finalize (GObject * object)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (object);

  g_free (self->location);
  g_free (self->caption);
  g_free (self->spool_dir);
  gst_vi_annot_config_clear (&self->config);
  gst_vi_annot_frame_map_props_clear (&self->map_props);
  g_clear_pointer (&self->last_stats, gst_structure_free);
  g_array_unref (self->regions);
  g_ptr_array_unref (self->records);
  gst_vi_annot_writer_clear (&self->writer);
  gst_vi_annot_repeats_clear (&self->repeats);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_vi_annot_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (object);

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
      case PROP_CAPTION:
        gst_vi_annot_set_string (&self->caption, value);
        break;
      case PROP_MIN_CONFIDENCE:
        self->min_confidence = g_value_get_double (value);
        break;
      case PROP_REPEATED_FRAMES:
        self->repeated = g_value_get_enum (value);
        break;
      case PROP_BATCH_SIZE:
        self->batch_size = g_value_get_uint (value);
        break;
      case PROP_BATCH_INTERVAL:
        self->batch_interval = g_value_get_uint (value);
        break;
      case PROP_WAIT_UNTIL_DONE:
        self->wait_until_done = g_value_get_boolean (value);
        break;
      case PROP_SPOOL_DIR:
        gst_vi_annot_set_string (&self->spool_dir, value);
        break;
      case PROP_MAX_PENDING:
        self->max_pending = g_value_get_uint (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_vi_annot_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_vi_annot_sink_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  if (!gst_vi_annot_shared_get_property (&self->config, &self->map_props,
          PROP_CONFIG_FIRST, prop_id, value)) {
    switch (prop_id) {
      case PROP_LOCATION:
        g_value_set_string (value, self->location);
        break;
      case PROP_CAPTION:
        g_value_set_string (value, self->caption);
        break;
      case PROP_MIN_CONFIDENCE:
        g_value_set_double (value, self->min_confidence);
        break;
      case PROP_REPEATED_FRAMES:
        g_value_set_enum (value, self->repeated);
        break;
      case PROP_BATCH_SIZE:
        g_value_set_uint (value, self->batch_size);
        break;
      case PROP_BATCH_INTERVAL:
        g_value_set_uint (value, self->batch_interval);
        break;
      case PROP_WAIT_UNTIL_DONE:
        g_value_set_boolean (value, self->wait_until_done);
        break;
      case PROP_SPOOL_DIR:
        g_value_set_string (value, self->spool_dir);
        break;
      case PROP_MAX_PENDING:
        g_value_set_uint (value, self->max_pending);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
copy_field (GQuark field, const GValue * value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

/* The element's counts and, with an upload, the uploader's, in one
 * structure. */
static GstStructure *
gst_vi_annot_sink_get_stats (GstViAnnotSink * self)
{
  GstStructure *s, *up = NULL;
  SinkStats stats;

  GST_OBJECT_LOCK (self);
  if (self->uploader == NULL && self->last_stats != NULL && self->map == NULL) {
    s = gst_structure_copy (self->last_stats);
    GST_OBJECT_UNLOCK (self);
    return s;
  }
  stats = self->stats;
  if (self->uploader != NULL)
    up = gst_vi_annot_uploader_get_stats (self->uploader);
  GST_OBJECT_UNLOCK (self);

  s = gst_structure_new ("vi-upload-stats",
      "frames", G_TYPE_UINT64, stats.frames,
      "frames-written", G_TYPE_UINT64, stats.frames_written,
      "frames-repeated", G_TYPE_UINT64, stats.frames_repeated,
      "frames-unmapped", G_TYPE_UINT64, stats.frames_unmapped,
      "lines", G_TYPE_UINT64, stats.lines,
      "phrases-unplaced", G_TYPE_UINT64, stats.records.phrases_unplaced,
      "spans-changed", G_TYPE_UINT64, stats.records.spans_changed, NULL);
  if (up != NULL) {
    gst_structure_foreach (up, copy_field, s);
    gst_structure_free (up);
  }
  return s;
}

/* ------------------------------------------------------------------ */
/* streaming thread */

/* A frame that cannot be numbered, or lines that cannot be written: an
 * error, or with on-error=warn (or retry-forever) one warning per run. */
static GstFlowReturn
fail_or_warn (GstViAnnotSink * self, const GError * error)
{
  return gst_vi_annot_fail_or_warn (GST_ELEMENT_CAST (self),
      self->cfg.on_error != GST_VI_ANNOT_ON_ERROR_FAIL, &self->warned,
      &self->error_posted, error, NULL, NULL);
}

/* repeated-frames=last: the records @held go to the writer; @may_wait
 * for room (not at stop). */
static GstFlowReturn
flush_held (GstViAnnotSink * self, GPtrArray * held, gboolean may_wait)
{
  GstFlowReturn ret = gst_vi_annot_writer_push (&self->writer, held, may_wait);

  if (ret == GST_FLOW_OK)
    gst_vi_annot_repeats_written (&self->repeats);
  return ret;
}

/* The records of the frame just made (self->records) to the writer. */
static GstFlowReturn
push_frame (GstViAnnotSink * self)
{
  GstFlowReturn ret =
      gst_vi_annot_writer_push (&self->writer, self->records, TRUE);

  if (ret == GST_FLOW_OK)
    self->records = g_ptr_array_new_with_free_func ((GDestroyNotify)
        vi_jsonl_record_unref);
  return ret;
}

/* The asset of a frame: its meta's, else the mapping's.  NULL with
 * *ret set when the frame has none (FLOW_OK: skip it). */
static const gchar *
asset_of (GstViAnnotSink * self, GstBuffer * buffer, gchar ** alloc,
    GstFlowReturn * ret)
{
  const gchar *asset_id = gst_vi_annot_records_meta_asset (buffer);
  GError *error = NULL;
  guint64 index;

  *ret = GST_FLOW_OK;
  if (asset_id != NULL)
    return asset_id;
  switch (gst_vi_annot_frame_map_asset (self->map,
          &GST_BASE_SINK (self)->segment, GST_VIDEO_INFO_FPS_N (&self->info),
          GST_VIDEO_INFO_FPS_D (&self->info), buffer, &index, &asset_id, alloc,
          &error)) {
    case GST_VI_ANNOT_FRAME_INDEX_OK:
      /* "": none, the caller decides whether the frame needed one. */
      return asset_id != NULL ? asset_id : "";
    case GST_VI_ANNOT_FRAME_INDEX_OUTSIDE:
      return NULL;
    case GST_VI_ANNOT_FRAME_INDEX_FAILED:
    default:
      GST_OBJECT_LOCK (self);
      self->stats.frames_unmapped++;
      GST_OBJECT_UNLOCK (self);
      *ret = fail_or_warn (self, error);
      g_error_free (error);
      return NULL;
  }
}

static GstFlowReturn
gst_vi_annot_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);
  GstViAnnotRecordOptions options = { self->cfg_caption,
    self->cfg_min_confidence
  };
  GstViAnnotRecordCounts counts = { 0, };
  GstFlowReturn ret = GST_FLOW_OK;
  gchar *alloc = NULL;
  const gchar *asset_id;
  GPtrArray *held;
  guint n;

  if (self->error_posted || gst_vi_annot_writer_failed (&self->writer))
    return GST_FLOW_ERROR;
  if (!self->have_info)
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  self->stats.frames++;
  GST_OBJECT_UNLOCK (self);

  asset_id = asset_of (self, buffer, &alloc, &ret);
  if (asset_id == NULL)
    goto done;
  if (*asset_id == '\0')
    goto no_asset;

  if (!gst_vi_annot_repeats_check (&self->repeats, asset_id)) {
    GST_OBJECT_LOCK (self);
    self->stats.frames_repeated++;
    GST_OBJECT_UNLOCK (self);
    goto done;
  }

  g_ptr_array_set_size (self->records, 0);
  n = gst_vi_annot_records_from_frame (buffer, &self->info, asset_id,
      &options, self->regions, self->records, &counts);
  if (n > 0) {
    GST_OBJECT_LOCK (self);
    self->stats.frames_written++;
    self->stats.records.phrases_unplaced += counts.phrases_unplaced;
    self->stats.records.spans_changed += counts.spans_changed;
    GST_OBJECT_UNLOCK (self);
  }

  /* repeated-frames=last: a frame of another asset ends the one held,
   * even when it has nothing to write. */
  held = gst_vi_annot_repeats_due (&self->repeats, asset_id, n > 0);
  if (held != NULL && (ret = flush_held (self, held, TRUE)) != GST_FLOW_OK)
    goto done;
  if (n > 0 && !gst_vi_annot_repeats_hold (&self->repeats, asset_id,
          &self->records))
    ret = push_frame (self);

done:
  g_ptr_array_set_size (self->records, 0);
  g_free (alloc);
  return ret;

not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("no video caps before the first frame"));
  return GST_FLOW_NOT_NEGOTIATED;
no_asset:
  {
    GError *error;

    /* Only a frame with something to write needs an asset. */
    if (gst_buffer_get_meta (buffer,
            GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) == NULL &&
        gst_buffer_get_vi_annot_meta (buffer) == NULL)
      goto done;
    GST_OBJECT_LOCK (self);
    self->stats.frames_unmapped++;
    GST_OBJECT_UNLOCK (self);
    error = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        _("A frame has annotations but no asset: set asset-id or "
            "asset-id-template (frames from viannotsrc carry their asset)."));
    ret = fail_or_warn (self, error);
    g_error_free (error);
    goto done;
  }
}

/* The end of the stream: what is held goes, the location file is made
 * durable, and the batch being filled is sent; with wait-until-done,
 * returns once everything is imported. */
static gboolean
finish_stream (GstViAnnotSink * self)
{
  GPtrArray *held = gst_vi_annot_repeats_get_held (&self->repeats);
  gboolean ok = TRUE;

  if (held != NULL && flush_held (self, held, TRUE) != GST_FLOW_OK)
    return FALSE;
  if (!gst_vi_annot_writer_drain (&self->writer))
    return FALSE;
  if (self->file != NULL &&
      (fflush (self->file) != 0 || fsync (fileno (self->file)) != 0)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        (_("Could not write to \"%s\"."), self->cfg_location),
        GST_ERROR_SYSTEM);
    self->error_posted = TRUE;
    return FALSE;
  }
  if (self->uploader != NULL) {
    GST_DEBUG_OBJECT (self, "EOS: sending what is left%s",
        self->cfg_wait ? " and waiting for its import" : "");
    gst_vi_annot_uploader_activate (self->uploader);
    ok = gst_vi_annot_uploader_drain (self->uploader, self->cfg_wait);
  }
  return ok;
}

static gboolean
gst_vi_annot_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    if (!finish_stream (self)) {
      GST_INFO_OBJECT (self, "EOS not forwarded: flushing or failed");
      gst_event_unref (event);
      return FALSE;
    }
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_element (GST_OBJECT_CAST (self),
            gst_vi_annot_sink_get_stats (self)));
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

static GstStateChangeReturn
gst_vi_annot_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (element);

  /* Uploads start when the element plays (see
   * gst_vi_annot_uploader_activate()). */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING &&
      self->uploader != NULL)
    gst_vi_annot_uploader_activate (self->uploader);

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_vi_annot_sink_unlock (GstBaseSink * bsink)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);

  gst_vi_annot_writer_set_flushing (&self->writer, TRUE);
  if (self->uploader != NULL)
    gst_vi_annot_uploader_set_flushing (self->uploader, TRUE);
  return TRUE;
}

static gboolean
gst_vi_annot_sink_unlock_stop (GstBaseSink * bsink)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);

  gst_vi_annot_writer_set_flushing (&self->writer, FALSE);
  if (self->uploader != NULL)
    gst_vi_annot_uploader_set_flushing (self->uploader, FALSE);
  return TRUE;
}

static gboolean
gst_vi_annot_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);

  /* Pixels are normalized by the size of the frames they are on, and
   * frames numbered with their framerate: a caps change applies to the
   * next frames. */
  self->have_info = gst_video_info_from_caps (&self->info, caps) &&
      GST_VIDEO_INFO_WIDTH (&self->info) > 0 &&
      GST_VIDEO_INFO_HEIGHT (&self->info) > 0;
  if (!self->have_info) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no video size in %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "frames are %dx%d at %d/%d", self->info.width,
      self->info.height, self->info.fps_n, self->info.fps_d);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* start, stop */

static void
free_run_state (GstViAnnotSink * self)
{
  gst_vi_annot_config_clear (&self->cfg);
  g_clear_pointer (&self->cfg_location, g_free);
  g_clear_pointer (&self->cfg_caption, g_free);
  g_clear_pointer (&self->map, gst_vi_annot_frame_map_free);
  g_clear_pointer (&self->service, g_free);
  gst_vi_annot_repeats_reset (&self->repeats, self->repeats.mode);
  if (self->file != NULL) {
    fclose (self->file);
    self->file = NULL;
  }
}

static gboolean
gst_vi_annot_sink_start (GstBaseSink * bsink)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);
  GstViAnnotFrameMapProps map_props;
  GstViAnnotUploadLimits limits;
  GError *error = NULL;
  gchar *spool_dir;

  GST_OBJECT_LOCK (self);
  self->cfg_location = g_strdup (self->location);
  self->cfg_caption = g_strdup (self->caption);
  self->cfg_min_confidence = self->min_confidence;
  gst_vi_annot_repeats_reset (&self->repeats, self->repeated);
  self->cfg_wait = self->wait_until_done;
  gst_vi_annot_config_copy (&self->config, &self->cfg);
  gst_vi_annot_frame_map_props_copy (&self->map_props, &map_props);
  limits.batch_size = self->batch_size;
  limits.batch_interval_ms = self->batch_interval * 1000;
  limits.max_pending = self->max_pending;
  spool_dir = g_strdup (self->spool_dir);
  memset (&self->stats, 0, sizeof (self->stats));
  g_clear_pointer (&self->last_stats, gst_structure_free);
  GST_OBJECT_UNLOCK (self);

  if (!gst_vi_annot_config_check_target (&self->cfg, TRUE, self->cfg_location,
          spool_dir, &error))
    goto config_error;
  self->map = gst_vi_annot_frame_map_new (&map_props, &error);
  gst_vi_annot_frame_map_props_clear (&map_props);
  if (self->map == NULL || !gst_vi_annot_config_validate (&self->cfg, &error))
    goto config_error;

  self->error_ctx.config = &self->cfg;
  self->error_ctx.location = NULL;
  self->error_ctx.asset_property = NULL;
  self->error_ctx.action = "upload annotations to";
  self->error_ctx.access = "write to";
  self->error_ctx.io_error = GST_RESOURCE_ERROR_WRITE;
  self->error_ctx.write = TRUE;
  self->error_posted = FALSE;
  self->warned = FALSE;
  self->have_info = FALSE;

  if (self->cfg_location != NULL) {
    self->file = fopen (self->cfg_location, "we");
    if (self->file == NULL)
      goto no_file;
    /* The writer writes many frames at once: fewer, larger writes. */
    setvbuf (self->file, NULL, _IOFBF, LOCATION_BUFFER);
  }
  if (self->cfg.dataset_id != NULL) {
    GstViAnnotUploader *uploader =
        gst_vi_annot_uploader_start (GST_ELEMENT_CAST (self), &self->cfg,
        &self->error_ctx, spool_dir, &limits, &self->worker, &self->service);

    if (uploader == NULL)
      goto fail;
    GST_OBJECT_LOCK (self);
    self->uploader = uploader;
    GST_OBJECT_UNLOCK (self);
  }

  gst_vi_annot_writer_start (&self->writer, GST_ELEMENT_CAST (self),
      self->file, self->cfg_location, self->uploader, &self->stats.lines);
  GST_DEBUG_OBJECT (self, "started: location %s, dataset %s",
      GST_STR_NULL (self->cfg_location), GST_STR_NULL (self->cfg.dataset_id));
  g_free (spool_dir);
  return TRUE;

  /* ERRORS */
config_error:
  {
    gst_vi_annot_post_gerror (GST_ELEMENT_CAST (self), GST_MESSAGE_ERROR,
        error, NULL);
    g_clear_error (&error);
    goto fail;
  }
no_file:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        (_("Could not open \"%s\" for writing."), self->cfg_location),
        GST_ERROR_SYSTEM);
    goto fail;
  }
fail:
  {
    gst_vi_annot_frame_map_props_clear (&map_props);
    g_free (spool_dir);
    free_run_state (self);
    return FALSE;
  }
}

static gboolean
gst_vi_annot_sink_stop (GstBaseSink * bsink)
{
  GstViAnnotSink *self = GST_VI_ANNOT_SINK (bsink);
  GPtrArray *held = gst_vi_annot_repeats_get_held (&self->repeats);
  GstViAnnotUploader *uploader;
  GstStructure *stats;

  GST_DEBUG_OBJECT (self, "stopping");
  /* repeated-frames=last: the asset held was seen; it is written, past
   * max-pending if need be (there is no one left to wait), with what the
   * writer has not written yet. */
  if (held != NULL && !self->error_posted)
    flush_held (self, held, FALSE);
  gst_vi_annot_writer_stop (&self->writer);

  if (self->uploader != NULL) {
    gst_vi_annot_uploader_stop (self->uploader);
    /* Returns once the worker is done with the uploader and the client. */
    g_clear_pointer (&self->worker, gst_vi_annot_worker_free);
  }
  stats = gst_vi_annot_sink_get_stats (self);

  GST_OBJECT_LOCK (self);
  uploader = self->uploader;
  self->uploader = NULL;
  self->last_stats = stats;
  GST_OBJECT_UNLOCK (self);

  gst_vi_annot_uploader_free (uploader);
  free_run_state (self);
  return TRUE;
}
