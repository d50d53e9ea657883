/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViAnnotation and ViAnnotationSpec: one part of an annotation as the API
 * lists it (the reference's Annotation, AnnotationSpec and
 * AnnotationAggregation), its description for people, and
 * ViDeletedResource.
 */
#include "config.h"

#include <string.h>

#include "vi-annotation.h"
#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-text-private.h"

/* ------------------------------------------------------------------------
 * ViAnnotationSpec
 * ------------------------------------------------------------------------ */

struct _ViAnnotationSpec {
  gatomicrefcount      ref_count;
  ViArena             *arena;      /* owner of memory and references */
  const char          *bound_type; /* inline */
  gint64               tag;
  const char          *whole_id; /* inline */
  ViRole               role;
  const char          *role_name; /* static, or inline when unknown */
  ViAnnotationContent *contents;
  char                 strings[];
};

G_DEFINE_BOXED_TYPE (ViAnnotationSpec,
                     vi_annotation_spec,
                     vi_annotation_spec_ref,
                     vi_annotation_spec_unref)

/* contents: (transfer full).  role_name is kept only for VI_ROLE_UNKNOWN
 * (str may be NULL). */
ViAnnotationSpec *
_vi_annotation_spec_new_from_parts (ViArena             *arena,
                                    ViStrRef             bound_type,
                                    gint64               tag,
                                    ViStrRef             whole_id,
                                    ViRole               role,
                                    ViStrRef             role_name,
                                    ViAnnotationContent *contents)
{
  ViAnnotationSpec *self;
  gboolean          keep_name;
  char             *strings;

  g_return_val_if_fail (contents != NULL, NULL);

  if (bound_type.str == NULL)
    bound_type.len = 0;
  if (whole_id.str == NULL)
    whole_id.len = 0;
  keep_name = (role == VI_ROLE_UNKNOWN && role_name.str != NULL);

  if (arena != NULL) {
    self = _vi_arena_alloc (arena, sizeof (ViAnnotationSpec));
    self->bound_type = _vi_arena_intern (arena, VI_ARENA_INTERN_BOUND_TYPE,
                                         bound_type.str, bound_type.len);
    self->whole_id = _vi_arena_intern (arena, VI_ARENA_INTERN_WHOLE_ID,
                                       whole_id.str, whole_id.len);
    if (keep_name)
      self->role_name = _vi_arena_strndup (arena, role_name.str, role_name.len);
  } else {
    self = g_malloc (sizeof (ViAnnotationSpec) + bound_type.len + 1 +
                     whole_id.len + 1 + (keep_name ? role_name.len + 1 : 0));
    strings = self->strings;
    self->bound_type = _vi_pack_string (&strings, bound_type.str,
                                        bound_type.len);
    self->whole_id = _vi_pack_string (&strings, whole_id.str, whole_id.len);
    if (keep_name)
      self->role_name = _vi_pack_string (&strings, role_name.str,
                                         role_name.len);
  }
  g_atomic_ref_count_init (&self->ref_count);
  self->arena = arena;
  self->tag = tag;
  self->role = role;
  if (!keep_name)
    self->role_name = vi_role_to_string (role);
  if (self->role_name == NULL)
    self->role_name = _VI_UNKNOWN_NAME;
  self->contents = contents;
  return self;
}

static ViStrRef
str_ref (const char *str)
{
  ViStrRef ref = { str, str != NULL ? strlen (str) : 0 };

  return ref;
}

ViAnnotationSpec *
_vi_annotation_spec_new_full (const char          *bound_type,
                              gint64               tag,
                              const char          *whole_id,
                              ViRole               role,
                              const char          *role_name,
                              ViAnnotationContent *contents)
{
  g_return_val_if_fail (contents != NULL, NULL);

  return _vi_annotation_spec_new_from_parts (NULL, str_ref (bound_type), tag,
                                             str_ref (whole_id), role,
                                             str_ref (role_name),
                                             vi_annotation_content_ref (
                                                 contents));
}

/**
 * vi_annotation_spec_new:
 * @bound_type: the `boundType` (`"box"`, `"caption"`, any string)
 * @tag: the `tag`
 * @whole_id: `aggregation.whole.id`, shared by the parts of one annotation
 * @role: `aggregation.thisPart.role`
 * @contents: the contents; a reference is taken
 *
 * Creates the `spec` of an annotation part.
 *
 * Returns: (transfer full): a new #ViAnnotationSpec
 */
