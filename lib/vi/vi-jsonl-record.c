/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViJsonlRecord: one line of a JSONL annotation file (an asset's caption,
 * its grounded phrases, its VQA pairs), the spans of its phrases, and the
 * line the writer makes of it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-jsonl-private.h"
#include "vi-text-private.h"

/**
 * SECTION:vi-jsonl
 *
 * One annotation per line files, as uploaded to (and exported from) the
 * Vi annotations service.
 *
 * #ViJsonlReader reads every documented form of a line (the reference's flat
 * phrase grounding, the guide's nested form, both VQA forms and the dataset
 * export form) into a #ViJsonlRecord, streaming, one line at a time.  Each
 * bad line gives a %VI_ERROR_INVALID_DATA error naming the file, the line
 * and the reason; the caller chooses whether bad lines are skipped, logged
 * or fatal (#ViJsonlErrorMode).
 *
 * #ViJsonlWriter writes records in the reference's flat form, and VQA as
 * `contents.interactions`.
 */

G_DEFINE_BOXED_TYPE (ViJsonlRecord,
                     vi_jsonl_record,
                     vi_jsonl_record_ref,
                     vi_jsonl_record_unref)

static void
grounded_phrase_clear (gpointer data)
{
  ViGroundedPhrase *phrase = data;

  g_clear_pointer (&phrase->phrase, g_free);
}

static void
vqa_interaction_clear (gpointer data)
{
  ViVqaInteraction *interaction = data;

  g_clear_pointer (&interaction->question, g_free);
  g_clear_pointer (&interaction->answer, g_free);
}

static void
vi_jsonl_record_clear (gpointer data)
{
  ViJsonlRecord *record = data;

  g_free (record->asset_id);
  g_free (record->id);
  g_free (record->caption);
  g_array_unref (record->phrases);
  g_array_unref (record->interactions);
}

/**
 * vi_jsonl_record_new:
 * @asset_id: the asset the annotation belongs to, a non-empty UTF-8 string
 *
 * Creates an empty record: no caption, no grounded phrases, no interactions.
 *
 * Returns: (transfer full): a new #ViJsonlRecord
 */
ViJsonlRecord *
vi_jsonl_record_new (const char *asset_id)
{
  ViJsonlRecord *record;

  g_return_val_if_fail (asset_id != NULL && *asset_id != '\0', NULL);
  g_return_val_if_fail (g_utf8_validate (asset_id, -1, NULL), NULL);

  record = g_atomic_rc_box_new0 (ViJsonlRecord);
  record->asset_id = g_strdup (asset_id);
  record->format = VI_JSONL_FORMAT_FLAT;
  record->phrases = g_array_new (FALSE, TRUE, sizeof (ViGroundedPhrase));
  g_array_set_clear_func (record->phrases, grounded_phrase_clear);
  record->interactions = g_array_new (FALSE, TRUE, sizeof (ViVqaInteraction));
  g_array_set_clear_func (record->interactions, vqa_interaction_clear);

  return record;
}

/**
 * vi_jsonl_record_ref:
 * @record: a #ViJsonlRecord
 *
 * Takes a reference on @record.  Records are not modified after they are
 * read, so they may be shared between threads.
 *
 * Returns: (transfer full): @record
 */
ViJsonlRecord *
vi_jsonl_record_ref (ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return g_atomic_rc_box_acquire (record);
}

/**
 * vi_jsonl_record_unref:
 * @record: (transfer full): a #ViJsonlRecord
 *
 * Drops a reference on @record, freeing it when it was the last one.
 */
void
vi_jsonl_record_unref (ViJsonlRecord *record)
{
  g_return_if_fail (record != NULL);

  g_atomic_rc_box_release_full (record, vi_jsonl_record_clear);
}

/**
 * vi_jsonl_record_get_asset_id:
 * @record: a #ViJsonlRecord
 *
 * Returns: the asset id: `asset_id`, or in the export form `asset_id` if
 * present and `asset.filename` otherwise
 */
const char *
vi_jsonl_record_get_asset_id (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return record->asset_id;
}

/**
 * vi_jsonl_record_get_id:
 * @record: a #ViJsonlRecord
 *
 * Returns: (nullable): the annotation id of the line (the export form's
 * `id`), or %NULL
 */
const char *
vi_jsonl_record_get_id (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return record->id;
}

