/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * One line of a JSONL file into a ViJsonlRecord: every documented form
 * (the reference's flat phrase grounding, the guide's nested form, both VQA
 * forms, the export form), with a reason for each bad line.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-jsonl-private.h"
#include "vi-json-scanner.h"
#include "vi-text-private.h"

/* json-glib 1.6 parses recursively and has no nesting limit (json-glib
 * 1.9.2 added one, commit 0f30159 "Add a maximum recursion depth"); no
 * annotation line needs more than a few levels, so deeper lines are
 * refused before they reach the parser. */
#define MAX_JSON_DEPTH 64

/* How the boxes of a phrase are spelled. */
typedef enum {
  BOX_FLAT,   /* "bbox": [4 numbers] */
  BOX_NESTED, /* "bound": [4 numbers] or [[x, y], ...] */
  BOX_EXPORT, /* "bounds": [[4 numbers], ...] or [[x, y], ...] */
} BoxStyle;

gboolean
_vi_jsonl_invalid (GError **error, const char *format, ...)
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
get_member (JsonObject *object, const char *name)
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
 * surrogate; json-glib 1.9.2 refuses them, commit f2b68af "Handle invalid
 * escapes and surrogate pairs"), so the unescaped text is checked again. */
static const char *
node_get_text (JsonNode   *node,
               const char *path,
               const char *expected,
               GError    **error)
{
  const char *value;

  if (!node_is_string (node)) {
    _vi_jsonl_invalid (error, "%s is %s, not %s", path, node_kind (node),
                       expected);
    return NULL;
  }
  value = json_node_get_string (node);
  if (value == NULL)
    value = "";
  if (!g_utf8_validate (value, -1, NULL)) {
    _vi_jsonl_invalid (error, "%s is not valid UTF-8 once unescaped", path);
    return NULL;
  }
  return value;
}

static gboolean
node_get_number (JsonNode *node, double *value)
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

  vi_json_append_number (out, value);
  return g_string_free (out, FALSE);
}

/* A coordinate of a box at @path[@index]: a finite number in [0, 1]. */
static gboolean
check_coordinate (double value, const char *path, guint index, GError **error)
{
  if (!isfinite (value))
    return _vi_jsonl_invalid (error, "%s[%u] is not a finite number", path,
                              index);

  if (value < 0.0 || value > 1.0) {
    g_autofree char *shown = format_number (value);

    return _vi_jsonl_invalid (error, "%s[%u]: %s is outside [0, 1]", path,
                              index, shown);
  }

  return TRUE;
}

/* Reads one coordinate at @path[@index]. */
static gboolean
parse_coordinate (JsonNode   *node,
                  const char *path,
                  guint       index,
                  double     *value,
                  GError    **error)
{
  if (!node_get_number (node, value))
    return _vi_jsonl_invalid (error, "%s[%u] is %s, not a number", path, index,
                              node_kind (node));

  return check_coordinate (*value, path, index, error);
}

static gboolean
check_box_order (const ViBBox *box, const char *path, GError **error)
{
  if (box->x_min >= box->x_max) {
    g_autofree char *a = format_number (box->x_min);
    g_autofree char *b = format_number (box->x_max);

    return _vi_jsonl_invalid (error, "%s: x_min (%s) >= x_max (%s)", path, a,
                              b);
  }
  if (box->y_min >= box->y_max) {
    g_autofree char *a = format_number (box->y_min);
    g_autofree char *b = format_number (box->y_max);

    return _vi_jsonl_invalid (error, "%s: y_min (%s) >= y_max (%s)", path, a,
                              b);
  }
  return TRUE;
}

/* What the reader checks of a box of 4 numbers, on the box of a record. */
static gboolean
check_bbox (const ViBBox *box, const char *path, GError **error)
{
  const double v[4] = { box->x_min, box->y_min, box->x_max, box->y_max };

  for (guint i = 0; i < G_N_ELEMENTS (v); i++)
    if (!check_coordinate (v[i], path, i, error))
      return FALSE;
  return check_box_order (box, path, error);
}

