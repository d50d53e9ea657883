/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * vi-local-server as a process (the executable of $VI_LOCAL_SERVER): what
 * only a real process shows.  An import is all or nothing across SIGKILL
 * and a restart on the same --data-dir, and the restarted server's session
 * agrees with what list returns.  Request bodies and headers are bounded
 * before the body is read: the answers come before any body byte is sent,
 * and the server's peak RSS does not grow with the bodies streamed at it.
 * The server is spoken to with plain libsoup, or raw sockets where the
 * request must be malformed or huge.
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
#include "vi-test-http.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define DATASETS "/workspaces/" ORG "/datasets/" ORG "_"

/* The large import: n_lines captions spread over N_ASSETS assets, one
 * annotation part each.  100000 lines only with -m slow: the six imports
 * of them took a minute of CPU under ASan. */
#define N_ASSETS 100
static guint n_lines;

typedef struct {
  GSubprocess *proc;
  char        *url;
  char        *data_dir;
} Server;

typedef struct {
  char        *tmpdir; /* the servers' TMPDIR and data directories */
  SoupSession *session;
  Server       server;
} Fixture;

/* ---- helpers ------------------------------------------------------------ */

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
server_start (Fixture *f, const char *data_dir, const char *const *options)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  const char      *exe = g_getenv ("VI_LOCAL_SERVER");
  guint            i;

  g_assert_nonnull (exe);
  g_assert_null (f->server.proc);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "TMPDIR", f->tmpdir, TRUE);
  /* Under AddressSanitizer, unwinding the stack of every allocation the
   * slow way makes a 100,000-line import take minutes: the server is
   * killed, never asked for a leak report, so the fast way loses nothing.
   * A small quarantine of freed memory keeps its peak RSS a measure of what
   * it holds, not of what it freed.  Every check still runs. */
  if (g_getenv ("ASAN_OPTIONS") != NULL) {
    g_autofree char *asan =
        g_strconcat (g_getenv ("ASAN_OPTIONS"),
                     ":fast_unwind_on_malloc=1:quarantine_size_mb=8", NULL);

    g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_ptr_array_add (argv, (gpointer) exe);
  if (data_dir != NULL) {
    g_ptr_array_add (argv, (gpointer) "--data-dir");
    g_ptr_array_add (argv, (gpointer) data_dir);
  }
  for (i = 0; options != NULL && options[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) options[i]);
  g_ptr_array_add (argv, NULL);

  f->server.proc =
      g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                    &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server.proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL ||
      !g_str_has_prefix (line, "listening on http://127.0.0.1:"))
    g_error ("vi-local-server did not start (%s)",
             line != NULL ? line : "no output");
  g_free (f->server.url);
  f->server.url = g_strdup (line + strlen ("listening on "));
  g_free (f->server.data_dir);
  f->server.data_dir = g_strdup (data_dir);
}

static void
server_kill (Fixture *f)
{
  g_autoptr (GError) error = NULL;

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
  return send_full (f->session, method, uri, auth,
                    auth ? "application/json" : "application/octet-stream",
                    body != NULL ? g_bytes_get_data (body, NULL) : NULL,
                    body != NULL ? g_bytes_get_size (body) : 0, NULL);
}

static Response *
api (Fixture *f, const char *method, const char *path, const char *body)
{
  g_autofree char *uri = g_strconcat (f->server.url, path, NULL);
  g_autoptr (GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body))
                                          : NULL;
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
  GString *s = g_string_sized_new (n_lines * 48);
  guint    i;

  for (i = 0; i < n_lines; i++)
    g_string_append_printf (s,
                            "{\"asset_id\":\"a%u\",\"caption\":\"line %u\"}\n",
                            i % N_ASSETS, i);
  return g_string_free_to_bytes (s);
}

