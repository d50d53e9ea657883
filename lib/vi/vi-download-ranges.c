/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The bytes of an export's archive: the signed URL asked for its size
 * (HEAD, without the API credentials), then its ranges fetched with
 * several requests in flight, each retried as API calls are and written
 * at its offset into "<export>.zip.part"; a server that ignores ranges
 * is read whole.  The first failure stops the others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vi-download-private.h"
#include "vi-export-private.h"

#define DEFAULT_CHUNK_SIZE ((guint64) 1024 * 1024)
#define READ_SIZE (64 * 1024)

static guint64 download_chunk_size = DEFAULT_CHUNK_SIZE;

void
_vi_export_set_download_chunk_size (guint64 chunk_size)
{
  download_chunk_size = chunk_size != 0 ? chunk_size : DEFAULT_CHUNK_SIZE;
}

/* One HEAD (chunk < 0) or one range, with its retries. */
typedef struct {
  GTask        *task;
  int           chunk;
  guint64       start;
  guint64       end; /* inclusive */
  guint64       received;
  gboolean      whole; /* a 200 to a ranged request */
  guint64       skip;  /* bytes of it before the range */
  SoupMessage  *msg;
  GInputStream *stream;
  guint8       *buf;
  guint         attempts;
  ViRetryState  retries;
} Fetch;

static void
fetch_free (Fetch *f)
{
  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  g_free (f->buf);
  g_clear_object (&f->task);
  g_free (f);
}

static void fetch_start (Fetch *f);
static void head_done (Fetch *f);
static void range_done (Fetch *f);
static void fetch_failed (Fetch *f, GError *error);

static const char *
fetch_what (Fetch *f)
{
  return f->chunk < 0 ? "download export (HEAD)" : "download export";
}

static void
fetch_slept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch  *f = user_data;
  GError *error = NULL;

  if (!_vi_sleep_finish (result, &error)) {
    fetch_failed (f, error);
    return;
  }
  fetch_start (f);
}

/* The fetch stays alive until the wait ends, one way or the other. */
static void
fetch_schedule_retry (Fetch *f, double seconds)
{
  ViDownload *dl = g_task_get_task_data (f->task);

  g_debug ("%s: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
           ": attempt %u failed, retrying in %.3f s",
           fetch_what (f), f->start, f->end, f->attempts, seconds);
  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  _vi_sleep_async (seconds, dl->op.cancellable, fetch_slept_cb, f);
}

/* A failure below HTTP, or a body cut short: retried as the API's
 * transport errors are.  Takes error. */
static void
fetch_transport_error (Fetch *f, GError *error)
{
  ViDownload *dl = g_task_get_task_data (f->task);
  double      delay;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    fetch_failed (f, error);
    return;
  }
  if (_vi_http_error_is_final (error)) {
    g_prefix_error (&error, "%s: ", fetch_what (f));
    fetch_failed (f, error);
    return;
  }
  if (_vi_retry_next (&dl->policy, &f->retries, 0, NULL, &delay)) {
    g_error_free (error);
    fetch_schedule_retry (f, delay);
    return;
  }
  {
    GError *out = g_error_new (
        VI_ERROR,
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
            ? VI_ERROR_TIMEOUT
            : VI_ERROR_NETWORK,
        "%s: network error after %u attempt%s (%s); call again to resume",
        fetch_what (f), f->attempts, f->attempts == 1 ? "" : "s",
        error->message);

    g_error_free (error);
    fetch_failed (f, out);
  }
}

