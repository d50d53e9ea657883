/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstviannotspool.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

#define BATCH_PREFIX "batch-"
#define SUFFIX_OPEN ".open"
#define SUFFIX_SEALED ".jsonl"
#define SUFFIX_SESSION ".session"
#define SUFFIX_TMP ".tmp"
#define LOCK_NAME "lock"
#define TARGET_NAME "target"
#define REJECTED_NAME "rejected"
/* A session id is at most 255 characters (the SDK's rule). */
#define MAX_SESSION_FILE 512

struct _GstViAnnotSpool
{
  gchar *dir;
  int dir_fd;
  int lock_fd;
  guint64 next_seq;
  GPtrArray *found;             /* GstViAnnotBatch, by seq, until taken */
};

typedef enum
{
  KIND_OPEN,
  KIND_SEALED,
  KIND_SESSION,
  KIND_TMP,
} FileKind;

static gboolean
set_errno_error (GError ** error, gint code, int errsv, const gchar * what,
    const gchar * path)
{
  g_set_error (error, GST_RESOURCE_ERROR, code, _("%s \"%s\": %s."), what, path,
      g_strerror (errsv));
  return FALSE;
}

static gchar *
batch_path (GstViAnnotSpool * spool, guint64 seq, const gchar * suffix)
{
  return g_strdup_printf ("%s/" BATCH_PREFIX "%012" G_GUINT64_FORMAT "%s",
      spool->dir, seq, suffix);
}

/* "batch-000000000042.jsonl" -> 42, KIND_SEALED. */
static gboolean
parse_name (const gchar * name, guint64 * seq, FileKind * kind)
{
  static const struct
  {
    const gchar *suffix;
    FileKind kind;
  } suffixes[] = {
    {SUFFIX_OPEN, KIND_OPEN},
    {SUFFIX_SEALED, KIND_SEALED},
    {SUFFIX_SESSION, KIND_SESSION},
    {SUFFIX_SESSION SUFFIX_TMP, KIND_TMP},
  };
  const gchar *p;
  gchar *end;
  guint i;

  if (!g_str_has_prefix (name, BATCH_PREFIX))
    return FALSE;
  p = name + strlen (BATCH_PREFIX);
  if (!g_ascii_isdigit (*p))
    return FALSE;
  *seq = g_ascii_strtoull (p, &end, 10);
  for (i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    if (g_str_equal (end, suffixes[i].suffix)) {
      *kind = suffixes[i].kind;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
fsync_dir (GstViAnnotSpool * spool, GError ** error)
{
  if (fsync (spool->dir_fd) < 0)
    return set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot sync spool-dir", spool->dir);
  return TRUE;
}

/* Reads fd from its start: the number of complete lines, and the offset
 * just after the last newline. */
static gboolean
count_lines (int fd, const gchar * path, guint * lines, guint64 * complete,
    guint64 * size, GError ** error)
{
  gchar buf[65536];
  guint64 offset = 0;
  ssize_t n;

  *lines = 0;
  *complete = 0;
  if (lseek (fd, 0, SEEK_SET) < 0)
    return set_errno_error (error, GST_RESOURCE_ERROR_READ, errno,
        "Cannot read spool file", path);
  while ((n = read (fd, buf, sizeof (buf))) != 0) {
    const gchar *p, *nl;

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, GST_RESOURCE_ERROR_READ, errno,
          "Cannot read spool file", path);
    }
    for (p = buf; (nl = memchr (p, '\n', buf + n - p)) != NULL; p = nl + 1) {
      (*lines)++;
      *complete = offset + (nl - buf) + 1;
    }
    offset += n;
  }
  *size = offset;
  return TRUE;
}

static GstViAnnotBatch *
batch_new (GstViAnnotSpool * spool, guint64 seq)
{
  GstViAnnotBatch *batch = g_new0 (GstViAnnotBatch, 1);

  batch->seq = seq;
  batch->path = batch_path (spool, seq, SUFFIX_SEALED);
  batch->name = g_path_get_basename (batch->path);
  batch->fd = -1;
  return batch;
}

void
gst_vi_annot_batch_free (GstViAnnotBatch * batch)
{
  if (batch == NULL)
    return;
  if (batch->fd >= 0)
    close (batch->fd);
  g_free (batch->path);
  g_free (batch->name);
  g_free (batch->session_id);
  g_free (batch);
}

/* A batch that was being filled when its element stopped without sealing
 * it (a crash, a kill): whole lines are kept (one write() per line, so at
 * most a torn last one, from a power loss, is dropped) and sealed; an
 * empty one is removed. */
static gboolean
recover_open (GstViAnnotSpool * spool, guint64 seq, GstViAnnotBatch ** out,
    GError ** error)
{
  gchar *path = batch_path (spool, seq, SUFFIX_OPEN);
  GstViAnnotBatch *batch = NULL;
  guint64 complete, size;
  guint lines;
  gboolean ok = FALSE;
  int fd;

  *out = NULL;
  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_READ, errno,
        "Cannot open spool file", path);
    goto done;
  }
  if (!count_lines (fd, path, &lines, &complete, &size, error))
    goto done;
  if (lines == 0) {
    GST_INFO ("removing empty batch %s", path);
    g_unlink (path);
    ok = TRUE;
    goto done;
  }
  if (complete < size) {
    GST_WARNING ("%s: dropping a torn last line of %" G_GUINT64_FORMAT
        " bytes", path, size - complete);
    if (ftruncate (fd, complete) < 0) {
      set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
          "Cannot repair spool file", path);
      goto done;
    }
  }
  if (fsync (fd) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot sync spool file", path);
    goto done;
  }
  batch = batch_new (spool, seq);
  if (g_rename (path, batch->path) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot seal spool file", path);
    goto done;
  }
  batch->lines = lines;
  batch->bytes = complete;
  GST_INFO ("sealed batch %s left open: %u lines", batch->path, lines);
  *out = g_steal_pointer (&batch);
  ok = TRUE;

