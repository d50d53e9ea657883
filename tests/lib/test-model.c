/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The data model: JSON in and out for every type (round trips), the exact
 * request bodies of docs/protocol.md, strict parsing with errors that name the
 * JSON path, forward compatibility (unknown kinds, roles and enum values
 * are kept) and hostile input.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <vi/vi.h>

#include "vi-json-private.h"
#include "vi-model-private.h"

/* ------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------ */

#define ANNOTATION_BOX                                                                       \
  "{\"kind\": \"Annotation\", \"annotationId\": \"ann_789\","                                \
  " \"assetId\": \"asset_456\", \"workspaceId\": \"ORG\","                                   \
  " \"datasetId\": \"ORG_DS\","                                                              \
  " \"spec\": {\"boundType\": \"box\", \"tag\": 7,"                                          \
  "   \"aggregation\": {\"whole\": {\"id\": \"grp_1\"},"                                     \
  "                     \"thisPart\": {\"role\": \"PhraseGroundingBoundingBox\"}},"          \
  "   \"contents\": {\"kind\": \"PhraseGroundingBoundingBox\","                              \
  "     \"bound\": [[0.1, 0.2], [0.5, 0.2], [0.5, 0.7], [0.1, 0.7]],"                        \
  "     \"target\": [2, 5]}},"                                                               \
  " \"metadata\": {\"timeCreated\": 1767225600000, \"lastUpdated\": 1767225601000,"          \
  "   \"generation\": 3, \"attributes\": {\"source\": \"test\", \"b\": \"2\"}},"             \
  " \"selfLink\": \"/workspaces/ORG/datasets/ORG_DS/assets/asset_456/annotations/ann_789\"," \
  " \"etag\": \"opaque\"}"

#define ANNOTATION_CAPTION                                                                 \
  "{\"kind\": \"Annotation\", \"annotationId\": \"ann_1\","                                \
  " \"assetId\": \"asset_456\", \"workspaceId\": \"ORG\","                                 \
  " \"datasetId\": \"ORG_DS\","                                                            \
  " \"spec\": {\"boundType\": \"caption\", \"tag\": 0,"                                    \
  "   \"aggregation\": {\"whole\": {\"id\": \"grp_1\"},"                                   \
  "                     \"thisPart\": {\"role\": \"Caption\"}},"                           \
  "   \"contents\": {\"kind\": \"Caption\", \"contents\": \"A cat sitting on a couch\"}}," \
  " \"metadata\": {\"timeCreated\": 1767225600000, \"lastUpdated\": 1767225600000,"        \
  "   \"generation\": 1, \"attributes\": {}},"                                             \
  " \"selfLink\": \"/x/ann_1\", \"etag\": \"e1\"}"

#define ANNOTATION_VQA                                                                              \
  "{\"annotationId\": \"ann_q\", \"assetId\": \"asset_9\", \"workspaceId\": \"ORG\","               \
  " \"datasetId\": \"ORG_DS\","                                                                     \
  " \"spec\": {\"boundType\": \"vqa\", \"tag\": 2,"                                                 \
  "   \"aggregation\": {\"whole\": {\"id\": \"grp_q\"}, \"thisPart\": {\"role\": \"Vqa\"}},"        \
  "   \"contents\": {\"kind\": \"Vqa\", \"question\": \"What colour?\", \"answer\": \"Red\"}},"     \
  " \"metadata\": {\"timeCreated\": 1, \"lastUpdated\": 2, \"generation\": 1, \"attributes\": {}}," \
  " \"selfLink\": \"/x/ann_q\", \"etag\": \"eq\"}"

#define ANNOTATION_UNKNOWN                                                                          \
  "{\"annotationId\": \"ann_p\", \"assetId\": \"asset_9\", \"workspaceId\": \"ORG\","               \
  " \"datasetId\": \"ORG_DS\","                                                                     \
  " \"spec\": {\"boundType\": \"polygon\", \"tag\": 4,"                                             \
  "   \"aggregation\": {\"whole\": {\"id\": \"grp_p\"}, \"thisPart\": {\"role\": \"Polygon\"}},"    \
  "   \"contents\": {\"kind\": \"Polygon\", \"points\": [[0, 0], [1, 0], [1, 1]],"                  \
  "                  \"label\": {\"name\": \"roof\"}}},"                                            \
  " \"metadata\": {\"timeCreated\": 1, \"lastUpdated\": 2, \"generation\": 1, \"attributes\": {}}," \
  " \"selfLink\": \"/x/ann_p\", \"etag\": \"ep\", \"futureMember\": [1, 2, 3]}"

#define SESSION                                                                                               \
  "{\"kind\": \"AnnotationImportSession\", \"user\": \"user-1\","                                             \
  " \"workspaceId\": \"ORG\", \"datasetId\": \"ORG_DS\","                                                     \
  " \"annotationImportSessionId\": \"sess_123\","                                                             \
  " \"selfLink\": \"/workspaces/ORG/datasets/ORG_DS/annotationImportSessions/sess_123\","                     \
  " \"etag\": \"opaque\","                                                                                    \
  " \"metadata\": {\"timeCreated\": 1767225600000, \"lastUpdated\": 1767225612500,"                           \
  "   \"generation\": 1, \"attributes\": {}},"                                                                \
  " \"spec\": {\"uploadBefore\": 1767228900000,"                                                              \
  "   \"failurePolicies\": {\"onBadAnnotation\": \"Warn\", \"onBadFile\": \"RejectFile\","                    \
  "                         \"onOverwritten\": \"RejectSession\"},"                                           \
  "   \"source\": \"UploadedIndividualFiles\"},"                                                              \
  " \"status\": {"                                                                                            \
  "   \"conditions\": ["                                                                                      \
  "     {\"condition\": \"Complete\", \"status\": \"Reached\", \"lastTransitionTime\": 1767225612500},"       \
  "     {\"condition\": \"FilesInserted\", \"status\": \"Reached\", \"lastTransitionTime\": 1767225600900.5," \
  "      \"reason\": \"CancelledByUser\"}],"                                                                  \
  "   \"files\": {\"pageCount\": 2, \"totalSizeBytes\": 1048576,"                                             \
  "             \"statusCount\": {\"Processed\": 2, \"Failed\": 1}},"                                         \
  "   \"annotations\": {\"statusCount\": {\"Created\": 450, \"Failed\": 3}},"                                 \
  "   \"reason\": \"some files had bad lines\"}}"

#define EXPORT_DONE                                                                                   \
  "{\"kind\": \"DatasetExport\", \"workspaceId\": \"ORG\", \"datasetId\": \"ORG_DS\","                \
  " \"datasetExportId\": \"exp_1\","                                                                  \
  " \"spec\": {\"format\": \"ViJsonl\", \"options\": {\"normalized\": true, \"splitRatio\": 0.75},"   \
  "          \"extra\": {\"x\": 1}},"                                                                 \
  " \"status\": {\"conditions\": ["                                                                   \
  "     {\"condition\": \"Started\", \"status\": \"Reached\", \"lastTransitionTime\": 10,"            \
  "      \"reason\": \"Queued\", \"message\": \"ok\"},"                                               \
  "     {\"condition\": \"Finished\", \"status\": \"Reached\", \"lastTransitionTime\": 20}],"         \
  "   \"downloadUrl\": {\"url\": \"https://example.com/export.zip\", \"expiresAt\": 1767229200000}}," \
  " \"metadata\": {\"timeCreated\": 5, \"lastUpdated\": 20, \"generation\": 2, \"attributes\": {}},"  \
  " \"selfLink\": \"/x/exp_1\", \"etag\": \"ex\"}"

#define EXPORT_PENDING                                                                               \
  "{\"workspaceId\": \"ORG\", \"datasetId\": \"ORG_DS\", \"datasetExportId\": \"exp_2\","            \
  " \"spec\": {\"format\": \"ViFull\", \"options\": {\"normalized\": false, \"splitRatio\": null}}," \
  " \"status\": {\"conditions\": ["                                                                  \
  "     {\"condition\": \"Started\", \"status\": \"Waiting\", \"lastTransitionTime\": 10}]},"        \
  " \"metadata\": {\"timeCreated\": 5, \"lastUpdated\": 6, \"generation\": 1, \"attributes\": {}},"  \
  " \"selfLink\": \"/x/exp_2\", \"etag\": \"ey\"}"

#define SIGNED_UPLOADS                                                                \
  "{\"files\": {"                                                                     \
  "  \"z.jsonl\": {\"method\": \"PUT\", \"url\": \"https://s/z\","                    \
  "              \"headers\": {\"content-type\": \"application/octet-stream\","       \
  "                          \"x-goog-hash\": \"crc32c=XTnF0A==\"}},"                 \
  "  \"a.jsonl\": {\"method\": \"POST\", \"url\": \"https://s/a\", \"headers\": {}}," \
  "  \"m.json\": {\"method\": \"PUT\", \"url\": \"https://s/m\", \"headers\": {}}}}"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static JsonNode *
parse (const char *json)
{
  g_autoptr (GBytes) bytes = g_bytes_new (json, strlen (json));
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  node = vi_json_parse_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* A tree that can be changed (vi_json_parse_bytes() gives immutable ones). */
static JsonNode *
parse_mutable (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_parser_steal_root (parser);
}

static void
assert_json_equal (JsonNode *node, const char *expected)
{
  g_autoptr (JsonNode) want = parse (expected);

  if (!json_node_equal (node, want)) {
    g_autofree char *got = json_to_string (node, TRUE);
    g_autofree char *exp = json_to_string (want, TRUE);

    g_printerr ("got:\n%s\nexpected:\n%s\n", got, exp);
    g_assert_not_reached ();
  }
}

static void
assert_string_maps_equal (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer       key, value;

  g_assert_cmpuint (g_hash_table_size (a), ==, g_hash_table_size (b));
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_cmpstr (value, ==, g_hash_table_lookup (b, key));
}

static void
assert_count_maps_equal (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer       key, value;

  g_assert_cmpuint (g_hash_table_size (a), ==, g_hash_table_size (b));
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    const gint64 *other = g_hash_table_lookup (b, key);

    g_assert_nonnull (other);
    g_assert_cmpint (*(const gint64 *) value, ==, *other);
  }
}

static void
assert_metadata_equal (ViResourceMetadata *a, ViResourceMetadata *b)
{
  g_assert_cmpint (vi_resource_metadata_get_time_created (a), ==,
                   vi_resource_metadata_get_time_created (b));
  g_assert_cmpint (vi_resource_metadata_get_last_updated (a), ==,
                   vi_resource_metadata_get_last_updated (b));
  g_assert_cmpint (vi_resource_metadata_get_generation (a), ==,
                   vi_resource_metadata_get_generation (b));
  assert_string_maps_equal (vi_resource_metadata_get_attributes (a),
                            vi_resource_metadata_get_attributes (b));
}

static void
assert_contents_equal (ViAnnotationContent *a, ViAnnotationContent *b)
{
  const double *pa, *pb;
  gsize         na, nb;
  int           sa = -1, ea = -1, sb = -2, eb = -2;

  g_assert_cmpint (vi_annotation_content_get_kind (a), ==,
                   vi_annotation_content_get_kind (b));
  g_assert_cmpstr (vi_annotation_content_get_kind_name (a), ==,
                   vi_annotation_content_get_kind_name (b));
  g_assert_cmpstr (vi_annotation_content_get_caption (a), ==,
                   vi_annotation_content_get_caption (b));
  g_assert_cmpstr (vi_annotation_content_get_question (a), ==,
                   vi_annotation_content_get_question (b));
  g_assert_cmpstr (vi_annotation_content_get_answer (a), ==,
                   vi_annotation_content_get_answer (b));
  pa = vi_annotation_content_get_bound (a, &na);
  pb = vi_annotation_content_get_bound (b, &nb);
  g_assert_cmpuint (na, ==, nb);
  if (na > 0)
    g_assert_cmpmem (pa, na * 2 * sizeof (double), pb,
                     nb * 2 * sizeof (double));
  g_assert_cmpstr (vi_annotation_content_get_unread (a), ==,
                   vi_annotation_content_get_unread (b));
  g_assert_cmpint (vi_annotation_content_get_target (a, &sa, &ea), ==,
                   vi_annotation_content_get_target (b, &sb, &eb));
  if (vi_annotation_content_get_kind (a) ==
      VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX) {
    g_assert_cmpint (sa, ==, sb);
    g_assert_cmpint (ea, ==, eb);
  }
  if (vi_annotation_content_get_raw_json (a) != NULL ||
      vi_annotation_content_get_raw_json (b) != NULL) {
    g_assert_nonnull (vi_annotation_content_get_raw_json (a));
    g_assert_nonnull (vi_annotation_content_get_raw_json (b));
    g_assert_true (json_node_equal (vi_annotation_content_get_raw_json (a),
                                    vi_annotation_content_get_raw_json (b)));
  }
}

static void
assert_annotations_equal (ViAnnotation *a, ViAnnotation *b)
{
  ViAnnotationSpec *sa = vi_annotation_get_spec (a);
  ViAnnotationSpec *sb = vi_annotation_get_spec (b);

  g_assert_cmpstr (vi_annotation_get_annotation_id (a), ==,
                   vi_annotation_get_annotation_id (b));
  g_assert_cmpstr (vi_annotation_get_asset_id (a), ==,
                   vi_annotation_get_asset_id (b));
  g_assert_cmpstr (vi_annotation_get_organization_id (a), ==,
                   vi_annotation_get_organization_id (b));
  g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==,
                   vi_annotation_get_dataset_id (b));
  g_assert_cmpstr (vi_annotation_get_self_link (a), ==,
                   vi_annotation_get_self_link (b));
  g_assert_cmpstr (vi_annotation_get_etag (a), ==, vi_annotation_get_etag (b));
  g_assert_cmpstr (vi_annotation_spec_get_bound_type (sa), ==,
                   vi_annotation_spec_get_bound_type (sb));
  g_assert_cmpint (vi_annotation_spec_get_tag (sa), ==,
                   vi_annotation_spec_get_tag (sb));
  g_assert_cmpstr (vi_annotation_spec_get_whole_id (sa), ==,
                   vi_annotation_spec_get_whole_id (sb));
  g_assert_cmpint (vi_annotation_spec_get_role (sa), ==,
                   vi_annotation_spec_get_role (sb));
  g_assert_cmpstr (vi_annotation_spec_get_role_name (sa), ==,
                   vi_annotation_spec_get_role_name (sb));
  assert_contents_equal (vi_annotation_spec_get_contents (sa),
                         vi_annotation_spec_get_contents (sb));
  assert_metadata_equal (vi_annotation_get_metadata (a),
                         vi_annotation_get_metadata (b));
}

/* parse -> to_json -> parse, every field compared; to_json is stable. */
static ViAnnotation *
annotation_round_trip (const char *json)
{
  g_autoptr (JsonNode) node = parse (json);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotation) first = NULL;
  g_autoptr (ViAnnotation) second = NULL;
  g_autoptr (JsonNode) out1 = NULL;
  g_autoptr (JsonNode) out2 = NULL;

  first = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);

  out1 = vi_annotation_to_json (first);
  second = vi_annotation_new_from_json (out1, &error);
  g_assert_no_error (error);
  assert_annotations_equal (first, second);

  out2 = vi_annotation_to_json (second);
  g_assert_true (json_node_equal (out1, out2));
  return g_steal_pointer (&first);
}

static void
assert_invalid_response (const GError *error, const char *message)
{
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  g_assert_cmpstr (error->message, ==, message);
}

/* ------------------------------------------------------------------------
 * vi-json-tree.c and vi-json-parse.c
 * ------------------------------------------------------------------------ */

static void
test_json_path (void)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath items = VI_JSON_PATH_MEMBER (&root, "items");
  ViJsonPath item = VI_JSON_PATH_INDEX (&items, 3);
  ViJsonPath spec = VI_JSON_PATH_MEMBER (&item, "spec");
  ViJsonPath contents = VI_JSON_PATH_MEMBER (&spec, "contents");
  ViJsonPath bound = VI_JSON_PATH_MEMBER (&contents, "bound");
  ViJsonPath point = VI_JSON_PATH_INDEX (&bound, 0);
  ViJsonPath files = VI_JSON_PATH_MEMBER (&root, "files");
  ViJsonPath file = VI_JSON_PATH_MEMBER (&files, "a \"b\".jsonl");
  ViJsonPath url = VI_JSON_PATH_MEMBER (&file, "url");
  ViJsonPath top_index = VI_JSON_PATH_INDEX (&root, 2);
  char      *s;

  s = vi_json_path_to_string (&root);
  g_assert_cmpstr (s, ==, "(root)");
  g_free (s);
  s = vi_json_path_to_string (NULL);
  g_assert_cmpstr (s, ==, "(root)");
  g_free (s);
  s = vi_json_path_to_string (&spec);
  g_assert_cmpstr (s, ==, "items[3].spec");
  g_free (s);
  s = vi_json_path_to_string (&bound);
  g_assert_cmpstr (s, ==, "items[3].spec.contents.bound");
  g_free (s);
  s = vi_json_path_to_string (&point);
  g_assert_cmpstr (s, ==, "items[3].spec.contents.bound[0]");
  g_free (s);
  s = vi_json_path_to_string (&url);
  g_assert_cmpstr (s, ==, "files[\"a \\\"b\\\".jsonl\"].url");
  g_free (s);
  s = vi_json_path_to_string (&top_index);
  g_assert_cmpstr (s, ==, "[2]");
  g_free (s);
}

static void
test_json_set_error (void)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath spec = VI_JSON_PATH_MEMBER (&root, "spec");
  g_autoptr (GError) error = NULL;

  vi_json_set_error (&error, &spec, "expected %s, got %s", "an array",
                     "a string");
  assert_invalid_response (
      error, "invalid response: spec: expected an array, got a string");

  /* No error location: nothing happens. */
  vi_json_set_error (NULL, &spec, "ignored");
}

