/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
#include <sys/utsname.h>

#include "vi-client.h"
#include "vi-error-private.h"
#include "vi-http-private.h"
#include "vi-json-private.h"
#include "vi-model-private.h"
#include "vi-client-private.h"
#include "vi-text-private.h"

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

static const char *
non_empty (const char *s)
{
  return (s != NULL && *s != '\0') ? s : NULL;
}

static gboolean
load_config_file (const char *path,
                  char      **secret_key,
                  char      **organization_id,
                  GError    **error)
{
  g_autofree char *expanded = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *obj;
  const char *keys[] = { "secret_key", "organization_id" };
  char      **outs[] = { secret_key, organization_id };

  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    expanded = g_build_filename (g_get_home_dir (), path + 1, NULL);
  else
    expanded = g_strdup (path);

  /* Read with the limits of every JSON the library reads: a config file
   * may come from anywhere a path can point to. */
  prefix = g_strdup_printf ("config file %s", expanded);
  root = vi_json_parse_file (expanded, VI_JSON_MAX_FILE_SIZE,
                             VI_ERROR_INVALID_ARGUMENT, prefix, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "config file %s: expected a JSON object with secret_key and "
                 "organization_id",
                 expanded);
    return FALSE;
  }
  obj = json_node_get_object (root);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    JsonNode *m = json_object_get_member (obj, keys[i]);

    if (m == NULL || JSON_NODE_HOLDS_NULL (m))
      continue;
    if (!JSON_NODE_HOLDS_VALUE (m) ||
        json_node_get_value_type (m) != G_TYPE_STRING) {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "config file %s: %s must be a string", expanded, keys[i]);
      return FALSE;
    }
    if (*outs[i] == NULL)
      *outs[i] = g_strdup (json_node_get_string (m));
  }
  return TRUE;
}

static char *
default_user_agent (void)
{
  struct utsname u;
  const char    *sys = "unknown", *rel = "";

  if (uname (&u) == 0) {
    sys = u.sysname;
    rel = u.release;
  }
  return g_strdup_printf ("vi-c/%s (GLib/%u.%u.%u; libsoup/%u.%u.%u; %s/%s)",
                          VI_VERSION_S, glib_major_version, glib_minor_version,
                          glib_micro_version, soup_get_major_version (),
                          soup_get_minor_version (), soup_get_micro_version (),
                          sys, rel);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      g_ascii_strcasecmp (host, "localhost.") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
resolve_endpoint (const char *endpoint,
                  gboolean    allow_insecure,
                  char      **out,
                  GError    **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme;

  uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "invalid endpoint \"%s\": %s", endpoint, local_error->message);
    return FALSE;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 &&
      g_ascii_strcasecmp (scheme, "https") != 0) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "invalid endpoint \"%s\": only http and https are supported",
                 endpoint);
    return FALSE;
  }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "invalid endpoint \"%s\": no host", endpoint);
    return FALSE;
  }
  if (g_ascii_strcasecmp (scheme, "http") == 0 && !allow_insecure &&
      !host_is_loopback (g_uri_get_host (uri))) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "refusing the endpoint \"%s\": with plain http to a host that is "
                 "not loopback, the secret key (sent as a Bearer token) would travel "
                 "in clear text; use https, or opt in with the client's "
                 "allow-insecure property (vi-annotations --allow-insecure)",
                 endpoint);
    return FALSE;
  }
  /* Like the SDK (urljoin with an absolute path), any path of the
   * endpoint is dropped: the API is served at the root of the host. */
  *out = g_uri_join (G_URI_FLAGS_NONE,
                     g_ascii_strcasecmp (scheme, "https") == 0 ? "https"
                                                               : "http",
                     NULL, g_uri_get_host (uri), g_uri_get_port (uri), "", NULL,
                     NULL);
  return TRUE;
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

    if (!load_config_file (self->config_file, &key, &org, error))
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
  if (!resolve_endpoint (endpoint, self->allow_insecure, &self->endpoint,
                         error))
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
    self->user_agent = default_user_agent ();

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

/* ------------------------------------------------------------------------
 * Validation and paths
 * ------------------------------------------------------------------------ */

/**
 * vi_validate_id:
 * @what: what the id names, for the message ("dataset id")
 * @id: (nullable): the id
 * @error: return location for a #GError
 *
 * Checks an id as the SDK does: 1 to 255 characters of `A-Z a-z 0-9 _ -`.
 * The message of a refused id shows it with control characters escaped.
 *
 * Returns: %TRUE if @id is valid
 */
