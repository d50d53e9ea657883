/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One schema: the wire shape of an annotation is written down once, in
 * the fixtures of tests/lib/schema/ (one file per kind of part the local
 * server serves), and every reader and writer of it is held to them:
 *
 * - the tree reader and writer (vi_annotation_new_from_json(),
 *   vi_annotation_to_json()): a fixture read and written again is the
 *   fixture, member for member;
 * - the byte reader (_vi_annotation_page_new_from_bytes()) gives what the
 *   tree reader gives, for a fixture as written (white space, members in
 *   another order: its general path) and for the server's compact form
 *   (its fast path, which must not give up on it);
 * - the server's writer (vi_store_annotation_to_json(), reached through a
 *   list request) serves each fixture, member for member, once the values
 *   the server assigns (ids, times, etag) are set aside;
 * - the JSONL line those parts are imported from (schema/line.jsonl) is
 *   what the JSONL writer (vi_jsonl_record_to_line()) writes, byte for
 *   byte; its fast line reader (_vi_jsonl_parse_written_line()) takes it
 *   and gives the record the general line parser gives; and that line is
 *   what the server is seeded with, so it ties the JSONL form to the
 *   fixtures of the parts.
 *
 * A member added to one of them and not to the fixtures and the others
 * fails here; see docs/decisions.md, "One schema".
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-json-private.h"
#include "vi-jsonl-private.h"
#include "vi-model-private.h"
#include "vi-test-records.h"
#include "vi-test-server.h"

#define DATASET "ds"
#define ASSET "asset-1"
#define CAPTION "A red car parked by a tree"

static const char *const fixture_names[] = { "caption", "box", "vqa" };

static JsonNode *
load_fixture (const char *name, char **text)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "lib", "schema",
                                                 file, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, contents, -1, &error));
  g_assert_no_error (error);
  if (text != NULL)
    *text = contents;
  else
    g_free (contents);
  return json_parser_steal_root (parser);
}

static void
assert_same_json (JsonNode *actual, JsonNode *expected, const char *what)
{
  if (!json_node_equal (actual, expected)) {
    g_autofree char *a = json_to_string (actual, TRUE);
    g_autofree char *e = json_to_string (expected, TRUE);

    g_error ("%s differs from the fixture:\n%s\nexpected:\n%s", what, a, e);
  }
}

/* The tree reader keeps every member of the fixture, the tree writer
 * writes every member it keeps, and nothing else. */
static void
test_tree_round_trip (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixture_names); i++) {
    g_autoptr (JsonNode) fixture = load_fixture (fixture_names[i], NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotation) annotation = NULL;
    g_autoptr (JsonNode) written = NULL;

    annotation = vi_annotation_new_from_json (fixture, &error);
    g_assert_no_error (error);
    g_assert_nonnull (annotation);
    written = vi_annotation_to_json (annotation);
    assert_same_json (written, fixture, fixture_names[i]);
  }
}

/* A page of one item, read by the byte reader, written by the tree
 * writer. */
static JsonNode *
read_page_item (const char *item_json, guint *fast_path_misses)
{
  g_autofree char *page_json = g_strconcat ("{\"items\": [", item_json, "]}",
                                            NULL);
  g_autoptr (GBytes) bytes = g_bytes_new (page_json, strlen (page_json));
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  guint misses = _vi_page_reader_get_fast_path_misses ();

  page = _vi_annotation_page_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 1);
  *fast_path_misses = _vi_page_reader_get_fast_path_misses () - misses;
  return vi_annotation_to_json (vi_annotation_page_get_item (page, 0));
}

/* The fixtures as written: not the server's order, so the general path. */
static void
test_byte_reader (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixture_names); i++) {
    g_autofree char *text = NULL;
    g_autoptr (JsonNode) fixture = load_fixture (fixture_names[i], &text);
    g_autoptr (JsonNode) read = NULL;
    guint misses;

    read = read_page_item (text, &misses);
    g_assert_cmpuint (misses, ==, 1);
    assert_same_json (read, fixture, fixture_names[i]);
  }
}

/* The fixture line of the JSONL form, without its newline. */
static char *
load_line_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "lib", "schema",
                                                 "line.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (length > 0 && contents[length - 1] == '\n');
  contents[length - 1] = '\0';
  g_assert_null (strchr (contents, '\n'));
  return contents;
}

/* The records of one line, member for member, and as written. */
static void
assert_same_record (const ViJsonlRecord *actual, const ViJsonlRecord *expected)
{
  g_autofree char *actual_line = vi_jsonl_record_to_line (actual);
  g_autofree char *expected_line = vi_jsonl_record_to_line (expected);

  vi_test_assert_records_equal (actual, expected);
  g_assert_cmpstr (vi_jsonl_record_get_id (actual), ==,
                   vi_jsonl_record_get_id (expected));
  g_assert_cmpstr (actual_line, ==, expected_line);
}

/* The fixture line is the writer's layout, which the fast line reader
 * exists for: it takes it, and gives what the general parser gives for
 * the same line laid out otherwise (which the fast reader leaves alone);
 * both records are written back as the fixture. */
static void
test_jsonl_line (void)
{
  g_autofree char *line = load_line_fixture ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlRecord) fast = NULL;
  g_autoptr (ViJsonlRecord) general = NULL;
  g_autofree char *pretty = NULL;
  g_autofree char *fast_line = NULL;
  g_autofree char *general_line = NULL;

  fast = _vi_jsonl_parse_written_line (line, strlen (line));
  g_assert_nonnull (fast);

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_set_pretty (generator, TRUE);
  pretty = json_generator_to_data (generator, NULL);
  g_assert_null (_vi_jsonl_parse_written_line (pretty, strlen (pretty)));
  general = vi_jsonl_parse_line (pretty, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (general);

  assert_same_record (fast, general);
  fast_line = vi_jsonl_record_to_line (fast);
  g_assert_cmpstr (fast_line, ==, line);
  general_line = vi_jsonl_record_to_line (general);
  g_assert_cmpstr (general_line, ==, line);
}

