/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-private.h"
#include "vi-server-conn.h"
#include "vi-server-json.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/**
 * SECTION:vi-local-server
 *
 * The Vi annotations API of vi-api.md, served on loopback by libsoup, for
 * tests, the demo and offline use.
 *
 * Threading: the SoupServer lives on one thread (its own, or the caller's
 * thread-default main context).  Every public function may be called from
 * any thread: the store, the fault rules and the counters are behind one
 * mutex, which handlers hold only while they read or change the store.
 */

/* Requests kept in the log that vi_local_server_get_request_count() filters;
 * past this, only the total is counted. */
#define MAX_LOGGED_REQUESTS (1 << 20)
#define LISTEN_BACKLOG      128

typedef struct {
  const char *method;             /* interned */
  char       *path;
} LoggedRequest;

struct _ViLocalServer {
  GObject       parent_instance;

  char         *secret_key;
  char         *org;

  /* Protected by lock. */
  GMutex        lock;
  ViStore      *store;
  GPtrArray    *faults;           /* ViFaultRule */
  guint         latency_ms;
  guint64       n_requests;
  guint64       n_faulted;        /* requests a fault rule fired for */
  GArray       *request_log;      /* LoggedRequest */
  ViServerWrite *write;           /* sessions, uploads, exports */
  guint64       max_body_size;
  guint64       max_upload_size;
  guint         max_header_size;

  ViServerConns *conns;           /* header guards, graceful closes */

  /* Owned by the server's thread while it runs. */
  SoupServer   *soup;
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
  GHashTable   *pending;          /* ViServerRequest waiting for their delay */
  GInetSocketAddress *listen_address;
  GSocket      *listen_socket;
  GSource      *accept_source;
  GSocket      *keepalive_peer;   /* see keep_connections_alive() */

  /* Start-up handshake with the server's thread. */
  GCond         started_cond;
  gboolean      started;
  GError       *start_error;

  int           port;             /* atomic: read from any thread */
  char         *url;              /* set before start returns */
};

G_DEFINE_FINAL_TYPE (ViLocalServer, vi_local_server, G_TYPE_OBJECT)

static const ViServerRoute *route_tables[] = {
  vi_server_annotation_routes,
  vi_server_write_routes,
  vi_server_public_routes,
};

static void
logged_request_clear (gpointer data)
{
  LoggedRequest *entry = data;

  g_free (entry->path);
}

static void
vi_local_server_finalize (GObject *object)
{
  ViLocalServer *self = VI_LOCAL_SERVER (object);

  vi_local_server_stop (self);

  /* Joins the processing threads, which take the lock. */
  g_clear_pointer (&self->write, vi_server_write_free);
  g_clear_pointer (&self->store, vi_store_free);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->request_log, g_array_unref);
  g_clear_pointer (&self->conns, vi_server_conns_unref);
  g_free (self->secret_key);
  g_free (self->org);
  g_free (self->url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->started_cond);

  G_OBJECT_CLASS (vi_local_server_parent_class)->finalize (object);
}

static void
vi_local_server_class_init (ViLocalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vi_local_server_finalize;
}

static void
vi_local_server_init (ViLocalServer *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->started_cond);
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) vi_fault_rule_free);
  self->request_log = g_array_new (FALSE, FALSE, sizeof (LoggedRequest));
  g_array_set_clear_func (self->request_log, logged_request_clear);
  self->max_body_size = VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE;
  self->max_upload_size = VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE;
  self->max_header_size = VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE;
  self->conns = vi_server_conns_new (self->max_header_size);
}

/**
 * vi_local_server_new:
 * @secret_key: (nullable): the key clients must send as
 *   `Authorization: Bearer <key>`, or %NULL for
 *   %VI_LOCAL_SERVER_DEFAULT_SECRET_KEY
 * @organization_id: (nullable): the organization served, or %NULL for
 *   %VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID
 *
 * Returns: (transfer full): a new server, not listening yet
 */
ViLocalServer *
vi_local_server_new (const char *secret_key,
                     const char *organization_id)
{
  ViLocalServer *self = g_object_new (VI_TYPE_LOCAL_SERVER, NULL);

  self->secret_key = g_strdup (secret_key != NULL && *secret_key != '\0'
                               ? secret_key : VI_LOCAL_SERVER_DEFAULT_SECRET_KEY);
  self->org = g_strdup (organization_id != NULL && *organization_id != '\0'
                        ? organization_id : VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID);
  self->store = vi_store_new (self->org);
  self->write = vi_server_write_new (self, &self->lock, self->org);
  return self;
}

ViServerWrite *
vi_local_server_get_write (ViLocalServer *self)
{
  return self->write;
}

ViStore *
vi_local_server_lock_store (ViLocalServer *self)
{
  g_mutex_lock (&self->lock);
  return self->store;
}

void
vi_local_server_unlock_store (ViLocalServer *self)
{
  g_mutex_unlock (&self->lock);
}

/* ---- data --------------------------------------------------------------- */

