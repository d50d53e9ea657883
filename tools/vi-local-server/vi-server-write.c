/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-server-private.h"
#include "vi-server-json.h"
#include "vi-zip.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/*
 * The write side of the API (vi-api.md sections 2.5 to 2.8, 4 and 9.6):
 *
 *   POST  …/datasets/{org}_{ds}/annotationImportSessions
 *   GET   …/annotationImportSessions/{id}
 *   POST  …/annotationImportSessions/{id}/files
 *   PATCH …/annotationImportSessions/{id}/status
 *   PUT   /upload/{token}                  the signed URL: no authentication
 *   POST  …/datasets/{org}_{ds}/datasetExports
 *   GET   …/datasetExports, …/datasetExports/{id}
 *   GET   /downloads/{id}.zip (and HEAD)   no authentication; Range
 *
 * Sessions and exports live in memory, behind the server's lock (the one
 * that guards the store); with a data directory, sessions are also kept
 * there as records of the store.  Uploaded bytes are streamed to spool
 * files in a work directory as they arrive (an early handler turns
 * accumulation off), with their CRC32C computed on the way.  Processing of
 * a session and building of an export run on a thread pool: they read
 * files and build archives without the lock, and take it only to copy what
 * they need and to store what they produced.  An import's annotations are
 * stored at once, with the session's final state (vi_store_commit()): all
 * or nothing, also across a crash.
 */

#define SPOOL_KEY            "vi-upload-spool"
#define SESSION_RECORD       "session"
#define WORK_DIR_NAME        "work"
#define DOWNLOAD_LIFETIME_MS (60 * 60 * 1000)
#define MAX_WORKERS          4

typedef enum {
  FILE_REGISTERED,
  FILE_UPLOADED,
  FILE_FAILED,
} FileState;

typedef struct _ImportSession ImportSession;

typedef struct {
  ImportSession *session;
  char          *name;
  guint64        size;
  guint32        crc;
  char          *crc_b64;
  char          *token;
  FileState      state;
  char          *reason;          /* FILE_FAILED */
  char          *path;            /* FILE_UPLOADED: the bytes */
} ImportFile;

typedef struct {
  char   *condition;
  char   *status;
  gint64  time;
  char   *reason;                 /* a ConditionReason, or NULL */
} Condition;

struct _ImportSession {
  char       *id;
  char       *dataset_id;
  gint64      time_created;
  gint64      last_updated;
  gint64      generation;
  char       *etag;
  GPtrArray  *attributes;         /* key, value, key, value… */
  gint64      upload_before;
  char       *on_bad_annotation;
  char       *on_bad_file;
  char       *on_overwritten;
  char       *source;             /* NULL when the request had none */
  GPtrArray  *conditions;         /* Condition, newest first */
  GPtrArray  *files;              /* ImportFile, in registration order */
  gboolean    files_inserted;     /* FilesInserted recorded: uploads closed */
  gboolean    finished;           /* nothing more will change */
  guint64     page_count;
  guint64     total_size;
  guint64     files_processed;
  guint64     files_failed;
  guint64     annotations_created;
  guint64     annotations_failed;
  char       *reason;
};

typedef struct {
  char       *id;
  char       *dataset_id;
  char       *format;
  gboolean    normalized;
  gboolean    has_split_ratio;
  double      split_ratio;
  gint64      time_created;
  gint64      last_updated;
  gint64      generation;
  char       *etag;
  Condition   ready;
  char       *message;
  char       *path;               /* the archive, once ready */
  gint64      expires_at;
} DatasetExport;

struct _ViServerWrite {
  ViLocalServer *server;          /* not a reference: it owns us */
  GMutex        *lock;            /* the server's */
  char          *org;
  GCond          cond;            /* wakes delays at shutdown */
  gboolean       shutdown;
  guint          processing_delay_ms;
  char          *data_dir;        /* the store's, or NULL */
  char          *work_dir;        /* created on first use, removed at the end */
  GHashTable    *sessions;        /* id -> ImportSession, owned */
  GHashTable    *tokens;          /* token -> ImportFile, not owned */
  GHashTable    *exports;         /* id -> DatasetExport, owned */
  GPtrArray     *export_order;    /* DatasetExport, creation order, not owned */
  GThreadPool   *pool;
};

typedef enum {
  JOB_IMPORT,
  JOB_EXPORT,
} JobKind;

typedef struct {
  JobKind  kind;
  char    *id;
  gint64   queued;                /* monotonic: the processing delay's start */
} Job;

/* ---- small things ------------------------------------------------------- */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static char *
random_string (guint length)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char *s = g_malloc (length + 1);
  guint i;

  for (i = 0; i < length; i++)
    s[i] = alphabet[g_random_int_range (0, 62)];
  s[length] = '\0';
  return s;
}

static char *
random_etag (void)
{
  return g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
}

static void
condition_clear (Condition *c)
{
  g_clear_pointer (&c->condition, g_free);
  g_clear_pointer (&c->status, g_free);
  g_clear_pointer (&c->reason, g_free);
}

static void
condition_free (Condition *c)
{
  condition_clear (c);
  g_free (c);
}

static void
import_file_free (ImportFile *file)
{
  g_free (file->name);
  g_free (file->crc_b64);
  g_free (file->token);
  g_free (file->reason);
  if (file->path != NULL)
    g_unlink (file->path);
  g_free (file->path);
  g_free (file);
}

static void
import_session_free (ImportSession *s)
{
  g_free (s->id);
  g_free (s->dataset_id);
  g_free (s->etag);
  g_ptr_array_unref (s->attributes);
  g_free (s->on_bad_annotation);
  g_free (s->on_bad_file);
  g_free (s->on_overwritten);
  g_free (s->source);
  g_ptr_array_unref (s->conditions);
  g_ptr_array_unref (s->files);
  g_free (s->reason);
  g_free (s);
}

static void
dataset_export_free (DatasetExport *e)
{
  g_free (e->id);
  g_free (e->dataset_id);
  g_free (e->format);
  g_free (e->etag);
  condition_clear (&e->ready);
  g_free (e->message);
  if (e->path != NULL)
    g_unlink (e->path);
  g_free (e->path);
  g_free (e);
}

static void
session_touch (ImportSession *s)
{
  s->last_updated = MAX (now_ms (), s->last_updated);
  s->generation++;
  g_free (s->etag);
  s->etag = random_etag ();
}

/* Records a condition as the newest one, replacing an older entry of the
 * same name. */
static void
session_set_condition (ImportSession *s,
                       const char    *name,
                       const char    *status,
                       gint64         time,
                       const char    *reason)
{
  Condition *c = g_new0 (Condition, 1);
  guint i;

  for (i = 0; i < s->conditions->len; i++)
    {
      Condition *old = g_ptr_array_index (s->conditions, i);

      if (g_str_equal (old->condition, name))
        {
          g_ptr_array_remove_index (s->conditions, i);
          break;
        }
    }
  c->condition = g_strdup (name);
  c->status = g_strdup (status);
  c->time = time;
  c->reason = g_strdup (reason);
  g_ptr_array_insert (s->conditions, 0, c);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
              !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            remove_tree (path);
          else
            g_unlink (path);
        }
    }
  g_rmdir (dir);
}

/* Called with the lock held.  With a data directory, its "work" folder, so
 * that what a killed server leaves there is removed when it restarts;
 * else a temporary folder. */
static const char *
ensure_work_dir (ViServerWrite  *w,
                 GError        **error)
{
  if (w->work_dir == NULL && w->data_dir != NULL)
    {
      g_autofree char *dir = g_build_filename (w->data_dir, WORK_DIR_NAME, NULL);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "cannot create %s: %s", dir, g_strerror (errsv));
          return NULL;
        }
      w->work_dir = g_steal_pointer (&dir);
    }
  if (w->work_dir == NULL)
    w->work_dir = g_dir_make_tmp ("vi-local-server-XXXXXX", error);
  return w->work_dir;
}

/* ---- life cycle --------------------------------------------------------- */

static void worker_func (gpointer data,
                         gpointer user_data);

ViServerWrite *
vi_server_write_new (ViLocalServer *server,
                     GMutex        *lock,
                     const char    *organization_id)
{
  ViServerWrite *w = g_new0 (ViServerWrite, 1);

  w->server = server;
  w->lock = lock;
  w->org = g_strdup (organization_id);
  g_cond_init (&w->cond);
  w->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) import_session_free);
  w->tokens = g_hash_table_new (g_str_hash, g_str_equal);
  w->exports = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) dataset_export_free);
  w->export_order = g_ptr_array_new ();
  w->pool = g_thread_pool_new (worker_func, w, MAX_WORKERS, FALSE, NULL);
  return w;
}

