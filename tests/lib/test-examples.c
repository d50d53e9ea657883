/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The C examples of docs/examples, run as a user would run them, against
 * vi-local-server in a thread of this test.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-test-server.h"

/* What a finished run of an example gave. */
typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static char *
write_jsonl (const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int   fd = g_file_open_tmp ("vi-example-XXXXXX.jsonl", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  return path;
}

/* Runs the example as a user would, with the server's credentials in its
 * environment. */
static void
run_upload_and_verify (ViTestServer *f,
                       Run          *r,
                       const char   *dataset,
                       const char   *path)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  const char *example = g_getenv ("VI_EXAMPLE_UPLOAD_AND_VERIFY");

  g_assert_nonnull (example);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_API_ENDPOINT", f->url,
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_ORGANIZATION_ID",
                                VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID, TRUE);
  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_SECRET_KEY",
                                VI_LOCAL_SERVER_DEFAULT_SECRET_KEY, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, example, dataset, path,
                                      NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &r->out,
                                                &r->err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc))
    g_error ("upload_and_verify died; its stderr:\n%s", r->err);
  r->status = g_subprocess_get_exit_status (proc);
}

/* Two lines make four parts (a caption with two grounded phrases, a
 * question and answer): verified when the four are created. */
static void
test_upload_and_verify (ViTestServer *f, gconstpointer data)
{
  g_autofree char *path = write_jsonl (
      "{\"asset_id\": \"v 1\", \"caption\": \"A cat on a couch\", "
      "\"grounded_phrases\": [{\"phrase\": \"cat\", "
      "\"bbox\": [0.1, 0.2, 0.5, 0.7]}, {\"phrase\": \"couch\", "
      "\"bbox\": [0.6, 0.2, 0.9, 0.7]}]}\n"
      "{\"asset_id\": \"v 2\", \"contents\": {\"question\": \"Q?\", "
      "\"answer\": \"A.\"}}\n");
  g_auto (Run) r = { 0 };

  run_upload_and_verify (f, &r, "verify", path);
  g_test_message ("%s%s", r.out, r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Local: 2 lines, 4 annotation parts"));
  g_assert_nonnull (strstr (r.out, "Created: 4, failed: 0"));
  g_assert_nonnull (strstr (r.out, "verified: every annotation was created"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "verify",
                                                       NULL),
                    ==, 4);
  g_unlink (path);
}

/* A line the service rejects: the SDK's check (lines == total_annotations)
 * would pass, since total_annotations counts the failure; the example's
 * does not. */
static void
test_upload_and_verify_partial (ViTestServer *f, gconstpointer data)
{
  g_autofree char *path = write_jsonl (
      "{\"asset_id\": \"p 1\", \"caption\": \"kept\"}\n"
      "{\"asset_id\": \"p 2\"}\n");
  g_auto (Run) r = { 0 };

  run_upload_and_verify (f, &r, "partial", path);
  g_test_message ("%s%s", r.out, r.err);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.out, "Local: 2 lines"));
  g_assert_nonnull (strstr (r.out, "Created: 1, failed: 1"));
  g_assert_nonnull (strstr (r.out, "(total_annotations 2)"));
  g_assert_nonnull (strstr (r.out, "NOT verified"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "partial",
                                                       NULL),
                    ==, 1);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_unsetenv ("http_proxy");
  g_test_init (&argc, &argv, NULL);

  VI_TEST_SERVER_ADD ("/examples/upload-and-verify", test_upload_and_verify);
  VI_TEST_SERVER_ADD ("/examples/upload-and-verify/partial",
                      test_upload_and_verify_partial);

  return g_test_run ();
}
