/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/**
 * ViClient:
 *
 * A client for the Datature Vi annotations API.
 *
 * A client holds the endpoint, the credentials and one #SoupSession with
 * keep-alive connections.  Credentials come, in this order of precedence,
 * from the constructor's arguments, from the environment
 * (`DATATURE_VI_SECRET_KEY`, `DATATURE_VI_ORGANIZATION_ID`,
 * `DATATURE_VI_API_ENDPOINT`) and from a JSON config file with the keys
 * `secret_key` and `organization_id`, as the Python SDK does.
 *
 * Every operation exists as a blocking call, which may be made from any
 * thread, and as an `_async`/`_finish` pair whose callback runs on the
 * thread-default main context of the thread that started it.  Failed
 * requests are retried as the SDK does (429: honouring `Retry-After`;
 * 500/502/503/504 and transport errors: full-jitter backoff); the waits
 * between attempts end as soon as the #GCancellable is cancelled.
 *
 * Configure a client (its properties) before the first request.
 */
#include "config.h"

#include <string.h>

#include "vi-client.h"
#include "vi-http-private.h"
#include "vi-client-private.h"

#define DEFAULT_TIMEOUT 300
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_MAX_RETRIES 3
#define DEFAULT_MAX_RATE_LIMIT_RETRIES 20
#define DEFAULT_RETRY_BASE_DELAY 1.0
#define DEFAULT_RETRY_MAX_DELAY 60.0
#define DEFAULT_MAX_CONNECTIONS 10
/* An export archive without ZIP64 is under 4 GiB and holds at most 65535
 * entries; deflate can make 4 GiB into terabytes. */
#define DEFAULT_MAX_EXTRACT_SIZE ((guint64) 64 << 30)
#define DEFAULT_MAX_EXTRACT_ENTRIES 65535
#define SECRET_KEY_PREFIX "dtvi_"
#define SECRET_KEY_LENGTH 103

struct _ViClient {
  GObject parent_instance;

  /* construct-time */
  char    *endpoint_arg;
  char    *secret_key_arg;
  char    *organization_id_arg;
  char    *config_file;
  gboolean allow_insecure;
  char    *tls_ca_file;

  /* resolved */
  char *endpoint; /* scheme://host[:port], no path, no slash */
  char *secret_key;
  char *organization_id;
  char *user_agent;
  char *authorization;

  guint   timeout;
  guint   max_retries;
  guint   max_rate_limit_retries;
  double  retry_base_delay;
  double  retry_max_delay;
  guint   max_connections;
  guint64 max_extract_size;
  guint   max_extract_entries;

  SoupSession *session;
};

enum {
  PROP_0,
  PROP_ENDPOINT,
  PROP_SECRET_KEY,
  PROP_ORGANIZATION_ID,
  PROP_CONFIG_FILE,
  PROP_USER_AGENT,
  PROP_TIMEOUT,
  PROP_MAX_RETRIES,
  PROP_MAX_RATE_LIMIT_RETRIES,
  PROP_RETRY_BASE_DELAY,
  PROP_RETRY_MAX_DELAY,
  PROP_MAX_CONNECTIONS,
  PROP_ALLOW_INSECURE,
  PROP_TLS_CA_FILE,
  PROP_MAX_EXTRACT_SIZE,
  PROP_MAX_EXTRACT_ENTRIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void vi_client_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    ViClient,
    vi_client,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, vi_client_initable_iface_init))

static void
vi_client_init (ViClient *self)
{
  self->timeout = DEFAULT_TIMEOUT;
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->max_rate_limit_retries = DEFAULT_MAX_RATE_LIMIT_RETRIES;
  self->retry_base_delay = DEFAULT_RETRY_BASE_DELAY;
  self->retry_max_delay = DEFAULT_RETRY_MAX_DELAY;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->max_extract_size = DEFAULT_MAX_EXTRACT_SIZE;
  self->max_extract_entries = DEFAULT_MAX_EXTRACT_ENTRIES;
}

static void
vi_client_dispose (GObject *object)
{
  ViClient *self = VI_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (vi_client_parent_class)->dispose (object);
}

static void
free_secret (char **secret)
{
  if (*secret != NULL) {
    memset (*secret, 0, strlen (*secret));
    g_clear_pointer (secret, g_free);
  }
}

