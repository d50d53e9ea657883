/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small JSON writer on GString, shared by the JSONL writer and the local
 * server's responses.  It is much faster than JsonBuilder + JsonGenerator
 * (a page of 1000 annotations: well under 1 ms against about 30 ms with
 * json-glib 1.6).  Strings must be valid UTF-8.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vi-json-write-private.h"

void
_vi_json_append_string (GString    *out,
                       const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const char *p, *run;

  g_string_append_c (out, '"');
  /* Copy runs of characters that need no escaping in one go; only '"', '\\'
   * and control characters are escaped, UTF-8 is written as it is. */
  run = str;
  for (p = str; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      if (p > run)
        g_string_append_len (out, run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"':
          g_string_append_len (out, "\\\"", 2);
          break;
        case '\\':
          g_string_append_len (out, "\\\\", 2);
          break;
        case '\n':
          g_string_append_len (out, "\\n", 2);
          break;
        case '\r':
          g_string_append_len (out, "\\r", 2);
          break;
        case '\t':
          g_string_append_len (out, "\\t", 2);
          break;
        case '\b':
          g_string_append_len (out, "\\b", 2);
          break;
        case '\f':
          g_string_append_len (out, "\\f", 2);
          break;
        default:
          g_string_append_len (out, "\\u00", 4);
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
          break;
        }
    }
  if (p > run)
    g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

/* Appends m / 10^k: the digits of m with a decimal point k digits from
 * the right, without the fraction's trailing zeros (none at all for a
 * whole number). */
static void
append_decimal (GString *out,
                guint64  m,
                guint    k)
{
  char buf[48];
  char *end = buf + sizeof buf, *p = end;
  guint i;

  /* The fraction, right to left, skipping its trailing zeros. */
  for (i = 0; i < k && m % 10 == 0; i++)
    m /= 10;
  for (; i < k; i++)
    {
      *--p = (char) ('0' + m % 10);
      m /= 10;
    }
  if (p != end)
    *--p = '.';
  do
    {
      *--p = (char) ('0' + m % 10);
      m /= 10;
    }
  while (m != 0);
  g_string_append_len (out, p, end - p);
}

#ifdef __SIZEOF_INT128__
/* The shortest decimal of a double in [1e-3, 1e6), exactly, in integers:
 * the value is M·2^-s (M of 53 bits); for k = 1, 2, ... fraction digits,
 * m = round (value·10^k) is the only candidate, and it reads back as the
 * value when m·10^-k lies in the value's rounding interval, the half-ulps
 * around it (bounds included when M is even, as strtod() breaks ties to
 * even).  Everything fits in 128 bits in that range: M·10^k < 2^128 for
 * k <= 21, and m·2^(s+2) with m < 10^17, s <= 63.  Found for every value
 * (17 digits always suffice); no printf, no strtod. */
typedef unsigned __int128 u128;

/* 10^k for k <= 21. */
static u128
pow10_128 (guint k)
{
  static const guint64 pow10[] = { G_GUINT64_CONSTANT (1),
    G_GUINT64_CONSTANT (10), G_GUINT64_CONSTANT (100),
    G_GUINT64_CONSTANT (1000), G_GUINT64_CONSTANT (10000),
    G_GUINT64_CONSTANT (100000), G_GUINT64_CONSTANT (1000000),
    G_GUINT64_CONSTANT (10000000), G_GUINT64_CONSTANT (100000000),
    G_GUINT64_CONSTANT (1000000000), G_GUINT64_CONSTANT (10000000000),
    G_GUINT64_CONSTANT (100000000000), G_GUINT64_CONSTANT (1000000000000),
    G_GUINT64_CONSTANT (10000000000000),
    G_GUINT64_CONSTANT (100000000000000),
    G_GUINT64_CONSTANT (1000000000000000),
    G_GUINT64_CONSTANT (10000000000000000),
    G_GUINT64_CONSTANT (100000000000000000),
    G_GUINT64_CONSTANT (1000000000000000000),
    G_GUINT64_CONSTANT (10000000000000000000) };

  if (k < G_N_ELEMENTS (pow10))
    return pow10[k];
  return (u128) pow10[19] * (k == 20 ? 10 : 100);
}

/* Whether m = round (M·2^-s·10^k) reads back as the value M·2^-s: it is
 * below 10^17 and m·10^-k lies in the value's rounding interval. */
static gboolean
probe_digits (guint64 M, int s, gboolean pow2, guint k, guint64 *out)
{
  u128 p10 = pow10_128 (k), m, lhs, lo, hi;

  m = ((u128) M * p10 + ((u128) 1 << (s - 1))) >> s;
  if (m >= (u128) G_GUINT64_CONSTANT (100000000000000000))
    return FALSE;
  lhs = m << (s + 2);
  lo = ((u128) 4 * M - (pow2 ? 1 : 2)) * p10;
  hi = ((u128) 4 * M + 2) * p10;
  /* strtod() breaks ties to even: the bounds belong to an even M. */
  if ((M & 1) == 0 ? (lhs < lo || lhs > hi) : (lhs <= lo || lhs >= hi))
    return FALSE;
  *out = (guint64) m;
  return TRUE;
}

static gboolean
append_shortest_exact (GString *out,
                       double   value)
{
  guint64 bits, M, m = 0, best_m = 0;
  guint lo_k = 1, hi_k = 21, best_k = 0, k17;
  gboolean pow2;
  int s, e;

  memcpy (&bits, &value, sizeof bits);
  e = (int) ((bits >> 52) & 0x7ff);
  M = (bits & ((G_GUINT64_CONSTANT (1) << 52) - 1)) |
      (G_GUINT64_CONSTANT (1) << 52);
  s = 1075 - e;
  if (s < 1 || s > 63)
    return FALSE;
  /* A power of two has a closer neighbour below: its interval is
   * asymmetric.  Bounds in units of 2^-(s+2): [4M - 1 or 4M - 2, 4M + 2]. */
  pow2 = (bits & ((G_GUINT64_CONSTANT (1) << 52) - 1)) == 0;

  /* k17 fraction digits give 17 significant digits (always enough). */
  if (value >= 1)
    k17 = 17 - (value >= 1e5 ? 6 : value >= 1e4 ? 5 : value >= 1e3 ? 4 :
        value >= 1e2 ? 3 : value >= 10 ? 2 : 1);
  else
    k17 = 17 + (value < 0.01 ? 2 : value < 0.1 ? 1 : 0);

  /* Short decimals first, cheaply: with at most 9 fraction digits (at
   * most 15 significant ones here), m = round (value·10^k) computed in
   * doubles is the right candidate, and m / 10^k (a correctly rounded
   * division of exact values) equals the value exactly when "m·10^-k"
   * reads back as it. */
  {
    static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                    1e8, 1e9 };

    for (guint k = 1; k < G_N_ELEMENTS (pow10); k++)
      {
        m = (guint64) (value * pow10[k] + 0.5);
        if ((double) m / pow10[k] == value)
          {
            append_decimal (out, m, k);
            return TRUE;
          }
      }
    lo_k = G_N_ELEMENTS (pow10);
  }

  /* Most others need 16 or 17: when 16 do not read back, 17 it is; else
   * fewer may do. */
  if (!probe_digits (M, s, pow2, k17 - 1, &best_m))
    {
      if (probe_digits (M, s, pow2, k17, &m))
        {
          append_decimal (out, m, k17);
          return TRUE;
        }
    }
  else
    {
      best_k = k17 - 1;
      hi_k = best_k - 1;
    }

  /* Found with k digits means found with more: a binary search for the
   * fewest.  More than 17 significant digits means fewer fraction digits
   * will do. */
  while (lo_k <= hi_k)
    {
      guint k = (lo_k + hi_k) / 2;
      u128 p10 = pow10_128 (k);

      if (((u128) M * p10 >> s) >= (u128) G_GUINT64_CONSTANT (100000000000000000))
        hi_k = k - 1;
      else if (probe_digits (M, s, pow2, k, &m))
        {
          best_k = k;
          best_m = m;
          hi_k = k - 1;
        }
      else
        lo_k = k + 1;
    }
  if (best_k == 0)
    return FALSE;
  append_decimal (out, best_m, best_k);
  return TRUE;
}
#endif

