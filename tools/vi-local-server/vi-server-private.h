/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "vi-local-server.h"
#include "vi-faults.h"
#include "vi-store.h"

G_BEGIN_DECLS

/*
 * What request handlers see.  Handlers run on the server's thread, one at a
 * time; they reach the store through vi_local_server_lock_store(), and
 * answer with one of the vi_server_request_reply_*() functions.
 *
 * Adding an endpoint means adding a row to a route table: a method, a path
 * pattern whose "{name}" segments capture one percent-decoded segment each,
 * and a handler.  Authentication, the {org} and {dataset} checks, 404 and
 * 405 are done before the handler is called.
 */

#define VI_SERVER_MAX_PARAMS 8

typedef struct _ViServerRequest ViServerRequest;

struct _ViServerRequest {
  ViLocalServer     *server;
  SoupServerMessage *msg;
  const char        *method;
  char             **segments;     /* percent-decoded, one per '/'-separated segment */
  guint              n_segments;
  char              *path;         /* "/" + the decoded segments joined with "/" */
  gboolean           bad_path;     /* a segment did not percent-decode */
  GHashTable        *query;        /* decoded query parameters, or NULL */
  char              *trace;        /* the x-cloud-trace-context value */

  /* Set by the router. */
  const char        *param_names[VI_SERVER_MAX_PARAMS];
  gsize              param_name_lens[VI_SERVER_MAX_PARAMS];
  const char        *param_values[VI_SERVER_MAX_PARAMS];
  guint              n_params;
  const char        *dataset_id;   /* the {dataset} segment without "{org}_" */

  /* Fault injection and delayed answers. */
  ViFault            fault;
  GSource           *delay;
  gulong             disconnected_id;
};

typedef void (*ViServerRouteFunc) (ViServerRequest *req);

typedef struct {
  const char        *method;
  const char        *pattern;
  ViServerRouteFunc  func;
} ViServerRoute;

/* Route tables, each ended by a row of NULLs.  The public routes are
 * reached without authentication (signed upload and download URLs). */
extern const ViServerRoute vi_server_annotation_routes[];
extern const ViServerRoute vi_server_write_routes[];
extern const ViServerRoute vi_server_public_routes[];

/* The write side (vi-server-write.c): import sessions, signed uploads,
 * exports and downloads.  Its state is guarded by the server's lock. */
typedef struct _ViServerWrite ViServerWrite;

ViServerWrite *vi_server_write_new                   (ViLocalServer     *server,
                                                      GMutex            *lock,
                                                      const char        *organization_id);
void           vi_server_write_free                  (ViServerWrite     *w);
void           vi_server_write_set_processing_delay  (ViServerWrite     *w,
                                                      guint              delay_ms);
void           vi_server_write_restore               (ViServerWrite     *w,
                                                      ViStore           *store);
gboolean       vi_server_upload_check_token          (ViLocalServer     *server,
                                                      SoupServerMessage *msg);
void           vi_server_upload_early                (ViLocalServer     *server,
                                                      SoupServerMessage *msg,
                                                      guint64            max_upload);
ViServerWrite *vi_local_server_get_write             (ViLocalServer     *self);

void        vi_server_refuse               (ViLocalServer     *server,
                                            SoupServerMessage *msg,
                                            guint              status,
                                            const char        *message);
void        vi_local_server_serve_stream   (ViLocalServer     *self,
                                            GIOStream         *stream,
                                            GSocketAddress    *local,
                                            GSocketAddress    *remote);

ViStore    *vi_local_server_lock_store     (ViLocalServer   *self);
void        vi_local_server_unlock_store   (ViLocalServer   *self);

const char *vi_server_request_get_param    (ViServerRequest *req,
                                            const char      *name);
const char *vi_server_request_get_query    (ViServerRequest *req,
                                            const char      *name);
GBytes     *vi_server_request_get_body     (ViServerRequest *req);

void        vi_server_request_reply_json   (ViServerRequest *req,
                                            guint            status,
                                            GString         *body);
void        vi_server_request_reply_empty  (ViServerRequest *req,
                                            guint            status);
void        vi_server_request_reply_error  (ViServerRequest *req,
                                            guint            status,
                                            const char      *format,
                                            ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