gboolean
vi_validate_id (const char *what, const char *id, GError **error)
{
  gsize len;

  if (id == NULL || *id == '\0') {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT, "%s is empty",
                 what);
    return FALSE;
  }
  len = strlen (id);
  if (len > 255) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "%s is %" G_GSIZE_FORMAT
                 " characters long; at most 255 are allowed",
                 what, len);
    return FALSE;
  }
  for (const char *p = id; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-') {
      g_autofree char *shown = _vi_text_excerpt (id, -1, 64, VI_TEXT_ESCAPE);
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "%s \"%s\" is invalid: only letters, digits, '_' and '-' are "
                   "allowed",
                   what, shown);
      return FALSE;
    }
  }
  return TRUE;
}

/* Asset ids are free text, percent-encoded into one path segment, except
 * what would leave that segment: "." and ".." (GLib's URI parser, and
 * servers, resolve them even encoded) and control characters. */
gboolean
_vi_validate_asset_id (const char *asset_id, GError **error)
{
  if (asset_id == NULL || *asset_id == '\0') {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                         "asset id is empty");
    return FALSE;
  }
  if (!g_utf8_validate (asset_id, -1, NULL)) {
    g_autofree char *shown = _vi_text_excerpt (asset_id, -1, 64,
                                               VI_TEXT_ESCAPE);

    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "asset id \"%s\" is not valid UTF-8", shown);
    return FALSE;
  }
  if (g_str_equal (asset_id, ".") || g_str_equal (asset_id, "..")) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "asset id \"%s\" is refused: it would not stay one path segment "
                 "(it names the folder itself or its parent)",
                 asset_id);
    return FALSE;
  }
  for (const char *p = asset_id; *p != '\0'; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p))) {
      g_autofree char *shown = _vi_text_excerpt (asset_id, -1, 64,
                                                 VI_TEXT_ESCAPE);

      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "asset id \"%s\" is refused: it contains a control character",
                   shown);
      return FALSE;
    }
  }
  return TRUE;
}

/* /workspaces/{org}/datasets/{org}_{ds}, every segment encoded. */
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

static GString *
annotations_path (ViClient *self, const char *dataset_id, const char *asset_id)
{
  GString         *path = _vi_client_dataset_url (self, dataset_id);
  g_autofree char *asset = vi_escape_path_segment (asset_id);

  g_string_append_printf (path, "/assets/%s/annotations", asset);
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

/* ------------------------------------------------------------------------
 * Generic call: send, then decode the JSON in the caller's context.
 * ------------------------------------------------------------------------ */

typedef struct {
  ViDecodeFunc   decode;
  gboolean       raw;
  gpointer       decode_data;
  GDestroyNotify decode_data_free;
  GDestroyNotify result_free;
} CallData;

static void
call_data_free (CallData *data)
{
  if (data->decode_data_free != NULL)
    data->decode_data_free (data->decode_data);
  g_free (data);
}

static void
call_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GError  *error = NULL;
  gpointer decoded;

  if (data->raw)
    bytes = _vi_http_send_finish_bytes (result, &error);
  else
    node = _vi_http_send_finish (result, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  decoded = data->decode (data->raw ? (gpointer) bytes : (gpointer) node,
                          data->decode_data, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, decoded, data->result_free);
}

void
_vi_client_call_async (ViClient           *self,
                       ViHttpRequest      *request,
                       ViDecodeFunc        decode,
                       gpointer            decode_data,
                       GDestroyNotify      decode_data_free,
                       GDestroyNotify      result_free,
                       gpointer            source_tag,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GTask    *task;
  CallData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (CallData, 1);
  data->decode = decode;
  data->raw = request->raw_body;
  data->decode_data = decode_data;
  data->decode_data_free = decode_data_free;
  data->result_free = result_free;
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);
  _vi_http_send_async (request, cancellable, call_done_cb, task);
}

