/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-json.h"

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
