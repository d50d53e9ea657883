/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* viannotsrc in real pipelines (gst_parse_launch) against vi-local-server
 * in a thread on 127.0.0.1: live and non-live sources, state changes and
 * flushing seeks during a slow fetch, secrets in logs, gst-inspect. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#include <gst/viannot/gstviannotmeta.h>
#include "test-gst-server.h"

/* The server holds a fetch for 5 s in the tests of state changes and
 * seeks during a fetch: a call that waited for the fetch would take that
 * long; one that does not returns well inside half of it, on any machine
 * (this is not a speed goal). */
#define HALF_THE_FETCH (2500 * G_TIME_SPAN_MILLISECOND)

static void
setup (void)
{
  GError *error = NULL;
  ViJsonlRecord *record = vi_jsonl_record_new ("cat.jpg");
  ViBBox cat = { 0.1, 0.2, 0.5, 0.7 };

  server_setup ();

  vi_jsonl_record_set_caption (record, "A cat on a couch");
  vi_jsonl_record_add_phrase (record, "cat", &cat);
  fail_unless (vi_local_server_add_record (server, "ds", record, &error));
  g_assert_no_error (error);
  vi_jsonl_record_unref (record);
}

/* A pipeline "<head> ! viannotsrc name=v <props> ! fakesink"; credentials
 * are set as properties, not in the launch line. */
static GstElement *
make_pipeline (const gchar * head, const gchar * props, const gchar * key)
{
  GError *error = NULL;
  gchar *desc = g_strdup_printf ("%s ! viannotsrc name=v %s ! "
      "fakesink name=sink", head, props);
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *v;

  g_assert_no_error (error);
  fail_unless (pipeline != NULL);
  v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  if (strstr (props, "dataset-id") != NULL)
    g_object_set (v, "endpoint", server_url, "organization-id", ORG, NULL);
  if (key != NULL)
    g_object_set (v, "secret-key", key, NULL);
  gst_object_unref (v);
  g_free (desc);
  return pipeline;
}

typedef struct
{
  GMutex lock;
  guint n;
  guint n_with_meta;
  gint first_with_meta;
  gboolean late_without;        /* a frame without meta after one with */
  gint64 last_time;
  gint64 max_gap;
} FrameLog;

static GstPadProbeReturn
frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  FrameLog *log = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean has = gst_buffer_get_vi_annot_meta (buf) != NULL;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&log->lock);
  if (log->n > 0)
    log->max_gap = MAX (log->max_gap, now - log->last_time);
  log->last_time = now;
  if (has) {
    if (log->first_with_meta < 0)
      log->first_with_meta = log->n;
    log->n_with_meta++;
  } else if (log->first_with_meta >= 0) {
    log->late_without = TRUE;
  }
  log->n++;
  g_mutex_unlock (&log->lock);

  return GST_PAD_PROBE_OK;
}

static void
add_frame_probe (GstElement * pipeline, FrameLog * log)
{
  GstElement *v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  GstPad *pad = gst_element_get_static_pad (v, "src");

  memset (log, 0, sizeof *log);
  g_mutex_init (&log->lock);
  log->first_with_meta = -1;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, log, NULL);
  gst_object_unref (pad);
  gst_object_unref (v);
}

static GstMessage *
run_to_eos (GstElement * pipeline, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  return msg;
}

/* ------------------------------------------------------------------ */

/* Live source, 200 ms to fetch: no frame is held back by the fetch; the
 * first frames pass without annotations, the later ones have them. */