/* An HTTP status that is not the one expected. */
static void
fetch_bad_status (Fetch *f, guint status)
{
  ViDownload         *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  GError             *error = NULL;
  double              delay;

  if (_vi_retry_next (&dl->policy, &f->retries, status, headers, &delay)) {
    fetch_schedule_retry (f, delay);
    return;
  }
  if (status == 416) {
    g_set_error (&error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: the server refused the range %" G_GUINT64_FORMAT
                 "-%" G_GUINT64_FORMAT
                 " (416): the archive changed size; delete %s to "
                 "start again",
                 fetch_what (f), f->start, f->end, dl->sidecar_path);
    fetch_failed (f, error);
    return;
  }
  _vi_http_set_status_error (
      &error, fetch_what (f), VI_HTTP_TARGET_SIGNED_URL, status, NULL,
      soup_message_headers_get_one (headers, "x-cloud-trace-context"));
  if (status == 429 || status >= 500)
    g_prefix_error (&error, "after %u attempt%s: ", f->attempts,
                    f->attempts == 1 ? "" : "s");
  fetch_failed (f, error);
}

/* "bytes a-b/total" must be what was asked for. */
static gboolean
check_content_range (Fetch *f, guint64 from, GError **error)
{
  ViDownload         *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  goffset             start = 0, end = 0, total = 0;

  if (!soup_message_headers_get_content_range (headers, &start, &end, &total)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: invalid response: 206 without a valid Content-Range",
                 fetch_what (f));
    return FALSE;
  }
  if ((guint64) start != from || (guint64) end != f->end ||
      (total >= 0 && (guint64) total != dl->size)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                 "%s: invalid response: asked for bytes %" G_GUINT64_FORMAT
                 "-%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 ", got %" G_GOFFSET_FORMAT "-%" G_GOFFSET_FORMAT
                 "/%" G_GOFFSET_FORMAT,
                 fetch_what (f), from, f->end, dl->size, start, end, total);
    return FALSE;
  }
  return TRUE;
}

static void
report_progress (ViDownload *dl)
{
  if (dl->progress != NULL)
    dl->progress (dl->bytes_done, dl->size, dl->progress_data);
}

static void fetch_read (Fetch *f);

static void
fetch_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch      *f = user_data;
  ViDownload *dl = g_task_get_task_data (f->task);
  GError     *error = NULL;
  guint64     length = f->end - f->start + 1;
  gssize      n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    fetch_transport_error (f, error);
    return;
  }
  if (f->skip > 0) {
    f->skip -= (guint64) n;
    if (n == 0)
      fetch_transport_error (f,
                             g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                          "the body ended early"));
    else
      fetch_read (f);
    return;
  }
  if (n == 0) {
    if (f->received < length) {
      fetch_transport_error (f,
                             g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                          "the body ended after %" G_GUINT64_FORMAT
                                          " of %" G_GUINT64_FORMAT " bytes",
                                          f->received, length));
      return;
    }
    /* At the end of the body: closing keeps the connection. */
    g_input_stream_close (f->stream, NULL, NULL);
    range_done (f);
    return;
  }
  if (f->received + (guint64) n > length) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "%s: invalid response: more than the %" G_GUINT64_FORMAT
                               " bytes asked for",
                               fetch_what (f), length));
    return;
  }
  for (gssize off = 0; off < n;) {
    ssize_t w = pwrite (dl->fd, f->buf + off, (size_t) (n - off),
                        (off_t) (f->start + f->received + (guint64) off));

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int saved_errno = errno;

      fetch_failed (f,
                    g_error_new (G_IO_ERROR,
                                 g_io_error_from_errno (saved_errno),
                                 "cannot write %s: %s", dl->part_path,
                                 g_strerror (saved_errno)));
      return;
    }
    off += w;
  }
  f->received += (guint64) n;
  dl->bytes_done += (guint64) n;
  report_progress (dl);
  if (f->whole && f->received == length) {
    /* The rest of the archive is not needed: the connection is closed
     * with the stream. */
    range_done (f);
    return;
  }
  fetch_read (f);
}

static void
fetch_read (Fetch *f)
{
  ViDownload *dl = g_task_get_task_data (f->task);
  guint64     left = f->end - f->start + 1 - f->received;
  guint64     want;

  if (f->skip > 0)
    want = f->skip;
  else if (f->whole)
    want = left;
  else
    want = left + 1; /* one more, to see the end (or an excess) */
  g_input_stream_read_async (f->stream, f->buf,
                             (gsize) MIN ((guint64) READ_SIZE, want),
                             G_PRIORITY_DEFAULT, dl->op.cancellable,
                             fetch_read_cb, f);
}

