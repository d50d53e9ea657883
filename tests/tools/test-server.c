/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests of vi-local-server, run in-process on 127.0.0.1 with an ephemeral
 * port, spoken to with plain libsoup (libvi's client only where a test
 * says so).
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-test-server.h"
#include "vi-test-http.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define DS "ds1"
#define DATASET_PATH "/workspaces/" ORG "/datasets/" ORG "_" DS

/* The shared fixture: a server for the test, a session for raw HTTP and
 * a temporary folder. */
typedef ViTestServer Fixture;

/* ---- helpers ------------------------------------------------------------ */

static ViJsonlRecord *
make_record (const char *asset_id, const char *caption)
{
  ViJsonlRecord *record = vi_jsonl_record_new (asset_id);

  if (caption != NULL)
    vi_jsonl_record_set_caption (record, caption);
  return record;
}

static void
add_caption (Fixture *f, const char *asset_id, const char *caption)
{
  g_autoptr (ViJsonlRecord) record = make_record (asset_id, caption);
  g_autoptr (GError) error = NULL;

  g_assert_true (vi_local_server_add_record (f->server, DS, record, &error));
  g_assert_no_error (error);
}

/* The record of the reference's example: a caption and two boxes. */
static void
add_grounded (Fixture *f, const char *asset_id)
{
  g_autoptr (ViJsonlRecord)
      record = make_record (asset_id, "A cat sitting on a couch");
  g_autoptr (GError) error = NULL;
  ViBBox cat = { 0.1, 0.2, 0.5, 0.7 };
  ViBBox couch = { 0.0, 0.5, 1.0, 1.0 };

  vi_jsonl_record_add_phrase (record, "A cat", &cat);
  vi_jsonl_record_add_phrase (record, "a couch", &couch);
  g_assert_true (vi_local_server_add_record (f->server, DS, record, &error));
  g_assert_no_error (error);
}

static void
start_server (Fixture *f)
{
  vi_test_server_start (f);
  g_assert_cmpuint (vi_local_server_get_port (f->server), >, 0);
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
  g_assert_false (g_str_has_suffix (f->url, "/"));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  vi_test_server_setup_stopped (f, data);
  add_grounded (f, "img1.jpg");
  start_server (f);
}

enum {
  AUTH_OK,
  AUTH_NONE,
  AUTH_BAD_KEY,
  AUTH_NO_ORG,
  AUTH_OTHER_ORG,
};

/* @path is sent as given: already percent-encoded. */
static Response *
request_full (SoupSession *session,
              const char  *url,
              const char  *method,
              const char  *path,
              int          auth,
              const char  *body)
{
  g_autofree char *uri = g_strconcat (url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  SoupMessageHeaders *headers;
  Response           *r = g_new0 (Response, 1);

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (auth != AUTH_NONE && auth != AUTH_BAD_KEY)
    soup_message_headers_replace (headers, "Authorization", "Bearer " KEY);
  if (auth == AUTH_BAD_KEY)
    soup_message_headers_replace (headers, "Authorization",
                                  "Bearer dtvi_wrong");
  if (auth == AUTH_OTHER_ORG)
    soup_message_headers_replace (headers, "Organization-Id", "other-org");
  else if (auth != AUTH_NO_ORG)
    soup_message_headers_replace (headers, "Organization-Id", ORG);
  if (body != NULL) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }

  r->body = soup_session_send_and_read (session, msg, NULL, &r->error);
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (
      soup_message_get_response_headers (msg));
  return r;
}

static Response *
request (Fixture *f, const char *method, const char *path)
{
  Response *r = request_full (f->session, f->url, method, path, AUTH_OK, NULL);

  g_assert_no_error (r->error);
  return r;
}

static JsonNode *
parse_body (Response *r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize       len;
  const char *data = g_bytes_get_data (r->body, &len);

  g_assert_true (json_parser_load_from_data (parser, data, len, &error));
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
assert_trace_header (Response *r)
{
  const char *trace = soup_message_headers_get_one (r->headers,
                                                    "x-cloud-trace-context");

  g_assert_nonnull (trace);
  g_assert_true (
      g_regex_match_simple ("^[0-9a-f]{32}/[0-9]+;o=1$", trace, 0, 0));
}

/* Checks a JSON error answer: the status, {"error": code, "message": ...}
 * and the trace header. */
static void
assert_error (Response *r, guint status, const char *code)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *obj;

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, status);
  assert_trace_header (r);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                   "application/json");
  root = parse_body (r);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  obj = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (obj, "error"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (obj, "message")) > 0);
}

static char *
encode_segment (const char *segment)
{
  /* Everything but unreserved characters, and the dots of "." and "..". */
  GString    *s = g_string_new (NULL);
  gboolean    dots = g_str_equal (segment, ".") || g_str_equal (segment, "..");
  const char *p;

  for (p = segment; *p != '\0'; p++) {
    guchar c = *p;

    if (g_ascii_isalnum (c) || c == '-' || c == '_' || c == '~' ||
        (c == '.' && !dots))
      g_string_append_c (s, c);
    else
      g_string_append_printf (s, "%%%02X", c);
  }
  return g_string_free (s, FALSE);
}

static char *
list_path (const char *asset_id)
{
  g_autofree char *enc = encode_segment (asset_id);

  return g_strdup_printf (DATASET_PATH "/assets/%s/annotations", enc);
}

static JsonArray *
items_of (JsonNode *root)
{
  return json_object_get_array_member (json_node_get_object (root), "items");
}

static const char *
first_annotation_id (Fixture *f, const char *asset_id, JsonNode **keep)
{
  g_autofree char *path = list_path (asset_id);
  g_autoptr (Response) r = request (f, "GET", path);
  JsonArray *items;

  g_assert_cmpuint (r->status, ==, 200);
  *keep = parse_body (r);
  items = items_of (*keep);
  g_assert_cmpuint (json_array_get_length (items), >, 0);
  return json_object_get_string_member (json_array_get_object_element (items,
                                                                       0),
                                        "annotationId");
}

/* ---- authentication ----------------------------------------------------- */

static void
test_auth (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  Response        *r;

  r = request_full (f->session, f->url, "GET", path, AUTH_NONE, NULL);
  assert_error (r, 401, "AuthenticationFailed");
  response_free (r);

  r = request_full (f->session, f->url, "GET", path, AUTH_BAD_KEY, NULL);
  assert_error (r, 401, "AuthenticationFailed");
  response_free (r);

  r = request_full (f->session, f->url, "GET", path, AUTH_NO_ORG, NULL);
  assert_error (r, 403, "PermissionDenied");
  response_free (r);

  r = request_full (f->session, f->url, "GET", path, AUTH_OTHER_ORG, NULL);
  assert_error (r, 403, "PermissionDenied");
  response_free (r);

  /* Right headers, another organization in the path. */
  r = request_full (f->session, f->url, "GET",
                    "/workspaces/other-org/datasets/other-org_" DS
                    "/assets/img1.jpg/annotations",
                    AUTH_OK, NULL);
  assert_error (r, 403, "PermissionDenied");
  response_free (r);

  /* Authentication comes before routing. */
  r = request_full (f->session, f->url, "GET", "/nowhere", AUTH_NONE, NULL);
  assert_error (r, 401, "AuthenticationFailed");
  response_free (r);

  r = request_full (f->session, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  assert_trace_header (r);
  response_free (r);

  /* Refused requests are counted too. */
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 7);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                       "/workspaces/" ORG "/"),
                    ==, 5);
}