static char *
create_session (Fixture *f, const char *dataset)
{
  g_autofree char *path =
      g_strdup_printf (DATASETS "%s/annotationImportSessions", dataset);
  g_autofree char *body = g_strdup_printf (
      "{\"spec\":{\"uploadBefore\":%" G_GINT64_FORMAT ",\"failurePolicies\":"
      "{\"onBadAnnotation\":\"RejectSession\",\"onBadFile\":\"RejectSession\","
      "\"onOverwritten\":\"RejectSession\"},\"source\":\"UploadedIndividualFiles\"},"
      "\"metadata\":{\"attributes\":{}}}",
      now_ms () + 3300 * 1000);
  g_autoptr (Response) created = api (f, "POST", path, body);

  g_assert_cmpuint (created->status, ==, 200);
  return g_strdup (json_object_get_string_member (obj (created),
                                                  "annotationImportSessionId"));
}

/* Registers a file of that size and CRC; returns its upload URL. */
static char *
register_file (Fixture    *f,
               const char *dataset,
               const char *id,
               const char *name,
               gsize       size,
               guint32     crc)
{
  g_autofree char *path =
      g_strdup_printf (DATASETS "%s/annotationImportSessions/%s/files", dataset,
                       id);
  g_autofree char *b64 = vi_crc32c_to_base64 (crc);
  g_autofree char *files =
      g_strdup_printf ("{\"files\":{\"%s\":{\"sizeBytes\":%" G_GSIZE_FORMAT
                       ",\"crc32c\":\"%s\","
                       "\"kind\":\"Unknown\"}}}",
                       name, size, b64);
  g_autoptr (Response) registered = api (f, "POST", path, files);

  g_assert_cmpuint (registered->status, ==, 200);
  return g_strdup (json_object_get_string_member (
      json_object_get_object_member (
          json_object_get_object_member (obj (registered), "files"), name),
      "url"));
}

static void
upload (Fixture *f, const char *url, GBytes *file)
{
  g_autoptr (Response) put = send_bytes (f, "PUT", url, FALSE, file);

  g_assert_no_error (put->error);
  g_assert_cmpuint (put->status, ==, 200);
}

/* Creates a session, registers and uploads @file; returns the session id. */
static char *
prepare_import (Fixture *f, const char *dataset, GBytes *file)
{
  char            *id = create_session (f, dataset);
  g_autofree char *url =
      register_file (f, dataset, id, "big.jsonl", g_bytes_get_size (file),
                     vi_crc32c (g_bytes_get_data (file, NULL),
                                g_bytes_get_size (file)));

  upload (f, url, file);
  return id;
}

static char *
session_path (const char *dataset, const char *id, const char *suffix)
{
  return g_strdup_printf (DATASETS "%s/annotationImportSessions/%s%s", dataset,
                          id, suffix != NULL ? suffix : "");
}

static void
patch_reached (Fixture *f, const char *dataset, const char *id)
{
  g_autofree char *path = session_path (dataset, id, "/status");
  g_autofree char *body = g_strdup_printf (
      "{\"status\":{\"conditions\":[{\"condition\":\"FilesInserted\",\"status\":\"Reached\","
      "\"lastTransitionTime\":%" G_GINT64_FORMAT "}]}}",
      now_ms ());
  g_autoptr (Response) r = api (f, "PATCH", path, body);

  g_assert_cmpuint (r->status, ==, 200);
}

/* The newest condition's name and status. */
static const char *
newest_condition (JsonObject *session, const char **status)
{
  JsonArray *conditions =
      json_object_get_array_member (json_object_get_object_member (session,
                                                                   "status"),
                                    "conditions");
  JsonObject *c;

  g_assert_cmpuint (json_array_get_length (conditions), >, 0);
  c = json_array_get_object_element (conditions, 0);
  *status = json_object_get_string_member (c, "status");
  return json_object_get_string_member (c, "condition");
}

static gboolean
session_done (Fixture *f, const char *dataset, const char *id)
{
  g_autofree char *path = session_path (dataset, id, NULL);
  g_autoptr (Response) r = api (f, "GET", path, NULL);
  const char *status;

  g_assert_cmpuint (r->status, ==, 200);
  newest_condition (obj (r), &status);
  return !g_str_equal (status, "Waiting");
}

