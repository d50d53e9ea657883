/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * TLS for every message libvi sends.
 *
 * A certificate the client does not trust stays untrusted on the next
 * attempt: such a failure is final, and its message says what is wrong
 * with the certificate.  The flags come from the message's
 * "accept-certificate" signal, emitted during the handshake of a new
 * connection.  A client's CA file (ViClient:tls-ca-file) is honoured there
 * too: a certificate the system refuses is accepted when the CA file
 * vouches for it (chain and host name), so that the system's authorities
 * keep working for the signed URLs of cloud storage.
 */
#include "config.h"

#include "vi-http-private.h"

#define CA_DATABASE_KEY "vi-ca-database"
/* Marks the flags as seen: a certificate may be refused with none set. */
#define TLS_FLAGS_SEEN (1u << 31)

static GQuark tls_peer_flags_quark (void);
G_DEFINE_QUARK (vi - tls - peer - flags, tls_peer_flags)

void
_vi_http_session_set_ca_database (SoupSession *session, GTlsDatabase *database)
{
  g_object_set_data_full (G_OBJECT (session), CA_DATABASE_KEY,
                          g_object_ref (database), g_object_unref);
}

static gboolean
accept_certificate_cb (SoupMessage         *msg,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  GTlsDatabase *database = user_data;

  if (database != NULL) {
    GUri *uri = soup_message_get_uri (msg);
    int   port = g_uri_get_port (uri);
    g_autoptr (GSocketConnectable)
        identity = g_network_address_new (g_uri_get_host (uri),
                                          port > 0 ? (guint16) port : 443);
    GTlsCertificateFlags flags;

    flags =
        g_tls_database_verify_chain (database, certificate,
                                     G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                     identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                     NULL, NULL);
    if (flags == 0)
      return TRUE;
  }
  g_object_set_qdata (G_OBJECT (msg), tls_peer_flags_quark (),
                      GUINT_TO_POINTER ((guint) errors | TLS_FLAGS_SEEN));
  return FALSE;
}

static void
unref_if_set (gpointer data, GClosure *closure)
{
  if (data != NULL)
    g_object_unref (data);
}

void
_vi_http_tls_watch (SoupSession *session, SoupMessage *msg)
{
  GTlsDatabase *database = g_object_get_data (G_OBJECT (session),
                                              CA_DATABASE_KEY);

  g_signal_connect_data (msg, "accept-certificate",
                         G_CALLBACK (accept_certificate_cb),
                         database != NULL ? g_object_ref (database) : NULL,
                         unref_if_set, 0);
}

/* GTlsCertificateFlags in words. */
static char *
describe_certificate_flags (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags flag;
    const char          *words;
  } problems[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA,
      "it is not signed by a known "
      "certificate authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it is not for this host name" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "it failed validation" },
  };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (problems); i++) {
    if (flags & problems[i].flag) {
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, problems[i].words);
    }
  }
  if (out->len == 0)
    g_string_append (out, "it was refused");
  return g_string_free (out, FALSE);
}

/* EOF and MISC may be a connection lost during the handshake: those stay
 * retried. */
GError *
_vi_http_tls_final_error (SoupMessage *msg, const GError *error)
{
  GUri       *uri = msg != NULL ? soup_message_get_uri (msg) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : "the server";
  guint       flags;

  if (error->domain != G_TLS_ERROR || error->code == G_TLS_ERROR_EOF ||
      error->code == G_TLS_ERROR_MISC)
    return NULL;

  flags = msg != NULL
      ? GPOINTER_TO_UINT (
            g_object_get_qdata (G_OBJECT (msg), tls_peer_flags_quark ()))
      : 0;
  if (error->code == G_TLS_ERROR_BAD_CERTIFICATE && (flags & TLS_FLAGS_SEEN)) {
    g_autofree char *words = describe_certificate_flags (flags &
                                                         ~TLS_FLAGS_SEEN);

    return g_error_new (
        VI_ERROR, VI_ERROR_NETWORK,
        "the TLS certificate of %s is not trusted: %s (not retried: a "
        "certificate does not change between attempts)%s",
        host, words,
        (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
            ? "; for a private "
              "deployment, give the client its CA certificate (ViClient:"
              "tls-ca-file, vi-annotations --ca-file)"
            : "");
  }
  return g_error_new (VI_ERROR, VI_ERROR_NETWORK,
                      "TLS with %s failed: %s (not retried)", host,
                      error->message);
}