/* Four numbers, x_min, y_min, x_max, y_max; @node is known to be an array. */
static gboolean
parse_four_numbers (JsonArray  *array,
                    const char *path,
                    ViBBox     *out,
                    GError    **error)
{
  double v[4];
  guint  i;

  if (json_array_get_length (array) != 4)
    return _vi_jsonl_invalid (error,
                              "%s is not an array of 4 numbers (it has %u elements)",
                              path, json_array_get_length (array));

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
parse_corner_points (JsonArray  *array,
                     const char *path,
                     ViBBox     *out,
                     GError    **error)
{
  guint              n = json_array_get_length (array);
  g_autofree double *points = NULL;
  guint              i;

  if (n == 0)
    return _vi_jsonl_invalid (error, "%s is empty", path);

  points = g_new (double, 2 * (gsize) n);
  for (i = 0; i < n; i++) {
    JsonNode        *pt = json_array_get_element (array, i);
    g_autofree char *pt_path = g_strdup_printf ("%s[%u]", path, i);
    JsonArray       *pair;

    if (!JSON_NODE_HOLDS_ARRAY (pt) ||
        json_array_get_length (json_node_get_array (pt)) != 2)
      return _vi_jsonl_invalid (error, "%s is not an [x, y] point", pt_path);

    pair = json_node_get_array (pt);
    if (!parse_coordinate (json_array_get_element (pair, 0), pt_path, 0,
                           &points[2 * i], error) ||
        !parse_coordinate (json_array_get_element (pair, 1), pt_path, 1,
                           &points[2 * i + 1], error))
      return FALSE;
  }

  if (!vi_bbox_from_bound (points, n, out))
    return _vi_jsonl_invalid (error, "%s is not a list of points", path);

  return check_box_order (out, path, error);
}

/* A box given as 4 numbers or as a list of corner points. */
static gboolean
parse_box_or_points (JsonNode   *node,
                     const char *path,
                     gboolean    allow_points,
                     ViBBox     *out,
                     GError    **error)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return _vi_jsonl_invalid (error, "%s is %s, not an array of 4 numbers",
                              path, node_kind (node));

  array = json_node_get_array (node);
  if (allow_points && json_array_get_length (array) > 0 &&
      JSON_NODE_HOLDS_ARRAY (json_array_get_element (array, 0)))
    return parse_corner_points (array, path, out, error);

  return parse_four_numbers (array, path, out, error);
}

/* The export form's "bounds": a list of boxes of 4 numbers (each a phrase
 * entry of its own), or a list of [x, y] corners making one box. */