GST_START_TEST (test_live_source_never_waits)
{
  GstElement *pipeline;
  GstMessage *msg;
  FrameLog log;

  vi_local_server_set_latency (server, 200);
  pipeline = make_pipeline ("videotestsrc is-live=true num-buffers=30 ! "
      "video/x-raw,width=320,height=240,framerate=30/1",
      "dataset-id=ds asset-id=cat.jpg", KEY);
  add_frame_probe (pipeline, &log);

  msg = run_to_eos (pipeline, 10);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  GST_INFO ("%u frames, first with meta %d, max gap %" G_GINT64_FORMAT " us",
      log.n, log.first_with_meta, log.max_gap);
  fail_unless_equals_int (log.n, 30);
  fail_unless (log.first_with_meta > 0);
  fail_unless (log.n_with_meta > 0);
  fail_if (log.late_without);
  /* No wall-clock bound here (the suite has no timed assertions; the
   * gap is logged above): a frame held for the fetch would have carried
   * the annotations, and the first ones did not. */

  {
    GstElement *v = gst_bin_get_by_name (GST_BIN (pipeline), "v");
    GstStructure *stats;
    guint64 missed;

    g_object_get (v, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint64 (stats, "frames-missed", &missed));
    fail_unless_equals_int (missed, log.first_with_meta);
    gst_structure_free (stats);
    gst_object_unref (v);
  }

  vi_local_server_set_latency (server, 0);
  gst_object_unref (pipeline);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

/* Non-live: the first frame waits for the fetch and carries it. */
GST_START_TEST (test_non_live_first_frame_carries)
{
  GstElement *pipeline;
  GstMessage *msg;
  FrameLog log;

  vi_local_server_set_latency (server, 200);
  pipeline = make_pipeline ("videotestsrc num-buffers=5",
      "dataset-id=ds asset-id=cat.jpg", KEY);
  add_frame_probe (pipeline, &log);

  msg = run_to_eos (pipeline, 10);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  fail_unless_equals_int (log.n, 5);
  fail_unless_equals_int (log.first_with_meta, 0);
  fail_unless_equals_int (log.n_with_meta, 5);

  vi_local_server_set_latency (server, 0);
  gst_object_unref (pipeline);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

/* PLAYING -> NULL while the first frame waits for a 5 s fetch. */
GST_START_TEST (test_stop_during_slow_fetch)
{
  GstElement *pipeline;
  gint64 t0;

  vi_local_server_reset_counters (server);
  vi_local_server_set_latency (server, 5000);
  pipeline = make_pipeline ("videotestsrc",
      "dataset-id=ds asset-id=cat.jpg", KEY);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
  server_wait_requests ("GET", NULL, 1);

  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - t0 < HALF_THE_FETCH);

  vi_local_server_set_latency (server, 0);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A flushing seek while the first frame waits for a 5 s fetch. */
GST_START_TEST (test_seek_during_slow_fetch)
{
  GstElement *pipeline;
  gint64 t0;

  vi_local_server_reset_counters (server);
  vi_local_server_set_latency (server, 5000);
  pipeline = make_pipeline ("videotestsrc",
      "dataset-id=ds asset-id=cat.jpg", KEY);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_ASYNC);
  server_wait_requests ("GET", NULL, 1);

  t0 = g_get_monotonic_time ();
  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SECOND));
  fail_unless (g_get_monotonic_time () - t0 < HALF_THE_FETCH);

  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_get_monotonic_time () - t0 < HALF_THE_FETCH);

  vi_local_server_set_latency (server, 0);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstBusSyncReply
keep_fetched (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GstStructure **fetched = user_data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (s, "vi-annotations-fetched") && *fetched == NULL)
    *fetched = gst_structure_copy (s);
  return GST_BUS_PASS;
}

