/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests for JSONL annotation files: every accepted form, spans, bad lines
 * in each error mode, long lines, the writer and large files.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <vi/vi.h>

#include "vi-error-private.h"
#include "vi-test-records.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static ViJsonlReader *
reader_for_data (const char *data, gssize len, const char *name)
{
  g_autoptr (GInputStream) stream = NULL;

  if (len < 0)
    len = (gssize) strlen (data);
  stream = g_memory_input_stream_new_from_data (g_memdup2 (data, (gsize) len),
                                                len, g_free);
  return vi_jsonl_reader_new (stream, name);
}

/* Reads every record of @data; bad lines are not allowed. */
static GPtrArray *
read_all (const char *data, gssize len)
{
  g_autoptr (ViJsonlReader) reader = reader_for_data (data, len, "test.jsonl");
  GPtrArray *records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GError) error = NULL;
  ViJsonlRecord *record;

  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL)
    g_ptr_array_add (records, record);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==, 0);
  g_assert_cmpuint (vi_jsonl_reader_get_n_records (reader), ==, records->len);

  return records;
}

/* Reads one line, which must give exactly one record, through the reader
 * and through vi_jsonl_parse_line(), and checks both agree. */
static ViJsonlRecord *
read_one (const char *line)
{
  g_autoptr (GPtrArray) records = read_all (line, -1);
  g_autoptr (ViJsonlRecord) direct = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_cmpuint (records->len, ==, 1);

  direct = vi_jsonl_parse_line (line, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (direct);
  a = vi_jsonl_record_to_line (direct);
  b = vi_jsonl_record_to_line (records->pdata[0]);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpint (vi_jsonl_record_get_format (direct), ==,
                   vi_jsonl_record_get_format (records->pdata[0]));

  return vi_jsonl_record_ref (records->pdata[0]);
}

static void
assert_phrase (const ViJsonlRecord *record,
               guint                index,
               const char          *phrase,
               double               x_min,
               double               y_min,
               double               x_max,
               double               y_max,
               int                  start,
               int                  end)
{
  const ViGroundedPhrase *p;

  g_assert_cmpuint (index, <, vi_jsonl_record_get_n_phrases (record));
  p = vi_jsonl_record_get_phrase (record, index);
  g_assert_cmpstr (p->phrase, ==, phrase);
  g_assert_cmpfloat (p->bbox.x_min, ==, x_min);
  g_assert_cmpfloat (p->bbox.y_min, ==, y_min);
  g_assert_cmpfloat (p->bbox.x_max, ==, x_max);
  g_assert_cmpfloat (p->bbox.y_max, ==, y_max);
  g_assert_cmpint (p->start, ==, start);
  g_assert_cmpint (p->end, ==, end);
}

static void
assert_interaction (const ViJsonlRecord *record,
                    guint                index,
                    const char          *question,
                    const char          *answer,
                    int                  order)
{
  const ViVqaInteraction *v;

  g_assert_cmpuint (index, <, vi_jsonl_record_get_n_interactions (record));
  v = vi_jsonl_record_get_interaction (record, index);
  g_assert_cmpstr (v->question, ==, question);
  g_assert_cmpstr (v->answer, ==, answer);
  g_assert_cmpint (v->order, ==, order);
}

/* ------------------------------------------------------------------------ */
/* Accepted forms                                                           */
/* ------------------------------------------------------------------------ */

static void
test_form_flat (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"asset_id\": \"asset_123\", "
      "\"caption\": \"A cat sitting on a couch\", \"grounded_phrases\": ["
      "{\"phrase\": \"cat\", \"bbox\": [0.1, 0.2, 0.5, 0.7]}, "
      "{\"phrase\": \"couch\", \"bbox\": [0.6, 0.2, 0.9, 0.7]}], "
      "\"unknown\": {\"ignored\": [1, 2]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "asset_123");
  g_assert_null (vi_jsonl_record_get_id (r));
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_FLAT);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==,
                   "A cat sitting on a couch");
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 2);
  assert_phrase (r, 0, "cat", 0.1, 0.2, 0.5, 0.7, 2, 5);
  assert_phrase (r, 1, "couch", 0.6, 0.2, 0.9, 0.7, 19, 24);
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 0);
}

static void
test_form_plain_caption (void)
{
  g_autoptr (ViJsonlRecord) r = read_one ("{\"asset_id\": \"img-2\", "
                                          "\"caption\": \"A sunny beach\"}");
  g_autoptr (ViJsonlRecord) r2 = read_one (
      "{\"asset_id\": \"img-3\", "
      "\"caption\": \"Nothing grounded\", \"grounded_phrases\": []}");
  /* Integers are numbers too. */
  g_autoptr (ViJsonlRecord) r3 = read_one (
      "{\"asset_id\": \"img-4\", "
      "\"caption\": \"whole\", \"grounded_phrases\": [{\"phrase\": "
      "\"whole\", \"bbox\": [0, 0, 1, 1]}]}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "img-2");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_FLAT);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, "A sunny beach");
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 0);
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 0);

  g_assert_cmpstr (vi_jsonl_record_get_caption (r2), ==, "Nothing grounded");
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r2), ==, 0);
  g_assert_cmpint (vi_jsonl_record_get_format (r2), ==, VI_JSONL_FORMAT_FLAT);

  assert_phrase (r3, 0, "whole", 0, 0, 1, 1, 0, 5);
}

static void
test_form_nested (void)
{
  g_autoptr (ViJsonlRecord)
      r = read_one ("{\"asset_id\": \"asset_123\", "
                    "\"contents\": {\"caption\": \"A cat sitting on a couch\", "
                    "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                    "\"bound\": [0.1, 0.2, 0.5, 0.7]}]}}");
  /* bound as corner pairs, as the annotation resource spells it. */
  g_autoptr (ViJsonlRecord) r2 = read_one (
      "{\"asset_id\": \"a2\", "
      "\"contents\": {\"caption\": \"a dog\", \"grounded_phrases\": ["
      "{\"phrase\": \"dog\", \"bound\": [[0.25, 0.5], [0.75, 0.5], "
      "[0.75, 1], [0.25, 1]]}]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "asset_123");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_NESTED);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==,
                   "A cat sitting on a couch");
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 1);
  assert_phrase (r, 0, "cat", 0.1, 0.2, 0.5, 0.7, 2, 5);

  g_assert_cmpint (vi_jsonl_record_get_format (r2), ==, VI_JSONL_FORMAT_NESTED);
  assert_phrase (r2, 0, "dog", 0.25, 0.5, 0.75, 1, 2, 5);
}

static void
test_form_vqa_interactions (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"asset_id\": \"asset_123\", "
      "\"contents\": {\"interactions\": [{\"question\": "
      "\"What is the cat doing?\", \"answer\": \"Sitting on a couch\"}, "
      "{\"question\": \"Colour?\", \"answer\": \"Grey\"}]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "asset_123");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_VQA);
  g_assert_null (vi_jsonl_record_get_caption (r));
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 0);
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 2);
  assert_interaction (r, 0, "What is the cat doing?", "Sitting on a couch", 0);
  assert_interaction (r, 1, "Colour?", "Grey", 1);
}

static void
test_form_vqa_question_answer (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"asset_id\": \"q1\", "
      "\"contents\": {\"question\": \"How many cats?\", \"answer\": \"2\"}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "q1");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_VQA);
  g_assert_null (vi_jsonl_record_get_caption (r));
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 1);
  assert_interaction (r, 0, "How many cats?", "2", 0);
}

