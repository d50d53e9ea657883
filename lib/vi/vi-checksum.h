/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_CHECKSUM_H__
#define __VI_CHECKSUM_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <vi/vi-version.h>

G_BEGIN_DECLS

VI_AVAILABLE_IN_ALL
guint32 vi_crc32c_update (guint32 crc, const guint8 *data, gsize length);
VI_AVAILABLE_IN_ALL
guint32 vi_crc32c (const guint8 *data, gsize length);
VI_AVAILABLE_IN_ALL
guint32 vi_crc32c_update_table (guint32 crc, const guint8 *data, gsize length);
VI_AVAILABLE_IN_ALL
gboolean vi_crc32c_has_hardware (void);
VI_AVAILABLE_IN_ALL
char *vi_crc32c_to_base64 (guint32 crc);
VI_AVAILABLE_IN_ALL
guint32 vi_crc32_update (guint32 crc, const void *data, gsize len);
VI_AVAILABLE_IN_ALL
gboolean vi_crc32c_file (const char   *path,
                         guint32      *crc,
                         guint64      *size,
                         GCancellable *cancellable,
                         GError      **error);

G_END_DECLS

#endif /* __VI_CHECKSUM_H__ */