void
vi_server_write_free (ViServerWrite *w)
{
  if (w == NULL)
    return;

  g_mutex_lock (w->lock);
  g_atomic_int_set (&w->shutdown, TRUE);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (w->lock);
  /* Queued jobs still run, see the flag and return at once. */
  g_thread_pool_free (w->pool, FALSE, TRUE);

  g_hash_table_unref (w->tokens);
  g_hash_table_unref (w->sessions);
  g_ptr_array_unref (w->export_order);
  g_hash_table_unref (w->exports);
  if (w->work_dir != NULL)
    remove_tree (w->work_dir);
  g_free (w->work_dir);
  g_free (w->data_dir);
  g_cond_clear (&w->cond);
  g_free (w->org);
  g_free (w);
}

/* Called with the lock held.  Jobs waiting out the delay see the new one
 * at once. */
void
vi_server_write_set_processing_delay (ViServerWrite *w,
                                      guint          delay_ms)
{
  w->processing_delay_ms = delay_ms;
  g_cond_broadcast (&w->cond);
}

static void
queue_job (ViServerWrite *w,
           JobKind        kind,
           const char    *id)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->id = g_strdup (id);
  job->queued = g_get_monotonic_time ();
  g_thread_pool_push (w->pool, job, NULL);
}

/* Waits until the processing delay has passed since @queued, with the
 * lock held (released meanwhile); the delay is read again at every wake,
 * so a test can hold a session in "Complete: Waiting" and release it.
 * FALSE at shutdown. */
static gboolean
wait_processing_delay (ViServerWrite *w,
                       gint64         queued)
{
  for (;;)
    {
      gint64 end = queued + (gint64) w->processing_delay_ms * 1000;

      if (w->shutdown || g_get_monotonic_time () >= end)
        break;
      g_cond_wait_until (&w->cond, w->lock, end);
    }
  return !w->shutdown;
}

/* ---- JSON in ------------------------------------------------------------ */

/* Parses the body as a JSON object into *root; on failure a 400 has been
 * sent. */
static JsonObject *
parse_body (ViServerRequest  *req,
            JsonNode        **root)
{
  g_autoptr(GBytes) body = vi_server_request_get_body (req);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data == NULL || len == 0)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "the request needs a JSON object body");
      return NULL;
    }
  *root = vi_server_json_parse (data, len, &error);
  if (*root == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "the body is not valid JSON: %s", error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (*root))
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "the body must be a JSON object");
      return NULL;
    }
  return json_node_get_object (*root);
}

