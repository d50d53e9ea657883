/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include "vi-crc32-private.h"

G_BEGIN_DECLS

/* Checks that the file at path is a complete ZIP archive: the
 * end-of-central-directory record is there and every entry of the central
 * directory lies inside the file.  VI_ERROR_INVALID_RESPONSE otherwise. */
gboolean _vi_zip_verify   (const char   *path,
                           GError      **error);

/* Extracts the archive into dest_dir (created if needed), entry by entry,
 * streaming: stored and deflated entries, each checked against its size
 * and CRC-32.  Entry names that are absolute, contain a ".." component, a
 * NUL or a backslash, or that are symbolic links are refused
 * (VI_ERROR_INVALID_RESPONSE naming the entry) before anything is written.
 * Each file is written under a temporary name and renamed when complete.
 * n_entries (nullable) receives the number of files written. */
gboolean _vi_zip_extract  (const char   *path,
                           const char   *dest_dir,
                           guint        *n_entries,
                           GCancellable *cancellable,
                           GError      **error);

G_END_DECLS
