/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvi — JSONL annotation files: records, a streaming reader, a writer.
 *
 * Copyright (C) 2025 The viannot authors
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "vi-error.h"
#include "vi-error-private.h"
#include "vi-json-write-private.h"
#include "vi-geometry.h"
#include "vi-jsonl.h"

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

#define DEFAULT_MAX_LINE_LENGTH (4 * 1024 * 1024)
#define READ_CHUNK_SIZE (64 * 1024)
#define MAX_KEPT_BAD_LINES 1000
/* json-glib 1.6 parses recursively and has no nesting limit; no annotation
 * line needs more than a few levels, so deeper lines are refused before
 * they reach the parser. */
#define MAX_JSON_DEPTH 64
#define DEFAULT_STREAM_NAME "<stream>"

/* ------------------------------------------------------------------------ */
/* ViJsonlRecord                                                            */
/* ------------------------------------------------------------------------ */

struct _ViJsonlRecord
{
  char *asset_id;
  char *id;
  ViJsonlFormat format;
  gboolean format_set;
  char *caption;
  GArray *phrases;              /* ViGroundedPhrase */
  GArray *interactions;         /* ViVqaInteraction */
};

G_DEFINE_BOXED_TYPE (ViJsonlRecord, vi_jsonl_record, vi_jsonl_record_ref,
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
vi_jsonl_record_get_phrase (const ViJsonlRecord *record,
    guint index)
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
vi_jsonl_record_get_interaction (const ViJsonlRecord *record,
    guint index)
{
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (index < record->interactions->len, NULL);

  return &g_array_index (record->interactions, ViVqaInteraction, index);
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
vi_jsonl_record_set_id (ViJsonlRecord *record,
    const char *id)
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
vi_jsonl_record_set_caption (ViJsonlRecord *record,
    const char *caption)
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
    const char *phrase,
    const ViBBox *bbox)
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

static void
record_append_interaction (ViJsonlRecord *record,
    const char *question,
    const char *answer,
    int order)
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
    const char *question,
    const char *answer)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (question != NULL && g_utf8_validate (question, -1, NULL));
  g_return_if_fail (answer != NULL && g_utf8_validate (answer, -1, NULL));

  record_append_interaction (record, question, answer,
      (int) record->interactions->len);
}

/* A string for an error message: at most @max_chars characters of a valid
 * UTF-8 string, with an ellipsis when cut. */
static char *
shorten (const char *str,
    glong max_chars)
{
  if (g_utf8_strlen (str, -1) <= max_chars)
    return g_strdup (str);
  else {
    g_autofree char *head = g_utf8_substring (str, 0, max_chars);

    return g_strconcat (head, "...", NULL);
  }
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
vi_jsonl_record_compute_spans (ViJsonlRecord *record,
    GError **error)
{
  const char *caption;
  gsize prev_start = 0;         /* bytes */
  glong prev_chars = 0;         /* prev_start in characters */
  gsize prev_len = 0;           /* bytes, 0 before the first phrase */
  guint i;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (i = 0; i < record->phrases->len; i++) {
    ViGroundedPhrase *p = &g_array_index (record->phrases, ViGroundedPhrase, i);

    p->start = -1;
    p->end = -1;
  }

  if (record->phrases->len == 0)
    return TRUE;

  caption = record->caption;
  if (caption == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
        "%u grounded phrase(s) but no caption", record->phrases->len);
    return FALSE;
  }

  for (i = 0; i < record->phrases->len; i++) {
    ViGroundedPhrase *p = &g_array_index (record->phrases, ViGroundedPhrase, i);
    gsize len = strlen (p->phrase);
    const char *found;

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
      g_autofree char *shown = shorten (p->phrase, 60);

      if (prev_start > 0 && strstr (caption, p->phrase) != NULL)
        g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
            "grounded phrase %u \"%s\" not found in the caption after the "
            "previous phrase (phrases must be in caption order)", i, shown);
      else
        g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
            "grounded phrase %u \"%s\" not found in the caption", i, shown);
      return FALSE;
    }

    /* Counted from the previous phrase's start, not from the caption's:
     * long captions with many phrases stay linear. */
    prev_chars += g_utf8_pointer_to_offset (caption + prev_start, found);
    p->start = (int) prev_chars;
    p->end = p->start + (int) g_utf8_strlen (p->phrase, -1);
    prev_start = found - caption;
    prev_len = len;
  }

  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

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
  guint i;

  g_return_val_if_fail (record != NULL, NULL);

  /* Room for the usual line at once: a box is about 80 bytes. */
  out = g_string_sized_new (128 + (record->caption ? strlen (record->caption)
          : 0) + 96 * record->phrases->len + 64 * record->interactions->len);
  g_string_append (out, "{\"asset_id\":");
  _vi_json_append_string (out, record->asset_id);

  if (record->caption != NULL) {
    g_string_append (out, ",\"caption\":");
    _vi_json_append_string (out, record->caption);
  }

  if (record->phrases->len > 0) {
    g_string_append (out, ",\"grounded_phrases\":[");
    for (i = 0; i < record->phrases->len; i++) {
      const ViGroundedPhrase *p =
          &g_array_index (record->phrases, ViGroundedPhrase, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"phrase\":");
      _vi_json_append_string (out, p->phrase);
      g_string_append (out, ",\"bbox\":[");
      _vi_json_append_number (out, p->bbox.x_min);
      g_string_append_c (out, ',');
      _vi_json_append_number (out, p->bbox.y_min);
      g_string_append_c (out, ',');
      _vi_json_append_number (out, p->bbox.x_max);
      g_string_append_c (out, ',');
      _vi_json_append_number (out, p->bbox.y_max);
      g_string_append (out, "]}");
    }
    g_string_append_c (out, ']');
  }

  if (record->interactions->len > 0) {
    g_string_append (out, ",\"contents\":{\"interactions\":[");
    for (i = 0; i < record->interactions->len; i++) {
      const ViVqaInteraction *v =
          &g_array_index (record->interactions, ViVqaInteraction, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"question\":");
      _vi_json_append_string (out, v->question);
      g_string_append (out, ",\"answer\":");
      _vi_json_append_string (out, v->answer);
      g_string_append_c (out, '}');
    }
    g_string_append (out, "]}");
  }

  g_string_append_c (out, '}');

  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Parsing one line                                                         */
