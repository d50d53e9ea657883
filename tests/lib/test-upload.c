/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libvi's upload, import sessions and wait against vi-local-server, running
 * in a thread on 127.0.0.1 with an ephemeral port.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <vi/vi.h>
#include "vi-test-server.h"
#include "vi-test-http.h"

#define ORG VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
#define KEY VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
#define SESSIONS \
  "/workspaces/" ORG "/datasets/" ORG "_ds/annotationImportSessions"

/* The shared fixture: a server started for the test, a client of it and
 * a temporary folder. */
typedef ViTestServer Fixture;

/* Writes dir/rel (creating folders) and returns its path. */
static char *
write_file (const char *dir, const char *rel, const char *contents)
{
  g_autoptr (GError) error = NULL;
  char            *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  return path;
}

static void
add_fault (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;

  vi_local_server_add_fault_json (f->server, json, &error);
  g_assert_no_error (error);
}

static gboolean
contains_ci (const char *haystack, const char *needle)
{
  g_autofree char *h = g_utf8_strdown (haystack, -1);
  g_autofree char *n = g_utf8_strdown (needle, -1);

  return strstr (h, n) != NULL;
}

/* ------------------------------------------------------------------------
 * Progress recording
 * ------------------------------------------------------------------------ */

typedef struct {
  GArray       *events; /* ViUploadProgress, pointers cleared */
  GThread      *thread;
  GCancellable *cancellable;  /* cancelled at cancel_stage, if set */
  int           cancel_stage; /* -1: never */
  char         *modify_path;  /* flipped at the first UPLOADING report */
  char         *session_id;
  gboolean      saw_session;
} Recorder;

static void
recorder_init (Recorder *r)
{
  memset (r, 0, sizeof *r);
  r->events = g_array_new (FALSE, TRUE, sizeof (ViUploadProgress));
  r->thread = g_thread_self ();
  r->cancel_stage = -1;
}

static void
recorder_clear (Recorder *r)
{
  g_array_unref (r->events);
  g_clear_object (&r->cancellable);
  g_free (r->modify_path);
  g_free (r->session_id);
}

static void
flip_first_byte (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize            len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_cmpuint (len, >, 20);
  /* Same size, other bytes: inside the first caption. */
  contents[len - 5] = contents[len - 5] == 'x' ? 'y' : 'x';
  g_assert_true (g_file_set_contents (path, contents, len, &error));
}

static void
record_progress (const ViUploadProgress *progress, gpointer user_data)
{
  Recorder        *r = user_data;
  ViUploadProgress copy = *progress;

  g_assert_true (g_thread_self () == r->thread);
  if (progress->session_id != NULL && r->session_id == NULL)
    r->session_id = g_strdup (progress->session_id);
  if (progress->stage == VI_UPLOAD_STAGE_PROCESSING) {
    g_assert_nonnull (progress->session);
    r->saw_session = TRUE;
  }
  copy.session_id = NULL;
  copy.current_file = NULL;
  copy.session = NULL;
  g_array_append_val (r->events, copy);

  if (r->modify_path != NULL && progress->stage == VI_UPLOAD_STAGE_UPLOADING) {
    flip_first_byte (r->modify_path);
    g_clear_pointer (&r->modify_path, g_free);
  }
  if (r->cancellable != NULL && (int) progress->stage == r->cancel_stage)
    g_cancellable_cancel (r->cancellable);
}

/* Stages never go back, the upload reaches DONE, bytes reach the total. */
static void
check_progress (Recorder *r, gboolean waited)
{
  ViUploadStage     last = VI_UPLOAD_STAGE_COLLECTING;
  gboolean          all_bytes = FALSE, processing = FALSE;
  ViUploadProgress *e;

  g_assert_cmpuint (r->events->len, >=, 5);
  e = &g_array_index (r->events, ViUploadProgress, 0);
  g_assert_cmpint (e->stage, ==, VI_UPLOAD_STAGE_COLLECTING);
  for (guint i = 0; i < r->events->len; i++) {
    e = &g_array_index (r->events, ViUploadProgress, i);
    g_assert_cmpint (e->stage, >=, last);
    last = e->stage;
    if (e->stage > VI_UPLOAD_STAGE_COLLECTING) {
      g_assert_cmpuint (e->files_total, >, 0);
      g_assert_cmpuint (e->bytes_total, >, 0);
    }
    g_assert_cmpuint (e->bytes_done, <=, e->bytes_total);
    g_assert_cmpuint (e->files_done, <=, e->files_total);
    if (e->stage == VI_UPLOAD_STAGE_UPLOADING &&
        e->bytes_done == e->bytes_total && e->files_done == e->files_total)
      all_bytes = TRUE;
    if (e->stage == VI_UPLOAD_STAGE_PROCESSING)
      processing = TRUE;
  }
  g_assert_cmpint (last, ==, VI_UPLOAD_STAGE_DONE);
  g_assert_true (all_bytes);
  if (!waited)
    g_assert_false (processing);
}

/* ------------------------------------------------------------------------
 * Collecting files
 * ------------------------------------------------------------------------ */

static void
test_collect (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vi-collect-XXXXXX", &error);
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *txt = NULL, *d = NULL;
  g_autofree char *dup = NULL, *missing = NULL, *empty = NULL;
  g_autofree char *sub = NULL;

  g_assert_no_error (error);
  a = write_file (dir, "tree/a.jsonl", "{}\n");
  b = write_file (dir, "tree/sub/B.JSONL", "{}\n");
  c = write_file (dir, "tree/sub/deeper/c.Json", "{}\n");
  txt = write_file (dir, "tree/sub/notes.txt", "not annotations\n");
  g_free (write_file (dir, "tree/sub/.hidden/x.yaml", "no\n"));
  d = write_file (dir, "d.txt", "{}\n");
  sub = g_build_filename (dir, "tree", NULL);

  /* A folder: recursive, extensions in any case, others ignored, sorted. */
  {
    const char *paths[] = { sub, NULL };

    files = vi_collect_annotation_files (paths, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (files->len, ==, 3);
    g_assert_cmpstr (files->pdata[0], ==, a);
    g_assert_cmpstr (files->pdata[1], ==, b);
    g_assert_cmpstr (files->pdata[2], ==, c);
    g_clear_pointer (&files, g_ptr_array_unref);
  }

  /* A file is taken whatever its extension, in the order given; the same
   * file twice is listed once. */
  {
    const char *paths[] = { d, sub, a, NULL };

    files = vi_collect_annotation_files (paths, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (files->len, ==, 4);
    g_assert_cmpstr (files->pdata[0], ==, d);
    g_assert_cmpstr (files->pdata[1], ==, a);
    g_clear_pointer (&files, g_ptr_array_unref);
  }

  /* Same base name in two places: both named. */
  dup = write_file (dir, "other/c.Json", "{}\n");
  {
    const char *paths[] = { sub, dup, NULL };

    files = vi_collect_annotation_files (paths, &error);
    g_assert_null (files);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, c));
    g_assert_nonnull (strstr (error->message, dup));
    g_clear_error (&error);
  }

  /* Neither a file nor a folder. */
  missing = g_build_filename (dir, "missing.jsonl", NULL);
  {
    const char *paths[] = { a, missing, NULL };

    files = vi_collect_annotation_files (paths, &error);
    g_assert_null (files);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, missing));
    g_clear_error (&error);
  }

  /* Nothing found. */
  empty = g_build_filename (dir, "empty", NULL);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  {
    const char *paths[] = { empty, NULL };
    const char *none[] = { NULL };

    files = vi_collect_annotation_files (paths, &error);
    g_assert_null (files);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    files = vi_collect_annotation_files (none, &error);
    g_assert_null (files);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }

  remove_tree (dir);
}

