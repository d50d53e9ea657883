/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The server's connections: a guard against oversized headers on each,
 * and graceful closes for refused requests (vi-server-conn.c). */

/* How long a refused request's connection is drained before it is closed. */
#define VI_SERVER_LINGER_MS 2000

typedef struct _ViServerConns ViServerConns;

ViServerConns *vi_server_conns_new             (guint              max_header);
ViServerConns *vi_server_conns_ref             (ViServerConns     *conns);
void           vi_server_conns_unref           (ViServerConns     *conns);
void           vi_server_conns_set_max_header  (ViServerConns     *conns,
                                                guint              max_header);
GIOStream     *vi_server_conns_wrap            (ViServerConns     *conns,
                                                GIOStream         *base,
                                                GSocketAddress    *remote);
void           vi_server_conns_got_headers     (SoupServerMessage *msg);
void           vi_server_conns_message_done    (SoupServerMessage *msg);
void           vi_server_conns_linger_close    (ViServerConns     *conns,
                                                GIOStream         *stream);
void           vi_server_conns_close_all       (ViServerConns     *conns);
gboolean       vi_server_conns_is_lingering    (ViServerConns     *conns);

/* Writes a complete error answer (the server's JSON error body, a trace
 * header, "Connection: close") on a connection taken from libsoup; in
 * vi-local-server.c. */
void           vi_server_write_raw_error       (GOutputStream     *out,
                                                guint              status,
                                                const char        *message);

G_END_DECLS
