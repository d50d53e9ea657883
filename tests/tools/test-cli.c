/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The vi-annotations CLI, run as a subprocess against vi-local-server in a
 * thread of this test: output, --json, exit statuses.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "test-cli-common.h"

static void
test_list_json_get_delete (Fixture *f, gconstpointer data)
{
  g_auto (Run) list = { 0 };
  g_auto (Run) human = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) del = { 0 };
  g_auto (Run) again = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonArray  *items;
  const char *id = NULL;

  run_cli (f, &list, KEY,
           (const char *[]){ "list", "ds", "img 1", "--json", NULL });
  g_assert_cmpint (list.status, ==, 0);
  root = parse (list.out);
  items = json_object_get_array_member (json_node_get_object (root), "items");
  /* caption + box + VQA */
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  for (guint i = 0; i < 3; i++) {
    JsonObject *a = json_array_get_object_element (items, i);
    JsonObject *contents =
        json_object_get_object_member (json_object_get_object_member (a,
                                                                      "spec"),
                                       "contents");

    g_assert_cmpstr (json_object_get_string_member (a, "assetId"), ==, "img 1");
    if (g_str_equal (json_object_get_string_member (contents, "kind"),
                     "Caption"))
      id = json_object_get_string_member (a, "annotationId");
  }
  g_assert_nonnull (id);

  run_cli (f, &human, KEY, (const char *[]){ "list", "ds", "img 1", NULL });
  g_assert_cmpint (human.status, ==, 0);
  g_assert_nonnull (strstr (human.out, "A cat sitting on a couch"));
  g_assert_nonnull (strstr (human.out, "target [2, 5)"));
  g_assert_nonnull (strstr (human.out, "Q: What is the cat doing?"));
  g_assert_nonnull (strstr (human.out, "3 annotations"));
  /* The bound type has a column of its own (the SDK's spec.bound_type). */
  g_assert_true (g_str_has_prefix (human.out, "ANNOTATION"));
  g_assert_nonnull (strstr (human.out, " TYPE "));
  g_assert_nonnull (strstr (human.out, " caption "));
  g_assert_nonnull (strstr (human.out, " box "));
  g_assert_nonnull (strstr (human.out, " vqa "));

  run_cli (f, &get, KEY, (const char *[]){ "get", "ds", "img 1", id, NULL });
  g_assert_cmpint (get.status, ==, 0);
  g_assert_nonnull (strstr (get.out, id));
  g_assert_nonnull (strstr (get.out, "A cat sitting on a couch"));

  run_cli (f, &del, KEY,
           (const char *[]){ "delete", "ds", "img 1", id, "--json", NULL });
  g_assert_cmpint (del.status, ==, 0);
  g_assert_nonnull (strstr (del.out, "\"deleted\":true"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds",
                                                       "img 1"),
                    ==, 2);

  /* Gone: an API error, exit 1, the reason on stderr. */
  run_cli (f, &again, KEY, (const char *[]){ "get", "ds", "img 1", id, NULL });
  g_assert_cmpint (again.status, ==, 1);
  g_assert_cmpstr (again.out, ==, "");
  g_assert_nonnull (strstr (again.err, "404"));
}

