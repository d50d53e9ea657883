/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * The direct reader: a page of annotations from the bytes of the body.
 *
 * json-glib builds a tree of hash tables (about 30 MB/s here), which is
 * most of the time of a listing.  This reader goes from the bytes to the
 * model in one pass, allocating little more than the model itself, with
 * the rules and the messages of the tree reader (vi-annotation-json.c): the
 * same required
 * members, the same types, unknown members ignored, unknown kinds and
 * roles kept, and errors naming the JSON path.  Its tokens come from the
 * byte scanner (vi-json-scanner.c), the checker of every JSON document of
 * the library.  A member given twice counts once,
 * the last time, as in json-glib.
 *
 * Strings are slices of the body; only those with escapes are decoded,
 * into a scratch buffer that each item reuses.
 */
#include "config.h"

#include "vi-page-reader-private.h"
#include "vi-text-private.h"

/* How many items the fast path gave back to read_annotation(): the
 * schema test holds the fast path to what the server writes with it. */
static gint fast_path_misses;

static ViContentKind
content_kind_from_str (const ViJsonScanner *r, const ViJsonStr *s)
{
  return (ViContentKind) _vi_page_part_name_from_str (r, s);
}

/* Reads a small array at r->p (known to be one) whose first two elements
 * should be numbers: their values, how many elements there are, and the
 * first of the two that is not a number (or not finite, or not an
 * integer when integers are asked for), -1 if none.  Errors are reported
 * by the caller, in the order the tree reader finds them. */
static gboolean
read_pair (ViJsonScanner *r,
           gboolean       integers,
           ViJsonNumber   values[2],
           const char    *starts[2],
           guint         *count,
           int           *bad,
           GError       **error)
{
  gboolean first = TRUE;

  *count = 0;
  *bad = -1;
  if (!vi_json_scan_begin_container (r, error))
    return FALSE;
  while (vi_json_scan_next_element (r, &first, error)) {
    if (*count < 2) {
      starts[*count] = r->p;
      if (vi_json_scan_peek (r) == VI_JSON_TOKEN_NUMBER) {
        if (!vi_json_scan_read_number (r, &values[*count], error))
          return FALSE;
        if (*bad < 0 &&
            (integers ? !values[*count].is_integer
                      : !isfinite (values[*count].value)))
          *bad = *count;
      } else {
        if (*bad < 0)
          *bad = *count;
        if (!vi_json_scan_skip_value (r, error))
          return FALSE;
      }
    } else if (!vi_json_scan_skip_value (r, error)) {
      return FALSE;
    }
    (*count)++;
  }
  return !r->failed;
}