static void
test_json_getters (void)
{
  g_autoptr (JsonNode)
      node = parse ("{\"s\": \"str\", \"i\": 42, \"f\": 1.5,"
                    " \"one\": 1.0, \"b\": true, \"n\": null,"
                    " \"o\": {\"k\": \"v\"}, \"a\": [1],"
                    " \"big\": 1e309, \"neg\": -1e309,"
                    " \"m\": {\"x\": \"1\", \"y\": \"2\"},"
                    " \"c\": {\"Created\": 3, \"Failed\": 4},"
                    " \"badm\": {\"x\": 1}, \"badc\": {\"x\": 1.5}}");
  JsonObject *object = json_node_get_object (node);
  ViJsonPath  root = VI_JSON_PATH_ROOT;
  ViJsonPath  parent = VI_JSON_PATH_MEMBER (&root, "p");
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) map = NULL;
  const char *str = NULL;
  gint64      i = 0;
  double      d = 0;
  gboolean    b = FALSE;
  JsonObject *o = NULL;
  JsonArray  *a = NULL;

  g_assert_true (vi_json_get_string (object, &parent, "s", TRUE, &str, &error));
  g_assert_cmpstr (str, ==, "str");
  g_assert_true (vi_json_get_int (object, &parent, "i", TRUE, &i, &error));
  g_assert_cmpint (i, ==, 42);
  g_assert_true (vi_json_get_double (object, &parent, "i", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 42.0);
  g_assert_true (vi_json_get_double (object, &parent, "f", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 1.5);
  g_assert_true (vi_json_get_boolean (object, &parent, "b", TRUE, &b, &error));
  g_assert_true (b);
  g_assert_true (vi_json_get_object (object, &parent, "o", TRUE, &o, &error));
  g_assert_nonnull (o);
  g_assert_true (vi_json_get_array (object, &parent, "a", TRUE, &a, &error));
  g_assert_nonnull (a);
  g_assert_no_error (error);

  /* Optional and absent or null: TRUE, output untouched (NULL for
   * objects and arrays). */
  str = "unchanged";
  g_assert_true (
      vi_json_get_string (object, &parent, "absent", FALSE, &str, &error));
  g_assert_true (
      vi_json_get_string (object, &parent, "n", FALSE, &str, &error));
  g_assert_cmpstr (str, ==, "unchanged");
  g_assert_true (
      vi_json_get_object (object, &parent, "absent", FALSE, &o, &error));
  g_assert_null (o);
  g_assert_true (vi_json_get_array (object, &parent, "n", FALSE, &a, &error));
  g_assert_null (a);
  g_assert_true (
      vi_json_get_string_map (object, &parent, "absent", FALSE, &map, &error));
  g_assert_cmpuint (g_hash_table_size (map), ==, 0);
  g_clear_pointer (&map, g_hash_table_unref);
  g_assert_no_error (error);

  g_assert_true (
      vi_json_get_string_map (object, &parent, "m", TRUE, &map, &error));
  g_assert_cmpstr (g_hash_table_lookup (map, "y"), ==, "2");
  g_clear_pointer (&map, g_hash_table_unref);
  g_assert_true (
      vi_json_get_count_map (object, &parent, "c", TRUE, &map, &error));
  g_assert_cmpint (*(gint64 *) g_hash_table_lookup (map, "Failed"), ==, 4);
  g_clear_pointer (&map, g_hash_table_unref);
  g_assert_no_error (error);

  g_assert_false (
      vi_json_get_string (object, &parent, "absent", TRUE, &str, &error));
  assert_invalid_response (error,
                           "invalid response: p.absent: missing required field");
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_string (object, &parent, "n", TRUE, &str, &error));
  assert_invalid_response (error,
                           "invalid response: p.n: expected a string, got null");
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_string (object, &parent, "i", TRUE, &str, &error));
  assert_invalid_response (
      error, "invalid response: p.i: expected a string, got a number");
  g_clear_error (&error);
  g_assert_false (vi_json_get_int (object, &parent, "f", TRUE, &i, &error));
  assert_invalid_response (
      error,
      "invalid response: p.f: expected an integer, got a floating-point number");
  g_clear_error (&error);
  /* json-glib reads 1.0 as a float: refused too, the SDK sends integers. */
  g_assert_false (vi_json_get_int (object, &parent, "one", TRUE, &i, &error));
  assert_invalid_response (
      error,
      "invalid response: p.one: expected an integer, got a floating-point number");
  g_clear_error (&error);
  g_assert_false (vi_json_get_int (object, &parent, "b", TRUE, &i, &error));
  assert_invalid_response (
      error, "invalid response: p.b: expected an integer, got a boolean");
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_double (object, &parent, "big", TRUE, &d, &error));
  assert_invalid_response (error,
                           "invalid response: p.big: number out of range");
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_double (object, &parent, "neg", FALSE, &d, &error));
  assert_invalid_response (error,
                           "invalid response: p.neg: number out of range");
  g_clear_error (&error);
  g_assert_false (vi_json_get_double (object, &parent, "s", TRUE, &d, &error));
  assert_invalid_response (
      error, "invalid response: p.s: expected a number, got a string");
  g_clear_error (&error);
  g_assert_false (vi_json_get_boolean (object, &parent, "s", TRUE, &b, &error));
  assert_invalid_response (
      error, "invalid response: p.s: expected a boolean, got a string");
  g_clear_error (&error);
  g_assert_false (vi_json_get_object (object, &parent, "a", TRUE, &o, &error));
  assert_invalid_response (
      error, "invalid response: p.a: expected an object, got an array");
  g_clear_error (&error);
  g_assert_false (vi_json_get_array (object, &parent, "o", FALSE, &a, &error));
  assert_invalid_response (
      error, "invalid response: p.o: expected an array, got an object");
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_string_map (object, &parent, "badm", TRUE, &map, &error));
  assert_invalid_response (
      error, "invalid response: p.badm.x: expected a string, got a number");
  g_assert_null (map);
  g_clear_error (&error);
  g_assert_false (
      vi_json_get_count_map (object, &parent, "badc", TRUE, &map, &error));
  assert_invalid_response (
      error,
      "invalid response: p.badc.x: expected an integer, got a floating-point number");
  g_assert_null (map);
  g_clear_error (&error);

  g_assert_null (vi_json_require_object (NULL, &parent, &error));
  assert_invalid_response (error,
                           "invalid response: p: missing required field");
  g_clear_error (&error);
  g_assert_null (vi_json_require_array (json_object_get_member (object, "s"),
                                        &root, &error));
  assert_invalid_response (
      error, "invalid response: (root): expected an array, got a string");
}

static void
assert_parse_fails (const char *json, gssize len, const char *message_prefix)
{
  g_autoptr (GBytes)
      bytes = g_bytes_new (json, len < 0 ? strlen (json) : (gsize) len);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  node = vi_json_parse_bytes (bytes, &error);
  g_assert_null (node);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
  if (!g_str_has_prefix (error->message, message_prefix)) {
    g_printerr ("message: %s\n", error->message);
    g_assert_not_reached ();
  }
}

static void
test_json_parse_bytes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GString) ok_deep = g_string_new (NULL);
  guint i;

  assert_parse_fails ("", 0, "invalid response: empty body");
  assert_parse_fails (" \n\t ", -1, "invalid response: empty body");
  assert_parse_fails ("{\"a\": ", -1, "invalid response: malformed JSON: ");
  assert_parse_fails ("nul", -1, "invalid response: malformed JSON: ");
  assert_parse_fails ("{\"a\": \"\xff\xfe\"}", -1,
                      "invalid response: malformed JSON: ");
  /* json-glib would wrap these silently. */
  assert_parse_fails (
      "{\"a\": 99999999999999999999}", -1,
      "invalid response: malformed JSON: 1:7: integer out of the 64-bit range");
  assert_parse_fails ("[9223372036854775808]", -1,
                      "invalid response: malformed JSON: ");
  assert_parse_fails ("[-9223372036854775809]", -1,
                      "invalid response: malformed JSON: ");
  /* json-glib would overflow the stack. */
  for (i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  for (i = 0; i < 200000; i++)
    g_string_append_c (deep, ']');
  assert_parse_fails (deep->str, -1,
                      "invalid response: malformed JSON: 1:513: nesting too deep");
  g_string_truncate (deep, 0);
  for (i = 0; i < 100000; i++)
    g_string_append (deep, "{\"a\":");
  assert_parse_fails (deep->str, -1, "invalid response: malformed JSON: ");

  /* Brackets inside strings do not count; the limit itself is fine. */
  for (i = 0; i < 512; i++)
    g_string_append_c (ok_deep, '[');
  g_string_append (ok_deep, "\"[[[[\\\"{{{{\"");
  for (i = 0; i < 512; i++)
    g_string_append_c (ok_deep, ']');
  node = parse (ok_deep->str);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_clear_pointer (&node, json_node_unref);

  node = parse (
      "{\"max\": 9223372036854775807, \"min\": -9223372036854775808,"
      " \"f\": 1e300, \"z\": -0, \"e\": 1E+2, \"s\": \"\\ud83d\\ude00\\/\"}");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node),
                                               "max"),
                   ==, G_MAXINT64);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node),
                                               "min"),
                   ==, G_MININT64);
  g_clear_pointer (&node, json_node_unref);

  /* What json-glib 1.6 takes although it is not JSON. */
  assert_parse_fails ("{\"a\": 012}", -1,
                      "invalid response: malformed JSON: 1:7: invalid number");
  assert_parse_fails ("{\"a\": 1.}", -1,
                      "invalid response: malformed JSON: 1:7: invalid number");
  assert_parse_fails (
      "{\"a\": .5}", -1,
      "invalid response: malformed JSON: 1:7: unexpected character");
  assert_parse_fails ("{\"a\": 0x10}", -1,
                      "invalid response: malformed JSON: 1:7: invalid number");
  assert_parse_fails (
      "{'a': 1}", -1,
      "invalid response: malformed JSON: 1:2: unexpected character");
  assert_parse_fails (
      "{\"a\": 1 /* c */}", -1,
      "invalid response: malformed JSON: 1:9: unexpected character");
  assert_parse_fails (
      "{\"a\": \"\\x\"}", -1,
      "invalid response: malformed JSON: 1:8: invalid escape in a string");
  assert_parse_fails ("{\"a\": \"\\udc00\"}", -1,
                      "invalid response: malformed JSON: 1:8: invalid \\u escape");
  assert_parse_fails ("{\"a\": \"\\ud800x\"}", -1,
                      "invalid response: malformed JSON: 1:8: invalid \\u escape");
  assert_parse_fails (
      "{\"a\": \"tab\there\"}", -1,
      "invalid response: malformed JSON: 1:11: control character in a string");
  assert_parse_fails (
      "{\"a\": 1}{}", -1,
      "invalid response: malformed JSON: 1:9: unexpected data after the root value");
  assert_parse_fails ("{\"a\": tru}", -1,
                      "invalid response: malformed JSON: 1:7: invalid literal");
  assert_parse_fails (
      "{\"a\": NaN}", -1,
      "invalid response: malformed JSON: 1:7: unexpected character");

  node = vi_json_parse_bytes (NULL, &error);
  g_assert_null (node);
  assert_invalid_response (error, "invalid response: empty body");
}

/* ------------------------------------------------------------------------
 * Enumerations and small types
 * ------------------------------------------------------------------------ */

static void
test_enums (void)
{
  g_assert_cmpstr (vi_role_to_string (VI_ROLE_CAPTION), ==, "Caption");
  g_assert_cmpstr (vi_role_to_string (VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX),
                   ==, "PhraseGroundingBoundingBox");
  g_assert_cmpstr (vi_role_to_string (VI_ROLE_VQA), ==, "Vqa");
  g_assert_cmpstr (vi_role_to_string (VI_ROLE_UNKNOWN), ==, "Unknown");
  g_assert_null (vi_role_to_string (99));
  g_assert_cmpint (vi_role_from_string ("Vqa"), ==, VI_ROLE_VQA);
  g_assert_cmpint (vi_role_from_string ("caption"), ==, VI_ROLE_UNKNOWN);
  g_assert_cmpint (vi_role_from_string (NULL), ==, VI_ROLE_UNKNOWN);

  g_assert_cmpstr (vi_content_kind_to_string (
                       VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX),
                   ==, "PhraseGroundingBoundingBox");
  g_assert_cmpint (vi_content_kind_from_string ("Caption"), ==,
                   VI_CONTENT_KIND_CAPTION);
  g_assert_cmpint (vi_content_kind_from_string ("Vqa"), ==,
                   VI_CONTENT_KIND_VQA);
  g_assert_cmpint (vi_content_kind_from_string ("Polygon"), ==,
                   VI_CONTENT_KIND_UNKNOWN);

  g_assert_cmpstr (vi_failure_policy_to_string (VI_FAILURE_POLICY_WARN), ==,
                   "Warn");
  g_assert_cmpstr (vi_failure_policy_to_string (VI_FAILURE_POLICY_REJECT_FILE),
                   ==, "RejectFile");
  g_assert_cmpstr (vi_failure_policy_to_string (
                       VI_FAILURE_POLICY_REJECT_SESSION),
                   ==, "RejectSession");
  g_assert_cmpint (vi_failure_policy_from_string ("RejectFile"), ==,
                   VI_FAILURE_POLICY_REJECT_FILE);
  g_assert_cmpint (vi_failure_policy_from_string ("Ignore"), ==,
                   VI_FAILURE_POLICY_UNKNOWN);

  g_assert_cmpstr (vi_annotation_import_source_to_string (
                       VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES),
                   ==, "UploadedIndividualFiles");
  g_assert_cmpint (vi_annotation_import_source_from_string (
                       "UploadedIndividualFiles"),
                   ==, VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES);

  g_assert_cmpstr (vi_condition_status_to_string (VI_CONDITION_STATUS_WAITING),
                   ==, "Waiting");
  g_assert_cmpstr (vi_condition_status_to_string (VI_CONDITION_STATUS_REACHED),
                   ==, "Reached");
  g_assert_cmpstr (vi_condition_status_to_string (
                       VI_CONDITION_STATUS_FAILED_REACH),
                   ==, "FailedReach");
  g_assert_cmpint (vi_condition_status_from_string ("FailedReach"), ==,
                   VI_CONDITION_STATUS_FAILED_REACH);
  g_assert_cmpint (vi_condition_status_from_string ("Paused"), ==,
                   VI_CONDITION_STATUS_UNKNOWN);

  g_assert_null (vi_condition_reason_to_string (VI_CONDITION_REASON_NONE));
  g_assert_cmpstr (vi_condition_reason_to_string (VI_CONDITION_REASON_UNKNOWN),
                   ==, "Unknown");
  g_assert_cmpstr (vi_condition_reason_to_string (
                       VI_CONDITION_REASON_CANCELLED_BY_USER),
                   ==, "CancelledByUser");
  g_assert_cmpstr (vi_condition_reason_to_string (
                       VI_CONDITION_REASON_USER_UPLOAD_ERRORED),
                   ==, "UserUploadErrored");
  g_assert_cmpint (vi_condition_reason_from_string (NULL), ==,
                   VI_CONDITION_REASON_NONE);
  g_assert_cmpint (vi_condition_reason_from_string ("UserUploadErrored"), ==,
                   VI_CONDITION_REASON_USER_UPLOAD_ERRORED);
  g_assert_cmpint (vi_condition_reason_from_string ("Timeout"), ==,
                   VI_CONDITION_REASON_UNKNOWN);
  g_assert_cmpint (vi_condition_reason_from_string ("Unknown"), ==,
                   VI_CONDITION_REASON_UNKNOWN);

  g_assert_cmpstr (vi_export_format_to_string (VI_EXPORT_FORMAT_VI_FULL), ==,
                   "ViFull");
  g_assert_cmpstr (vi_export_format_to_string (VI_EXPORT_FORMAT_VI_JSONL), ==,
                   "ViJsonl");
  g_assert_cmpstr (vi_export_format_to_string (VI_EXPORT_FORMAT_VI_TFRECORD),
                   ==, "ViTfrecord");
  g_assert_cmpint (vi_export_format_from_string ("ViTfrecord"), ==,
                   VI_EXPORT_FORMAT_VI_TFRECORD);
  g_assert_cmpint (vi_export_format_from_string ("ViCoco"), ==,
                   VI_EXPORT_FORMAT_UNKNOWN);

  /* Registered GTypes (mkenums) and boxed types. */
  g_assert_true (G_TYPE_IS_ENUM (VI_TYPE_ROLE));
  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_ANNOTATION));
  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_ANNOTATION_IMPORT_SESSION));
  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_EXPORTED_ANNOTATIONS));
  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_SIGNED_UPLOAD));
}

static void
test_dataset_prefix (void)
{
  char *s;

  s = _vi_strip_dataset_prefix ("org", "org_ds_with_underscores");
  g_assert_cmpstr (s, ==, "ds_with_underscores");
  g_free (s);
  s = _vi_strip_dataset_prefix ("org_1", "org_1_ds");
  g_assert_cmpstr (s, ==, "ds");
  g_free (s);
  s = _vi_strip_dataset_prefix ("org", "other_ds");
  g_assert_cmpstr (s, ==, "other_ds");
  g_free (s);
  s = _vi_strip_dataset_prefix ("org", "organic");
  g_assert_cmpstr (s, ==, "organic");
  g_free (s);
  s = _vi_strip_dataset_prefix ("org", "org_");
  g_assert_cmpstr (s, ==, "org_");
  g_free (s);
  s = _vi_strip_dataset_prefix ("", "a_b");
  g_assert_cmpstr (s, ==, "a_b");
  g_free (s);
}