static JsonObject *
get_object (JsonObject *obj,
            const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
get_string (JsonObject *obj,
            const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_integer (JsonObject *obj,
             const char *name,
             gint64     *value)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
is_null (JsonObject *obj,
         const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* Copies the string members of attrs into out (name, value, name, value…);
 * returns the name of the first member that is not a string, or NULL. */
static const char *
read_attributes (JsonObject *attrs,
                 GPtrArray  *out)
{
  g_autoptr(GList) members = json_object_get_members (attrs);
  const char *bad = NULL;
  GList *l;

  for (l = members; l != NULL; l = l->next)
    {
      const char *value = get_string (attrs, l->data);

      if (value == NULL)
        {
          if (bad == NULL)
            bad = l->data;
          continue;
        }
      g_ptr_array_add (out, g_strdup (l->data));
      g_ptr_array_add (out, g_strdup (value));
    }
  return bad;
}

static gboolean
is_policy (const char *value)
{
  return value != NULL &&
         (g_str_equal (value, "Warn") || g_str_equal (value, "RejectFile") ||
          g_str_equal (value, "RejectSession"));
}

/* ---- JSON out ----------------------------------------------------------- */

static void
append_member (GString    *out,
               const char *name)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  _vi_json_append_string (out, name);
  g_string_append_c (out, ':');
}

static void
append_dataset_path (GString    *out,
                     const char *org,
                     const char *dataset_id)
{
  g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

  g_string_append (out, "/workspaces/");
  _vi_uri_append_segment (out, org);
  g_string_append (out, "/datasets/");
  _vi_uri_append_segment (out, composite);
}

static void
append_ids (GString    *out,
            const char *org,
            const char *dataset_id)
{
  g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

  append_member (out, "workspaceId");
  _vi_json_append_string (out, org);
  append_member (out, "datasetId");
  _vi_json_append_string (out, composite);
}

static void
append_metadata (GString   *out,
                 gint64     created,
                 gint64     updated,
                 gint64     generation,
                 GPtrArray *attributes)
{
  guint i;

  append_member (out, "metadata");
  g_string_append (out, "{\"timeCreated\":");
  _vi_json_append_int (out, created);
  g_string_append (out, ",\"lastUpdated\":");
  _vi_json_append_int (out, updated);
  g_string_append (out, ",\"generation\":");
  _vi_json_append_int (out, generation);
  g_string_append (out, ",\"attributes\":{");
  for (i = 0; attributes != NULL && i + 1 < attributes->len; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      _vi_json_append_string (out, g_ptr_array_index (attributes, i));
      g_string_append_c (out, ':');
      _vi_json_append_string (out, g_ptr_array_index (attributes, i + 1));
    }
  g_string_append (out, "}}");
}

static void
append_condition (GString         *out,
                  const Condition *c,
                  const char      *message)
{
  g_string_append (out, "{\"condition\":");
  _vi_json_append_string (out, c->condition);
  g_string_append (out, ",\"status\":");
  _vi_json_append_string (out, c->status);
  g_string_append (out, ",\"lastTransitionTime\":");
  _vi_json_append_int (out, c->time);
  if (c->reason != NULL)
    {
      g_string_append (out, ",\"reason\":");
      _vi_json_append_string (out, c->reason);
    }
  if (message != NULL)
    {
      g_string_append (out, ",\"message\":");
      _vi_json_append_string (out, message);
    }
  g_string_append_c (out, '}');
}

static void
append_count (GString    *out,
              gboolean   *first,
              const char *key,
              guint64     n)
{
  if (n == 0)
    return;
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  _vi_json_append_string (out, key);
  g_string_append_c (out, ':');
  _vi_json_append_int (out, (gint64) n);
}

static GString *
session_to_json (ViServerWrite *w,
                 ImportSession *s)
{
  const char *org = w->org;
  GString *out = g_string_sized_new (1024);
  gboolean first;
  guint i;

  g_string_append (out, "{\"kind\":\"AnnotationImportSession\"");
  append_member (out, "user");
  _vi_json_append_string (out, "local-user");
  append_ids (out, org, s->dataset_id);
  append_member (out, "annotationImportSessionId");
  _vi_json_append_string (out, s->id);
  append_member (out, "selfLink");
  g_string_append_c (out, '"');
  append_dataset_path (out, org, s->dataset_id);
  g_string_append (out, "/annotationImportSessions/");
  _vi_uri_append_segment (out, s->id);
  g_string_append_c (out, '"');
  append_member (out, "etag");
  _vi_json_append_string (out, s->etag);
  append_metadata (out, s->time_created, s->last_updated, s->generation, s->attributes);

  append_member (out, "spec");
  g_string_append (out, "{\"uploadBefore\":");
  _vi_json_append_int (out, s->upload_before);
  g_string_append (out, ",\"failurePolicies\":{\"onBadAnnotation\":");
  _vi_json_append_string (out, s->on_bad_annotation);
  g_string_append (out, ",\"onBadFile\":");
  _vi_json_append_string (out, s->on_bad_file);
  g_string_append (out, ",\"onOverwritten\":");
  _vi_json_append_string (out, s->on_overwritten);
  g_string_append_c (out, '}');
  if (s->source != NULL)
    {
      g_string_append (out, ",\"source\":");
      _vi_json_append_string (out, s->source);
    }
  g_string_append_c (out, '}');

  append_member (out, "status");
  g_string_append (out, "{\"conditions\":[");
  for (i = 0; i < s->conditions->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_condition (out, g_ptr_array_index (s->conditions, i), NULL);
    }
  g_string_append (out, "],\"files\":{\"pageCount\":");
  _vi_json_append_int (out, (gint64) s->page_count);
  g_string_append (out, ",\"totalSizeBytes\":");
  _vi_json_append_int (out, (gint64) s->total_size);
  g_string_append (out, ",\"statusCount\":{");
  first = TRUE;
  append_count (out, &first, "Processed", s->files_processed);
  append_count (out, &first, "Failed", s->files_failed);
  g_string_append (out, "}},\"annotations\":{\"statusCount\":{");
  first = TRUE;
  append_count (out, &first, "Created", s->annotations_created);
  append_count (out, &first, "Failed", s->annotations_failed);
  g_string_append (out, "}},\"reason\":");
  if (s->reason != NULL)
    _vi_json_append_string (out, s->reason);
  else
    g_string_append (out, "null");
  g_string_append (out, "}}");
  return out;
}

static GString *
export_to_json (ViServerWrite *w,
                DatasetExport *e)
{
  const char *org = w->org;
  GString *out = g_string_sized_new (1024);

  g_string_append (out, "{\"kind\":\"DatasetExport\"");
  append_ids (out, org, e->dataset_id);
  append_member (out, "datasetExportId");
  _vi_json_append_string (out, e->id);
  append_member (out, "spec");
  g_string_append (out, "{\"format\":");
  _vi_json_append_string (out, e->format);
  g_string_append (out, ",\"options\":{\"normalized\":");
  g_string_append (out, e->normalized ? "true" : "false");
  g_string_append (out, ",\"splitRatio\":");
  if (e->has_split_ratio)
    vi_json_append_double (out, e->split_ratio);
  else
    g_string_append (out, "null");
  g_string_append (out, "}}");
  append_member (out, "status");
  g_string_append (out, "{\"conditions\":[");
  append_condition (out, &e->ready, e->message);
  g_string_append_c (out, ']');
  if (e->path != NULL)
    {
      g_autofree char *url = vi_local_server_get_url (w->server);

      g_string_append (out, ",\"downloadUrl\":{\"url\":");
      g_string_append_c (out, '"');
      g_string_append (out, url);
      g_string_append (out, "/downloads/");
      _vi_uri_append_segment (out, e->id);
      g_string_append (out, ".zip\",\"expiresAt\":");
      _vi_json_append_int (out, e->expires_at);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, '}');
  append_metadata (out, e->time_created, e->last_updated, e->generation, NULL);
  append_member (out, "selfLink");
  g_string_append_c (out, '"');
  append_dataset_path (out, org, e->dataset_id);
  g_string_append (out, "/datasetExports/");
  _vi_uri_append_segment (out, e->id);
  g_string_append_c (out, '"');
  append_member (out, "etag");
  _vi_json_append_string (out, e->etag);
  g_string_append_c (out, '}');
  return out;
}

/* ---- sessions across restarts ------------------------------------------- */

/* With a data directory, a session is written there as the JSON it is
 * served as when it is created, when FilesInserted is PATCHed and when its
 * processing ends (then in the same transaction as its annotations), so a
 * restarted server tells the truth about it.  Called with the lock held. */
static void
session_save (ViServerWrite *w,
              ViStore       *store,
              ImportSession *s)
{
  g_autoptr(GString) json = session_to_json (w, s);
  g_autoptr(GError) error = NULL;

  if (!vi_store_set_record (store, SESSION_RECORD, s->id, json->str, &error))
    g_warning ("cannot keep import session %s in the data directory: %s", s->id,
               error->message);
}

static gint64
get_count (JsonObject *obj,
           const char *name,
           const char *key)
{
  JsonObject *counts = get_object (get_object (obj, name), "statusCount");
  gint64 n = 0;

  return get_integer (counts, key, &n) && n > 0 ? n : 0;
}

/* The session a record of session_save() holds, without its files (they
 * do not outlive the server). */
static ImportSession *
session_from_json (ViServerWrite  *w,
                   const char     *json,
                   GError        **error)
{
  g_autoptr(JsonNode) root = vi_server_json_parse (json, strlen (json), error);
  g_autofree char *prefix = g_strconcat (w->org, "_", NULL);
  JsonObject *obj, *meta, *spec, *policies, *status, *attrs, *files;
  JsonNode *conditions, *reason;
  const char *id, *dataset, *etag, *values[3];
  const char *names[] = { "onBadAnnotation", "onBadFile", "onOverwritten" };
  ImportSession *s;
  guint i;

  if (root == NULL)
    return NULL;
  obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  meta = get_object (obj, "metadata");
  spec = get_object (obj, "spec");
  policies = get_object (spec, "failurePolicies");
  status = get_object (obj, "status");
  files = get_object (status, "files");
  conditions = status != NULL ? json_object_get_member (status, "conditions") : NULL;
  reason = status != NULL ? json_object_get_member (status, "reason") : NULL;
  id = get_string (obj, "annotationImportSessionId");
  dataset = get_string (obj, "datasetId");
  etag = get_string (obj, "etag");
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    values[i] = get_string (policies, names[i]);
  if (id == NULL || dataset == NULL || !g_str_has_prefix (dataset, prefix) ||
      !vi_store_dataset_id_is_valid (dataset + strlen (prefix)) || etag == NULL ||
      meta == NULL || files == NULL || conditions == NULL ||
      !JSON_NODE_HOLDS_ARRAY (conditions) || reason == NULL ||
      !is_policy (values[0]) || !is_policy (values[1]) || !is_policy (values[2]))
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                           "not an import session of this organization");
      return NULL;
    }

  s = g_new0 (ImportSession, 1);
  s->id = g_strdup (id);
  s->dataset_id = g_strdup (dataset + strlen (prefix));
  s->etag = g_strdup (etag);
  get_integer (meta, "timeCreated", &s->time_created);
  get_integer (meta, "lastUpdated", &s->last_updated);
  get_integer (meta, "generation", &s->generation);
  s->attributes = g_ptr_array_new_with_free_func (g_free);
  attrs = get_object (meta, "attributes");
  if (attrs != NULL)
    read_attributes (attrs, s->attributes);
  get_integer (spec, "uploadBefore", &s->upload_before);
  s->on_bad_annotation = g_strdup (values[0]);
  s->on_bad_file = g_strdup (values[1]);
  s->on_overwritten = g_strdup (values[2]);
  s->source = g_strdup (get_string (spec, "source"));
  s->conditions = g_ptr_array_new_with_free_func ((GDestroyNotify) condition_free);
  s->files = g_ptr_array_new_with_free_func ((GDestroyNotify) import_file_free);

  /* Listed newest first: added oldest first. */
  for (i = json_array_get_length (json_node_get_array (conditions)); i-- > 0;)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (conditions), i);
      JsonObject *c = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *name = get_string (c, "condition");
      const char *value = get_string (c, "status");
      gint64 time = 0;

      if (name == NULL || value == NULL)
        continue;
      get_integer (c, "lastTransitionTime", &time);
      session_set_condition (s, name, value, time, get_string (c, "reason"));
      if (g_str_equal (name, "FilesInserted"))
        {
          s->files_inserted = TRUE;
          if (g_str_equal (value, "FailedReach"))
            s->finished = TRUE;
        }
      if (g_str_equal (name, "Complete") && !g_str_equal (value, "Waiting"))
        s->finished = TRUE;
    }

  get_integer (files, "pageCount", (gint64 *) &s->page_count);
  get_integer (files, "totalSizeBytes", (gint64 *) &s->total_size);
  s->files_processed = get_count (status, "files", "Processed");
  s->files_failed = get_count (status, "files", "Failed");
  s->annotations_created = get_count (status, "annotations", "Created");
  s->annotations_failed = get_count (status, "annotations", "Failed");
  s->reason = g_strdup (get_string (status, "reason"));
  return s;
}

static void
restore_session_cb (const char *id,
                    const char *json,
                    gpointer    user_data)
{
  ViServerWrite *w = user_data;
  g_autoptr(GError) error = NULL;
  ImportSession *s = session_from_json (w, json, &error);

  if (s == NULL || !g_str_equal (s->id, id) || g_hash_table_contains (w->sessions, s->id))
    {
      g_warning ("ignoring import session record %s of the data directory: %s", id,
                 error != NULL ? error->message : "a duplicate");
      g_clear_pointer (&s, import_session_free);
      return;
    }
  g_hash_table_insert (w->sessions, s->id, s);
}

/**
 * vi_server_write_restore:
 * @w: the write side
 * @store: the store, just opened on its data directory; the lock is held
 *
 * Brings back the import sessions the data directory kept.  Those a stop
 * or a crash interrupted (uploading, or processing: their annotations
 * were not committed, so none are there) end as `Complete: FailedReach`
 * saying so, which is what a client that asks after a lost answer reads.
 * What the previous run left in the work folder is removed.
 */
void
vi_server_write_restore (ViServerWrite *w,
                         ViStore       *store)
{
  g_autofree char *work = NULL;
  GHashTableIter iter;
  gpointer value;

  g_free (w->data_dir);
  w->data_dir = g_strdup (vi_store_get_dir (store));
  work = g_build_filename (w->data_dir, WORK_DIR_NAME, NULL);
  if (w->work_dir == NULL || !g_str_equal (w->work_dir, work))
    remove_tree (work);

  vi_store_foreach_record (store, SESSION_RECORD, restore_session_cb, w);

  g_hash_table_iter_init (&iter, w->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ImportSession *s = value;

      if (s->finished)
        continue;
      s->files_inserted = TRUE;
      s->finished = TRUE;
      g_free (s->reason);
      s->reason = g_strdup ("the server stopped before this import was processed: none of "
                            "its annotations were added; upload the files again");
      session_set_condition (s, "Complete", "FailedReach",
                             MAX (now_ms (), s->last_updated), NULL);
      session_touch (s);
      session_save (w, store, s);
    }
}