static gboolean
parse_export_bounds (ViJsonlRecord *record,
                     const char    *phrase,
                     JsonNode      *node,
                     const char    *path,
                     GError       **error)
{
  JsonArray *array;
  guint      n, i, n_points = 0;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return _vi_jsonl_invalid (error, "%s is %s, not a list of boxes", path,
                              node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0)
    return _vi_jsonl_invalid (error, "%s is empty", path);

  for (i = 0; i < n; i++) {
    JsonNode *inner = json_array_get_element (array, i);
    guint     len;

    if (!JSON_NODE_HOLDS_ARRAY (inner))
      return _vi_jsonl_invalid (error, "%s[%u] is %s, not a list of numbers",
                                path, i, node_kind (inner));
    len = json_array_get_length (json_node_get_array (inner));
    if (len == 2)
      n_points++;
    else if (len != 4)
      return _vi_jsonl_invalid (
          error, "%s[%u] has %u numbers: expected a box of 4 or a point of 2",
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
    return _vi_jsonl_invalid (error,
                              "%s mixes boxes of 4 numbers and [x, y] points",
                              path);

  for (i = 0; i < n; i++) {
    g_autofree char *inner_path = g_strdup_printf ("%s[%u]", path, i);
    ViBBox           box;

    if (!parse_four_numbers (json_node_get_array (
                                 json_array_get_element (array, i)),
                             inner_path, &box, error))
      return FALSE;
    vi_jsonl_record_add_phrase (record, phrase, &box);
  }

  return TRUE;
}

static gboolean
parse_phrases (ViJsonlRecord *record,
               JsonNode      *node,
               const char    *path,
               BoxStyle       style,
               GError       **error)
{
  JsonArray *array;
  guint      n, i;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return _vi_jsonl_invalid (error, "%s is %s, not an array", path,
                              node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (i = 0; i < n; i++) {
    JsonNode        *entry = json_array_get_element (array, i);
    g_autofree char *entry_path = g_strdup_printf ("%s[%u]", path, i);
    g_autofree char *box_path = NULL;
    g_autofree char *phrase_path = NULL;
    JsonObject      *object;
    JsonNode        *phrase_node, *box_node;
    const char      *phrase, *box_key;
    ViBBox           box;

    if (!JSON_NODE_HOLDS_OBJECT (entry))
      return _vi_jsonl_invalid (error, "%s is %s, not an object", entry_path,
                                node_kind (entry));
    object = json_node_get_object (entry);

    phrase_node = get_member (object, "phrase");
    if (phrase_node == NULL)
      return _vi_jsonl_invalid (error, "%s.phrase is missing", entry_path);
    phrase_path = g_strconcat (entry_path, ".phrase", NULL);
    phrase = node_get_text (phrase_node, phrase_path, "a string", error);
    if (phrase == NULL)
      return FALSE;
    if (*phrase == '\0')
      return _vi_jsonl_invalid (error, "%s is empty", phrase_path);

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
      return _vi_jsonl_invalid (error, "%s is missing", box_path);

    if (style == BOX_EXPORT) {
      if (!parse_export_bounds (record, phrase, box_node, box_path, error))
        return FALSE;
    } else {
      if (!parse_box_or_points (box_node, box_path, style == BOX_NESTED, &box,
                                error))
        return FALSE;
      vi_jsonl_record_add_phrase (record, phrase, &box);
    }
  }

  return TRUE;
}

static gboolean
get_string_member (JsonObject  *object,
                   const char  *name,
                   const char  *path,
                   gboolean     required,
                   const char **value,
                   GError     **error)
{
  JsonNode *node = get_member (object, name);

  *value = NULL;
  if (node == NULL) {
    if (required)
      return _vi_jsonl_invalid (error, "%s is missing", path);
    return TRUE;
  }
  *value = node_get_text (node, path, "a string", error);
  return *value != NULL;
}

static gboolean
parse_interactions (ViJsonlRecord *record,
                    JsonNode      *node,
                    const char    *path,
                    GError       **error)
{
  JsonArray *array;
  guint      n, i;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return _vi_jsonl_invalid (error, "%s is %s, not an array", path,
                              node_kind (node));

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (i = 0; i < n; i++) {
    JsonNode        *entry = json_array_get_element (array, i);
    g_autofree char *entry_path = g_strdup_printf ("%s[%u]", path, i);
    g_autofree char *q_path = NULL;
    g_autofree char *a_path = NULL;
    JsonObject      *object;
    JsonNode        *order_node;
    const char      *question, *answer;
    int              order = (int) record->interactions->len;

    if (!JSON_NODE_HOLDS_OBJECT (entry))
      return _vi_jsonl_invalid (error, "%s is %s, not an object", entry_path,
                                node_kind (entry));
    object = json_node_get_object (entry);

    q_path = g_strconcat (entry_path, ".question", NULL);
    a_path = g_strconcat (entry_path, ".answer", NULL);
    if (!get_string_member (object, "question", q_path, TRUE, &question,
                            error) ||
        !get_string_member (object, "answer", a_path, TRUE, &answer, error))
      return FALSE;

    order_node = get_member (object, "order");
    if (order_node != NULL) {
      if (!JSON_NODE_HOLDS_VALUE (order_node) ||
          json_node_get_value_type (order_node) != G_TYPE_INT64)
        return _vi_jsonl_invalid (error, "%s.order is %s, not an integer",
                                  entry_path, node_kind (order_node));
      if (json_node_get_int (order_node) < 0 ||
          json_node_get_int (order_node) > G_MAXINT)
        return _vi_jsonl_invalid (error, "%s.order is out of range",
                                  entry_path);
      order = (int) json_node_get_int (order_node);
    }

    _vi_jsonl_record_append_interaction (record, question, answer, order);
  }

  return TRUE;
}

static gboolean
check_asset_id (JsonNode *node, const char *path, GError **error)
{
  const char *value = node_get_text (node, path, "a non-empty string", error);

  if (value == NULL)
    return FALSE;
  if (*value == '\0')
    return _vi_jsonl_invalid (error, "%s is an empty string", path);
  return TRUE;
}

static gboolean
check_something_to_import (const ViJsonlRecord *record, GError **error)
{
  if (record->caption == NULL && record->phrases->len == 0 &&
      record->interactions->len == 0)
    return _vi_jsonl_invalid (error,
                              "nothing to import: no caption, grounded phrases "
                              "or interactions");

  if (record->caption == NULL && record->phrases->len > 0)
    return _vi_jsonl_invalid (error, "grounded phrases without a caption");

  return TRUE;
}

/* Whether the line vi_jsonl_record_to_line() makes of record (the flat
 * form) is one the reader accepts: the checks the parser makes of such a
 * line once it is valid JSON, on the record itself.  The line's length is
 * the writer's to check. */
gboolean
_vi_jsonl_record_check (const ViJsonlRecord *record, GError **error)
{
  if (*record->asset_id == '\0')
    return _vi_jsonl_invalid (error, "asset_id is an empty string");
  if (!check_something_to_import (record, error))
    return FALSE;
  for (guint i = 0; i < record->phrases->len; i++) {
    const ViGroundedPhrase *p = &g_array_index (record->phrases,
                                                ViGroundedPhrase, i);
    g_autofree char *path = g_strdup_printf ("grounded_phrases[%u].bbox", i);

    if (!check_bbox (&p->bbox, path, error))
      return FALSE;
  }
  return _vi_jsonl_record_find_spans (record, NULL, error);
}

/* The dataset export form: contents.type is PhraseGrounding or Vqa. */
static ViJsonlRecord *
parse_export (JsonObject *root,
              JsonObject *contents,
              JsonNode   *type_node,
              GError    **error)
{
  g_autoptr (ViJsonlRecord) record = NULL;
  JsonNode   *asset_id_node;
  const char *type, *asset_id;
  const char *id, *caption;
  JsonNode   *node;

  type = node_get_text (type_node, "contents.type", "a string", error);
  if (type == NULL)
    return NULL;
  if (strcmp (type, "PhraseGrounding") != 0 && strcmp (type, "Vqa") != 0) {
    g_autofree char *shown = _vi_text_excerpt (type, -1, 40, VI_TEXT_QUOTE);

    _vi_jsonl_invalid (error,
                       "unknown contents.type %s (expected PhraseGrounding "
                       "or Vqa)",
                       shown);
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
      _vi_jsonl_invalid (error, "missing asset_id (and no asset.filename)");
      return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT (asset)) {
      _vi_jsonl_invalid (error, "asset is %s, not an object",
                         node_kind (asset));
      return NULL;
    }
    filename = get_member (json_node_get_object (asset), "filename");
    if (filename == NULL) {
      _vi_jsonl_invalid (error, "missing asset_id (and no asset.filename)");
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
    if (node != NULL &&
        !parse_phrases (record, node, "contents.groundedPhrases", BOX_EXPORT,
                        error))
      return NULL;
  } else {
    node = get_member (contents, "interactions");
    if (node == NULL) {
      _vi_jsonl_invalid (error, "contents.interactions is missing");
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
parse_upload (JsonObject *root, JsonObject *contents, GError **error)
{
  g_autoptr (ViJsonlRecord) record = NULL;
  JsonNode   *asset_id_node;
  JsonNode   *caption_node, *c_caption_node;
  JsonNode   *phrases_node, *c_phrases_node;
  JsonNode   *interactions_node, *question_node, *answer_node;
  const char *id, *caption = NULL;

  asset_id_node = get_member (root, "asset_id");
  if (asset_id_node == NULL) {
    _vi_jsonl_invalid (error, "missing asset_id");
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
    _vi_jsonl_invalid (error, "both caption and contents.caption are given");
    return NULL;
  }
  if (phrases_node != NULL && c_phrases_node != NULL) {
    _vi_jsonl_invalid (error,
                       "both grounded_phrases and contents.grounded_phrases "
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
  else if (interactions_node != NULL || question_node != NULL ||
           answer_node != NULL)
    record->format = VI_JSONL_FORMAT_VQA;
  else
    record->format = VI_JSONL_FORMAT_FLAT;

  if (caption_node != NULL) {
    if (!get_string_member (root, "caption", "caption", FALSE, &caption, error))
      return NULL;
  } else if (c_caption_node != NULL) {
    if (!get_string_member (contents, "caption", "contents.caption", FALSE,
                            &caption, error))
      return NULL;
  }
  vi_jsonl_record_set_caption (record, caption);

  if (phrases_node != NULL &&
      !parse_phrases (record, phrases_node, "grounded_phrases", BOX_FLAT,
                      error))
    return NULL;
  if (c_phrases_node != NULL &&
      !parse_phrases (record, c_phrases_node, "contents.grounded_phrases",
                      BOX_NESTED, error))
    return NULL;

  if (interactions_node != NULL &&
      !parse_interactions (record, interactions_node, "contents.interactions",
                           error))
    return NULL;

  if (question_node != NULL || answer_node != NULL) {
    const char *question, *answer;

    if (!get_string_member (contents, "question", "contents.question", TRUE,
                            &question, error) ||
        !get_string_member (contents, "answer", "contents.answer", TRUE,
                            &answer, error))
      return NULL;
    _vi_jsonl_record_append_interaction (record, question, answer,
                                         (int) record->interactions->len);
  }

  if (!check_something_to_import (record, error))
    return NULL;

  return g_steal_pointer (&record);
}

/* Checks what json-glib 1.6 does not, before it sees the line, with the
 * library's byte scanner: the line is exactly one object (json-glib
 * accepts several values, "{} {}", and leaks memory doing so), strict
 * JSON (no comments, single quotes, malformed numbers or unknown escapes,
 * which json-glib accepts), no \u0000 (json-glib would silently cut the
 * string there), and at most MAX_JSON_DEPTH levels (json-glib's parser
 * recurses without limit).  json-glib 1.9.2 has a strict mode and a depth
 * limit (commits 3f7f916, 0f30159); the scanner stays, since it also gives
 * the messages and limits the library wants. */
static gboolean
check_json_structure (const char *line, gsize length, GError **error)
{
  ViJsonScanner scanner;
  ViJsonToken   token;

  vi_json_scanner_init (&scanner, line, length, NULL);
  scanner.max_depth = MAX_JSON_DEPTH;
  scanner.refuse_nul = TRUE;
  scanner.error_code = VI_ERROR_INVALID_DATA;
  scanner.error_prefix = NULL;
  scanner.byte_offsets = TRUE;

  vi_json_scan_skip_ws (&scanner);
  token = vi_json_scan_peek (&scanner);
  if (token != VI_JSON_TOKEN_OBJECT && token != VI_JSON_TOKEN_INVALID)
    return _vi_jsonl_invalid (error, "line is not a JSON object (it is %s)",
                              vi_json_scan_describe_token (token));
  if (!vi_json_scan_skip_value (&scanner, error))
    return FALSE;
  vi_json_scan_skip_ws (&scanner);
  if (scanner.p != scanner.end)
    return vi_json_scan_syntax_error (&scanner, scanner.p,
                                      "unexpected data after the end of the object",
                                      error);
  return TRUE;
}

gboolean
_vi_jsonl_is_blank (const char *line, gsize length)
{
  gsize i;

  for (i = 0; i < length; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

ViJsonlRecord *
_vi_jsonl_parse_line_with (JsonParser *parser,
                           const char *line,
                           gsize       length,
                           GError    **error)
{
  g_autoptr (GError) json_error = NULL;
  g_autoptr (ViJsonlRecord) record = NULL;
  const char *end = NULL;
  JsonNode   *root;
  JsonObject *object, *contents = NULL;
  JsonNode   *contents_node, *type_node;

  if (!g_utf8_validate (line, length, &end)) {
    if (end != NULL && end < line + length && *end == '\0')
      _vi_jsonl_invalid (error, "NUL byte at byte %" G_GSIZE_FORMAT,
                         (gsize) (end - line) + 1);
    else
      _vi_jsonl_invalid (error, "invalid UTF-8 at byte %" G_GSIZE_FORMAT,
                         (gsize) (end - line) + 1);
    return NULL;
  }

  if (_vi_jsonl_is_blank (line, length)) {
    _vi_jsonl_invalid (error, "empty line");
    return NULL;
  }

  record = _vi_jsonl_parse_written_line (line, length);
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
        _vi_jsonl_invalid (error, "invalid JSON at column %.*s:%s",
                           (int) (colon - col), col, colon + 1);
        return NULL;
      }
    }
    _vi_jsonl_invalid (error, "invalid JSON: %s", msg);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL) {
    _vi_jsonl_invalid (error, "empty line");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    _vi_jsonl_invalid (error, "line is not a JSON object (it is %s)",
                       node_kind (root));
    return NULL;
  }
  object = json_node_get_object (root);

  contents_node = get_member (object, "contents");
  if (contents_node != NULL) {
    if (!JSON_NODE_HOLDS_OBJECT (contents_node)) {
      _vi_jsonl_invalid (error, "contents is %s, not an object",
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
void
_vi_jsonl_trim_line (const char **line, gsize *length, gboolean strip_bom)
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
vi_jsonl_parse_line (const char *line, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  gsize len;

  g_return_val_if_fail (line != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (line == NULL)
    line = "";
  len = length < 0 ? strlen (line) : (gsize) length;
  _vi_jsonl_trim_line (&line, &len, TRUE);

  parser = json_parser_new ();
  return _vi_jsonl_parse_line_with (parser, line, len, error);
}