static void
test_auth_custom_credentials (void)
{
  const char *key =
      "dtvi_test_key_of_the_right_shape_"
      "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
  g_autoptr (ViLocalServer) server = vi_local_server_new (key, "acme");
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *auth = NULL;
  Response        *r;

  g_assert_true (vi_local_server_start (server, "127.0.0.1", 0, TRUE, &error));
  g_assert_no_error (error);
  url = vi_local_server_get_url (server);

  /* The default key is not accepted by a server with another key. */
  r = request_full (session, url, "GET",
                    "/workspaces/acme/datasets/acme_x/assets/a/annotations",
                    AUTH_OK, NULL);
  assert_error (r, 401, "AuthenticationFailed");
  response_free (r);

  uri = g_strconcat (url,
                     "/workspaces/acme/datasets/acme_x/assets/a/annotations",
                     NULL);
  msg = soup_message_new ("GET", uri);
  auth = g_strconcat ("Bearer ", key, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Organization-Id", "acme");
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  /* Authenticated; the dataset does not exist. */
  g_assert_cmpuint (soup_message_get_status (msg), ==, 404);

  vi_local_server_stop (server);
}

/* ---- routing ------------------------------------------------------------ */

static void
test_not_found (Fixture *f, gconstpointer data)
{
  Response *r;

  r = request (f, "GET",
               "/workspaces/" ORG "/datasets/" ORG
               "_nope/assets/img1.jpg/annotations");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  r = request (f, "GET", DATASET_PATH "/assets/nope.jpg/annotations");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  /* The dataset segment must be "{org}_{ds}". */
  r = request (f, "GET",
               "/workspaces/" ORG "/datasets/" DS
               "/assets/img1.jpg/annotations");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);
  r = request (f, "GET",
               "/workspaces/" ORG "/datasets/" ORG
               "_/assets/img1.jpg/annotations");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  r = request (f, "GET", "/workspaces/" ORG "/nothing");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  r = request (f, "GET", DATASET_PATH "/assets/img1.jpg/annotations/");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  r = request (f, "POST", DATASET_PATH "/assets/img1.jpg/annotations");
  assert_error (r, 405, "MethodNotAllowed");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==,
                   "GET");
  response_free (r);

  r = request (f, "PUT", DATASET_PATH "/assets/img1.jpg/annotations/abc");
  assert_error (r, 405, "MethodNotAllowed");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==,
                   "GET, DELETE");
  response_free (r);
}

/* ---- the resource ------------------------------------------------------- */

static void
assert_int_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
}

static const char *
assert_string_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

/* Every field of docs/protocol.md §6, with its type.  Returns the role. */
static const char *
assert_annotation (JsonObject *ann, const char *asset_id)
{
  JsonObject      *spec, *aggregation, *contents, *metadata;
  const char      *id, *role, *kind;
  g_autofree char *self_link = NULL;
  g_autofree char *enc = encode_segment (asset_id);

  g_assert_cmpstr (assert_string_member (ann, "kind"), ==, "Annotation");
  id = assert_string_member (ann, "annotationId");
  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9_-]{1,255}$", id, 0, 0));
  g_assert_cmpstr (assert_string_member (ann, "assetId"), ==, asset_id);
  g_assert_cmpstr (assert_string_member (ann, "workspaceId"), ==, ORG);
  g_assert_cmpstr (assert_string_member (ann, "datasetId"), ==, ORG "_" DS);
  self_link = g_strdup_printf (DATASET_PATH "/assets/%s/annotations/%s", enc,
                               id);
  g_assert_cmpstr (assert_string_member (ann, "selfLink"), ==, self_link);
  g_assert_true (strlen (assert_string_member (ann, "etag")) > 0);

  spec = json_object_get_object_member (ann, "spec");
  g_assert_nonnull (spec);
  assert_string_member (spec, "boundType");
  assert_int_member (spec, "tag");
  g_assert_cmpint (json_object_get_int_member (spec, "tag"), ==, 0);
  aggregation = json_object_get_object_member (spec, "aggregation");
  g_assert_nonnull (aggregation);
  g_assert_nonnull (json_object_get_object_member (aggregation, "whole"));
  assert_string_member (json_object_get_object_member (aggregation, "whole"),
                        "id");
  g_assert_nonnull (json_object_get_object_member (aggregation, "thisPart"));
  role = assert_string_member (json_object_get_object_member (aggregation,
                                                              "thisPart"),
                               "role");
  contents = json_object_get_object_member (spec, "contents");
  g_assert_nonnull (contents);
  kind = assert_string_member (contents, "kind");
  g_assert_cmpstr (kind, ==, role);

  if (g_str_equal (kind, "Caption")) {
    g_assert_cmpstr (json_object_get_string_member (spec, "boundType"), ==,
                     "caption");
    assert_string_member (contents, "contents");
  } else if (g_str_equal (kind, "PhraseGroundingBoundingBox")) {
    JsonArray *bound = json_object_get_array_member (contents, "bound");
    JsonArray *target = json_object_get_array_member (contents, "target");
    guint      i;

    g_assert_cmpstr (json_object_get_string_member (spec, "boundType"), ==,
                     "box");
    g_assert_nonnull (bound);
    g_assert_cmpuint (json_array_get_length (bound), ==, 4);
    for (i = 0; i < 4; i++) {
      JsonArray *point = json_array_get_array_element (bound, i);

      g_assert_cmpuint (json_array_get_length (point), ==, 2);
      g_assert_cmpint (json_node_get_value_type (
                           json_array_get_element (point, 0)),
                       ==, G_TYPE_DOUBLE);
    }
    g_assert_nonnull (target);
    g_assert_cmpuint (json_array_get_length (target), ==, 2);
    g_assert_cmpint (json_node_get_value_type (
                         json_array_get_element (target, 0)),
                     ==, G_TYPE_INT64);
  } else {
    g_assert_cmpstr (kind, ==, "Vqa");
    g_assert_cmpstr (json_object_get_string_member (spec, "boundType"), ==,
                     "vqa");
    assert_string_member (contents, "question");
    assert_string_member (contents, "answer");
  }

  metadata = json_object_get_object_member (ann, "metadata");
  g_assert_nonnull (metadata);
  assert_int_member (metadata, "timeCreated");
  assert_int_member (metadata, "lastUpdated");
  assert_int_member (metadata, "generation");
  g_assert_cmpint (json_object_get_int_member (metadata, "timeCreated"), >,
                   1600000000000);
  g_assert_nonnull (json_object_get_object_member (metadata, "attributes"));
  return role;
}

static double
point_coord (JsonArray *bound, guint corner, guint axis)
{
  return json_array_get_double_element (json_array_get_array_element (bound,
                                                                      corner),
                                        axis);
}

static void
test_resource_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (ViJsonlRecord) vqa = make_record ("vqa.jpg", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = list_path ("img1.jpg");
  g_autoptr (Response) r = request (f, "GET", path);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *obj, *caption, *box;
  JsonArray  *items, *bound, *target;
  const char *group;
  guint       i;

  g_assert_cmpuint (r->status, ==, 200);
  assert_trace_header (r);
  root = parse_body (r);
  obj = json_node_get_object (root);
  g_assert_true (json_object_has_member (obj, "nextPage"));
  g_assert_true (json_object_get_null_member (obj, "nextPage"));
  g_assert_true (json_object_has_member (obj, "prevPage"));
  g_assert_true (json_object_get_null_member (obj, "prevPage"));

  /* Caption, then the boxes in order, sharing one group. */
  items = items_of (root);
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  for (i = 0; i < 3; i++)
    assert_annotation (json_array_get_object_element (items, i), "img1.jpg");

  caption = json_array_get_object_element (items, 0);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (
                           json_object_get_object_member (caption, "spec"),
                           "contents"),
                       "contents"),
                   ==, "A cat sitting on a couch");
  group = json_object_get_string_member (
      json_object_get_object_member (
          json_object_get_object_member (json_object_get_object_member (caption,
                                                                        "spec"),
                                         "aggregation"),
          "whole"),
      "id");

  box = json_array_get_object_element (items, 1);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (
                           json_object_get_object_member (
                               json_object_get_object_member (box, "spec"),
                               "aggregation"),
                           "whole"),
                       "id"),
                   ==, group);
  bound = json_object_get_array_member (
      json_object_get_object_member (json_object_get_object_member (box,
                                                                    "spec"),
                                     "contents"),
      "bound");
  target = json_object_get_array_member (
      json_object_get_object_member (json_object_get_object_member (box,
                                                                    "spec"),
                                     "contents"),
      "target");
  /* [[x1,y1],[x2,y1],[x2,y2],[x1,y2]] of [0.1, 0.2, 0.5, 0.7] */
  g_assert_cmpfloat (point_coord (bound, 0, 0), ==, 0.1);
  g_assert_cmpfloat (point_coord (bound, 0, 1), ==, 0.2);
  g_assert_cmpfloat (point_coord (bound, 1, 0), ==, 0.5);
  g_assert_cmpfloat (point_coord (bound, 1, 1), ==, 0.2);
  g_assert_cmpfloat (point_coord (bound, 2, 0), ==, 0.5);
  g_assert_cmpfloat (point_coord (bound, 2, 1), ==, 0.7);
  g_assert_cmpfloat (point_coord (bound, 3, 0), ==, 0.1);
  g_assert_cmpfloat (point_coord (bound, 3, 1), ==, 0.7);
  g_assert_cmpint (json_array_get_int_element (target, 0), ==, 0);
  g_assert_cmpint (json_array_get_int_element (target, 1), ==, 5);

  box = json_array_get_object_element (items, 2);
  target = json_object_get_array_member (
      json_object_get_object_member (json_object_get_object_member (box,
                                                                    "spec"),
                                     "contents"),
      "target");
  /* "a couch" in "A cat sitting on a couch" */
  g_assert_cmpint (json_array_get_int_element (target, 0), ==, 17);
  g_assert_cmpint (json_array_get_int_element (target, 1), ==, 24);

  /* VQA parts. */
  vi_jsonl_record_add_interaction (vqa, "What is on the couch?", "A cat");
  vi_jsonl_record_add_interaction (vqa, "Colour?", "Grey \"tabby\"\n");
  g_assert_true (vi_local_server_add_record (f->server, DS, vqa, &error));
  g_assert_no_error (error);
  {
    g_autofree char *vqa_path = list_path ("vqa.jpg");
    g_autoptr (Response) rv = request (f, "GET", vqa_path);
    g_autoptr (JsonNode) vroot = parse_body (rv);
    JsonArray  *vitems = items_of (vroot);
    JsonObject *contents;

    g_assert_cmpuint (json_array_get_length (vitems), ==, 2);
    g_assert_cmpstr (assert_annotation (json_array_get_object_element (vitems,
                                                                       0),
                                        "vqa.jpg"),
                     ==, "Vqa");
    assert_annotation (json_array_get_object_element (vitems, 1), "vqa.jpg");
    contents = json_object_get_object_member (
        json_object_get_object_member (json_array_get_object_element (vitems,
                                                                      1),
                                       "spec"),
        "contents");
    g_assert_cmpstr (json_object_get_string_member (contents, "question"), ==,
                     "Colour?");
    g_assert_cmpstr (json_object_get_string_member (contents, "answer"), ==,
                     "Grey \"tabby\"\n");
  }

  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    5);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS,
                                                       "img1.jpg"),
                    ==, 3);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, "nope"),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "nope", NULL),
                    ==, 0);
}

