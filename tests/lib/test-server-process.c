/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vi-local-server as a process (the executable of $VI_LOCAL_SERVER): what
 * only a real process shows.  An import is all or nothing across SIGKILL
 * and a restart on the same --data-dir, and the restarted server's session
 * agrees with what list returns.  The server is spoken to with plain
 * libsoup.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-local-server.h"

#define ORG  VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY  VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define DATASETS "/workspaces/" ORG "/datasets/" ORG "_"

/* The large import: N_LINES captions spread over N_ASSETS assets, one
 * annotation part each. */
#define N_LINES  100000
#define N_ASSETS 100

typedef struct {
  GSubprocess *proc;
  char        *url;
  char        *data_dir;
} Server;

typedef struct {
  char        *tmpdir;            /* the servers' TMPDIR and data directories */
  SoupSession *session;
  Server       server;
} Fixture;

typedef struct {
  guint       status;
  GBytes     *body;
  JsonNode   *json;
  GError     *error;
} Response;

/* ---- helpers ------------------------------------------------------------ */

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
response_free (Response *r)
{
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->json, json_node_unref);
  g_clear_error (&r->error);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* In the child: a server outlives no test, even one that aborts (it would
 * keep the test's output open, and meson waiting). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts the server with the given options (NULL-terminated) and waits for
 * its "listening on" line. */
static void
server_start (Fixture            *f,
              const char         *data_dir,
              const char * const *options)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *exe = g_getenv ("VI_LOCAL_SERVER");
  guint i;

  g_assert_nonnull (exe);
  g_assert_null (f->server.proc);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "TMPDIR", f->tmpdir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_ptr_array_add (argv, (gpointer) exe);
  if (data_dir != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--data-dir");
      g_ptr_array_add (argv, (gpointer) data_dir);
    }
  for (i = 0; options != NULL && options[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) options[i]);
  g_ptr_array_add (argv, NULL);

  f->server.proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                 &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server.proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, "listening on http://127.0.0.1:"))
    g_error ("vi-local-server did not start (%s)", line != NULL ? line : "no output");
  g_free (f->server.url);
  f->server.url = g_strdup (line + strlen ("listening on "));
  g_free (f->server.data_dir);
  f->server.data_dir = g_strdup (data_dir);
}

static void
server_kill (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (f->server.proc, SIGKILL);
  g_subprocess_wait (f->server.proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (f->server.proc));
  g_clear_object (&f->server.proc);
  /* Connections to the dead server are of no use to the next one. */
  soup_session_abort (f->session);
}

static void
server_restart (Fixture *f)
{
  g_autofree char *dir = g_strdup (f->server.data_dir);

  server_start (f, dir, NULL);
}

static Response *
send_bytes (Fixture    *f,
            const char *method,
            const char *uri,
            gboolean    auth,
            GBytes     *body)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  Response *r = g_new0 (Response, 1);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (auth)
    {
      soup_message_headers_replace (headers, "Authorization", "Bearer " KEY);
      soup_message_headers_replace (headers, "Organization-Id", ORG);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, auth ? "application/json"
                                                        : "application/octet-stream", body);
  r->body = soup_session_send_and_read (f->session, msg, NULL, &r->error);
  r->status = soup_message_get_status (msg);
  if (r->body != NULL && g_bytes_get_size (r->body) > 0 &&
      g_strcmp0 (soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                        NULL), "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL),
                                      (gssize) g_bytes_get_size (r->body), NULL))
        r->json = json_node_copy (json_parser_get_root (parser));
    }
  return r;
}

static Response *
api (Fixture    *f,
     const char *method,
     const char *path,
     const char *body)
{
  g_autofree char *uri = g_strconcat (f->server.url, path, NULL);
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  Response *r = send_bytes (f, method, uri, TRUE, bytes);

  g_assert_no_error (r->error);
  return r;
}

static JsonObject *
obj (Response *r)
{
  g_assert_nonnull (r->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->json));
  return json_node_get_object (r->json);
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static GBytes *
make_import_file (void)
{
  GString *s = g_string_sized_new (N_LINES * 48);
  guint i;

  for (i = 0; i < N_LINES; i++)
    g_string_append_printf (s, "{\"asset_id\":\"a%u\",\"caption\":\"line %u\"}\n",
                            i % N_ASSETS, i);
  return g_string_free_to_bytes (s);
}