static void
test_small_types (void)
{
  g_autoptr (ViDeletedResource) deleted = vi_deleted_resource_new ("ann_1");
  g_autoptr (ViDeletedResource)
      deleted_copy = vi_deleted_resource_copy (deleted);
  g_autoptr (ViResourceMetadata) metadata = vi_resource_metadata_new (1, 2, 3);
  g_autoptr (ViAnnotationImportFileSpec) file = NULL;
  g_autoptr (ViAnnotationImportFileSpec) file_copy = NULL;
  g_autoptr (ViAnnotationImportSessionCondition) condition = NULL;
  g_autoptr (ViAnnotationImportSessionCondition) condition_copy = NULL;
  ViAnnotationImportSpec spec;
  g_autoptr (ViAnnotationImportSpec) spec_copy = NULL;
  gint64 now_ms = g_get_real_time () / 1000;

  g_assert_cmpstr (deleted_copy->id, ==, "ann_1");
  g_assert_true (deleted_copy->deleted);

  vi_resource_metadata_set_attribute (metadata, "k", "v");
  vi_resource_metadata_set_attribute (metadata, "k2", "v2");
  vi_resource_metadata_set_attribute (metadata, "k2", NULL);
  g_assert_cmpuint (g_hash_table_size (
                        vi_resource_metadata_get_attributes (metadata)),
                    ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (vi_resource_metadata_get_attributes (
                                            metadata),
                                        "k"),
                   ==, "v");

  file = vi_annotation_import_file_spec_new ("a.jsonl", 18, "XTnF0A==");
  file_copy = vi_annotation_import_file_spec_copy (file);
  g_assert_cmpstr (file_copy->name, ==, "a.jsonl");
  g_assert_cmpint (file_copy->size_bytes, ==, 18);
  g_assert_cmpstr (file_copy->crc32c, ==, "XTnF0A==");
  g_assert_cmpstr (file_copy->kind, ==, "Unknown");

  condition = vi_annotation_import_session_condition_new (
      "FilesInserted", VI_CONDITION_STATUS_FAILED_REACH, 1767225600123.0,
      VI_CONDITION_REASON_USER_UPLOAD_ERRORED);
  condition_copy = vi_annotation_import_session_condition_copy (condition);
  g_assert_cmpstr (condition_copy->condition, ==, "FilesInserted");
  g_assert_cmpstr (condition_copy->reason_name, ==, "UserUploadErrored");
  g_assert_cmpfloat (condition_copy->last_transition_time, ==, 1767225600123.0);

  vi_annotation_import_spec_init_default (&spec);
  g_assert_cmpint (spec.failure_policies.on_bad_annotation, ==,
                   VI_FAILURE_POLICY_REJECT_SESSION);
  g_assert_cmpint (spec.failure_policies.on_bad_file, ==,
                   VI_FAILURE_POLICY_REJECT_SESSION);
  g_assert_cmpint (spec.failure_policies.on_overwritten, ==,
                   VI_FAILURE_POLICY_REJECT_SESSION);
  g_assert_cmpint (spec.source, ==,
                   VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES);
  g_assert_cmpint (spec.upload_before % 1000, ==, 0);
  g_assert_cmpint (spec.upload_before, >=, now_ms + 3299 * 1000);
  g_assert_cmpint (spec.upload_before, <=, now_ms + 3301 * 1000);
  spec_copy = vi_annotation_import_spec_copy (&spec);
  g_assert_cmpmem (spec_copy, sizeof spec, &spec, sizeof spec);
}

/* ------------------------------------------------------------------------
 * Annotations
 * ------------------------------------------------------------------------ */

static void
test_annotation_box (void)
{
  g_autoptr (ViAnnotation) a = annotation_round_trip (ANNOTATION_BOX);
  ViAnnotationSpec    *spec = vi_annotation_get_spec (a);
  ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);
  ViResourceMetadata  *m = vi_annotation_get_metadata (a);
  const double        *bound;
  gsize                n_points;
  ViBBox               bbox;
  int                  start, end;

  g_assert_cmpstr (vi_annotation_get_annotation_id (a), ==, "ann_789");
  g_assert_cmpstr (vi_annotation_get_asset_id (a), ==, "asset_456");
  g_assert_cmpstr (vi_annotation_get_organization_id (a), ==, "ORG");
  g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==, "DS");
  g_assert_cmpstr (vi_annotation_get_etag (a), ==, "opaque");
  g_assert_cmpstr (vi_annotation_spec_get_bound_type (spec), ==, "box");
  g_assert_cmpint (vi_annotation_spec_get_tag (spec), ==, 7);
  g_assert_cmpstr (vi_annotation_spec_get_whole_id (spec), ==, "grp_1");
  g_assert_cmpint (vi_annotation_spec_get_role (spec), ==,
                   VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX);
  g_assert_cmpint (vi_annotation_content_get_kind (c), ==,
                   VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
  g_assert_cmpstr (vi_annotation_content_get_kind_name (c), ==,
                   "PhraseGroundingBoundingBox");
  bound = vi_annotation_content_get_bound (c, &n_points);
  g_assert_cmpuint (n_points, ==, 4);
  g_assert_cmpfloat (bound[0], ==, 0.1);
  g_assert_cmpfloat (bound[5], ==, 0.7);
  g_assert_true (vi_annotation_content_get_target (c, &start, &end));
  g_assert_cmpint (start, ==, 2);
  g_assert_cmpint (end, ==, 5);
  g_assert_true (vi_annotation_content_get_bbox (c, &bbox));
  g_assert_cmpfloat (bbox.x_min, ==, 0.1);
  g_assert_cmpfloat (bbox.y_min, ==, 0.2);
  g_assert_cmpfloat (bbox.x_max, ==, 0.5);
  g_assert_cmpfloat (bbox.y_max, ==, 0.7);
  g_assert_null (vi_annotation_content_get_caption (c));
  g_assert_null (vi_annotation_content_get_raw_json (c));
  g_assert_cmpint (vi_resource_metadata_get_time_created (m), ==,
                   1767225600000);
  g_assert_cmpint (vi_resource_metadata_get_last_updated (m), ==,
                   1767225601000);
  g_assert_cmpint (vi_resource_metadata_get_generation (m), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (vi_resource_metadata_get_attributes (m),
                                        "source"),
                   ==, "test");
}

static void
test_annotation_caption (void)
{
  g_autoptr (ViAnnotation) a = annotation_round_trip (ANNOTATION_CAPTION);
  ViAnnotationContent *c = vi_annotation_spec_get_contents (
      vi_annotation_get_spec (a));
  ViBBox bbox;
  gsize  n = 99;

  g_assert_cmpint (vi_annotation_spec_get_role (vi_annotation_get_spec (a)), ==,
                   VI_ROLE_CAPTION);
  g_assert_cmpint (vi_annotation_content_get_kind (c), ==,
                   VI_CONTENT_KIND_CAPTION);
  g_assert_cmpstr (vi_annotation_content_get_caption (c), ==,
                   "A cat sitting on a couch");
  g_assert_false (vi_annotation_content_get_bbox (c, &bbox));
  g_assert_false (vi_annotation_content_get_target (c, NULL, NULL));
  g_assert_null (vi_annotation_content_get_bound (c, &n));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_annotation_caption_default (void)
{
  g_autoptr (JsonNode) node = parse_mutable (ANNOTATION_CAPTION);
  JsonObject *contents;
  g_autoptr (ViAnnotation) a = NULL;
  g_autoptr (GError) error = NULL;

  /* Caption `contents` is optional and defaults to "" (also when null). */
  contents = json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (node), "spec"),
      "contents");
  json_object_remove_member (contents, "contents");
  a = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_content_get_caption (
                       vi_annotation_spec_get_contents (
                           vi_annotation_get_spec (a))),
                   ==, "");
  g_clear_pointer (&a, vi_annotation_unref);

  json_object_set_null_member (contents, "contents");
  a = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_content_get_caption (
                       vi_annotation_spec_get_contents (
                           vi_annotation_get_spec (a))),
                   ==, "");
}

static void
test_annotation_vqa (void)
{
  g_autoptr (ViAnnotation) a = annotation_round_trip (ANNOTATION_VQA);
  ViAnnotationSpec    *spec = vi_annotation_get_spec (a);
  ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);

  g_assert_cmpint (vi_annotation_spec_get_role (spec), ==, VI_ROLE_VQA);
  g_assert_cmpint (vi_annotation_content_get_kind (c), ==, VI_CONTENT_KIND_VQA);
  g_assert_cmpstr (vi_annotation_content_get_question (c), ==, "What colour?");
  g_assert_cmpstr (vi_annotation_content_get_answer (c), ==, "Red");
  g_assert_null (vi_annotation_content_get_caption (c));
}

static void
test_annotation_unknown_kind (void)
{
  g_autoptr (ViAnnotation) a = annotation_round_trip (ANNOTATION_UNKNOWN);
  ViAnnotationSpec    *spec = vi_annotation_get_spec (a);
  ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);
  g_autoptr (JsonNode) out = vi_annotation_to_json (a);
  JsonNode *raw;

  g_assert_cmpint (vi_annotation_spec_get_role (spec), ==, VI_ROLE_UNKNOWN);
  g_assert_cmpstr (vi_annotation_spec_get_role_name (spec), ==, "Polygon");
  g_assert_cmpint (vi_annotation_content_get_kind (c), ==,
                   VI_CONTENT_KIND_UNKNOWN);
  g_assert_cmpstr (vi_annotation_content_get_kind_name (c), ==, "Polygon");
  raw = vi_annotation_content_get_raw_json (c);
  g_assert_nonnull (raw);
  assert_json_equal (raw,
                     "{\"kind\": \"Polygon\", \"points\": [[0, 0], [1, 0], [1, 1]],"
                     " \"label\": {\"name\": \"roof\"}}");
  /* Written back as it came. */
  assert_json_equal (json_object_get_member (json_object_get_object_member (
                                                 json_node_get_object (out),
                                                 "spec"),
                                             "contents"),
                     "{\"kind\": \"Polygon\", \"points\": [[0, 0], [1, 0], [1, 1]],"
                     " \"label\": {\"name\": \"roof\"}}");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (
                           json_object_get_object_member (
                               json_object_get_object_member (json_node_get_object (
                                                                  out),
                                                              "spec"),
                               "aggregation"),
                           "thisPart"),
                       "role"),
                   ==, "Polygon");
}

/* to_json writes exactly the wire form of docs/protocol.md §6. */
static void
test_annotation_wire_form (void)
{
  g_autoptr (JsonNode) node = parse (ANNOTATION_BOX);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotation) a = vi_annotation_new_from_json (node, &error);
  g_autoptr (JsonNode) out = NULL;

  g_assert_no_error (error);
  out = vi_annotation_to_json (a);
  assert_json_equal (out, ANNOTATION_BOX);
  g_clear_pointer (&out, json_node_unref);
  g_clear_pointer (&a, vi_annotation_unref);
  g_clear_pointer (&node, json_node_unref);

  node = parse (ANNOTATION_CAPTION);
  a = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  out = vi_annotation_to_json (a);
  assert_json_equal (out, ANNOTATION_CAPTION);
}

static void
test_annotation_dataset_prefix (void)
{
  g_autoptr (JsonNode) node = parse_mutable (ANNOTATION_BOX);
  JsonObject *object = json_node_get_object (node);
  g_autoptr (ViAnnotation) a = NULL;
  g_autoptr (ViAnnotation) b = NULL;
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (object, "workspaceId", "org");
  json_object_set_string_member (object, "datasetId",
                                 "org_ds_with_underscores");
  a = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==, "ds_with_underscores");
  out = vi_annotation_to_json (a);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (out),
                                                  "datasetId"),
                   ==, "org_ds_with_underscores");

  /* Without the prefix the id is kept, and a round trip gives it back. */
  json_object_set_string_member (object, "datasetId", "plain");
  b = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_get_dataset_id (b), ==, "plain");
  g_clear_pointer (&out, json_node_unref);
  g_clear_pointer (&a, vi_annotation_unref);
  out = vi_annotation_to_json (b);
  a = vi_annotation_new_from_json (out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==, "plain");
}

static void
test_annotation_kind (void)
{
  g_autoptr (JsonNode) node = parse_mutable (ANNOTATION_BOX);
  JsonObject *object = json_node_get_object (node);
  g_autoptr (ViAnnotation) a = NULL;
  g_autoptr (GError) error = NULL;

  json_object_remove_member (object, "kind");
  a = vi_annotation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  g_clear_pointer (&a, vi_annotation_unref);

  json_object_set_string_member (object, "kind", "AnnotationImportSession");
  a = vi_annotation_new_from_json (node, &error);
  g_assert_null (a);
  assert_invalid_response (
      error,
      "invalid response: kind: expected \"Annotation\", got \"AnnotationImportSession\"");
  g_clear_error (&error);

  json_object_set_int_member (object, "kind", 3);
  a = vi_annotation_new_from_json (node, &error);
  g_assert_null (a);
  assert_invalid_response (
      error, "invalid response: kind: expected a string, got a number");
}

static void
test_annotation_constructors (void)
{
  double points[] = { 0.6, 0.2, 0.9, 0.2, 0.9, 0.7, 0.6, 0.7 };
  ViBBox box = { 0.1, 0.2, 0.5, 0.7 }, got;
  g_autoptr (ViAnnotationContent)
      from_box = vi_annotation_content_new_from_bbox (&box, 2, 5);
  g_autoptr (ViAnnotationContent) from_points = NULL;
  g_autoptr (ViAnnotationContent)
      caption = vi_annotation_content_new_caption (NULL);
  g_autoptr (ViAnnotationSpec) spec = NULL;
  g_autoptr (ViAnnotation) a = NULL;
  g_autoptr (ViAnnotation) back = NULL;
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (GError) error = NULL;
  const double *bound;
  gsize         n;

  bound = vi_annotation_content_get_bound (from_box, &n);
  g_assert_cmpuint (n, ==, 4);
  /* [[x1,y1],[x2,y1],[x2,y2],[x1,y2]] (docs/decisions.md, "Lines become
   * parts") */
  g_assert_cmpfloat (bound[0], ==, 0.1);
  g_assert_cmpfloat (bound[1], ==, 0.2);
  g_assert_cmpfloat (bound[2], ==, 0.5);
  g_assert_cmpfloat (bound[3], ==, 0.2);
  g_assert_cmpfloat (bound[4], ==, 0.5);
  g_assert_cmpfloat (bound[5], ==, 0.7);
  g_assert_cmpfloat (bound[6], ==, 0.1);
  g_assert_cmpfloat (bound[7], ==, 0.7);
  g_assert_true (vi_annotation_content_get_bbox (from_box, &got));
  g_assert_cmpmem (&got, sizeof got, &box, sizeof box);

  from_points = vi_annotation_content_new_phrase_grounding_bounding_box (points,
                                                                         4, 10,
                                                                         15);
  g_assert_true (vi_annotation_content_get_bbox (from_points, &got));
  g_assert_cmpfloat (got.x_min, ==, 0.6);
  g_assert_cmpfloat (got.y_max, ==, 0.7);

  g_assert_cmpstr (vi_annotation_content_get_caption (caption), ==, "");

  spec = vi_annotation_spec_new ("box", 1, "grp",
                                 VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX,
                                 from_points);
  a = vi_annotation_new ("id1", "asset", "org", "ds", spec, NULL, NULL, NULL);
  g_assert_cmpstr (vi_annotation_get_self_link (a), ==, "");
  g_assert_cmpint (vi_resource_metadata_get_generation (
                       vi_annotation_get_metadata (a)),
                   ==, 0);
  out = vi_annotation_to_json (a);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (out),
                                                  "datasetId"),
                   ==, "org_ds");
  back = vi_annotation_new_from_json (out, &error);
  g_assert_no_error (error);
  assert_annotations_equal (a, back);
}

static void
test_annotation_to_string (void)
{
  g_autoptr (ViAnnotation) box = annotation_round_trip (ANNOTATION_BOX);
  g_autoptr (ViAnnotation) caption = annotation_round_trip (ANNOTATION_CAPTION);
  g_autoptr (ViAnnotation) vqa = annotation_round_trip (ANNOTATION_VQA);
  g_autoptr (ViAnnotation) unknown = annotation_round_trip (ANNOTATION_UNKNOWN);
  g_autofree char *s1 = vi_annotation_to_string (box);
  g_autofree char *s2 = vi_annotation_to_string (caption);
  g_autofree char *s3 = vi_annotation_to_string (vqa);
  g_autofree char *s4 = vi_annotation_to_string (unknown);

  g_test_message ("%s", s1);
  g_assert_nonnull (strstr (s1, "ann_789"));
  g_assert_nonnull (strstr (s1, "asset_456"));
  g_assert_nonnull (strstr (s1, "DS"));
  g_assert_nonnull (strstr (s1, "box"));
  g_assert_nonnull (strstr (s1, "PhraseGroundingBoundingBox"));
  g_assert_nonnull (strstr (s1, "grp_1"));
  g_assert_nonnull (
      strstr (s1, "[[0.1, 0.2], [0.5, 0.2], [0.5, 0.7], [0.1, 0.7]]"));
  g_assert_nonnull (strstr (s1, "[0.1, 0.2, 0.5, 0.7]"));
  g_assert_nonnull (strstr (s1, "[2, 5]"));
  g_assert_nonnull (strstr (s1, "2026-01-01 00:00:00.000 UTC"));
  g_assert_nonnull (strstr (s1, "source: test"));

  g_assert_nonnull (strstr (s2, "Caption"));
  g_assert_nonnull (strstr (s2, "A cat sitting on a couch"));

  g_assert_nonnull (strstr (s3, "What colour?"));
  g_assert_nonnull (strstr (s3, "Red"));

  g_assert_nonnull (strstr (s4, "Polygon"));
  g_assert_nonnull (strstr (s4, "roof"));
}

static GString *printed;

static void
capture_print (const char *text)
{
  g_string_append (printed, text);
}

/* The SDK's info(): prints what vi_annotation_to_string() says, with the
 * server's control characters escaped. */
static void
test_annotation_print_info (void)
{
  g_autoptr (ViAnnotation) box = annotation_round_trip (ANNOTATION_BOX);
  g_autoptr (ViAnnotation) hostile = NULL;
  g_autofree char *expected = vi_annotation_to_string (box);
  g_autoptr (GString) json = g_string_new (ANNOTATION_CAPTION);
  GPrintFunc old;

  printed = g_string_new (NULL);
  old = g_set_print_handler (capture_print);
  vi_annotation_print_info (box);
  g_assert_cmpstr (printed->str, ==, expected);

  g_assert_cmpuint (g_string_replace (json, "A cat sitting", "A \\u001b[2Jcat",
                                      1),
                    ==, 1);
  hostile = annotation_round_trip (json->str);
  g_string_truncate (printed, 0);
  vi_annotation_print_info (hostile);
  g_set_print_handler (old);
  g_test_message ("%s", printed->str);
  g_assert_null (strchr (printed->str, '\x1b'));
  g_assert_nonnull (strstr (printed->str, "A \\u001B[2Jcat on a couch"));
  g_assert_true (g_str_has_suffix (printed->str, "\n"));
  g_assert_false (g_str_has_suffix (printed->str, "\n\n"));
  g_string_free (printed, TRUE);
}

