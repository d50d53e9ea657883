/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * vi-annotations upload, wait and export.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vi-annotations.h"

static gboolean progress_on_tty = -1;
static gboolean progress_pending;

static gboolean
on_tty (void)
{
  if (progress_on_tty == -1)
    progress_on_tty = isatty (STDERR_FILENO);
  return progress_on_tty;
}

void
progress_line (const char *format, ...)
{
  va_list          args;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  /* File names and server states: escaped like all human output; the
   * only control sequence is ours. */
  text = text_escape (raw);

  if (on_tty ()) {
    /* Redraw in place; clear what a longer previous line left. */
    g_printerr ("\r\033[K%s", text);
    progress_pending = TRUE;
  } else {
    g_printerr ("%s\n", text);
  }
}

void
progress_done (void)
{
  if (progress_pending)
    g_printerr ("\n");
  progress_pending = FALSE;
}

static guint
timeout_ms (void)
{
  return opt_timeout > 0 ? (guint) MIN (opt_timeout * 1000.0, G_MAXUINT) : 0;
}

static guint
poll_ms (void)
{
  return opt_poll_interval > 0
      ? (guint) MIN (opt_poll_interval * 1000.0, G_MAXUINT)
      : 1000;
}

static char *
bar (guint64 done, guint64 total)
{
  const int width = 24;
  int       filled = total ? (int) (width * MIN (done, total) / total) : 0;
  GString  *s = g_string_new ("[");

  for (int i = 0; i < width; i++)
    g_string_append (s, i < filled ? "#" : ".");
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

typedef struct {
  ViUploadStage last_stage;
  guint         last_files;
  char         *last_conditions;
  char         *session_id;
} UploadUi;

static void
upload_progress (const ViUploadProgress *p, gpointer user_data)
{
  UploadUi *ui = user_data;
  gboolean  changed = p->stage != ui->last_stage;

  if (ui->session_id == NULL && p->session_id != NULL)
    ui->session_id = g_strdup (p->session_id);

  switch (p->stage) {
    case VI_UPLOAD_STAGE_COLLECTING:
    case VI_UPLOAD_STAGE_CREATING_SESSION:
    case VI_UPLOAD_STAGE_REGISTERING:
    case VI_UPLOAD_STAGE_FINALIZING:
      if (changed) {
        const char *what[] = {
          [VI_UPLOAD_STAGE_COLLECTING] = "collecting files",
          [VI_UPLOAD_STAGE_CREATING_SESSION] = "creating the import session",
          [VI_UPLOAD_STAGE_REGISTERING] = "registering files",
          [VI_UPLOAD_STAGE_FINALIZING] = "finishing the upload",
        };
        progress_line ("%s%s%s", what[p->stage],
                       p->session_id ? ": session " : "",
                       p->session_id ? p->session_id : "");
      }
      break;
    case VI_UPLOAD_STAGE_UPLOADING:
      if (on_tty ()) {
        g_autofree char *b = bar (p->bytes_done, p->bytes_total);
        progress_line ("uploading %s %.1f/%.1f MB, file %u/%u %s", b,
                       p->bytes_done / 1e6, p->bytes_total / 1e6,
                       MIN (p->files_done + 1, p->files_total), p->files_total,
                       p->current_file ? p->current_file : "");
      } else if (changed || p->files_done != ui->last_files) {
        progress_line ("uploading: %u/%u files, %" G_GUINT64_FORMAT
                       "/%" G_GUINT64_FORMAT " bytes",
                       p->files_done, p->files_total, p->bytes_done,
                       p->bytes_total);
      }
      ui->last_files = p->files_done;
      break;
    case VI_UPLOAD_STAGE_PROCESSING: {
      g_autofree char *chain = p->session
          ? vi_annotation_import_session_describe_conditions (p->session)
          : g_strdup ("");

      if (on_tty () || changed || g_strcmp0 (chain, ui->last_conditions)) {
        progress_line ("processing: session %s: %s",
                       p->session_id ? p->session_id : "", chain);
        g_free (ui->last_conditions);
        ui->last_conditions = g_steal_pointer (&chain);
      }
      break;
    }
    case VI_UPLOAD_STAGE_DONE:
      break;
  }
  ui->last_stage = p->stage;
}

static gboolean
parse_policy (const char *text, const char *option, ViFailurePolicy *out)
{
  ViFailurePolicy policy;

  if (text == NULL)
    return TRUE;
  policy = vi_failure_policy_from_string (text);
  if (policy == VI_FAILURE_POLICY_UNKNOWN) {
    print_error ("%s must be Warn, RejectFile or RejectSession, not \"%s\"",
                 option, text);
    return FALSE;
  }
  *out = policy;
  return TRUE;
}

/* The files were sent, but the upload or the wait ended without the
 * import's outcome: its state is unknown, or --timeout ran out while it
 * was processed (@inserted: the files are marked inserted).  The import
 * may complete, and uploading again could import everything twice. */
static int
state_unknown_error (const GError *error,
                     const char   *dataset_id,
                     const char   *session_id,
                     gboolean      inserted)
{
  int status = api_error (error);

  if ((g_error_matches (error, VI_ERROR, VI_ERROR_IMPORT_STATE_UNKNOWN) ||
       (inserted && g_error_matches (error, VI_ERROR, VI_ERROR_TIMEOUT))) &&
      session_id != NULL)
    g_printerr ("vi-annotations: follow the import with: vi-annotations "
                "wait %s %s (do not upload again)\n",
                dataset_id, session_id);
  return status;
}

/* Prints a finished (or abandoned) import and returns the exit status
 * that says whether everything asked for was created: 0 if the session
 * is complete with no failed file or annotation, EXIT_INCOMPLETE if it is
 * complete but left some out (a Warn policy), EXIT_API otherwise. */
static int
print_session (ViAnnotationImportSession *session)
{
  g_autoptr (ViAnnotationUploadResult)
      result = vi_annotation_upload_result_new (session);

  if (opt_json) {
    g_autoptr (JsonNode) node = vi_annotation_import_session_to_json (session);
    print_json (node);
  } else {
    g_autofree char *summary = vi_annotation_upload_result_summary (result);
    print_lines (summary);
  }
  if (!vi_annotation_upload_result_is_complete (result))
    return EXIT_API;
  if (!vi_annotation_upload_result_is_all_created (result)) {
    print_error ("not everything was created: %" G_GINT64_FORMAT
                 " annotation%s and %" G_GINT64_FORMAT " file%s failed",
                 vi_annotation_upload_result_get_n_failed (result),
                 vi_annotation_upload_result_get_n_failed (result) == 1 ? ""
                                                                        : "s",
                 vi_annotation_upload_result_get_n_failed_files (result),
                 vi_annotation_upload_result_get_n_failed_files (result) == 1
                     ? ""
                     : "s");
    return EXIT_INCOMPLETE;
  }
  return 0;
}

int
cmd_upload (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationUploadResult) result = NULL;
  ViUploadOptions options;
  UploadUi        ui = { .last_stage = (ViUploadStage) -1 };
  int             status;

  vi_upload_options_init (&options);
  options.wait_until_done = !opt_no_wait;
  options.timeout_ms = timeout_ms ();
  options.poll_interval_ms = poll_ms ();
  if (!parse_policy (opt_on_bad_annotation, "--on-bad-annotation",
                     &options.failure_policies.on_bad_annotation) ||
      !parse_policy (opt_on_bad_file, "--on-bad-file",
                     &options.failure_policies.on_bad_file) ||
      !parse_policy (opt_on_overwritten, "--on-overwritten",
                     &options.failure_policies.on_overwritten))
    return EXIT_USAGE;

  result = vi_client_upload_annotations (client, args[0],
                                         (const char *const *) args + 1,
                                         &options, upload_progress, &ui,
                                         cancellable, &error);
  progress_done ();
  g_free (ui.last_conditions);
  if (result == NULL) {
    /* The wait is the only step after the PATCH that can time out: the
     * PATCH's own failures are settled by reading the session. */
    status = state_unknown_error (error, args[0], ui.session_id,
                                  ui.last_stage >= VI_UPLOAD_STAGE_FINALIZING);

    g_free (ui.session_id);
    return status;
  }
  g_free (ui.session_id);

  status = print_session (vi_annotation_upload_result_get_session (result));
  /* --no-wait: the files were sent, which is all that was asked. */
  return opt_no_wait ? 0 : status;
}