static void
fetch_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch      *f = user_data;
  ViDownload *dl = g_task_get_task_data (f->task);
  GError     *error = NULL;
  guint       status;

  f->stream = _vi_http_session_send_finish (SOUP_SESSION (source), result,
                                            dl->op.cancellable, &error);
  if (f->stream == NULL) {
    fetch_transport_error (f, error);
    return;
  }
  status = soup_message_get_status (f->msg);

  if (f->chunk < 0) {
    if (status != 200) {
      fetch_bad_status (f, status);
      return;
    }
    /* No body: closing keeps the connection for the ranges. */
    g_input_stream_close (f->stream, NULL, NULL);
    head_done (f);
    return;
  }

  f->whole = FALSE;
  f->skip = 0;
  if (dl->ranges && status == 200) {
    /* The server ignored the range and sends the whole archive (allowed
     * by RFC 9110): skip to the range, and stop after it. */
    goffset length = soup_message_headers_get_content_length (
        soup_message_get_response_headers (f->msg));

    if (length > 0 && (guint64) length != dl->size) {
      /* Not the archive: a proxy's page, or a body cut short. */
      fetch_transport_error (
          f,
          g_error_new (
              G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
              "a 200 answer of %" G_GOFFSET_FORMAT
              " bytes to a ranged request, for an archive of %" G_GUINT64_FORMAT,
              length, dl->size));
      return;
    }
    f->whole = TRUE;
    f->skip = f->start + f->received;
  } else if (dl->ranges) {
    if (status != 206) {
      fetch_bad_status (f, status);
      return;
    }
    if (!check_content_range (f, f->start + f->received, &error)) {
      fetch_failed (f, error);
      return;
    }
  } else if (status != 200) {
    fetch_bad_status (f, status);
    return;
  }
  if (f->buf == NULL)
    f->buf = g_malloc (READ_SIZE + 1);
  fetch_read (f);
}

static void
fetch_start (Fetch *f)
{
  ViDownload *dl = g_task_get_task_data (f->task);

  _vi_http_body_abandon (g_steal_pointer (&f->stream));
  g_clear_object (&f->msg);
  f->attempts++;
  f->msg = soup_message_new (f->chunk < 0 ? "HEAD" : "GET", dl->url);
  if (f->msg == NULL) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "download export: invalid response: the download URL is not "
                               "a valid URL"));
    return;
  }
  if (f->chunk >= 0) {
    if (dl->ranges) {
      soup_message_headers_set_range (soup_message_get_request_headers (f->msg),
                                      (goffset) (f->start + f->received),
                                      (goffset) f->end);
    } else if (f->received > 0) {
      /* Without ranges a retry starts over. */
      dl->bytes_done -= f->received;
      f->received = 0;
    }
  }
  _vi_http_session_send_async (dl->session, f->msg, G_PRIORITY_DEFAULT,
                               dl->op.cancellable, fetch_sent_cb, f);
}

static Fetch *
fetch_new (GTask *task, int chunk, guint64 start, guint64 end)
{
  ViDownload *dl = g_task_get_task_data (task);
  Fetch      *f = g_new0 (Fetch, 1);

  f->task = g_object_ref (task);
  f->chunk = chunk;
  f->start = start;
  f->end = end;
  dl->in_flight++;
  return f;
}

static void download_pump (GTask *task);

/* A fetch is over, with error (taken) or not. */
static void
fetch_finished (Fetch *f, GError *error)
{
  GTask      *task = g_object_ref (f->task);
  ViDownload *dl = g_task_get_task_data (task);

  if (error != NULL) {
    if (dl->error == NULL) {
      dl->error = error;
      /* Stop the others; their cancellation errors are dropped. */
      g_cancellable_cancel (dl->op.cancellable);
    } else {
      g_error_free (error);
    }
  }
  if (f->chunk >= 0 && dl->chunks[f->chunk] == VI_CHUNK_BUSY)
    dl->chunks[f->chunk] = VI_CHUNK_TODO;
  dl->in_flight--;
  fetch_free (f);
  download_pump (task);
  g_object_unref (task);
}

