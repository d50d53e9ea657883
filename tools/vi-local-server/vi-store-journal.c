/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The data directory: journal lines and their writing, transactions,
 * snapshots (compaction) and loading the directory again.  The format is
 * described in vi-store.h.
 */
#include "config.h"

#include "vi-store-private.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* ---- journal lines ------------------------------------------------------ */

static const char *
part_kind_name (ViStorePartKind kind)
{
  return vi_store_part_bound_type (kind);
}

/* @seq is the part's sequence number, or in a transaction its offset from
 * the transaction's seqBase. */
void
vi_store_append_put_line (GString                 *out,
                          const char              *dataset_id,
                          const char              *asset_id,
                          guint64                  seq,
                          const ViStoreAnnotation *ann)
{
  APPEND_LITERAL (out, "{\"op\":\"put\",\"dataset\":");
  vi_json_append_string (out, dataset_id);
  APPEND_LITERAL (out, ",\"asset\":");
  vi_json_append_string (out, asset_id);
  APPEND_LITERAL (out, ",\"seq\":");
  vi_json_append_int (out, (gint64) seq);
  APPEND_LITERAL (out, ",\"id\":");
  vi_json_append_string (out, ann->id);
  APPEND_LITERAL (out, ",\"group\":");
  vi_json_append_string (out, ann->group_id);
  APPEND_LITERAL (out, ",\"kind\":\"");
  g_string_append (out, part_kind_name (ann->kind));
  g_string_append_c (out, '"');
  switch (ann->kind) {
    case VI_STORE_PART_CAPTION:
      APPEND_LITERAL (out, ",\"text\":");
      vi_json_append_string (out, ann->text);
      break;
    case VI_STORE_PART_BOX:
      APPEND_LITERAL (out, ",\"bbox\":[");
      vi_server_json_append_double (out, ann->bbox.x_min);
      g_string_append_c (out, ',');
      vi_server_json_append_double (out, ann->bbox.y_min);
      g_string_append_c (out, ',');
      vi_server_json_append_double (out, ann->bbox.x_max);
      g_string_append_c (out, ',');
      vi_server_json_append_double (out, ann->bbox.y_max);
      APPEND_LITERAL (out, "],\"target\":[");
      vi_json_append_int (out, ann->target[0]);
      g_string_append_c (out, ',');
      vi_json_append_int (out, ann->target[1]);
      g_string_append_c (out, ']');
      break;
    case VI_STORE_PART_VQA:
    default:
      APPEND_LITERAL (out, ",\"text\":");
      vi_json_append_string (out, ann->text);
      APPEND_LITERAL (out, ",\"answer\":");
      vi_json_append_string (out, ann->answer);
      break;
  }
  APPEND_LITERAL (out, ",\"created\":");
  vi_json_append_int (out, ann->time_created);
  APPEND_LITERAL (out, ",\"updated\":");
  vi_json_append_int (out, ann->last_updated);
  APPEND_LITERAL (out, ",\"generation\":");
  vi_json_append_int (out, ann->generation);
  APPEND_LITERAL (out, ",\"etag\":");
  vi_json_append_string (out, ann->etag);
  APPEND_LITERAL (out, "}\n");
}

void
vi_store_append_simple_line (GString    *out,
                             const char *op,
                             const char *dataset_id,
                             const char *key,
                             const char *value)
{
  APPEND_LITERAL (out, "{\"op\":");
  vi_json_append_string (out, op);
  APPEND_LITERAL (out, ",\"dataset\":");
  vi_json_append_string (out, dataset_id);
  if (key != NULL) {
    g_string_append_c (out, ',');
    vi_json_append_string (out, key);
    g_string_append_c (out, ':');
    vi_json_append_string (out, value);
  }
  APPEND_LITERAL (out, "}\n");
}

int
vi_store_open_file (const char *path, int flags, int mode, GError **error)
{
  int fd = g_open (path, flags, mode);

  if (fd < 0) {
    int errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                 "cannot open %s: %s", path, g_strerror (errsv));
  }
  return fd;
}

