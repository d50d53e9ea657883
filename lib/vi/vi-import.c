/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Annotation import: collecting files, the import-session workflow of
 * vi-api.md §4 (create, register, send to the signed URLs, PATCH
 * FilesInserted, wait) and reading a session.
 *
 * Everything runs on the thread-default main context of the caller, except
 * collecting the files and their CRC-32C, which reads them in a worker
 * thread.  Files are never loaded: the CRC is computed over 1 MiB chunks
 * and each signed upload streams the file from disk, so memory does not
 * depend on file size (design.md L-7).
 */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "vi-import.h"
#include "vi-crc32c.h"
#include "vi-error-private.h"
#include "vi-model-private.h"
#include "vi-client-private.h"
#include "vi-file-stream-private.h"

#define DEFAULT_POLL_INTERVAL_MS 1000
/* Signed-upload progress is reported at most once per this many bytes,
 * and at the end of each file. */
#define PROGRESS_STEP ((guint64) 256 * 1024)

/* ------------------------------------------------------------------------
 * ViUploadOptions
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViUploadOptions, vi_upload_options,
                     vi_upload_options_copy, vi_upload_options_free)

/**
 * vi_upload_options_init:
 * @options: (out caller-allocates): the options to fill
 *
 * Fills @options with the SDK's defaults: wait until the import is done,
 * polling every second, with no overall timeout, and `RejectSession` for
 * bad annotations, bad files and overwritten annotations.
 */
void
vi_upload_options_init (ViUploadOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->wait_until_done = TRUE;
  options->poll_interval_ms = DEFAULT_POLL_INTERVAL_MS;
  options->timeout_ms = 0;
  options->failure_policies.on_bad_annotation = VI_FAILURE_POLICY_REJECT_SESSION;
  options->failure_policies.on_bad_file = VI_FAILURE_POLICY_REJECT_SESSION;
  options->failure_policies.on_overwritten = VI_FAILURE_POLICY_REJECT_SESSION;
}

/**
 * vi_upload_options_new:
 *
 * Returns: (transfer full): new options, as vi_upload_options_init() sets
 *   them
 */
ViUploadOptions *
vi_upload_options_new (void)
{
  ViUploadOptions *options = g_new0 (ViUploadOptions, 1);

  vi_upload_options_init (options);
  return options;
}

/**
 * vi_upload_options_copy:
 * @options: a #ViUploadOptions
 *
 * Returns: (transfer full): a copy of @options
 */
ViUploadOptions *
vi_upload_options_copy (const ViUploadOptions *options)
{
  g_return_val_if_fail (options != NULL, NULL);

  return g_memdup2 (options, sizeof *options);
}

/**
 * vi_upload_options_free:
 * @options: (transfer full) (nullable): a #ViUploadOptions
 *
 * Frees @options.
 */
void
vi_upload_options_free (ViUploadOptions *options)
{
  g_free (options);
}

/* ------------------------------------------------------------------------
 * Collecting files (vi-api.md §4.0)
 * ------------------------------------------------------------------------ */

static gboolean
has_annotation_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  return dot != NULL && dot != name &&
      (g_ascii_strcasecmp (dot, ".json") == 0 ||
       g_ascii_strcasecmp (dot, ".jsonl") == 0);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Appends the annotation files under dir, recursively, sorted by path.
 * Symbolic links to files are followed; links to folders are not, so
 * that a loop cannot make the walk endless. */
static gboolean
collect_folder (const char  *dir,
                GPtrArray   *out,
                GError     **error)
{
  g_autoptr (GDir) handle = NULL;
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) subdirs = g_ptr_array_new_with_free_func (g_free);
  GError *local_error = NULL;
  const char *name;
  guint i;

  handle = g_dir_open (dir, 0, &local_error);
  if (handle == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "cannot read the folder \"%s\": %s", dir, local_error->message);
    g_error_free (local_error);
    return FALSE;
  }

  while ((name = g_dir_read_name (handle)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    GStatBuf st;

    if (g_lstat (path, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode)) {
      g_ptr_array_add (subdirs, g_steal_pointer (&path));
      continue;
    }
    if (S_ISLNK (st.st_mode) && (g_stat (path, &st) != 0 ||
            !S_ISREG (st.st_mode)))
      continue;
    if (S_ISREG (st.st_mode) && has_annotation_extension (name))
      g_ptr_array_add (found, g_steal_pointer (&path));
  }

  /* Files and folders together in path order, as a sorted recursive
   * listing gives them. */
  for (i = 0; i < subdirs->len; i++)
    g_ptr_array_add (found, g_strconcat (subdirs->pdata[i], G_DIR_SEPARATOR_S,
            NULL));
  g_ptr_array_sort (found, compare_paths);

  for (i = 0; i < found->len; i++) {
    char *path = found->pdata[i];
    gsize len = strlen (path);

    if (len > 0 && path[len - 1] == G_DIR_SEPARATOR) {
      path[len - 1] = '\0';
      if (!collect_folder (path, out, error))
        return FALSE;
    } else {
      g_ptr_array_add (out, g_strdup (path));
    }
  }
  return TRUE;
}

/**
 * vi_collect_annotation_files:
 * @paths: (array zero-terminated=1) (element-type filename): files and
 *   folders
 * @error: return location for a #GError
 *
 * Lists the files an upload of @paths sends, as the SDK does
 * (`vi-api.md` §4.0): a file named in @paths is taken whatever its
 * extension; a folder is searched recursively for files ending in `.json`
 * or `.jsonl` (in any case), which are listed sorted by path.  The result
 * keeps the order of @paths.  A path named twice is listed once.
 *
 * Unlike the SDK, which registers files under their base name and so
 * silently drops all but one of the files that share a base name, two
 * different files with the same base name are an error.
 *
 * Errors (all %VI_ERROR_INVALID_ARGUMENT): a path that is neither a file
 * nor a folder, two files with the same base name (both are named), a base
 * name that is not valid UTF-8, or no file at all.
 *
 * Returns: (transfer full) (element-type filename): the paths of the
 *   files, or %NULL on error
 */
GPtrArray *
vi_collect_annotation_files (const char *const  *paths,
                             GError            **error)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) result = NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GHashTable) seen = NULL;
  guint i;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (paths == NULL || paths[0] == NULL) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "no annotation files or folders given");
    return NULL;
  }

  files = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; paths[i] != NULL; i++) {
    const char *path = paths[i];
    GStatBuf st;

    if (*path == '\0') {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
          "an empty path is neither a file nor a folder");
      return NULL;
    }
    if (g_stat (path, &st) != 0) {
      int saved = errno;

      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
          "\"%s\" is neither a file nor a folder (%s)", path,
          g_strerror (saved));
      return NULL;
    }
    if (S_ISREG (st.st_mode)) {
      g_ptr_array_add (files, g_strdup (path));
    } else if (S_ISDIR (st.st_mode)) {
      if (!collect_folder (path, files, error))
        return NULL;
    } else {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
          "\"%s\" is neither a file nor a folder", path);
      return NULL;
    }
  }

  result = g_ptr_array_new_with_free_func (g_free);
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (i = 0; i < files->len; i++) {
    const char *path = files->pdata[i];
    g_autofree char *canonical = g_canonicalize_filename (path, NULL);
    g_autofree char *base = g_path_get_basename (path);
    const char *other;

    if (g_hash_table_contains (seen, canonical))
      continue;
    if (!g_utf8_validate (base, -1, NULL)) {
      g_autofree char *shown = g_filename_display_name (path);

      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
          "the name of \"%s\" is not valid UTF-8: files are registered "
          "under their name, which must be text", shown);
      return NULL;
    }
    other = g_hash_table_lookup (names, base);
    if (other != NULL) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
          "\"%s\" and \"%s\" have the same name \"%s\": files are "
          "registered under their name, so one would replace the other; "
          "rename one of them", other, path, base);
      return NULL;
    }
    g_hash_table_add (seen, g_steal_pointer (&canonical));
    g_hash_table_insert (names, g_steal_pointer (&base), (gpointer) path);
    g_ptr_array_add (result, g_strdup (path));
  }

  if (result->len == 0) {
    g_autofree char *joined = g_strjoinv ("\", \"", (char **) paths);

    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "no annotation files (.json or .jsonl) found in \"%s\"", joined);
    return NULL;
  }
  return g_steal_pointer (&result);
}

