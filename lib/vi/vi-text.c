/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Strings shown in messages: see _vi_text_excerpt().
 */
#include "config.h"

#include <string.h>

#include "vi-text-private.h"

static gboolean
is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

char *
_vi_text_excerpt (const char *text,
                  gssize      len,
                  guint       max_chars,
                  ViTextFlags flags)
{
  g_autofree char *valid = NULL;
  gboolean         quote = (flags & VI_TEXT_QUOTE) != 0;
  gboolean         escape = quote || (flags & VI_TEXT_ESCAPE) != 0;
  GString         *out;
  const char      *p;
  guint            n = 0;

  gsize    size, limit;
  gboolean cut = FALSE;

  if (text == NULL)
    text = "";
  /* No more than max_chars characters are shown, of at most 4 bytes
   * each: a longer text is only looked at that far. */
  size = len < 0 ? strlen (text) : (gsize) len;
  limit = (gsize) max_chars * 4 + 4;
  if (size > limit) {
    size = limit;
    cut = TRUE;
  }
  valid = g_utf8_make_valid (text, (gssize) size);
  out = g_string_sized_new (MIN (strlen (valid), (gsize) max_chars * 2) + 8);
  if (quote)
    g_string_append_c (out, '"');
  for (p = valid; *p != '\0' && n < max_chars; p = g_utf8_next_char (p), n++) {
    gunichar c = g_utf8_get_char (p);

    if (escape && is_control (c))
      g_string_append_printf (out, "\\u%04X", c);
    else if (quote && (c == '"' || c == '\\'))
      g_string_append_printf (out, "\\%c", (char) c);
    else
      g_string_append_unichar (out, c);
  }
  if (*p != '\0' || cut)
    g_string_append (out, "…");
  if (quote)
    g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}
