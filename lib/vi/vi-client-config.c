/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Where a client's settings come from, besides its properties: the JSON
 * config file (`secret_key`, `organization_id`), the endpoint (http or
 * https only, its path dropped, plain http only to loopback unless
 * allowed) and the default User-Agent.  ViClient's GInitable init
 * (vi-client.c) applies the order of precedence.
 */
#include "config.h"

#include <sys/utsname.h>

#include "vi-client-private.h"
#include "vi-json-private.h"

gboolean
_vi_client_load_config_file (const char *path,
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

char *
_vi_client_default_user_agent (void)
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

gboolean
_vi_client_resolve_endpoint (const char *endpoint,
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