/* ------------------------------------------------------------------------
 * Helpers: a wait a cancellation ends, URLs
 * ------------------------------------------------------------------------ */

/* ".../annotationImportSessions[/{id}]"; ids validated by the caller. */
static char *
sessions_url (ViClient   *client,
              const char *dataset_id,
              const char *session_id)
{
  GString *url = _vi_client_dataset_url (client, dataset_id);

  g_string_append (url, "/annotationImportSessions");
  if (session_id != NULL) {
    g_autofree char *id = _vi_http_escape_segment (session_id);

    g_string_append_printf (url, "/%s", id);
  }
  return g_string_free (url, FALSE);
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static gboolean
is_cancelled_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* PATCH {session_url}/status with one FilesInserted condition. */
static ViHttpRequest *
patch_status_request (ViClient          *client,
                      const char        *session_url,
                      ViConditionStatus  status,
                      ViConditionReason  reason)
{
  g_autoptr (ViAnnotationImportSessionCondition) condition = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;

  condition = vi_annotation_import_session_condition_new ("FilesInserted",
      status, (double) now_ms (), reason);
  body = _vi_patch_status_body (condition);
  url = g_strconcat (session_url, "/status", NULL);
  return _vi_client_new_request (client, "PATCH", url, body,
      VI_HTTP_TARGET_SESSION, "update import session status");
}

/* ------------------------------------------------------------------------
 * get_import_session
 * ------------------------------------------------------------------------ */

static gpointer
decode_session (gpointer   node,
                gpointer   decode_data,
                GError   **error)
{
  return vi_annotation_import_session_new_from_json (node, error);
}

/**
 * vi_client_get_import_session_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Reads an annotation import session.  See
 * vi_client_get_import_session().
 */
void
vi_client_get_import_session_async (ViClient            *self,
                                    const char          *dataset_id,
                                    const char          *session_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GError *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self, vi_client_get_import_session_async,
        error, callback, user_data);
    return;
  }
  url = sessions_url (self, dataset_id, session_id);
  _vi_client_call_async (self, _vi_client_new_request (self, "GET", url, NULL,
          VI_HTTP_TARGET_SESSION, "get import session"), decode_session,
      NULL, NULL,
      (GDestroyNotify) vi_annotation_import_session_unref,
      vi_client_get_import_session_async, cancellable, callback, user_data);
}

/**
 * vi_client_get_import_session_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_get_import_session_finish (ViClient      *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _vi_client_call_finish (self, result,
      vi_client_get_import_session_async, error);
}

typedef struct {
  ViClient *client;
  const char *dataset_id;
  const char *session_id;
} GetArgs;

static void
start_get_session (gpointer             data,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GetArgs *a = data;

  vi_client_get_import_session_async (a->client, a->dataset_id,
      a->session_id, cancellable, callback, user_data);
}

/**
 * vi_client_get_import_session:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads an annotation import session (`GET
 * …/annotationImportSessions/{id}`), retried as every API call.
 *
 * Returns: (transfer full): the session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_get_import_session (ViClient      *self,
                              const char    *dataset_id,
                              const char    *session_id,
                              GCancellable  *cancellable,
                              GError       **error)
{
  GetArgs a = { self, dataset_id, session_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_get_session, &a, cancellable);
  return vi_client_get_import_session_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * Reading a session's state
 *
 * Exactly-once uploads rest on this read: when the answer to a step is
 * lost, the session says what happened.  A read changes nothing on the
 * server, so it is retried as any GET (5xx, 429, transport errors, bodies
 * cut short), and a body that is malformed or does not decode is read
 * again too, within the same retry budget and backoff.
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient     *client;
  char         *url;
  ViRetryState  retries;
} SessionRead;

static void
session_read_free (SessionRead *read)
{
  g_clear_object (&read->client);
  g_free (read->url);
  g_free (read);
}

static void session_read_attempt (GTask *task);

static void
session_read_got_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SessionRead *read = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session = NULL;
  GError *error = NULL;
  ViRetryPolicy policy;
  double delay;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL) {
    session = vi_annotation_import_session_new_from_json (node, &error);
    if (session == NULL)
      g_prefix_error (&error, "get import session: ");
  }
  if (session != NULL) {
    g_task_return_pointer (task, session,
        (GDestroyNotify) vi_annotation_import_session_unref);
    return;
  }

  policy = _vi_client_get_retry_policy (read->client);
  if (g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE) &&
      _vi_retry_next (&policy, &read->retries, 0, NULL, &delay)) {
    g_debug ("%s: %s; reading it again in %.3f s", read->url, error->message,
        delay);
    g_error_free (error);
    _vi_retry_later (task, delay, session_read_attempt);
    return;
  }
  g_task_return_error (task, error);
}

static void
session_read_attempt (GTask *task)
{
  SessionRead *read = g_task_get_task_data (task);

  _vi_http_send_async (_vi_client_new_request (read->client, "GET",
          read->url, NULL, VI_HTTP_TARGET_SESSION, "get import session"),
      g_task_get_cancellable (task), session_read_got_cb,
      g_object_ref (task));
}

/* Reads the session at url (…/annotationImportSessions/{id}). */
static void
session_read_async (ViClient            *client,
                    const char          *url,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback,
      user_data);
  SessionRead *read = g_new0 (SessionRead, 1);

  g_task_set_source_tag (task, session_read_async);
  read->client = g_object_ref (client);
  read->url = g_strdup (url);
  g_task_set_task_data (task, read, (GDestroyNotify) session_read_free);
  session_read_attempt (task);
}

static ViAnnotationImportSession *
session_read_finish (GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Whether a failed request may have been carried out, its answer lost or
 * unreadable: the session's state, not the error, says what happened. */
static gboolean
answer_may_be_lost (const GError *error)
{
  return error != NULL && error->domain == VI_ERROR &&
      (error->code == VI_ERROR_NETWORK || error->code == VI_ERROR_TIMEOUT ||
       error->code == VI_ERROR_SERVER || error->code == VI_ERROR_RATE_LIMITED ||
       error->code == VI_ERROR_INVALID_RESPONSE ||
       error->code == VI_ERROR_CONFLICT);
}

/* VI_ERROR_IMPORT_STATE_UNKNOWN, with the advice every such error gives. */
static GError *
state_unknown_error (const char   *dataset_id,
                     const char   *session_id,
                     const char   *what,
                     const GError *cause)
{
  return g_error_new (VI_ERROR, VI_ERROR_IMPORT_STATE_UNKNOWN,
      "import session %s of dataset %s: %s (%s); the import may still "
      "complete: wait for the session (vi_client_wait_until_done()) rather "
      "than uploading again, which could import the annotations twice",
      session_id, dataset_id, what, cause->message);
}

/* ------------------------------------------------------------------------
 * abandon_import_session
 *
 * The other half of exactly-once for a client that lost track of a
 * session (a crash, an outage): before sending the files again in a new
 * session, make sure the old one can never import them.
 * ------------------------------------------------------------------------ */

typedef struct {
  char *url;
  char *session_id;
} AbandonData;

static void
abandon_data_free (AbandonData *data)
{
  g_free (data->url);
  g_free (data->session_id);
  g_free (data);
}

static void
abandon_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ViAnnotationImportSession *session;
  GError *error = NULL;

  session = session_read_finish (result, &error);
  if (session == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, session,
      (GDestroyNotify) vi_annotation_import_session_unref);
}

