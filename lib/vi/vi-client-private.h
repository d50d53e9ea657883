/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>
#include "vi-http-private.h"

G_BEGIN_DECLS

/* What the other operation files (imports, exports) share with
 * vi-client.c, and what its parts share: vi-client-config.c,
 * vi-client-ids.c, vi-client-call.c. */

/* "<endpoint>/workspaces/{org}/datasets/{org}_{ds}", every segment
 * percent-encoded; append further encoded segments to it.  The caller
 * validates dataset_id first. */
GString *_vi_client_dataset_url (ViClient *self, const char *dataset_id);

/* An API request with the client's credentials and retry policy. */
ViHttpRequest *_vi_client_new_request (ViClient    *self,
                                       const char  *method,
                                       const char  *url,
                                       JsonNode    *body,
                                       ViHttpTarget target,
                                       const char  *what);

/* The client's session, for requests that must not carry the API
 * credentials (signed upload and download URLs). */
SoupSession  *_vi_client_get_session (ViClient *self);
ViRetryPolicy _vi_client_get_retry_policy (ViClient *self);
/* ViClient:max-extract-size and ViClient:max-extract-entries. */
void _vi_client_get_extract_limits (ViClient *self,
                                    guint64  *max_size,
                                    guint    *max_entries);

/* vi-client-ids.c */
gboolean _vi_validate_asset_id (const char *asset_id, GError **error);

/* vi-client-config.c.  Fills in *secret_key and *organization_id (those
 * still NULL) from the JSON config file at path ("~/" is the home
 * folder), read with the limits of every JSON libvi reads. */
gboolean _vi_client_load_config_file (const char *path,
                                      char      **secret_key,
                                      char      **organization_id,
                                      GError    **error);
/* The endpoint as requests use it, scheme://host[:port] in *out; refuses
 * what is not http(s), and plain http to a host that is not loopback
 * unless allow_insecure. */
gboolean _vi_client_resolve_endpoint (const char *endpoint,
                                      gboolean    allow_insecure,
                                      char      **out,
                                      GError    **error);
/* "vi-c/VERSION (GLib/...; libsoup/...; SYSTEM/RELEASE)". */
char *_vi_client_default_user_agent (void);

/* vi-client-call.c.  Sends request (taking it) and decodes the result in the caller's
 * context: body is a JsonNode, or a GBytes when request->raw_body is set
 * (NULL for expect_empty requests).  The GTask's source object is the
 * client and its source tag source_tag. */
typedef gpointer (*ViDecodeFunc) (gpointer body,
                                  gpointer decode_data,
                                  GError **error);

void     _vi_client_call_async (ViClient           *self,
                                ViHttpRequest      *request,
                                ViDecodeFunc        decode,
                                gpointer            decode_data,
                                GDestroyNotify      decode_data_free,
                                GDestroyNotify      result_free,
                                gpointer            source_tag,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
gpointer _vi_client_call_finish (ViClient     *self,
                                 GAsyncResult *result,
                                 gpointer      source_tag,
                                 GError      **error);
/* Completes an _async call at once with error (taken). */
void _vi_client_return_early_error (ViClient           *self,
                                    gpointer            source_tag,
                                    GError             *error,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);

/* A list request: the URL of one page (NULL with error set for bad
 * arguments), and the request for it, whose body comes back raw. */
char          *_vi_client_list_url (ViClient   *self,
                                    const char *dataset_id,
                                    const char *asset_id,
                                    guint       page_size,
                                    const char *page_token,
                                    GError    **error);
ViHttpRequest *_vi_client_new_list_request (ViClient *self, const char *url);

/* The pager's guess at a page's nextPage, read from the end of the body
 * without parsing it; exposed for tests. */
char *_vi_guess_next_token (GBytes *bytes);

G_END_DECLS