/* ------------------------------------------------------------------------ */

/* How the boxes of a phrase are spelled. */
typedef enum
{
  BOX_FLAT,                     /* "bbox": [4 numbers] */
  BOX_NESTED,                   /* "bound": [4 numbers] or [[x, y], ...] */
  BOX_EXPORT,                   /* "bounds": [[4 numbers], ...] or [[x, y], ...] */
} BoxStyle;

static gboolean invalid (GError ** error, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error,
    const char *format,
    ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;

  va_start (args, format);
  *error = g_error_new_valist (VI_ERROR, VI_ERROR_INVALID_DATA, format, args);
  va_end (args);

  return FALSE;
}

static const char *
node_kind (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      return "a number";
    default:
      return "a value";
  }
}

/* A member that is absent or null is "not given". */
static JsonNode *
get_member (JsonObject *object,
    const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING;
}

/* The text of a string node, or NULL with an error naming @path.
 * json-glib 1.6 can produce invalid UTF-8 from some escapes (a lone low
 * surrogate), so the unescaped text is checked again. */
static const char *
node_get_text (JsonNode *node,
    const char *path,
    const char *expected,
    GError **error)
{
  const char *value;

  if (!node_is_string (node)) {
    invalid (error, "%s is %s, not %s", path, node_kind (node), expected);
    return NULL;
  }
  value = json_node_get_string (node);
  if (value == NULL)
    value = "";
  if (!g_utf8_validate (value, -1, NULL)) {
    invalid (error, "%s is not valid UTF-8 once unescaped", path);
    return NULL;
  }
  return value;
}

static gboolean
node_get_number (JsonNode *node,
    double *value)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      *value = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
  }
}

/* For messages: the shortest form that reads back the same ("1.5", not
 * "1.5000000000000000"). */
static char *
format_number (double value)
{
  GString *out = g_string_new (NULL);

  _vi_json_append_number (out, value);
  return g_string_free (out, FALSE);
}

/* Reads one coordinate at @path[@index]: a finite number in [0, 1]. */
static gboolean
parse_coordinate (JsonNode *node,
    const char *path,
    guint index,
    double *value,
    GError **error)
{
  if (!node_get_number (node, value))
    return invalid (error, "%s[%u] is %s, not a number", path, index,
        node_kind (node));

  if (!isfinite (*value))
    return invalid (error, "%s[%u] is not a finite number", path, index);

  if (*value < 0.0 || *value > 1.0) {
    g_autofree char *shown = format_number (*value);

    return invalid (error, "%s[%u]: %s is outside [0, 1]", path, index,
        shown);
  }

  return TRUE;
}

static gboolean
check_box_order (const ViBBox *box,
    const char *path,
    GError **error)
{
  if (box->x_min >= box->x_max) {
    g_autofree char *a = format_number (box->x_min);
    g_autofree char *b = format_number (box->x_max);

    return invalid (error, "%s: x_min (%s) >= x_max (%s)", path, a, b);
  }
  if (box->y_min >= box->y_max) {
    g_autofree char *a = format_number (box->y_min);
    g_autofree char *b = format_number (box->y_max);

    return invalid (error, "%s: y_min (%s) >= y_max (%s)", path, a, b);
  }
  return TRUE;
}

/* Four numbers, x_min, y_min, x_max, y_max; @node is known to be an array. */
static gboolean
parse_four_numbers (JsonArray *array,
    const char *path,
    ViBBox *out,
    GError **error)
{
  double v[4];
  guint i;

  if (json_array_get_length (array) != 4)
    return invalid (error,
        "%s is not an array of 4 numbers (it has %u elements)", path,
        json_array_get_length (array));

  for (i = 0; i < 4; i++)
    if (!parse_coordinate (json_array_get_element (array, i), path, i, &v[i],
            error))
      return FALSE;

  out->x_min = v[0];
  out->y_min = v[1];
  out->x_max = v[2];
  out->y_max = v[3];

  return check_box_order (out, path, error);
}

/* A list of [x, y] corner points: the box around them. */
static gboolean
parse_corner_points (JsonArray *array,
    const char *path,
    ViBBox *out,
    GError **error)
{
  guint n = json_array_get_length (array);
  g_autofree double *points = NULL;
  guint i;

  if (n == 0)
    return invalid (error, "%s is empty", path);

  points = g_new (double, 2 * (gsize) n);
  for (i = 0; i < n; i++) {
    JsonNode *pt = json_array_get_element (array, i);
    g_autofree char *pt_path = g_strdup_printf ("%s[%u]", path, i);
    JsonArray *pair;

    if (!JSON_NODE_HOLDS_ARRAY (pt)
        || json_array_get_length (json_node_get_array (pt)) != 2)
      return invalid (error, "%s is not an [x, y] point", pt_path);

    pair = json_node_get_array (pt);
    if (!parse_coordinate (json_array_get_element (pair, 0), pt_path, 0,
            &points[2 * i], error)
        || !parse_coordinate (json_array_get_element (pair, 1), pt_path, 1,
            &points[2 * i + 1], error))
      return FALSE;
  }

  if (!vi_bbox_from_bound (points, n, out))
    return invalid (error, "%s is not a list of points", path);

  return check_box_order (out, path, error);
}

/* A box given as 4 numbers or as a list of corner points. */
static gboolean
parse_box_or_points (JsonNode *node,
    const char *path,
    gboolean allow_points,
    ViBBox *out,
    GError **error)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "%s is %s, not an array of 4 numbers", path,
        node_kind (node));

  array = json_node_get_array (node);
  if (allow_points && json_array_get_length (array) > 0
      && JSON_NODE_HOLDS_ARRAY (json_array_get_element (array, 0)))
    return parse_corner_points (array, path, out, error);

  return parse_four_numbers (array, path, out, error);
}

/* The export form's "bounds": a list of boxes of 4 numbers (each a phrase
 * entry of its own), or a list of [x, y] corners making one box. */