/* Creates a session, registers and uploads @file; returns the session id. */
static char *
prepare_import (Fixture    *f,
                const char *dataset,
                GBytes     *file)
{
  g_autofree char *path = g_strdup_printf (DATASETS "%s/annotationImportSessions", dataset);
  g_autofree char *body = g_strdup_printf (
    "{\"spec\":{\"uploadBefore\":%" G_GINT64_FORMAT ",\"failurePolicies\":"
    "{\"onBadAnnotation\":\"RejectSession\",\"onBadFile\":\"RejectSession\","
    "\"onOverwritten\":\"RejectSession\"},\"source\":\"UploadedIndividualFiles\"},"
    "\"metadata\":{\"attributes\":{}}}", now_ms () + 3300 * 1000);
  g_autofree char *crc = vi_crc32c_to_base64 (vi_crc32c (g_bytes_get_data (file, NULL),
                                                         g_bytes_get_size (file)));
  g_autofree char *files = NULL;
  g_autofree char *files_path = NULL;
  g_autoptr(Response) created = NULL;
  g_autoptr(Response) registered = NULL;
  g_autoptr(Response) put = NULL;
  const char *url;
  char *id;

  created = api (f, "POST", path, body);
  g_assert_cmpuint (created->status, ==, 200);
  id = g_strdup (json_object_get_string_member (obj (created), "annotationImportSessionId"));

  files_path = g_strdup_printf ("%s/%s/files", path, id);
  files = g_strdup_printf ("{\"files\":{\"big.jsonl\":{\"sizeBytes\":%" G_GSIZE_FORMAT
                           ",\"crc32c\":\"%s\",\"kind\":\"Unknown\"}}}",
                           g_bytes_get_size (file), crc);
  registered = api (f, "POST", files_path, files);
  g_assert_cmpuint (registered->status, ==, 200);
  url = json_object_get_string_member (
    json_object_get_object_member (json_object_get_object_member (obj (registered), "files"),
                                   "big.jsonl"), "url");
  put = send_bytes (f, "PUT", url, FALSE, file);
  g_assert_no_error (put->error);
  g_assert_cmpuint (put->status, ==, 200);
  return id;
}

static char *
session_path (const char *dataset,
              const char *id,
              const char *suffix)
{
  return g_strdup_printf (DATASETS "%s/annotationImportSessions/%s%s", dataset, id,
                          suffix != NULL ? suffix : "");
}

static void
patch_reached (Fixture    *f,
               const char *dataset,
               const char *id)
{
  g_autofree char *path = session_path (dataset, id, "/status");
  g_autofree char *body = g_strdup_printf (
    "{\"status\":{\"conditions\":[{\"condition\":\"FilesInserted\",\"status\":\"Reached\","
    "\"lastTransitionTime\":%" G_GINT64_FORMAT "}]}}", now_ms ());
  g_autoptr(Response) r = api (f, "PATCH", path, body);

  g_assert_cmpuint (r->status, ==, 200);
}

/* The newest condition's name and status. */
static const char *
newest_condition (JsonObject  *session,
                  const char **status)
{
  JsonArray *conditions =
    json_object_get_array_member (json_object_get_object_member (session, "status"),
                                  "conditions");
  JsonObject *c;

  g_assert_cmpuint (json_array_get_length (conditions), >, 0);
  c = json_array_get_object_element (conditions, 0);
  *status = json_object_get_string_member (c, "status");
  return json_object_get_string_member (c, "condition");
}

static gboolean
session_done (Fixture    *f,
              const char *dataset,
              const char *id)
{
  g_autofree char *path = session_path (dataset, id, NULL);
  g_autoptr(Response) r = api (f, "GET", path, NULL);
  const char *status;

  g_assert_cmpuint (r->status, ==, 200);
  newest_condition (obj (r), &status);
  return !g_str_equal (status, "Waiting");
}

/* What list returns for the whole dataset: every asset, every page,
 * counting the items without building a tree of them. */
static guint
count_listed (Fixture    *f,
              const char *dataset)
{
  guint total = 0, a;

  for (a = 0; a < N_ASSETS; a++)
    {
      g_autofree char *token = NULL;

      do
        {
          g_autofree char *path = NULL;
          g_autoptr(Response) r = NULL;
          const char *body, *p, *next;
          gsize len;

          path = g_strdup_printf (DATASETS "%s/assets/a%u/annotations?pageSize=1000%s%s",
                                  dataset, a, token != NULL ? "&pageToken=" : "",
                                  token != NULL ? token : "");
          r = api (f, "GET", path, NULL);
          g_clear_pointer (&token, g_free);
          if (r->status == 404)
            break;
          g_assert_cmpuint (r->status, ==, 200);
          body = g_bytes_get_data (r->body, &len);
          for (p = body; (p = g_strstr_len (p, body + len - p, "\"annotationId\":")) != NULL; p++)
            total++;
          next = g_strrstr_len (body, len, "\"nextPage\":\"");
          if (next != NULL)
            {
              next += strlen ("\"nextPage\":\"");
              token = g_strndup (next, strchr (next, '"') - next);
            }
        }
      while (token != NULL);
    }
  return total;
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (goffset) st.st_size : 0;
}