static void
abandon_patched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  AbandonData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session = NULL;
  GError *error = NULL;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL)
    session = vi_annotation_import_session_new_from_json (node, &error);
  if (session != NULL) {
    g_task_return_pointer (task, session,
        (GDestroyNotify) vi_annotation_import_session_unref);
    return;
  }
  if (answer_may_be_lost (error)) {
    /* 409 (the files were marked inserted, or the session had already
     * ended) or an answer that never came: the session says which. */
    g_debug ("import session %s: %s; reading it", data->session_id,
        error->message);
    g_error_free (error);
    session_read_async (VI_CLIENT (g_task_get_source_object (task)),
        data->url, g_task_get_cancellable (task), abandon_read_cb,
        g_object_ref (task));
    return;
  }
  g_task_return_error (task, error);
}

/**
 * vi_client_abandon_import_session_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gives up an import session whose files may not have been marked
 * inserted.  See vi_client_abandon_import_session().
 */
void
vi_client_abandon_import_session_async (ViClient            *self,
                                        const char          *dataset_id,
                                        const char          *session_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  AbandonData *data;
  GError *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self,
        vi_client_abandon_import_session_async, error, callback, user_data);
    return;
  }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_abandon_import_session_async);
  data = g_new0 (AbandonData, 1);
  data->url = sessions_url (self, dataset_id, session_id);
  data->session_id = g_strdup (session_id);
  g_task_set_task_data (task, data, (GDestroyNotify) abandon_data_free);
  _vi_http_send_async (patch_status_request (self, data->url,
          VI_CONDITION_STATUS_FAILED_REACH,
          VI_CONDITION_REASON_CANCELLED_BY_USER), cancellable,
      abandon_patched_cb, g_object_ref (task));
}

/**
 * vi_client_abandon_import_session_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session as it is afterwards, or %NULL on
 *   error
 */
ViAnnotationImportSession *
vi_client_abandon_import_session_finish (ViClient      *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      vi_client_abandon_import_session_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_abandon_session (gpointer             data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GetArgs *a = data;

  vi_client_abandon_import_session_async (a->client, a->dataset_id,
      a->session_id, cancellable, callback, user_data);
}

/**
 * vi_client_abandon_import_session:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Makes sure that an import session imports nothing more than it already
 * does, for a client that lost track of it (a crash or an outage while
 * uploading) and wants to send the same files again in a new session
 * without importing them twice.
 *
 * The session is marked `FilesInserted: FailedReach` with reason
 * `CancelledByUser`, which the service accepts only while the files have
 * not been marked inserted; from then on, no request can insert them.
 * When the service refuses (409: the files were already marked inserted,
 * or the session had already ended) or the answer is lost, the session is
 * read instead.  Either way the session is returned as it is afterwards,
 * and its conditions say what to do: `FilesInserted: Reached` means the
 * files are being (or were) imported — wait for the session, do not send
 * them again; `FilesInserted: FailedReach` means they never will be.  A
 * session still without `FilesInserted` (a lost answer whose request did
 * not arrive) may be abandoned again.
 *
 * Returns: (transfer full): the session as it is afterwards, or %NULL on
 *   error (404 for a session the service does not know)
 */
ViAnnotationImportSession *
vi_client_abandon_import_session (ViClient      *self,
                                  const char    *dataset_id,
                                  const char    *session_id,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  GetArgs a = { self, dataset_id, session_id };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_abandon_session, &a, cancellable);
  return vi_client_abandon_import_session_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * wait_until_done (vi-api.md §4.5)
 *
 * Every request and every pause uses an internal cancellable, cancelled
 * by the caller's cancellable or by the overall deadline; which one fired
 * decides between G_IO_ERROR_CANCELLED and VI_ERROR_TIMEOUT.
 * ------------------------------------------------------------------------ */

typedef struct {
  ViClient             *client;
  char                 *dataset_id;
  char                 *session_id;
  char                 *url;
  guint                 interval_ms;
  guint                 timeout_ms;
  ViUploadProgressFunc  progress;
  gpointer              progress_data;
  ViUploadProgress      base;       /* files and bytes, from an upload */
  ViOpCancel            op;
  ViAnnotationImportSession *session;
  guint                 polls;
} WaitData;

static void
wait_data_free (WaitData *data)
{
  _vi_op_cancel_clear (&data->op);
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_free (data->session_id);
  g_free (data->url);
  g_free (data);
}

static void
wait_report (WaitData      *data,
             ViUploadStage  stage)
{
  ViUploadProgress p;

  if (data->progress == NULL)
    return;
  p = data->base;
  p.stage = stage;
  p.session_id = data->session_id;
  p.current_file = NULL;
  p.session = data->session;
  data->progress (&p, data->progress_data);
}

static char *
describe_state (WaitData *data)
{
  g_autofree char *chain = NULL;
  const char *reason;

  if (data->session == NULL)
    return g_strdup ("the session was never read");
  chain = vi_annotation_import_session_describe_conditions (data->session);
  reason = vi_annotation_import_session_status_get_reason
      (vi_annotation_import_session_get_status (data->session));
  if (reason != NULL && *reason != '\0')
    return g_strdup_printf ("%s; reason: %s", chain, reason);
  return g_steal_pointer (&chain);
}

/* The outcome of an interrupted step: cancelled, or the deadline. */
static void
wait_return_error (GTask  *task,
                   GError *error)
{
  WaitData *data = g_task_get_task_data (task);

  _vi_op_cancel_stop_deadline (&data->op);
  if (is_cancelled_error (error) && data->op.timed_out) {
    g_autofree char *state = describe_state (data);

    g_error_free (error);
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_TIMEOUT,
        "import session %s did not finish within %u ms (%u poll%s); last "
        "state: %s", data->session_id, data->timeout_ms, data->polls,
        data->polls == 1 ? "" : "s", state);
    return;
  }
  if (is_cancelled_error (error) &&
      g_cancellable_is_cancelled (data->op.user_cancellable)) {
    g_error_free (error);
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "waiting for import session %s was cancelled", data->session_id);
    return;
  }
  g_task_return_error (task, error);
}

static void wait_poll (GTask *task);

static void
wait_slept_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!_vi_sleep_finish (result, &error)) {
    wait_return_error (task, error);
    return;
  }
  wait_poll (task);
}

