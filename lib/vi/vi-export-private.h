/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The size of the ranges a download asks for (default 1 MiB; the last one
 * may be shorter).  0 restores the default.  For tests, which need
 * several ranges from a small archive; an interrupted download resumes
 * with the size recorded in its sidecar whatever this says. */
void _vi_export_set_download_chunk_size (guint64 chunk_size);

G_END_DECLS