/**
 * vi_local_server_set_data_dir:
 * @self: a #ViLocalServer
 * @dir: a directory, created if needed
 * @error: return location for a #GError
 *
 * Keeps the store in @dir: what is there is loaded now, and every later
 * change is written there before it is answered.  Import sessions are kept
 * there too; those a stop interrupted come back failed (see
 * vi-server-write.c).  Call it before anything is loaded.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_set_data_dir (ViLocalServer  *self,
                              const char     *dir,
                              GError        **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_local_server_lock_store (self);
  if (vi_store_get_dir (store) != NULL)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "the data directory is already set to %s", vi_store_get_dir (store));
      ok = FALSE;
    }
  else
    {
      ok = vi_store_open_dir (store, dir, error);
      if (ok)
        vi_server_write_restore (self->write, store);
    }
  vi_local_server_unlock_store (self);
  return ok;
}

/**
 * vi_local_server_add_records:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @records: (array length=n_records): records; their spans are computed
 * @n_records: the number of records
 * @error: return location for a #GError
 *
 * Adds the annotations of @records to @dataset_id, creating it if needed:
 * all of them, or none when one is invalid.  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_add_records (ViLocalServer  *self,
                             const char     *dataset_id,
                             ViJsonlRecord **records,
                             guint           n_records,
                             GError        **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (records != NULL || n_records == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_local_server_lock_store (self);
  ok = vi_store_ensure_dataset (store, dataset_id, error) &&
       vi_store_add_records (store, dataset_id, records, n_records, NULL, error);
  vi_local_server_unlock_store (self);
  return ok;
}

/**
 * vi_local_server_add_record:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @record: a record; its spans are computed
 * @error: return location for a #GError
 *
 * Adds the annotations of one record.  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_add_record (ViLocalServer  *self,
                            const char     *dataset_id,
                            ViJsonlRecord  *record,
                            GError        **error)
{
  g_return_val_if_fail (record != NULL, FALSE);

  return vi_local_server_add_records (self, dataset_id, &record, 1, error);
}

static gboolean
load_jsonl (ViLocalServer  *self,
            const char     *dataset_id,
            const char     *path,
            gboolean        replace,
            GError        **error)
{
  g_autoptr(ViJsonlReader) reader = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) local_error = NULL;
  ViJsonlRecord *record;
  ViStore *store;
  gboolean ok;

  if (!vi_store_dataset_id_is_valid (dataset_id))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "invalid dataset id “%s”: use 1 to 255 characters from "
                   "A-Z, a-z, 0-9, '_' and '-'", dataset_id ? dataset_id : "");
      return FALSE;
    }

  /* The file is read whole before the lock is taken: requests are served
   * meanwhile, and a bad line leaves the dataset untouched. */
  reader = vi_jsonl_reader_new_for_path (path, error);
  if (reader == NULL)
    return FALSE;
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) vi_jsonl_record_unref);
  while ((record = vi_jsonl_reader_next (reader, NULL, &local_error)) != NULL)
    g_ptr_array_add (records, record);

  if (local_error != NULL)
    {
      /* The reader's message should name the place already; make sure. */
      if (strstr (local_error->message, path) == NULL)
        g_prefix_error (&local_error, "%s:%u: ", path,
                        vi_jsonl_reader_get_line_number (reader));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  store = vi_local_server_lock_store (self);
  ok = (replace
        ? vi_store_clear_dataset (store, dataset_id, &local_error)
        : vi_store_ensure_dataset (store, dataset_id, &local_error)) &&
       vi_store_add_records (store, dataset_id, (ViJsonlRecord **) records->pdata,
                             records->len, NULL, &local_error);
  vi_local_server_unlock_store (self);

  if (!ok)
    {
      g_prefix_error (&local_error, "%s: ", path);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * vi_local_server_load_jsonl:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @path: a JSONL file in any form libvi reads
 * @error: return location for a #GError
 *
 * Adds every line of @path to @dataset_id, creating it if needed.  A bad
 * line fails the whole load, with an error naming the file and line, and
 * nothing is added.  Thread-safe; the file is read without holding the
 * server's lock.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_load_jsonl (ViLocalServer  *self,
                            const char     *dataset_id,
                            const char     *path,
                            GError        **error)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return load_jsonl (self, dataset_id, path, FALSE, error);
}

/**
 * vi_local_server_replace_jsonl:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @path: a JSONL file in any form libvi reads
 * @error: return location for a #GError
 *
 * Like vi_local_server_load_jsonl(), but what @dataset_id held is removed
 * first, and only when the whole file is good.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_replace_jsonl (ViLocalServer  *self,
                               const char     *dataset_id,
                               const char     *path,
                               GError        **error)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return load_jsonl (self, dataset_id, path, TRUE, error);
}

/**
 * vi_local_server_clear_dataset:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @error: return location for a #GError
 *
 * Removes every annotation and asset of @dataset_id (creating it empty if
 * it did not exist).  Thread-safe.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_clear_dataset (ViLocalServer  *self,
                               const char     *dataset_id,
                               GError        **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_local_server_lock_store (self);
  ok = vi_store_clear_dataset (store, dataset_id, error);
  vi_local_server_unlock_store (self);
  return ok;
}

/**
 * vi_local_server_count_annotations:
 * @self: a #ViLocalServer
 * @dataset_id: the dataset, without the organization prefix
 * @asset_id: (nullable): an asset, or %NULL for the whole dataset
 *
 * Returns: the number of annotation parts stored
 */
guint
vi_local_server_count_annotations (ViLocalServer *self,
                                   const char    *dataset_id,
                                   const char    *asset_id)
{
  ViStore *store;
  guint n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);
  g_return_val_if_fail (dataset_id != NULL, 0);

  store = vi_local_server_lock_store (self);
  n = vi_store_count_annotations (store, dataset_id, asset_id);
  vi_local_server_unlock_store (self);
  return n;
}

/* ---- faults and counters ------------------------------------------------ */

/**
 * vi_local_server_add_fault_json:
 * @self: a #ViLocalServer
 * @json: one fault rule, or an array of them (see vi-faults.h)
 * @error: return location for a #GError
 *
 * Appends fault rules.  Thread-safe; takes effect for the next request.
 *
 * Returns: %TRUE on success; on failure no rule is added
 */
gboolean
vi_local_server_add_fault_json (ViLocalServer  *self,
                                const char     *json,
                                GError        **error)
{
  g_autoptr(GPtrArray) rules = NULL;
  guint i;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rules = vi_fault_rules_parse (json, -1, error);
  if (rules == NULL)
    return FALSE;

  g_ptr_array_set_free_func (rules, NULL);
  g_mutex_lock (&self->lock);
  for (i = 0; i < rules->len; i++)
    g_ptr_array_add (self->faults, g_ptr_array_index (rules, i));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/**
 * vi_local_server_clear_faults:
 * @self: a #ViLocalServer
 *
 * Removes every fault rule.  Thread-safe.
 */
void
vi_local_server_clear_faults (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->faults, 0);
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_set_latency:
 * @self: a #ViLocalServer
 * @latency_ms: a delay added to every API request, 0 for none
 *
 * The delay does not block the server: other requests are served
 * meanwhile.  It adds to the delay of a "latency" fault.  Thread-safe.
 */
void
vi_local_server_set_latency (ViLocalServer *self,
                             guint          latency_ms)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  self->latency_ms = latency_ms;
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_set_processing_delay:
 * @self: a #ViLocalServer
 * @delay_ms: how long an import session waits, once `FilesInserted` is
 *   reached, before it is processed; and an export before it is built
 *
 * Lets tests see the `Complete: Waiting` (and export `Ready: Waiting`)
 * states, and hold a session there: the delay counts from the moment the
 * files were marked inserted (the export created), and a new value
 * applies at once to what is waiting, so setting 0 releases it.
 * Default 0.  Thread-safe.
 */
void
vi_local_server_set_processing_delay (ViLocalServer *self,
                                      guint          delay_ms)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  vi_server_write_set_processing_delay (self->write, delay_ms);
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_set_max_body_size:
 * @self: a #ViLocalServer
 * @size: the largest request body taken, in bytes, on every route but the
 *   signed upload URLs
 *
 * A request that announces a larger body (`Content-Length`) is answered
 * 413 before its body is read; a chunked one once it passes @size.
 * Default %VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE.  Thread-safe.
 */
void
vi_local_server_set_max_body_size (ViLocalServer *self,
                                   guint64        size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  self->max_body_size = size;
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_set_max_upload_size:
 * @self: a #ViLocalServer
 * @size: the largest body of a `PUT` to a signed upload URL, in bytes
 *
 * As vi_local_server_set_max_body_size(), for uploads.  Default
 * %VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE.  Thread-safe.
 */
void
vi_local_server_set_max_upload_size (ViLocalServer *self,
                                     guint64        size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  self->max_upload_size = size;
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_set_max_header_size:
 * @self: a #ViLocalServer
 * @size: the largest request line and header fields of a request, in
 *   bytes, from %VI_LOCAL_SERVER_MIN_HEADER_SIZE to
 *   %VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE (libsoup drops a connection
 *   whose headers pass 64 KiB; the server answers 431 before that)
 *
 * Larger headers get 431.  Thread-safe.
 */
void
vi_local_server_set_max_header_size (ViLocalServer *self,
                                     guint          size)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));
  g_return_if_fail (size >= VI_LOCAL_SERVER_MIN_HEADER_SIZE &&
                    size <= VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE);

  g_mutex_lock (&self->lock);
  self->max_header_size = size;
  vi_server_conns_set_max_header (self->conns, size);
  g_mutex_unlock (&self->lock);
}

