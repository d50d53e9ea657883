/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The store in memory: datasets, assets and their parts, records, and
 * the queries.  What changes it is in vi-store-write.c; the data directory
 * in vi-store-journal.c.  See vi-store.h for the design.
 */
#include "config.h"

#include "vi-store-private.h"
#include "vi-server-json.h"

#include <unistd.h>

/* ---- ids ---------------------------------------------------------------- */

static gboolean
id_is_valid (const char *id)
{
  gsize       len = 0;
  const char *p;

  for (p = id; *p != '\0'; p++, len++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  }
  return len >= 1 && len <= 255;
}

gboolean
vi_store_dataset_id_is_valid (const char *dataset_id)
{
  return dataset_id != NULL && id_is_valid (dataset_id);
}

/* The check of a dataset id given by a caller of the store or of the
 * server's seeding API, with the error that says what is allowed. */
gboolean
vi_store_check_dataset_id (const char *dataset_id, GError **error)
{
  if (vi_store_dataset_id_is_valid (dataset_id))
    return TRUE;
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
               "invalid dataset id “%s”: use 1 to 255 characters from "
               "A-Z, a-z, 0-9, '_' and '-'",
               dataset_id ? dataset_id : "");
  return FALSE;
}

gboolean
vi_store_annotation_id_is_valid (const char *annotation_id)
{
  return annotation_id != NULL && id_is_valid (annotation_id);
}

/* Random ids of ID_LENGTH characters from [A-Za-z0-9_-], the first one a
 * letter (so that an id never looks like a command-line option). */
void
vi_store_random_id (char buf[ID_LENGTH + 1])
{
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  guint32 bits = 0;
  guint   n_bits = 0;
  guint   i;

  buf[0] = alphabet[g_random_int_range (0, 52)];
  for (i = 1; i < ID_LENGTH; i++) {
    if (n_bits < 6) {
      bits = g_random_int ();
      n_bits = 32;
    }
    buf[i] = alphabet[bits & 0x3f];
    bits >>= 6;
    n_bits -= 6;
  }
  buf[ID_LENGTH] = '\0';
}

/* 16 hex digits; not through printf, which was a tenth of an import's
 * time (one etag per part). */
char *
vi_store_random_etag (void)
{
  static const char hex[] = "0123456789abcdef";
  guint64           bits = ((guint64) g_random_int () << 32) | g_random_int ();
  char             *etag = g_malloc (17);
  guint             i;

  for (i = 0; i < 16; i++)
    etag[i] = hex[(bits >> (60 - 4 * i)) & 0xf];
  etag[16] = '\0';
  return etag;
}

gint64
vi_store_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* ---- objects ------------------------------------------------------------ */

void
vi_store_annotation_free (ViStoreAnnotation *ann)
{
  g_free (ann->id);
  g_clear_pointer (&ann->group_id, g_ref_string_release);
  g_free (ann->text);
  g_free (ann->answer);
  g_free (ann->etag);
  g_free (ann->box_json);
  g_free (ann);
}

static void
asset_free (ViStoreAsset *asset)
{
  g_sequence_free (asset->annotations);
  g_free (asset->id);
  g_free (asset->json_ids);
  g_free (asset->self_prefix);
  g_free (asset);
}

static ViStoreAsset *
asset_new (ViStoreDataset *dataset, const char *asset_id)
{
  ViStoreAsset    *asset = g_new0 (ViStoreAsset, 1);
  const char      *org = dataset->store->org;
  g_autofree char *composite = g_strconcat (org, "_", dataset->id, NULL);
  GString         *s;

  asset->id = g_strdup (asset_id);
  asset->dataset = dataset;
  asset->annotations = g_sequence_new (NULL);

  s = g_string_new ("\"assetId\":");
  vi_json_append_string (s, asset_id);
  g_string_append (s, ",\"workspaceId\":");
  vi_json_append_string (s, org);
  g_string_append (s, ",\"datasetId\":");
  vi_json_append_string (s, composite);
  asset->json_ids = g_string_free (s, FALSE);

  /* Only unreserved characters and %XX: safe inside a JSON string as is. */
  s = g_string_new ("/workspaces/");
  vi_server_append_segment (s, org);
  g_string_append (s, "/datasets/");
  vi_server_append_segment (s, composite);
  g_string_append (s, "/assets/");
  vi_server_append_segment (s, asset_id);
  g_string_append (s, "/annotations/");
  asset->self_prefix = g_string_free (s, FALSE);

  return asset;
}

static void
dataset_free (ViStoreDataset *dataset)
{
  /* Assets first: their sequences point at the annotations. */
  g_hash_table_unref (dataset->assets);
  g_hash_table_unref (dataset->annotations);
  g_free (dataset->id);
  g_free (dataset);
}

static ViStoreDataset *
dataset_new (ViStore *store, const char *dataset_id)
{
  ViStoreDataset *dataset = g_new0 (ViStoreDataset, 1);

  dataset->id = g_strdup (dataset_id);
  dataset->store = store;
  dataset->assets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) asset_free);
  dataset->annotations =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                             (GDestroyNotify) vi_store_annotation_free);
  return dataset;
}

ViStoreDataset *
vi_store_get_dataset (ViStore *store, const char *dataset_id)
{
  ViStoreDataset *dataset = g_hash_table_lookup (store->datasets, dataset_id);

  if (dataset == NULL) {
    dataset = dataset_new (store, dataset_id);
    g_hash_table_insert (store->datasets, dataset->id, dataset);
  }
  return dataset;
}

