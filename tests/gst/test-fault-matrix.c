/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The fault matrix: viannotsrc in real pipelines (dataset mode, one asset
 * and a template) and the vi-annotations executable (list, get, upload,
 * export download) against vi-local-server's fault injection, one row per
 * case.  Each row installs one fault rule on the request it is about, runs
 * the element or the command, and asserts its outcome:
 *
 * - recovered: the right data (the frames carry the annotations of their
 *   asset, the listing is exactly what the server served, the upload
 *   imported each annotation once, the download is byte for byte the
 *   archive), with no error and no warning;
 * - an outage (viannotsrc): one "late" warning, one "back" info, and the
 *   right annotations after it;
 * - exactly one clear error: the exit status and message of the CLI, or
 *   the element's error (or warning, with on-error=warn) domain, code and
 *   message.
 *
 * For every row: no crash (a CLI killed by a signal fails the row), no
 * hang (watchdogs, far above what a row takes; nothing is timed), no
 * duplicate (an upload's dataset is listed afterwards), and the fault
 * really fired as often as the rule says.
 *
 * It lives with the GStreamer tests because it runs the plugin; the CLI
 * comes from $VI_ANNOTATIONS_CLI, run through tests/lib/test-cli-common.h.
 * Each row is a test of its own, on a server of its own: `-p
 * /fault-matrix/cli-list/drop` runs one, `-p /fault-matrix/src-template`
 * a target.
 *
 * Retry delays: viannotsrc makes its client retry once, quickly; the CLI
 * has libvi's defaults (3 retries from 1 s with full jitter, 429 honouring
 * Retry-After) and no option or environment variable to change them, so
 * its fault counts are the smallest that make each case: 4 answers of 503
 * exhaust its budget, 1 or 2 stay within it. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include "test-cli-common.h"
#include "test-viannotsrc-run.h"

#define N_FRAMES 30
/* A non-live frame waits for its annotations up to this: far above the
 * retries of a recovering request, so that only a failed fetch starts an
 * outage. */
#define MAX_WAIT_MS 20000
/* Outage rows: the probe waits for the annotations to be back there. */
#define BACK_FRAME 10
/* Template rows fault the requests of this frame's asset. */
#define FAULTED_FRAME 2

#define DATASET_PATH(ds) "/workspaces/" ORG "/datasets/" ORG "_" ds
#define SRC_PROPS "dataset-id=ds asset-id=\"img 1\""
#define TEMPLATE_PROPS "dataset-id=frames asset-id-template=f%03d"
#define TEMPLATE_CAPTION "frame %u: a dog on the grass"

/* The upload of the rows: a grounded caption, a VQA pair and a caption. */
#define UPLOAD_JSONL \
  "{\"asset_id\": \"up 1\", \"caption\": \"A red car\", " \
  "\"grounded_phrases\": [{\"phrase\": \"red car\", " \
  "\"bbox\": [0.1, 0.2, 0.4, 0.6]}]}\n" \
  "{\"asset_id\": \"up 2\", \"contents\": {\"question\": \"Q?\", " \
  "\"answer\": \"A.\"}}\n" \
  "{\"asset_id\": \"up 3\", \"caption\": \"A tree\"}\n"
static const gchar *const upload_assets[] = { "up 1", "up 2", "up 3" };

typedef enum
{
  SRC_ASSET,                    /* viannotsrc asset-id="img 1" */
  SRC_TEMPLATE,                 /* viannotsrc asset-id-template=f%03d */
  CLI_LIST,                     /* list ds "img 1" --page-size 2: 2 pages */
  CLI_GET,                      /* get ds "img 1" <the box> */
  CLI_UPLOAD,                   /* upload up FILE */
  CLI_EXPORT,                   /* export download ds EXPORT DIR */
} Target;

/* Which request the fault is on. */
typedef enum
{
  STEP_ONLY,                    /* the target's one kind of request */
  STEP_REGISTER,                /* upload: POST …/files */
  STEP_PUT,                     /* upload: the signed URL */
  STEP_PATCH,                   /* upload: PATCH …/status */
  STEP_POLL,                    /* upload: GET the session */
  STEP_EXPORT,                  /* export download: GET the export */
  STEP_DOWNLOAD,                /* export download: GET the archive */
} Step;

typedef enum
{
  RECOVERED,
  OUTAGE,
  FAILS,
  WARNS,                        /* viannotsrc on-error=warn */
} Outcome;

/* A fault that serves the real answer of the request, altered, as a
 * 200. */
typedef enum
{
  AS_IS,
  MISTYPED,                     /* a required string made a number */
  UNKNOWN_ROLE,                 /* every part's role "Frobnicator" */
  UNKNOWN_KIND,                 /* every part but captions "Hologram" */
  UNKNOWN_CONDITION,            /* a condition "Indexed" with reason
                                 * "Frobnicated" added */
} Mutation;

typedef struct
{
  const gchar *name;
  Target target;
  Step step;
  /* The rule's members besides method and path (and the action and body
   * of a mutation). */
  const gchar *fault;
  Mutation mutation;
  /* More viannotsrc properties, or CLI options. */
  const gchar *extra;
  Outcome outcome;
  /* FAILS, WARNS: the exit status, or the GstResourceError code */
  gint code;
  /* FAILS, WARNS: in stderr, or in the element's message */
  const gchar *message;
  /* FAILS, WARNS: also in stderr, or in the element's debug string */
  const gchar *detail;
  /* CLI_UPLOAD: the annotations end up imported (once) */
  gboolean imported;
} Row;

#define FETCH_FAILED "Could not fetch the annotations of asset "

/* The names' first part is the target: tests/gst/meson.build runs the
 * rows as groups of targets, so a new target goes into one there. */