static void
test_form_export_phrase_grounding (void)
{
  /* The example of docs/protocol.md §12, with a second box for the phrase. */
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"id\": \"ann-1\", "
      "\"asset\": {\"type\": \"Image\", \"filename\": \"img.jpg\", "
      "\"height\": 480, \"width\": 640, \"filepath\": null, \"url\": null}, "
      "\"contents\": {\"type\": \"PhraseGrounding\", "
      "\"caption\": \"A red car on the street\", \"groundedPhrases\": ["
      "{\"phrase\": \"red car\", \"startTokenIndex\": 1, "
      "\"endTokenIndex\": 2, \"bounds\": [[0.2, 0.3, 0.6, 0.8], "
      "[0.05, 0.1, 0.15, 0.2]]}, "
      "{\"phrase\": \"street\", \"startTokenIndex\": 5, "
      "\"endTokenIndex\": 5, \"bounds\": [[0, 0.5, 1, 1]]}]}, "
      "\"category\": null}");
  /* Corner pairs; a top-level asset_id wins over asset.filename. */
  g_autoptr (ViJsonlRecord) r2 = read_one (
      "{\"id\": \"ann-3\", "
      "\"asset_id\": \"asset-9\", \"asset\": {\"filename\": \"x.jpg\"}, "
      "\"contents\": {\"type\": \"PhraseGrounding\", \"caption\": "
      "\"two birds\", \"groundedPhrases\": [{\"phrase\": \"birds\", "
      "\"startTokenIndex\": 1, \"endTokenIndex\": 1, \"bounds\": "
      "[[0.1, 0.2], [0.4, 0.2], [0.4, 0.6], [0.1, 0.6]]}]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "img.jpg");
  g_assert_cmpstr (vi_jsonl_record_get_id (r), ==, "ann-1");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_EXPORT);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==,
                   "A red car on the street");
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 3);
  assert_phrase (r, 0, "red car", 0.2, 0.3, 0.6, 0.8, 2, 9);
  assert_phrase (r, 1, "red car", 0.05, 0.1, 0.15, 0.2, 2, 9);
  assert_phrase (r, 2, "street", 0, 0.5, 1, 1, 17, 23);

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r2), ==, "asset-9");
  g_assert_cmpstr (vi_jsonl_record_get_id (r2), ==, "ann-3");
  g_assert_cmpint (vi_jsonl_record_get_format (r2), ==, VI_JSONL_FORMAT_EXPORT);
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r2), ==, 1);
  assert_phrase (r2, 0, "birds", 0.1, 0.2, 0.4, 0.6, 4, 9);
}

static void
test_form_export_vqa (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"id\": \"ann-2\", "
      "\"asset\": {\"filename\": \"img.jpg\", \"height\": 480, "
      "\"width\": 640}, \"contents\": {\"type\": \"Vqa\", "
      "\"interactions\": [{\"order\": 0, \"question\": \"What colour?\", "
      "\"answer\": \"Red\"}, {\"order\": 3, \"question\": \"Where?\", "
      "\"answer\": \"Street\"}]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "img.jpg");
  g_assert_cmpstr (vi_jsonl_record_get_id (r), ==, "ann-2");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_EXPORT);
  g_assert_null (vi_jsonl_record_get_caption (r));
  g_assert_cmpuint (vi_jsonl_record_get_n_phrases (r), ==, 0);
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 2);
  assert_interaction (r, 0, "What colour?", "Red", 0);
  assert_interaction (r, 1, "Where?", "Street", 3);
}

static void
test_form_caption_and_interactions (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"asset_id\": \"mix\", "
      "\"caption\": \"A dog in a park\", \"grounded_phrases\": [{\"phrase\": "
      "\"dog\", \"bbox\": [0.1, 0.1, 0.3, 0.4]}], \"contents\": "
      "{\"interactions\": [{\"question\": \"Is it sunny?\", "
      "\"answer\": \"Yes\"}]}}");

  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "mix");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_FLAT);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, "A dog in a park");
  assert_phrase (r, 0, "dog", 0.1, 0.1, 0.3, 0.4, 2, 5);
  g_assert_cmpuint (vi_jsonl_record_get_n_interactions (r), ==, 1);
  assert_interaction (r, 0, "Is it sunny?", "Yes", 0);
}

static void
test_form_blank_crlf_bom (void)
{
  /* BOM, CRLF endings, blank and whitespace-only lines, a last line
   * without a newline. */
  const char *data =
      "\xEF\xBB\xBF{\"asset_id\": \"a\", \"caption\": \"one\"}\r\n"
      "\r\n"
      "   \t \n"
      "\n"
      "{\"asset_id\": \"b\", \"caption\": \"two\"}\r\n"
      "{\"asset_id\": \"c\", \"caption\": \"three\"}";
  g_autoptr (ViJsonlReader) reader = reader_for_data (data, -1, "crlf.jsonl");
  g_autoptr (GError) error = NULL;
  static const struct {
    const char *asset_id;
    const char *caption;
    guint       line;
  } expected[] = {
    { "a", "one", 1 },
    { "b", "two", 5 },
    { "c", "three", 6 },
  };
  guint i;

  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==, 0);

  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_autoptr (ViJsonlRecord) r = vi_jsonl_reader_next (reader, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (r);
    g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==,
                     expected[i].asset_id);
    g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, expected[i].caption);
    g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==,
                      expected[i].line);
  }

  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_no_error (error);
  /* EOF is sticky. */
  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vi_jsonl_reader_get_n_records (reader), ==, 3);
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==, 0);

  /* An empty stream, and one of blank lines only. */
  {
    g_autoptr (GPtrArray) none = read_all ("", 0);
    g_autoptr (GPtrArray) blank = read_all ("\xEF\xBB\xBF\n\n \r\n", -1);

    g_assert_cmpuint (none->len, ==, 0);
    g_assert_cmpuint (blank->len, ==, 0);
  }
}

/* ------------------------------------------------------------------------ */
/* Spans                                                                    */
/* ------------------------------------------------------------------------ */

