/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The byte scanner of vi-json-scanner.h: what is not inline.
 */
#include "config.h"

#include "vi-json-scanner.h"

/* A message prefix and its separator, or nothing. */
#define SEP(prefix) \
  (prefix) != NULL ? (prefix) : "", (prefix) != NULL ? ": " : ""

/* "<prefix>: malformed JSON: <line>:<column>: <what>" */
void
vi_json_set_syntax_error_full (GError    **error,
                               ViError     code,
                               const char *prefix,
                               const char *data,
                               gsize       offset,
                               const char *what)
{
  guint line = 1, column = 1;
  gsize i;

  if (error == NULL)
    return;
  for (i = 0; i < offset; i++) {
    if (data[i] == '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  g_set_error (error, VI_ERROR, code, "%s%smalformed JSON: %u:%u: %s",
               SEP (prefix), line, column, what);
}

gboolean
vi_json_scan_syntax_error (ViJsonScanner *r,
                           const char    *at,
                           const char    *what,
                           GError       **error)
{
  gsize offset = at - r->data;

  if (r->byte_offsets)
    g_set_error (error, VI_ERROR, r->error_code,
                 "%s%sinvalid JSON at byte %" G_GSIZE_FORMAT ": %s",
                 r->error_prefix ? r->error_prefix : "",
                 r->error_prefix ? ": " : "", offset + 1, what);
  else
    vi_json_set_syntax_error_full (error, r->error_code, r->error_prefix,
                                   r->data, offset, what);
  r->failed = TRUE;
  return FALSE;
}

/* "unexpected character 'x'", or the byte in hexadecimal when it is not a
 * printable ASCII character. */
static gboolean
unexpected_character (ViJsonScanner *r, GError **error)
{
  char   what[40];
  guchar c = (guchar) *r->p;

  if (g_ascii_isgraph (c))
    g_snprintf (what, sizeof what, "unexpected character '%c'", c);
  else
    g_snprintf (what, sizeof what, "unexpected byte 0x%02X", c);
  return vi_json_scan_syntax_error (r, r->p, what, error);
}

/* What stands at r->p is not what the structure wants there: said as such
 * when it is JSON at all, as an unexpected character otherwise (a comment,
 * a single quote). */
static gboolean
structure_error (ViJsonScanner *r, const char *expected, GError **error)
{
  if (r->p < r->end && vi_json_scan_peek (r) == VI_JSON_TOKEN_INVALID &&
      *r->p != ',' && *r->p != ':' && *r->p != ']' && *r->p != '}')
    return unexpected_character (r, error);
  return vi_json_scan_syntax_error (r, r->p, expected, error);
}

/**
 * vi_json_scanner_init:
 * @r: the scanner
 * @data: the document, @len bytes
 * @len: its length
 * @scratch: (nullable): where strings with escapes are decoded; %NULL when
 *   strings are only checked
 *
 * Sets a scanner at the start of a document, with the library's nesting
 * limit and errors of syntax in the form of responses (`invalid response:
 * malformed JSON: <line>:<column>: <what>`).  Change the fields for other
 * documents.
 */
void
vi_json_scanner_init (ViJsonScanner *r,
                      const char    *data,
                      gsize          len,
                      GByteArray    *scratch)
{
  memset (r, 0, sizeof *r);
  /* An empty document has no data, and NULL + 0 is undefined. */
  r->data = data != NULL ? data : "";
  r->p = r->data;
  r->end = r->data + (data != NULL ? len : 0);
  r->scratch = scratch;
  r->max_depth = VI_JSON_MAX_DEPTH;
  r->error_code = VI_ERROR_INVALID_RESPONSE;
  r->error_prefix = "invalid response";
}

gboolean
vi_json_scanner_check_document (ViJsonScanner *r, GError **error)
{
  vi_json_scan_skip_ws (r);
  if (!vi_json_scan_skip_value (r, error))
    return FALSE;
  vi_json_scan_skip_ws (r);
  if (r->p != r->end)
    return vi_json_scan_syntax_error (r, r->p,
                                      "unexpected data after the root value",
                                      error);
  return TRUE;
}

const char *
vi_json_scan_describe_token (ViJsonToken kind)
{
  switch (kind) {
    case VI_JSON_TOKEN_OBJECT:
      return "an object";
    case VI_JSON_TOKEN_ARRAY:
      return "an array";
    case VI_JSON_TOKEN_STRING:
      return "a string";
    case VI_JSON_TOKEN_NUMBER:
      return "a number";
    case VI_JSON_TOKEN_TRUE:
    case VI_JSON_TOKEN_FALSE:
      return "a boolean";
    case VI_JSON_TOKEN_NULL:
      return "null";
    case VI_JSON_TOKEN_INVALID:
    case VI_JSON_TOKEN_END:
    default:
      return "nothing";
  }
}

/* A value of the wrong type: it must still be valid JSON (a syntax error
 * wins, as it does when json-glib parses the whole document first). */
gboolean
vi_json_scan_type_error (ViJsonScanner    *r,
                         const ViJsonPath *path,
                         const char       *expected,
                         GError          **error)
{
  ViJsonToken kind = vi_json_scan_peek (r);

  if (!vi_json_scan_skip_value (r, error))
    return FALSE;
  vi_json_set_error (error, path, "expected %s, got %s", expected,
                     vi_json_scan_describe_token (kind));
  return FALSE;
}

/* Length of the valid UTF-8 sequence at p (its first byte >= 0x80), or 0
 * (overlong forms, surrogates and values past U+10FFFF are invalid, as for
 * g_utf8_validate()). */
static gsize
utf8_sequence (const guchar *p, const guchar *end)
{
  gunichar value;
  gsize    n, i;

  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    n = 2;
    value = p[0] & 0x1f;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    value = p[0] & 0x0f;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    value = p[0] & 0x07;
  } else {
    return 0;
  }
  if ((gsize) (end - p) < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    value = (value << 6) | (p[i] & 0x3f);
  }
  if (n == 3 && (value < 0x800 || (value >= 0xd800 && value <= 0xdfff)))
    return 0;
  if (n == 4 && (value < 0x10000 || value > 0x10ffff))
    return 0;
  return n;
}