ViAnnotationSpec *
vi_annotation_spec_new (const char          *bound_type,
                        gint64               tag,
                        const char          *whole_id,
                        ViRole               role,
                        ViAnnotationContent *contents)
{
  g_return_val_if_fail (bound_type != NULL, NULL);
  g_return_val_if_fail (whole_id != NULL, NULL);
  g_return_val_if_fail (contents != NULL, NULL);

  return _vi_annotation_spec_new_full (bound_type, tag, whole_id, role, NULL,
                                       contents);
}

/**
 * vi_annotation_spec_ref:
 * @self: a #ViAnnotationSpec
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationSpec *
vi_annotation_spec_ref (ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->arena != NULL)
    _vi_arena_ref (self->arena);
  else
    g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_spec_unref:
 * @self: (transfer full): a #ViAnnotationSpec
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_spec_unref (ViAnnotationSpec *self)
{
  g_return_if_fail (self != NULL);

  if (self->arena != NULL) {
    _vi_arena_unref (self->arena);
    return;
  }
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  vi_annotation_content_unref (self->contents);
  g_free (self);
}

/**
 * vi_annotation_spec_get_bound_type:
 * @self: a #ViAnnotationSpec
 *
 * Returns: the `boundType`
 */
const char *
vi_annotation_spec_get_bound_type (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->bound_type;
}

/**
 * vi_annotation_spec_get_tag:
 * @self: a #ViAnnotationSpec
 *
 * Returns: the `tag`
 */
gint64
vi_annotation_spec_get_tag (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->tag;
}

/**
 * vi_annotation_spec_get_whole_id:
 * @self: a #ViAnnotationSpec
 *
 * Returns: `aggregation.whole.id`, the id shared by the parts of one
 *   annotation
 */
const char *
vi_annotation_spec_get_whole_id (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->whole_id;
}

/**
 * vi_annotation_spec_get_role:
 * @self: a #ViAnnotationSpec
 *
 * Returns: `aggregation.thisPart.role`
 */
ViRole
vi_annotation_spec_get_role (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, VI_ROLE_UNKNOWN);

  return self->role;
}

/**
 * vi_annotation_spec_get_role_name:
 * @self: a #ViAnnotationSpec
 *
 * Returns: the role as a wire string; for %VI_ROLE_UNKNOWN, the string the
 *   server sent
 */
const char *
vi_annotation_spec_get_role_name (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->role_name;
}

/**
 * vi_annotation_spec_get_contents:
 * @self: a #ViAnnotationSpec
 *
 * Returns: (transfer none): the contents
 */
ViAnnotationContent *
vi_annotation_spec_get_contents (const ViAnnotationSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->contents;
}

/* ------------------------------------------------------------------------
 * ViAnnotation
 * ------------------------------------------------------------------------ */

struct _ViAnnotation {
  gatomicrefcount     ref_count;
  ViArena            *arena;         /* owner of memory and references */
  const char         *annotation_id; /* all strings inline */
  const char         *asset_id;
  const char         *organization_id;
  const char         *dataset_id;
  const char         *self_link;
  const char         *etag;
  ViAnnotationSpec   *spec;
  ViResourceMetadata *metadata;
  char                strings[];
};

G_DEFINE_BOXED_TYPE (ViAnnotation,
                     vi_annotation,
                     vi_annotation_ref,
                     vi_annotation_unref)

/* strings: in the order of ViAnnotationString; spec and metadata:
 * (transfer full), metadata nullable. */