int
cmd_wait (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  UploadUi ui = { .last_stage = (ViUploadStage) -1 };

  session = vi_client_wait_until_done (client, args[0], args[1], poll_ms (),
                                       timeout_ms (), upload_progress, &ui,
                                       cancellable, &error);
  progress_done ();
  g_free (ui.last_conditions);
  g_free (ui.session_id);
  if (session == NULL)
    return state_unknown_error (error, args[0], args[1], TRUE);
  return print_session (session);
}

static void
print_export (ViExportedAnnotations *x)
{
  const ViExportSpec *spec = vi_exported_annotations_get_spec (x);
  const ViExportedAnnotationsDownloadUrl *url =
      vi_exported_annotations_get_download_url (x);
  GPtrArray *conditions = vi_exported_annotations_get_conditions (x);

  print_line ("Export %s", vi_exported_annotations_get_dataset_export_id (x));
  print_line ("  Dataset:    %s", vi_exported_annotations_get_dataset_id (x));
  print_line ("  Format:     %s%s", vi_export_format_to_string (spec->format),
              spec->normalized ? " (normalized)" : "");
  if (vi_exported_annotations_get_unread (x) != NULL)
    print_line ("  Not read:   %s", vi_exported_annotations_get_unread (x));
  for (guint i = 0; conditions && i < conditions->len; i++) {
    ViResourceCondition *c = conditions->pdata[i];
    print_line ("  Condition:  %s: %s%s%s", c->condition,
                vi_condition_status_to_string (c->status),
                c->reason ? " — " : "", c->reason ? c->reason : "");
  }
  if (url != NULL)
    print_line ("  Download:   %s", url->url);
}