static int
hex4 (const guchar *p, const guchar *end)
{
  int value = 0, i;

  if (end - p < 4)
    return -1;
  for (i = 0; i < 4; i++) {
    int c = p[i];

    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= c - '0';
    else if (c >= 'a' && c <= 'f')
      value |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      value |= c - 'A' + 10;
    else
      return -1;
  }
  return value;
}

/* Reads the string at r->p (the quote), whose bytes before resume need
 * no attention.  With out == NULL it is only checked; otherwise out points
 * into the body or, when the string has escapes, into the scratch
 * buffer. */
gboolean
vi_json_scan_read_string_slow (ViJsonScanner *r,
                               const guchar  *resume,
                               ViJsonStr     *out,
                               GError       **error)
{
  const guchar *start = (const guchar *) r->p;
  const guchar *p = resume;
  const guchar *end = (const guchar *) r->end;
  const guchar *run = start + 1;
  gboolean      decoding = FALSE;
  gsize         offset = 0;

  while (p < end) {
    guchar c;

#ifdef VI_HAVE_SSE2
    /* 16 bytes at a time; signed "< 0x20" also catches bytes >= 0x80. */
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (gconstpointer) p);
      __m128i special =
          _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                      _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                        _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
      int mask = _mm_movemask_epi8 (special);

      if (mask != 0) {
        p += __builtin_ctz (mask);
        break;
      }
      p += 16;
    }