gboolean
vi_store_write_all (int         fd,
                    const char *what,
                    const char *data,
                    gsize       len,
                    GError    **error)
{
  while (len > 0) {
    gssize n = write (fd, data, len);

    if (n < 0) {
      int errsv = errno;

      if (errsv == EINTR)
        continue;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot write %s: %s", what, g_strerror (errsv));
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return TRUE;
}

gboolean
vi_store_journal_flush_spool (ViStoreBatch *batch, GError **error)
{
  if (batch->spool_fd < 0 || batch->lines->len == 0)
    return TRUE;
  if (!vi_store_write_all (batch->spool_fd, batch->spool_path,
                           batch->lines->str, batch->lines->len, error))
    return FALSE;
  batch->spool_bytes += batch->lines->len;
  g_string_truncate (batch->lines, 0);
  return TRUE;
}

static gboolean store_compact (ViStore *store, GError **error);

/* Appends complete lines to the journal, before the caller applies them in
 * memory.  A failed write is cut off again, so the journal never keeps a
 * torn line in its middle. */
gboolean
vi_store_journal_append (ViStore *store,
                         GString *lines,
                         guint64  n_ops,
                         GError **error)
{
  off_t start;

  if (store->dir == NULL || lines->len == 0)
    return TRUE;

  start = lseek (store->journal_fd, 0, SEEK_END);
  if (!vi_store_write_all (store->journal_fd, "the journal", lines->str,
                           lines->len, error)) {
    if (start >= 0 && ftruncate (store->journal_fd, start) != 0)
      g_warning ("cannot cut the journal in %s back: %s", store->dir,
                 g_strerror (errno));
    return FALSE;
  }
  store->journal_ops += n_ops;
  return TRUE;
}

/* Called after a mutation has been applied. */
void
vi_store_journal_maybe_compact (ViStore *store)
{
  g_autoptr (GError) error = NULL;

  if (store->dir == NULL ||
      store->journal_ops <= COMPACT_MIN_OPS + store->n_annotations)
    return;

  /* Not fatal: the journal still holds everything. */
  if (!store_compact (store, &error))
    g_warning ("cannot write a snapshot in %s: %s", store->dir, error->message);
}

void
vi_store_append_record_line (GString    *out,
                             const char *kind,
                             const char *id,
                             const char *json)
{
  APPEND_LITERAL (out, "{\"op\":\"record\",\"kind\":");
  vi_json_append_string (out, kind);
  APPEND_LITERAL (out, ",\"id\":");
  vi_json_append_string (out, id);
  APPEND_LITERAL (out, ",\"value\":");
  g_string_append (out, json);
  APPEND_LITERAL (out, "}\n");
}
/* Copies the batch's lines into the journal.  Called with everything
 * before them written; the caller cuts the journal back on failure. */
static gboolean
journal_copy_batch (ViStore *store, ViStoreBatch *batch, GError **error)
{
  if (batch->spool_fd >= 0) {
    g_autofree char *buf = g_malloc (SPOOL_CHUNK);
    guint64          done = 0;

    if (!vi_store_journal_flush_spool (batch, error))
      return FALSE;
    while (done < batch->spool_bytes) {
      gssize n =
          pread (batch->spool_fd, buf,
                 (gsize) MIN ((guint64) SPOOL_CHUNK, batch->spool_bytes - done),
                 (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        int errsv = n < 0 ? errno : EIO;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                     "cannot read %s: %s", batch->spool_path,
                     g_strerror (errsv));
        return FALSE;
      }
      if (!vi_store_write_all (store->journal_fd, "the journal", buf, (gsize) n,
                               error))
        return FALSE;
      done += (guint64) n;
    }
    return TRUE;
  }
  return vi_store_write_all (store->journal_fd, "the journal",
                             batch->lines->str, batch->lines->len, error);
}

/* Appends a transaction: {"op":"begin","seqBase":N,"bytes":B}, B bytes of
 * lines (head, the batch's put lines, tail), {"op":"commit"}.  Loading
 * applies it only when the commit line is where "bytes" says, so a crash
 * in the middle of writing it leaves none of it. */
gboolean
vi_store_journal_append_transaction (ViStore      *store,
                                     guint64       seq_base,
                                     GString      *head,
                                     ViStoreBatch *batch,
                                     GString      *tail,
                                     GError      **error)
{
  g_autoptr (GString) begin = g_string_new (NULL);
  guint64 bytes = head->len + batch->spool_bytes + batch->lines->len +
      tail->len;
  off_t start;

  APPEND_LITERAL (begin, "{\"op\":\"begin\",\"seqBase\":");
  vi_json_append_int (begin, (gint64) seq_base);
  APPEND_LITERAL (begin, ",\"bytes\":");
  vi_json_append_int (begin, (gint64) bytes);
  APPEND_LITERAL (begin, "}\n");
  g_string_append_len (begin, head->str, head->len);

  start = lseek (store->journal_fd, 0, SEEK_END);
  if (!vi_store_write_all (store->journal_fd, "the journal", begin->str,
                           begin->len, error) ||
      !journal_copy_batch (store, batch, error) ||
      !vi_store_write_all (store->journal_fd, "the journal", tail->str,
                           tail->len, error) ||
      !vi_store_write_all (store->journal_fd, "the journal", COMMIT_LINE,
                           sizeof COMMIT_LINE - 1, error)) {
    if (start >= 0 && ftruncate (store->journal_fd, start) != 0)
      g_warning ("cannot cut the journal in %s back: %s", store->dir,
                 g_strerror (errno));
    return FALSE;
  }
  store->journal_ops += batch->parts->len + 2;
  return TRUE;
}

/* ---- snapshot and loading ----------------------------------------------- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
store_compact (ViStore *store, GError **error)
{
  g_autofree char *path = g_build_filename (store->dir, SNAPSHOT_NAME, NULL);
  g_autoptr (GString)
      out = g_string_sized_new (256 * store->n_annotations + 256);
  g_autofree gpointer *dataset_ids = NULL;
  guint                n_datasets, i;

  APPEND_LITERAL (out,
                  "{\"op\":\"header\",\"format\":\"" STORE_FORMAT
                  "\",\"version\":");
  vi_json_append_int (out, STORE_VERSION);
  APPEND_LITERAL (out, ",\"nextSeq\":");
  vi_json_append_int (out, (gint64) store->next_seq);
  APPEND_LITERAL (out, ",\"organizationId\":");
  vi_json_append_string (out, store->org);
  APPEND_LITERAL (out, "}\n");

  dataset_ids = g_hash_table_get_keys_as_array (store->datasets, &n_datasets);
  qsort (dataset_ids, n_datasets, sizeof (gpointer), compare_strings);
  for (i = 0; i < n_datasets; i++) {
    ViStoreDataset      *dataset = g_hash_table_lookup (store->datasets,
                                                        dataset_ids[i]);
    g_autofree gpointer *asset_ids = NULL;
    guint                n_assets, j;

    vi_store_append_simple_line (out, "dataset", dataset->id, NULL, NULL);
    asset_ids = g_hash_table_get_keys_as_array (dataset->assets, &n_assets);
    qsort (asset_ids, n_assets, sizeof (gpointer), compare_strings);
    for (j = 0; j < n_assets; j++) {
      ViStoreAsset *asset = g_hash_table_lookup (dataset->assets, asset_ids[j]);
      GSequenceIter *it;

      vi_store_append_simple_line (out, "asset", dataset->id, "asset",
                                   asset->id);
      for (it = g_sequence_get_begin_iter (asset->annotations);
           !g_sequence_iter_is_end (it); it = g_sequence_iter_next (it)) {
        const ViStoreAnnotation *ann = g_sequence_get (it);

        vi_store_append_put_line (out, dataset->id, asset->id, ann->seq, ann);
      }
    }
  }

  {
    guint                n_kinds;
    g_autofree gpointer *kinds = g_hash_table_get_keys_as_array (store->records,
                                                                 &n_kinds);

    qsort (kinds, n_kinds, sizeof (gpointer), compare_strings);
    for (i = 0; i < n_kinds; i++) {
      GHashTable *of_kind = g_hash_table_lookup (store->records, kinds[i]);
      g_autofree gpointer *ids = NULL;
      guint                n_ids, j;

      ids = g_hash_table_get_keys_as_array (of_kind, &n_ids);
      qsort (ids, n_ids, sizeof (gpointer), compare_strings);
      for (j = 0; j < n_ids; j++)
        vi_store_append_record_line (out, kinds[i], ids[j],
                                     g_hash_table_lookup (of_kind, ids[j]));
    }
  }

  if (!g_file_set_contents_full (path, out->str, out->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;

  /* The snapshot now holds everything; a failure here only means the
   * journal is replayed once more next time, which is harmless. */
  if (ftruncate (store->journal_fd, 0) != 0)
    g_warning ("cannot truncate the journal in %s: %s", store->dir,
               g_strerror (errno));
  store->journal_ops = 0;
  return TRUE;
}

static JsonNode *
get_member (JsonObject *obj, const char *name, GType type, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "missing “%s”", name);
    return NULL;
  }
  if (type == JSON_TYPE_ARRAY) {
    if (!JSON_NODE_HOLDS_ARRAY (node))
      goto wrong_type;
  } else if (!JSON_NODE_HOLDS_VALUE (node) ||
             (json_node_get_value_type (node) != type &&
              !(type == G_TYPE_DOUBLE &&
                json_node_get_value_type (node) == G_TYPE_INT64))) {
    goto wrong_type;
  }
  return node;