static void
test_spans (void)
{
  g_autoptr (ViJsonlRecord) r = read_one (
      "{\"asset_id\": \"fr\", "
      "\"caption\": \"Un café près du café\", \"grounded_phrases\": ["
      "{\"phrase\": \"café\", \"bbox\": [0.1, 0.1, 0.2, 0.2]}, "
      "{\"phrase\": \"café\", \"bbox\": [0.5, 0.5, 0.6, 0.6]}]}");
  /* Overlapping phrases, and a phrase before the previous one's start is
   * searched from that start. */
  g_autoptr (ViJsonlRecord) r2 = read_one (
      "{\"asset_id\": \"o\", "
      "\"caption\": \"a red car and a car\", \"grounded_phrases\": ["
      "{\"phrase\": \"red car\", \"bbox\": [0.1, 0.1, 0.2, 0.2]}, "
      "{\"phrase\": \"car\", \"bbox\": [0.1, 0.1, 0.2, 0.2]}, "
      "{\"phrase\": \"a car\", \"bbox\": [0.1, 0.1, 0.2, 0.2]}]}");
  /* Characters outside the BMP count as one character each. */
  g_autoptr (ViJsonlRecord) r3 = read_one (
      "{\"asset_id\": \"e\", "
      "\"caption\": \"\xF0\x9F\x90\xB1 and \xF0\x9F\x90\xB6 \\u00e9t\\u00e9\", "
      "\"grounded_phrases\": [{\"phrase\": \"\xF0\x9F\x90\xB6\", "
      "\"bbox\": [0.1, 0.1, 0.2, 0.2]}, {\"phrase\": \"été\", "
      "\"bbox\": [0.1, 0.1, 0.2, 0.2]}]}");
  g_autoptr (ViJsonlRecord) built = vi_jsonl_record_new ("x");
  g_autoptr (GError) error = NULL;
  ViBBox box = { 0.1, 0.1, 0.2, 0.2 };

  assert_phrase (r, 0, "café", 0.1, 0.1, 0.2, 0.2, 3, 7);
  assert_phrase (r, 1, "café", 0.5, 0.5, 0.6, 0.6, 16, 20);

  assert_phrase (r2, 0, "red car", 0.1, 0.1, 0.2, 0.2, 2, 9);
  assert_phrase (r2, 1, "car", 0.1, 0.1, 0.2, 0.2, 6, 9);
  assert_phrase (r2, 2, "a car", 0.1, 0.1, 0.2, 0.2, 14, 19);

  g_assert_cmpstr (vi_jsonl_record_get_caption (r3), ==,
                   "\xF0\x9F\x90\xB1 and \xF0\x9F\x90\xB6 été");
  assert_phrase (r3, 0, "\xF0\x9F\x90\xB6", 0.1, 0.1, 0.2, 0.2, 6, 7);
  assert_phrase (r3, 1, "été", 0.1, 0.1, 0.2, 0.2, 8, 11);

  /* Built by hand: spans are unknown until computed. */
  vi_jsonl_record_set_caption (built, "one two one");
  vi_jsonl_record_add_phrase (built, "one", &box);
  vi_jsonl_record_add_phrase (built, "two", &box);
  vi_jsonl_record_add_phrase (built, "one", &box);
  g_assert_cmpint (vi_jsonl_record_get_phrase (built, 0)->start, ==, -1);
  g_assert_cmpint (vi_jsonl_record_get_phrase (built, 0)->end, ==, -1);
  g_assert_true (vi_jsonl_record_compute_spans (built, &error));
  g_assert_no_error (error);
  assert_phrase (built, 0, "one", 0.1, 0.1, 0.2, 0.2, 0, 3);
  assert_phrase (built, 1, "two", 0.1, 0.1, 0.2, 0.2, 4, 7);
  assert_phrase (built, 2, "one", 0.1, 0.1, 0.2, 0.2, 8, 11);

  /* "two" then "one" again: after "two" there is only the last "one"; a
   * fourth "two" is not found after the third phrase's start. */
  vi_jsonl_record_add_phrase (built, "two", &box);
  g_assert_false (vi_jsonl_record_compute_spans (built, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "\"two\" not found"));
  g_clear_error (&error);

  /* No caption. */
  vi_jsonl_record_set_caption (built, NULL);
  g_assert_false (vi_jsonl_record_compute_spans (built, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */
/* Bad lines                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
  const char *line; /* NULL: use raw/raw_len */
  const char *raw;
  gsize       raw_len;
  const char *reason;
} BadCase;

#define GOOD_PREFIX "{\"asset_id\": \"a\", "
#define CAP_CAT "\"caption\": \"a cat\", "
#define NUL_LINE GOOD_PREFIX "\"caption\": \"a\0b\"}"

static const BadCase bad_cases[] = {
  { "{\"asset_id\": \"a\", \"caption\": ", NULL, 0, "invalid JSON" },
  { "{\"asset_id\": \"a\" \"caption\": \"x\"}", NULL, 0, "invalid JSON" },
  { "{\"asset_id\": \"a\", \"caption\": \"x\"} {}", NULL, 0,
    "unexpected data after the end of the object" },
  { "3{\"asset_id\": \"a\", \"caption\": \"x\"}", NULL, 0,
    "line is not a JSON object (it is a number)" },
  { "{\"asset_id\": \"a\", /* } */ \"caption\": \"x\"}", NULL, 0,
    "invalid JSON at byte 19: unexpected character '/'" },
  { "{\"asset_id\": \"a\", \"caption\": 'x'}", NULL, 0,
    "invalid JSON at byte 30: unexpected character '''" },
  { "[1, 2, 3]", NULL, 0, "line is not a JSON object (it is an array)" },
  { "\"just a string\"", NULL, 0,
    "line is not a JSON object (it is a string)" },
  { "{\"caption\": \"x\"}", NULL, 0, "missing asset_id" },
  { "{\"asset_id\": 5, \"caption\": \"x\"}", NULL, 0,
    "asset_id is a number, not a non-empty string" },
  { "{\"asset_id\": \"\", \"caption\": \"x\"}", NULL, 0,
    "asset_id is an empty string" },
  { GOOD_PREFIX "\"caption\": 3}", NULL, 0,
    "caption is a number, not a string" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": {}}", NULL, 0,
    "grounded_phrases is an object, not an array" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [\"cat\"]}", NULL, 0,
    "grounded_phrases[0] is a string, not an object" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"bbox\": [0, 0, 1, 1]}]}",
    NULL, 0, "grounded_phrases[0].phrase is missing" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": 1, "
                        "\"bbox\": [0, 0, 1, 1]}]}",
    NULL, 0, "grounded_phrases[0].phrase is a number, not a string" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"\", "
                        "\"bbox\": [0, 0, 1, 1]}]}",
    NULL, 0, "grounded_phrases[0].phrase is empty" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\"}]}", NULL,
    0, "grounded_phrases[0].bbox is missing" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [0.1, 0.2, 0.5]}]}",
    NULL, 0, "grounded_phrases[0].bbox is not an array of 4 numbers" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": \"0.1 0.2 0.5 0.7\"}]}",
    NULL, 0,
    "grounded_phrases[0].bbox is a string, not an array of 4 numbers" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"a\", "
                        "\"bbox\": [0, 0, 1, 1]}, {\"phrase\": \"cat\", "
                        "\"bbox\": [0.1, 0.2, \"0.5\", 0.7]}]}",
    NULL, 0, "grounded_phrases[1].bbox[2] is a string, not a number" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [true, 0.2, 0.5, 0.7]}]}",
    NULL, 0, "grounded_phrases[0].bbox[0] is a boolean, not a number" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"a\", "
                        "\"bbox\": [0, 0, 1, 1]}, {\"phrase\": \"cat\", "
                        "\"bbox\": [0.1, 0.2, 1.5, 0.7]}]}",
    NULL, 0, "grounded_phrases[1].bbox[2]: 1.5 is outside [0, 1]" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [-0.25, 0.2, 0.5, 0.7]}]}",
    NULL, 0, "grounded_phrases[0].bbox[0]: -0.25 is outside [0, 1]" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [0.5, 0.2, 0.5, 0.7]}]}",
    NULL, 0, "grounded_phrases[0].bbox: x_min (0.5) >= x_max (0.5)" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [0.1, 0.8, 0.5, 0.7]}]}",
    NULL, 0, "grounded_phrases[0].bbox: y_min (0.8) >= y_max (0.7)" },
  { GOOD_PREFIX CAP_CAT "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                        "\"bbox\": [0, 0, 1, 1]}, {\"phrase\": \"dog\", "
                        "\"bbox\": [0, 0, 1, 1]}]}",
    NULL, 0, "grounded phrase 1 \"dog\" not found in the caption" },
  { GOOD_PREFIX "\"grounded_phrases\": [{\"phrase\": \"cat\", "
                "\"bbox\": [0, 0, 1, 1]}]}",
    NULL, 0, "grounded phrases without a caption" },
  { GOOD_PREFIX "\"contents\": {\"interactions\": \"what?\"}}", NULL, 0,
    "contents.interactions is a string, not an array" },
  { GOOD_PREFIX "\"contents\": {\"interactions\": [{\"answer\": \"x\"}]}}",
    NULL, 0, "contents.interactions[0].question is missing" },
  { GOOD_PREFIX "\"contents\": {\"interactions\": [{\"question\": \"q\", "
                "\"answer\": 4}]}}",
    NULL, 0, "contents.interactions[0].answer is a number, not a string" },
  { GOOD_PREFIX "\"contents\": {\"question\": \"q\"}}", NULL, 0,
    "contents.answer is missing" },
  { NULL, GOOD_PREFIX "\"caption\": \"caf\xE9\"}", 0,
    "invalid UTF-8 at byte 34" },
  { NULL, NUL_LINE, sizeof (NUL_LINE) - 1, "NUL byte at byte 32" },
  { GOOD_PREFIX "\"caption\": \"a\\u0000b\"}", NULL, 0,
    "invalid JSON at byte 32: \\u0000 (NUL) in a string" },
  { GOOD_PREFIX "\"caption\": \"a\\274b\"}", NULL, 0,
    "invalid JSON at byte 32: invalid escape in a string" },
  { GOOD_PREFIX "\"caption\": \"a\\udc00b\"}", NULL, 0,
    "invalid JSON at byte 32: invalid \\u escape" },
  { "{\"asset_id\": \"a\", \"grounded_phrases\": []}", NULL, 0,
    "nothing to import" },
  { "{\"asset_id\": \"a\"}", NULL, 0, "nothing to import" },
  { "{\"id\": \"x\", \"asset\": {\"filename\": \"f.jpg\"}, \"contents\": "
    "{\"type\": \"Polygon\"}}",
    NULL, 0, "unknown contents.type \"Polygon\"" },
  { GOOD_PREFIX "\"contents\": [1]}", NULL, 0,
    "contents is an array, not an object" },
  { "{\"id\": \"x\", \"contents\": {\"type\": \"Vqa\", \"interactions\": "
    "[]}}",
    NULL, 0, "missing asset_id (and no asset.filename)" },
  { "{\"id\": \"x\", \"asset\": {\"filename\": \"f.jpg\"}, \"contents\": "
    "{\"type\": \"PhraseGrounding\", \"caption\": \"a cat\", "
    "\"groundedPhrases\": [{\"phrase\": \"cat\", \"bounds\": "
    "[[0.1, 0.2, 0.5, 0.7], [0.1, 0.2]]}]}}",
    NULL, 0, "contents.groundedPhrases[0].bounds mixes boxes" },
  { "{\"id\": \"x\", \"asset\": {\"filename\": \"f.jpg\"}, \"contents\": "
    "{\"type\": \"PhraseGrounding\", \"caption\": \"a cat\", "
    "\"groundedPhrases\": [{\"phrase\": \"cat\", \"bounds\": "
    "[[0.1, 0.2, 0.5, 1.7]]}]}}",
    NULL, 0,
    "contents.groundedPhrases[0].bounds[0][3]: 1.7 is outside [0, 1]" },
  { "{\"id\": \"x\", \"asset\": {\"filename\": \"f.jpg\"}, \"contents\": "
    "{\"type\": \"Vqa\"}}",
    NULL, 0, "contents.interactions is missing" },
  { GOOD_PREFIX "\"contents\": {\"caption\": \"a cat\", \"grounded_phrases\": "
                "[{\"phrase\": \"cat\", \"bbox\": [0, 0, 1, 1]}]}, "
                "\"caption\": \"a cat\"}",
    NULL, 0, "both caption and contents.caption are given" },
  { GOOD_PREFIX "\"contents\": {\"caption\": \"a cat\", \"grounded_phrases\": "
                "[{\"phrase\": \"cat\"}]}}",
    NULL, 0, "contents.grounded_phrases[0].bound is missing" },
  { NULL, NULL, 0, "nesting too deep (more than 64 levels)" },
};