/**
 * vi_local_server_get_request_count:
 * @self: a #ViLocalServer
 * @method: (nullable): count only this method
 * @path_prefix: (nullable): count only requests whose percent-decoded path
 *   starts with this
 *
 * Counts the API requests received since the start or the last
 * vi_local_server_reset_counters(), faulted and refused ones included, the
 * control endpoint excluded.  With a filter, only the first 2^20 requests
 * are considered.
 *
 * Returns: the number of requests
 */
guint
vi_local_server_get_request_count (ViLocalServer *self,
                                   const char    *method,
                                   const char    *path_prefix)
{
  guint64 n = 0;
  guint i;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  g_mutex_lock (&self->lock);
  if (method == NULL && path_prefix == NULL)
    {
      n = self->n_requests;
    }
  else
    {
      for (i = 0; i < self->request_log->len; i++)
        {
          LoggedRequest *entry = &g_array_index (self->request_log, LoggedRequest, i);

          if ((method == NULL || g_ascii_strcasecmp (entry->method, method) == 0) &&
              (path_prefix == NULL || g_str_has_prefix (entry->path, path_prefix)))
            n++;
        }
    }
  g_mutex_unlock (&self->lock);
  return (guint) MIN (n, G_MAXUINT);
}

/**
 * vi_local_server_get_fault_count:
 * @self: a #ViLocalServer
 *
 * Counts the requests a fault rule fired for (any action, "latency"
 * included) since the start or the last vi_local_server_reset_counters().
 * Thread-safe.
 *
 * Returns: the number of faulted requests
 */
guint
vi_local_server_get_fault_count (ViLocalServer *self)
{
  guint64 n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_faulted;
  g_mutex_unlock (&self->lock);
  return (guint) MIN (n, G_MAXUINT);
}

/**
 * vi_local_server_reset_counters:
 * @self: a #ViLocalServer
 *
 * Sets the request and fault counters back to zero.  Thread-safe.
 */
void
vi_local_server_reset_counters (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  g_mutex_lock (&self->lock);
  self->n_requests = 0;
  self->n_faulted = 0;
  g_array_set_size (self->request_log, 0);
  g_mutex_unlock (&self->lock);
}

/* ---- requests ----------------------------------------------------------- */

static void
request_free (ViServerRequest *req)
{
  if (req->delay != NULL)
    {
      g_source_destroy (req->delay);
      g_source_unref (req->delay);
    }
  if (req->disconnected_id != 0)
    g_signal_handler_disconnect (req->msg, req->disconnected_id);
  g_object_unref (req->msg);
  g_strfreev (req->segments);
  g_free (req->path);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_free (req->trace);
  vi_fault_clear (&req->fault);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViServerRequest, request_free)

static gboolean
route_matches (const ViServerRoute *route,
               ViServerRequest     *req,
               char               **segments,
               guint                n_segments)
{
  const char *p = route->pattern + 1;
  guint i = 0;

  req->n_params = 0;
  for (;;)
    {
      const char *end = strchr (p, '/');
      gsize len = end != NULL ? (gsize) (end - p) : strlen (p);

      if (i >= n_segments)
        return FALSE;

      if (p[0] == '{' && len >= 2 && p[len - 1] == '}')
        {
          if (segments[i][0] == '\0' || req->n_params == VI_SERVER_MAX_PARAMS)
            return FALSE;
          req->param_names[req->n_params] = p + 1;
          req->param_name_lens[req->n_params] = len - 2;
          req->param_values[req->n_params] = segments[i];
          req->n_params++;
        }
      else if (strlen (segments[i]) != len || strncmp (segments[i], p, len) != 0)
        {
          return FALSE;
        }

      i++;
      if (end == NULL)
        break;
      p = end + 1;
    }
  return i == n_segments;
}

static gboolean
any_route_matches (ViServerRequest  *req,
                   char            **segments,
                   guint             n_segments)
{
  guint t;
  const ViServerRoute *route;

  for (t = 0; t < G_N_ELEMENTS (route_tables); t++)
    {
      for (route = route_tables[t]; route->pattern != NULL; route++)
        {
          if (route_matches (route, req, segments, n_segments))
            return TRUE;
        }
    }
  return FALSE;
}

/* GLib's URI parser, which libsoup uses on both ends, removes "." and ".."
 * segments even when they are percent-encoded ("%2E%2E"), so an asset whose
 * id is "." or ".." cannot arrive as itself:
 *
 *   .../datasets/D/assets/%2E%2E/annotations[/ID] arrives as .../datasets/D/annotations[/ID]
 *   .../datasets/D/assets/%2E/annotations[/ID]    arrives as .../datasets/D/assets/annotations[/ID]
 *
 * When the path is no route as it stands, these shapes are mapped back. */
