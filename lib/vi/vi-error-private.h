/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/* Fills the extended data of an error of the VI_ERROR domain.  The error
 * must have been created in that domain (g_set_error with VI_ERROR).  NULL
 * strings leave the field as it is. */
void vi_error_set_http_details (GError     *error,
                                guint       http_status,
                                const char *server_message,
                                const char *trace_id);

/* For errors about local files: which file and which line (1-based). */
void vi_error_set_file_details (GError     *error,
                                const char *location,
                                guint       line);

G_END_DECLS
