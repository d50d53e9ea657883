/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The data the server serves: where the store is kept, seeding it with
 * records or JSONL files, and counting what it holds.  Thread-safe, as
 * every function of the server.
 */
#include "config.h"

#include "vi-local-server.h"
#include "vi-local-server-private.h"
#include "vi-server-import-session.h"

#include <string.h>

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
vi_local_server_set_data_dir (ViLocalServer *self,
                              const char    *dir,
                              GError       **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_server_state_lock_store (&self->state);
  if (vi_store_get_dir (store) != NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "the data directory is already set to %s",
                 vi_store_get_dir (store));
    ok = FALSE;
  } else {
    ok = vi_store_open_dir (store, dir, error);
    if (ok)
      vi_server_imports_restore (self->state.write, store);
  }
  vi_server_state_unlock_store (&self->state);
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

  store = vi_server_state_lock_store (&self->state);
  ok = vi_store_ensure_dataset (store, dataset_id, error) &&
      vi_store_add_records (store, dataset_id, records, n_records, NULL, error);
  vi_server_state_unlock_store (&self->state);
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
vi_local_server_add_record (ViLocalServer *self,
                            const char    *dataset_id,
                            ViJsonlRecord *record,
                            GError       **error)
{
  g_return_val_if_fail (record != NULL, FALSE);

  return vi_local_server_add_records (self, dataset_id, &record, 1, error);
}

static gboolean
load_jsonl (ViLocalServer *self,
            const char    *dataset_id,
            const char    *path,
            gboolean       replace,
            GError       **error)
{
  g_autoptr (ViJsonlReader) reader = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) local_error = NULL;
  ViJsonlRecord *record;
  ViStore       *store;
  gboolean       ok;

  if (!vi_store_check_dataset_id (dataset_id, error))
    return FALSE;

  /* The file is read whole before the lock is taken: requests are served
   * meanwhile, and a bad line leaves the dataset untouched. */
  reader = vi_jsonl_reader_new_for_path (path, error);
  if (reader == NULL)
    return FALSE;
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);

  records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_jsonl_record_unref);
  while ((record = vi_jsonl_reader_next (reader, NULL, &local_error)) != NULL)
    g_ptr_array_add (records, record);

  if (local_error != NULL) {
    /* The reader's message should name the place already; make sure. */
    if (strstr (local_error->message, path) == NULL)
      g_prefix_error (&local_error, "%s:%u: ", path,
                      vi_jsonl_reader_get_line_number (reader));
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }

  store = vi_server_state_lock_store (&self->state);
  ok = (replace ? vi_store_clear_dataset (store, dataset_id, &local_error)
                : vi_store_ensure_dataset (store, dataset_id, &local_error)) &&
      vi_store_add_records (store, dataset_id,
                            (ViJsonlRecord **) records->pdata, records->len,
                            NULL, &local_error);
  vi_server_state_unlock_store (&self->state);

  if (!ok) {
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
vi_local_server_load_jsonl (ViLocalServer *self,
                            const char    *dataset_id,
                            const char    *path,
                            GError       **error)
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
vi_local_server_replace_jsonl (ViLocalServer *self,
                               const char    *dataset_id,
                               const char    *path,
                               GError       **error)
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
vi_local_server_clear_dataset (ViLocalServer *self,
                               const char    *dataset_id,
                               GError       **error)
{
  ViStore *store;
  gboolean ok;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  store = vi_server_state_lock_store (&self->state);
  ok = vi_store_clear_dataset (store, dataset_id, error);
  vi_server_state_unlock_store (&self->state);
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
  guint    n;

  g_return_val_if_fail (VI_IS_LOCAL_SERVER (self), 0);
  g_return_val_if_fail (dataset_id != NULL, 0);

  store = vi_server_state_lock_store (&self->state);
  n = vi_store_count_annotations (store, dataset_id, asset_id);
  vi_server_state_unlock_store (&self->state);
  return n;
}