done:
  if (fd >= 0)
    close (fd);
  gst_vi_annot_batch_free (batch);
  g_free (path);
  return ok;
}

static gboolean
read_sealed (GstViAnnotSpool * spool, guint64 seq, GstViAnnotBatch ** out,
    GError ** error)
{
  GstViAnnotBatch *batch = batch_new (spool, seq);
  guint64 complete;
  int fd;

  fd = open (batch->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || !count_lines (fd, batch->path, &batch->lines, &complete,
          &batch->bytes, error)) {
    if (fd < 0)
      set_errno_error (error, GST_RESOURCE_ERROR_OPEN_READ, errno,
          "Cannot open spool file", batch->path);
    else
      close (fd);
    gst_vi_annot_batch_free (batch);
    return FALSE;
  }
  close (fd);
  *out = batch;
  return TRUE;
}

/* The session file of a batch: written whole and renamed into place, so
 * anything but one id and a newline is damage, and guessing would risk
 * importing the batch twice. */
static gboolean
read_session (GstViAnnotSpool * spool, GstViAnnotBatch * batch, GError ** error)
{
  gchar *path = batch_path (spool, batch->seq, SUFFIX_SESSION);
  gchar *contents = NULL;
  gsize len = 0;
  gboolean ok = FALSE;
  GError *read_error = NULL;

  if (!g_file_get_contents (path, &contents, &len, &read_error)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        _("Cannot read spool file: %s."), read_error->message);
    g_error_free (read_error);
    goto done;
  }
  if (len < 2 || len > MAX_SESSION_FILE || contents[len - 1] != '\n')
    goto damaged;
  contents[len - 1] = '\0';
  if (strspn (contents, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
          "0123456789_-") != len - 1 || len - 1 > 255)
    goto damaged;
  batch->session_id = g_steal_pointer (&contents);
  ok = TRUE;
  goto done;

damaged:
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      _("Spool file \"%s\" is damaged (it should hold the import session of "
          "%s): check that session, then remove the file (the batch is then "
          "sent again) or the batch."), path, batch->path);
done:
  g_free (contents);
  g_free (path);
  return ok;
}