/* ------------------------------------------------------------------------
 * Round trip
 * ------------------------------------------------------------------------ */

#define N_ASSETS 30

/* 300 lines over 30 assets: phrase grounding with three phrases (one of
 * them after non-ASCII text, so spans count characters), plain captions
 * and VQA with two interactions. */
static char *
generate_mixed (const char *dir, const char *name, guint n)
{
  GString *text = g_string_new (NULL);
  char    *path;

  for (guint i = 0; i < n; i++) {
    guint  asset = i % N_ASSETS;
    double x = 0.01 * (i % 40);

    switch (i % 3) {
      case 0:
        g_string_append_printf (
            text,
            "{\"asset_id\": \"asset-%02u\", "
            "\"caption\": \"line %u: a red cat beside a café, a blue dog "
            "and a red cat again\", \"grounded_phrases\": ["
            "{\"phrase\": \"red cat\", \"bbox\": [%.2f, 0.1, %.2f, 0.5]}, "
            "{\"phrase\": \"café\", \"bbox\": [0.5, 0.5, 0.9, 0.9]}, "
            "{\"phrase\": \"blue dog\", \"bbox\": [0.2, %.2f, 0.3, 0.95]}, "
            "{\"phrase\": \"red cat\", \"bbox\": [0.6, 0.1, 0.7, 0.2]}]}\n",
            asset, i, x, x + 0.5, x / 2);
        break;
      case 1:
        g_string_append_printf (text,
                                "{\"asset_id\": \"asset-%02u\", "
                                "\"caption\": \"line %u: just a caption\"}\n",
                                asset, i);
        break;
      default:
        g_string_append_printf (
            text,
            "{\"asset_id\": \"asset-%02u\", "
            "\"contents\": {\"interactions\": ["
            "{\"question\": \"line %u: what is it?\", \"answer\": \"a cat\"}, "
            "{\"question\": \"line %u: how many?\", \"answer\": \"%u\"}]}}\n",
            asset, i, i, i);
        break;
    }
  }
  path = write_file (dir, name, text->str);
  g_string_free (text, TRUE);
  return path;
}

/* The key that names a record among the parts of its group. */
static const char *
record_key (const ViJsonlRecord *record)
{
  if (vi_jsonl_record_get_caption (record) != NULL)
    return vi_jsonl_record_get_caption (record);
  return vi_jsonl_record_get_interaction (record, 0)->question;
}

static void
check_group (const ViJsonlRecord *record, GPtrArray *parts)
{
  guint    n_phrases = vi_jsonl_record_get_n_phrases (record);
  guint    n_interactions = vi_jsonl_record_get_n_interactions (record);
  gboolean has_caption = vi_jsonl_record_get_caption (record) != NULL;
  g_autofree gboolean *phrase_seen = g_new0 (gboolean, n_phrases + 1);
  g_autofree gboolean *qa_seen = g_new0 (gboolean, n_interactions + 1);
  guint                n_captions = 0;

  g_assert_cmpuint (parts->len, ==,
                    (has_caption ? 1 : 0) + n_phrases + n_interactions);

  for (guint i = 0; i < parts->len; i++) {
    ViAnnotationSpec    *spec = vi_annotation_get_spec (parts->pdata[i]);
    ViAnnotationContent *c = vi_annotation_spec_get_contents (spec);

    switch (vi_annotation_content_get_kind (c)) {
      case VI_CONTENT_KIND_CAPTION:
        g_assert_cmpint (vi_annotation_spec_get_role (spec), ==,
                         VI_ROLE_CAPTION);
        g_assert_cmpstr (vi_annotation_content_get_caption (c), ==,
                         vi_jsonl_record_get_caption (record));
        n_captions++;
        break;
      case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX: {
        int           start, end;
        gsize         n_points = 0;
        const double *bound = vi_annotation_content_get_bound (c, &n_points);
        gboolean      matched = FALSE;

        g_assert_cmpint (vi_annotation_spec_get_role (spec), ==,
                         VI_ROLE_PHRASE_GROUNDING_BOUNDING_BOX);
        g_assert_true (vi_annotation_content_get_target (c, &start, &end));
        g_assert_cmpuint (n_points, ==, 4);
        for (guint p = 0; p < n_phrases && !matched; p++) {
          const ViGroundedPhrase *ph = vi_jsonl_record_get_phrase (record, p);
          const ViBBox           *b = &ph->bbox;
          const double corners[8] = { b->x_min, b->y_min, b->x_max, b->y_min,
                                      b->x_max, b->y_max, b->x_min, b->y_max };

          if (phrase_seen[p] || ph->start != start || ph->end != end)
            continue;
          for (guint k = 0; k < 8; k++)
            g_assert_cmpfloat_with_epsilon (bound[k], corners[k], 1e-9);
          phrase_seen[p] = matched = TRUE;
        }
        g_assert_true (matched);
        break;
      }
      case VI_CONTENT_KIND_VQA: {
        gboolean matched = FALSE;

        for (guint q = 0; q < n_interactions && !matched; q++) {
          const ViVqaInteraction *qa = vi_jsonl_record_get_interaction (record,
                                                                        q);

          if (qa_seen[q] ||
              g_strcmp0 (qa->question,
                         vi_annotation_content_get_question (c)) != 0)
            continue;
          g_assert_cmpstr (vi_annotation_content_get_answer (c), ==,
                           qa->answer);
          qa_seen[q] = matched = TRUE;
        }
        g_assert_true (matched);
        break;
      }
      default:
        g_assert_not_reached ();
    }
  }
  g_assert_cmpuint (n_captions, ==, has_caption ? 1 : 0);
}

