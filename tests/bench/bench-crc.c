/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * bench-crc [MiB]: CRC32C throughput, hardware (SSE4.2) and table, on the
 * same buffer; prints "<hw GB/s or -> <table GB/s>".
 * bench-crc --file PATH: prints the file's crc32c as the wire wants it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <vi/vi.h>

static double
gbps (guint32 (*fn) (guint32, const guint8 *, gsize),
      const guint8 *buf,
      gsize         len,
      guint32      *crc)
{
  double best = 0;

  for (int run = 0; run < 5; run++) {
    gint64 t0 = g_get_monotonic_time ();
    *crc = fn (0, buf, len);
    double s = (g_get_monotonic_time () - t0) / 1e6;
    double r = len / s / 1e9;
    if (r > best)
      best = r;
  }
  return best;
}

int
main (int argc, char **argv)
{
  gsize   len;
  guint8 *buf;
  guint32 a = 0, b = 0;
  double  hw = -1, table;

  if (argc == 3 && g_str_equal (argv[1], "--file")) {
    g_autoptr (GError) error = NULL;
    g_autofree char *b64 = NULL;
    guint32          crc;
    guint64          size;

    if (!vi_crc32c_file (argv[2], &crc, &size, NULL, &error)) {
      fprintf (stderr, "bench-crc: %s\n", error->message);
      return 1;
    }
    b64 = vi_crc32c_to_base64 (crc);
    printf ("%s\n", b64);
    return 0;
  }

  len = (gsize) (argc > 1 ? atoi (argv[1]) : 256) * 1024 * 1024;
  buf = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (i * 2654435761u >> 13);

  table = gbps (vi_crc32c_update_table, buf, len, &b);
  if (vi_crc32c_has_hardware ()) {
    hw = gbps (vi_crc32c_update, buf, len, &a);
    if (a != b) {
      fprintf (stderr, "bench-crc: hardware and table disagree\n");
      return 1;
    }
  }
  if (hw >= 0)
    printf ("%.2f %.2f\n", hw, table);
  else
    printf ("- %.2f\n", table);
  g_free (buf);
  return 0;
}
