/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Ctrl+C (SIGINT) and SIGTERM sent to the real vi-annotations process while
 * it waits on vi-local-server: every command stops with 128 + the signal,
 * an upload marks its session CancelledByUser, a second Ctrl+C exits at
 * once.  The server holds the request the command is in (a latency fault of
 * ten minutes, the most a fault allows); the test sends the signal once the
 * server has seen that request.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "test-cli-common.h"

/* Long enough that a command that ignores the signal never gets an answer
 * while the test runs. */
#define HOLD "600000"

/* The server has received the requests (@data, a GCancellable cancelled
 * in the main context when it has); the command must not have ended
 * first. */
static gboolean
server_saw (Child *c, gconstpointer data)
{
  if (c->done)
    g_error ("vi-annotations %s ended (status %d) before the server saw "
             "the request; its stderr:\n%s",
             c->command, g_subprocess_get_exit_status (c->proc), c->run.err);
  return g_cancellable_is_cancelled ((GCancellable *) data);
}

/* Waits until the server has seen @n requests of @method under @path,
 * woken by the server as they come in (the cancel of a flag, in the main
 * context that collects the child's output). */
static void
wait_for_requests (Child *c, const char *method, const char *path, guint n)
{
  g_autoptr (GCancellable) seen = g_cancellable_new ();
  GThread *thread =
      vi_test_server_cancel_on_request_in (c->f->server, seen,
                                           g_main_context_default (), method,
                                           path, n);

  wait_until (c, server_saw, seen, "the request");
  g_thread_join (thread);
}

/* Sends @signum and waits for the exit. */
static void
interrupt (Child *c, int signum)
{
  g_subprocess_send_signal (c->proc, signum);
  wait_until (c, exited, NULL, "the exit after the signal");
  run_set_status (&c->run, c->proc, c->command);
  g_test_message ("vi-annotations %s: status %d, stderr:\n%s", c->command,
                  c->run.status, c->run.err);
}

#define UPLOAD_LINE "{\"asset_id\": \"up 1\", \"caption\": \"A red car\"}\n"

/* A list that stops in the middle: the second page is held. */
static void
test_list (Fixture *f, gconstpointer data)
{
  g_auto (Child) c = { 0 };

  add_fault (f,
             "{\"method\": \"GET\", \"path\": \"/workspaces/\", "
             "\"after\": 1, \"times\": -1, \"action\": \"latency\", "
             "\"latencyMs\": " HOLD "}");
  child_start (&c, f, KEY,
               (const char *[]){ "list", "ds", "img 1", "--page-size", "1",
                                 NULL });
  wait_for_requests (&c, "GET", "/workspaces/", 2);
  interrupt (&c, SIGINT);

  g_assert_cmpint (c.run.status, ==, 130);
  g_assert_nonnull (strstr (c.run.err, "interrupted"));
  /* What came before is printed, the total is not. */
  g_assert_nonnull (strstr (c.run.out, "ANNOTATION"));
  g_assert_null (strstr (c.run.out, "annotations"));
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                       "/workspaces/"),
                    ==, 2);
}

/* A hung call, ended by SIGTERM: 143. */
static void
test_get_sigterm (Fixture *f, gconstpointer data)
{
  g_auto (Child) c = { 0 };

  add_fault (f, "{\"action\": \"latency\", \"latencyMs\": " HOLD "}");
  child_start (&c, f, KEY,
               (const char *[]){ "get", "ds", "img 1", "abc", NULL });
  wait_for_requests (&c, "GET", "/workspaces/", 1);
  interrupt (&c, SIGTERM);

  g_assert_cmpint (c.run.status, ==, 143);
  g_assert_nonnull (strstr (c.run.err, "interrupted"));
  g_assert_cmpstr (c.run.out, ==, "");
}

/* Interrupted while the file is sent: the session is marked
 * CancelledByUser, as the README promises, and nothing is imported. */