static gboolean
recover_dot_segment (GPtrArray *segments)
{
  char **s = (char **) segments->pdata;

  if (segments->len < 5 ||
      !g_str_equal (s[0], "workspaces") || !g_str_equal (s[2], "datasets"))
    return FALSE;

  if (g_str_equal (s[4], "annotations") && segments->len <= 6)
    {
      g_ptr_array_insert (segments, 4, g_strdup (".."));
      g_ptr_array_insert (segments, 4, g_strdup ("assets"));
      return TRUE;
    }
  if (segments->len >= 6 && segments->len <= 7 &&
      g_str_equal (s[4], "assets") && g_str_equal (s[5], "annotations"))
    {
      g_ptr_array_insert (segments, 5, g_strdup ("."));
      return TRUE;
    }
  return FALSE;
}

static char *
new_trace (void)
{
  /* A GCP-style trace context: 32 hex digits, a span id, and the "traced"
   * option. */
  return g_strdup_printf ("%08x%08x%08x%08x/%u;o=1",
                          g_random_int (), g_random_int (),
                          g_random_int (), g_random_int (),
                          g_random_int () >> 1);
}

/* Called with the lock held. */
static void
count_request (ViLocalServer   *self,
               ViServerRequest *req)
{
  self->n_requests++;
  if (self->request_log->len < MAX_LOGGED_REQUESTS)
    {
      LoggedRequest entry = { g_intern_string (req->method), g_strdup (req->path) };

      g_array_append_val (self->request_log, entry);
    }
}

static ViServerRequest *
request_new (ViLocalServer     *self,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  ViServerRequest *req = g_new0 (ViServerRequest, 1);
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *raw;
  GString *path;
  guint i;

  req->server = self;
  req->msg = g_object_ref (msg);
  req->method = soup_server_message_get_method (msg);
  if (query != NULL)
    req->query = g_hash_table_ref (query);

  /* The server runs with "raw-paths", so this is still percent-encoded:
   * split first, then decode each segment, so that "%2F" stays inside its
   * segment. */
  raw = g_uri_get_path (soup_server_message_get_uri (msg));
  if (raw[0] == '/')
    raw++;
  if (raw[0] != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (raw, "/", -1);

      for (i = 0; parts[i] != NULL; i++)
        {
          char *decoded = g_uri_unescape_string (parts[i], NULL);

          if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
            {
              req->bad_path = TRUE;
              g_free (decoded);
              decoded = g_strdup ("");
            }
          g_ptr_array_add (segments, decoded);
        }
    }

  if (!req->bad_path && !any_route_matches (req, (char **) segments->pdata, segments->len))
    {
      g_autoptr(GPtrArray) recovered = g_ptr_array_new_with_free_func (g_free);

      for (i = 0; i < segments->len; i++)
        g_ptr_array_add (recovered, g_strdup (g_ptr_array_index (segments, i)));
      if (recover_dot_segment (recovered) &&
          any_route_matches (req, (char **) recovered->pdata, recovered->len))
        {
          g_ptr_array_unref (segments);
          segments = g_steal_pointer (&recovered);
        }
    }
  req->n_params = 0;

  path = g_string_new (NULL);
  for (i = 0; i < segments->len; i++)
    {
      g_string_append_c (path, '/');
      g_string_append (path, g_ptr_array_index (segments, i));
    }
  if (path->len == 0)
    g_string_append_c (path, '/');
  req->path = g_string_free (path, FALSE);

  req->n_segments = segments->len;
  g_ptr_array_add (segments, NULL);
  req->segments = (char **) g_ptr_array_free (g_steal_pointer (&segments), FALSE);

  /* A trace context on every response. */
  req->trace = new_trace ();
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "x-cloud-trace-context", req->trace);
  return req;
}

const char *
vi_server_request_get_param (ViServerRequest *req,
                             const char      *name)
{
  gsize len = strlen (name);
  guint i;

  for (i = 0; i < req->n_params; i++)
    {
      if (req->param_name_lens[i] == len && strncmp (req->param_names[i], name, len) == 0)
        return req->param_values[i];
    }
  return NULL;
}

const char *
vi_server_request_get_query (ViServerRequest *req,
                             const char      *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

GBytes *
vi_server_request_get_body (ViServerRequest *req)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (req->msg));
}

/* libsoup 3.2 calls 429 "Unknown Error". */
static void
set_status (ViServerRequest *req,
            guint            status)
{
  soup_server_message_set_status (req->msg, status,
                                  status == 429 ? "Too Many Requests" : NULL);
}

void
vi_server_request_reply_json (ViServerRequest *req,
                              guint            status,
                              GString         *body)
{
  gsize len = body->len;

  set_status (req, status);
  soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), len);
}

void
vi_server_request_reply_empty (ViServerRequest *req,
                               guint            status)
{
  set_status (req, status);
  soup_message_body_truncate (soup_server_message_get_response_body (req->msg));
}

static const char *
error_code_for_status (guint status)
{
  /* The codes of the SDK's ViErrorCode (vi-api.md section 6.1). */
  switch (status)
    {
    case 400:
      return "ValidationFailed";
    case 401:
      return "AuthenticationFailed";
    case 403:
      return "PermissionDenied";
    case 404:
      return "ResourceNotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "ResourceConflict";
    case 413:
      return "FileTooLarge";
    case 429:
      return "RateLimitExceeded";
    case 500:
      return "ServerError";
    case 502:
      return "NetworkError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "TimeoutError";
    default:
      return "UnknownError";
    }
}

/* {"error": <the SDK's code>, "message": ...} */
static GString *
error_body (guint       status,
            const char *message)
{
  GString *body = g_string_new ("{\"error\":");

  _vi_json_append_string (body, error_code_for_status (status));
  g_string_append (body, ",\"message\":");
  _vi_json_append_string (body, message);
  g_string_append_c (body, '}');
  return body;
}

static void
reply_error_literal (ViServerRequest *req,
                     guint            status,
                     const char      *message)
{
  vi_server_request_reply_json (req, status, error_body (status, message));
}

void
vi_server_request_reply_error (ViServerRequest *req,
                               guint            status,
                               const char      *format,
                               ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  reply_error_literal (req, status, message);
}

/* ---- dispatch ----------------------------------------------------------- */