static void
test_invalid_records (Fixture *f, gconstpointer data)
{
  g_autoptr (ViJsonlRecord) bad = make_record ("x.jpg", "A dog");
  g_autoptr (ViJsonlRecord) good = make_record ("x.jpg", "A cat");
  g_autoptr (GError) error = NULL;
  ViBBox         box = { 0.1, 0.1, 0.2, 0.2 };
  ViJsonlRecord *both[2];

  vi_jsonl_record_add_phrase (bad, "cat", &box);
  both[0] = good;
  both[1] = bad;
  /* All or nothing. */
  g_assert_false (vi_local_server_add_records (f->server, DS, both, 2, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, "x.jpg"),
                    ==, 0);

  g_assert_false (
      vi_local_server_add_record (f->server, "bad id!", good, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
}

/* ---- get and delete ----------------------------------------------------- */

static void
test_get_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) list = NULL;
  g_autoptr (JsonNode) got = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other = NULL;
  const char      *id;
  Response        *r;
  gsize            len;

  add_caption (f, "img2.jpg", "Another image");
  id = first_annotation_id (f, "img1.jpg", &list);
  path = g_strdup_printf (DATASET_PATH "/assets/img1.jpg/annotations/%s", id);

  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  assert_trace_header (r);
  got = parse_body (r);
  assert_annotation (json_node_get_object (got), "img1.jpg");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (got),
                                                  "annotationId"),
                   ==, id);
  response_free (r);

  /* The same id under another asset is not found. */
  other = g_strdup_printf (DATASET_PATH "/assets/img2.jpg/annotations/%s", id);
  r = request (f, "GET", other);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);
  r = request (f, "DELETE", other);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  r = request (f, "DELETE", path);
  g_assert_cmpuint (r->status, ==, 204);
  assert_trace_header (r);
  g_bytes_get_data (r->body, &len);
  g_assert_cmpuint (len, ==, 0);
  response_free (r);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS,
                                                       "img1.jpg"),
                    ==, 2);

  r = request (f, "DELETE", path);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);
  r = request (f, "GET", path);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  /* Not an id at all. */
  r = request (f, "GET",
               DATASET_PATH "/assets/img1.jpg/annotations/not%20an%20id");
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);

  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "DELETE",
                                                       NULL),
                    ==, 3);
}

/* ---- pagination --------------------------------------------------------- */

static void
test_pagination (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable)
      seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable)
      deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *token = NULL;
  guint            page = 0, i;

  for (i = 0; i < 25; i++) {
    g_autofree char *caption = g_strdup_printf ("caption %u", i);

    add_caption (f, "many.jpg", caption);
  }

  /* The full order, for reference. */
  {
    g_autofree char *path = list_path ("many.jpg");
    g_autofree char *full = g_strconcat (path, "?pageSize=1000", NULL);
    g_autoptr (Response) r = request (f, "GET", full);
    g_autoptr (JsonNode) root = parse_body (r);
    JsonArray *items = items_of (root);

    g_assert_cmpuint (json_array_get_length (items), ==, 25);
    g_assert_true (
        json_object_get_null_member (json_node_get_object (root), "nextPage"));
    for (i = 0; i < 25; i++) {
      JsonObject      *item = json_array_get_object_element (items, i);
      g_autofree char *expected = g_strdup_printf ("caption %u", i);

      /* Insertion order. */
      g_assert_cmpstr (json_object_get_string_member (
                           json_object_get_object_member (
                               json_object_get_object_member (item, "spec"),
                               "contents"),
                           "contents"),
                       ==, expected);
      g_ptr_array_add (all,
                       g_strdup (
                           json_object_get_string_member (item,
                                                          "annotationId")));
    }
  }

  do {
    g_autofree char *base = list_path ("many.jpg");
    g_autofree char *path = NULL;
    g_autoptr (Response) r = NULL;
    g_autoptr (JsonNode) root = NULL;
    JsonArray *items;
    JsonNode  *next;

    if (token != NULL)
      path = g_strdup_printf ("%s?pageToken=%s&pageSize=7", base, token);
    else
      path = g_strdup_printf ("%s?pageSize=7", base);
    r = request (f, "GET", path);
    g_assert_cmpuint (r->status, ==, 200);
    root = parse_body (r);
    items = items_of (root);
    g_assert_cmpuint (json_array_get_length (items), <=, 7);
    for (i = 0; i < json_array_get_length (items); i++) {
      const char *id =
          json_object_get_string_member (json_array_get_object_element (items,
                                                                        i),
                                         "annotationId");

      g_assert_false (g_hash_table_contains (seen, id));
      g_assert_false (g_hash_table_contains (deleted, id));
      g_hash_table_add (seen, g_strdup (id));
    }

    next = json_object_get_member (json_node_get_object (root), "nextPage");
    g_assert_nonnull (next);
    g_clear_pointer (&token, g_free);
    if (!JSON_NODE_HOLDS_NULL (next)) {
      token = g_strdup (json_node_get_string (next));
      g_assert_cmpstr (token, !=, "");
      g_assert_cmpuint (json_array_get_length (items), ==, 7);
    }

    /* Between pages: delete the first item of the next page, one already
       * seen, and the item right after the cursor's item. */
    if (page == 0 || page == 1) {
      guint targets[2];
      guint t;

      targets[0] = page == 0 ? 7 : 15; /* not yet seen */
      targets[1] = page == 0 ? 2 : 10; /* seen */
      for (t = 0; t < 2; t++) {
        const char      *id = g_ptr_array_index (all, targets[t]);
        g_autofree char *del = g_strdup_printf ("%s/%s", base, id);
        g_autoptr (Response) d = request (f, "DELETE", del);

        g_assert_cmpuint (d->status, ==, 204);
        g_hash_table_add (deleted, g_strdup (id));
      }
    }
    page++;
  } while (token != NULL);

  /* Every item not deleted before it was reached was seen exactly once. */
  for (i = 0; i < all->len; i++) {
    const char *id = g_ptr_array_index (all, i);

    if (i == 7 || i == 15)
      g_assert_false (g_hash_table_contains (seen, id));
    else
      g_assert_true (g_hash_table_contains (seen, id));
  }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 23);
}

