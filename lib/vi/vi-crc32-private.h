/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CRC-32 (ISO-HDLC, the one of ZIP and gzip; not the CRC-32C of uploads):
 * start with crc = 0 and feed the data in pieces; "123456789" gives
 * 0xCBF43926.  Used by the export archive on both sides, the client's
 * reader and the local server's writer. */
guint32 _vi_crc32_update (guint32     crc,
                          const void *data,
                          gsize       len);

G_END_DECLS