/* What list returns for the whole dataset: every asset, every page,
 * counting the items without building a tree of them. */
static guint
count_listed (Fixture *f, const char *dataset)
{
  guint total = 0, a;

  for (a = 0; a < N_ASSETS; a++) {
    g_autofree char *token = NULL;

    do {
      g_autofree char *path = NULL;
      g_autoptr (Response) r = NULL;
      const char *body, *p, *next;
      gsize       len;

      path = g_strdup_printf ("%s" DATASETS
                              "%s/assets/a%u/annotations?pageSize=1000%s%s",
                              f->server.url, dataset, a,
                              token != NULL ? "&pageToken=" : "",
                              token != NULL ? token : "");
      r = send_request (f->session, "GET", path, TRUE, NULL, NULL, 0, NULL,
                        FALSE);
      g_assert_no_error (r->error);
      g_clear_pointer (&token, g_free);
      if (r->status == 404)
        break;
      g_assert_cmpuint (r->status, ==, 200);
      body = g_bytes_get_data (r->body, &len);
      for (p = body;
           (p = g_strstr_len (p, body + len - p, "\"annotationId\":")) != NULL;
           p++)
        total++;
      next = g_strrstr_len (body, len, "\"nextPage\":\"");
      if (next != NULL) {
        next += strlen ("\"nextPage\":\"");
        token = g_strndup (next, strchr (next, '"') - next);
      }
    } while (token != NULL);
  }
  return total;
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (goffset) st.st_size : 0;
}

static gboolean
expire_cb (gpointer data)
{
  gboolean *expired = data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits until the file at @path holds @size bytes or more: woken by the
 * file's changes (inotify, through a GFileMonitor without rate limit), not
 * by polling.  After @limit_s the wait ends anyway and says so (a target
 * taken from a reference run may never be met exactly). */
static gboolean
wait_file_size (const char *path, goffset size, guint limit_s)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileMonitor) monitor = NULL;
  g_autoptr (GError) error = NULL;
  gboolean expired = FALSE;
  guint    limit;

  monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, &error);
  g_assert_no_error (error);
  g_file_monitor_set_rate_limit (monitor, 0);
  limit = g_timeout_add_seconds (limit_s, expire_cb, &expired);
  while (file_size (path) < size && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (limit);
  g_file_monitor_cancel (monitor);
  return !expired;
}

/* After a restart: either every annotation of the import is listed and
 * the session says Complete: Reached with them all, or none is and it says
 * FailedReach.  Returns TRUE for "all". */