/* *INDENT-OFF* */
static const Row rows[] = {
  /* viannotsrc, one asset: libvi retries once, then the element starts an
   * outage and retries in the background. */
  {"src-asset/latency-beyond-timeout", SRC_ASSET, STEP_ONLY,
      "\"action\": \"latency\", \"latencyMs\": 5000, \"times\": 2",
      AS_IS, "timeout=1", OUTAGE},
  {"src-asset/429-retry-after", SRC_ASSET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\"",
      AS_IS, NULL, RECOVERED},
  {"src-asset/429", SRC_ASSET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429", AS_IS, NULL, RECOVERED},
  {"src-asset/429-burst-long", SRC_ASSET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\", "
      "\"times\": 3", AS_IS, NULL, OUTAGE},
  {"src-asset/5xx-burst-short", SRC_ASSET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 503", AS_IS, NULL, RECOVERED},
  {"src-asset/5xx-burst-long", SRC_ASSET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 502, \"times\": 3",
      AS_IS, NULL, OUTAGE},
  {"src-asset/drop", SRC_ASSET, STEP_ONLY, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED},
  {"src-asset/drop-burst-long", SRC_ASSET, STEP_ONLY,
      "\"action\": \"drop\", \"times\": 3", AS_IS, NULL, OUTAGE},
  {"src-asset/truncate", SRC_ASSET, STEP_ONLY, "\"action\": \"truncate\"",
      AS_IS, NULL, RECOVERED},
  {"src-asset/malformed", SRC_ASSET, STEP_ONLY,
      "\"action\": \"malformed\"", AS_IS, NULL, FAILS,
      GST_RESOURCE_ERROR_OPEN_READ, FETCH_FAILED "\"img 1\" of dataset "
      "\"ds\".", "invalid response"},
  {"src-asset/malformed-warn", SRC_ASSET, STEP_ONLY,
      "\"action\": \"malformed\"", AS_IS, "on-error=warn", WARNS,
      GST_RESOURCE_ERROR_OPEN_READ, FETCH_FAILED "\"img 1\" of dataset "
      "\"ds\".", "invalid response"},
  {"src-asset/mistyped", SRC_ASSET, STEP_ONLY, "\"times\": 1", MISTYPED,
      NULL, FAILS, GST_RESOURCE_ERROR_OPEN_READ, FETCH_FAILED "\"img 1\"",
      "items[0].annotationId"},
  {"src-asset/unknown-role", SRC_ASSET, STEP_ONLY, "\"times\": 1",
      UNKNOWN_ROLE, NULL, RECOVERED},
  {"src-asset/unknown-kind", SRC_ASSET, STEP_ONLY, "\"times\": 1",
      UNKNOWN_KIND, NULL, RECOVERED},

  /* viannotsrc, a template: the faults are on the requests of frame 2's
   * asset, fetched among the others.  A burst longer than the budget is
   * 2 faults: once frame 2 has gone by without its annotations, its asset
   * is not asked for again, another one ends the outage. */
  {"src-template/latency-beyond-timeout", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"latency\", \"latencyMs\": 5000, \"times\": 2",
      AS_IS, "timeout=1", OUTAGE},
  {"src-template/429-retry-after", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\"",
      AS_IS, NULL, RECOVERED},
  {"src-template/429", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429", AS_IS, NULL, RECOVERED},
  {"src-template/5xx-burst-short", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"status\", \"status\": 500", AS_IS, NULL, RECOVERED},
  {"src-template/5xx-burst-long", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"status\", \"status\": 503, \"times\": 2",
      AS_IS, NULL, OUTAGE},
  {"src-template/drop", SRC_TEMPLATE, STEP_ONLY, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED},
  {"src-template/truncate", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"truncate\"", AS_IS, NULL, RECOVERED},
  {"src-template/malformed-warn", SRC_TEMPLATE, STEP_ONLY,
      "\"action\": \"malformed\"", AS_IS, "on-error=warn", WARNS,
      GST_RESOURCE_ERROR_OPEN_READ, FETCH_FAILED "\"f002\" of dataset "
      "\"frames\".", "invalid response"},
  {"src-template/mistyped-warn", SRC_TEMPLATE, STEP_ONLY, "\"times\": 1",
      MISTYPED, "on-error=warn", WARNS, GST_RESOURCE_ERROR_OPEN_READ,
      FETCH_FAILED "\"f002\"", "items[0].annotationId"},
  {"src-template/mistyped", SRC_TEMPLATE, STEP_ONLY, "\"times\": 1",
      MISTYPED, NULL, FAILS, GST_RESOURCE_ERROR_OPEN_READ,
      FETCH_FAILED "\"f002\"", "items[0].annotationId"},
  {"src-template/unknown-role", SRC_TEMPLATE, STEP_ONLY, "\"times\": 1",
      UNKNOWN_ROLE, NULL, RECOVERED},
  {"src-template/unknown-kind", SRC_TEMPLATE, STEP_ONLY, "\"times\": 1",
      UNKNOWN_KIND, NULL, RECOVERED},

  /* list: the second of two pages is faulted.  The CLI has no request
   * timeout of its own (libvi's is 300 s): a slow page is only slow. */
  {"cli-list/latency", CLI_LIST, STEP_ONLY,
      "\"action\": \"latency\", \"latencyMs\": 500, \"after\": 1",
      AS_IS, NULL, RECOVERED},
  {"cli-list/429-retry-after", CLI_LIST, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\", "
      "\"after\": 1, \"times\": 2", AS_IS, NULL, RECOVERED},
  {"cli-list/429", CLI_LIST, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"after\": 1",
      AS_IS, NULL, RECOVERED},
  {"cli-list/5xx-burst-short", CLI_LIST, STEP_ONLY,
      "\"action\": \"status\", \"status\": 503, \"after\": 1, \"times\": 2",
      AS_IS, NULL, RECOVERED},
  {"cli-list/5xx-burst-long", CLI_LIST, STEP_ONLY,
      "\"action\": \"status\", \"status\": 503, \"after\": 1, \"times\": 4",
      AS_IS, NULL, FAILS, 1, "after 4 attempts", "503"},
  {"cli-list/drop", CLI_LIST, STEP_ONLY,
      "\"action\": \"drop\", \"after\": 1, \"times\": 2",
      AS_IS, NULL, RECOVERED},
  {"cli-list/truncate", CLI_LIST, STEP_ONLY,
      "\"action\": \"truncate\", \"after\": 1", AS_IS, NULL, RECOVERED},
  {"cli-list/malformed", CLI_LIST, STEP_ONLY,
      "\"action\": \"malformed\", \"after\": 1", AS_IS, NULL, FAILS, 1,
      "invalid response"},
  {"cli-list/mistyped", CLI_LIST, STEP_ONLY, "\"after\": 1", MISTYPED,
      NULL, FAILS, 1, "invalid response", "items[0].annotationId"},
  {"cli-list/unknown-role", CLI_LIST, STEP_ONLY, "\"after\": 1",
      UNKNOWN_ROLE, NULL, RECOVERED},
  {"cli-list/unknown-kind", CLI_LIST, STEP_ONLY, "\"after\": 1",
      UNKNOWN_KIND, NULL, RECOVERED},

  /* get */
  {"cli-get/429-retry-after", CLI_GET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\"",
      AS_IS, NULL, RECOVERED},
  {"cli-get/429", CLI_GET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 429", AS_IS, NULL, RECOVERED},
  {"cli-get/5xx-burst-short", CLI_GET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 500", AS_IS, NULL, RECOVERED},
  {"cli-get/5xx-burst-long", CLI_GET, STEP_ONLY,
      "\"action\": \"status\", \"status\": 504, \"times\": 4",
      AS_IS, NULL, FAILS, 1, "after 4 attempts", "504"},
  {"cli-get/drop", CLI_GET, STEP_ONLY, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED},
  {"cli-get/truncate", CLI_GET, STEP_ONLY, "\"action\": \"truncate\"",
      AS_IS, NULL, RECOVERED},
  {"cli-get/malformed", CLI_GET, STEP_ONLY, "\"action\": \"malformed\"",
      AS_IS, NULL, FAILS, 1, "invalid response"},
  {"cli-get/mistyped", CLI_GET, STEP_ONLY, "\"times\": 1", MISTYPED, NULL,
      FAILS, 1, "invalid response", "annotationId"},
  {"cli-get/unknown-role", CLI_GET, STEP_ONLY, "\"times\": 1",
      UNKNOWN_ROLE, NULL, RECOVERED},
  {"cli-get/unknown-kind", CLI_GET, STEP_ONLY, "\"times\": 1",
      UNKNOWN_KIND, NULL, RECOVERED},

  /* upload: each fault on the step where it matters; whatever the exit
   * status, the dataset holds each annotation once, or nothing. */
  {"cli-upload/latency-beyond-timeout", CLI_UPLOAD, STEP_POLL,
      "\"action\": \"latency\", \"latencyMs\": 600000, \"times\": -1",
      AS_IS, "--timeout 1", FAILS, 1, "did not finish within 1000 ms",
      "follow the import with: vi-annotations wait up ", TRUE},
  {"cli-upload/429-retry-after", CLI_UPLOAD, STEP_PUT,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\", "
      "\"times\": 2", AS_IS, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/429", CLI_UPLOAD, STEP_PATCH,
      "\"action\": \"status\", \"status\": 429", AS_IS, NULL, RECOVERED,
      0, NULL, NULL, TRUE},
  {"cli-upload/5xx-burst-short", CLI_UPLOAD, STEP_REGISTER,
      "\"action\": \"status\", \"status\": 503, \"times\": 2",
      AS_IS, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/5xx-burst-long", CLI_UPLOAD, STEP_PUT,
      "\"action\": \"status\", \"status\": 503, \"times\": 4",
      AS_IS, NULL, FAILS, 1, "503", NULL, FALSE},
  {"cli-upload/5xx-burst-long-patch", CLI_UPLOAD, STEP_PATCH,
      "\"action\": \"status\", \"status\": 503, \"times\": 4",
      AS_IS, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/drop", CLI_UPLOAD, STEP_PUT, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/drop-patch", CLI_UPLOAD, STEP_PATCH, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/truncate-patch", CLI_UPLOAD, STEP_PATCH,
      "\"action\": \"truncate\"", AS_IS, NULL, RECOVERED, 0, NULL, NULL,
      TRUE},
  {"cli-upload/truncate-poll", CLI_UPLOAD, STEP_POLL,
      "\"action\": \"truncate\"", AS_IS, NULL, RECOVERED, 0, NULL, NULL,
      TRUE},
  {"cli-upload/malformed-patch", CLI_UPLOAD, STEP_PATCH,
      "\"action\": \"malformed\"", AS_IS, NULL, RECOVERED, 0, NULL, NULL,
      TRUE},
  {"cli-upload/malformed-poll", CLI_UPLOAD, STEP_POLL,
      "\"action\": \"malformed\"", AS_IS, NULL, RECOVERED, 0, NULL, NULL,
      TRUE},
  {"cli-upload/mistyped-poll", CLI_UPLOAD, STEP_POLL, "\"times\": 1",
      MISTYPED, NULL, RECOVERED, 0, NULL, NULL, TRUE},
  {"cli-upload/unknown-condition", CLI_UPLOAD, STEP_POLL, "\"times\": 1",
      UNKNOWN_CONDITION, NULL, RECOVERED, 0, NULL, NULL, TRUE},

  /* export download: the export's status or the archive. */
  {"cli-export/latency-beyond-timeout", CLI_EXPORT, STEP_EXPORT,
      "\"action\": \"latency\", \"latencyMs\": 600000, \"times\": -1",
      AS_IS, "--timeout 1", FAILS, 1, "1000 ms"},
  {"cli-export/429-retry-after", CLI_EXPORT, STEP_DOWNLOAD,
      "\"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\"",
      AS_IS, NULL, RECOVERED},
  {"cli-export/429", CLI_EXPORT, STEP_DOWNLOAD,
      "\"action\": \"status\", \"status\": 429", AS_IS, NULL, RECOVERED},
  {"cli-export/5xx-burst-short", CLI_EXPORT, STEP_DOWNLOAD,
      "\"action\": \"status\", \"status\": 503, \"times\": 2",
      AS_IS, NULL, RECOVERED},
  {"cli-export/5xx-burst-long", CLI_EXPORT, STEP_DOWNLOAD,
      "\"action\": \"status\", \"status\": 503, \"times\": 4",
      AS_IS, NULL, FAILS, 1, "after 4 attempts", "503"},
  {"cli-export/drop", CLI_EXPORT, STEP_DOWNLOAD, "\"action\": \"drop\"",
      AS_IS, NULL, RECOVERED},
  {"cli-export/truncate", CLI_EXPORT, STEP_DOWNLOAD,
      "\"action\": \"truncate\"", AS_IS, NULL, RECOVERED},
  {"cli-export/malformed", CLI_EXPORT, STEP_EXPORT,
      "\"action\": \"malformed\"", AS_IS, NULL, FAILS, 1,
      "invalid response"},
  {"cli-export/mistyped", CLI_EXPORT, STEP_EXPORT, "\"times\": 1",
      MISTYPED, NULL, FAILS, 1, "invalid response", "status.conditions"},
  {"cli-export/unknown-condition", CLI_EXPORT, STEP_EXPORT, "\"times\": 1",
      UNKNOWN_CONDITION, NULL, RECOVERED},
};
/* *INDENT-ON* */

/* ------------------------------------------------------------------ */
/* The server's side: data, raw answers, rules */

/* Asset f%03u of dataset "frames": its caption names it, "dog" is
 * grounded. */
static void
add_frames (Fixture * f)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)
      vi_jsonl_record_unref);
  ViBBox dog = { 0.3, 0.4, 0.6, 0.9 };
  GError *error = NULL;
  guint i;

  for (i = 0; i < N_FRAMES; i++) {
    gchar *asset = g_strdup_printf ("f%03u", i);
    gchar *caption = g_strdup_printf (TEMPLATE_CAPTION, i);
    ViJsonlRecord *r = vi_jsonl_record_new (asset);

    vi_jsonl_record_set_caption (r, caption);
    vi_jsonl_record_add_phrase (r, "dog", &dog);
    g_ptr_array_add (records, r);
    g_free (caption);
    g_free (asset);
  }
  g_assert_true (vi_local_server_add_records (f->server, "frames",
          (ViJsonlRecord **) records->pdata, records->len, &error));
  g_assert_no_error (error);
  g_ptr_array_unref (records);
}

static void
matrix_setup (Fixture * f, gconstpointer data)
{
  fixture_setup (f, data);
  add_frames (f);
}

static ViClient *
new_client (Fixture * f)
{
  GError *error = NULL;
  ViClient *client = vi_client_new (f->url, KEY, ORG, NULL, &error);

  g_assert_no_error (error);
  return client;
}

/* GET @path_query with the API's credentials (the control endpoint ignores
 * them); the answer must be a 200 with JSON. */
static JsonNode *
server_get (Fixture * f, const gchar * path_query)
{
  SoupSession *session = soup_session_new ();
  gchar *url = g_strconcat (f->url, path_query, NULL);
  SoupMessage *msg = soup_message_new ("GET", url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  GBytes *body;
  GError *error = NULL;
  JsonNode *node;
  const gchar *data;
  gchar *text;
  gsize len;

  soup_message_headers_append (headers, "Authorization", "Bearer " KEY);
  soup_message_headers_append (headers, "Organization-Id", ORG);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  data = g_bytes_get_data (body, &len);
  text = g_strndup (data, len);
  node = parse (text);
  g_free (text);
  g_bytes_unref (body);
  g_object_unref (msg);
  g_free (url);
  g_object_unref (session);
  return node;
}

static const gchar *
member_string (JsonNode * node, const gchar * name)
{
  return json_object_get_string_member (json_node_get_object (node), name);
}

/* The answer the faulted request would get (it is served altered). */
static JsonNode *
real_answer (Fixture * f, const Row * row, const gchar * upload_session,
    const gchar * export_id)
{
  gchar *path = NULL;
  JsonNode *node;

  switch (row->target) {
    case SRC_ASSET:
      path = g_strdup (DATASET_PATH ("ds") "/assets/img%201/annotations"
          "?pageSize=1000");
      break;
    case SRC_TEMPLATE:
      path = g_strdup_printf (DATASET_PATH ("frames") "/assets/f%03u/"
          "annotations?pageSize=1000", FAULTED_FRAME);
      break;
    case CLI_LIST:{
      /* The second page. */
      JsonNode *first = server_get (f, DATASET_PATH ("ds")
          "/assets/img%201/annotations?pageSize=2");

      path = g_strdup_printf (DATASET_PATH ("ds") "/assets/img%%201/"
          "annotations?pageSize=2&pageToken=%s",
          member_string (first, "nextPage"));
      json_node_unref (first);
      break;
    }
    case CLI_GET:
      g_assert_not_reached ();
    case CLI_UPLOAD:
      path = g_strdup_printf (DATASET_PATH ("scratch")
          "/annotationImportSessions/%s", upload_session);
      break;
    case CLI_EXPORT:
      path = g_strdup_printf (DATASET_PATH ("ds") "/datasetExports/%s",
          export_id);
      break;
  }
  node = server_get (f, path);
  g_free (path);
  return node;
}

/* The annotations of an answer: a page's items, or the annotation. */
static GList *
answer_annotations (JsonNode * answer)
{
  JsonObject *o = json_node_get_object (answer);

  if (json_object_has_member (o, "items"))
    return json_array_get_elements (json_object_get_array_member (o, "items"));
  return g_list_prepend (NULL, answer);
}

static void
mutate (JsonNode * answer, Mutation mutation)
{
  JsonObject *o = json_node_get_object (answer);
  GList *annotations, *l;

  switch (mutation) {
    case AS_IS:
      break;
    case MISTYPED:
      if (json_object_has_member (o, "status")) {
        /* A session or an export. */
        json_object_set_int_member (json_object_get_object_member (o,
                "status"), "conditions", 42);
        break;
      }
      annotations = answer_annotations (answer);
      json_object_set_int_member (json_node_get_object (annotations->data),
          "annotationId", 42);
      g_list_free (annotations);
      break;
    case UNKNOWN_ROLE:
    case UNKNOWN_KIND:
      annotations = answer_annotations (answer);
      for (l = annotations; l != NULL; l = l->next) {
        JsonObject *spec = json_object_get_object_member
            (json_node_get_object (l->data), "spec");
        JsonObject *contents = json_object_get_object_member (spec,
            "contents");

        if (mutation == UNKNOWN_ROLE)
          json_object_set_string_member (json_object_get_object_member
              (json_object_get_object_member (spec, "aggregation"),
                  "thisPart"), "role", "Frobnicator");
        else if (g_strcmp0 (json_object_get_string_member (contents,
                    "kind"), "Caption") != 0)
          json_object_set_string_member (contents, "kind", "Hologram");
      }
      g_list_free (annotations);
      break;
    case UNKNOWN_CONDITION:{
      JsonArray *conditions = json_object_get_array_member
          (json_object_get_object_member (o, "status"), "conditions");
      JsonObject *c = json_object_new ();

      json_object_set_string_member (c, "condition", "Indexed");
      json_object_set_string_member (c, "status", "Reached");
      json_object_set_int_member (c, "lastTransitionTime", 1700000000000);
      json_object_set_string_member (c, "reason", "Frobnicated");
      json_array_add_object_element (conditions, c);
      break;
    }
  }
}

static gchar *
to_json (JsonNode * node)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return text;
}

/* The method and path of the requests a row faults. */
static void
row_selector (Fixture * f, const Row * row, const gchar * box_id,
    const gchar ** method, gchar ** path)
{
  *method = "GET";
  switch (row->step) {
    case STEP_ONLY:
      break;
    case STEP_REGISTER:
      /* The first POST creates the session, the next ones register. */
      *method = "POST";
      *path = g_strdup (DATASET_PATH ("up") "/annotationImportSessions");
      return;
    case STEP_PUT:
      *method = "PUT";
      *path = g_strdup ("/upload/");
      return;
    case STEP_PATCH:
      *method = "PATCH";
      *path = g_strdup (DATASET_PATH ("up") "/annotationImportSessions");
      return;
    case STEP_POLL:
      *path = g_strdup (DATASET_PATH ("up") "/annotationImportSessions");
      return;
    case STEP_EXPORT:
      *path = g_strdup (DATASET_PATH ("ds") "/datasetExports");
      return;
    case STEP_DOWNLOAD:
      *path = g_strdup ("/downloads/");
      return;
  }
  switch (row->target) {
    case SRC_ASSET:
    case CLI_LIST:
      *path = g_strdup (DATASET_PATH ("ds") "/assets/img 1/annotations");
      break;
    case SRC_TEMPLATE:
      *path = g_strdup_printf (DATASET_PATH ("frames") "/assets/f%03u/"
          "annotations", FAULTED_FRAME);
      break;
    case CLI_GET:
      *path = g_strdup_printf (DATASET_PATH ("ds") "/assets/img 1/"
          "annotations/%s", box_id);
      break;
    default:
      g_assert_not_reached ();
  }
}

/* Installs the row's rule; a mutation serves @answer, altered. */
static void
install_fault (Fixture * f, const Row * row, const gchar * box_id,
    JsonNode * answer)
{
  const gchar *method;
  gchar *path = NULL, *rule, *body = NULL, *body_member = NULL;
  JsonNode *quoted;

  row_selector (f, row, box_id, &method, &path);
  if (row->mutation != AS_IS) {
    mutate (answer, row->mutation);
    body = to_json (answer);
    quoted = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (quoted, body);
    g_free (body);
    body = to_json (quoted);
    json_node_unref (quoted);
    body_member = g_strdup_printf ("\"action\": \"status\", \"status\": "
        "200, \"body\": %s, ", body);
  }
  rule = g_strdup_printf ("{\"method\": \"%s\", \"path\": \"%s\", %s%s}",
      method, path, body_member ? body_member : "", row->fault);
  g_test_message ("fault: %s", rule);
  add_fault (f, rule);
  g_free (rule);
  g_free (body);
  g_free (body_member);
  g_free (path);
}

/* Each rule fired as often as it says (at least once when forever). */
static void
assert_faults_fired (Fixture * f)
{
  JsonNode *rules = server_get (f, "/_control/faults");
  JsonArray *array = json_node_get_array (rules);
  guint i;

  g_assert_cmpuint (json_array_get_length (array), >, 0);
  for (i = 0; i < json_array_get_length (array); i++) {
    JsonObject *rule = json_array_get_object_element (array, i);
    gint64 times = json_object_get_int_member (rule, "times");
    gint64 fired = json_object_get_int_member (rule, "fired");

    if (times < 0)
      g_assert_cmpint (fired, >=, 1);
    else
      g_assert_cmpint (fired, ==, times);
  }
  json_node_unref (rules);
}

/* ------------------------------------------------------------------ */
/* viannotsrc */

typedef struct
{
  const Row *row;
  /* the asset whose answer was altered, and what it lost */
  gchar *faulted_asset;
  gboolean lost_parts;          /* all but the caption */
  gboolean lost_all;            /* refused with on-error=warn */
} FrameExpect;

/* A frame with annotations carries those of its own asset, as loaded (but
 * for what the row's fault took away); one without is judged by the
 * counts. */
static gboolean
check_frame (guint n, GstBuffer * buf, gpointer data, gchar ** why)
{
  FrameExpect *e = data;
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buf);
  gboolean template = e->row->target == SRC_TEMPLATE;
  gchar *asset = template ? g_strdup_printf ("f%03u", n) : g_strdup ("img 1");
  gchar *caption = template ? g_strdup_printf (TEMPLATE_CAPTION, n) :
      g_strdup ("A cat sitting on a couch");
  gboolean faulted = g_str_equal (asset, e->faulted_asset);
  guint phrases = 1, interactions = template ? 0 : 1;
  gboolean good = TRUE;

  if (faulted && e->lost_parts)
    phrases = interactions = 0;

  if (meta == NULL) {
    /* Judged by the counts. */
  } else if (faulted && e->lost_all) {
    *why = g_strdup ("annotations of a refused answer");
    good = FALSE;
  } else if (g_strcmp0 (gst_vi_annot_meta_get_asset_id (meta), asset) ||
      gst_vi_annot_meta_get_n_captions (meta) != 1 ||
      g_strcmp0 (gst_vi_annot_meta_get_caption (meta, 0), caption) ||
      gst_vi_annot_meta_get_n_phrases (meta) != phrases ||
      gst_vi_annot_meta_get_n_interactions (meta) != interactions ||
      (phrases > 0 && g_strcmp0 (gst_vi_annot_meta_get_phrase (meta, 0),
              template ? "dog" : "cat"))) {
    *why = g_strdup_printf ("asset %s, %u captions (\"%s\"), %u phrases, "
        "%u interactions; expected %s, \"%s\", %u phrases, %u interactions",
        gst_vi_annot_meta_get_asset_id (meta),
        gst_vi_annot_meta_get_n_captions (meta),
        gst_vi_annot_meta_get_n_captions (meta) ?
        gst_vi_annot_meta_get_caption (meta, 0) : "",
        gst_vi_annot_meta_get_n_phrases (meta),
        gst_vi_annot_meta_get_n_interactions (meta), asset, caption,
        phrases, interactions);
    good = FALSE;
  }
  g_free (caption);
  g_free (asset);
  return good;
}

static void
assert_message (const GError * err, const gchar * debug, const Row * row)
{
  g_assert_nonnull (err);
  g_assert_true (err->domain == GST_RESOURCE_ERROR);
  g_assert_cmpint (err->code, ==, row->code);
  g_assert_nonnull (strstr (err->message, row->message));
  if (row->detail != NULL) {
    g_assert_nonnull (debug);
    g_assert_nonnull (strstr (debug, row->detail));
  }
}

static void
run_src (Fixture * f, const Row * row)
{
  gboolean template = row->target == SRC_TEMPLATE;
  FrameExpect expect = { row };
  GstStructure *stats = NULL;
  GstMessageType end;
  gchar *props;
  SrcRun run;

  if (row->mutation != AS_IS) {
    JsonNode *answer = real_answer (f, row, NULL, NULL);

    install_fault (f, row, NULL, answer);
    json_node_unref (answer);
  } else {
    install_fault (f, row, NULL, NULL);
  }

  expect.faulted_asset = template ?
      g_strdup_printf ("f%03u", FAULTED_FRAME) : g_strdup ("img 1");
  expect.lost_parts = row->mutation == UNKNOWN_KIND;
  expect.lost_all = row->outcome == WARNS;
  src_run_init (&run);
  run.check = check_frame;
  run.check_data = &expect;
  if (row->outcome == OUTAGE)
    run.back_frame = BACK_FRAME;
  props = g_strdup_printf ("%s %s", template ? TEMPLATE_PROPS : SRC_PROPS,
      row->extra ? row->extra : "");
  end = src_run_pipeline (&run, props, f->url, N_FRAMES, MAX_WAIT_MS, &stats);

  g_test_message ("%s: %s, %u frames, %u with annotations, %u late, "
      "%u back, %u other warnings, %u errors", props,
      gst_message_type_get_name (end), run.n, run.n_with_meta, run.n_late,
      run.n_back, run.n_other_warnings, run.n_errors);
  if (run.first_bad != NULL)
    g_error ("%s", run.first_bad);
  g_assert_cmpuint (run.n_bad, ==, 0);

  switch (row->outcome) {
    case RECOVERED:
      g_assert_cmpint (end, ==, GST_MESSAGE_EOS);
      g_assert_cmpuint (run.n_errors + run.n_other_warnings + run.n_late,
          ==, 0);
      g_assert_cmpuint (run.n_with_meta, ==, N_FRAMES);
      g_assert_cmpuint (src_run_stat (stats, "outages"), ==, 0);
      break;
    case OUTAGE:
      g_assert_cmpint (end, ==, GST_MESSAGE_EOS);
      g_assert_cmpuint (run.n_errors + run.n_other_warnings, ==, 0);
      g_assert_cmpuint (run.n_late, ==, 1);
      g_assert_cmpuint (run.n_back, ==, 1);
      g_assert_true (run.all_after_back);
      g_assert_cmpuint (src_run_stat (stats, "outages"), ==, 1);
      break;
    case FAILS:
      /* viannotsrc's error, then only what its GST_FLOW_ERROR makes
       * upstream say ("Internal data stream error"). */
      g_assert_cmpint (end, ==, GST_MESSAGE_ERROR);
      g_assert_cmpuint (run.n_src_errors, ==, 1);
      g_assert_cmpstr (run.first_error_source, ==, "v");
      g_assert_cmpuint (run.n_late + run.n_other_warnings, ==, 0);
      assert_message (run.first_error, run.first_error_debug, row);
      break;
    case WARNS:
      g_assert_cmpint (end, ==, GST_MESSAGE_EOS);
      g_assert_cmpuint (run.n_errors + run.n_late, ==, 0);
      g_assert_cmpuint (run.n_other_warnings, ==, 1);
      assert_message (run.first_warning, run.first_warning_debug, row);
      g_assert_cmpuint (run.n, ==, N_FRAMES);
      g_assert_cmpuint (run.n_with_meta, ==, template ? N_FRAMES - 1 : 0);
      break;
  }
  assert_faults_fired (f);

  gst_structure_free (stats);
  g_free (props);
  g_free (expect.faulted_asset);
  src_run_clear (&run);
}

/* ------------------------------------------------------------------ */
/* The CLI */

/* Removes @path and what it holds. */
static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      remove_tree (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

/* The items of every page of "img 1" in pages of 2, as the server sends
 * them. */
static JsonArray *
served_items (Fixture * f)
{
  JsonArray *all = json_array_new ();
  gchar *token = NULL;

  do {
    gchar *path = g_strdup_printf (DATASET_PATH ("ds") "/assets/img%%201/"
        "annotations?pageSize=2%s%s", token ? "&pageToken=" : "",
        token ? token : "");
    JsonNode *page = server_get (f, path);
    JsonObject *o = json_node_get_object (page);
    GList *items = json_array_get_elements (json_object_get_array_member (o,
            "items")), *l;

    for (l = items; l != NULL; l = l->next)
      json_array_add_element (all, json_node_copy (l->data));
    g_list_free (items);
    g_free (token);
    token = g_strdup (json_object_get_string_member (o, "nextPage"));
    json_node_unref (page);
    g_free (path);
  } while (token != NULL);
  return all;
}

/* The annotation id of the box of "img 1". */
static gchar *
box_id_of (Fixture * f)
{
  ViClient *client = new_client (f);
  GError *error = NULL;
  GPtrArray *all = vi_client_list_all_annotations (client, "ds", "img 1",
      0, NULL, &error);
  gchar *id = NULL;
  guint i;

  g_assert_no_error (error);
  for (i = 0; i < all->len; i++) {
    ViAnnotation *a = all->pdata[i];

    if (vi_annotation_content_get_kind (vi_annotation_spec_get_contents
            (vi_annotation_get_spec (a))) ==
        VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX)
      id = g_strdup (vi_annotation_get_annotation_id (a));
  }
  g_assert_nonnull (id);
  g_ptr_array_unref (all);
  g_object_unref (client);
  return id;
}

/* @got is exactly @expected: a listing holds what the server served, once
 * each, in order. */
static void
assert_same_json (JsonNode * got, JsonNode * expected)
{
  if (!json_node_equal (got, expected)) {
    gchar *a = to_json (got), *b = to_json (expected);

    g_error ("got\n%s\nexpected\n%s", a, b);
  }
}

typedef struct
{
  gchar *dir;                   /* scratch folder of the row */
  gchar *jsonl;                 /* CLI_UPLOAD: the file */
  gchar *export_id;             /* CLI_EXPORT */
  gchar *reference;             /* CLI_EXPORT: the archive's annotations */
  gchar *box_id;                /* CLI_GET */
  JsonNode *expected;           /* CLI_LIST, CLI_GET: what is served */
} CliCase;

static gchar *
exported_annotations (const gchar * dir)
{
  gchar *path = g_build_filename (dir, "ds", "dump", "annotations",
      "annotations.jsonl", NULL);
  gchar *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  g_free (path);
  return contents;
}

/* The data of a row, and the real answer its mutation alters. */
static JsonNode *
cli_prepare (Fixture * f, const Row * row, CliCase * c)
{
  ViClient *client = new_client (f);
  GError *error = NULL;
  JsonNode *answer = NULL;

  c->dir = g_dir_make_tmp ("vi-fault-matrix-XXXXXX", &error);
  g_assert_no_error (error);

  switch (row->target) {
    case CLI_LIST:
      c->expected = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (c->expected, served_items (f));
      if (row->mutation != AS_IS) {
        JsonArray *items = json_node_get_array (c->expected);
        JsonNode *altered;
        GList *page, *l;

        /* What the CLI gets: the first page, then the second altered. */
        answer = real_answer (f, row, NULL, NULL);
        altered = json_node_copy (answer);
        mutate (altered, row->mutation);
        page = answer_annotations (altered);
        for (l = page; l != NULL; l = l->next)
          json_array_remove_element (items, json_array_get_length (items) -
              g_list_length (page));
        for (l = page; l != NULL; l = l->next)
          json_array_add_element (items, json_node_copy (l->data));
        g_list_free (page);
        json_node_unref (altered);
      }
      break;
    case CLI_GET:{
      gchar *path;

      c->box_id = box_id_of (f);
      path = g_strdup_printf (DATASET_PATH ("ds") "/assets/img%%201/"
          "annotations/%s", c->box_id);
      c->expected = server_get (f, path);
      if (row->mutation != AS_IS) {
        answer = json_node_copy (c->expected);
        mutate (c->expected, row->mutation);
      }
      g_free (path);
      break;
    }
    case CLI_UPLOAD:{
      const gchar *paths[2] = { NULL, NULL };

      c->jsonl = g_build_filename (c->dir, "up.jsonl", NULL);
      g_assert_true (g_file_set_contents (c->jsonl, UPLOAD_JSONL, -1, &error));
      g_assert_no_error (error);
      /* What the upload must give, as the server makes it. */
      g_assert_true (vi_local_server_load_jsonl (f->server, "reference",
              c->jsonl, &error));
      g_assert_no_error (error);
      if (row->mutation != AS_IS) {
        ViUploadOptions options;
        ViAnnotationUploadResult *result;

        /* A session of the same file, done, whose answer is altered. */
        vi_upload_options_init (&options);
        options.poll_interval_ms = 10;
        paths[0] = c->jsonl;
        result = vi_client_upload_annotations (client, "scratch", paths,
            &options, NULL, NULL, NULL, &error);
        g_assert_no_error (error);
        answer = real_answer (f, row,
            vi_annotation_import_session_get_session_id
            (vi_annotation_upload_result_get_session (result)), NULL);
        vi_annotation_upload_result_unref (result);
      }
      break;
    }
    case CLI_EXPORT:{
      ViExportedAnnotations *x, *ready;
      gchar *reference = g_build_filename (c->dir, "reference", NULL);

      x = vi_client_create_export (client, "ds", VI_EXPORT_FORMAT_VI_JSONL,
          TRUE, NULL, &error);
      g_assert_no_error (error);
      c->export_id = g_strdup (vi_exported_annotations_get_dataset_export_id
          (x));
      ready = vi_client_wait_export (client, "ds", c->export_id, 10, 0, NULL,
          &error);
      g_assert_no_error (error);
      /* The archive as a download without faults unpacks it. */
      g_assert_true (vi_client_download_export (client, ready, reference, 0,
              NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      c->reference = exported_annotations (reference);
      g_assert_nonnull (c->reference);
      g_assert_nonnull (strstr (c->reference, "A cat sitting on a couch"));
      if (row->mutation != AS_IS)
        answer = real_answer (f, row, NULL, c->export_id);
      vi_exported_annotations_unref (ready);
      vi_exported_annotations_unref (x);
      g_free (reference);
      break;
    }
    default:
      g_assert_not_reached ();
  }
  g_object_unref (client);
  return answer;
}

static void
cli_case_clear (CliCase * c)
{
  remove_tree (c->dir);
  g_free (c->dir);
  g_free (c->jsonl);
  g_free (c->export_id);
  g_free (c->reference);
  g_free (c->box_id);
  if (c->expected != NULL)
    json_node_unref (c->expected);
}

static GPtrArray *
cli_args (const Row * row, CliCase * c, gchar *** extra)
{
  GPtrArray *args = g_ptr_array_new ();
  const gchar *const list[] = { "list", "ds", "img 1", "--page-size", "2",
    "--json", NULL
  };
  const gchar *const get[] = { "get", "ds", "img 1", c->box_id, "--json",
    NULL
  };
  const gchar *const upload[] = { "upload", "up", c->jsonl,
    "--poll-interval", "0.02", NULL
  };
  const gchar *const download[] = { "export", "download", "ds",
    c->export_id, c->dir, "--poll-interval", "0.02", NULL
  };
  const gchar *const *base = NULL;
  guint i;

  switch (row->target) {
    case CLI_LIST:
      base = list;
      break;
    case CLI_GET:
      base = get;
      break;
    case CLI_UPLOAD:
      base = upload;
      break;
    case CLI_EXPORT:
      base = download;
      break;
    default:
      g_assert_not_reached ();
  }
  for (i = 0; base[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) base[i]);
  *extra = g_strsplit (row->extra ? row->extra : "", " ", -1);
  for (i = 0; (*extra)[i] != NULL; i++)
    if ((*extra)[i][0] != '\0')
      g_ptr_array_add (args, (*extra)[i]);
  g_ptr_array_add (args, NULL);
  return args;
}

/* After an upload: once its session is done (faults gone), the dataset
 * holds each annotation of the file exactly once, or none. */
static void
assert_imported_once (Fixture * f, const Row * row, const Run * r)
{
  ViClient *client = new_client (f);
  GError *error = NULL;
  gchar *session_id = session_id_in (r->err);
  ViAnnotationImportSession *session;
  guint i, total = 0;

  vi_local_server_clear_faults (f->server);
  session = vi_client_wait_until_done (client, "up", session_id, 10,
      WATCHDOG_S * 1000, NULL, NULL, NULL, &error);
  if (row->imported) {
    g_assert_no_error (error);
    vi_annotation_import_session_unref (session);
  } else {
    g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
    g_clear_error (&error);
  }

  for (i = 0; i < G_N_ELEMENTS (upload_assets); i++) {
    GPtrArray *all = vi_client_list_all_annotations (client, "up",
        upload_assets[i], 0, NULL, &error);
    GHashTable *ids = g_hash_table_new (g_str_hash, g_str_equal);
    guint j, expected = row->imported ?
        vi_local_server_count_annotations (f->server, "reference",
        upload_assets[i]) : 0;

    if (!row->imported && g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND)) {
      /* Nothing was ever imported there. */
      g_clear_error (&error);
      g_hash_table_unref (ids);
      continue;
    }
    g_assert_no_error (error);
    for (j = 0; j < all->len; j++)
      g_assert_true (g_hash_table_add (ids, (gpointer)
              vi_annotation_get_annotation_id (all->pdata[j])));
    g_assert_cmpuint (all->len, ==, expected);
    total += all->len;
    g_hash_table_unref (ids);
    g_ptr_array_unref (all);
  }
  g_assert_cmpuint (total, ==, vi_local_server_count_annotations (f->server,
          "up", NULL));
  if (row->imported)
    g_assert_cmpuint (total, ==, vi_local_server_count_annotations
        (f->server, "reference", NULL));
  else
    g_assert_cmpuint (total, ==, 0);
  g_free (session_id);
  g_object_unref (client);
}

/* The lines of @err that report an error: "vi-annotations: " lines but the
 * trace id and the advice that may follow one. */
static guint
count_error_lines (const gchar * err)
{
  gchar **lines = g_strsplit (err, "\n", -1);
  guint i, n = 0;

  for (i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "vi-annotations: ") &&
        !g_str_has_prefix (lines[i], "vi-annotations: trace id ") &&
        !g_str_has_prefix (lines[i], "vi-annotations: follow the import "))
      n++;
  g_strfreev (lines);
  return n;
}

static void
run_cli_row (Fixture * f, const Row * row)
{
  CliCase c = { 0 };
  JsonNode *answer = cli_prepare (f, row, &c);
  GPtrArray *args;
  gchar **extra = NULL;
  Run r = { 0 };

  install_fault (f, row, c.box_id, answer);
  args = cli_args (row, &c, &extra);
  run_cli (f, &r, KEY, (const char *const *) args->pdata);
  g_test_message ("exit status %d; stderr:\n%s", r.status, r.err);
  assert_faults_fired (f);

  switch (row->outcome) {
    case RECOVERED:
      g_assert_cmpint (r.status, ==, 0);
      break;
    case FAILS:
      g_assert_cmpint (r.status, ==, row->code);
      g_assert_nonnull (strstr (r.err, row->message));
      if (row->detail != NULL)
        g_assert_nonnull (strstr (r.err, row->detail));
      g_assert_cmpuint (count_error_lines (r.err), ==, 1);
      break;
    default:
      g_assert_not_reached ();
  }

  switch (row->target) {
    case CLI_LIST:
      if (row->outcome == RECOVERED) {
        JsonNode *out = parse (r.out);

        assert_same_json (json_object_get_member (json_node_get_object (out),
                "items"), c.expected);
        json_node_unref (out);
      } else {
        /* The first page was printed, the document left open. */
        g_assert_true (g_str_has_prefix (r.out, "{"));
        g_assert_false (g_str_has_suffix (g_strchomp (r.out), "]}"));
      }
      break;
    case CLI_GET:
      if (row->outcome == RECOVERED) {
        JsonNode *out = parse (r.out);

        assert_same_json (out, c.expected);
        json_node_unref (out);
      } else {
        g_assert_cmpstr (r.out, ==, "");
      }
      break;
    case CLI_UPLOAD:
      assert_imported_once (f, row, &r);
      break;
    case CLI_EXPORT:{
      gchar *got = exported_annotations (c.dir);

      if (row->outcome == RECOVERED)
        g_assert_cmpstr (got, ==, c.reference);
      else
        g_assert_null (got);
      g_free (got);
      break;
    }
    default:
      g_assert_not_reached ();
  }

  if (answer != NULL)
    json_node_unref (answer);
  run_clear (&r);
  g_strfreev (extra);
  g_ptr_array_unref (args);
  cli_case_clear (&c);
}

static void
test_row (Fixture * f, gconstpointer data)
{
  const Row *row = data;

  if (row->target == SRC_ASSET || row->target == SRC_TEMPLATE)
    run_src (f, row);
  else
    run_cli_row (f, row);
}

int
main (int argc, char **argv)
{
  guint i;
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  for (i = 0; i < G_N_ELEMENTS (rows); i++) {
    gchar *path = g_strconcat ("/fault-matrix/", rows[i].name, NULL);

    g_test_add (path, Fixture, &rows[i], matrix_setup, test_row,
        vi_test_server_teardown);
    g_free (path);
  }
  status = g_test_run ();
  /* With GST_TRACERS=leaks (scripts/valgrind), a GStreamer object still
   * alive is reported here, and the warning is fatal. */
  gst_deinit ();
  return status;
}