static gboolean
parse_export_bounds (ViJsonlRecord *record,
    const char *phrase,
    JsonNode *node,
    const char *path,
    GError **error)
{
  JsonArray *array;
  guint n, i, n_points = 0;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "%s is %s, not a list of boxes", path,
        node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0)
    return invalid (error, "%s is empty", path);

  for (i = 0; i < n; i++) {
    JsonNode *inner = json_array_get_element (array, i);
    guint len;

    if (!JSON_NODE_HOLDS_ARRAY (inner))
      return invalid (error, "%s[%u] is %s, not a list of numbers", path, i,
          node_kind (inner));
    len = json_array_get_length (json_node_get_array (inner));
    if (len == 2)
      n_points++;
    else if (len != 4)
      return invalid (error,
          "%s[%u] has %u numbers: expected a box of 4 or a point of 2",
          path, i, len);
  }

  if (n_points == n) {
    ViBBox box;

    if (!parse_corner_points (array, path, &box, error))
      return FALSE;
    vi_jsonl_record_add_phrase (record, phrase, &box);
    return TRUE;
  }

  if (n_points != 0)
    return invalid (error, "%s mixes boxes of 4 numbers and [x, y] points",
        path);

  for (i = 0; i < n; i++) {
    g_autofree char *inner_path = g_strdup_printf ("%s[%u]", path, i);
    ViBBox box;

    if (!parse_four_numbers (json_node_get_array (json_array_get_element
                (array, i)), inner_path, &box, error))
      return FALSE;
    vi_jsonl_record_add_phrase (record, phrase, &box);
  }

  return TRUE;
}

static gboolean
parse_phrases (ViJsonlRecord *record,
    JsonNode *node,
    const char *path,
    BoxStyle style,
    GError **error)
{
  JsonArray *array;
  guint n, i;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "%s is %s, not an array", path, node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (i = 0; i < n; i++) {
    JsonNode *entry = json_array_get_element (array, i);
    g_autofree char *entry_path = g_strdup_printf ("%s[%u]", path, i);
    g_autofree char *box_path = NULL;
    g_autofree char *phrase_path = NULL;
    JsonObject *object;
    JsonNode *phrase_node, *box_node;
    const char *phrase, *box_key;
    ViBBox box;

    if (!JSON_NODE_HOLDS_OBJECT (entry))
      return invalid (error, "%s is %s, not an object", entry_path,
          node_kind (entry));
    object = json_node_get_object (entry);

    phrase_node = get_member (object, "phrase");
    if (phrase_node == NULL)
      return invalid (error, "%s.phrase is missing", entry_path);
    phrase_path = g_strconcat (entry_path, ".phrase", NULL);
    phrase = node_get_text (phrase_node, phrase_path, "a string", error);
    if (phrase == NULL)
      return FALSE;
    if (*phrase == '\0')
      return invalid (error, "%s is empty", phrase_path);

    switch (style) {
      case BOX_FLAT:
        box_key = "bbox";
        box_node = get_member (object, box_key);
        break;
      case BOX_NESTED:
        box_key = "bound";
        box_node = get_member (object, box_key);
        if (box_node == NULL && get_member (object, "bbox") != NULL) {
          box_key = "bbox";
          box_node = get_member (object, box_key);
        }
        break;
      case BOX_EXPORT:
      default:
        box_key = "bounds";
        box_node = get_member (object, box_key);
        break;
    }

    box_path = g_strdup_printf ("%s.%s", entry_path, box_key);
    if (box_node == NULL)
      return invalid (error, "%s is missing", box_path);

    if (style == BOX_EXPORT) {
      if (!parse_export_bounds (record, phrase, box_node, box_path, error))
        return FALSE;
    } else {
      if (!parse_box_or_points (box_node, box_path, style == BOX_NESTED,
              &box, error))
        return FALSE;
      vi_jsonl_record_add_phrase (record, phrase, &box);
    }
  }

  return TRUE;
}

static gboolean
get_string_member (JsonObject *object,
    const char *name,
    const char *path,
    gboolean required,
    const char **value,
    GError **error)
{
  JsonNode *node = get_member (object, name);

  *value = NULL;
  if (node == NULL) {
    if (required)
      return invalid (error, "%s is missing", path);
    return TRUE;
  }
  *value = node_get_text (node, path, "a string", error);
  return *value != NULL;
}

static gboolean
parse_interactions (ViJsonlRecord *record,
    JsonNode *node,
    const char *path,
    GError **error)
{
  JsonArray *array;
  guint n, i;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "%s is %s, not an array", path, node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (i = 0; i < n; i++) {
    JsonNode *entry = json_array_get_element (array, i);
    g_autofree char *entry_path = g_strdup_printf ("%s[%u]", path, i);
    g_autofree char *q_path = NULL;
    g_autofree char *a_path = NULL;
    JsonObject *object;
    JsonNode *order_node;
    const char *question, *answer;
    int order = (int) record->interactions->len;

    if (!JSON_NODE_HOLDS_OBJECT (entry))
      return invalid (error, "%s is %s, not an object", entry_path,
          node_kind (entry));
    object = json_node_get_object (entry);

    q_path = g_strconcat (entry_path, ".question", NULL);
    a_path = g_strconcat (entry_path, ".answer", NULL);
    if (!get_string_member (object, "question", q_path, TRUE, &question,
            error)
        || !get_string_member (object, "answer", a_path, TRUE, &answer,
            error))
      return FALSE;

    order_node = get_member (object, "order");
    if (order_node != NULL) {
      if (!JSON_NODE_HOLDS_VALUE (order_node)
          || json_node_get_value_type (order_node) != G_TYPE_INT64)
        return invalid (error, "%s.order is %s, not an integer", entry_path,
            node_kind (order_node));
      if (json_node_get_int (order_node) < 0
          || json_node_get_int (order_node) > G_MAXINT)
        return invalid (error, "%s.order is out of range", entry_path);
      order = (int) json_node_get_int (order_node);
    }

    record_append_interaction (record, question, answer, order);
  }

  return TRUE;
}

static gboolean
check_asset_id (JsonNode *node,
    const char *path,
    GError **error)
{
  const char *value = node_get_text (node, path, "a non-empty string",
      error);

  if (value == NULL)
    return FALSE;
  if (*value == '\0')
    return invalid (error, "%s is an empty string", path);
  return TRUE;
}

static gboolean
check_something_to_import (ViJsonlRecord *record,
    GError **error)
{
  if (record->caption == NULL && record->phrases->len == 0 &&
      record->interactions->len == 0)
    return invalid (error, "nothing to import: no caption, grounded phrases "
        "or interactions");

  if (record->caption == NULL && record->phrases->len > 0)
    return invalid (error, "grounded phrases without a caption");

  return TRUE;
}