static gboolean
check_auth (ViServerRequest *req)
{
  ViLocalServer *self = req->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  const char *org = soup_message_headers_get_one (headers, "Organization-Id");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 ||
      !g_str_equal (auth + 7, self->secret_key))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer");
      reply_error_literal (req, SOUP_STATUS_UNAUTHORIZED,
                           auth == NULL
                           ? "authentication failed: no Authorization header; send "
                             "“Authorization: Bearer <secret key>”"
                           : "authentication failed: the secret key is not valid");
      return FALSE;
    }

  if (org == NULL)
    {
      reply_error_literal (req, SOUP_STATUS_FORBIDDEN,
                           "permission denied: no Organization-Id header");
      return FALSE;
    }
  if (!g_str_equal (org, self->org))
    {
      reply_error_literal (req, SOUP_STATUS_FORBIDDEN,
                           "permission denied: the secret key has no access to this organization");
      return FALSE;
    }
  return TRUE;
}

/* The signed upload and download URLs carry their own credential. */
static gboolean
is_public_path (ViServerRequest *req)
{
  const ViServerRoute *route;
  gboolean found = FALSE;

  if (req->bad_path)
    return FALSE;
  for (route = vi_server_public_routes; route->pattern != NULL && !found; route++)
    found = route_matches (route, req, req->segments, req->n_segments);
  req->n_params = 0;
  return found;
}

static void
dispatch_api (ViServerRequest *req)
{
  ViLocalServer *self = req->server;
  const ViServerRoute *found = NULL, *route;
  const char *method = req->method;
  const char *org, *dataset;
  g_autoptr(GString) allow = NULL;
  guint t;

  if (!is_public_path (req) && !check_auth (req))
    return;

  if (req->bad_path)
    {
      reply_error_literal (req, SOUP_STATUS_BAD_REQUEST,
                           "the path has a malformed percent-encoding or is not UTF-8");
      return;
    }

  if (g_str_equal (method, SOUP_METHOD_HEAD))
    method = SOUP_METHOD_GET;

  for (t = 0; t < G_N_ELEMENTS (route_tables) && found == NULL; t++)
    {
      for (route = route_tables[t]; route->pattern != NULL; route++)
        {
          if (!route_matches (route, req, req->segments, req->n_segments))
            continue;
          if (g_str_equal (route->method, method))
            {
              found = route;
              break;
            }
          if (allow == NULL)
            allow = g_string_new (route->method);
          else
            g_string_append_printf (allow, ", %s", route->method);
        }
    }

  if (found == NULL)
    {
      if (allow != NULL)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                        "Allow", allow->str);
          vi_server_request_reply_error (req, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                         "method %s is not allowed here (allowed: %s)",
                                         req->method, allow->str);
        }
      else
        {
          reply_error_literal (req, SOUP_STATUS_NOT_FOUND, "no such endpoint");
        }
      return;
    }
  /* route_matches() of the found route was the last one run. */
  route_matches (found, req, req->segments, req->n_segments);

  org = vi_server_request_get_param (req, "org");
  if (org != NULL && !g_str_equal (org, self->org))
    {
      reply_error_literal (req, SOUP_STATUS_FORBIDDEN,
                           "permission denied: the path names another organization "
                           "than Organization-Id");
      return;
    }

  dataset = vi_server_request_get_param (req, "dataset");
  if (dataset != NULL)
    {
      gsize org_len = strlen (self->org);

      if (strncmp (dataset, self->org, org_len) != 0 || dataset[org_len] != '_' ||
          dataset[org_len + 1] == '\0')
        {
          vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                         "dataset “%s” not found: dataset segments are "
                                         "“{organization}_{dataset}”", dataset);
          return;
        }
      req->dataset_id = dataset + org_len + 1;
    }

  found->func (req);
}

static void
reply_malformed (ViServerRequest *req)
{
  static const char body[] = "{\"items\":[{\"kind\":\"Annotation\",\"annotationId\":<<truncated";

  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_STATIC,
                                    body, sizeof body - 1);
}