/* Lists every asset and checks each record of path comes back as the
 * parts of one group (docs/decisions.md, "Lines become parts").  Returns
 * the number of parts. */
static guint
check_round_trip (Fixture *f, const char *dataset, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GHashTable) groups = NULL;   /* "asset\nkey" -> parts */
  g_autoptr (GHashTable) whole_of = NULL; /* whole id -> key */
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_ptr_array_unref);
  ViJsonlRecord *record;
  guint          n_parts = 0, n_records = 0;

  groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) g_ptr_array_unref);
  whole_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint a = 0; a < N_ASSETS; a++) {
    g_autofree char *asset = g_strdup_printf ("asset-%02u", a);
    GPtrArray       *items = vi_client_list_all_annotations (f->client, dataset,
                                                             asset, 1000, NULL,
                                                             &error);
    g_autoptr (GHashTable)
        by_whole = g_hash_table_new (g_str_hash, g_str_equal);

    g_assert_no_error (error);
    g_ptr_array_add (lists, items);
    n_parts += items->len;

    /* Group by whole.id, then name each group by its caption or first
     * question. */
    for (guint i = 0; i < items->len; i++) {
      ViAnnotation *ann = items->pdata[i];
      const char   *whole = vi_annotation_spec_get_whole_id (
            vi_annotation_get_spec (ann));
      GPtrArray *parts;

      g_assert_cmpstr (vi_annotation_get_asset_id (ann), ==, asset);
      g_assert_cmpstr (vi_annotation_get_dataset_id (ann), ==, dataset);
      g_assert_nonnull (whole);
      parts = g_hash_table_lookup (by_whole, whole);
      if (parts == NULL) {
        parts = g_ptr_array_new ();
        g_hash_table_insert (by_whole, (gpointer) whole, parts);
      }
      g_ptr_array_add (parts, ann);
    }
    {
      GHashTableIter iter;
      gpointer       key, value;

      g_hash_table_iter_init (&iter, by_whole);
      while (g_hash_table_iter_next (&iter, &key, &value)) {
        GPtrArray  *parts = value;
        const char *name = NULL;

        for (guint i = 0; i < parts->len && name == NULL; i++) {
          ViAnnotationContent *c = vi_annotation_spec_get_contents (
              vi_annotation_get_spec (parts->pdata[i]));

          if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_CAPTION)
            name = vi_annotation_content_get_caption (c);
        }
        for (guint i = 0; i < parts->len && name == NULL; i++) {
          ViAnnotationContent *c = vi_annotation_spec_get_contents (
              vi_annotation_get_spec (parts->pdata[i]));

          if (vi_annotation_content_get_kind (c) == VI_CONTENT_KIND_VQA &&
              g_str_has_suffix (vi_annotation_content_get_question (c),
                                "what is it?"))
            name = vi_annotation_content_get_question (c);
        }
        g_assert_nonnull (name);
        g_assert_true (
            g_hash_table_insert (groups,
                                 g_strdup_printf ("%s\n%s", asset, name),
                                 parts));
        g_assert_true (
            g_hash_table_insert (whole_of, g_strdup (key), g_strdup (name)));
      }
      g_hash_table_steal_all (by_whole);
    }
  }

  reader = vi_jsonl_reader_new_for_path (path, &error);
  g_assert_no_error (error);
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    g_autofree char *key = NULL;
    GPtrArray       *parts;

    g_assert_true (vi_jsonl_record_compute_spans (record, &error));
    g_assert_no_error (error);
    key = g_strdup_printf ("%s\n%s", vi_jsonl_record_get_asset_id (record),
                           record_key (record));
    parts = g_hash_table_lookup (groups, key);
    g_assert_nonnull (parts);
    check_group (record, parts);
    g_hash_table_remove (groups, key);
    n_records++;
    vi_jsonl_record_unref (record);
  }
  g_assert_no_error (error);
  /* Every group is one line of the file, and no line is missing. */
  g_assert_cmpuint (g_hash_table_size (groups), ==, 0);
  g_assert_cmpuint (n_records, ==, g_hash_table_size (whole_of));
  return n_parts;
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (ViAnnotationImportSession) got = NULL;
  g_autofree char *path = generate_mixed (f->dir, "mixed.jsonl", 300);
  g_autofree char *summary = NULL;
  const char      *paths[] = { path, NULL };
  ViAnnotationImportSessionStatus *status;
  Recorder                         r;
  guint                            n_parts;

  recorder_init (&r);
  result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                         record_progress, &r, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  check_progress (&r, TRUE);
  g_assert_cmpstr (r.session_id, ==,
                   vi_annotation_upload_result_get_session_id (result));

  /* 100 groundings of 1 + 4 parts, 100 captions, 100 VQA of 2. */
  g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (result),
                   ==, 100 * 5 + 100 + 100 * 2);
  status = vi_annotation_import_session_get_status (
      vi_annotation_upload_result_get_session (result));
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Processed"),
                   ==, 1);
  summary = vi_annotation_upload_result_summary (result);
  g_assert_nonnull (strstr (summary, "complete"));

  n_parts = check_round_trip (f, "ds", path);
  g_assert_cmpuint (n_parts, ==, 800);

  /* The session reads back the same. */
  got =
      vi_client_get_import_session (f->client, "ds",
                                    vi_annotation_upload_result_get_session_id (
                                        result),
                                    NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_import_session_is_complete (got));

  /* Exactly one session, one registration, one PUT, one PATCH. */
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "POST",
                                                       SESSIONS),
                    ==, 2);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                       "/upload/"),
                    ==, 1);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);
  recorder_clear (&r);
}

/* ------------------------------------------------------------------------
 * Folders and names
 * ------------------------------------------------------------------------ */