/**
 * vi_jsonl_record_get_format:
 * @record: a #ViJsonlRecord
 *
 * Which form the record was read from.  For a record built with
 * vi_jsonl_record_new() this is the form vi_jsonl_record_to_line() writes:
 * %VI_JSONL_FORMAT_VQA when it only has interactions,
 * %VI_JSONL_FORMAT_FLAT otherwise.
 *
 * Returns: the #ViJsonlFormat
 */
ViJsonlFormat
vi_jsonl_record_get_format (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, VI_JSONL_FORMAT_FLAT);

  if (record->format_set)
    return record->format;
  if (record->caption == NULL && record->phrases->len == 0 &&
      record->interactions->len > 0)
    return VI_JSONL_FORMAT_VQA;
  return VI_JSONL_FORMAT_FLAT;
}

/**
 * vi_jsonl_record_get_caption:
 * @record: a #ViJsonlRecord
 *
 * Returns: (nullable): the caption, or %NULL when the line had none
 */
const char *
vi_jsonl_record_get_caption (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return record->caption;
}

/**
 * vi_jsonl_record_get_n_phrases:
 * @record: a #ViJsonlRecord
 *
 * Returns: the number of grounded phrases (one per box: a phrase of the
 * export form with several boxes counts once per box)
 */
guint
vi_jsonl_record_get_n_phrases (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, 0);

  return record->phrases->len;
}

/**
 * vi_jsonl_record_get_phrase:
 * @record: a #ViJsonlRecord
 * @index: which phrase, below vi_jsonl_record_get_n_phrases()
 *
 * Returns: (transfer none): the grounded phrase, owned by @record
 */
const ViGroundedPhrase *
vi_jsonl_record_get_phrase (const ViJsonlRecord *record, guint index)
{
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (index < record->phrases->len, NULL);

  return &g_array_index (record->phrases, ViGroundedPhrase, index);
}

/**
 * vi_jsonl_record_get_n_interactions:
 * @record: a #ViJsonlRecord
 *
 * Returns: the number of VQA question/answer pairs
 */
guint
vi_jsonl_record_get_n_interactions (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, 0);

  return record->interactions->len;
}

/**
 * vi_jsonl_record_get_interaction:
 * @record: a #ViJsonlRecord
 * @index: which interaction, below vi_jsonl_record_get_n_interactions()
 *
 * Returns: (transfer none): the interaction, owned by @record
 */
const ViVqaInteraction *
vi_jsonl_record_get_interaction (const ViJsonlRecord *record, guint index)
{
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (index < record->interactions->len, NULL);

  return &g_array_index (record->interactions, ViVqaInteraction, index);
}

/**
 * vi_jsonl_record_get_n_parts:
 * @record: a #ViJsonlRecord
 *
 * Counts the annotation parts an import makes of @record: one for the
 * caption, if there is one, one per grounded phrase (per box) and one per
 * question and answer.  That is the unit of the `Created` count of an
 * import session, and of what a list returns; a line is not.
 *
 * Returns: the number of parts
 */
guint
vi_jsonl_record_get_n_parts (const ViJsonlRecord *record)
{
  g_return_val_if_fail (record != NULL, 0);

  return (record->caption != NULL ? 1 : 0) + record->phrases->len +
      record->interactions->len;
}

/**
 * vi_jsonl_record_set_id:
 * @record: a #ViJsonlRecord
 * @id: (nullable): the annotation id, or %NULL
 *
 * Sets the annotation id.  The writer does not emit it (the upload forms
 * have no id).
 */
void
vi_jsonl_record_set_id (ViJsonlRecord *record, const char *id)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (id == NULL || g_utf8_validate (id, -1, NULL));

  g_free (record->id);
  record->id = g_strdup (id);
}

/**
 * vi_jsonl_record_set_caption:
 * @record: a #ViJsonlRecord
 * @caption: (nullable): the caption, or %NULL for none
 *
 * Sets the caption.  Spans computed before are stale afterwards: call
 * vi_jsonl_record_compute_spans() again.
 */
void
vi_jsonl_record_set_caption (ViJsonlRecord *record, const char *caption)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (caption == NULL || g_utf8_validate (caption, -1, NULL));

  g_free (record->caption);
  record->caption = g_strdup (caption);
}