ViAnnotation *
_vi_annotation_new_from_parts (ViArena            *arena,
                               const ViStrRef     *strings,
                               ViAnnotationSpec   *spec,
                               ViResourceMetadata *metadata)
{
  const char  **fields[VI_ANNOTATION_N_STRINGS];
  ViAnnotation *self;
  gsize         size = sizeof (ViAnnotation);
  char         *cursor;
  guint         i;

  g_return_val_if_fail (strings != NULL, NULL);
  g_return_val_if_fail (spec != NULL, NULL);

  if (arena != NULL) {
    /* Ids shared by the items of a page are kept once. */
    static const guint slots[VI_ANNOTATION_N_STRINGS] = {
      [VI_ANNOTATION_STRING_ASSET_ID] = VI_ARENA_INTERN_ASSET_ID,
      [VI_ANNOTATION_STRING_ORGANIZATION_ID] = VI_ARENA_INTERN_ORGANIZATION_ID,
      [VI_ANNOTATION_STRING_DATASET_ID] = VI_ARENA_INTERN_DATASET_ID,
    };
    gsize unshared = 0;

    g_return_val_if_fail (metadata != NULL, NULL);

    for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++) {
      if (slots[i] == 0)
        unshared += (strings[i].str != NULL ? strings[i].len : 0) + 1;
    }
    self = _vi_arena_alloc (arena, size + unshared);
    self->arena = arena;
    g_atomic_ref_count_init (&self->ref_count);
    self->annotation_id = NULL;
    fields[VI_ANNOTATION_STRING_ID] = &self->annotation_id;
    fields[VI_ANNOTATION_STRING_ASSET_ID] = &self->asset_id;
    fields[VI_ANNOTATION_STRING_ORGANIZATION_ID] = &self->organization_id;
    fields[VI_ANNOTATION_STRING_DATASET_ID] = &self->dataset_id;
    fields[VI_ANNOTATION_STRING_SELF_LINK] = &self->self_link;
    fields[VI_ANNOTATION_STRING_ETAG] = &self->etag;
    cursor = self->strings;
    for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++) {
      gsize len = strings[i].str != NULL ? strings[i].len : 0;

      if (slots[i] != 0)
        *fields[i] = _vi_arena_intern (arena, slots[i], strings[i].str, len);
      else
        *fields[i] = _vi_pack_string (&cursor, strings[i].str, len);
    }
    self->spec = spec;
    self->metadata = metadata;
    return self;
  }

  for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++)
    size += (strings[i].str != NULL ? strings[i].len : 0) + 1;

  self = g_malloc (size);
  g_atomic_ref_count_init (&self->ref_count);
  self->arena = NULL;
  fields[VI_ANNOTATION_STRING_ID] = &self->annotation_id;
  fields[VI_ANNOTATION_STRING_ASSET_ID] = &self->asset_id;
  fields[VI_ANNOTATION_STRING_ORGANIZATION_ID] = &self->organization_id;
  fields[VI_ANNOTATION_STRING_DATASET_ID] = &self->dataset_id;
  fields[VI_ANNOTATION_STRING_SELF_LINK] = &self->self_link;
  fields[VI_ANNOTATION_STRING_ETAG] = &self->etag;
  cursor = self->strings;
  for (i = 0; i < VI_ANNOTATION_N_STRINGS; i++)
    *fields[i] = _vi_pack_string (&cursor, strings[i].str,
                                  strings[i].str != NULL ? strings[i].len : 0);
  self->spec = spec;
  self->metadata = metadata != NULL ? metadata
                                    : vi_resource_metadata_new (0, 0, 0);
  return self;
}

/* The fast path of the direct reader: an annotation with its spec and
 * metadata in one block of the arena.  The interned strings of parts are
 * in the arena already; the others are copied. */