wrong_type:
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
               "“%s” has the wrong type", name);
  return NULL;
}

static const char *
get_string (JsonObject *obj, const char *name, GError **error)
{
  JsonNode   *node = get_member (obj, name, G_TYPE_STRING, error);
  const char *str;

  if (node == NULL)
    return NULL;
  str = json_node_get_string (node);
  if (!g_utf8_validate (str, -1, NULL)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "“%s” is not UTF-8",
                 name);
    return NULL;
  }
  return str;
}

static gboolean
get_int (JsonObject *obj, const char *name, gint64 *out, GError **error)
{
  JsonNode *node = get_member (obj, name, G_TYPE_INT64, error);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_numbers (JsonObject *obj,
             const char *name,
             double     *out,
             guint       n,
             GError    **error)
{
  JsonNode  *node = get_member (obj, name, JSON_TYPE_ARRAY, error);
  JsonArray *array;
  guint      i;

  if (node == NULL)
    return FALSE;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != n)
    goto wrong;
  for (i = 0; i < n; i++) {
    JsonNode *element = json_array_get_element (array, i);

    if (!JSON_NODE_HOLDS_VALUE (element))
      goto wrong;
    if (json_node_get_value_type (element) == G_TYPE_DOUBLE)
      out[i] = json_node_get_double (element);
    else if (json_node_get_value_type (element) == G_TYPE_INT64)
      out[i] = (double) json_node_get_int (element);
    else
      goto wrong;
  }
  return TRUE;

wrong:
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
               "“%s” must hold %u numbers", name, n);
  return FALSE;
}

