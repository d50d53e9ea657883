/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests of the write side of vi-local-server: import sessions, signed
 * uploads, processing with the failure policies, exports and downloads.
 * The server runs in-process on 127.0.0.1; it is spoken to with plain
 * libsoup, not with libvi's client.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <vi/vi.h>

#include "vi-test-server.h"
#include "vi-test-http.h"

#define ORG "local-org"
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define DATASETS "/workspaces/" ORG "/datasets/" ORG "_"

/* The shared fixture: a server started for the test, and a session for
 * raw HTTP. */
typedef ViTestServer Fixture;

/* Three lines: a caption with two phrases (3 parts), a plain caption
 * (1 part), a VQA line with two interactions (2 parts). */
static const char good_lines[] =
    "{\"asset_id\":\"img1\",\"caption\":\"A red car next to a blue bike\","
    "\"grounded_phrases\":[{\"phrase\":\"red car\",\"bbox\":[0.1,0.2,0.5,0.6]},"
    "{\"phrase\":\"blue bike\",\"bbox\":[0.5,0.5,0.9,0.95]}]}\n"
    "{\"asset_id\":\"img2\",\"caption\":\"An empty street\"}\n"
    "{\"asset_id\":\"img2\",\"contents\":{\"interactions\":[{\"question\":\"Is it day?\","
    "\"answer\":\"Yes\"},{\"question\":\"Cars?\",\"answer\":\"None\"}]}}\n";
#define GOOD_PARTS 6

/* Good, bad (not JSON), good (nested form, 2 parts), bad (phrase not in
 * the caption). */
static const char mixed_lines[] =
    "{\"asset_id\":\"img3\",\"caption\":\"A dog\"}\n"
    "{this is not json\n"
    "{\"asset_id\":\"img3\",\"contents\":{\"caption\":\"A cat on a couch\","
    "\"grounded_phrases\":[{\"phrase\":\"cat\",\"bound\":[0.1,0.2,0.5,0.7]}]}}\n"
    "{\"asset_id\":\"img3\",\"caption\":\"A bird\",\"grounded_phrases\":"
    "[{\"phrase\":\"plane\",\"bbox\":[0.1,0.1,0.2,0.2]}]}\n";
#define MIXED_GOOD_PARTS 3

/* ---- helpers ------------------------------------------------------------ */

static Response *
api (Fixture *f, const char *method, const char *path, const char *body)
{
  g_autofree char *uri = g_strconcat (f->url, path, NULL);

  return send_full (f->session, method, uri, TRUE, "application/json", body,
                    body != NULL ? strlen (body) : 0, NULL);
}

static JsonObject *
obj (Response *r)
{
  g_assert_nonnull (r->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->json));
  return json_node_get_object (r->json);
}

static const char *
error_message (Response *r)
{
  return json_object_get_string_member (obj (r), "message");
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static char *
session_path (const char *dataset, const char *id, const char *suffix)
{
  return g_strdup_printf (DATASETS "%s/annotationImportSessions/%s%s", dataset,
                          id, suffix != NULL ? suffix : "");
}

static char *
create_session_full (Fixture    *f,
                     const char *dataset,
                     const char *on_bad_annotation,
                     const char *on_bad_file,
                     gint64      upload_before)
{
  g_autofree char *path =
      g_strdup_printf (DATASETS "%s/annotationImportSessions", dataset);
  g_autofree char *body = g_strdup_printf (
      "{\"spec\":{\"uploadBefore\":%" G_GINT64_FORMAT ",\"failurePolicies\":"
      "{\"onBadAnnotation\":\"%s\",\"onBadFile\":\"%s\",\"onOverwritten\":\"RejectSession\"},"
      "\"source\":\"UploadedIndividualFiles\"},\"metadata\":{\"attributes\":{\"who\":\"test\"}}}",
      upload_before, on_bad_annotation, on_bad_file);
  g_autoptr (Response) r = api (f, "POST", path, body);
  JsonObject *s, *status, *files, *meta;
  const char *id;

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  s = obj (r);
  /* Every required field of docs/protocol.md §7.6, from creation on. */
  g_assert_cmpstr (json_object_get_string_member (s, "kind"), ==,
                   "AnnotationImportSession");
  g_assert_true (json_object_has_member (s, "user"));
  g_assert_cmpstr (json_object_get_string_member (s, "workspaceId"), ==, ORG);
  g_assert_true (
      g_str_has_prefix (json_object_get_string_member (s, "datasetId"),
                        ORG "_"));
  g_assert_true (json_object_has_member (s, "selfLink"));
  g_assert_true (json_object_has_member (s, "etag"));
  meta = json_object_get_object_member (s, "metadata");
  g_assert_true (json_object_has_member (meta, "timeCreated"));
  g_assert_true (json_object_has_member (meta, "lastUpdated"));
  g_assert_cmpint (json_object_get_int_member (meta, "generation"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (meta, "attributes"),
                       "who"),
                   ==, "test");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (s, "spec"),
                                  "uploadBefore"),
      ==, upload_before);
  status = json_object_get_object_member (s, "status");
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (status, "conditions")),
                    ==, 0);
  files = json_object_get_object_member (status, "files");
  g_assert_cmpint (json_object_get_int_member (files, "pageCount"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (files, "totalSizeBytes"), ==, 0);
  g_assert_true (json_object_has_member (files, "statusCount"));
  g_assert_true (
      json_object_has_member (json_object_get_object_member (status,
                                                             "annotations"),
                              "statusCount"));
  g_assert_true (json_object_has_member (status, "reason"));

  id = json_object_get_string_member (s, "annotationImportSessionId");
  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9_-]+$", id, 0, 0));
  return g_strdup (id);
}

static char *
create_session (Fixture    *f,
                const char *dataset,
                const char *on_bad_annotation,
                const char *on_bad_file)
{
  return create_session_full (f, dataset, on_bad_annotation, on_bad_file,
                              now_ms () + 3300 * 1000);
}

static char *
crc_b64 (const char *data, gsize length)
{
  return vi_crc32c_to_base64 (vi_crc32c ((const guint8 *) data, length));
}

/* Registers files (name, contents, name, contents, …, NULL) and returns
 * the upload URLs in the same order. */
