/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* Shared by the tests that run viannotsrc in a real pipeline against
 * vi-local-server: "videotestsrc ! viannotsrc ! fakesink" run to its end
 * (EOS or an error) under a watchdog, recording what went by: the frames
 * and the metas they carry, the outage warnings ("… are late") and infos
 * ("… are back"), the other warnings and the errors.  A probe on
 * viannotsrc's source pad may act at given frames (stop the server, wait
 * for the annotations to come back) and check each frame.  Assertions are
 * GLib's, so that gst-check and GTest programs alike can use it. */

#include <string.h>
#include <gst/gst.h>

#include <gst/viannot/gstviannotmeta.h>
#include "vi-local-server.h"

/* Watchdogs, not timing assertions: how long a pipeline, or a wait for the
 * annotations to come back, may take before the test gives up on it. */
#define SRC_RUN_WATCHDOG_S 120
#define SRC_RUN_BACK_WATCHDOG_S 60

typedef void (*SrcRunAction) (void);

/* Whether @buf, frame @n after viannotsrc, is right; if not, says why in
 * @why (newly allocated).  Runs on the streaming thread. */
typedef gboolean (*SrcRunFrameCheck) (guint n, GstBuffer * buf,
    gpointer data, gchar ** why);

typedef struct
{
  GMutex lock;
  GCond cond;
  guint n_late;                 /* outage warnings */
  guint n_back;                 /* info messages */
  guint n_other_warnings;
  guint n_errors;
  guint n_src_errors;           /* of those, viannotsrc's */
  gchar *first_late;
  GError *first_warning;        /* the first other warning */
  gchar *first_warning_debug;
  GError *first_error;          /* the first of all, and its source */
  gchar *first_error_debug;
  gchar *first_error_source;
  /* frames seen after viannotsrc */
  guint n;
  guint n_with_meta;
  gboolean all_after_back;      /* every frame after the wait had a meta */
  guint n_bad;                  /* frames check refused */
  gchar *first_bad;
  /* What the probe does, on the streaming thread, before the next frame:
   * at each action's frame, its function; at back_frame (if not 0), wait
   * for the annotations to be back; check every frame. */
  struct
  {
    guint frame;
    SrcRunAction func;
  } actions[2];
  guint back_frame;
  SrcRunFrameCheck check;
  gpointer check_data;
  /* how long the pipeline ran, us */
  gint64 elapsed;
} SrcRun;

static inline void
src_run_init (SrcRun * run)
{
  memset (run, 0, sizeof *run);
  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  run->all_after_back = TRUE;
}

static inline void
src_run_clear (SrcRun * run)
{
  g_free (run->first_late);
  g_clear_error (&run->first_warning);
  g_free (run->first_warning_debug);
  g_clear_error (&run->first_error);
  g_free (run->first_error_debug);
  g_free (run->first_error_source);
  g_free (run->first_bad);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
}

static inline gboolean
src_run_is_outage_message (const GError * err, const gchar * what)
{
  return g_str_has_prefix (err->message, "Annotations of dataset ") &&
      strstr (err->message, what) != NULL;
}

static inline GstBusSyncReply
src_run_bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  SrcRun *run = user_data;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_mutex_lock (&run->lock);
      if (src_run_is_outage_message (err, " are late: ")) {
        if (run->first_late == NULL)
          run->first_late = g_strdup (err->message);
        run->n_late++;
      } else {
        GST_INFO ("other warning: %s (%s)", err->message, debug);
        if (run->first_warning == NULL) {
          run->first_warning = g_error_copy (err);
          run->first_warning_debug = g_strdup (debug);
        }
        run->n_other_warnings++;
      }
      g_mutex_unlock (&run->lock);
      break;
    case GST_MESSAGE_INFO:
      gst_message_parse_info (msg, &err, NULL);
      g_mutex_lock (&run->lock);
      if (src_run_is_outage_message (err, " are back: ")) {
        run->n_back++;
        g_cond_broadcast (&run->cond);
      }
      g_mutex_unlock (&run->lock);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      GST_INFO ("error: %s (%s)", err->message, debug);
      g_mutex_lock (&run->lock);
      if (run->first_error == NULL) {
        run->first_error = g_error_copy (err);
        run->first_error_debug = g_strdup (debug);
        run->first_error_source = g_strdup (GST_MESSAGE_SRC_NAME (msg));
      }
      run->n_errors++;
      if (g_strcmp0 (GST_MESSAGE_SRC_NAME (msg), "v") == 0)
        run->n_src_errors++;
      g_mutex_unlock (&run->lock);
      break;
    default:
      break;
  }
  g_clear_error (&err);
  g_free (debug);
  return GST_BUS_PASS;
}

