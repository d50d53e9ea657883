/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * libvi — checksums: CRC-32C (Castagnoli), the upload checksum of the Vi
 * service, and CRC-32 (ISO-HDLC), the checksum of ZIP archives.
 */
#include "config.h"

#include <string.h>

#include "vi-checksum.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define VI_CRC32C_X86_64 1
#include <nmmintrin.h>
#endif

/**
 * SECTION:vi-crc32c
 *
 * CRC-32C: reflected polynomial 0x82F63B78, initial value and final XOR
 * 0xFFFFFFFF, the checksum the service verifies on uploaded files.  It is
 * computed with the SSE4.2 `crc32` instruction when the CPU has it, and
 * with a slicing-by-8 table otherwise; both give the same results.
 *
 * The functions take and return finished CRC values, so a CRC is started
 * with 0 and chained over pieces of data:
 *
 * |[<!-- language="C" -->
 * guint32 crc = 0;
 *
 * crc = vi_crc32c_update (crc, first, first_len);
 * crc = vi_crc32c_update (crc, second, second_len);
 * ]|
 */

#define CRC32C_POLY 0x82F63B78u
#define FILE_CHUNK_SIZE (1024 * 1024)

/* crc_table[0] is the classic byte-at-a-time table; crc_table[k][b] is the
 * CRC of byte b followed by k zero bytes, which lets eight bytes be folded
 * in with eight lookups (slicing-by-8). */
static guint32 crc_table[8][256];

static void
init_table (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    guint32 i, k;

    for (i = 0; i < 256; i++) {
      guint32 c = i;

      for (k = 0; k < 8; k++)
        c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
      crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
      for (k = 1; k < 8; k++)
        crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
            crc_table[0][crc_table[k - 1][i] & 0xff];

    g_once_init_leave (&initialized, 1);
  }
}

/* The raw (not inverted) register over @data, by table. */
static guint32
crc32c_table_raw (guint32 crc, const guint8 *p, gsize len)
{
  init_table ();

  /* Align to 8 bytes: the wide loop then reads aligned words (it uses
   * memcpy, so alignment is only for speed). */
  while (len > 0 && ((guintptr) p & 7) != 0) {
    crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    len--;
  }

  while (len >= 8) {
    guint32 lo, hi;

    memcpy (&lo, p, 4);
    memcpy (&hi, p + 4, 4);
    lo = GUINT32_FROM_LE (lo) ^ crc;
    hi = GUINT32_FROM_LE (hi);
    crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
        crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
        crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
        crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    p += 8;
    len -= 8;
  }

  while (len > 0) {
    crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    len--;
  }

  return crc;
}

#ifdef VI_CRC32C_X86_64
/* The raw register over @data with the SSE4.2 instruction, which computes
 * exactly this CRC (same polynomial, reflected). */
__attribute__ ((target ("sse4.2"))) static guint32
crc32c_sse42_raw (guint32 crc, const guint8 *p, gsize len)
{
  guint64 c;

  while (len > 0 && ((guintptr) p & 7) != 0) {
    crc = _mm_crc32_u8 (crc, *p++);
    len--;
  }

  c = crc;
  while (len >= 8) {
    guint64 word;

    memcpy (&word, p, 8);
    c = _mm_crc32_u64 (c, word);
    p += 8;
    len -= 8;
  }
  crc = (guint32) c;

  while (len > 0) {
    crc = _mm_crc32_u8 (crc, *p++);
    len--;
  }

  return crc;
}
#endif

/**
 * vi_crc32c_has_hardware:
 *
 * Whether vi_crc32c_update() uses the CPU's CRC32C instruction (SSE4.2 on
 * x86-64) rather than the table.
 *
 * Returns: %TRUE if the hardware path is used
 */
gboolean
vi_crc32c_has_hardware (void)
{
#ifdef VI_CRC32C_X86_64
  static gsize result = 0;

  if (g_once_init_enter (&result)) {
    __builtin_cpu_init ();
    g_once_init_leave (&result, __builtin_cpu_supports ("sse4.2") ? 2 : 1);
  }
  return result == 2;
#else
  return FALSE;
#endif
}

/**
 * vi_crc32c_update_table:
 * @crc: the CRC of the data so far (0 to start)
 * @data: (array length=length) (nullable): more data
 * @length: the length of @data in bytes
 *
 * Same as vi_crc32c_update(), always with the table, whatever the CPU.
 * This is for tests and benchmarks.
 *
 * Returns: the CRC of the data so far followed by @data
 */