/* ---- import sessions ---------------------------------------------------- */

static void
handle_create_session (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) attributes = g_ptr_array_new_with_free_func (g_free);
  JsonObject *body, *spec, *policies, *metadata, *attrs = NULL;
  const char *names[] = { "onBadAnnotation", "onBadFile", "onOverwritten" };
  const char *values[3];
  const char *source = NULL;
  const char *bad;
  ImportSession *s;
  gint64 upload_before;
  ViStore *store;
  GString *out;
  guint i;

  body = parse_body (req, &root);
  if (body == NULL)
    return;

  spec = get_object (body, "spec");
  if (spec == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec is missing or not an object");
      return;
    }
  if (!get_integer (spec, "uploadBefore", &upload_before))
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.uploadBefore must be an integer "
                                     "(milliseconds since the epoch)");
      return;
    }
  policies = get_object (spec, "failurePolicies");
  if (policies == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.failurePolicies is missing or not an object");
      return;
    }
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      values[i] = get_string (policies, names[i]);
      if (!is_policy (values[i]))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "spec.failurePolicies.%s must be \"Warn\", "
                                         "\"RejectFile\" or \"RejectSession\"", names[i]);
          return;
        }
    }
  if (!is_null (spec, "source"))
    {
      source = get_string (spec, "source");
      if (source == NULL || !g_str_equal (source, "UploadedIndividualFiles"))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "spec.source must be \"UploadedIndividualFiles\"");
          return;
        }
    }
  if (!is_null (body, "metadata"))
    {
      metadata = get_object (body, "metadata");
      if (metadata == NULL)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "metadata must be an object");
          return;
        }
      if (!is_null (metadata, "attributes"))
        {
          attrs = get_object (metadata, "attributes");
          if (attrs == NULL)
            {
              vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                             "metadata.attributes must be an object "
                                             "of strings");
              return;
            }
        }
    }
  if (attrs != NULL && (bad = read_attributes (attrs, attributes)) != NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "metadata.attributes.%s must be a string", bad);
      return;
    }

  store = vi_local_server_lock_store (req->server);
  if (!vi_store_ensure_dataset (store, req->dataset_id, &error))
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "%s", error->message);
      return;
    }

  s = g_new0 (ImportSession, 1);
  do
    {
      g_free (s->id);
      s->id = random_string (20);
    }
  while (g_hash_table_contains (w->sessions, s->id));
  s->dataset_id = g_strdup (req->dataset_id);
  s->time_created = s->last_updated = now_ms ();
  s->generation = 1;
  s->etag = random_etag ();
  s->attributes = g_steal_pointer (&attributes);
  s->upload_before = upload_before;
  s->on_bad_annotation = g_strdup (values[0]);
  s->on_bad_file = g_strdup (values[1]);
  s->on_overwritten = g_strdup (values[2]);
  s->source = g_strdup (source);
  s->conditions = g_ptr_array_new_with_free_func ((GDestroyNotify) condition_free);
  s->files = g_ptr_array_new_with_free_func ((GDestroyNotify) import_file_free);
  g_hash_table_insert (w->sessions, s->id, s);
  session_save (w, store, s);
  out = session_to_json (w, s);
  vi_local_server_unlock_store (req->server);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

/* Finds the session of the path, with the lock held (and the store in
 * *store when store is not NULL); on failure the 404 has been sent and the
 * lock released. */
static ImportSession *
lock_session (ViServerRequest  *req,
              ViStore         **store)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  const char *id = vi_server_request_get_param (req, "session");
  ViStore *locked;
  ImportSession *s;

  locked = vi_local_server_lock_store (req->server);
  if (store != NULL)
    *store = locked;
  s = g_hash_table_lookup (w->sessions, id);
  if (s == NULL || !g_str_equal (s->dataset_id, req->dataset_id))
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "annotation import session “%s” not found in "
                                     "dataset “%s”", id, req->dataset_id);
      return NULL;
    }
  return s;
}

static void
handle_get_session (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  ImportSession *s = lock_session (req, NULL);
  GString *out;

  if (s == NULL)
    return;
  out = session_to_json (w, s);
  vi_local_server_unlock_store (req->server);
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static gboolean
file_name_is_valid (const char *name)
{
  return *name != '\0' && strchr (name, '/') == NULL && strchr (name, '\\') == NULL &&
         !g_str_equal (name, ".") && !g_str_equal (name, "..") &&
         g_utf8_validate (name, -1, NULL);
}

typedef struct {
  const char *name;
  gint64      size;
  guint32     crc;
  const char *crc_b64;
} FileSpec;

static void
handle_register_files (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GArray) specs = g_array_new (FALSE, TRUE, sizeof (FileSpec));
  g_autoptr(GList) members = NULL;
  g_autofree char *base_url = NULL;
  JsonObject *body, *files;
  ImportSession *s;
  GString *out;
  GList *l;
  guint i, j;

  body = parse_body (req, &root);
  if (body == NULL)
    return;
  files = get_object (body, "files");
  if (files == NULL || json_object_get_size (files) == 0)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "files must be a non-empty object of "
                                     "{\"name\": {\"sizeBytes\", \"crc32c\", \"kind\"}}");
      return;
    }

  /* json-glib 1.6 keeps members in document order. */
  members = json_object_get_members (files);
  for (l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonObject *spec = get_object (files, name);
      FileSpec fs = { name, 0, 0, NULL };
      g_autofree guint8 *raw = NULL;
      const char *kind;
      gsize raw_len = 0;

      if (!file_name_is_valid (name))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "files: “%s” is not a file base name", name);
          return;
        }
      if (spec == NULL)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "files.%s must be an object", name);
          return;
        }
      if (!get_integer (spec, "sizeBytes", &fs.size) || fs.size < 0)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "files.%s.sizeBytes must be a non-negative integer",
                                         name);
          return;
        }
      fs.crc_b64 = get_string (spec, "crc32c");
      if (fs.crc_b64 != NULL && strlen (fs.crc_b64) == 8)
        raw = g_base64_decode (fs.crc_b64, &raw_len);
      if (raw == NULL || raw_len != 4)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "files.%s.crc32c must be the base64 of the 4-byte "
                                         "big-endian CRC-32C", name);
          return;
        }
      fs.crc = ((guint32) raw[0] << 24) | ((guint32) raw[1] << 16) |
               ((guint32) raw[2] << 8) | raw[3];
      kind = get_string (spec, "kind");
      if (!is_null (spec, "kind") && (kind == NULL || !g_str_equal (kind, "Unknown")))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "files.%s.kind must be \"Unknown\"", name);
          return;
        }
      g_array_append_val (specs, fs);
    }

  s = lock_session (req, NULL);
  if (s == NULL)
    return;
  if (s->files_inserted)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_CONFLICT,
                                     "the session is past FilesInserted: no more files "
                                     "can be registered");
      return;
    }

  base_url = vi_local_server_get_url (req->server);
  out = g_string_new ("{\"files\":{");
  for (i = 0; i < specs->len; i++)
    {
      const FileSpec *fs = &g_array_index (specs, FileSpec, i);
      ImportFile *file = g_new0 (ImportFile, 1);

      /* Registering a name again replaces it, and its old URL dies. */
      for (j = 0; j < s->files->len; j++)
        {
          ImportFile *old = g_ptr_array_index (s->files, j);

          if (g_str_equal (old->name, fs->name))
            {
              g_hash_table_remove (w->tokens, old->token);
              s->total_size -= old->size;
              g_ptr_array_remove_index (s->files, j);
              break;
            }
        }
      file->session = s;
      file->name = g_strdup (fs->name);
      file->size = (guint64) fs->size;
      file->crc = fs->crc;
      file->crc_b64 = vi_crc32c_to_base64 (fs->crc);
      do
        {
          g_free (file->token);
          file->token = random_string (43);
        }
      while (g_hash_table_contains (w->tokens, file->token));
      file->state = FILE_REGISTERED;
      g_ptr_array_add (s->files, file);
      g_hash_table_insert (w->tokens, file->token, file);
      s->total_size += file->size;

      if (i > 0)
        g_string_append_c (out, ',');
      _vi_json_append_string (out, file->name);
      g_string_append (out, ":{\"method\":\"PUT\",\"url\":\"");
      g_string_append (out, base_url);
      g_string_append (out, "/upload/");
      g_string_append (out, file->token);
      g_string_append (out, "\",\"headers\":{\"content-type\":\"application/octet-stream\","
                            "\"x-goog-hash\":\"crc32c=");
      g_string_append (out, file->crc_b64);
      g_string_append (out, "\"}}");
    }
  g_string_append (out, "}}");
  session_touch (s);
  vi_local_server_unlock_store (req->server);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_patch_status (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *body, *status, *cond;
  JsonNode *conditions;
  JsonArray *array;
  const char *name, *value, *reason = NULL;
  gint64 time = now_ms ();
  ImportSession *s;
  ViStore *store;
  GString *out;

  body = parse_body (req, &root);
  if (body == NULL)
    return;
  status = get_object (body, "status");
  conditions = status != NULL ? json_object_get_member (status, "conditions") : NULL;
  if (conditions == NULL || !JSON_NODE_HOLDS_ARRAY (conditions) ||
      json_array_get_length (array = json_node_get_array (conditions)) != 1 ||
      (cond = json_array_get_object_element (array, 0)) == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "status.conditions must be an array of one condition "
                                     "object");
      return;
    }
  name = get_string (cond, "condition");
  if (name == NULL || !g_str_equal (name, "FilesInserted"))
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "status.conditions[0].condition must be \"FilesInserted\"");
      return;
    }
  value = get_string (cond, "status");
  if (value == NULL || (!g_str_equal (value, "Reached") && !g_str_equal (value, "FailedReach")))
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "status.conditions[0].status must be \"Reached\" or "
                                     "\"FailedReach\"");
      return;
    }
  if (!is_null (cond, "lastTransitionTime"))
    {
      JsonNode *node = json_object_get_member (cond, "lastTransitionTime");

      if (!JSON_NODE_HOLDS_VALUE (node) ||
          (json_node_get_value_type (node) != G_TYPE_INT64 &&
           json_node_get_value_type (node) != G_TYPE_DOUBLE))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "status.conditions[0].lastTransitionTime must be "
                                         "a number (milliseconds since the epoch)");
          return;
        }
      time = json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node) : (gint64) json_node_get_double (node);
    }
  if (!is_null (cond, "reason"))
    {
      reason = get_string (cond, "reason");
      if (reason == NULL ||
          (!g_str_equal (reason, "UserUploadErrored") && !g_str_equal (reason, "CancelledByUser")))
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "status.conditions[0].reason must be "
                                         "\"UserUploadErrored\", \"CancelledByUser\" or null");
          return;
        }
    }

  s = lock_session (req, &store);
  if (s == NULL)
    return;
  if (s->files_inserted)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_CONFLICT,
                                     "the session already has FilesInserted (%s)",
                                     s->finished ? "finished" : "being processed");
      return;
    }

  s->files_inserted = TRUE;
  session_set_condition (s, "FilesInserted", value, time, reason);
  if (g_str_equal (value, "Reached"))
    {
      session_set_condition (s, "Complete", "Waiting", MAX (now_ms (), time), NULL);
      queue_job (w, JOB_IMPORT, s->id);
    }
  else
    {
      s->finished = TRUE;
      g_free (s->reason);
      s->reason = g_strdup_printf ("the client reported FilesInserted FailedReach (%s)",
                                   reason != NULL ? reason : "no reason");
    }
  session_touch (s);
  session_save (w, store, s);
  out = session_to_json (w, s);
  vi_local_server_unlock_store (req->server);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