static void
test_pages (Fixture *f, gconstpointer data)
{
  g_auto (Run) first = { 0 };
  g_auto (Run) second = { 0 };
  g_autoptr (JsonNode) root1 = NULL;
  g_autoptr (JsonNode) root2 = NULL;
  const char *token;

  run_cli (f, &first, KEY,
           (const char *[]){ "list", "ds", "img 1", "--one-page", "--page-size",
                             "2", "--json", NULL });
  g_assert_cmpint (first.status, ==, 0);
  root1 = parse (first.out);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (
                                                          root1),
                                                      "items")),
                    ==, 2);
  token = json_object_get_string_member (json_node_get_object (root1),
                                         "nextPage");
  g_assert_nonnull (token);

  run_cli (f, &second, KEY,
           (const char *[]){ "list", "ds", "img 1", "--page-size", "2",
                             "--page-token", token, "--json", NULL });
  g_assert_cmpint (second.status, ==, 0);
  root2 = parse (second.out);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (
                                                          root2),
                                                      "items")),
                    ==, 1);
  g_assert_true (
      json_object_get_null_member (json_node_get_object (root2), "nextPage"));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *wrong = g_strdup ("dtvi_too_short");
  const struct {
    const char *key;
    const char *args[8];
    int         status;
    const char *err;
  } cases[] = {
    { KEY, { NULL }, 2, "no command" },
    { KEY, { "frobnicate", NULL }, 2, "unknown command" },
    { KEY, { "list", "ds", NULL }, 2, "list takes DATASET ASSET" },
    { KEY,
      { "list", "ds", "a", "--page-size", "5000", NULL },
      2,
      "--page-size" },
    { KEY, { "list", "ds", "a", "--page-size", "0", NULL }, 2, "--page-size" },
    { KEY,
      { "list", "ds", "a", "--one-page", "--page-size", "0", NULL },
      2,
      "--page-size" },
    { KEY, { "list", "ds", "a", "--page-size", "ten", NULL }, 2, "ten" },
    { KEY,
      { "get", "ds", "a", "x", "--page-size", "0", NULL },
      2,
      "only apply to list" },
    { KEY,
      { "upload", "ds", "/nonexistent.jsonl", "--on-overwritten", "Maybe",
        NULL },
      2,
      "--on-overwritten" },
    { KEY,
      { "get", "ds", "a", "x", "--one-page", NULL },
      2,
      "only apply to list" },
    { KEY, { "list", "bad id", "a", NULL }, 2, "dataset id" },
    { KEY, { "list", "--bogus", NULL }, 2, "bogus" },
    { NULL, { "list", "ds", "img 1", NULL }, 2, "DATATURE_VI_SECRET_KEY" },
    { wrong, { "list", "ds", "img 1", NULL }, 2, "malformed" },
    { KEY, { "list", "nope", "img 1", NULL }, 1, "404" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (Run) r = { 0 };

    g_test_message ("case %u: %s", i, cases[i].err);
    run_cli (f, &r, cases[i].key, cases[i].args);
    g_assert_cmpint (r.status, ==, cases[i].status);
    g_assert_nonnull (strstr (r.err, cases[i].err));
  }

  /* A key of the right shape that the server refuses: 401, exit 1, and
   * the key is not printed. */
  {
    g_auto (Run) r = { 0 };
    g_autofree char *other = g_strnfill (103, 'z');

    memcpy (other, "dtvi_", 5);
    run_cli (f, &r, other, (const char *[]){ "list", "ds", "img 1", NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "401"));
    g_assert_nonnull (strstr (r.err, "DATATURE_VI_SECRET_KEY"));
    g_assert_null (strstr (r.err, other));
    /* Nothing was listed, so no table header either. */
    g_assert_cmpstr (r.out, ==, "");
  }
}