static gint
compare_batches (gconstpointer a, gconstpointer b)
{
  const GstViAnnotBatch *x = *(const GstViAnnotBatch **) a;
  const GstViAnnotBatch *y = *(const GstViAnnotBatch **) b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Brings the directory to a state where every batch is sealed: .open
 * files are sealed, stray temporary files and sessions of removed
 * batches deleted. */
static gboolean
scan (GstViAnnotSpool * spool, GError ** error)
{
  GHashTable *by_seq = g_hash_table_new (g_int64_hash, g_int64_equal);
  GArray *open_seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  GArray *session_seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  GError *dir_error = NULL;
  gboolean ok = FALSE, changed = FALSE;
  const gchar *name;
  GDir *dir;
  guint i;

  dir = g_dir_open (spool->dir, 0, &dir_error);
  if (dir == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        _("Cannot read spool-dir \"%s\": %s."), spool->dir, dir_error->message);
    g_error_free (dir_error);
    goto done;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    GstViAnnotBatch *batch = NULL;
    FileKind kind;
    guint64 seq;

    if (!parse_name (name, &seq, &kind))
      continue;
    spool->next_seq = MAX (spool->next_seq, seq + 1);
    switch (kind) {
      case KIND_OPEN:
        g_array_append_val (open_seqs, seq);
        break;
      case KIND_SEALED:
        if (!read_sealed (spool, seq, &batch, error))
          goto done;
        g_ptr_array_add (spool->found, batch);
        break;
      case KIND_SESSION:
        g_array_append_val (session_seqs, seq);
        break;
      case KIND_TMP:{
        gchar *path = g_build_filename (spool->dir, name, NULL);

        g_unlink (path);
        g_free (path);
        changed = TRUE;
        break;
      }
    }
  }

  /* After the listing: sealing renames files in the directory. */
  for (i = 0; i < open_seqs->len; i++) {
    GstViAnnotBatch *batch = NULL;

    if (!recover_open (spool, g_array_index (open_seqs, guint64, i), &batch,
            error))
      goto done;
    if (batch != NULL)
      g_ptr_array_add (spool->found, batch);
    changed = TRUE;
  }

  for (i = 0; i < spool->found->len; i++) {
    GstViAnnotBatch *batch = g_ptr_array_index (spool->found, i);

    g_hash_table_insert (by_seq, &batch->seq, batch);
  }
  for (i = 0; i < session_seqs->len; i++) {
    guint64 *seq = &g_array_index (session_seqs, guint64, i);
    GstViAnnotBatch *batch = g_hash_table_lookup (by_seq, seq);

    if (batch == NULL) {
      /* The batch was removed (imported), not yet its session. */
      gchar *path = batch_path (spool, *seq, SUFFIX_SESSION);

      g_unlink (path);
      g_free (path);
      changed = TRUE;
    } else if (!read_session (spool, batch, error)) {
      goto done;
    }
  }
  g_ptr_array_sort (spool->found, compare_batches);

  if (changed && !fsync_dir (spool, error))
    goto done;
  ok = TRUE;

done:
  if (dir != NULL)
    g_dir_close (dir);
  g_hash_table_unref (by_seq);
  g_array_unref (open_seqs);
  g_array_unref (session_seqs);
  return ok;
}

/* Takes the lock of the spool, or says which process has it. */
static gboolean
take_lock (GstViAnnotSpool * spool, GError ** error)
{
  gchar *path = g_build_filename (spool->dir, LOCK_NAME, NULL);
  gchar pid[32];
  gboolean ok = FALSE;
  int len;

  spool->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (spool->lock_fd < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot write to spool-dir: cannot create", path);
    goto done;
  }
  if (flock (spool->lock_fd, LOCK_EX | LOCK_NB) < 0) {
    gchar holder[32] = "";
    ssize_t n;

    if (errno != EWOULDBLOCK) {
      set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
          "Cannot lock spool-dir", spool->dir);
      goto done;
    }
    n = pread (spool->lock_fd, holder, sizeof (holder) - 1, 0);
    holder[MAX (n, 0)] = '\0';
    g_strchomp (holder);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
        _("spool-dir \"%s\" is in use by another viannotsink (process %s): "
            "give each viannotsink its own spool-dir."), spool->dir,
        holder[0] ? holder : "unknown");
    goto done;
  }
  len = g_snprintf (pid, sizeof (pid), "%d\n", (int) getpid ());
  if (ftruncate (spool->lock_fd, 0) < 0 ||
      pwrite (spool->lock_fd, pid, len, 0) != len) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot write to spool-dir: cannot write", path);
    goto done;
  }
  ok = TRUE;

done:
  if (!ok && spool->lock_fd >= 0) {
    close (spool->lock_fd);
    spool->lock_fd = -1;
  }
  g_free (path);
  return ok;
}

/* Creates @dir if needed, takes its lock and seals what was left open.
 * Errors (GST_RESOURCE_ERROR) say what to do. */
GstViAnnotSpool *
gst_vi_annot_spool_open (const gchar * dir, GError ** error)
{
  GstViAnnotSpool *spool = g_new0 (GstViAnnotSpool, 1);

  spool->dir = g_strdup (dir);
  spool->dir_fd = -1;
  spool->lock_fd = -1;
  spool->next_seq = 1;
  spool->found = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_vi_annot_batch_free);

  if (g_mkdir_with_parents (dir, 0700) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot create spool-dir", dir);
    goto fail;
  }
  spool->dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (spool->dir_fd < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot open spool-dir", dir);
    goto fail;
  }
  if (!take_lock (spool, error) || !scan (spool, error))
    goto fail;

  GST_INFO ("spool %s: %u batches waiting, next %" G_GUINT64_FORMAT, dir,
      spool->found->len, spool->next_seq);
  return spool;

