/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "vi-json-write-private.h"

G_BEGIN_DECLS

/* The server writes its responses with libvi's GString JSON writer
 * (vi-json-write-private.h); doubles always keep a fraction or an
 * exponent, so that typed readers see a double. */
void      vi_json_append_double  (GString     *out,
                                  double       value);

/* Every JSON document the server reads itself (request bodies, fault
 * rules, lines of the data directory) goes through this: libvi's checked
 * parser, which refuses nesting deeper than VI_JSON_MAX_DEPTH (json-glib
 * recurses once per level and would overflow the stack), integers beyond
 * 64 bits, data after the root and what is not strictly JSON.  Errors are
 * VI_ERROR_INVALID_ARGUMENT, saying what is wrong and where
 * ("malformed JSON: 1:513: nesting too deep ..."). */
JsonNode *vi_server_json_parse   (const char  *data,
                                  gsize        length,
                                  GError     **error);

G_END_DECLS