static GStrv
register_files (Fixture *f, const char *dataset, const char *id, ...)
{
  g_autofree char *path = session_path (dataset, id, "/files");
  g_autoptr (GString) body = g_string_new ("{\"files\":{");
  g_autoptr (GStrvBuilder) urls = g_strv_builder_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (Response) r = NULL;
  g_autoptr (GList) members = NULL;
  JsonObject *files;
  const char *name;
  va_list     args;
  GList      *l;
  guint       i;

  va_start (args, id);
  while ((name = va_arg (args, const char *)) != NULL) {
    const char      *data = va_arg (args, const char *);
    g_autofree char *crc = crc_b64 (data, strlen (data));

    g_string_append_printf (body,
                            "%s\"%s\":{\"sizeBytes\":%zu,\"crc32c\":\"%s\","
                            "\"kind\":\"Unknown\"}",
                            names->len > 0 ? "," : "", name, strlen (data),
                            crc);
    g_ptr_array_add (names, (gpointer) name);
  }
  va_end (args);
  g_string_append (body, "}}");

  r = api (f, "POST", path, body->str);
  g_assert_cmpuint (r->status, ==, 200);
  files = json_object_get_object_member (obj (r), "files");
  /* Exactly the names registered, in order. */
  members = json_object_get_members (files);
  g_assert_cmpuint (g_list_length (members), ==, names->len);
  for (l = members, i = 0; l != NULL; l = l->next, i++) {
    JsonObject *entry = json_object_get_object_member (files, l->data);
    JsonObject *headers = json_object_get_object_member (entry, "headers");
    const char *url = json_object_get_string_member (entry, "url");

    g_assert_cmpstr (l->data, ==, g_ptr_array_index (names, i));
    g_assert_cmpstr (json_object_get_string_member (entry, "method"), ==,
                     "PUT");
    g_assert_true (g_str_has_prefix (url, f->url));
    g_assert_true (
        g_str_has_prefix (json_object_get_string_member (headers,
                                                         "x-goog-hash"),
                          "crc32c="));
    g_assert_cmpstr (json_object_get_string_member (headers, "content-type"),
                     ==, "application/octet-stream");
    g_strv_builder_add (urls, url);
  }
  return g_strv_builder_end (urls);
}

static guint
upload_with (SoupSession *session,
             const char  *url,
             const char  *data,
             Response   **out)
{
  Response *r = send_full (session, "PUT", url, FALSE,
                           "application/octet-stream", data, strlen (data),
                           NULL);
  guint     status = r->status;

  if (out != NULL)
    *out = r;
  else
    response_free (r);
  return status;
}

static guint
upload (Fixture *f, const char *url, const char *data)
{
  return upload_with (f->session, url, data, NULL);
}

static Response *
patch_status (Fixture    *f,
              const char *dataset,
              const char *id,
              const char *status,
              const char *reason)
{
  g_autofree char *path = session_path (dataset, id, "/status");
  g_autofree char *body = NULL;

  body = g_strdup_printf (
      "{\"status\":{\"conditions\":[{\"condition\":\"FilesInserted\","
      "\"status\":\"%s\",\"lastTransitionTime\":%" G_GINT64_FORMAT "%s%s%s}]}}",
      status, now_ms (), reason != NULL ? ",\"reason\":\"" : "",
      reason != NULL ? reason : "", reason != NULL ? "\"" : "");
  return api (f, "PATCH", path, body);
}

static JsonObject *
condition_at (JsonObject *session, guint index)
{
  JsonArray *conditions =
      json_object_get_array_member (json_object_get_object_member (session,
                                                                   "status"),
                                    "conditions");

  g_assert_cmpuint (index, <, json_array_get_length (conditions));
  return json_array_get_object_element (conditions, index);
}

static void
assert_condition (JsonObject *session,
                  guint       index,
                  const char *condition,
                  const char *status)
{
  JsonObject *c = condition_at (session, index);

  g_assert_cmpstr (json_object_get_string_member (c, "condition"), ==,
                   condition);
  g_assert_cmpstr (json_object_get_string_member (c, "status"), ==, status);
  g_assert_true (json_object_has_member (c, "lastTransitionTime"));
}

/* Polls @path (a session or an export) until its first condition is no
 * longer Waiting; returns the resource.  The server finishes an import or
 * an export on a worker thread and tells no one: its API, like the
 * service's, has clients poll, and the server has no hook for it, so this
 * is a poll with a deadline, which is a safety net, not a timing
 * assertion. */
static Response *
wait_settled (Fixture *f, const char *path)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;) {
    Response   *r = api (f, "GET", path, NULL);
    JsonObject *c;

    g_assert_cmpuint (r->status, ==, 200);
    c = condition_at (obj (r), 0);
    if (!g_str_equal (json_object_get_string_member (c, "status"), "Waiting"))
      return r;
    response_free (r);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (20000);
  }
}

/* Until the session's Complete is no longer Waiting; returns the session. */
static Response *
wait_done (Fixture *f, const char *dataset, const char *id)
{
  g_autofree char *path = session_path (dataset, id, NULL);

  return wait_settled (f, path);
}

static gint64
status_count (JsonObject *session, const char *what, const char *key)
{
  JsonObject *status = json_object_get_object_member (session, "status");
  JsonObject *counts =
      json_object_get_object_member (json_object_get_object_member (status,
                                                                    what),
                                     "statusCount");

  return json_object_has_member (counts, key)
      ? json_object_get_int_member (counts, key)
      : 0;
}

static const char *
session_reason (JsonObject *session)
{
  JsonObject *status = json_object_get_object_member (session, "status");

  return json_object_get_null_member (status, "reason")
      ? NULL
      : json_object_get_string_member (status, "reason");
}

static guint
list_count (Fixture *f, const char *dataset, const char *asset)
{
  g_autofree char *path =
      g_strdup_printf (DATASETS "%s/assets/%s/annotations?pageSize=1000",
                       dataset, asset);
  g_autoptr (Response) r = api (f, "GET", path, NULL);

  if (r->status == 404)
    return 0;
  g_assert_cmpuint (r->status, ==, 200);
  return json_array_get_length (
      json_object_get_array_member (obj (r), "items"));
}