/* The dataset export form: contents.type is PhraseGrounding or Vqa. */
static ViJsonlRecord *
parse_export (JsonObject *root,
    JsonObject *contents,
    JsonNode *type_node,
    GError **error)
{
  g_autoptr (ViJsonlRecord) record = NULL;
  JsonNode *asset_id_node;
  const char *type, *asset_id;
  const char *id, *caption;
  JsonNode *node;

  type = node_get_text (type_node, "contents.type", "a string", error);
  if (type == NULL)
    return NULL;
  if (strcmp (type, "PhraseGrounding") != 0 && strcmp (type, "Vqa") != 0) {
    g_autofree char *shown = shorten (type, 40);

    invalid (error, "unknown contents.type \"%s\" (expected PhraseGrounding "
        "or Vqa)", shown);
    return NULL;
  }

  asset_id_node = get_member (root, "asset_id");
  if (asset_id_node != NULL) {
    if (!check_asset_id (asset_id_node, "asset_id", error))
      return NULL;
    asset_id = json_node_get_string (asset_id_node);
  } else {
    JsonNode *asset = get_member (root, "asset");
    JsonNode *filename;

    if (asset == NULL) {
      invalid (error, "missing asset_id (and no asset.filename)");
      return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT (asset)) {
      invalid (error, "asset is %s, not an object", node_kind (asset));
      return NULL;
    }
    filename = get_member (json_node_get_object (asset), "filename");
    if (filename == NULL) {
      invalid (error, "missing asset_id (and no asset.filename)");
      return NULL;
    }
    if (!check_asset_id (filename, "asset.filename", error))
      return NULL;
    asset_id = json_node_get_string (filename);
  }

  if (!get_string_member (root, "id", "id", FALSE, &id, error))
    return NULL;

  record = vi_jsonl_record_new (asset_id);
  record->format = VI_JSONL_FORMAT_EXPORT;
  record->format_set = TRUE;
  vi_jsonl_record_set_id (record, id);

  if (strcmp (type, "PhraseGrounding") == 0) {
    if (!get_string_member (contents, "caption", "contents.caption", FALSE,
            &caption, error))
      return NULL;
    vi_jsonl_record_set_caption (record, caption);

    node = get_member (contents, "groundedPhrases");
    if (node != NULL && !parse_phrases (record, node,
            "contents.groundedPhrases", BOX_EXPORT, error))
      return NULL;
  } else {
    node = get_member (contents, "interactions");
    if (node == NULL) {
      invalid (error, "contents.interactions is missing");
      return NULL;
    }
    if (!parse_interactions (record, node, "contents.interactions", error))
      return NULL;
  }

  if (!check_something_to_import (record, error))
    return NULL;

  return g_steal_pointer (&record);
}

/* The upload forms: flat, nested, VQA, or a mix (flat caption and phrases
 * with contents.interactions). */
static ViJsonlRecord *
parse_upload (JsonObject *root,
    JsonObject *contents,
    GError **error)
{
  g_autoptr (ViJsonlRecord) record = NULL;
  JsonNode *asset_id_node;
  JsonNode *caption_node, *c_caption_node;
  JsonNode *phrases_node, *c_phrases_node;
  JsonNode *interactions_node, *question_node, *answer_node;
  const char *id, *caption = NULL;

  asset_id_node = get_member (root, "asset_id");
  if (asset_id_node == NULL) {
    invalid (error, "missing asset_id");
    return NULL;
  }
  if (!check_asset_id (asset_id_node, "asset_id", error))
    return NULL;

  if (!get_string_member (root, "id", "id", FALSE, &id, error))
    return NULL;

  caption_node = get_member (root, "caption");
  c_caption_node = get_member (contents, "caption");
  phrases_node = get_member (root, "grounded_phrases");
  c_phrases_node = get_member (contents, "grounded_phrases");
  interactions_node = get_member (contents, "interactions");
  question_node = get_member (contents, "question");
  answer_node = get_member (contents, "answer");

  if (caption_node != NULL && c_caption_node != NULL) {
    invalid (error, "both caption and contents.caption are given");
    return NULL;
  }
  if (phrases_node != NULL && c_phrases_node != NULL) {
    invalid (error, "both grounded_phrases and contents.grounded_phrases "
        "are given");
    return NULL;
  }

  record = vi_jsonl_record_new (json_node_get_string (asset_id_node));
  vi_jsonl_record_set_id (record, id);
  record->format_set = TRUE;
  if (caption_node != NULL || phrases_node != NULL)
    record->format = VI_JSONL_FORMAT_FLAT;
  else if (c_caption_node != NULL || c_phrases_node != NULL)
    record->format = VI_JSONL_FORMAT_NESTED;
  else if (interactions_node != NULL || question_node != NULL
      || answer_node != NULL)
    record->format = VI_JSONL_FORMAT_VQA;
  else
    record->format = VI_JSONL_FORMAT_FLAT;

  if (caption_node != NULL) {
    if (!get_string_member (root, "caption", "caption", FALSE, &caption,
            error))
      return NULL;
  } else if (c_caption_node != NULL) {
    if (!get_string_member (contents, "caption", "contents.caption", FALSE,
            &caption, error))
      return NULL;
  }
  vi_jsonl_record_set_caption (record, caption);

  if (phrases_node != NULL && !parse_phrases (record, phrases_node,
          "grounded_phrases", BOX_FLAT, error))
    return NULL;
  if (c_phrases_node != NULL && !parse_phrases (record, c_phrases_node,
          "contents.grounded_phrases", BOX_NESTED, error))
    return NULL;

  if (interactions_node != NULL && !parse_interactions (record,
          interactions_node, "contents.interactions", error))
    return NULL;

  if (question_node != NULL || answer_node != NULL) {
    const char *question, *answer;

    if (!get_string_member (contents, "question", "contents.question", TRUE,
            &question, error)
        || !get_string_member (contents, "answer", "contents.answer", TRUE,
            &answer, error))
      return NULL;
    record_append_interaction (record, question, answer,
        (int) record->interactions->len);
  }

  if (!check_something_to_import (record, error))
    return NULL;

  return g_steal_pointer (&record);
}

/* What a line that does not start with '{' holds, for the message. */
static const char *
guess_kind (char c)
{
  switch (c) {
    case '[':
      return "an array";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      if (c == '-' || g_ascii_isdigit (c))
        return "a number";
      return NULL;
  }
}

