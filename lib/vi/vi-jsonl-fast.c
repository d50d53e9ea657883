/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The writer's own lines, fast.
 *
 * vi_jsonl_record_to_line() writes one exact layout; reading those lines
 * (the local server importing what libvi uploads, viannotsrc reading what
 * viannotsink wrote) is most of what is read.  A plain scan takes them
 * apart without json-glib's tree, several times faster.  It accepts only
 * that layout with nothing unusual in it (no whitespace, escape, exponent,
 * sign, other member, bad value) and otherwise gives up, leaving the line
 * to the general parser, which also says what is wrong with a bad one:
 * whatever it accepts, the general parser would read the same way.
 */
#include "config.h"

#include <string.h>

#include "vi-json-scanner.h"
#include "vi-jsonl-private.h"

typedef struct {
  const char *p;
  const char *end;
} Scan;

static gboolean
scan_literal (Scan *s, const char *literal)
{
  gsize n = strlen (literal);

  if ((gsize) (s->end - s->p) < n || memcmp (s->p, literal, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

/* A string without escapes or control characters: its text, copied. */
static char *
scan_string (Scan *s)
{
  const char *start;

  if (s->p >= s->end || *s->p != '"')
    return NULL;
  start = ++s->p;
  for (; s->p < s->end; s->p++) {
    guchar c = (guchar) *s->p;

    if (c == '"') {
      char *text = g_strndup (start, s->p - start);

      s->p++;
      return text;
    }
    if (c == '\\' || c < 0x20)
      return NULL;
  }
  return NULL;
}

/* A coordinate: a number read by the byte scanner every reader of the
 * library shares (so it is the double the general parser gives), kept
 * only when it is in [0, 1]; anything else is the general parser's. */
static gboolean
scan_coordinate (Scan *s, double *value)
{
  ViJsonScanner r;
  ViJsonNumber  n;

  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return FALSE;
  vi_json_scanner_init (&r, s->p, s->end - s->p, NULL);
  if (!vi_json_scan_read_number (&r, &n, NULL))
    return FALSE;
  s->p = r.p;
  *value = n.value;
  return *value >= 0.0 && *value <= 1.0;
}

static gboolean
scan_phrases (Scan *s, ViJsonlRecord *record)
{
  if (!scan_literal (s, "[{\"phrase\":"))
    return FALSE;
  for (;;) {
    g_autofree char *phrase = scan_string (s);
    ViBBox           box;

    if (phrase == NULL || *phrase == '\0' || !scan_literal (s, ",\"bbox\":[") ||
        !scan_coordinate (s, &box.x_min) || !scan_literal (s, ",") ||
        !scan_coordinate (s, &box.y_min) || !scan_literal (s, ",") ||
        !scan_coordinate (s, &box.x_max) || !scan_literal (s, ",") ||
        !scan_coordinate (s, &box.y_max) || !scan_literal (s, "]}") ||
        box.x_min >= box.x_max || box.y_min >= box.y_max)
      return FALSE;
    vi_jsonl_record_add_phrase (record, phrase, &box);
    if (scan_literal (s, "]"))
      return TRUE;
    if (!scan_literal (s, ",{\"phrase\":"))
      return FALSE;
  }
}

static gboolean
scan_interactions (Scan *s, ViJsonlRecord *record)
{
  if (!scan_literal (s, "[{\"question\":"))
    return FALSE;
  for (;;) {
    g_autofree char *question = scan_string (s);
    g_autofree char *answer = NULL;

    if (question == NULL || !scan_literal (s, ",\"answer\":"))
      return FALSE;
    answer = scan_string (s);
    if (answer == NULL || !scan_literal (s, "}"))
      return FALSE;
    _vi_jsonl_record_append_interaction (record, question, answer,
                                         (int) record->interactions->len);
    if (scan_literal (s, "]"))
      return TRUE;
    if (!scan_literal (s, ",{\"question\":"))
      return FALSE;
  }
}

/* The record of a line in the writer's layout, or NULL (no error) for the
 * general parser to take; @line is valid UTF-8. */
ViJsonlRecord *
_vi_jsonl_parse_written_line (const char *line, gsize length)
{
  Scan s = { line, line + length };
  g_autoptr (ViJsonlRecord) record = NULL;
  g_autofree char *asset_id = NULL;
  g_autofree char *caption = NULL;

  if (!scan_literal (&s, "{\"asset_id\":") ||
      (asset_id = scan_string (&s)) == NULL || *asset_id == '\0')
    return NULL;
  record = vi_jsonl_record_new (asset_id);
  record->format_set = TRUE;
  record->format = VI_JSONL_FORMAT_FLAT;

  if (scan_literal (&s, ",\"caption\":")) {
    if ((caption = scan_string (&s)) == NULL)
      return NULL;
    vi_jsonl_record_set_caption (record, caption);
  }
  if (scan_literal (&s, ",\"grounded_phrases\":") && !scan_phrases (&s, record))
    return NULL;
  if (scan_literal (&s, ",\"contents\":{\"interactions\":")) {
    if (!scan_interactions (&s, record) || !scan_literal (&s, "}"))
      return NULL;
    if (record->caption == NULL && record->phrases->len == 0)
      record->format = VI_JSONL_FORMAT_VQA;
  }
  if (!scan_literal (&s, "}") || s.p != s.end)
    return NULL;
  /* What check_something_to_import() refuses, refused as the general
   * parser would. */
  if (record->caption == NULL &&
      (record->phrases->len > 0 || record->interactions->len == 0))
    return NULL;
  if (!vi_jsonl_record_compute_spans (record, NULL))
    return NULL;

  return g_steal_pointer (&record);
}
