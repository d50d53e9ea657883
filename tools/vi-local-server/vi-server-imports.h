/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-import-session.h"

G_BEGIN_DECLS

/* The routes of import sessions (vi-server-imports.c), and the signed
 * upload URL (vi-server-upload.c), reached without authentication (the
 * token is the credential). */
extern const ViServerRoute vi_server_import_routes[];
extern const ViServerRoute vi_server_upload_routes[];

/* From the server's early handler, before the body of a signed upload is
 * read: FALSE when the token was refused (and the request answered). */
gboolean vi_server_upload_check_token (ViServerState     *state,
                                       SoupServerMessage *msg);
void     vi_server_upload_early (ViServerState     *state,
                                 SoupServerMessage *msg,
                                 guint64            max_upload);

/* Finds the session of the request's path, with the lock held (and the
 * store in *store when store is not NULL); on failure the 404 has been
 * sent and the lock released. */
ViServerImportSession *vi_server_lock_session (ViServerRequest *req,
                                               ViStore        **store);

G_END_DECLS
