/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* Nothing lost, nothing twice (docs/decisions.md, "viannotsink"), against
 * vi-local-server in a thread:
 *
 * - the server down for 10 s in the middle of the stream, then up again:
 *   every annotation arrives, none twice;
 * - the pipeline process (viannotsink-child) killed with SIGKILL at five
 *   moments of an upload, then started again on the same spool-dir: the
 *   server ends with every annotation exactly once, each time.  The
 *   moments are made exact by the server holding the request of that
 *   moment (a latency fault) or the import (a processing delay) while the
 *   test kills the child, never by sleeping and hoping. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <vi/vi.h>
#define SINK_TEST_WITH_SERVER
#include "test-sink-common.h"

#define HOLD "\"action\": \"latency\", \"latencyMs\": 600000"
/* The limit of every wait for an event: a safety net only. */
#define LIMIT_US (120 * G_TIME_SPAN_SECOND)
#define N_FRAMES 12

/* Every frame's asset holds its caption and its box, once. */
static void
assert_exactly_once (guint from, guint n)
{
  guint i;

  for (i = from; i < from + n; i++) {
    gchar *asset = g_strdup_printf ("f%03u", i);

    fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
            asset), 2);
    g_free (asset);
  }
  fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
          NULL), 2 * n);
}

static guint
batches_in_spool (void)
{
  GDir *dir = g_dir_open (work, 0, NULL);
  const gchar *name;
  guint n = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "batch-") && g_str_has_suffix (name, ".jsonl"))
      n++;
  g_dir_close (dir);
  return n;
}

/* ------------------------------------------------------------------ */
/* the server down for 10 s */

static GstBuffer *
frame (guint n)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (64 * 48);

  gst_buffer_memset (buf, 0, 0, 64 * 48);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 30);
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 8, 8, 16, 16);
  return buf;
}

static GstMessage *
wait_message (GstBus * bus, GstMessageType types, const gchar * prefix)
{
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, LIMIT_US * 1000,
        types);
    GError *err = NULL;

    fail_unless (msg != NULL, "no message \"%s\"", prefix);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      fail ("error: %s", err->message);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      gst_message_parse_warning (msg, &err, NULL);
    else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_INFO)
      gst_message_parse_info (msg, &err, NULL);
    if (err != NULL && g_str_has_prefix (err->message, prefix)) {
      g_error_free (err);
      return msg;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_message_has_name (msg, prefix))
      return msg;
    g_clear_error (&err);
    gst_message_unref (msg);
  }
}

GST_START_TEST (test_outage)
{
  /* Sunk: the harness only adds a reference of its own. */
  GstElement *e = gst_object_ref_sink (gst_element_factory_make ("viannotsink",
          NULL));
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstMessage *msg;
  GError *error = NULL;
  gint64 stopped, remaining;
  guint i;

  g_object_set (e, "endpoint", server_url, "organization-id", ORG,
      "secret-key", KEY, "dataset-id", "b", "spool-dir", work,
      "asset-id-template", "f%03d", "batch-size", 5, NULL);
  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=64,"
      "height=48,framerate=30/1");

  for (i = 0; i < 5; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
  gst_message_unref (wait_message (bus, GST_MESSAGE_ELEMENT |
          GST_MESSAGE_ERROR, "vi-upload-done"));

  /* Down: the stream goes on, into the spool. */
  vi_test_server_stop (&fixture);
  stopped = g_get_monotonic_time ();
  for (i = 5; i < 30; i++)
    fail_unless_equals_int (gst_harness_push (h, frame (i)), GST_FLOW_OK);
  gst_message_unref (wait_message (bus, GST_MESSAGE_WARNING |
          GST_MESSAGE_ERROR, "Uploads to dataset \"b\" are held up"));
  /* The outage of the issue lasts 10 s: here the time itself is what is
   * tested, so the test waits it out, but on the bus, so that an error of
   * the sink meanwhile (it retries, backing off) ends the test at once
   * instead of after the outage. */
  while ((remaining = stopped + 10 * G_TIME_SPAN_SECOND -
          g_get_monotonic_time ()) > 0) {
    msg = gst_bus_timed_pop_filtered (bus, remaining * GST_USECOND,
        GST_MESSAGE_ERROR);
    if (msg != NULL) {
      gst_message_parse_error (msg, &error, NULL);
      fail ("error during the outage: %s", error->message);
    }
  }

  /* Up again, on the same port, with what it had. */
  vi_test_server_start (&fixture);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  msg = wait_message (bus, GST_MESSAGE_INFO | GST_MESSAGE_ERROR,
      "Uploads to dataset \"b\" are going again");
  gst_message_unref (msg);

  assert_exactly_once (0, 30);
  fail_unless_equals_int (batches_in_spool (), 0);

  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* SIGKILL */

typedef enum
{
  BEFORE_SESSION,               /* its creation held by the server */
  SESSION_CREATED,              /* recorded; the registration held */
  MID_UPLOAD,                   /* the file's PUT held */
  FILES_INSERTED,               /* the import held (processing delay) */
  COMPLETE,                     /* imported; the client's poll held */
} Moment;

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
} Child;