ViAnnotation *
_vi_annotation_new_in_arena (ViArena *arena, const ViAnnotationParts *parts)
{
  gboolean            keep_name = (parts->role == VI_ROLE_UNKNOWN &&
                        parts->role_name.str != NULL);
  gsize               annotation_size, spec_size, metadata_size;
  ViAnnotation       *self;
  ViAnnotationSpec   *spec;
  ViResourceMetadata *metadata;
  char               *block, *cursor;

  annotation_size = (sizeof (ViAnnotation) + parts->id.len + 1 +
                     parts->self_link.len + 1 + parts->etag.len + 1 + 7) &
      ~(gsize) 7;
  spec_size = (sizeof (ViAnnotationSpec) +
               (keep_name ? parts->role_name.len + 1 : 0) + 7) &
      ~(gsize) 7;
  metadata_size = (sizeof (ViResourceMetadata) + 7) & ~(gsize) 7;
  block = _vi_arena_alloc (arena, annotation_size + spec_size + metadata_size);

  metadata = (ViResourceMetadata *) (gpointer) (block + annotation_size +
                                                spec_size);
  g_atomic_ref_count_init (&metadata->ref_count);
  metadata->arena = arena;
  metadata->time_created = parts->time_created;
  metadata->last_updated = parts->last_updated;
  metadata->generation = parts->generation;
  metadata->attributes = parts->attributes;
  _vi_arena_own_attributes (arena, &metadata->attributes);

  spec = (ViAnnotationSpec *) (gpointer) (block + annotation_size);
  g_atomic_ref_count_init (&spec->ref_count);
  spec->arena = arena;
  spec->bound_type = parts->bound_type;
  spec->tag = parts->tag;
  spec->whole_id = parts->whole_id;
  spec->role = parts->role;
  if (keep_name) {
    cursor = spec->strings;
    spec->role_name = _vi_pack_string (&cursor, parts->role_name.str,
                                       parts->role_name.len);
  } else {
    spec->role_name = vi_role_to_string (parts->role);
    if (spec->role_name == NULL)
      spec->role_name = _VI_UNKNOWN_NAME;
  }
  spec->contents = parts->contents;

  self = (ViAnnotation *) (gpointer) block;
  g_atomic_ref_count_init (&self->ref_count);
  self->arena = arena;
  cursor = self->strings;
  self->annotation_id = _vi_pack_string (&cursor, parts->id.str, parts->id.len);
  self->asset_id = parts->asset_id;
  self->organization_id = parts->organization_id;
  self->dataset_id = parts->dataset_id;
  self->self_link = _vi_pack_string (&cursor, parts->self_link.str,
                                     parts->self_link.len);
  self->etag = _vi_pack_string (&cursor, parts->etag.str, parts->etag.len);
  self->spec = spec;
  self->metadata = metadata;
  return self;
}

/**
 * vi_annotation_new:
 * @annotation_id: the annotation's id
 * @asset_id: the asset it belongs to
 * @organization_id: the organization (`workspaceId`)
 * @dataset_id: the dataset id, without the `"{organization}_"` prefix
 * @spec: the spec; a reference is taken
 * @metadata: (nullable): the metadata, a reference is taken; %NULL gives
 *   zero times and no attributes
 * @self_link: (nullable): the `selfLink`; %NULL is stored as ""
 * @etag: (nullable): the `etag`; %NULL is stored as ""
 *
 * Creates an annotation part (the reference's `Annotation`).
 *
 * Returns: (transfer full): a new #ViAnnotation
 */
ViAnnotation *
vi_annotation_new (const char         *annotation_id,
                   const char         *asset_id,
                   const char         *organization_id,
                   const char         *dataset_id,
                   ViAnnotationSpec   *spec,
                   ViResourceMetadata *metadata,
                   const char         *self_link,
                   const char         *etag)
{
  ViStrRef strings[VI_ANNOTATION_N_STRINGS];

  g_return_val_if_fail (annotation_id != NULL, NULL);
  g_return_val_if_fail (asset_id != NULL, NULL);
  g_return_val_if_fail (organization_id != NULL, NULL);
  g_return_val_if_fail (dataset_id != NULL, NULL);
  g_return_val_if_fail (spec != NULL, NULL);

  strings[VI_ANNOTATION_STRING_ID] = str_ref (annotation_id);
  strings[VI_ANNOTATION_STRING_ASSET_ID] = str_ref (asset_id);
  strings[VI_ANNOTATION_STRING_ORGANIZATION_ID] = str_ref (organization_id);
  strings[VI_ANNOTATION_STRING_DATASET_ID] = str_ref (dataset_id);
  strings[VI_ANNOTATION_STRING_SELF_LINK] = str_ref (self_link);
  strings[VI_ANNOTATION_STRING_ETAG] = str_ref (etag);
  return _vi_annotation_new_from_parts (NULL, strings,
                                        vi_annotation_spec_ref (spec),
                                        metadata != NULL
                                            ? vi_resource_metadata_ref (
                                                  metadata)
                                            : NULL);
}

/**
 * vi_annotation_ref:
 * @self: a #ViAnnotation
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotation *
vi_annotation_ref (ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->arena != NULL)
    _vi_arena_ref (self->arena);
  else
    g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_unref:
 * @self: (transfer full): a #ViAnnotation
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_unref (ViAnnotation *self)
{
  g_return_if_fail (self != NULL);

  if (self->arena != NULL) {
    _vi_arena_unref (self->arena);
    return;
  }
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  vi_annotation_spec_unref (self->spec);
  vi_resource_metadata_unref (self->metadata);
  g_free (self);
}

/**
 * vi_annotation_get_annotation_id:
 * @self: a #ViAnnotation
 *
 * Returns: the annotation's id
 */