/* Checks what json-glib 1.6 does not, before it sees the line:
 *
 * - the line is one object and nothing follows it (json-glib accepts
 *   several values, "{} {}", and leaks memory doing so);
 * - no comments or single-quoted strings (json-glib accepts both; they
 *   would also hide where the object ends from this scan);
 * - nesting depth (json-glib's parser recurses without limit).
 *
 * Outside strings, strict JSON has only structural characters, numbers,
 * literals and whitespace, so anything else is refused here. */
static gboolean
check_json_structure (const char *line,
    gsize length,
    GError **error)
{
  gsize i = 0;
  guint depth = 0;
  gboolean in_string = FALSE, escaped = FALSE, ended = FALSE;

  while (i < length && g_ascii_isspace (line[i]))
    i++;
  if (i < length && line[i] != '{') {
    const char *kind = guess_kind (line[i]);

    if (kind != NULL)
      return invalid (error, "line is not a JSON object (it is %s)", kind);
    return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
        ": unexpected character", i + 1);
  }

  for (; i < length; i++) {
    char c = line[i];

    if (in_string) {
      if (escaped) {
        /* json-glib also takes GScanner's octal escapes ("\\274"), which
         * make bytes that are not UTF-8. */
        if (strchr ("\"\\/bfnrtu", c) == NULL || c == '\0')
          return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
              ": invalid escape in a string", i + 1);
        /* json-glib would silently cut the string at a NUL. */
        if (c == 'u' && length - i > 4 && memcmp (line + i + 1, "0000", 4) == 0)
          return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
              ": \\u0000 (NUL) in a string", i);
        escaped = FALSE;
      } else if (c == '\\') {
        escaped = TRUE;
      } else if (c == '"') {
        in_string = FALSE;
      }
      continue;
    }

    if (g_ascii_isspace (c))
      continue;

    if (ended)
      return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
          ": unexpected data after the end of the object", i + 1);

    switch (c) {
      case '"':
        in_string = TRUE;
        break;
      case '{':
      case '[':
        if (++depth > MAX_JSON_DEPTH)
          return invalid (error, "invalid JSON: nested deeper than %d levels",
              MAX_JSON_DEPTH);
        break;
      case '}':
      case ']':
        if (depth > 0 && --depth == 0)
          ended = TRUE;
        break;
      case ',':
      case ':':
      case '-':
      case '+':
      case '.':
        break;
      default:
        if (g_ascii_isalnum (c))
          break;
        if (g_ascii_isgraph (c))
          return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
              ": unexpected character '%c'", i + 1, c);
        return invalid (error, "invalid JSON at byte %" G_GSIZE_FORMAT
            ": unexpected byte 0x%02X", i + 1, (guint) (guchar) c);
    }
  }

  return TRUE;
}