static Child *
spawn_child (guint from, guint n)
{
  GSubprocessLauncher *launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  gchar *helper = g_build_filename (g_getenv ("G_TEST_BUILDDIR"),
      "viannotsink-child", NULL);
  gchar *first_s = g_strdup_printf ("%u", from);
  gchar *n_s = g_strdup_printf ("%u", n);
  Child *child = g_new0 (Child, 1);
  GError *error = NULL;

  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_SECRET_KEY", KEY, TRUE);
  child->process = g_subprocess_launcher_spawn (launcher, &error, helper,
      server_url, work, first_s, n_s, NULL);
  g_assert_no_error (error);
  child->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
      (child->process));
  g_object_unref (launcher);
  g_free (helper);
  g_free (first_s);
  g_free (n_s);
  return child;
}

/* Reads the child's lines until one starts with @prefix; returns the rest
 * of it. */
static gchar *
wait_line (Child * child, const gchar * prefix)
{
  for (;;) {
    GError *error = NULL;
    gchar *line = g_data_input_stream_read_line (child->out, NULL, NULL,
        &error);

    g_assert_no_error (error);
    fail_unless (line != NULL, "the child ended before \"%s\"", prefix);
    GST_INFO ("child: %s", line);
    fail_unless (!g_str_has_prefix (line, "error "), "%s", line);
    if (g_str_has_prefix (line, prefix)) {
      gchar *rest = g_strdup (line + strlen (prefix));

      g_free (line);
      return g_strstrip (rest);
    }
    g_free (line);
  }
}

static void
child_free (Child * child)
{
  g_object_unref (child->out);
  g_object_unref (child->process);
  g_free (child);
}

static void
kill_child (Child * child)
{
  GError *error = NULL;

  g_subprocess_send_signal (child->process, SIGKILL);
  fail_unless (g_subprocess_wait (child->process, NULL, &error));
  g_assert_no_error (error);
  fail_unless (g_subprocess_get_if_signaled (child->process));
  fail_unless_equals_int (g_subprocess_get_term_sig (child->process), SIGKILL);
  child_free (child);
}

static void
hold (const gchar * method, const gchar * path, guint after)
{
  GError *error = NULL;
  gchar *rule = g_strdup_printf ("{\"method\": \"%s\", \"path\": \"%s\", "
      "\"after\": %u, " HOLD "}", method, path, after);

  fail_unless (vi_local_server_add_fault_json (server, rule, &error));
  g_assert_no_error (error);
  g_free (rule);
}