static ViStoreDataset *
load_dataset (ViStore *store, JsonObject *obj, GError **error)
{
  const char *dataset_id = get_string (obj, "dataset", error);

  if (dataset_id == NULL)
    return NULL;
  if (!vi_store_dataset_id_is_valid (dataset_id)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "invalid dataset id “%s”", dataset_id);
    return NULL;
  }
  return vi_store_get_dataset (store, dataset_id);
}

static gboolean
load_put (ViStore *store, JsonObject *obj, GError **error)
{
  ViStoreDataset    *dataset;
  const char        *asset_id, *id, *group, *kind, *etag;
  gint64             seq, created, updated, generation;
  ViStoreAnnotation *ann;

  if ((dataset = load_dataset (store, obj, error)) == NULL ||
      (asset_id = get_string (obj, "asset", error)) == NULL ||
      (id = get_string (obj, "id", error)) == NULL ||
      (group = get_string (obj, "group", error)) == NULL ||
      (kind = get_string (obj, "kind", error)) == NULL ||
      (etag = get_string (obj, "etag", error)) == NULL ||
      !get_int (obj, "seq", &seq, error) ||
      !get_int (obj, "created", &created, error) ||
      !get_int (obj, "updated", &updated, error) ||
      !get_int (obj, "generation", &generation, error))
    return FALSE;

  /* In a transaction, seq counts from its seqBase. */
  if (seq >= 0 && (guint64) seq <= G_MAXINT64 - store->load_seq_base)
    seq += (gint64) store->load_seq_base;
  if (*asset_id == '\0' || !vi_store_annotation_id_is_valid (id) ||
      !vi_store_annotation_id_is_valid (group) || seq <= 0) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "invalid asset, id, group or seq");
    return FALSE;
  }

  ann = g_new0 (ViStoreAnnotation, 1);
  ann->seq = (guint64) seq;
  ann->id = g_strdup (id);
  ann->group_id = g_ref_string_new_intern (group);
  ann->time_created = created;
  ann->last_updated = updated;
  ann->generation = generation;
  ann->etag = g_strdup (etag);

  if (g_str_equal (kind, "caption")) {
    const char *text = get_string (obj, "text", error);

    ann->kind = VI_STORE_PART_CAPTION;
    if (text == NULL)
      goto error;
    ann->text = g_strdup (text);
  } else if (g_str_equal (kind, "box")) {
    double bbox[4], target[2];

    ann->kind = VI_STORE_PART_BOX;
    if (!get_numbers (obj, "bbox", bbox, 4, error) ||
        !get_numbers (obj, "target", target, 2, error))
      goto error;
    ann->bbox.x_min = bbox[0];
    ann->bbox.y_min = bbox[1];
    ann->bbox.x_max = bbox[2];
    ann->bbox.y_max = bbox[3];
    ann->target[0] = (int) target[0];
    ann->target[1] = (int) target[1];
  } else if (g_str_equal (kind, "vqa")) {
    const char *question, *answer;

    ann->kind = VI_STORE_PART_VQA;
    if ((question = get_string (obj, "text", error)) == NULL ||
        (answer = get_string (obj, "answer", error)) == NULL)
      goto error;
    ann->text = g_strdup (question);
    ann->answer = g_strdup (answer);
  } else {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "unknown kind “%s”",
                 kind);
    goto error;
  }

  vi_store_insert_part (store, vi_store_dataset_get_asset (dataset, asset_id),
                        ann);
  return TRUE;

