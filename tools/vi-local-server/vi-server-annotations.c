/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-server-annotations.h"

#include <string.h>

/*
 * The annotation endpoints (docs/protocol.md §4):
 *
 *   GET    /workspaces/{org}/datasets/{org}_{ds}/assets/{asset}/annotations
 *   GET    /workspaces/{org}/datasets/{org}_{ds}/assets/{asset}/annotations/{id}
 *   DELETE /workspaces/{org}/datasets/{org}_{ds}/assets/{asset}/annotations/{id}
 */

#define DEFAULT_PAGE_SIZE 10
#define MAX_PAGE_SIZE 1000

/* Page tokens.  A token is the sequence number of the last item of the
 * previous page, bound to its dataset and asset by a truncated SHA-256, in
 * unpadded base64url: 16 bytes, 22 characters.  The next page starts at the
 * first item with a greater sequence number, so items deleted or added
 * between two requests never make another item appear twice or be
 * skipped.  The hash is no secret: it only turns a token that was not
 * issued for this listing into a 400 rather than a wrong page. */

#define TOKEN_RAW_LEN 16
#define TOKEN_LEN 22

static void
token_mac (const char  *dataset_id,
           const char  *asset_id,
           const guint8 seq_bytes[8],
           guint8       mac[8])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize  digest_len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) "vi-local-server page token",
                     27);
  g_checksum_update (checksum, (const guchar *) dataset_id,
                     strlen (dataset_id) + 1);
  g_checksum_update (checksum, (const guchar *) asset_id,
                     strlen (asset_id) + 1);
  g_checksum_update (checksum, seq_bytes, 8);
  g_checksum_get_digest (checksum, digest, &digest_len);
  memcpy (mac, digest, 8);
}

static char *
page_token_encode (const char *dataset_id, const char *asset_id, guint64 seq)
{
  guint8 raw[TOKEN_RAW_LEN];
  char  *token, *p;
  guint  i;

  for (i = 0; i < 8; i++)
    raw[i] = (guint8) (seq >> (56 - 8 * i));
  token_mac (dataset_id, asset_id, raw, raw + 8);

  token = g_base64_encode (raw, sizeof raw);
  for (p = token; *p != '\0'; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=') {
      *p = '\0';
      break;
    }
  }
  return token;
}

static gboolean
page_token_decode (const char *token,
                   const char *dataset_id,
                   const char *asset_id,
                   guint64    *seq)
{
  char               padded[TOKEN_LEN + 3];
  g_autofree guint8 *raw = NULL;
  gsize              raw_len = 0;
  guint8             mac[8];
  guint              i;

  if (strlen (token) != TOKEN_LEN)
    return FALSE;
  for (i = 0; i < TOKEN_LEN; i++) {
    char c = token[i];

    if (g_ascii_isalnum (c))
      padded[i] = c;
    else if (c == '-')
      padded[i] = '+';
    else if (c == '_')
      padded[i] = '/';
    else
      return FALSE;
  }
  padded[TOKEN_LEN] = '=';
  padded[TOKEN_LEN + 1] = '=';
  padded[TOKEN_LEN + 2] = '\0';

  raw = g_base64_decode (padded, &raw_len);
  if (raw_len != TOKEN_RAW_LEN)
    return FALSE;

  token_mac (dataset_id, asset_id, raw, mac);
  if (memcmp (mac, raw + 8, 8) != 0)
    return FALSE;

  *seq = 0;
  for (i = 0; i < 8; i++)
    *seq = (*seq << 8) | raw[i];
  return TRUE;
}

/* Looks up the dataset and asset of the path.  On failure, the 404 has been
 * sent and the store is unlocked. */
static ViStoreAsset *
lock_asset (ViServerRequest *req, ViStore **store_out)
{
  ViStore        *store = vi_server_state_lock_store (req->state);
  const char     *asset_id = vi_server_request_get_param (req, "asset");
  ViStoreDataset *dataset;
  ViStoreAsset   *asset = NULL;

  dataset = vi_store_lookup_dataset (store, req->dataset_id);
  if (dataset != NULL)
    asset = vi_store_dataset_lookup_asset (dataset, asset_id);
  if (asset == NULL) {
    vi_server_state_unlock_store (req->state);
    if (dataset == NULL)
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "dataset “%s” not found", req->dataset_id);
    else
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "asset “%s” not found in dataset “%s”",
                                     asset_id, req->dataset_id);
    return NULL;
  }
  *store_out = store;
  return asset;
}

