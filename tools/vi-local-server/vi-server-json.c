/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-json.h"
#include "vi-json-private.h"

#include <string.h>

void
vi_json_append_double (GString *out,
                       double   value)
{
  gsize start = out->len;

  _vi_json_append_number (out, value);
  /* Keep a fraction or exponent, so that readers that type JSON numbers
   * (json-glib among them) see a double, never an integer. */
  if (strpbrk (out->str + start, ".eEn") == NULL)
    g_string_append_len (out, ".0", 2);
}

JsonNode *
vi_server_json_parse (const char  *data,
                      gsize        length,
                      GError     **error)
{
  static const char response_prefix[] = "invalid response: ";
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, length);
  g_autoptr(GError) local_error = NULL;
  const char *message;
  JsonNode *root;

  root = vi_json_parse_bytes (bytes, &local_error);
  if (root != NULL)
    return root;

  /* libvi words its messages for the responses it reads; what the server
   * reads is a request or a file. */
  message = local_error->message;
  if (g_str_has_prefix (message, response_prefix))
    message += sizeof response_prefix - 1;
  if (g_str_equal (message, "empty body"))
    message = "empty document";
  g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT, message);
  return NULL;
}