static void
vi_client_finalize (GObject *object)
{
  ViClient *self = VI_CLIENT (object);

  g_free (self->endpoint_arg);
  free_secret (&self->secret_key_arg);
  g_free (self->organization_id_arg);
  g_free (self->config_file);
  g_free (self->tls_ca_file);
  g_free (self->endpoint);
  free_secret (&self->secret_key);
  free_secret (&self->authorization);
  g_free (self->organization_id);
  g_free (self->user_agent);

  G_OBJECT_CLASS (vi_client_parent_class)->finalize (object);
}

static void
vi_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  ViClient *self = VI_CLIENT (object);

  switch (prop_id) {
    case PROP_ENDPOINT:
      g_value_set_string (value,
                          self->endpoint ? self->endpoint : self->endpoint_arg);
      break;
    case PROP_ORGANIZATION_ID:
      g_value_set_string (value,
                          self->organization_id ? self->organization_id
                                                : self->organization_id_arg);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->max_retries);
      break;
    case PROP_MAX_RATE_LIMIT_RETRIES:
      g_value_set_uint (value, self->max_rate_limit_retries);
      break;
    case PROP_RETRY_BASE_DELAY:
      g_value_set_double (value, self->retry_base_delay);
      break;
    case PROP_RETRY_MAX_DELAY:
      g_value_set_double (value, self->retry_max_delay);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_ALLOW_INSECURE:
      g_value_set_boolean (value, self->allow_insecure);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_MAX_EXTRACT_SIZE:
      g_value_set_uint64 (value, self->max_extract_size);
      break;
    case PROP_MAX_EXTRACT_ENTRIES:
      g_value_set_uint (value, self->max_extract_entries);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