gpointer
_vi_client_call_finish (ViClient     *self,
                        GAsyncResult *result,
                        gpointer      source_tag,
                        GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_vi_client_return_early_error (ViClient           *self,
                               gpointer            source_tag,
                               GError             *error,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* ------------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------------ */

/* Pages are decoded straight from the body: json-glib's node tree would
 * cost more than the transfer (see tests/bench). */
static gpointer
decode_page (gpointer body, gpointer decode_data, GError **error)
{
  return _vi_annotation_page_new_from_bytes (body, error);
}

/* The URL of one page, or NULL with error set for bad arguments. */
static char *
list_url (ViClient   *self,
          const char *dataset_id,
          const char *asset_id,
          guint       page_size,
          const char *page_token,
          GError    **error)
{
  GString *url;

  if (page_size == 0)
    page_size = VI_DEFAULT_PAGE_SIZE;
  if (!vi_validate_id ("dataset id", dataset_id, error) ||
      !_vi_validate_asset_id (asset_id, error))
    return NULL;
  if (page_size > VI_MAX_PAGE_SIZE) {
    g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                 "page size %u is out of range: use 1 to %d", page_size,
                 VI_MAX_PAGE_SIZE);
    return NULL;
  }

  url = annotations_path (self, dataset_id, asset_id);
  g_string_append_c (url, '?');
  if (page_token != NULL && *page_token != '\0') {
    g_autofree char *token = _vi_http_escape_query (page_token);
    g_string_append_printf (url, "pageToken=%s&", token);
  }
  g_string_append_printf (url, "pageSize=%u", page_size);
  return g_string_free (url, FALSE);
}

static ViHttpRequest *
new_list_request (ViClient *self, const char *url)
{
  ViHttpRequest *request = _vi_client_new_request (self, "GET", url, NULL,
                                                   VI_HTTP_TARGET_ANNOTATION,
                                                   "list annotations");

  request->raw_body = TRUE;
  return request;
}

/**
 * vi_client_list_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id (any text but "." and ".." and control
 *   characters; it is percent-encoded)
 * @page_size: items per page, 1 to %VI_MAX_PAGE_SIZE, or 0 for
 *   %VI_DEFAULT_PAGE_SIZE
 * @page_token: (nullable): the `nextPage` token of the previous page, or
 *   %NULL for the first page
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the page is there
 * @user_data: data for @callback
 *
 * Lists one page of the annotations of an asset.  See
 * vi_client_list_annotations().
 */
void
vi_client_list_annotations_async (ViClient           *self,
                                  const char         *dataset_id,
                                  const char         *asset_id,
                                  guint               page_size,
                                  const char         *page_token,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = list_url (self, dataset_id, asset_id, page_size, page_token, &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_list_annotations_async,
                                   error, callback, user_data);
    return;
  }
  _vi_client_call_async (self, new_list_request (self, url), decode_page, NULL,
                         NULL, (GDestroyNotify) vi_annotation_page_unref,
                         vi_client_list_annotations_async, cancellable,
                         callback, user_data);
}

/**
 * vi_client_list_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the page, or %NULL on error
 */
ViAnnotationPage *
vi_client_list_annotations_finish (ViClient     *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_list_annotations_async,
                                 error);
}

typedef struct {
  ViClient   *client;
  const char *dataset_id;
  const char *asset_id;
  const char *annotation_id;
  const char *page_token;
  guint       page_size;
} SyncArgs;

static void
start_list (gpointer            data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_list_annotations_async (a->client, a->dataset_id, a->asset_id,
                                    a->page_size, a->page_token, cancellable,
                                    callback, user_data);
}

/**
 * vi_client_list_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id (any text but "." and ".." and control
 *   characters; it is percent-encoded)
 * @page_size: items per page, 1 to %VI_MAX_PAGE_SIZE, or 0 for
 *   %VI_DEFAULT_PAGE_SIZE
 * @page_token: (nullable): the `nextPage` token of the previous page, or
 *   %NULL for the first page
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists one page of the annotations of an asset (the reference's `list()`
 * with `PaginationParams`).  Use vi_client_iterate_annotations() or
 * vi_client_list_all_annotations() to walk every page.
 *
 * Returns: (transfer full): the page, or %NULL on error
 */
ViAnnotationPage *
vi_client_list_annotations (ViClient     *self,
                            const char   *dataset_id,
                            const char   *asset_id,
                            guint         page_size,
                            const char   *page_token,
                            GCancellable *cancellable,
                            GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, NULL, page_token, page_size };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_list, &a, cancellable);
  return vi_client_list_annotations_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * get
 * ------------------------------------------------------------------------ */

static gpointer
decode_annotation (gpointer node, gpointer decode_data, GError **error)
{
  return vi_annotation_new_from_json (node, error);
}

