/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* Control characters (C0, DEL, C1) as \uXXXX: the text may end up on a
   * terminal. */
  VI_TEXT_ESCAPE = 1 << 0,
  /* Between double quotes, with '"' and '\\' escaped (implies ESCAPE). */
  VI_TEXT_QUOTE = 1 << 1,
} ViTextFlags;

/* Any text as a message of the library may show it (a server's string, a
 * phrase of a file, an id): valid UTF-8 (bad bytes become U+FFFD), at most
 * max_chars characters, with "…" when it was cut.  len -1: NUL-terminated.
 * This is the one place where libvi cuts a string for a message. */
char *_vi_text_excerpt (const char *text,
                        gssize      len,
                        guint       max_chars,
                        ViTextFlags flags);

G_END_DECLS