static void
wait_got_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  WaitData *data = g_task_get_task_data (task);
  GError *error = NULL;
  ViAnnotationImportSession *session;
  GPtrArray *conditions;
  gboolean all_reached;
  guint i;

  session = session_read_finish (result, &error);
  if (session == NULL) {
    if (answer_may_be_lost (error)) {
      GError *unknown = state_unknown_error (data->dataset_id,
          data->session_id, "its state could not be read", error);

      g_error_free (error);
      error = unknown;
    } else if (!is_cancelled_error (error)) {
      g_prefix_error (&error, "import session %s: ", data->session_id);
    }
    wait_return_error (task, error);
    return;
  }
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  data->session = session;
  data->polls++;

  if (vi_annotation_import_session_is_failed (session)) {
    g_autofree char *state = describe_state (data);

    _vi_op_cancel_stop_deadline (&data->op);
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_IMPORT_FAILED,
        "import session %s failed: %s", data->session_id, state);
    return;
  }

  /* Done when every condition is Reached, and there is at least one; the
   * names are not looked at (the SDK's Condition.ALL). */
  conditions = vi_annotation_import_session_status_get_conditions
      (vi_annotation_import_session_get_status (session));
  all_reached = conditions->len > 0;
  for (i = 0; i < conditions->len && all_reached; i++) {
    const ViAnnotationImportSessionCondition *c = conditions->pdata[i];

    if (c->status != VI_CONDITION_STATUS_REACHED)
      all_reached = FALSE;
  }

  if (all_reached) {
    _vi_op_cancel_stop_deadline (&data->op);
    wait_report (data, VI_UPLOAD_STAGE_DONE);
    g_task_return_pointer (task, vi_annotation_import_session_ref (session),
        (GDestroyNotify) vi_annotation_import_session_unref);
    return;
  }

  wait_report (data, VI_UPLOAD_STAGE_PROCESSING);
  _vi_sleep_async (data->interval_ms / 1000.0, data->op.cancellable,
      wait_slept_cb,
      g_object_ref (task));
}

static void
wait_poll (GTask *task)
{
  WaitData *data = g_task_get_task_data (task);

  session_read_async (data->client, data->url, data->op.cancellable,
      wait_got_cb, g_object_ref (task));
}

/* The wait, for vi_client_wait_until_done_async() and the upload; base
 * (nullable) holds the file and byte counts progress reports carry. */
static void
wait_start (ViClient                *client,
            const char              *dataset_id,
            const char              *session_id,
            guint                    poll_interval_ms,
            guint                    timeout_ms,
            ViUploadProgressFunc     progress,
            gpointer                 progress_data,
            const ViUploadProgress  *base,
            gpointer                 source_tag,
            GCancellable            *cancellable,
            GAsyncReadyCallback      callback,
            gpointer                 user_data)
{
  g_autoptr (GTask) task = NULL;
  WaitData *data;

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* The outcome says whether the caller cancelled. */
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (WaitData, 1);
  data->client = g_object_ref (client);
  data->dataset_id = g_strdup (dataset_id);
  data->session_id = g_strdup (session_id);
  data->url = sessions_url (client, dataset_id, session_id);
  data->interval_ms = poll_interval_ms != 0 ? poll_interval_ms
      : DEFAULT_POLL_INTERVAL_MS;
  data->timeout_ms = timeout_ms;
  data->progress = progress;
  data->progress_data = progress_data;
  if (base != NULL)
    data->base = *base;
  g_task_set_task_data (task, data, (GDestroyNotify) wait_data_free);
  _vi_op_cancel_init (&data->op, cancellable, timeout_ms);
  wait_poll (task);
}

/**
 * vi_client_wait_until_done_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @poll_interval_ms: time between two reads, 0 for 1000
 * @timeout_ms: the longest wait, 0 for no limit
 * @progress: (nullable) (scope forever) (closure progress_data): called
 *   after each read of the session
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Waits for an import session to finish.  See
 * vi_client_wait_until_done().  @progress and @progress_data must stay
 * valid until @callback is called.
 */
void
vi_client_wait_until_done_async (ViClient             *self,
                                 const char           *dataset_id,
                                 const char           *session_id,
                                 guint                 poll_interval_ms,
                                 guint                 timeout_ms,
                                 ViUploadProgressFunc  progress,
                                 gpointer              progress_data,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  GError *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error) ||
      !vi_validate_id ("import session id", session_id, &error)) {
    _vi_client_return_early_error (self, vi_client_wait_until_done_async,
        error, callback, user_data);
    return;
  }
  wait_start (self, dataset_id, session_id, poll_interval_ms, timeout_ms,
      progress, progress_data, NULL, vi_client_wait_until_done_async,
      cancellable, callback, user_data);
}

/**
 * vi_client_wait_until_done_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the finished session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_wait_until_done_finish (ViClient      *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      vi_client_wait_until_done_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  ViClient *client;
  const char *dataset_id;
  const char *session_id;
  guint poll_interval_ms;
  guint timeout_ms;
  ViUploadProgressFunc progress;
  gpointer progress_data;
} WaitArgs;

static void
start_wait (gpointer             data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  WaitArgs *a = data;

  vi_client_wait_until_done_async (a->client, a->dataset_id, a->session_id,
      a->poll_interval_ms, a->timeout_ms, a->progress, a->progress_data,
      cancellable, callback, user_data);
}

/**
 * vi_client_wait_until_done:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @session_id: the import session id
 * @poll_interval_ms: time between two reads, 0 for 1000
 * @timeout_ms: the longest wait, 0 for no limit
 * @progress: (nullable) (scope call) (closure progress_data): called after
 *   each read of the session, with %VI_UPLOAD_STAGE_PROCESSING, and once
 *   with %VI_UPLOAD_STAGE_DONE
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for an import session to finish, as the SDK's `wait_until_done()`:
 * reads the session every @poll_interval_ms until it has conditions and
 * all of them are `Reached`.  Each read is retried as any GET, and a body
 * that is malformed or does not decode is read again too, within the same
 * budget (#ViClient:max-retries).  When the session still cannot be read,
 * the wait fails with %VI_ERROR_IMPORT_STATE_UNKNOWN, naming the session:
 * wait for it again later, its import may well complete.
 *
 * Unlike the SDK, the wait can be bounded and cancelled: after
 * @timeout_ms it fails with %VI_ERROR_TIMEOUT, naming the session and its
 * last state; cancelling @cancellable ends it at once with
 * %G_IO_ERROR_CANCELLED, also in the middle of a request or a pause.  A
 * condition in `FailedReach` fails it with %VI_ERROR_IMPORT_FAILED, whose
 * message holds the chain of conditions with their reasons and the
 * session's `status.reason`.
 *
 * Returns: (transfer full): the finished session, or %NULL on error
 */
