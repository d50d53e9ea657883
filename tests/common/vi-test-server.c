/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-test-server.h"
#include "vi-test-http.h"

/**
 * vi_test_server_new_client:
 * @fixture: a started fixture
 * @secret_key: (nullable): the key to send, %NULL for the server's
 * @organization_id: (nullable): the organization, %NULL for the server's
 *
 * A client of the fixture's server.  Its retry backoff is short, so that
 * tests of retries take milliseconds; a `Retry-After` the server sends is
 * still honoured as sent.
 */
ViClient *
vi_test_server_new_client (ViTestServer *fixture,
                           const char   *secret_key,
                           const char   *organization_id)
{
  g_autoptr (GError) error = NULL;
  ViClient *client;

  client = vi_client_new (fixture->url,
                          secret_key ? secret_key
                                     : VI_LOCAL_SERVER_DEFAULT_SECRET_KEY,
                          organization_id
                              ? organization_id
                              : VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID,
                          NULL, &error);
  g_assert_no_error (error);
  g_object_set (client, "retry-base-delay", 0.01, NULL);
  return client;
}

/* A server made, not started: the test sets a data directory or limits
 * first, then calls vi_test_server_start(). */
void
vi_test_server_setup_stopped (ViTestServer *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->server = vi_local_server_new (NULL, NULL);
  fixture->session = soup_session_new ();
  fixture->dir = g_dir_make_tmp ("vi-test-XXXXXX", &error);
  g_assert_no_error (error);
}

/* Starts the fixture's server in a thread on a loopback port: an
 * ephemeral one the first time, the same one again after
 * vi_test_server_stop().  Makes the client of it if there is none yet. */
void
vi_test_server_start (ViTestServer *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vi_local_server_start (fixture->server, NULL, fixture->port,
                                        TRUE, &error));
  g_assert_no_error (error);
  fixture->port = vi_local_server_get_port (fixture->server);
  /* The URL stays the same string across a stop and start on the same
   * port: a test may hold it. */
  if (fixture->url == NULL)
    fixture->url = vi_local_server_get_url (fixture->server);
  if (fixture->client == NULL)
    fixture->client = vi_test_server_new_client (fixture, NULL, NULL);
}

/**
 * vi_test_server_stop:
 * @fixture: a started fixture
 *
 * Stops the server and keeps it, with its data, URL and port, so that
 * vi_test_server_start() brings the same server back on the same port:
 * an outage as a client sees it.  Requests in flight are cut.
 */
void
vi_test_server_stop (ViTestServer *fixture)
{
  vi_local_server_stop (fixture->server);
}

void
vi_test_server_setup (ViTestServer *fixture, gconstpointer data)
{
  vi_test_server_setup_stopped (fixture, data);
  vi_test_server_start (fixture);
}

/* Stops the server, and starts a new one on data_dir (or none) on a new
 * port: what a restart of the process does.  The client and the URL are
 * made again for the new port. */
void
vi_test_server_restart (ViTestServer *fixture, const char *data_dir)
{
  g_autoptr (GError) error = NULL;

  soup_session_abort (fixture->session);
  vi_local_server_stop (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->client);
  g_clear_pointer (&fixture->url, g_free);
  fixture->port = 0;
  fixture->server = vi_local_server_new (NULL, NULL);
  if (data_dir != NULL) {
    g_assert_true (
        vi_local_server_set_data_dir (fixture->server, data_dir, &error));
    g_assert_no_error (error);
  }
  vi_test_server_start (fixture);
}

/* Nothing of the server may outlive the test: its last reference is the
 * fixture's. */
void
vi_test_server_teardown (ViTestServer *fixture, gconstpointer data)
{
  g_clear_object (&fixture->client);
  soup_session_abort (fixture->session);
  g_clear_object (&fixture->session);
  if (fixture->server != NULL) {
    vi_local_server_stop (fixture->server);
    g_assert_cmpint (G_OBJECT (fixture->server)->ref_count, ==, 1);
    g_clear_object (&fixture->server);
  }
  g_clear_pointer (&fixture->url, g_free);
  remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
}

