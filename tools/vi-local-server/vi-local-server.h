/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <vi/vi.h>

G_BEGIN_DECLS

/**
 * VI_LOCAL_SERVER_DEFAULT_SECRET_KEY:
 *
 * The secret key the server accepts when none is given: shaped like a real
 * key (`dtvi_` and 103 characters in all, which the SDK checks on its side)
 * and obviously not one.
 */
#define VI_LOCAL_SERVER_DEFAULT_SECRET_KEY \
  "dtvi_local_development_key_" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/**
 * VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID:
 *
 * The organization the server serves when none is given.
 */
#define VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID "local-org"

/**
 * VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE:
 *
 * The largest request body taken by default (4 MiB) on every route but the
 * signed upload URLs: the JSON bodies of the API are a few hundred bytes,
 * and registering 40,000 files in one request takes about 4 MiB.
 */
#define VI_LOCAL_SERVER_DEFAULT_MAX_BODY_SIZE (G_GUINT64_CONSTANT (4) << 20)

/**
 * VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE:
 *
 * The largest signed upload taken by default (4 GiB).
 */
#define VI_LOCAL_SERVER_DEFAULT_MAX_UPLOAD_SIZE (G_GUINT64_CONSTANT (4) << 30)

/**
 * VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE:
 *
 * The largest request line and header fields taken by default (32 KiB),
 * which is also the largest limit that can be set.
 */
#define VI_LOCAL_SERVER_DEFAULT_MAX_HEADER_SIZE (32 * 1024)

/**
 * VI_LOCAL_SERVER_MIN_HEADER_SIZE:
 *
 * The smallest header limit that can be set.
 */
#define VI_LOCAL_SERVER_MIN_HEADER_SIZE 1024

#define VI_TYPE_LOCAL_SERVER (vi_local_server_get_type ())
G_DECLARE_FINAL_TYPE (ViLocalServer, vi_local_server, VI, LOCAL_SERVER, GObject)

ViLocalServer *vi_local_server_new                (const char     *secret_key,
                                                   const char     *organization_id);

gboolean       vi_local_server_set_data_dir       (ViLocalServer  *self,
                                                   const char     *dir,
                                                   GError        **error);
gboolean       vi_local_server_load_jsonl         (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   const char     *path,
                                                   GError        **error);
gboolean       vi_local_server_replace_jsonl      (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   const char     *path,
                                                   GError        **error);
gboolean       vi_local_server_add_record         (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   ViJsonlRecord  *record,
                                                   GError        **error);
gboolean       vi_local_server_add_records        (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   ViJsonlRecord **records,
                                                   guint           n_records,
                                                   GError        **error);
gboolean       vi_local_server_clear_dataset      (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   GError        **error);

gboolean       vi_local_server_start              (ViLocalServer  *self,
                                                   const char     *address,
                                                   guint16         port,
                                                   gboolean        in_thread,
                                                   GError        **error);
guint16        vi_local_server_get_port           (ViLocalServer  *self);
char          *vi_local_server_get_url            (ViLocalServer  *self);
void           vi_local_server_stop               (ViLocalServer  *self);

gboolean       vi_local_server_add_fault_json     (ViLocalServer  *self,
                                                   const char     *json,
                                                   GError        **error);
void           vi_local_server_clear_faults       (ViLocalServer  *self);
void           vi_local_server_set_latency        (ViLocalServer  *self,
                                                   guint           latency_ms);
void           vi_local_server_set_processing_delay (ViLocalServer *self,
                                                   guint           delay_ms);
void           vi_local_server_set_max_body_size  (ViLocalServer  *self,
                                                   guint64         size);
void           vi_local_server_set_max_upload_size (ViLocalServer *self,
                                                   guint64         size);
void           vi_local_server_set_max_header_size (ViLocalServer *self,
                                                   guint           size);

guint          vi_local_server_get_request_count  (ViLocalServer  *self,
                                                   const char     *method,
                                                   const char     *path_prefix);
guint          vi_local_server_get_fault_count    (ViLocalServer  *self);
void           vi_local_server_reset_counters     (ViLocalServer  *self);
guint          vi_local_server_count_annotations  (ViLocalServer  *self,
                                                   const char     *dataset_id,
                                                   const char     *asset_id);

G_END_DECLS
