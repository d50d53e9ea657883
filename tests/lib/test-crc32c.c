/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Tests for the CRC-32C functions: the vectors of docs/protocol.md §11, on the
 * hardware and on the table path, chaining, and files.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <vi/vi.h>

typedef struct {
  const char *input;
  guint32     crc;
  const char *base64;
} Vector;

static const Vector vectors[] = {
  { "", 0x00000000u, "AAAAAA==" },
  { "123456789", 0xE3069283u, "4waSgw==" },
  { "hello world", 0xC99465AAu, "yZRlqg==" },
  { "{\"asset_id\": \"a\"}\n", 0x5D39C5D0u, "XTnF0A==" },
};

static void
check_vectors (guint32 (*update) (guint32, const guint8 *, gsize))
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    const Vector *v = &vectors[i];
    guint32 crc = update (0, (const guint8 *) v->input, strlen (v->input));
    g_autofree char *b64 = vi_crc32c_to_base64 (crc);
    g_autofree char *shown = g_strescape (v->input, NULL);

    g_test_message ("vector %u: \"%s\"", i, shown);
    g_assert_cmphex (crc, ==, v->crc);
    g_assert_cmpstr (b64, ==, v->base64);
  }
}

static void
test_vectors_table (void)
{
  check_vectors (vi_crc32c_update_table);
}

static void
test_vectors_hardware (void)
{
  if (!vi_crc32c_has_hardware ()) {
    g_test_skip ("no CRC32C instruction on this CPU");
    return;
  }
  check_vectors (vi_crc32c_update);
}

static void
test_vectors_default (void)
{
  guint i;

  /* Whatever path vi_crc32c() takes, and the NULL/0 case. */
  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_assert_cmphex (vi_crc32c ((const guint8 *) vectors[i].input,
                                strlen (vectors[i].input)),
                     ==, vectors[i].crc);
  g_assert_cmphex (vi_crc32c (NULL, 0), ==, 0);
  g_assert_cmphex (vi_crc32c_update (0x12345678u, NULL, 0), ==, 0x12345678u);
  g_assert_cmphex (vi_crc32c_update_table (0x12345678u, NULL, 0), ==,
                   0x12345678u);
}

static void
test_base64 (void)
{
  g_autofree char *a = vi_crc32c_to_base64 (0xFFFFFFFFu);
  g_autofree char *b = vi_crc32c_to_base64 (0x01020304u);

  g_assert_cmpstr (a, ==, "/////w==");
  g_assert_cmpstr (b, ==, "AQIDBA==");
  g_assert_cmpuint (strlen (a), ==, 8);
}

static guint8 *
random_bytes (gsize len, GRand *rand)
{
  guint8 *data = g_malloc (len);
  gsize   i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return data;
}

static void
check_chained (guint32 (*update) (guint32, const guint8 *, gsize))
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (0xC0FFEE);
  const gsize        len = 100 * 1000 + 7;
  g_autofree guint8 *data = random_bytes (len, rand);
  guint32            whole = update (0, data, len);
  guint              round;

  for (round = 0; round < 200; round++) {
    guint32 crc = 0;
    gsize   pos = 0;

    while (pos < len) {
      /* Mostly small pieces, sometimes large, sometimes empty. */
      gsize piece = g_rand_boolean (rand)
          ? (gsize) g_rand_int_range (rand, 0, 20)
          : (gsize) g_rand_int_range (rand, 0, 20000);

      piece = MIN (piece, len - pos);
      crc = update (crc, data + pos, piece);
      pos += piece;
    }
    g_assert_cmphex (crc, ==, whole);
  }

  /* And against the vector, split at every point. */
  {
    const char *s = "123456789";
    gsize       split;

    for (split = 0; split <= 9; split++) {
      guint32 crc = update (0, (const guint8 *) s, split);

      crc = update (crc, (const guint8 *) s + split, 9 - split);
      g_assert_cmphex (crc, ==, 0xE3069283u);
    }
  }
}