static gboolean
read_bound (ViJsonScanner    *r,
            const ViJsonPath *bound_path,
            GArray           *points,
            GError          **error)
{
  gboolean first = TRUE;
  int      index = 0;

  g_array_set_size (points, 0);
  if (!vi_json_scan_begin_container (r, error))
    return FALSE;
  while (vi_json_scan_next_element (r, &first, error)) {
    ViJsonPath   point_path = VI_JSON_PATH_INDEX (bound_path, index);
    const char  *starts[2];
    ViJsonNumber values[2];
    double       xy[2];
    guint        count;
    int          bad;

    if (vi_json_scan_peek (r) != VI_JSON_TOKEN_ARRAY)
      return vi_json_scan_type_error (r, &point_path, "an array", error);
    /* The tree reader checks the length before the types. */
    if (!read_pair (r, FALSE, values, starts, &count, &bad, error))
      return FALSE;
    if (count != 2) {
      vi_json_set_error (error, &point_path,
                         "expected a point of 2 numbers, got %u elements",
                         count);
      return FALSE;
    }
    if (bad >= 0) {
      ViJsonPath coord_path = VI_JSON_PATH_INDEX (&point_path, bad);

      r->p = starts[bad];
      vi_json_scan_element_double (r, &coord_path, &xy[0], error);
      return FALSE;
    }
    xy[0] = values[0].value;
    xy[1] = values[1].value;
    g_array_append_vals (points, xy, 2);
    index++;
  }
  if (r->failed)
    return FALSE;
  if (index == 0) {
    vi_json_set_error (error, bound_path, "expected at least one point");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_target (ViJsonScanner    *r,
             const ViJsonPath *target_path,
             int               target[2],
             GError          **error)
{
  const char  *starts[2];
  ViJsonNumber values[2];
  guint        count, j;
  int          bad;

  if (!read_pair (r, TRUE, values, starts, &count, &bad, error))
    return FALSE;
  if (count != 2) {
    vi_json_set_error (error, target_path,
                       "expected 2 integers, got %u elements", count);
    return FALSE;
  }
  for (j = 0; j < 2; j++) {
    ViJsonPath index_path = VI_JSON_PATH_INDEX (target_path, (int) j);

    if (bad == (int) j) {
      const char *after = r->p;
      gint64      ignored;

      r->p = starts[j];
      vi_json_scan_element_int (r, &index_path, &ignored, error);
      r->p = after;
      return FALSE;
    }
    if (values[j].integer < G_MININT || values[j].integer > G_MAXINT) {
      vi_json_set_error (error, &index_path, "integer out of range");
      return FALSE;
    }
    target[j] = (int) values[j].integer;
  }
  return TRUE;
}

/* A member whose value is read later: where the value starts, or NULL. */
typedef enum {
  CONTENTS_TEXT,
  CONTENTS_BOUND,
  CONTENTS_TARGET,
  CONTENTS_QUESTION,
  CONTENTS_ANSWER,
  CONTENTS_N_MEMBERS
} ContentsMember;

static gboolean
read_array_member (ViJsonScanner    *r,
                   const char       *at,
                   guint             depth,
                   const ViJsonPath *parent,
                   const char       *member,
                   gboolean          is_bound,
                   GArray           *points,
                   int               target[2],
                   GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  if (at == NULL)
    return vi_json_scan_require_field (VI_JSON_FIELD_ABSENT, parent, member,
                                       "an array", error);
  r->p = at;
  r->depth = depth;
  switch (vi_json_scan_peek (r)) {
    case VI_JSON_TOKEN_ARRAY:
      return is_bound ? read_bound (r, &path, points, error)
                      : read_target (r, &path, target, error);
    case VI_JSON_TOKEN_NULL:
      return vi_json_scan_require_field (VI_JSON_FIELD_NULL, parent, member,
                                         "an array", error);
    default:
      return vi_json_scan_type_error (r, &path, "an array", error);
  }
}

static gboolean
read_string_member (ViJsonScanner    *r,
                    const char       *at,
                    guint             depth,
                    const ViJsonPath *parent,
                    const char       *member,
                    gboolean          required,
                    ViJsonStr        *out,
                    GError          **error)
{
  ViJsonPath path = VI_JSON_PATH_MEMBER (parent, member);

  out->state = VI_JSON_FIELD_ABSENT;
  if (at != NULL) {
    r->p = at;
    r->depth = depth;
    if (!vi_json_scan_member_string (r, &path, out, error))
      return FALSE;
  }
  return !required ||
      vi_json_scan_require_field (out->state, parent, member, "a string",
                                  error);
}

/* `contents`, at r->p (an object).  Its `kind` decides what the other
 * members mean, and may come last: one pass finds it and where the
 * members that matter start; they are then read in the order the tree
 * reader checks them, so that both report the same first error. */
static ViAnnotationContent *
read_contents (ViJsonScanner    *r,
               ViArena          *arena,
               const ViJsonPath *path,
               GArray           *points,
               GError          **error)
{
  static const char *const names[CONTENTS_N_MEMBERS] = { "contents", "bound",
                                                         "target", "question",
                                                         "answer" };
  static const gsize       name_lens[CONTENTS_N_MEMBERS] = { 8, 5, 6, 8, 6 };
  const char   *at[CONTENTS_N_MEMBERS] = { NULL, NULL, NULL, NULL, NULL };
  const char   *start = r->p, *end;
  guint         depth = r->depth;
  gboolean      first = TRUE;
  ViJsonStr     key, kind = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };
  ViJsonPath    kind_path = VI_JSON_PATH_MEMBER (path, "kind");
  ViContentKind content_kind, kind_so_far = VI_CONTENT_KIND_UNKNOWN;
  ViAnnotationContent *contents = NULL;
  gboolean             bound_read = FALSE, target_read = FALSE;
  int                  target[2] = { 0, 0 };
  guint                i;

  if (!vi_json_scan_begin_container (r, error))
    return NULL;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    if (VI_JSON_KEY_IS (r, &key, "kind")) {
      if (!vi_json_scan_member_string (r, &kind_path, &kind, error))
        return NULL;
      kind_so_far = kind.state == VI_JSON_FIELD_SET
          ? content_kind_from_str (r, &kind)
          : VI_CONTENT_KIND_UNKNOWN;
      continue;
    }
    for (i = 0; i < CONTENTS_N_MEMBERS; i++) {
      if (vi_json_scan_str_equal (r, &key, names[i], name_lens[i])) {
        at[i] = r->p;
        break;
      }
    }
    /* With `kind` already known (the usual order), a box is read at once;
     * anything wrong is read again below, in the tree reader's order, so
     * that the error is the same. */
    if (kind_so_far == VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX &&
        (i == CONTENTS_BOUND || i == CONTENTS_TARGET)) {
      const char *value = r->p;
      ViJsonPath  ignored = VI_JSON_PATH_ROOT;
      gboolean    ok;

      ok = vi_json_scan_peek (r) == VI_JSON_TOKEN_ARRAY &&
          (i == CONTENTS_BOUND ? read_bound (r, &ignored, points, NULL)
                               : read_target (r, &ignored, target, NULL));
      if (i == CONTENTS_BOUND)
        bound_read = ok;
      else
        target_read = ok;
      if (ok)
        continue;
      r->p = value;
      r->depth = depth + 1;
      r->failed = FALSE;
    }
    if (!vi_json_scan_skip_value (r, error))
      return NULL;
  }
  if (r->failed ||
      !vi_json_scan_require_field (kind.state, path, "kind", "a string", error))
    return NULL;
  end = r->p;

  content_kind = content_kind_from_str (r, &kind);
  switch (content_kind) {
    case VI_CONTENT_KIND_CAPTION: {
      ViJsonStr text;

      if (!read_string_member (r, at[CONTENTS_TEXT], depth + 1, path,
                               "contents", FALSE, &text, error))
        return NULL;
      if (text.state != VI_JSON_FIELD_SET)
        contents = _vi_annotation_content_new_caption_len (arena, "", 0);
      else
        contents =
            _vi_annotation_content_new_caption_len (arena,
                                                    vi_json_scan_str_data (r,
                                                                           &text),
                                                    text.len);
      break;
    }

    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX: {
      g_autoptr (GError) bound_error = NULL;
      gboolean bound_unread = FALSE;

      /* As the tree reader: a bound of another shape keeps the part, a
       * missing or null one fails. */
      if (!bound_read &&
          !read_array_member (r, at[CONTENTS_BOUND], depth + 1, path, "bound",
                              TRUE, points, target, &bound_error)) {
        r->failed = FALSE;
        if (at[CONTENTS_BOUND] != NULL)
          r->p = at[CONTENTS_BOUND];
        if (at[CONTENTS_BOUND] == NULL ||
            vi_json_scan_peek (r) == VI_JSON_TOKEN_NULL) {
          g_propagate_error (error, g_steal_pointer (&bound_error));
          return NULL;
        }
        bound_unread = TRUE;
      }
      if (!target_read &&
          !read_array_member (r, at[CONTENTS_TARGET], depth + 1, path, "target",
                              FALSE, points, target, error))
        return NULL;
      if (bound_unread) {
        g_autoptr (JsonNode) raw = NULL;

        /* Rare, so json-glib may build it, as for an unknown kind. */
        raw = vi_json_parse_data (start, end - start, VI_JSON_MAX_BODY_SIZE,
                                  VI_ERROR_INVALID_RESPONSE, "contents", NULL);
        if (raw == NULL) {
          vi_json_scan_syntax_error (r, start, "malformed contents", error);
          return NULL;
        }
        contents = _vi_annotation_content_new_box_unread_in (arena, raw,
                                                             target[0],
                                                             target[1]);
        break;
      }
      contents = _vi_annotation_content_new_box_in (arena,
                                                    (const double *) (gpointer)
                                                        points->data,
                                                    points->len / 2, target[0],
                                                    target[1]);
      break;
    }

    case VI_CONTENT_KIND_VQA: {
      ViJsonStr question, answer;

      if (!read_string_member (r, at[CONTENTS_QUESTION], depth + 1, path,
                               "question", TRUE, &question, error) ||
          !read_string_member (r, at[CONTENTS_ANSWER], depth + 1, path,
                               "answer", TRUE, &answer, error))
        return NULL;
      contents =
          _vi_annotation_content_new_vqa_len (arena,
                                              vi_json_scan_str_data (r,
                                                                     &question),
                                              question.len,
                                              vi_json_scan_str_data (r,
                                                                     &answer),
                                              answer.len);
      break;
    }

    case VI_CONTENT_KIND_UNKNOWN:
    default: {
      g_autoptr (JsonNode) raw = NULL;
      g_autofree char *kind_name = g_strndup (vi_json_scan_str_data (r, &kind),
                                              kind.len);

      /* Kept as sent (L-4); rare, so json-glib may build it. */
      raw = vi_json_parse_data (start, end - start, VI_JSON_MAX_BODY_SIZE,
                                VI_ERROR_INVALID_RESPONSE, "contents", NULL);
      if (raw == NULL) {
        vi_json_scan_syntax_error (r, start, "malformed contents", error);
        return NULL;
      }
      contents = _vi_annotation_content_new_unknown_in (arena, kind_name, raw);
      break;
    }
  }

  r->p = end;
  r->depth = depth;
  return contents;
}