const char *
vi_annotation_get_annotation_id (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->annotation_id;
}

/**
 * vi_annotation_get_asset_id:
 * @self: a #ViAnnotation
 *
 * Returns: the id of the asset the annotation belongs to
 */
const char *
vi_annotation_get_asset_id (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->asset_id;
}

/**
 * vi_annotation_get_organization_id:
 * @self: a #ViAnnotation
 *
 * Returns: the organization id (`workspaceId` on the wire)
 */
const char *
vi_annotation_get_organization_id (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->organization_id;
}

/**
 * vi_annotation_get_dataset_id:
 * @self: a #ViAnnotation
 *
 * Returns: the dataset id, without the `"{organization}_"` prefix the wire
 *   form carries
 */
const char *
vi_annotation_get_dataset_id (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_id;
}

/**
 * vi_annotation_get_spec:
 * @self: a #ViAnnotation
 *
 * Returns: (transfer none): the spec
 */
ViAnnotationSpec *
vi_annotation_get_spec (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->spec;
}

/**
 * vi_annotation_get_metadata:
 * @self: a #ViAnnotation
 *
 * Returns: (transfer none): the metadata
 */
ViResourceMetadata *
vi_annotation_get_metadata (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/**
 * vi_annotation_get_self_link:
 * @self: a #ViAnnotation
 *
 * Returns: the `selfLink`
 */
const char *
vi_annotation_get_self_link (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->self_link;
}

/**
 * vi_annotation_get_etag:
 * @self: a #ViAnnotation
 *
 * Returns: the `etag`
 */
const char *
vi_annotation_get_etag (const ViAnnotation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->etag;
}

static void
append_time (GString *out, const char *label, gint64 ms)
{
  g_autoptr (GDateTime) time = NULL;

  /* Years 1..9999 only: GDateTime's range. */
  if (ms / 1000 > -62135596800 && ms / 1000 < 253402300800)
    time = g_date_time_new_from_unix_utc (ms / 1000);

  g_string_append_printf (out, "  %-14s", label);
  if (time != NULL) {
    g_autofree char *text = g_date_time_format (time, "%Y-%m-%d %H:%M:%S");

    g_string_append_printf (out, "%s.%03d UTC (%" G_GINT64_FORMAT ")\n", text,
                            (int) (((ms % 1000) + 1000) % 1000), ms);
  } else {
    g_string_append_printf (out, "%" G_GINT64_FORMAT " ms\n", ms);
  }
}

/**
 * vi_annotation_to_string:
 * @self: a #ViAnnotation
 *
 * Describes @self on several lines for people, as the SDK's `info()`
 * prints it: ids, asset, dataset, bound type, role, the id of the whole,
 * the contents (caption text; box corners, box and target; question and
 * answer) and the metadata.  The layout may change between versions.
 *
 * Returns: (transfer full): the description
 */
char *
vi_annotation_to_string (const ViAnnotation *self)
{
  const ViAnnotationSpec *spec;
  GString                *out;

  g_return_val_if_fail (self != NULL, NULL);

  spec = self->spec;
  out = g_string_new (NULL);
  g_string_append_printf (out, "Annotation %s\n", self->annotation_id);
  g_string_append_printf (out, "  %-14s%s\n", "Asset:", self->asset_id);
  g_string_append_printf (out, "  %-14s%s\n", "Dataset:", self->dataset_id);
  g_string_append_printf (out, "  %-14s%s\n",
                          "Organization:", self->organization_id);
  g_string_append_printf (out, "  %-14s%s\n", "Bound type:", spec->bound_type);
  g_string_append_printf (out, "  %-14s%" G_GINT64_FORMAT "\n",
                          "Tag:", spec->tag);
  g_string_append_printf (out, "  %-14s%s%s\n", "Role:", spec->role_name,
                          spec->role == VI_ROLE_UNKNOWN
                              ? " (unknown to this version)"
                              : "");
  g_string_append_printf (out, "  %-14s%s\n", "Whole:", spec->whole_id);
  _vi_annotation_content_describe (spec->contents, out);
  append_time (out, "Created:", self->metadata->time_created);
  append_time (out, "Updated:", self->metadata->last_updated);
  g_string_append_printf (out, "  %-14s%" G_GINT64_FORMAT "\n",
                          "Generation:", self->metadata->generation);
  if (self->metadata->attributes != NULL &&
      g_hash_table_size (self->metadata->attributes) > 0) {
    g_autofree const char **keys = NULL;
    guint                   n_keys, i;

    keys = _vi_sorted_keys (self->metadata->attributes, &n_keys);
    g_string_append_printf (out, "  %-14s\n", "Attributes:");
    for (i = 0; i < n_keys; i++)
      g_string_append_printf (out, "    %s: %s\n", keys[i],
                              (const char *)
                                  g_hash_table_lookup (self->metadata
                                                           ->attributes,
                                                       keys[i]));
  }
  g_string_append_printf (out, "  %-14s%s\n", "Self link:", self->self_link);
  g_string_append_printf (out, "  %-14s%s\n", "ETag:", self->etag);
  return g_string_free (out, FALSE);
}

/**
 * vi_annotation_print_info:
 * @self: a #ViAnnotation
 *
 * Prints vi_annotation_to_string() with g_print(), as the SDK's
 * `Annotation.info()` does.  Control characters of the server's text (a
 * caption, an id) are printed as `\uXXXX`, so that they cannot drive the
 * terminal.
 */
void
vi_annotation_print_info (const ViAnnotation *self)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GString *out;

  g_return_if_fail (self != NULL);

  text = vi_annotation_to_string (self);
  lines = g_strsplit (text, "\n", -1);
  out = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_autofree char *line = NULL;

    if (lines[i + 1] == NULL && lines[i][0] == '\0')
      break;
    /* No cut in practice: 16 Mi characters a line ("…" past that). */
    line = _vi_text_excerpt (lines[i], -1, 1u << 24, VI_TEXT_ESCAPE);
    g_string_append (out, line);
    g_string_append_c (out, '\n');
  }
  g_print ("%s", out->str);
  g_string_free (out, TRUE);
}