static void
test_upload_wait (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_temp_jsonl (
      "{\"asset_id\": \"up 1\", \"caption\": \"A red car\", "
      "\"grounded_phrases\": [{\"phrase\": \"red car\", "
      "\"bbox\": [0.1, 0.2, 0.4, 0.6]}]}\n"
      "{\"asset_id\": \"up 2\", \"contents\": {\"question\": \"Q?\", "
      "\"answer\": \"A.\"}}\n");
  g_autofree char *bad = write_temp_jsonl (
      "{\"asset_id\": \"x\"}\n"
      "{\"asset_id\": \"y\", \"caption\": \"ok\"}\n");
  g_auto (Run) up = { 0 };
  g_auto (Run) nowait = { 0 };
  g_auto (Run) wait = { 0 };
  g_auto (Run) rejected = { 0 };
  g_auto (Run) warned = { 0 };
  g_autoptr (JsonNode) session = NULL;
  const char *id;

  /* Upload and wait: the summary on stdout, progress lines on stderr. */
  run_cli (f, &up, KEY, (const char *[]){ "upload", "up", path, NULL });
  g_assert_cmpint (up.status, ==, 0);
  g_assert_nonnull (strstr (up.out, "complete"));
  g_assert_nonnull (strstr (up.out, "Created: 3"));
  g_assert_nonnull (strstr (up.err, "uploading"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "up", NULL),
                    ==, 3);

  /* --no-wait prints the session; wait picks it up. */
  run_cli (f, &nowait, KEY,
           (const char *[]){ "upload", "up2", path, "--no-wait", "--json",
                             NULL });
  g_assert_cmpint (nowait.status, ==, 0);
  session = parse (nowait.out);
  id = json_object_get_string_member (json_node_get_object (session),
                                      "annotationImportSessionId");
  g_assert_nonnull (id);
  run_cli (f, &wait, KEY, (const char *[]){ "wait", "up2", id, NULL });
  g_assert_cmpint (wait.status, ==, 0);
  g_assert_nonnull (strstr (wait.out, "Complete: Reached"));

  /* A bad line under the default RejectSession: exit 1, the reason shown;
   * under Warn the good line is created, the bad one is not, and the exit
   * status (3) says that not everything asked for was created. */
  run_cli (f, &rejected, KEY, (const char *[]){ "upload", "bad", bad, NULL });
  g_assert_cmpint (rejected.status, ==, 1);
  g_assert_nonnull (strstr (rejected.err, "FailedReach"));
  run_cli (f, &warned, KEY,
           (const char *[]){ "upload", "bad", bad, "--on-bad-annotation",
                             "Warn", NULL });
  g_assert_cmpint (warned.status, ==, 3);
  g_assert_nonnull (strstr (warned.out, "complete, with failures"));
  g_assert_nonnull (strstr (warned.out, "Annotations: 1 created, 1 failed"));
  g_assert_null (strstr (warned.out, "imported"));
  g_assert_nonnull (strstr (warned.err, "not everything was created"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "bad", NULL),
                    ==, 1);

  /* wait follows the same rule. */
  {
    g_auto (Run) sent = { 0 };
    g_auto (Run) waited = { 0 };
    g_autoptr (JsonNode) partial = NULL;
    JsonObject *policies;

    run_cli (f, &sent, KEY,
             (const char *[]){ "upload", "bad2", bad, "--on-bad-annotation",
                               "Warn", "--on-overwritten", "Warn", "--no-wait",
                               "--json", NULL });
    g_assert_cmpint (sent.status, ==, 0);
    partial = parse (sent.out);
    /* --on-overwritten reaches the session's failure policies. */
    policies = json_object_get_object_member (
        json_object_get_object_member (json_node_get_object (partial), "spec"),
        "failurePolicies");
    g_assert_cmpstr (json_object_get_string_member (policies, "onOverwritten"),
                     ==, "Warn");
    g_assert_cmpstr (json_object_get_string_member (policies, "onBadFile"), ==,
                     "RejectSession");
    run_cli (f, &waited, KEY,
             (const char *[]){
                 "wait", "bad2",
                 json_object_get_string_member (json_node_get_object (partial),
                                                "annotationImportSessionId"),
                 NULL });
    g_assert_cmpint (waited.status, ==, 3);
    g_assert_nonnull (strstr (waited.out, "1 created, 1 failed"));
  }

  g_unlink (path);
  g_unlink (bad);
}

/* A lost answer after the files are sent: the upload still exits 0 with
 * every annotation imported once; when the session cannot be read, the
 * error names the session and the command to follow it. */