static void
test_folder (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autofree char *root = g_build_filename (f->dir, "tree", NULL);
  const char      *paths[] = { root, NULL };

  g_free (write_file (f->dir, "tree/one.jsonl",
                      "{\"asset_id\": \"f1\", \"caption\": \"one\"}\n"));
  g_free (write_file (f->dir, "tree/sub/TWO.JSONL",
                      "{\"asset_id\": \"f1\", \"caption\": \"two\"}\n"));
  g_free (write_file (f->dir, "tree/sub/deeper/three.json",
                      "{\"asset_id\": \"f2\", \"caption\": \"three\"}\n"));
  g_free (write_file (f->dir, "tree/sub/readme.txt", "not annotations"));
  g_free (write_file (f->dir, "tree/sub/deeper/bad.yaml", "{{{"));

  result = vi_client_upload_annotations (f->client, "ds", paths, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (result),
                   ==, 3);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                       "/upload/"),
                    ==, 3);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "f1"),
                    ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "f2"),
                    ==, 1);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (
                       vi_annotation_import_session_get_status (
                           vi_annotation_upload_result_get_session (result)),
                       "Processed"),
                   ==, 3);
}

static void
test_duplicate_names (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autofree char *a =
      write_file (f->dir, "a/same.jsonl",
                  "{\"asset_id\": \"x\", \"caption\": \"a\"}\n");
  g_autofree char *b =
      write_file (f->dir, "b/same.jsonl",
                  "{\"asset_id\": \"x\", \"caption\": \"b\"}\n");
  const char *paths[] = { a, b, NULL };
  const char *neither[] = { a, "/nonexistent/path.jsonl", NULL };

  result = vi_client_upload_annotations (f->client, "ds", paths, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, a));
  g_assert_nonnull (strstr (error->message, b));
  g_clear_error (&error);

  result = vi_client_upload_annotations (f->client, "ds", neither, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "/nonexistent/path.jsonl"));
  g_clear_error (&error);

  /* A bad dataset id. */
  result = vi_client_upload_annotations (f->client, "bad/id", paths, NULL, NULL,
                                         NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Nothing was sent. */
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);
}

/* ------------------------------------------------------------------------
 * Failure policies
 * ------------------------------------------------------------------------ */

/* Two good lines around a bad one (phrase not in the caption). */
#define GOOD_BAD_GOOD                                                    \
  "{\"asset_id\": \"p\", \"caption\": \"good one\"}\n"                   \
  "{\"asset_id\": \"p\", \"caption\": \"a cat\", \"grounded_phrases\": " \
  "[{\"phrase\": \"dog\", \"bbox\": [0.1, 0.1, 0.2, 0.2]}]}\n"           \
  "{\"asset_id\": \"p\", \"caption\": \"good two\"}\n"
#define ALL_GOOD "{\"asset_id\": \"q\", \"caption\": \"fine\"}\n"

static ViAnnotationUploadResult *
upload_policy (Fixture        *f,
               ViFailurePolicy policy,
               const char    **paths,
               GError        **error)
{
  ViUploadOptions options;

  vi_upload_options_init (&options);
  options.failure_policies.on_bad_annotation = policy;
  options.failure_policies.on_bad_file = policy;
  options.poll_interval_ms = 20;
  return vi_client_upload_annotations (f->client, "ds", paths, &options, NULL,
                                       NULL, NULL, error);
}

static void
test_policies (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autofree char *mixed = write_file (f->dir, "mixed.jsonl", GOOD_BAD_GOOD);
  g_autofree char *good = write_file (f->dir, "good.jsonl", ALL_GOOD);
  const char      *paths[] = { mixed, good, NULL };
  ViAnnotationImportSessionStatus *status;

  /* Warn: the bad line is skipped, the rest imported. */
  result = upload_policy (f, VI_FAILURE_POLICY_WARN, paths, &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  status = vi_annotation_import_session_get_status (
      vi_annotation_upload_result_get_session (result));
  g_assert_cmpint (vi_annotation_import_session_status_get_annotation_count (
                       status, "Created"),
                   ==, 3);
  g_assert_cmpint (vi_annotation_import_session_status_get_annotation_count (
                       status, "Failed"),
                   ==, 1);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Processed"),
                   ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "p"),
                    ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "q"),
                    ==, 1);
  g_clear_pointer (&result, vi_annotation_upload_result_unref);
  g_assert_true (vi_local_server_clear_dataset (f->server, "ds", &error));

  /* RejectFile: the file with a bad line is left out, the other kept. */
  result = upload_policy (f, VI_FAILURE_POLICY_REJECT_FILE, paths, &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  status = vi_annotation_import_session_get_status (
      vi_annotation_upload_result_get_session (result));
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Failed"),
                   ==, 1);
  g_assert_cmpint (vi_annotation_import_session_status_get_file_count (status,
                                                                       "Processed"),
                   ==, 1);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "p"),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "q"),
                    ==, 1);
  g_clear_pointer (&result, vi_annotation_upload_result_unref);
  g_assert_true (vi_local_server_clear_dataset (f->server, "ds", &error));

  /* RejectSession: nothing imported, the error carries the chain and the
   * server's reason. */
  result = upload_policy (f, VI_FAILURE_POLICY_REJECT_SESSION, paths, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
  g_assert_nonnull (strstr (error->message, "FailedReach"));
  g_assert_nonnull (strstr (error->message, "FilesInserted: Reached"));
  g_assert_nonnull (strstr (error->message, "mixed.jsonl:2"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "p"),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "q"),
                    ==, 0);
}

/* ------------------------------------------------------------------------
 * Retries
 * ------------------------------------------------------------------------ */

static void
upload_small (Fixture *f, GError **error, ViAnnotationUploadResult **result)
{
  g_autofree char *path =
      write_file (f->dir, "small.jsonl",
                  "{\"asset_id\": \"r\", \"caption\": \"retried\"}\n"
                  "{\"asset_id\": \"r\", \"caption\": \"twice\"}\n");
  const char     *paths[] = { path, NULL };
  ViUploadOptions options;

  vi_upload_options_init (&options);
  options.poll_interval_ms = 20;
  *result = vi_client_upload_annotations (f->client, "ds", paths, &options,
                                          NULL, NULL, NULL, error);
}

/* Uploads under one fault rule, from an empty dataset and fresh counters:
 * the upload completes with both annotations, imported once. */
static void
upload_recovers (Fixture *f, const char *rule)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;

  g_test_message ("fault %s", rule);
  vi_local_server_reset_counters (f->server);
  vi_local_server_clear_faults (f->server);
  g_assert_true (vi_local_server_clear_dataset (f->server, "ds", &error));
  add_fault (f, rule);
  upload_small (f, &error, &result);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_upload_result_is_complete (result));
  g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (result),
                   ==, 2);
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "r"),
                    ==, 2);
}