/* One line with a caption and nothing else. */
void
vi_test_server_add_caption (ViTestServer *fixture,
                            const char   *dataset_id,
                            const char   *asset_id,
                            const char   *caption)
{
  g_autoptr (ViJsonlRecord) record = vi_jsonl_record_new (asset_id);
  g_autoptr (GError) error = NULL;

  vi_jsonl_record_set_caption (record, caption);
  g_assert_true (
      vi_local_server_add_record (fixture->server, dataset_id, record, &error));
  g_assert_no_error (error);
}

typedef struct {
  ViLocalServer *server;
  GCancellable  *cancellable;
  GMainContext  *context;
  char          *method;
  char          *path_prefix;
  guint          n;
} CancelOnRequest;

static gboolean
cancel_in_context_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_on_request_thread (gpointer data)
{
  CancelOnRequest *c = data;

  /* A request that never comes fails the test here rather than hanging
   * it: the waiting call is never cancelled. */
  if (!vi_local_server_wait_for_requests (c->server, c->method, c->path_prefix,
                                          c->n, 60 * 1000))
    g_error ("the server did not see %u %s %s request(s) within 60 s", c->n,
             c->method ? c->method : "", c->path_prefix ? c->path_prefix : "");
  if (c->context != NULL) {
    g_main_context_invoke_full (c->context, G_PRIORITY_DEFAULT,
                                cancel_in_context_cb,
                                g_object_ref (c->cancellable), g_object_unref);
    g_main_context_unref (c->context);
  } else {
    g_cancellable_cancel (c->cancellable);
  }
  g_object_unref (c->server);
  g_object_unref (c->cancellable);
  g_free (c->method);
  g_free (c->path_prefix);
  g_free (c);
  return NULL;
}

/**
 * vi_test_server_cancel_on_request:
 * @server: a running server
 * @cancellable: what to cancel
 * @method: (nullable): as for vi_local_server_get_request_count()
 * @path_prefix: (nullable): as for vi_local_server_get_request_count()
 * @n: the count to wait for
 *
 * Cancels @cancellable from a thread of its own as soon as @server has
 * seen @n such requests: the moment a call is waiting on a request the
 * server holds (a latency fault), as an application's other thread would
 * cancel it, without guessing how long the call takes to get there.  Join
 * the thread returned before dropping @cancellable.
 *
 * Returns: (transfer full): the thread
 */
GThread *
vi_test_server_cancel_on_request (ViLocalServer *server,
                                  GCancellable  *cancellable,
                                  const char    *method,
                                  const char    *path_prefix,
                                  guint          n)
{
  return vi_test_server_cancel_on_request_in (server, cancellable, NULL, method,
                                              path_prefix, n);
}

/**
 * vi_test_server_cancel_on_request_in:
 * @server: a running server
 * @cancellable: what to cancel
 * @context: (nullable): the main context to cancel from, %NULL for the
 *   waiting thread
 * @method: (nullable): as for vi_local_server_get_request_count()
 * @path_prefix: (nullable): as for vi_local_server_get_request_count()
 * @n: the count to wait for
 *
 * As vi_test_server_cancel_on_request(), but the cancel runs in @context
 * (the test's main loop), as an application's main loop would cancel an
 * asynchronous call.  The thread ends once the cancel is queued.
 *
 * Returns: (transfer full): the thread
 */
GThread *
vi_test_server_cancel_on_request_in (ViLocalServer *server,
                                     GCancellable  *cancellable,
                                     GMainContext  *context,
                                     const char    *method,
                                     const char    *path_prefix,
                                     guint          n)
{
  CancelOnRequest *c = g_new0 (CancelOnRequest, 1);

  c->server = g_object_ref (server);
  c->cancellable = g_object_ref (cancellable);
  c->context = context != NULL ? g_main_context_ref (context) : NULL;
  c->method = g_strdup (method);
  c->path_prefix = g_strdup (path_prefix);
  c->n = n;
  return g_thread_new ("cancel-on-request", cancel_on_request_thread, c);
}