/* location mode through gst_parse_launch, and the fetched message. */
GST_START_TEST (test_location_pipeline)
{
  gchar *dir = g_dir_make_tmp ("viannotsrc-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "ann.jsonl", NULL);
  gchar *props;
  const gchar *lines =
      "{\"asset_id\": \"a.jpg\", \"caption\": \"A red car\", "
      "\"grounded_phrases\": [{\"phrase\": \"red car\", "
      "\"bbox\": [0.1, 0.2, 0.5, 0.6]}]}\n";
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  FrameLog log;
  GstStructure *fetched = NULL;

  fail_unless (g_file_set_contents (path, lines, -1, NULL));
  props = g_strdup_printf ("location=\"%s\"", path);
  pipeline = make_pipeline ("videotestsrc num-buffers=4 ! "
      "video/x-raw,width=640,height=480", props, NULL);
  add_frame_probe (pipeline, &log);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, keep_fetched, &fetched, NULL);
  msg = run_to_eos (pipeline, 10);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);

  fail_unless (fetched != NULL);
  {
    guint count;

    fail_unless_equals_string (gst_structure_get_string (fetched,
            "asset-id"), "a.jpg");
    fail_unless (gst_structure_get_uint (fetched, "count", &count));
    fail_unless_equals_int (count, 1);
    fail_unless (gst_structure_has_field (fetched, "milliseconds"));
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  fail_unless_equals_int (log.n_with_meta, 4);

  gst_structure_free (fetched);
  gst_object_unref (pipeline);
  g_mutex_clear (&log.lock);
  g_unlink (path);
  g_rmdir (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* Template mode in a pipeline: videotestsrc numbers its buffers. */
GST_START_TEST (test_template_pipeline)
{
  ViJsonlRecord *records[60];
  GstElement *pipeline;
  GstMessage *msg;
  FrameLog log;
  GError *error = NULL;
  guint n;

  for (n = 0; n < 60; n++) {
    gchar *asset = g_strdup_printf ("f%03u", n);
    gchar *caption = g_strdup_printf ("caption %u", n);

    records[n] = vi_jsonl_record_new (asset);
    vi_jsonl_record_set_caption (records[n], caption);
    g_free (asset);
    g_free (caption);
  }
  fail_unless (vi_local_server_add_records (server, "tds", records, 60,
          &error));
  for (n = 0; n < 60; n++)
    vi_jsonl_record_unref (records[n]);

  pipeline = make_pipeline ("videotestsrc num-buffers=60",
      "dataset-id=tds asset-id-template=f%03d", KEY);
  add_frame_probe (pipeline, &log);
  msg = run_to_eos (pipeline, 20);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (log.n_with_meta, 60);

  gst_object_unref (pipeline);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

/* on-error=warn in a pipeline: a wrong key, and the video still plays to
 * the end. */
GST_START_TEST (test_on_error_warn_pipeline)
{
  GstElement *pipeline;
  GstMessage *msg;
  FrameLog log;

  pipeline = make_pipeline ("videotestsrc num-buffers=10",
      "dataset-id=ds asset-id=cat.jpg on-error=warn", WRONG_KEY);
  add_frame_probe (pipeline, &log);
  msg = run_to_eos (pipeline, 10);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (log.n, 10);
  fail_unless_equals_int (log.n_with_meta, 0);

  gst_object_unref (pipeline);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

static GMutex log_lock;
static gboolean secret_seen;
static guint n_logged;

static void
secret_log_func (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&log_lock);
  n_logged++;
  if (text != NULL && strstr (text, "_key_for_the_tests_") != NULL)
    secret_seen = TRUE;
  g_mutex_unlock (&log_lock);
}

/* At every debug level, in the error and on the bus: no secret key. */
GST_START_TEST (test_secret_never_logged)
{
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_debug_set_active (TRUE);
  gst_debug_add_log_function (secret_log_func, NULL, NULL);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);

  pipeline = make_pipeline ("videotestsrc num-buffers=3",
      "dataset-id=ds asset-id=cat.jpg", WRONG_KEY);
  msg = run_to_eos (pipeline, 10);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED));
  fail_unless (strstr (err->message, "_key_for_the_tests_") == NULL);
  fail_unless (debug == NULL || strstr (debug, "_key_for_the_tests_") == NULL);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);

  bus = gst_element_get_bus (pipeline);
  while ((msg = gst_bus_pop (bus))) {
    const GstStructure *s = gst_message_get_structure (msg);
    gchar *str = s ? gst_structure_to_string (s) : NULL;

    fail_unless (str == NULL || strstr (str, "_key_for_the_tests_") == NULL);
    g_free (str);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_remove_log_function (secret_log_func);

  fail_unless (n_logged > 100);
  fail_if (secret_seen);
}