static void
test_upload_lost_answer (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_temp_jsonl (
      "{\"asset_id\": \"l 1\", \"caption\": \"once\"}\n"
      "{\"asset_id\": \"l 2\", \"caption\": \"only once\"}\n");
  g_auto (Run) up = { 0 };
  g_auto (Run) unknown = { 0 };

  vi_local_server_add_fault_json (f->server,
                                  "{\"method\": \"PATCH\", "
                                  "\"action\": \"truncate\"}",
                                  &error);
  g_assert_no_error (error);
  run_cli (f, &up, KEY,
           (const char *[]){ "upload", "lost", path, "--poll-interval", "0.02",
                             NULL });
  g_assert_cmpint (up.status, ==, 0);
  g_assert_nonnull (strstr (up.out, "complete"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "lost", NULL),
                    ==, 2);

  vi_local_server_clear_faults (f->server);
  vi_local_server_add_fault_json (
      f->server,
      "[{\"method\": \"PATCH\", "
      "\"action\": \"truncate\"}, {\"method\": \"GET\", "
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": 0, "
      "\"times\": -1}]",
      &error);
  g_assert_no_error (error);
  run_cli (f, &unknown, KEY,
           (const char *[]){ "upload", "lost2", path, "--poll-interval", "0.02",
                             NULL });
  g_assert_cmpint (unknown.status, ==, 1);
  g_assert_nonnull (strstr (unknown.err, "vi-annotations wait lost2 "));
  g_assert_nonnull (strstr (unknown.err, "do not upload again"));
  vi_local_server_clear_faults (f->server);
  g_unlink (path);
}

/* --allow-insecure and --ca-file reach the client. */
static void
test_transport_options (Fixture *f, gconstpointer data)
{
  g_auto (Run) refused = { 0 };
  g_auto (Run) ca = { 0 };
  g_auto (Run) allowed = { 0 };

  run_cli (f, &refused, KEY,
           (const char *[]){ "--endpoint", "http://192.0.2.1:9", "list", "ds",
                             "img 1", NULL });
  g_assert_cmpint (refused.status, ==, 2);
  g_assert_nonnull (strstr (refused.err, "clear text"));
  g_assert_nonnull (strstr (refused.err, "--allow-insecure"));

  run_cli (f, &ca, KEY,
           (const char *[]){ "--ca-file", "/nonexistent/vi-ca.pem", "list",
                             "ds", "img 1", NULL });
  g_assert_cmpint (ca.status, ==, 2);
  g_assert_nonnull (strstr (ca.err, "/nonexistent/vi-ca.pem"));

  /* Loopback needs no opt-in; the flag changes nothing there. */
  run_cli (f, &allowed, KEY,
           (const char *[]){ "--allow-insecure", "list", "ds", "img 1", NULL });
  g_assert_cmpint (allowed.status, ==, 0);
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-cli-export-XXXXXX", &error);
  g_autofree char *jsonl = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *id = cli_create_export (f);
  g_auto (Run) list = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) download = { 0 };

  run_cli (f, &list, KEY, (const char *[]){ "export", "list", "ds", NULL });
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, id));
  g_assert_nonnull (strstr (list.out, "1 export"));

  run_cli (f, &get, KEY, (const char *[]){ "export", "get", "ds", id, NULL });
  g_assert_cmpint (get.status, ==, 0);
  g_assert_nonnull (strstr (get.out, "ViJsonl"));
  g_assert_nonnull (strstr (get.out, "Download:"));

  run_cli (f, &download, KEY,
           (const char *[]){ "export", "download", "ds", id, dir, NULL });
  g_assert_cmpint (download.status, ==, 0);
  jsonl = g_build_filename (dir, "ds", "dump", "annotations",
                            "annotations.jsonl", NULL);
  g_assert_true (g_file_get_contents (jsonl, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "A cat sitting on a couch"));

  {
    g_auto (Run) usage = { 0 };
    run_cli (f, &usage, KEY, (const char *[]){ "export", "frob", "ds", NULL });
    g_assert_cmpint (usage.status, ==, 2);
  }
}

/* Adds @n_lines lines of a caption and three boxes each (4 annotations a
 * line) to one asset. */
