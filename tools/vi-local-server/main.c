/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "vi-local-server.h"

#define EXIT_USAGE 2

static int opt_port = 0;
static char *opt_address = NULL;
static char **opt_load = NULL;
static char *opt_data_dir = NULL;
static char *opt_secret_key = NULL;
static char *opt_org = NULL;
static int opt_latency_ms = 0;
static int opt_processing_delay_ms = 0;
static char **opt_faults = NULL;
static gboolean opt_version = FALSE;
static guint64 opt_max_body_size = VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE;
static guint64 opt_max_upload_size = VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE;
static guint64 opt_max_header_size = VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE;

/* "N", or N with a suffix k, M or G (KiB, MiB, GiB). */
static gboolean
parse_size (const char  *option_name,
            const char  *value,
            guint64     *out,
            GError     **error)
{
  guint64 n, unit = 1;
  char *end;

  if (!g_ascii_isdigit (value[0]))
    goto bad;
  n = g_ascii_strtoull (value, &end, 10);
  if (end[0] != '\0')
    {
      if (end[1] != '\0')
        goto bad;
      switch (end[0])
        {
        case 'k': case 'K':
          unit = G_GUINT64_CONSTANT (1) << 10;
          break;
        case 'm': case 'M':
          unit = G_GUINT64_CONSTANT (1) << 20;
          break;
        case 'g': case 'G':
          unit = G_GUINT64_CONSTANT (1) << 30;
          break;
        default:
          goto bad;
        }
    }
  if (n > G_MAXUINT64 / unit)
    goto bad;
  *out = n * unit;
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s takes a size in bytes, optionally with k, M or G, not “%s”",
               option_name, value);
  return FALSE;
}

static gboolean
parse_size_cb (const char  *option_name,
               const char  *value,
               gpointer     data,
               GError     **error)
{
  guint64 *out = g_str_equal (option_name, "--max-body-size") ? &opt_max_body_size
                 : g_str_equal (option_name, "--max-upload-size") ? &opt_max_upload_size
                 : &opt_max_header_size;

  return parse_size (option_name, value, out, error);
}