GST_END_TEST;

/* Under AddressSanitizer the plugin can only be loaded by a process that
 * has the ASan runtime first: preload the one this test runs with. */
static gchar **
inspect_envp (void)
{
  gchar **envp = g_get_environ ();
  gchar *maps = NULL;
  gchar **lines, **l;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return envp;
  lines = g_strsplit (maps, "\n", -1);
  for (l = lines; *l != NULL; l++) {
    const gchar *path = strchr (*l, '/');

    if (path != NULL && strstr (path, "/libasan.so") != NULL) {
      envp = g_environ_setenv (envp, "LD_PRELOAD", path, TRUE);
      envp = g_environ_setenv (envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
      break;
    }
  }
  g_strfreev (lines);
  g_free (maps);
  return envp;
}

/* gst-inspect-1.0 documents every property with its default. */
GST_START_TEST (test_gst_inspect)
{
  const gchar *props[] = { "location", "dataset-id", "asset-id",
    "asset-id-template", "start-number", "asset-rate", "endpoint",
    "organization-id", "secret-key", "config-file", "timeout", "page-size",
    "refresh-interval", "prefetch", "max-wait", "on-error",
    "attach-roi-meta", "stats"
  };
  /* The element's documentation where users look: examples, numbering,
   * waiting and outages, messages, error mapping, credentials. */
  const gchar *doc[] = { "\n  Examples ", "\n  Frames ", "\n  Waiting ",
    "\n  Messages ", "\n  Errors ", "\n  Credentials ",
    "round(stream time x framerate) + start-number", "outage",
    "vi-annotations-fetched", "vi-annotations-stats", "NOT_AUTHORIZED",
    "GST_DEBUG=GST_PIPELINE:4", "asset-id-template=frame_%06d"
  };
  gchar *argv[] = { (gchar *) "gst-inspect-1.0", (gchar *) "viannotsrc",
    NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = 0;
  guint i;
  GError *error = NULL;
  gchar **envp = inspect_envp ();
  gboolean spawned;

  spawned = g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
      &out, &err, &status, &error);
  g_strfreev (envp);
  if (!spawned) {
    GST_WARNING ("gst-inspect-1.0 not available: %s", error->message);
    g_clear_error (&error);
    return;
  }
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s", err);
  fail_unless (strstr (out, "Filter/Metadata/Video") != NULL);
  for (i = 0; i < G_N_ELEMENTS (props); i++) {
    gchar *needle = g_strdup_printf ("\n  %s ", props[i]);
    const gchar *at = strstr (out, needle);

    fail_unless (at != NULL, "property %s not in gst-inspect output", props[i]);
    if (!g_str_equal (props[i], "stats"))
      fail_unless (strstr (at, "Default") != NULL);
    g_free (needle);
  }
  fail_unless (strstr (out, "Default: 1000") != NULL);
  fail_unless (strstr (out, "Default: 10000") != NULL);
  for (i = 0; i < G_N_ELEMENTS (doc); i++)
    fail_unless (strstr (out, doc[i]) != NULL, "'%s' not in gst-inspect "
        "output", doc[i]);
  g_free (out);
  g_free (err);
}

GST_END_TEST;

static Suite *
viannotsrc_pipelines_suite (void)
{
  Suite *s = suite_create ("viannotsrc-pipelines");
  TCase *tc = tcase_create ("general");

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");

  tcase_add_checked_fixture (tc, setup, server_teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_live_source_never_waits);
  tcase_add_test (tc, test_non_live_first_frame_carries);
  tcase_add_test (tc, test_stop_during_slow_fetch);
  tcase_add_test (tc, test_seek_during_slow_fetch);
  tcase_add_test (tc, test_location_pipeline);
  tcase_add_test (tc, test_template_pipeline);
  tcase_add_test (tc, test_on_error_warn_pipeline);
  tcase_add_test (tc, test_secret_never_logged);
  tcase_add_test (tc, test_gst_inspect);

  return s;
}

GST_CHECK_MAIN (viannotsrc_pipelines);