ViStoreAsset *
vi_store_dataset_get_asset (ViStoreDataset *dataset, const char *asset_id)
{
  ViStoreAsset *asset = g_hash_table_lookup (dataset->assets, asset_id);

  if (asset == NULL) {
    asset = asset_new (dataset, asset_id);
    g_hash_table_insert (dataset->assets, asset->id, asset);
  }
  return asset;
}

static int
compare_seq (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const ViStoreAnnotation *x = a, *y = b;

  return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

void
vi_store_remove_part (ViStore *store, ViStoreAnnotation *ann)
{
  g_sequence_remove (ann->iter);
  store->n_annotations--;
  /* Frees ann. */
  g_hash_table_remove (ann->asset->dataset->annotations, ann->id);
}

/* Takes ownership of @ann.  A part with the same id is replaced, which is
 * what makes replaying a journal idempotent. */
void
vi_store_insert_part (ViStore           *store,
                      ViStoreAsset      *asset,
                      ViStoreAnnotation *ann)
{
  ViStoreDataset    *dataset = asset->dataset;
  ViStoreAnnotation *old;
  GSequenceIter     *end;

  old = g_hash_table_lookup (dataset->annotations, ann->id);
  if (old != NULL)
    vi_store_remove_part (store, old);

  ann->asset = asset;
  end = g_sequence_get_end_iter (asset->annotations);
  if (g_sequence_iter_is_begin (end) ||
      ((ViStoreAnnotation *) g_sequence_get (g_sequence_iter_prev (end)))->seq <
          ann->seq)
    ann->iter = g_sequence_append (asset->annotations, ann);
  else
    ann->iter = g_sequence_insert_sorted (asset->annotations, ann, compare_seq,
                                          NULL);

  g_hash_table_insert (dataset->annotations, ann->id, ann);
  store->n_annotations++;
  if (ann->seq >= store->next_seq)
    store->next_seq = ann->seq + 1;
}

void
vi_store_dataset_clear (ViStore *store, ViStoreDataset *dataset)
{
  store->n_annotations -= g_hash_table_size (dataset->annotations);
  g_hash_table_remove_all (dataset->assets);
  g_hash_table_remove_all (dataset->annotations);
}

ViStore *
vi_store_new (const char *organization_id)
{
  ViStore *store = g_new0 (ViStore, 1);

  store->org = g_strdup (organization_id);
  store->datasets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) dataset_free);
  store->next_seq = 1;
  store->journal_fd = -1;
  store->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_hash_table_unref);
  return store;
}

void
vi_store_free (ViStore *store)
{
  if (store == NULL)
    return;
  if (store->journal_fd >= 0)
    close (store->journal_fd);
  g_hash_table_unref (store->datasets);
  g_hash_table_unref (store->records);
  g_free (store->dir);
  g_free (store->org);
  g_free (store);
}

const char *
vi_store_get_dir (ViStore *store)
{
  return store->dir;
}

const char *
vi_store_get_organization_id (ViStore *store)
{
  return store->org;
}

ViStoreDataset *
vi_store_lookup_dataset (ViStore *store, const char *dataset_id)
{
  return g_hash_table_lookup (store->datasets, dataset_id);
}

ViStoreAsset *
vi_store_dataset_lookup_asset (ViStoreDataset *dataset, const char *asset_id)
{
  return g_hash_table_lookup (dataset->assets, asset_id);
}

ViStoreAnnotation *
vi_store_dataset_lookup_annotation (ViStoreDataset *dataset,
                                    const char     *annotation_id)
{
  return g_hash_table_lookup (dataset->annotations, annotation_id);
}

/* ---- records ---------------------------------------------------------- */

void
vi_store_records_put (ViStore    *store,
                      const char *kind,
                      const char *id,
                      const char *json)
{
  GHashTable *of_kind = g_hash_table_lookup (store->records, kind);

  if (of_kind == NULL) {
    of_kind = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert (store->records, g_strdup (kind), of_kind);
  }
  g_hash_table_insert (of_kind, g_strdup (id), g_strdup (json));
}

void
vi_store_foreach_record (ViStore          *store,
                         const char       *kind,
                         ViStoreRecordFunc func,
                         gpointer          user_data)
{
  GHashTable    *of_kind = g_hash_table_lookup (store->records, kind);
  GHashTableIter iter;
  gpointer       key, value;

  if (of_kind == NULL)
    return;
  g_hash_table_iter_init (&iter, of_kind);
  while (g_hash_table_iter_next (&iter, &key, &value))
    func (key, value, user_data);
}

/* ---- queries ------------------------------------------------------------ */

guint
vi_store_count_annotations (ViStore    *store,
                            const char *dataset_id,
                            const char *asset_id)
{
  ViStoreDataset *dataset = vi_store_lookup_dataset (store, dataset_id);
  ViStoreAsset   *asset;

  if (dataset == NULL)
    return 0;
  if (asset_id == NULL)
    return g_hash_table_size (dataset->annotations);
  asset = vi_store_dataset_lookup_asset (dataset, asset_id);
  return asset != NULL ? (guint) g_sequence_get_length (asset->annotations) : 0;
}

GSequenceIter *
vi_store_asset_seek (ViStoreAsset *asset, guint64 after_seq)
{
  ViStoreAnnotation key = {
    0,
  };

  /* g_sequence_search() returns the position after every item equal to the
   * key: the first item whose seq is greater than after_seq. */
  key.seq = after_seq;
  return g_sequence_search (asset->annotations, &key, compare_seq, NULL);
}