ViAnnotationImportSession *
vi_client_wait_until_done (ViClient              *self,
                           const char            *dataset_id,
                           const char            *session_id,
                           guint                  poll_interval_ms,
                           guint                  timeout_ms,
                           ViUploadProgressFunc   progress,
                           gpointer               progress_data,
                           GCancellable          *cancellable,
                           GError               **error)
{
  WaitArgs a = { self, dataset_id, session_id, poll_interval_ms, timeout_ms,
    progress, progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_wait, &a, cancellable);
  return vi_client_wait_until_done_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * Upload (vi-api.md §4.1–§4.4)
 * ------------------------------------------------------------------------ */

typedef struct {
  char   *path;       /* as collected */
  char   *name;       /* base name, the registration key */
  guint64 size;
  char   *crc32c;     /* base64 of the big-endian CRC-32C */
} LocalFile;

static void
local_file_free (LocalFile *file)
{
  g_free (file->path);
  g_free (file->name);
  g_free (file->crc32c);
  g_free (file);
}

typedef struct {
  ViClient                  *client;
  char                      *dataset_id;
  char                     **paths;
  ViUploadOptions            options;
  ViUploadProgressFunc       progress;
  gpointer                   progress_data;

  GPtrArray                 *files;       /* LocalFile, collected order */
  GHashTable                *by_name;     /* name -> LocalFile */
  GPtrArray                 *uploads;     /* ViSignedUpload, server order */
  ViAnnotationImportSession *session;     /* latest response */
  char                      *session_id;
  char                      *session_url;

  ViUploadStage              stage;
  guint                      index;       /* into uploads */
  LocalFile                 *current;
  guint                      files_done;
  guint64                    bytes_done;  /* files finished */
  guint64                    bytes_sent;  /* current attempt */
  guint64                    bytes_reported;
  guint64                    bytes_total;

  /* the signed upload in flight */
  SoupMessage               *msg;
  GInputStream              *body;
  guint                      attempts;
  ViRetryState               retries;

  GError                    *failure;     /* while marking the session */
  GError                    *lost;        /* a PATCH whose answer is lost */
  guint                      reconciles;  /* session reads after one */
} UploadData;

static void
upload_stop_message (UploadData *data)
{
  if (data->msg != NULL) {
    g_signal_handlers_disconnect_matched (data->msg, G_SIGNAL_MATCH_DATA, 0,
        0, NULL, NULL, data);
    g_clear_object (&data->msg);
  }
  if (data->body != NULL) {
    g_input_stream_close (data->body, NULL, NULL);
    g_clear_object (&data->body);
  }
}

static void
upload_data_free (UploadData *data)
{
  upload_stop_message (data);
  g_clear_object (&data->client);
  g_free (data->dataset_id);
  g_strfreev (data->paths);
  g_clear_pointer (&data->files, g_ptr_array_unref);
  g_clear_pointer (&data->by_name, g_hash_table_unref);
  g_clear_pointer (&data->uploads, g_ptr_array_unref);
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  g_free (data->session_id);
  g_free (data->session_url);
  g_clear_error (&data->failure);
  g_clear_error (&data->lost);
  g_free (data);
}

static void
upload_report (UploadData *data)
{
  ViUploadProgress p = { 0, };

  if (data->progress == NULL)
    return;
  p.stage = data->stage;
  p.session_id = data->session_id;
  p.current_file = data->stage == VI_UPLOAD_STAGE_UPLOADING &&
      data->current != NULL ? data->current->path : NULL;
  p.files_done = data->files_done;
  p.files_total = data->files != NULL ? data->files->len : 0;
  p.bytes_done = data->bytes_done + data->bytes_sent;
  p.bytes_total = data->bytes_total;
  p.session = data->stage >= VI_UPLOAD_STAGE_PROCESSING ? data->session
      : NULL;
  data->bytes_reported = p.bytes_done;
  data->progress (&p, data->progress_data);
}

static void
upload_set_stage (UploadData    *data,
                  ViUploadStage  stage)
{
  data->stage = stage;
  upload_report (data);
}

/* Collecting, in a worker thread: the files, their sizes and CRCs. */
static void
collect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  char **paths = task_data;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) files = NULL;
  GError *error = NULL;
  guint i;

  found = vi_collect_annotation_files ((const char *const *) paths, &error);
  if (found == NULL) {
    g_task_return_error (task, error);
    return;
  }

  files = g_ptr_array_new_with_free_func ((GDestroyNotify) local_file_free);
  for (i = 0; i < found->len; i++) {
    LocalFile *file = g_new0 (LocalFile, 1);
    guint32 crc = 0;

    file->path = g_strdup (found->pdata[i]);
    file->name = g_path_get_basename (file->path);
    g_ptr_array_add (files, file);
    /* Size and CRC from the same read, so that they agree. */
    if (!vi_crc32c_file (file->path, &crc, &file->size, cancellable,
            &error)) {
      if (!is_cancelled_error (error)) {
        GError *wrapped = g_error_new (VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
            "cannot read \"%s\": %s", file->path, error->message);

        g_error_free (error);
        error = wrapped;
      }
      g_task_return_error (task, error);
      return;
    }
    file->crc32c = vi_crc32c_to_base64 (crc);
  }
  g_task_return_pointer (task, g_steal_pointer (&files),
      (GDestroyNotify) g_ptr_array_unref);
}

static void upload_fail (GTask  *task,
                         GError *error);

static void
upload_return_error (GTask  *task,
                     GError *error)
{
  g_task_return_error (task, error);
}

static void
upload_done (GTask                     *task,
             ViAnnotationImportSession *session)
{
  g_task_return_pointer (task, vi_annotation_upload_result_new (session),
      (GDestroyNotify) vi_annotation_upload_result_unref);
}

/* ---- step 5: wait ---- */

static void
upload_waited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (ViAnnotationImportSession) session = NULL;
  GError *error = NULL;

  session = g_task_propagate_pointer (G_TASK (result), &error);
  if (session == NULL) {
    upload_return_error (task, error);
    return;
  }
  upload_done (task, session);
}

/* Progress of the wait inside an upload: the upload's own callback sees
 * the session as last read. */
static void
upload_wait_progress (const ViUploadProgress *progress,
                      gpointer                user_data)
{
  UploadData *data = user_data;

  data->stage = progress->stage;
  if (progress->session != NULL &&
      progress->session != data->session) {
    g_clear_pointer (&data->session, vi_annotation_import_session_unref);
    data->session = vi_annotation_import_session_ref
        ((ViAnnotationImportSession *) progress->session);
  }
  if (data->progress != NULL)
    data->progress (progress, data->progress_data);
}

/* ---- step 4: PATCH FilesInserted ---- */

/* Reading the session after a lost answer is tried this many times; each
 * read that finds the files not marked sends the PATCH again. */
#define MAX_RECONCILES 2

static void upload_finalize (GTask *task);

/* The files are marked inserted: wait, or return the session. */
static void
upload_marked (GTask *task)
{
  UploadData *data = g_task_get_task_data (task);
  ViUploadProgress base = { 0, };

  if (!data->options.wait_until_done) {
    upload_set_stage (data, VI_UPLOAD_STAGE_DONE);
    upload_done (task, data->session);
    return;
  }

  base.files_done = data->files_done;
  base.files_total = data->files->len;
  base.bytes_done = data->bytes_done;
  base.bytes_total = data->bytes_total;
  data->stage = VI_UPLOAD_STAGE_PROCESSING;
  wait_start (data->client, data->dataset_id, data->session_id,
      data->options.poll_interval_ms, data->options.timeout_ms,
      upload_wait_progress, data, &base, upload_waited_cb,
      g_task_get_cancellable (task), upload_waited_cb,
      g_object_ref (task));
}

/* Whether the session shows the PATCH as carried out: FilesInserted is
 * there, Reached or FailedReach (the session may also have failed). */
static gboolean
files_inserted_marked (ViAnnotationImportSession *session)
{
  GPtrArray *conditions = vi_annotation_import_session_status_get_conditions
      (vi_annotation_import_session_get_status (session));

  for (guint i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = conditions->pdata[i];

    if (g_strcmp0 (c->condition, "FilesInserted") == 0 &&
        c->status != VI_CONDITION_STATUS_WAITING)
      return TRUE;
  }
  return vi_annotation_import_session_is_failed (session);
}

