/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An input stream over a regular file that reports itself pollable and
 * always readable.  GIO runs the async reads of a plain GFileInputStream
 * in a thread pool, one hop per read; libsoup sends a request body in 8 KiB
 * reads, so a 160 MB upload cost twenty thousand thread hand-offs.  Reads
 * of a regular file do not block on the network, so doing them on the
 * calling thread is what a pollable stream allows.  Seekable, so that a
 * restarted request can rewind it. */
GInputStream *_vi_file_stream_new (const char *path, GError **error);

G_END_DECLS
