/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libvi's client against vi-local-server, running in a thread on
 * 127.0.0.1 with an ephemeral port.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <vi/vi.h>
#include "vi-http-private.h"
#include "vi-client-private.h"
#include "vi-test-server.h"
#include "test-cancel-later.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY

/* The shared fixture: a server started for the test and a client of it. */
typedef ViTestServer Fixture;

static ViClient *
new_client (const char *url, const char *key, const char *org)
{
  g_autoptr (GError) error = NULL;
  ViClient *client = vi_client_new (url, key, org, NULL, &error);

  g_assert_no_error (error);
  /* Short backoff so that retry tests run in milliseconds; Retry-After is
   * still honoured as sent. */
  g_object_set (client, "retry-base-delay", 0.01, NULL);
  return client;
}

/* "A cat sitting on a couch" with two grounded phrases. */
static void
add_grounding (Fixture *f, const char *dataset, const char *asset)
{
  g_autoptr (ViJsonlRecord) record = vi_jsonl_record_new (asset);
  g_autoptr (GError) error = NULL;
  ViBBox cat = { 0.1, 0.2, 0.5, 0.7 };
  ViBBox couch = { 0.6, 0.2, 0.9, 0.7 };

  vi_jsonl_record_set_caption (record, "A cat sitting on a couch");
  vi_jsonl_record_add_phrase (record, "cat", &cat);
  vi_jsonl_record_add_phrase (record, "couch", &couch);
  g_assert_true (
      vi_local_server_add_record (f->server, dataset, record, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */

static void
test_new_credentials (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *json = NULL;

  /* Nothing anywhere. */
  client = vi_client_new ("http://127.0.0.1:1", NULL, NULL, NULL, &error);
  g_assert_null (client);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "DATATURE_VI_SECRET_KEY"));
  g_clear_error (&error);

  /* A malformed key is refused, and never echoed. */
  client = vi_client_new ("http://127.0.0.1:1", "dtvi_secretvalue", ORG, NULL,
                          &error);
  g_assert_null (client);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_null (strstr (error->message, "secretvalue"));
  g_clear_error (&error);

  /* Only http and https. */
  client = vi_client_new ("ftp://127.0.0.1", KEY, ORG, NULL, &error);
  g_assert_null (client);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The environment fills what the arguments leave out. */
  g_setenv ("DATATURE_VI_SECRET_KEY", KEY, TRUE);
  g_setenv ("DATATURE_VI_ORGANIZATION_ID", "env-org", TRUE);
  g_setenv ("DATATURE_VI_API_ENDPOINT", "http://127.0.0.1:9/some/path/", TRUE);
  client = vi_client_new_from_env (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_client_get_organization_id (client), ==, "env-org");
  /* The endpoint's path is dropped, as the SDK's urljoin does. */
  g_assert_cmpstr (vi_client_get_endpoint (client), ==, "http://127.0.0.1:9");
  g_assert_true (g_str_has_prefix (vi_client_get_user_agent (client), "vi-c/"));
  g_clear_object (&client);

  /* Arguments win over the environment. */
  client = vi_client_new (NULL, NULL, "arg-org", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_client_get_organization_id (client), ==, "arg-org");
  g_clear_object (&client);
  g_unsetenv ("DATATURE_VI_SECRET_KEY");
  g_unsetenv ("DATATURE_VI_ORGANIZATION_ID");
  g_unsetenv ("DATATURE_VI_API_ENDPOINT");

  /* The config file, only when given. */
  dir = g_dir_make_tmp ("vi-client-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (dir, "config.json", NULL);
  json = g_strdup_printf ("{\"secret_key\": \"%s\", \"organization_id\": "
                          "\"file-org\"}",
                          KEY);
  g_assert_true (g_file_set_contents (config, json, -1, &error));
  client = vi_client_new ("http://127.0.0.1:1", NULL, NULL, config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_client_get_organization_id (client), ==, "file-org");
  g_clear_object (&client);

  g_assert_true (
      g_file_set_contents (config, "{\"secret_key\": 5}", -1, &error));
  client = vi_client_new ("http://127.0.0.1:1", NULL, NULL, config, &error);
  g_assert_null (client);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "secret_key"));
  g_clear_error (&error);

  g_unlink (config);
  g_rmdir (dir);
}

/* The organization id goes into paths and into a header: refused unless
 * it is an id, at construction, naming where it came from. */
static void
test_new_organization_id (void)
{
  const char      *bad[] = { "a\r\nX-Evil: 1", "..", "a/b", "org id", "" };
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autoptr (GError) error = NULL;

  dir = g_dir_make_tmp ("vi-client-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (dir, "config.json", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (ViClient) client = NULL;
    g_autoptr (JsonBuilder) builder = json_builder_new ();
    g_autoptr (JsonNode) root = NULL;
    g_autofree char *json = NULL;

    /* An empty argument or variable counts as unset. */
    if (*bad[i] != '\0') {
      client = vi_client_new ("http://127.0.0.1:1", KEY, bad[i], NULL, &error);
      g_assert_null (client);
      g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_str_has_prefix (
          error->message,
          "the organization id given to the client: organization id"));
      g_assert_null (strpbrk (error->message, "\r\n"));
      g_clear_error (&error);

      g_setenv ("DATATURE_VI_ORGANIZATION_ID", bad[i], TRUE);
      client = vi_client_new ("http://127.0.0.1:1", KEY, NULL, NULL, &error);
      g_assert_null (client);
      g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
      g_assert_true (
          g_str_has_prefix (error->message,
                            "DATATURE_VI_ORGANIZATION_ID: organization id"));
      g_clear_error (&error);
      g_unsetenv ("DATATURE_VI_ORGANIZATION_ID");
    }

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "organization_id");
    json_builder_add_string_value (builder, bad[i]);
    json_builder_end_object (builder);
    root = json_builder_get_root (builder);
    json = json_to_string (root, FALSE);
    g_assert_true (g_file_set_contents (config, json, -1, &error));
    client = vi_client_new ("http://127.0.0.1:1", KEY, NULL, config, &error);
    g_assert_null (client);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, config));
    g_assert_nonnull (strstr (error->message, "organization"));
    g_clear_error (&error);
  }

  g_unlink (config);
  g_rmdir (dir);
}

/* A config file nested 100,000 deep: a clear error naming the file, not a
 * stack overflow in json-glib. */