static void
show_export (ViExportedAnnotations *x)
{
  if (opt_json) {
    g_autoptr (JsonNode) node = vi_exported_annotations_to_json (x);
    print_json (node);
  } else {
    print_export (x);
  }
}

static void
download_progress (guint64 done, guint64 total, gpointer user_data)
{
  if (on_tty ()) {
    g_autofree char *b = bar (done, total);
    progress_line ("downloading %s %.1f/%.1f MB", b, done / 1e6, total / 1e6);
  } else if (done == total) {
    progress_line ("downloaded %" G_GUINT64_FORMAT " bytes", total);
  }
}

int
cmd_export (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  const char *sub = args[0];
  guint       n = g_strv_length (args);

  if (g_str_equal (sub, "create") && n == 2) {
    g_autoptr (ViExportedAnnotations) x = NULL;
    ViExportFormat format = VI_EXPORT_FORMAT_VI_JSONL;

    if (opt_format != NULL && g_ascii_strcasecmp (opt_format, "full") == 0)
      format = VI_EXPORT_FORMAT_VI_FULL;
    else if (opt_format != NULL && g_ascii_strcasecmp (opt_format, "jsonl")) {
      print_error ("--format must be jsonl or full");
      return EXIT_USAGE;
    }
    x = vi_client_create_export (client, args[1], format, TRUE, cancellable,
                                 &error);
    if (x != NULL && opt_wait) {
      g_autoptr (ViExportedAnnotations) ready = NULL;

      ready =
          vi_client_wait_export (client, args[1],
                                 vi_exported_annotations_get_dataset_export_id (
                                     x),
                                 poll_ms (), timeout_ms (), cancellable,
                                 &error);
      g_clear_pointer (&x, vi_exported_annotations_unref);
      x = g_steal_pointer (&ready);
    }
    if (x == NULL)
      return api_error (error);
    show_export (x);
    return 0;
  }

  if (g_str_equal (sub, "get") && n == 3) {
    g_autoptr (ViExportedAnnotations) x = NULL;

    x = vi_client_get_export (client, args[1], args[2], cancellable, &error);
    if (x == NULL)
      return api_error (error);
    show_export (x);
    return 0;
  }

  if (g_str_equal (sub, "list") && n == 2) {
    g_autoptr (GPtrArray) all = NULL;

    all = vi_client_list_exports (client, args[1], cancellable, &error);
    if (all == NULL)
      return api_error (error);
    if (opt_json) {
      JsonItemsWriter json;

      json_items_begin (&json);
      for (guint i = 0; i < all->len; i++)
        json_items_add (&json, vi_exported_annotations_to_json (all->pdata[i]));
      json_items_end (&json);
    } else {
      for (guint i = 0; i < all->len; i++)
        print_export (all->pdata[i]);
      print_line ("%u export%s", all->len, all->len == 1 ? "" : "s");
    }
    return 0;
  }

  if (g_str_equal (sub, "download") && n == 4) {
    g_autoptr (ViExportedAnnotations) x = NULL;
    g_autofree char *where = NULL;

    x = vi_client_wait_export (client, args[1], args[2], poll_ms (),
                               timeout_ms (), cancellable, &error);
    if (x == NULL)
      return api_error (error);
    if (!vi_client_download_export (client, x, args[3],
                                    opt_connections > 0
                                        ? (guint) opt_connections
                                        : 0,
                                    download_progress, NULL, cancellable,
                                    &error)) {
      progress_done ();
      return api_error (error);
    }
    progress_done ();
    where = g_build_filename (args[3],
                              vi_exported_annotations_get_dataset_id (x), NULL);
    if (opt_json)
      print_json_object ("directory", where, NULL);
    else
      print_line ("unpacked into %s", where);
    return 0;
  }

  print_error ("export takes create DATASET, get DATASET EXPORT, list "
               "DATASET or download DATASET EXPORT DIR");
  return EXIT_USAGE;
}