/* ---- import sessions ---------------------------------------------------- */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_auto (GStrv) urls = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) polled = NULL;
  g_autoptr (Response) done = NULL;
  g_autofree char *path = NULL;
  g_autofree char *list_path = NULL;
  g_autoptr (Response) list = NULL;
  JsonObject *s, *item, *box = NULL;
  JsonArray  *items;
  guint       i;

  vi_local_server_set_processing_delay (f->server, 400);
  id = create_session (f, "rt", "RejectSession", "RejectSession");
  urls = register_files (f, "rt", id, "a.jsonl", good_lines, NULL);
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);

  patched = patch_status (f, "rt", id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  /* Newest first: Complete Waiting, then FilesInserted Reached. */
  s = obj (patched);
  assert_condition (s, 0, "Complete", "Waiting");
  assert_condition (s, 1, "FilesInserted", "Reached");

  path = session_path ("rt", id, NULL);
  polled = api (f, "GET", path, NULL);
  assert_condition (obj (polled), 0, "Complete", "Waiting");
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "rt", NULL),
                    ==, 0);

  done = wait_done (f, "rt", id);
  s = obj (done);
  assert_condition (s, 0, "Complete", "Reached");
  assert_condition (s, 1, "FilesInserted", "Reached");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_object_get_object_member (s, "status"),
                        "conditions")),
                    ==, 2);
  g_assert_cmpint (status_count (s, "files", "Processed"), ==, 1);
  g_assert_cmpint (status_count (s, "files", "Failed"), ==, 0);
  g_assert_cmpint (status_count (s, "annotations", "Created"), ==, GOOD_PARTS);
  g_assert_cmpint (status_count (s, "annotations", "Failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (
                           json_object_get_object_member (s, "status"),
                           "files"),
                       "pageCount"),
                   ==, 1);
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (
                           json_object_get_object_member (s, "status"),
                           "files"),
                       "totalSizeBytes"),
                   ==, (gint64) strlen (good_lines));
  g_assert_null (session_reason (s));

  /* The annotations are there, linked by whole.id (docs/decisions.md,
   * "Lines become parts"). */
  g_assert_cmpuint (list_count (f, "rt", "img1"), ==, 3);
  g_assert_cmpuint (list_count (f, "rt", "img2"), ==, 3);
  list_path = g_strdup_printf (DATASETS "rt/assets/img1/annotations");
  list = api (f, "GET", list_path, NULL);
  items = json_object_get_array_member (obj (list), "items");
  for (i = 0; i < json_array_get_length (items); i++) {
    JsonObject *spec;

    item = json_array_get_object_element (items, i);
    spec = json_object_get_object_member (item, "spec");
    if (g_str_equal (json_object_get_string_member (
                         json_object_get_object_member (spec, "contents"),
                         "kind"),
                     "PhraseGroundingBoundingBox")) {
      box = json_object_get_object_member (spec, "contents");
      break;
    }
  }
  g_assert_nonnull (box);
  g_assert_cmpint (json_array_get_int_element (
                       json_object_get_array_member (box, "target"), 0),
                   ==, 2);
  g_assert_cmpint (json_array_get_int_element (
                       json_object_get_array_member (box, "target"), 1),
                   ==, 9);
}

static Response *
run_policy_session (Fixture *f, const char *dataset, const char *policy)
{
  g_autofree char *id = create_session (f, dataset, policy, "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, dataset, id, "good.jsonl", good_lines,
                             "mixed.jsonl", mixed_lines, NULL);
  g_autoptr (Response) patched = NULL;

  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  g_assert_cmpuint (upload (f, urls[1], mixed_lines), ==, 200);
  patched = patch_status (f, dataset, id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  return wait_done (f, dataset, id);
}

/* A session held in "Complete: Waiting" by a long processing delay is
 * released by setting the delay to 0: what a test that kills a client
 * between FilesInserted and Complete needs. */
static void
test_hold_release (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_auto (GStrv) urls = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) polled = NULL;
  g_autoptr (Response) done = NULL;
  g_autofree char *path = NULL;

  vi_local_server_set_processing_delay (f->server, 600000);
  id = create_session (f, "held", "RejectSession", "RejectSession");
  urls = register_files (f, "held", id, "a.jsonl", good_lines, NULL);
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  patched = patch_status (f, "held", id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);

  path = session_path ("held", id, NULL);
  polled = api (f, "GET", path, NULL);
  assert_condition (obj (polled), 0, "Complete", "Waiting");
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "held", NULL),
                    ==, 0);

  /* Released: well within wait_done's limit, not 10 minutes later. */
  vi_local_server_set_processing_delay (f->server, 0);
  done = wait_done (f, "held", id);
  assert_condition (obj (done), 0, "Complete", "Reached");
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "held", NULL),
                    ==, GOOD_PARTS);
}

static void
test_policy_warn (Fixture *f, gconstpointer data)
{
  g_autoptr (Response) done = run_policy_session (f, "warn", "Warn");
  JsonObject *s = obj (done);

  assert_condition (s, 0, "Complete", "Reached");
  g_assert_cmpint (status_count (s, "files", "Processed"), ==, 2);
  g_assert_cmpint (status_count (s, "files", "Failed"), ==, 0);
  g_assert_cmpint (status_count (s, "annotations", "Created"), ==,
                   GOOD_PARTS + MIXED_GOOD_PARTS);
  g_assert_cmpint (status_count (s, "annotations", "Failed"), ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "warn", NULL),
                    ==, GOOD_PARTS + MIXED_GOOD_PARTS);
  g_assert_cmpuint (list_count (f, "warn", "img3"), ==, MIXED_GOOD_PARTS);
}

static void
test_policy_reject_file (Fixture *f, gconstpointer data)
{
  g_autoptr (Response) done = run_policy_session (f, "rejfile", "RejectFile");
  JsonObject *s = obj (done);

  assert_condition (s, 0, "Complete", "Reached");
  g_assert_cmpint (status_count (s, "files", "Processed"), ==, 1);
  g_assert_cmpint (status_count (s, "files", "Failed"), ==, 1);
  g_assert_cmpint (status_count (s, "annotations", "Created"), ==, GOOD_PARTS);
  g_assert_cmpint (status_count (s, "annotations", "Failed"), ==, 4);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "rejfile",
                                                       NULL),
                    ==, GOOD_PARTS);
  g_assert_cmpuint (list_count (f, "rejfile", "img3"), ==, 0);
}

static void
test_policy_reject_session (Fixture *f, gconstpointer data)
{
  g_autoptr (Response)
      done = run_policy_session (f, "rejsess", "RejectSession");
  JsonObject *s = obj (done);
  const char *reason;

  assert_condition (s, 0, "Complete", "FailedReach");
  assert_condition (s, 1, "FilesInserted", "Reached");
  /* A condition reason may only be one of the SDK's two values: the
   * explanation is the session's status.reason. */
  g_assert_false (json_object_has_member (condition_at (s, 0), "reason"));
  reason = session_reason (s);
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "mixed.jsonl:2:"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "rejsess",
                                                       NULL),
                    ==, 0);
  g_assert_cmpint (status_count (s, "annotations", "Created"), ==, 0);
}

static void
test_crc_mismatch (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "crc", "Warn", "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, "crc", id, "a.jsonl", good_lines, NULL);
  g_autofree char *corrupt = g_strdup (good_lines);
  g_autofree char *expected = crc_b64 (good_lines, strlen (good_lines));
  g_autoptr (Response) put = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) done = NULL;
  const char *reason;

  corrupt[5] = 'X';
  g_assert_cmpuint (upload_with (f->session, urls[0], corrupt, &put), ==, 400);
  g_assert_nonnull (strstr (error_message (put), "crc32c mismatch: expected "));
  g_assert_nonnull (strstr (error_message (put), expected));

  patched = patch_status (f, "crc", id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  done = wait_done (f, "crc", id);
  assert_condition (obj (done), 0, "Complete", "FailedReach");
  reason = session_reason (obj (done));
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "a.jsonl"));
  g_assert_nonnull (strstr (reason, "crc32c mismatch: expected"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "crc", NULL),
                    ==, 0);
}

