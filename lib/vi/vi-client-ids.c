/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The ids a call puts into the paths of the API, checked before any
 * request is made: dataset, session and export ids as the SDK checks
 * them, asset ids as free text that must stay one path segment.
 */
#include "config.h"

#include <string.h>

#include "vi-client-private.h"
#include "vi-text-private.h"

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
