/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "gstviannotconfig.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

#define ENV_SECRET_KEY "DATATURE_VI_SECRET_KEY"
#define ENV_ORGANIZATION_ID "DATATURE_VI_ORGANIZATION_ID"
#define ENV_ENDPOINT "DATATURE_VI_API_ENDPOINT"

/* One quick retry inside libvi for a blip (a keep-alive connection closed
 * under us); anything longer is an outage, retried by the element in the
 * background.  So one fetch takes at most 2 x timeout + 1 s, never
 * libvi's default of 4 x 300 s. */
#define CLIENT_MAX_RETRIES 1
#define CLIENT_RETRY_BASE_DELAY 0.25
#define CLIENT_RETRY_MAX_DELAY 1.0

GType
gst_vi_annot_on_error_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VI_ANNOT_ON_ERROR_FAIL,
        "Post an error and stop the stream", "fail"},
    {GST_VI_ANNOT_ON_ERROR_WARN,
        "Post a warning and keep streaming without annotations", "warn"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstViAnnotOnError", values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

GType
gst_vi_annot_upload_on_error_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VI_ANNOT_ON_ERROR_FAIL,
          "Post an error and stop the stream; the batch stays in the spool",
        "fail"},
    {GST_VI_ANNOT_ON_ERROR_WARN,
          "Post a warning, move the batch to spool-dir/rejected and go on",
        "warn"},
    {GST_VI_ANNOT_ON_ERROR_RETRY_FOREVER,
          "Post a warning and retry in the background until it is accepted",
        "retry-forever"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstViAnnotUploadOnError", values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

void
gst_vi_annot_config_init (GstViAnnotConfig * cfg)
{
  memset (cfg, 0, sizeof (*cfg));
  cfg->timeout = GST_VI_ANNOT_DEFAULT_TIMEOUT;
  cfg->on_error = GST_VI_ANNOT_ON_ERROR_FAIL;
}

void
gst_vi_annot_wipe_secret (gchar ** secret)
{
  if (*secret != NULL) {
    memset (*secret, 0, strlen (*secret));
    g_clear_pointer (secret, g_free);
  }
}

void
gst_vi_annot_config_clear (GstViAnnotConfig * cfg)
{
  g_clear_pointer (&cfg->dataset_id, g_free);
  g_clear_pointer (&cfg->endpoint, g_free);
  g_clear_pointer (&cfg->organization_id, g_free);
  gst_vi_annot_wipe_secret (&cfg->secret_key);
  g_clear_pointer (&cfg->config_file, g_free);
}

void
gst_vi_annot_config_copy (const GstViAnnotConfig * src, GstViAnnotConfig * dest)
{
  dest->dataset_id = g_strdup (src->dataset_id);
  dest->endpoint = g_strdup (src->endpoint);
  dest->organization_id = g_strdup (src->organization_id);
  dest->secret_key = g_strdup (src->secret_key);
  dest->config_file = g_strdup (src->config_file);
  dest->timeout = src->timeout;
  dest->on_error = src->on_error;
}

void
gst_vi_annot_config_add_metadata (GstElementClass * klass)
{
  gst_element_class_add_static_metadata (klass, "credentials",
      "DATATURE_VI_SECRET_KEY, DATATURE_VI_ORGANIZATION_ID, "
      "DATATURE_VI_API_ENDPOINT or" GST_VI_ANNOT_METADATA_NL "config-file; "
      "not secret-key= on a gst-launch-1.0 line, which GStreamer logs"
      GST_VI_ANNOT_METADATA_NL "at GST_DEBUG=GST_PIPELINE:4.");
}

void
gst_vi_annot_config_install_properties (GObjectClass * klass,
    guint first_prop_id, GstViAnnotConfigRole role)
{
  gboolean write = role == GST_VI_ANNOT_CONFIG_WRITE;
  GType on_error_type = write ? GST_TYPE_VI_ANNOT_UPLOAD_ON_ERROR :
      GST_TYPE_VI_ANNOT_ON_ERROR;

  /**
   * GstViAnnotSrc:dataset-id:
   *
   * The Vi dataset, for the Vi API (needs credentials).  viannotsrc reads
   * it (exclusive with a local location); viannotsink uploads to it (with
   * or without location).
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_DATASET_ID,
      g_param_spec_string ("dataset-id", "Dataset id", write ?
          "Vi dataset the annotations are uploaded to, through the Vi API "
          "(needs credentials; default: none = no upload)" :
          "Vi dataset, through the Vi API (needs credentials; exclusive "
          "with location)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:endpoint:
   *
   * The API endpoint.  When unset, `DATATURE_VI_API_ENDPOINT`, else
   * https://api.vi.datature.com.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_ENDPOINT,
      g_param_spec_string ("endpoint", "Endpoint",
          "API endpoint (default: none = $" ENV_ENDPOINT ", else "
          VI_DEFAULT_ENDPOINT ")", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:organization-id:
   *
   * The organization.  When unset, `DATATURE_VI_ORGANIZATION_ID`, then
   * config-file.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_ORGANIZATION_ID,
      g_param_spec_string ("organization-id", "Organization id",
          "Organization id (default: none = $" ENV_ORGANIZATION_ID
          ", then config-file)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:secret-key:
   *
   * The secret key (`dtvi_…`).  Write-only: it cannot be read back and is
   * never logged nor put in a message.  When unset,
   * `DATATURE_VI_SECRET_KEY`, then config-file.  Prefer those two: a key
   * on a gst-launch-1.0 line is in the shell history, in the process list,
   * and in GStreamer's own log of the parsed pipeline
   * (`GST_DEBUG=GST_PIPELINE:4`).
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_SECRET_KEY,
      g_param_spec_string ("secret-key", "Secret key",
          "Secret key, write-only (default: none = $" ENV_SECRET_KEY
          ", then config-file; prefer those: GStreamer logs launch lines "
          "at GST_DEBUG=GST_PIPELINE:4)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:config-file:
   *
   * A JSON file with `secret_key` and `organization_id`, for what neither
   * the properties nor the environment give.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_CONFIG_FILE,
      g_param_spec_string ("config-file", "Config file",
          "JSON credentials file with secret_key and organization_id "
          "(default: none)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:timeout:
   *
   * Seconds a request to the Vi API may go without an answer before it
   * fails.  libvi retries it once, quickly; after that the service is
   * "out": frames stop waiting for it (viannotsrc), uploads wait in the
   * spool (viannotsink), and the element keeps retrying in the background
   * with a growing delay.
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds a request may go without an answer before it fails (one "
          "quick retry, then the element retries in the background)",
          1, GST_VI_ANNOT_MAX_TIMEOUT, GST_VI_ANNOT_DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstViAnnotSrc:on-error:
   *
   * What a request the Vi API refuses does (401, 403, 404 of asset-id or
   * of the dataset, a malformed answer, a batch the server rejects):
   * `fail` posts an error and stops the stream, `warn` posts one warning
   * and keeps the video flowing without annotations (viannotsink: moves
   * the refused batch to `rejected/` in the spool and goes on), and, for
   * viannotsink, `retry-forever` posts a warning and retries the request
   * in the background until it is accepted.  A service that does not
   * answer, or answers 5xx, is an outage, never an error.  Configuration
   * errors always fail, in start().
   */
  g_object_class_install_property (klass,
      first_prop_id + GST_VI_ANNOT_CONFIG_PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error", write ?
          "What a request the Vi API refuses does (401, 403, 404, a "
          "rejected batch; an unreachable service is an outage, retried, "
          "not an error)" :
          "What a request the Vi API refuses does (an unreachable service "
          "is an outage, not an error)", on_error_type,
          GST_VI_ANNOT_ON_ERROR_FAIL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_type_mark_as_plugin_api (on_error_type, 0);
}

/* An empty string is no value: "endpoint=" on a launch line unsets it. */
void
gst_vi_annot_set_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
  if (*field != NULL && **field == '\0')
    g_clear_pointer (field, g_free);
}

void
gst_vi_annot_config_set_property (GstViAnnotConfig * cfg, guint id,
    const GValue * value)
{
  switch (id) {
    case GST_VI_ANNOT_CONFIG_PROP_DATASET_ID:
      gst_vi_annot_set_string (&cfg->dataset_id, value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ENDPOINT:
      gst_vi_annot_set_string (&cfg->endpoint, value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ORGANIZATION_ID:
      gst_vi_annot_set_string (&cfg->organization_id, value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_SECRET_KEY:
      gst_vi_annot_wipe_secret (&cfg->secret_key);
      gst_vi_annot_set_string (&cfg->secret_key, value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_CONFIG_FILE:
      gst_vi_annot_set_string (&cfg->config_file, value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_TIMEOUT:
      cfg->timeout = g_value_get_uint (value);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ON_ERROR:
      cfg->on_error = g_value_get_enum (value);
      break;
    default:
      g_assert_not_reached ();
  }
}

void
gst_vi_annot_config_get_property (const GstViAnnotConfig * cfg, guint id,
    GValue * value)
{
  switch (id) {
    case GST_VI_ANNOT_CONFIG_PROP_DATASET_ID:
      g_value_set_string (value, cfg->dataset_id);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ENDPOINT:
      g_value_set_string (value, cfg->endpoint);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ORGANIZATION_ID:
      g_value_set_string (value, cfg->organization_id);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_CONFIG_FILE:
      g_value_set_string (value, cfg->config_file);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_TIMEOUT:
      g_value_set_uint (value, cfg->timeout);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_ON_ERROR:
      g_value_set_enum (value, cfg->on_error);
      break;
    case GST_VI_ANNOT_CONFIG_PROP_SECRET_KEY:
    default:
      g_assert_not_reached ();
  }
}

/* Called with the object lock.  Properties are taken in start (): a
 * property without GST_PARAM_MUTABLE_PLAYING is refused above READY, as
 * filesrc refuses a new location. */
gboolean
gst_vi_annot_property_is_settable (GstElement * element, GParamSpec * pspec)
{
  if (GST_STATE (element) <= GST_STATE_READY ||
      (pspec->flags & GST_PARAM_MUTABLE_PLAYING) != 0)
    return TRUE;

  GST_WARNING_OBJECT (element, "property '%s' can only be set in NULL or "
      "READY state", pspec->name);
  return FALSE;
}

gboolean
gst_vi_annot_shared_set_property (GstViAnnotConfig * cfg,
    GstViAnnotFrameMapProps * map, guint config_first, guint prop_id,
    const GValue * value)
{
  guint map_first = config_first + GST_VI_ANNOT_CONFIG_N_PROPS;

  if (prop_id >= config_first && prop_id < map_first)
    gst_vi_annot_config_set_property (cfg, prop_id - config_first, value);
  else if (prop_id >= map_first &&
      prop_id < map_first + GST_VI_ANNOT_FRAME_MAP_N_PROPS)
    gst_vi_annot_frame_map_set_property (map, prop_id - map_first, value);
  else
    return FALSE;
  return TRUE;
}

gboolean
gst_vi_annot_shared_get_property (const GstViAnnotConfig * cfg,
    const GstViAnnotFrameMapProps * map, guint config_first, guint prop_id,
    GValue * value)
{
  guint map_first = config_first + GST_VI_ANNOT_CONFIG_N_PROPS;

  if (prop_id >= config_first && prop_id < map_first)
    gst_vi_annot_config_get_property (cfg, prop_id - config_first, value);
  else if (prop_id >= map_first &&
      prop_id < map_first + GST_VI_ANNOT_FRAME_MAP_N_PROPS)
    gst_vi_annot_frame_map_get_property (map, prop_id - map_first, value);
  else
    return FALSE;
  return TRUE;
}

/* The first property given that only makes sense with dataset-id, or
 * NULL. */
static const gchar *
first_connection_property (const GstViAnnotConfig * cfg)
{
  if (cfg->endpoint != NULL)
    return "endpoint";
  if (cfg->organization_id != NULL)
    return "organization-id";
  if (cfg->secret_key != NULL)
    return "secret-key";
  if (cfg->config_file != NULL)
    return "config-file";
  return NULL;
}

#define SETTINGS_ERROR(error, ...) \
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, \
      __VA_ARGS__)

/* Where an element reads or writes, from its settings at start(): a
 * reader reads dataset-id or location, not both; a writer writes to
 * dataset-id, location or both; the connection properties (and a
 * writer's spool-dir) only go with dataset-id.  FALSE with a
 * GST_RESOURCE_ERROR_SETTINGS error that says what to set. */
gboolean
gst_vi_annot_config_check_target (const GstViAnnotConfig * cfg,
    gboolean writer, const gchar * location, const gchar * spool_dir,
    GError ** error)
{
  const gchar *property = first_connection_property (cfg);

  if (location == NULL && cfg->dataset_id == NULL) {
    if (writer)
      SETTINGS_ERROR (error, _("Nowhere to write the annotations: set "
              "dataset-id (with credentials), location (a JSONL file), or "
              "both."));
    else
      SETTINGS_ERROR (error, _("No annotations to read: set dataset-id (with "
              "credentials) or location."));
    return FALSE;
  }
  if (!writer && location != NULL && cfg->dataset_id != NULL) {
    SETTINGS_ERROR (error, _("location and dataset-id are exclusive: set "
            "only one (location reads a local JSONL file, dataset-id the Vi "
            "API)."));
    return FALSE;
  }
  if (cfg->dataset_id == NULL && property != NULL) {
    if (writer)
      SETTINGS_ERROR (error, _("%s only applies to dataset-id, which is not "
              "set."), property);
    else
      SETTINGS_ERROR (error, _("%s only applies to dataset-id: location "
              "reads a local file, without credentials."), property);
    return FALSE;
  }
  if (cfg->dataset_id == NULL && spool_dir != NULL) {
    SETTINGS_ERROR (error, _("spool-dir only applies to dataset-id (uploads), "
            "which is not set."));
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_vi_annot_config_validate (const GstViAnnotConfig * cfg, GError ** error)
{
  GError *local = NULL;

  if (cfg->dataset_id != NULL &&
      !vi_validate_id ("dataset-id", cfg->dataset_id, &local)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        _("Invalid dataset-id \"%s\": %s."), cfg->dataset_id, local->message);
    g_error_free (local);
    return FALSE;
  }
  return TRUE;
}

static const gchar *
non_empty_env (const gchar * name)
{
  const gchar *v = g_getenv (name);

  return v != NULL && *v != '\0' ? v : NULL;
}

/* Where libvi takes a credential from, in its order: property, then the
 * environment, then the config file (not for the endpoint, which falls
 * back on the default).  The value is never part of the text. */
gchar *
gst_vi_annot_config_describe_origin (const GstViAnnotConfig * cfg,
    GstViAnnotCredential credential)
{
  static const struct
  {
    const gchar *property;
    const gchar *env;
    gboolean in_config_file;
  } origins[] = {
    {"secret-key", ENV_SECRET_KEY, TRUE},
    {"organization-id", ENV_ORGANIZATION_ID, TRUE},
    {"endpoint", ENV_ENDPOINT, FALSE},
  };
  const gchar *value[] = { cfg->secret_key, cfg->organization_id,
    cfg->endpoint
  };

  g_return_val_if_fail (credential < G_N_ELEMENTS (origins), NULL);

  if (value[credential] != NULL)
    return g_strdup_printf ("the %s property", origins[credential].property);
  if (non_empty_env (origins[credential].env) != NULL)
    return g_strdup_printf ("%s (environment)", origins[credential].env);
  if (origins[credential].in_config_file && cfg->config_file != NULL)
    return g_strdup_printf ("config-file \"%s\"", cfg->config_file);
  if (credential == GST_VI_ANNOT_CREDENTIAL_ENDPOINT)
    return g_strdup ("the default endpoint");
  return g_strdup ("nowhere");
}

/* For debug strings: what the client talks to and where each value came
 * from; never NULL, never the key. */
gchar *
gst_vi_annot_config_describe (const GstViAnnotConfig * cfg, ViClient * client)
{
  gchar *key = gst_vi_annot_config_describe_origin (cfg,
      GST_VI_ANNOT_CREDENTIAL_SECRET_KEY);
  gchar *org = gst_vi_annot_config_describe_origin (cfg,
      GST_VI_ANNOT_CREDENTIAL_ORGANIZATION_ID);
  gchar *endpoint = gst_vi_annot_config_describe_origin (cfg,
      GST_VI_ANNOT_CREDENTIAL_ENDPOINT);
  const gchar *org_value = client ? vi_client_get_organization_id (client) :
      cfg->organization_id ? cfg->organization_id :
      non_empty_env (ENV_ORGANIZATION_ID);
  const gchar *endpoint_value = client ? vi_client_get_endpoint (client) :
      cfg->endpoint ? cfg->endpoint : non_empty_env (ENV_ENDPOINT);
  gchar *s;

  s = g_strdup_printf ("endpoint %s from %s, organization %s from %s, "
      "secret key from %s", endpoint_value ? endpoint_value :
      VI_DEFAULT_ENDPOINT, endpoint, org_value ? org_value : "(unknown)",
      org, key);
  g_free (key);
  g_free (org);
  g_free (endpoint);
  return s;
}

/* On the worker thread, which then owns the client (libsoup's session is
 * bound to the thread-default context it is used from). */
ViClient *
gst_vi_annot_config_new_client (const GstViAnnotConfig * cfg, GError ** error)
{
  ViClient *client;

  client = vi_client_new (cfg->endpoint, cfg->secret_key,
      cfg->organization_id, cfg->config_file, error);
  if (client == NULL)
    return NULL;

  g_object_set (client, "timeout", cfg->timeout,
      "max-retries", CLIENT_MAX_RETRIES,
      "max-rate-limit-retries", CLIENT_MAX_RETRIES,
      "retry-base-delay", CLIENT_RETRY_BASE_DELAY,
      "retry-max-delay", CLIENT_RETRY_MAX_DELAY, NULL);

  return client;
}