/* ------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------ */

static char *
make_page (guint n_items, const char *tail)
{
  GString *s = g_string_new ("{\"items\": [");
  guint    i;

  for (i = 0; i < n_items; i++) {
    if (i > 0)
      g_string_append (s, ", ");
    g_string_append (s, i % 2 == 0 ? ANNOTATION_BOX : ANNOTATION_CAPTION);
  }
  g_string_append_printf (s, "]%s}", tail);
  return g_string_free (s, FALSE);
}

/* The direct reader and the tree reader agree: the same page, or the same
 * error (messages compared unless only failure is asked for). */
static void
assert_same_page_full (const char *json, gsize len, gboolean compare_messages)
{
  g_autoptr (GBytes) bytes = g_bytes_new (json, len);
  g_autoptr (GError) tree_error = NULL;
  g_autoptr (GError) direct_error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (ViAnnotationPage) tree = NULL;
  g_autoptr (ViAnnotationPage) direct = NULL;
  guint i;

  node = vi_json_parse_bytes (bytes, &tree_error);
  if (node != NULL)
    tree = vi_annotation_page_new_from_json (node, &tree_error);
  direct = _vi_annotation_page_new_from_bytes (bytes, &direct_error);

  /* Syntax errors are worded by json-glib on one side: both must be
   * syntax errors.  Schema errors must be word for word the same. */
  if (compare_messages && tree == NULL && direct == NULL &&
      g_str_has_prefix (tree_error->message,
                        "invalid response: malformed JSON: ") &&
      g_str_has_prefix (direct_error->message,
                        "invalid response: malformed JSON: "))
    compare_messages = FALSE;
  if ((tree == NULL) != (direct == NULL) ||
      (compare_messages && tree == NULL &&
       g_strcmp0 (tree_error->message, direct_error->message) != 0)) {
    g_printerr ("document: %.*s\ntree:   %s\ndirect: %s\n",
                (int) MIN (len, 2000), json,
                tree_error != NULL ? tree_error->message : "(parsed)",
                direct_error != NULL ? direct_error->message : "(parsed)");
    g_assert_not_reached ();
  }
  if (tree == NULL) {
    g_assert_error (tree_error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    g_assert_error (direct_error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    return;
  }
  g_assert_cmpuint (vi_annotation_page_get_n_items (tree), ==,
                    vi_annotation_page_get_n_items (direct));
  for (i = 0; i < vi_annotation_page_get_n_items (tree); i++)
    assert_annotations_equal (vi_annotation_page_get_item (tree, i),
                              vi_annotation_page_get_item (direct, i));
  g_assert_cmpstr (vi_annotation_page_get_next_page (tree), ==,
                   vi_annotation_page_get_next_page (direct));
  g_assert_cmpstr (vi_annotation_page_get_prev_page (tree), ==,
                   vi_annotation_page_get_prev_page (direct));
}

static void
assert_same_page (const char *json)
{
  assert_same_page_full (json, strlen (json), TRUE);
}

static void
assert_same_page_node (JsonNode *node)
{
  g_autofree char *json = json_to_string (node, FALSE);

  assert_same_page (json);
}

static void
test_page_round_trip (void)
{
  g_autofree char *json =
      make_page (5,
                 ", \"nextPage\": \"tok/en=\", \"prevPage\": null, \"total\": 99");
  g_autoptr (JsonNode) node = parse (json);

  assert_same_page (json);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage)
      page = vi_annotation_page_new_from_json (node, &error);
  g_autoptr (ViAnnotationPage) again = NULL;
  g_autoptr (JsonNode) out = NULL;
  guint i;

  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 5);
  g_assert_cmpuint (vi_annotation_page_get_items (page)->len, ==, 5);
  g_assert_cmpstr (vi_annotation_page_get_next_page (page), ==, "tok/en=");
  g_assert_null (vi_annotation_page_get_prev_page (page));

  out = vi_annotation_page_to_json (page);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (out),
                                                  "nextPage"),
                   ==, "tok/en=");
  g_assert_true (
      json_object_get_null_member (json_node_get_object (out), "prevPage"));
  again = vi_annotation_page_new_from_json (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (again), ==, 5);
  for (i = 0; i < 5; i++)
    assert_annotations_equal (vi_annotation_page_get_item (page, i),
                              vi_annotation_page_get_item (again, i));
  g_assert_cmpstr (vi_annotation_page_get_next_page (again), ==, "tok/en=");
  g_assert_null (vi_annotation_page_get_prev_page (again));
}

static void
test_page_envelope (void)
{
  const struct {
    const char *json;
    guint       n_items;
    const char *next;
    const char *prev;
  } cases[] = {
    { "{}", 0, NULL, NULL },
    { "{\"items\": null, \"nextPage\": null}", 0, NULL, NULL },
    { "{\"items\": [], \"nextPage\": \"\"}", 0, NULL, NULL },
    { "{\"items\": [], \"nextPage\": \"abc\", \"prevPage\": \"\"}", 0, "abc",
      NULL },
    { "{\"nextPage\": \"x\", \"prevPage\": \"y\", \"page\": 1, \"page_size\": 10}",
      0, "x", "y" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonNode) node = parse (cases[i].json);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationPage)
        page = vi_annotation_page_new_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==,
                      cases[i].n_items);
    g_assert_cmpstr (vi_annotation_page_get_next_page (page), ==,
                     cases[i].next);
    g_assert_cmpstr (vi_annotation_page_get_prev_page (page), ==,
                     cases[i].prev);
    assert_same_page (cases[i].json);
  }
}

/* An unknown content kind and an unknown role do not fail the page. */
static void
test_page_unknown_kept (void)
{
  g_autofree char *json = g_strconcat ("{\"items\": [", ANNOTATION_BOX, ", ",
                                       ANNOTATION_UNKNOWN, ", ", ANNOTATION_VQA,
                                       ", ", ANNOTATION_CAPTION, "]}", NULL);
  g_autoptr (JsonNode) node = parse (json);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage)
      page = vi_annotation_page_new_from_json (node, &error);
  ViAnnotationSpec *spec;

  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 4);
  spec = vi_annotation_get_spec (vi_annotation_page_get_item (page, 1));
  g_assert_cmpint (vi_annotation_spec_get_role (spec), ==, VI_ROLE_UNKNOWN);
  g_assert_cmpstr (vi_annotation_spec_get_role_name (spec), ==, "Polygon");
  g_assert_cmpint (vi_annotation_content_get_kind (
                       vi_annotation_spec_get_contents (spec)),
                   ==, VI_CONTENT_KIND_UNKNOWN);
  g_assert_cmpstr (vi_annotation_get_annotation_id (
                       vi_annotation_page_get_item (page, 2)),
                   ==, "ann_q");
  g_assert_cmpstr (vi_annotation_get_annotation_id (
                       vi_annotation_page_get_item (page, 3)),
                   ==, "ann_1");
  assert_same_page (json);
}

static void
test_page_deep_error (void)
{
  g_autofree char *json = make_page (6, "");
  g_autoptr (JsonNode) node = parse_mutable (json);
  JsonArray  *items = json_object_get_array_member (json_node_get_object (node),
                                                    "items");
  JsonObject *contents;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (GError) error = NULL;

  /* items[3] is a caption: make it a box without `bound`. */
  contents = json_object_get_object_member (
      json_object_get_object_member (json_array_get_object_element (items, 3),
                                     "spec"),
      "contents");
  json_object_set_string_member (contents, "kind",
                                 "PhraseGroundingBoundingBox");
  json_object_set_array_member (contents, "target", json_array_new ());
  page = vi_annotation_page_new_from_json (node, &error);
  g_assert_null (page);
  assert_invalid_response (
      error,
      "invalid response: items[3].spec.contents.bound: missing required field");
  assert_same_page_node (node);
}

static void
test_page_private_new (void)
{
  g_autoptr (JsonNode) node = parse (ANNOTATION_BOX);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotation) a = vi_annotation_new_from_json (node, &error);
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (ViAnnotationPage) empty = _vi_annotation_page_new (NULL, "", NULL);

  /* The page keeps its own array and references. */
  g_ptr_array_add (items, a);
  page = _vi_annotation_page_new (items, "n", "p");
  g_ptr_array_set_size (items, 0);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 1);
  g_assert_true (vi_annotation_page_get_item (page, 0) == a);
  g_assert_cmpstr (vi_annotation_page_get_next_page (page), ==, "n");
  g_assert_cmpstr (vi_annotation_page_get_prev_page (page), ==, "p");
  g_assert_cmpuint (vi_annotation_page_get_n_items (empty), ==, 0);
  g_assert_null (vi_annotation_page_get_next_page (empty));
}

/* ------------------------------------------------------------------------
 * Import sessions
 * ------------------------------------------------------------------------ */

static void
assert_sessions_equal (ViAnnotationImportSession *a,
                       ViAnnotationImportSession *b)
{
  ViAnnotationImportSessionStatus *sa =
      vi_annotation_import_session_get_status (a);
  ViAnnotationImportSessionStatus *sb =
      vi_annotation_import_session_get_status (b);
  GPtrArray *ca = vi_annotation_import_session_status_get_conditions (sa);
  GPtrArray *cb = vi_annotation_import_session_status_get_conditions (sb);
  const ViAnnotationImportSpec *pa = vi_annotation_import_session_get_spec (a);
  const ViAnnotationImportSpec *pb = vi_annotation_import_session_get_spec (b);
  guint                         i;

  g_assert_cmpstr (vi_annotation_import_session_get_user (a), ==,
                   vi_annotation_import_session_get_user (b));
  g_assert_cmpstr (vi_annotation_import_session_get_organization_id (a), ==,
                   vi_annotation_import_session_get_organization_id (b));
  g_assert_cmpstr (vi_annotation_import_session_get_dataset_id (a), ==,
                   vi_annotation_import_session_get_dataset_id (b));
  g_assert_cmpstr (vi_annotation_import_session_get_session_id (a), ==,
                   vi_annotation_import_session_get_session_id (b));
  g_assert_cmpstr (vi_annotation_import_session_get_self_link (a), ==,
                   vi_annotation_import_session_get_self_link (b));
  g_assert_cmpstr (vi_annotation_import_session_get_etag (a), ==,
                   vi_annotation_import_session_get_etag (b));
  assert_metadata_equal (vi_annotation_import_session_get_metadata (a),
                         vi_annotation_import_session_get_metadata (b));
  g_assert_cmpint (pa->upload_before, ==, pb->upload_before);
  g_assert_cmpint (pa->failure_policies.on_bad_annotation, ==,
                   pb->failure_policies.on_bad_annotation);
  g_assert_cmpint (pa->failure_policies.on_bad_file, ==,
                   pb->failure_policies.on_bad_file);
  g_assert_cmpint (pa->failure_policies.on_overwritten, ==,
                   pb->failure_policies.on_overwritten);
  g_assert_cmpint (pa->source, ==, pb->source);

  g_assert_cmpuint (ca->len, ==, cb->len);
  for (i = 0; i < ca->len; i++) {
    const ViAnnotationImportSessionCondition *x = g_ptr_array_index (ca, i);
    const ViAnnotationImportSessionCondition *y = g_ptr_array_index (cb, i);

    g_assert_cmpstr (x->condition, ==, y->condition);
    g_assert_cmpint (x->status, ==, y->status);
    g_assert_cmpfloat (x->last_transition_time, ==, y->last_transition_time);
    g_assert_cmpint (x->reason, ==, y->reason);
    g_assert_cmpstr (x->reason_name, ==, y->reason_name);
  }
  g_assert_cmpint (vi_annotation_import_session_status_get_files (sa)
                       ->page_count,
                   ==,
                   vi_annotation_import_session_status_get_files (sb)
                       ->page_count);
  g_assert_cmpint (vi_annotation_import_session_status_get_files (sa)
                       ->total_size_bytes,
                   ==,
                   vi_annotation_import_session_status_get_files (sb)
                       ->total_size_bytes);
  assert_count_maps_equal (vi_annotation_import_session_status_get_files (sa)
                               ->status_count,
                           vi_annotation_import_session_status_get_files (sb)
                               ->status_count);
  assert_count_maps_equal (vi_annotation_import_session_status_get_annotations (
                               sa)
                               ->status_count,
                           vi_annotation_import_session_status_get_annotations (
                               sb)
                               ->status_count);
  g_assert_cmpstr (vi_annotation_import_session_status_get_reason (sa), ==,
                   vi_annotation_import_session_status_get_reason (sb));
}

static ViAnnotationImportSession *
session_round_trip (JsonNode *node)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationImportSession) first = NULL;
  g_autoptr (ViAnnotationImportSession) second = NULL;
  g_autoptr (JsonNode) out1 = NULL;
  g_autoptr (JsonNode) out2 = NULL;

  first = vi_annotation_import_session_new_from_json (node, &error);
  g_assert_no_error (error);
  out1 = vi_annotation_import_session_to_json (first);
  second = vi_annotation_import_session_new_from_json (out1, &error);
  g_assert_no_error (error);
  assert_sessions_equal (first, second);
  out2 = vi_annotation_import_session_to_json (second);
  g_assert_true (json_node_equal (out1, out2));
  return g_steal_pointer (&first);
}

static void
test_session_round_trip (void)
{
  g_autoptr (JsonNode) node = parse (SESSION);
  g_autoptr (ViAnnotationImportSession) s = session_round_trip (node);
  ViAnnotationImportSessionStatus *status =
      vi_annotation_import_session_get_status (s);
  GPtrArray *conditions = vi_annotation_import_session_status_get_conditions (
      status);
  const ViAnnotationImportSessionCondition *c;
  const ViAnnotationImportSpec *spec = vi_annotation_import_session_get_spec (
      s);
  g_autofree char *chain = vi_annotation_import_session_describe_conditions (s);

  g_assert_cmpstr (vi_annotation_import_session_get_user (s), ==, "user-1");
  g_assert_cmpstr (vi_annotation_import_session_get_organization_id (s), ==,
                   "ORG");
  g_assert_cmpstr (vi_annotation_import_session_get_dataset_id (s), ==, "DS");
  g_assert_cmpstr (vi_annotation_import_session_get_session_id (s), ==,
                   "sess_123");
  g_assert_cmpint (spec->upload_before, ==, 1767228900000);
  g_assert_cmpint (spec->failure_policies.on_bad_annotation, ==,
                   VI_FAILURE_POLICY_WARN);
  g_assert_cmpint (spec->failure_policies.on_bad_file, ==,
                   VI_FAILURE_POLICY_REJECT_FILE);
  g_assert_cmpint (spec->failure_policies.on_overwritten, ==,
                   VI_FAILURE_POLICY_REJECT_SESSION);
  g_assert_cmpint (spec->source, ==,
                   VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES);

  g_assert_cmpuint (conditions->len, ==, 2);
  c = g_ptr_array_index (conditions, 0);
  g_assert_cmpstr (c->condition, ==, "Complete");
  g_assert_cmpint (c->status, ==, VI_CONDITION_STATUS_REACHED);
  g_assert_cmpfloat (c->last_transition_time, ==, 1767225612500.0);
  g_assert_cmpint (c->reason, ==, VI_CONDITION_REASON_NONE);
  g_assert_null (c->reason_name);
  c = g_ptr_array_index (conditions, 1);
  g_assert_cmpfloat (c->last_transition_time, ==, 1767225600900.5);
  g_assert_cmpint (c->reason, ==, VI_CONDITION_REASON_CANCELLED_BY_USER);
  g_assert_cmpstr (c->reason_name, ==, "CancelledByUser");

  g_assert_cmpint (vi_annotation_import_session_status_get_files (status)
                       ->page_count,
                   ==, 2);
  g_assert_cmpint (vi_annotation_import_session_status_get_files (status)
                       ->total_size_bytes,
                   ==, 1048576);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Processed"),
                   ==, 2);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Failed"),
                   ==, 1);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Other"),
                   ==, 0);
  g_assert_cmpint (vi_annotation_import_session_status_get_annotation_count (
                       status, "Created"),
                   ==, 450);
  g_assert_cmpint (vi_annotation_import_session_status_get_total_annotations (
                       status),
                   ==, 453);
  g_assert_cmpstr (vi_annotation_import_session_status_get_reason (status), ==,
                   "some files had bad lines");

  g_assert_true (vi_annotation_import_session_is_complete (s));
  g_assert_false (vi_annotation_import_session_is_failed (s));
  /* Chronological: the wire lists the newest first. */
  g_assert_cmpstr (chain, ==,
                   "FilesInserted: Reached (CancelledByUser) -> Complete: Reached");
}

/* The §4.6 example, read and written back unchanged. */
static void
test_session_wire_form (void)
{
  const char *json =
      "{\"kind\": \"AnnotationImportSession\", \"user\": \"user-id-string\","
      " \"workspaceId\": \"ORG\", \"datasetId\": \"ORG_DS\","
      " \"annotationImportSessionId\": \"sess_123\","
      " \"selfLink\": \"/workspaces/ORG/datasets/ORG_DS/annotationImportSessions/sess_123\","
      " \"etag\": \"opaque\","
      " \"metadata\": {\"timeCreated\": 1767225600000, \"lastUpdated\": 1767225601000, \"generation\": 1, \"attributes\": {}},"
      " \"spec\": {\"uploadBefore\": 1767228900000,"
      "   \"failurePolicies\": {\"onBadAnnotation\": \"RejectSession\", \"onBadFile\": \"RejectSession\", \"onOverwritten\": \"RejectSession\"},"
      "   \"source\": \"UploadedIndividualFiles\"},"
      " \"status\": {\"conditions\": ["
      "     {\"condition\": \"Complete\", \"status\": \"Waiting\", \"lastTransitionTime\": 1767225601000},"
      "     {\"condition\": \"FilesInserted\", \"status\": \"Reached\", \"lastTransitionTime\": 1767225600900}],"
      "   \"files\": {\"pageCount\": 1, \"totalSizeBytes\": 18, \"statusCount\": {\"Processed\": 1}},"
      "   \"annotations\": {\"statusCount\": {\"Created\": 3}},"
      "   \"reason\": null}}";
  g_autoptr (JsonNode) node = parse (json);
  g_autoptr (ViAnnotationImportSession) s = session_round_trip (node);
  g_autoptr (JsonNode) out = vi_annotation_import_session_to_json (s);
  g_autofree char *chain = vi_annotation_import_session_describe_conditions (s);

  assert_json_equal (out, json);
  g_assert_false (vi_annotation_import_session_is_complete (s));
  g_assert_false (vi_annotation_import_session_is_failed (s));
  g_assert_cmpstr (chain, ==, "FilesInserted: Reached -> Complete: Waiting");
}