/* Closes the connection without answering. */
static void
drop_connection (ViServerRequest *req)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (req->msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* Answers 200 with a Content-Length larger than the body that follows, then
 * closes the connection.  The body is the start of the real answer when
 * there is one. */
static void
truncate_response (ViServerRequest *req)
{
  static const char fallback[] = "{\"items\":[{\"kind\":\"Annotation\",\"annotationId\":\"";
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GString) head = NULL;
  const char *data;
  gsize full, sent;

  body = soup_message_body_flatten (soup_server_message_get_response_body (req->msg));
  data = g_bytes_get_data (body, &full);
  if (soup_server_message_get_status (req->msg) == SOUP_STATUS_OK && full >= 2)
    {
      sent = full / 2;
    }
  else
    {
      data = fallback;
      sent = sizeof fallback - 1;
      full = sent + 1000;
    }

  head = g_string_new (NULL);
  g_string_append_printf (head,
                          "HTTP/1.1 200 OK\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "x-cloud-trace-context: %s\r\n"
                          "\r\n", full, req->trace);
  g_string_append_len (head, data, sent);

  stream = soup_server_message_steal_connection (req->msg);
  if (stream == NULL)
    return;
  /* Small, and the client is reading: writing synchronously is fine. */
  g_output_stream_write_all (g_io_stream_get_output_stream (stream),
                             head->str, head->len, NULL, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* Returns FALSE when the connection was taken away from libsoup. */
static gboolean
process_api_request (ViServerRequest *req)
{
  switch (req->fault.action)
    {
    case VI_FAULT_STATUS:
      if (req->fault.retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                      "Retry-After", req->fault.retry_after);
      if (req->fault.body != NULL)
        {
          gsize len;
          const char *data = g_bytes_get_data (req->fault.body, &len);

          set_status (req, req->fault.status);
          soup_server_message_set_response (req->msg, "application/json",
                                            SOUP_MEMORY_COPY, data, len);
          return TRUE;
        }
      vi_server_request_reply_error (req, req->fault.status,
                                     "injected fault: status %u", req->fault.status);
      return TRUE;
    case VI_FAULT_DROP:
      drop_connection (req);
      return FALSE;
    case VI_FAULT_MALFORMED:
      reply_malformed (req);
      return TRUE;
    case VI_FAULT_TRUNCATE:
      dispatch_api (req);
      truncate_response (req);
      return FALSE;
    case VI_FAULT_LATENCY:
    case VI_FAULT_NONE:
    default:
      dispatch_api (req);
      return TRUE;
    }
}

static gboolean
delay_done_cb (gpointer user_data)
{
  ViServerRequest *req = user_data;
  ViLocalServer *self = req->server;

  g_signal_handler_disconnect (req->msg, req->disconnected_id);
  req->disconnected_id = 0;
  g_clear_pointer (&req->delay, g_source_unref);
  g_hash_table_steal (self->pending, req);

  if (process_api_request (req))
    soup_server_message_unpause (req->msg);
  request_free (req);
  return G_SOURCE_REMOVE;
}

static void
delayed_request_disconnected_cb (SoupServerMessage *msg,
                                 gpointer           user_data)
{
  ViServerRequest *req = user_data;

  /* The client went away while its answer was being held back. */
  g_hash_table_remove (req->server->pending, req);
}

/* ---- control endpoint --------------------------------------------------- */

static gboolean
is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  return addr != NULL && G_IS_INET_SOCKET_ADDRESS (addr) &&
         g_inet_address_get_is_loopback (
           g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

static void
handle_control (ViServerRequest *req)
{
  ViLocalServer *self = req->server;
  const char *what = req->n_segments == 2 ? req->segments[1] : "";
  GString *out;

  if (!is_loopback_peer (req->msg))
    {
      reply_error_literal (req, SOUP_STATUS_FORBIDDEN, "the control endpoint is loopback only");
      return;
    }

  if (g_str_equal (what, "faults"))
    {
      if (g_str_equal (req->method, SOUP_METHOD_POST))
        {
          g_autoptr(GBytes) body = vi_server_request_get_body (req);
          g_autoptr(GPtrArray) rules = NULL;
          g_autoptr(GError) error = NULL;
          gsize len;
          const char *data = g_bytes_get_data (body, &len);
          guint i, n;

          rules = vi_fault_rules_parse (data != NULL ? data : "", len, &error);
          if (rules == NULL)
            {
              reply_error_literal (req, SOUP_STATUS_BAD_REQUEST, error->message);
              return;
            }
          g_ptr_array_set_free_func (rules, NULL);
          g_mutex_lock (&self->lock);
          for (i = 0; i < rules->len; i++)
            g_ptr_array_add (self->faults, g_ptr_array_index (rules, i));
          n = self->faults->len;
          g_mutex_unlock (&self->lock);

          out = g_string_new (NULL);
          g_string_append_printf (out, "{\"faults\":%u}", n);
          vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
          return;
        }
      if (g_str_equal (req->method, SOUP_METHOD_DELETE))
        {
          vi_local_server_clear_faults (self);
          vi_server_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
          return;
        }
      if (g_str_equal (req->method, SOUP_METHOD_GET))
        {
          out = g_string_new (NULL);
          g_mutex_lock (&self->lock);
          vi_fault_rules_to_json (self->faults, out);
          g_mutex_unlock (&self->lock);
          vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
          return;
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Allow", "GET, POST, DELETE");
      reply_error_literal (req, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET, POST or DELETE");
      return;
    }

  if (g_str_equal (what, "stats"))
    {
      if (!g_str_equal (req->method, SOUP_METHOD_GET))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                        "Allow", "GET");
          reply_error_literal (req, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
          return;
        }
      out = g_string_new (NULL);
      g_mutex_lock (&self->lock);
      g_string_append_printf (out, "{\"requests\":%" G_GUINT64_FORMAT
                              ",\"faults\":%" G_GUINT64_FORMAT ",\"rules\":%u}",
                              self->n_requests, self->n_faulted, self->faults->len);
      g_mutex_unlock (&self->lock);
      vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
      return;
    }

  if (g_str_equal (what, "reset"))
    {
      if (!g_str_equal (req->method, SOUP_METHOD_POST))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                        "Allow", "POST");
          reply_error_literal (req, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
          return;
        }
      vi_local_server_reset_counters (self);
      vi_server_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }

  reply_error_literal (req, SOUP_STATUS_NOT_FOUND,
                       "no such control endpoint (faults, stats, reset)");
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  ViLocalServer *self = user_data;
  g_autoptr(ViServerRequest) req = request_new (self, msg, query);
  guint delay;

  if (req->n_segments >= 1 && g_str_equal (req->segments[0], "_control"))
    {
      handle_control (req);
      return;
    }

  g_mutex_lock (&self->lock);
  count_request (self, req);
  if (vi_fault_rules_match (self->faults, req->method, req->path, &req->fault))
    self->n_faulted++;
  delay = self->latency_ms;
  if (req->fault.action == VI_FAULT_LATENCY)
    delay += req->fault.latency_ms;
  g_mutex_unlock (&self->lock);

  if (delay == 0)
    {
      process_api_request (req);
      return;
    }

  /* Hold the answer back without blocking the thread: the message is paused
   * and a timeout on this thread's context resumes it. */
  soup_server_message_pause (msg);
  req->delay = g_timeout_source_new (delay);
  g_source_set_callback (req->delay, delay_done_cb, req, NULL);
  g_source_attach (req->delay, self->context);
  req->disconnected_id = g_signal_connect (msg, "disconnected",
                                           G_CALLBACK (delayed_request_disconnected_cb), req);
  g_hash_table_add (self->pending, g_steal_pointer (&req));
}

/* ---- limits ------------------------------------------------------------- */

static const char *
reason_phrase (guint status)
{
  /* libsoup 3.2 has no phrase for 431. */
  switch (status)
    {
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return soup_status_get_phrase (status);
    }
}

void
vi_server_write_raw_error (GOutputStream *out,
                           guint          status,
                           const char    *message)
{
  g_autoptr(GString) body = error_body (status, message);
  g_autoptr(GString) head = g_string_new (NULL);
  g_autofree char *trace = new_trace ();

  g_string_append_printf (head,
                          "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Connection: close\r\n"
                          "x-cloud-trace-context: %s\r\n"
                          "\r\n", status, reason_phrase (status), body->len, trace);
  g_string_append_len (head, body->str, body->len);
  /* Small, on a connection nothing else writes to: the socket buffer takes
   * it at once. */
  g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
}


/**
 * vi_server_refuse:
 * @server: the server
 * @msg: a request whose headers are read, from the early handler or a
 *   "got-chunk" handler
 * @status: 403, 413, 431…
 * @message: the error message
 *
 * Answers @msg at once, without reading (more of) its body: the
 * connection is taken from libsoup, the answer written, and the
 * connection closed gracefully.  The request is counted (not the control
 * endpoint's), but no fault rule sees it.  @msg may be gone afterwards.
 */
void
vi_server_refuse (ViLocalServer     *server,
                  SoupServerMessage *msg,
                  guint              status,
                  const char        *message)
{
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(ViServerRequest) req = request_new (server, msg, NULL);

  if (req->n_segments == 0 || !g_str_equal (req->segments[0], "_control"))
    {
      g_mutex_lock (&server->lock);
      count_request (server, req);
      g_mutex_unlock (&server->lock);
    }
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  vi_server_write_raw_error (g_io_stream_get_output_stream (stream), status, message);
  vi_server_conns_linger_close (server->conns, stream);
}

/* The request line and header fields, as sent (give or take the spaces
 * around the colons). */
static gsize
header_size (SoupServerMessage *msg)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  gsize size;

  size = strlen (soup_server_message_get_method (msg)) + 1 +
         strlen (g_uri_get_path (uri)) + (query != NULL ? strlen (query) + 1 : 0) +
         sizeof " HTTP/1.1\r\n" - 1;
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    size += strlen (name) + 2 + strlen (value) + 2;
  return size;
}

static void
body_chunk_cb (SoupServerMessage *msg,
               GBytes            *chunk,
               gpointer           user_data)
{
  ViLocalServer *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  guint64 limit;

  g_mutex_lock (&self->lock);
  limit = self->max_body_size;
  g_mutex_unlock (&self->lock);
  if ((guint64) body->length > limit)
    {
      g_autofree char *message = g_strdup_printf ("the request body is larger than %"
                                                  G_GUINT64_FORMAT " bytes", limit);

      g_signal_handlers_disconnect_by_func (msg, body_chunk_cb, user_data);
      vi_server_refuse (self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, message);
    }
}

/* Runs once the headers are read, before the body: what can be refused
 * without reading the body is refused here. */
static void
early_callback (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ViLocalServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
  gboolean upload = g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_PUT) &&
                    g_str_has_prefix (raw_path, "/upload/") &&
                    strchr (raw_path + strlen ("/upload/"), '/') == NULL;
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  guint64 max_body, max_upload, limit;
  guint max_header;
  gsize size;

  vi_server_conns_got_headers (msg);

  g_mutex_lock (&self->lock);
  max_body = self->max_body_size;
  max_upload = self->max_upload_size;
  max_header = self->max_header_size;
  g_mutex_unlock (&self->lock);

  size = header_size (msg);
  if (size > max_header)
    {
      g_autofree char *message = g_strdup_printf ("request header fields too large: the "
                                                  "request line and headers may take %u "
                                                  "bytes, not %" G_GSIZE_FORMAT,
                                                  max_header, size);

      vi_server_refuse (self, msg, 431, message);
      return;
    }

  /* The signed URL is checked first: a wrong one is the better answer. */
  if (upload && !vi_server_upload_check_token (self, msg))
    return;

  limit = upload ? max_upload : max_body;
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > limit)
    {
      g_autofree char *message = g_strdup_printf ("the request body is larger than %"
                                                  G_GUINT64_FORMAT " bytes (%s)", limit,
                                                  upload ? "--max-upload-size"
                                                         : "--max-body-size");

      vi_server_refuse (self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, message);
      return;
    }

  if (upload)
    vi_server_upload_early (self, msg, max_upload);
  else if (encoding == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (body_chunk_cb), self);
}