static void
wait_session_complete (const gchar * session_id)
{
  ViAnnotationImportSession *session;
  GError *error = NULL;

  session = vi_client_wait_until_done (fixture.client, "b", session_id, 20,
      0, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  fail_unless (vi_annotation_import_session_is_complete (session));
  vi_annotation_import_session_unref (session);
}

/* Kills the child at @moment, starts it again on the same spool with no
 * frames, and checks that each annotation is there once and how many
 * sessions the second run needed. */
static void
kill_and_restart (Moment moment)
{
  Child *child;
  gchar *session = NULL;
  guint resends;

  vi_local_server_reset_counters (server);
  switch (moment) {
    case BEFORE_SESSION:
      hold ("POST", SESSIONS, 0);
      break;
    case SESSION_CREATED:
      hold ("POST", SESSIONS "/", 0);
      break;
    case MID_UPLOAD:
      hold ("PUT", "/upload/", 0);
      break;
    case FILES_INSERTED:
      vi_local_server_set_processing_delay (server, 600000);
      break;
    case COMPLETE:
      hold ("GET", SESSIONS "/", 0);
      break;
  }

  child = spawn_child (0, N_FRAMES);
  switch (moment) {
    case BEFORE_SESSION:
      server_wait_requests ("POST", SESSIONS, 1);
      break;
    case SESSION_CREATED:
      session = wait_line (child, "progress session-created ");
      server_wait_requests ("POST", SESSIONS "/", 1);
      break;
    case MID_UPLOAD:
      server_wait_requests ("PUT", "/upload/", 1);
      break;
    case FILES_INSERTED:
      session = wait_line (child, "progress files-inserted ");
      break;
    case COMPLETE:
      session = wait_line (child, "progress files-inserted ");
      server_wait_requests ("GET", SESSIONS "/", 1);
      /* The child's poll is held; the test's own read is not. */
      wait_session_complete (session);
      break;
  }
  kill_child (child);
  fail_unless_equals_int (batches_in_spool (), 1);
  if (moment != FILES_INSERTED && moment != COMPLETE)
    fail_unless_equals_int (vi_local_server_count_annotations (server, "b",
            NULL), 0);

  /* Again, on the same spool: it settles what is there, then ends. */
  vi_local_server_clear_faults (server);
  vi_local_server_set_processing_delay (server, 0);
  vi_local_server_reset_counters (server);
  child = spawn_child (0, 0);
  g_free (wait_line (child, "eos"));
  fail_unless (g_subprocess_wait_check (child->process, NULL, NULL));
  child_free (child);

  assert_exactly_once (0, N_FRAMES);
  fail_unless_equals_int (batches_in_spool (), 0);
  /* A new session (create + register) only for a batch whose session
   * never had its files inserted; an imported or importing one is not
   * sent again. */
  resends = vi_local_server_get_request_count (server, "POST", SESSIONS);
  if (moment == FILES_INSERTED || moment == COMPLETE) {
    fail_unless_equals_int (resends, 0);
    fail_unless_equals_int (vi_local_server_get_request_count (server, "PUT",
            "/upload/"), 0);
  } else {
    fail_unless_equals_int (resends, 2);
  }
  g_free (session);
}

GST_START_TEST (test_kill_before_session)
{
  kill_and_restart (BEFORE_SESSION);
}

GST_END_TEST;

GST_START_TEST (test_kill_session_created)
{
  kill_and_restart (SESSION_CREATED);
}

GST_END_TEST;

GST_START_TEST (test_kill_mid_upload)
{
  kill_and_restart (MID_UPLOAD);
}

GST_END_TEST;

GST_START_TEST (test_kill_files_inserted)
{
  kill_and_restart (FILES_INSERTED);
}

GST_END_TEST;

GST_START_TEST (test_kill_complete)
{
  kill_and_restart (COMPLETE);
}

GST_END_TEST;

static Suite *
recovery_suite (void)
{
  Suite *s = suite_create ("viannotsink-recovery");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_kill_before_session);
  tcase_add_test (tc, test_kill_session_created);
  tcase_add_test (tc, test_kill_mid_upload);
  tcase_add_test (tc, test_kill_files_inserted);
  tcase_add_test (tc, test_kill_complete);
  tcase_add_test (tc, test_outage);

  return s;
}

GST_CHECK_MAIN (recovery);