static void
test_session_unknown_values (void)
{
  g_autoptr (JsonNode) node = parse_mutable (SESSION);
  JsonObject *object = json_node_get_object (node);
  JsonObject *spec = json_object_get_object_member (object, "spec");
  JsonObject *status = json_object_get_object_member (object, "status");
  JsonObject *condition;
  g_autoptr (ViAnnotationImportSession) s = NULL;
  const ViAnnotationImportSessionCondition *c;
  g_autofree char                          *chain = NULL;

  json_object_remove_member (object, "kind");
  json_object_set_string_member (json_object_get_object_member (spec,
                                                                "failurePolicies"),
                                 "onBadFile", "Ignore");
  json_object_set_string_member (spec, "source", "Bucket");
  condition =
      json_array_get_object_element (json_object_get_array_member (status,
                                                                   "conditions"),
                                     0);
  json_object_set_string_member (condition, "status", "Paused");
  json_object_set_string_member (condition, "reason", "Timeout");
  json_object_set_string_member (condition, "condition", "Parsing");
  json_object_set_null_member (status, "reason");

  s = session_round_trip (node);
  g_assert_cmpint (vi_annotation_import_session_get_spec (s)
                       ->failure_policies.on_bad_file,
                   ==, VI_FAILURE_POLICY_UNKNOWN);
  g_assert_cmpint (vi_annotation_import_session_get_spec (s)->source, ==,
                   VI_ANNOTATION_IMPORT_SOURCE_UNKNOWN);
  c = g_ptr_array_index (vi_annotation_import_session_status_get_conditions (
                             vi_annotation_import_session_get_status (s)),
                         0);
  g_assert_cmpint (c->status, ==, VI_CONDITION_STATUS_UNKNOWN);
  g_assert_cmpint (c->reason, ==, VI_CONDITION_REASON_UNKNOWN);
  g_assert_cmpstr (c->reason_name, ==, "Timeout");
  g_assert_null (vi_annotation_import_session_status_get_reason (
      vi_annotation_import_session_get_status (s)));
  g_assert_false (vi_annotation_import_session_is_complete (s));
  chain = vi_annotation_import_session_describe_conditions (s);
  g_assert_cmpstr (
      chain, ==,
      "FilesInserted: Reached (CancelledByUser) -> Parsing: Unknown (Timeout)");

  /* `source` is optional and defaults to UploadedIndividualFiles. */
  g_clear_pointer (&s, vi_annotation_import_session_unref);
  json_object_remove_member (spec, "source");
  s = session_round_trip (node);
  g_assert_cmpint (vi_annotation_import_session_get_spec (s)->source, ==,
                   VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES);
}

static void
test_session_states (void)
{
  g_autoptr (JsonNode) node = parse_mutable (SESSION);
  JsonObject *status =
      json_object_get_object_member (json_node_get_object (node), "status");
  JsonArray *conditions = json_object_get_array_member (status, "conditions");
  g_autoptr (ViAnnotationImportSession) s = NULL;
  g_autofree char *chain = NULL;

  json_object_set_string_member (json_array_get_object_element (conditions, 0),
                                 "status", "FailedReach");
  s = session_round_trip (node);
  g_assert_true (vi_annotation_import_session_is_failed (s));
  g_assert_false (vi_annotation_import_session_is_complete (s));
  g_clear_pointer (&s, vi_annotation_import_session_unref);

  json_object_set_array_member (status, "conditions", json_array_new ());
  s = session_round_trip (node);
  g_assert_false (vi_annotation_import_session_is_failed (s));
  g_assert_false (vi_annotation_import_session_is_complete (s));
  chain = vi_annotation_import_session_describe_conditions (s);
  g_assert_cmpstr (chain, ==, "(no conditions)");
}

/* The result of an upload whose session is node. */
static ViAnnotationUploadResult *
upload_result_from (JsonNode *node)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationImportSession)
      session = vi_annotation_import_session_new_from_json (node, &error);

  g_assert_no_error (error);
  return vi_annotation_upload_result_new (session);
}

static void
test_upload_result (void)
{
  g_autoptr (JsonNode) node = parse_mutable (SESSION);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationImportSession)
      s = vi_annotation_import_session_new_from_json (node, &error);
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autofree char *summary = NULL;
  JsonObject      *condition;

  g_assert_no_error (error);
  result = vi_annotation_upload_result_new (s);
  g_assert_true (vi_annotation_upload_result_get_session (result) == s);
  g_assert_cmpstr (vi_annotation_upload_result_get_session_id (result), ==,
                   "sess_123");
  g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (result),
                   ==, 453);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  g_assert_cmpint (vi_annotation_upload_result_get_n_created (result), ==, 450);
  g_assert_cmpint (vi_annotation_upload_result_get_n_failed (result), ==, 3);
  g_assert_cmpint (vi_annotation_upload_result_get_n_failed_files (result), ==,
                   1);
  g_assert_false (vi_annotation_upload_result_is_all_created (result));

  /* Complete, but not everything was created: the summary says so, and
   * never counts a failed annotation as imported. */
  summary = vi_annotation_upload_result_summary (result);
  g_test_message ("%s", summary);
  g_assert_true (g_str_has_prefix (summary,
                                   "Annotation import complete, with "
                                   "failures\n"));
  g_assert_null (strstr (summary, "imported"));
  g_assert_nonnull (strstr (summary, "sess_123"));
  g_assert_nonnull (
      strstr (summary,
              "FilesInserted: Reached (CancelledByUser) -> Complete: Reached"));
  g_assert_nonnull (strstr (summary, "Files: 2 processed, 1 failed"));
  g_assert_nonnull (strstr (summary, "Annotations: 450 created, 3 failed\n"));
  g_assert_nonnull (strstr (summary, "1.00 MB"));
  g_assert_nonnull (strstr (summary, "Duration: 12.5s"));
  g_assert_nonnull (strstr (summary, "Created: 450"));
  g_assert_nonnull (strstr (summary, "Processed: 2"));
  g_assert_nonnull (strstr (summary, "Reason: some files had bad lines"));

  /* Nothing failed: complete, all created.  Nothing created: "0
   * created, 2 failed", not "2 imported". */
  {
    JsonObject *status_obj =
        json_object_get_object_member (json_node_get_object (node), "status");
    JsonObject *files_counts =
        json_object_get_object_member (json_object_get_object_member (status_obj,
                                                                      "files"),
                                       "statusCount");
    JsonObject *counts = json_object_get_object_member (
        json_object_get_object_member (status_obj, "annotations"),
        "statusCount");

    json_object_remove_member (files_counts, "Failed");
    json_object_remove_member (counts, "Failed");
    g_clear_pointer (&summary, g_free);
    g_clear_pointer (&result, vi_annotation_upload_result_unref);
    result = upload_result_from (node);
    g_assert_true (vi_annotation_upload_result_is_all_created (result));
    summary = vi_annotation_upload_result_summary (result);
    g_assert_true (g_str_has_prefix (summary, "Annotation import complete\n"));
    g_assert_nonnull (strstr (summary, "Annotations: 450 created, 0 failed\n"));

    json_object_set_int_member (counts, "Created", 0);
    json_object_set_int_member (counts, "Failed", 2);
    g_clear_pointer (&summary, g_free);
    g_clear_pointer (&result, vi_annotation_upload_result_unref);
    result = upload_result_from (node);
    g_assert_false (vi_annotation_upload_result_is_all_created (result));
    g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (result),
                     ==, 2);
    summary = vi_annotation_upload_result_summary (result);
    g_assert_nonnull (strstr (summary, "Annotations: 0 created, 2 failed\n"));
    g_assert_null (strstr (summary, "imported"));
  }

  /* Failed and in-progress sessions say so. */
  g_clear_pointer (&summary, g_free);
  g_clear_pointer (&result, vi_annotation_upload_result_unref);
  g_clear_pointer (&s, vi_annotation_import_session_unref);
  condition = json_array_get_object_element (
      json_object_get_array_member (
          json_object_get_object_member (json_node_get_object (node), "status"),
          "conditions"),
      0);
  json_object_set_string_member (condition, "status", "FailedReach");
  json_object_set_string_member (condition, "reason", "UserUploadErrored");
  s = vi_annotation_import_session_new_from_json (node, &error);
  g_assert_no_error (error);
  result = vi_annotation_upload_result_new (s);
  summary = vi_annotation_upload_result_summary (result);
  g_assert_true (g_str_has_prefix (summary, "Annotation import failed\n"));
  g_assert_nonnull (
      strstr (summary, "Complete: FailedReach (UserUploadErrored)"));

  g_clear_pointer (&summary, g_free);
  g_clear_pointer (&result, vi_annotation_upload_result_unref);
  g_clear_pointer (&s, vi_annotation_import_session_unref);
  json_object_set_string_member (condition, "status", "Waiting");
  json_object_remove_member (condition, "reason");
  s = vi_annotation_import_session_new_from_json (node, &error);
  g_assert_no_error (error);
  result = vi_annotation_upload_result_new (s);
  g_assert_false (vi_annotation_upload_result_is_complete (result));
  summary = vi_annotation_upload_result_summary (result);
  g_assert_true (g_str_has_prefix (summary, "Annotation import in progress\n"));
}

static void
test_session_private_new (void)
{
  g_autoptr (GPtrArray) conditions = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_import_session_condition_free);
  g_autoptr (GHashTable) files = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (ViAnnotationImportSessionStatus) status = NULL;
  g_autoptr (ViAnnotationImportSession) s = NULL;
  g_autoptr (ViAnnotationImportSession) back = NULL;
  g_autoptr (ViResourceMetadata) metadata = vi_resource_metadata_new (1, 2, 3);
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (GError) error = NULL;
  ViAnnotationImportSpec spec;
  gint64                 processed = 4;

  g_ptr_array_add (conditions,
                   vi_annotation_import_session_condition_new (
                       "Complete", VI_CONDITION_STATUS_WAITING, 5,
                       VI_CONDITION_REASON_NONE));
  g_hash_table_insert (files, (gpointer) "Processed", &processed);
  status = _vi_annotation_import_session_status_new (conditions, 1, 18, files,
                                                     NULL, NULL);
  /* Copied: the caller's containers can go. */
  g_ptr_array_set_size (conditions, 0);
  g_hash_table_remove_all (files);
  g_assert_cmpuint (vi_annotation_import_session_status_get_conditions (status)
                        ->len,
                    ==, 1);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Processed"),
                   ==, 4);
  g_assert_cmpint (vi_annotation_import_session_status_get_total_annotations (
                       status),
                   ==, 0);

  vi_annotation_import_spec_init_default (&spec);
  s = _vi_annotation_import_session_new ("u", "org", "ds", "sess", "/link",
                                         "etag", metadata, &spec, status);
  out = vi_annotation_import_session_to_json (s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (out),
                                                  "datasetId"),
                   ==, "org_ds");
  back = vi_annotation_import_session_new_from_json (out, &error);
  g_assert_no_error (error);
  assert_sessions_equal (s, back);
}

/* ------------------------------------------------------------------------
 * Exports
 * ------------------------------------------------------------------------ */

static void
assert_exports_equal (ViExportedAnnotations *a, ViExportedAnnotations *b)
{
  const ViExportSpec *sa = vi_exported_annotations_get_spec (a);
  const ViExportSpec *sb = vi_exported_annotations_get_spec (b);
  GPtrArray          *ca = vi_exported_annotations_get_conditions (a);
  GPtrArray          *cb = vi_exported_annotations_get_conditions (b);
  const ViExportedAnnotationsDownloadUrl *ua =
      vi_exported_annotations_get_download_url (a);
  const ViExportedAnnotationsDownloadUrl *ub =
      vi_exported_annotations_get_download_url (b);
  guint i;

  g_assert_cmpstr (vi_exported_annotations_get_kind (a), ==,
                   vi_exported_annotations_get_kind (b));
  g_assert_cmpstr (vi_exported_annotations_get_organization_id (a), ==,
                   vi_exported_annotations_get_organization_id (b));
  g_assert_cmpstr (vi_exported_annotations_get_dataset_id (a), ==,
                   vi_exported_annotations_get_dataset_id (b));
  g_assert_cmpstr (vi_exported_annotations_get_dataset_export_id (a), ==,
                   vi_exported_annotations_get_dataset_export_id (b));
  g_assert_cmpstr (vi_exported_annotations_get_self_link (a), ==,
                   vi_exported_annotations_get_self_link (b));
  g_assert_cmpstr (vi_exported_annotations_get_etag (a), ==,
                   vi_exported_annotations_get_etag (b));
  g_assert_cmpint (sa->format, ==, sb->format);
  g_assert_cmpint (sa->normalized, ==, sb->normalized);
  g_assert_cmpint (sa->has_split_ratio, ==, sb->has_split_ratio);
  g_assert_cmpfloat (sa->split_ratio, ==, sb->split_ratio);
  if (vi_exported_annotations_get_spec_json (a) != NULL)
    g_assert_true (json_node_equal (vi_exported_annotations_get_spec_json (a),
                                    vi_exported_annotations_get_spec_json (b)));
  g_assert_cmpuint (ca->len, ==, cb->len);
  for (i = 0; i < ca->len; i++) {
    const ViResourceCondition *x = g_ptr_array_index (ca, i);
    const ViResourceCondition *y = g_ptr_array_index (cb, i);

    g_assert_cmpstr (x->condition, ==, y->condition);
    g_assert_cmpint (x->status, ==, y->status);
    g_assert_cmpint (x->last_transition_time, ==, y->last_transition_time);
    g_assert_cmpstr (x->reason, ==, y->reason);
    g_assert_cmpstr (x->message, ==, y->message);
  }
  g_assert_true ((ua == NULL) == (ub == NULL));
  if (ua != NULL) {
    g_assert_cmpstr (ua->url, ==, ub->url);
    g_assert_cmpint (ua->expires_at, ==, ub->expires_at);
  }
  assert_metadata_equal (vi_exported_annotations_get_metadata (a),
                         vi_exported_annotations_get_metadata (b));
}

static ViExportedAnnotations *
export_round_trip (const char *json)
{
  g_autoptr (JsonNode) node = parse (json);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViExportedAnnotations) first = NULL;
  g_autoptr (ViExportedAnnotations) second = NULL;
  g_autoptr (JsonNode) out1 = NULL;
  g_autoptr (JsonNode) out2 = NULL;

  first = vi_exported_annotations_new_from_json (node, &error);
  g_assert_no_error (error);
  out1 = vi_exported_annotations_to_json (first);
  second = vi_exported_annotations_new_from_json (out1, &error);
  g_assert_no_error (error);
  assert_exports_equal (first, second);
  out2 = vi_exported_annotations_to_json (second);
  g_assert_true (json_node_equal (out1, out2));
  return g_steal_pointer (&first);
}

static void
test_export_done (void)
{
  g_autoptr (ViExportedAnnotations) e = export_round_trip (EXPORT_DONE);
  const ViExportSpec *spec = vi_exported_annotations_get_spec (e);
  const ViExportedAnnotationsDownloadUrl *url =
      vi_exported_annotations_get_download_url (e);
  GPtrArray *conditions = vi_exported_annotations_get_conditions (e);
  const ViResourceCondition *c;
  g_autoptr (JsonNode) out = vi_exported_annotations_to_json (e);

  g_assert_cmpstr (vi_exported_annotations_get_kind (e), ==, "DatasetExport");
  g_assert_cmpstr (vi_exported_annotations_get_dataset_id (e), ==, "DS");
  g_assert_cmpstr (vi_exported_annotations_get_dataset_export_id (e), ==,
                   "exp_1");
  g_assert_cmpint (spec->format, ==, VI_EXPORT_FORMAT_VI_JSONL);
  g_assert_true (spec->normalized);
  g_assert_true (spec->has_split_ratio);
  g_assert_cmpfloat (spec->split_ratio, ==, 0.75);
  g_assert_nonnull (vi_exported_annotations_get_spec_json (e));
  g_assert_nonnull (url);
  g_assert_cmpstr (url->url, ==, "https://example.com/export.zip");
  g_assert_cmpint (url->expires_at, ==, 1767229200000);
  g_assert_cmpuint (conditions->len, ==, 2);
  c = g_ptr_array_index (conditions, 0);
  g_assert_cmpstr (c->condition, ==, "Started");
  g_assert_cmpint (c->status, ==, VI_CONDITION_STATUS_REACHED);
  g_assert_cmpint (c->last_transition_time, ==, 10);
  g_assert_cmpstr (c->reason, ==, "Queued");
  g_assert_cmpstr (c->message, ==, "ok");
  c = g_ptr_array_index (conditions, 1);
  g_assert_null (c->reason);
  g_assert_null (c->message);
  /* The spec is written back as sent, unknown members included. */
  assert_json_equal (out, EXPORT_DONE);
}