/* The file: a good line, then each bad case, with blank lines here and
 * there so that physical line numbers matter, and a good line at the
 * end. */
static GString *
make_bad_file (guint *lines, guint *n_good)
{
  GString *data = g_string_new ("\xEF\xBB\xBF" GOOD_PREFIX
                                "\"caption\": \"first\"}\n");
  guint    line = 1;
  guint    i;

  *n_good = 1;
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    const BadCase *c = &bad_cases[i];

    if (i % 5 == 2) {
      g_string_append (data, "\n");
      line++;
    }
    if (i % 7 == 3) {
      g_string_append (data, GOOD_PREFIX "\"caption\": \"between\"}\r\n");
      line++;
      (*n_good)++;
    }

    if (c->line != NULL) {
      g_string_append (data, c->line);
    } else if (c->raw != NULL) {
      g_string_append_len (data, c->raw,
                           c->raw_len ? (gssize) c->raw_len
                                      : (gssize) strlen (c->raw));
    } else {
      guint d;

      /* Deep nesting, which json-glib 1.6 would recurse into. */
      g_string_append (data, GOOD_PREFIX "\"caption\": \"x\", \"deep\": ");
      for (d = 0; d < 5000; d++)
        g_string_append_c (data, '[');
      for (d = 0; d < 5000; d++)
        g_string_append_c (data, ']');
      g_string_append_c (data, '}');
    }
    g_string_append (data, (i % 3 == 0) ? "\r\n" : "\n");
    lines[i] = ++line;
  }

  g_string_append (data, GOOD_PREFIX "\"caption\": \"last\"}");
  (*n_good)++;

  return data;
}

static void
check_bad_error (const GError *error, guint i, guint line)
{
  g_autofree char *prefix = g_strdup_printf ("bad.jsonl:%u: ", line);

  g_test_message ("case %u, line %u: %s", i, line, error->message);
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  if (strstr (error->message, bad_cases[i].reason) == NULL)
    g_error ("case %u: \"%s\" does not contain \"%s\"", i, error->message,
             bad_cases[i].reason);
  g_assert_cmpuint (vi_error_get_line (error), ==, line);
  g_assert_cmpstr (vi_error_get_location (error), ==, "bad.jsonl");
}

static void
run_bad_lines (ViJsonlErrorMode mode)
{
  guint lines[G_N_ELEMENTS (bad_cases)];
  guint n_good = 0, n_read = 0, i;
  g_autoptr (GString) data = make_bad_file (lines, &n_good);
  g_autoptr (ViJsonlReader)
      reader = reader_for_data (data->str, (gssize) data->len, "bad.jsonl");
  g_autoptr (GError) error = NULL;
  ViJsonlRecord *record;
  GPtrArray     *bad;

  g_assert_cmpuint (G_N_ELEMENTS (bad_cases), >=, 14);

  vi_jsonl_reader_set_error_mode (reader, mode);
  g_assert_cmpint (vi_jsonl_reader_get_error_mode (reader), ==, mode);

  if (mode == VI_JSONL_ERROR_MODE_WARN) {
    for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
      g_autofree char *pattern =
          g_strdup_printf ("bad.jsonl:%u: *%s*", lines[i], bad_cases[i].reason);

      g_test_expect_message ("Vi", G_LOG_LEVEL_WARNING, pattern);
    }
  }

  if (mode == VI_JSONL_ERROR_MODE_FAIL) {
    guint next_bad = 0;

    for (;;) {
      record = vi_jsonl_reader_next (reader, NULL, &error);
      if (record != NULL) {
        n_read++;
        vi_jsonl_record_unref (record);
        continue;
      }
      if (error == NULL)
        break;
      g_assert_cmpuint (next_bad, <, G_N_ELEMENTS (bad_cases));
      check_bad_error (error, next_bad, lines[next_bad]);
      g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==,
                        lines[next_bad]);
      g_clear_error (&error);
      next_bad++;
    }
    g_assert_cmpuint (next_bad, ==, G_N_ELEMENTS (bad_cases));
  } else {
    while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
      n_read++;
      vi_jsonl_record_unref (record);
    }
    g_assert_no_error (error);
  }

  if (mode == VI_JSONL_ERROR_MODE_WARN)
    g_test_assert_expected_messages ();

  g_assert_cmpuint (n_read, ==, n_good);
  g_assert_cmpuint (vi_jsonl_reader_get_n_records (reader), ==, n_good);
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==,
                    G_N_ELEMENTS (bad_cases));

  bad = vi_jsonl_reader_get_bad_lines (reader);
  g_assert_cmpuint (bad->len, ==, G_N_ELEMENTS (bad_cases));
  for (i = 0; i < bad->len; i++)
    check_bad_error (bad->pdata[i], i, lines[i]);
}

static void
test_bad_lines_skip (void)
{
  run_bad_lines (VI_JSONL_ERROR_MODE_SKIP);
}

static void
test_bad_lines_warn (void)
{
  run_bad_lines (VI_JSONL_ERROR_MODE_WARN);
}

