/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/*
 * Shared by the CLI tests: vi-local-server in a thread of the test (the
 * shared fixture of tests/common), and
 * the vi-annotations executable ($VI_ANNOTATIONS_CLI) run against it as a
 * subprocess with the credentials in its environment.
 */

#include <string.h>
#include <unistd.h>

#include <vi/vi.h>
#include "vi-test-server.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY

/* The shared fixture: a server started for the test. */
typedef ViTestServer Fixture;

/* What a finished run gave. */
typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static inline void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* The shared fixture, with asset "img 1" of dataset "ds": a caption, a
 * box and a VQA pair. */
static inline void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlRecord) record = vi_jsonl_record_new ("img 1");
  ViBBox cat = { 0.1, 0.2, 0.5, 0.7 };

  vi_test_server_setup (f, data);
  vi_jsonl_record_set_caption (record, "A cat sitting on a couch");
  vi_jsonl_record_add_phrase (record, "cat", &cat);
  vi_jsonl_record_add_interaction (record, "What is the cat doing?", "Sitting");
  g_assert_true (vi_local_server_add_record (f->server, "ds", record, &error));
  g_assert_no_error (error);
}

/* A launcher whose children talk to the fixture's server with @key (none
 * when NULL). */
static inline GSubprocessLauncher *
cli_launcher_new (Fixture *f, const char *key)
{
  GSubprocessLauncher *launcher;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_API_ENDPOINT", f->url,
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "DATATURE_VI_ORGANIZATION_ID", ORG,
                                TRUE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "DATATURE_VI_SECRET_KEY", key,
                                  TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "DATATURE_VI_SECRET_KEY");
  return launcher;
}

/* The CLI's argv: the executable, then @args (NULL-terminated). */
static inline GPtrArray *
cli_argv_new (const char *const *args)
{
  GPtrArray  *argv = g_ptr_array_new ();
  const char *cli = g_getenv ("VI_ANNOTATIONS_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Fills @r from a finished @proc; a death by a signal fails the test. */
static inline void
run_set_status (Run *r, GSubprocess *proc, const char *command)
{
  if (!g_subprocess_get_if_exited (proc))
    g_error ("vi-annotations %s died (signal %d); its stderr:\n%s", command,
             g_subprocess_get_if_signaled (proc)
                 ? g_subprocess_get_term_sig (proc)
                 : 0,
             r->err);
  r->status = g_subprocess_get_exit_status (proc);
}

/* A hang guard, not a timing assertion: how long one run of the CLI may
 * take before the test gives up on it (on a loaded machine under the
 * sanitizers, a run takes a second or two, retries included). */
#define WATCHDOG_S 120

/* A CLI process running in the background; its output is collected as the
 * default main context runs. */
typedef struct {
  Fixture     *f;
  GSubprocess *proc;
  const char  *command;
  gboolean     done;
  Run          run;
} Child;

static inline void
child_communicated_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Child *c = user_data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &c->run.out, &c->run.err, &error);
  g_assert_no_error (error);
  c->done = TRUE;
}

/* Starts the CLI with @args and the server's credentials (@key). */
static inline void
child_start (Child *c, Fixture *f, const char *key, const char *const *args)
{
  g_autoptr (GSubprocessLauncher) launcher = cli_launcher_new (f, key);
  g_autoptr (GPtrArray) argv = cli_argv_new (args);
  g_autoptr (GError) error = NULL;

  c->f = f;
  c->command = args[0];
  c->proc = g_subprocess_launcher_spawnv (launcher,
                                          (const char *const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (c->proc, NULL, NULL,
                                       child_communicated_cb, c);
}

static inline void
child_clear (Child *c)
{
  g_clear_object (&c->proc);
  run_clear (&c->run);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Child, child_clear)

static inline gboolean
child_watchdog_cb (gpointer data)
{
  gboolean *expired = data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (Child *c, gconstpointer data);

/* Runs the default main context (the child's pipes) until @cond holds;
 * after WATCHDOG_S the child is killed and the test fails, naming @what.
 * @cond is checked each time the context wakes, so it must be made true
 * by something that wakes it: the child's exit, or a source or a cancel
 * in the context (see wait_server_saw()); nothing polls it. */
static inline void
wait_until (Child *c, Condition cond, gconstpointer data, const char *what)
{
  gboolean expired = FALSE;
  guint    watchdog = g_timeout_add_seconds (WATCHDOG_S, child_watchdog_cb,
                                             &expired);

  while (!cond (c, data)) {
    if (expired) {
      g_subprocess_force_exit (c->proc);
      while (!c->done)
        g_main_context_iteration (NULL, TRUE);
      g_error ("vi-annotations %s: %s did not happen within %d s; its "
               "stderr:\n%s",
               c->command, what, WATCHDOG_S, c->run.err);
    }
    g_main_context_iteration (NULL, TRUE);
  }
  if (!expired)
    g_source_remove (watchdog);
}

static inline gboolean
exited (Child *c, gconstpointer data)
{
  return c->done;
}

/* Runs the CLI to its end with @args and the server's credentials (@key),
 * under the watchdog. */
static inline void
run_cli (Fixture *f, Run *r, const char *key, const char *const *args)
{
  g_auto (Child) c = { 0 };

  child_start (&c, f, key, args);
  wait_until (&c, exited, NULL, "the exit");
  run_set_status (&c.run, c.proc, args[0]);
  *r = c.run;
  memset (&c.run, 0, sizeof c.run);
}

/* The import session named in @text ("session ID", as the progress lines
 * and the errors say; the local server's ids are 20 characters). */
static inline char *
session_id_in (const char *text)
{
  g_autoptr (GRegex)
      re = g_regex_new ("session ([A-Za-z0-9]{20})\\b", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (!g_regex_match (re, text, 0, &match))
    g_error ("no import session named in:\n%s", text);
  return g_match_info_fetch (match, 1);
}

static inline JsonNode *
parse (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  gboolean ok = json_parser_load_from_data (parser, text, -1, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  return json_node_copy (json_parser_get_root (parser));
}

static inline void
add_fault (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;

  gboolean ok = vi_local_server_add_fault_json (f->server, json, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* A temporary file holding @text; the caller unlinks it. */
static inline char *
write_temp_jsonl (const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int   fd = g_file_open_tmp ("vi-cli-XXXXXX.jsonl", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  return path;
}

/* Runs export create --wait --json on dataset "ds"; returns the export's
 * id. */
static inline char *
cli_create_export (Fixture *f)
{
  g_autoptr (JsonNode) created = NULL;
  g_auto (Run) create = { 0 };
  const char *id;

  run_cli (f, &create, KEY,
           (const char *[]){ "export", "create", "ds", "--wait", "--json",
                             NULL });
  g_assert_cmpint (create.status, ==, 0);
  created = parse (create.out);
  id = json_object_get_string_member (json_node_get_object (created),
                                      "datasetExportId");
  g_assert_nonnull (id);
  return g_strdup (id);
}