static void
load_asset (Fixture *f, const char *asset, guint n_lines)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GError) error = NULL;
  const ViBBox boxes[] = { { 0.1, 0.2, 0.4, 0.6 },
                           { 0.5, 0.05, 0.7, 0.9 },
                           { 0.72, 0.6, 0.85, 0.95 } };

  for (guint i = 0; i < n_lines; i++) {
    ViJsonlRecord   *r = vi_jsonl_record_new (asset);
    g_autofree char *caption = g_strdup_printf ("frame %u: a red car next "
                                                "to a tall tree and a dog",
                                                i);

    vi_jsonl_record_set_caption (r, caption);
    vi_jsonl_record_add_phrase (r, "red car", &boxes[0]);
    vi_jsonl_record_add_phrase (r, "tall tree", &boxes[1]);
    vi_jsonl_record_add_phrase (r, "dog", &boxes[2]);
    g_ptr_array_add (records, r);
  }
  g_assert_true (vi_local_server_add_records (f->server, "ds",
                                              (ViJsonlRecord **) records->pdata,
                                              records->len, &error));
  g_assert_no_error (error);
}

/* list --json over several pages is written as the pages arrive, in the
 * very bytes json-glib gives for the whole document, which scripts parse
 * today. */
static void
test_list_json_pages (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) parsed = NULL;
  g_autofree char *expected = NULL;
  g_auto (Run) list = { 0 };
  g_auto (Run) empty = { 0 };
  JsonObject *obj = json_object_new ();
  JsonArray  *items = json_array_new ();

  load_asset (f, "many", 530); /* 2,120 annotations: 3 pages */
  run_cli (f, &list, KEY,
           (const char *[]){ "list", "ds", "many", "--json", NULL });
  g_assert_cmpint (list.status, ==, 0);
  parsed = parse (list.out);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (
                                                          parsed),
                                                      "items")),
                    ==, 2120);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 3);

  client = vi_client_new (f->url, KEY, ORG, NULL, &error);
  g_assert_no_error (error);
  all = vi_client_list_all_annotations (client, "ds", "many", 1000, NULL,
                                        &error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++)
    json_array_add_element (items, vi_annotation_to_json (all->pdata[i]));
  json_object_set_array_member (obj, "items", items);
  json_node_take_object (root, obj);
  json_generator_set_root (gen, root);
  expected = json_generator_to_data (gen, NULL);
  g_assert_true (g_str_has_suffix (list.out, "\n"));
  list.out[strlen (list.out) - 1] = '\0';
  g_assert_cmpstr (list.out, ==, expected);

  /* No annotation left: still one document. */
  vi_local_server_clear_dataset (f->server, "ds", &error);
  g_assert_no_error (error);
  load_asset (f, "none", 1);
  run_cli (f, &empty, KEY,
           (const char *[]){ "list", "ds", "none", "--json", NULL });
  g_assert_cmpint (empty.status, ==, 0);
}

/* The peak memory of list --json for 100,000 annotations is that of one
 * page, not of the whole list (937 MB before it streamed; text mode takes
 * about 12 MB).  Memory, not time: the bound is generous.  GNU time
 * measures it: a child spawned from this process, which holds the server,
 * would count this process's pages as its own until its exec(). */
static void
test_list_json_memory (Fixture *f, gconstpointer data)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("the peak RSS under AddressSanitizer is the sanitizer's");
#else
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-cli-list-XXXXXX", &error);
  g_autofree char *json = g_build_filename (dir, "list.json", NULL);
  g_autofree char *rss = g_build_filename (dir, "rss.txt", NULL);
  g_autofree char *out = NULL;
  g_autofree char *measured = NULL;
  const char      *time_args[] = { "-f", "%M", "-o", rss, NULL };
  guint64          peak_kb;
  guint            n = 0;

  if (!g_file_test ("/usr/bin/time", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip ("GNU time is not installed (scripts/install-deps)");
    return;
  }
  load_asset (f, "big", 25000);
  launcher = cli_launcher_new (f, KEY);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stdout_file_path (launcher, json);
  argv = cli_argv_new ((const char *[]){ "list", "ds", "big", "--json", NULL });
  for (guint i = 0; i < G_N_ELEMENTS (time_args) - 1; i++)
    g_ptr_array_insert (argv, i, (gpointer) time_args[i]);
  g_ptr_array_insert (argv, 0, (gpointer) "/usr/bin/time");
  proc = g_subprocess_launcher_spawnv (launcher,
                                       (const char *const *) argv->pdata,
                                       &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (rss, &measured, NULL, &error));
  g_assert_no_error (error);
  peak_kb = g_ascii_strtoull (measured, NULL, 10);
  g_test_message ("list --json of 100,000 annotations: peak RSS %" G_GUINT64_FORMAT
                  " kB",
                  peak_kb);
  g_assert_cmpuint (peak_kb, >, 0);
  g_assert_cmpuint (peak_kb, <, 100 * 1024);

  /* All of them, in one document (the shape is checked on pages above). */
  g_assert_true (g_file_get_contents (json, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out, "{\"items\":[{"));
  g_assert_true (g_str_has_suffix (out, "}]}\n"));
  for (const char *p = out; (p = strstr (p, "{\"kind\":\"Annotation\",")); p++)
    n++;
  g_assert_cmpuint (n, ==, 100000);
  g_unlink (json);
  g_unlink (rss);
  g_rmdir (dir);
#endif
}

