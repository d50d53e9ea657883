/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/* Private to libvi (it is not among the public headers of meson.build). */

/*
 * The byte scanner: JSON read straight from the bytes of a document, with
 * the strict grammar of RFC 8259 (no comments, single quotes, leading
 * zeros, unknown escapes, lone surrogates, control characters or invalid
 * UTF-8 in strings, integers beyond 64 bits, data after the root) and a
 * nesting limit.  It is the one checker of JSON text in libvi:
 * vi_json_parse_data() runs it over a document before json-glib builds
 * the tree, the JSONL reader over each line, and the page reader
 * (vi-page-reader.c) builds the model from its tokens without a tree.
 *
 * Strings are slices of the document; only those with escapes are
 * decoded, into a scratch buffer.  Errors of syntax say what and where,
 * in the form the scanner was set up with (a line and column of a
 * response, or a byte of a JSONL line).
 */

#include <math.h>
#include <string.h>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define VI_HAVE_SSE2 1
#endif

#include "vi-json-private.h"

G_BEGIN_DECLS

/* For the few helpers of the hot loops. */
#if defined(__GNUC__)
#define VI_JSON_INLINE static inline __attribute__ ((always_inline))
#else
#define VI_JSON_INLINE static inline
#endif

typedef enum {
  VI_JSON_FIELD_ABSENT,
  VI_JSON_FIELD_NULL,
  VI_JSON_FIELD_SET,
} ViJsonField;

typedef struct {
  const char *str;    /* in the body, or NULL when decoded into scratch */
  gsize       offset; /* in scratch */
  gsize       len;
  ViJsonField state;
} ViJsonStr;

typedef struct {
  const char *data;
  const char *p;
  const char *end;
  guint       depth;
  gboolean    failed;  /* a syntax error was reported */
  GByteArray *scratch; /* nullable when no string is wanted (checks) */
  guint       max_depth;
  gboolean    refuse_nul; /* \u0000 in a string is an error (JSONL) */
  /* How syntax errors are reported: code, prefix of the message, and the
   * place as line:column or as a byte offset. */
  ViError     error_code;
  const char *error_prefix;
  gboolean    byte_offsets;
} ViJsonScanner;

typedef enum {
  VI_JSON_TOKEN_OBJECT,
  VI_JSON_TOKEN_ARRAY,
  VI_JSON_TOKEN_STRING,
  VI_JSON_TOKEN_NUMBER,
  VI_JSON_TOKEN_TRUE,
  VI_JSON_TOKEN_FALSE,
  VI_JSON_TOKEN_NULL,
  VI_JSON_TOKEN_INVALID,
  VI_JSON_TOKEN_END,
} ViJsonToken;

typedef struct {
  gboolean is_integer;
  gint64   integer;
  double   value;
} ViJsonNumber;

extern const double vi_json_scan_powers_of_ten[23];

void vi_json_scanner_init (ViJsonScanner *r,
                           const char    *data,
                           gsize          len,
                           GByteArray    *scratch);
/* Checks that the whole document is one JSON value, with the rules of the
 * scanner, and nothing but white space after it. */
gboolean vi_json_scanner_check_document (ViJsonScanner *r, GError **error);

gboolean    vi_json_scan_syntax_error (ViJsonScanner *r,
                                       const char    *at,
                                       const char    *what,
                                       GError       **error);
const char *vi_json_scan_describe_token (ViJsonToken kind);
gboolean    vi_json_scan_type_error (ViJsonScanner    *r,
                                     const ViJsonPath *path,
                                     const char       *expected,
                                     GError          **error);
gboolean    vi_json_scan_read_string_slow (ViJsonScanner *r,
                                           const guchar  *resume,
                                           ViJsonStr     *out,
                                           GError       **error);
gboolean    vi_json_scan_read_number_slow (ViJsonScanner *r,
                                           ViJsonNumber  *out,
                                           GError       **error);
gboolean    vi_json_scan_read_literal (ViJsonScanner *r,
                                       const char    *word,
                                       gsize          len,
                                       GError       **error);
gboolean    vi_json_scan_begin_container (ViJsonScanner *r, GError **error);
gboolean    vi_json_scan_next_member (ViJsonScanner *r,
                                      gboolean      *first,
                                      ViJsonStr     *key,
                                      GError       **error);
gboolean    vi_json_scan_next_element (ViJsonScanner *r,
                                       gboolean      *first,
                                       GError       **error);
gboolean    vi_json_scan_skip_value (ViJsonScanner *r, GError **error);
gboolean    vi_json_scan_member_string (ViJsonScanner    *r,
                                        const ViJsonPath *path,
                                        ViJsonStr        *out,
                                        GError          **error);
gboolean    vi_json_scan_member_int (ViJsonScanner    *r,
                                     const ViJsonPath *path,
                                     gint64           *out,
                                     ViJsonField      *state,
                                     GError          **error);
gboolean    vi_json_scan_element_double (ViJsonScanner    *r,
                                         const ViJsonPath *path,
                                         double           *out,
                                         GError          **error);
gboolean    vi_json_scan_element_int (ViJsonScanner    *r,
                                      const ViJsonPath *path,
                                      gint64           *out,
                                      GError          **error);
gboolean    vi_json_scan_require_field (ViJsonField       state,
                                        const ViJsonPath *parent,
                                        const char       *member,
                                        const char       *expected,
                                        GError          **error);
gboolean    vi_json_scan_member_object (ViJsonScanner    *r,
                                        const ViJsonPath *path,
                                        ViJsonField      *state,
                                        GError          **error);