error:
  vi_store_annotation_free (ann);
  return FALSE;
}

static gboolean
load_op (ViStore *store, JsonObject *obj, GError **error)
{
  const char     *op = get_string (obj, "op", error);
  ViStoreDataset *dataset;

  if (op == NULL)
    return FALSE;

  if (g_str_equal (op, "put"))
    return load_put (store, obj, error);

  if (g_str_equal (op, "header")) {
    const char *format = get_string (obj, "format", error);
    gint64      version, next_seq;

    if (format == NULL || !get_int (obj, "version", &version, error) ||
        !get_int (obj, "nextSeq", &next_seq, error))
      return FALSE;
    if (!g_str_equal (format, STORE_FORMAT) || version > STORE_VERSION) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "not a store of this version of vi-local-server (%s version %" G_GINT64_FORMAT
                   ")",
                   format, version);
      return FALSE;
    }
    if (next_seq > 0 && (guint64) next_seq > store->next_seq)
      store->next_seq = next_seq;
    return TRUE;
  }

  if (g_str_equal (op, "record")) {
    const char      *kind, *id;
    JsonNode        *value = json_object_get_member (obj, "value");
    g_autofree char *json = NULL;

    if ((kind = get_string (obj, "kind", error)) == NULL ||
        (id = get_string (obj, "id", error)) == NULL)
      return FALSE;
    if (value == NULL) {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                           "missing “value”");
      return FALSE;
    }
    json = json_to_string (value, FALSE);
    vi_store_records_put (store, kind, id, json);
    return TRUE;
  }

  if ((dataset = load_dataset (store, obj, error)) == NULL)
    return FALSE;

  if (g_str_equal (op, "dataset"))
    return TRUE;
  if (g_str_equal (op, "clear")) {
    vi_store_dataset_clear (store, dataset);
    return TRUE;
  }
  if (g_str_equal (op, "asset")) {
    const char *asset_id = get_string (obj, "asset", error);

    if (asset_id == NULL)
      return FALSE;
    vi_store_dataset_get_asset (dataset, asset_id);
    return TRUE;
  }
  if (g_str_equal (op, "delete")) {
    const char        *id = get_string (obj, "id", error);
    ViStoreAnnotation *ann;

    if (id == NULL)
      return FALSE;
    ann = vi_store_dataset_lookup_annotation (dataset, id);
    if (ann != NULL)
      vi_store_remove_part (store, ann);
    return TRUE;
  }

  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "unknown operation “%s”",
               op);
  return FALSE;
}