static void
upload_reconciled_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (GError) lost = g_steal_pointer (&data->lost);
  ViAnnotationImportSession *session;
  GError *error = NULL;

  session = session_read_finish (result, &error);
  if (session == NULL) {
    if (!is_cancelled_error (error)) {
      g_autofree char *what = g_strdup_printf ("every file was sent, but "
          "the answer to marking them inserted was lost (%s) and the "
          "session could not be read", lost->message);
      GError *unknown = state_unknown_error (data->dataset_id,
          data->session_id, what, error);

      g_error_free (error);
      error = unknown;
    }
    upload_return_error (task, error);
    return;
  }
  g_clear_pointer (&data->session, vi_annotation_import_session_unref);
  data->session = session;

  if (files_inserted_marked (session)) {
    g_debug ("import session %s: the files were marked inserted (%s)",
        data->session_id, lost->message);
    upload_marked (task);
    return;
  }
  /* Not carried out: the PATCH is idempotent, send it again. */
  g_debug ("import session %s: the files are not marked inserted (%s); "
      "marking them again", data->session_id, lost->message);
  upload_finalize (task);
}

static void
upload_patched_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  ViAnnotationImportSession *session;
  GError *error = NULL;

  node = _vi_http_send_finish (result, &error);
  if (node != NULL) {
    session = vi_annotation_import_session_new_from_json (node, &error);
    if (session != NULL) {
      g_clear_pointer (&data->session, vi_annotation_import_session_unref);
      data->session = session;
    }
  }
  if (error != NULL && answer_may_be_lost (error)) {
    /* Truncated, dropped, garbled, or a retry told that the files are
     * already marked (409): the session says whether the PATCH was
     * carried out. */
    if (data->reconciles < MAX_RECONCILES) {
      data->reconciles++;
      g_clear_error (&data->lost);
      data->lost = error;
      session_read_async (data->client, data->session_url,
          g_task_get_cancellable (task), upload_reconciled_cb,
          g_object_ref (task));
      return;
    }
    {
      GError *unknown = state_unknown_error (data->dataset_id,
          data->session_id, "every file was sent, but marking them "
          "inserted kept failing without a usable answer", error);

      g_error_free (error);
      error = unknown;
    }
  } else if (error != NULL && !is_cancelled_error (error)) {
    g_prefix_error (&error, "import session %s: every file was sent, but "
        "marking them inserted failed: ", data->session_id);
  }
  if (error != NULL) {
    upload_return_error (task, error);
    return;
  }
  upload_marked (task);
}

static ViHttpRequest *
new_patch_request (UploadData        *data,
                   ViConditionStatus  status,
                   ViConditionReason  reason)
{
  return patch_status_request (data->client, data->session_url, status,
      reason);
}

static void
upload_finalize (GTask *task)
{
  UploadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->current = NULL;
  /* Cancelled once the last file was sent: still a cancelled upload. */
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task),
          &error)) {
    upload_fail (task, error);
    return;
  }
  upload_set_stage (data, VI_UPLOAD_STAGE_FINALIZING);
  _vi_http_send_async (new_patch_request (data, VI_CONDITION_STATUS_REACHED,
          VI_CONDITION_REASON_NONE), g_task_get_cancellable (task),
      upload_patched_cb, g_object_ref (task));
}

/* ---- after a failure in steps 2-3: FailedReach ---- */

static void
upload_failed_patched_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) patch_error = NULL;
  g_autoptr (GError) failure = g_steal_pointer (&data->failure);
  GError *error;

  node = _vi_http_send_finish (result, &patch_error);

  if (is_cancelled_error (failure)) {
    if (patch_error != NULL)
      g_warning ("import session %s: marking it cancelled failed: %s",
          data->session_id, patch_error->message);
    upload_return_error (task, g_steal_pointer (&failure));
    return;
  }

  if (patch_error != NULL)
    error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
        "import session %s: %s; marking the session failed "
        "(FailedReach, UserUploadErrored) failed too: %s",
        data->session_id, failure->message, patch_error->message);
  else
    error = g_error_new (VI_ERROR, VI_ERROR_IMPORT_FAILED,
        "import session %s: %s; the session was marked failed "
        "(FilesInserted: FailedReach, UserUploadErrored)",
        data->session_id, failure->message);
  if (failure->domain == VI_ERROR)
    vi_error_set_http_details (error, vi_error_get_http_status (failure),
        vi_error_get_server_message (failure),
        vi_error_get_trace_id (failure));
  upload_return_error (task, error);
}

/* A failure while registering or sending (takes error): the session is
 * marked FailedReach, with CancelledByUser when the caller cancelled and
 * UserUploadErrored otherwise; the PATCH is not cancellable. */
static void
upload_fail (GTask  *task,
             GError *error)
{
  UploadData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gboolean cancelled;
  ViConditionReason reason;

  upload_stop_message (data);
  data->current = NULL;
  cancelled = is_cancelled_error (error) ||
      (cancellable != NULL && g_cancellable_is_cancelled (cancellable));
  if (cancelled && !is_cancelled_error (error)) {
    g_error_free (error);
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "Operation was cancelled");
  }
  if (cancelled) {
    g_prefix_error (&error, "upload to import session %s: ",
        data->session_id);
    reason = VI_CONDITION_REASON_CANCELLED_BY_USER;
  } else {
    reason = VI_CONDITION_REASON_USER_UPLOAD_ERRORED;
  }

  data->failure = error;
  _vi_http_send_async (new_patch_request (data,
          VI_CONDITION_STATUS_FAILED_REACH, reason), NULL,
      upload_failed_patched_cb, g_object_ref (task));
}

/* ---- step 3: the signed uploads ---- */

static void upload_next_file (GTask *task);
static void upload_attempt (GTask *task);

static void
wrote_body_data_cb (SoupMessage *msg,
                    guint        chunk_size,
                    gpointer     user_data)
{
  UploadData *data = user_data;

  data->bytes_sent += chunk_size;
  if (data->bytes_done + data->bytes_sent >=
      data->bytes_reported + PROGRESS_STEP)
    upload_report (data);
}

static void
restarted_cb (SoupMessage *msg,
              gpointer     user_data)
{
  UploadData *data = user_data;

  g_debug ("upload of %s: restarted by libsoup", data->current->path);
  if (data->body != NULL && G_IS_SEEKABLE (data->body) &&
      g_seekable_can_seek (G_SEEKABLE (data->body)))
    g_seekable_seek (G_SEEKABLE (data->body), 0, G_SEEK_SET, NULL, NULL);
  data->bytes_sent = 0;
}

static void
upload_retry_slept_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!_vi_sleep_finish (result, &error)) {
    upload_fail (task, error);
    return;
  }
  upload_attempt (task);
}

static void
upload_retry (GTask  *task,
              double  seconds)
{
  UploadData *data = g_task_get_task_data (task);

  g_debug ("upload of %s: attempt %u failed, retrying in %.3f s",
      data->current->path, data->attempts, seconds);
  _vi_sleep_async (seconds, g_task_get_cancellable (task),
      upload_retry_slept_cb, g_object_ref (task));
}

