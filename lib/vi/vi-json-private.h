/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <vi/vi.h>

G_BEGIN_DECLS

/* The largest documents read: response bodies (vi-http.c reads no more),
 * error bodies (only their message is wanted) and local files the library
 * reads (config files, download sidecars). */
#define VI_JSON_MAX_BODY_SIZE ((gsize) 512 * 1024 * 1024)
#define VI_JSON_MAX_ERROR_BODY_SIZE ((gsize) 1024 * 1024)
#define VI_JSON_MAX_FILE_SIZE ((gsize) 16 * 1024 * 1024)

/* A JSON path kept on the stack while walking a document, rendered only
 * when an error has to name it ("items[3].spec.contents.bound").  A frame
 * is either a member (member != NULL) or an array index (member == NULL).
 * The root frame has parent == NULL and member == NULL and index < 0. */
typedef struct _ViJsonPath ViJsonPath;
struct _ViJsonPath {
  const ViJsonPath *parent;
  const char       *member;
  int               index;
};

#define VI_JSON_PATH_ROOT \
  {                       \
    NULL, NULL, -1        \
  }
#define VI_JSON_PATH_MEMBER(parent_, member_) \
  {                                           \
    (parent_), (member_), -1                  \
  }
#define VI_JSON_PATH_INDEX(parent_, index_) \
  {                                         \
    (parent_), NULL, (index_)               \
  }

char *vi_json_path_to_string (const ViJsonPath *path);

/* Sets VI_ERROR_INVALID_RESPONSE: "invalid response: <path>: <message>". */
void vi_json_set_error (GError          **error,
                        const ViJsonPath *path,
                        const char       *format,
                        ...) G_GNUC_PRINTF (3, 4);

/* Typed access to members of an object, with path-naming errors.
 * "require" fails when the member is missing or null; "optional" returns
 * TRUE and leaves the output alone when it is missing or null.  All fail
 * on a wrong type.  Strings are returned as borrowed pointers into the
 * node. */
JsonObject *vi_json_require_object (JsonNode         *node,
                                    const ViJsonPath *path,
                                    GError          **error);
JsonArray  *vi_json_require_array (JsonNode         *node,
                                   const ViJsonPath *path,
                                   GError          **error);

gboolean vi_json_get_string (JsonObject       *object,
                             const ViJsonPath *parent,
                             const char       *member,
                             gboolean          required,
                             const char      **out,
                             GError          **error);
gboolean vi_json_get_int (JsonObject       *object,
                          const ViJsonPath *parent,
                          const char       *member,
                          gboolean          required,
                          gint64           *out,
                          GError          **error);
/* Accepts integers and floats. */
gboolean vi_json_get_double (JsonObject       *object,
                             const ViJsonPath *parent,
                             const char       *member,
                             gboolean          required,
                             double           *out,
                             GError          **error);
gboolean vi_json_get_boolean (JsonObject       *object,
                              const ViJsonPath *parent,
                              const char       *member,
                              gboolean          required,
                              gboolean         *out,
                              GError          **error);
/* out is NULL when optional and absent. */
gboolean vi_json_get_object (JsonObject       *object,
                             const ViJsonPath *parent,
                             const char       *member,
                             gboolean          required,
                             JsonObject      **out,
                             GError          **error);
gboolean vi_json_get_array (JsonObject       *object,
                            const ViJsonPath *parent,
                            const char       *member,
                            gboolean          required,
                            JsonArray       **out,
                            GError          **error);
/* A string -> string map; returns a new table (empty when absent). */
gboolean vi_json_get_string_map (JsonObject       *object,
                                 const ViJsonPath *parent,
                                 const char       *member,
                                 gboolean          required,
                                 GHashTable      **out,
                                 GError          **error);
/* A string -> integer map, values are g_new'd gint64. */
gboolean vi_json_get_count_map (JsonObject       *object,
                                const ViJsonPath *parent,
                                const char       *member,
                                gboolean          required,
                                GHashTable      **out,
                                GError          **error);

/* Typed access to a node itself (an array element), with path-naming
 * errors.  A NULL node is "missing required field"; null is a wrong type.
 * Integers are JSON integers only; doubles accept integers and refuse
 * values out of range (json-glib reads 1e309 as infinity). */
gboolean vi_json_node_get_string (JsonNode         *node,
                                  const ViJsonPath *path,
                                  const char      **out,
                                  GError          **error);
gboolean vi_json_node_get_int (JsonNode         *node,
                               const ViJsonPath *path,
                               gint64           *out,
                               GError          **error);
gboolean vi_json_node_get_double (JsonNode         *node,
                                  const ViJsonPath *path,
                                  double           *out,
                                  GError          **error);

/* The top-level `kind` of a tagged struct decoded on its own: optional,
 * but if present it must be expected. */
gboolean vi_json_check_kind (JsonObject       *object,
                             const ViJsonPath *path,
                             const char       *expected,
                             GError          **error);
/* "{org}_{ds}" as the wire carries it. */
char *vi_json_compose_dataset_id (const char *organization_id,
                                  const char *dataset_id);
/* Builders: a node taking object; a new object or array member. */
JsonNode   *vi_json_node_take_object (JsonObject *object);
JsonObject *vi_json_add_object (JsonObject *parent, const char *member);
JsonArray  *vi_json_add_array (JsonObject *parent, const char *member);
void        vi_json_set_string_or_null (JsonObject *object,
                                        const char *member,
                                        const char *value);
/* name, or "Unknown" for NULL. */
const char *vi_json_name_or_unknown (const char *name);
/* Map members, in sorted order so that output does not depend on hash
 * order (map nullable: an empty object). */
void vi_json_add_string_map (JsonObject *parent,
                             const char *member,
                             GHashTable *map);
void vi_json_add_count_map (JsonObject *parent,
                            const char *member,
                            GHashTable *map);
/* Milliseconds as an integer when they are one, as a float otherwise. */
void vi_json_set_time_member (JsonObject *object,
                              const char *member,
                              double      value);

/* The Pagination envelope of a list: `items` (default []), each read by
 * parse_item, `nextPage` and `prevPage` (missing, null or a string; ""
 * means none). */
typedef gpointer (*ViJsonItemParser) (JsonNode         *node,
                                      const ViJsonPath *path,
                                      GError          **error);
GPtrArray *vi_json_parse_page (JsonNode        *node,
                               ViJsonItemParser parse_item,
                               GDestroyNotify   free_item,
                               const char     **next_page,
                               const char     **prev_page,
                               GError         **error);

/* Sets code for bad syntax at byte offset of data: "<prefix>: malformed
 * JSON: <line>:<column>: <what>" (prefix nullable). */
void vi_json_set_syntax_error_full (GError    **error,
                                    ViError     code,
                                    const char *prefix,
                                    const char *data,
                                    gsize       offset,
                                    const char *what);
/* Every JSON document the library reads goes through vi_json_parse_data()
 * (public) or one of these: at most max_size bytes, nesting at most
 * VI_JSON_MAX_DEPTH, strict RFC 8259.  Failures are code, with messages
 * starting with prefix. */
JsonNode *vi_json_parse_file (const char *path,
                              gsize       max_size,
                              ViError     code,
                              const char *prefix,
                              GError    **error);

/* A response body (at most VI_JSON_MAX_BODY_SIZE) into a node (transfer
 * full); an empty or malformed body is VI_ERROR_INVALID_RESPONSE. */
JsonNode *vi_json_parse_bytes (GBytes *bytes, GError **error);

G_END_DECLS
