/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Upload a JSONL file of annotations and check that the import created
 * everything in it: the SDK's upload_and_verify() example, in C.
 *
 *   upload_and_verify DATASET FILE
 *
 * Credentials and endpoint come from DATATURE_VI_SECRET_KEY,
 * DATATURE_VI_ORGANIZATION_ID and DATATURE_VI_API_ENDPOINT.  Exit status 0
 * when every annotation of FILE was created, 1 otherwise.
 *
 * The SDK's version compares the number of lines of the file with
 * total_annotations.  That is wrong twice: an import creates one
 * annotation part per caption, per grounded phrase and per question and
 * answer, so a line usually makes several; and total_annotations sums
 * every status count, failed annotations included, so an import that
 * skipped bad lines under a Warn policy can still match.  This version
 * counts the parts of the lines it can read, uploads with bad lines
 * skipped rather than failing the whole import, and compares the parts
 * with what the session says it created.
 *
 *   cc upload_and_verify.c $(pkg-config --cflags --libs vi-1.0)
 */
#include <stdlib.h>
#include <vi/vi.h>

/* Counts the lines of @path and the annotation parts they make. */
static gboolean
count_local (const char *path, guint *n_lines, guint *n_parts, GError **error)
{
  g_autoptr (ViJsonlReader) reader = NULL;
  ViJsonlRecord *record;
  GError        *read_error = NULL;

  reader = vi_jsonl_reader_new_for_path (path, error);
  if (reader == NULL)
    return FALSE;
  /* A line this library cannot read is counted as a line, with no parts:
   * the service will not create anything from it either. */
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_SKIP);
  *n_parts = 0;
  while ((record = vi_jsonl_reader_next (reader, NULL, &read_error)) != NULL) {
    *n_parts += vi_jsonl_record_get_n_parts (record);
    vi_jsonl_record_unref (record);
  }
  if (read_error != NULL) {
    g_propagate_error (error, read_error);
    return FALSE;
  }
  *n_lines = vi_jsonl_reader_get_n_records (reader) +
      vi_jsonl_reader_get_n_bad_lines (reader);
  return TRUE;
}

static gboolean
upload_and_verify (ViClient *client, const char *dataset_id, const char *path)
{
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char     *paths[] = { path, NULL };
  ViUploadOptions options;
  guint           n_lines = 0, n_parts = 0;
  gint64          n_created, n_failed;

  if (!count_local (path, &n_lines, &n_parts, &error)) {
    g_printerr ("%s\n", error->message);
    return FALSE;
  }

  /* Upload and wait; a bad line is left out and counted, not a reason to
   * reject the whole session. */
  vi_upload_options_init (&options);
  options.failure_policies.on_bad_annotation = VI_FAILURE_POLICY_WARN;
  result = vi_client_upload_annotations (client, dataset_id, paths, &options,
                                         NULL, NULL, NULL, &error);
  if (result == NULL) {
    g_printerr ("upload failed: %s\n", error->message);
    return FALSE;
  }

  /* Verify: the parts counted here against what the session created.
   * total_annotations is not that number: it includes the failures. */
  n_created = vi_annotation_upload_result_get_n_created (result);
  n_failed = vi_annotation_upload_result_get_n_failed (result);
  g_print ("Local: %u lines, %u annotation parts\n", n_lines, n_parts);
  g_print ("Created: %" G_GINT64_FORMAT ", failed: %" G_GINT64_FORMAT
           " (total_annotations %" G_GINT64_FORMAT ")\n",
           n_created, n_failed,
           vi_annotation_upload_result_get_total_annotations (result));

  return vi_annotation_upload_result_is_all_created (result) &&
      n_created == n_parts;
}

int
main (int argc, char **argv)
{
  g_autoptr (ViClient) client = NULL;
  g_autoptr (GError) error = NULL;
  gboolean success;

  if (argc != 3) {
    g_printerr ("usage: %s DATASET FILE\n", argv[0]);
    return 2;
  }
  client = vi_client_new_from_env (&error);
  if (client == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  success = upload_and_verify (client, argv[1], argv[2]);
  g_print ("%s\n",
           success ? "verified: every annotation was created"
                   : "NOT verified: some annotations were not created");
  return success ? EXIT_SUCCESS : EXIT_FAILURE;
}
