/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * vi-annotations: the annotations API from the command line.
 *
 * Exit status: 0 success, 1 the API or the server failed (for upload and
 * wait: the import did not complete), 2 usage error, 3 (upload and wait)
 * the import completed without creating everything asked for, 128 + the
 * signal's number when interrupted (130 for Ctrl+C).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vi-annotations.h"

static char    *opt_endpoint;
static char    *opt_config_file;
static gboolean opt_allow_insecure;
static char    *opt_ca_file;
gboolean        opt_json;
static int      opt_page_size;
static gboolean opt_page_size_set;
static char    *opt_page_token;
static gboolean opt_one_page;
gboolean        opt_no_wait;
double          opt_timeout;
double          opt_poll_interval = 1.0;
char           *opt_format;
int             opt_connections;
gboolean        opt_wait;
char           *opt_on_bad_annotation;
char           *opt_on_bad_file;
char           *opt_on_overwritten;

/* --page-size: remembers that it was given, so that 0 is refused rather
 * than taken for the default. */
static gboolean
parse_page_size (const char *name,
                 const char *value,
                 gpointer    data,
                 GError    **error)
{
  gint64 n;

  if (!g_ascii_string_to_signed (value, 10, G_MININT, G_MAXINT, &n, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--page-size takes a number, not \"%s\"", value);
    return FALSE;
  }
  opt_page_size = (int) n;
  opt_page_size_set = TRUE;
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "endpoint", 'e', 0, G_OPTION_ARG_STRING, &opt_endpoint,
    "API endpoint (default: $DATATURE_VI_API_ENDPOINT or " VI_DEFAULT_ENDPOINT
    ")",
    "URL" },
  { "config-file", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config_file,
    "JSON file with secret_key and organization_id", "FILE" },
  { "allow-insecure", 0, 0, G_OPTION_ARG_NONE, &opt_allow_insecure,
    "Accept plain http to a host that is not loopback (the secret key "
    "then travels in clear text)",
    NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    "PEM file of extra certificate authorities (private deployments)", "FILE" },
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON for scripts",
    NULL },
  { "page-size", 'n', 0, G_OPTION_ARG_CALLBACK, parse_page_size,
    "list: items per request, 1-1000 (default 1000 when walking all pages, "
    "10 for one page)",
    "N" },
  { "page-token", 't', 0, G_OPTION_ARG_STRING, &opt_page_token,
    "list: fetch only the page at this token", "TOKEN" },
  { "one-page", '1', 0, G_OPTION_ARG_NONE, &opt_one_page,
    "list: fetch only the first page", NULL },
  { "no-wait", 0, 0, G_OPTION_ARG_NONE, &opt_no_wait,
    "upload: return once the files are sent, without waiting for the "
    "import",
    NULL },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout,
    "upload, wait, export: give up waiting after S seconds (default: "
    "never)",
    "S" },
  { "poll-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_poll_interval,
    "upload, wait, export: seconds between status polls (default 1)", "S" },
  { "on-bad-annotation", 0, 0, G_OPTION_ARG_STRING, &opt_on_bad_annotation,
    "upload: Warn, RejectFile or RejectSession (default)", "POLICY" },
  { "on-bad-file", 0, 0, G_OPTION_ARG_STRING, &opt_on_bad_file,
    "upload: Warn, RejectFile or RejectSession (default)", "POLICY" },
  { "on-overwritten", 0, 0, G_OPTION_ARG_STRING, &opt_on_overwritten,
    "upload: Warn, RejectFile or RejectSession (default)", "POLICY" },
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format,
    "export create: jsonl (default, annotations only) or full", "FORMAT" },
  { "wait", 'w', 0, G_OPTION_ARG_NONE, &opt_wait,
    "export create: wait until the export is ready", NULL },
  { "connections", 0, 0, G_OPTION_ARG_INT, &opt_connections,
    "export download: parallel ranged requests (default 4)", "N" },
  { NULL }
};