static void
test_export_pending (void)
{
  g_autoptr (ViExportedAnnotations) e = export_round_trip (EXPORT_PENDING);
  const ViExportSpec *spec = vi_exported_annotations_get_spec (e);
  g_autoptr (JsonNode) out = vi_exported_annotations_to_json (e);
  g_autoptr (JsonNode) list = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *list_json = NULL;
  g_autofree char *next = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (vi_exported_annotations_get_download_url (e));
  g_assert_cmpint (spec->format, ==, VI_EXPORT_FORMAT_VI_FULL);
  g_assert_false (spec->normalized);
  g_assert_false (spec->has_split_ratio);
  g_assert_false (
      json_object_has_member (json_object_get_object_member (json_node_get_object (
                                                                 out),
                                                             "status"),
                              "downloadUrl"));

  list_json = g_strconcat ("{\"items\": [", EXPORT_DONE, ", ", EXPORT_PENDING,
                           "], \"nextPage\": \"p2\"}", NULL);
  list = parse (list_json);
  items = _vi_exported_annotations_list_from_json (list, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_cmpstr (vi_exported_annotations_get_dataset_export_id (
                       g_ptr_array_index (items, 1)),
                   ==, "exp_2");
  g_assert_cmpstr (next, ==, "p2");
}

static void
test_export_private_new (void)
{
  ViExportSpec spec = { VI_EXPORT_FORMAT_VI_TFRECORD, TRUE, TRUE, 0.5 };
  ViExportedAnnotationsDownloadUrl url = { (char *) "https://u", 99 };
  g_autoptr (ViExportedAnnotations) e = NULL;
  g_autoptr (ViExportedAnnotations) back = NULL;
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (GError) error = NULL;

  e = _vi_exported_annotations_new ("org", "ds", "exp", &spec, NULL, NULL, &url,
                                    NULL, "/l", "e");
  g_assert_null (vi_exported_annotations_get_spec_json (e));
  out = vi_exported_annotations_to_json (e);
  assert_json_equal (
      json_object_get_member (json_node_get_object (out), "spec"),
      "{\"format\": \"ViTfrecord\", \"options\": {\"normalized\": true, \"splitRatio\": 0.5}}");
  back = vi_exported_annotations_new_from_json (out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_exported_annotations_get_dataset_id (back), ==, "ds");
  g_assert_cmpint (vi_exported_annotations_get_spec (back)->format, ==,
                   VI_EXPORT_FORMAT_VI_TFRECORD);
  g_assert_cmpint (vi_exported_annotations_get_download_url (back)->expires_at,
                   ==, 99);
}

/* ------------------------------------------------------------------------
 * Signed uploads and request bodies
 * ------------------------------------------------------------------------ */

static void
test_signed_uploads (void)
{
  g_autoptr (JsonNode) node = parse (SIGNED_UPLOADS);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) uploads = _vi_signed_uploads_from_json (node, &error);
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (ViSignedUpload) copy = NULL;
  const ViSignedUpload *u;
  GList                *members;
  guint                 i;

  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 3);
  /* The server's order, not sorted. */
  g_assert_cmpstr (((ViSignedUpload *) g_ptr_array_index (uploads, 0))->name,
                   ==, "z.jsonl");
  g_assert_cmpstr (((ViSignedUpload *) g_ptr_array_index (uploads, 1))->name,
                   ==, "a.jsonl");
  g_assert_cmpstr (((ViSignedUpload *) g_ptr_array_index (uploads, 2))->name,
                   ==, "m.json");
  u = g_ptr_array_index (uploads, 0);
  g_assert_cmpstr (u->method, ==, "PUT");
  g_assert_cmpstr (u->url, ==, "https://s/z");
  g_assert_cmpstr (g_hash_table_lookup (u->headers, "x-goog-hash"), ==,
                   "crc32c=XTnF0A==");
  u = g_ptr_array_index (uploads, 1);
  g_assert_cmpstr (u->method, ==, "POST");
  g_assert_cmpuint (g_hash_table_size (u->headers), ==, 0);

  copy = vi_signed_upload_copy (g_ptr_array_index (uploads, 0));
  g_assert_cmpstr (copy->url, ==, "https://s/z");
  g_assert_cmpuint (g_hash_table_size (copy->headers), ==, 2);

  out = _vi_signed_uploads_to_json (uploads);
  assert_json_equal (out, SIGNED_UPLOADS);
  members = json_object_get_members (
      json_object_get_object_member (json_node_get_object (out), "files"));
  g_assert_cmpstr (members->data, ==, "z.jsonl");
  g_assert_cmpstr (members->next->data, ==, "a.jsonl");
  g_list_free (members);
  again = _vi_signed_uploads_from_json (out, &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++) {
    const ViSignedUpload *x = g_ptr_array_index (uploads, i);
    const ViSignedUpload *y = g_ptr_array_index (again, i);

    g_assert_cmpstr (x->name, ==, y->name);
    g_assert_cmpstr (x->method, ==, y->method);
    g_assert_cmpstr (x->url, ==, y->url);
    assert_string_maps_equal (x->headers, y->headers);
  }
}

static void
test_body_create_session (void)
{
  ViAnnotationImportSpec spec = {
    1767229200000,
    { VI_FAILURE_POLICY_REJECT_SESSION, VI_FAILURE_POLICY_REJECT_SESSION,
      VI_FAILURE_POLICY_REJECT_SESSION },
    VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES
  };
  g_autoptr (GHashTable)
      attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonNode) body = _vi_import_session_create_body (&spec, NULL);
  GList *members;

  assert_json_equal (
      body,
      "{\"spec\": {\"uploadBefore\": 1767229200000,"
      "  \"failurePolicies\": {\"onBadAnnotation\": \"RejectSession\","
      "    \"onBadFile\": \"RejectSession\", \"onOverwritten\": \"RejectSession\"},"
      "  \"source\": \"UploadedIndividualFiles\"},"
      " \"metadata\": {\"attributes\": {}}}");
  /* Field order as the SDK sends it. */
  members = json_object_get_members (json_node_get_object (body));
  g_assert_cmpstr (members->data, ==, "spec");
  g_assert_cmpstr (members->next->data, ==, "metadata");
  g_list_free (members);
  g_clear_pointer (&body, json_node_unref);

  spec.failure_policies.on_bad_annotation = VI_FAILURE_POLICY_WARN;
  spec.failure_policies.on_bad_file = VI_FAILURE_POLICY_REJECT_FILE;
  g_hash_table_insert (attributes, (gpointer) "origin", (gpointer) "gst");
  body = _vi_import_session_create_body (&spec, attributes);
  assert_json_equal (
      body,
      "{\"spec\": {\"uploadBefore\": 1767229200000,"
      "  \"failurePolicies\": {\"onBadAnnotation\": \"Warn\","
      "    \"onBadFile\": \"RejectFile\", \"onOverwritten\": \"RejectSession\"},"
      "  \"source\": \"UploadedIndividualFiles\"},"
      " \"metadata\": {\"attributes\": {\"origin\": \"gst\"}}}");
}

static void
test_body_files (void)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_import_file_spec_free);
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) empty = _vi_import_files_body (NULL);
  GList      *members, *l;
  const char *order[] = { "zeta.jsonl", "annotations.jsonl", "b.json" };
  guint       i;

  g_ptr_array_add (files,
                   vi_annotation_import_file_spec_new ("zeta.jsonl", 10,
                                                       "AAAAAA=="));
  g_ptr_array_add (files,
                   vi_annotation_import_file_spec_new ("annotations.jsonl", 18,
                                                       "XTnF0A=="));
  g_ptr_array_add (files,
                   vi_annotation_import_file_spec_new ("b.json", 0,
                                                       "AAAAAA=="));
  body = _vi_import_files_body (files);
  assert_json_equal (
      body,
      "{\"files\": {"
      " \"zeta.jsonl\": {\"sizeBytes\": 10, \"crc32c\": \"AAAAAA==\", \"kind\": \"Unknown\"},"
      " \"annotations.jsonl\": {\"sizeBytes\": 18, \"crc32c\": \"XTnF0A==\", \"kind\": \"Unknown\"},"
      " \"b.json\": {\"sizeBytes\": 0, \"crc32c\": \"AAAAAA==\", \"kind\": \"Unknown\"}}}");
  members = json_object_get_members (
      json_object_get_object_member (json_node_get_object (body), "files"));
  for (l = members, i = 0; l != NULL; l = l->next, i++)
    g_assert_cmpstr (l->data, ==, order[i]);
  g_assert_cmpuint (i, ==, 3);
  g_list_free (members);

  assert_json_equal (empty, "{\"files\": {}}");
}

static void
test_body_patch_status (void)
{
  g_autoptr (ViAnnotationImportSessionCondition) ok = NULL;
  g_autoptr (ViAnnotationImportSessionCondition) failed = NULL;
  g_autoptr (JsonNode) body = NULL;

  ok = vi_annotation_import_session_condition_new ("FilesInserted",
                                                   VI_CONDITION_STATUS_REACHED,
                                                   1767225600123.0,
                                                   VI_CONDITION_REASON_NONE);
  body = _vi_patch_status_body (ok);
  assert_json_equal (
      body,
      "{\"status\": {\"conditions\": ["
      "  {\"condition\": \"FilesInserted\", \"status\": \"Reached\", \"lastTransitionTime\": 1767225600123}]}}");
  /* An integer on the wire, not 1767225600123.0. */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (
                       json_array_get_object_element (
                           json_object_get_array_member (
                               json_object_get_object_member (json_node_get_object (
                                                                  body),
                                                              "status"),
                               "conditions"),
                           0),
                       "lastTransitionTime")),
                   ==, G_TYPE_INT64);
  g_clear_pointer (&body, json_node_unref);

  failed = vi_annotation_import_session_condition_new (
      "FilesInserted", VI_CONDITION_STATUS_FAILED_REACH, 1767225600123.7,
      VI_CONDITION_REASON_USER_UPLOAD_ERRORED);
  body = _vi_patch_status_body (failed);
  assert_json_equal (
      body,
      "{\"status\": {\"conditions\": ["
      "  {\"condition\": \"FilesInserted\", \"status\": \"FailedReach\", \"lastTransitionTime\": 1767225600123,"
      "   \"reason\": \"UserUploadErrored\"}]}}");
  g_clear_pointer (&body, json_node_unref);

  failed->reason = VI_CONDITION_REASON_CANCELLED_BY_USER;
  g_free (failed->reason_name);
  failed->reason_name = NULL;
  body = _vi_patch_status_body (failed);
  assert_json_equal (
      body,
      "{\"status\": {\"conditions\": ["
      "  {\"condition\": \"FilesInserted\", \"status\": \"FailedReach\", \"lastTransitionTime\": 1767225600123,"
      "   \"reason\": \"CancelledByUser\"}]}}");
}

static void
test_body_export (void)
{
  ViExportSpec spec = { VI_EXPORT_FORMAT_VI_JSONL, TRUE, FALSE, 0.0 };
  g_autoptr (JsonNode) body = _vi_export_create_body (&spec);

  assert_json_equal (
      body,
      "{\"spec\": {\"format\": \"ViJsonl\", \"options\": {\"normalized\": true, \"splitRatio\": null}}}");
  g_clear_pointer (&body, json_node_unref);

  spec.format = VI_EXPORT_FORMAT_VI_FULL;
  spec.has_split_ratio = TRUE;
  spec.split_ratio = 0.8;
  body = _vi_export_create_body (&spec);
  assert_json_equal (
      body,
      "{\"spec\": {\"format\": \"ViFull\", \"options\": {\"normalized\": true, \"splitRatio\": 0.8}}}");
}

/* ------------------------------------------------------------------------
 * Strictness: one fault at a time, the exact path in the message
 * ------------------------------------------------------------------------ */

typedef enum {
  DOC_ANNOTATION,
  DOC_PAGE,
  DOC_SESSION,
  DOC_EXPORT,
  DOC_UPLOADS,
} DocType;

/* Parses node as a document of that type; TRUE on success. */
static gboolean
parse_as (DocType type, JsonNode *node, GError **error)
{
  switch (type) {
    case DOC_ANNOTATION: {
      g_autoptr (ViAnnotation) a = vi_annotation_new_from_json (node, error);
      return a != NULL;
    }
    case DOC_PAGE: {
      g_autoptr (ViAnnotationPage)
          p = vi_annotation_page_new_from_json (node, error);
      return p != NULL;
    }
    case DOC_SESSION: {
      g_autoptr (ViAnnotationImportSession)
          s = vi_annotation_import_session_new_from_json (node, error);
      return s != NULL;
    }
    case DOC_EXPORT: {
      g_autoptr (ViExportedAnnotations)
          e = vi_exported_annotations_new_from_json (node, error);
      return e != NULL;
    }
    case DOC_UPLOADS:
    default: {
      g_autoptr (GPtrArray) u = _vi_signed_uploads_from_json (node, error);
      return u != NULL;
    }
  }
}

static JsonNode *
node_at (JsonNode *root, char **parts, guint n_parts)
{
  JsonNode *node = root;
  guint     i;

  for (i = 0; i < n_parts; i++) {
    if (JSON_NODE_HOLDS_ARRAY (node))
      node = json_array_get_element (json_node_get_array (node),
                                     atoi (parts[i]));
    else
      node = json_object_get_member (json_node_get_object (node), parts[i]);
    g_assert_nonnull (node);
  }
  return node;
}

/* Replaces (value != NULL) or removes the node at slash-separated path. */
static void
mutate (JsonNode *root, const char *path, const char *value)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint     n = g_strv_length (parts);
  JsonNode *parent = node_at (root, parts, n - 1);
  JsonNode *replacement = value != NULL ? parse_mutable (value) : NULL;

  if (JSON_NODE_HOLDS_ARRAY (parent)) {
    JsonArray *array = json_node_get_array (parent);
    guint      index = atoi (parts[n - 1]);

    g_assert_nonnull (replacement);
    g_assert_cmpuint (index, <, json_array_get_length (array));
    /* No json_array_set_element in 1.6: rebuild the array. */
    {
      JsonArray *copy = json_array_new ();
      guint      i;

      for (i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (copy,
                                i == index
                                    ? json_node_ref (replacement)
                                    : json_node_copy (
                                          json_array_get_element (array, i)));
      json_node_take_array (parent, copy);
    }
    json_node_unref (replacement);
  } else if (replacement != NULL) {
    json_object_set_member (json_node_get_object (parent), parts[n - 1],
                            replacement);
  } else {
    g_assert_true (
        json_object_has_member (json_node_get_object (parent), parts[n - 1]));
    json_object_remove_member (json_node_get_object (parent), parts[n - 1]);
  }
}

static const char *
base_document (DocType type)
{
  static char *page = NULL;

  switch (type) {
    case DOC_ANNOTATION:
      return ANNOTATION_BOX;
    case DOC_PAGE:
      if (page == NULL)
        page = make_page (6, ", \"nextPage\": \"t\"");
      return page;
    case DOC_SESSION:
      return SESSION;
    case DOC_EXPORT:
      return EXPORT_DONE;
    case DOC_UPLOADS:
    default:
      return SIGNED_UPLOADS;
  }
}