#endif
    while (end - p >= 8) {
      guint64 v;

      memcpy (&v, p, 8);
      if (vi_json_scan_has_special_byte (v))
        break;
      p += 8;
    }
    if (p >= end)
      break;
    c = *p;
    if (G_LIKELY (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')) {
      p++;
      continue;
    }
    if (c == '"') {
      if (out != NULL) {
        if (decoding) {
          g_byte_array_append (r->scratch, run, p - run);
          out->str = NULL;
          out->offset = offset;
          out->len = r->scratch->len - offset;
        } else {
          out->str = (const char *) start + 1;
          out->len = p - (start + 1);
        }
        out->state = VI_JSON_FIELD_SET;
      }
      r->p = (const char *) p + 1;
      return TRUE;
    }
    if (c >= 0x80) {
      gsize n = utf8_sequence (p, end);

      if (n == 0)
        return vi_json_scan_syntax_error (r, (const char *) p, "invalid UTF-8",
                                          error);
      p += n;
      continue;
    }
    if (c < 0x20)
      return vi_json_scan_syntax_error (r, (const char *) p,
                                        "control character in a string", error);

    /* A backslash. */
    if (out != NULL && !decoding) {
      decoding = TRUE;
      offset = r->scratch->len;
    }
    if (decoding)
      g_byte_array_append (r->scratch, run, p - run);
    if (p + 1 >= end)
      break;
    switch (p[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': {
        static const char from[] = "\"\\/bfnrt";
        static const char to[] = "\"\\/\b\f\n\r\t";
        guint8            decoded = to[strchr (from, p[1]) - from];

        if (decoding)
          g_byte_array_append (r->scratch, &decoded, 1);
        p += 2;
        break;
      }
      case 'u': {
        int      unit = hex4 (p + 2, end);
        gunichar value = unit;
        gsize    length = 6;

        if (unit >= 0xd800 && unit <= 0xdbff) {
          int low = (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
              ? hex4 (p + 8, end)
              : -1;

          if (low < 0xdc00 || low > 0xdfff)
            unit = -1;
          else
            value = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          length = 12;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          unit = -1;
        }
        if (unit < 0)
          return vi_json_scan_syntax_error (r, (const char *) p,
                                            "invalid \\u escape", error);
        if (value == 0 && r->refuse_nul)
          return vi_json_scan_syntax_error (r, (const char *) p,
                                            "\\u0000 (NUL) in a string", error);
        if (decoding) {
          char utf8[6];
          int  n = g_unichar_to_utf8 (value, utf8);

          g_byte_array_append (r->scratch, (const guint8 *) utf8, n);
        }
        p += length;
        break;
      }
      default:
        return vi_json_scan_syntax_error (r, (const char *) p,
                                          "invalid escape in a string", error);
    }
    run = p;
  }
  return vi_json_scan_syntax_error (r, (const char *) start,
                                    "unterminated string", error);
}