static const GOptionEntry entries[] = {
  { "port", 'p', 0, G_OPTION_ARG_INT, &opt_port,
    "Port to listen on; 0 (the default) picks a free one", "N" },
  { "address", 'a', 0, G_OPTION_ARG_STRING, &opt_address,
    "Loopback address to listen on (default 127.0.0.1; ::1 also works)", "ADDR" },
  { "load", 'l', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_load,
    "Load a JSONL file into a dataset, replacing what the dataset held (repeatable)",
    "DATASET=FILE" },
  { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_data_dir,
    "Keep the data in DIR across restarts", "DIR" },
  { "secret-key", 0, 0, G_OPTION_ARG_STRING, &opt_secret_key,
    "Secret key clients must send (default: $DATATURE_VI_SECRET_KEY, else the built-in "
    "local key)", "KEY" },
  { "organization-id", 0, 0, G_OPTION_ARG_STRING, &opt_org,
    "Organization served (default: $DATATURE_VI_ORGANIZATION_ID, else "
    VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID ")", "ORG" },
  { "latency-ms", 0, 0, G_OPTION_ARG_INT, &opt_latency_ms,
    "Delay every API answer by N milliseconds", "N" },
  { "processing-delay-ms", 0, 0, G_OPTION_ARG_INT, &opt_processing_delay_ms,
    "Wait N milliseconds before processing an import session or building an export",
    "N" },
  { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_faults,
    "Add a fault rule (a JSON object or array, see below; repeatable)", "JSON" },
  { "max-body-size", 0, 0, G_OPTION_ARG_CALLBACK, parse_size_cb,
    "Largest request body (default 4M); larger ones get 413 before they are read", "SIZE" },
  { "max-upload-size", 0, 0, G_OPTION_ARG_CALLBACK, parse_size_cb,
    "Largest upload to a signed URL (default 4G)", "SIZE" },
  { "max-header-size", 0, 0, G_OPTION_ARG_CALLBACK, parse_size_cb,
    "Largest request line and headers, 1k to 32k (default 32k); larger ones get 431",
    "SIZE" },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
  { NULL }
};

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static const char *
from_env (const char *option,
          const char *variable)
{
  const char *value;

  if (option != NULL && *option != '\0')
    return option;
  value = g_getenv (variable);
  return value != NULL && *value != '\0' ? value : NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(ViLocalServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  const char *secret_key, *org;
  guint sigint_id, sigterm_id;
  guint i;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- serve the Vi annotations API on loopback");
  g_option_context_set_summary (context,
    "A local implementation of the Datature Vi annotations API, for tests, demos and\n"
    "offline use.  It listens on loopback only, and prints\n"
    "“listening on http://127.0.0.1:PORT” once it accepts connections.");
  g_option_context_set_description (context,
    "Fault rules (--fault, or POST to /_control/faults):\n"
    "  {\"method\":\"GET\", \"path\":\"/workspaces/\", \"after\":0, \"times\":1,\n"
    "   \"action\":\"status\"|\"drop\"|\"truncate\"|\"latency\"|\"malformed\",\n"
    "   \"status\":503, \"retryAfter\":\"2\", \"latencyMs\":200}\n"
    "  method and path (a prefix of the decoded path) are optional; times -1 is forever.\n"
    "\n"
    "Control endpoint (no authentication): POST and DELETE /_control/faults,\n"
    "GET /_control/stats, POST /_control/reset.\n"
    "\n"
    "Request limits: a body above --max-body-size (--max-upload-size for the signed\n"
    "upload URLs) gets 413 before it is read, headers above --max-header-size 431,\n"
    "an upload to an unknown URL 403.\n");
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vi-local-server: %s\n", error->message);
      g_printerr ("Run “%s --help” to see the options.\n", g_get_prgname ());
      return EXIT_USAGE;
    }
  if (opt_version)
    {
      g_print ("vi-local-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (argc > 1)
    {
      g_printerr ("vi-local-server: unexpected argument “%s”\n", argv[1]);
      return EXIT_USAGE;
    }
  if (opt_port < 0 || opt_port > 65535)
    {
      g_printerr ("vi-local-server: --port must be from 0 to 65535\n");
      return EXIT_USAGE;
    }
  if (opt_latency_ms < 0)
    {
      g_printerr ("vi-local-server: --latency-ms must not be negative\n");
      return EXIT_USAGE;
    }
  if (opt_processing_delay_ms < 0)
    {
      g_printerr ("vi-local-server: --processing-delay-ms must not be negative\n");
      return EXIT_USAGE;
    }
  if (opt_max_header_size < VI_LOCAL_SERVER_MIN_HEADER_SIZE ||
      opt_max_header_size > VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE)
    {
      g_printerr ("vi-local-server: --max-header-size must be from %u to %u bytes (libsoup "
                  "drops connections whose headers pass 64 KiB)\n",
                  VI_LOCAL_SERVER_MIN_HEADER_SIZE, VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE);
      return EXIT_USAGE;
    }
  for (i = 0; opt_load != NULL && opt_load[i] != NULL; i++)
    {
      const char *eq = strchr (opt_load[i], '=');

      if (eq == NULL || eq == opt_load[i] || eq[1] == '\0')
        {
          g_printerr ("vi-local-server: --load takes DATASET=FILE, not “%s”\n", opt_load[i]);
          return EXIT_USAGE;
        }
    }

  secret_key = from_env (opt_secret_key, "DATATURE_VI_SECRET_KEY");
  org = from_env (opt_org, "DATATURE_VI_ORGANIZATION_ID");
  if (secret_key != NULL &&
      (!g_str_has_prefix (secret_key, "dtvi_") || strlen (secret_key) != 103))
    g_printerr ("vi-local-server: warning: the secret key is not shaped like a Vi key "
                "(“dtvi_” and 103 characters); the Python SDK will refuse it\n");

  server = vi_local_server_new (secret_key, org);

  for (i = 0; opt_faults != NULL && opt_faults[i] != NULL; i++)
    {
      if (!vi_local_server_add_fault_json (server, opt_faults[i], &error))
        {
          g_printerr ("vi-local-server: --fault: %s\n", error->message);
          return EXIT_USAGE;
        }
    }
  vi_local_server_set_latency (server, (guint) opt_latency_ms);
  vi_local_server_set_processing_delay (server, (guint) opt_processing_delay_ms);
  vi_local_server_set_max_body_size (server, opt_max_body_size);
  vi_local_server_set_max_upload_size (server, opt_max_upload_size);
  vi_local_server_set_max_header_size (server, (guint) opt_max_header_size);

  if (opt_data_dir != NULL && !vi_local_server_set_data_dir (server, opt_data_dir, &error))
    {
      g_printerr ("vi-local-server: %s\n", error->message);
      return EXIT_FAILURE;
    }

  for (i = 0; opt_load != NULL && opt_load[i] != NULL; i++)
    {
      g_autofree char *dataset = g_strndup (opt_load[i], strchr (opt_load[i], '=') - opt_load[i]);
      const char *path = strchr (opt_load[i], '=') + 1;
      guint before;

      /* Replacing rather than adding makes a restart with the same
       * options and --data-dir give the same data. */
      before = vi_local_server_count_annotations (server, dataset, NULL);
      if (!vi_local_server_replace_jsonl (server, dataset, path, &error))
        {
          g_printerr ("vi-local-server: --load %s: %s\n", opt_load[i], error->message);
          return g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT)
                 ? EXIT_USAGE : EXIT_FAILURE;
        }
      g_printerr ("vi-local-server: loaded %u annotations from %s into dataset %s "
                  "(replacing %u)\n",
                  vi_local_server_count_annotations (server, dataset, NULL),
                  path, dataset, before);
    }

  if (!vi_local_server_start (server, opt_address, (guint16) opt_port, FALSE, &error))
    {
      g_printerr ("vi-local-server: %s\n", error->message);
      return g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT)
             ? EXIT_USAGE : EXIT_FAILURE;
    }

  url = vi_local_server_get_url (server);
  printf ("listening on %s\n", url);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  vi_local_server_stop (server);
  g_printerr ("vi-local-server: stopped\n");

  g_clear_pointer (&opt_address, g_free);
  g_clear_pointer (&opt_load, g_strfreev);
  g_clear_pointer (&opt_data_dir, g_free);
  g_clear_pointer (&opt_secret_key, g_free);
  g_clear_pointer (&opt_org, g_free);
  g_clear_pointer (&opt_faults, g_strfreev);
  return EXIT_SUCCESS;
}