static void
upload_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  ViRetryPolicy policy = _vi_client_get_retry_policy (data->client);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  GError *error = NULL;
  guint status;
  double delay;

  body = _vi_http_send_and_read_finish (result, &error);
  msg = g_object_ref (data->msg);
  upload_stop_message (data);

  if (body == NULL) {
    if (is_cancelled_error (error)) {
      upload_fail (task, error);
      return;
    }
    if (_vi_http_error_is_final (error)) {
      g_prefix_error (&error, "sending %s: ", data->current->path);
      upload_fail (task, error);
      return;
    }
    if (_vi_retry_next (&policy, &data->retries, 0, NULL, &delay)) {
      g_error_free (error);
      upload_retry (task, delay);
      return;
    }
    {
      GError *out = g_error_new (VI_ERROR, VI_ERROR_NETWORK,
          "sending %s failed after %u attempt%s: %s", data->current->path,
          data->attempts, data->attempts == 1 ? "" : "s", error->message);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        out->code = VI_ERROR_TIMEOUT;
      g_error_free (error);
      upload_fail (task, out);
    }
    return;
  }

  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status)) {
    data->files_done++;
    data->bytes_done += data->current->size;
    data->bytes_sent = 0;
    upload_report (data);
    data->index++;
    upload_next_file (task);
    return;
  }

  if (_vi_retry_next (&policy, &data->retries, status,
          soup_message_get_response_headers (msg), &delay)) {
    upload_retry (task, delay);
    return;
  }
  {
    g_autofree char *what = g_strdup_printf ("sending %s",
        data->current->path);
    const char *trace = soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "x-cloud-trace-context");

    _vi_http_set_status_error (&error, what, VI_HTTP_TARGET_SIGNED_URL,
        status, body, trace);
    if (data->attempts > 1)
      g_prefix_error (&error, "after %u attempts: ", data->attempts);
    upload_fail (task, error);
  }
}

/* One attempt: the file is opened again, so a retry sends it from the
 * start. */
static void
upload_attempt (GTask *task)
{
  UploadData *data = g_task_get_task_data (task);
  const ViSignedUpload *upload = data->uploads->pdata[data->index];
  LocalFile *file = data->current;
  g_autoptr (GFile) gfile = NULL;
  g_autoptr (GFileInfo) info = NULL;
  SoupMessageHeaders *headers;
  GHashTableIter iter;
  gpointer key, value;
  GError *error = NULL;
  goffset size;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task),
          &error)) {
    upload_fail (task, error);
    return;
  }

  data->bytes_sent = 0;
  gfile = g_file_new_for_path (file->path);
  info = g_file_query_info (gfile, G_FILE_ATTRIBUTE_STANDARD_SIZE,
      G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info == NULL) {
    g_prefix_error (&error, "cannot read %s: ", file->path);
    upload_fail (task, error);
    return;
  }
  /* Read on this thread: see vi-file-stream-private.h. */
  data->body = _vi_file_stream_new (file->path, &error);
  if (data->body == NULL) {
    g_prefix_error (&error, "cannot read %s: ", file->path);
    upload_fail (task, error);
    return;
  }
  size = g_file_info_get_size (info);
  if (size < 0 || (guint64) size != file->size) {
    upload_fail (task, g_error_new (VI_ERROR, VI_ERROR_INVALID_DATA,
            "%s changed while it was being uploaded (%" G_GUINT64_FORMAT
            " bytes when registered, %" G_GINT64_FORMAT " now)",
            file->path, file->size, (gint64) size));
    return;
  }

  data->msg = soup_message_new (upload->method, upload->url);
  if (data->msg == NULL) {
    g_autofree char *shown = g_utf8_make_valid (upload->url, 200);

    upload_fail (task, g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
            "invalid response: the upload URL for %s is not a valid URL "
            "(%s %s)", file->name, upload->method, shown));
    return;
  }
  /* Exactly the method and headers the server gave, and no API
   * credentials; redirects are failures, as for the SDK. */
  /* A new connection each time: libsoup re-sends a PUT by itself when a
   * reused keep-alive connection turns out to be closed, with the body
   * stream where the first try left it, which sends a truncated body.
   * Our own retries open the file again instead.  Should libsoup restart
   * it anyway, the stream is rewound. */
  soup_message_add_flags (data->msg, SOUP_MESSAGE_NO_REDIRECT |
      SOUP_MESSAGE_NEW_CONNECTION);
  g_signal_connect (data->msg, "restarted", G_CALLBACK (restarted_cb), data);
  headers = soup_message_get_request_headers (data->msg);
  if (upload->headers != NULL) {
    g_hash_table_iter_init (&iter, upload->headers);
    while (g_hash_table_iter_next (&iter, &key, &value))
      soup_message_headers_replace (headers, key, value);
  }
  soup_message_set_request_body (data->msg, NULL, data->body, size);
  g_signal_connect (data->msg, "wrote-body-data",
      G_CALLBACK (wrote_body_data_cb), data);

  data->attempts++;
  _vi_http_send_and_read_async (_vi_client_get_session (data->client),
      data->msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
      upload_sent_cb, g_object_ref (task));
}

static void
upload_next_file (GTask *task)
{
  UploadData *data = g_task_get_task_data (task);
  const ViSignedUpload *upload;

  if (data->index >= data->uploads->len) {
    upload_finalize (task);
    return;
  }
  upload = data->uploads->pdata[data->index];
  data->current = g_hash_table_lookup (data->by_name, upload->name);
  data->attempts = 0;
  data->retries = (ViRetryState) { 0, 0 };
  data->bytes_sent = 0;
  upload_report (data);
  upload_attempt (task);
}

/* ---- step 2: register ---- */

static void
upload_registered_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GHashTable) listed = NULL;
  GError *error = NULL;
  guint i;

  node = _vi_http_send_finish (result, &error);
  if (node == NULL) {
    upload_fail (task, error);
    return;
  }
  data->uploads = _vi_signed_uploads_from_json (node, &error);
  if (data->uploads == NULL) {
    g_prefix_error (&error, "register files: ");
    upload_fail (task, error);
    return;
  }
  if (data->uploads->len == 0) {
    upload_fail (task, g_error_new_literal (VI_ERROR,
            VI_ERROR_INVALID_RESPONSE, "register files: the server added no "
            "files to the session"));
    return;
  }

  /* Each name must be one we registered, and each file must get a URL
   * (the SDK pairs them blindly and may send a file to another's URL). */
  listed = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < data->uploads->len; i++) {
    const ViSignedUpload *upload = data->uploads->pdata[i];

    if (!g_hash_table_contains (data->by_name, upload->name)) {
      upload_fail (task, g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
              "register files: the server returned an upload URL for "
              "\"%s\", which was not registered", upload->name));
      return;
    }
    g_hash_table_add (listed, upload->name);
  }
  for (i = 0; i < data->files->len; i++) {
    const LocalFile *file = data->files->pdata[i];

    if (!g_hash_table_contains (listed, file->name)) {
      upload_fail (task, g_error_new (VI_ERROR, VI_ERROR_INVALID_RESPONSE,
              "register files: the server returned no upload URL for %s",
              file->path));
      return;
    }
  }

  data->index = 0;
  data->stage = VI_UPLOAD_STAGE_UPLOADING;
  upload_next_file (task);
}

/* ---- step 1: create the session ---- */

static void
upload_created_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) specs = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;
  const char *id;
  guint i;

  node = _vi_http_send_finish (result, &error);
  if (node == NULL) {
    upload_return_error (task, error);
    return;
  }
  data->session = vi_annotation_import_session_new_from_json (node, &error);
  if (data->session == NULL) {
    g_prefix_error (&error, "create import session: ");
    upload_return_error (task, error);
    return;
  }
  id = vi_annotation_import_session_get_session_id (data->session);
  if (!vi_validate_id ("import session id", id, &error)) {
    g_prefix_error (&error, "create import session: invalid response: ");
    error->code = VI_ERROR_INVALID_RESPONSE;
    upload_return_error (task, error);
    return;
  }
  data->session_id = g_strdup (id);
  data->session_url = sessions_url (data->client, data->dataset_id, id);

  upload_set_stage (data, VI_UPLOAD_STAGE_REGISTERING);
  specs = g_ptr_array_new_with_free_func
      ((GDestroyNotify) vi_annotation_import_file_spec_free);
  for (i = 0; i < data->files->len; i++) {
    const LocalFile *file = data->files->pdata[i];

    g_ptr_array_add (specs, vi_annotation_import_file_spec_new (file->name,
            (gint64) file->size, file->crc32c));
  }
  body = _vi_import_files_body (specs);
  url = g_strconcat (data->session_url, "/files", NULL);
  _vi_http_send_async (_vi_client_new_request (data->client, "POST", url,
          body, VI_HTTP_TARGET_SESSION, "register files"),
      g_task_get_cancellable (task),
      upload_registered_cb, g_object_ref (task));
}