/* ---- processing --------------------------------------------------------- */

typedef struct {
  char      *name;
  FileState  state;
  char      *reason;
  char      *path;
} FileCopy;

static void
file_copy_clear (gpointer data)
{
  FileCopy *fc = data;

  g_free (fc->name);
  g_free (fc->reason);
  g_free (fc->path);
}

/* vi_store_check_record() names the record as "record 1"; the caller
 * names the file and line instead. */
static const char *
strip_record_prefix (const char *message)
{
  if (g_str_has_prefix (message, "record 1: "))
    return message + 10;
  if (g_str_has_prefix (message, "record 1 "))
    return message + 9;
  return message;
}

typedef enum {
  POLICY_WARN,
  POLICY_REJECT_FILE,
  POLICY_REJECT_SESSION,
} Policy;

static Policy
policy_from_string (const char *s)
{
  if (g_str_equal (s, "Warn"))
    return POLICY_WARN;
  if (g_str_equal (s, "RejectFile"))
    return POLICY_REJECT_FILE;
  return POLICY_REJECT_SESSION;
}

static void
process_import (ViServerWrite *w,
                const char    *id,
                gint64         queued)
{
  g_autoptr(GArray) files = g_array_new (FALSE, TRUE, sizeof (FileCopy));
  g_autoptr(ViStoreBatch) batch = NULL;
  g_autoptr(GError) stage_error = NULL;
  g_autofree char *dataset_id = NULL;
  g_autofree char *failure = NULL;
  Policy on_bad_annotation, on_bad_file;
  guint64 files_processed = 0, files_failed = 0, ann_failed = 0, ann_seen = 0;
  ImportSession *s;
  ViStore *store;
  const char *dir;
  guint i;

  g_array_set_clear_func (files, file_copy_clear);

  store = vi_local_server_lock_store (w->server);
  if (!wait_processing_delay (w, queued) ||
      (s = g_hash_table_lookup (w->sessions, id)) == NULL)
    {
      vi_local_server_unlock_store (w->server);
      return;
    }
  dataset_id = g_strdup (s->dataset_id);
  on_bad_annotation = policy_from_string (s->on_bad_annotation);
  on_bad_file = policy_from_string (s->on_bad_file);
  for (i = 0; i < s->files->len; i++)
    {
      ImportFile *file = g_ptr_array_index (s->files, i);
      FileCopy fc = { g_strdup (file->name), file->state, g_strdup (file->reason),
                      g_strdup (file->path) };

      g_array_append_val (files, fc);
    }
  /* The parts are made here, without the lock, and added to the store at
   * once at the end: all of them or none, also across a crash. */
  batch = vi_store_batch_new (store, dataset_id);
  dir = ensure_work_dir (w, &stage_error);
  vi_local_server_unlock_store (w->server);

  if (dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("import-%s.jsonl", id);
      g_autofree char *spool = g_build_filename (dir, name, NULL);

      vi_store_batch_set_spool (batch, spool, &stage_error);
    }
  if (stage_error != NULL)
    failure = g_strdup_printf ("cannot stage the annotations: %s", stage_error->message);

  for (i = 0; i < files->len && failure == NULL; i++)
    {
      FileCopy *fc = &g_array_index (files, FileCopy, i);
      g_autoptr(GPtrArray) file_records = NULL;
      g_autoptr(ViJsonlReader) reader = NULL;
      g_autoptr(GFileInputStream) stream = NULL;
      g_autoptr(GFile) gfile = NULL;
      g_autoptr(GError) io_error = NULL;
      g_autofree char *bad_file = NULL;
      guint64 file_bad = 0, file_seen = 0;
      gboolean reject_file = FALSE;

      if (fc->state == FILE_REGISTERED)
        bad_file = g_strdup_printf ("%s: registered but never uploaded", fc->name);
      else if (fc->state == FILE_FAILED)
        bad_file = g_strdup_printf ("%s: upload failed: %s", fc->name, fc->reason);

      if (bad_file == NULL)
        {
          gfile = g_file_new_for_path (fc->path);
          stream = g_file_read (gfile, NULL, &io_error);
          if (stream == NULL)
            bad_file = g_strdup_printf ("%s: %s", fc->name, io_error->message);
        }

      if (bad_file == NULL)
        {
          file_records = g_ptr_array_new_with_free_func ((GDestroyNotify) vi_jsonl_record_unref);
          reader = vi_jsonl_reader_new (G_INPUT_STREAM (stream), fc->name);
          vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);

          for (;;)
            {
              g_autoptr(GError) error = NULL;
              g_autofree char *bad = NULL;
              ViJsonlRecord *record;

              /* A server being stopped does not finish a big import. */
              if ((file_seen & 1023) == 0 && g_atomic_int_get (&w->shutdown))
                {
                  bad_file = g_strdup_printf ("%s: the server is stopping",
                                              fc->name);
                  break;
                }
              record = vi_jsonl_reader_next (reader, NULL, &error);

              if (record == NULL && error == NULL)
                break;
              if (record == NULL && !g_error_matches (error, VI_ERROR, VI_ERROR_INVALID_DATA))
                {
                  bad_file = g_strdup_printf ("%s: %s", fc->name, error->message);
                  break;
                }
              file_seen++;
              if (record != NULL)
                {
                  if (vi_store_check_record (record, &error))
                    {
                      g_ptr_array_add (file_records, record);
                      continue;
                    }
                  vi_jsonl_record_unref (record);
                  bad = g_strdup_printf ("%s:%u: %s", fc->name,
                                         vi_jsonl_reader_get_line_number (reader),
                                         strip_record_prefix (error->message));
                }
              else
                {
                  bad = g_strdup (error->message);
                }

              file_bad++;
              if (on_bad_annotation == POLICY_REJECT_SESSION)
                {
                  failure = g_strdup_printf ("bad annotation, and onBadAnnotation is "
                                             "RejectSession: %s", bad);
                  break;
                }
              if (on_bad_annotation == POLICY_REJECT_FILE)
                reject_file = TRUE;
            }
          ann_seen += file_seen;
          if (failure != NULL)
            break;
        }

      if (bad_file != NULL)
        {
          if (on_bad_file == POLICY_REJECT_SESSION)
            {
              failure = g_strdup_printf ("bad file, and onBadFile is RejectSession: %s",
                                         bad_file);
              break;
            }
          files_failed++;
          ann_failed += file_seen;
          continue;
        }
      if (reject_file)
        {
          files_failed++;
          ann_failed += file_seen;
          continue;
        }
      if (!vi_store_batch_add_records (batch, (ViJsonlRecord **) file_records->pdata,
                                       file_records->len, &stage_error))
        {
          failure = g_strdup_printf ("cannot stage the annotations: %s", stage_error->message);
          break;
        }
      files_processed++;
      ann_failed += file_bad;
    }

  store = vi_local_server_lock_store (w->server);
  s = g_hash_table_lookup (w->sessions, id);
  if (s == NULL || w->shutdown)
    {
      vi_local_server_unlock_store (w->server);
      return;
    }
  if (failure == NULL)
    {
      g_autoptr(GString) json = NULL;
      g_autoptr(GError) error = NULL;

      /* The session as it is once the parts are in, committed with them:
       * a restarted server says Complete: Reached exactly when they are
       * there. */
      s->files_processed = files_processed;
      s->files_failed = files_failed;
      s->page_count = files_processed;
      s->annotations_created = vi_store_batch_get_n_parts (batch);
      s->annotations_failed = ann_failed;
      session_set_condition (s, "Complete", "Reached", now_ms (), NULL);
      s->finished = TRUE;
      session_touch (s);
      json = session_to_json (w, s);
      if (!vi_store_commit (store, batch, SESSION_RECORD, s->id, json->str, NULL, &error))
        failure = g_strdup_printf ("cannot store the annotations: %s", error->message);
    }
  if (failure != NULL)
    {
      s->files_processed = 0;
      s->files_failed = s->files->len;
      s->page_count = 0;
      s->annotations_created = 0;
      s->annotations_failed = ann_seen;
      g_free (s->reason);
      s->reason = g_steal_pointer (&failure);
      session_set_condition (s, "Complete", "FailedReach", now_ms (), NULL);
      s->finished = TRUE;
      session_touch (s);
      session_save (w, store, s);
    }
  vi_local_server_unlock_store (w->server);
}