static void
test_size_mismatch_then_fixed (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "size", "Warn", "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, "size", id, "a.jsonl", good_lines, NULL);
  g_autoptr (Response) put = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) done = NULL;

  g_assert_cmpuint (upload_with (f->session, urls[0], "short", &put), ==, 400);
  g_assert_nonnull (strstr (error_message (put), "size mismatch"));
  /* A good upload before FilesInserted replaces the failed one. */
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  patched = patch_status (f, "size", id, "Reached", NULL);
  done = wait_done (f, "size", id);
  assert_condition (obj (done), 0, "Complete", "Reached");
  g_assert_cmpint (status_count (obj (done), "annotations", "Created"), ==,
                   GOOD_PARTS);
}

static void
test_deadline (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session_full (f, "late", "Warn", "RejectSession",
                                             now_ms () - 1000);
  g_auto (GStrv)
      urls = register_files (f, "late", id, "a.jsonl", good_lines, NULL);
  g_autoptr (Response) put = NULL;

  g_assert_cmpuint (upload_with (f->session, urls[0], good_lines, &put), ==,
                    403);
  g_assert_cmpstr (error_message (put), ==, "upload deadline passed");
}

static void
test_token (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "tok", "Warn", "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, "tok", id, "a.jsonl", good_lines, NULL);
  g_autofree char *bogus = g_strconcat (f->url, "/upload/notAToken", NULL);
  g_autofree char *get_path = session_path ("tok", "nosuchsession", NULL);
  g_autofree char *files_path = session_path ("tok", id, "/files");
  g_autoptr (Response) r = NULL;
  g_autoptr (Response) again = NULL;
  g_autoptr (Response) reg = NULL;
  g_autoptr (Response) missing = NULL;
  g_autoptr (Response) done = NULL;
  g_autoptr (Response) authed = NULL;

  /* The URL is the credential: no Authorization needed, and a wrong one is
   * ignored. */
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  /* A retry of the same bytes (after a lost answer) is accepted. */
  authed = send_full (f->session, "PUT", urls[0], TRUE,
                      "application/octet-stream", good_lines,
                      strlen (good_lines), NULL);
  g_assert_cmpuint (authed->status, ==, 200);
  g_assert_cmpuint (upload (f, bogus, good_lines), ==, 403);

  r = patch_status (f, "tok", id, "Reached", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  /* Uploads, registration and status are closed after FilesInserted. */
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 409);
  again = patch_status (f, "tok", id, "Reached", NULL);
  g_assert_cmpuint (again->status, ==, 409);
  reg = api (
      f, "POST", files_path,
      "{\"files\":{\"b.jsonl\":{\"sizeBytes\":1,\"crc32c\":\"AAAAAA==\",\"kind\":\"Unknown\"}}}");
  g_assert_cmpuint (reg->status, ==, 409);
  missing = api (f, "GET", get_path, NULL);
  g_assert_cmpuint (missing->status, ==, 404);

  done = wait_done (f, "tok", id);
  assert_condition (obj (done), 0, "Complete", "Reached");
  g_assert_cmpint (status_count (obj (done), "annotations", "Created"), ==,
                   GOOD_PARTS);
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  const char *policies[] = { "Warn", "RejectFile", "RejectSession" };
  guint       i;

  for (i = 0; i < G_N_ELEMENTS (policies); i++) {
    g_autofree char *dataset = g_strdup_printf ("missing%u", i);
    g_autofree char *id = create_session (f, dataset, "Warn", policies[i]);
    g_auto (GStrv) urls = register_files (f, dataset, id, "a.jsonl", good_lines,
                                          "b.jsonl", mixed_lines, NULL);
    g_autoptr (Response) patched = NULL;
    g_autoptr (Response) done = NULL;
    JsonObject *s;

    g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
    patched = patch_status (f, dataset, id, "Reached", NULL);
    done = wait_done (f, dataset, id);
    s = obj (done);
    if (i < 2) {
      assert_condition (s, 0, "Complete", "Reached");
      g_assert_cmpint (status_count (s, "files", "Processed"), ==, 1);
      g_assert_cmpint (status_count (s, "files", "Failed"), ==, 1);
      g_assert_cmpint (status_count (s, "annotations", "Created"), ==,
                       GOOD_PARTS);
    } else {
      assert_condition (s, 0, "Complete", "FailedReach");
      g_assert_nonnull (strstr (session_reason (s),
                                "b.jsonl: registered but never uploaded"));
      g_assert_cmpuint (vi_local_server_count_annotations (f->server, dataset,
                                                           NULL),
                        ==, 0);
    }
  }
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "cancel", "Warn", "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, "cancel", id, "a.jsonl", good_lines, NULL);
  g_autofree char *path = session_path ("cancel", id, NULL);
  g_autoptr (Response) r = NULL;
  g_autoptr (Response) later = NULL;
  g_autoptr (Response) get = NULL;
  JsonObject *s;

  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  r = patch_status (f, "cancel", id, "FailedReach", "CancelledByUser");
  g_assert_cmpuint (r->status, ==, 200);
  s = obj (r);
  assert_condition (s, 0, "FilesInserted", "FailedReach");
  g_assert_cmpstr (json_object_get_string_member (condition_at (s, 0),
                                                  "reason"),
                   ==, "CancelledByUser");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_object_get_object_member (s, "status"),
                        "conditions")),
                    ==, 1);

  later = patch_status (f, "cancel", id, "Reached", NULL);
  g_assert_cmpuint (later->status, ==, 409);
  /* No waiting for an import that must not come: the server queues an
   * import only together with a "Complete: Waiting" condition, in the
   * answer to the PATCH; the session must still have its one condition. */
  get = api (f, "GET", path, NULL);
  assert_condition (obj (get), 0, "FilesInserted", "FailedReach");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_object_get_object_member (obj (get), "status"),
                        "conditions")),
                    ==, 1);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "cancel",
                                                       NULL),
                    ==, 0);
}

