/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * Every JSON document libvi reads is parsed here, with limits: size,
 * nesting, strict syntax (the byte scanner runs first), and errors that
 * say what is wrong and where.
 */
#include "config.h"

#include <string.h>

#include "vi-json-scanner.h"

/* A message prefix and its separator, or nothing. */
#define SEP(prefix) \
  (prefix) != NULL ? (prefix) : "", (prefix) != NULL ? ": " : ""

/**
 * vi_json_parse_data:
 * @data: (array length=len) (element-type guint8): the document
 * @len: its length in bytes
 * @max_size: the largest document accepted, in bytes
 * @code: the #ViError code of every failure
 * @prefix: (nullable): what the document is, to begin messages ("invalid
 *   response", "config file /etc/vi.json"), or %NULL for none
 * @error: return location for a #GError
 *
 * Parses a whole JSON document with the limits every JSON read by the
 * library has: at most @max_size bytes, nesting at most
 * %VI_JSON_MAX_DEPTH deep, integers within 64 bits, and strict RFC 8259
 * syntax (see check_document()).  Failures are @code in %VI_ERROR with a
 * message "<prefix>: malformed JSON: <line>:<column>: <what>" (or "…:
 * empty document", "…: larger than N bytes").  The tree is immutable.
 *
 * This is the parser of every JSON document libvi reads, public so that
 * programs built on libvi (the local server) take exactly the same
 * documents.
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with @error
 * set
 */
JsonNode *
vi_json_parse_data (const char *data,
                    gsize       len,
                    gsize       max_size,
                    ViError     code,
                    const char *prefix,
                    GError    **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  ViJsonScanner scanner;
  JsonNode     *root;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL || len == 0) {
    g_set_error (error, VI_ERROR, code, "%s%sempty document", SEP (prefix));
    return NULL;
  }
  if (len > max_size || len > G_MAXSSIZE) {
    g_set_error (error, VI_ERROR, code,
                 "%s%slarger than %" G_GSIZE_FORMAT " bytes", SEP (prefix),
                 MIN (max_size, (gsize) G_MAXSSIZE));
    return NULL;
  }

  /* The byte scanner first: it refuses nesting deeper than
   * VI_JSON_MAX_DEPTH (json-glib would overflow the stack), integers
   * beyond 64 bits (json-glib would wrap them), and what json-glib 1.6
   * accepts although it is not JSON (comments, single quotes, malformed
   * numbers, unknown escapes, lone surrogates, raw control characters,
   * data after the root), so that every reader of the library takes the
   * same documents.  White space alone is an empty document. */
  vi_json_scanner_init (&scanner, data, len, NULL);
  scanner.error_code = code;
  scanner.error_prefix = prefix;
  vi_json_scan_skip_ws (&scanner);
  if (scanner.p == scanner.end) {
    g_set_error (error, VI_ERROR, code, "%s%sempty document", SEP (prefix));
    return NULL;
  }
  if (!vi_json_scanner_check_document (&scanner, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error)) {
    g_set_error (error, VI_ERROR, code, "%s%smalformed JSON: %s", SEP (prefix),
                 local_error->message);
    return NULL;
  }

  root = json_parser_steal_root (parser);
  if (root == NULL) {
    g_set_error (error, VI_ERROR, code, "%s%sempty document", SEP (prefix));
    return NULL;
  }
  return root;
}

/**
 * vi_json_parse_file:
 * @path: (type filename): the file
 * @max_size: the largest file accepted, in bytes
 * @code: the #ViError code of every failure, reading included
 * @prefix: what the file is, to begin messages
 * @error: return location for a #GError
 *
 * Reads a file of at most @max_size bytes (never more, whatever it has
 * grown to) and parses it as vi_json_parse_data() does.
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with @error
 * set
 */
JsonNode *
vi_json_parse_file (const char *path,
                    gsize       max_size,
                    ViError     code,
                    const char *prefix,
                    GError    **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GByteArray) buf = NULL;
  g_autoptr (GError) local_error = NULL;
  guint8    chunk[16384];
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL) {
    g_set_error (error, VI_ERROR, code, "%s: cannot read it: %s", prefix,
                 local_error->message);
    return NULL;
  }
  buf = g_byte_array_new ();
  while (TRUE) {
    gssize n = g_input_stream_read (G_INPUT_STREAM (stream), chunk,
                                    sizeof chunk, NULL, &local_error);

    if (n < 0) {
      g_set_error (error, VI_ERROR, code, "%s: cannot read it: %s", prefix,
                   local_error->message);
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize) n > max_size) {
      g_set_error (error, VI_ERROR, code,
                   "%s: larger than %" G_GSIZE_FORMAT " bytes", prefix,
                   max_size);
      return NULL;
    }
    g_byte_array_append (buf, chunk, (guint) n);
  }
  root = vi_json_parse_data ((const char *) buf->data, buf->len, max_size, code,
                             prefix, error);
  /* A config file holds the secret key: leave no copy behind. */
  memset (buf->data, 0, buf->len);
  memset (chunk, 0, sizeof chunk);
  return root;
}

/**
 * vi_json_parse_bytes:
 * @bytes: (nullable): a response body
 * @error: return location for a #GError
 *
 * Parses a whole response body as vi_json_parse_data() does, with
 * %VI_JSON_MAX_BODY_SIZE: an empty body (also one of only white space),
 * malformed JSON, nesting deeper than 512 levels and integers that do not
 * fit in 64 bits are %VI_ERROR_INVALID_RESPONSE.  The tree is immutable.
 *
 * Returns: (transfer full) (nullable): the root node, or %NULL with @error
 * set
 */
JsonNode *
vi_json_parse_bytes (GBytes *bytes, GError **error)
{
  const char *data = NULL;
  gsize       len = 0, i;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &len);
  for (i = 0; i < len && g_ascii_isspace (data[i]); i++)
    ;
  if (i == len) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                         "invalid response: empty body");
    return NULL;
  }
  return vi_json_parse_data (data, len, VI_JSON_MAX_BODY_SIZE,
                             VI_ERROR_INVALID_RESPONSE, "invalid response",
                             error);
}