/**
 * vi_jsonl_record_add_phrase:
 * @record: a #ViJsonlRecord
 * @phrase: the phrase, a non-empty UTF-8 string
 * @bbox: its box
 *
 * Appends a grounded phrase.  Its span is unknown (-1) until
 * vi_jsonl_record_compute_spans() is called.
 */
void
vi_jsonl_record_add_phrase (ViJsonlRecord *record,
                            const char    *phrase,
                            const ViBBox  *bbox)
{
  ViGroundedPhrase entry;

  g_return_if_fail (record != NULL);
  g_return_if_fail (phrase != NULL && g_utf8_validate (phrase, -1, NULL));
  g_return_if_fail (bbox != NULL);

  entry.phrase = g_strdup (phrase);
  entry.bbox = *bbox;
  entry.start = -1;
  entry.end = -1;
  g_array_append_val (record->phrases, entry);
}

void
_vi_jsonl_record_append_interaction (ViJsonlRecord *record,
                                     const char    *question,
                                     const char    *answer,
                                     int            order)
{
  ViVqaInteraction entry;

  entry.question = g_strdup (question);
  entry.answer = g_strdup (answer);
  entry.order = order;
  g_array_append_val (record->interactions, entry);
}

/**
 * vi_jsonl_record_add_interaction:
 * @record: a #ViJsonlRecord
 * @question: the question
 * @answer: the answer
 *
 * Appends a VQA question/answer pair; its order is its index.
 */
void
vi_jsonl_record_add_interaction (ViJsonlRecord *record,
                                 const char    *question,
                                 const char    *answer)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (question != NULL && g_utf8_validate (question, -1, NULL));
  g_return_if_fail (answer != NULL && g_utf8_validate (answer, -1, NULL));

  _vi_jsonl_record_append_interaction (record, question, answer,
                                       (int) record->interactions->len);
}

/**
 * vi_jsonl_record_compute_spans:
 * @record: a #ViJsonlRecord
 * @error: return location for a #GError
 *
 * Finds each grounded phrase in the caption and sets its `start` and `end`:
 * `[start, end)` in Unicode characters (not bytes) of the phrase's first
 * occurrence in the caption at or after the previous phrase's start.  The
 * search is exact (case and accents matter).  Phrases may overlap (“red
 * car” then “car”), but a phrase that repeats the previous one exactly
 * (“Un café près du café” with “café” twice) takes the next occurrence
 * when there is one, so that it does not map onto the same characters.
 *
 * Returns: %TRUE on success; %FALSE with %VI_ERROR_INVALID_DATA when a
 * phrase is empty or not found, or when there are phrases but no caption
 */
gboolean
vi_jsonl_record_compute_spans (ViJsonlRecord *record, GError **error)
{
  g_autofree int *spans = NULL;
  gboolean        ok;
  guint           i;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* -1 for a phrase whose span is not found (and those after it). */
  spans = g_new (int, 2 * (gsize) record->phrases->len + 1);
  for (i = 0; i < 2 * record->phrases->len; i++)
    spans[i] = -1;
  ok = _vi_jsonl_record_find_spans (record, spans, error);
  for (i = 0; i < record->phrases->len; i++) {
    ViGroundedPhrase *p = &g_array_index (record->phrases, ViGroundedPhrase, i);

    p->start = spans[2 * i];
    p->end = spans[2 * i + 1];
  }
  return ok;
}

