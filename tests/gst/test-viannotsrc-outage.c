/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannotsrc when the service stops answering (design.md SRC-3), against
 * vi-local-server in a thread on 127.0.0.1: a server slower than the
 * request timeout, a server stopped in the middle of the stream, an
 * endpoint where nothing listens.  A non-live pipeline of 60 frames must
 * end within max-wait + 2 s (one max-wait per outage, not one per frame),
 * with a warning on the bus, and the annotations must come back, with an
 * info message, once the server answers again.  And a template frame whose
 * asset does not exist is a frame without annotations, not an error. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#include "vi-local-server.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY

#define N_FRAMES 60
#define MAX_WAIT_MS 3000
/* The bound of the issue: a silent service costs one max-wait. */
#define BOUND_US ((MAX_WAIT_MS + 2000) * G_TIME_SPAN_MILLISECOND)

static ViLocalServer *server;
static gchar *server_url;
static guint16 server_port;

static void
add_record (const gchar * dataset, const gchar * asset)
{
  ViJsonlRecord *record = vi_jsonl_record_new (asset);
  ViBBox box = { 0.1, 0.2, 0.5, 0.7 };
  GError *error = NULL;

  vi_jsonl_record_set_caption (record, "A cat on a couch");
  vi_jsonl_record_add_phrase (record, "cat", &box);
  fail_unless (vi_local_server_add_record (server, dataset, record, &error));
  g_assert_no_error (error);
  vi_jsonl_record_unref (record);
}

static void
server_setup (void)
{
  GError *error = NULL;
  guint i;

  server = vi_local_server_new (NULL, NULL);
  fail_unless (vi_local_server_start (server, "127.0.0.1", 0, TRUE, &error));
  g_assert_no_error (error);
  server_url = vi_local_server_get_url (server);
  server_port = vi_local_server_get_port (server);

  add_record ("ds", "cat.jpg");
  for (i = 0; i < N_FRAMES; i++) {
    gchar *asset = g_strdup_printf ("f%03u", i);

    /* f005 does not exist. */
    if (i != 5)
      add_record ("frames", asset);
    g_free (asset);
  }
}

static void
server_teardown (void)
{
  vi_local_server_stop (server);
  g_clear_object (&server);
  g_clear_pointer (&server_url, g_free);
}

static void
server_restart (void)
{
  GError *error = NULL;

  fail_unless (vi_local_server_start (server, "127.0.0.1", server_port,
          TRUE, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint n_late;                 /* outage warnings */
  guint n_back;                 /* info messages */
  guint n_other_warnings;
  guint n_errors;
  gchar *first_late;
  /* frames seen after viannotsrc */
  guint n;
  guint n_with_meta;
  gboolean all_after_back;      /* every frame after the wait had a meta */
  /* What the probe does, on the streaming thread, before the next frame:
   * at action_frame, action (); at restart_frame, restart the server; at
   * back_frame, wait for the annotations to be back. */
  guint action_frame;
  void (*action) (void);
  guint restart_frame;
  guint back_frame;
} Run;

static GstBusSyncReply
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;
  GError *err = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, NULL);
      g_mutex_lock (&run->lock);
      if (g_str_has_prefix (err->message, "Annotations of dataset ") &&
          strstr (err->message, " are late: ") != NULL) {
        if (run->first_late == NULL)
          run->first_late = g_strdup (err->message);
        run->n_late++;
      } else {
        GST_INFO ("other warning: %s", err->message);
        run->n_other_warnings++;
      }
      g_mutex_unlock (&run->lock);
      break;
    case GST_MESSAGE_INFO:
      gst_message_parse_info (msg, &err, NULL);
      g_mutex_lock (&run->lock);
      if (g_str_has_prefix (err->message, "Annotations of dataset ") &&
          strstr (err->message, " are back: ") != NULL) {
        run->n_back++;
        g_cond_broadcast (&run->cond);
      }
      g_mutex_unlock (&run->lock);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, NULL);
      GST_INFO ("error: %s", err->message);
      g_mutex_lock (&run->lock);
      run->n_errors++;
      g_mutex_unlock (&run->lock);
      break;
    default:
      break;
  }
  g_clear_error (&err);
  return GST_BUS_PASS;
}

/* Waits for the info message that the annotations are back.  The limit
 * is a safety net far above the outage's retry delays; the wait ends with
 * the message. */