/* After a restart: either every annotation of the import is listed and
 * the session says Complete: Reached with them all, or none is and it says
 * FailedReach.  Returns TRUE for "all". */
static gboolean
assert_all_or_nothing (Fixture    *f,
                       const char *dataset,
                       const char *id)
{
  g_autofree char *path = session_path (dataset, id, NULL);
  g_autoptr(Response) r = NULL;
  const char *condition, *status;
  guint listed = count_listed (f, dataset);

  if (listed != 0 && listed != N_LINES)
    g_error ("after the restart, %u of the %u annotations of the import are listed",
             listed, N_LINES);

  r = api (f, "GET", path, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  condition = newest_condition (obj (r), &status);
  g_assert_cmpstr (condition, ==, "Complete");
  if (listed == N_LINES)
    {
      JsonObject *counts = json_object_get_object_member (
        json_object_get_object_member (json_object_get_object_member (obj (r), "status"),
                                       "annotations"), "statusCount");

      g_assert_cmpstr (status, ==, "Reached");
      g_assert_cmpint (json_object_get_int_member (counts, "Created"), ==, N_LINES);
      return TRUE;
    }
  g_assert_cmpstr (status, ==, "FailedReach");
  g_assert_nonnull (strstr (json_object_get_string_member (
    json_object_get_object_member (obj (r), "status"), "reason"), "stopped before"));
  return FALSE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmpdir = g_dir_make_tmp ("vi-server-process-XXXXXX", &error);
  g_assert_no_error (error);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->server.proc != NULL)
    server_kill (f);
  soup_session_abort (f->session);
  g_clear_object (&f->session);
  remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->server.url);
  g_free (f->server.data_dir);
}

/* ---- imports across SIGKILL ---------------------------------------------- */

typedef enum {
  KILL_WHEN_COMPLETE,             /* the reference run: everything is there */
  KILL_AFTER_PATCH,               /* as soon as FilesInserted is answered */
  KILL_WHEN_JOURNAL_GROWS,        /* as the import's journal record starts */
  KILL_HALF_WAY_JOURNAL,          /* half of the reference run's growth written */
  KILL_HALF_TIME,                 /* half of the reference run's processing time */
  KILL_WHEN_JOURNAL_DONE,         /* as soon as the reference run's growth is written */
} KillMoment;

static void
test_import_sigkill (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) file = make_import_file ();
  goffset growth = 0;
  gint64 processing = 0;
  KillMoment moment;
  guint all = 0, none = 0;

  for (moment = KILL_WHEN_COMPLETE; moment <= KILL_WHEN_JOURNAL_DONE; moment++)
    {
      g_autofree char *name = g_strdup_printf ("data-%d", moment);
      g_autofree char *dir = g_build_filename (f->tmpdir, name, NULL);
      g_autofree char *journal = g_build_filename (dir, "journal.jsonl", NULL);
      g_autofree char *id = NULL;
      goffset before;
      gint64 start;
      gboolean kept;

      server_start (f, dir, NULL);
      id = prepare_import (f, "big", file);
      before = file_size (journal);
      start = g_get_monotonic_time ();
      patch_reached (f, "big", id);

      switch (moment)
        {
        case KILL_WHEN_COMPLETE:
          while (!session_done (f, "big", id))
            g_usleep (5000);
          processing = g_get_monotonic_time () - start;
          growth = file_size (journal) - before;
          break;
        case KILL_AFTER_PATCH:
          break;
        case KILL_WHEN_JOURNAL_GROWS:
        case KILL_HALF_WAY_JOURNAL:
        case KILL_WHEN_JOURNAL_DONE:
          {
            /* The PATCH's own record is in before the answer. */
            goffset base = file_size (journal);
            goffset target = moment == KILL_WHEN_JOURNAL_GROWS ? base + 1
                             : moment == KILL_HALF_WAY_JOURNAL ? base + growth / 2
                             : before + growth;
            gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

            while (file_size (journal) < target && g_get_monotonic_time () < deadline)
              g_usleep (200);
          }
          break;
        case KILL_HALF_TIME:
        default:
          while (g_get_monotonic_time () < start + processing / 2)
            g_usleep (1000);
          break;
        }
      server_kill (f);

      server_restart (f);
      kept = assert_all_or_nothing (f, "big", id);
      if (moment == KILL_WHEN_COMPLETE)
        g_assert_true (kept);
      if (kept)
        all++;
      else
        none++;
      server_kill (f);
      g_test_message ("kill moment %d: %s of the import", moment, kept ? "all" : "none");
    }
  g_test_message ("%u runs kept all of the import, %u none of it", all, none);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server-process/import/sigkill", test_import_sigkill);

  return g_test_run ();
}