static char *
annotation_url (ViClient   *self,
                const char *dataset_id,
                const char *asset_id,
                const char *annotation_id,
                GError    **error)
{
  GString         *url;
  g_autofree char *id = NULL;

  if (!vi_validate_id ("dataset id", dataset_id, error) ||
      !_vi_validate_asset_id (asset_id, error) ||
      !vi_validate_id ("annotation id", annotation_id, error))
    return NULL;

  url = annotations_path (self, dataset_id, asset_id);
  id = vi_escape_path_segment (annotation_id);
  g_string_append_printf (url, "/%s", id);
  return g_string_free (url, FALSE);
}

/**
 * vi_client_get_annotation_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets one annotation.  See vi_client_get_annotation().
 */
void
vi_client_get_annotation_async (ViClient           *self,
                                const char         *dataset_id,
                                const char         *asset_id,
                                const char         *annotation_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = annotation_url (self, dataset_id, asset_id, annotation_id, &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_get_annotation_async, error,
                                   callback, user_data);
    return;
  }
  _vi_client_call_async (self,
                         _vi_client_new_request (self, "GET", url, NULL,
                                                 VI_HTTP_TARGET_ANNOTATION,
                                                 "get annotation"),
                         decode_annotation, NULL, NULL,
                         (GDestroyNotify) vi_annotation_unref,
                         vi_client_get_annotation_async, cancellable, callback,
                         user_data);
}

/**
 * vi_client_get_annotation_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the annotation, or %NULL on error
 */
ViAnnotation *
vi_client_get_annotation_finish (ViClient     *self,
                                 GAsyncResult *result,
                                 GError      **error)
{
  return _vi_client_call_finish (self, result, vi_client_get_annotation_async,
                                 error);
}

static void
start_get (gpointer            data,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_get_annotation_async (a->client, a->dataset_id, a->asset_id,
                                  a->annotation_id, cancellable, callback,
                                  user_data);
}

/**
 * vi_client_get_annotation:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gets one annotation (the reference's `get()`).
 *
 * Returns: (transfer full): the annotation, or %NULL on error
 */
ViAnnotation *
vi_client_get_annotation (ViClient     *self,
                          const char   *dataset_id,
                          const char   *asset_id,
                          const char   *annotation_id,
                          GCancellable *cancellable,
                          GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, annotation_id, NULL, 0 };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_get, &a, cancellable);
  return vi_client_get_annotation_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * delete
 * ------------------------------------------------------------------------ */

static gpointer
decode_deleted (gpointer node, gpointer decode_data, GError **error)
{
  return vi_deleted_resource_new (decode_data);
}

/**
 * vi_client_delete_annotation_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Deletes one annotation.  See vi_client_delete_annotation().
 */
void
vi_client_delete_annotation_async (ViClient           *self,
                                   const char         *dataset_id,
                                   const char         *asset_id,
                                   const char         *annotation_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GError          *error = NULL;
  g_autofree char *url = NULL;
  ViHttpRequest   *request;

  g_return_if_fail (VI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  url = annotation_url (self, dataset_id, asset_id, annotation_id, &error);
  if (url == NULL) {
    _vi_client_return_early_error (self, vi_client_delete_annotation_async,
                                   error, callback, user_data);
    return;
  }
  request = _vi_client_new_request (self, "DELETE", url, NULL,
                                    VI_HTTP_TARGET_ANNOTATION,
                                    "delete annotation");
  /* The service answers 2xx with an empty body (vi-api.md §5.1). */
  request->expect_empty = TRUE;
  _vi_client_call_async (self, request, decode_deleted,
                         g_strdup (annotation_id), g_free,
                         (GDestroyNotify) vi_deleted_resource_free,
                         vi_client_delete_annotation_async, cancellable,
                         callback, user_data);
}

/**
 * vi_client_delete_annotation_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a #ViDeletedResource naming the deleted
 *   annotation, or %NULL on error
 */
ViDeletedResource *
vi_client_delete_annotation_finish (ViClient     *self,
                                    GAsyncResult *result,
                                    GError      **error)
{
  return _vi_client_call_finish (self, result,
                                 vi_client_delete_annotation_async, error);
}

static void
start_delete (gpointer            data,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_delete_annotation_async (a->client, a->dataset_id, a->asset_id,
                                     a->annotation_id, cancellable, callback,
                                     user_data);
}

/**
 * vi_client_delete_annotation:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @annotation_id: the annotation id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Deletes one annotation (the reference's `delete()`).  A delete is not
 * idempotent from the caller's point of view: retried after a lost
 * response, it may end with %VI_ERROR_NOT_FOUND although it succeeded.
 *
 * Returns: (transfer full): a #ViDeletedResource, or %NULL on error
 */
ViDeletedResource *
vi_client_delete_annotation (ViClient     *self,
                             const char   *dataset_id,
                             const char   *asset_id,
                             const char   *annotation_id,
                             GCancellable *cancellable,
                             GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, annotation_id, NULL, 0 };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_delete, &a, cancellable);
  return vi_client_delete_annotation_finish (self, result, error);
}