static void
test_validation (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *body;
    const char *field;
  } cases[] = {
    { "{\"spec\":{\"uploadBefore\":\"soon\",\"failurePolicies\":{\"onBadAnnotation\":\"Warn\","
      "\"onBadFile\":\"Warn\",\"onOverwritten\":\"Warn\"}},\"metadata\":{\"attributes\":{}}}",
      "spec.uploadBefore" },
    { "{\"spec\":{\"uploadBefore\":1,\"failurePolicies\":{\"onBadAnnotation\":\"Ignore\","
      "\"onBadFile\":\"Warn\",\"onOverwritten\":\"Warn\"}},\"metadata\":{\"attributes\":{}}}",
      "onBadAnnotation" },
    { "{\"spec\":{\"uploadBefore\":1,\"failurePolicies\":{\"onBadAnnotation\":\"Warn\","
      "\"onBadFile\":\"Warn\"}},\"metadata\":{\"attributes\":{}}}",
      "onOverwritten" },
    { "{\"spec\":{\"uploadBefore\":1,\"failurePolicies\":{\"onBadAnnotation\":\"Warn\","
      "\"onBadFile\":\"Warn\",\"onOverwritten\":\"Warn\"},\"source\":\"Elsewhere\"}}",
      "spec.source" },
    { "{\"spec\":{\"uploadBefore\":1,\"failurePolicies\":{\"onBadAnnotation\":\"Warn\","
      "\"onBadFile\":\"Warn\",\"onOverwritten\":\"Warn\"}},\"metadata\":{\"attributes\":{\"a\":1}}}",
      "metadata.attributes.a" },
    { "[]", "JSON object" },
  };
  g_autofree char *id = create_session (f, "valid", "Warn", "Warn");
  g_autofree char *files_path = session_path ("valid", id, "/files");
  g_autofree char *status_path = session_path ("valid", id, "/status");
  g_autoptr (Response) r1 = NULL;
  g_autoptr (Response) r2 = NULL;
  g_autoptr (Response) r3 = NULL;
  g_autoptr (Response) r4 = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (Response)
        r = api (f, "POST", DATASETS "valid/annotationImportSessions",
                 cases[i].body);

    g_assert_cmpuint (r->status, ==, 400);
    g_assert_nonnull (strstr (error_message (r), cases[i].field));
  }

  r1 = api (f, "POST", files_path, "{\"files\":{}}");
  g_assert_cmpuint (r1->status, ==, 400);
  r2 = api (
      f, "POST", files_path,
      "{\"files\":{\"a\":{\"sizeBytes\":1,\"crc32c\":\"nope\",\"kind\":\"Unknown\"}}}");
  g_assert_cmpuint (r2->status, ==, 400);
  g_assert_nonnull (strstr (error_message (r2), "crc32c"));
  r3 = api (
      f, "PATCH", status_path,
      "{\"status\":{\"conditions\":[{\"condition\":\"FilesInserted\",\"status\":\"Waiting\"}]}}");
  g_assert_cmpuint (r3->status, ==, 400);
  r4 = api (
      f, "POST", DATASETS "valid/annotationImportSessions/nosuch/files",
      "{\"files\":{\"a\":{\"sizeBytes\":1,\"crc32c\":\"AAAAAA==\",\"kind\":\"Unknown\"}}}");
  g_assert_cmpuint (r4->status, ==, 404);
}

static char *
get_body (Fixture *f, const char *path)
{
  g_autoptr (Response) r = api (f, "GET", path, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  return g_strndup (g_bytes_get_data (r->body, NULL),
                    g_bytes_get_size (r->body));
}

/* With a data directory, sessions outlive the server: finished ones come
 * back as they were, the others come back failed (a stop interrupted them,
 * and none of their annotations was added). */
static void
test_sessions_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-server-import-XXXXXX", &error);
  g_autofree char *work = g_build_filename (dir, "work", NULL);
  g_autofree char *done_id = NULL;
  g_autofree char *open_id = NULL;
  g_autofree char *given_up_id = NULL;
  g_autofree char *done_path = NULL;
  g_autofree char *open_path = NULL;
  g_autofree char *given_up_path = NULL;
  g_autofree char *done_before = NULL;
  g_autofree char *given_up_before = NULL;
  g_autofree char *done_after = NULL;
  g_autofree char *given_up_after = NULL;
  g_auto (GStrv) done_urls = NULL;
  g_auto (GStrv) open_urls = NULL;
  g_autoptr (Response) r1 = NULL;
  g_autoptr (Response) r2 = NULL;
  g_autoptr (Response) done = NULL;
  g_autoptr (Response) reopened = NULL;
  g_autoptr (Response) late = NULL;
  const char *reason;

  /* The fixture's server has no data directory: use one that has. */
  vi_test_server_restart (f, dir);

  done_id = create_session (f, "keep", "Warn", "Warn");
  done_urls = register_files (f, "keep", done_id, "a.jsonl", good_lines, NULL);
  g_assert_cmpuint (upload (f, done_urls[0], good_lines), ==, 200);
  r1 = patch_status (f, "keep", done_id, "Reached", NULL);
  g_assert_cmpuint (r1->status, ==, 200);
  done = wait_done (f, "keep", done_id);
  assert_condition (obj (done), 0, "Complete", "Reached");

  open_id = create_session (f, "keep", "Warn", "Warn");
  open_urls = register_files (f, "keep", open_id, "b.jsonl", good_lines, NULL);
  g_assert_cmpuint (upload (f, open_urls[0], good_lines), ==, 200);
  /* Uploads are spooled in the data directory's work folder. */
  g_assert_true (g_file_test (work, G_FILE_TEST_IS_DIR));

  given_up_id = create_session (f, "keep", "Warn", "Warn");
  r2 = patch_status (f, "keep", given_up_id, "FailedReach", "CancelledByUser");
  g_assert_cmpuint (r2->status, ==, 200);

  done_path = session_path ("keep", done_id, NULL);
  open_path = session_path ("keep", open_id, NULL);
  given_up_path = session_path ("keep", given_up_id, NULL);
  done_before = get_body (f, done_path);
  given_up_before = get_body (f, given_up_path);

  /* A new server on the same directory. */
  vi_test_server_restart (f, dir);

  done_after = get_body (f, done_path);
  g_assert_cmpstr (done_after, ==, done_before);
  given_up_after = get_body (f, given_up_path);
  g_assert_cmpstr (given_up_after, ==, given_up_before);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "keep", NULL),
                    ==, GOOD_PARTS);

  reopened = api (f, "GET", open_path, NULL);
  g_assert_cmpuint (reopened->status, ==, 200);
  assert_condition (obj (reopened), 0, "Complete", "FailedReach");
  reason = session_reason (obj (reopened));
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "stopped before"));
  /* Its upload URL died with the first server; it is finished. */
  {
    g_autofree char *url =
        g_strconcat (f->url, strstr (open_urls[0], "/upload/"), NULL);

    g_assert_cmpuint (upload (f, url, good_lines), ==, 403);
  }
  late = patch_status (f, "keep", open_id, "Reached", NULL);
  g_assert_cmpuint (late->status, ==, 409);

  /* New sessions work as usual. */
  {
    g_autofree char *id = create_session (f, "keep", "Warn", "Warn");
    g_auto (GStrv)
        urls = register_files (f, "keep", id, "c.jsonl", good_lines, NULL);
    g_autoptr (Response) patched = NULL;
    g_autoptr (Response) finished = NULL;

    g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
    patched = patch_status (f, "keep", id, "Reached", NULL);
    g_assert_cmpuint (patched->status, ==, 200);
    finished = wait_done (f, "keep", id);
    assert_condition (obj (finished), 0, "Complete", "Reached");
  }
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "keep", NULL),
                    ==, 2 * GOOD_PARTS);

  /* The directory goes before the fixture's teardown, so the server
   * that used it is stopped first. */
  vi_test_server_restart (f, NULL);
  remove_tree (dir);
}

