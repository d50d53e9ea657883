/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/*
 * The annotation store of the local server.
 *
 * Datasets hold assets, assets hold annotation parts.  Every part has a
 * sequence number, unique and increasing over the whole store, and each
 * asset keeps its parts in a GSequence ordered by it: that order is the
 * listing order (insertion order), and a page token is just "the sequence
 * number of the last item returned", found again in O(log n) however many
 * items were deleted or added meanwhile.
 *
 * With a data directory, the state is in two files:
 *   store.jsonl    a snapshot, replaced atomically (write + rename);
 *   journal.jsonl  the mutations since the snapshot, one complete JSON line
 *                  each, appended before the mutation is applied in memory.
 * Opening the directory replays the journal over the snapshot, ignoring a
 * torn last line, and writes a fresh snapshot.  Journal records are
 * assignments (put this part, delete that one, clear that dataset), so
 * replaying a journal twice gives the same state: a crash between writing
 * the snapshot and truncating the journal loses nothing.
 *
 * Adding records goes through a batch: its parts are made without the
 * store (an import builds them without the lock), then committed at once.
 * With a data directory the commit is one transaction in the journal,
 *   {"op":"begin","seqBase":N,"bytes":B}, B bytes of lines, {"op":"commit"}
 * (put lines in it count their seq from seqBase), applied on replay only
 * when the commit line is where "bytes" says: a crash while it is written
 * leaves none of it.  A batch may keep its lines in a spool file until
 * then, so an import of millions of parts is not held twice in memory.
 *
 * Records are opaque JSON values kept with the data (the write side keeps
 * its import sessions there): the latest value of each (kind, id) is
 * journaled, snapshotted and handed back after a restart.
 *
 * The store does no locking; ViLocalServer holds its lock around every call.
 */

typedef enum {
  VI_STORE_PART_CAPTION,
  VI_STORE_PART_BOX,
  VI_STORE_PART_VQA,
} ViStorePartKind;

typedef struct _ViStore           ViStore;
typedef struct _ViStoreDataset    ViStoreDataset;
typedef struct _ViStoreAsset      ViStoreAsset;
typedef struct _ViStoreAnnotation ViStoreAnnotation;
typedef struct _ViStoreBatch      ViStoreBatch;

typedef void (*ViStoreRecordFunc) (const char *id,
                                   const char *json,
                                   gpointer    user_data);

struct _ViStoreAnnotation {
  guint64         seq;
  char           *id;
  ViStoreAsset   *asset;
  char           *group_id; /* a GRefString, shared by the parts of one line */
  ViStorePartKind kind;
  char           *text;      /* the caption, or the VQA question */
  char           *answer;    /* VQA only */
  ViBBox          bbox;      /* boxes only, normalized */
  int             target[2]; /* boxes only: [start, end) in characters */
  char           *box_json;  /* boxes only: "bound":[...],"target":[...], made
                              * when first served, as formatting doubles
                              * dominates listing; NULL until then */
  gint64          time_created; /* ms since the epoch */
  gint64          last_updated;
  gint64          generation;
  char           *etag;
  GSequenceIter  *iter; /* in asset->annotations */
};

struct _ViStoreAsset {
  char           *id;
  ViStoreDataset *dataset;
  GSequence      *annotations; /* ViStoreAnnotation *, by seq; not owned */
  /* Pre-rendered pieces of every item of this asset: the JSON members
   * "assetId", "workspaceId", "datasetId", and the selfLink prefix. */
  char *json_ids;
  char *self_prefix;
};

struct _ViStoreDataset {
  char       *id; /* without the "{org}_" prefix */
  ViStore    *store;
  GHashTable *assets;      /* id -> ViStoreAsset, owned */
  GHashTable *annotations; /* id -> ViStoreAnnotation, owned */
};

gboolean vi_store_dataset_id_is_valid (const char *dataset_id);
gboolean vi_store_check_dataset_id (const char *dataset_id, GError **error);
/* A new etag: 16 random hex digits (the write side's resources use it
 * too). */
char    *vi_store_random_etag (void);
gboolean vi_store_annotation_id_is_valid (const char *annotation_id);

ViStore    *vi_store_new (const char *organization_id);
void        vi_store_free (ViStore *store);
gboolean    vi_store_open_dir (ViStore *store, const char *dir, GError **error);
const char *vi_store_get_dir (ViStore *store);
const char *vi_store_get_organization_id (ViStore *store);

ViStoreDataset    *vi_store_lookup_dataset (ViStore    *store,
                                            const char *dataset_id);
ViStoreAsset      *vi_store_dataset_lookup_asset (ViStoreDataset *dataset,
                                                  const char     *asset_id);
ViStoreAnnotation *vi_store_dataset_lookup_annotation (
    ViStoreDataset *dataset,
    const char     *annotation_id);

gboolean vi_store_ensure_dataset (ViStore    *store,
                                  const char *dataset_id,
                                  GError    **error);
gboolean vi_store_clear_dataset (ViStore    *store,
                                 const char *dataset_id,
                                 GError    **error);
gboolean vi_store_add_records (ViStore        *store,
                               const char     *dataset_id,
                               ViJsonlRecord **records,
                               guint           n_records,
                               guint          *n_added,
                               GError        **error);
gboolean vi_store_check_record (ViJsonlRecord *record, GError **error);

ViStoreBatch *vi_store_batch_new (ViStore *store, const char *dataset_id);
gboolean      vi_store_batch_set_spool (ViStoreBatch *batch,
                                        const char   *path,
                                        GError      **error);
gboolean      vi_store_batch_add_records (ViStoreBatch   *batch,
                                          ViJsonlRecord **records,
                                          guint           n_records,
                                          GError        **error);
guint         vi_store_batch_get_n_parts (ViStoreBatch *batch);
void          vi_store_batch_free (ViStoreBatch *batch);
gboolean      vi_store_commit (ViStore      *store,
                               ViStoreBatch *batch,
                               const char   *record_kind,
                               const char   *record_id,
                               const char   *record_json,
                               guint        *n_added,
                               GError      **error);

gboolean vi_store_set_record (ViStore    *store,
                              const char *kind,
                              const char *id,
                              const char *json,
                              GError    **error);
void     vi_store_foreach_record (ViStore          *store,
                                  const char       *kind,
                                  ViStoreRecordFunc func,
                                  gpointer          user_data);
gboolean vi_store_delete_annotation (ViStore           *store,
                                     ViStoreAnnotation *annotation,
                                     GError           **error);

guint          vi_store_count_annotations (ViStore    *store,
                                           const char *dataset_id,
                                           const char *asset_id);
GSequenceIter *vi_store_asset_seek (ViStoreAsset *asset, guint64 after_seq);
void vi_store_annotation_to_json (ViStoreAnnotation *annotation, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViStore, vi_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViStoreBatch, vi_store_batch_free)

G_END_DECLS
