/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libFuzzer target for the JSONL parser: the input is parsed as one line
 * with vi_jsonl_parse_line() and read as a whole file by a ViJsonlReader.
 *
 * Whatever the input, nothing may crash, leak or log a critical; and a
 * record that parses must come back equal after vi_jsonl_record_to_line()
 * (the writer's output is always readable).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vi/vi.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_equal (const ViJsonlRecord *a, const ViJsonlRecord *b)
{
  guint i;

  if (g_strcmp0 (vi_jsonl_record_get_asset_id (a),
                 vi_jsonl_record_get_asset_id (b)) != 0 ||
      g_strcmp0 (vi_jsonl_record_get_caption (a),
                 vi_jsonl_record_get_caption (b)) != 0 ||
      vi_jsonl_record_get_n_phrases (a) != vi_jsonl_record_get_n_phrases (b) ||
      vi_jsonl_record_get_n_interactions (a) !=
          vi_jsonl_record_get_n_interactions (b))
    abort ();

  for (i = 0; i < vi_jsonl_record_get_n_phrases (a); i++) {
    const ViGroundedPhrase *pa = vi_jsonl_record_get_phrase (a, i);
    const ViGroundedPhrase *pb = vi_jsonl_record_get_phrase (b, i);

    if (strcmp (pa->phrase, pb->phrase) != 0 ||
        pa->bbox.x_min != pb->bbox.x_min || pa->bbox.y_min != pb->bbox.y_min ||
        pa->bbox.x_max != pb->bbox.x_max || pa->bbox.y_max != pb->bbox.y_max ||
        pa->start != pb->start || pa->end != pb->end ||
        !vi_bbox_is_valid (&pa->bbox))
      abort ();
  }

  for (i = 0; i < vi_jsonl_record_get_n_interactions (a); i++) {
    const ViVqaInteraction *va = vi_jsonl_record_get_interaction (a, i);
    const ViVqaInteraction *vb = vi_jsonl_record_get_interaction (b, i);

    if (strcmp (va->question, vb->question) != 0 ||
        strcmp (va->answer, vb->answer) != 0)
      abort ();
  }
}

static void
fuzz_one_line (const uint8_t *data, size_t size)
{
  g_autoptr (ViJsonlRecord) record = NULL;
  g_autoptr (ViJsonlRecord) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  record = vi_jsonl_parse_line ((const char *) data, (gssize) size, &error);
  if (record == NULL) {
    if (error == NULL ||
        !g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_DATA))
      abort ();
    return;
  }
  if (error != NULL)
    abort ();

  line = vi_jsonl_record_to_line (record);
  if (strchr (line, '\n') != NULL)
    abort ();
  again = vi_jsonl_parse_line (line, -1, &error);
  if (again == NULL)
    abort ();
  check_equal (record, again);
}

static void
fuzz_reader (const uint8_t *data, size_t size)
{
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  ViJsonlRecord *record;
  guint          n = 0;

  stream = g_memory_input_stream_new_from_data (data, (gssize) size, NULL);
  reader = vi_jsonl_reader_new (stream, "fuzz.jsonl");
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_SKIP);
  /* Small enough that the fuzzer reaches the long-line path. */
  vi_jsonl_reader_set_max_line_length (reader, 4096);

  while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    n++;
    vi_jsonl_record_unref (record);
  }

  /* A memory stream has no I/O errors. */
  if (error != NULL)
    abort ();
  if (n != vi_jsonl_reader_get_n_records (reader))
    abort ();
  if (vi_jsonl_reader_get_bad_lines (reader)->len >
      vi_jsonl_reader_get_n_bad_lines (reader))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialized = FALSE;

  if (!initialized) {
    /* A critical or warning is a bug the fuzzer should report. */
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    initialized = TRUE;
  }

  fuzz_one_line (data, size);
  fuzz_reader (data, size);

  return 0;
}