/* Every JSON body the server reads, nested 100,000 deep (json-glib alone
 * would overflow the stack): a 400 that says why, and nothing changes. */
static void
test_deep_json (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "deep", "Warn", "Warn");
  g_autofree char *files_path = session_path ("deep", id, "/files");
  g_autofree char *status_path = session_path ("deep", id, "/status");
  g_autofree char *session = session_path ("deep", id, NULL);
  g_autofree char *bare = deep_json ("", 100000, "");
  g_autofree char *in_spec = deep_json ("{\"spec\":", 100000, "}");
  g_autofree char *in_files = deep_json ("{\"files\":{\"a.jsonl\":", 100000,
                                         "}}");
  g_autofree char *in_status =
      deep_json ("{\"status\":{\"conditions\":", 100000, "}}");
  g_autofree char *deep_line =
      deep_json ("{\"asset_id\":\"img9\",\"caption\":\"x\",\"extra\":", 100000,
                 "}\n");
  g_autofree char *lines = g_strconcat (good_lines, deep_line, NULL);
  g_auto (GStrv) urls = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) done = NULL;
  g_autoptr (Response) again = NULL;
  const struct {
    const char *method;
    const char *path;
    const char *body;
  } cases[] = {
    { "POST", DATASETS "deep/annotationImportSessions", bare },
    { "POST", DATASETS "deep/annotationImportSessions", in_spec },
    { "POST", files_path, bare },
    { "POST", files_path, in_files },
    { "PATCH", status_path, bare },
    { "PATCH", status_path, in_status },
    { "POST", DATASETS "deep/datasetExports", bare },
    { "POST", DATASETS "deep/datasetExports", in_spec },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (Response)
        r = api (f, cases[i].method, cases[i].path, cases[i].body);

    g_assert_no_error (r->error);
    g_assert_cmpuint (r->status, ==, 400);
    g_assert_cmpstr (json_object_get_string_member (obj (r), "error"), ==,
                     "ValidationFailed");
    if (strstr (error_message (r), "nesting too deep (more than 512 levels)") ==
        NULL)
      g_error ("%s %s: “%s”", cases[i].method, cases[i].path,
               error_message (r));
  }

  /* The session was left alone: it takes files, and a JSONL line nested as
   * deep is one bad line (libvi's JSONL reader has its own limit). */
  urls = register_files (f, "deep", id, "a.jsonl", lines, NULL);
  g_assert_cmpuint (upload (f, urls[0], lines), ==, 200);
  patched = patch_status (f, "deep", id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  done = wait_done (f, "deep", id);
  assert_condition (obj (done), 0, "Complete", "Reached");
  g_assert_cmpint (status_count (obj (done), "annotations", "Created"), ==,
                   GOOD_PARTS);
  g_assert_cmpint (status_count (obj (done), "annotations", "Failed"), ==, 1);
  again = api (f, "GET", session, NULL);
  g_assert_cmpuint (again->status, ==, 200);
}

/* ---- faults ------------------------------------------------------------- */

static void
test_faults (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "faults", "Warn", "RejectSession");
  g_auto (GStrv)
      urls = register_files (f, "faults", id, "a.jsonl", good_lines, NULL);
  g_autoptr (SoupSession) fresh = soup_session_new ();
  g_autoptr (Response) dropped = NULL;
  g_autoptr (Response) unavailable = NULL;
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) done = NULL;
  g_autoptr (GError) error = NULL;

  /* A connection dropped during the signed upload: the client sees an
   * error, nothing is stored, and a retry works. */
  g_assert_true (vi_local_server_add_fault_json (
      f->server,
      "{\"method\":\"PUT\",\"path\":\"/upload/\",\"action\":\"drop\"}",
      &error));
  g_assert_no_error (error);
  upload_with (fresh, urls[0], good_lines, &dropped);
  g_assert_nonnull (dropped->error);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                       "/upload/"),
                    ==, 1);
  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);

  /* A 503 on the PATCH changes nothing; the retry goes through. */
  g_assert_true (vi_local_server_add_fault_json (
      f->server,
      "{\"method\":\"PATCH\",\"action\":\"status\",\"status\":503,\"retryAfter\":\"1\"}",
      &error));
  unavailable = patch_status (f, "faults", id, "Reached", NULL);
  g_assert_cmpuint (unavailable->status, ==, 503);
  g_assert_cmpstr (soup_message_headers_get_one (unavailable->headers,
                                                 "Retry-After"),
                   ==, "1");
  patched = patch_status (f, "faults", id, "Reached", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  done = wait_done (f, "faults", id);
  assert_condition (obj (done), 0, "Complete", "Reached");
  g_assert_cmpint (status_count (obj (done), "annotations", "Created"), ==,
                   GOOD_PARTS);
}

/* ---- exports ------------------------------------------------------------ */

static guint
rd16 (const guint8 *p)
{
  return p[0] | (p[1] << 8);
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) |
      ((guint32) p[3] << 24);
}

/* A tiny ZIP reader: the entries named by the central directory, each
 * checked against its local header, inflated and CRC-checked. */