/* The shortest decimal form that reads back as the same double: 0.1 is
 * written "0.1", not "0.10000000000000001" as "%.17g" would.  A whole
 * number is written without a fraction ("1"). */
void
_vi_json_append_number (GString *out,
                       double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      /* JSON has no NaN or infinity. */
      g_string_append_len (out, "null", 4);
      return;
    }
  if (value == 0)
    {
      g_string_append_c (out, '0');
      return;
    }

#ifdef __SIZEOF_INT128__
  /* Where normalized coordinates and pixel sizes are. */
  if (value >= 1e-3 && value < 1e6 && append_shortest_exact (out, value))
    return;
#endif

  /* Elsewhere, values with a few decimals: the fewest decimals k for
   * which m / 10^k (one correctly rounded division of exact values: m
   * below 2^53, 10^k exact up to 10^22) is the value itself; then "0.m"
   * reads back as exactly that double, as strtod() rounds correctly
   * too. */
  if (value > 0 && value < 1e6)
    {
      static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                      1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
                                      1e21, 1e22 };
      for (guint k = 1; k < G_N_ELEMENTS (pow10); k++)
        {
          double scaled = value * pow10[k];
          guint64 m;

          if (scaled >= 9007199254740992.0)     /* 2^53 */
            break;
          m = (guint64) (scaled + 0.5);
          if ((double) m / pow10[k] == value)
            {
              append_decimal (out, m, k);
              return;
            }
        }
    }

  /* The shortest of %.15g, %.16g, %.17g that reads back as the same double:
   * 0.1 stays "0.1" instead of "0.10000000000000001". */
  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    {
      g_ascii_formatd (buf, sizeof buf, "%.16g", value);
      if (g_ascii_strtod (buf, NULL) != value)
        g_ascii_formatd (buf, sizeof buf, "%.17g", value);
    }
  g_string_append (out, buf);
}

void
_vi_json_append_int (GString *out,
                    gint64   value)
{
  g_string_append_printf (out, "%" G_GINT64_FORMAT, value);
}

/* Percent-encodes one path segment: everything but the RFC 3986 unreserved
 * characters, and the dots of a "." or ".." segment, so that the result is
 * always a single, literal segment (a URI parser would resolve dot
 * segments). */
void
_vi_uri_append_segment (GString    *out,
                       const char *segment)
{
  static const char hex[] = "0123456789ABCDEF";
  gboolean all_dots;
  const char *p;

  all_dots = strcmp (segment, ".") == 0 || strcmp (segment, "..") == 0;

  for (p = segment; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (g_ascii_isalnum (c) || c == '-' || c == '_' || c == '~' ||
          (c == '.' && !all_dots))
        {
          g_string_append_c (out, c);
        }
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
        }
    }
}
