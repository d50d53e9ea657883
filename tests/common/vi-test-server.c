/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-test-server.h"

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

void
vi_test_server_setup (ViTestServer *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->server = vi_local_server_new (NULL, NULL);
  g_assert_true (
      vi_local_server_start (fixture->server, NULL, 0, TRUE, &error));
  g_assert_no_error (error);
  fixture->url = vi_local_server_get_url (fixture->server);
  fixture->client = vi_test_server_new_client (fixture, NULL, NULL);
}

void
vi_test_server_teardown (ViTestServer *fixture, gconstpointer data)
{
  g_clear_object (&fixture->client);
  vi_local_server_stop (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->url, g_free);
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
