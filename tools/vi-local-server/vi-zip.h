/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/*
 * A minimal ZIP writer for the dataset export archives: every entry is
 * compressed with raw deflate (method 8) through GZlibCompressor, names are
 * UTF-8 (general purpose flag bit 11), there is no ZIP64, so the archive and
 * each entry must stay below 4 GiB.
 */

typedef struct _ViZipWriter ViZipWriter;

ViZipWriter *vi_zip_writer_new (void);
gboolean     vi_zip_writer_add (ViZipWriter  *zip,
                                const char   *name,
                                const guint8 *data,
                                gsize         length,
                                GError      **error);
GBytes      *vi_zip_writer_finish (ViZipWriter *zip);
void         vi_zip_writer_free (ViZipWriter *zip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViZipWriter, vi_zip_writer_free)

G_END_DECLS