static void
test_new_deep_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *open = g_strnfill (100000, '[');
  g_autofree char *close = g_strnfill (100000, ']');
  g_autofree char *json = NULL;

  dir = g_dir_make_tmp ("vi-client-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (dir, "deep.json", NULL);
  json = g_strdup_printf ("{\"secret_key\": %s%s}", open, close);
  g_assert_true (g_file_set_contents (config, json, -1, &error));

  client = vi_client_new ("http://127.0.0.1:1", NULL, ORG, config, &error);
  g_assert_null (client);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, config));
  g_assert_nonnull (strstr (error->message, "nesting too deep"));

  g_unlink (config);
  g_rmdir (dir);
}

static void
test_list_get_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (ViAnnotation) got = NULL;
  g_autoptr (ViDeletedResource) deleted = NULL;
  const char *caption_id = NULL, *whole = NULL;
  guint       n_boxes = 0;

  add_grounding (f, "ds1", "asset-1");

  all = vi_client_list_all_annotations (f->client, "ds1", "asset-1", 0, NULL,
                                        &error);
  g_assert_no_error (error);
  /* One caption part and one box part per phrase, one group. */
  g_assert_cmpuint (all->len, ==, 3);
  for (guint i = 0; i < all->len; i++) {
    ViAnnotation        *a = all->pdata[i];
    ViAnnotationSpec    *spec = vi_annotation_get_spec (a);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);

    g_assert_cmpstr (vi_annotation_get_asset_id (a), ==, "asset-1");
    g_assert_cmpstr (vi_annotation_get_organization_id (a), ==, ORG);
    /* The "{org}_" prefix of the wire's datasetId is stripped. */
    g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==, "ds1");
    if (whole == NULL)
      whole = vi_annotation_spec_get_whole_id (spec);
    g_assert_cmpstr (vi_annotation_spec_get_whole_id (spec), ==, whole);

    if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_CAPTION) {
      g_assert_cmpint (vi_annotation_spec_get_role (spec), ==, VI_ROLE_CAPTION);
      g_assert_cmpstr (vi_annotation_content_get_caption (c), ==,
                       "A cat sitting on a couch");
      caption_id = vi_annotation_get_annotation_id (a);
    } else {
      ViBBox b;
      int    start, end;

      g_assert_cmpint (vi_annotation_content_get_kind (c), ==,
                       VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
      g_assert_cmpint (vi_annotation_spec_get_role (spec), ==,
                       VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX);
      g_assert_true (vi_annotation_content_get_bbox (c, &b));
      g_assert_true (vi_annotation_content_get_target (c, &start, &end));
      if (start == 2) {
        g_assert_cmpint (end, ==, 5); /* "cat" */
        g_assert_cmpfloat_with_epsilon (b.x_min, 0.1, 1e-12);
        g_assert_cmpfloat_with_epsilon (b.y_max, 0.7, 1e-12);
      } else {
        g_assert_cmpint (start, ==, 19); /* "couch" */
        g_assert_cmpint (end, ==, 24);
        g_assert_cmpfloat_with_epsilon (b.x_min, 0.6, 1e-12);
      }
      n_boxes++;
    }
  }
  g_assert_cmpuint (n_boxes, ==, 2);
  g_assert_nonnull (caption_id);

  got = vi_client_get_annotation (f->client, "ds1", "asset-1", caption_id, NULL,
                                  &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_get_annotation_id (got), ==, caption_id);
  g_assert_nonnull (vi_annotation_get_etag (got));
  g_assert_nonnull (strstr (vi_annotation_get_self_link (got), caption_id));
  {
    g_autofree char *text = vi_annotation_to_string (got);
    g_assert_nonnull (strstr (text, "A cat sitting on a couch"));
  }

  deleted = vi_client_delete_annotation (f->client, "ds1", "asset-1",
                                         caption_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (deleted->id, ==, caption_id);
  g_assert_true (deleted->deleted);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds1",
                                                       "asset-1"),
                    ==, 2);

  g_clear_pointer (&got, vi_annotation_unref);
  got = vi_client_get_annotation (f->client, "ds1", "asset-1", caption_id, NULL,
                                  &error);
  g_assert_null (got);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 404);
  g_assert_nonnull (vi_error_get_trace_id (error));
  g_clear_error (&error);

  /* Deleting it again: 404, never retried. */
  vi_local_server_reset_counters (f->server);
  g_clear_pointer (&deleted, vi_deleted_resource_free);
  deleted = vi_client_delete_annotation (f->client, "ds1", "asset-1",
                                         caption_id, NULL, &error);
  g_assert_null (deleted);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 1);
  g_clear_error (&error);

  /* Unknown dataset. */
  g_clear_pointer (&all, g_ptr_array_unref);
  all = vi_client_list_all_annotations (f->client, "nope", "asset-1", 0, NULL,
                                        &error);
  g_assert_null (all);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
}

/* Writes n caption-only lines for one asset and loads them. */
static void
load_many (Fixture *f, const char *dataset, const char *asset, guint n)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  GString         *text = g_string_new (NULL);
  int              fd;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text,
                            "{\"asset_id\": \"%s\", \"caption\": "
                            "\"caption number %u\"}\n",
                            asset, i);
  fd = g_file_open_tmp ("vi-many-XXXXXX.jsonl", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text->str, text->len, &error));
  g_string_free (text, TRUE);
  g_assert_true (vi_local_server_load_jsonl (f->server, dataset, path, &error));
  g_assert_no_error (error);
  g_unlink (path);
}

static void
check_all_once (GPtrArray *items, guint n)
{
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) captions = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (items->len, ==, n);
  for (guint i = 0; i < items->len; i++) {
    ViAnnotation        *a = items->pdata[i];
    ViAnnotationContent *c = vi_annotation_spec_get_contents (
        vi_annotation_get_spec (a));

    g_assert_true (
        g_hash_table_add (ids, (gpointer) vi_annotation_get_annotation_id (a)));
    g_assert_true (
        g_hash_table_add (captions,
                          (gpointer) vi_annotation_content_get_caption (c)));
  }
  for (guint i = 0; i < n; i++) {
    g_autofree char *caption = g_strdup_printf ("caption number %u", i);
    g_assert_true (g_hash_table_contains (captions, caption));
  }
}

static void
test_pagination (Fixture *f, gconstpointer data)
{
  /* Page size 1 costs one request per item: 2500 of them took 40 s of CPU
   * under ASan, so it walks 2500 items only in the slow mode (-m slow),
   * and 100 otherwise; the other sizes walk the 2500. */
  const struct {
    const char *dataset;
    guint       n_items;
    guint       page_size;
  } walks[] = {
    { "small", 100, 1 },
    { "big", 2500, 7 },
    { "big", 2500, 1000 },
    { "big", 2500, 1 },
  };
  guint n_walks = G_N_ELEMENTS (walks) - (g_test_slow () ? 0 : 1);

  load_many (f, "small", "asset", 100);
  load_many (f, "big", "asset", 2500);

  for (guint w = 0; w < n_walks; w++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) items = NULL;
    guint expected_pages = (walks[w].n_items + walks[w].page_size - 1) /
        walks[w].page_size;

    vi_local_server_reset_counters (f->server);
    items = vi_client_list_all_annotations (f->client, walks[w].dataset,
                                            "asset", walks[w].page_size, NULL,
                                            &error);
    g_assert_no_error (error);
    check_all_once (items, walks[w].n_items);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, expected_pages);
  }
}