static void
test_retries (Fixture *f, gconstpointer data)
{
  struct {
    const char *rule;
    const char *method;
    const char *path;
    guint       expected;
  } cases[] = {
    /* create */
    { "{\"method\": \"POST\", \"path\": \"" SESSIONS
      "\", \"action\": \"status\", \"status\": 429, "
      "\"retryAfter\": \"0\"}",
      "POST", SESSIONS, 3 },
    { "{\"method\": \"POST\", \"path\": \"" SESSIONS
      "\", \"action\": \"status\", \"status\": 503, "
      "\"times\": 2}",
      "POST", SESSIONS, 4 },
    /* register: the first POST (create) goes through */
    { "{\"method\": \"POST\", \"path\": \"" SESSIONS "\", \"after\": 1, "
      "\"action\": \"status\", \"status\": 502}",
      "POST", SESSIONS, 3 },
    { "{\"method\": \"POST\", \"path\": \"" SESSIONS "\", \"after\": 1, "
      "\"action\": \"drop\"}",
      "POST", SESSIONS, 3 },
    /* the signed upload */
    { "{\"method\": \"PUT\", \"path\": \"/upload/\", \"action\": \"status\", \"status\": 503, "
      "\"times\": 3}",
      "PUT", "/upload/", 4 },
    { "{\"method\": \"PUT\", \"path\": \"/upload/\", \"action\": \"status\", \"status\": 429}",
      "PUT", "/upload/", 2 },
    { "{\"method\": \"PUT\", \"path\": \"/upload/\", \"action\": \"drop\", "
      "\"times\": 2}",
      "PUT", "/upload/", 3 },
    /* PATCH */
    { "{\"method\": \"PATCH\", \"action\": \"status\", \"status\": 500}",
      "PATCH", NULL, 2 },
    { "{\"method\": \"PATCH\", \"action\": \"status\", \"status\": 429, \"retryAfter\": \"0\"}",
      "PATCH", NULL, 2 },
    /* polling */
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS
      "\", \"action\": \"status\", \"status\": 504, "
      "\"times\": 3}",
      "GET", NULL, 0 },
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS
      "\", \"action\": \"status\", \"status\": 429}",
      "GET", NULL, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    upload_recovers (f, cases[i].rule);
    if (cases[i].expected > 0)
      g_assert_cmpuint (vi_local_server_get_request_count (f->server,
                                                           cases[i].method,
                                                           cases[i].path),
                        ==, cases[i].expected);
  }

  /* Out of retries on the signed upload: the session is marked failed
   * and the error names the file and the cause. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationUploadResult) result = NULL;

    vi_local_server_reset_counters (f->server);
    vi_local_server_clear_faults (f->server);
    add_fault (f,
               "{\"method\": \"PUT\", \"path\": \"/upload/\", "
               "\"action\": \"status\", \"status\": 503, \"times\": -1}");
    upload_small (f, &error, &result);
    g_assert_null (result);
    g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
    g_assert_nonnull (strstr (error->message, "small.jsonl"));
    g_assert_nonnull (strstr (error->message, "503"));
    g_assert_nonnull (strstr (error->message, "UserUploadErrored"));
    g_assert_cmpuint (vi_error_get_http_status (error), ==, 503);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                         "/upload/"),
                      ==, 4);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                         NULL),
                      ==, 1);
  }

  /* A 4xx on the signed upload is not retried. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationUploadResult) result = NULL;

    vi_local_server_reset_counters (f->server);
    vi_local_server_clear_faults (f->server);
    add_fault (f,
               "{\"method\": \"PUT\", \"path\": \"/upload/\", "
               "\"action\": \"status\", \"status\": 403, \"times\": -1}");
    upload_small (f, &error, &result);
    g_assert_null (result);
    g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
    /* The signed URL carries no key: its signature or expiry is at
     * fault, not the organization id. */
    g_assert_nonnull (strstr (error->message, "signed URL"));
    g_assert_null (strstr (error->message, "DATATURE_VI_ORGANIZATION_ID"));
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                         "/upload/"),
                      ==, 1);
  }
}

/* ------------------------------------------------------------------------
 * Lost answers: exactly once
 * ------------------------------------------------------------------------ */

/* The answer to an idempotent step is lost (cut short, dropped, garbled):
 * the session is asked what happened, and the upload succeeds with every
 * annotation imported once.  A truncated PATCH has been carried out, so
 * its retry gets 409 "already has FilesInserted"; a malformed one has
 * not, so it is sent again. */
/* A status read dropped by the server on a keep-alive connection, after
 * an upload has left its connections in the pool: libsoup re-sends the
 * GET by itself, and in libsoup 3.2 the late report of the first try
 * could finish the second and crash (about one run in three before the
 * workaround in vi-http.c).  Many rounds, so that the race is met. */
static void
test_dropped_read (Fixture *f, gconstpointer data)
{
  g_autofree char *path =
      write_file (f->dir, "nowait.jsonl",
                  "{\"asset_id\": \"n\", \"caption\": \"later\"}\n");
  const char     *paths[] = { path, NULL };
  ViUploadOptions options;

  vi_upload_options_init (&options);
  options.wait_until_done = FALSE;
  for (guint i = 0; i < 40; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationUploadResult) result = NULL;
    g_autoptr (ViAnnotationImportSession) session = NULL;

    vi_local_server_clear_faults (f->server);
    result = vi_client_upload_annotations (f->client, "ds", paths, &options,
                                           NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    add_fault (f, "{\"method\": \"GET\", \"action\": \"drop\"}");
    session =
        vi_client_get_import_session (f->client, "ds",
                                      vi_annotation_upload_result_get_session_id (
                                          result),
                                      NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (session);
  }
}

static void
test_lost_answers (Fixture *f, gconstpointer data)
{
  struct {
    const char *rule;
    guint       patches;
  } cases[] = {
    { "{\"method\": \"PATCH\", \"action\": \"truncate\"}", 2 },
    { "{\"method\": \"PATCH\", \"action\": \"drop\"}", 2 },
    { "{\"method\": \"PATCH\", \"action\": \"malformed\"}", 2 },
    { "{\"method\": \"PATCH\", \"action\": \"truncate\", \"times\": 2}", 3 },
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
      "\"action\": \"truncate\"}",
      1 },
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
      "\"action\": \"drop\"}",
      1 },
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
      "\"action\": \"malformed\"}",
      1 },
    { "{\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
      "\"action\": \"malformed\", \"times\": 3}",
      1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    upload_recovers (f, cases[i].rule);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "POST",
                                                         SESSIONS),
                      ==, 2);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                         NULL),
                      ==, cases[i].patches);
  }
}

/* When the session's state cannot be learned, the error names the session
 * and says to wait for it, never to upload again. */
