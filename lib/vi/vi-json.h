/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_JSON_H__
#define __VI_JSON_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <vi/vi-version.h>
#include <vi/vi-error.h>

G_BEGIN_DECLS

/**
 * VI_JSON_MAX_DEPTH:
 *
 * Documents nested deeper than this are refused by vi_json_parse_data()
 * (json-glib's parser recurses once per level and would overflow the
 * stack; real documents of the API are about 8 deep).
 */
#define VI_JSON_MAX_DEPTH 512

VI_AVAILABLE_IN_ALL
JsonNode *vi_json_parse_data (const char *data,
                              gsize       len,
                              gsize       max_size,
                              ViError     code,
                              const char *prefix,
                              GError    **error);

VI_AVAILABLE_IN_ALL
void vi_json_append_string (GString *out, const char *str);
VI_AVAILABLE_IN_ALL
void vi_json_append_number (GString *out, double value);
VI_AVAILABLE_IN_ALL
void vi_json_append_int (GString *out, gint64 value);

G_END_DECLS

#endif /* __VI_JSON_H__ */