fail:
  gst_vi_annot_spool_close (spool);
  return NULL;
}

const gchar *
gst_vi_annot_spool_get_dir (GstViAnnotSpool * spool)
{
  return spool->dir;
}

/* The batches found at open, sealed, oldest first, with their sessions. */
GPtrArray *
gst_vi_annot_spool_take_batches (GstViAnnotSpool * spool)
{
  GPtrArray *found = spool->found;

  spool->found = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_vi_annot_batch_free);
  return found;
}

/* Writes @contents to @path atomically and durably: a temporary file,
 * fsynced, renamed, the directory fsynced. */
static gboolean
write_atomic (GstViAnnotSpool * spool, const gchar * path,
    const gchar * contents, GError ** error)
{
  gchar *tmp = g_strconcat (path, SUFFIX_TMP, NULL);
  gsize len = strlen (contents), done = 0;
  gboolean ok = FALSE;
  int fd;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot create spool file", tmp);
    goto done;
  }
  while (done < len) {
    ssize_t n = write (fd, contents + done, len - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
          "Cannot write spool file", tmp);
      goto done;
    }
    done += n;
  }
  if (fsync (fd) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot sync spool file", tmp);
    goto done;
  }
  if (g_rename (tmp, path) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot rename spool file", tmp);
    goto done;
  }
  ok = fsync_dir (spool, error);

done:
  if (fd >= 0)
    close (fd);
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  return ok;
}

/* Batches are only for the target they were written for: a spool left
 * with batches for another dataset (or endpoint, or organization) is an
 * error rather than an upload to the wrong place.  An empty spool takes
 * the new target. */
gboolean
gst_vi_annot_spool_check_target (GstViAnnotSpool * spool,
    const gchar * endpoint, const gchar * organization_id,
    const gchar * dataset_id, GError ** error)
{
  gchar *path = g_build_filename (spool->dir, TARGET_NAME, NULL);
  gchar *target = g_strdup_printf ("endpoint %s\norganization %s\n"
      "dataset %s\n", endpoint, organization_id, dataset_id);
  gchar *old = NULL;
  gboolean ok;

  if (g_file_get_contents (path, &old, NULL, NULL) && g_str_equal (old, target)) {
    ok = TRUE;
  } else if (old != NULL && spool->found->len > 0) {
    g_strdelimit (old, "\n", ';');
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        _("spool-dir \"%s\" holds %u batches for another target (%s), not "
            "for dataset \"%s\" of organization \"%s\" at %s: run with that "
            "target until they are imported, or give another spool-dir."),
        spool->dir, spool->found->len, old, dataset_id, organization_id,
        endpoint);
    ok = FALSE;
  } else {
    ok = write_atomic (spool, path, target, error);
  }
  g_free (old);
  g_free (target);
  g_free (path);
  return ok;
}

/* The spool of a target, locked, what was left open sealed: @dir, or
 * without one the user's cache, per organization and dataset. */
GstViAnnotSpool *
gst_vi_annot_spool_open_for_target (const gchar * dir, const gchar * endpoint,
    const gchar * organization_id, const gchar * dataset_id, GError ** error)
{
  gchar *path = dir != NULL ? g_strdup (dir) :
      g_build_filename (g_get_user_cache_dir (), "viannot", "spool",
      organization_id, dataset_id, NULL);
  GstViAnnotSpool *spool = gst_vi_annot_spool_open (path, error);

  g_free (path);
  if (spool != NULL && !gst_vi_annot_spool_check_target (spool, endpoint,
          organization_id, dataset_id, error))
    g_clear_pointer (&spool, gst_vi_annot_spool_close);
  return spool;
}

/* A new batch to fill, after every other one. */
GstViAnnotBatch *
gst_vi_annot_spool_new_batch (GstViAnnotSpool * spool, GError ** error)
{
  GstViAnnotBatch *batch = batch_new (spool, spool->next_seq++);
  gchar *open_path = batch_path (spool, batch->seq, SUFFIX_OPEN);

  batch->fd = open (open_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
      O_CLOEXEC, 0600);
  if (batch->fd < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_OPEN_WRITE, errno,
        "Cannot create spool file", open_path);
    g_free (open_path);
    gst_vi_annot_batch_free (batch);
    return NULL;
  }
  g_free (batch->path);
  batch->path = open_path;
  return batch;
}

/* Appends @lines whole lines: one write(), so that a crashed process
 * leaves them in the kernel's hands, whole. */