static const char *summary =
    "Commands:\n"
    "  list DATASET ASSET                 list an asset's annotations (all pages)\n"
    "  get DATASET ASSET ANNOTATION       show one annotation\n"
    "  delete DATASET ASSET ANNOTATION    delete one annotation\n"
    "  upload DATASET PATH...             upload JSONL files or folders and wait\n"
    "                                     for the import (--no-wait, --timeout)\n"
    "  wait DATASET SESSION               wait for an import session\n"
    "  export create DATASET              start an export (--format, --wait)\n"
    "  export get DATASET EXPORT          show an export\n"
    "  export list DATASET                list the dataset's exports\n"
    "  export download DATASET EXPORT DIR download and unpack an export\n"
    "\n"
    "Credentials come from DATATURE_VI_SECRET_KEY and\n"
    "DATATURE_VI_ORGANIZATION_ID, or from --config-file.\n"
    "\n"
    "Exit status: 0 success; 1 the API failed, or an import did not\n"
    "complete; 2 usage; 3 upload or wait: the import completed but some\n"
    "annotations or files failed (a Warn policy left them out);\n"
    "128 + N interrupted by signal N.";

static int usage_error (GOptionContext *context, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static int
usage_error (GOptionContext *context, const char *format, ...)
{
  va_list          args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  print_error ("%s", msg);
  g_printerr ("Try 'vi-annotations --help'.\n");
  return EXIT_USAGE;
}

/* Reports a failed command; returns its exit status.  After a SIGINT or
 * SIGTERM the failure is the interruption's: 128 + the signal. */
int
api_error (const GError *error)
{
  const char *trace = vi_error_get_trace_id (error);
  int         signum = interrupt_signal ();

  if (signum != 0 &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    print_error ("interrupted: %s", error->message);
    return EXIT_SIGNAL_BASE + signum;
  }
  print_error ("%s", error->message);
  if (trace != NULL)
    print_error ("trace id %s", trace);
  if (signum != 0)
    return EXIT_SIGNAL_BASE + signum;
  if (g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT) &&
      vi_error_get_http_status (error) == 0)
    return EXIT_USAGE;
  return EXIT_API;
}

/* One line per annotation: id, bound type, role, group, what it says. */
static void
print_annotation_line (ViAnnotation *annotation)
{
  ViAnnotationSpec    *spec = vi_annotation_get_spec (annotation);
  ViAnnotationContent *content = vi_annotation_spec_get_contents (spec);
  g_autofree char     *what = NULL;

  switch (vi_annotation_content_get_kind (content)) {
    case VI_CONTENT_KIND_CAPTION:
      what = g_strdup_printf ("\"%s\"",
                              vi_annotation_content_get_caption (content));
      break;
    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX: {
      ViBBox b;
      int    start = -1, end = -1;

      vi_annotation_content_get_bbox (content, &b);
      vi_annotation_content_get_target (content, &start, &end);
      what = g_strdup_printf ("bbox [%.4g, %.4g, %.4g, %.4g] target [%d, %d)",
                              b.x_min, b.y_min, b.x_max, b.y_max, start, end);
      break;
    }
    case VI_CONTENT_KIND_VQA:
      what = g_strdup_printf ("Q: %s  A: %s",
                              vi_annotation_content_get_question (content),
                              vi_annotation_content_get_answer (content));
      break;
    default:
      what = g_strdup_printf ("(%s)",
                              vi_annotation_content_get_kind_name (content));
      break;
  }

  print_line ("%-24s %-10s %-27s %-24s %s",
              vi_annotation_get_annotation_id (annotation),
              vi_annotation_spec_get_bound_type (spec),
              vi_annotation_spec_get_role_name (spec),
              vi_annotation_spec_get_whole_id (spec), what);
}

static void
print_header (void)
{
  print_line ("%-24s %-10s %-27s %-24s %s", "ANNOTATION", "TYPE", "ROLE",
              "GROUP", "CONTENT");
}