static void
fetch_failed (Fetch *f, GError *error)
{
  fetch_finished (f, error);
}

static void
range_done (Fetch *f)
{
  ViDownload *dl = g_task_get_task_data (f->task);
  GError     *error = NULL;

  dl->chunks[f->chunk] = VI_CHUNK_DONE;
  dl->n_fetched++;
  if (dl->ranges && !_vi_download_save_sidecar (dl, &error)) {
    fetch_finished (f, error);
    return;
  }
  fetch_finished (f, NULL);
}

static void
head_done (Fetch *f)
{
  ViDownload         *dl = g_task_get_task_data (f->task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);
  const char *accept = soup_message_headers_get_list (headers, "Accept-Ranges");
  goffset     length = soup_message_headers_get_content_length (headers);
  gboolean    resumed = FALSE;
  GError     *error = NULL;

  if (soup_message_headers_get_encoding (headers) !=
          SOUP_ENCODING_CONTENT_LENGTH ||
      length <= 0) {
    fetch_failed (f,
                  g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                               "download export: invalid response: HEAD of the download URL "
                               "gave no archive size (Content-Length)"));
    return;
  }
  dl->size = (guint64) length;
  dl->ranges = accept != NULL && soup_header_contains (accept, "bytes");
  dl->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));

  if (dl->ranges)
    resumed = _vi_download_load_sidecar (dl);
  if (!resumed) {
    dl->bytes_done = 0;
    dl->chunk_size = dl->ranges ? download_chunk_size : dl->size;
    dl->n_chunks = (guint) ((dl->size + dl->chunk_size - 1) / dl->chunk_size);
    dl->chunks = g_new0 (guint8, dl->n_chunks);
  }
  dl->fd = g_open (dl->part_path,
                   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                       (resumed ? 0 : O_TRUNC),
                   0644);
  if (dl->fd < 0 || (!resumed && ftruncate (dl->fd, (off_t) dl->size) != 0)) {
    int saved_errno = errno;

    fetch_failed (f,
                  g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "cannot write %s: %s", dl->part_path,
                               g_strerror (saved_errno)));
    return;
  }
  if (!resumed) {
    if (dl->ranges) {
      if (!_vi_download_save_sidecar (dl, &error)) {
        fetch_failed (f, error);
        return;
      }
    } else {
      g_unlink (dl->sidecar_path);
    }
  }
  g_debug ("download export %s: %" G_GUINT64_FORMAT " bytes, %u range%s, %s",
           dl->export_id, dl->size, dl->n_chunks, dl->n_chunks == 1 ? "" : "s",
           resumed ? "resumed" : "from the start");
  report_progress (dl);
  fetch_finished (f, NULL);
}

/* Starts ranges while there is room; ends the task when nothing is left
 * in flight. */
static void
download_pump (GTask *task)
{
  ViDownload *dl = g_task_get_task_data (task);

  if (dl->error != NULL) {
    if (dl->in_flight == 0)
      g_task_return_error (task, g_steal_pointer (&dl->error));
    return;
  }
  if (dl->chunks == NULL)
    return; /* the HEAD is not done */

  while (dl->in_flight < dl->n_connections && dl->next < dl->n_chunks) {
    guint   i = dl->next++;
    guint64 start, end;

    if (dl->chunks[i] != VI_CHUNK_TODO)
      continue;
    start = (guint64) i * dl->chunk_size;
    end = MIN (start + dl->chunk_size, dl->size) - 1;
    dl->chunks[i] = VI_CHUNK_BUSY;
    fetch_start (fetch_new (task, (int) i, start, end));
  }
  if (dl->in_flight == 0 && dl->next >= dl->n_chunks)
    _vi_download_complete (task);
}

void
_vi_download_start (GTask *task)
{
  fetch_start (fetch_new (task, -1, 0, 0));
}