static GHashTable *
unzip (GBytes *archive)
{
  GHashTable *entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_bytes_unref);
  gsize       size;
  const guint8 *data = g_bytes_get_data (archive, &size);
  const guint8 *eocd = NULL, *p;
  guint         n, i;
  gsize         k;

  g_assert_cmpuint (size, >=, 22);
  for (k = size - 22; k + 1 > 0; k--) {
    if (rd32 (data + k) == 0x06054b50) {
      eocd = data + k;
      break;
    }
  }
  g_assert_nonnull (eocd);
  n = rd16 (eocd + 10);
  p = data + rd32 (eocd + 16);
  for (i = 0; i < n; i++) {
    guint   method = rd16 (p + 10);
    guint32 crc = rd32 (p + 16);
    guint32 csize = rd32 (p + 20), usize = rd32 (p + 24);
    guint   name_len = rd16 (p + 28), extra_len = rd16 (p + 30),
          comment_len = rd16 (p + 32);
    const guint8    *local = data + rd32 (p + 42);
    g_autofree char *name = g_strndup ((const char *) p + 46, name_len);
    const guint8    *body;
    guint8          *out = g_malloc (usize + 1);

    g_assert_cmpuint (rd32 (p), ==, 0x02014b50);
    g_assert_cmpuint (rd32 (local), ==, 0x04034b50);
    g_assert_cmpuint (rd16 (local + 26), ==, name_len);
    g_assert_cmpmem (local + 30, name_len, name, name_len);
    body = local + 30 + name_len + rd16 (local + 28);
    if (method == 0) {
      g_assert_cmpuint (csize, ==, usize);
      memcpy (out, body, usize);
    } else {
      g_autoptr (GZlibDecompressor)
          z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
      g_autoptr (GError) error = NULL;
      gsize            bytes_read = 0, bytes_written = 0;
      GConverterResult result;

      g_assert_cmpuint (method, ==, 8);
      result = g_converter_convert (G_CONVERTER (z), body, csize, out,
                                    usize + 1, G_CONVERTER_INPUT_AT_END,
                                    &bytes_read, &bytes_written, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result, ==, G_CONVERTER_FINISHED);
      g_assert_cmpuint (bytes_written, ==, usize);
    }
    g_assert_cmpuint (vi_crc32_update (0, out, usize), ==, crc);
    g_hash_table_insert (entries, g_steal_pointer (&name),
                         g_bytes_new_take (out, usize));
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_session (f, "exp", "Warn", "RejectSession");
  g_auto (GStrv) urls = register_files (f, "exp", id, "a.jsonl", good_lines,
                                        "b.jsonl", mixed_lines, NULL);
  g_autoptr (Response) patched = NULL;
  g_autoptr (Response) done = NULL;
  g_autoptr (Response) created = NULL;
  g_autoptr (Response) ready = NULL;
  g_autoptr (Response) head = NULL;
  g_autoptr (Response) full = NULL;
  g_autoptr (Response) unsatisfiable = NULL;
  g_autoptr (Response) list = NULL;
  g_autoptr (Response) missing = NULL;
  g_autoptr (GByteArray) assembled = g_byte_array_new ();
  g_autoptr (GHashTable) entries = NULL;
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autofree char *export_path = NULL;
  g_autofree char *range = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) expected_lines = NULL;
  const char *export_id, *url;
  JsonObject *e, *status;
  GBytes     *jsonl, *metadata;
  guint64     total, start;
  guint       i, j, n;

  g_assert_cmpuint (upload (f, urls[0], good_lines), ==, 200);
  g_assert_cmpuint (upload (f, urls[1], mixed_lines), ==, 200);
  patched = patch_status (f, "exp", id, "Reached", NULL);
  done = wait_done (f, "exp", id);
  assert_condition (obj (done), 0, "Complete", "Reached");

  vi_local_server_set_processing_delay (f->server, 300);
  created =
      api (f, "POST", DATASETS "exp/datasetExports",
           "{\"spec\":{\"format\":\"ViJsonl\",\"options\":{\"normalized\":true,"
           "\"splitRatio\":null}}}");
  g_assert_cmpuint (created->status, ==, 200);
  e = obj (created);
  g_assert_cmpstr (json_object_get_string_member (e, "kind"), ==,
                   "DatasetExport");
  g_assert_cmpstr (json_object_get_string_member (e, "datasetId"), ==,
                   ORG "_exp");
  status = json_object_get_object_member (e, "status");
  g_assert_false (json_object_has_member (status, "downloadUrl"));
  assert_condition (e, 0, "Ready", "Waiting");
  export_id = json_object_get_string_member (e, "datasetExportId");
  export_path = g_strdup_printf (DATASETS "exp/datasetExports/%s", export_id);

  ready = wait_settled (f, export_path);
  assert_condition (obj (ready), 0, "Ready", "Reached");
  status = json_object_get_object_member (obj (ready), "status");
  url =
      json_object_get_string_member (json_object_get_object_member (status,
                                                                    "downloadUrl"),
                                     "url");
  g_assert_true (g_str_has_prefix (url, f->url));
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (status, "downloadUrl"),
                       "expiresAt"),
                   >, now_ms ());

  list = api (f, "GET", DATASETS "exp/datasetExports", NULL);
  g_assert_cmpuint (list->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (obj (list), "items")),
                    ==, 1);
  g_assert_true (json_object_get_null_member (obj (list), "nextPage"));

  /* HEAD (no authentication), then the whole file and ranges. */
  head = send_full (f->session, "HEAD", url, FALSE, NULL, NULL, 0, NULL);
  g_assert_cmpuint (head->status, ==, 200);
  total = (guint64) soup_message_headers_get_content_length (head->headers);
  g_assert_cmpuint (total, >, 0);
  g_assert_cmpstr (soup_message_headers_get_one (head->headers,
                                                 "Accept-Ranges"),
                   ==, "bytes");

  full = send_full (f->session, "GET", url, FALSE, NULL, NULL, 0, NULL);
  g_assert_cmpuint (full->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (full->body), ==, total);

  for (start = 0; start < total; start += 100) {
    g_autoptr (Response) part = NULL;
    g_autofree char *header = NULL;
    g_autofree char *content_range = NULL;
    guint64          end = MIN (start + 99, total - 1);

    header = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                              start, end);
    part = send_full (f->session, "GET", url, FALSE, NULL, NULL, 0, header);
    g_assert_cmpuint (part->status, ==, 206);
    content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT
                                     "-%" G_GUINT64_FORMAT
                                     "/%" G_GUINT64_FORMAT,
                                     start, end, total);
    g_assert_cmpstr (soup_message_headers_get_one (part->headers,
                                                   "Content-Range"),
                     ==, content_range);
    g_assert_cmpuint (g_bytes_get_size (part->body), ==, end - start + 1);
    g_byte_array_append (assembled, g_bytes_get_data (part->body, NULL),
                         (guint) g_bytes_get_size (part->body));
  }
  g_assert_cmpmem (assembled->data, assembled->len,
                   g_bytes_get_data (full->body, NULL),
                   g_bytes_get_size (full->body));

  range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", total + 10);
  unsatisfiable = send_full (f->session, "GET", url, FALSE, NULL, NULL, 0,
                             range);
  g_assert_cmpuint (unsatisfiable->status, ==, 416);
  missing = send_full (f->session, "GET", f->url, FALSE, NULL, NULL, 0, NULL);
  g_assert_cmpuint (missing->status, ==, 401);

  /* The archive: metadata.json and the ViJsonl lines, which libvi reads
   * back into the records that were uploaded (bad lines left out). */
  entries = unzip (full->body);
  g_assert_cmpuint (g_hash_table_size (entries), ==, 2);
  metadata = g_hash_table_lookup (entries, "metadata.json");
  g_assert_nonnull (metadata);
  jsonl = g_hash_table_lookup (entries, "dump/annotations/annotations.jsonl");
  g_assert_nonnull (jsonl);

  expected_lines = g_strsplit (good_lines, "\n", -1);
  for (i = 0; expected_lines[i] != NULL; i++) {
    if (*expected_lines[i] != '\0')
      g_ptr_array_add (expected,
                       vi_jsonl_parse_line (expected_lines[i], -1, NULL));
  }
  g_clear_pointer (&expected_lines, g_strfreev);
  expected_lines = g_strsplit (mixed_lines, "\n", -1);
  g_ptr_array_add (expected, vi_jsonl_parse_line (expected_lines[0], -1, NULL));
  g_ptr_array_add (expected, vi_jsonl_parse_line (expected_lines[2], -1, NULL));

  {
    g_autofree char *text = g_strndup (g_bytes_get_data (jsonl, NULL),
                                       g_bytes_get_size (jsonl));

    lines = g_strsplit (text, "\n", -1);
  }
  n = g_strv_length (lines);
  g_assert_cmpstr (lines[n - 1], ==, "");
  g_assert_cmpuint (n - 1, ==, expected->len);
  for (i = 0; i < expected->len; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViJsonlRecord) got = vi_jsonl_parse_line (lines[i], -1, &error);
    ViJsonlRecord *want = g_ptr_array_index (expected, i);

    g_assert_no_error (error);
    g_assert_nonnull (got);
    g_assert_nonnull (want);
    g_assert_cmpint (vi_jsonl_record_get_format (got), ==,
                     VI_JSONL_FORMAT_EXPORT);
    g_assert_nonnull (vi_jsonl_record_get_id (got));
    g_assert_cmpstr (vi_jsonl_record_get_asset_id (got), ==,
                     vi_jsonl_record_get_asset_id (want));
    g_assert_cmpstr (vi_jsonl_record_get_caption (got), ==,
                     vi_jsonl_record_get_caption (want));
    g_assert_cmpuint (vi_jsonl_record_get_n_phrases (got), ==,
                      vi_jsonl_record_get_n_phrases (want));
    g_assert_true (vi_jsonl_record_compute_spans (got, NULL));
    g_assert_true (vi_jsonl_record_compute_spans (want, NULL));
    for (j = 0; j < vi_jsonl_record_get_n_phrases (want); j++) {
      const ViGroundedPhrase *a = vi_jsonl_record_get_phrase (got, j);
      const ViGroundedPhrase *b = vi_jsonl_record_get_phrase (want, j);

      g_assert_cmpstr (a->phrase, ==, b->phrase);
      g_assert_cmpfloat_with_epsilon (a->bbox.x_min, b->bbox.x_min, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.y_min, b->bbox.y_min, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.x_max, b->bbox.x_max, 1e-9);
      g_assert_cmpfloat_with_epsilon (a->bbox.y_max, b->bbox.y_max, 1e-9);
      g_assert_cmpint (a->start, ==, b->start);
      g_assert_cmpint (a->end, ==, b->end);
    }
    g_assert_cmpuint (vi_jsonl_record_get_n_interactions (got), ==,
                      vi_jsonl_record_get_n_interactions (want));
    for (j = 0; j < vi_jsonl_record_get_n_interactions (want); j++) {
      g_assert_cmpstr (vi_jsonl_record_get_interaction (got, j)->question, ==,
                       vi_jsonl_record_get_interaction (want, j)->question);
      g_assert_cmpstr (vi_jsonl_record_get_interaction (got, j)->answer, ==,
                       vi_jsonl_record_get_interaction (want, j)->answer);
    }
  }
}