static void
test_pager (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  ViAnnotationPage *page;

  load_many (f, "paged", "asset", 25);
  pager = vi_client_iterate_annotations (f->client, "paged", "asset", 10);
  while ((page = vi_annotation_pager_next (pager, NULL, &error)) != NULL) {
    g_assert_cmpuint (vi_annotation_page_get_n_items (page), <=, 10);
    for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++)
      g_ptr_array_add (items,
                       vi_annotation_ref (
                           vi_annotation_page_get_item (page, i)));
    vi_annotation_page_unref (page);
  }
  g_assert_no_error (error);
  g_assert_true (vi_annotation_pager_is_done (pager));
  g_assert_cmpuint (vi_annotation_pager_get_n_pages (pager), ==, 3);
  check_all_once (items, 25);

  /* The default page size is the SDK's 10. */
  {
    g_autoptr (ViAnnotationPage) first = NULL;

    first = vi_client_list_annotations (f->client, "paged", "asset", 0, NULL,
                                        NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vi_annotation_page_get_n_items (first), ==, 10);
    g_assert_nonnull (vi_annotation_page_get_next_page (first));
  }
}

/* The server's own count of API requests, from GET /_control/stats. */
static gint64
stats_requests (Fixture *f)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = g_strconcat (f->url, "/_control/stats", NULL);
  gsize            len;
  const char      *data;

  msg = soup_message_new ("GET", uri);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  data = g_bytes_get_data (body, &len);
  g_assert_true (json_parser_load_from_data (parser, data, len, &error));
  g_assert_no_error (error);
  return json_object_get_int_member (json_node_get_object (
                                         json_parser_get_root (parser)),
                                     "requests");
}

/* The first page of an asset, then a request of another kind: whatever
 * the first page set off has reached the server before the second one,
 * on the same client. */
static ViAnnotationPage *
pager_first_page_settled (Fixture *f, ViAnnotationPager *pager)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotation) got = NULL;
  ViAnnotationPage *page;

  page = vi_annotation_pager_next (pager, NULL, &error);
  g_assert_no_error (error);
  got = vi_client_get_annotation (f->client, "paged", "asset",
                                  vi_annotation_get_annotation_id (
                                      vi_annotation_page_get_item (page, 0)),
                                  NULL, &error);
  g_assert_no_error (error);
  return page;
}

/* Asking for one page costs one GET: no prefetch until the caller asks
 * for a second page. */
static void
test_one_page_one_get (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (ViAnnotationPage) second = NULL;

  load_many (f, "paged", "asset", 35);

  page = vi_client_list_annotations (f->client, "paged", "asset", 10, NULL,
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stats_requests (f), ==, 1);
  g_clear_pointer (&page, vi_annotation_page_unref);

  vi_local_server_reset_counters (f->server);
  pager = vi_client_iterate_annotations (f->client, "paged", "asset", 10);
  page = pager_first_page_settled (f, pager);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 10);
  /* The page and the get: no list request for page 2. */
  g_assert_cmpint (stats_requests (f), ==, 2);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                       "/workspaces"),
                    ==, 2);

  /* A second page asked for: from then on the next one is prefetched
   * (page 3 while page 2 is decoded), and the walk still costs one GET a
   * page. */
  second = vi_annotation_pager_next (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (second), ==, 10);
  g_clear_pointer (&page, vi_annotation_page_unref);
  while ((page = vi_annotation_pager_next (pager, NULL, &error)) != NULL)
    g_clear_pointer (&page, vi_annotation_page_unref);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_pager_get_n_pages (pager), ==, 4);
  g_assert_cmpint (stats_requests (f), ==, 2 + 3);
}

/* The result of a one-page list goes on to the later pages without
 * fetching itself again (the SDK's PaginatedResponse). */