static gboolean
assert_all_or_nothing (Fixture *f, const char *dataset, const char *id)
{
  g_autofree char *path = session_path (dataset, id, NULL);
  g_autoptr (Response) r = NULL;
  const char *condition, *status;
  guint       listed = count_listed (f, dataset);

  if (listed != 0 && listed != n_lines)
    g_error ("after the restart, %u of the %u annotations of the import are listed",
             listed, n_lines);

  r = api (f, "GET", path, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  condition = newest_condition (obj (r), &status);
  g_assert_cmpstr (condition, ==, "Complete");
  if (listed == n_lines) {
    JsonObject *counts = json_object_get_object_member (
        json_object_get_object_member (json_object_get_object_member (obj (r),
                                                                      "status"),
                                       "annotations"),
        "statusCount");

    g_assert_cmpstr (status, ==, "Reached");
    g_assert_cmpint (json_object_get_int_member (counts, "Created"), ==,
                     n_lines);
    return TRUE;
  }
  g_assert_cmpstr (status, ==, "FailedReach");
  g_assert_nonnull (
      strstr (json_object_get_string_member (
                  json_object_get_object_member (obj (r), "status"), "reason"),
              "stopped before"));
  return FALSE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->tmpdir = g_dir_make_tmp ("vi-server-process-XXXXXX", &error);
  g_assert_no_error (error);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
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
  KILL_WHEN_COMPLETE,      /* the reference run: everything is there */
  KILL_AFTER_PATCH,        /* as soon as FilesInserted is answered */
  KILL_WHEN_JOURNAL_GROWS, /* as the import's journal record starts */
  KILL_HALF_WAY_JOURNAL,   /* half of the reference run's growth written */
  KILL_HALF_TIME,          /* half of the reference run's processing time */
  KILL_WHEN_JOURNAL_DONE, /* as soon as the reference run's growth is written */
} KillMoment;

static void
test_import_sigkill (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) file = make_import_file ();
  goffset    growth = 0;
  gint64     processing = 0;
  KillMoment moment;
  guint      all = 0, none = 0;

  for (moment = KILL_WHEN_COMPLETE; moment <= KILL_WHEN_JOURNAL_DONE;
       moment++) {
    g_autofree char *name = g_strdup_printf ("data-%d", moment);
    g_autofree char *dir = g_build_filename (f->tmpdir, name, NULL);
    g_autofree char *journal = g_build_filename (dir, "journal.jsonl", NULL);
    g_autofree char *id = NULL;
    goffset          before;
    gint64           start;
    gboolean         kept;

    server_start (f, dir, NULL);
    id = prepare_import (f, "big", file);
    before = file_size (journal);
    start = g_get_monotonic_time ();
    patch_reached (f, "big", id);

    switch (moment) {
      case KILL_WHEN_COMPLETE: {
        /* The server is another process and tells no one when an import
         * ends: its API, like the service's, has clients poll.  So this
         * one is a poll, every 5 ms, under a deadline that is a safety
         * net, not a timing assertion. */
        gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

        while (!session_done (f, "big", id)) {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_usleep (5000);
        }
        processing = g_get_monotonic_time () - start;
        growth = file_size (journal) - before;
      } break;
      case KILL_AFTER_PATCH:
        break;
      case KILL_WHEN_JOURNAL_GROWS:
      case KILL_HALF_WAY_JOURNAL:
      case KILL_WHEN_JOURNAL_DONE: {
        /* The PATCH's own record is in before the answer. */
        goffset base = file_size (journal);
        goffset target = moment == KILL_WHEN_JOURNAL_GROWS ? base + 1
            : moment == KILL_HALF_WAY_JOURNAL              ? base + growth / 2
                                                           : before + growth;

        if (!wait_file_size (journal, target, 60))
          g_test_message ("kill moment %d: the journal never reached %" G_GOFFSET_FORMAT
                          " bytes; killed after 60 s",
                          moment, target);
      } break;
      case KILL_HALF_TIME:
      default: {
        /* Here the moment is a time, half of the reference run's
         * processing: it may fall anywhere in the import, which is the
         * point.  Nothing to wait on but the clock. */
        gint64 left = start + processing / 2 - g_get_monotonic_time ();

        if (left > 0)
          g_usleep (left);
      } break;
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
    g_test_message ("kill moment %d: %s of the import", moment,
                    kept ? "all" : "none");
  }
  g_test_message ("%u runs kept all of the import, %u none of it", all, none);
}

/* ---- request limits --------------------------------------------------------- */

typedef struct {
  guint   status;
  char   *head;
  char   *body;
  guint64 body_sent;
} RawResult;

static void
raw_result_clear (RawResult *r)
{
  g_free (r->head);
  g_free (r->body);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RawResult, raw_result_clear)

static GSocket *
raw_connect (Fixture *f)
{
  g_autoptr (GUri) uri = g_uri_parse (f->server.url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GInetAddress)
      inet = g_inet_address_new_from_string (g_uri_get_host (uri));
  g_autoptr (GSocketAddress)
      address = g_inet_socket_address_new (inet, g_uri_get_port (uri));
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_set_timeout (socket, 60);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  return socket;
}

static void
raw_send (GSocket *socket, const char *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  while (len > 0) {
    gssize n = g_socket_send (socket, data, len, NULL, &error);

    g_assert_no_error (error);
    data += n;
    len -= (gsize) n;
  }
}

/* Reads one answer: its head, then Content-Length bytes of body. */
static void
raw_read_answer (GSocket *socket, RawResult *out)
{
  g_autoptr (GString) in = g_string_new (NULL);
  const char *end, *length;
  gsize       body_len;

  while ((end = strstr (in->str, "\r\n\r\n")) == NULL) {
    g_autoptr (GError) error = NULL;
    char   buf[4096];
    gssize n = g_socket_receive (socket, buf, sizeof buf, NULL, &error);

    g_assert_no_error (error);
    if (n == 0)
      g_error ("the connection was closed without an answer (%" G_GSIZE_FORMAT
               " bytes read)",
               in->len);
    g_string_append_len (in, buf, n);
  }
  g_assert_true (g_str_has_prefix (in->str, "HTTP/1.1 "));
  out->status = (guint) g_ascii_strtoull (in->str + 9, NULL, 10);
  out->head = g_strndup (in->str, end - in->str);
  length = g_strstr_len (out->head, -1, "\r\nContent-Length: ");
  g_assert_nonnull (length);
  body_len = (gsize) g_ascii_strtoull (length + 18, NULL, 10);
  g_string_erase (in, 0, end + 4 - in->str);
  while (in->len < body_len) {
    g_autoptr (GError) error = NULL;
    char   buf[4096];
    gssize n = g_socket_receive (socket, buf,
                                 MIN (sizeof buf, body_len - in->len), NULL,
                                 &error);

    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    g_string_append_len (in, buf, n);
  }
  out->body = g_strndup (in->str, body_len);
}

/* Streams up to @size bytes of zeros (never held), until the server
 * closes the connection.  Returns how many were sent. */
static guint64
raw_stream_zeros (GSocket *socket, guint64 size)
{
  static const char zeros[64 * 1024];
  guint64           sent = 0;

  while (sent < size) {
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_send (socket, zeros,
                              (gsize) MIN (sizeof zeros, size - sent), NULL,
                              &error);

    if (n < 0)
      break;
    sent += (guint64) n;
  }
  return sent;
}

/* Sends the head of a request announcing a body of @body_size bytes, reads
 * the answer before sending any of the body, then streams the body. */
static void
raw_exchange (Fixture    *f,
              const char *head,
              gsize       head_len,
              guint64     body_size,
              RawResult  *out)
{
  g_autoptr (GSocket) socket = raw_connect (f);

  raw_send (socket, head, head_len);
  raw_read_answer (socket, out);
  out->body_sent = raw_stream_zeros (socket, body_size);
  g_socket_close (socket, NULL);
}

/* The error code and message of an answer. */
static void
assert_raw_error (RawResult  *r,
                  guint       status,
                  const char *code,
                  const char *message_part)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;

  if (r->status != status)
    g_error ("expected %u, got %u: %s", status, r->status, r->body);
  g_assert_nonnull (strstr (r->head, "\r\nx-cloud-trace-context: "));
  g_assert_true (json_parser_load_from_data (parser, r->body, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "error"), ==, code);
  if (message_part != NULL &&
      strstr (json_object_get_string_member (o, "message"), message_part) ==
          NULL)
    g_error ("“%s” does not say “%s”",
             json_object_get_string_member (o, "message"), message_part);
}