static void
test_field_errors (void)
{
  const struct {
    DocType     type;
    const char *path;
    const char *value;   /* NULL: remove */
    const char *message; /* after "invalid response: " */
  } cases[] = {
    { DOC_ANNOTATION, "annotationId", NULL,
      "annotationId: missing required field" },
    { DOC_ANNOTATION, "assetId", "5",
      "assetId: expected a string, got a number" },
    { DOC_ANNOTATION, "workspaceId", "null",
      "workspaceId: expected a string, got null" },
    { DOC_ANNOTATION, "datasetId", "{}",
      "datasetId: expected a string, got an object" },
    { DOC_ANNOTATION, "spec", "\"box\"",
      "spec: expected an object, got a string" },
    { DOC_ANNOTATION, "spec/boundType", NULL,
      "spec.boundType: missing required field" },
    { DOC_ANNOTATION, "spec/tag", "1.5",
      "spec.tag: expected an integer, got a floating-point number" },
    { DOC_ANNOTATION, "spec/tag", "1.0",
      "spec.tag: expected an integer, got a floating-point number" },
    { DOC_ANNOTATION, "spec/aggregation", NULL,
      "spec.aggregation: missing required field" },
    { DOC_ANNOTATION, "spec/aggregation/whole/id", NULL,
      "spec.aggregation.whole.id: missing required field" },
    { DOC_ANNOTATION, "spec/aggregation/thisPart/role", "[]",
      "spec.aggregation.thisPart.role: expected a string, got an array" },
    { DOC_ANNOTATION, "spec/contents", "[]",
      "spec.contents: expected an object, got an array" },
    { DOC_ANNOTATION, "spec/contents/kind", NULL,
      "spec.contents.kind: missing required field" },
    { DOC_ANNOTATION, "spec/contents/kind", "null",
      "spec.contents.kind: expected a string, got null" },
    { DOC_ANNOTATION, "spec/contents/bound", NULL,
      "spec.contents.bound: missing required field" },
    /* A bound of another shape keeps the part (test_bound_other_shape);
     * a null one is a missing required field, whatever the target. */
    { DOC_ANNOTATION, "spec/contents/bound", "null",
      "spec.contents.bound: expected an array, got null" },
    { DOC_ANNOTATION, "spec/contents/target", "[1]",
      "spec.contents.target: expected 2 integers, got 1 elements" },
    { DOC_ANNOTATION, "spec/contents/target", NULL,
      "spec.contents.target: missing required field" },
    { DOC_ANNOTATION, "spec/contents/target", "[1, 2, 3]",
      "spec.contents.target: expected 2 integers, got 3 elements" },
    { DOC_ANNOTATION, "spec/contents/target", "{\"start\": 1}",
      "spec.contents.target: expected an array, got an object" },
    { DOC_ANNOTATION, "spec/contents/target/1", "2.5",
      "spec.contents.target[1]: expected an integer, got a floating-point number" },
    { DOC_ANNOTATION, "spec/contents/target/0", "99999999999",
      "spec.contents.target[0]: integer out of range" },
    { DOC_ANNOTATION, "metadata", NULL, "metadata: missing required field" },
    { DOC_ANNOTATION, "metadata/timeCreated", "\"2026\"",
      "metadata.timeCreated: expected an integer, got a string" },
    { DOC_ANNOTATION, "metadata/generation", NULL,
      "metadata.generation: missing required field" },
    { DOC_ANNOTATION, "metadata/attributes", NULL,
      "metadata.attributes: missing required field" },
    { DOC_ANNOTATION, "metadata/attributes/source", "1",
      "metadata.attributes.source: expected a string, got a number" },
    { DOC_ANNOTATION, "selfLink", NULL, "selfLink: missing required field" },
    { DOC_ANNOTATION, "etag", "true",
      "etag: expected a string, got a boolean" },
    { DOC_ANNOTATION, "kind", "\"Annotations\"",
      "kind: expected \"Annotation\", got \"Annotations\"" },

    { DOC_PAGE, "items", "{}", "items: expected an array, got an object" },
    { DOC_PAGE, "items/2", "null", "items[2]: expected an object, got null" },
    { DOC_PAGE, "items/3", "\"annotation\"",
      "items[3]: expected an object, got a string" },
    { DOC_PAGE, "items/4/spec/contents/bound", NULL,
      "items[4].spec.contents.bound: missing required field" },
    { DOC_PAGE, "items/5/metadata/lastUpdated", NULL,
      "items[5].metadata.lastUpdated: missing required field" },
    { DOC_PAGE, "items/1/kind", "\"DatasetExport\"",
      "items[1].kind: expected \"Annotation\", got \"DatasetExport\"" },
    { DOC_PAGE, "nextPage", "5", "nextPage: expected a string, got a number" },
    { DOC_PAGE, "nextPage", "[\"a\"]",
      "nextPage: expected a string, got an array" },

    { DOC_SESSION, "kind", "\"Annotation\"",
      "kind: expected \"AnnotationImportSession\", got \"Annotation\"" },
    { DOC_SESSION, "user", NULL, "user: missing required field" },
    { DOC_SESSION, "annotationImportSessionId", "7",
      "annotationImportSessionId: expected a string, got a number" },
    { DOC_SESSION, "spec/uploadBefore", "\"soon\"",
      "spec.uploadBefore: expected an integer, got a string" },
    { DOC_SESSION, "spec/failurePolicies/onBadFile", NULL,
      "spec.failurePolicies.onBadFile: missing required field" },
    { DOC_SESSION, "spec/failurePolicies", NULL,
      "spec.failurePolicies: missing required field" },
    { DOC_SESSION, "spec/source", "1",
      "spec.source: expected a string, got a number" },
    { DOC_SESSION, "status", NULL, "status: missing required field" },
    { DOC_SESSION, "status/conditions", NULL,
      "status.conditions: missing required field" },
    { DOC_SESSION, "status/conditions/1/lastTransitionTime", NULL,
      "status.conditions[1].lastTransitionTime: missing required field" },
    { DOC_SESSION, "status/conditions/1/lastTransitionTime", "\"now\"",
      "status.conditions[1].lastTransitionTime: expected a number, got a string" },
    { DOC_SESSION, "status/conditions/0/status", "3",
      "status.conditions[0].status: expected a string, got a number" },
    { DOC_SESSION, "status/conditions/0/reason", "{}",
      "status.conditions[0].reason: expected a string, got an object" },
    { DOC_SESSION, "status/files/pageCount", NULL,
      "status.files.pageCount: missing required field" },
    { DOC_SESSION, "status/files/statusCount/Processed", "\"2\"",
      "status.files.statusCount.Processed: expected an integer, got a string" },
    { DOC_SESSION, "status/annotations", NULL,
      "status.annotations: missing required field" },
    { DOC_SESSION, "status/annotations/statusCount", NULL,
      "status.annotations.statusCount: missing required field" },
    { DOC_SESSION, "status/reason", "5",
      "status.reason: expected a string, got a number" },
    { DOC_SESSION, "metadata/attributes", "[]",
      "metadata.attributes: expected an object, got an array" },

    { DOC_EXPORT, "kind", "\"Export\"",
      "kind: expected \"DatasetExport\", got \"Export\"" },
    { DOC_EXPORT, "datasetExportId", NULL,
      "datasetExportId: missing required field" },
    { DOC_EXPORT, "spec", "[]", "spec: expected an object, got an array" },
    { DOC_EXPORT, "spec/options", NULL,
      "spec.options: missing required field" },
    { DOC_EXPORT, "spec/options/normalized", NULL,
      "spec.options.normalized: missing required field" },
    { DOC_EXPORT, "spec/options/normalized", "1",
      "spec.options.normalized: expected a boolean, got a number" },
    { DOC_EXPORT, "spec/options/splitRatio", "\"half\"",
      "spec.options.splitRatio: expected a number, got a string" },
    { DOC_EXPORT, "status/conditions/0/lastTransitionTime", "1.5",
      "status.conditions[0].lastTransitionTime: expected an integer, got a floating-point number" },
    { DOC_EXPORT, "status/conditions/1/condition", NULL,
      "status.conditions[1].condition: missing required field" },
    { DOC_EXPORT, "status/downloadUrl/expiresAt", NULL,
      "status.downloadUrl.expiresAt: missing required field" },
    { DOC_EXPORT, "status/downloadUrl/url", "null",
      "status.downloadUrl.url: expected a string, got null" },
    { DOC_EXPORT, "metadata", NULL, "metadata: missing required field" },
    { DOC_EXPORT, "etag", NULL, "etag: missing required field" },

    { DOC_UPLOADS, "files", NULL, "files: missing required field" },
    { DOC_UPLOADS, "files/a.jsonl/url", NULL,
      "files[\"a.jsonl\"].url: missing required field" },
    { DOC_UPLOADS, "files/z.jsonl/headers", NULL,
      "files[\"z.jsonl\"].headers: missing required field" },
    { DOC_UPLOADS, "files/m.json/method", "1",
      "files[\"m.json\"].method: expected a string, got a number" },
    { DOC_UPLOADS, "files/z.jsonl/headers/x-goog-hash", "[]",
      "files[\"z.jsonl\"].headers[\"x-goog-hash\"]: expected a string, got an array" },
    { DOC_UPLOADS, "files/a.jsonl", "\"https://x\"",
      "files[\"a.jsonl\"]: expected an object, got a string" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonNode) node = parse_mutable (base_document (cases[i].type));
    g_autoptr (GError) error = NULL;
    g_autofree char *expected =
        g_strconcat ("invalid response: ", cases[i].message, NULL);

    /* The unchanged document parses. */
    g_assert_true (parse_as (cases[i].type, node, &error));
    g_assert_no_error (error);

    mutate (node, cases[i].path, cases[i].value);
    g_assert_false (parse_as (cases[i].type, node, &error));
    if (error == NULL || g_strcmp0 (error->message, expected) != 0)
      g_printerr ("case %u (%s): got \"%s\"\n", i, cases[i].path,
                  error != NULL ? error->message : "(no error)");
    assert_invalid_response (error, expected);

    /* The direct reader says the same, also for an annotation on a page. */
    if (cases[i].type == DOC_PAGE) {
      assert_same_page_node (node);
    } else if (cases[i].type == DOC_ANNOTATION) {
      g_autofree char *item = json_to_string (node, FALSE);
      g_autofree char *page = g_strconcat ("{\"items\": [" ANNOTATION_CAPTION
                                           ", ",
                                           item, "]}", NULL);

      assert_same_page (page);
    }
  }
}

/* A `bound` that is there but not a list of [x, y] points (one list of
 * four numbers, a point of three, a string...) keeps the part: target
 * read, no points, the contents as sent, and a word on what was not read;
 * both readers agree, and the JSON goes back as it came. */
static void
test_bound_other_shape (void)
{
  const struct {
    const char *path;
    const char *value;
  } cases[] = {
    { "spec/contents/bound", "[0.1, 0.2, 0.5, 0.7]" },
    { "spec/contents/bound", "[]" },
    { "spec/contents/bound", "{\"x\": 1}" },
    { "spec/contents/bound", "\"0.1 0.2 0.5 0.7\"" },
    { "spec/contents/bound/1", "[0.5]" },
    { "spec/contents/bound/2", "[0.5, 0.5, 0.5]" },
    { "spec/contents/bound/2", "[\"x\", 0.5]" },
    { "spec/contents/bound/3", "[0.5, 1e309]" },
    { "spec/contents/bound/0", "null" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonNode) node = parse_mutable (ANNOTATION_BOX);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotation) a = NULL;
    g_autoptr (ViAnnotation) back = NULL;
    g_autoptr (JsonNode) out = NULL;
    g_autofree char     *item = NULL;
    g_autofree char     *page = NULL;
    g_autofree char     *text = NULL;
    ViAnnotationContent *c;
    JsonNode            *raw;
    ViBBox               bbox;
    gsize                n_points = 99;
    int                  start, end;

    g_test_message ("case %u: %s = %s", i, cases[i].path, cases[i].value);
    mutate (node, cases[i].path, cases[i].value);
    a = vi_annotation_new_from_json (node, &error);
    g_assert_no_error (error);
    c = vi_annotation_spec_get_contents (vi_annotation_get_spec (a));
    g_assert_cmpint (vi_annotation_content_get_kind (c), ==,
                     VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX);
    g_assert_cmpstr (vi_annotation_content_get_unread (c), ==,
                     "bound: not a list of [x, y] points");
    g_assert_null (vi_annotation_content_get_bound (c, &n_points));
    g_assert_cmpuint (n_points, ==, 0);
    g_assert_false (vi_annotation_content_get_bbox (c, &bbox));
    g_assert_true (vi_annotation_content_get_target (c, &start, &end));
    g_assert_cmpint (start, ==, 2);
    g_assert_cmpint (end, ==, 5);
    raw = vi_annotation_content_get_raw_json (c);
    g_assert_nonnull (raw);
    g_assert_true (
        json_node_equal (raw,
                         json_object_get_member (json_object_get_object_member (
                                                     json_node_get_object (node),
                                                     "spec"),
                                                 "contents")));

    /* Written back as it came, and read again the same way. */
    out = vi_annotation_to_json (a);
    g_assert_true (json_node_equal (out, node));
    back = vi_annotation_new_from_json (out, &error);
    g_assert_no_error (error);
    assert_annotations_equal (a, back);
    text = vi_annotation_to_string (a);
    g_assert_nonnull (strstr (text, "not a list of [x, y] points"));

    /* The direct reader keeps it too, on a page with a good item. */
    item = json_to_string (node, FALSE);
    page = g_strconcat ("{\"items\": [" ANNOTATION_CAPTION ", ", item, "]}",
                        NULL);
    assert_same_page (page);
  }

  /* Everything read: nothing unread, no raw JSON. */
  {
    g_autoptr (ViAnnotation) box = annotation_round_trip (ANNOTATION_BOX);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (
        vi_annotation_get_spec (box));

    g_assert_null (vi_annotation_content_get_unread (c));
    g_assert_null (vi_annotation_content_get_raw_json (c));
  }
}

/* An export whose spec has no format (or not a string) is kept, with the
 * format unknown and a word on what was not read; the spec goes back as
 * it came. */
static void
test_export_spec_without_format (void)
{
  const char *values[] = { NULL, "null", "1", "[\"ViJsonl\"]" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
    g_autoptr (JsonNode) node = parse_mutable (EXPORT_DONE);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViExportedAnnotations) e = NULL;
    g_autoptr (JsonNode) out = NULL;

    mutate (node, "spec/format", values[i]);
    e = vi_exported_annotations_new_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_cmpint (vi_exported_annotations_get_spec (e)->format, ==,
                     VI_EXPORT_FORMAT_UNKNOWN);
    g_assert_true (vi_exported_annotations_get_spec (e)->normalized);
    g_assert_cmpstr (vi_exported_annotations_get_unread (e), ==,
                     "spec.format: missing or not a string");
    out = vi_exported_annotations_to_json (e);
    g_assert_true (
        json_node_equal (json_object_get_member (json_node_get_object (out),
                                                 "spec"),
                         json_object_get_member (json_node_get_object (node),
                                                 "spec")));
  }

  {
    g_autoptr (JsonNode) node = parse_mutable (EXPORT_DONE);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViExportedAnnotations) e = NULL;
    g_autoptr (GPtrArray) list = NULL;
    g_autoptr (JsonNode) page = NULL;
    g_autofree char *item = NULL;
    g_autofree char *json = NULL;
    char            *next = NULL;

    /* A known format is read; an unknown name is not "unread". */
    e = vi_exported_annotations_new_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_null (vi_exported_annotations_get_unread (e));
    g_clear_pointer (&e, vi_exported_annotations_unref);
    mutate (node, "spec/format", "\"ViParquet\"");
    e = vi_exported_annotations_new_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_cmpint (vi_exported_annotations_get_spec (e)->format, ==,
                     VI_EXPORT_FORMAT_UNKNOWN);
    g_assert_null (vi_exported_annotations_get_unread (e));

    /* In a list, the other exports are not lost. */
    mutate (node, "spec/format", NULL);
    item = json_to_string (node, FALSE);
    json = g_strconcat ("{\"items\": [" EXPORT_DONE ", ", item, "]}", NULL);
    page = parse (json);
    list = _vi_exported_annotations_list_from_json (page, &next, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 2);
    g_assert_null (vi_exported_annotations_get_unread (list->pdata[0]));
    g_assert_nonnull (vi_exported_annotations_get_unread (list->pdata[1]));
    g_free (next);
  }
}

/* ------------------------------------------------------------------------
 * Hostile input: every node of every document replaced by every kind of
 * wrong value, and every member removed, one at a time.  Each must parse
 * or fail with VI_ERROR_INVALID_RESPONSE; nothing may crash or leak.
 * ------------------------------------------------------------------------ */

static void
collect_paths (JsonNode *node, const char *prefix, GPtrArray *paths)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObjectIter iter;
    const char    *name;
    JsonNode      *child;

    json_object_iter_init_ordered (&iter, json_node_get_object (node));
    while (json_object_iter_next_ordered (&iter, &name, &child)) {
      char *path = *prefix != '\0' ? g_strconcat (prefix, "/", name, NULL)
                                   : g_strdup (name);

      g_ptr_array_add (paths, path);
      collect_paths (child, path, paths);
    }
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    guint      i;

    for (i = 0; i < json_array_get_length (array); i++) {
      char *path = *prefix != '\0' ? g_strdup_printf ("%s/%u", prefix, i)
                                   : g_strdup_printf ("%u", i);

      g_ptr_array_add (paths, path);
      collect_paths (json_array_get_element (array, i), path, paths);
    }
  }
}

static void
assert_parse_or_invalid (DocType type, JsonNode *node)
{
  g_autoptr (GError) error = NULL;

  if (!parse_as (type, node, &error)) {
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    g_assert_true (g_str_has_prefix (error->message, "invalid response: "));
  } else {
    g_assert_no_error (error);
  }
}

static gboolean
path_is_in (const char *path, const char *const *list)
{
  guint i;

  for (i = 0; list[i] != NULL; i++) {
    if (g_str_has_prefix (path, list[i]))
      return TRUE;
  }
  return FALSE;
}

static void
test_hostile_mutations (void)
{
  const char *values[] = {
    "null",
    "\"s\"",
    "0",
    "-1",
    "1.5",
    "1e308",
    "true",
    "[]",
    "{}",
    "[null]",
    "[[null]]",
    "{\"kind\": null}",
    "9223372036854775807",
  };
  /* Members that may be removed: the documented optional ones, and the
   * entries of maps (attributes, counts, headers, the files themselves). */
  const char *const optional[] = {
    "kind", "items/", "nextPage", "spec/source", "status/reason",
    "status/conditions/0/reason", "status/conditions/1/reason",
    "status/conditions/0/message", "status/downloadUrl", "metadata/attributes/",
    "status/files/statusCount/", "status/annotations/statusCount/",
    "spec/options/splitRatio",
    /* an export's: kept, format unknown */
    "spec/format", "spec/extra", "files/z.jsonl/headers/", "files/", NULL
  };
  const DocType types[] = { DOC_ANNOTATION, DOC_PAGE, DOC_SESSION, DOC_EXPORT,
                            DOC_UPLOADS };
  /* The whole product of paths and values takes half a minute under
   * AddressSanitizer on a slow machine: by default each path gets every
   * third value (each value still meets a third of the paths), and
   * `-m slow` runs them all.  fuzz-page explores further. */
  guint stride = g_test_slow () ? 1 : 3;
  guint t, v, p, n_runs = 0;

  for (t = 0; t < G_N_ELEMENTS (types); t++) {
    const char *base = types[t] == DOC_PAGE
        ? "{\"items\": [" ANNOTATION_BOX ", " ANNOTATION_CAPTION
          ", " ANNOTATION_VQA "], \"nextPage\": \"t\"}"
        : base_document (types[t]);
    g_autoptr (JsonNode) original = parse_mutable (base);
    g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

    collect_paths (original, "", paths);
    for (p = 0; p < paths->len; p++) {
      const char *path = g_ptr_array_index (paths, p);
      g_autoptr (JsonNode) removed = NULL;
      JsonNode *parent;
      g_auto (GStrv) parts = g_strsplit (path, "/", -1);

      for (v = (p + t) % stride; v < G_N_ELEMENTS (values); v += stride) {
        g_autoptr (JsonNode) node = parse_mutable (base);

        mutate (node, path, values[v]);
        assert_parse_or_invalid (types[t], node);
        if (types[t] == DOC_PAGE) {
          assert_same_page_node (node);
        } else if (types[t] == DOC_ANNOTATION) {
          g_autofree char *item = json_to_string (node, FALSE);
          g_autofree char *page = g_strconcat ("{\"items\": [", item,
                                               "], \"nextPage\": null}", NULL);

          assert_same_page (page);
        }
        n_runs++;
      }

      /* Remove the member: a required one must be reported by its path. */
      parent = node_at (original, parts, g_strv_length (parts) - 1);
      if (!JSON_NODE_HOLDS_OBJECT (parent))
        continue;
      removed = parse_mutable (base);
      mutate (removed, path, NULL);
      if (types[t] == DOC_PAGE) {
        assert_same_page_node (removed);
      } else if (types[t] == DOC_ANNOTATION) {
        g_autofree char *item = json_to_string (removed, FALSE);
        g_autofree char *page = g_strconcat ("{\"items\": [", item, "]}", NULL);

        assert_same_page (page);
      }
      if (path_is_in (path, optional) || types[t] == DOC_PAGE) {
        assert_parse_or_invalid (types[t], removed);
      } else {
        g_autoptr (GError) error = NULL;
        g_autoptr (GString) rendered = g_string_new (NULL);
        g_autofree char *want = NULL;
        guint            k;

        /* a/0/b -> a[0].b, as the library renders paths. */
        for (k = 0; parts[k] != NULL; k++) {
          if (g_ascii_isdigit (parts[k][0]))
            g_string_append_printf (rendered, "[%s]", parts[k]);
          else
            g_string_append_printf (rendered, "%s%s", k > 0 ? "." : "",
                                    parts[k]);
        }
        want = g_strconcat ("invalid response: ", rendered->str,
                            ": missing required field", NULL);
        g_assert_false (parse_as (types[t], removed, &error));
        if (types[t] != DOC_UPLOADS)
          assert_invalid_response (error, want);
        else
          g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
      }
      n_runs++;
    }
  }
  g_test_message ("%u hostile variants parsed", n_runs);
}

