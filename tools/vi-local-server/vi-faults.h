/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Fault injection rules.  A rule is a JSON object:
 *
 *   {"method": "GET",          optional; any method when absent
 *    "path": "/workspaces/",   optional; a prefix of the percent-decoded path
 *    "after": 0,               let this many matching requests through first
 *    "times": 1,               how many matching requests get the fault; -1: all
 *    "action": "status",       "status" | "drop" | "truncate" | "latency" | "malformed"
 *    "status": 503,            for "status" (default 503)
 *    "retryAfter": "2",        for "status": value of a Retry-After header
 *    "body": "...",            for "status": the body, sent verbatim
 *    "bodyNesting": 100000,    for "status": the body {"error":"X","message":[[…]]}
 *                              with arrays nested this deep (a hostile server)
 *    "latencyMs": 200}         for "latency" (default 1000)
 *
 * Rules are tried in order.  A rule whose method and path match counts the
 * request; once it has let "after" requests through, it fires for the next
 * "times" ones.  The first rule that fires decides, later rules do not see
 * the request.
 */

typedef enum {
  VI_FAULT_NONE,
  VI_FAULT_STATUS,
  VI_FAULT_DROP,
  VI_FAULT_TRUNCATE,
  VI_FAULT_LATENCY,
  VI_FAULT_MALFORMED,
} ViFaultAction;

/* What happens to one request. */
typedef struct {
  ViFaultAction action;
  guint         status;
  char         *retry_after;
  guint         latency_ms;
  GBytes       *body; /* for "status"; NULL: the usual error body */
} ViFault;

typedef struct _ViFaultRule ViFaultRule;

void        vi_fault_rule_free (ViFaultRule *rule);
GPtrArray  *vi_fault_rules_parse (const char *json,
                                  gssize      length,
                                  GError    **error);
gboolean    vi_fault_rules_match (GPtrArray  *rules,
                                  const char *method,
                                  const char *path,
                                  ViFault    *fault);
void        vi_fault_rules_to_json (GPtrArray *rules, GString *out);
void        vi_fault_clear (ViFault *fault);
const char *vi_fault_action_to_string (ViFaultAction action);

G_END_DECLS