gboolean
_vi_jsonl_record_find_spans (const ViJsonlRecord *record,
                             int                 *spans,
                             GError             **error)
{
  const char *caption;
  gsize       prev_start = 0; /* bytes */
  glong       prev_chars = 0; /* prev_start in characters */
  gsize       prev_len = 0;   /* bytes, 0 before the first phrase */
  guint       i;

  if (record->phrases->len == 0)
    return TRUE;

  caption = record->caption;
  if (caption == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "%u grounded phrase(s) but no caption", record->phrases->len);
    return FALSE;
  }

  for (i = 0; i < record->phrases->len; i++) {
    const ViGroundedPhrase *p = &g_array_index (record->phrases,
                                                ViGroundedPhrase, i);
    gsize                   len = strlen (p->phrase);
    const char             *found;

    if (len == 0) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "grounded phrase %u is empty", i);
      return FALSE;
    }

    found = strstr (caption + prev_start, p->phrase);
    if (found != NULL && prev_len == len &&
        (gsize) (found - caption) == prev_start) {
      /* Same text at the same place as the previous phrase: prefer the
       * next occurrence.  A match of valid UTF-8 in valid UTF-8 always
       * starts on a character boundary, so stepping one character is
       * safe. */
      const char *later = strstr (g_utf8_next_char (found), p->phrase);

      if (later != NULL)
        found = later;
    }

    if (found == NULL) {
      g_autofree char *shown = _vi_text_excerpt (p->phrase, -1, 60,
                                                 VI_TEXT_QUOTE);

      if (prev_start > 0 && strstr (caption, p->phrase) != NULL)
        g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                     "grounded phrase %u %s not found in the caption after the "
                     "previous phrase (phrases must be in caption order)",
                     i, shown);
      else
        g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                     "grounded phrase %u %s not found in the caption", i,
                     shown);
      return FALSE;
    }

    /* Counted from the previous phrase's start, not from the caption's:
     * long captions with many phrases stay linear. */
    prev_chars += g_utf8_pointer_to_offset (caption + prev_start, found);
    if (spans != NULL) {
      spans[2 * i] = (int) prev_chars;
      spans[2 * i + 1] = spans[2 * i] + (int) g_utf8_strlen (p->phrase, -1);
    }
    prev_start = found - caption;
    prev_len = len;
  }

  return TRUE;
}

/**
 * vi_jsonl_record_append_line:
 * @record: a #ViJsonlRecord
 * @out: the string to append to
 *
 * Appends the line vi_jsonl_record_to_line() returns to @out (without a
 * newline), for writers of many lines that keep one buffer.
 */
void
vi_jsonl_record_append_line (const ViJsonlRecord *record, GString *out)
{
  guint i;

  g_return_if_fail (record != NULL);
  g_return_if_fail (out != NULL);

  g_string_append (out, "{\"asset_id\":");
  vi_json_append_string (out, record->asset_id);

  if (record->caption != NULL) {
    g_string_append (out, ",\"caption\":");
    vi_json_append_string (out, record->caption);
  }

  if (record->phrases->len > 0) {
    g_string_append (out, ",\"grounded_phrases\":[");
    for (i = 0; i < record->phrases->len; i++) {
      const ViGroundedPhrase *p = &g_array_index (record->phrases,
                                                  ViGroundedPhrase, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"phrase\":");
      vi_json_append_string (out, p->phrase);
      g_string_append (out, ",\"bbox\":[");
      vi_json_append_number (out, p->bbox.x_min);
      g_string_append_c (out, ',');
      vi_json_append_number (out, p->bbox.y_min);
      g_string_append_c (out, ',');
      vi_json_append_number (out, p->bbox.x_max);
      g_string_append_c (out, ',');
      vi_json_append_number (out, p->bbox.y_max);
      g_string_append (out, "]}");
    }
    g_string_append_c (out, ']');
  }

  if (record->interactions->len > 0) {
    g_string_append (out, ",\"contents\":{\"interactions\":[");
    for (i = 0; i < record->interactions->len; i++) {
      const ViVqaInteraction *v = &g_array_index (record->interactions,
                                                  ViVqaInteraction, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"question\":");
      vi_json_append_string (out, v->question);
      g_string_append (out, ",\"answer\":");
      vi_json_append_string (out, v->answer);
      g_string_append_c (out, '}');
    }
    g_string_append (out, "]}");
  }

  g_string_append_c (out, '}');
}

/**
 * vi_jsonl_record_to_line:
 * @record: a #ViJsonlRecord
 *
 * Serializes @record in the reference's flat form:
 * `{"asset_id":…,"caption":…,"grounded_phrases":[{"phrase":…,"bbox":[…]}]}`,
 * leaving out `caption` and `grounded_phrases` when the record has none.
 * Interactions are written as `"contents":{"interactions":[{"question":…,
 * "answer":…}]}`.  Numbers are written with as many digits as needed to
 * read back the same doubles.
 *
 * Returns: (transfer full): the line, without a newline
 */
char *
vi_jsonl_record_to_line (const ViJsonlRecord *record)
{
  GString *out;

  g_return_val_if_fail (record != NULL, NULL);

  /* Room for the usual line at once: a box is about 80 bytes. */
  out = g_string_sized_new (
      128 + (record->caption ? strlen (record->caption) : 0) +
      96 * record->phrases->len + 64 * record->interactions->len);
  vi_jsonl_record_append_line (record, out);
  return g_string_free (out, FALSE);
}