/* A caption, an asset id and a server message that would drive a terminal
 * (set its title, clear it, move the cursor, reverse the text). */
#define HOSTILE                                        \
  "title\033]0;pwned\007 clear\033[2J\033[H cr\rover " \
  "c1\302\233"                                         \
  "31m bidi\342\200\256"                               \
  "end del\177 tab\tnl\n."
/* Up to the newline: multi-line descriptions (get) start a line there. */
#define HOSTILE_SHOWN_LINE                        \
  "title\\x1b]0;pwned\\x07 clear\\x1b[2J\\x1b[H " \
  "cr\\rover c1\\u009b31m bidi\\u202eend del\\x7f tab\\tnl"
#define HOSTILE_SHOWN HOSTILE_SHOWN_LINE "\\n."
/* Asset ids with control characters are refused before any request
 * (they could leave their path segment): the refusal shows them escaped. */
#define HOSTILE_ASSET "evil\033[2J\033]0;x\007asset"
#define ASSET "evil-asset"

/* Nothing in @text but printable characters and line ends. */
static void
assert_printable (const char *text)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c == '\n')
      continue;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e))
      g_error ("U+%04X at byte %" G_GSIZE_FORMAT " of:\n%s", c,
               (gsize) (p - text), text);
  }
}

static void
test_escape (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlRecord) record = vi_jsonl_record_new (ASSET);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-cli-escape-XXXXXX", &error);
  g_autofree char *bad = NULL;
  g_auto (Run) list = { 0 };
  g_auto (Run) json = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) refused = { 0 };
  g_auto (Run) upload = { 0 };
  JsonObject *caption = NULL;
  JsonArray  *items;
  ViBBox      box = { 0.1, 0.2, 0.3, 0.4 };

  vi_jsonl_record_set_caption (record, HOSTILE);
  vi_jsonl_record_add_phrase (record, "title", &box);
  vi_jsonl_record_add_interaction (record, "bell\007?", "\033c");
  g_assert_true (vi_local_server_add_record (f->server, "ds", record, &error));
  g_assert_no_error (error);

  /* Human output: every control character shown, none sent. */
  run_cli (f, &list, KEY, (const char *[]){ "list", "ds", ASSET, NULL });
  g_assert_cmpint (list.status, ==, 0);
  assert_printable (list.out);
  g_assert_nonnull (strstr (list.out, "\"" HOSTILE_SHOWN "\""));
  g_assert_nonnull (strstr (list.out, "Q: bell\\x07?  A: \\x1bc"));

  /* JSON output: the exact strings. */
  run_cli (f, &json, KEY,
           (const char *[]){ "list", "ds", ASSET, "--json", NULL });
  g_assert_cmpint (json.status, ==, 0);
  root = parse (json.out);
  items = json_object_get_array_member (json_node_get_object (root), "items");
  for (guint i = 0; i < json_array_get_length (items); i++) {
    JsonObject *a = json_array_get_object_element (items, i);
    JsonObject *contents =
        json_object_get_object_member (json_object_get_object_member (a,
                                                                      "spec"),
                                       "contents");

    g_assert_cmpstr (json_object_get_string_member (a, "assetId"), ==, ASSET);
    if (g_str_equal (json_object_get_string_member (contents, "kind"),
                     "Caption"))
      caption = a;
  }
  g_assert_nonnull (caption);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (
                           json_object_get_object_member (caption, "spec"),
                           "contents"),
                       "contents"),
                   ==, HOSTILE);

  run_cli (f, &get, KEY,
           (const char *[]){
               "get", "ds", ASSET,
               json_object_get_string_member (caption, "annotationId"), NULL });
  g_assert_cmpint (get.status, ==, 0);
  assert_printable (get.out);
  g_assert_nonnull (strstr (get.out, "Caption:    " HOSTILE_SHOWN_LINE "\n"));
  g_assert_nonnull (strstr (get.out, "Asset:        " ASSET));

  /* An id the client refuses, shown in its refusal. */
  run_cli (f, &refused, KEY,
           (const char *[]){ "list", "ds", HOSTILE_ASSET, NULL });
  g_assert_cmpint (refused.status, ==, 2);
  assert_printable (refused.err);
  g_assert_nonnull (
      strstr (refused.err,
              "evil\\u001B[2J\\u001B]0;x\\u0007asset\" is refused"));

  /* A server message with control characters. */
  g_assert_true (vi_local_server_add_fault_json (
      f->server,
      "{\"method\": \"GET\", \"path\": \"/workspaces/\", \"times\": 1,"
      " \"action\": \"status\", \"status\": 404, \"body\":"
      " \"{\\\"error\\\": \\\"NotFound\\\","
      " \\\"message\\\": \\\"no\\\\u001b[2Jsuch\\\"}\"}",
      &error));
  g_assert_no_error (error);
  run_cli (f, &missing, KEY, (const char *[]){ "list", "ds", "nosuch", NULL });
  g_assert_cmpint (missing.status, ==, 1);
  assert_printable (missing.err);
  g_assert_nonnull (strstr (missing.err, "no\\x1b[2Jsuch"));

  /* A session's reason naming a file, in the error and the progress. */
  bad = g_build_filename (dir, "bad\033]0;x\007.jsonl", NULL);
  g_assert_true (
      g_file_set_contents (bad, "{\"asset_id\": \"x\"}\n", -1, &error));
  g_assert_no_error (error);
  run_cli (f, &upload, KEY, (const char *[]){ "upload", "up", bad, NULL });
  g_assert_cmpint (upload.status, ==, 1);
  assert_printable (upload.out);
  assert_printable (upload.err);
  g_assert_nonnull (strstr (upload.err, "bad\\x1b]0;x\\x07.jsonl"));
  g_unlink (bad);
  g_rmdir (dir);
}