/* ------------------------------------------------------------------------
 * Pager
 * ------------------------------------------------------------------------ */

/**
 * ViAnnotationPager:
 *
 * Walks the pages of an asset's annotations, sending each page's
 * `nextPage` as the next request's `pageToken`, as the SDK's
 * `PaginatedResponse` iteration does.  It stops after the first page whose
 * `nextPage` is missing, null or empty, and fails with
 * %VI_ERROR_INVALID_RESPONSE if the server hands back the token it was
 * just given (which would loop forever).
 *
 * A pager overlaps the transfer of the next page with the decoding of the
 * current one: as soon as a page's body is in, the request for the
 * following page is sent (with the `nextPage` token read from the end of
 * the body) while the body is decoded on a worker thread.  The token is
 * checked against the decoded page; a wrong guess is cancelled and the
 * right page requested, so the pages returned are exactly those of a
 * sequential walk.  The prefetch is a GET, which changes nothing on the
 * server.
 */
struct _ViAnnotationPager {
  GObject parent_instance;

  ViClient *client;
  char     *dataset_id;
  char     *asset_id;
  guint     page_size;
  char     *token;
  gboolean  done;
  gboolean  busy;
  guint     n_pages;

  /* The speculative request for the page after the one being decoded. */
  char         *prefetch_token;
  GCancellable *prefetch_cancellable;
  GMainContext *prefetch_context;
  gboolean      prefetch_done;
  GBytes       *prefetch_bytes;
  GError       *prefetch_error;
  GTask        *prefetch_waiter;
  gulong        prefetch_cancel_id;
  guint         prefetch_generation;
};

G_DEFINE_FINAL_TYPE (ViAnnotationPager, vi_annotation_pager, G_TYPE_OBJECT)

static void
pager_clear_prefetch (ViAnnotationPager *self)
{
  /* Late callbacks of an abandoned request see another generation. */
  self->prefetch_generation++;
  if (self->prefetch_cancellable != NULL)
    g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  g_clear_pointer (&self->prefetch_token, g_free);
  g_clear_pointer (&self->prefetch_context, g_main_context_unref);
  g_clear_pointer (&self->prefetch_bytes, g_bytes_unref);
  g_clear_error (&self->prefetch_error);
  self->prefetch_done = FALSE;
}

static void
vi_annotation_pager_dispose (GObject *object)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (object);

  /* A prefetch in flight holds a reference, so there is no waiter here. */
  g_assert (self->prefetch_waiter == NULL);
  pager_clear_prefetch (self);

  G_OBJECT_CLASS (vi_annotation_pager_parent_class)->dispose (object);
}

static void
vi_annotation_pager_finalize (GObject *object)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (object);

  g_clear_object (&self->client);
  g_free (self->dataset_id);
  g_free (self->asset_id);
  g_free (self->token);

  G_OBJECT_CLASS (vi_annotation_pager_parent_class)->finalize (object);
}

static void
vi_annotation_pager_class_init (ViAnnotationPagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vi_annotation_pager_dispose;
  G_OBJECT_CLASS (klass)->finalize = vi_annotation_pager_finalize;
}

static void
vi_annotation_pager_init (ViAnnotationPager *self)
{
}

/**
 * vi_client_iterate_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 *
 * Returns a pager over every page of an asset's annotations.  No request
 * is made until vi_annotation_pager_next().
 *
 * Returns: (transfer full): a new #ViAnnotationPager
 */