static void
test_page_onward (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) first = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GPtrArray) walked = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  ViAnnotationPage *page;

  load_many (f, "paged", "asset", 25);
  first = vi_client_list_annotations (f->client, "paged", "asset", 10, NULL,
                                      NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stats_requests (f), ==, 1);

  /* all_items(): page 1 as it is, then pages 2 and 3. */
  items = vi_annotation_page_all_items (first, NULL, &error);
  g_assert_no_error (error);
  check_all_once (items, 25);
  g_assert_true (g_ptr_array_index (items, 0) ==
                 vi_annotation_page_get_item (first, 0));
  g_assert_cmpint (stats_requests (f), ==, 3);

  /* Iterating onward: the first page is the page itself, with no
   * request; the page size of the list is kept. */
  pager = vi_annotation_page_iterate (first);
  page = vi_annotation_pager_next (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (page == first);
  g_assert_cmpint (stats_requests (f), ==, 3);
  vi_annotation_page_unref (page);
  while ((page = vi_annotation_pager_next (pager, NULL, &error)) != NULL) {
    g_assert_cmpuint (vi_annotation_page_get_n_items (page), <=, 10);
    for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++)
      g_ptr_array_add (walked,
                       vi_annotation_ref (
                           vi_annotation_page_get_item (page, i)));
    /* A page of a pager goes onward too: here, from the last page,
     * nothing more. */
    if (vi_annotation_page_get_next_page (page) == NULL) {
      g_autoptr (GPtrArray)
          rest = vi_annotation_page_all_items (page, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (rest->len, ==, 5);
    }
    vi_annotation_page_unref (page);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (walked->len, ==, 15);
  g_assert_cmpuint (vi_annotation_pager_get_n_pages (pager), ==, 3);
  g_assert_cmpint (stats_requests (f), ==, 5);
}

/* A page built from JSON does not know its list: it is its own first
 * page, and asking for the one after it is an error, never a silent end. */
static void
test_page_onward_unknown_list (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  g_autoptr (ViAnnotationPage) got = NULL;
  g_autoptr (ViAnnotationPage) next = NULL;
  g_autoptr (GPtrArray) items = NULL;

  node = json_from_string ("{\"items\": [], \"nextPage\": \"more\"}", &error);
  g_assert_no_error (error);
  page = vi_annotation_page_new_from_json (node, &error);
  g_assert_no_error (error);

  pager = vi_annotation_page_iterate (page);
  got = vi_annotation_pager_next (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (got == page);
  next = vi_annotation_pager_next (pager, NULL, &error);
  g_assert_null (next);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  items = vi_annotation_page_all_items (page, NULL, &error);
  g_assert_null (items);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
}

static void add_fault (Fixture *f, const char *json);

static void
test_guess_next_token (void)
{
  struct {
    const char *body;
    const char *guess;
  } cases[] = {
    { "{\"items\":[],\"nextPage\":\"abc_123\",\"prevPage\":null}", "abc_123" },
    { "{\"items\":[] , \"nextPage\" : \"t\" }", "t" },
    { "{\"items\":[],\"nextPage\":null}", NULL },
    { "{\"items\":[],\"nextPage\":\"\"}", NULL },
    { "{\"items\":[],\"nextPage\":\"a\\u0041\"}", NULL },
    { "{\"items\":[]}", NULL },
    { "{\"nextPage\":\"first\",\"items\":[{\"c\":\"x\\\"nextPage\\\":\\\"no\\\"\"}]}",
      "first" },
    { "", NULL },
    { "\"nextPage\"", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes)
        bytes = g_bytes_new_static (cases[i].body, strlen (cases[i].body));
    g_autofree char *guess = _vi_guess_next_token (bytes);

    g_assert_cmpstr (guess, ==, cases[i].guess);
  }
}

static void
test_pager_cancel_prefetch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPager) pager = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  GThread *thread;
  gint64   start;

  load_many (f, "slow", "asset", 40);
  /* The third list request (the prefetch of page 3, sent when page 2
   * came in) is held for 3 s. */
  add_fault (f,
             "{\"action\": \"latency\", \"latencyMs\": 3000, "
             "\"after\": 2, \"times\": 1}");

  pager = vi_client_iterate_annotations (f->client, "slow", "asset", 10);
  for (guint p = 0; p < 2; p++) {
    page = vi_annotation_pager_next (pager, NULL, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++)
      g_ptr_array_add (items,
                       vi_annotation_ref (
                           vi_annotation_page_get_item (page, i)));
    g_clear_pointer (&page, vi_annotation_page_unref);
  }

  /* Waiting on the held prefetch: a cancellation ends the wait at once. */
  start = g_get_monotonic_time ();
  thread = vi_test_server_cancel_on_request (f->server, cancellable, "GET",
                                             NULL, 2);
  page = vi_annotation_pager_next (pager, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (page);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* The pager carries on from where it was: every item exactly once. */
  while ((page = vi_annotation_pager_next (pager, NULL, &error)) != NULL) {
    for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++)
      g_ptr_array_add (items,
                       vi_annotation_ref (
                           vi_annotation_page_get_item (page, i)));
    vi_annotation_page_unref (page);
  }
  g_assert_no_error (error);
  check_all_once (items, 40);
}

typedef struct {
  GMainLoop        *loop;
  ViAnnotationPage *page;
  ViAnnotation     *annotation;
  GError           *error;
} AsyncResult;

static void
list_async_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncResult *r = user_data;

  r->page = vi_client_list_annotations_finish (VI_CLIENT (source), result,
                                               &r->error);
  g_main_loop_quit (r->loop);
}

static void
get_async_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncResult *r = user_data;

  r->annotation = vi_client_get_annotation_finish (VI_CLIENT (source), result,
                                                   &r->error);
  g_main_loop_quit (r->loop);
}

static void
test_async (Fixture *f, gconstpointer data)
{
  AsyncResult r = { 0 };

  add_grounding (f, "ds", "img");
  r.loop = g_main_loop_new (NULL, FALSE);

  vi_client_list_annotations_async (f->client, "ds", "img", 100, NULL, NULL,
                                    list_async_cb, &r);
  g_main_loop_run (r.loop);
  g_assert_no_error (r.error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (r.page), ==, 3);
  g_assert_null (vi_annotation_page_get_next_page (r.page));

  vi_client_get_annotation_async (f->client, "ds", "img",
                                  vi_annotation_get_annotation_id (
                                      vi_annotation_page_get_item (r.page, 1)),
                                  NULL, get_async_cb, &r);
  g_main_loop_run (r.loop);
  g_assert_no_error (r.error);
  g_assert_cmpstr (vi_annotation_get_annotation_id (r.annotation), ==,
                   vi_annotation_get_annotation_id (
                       vi_annotation_page_get_item (r.page, 1)));

  /* Bad arguments fail through the callback, with no request. */
  vi_annotation_page_unref (r.page);
  vi_local_server_reset_counters (f->server);
  vi_client_list_annotations_async (f->client, "bad id!", "img", 0, NULL, NULL,
                                    list_async_cb, &r);
  g_main_loop_run (r.loop);
  g_assert_error (r.error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);

  g_assert_null (r.page);
  g_clear_error (&r.error);
  vi_annotation_unref (r.annotation);
  g_main_loop_unref (r.loop);
}

static void
test_auth (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) wrong_key = NULL;
  g_autoptr (ViClient) wrong_org = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autofree char *other_key = g_strnfill (103, 'k');

  vi_test_server_add_caption (f, "ds", "a", "hello");
  memcpy (other_key, "dtvi_", 5);

  wrong_key = vi_test_server_new_client (f, other_key, ORG);
  vi_local_server_reset_counters (f->server);
  page = vi_client_list_annotations (wrong_key, "ds", "a", 0, NULL, NULL,
                                     &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_AUTHENTICATION);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 401);
  g_assert_nonnull (strstr (error->message, "DATATURE_VI_SECRET_KEY"));
  /* The key never appears in a message. */
  g_assert_null (strstr (error->message, other_key));
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 1);
  g_clear_error (&error);

  wrong_org = vi_test_server_new_client (f, KEY, "someone-else");
  page = vi_client_list_annotations (wrong_org, "ds", "a", 0, NULL, NULL,
                                     &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_PERMISSION);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 403);
  g_assert_nonnull (strstr (error->message, "DATATURE_VI_ORGANIZATION_ID"));
}

static void
add_fault (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vi_local_server_add_fault_json (f->server, json, &error));
  g_assert_no_error (error);
}

static ViAnnotationPage *
list_once (Fixture *f, GError **error)
{
  return vi_client_list_annotations (f->client, "ds", "a", 0, NULL, NULL,
                                     error);
}

static void
test_retry_rate_limited (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  gint64 start;

  vi_test_server_add_caption (f, "ds", "a", "hello");
  add_fault (f,
             "{\"action\": \"status\", \"status\": 429, \"retryAfter\": "
             "\"1\", \"times\": 1}");
  /* With a base delay of 0.01 s, only Retry-After explains a 1 s wait. */
  start = g_get_monotonic_time ();
  page = list_once (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 2);
  g_clear_pointer (&page, vi_annotation_page_unref);

  /* Out of 429 retries: rate limited after 1 + 2 attempts. */
  g_object_set (f->client, "max-rate-limit-retries", 2, NULL);
  vi_local_server_reset_counters (f->server);
  add_fault (f, "{\"action\": \"status\", \"status\": 429, \"times\": -1}");
  page = list_once (f, &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_RATE_LIMITED);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 429);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 3);
}