guint32
vi_crc32c_update_table (guint32 crc, const guint8 *data, gsize length)
{
  g_return_val_if_fail (data != NULL || length == 0, crc);

  if (length == 0)
    return crc;

  return ~crc32c_table_raw (~crc, data, length);
}

/**
 * vi_crc32c_update:
 * @crc: the CRC of the data so far (0 to start)
 * @data: (array length=length) (nullable): more data
 * @length: the length of @data in bytes
 *
 * Extends a CRC-32C over more data.  @crc and the result are finished
 * values (already inverted), so vi_crc32c_update (0, data, len) is the CRC
 * of @data and chaining over pieces gives the CRC of the whole.
 *
 * Returns: the CRC of the data so far followed by @data
 */
guint32
vi_crc32c_update (guint32 crc, const guint8 *data, gsize length)
{
  g_return_val_if_fail (data != NULL || length == 0, crc);

  if (length == 0)
    return crc;

#ifdef VI_CRC32C_X86_64
  if (vi_crc32c_has_hardware ())
    return ~crc32c_sse42_raw (~crc, data, length);
#endif

  return ~crc32c_table_raw (~crc, data, length);
}

/**
 * vi_crc32c:
 * @data: (array length=length) (nullable): the data
 * @length: the length of @data in bytes
 *
 * Returns: the CRC-32C of @data (0 for no data)
 */
guint32
vi_crc32c (const guint8 *data, gsize length)
{
  return vi_crc32c_update (0, data, length);
}

/**
 * vi_crc32c_to_base64:
 * @crc: a CRC-32C
 *
 * The form the service expects: the four bytes of @crc in big-endian order,
 * in standard base64.  The CRC of "123456789", 0xE3069283, is "4waSgw==".
 *
 * Returns: (transfer full): an 8-character string
 */
char *
vi_crc32c_to_base64 (guint32 crc)
{
  guint8 bytes[4];

  bytes[0] = (crc >> 24) & 0xff;
  bytes[1] = (crc >> 16) & 0xff;
  bytes[2] = (crc >> 8) & 0xff;
  bytes[3] = crc & 0xff;

  return g_base64_encode (bytes, sizeof bytes);
}

/**
 * vi_crc32c_file:
 * @path: (type filename): the file
 * @crc: (out) (optional): the CRC-32C of its contents
 * @size: (out) (optional): its size in bytes
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Computes the CRC-32C and the size of a file, reading it in 1 MiB chunks:
 * memory use does not depend on the file size.  Both come from the same
 * read, so they match even if the file changes meanwhile.
 *
 * Returns: %TRUE on success, %FALSE with a #GIOError
 */
gboolean
vi_crc32c_file (const char   *path,
                guint32      *crc,
                guint64      *size,
                GCancellable *cancellable,
                GError      **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autofree guint8 *buf = NULL;
  guint32            c = 0;
  guint64            total = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, cancellable, error);
  if (stream == NULL)
    return FALSE;

  buf = g_malloc (FILE_CHUNK_SIZE);
  for (;;) {
    gssize n = g_input_stream_read (G_INPUT_STREAM (stream), buf,
                                    FILE_CHUNK_SIZE, cancellable, error);

    if (n < 0)
      return FALSE;
    if (n == 0)
      break;
    c = vi_crc32c_update (c, buf, (gsize) n);
    total += (guint64) n;
  }

  if (!g_input_stream_close (G_INPUT_STREAM (stream), cancellable, error))
    return FALSE;

  if (crc != NULL)
    *crc = c;
  if (size != NULL)
    *size = total;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * CRC-32 (ISO-HDLC), for ZIP archives
 * ------------------------------------------------------------------------ */

static guint32 crc32_iso_table[256];

static gpointer
init_crc32_iso_table (gpointer data)
{
  for (guint32 i = 0; i < 256; i++) {
    guint32 c = i;

    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc32_iso_table[i] = c;
  }
  return NULL;
}

/**
 * vi_crc32_update:
 * @crc: the CRC of the data before @data, 0 to start
 * @data: (array length=len) (element-type guint8): the next bytes
 * @len: how many
 *
 * Feeds bytes to a CRC-32 (ISO-HDLC, the CRC of ZIP and gzip; not the
 * CRC-32C of uploads): start with 0 and feed the data in pieces;
 * `123456789` gives 0xCBF43926.  The export archives are checked with it.
 *
 * Returns: the CRC of everything fed so far
 */
guint32
vi_crc32_update (guint32 crc, const void *data, gsize len)
{
  static GOnce  once = G_ONCE_INIT;
  const guint8 *p = data;

  g_once (&once, init_crc32_iso_table, NULL);
  crc = ~crc;
  while (len-- > 0)
    crc = crc32_iso_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}
