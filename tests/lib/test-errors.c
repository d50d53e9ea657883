/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The VI_ERROR domain: which code an HTTP status becomes, and the details
 * an error carries (HTTP status, the server's message, the trace id, the
 * file and line of a local file) through copies, prefixes and GTask, for
 * statuses sent by vi-local-server and read through the public API.
 */
#include "config.h"

#include <string.h>

#include <vi/vi.h>
#include "vi-http-private.h"
#include "vi-test-server.h"

/* Each status the API may answer, with each kind of body, becomes the
 * code, message and details it should. */
static void
test_status_mapping (void)
{
  struct {
    guint       status;
    int         code;
    const char *body;
    const char *message;
  } cases[] = {
    { 400, VI_ERROR_INVALID_ARGUMENT,
      "{\"error\":\"Bad\",\"message\":\"bad "
      "page size\"}",
      "bad page size" },
    { 401, VI_ERROR_AUTHENTICATION, "{\"error\":\"Unauthorized\"}",
      "Unauthorized" },
    { 403, VI_ERROR_PERMISSION, "", NULL },
    { 404, VI_ERROR_NOT_FOUND, "not json at all", "HTTP 404: not json at all" },
    { 409, VI_ERROR_CONFLICT, "[1,2]", "HTTP 409: [1,2]" },
    { 413, VI_ERROR_FAILED, NULL, NULL },
    { 429, VI_ERROR_RATE_LIMITED, NULL, NULL },
    { 502, VI_ERROR_SERVER, NULL, NULL },
    { 504, VI_ERROR_SERVER, NULL, NULL },
    { 501, VI_ERROR_FAILED, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) body = cases[i].body
        ? g_bytes_new_static (cases[i].body, strlen (cases[i].body))
        : NULL;

    _vi_http_set_status_error (&error, "list annotations",
                               VI_HTTP_TARGET_ANNOTATION, cases[i].status, body,
                               "0123456789abcdef/42;o=1");
    g_assert_error (error, VI_ERROR, cases[i].code);
    g_assert_cmpuint (vi_error_get_http_status (error), ==, cases[i].status);
    g_assert_cmpstr (vi_error_get_server_message (error), ==, cases[i].message);
    g_assert_cmpstr (vi_error_get_trace_id (error), ==, "0123456789abcdef");
    g_assert_true (g_str_has_prefix (error->message, "list annotations"));
  }

  /* The advice fits what was asked for: a signed URL carries no key, so a
   * 401/403 there is the URL's; a 404 names the ids that matter. */
  {
    struct {
      ViHttpTarget target;
      guint        status;
      const char  *says;
      const char  *never;
    } advice[] = {
      { VI_HTTP_TARGET_SIGNED_URL, 403, "signed URL", "DATATURE_VI" },
      { VI_HTTP_TARGET_SIGNED_URL, 401, "signed URL", "DATATURE_VI" },
      { VI_HTTP_TARGET_SIGNED_URL, 404, "signed URL", "annotation" },
      { VI_HTTP_TARGET_ANNOTATION, 403, "DATATURE_VI_ORGANIZATION_ID",
        "signed" },
      { VI_HTTP_TARGET_SESSION, 404, "check the dataset and session ids",
        "annotation" },
      { VI_HTTP_TARGET_EXPORT, 404, "check the dataset and export ids",
        "annotation" },
      { VI_HTTP_TARGET_DATASET, 404, "check the dataset id", "annotation" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (advice); i++) {
      g_autoptr (GError) error = NULL;

      _vi_http_set_status_error (&error, "x", advice[i].target,
                                 advice[i].status, NULL, NULL);
      g_assert_nonnull (strstr (error->message, advice[i].says));
      g_assert_null (strstr (error->message, advice[i].never));
    }
  }
}

/* The details are part of the error: they survive g_error_copy() and a
 * prefix, and a GError of another domain has none. */
static void
test_details_travel (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) copy = NULL;
  g_autoptr (GError) other = NULL;
  static const char message[] = "{\"message\":\"no such asset\"}";
  g_autoptr (GBytes) body = g_bytes_new_static (message, sizeof message - 1);
  GError *prefixed = NULL;

  _vi_http_set_status_error (&error, "get annotation",
                             VI_HTTP_TARGET_ANNOTATION, 404, body,
                             "00112233445566778899aabbccddeeff/1;o=1");
  copy = g_error_copy (error);
  g_assert_cmpuint (vi_error_get_http_status (copy), ==, 404);
  g_assert_cmpstr (vi_error_get_server_message (copy), ==, "no such asset");
  g_assert_cmpstr (vi_error_get_trace_id (copy), ==,
                   "00112233445566778899aabbccddeeff");

  g_propagate_prefixed_error (&prefixed, g_steal_pointer (&copy), "sync: ");
  g_assert_true (g_str_has_prefix (prefixed->message, "sync: get annotation"));
  g_assert_cmpuint (vi_error_get_http_status (prefixed), ==, 404);
  g_assert_cmpstr (vi_error_get_server_message (prefixed), ==, "no such asset");
  g_clear_error (&prefixed);

  other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  g_assert_cmpuint (vi_error_get_http_status (other), ==, 0);
  g_assert_null (vi_error_get_server_message (other));
  g_assert_null (vi_error_get_trace_id (other));
  g_assert_null (vi_error_get_location (other));
  g_assert_cmpuint (vi_error_get_line (other), ==, 0);
  g_assert_cmpuint (vi_error_get_http_status (NULL), ==, 0);
}

