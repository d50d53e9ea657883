/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * What changes the store: datasets made and cleared, parts deleted,
 * records set, each written to the journal before it is applied in
 * memory; and batches: records checked and made into parts without the
 * store (so without the lock), their journal lines spooled to a file when
 * asked, then added at once by vi_store_commit().
 */
#include "config.h"

#include "vi-store-private.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

static gboolean
check_utf8 (const char *str, const char *what, guint index, GError **error)
{
  if (str == NULL || g_utf8_validate (str, -1, NULL))
    return TRUE;
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
               "record %u: the %s is not valid UTF-8", index + 1, what);
  return FALSE;
}

static gboolean
check_record (ViJsonlRecord *record, guint index, GError **error)
{
  const char *asset_id = vi_jsonl_record_get_asset_id (record);
  guint       n_phrases = vi_jsonl_record_get_n_phrases (record);
  guint       n_interactions = vi_jsonl_record_get_n_interactions (record);
  g_autoptr (GError) local_error = NULL;
  guint i;

  if (asset_id == NULL || *asset_id == '\0' ||
      strlen (asset_id) > MAX_ASSET_ID_LEN) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "record %u: the asset id must have 1 to %d bytes", index + 1,
                 MAX_ASSET_ID_LEN);
    return FALSE;
  }
  if (!check_utf8 (asset_id, "asset id", index, error) ||
      !check_utf8 (vi_jsonl_record_get_caption (record), "caption", index,
                   error))
    return FALSE;

  for (i = 0; i < n_phrases; i++) {
    const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, i);
    const ViBBox           *b = &phrase->bbox;

    if (!check_utf8 (phrase->phrase, "phrase", index, error))
      return FALSE;
    if (!(isfinite (b->x_min) && isfinite (b->y_min) && isfinite (b->x_max) &&
          isfinite (b->y_max) && b->x_min >= 0.0 && b->y_min >= 0.0 &&
          b->x_max <= 1.0 && b->y_max <= 1.0 && b->x_min < b->x_max &&
          b->y_min < b->y_max)) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "record %u (asset “%s”): the box of phrase %u is not a "
                   "normalized box with min < max",
                   index + 1, asset_id, i + 1);
      return FALSE;
    }
  }

  if (n_phrases > 0 && !vi_jsonl_record_compute_spans (record, &local_error)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                 "record %u (asset “%s”): %s", index + 1, asset_id,
                 local_error->message);
    return FALSE;
  }
  for (i = 0; i < n_phrases; i++) {
    const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, i);

    if (phrase->start < 0 || phrase->end < phrase->start) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "record %u (asset “%s”): phrase “%s” has no span in the caption",
                   index + 1, asset_id, phrase->phrase);
      return FALSE;
    }
  }

  for (i = 0; i < n_interactions; i++) {
    const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (record, i);

    if (vqa->question == NULL || vqa->answer == NULL) {
      g_set_error (
          error, VI_ERROR, VI_ERROR_INVALID_DATA,
          "record %u (asset “%s”): interaction %u lacks a question or an answer",
          index + 1, asset_id, i + 1);
      return FALSE;
    }
    if (!check_utf8 (vqa->question, "question", index, error) ||
        !check_utf8 (vqa->answer, "answer", index, error))
      return FALSE;
  }

  return TRUE;
}

/* What vi_store_batch_add_records() checks of one record (it computes the
 * spans), for callers that sort good records from bad ones first. */
gboolean
vi_store_check_record (ViJsonlRecord *record, GError **error)
{
  return check_record (record, 0, error);
}

/* ---- batches ------------------------------------------------------------ */

/**
 * vi_store_batch_new:
 * @store: the store the batch is for; called with the server's lock held
 * @dataset_id: the dataset the records go to
 *
 * Returns: (transfer full): an empty batch
 */
ViStoreBatch *
vi_store_batch_new (ViStore *store, const char *dataset_id)
{
  ViStoreBatch *batch = g_new0 (ViStoreBatch, 1);

  batch->dataset_id = g_strdup (dataset_id);
  batch->persist = store->dir != NULL;
  batch->parts = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_store_annotation_free);
  batch->part_assets = g_ptr_array_new ();
  batch->asset_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            NULL);
  batch->bare_assets = g_hash_table_new (g_str_hash, g_str_equal);
  batch->ids = g_hash_table_new (g_str_hash, g_str_equal);
  batch->lines = g_string_new (NULL);
  batch->spool_fd = -1;
  return batch;
}