static gboolean
is_blank (const char *line,
    gsize length)
{
  gsize i;

  for (i = 0; i < length; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The writer's own lines, fast                                             */
/* ------------------------------------------------------------------------ */

/* vi_jsonl_record_to_line() writes one exact layout; reading those lines
 * (the local server importing what libvi uploads, viannotsrc reading what
 * viannotsink wrote) is most of what is read.  A plain scan takes them
 * apart without json-glib's tree, several times faster.  It accepts only
 * that layout with nothing unusual in it (no whitespace, escape, exponent,
 * sign, other member, bad value) and otherwise gives up, leaving the line
 * to the general parser, which also says what is wrong with a bad one:
 * whatever it accepts, the general parser would read the same way. */

typedef struct
{
  const char *p;
  const char *end;
} Scan;

static gboolean
scan_literal (Scan *s,
    const char *literal)
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

/* A number in [0, 1] as the writer writes it: 0|[1-9][0-9]*, then maybe
 * a fraction.  While its digits make an integer m below 2^53 and it has
 * k <= 22 decimals, m / 10^k is a correctly rounded division of exact
 * values: the double strtod() gives; otherwise strtod() itself. */
static gboolean
scan_coordinate (Scan *s,
    double *value)
{
  static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
    1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22 };
  const guint64 limit = (G_GUINT64_CONSTANT (1) << 53) / 10;
  const char *start = s->p;
  gboolean exact = TRUE, fraction = FALSE;
  guint64 m = 0;
  guint k = 0;

  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return FALSE;
  if (*s->p == '0' && s->p + 1 < s->end && g_ascii_isdigit (s->p[1]))
    return FALSE;
  for (; s->p < s->end; s->p++) {
    if (*s->p == '.' && !fraction) {
      fraction = TRUE;
      if (s->p + 1 >= s->end || !g_ascii_isdigit (s->p[1]))
        return FALSE;
      continue;
    }
    if (!g_ascii_isdigit (*s->p))
      break;
    if (m >= limit)
      exact = FALSE;
    if (exact) {
      m = m * 10 + (guint64) (*s->p - '0');
      if (fraction)
        k++;
    }
  }
  if (exact && k < G_N_ELEMENTS (pow10)) {
    *value = (double) m / pow10[k];
  } else {
    char buf[64];

    if ((gsize) (s->p - start) >= sizeof buf)
      return FALSE;
    memcpy (buf, start, s->p - start);
    buf[s->p - start] = '\0';
    *value = g_ascii_strtod (buf, NULL);
  }
  return *value >= 0.0 && *value <= 1.0;
}

static gboolean
scan_phrases (Scan *s,
    ViJsonlRecord *record)
{
  if (!scan_literal (s, "[{\"phrase\":"))
    return FALSE;
  for (;;) {
    g_autofree char *phrase = scan_string (s);
    ViBBox box;

    if (phrase == NULL || *phrase == '\0' ||
        !scan_literal (s, ",\"bbox\":[") ||
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
scan_interactions (Scan *s,
    ViJsonlRecord *record)
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
    record_append_interaction (record, question, answer,
        (int) record->interactions->len);
    if (scan_literal (s, "]"))
      return TRUE;
    if (!scan_literal (s, ",{\"question\":"))
      return FALSE;
  }
}

/* The record of a line in the writer's layout, or NULL (no error) for the
 * general parser to take; @line is valid UTF-8. */
static ViJsonlRecord *
parse_written_line (const char *line,
    gsize length)
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
  if (scan_literal (&s, ",\"grounded_phrases\":") &&
      !scan_phrases (&s, record))
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
  if (record->caption == NULL && (record->phrases->len > 0 ||
          record->interactions->len == 0))
    return NULL;
  if (!vi_jsonl_record_compute_spans (record, NULL))
    return NULL;

  return g_steal_pointer (&record);
}

static ViJsonlRecord *
parse_line_with (JsonParser *parser,
    const char *line,
    gsize length,
    GError **error)
{
  g_autoptr (GError) json_error = NULL;
  g_autoptr (ViJsonlRecord) record = NULL;
  const char *end = NULL;
  JsonNode *root;
  JsonObject *object, *contents = NULL;
  JsonNode *contents_node, *type_node;

  if (!g_utf8_validate (line, length, &end)) {
    if (end != NULL && end < line + length && *end == '\0')
      invalid (error, "NUL byte at byte %" G_GSIZE_FORMAT,
          (gsize) (end - line) + 1);
    else
      invalid (error, "invalid UTF-8 at byte %" G_GSIZE_FORMAT,
          (gsize) (end - line) + 1);
    return NULL;
  }

  if (is_blank (line, length)) {
    invalid (error, "empty line");
    return NULL;
  }

  record = parse_written_line (line, length);
  if (record != NULL)
    return g_steal_pointer (&record);

  if (!check_json_structure (line, length, error))
    return NULL;

  if (!json_parser_load_from_data (parser, line, (gssize) length,
          &json_error)) {
    const char *msg = json_error->message;

    /* json-glib says "<data>:1:COLUMN: Parse error: ..."; the line is
     * given by the caller, so only the column is kept. */
    if (g_str_has_prefix (msg, "<data>:1:")) {
      const char *col = msg + strlen ("<data>:1:");
      const char *colon = strchr (col, ':');

      if (colon != NULL && colon > col) {
        invalid (error, "invalid JSON at column %.*s:%s", (int) (colon - col),
            col, colon + 1);
        return NULL;
      }
    }
    invalid (error, "invalid JSON: %s", msg);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL) {
    invalid (error, "empty line");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    invalid (error, "line is not a JSON object (it is %s)", node_kind (root));
    return NULL;
  }
  object = json_node_get_object (root);

  contents_node = get_member (object, "contents");
  if (contents_node != NULL) {
    if (!JSON_NODE_HOLDS_OBJECT (contents_node)) {
      invalid (error, "contents is %s, not an object",
          node_kind (contents_node));
      return NULL;
    }
    contents = json_node_get_object (contents_node);
  }

  type_node = get_member (contents, "type");
  if (type_node != NULL)
    record = parse_export (object, contents, type_node, error);
  else
    record = parse_upload (object, contents, error);

  if (record == NULL)
    return NULL;

  if (!vi_jsonl_record_compute_spans (record, error))
    return NULL;

  return g_steal_pointer (&record);
}

/* Drops a UTF-8 byte order mark at the start and a CR at the end. */
static void
trim_line (const char **line,
    gsize *length,
    gboolean strip_bom)
{
  if (strip_bom && *length >= 3 && memcmp (*line, "\xEF\xBB\xBF", 3) == 0) {
    *line += 3;
    *length -= 3;
  }
  if (*length > 0 && (*line)[*length - 1] == '\r')
    *length -= 1;
}

/**
 * vi_jsonl_parse_line:
 * @line: one line, without its newline
 * @length: its length in bytes, or -1 if it is nul-terminated
 * @error: return location for a #GError
 *
 * Parses one line with the same rules as #ViJsonlReader (a trailing CR and
 * a leading byte order mark are tolerated) and computes the spans of its
 * grounded phrases.  The error message is the reason alone, without a file
 * name or line number.
 *
 * Returns: (transfer full) (nullable): the record, or %NULL with
 * %VI_ERROR_INVALID_DATA
 */
ViJsonlRecord *
vi_jsonl_parse_line (const char *line,
    gssize length,
    GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  gsize len;

  g_return_val_if_fail (line != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (line == NULL)
    line = "";
  len = length < 0 ? strlen (line) : (gsize) length;
  trim_line (&line, &len, TRUE);

  parser = json_parser_new ();
  return parse_line_with (parser, line, len, error);
}

/* ------------------------------------------------------------------------ */
/* ViJsonlReader                                                            */
/* ------------------------------------------------------------------------ */

/**
 * ViJsonlReader:
 *
 * Reads a JSONL annotation file one line at a time; memory use is bounded
 * by the maximum line length whatever the size of the file.
 */
struct _ViJsonlReader
{
  GObject parent_instance;

  GInputStream *stream;
  char *name;
  ViJsonlErrorMode error_mode;
  gsize max_line_length;

  JsonParser *parser;

  guint8 *buf;
  gsize buf_pos;
  gsize buf_len;
  gboolean eof;
  GByteArray *line;

  guint line_number;
  guint n_records;
  guint n_bad_lines;
  GPtrArray *bad_lines;         /* GError */
};

G_DEFINE_FINAL_TYPE (ViJsonlReader, vi_jsonl_reader, G_TYPE_OBJECT)

static void
vi_jsonl_reader_finalize (GObject *object)
{
  ViJsonlReader *self = VI_JSONL_READER (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->parser);
  g_free (self->name);
  g_free (self->buf);
  g_byte_array_unref (self->line);
  g_ptr_array_unref (self->bad_lines);

  G_OBJECT_CLASS (vi_jsonl_reader_parent_class)->finalize (object);
}

static void
vi_jsonl_reader_class_init (ViJsonlReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vi_jsonl_reader_finalize;
}

static void
vi_jsonl_reader_init (ViJsonlReader *self)
{
  self->error_mode = VI_JSONL_ERROR_MODE_SKIP;
  self->max_line_length = DEFAULT_MAX_LINE_LENGTH;
  self->parser = json_parser_new ();
  self->buf = g_malloc (READ_CHUNK_SIZE);
  self->line = g_byte_array_new ();
  self->bad_lines = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_error_free);
}

/**
 * vi_jsonl_reader_new:
 * @stream: the stream to read
 * @name: (nullable): the name used in error messages (a file name), or
 *   %NULL for "<stream>"
 *
 * Creates a reader over @stream.  Bad lines are skipped by default
 * (%VI_JSONL_ERROR_MODE_SKIP) and lines may be up to 4 MiB long.
 *
 * Returns: (transfer full): a new #ViJsonlReader
 */
ViJsonlReader *
vi_jsonl_reader_new (GInputStream *stream,
    const char *name)
{
  ViJsonlReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (VI_TYPE_JSONL_READER, NULL);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (name != NULL ? name : DEFAULT_STREAM_NAME);

  return self;
}

/**
 * vi_jsonl_reader_new_for_path:
 * @path: (type filename): the file to read
 * @error: return location for a #GError
 *
 * Opens @path for reading; @path is the name used in error messages.
 *
 * Returns: (transfer full) (nullable): a new #ViJsonlReader, or %NULL with a
 * #GIOError if the file cannot be opened
 */
ViJsonlReader *
vi_jsonl_reader_new_for_path (const char *path,
    GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;

  display = g_filename_display_name (path);
  return vi_jsonl_reader_new (G_INPUT_STREAM (stream), display);
}

/**
 * vi_jsonl_reader_set_error_mode:
 * @reader: a #ViJsonlReader
 * @mode: what to do with bad lines
 *
 * Sets what vi_jsonl_reader_next() does with a bad line.
 */
void
vi_jsonl_reader_set_error_mode (ViJsonlReader *reader,
    ViJsonlErrorMode mode)
{
  g_return_if_fail (VI_IS_JSONL_READER (reader));
  g_return_if_fail (mode <= VI_JSONL_ERROR_MODE_FAIL);

  reader->error_mode = mode;
}

/**
 * vi_jsonl_reader_get_error_mode:
 * @reader: a #ViJsonlReader
 *
 * Returns: what the reader does with bad lines
 */
ViJsonlErrorMode
vi_jsonl_reader_get_error_mode (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), VI_JSONL_ERROR_MODE_SKIP);

  return reader->error_mode;
}

