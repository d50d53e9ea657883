/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-import-session.h"

G_BEGIN_DECLS

/* The job queued once a session's FilesInserted is Reached
 * (vi-server-import-process.c): reads the JSONL files uploaded to session
 * id, applies its failure policies, and adds their annotations to the
 * store with the session's final state in one commit. */
void vi_server_import_process (ViServerWrite *w, const char *id, gint64 queued);

G_END_DECLS
