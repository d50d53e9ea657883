/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-json.h"

#include <string.h>

/* The largest document the server parses: request bodies have their own,
 * smaller limit (checked before they are read), data directory lines are
 * the server's own. */
#define MAX_DOCUMENT_SIZE ((gsize) 512 * 1024 * 1024)

void
vi_server_json_append_double (GString *out, double value)
{
  gsize start = out->len;

  vi_json_append_number (out, value);
  /* Keep a fraction or exponent, so that readers that type JSON numbers
   * (json-glib among them) see a double, never an integer. */
  if (strpbrk (out->str + start, ".eEn") == NULL)
    g_string_append_len (out, ".0", 2);
}

void
vi_server_append_segment (GString *out, const char *segment)
{
  g_autofree char *escaped = vi_escape_path_segment (segment);

  g_string_append (out, escaped);
}

JsonNode *
vi_server_json_parse (const char *data, gsize length, GError **error)
{
  gsize i;

  /* A document of white space only is as empty as no document. */
  for (i = 0; i < length && g_ascii_isspace (data[i]); i++)
    ;
  if (i == length) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                         "empty document");
    return NULL;
  }
  return vi_json_parse_data (data, length, MAX_DOCUMENT_SIZE,
                             VI_ERROR_INVALID_ARGUMENT, NULL, error);
}
