/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for vi-local-server's request handling, without
 * sockets: the input becomes the bytes of one HTTP connection, which a
 * fresh server (one dataset of two records, the default limits) serves
 * through vi_local_server_serve_stream() from memory streams: the header
 * guard, libsoup's parser, the early handler and its limits, the router,
 * authentication, every handler and every body parser (sessions, files,
 * status, exports, fault rules on /_control/faults), faults included.
 *
 * Input: requests separated by a line "===".  A request is a line
 * "METHOD TARGET", header lines "Name: value", an empty line and the body.
 * The harness adds "Host", the server's credentials (unless the request
 * has an "Authorization" header or "X-No-Auth") and "Content-Length"
 * (unless the request has its own "Content-Length" or "Transfer-Encoding",
 * then the body is sent as it is).  An input starting with "RAW\n" is sent
 * as it is.  Random ids are seeded the same way for every input, so a
 * corpus entry can use the session ids and upload tokens the server hands
 * out (VI_FUZZ_SERVER_VERBOSE=1 prints the answers).
 *
 * Whatever the input, nothing may crash, leak, log a critical or hang.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <vi/vi.h>

#include "vi-local-server.h"
#include "vi-server-private.h"

#define SEPARATOR "\n===\n"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
has_header (const char *headers,
            const char *name)
{
  gsize len = strlen (name);
  const char *line;

  for (line = headers; line != NULL && *line != '\0';) {
    const char *end = strchr (line, '\n');

    if (g_ascii_strncasecmp (line, name, len) == 0 && line[len] == ':')
      return TRUE;
    line = end != NULL ? end + 1 : NULL;
  }
  return FALSE;
}

/* One request of the input, as it goes on the wire. */
static void
append_request (GString    *out,
                const char *request,
                gsize       len)
{
  const char *end = memchr (request, '\n', len);
  const char *headers, *body;
  g_autofree char *head = NULL;
  g_autofree char *header_block = NULL;
  gsize head_len, headers_len, body_len;

  head_len = end != NULL ? (gsize) (end - request) : len;
  head = g_strndup (request, head_len);
  headers = end != NULL ? end + 1 : request + len;
  if (headers < request + len && headers[0] == '\n') {
    headers_len = 0;
    body = headers + 1;
  } else if ((body = g_strstr_len (headers, request + len - headers, "\n\n")) != NULL) {
    headers_len = (gsize) (body - headers) + 1;
    body += 2;
  } else {
    headers_len = (gsize) (request + len - headers);
    body = request + len;
  }
  body_len = (gsize) (request + len - body);
  header_block = g_strndup (headers, headers_len);

  g_string_append_printf (out, "%s HTTP/1.1\r\nHost: 127.0.0.1\r\n", head);
  if (!has_header (header_block, "Authorization") &&
      !has_header (header_block, "X-No-Auth"))
    g_string_append (out,
        "Authorization: Bearer " VI_LOCAL_SERVER_DEFAULT_SECRET_KEY "\r\n"
        "Organization-Id: " VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID "\r\n");
  if (headers_len > 0) {
    g_auto (GStrv) lines = g_strsplit (header_block, "\n", -1);
    guint i;

    for (i = 0; lines[i] != NULL; i++) {
      if (lines[i][0] != '\0')
        g_string_append_printf (out, "%s\r\n", lines[i]);
    }
  }
  if (!has_header (header_block, "Content-Length") &&
      !has_header (header_block, "Transfer-Encoding"))
    g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
        body_len);
  g_string_append (out, "\r\n");
  g_string_append_len (out, body, body_len);
}

static GBytes *
connection_bytes (const char *data,
                  gsize       size)
{
  GString *out = g_string_new (NULL);
  const char *p = data, *end = data + size;

  if (size >= 4 && memcmp (data, "RAW\n", 4) == 0) {
    g_string_append_len (out, data + 4, size - 4);
    return g_string_free_to_bytes (out);
  }
  while (p < end) {
    const char *next = g_strstr_len (p, end - p, SEPARATOR);
    gsize len = next != NULL ? (gsize) (next - p) : (gsize) (end - p);

    append_request (out, p, len);
    p = next != NULL ? next + strlen (SEPARATOR) : end;
  }
  return g_string_free_to_bytes (out);
}

static ViLocalServer *
make_server (void)
{
  ViLocalServer *server = vi_local_server_new (NULL, NULL);
  g_autoptr (ViJsonlRecord) a = vi_jsonl_record_new ("img1");
  g_autoptr (ViJsonlRecord) b = vi_jsonl_record_new ("img2");
  g_autoptr (GError) error = NULL;
  ViBBox box = { 0.1, 0.2, 0.5, 0.7 };

  vi_jsonl_record_set_caption (a, "A cat sitting on a couch");
  vi_jsonl_record_add_phrase (a, "A cat", &box);
  vi_jsonl_record_add_interaction (b, "Is it day?", "Yes");
  if (!vi_local_server_add_record (server, "ds", a, &error) ||
      !vi_local_server_add_record (server, "ds", b, &error))
    g_error ("%s", error->message);
  return server;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (ViLocalServer) server = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GOutputStream) out = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (loopback, 1);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new (loopback, 40000);

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_random_set_seed (1);
  g_main_context_push_thread_default (context);

  server = make_server ();
  request = connection_bytes ((const char *) data, size);
  in = g_memory_input_stream_new_from_bytes (request);
  out = g_memory_output_stream_new_resizable ();
  stream = g_simple_io_stream_new (in, out);
  vi_local_server_serve_stream (server, stream, local, remote);

  /* Memory streams are always ready: this runs every request to its
   * answer; what waits for a timer (a latency fault) is cut by the stop. */
  while (g_main_context_iteration (context, FALSE))
    ;
  vi_local_server_stop (server);
  while (g_main_context_iteration (context, FALSE))
    ;

  if (g_getenv ("VI_FUZZ_SERVER_VERBOSE") != NULL) {
    GMemoryOutputStream *answers = G_MEMORY_OUTPUT_STREAM (out);

    g_printerr ("%.*s\n", (int) g_memory_output_stream_get_data_size (answers),
        (const char *) g_memory_output_stream_get_data (answers));
  }

  g_clear_object (&server);
  g_main_context_pop_thread_default (context);
  return 0;
}