static void
assert_state_unknown (const GError *error)
{
  g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_STATE_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "import session "));
  g_assert_nonnull (strstr (error->message, "of dataset ds"));
  g_assert_nonnull (strstr (error->message, "vi_client_wait_until_done"));
  g_assert_nonnull (strstr (error->message, "rather than uploading again"));
}

static void
test_state_unknown (Fixture *f, gconstpointer data)
{
  const char *rules[] = {
    /* The PATCH answer lost, and the session cannot be read. */
    "[{\"method\": \"PATCH\", \"action\": \"truncate\"},"
    " {\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
    "  \"action\": \"status\", \"status\": 503, \"times\": -1}]",
    /* Every PATCH answer garbled: bounded, then the same advice. */
    "{\"method\": \"PATCH\", \"action\": \"malformed\", \"times\": -1}",
    /* Every poll garbled. */
    "{\"method\": \"GET\", \"path\": \"" SESSIONS "\", "
    "\"action\": \"malformed\", \"times\": -1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationUploadResult) result = NULL;

    g_test_message ("fault %s", rules[i]);
    vi_local_server_reset_counters (f->server);
    vi_local_server_clear_faults (f->server);
    add_fault (f, rules[i]);
    upload_small (f, &error, &result);
    g_assert_null (result);
    assert_state_unknown (error);
    /* Bounded: a few reads, never a loop. */
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                         NULL),
                      <=, 3);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      <=, 12);
  }

  /* A wait that cannot read the session says the same. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViAnnotationUploadResult) result = NULL;
    g_autoptr (ViAnnotationImportSession) session = NULL;
    ViUploadOptions  options;
    g_autofree char *path =
        write_file (f->dir, "nowait.jsonl",
                    "{\"asset_id\": \"n\", \"caption\": \"later\"}\n");
    const char *paths[] = { path, NULL };

    vi_local_server_clear_faults (f->server);
    vi_upload_options_init (&options);
    options.wait_until_done = FALSE;
    result = vi_client_upload_annotations (f->client, "ds", paths, &options,
                                           NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    add_fault (f, rules[2]);
    session =
        vi_client_wait_until_done (f->client, "ds",
                                   vi_annotation_upload_result_get_session_id (
                                       result),
                                   20, 0, NULL, NULL, NULL, &error);
    g_assert_null (session);
    assert_state_unknown (error);
  }
}

/* A session that does not exist: the ids to check are the dataset's and
 * the session's. */
static void
test_missing_session (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;

  session = vi_client_get_import_session (f->client, "ds", "nosuchsession",
                                          NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  g_assert_nonnull (
      strstr (error->message, "check the dataset and session ids"));
  g_assert_null (strstr (error->message, "annotation ids"));
  g_clear_error (&error);

  session = vi_client_wait_until_done (f->client, "ds", "nosuchsession", 20, 0,
                                       NULL, NULL, NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nosuchsession"));
  g_assert_nonnull (
      strstr (error->message, "check the dataset and session ids"));
}

/* ------------------------------------------------------------------------
 * Abandoning a session
 * ------------------------------------------------------------------------ */

/* The FilesInserted condition of session, or NULL. */
static const ViAnnotationImportSessionCondition *
files_inserted (ViAnnotationImportSession *session)
{
  GPtrArray *conditions = vi_annotation_import_session_status_get_conditions (
      vi_annotation_import_session_get_status (session));

  for (guint i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = conditions->pdata[i];

    if (g_strcmp0 (c->condition, "FilesInserted") == 0)
      return c;
  }
  return NULL;
}

/* Uploads one line to asset "a" and leaves the session without
 * FilesInserted: the PATCH is refused (400, not applied). */
static char *
open_session (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autofree char *path =
      write_file (f->dir, "open.jsonl",
                  "{\"asset_id\": \"a\", \"caption\": \"left open\"}\n");
  const char *paths[] = { path, NULL };
  char       *session_id;
  Recorder    r;

  recorder_init (&r);
  add_fault (f,
             "{\"method\": \"PATCH\", \"action\": \"status\", "
             "\"status\": 400}");
  result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                         record_progress, &r, NULL, &error);
  g_assert_null (result);
  g_assert_nonnull (error);
  g_assert_nonnull (r.session_id);
  session_id = g_steal_pointer (&r.session_id);
  recorder_clear (&r);
  vi_local_server_clear_faults (f->server);
  return session_id;
}

static void
test_abandon (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char                          *open_id = NULL, *lost_id = NULL;
  const ViAnnotationImportSessionCondition *c;

  /* A session whose files were not marked inserted: given up, and no
   * later request can insert them. */
  open_id = open_session (f);
  {
    g_autoptr (ViAnnotationImportSession) session = NULL;
    g_autoptr (ViAnnotationImportSession) again = NULL;

    session = vi_client_abandon_import_session (f->client, "ds", open_id, NULL,
                                                &error);
    g_assert_no_error (error);
    c = files_inserted (session);
    g_assert_nonnull (c);
    g_assert_cmpint (c->status, ==, VI_CONDITION_STATUS_FAILED_REACH);
    g_assert_cmpint (c->reason, ==, VI_CONDITION_REASON_CANCELLED_BY_USER);
    /* Again: the service refuses (409), the session is read. */
    again = vi_client_abandon_import_session (f->client, "ds", open_id, NULL,
                                              &error);
    g_assert_no_error (error);
    g_assert_cmpint (files_inserted (again)->status, ==,
                     VI_CONDITION_STATUS_FAILED_REACH);
    g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "a"),
                      ==, 0);
  }

  /* A session whose files were inserted is left alone: the caller sees
   * FilesInserted Reached, and the import completes once. */
  {
    g_autoptr (ViAnnotationUploadResult) result = NULL;
    g_autoptr (ViAnnotationImportSession) session = NULL;
    g_autoptr (ViAnnotationImportSession) done = NULL;
    g_autofree char *path =
        write_file (f->dir, "inserted.jsonl",
                    "{\"asset_id\": \"b\", \"caption\": \"kept\"}\n");
    const char     *paths[] = { path, NULL };
    const char     *id;
    ViUploadOptions options;

    vi_local_server_set_processing_delay (f->server, 200);
    vi_upload_options_init (&options);
    options.wait_until_done = FALSE;
    result = vi_client_upload_annotations (f->client, "ds", paths, &options,
                                           NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    id = vi_annotation_upload_result_get_session_id (result);
    session = vi_client_abandon_import_session (f->client, "ds", id, NULL,
                                                &error);
    g_assert_no_error (error);
    g_assert_cmpint (files_inserted (session)->status, ==,
                     VI_CONDITION_STATUS_REACHED);
    vi_local_server_set_processing_delay (f->server, 0);
    done = vi_client_wait_until_done (f->client, "ds", id, 20, 0, NULL, NULL,
                                      NULL, &error);
    g_assert_no_error (error);
    g_assert_true (vi_annotation_import_session_is_complete (done));
    g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "b"),
                      ==, 1);
  }

  /* Every answer to the PATCH cut short: the first was carried out, the
   * session is read and says so. */
  lost_id = open_session (f);
  {
    g_autoptr (ViAnnotationImportSession) session = NULL;

    add_fault (f,
               "{\"method\": \"PATCH\", \"action\": \"truncate\", "
               "\"times\": -1}");
    session = vi_client_abandon_import_session (f->client, "ds", lost_id, NULL,
                                                &error);
    g_assert_no_error (error);
    g_assert_cmpint (files_inserted (session)->status, ==,
                     VI_CONDITION_STATUS_FAILED_REACH);
    vi_local_server_clear_faults (f->server);
  }

  /* A session the service does not know. */
  {
    g_autoptr (ViAnnotationImportSession) session = NULL;

    session = vi_client_abandon_import_session (f->client, "ds",
                                                "nosuchsession", NULL, &error);
    g_assert_null (session);
    g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  }
}