const double vi_json_scan_powers_of_ten[23] = {
  1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Reads the number at r->p, with the strict grammar of RFC 8259.  A
 * float is converted exactly when it has at most 15 significant digits
 * and a small exponent (one correctly rounded operation on two exact
 * doubles), with g_ascii_strtod() otherwise: the same value json-glib
 * gives. */
gboolean
vi_json_scan_read_number_slow (ViJsonScanner *r,
                               ViJsonNumber  *out,
                               GError       **error)
{
  const char *start = r->p, *p = r->p, *end = r->end;
  const char *int_start, *int_end, *frac_start = NULL, *frac_end = NULL;
  gboolean    negative = FALSE, has_exponent = FALSE;

  if (*p == '-') {
    negative = TRUE;
    p++;
  }
  int_start = p;
  if (p < end && *p == '0')
    p++;
  else if (p < end && g_ascii_isdigit (*p))
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    return vi_json_scan_syntax_error (r, start, "invalid number", error);
  int_end = p;
  if (p < end && *p == '.') {
    frac_start = ++p;
    while (p < end && g_ascii_isdigit (*p))
      p++;
    frac_end = p;
    if (frac_end == frac_start)
      return vi_json_scan_syntax_error (r, start, "invalid number", error);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    const char *digits;

    has_exponent = TRUE;
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    digits = p;
    while (p < end && g_ascii_isdigit (*p))
      p++;
    if (p == digits)
      return vi_json_scan_syntax_error (r, start, "invalid number", error);
  }
  if (p < end && (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '+'))
    return vi_json_scan_syntax_error (r, start, "invalid number", error);

  if (frac_start == NULL && !has_exponent) {
    guint64     value = 0;
    const char *q;

    for (q = int_start; q < int_end; q++) {
      guint digit = *q - '0';

      if (value > (G_MAXUINT64 - digit) / 10)
        return vi_json_scan_syntax_error (r, start,
                                          "integer out of the 64-bit range",
                                          error);
      value = value * 10 + digit;
    }
    if (value > (guint64) G_MAXINT64 + (negative ? 1 : 0))
      return vi_json_scan_syntax_error (r, start,
                                        "integer out of the 64-bit range",
                                        error);
    out->is_integer = TRUE;
    out->integer = negative ? (gint64) (0 - value) : (gint64) value;
    out->value = (double) out->integer;
  } else {
    guint64     mantissa = 0;
    int         significant = 0, exponent = 0;
    gboolean    fast = TRUE;
    const char *q;

    for (q = int_start; q < int_end && fast; q++) {
      if (mantissa == 0 && *q == '0')
        continue;
      mantissa = mantissa * 10 + (*q - '0');
      fast = ++significant <= 15;
    }
    for (q = frac_start; frac_start != NULL && q < frac_end && fast; q++) {
      exponent--;
      if (mantissa == 0 && *q == '0')
        continue;
      mantissa = mantissa * 10 + (*q - '0');
      fast = ++significant <= 15;
    }
    if (has_exponent && fast) {
      const char *e = int_end +
          (frac_start != NULL ? (frac_end - int_end) : 0) + 1;
      gboolean exp_negative = FALSE;
      int      value = 0;

      if (*e == '+' || *e == '-')
        exp_negative = (*e++ == '-');
      for (; e < p; e++) {
        value = value * 10 + (*e - '0');
        if (value > 1000) {
          fast = FALSE;
          break;
        }
      }
      exponent += exp_negative ? -value : value;
    }
    if (fast && exponent >= -22 && exponent <= 22) {
      double value = (double) mantissa;

      value = exponent < 0 ? value / vi_json_scan_powers_of_ten[-exponent]
                           : value * vi_json_scan_powers_of_ten[exponent];
      out->value = negative ? -value : value;
    } else {
      char  buffer[64];
      gsize len = p - start;

      if (len < sizeof buffer) {
        memcpy (buffer, start, len);
        buffer[len] = '\0';
        out->value = g_ascii_strtod (buffer, NULL);
      } else {
        g_autofree char *copy = g_strndup (start, len);

        out->value = g_ascii_strtod (copy, NULL);
      }
    }
    out->is_integer = FALSE;
    out->integer = 0;
  }
  r->p = p;
  return TRUE;
}

gboolean
vi_json_scan_read_literal (ViJsonScanner *r,
                           const char    *word,
                           gsize          len,
                           GError       **error)
{
  if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0 ||
      ((gsize) (r->end - r->p) > len && g_ascii_isalnum (r->p[len])))
    return vi_json_scan_syntax_error (r, r->p, "invalid literal", error);
  r->p += len;
  return TRUE;
}

gboolean
vi_json_scan_begin_container (ViJsonScanner *r, GError **error)
{
  if (++r->depth > r->max_depth) {
    char what[64];

    g_snprintf (what, sizeof what, "nesting too deep (more than %u levels)",
                r->max_depth);
    return vi_json_scan_syntax_error (r, r->p, what, error);
  }
  r->p++;
  return TRUE;
}

/* Moves to the next member of the object being read: TRUE with r->p on
 * its value and key (nullable) set to its name; FALSE at the end of the
 * object, or on a syntax error (r->failed). */