static void
test_page_size (Fixture *f, gconstpointer data)
{
  static const char *bad_sizes[] = { "0", "1001", "-1", "abc", "10x", "" };
  g_autofree char   *base = list_path ("img1.jpg");
  g_autofree char   *token = NULL;
  guint              i;

  for (i = 0; i < G_N_ELEMENTS (bad_sizes); i++) {
    g_autofree char *path = g_strdup_printf ("%s?pageSize=%s", base,
                                             bad_sizes[i]);
    g_autoptr (Response) r = request (f, "GET", path);

    assert_error (r, 400, "ValidationFailed");
  }

  {
    g_autofree char *path = g_strdup_printf ("%s?pageSize=1000", base);
    g_autoptr (Response) r = request (f, "GET", path);

    g_assert_cmpuint (r->status, ==, 200);
  }

  /* The default page size is 10. */
  for (i = 0; i < 12; i++)
    add_caption (f, "dozen.jpg", "x");
  {
    g_autofree char *path = list_path ("dozen.jpg");
    g_autoptr (Response) r = request (f, "GET", path);
    g_autoptr (JsonNode) root = parse_body (r);
    JsonNode *next = json_object_get_member (json_node_get_object (root),
                                             "nextPage");

    g_assert_cmpuint (json_array_get_length (items_of (root)), ==, 10);
    g_assert_false (JSON_NODE_HOLDS_NULL (next));
    token = g_strdup (json_node_get_string (next));
  }

  /* A token is valid for its own listing only. */
  {
    g_autofree char *path = g_strdup_printf ("%s?pageToken=%s", base, token);
    g_autoptr (Response) r = request (f, "GET", path);

    assert_error (r, 400, "ValidationFailed");
  }
  {
    static const char *bad_tokens[] = { "x", "AAAAAAAAAAAAAAAAAAAAAA",
                                        "%2F%2F%2F", "12345" };

    for (i = 0; i < G_N_ELEMENTS (bad_tokens); i++) {
      g_autofree char *dozen = list_path ("dozen.jpg");
      g_autofree char *path = g_strdup_printf ("%s?pageToken=%s", dozen,
                                               bad_tokens[i]);
      g_autoptr (Response) r = request (f, "GET", path);

      assert_error (r, 400, "ValidationFailed");
    }
  }
  {
    g_autofree char *dozen = list_path ("dozen.jpg");
    g_autofree char *path = g_strdup_printf ("%s?pageToken=%s&pageSize=10",
                                             dozen, token);
    g_autoptr (Response) r = request (f, "GET", path);
    g_autoptr (JsonNode) root = parse_body (r);

    g_assert_cmpuint (json_array_get_length (items_of (root)), ==, 2);
    g_assert_true (
        json_object_get_null_member (json_node_get_object (root), "nextPage"));
  }
}

/* ---- ids that need encoding --------------------------------------------- */

static const char *special_ids[] = {
  "a/b",  "a",    "b",   "..",    ".",           "...",   "my asset",
  "café", "100%", "a+b", "a%2Fb", "annotations", "x?y#z", "日本語.png",
};

static void
test_special_ids (Fixture *f, gconstpointer data)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (special_ids); i++) {
    g_autofree char *caption = g_strdup_printf ("caption of %s",
                                                special_ids[i]);

    add_caption (f, special_ids[i], caption);
  }

  for (i = 0; i < G_N_ELEMENTS (special_ids); i++) {
    g_autofree char *path = list_path (special_ids[i]);
    g_autofree char *caption = g_strdup_printf ("caption of %s",
                                                special_ids[i]);
    g_autoptr (Response) r = request (f, "GET", path);
    g_autoptr (JsonNode) root = NULL;
    g_autofree char *get_path = NULL;
    JsonArray       *items;
    JsonObject      *item;

    g_test_message ("asset “%s” at %s", special_ids[i], path);
    g_assert_cmpuint (r->status, ==, 200);
    root = parse_body (r);
    items = items_of (root);
    g_assert_cmpuint (json_array_get_length (items), ==, 1);
    item = json_array_get_object_element (items, 0);
    assert_annotation (item, special_ids[i]);
    g_assert_cmpstr (json_object_get_string_member (
                         json_object_get_object_member (
                             json_object_get_object_member (item, "spec"),
                             "contents"),
                         "contents"),
                     ==, caption);

    /* Its selfLink leads back to it. */
    get_path = g_strdup (json_object_get_string_member (item, "selfLink"));
    {
      g_autoptr (Response) g = request (f, "GET", get_path);
      g_autoptr (JsonNode) groot = NULL;

      g_assert_cmpuint (g->status, ==, 200);
      groot = parse_body (g);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (
                                                          groot),
                                                      "assetId"),
                       ==, special_ids[i]);
    }

    /* The decoded path is what the counters and fault rules see. */
    {
      g_autofree char *decoded = g_strdup_printf (DATASET_PATH
                                                  "/assets/%s/annotations",
                                                  special_ids[i]);

      g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                           decoded),
                        >=, 2);
    }
  }
}

/* A raw HTTP/1.1 exchange on a new connection; returns what came back
 * until the server closed the connection or sent Content-Length bytes. */
static char *
raw_exchange (Fixture *f, const char *request_text, gsize *len_out)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) data = g_byte_array_new ();
  GInputStream *in;
  guint8        buf[4096];
  gssize        n;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
                                          vi_local_server_get_port (f->server),
                                          NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (
                                                G_IO_STREAM (conn)),
                                            request_text, strlen (request_text),
                                            NULL, NULL, &error));
  g_assert_no_error (error);

  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  for (;;) {
    const char *headers_end;

    n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);
    if (n <= 0)
      break;
    g_byte_array_append (data, buf, n);

    /* Stop after a complete answer on a kept-alive connection. */
    g_byte_array_append (data, (const guint8 *) "", 1);
    headers_end = strstr ((const char *) data->data, "\r\n\r\n");
    g_byte_array_set_size (data, data->len - 1);
    if (headers_end != NULL) {
      const char *cl = g_strstr_len ((const char *) data->data,
                                     headers_end - (const char *) data->data,
                                     "Content-Length: ");
      gsize       header_len = headers_end + 4 - (const char *) data->data;

      if (cl != NULL &&
          data->len - header_len >= g_ascii_strtoull (cl + 16, NULL, 10))
        break;
    }
  }
  /* A reset connection is as good as a closed one here. */
  g_clear_error (&error);

  *len_out = data->len;
  g_byte_array_append (data, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&data), FALSE);
}

static void
test_raw_encoded_dots (Fixture *f, gconstpointer data)
{
  static const char *cases[][2] = {
    { "%2E%2E", ".." }, { "%2e", "." },          { "a%2Fb", "a/b" },
    { "a%2fb", "a/b" }, { "caf%C3%A9", "café" },
  };
  guint i;

  add_caption (f, "..", "dots");
  add_caption (f, ".", "dot");
  add_caption (f, "a/b", "slash");
  add_caption (f, "café", "accent");

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *req =
        g_strdup_printf ("GET " DATASET_PATH
                         "/assets/%s/annotations HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\n"
                         "Authorization: Bearer " KEY "\r\n"
                         "Organization-Id: " ORG "\r\n"
                         "Connection: close\r\n"
                         "\r\n",
                         cases[i][0]);
    g_autofree char *expected = NULL;
    g_autofree char *answer = NULL;
    gsize            len;

    answer = raw_exchange (f, req, &len);
    g_test_message ("%s -> %.*s", cases[i][0], 40, answer);
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
    expected = g_strdup_printf ("\"assetId\":\"%s\"", cases[i][1]);
    g_assert_nonnull (strstr (answer, expected));
  }

  /* Escapes that do not decode, or decode to something that is not UTF-8
   * (GUri refuses "%ZZ" on the client side, so this is raw). */
  {
    static const char *bad[] = { "%ZZ", "%C3", "%00" };

    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree char *req =
          g_strdup_printf ("GET " DATASET_PATH
                           "/assets/%s/annotations HTTP/1.1\r\n"
                           "Host: 127.0.0.1\r\n"
                           "Authorization: Bearer " KEY "\r\n"
                           "Organization-Id: " ORG "\r\n"
                           "Connection: close\r\n"
                           "\r\n",
                           bad[i]);
      g_autofree char *answer = NULL;
      gsize            len;

      answer = raw_exchange (f, req, &len);
      g_test_message ("%s -> %.*s", bad[i], 40, answer);
      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 400"));
      /* libsoup itself refuses "%ZZ", before the server sees it. */
      if (i > 0)
        g_assert_nonnull (strstr (answer, "\"error\":\"ValidationFailed\""));
    }
  }
}

