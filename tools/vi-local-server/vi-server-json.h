/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A small JSON writer on GString.  The server writes its responses with it
 * rather than with JsonBuilder + JsonGenerator: a page of 1000 annotations
 * takes about 30 ms with json-glib 1.6 and well under 1 ms this way (see
 * README.md).  Strings must be valid UTF-8; the store validates them on the
 * way in. */

void vi_json_append_string  (GString    *out,
                             const char *str);
void vi_json_append_double  (GString    *out,
                             double      value);
void vi_json_append_int     (GString    *out,
                             gint64      value);

/* Percent-encodes one path segment: everything but the RFC 3986 unreserved
 * characters is encoded, and so are the dots of a "." or ".." segment, so
 * the result is always a single, literal segment. */
void vi_uri_append_segment  (GString    *out,
                             const char *segment);

G_END_DECLS