static int
cmd_list (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;

  /* 0 is not "the default": the default is not giving the option. */
  if (opt_page_size_set &&
      (opt_page_size < 1 || opt_page_size > VI_MAX_PAGE_SIZE)) {
    print_error ("--page-size must be between 1 and %d", VI_MAX_PAGE_SIZE);
    return EXIT_USAGE;
  }

  if (opt_page_token != NULL || opt_one_page) {
    g_autoptr (ViAnnotationPage) page = NULL;
    const char *next;

    page = vi_client_list_annotations (client, args[0], args[1],
                                       opt_page_size > 0 ? opt_page_size : 0,
                                       opt_page_token, cancellable, &error);
    if (page == NULL)
      return api_error (error);

    next = vi_annotation_page_get_next_page (page);
    if (opt_json) {
      g_autoptr (JsonNode) node = vi_annotation_page_to_json (page);
      print_json (node);
    } else {
      print_header ();
      for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++)
        print_annotation_line (vi_annotation_page_get_item (page, i));
      print_line ("%u annotation%s on this page",
                  vi_annotation_page_get_n_items (page),
                  vi_annotation_page_get_n_items (page) == 1 ? "" : "s");
      if (next != NULL)
        print_line ("next page: --page-token '%s'", next);
    }
    return 0;
  } else {
    g_autoptr (ViAnnotationPager) pager = NULL;
    JsonItemsWriter json;
    guint           total = 0;

    /* Each page is printed and dropped as it arrives: memory stays that
     * of one page, however many there are.  A failure after the first
     * page leaves the JSON document unterminated (and the exit status
     * non-zero), never a complete-looking one. */
    pager = vi_client_iterate_annotations (client, args[0], args[1],
                                           opt_page_size > 0
                                               ? opt_page_size
                                               : VI_MAX_PAGE_SIZE);
    if (opt_json)
      json_items_begin (&json);

    while (TRUE) {
      g_autoptr (ViAnnotationPage) page = NULL;

      page = vi_annotation_pager_next (pager, cancellable, &error);
      if (page == NULL)
        break;
      /* The table's header once there is a table: a list that fails on
       * its first request prints the error alone. */
      if (!opt_json && vi_annotation_pager_get_n_pages (pager) == 1)
        print_header ();
      for (guint i = 0; i < vi_annotation_page_get_n_items (page); i++) {
        ViAnnotation *a = vi_annotation_page_get_item (page, i);

        if (opt_json)
          json_items_add (&json, vi_annotation_to_json (a));
        else
          print_annotation_line (a);
        total++;
      }
    }
    if (error != NULL)
      return api_error (error);

    if (opt_json)
      json_items_end (&json);
    else
      print_line ("%u annotation%s", total, total == 1 ? "" : "s");
    return 0;
  }
}

static int
cmd_get (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViAnnotation) annotation = NULL;

  annotation = vi_client_get_annotation (client, args[0], args[1], args[2],
                                         cancellable, &error);
  if (annotation == NULL)
    return api_error (error);

  if (opt_json) {
    g_autoptr (JsonNode) node = vi_annotation_to_json (annotation);
    print_json (node);
  } else {
    g_autofree char *text = vi_annotation_to_string (annotation);
    print_lines (text);
  }
  return 0;
}

static int
cmd_delete (ViClient *client, char **args, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViDeletedResource) deleted = NULL;

  deleted = vi_client_delete_annotation (client, args[0], args[1], args[2],
                                         cancellable, &error);
  if (deleted == NULL)
    return api_error (error);

  if (opt_json)
    print_json_object ("id", deleted->id, "deleted", NULL, NULL);
  else
    print_line ("deleted %s", deleted->id);
  return 0;
}

typedef struct {
  const char *name;
  guint       min_args;
  guint       max_args;
  const char *args_help;
  int (*run) (ViClient *, char **, GCancellable *);
} Command;

static const Command commands[] = {
  { "list", 2, 2, "DATASET ASSET", cmd_list },
  { "get", 3, 3, "DATASET ASSET ANNOTATION", cmd_get },
  { "delete", 3, 3, "DATASET ASSET ANNOTATION", cmd_delete },
  { "upload", 2, G_MAXUINT, "DATASET PATH...", cmd_upload },
  { "wait", 2, 2, "DATASET SESSION", cmd_wait },
  { "export", 2, 4, "create|get|list|download DATASET [EXPORT [DIR]]",
    cmd_export },
};

/* ---- SIGINT and SIGTERM --------------------------------------------------
 *
 * libvi's blocking calls iterate a main context of their own, so a signal
 * source on the default context would never be dispatched while a command
 * runs.  The signals are watched from a thread with a context of its own:
 * the first SIGINT or SIGTERM cancels the command's cancellable (libvi
 * takes a cancellation from any thread, at any moment), the command ends
 * as soon as it can -- an upload marks its session CancelledByUser first
 * -- and the exit status is 128 + the signal.  A second signal exits at
 * once, for when that last step hangs too.
 */