/**
 * vi_jsonl_reader_set_max_line_length:
 * @reader: a #ViJsonlReader
 * @max_length: the longest line accepted, in bytes without the newline
 *
 * Longer lines are bad lines: the reader discards them without keeping
 * them in memory and goes on with the next line.  The newline, and a CR
 * before it, do not count.  The default is 4 MiB.
 */
void
vi_jsonl_reader_set_max_line_length (ViJsonlReader *reader,
    gsize max_length)
{
  g_return_if_fail (VI_IS_JSONL_READER (reader));
  g_return_if_fail (max_length > 0);

  /* A line is held in a GByteArray, whose length is a guint. */
  reader->max_line_length = MIN (max_length, (gsize) G_MAXINT);
}

typedef enum
{
  READ_LINE,
  READ_EOF,
  READ_ERROR,
} ReadStatus;

/* Reads the next physical line (without its '\n') into reader->line.  A
 * line longer than the limit is dropped as it is read and *too_long set. */
static ReadStatus
read_line (ViJsonlReader *self,
    gboolean *too_long,
    GCancellable *cancellable,
    GError **error)
{
  gboolean got_any = FALSE;

  g_byte_array_set_size (self->line, 0);
  *too_long = FALSE;

  for (;;) {
    const guint8 *start, *newline;
    gsize chunk;

    if (self->buf_pos == self->buf_len) {
      gssize n;

      if (self->eof)
        break;
      n = g_input_stream_read (self->stream, self->buf, READ_CHUNK_SIZE,
          cancellable, error);
      if (n < 0)
        return READ_ERROR;
      if (n == 0) {
        self->eof = TRUE;
        break;
      }
      self->buf_pos = 0;
      self->buf_len = (gsize) n;
    }

    got_any = TRUE;
    start = self->buf + self->buf_pos;
    newline = memchr (start, '\n', self->buf_len - self->buf_pos);
    chunk = newline != NULL ? (gsize) (newline - start)
        : self->buf_len - self->buf_pos;

    /* One byte more than the limit is kept, for a CR before the LF. */
    if (!*too_long) {
      if (chunk > self->max_line_length + 1 - self->line->len) {
        *too_long = TRUE;
        g_byte_array_set_size (self->line, 0);
      } else {
        g_byte_array_append (self->line, start, (guint) chunk);
      }
    }

    self->buf_pos += chunk;
    if (newline != NULL) {
      self->buf_pos++;
      break;
    }
  }

  if (!got_any)
    return READ_EOF;

  if (!*too_long && self->line->len > self->max_line_length &&
      self->line->data[self->line->len - 1] != '\r') {
    *too_long = TRUE;
    g_byte_array_set_size (self->line, 0);
  }

  return READ_LINE;
}

/* Decides the fate of a bad line; returns TRUE if reading goes on. */
static gboolean
handle_bad_line (ViJsonlReader *self,
    GError *bad,
    GError **error)
{
  g_prefix_error (&bad, "%s:%u: ", self->name, self->line_number);
  vi_error_set_file_details (bad, self->name, self->line_number);

  self->n_bad_lines++;
  if (self->bad_lines->len < MAX_KEPT_BAD_LINES)
    g_ptr_array_add (self->bad_lines, g_error_copy (bad));

  switch (self->error_mode) {
    case VI_JSONL_ERROR_MODE_FAIL:
      g_propagate_error (error, bad);
      return FALSE;
    case VI_JSONL_ERROR_MODE_WARN:
      g_warning ("%s", bad->message);
      break;
    case VI_JSONL_ERROR_MODE_SKIP:
    default:
      break;
  }

  g_error_free (bad);
  return TRUE;
}

/**
 * vi_jsonl_reader_next:
 * @reader: a #ViJsonlReader
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads lines until one gives a record.  Blank lines are skipped; bad lines
 * are handled as the error mode says.  With %VI_JSONL_ERROR_MODE_FAIL a bad
 * line gives %NULL and a %VI_ERROR_INVALID_DATA error whose message starts
 * with "name:line: " (see vi_error_get_location() and vi_error_get_line());
 * a later call goes on with the next line.  I/O errors and cancellation
 * always fail.
 *
 * Returns: (transfer full) (nullable): the next record, or %NULL at the end
 * of the stream (@error unset) or on error
 */