/* ---- faults ------------------------------------------------------------- */

static void
add_fault (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vi_local_server_add_fault_json (f->server, json, &error));
  g_assert_no_error (error);
}

static void
test_fault_status (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  Response        *r;

  add_fault (f,
             "{\"path\":\"/workspaces/\",\"action\":\"status\",\"status\":503,"
             "\"retryAfter\":\"2\",\"times\":2}");
  r = request (f, "GET", path);
  assert_error (r, 503, "ServiceUnavailable");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Retry-After"), ==,
                   "2");
  response_free (r);
  r = request (f, "GET", path);
  assert_error (r, 503, "ServiceUnavailable");
  response_free (r);
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (r->headers, "Retry-After"));
  response_free (r);

  /* "after" lets requests through first; rules only count what matches. */
  vi_local_server_clear_faults (f->server);
  add_fault (
      f,
      "[{\"method\":\"DELETE\",\"action\":\"status\",\"status\":500,\"times\":-1},"
      "{\"method\":\"GET\",\"after\":1,\"action\":\"status\",\"status\":429,"
      "\"retryAfter\":1}]");
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
  r = request (f, "GET", path);
  assert_error (r, 429, "RateLimitExceeded");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Retry-After"), ==,
                   "1");
  response_free (r);
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
  r = request (f, "DELETE", DATASET_PATH "/assets/img1.jpg/annotations/x");
  assert_error (r, 500, "ServerError");
  response_free (r);
  r = request (f, "DELETE", DATASET_PATH "/assets/img1.jpg/annotations/x");
  assert_error (r, 500, "ServerError");
  response_free (r);

  /* A path that does not match. */
  vi_local_server_clear_faults (f->server);
  add_fault (f,
             "{\"path\":\"/workspaces/" ORG "/datasets/" ORG
             "_other\",\"action\":\"status\"}");
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  /* Faulted requests are counted. */
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 9);
  vi_local_server_reset_counters (f->server);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", "/"),
                    ==, 0);
}

static void
test_fault_rules_invalid (Fixture *f, gconstpointer data)
{
  static const char *bad[] = {
    "",
    "{",
    "42",
    "{}",
    "{\"action\":\"explode\"}",
    "{\"action\":\"drop\",\"time\":1}",
    "{\"action\":\"status\",\"status\":99}",
    "{\"action\":\"drop\",\"times\":-2}",
    "[{\"action\":\"drop\"},{\"action\":1}]",
    "{\"action\":\"status\",\"retryAfter\":\"1\\r\\nX: y\"}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (vi_local_server_add_fault_json (f->server, bad[i], &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  }
  /* Nothing was added by the half-good array. */
  {
    g_autofree char *path = list_path ("img1.jpg");
    g_autoptr (Response) r = request (f, "GET", path);

    g_assert_cmpuint (r->status, ==, 200);
  }
}

static void
test_fault_drop (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  g_autoptr (SoupSession) fresh = soup_session_new ();
  Response *r;

  add_fault (f, "{\"method\":\"GET\",\"action\":\"drop\"}");
  /* A new session: libsoup resends a request that failed on a reused
   * connection, which would hide the fault. */
  r = request_full (fresh, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_nonnull (r->error);
  g_test_message ("dropped: %s", r->error->message);
  g_assert_cmpuint (r->status, ==, 0);
  response_free (r);

  r = request_full (fresh, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET", NULL),
                    ==, 2);
}

static void
test_fault_truncate (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  g_autofree char *answer = NULL;
  g_autofree char *req = NULL;
  const char      *cl, *body;
  gsize            len;
  Response        *r;

  add_fault (f, "{\"action\":\"truncate\",\"times\":2}");

  /* libsoup sees a body cut short. */
  r = request_full (f->session, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_nonnull (r->error);
  g_test_message ("truncated: %s", r->error->message);
  response_free (r);

  /* On the wire: a 200 whose Content-Length is more than what follows. */
  req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Authorization: Bearer " KEY
                         "\r\nOrganization-Id: " ORG "\r\n\r\n",
                         path);
  answer = raw_exchange (f, req, &len);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (answer, "x-cloud-trace-context: "));
  cl = strstr (answer, "Content-Length: ");
  g_assert_nonnull (cl);
  body = strstr (answer, "\r\n\r\n");
  g_assert_nonnull (body);
  body += 4;
  g_assert_cmpuint (g_ascii_strtoull (cl + 16, NULL, 10), >,
                    len - (body - answer));
  g_assert_cmpuint (len - (body - answer), >, 0);

  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
}

static void
test_fault_malformed (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  const char *body;
  gsize       len;
  Response   *r;

  add_fault (f, "{\"action\":\"malformed\"}");
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  assert_trace_header (r);
  body = g_bytes_get_data (r->body, &len);
  g_assert_cmpuint (len, >, 0);
  g_assert_false (json_parser_load_from_data (parser, body, len, &error));
  g_assert_nonnull (error);
  response_free (r);

  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
}

typedef struct {
  char  *url;
  char  *path;
  gint64 started;
  gint64 finished;
  guint  status;
} SlowRequest;

static gpointer
slow_request_thread (gpointer data)
{
  SlowRequest *slow = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  Response *r;

  slow->started = g_get_monotonic_time ();
  r = request_full (session, slow->url, "GET", slow->path, AUTH_OK, NULL);
  slow->finished = g_get_monotonic_time ();
  g_assert_no_error (r->error);
  slow->status = r->status;
  response_free (r);
  soup_session_abort (session);
  return NULL;
}

static void
test_fault_latency (Fixture *f, gconstpointer data)
{
  SlowRequest slow = {
    0,
  };
  g_autofree char *fast_path = NULL;
  GThread         *thread;
  gint64           fast_start, fast_end;
  Response        *r;

  add_caption (f, "fast.jpg", "fast");
  add_fault (f,
             "{\"path\":\"" DATASET_PATH
             "/assets/img1.jpg/\",\"action\":\"latency\","
             "\"latencyMs\":1500}");

  slow.url = f->url;
  slow.path = list_path ("img1.jpg");
  thread = g_thread_new ("slow", slow_request_thread, &slow);

  /* Wait until the slow request is held by the server. */
  g_assert_true (vi_local_server_wait_for_requests (f->server, "GET",
                                                    DATASET_PATH
                                                    "/assets/img1.jpg/",
                                                    1, 60 * 1000));

  fast_path = list_path ("fast.jpg");
  fast_start = g_get_monotonic_time ();
  r = request (f, "GET", fast_path);
  fast_end = g_get_monotonic_time ();
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  /* The server answered the other request meanwhile. */
  g_assert_cmpint (fast_end - fast_start, <, 1000 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (slow.finished, ==, 0);

  g_thread_join (thread);
  g_assert_cmpuint (slow.status, ==, 200);
  g_assert_cmpint (slow.finished - slow.started, >=,
                   1500 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (slow.finished, >, fast_end);
  g_free (slow.path);
}

static void
send_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GInputStream) stream = NULL;
  gboolean *done = user_data;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, NULL);
  *done = TRUE;
}

static void
test_latency_stop_while_held (Fixture *f, gconstpointer data)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (SoupSession) session = NULL;
  g_autofree char *path = list_path ("img1.jpg");
  g_autofree char *uri = g_strconcat (f->url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr (GCancellable) seen = g_cancellable_new ();
  GThread *seen_thread;
  gboolean done = FALSE;

  /* A request held back when the server stops is closed, not leaked. */
  vi_local_server_set_latency (f->server, 10000);
  g_main_context_push_thread_default (context);
  session = soup_session_new ();
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, send_done_cb,
                           &done);
  /* Until the server has the request: a flag cancelled in the context
   * when it does, not a busy loop on the counter. */
  seen_thread = vi_test_server_cancel_on_request_in (f->server, seen, context,
                                                     NULL, NULL, 1);
  while (!g_cancellable_is_cancelled (seen))
    g_main_context_iteration (context, TRUE);
  g_thread_join (seen_thread);
  vi_local_server_stop (f->server);
  while (!done)
    g_main_context_iteration (context, TRUE);
  soup_session_abort (session);
  g_clear_object (&session);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}