static void
test_hostile_roots (void)
{
  const char *roots[] = {
    "[]",
    "[null, null]",
    "\"str\"",
    "42",
    "1e309",
    "null",
    "true",
    "{\"items\": [null, null, null]}",
    "{\"items\": \"items\"}",
    "{\"items\": [[], {}, 1]}",
    "{\"spec\": \"x\", \"metadata\": 1}",
    "{\"files\": [null]}",
    "{\"files\": {\"a\": null}}",
    "{\"status\": {\"conditions\": [null]}}",
  };
  const DocType types[] = { DOC_ANNOTATION, DOC_PAGE, DOC_SESSION, DOC_EXPORT,
                            DOC_UPLOADS };
  guint         r, t;

  for (r = 0; r < G_N_ELEMENTS (roots); r++) {
    g_autoptr (JsonNode) node = parse (roots[r]);

    for (t = 0; t < G_N_ELEMENTS (types); t++) {
      g_autoptr (GError) error = NULL;
      g_autofree char *next = NULL;
      g_autoptr (GPtrArray) exports = NULL;

      if (types[t] == DOC_PAGE &&
          (strcmp (roots[r], "{\"spec\": \"x\", \"metadata\": 1}") == 0 ||
           strcmp (roots[r], "{\"files\": [null]}") == 0 ||
           strcmp (roots[r], "{\"files\": {\"a\": null}}") == 0 ||
           strcmp (roots[r], "{\"status\": {\"conditions\": [null]}}") == 0)) {
        /* An envelope without items is an empty page. */
        g_assert_true (parse_as (types[t], node, &error));
        continue;
      }
      g_assert_false (parse_as (types[t], node, &error));
      g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
      g_clear_error (&error);

      exports = _vi_exported_annotations_list_from_json (node, &next, &error);
      if (exports == NULL)
        g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE);
    }
  }
}

/* Caller-built trees (mutable, any shape) are handled as well as parsed
 * ones; a huge unknown contents object is kept without copying it. */
static void
test_hostile_big (void)
{
  g_autoptr (GString) json = g_string_new ("{\"items\": [");
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  guint i;

  for (i = 0; i < 2000; i++) {
    if (i > 0)
      g_string_append (json, ", ");
    g_string_append (json, i % 3 == 0 ? ANNOTATION_UNKNOWN : ANNOTATION_BOX);
  }
  g_string_append (json, "]}");
  node = parse (json->str);
  page = vi_annotation_page_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_annotation_page_get_n_items (page), ==, 2000);
  /* The page outlives the tree, raw JSON included. */
  g_clear_pointer (&node, json_node_unref);
  {
    JsonNode *raw = vi_annotation_content_get_raw_json (
        vi_annotation_spec_get_contents (
            vi_annotation_get_spec (vi_annotation_page_get_item (page, 0))));
    g_autofree char *text = NULL;
    g_autoptr (ViAnnotation) copy = NULL;
    g_autoptr (JsonNode) out = NULL;

    g_assert_nonnull (raw);
    text = json_to_string (raw, FALSE);
    g_assert_nonnull (strstr (text, "roof"));
    assert_json_equal (raw,
                       "{\"kind\": \"Polygon\", \"points\": [[0, 0], [1, 0], [1, 1]],"
                       " \"label\": {\"name\": \"roof\"}}");
    out = vi_annotation_to_json (vi_annotation_page_get_item (page, 0));
    copy = vi_annotation_new_from_json (out, &error);
    g_assert_no_error (error);
    assert_annotations_equal (copy, vi_annotation_page_get_item (page, 0));
  }
}

/* ------------------------------------------------------------------------
 * The direct reader against the tree reader
 * ------------------------------------------------------------------------ */

static void
test_direct_basics (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GBytes) blank = g_bytes_new_static (" \n ", 3);

  page = _vi_annotation_page_new_from_bytes (NULL, &error);
  g_assert_null (page);
  assert_invalid_response (error, "invalid response: empty body");
  g_clear_error (&error);
  page = _vi_annotation_page_new_from_bytes (empty, &error);
  assert_invalid_response (error, "invalid response: empty body");
  g_clear_error (&error);
  page = _vi_annotation_page_new_from_bytes (blank, &error);
  assert_invalid_response (error, "invalid response: empty body");
  g_clear_error (&error);

  assert_same_page ("{}");
  assert_same_page ("[]");
  assert_same_page ("42");
  assert_same_page ("\"x\"");
  assert_same_page ("null");
  assert_same_page ("{\"items\": []} ");
  assert_same_page ("{\"items\": [], \"items\": null}");
  assert_same_page ("{\"items\": [" ANNOTATION_BOX
                    "], \"items\": [" ANNOTATION_VQA "]}");
  assert_same_page ("{\"items\": [" ANNOTATION_UNKNOWN ", " ANNOTATION_VQA
                    "], \"nextPage\": \"\", \"prevPage\": \"p\"}");
  assert_same_page ("{\"items\": [" ANNOTATION_BOX "]}x");
  assert_same_page ("{\"items\": [" ANNOTATION_BOX "]");
  assert_same_page ("{\"items\": [" ANNOTATION_BOX ",]}");
  assert_same_page ("{\"items\": [" ANNOTATION_BOX "] \"nextPage\": null}");
  assert_same_page ("{\"items\": [{}]}");
  assert_same_page ("{\"items\": [{\"kind\": \"Annotation\"}]}");
}

/* Escapes, non-ASCII text, duplicate members, members in any order. */
static void
test_direct_strings (void)
{
  const char *page =
      "{\"prevPage\": \"p\\\"q\", \"items\": [{"
      " \"etag\": \"e\\u00e9\\ud83d\\ude00\", \"selfLink\": \"/a\\/b\","
      " \"metadata\": {\"attributes\": {\"k\\u0065y\": \"v\\n\\t\\\"\", \"caf\xc3\xa9\": \"\xe2\x82\xac\"},"
      "               \"generation\": 2, \"lastUpdated\": 2, \"timeCreated\": 1, \"generation\": 5},"
      " \"spec\": {\"contents\": {\"contents\": \"Un chat \\u00e0 Paris \xe2\x98\x85\", \"kind\": \"Capt\\u0069on\"},"
      "            \"aggregation\": {\"thisPart\": {\"role\": \"Caption\"}, \"whole\": {\"id\": \"g\\\\1\"}},"
      "            \"tag\": -3, \"boundType\": \"caption\"},"
      " \"datasetId\": \"O\\u005fD\", \"workspaceId\": \"O\", \"assetId\": \"a\", \"annotationId\": \"x\","
      " \"annotationId\": \"\\u4e2d\\u6587\"}],"
      " \"nextPage\": \"n\\u0000\"}";
  g_autoptr (GBytes) bytes = g_bytes_new_static (page, strlen (page));
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationPage)
      p = _vi_annotation_page_new_from_bytes (bytes, &error);
  ViAnnotation *a;

  g_assert_no_error (error);
  a = vi_annotation_page_get_item (p, 0);
  g_assert_cmpstr (vi_annotation_get_annotation_id (a), ==,
                   "\xe4\xb8\xad\xe6\x96\x87");
  g_assert_cmpstr (vi_annotation_get_dataset_id (a), ==, "D");
  g_assert_cmpstr (vi_annotation_get_etag (a), ==, "e\xc3\xa9\xf0\x9f\x98\x80");
  g_assert_cmpstr (vi_annotation_get_self_link (a), ==, "/a/b");
  g_assert_cmpstr (vi_annotation_spec_get_whole_id (vi_annotation_get_spec (a)),
                   ==, "g\\1");
  g_assert_cmpint (vi_annotation_spec_get_tag (vi_annotation_get_spec (a)), ==,
                   -3);
  g_assert_cmpstr (vi_annotation_content_get_caption (
                       vi_annotation_spec_get_contents (
                           vi_annotation_get_spec (a))),
                   ==, "Un chat \xc3\xa0 Paris \xe2\x98\x85");
  g_assert_cmpint (vi_resource_metadata_get_generation (
                       vi_annotation_get_metadata (a)),
                   ==, 5);
  g_assert_cmpstr (g_hash_table_lookup (vi_resource_metadata_get_attributes (
                                            vi_annotation_get_metadata (a)),
                                        "key"),
                   ==, "v\n\t\"");
  g_assert_cmpstr (vi_annotation_page_get_prev_page (p), ==, "p\"q");
  g_assert_cmpstr (vi_annotation_page_get_next_page (p), ==, "n");
  assert_same_page (page);

  assert_same_page ("{\"items\": [], \"nextPage\": \"bad \\x escape\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"lone \\ud800\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"lone \\udc00\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"short \\u12\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"raw\ttab\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"bad \xff utf8\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"overlong \xc0\xaf\"}");
  assert_same_page (
      "{\"items\": [], \"nextPage\": \"surrogate \xed\xa0\x80\"}");
  assert_same_page ("{\"items\": [], \"nextPage\": \"unterminated}");
}

/* Every double the tree reader gives, bit for bit. */
static void
test_direct_numbers (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261128);
  g_autoptr (GString) json = g_string_new ("{\"items\": [");
  const char *fixed[] = {
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1",
    "0.1",
    "0.7",
    "0.30000000000000004",
    "1e-7",
    "1E+2",
    "2.5e-3",
    "123456789012345",
    "1234567890123456789",
    "0.1234567890123456789",
    "1e22",
    "1e23",
    "1e-22",
    "1e-23",
    "4.9e-324",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "9007199254740993",
    "-9223372036854775808",
    "9223372036854775807",
    "0.000001",
    "100000000000000000000000.5",
    "1e-400",
  };
  guint i;

  for (i = 0; i < 400; i++) {
    char x[64], y[64];

    if (i < G_N_ELEMENTS (fixed)) {
      g_strlcpy (x, fixed[i], sizeof x);
      g_strlcpy (y, fixed[G_N_ELEMENTS (fixed) - 1 - i], sizeof y);
    } else if (i % 3 == 0) {
      g_ascii_formatd (x, sizeof x, "%.17g", g_rand_double (rand));
      g_ascii_formatd (y, sizeof y, "%.17g",
                       g_rand_double_range (rand, -1e6, 1e6));
    } else if (i % 3 == 1) {
      g_ascii_formatd (x, sizeof x, "%.6f", g_rand_double (rand));
      g_ascii_formatd (y, sizeof y, "%.3e",
                       g_rand_double_range (rand, -1e30, 1e30));
    } else {
      g_ascii_formatd (x, sizeof x, "%.15g", g_rand_double (rand) * 1e-10);
      g_snprintf (y, sizeof y, "%d", g_rand_int_range (rand, -100000, 100000));
    }
    if (i > 0)
      g_string_append (json, ", ");
    g_string_append_printf (
        json,
        "{\"annotationId\": \"a%u\", \"assetId\": \"s\", \"workspaceId\": \"o\","
        " \"datasetId\": \"o_d\", \"selfLink\": \"l\", \"etag\": \"e\","
        " \"metadata\": {\"timeCreated\": %d, \"lastUpdated\": 0, \"generation\": 0, \"attributes\": {}},"
        " \"spec\": {\"boundType\": \"box\", \"tag\": 0,"
        "   \"aggregation\": {\"whole\": {\"id\": \"w\"}, \"thisPart\": {\"role\": \"PhraseGroundingBoundingBox\"}},"
        "   \"contents\": {\"kind\": \"PhraseGroundingBoundingBox\", \"target\": [0, 1],"
        "     \"bound\": [[%s, %s], [%s, %s]]}}}",
        i, g_rand_int (rand) % 100000, x, y, y, x);
  }
  g_string_append (json, "]}");
  assert_same_page (json->str);

  /* Out of range in a double member; not an integer in an int member. */
  assert_same_page ("{\"items\": [" ANNOTATION_BOX "], \"x\": 1e999}");
  assert_same_page ("{\"items\": [], \"x\": 123456789012345678901234}");
  assert_same_page ("{\"items\": [], \"x\": -9223372036854775809}");
  assert_same_page ("{\"items\": [], \"x\": 01}");
  assert_same_page ("{\"items\": [], \"x\": 1.}");
  assert_same_page ("{\"items\": [], \"x\": -}");
  assert_same_page ("{\"items\": [], \"x\": 1e}");
  assert_same_page ("{\"items\": [], \"x\": 1e+}");
  assert_same_page ("{\"items\": [], \"x\": 2.5E-3x}");
}

/* Random damage to a page: both readers fail, or both give the same page.
 * A fixed, small sample with a fixed seed, so that a failure reproduces;
 * `-m slow` runs 200,000, and the fuzz-page target explores without end. */
static void
test_direct_fuzz (void)
{
  const char       specials[] = "{}[]\",:\\ 0-1.eEtfnu\x80\xff\x00\n";
  g_autofree char *base = g_strconcat ("{\"items\": [", ANNOTATION_BOX, ", ",
                                       ANNOTATION_CAPTION, ", ", ANNOTATION_VQA,
                                       ", ", ANNOTATION_UNKNOWN,
                                       "], \"nextPage\": \"t\\u00e9\"}", NULL);
  gsize            base_len = strlen (base);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guint i, n = g_test_slow () ? 200000 : 500;

  for (i = 0; i < n; i++) {
    g_autoptr (GByteArray) doc = g_byte_array_new ();
    guint changes = 1 + g_rand_int_range (rand, 0, 3), c;

    g_byte_array_append (doc, (const guint8 *) base, base_len);
    for (c = 0; c < changes && doc->len > 0; c++) {
      guint  at = g_rand_int_range (rand, 0, doc->len);
      guint8 byte = specials[g_rand_int_range (rand, 0, sizeof specials - 1)];

      switch (g_rand_int_range (rand, 0, 4)) {
        case 0:
          doc->data[at] = byte;
          break;
        case 1:
          g_byte_array_remove_index (doc, at);
          break;
        case 2:
          g_array_insert_vals ((GArray *) doc, at, &byte, 1);
          break;
        default:
          g_byte_array_set_size (doc, at);
          break;
      }
    }
    assert_same_page_full ((const char *) doc->data, doc->len, FALSE);
  }
  /* Every prefix, too. */
  for (i = 0; i <= base_len; i++)
    assert_same_page_full (base, i, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/json/path", test_json_path);
  g_test_add_func ("/model/json/set-error", test_json_set_error);
  g_test_add_func ("/model/json/getters", test_json_getters);
  g_test_add_func ("/model/json/parse-bytes", test_json_parse_bytes);
  g_test_add_func ("/model/enums", test_enums);
  g_test_add_func ("/model/dataset-prefix", test_dataset_prefix);
  g_test_add_func ("/model/small-types", test_small_types);
  g_test_add_func ("/model/annotation/box", test_annotation_box);
  g_test_add_func ("/model/annotation/caption", test_annotation_caption);
  g_test_add_func ("/model/annotation/caption-default",
                   test_annotation_caption_default);
  g_test_add_func ("/model/annotation/vqa", test_annotation_vqa);
  g_test_add_func ("/model/annotation/unknown-kind",
                   test_annotation_unknown_kind);
  g_test_add_func ("/model/annotation/wire-form", test_annotation_wire_form);
  g_test_add_func ("/model/annotation/dataset-prefix",
                   test_annotation_dataset_prefix);
  g_test_add_func ("/model/annotation/kind", test_annotation_kind);
  g_test_add_func ("/model/annotation/constructors",
                   test_annotation_constructors);
  g_test_add_func ("/model/annotation/to-string", test_annotation_to_string);
  g_test_add_func ("/model/annotation/print-info", test_annotation_print_info);
  g_test_add_func ("/model/annotation/bound-other-shape",
                   test_bound_other_shape);
  g_test_add_func ("/model/export/spec-without-format",
                   test_export_spec_without_format);
  g_test_add_func ("/model/page/round-trip", test_page_round_trip);
  g_test_add_func ("/model/page/envelope", test_page_envelope);
  g_test_add_func ("/model/page/unknown-kept", test_page_unknown_kept);
  g_test_add_func ("/model/page/deep-error", test_page_deep_error);
  g_test_add_func ("/model/page/private-new", test_page_private_new);
  g_test_add_func ("/model/session/round-trip", test_session_round_trip);
  g_test_add_func ("/model/session/wire-form", test_session_wire_form);
  g_test_add_func ("/model/session/unknown-values",
                   test_session_unknown_values);
  g_test_add_func ("/model/session/states", test_session_states);
  g_test_add_func ("/model/session/upload-result", test_upload_result);
  g_test_add_func ("/model/session/private-new", test_session_private_new);
  g_test_add_func ("/model/export/done", test_export_done);
  g_test_add_func ("/model/export/pending", test_export_pending);
  g_test_add_func ("/model/export/private-new", test_export_private_new);
  g_test_add_func ("/model/signed-uploads", test_signed_uploads);
  g_test_add_func ("/model/body/create-session", test_body_create_session);
  g_test_add_func ("/model/body/files", test_body_files);
  g_test_add_func ("/model/body/patch-status", test_body_patch_status);
  g_test_add_func ("/model/body/export", test_body_export);
  g_test_add_func ("/model/errors/fields", test_field_errors);
  g_test_add_func ("/model/hostile/mutations", test_hostile_mutations);
  g_test_add_func ("/model/hostile/roots", test_hostile_roots);
  g_test_add_func ("/model/hostile/big", test_hostile_big);
  g_test_add_func ("/model/direct/basics", test_direct_basics);
  g_test_add_func ("/model/direct/strings", test_direct_strings);
  g_test_add_func ("/model/direct/numbers", test_direct_numbers);
  g_test_add_func ("/model/direct/fuzz", test_direct_fuzz);

  return g_test_run ();
}
