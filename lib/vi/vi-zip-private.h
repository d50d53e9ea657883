/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/* Checks that the file at path is a complete ZIP archive: the
 * end-of-central-directory record is there and every entry of the central
 * directory lies inside the file.  VI_ERROR_INVALID_RESPONSE otherwise. */
gboolean _vi_zip_verify (const char *path, GError **error);

/* What an extraction may write, checked from the central directory before
 * anything is. */
typedef struct {
  guint64            max_size;    /* the entries' sizes added up; 0: none */
  guint              max_entries; /* 0: none */
  const char *const *reserved;    /* nullable: top-level names no entry
                                    * may take (the archive's own files) */
} ViZipLimits;

/* Extracts the archive into dest_dir (created if needed), entry by entry,
 * streaming: stored and deflated entries, each checked against its size
 * and CRC-32.  Refused before anything is written (VI_ERROR_INVALID_RESPONSE
 * naming the entry): names that are absolute, contain a ".." component, a
 * NUL or a backslash; symbolic links; two entries for one path; a file
 * where another entry needs a folder; a reserved name; more entries or
 * more bytes than limits (nullable) allow.  Folders are opened one
 * component at a time without following symbolic links: a link in the
 * destination is refused (VI_ERROR_INVALID_ARGUMENT).  Each file is
 * written under a temporary name and renamed when complete.  n_entries
 * (nullable) receives the number of files written. */
gboolean _vi_zip_extract (const char        *path,
                          const char        *dest_dir,
                          const ViZipLimits *limits,
                          guint             *n_entries,
                          GCancellable      *cancellable,
                          GError           **error);

G_END_DECLS