/* Error bodies nested 100,000 deep, as any server or anyone on a
 * plain-http path can send: each status ends in its clean error, and the
 * message is an excerpt of the raw body. */
static void
test_deep_error_bodies (Fixture *f, gconstpointer data)
{
  struct {
    guint status;
    int   code;
    guint attempts;
  } cases[] = {
    { 404, VI_ERROR_NOT_FOUND, 1 },
    { 500, VI_ERROR_SERVER, 2 },
    { 429, VI_ERROR_RATE_LIMITED, 2 },
  };

  vi_test_server_add_caption (f, "ds", "a", "hello");
  g_object_set (f->client, "max-retries", 1, "max-rate-limit-retries", 1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationPage) page = NULL;
    g_autoptr (ViAnnotation) got = NULL;
    g_autofree char *rule =
        g_strdup_printf ("{\"action\": \"status\", "
                         "\"status\": %u, \"bodyNesting\": 100000, \"times\": -1}",
                         cases[i].status);
    const char *message;

    vi_local_server_clear_faults (f->server);
    vi_local_server_reset_counters (f->server);
    add_fault (f, rule);

    /* A list reads the body raw, a get as a JSON tree: both paths. */
    page = list_once (f, &error);
    g_assert_null (page);
    g_assert_error (error, VI_ERROR, cases[i].code);
    g_assert_cmpuint (vi_error_get_http_status (error), ==, cases[i].status);
    message = vi_error_get_server_message (error);
    g_assert_nonnull (message);
    g_assert_true (g_str_has_prefix (message, "HTTP "));
    g_assert_nonnull (strstr (message, "{\"error\":\"X\",\"message\":[[["));
    g_assert_cmpuint (strlen (message), <, 300);
    g_clear_error (&error);

    got = vi_client_get_annotation (f->client, "ds", "a", "x", NULL, &error);
    g_assert_null (got);
    g_assert_error (error, VI_ERROR, cases[i].code);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, 2 * cases[i].attempts);
  }
}

static void
test_retry_server_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;

  vi_test_server_add_caption (f, "ds", "a", "hello");

  /* A burst of three 503s is within the 3 retries. */
  add_fault (f, "{\"action\": \"status\", \"status\": 503, \"times\": 3}");
  page = list_once (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 1);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 4);
  g_clear_pointer (&page, vi_annotation_page_unref);

  /* Four consecutive 500s: server error after exactly 4 attempts. */
  vi_local_server_reset_counters (f->server);
  add_fault (f, "{\"action\": \"status\", \"status\": 500, \"times\": 4}");
  page = list_once (f, &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_SERVER);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 500);
  g_assert_nonnull (strstr (error->message, "4 attempts"));
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 4);
  g_clear_error (&error);
  vi_local_server_clear_faults (f->server);

  /* 400 and 404 are never retried. */
  for (guint status = 400; status <= 404; status += 4) {
    int              expected;
    g_autofree char *rule = g_strdup_printf ("{\"action\": \"status\", "
                                             "\"status\": %u, \"times\": 5}",
                                             status);

    vi_local_server_reset_counters (f->server);
    add_fault (f, rule);
    page = list_once (f, &error);
    g_assert_null (page);
    expected = status == 400 ? VI_ERROR_INVALID_ARGUMENT : VI_ERROR_NOT_FOUND;
    g_assert_error (error, VI_ERROR, expected);
    g_assert_cmpuint (vi_error_get_http_status (error), ==, status);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, 1);
    g_clear_error (&error);
    vi_local_server_clear_faults (f->server);
  }
}

static void
test_retry_transport (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;

  vi_test_server_add_caption (f, "ds", "a", "hello");

  /* A dropped connection and a truncated body are retried. */
  add_fault (f,
             "[{\"action\": \"drop\", \"times\": 1}, "
             "{\"action\": \"truncate\", \"times\": 1}]");
  page = list_once (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 1);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 3);
  g_clear_pointer (&page, vi_annotation_page_unref);

  /* Dropped every time: a network error after 4 attempts of ours.  The
   * server may see one more request: libsoup itself re-sends, once, a
   * request whose connection closed before any answer when it believes the
   * connection was a stale keep-alive one. */
  vi_local_server_reset_counters (f->server);
  add_fault (f, "{\"action\": \"drop\", \"times\": -1}");
  page = list_once (f, &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "after 4 attempts"));
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    >=, 4);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    <=, 5);
  g_clear_error (&error);
  vi_local_server_clear_faults (f->server);

  /* A malformed 200 body is an invalid response, not retried. */
  vi_local_server_reset_counters (f->server);
  add_fault (f, "{\"action\": \"malformed\", \"times\": 1}");
  page = list_once (f, &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 1);
}

static void
test_cancel_during_backoff (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GThread *thread;
  gint64   start;

  vi_test_server_add_caption (f, "ds", "a", "hello");
  /* The server asks for a 30 s pause; the caller cancels once the server
   * has the request, so in the pause (or as its answer comes in).  The
   * bound below is far from the pause, not a measure of the cancel. */
  add_fault (f,
             "{\"action\": \"status\", \"status\": 429, \"retryAfter\": "
             "\"30\", \"times\": -1}");

  start = g_get_monotonic_time ();
  thread = vi_test_server_cancel_on_request (f->server, cancellable, "GET",
                                             NULL, 1);
  page = vi_client_list_annotations (f->client, "ds", "a", 0, NULL, cancellable,
                                     &error);
  g_thread_join (thread);
  g_assert_null (page);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 1);
  g_clear_error (&error);

  /* The same through the async API, cancelled from the main loop. */
  {
    AsyncResult r = { 0 };
    g_autoptr (GCancellable) c2 = g_cancellable_new ();

    r.loop = g_main_loop_new (NULL, FALSE);
    thread = vi_test_server_cancel_on_request_in (f->server, c2,
                                                  g_main_context_default (),
                                                  "GET", NULL, 2);
    vi_client_list_annotations_async (f->client, "ds", "a", 0, NULL, c2,
                                      list_async_cb, &r);
    g_main_loop_run (r.loop);
    g_thread_join (thread);
    g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, 2);
    g_clear_error (&r.error);
    g_main_loop_unref (r.loop);
  }
}

