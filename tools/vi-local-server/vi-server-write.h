/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vi-server-request.h"

G_BEGIN_DECLS

/* The write side (vi-server-write.c): import sessions, signed uploads,
 * exports and downloads.  Its state is guarded by the server's lock. */

/* Its routes, each table ended by a row of NULLs.  The public routes are
 * reached without authentication (signed upload and download URLs). */
extern const ViServerRoute vi_server_write_routes[];
extern const ViServerRoute vi_server_public_routes[];

ViServerWrite *vi_server_write_new (ViServerState *state);
void           vi_server_write_free (ViServerWrite *w);
void vi_server_write_set_processing_delay (ViServerWrite *w, guint delay_ms);
void vi_server_write_restore (ViServerWrite *w, ViStore *store);
/* From the server's early handler, before the body of a signed upload is
 * read: FALSE when the token was refused (and the request answered). */
gboolean vi_server_upload_check_token (ViServerState     *state,
                                       SoupServerMessage *msg);
void     vi_server_upload_early (ViServerState     *state,
                                 SoupServerMessage *msg,
                                 guint64            max_upload);

G_END_DECLS