/* A bad line of a local file is an error naming the file and the line,
 * both also available as details. */
static void
test_file_details (void)
{
  static const char data[] = "{\"asset_id\":\"a\",\"caption\":\"ok\"}\n"
                             "{\"asset_id\":\"b\",\"caption\":\n";
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (ViJsonlRecord) first = NULL;
  g_autoptr (ViJsonlRecord) second = NULL;
  g_autoptr (GError) error = NULL;

  stream = g_memory_input_stream_new_from_data (data, sizeof data - 1, NULL);
  reader = vi_jsonl_reader_new (stream, "train.jsonl");
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  first = vi_jsonl_reader_next (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  second = vi_jsonl_reader_next (reader, NULL, &error);
  g_assert_null (second);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "train.jsonl:2: "));
  g_assert_cmpstr (vi_error_get_location (error), ==, "train.jsonl");
  g_assert_cmpuint (vi_error_get_line (error), ==, 2);
  g_assert_cmpuint (vi_error_get_http_status (error), ==, 0);
}

/* The same mapping end to end: the local server answers a get with each
 * status (a fault rule), and the error of the blocking and of the async
 * call says what the server said. */
typedef struct {
  GMainLoop    *loop;
  GAsyncResult *result;
} AsyncWait;

static void
got_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static void
test_from_server (ViTestServer *f, gconstpointer data)
{
  struct {
    guint       status;
    int         code;
    const char *message;
  } cases[] = {
    { 400, VI_ERROR_INVALID_ARGUMENT, "page size out of range" },
    { 401, VI_ERROR_AUTHENTICATION, "bad key" },
    { 403, VI_ERROR_PERMISSION, "not your organization" },
    { 404, VI_ERROR_NOT_FOUND, "no such annotation" },
    { 409, VI_ERROR_CONFLICT, "already there" },
    { 413, VI_ERROR_FAILED, "too large" },
    { 429, VI_ERROR_RATE_LIMITED, "slow down" },
    { 500, VI_ERROR_SERVER, "it broke" },
    { 503, VI_ERROR_SERVER, "later" },
  };

  vi_test_server_add_caption (f, "ds", "img", "A cat");
  g_object_set (f->client, "max-retries", 0, "max-rate-limit-retries", 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *rule = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GError) async_error = NULL;
    g_autoptr (GError) local_error = NULL;
    g_autoptr (ViAnnotation) annotation = NULL;
    AsyncWait   wait = { g_main_loop_new (NULL, FALSE), NULL };
    const char *trace;

    rule = g_strdup_printf ("{\"path\":\"/workspaces/\",\"times\":2,"
                            "\"action\":\"status\",\"status\":%u,"
                            "\"body\":\"{\\\"error\\\":\\\"E\\\","
                            "\\\"message\\\":\\\"%s\\\"}\"}",
                            cases[i].status, cases[i].message);
    vi_local_server_clear_faults (f->server);
    g_assert_true (
        vi_local_server_add_fault_json (f->server, rule, &local_error));
    g_assert_no_error (local_error);

    annotation = vi_client_get_annotation (f->client, "ds", "img", "some_id",
                                           NULL, &error);
    g_assert_null (annotation);
    g_assert_error (error, VI_ERROR, cases[i].code);
    g_assert_cmpuint (vi_error_get_http_status (error), ==, cases[i].status);
    g_assert_cmpstr (vi_error_get_server_message (error), ==, cases[i].message);
    g_assert_nonnull (strstr (error->message, cases[i].message));
    /* The trace id is the part of x-cloud-trace-context before '/'. */
    trace = vi_error_get_trace_id (error);
    g_assert_nonnull (trace);
    g_assert_cmpuint (strlen (trace), ==, 32);
    g_assert_null (strchr (trace, '/'));

    vi_client_get_annotation_async (f->client, "ds", "img", "some_id", NULL,
                                    got_cb, &wait);
    g_main_loop_run (wait.loop);
    annotation = vi_client_get_annotation_finish (f->client, wait.result,
                                                  &async_error);
    g_assert_null (annotation);
    g_assert_error (async_error, VI_ERROR, cases[i].code);
    g_assert_cmpuint (vi_error_get_http_status (async_error), ==,
                      cases[i].status);
    g_assert_cmpstr (vi_error_get_server_message (async_error), ==,
                     cases[i].message);
    g_clear_object (&wait.result);
    g_main_loop_unref (wait.loop);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/errors/status-mapping", test_status_mapping);
  g_test_add_func ("/errors/details-travel", test_details_travel);
  g_test_add_func ("/errors/file-details", test_file_details);
  VI_TEST_SERVER_ADD ("/errors/from-server", test_from_server);

  return g_test_run ();
}