/* ---- the signed upload -------------------------------------------------- */

typedef struct {
  ViLocalServer *server;
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
spool_got_chunk_cb (SoupServerMessage *msg,
                    GBytes            *chunk,
                    gpointer           user_data)
{
  Spool *spool = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  spool->size += len;
  if (spool->size > spool->max_size)
    {
      /* Chunked, so its size was not known before. */
      g_autofree char *message = g_strdup_printf ("the upload is larger than %"
                                                  G_GUINT64_FORMAT " bytes "
                                                  "(--max-upload-size)", spool->max_size);

      g_signal_handlers_disconnect_by_func (msg, spool_got_chunk_cb, user_data);
      spool_discard (spool);
      vi_server_refuse (spool->server, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, message);
      return;
    }
  spool->crc = vi_crc32c_update (spool->crc, data, len);
  while (len > 0 && spool->write_errno == 0)
    {
      ssize_t n = write (spool->fd, data, len);

      if (n < 0)
        {
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
  return g_uri_get_path (soup_server_message_get_uri (msg)) + strlen ("/upload/");
}

/* From the early handler, for a signed upload (PUT /upload/{token}): an
 * unknown token is refused (403) before anything is read or stored.
 * Returns FALSE when the request was refused. */
gboolean
vi_server_upload_check_token (ViLocalServer     *server,
                              SoupServerMessage *msg)
{
  ViServerWrite *w = vi_local_server_get_write (server);
  gboolean known;

  vi_local_server_lock_store (server);
  known = g_hash_table_contains (w->tokens, upload_token (msg));
  vi_local_server_unlock_store (server);
  if (!known)
    vi_server_refuse (server, msg, SOUP_STATUS_FORBIDDEN,
                      "invalid upload URL: unknown or replaced token");
  return known;
}

/* From the early handler, once the upload is known to be taken: its body
 * goes to a spool file as it arrives instead of being held in memory, up
 * to max_upload bytes. */
void
vi_server_upload_early (ViLocalServer     *server,
                        SoupServerMessage *msg,
                        guint64            max_upload)
{
  ViServerWrite *w = vi_local_server_get_write (server);
  g_autoptr(GError) error = NULL;
  const char *dir;
  Spool *spool;

  vi_local_server_lock_store (server);
  dir = ensure_work_dir (w, &error);
  spool = g_new0 (Spool, 1);
  spool->server = server;
  spool->max_size = max_upload;
  spool->fd = -1;
  if (dir != NULL)
    {
      spool->path = g_build_filename (dir, "spool-XXXXXX", NULL);
      spool->fd = g_mkstemp_full (spool->path, O_RDWR | O_CLOEXEC, 0600);
    }
  vi_local_server_unlock_store (server);

  if (spool->fd < 0)
    {
      g_warning ("cannot create an upload spool file: %s",
                 error != NULL ? error->message : g_strerror (errno));
      g_clear_pointer (&spool->path, g_free);
      spool->write_errno = errno != 0 ? errno : EIO;
    }

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), SPOOL_KEY, spool, spool_free);
  if (spool->fd >= 0)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (spool_got_chunk_cb), spool);
}

static void
handle_upload (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  const char *token = vi_server_request_get_param (req, "token");
  Spool *spool = g_object_get_data (G_OBJECT (req->msg), SPOOL_KEY);
  g_autofree char *dest = NULL;
  g_autofree char *got_b64 = NULL;
  ImportFile *file;
  ImportSession *s;

  if (spool == NULL || spool->fd < 0 || spool->write_errno != 0)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                     "cannot store the upload: %s",
                                     g_strerror (spool != NULL && spool->write_errno != 0
                                                 ? spool->write_errno : EIO));
      return;
    }

  vi_local_server_lock_store (req->server);
  file = g_hash_table_lookup (w->tokens, token);
  if (file == NULL)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN,
                                     "invalid upload URL: unknown or replaced token");
      return;
    }
  s = file->session;
  if (s->files_inserted)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_CONFLICT,
                                     "the session already has FilesInserted: uploads are closed");
      return;
    }
  if (now_ms () > s->upload_before)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "upload deadline passed");
      return;
    }

  g_clear_pointer (&file->reason, g_free);
  if (spool->size != file->size)
    {
      file->reason = g_strdup_printf ("size mismatch: expected %" G_GUINT64_FORMAT
                                      " bytes, got %" G_GUINT64_FORMAT,
                                      file->size, spool->size);
    }
  else if (spool->crc != file->crc)
    {
      got_b64 = vi_crc32c_to_base64 (spool->crc);
      file->reason = g_strdup_printf ("crc32c mismatch: expected %s, got %s",
                                      file->crc_b64, got_b64);
    }
  if (file->reason != NULL)
    {
      g_autofree char *message = g_strdup (file->reason);

      file->state = FILE_FAILED;
      if (file->path != NULL)
        g_unlink (file->path);
      g_clear_pointer (&file->path, g_free);
      session_touch (s);
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "%s", message);
      return;
    }

  dest = g_strdup_printf ("%s.upload", spool->path);
  if (g_rename (spool->path, dest) != 0)
    {
      int saved = errno;

      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                     "cannot store the upload: %s", g_strerror (saved));
      return;
    }
  g_clear_pointer (&spool->path, g_free);
  if (file->path != NULL)
    g_unlink (file->path);
  g_free (file->path);
  file->path = g_steal_pointer (&dest);
  file->state = FILE_UPLOADED;
  session_touch (s);
  vi_local_server_unlock_store (req->server);

  vi_server_request_reply_empty (req, SOUP_STATUS_OK);
}

/* ---- exports ------------------------------------------------------------ */