ViJsonlRecord *
vi_jsonl_reader_next (ViJsonlReader *reader,
    GCancellable *cancellable,
    GError **error)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), NULL);
  g_return_val_if_fail (cancellable == NULL
      || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (;;) {
    GError *bad = NULL;
    ViJsonlRecord *record;
    gboolean too_long;
    const char *line;
    gsize length;

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return NULL;

    switch (read_line (reader, &too_long, cancellable, error)) {
      case READ_ERROR:
        return NULL;
      case READ_EOF:
        return NULL;
      case READ_LINE:
      default:
        break;
    }
    reader->line_number++;

    if (too_long) {
      bad = g_error_new (VI_ERROR, VI_ERROR_INVALID_DATA,
          "line is longer than %" G_GSIZE_FORMAT " bytes",
          reader->max_line_length);
      if (!handle_bad_line (reader, bad, error))
        return NULL;
      continue;
    }

    line = (const char *) reader->line->data;
    length = reader->line->len;
    if (line == NULL)
      line = "";
    trim_line (&line, &length, reader->line_number == 1);

    if (is_blank (line, length))
      continue;

    record = parse_line_with (reader->parser, line, length, &bad);
    if (record == NULL) {
      if (bad == NULL)
        bad = g_error_new_literal (VI_ERROR, VI_ERROR_INVALID_DATA,
            "invalid line");
      if (!handle_bad_line (reader, bad, error))
        return NULL;
      continue;
    }

    reader->n_records++;
    return record;
  }
}

/**
 * vi_jsonl_reader_get_line_number:
 * @reader: a #ViJsonlReader
 *
 * Returns: the 1-based number of the last line read, 0 before the first
 */
guint
vi_jsonl_reader_get_line_number (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->line_number;
}

/**
 * vi_jsonl_reader_get_n_records:
 * @reader: a #ViJsonlReader
 *
 * Returns: how many records vi_jsonl_reader_next() returned so far
 */
guint
vi_jsonl_reader_get_n_records (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->n_records;
}

/**
 * vi_jsonl_reader_get_n_bad_lines:
 * @reader: a #ViJsonlReader
 *
 * Returns: how many bad lines were met so far, in any error mode
 */
guint
vi_jsonl_reader_get_n_bad_lines (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), 0);

  return reader->n_bad_lines;
}

/**
 * vi_jsonl_reader_get_bad_lines:
 * @reader: a #ViJsonlReader
 *
 * The errors of the bad lines met so far, in order; only the first 1000
 * are kept (vi_jsonl_reader_get_n_bad_lines() counts them all).
 *
 * Returns: (transfer none) (element-type GError): the errors, owned by
 * @reader
 */
GPtrArray *
vi_jsonl_reader_get_bad_lines (ViJsonlReader *reader)
{
  g_return_val_if_fail (VI_IS_JSONL_READER (reader), NULL);

  return reader->bad_lines;
}

/* ------------------------------------------------------------------------ */
/* ViJsonlWriter                                                            */
/* ------------------------------------------------------------------------ */

/**
 * ViJsonlWriter:
 *
 * Writes records, one line each, with vi_jsonl_record_to_line().
 */
struct _ViJsonlWriter
{
  GObject parent_instance;

  GOutputStream *stream;        /* buffered, owns the caller's stream */
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (ViJsonlWriter, vi_jsonl_writer, G_TYPE_OBJECT)

static void
vi_jsonl_writer_dispose (GObject *object)
{
  ViJsonlWriter *self = VI_JSONL_WRITER (object);

  /* An unclosed writer flushes (and closes) when it goes away; errors
   * there are lost, so callers who care call vi_jsonl_writer_close(). */
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (vi_jsonl_writer_parent_class)->dispose (object);
}

static void
vi_jsonl_writer_class_init (ViJsonlWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vi_jsonl_writer_dispose;
}

static void
vi_jsonl_writer_init (ViJsonlWriter *self)
{
}

/**
 * vi_jsonl_writer_new:
 * @stream: the stream to write to
 *
 * Creates a writer over @stream.  Output is buffered; vi_jsonl_writer_close()
 * flushes it and closes @stream.
 *
 * Returns: (transfer full): a new #ViJsonlWriter
 */
ViJsonlWriter *
vi_jsonl_writer_new (GOutputStream *stream)
{
  ViJsonlWriter *self;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = g_object_new (VI_TYPE_JSONL_WRITER, NULL);
  self->stream = g_buffered_output_stream_new_sized (stream, 64 * 1024);

  return self;
}

/**
 * vi_jsonl_writer_new_for_path:
 * @path: (type filename): the file to write, replaced if it exists
 * @error: return location for a #GError
 *
 * Creates (or replaces) @path and returns a writer for it.  The file is
 * replaced atomically when the writer is closed.
 *
 * Returns: (transfer full) (nullable): a new #ViJsonlWriter, or %NULL with
 * a #GIOError
 */
ViJsonlWriter *
vi_jsonl_writer_new_for_path (const char *path,
    GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) stream = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
      error);
  if (stream == NULL)
    return NULL;

  return vi_jsonl_writer_new (G_OUTPUT_STREAM (stream));
}

/**
 * vi_jsonl_writer_write:
 * @writer: a #ViJsonlWriter
 * @record: the record to write
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Writes @record as one line (see vi_jsonl_record_to_line()).
 *
 * Returns: %TRUE on success, %FALSE with a #GIOError
 */
gboolean
vi_jsonl_writer_write (ViJsonlWriter *writer,
    const ViJsonlRecord *record,
    GCancellable *cancellable,
    GError **error)
{
  g_autofree char *line = NULL;
  gsize len;

  g_return_val_if_fail (VI_IS_JSONL_WRITER (writer), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->closed) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
        "The JSONL writer is closed");
    return FALSE;
  }

  line = vi_jsonl_record_to_line (record);
  len = strlen (line);

  return g_output_stream_write_all (writer->stream, line, len, NULL,
      cancellable, error)
      && g_output_stream_write_all (writer->stream, "\n", 1, NULL,
      cancellable, error);
}

/**
 * vi_jsonl_writer_close:
 * @writer: a #ViJsonlWriter
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Flushes what is buffered and closes the stream.  Closing twice is
 * harmless.
 *
 * Returns: %TRUE on success, %FALSE with a #GIOError
 */
gboolean
vi_jsonl_writer_close (ViJsonlWriter *writer,
    GCancellable *cancellable,
    GError **error)
{
  g_return_val_if_fail (VI_IS_JSONL_WRITER (writer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (writer->closed)
    return TRUE;
  writer->closed = TRUE;

  return g_output_stream_close (writer->stream, cancellable, error);
}