static void
handle_list (ViServerRequest *req)
{
  const char *page_size_str = vi_server_request_get_query (req, "pageSize");
  const char *token = vi_server_request_get_query (req, "pageToken");
  const char *asset_id = vi_server_request_get_param (req, "asset");
  guint64     page_size = DEFAULT_PAGE_SIZE;
  guint64     after = 0, last = 0, n;
  g_autofree char *next = NULL;
  ViStoreAsset    *asset;
  GSequenceIter   *it;
  ViStore         *store;
  GString         *out;

  if (page_size_str != NULL &&
      !g_ascii_string_to_unsigned (page_size_str, 10, 1, MAX_PAGE_SIZE,
                                   &page_size, NULL)) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "pageSize must be an integer from 1 to %d",
                                   MAX_PAGE_SIZE);
    return;
  }
  if (token != NULL && *token != '\0' &&
      !page_token_decode (token, req->dataset_id, asset_id, &after)) {
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                   "invalid pageToken: pass the nextPage value of the "
                                   "previous page of the same listing");
    return;
  }

  asset = lock_asset (req, &store);
  if (asset == NULL)
    return;

  out = g_string_sized_new (
      64 +
      720 *
          MIN (page_size,
               (guint64) g_sequence_get_length (asset->annotations)));
  g_string_append (out, "{\"items\":[");
  it = vi_store_asset_seek (asset, after);
  for (n = 0; n < page_size && !g_sequence_iter_is_end (it); n++) {
    ViStoreAnnotation *ann = g_sequence_get (it);

    if (n > 0)
      g_string_append_c (out, ',');
    vi_store_annotation_to_json (ann, out);
    last = ann->seq;
    it = g_sequence_iter_next (it);
  }
  if (!g_sequence_iter_is_end (it))
    next = page_token_encode (req->dataset_id, asset_id, last);
  vi_server_state_unlock_store (req->state);

  if (next != NULL)
    g_string_append_printf (out, "],\"nextPage\":\"%s\",\"prevPage\":null}",
                            next);
  else
    g_string_append (out, "],\"nextPage\":null,\"prevPage\":null}");
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

/* Looks up the annotation of the path; on failure the 404 has been sent and
 * the store is unlocked. */
static ViStoreAnnotation *
lock_annotation (ViServerRequest *req, ViStore **store_out)
{
  const char *annotation_id = vi_server_request_get_param (req, "annotation");
  ViStoreAnnotation *ann = NULL;
  ViStoreAsset      *asset;

  asset = lock_asset (req, store_out);
  if (asset == NULL)
    return NULL;

  if (vi_store_annotation_id_is_valid (annotation_id))
    ann = vi_store_dataset_lookup_annotation (asset->dataset, annotation_id);
  if (ann == NULL || ann->asset != asset) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                   "annotation “%s” not found for asset “%s”",
                                   annotation_id, asset->id);
    return NULL;
  }
  return ann;
}

static void
handle_get (ViServerRequest *req)
{
  ViStoreAnnotation *ann;
  ViStore           *store;
  GString           *out;

  ann = lock_annotation (req, &store);
  if (ann == NULL)
    return;
  out = g_string_sized_new (1024);
  vi_store_annotation_to_json (ann, out);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_delete (ViServerRequest *req)
{
  g_autoptr (GError) error = NULL;
  ViStoreAnnotation *ann;
  ViStore           *store;
  gboolean           ok;

  ann = lock_annotation (req, &store);
  if (ann == NULL)
    return;
  ok = vi_store_delete_annotation (store, ann, &error);
  vi_server_state_unlock_store (req->state);

  if (!ok) {
    vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   "cannot store the deletion: %s",
                                   error->message);
    return;
  }
  /* The SDK requires an empty body (docs/protocol.md §4). */
  vi_server_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

const ViServerRoute vi_server_annotation_routes[] = {
  { "GET", "/workspaces/{org}/datasets/{dataset}/assets/{asset}/annotations",
    handle_list },
  { "GET",
    "/workspaces/{org}/datasets/{dataset}/assets/{asset}/annotations/{annotation}",
    handle_get },
  { "DELETE",
    "/workspaces/{org}/datasets/{dataset}/assets/{asset}/annotations/{annotation}",
    handle_delete },
  { NULL, NULL, NULL },
};