ViAnnotationPager *
vi_client_iterate_annotations (ViClient   *self,
                               const char *dataset_id,
                               const char *asset_id,
                               guint       page_size)
{
  ViAnnotationPager *pager;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);

  pager = g_object_new (VI_TYPE_ANNOTATION_PAGER, NULL);
  pager->client = g_object_ref (self);
  pager->dataset_id = g_strdup (dataset_id);
  pager->asset_id = g_strdup (asset_id);
  pager->page_size = page_size;
  return pager;
}

/* Reads the top-level "nextPage" string from the end of a page body
 * without parsing it: the last occurrence of the key, a colon, a string
 * without escapes.  Only a guess; the decoded page decides. */
char *
_vi_guess_next_token (GBytes *bytes)
{
  static const char key[] = "\"nextPage\"";
  gsize             len = 0;
  const char       *data = g_bytes_get_data (bytes, &len);
  const char       *p, *end;

  if (data == NULL || len < sizeof key)
    return NULL;
  for (p = data + len - (sizeof key - 1); p >= data; p--) {
    if (*p == '"' && memcmp (p, key, sizeof key - 1) == 0)
      break;
  }
  if (p < data)
    return NULL;
  end = data + len;
  p += sizeof key - 1;
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p >= end || *p != ':')
    return NULL;
  p++;
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p >= end || *p != '"')
    return NULL;
  p++;
  for (const char *q = p; q < end && q - p < 4096; q++) {
    if (*q == '\\' || (guchar) *q < 0x20)
      return NULL;
    if (*q == '"')
      return q > p ? g_strndup (p, q - p) : NULL;
  }
  return NULL;
}

static void pager_got_bytes (GTask *task, GBytes *bytes);

static void
pager_deliver_prefetch (ViAnnotationPager *self)
{
  GTask        *task = g_steal_pointer (&self->prefetch_waiter);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (GBytes) bytes = g_steal_pointer (&self->prefetch_bytes);
  GError *error = g_steal_pointer (&self->prefetch_error);

  if (self->prefetch_cancel_id != 0) {
    g_cancellable_disconnect (cancellable, self->prefetch_cancel_id);
    self->prefetch_cancel_id = 0;
  }
  pager_clear_prefetch (self);

  if (error != NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  pager_got_bytes (task, bytes);
}

typedef struct {
  ViAnnotationPager *pager;
  guint              generation;
} PrefetchData;

static void
prefetch_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PrefetchData *data = user_data;
  g_autoptr (ViAnnotationPager) self = data->pager;
  guint   generation = data->generation;
  GError *error = NULL;
  GBytes *bytes;

  g_free (data);
  bytes = _vi_http_send_finish_bytes (result, &error);
  if (generation != self->prefetch_generation || self->prefetch_done) {
    /* Abandoned: a wrong guess, or the pager moved on. */
    g_clear_pointer (&bytes, g_bytes_unref);
    g_clear_error (&error);
    return;
  }
  self->prefetch_done = TRUE;
  self->prefetch_bytes = bytes;
  self->prefetch_error = error;
  if (self->prefetch_waiter != NULL)
    pager_deliver_prefetch (self);
}

static void
pager_start_prefetch (ViAnnotationPager *self, char *token)
{
  g_autofree char *url = NULL;
  ViHttpRequest   *request;
  PrefetchData    *data;

  url = list_url (self->client, self->dataset_id, self->asset_id,
                  self->page_size, token, NULL);
  if (url == NULL) {
    g_free (token);
    return;
  }
  self->prefetch_token = token;
  self->prefetch_cancellable = g_cancellable_new ();
  self->prefetch_context = g_main_context_ref_thread_default ();
  request = new_list_request (self->client, url);
  data = g_new (PrefetchData, 1);
  data->pager = g_object_ref (self);
  data->generation = self->prefetch_generation;
  _vi_http_send_async (request, self->prefetch_cancellable, prefetch_cb, data);
}

static void
decode_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError           *error = NULL;
  ViAnnotationPage *page;

  page = _vi_annotation_page_new_from_bytes (task_data, &error);
  if (page == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, page,
                           (GDestroyNotify) vi_annotation_page_unref);
}