static void
wait_for_back (Run * run)
{
  gint64 end = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&run->lock);
  while (run->n_back == 0)
    fail_unless (g_cond_wait_until (&run->cond, &run->lock, end),
        "the annotations did not come back");
  g_mutex_unlock (&run->lock);
}

static GstPadProbeReturn
frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean has = gst_buffer_get_vi_annot_meta (buf) != NULL;
  guint n;

  g_mutex_lock (&run->lock);
  n = run->n++;
  if (has)
    run->n_with_meta++;
  if (run->back_frame > 0 && n > run->back_frame && !has)
    run->all_after_back = FALSE;
  g_mutex_unlock (&run->lock);

  if (run->action != NULL && n == run->action_frame)
    run->action ();
  if (run->restart_frame > 0 && n == run->restart_frame)
    server_restart ();
  if (run->back_frame > 0 && n == run->back_frame)
    wait_for_back (run);
  return GST_PAD_PROBE_OK;
}

static void
stop_server (void)
{
  vi_local_server_stop (server);
}

static void
no_latency (void)
{
  vi_local_server_set_latency (server, 0);
}

/* Runs "videotestsrc ! viannotsrc <props> ! fakesink" to EOS and returns
 * how long it took, in us.  Credentials as properties. */
static gint64
run_pipeline (const gchar * props, const gchar * endpoint, Run * run,
    GstStructure ** stats)
{
  GstElement *pipeline, *v;
  GstBus *bus;
  GstPad *pad;
  GstMessage *msg;
  GError *error = NULL;
  gchar *desc;
  gint64 t0, dt;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! viannotsrc name=v "
      "max-wait=%d %s ! fakesink sync=false", N_FRAMES, MAX_WAIT_MS, props);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_free (desc);
  v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  g_object_set (v, "endpoint", endpoint, "organization-id", ORG,
      "secret-key", KEY, NULL);
  pad = gst_element_get_static_pad (v, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, run, NULL);
  gst_object_unref (pad);

  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, bus_cb, run, NULL);
  t0 = g_get_monotonic_time ();
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  dt = g_get_monotonic_time () - t0;
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the pipeline did not end with EOS");
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);

  g_object_get (v, "stats", stats, NULL);
  gst_object_unref (v);
  gst_object_unref (pipeline);

  GST_INFO ("%s: %" G_GINT64_FORMAT " ms, %u frames, %u with meta, "
      "%u late, %u back; %" GST_PTR_FORMAT, props, dt / 1000, run->n,
      run->n_with_meta, run->n_late, run->n_back, *stats);
  return dt;
}

static void
run_init (Run * run)
{
  memset (run, 0, sizeof *run);
  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  run->all_after_back = TRUE;
}

static void
run_clear (Run * run)
{
  g_free (run->first_late);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
}

static guint64
stat (const GstStructure * stats, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (stats, field, &v), "%s", field);
  return v;
}

/* ------------------------------------------------------------------ */

/* The server answers after 60 s, the request timeout is 1 s. */
GST_START_TEST (test_latency_beyond_timeout)
{
  GstStructure *stats;
  Run run;
  gint64 dt;

  run_init (&run);
  vi_local_server_set_latency (server, 60000);
  dt = run_pipeline ("dataset-id=ds asset-id=cat.jpg timeout=1",
      server_url, &run, &stats);
  vi_local_server_set_latency (server, 0);

  fail_unless (dt < BOUND_US, "%" G_GINT64_FORMAT " ms for %d frames", dt /
      1000, N_FRAMES);
  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_with_meta, 0);
  fail_unless_equals_int (run.n_late, 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless_equals_int (stat (stats, "outages"), 1);
  fail_unless_equals_int (stat (stats, "frames-annotated"), 0);
  GST_INFO ("warning: %s", run.first_late);
  gst_structure_free (stats);
  run_clear (&run);
}

GST_END_TEST;

/* The same, and the server gets fast again at frame 10: one warning, one
 * info, and every frame after it carries the annotations. */
GST_START_TEST (test_latency_then_back)
{
  GstStructure *stats;
  Run run;

  run_init (&run);
  run.action_frame = 10;
  run.action = no_latency;
  run.back_frame = 10;
  vi_local_server_set_latency (server, 60000);
  run_pipeline ("dataset-id=ds asset-id=cat.jpg timeout=1", server_url, &run,
      &stats);
  vi_local_server_set_latency (server, 0);

  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_late, 1);
  fail_unless_equals_int (run.n_back, 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (run.all_after_back);
  fail_unless_equals_int (run.n_with_meta, N_FRAMES - 11);
  fail_unless_equals_int (stat (stats, "outages"), 1);
  gst_structure_free (stats);
  run_clear (&run);
}