void
vi_store_batch_free (ViStoreBatch *batch)
{
  if (batch == NULL)
    return;
  if (batch->spool_fd >= 0)
    close (batch->spool_fd);
  if (batch->spool_path != NULL)
    g_unlink (batch->spool_path);
  g_free (batch->spool_path);
  g_hash_table_unref (batch->ids);
  g_ptr_array_unref (batch->parts);
  g_ptr_array_unref (batch->part_assets);
  g_hash_table_unref (batch->bare_assets);
  g_hash_table_unref (batch->asset_ids);
  g_string_free (batch->lines, TRUE);
  g_free (batch->dataset_id);
  g_free (batch);
}

guint
vi_store_batch_get_n_parts (ViStoreBatch *batch)
{
  return batch->parts->len;
}

/**
 * vi_store_batch_set_spool:
 * @batch: a batch
 * @path: a file to create, removed with the batch
 * @error: return location for a #GError
 *
 * Keeps the batch's journal lines in @path instead of in memory (they are
 * only made when the store has a data directory).
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_batch_set_spool (ViStoreBatch *batch, const char *path, GError **error)
{
  int fd;

  g_return_val_if_fail (batch->spool_fd < 0, FALSE);

  if (!batch->persist)
    return TRUE;
  fd = vi_store_open_file (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600,
                           error);
  if (fd < 0)
    return FALSE;
  batch->spool_fd = fd;
  batch->spool_path = g_strdup (path);
  return vi_store_journal_flush_spool (batch, error);
}

static ViStoreAnnotation *
new_part (ViStoreBatch   *batch,
          const char     *group_id,
          ViStorePartKind kind,
          gint64          now)
{
  ViStoreAnnotation *ann = g_new0 (ViStoreAnnotation, 1);
  char               id[ID_LENGTH + 1];

  do
    vi_store_random_id (id);
  while (g_hash_table_contains (batch->ids, id));

  ann->seq = batch->parts->len;
  ann->id = g_strdup (id);
  g_hash_table_add (batch->ids, ann->id);
  ann->group_id = g_ref_string_acquire ((char *) group_id);
  ann->kind = kind;
  ann->time_created = now;
  ann->last_updated = now;
  ann->generation = 1;
  ann->etag = vi_store_random_etag ();
  return ann;
}

static void
batch_add_part (ViStoreBatch      *batch,
                const char        *asset_id,
                ViStoreAnnotation *ann)
{
  if (batch->persist)
    vi_store_append_put_line (batch->lines, batch->dataset_id, asset_id,
                              ann->seq, ann);
  g_ptr_array_add (batch->parts, ann);
  g_ptr_array_add (batch->part_assets, (gpointer) asset_id);
}

/**
 * vi_store_batch_add_records:
 * @batch: a batch
 * @records: (array length=n_records): records; their spans are computed
 * @n_records: the number of records
 * @error: return location for a #GError
 *
 * Makes the annotation parts of @records (docs/decisions.md, "Lines
 * become parts": one Caption part when the record has a caption, one
 * PhraseGroundingBoundingBox part per grounded phrase, one Vqa part per
 * interaction, all sharing a new group id), without touching the store:
 * no lock is needed.  Every record is checked first; on failure nothing of
 * @records is added.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_batch_add_records (ViStoreBatch   *batch,
                            ViJsonlRecord **records,
                            guint           n_records,
                            GError        **error)
{
  gint64 now = vi_store_now_ms ();
  guint  i, j;

  for (i = 0; i < n_records; i++) {
    if (!check_record (records[i], i, error))
      return FALSE;
  }

  for (i = 0; i < n_records; i++) {
    ViJsonlRecord *record = records[i];
    const char    *caption = vi_jsonl_record_get_caption (record);
    guint          n_phrases = vi_jsonl_record_get_n_phrases (record);
    guint          n_interactions = vi_jsonl_record_get_n_interactions (record);
    const char    *asset_id = vi_jsonl_record_get_asset_id (record);
    char          *owned_asset_id;
    char           group_buf[ID_LENGTH + 1];
    char          *group;
    guint          first = batch->parts->len;

    if (!g_hash_table_lookup_extended (batch->asset_ids, asset_id,
                                       (gpointer *) &owned_asset_id, NULL)) {
      owned_asset_id = g_strdup (asset_id);
      g_hash_table_add (batch->asset_ids, owned_asset_id);
    }

    vi_store_random_id (group_buf);
    group = g_ref_string_new (group_buf);

    if (caption != NULL) {
      ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_CAPTION,
                                         now);

      ann->text = g_strdup (caption);
      batch_add_part (batch, owned_asset_id, ann);
    }
    for (j = 0; j < n_phrases; j++) {
      const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, j);
      ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_BOX, now);

      ann->bbox = phrase->bbox;
      ann->target[0] = phrase->start;
      ann->target[1] = phrase->end;
      batch_add_part (batch, owned_asset_id, ann);
    }
    for (j = 0; j < n_interactions; j++) {
      const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (record, j);
      ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_VQA, now);

      ann->text = g_strdup (vqa->question);
      ann->answer = g_strdup (vqa->answer);
      batch_add_part (batch, owned_asset_id, ann);
    }
    g_ref_string_release (group);

    /* A line with nothing to store still makes its asset known. */
    if (first == batch->parts->len)
      g_hash_table_add (batch->bare_assets, owned_asset_id);
  }

  if (batch->lines->len >= SPOOL_CHUNK)
    return vi_store_journal_flush_spool (batch, error);
  return TRUE;
}