/* { "id": string } or { "role": string } */
static gboolean
read_single_string_object (ViJsonScanner    *r,
                           const ViJsonPath *path,
                           const char       *member,
                           ViJsonStr        *out,
                           GError          **error)
{
  ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, member);
  gboolean   first = TRUE;
  gsize      member_len = strlen (member);
  ViJsonStr  key;

  out->state = VI_JSON_FIELD_ABSENT;
  if (!vi_json_scan_begin_container (r, error))
    return FALSE;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    if (vi_json_scan_str_equal (r, &key, member, member_len)) {
      if (!vi_json_scan_member_string (r, &member_path, out, error))
        return FALSE;
    } else if (!vi_json_scan_skip_value (r, error)) {
      return FALSE;
    }
  }
  if (r->failed)
    return FALSE;
  return vi_json_scan_require_field (out->state, path, member, "a string",
                                     error);
}

static ViAnnotationSpec *
read_spec (ViJsonScanner    *r,
           ViArena          *arena,
           const ViJsonPath *path,
           GArray           *points,
           GError          **error)
{
  ViJsonPath bound_type_path = VI_JSON_PATH_MEMBER (path, "boundType");
  ViJsonPath tag_path = VI_JSON_PATH_MEMBER (path, "tag");
  ViJsonPath aggregation_path = VI_JSON_PATH_MEMBER (path, "aggregation");
  ViJsonPath whole_path = VI_JSON_PATH_MEMBER (&aggregation_path, "whole");
  ViJsonPath part_path = VI_JSON_PATH_MEMBER (&aggregation_path, "thisPart");
  ViJsonPath contents_path = VI_JSON_PATH_MEMBER (path, "contents");
  ViAnnotationContent *contents = NULL; /* in the arena */
  ViJsonStr            key, bound_type = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };
  ViJsonStr            whole_id = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };
  ViJsonStr            role = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };
  ViJsonField          tag_state = VI_JSON_FIELD_ABSENT,
              aggregation_state = VI_JSON_FIELD_ABSENT;
  ViJsonField whole_state = VI_JSON_FIELD_ABSENT,
              part_state = VI_JSON_FIELD_ABSENT;
  ViJsonField contents_state = VI_JSON_FIELD_ABSENT;
  gboolean    first = TRUE;
  gint64      tag = 0;

  if (!vi_json_scan_begin_container (r, error))
    return NULL;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    if (VI_JSON_KEY_IS (r, &key, "boundType")) {
      if (!vi_json_scan_member_string (r, &bound_type_path, &bound_type, error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "tag")) {
      if (!vi_json_scan_member_int (r, &tag_path, &tag, &tag_state, error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "aggregation")) {
      gboolean  first_part = TRUE;
      ViJsonStr part_key;

      if (!vi_json_scan_member_object (r, &aggregation_path, &aggregation_state,
                                       error))
        return NULL;
      if (aggregation_state != VI_JSON_FIELD_SET)
        continue;
      whole_state = part_state = VI_JSON_FIELD_ABSENT;
      if (!vi_json_scan_begin_container (r, error))
        return NULL;
      while (vi_json_scan_next_member (r, &first_part, &part_key, error)) {
        if (VI_JSON_KEY_IS (r, &part_key, "whole")) {
          if (!vi_json_scan_member_object (r, &whole_path, &whole_state, error))
            return NULL;
          if (whole_state == VI_JSON_FIELD_SET &&
              !read_single_string_object (r, &whole_path, "id", &whole_id,
                                          error))
            return NULL;
        } else if (VI_JSON_KEY_IS (r, &part_key, "thisPart")) {
          if (!vi_json_scan_member_object (r, &part_path, &part_state, error))
            return NULL;
          if (part_state == VI_JSON_FIELD_SET &&
              !read_single_string_object (r, &part_path, "role", &role, error))
            return NULL;
        } else if (!vi_json_scan_skip_value (r, error)) {
          return NULL;
        }
      }
      if (r->failed ||
          !vi_json_scan_require_field (whole_state, &aggregation_path, "whole",
                                       "an object", error) ||
          !vi_json_scan_require_field (part_state, &aggregation_path,
                                       "thisPart", "an object", error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "contents")) {
      if (!vi_json_scan_member_object (r, &contents_path, &contents_state,
                                       error))
        return NULL;
      contents = NULL;
      if (contents_state != VI_JSON_FIELD_SET)
        continue;
      contents = read_contents (r, arena, &contents_path, points, error);
      if (contents == NULL)
        return NULL;
    } else if (!vi_json_scan_skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed ||
      !vi_json_scan_require_field (bound_type.state, path, "boundType",
                                   "a string", error) ||
      !vi_json_scan_require_field (tag_state, path, "tag", "an integer",
                                   error) ||
      !vi_json_scan_require_field (aggregation_state, path, "aggregation",
                                   "an object", error) ||
      !vi_json_scan_require_field (contents_state, path, "contents",
                                   "an object", error))
    return NULL;

  return _vi_annotation_spec_new_from_parts (arena,
                                             vi_json_scan_str_ref (r,
                                                                   &bound_type),
                                             tag,
                                             vi_json_scan_str_ref (r,
                                                                   &whole_id),
                                             _vi_page_role_from_str (r, &role),
                                             vi_json_scan_str_ref (r, &role),
                                             contents);
}

static ViResourceMetadata *
read_metadata (ViJsonScanner    *r,
               ViArena          *arena,
               const ViJsonPath *path,
               GError          **error)
{
  static const char *const names[] = { "timeCreated", "lastUpdated",
                                       "generation" };
  static const gsize       name_lens[] = { 11, 11, 10 };
  ViJsonPath attributes_path = VI_JSON_PATH_MEMBER (path, "attributes");
  g_autoptr (GHashTable) attributes = NULL;
  ViJsonField states[3] = { VI_JSON_FIELD_ABSENT, VI_JSON_FIELD_ABSENT,
                            VI_JSON_FIELD_ABSENT };
  ViJsonField attributes_state = VI_JSON_FIELD_ABSENT;
  gint64      values[3] = { 0, 0, 0 };
  gboolean    first = TRUE;
  ViJsonStr   key;
  guint       i;

  if (!vi_json_scan_begin_container (r, error))
    return NULL;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    for (i = 0; i < 3; i++) {
      if (vi_json_scan_str_equal (r, &key, names[i], name_lens[i]))
        break;
    }
    if (i < 3) {
      ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, names[i]);

      if (!vi_json_scan_member_int (r, &member_path, &values[i], &states[i],
                                    error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "attributes")) {
      gboolean  first_entry = TRUE;
      ViJsonStr name;

      if (!vi_json_scan_member_object (r, &attributes_path, &attributes_state,
                                       error))
        return NULL;
      g_clear_pointer (&attributes, g_hash_table_unref);
      if (attributes_state != VI_JSON_FIELD_SET)
        continue;
      if (!vi_json_scan_begin_container (r, error))
        return NULL;
      while (vi_json_scan_next_member (r, &first_entry, &name, error)) {
        g_autofree char *name_copy =
            g_strndup (vi_json_scan_str_data (r, &name), name.len);
        ViJsonPath entry_path = VI_JSON_PATH_MEMBER (&attributes_path,
                                                     name_copy);
        ViJsonStr  value = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };

        if (!vi_json_scan_member_string (r, &entry_path, &value, error))
          return NULL;
        if (value.state != VI_JSON_FIELD_SET) {
          vi_json_set_error (error, &entry_path, "expected a string, got null");
          return NULL;
        }
        if (attributes == NULL)
          attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              g_free);
        g_hash_table_insert (attributes, g_steal_pointer (&name_copy),
                             g_strndup (vi_json_scan_str_data (r, &value),
                                        value.len));
      }
      if (r->failed)
        return NULL;
    } else if (!vi_json_scan_skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;
  for (i = 0; i < 3; i++) {
    if (!vi_json_scan_require_field (states[i], path, names[i], "an integer",
                                     error))
      return NULL;
  }
  if (!vi_json_scan_require_field (attributes_state, path, "attributes",
                                   "an object", error))
    return NULL;
  return _vi_resource_metadata_new_in (arena, values[0], values[1], values[2],
                                       g_steal_pointer (&attributes));
}

static ViAnnotation *
read_annotation (ViJsonScanner    *r,
                 ViArena          *arena,
                 const ViJsonPath *path,
                 GArray           *points,
                 GError          **error)
{
#define NAME(s) s, sizeof (s) - 1
  static const struct {
    const char        *name;
    gsize              len;
    ViAnnotationString index;
  } strings[] = {
    { NAME ("annotationId"), VI_ANNOTATION_STRING_ID },
    { NAME ("assetId"), VI_ANNOTATION_STRING_ASSET_ID },
    { NAME ("workspaceId"), VI_ANNOTATION_STRING_ORGANIZATION_ID },
    { NAME ("datasetId"), VI_ANNOTATION_STRING_DATASET_ID },
    { NAME ("selfLink"), VI_ANNOTATION_STRING_SELF_LINK },
    { NAME ("etag"), VI_ANNOTATION_STRING_ETAG },
  };
#undef NAME
  ViJsonPath          kind_path = VI_JSON_PATH_MEMBER (path, "kind");
  ViJsonPath          spec_path = VI_JSON_PATH_MEMBER (path, "spec");
  ViJsonPath          metadata_path = VI_JSON_PATH_MEMBER (path, "metadata");
  ViAnnotationSpec   *spec = NULL;     /* in the arena */
  ViResourceMetadata *metadata = NULL; /* in the arena */
  ViJsonStr           values[VI_ANNOTATION_N_STRINGS];
  ViStrRef            refs[VI_ANNOTATION_N_STRINGS];
  ViJsonStr           key, kind = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };
  ViJsonField         spec_state = VI_JSON_FIELD_ABSENT,
              metadata_state = VI_JSON_FIELD_ABSENT;
  gboolean first = TRUE;
  guint    i;

  memset (values, 0, sizeof values);
  if (!vi_json_scan_begin_container (r, error))
    return NULL;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    for (i = 0; i < G_N_ELEMENTS (strings); i++) {
      if (vi_json_scan_str_equal (r, &key, strings[i].name, strings[i].len))
        break;
    }
    if (i < G_N_ELEMENTS (strings)) {
      ViJsonPath member_path = VI_JSON_PATH_MEMBER (path, strings[i].name);

      if (!vi_json_scan_member_string (r, &member_path,
                                       &values[strings[i].index], error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "kind")) {
      if (!vi_json_scan_member_string (r, &kind_path, &kind, error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "spec")) {
      if (!vi_json_scan_member_object (r, &spec_path, &spec_state, error))
        return NULL;
      spec = NULL;
      if (spec_state == VI_JSON_FIELD_SET) {
        spec = read_spec (r, arena, &spec_path, points, error);
        if (spec == NULL)
          return NULL;
      }
    } else if (VI_JSON_KEY_IS (r, &key, "metadata")) {
      if (!vi_json_scan_member_object (r, &metadata_path, &metadata_state,
                                       error))
        return NULL;
      metadata = NULL;
      if (metadata_state == VI_JSON_FIELD_SET) {
        metadata = read_metadata (r, arena, &metadata_path, error);
        if (metadata == NULL)
          return NULL;
      }
    } else if (!vi_json_scan_skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;

  /* In the order of the tree reader. */
  if (kind.state == VI_JSON_FIELD_SET &&
      !VI_JSON_KEY_IS (r, &kind, "Annotation")) {
    g_autofree char *kind_copy = g_strndup (vi_json_scan_str_data (r, &kind),
                                            kind.len);
    g_autofree char *shown = _vi_text_excerpt (kind_copy, -1, 64,
                                               VI_TEXT_QUOTE);

    vi_json_set_error (error, &kind_path, "expected \"Annotation\", got %s",
                       shown);
    return NULL;
  }
  for (i = 0; i < 4; i++) {
    if (!vi_json_scan_require_field (values[strings[i].index].state, path,
                                     strings[i].name, "a string", error))
      return NULL;
  }
  if (!vi_json_scan_require_field (spec_state, path, "spec", "an object",
                                   error) ||
      !vi_json_scan_require_field (metadata_state, path, "metadata",
                                   "an object", error))
    return NULL;
  for (i = 4; i < G_N_ELEMENTS (strings); i++) {
    if (!vi_json_scan_require_field (values[strings[i].index].state, path,
                                     strings[i].name, "a string", error))
      return NULL;
  }

  for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++)
    refs[i] = vi_json_scan_str_ref (r, &values[i]);
  refs[VI_ANNOTATION_STRING_DATASET_ID] =
      _vi_page_strip_dataset_prefix (refs[VI_ANNOTATION_STRING_ORGANIZATION_ID],
                                     refs[VI_ANNOTATION_STRING_DATASET_ID]);
  return _vi_annotation_new_from_parts (arena, refs, spec, metadata);
}

static gboolean
read_page_token (ViJsonScanner    *r,
                 const ViJsonPath *path,
                 char            **out,
                 GError          **error)
{
  ViJsonStr token = { NULL, 0, 0, VI_JSON_FIELD_ABSENT };

  if (!vi_json_scan_member_string (r, path, &token, error))
    return FALSE;
  g_clear_pointer (out, g_free);
  if (token.state == VI_JSON_FIELD_SET && token.len > 0)
    *out = g_strndup (vi_json_scan_str_data (r, &token), token.len);
  return TRUE;
}

/* The byte reader of _vi_annotation_page_new_from_bytes(). */
static ViAnnotationPage *
read_page_direct (GBytes *bytes, GError **error)
{
  ViJsonPath root = VI_JSON_PATH_ROOT;
  ViJsonPath items_path = VI_JSON_PATH_MEMBER (&root, "items");
  ViJsonPath next_path = VI_JSON_PATH_MEMBER (&root, "nextPage");
  ViJsonPath prev_path = VI_JSON_PATH_MEMBER (&root, "prevPage");
  g_autoptr (ViArena) arena = NULL; /* freed after items */
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GByteArray) scratch = NULL;
  g_autoptr (GArray) points = NULL;
  g_autofree char  *next_page = NULL;
  g_autofree char  *prev_page = NULL;
  gboolean          first = TRUE;
  const char       *data = NULL;
  gsize             len = 0;
  ViJsonScanner     reader, *r = &reader;
  ViPageInternCache caches[VI_PAGE_N_CACHES];
  ViJsonStr         key;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &len);
  scratch = g_byte_array_new ();
  vi_json_scanner_init (r, data, len, scratch);
  vi_json_scan_skip_ws (r);
  if (r->p == r->end) {
    g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_RESPONSE,
                         "invalid response: empty body");
    return NULL;
  }

  memset (caches, 0, sizeof caches);
  arena = _vi_arena_new ();
  points = g_array_sized_new (FALSE, FALSE, sizeof (double), 8);
  /* Items take some 600 bytes each as the server writes them. */
  items = g_ptr_array_new_full ((guint) MIN (len / 512 + 1, 65536),
                                (GDestroyNotify) vi_annotation_unref);

  if (vi_json_scan_peek (r) != VI_JSON_TOKEN_OBJECT) {
    ViJsonToken kind = vi_json_scan_peek (r);

    if (!vi_json_scan_skip_value (r, error))
      return NULL;
    vi_json_scan_skip_ws (r);
    if (r->p != r->end) {
      vi_json_scan_syntax_error (r, r->p,
                                 "unexpected data after the root value", error);
      return NULL;
    }
    vi_json_set_error (error, &root, "expected an object, got %s",
                       vi_json_scan_describe_token (kind));
    return NULL;
  }

  if (!vi_json_scan_begin_container (r, error))
    return NULL;
  while (vi_json_scan_next_member (r, &first, &key, error)) {
    if (VI_JSON_KEY_IS (r, &key, "items")) {
      gboolean first_item = TRUE;
      int      index = 0;

      g_ptr_array_set_size (items, 0);
      if (vi_json_scan_peek (r) == VI_JSON_TOKEN_NULL) {
        if (!vi_json_scan_read_literal (r, "null", 4, error))
          return NULL;
        continue;
      }
      if (vi_json_scan_peek (r) != VI_JSON_TOKEN_ARRAY) {
        vi_json_scan_type_error (r, &items_path, "an array", error);
        return NULL;
      }
      if (!vi_json_scan_begin_container (r, error))
        return NULL;
      while (vi_json_scan_next_element (r, &first_item, error)) {
        ViJsonPath    item_path = VI_JSON_PATH_INDEX (&items_path, index);
        ViAnnotation *annotation;

        if (vi_json_scan_peek (r) != VI_JSON_TOKEN_OBJECT) {
          vi_json_scan_type_error (r, &item_path, "an object", error);
          return NULL;
        }
        if (scratch->len > 0)
          g_byte_array_set_size (scratch, 0);
        annotation = _vi_page_read_annotation_fast (r, arena, caches, points);
        if (annotation == NULL) {
          g_atomic_int_inc (&fast_path_misses);
          g_byte_array_set_size (scratch, 0);
          annotation = read_annotation (r, arena, &item_path, points, error);
          if (annotation == NULL)
            return NULL;
        }
        g_ptr_array_add (items, annotation);
        _vi_arena_add_refs (arena, 1);
        index++;
      }
      if (r->failed)
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "nextPage")) {
      if (!read_page_token (r, &next_path, &next_page, error))
        return NULL;
    } else if (VI_JSON_KEY_IS (r, &key, "prevPage")) {
      if (!read_page_token (r, &prev_path, &prev_page, error))
        return NULL;
    } else if (!vi_json_scan_skip_value (r, error)) {
      return NULL;
    }
  }
  if (r->failed)
    return NULL;
  vi_json_scan_skip_ws (r);
  if (r->p != r->end) {
    vi_json_scan_syntax_error (r, r->p, "unexpected data after the root value",
                               error);
    return NULL;
  }

  return _vi_annotation_page_new_take (g_steal_pointer (&items),
                                       g_steal_pointer (&arena),
                                       g_steal_pointer (&next_page),
                                       g_steal_pointer (&prev_page));
}