GST_END_TEST;

/* Template mode, the server stopped at frame 20 and never back. */
GST_START_TEST (test_server_killed)
{
  GstStructure *stats;
  Run run;
  gint64 dt;

  run_init (&run);
  run.action_frame = 20;
  run.action = stop_server;
  dt = run_pipeline ("dataset-id=frames asset-id-template=f%03d timeout=1",
      server_url, &run, &stats);
  server_restart ();

  fail_unless (dt < BOUND_US, "%" G_GINT64_FORMAT " ms for %d frames", dt /
      1000, N_FRAMES);
  fail_unless_equals_int (run.n, N_FRAMES);
  /* Frames 0-19 had theirs (but f005, which does not exist). */
  fail_unless (run.n_with_meta >= 19, "%u", run.n_with_meta);
  fail_unless (run.n_with_meta < N_FRAMES - 1);
  fail_unless_equals_int (run.n_late, 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless_equals_int (stat (stats, "frames-no-asset"), 1);
  fail_unless (stat (stats, "outages") >= 1);
  gst_structure_free (stats);
  run_clear (&run);
}

GST_END_TEST;

/* Template mode, the server stopped at frame 20 and started again at
 * frame 40: the annotations come back, with an info message, and every
 * frame after that carries its own. */
GST_START_TEST (test_server_killed_then_back)
{
  GstStructure *stats;
  Run run;

  run_init (&run);
  run.action_frame = 20;
  run.action = stop_server;
  run.restart_frame = 40;
  run.back_frame = 40;
  run_pipeline ("dataset-id=frames asset-id-template=f%03d timeout=1",
      server_url, &run, &stats);

  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless (run.n_late >= 1);
  fail_unless (run.n_back >= 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (run.all_after_back, "a frame after the annotations came back "
      "had none");
  fail_unless_equals_int (stat (stats, "frames-no-asset"), 1);
  gst_structure_free (stats);
  run_clear (&run);
}

GST_END_TEST;

/* Nothing listens at the endpoint. */
GST_START_TEST (test_never_listening)
{
  GSocketListener *listener = g_socket_listener_new ();
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound = NULL;
  GstStructure *stats;
  gchar *url;
  Run run;
  gint64 dt;

  /* A port that was free a moment ago, closed again. */
  fail_unless (g_socket_listener_add_address (listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  url = g_strdup_printf ("http://127.0.0.1:%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_listener_close (listener);
  g_object_unref (listener);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);

  run_init (&run);
  dt = run_pipeline ("dataset-id=ds asset-id=cat.jpg", url, &run, &stats);
  fail_unless (dt < BOUND_US, "%" G_GINT64_FORMAT " ms for %d frames", dt /
      1000, N_FRAMES);
  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_with_meta, 0);
  fail_unless_equals_int (run.n_late, 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (stat (stats, "frames-missed") + stat (stats,
          "frames-timed-out") == N_FRAMES);
  gst_structure_free (stats);
  g_free (url);
  run_clear (&run);
}

GST_END_TEST;

/* Template mode: f005 does not exist.  Frame 5 has no annotations, no
 * error, and is counted. */
GST_START_TEST (test_template_missing_asset)
{
  GstStructure *stats;
  Run run;

  run_init (&run);
  run_pipeline ("dataset-id=frames asset-id-template=f%03d", server_url,
      &run, &stats);
  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_with_meta, N_FRAMES - 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless_equals_int (run.n_late, 0);
  fail_unless_equals_int (stat (stats, "frames-no-asset"), 1);
  fail_unless_equals_int (stat (stats, "frames-annotated"), N_FRAMES - 1);
  gst_structure_free (stats);
  run_clear (&run);
}

GST_END_TEST;

static Suite *
viannotsrc_outage_suite (void)
{
  Suite *s = suite_create ("viannotsrc-outage");
  TCase *tc = tcase_create ("general");

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");

  tcase_add_checked_fixture (tc, server_setup, server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_latency_beyond_timeout);
  tcase_add_test (tc, test_latency_then_back);
  tcase_add_test (tc, test_server_killed);
  tcase_add_test (tc, test_server_killed_then_back);
  tcase_add_test (tc, test_never_listening);
  tcase_add_test (tc, test_template_missing_asset);

  return s;
}

GST_CHECK_MAIN (viannotsrc_outage);
