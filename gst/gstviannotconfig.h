/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_CONFIG_H__
#define __GST_VI_ANNOT_CONFIG_H__

#include <gst/gst.h>
#include <vi/vi.h>

#include "gstviannotframemap.h"

G_BEGIN_DECLS

/* The properties every element that talks to the Vi API has (viannotsrc,
 * viannotsink): dataset, credentials, endpoint, request timeout and error
 * policy.  One installation function, so that names, documentation and
 * defaults cannot drift between elements; a snapshot taken in start() is
 * what the worker builds its ViClient from. */

#define GST_VI_ANNOT_DEFAULT_TIMEOUT 5
#define GST_VI_ANNOT_MAX_TIMEOUT 3600

/**
 * GstViAnnotOnError:
 * @GST_VI_ANNOT_ON_ERROR_FAIL: post an error and stop the stream
 * @GST_VI_ANNOT_ON_ERROR_WARN: post a warning and keep streaming
 *   without annotations (viannotsink: set the refused batch aside)
 * @GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER: viannotsink only: post a warning
 *   and retry the refused request in the background, as in an outage
 *
 * What an element does when the Vi API refuses a request (authentication,
 * permission, an asset-id that does not exist, a malformed answer).  A
 * service that does not answer is never an error: see the outage rule.
 * Elements that read have the first two values (GstViAnnotOnError),
 * elements that write all three (GstViAnnotUploadOnError).
 */
typedef enum
{
  GST_VI_ANNOT_ON_ERROR_FAIL,
  GST_VI_ANNOT_ON_ERROR_WARN,
  GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER,
} GstViAnnotOnError;

#define GST_TYPE_VI_ANNOT_ON_ERROR (gst_vi_annot_on_error_get_type ())
G_GNUC_INTERNAL GType gst_vi_annot_on_error_get_type (void);

#define GST_TYPE_VI_ANNOT_UPLOAD_ON_ERROR \
    (gst_vi_annot_upload_on_error_get_type ())
G_GNUC_INTERNAL GType gst_vi_annot_upload_on_error_get_type (void);

/* Whether an element reads from the dataset (viannotsrc) or writes to it
 * (viannotsink): the documentation of dataset-id and on-error, and the
 * values on-error takes, depend on it. */
typedef enum
{
  GST_VI_ANNOT_CONFIG_READ,
  GST_VI_ANNOT_CONFIG_WRITE,
} GstViAnnotConfigRole;

/* Property ids, relative to the first id an element gives
 * gst_vi_annot_config_install_properties(). */
enum
{
  GST_VI_ANNOT_CONFIG_PROP_DATASET_ID,
  GST_VI_ANNOT_CONFIG_PROP_ENDPOINT,
  GST_VI_ANNOT_CONFIG_PROP_ORGANIZATION_ID,
  GST_VI_ANNOT_CONFIG_PROP_SECRET_KEY,
  GST_VI_ANNOT_CONFIG_PROP_CONFIG_FILE,
  GST_VI_ANNOT_CONFIG_PROP_TIMEOUT,
  GST_VI_ANNOT_CONFIG_PROP_ON_ERROR,
  GST_VI_ANNOT_CONFIG_N_PROPS
};

typedef struct
{
  gchar *dataset_id;
  gchar *endpoint;
  gchar *organization_id;
  gchar *secret_key;            /* write-only, never logged, wiped */
  gchar *config_file;
  guint timeout;                /* seconds without an answer, per request */
  GstViAnnotOnError on_error;
} GstViAnnotConfig;

typedef enum
{
  GST_VI_ANNOT_CREDENTIAL_SECRET_KEY,
  GST_VI_ANNOT_CREDENTIAL_ORGANIZATION_ID,
  GST_VI_ANNOT_CREDENTIAL_ENDPOINT,
} GstViAnnotCredential;

G_GNUC_INTERNAL
void gst_vi_annot_config_init (GstViAnnotConfig * cfg);

G_GNUC_INTERNAL
void gst_vi_annot_config_clear (GstViAnnotConfig * cfg);

G_GNUC_INTERNAL
void gst_vi_annot_config_copy (const GstViAnnotConfig * src,
    GstViAnnotConfig * dest);

/* gst-inspect-1.0 prints every metadata key; continuation lines of a
 * value are indented to its value column. */
#define GST_VI_ANNOT_METADATA_NL "\n                           "

/* The "credentials" metadata of an element that installed the shared
 * properties: where they come from, and where not to put the key. */
G_GNUC_INTERNAL
void gst_vi_annot_config_add_metadata (GstElementClass * klass);

G_GNUC_INTERNAL
void gst_vi_annot_config_install_properties (GObjectClass * klass,
    guint first_prop_id, GstViAnnotConfigRole role);

G_GNUC_INTERNAL
void gst_vi_annot_config_set_property (GstViAnnotConfig * cfg, guint id,
    const GValue * value);

G_GNUC_INTERNAL
void gst_vi_annot_config_get_property (const GstViAnnotConfig * cfg,
    guint id, GValue * value);

G_GNUC_INTERNAL
gboolean gst_vi_annot_property_is_settable (GstElement * element,
    GParamSpec * pspec);

/* The properties installed by gst_vi_annot_config_install_properties() at
 * @config_first and gst_vi_annot_frame_map_install_properties() at
 * @map_first (just after the config's), for an element's set_property and
 * get_property, with its object lock: TRUE when @prop_id was one of them. */
G_GNUC_INTERNAL
gboolean gst_vi_annot_shared_set_property (GstViAnnotConfig * cfg,
    GstViAnnotFrameMapProps * map, guint config_first, guint prop_id,
    const GValue * value);

G_GNUC_INTERNAL
gboolean gst_vi_annot_shared_get_property (const GstViAnnotConfig * cfg,
    const GstViAnnotFrameMapProps * map, guint config_first, guint prop_id,
    GValue * value);

G_GNUC_INTERNAL
void gst_vi_annot_set_string (gchar ** field, const GValue * value);

G_GNUC_INTERNAL
void gst_vi_annot_wipe_secret (gchar ** secret);

G_GNUC_INTERNAL
gboolean gst_vi_annot_config_check_target (const GstViAnnotConfig * cfg,
    gboolean writer, const gchar * location, const gchar * spool_dir,
    GError ** error);

G_GNUC_INTERNAL
gboolean gst_vi_annot_config_validate (const GstViAnnotConfig * cfg,
    GError ** error);

G_GNUC_INTERNAL
gchar *gst_vi_annot_config_describe_origin (const GstViAnnotConfig * cfg,
    GstViAnnotCredential credential);

G_GNUC_INTERNAL
gchar *gst_vi_annot_config_describe (const GstViAnnotConfig * cfg,
    ViClient * client);

G_GNUC_INTERNAL
ViClient *gst_vi_annot_config_new_client (const GstViAnnotConfig * cfg,
    GError ** error);

G_END_DECLS

#endif /* __GST_VI_ANNOT_CONFIG_H__ */