/* ------------------------------------------------------------------------
 * CRC mismatch, timeout, cancellation
 * ------------------------------------------------------------------------ */

static void
test_crc_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  g_autofree char *path =
      write_file (f->dir, "changing.jsonl",
                  "{\"asset_id\": \"c\", \"caption\": \"before the change\"}\n");
  g_autofree char *chain = NULL;
  const char      *paths[] = { path, NULL };
  Recorder         r;

  /* The file changes (same size) after registration, before sending. */
  recorder_init (&r);
  r.modify_path = g_strdup (path);
  result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                         record_progress, &r, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_IMPORT_FAILED);
  g_assert_true (contains_ci (error->message, "crc32c mismatch"));
  g_assert_nonnull (strstr (error->message, "changing.jsonl"));
  g_assert_nonnull (strstr (error->message, r.session_id));
  g_clear_error (&error);
  /* A 400 is not retried. */
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                       "/upload/"),
                    ==, 1);

  /* The session says why. */
  session = vi_client_get_import_session (f->client, "ds", r.session_id, NULL,
                                          &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_import_session_is_failed (session));
  chain = vi_annotation_import_session_describe_conditions (session);
  g_assert_nonnull (strstr (chain, "UserUploadErrored"));
  g_assert_cmpuint (vi_local_server_count_annotations (f->server, "ds", "c"),
                    ==, 0);
  recorder_clear (&r);
}

static void
test_wait_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  g_autofree char *path =
      write_file (f->dir, "slow.jsonl",
                  "{\"asset_id\": \"s\", \"caption\": \"slow\"}\n");
  const char     *paths[] = { path, NULL };
  ViUploadOptions options;
  Recorder        r;
  gint64          start;

  vi_local_server_set_processing_delay (f->server, 3000);
  vi_upload_options_init (&options);
  options.poll_interval_ms = 50;
  options.timeout_ms = 300;
  recorder_init (&r);
  start = g_get_monotonic_time ();
  result = vi_client_upload_annotations (f->client, "ds", paths, &options,
                                         record_progress, &r, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VI_ERROR, VI_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, r.session_id));
  g_assert_nonnull (strstr (error->message, "Complete: Waiting"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_true (r.saw_session);
  g_clear_error (&error);

  /* The standalone wait, with no upload: same. */
  start = g_get_monotonic_time ();
  session = vi_client_wait_until_done (f->client, "ds", r.session_id, 20, 200,
                                       NULL, NULL, NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Waiting long enough: done. */
  session = vi_client_wait_until_done (f->client, "ds", r.session_id, 50, 0,
                                       NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vi_annotation_import_session_is_complete (session));

  /* Bad ids are refused before any request. */
  vi_local_server_reset_counters (f->server);
  g_clear_pointer (&session, vi_annotation_import_session_unref);
  session = vi_client_wait_until_done (f->client, "ds", "../x", 0, 0, NULL,
                                       NULL, NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  session = vi_client_get_import_session (f->client, "ds", "", NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, NULL, NULL),
                    ==, 0);
  g_clear_error (&error);

  /* Unknown session: 404, not a wait. */
  session = vi_client_wait_until_done (f->client, "ds", "nope", 10, 0, NULL,
                                       NULL, NULL, &error);
  g_assert_null (session);
  g_assert_error (error, VI_ERROR, VI_ERROR_NOT_FOUND);
  recorder_clear (&r);
}

static void
test_cancel_upload (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  g_autofree char *path =
      write_file (f->dir, "cancelled.jsonl",
                  "{\"asset_id\": \"k\", \"caption\": \"never\"}\n");
  g_autofree char *chain = NULL;
  const char      *paths[] = { path, NULL };
  Recorder         r;

  /* Cancelled as the first file starts. */
  recorder_init (&r);
  r.cancellable = g_cancellable_new ();
  r.cancel_stage = VI_UPLOAD_STAGE_UPLOADING;
  result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                         record_progress, &r, r.cancellable,
                                         &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PUT",
                                                       "/upload/"),
                    ==, 0);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);
  session = vi_client_get_import_session (f->client, "ds", r.session_id, NULL,
                                          &error);
  g_assert_no_error (error);
  chain = vi_annotation_import_session_describe_conditions (session);
  g_assert_nonnull (strstr (chain,
                            "FilesInserted: FailedReach "
                            "(CancelledByUser)"));
  recorder_clear (&r);
  g_clear_pointer (&session, vi_annotation_import_session_unref);
  g_clear_pointer (&chain, g_free);

  /* Cancelled while the signed upload hangs: at once, and marked. */
  vi_local_server_reset_counters (f->server);
  add_fault (f,
             "{\"method\": \"PUT\", \"path\": \"/upload/\", "
             "\"action\": \"latency\", \"latencyMs\": 5000}");
  recorder_init (&r);
  r.cancellable = g_cancellable_new ();
  {
    GThread *thread = vi_test_server_cancel_on_request (f->server,
                                                        r.cancellable, "PUT",
                                                        "/upload/", 1);
    gint64   start = g_get_monotonic_time ();

    result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                           record_progress, &r, r.cancellable,
                                           &error);
    g_assert_null (result);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
    g_thread_join (thread);
    g_clear_error (&error);
  }
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);
  session = vi_client_get_import_session (f->client, "ds", r.session_id, NULL,
                                          &error);
  g_assert_no_error (error);
  chain = vi_annotation_import_session_describe_conditions (session);
  g_assert_nonnull (strstr (chain, "CancelledByUser"));
  recorder_clear (&r);
}