static void
test_download_faults (Fixture *f, gconstpointer data)
{
  g_autoptr (ViJsonlRecord) record = vi_jsonl_record_new ("img");
  g_autoptr (Response) created = NULL;
  g_autoptr (Response) ready = NULL;
  g_autoptr (Response) slow = NULL;
  g_autoptr (Response) failed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *export_path = NULL;
  JsonObject      *status;
  const char      *url;
  gint64           t0;

  vi_jsonl_record_set_caption (record, "Something");
  g_assert_true (vi_local_server_add_record (f->server, "dl", record, &error));
  created = api (
      f, "POST", DATASETS "dl/datasetExports",
      "{\"spec\":{\"format\":\"ViFull\",\"options\":{\"normalized\":true,\"splitRatio\":0.8}}}");
  g_assert_cmpuint (created->status, ==, 200);
  export_path =
      g_strdup_printf (DATASETS "dl/datasetExports/%s",
                       json_object_get_string_member (obj (created),
                                                      "datasetExportId"));
  ready = wait_settled (f, export_path);
  assert_condition (obj (ready), 0, "Ready", "Reached");
  status = json_object_get_object_member (obj (ready), "status");
  url =
      json_object_get_string_member (json_object_get_object_member (status,
                                                                    "downloadUrl"),
                                     "url");

  g_assert_true (vi_local_server_add_fault_json (
      f->server,
      "[{\"method\":\"GET\",\"path\":\"/downloads/\",\"action\":\"latency\","
      "\"latencyMs\":200},{\"method\":\"GET\",\"path\":\"/downloads/\",\"action\":\"status\","
      "\"status\":500}]",
      &error));
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  slow = send_full (f->session, "GET", url, FALSE, NULL, NULL, 0, NULL);
  g_assert_cmpuint (slow->status, ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 190000);
  failed = send_full (f->session, "GET", url, FALSE, NULL, NULL, 0, NULL);
  g_assert_cmpuint (failed->status, ==, 500);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                        \
  g_test_add (path, Fixture, NULL, vi_test_server_setup, func, \
              vi_test_server_teardown)

  ADD ("/server-import/round-trip", test_round_trip);
  ADD ("/server-import/hold-release", test_hold_release);
  ADD ("/server-import/policy/warn", test_policy_warn);
  ADD ("/server-import/policy/reject-file", test_policy_reject_file);
  ADD ("/server-import/policy/reject-session", test_policy_reject_session);
  ADD ("/server-import/crc-mismatch", test_crc_mismatch);
  ADD ("/server-import/size-mismatch", test_size_mismatch_then_fixed);
  ADD ("/server-import/deadline", test_deadline);
  ADD ("/server-import/token", test_token);
  ADD ("/server-import/missing-file", test_missing_file);
  ADD ("/server-import/cancelled", test_cancelled);
  ADD ("/server-import/validation", test_validation);
  ADD ("/server-import/deep-json", test_deep_json);
  ADD ("/server-import/sessions-restart", test_sessions_restart);
  ADD ("/server-import/faults", test_faults);
  ADD ("/server-export/round-trip", test_export);
  ADD ("/server-export/download-faults", test_download_faults);

  return g_test_run ();
}
