/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_JSONL_H__
#define __VI_JSONL_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <vi/vi-version.h>
#include <vi/vi-geometry.h>

G_BEGIN_DECLS

/**
 * ViJsonlFormat:
 * @VI_JSONL_FORMAT_FLAT: the reference's phrase-grounding form: top-level
 *   `caption` and `grounded_phrases[].bbox` (also a plain caption line)
 * @VI_JSONL_FORMAT_NESTED: the guide's form: `contents.caption` and
 *   `contents.grounded_phrases[].bound`
 * @VI_JSONL_FORMAT_VQA: VQA, `contents.interactions[]` or
 *   `contents.question`/`contents.answer`
 * @VI_JSONL_FORMAT_EXPORT: the dataset export form (`contents.type` is
 *   `PhraseGrounding` or `Vqa`)
 *
 * Which form a line was read from.
 */
typedef enum {
  VI_JSONL_FORMAT_FLAT,
  VI_JSONL_FORMAT_NESTED,
  VI_JSONL_FORMAT_VQA,
  VI_JSONL_FORMAT_EXPORT,
} ViJsonlFormat;

/**
 * ViJsonlErrorMode:
 * @VI_JSONL_ERROR_MODE_SKIP: skip bad lines silently (they are counted)
 * @VI_JSONL_ERROR_MODE_WARN: skip bad lines, logging a warning for each
 * @VI_JSONL_ERROR_MODE_FAIL: stop at the first bad line with an error
 *
 * What a #ViJsonlReader does with a bad line.
 */
typedef enum {
  VI_JSONL_ERROR_MODE_SKIP,
  VI_JSONL_ERROR_MODE_WARN,
  VI_JSONL_ERROR_MODE_FAIL,
} ViJsonlErrorMode;

/**
 * ViGroundedPhrase:
 * @phrase: the phrase text
 * @bbox: its box, normalized
 * @start: first character of the phrase in the caption, in Unicode
 *   characters, or -1 when not known
 * @end: one past the last character (`[start, end)`), or -1
 *
 * One grounded phrase of a caption.
 */
typedef struct {
  char  *phrase;
  ViBBox bbox;
  int    start;
  int    end;
} ViGroundedPhrase;

/**
 * ViVqaInteraction:
 * @question: the question
 * @answer: the answer
 * @order: its position among the record's interactions
 *
 * One question/answer pair.
 */
typedef struct {
  char *question;
  char *answer;
  int   order;
} ViVqaInteraction;

typedef struct _ViJsonlRecord ViJsonlRecord;

#define VI_TYPE_JSONL_RECORD (vi_jsonl_record_get_type ())

VI_AVAILABLE_IN_ALL
GType vi_jsonl_record_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViJsonlRecord *vi_jsonl_record_new (const char *asset_id);
VI_AVAILABLE_IN_ALL
ViJsonlRecord *vi_jsonl_record_ref (ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
void vi_jsonl_record_unref (ViJsonlRecord *record);

VI_AVAILABLE_IN_ALL
const char *vi_jsonl_record_get_asset_id (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
const char *vi_jsonl_record_get_id (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
ViJsonlFormat vi_jsonl_record_get_format (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
const char *vi_jsonl_record_get_caption (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_record_get_n_phrases (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
const ViGroundedPhrase *vi_jsonl_record_get_phrase (const ViJsonlRecord *record,
                                                    guint                index);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_record_get_n_interactions (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_record_get_n_parts (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
const ViVqaInteraction *vi_jsonl_record_get_interaction (
    const ViJsonlRecord *record,
    guint                index);

VI_AVAILABLE_IN_ALL
void vi_jsonl_record_set_id (ViJsonlRecord *record, const char *id);
VI_AVAILABLE_IN_ALL
void vi_jsonl_record_set_caption (ViJsonlRecord *record, const char *caption);
VI_AVAILABLE_IN_ALL
void vi_jsonl_record_add_phrase (ViJsonlRecord *record,
                                 const char    *phrase,
                                 const ViBBox  *bbox);
VI_AVAILABLE_IN_ALL
void vi_jsonl_record_add_interaction (ViJsonlRecord *record,
                                      const char    *question,
                                      const char    *answer);
VI_AVAILABLE_IN_ALL
gboolean vi_jsonl_record_compute_spans (ViJsonlRecord *record, GError **error);
VI_AVAILABLE_IN_ALL
char *vi_jsonl_record_to_line (const ViJsonlRecord *record);
VI_AVAILABLE_IN_ALL
void vi_jsonl_record_append_line (const ViJsonlRecord *record, GString *out);

VI_AVAILABLE_IN_ALL
ViJsonlRecord *vi_jsonl_parse_line (const char *line,
                                    gssize      length,
                                    GError    **error);

#define VI_TYPE_JSONL_READER (vi_jsonl_reader_get_type ())
VI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ViJsonlReader, vi_jsonl_reader, VI, JSONL_READER, GObject)

VI_AVAILABLE_IN_ALL
ViJsonlReader *vi_jsonl_reader_new (GInputStream *stream, const char *name);
VI_AVAILABLE_IN_ALL
ViJsonlReader *vi_jsonl_reader_new_for_path (const char *path, GError **error);
VI_AVAILABLE_IN_ALL
void vi_jsonl_reader_set_error_mode (ViJsonlReader   *reader,
                                     ViJsonlErrorMode mode);
VI_AVAILABLE_IN_ALL
ViJsonlErrorMode vi_jsonl_reader_get_error_mode (ViJsonlReader *reader);
VI_AVAILABLE_IN_ALL
void vi_jsonl_reader_set_max_line_length (ViJsonlReader *reader,
                                          gsize          max_length);
VI_AVAILABLE_IN_ALL
ViJsonlRecord *vi_jsonl_reader_next (ViJsonlReader *reader,
                                     GCancellable  *cancellable,
                                     GError       **error);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_reader_get_line_number (ViJsonlReader *reader);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_reader_get_n_records (ViJsonlReader *reader);
VI_AVAILABLE_IN_ALL
guint vi_jsonl_reader_get_n_bad_lines (ViJsonlReader *reader);
VI_AVAILABLE_IN_ALL
GPtrArray *vi_jsonl_reader_get_bad_lines (ViJsonlReader *reader);

#define VI_TYPE_JSONL_WRITER (vi_jsonl_writer_get_type ())
VI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ViJsonlWriter, vi_jsonl_writer, VI, JSONL_WRITER, GObject)

VI_AVAILABLE_IN_ALL
ViJsonlWriter *vi_jsonl_writer_new (GOutputStream *stream);
VI_AVAILABLE_IN_ALL
ViJsonlWriter *vi_jsonl_writer_new_for_path (const char *path, GError **error);
VI_AVAILABLE_IN_ALL
gboolean vi_jsonl_writer_write (ViJsonlWriter       *writer,
                                const ViJsonlRecord *record,
                                GCancellable        *cancellable,
                                GError             **error);
VI_AVAILABLE_IN_ALL
gboolean vi_jsonl_writer_close (ViJsonlWriter *writer,
                                GCancellable  *cancellable,
                                GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViJsonlRecord, vi_jsonl_record_unref)

G_END_DECLS

#endif /* __VI_JSONL_H__ */