/* VmHWM (peak RSS) of the server, in bytes. */
static guint64
server_peak_rss (Fixture *f)
{
  g_autofree char *path =
      g_strdup_printf ("/proc/%s/status",
                       g_subprocess_get_identifier (f->server.proc));
  g_autofree char *status = NULL;
  const char      *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "\nVmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + 7, NULL, 10) * 1024;
}

/* Peak RSS growth allowed while bodies of gigabytes are streamed: room for
 * the sanitizers' bookkeeping, nothing near a body. */
#define FLAT_RSS (48 << 20)

static void
assert_rss_flat (Fixture *f, guint64 peak)
{
  guint64 now = server_peak_rss (f);

  g_test_message ("server peak RSS: %" G_GUINT64_FORMAT
                  " MB, then %" G_GUINT64_FORMAT " MB",
                  peak >> 20, now >> 20);
  g_assert_cmpuint (now, <, peak + FLAT_RSS);
}

/* Sends the head of a chunked request, then n_chunks chunks of size
 * bytes of c, then reads the answer. */
static void
raw_chunked (Fixture    *f,
             const char *head,
             char        c,
             gsize       size,
             guint       n_chunks,
             RawResult  *out)
{
  g_autoptr (GSocket) socket = raw_connect (f);
  g_autofree char *data = g_strnfill (size, c);
  g_autoptr (GString) chunk = g_string_new (NULL);
  guint i;

  g_string_append_printf (chunk, "%" G_GSIZE_MODIFIER "x\r\n%s\r\n", size,
                          data);
  raw_send (socket, head, strlen (head));
  for (i = 0; i < n_chunks; i++)
    raw_send (socket, chunk->str, chunk->len);
  raw_read_answer (socket, out);
  g_socket_close (socket, NULL);
}