guint
_vi_page_reader_get_fast_path_misses (void)
{
  return (guint) g_atomic_int_get (&fast_path_misses);
}

/**
 * _vi_annotation_page_new_from_bytes:
 * @bytes: (nullable): the body of a list response
 * @error: return location for a #GError
 *
 * Reads a page of annotations straight from the body, giving what
 * vi_json_parse_bytes() and vi_annotation_page_new_from_json() give, errors
 * included, several times faster.
 *
 * The byte reader checks each member as it meets it; the tree reader sees
 * only the last of two members with the same name (as json-glib and
 * Python's json do).  A page whose first "spec" is invalid and whose second
 * is valid would fail here and parse there.  So a schema error is checked
 * against the tree reader before it is returned: the rare failing page
 * pays for a second parse, the common one does not.
 *
 * Returns: (transfer full) (nullable): the page, or %NULL with @error set
 */
ViAnnotationPage *
_vi_annotation_page_new_from_bytes (GBytes *bytes, GError **error)
{
  g_autoptr (GError) direct_error = NULL;
  g_autoptr (JsonNode) root = NULL;
  ViAnnotationPage *page;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  page = read_page_direct (bytes, &direct_error);
  if (page != NULL)
    return page;

  if (!g_str_has_prefix (direct_error->message,
                         "invalid response: malformed JSON") &&
      !g_str_has_prefix (direct_error->message,
                         "invalid response: empty body")) {
    root = vi_json_parse_bytes (bytes, NULL);
    if (root != NULL) {
      page = vi_annotation_page_new_from_json (root, NULL);
      if (page != NULL)
        return page;
    }
  }

  g_propagate_error (error, g_steal_pointer (&direct_error));
  return NULL;
}