gboolean
vi_json_scan_next_member (ViJsonScanner *r,
                          gboolean      *first,
                          ViJsonStr     *key,
                          GError       **error)
{
  vi_json_scan_skip_ws (r);
  if (r->p >= r->end)
    return vi_json_scan_syntax_error (r, r->p, "unexpected end of data", error);
  if (*r->p == '}') {
    r->p++;
    r->depth--;
    return FALSE;
  }
  if (!*first) {
    if (*r->p != ',')
      return structure_error (r, "expected ',' or '}'", error);
    r->p++;
    vi_json_scan_skip_ws (r);
  }
  *first = FALSE;
  if (r->p >= r->end || *r->p != '"')
    return structure_error (r, "expected a member name", error);
  /* A name that is not wanted is only checked. */
  if (!vi_json_scan_read_string (r, key, error))
    return FALSE;
  vi_json_scan_skip_ws (r);
  if (r->p >= r->end || *r->p != ':')
    return vi_json_scan_syntax_error (r, r->p, "expected ':'", error);
  r->p++;
  vi_json_scan_skip_ws (r);
  if (r->p >= r->end)
    return vi_json_scan_syntax_error (r, r->p, "unexpected end of data", error);
  return TRUE;
}

/* The same for the elements of an array. */
gboolean
vi_json_scan_next_element (ViJsonScanner *r, gboolean *first, GError **error)
{
  vi_json_scan_skip_ws (r);
  if (r->p >= r->end)
    return vi_json_scan_syntax_error (r, r->p, "unexpected end of data", error);
  if (*r->p == ']') {
    r->p++;
    r->depth--;
    return FALSE;
  }
  if (!*first) {
    if (*r->p != ',')
      return vi_json_scan_syntax_error (r, r->p, "expected ',' or ']'", error);
    r->p++;
    vi_json_scan_skip_ws (r);
    if (r->p >= r->end)
      return vi_json_scan_syntax_error (r, r->p, "unexpected end of data",
                                        error);
    if (*r->p == ']')
      return vi_json_scan_syntax_error (r, r->p, "expected a value", error);
  }
  *first = FALSE;
  return TRUE;
}

gboolean
vi_json_scan_skip_value (ViJsonScanner *r, GError **error)
{
  gboolean     first = TRUE;
  ViJsonNumber number;

  switch (vi_json_scan_peek (r)) {
    case VI_JSON_TOKEN_OBJECT:
      if (!vi_json_scan_begin_container (r, error))
        return FALSE;
      while (vi_json_scan_next_member (r, &first, NULL, error)) {
        if (!vi_json_scan_skip_value (r, error))
          return FALSE;
      }
      return !r->failed;
    case VI_JSON_TOKEN_ARRAY:
      if (!vi_json_scan_begin_container (r, error))
        return FALSE;
      while (vi_json_scan_next_element (r, &first, error)) {
        if (!vi_json_scan_skip_value (r, error))
          return FALSE;
      }
      return !r->failed;
    case VI_JSON_TOKEN_STRING:
      return vi_json_scan_read_string (r, NULL, error);
    case VI_JSON_TOKEN_NUMBER:
      return vi_json_scan_read_number (r, &number, error);
    case VI_JSON_TOKEN_TRUE:
      return vi_json_scan_read_literal (r, "true", 4, error);
    case VI_JSON_TOKEN_FALSE:
      return vi_json_scan_read_literal (r, "false", 5, error);
    case VI_JSON_TOKEN_NULL:
      return vi_json_scan_read_literal (r, "null", 4, error);
    case VI_JSON_TOKEN_END:
      return vi_json_scan_syntax_error (r, r->p, "unexpected end of data",
                                        error);
    case VI_JSON_TOKEN_INVALID:
    default:
      return unexpected_character (r, error);
  }
}

/* Typed members.  A null is recorded (VI_JSON_FIELD_NULL) and judged by the caller,
 * which knows whether the member is required. */
