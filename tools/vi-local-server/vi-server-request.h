/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <libsoup/soup.h>

#include "vi-faults.h"
#include "vi-server-conn.h"
#include "vi-store.h"

G_BEGIN_DECLS

/*
 * The request, reply and route layer of the server (vi-server-request.c),
 * and what request handlers see.  Handlers run on the server's thread, one
 * at a time; they reach the store through vi_server_state_lock_store(), and
 * answer with one of the vi_server_request_reply_*() functions.
 *
 * Adding an endpoint means adding a row to a route table: a method, a path
 * pattern whose "{name}" segments capture one percent-decoded segment each,
 * and a handler.  Authentication, the {org} and {dataset} checks, 404 and
 * 405 are done before the handler is called.
 */

#define VI_SERVER_MAX_PARAMS 8

typedef struct _ViServerRequest ViServerRequest;
typedef struct _ViServerWrite   ViServerWrite;

typedef void (*ViServerRouteFunc) (ViServerRequest *req);

typedef struct {
  const char       *method;
  const char       *pattern;
  ViServerRouteFunc func;
} ViServerRoute;

typedef struct {
  const char *method; /* interned */
  char       *path;
} ViServerLoggedRequest;

/* What the server shares with its handlers, owned by the ViLocalServer. */
typedef struct {
  /* Guards the store, the write side and the counters (and the fault
   * rules and limits of the server). */
  GMutex         lock;
  ViStore       *store;
  ViServerWrite *write; /* sessions, uploads, exports */
  char          *org;
  char          *url;   /* set before the server answers anything */
  ViServerConns *conns; /* header guards, graceful closes */
  /* The route tables, each ended by a row of NULLs. */
  const ViServerRoute *const *routes;
  guint                       n_routes;
  /* Those of them reached without authentication. */
  const ViServerRoute *const *public_routes;
  guint                       n_public_routes;
  /* Counters, under the lock. */
  guint64 n_requests;
  GArray *request_log;  /* ViServerLoggedRequest */
  GCond   request_cond; /* signalled when a request is counted */
} ViServerState;

struct _ViServerRequest {
  ViServerState     *state;
  gpointer           owner; /* the ViLocalServer, for its own use */
  SoupServerMessage *msg;
  const char        *method;
  char      **segments; /* percent-decoded, one per '/'-separated segment */
  guint       n_segments;
  char       *path;     /* "/" + the decoded segments joined with "/" */
  gboolean    bad_path; /* a segment did not percent-decode */
  GHashTable *query;    /* decoded query parameters, or NULL */
  char       *trace;    /* the x-cloud-trace-context value */

  /* Set by the router. */
  const char *param_names[VI_SERVER_MAX_PARAMS];
  gsize       param_name_lens[VI_SERVER_MAX_PARAMS];
  const char *param_values[VI_SERVER_MAX_PARAMS];
  guint       n_params;
  const char *dataset_id; /* the {dataset} segment without "{org}_" */

  /* Fault injection and delayed answers. */
  ViFault  fault;
  GSource *delay;
  gulong   disconnected_id;
};

void vi_server_state_init (ViServerState *state,
                           const char    *org,
                           guint          max_header_size);
void vi_server_state_clear (ViServerState *state);

static inline ViStore *
vi_server_state_lock_store (ViServerState *state)
{
  g_mutex_lock (&state->lock);
  return state->store;
}

static inline void
vi_server_state_unlock_store (ViServerState *state)
{
  g_mutex_unlock (&state->lock);
}

/* The server's URL (transfer full). */
char *vi_server_state_get_url (ViServerState *state);

/* A request: its path decoded and routed against the state's tables (the
 * dot segments a URI parser removed mapped back), a trace context set on
 * the response. */
ViServerRequest *vi_server_request_new (ViServerState     *state,
                                        gpointer           owner,
                                        SoupServerMessage *msg,
                                        GHashTable        *query);
void             vi_server_request_free (ViServerRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViServerRequest, vi_server_request_free)
/* Whether route matches req's path; its parameters are then set. */
gboolean vi_server_request_match (ViServerRequest     *req,
                                  const ViServerRoute *route);
/* Counts req in the state's counters; called with the lock held. */
void vi_server_request_count (ViServerRequest *req);

/* Answers msg at once, without reading (more of) its body: see
 * vi-server-request.c. */
void vi_server_refuse (ViServerState     *state,
                       SoupServerMessage *msg,
                       guint              status,
                       const char        *message);

const char *vi_server_request_get_param (ViServerRequest *req,
                                         const char      *name);
const char *vi_server_request_get_query (ViServerRequest *req,
                                         const char      *name);
GBytes     *vi_server_request_get_body (ViServerRequest *req);

/* The status alone (libsoup 3.2 calls 429 "Unknown Error"). */
void vi_server_request_set_status (ViServerRequest *req, guint status);
void vi_server_request_reply_json (ViServerRequest *req,
                                   guint            status,
                                   GString         *body);
void vi_server_request_reply_empty (ViServerRequest *req, guint status);
void vi_server_request_reply_error_literal (ViServerRequest *req,
                                            guint            status,
                                            const char      *message);
void vi_server_request_reply_error (ViServerRequest *req,
                                    guint            status,
                                    const char      *format,
                                    ...) G_GNUC_PRINTF (3, 4);

/* The body as a JSON object (root takes the document); NULL when it is
 * not one, a 400 having been sent. */
JsonObject *vi_server_request_parse_body (ViServerRequest *req,
                                          JsonNode       **root);

G_END_DECLS
