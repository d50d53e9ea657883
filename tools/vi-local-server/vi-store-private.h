/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

/*
 * What the files of the store share: the store and the batch, and the
 * helpers that cross from one to another.
 *
 *   vi-store.c          the parts in memory, records, queries
 *   vi-store-json.c     a part as the API serves it
 *   vi-store-journal.c  the data directory: journal, snapshot, loading
 *   vi-store-write.c    mutations, batches and their commit
 *
 * each using only those above it.
 */

#include "vi-store.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define STORE_FORMAT "vi-local-server-store"
#define STORE_VERSION 1
#define SNAPSHOT_NAME "store.jsonl"
#define JOURNAL_NAME "journal.jsonl"
#define ID_LENGTH 20
/* The journal is folded into a new snapshot once it holds more records than
 * this plus the number of live annotations: the cost of a snapshot is then
 * paid for by as many mutations as it writes lines. */
#define COMPACT_MIN_OPS 10000
#define MAX_ASSET_ID_LEN 4096
/* Staged journal lines are written to a batch's spool file in pieces of
 * about this size, and copied into the journal in pieces of this size. */
#define SPOOL_CHUNK (1 << 20)
#define COMMIT_LINE "{\"op\":\"commit\"}\n"

#define APPEND_LITERAL(out, lit) \
  g_string_append_len ((out), (lit), sizeof (lit) - 1)

struct _ViStore {
  char       *org;
  GHashTable *datasets; /* id -> ViStoreDataset, owned */
  guint64     next_seq;
  guint64     n_annotations;

  char       *dir; /* NULL: memory only */
  int         journal_fd;
  guint64     journal_ops;
  GHashTable *records; /* kind -> (id -> JSON text), with a data directory */

  guint64 load_seq_base; /* while loading a transaction: its seqBase */
};

struct _ViStoreBatch {
  char       *dataset_id;
  gboolean    persist;     /* the store has a data directory */
  GPtrArray  *parts;       /* ViStoreAnnotation: asset NULL, seq = index */
  GPtrArray  *part_assets; /* the asset id of each part, owned by asset_ids */
  GHashTable *asset_ids;   /* owned asset ids, each once */
  GHashTable *bare_assets; /* assets of records without parts (not owned) */
  GHashTable *ids;         /* the part ids, unique within the batch */
  GString    *lines;       /* put lines not yet in the spool file */
  char       *spool_path;
  int         spool_fd;
  guint64     spool_bytes;
};

/* vi-store.c */
void            vi_store_random_id (char buf[ID_LENGTH + 1]);
gint64          vi_store_now_ms (void);
void            vi_store_annotation_free (ViStoreAnnotation *ann);
ViStoreDataset *vi_store_get_dataset (ViStore *store, const char *dataset_id);
ViStoreAsset   *vi_store_dataset_get_asset (ViStoreDataset *dataset,
                                            const char     *asset_id);
void            vi_store_insert_part (ViStore           *store,
                                      ViStoreAsset      *asset,
                                      ViStoreAnnotation *ann);
void            vi_store_remove_part (ViStore *store, ViStoreAnnotation *ann);
void vi_store_dataset_clear (ViStore *store, ViStoreDataset *dataset);
void vi_store_records_put (ViStore    *store,
                           const char *kind,
                           const char *id,
                           const char *json);

/* vi-store-journal.c */
void vi_store_append_put_line (GString                 *out,
                               const char              *dataset_id,
                               const char              *asset_id,
                               guint64                  seq,
                               const ViStoreAnnotation *ann);
void vi_store_append_simple_line (GString    *out,
                                  const char *op,
                                  const char *dataset_id,
                                  const char *key,
                                  const char *value);
void vi_store_append_record_line (GString    *out,
                                  const char *kind,
                                  const char *id,
                                  const char *json);
int  vi_store_open_file (const char *path, int flags, int mode, GError **error);
gboolean vi_store_write_all (int         fd,
                             const char *what,
                             const char *data,
                             gsize       len,
                             GError    **error);
gboolean vi_store_journal_append (ViStore *store,
                                  GString *lines,
                                  guint64  n_ops,
                                  GError **error);
void     vi_store_journal_maybe_compact (ViStore *store);
gboolean vi_store_journal_flush_spool (ViStoreBatch *batch, GError **error);
gboolean vi_store_journal_append_transaction (ViStore      *store,
                                              guint64       seq_base,
                                              GString      *head,
                                              ViStoreBatch *batch,
                                              GString      *tail,
                                              GError      **error);

/* vi-store-json.c */
const char *vi_store_part_bound_type (ViStorePartKind kind);
char       *vi_store_box_contents_json (const ViStoreAnnotation *ann);

G_END_DECLS