gboolean
vi_json_scan_member_string (ViJsonScanner    *r,
                            const ViJsonPath *path,
                            ViJsonStr        *out,
                            GError          **error)
{
  switch (vi_json_scan_peek (r)) {
    case VI_JSON_TOKEN_STRING:
      return vi_json_scan_read_string (r, out, error);
    case VI_JSON_TOKEN_NULL:
      out->state = VI_JSON_FIELD_NULL;
      return vi_json_scan_read_literal (r, "null", 4, error);
    default:
      return vi_json_scan_type_error (r, path, "a string", error);
  }
}

gboolean
vi_json_scan_member_int (ViJsonScanner    *r,
                         const ViJsonPath *path,
                         gint64           *out,
                         ViJsonField      *state,
                         GError          **error)
{
  ViJsonNumber number;

  switch (vi_json_scan_peek (r)) {
    case VI_JSON_TOKEN_NUMBER:
      if (!vi_json_scan_read_number (r, &number, error))
        return FALSE;
      if (!number.is_integer) {
        vi_json_set_error (error, path,
                           "expected an integer, got a floating-point number");
        return FALSE;
      }
      *out = number.integer;
      *state = VI_JSON_FIELD_SET;
      return TRUE;
    case VI_JSON_TOKEN_NULL:
      *state = VI_JSON_FIELD_NULL;
      return vi_json_scan_read_literal (r, "null", 4, error);
    default:
      return vi_json_scan_type_error (r, path, "an integer", error);
  }
}

/* A number that must be one, from an array element (no null allowed). */
gboolean
vi_json_scan_element_double (ViJsonScanner    *r,
                             const ViJsonPath *path,
                             double           *out,
                             GError          **error)
{
  ViJsonNumber number;

  if (vi_json_scan_peek (r) != VI_JSON_TOKEN_NUMBER)
    return vi_json_scan_type_error (r, path, "a number", error);
  if (!vi_json_scan_read_number (r, &number, error))
    return FALSE;
  if (!isfinite (number.value)) {
    vi_json_set_error (error, path, "number out of range");
    return FALSE;
  }
  *out = number.value;
  return TRUE;
}

gboolean
vi_json_scan_element_int (ViJsonScanner    *r,
                          const ViJsonPath *path,
                          gint64           *out,
                          GError          **error)
{
  ViJsonField state = VI_JSON_FIELD_ABSENT;

  if (vi_json_scan_peek (r) == VI_JSON_TOKEN_NULL)
    return vi_json_scan_type_error (r, path, "an integer", error);
  return vi_json_scan_member_int (r, path, out, &state, error);
}

/* The checks the tree reader makes on a member when it is looked up. */
gboolean
vi_json_scan_require_field (ViJsonField       state,
                            const ViJsonPath *parent,
                            const char       *member,
                            const char       *expected,
                            GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  if (state == VI_JSON_FIELD_SET)
    return TRUE;
  if (state == VI_JSON_FIELD_ABSENT)
    vi_json_set_error (error, &path, "missing required field");
  else
    vi_json_set_error (error, &path, "expected %s, got null", expected);
  return FALSE;
}

/* An object member that must be an object: reads '{' and returns TRUE with
 * *state VI_JSON_FIELD_SET, or records null, or fails. */
gboolean
vi_json_scan_member_object (ViJsonScanner    *r,
                            const ViJsonPath *path,
                            ViJsonField      *state,
                            GError          **error)
{
  switch (vi_json_scan_peek (r)) {
    case VI_JSON_TOKEN_OBJECT:
      *state = VI_JSON_FIELD_SET;
      return TRUE;
    case VI_JSON_TOKEN_NULL:
      *state = VI_JSON_FIELD_NULL;
      return vi_json_scan_read_literal (r, "null", 4, error);
    default:
      return vi_json_scan_type_error (r, path, "an object", error);
  }
}