static void
test_chained_table (void)
{
  check_chained (vi_crc32c_update_table);
}

static void
test_chained_hardware (void)
{
  if (!vi_crc32c_has_hardware ()) {
    g_test_skip ("no CRC32C instruction on this CPU");
    return;
  }
  check_chained (vi_crc32c_update);
}

static void
test_hardware_equals_table (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  const gsize        len = 1024 * 1024;
  g_autofree guint8 *data = NULL;
  gsize              offset;

  if (!vi_crc32c_has_hardware ()) {
    g_test_skip ("no CRC32C instruction on this CPU");
    return;
  }

  data = random_bytes (len + 16, rand);

  /* Every misalignment of the start and of the length. */
  for (offset = 0; offset < 16; offset++) {
    gsize n = len - offset * 3;

    g_assert_cmphex (vi_crc32c_update (0, data + offset, n), ==,
                     vi_crc32c_update_table (0, data + offset, n));
  }

  /* Short lengths, where only the byte loops run. */
  for (offset = 0; offset < 64; offset++) {
    gsize n;

    for (n = 0; n < 40; n++)
      g_assert_cmphex (vi_crc32c_update (0xDEADBEEFu, data + offset, n), ==,
                       vi_crc32c_update_table (0xDEADBEEFu, data + offset, n));
  }
}

static void
test_file (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;
  g_autofree guint8 *data = NULL;
  /* More than two read chunks, and not a multiple of one. */
  const gsize len = 2 * 1024 * 1024 + 12345;
  guint32     crc = 0;
  guint64     size = 0;
  int         fd;

  fd = g_file_open_tmp ("test-crc32c-XXXXXX", &path, &error);
  g_assert_no_error (error);
  g_close (fd, NULL);

  data = random_bytes (len, rand);
  g_file_set_contents (path, (const char *) data, len, &error);
  g_assert_no_error (error);

  g_assert_true (vi_crc32c_file (path, &crc, &size, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, len);
  g_assert_cmphex (crc, ==, vi_crc32c (data, len));
  g_assert_cmphex (crc, ==, vi_crc32c_update_table (0, data, len));

  /* Output arguments are optional. */
  g_assert_true (vi_crc32c_file (path, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* An empty file. */
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  g_assert_true (vi_crc32c_file (path, &crc, &size, NULL, &error));
  g_assert_cmphex (crc, ==, 0);
  g_assert_cmpuint (size, ==, 0);

  /* A vector. */
  g_file_set_contents (path, "{\"asset_id\": \"a\"}\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (vi_crc32c_file (path, &crc, &size, NULL, &error));
  g_assert_cmphex (crc, ==, 0x5D39C5D0u);
  g_assert_cmpuint (size, ==, 18);

  g_unlink (path);

  /* A missing file is a GIOError. */
  g_assert_false (vi_crc32c_file (path, &crc, &size, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_file_cancelled (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int              fd;

  fd = g_file_open_tmp ("test-crc32c-XXXXXX", &path, &error);
  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, "123456789", -1, &error);
  g_assert_no_error (error);

  g_cancellable_cancel (cancellable);
  g_assert_false (vi_crc32c_file (path, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crc32c/vectors/table", test_vectors_table);
  g_test_add_func ("/crc32c/vectors/hardware", test_vectors_hardware);
  g_test_add_func ("/crc32c/vectors/default", test_vectors_default);
  g_test_add_func ("/crc32c/base64", test_base64);
  g_test_add_func ("/crc32c/chained/table", test_chained_table);
  g_test_add_func ("/crc32c/chained/hardware", test_chained_hardware);
  g_test_add_func ("/crc32c/hardware-equals-table", test_hardware_equals_table);
  g_test_add_func ("/crc32c/file", test_file);
  g_test_add_func ("/crc32c/file-cancelled", test_file_cancelled);

  return g_test_run ();
}