/* Faults on answers held back by the server-wide latency. */
static void
test_fault_after_latency (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  g_autoptr (SoupSession) fresh = soup_session_new ();
  gint64    start;
  Response *r;

  vi_local_server_set_latency (f->server, 100);
  add_fault (f,
             "[{\"action\":\"drop\"},{\"action\":\"truncate\"},"
             "{\"action\":\"status\",\"status\":504},{\"action\":\"malformed\"},"
             "{\"action\":\"latency\",\"latencyMs\":200}]");

  r = request_full (fresh, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_nonnull (r->error);
  response_free (r);
  g_clear_object (&fresh);
  fresh = soup_session_new ();
  r = request_full (fresh, f->url, "GET", path, AUTH_OK, NULL);
  g_assert_nonnull (r->error);
  response_free (r);

  start = g_get_monotonic_time ();
  r = request (f, "GET", path);
  assert_error (r, 504, "TimeoutError");
  g_assert_cmpint (g_get_monotonic_time () - start, >=,
                   100 * G_TIME_SPAN_MILLISECOND);
  response_free (r);
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  /* The latency of a rule adds to the server's. */
  start = g_get_monotonic_time ();
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=,
                   300 * G_TIME_SPAN_MILLISECOND);
  response_free (r);

  vi_local_server_set_latency (f->server, 0);
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
  soup_session_abort (fresh);
}

static void
test_control_endpoint (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  g_autoptr (JsonNode) stats = NULL;
  Response *r;

  /* No authentication on the control endpoint, and it is not counted. */
  r = request_full (
      f->session, f->url, "POST", "/_control/faults", AUTH_NONE,
      "[{\"action\":\"status\",\"status\":502,\"times\":-1,\"method\":\"GET\"}]");
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  r = request (f, "GET", path);
  assert_error (r, 502, "NetworkError");
  response_free (r);

  r = request_full (f->session, f->url, "GET", "/_control/faults", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (r->body, NULL),
                                  g_bytes_get_size (r->body), "\"fired\":1"));
  response_free (r);

  r = request_full (f->session, f->url, "DELETE", "/_control/faults", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 204);
  response_free (r);

  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  r = request_full (f->session, f->url, "POST", "/_control/faults", AUTH_NONE,
                    "{\"action\":\"nope\"}");
  assert_error (r, 400, "ValidationFailed");
  response_free (r);

  r = request_full (f->session, f->url, "GET", "/_control/stats", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 200);
  stats = parse_body (r);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats),
                                               "requests"),
                   ==, 2);
  response_free (r);

  r = request_full (f->session, f->url, "POST", "/_control/reset", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 204);
  response_free (r);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);

  r = request_full (f->session, f->url, "GET", "/_control/nothing", AUTH_NONE,
                    NULL);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);
}

/* libvi's client retries through three injected 503s; the control
 * endpoint counts the faulted requests, not the rules. */
static void
test_fault_stats_client (Fixture *f, gconstpointer data)
{
  g_autoptr (ViClient) client = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) stats = NULL;
  JsonObject *o;
  Response   *r;

  client = vi_client_new (f->url, KEY, ORG, NULL, &error);
  g_assert_no_error (error);
  g_object_set (client, "retry-base-delay", 0.001, "retry-max-delay", 0.01,
                NULL);

  r = request_full (
      f->session, f->url, "POST", "/_control/faults", AUTH_NONE,
      "{\"method\":\"GET\",\"action\":\"status\",\"status\":503,\"times\":3}");
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  page = vi_client_list_annotations (client, DS, "img1.jpg", 10, NULL, NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);

  r = request_full (f->session, f->url, "GET", "/_control/stats", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 200);
  stats = parse_body (r);
  response_free (r);
  o = json_node_get_object (stats);
  g_assert_cmpint (json_object_get_int_member (o, "requests"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "faults"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "rules"), ==, 1);
  g_assert_cmpuint (vi_local_server_get_fault_count (f->server), ==, 3);

  /* A latency rule is a fault too; reset clears the count. */
  add_fault (f, "{\"action\":\"latency\",\"latencyMs\":1}");
  g_clear_pointer (&page, vi_annotation_page_unref);
  page = vi_client_list_annotations (client, DS, "img1.jpg", 10, NULL, NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_local_server_get_fault_count (f->server), ==, 4);
  vi_local_server_reset_counters (f->server);
  g_assert_cmpuint (vi_local_server_get_fault_count (f->server), ==, 0);
}

/* ---- untrusted JSON ------------------------------------------------------ */

static void
assert_message_contains (Response *r, const char *part)
{
  g_autoptr (JsonNode) root = parse_body (r);
  const char *message =
      json_object_get_string_member (json_node_get_object (root), "message");

  if (strstr (message, part) == NULL)
    g_error ("“%s” does not contain “%s”", message, part);
}

static void
test_deep_json (Fixture *f, gconstpointer data)
{
  g_autofree char *deep = deep_json ("", 100000, "");
  g_autofree char *deep_rule =
      deep_json ("{\"action\":\"drop\",\"path\":", 100000, "}");
  g_autofree char *at_limit = deep_json ("", 512, "");
  g_autofree char *over_limit = deep_json ("", 513, "");
  g_autoptr (GError) error = NULL;
  Response *r;

  /* Without credentials, on the control endpoint: a 400 naming the
   * problem, and the server still answers.  The limit is libvi's: 512
   * levels parse (and are then no rule), 513 do not. */
  const struct {
    const char *body;
    const char *message;
  } cases[] = {
    { deep, "nesting too deep" },
    { deep_rule, "nesting too deep" },
    { at_limit, "must be a JSON object" },
    { over_limit, "1:513: nesting too deep" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    r = request_full (f->session, f->url, "POST", "/_control/faults", AUTH_NONE,
                      cases[i].body);
    assert_error (r, 400, "ValidationFailed");
    assert_message_contains (r, cases[i].message);
    response_free (r);
  }

  /* Strict JSON: what json-glib alone would take is refused too. */
  r = request_full (f->session, f->url, "POST", "/_control/faults", AUTH_NONE,
                    "{\"action\":\"drop\"} {\"action\":\"drop\"}");
  assert_error (r, 400, "ValidationFailed");
  response_free (r);

  /* The C API and --fault read rules the same way. */
  g_assert_false (vi_local_server_add_fault_json (f->server, deep, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "nesting too deep"));

  r = request_full (f->session, f->url, "GET", "/_control/faults", AUTH_NONE,
                    NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (r->body), ==, 2);
  response_free (r);
}

/* ---- start, stop, data directory ---------------------------------------- */

static void
test_refuse_non_loopback (void)
{
  static const char *addresses[] = { "0.0.0.0", "192.168.1.10",
                                     "::", "example.com" };
  g_autoptr (ViLocalServer) server = vi_local_server_new (NULL, NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (addresses); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (
        vi_local_server_start (server, addresses[i], 0, TRUE, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint (vi_local_server_get_port (server), ==, 0);
    g_assert_null (vi_local_server_get_url (server));
  }
}

static void
test_ipv6_loopback (void)
{
  g_autoptr (ViLocalServer) server = vi_local_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  if (!vi_local_server_start (server, "::1", 0, TRUE, &error)) {
    g_assert_false (
        g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT));
    g_test_skip ("no IPv6 loopback here");
    return;
  }
  url = vi_local_server_get_url (server);
  g_assert_true (g_str_has_prefix (url, "http://[::1]:"));
  vi_local_server_stop (server);
}

static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autofree char *path = list_path ("img1.jpg");
  Response        *r;

  vi_local_server_stop (f->server);
  vi_local_server_stop (f->server);
  g_assert_cmpuint (vi_local_server_get_port (f->server), ==, 0);
  start_server (f);
  r = request (f, "GET", path);
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);
}