static void
handle_create_export (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *body, *spec, *options = NULL;
  const char *format;
  gboolean normalized = TRUE, has_split = FALSE;
  double split = 0.0;
  DatasetExport *e;
  ViStore *store;
  GString *out;

  body = parse_body (req, &root);
  if (body == NULL)
    return;
  spec = get_object (body, "spec");
  if (spec == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec is missing or not an object");
      return;
    }
  format = is_null (spec, "format") ? "ViFull" : get_string (spec, "format");
  if (format == NULL || (!g_str_equal (format, "ViJsonl") && !g_str_equal (format, "ViFull")))
    {
      vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                     "spec.format must be \"ViJsonl\" or \"ViFull\" "
                                     "(ViTfrecord is not supported by the local server)");
      return;
    }
  if (!is_null (spec, "options"))
    {
      options = get_object (spec, "options");
      if (options == NULL)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "spec.options must be an object");
          return;
        }
    }
  if (options != NULL && !is_null (options, "normalized"))
    {
      JsonNode *node = json_object_get_member (options, "normalized");

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "spec.options.normalized must be a boolean");
          return;
        }
      normalized = json_node_get_boolean (node);
    }
  if (options != NULL && !is_null (options, "splitRatio"))
    {
      JsonNode *node = json_object_get_member (options, "splitRatio");

      if (!JSON_NODE_HOLDS_VALUE (node) ||
          (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
           json_node_get_value_type (node) != G_TYPE_INT64) ||
          (split = json_node_get_double (node)) < 0.0 || split > 1.0)
        {
          vi_server_request_reply_error (req, SOUP_STATUS_BAD_REQUEST,
                                         "spec.options.splitRatio must be null or a number "
                                         "from 0 to 1");
          return;
        }
      has_split = TRUE;
    }

  store = vi_local_server_lock_store (req->server);
  if (vi_store_lookup_dataset (store, req->dataset_id) == NULL)
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "dataset “%s” not found", req->dataset_id);
      return;
    }
  e = g_new0 (DatasetExport, 1);
  do
    {
      g_free (e->id);
      e->id = random_string (20);
    }
  while (g_hash_table_contains (w->exports, e->id));
  e->dataset_id = g_strdup (req->dataset_id);
  e->format = g_strdup (format);
  e->normalized = normalized;
  e->has_split_ratio = has_split;
  e->split_ratio = split;
  e->time_created = e->last_updated = now_ms ();
  e->generation = 1;
  e->etag = random_etag ();
  e->ready.condition = g_strdup ("Ready");
  e->ready.status = g_strdup ("Waiting");
  e->ready.time = e->time_created;
  g_hash_table_insert (w->exports, e->id, e);
  g_ptr_array_add (w->export_order, e);
  queue_job (w, JOB_EXPORT, e->id);
  out = export_to_json (w, e);
  vi_local_server_unlock_store (req->server);

  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_get_export (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  const char *id = vi_server_request_get_param (req, "export");
  DatasetExport *e;
  GString *out;

  vi_local_server_lock_store (req->server);
  e = g_hash_table_lookup (w->exports, id);
  if (e == NULL || !g_str_equal (e->dataset_id, req->dataset_id))
    {
      vi_local_server_unlock_store (req->server);
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "dataset export “%s” not found in dataset “%s”",
                                     id, req->dataset_id);
      return;
    }
  out = export_to_json (w, e);
  vi_local_server_unlock_store (req->server);
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

static void
handle_list_exports (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  ViStore *store;
  GString *out = g_string_new ("{\"items\":[");
  gboolean first = TRUE;
  guint i;

  store = vi_local_server_lock_store (req->server);
  if (vi_store_lookup_dataset (store, req->dataset_id) == NULL)
    {
      vi_local_server_unlock_store (req->server);
      g_string_free (out, TRUE);
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "dataset “%s” not found", req->dataset_id);
      return;
    }
  for (i = 0; i < w->export_order->len; i++)
    {
      DatasetExport *e = g_ptr_array_index (w->export_order, i);
      GString *item;

      if (!g_str_equal (e->dataset_id, req->dataset_id))
        continue;
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      item = export_to_json (w, e);
      g_string_append_len (out, item->str, item->len);
      g_string_free (item, TRUE);
    }
  vi_local_server_unlock_store (req->server);
  g_string_append (out, "],\"nextPage\":null,\"prevPage\":null}");
  vi_server_request_reply_json (req, SOUP_STATUS_OK, out);
}

typedef struct {
  const char        *group;
  const char        *asset;
  ViStoreAnnotation *caption;
  GPtrArray         *boxes;
  GPtrArray         *vqa;
} ExportGroup;

static void
export_group_free (ExportGroup *g)
{
  g_ptr_array_unref (g->boxes);
  g_ptr_array_unref (g->vqa);
  g_free (g);
}