static void
message_done_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  vi_server_conns_message_done (msg);
}

/* ---- start and stop ----------------------------------------------------- */

/* libsoup 3.2 keeps a connection alive after an answer only while it has a
 * listener of its own, and the server hands it connections it accepted
 * itself (soup_server_accept_iostream(), through the header guard).  So
 * libsoup gets one end of a socket pair as its "listener": a connected
 * socket, which it takes, and which never delivers a connection.  The
 * other end is kept until the server stops. */
static void
keep_connections_alive (ViLocalServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) end = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_warning ("cannot make a socket pair: %s; connections are not kept alive",
                 g_strerror (errno));
      return;
    }
  end = g_socket_new_from_fd (fds[0], &error);
  if (end == NULL)
    close (fds[0]);
  self->keepalive_peer = g_socket_new_from_fd (fds[1], error == NULL ? &error : NULL);
  if (self->keepalive_peer == NULL)
    close (fds[1]);
  if (end == NULL || self->keepalive_peer == NULL ||
      !soup_server_listen_socket (self->soup, end, 0, &error))
    g_warning ("cannot keep connections alive: %s",
               error != NULL ? error->message : "no socket");
}

static void
setup_soup (ViLocalServer *self)
{
  self->pending = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) request_free, NULL);
  self->soup = soup_server_new ("raw-paths", TRUE,
                                "server-header", "vi-local-server/" PACKAGE_VERSION " ",
                                NULL);
  soup_server_add_early_handler (self->soup, NULL, early_callback, self, NULL);
  soup_server_add_handler (self->soup, NULL, server_callback, self, NULL);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (message_done_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (message_done_cb), self);
  keep_connections_alive (self);
}

/**
 * vi_local_server_serve_stream:
 * @self: a #ViLocalServer, not started
 * @stream: a connection
 * @local: its local address
 * @remote: the address of its peer
 *
 * Serves @stream as a connection accepted on a listening socket would be,
 * on the thread-default main context (which the caller runs), without
 * listening: for the fuzzer.  vi_local_server_stop() ends it.
 */
void
vi_local_server_serve_stream (ViLocalServer  *self,
                              GIOStream      *stream,
                              GSocketAddress *local,
                              GSocketAddress *remote)
{
  g_autoptr(GIOStream) guarded = NULL;

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  if (self->soup == NULL)
    setup_soup (self);
  /* Signed URLs name the server: the local address stands for it. */
  if (vi_local_server_get_port (self) == 0 && G_IS_INET_SOCKET_ADDRESS (local))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (local);
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));

      g_atomic_int_set (&self->port, g_inet_socket_address_get_port (inet));
      g_free (self->url);
      self->url = g_strdup_printf ("http://%s:%u", host, g_inet_socket_address_get_port (inet));
    }
  guarded = vi_server_conns_wrap (self->conns, stream, remote);
  soup_server_accept_iostream (self->soup, guarded, local, remote, NULL);
}

/* A connection on the listening socket: it reaches libsoup through the
 * header guard. */