/* export download --json names the folder in valid JSON, whatever its
 * name. */
static void
test_export_download_json (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vi-cli-export-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (tmp, "a \"quoted\" \\ name\001",
                                           NULL);
  g_autofree char *expected = g_build_filename (dir, "ds", NULL);
  g_autofree char *id = cli_create_export (f);
  g_autoptr (JsonNode) result = NULL;
  g_auto (Run) download = { 0 };

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  run_cli (f, &download, KEY,
           (const char *[]){ "export", "download", "ds", id, dir, "--json",
                             NULL });
  g_assert_cmpint (download.status, ==, 0);
  result = parse (download.out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (result),
                                                  "directory"),
                   ==, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, vi_test_server_teardown)
  ADD ("/cli/list-json-get-delete", test_list_json_get_delete);
  ADD ("/cli/pages", test_pages);
  ADD ("/cli/errors", test_errors);
  ADD ("/cli/upload-wait", test_upload_wait);
  ADD ("/cli/export", test_export);
  ADD ("/cli/upload-lost-answer", test_upload_lost_answer);
  ADD ("/cli/transport-options", test_transport_options);
  ADD ("/cli/list-json-pages", test_list_json_pages);
  ADD ("/cli/list-json-memory", test_list_json_memory);
  ADD ("/cli/escape", test_escape);
  ADD ("/cli/export-download-json", test_export_download_json);
#undef ADD

  return g_test_run ();
}