static int
compare_annotation_seq (gconstpointer a,
                        gconstpointer b)
{
  const ViStoreAnnotation *x = *(ViStoreAnnotation * const *) a;
  const ViStoreAnnotation *y = *(ViStoreAnnotation * const *) b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
append_export_head (GString           *out,
                    const ExportGroup *g)
{
  g_string_append (out, "{\"id\":");
  _vi_json_append_string (out, g->group);
  g_string_append (out, ",\"asset\":{\"type\":\"Image\",\"filename\":");
  _vi_json_append_string (out, g->asset);
  g_string_append (out, ",\"height\":0,\"width\":0,\"filepath\":null,\"url\":null}");
}

/* The dataset in the ViJsonl form (vi-api.md section 7.3), one line per
 * group of parts sharing whole.id, in the order the groups were created.
 * Called with the lock held. */
static guint
export_dataset_lines (ViStoreDataset *dataset,
                      GString        *out)
{
  g_autoptr(GPtrArray) anns = g_ptr_array_new ();
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) export_group_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer value;
  guint i, j, n_lines = 0;

  g_hash_table_iter_init (&iter, dataset->annotations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (anns, value);
  g_ptr_array_sort (anns, compare_annotation_seq);

  for (i = 0; i < anns->len; i++)
    {
      ViStoreAnnotation *ann = g_ptr_array_index (anns, i);
      ExportGroup *g = g_hash_table_lookup (by_id, ann->group_id);

      if (g == NULL)
        {
          g = g_new0 (ExportGroup, 1);
          g->group = ann->group_id;
          g->asset = ann->asset->id;
          g->boxes = g_ptr_array_new ();
          g->vqa = g_ptr_array_new ();
          g_hash_table_insert (by_id, (gpointer) g->group, g);
          g_ptr_array_add (groups, g);
        }
      switch (ann->kind)
        {
        case VI_STORE_PART_CAPTION:
          g->caption = ann;
          break;
        case VI_STORE_PART_BOX:
          g_ptr_array_add (g->boxes, ann);
          break;
        case VI_STORE_PART_VQA:
        default:
          g_ptr_array_add (g->vqa, ann);
          break;
        }
    }

  for (i = 0; i < groups->len; i++)
    {
      const ExportGroup *g = g_ptr_array_index (groups, i);

      /* Boxes whose caption part was deleted have no phrase text left:
       * they are not exported. */
      if (g->caption != NULL)
        {
          const char *caption = g->caption->text;
          glong n_chars = g_utf8_strlen (caption, -1);
          gboolean first = TRUE;

          append_export_head (out, g);
          g_string_append (out, ",\"contents\":{\"type\":\"PhraseGrounding\",\"caption\":");
          _vi_json_append_string (out, caption);
          g_string_append (out, ",\"groundedPhrases\":[");
          for (j = 0; j < g->boxes->len; j++)
            {
              const ViStoreAnnotation *box = g_ptr_array_index (g->boxes, j);
              const char *start, *end;

              if (box->target[0] < 0 || box->target[1] > n_chars ||
                  box->target[0] >= box->target[1])
                continue;
              start = g_utf8_offset_to_pointer (caption, box->target[0]);
              end = g_utf8_offset_to_pointer (caption, box->target[1]);
              if (!first)
                g_string_append_c (out, ',');
              first = FALSE;
              g_string_append (out, "{\"phrase\":");
              {
                g_autofree char *phrase = g_strndup (start, (gsize) (end - start));

                _vi_json_append_string (out, phrase);
              }
              g_string_append (out, ",\"startTokenIndex\":");
              _vi_json_append_int (out, box->target[0]);
              g_string_append (out, ",\"endTokenIndex\":");
              _vi_json_append_int (out, box->target[1]);
              g_string_append (out, ",\"bounds\":[[");
              vi_json_append_double (out, box->bbox.x_min);
              g_string_append_c (out, ',');
              vi_json_append_double (out, box->bbox.y_min);
              g_string_append_c (out, ',');
              vi_json_append_double (out, box->bbox.x_max);
              g_string_append_c (out, ',');
              vi_json_append_double (out, box->bbox.y_max);
              g_string_append (out, "]]}");
            }
          g_string_append (out, "]},\"category\":null}\n");
          n_lines++;
        }
      if (g->vqa->len > 0)
        {
          append_export_head (out, g);
          g_string_append (out, ",\"contents\":{\"type\":\"Vqa\",\"interactions\":[");
          for (j = 0; j < g->vqa->len; j++)
            {
              const ViStoreAnnotation *vqa = g_ptr_array_index (g->vqa, j);

              if (j > 0)
                g_string_append_c (out, ',');
              g_string_append (out, "{\"order\":");
              _vi_json_append_int (out, j);
              g_string_append (out, ",\"question\":");
              _vi_json_append_string (out, vqa->text);
              g_string_append (out, ",\"answer\":");
              _vi_json_append_string (out, vqa->answer);
              g_string_append_c (out, '}');
            }
          g_string_append (out, "]},\"category\":null}\n");
          n_lines++;
        }
    }
  return n_lines;
}

static void
process_export (ViServerWrite *w,
                const char    *id,
                gint64         queued)
{
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autoptr(GString) metadata = g_string_new (NULL);
  g_autoptr(ViZipWriter) zip = NULL;
  g_autoptr(GBytes) archive = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dataset_id = NULL;
  g_autofree char *org = NULL;
  g_autofree char *format = NULL;
  ViStoreDataset *dataset;
  const char *dir;
  DatasetExport *e;
  ViStore *store;
  gboolean normalized;
  guint n_lines = 0;
  gint64 now;

  store = vi_local_server_lock_store (w->server);
  if (!wait_processing_delay (w, queued) ||
      (e = g_hash_table_lookup (w->exports, id)) == NULL)
    {
      vi_local_server_unlock_store (w->server);
      return;
    }
  dataset_id = g_strdup (e->dataset_id);
  format = g_strdup (e->format);
  normalized = e->normalized;
  org = g_strdup (vi_store_get_organization_id (store));
  dataset = vi_store_lookup_dataset (store, dataset_id);
  if (dataset != NULL)
    n_lines = export_dataset_lines (dataset, lines);
  dir = ensure_work_dir (w, &error);
  if (dir != NULL)
    path = g_build_filename (dir, id, NULL);
  vi_local_server_unlock_store (w->server);

  now = now_ms ();
  g_string_append (metadata, "{\"workspaceId\":");
  _vi_json_append_string (metadata, org);
  g_string_append (metadata, ",\"datasetId\":");
  {
    g_autofree char *composite = g_strconcat (org, "_", dataset_id, NULL);

    _vi_json_append_string (metadata, composite);
  }
  g_string_append (metadata, ",\"datasetExportId\":");
  _vi_json_append_string (metadata, id);
  g_string_append (metadata, ",\"format\":");
  _vi_json_append_string (metadata, format);
  g_string_append_printf (metadata, ",\"normalized\":%s,\"timeCreated\":",
                          normalized ? "true" : "false");
  _vi_json_append_int (metadata, now);
  g_string_append (metadata, ",\"annotationFiles\":[\"dump/annotations/annotations.jsonl\"]"
                             ",\"lines\":");
  _vi_json_append_int (metadata, n_lines);
  g_string_append (metadata, "}\n");

  zip = vi_zip_writer_new ();
  if (path != NULL &&
      vi_zip_writer_add (zip, "metadata.json", (const guint8 *) metadata->str,
                         metadata->len, &error) &&
      vi_zip_writer_add (zip, "dump/annotations/annotations.jsonl",
                         (const guint8 *) lines->str, lines->len, &error))
    {
      archive = vi_zip_writer_finish (zip);
      if (!g_file_set_contents_full (path, g_bytes_get_data (archive, NULL),
                                     (gssize) g_bytes_get_size (archive),
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
        g_clear_pointer (&archive, g_bytes_unref);
    }

  vi_local_server_lock_store (w->server);
  e = g_hash_table_lookup (w->exports, id);
  if (e != NULL && !w->shutdown)
    {
      g_free (e->ready.status);
      e->ready.time = MAX (now_ms (), e->ready.time);
      if (archive != NULL)
        {
          e->ready.status = g_strdup ("Reached");
          e->path = g_steal_pointer (&path);
          e->expires_at = now_ms () + DOWNLOAD_LIFETIME_MS;
        }
      else
        {
          e->ready.status = g_strdup ("FailedReach");
          e->message = g_strdup_printf ("cannot write the archive: %s",
                                        error != NULL ? error->message : "no work directory");
        }
      e->last_updated = MAX (now_ms (), e->last_updated);
      e->generation++;
      g_free (e->etag);
      e->etag = random_etag ();
    }
  vi_local_server_unlock_store (w->server);
}

/* ---- downloads ---------------------------------------------------------- */

/* Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n".  Returns 0 when
 * there is no usable single range (the whole file is sent), 206 with the
 * range set, or 416. */
static guint
parse_range (const char *header,
             guint64     total,
             guint64    *start,
             guint64    *end)
{
  const char *p, *dash;
  guint64 a, b;
  char *endp;

  if (header == NULL)
    return 0;
  while (g_ascii_isspace (*header))
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return 0;
  p = header + 6;
  if (strchr (p, ',') != NULL)
    return 0;
  dash = strchr (p, '-');
  if (dash == NULL)
    return 0;

  if (dash == p)
    {
      /* The last n bytes. */
      b = g_ascii_strtoull (dash + 1, &endp, 10);
      if (endp == dash + 1 || *endp != '\0')
        return 0;
      if (b == 0 || total == 0)
        return 416;
      *start = b >= total ? 0 : total - b;
      *end = total - 1;
      return 206;
    }

  a = g_ascii_strtoull (p, &endp, 10);
  if (endp != dash)
    return 0;
  if (dash[1] == '\0')
    {
      b = total - 1;
    }
  else
    {
      b = g_ascii_strtoull (dash + 1, &endp, 10);
      if (*endp != '\0')
        return 0;
      if (b < a)
        return 0;
    }
  if (a >= total)
    return 416;
  *start = a;
  *end = MIN (b, total - 1);
  return 206;
}

static void
handle_download (ViServerRequest *req)
{
  ViServerWrite *w = vi_local_server_get_write (req->server);
  const char *file = vi_server_request_get_param (req, "file");
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (req->msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  guint64 total, start = 0, end = 0;
  DatasetExport *e;
  gboolean expired = FALSE;
  guint status;

  if (g_str_has_suffix (file, ".zip"))
    id = g_strndup (file, strlen (file) - 4);

  vi_local_server_lock_store (req->server);
  e = id != NULL ? g_hash_table_lookup (w->exports, id) : NULL;
  if (e != NULL && e->path != NULL)
    {
      path = g_strdup (e->path);
      expired = now_ms () > e->expires_at;
    }
  vi_local_server_unlock_store (req->server);

  if (path == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_NOT_FOUND,
                                     "no such download: “%s”", file);
      return;
    }
  if (expired)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "the download URL expired");
      return;
    }

  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL)
    {
      vi_server_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                     "cannot read the archive: %s", error->message);
      return;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  total = g_bytes_get_size (bytes);

  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  soup_message_headers_replace (headers, "Content-Type", "application/zip");

  status = g_str_equal (req->method, SOUP_METHOD_GET)
           ? parse_range (soup_message_headers_get_one (request_headers, "Range"),
                          total, &start, &end)
           : 0;
  if (status == 416)
    {
      g_autofree char *range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, total);

      soup_message_headers_replace (headers, "Content-Range", range);
      vi_server_request_reply_error (req, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                                     "the range is outside the %" G_GUINT64_FORMAT
                                     " bytes of the file", total);
      return;
    }

  soup_server_message_set_status (req->msg, status == 206 ? SOUP_STATUS_PARTIAL_CONTENT
                                                          : SOUP_STATUS_OK, NULL);
  soup_message_body_truncate (soup_server_message_get_response_body (req->msg));
  if (status == 206)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (bytes, start, end - start + 1);
      g_autofree char *range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%"
                                                G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                                start, end, total);

      soup_message_headers_replace (headers, "Content-Range", range);
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), part);
    }
  else
    {
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), bytes);
    }
}

/* ---- the pool ----------------------------------------------------------- */

static void
worker_func (gpointer data,
             gpointer user_data)
{
  Job *job = data;
  ViServerWrite *w = user_data;

  if (job->kind == JOB_IMPORT)
    process_import (w, job->id, job->queued);
  else
    process_export (w, job->id, job->queued);
  g_free (job->id);
  g_free (job);
}

const ViServerRoute vi_server_write_routes[] = {
  { "POST", "/workspaces/{org}/datasets/{dataset}/annotationImportSessions", handle_create_session },
  { "GET", "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}", handle_get_session },
  { "POST", "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}/files", handle_register_files },
  { "PATCH", "/workspaces/{org}/datasets/{dataset}/annotationImportSessions/{session}/status", handle_patch_status },
  { "POST", "/workspaces/{org}/datasets/{dataset}/datasetExports", handle_create_export },
  { "GET", "/workspaces/{org}/datasets/{dataset}/datasetExports", handle_list_exports },
  { "GET", "/workspaces/{org}/datasets/{dataset}/datasetExports/{export}", handle_get_export },
  { NULL, NULL, NULL },
};

/* Reached without authentication: the token or the export id is the
 * credential, as with the signed URLs of the real service. */
const ViServerRoute vi_server_public_routes[] = {
  { "PUT", "/upload/{token}", handle_upload },
  { "GET", "/downloads/{file}", handle_download },
  { NULL, NULL, NULL },
};
