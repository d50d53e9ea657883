/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The signed upload URL of import sessions: the token checked and the body
 * spooled to a file as it arrives, before the handler runs.
 */
#include "config.h"

#include "vi-server-imports.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define SPOOL_KEY "vi-upload-spool"

typedef struct {
  ViServerState *state;
  char          *path;
  int            fd;
  guint32        crc;
  guint64        size;
  guint64        max_size;
  int            write_errno;
} Spool;

/* Closes and removes the spool file. */
static void
spool_discard (Spool *spool)
{
  if (spool->fd >= 0)
    close (spool->fd);
  spool->fd = -1;
  if (spool->path != NULL)
    g_unlink (spool->path);
  g_clear_pointer (&spool->path, g_free);
}

static void
spool_free (gpointer data)
{
  spool_discard (data);
  g_free (data);
}

static void
spool_got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  Spool        *spool = user_data;
  gsize         len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  spool->size += len;
  if (spool->size > spool->max_size) {
    /* Chunked, so its size was not known before. */
    g_autofree char *message =
        g_strdup_printf ("the upload is larger than %" G_GUINT64_FORMAT
                         " bytes "
                         "(--max-upload-size)",
                         spool->max_size);

    g_signal_handlers_disconnect_by_func (msg, spool_got_chunk_cb, user_data);
    spool_discard (spool);
    vi_server_refuse (spool->state, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                      message);
    return;
  }
  spool->crc = vi_crc32c_update (spool->crc, data, len);
  while (len > 0 && spool->write_errno == 0) {
    ssize_t n = write (spool->fd, data, len);

    if (n < 0) {
      if (errno != EINTR)
        spool->write_errno = errno;
      continue;
    }
    data += n;
    len -= (gsize) n;
  }
}

/* The token of a signed upload URL: the raw segment after "/upload/"
 * (tokens are plain letters and digits). */
static const char *
upload_token (SoupServerMessage *msg)
{
  return g_uri_get_path (soup_server_message_get_uri (msg)) +
      strlen ("/upload/");
}

/* From the early handler, for a signed upload (PUT /upload/{token}): an
 * unknown token is refused (403) before anything is read or stored.
 * Returns FALSE when the request was refused. */
gboolean
vi_server_upload_check_token (ViServerState *state, SoupServerMessage *msg)
{
  ViServerWrite *w = state->write;
  gboolean       known;

  vi_server_state_lock_store (state);
  known = g_hash_table_contains (w->tokens, upload_token (msg));
  vi_server_state_unlock_store (state);
  if (!known)
    vi_server_refuse (state, msg, SOUP_STATUS_FORBIDDEN,
                      "invalid upload URL: unknown or replaced token");
  return known;
}

/* From the early handler, once the upload is known to be taken: its body
 * goes to a spool file as it arrives instead of being held in memory, up
 * to max_upload bytes. */
void
vi_server_upload_early (ViServerState     *state,
                        SoupServerMessage *msg,
                        guint64            max_upload)
{
  ViServerWrite *w = state->write;
  g_autoptr (GError) error = NULL;
  const char *dir;
  Spool      *spool;

  vi_server_state_lock_store (state);
  dir = vi_server_write_work_dir (w, &error);
  spool = g_new0 (Spool, 1);
  spool->state = state;
  spool->max_size = max_upload;
  spool->fd = -1;
  if (dir != NULL) {
    spool->path = g_build_filename (dir, "spool-XXXXXX", NULL);
    spool->fd = g_mkstemp_full (spool->path, O_RDWR | O_CLOEXEC, 0600);
  }
  vi_server_state_unlock_store (state);

  if (spool->fd < 0) {
    g_warning ("cannot create an upload spool file: %s",
               error != NULL ? error->message : g_strerror (errno));
    g_clear_pointer (&spool->path, g_free);
    spool->write_errno = errno != 0 ? errno : EIO;
  }

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg),
                                    FALSE);
  g_object_set_data_full (G_OBJECT (msg), SPOOL_KEY, spool, spool_free);
  if (spool->fd >= 0)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (spool_got_chunk_cb), spool);
}

static void
handle_upload (ViServerRequest *req)
{
  ViServerWrite   *w = req->state->write;
  const char      *token = vi_server_request_get_param (req, "token");
  Spool           *spool = g_object_get_data (G_OBJECT (req->msg), SPOOL_KEY);
  g_autofree char *dest = NULL;
  g_autofree char *got_b64 = NULL;
  ViServerImportFile    *file;
  ViServerImportSession *s;

  if (spool == NULL || spool->fd < 0 || spool->write_errno != 0) {
    vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   "cannot store the upload: %s",
                                   g_strerror (spool != NULL &&
                                                       spool->write_errno != 0
                                                   ? spool->write_errno
                                                   : EIO));
    return;
  }

  vi_server_state_lock_store (req->state);
  file = g_hash_table_lookup (w->tokens, token);
  if (file == NULL) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN,
                                   "invalid upload URL: unknown or replaced token");
    return;
  }
  s = file->session;
  if (s->files_inserted) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (
        req, SOUP_STATUS_CONFLICT,
        "the session already has FilesInserted: uploads are closed");
    return;
  }
  if (vi_server_now_ms () > s->upload_before) {
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN,
                                   "upload deadline passed");
    return;
  }

  g_clear_pointer (&file->reason, g_free);
  if (spool->size != file->size) {
    file->reason = g_strdup_printf ("size mismatch: expected %" G_GUINT64_FORMAT
                                    " bytes, got %" G_GUINT64_FORMAT,
                                    file->size, spool->size);
  } else if (spool->crc != file->crc) {
    got_b64 = vi_crc32c_to_base64 (spool->crc);
    file->reason = g_strdup_printf ("crc32c mismatch: expected %s, got %s",
                                    file->crc_b64, got_b64);
  }
  if (file->reason != NULL) {
    g_autofree char *message = g_strdup (file->reason);

    file->state = FILE_FAILED;
    if (file->path != NULL)
      g_unlink (file->path);
    g_clear_pointer (&file->path, g_free);
    vi_server_session_touch (s);
    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "%s", message);
    return;
  }

  dest = g_strdup_printf ("%s.upload", spool->path);
  if (g_rename (spool->path, dest) != 0) {
    int saved = errno;

    vi_server_state_unlock_store (req->state);
    vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   "cannot store the upload: %s",
                                   g_strerror (saved));
    return;
  }
  g_clear_pointer (&spool->path, g_free);
  if (file->path != NULL)
    g_unlink (file->path);
  g_free (file->path);
  file->path = g_steal_pointer (&dest);
  file->state = FILE_UPLOADED;
  vi_server_session_touch (s);
  vi_server_state_unlock_store (req->state);

  vi_server_request_reply_empty (req, SOUP_STATUS_OK);
}

const ViServerRoute vi_server_upload_routes[] = {
  { "PUT", "/upload/{token}", handle_upload },
  { NULL, NULL, NULL },
};
