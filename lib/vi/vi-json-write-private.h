/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* JSON and URI writing on GString (vi-json-write.c). */
void _vi_json_append_string (GString    *out,
                             const char *str);
/* Shortest round-trip form; "null" for a non-finite value. */
void _vi_json_append_number (GString    *out,
                             double      value);
void _vi_json_append_int    (GString    *out,
                             gint64      value);
void _vi_uri_append_segment (GString    *out,
                             const char *segment);

G_END_DECLS