static void
test_cancel_wait (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path =
      write_file (f->dir, "waiting.jsonl",
                  "{\"asset_id\": \"w\", \"caption\": \"waiting\"}\n");
  const char *paths[] = { path, NULL };
  Recorder    r;
  gint64      start;

  vi_local_server_set_processing_delay (f->server, 5000);

  /* Cancelled at the first poll: the files are in, the session is left
   * alone (only the FilesInserted PATCH). */
  recorder_init (&r);
  r.cancellable = g_cancellable_new ();
  r.cancel_stage = VI_UPLOAD_STAGE_PROCESSING;
  start = g_get_monotonic_time ();
  result = vi_client_upload_annotations (f->client, "ds", paths, NULL,
                                         record_progress, &r, r.cancellable,
                                         &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);

  /* The standalone wait, cancelled from another thread during a pause of
   * ten seconds: once the server has its first poll.  A wait that sat out
   * the pause would have polled again, and found the import done. */
  {
    guint    polls = vi_local_server_get_request_count (f->server, "GET", NULL);
    GThread *thread = vi_test_server_cancel_on_request (f->server, cancellable,
                                                        "GET", NULL, polls + 1);

    start = g_get_monotonic_time ();
    session = vi_client_wait_until_done (f->client, "ds", r.session_id, 10000,
                                         0, NULL, NULL, cancellable, &error);
    g_thread_join (thread);
    g_assert_null (session);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
    g_assert_cmpuint (vi_local_server_get_request_count (f->server, "GET",
                                                         NULL),
                      ==, polls + 1);
  }
  g_assert_cmpuint (vi_local_server_get_request_count (f->server, "PATCH",
                                                       NULL),
                    ==, 1);
  recorder_clear (&r);
}

/* ------------------------------------------------------------------------
 * Async
 * ------------------------------------------------------------------------ */

typedef struct {
  GMainLoop                *loop;
  ViAnnotationUploadResult *result;
  GError                   *error;
} AsyncData;

static void
uploaded_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AsyncData *d = user_data;

  d->result = vi_client_upload_annotations_finish (VI_CLIENT (source), res,
                                                   &d->error);
  g_main_loop_quit (d->loop);
}

static void
test_async (Fixture *f, gconstpointer data)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autofree char *a = NULL, *b = NULL;
  GString         *text = g_string_new (NULL);
  AsyncData        d = {
           0,
  };
  ViUploadOptions options;
  const char     *paths[3];
  guint           uploading = 0;
  Recorder        r;

  /* Two files, one of about 1.5 MB so that sending reports progress. */
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (
        text,
        "{\"asset_id\": \"big-%u\", \"caption\": "
        "\"caption number %u of the big file, with some padding text\"}\n",
        i % 7, i);
  a = write_file (f->dir, "big.jsonl", text->str);
  g_string_free (text, TRUE);
  b = write_file (f->dir, "small.json",
                  "{\"asset_id\": \"small\", \"caption\": \"tiny\"}\n");
  paths[0] = a;
  paths[1] = b;
  paths[2] = NULL;

  g_main_context_push_thread_default (context);
  d.loop = g_main_loop_new (context, FALSE);
  recorder_init (&r);
  vi_upload_options_init (&options);
  options.poll_interval_ms = 50;
  vi_client_upload_annotations_async (f->client, "ds", paths, &options,
                                      record_progress, &r, NULL, uploaded_cb,
                                      &d);
  g_main_loop_run (d.loop);
  g_main_loop_unref (d.loop);
  g_main_context_pop_thread_default (context);

  g_assert_no_error (d.error);
  g_assert_nonnull (d.result);
  g_assert_true (vi_annotation_upload_result_is_complete (d.result));
  g_assert_cmpint (vi_annotation_upload_result_get_total_annotations (d.result),
                   ==, 20001);
  check_progress (&r, TRUE);
  for (guint i = 0; i < r.events->len; i++) {
    ViUploadProgress *e = &g_array_index (r.events, ViUploadProgress, i);

    if (e->stage == VI_UPLOAD_STAGE_UPLOADING)
      uploading++;
  }
  g_assert_cmpuint (uploading, >, 4);
  vi_annotation_upload_result_unref (d.result);
  recorder_clear (&r);

  /* Without waiting: the result holds the PATCH's answer, and the
   * processing stage is never reported. */
  g_main_context_push_thread_default (context);
  d.loop = g_main_loop_new (context, FALSE);
  d.result = NULL;
  recorder_init (&r);
  options.wait_until_done = FALSE;
  paths[0] = b;
  paths[1] = NULL;
  vi_client_upload_annotations_async (f->client, "ds", paths, &options,
                                      record_progress, &r, NULL, uploaded_cb,
                                      &d);
  g_main_loop_run (d.loop);
  g_main_loop_unref (d.loop);
  g_main_context_pop_thread_default (context);
  g_assert_no_error (d.error);
  check_progress (&r, FALSE);
  g_assert_false (vi_annotation_import_session_is_failed (
      vi_annotation_upload_result_get_session (d.result)));
  vi_annotation_upload_result_unref (d.result);
  recorder_clear (&r);
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

  g_test_add_func ("/upload/collect", test_collect);

#define ADD(path, func)                                        \
  g_test_add (path, Fixture, NULL, vi_test_server_setup, func, \
              vi_test_server_teardown)
  ADD ("/upload/round-trip", test_round_trip);
  ADD ("/upload/folder", test_folder);
  ADD ("/upload/duplicate-names", test_duplicate_names);
  ADD ("/upload/policies", test_policies);
  ADD ("/upload/retries", test_retries);
  ADD ("/upload/lost-answers", test_lost_answers);
  ADD ("/upload/dropped-read", test_dropped_read);
  ADD ("/upload/state-unknown", test_state_unknown);
  ADD ("/upload/missing-session", test_missing_session);
  ADD ("/upload/abandon", test_abandon);
  ADD ("/upload/crc-mismatch", test_crc_mismatch);
  ADD ("/upload/wait-timeout", test_wait_timeout);
  ADD ("/upload/cancel-upload", test_cancel_upload);
  ADD ("/upload/cancel-wait", test_cancel_wait);
  ADD ("/upload/async", test_async);
#undef ADD

  return g_test_run ();
}