/* A cancellation from another thread may land at any moment of a request,
 * including just as the response comes in (where libsoup 3.2 crashes if
 * left to itself): the call ends with the page or with
 * G_IO_ERROR_CANCELLED, and nothing breaks.  The moments are spread over
 * twice the time of one request. */
static void
test_cancel_from_another_thread (Fixture *f, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  gint64 start, span;
  guint  done = 0, cancelled = 0;

  for (guint i = 0; i < 20; i++)
    vi_test_server_add_caption (f, "ds", "a",
                                "a caption long enough to take a few reads");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 10; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationPage)
        page = vi_client_list_annotations (f->client, "ds", "a", 100, NULL,
                                           NULL, &error);

    g_assert_no_error (error);
  }
  span = MAX ((g_get_monotonic_time () - start) / 10 * 2, 200);

  for (guint i = 0; i < 400; i++) {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationPage) page = NULL;
    GThread *thread =
        cancel_later (cancellable,
                      (gulong) g_rand_int_range (rand, 0, (gint32) span));

    page = vi_client_list_annotations (f->client, "ds", "a", 100, NULL,
                                       cancellable, &error);
    g_thread_join (thread);
    if (page != NULL) {
      g_assert_no_error (error);
      g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 20);
      done++;
    } else {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      cancelled++;
    }
  }
  g_test_message ("request %" G_GINT64_FORMAT " us: %u pages, %u cancelled",
                  span / 2, done, cancelled);
  g_assert_cmpuint (cancelled, >, 0);
}

static void
test_asset_ids (Fixture *f, gconstpointer data)
{
  const char *assets[] = {
    "a/b",   "...",        ".a",        "my asset", "café",
    "a%2Fb", "q?x=1#frag", "plus+sign", "a",        "b",
  };

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++) {
    g_autofree char *caption = g_strdup_printf ("caption of [%s]", assets[i]);
    vi_test_server_add_caption (f, "ids", assets[i], caption);
  }

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) items = NULL;
    g_autoptr (ViAnnotation) got = NULL;
    g_autoptr (ViDeletedResource) deleted = NULL;
    g_autofree char *caption = g_strdup_printf ("caption of [%s]", assets[i]);
    ViAnnotation    *a;

    items = vi_client_list_all_annotations (f->client, "ids", assets[i], 0,
                                            NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (items->len, ==, 1);
    a = items->pdata[0];
    g_assert_cmpstr (vi_annotation_get_asset_id (a), ==, assets[i]);
    g_assert_cmpstr (vi_annotation_content_get_caption (
                         vi_annotation_spec_get_contents (
                             vi_annotation_get_spec (a))),
                     ==, caption);

    got = vi_client_get_annotation (f->client, "ids", assets[i],
                                    vi_annotation_get_annotation_id (a), NULL,
                                    &error);
    g_assert_no_error (error);
    g_assert_cmpstr (vi_annotation_get_asset_id (got), ==, assets[i]);

    deleted = vi_client_delete_annotation (f->client, "ids", assets[i],
                                           vi_annotation_get_annotation_id (a),
                                           NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ids",
                                                         assets[i]),
                      ==, 0);
    /* Nothing else was touched. */
    g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ids",
                                                         NULL),
                      ==, G_N_ELEMENTS (assets) - i - 1);
  }
}

/* Ids that would leave their path segment, or carry control characters,
 * are refused before any request, with a message naming them (escaped). */
static void
test_refused_ids (Fixture *f, gconstpointer data)
{
  struct {
    const char *asset;
    const char *shown;
  } cases[] = {
    { "..", "\"..\"" },
    { ".", "\".\"" },
    { "a\nb", "a\\u000Ab" },
    { "\x1b[2Jx", "\\u001B[2Jx" },
    { "tab\there", "tab\\u0009here" },
    { "del\x7f", "del\\u007F" },
    { "c1\xc2\x9b", "c1\\u009B" },
  };

  vi_test_server_add_caption (f, "ds", "abc", "hello");
  vi_local_server_reset_counters (f->server);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationPage) page = NULL;
    g_autoptr (ViAnnotation) got = NULL;
    g_autoptr (ViDeletedResource) deleted = NULL;

    page = vi_client_list_annotations (f->client, "ds", cases[i].asset, 0, NULL,
                                       NULL, &error);
    g_assert_null (page);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "asset id"));
    g_assert_nonnull (strstr (error->message, cases[i].shown));
    g_assert_null (strpbrk (error->message, "\n\x1b\t\x7f"));
    g_clear_error (&error);

    /* "delete ds .. abc" once sent .../annotations/abc. */
    deleted = vi_client_delete_annotation (f->client, "ds", cases[i].asset,
                                           "abc", NULL, &error);
    g_assert_null (deleted);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, cases[i].shown));
    g_clear_error (&error);

    got = vi_client_get_annotation (f->client, "ds", cases[i].asset, "abc",
                                    NULL, &error);
    g_assert_null (got);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  }

  /* Annotation ids have the id alphabet; the message escapes them too. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViDeletedResource) deleted = NULL;

    deleted = vi_client_delete_annotation (f->client, "ds", "abc", "..", NULL,
                                           &error);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "annotation id \"..\""));
    g_clear_error (&error);
    deleted = vi_client_delete_annotation (f->client, "ds", "abc",
                                           "x\r\nHost: evil", NULL, &error);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "x\\u000D\\u000AHost: evil"));
  }

  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", NULL),
                    ==, 1);
}

static void
test_validation (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *long_id = g_strnfill (256, 'x');
  const char      *bad_ids[] = { "", "a b", "../x", "a/b", "café", long_id };
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (ViAnnotation) got = NULL;

  vi_local_server_reset_counters (f->server);
  for (guint i = 0; i < G_N_ELEMENTS (bad_ids); i++) {
    page = vi_client_list_annotations (f->client, bad_ids[i], "a", 0, NULL,
                                       NULL, &error);
    g_assert_null (page);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "dataset id"));
    g_clear_error (&error);

    got = vi_client_get_annotation (f->client, "ds", "a", bad_ids[i], NULL,
                                    &error);
    g_assert_null (got);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "annotation id"));
    g_clear_error (&error);
  }
  page = vi_client_list_annotations (f->client, "ds", "a", 1001, NULL, NULL,
                                     &error);
  g_assert_null (page);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  page = vi_client_list_annotations (f->client, "ds", "", 10, NULL, NULL,
                                     &error);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);
}

/* ------------------------------------------------------------------------
 * Transport: plain http only to loopback, TLS failures are final
 * ------------------------------------------------------------------------ */