static void
test_bad_lines_fail (void)
{
  run_bad_lines (VI_JSONL_ERROR_MODE_FAIL);
}

static void
test_bad_lines_kept (void)
{
  /* Only the first 1000 errors are kept, all are counted. */
  g_autoptr (GString) data = g_string_new (NULL);
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *bad;
  guint      i;

  for (i = 0; i < 1500; i++)
    g_string_append (data, "not json\n");
  g_string_append (data, "{\"asset_id\": \"a\", \"caption\": \"ok\"}\n");

  reader = reader_for_data (data->str, (gssize) data->len, "many.jsonl");
  {
    g_autoptr (ViJsonlRecord) r = vi_jsonl_reader_next (reader, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (r);
    g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==, 1501);
  }
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==, 1500);
  bad = vi_jsonl_reader_get_bad_lines (reader);
  g_assert_cmpuint (bad->len, ==, 1000);
  g_assert_cmpuint (vi_error_get_line (bad->pdata[999]), ==, 1000);
}

static void
test_parse_line (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlRecord) r = NULL;
  const char buf[] = "{\"asset_id\": \"a\", \"caption\": \"x\"}GARBAGE";
  guint      i;

  /* Not nul-terminated: the length is honoured. */
  r = vi_jsonl_parse_line (buf, strlen (buf) - 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, "x");
  g_clear_pointer (&r, vi_jsonl_record_unref);

  /* A CR at the end is tolerated. */
  r = vi_jsonl_parse_line ("{\"asset_id\": \"a\", \"caption\": \"y\"}\r", -1,
                           &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, "y");
  g_clear_pointer (&r, vi_jsonl_record_unref);

  /* Errors carry only the reason, and no file details. */
  g_assert_null (vi_jsonl_parse_line ("{\"asset_id\": \"a\"}", -1, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_cmpstr (
      error->message, ==,
      "nothing to import: no caption, grounded phrases or interactions");
  g_assert_cmpuint (vi_error_get_line (error), ==, 0);
  g_assert_null (vi_error_get_location (error));
  g_clear_error (&error);

  g_assert_null (vi_jsonl_parse_line ("", 0, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_null (vi_jsonl_parse_line ("  ", -1, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Every bad case fails the same way, minus the prefix. */
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    const BadCase *c = &bad_cases[i];

    if (c->line == NULL)
      continue;
    g_assert_null (vi_jsonl_parse_line (c->line, -1, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
    g_test_message ("case %u: %s", i, error->message);
    g_assert_nonnull (strstr (error->message, c->reason));
    g_assert_false (g_str_has_prefix (error->message, "bad.jsonl"));
    g_clear_error (&error);
  }
}

/* ------------------------------------------------------------------------ */
/* Long lines                                                               */
/* ------------------------------------------------------------------------ */

static void
test_too_long (void)
{
  g_autoptr (GString) data = g_string_new (NULL);
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  const char      *ok = "{\"asset_id\": \"a\", \"caption\": \"short\"}";
  g_autofree char *xs = g_strnfill (268, 'x');
  g_autofree char *ys = g_strnfill (68, 'y');
  g_autofree char *zs = g_strnfill (300 * 1024, 'z');
  g_autofree char *exact = NULL;
  GPtrArray       *bad;
  guint            n = 0;
  ViJsonlRecord   *r;

  exact = g_strdup_printf ("{\"asset_id\": \"a\", \"caption\": \"%s\"}", ys);
  g_assert_cmpuint (strlen (exact), ==, 100);

  /* With a limit of 100 bytes: line 1 fits; line 2 has 300 bytes; line 3
   * has exactly 100 (and a CR, which does not count); line 4 has 101;
   * line 5 is longer than several read chunks; line 6 fits; line 7 is too
   * long and has no newline. */
  g_string_append_printf (data, "%s\n", ok);
  g_string_append_printf (data, "{\"asset_id\": \"a\", \"caption\": \"%s\"}\n",
                          xs);
  g_string_append_printf (data, "%s\r\n", exact);
  g_string_append_printf (data, "%s \n", exact);
  g_string_append_printf (data, "%s\n", zs);
  g_string_append_printf (data, "%s\n", ok);
  g_string_append (
      data,
      "{\"asset_id\": \"a\", \"caption\": \"this last line "
      "is long and has no newline at the end, so the reader meets the end of "
      "the stream in the middle of a long line\"}");

  reader = reader_for_data (data->str, (gssize) data->len, "long.jsonl");
  vi_jsonl_reader_set_max_line_length (reader, 100);

  while ((r = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    n++;
    vi_jsonl_record_unref (r);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==, 4);
  g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==, 7);

  bad = vi_jsonl_reader_get_bad_lines (reader);
  g_assert_cmpuint (bad->len, ==, 4);
  g_assert_cmpstr (((GError *) bad->pdata[0])->message, ==,
                   "long.jsonl:2: line is longer than 100 bytes");
  g_assert_cmpuint (vi_error_get_line (bad->pdata[0]), ==, 2);
  g_assert_cmpuint (vi_error_get_line (bad->pdata[1]), ==, 4);
  g_assert_cmpuint (vi_error_get_line (bad->pdata[2]), ==, 5);
  g_assert_cmpuint (vi_error_get_line (bad->pdata[3]), ==, 7);

  /* In FAIL mode the long line is an error and reading can go on. */
  g_clear_object (&reader);
  reader = reader_for_data (data->str, (gssize) data->len, "long.jsonl");
  vi_jsonl_reader_set_max_line_length (reader, 100);
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  r = vi_jsonl_reader_next (reader, NULL, &error);
  g_assert_no_error (error);
  vi_jsonl_record_unref (r);
  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_cmpuint (vi_error_get_line (error), ==, 2);
  g_assert_nonnull (strstr (error->message, "longer than 100 bytes"));
  g_clear_error (&error);
  r = vi_jsonl_reader_next (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==, 3);
  g_assert_cmpstr (vi_jsonl_record_get_caption (r), ==, ys);
  vi_jsonl_record_unref (r);
  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_cmpuint (vi_error_get_line (error), ==, 4);
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */
/* I/O errors and cancellation                                              */
/* ------------------------------------------------------------------------ */

/* A stream that gives some data, then fails. */
#define TEST_TYPE_FAILING_STREAM (test_failing_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestFailingStream,
                      test_failing_stream,
                      TEST,
                      FAILING_STREAM,
                      GInputStream)

struct _TestFailingStream {
  GInputStream parent_instance;
  gboolean     gave_data;
};

G_DEFINE_FINAL_TYPE (TestFailingStream,
                     test_failing_stream,
                     G_TYPE_INPUT_STREAM)

static gssize
test_failing_stream_read (GInputStream *stream,
                          void         *buffer,
                          gsize         count,
                          GCancellable *cancellable,
                          GError      **error)
{
  TestFailingStream *self = TEST_FAILING_STREAM (stream);
  const char *data = "{\"asset_id\": \"a\", \"caption\": \"ok\"}\n{\"asset";

  if (!self->gave_data) {
    gsize n = MIN (count, strlen (data));

    memcpy (buffer, data, n);
    self->gave_data = TRUE;
    return (gssize) n;
  }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "disk on fire");
  return -1;
}

static void
test_failing_stream_class_init (TestFailingStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = test_failing_stream_read;
}

static void
test_failing_stream_init (TestFailingStream *self)
{
}

static void
test_io_errors (void)
{
  g_autoptr (GInputStream)
      stream = g_object_new (TEST_TYPE_FAILING_STREAM, NULL);
  g_autoptr (ViJsonlReader) reader = vi_jsonl_reader_new (stream, NULL);
  g_autoptr (ViJsonlReader) missing = NULL;
  g_autoptr (ViJsonlRecord) r = NULL;
  g_autoptr (GError) error = NULL;

  /* I/O errors fail even in SKIP mode. */
  g_assert_cmpint (vi_jsonl_reader_get_error_mode (reader), ==,
                   VI_JSONL_ERROR_MODE_SKIP);
  r = vi_jsonl_reader_next (reader, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (vi_jsonl_reader_get_n_bad_lines (reader), ==, 0);
  g_clear_error (&error);

  missing = vi_jsonl_reader_new_for_path ("/nonexistent/dir/file.jsonl",
                                          &error);
  g_assert_null (missing);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_cancelled (void)
{
  g_autoptr (ViJsonlReader) reader = reader_for_data ("{\"asset_id\": \"a\", "
                                                      "\"caption\": \"ok\"}\n",
                                                      -1, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlRecord) r = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_null (vi_jsonl_reader_next (reader, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_cancellable_reset (cancellable);
  r = vi_jsonl_reader_next (reader, cancellable, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
}

static void
test_stream_name (void)
{
  g_autoptr (ViJsonlReader) reader = reader_for_data ("oops\n", -1, NULL);
  g_autoptr (GError) error = NULL;

  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  g_assert_null (vi_jsonl_reader_next (reader, NULL, &error));
  g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "<stream>:1: "));
}

/* ------------------------------------------------------------------------ */
/* Records and the writer                                                   */
/* ------------------------------------------------------------------------ */

static void
test_record_api (void)
{
  g_autoptr (ViJsonlRecord) r = vi_jsonl_record_new ("asset");
  ViJsonlRecord   *copy;
  ViBBox           box = { 0.1, 0.2, 0.5, 0.7 };
  g_autofree char *line = NULL;

  g_assert_true (G_TYPE_IS_BOXED (VI_TYPE_JSONL_RECORD));
  g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, "asset");
  g_assert_null (vi_jsonl_record_get_caption (r));
  g_assert_null (vi_jsonl_record_get_id (r));
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_FLAT);

  vi_jsonl_record_add_interaction (r, "q", "a");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_VQA);
  vi_jsonl_record_set_caption (r, "A cat");
  g_assert_cmpint (vi_jsonl_record_get_format (r), ==, VI_JSONL_FORMAT_FLAT);
  vi_jsonl_record_add_phrase (r, "cat", &box);
  vi_jsonl_record_set_id (r, "ann");
  g_assert_cmpstr (vi_jsonl_record_get_id (r), ==, "ann");

  copy = g_boxed_copy (VI_TYPE_JSONL_RECORD, r);
  g_assert_true (copy == r);
  g_boxed_free (VI_TYPE_JSONL_RECORD, copy);

  copy = vi_jsonl_record_ref (r);
  vi_jsonl_record_unref (copy);

  line = vi_jsonl_record_to_line (r);
  g_assert_cmpstr (
      line, ==,
      "{\"asset_id\":\"asset\",\"caption\":\"A cat\","
      "\"grounded_phrases\":[{\"phrase\":\"cat\",\"bbox\":[0.1,0.2,0.5,0.7]}],"
      "\"contents\":{\"interactions\":[{\"question\":\"q\",\"answer\":\"a\"}]}}");
}

static void
test_writer_lines (void)
{
  g_autoptr (ViJsonlRecord) plain = vi_jsonl_record_new ("p");
  g_autoptr (ViJsonlRecord) vqa = vi_jsonl_record_new ("v");
  g_autoptr (ViJsonlRecord) odd = vi_jsonl_record_new ("o\"\\\n");
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  ViBBox           box = { 1.0 / 3, 0.2, 2.0 / 3, 1 };

  vi_jsonl_record_set_caption (plain, "A sunny beach");
  a = vi_jsonl_record_to_line (plain);
  g_assert_cmpstr (a, ==, "{\"asset_id\":\"p\",\"caption\":\"A sunny beach\"}");

  vi_jsonl_record_add_interaction (vqa, "What?", "That");
  b = vi_jsonl_record_to_line (vqa);
  g_assert_cmpstr (b, ==,
                   "{\"asset_id\":\"v\",\"contents\":{\"interactions\":"
                   "[{\"question\":\"What?\",\"answer\":\"That\"}]}}");

  /* Escapes, control characters, non-ASCII kept as UTF-8, and doubles
   * written with the digits they need. */
  vi_jsonl_record_set_caption (odd, "tab\there \x01 caf\xC3\xA9 /");
  vi_jsonl_record_add_phrase (odd, "caf\xC3\xA9", &box);
  c = vi_jsonl_record_to_line (odd);
  g_assert_cmpstr (c, ==,
                   "{\"asset_id\":\"o\\\"\\\\\\n\","
                   "\"caption\":\"tab\\there \\u0001 caf\xC3\xA9 /\","
                   "\"grounded_phrases\":[{\"phrase\":\"caf\xC3\xA9\","
                   "\"bbox\":[0.3333333333333333,0.2,0.6666666666666666,1]}]}");
}

/* Appending to a buffer writers keep: the same lines as
 * vi_jsonl_record_to_line(), after what the buffer holds. */
static void
test_writer_append_line (void)
{
  g_autoptr (ViJsonlRecord) r = vi_jsonl_record_new ("a");
  g_autoptr (GString) out = g_string_new ("x\n");
  g_autofree char *line = NULL;
  g_autofree char *expected = NULL;
  ViBBox           box = { 7.0 / 240, 0.2, 0.5, 2.0 / 3 };

  vi_jsonl_record_set_caption (r, "car and dog");
  vi_jsonl_record_add_phrase (r, "car", &box);
  vi_jsonl_record_add_phrase (r, "dog", &box);
  vi_jsonl_record_add_interaction (r, "q", "a");
  line = vi_jsonl_record_to_line (r);

  vi_jsonl_record_append_line (r, out);
  g_string_append_c (out, '\n');
  vi_jsonl_record_append_line (r, out);
  expected = g_strconcat ("x\n", line, "\n", line, NULL);
  g_assert_cmpstr (out->str, ==, expected);
  g_assert_nonnull (strstr (line,
                            "\"bbox\":[0.029166666666666667,0.2,0.5,"
                            "0.6666666666666666]"));
}

static char *
random_text (GRand *rand, guint n_words)
{
  static const char *const words[] = {
    "cat",       "dog",        "red",         "car",
    "café",      "près",       "street",      "a",
    "the",       "\"quoted\"", "back\\slash", "tab\there",
    "new\nline", "été",        "日本",        "\xF0\x9F\x90\xB1",
    "x/y",       "{json}",     "[1,2]",       "ctrl\x02",
  };
  GString *s = g_string_new (NULL);
  guint    i;

  for (i = 0; i < n_words; i++) {
    if (i > 0)
      g_string_append_c (s, ' ');
    g_string_append (s,
                     words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
  }
  return g_string_free (s, FALSE);
}

static double
random_coordinate (GRand *rand)
{
  switch (g_rand_int_range (rand, 0, 4)) {
    case 0:
      return g_rand_int_range (rand, 0, 1001) / 1000.0;
    case 1:
      return g_rand_double (rand);
    case 2:
      return g_rand_int_range (rand, 0, 1921) / 1920.0;
    default:
      return g_rand_double_range (rand, 0, 1e-3);
  }
}

static ViJsonlRecord *
random_record (GRand *rand, guint index)
{
  g_autofree char *asset_id = g_strdup_printf ("asset-%u-é", index);
  ViJsonlRecord   *r = vi_jsonl_record_new (asset_id);
  guint            kind = g_rand_int_range (rand, 0, 4);
  guint            i, n;

  if (kind != 3) {
    g_autofree char *caption = random_text (rand,
                                            g_rand_int_range (rand, 1, 12));
    gchar          **words = g_strsplit (caption, " ", -1);
    guint            n_words = g_strv_length (words);

    vi_jsonl_record_set_caption (r, caption);
    /* Phrases taken from the caption, in order, so they are found. */
    if (kind != 2) {
      for (i = 0; i < n_words; i += g_rand_int_range (rand, 1, 4)) {
        ViBBox box;

        do {
          box.x_min = random_coordinate (rand);
          box.x_max = random_coordinate (rand);
        } while (box.x_min >= box.x_max);
        do {
          box.y_min = random_coordinate (rand);
          box.y_max = random_coordinate (rand);
        } while (box.y_min >= box.y_max);
        vi_jsonl_record_add_phrase (r, words[i], &box);
      }
    }
    g_strfreev (words);
  }

  if (kind == 1 || kind == 3) {
    n = g_rand_int_range (rand, 1, 4);
    for (i = 0; i < n; i++) {
      g_autofree char *q = random_text (rand, 3);
      g_autofree char *a = random_text (rand, 2);

      vi_jsonl_record_add_interaction (r, q, a);
    }
  }

  g_assert_true (vi_jsonl_record_compute_spans (r, NULL));
  return r;
}

static void
test_writer_round_trip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  g_autoptr (GPtrArray) written = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (ViJsonlWriter) writer = vi_jsonl_writer_new (out);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) read = NULL;
  g_autoptr (GBytes) bytes = NULL;
  guint i;

  for (i = 0; i < 500; i++) {
    ViJsonlRecord *r = random_record (rand, i);

    g_ptr_array_add (written, r);
    g_assert_true (vi_jsonl_writer_write (writer, r, NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_true (vi_jsonl_writer_close (writer, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (vi_jsonl_writer_close (writer, NULL, &error));
  g_assert_false (
      vi_jsonl_writer_write (writer, written->pdata[0], NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  read = read_all (g_bytes_get_data (bytes, NULL),
                   (gssize) g_bytes_get_size (bytes));

  g_assert_cmpuint (read->len, ==, written->len);
  for (i = 0; i < read->len; i++) {
    g_autofree char *line = vi_jsonl_record_to_line (written->pdata[i]);
    g_autoptr (ViJsonlRecord) parsed = vi_jsonl_parse_line (line, -1, &error);

    g_assert_no_error (error);
    vi_test_assert_records_equal (written->pdata[i], read->pdata[i]);
    vi_test_assert_records_equal (written->pdata[i], parsed);
  }
}

/* The writer's own lines are read by a fast scan; anything else by
 * json-glib.  Both must read a line the same way (a leading space sends
 * it to json-glib), and a bad line in the writer's layout must still get
 * the general parser's message. */
static void
test_written_lines (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  static const struct {
    const char *line;
    const char *message;
  } bad[] = {
    { "{\"asset_id\":\"a\",\"caption\":\"x\",\"grounded_phrases\":[{\"phrase\":"
      "\"x\",\"bbox\":[0.5,0,0.2,1]}]}",
      "grounded_phrases[0].bbox: x_min (0.5) >= x_max (0.2)" },
    { "{\"asset_id\":\"a\",\"caption\":\"x\",\"grounded_phrases\":[{\"phrase\":"
      "\"y\",\"bbox\":[0,0,1,1]}]}",
      "grounded phrase 0 \"y\" not found in the caption" },
    { "{\"asset_id\":\"a\",\"caption\":\"x\",\"grounded_phrases\":[{\"phrase\":"
      "\"x\",\"bbox\":[0,0,1.5,1]}]}",
      "grounded_phrases[0].bbox[2]: 1.5 is outside [0, 1]" },
    { "{\"asset_id\":\"\",\"caption\":\"x\"}", "asset_id is an empty string" },
    { "{\"asset_id\":\"a\"}", "nothing to import" },
    { "{\"asset_id\":\"a\",\"caption\":\"x\"}x", "invalid JSON" },
  };

  /* A fixed sample, larger with -m slow (fuzz-jsonl puts arbitrary lines
   * through the same reader and writer). */
  for (guint i = 0; i < (g_test_slow () ? 2000u : 500u); i++) {
    g_autoptr (ViJsonlRecord) r = random_record (rand, i);
    g_autofree char *line = vi_jsonl_record_to_line (r);
    g_autofree char *spaced = g_strconcat (" ", line, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (ViJsonlRecord) fast = vi_jsonl_parse_line (line, -1, &error);
    g_autoptr (ViJsonlRecord) general = NULL;

    g_assert_no_error (error);
    general = vi_jsonl_parse_line (spaced, -1, &error);
    g_assert_no_error (error);
    vi_test_assert_records_equal (r, fast);
    vi_test_assert_records_equal (general, fast);
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ViJsonlRecord) r = vi_jsonl_parse_line (bad[i].line, -1, &error);

    g_assert_null (r);
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, bad[i].message));
  }
}

/* The shortest of %.15g, %.16g and %.17g that reads back as @value, the
 * slow way. */
static char *
shortest_by_printf (double value)
{
  char        buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *formats[] = { "%.15g", "%.16g", "%.17g" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof buf, formats[i], value);
    if (g_ascii_strtod (buf, NULL) == value)
      break;
  }
  return g_strdup (buf);
}

/* Significant digits of a printed number: "0.00123e-5" has 3. */
static guint
significant_digits (const char *s)
{
  gboolean started = FALSE;
  guint    n = 0, zeros = 0;

  for (; *s != '\0' && *s != 'e'; s++) {
    if (!g_ascii_isdigit (*s))
      continue;
    if (*s == '0' && !started)
      continue;
    started = TRUE;
    /* Trailing zeros of a whole number are not significant either. */
    if (*s == '0') {
      zeros++;
      continue;
    }
    n += zeros + 1;
    zeros = 0;
  }
  return n;
}

static void
check_number (double value)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *expected = shortest_by_printf (value);

  vi_json_append_number (out, value);
  /* Reads back exactly, with no more digits than the slow way (which may
   * be shorter for tiny values, with an exponent). */
  g_assert_true (g_ascii_strtod (out->str, NULL) == value);
  g_assert_cmpuint (significant_digits (out->str), <=,
                    significant_digits (expected));
  if (strchr (expected, 'e') == NULL)
    g_assert_cmpuint (strlen (out->str), ==, strlen (expected));
}

/* Numbers as the JSONL writer (and the local server) write them: pixel
 * sizes of every common frame size, random values, and the edges. */
static void
test_shortest_numbers (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  static const int    sizes[] = { 23,   37,   240,  320,  480,  640, 720,
                                  1080, 1280, 1920, 2160, 3840, 4096 };
  static const double edges[] = { 0,
                                  1,
                                  0.1,
                                  0.5,
                                  1e-7,
                                  9.9e-8,
                                  1e-12,
                                  123456.789,
                                  999999.999,
                                  1e6,
                                  1e15,
                                  5e-324,
                                  0.30000000000000004,
                                  0.9876543210987654,
                                  -0.25,
                                  -1.0 / 3 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (int k = 0; k <= sizes[i]; k++)
      check_number ((double) k / sizes[i]);
  /* A fixed sample of random values (seeded): the wide search is
   * fuzz-jsonl's, which writes every record it parses and reads it back. */
  for (guint i = 0; i < 5000; i++)
    check_number (g_rand_double (rand));
  /* Every magnitude the exact path covers, and around it; whole numbers
   * and powers of two (an asymmetric rounding interval). */
  for (guint i = 0; i < 5000; i++)
    check_number (g_rand_double (rand) *
                  pow (10, g_rand_int_range (rand, -5, 8)));
  for (int i = -12; i <= 22; i++)
    check_number (ldexp (1.0, i));
  for (guint i = 0; i < 2000; i++)
    check_number ((double) g_rand_int (rand));
  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    check_number (edges[i]);
}

/* The writer refuses what the reader would reject, saying why, and goes
 * on: the file it leaves reads back whole. */
static void
test_writer_refuses (void)
{
  const ViBBox box = { 0.1, 0.2, 0.5, 0.7 };
  const ViBBox reversed = { 0.5, 0.2, 0.1, 0.7 };
  const ViBBox not_finite = { NAN, 0.2, 0.5, 0.7 };
  const ViBBox outside = { 0.1, 0.2, 1.5, 0.7 };
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (ViJsonlWriter) writer = vi_jsonl_writer_new (out);
  g_autoptr (GPtrArray) good = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  g_autoptr (GPtrArray) read = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = g_strnfill (4 * 1024 * 1024, 'x');
  const struct {
    const char   *asset;
    const char   *caption; /* NULL: none */
    const char   *phrases[2];
    const ViBBox *box;
    const char   *reason;
  } cases[] = {
    { "nothing", NULL, { NULL }, NULL, "nothing to import" },
    { "no caption",
      NULL,
      { "cat" },
      &box,
      "grounded phrases without a caption" },
    { "not found",
      "A cat",
      { "dog" },
      &box,
      "\"dog\" not found in the caption" },
    { "out of order",
      "A red car",
      { "car", "red" },
      &box,
      "after the previous phrase" },
    { "empty phrase", "A cat", { "" }, &box, "is empty" },
    { "reversed", "A cat", { "cat" }, &reversed, "bbox" },
    { "not finite", "A cat", { "cat" }, &not_finite, "bbox" },
    { "outside", "A cat", { "cat" }, &outside, "outside [0, 1]" },
    { "huge", huge, { NULL }, NULL, "over the 4194304 a reader reads" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (ViJsonlRecord) refused = vi_jsonl_record_new (cases[i].asset);
    ViJsonlRecord *ok = vi_jsonl_record_new ("fine");

    if (cases[i].caption != NULL)
      vi_jsonl_record_set_caption (refused, cases[i].caption);
    for (guint j = 0; j < G_N_ELEMENTS (cases[i].phrases); j++)
      if (cases[i].phrases[j] != NULL)
        vi_jsonl_record_add_phrase (refused, cases[i].phrases[j], cases[i].box);

    g_test_message ("refused: %s", cases[i].asset);
    g_assert_false (vi_jsonl_writer_write (writer, refused, NULL, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "would not read back"));
    g_assert_nonnull (strstr (error->message, cases[i].asset));
    if (strstr (error->message, cases[i].reason) == NULL)
      g_error ("\"%s\" does not say \"%s\"", error->message, cases[i].reason);
    g_clear_error (&error);

    /* The writer goes on. */
    vi_jsonl_record_set_caption (ok, "A cat");
    vi_jsonl_record_add_phrase (ok, "cat", &box);
    g_assert_true (vi_jsonl_record_compute_spans (ok, &error));
    g_assert_true (vi_jsonl_writer_write (writer, ok, NULL, &error));
    g_assert_no_error (error);
    g_ptr_array_add (good, ok);
  }
  g_assert_true (vi_jsonl_writer_close (writer, NULL, &error));
  g_assert_no_error (error);

  /* Every line reads back (read_all fails on any bad line). */
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  read = read_all (g_bytes_get_data (bytes, NULL),
                   (gssize) g_bytes_get_size (bytes));
  g_assert_cmpuint (read->len, ==, good->len);
  for (i = 0; i < read->len; i++)
    vi_test_assert_records_equal (good->pdata[i], read->pdata[i]);
}

static void
test_large_file (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autoptr (GError) error = NULL;
  g_autoptr (ViJsonlWriter) writer = NULL;
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  /* Many reader buffers either way; 10000 lines only with -m slow (under
   * ASan they took 25 s of CPU). */
  const guint    n_lines = g_test_slow () ? 10000 : 2000;
  guint          i, n = 0, n_phrases = 0, expected_phrases = 0;
  ViJsonlRecord *r;

  dir = g_dir_make_tmp ("test-jsonl-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "large.jsonl", NULL);

  writer = vi_jsonl_writer_new_for_path (path, &error);
  g_assert_no_error (error);
  for (i = 0; i < n_lines; i++) {
    g_autoptr (ViJsonlRecord) rec = random_record (rand, i);

    expected_phrases += vi_jsonl_record_get_n_phrases (rec);
    g_assert_true (vi_jsonl_writer_write (writer, rec, NULL, &error));
  }
  g_assert_true (vi_jsonl_writer_close (writer, NULL, &error));
  g_assert_no_error (error);

  reader = vi_jsonl_reader_new_for_path (path, &error);
  g_assert_no_error (error);
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  while ((r = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    g_autofree char *expected = g_strdup_printf ("asset-%u-é", n);

    g_assert_cmpstr (vi_jsonl_record_get_asset_id (r), ==, expected);
    n_phrases += vi_jsonl_record_get_n_phrases (r);
    n++;
    vi_jsonl_record_unref (r);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, n_lines);
  g_assert_cmpuint (n_phrases, ==, expected_phrases);
  g_assert_cmpuint (vi_jsonl_reader_get_line_number (reader), ==, n_lines);

  /* The error name is the path. */
  {
    g_autoptr (ViJsonlReader) r2 = NULL;
    g_autofree char *expected = g_strdup_printf ("%s:1: ", path);

    g_file_set_contents (path, "nope\n", -1, &error);
    g_assert_no_error (error);
    r2 = vi_jsonl_reader_new_for_path (path, &error);
    g_assert_no_error (error);
    vi_jsonl_reader_set_error_mode (r2, VI_JSONL_ERROR_MODE_FAIL);
    g_assert_null (vi_jsonl_reader_next (r2, NULL, &error));
    g_assert_error (error, VI_ERROR, VI_ERROR_INVALID_DATA);
    g_assert_true (g_str_has_prefix (error->message, expected));
    g_assert_cmpstr (vi_error_get_location (error), ==, path);
  }

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/jsonl/forms/flat", test_form_flat);
  g_test_add_func ("/jsonl/forms/plain-caption", test_form_plain_caption);
  g_test_add_func ("/jsonl/forms/nested", test_form_nested);
  g_test_add_func ("/jsonl/forms/vqa-interactions", test_form_vqa_interactions);
  g_test_add_func ("/jsonl/forms/vqa-question-answer",
                   test_form_vqa_question_answer);
  g_test_add_func ("/jsonl/forms/export-phrase-grounding",
                   test_form_export_phrase_grounding);
  g_test_add_func ("/jsonl/forms/export-vqa", test_form_export_vqa);
  g_test_add_func ("/jsonl/forms/caption-and-interactions",
                   test_form_caption_and_interactions);
  g_test_add_func ("/jsonl/forms/blank-crlf-bom", test_form_blank_crlf_bom);
  g_test_add_func ("/jsonl/spans", test_spans);
  g_test_add_func ("/jsonl/bad-lines/skip", test_bad_lines_skip);
  g_test_add_func ("/jsonl/bad-lines/warn", test_bad_lines_warn);
  g_test_add_func ("/jsonl/bad-lines/fail", test_bad_lines_fail);
  g_test_add_func ("/jsonl/bad-lines/kept", test_bad_lines_kept);
  g_test_add_func ("/jsonl/parse-line", test_parse_line);
  g_test_add_func ("/jsonl/too-long", test_too_long);
  g_test_add_func ("/jsonl/io-errors", test_io_errors);
  g_test_add_func ("/jsonl/cancelled", test_cancelled);
  g_test_add_func ("/jsonl/stream-name", test_stream_name);
  g_test_add_func ("/jsonl/record-api", test_record_api);
  g_test_add_func ("/jsonl/writer/lines", test_writer_lines);
  g_test_add_func ("/jsonl/writer/append-line", test_writer_append_line);
  g_test_add_func ("/jsonl/writer/round-trip", test_writer_round_trip);
  g_test_add_func ("/jsonl/writer/shortest-numbers", test_shortest_numbers);
  g_test_add_func ("/jsonl/reader/written-lines", test_written_lines);
  g_test_add_func ("/jsonl/writer/refuses", test_writer_refuses);
  g_test_add_func ("/jsonl/large-file", test_large_file);

  return g_test_run ();
}