/* ------------------------------------------------------------------------
 * ViDeletedResource
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViDeletedResource,
                     vi_deleted_resource,
                     vi_deleted_resource_copy,
                     vi_deleted_resource_free)

/**
 * vi_deleted_resource_new:
 * @id: the id of the deleted resource
 *
 * Returns: (transfer full): a new #ViDeletedResource with @deleted %TRUE
 */
ViDeletedResource *
vi_deleted_resource_new (const char *id)
{
  ViDeletedResource *self;

  g_return_val_if_fail (id != NULL, NULL);

  self = g_new0 (ViDeletedResource, 1);
  self->id = g_strdup (id);
  self->deleted = TRUE;
  return self;
}

/**
 * vi_deleted_resource_copy:
 * @self: a #ViDeletedResource
 *
 * Returns: (transfer full): a copy of @self
 */
ViDeletedResource *
vi_deleted_resource_copy (const ViDeletedResource *self)
{
  ViDeletedResource *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViDeletedResource, 1);
  copy->id = g_strdup (self->id);
  copy->deleted = self->deleted;
  return copy;
}

/**
 * vi_deleted_resource_free:
 * @self: (transfer full) (nullable): a #ViDeletedResource
 *
 * Frees @self.
 */
void
vi_deleted_resource_free (ViDeletedResource *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self);
}

/* ------------------------------------------------------------------------
 * Dataset ids
 * ------------------------------------------------------------------------ */

/* "{org}_{ds}" -> "{ds}".  Only the organization's own prefix is removed
 * (the SDK keeps what follows the last "_", which breaks ids with "_"). An
 * id without the prefix, or with nothing after it, is kept whole. */
char *
_vi_strip_dataset_prefix (const char *organization_id, const char *dataset_id)
{
  gsize org_len;

  if (dataset_id == NULL)
    return NULL;
  if (organization_id == NULL || organization_id[0] == '\0')
    return g_strdup (dataset_id);

  org_len = strlen (organization_id);
  if (strncmp (dataset_id, organization_id, org_len) == 0 &&
      dataset_id[org_len] == '_' && dataset_id[org_len + 1] != '\0')
    return g_strdup (dataset_id + org_len + 1);
  return g_strdup (dataset_id);
}