static void
assert_server_answers (Fixture *f)
{
  g_autoptr (Response)
      r = api (f, "GET", DATASETS "none/assets/a/annotations", NULL);

  g_assert_cmpuint (r->status, ==, 404);
}

static void
test_limits_body (Fixture *f, gconstpointer data)
{
  static const char unauthenticated[] =
      "POST " DATASETS "big/annotationImportSessions HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1073741824\r\n\r\n";
  static const char authenticated[] =
      "POST " DATASETS "big/annotationImportSessions HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nAuthorization: Bearer " KEY
      "\r\nOrganization-Id: " ORG "\r\n"
      "Content-Type: application/json\r\nContent-Length: 4194305\r\n\r\n";
  static const char chunked[] =
      "POST /_control/faults HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  g_auto (RawResult) one_gb = { 0 };
  g_auto (RawResult) over = { 0 };
  g_auto (RawResult) streamed = { 0 };
  guint64 peak;

  server_start (f, NULL, NULL);
  peak = server_peak_rss (f);

  /* 1 GB without credentials: 413 before a byte of the body is sent; the
   * server then drops what it is sent, and its memory stays flat. */
  raw_exchange (f, unauthenticated, sizeof unauthenticated - 1,
                G_GUINT64_CONSTANT (1) << 30, &one_gb);
  assert_raw_error (&one_gb, 413, "FileTooLarge", "larger than 4194304 bytes");
  g_assert_nonnull (strstr (one_gb.head, "\r\nConnection: close"));
  g_test_message ("sent %" G_GUINT64_FORMAT " bytes of the refused 1 GB body",
                  one_gb.body_sent);

  /* One byte over the default limit, with credentials. */
  raw_exchange (f, authenticated, sizeof authenticated - 1, 4194305, &over);
  assert_raw_error (&over, 413, "FileTooLarge", "--max-body-size");

  /* A chunked body has no size up front: refused once it passes the
   * limit, whatever follows. */
  raw_chunked (f, chunked, '[', 64 * 1024, 80, &streamed);
  assert_raw_error (&streamed, 413, "FileTooLarge",
                    "larger than 4194304 bytes");
  assert_rss_flat (f, peak);
  assert_server_answers (f);
  server_kill (f);

  /* --max-body-size: a smaller limit; what fits is read as usual. */
  {
    const char      *options[] = { "--max-body-size", "1k", NULL };
    g_autofree char *small = g_strnfill (900, ' ');
    g_autofree char *large = g_strnfill (1025, ' ');
    g_autoptr (Response) fits = NULL;
    g_autoptr (Response) refused = NULL;

    server_start (f, NULL, options);
    fits = api (f, "POST", "/_control/faults", small);
    g_assert_cmpuint (fits->status, ==, 400);
    g_assert_nonnull (
        strstr (json_object_get_string_member (obj (fits), "message"),
                "no fault rule given"));
    refused = api (f, "POST", "/_control/faults", large);
    g_assert_cmpuint (refused->status, ==, 413);
    g_assert_nonnull (
        strstr (json_object_get_string_member (obj (refused), "message"),
                "larger than 1024 bytes"));
  }
}