vi_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  ViClient *self = VI_CLIENT (object);

  switch (prop_id) {
    case PROP_ENDPOINT:
      g_free (self->endpoint_arg);
      self->endpoint_arg = g_value_dup_string (value);
      break;
    case PROP_SECRET_KEY:
      free_secret (&self->secret_key_arg);
      self->secret_key_arg = g_value_dup_string (value);
      break;
    case PROP_ORGANIZATION_ID:
      g_free (self->organization_id_arg);
      self->organization_id_arg = g_value_dup_string (value);
      break;
    case PROP_CONFIG_FILE:
      g_free (self->config_file);
      self->config_file = g_value_dup_string (value);
      break;
    case PROP_USER_AGENT: {
      const char *ua = g_value_get_string (value);
      if (ua != NULL) {
        g_free (self->user_agent);
        self->user_agent = g_strdup (ua);
        if (self->session != NULL)
          soup_session_set_user_agent (self->session, ua);
      }
      break;
    }
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      if (self->session != NULL)
        soup_session_set_timeout (self->session, self->timeout);
      break;
    case PROP_MAX_RETRIES:
      self->max_retries = g_value_get_uint (value);
      break;
    case PROP_MAX_RATE_LIMIT_RETRIES:
      self->max_rate_limit_retries = g_value_get_uint (value);
      break;
    case PROP_RETRY_BASE_DELAY:
      self->retry_base_delay = g_value_get_double (value);
      break;
    case PROP_RETRY_MAX_DELAY:
      self->retry_max_delay = g_value_get_double (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_ALLOW_INSECURE:
      self->allow_insecure = g_value_get_boolean (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_MAX_EXTRACT_SIZE:
      self->max_extract_size = g_value_get_uint64 (value);
      break;
    case PROP_MAX_EXTRACT_ENTRIES:
      self->max_extract_entries = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
vi_client_class_init (ViClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vi_client_dispose;
  object_class->finalize = vi_client_finalize;
  object_class->get_property = vi_client_get_property;
  object_class->set_property = vi_client_set_property;

  /**
   * ViClient:endpoint:
   *
   * The API endpoint.  %NULL means `DATATURE_VI_API_ENDPOINT`, else
   * %VI_DEFAULT_ENDPOINT.  Only the scheme (http or https), host and port
   * are used: the API lives at the root of the host.
   */
  properties[PROP_ENDPOINT] =
      g_param_spec_string ("endpoint", "Endpoint", "API endpoint URL", NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                               G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:secret-key:
   *
   * The secret key (`dtvi_…`).  Write-only: it is never readable, logged
   * or put in an error message.  %NULL means `DATATURE_VI_SECRET_KEY`, then
   * the config file.
   */
  properties[PROP_SECRET_KEY] =
      g_param_spec_string ("secret-key", "Secret key",
                           "Secret key (write-only)", NULL,
                           G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
                               G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:organization-id:
   *
   * The organization id.  %NULL means `DATATURE_VI_ORGANIZATION_ID`, then
   * the config file.  Wherever it comes from, it must be an id like the
   * others (1 to 255 of `A-Z a-z 0-9 _ -`), or the client is not created.
   */
  properties[PROP_ORGANIZATION_ID] =
      g_param_spec_string ("organization-id", "Organization id",
                           "Organization id", NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                               G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:config-file:
   *
   * A JSON file with `secret_key` and `organization_id`, read only when
   * given, for values not set by argument or environment.  A leading `~`
   * is expanded.
   */
  properties[PROP_CONFIG_FILE] =
      g_param_spec_string ("config-file", "Config file",
                           "JSON credentials file", NULL,
                           G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
                               G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_AGENT] =
      g_param_spec_string ("user-agent", "User agent",
                           "User-Agent header value", NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
      g_param_spec_uint ("timeout", "Timeout",
                         "I/O timeout of one request in seconds (0 = none)", 0,
                         G_MAXUINT, DEFAULT_TIMEOUT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_RETRIES] = g_param_spec_uint (
      "max-retries", "Max retries",
      "Retries after 500/502/503/504, timeouts and transport errors", 0, 100,
      DEFAULT_MAX_RETRIES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_RATE_LIMIT_RETRIES] =
      g_param_spec_uint ("max-rate-limit-retries", "Max rate-limit retries",
                         "Retries after 429", 0, 1000,
                         DEFAULT_MAX_RATE_LIMIT_RETRIES,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_BASE_DELAY] =
      g_param_spec_double ("retry-base-delay", "Retry base delay",
                           "Base of the exponential backoff, seconds", 0, 3600,
                           DEFAULT_RETRY_BASE_DELAY,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_MAX_DELAY] = g_param_spec_double (
      "retry-max-delay", "Retry max delay",
      "Longest wait between attempts (also caps Retry-After), seconds", 0, 3600,
      DEFAULT_RETRY_MAX_DELAY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_CONNECTIONS] =
      g_param_spec_uint ("max-connections", "Max connections",
                         "Connections kept to the endpoint", 1, 256,
                         DEFAULT_MAX_CONNECTIONS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                             G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:allow-insecure:
   *
   * Whether a plain `http://` endpoint on a host that is not loopback is
   * accepted.  By default it is refused when the client is made: the
   * secret key, sent as a Bearer token with every request, would travel
   * in clear text.  Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`)
   * are always accepted.
   */
  properties[PROP_ALLOW_INSECURE] =
      g_param_spec_boolean ("allow-insecure", "Allow insecure",
                            "Accept plain http to a host that is not loopback",
                            FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:tls-ca-file:
   *
   * A PEM file of CA certificates, for a private deployment whose server
   * certificate the system does not trust.  A certificate is accepted when
   * the system's authorities or these vouch for it, on every request of
   * the client: API calls, signed uploads and downloads.  A file that
   * cannot be read or holds no certificate fails the construction.
   */
  properties[PROP_TLS_CA_FILE] =
      g_param_spec_string ("tls-ca-file", "TLS CA file",
                           "PEM file of extra CA certificates", NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                               G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:max-extract-size:
   *
   * The most bytes vi_client_download_export() extracts from an archive,
   * all entries together, as the archive's central directory declares
   * them (each entry is then held to its declared size).  A larger
   * archive is refused before anything is written.  0 means no limit.
   */
  properties[PROP_MAX_EXTRACT_SIZE] = g_param_spec_uint64 (
      "max-extract-size", "Max extract size",
      "Most bytes extracted from an export archive (0 = no limit)", 0,
      G_MAXUINT64, DEFAULT_MAX_EXTRACT_SIZE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * ViClient:max-extract-entries:
   *
   * The most entries (files and folders) vi_client_download_export()
   * accepts in an archive; more are refused before anything is written.
   * The default, 65535, is all that an archive without ZIP64 can hold.
   * 0 means no limit.
   */
  properties[PROP_MAX_EXTRACT_ENTRIES] = g_param_spec_uint (
      "max-extract-entries", "Max extract entries",
      "Most entries extracted from an export archive (0 = no limit)", 0,
      G_MAXUINT, DEFAULT_MAX_EXTRACT_ENTRIES,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* ------------------------------------------------------------------------
 * Construction: each setting from the constructor's arguments, else the
 * environment, else the config file (vi-client-config.c reads it and
 * checks the endpoint)
 * ------------------------------------------------------------------------ */

static const char *
non_empty (const char *s)
{
  return (s != NULL && *s != '\0') ? s : NULL;
}

static gboolean
vi_client_initable_init (GInitable    *initable,
                         GCancellable *cancellable,
                         GError      **error)
{
  ViClient        *self = VI_CLIENT (initable);
  g_autofree char *key = NULL;
  g_autofree char *org = NULL;
  g_autofree char *config_source = NULL;
  g_autoptr (GTlsDatabase) ca_database = NULL;
  const char *org_source;
  const char *endpoint;

  key = g_strdup (non_empty (self->secret_key_arg));
  if (key == NULL)
    key = g_strdup (non_empty (g_getenv ("DATATURE_VI_SECRET_KEY")));
  org = g_strdup (non_empty (self->organization_id_arg));
  org_source = "the organization id given to the client";
  if (org == NULL) {
    org = g_strdup (non_empty (g_getenv ("DATATURE_VI_ORGANIZATION_ID")));
    org_source = "DATATURE_VI_ORGANIZATION_ID";
  }

  if (self->config_file != NULL && (key == NULL || org == NULL)) {
    gboolean org_from_file = org == NULL;

    if (!_vi_client_load_config_file (self->config_file, &key, &org, error))
      return FALSE;
    if (org_from_file)
      org_source = config_source = g_strdup_printf ("organization_id of the "
                                                    "config file %s",
                                                    self->config_file);
  }

  if (key == NULL) {
    g_set_error_literal (
        error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "no secret key: set DATATURE_VI_SECRET_KEY, pass one to the client "
        "or give a config file with secret_key");
    return FALSE;
  }
  if (!g_str_has_prefix (key, SECRET_KEY_PREFIX) ||
      strlen (key) != SECRET_KEY_LENGTH) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "the secret key is malformed: a Vi secret key starts with \"" SECRET_KEY_PREFIX
                 "\" and is %d characters long (got %" G_GSIZE_FORMAT
                 " characters); check DATATURE_VI_SECRET_KEY",
                 SECRET_KEY_LENGTH, strlen (key));
    memset (key, 0, strlen (key));
    return FALSE;
  }
  if (org == NULL) {
    g_set_error_literal (
        error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
        "no organization id: set DATATURE_VI_ORGANIZATION_ID, pass one to "
        "the client or give a config file with organization_id");
    return FALSE;
  }
  /* It goes into paths and into the Organization-Id header: the id
   * alphabet keeps it in its path segment and CR/LF out of headers. */
  if (!vi_validate_id ("organization id", org, error)) {
    g_prefix_error (error, "%s: ", org_source);
    return FALSE;
  }

  endpoint = non_empty (self->endpoint_arg);
  if (endpoint == NULL)
    endpoint = non_empty (g_getenv ("DATATURE_VI_API_ENDPOINT"));
  if (endpoint == NULL)
    endpoint = VI_DEFAULT_ENDPOINT;
  if (!_vi_client_resolve_endpoint (endpoint, self->allow_insecure,
                                    &self->endpoint, error))
    return FALSE;
  if (self->tls_ca_file != NULL) {
    g_autoptr (GError) local_error = NULL;

    ca_database = g_tls_file_database_new (self->tls_ca_file, &local_error);
    if (ca_database == NULL) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "cannot use the CA file %s: %s", self->tls_ca_file,
                   local_error->message);
      return FALSE;
    }
  }

  self->secret_key = g_steal_pointer (&key);
  self->organization_id = g_steal_pointer (&org);
  self->authorization = g_strconcat ("Bearer ", self->secret_key, NULL);
  free_secret (&self->secret_key_arg);
  if (self->user_agent == NULL)
    self->user_agent = _vi_client_default_user_agent ();

  self->session =
      g_object_new (SOUP_TYPE_SESSION, "user-agent", self->user_agent,
                    "timeout", self->timeout, "idle-timeout",
                    DEFAULT_IDLE_TIMEOUT, "max-conns", self->max_connections,
                    "max-conns-per-host", self->max_connections, NULL);
  if (ca_database != NULL)
    _vi_http_session_set_ca_database (self->session, ca_database);
  return TRUE;
}

static void
vi_client_initable_iface_init (GInitableIface *iface)
{
  iface->init = vi_client_initable_init;
}

/**
 * vi_client_new:
 * @endpoint: (nullable): API endpoint, or %NULL for
 *   `DATATURE_VI_API_ENDPOINT` / %VI_DEFAULT_ENDPOINT
 * @secret_key: (nullable): secret key, or %NULL for
 *   `DATATURE_VI_SECRET_KEY` / the config file
 * @organization_id: (nullable): organization id, or %NULL for
 *   `DATATURE_VI_ORGANIZATION_ID` / the config file
 * @config_file: (nullable) (type filename): JSON file with `secret_key` and
 *   `organization_id`, read only when given
 * @error: return location for a #GError
 *
 * Creates a client.  Fails with %VI_ERROR_INVALID_ARGUMENT when no usable
 * credentials are found (the message says where a refused one came from)
 * or the endpoint is not an http(s) URL.  No request is made.
 *
 * Returns: (transfer full): a new #ViClient, or %NULL
 */
ViClient *
vi_client_new (const char *endpoint,
               const char *secret_key,
               const char *organization_id,
               const char *config_file,
               GError    **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (VI_TYPE_CLIENT, NULL, error, "endpoint", endpoint,
                         "secret-key", secret_key, "organization-id",
                         organization_id, "config-file", config_file, NULL);
}

/**
 * vi_client_new_from_env:
 * @error: return location for a #GError
 *
 * Creates a client from `DATATURE_VI_SECRET_KEY`,
 * `DATATURE_VI_ORGANIZATION_ID` and `DATATURE_VI_API_ENDPOINT`, like the
 * SDK's `vi.Client()`.
 *
 * Returns: (transfer full): a new #ViClient, or %NULL
 */
ViClient *
vi_client_new_from_env (GError **error)
{
  return vi_client_new (NULL, NULL, NULL, NULL, error);
}

/**
 * vi_client_get_endpoint:
 * @self: a #ViClient
 *
 * Returns: the endpoint requests go to (scheme, host and port)
 */
const char *
vi_client_get_endpoint (ViClient *self)
{
  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  return self->endpoint;
}

/**
 * vi_client_get_organization_id:
 * @self: a #ViClient
 *
 * Returns: the organization id
 */
const char *
vi_client_get_organization_id (ViClient *self)
{
  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  return self->organization_id;
}

/**
 * vi_client_get_user_agent:
 * @self: a #ViClient
 *
 * Returns: the User-Agent sent with every request
 */
const char *
vi_client_get_user_agent (ViClient *self)
{
  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  return self->user_agent;
}

SoupSession *
_vi_client_get_session (ViClient *self)
{
  return self->session;
}

void
_vi_client_get_extract_limits (ViClient *self,
                               guint64  *max_size,
                               guint    *max_entries)
{
  *max_size = self->max_extract_size;
  *max_entries = self->max_extract_entries;
}

ViRetryPolicy
_vi_client_get_retry_policy (ViClient *self)
{
  ViRetryPolicy policy = {
    .max_retries = self->max_retries,
    .max_rate_limit_retries = self->max_rate_limit_retries,
    .base_delay = self->retry_base_delay,
    .max_delay = self->retry_max_delay,
  };

  return policy;
}

GString *
_vi_client_dataset_url (ViClient *self, const char *dataset_id)
{
  g_autofree char *org = vi_escape_path_segment (self->organization_id);
  g_autofree char *composite = g_strconcat (self->organization_id, "_",
                                            dataset_id, NULL);
  g_autofree char *ds = vi_escape_path_segment (composite);
  GString         *path = g_string_new (self->endpoint);

  g_string_append_printf (path, "/workspaces/%s/datasets/%s", org, ds);
  return path;
}

ViHttpRequest *
_vi_client_new_request (ViClient    *self,
                        const char  *method,
                        const char  *url,
                        JsonNode    *body,
                        ViHttpTarget target,
                        const char  *what)
{
  ViRetryPolicy  policy = _vi_client_get_retry_policy (self);
  ViHttpRequest *request;

  request = _vi_http_request_new (self->session, method, url, body, &policy,
                                  target, what);
  _vi_http_request_add_header (request, "Authorization", self->authorization);
  _vi_http_request_add_header (request, "Organization-Id",
                               self->organization_id);
  return request;
}