static ViClient *
new_client_with (GError **error, const char *first_property, ...)
{
  g_autoptr (GObject) object = NULL;
  va_list args;

  va_start (args, first_property);
  object = g_object_new_valist (VI_TYPE_CLIENT, first_property, args);
  va_end (args);
  g_object_set (object, "retry-base-delay", 0.01, NULL);
  if (!g_initable_init (G_INITABLE (object), NULL, error))
    return NULL;
  return VI_CLIENT (g_steal_pointer (&object));
}

/* http to a host that is not loopback sends the key in clear text: refused
 * when the client is made (no connection is ever tried), unless the
 * caller opts in. */
static void
test_insecure_refused (Fixture *f, gconstpointer data)
{
  const char *refused[] = {
    "http://192.0.2.1:8080",
    "http://[2001:db8::1]",
    "http://api.example.com",
    "HTTP://10.0.0.1",
  };
  const char *accepted[] = {
    "http://127.0.0.1:1", "http://127.0.0.2",  "http://[::1]:1",
    "http://localhost:1", "https://192.0.2.1", "https://api.example.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViClient)
        client = vi_client_new (refused[i], KEY, ORG, NULL, &error);

    g_assert_null (client);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "clear text"));
    g_assert_nonnull (strstr (error->message, "allow-insecure"));
    g_assert_null (strstr (error->message, KEY));
  }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViClient)
        client = vi_client_new (accepted[i], KEY, ORG, NULL, &error);

    g_assert_no_error (error);
  }
}

/* Opted in, the request is made.  192.0.2.1 is never connected to: the
 * session's proxy is the local server, which answers the absolute-form
 * request like any other. */
static void
test_insecure_allowed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  g_autoptr (GProxyResolver) proxy = NULL;
  g_autoptr (GPtrArray) items = NULL;

  vi_test_server_add_caption (f, "ds", "a", "through the proxy");
  client = new_client_with (&error, "endpoint", "http://192.0.2.1:8080",
                            "secret-key", KEY, "organization-id", ORG,
                            "allow-insecure", TRUE, NULL);
  g_assert_no_error (error);
  proxy = g_simple_proxy_resolver_new (f->url, NULL);
  g_object_set (_vi_client_get_session (client), "proxy-resolver", proxy, NULL);

  items = vi_client_list_all_annotations (client, "ds", "a", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 1);
}

/* A TLS front for the local server: vi-local-server speaks plain HTTP, so
 * this terminates TLS on another loopback port, with the self-signed
 * certificate of tests/lib/tls/, and splices each connection to the
 * server.  It counts connections, that is handshakes tried.  The
 * certificate (valid 100 years, for 127.0.0.1 and localhost) was made with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
 *     -nodes -keyout test-key.pem -out test-cert.pem -days 36500
 *     -subj "/CN=viannot test server"
 *     -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
 *     -addext "basicConstraints=critical,CA:TRUE"
 *     -addext "keyUsage=critical,digitalSignature,keyCertSign" */
typedef struct {
  GThread         *thread; /* accepts */
  GSocketListener *listener;
  GCancellable    *stop;
  GTlsCertificate *certificate;
  guint16          backend_port;
  guint16          port;
  int              connections;
  GPtrArray       *handlers; /* GThread, one per connection */
} TlsFront;

static void
splice_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;

  g_io_stream_splice_finish (result, NULL);
  *done = TRUE;
}

typedef struct {
  TlsFront          *front;
  GSocketConnection *connection;
} TlsFrontConnection;

/* One connection, in a thread of its own: the handshake, then the bytes
 * both ways until either side closes. */
static gpointer
tls_front_serve (gpointer data)
{
  TlsFrontConnection *c = data;
  TlsFront           *front = c->front;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GSocketConnection) connection = c->connection;
  g_autoptr (GIOStream) tls = NULL;
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketConnection) backend = NULL;
  gboolean done = FALSE;

  g_free (c);
  g_main_context_push_thread_default (context);
  tls = g_tls_server_connection_new (G_IO_STREAM (connection),
                                     front->certificate, NULL);
  if (tls != NULL &&
      g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL)) {
    client = g_socket_client_new ();
    backend = g_socket_client_connect_to_host (client, "127.0.0.1",
                                               front->backend_port, NULL, NULL);
  }
  if (backend != NULL) {
    /* Either side closing ends the splice and closes both. */
    g_io_stream_splice_async (tls, G_IO_STREAM (backend),
                              G_IO_STREAM_SPLICE_CLOSE_STREAM1 |
                                  G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                              G_PRIORITY_DEFAULT, NULL, splice_done_cb, &done);
    while (!done)
      g_main_context_iteration (context, TRUE);
  }
  if (tls != NULL)
    g_io_stream_close (tls, NULL, NULL);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static gpointer
tls_front_accept (gpointer data)
{
  TlsFront *front = data;

  while (TRUE) {
    GSocketConnection  *connection;
    TlsFrontConnection *c;

    connection = g_socket_listener_accept (front->listener, NULL, front->stop,
                                           NULL);
    if (connection == NULL)
      break;
    g_atomic_int_inc (&front->connections);
    c = g_new (TlsFrontConnection, 1);
    c->front = front;
    c->connection = connection;
    g_ptr_array_add (front->handlers,
                     g_thread_new ("tls-front", tls_front_serve, c));
  }
  return NULL;
}

static TlsFront *
tls_front_new (Fixture *f)
{
  TlsFront        *front = g_new0 (TlsFront, 1);
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "lib", "tls",
                                                 "test-cert.pem", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "lib", "tls",
                                                "test-key.pem", NULL);
  g_autoptr (GInetAddress)
      loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  front->backend_port = vi_local_server_get_port (f->server);
  front->certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  front->listener = g_socket_listener_new ();
  g_socket_listener_add_address (front->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  front->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  front->stop = g_cancellable_new ();
  front->handlers = g_ptr_array_new ();
  front->thread = g_thread_new ("tls-front-accept", tls_front_accept, front);
  return front;
}

/* Call once the clients are gone: their connections are closed, so every
 * splice ends and every thread is joined. */
static void
tls_front_free (TlsFront *front)
{
  g_cancellable_cancel (front->stop);
  g_thread_join (front->thread);
  for (guint i = 0; i < front->handlers->len; i++)
    g_thread_join (front->handlers->pdata[i]);
  g_ptr_array_unref (front->handlers);
  g_socket_listener_close (front->listener);
  g_object_unref (front->listener);
  g_object_unref (front->stop);
  g_object_unref (front->certificate);
  g_free (front);
}