static void
decoded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ViAnnotationPager *self = VI_ANNOTATION_PAGER (source);
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;
  ViAnnotationPage *page;
  const char       *next;

  self->busy = FALSE;
  page = g_task_propagate_pointer (G_TASK (result), &error);
  if (page == NULL) {
    pager_clear_prefetch (self);
    g_prefix_error (&error, "list annotations: ");
    g_task_return_error (task, error);
    return;
  }

  next = vi_annotation_page_get_next_page (page);
  if (next != NULL && self->token != NULL && g_str_equal (next, self->token)) {
    pager_clear_prefetch (self);
    self->done = TRUE;
    vi_annotation_page_unref (page);
    g_task_return_new_error (
        task, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
        "list annotations: invalid response: the server returned the page "
        "token it was given as nextPage, which would never end");
    return;
  }

  /* Keep the prefetch only if it asked for the right page. */
  if (self->prefetch_token != NULL &&
      (next == NULL || !g_str_equal (next, self->prefetch_token)))
    pager_clear_prefetch (self);

  self->n_pages++;
  g_free (self->token);
  self->token = g_strdup (next);
  if (next == NULL || *next == '\0')
    self->done = TRUE;
  g_task_return_pointer (task, page, (GDestroyNotify) vi_annotation_page_unref);
}

/* A page body is in: ask for the following page at once, then decode this
 * one off the main context. */
static void
pager_got_bytes (GTask *task, GBytes *bytes)
{
  ViAnnotationPager *self = g_task_get_source_object (task);
  GTask             *decode;
  char              *guess;

  guess = _vi_guess_next_token (bytes);
  if (guess != NULL &&
      (self->token == NULL || !g_str_equal (guess, self->token)))
    pager_start_prefetch (self, guess);
  else
    g_free (guess);

  decode = g_task_new (self, NULL, decoded_cb, task);
  g_task_set_source_tag (decode, pager_got_bytes);
  g_task_set_task_data (decode, g_bytes_ref (bytes),
                        (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (decode, decode_in_thread);
  g_object_unref (decode);
}

static void
pager_fetch_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask             *task = user_data;
  ViAnnotationPager *self = g_task_get_source_object (task);
  GError            *error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = _vi_http_send_finish_bytes (result, &error);
  if (bytes == NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  pager_got_bytes (task, bytes);
}

static void
waiter_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  ViAnnotationPager *self = user_data;

  /* Runs in the canceller's thread: only cancel the request; the pager's
   * state is handled when its callback runs. */
  g_cancellable_cancel (self->prefetch_cancellable);
}

/**
 * vi_annotation_pager_next_async:
 * @self: a #ViAnnotationPager
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the next page
 * @user_data: data for @callback
 *
 * Fetches the next page.  See vi_annotation_pager_next().
 */
void
vi_annotation_pager_next_async (ViAnnotationPager  *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GTask *task;
  g_autoptr (GMainContext) context = NULL;
  g_autofree char *url = NULL;
  GError          *error = NULL;

  g_return_if_fail (VI_IS_ANNOTATION_PAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_annotation_pager_next_async);
  if (self->busy) {
    g_task_return_new_error (task, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                             "a page is already being fetched by this pager");
    g_object_unref (task);
    return;
  }
  if (self->done) {
    g_task_return_pointer (task, NULL, NULL);
    g_object_unref (task);
    return;
  }
  self->busy = TRUE;

  /* The prefetched page, if it is the right one and its I/O runs on this
   * thread's context. */
  context = g_main_context_ref_thread_default ();
  if (self->prefetch_token != NULL && self->token != NULL &&
      g_str_equal (self->prefetch_token, self->token) &&
      self->prefetch_context == context) {
    self->prefetch_waiter = task;
    if (self->prefetch_done) {
      pager_deliver_prefetch (self);
    } else if (cancellable != NULL) {
      self->prefetch_cancel_id =
          g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                 self, NULL);
    }
    return;
  }
  pager_clear_prefetch (self);

  url = list_url (self->client, self->dataset_id, self->asset_id,
                  self->page_size, self->token, &error);
  if (url == NULL) {
    self->busy = FALSE;
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  _vi_http_send_async (new_list_request (self->client, url), cancellable,
                       pager_fetch_cb, task);
}

/**
 * vi_annotation_pager_next_finish:
 * @self: a #ViAnnotationPager
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the next page, or %NULL with no
 *   error after the last page, or %NULL with @error set
 */
ViAnnotationPage *
vi_annotation_pager_next_finish (ViAnnotationPager *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_pager_next (gpointer            data,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  vi_annotation_pager_next_async (data, cancellable, callback, user_data);
}

/**
 * vi_annotation_pager_next:
 * @self: a #ViAnnotationPager
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Fetches the next page.
 *
 * Returns: (transfer full) (nullable): the next page, or %NULL with no
 *   error after the last page, or %NULL with @error set
 */
ViAnnotationPage *
vi_annotation_pager_next (ViAnnotationPager *self,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), NULL);

  if (self->done)
    return NULL;
  result = _vi_run_sync (start_pager_next, self, cancellable);
  return vi_annotation_pager_next_finish (self, result, error);
}