static void
test_upload (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_temp_jsonl (UPLOAD_LINE);
  g_autofree char *id = NULL;
  g_autofree char *chain = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Child) c = { 0 };

  add_fault (f,
             "{\"method\": \"PUT\", \"path\": \"/upload/\", "
             "\"action\": \"latency\", \"latencyMs\": " HOLD "}");
  child_start (&c, f, KEY, (const char *[]){ "upload", "up", path, NULL });
  wait_for_requests (&c, "PUT", "/upload/", 1);
  interrupt (&c, SIGINT);

  g_assert_cmpint (c.run.status, ==, 130);
  g_assert_nonnull (strstr (c.run.err, "interrupted"));
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);
  id = session_id_in (c.run.err);
  client = vi_client_new (f->url, KEY, ORG, NULL, &error);
  g_assert_no_error (error);
  session = vi_client_get_import_session (client, "up", id, NULL, &error);
  g_assert_no_error (error);
  chain = vi_annotation_import_session_describe_conditions (session);
  g_assert_cmpstr (chain, ==, "FilesInserted: FailedReach (CancelledByUser)");
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "up", NULL),
                    ==, 0);
  g_unlink (path);
}

/* wait stops between two polls of a session that is not processed yet. */
static void
test_wait (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_temp_jsonl (UPLOAD_LINE);
  g_autoptr (JsonNode) node = NULL;
  g_auto (Run) nowait = { 0 };
  g_auto (Child) c = { 0 };
  const char *id;

  vi_local_server_set_processing_delay (f->server, 3600 * 1000);
  run_cli (f, &nowait, KEY,
           (const char *[]){ "upload", "up", path, "--no-wait", "--json",
                             NULL });
  g_assert_cmpint (nowait.status, ==, 0);
  node = parse (nowait.out);
  id = json_object_get_string_member (json_node_get_object (node),
                                      "annotationImportSessionId");

  vi_local_server_reset_counters (f->server);
  child_start (&c, f, KEY,
               (const char *[]){ "wait", "up", id, "--poll-interval", "0.01",
                                 NULL });
  wait_for_requests (&c, "GET", "/workspaces/", 2);
  interrupt (&c, SIGINT);

  g_assert_cmpint (c.run.status, ==, 130);
  g_assert_nonnull (strstr (c.run.err, "interrupted"));
  g_assert_nonnull (strstr (c.run.err, id));
  g_assert_cmpstr (c.run.out, ==, "");
  g_unlink (path);
}

/* export download stops in the middle of the transfer. */
static void
test_export_download (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-cli-signal-XXXXXX", &error);
  g_autofree char *unpacked = NULL;
  g_autofree char *id = cli_create_export (f);
  g_auto (Child) c = { 0 };

  add_fault (f,
             "{\"method\": \"GET\", \"path\": \"/downloads/\", "
             "\"times\": -1, \"action\": \"latency\", \"latencyMs\": " HOLD
             "}");
  child_start (&c, f, KEY,
               (const char *[]){ "export", "download", "ds", id, dir, NULL });
  wait_for_requests (&c, "GET", "/downloads/", 1);
  interrupt (&c, SIGINT);

  g_assert_cmpint (c.run.status, ==, 130);
  g_assert_nonnull (strstr (c.run.err, "interrupted"));
  unpacked = g_build_filename (dir, "ds", "dump", NULL);
  g_assert_false (g_file_test (unpacked, G_FILE_TEST_EXISTS));
}

/* The first Ctrl+C starts the clean-up (the CancelledByUser PATCH); when
 * that hangs too, the second one exits at once. */
static void
test_second_interrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_temp_jsonl (UPLOAD_LINE);
  g_auto (Child) c = { 0 };

  add_fault (f,
             "[{\"method\": \"PUT\", \"path\": \"/upload/\", "
             "\"action\": \"latency\", \"latencyMs\": " HOLD "}, "
             "{\"method\": \"PATCH\", \"action\": \"latency\", "
             "\"latencyMs\": " HOLD "}]");
  child_start (&c, f, KEY, (const char *[]){ "upload", "up", path, NULL });
  wait_for_requests (&c, "PUT", "/upload/", 1);
  g_subprocess_send_signal (c.proc, SIGINT);
  wait_for_requests (&c, "PATCH", NULL, 1);
  interrupt (&c, SIGINT);

  g_assert_cmpint (c.run.status, ==, 130);
  g_assert_nonnull (strstr (c.run.err, "interrupted again"));
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, vi_test_server_teardown)
  ADD ("/cli-signals/list", test_list);
  ADD ("/cli-signals/get-sigterm", test_get_sigterm);
  ADD ("/cli-signals/upload", test_upload);
  ADD ("/cli-signals/wait", test_wait);
  ADD ("/cli-signals/export-download", test_export_download);
  ADD ("/cli-signals/second-interrupt", test_second_interrupt);
#undef ADD

  return g_test_run ();
}