static void
test_tls (Fixture *f, gconstpointer data)
{
  TlsFront        *front = NULL;
  g_autofree char *url = NULL;
  g_autofree char *ca = g_test_build_filename (G_TEST_DIST, "lib", "tls",
                                               "test-cert.pem", NULL);

  vi_test_server_add_caption (f, "ds", "a", "over TLS");
  front = tls_front_new (f);
  url = g_strdup_printf ("https://127.0.0.1:%u", front->port);

  /* The system does not know the authority: one attempt, not four, and
   * the message says what is wrong and how to fix it. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViClient) client = new_client (url, KEY, ORG);
    g_autoptr (ViAnnotationPage) page = NULL;

    page = vi_client_list_annotations (client, "ds", "a", 0, NULL, NULL,
                                       &error);
    g_assert_null (page);
    g_assert_error (error, VI_ERROR, VI_ERROR_NETWORK);
    g_assert_nonnull (strstr (error->message,
                              "not signed by a known "
                              "certificate authority"));
    g_assert_nonnull (strstr (error->message, "tls-ca-file"));
    g_assert_cmpint (g_atomic_int_get (&front->connections), ==, 1);
  }

  /* With the CA file, the same request goes through. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViClient) client = NULL;
    g_autoptr (GPtrArray) items = NULL;

    client = new_client_with (&error, "endpoint", url, "secret-key", KEY,
                              "organization-id", ORG, "tls-ca-file", ca, NULL);
    g_assert_no_error (error);
    items = vi_client_list_all_annotations (client, "ds", "a", 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (items->len, ==, 1);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, 1);
  }

  /* A CA file that is not one fails the construction, naming it. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViClient) client = NULL;
    g_autofree char *missing = g_build_filename (g_get_tmp_dir (),
                                                 "vi-no-such-ca.pem", NULL);

    client = new_client_with (&error, "endpoint", url, "secret-key", KEY,
                              "organization-id", ORG, "tls-ca-file", missing,
                              NULL);
    g_assert_null (client);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, missing));
  }

  tls_front_free (front);
}

/* ------------------------------------------------------------------------
 * Helpers without a server
 * ------------------------------------------------------------------------ */

static void
test_escape (void)
{
  struct {
    const char *in, *segment, *query;
  } cases[] = {
    { "abc-_.~09", "abc-_.~09", "abc-_.~09" },
    { "a/b", "a%2Fb", "a%2Fb" },
    { "..", "%2E%2E", ".." },
    { ".", "%2E", "." },
    { "my asset", "my%20asset", "my+asset" },
    { "a+b=c", "a%2Bb%3Dc", "a%2Bb%3Dc" },
    { "café", "caf%C3%A9", "caf%C3%A9" },
    { "50%", "50%25", "50%25" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *s = vi_escape_path_segment (cases[i].in);
    g_autofree char *q = _vi_http_escape_query (cases[i].in);

    g_assert_cmpstr (s, ==, cases[i].segment);
    g_assert_cmpstr (q, ==, cases[i].query);
  }
}

static void
test_retry_after (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_utc (2026, 11, 28, 12, 0, 0);
  double s = -1;

  g_assert_true (_vi_http_parse_retry_after ("7", now, &s));
  g_assert_cmpfloat (s, ==, 7);
  g_assert_true (_vi_http_parse_retry_after (" 1.5 ", now, &s));
  g_assert_cmpfloat (s, ==, 1.5);
  g_assert_true (
      _vi_http_parse_retry_after ("Sat, 28 Nov 2026 12:00:30 GMT", now, &s));
  g_assert_cmpfloat_with_epsilon (s, 30, 1e-6);
  /* A date in the past means no wait. */
  g_assert_true (
      _vi_http_parse_retry_after ("Sat, 28 Nov 2026 11:00:00 GMT", now, &s));
  g_assert_cmpfloat (s, ==, 0);
  g_assert_false (_vi_http_parse_retry_after ("", now, &s));
  g_assert_false (_vi_http_parse_retry_after ("-3", now, &s));
  g_assert_false (_vi_http_parse_retry_after ("soon", now, &s));
  g_assert_false (_vi_http_parse_retry_after (NULL, now, &s));
}

static void
test_backoff (void)
{
  ViRetryPolicy policy = { 3, 20, 1.0, 60.0 };

  for (guint attempt = 1; attempt <= 10; attempt++) {
    double ceiling = MIN (60.0, 1.0 * (1u << (attempt - 1)));

    for (guint i = 0; i < 200; i++) {
      double d = _vi_http_backoff_delay (&policy, attempt);
      g_assert_cmpfloat (d, >=, 0);
      g_assert_cmpfloat (d, <=, ceiling);
    }
  }
}

int
main (int argc, char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("DATATURE_VI_SECRET_KEY");
  g_unsetenv ("DATATURE_VI_ORGANIZATION_ID");
  g_unsetenv ("DATATURE_VI_API_ENDPOINT");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/new/credentials", test_new_credentials);
  g_test_add_func ("/client/new/deep-config", test_new_deep_config);
  g_test_add_func ("/client/new/organization-id", test_new_organization_id);
  g_test_add_func ("/client/http/escape", test_escape);
  g_test_add_func ("/client/http/retry-after", test_retry_after);
  g_test_add_func ("/client/http/backoff", test_backoff);
  g_test_add_func ("/client/pagination/guess-next-token",
                   test_guess_next_token);
  g_test_add_func ("/client/pagination/onward-unknown-list",
                   test_page_onward_unknown_list);

#define ADD(path, func)                                        \
  g_test_add (path, Fixture, NULL, vi_test_server_setup, func, \
              vi_test_server_teardown)
  ADD ("/client/list-get-delete", test_list_get_delete);
  ADD ("/client/pagination/2500", test_pagination);
  ADD ("/client/pagination/pager", test_pager);
  ADD ("/client/pagination/cancel-prefetch", test_pager_cancel_prefetch);
  ADD ("/client/pagination/one-page-one-get", test_one_page_one_get);
  ADD ("/client/pagination/onward", test_page_onward);
  ADD ("/client/async", test_async);
  ADD ("/client/auth", test_auth);
  ADD ("/client/retry/rate-limited", test_retry_rate_limited);
  ADD ("/client/retry/server-errors", test_retry_server_errors);
  ADD ("/client/deep-error-bodies", test_deep_error_bodies);
  ADD ("/client/retry/transport", test_retry_transport);
  ADD ("/client/retry/cancel-during-backoff", test_cancel_during_backoff);
  ADD ("/client/cancel-from-another-thread", test_cancel_from_another_thread);
  ADD ("/client/asset-ids", test_asset_ids);
  ADD ("/client/validation", test_validation);
  ADD ("/client/refused-ids", test_refused_ids);
  ADD ("/client/transport/insecure-refused", test_insecure_refused);
  ADD ("/client/transport/insecure-allowed", test_insecure_allowed);
  ADD ("/client/transport/tls", test_tls);
#undef ADD

  return g_test_run ();
}