static void
test_limits_upload (Fixture *f, gconstpointer data)
{
  const char      *options[] = { "--max-upload-size", "1M", NULL };
  g_autofree char *dir = g_build_filename (f->tmpdir, "data", NULL);
  g_autofree char *work = g_build_filename (dir, "work", NULL);
  g_autofree char *unknown = NULL;
  g_autofree char *too_big = NULL;
  g_autofree char *chunked = NULL;
  g_autofree char *id = NULL;
  g_autofree char *url = NULL;
  g_auto (RawResult) forbidden = { 0 };
  g_auto (RawResult) large = { 0 };
  g_auto (RawResult) streamed = { 0 };
  guint64 peak;

  server_start (f, dir, options);
  peak = server_peak_rss (f);

  /* 2 GB to a URL the server never gave: 403 before the body, and nothing
   * is spooled (the work folder is not even made). */
  unknown = g_strdup_printf ("PUT /upload/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: 2147483648\r\n\r\n",
                             "nosuchtokennosuchtokennosuchtokennosuchtok");
  raw_exchange (f, unknown, strlen (unknown), G_GUINT64_CONSTANT (2) << 30,
                &forbidden);
  assert_raw_error (&forbidden, 403, "PermissionDenied",
                    "unknown or replaced token");
  g_test_message ("sent %" G_GUINT64_FORMAT " bytes of the refused 2 GB upload",
                  forbidden.body_sent);
  g_assert_false (g_file_test (work, G_FILE_TEST_EXISTS));

  /* A signed URL, with a Content-Length above --max-upload-size: 413
   * before the body. */
  id = create_session (f, "up");
  url = register_file (f, "up", id, "b.jsonl", 2 << 20, 0);
  too_big = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %d\r\n\r\n",
                             strstr (url, "/upload/"), 2 << 20);
  raw_exchange (f, too_big, strlen (too_big), 2 << 20, &large);
  assert_raw_error (&large, 413, "FileTooLarge", "--max-upload-size");

  /* Chunked: refused once it passes the limit, and its spool file goes. */
  chunked = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n",
                             strstr (url, "/upload/"));
  raw_chunked (f, chunked, 'x', 32 * 1024, 48, &streamed);
  assert_raw_error (&streamed, 413, "FileTooLarge",
                    "larger than 1048576 bytes");
  assert_rss_flat (f, peak);
  {
    g_autoptr (GDir) d = g_dir_open (work, 0, NULL);
    const char *name;

    g_assert_nonnull (d);
    while ((name = g_dir_read_name (d)) != NULL)
      g_assert_false (g_str_has_prefix (name, "spool-"));
  }

  /* An upload within the limit goes through. */
  {
    g_autoptr (GBytes) small =
        g_bytes_new_static ("{\"asset_id\":\"a\",\"caption\":\"b\"}\n", 32);
    g_autofree char *c_url =
        register_file (f, "up", id, "c.jsonl", 32,
                       vi_crc32c (g_bytes_get_data (small, NULL), 32));

    upload (f, c_url, small);
  }
}

static char *
header_request (const char *path, gsize value_size)
{
  g_autofree char *value = g_strnfill (value_size, 'a');

  return g_strdup_printf (
      "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: %s\r\n\r\n", path,
      value);
}

