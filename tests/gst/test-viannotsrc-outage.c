/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotsrc when the service stops answering (docs/decisions.md, "Frame
 * metadata and viannotsrc"), against vi-local-server in a thread on
 * 127.0.0.1: a server slower than the request timeout, a server stopped in
 * the middle of the stream, an endpoint where nothing listens.  A non-live
 * pipeline of 60 frames must end within max-wait + 2 s (one max-wait per
 * outage, not one per frame), with a warning on the bus, and the annotations
 * must come back, with an info message, once the server answers again.  And a
 * template frame whose asset does not exist is a frame without annotations,
 * not an error. */
#include "config.h"

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#include "test-gst-server.h"
#include "test-viannotsrc-run.h"

#define N_FRAMES 60
#define MAX_WAIT_MS 3000
/* The bound of the issue: a silent service costs one max-wait. */
#define BOUND_US ((MAX_WAIT_MS + 2000) * G_TIME_SPAN_MILLISECOND)

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
setup (void)
{
  guint i;

  server_setup ();
  add_record ("ds", "cat.jpg");
  for (i = 0; i < N_FRAMES; i++) {
    gchar *asset = g_strdup_printf ("f%03u", i);

    /* f005 does not exist. */
    if (i != 5)
      add_record ("frames", asset);
    g_free (asset);
  }
}

/* Up again on the same port, with what it had. */
static void
server_restart (void)
{
  vi_test_server_start (&fixture);
}

/* ------------------------------------------------------------------ */

static void
stop_server (void)
{
  vi_test_server_stop (&fixture);
}

static void
no_latency (void)
{
  vi_local_server_set_latency (server, 0);
}

/* Runs "videotestsrc ! viannotsrc <props> ! fakesink" to EOS and returns
 * how long it took, in us. */
static gint64
run_pipeline (const gchar * props, const gchar * endpoint, SrcRun * run,
    GstStructure ** stats)
{
  fail_unless_equals_int (src_run_pipeline (run, props, endpoint, N_FRAMES,
          MAX_WAIT_MS, stats), GST_MESSAGE_EOS);
  return run->elapsed;
}

/* ------------------------------------------------------------------ */

/* The server answers after 60 s, the request timeout is 1 s. */
GST_START_TEST (test_latency_beyond_timeout)
{
  GstStructure *stats;
  SrcRun run;
  gint64 dt;

  src_run_init (&run);
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
  fail_unless_equals_int (src_run_stat (stats, "outages"), 1);
  fail_unless_equals_int (src_run_stat (stats, "frames-annotated"), 0);
  GST_INFO ("warning: %s", run.first_late);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

/* The same, and the server gets fast again at frame 10: one warning, one
 * info, and every frame after it carries the annotations. */
GST_START_TEST (test_latency_then_back)
{
  GstStructure *stats;
  SrcRun run;

  src_run_init (&run);
  run.actions[0].frame = 10;
  run.actions[0].func = no_latency;
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
  fail_unless_equals_int (src_run_stat (stats, "outages"), 1);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

/* Template mode, the server stopped at frame 20 and never back. */
GST_START_TEST (test_server_killed)
{
  GstStructure *stats;
  SrcRun run;
  gint64 dt;

  src_run_init (&run);
  run.actions[0].frame = 20;
  run.actions[0].func = stop_server;
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
  fail_unless_equals_int (src_run_stat (stats, "frames-no-asset"), 1);
  fail_unless (src_run_stat (stats, "outages") >= 1);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

/* Template mode, the server stopped at frame 20 and started again at
 * frame 40: the annotations come back, with an info message, and every
 * frame after that carries its own. */
GST_START_TEST (test_server_killed_then_back)
{
  GstStructure *stats;
  SrcRun run;

  src_run_init (&run);
  run.actions[0].frame = 20;
  run.actions[0].func = stop_server;
  run.actions[1].frame = 40;
  run.actions[1].func = server_restart;
  run.back_frame = 40;
  run_pipeline ("dataset-id=frames asset-id-template=f%03d timeout=1",
      server_url, &run, &stats);

  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless (run.n_late >= 1);
  fail_unless (run.n_back >= 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (run.all_after_back, "a frame after the annotations came back "
      "had none");
  fail_unless_equals_int (src_run_stat (stats, "frames-no-asset"), 1);
  gst_structure_free (stats);
  src_run_clear (&run);
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
  SrcRun run;
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

  src_run_init (&run);
  dt = run_pipeline ("dataset-id=ds asset-id=cat.jpg", url, &run, &stats);
  fail_unless (dt < BOUND_US, "%" G_GINT64_FORMAT " ms for %d frames", dt /
      1000, N_FRAMES);
  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_with_meta, 0);
  fail_unless_equals_int (run.n_late, 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (src_run_stat (stats, "frames-missed") + src_run_stat (stats,
          "frames-timed-out") == N_FRAMES);
  gst_structure_free (stats);
  g_free (url);
  src_run_clear (&run);
}

GST_END_TEST;

/* Template mode: f005 does not exist.  Frame 5 has no annotations, no
 * error, and is counted. */
GST_START_TEST (test_template_missing_asset)
{
  GstStructure *stats;
  SrcRun run;

  src_run_init (&run);
  run_pipeline ("dataset-id=frames asset-id-template=f%03d", server_url,
      &run, &stats);
  fail_unless_equals_int (run.n, N_FRAMES);
  fail_unless_equals_int (run.n_with_meta, N_FRAMES - 1);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless_equals_int (run.n_late, 0);
  fail_unless_equals_int (src_run_stat (stats, "frames-no-asset"), 1);
  fail_unless_equals_int (src_run_stat (stats, "frames-annotated"),
      N_FRAMES - 1);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

/* Template mode, 4 frames whose assets exist; the prefetch window also
 * asks for the assets past the end of the stream, which do not, and their
 * 404s come back first (the existing assets are slowed down).  No frame
 * met a missing asset: no warning that the template may be wrong. */
GST_START_TEST (test_template_prefetch_past_end)
{
  GstStructure *stats;
  GError *error = NULL;
  SrcRun run;
  guint i;

  for (i = 0; i < 4; i++) {
    gchar *asset = g_strdup_printf ("s%03u", i);
    gchar *rule = g_strdup_printf ("{\"method\": \"GET\", \"path\": "
        "\"/workspaces/" VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
        "/datasets/" VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
        "_short/assets/%s/\", \"action\": \"latency\", "
        "\"latencyMs\": 300, \"times\": -1}", asset);

    add_record ("short", asset);
    fail_unless (vi_local_server_add_fault_json (server, rule, &error));
    g_assert_no_error (error);
    g_free (rule);
    g_free (asset);
  }

  src_run_init (&run);
  fail_unless_equals_int (src_run_pipeline (&run,
          "dataset-id=short asset-id-template=s%03d", server_url, 4,
          MAX_WAIT_MS, &stats), GST_MESSAGE_EOS);
  vi_local_server_clear_faults (server);

  fail_unless_equals_int (run.n, 4);
  fail_unless_equals_int (run.n_with_meta, 4);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless (run.n_other_warnings == 0, "a warning: %s (%s)",
      run.first_warning->message, run.first_warning_debug);
  fail_unless (src_run_stat (stats, "fetch-errors") > 0);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

/* Template mode, no asset of the template exists: one warning, when the
 * first frame meets its missing asset, naming it. */
GST_START_TEST (test_template_no_asset_warns)
{
  GstStructure *stats;
  SrcRun run;

  src_run_init (&run);
  fail_unless_equals_int (src_run_pipeline (&run,
          "dataset-id=frames asset-id-template=g%03d", server_url, 4,
          MAX_WAIT_MS, &stats), GST_MESSAGE_EOS);

  fail_unless_equals_int (run.n, 4);
  fail_unless_equals_int (run.n_with_meta, 0);
  fail_unless_equals_int (run.n_errors, 0);
  fail_unless_equals_int (run.n_other_warnings, 1);
  fail_unless (g_error_matches (run.first_warning, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  fail_unless (strstr (run.first_warning->message,
          "Asset \"g000\" is not in dataset \"frames\"") != NULL, "%s",
      run.first_warning->message);
  fail_unless_equals_int (src_run_stat (stats, "frames-no-asset"), 4);
  gst_structure_free (stats);
  src_run_clear (&run);
}

GST_END_TEST;

static Suite *
viannotsrc_outage_suite (void)
{
  Suite *s = suite_create ("viannotsrc-outage");
  TCase *tc = tcase_create ("general");

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");

  tcase_add_checked_fixture (tc, setup, server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_latency_beyond_timeout);
  tcase_add_test (tc, test_latency_then_back);
  tcase_add_test (tc, test_server_killed);
  tcase_add_test (tc, test_server_killed_then_back);
  tcase_add_test (tc, test_never_listening);
  tcase_add_test (tc, test_template_missing_asset);
  tcase_add_test (tc, test_template_prefetch_past_end);
  tcase_add_test (tc, test_template_no_asset_warns);

  return s;
}

GST_CHECK_MAIN (viannotsrc_outage);