VI_JSON_INLINE void
vi_json_scan_skip_ws (ViJsonScanner *r)
{
  /* Bodies are usually compact. */
  if (G_LIKELY (r->p < r->end && (guchar) *r->p > ' '))
    return;
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static inline ViJsonToken
vi_json_scan_peek (ViJsonScanner *r)
{
  if (r->p >= r->end)
    return VI_JSON_TOKEN_END;
  switch (*r->p) {
    case '{':
      return VI_JSON_TOKEN_OBJECT;
    case '[':
      return VI_JSON_TOKEN_ARRAY;
    case '"':
      return VI_JSON_TOKEN_STRING;
    case 't':
      return VI_JSON_TOKEN_TRUE;
    case 'f':
      return VI_JSON_TOKEN_FALSE;
    case 'n':
      return VI_JSON_TOKEN_NULL;
    default:
      if (*r->p == '-' || g_ascii_isdigit (*r->p))
        return VI_JSON_TOKEN_NUMBER;
      return VI_JSON_TOKEN_INVALID;
  }
}

static inline const char *
vi_json_scan_str_data (const ViJsonScanner *r, const ViJsonStr *s)
{
  return s->str != NULL ? s->str : (const char *) r->scratch->data + s->offset;
}

static inline gboolean
vi_json_scan_str_equal (const ViJsonScanner *r,
                        const ViJsonStr     *s,
                        const char          *literal,
                        gsize                literal_len)
{
  return s->len == literal_len &&
      memcmp (vi_json_scan_str_data (r, s), literal, literal_len) == 0;
}

#define VI_JSON_KEY_IS(r, key, literal) \
  vi_json_scan_str_equal ((r), (key), literal, sizeof (literal) - 1)

/* Whether any of the 8 bytes of v is '"', '\\', a control character or
 * not ASCII (false positives are harmless: the caller then looks at each
 * byte). */
static inline gboolean
vi_json_scan_has_special_byte (guint64 v)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);
  guint64       quote = v ^ (ones * '"');
  guint64       backslash = v ^ (ones * '\\');

  return ((((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
           (v - ones * 0x20) | v) &
          highs) != 0;
}

/* vi_json_scan_read_string_slow(), with the common case inline: a string of plain
 * ASCII (no escape, control character or byte >= 0x80). */
VI_JSON_INLINE gboolean
vi_json_scan_read_string (ViJsonScanner *r, ViJsonStr *out, GError **error)
{
  const guchar *start = (const guchar *) r->p;
  const guchar *p = start + 1;
#ifdef VI_HAVE_SSE2
  const guchar *end = (const guchar *) r->end;

  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128 ((const __m128i *) (gconstpointer) p);
    __m128i special =
        _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                    _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                      _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
    int mask = _mm_movemask_epi8 (special);

    if (mask != 0) {
      p += __builtin_ctz (mask);
      if (G_LIKELY (*p == '"')) {
        if (out != NULL) {
          out->str = (const char *) start + 1;
          out->len = p - (start + 1);
          out->state = VI_JSON_FIELD_SET;
        }
        r->p = (const char *) p + 1;
        return TRUE;
      }
      break;
    }
    p += 16;
  }
#endif
  return vi_json_scan_read_string_slow (r, p, out, error);
}

/* vi_json_scan_read_number_slow(), with the common cases inline: an integer of up to
 * 18 digits, or a number with a fraction and no exponent whose digits
 * fit in 2^53 with at most 22 of them after the point (the value is
 * then one correctly rounded division of two exact doubles).  Anything
 * else, errors included, is left to vi_json_scan_read_number_slow(). */
VI_JSON_INLINE gboolean
vi_json_scan_read_number (ViJsonScanner *r, ViJsonNumber *out, GError **error)
{
  const char *p = r->p, *end = r->end;
  const char *digits, *frac = NULL;
  gboolean    negative = FALSE;
  guint64     mantissa = 0;
  gsize       n_digits;

  if (*p == '-') {
    negative = TRUE;
    p++;
  }
  digits = p;
  if (p < end && *p == '0') {
    p++;
  } else {
    while (p < end && (guint) (*p - '0') < 10) {
      mantissa = mantissa * 10 + (guint) (*p - '0');
      p++;
    }
  }
  n_digits = p - digits;
  if (G_UNLIKELY (n_digits == 0 || n_digits > 18))
    return vi_json_scan_read_number_slow (r, out, error);
  if (p < end && *p == '.') {
    frac = ++p;
    while (p < end && (guint) (*p - '0') < 10) {
      mantissa = mantissa * 10 + (guint) (*p - '0');
      p++;
    }
    if (G_UNLIKELY (p == frac || p - frac > 22 || n_digits + (p - frac) > 18 ||
                    mantissa > (G_GUINT64_CONSTANT (1) << 53)))
      return vi_json_scan_read_number_slow (r, out, error);
  }
  /* Usually followed by one of ",]}". */
  if (G_UNLIKELY (
          p < end && *p != ',' && *p != ']' && *p != '}' &&
          (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '+')))
    return vi_json_scan_read_number_slow (r, out, error);

  if (frac == NULL) {
    out->is_integer = TRUE;
    out->integer = negative ? -(gint64) mantissa : (gint64) mantissa;
    out->value = (double) out->integer;
  } else {
    double value = (double) mantissa / vi_json_scan_powers_of_ten[p - frac];

    out->is_integer = FALSE;
    out->integer = 0;
    out->value = negative ? -value : value;
  }
  r->p = p;
  return TRUE;
}

G_END_DECLS