static char *
list_all_json (Fixture *f, const char *asset_id)
{
  g_autofree char *base = list_path (asset_id);
  g_autofree char *path = g_strconcat (base, "?pageSize=1000", NULL);
  g_autoptr (Response) r = request (f, "GET", path);

  g_assert_cmpuint (r->status, ==, 200);
  return g_strndup (g_bytes_get_data (r->body, NULL),
                    g_bytes_get_size (r->body));
}

static void
test_data_dir (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) list = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *del = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *token = NULL;
  const char      *id;
  Response        *r;
  guint            i;

  g_assert_true (vi_local_server_set_data_dir (f->server, f->dir, &error));
  g_assert_no_error (error);
  add_grounded (f, "img1.jpg");
  add_caption (f, "a/b", "slash \"quoted\"\ttab");
  for (i = 0; i < 5; i++)
    add_caption (f, "many", "m");
  {
    g_autoptr (ViJsonlRecord) vqa = make_record ("vqa", NULL);

    vi_jsonl_record_add_interaction (vqa, "Q?", "A!");
    g_assert_true (vi_local_server_add_record (f->server, DS, vqa, &error));
  }
  /* A dataset with nothing in it. */
  {
    g_autoptr (ViJsonlRecord) empty = make_record ("bare", NULL);

    g_assert_true (
        vi_local_server_add_record (f->server, "other", empty, &error));
  }
  start_server (f);

  id = first_annotation_id (f, "img1.jpg", &list);
  del = g_strdup_printf (DATASET_PATH "/assets/img1.jpg/annotations/%s", id);
  r = request (f, "DELETE", del);
  g_assert_cmpuint (r->status, ==, 204);
  response_free (r);
  before = list_all_json (f, "img1.jpg");
  {
    g_autofree char *base = list_path ("many");
    g_autofree char *path = g_strconcat (base, "?pageSize=2", NULL);
    g_autoptr (Response) p = request (f, "GET", path);
    g_autoptr (JsonNode) root = parse_body (p);

    token = g_strdup (
        json_object_get_string_member (json_node_get_object (root),
                                       "nextPage"));
  }

  /* A new server on the same directory sees the same data. */
  vi_local_server_stop (f->server);
  g_clear_object (&f->server);
  f->server = vi_local_server_new (NULL, NULL);
  g_assert_true (vi_local_server_set_data_dir (f->server, f->dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    2 + 1 + 5 + 1);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "other",
                                                       NULL),
                    ==, 0);
  start_server (f);

  after = list_all_json (f, "img1.jpg");
  g_assert_cmpstr (before, ==, after);
  r = request (f, "GET", del);
  assert_error (r, 404, "ResourceNotFound");
  response_free (r);
  {
    g_autofree char *json = list_all_json (f, "a/b");

    g_assert_nonnull (strstr (json, "slash \\\"quoted\\\"\\ttab"));
  }
  {
    g_autofree char *json = list_all_json (f, "vqa");

    g_assert_nonnull (strstr (json, "\"question\":\"Q?\",\"answer\":\"A!\""));
  }
  /* A page token survives the restart. */
  {
    g_autofree char *base = list_path ("many");
    g_autofree char *path = g_strdup_printf ("%s?pageSize=10&pageToken=%s",
                                             base, token);
    g_autoptr (Response) p = request (f, "GET", path);
    g_autoptr (JsonNode) root = parse_body (p);

    g_assert_cmpuint (p->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (items_of (root)), ==, 3);
  }
  r = request (f, "GET",
               "/workspaces/" ORG "/datasets/" ORG
               "_other/assets/bare/annotations");
  g_assert_cmpuint (r->status, ==, 200);
  response_free (r);

  /* A mutation after the restart, then a torn line at the end of the
   * journal, as a crash in the middle of a write leaves it. */
  add_caption (f, "late", "late");
  vi_local_server_stop (f->server);
  g_clear_object (&f->server);
  journal = g_build_filename (f->dir, "journal.jsonl", NULL);
  {
    g_autoptr (GFile) file = g_file_new_for_path (journal);
    g_autoptr (GFileOutputStream)
        out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (out),
                                              "{\"op\":\"put\",\"data", 18,
                                              NULL, NULL, &error));
    g_assert_no_error (error);
  }
  f->server = vi_local_server_new (NULL, NULL);
  g_test_expect_message ("ViLocalServer", G_LOG_LEVEL_WARNING,
                         "*incomplete last line*");
  g_assert_true (vi_local_server_set_data_dir (f->server, f->dir, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, "late"),
                    ==, 1);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    10);
  start_server (f);
}

static void
test_data_dir_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *store = g_build_filename (f->dir, "store.jsonl", NULL);

  /* A store that is not ours. */
  g_assert_true (
      g_file_set_contents (store,
                           "{\"op\":\"header\",\"format\":\"x\",\"version\":1,"
                           "\"nextSeq\":1}\n",
                           -1, &error));
  g_assert_false (vi_local_server_set_data_dir (f->server, f->dir, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "store.jsonl:1"));
  g_clear_error (&error);

  /* A line nested too deep for json-glib: a clear error, not a crash. */
  {
    g_autofree char *deep =
        deep_json ("{\"op\":\"dataset\",\"dataset\":\"a\",\"x\":", 100000,
                   "}\n");

    g_assert_true (g_file_set_contents (store, deep, -1, &error));
    g_assert_false (vi_local_server_set_data_dir (f->server, f->dir, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "store.jsonl:1: malformed JSON"));
    g_assert_nonnull (strstr (error->message, "nesting too deep"));
    g_clear_error (&error);
  }

  /* Too late once something was loaded. */
  g_unlink (store);
  add_caption (f, "a", "b");
  g_assert_false (vi_local_server_set_data_dir (f->server, f->dir, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
}

static void
test_load_jsonl (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *good = g_build_filename (f->dir, "good.jsonl", NULL);
  g_autofree char *bad = g_build_filename (f->dir, "bad.jsonl", NULL);
  g_autofree char *where = NULL;

  g_assert_true (g_file_set_contents (
      good,
      "{\"asset_id\":\"img1.jpg\",\"caption\":\"A cat sitting on a couch\","
      "\"grounded_phrases\":[{\"phrase\":\"A cat\",\"bbox\":[0.1,0.2,0.5,0.7]}]}\n"
      "\n"
      "{\"asset_id\":\"img2.jpg\",\"caption\":\"Two dogs\"}\n",
      -1, &error));
  g_assert_true (g_file_set_contents (
      bad,
      "{\"asset_id\":\"img1.jpg\",\"caption\":\"ok\"}\n"
      "{\"asset_id\":\"img2.jpg\",\"caption\":\"ok\"}\n"
      "{\"asset_id\":\"img3.jpg\",\"caption\":\"A cat\","
      "\"grounded_phrases\":[{\"phrase\":\"A cat\",\"bbox\":[0.5,0.2,0.1,0.7]}]}\n",
      -1, &error));

  g_assert_true (vi_local_server_load_jsonl (f->server, DS, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS,
                                                       "img1.jpg"),
                    ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS,
                                                       "img2.jpg"),
                    ==, 1);

  g_assert_false (vi_local_server_load_jsonl (f->server, DS, bad, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  where = g_strdup_printf ("%s:3", bad);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, where));
  g_clear_error (&error);
  /* Nothing of the bad file was added. */
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    3);

  g_assert_false (
      vi_local_server_load_jsonl (f->server, "bad id", good, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Replacing. */
  g_assert_true (vi_local_server_replace_jsonl (f->server, DS, good, &error));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    3);
  g_assert_false (vi_local_server_replace_jsonl (f->server, DS, bad, &error));
  g_clear_error (&error);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, DS, NULL), ==,
                    3);

  /* Loading while the server runs. */
  start_server (f);
  g_assert_true (vi_local_server_load_jsonl (f->server, "live", good, &error));
  g_assert_no_error (error);
  {
    g_autoptr (Response) r = request (f, "GET",
                                      "/workspaces/" ORG "/datasets/" ORG
                                      "_live/assets/img2.jpg/annotations");

    g_assert_cmpuint (r->status, ==, 200);
  }
}

/* A listing much larger than a page, walked to the end: each page is found
 * by binary search, so this stays fast. */