static gboolean
accept_cb (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  ViLocalServer *self = user_data;
  g_autoptr(GSocket) client = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;

  client = g_socket_accept (socket, NULL, &error);
  if (client == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_warning ("cannot accept a connection: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  /* As libsoup does for its own listeners: answers are written in a few
   * pieces, which Nagle's algorithm would hold back. */
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  connection = g_socket_connection_factory_create_connection (client);
  local = g_socket_get_local_address (client, NULL);
  remote = g_socket_get_remote_address (client, NULL);
  if (local == NULL || remote == NULL)
    return G_SOURCE_CONTINUE;
  vi_local_server_serve_stream (self, G_IO_STREAM (connection), local, remote);
  return G_SOURCE_CONTINUE;
}

static gboolean
server_listen (ViLocalServer  *self,
               GError        **error)
{
  GSocketAddress *address = G_SOCKET_ADDRESS (self->listen_address);
  g_autoptr(GSocketAddress) local = NULL;

  setup_soup (self);
  self->listen_socket = g_socket_new (g_socket_address_get_family (address),
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (self->listen_socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (self->listen_socket, LISTEN_BACKLOG);
  if (!g_socket_bind (self->listen_socket, address, TRUE, error) ||
      !g_socket_listen (self->listen_socket, error))
    return FALSE;
  local = g_socket_get_local_address (self->listen_socket, error);
  if (local == NULL)
    return FALSE;
  g_atomic_int_set (&self->port, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  self->accept_source = g_socket_create_source (self->listen_socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) G_CALLBACK (accept_cb), self, NULL);
  g_source_attach (self->accept_source, self->context);
  return TRUE;
}

static void
server_teardown (ViLocalServer *self,
                 gboolean       own_context)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->listen_socket != NULL)
    {
      g_socket_close (self->listen_socket, NULL);
      g_clear_object (&self->listen_socket);
    }
  g_clear_pointer (&self->pending, g_hash_table_unref);
  if (self->soup != NULL)
    {
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }
  if (self->keepalive_peer != NULL)
    {
      g_socket_close (self->keepalive_peer, NULL);
      g_clear_object (&self->keepalive_peer);
    }
  vi_server_conns_close_all (self->conns);
  /* Let what the disconnection scheduled run and release its references;
   * only on our own context, the caller's may hold anything. */
  if (own_context)
    {
      while (vi_server_conns_is_lingering (self->conns))
        g_main_context_iteration (self->context, TRUE);
      while (g_main_context_iteration (self->context, FALSE))
        ;
    }
}

static gpointer
server_thread (gpointer user_data)
{
  ViLocalServer *self = user_data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);

  ok = server_listen (self, &error);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  self->start_error = error;
  g_cond_broadcast (&self->started_cond);
  g_mutex_unlock (&self->lock);

  if (ok)
    g_main_loop_run (self->loop);

  server_teardown (self, TRUE);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static GInetAddress *
parse_loopback_address (const char  *address,
                        GError     **error)
{
  g_autoptr(GInetAddress) inet = NULL;

  if (address == NULL || g_str_equal (address, "localhost"))
    address = "127.0.0.1";

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return NULL;
    }
  if (!g_inet_address_get_is_loopback (inet))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "refusing to listen on %s: the local server listens on loopback "
                   "addresses only (127.0.0.1 or ::1)", address);
      return NULL;
    }
  return g_steal_pointer (&inet);
}

static void
server_reset_runtime (ViLocalServer *self)
{
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->listen_address);
  g_clear_error (&self->start_error);
  self->started = FALSE;
  g_atomic_int_set (&self->port, 0);
}

/**
 * vi_local_server_start:
 * @self: a #ViLocalServer
 * @address: (nullable): a loopback address, or %NULL for 127.0.0.1
 * @port: a port, or 0 for a free one
 * @in_thread: %TRUE to serve from a new thread with its own main context;
 *   %FALSE to serve from the caller's thread-default main context, which
 *   the caller then runs
 * @error: return location for a #GError
 *
 * Starts listening.  Returns once the socket listens, so the port and URL
 * are known.  Non-loopback addresses are refused.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_local_server_start (ViLocalServer  *self,
                       const char     *address,
                       guint16         port,
                       gboolean        in_thread,
                       GError        **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (self->context == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  inet = parse_loopback_address (address, error);
  if (inet == NULL)
    return FALSE;
  self->listen_address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));

  if (in_thread)
    {
      self->context = g_main_context_new ();
      self->loop = g_main_loop_new (self->context, FALSE);
      self->thread = g_thread_new ("vi-local-server", server_thread, self);

      g_mutex_lock (&self->lock);
      while (!self->started)
        g_cond_wait (&self->started_cond, &self->lock);
      g_mutex_unlock (&self->lock);

      if (self->start_error != NULL)
        {
          g_thread_join (g_steal_pointer (&self->thread));
          g_propagate_error (error, g_steal_pointer (&self->start_error));
          server_reset_runtime (self);
          return FALSE;
        }
    }
  else
    {
      self->context = g_main_context_ref_thread_default ();
      if (!server_listen (self, error))
        {
          server_teardown (self, FALSE);
          server_reset_runtime (self);
          return FALSE;
        }
    }

  host = g_inet_address_to_string (inet);
  g_free (self->url);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    self->url = g_strdup_printf ("http://[%s]:%u", host, vi_local_server_get_port (self));
  else
    self->url = g_strdup_printf ("http://%s:%u", host, vi_local_server_get_port (self));
  return TRUE;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * vi_local_server_stop:
 * @self: a #ViLocalServer
 *
 * Stops listening and closes every connection.  A server started in its
 * own thread is stopped from any thread, and the thread is joined; one
 * started without must be stopped from the thread that started it.
 * Does nothing when the server is not running.
 */
void
vi_local_server_stop (ViLocalServer *self)
{
  g_return_if_fail (VI_IS_LOCAL_SERVER (self));

  if (self->thread != NULL)
    {
      /* Through the context rather than g_main_loop_quit() directly, so a
       * quit cannot come before the loop runs. */
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  else if (self->soup != NULL)
    {
      server_teardown (self, FALSE);
    }
  else
    {
      return;
    }
  server_reset_runtime (self);
}

/**
 * vi_local_server_get_port:
 * @self: a #ViLocalServer
 *
 * Returns: the port listened on, or 0 when not running
 */
guint16
vi_local_server_get_port (ViLocalServer *self)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);

  return (guint16) g_atomic_int_get (&self->port);
}

/**
 * vi_local_server_get_url:
 * @self: a #ViLocalServer
 *
 * Returns: (transfer full) (nullable): the base URL, such as
 *   `http://127.0.0.1:8080` (no trailing slash), or %NULL when not running
 */
char *
vi_local_server_get_url (ViLocalServer *self)
{
  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), NULL);

  if (vi_local_server_get_port (self) == 0)
    return NULL;
  return g_strdup (self->url);
}
