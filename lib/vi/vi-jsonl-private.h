/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* What the parts of the JSONL support share (vi-jsonl-*.c). */

#include <json-glib/json-glib.h>

#include <vi/vi.h>
#include "vi-error-private.h"

G_BEGIN_DECLS

/* The longest line a ViJsonlReader reads unless told otherwise, and so
 * the longest a ViJsonlWriter writes. */
#define VI_JSONL_DEFAULT_MAX_LINE_LENGTH (4 * 1024 * 1024)

struct _ViJsonlRecord {
  char         *asset_id;
  char         *id;
  ViJsonlFormat format;
  gboolean      format_set;
  char         *caption;
  GArray       *phrases;      /* ViGroundedPhrase */
  GArray       *interactions; /* ViVqaInteraction */
};

void _vi_jsonl_record_append_interaction (ViJsonlRecord *record,
                                          const char    *question,
                                          const char    *answer,
                                          int            order);

/* Sets VI_ERROR_INVALID_DATA with the reason alone; returns FALSE. */
gboolean _vi_jsonl_invalid (GError **error, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
gboolean _vi_jsonl_is_blank (const char *line, gsize length);
/* Drops a UTF-8 byte order mark at the start (when strip_bom) and a CR at
 * the end. */
void _vi_jsonl_trim_line (const char **line, gsize *length, gboolean strip_bom);
/* The spans of record's phrases, as vi_jsonl_record_compute_spans() sets
 * them, into spans (2 ints a phrase; nullable: only check that there are
 * some), without changing record. */
gboolean _vi_jsonl_record_find_spans (const ViJsonlRecord *record,
                                      int                 *spans,
                                      GError             **error);
/* Whether a reader accepts the line of record (vi-jsonl-parser.c). */
gboolean _vi_jsonl_record_check (const ViJsonlRecord *record, GError **error);
/* One line (without its newline) into a record, spans computed. */
ViJsonlRecord *_vi_jsonl_parse_line_with (JsonParser *parser,
                                          const char *line,
                                          gsize       length,
                                          GError    **error);

/* The record of a line in vi_jsonl_record_to_line()'s exact layout, or
 * NULL (and no error) for the general parser to take (vi-jsonl-fast.c);
 * @line is valid UTF-8. */
ViJsonlRecord *_vi_jsonl_parse_written_line (const char *line, gsize length);

G_END_DECLS