/* Waits for the info message that the annotations are back.  The limit
 * is a safety net far above the outage's retry delays; the wait ends with
 * the message. */
static inline void
src_run_wait_for_back (SrcRun * run)
{
  gint64 end = g_get_monotonic_time () +
      SRC_RUN_BACK_WATCHDOG_S * G_TIME_SPAN_SECOND;

  g_mutex_lock (&run->lock);
  while (run->n_back == 0)
    if (!g_cond_wait_until (&run->cond, &run->lock, end))
      g_error ("the annotations did not come back within %d s",
          SRC_RUN_BACK_WATCHDOG_S);
  g_mutex_unlock (&run->lock);
}

static inline GstPadProbeReturn
src_run_frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  SrcRun *run = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean has = gst_buffer_get_vi_annot_meta (buf) != NULL;
  gchar *why = NULL;
  gboolean good = TRUE;
  guint n, i;

  g_mutex_lock (&run->lock);
  n = run->n++;
  g_mutex_unlock (&run->lock);

  if (run->check != NULL)
    good = run->check (n, buf, run->check_data, &why);

  g_mutex_lock (&run->lock);
  if (has)
    run->n_with_meta++;
  if (run->back_frame > 0 && n > run->back_frame && !has)
    run->all_after_back = FALSE;
  if (!good) {
    if (run->first_bad == NULL)
      run->first_bad = g_strdup_printf ("frame %u: %s", n, why);
    run->n_bad++;
  }
  g_mutex_unlock (&run->lock);
  g_free (why);

  for (i = 0; i < G_N_ELEMENTS (run->actions); i++)
    if (run->actions[i].func != NULL && n == run->actions[i].frame)
      run->actions[i].func ();
  if (run->back_frame > 0 && n == run->back_frame)
    src_run_wait_for_back (run);
  return GST_PAD_PROBE_OK;
}

/* Runs "videotestsrc num-buffers=@n_frames ! viannotsrc max-wait=@max_wait
 * <props> ! fakesink" until EOS or an error; returns which, after the
 * pipeline is back to NULL.  Credentials go in as properties, not in the
 * launch line.  The element's stats go to @stats. */
static inline GstMessageType
src_run_pipeline (SrcRun * run, const gchar * props, const gchar * endpoint,
    guint n_frames, guint max_wait_ms, GstStructure ** stats)
{
  GstElement *pipeline, *v;
  GstBus *bus;
  GstPad *pad;
  GstMessage *msg;
  GstMessageType type;
  GError *error = NULL;
  gchar *desc;
  gint64 t0;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! viannotsrc name=v "
      "max-wait=%u %s ! fakesink sync=false", n_frames, max_wait_ms, props);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  g_object_set (v, "endpoint", endpoint,
      "organization-id", VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID,
      "secret-key", VI_LOCAL_SERVER_DEFAULT_SECRET_KEY, NULL);
  pad = gst_element_get_static_pad (v, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, src_run_frame_probe,
      run, NULL);
  gst_object_unref (pad);

  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, src_run_bus_cb, run, NULL);
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, SRC_RUN_WATCHDOG_S * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  run->elapsed = g_get_monotonic_time () - t0;
  if (msg == NULL)
    g_error ("the pipeline \"%s\" neither ended nor failed within %d s",
        props, SRC_RUN_WATCHDOG_S);
  type = GST_MESSAGE_TYPE (msg);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);

  g_object_get (v, "stats", stats, NULL);
  gst_object_unref (v);
  gst_object_unref (pipeline);

  GST_INFO ("%s: %s after %" G_GINT64_FORMAT " ms, %u frames, %u with "
      "meta, %u late, %u back, %u errors; %" GST_PTR_FORMAT, props,
      gst_message_type_get_name (type), run->elapsed / 1000, run->n,
      run->n_with_meta, run->n_late, run->n_back, run->n_errors, *stats);
  return type;
}

static inline guint64
src_run_stat (const GstStructure * stats, const gchar * field)
{
  guint64 v = 0;

  if (!gst_structure_get_uint64 (stats, field, &v))
    g_error ("no %s in %" GST_PTR_FORMAT, field, stats);
  return v;
}
