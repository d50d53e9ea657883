/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/* The server writes its responses with libvi's JSON writer
 * (vi_json_append_string() and friends); doubles always keep a fraction
 * or an exponent, so that typed readers see a double. */
void vi_server_json_append_double (GString *out, double value);

/* One percent-encoded path segment, as libvi encodes ids in paths. */
void vi_server_append_segment (GString *out, const char *segment);

/* Every JSON document the server reads itself (request bodies, fault
 * rules, lines of the data directory) goes through this: libvi's checked
 * parser, which refuses nesting deeper than VI_JSON_MAX_DEPTH (json-glib
 * recurses once per level and would overflow the stack), integers beyond
 * 64 bits, data after the root and what is not strictly JSON.  Errors are
 * VI_ERROR_INVALID_ARGUMENT, saying what is wrong and where
 * ("malformed JSON: 1:513: nesting too deep ..."). */
JsonNode *vi_server_json_parse (const char *data, gsize length, GError **error);

/* Typed members of a parsed request body or data line: NULL or FALSE
 * when absent or of another type. */
JsonObject *vi_server_json_get_object (JsonObject *obj, const char *name);
const char *vi_server_json_get_string (JsonObject *obj, const char *name);
gboolean    vi_server_json_get_integer (JsonObject *obj,
                                        const char *name,
                                        gint64     *value);
gboolean    vi_server_json_is_null (JsonObject *obj, const char *name);
const char *vi_server_json_read_attributes (JsonObject *attrs, GPtrArray *out);
void        vi_server_json_append_member (GString *out, const char *name);
void        vi_server_append_dataset_path (GString    *out,
                                           const char *org,
                                           const char *dataset_id);
void        vi_server_json_append_ids (GString    *out,
                                       const char *org,
                                       const char *dataset_id);
void        vi_server_json_append_metadata (GString   *out,
                                            gint64     created,
                                            gint64     updated,
                                            gint64     generation,
                                            GPtrArray *attributes);
void        vi_server_json_append_count (GString    *out,
                                         gboolean   *first,
                                         const char *key,
                                         guint64     n);

G_END_DECLS