static gboolean
load_file (ViStore *store, const char *path, guint64 *n_ops, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  const char *txn_end = NULL; /* where the open transaction's commit line is */
  gsize       length;
  char       *line, *end;
  guint       line_no = 0;

  *n_ops = 0;
  store->load_seq_base = 0;
  if (!g_file_get_contents (path, &contents, &length, &local_error)) {
    if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }

  for (line = contents; line < contents + length; line = end + 1) {
    g_autoptr (JsonNode) root = NULL;
    const char *op;

    line_no++;
    end = memchr (line, '\n', contents + length - line);
    if (end == NULL) {
      /* Every record ends with a newline: this is a write that was cut
           * short by a crash, and it was never applied. */
      g_warning ("%s:%u: ignoring an incomplete last line", path, line_no);
      break;
    }

    if (txn_end != NULL && line >= txn_end) {
      /* "bytes" of the begin line led exactly here, and the commit
           * line was checked to be here. */
      if (line != txn_end) {
        g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                             "a transaction does not end where its “bytes” say");
        goto bad_line;
      }
      txn_end = NULL;
      store->load_seq_base = 0;
      (*n_ops)++;
      continue;
    }
    if (end == line)
      continue;

    root = vi_server_json_parse (line, end - line, &local_error);
    if (root == NULL)
      goto bad_line;
    if (!JSON_NODE_HOLDS_OBJECT (root)) {
      g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                           "not a JSON object");
      goto bad_line;
    }

    op = get_string (json_node_get_object (root), "op", &local_error);
    if (op == NULL)
      goto bad_line;
    if (g_str_equal (op, "begin")) {
      JsonObject *obj = json_node_get_object (root);
      gint64      seq_base, bytes;

      if (txn_end != NULL) {
        g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                             "a transaction begins inside another");
        goto bad_line;
      }
      if (!get_int (obj, "seqBase", &seq_base, &local_error) ||
          !get_int (obj, "bytes", &bytes, &local_error))
        goto bad_line;
      if (seq_base <= 0 || bytes < 0) {
        g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                             "invalid seqBase or bytes");
        goto bad_line;
      }
      /* Applied only when complete: a crash while it was written (it is
           * always the end of the journal then) leaves nothing of it. */
      if ((guint64) bytes > (guint64) (contents + length - (end + 1)) ||
          (gsize) (contents + length - (end + 1 + bytes)) <
              sizeof COMMIT_LINE - 1 ||
          memcmp (end + 1 + bytes, COMMIT_LINE, sizeof COMMIT_LINE - 1) != 0) {
        g_warning ("%s:%u: ignoring a transaction of %" G_GINT64_FORMAT
                   " bytes that "
                   "was not completely written (an import interrupted by a crash)",
                   path, line_no, bytes);
        break;
      }
      txn_end = end + 1 + bytes;
      store->load_seq_base = (guint64) seq_base;
      (*n_ops)++;
      continue;
    }
    if (g_str_equal (op, "commit")) {
      g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                           "a commit outside a transaction");
      goto bad_line;
    }
    if (!load_op (store, json_node_get_object (root), &local_error))
      goto bad_line;
    (*n_ops)++;
  }
  store->load_seq_base = 0;
  return TRUE;

bad_line:
  store->load_seq_base = 0;
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "%s:%u: %s", path,
               line_no, local_error->message);
  return FALSE;
}

gboolean
vi_store_open_dir (ViStore *store, const char *dir, GError **error)
{
  g_autofree char *snapshot = g_build_filename (dir, SNAPSHOT_NAME, NULL);
  g_autofree char *journal = g_build_filename (dir, JOURNAL_NAME, NULL);
  guint64          n_snapshot, n_journal;
  int              fd;

  g_return_val_if_fail (store->dir == NULL, FALSE);

  if (g_hash_table_size (store->datasets) > 0) {
    g_set_error_literal (
        error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "the data directory must be set before anything is loaded");
    return FALSE;
  }

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    int errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                 "cannot create the data directory %s: %s", dir,
                 g_strerror (errsv));
    return FALSE;
  }

  if (!load_file (store, snapshot, &n_snapshot, error) ||
      !load_file (store, journal, &n_journal, error))
    goto fail;

  fd = vi_store_open_file (journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                           0644, error);
  if (fd < 0)
    goto fail;

  store->journal_fd = fd;
  store->dir = g_strdup (dir);
  store->journal_ops = n_journal;

  /* Start from a fresh snapshot and an empty journal; this also drops an
   * incomplete last line of the journal, which must not stay in front of
   * new records. */
  if (!store_compact (store, error)) {
    close (store->journal_fd);
    store->journal_fd = -1;
    g_clear_pointer (&store->dir, g_free);
    goto fail;
  }
  return TRUE;

fail:
  g_hash_table_remove_all (store->datasets);
  g_hash_table_remove_all (store->records);
  store->n_annotations = 0;
  store->next_seq = 1;
  return FALSE;
}