static void
test_large_listing (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *base = list_path ("big");
  /* 20 pages in either mode; 20000 records only with -m slow (under ASan
   * they took a minute of CPU). */
  guint  n = g_test_slow () ? 20000 : 5000, page_size = n / 20;
  guint  total = 0, i;
  gint64 start;

  for (i = 0; i < n; i++) {
    g_autofree char *caption = g_strdup_printf ("caption %u", i);

    g_ptr_array_add (records, make_record ("big", caption));
  }
  g_assert_true (vi_local_server_add_records (f->server, DS,
                                              (ViJsonlRecord **) records->pdata,
                                              records->len, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  do {
    g_autofree char *path = token != NULL
        ? g_strdup_printf ("%s?pageSize=%u&pageToken=%s", base, page_size,
                           token)
        : g_strdup_printf ("%s?pageSize=%u", base, page_size);
    g_autoptr (Response) r = request (f, "GET", path);
    g_autoptr (JsonNode) root = parse_body (r);
    JsonNode *next = json_object_get_member (json_node_get_object (root),
                                             "nextPage");

    total += json_array_get_length (items_of (root));
    g_clear_pointer (&token, g_free);
    if (!JSON_NODE_HOLDS_NULL (next))
      token = g_strdup (json_node_get_string (next));
  } while (token != NULL);
  g_test_message ("20 pages of %u in %.0f ms (with parsing)", page_size,
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (total, ==, n);
}

/* ---- exports -------------------------------------------------------------- */

static void
add_export_record (Fixture    *f,
                   const char *asset_id,
                   const char *caption,
                   const char *phrase,
                   const char *question)
{
  g_autoptr (ViJsonlRecord) record = make_record (asset_id, caption);
  g_autoptr (GError) error = NULL;
  const ViBBox box = { 0.25, 0.25, 0.75, 0.75 };

  if (phrase != NULL)
    vi_jsonl_record_add_phrase (record, phrase, &box);
  if (question != NULL)
    vi_jsonl_record_add_interaction (record, question, "yes");
  g_assert_true (vi_jsonl_record_compute_spans (record, &error));
  g_assert_no_error (error);
  g_assert_true (vi_local_server_add_record (f->server, DS, record, &error));
  g_assert_no_error (error);
}

/* The export has one line per kind of content of each whole (the parts
 * of one imported line), wholes in the order they were created, however
 * their parts interleave by asset; a whole whose caption part was
 * deleted has no phrase text left and gives no phrase line. */
static void
test_export_wholes (Fixture *f, gconstpointer data)
{
  static const char *const expected[][3] = {
    /* asset, contents type, caption or first question */
    { "a.jpg", "PhraseGrounding", "A cat on a mat" },
    { "a.jpg", "Vqa", "Is it a cat?" },
    { "b.jpg", "Vqa", "Is it empty?" },
    { "a.jpg", "PhraseGrounding", "A dog" },
  };
  g_autoptr (ViClient) client = NULL;
  g_autoptr (ViAnnotationPage) page = NULL;
  g_autoptr (ViExportedAnnotations) created = NULL;
  g_autoptr (ViExportedAnnotations) ready = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (f->dir, "export", NULL);
  g_autofree char *path = g_build_filename (dir, DS, "dump", "annotations",
                                            "annotations.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *first_id = NULL;
  guint            i;

  /* The fixture's img1.jpg, then these. */
  add_export_record (f, "a.jpg", "A cat on a mat", "cat", "Is it a cat?");
  add_export_record (f, "b.jpg", NULL, NULL, "Is it empty?");
  add_export_record (f, "c.jpg", "Gone soon", "Gone", NULL);
  add_export_record (f, "a.jpg", "A dog", "dog", NULL);

  client = vi_client_new (f->url, KEY, ORG, NULL, &error);
  g_assert_no_error (error);
  page = vi_client_list_annotations (client, DS, "c.jpg", 10, NULL, NULL,
                                     &error);
  g_assert_no_error (error);
  for (i = 0; i < vi_annotation_page_get_n_items (page); i++) {
    ViAnnotation *a = vi_annotation_page_get_item (page, i);

    if (vi_annotation_spec_get_role (vi_annotation_get_spec (a)) ==
        VI_ROLE_CAPTION) {
      ViDeletedResource *deleted =
          vi_client_delete_annotation (client, DS, "c.jpg",
                                       vi_annotation_get_annotation_id (a),
                                       NULL, &error);

      g_assert_no_error (error);
      vi_deleted_resource_free (deleted);
    }
  }

  created = vi_client_create_export (client, DS, VI_EXPORT_FORMAT_VI_JSONL,
                                     TRUE, NULL, &error);
  g_assert_no_error (error);
  ready = vi_client_wait_export (client, DS,
                                 vi_exported_annotations_get_dataset_export_id (
                                     created),
                                 10, 60000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vi_client_download_export (client, ready, dir, 1, NULL, NULL,
                                            NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  /* img1.jpg's line, the expected ones, and the empty string after the
   * last newline. */
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + G_N_ELEMENTS (expected) + 1);
  g_assert_cmpstr (lines[G_N_ELEMENTS (expected) + 1], ==, "");
  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_autoptr (JsonNode) node = json_from_string (lines[i + 1], &error);
    JsonObject *line, *asset, *line_contents;
    const char *type, *text;

    g_assert_no_error (error);
    line = json_node_get_object (node);
    asset = json_object_get_object_member (line, "asset");
    line_contents = json_object_get_object_member (line, "contents");
    type = json_object_get_string_member (line_contents, "type");
    g_assert_cmpstr (json_object_get_string_member (asset, "filename"), ==,
                     expected[i][0]);
    g_assert_cmpstr (type, ==, expected[i][1]);
    if (g_str_equal (type, "Vqa"))
      text = json_object_get_string_member (
          json_array_get_object_element (
              json_object_get_array_member (line_contents, "interactions"), 0),
          "question");
    else
      text = json_object_get_string_member (line_contents, "caption");
    g_assert_cmpstr (text, ==, expected[i][2]);
    /* The two lines of one whole share its id. */
    if (i == 0)
      first_id = g_strdup (json_object_get_string_member (line, "id"));
    else if (i == 1)
      g_assert_cmpstr (json_object_get_string_member (line, "id"), ==,
                       first_id);
    else
      g_assert_cmpstr (json_object_get_string_member (line, "id"), !=,
                       first_id);
  }
}

int
main (int argc, char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, vi_test_server_teardown)
#define ADD_STOPPED(name, func)                                        \
  g_test_add (name, Fixture, NULL, vi_test_server_setup_stopped, func, \
              vi_test_server_teardown)

  ADD ("/server/auth", test_auth);
  g_test_add_func ("/server/auth/custom-credentials",
                   test_auth_custom_credentials);
  ADD ("/server/routing/not-found", test_not_found);
  ADD ("/server/resource/fields", test_resource_fields);
  ADD ("/server/resource/invalid-records", test_invalid_records);
  ADD ("/server/get-delete", test_get_delete);
  ADD ("/server/list/pagination", test_pagination);
  ADD ("/server/list/page-size", test_page_size);
  ADD ("/server/list/large", test_large_listing);
  ADD ("/server/ids/special", test_special_ids);
  ADD ("/server/ids/raw-encoded", test_raw_encoded_dots);
  ADD ("/server/faults/status", test_fault_status);
  ADD ("/server/faults/invalid", test_fault_rules_invalid);
  ADD ("/server/faults/drop", test_fault_drop);
  ADD ("/server/faults/truncate", test_fault_truncate);
  ADD ("/server/faults/malformed", test_fault_malformed);
  ADD ("/server/faults/latency", test_fault_latency);
  ADD ("/server/faults/stop-while-held", test_latency_stop_while_held);
  ADD ("/server/faults/after-latency", test_fault_after_latency);
  ADD ("/server/faults/control", test_control_endpoint);
  ADD ("/server/faults/stats-client", test_fault_stats_client);
  ADD ("/server/json/deep", test_deep_json);
  ADD ("/server/export/wholes", test_export_wholes);
  g_test_add_func ("/server/start/refuse-non-loopback",
                   test_refuse_non_loopback);
  g_test_add_func ("/server/start/ipv6", test_ipv6_loopback);
  ADD ("/server/start/restart", test_restart);
  ADD_STOPPED ("/server/data-dir/persistence", test_data_dir);
  ADD_STOPPED ("/server/data-dir/errors", test_data_dir_errors);
  ADD_STOPPED ("/server/load-jsonl", test_load_jsonl);

  return g_test_run ();
}