static void
upload_collected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  UploadData *data = g_task_get_task_data (task);
  ViAnnotationImportSpec spec;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;
  guint i;

  data->files = g_task_propagate_pointer (G_TASK (result), &error);
  if (data->files == NULL) {
    upload_return_error (task, error);
    return;
  }
  data->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < data->files->len; i++) {
    LocalFile *file = data->files->pdata[i];

    g_hash_table_insert (data->by_name, file->name, file);
    data->bytes_total += file->size;
  }

  upload_set_stage (data, VI_UPLOAD_STAGE_CREATING_SESSION);
  vi_annotation_import_spec_init_default (&spec);
  spec.failure_policies = data->options.failure_policies;
  body = _vi_import_session_create_body (&spec, NULL);
  url = sessions_url (data->client, data->dataset_id, NULL);
  _vi_http_send_async (_vi_client_new_request (data->client, "POST", url,
          body, VI_HTTP_TARGET_DATASET, "create import session"),
      g_task_get_cancellable (task),
      upload_created_cb, g_object_ref (task));
}

/**
 * vi_client_upload_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @paths: (array zero-terminated=1) (element-type filename): annotation
 *   files and folders
 * @options: (nullable): options, or %NULL for those of
 *   vi_upload_options_init()
 * @progress: (nullable) (scope forever) (closure progress_data): called as
 *   the upload advances
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Uploads annotation files.  See vi_client_upload_annotations().
 * @progress and @progress_data must stay valid until @callback is called.
 */
void
vi_client_upload_annotations_async (ViClient               *self,
                                    const char             *dataset_id,
                                    const char *const      *paths,
                                    const ViUploadOptions  *options,
                                    ViUploadProgressFunc    progress,
                                    gpointer                progress_data,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) collect = NULL;
  UploadData *data;
  GError *error = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!vi_validate_id ("dataset id", dataset_id, &error)) {
    _vi_client_return_early_error (self, vi_client_upload_annotations_async,
        error, callback, user_data);
    return;
  }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_upload_annotations_async);
  g_task_set_check_cancellable (task, FALSE);
  data = g_new0 (UploadData, 1);
  data->client = g_object_ref (self);
  data->dataset_id = g_strdup (dataset_id);
  data->paths = g_strdupv ((char **) paths);
  if (options != NULL)
    data->options = *options;
  else
    vi_upload_options_init (&data->options);
  data->progress = progress;
  data->progress_data = progress_data;
  g_task_set_task_data (task, data, (GDestroyNotify) upload_data_free);

  upload_set_stage (data, VI_UPLOAD_STAGE_COLLECTING);

  collect = g_task_new (NULL, cancellable, upload_collected_cb,
      g_object_ref (task));
  g_task_set_source_tag (collect, collect_thread);
  g_task_set_task_data (collect, g_strdupv (data->paths),
      (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (collect, collect_thread);
}

/**
 * vi_client_upload_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the result, or %NULL on error
 */
ViAnnotationUploadResult *
vi_client_upload_annotations_finish (ViClient      *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      vi_client_upload_annotations_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  ViClient *client;
  const char *dataset_id;
  const char *const *paths;
  const ViUploadOptions *options;
  ViUploadProgressFunc progress;
  gpointer progress_data;
} UploadArgs;

static void
start_upload (gpointer             data,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  UploadArgs *a = data;

  vi_client_upload_annotations_async (a->client, a->dataset_id, a->paths,
      a->options, a->progress, a->progress_data, cancellable, callback,
      user_data);
}

/**
 * vi_client_upload_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @paths: (array zero-terminated=1) (element-type filename): annotation
 *   files and folders
 * @options: (nullable): options, or %NULL for those of
 *   vi_upload_options_init()
 * @progress: (nullable) (scope call) (closure progress_data): called as the
 *   upload advances
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Uploads annotation files to a dataset, as the SDK's `upload()`
 * (`vi-api.md` §4):
 *
 * 1. collects the files (vi_collect_annotation_files()) and reads each
 *    once for its size and CRC-32C;
 * 2. creates an import session, with an upload deadline 55 minutes away
 *    and the failure policies of @options;
 * 3. registers the files under their base names;
 * 4. sends each file, in the order the server lists them, to its signed
 *    URL with exactly the method and headers the server gave and without
 *    the API credentials, streamed from disk with a `Content-Length`.
 *    Unlike the SDK, these requests are retried as API calls are (429,
 *    500/502/503/504, dropped connections), the file being read again
 *    from the start; any 2xx is success, anything else failure;
 * 5. marks the files inserted (`FilesInserted: Reached`);
 * 6. when @options says so, waits as vi_client_wait_until_done().
 *
 * Uploads are exactly-once: when the answer to marking the files inserted
 * is lost (cut short, dropped, garbled, or a retry told that the files are
 * already marked), the session is read to learn what happened: marked, the
 * upload goes on; not marked, the request is sent again.  When the state
 * cannot be learned, the call fails with %VI_ERROR_IMPORT_STATE_UNKNOWN,
 * whose message names the session: wait for it with
 * vi_client_wait_until_done() rather than uploading again, which could
 * import the annotations twice.
 *
 * Memory use does not depend on the size of the files.
 *
 * When registering or sending fails, the session is marked
 * `FilesInserted: FailedReach` with reason `UserUploadErrored`, as the SDK
 * does; but where the SDK then returns normally and hides the cause, this
 * fails with %VI_ERROR_IMPORT_FAILED, whose message names the session,
 * the file and what went wrong.  Cancelling @cancellable while
 * registering or sending marks the session `FailedReach` with reason
 * `CancelledByUser` (that request itself is not cancellable, and retried
 * only as any API call) and fails with %G_IO_ERROR_CANCELLED; cancelling
 * while the `FilesInserted: Reached` request is in flight fails with
 * %G_IO_ERROR_CANCELLED, the session being in whatever state that request
 * left it; cancelling during the wait ends it at once, leaving the session
 * as it is.  Errors
 * before the session exists (a bad path, two files with the same name,
 * creating the session) are reported as they are, with no session left
 * behind except for a failed creation.
 *
 * @progress is called on the thread-default main context of the caller
 * (during the call), at each stage and while sending at most every
 * 256 KiB of each file.
 *
 * Returns: (transfer full): the result, with the session as last read, or
 *   %NULL on error
 */
ViAnnotationUploadResult *
vi_client_upload_annotations (ViClient               *self,
                              const char             *dataset_id,
                              const char *const      *paths,
                              const ViUploadOptions  *options,
                              ViUploadProgressFunc    progress,
                              gpointer                progress_data,
                              GCancellable           *cancellable,
                              GError                **error)
{
  UploadArgs a = { self, dataset_id, paths, options, progress,
    progress_data };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_upload, &a, cancellable);
  return vi_client_upload_annotations_finish (self, result, error);
}