/* ---- mutations ---------------------------------------------------------- */

gboolean
vi_store_ensure_dataset (ViStore *store, const char *dataset_id, GError **error)
{
  g_autoptr (GString) line = NULL;

  if (!vi_store_check_dataset_id (dataset_id, error))
    return FALSE;
  if (vi_store_lookup_dataset (store, dataset_id) != NULL)
    return TRUE;

  line = g_string_new (NULL);
  vi_store_append_simple_line (line, "dataset", dataset_id, NULL, NULL);
  if (!vi_store_journal_append (store, line, 1, error))
    return FALSE;
  vi_store_get_dataset (store, dataset_id);
  vi_store_journal_maybe_compact (store);
  return TRUE;
}

gboolean
vi_store_clear_dataset (ViStore *store, const char *dataset_id, GError **error)
{
  g_autoptr (GString) line = NULL;
  ViStoreDataset *dataset;

  if (!vi_store_ensure_dataset (store, dataset_id, error))
    return FALSE;
  dataset = vi_store_lookup_dataset (store, dataset_id);
  if (g_hash_table_size (dataset->assets) == 0)
    return TRUE;

  line = g_string_new (NULL);
  vi_store_append_simple_line (line, "clear", dataset_id, NULL, NULL);
  if (!vi_store_journal_append (store, line, 1, error))
    return FALSE;
  vi_store_dataset_clear (store, dataset);
  vi_store_journal_maybe_compact (store);
  return TRUE;
}

/**
 * vi_store_commit:
 * @store: the store; called with the server's lock held
 * @batch: a batch made for @store; it is emptied
 * @record_kind: (nullable): the kind of a record to set with the parts
 * @record_id: (nullable): its id
 * @record_json: (nullable): its value, one JSON value on one line
 * @n_added: (out) (optional): the number of parts added
 * @error: return location for a #GError
 *
 * Adds the parts of @batch to the store, and sets the record, all at once:
 * in memory under the lock, and in the journal as one transaction, so that
 * after a crash either all of it or none of it is there.
 *
 * Returns: %TRUE on success; on failure nothing changed
 */
