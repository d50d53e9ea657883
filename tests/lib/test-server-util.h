/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the tests of vi-local-server: HTTP exchanges with
 * libsoup, deeply nested JSON, removing a test's folder. */

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vi-local-server.h"

typedef struct {
  guint               status;
  GBytes             *body;
  JsonNode           *json;       /* the body, when it is JSON and parsed */
  SoupMessageHeaders *headers;
  GError             *error;
} Response;

static inline void
response_free (Response *r)
{
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->json, json_node_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_clear_error (&r->error);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* Sends a request, with the default credentials when auth is TRUE; a JSON
 * answer is parsed into json unless parse is FALSE. */
static inline Response *
send_request (SoupSession *session,
              const char  *method,
              const char  *uri,
              gboolean     auth,
              const char  *content_type,
              const void  *data,
              gsize        length,
              const char  *range,
              gboolean     parse)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  Response *r = g_new0 (Response, 1);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (auth)
    {
      soup_message_headers_replace (headers, "Authorization",
                                    "Bearer " VI_LOCAL_SERVER_DEFAULT_SECRET_KEY);
      soup_message_headers_replace (headers, "Organization-Id",
                                    VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID);
    }
  if (range != NULL)
    soup_message_headers_replace (headers, "Range", range);
  if (data != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, length);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  r->body = soup_session_send_and_read (session, msg, NULL, &r->error);
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  if (parse && r->body != NULL && g_bytes_get_size (r->body) > 0 &&
      g_strcmp0 (soup_message_headers_get_content_type (r->headers, NULL),
                 "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL),
                                      (gssize) g_bytes_get_size (r->body), NULL))
        r->json = json_node_copy (json_parser_get_root (parser));
    }
  return r;
}

static inline Response *
send_full (SoupSession *session,
           const char  *method,
           const char  *uri,
           gboolean     auth,
           const char  *content_type,
           const void  *data,
           gsize        length,
           const char  *range)
{
  return send_request (session, method, uri, auth, content_type, data, length, range, TRUE);
}

/* prefix, then n "[", then n "]", then suffix: json-glib alone recurses
 * once per level and overflows the stack long before 100,000. */
static inline char *
deep_json (const char *prefix,
           guint       n,
           const char *suffix)
{
  GString *s = g_string_new (prefix);
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < n; i++)
    g_string_append_c (s, ']');
  g_string_append (s, suffix);
  return g_string_free (s, FALSE);
}

static inline void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}