typedef struct {
  GMainContext *context;
  GThread      *thread;
  GSource      *sources[2];
  GCancellable *cancellable;
  gint          stop; /* atomic */
} SignalWatch;

static gint received_signal; /* atomic: the first signal, or 0 */

int
interrupt_signal (void)
{
  return g_atomic_int_get (&received_signal);
}

static void
handle_signal (SignalWatch *watch, int signum)
{
  if (g_atomic_int_compare_and_exchange (&received_signal, 0, signum)) {
    g_cancellable_cancel (watch->cancellable);
    return;
  }
  static const char message[] =
      "\nvi-annotations: interrupted again, exiting at once\n";
  gssize written;

  /* No clean-up: it is what the user no longer wants to wait for.  Not
   * through stdio either, whose lock the main thread may hold while it
   * waits on a full pipe. */
  written = write (STDERR_FILENO, message, sizeof message - 1);
  (void) written;
  _exit (EXIT_SIGNAL_BASE + signum);
}

static gboolean
on_sigint (gpointer user_data)
{
  handle_signal (user_data, SIGINT);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm (gpointer user_data)
{
  handle_signal (user_data, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static gpointer
signal_thread (gpointer user_data)
{
  SignalWatch *watch = user_data;

  /* Not g_main_loop_run(): a quit before the loop starts would be lost. */
  g_main_context_push_thread_default (watch->context);
  while (!g_atomic_int_get (&watch->stop))
    g_main_context_iteration (watch->context, TRUE);
  g_main_context_pop_thread_default (watch->context);
  return NULL;
}

static void
signal_watch_start (SignalWatch *watch, GCancellable *cancellable)
{
  const int   signals[] = { SIGINT, SIGTERM };
  GSourceFunc callbacks[] = { on_sigint, on_sigterm };

  watch->context = g_main_context_new ();
  watch->cancellable = cancellable;
  watch->stop = FALSE;
  /* The handlers are installed here, before the command starts. */
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++) {
    watch->sources[i] = g_unix_signal_source_new (signals[i]);
    g_source_set_callback (watch->sources[i], callbacks[i], watch, NULL);
    g_source_attach (watch->sources[i], watch->context);
  }
  watch->thread = g_thread_new ("vi-signals", signal_thread, watch);
}

static void
signal_watch_stop (SignalWatch *watch)
{
  g_atomic_int_set (&watch->stop, TRUE);
  g_main_context_wakeup (watch->context);
  g_thread_join (watch->thread);
  /* The last source of a signal gives it back its default action. */
  for (guint i = 0; i < G_N_ELEMENTS (watch->sources); i++) {
    g_source_destroy (watch->sources[i]);
    g_source_unref (watch->sources[i]);
  }
  g_main_context_unref (watch->context);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ViClient) client = NULL;
  const Command *command = NULL;
  g_autoptr (GCancellable) cancellable = NULL;
  SignalWatch signals;
  guint       n_args;
  int         status;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("COMMAND ARGS… — Datature Vi annotations");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, "%s", error->message);

  if (argc < 2)
    return usage_error (context,
                        "no command given (list, get, delete, "
                        "upload, wait or export)");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      command = &commands[i];
  if (command == NULL)
    return usage_error (context,
                        "unknown command \"%s\" (use list, get, "
                        "delete, upload, wait or export)",
                        argv[1]);

  n_args = argc - 2;
  if (n_args < command->min_args || n_args > command->max_args)
    return usage_error (context, "%s takes %s", command->name,
                        command->args_help);
  if ((opt_page_token != NULL || opt_one_page || opt_page_size_set) &&
      command->run != cmd_list)
    return usage_error (context,
                        "--page-size, --page-token and --one-page "
                        "only apply to list");

  client = g_initable_new (VI_TYPE_CLIENT, NULL, &error, "endpoint",
                           opt_endpoint, "config-file", opt_config_file,
                           "allow-insecure", opt_allow_insecure, "tls-ca-file",
                           opt_ca_file, NULL);
  if (client == NULL)
    return api_error (error);

  /* Ctrl+C cancels: an upload in progress is marked CancelledByUser. */
  cancellable = g_cancellable_new ();
  signal_watch_start (&signals, cancellable);
  status = command->run (client, argv + 2, cancellable);
  signal_watch_stop (&signals);
  return status;
}