gboolean
vi_store_commit (ViStore      *store,
                 ViStoreBatch *batch,
                 const char   *record_kind,
                 const char   *record_id,
                 const char   *record_json,
                 guint        *n_added,
                 GError      **error)
{
  const char     *dataset_id = batch->dataset_id;
  ViStoreDataset *dataset;
  guint64         seq_base = store->next_seq;
  GHashTableIter  iter;
  gpointer        key;
  guint           i;

  g_return_val_if_fail (batch->persist == (store->dir != NULL), FALSE);

  if (n_added != NULL)
    *n_added = 0;
  if (!vi_store_dataset_id_is_valid (dataset_id))
    return vi_store_ensure_dataset (store, dataset_id, error);

  /* Ids are 120 random bits: a collision with a stored part is not going to
   * happen, but it would replace that part, so it is checked. */
  dataset = vi_store_lookup_dataset (store, dataset_id);
  for (i = 0; dataset != NULL && i < batch->parts->len; i++) {
    ViStoreAnnotation *ann = g_ptr_array_index (batch->parts, i);

    if (g_hash_table_contains (dataset->annotations, ann->id)) {
      g_set_error (error, VI_ERROR, VI_ERROR_FAILED,
                   "a new annotation id collided with a stored one (%s); try again",
                   ann->id);
      return FALSE;
    }
  }

  if (store->dir != NULL) {
    g_autoptr (GString) head = g_string_new (NULL);
    g_autoptr (GString) tail = g_string_new (NULL);

    if (dataset == NULL)
      vi_store_append_simple_line (head, "dataset", dataset_id, NULL, NULL);
    g_hash_table_iter_init (&iter, batch->bare_assets);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      if (dataset == NULL ||
          vi_store_dataset_lookup_asset (dataset, key) == NULL)
        vi_store_append_simple_line (head, "asset", dataset_id, "asset", key);
    }
    if (record_kind != NULL)
      vi_store_append_record_line (tail, record_kind, record_id, record_json);
    if ((head->len > 0 || batch->parts->len > 0 || tail->len > 0) &&
        !vi_store_journal_append_transaction (store, seq_base, head, batch,
                                              tail, error))
      return FALSE;
    if (record_kind != NULL)
      vi_store_records_put (store, record_kind, record_id, record_json);
  }

  /* Commit: the parts now belong to the store. */
  dataset = vi_store_get_dataset (store, dataset_id);
  g_hash_table_iter_init (&iter, batch->bare_assets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    vi_store_dataset_get_asset (dataset, key);
  g_ptr_array_set_free_func (batch->parts, NULL);
  for (i = 0; i < batch->parts->len; i++) {
    ViStoreAnnotation *ann = g_ptr_array_index (batch->parts, i);

    ann->seq += seq_base;
    vi_store_insert_part (
        store,
        vi_store_dataset_get_asset (dataset,
                                    g_ptr_array_index (batch->part_assets, i)),
        ann);
  }
  store->next_seq = MAX (store->next_seq, seq_base + batch->parts->len);
  if (n_added != NULL)
    *n_added = batch->parts->len;

  g_hash_table_remove_all (batch->ids);
  g_ptr_array_set_size (batch->parts, 0);
  g_ptr_array_set_free_func (batch->parts,
                             (GDestroyNotify) vi_store_annotation_free);
  g_ptr_array_set_size (batch->part_assets, 0);
  g_hash_table_remove_all (batch->bare_assets);

  vi_store_journal_maybe_compact (store);
  return TRUE;
}

/* Adds the records as one batch. */
gboolean
vi_store_add_records (ViStore        *store,
                      const char     *dataset_id,
                      ViJsonlRecord **records,
                      guint           n_records,
                      guint          *n_added,
                      GError        **error)
{
  g_autoptr (ViStoreBatch) batch = NULL;

  if (n_added != NULL)
    *n_added = 0;
  if (!vi_store_dataset_id_is_valid (dataset_id))
    return vi_store_ensure_dataset (store, dataset_id, error);

  batch = vi_store_batch_new (store, dataset_id);
  return vi_store_batch_add_records (batch, records, n_records, error) &&
      vi_store_commit (store, batch, NULL, NULL, NULL, n_added, error);
}

/**
 * vi_store_set_record:
 * @store: a store; called with the server's lock held
 * @kind: the kind of record ("session")
 * @id: its id within the kind
 * @json: its value, one JSON value on one line
 * @error: return location for a #GError
 *
 * Keeps an opaque record with the data directory: journaled now, in every
 * snapshot, and handed back by vi_store_foreach_record() after a restart.
 * Without a data directory, does nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_set_record (ViStore    *store,
                     const char *kind,
                     const char *id,
                     const char *json,
                     GError    **error)
{
  g_autoptr (GString) line = NULL;

  if (store->dir == NULL)
    return TRUE;
  line = g_string_new (NULL);
  vi_store_append_record_line (line, kind, id, json);
  if (!vi_store_journal_append (store, line, 1, error))
    return FALSE;
  vi_store_records_put (store, kind, id, json);
  vi_store_journal_maybe_compact (store);
  return TRUE;
}

gboolean
vi_store_delete_annotation (ViStore           *store,
                            ViStoreAnnotation *annotation,
                            GError           **error)
{
  g_autoptr (GString) line = g_string_new (NULL);

  vi_store_append_simple_line (line, "delete", annotation->asset->dataset->id,
                               "id", annotation->id);
  if (!vi_store_journal_append (store, line, 1, error))
    return FALSE;
  vi_store_remove_part (store, annotation);
  vi_store_journal_maybe_compact (store);
  return TRUE;
}