gboolean
gst_vi_annot_batch_append (GstViAnnotBatch * batch, const gchar * data,
    gsize len, guint lines, GError ** error)
{
  gsize done = 0;

  g_return_val_if_fail (batch->fd >= 0, FALSE);

  while (done < len) {
    ssize_t n = write (batch->fd, data + done, len - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int errsv = errno;

      /* A short write leaves a torn line, which would end the batch's
       * file wrong: cut it off. */
      if (done > 0 && ftruncate (batch->fd, batch->bytes) < 0)
        GST_WARNING ("cannot cut a torn line off %s", batch->path);
      return set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errsv,
          "Cannot write spool file", batch->path);
    }
    done += n;
  }
  batch->bytes += len;
  batch->lines += lines;
  return TRUE;
}

/* Makes a filled batch durable and ready to send: fsync, rename to
 * .jsonl, fsync of the directory.  An empty batch is removed. */
gboolean
gst_vi_annot_spool_seal (GstViAnnotSpool * spool, GstViAnnotBatch * batch,
    GError ** error)
{
  gchar *sealed = batch_path (spool, batch->seq, SUFFIX_SEALED);
  gboolean ok = FALSE;

  g_return_val_if_fail (batch->fd >= 0, FALSE);

  if (batch->lines == 0) {
    close (batch->fd);
    batch->fd = -1;
    g_unlink (batch->path);
    ok = TRUE;
    goto done;
  }
  if (fsync (batch->fd) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot sync spool file", batch->path);
    goto done;
  }
  close (batch->fd);
  batch->fd = -1;
  if (g_rename (batch->path, sealed) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot seal spool file", batch->path);
    goto done;
  }
  g_free (batch->path);
  batch->path = g_steal_pointer (&sealed);
  ok = fsync_dir (spool, error);

done:
  g_free (sealed);
  return ok;
}

/* Records the import session of a batch, replacing an earlier one, before
 * the session's files may be inserted. */
gboolean
gst_vi_annot_spool_record_session (GstViAnnotSpool * spool,
    GstViAnnotBatch * batch, const gchar * session_id, GError ** error)
{
  gchar *path = batch_path (spool, batch->seq, SUFFIX_SESSION);
  gchar *contents = g_strconcat (session_id, "\n", NULL);
  gboolean ok;

  ok = write_atomic (spool, path, contents, error);
  if (ok) {
    g_free (batch->session_id);
    batch->session_id = g_strdup (session_id);
  }
  g_free (contents);
  g_free (path);
  return ok;
}

static gboolean
unlink_existing (const gchar * path, GError ** error)
{
  if (g_unlink (path) < 0 && errno != ENOENT)
    return set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot remove spool file", path);
  return TRUE;
}

/* An imported batch leaves: its annotations first, then its session (a
 * session without a batch is cleaned up at the next open; a batch without
 * its session would be sent again). */
gboolean
gst_vi_annot_spool_remove (GstViAnnotSpool * spool, GstViAnnotBatch * batch,
    GError ** error)
{
  gchar *session = batch_path (spool, batch->seq, SUFFIX_SESSION);
  gboolean ok;

  ok = unlink_existing (batch->path, error) &&
      unlink_existing (session, error) && fsync_dir (spool, error);
  g_free (session);
  return ok;
}

/* Moves a batch the service refused to rejected/, for the user to look
 * at; it is not sent again. */
gboolean
gst_vi_annot_spool_reject (GstViAnnotSpool * spool, GstViAnnotBatch * batch,
    gchar ** new_path, GError ** error)
{
  gchar *dir = g_build_filename (spool->dir, REJECTED_NAME, NULL);
  gchar *dest = g_build_filename (dir, batch->name, NULL);
  gchar *session = batch_path (spool, batch->seq, SUFFIX_SESSION);
  gboolean ok = FALSE;

  if (g_mkdir_with_parents (dir, 0700) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot create", dir);
    goto done;
  }
  if (g_rename (batch->path, dest) < 0) {
    set_errno_error (error, GST_RESOURCE_ERROR_WRITE, errno,
        "Cannot move spool file", batch->path);
    goto done;
  }
  ok = unlink_existing (session, error) && fsync_dir (spool, error);
  if (ok && new_path != NULL)
    *new_path = g_strdup (dest);

done:
  g_free (session);
  g_free (dest);
  g_free (dir);
  return ok;
}

/* Releases the lock; the files stay. */
void
gst_vi_annot_spool_close (GstViAnnotSpool * spool)
{
  if (spool == NULL)
    return;
  if (spool->lock_fd >= 0)
    close (spool->lock_fd);
  if (spool->dir_fd >= 0)
    close (spool->dir_fd);
  g_ptr_array_unref (spool->found);
  g_free (spool->dir);
  g_free (spool);
}