/* The fixture line, which makes one part of each fixture: the caption,
 * one phrase grounded in a box, one question. */
static void
seed_server (ViTestServer *fixture)
{
  g_autofree char *line = load_line_fixture ();
  g_autoptr (ViJsonlRecord) record = NULL;
  g_autoptr (GError) error = NULL;

  record = vi_jsonl_parse_line (line, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_jsonl_record_get_asset_id (record), ==, ASSET);
  g_assert_cmpstr (vi_jsonl_record_get_caption (record), ==, CAPTION);
  g_assert_true (
      vi_local_server_add_record (fixture->server, DATASET, record, &error));
  g_assert_no_error (error);
}

static GBytes *
get_list_body (ViTestServer *fixture)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url =
      g_strconcat (fixture->url, "/workspaces/",
                   VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID, "/datasets/",
                   VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID,
                   "_" DATASET "/assets/" ASSET "/annotations", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  GBytes *body;

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization",
                                "Bearer " VI_LOCAL_SERVER_DEFAULT_SECRET_KEY);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Organization-Id",
                                VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  return body;
}

/* Sets the member of obj at name to the fixture's, after checking that
 * the server gave one of the same type. */
static void
take_assigned (JsonObject *served, JsonObject *expected, const char *name)
{
  JsonNode *node = json_object_get_member (served, name);
  JsonNode *want = json_object_get_member (expected, name);

  g_assert_nonnull (node);
  g_assert_nonnull (want);
  g_assert_cmpint (json_node_get_value_type (node), ==,
                   json_node_get_value_type (want));
  json_object_set_member (served, name, json_node_copy (want));
}

static const char *
part_role (JsonObject *item)
{
  JsonObject *spec = json_object_get_object_member (item, "spec");
  JsonObject *aggregation = json_object_get_object_member (spec, "aggregation");

  return json_object_get_string_member (
      json_object_get_object_member (aggregation, "thisPart"), "role");
}

static const char *
fixture_for_role (const char *role)
{
  if (g_str_equal (role, "Caption"))
    return "caption";
  if (g_str_equal (role, "PhraseGroundingBoundingBox"))
    return "box";
  if (g_str_equal (role, "Vqa"))
    return "vqa";
  g_error ("the server serves a part of role %s, which has no fixture", role);
  return NULL;
}

/* What the server writes is each fixture; the byte reader takes it by
 * its fast path and gives what the tree reader gives. */
static void
test_server_writer (ViTestServer *fixture, gconstpointer data)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *items;
  guint      i;

  seed_server (fixture);
  body = get_list_body (fixture);
  g_assert_true (json_parser_load_from_data (parser,
                                             g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), &error));
  g_assert_no_error (error);
  items = json_object_get_array_member (json_node_get_object (
                                            json_parser_get_root (parser)),
                                        "items");
  g_assert_cmpuint (json_array_get_length (items), ==,
                    G_N_ELEMENTS (fixture_names));

  for (i = 0; i < json_array_get_length (items); i++) {
    JsonNode   *node = json_array_get_element (items, i);
    JsonObject *item = json_node_get_object (node);
    const char *name = fixture_for_role (part_role (item));
    g_autoptr (JsonNode) expected = load_fixture (name, NULL);
    g_autoptr (JsonGenerator) generator = json_generator_new ();
    g_autofree char *compact = NULL;
    g_autoptr (JsonNode) read = NULL;
    g_autoptr (JsonNode) tree_read = NULL;
    g_autoptr (ViAnnotation) tree_annotation = NULL;
    JsonObject *want = json_node_get_object (expected);
    JsonObject *served_meta, *want_meta;
    JsonObject *served_whole, *want_whole;
    guint       misses;

    g_assert_false (g_hash_table_contains (seen, name));
    g_hash_table_add (seen, (gpointer) name);

    /* As served, before the assigned values are set aside: the server's
     * compact form is what the fast path exists for. */
    json_generator_set_root (generator, node);
    compact = json_generator_to_data (generator, NULL);
    read = read_page_item (compact, &misses);
    g_assert_cmpuint (misses, ==, 0);
    tree_annotation = vi_annotation_new_from_json (node, &error);
    g_assert_no_error (error);
    tree_read = vi_annotation_to_json (tree_annotation);
    assert_same_json (read, tree_read, "the fast path's item");

    take_assigned (item, want, "annotationId");
    take_assigned (item, want, "selfLink");
    take_assigned (item, want, "etag");
    served_meta = json_object_get_object_member (item, "metadata");
    want_meta = json_object_get_object_member (want, "metadata");
    take_assigned (served_meta, want_meta, "timeCreated");
    take_assigned (served_meta, want_meta, "lastUpdated");
    served_whole = json_object_get_object_member (
        json_object_get_object_member (json_object_get_object_member (item,
                                                                      "spec"),
                                       "aggregation"),
        "whole");
    want_whole = json_object_get_object_member (
        json_object_get_object_member (json_object_get_object_member (want,
                                                                      "spec"),
                                       "aggregation"),
        "whole");
    take_assigned (served_whole, want_whole, "id");
    assert_same_json (node, expected, name);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/schema/tree-round-trip", test_tree_round_trip);
  g_test_add_func ("/schema/byte-reader", test_byte_reader);
  g_test_add_func ("/schema/jsonl-line", test_jsonl_line);
  VI_TEST_SERVER_ADD ("/schema/server-writer", test_server_writer);

  return g_test_run ();
}