static void
test_limits_headers (Fixture *f, gconstpointer data)
{
  static const gsize sizes[] = { 64 * 1024, 70 * 1024, 200 * 1024,
                                 48 * 1024, 40 * 1024, 33 * 1024 };
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *padding = NULL;
  guint            i;

  server_start (f, NULL, NULL);

  /* libsoup alone drops the connection at 64 KiB of headers: 431 now, and
   * above the limit from 32 KiB on. */
  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *request = header_request ("/_control/stats", sizes[i]);
    g_auto (RawResult) r = { 0 };

    raw_exchange (f, request, strlen (request), 0, &r);
    assert_raw_error (&r, 431, "UnknownError",
                      "request header fields too large");
  }

  /* Below the limit: answered as usual. */
  {
    g_autofree char *request = header_request ("/_control/stats", 30 * 1024);
    g_auto (RawResult) r = { 0 };

    raw_exchange (f, request, strlen (request), 0, &r);
    g_assert_cmpuint (r.status, ==, 200);
  }

  /* On a kept-alive connection, the second request's headers are counted
   * afresh: a small one, then a large one. */
  {
    g_autoptr (GSocket) socket = raw_connect (f);
    g_autofree char *small = header_request ("/_control/stats", 20 * 1024);
    g_autofree char *large = header_request ("/_control/stats", 100 * 1024);
    g_auto (RawResult) first = { 0 };
    g_auto (RawResult) second = { 0 };
    g_auto (RawResult) third = { 0 };

    raw_send (socket, small, strlen (small));
    raw_read_answer (socket, &first);
    g_assert_cmpuint (first.status, ==, 200);
    raw_send (socket, small, strlen (small));
    raw_read_answer (socket, &second);
    g_assert_cmpuint (second.status, ==, 200);
    raw_send (socket, large, strlen (large));
    raw_read_answer (socket, &third);
    assert_raw_error (&third, 431, "UnknownError", NULL);
  }

  /* A libsoup client sees the 431, not a dropped connection. */
  uri = g_strconcat (f->server.url, "/_control/stats", NULL);
  msg = soup_message_new ("GET", uri);
  padding = g_strnfill (80 * 1024, 'b');
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "X-Padding", padding);
  body = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 431);
  assert_server_answers (f);
  server_kill (f);

  /* --max-header-size */
  {
    const char      *options[] = { "--max-header-size", "2k", NULL };
    g_autofree char *fits = header_request ("/_control/stats", 1000);
    g_autofree char *over = header_request ("/_control/stats", 2100);
    g_auto (RawResult) ok = { 0 };
    g_auto (RawResult) refused = { 0 };

    server_start (f, NULL, options);
    raw_exchange (f, fits, strlen (fits), 0, &ok);
    g_assert_cmpuint (ok.status, ==, 200);
    raw_exchange (f, over, strlen (over), 0, &refused);
    assert_raw_error (&refused, 431, "UnknownError", "may take 2048 bytes");
  }
}

/* Bad options are refused with exit status 2, before listening. */
static void
test_options (Fixture *f, gconstpointer data)
{
  /* As deep as one argument may be (128 KiB), far deeper than json-glib
   * alone survives. */
  g_autofree char *deep = deep_json ("{\"action\":\"drop\",\"path\":", 60000,
                                     "}");
  const char      *exe = g_getenv ("VI_LOCAL_SERVER");
  guint            i;

  {
    const char *cases[][3] = {
      { "--max-body-size", "12x", "takes a size" },
      { "--max-upload-size", "-1", "takes a size" },
      { "--max-header-size", "64k", "from 1024 to 32768" },
      { "--max-header-size", "512", "from 1024 to 32768" },
      { "--fault", deep, "nesting too deep" },
    };

    for (i = 0; i < G_N_ELEMENTS (cases); i++) {
      g_autoptr (GSubprocess) proc = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *err = NULL;

      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                   G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error, exe, cases[i][0], cases[i][1], NULL);
      g_assert_no_error (error);
      g_assert_true (
          g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error));
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_exited (proc));
      g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 2);
      if (strstr (err, cases[i][2]) == NULL)
        g_error ("%s %s: %s", cases[i][0],
                 cases[i][1] == deep ? "(deep)" : cases[i][1], err);
    }
  }
}

int
main (int argc, char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_test_init (&argc, &argv, NULL);
  n_lines = g_test_slow () ? 100000 : 25000;

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server-process/import/sigkill", test_import_sigkill);
  ADD ("/server-process/limits/body", test_limits_body);
  ADD ("/server-process/limits/upload", test_limits_upload);
  ADD ("/server-process/limits/headers", test_limits_headers);
  ADD ("/server-process/options", test_options);

  return g_test_run ();
}