/**
 * vi_annotation_pager_is_done:
 * @self: a #ViAnnotationPager
 *
 * Returns: %TRUE once the last page has been returned
 */
gboolean
vi_annotation_pager_is_done (ViAnnotationPager *self)
{
  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), TRUE);
  return self->done;
}

/**
 * vi_annotation_pager_get_n_pages:
 * @self: a #ViAnnotationPager
 *
 * Returns: how many pages were returned so far
 */
guint
vi_annotation_pager_get_n_pages (ViAnnotationPager *self)
{
  g_return_val_if_fail (VI_IS_ANNOTATION_PAGER (self), 0);
  return self->n_pages;
}

/* ------------------------------------------------------------------------
 * All items
 * ------------------------------------------------------------------------ */

typedef struct {
  ViAnnotationPager *pager;
  GPtrArray         *items;
} AllData;

static void
all_data_free (AllData *data)
{
  g_clear_object (&data->pager);
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_free (data);
}

static void
all_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AllData *data = g_task_get_task_data (task);
  g_autoptr (ViAnnotationPage) page = NULL;
  GError    *error = NULL;
  GPtrArray *items;

  page = vi_annotation_pager_next_finish (data->pager, result, &error);
  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (page == NULL) {
    g_task_return_pointer (task, g_steal_pointer (&data->items),
                           (GDestroyNotify) g_ptr_array_unref);
    return;
  }
  items = vi_annotation_page_get_items (page);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (data->items, vi_annotation_ref (items->pdata[i]));

  vi_annotation_pager_next_async (data->pager, g_task_get_cancellable (task),
                                  all_page_cb, g_object_ref (task));
}

/**
 * vi_client_list_all_annotations_async:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every page is in
 * @user_data: data for @callback
 *
 * Collects every annotation of an asset.  See
 * vi_client_list_all_annotations().
 */
void
vi_client_list_all_annotations_async (ViClient           *self,
                                      const char         *dataset_id,
                                      const char         *asset_id,
                                      guint               page_size,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  GTask   *task;
  AllData *data;

  g_return_if_fail (VI_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vi_client_list_all_annotations_async);
  data = g_new0 (AllData, 1);
  data->pager = vi_client_iterate_annotations (self, dataset_id, asset_id,
                                               page_size);
  data->items = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vi_annotation_unref);
  g_task_set_task_data (task, data, (GDestroyNotify) all_data_free);
  vi_annotation_pager_next_async (data->pager, cancellable, all_page_cb, task);
}

/**
 * vi_client_list_all_annotations_finish:
 * @self: a #ViClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation, or %NULL on error
 */
GPtrArray *
vi_client_list_all_annotations_finish (ViClient     *self,
                                       GAsyncResult *result,
                                       GError      **error)
{
  return _vi_client_call_finish (self, result,
                                 vi_client_list_all_annotations_async, error);
}

static void
start_list_all (gpointer            data,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  SyncArgs *a = data;

  vi_client_list_all_annotations_async (a->client, a->dataset_id, a->asset_id,
                                        a->page_size, cancellable, callback,
                                        user_data);
}

/**
 * vi_client_list_all_annotations:
 * @self: a #ViClient
 * @dataset_id: the dataset id
 * @asset_id: the asset id
 * @page_size: items per page, or 0 for %VI_DEFAULT_PAGE_SIZE
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Collects every annotation of an asset, walking `nextPage` (the
 * reference's `all_items()`).
 *
 * Returns: (transfer container) (element-type ViAnnotation): every
 *   annotation, or %NULL on error
 */
GPtrArray *
vi_client_list_all_annotations (ViClient     *self,
                                const char   *dataset_id,
                                const char   *asset_id,
                                guint         page_size,
                                GCancellable *cancellable,
                                GError      **error)
{
  SyncArgs a = { self, dataset_id, asset_id, NULL, NULL, page_size };
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (VI_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = _vi_run_sync (start_list_all, &a, cancellable);
  return vi_client_list_all_annotations_finish (self, result, error);
}
