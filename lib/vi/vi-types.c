/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "vi-types.h"
#include "vi-model-private.h"
#include "vi-maps-private.h"

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
 * Import session: failure policy, spec, conditions, status
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViAnnotationImportFailurePolicy,
                     vi_annotation_import_failure_policy,
                     vi_annotation_import_failure_policy_copy,
                     vi_annotation_import_failure_policy_free)

/**
 * vi_annotation_import_failure_policy_copy:
 * @self: a #ViAnnotationImportFailurePolicy
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportFailurePolicy *
vi_annotation_import_failure_policy_copy (
    const ViAnnotationImportFailurePolicy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_annotation_import_failure_policy_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportFailurePolicy
 *
 * Frees @self.
 */
void
vi_annotation_import_failure_policy_free (ViAnnotationImportFailurePolicy *self)
{
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViAnnotationImportSpec,
                     vi_annotation_import_spec,
                     vi_annotation_import_spec_copy,
                     vi_annotation_import_spec_free)

/**
 * vi_annotation_import_spec_copy:
 * @self: a #ViAnnotationImportSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportSpec *
vi_annotation_import_spec_copy (const ViAnnotationImportSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_annotation_import_spec_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportSpec
 *
 * Frees @self.
 */
void
vi_annotation_import_spec_free (ViAnnotationImportSpec *self)
{
  g_free (self);
}

/**
 * vi_annotation_import_spec_init_default:
 * @self: (out caller-allocates): a #ViAnnotationImportSpec
 *
 * Fills @self with what the SDK's upload sends: a deadline 55 minutes from
 * now (`uploadBefore`, milliseconds), `RejectSession` for the three
 * failure policies and the `UploadedIndividualFiles` source.
 */
void
vi_annotation_import_spec_init_default (ViAnnotationImportSpec *self)
{
  g_return_if_fail (self != NULL);

  /* Whole seconds, as the SDK computes int((time() + 3300) * 1000). */
  self->upload_before = (g_get_real_time () / G_USEC_PER_SEC + 55 * 60) * 1000;
  self->failure_policies.on_bad_annotation = VI_FAILURE_POLICY_REJECT_SESSION;
  self->failure_policies.on_bad_file = VI_FAILURE_POLICY_REJECT_SESSION;
  self->failure_policies.on_overwritten = VI_FAILURE_POLICY_REJECT_SESSION;
  self->source = VI_ANNOTATION_IMPORT_SOURCE_UPLOADED_INDIVIDUAL_FILES;
}

G_DEFINE_BOXED_TYPE (ViAnnotationImportSessionCondition,
                     vi_annotation_import_session_condition,
                     vi_annotation_import_session_condition_copy,
                     vi_annotation_import_session_condition_free)

/**
 * vi_annotation_import_session_condition_new:
 * @condition: the condition name (`FilesInserted`, `Complete`, ...)
 * @status: its state
 * @last_transition_time: milliseconds since the Unix epoch
 * @reason: why, or %VI_CONDITION_REASON_NONE
 *
 * Returns: (transfer full): a new #ViAnnotationImportSessionCondition,
 *   whose @reason_name is the wire string of @reason
 */
ViAnnotationImportSessionCondition *
vi_annotation_import_session_condition_new (const char       *condition,
                                            ViConditionStatus status,
                                            double last_transition_time,
                                            ViConditionReason reason)
{
  ViAnnotationImportSessionCondition *self;

  g_return_val_if_fail (condition != NULL, NULL);

  self = g_new0 (ViAnnotationImportSessionCondition, 1);
  self->condition = g_strdup (condition);
  self->status = status;
  self->last_transition_time = last_transition_time;
  self->reason = reason;
  self->reason_name = g_strdup (vi_condition_reason_to_string (reason));
  return self;
}

/**
 * vi_annotation_import_session_condition_copy:
 * @self: a #ViAnnotationImportSessionCondition
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportSessionCondition *
vi_annotation_import_session_condition_copy (
    const ViAnnotationImportSessionCondition *self)
{
  ViAnnotationImportSessionCondition *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViAnnotationImportSessionCondition, 1);
  copy->condition = g_strdup (self->condition);
  copy->status = self->status;
  copy->last_transition_time = self->last_transition_time;
  copy->reason = self->reason;
  copy->reason_name = g_strdup (self->reason_name);
  return copy;
}

/**
 * vi_annotation_import_session_condition_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportSessionCondition
 *
 * Frees @self.
 */
void
vi_annotation_import_session_condition_free (
    ViAnnotationImportSessionCondition *self)
{
  if (self == NULL)
    return;
  g_free (self->condition);
  g_free (self->reason_name);
  g_free (self);
}

struct _ViAnnotationImportSessionStatus {
  gatomicrefcount        ref_count;
  GPtrArray             *conditions;
  ViAnnotationFileStatus files;
  ViAnnotationStatus     annotations;
  char                  *reason;
};

G_DEFINE_BOXED_TYPE (ViAnnotationImportSessionStatus,
                     vi_annotation_import_session_status,
                     vi_annotation_import_session_status_ref,
                     vi_annotation_import_session_status_unref)

static gpointer
condition_copy_func (gconstpointer src, gpointer data)
{
  return vi_annotation_import_session_condition_copy (src);
}

/* Everything is copied: conditions (element-type
 * ViAnnotationImportSessionCondition), the two count maps (utf8 ->
 * gint64 *) and the reason; all may be NULL. */
ViAnnotationImportSessionStatus *
_vi_annotation_import_session_status_new (GPtrArray  *conditions,
                                          gint64      file_page_count,
                                          gint64      file_total_size_bytes,
                                          GHashTable *file_status_count,
                                          GHashTable *annotation_status_count,
                                          const char *reason)
{
  ViAnnotationImportSessionStatus *self;

  self = g_new0 (ViAnnotationImportSessionStatus, 1);
  g_atomic_ref_count_init (&self->ref_count);
  if (conditions != NULL) {
    self->conditions = g_ptr_array_copy (conditions, condition_copy_func, NULL);
    g_ptr_array_set_free_func (self->conditions,
                               (GDestroyNotify)
                                   vi_annotation_import_session_condition_free);
  } else {
    self->conditions = g_ptr_array_new_with_free_func (
        (GDestroyNotify) vi_annotation_import_session_condition_free);
  }
  self->files.page_count = file_page_count;
  self->files.total_size_bytes = file_total_size_bytes;
  self->files.status_count = _vi_count_map_copy (file_status_count);
  self->annotations.status_count = _vi_count_map_copy (annotation_status_count);
  self->reason = g_strdup (reason);
  return self;
}

/**
 * vi_annotation_import_session_status_ref:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationImportSessionStatus *
vi_annotation_import_session_status_ref (ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_import_session_status_unref:
 * @self: (transfer full): a #ViAnnotationImportSessionStatus
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_import_session_status_unref (ViAnnotationImportSessionStatus *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->conditions);
  g_hash_table_unref (self->files.status_count);
  g_hash_table_unref (self->annotations.status_count);
  g_free (self->reason);
  g_free (self);
}

/**
 * vi_annotation_import_session_status_get_conditions:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none) (element-type ViAnnotationImportSessionCondition):
 *   the conditions in the server's order (newest first); do not modify the
 *   array
 */
GPtrArray *
vi_annotation_import_session_status_get_conditions (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->conditions;
}

/**
 * vi_annotation_import_session_status_get_files:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none): the file counts
 */
const ViAnnotationFileStatus *
vi_annotation_import_session_status_get_files (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->files;
}

/**
 * vi_annotation_import_session_status_get_annotations:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (transfer none): the annotation counts
 */
const ViAnnotationStatus *
vi_annotation_import_session_status_get_annotations (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->annotations;
}

/**
 * vi_annotation_import_session_status_get_reason:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: (nullable): the session-level free-form `reason`
 */
const char *
vi_annotation_import_session_status_get_reason (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reason;
}

/**
 * vi_annotation_import_session_status_get_file_count:
 * @self: a #ViAnnotationImportSessionStatus
 * @status: a status name (`Processed`, `Failed`, ...)
 *
 * Returns: the number of files counted under @status, 0 if none
 */
gint64
vi_annotation_import_session_status_get_file_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (status != NULL, 0);

  return _vi_count_map_get (self->files.status_count, status);
}

/**
 * vi_annotation_import_session_status_get_annotation_count:
 * @self: a #ViAnnotationImportSessionStatus
 * @status: a status name (`Created`, `Failed`, ...)
 *
 * Returns: the number of annotations counted under @status, 0 if none
 */
gint64
vi_annotation_import_session_status_get_annotation_count (
    const ViAnnotationImportSessionStatus *self,
    const char                            *status)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (status != NULL, 0);

  return _vi_count_map_get (self->annotations.status_count, status);
}

/**
 * vi_annotation_import_session_status_get_total_annotations:
 * @self: a #ViAnnotationImportSessionStatus
 *
 * Returns: the sum of every annotation status count, as the SDK's
 *   `total_annotations`
 */
gint64
vi_annotation_import_session_status_get_total_annotations (
    const ViAnnotationImportSessionStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return _vi_count_map_sum (self->annotations.status_count);
}

/* ------------------------------------------------------------------------
 * ViAnnotationImportSession
 * ------------------------------------------------------------------------ */

struct _ViAnnotationImportSession {
  gatomicrefcount                  ref_count;
  char                            *user;
  char                            *organization_id;
  char                            *dataset_id;
  char                            *session_id;
  char                            *self_link;
  char                            *etag;
  ViResourceMetadata              *metadata;
  ViAnnotationImportSpec           spec;
  ViAnnotationImportSessionStatus *status;
};

G_DEFINE_BOXED_TYPE (ViAnnotationImportSession,
                     vi_annotation_import_session,
                     vi_annotation_import_session_ref,
                     vi_annotation_import_session_unref)

/* Strings are copied (NULL stored as ""), metadata and status get a
 * reference (NULL gives empty ones), spec is copied (NULL gives
 * vi_annotation_import_spec_init_default()). */
ViAnnotationImportSession *
_vi_annotation_import_session_new (const char         *user,
                                   const char         *organization_id,
                                   const char         *dataset_id,
                                   const char         *session_id,
                                   const char         *self_link,
                                   const char         *etag,
                                   ViResourceMetadata *metadata,
                                   const ViAnnotationImportSpec    *spec,
                                   ViAnnotationImportSessionStatus *status)
{
  ViAnnotationImportSession *self = g_new0 (ViAnnotationImportSession, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->user = _vi_strdup_or_empty (user);
  self->organization_id = _vi_strdup_or_empty (organization_id);
  self->dataset_id = _vi_strdup_or_empty (dataset_id);
  self->session_id = _vi_strdup_or_empty (session_id);
  self->self_link = _vi_strdup_or_empty (self_link);
  self->etag = _vi_strdup_or_empty (etag);
  self->metadata = metadata != NULL ? vi_resource_metadata_ref (metadata)
                                    : vi_resource_metadata_new (0, 0, 0);
  if (spec != NULL)
    self->spec = *spec;
  else
    vi_annotation_import_spec_init_default (&self->spec);
  self->status = status != NULL
      ? vi_annotation_import_session_status_ref (status)
      : _vi_annotation_import_session_status_new (NULL, 0, 0, NULL, NULL, NULL);
  return self;
}

/**
 * vi_annotation_import_session_ref:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationImportSession *
vi_annotation_import_session_ref (ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_import_session_unref:
 * @self: (transfer full): a #ViAnnotationImportSession
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_import_session_unref (ViAnnotationImportSession *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->user);
  g_free (self->organization_id);
  g_free (self->dataset_id);
  g_free (self->session_id);
  g_free (self->self_link);
  g_free (self->etag);
  vi_resource_metadata_unref (self->metadata);
  vi_annotation_import_session_status_unref (self->status);
  g_free (self);
}

/**
 * vi_annotation_import_session_get_user:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the id of the user who started the session
 */
const char *
vi_annotation_import_session_get_user (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->user;
}

/**
 * vi_annotation_import_session_get_organization_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the organization id (`workspaceId` on the wire)
 */
const char *
vi_annotation_import_session_get_organization_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->organization_id;
}

/**
 * vi_annotation_import_session_get_dataset_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the dataset id, without the `"{organization}_"` prefix
 */
const char *
vi_annotation_import_session_get_dataset_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_id;
}

/**
 * vi_annotation_import_session_get_session_id:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the session id (`annotationImportSessionId`)
 */
const char *
vi_annotation_import_session_get_session_id (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->session_id;
}

/**
 * vi_annotation_import_session_get_self_link:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the `selfLink`
 */
const char *
vi_annotation_import_session_get_self_link (
    const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->self_link;
}

/**
 * vi_annotation_import_session_get_etag:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: the `etag`
 */
const char *
vi_annotation_import_session_get_etag (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->etag;
}

/**
 * vi_annotation_import_session_get_metadata:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the metadata
 */
ViResourceMetadata *
vi_annotation_import_session_get_metadata (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/**
 * vi_annotation_import_session_get_spec:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the spec
 */
const ViAnnotationImportSpec *
vi_annotation_import_session_get_spec (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->spec;
}

/**
 * vi_annotation_import_session_get_status:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: (transfer none): the status
 */
ViAnnotationImportSessionStatus *
vi_annotation_import_session_get_status (const ViAnnotationImportSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->status;
}

/**
 * vi_annotation_import_session_is_complete:
 * @self: a #ViAnnotationImportSession
 *
 * Whether the import is done, as the SDK's `AnnotationUploadResult`
 * decides it: some condition named `Complete` is `Reached`.
 *
 * Returns: %TRUE if the session is complete
 */
gboolean
vi_annotation_import_session_is_complete (const ViAnnotationImportSession *self)
{
  GPtrArray *conditions;
  guint      i;

  g_return_val_if_fail (self != NULL, FALSE);

  conditions = self->status->conditions;
  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i);

    if (c->status == VI_CONDITION_STATUS_REACHED &&
        g_strcmp0 (c->condition, "Complete") == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * vi_annotation_import_session_is_failed:
 * @self: a #ViAnnotationImportSession
 *
 * Returns: %TRUE if any condition is `FailedReach`
 */
gboolean
vi_annotation_import_session_is_failed (const ViAnnotationImportSession *self)
{
  GPtrArray *conditions;
  guint      i;

  g_return_val_if_fail (self != NULL, FALSE);

  conditions = self->status->conditions;
  for (i = 0; i < conditions->len; i++) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i);

    if (c->status == VI_CONDITION_STATUS_FAILED_REACH)
      return TRUE;
  }
  return FALSE;
}

static void
append_condition_chain (GString *out, GPtrArray *conditions)
{
  guint i;

  if (conditions->len == 0) {
    g_string_append (out, "(no conditions)");
    return;
  }
  /* The server lists the newest first; people read oldest first. */
  for (i = conditions->len; i > 0; i--) {
    const ViAnnotationImportSessionCondition *c = g_ptr_array_index (conditions,
                                                                     i - 1);
    const char *status = vi_condition_status_to_string (c->status);

    if (i != conditions->len)
      g_string_append (out, " -> ");
    g_string_append_printf (out, "%s: %s", c->condition,
                            status != NULL ? status : _VI_UNKNOWN_NAME);
    if (c->reason != VI_CONDITION_REASON_NONE)
      g_string_append_printf (out, " (%s)",
                              c->reason_name != NULL ? c->reason_name
                                                     : _VI_UNKNOWN_NAME);
  }
}

/**
 * vi_annotation_import_session_describe_conditions:
 * @self: a #ViAnnotationImportSession
 *
 * Describes the conditions in chronological order, as the SDK's progress
 * text does: `FilesInserted: Reached -> Complete: Waiting`, with the reason
 * of a condition in parentheses.  The server lists conditions newest
 * first, so this is the reverse of the list.
 *
 * Returns: (transfer full): the description; `(no conditions)` when there
 *   are none
 */
char *
vi_annotation_import_session_describe_conditions (
    const ViAnnotationImportSession *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  append_condition_chain (out, self->status->conditions);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * ViAnnotationImportFileSpec, ViSignedUpload
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViAnnotationImportFileSpec,
                     vi_annotation_import_file_spec,
                     vi_annotation_import_file_spec_copy,
                     vi_annotation_import_file_spec_free)

/**
 * vi_annotation_import_file_spec_new:
 * @name: the file's base name
 * @size_bytes: its size
 * @crc32c: base64 of the big-endian CRC-32C of its bytes
 *   (vi_crc32c_to_base64())
 *
 * Returns: (transfer full): a new #ViAnnotationImportFileSpec of kind
 *   `Unknown`
 */
ViAnnotationImportFileSpec *
vi_annotation_import_file_spec_new (const char *name,
                                    gint64      size_bytes,
                                    const char *crc32c)
{
  ViAnnotationImportFileSpec *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (crc32c != NULL, NULL);

  self = g_new0 (ViAnnotationImportFileSpec, 1);
  self->name = g_strdup (name);
  self->size_bytes = size_bytes;
  self->crc32c = g_strdup (crc32c);
  self->kind = g_strdup ("Unknown");
  return self;
}

/**
 * vi_annotation_import_file_spec_copy:
 * @self: a #ViAnnotationImportFileSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViAnnotationImportFileSpec *
vi_annotation_import_file_spec_copy (const ViAnnotationImportFileSpec *self)
{
  ViAnnotationImportFileSpec *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViAnnotationImportFileSpec, 1);
  copy->name = g_strdup (self->name);
  copy->size_bytes = self->size_bytes;
  copy->crc32c = g_strdup (self->crc32c);
  copy->kind = g_strdup (self->kind);
  return copy;
}

/**
 * vi_annotation_import_file_spec_free:
 * @self: (transfer full) (nullable): a #ViAnnotationImportFileSpec
 *
 * Frees @self.
 */
void
vi_annotation_import_file_spec_free (ViAnnotationImportFileSpec *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->crc32c);
  g_free (self->kind);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViSignedUpload,
                     vi_signed_upload,
                     vi_signed_upload_copy,
                     vi_signed_upload_free)

/**
 * vi_signed_upload_copy:
 * @self: a #ViSignedUpload
 *
 * Returns: (transfer full): a copy of @self
 */
ViSignedUpload *
vi_signed_upload_copy (const ViSignedUpload *self)
{
  ViSignedUpload *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViSignedUpload, 1);
  copy->name = g_strdup (self->name);
  copy->method = g_strdup (self->method);
  copy->url = g_strdup (self->url);
  copy->headers = _vi_string_map_copy (self->headers);
  return copy;
}

/**
 * vi_signed_upload_free:
 * @self: (transfer full) (nullable): a #ViSignedUpload
 *
 * Frees @self.
 */
void
vi_signed_upload_free (ViSignedUpload *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->method);
  g_free (self->url);
  g_clear_pointer (&self->headers, g_hash_table_unref);
  g_free (self);
}

/* ------------------------------------------------------------------------
 * ViAnnotationUploadResult
 * ------------------------------------------------------------------------ */

struct _ViAnnotationUploadResult {
  gatomicrefcount            ref_count;
  ViAnnotationImportSession *session;
};

G_DEFINE_BOXED_TYPE (ViAnnotationUploadResult,
                     vi_annotation_upload_result,
                     vi_annotation_upload_result_ref,
                     vi_annotation_upload_result_unref)

/**
 * vi_annotation_upload_result_new:
 * @session: the import session of the upload; a reference is taken
 *
 * Wraps @session as the result of an upload (the SDK's
 * `AnnotationUploadResult`).
 *
 * Returns: (transfer full): a new #ViAnnotationUploadResult
 */
ViAnnotationUploadResult *
vi_annotation_upload_result_new (ViAnnotationImportSession *session)
{
  ViAnnotationUploadResult *self;

  g_return_val_if_fail (session != NULL, NULL);

  self = g_new0 (ViAnnotationUploadResult, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->session = vi_annotation_import_session_ref (session);
  return self;
}

/**
 * vi_annotation_upload_result_ref:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationUploadResult *
vi_annotation_upload_result_ref (ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_upload_result_unref:
 * @self: (transfer full): a #ViAnnotationUploadResult
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_upload_result_unref (ViAnnotationUploadResult *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  vi_annotation_import_session_unref (self->session);
  g_free (self);
}

/**
 * vi_annotation_upload_result_get_session_id:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: the id of the import session
 */
const char *
vi_annotation_upload_result_get_session_id (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->session->session_id;
}

/**
 * vi_annotation_upload_result_get_total_annotations:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: the sum of the session's annotation status counts
 */
gint64
vi_annotation_upload_result_get_total_annotations (
    const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return _vi_count_map_sum (self->session->status->annotations.status_count);
}

/**
 * vi_annotation_upload_result_get_session:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: (transfer none): the import session
 */
ViAnnotationImportSession *
vi_annotation_upload_result_get_session (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->session;
}

/**
 * vi_annotation_upload_result_is_complete:
 * @self: a #ViAnnotationUploadResult
 *
 * Returns: %TRUE if the session's `Complete` condition is `Reached`
 */
gboolean
vi_annotation_upload_result_is_complete (const ViAnnotationUploadResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return vi_annotation_import_session_is_complete (self->session);
}

static void
append_counts (GString *out, const char *title, GHashTable *counts)
{
  g_autofree const char **keys = NULL;
  guint                   n_keys, i;

  if (g_hash_table_size (counts) == 0)
    return;
  keys = _vi_sorted_keys (counts, &n_keys);
  g_string_append_printf (out, "\n  %s:\n", title);
  for (i = 0; i < n_keys; i++)
    g_string_append_printf (out, "    - %s: %" G_GINT64_FORMAT "\n", keys[i],
                            _vi_count_map_get (counts, keys[i]));
}

/**
 * vi_annotation_upload_result_summary:
 * @self: a #ViAnnotationUploadResult
 *
 * Describes the result on several lines for people, modelled on the SDK's
 * `AnnotationUploadResult.summary()`: the state (complete, failed or in
 * progress) with the chain of conditions, the session id, files processed
 * and failed, annotations created, failed and in total, size and
 * duration, every status count, and the session's reason if there is one.
 * The layout may change between versions.
 *
 * Returns: (transfer full): the summary
 */
char *
vi_annotation_upload_result_summary (const ViAnnotationUploadResult *self)
{
  const ViAnnotationImportSession       *session;
  const ViAnnotationImportSessionStatus *status;
  const char                            *state;
  GString                               *out;
  gint64                                 duration_ms;

  g_return_val_if_fail (self != NULL, NULL);

  session = self->session;
  status = session->status;
  if (vi_annotation_import_session_is_failed (session))
    state = "Annotation import failed";
  else if (vi_annotation_import_session_is_complete (session))
    state = "Annotation import complete";
  else
    state = "Annotation import in progress";

  out = g_string_new (NULL);
  g_string_append_printf (out, "%s\n", state);
  g_string_append_printf (out, "  Session: %s\n", session->session_id);
  g_string_append (out, "  Conditions: ");
  append_condition_chain (out, status->conditions);
  g_string_append_c (out, '\n');
  g_string_append_printf (out,
                          "  Files: %" G_GINT64_FORMAT
                          " processed, %" G_GINT64_FORMAT
                          " failed (%" G_GINT64_FORMAT " pages)\n",
                          _vi_count_map_get (status->files.status_count,
                                             "Processed"),
                          _vi_count_map_get (status->files.status_count,
                                             "Failed"),
                          status->files.page_count);
  g_string_append_printf (out,
                          "  Annotations: %" G_GINT64_FORMAT
                          " imported (%" G_GINT64_FORMAT
                          " created, %" G_GINT64_FORMAT " failed)\n",
                          _vi_count_map_sum (status->annotations.status_count),
                          _vi_count_map_get (status->annotations.status_count,
                                             "Created"),
                          _vi_count_map_get (status->annotations.status_count,
                                             "Failed"));
  g_string_append_printf (out,
                          "  Total size: %.2f MB (%" G_GINT64_FORMAT
                          " bytes)\n",
                          status->files.total_size_bytes / (1024.0 * 1024.0),
                          status->files.total_size_bytes);
  duration_ms = session->metadata->last_updated -
      session->metadata->time_created;
  g_string_append_printf (out, "  Duration: %.1fs\n", duration_ms / 1000.0);
  append_counts (out, "File status", status->files.status_count);
  append_counts (out, "Annotation status", status->annotations.status_count);
  if (status->reason != NULL && status->reason[0] != '\0')
    g_string_append_printf (out, "\n  Reason: %s\n", status->reason);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * Exports
 * ------------------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (ViResourceCondition,
                     vi_resource_condition,
                     vi_resource_condition_copy,
                     vi_resource_condition_free)

/**
 * vi_resource_condition_copy:
 * @self: a #ViResourceCondition
 *
 * Returns: (transfer full): a copy of @self
 */
ViResourceCondition *
vi_resource_condition_copy (const ViResourceCondition *self)
{
  ViResourceCondition *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViResourceCondition, 1);
  copy->condition = g_strdup (self->condition);
  copy->status = self->status;
  copy->last_transition_time = self->last_transition_time;
  copy->reason = g_strdup (self->reason);
  copy->message = g_strdup (self->message);
  return copy;
}

/**
 * vi_resource_condition_free:
 * @self: (transfer full) (nullable): a #ViResourceCondition
 *
 * Frees @self.
 */
void
vi_resource_condition_free (ViResourceCondition *self)
{
  if (self == NULL)
    return;
  g_free (self->condition);
  g_free (self->reason);
  g_free (self->message);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViExportedAnnotationsDownloadUrl,
                     vi_exported_annotations_download_url,
                     vi_exported_annotations_download_url_copy,
                     vi_exported_annotations_download_url_free)

/**
 * vi_exported_annotations_download_url_copy:
 * @self: a #ViExportedAnnotationsDownloadUrl
 *
 * Returns: (transfer full): a copy of @self
 */
ViExportedAnnotationsDownloadUrl *
vi_exported_annotations_download_url_copy (
    const ViExportedAnnotationsDownloadUrl *self)
{
  ViExportedAnnotationsDownloadUrl *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ViExportedAnnotationsDownloadUrl, 1);
  copy->url = g_strdup (self->url);
  copy->expires_at = self->expires_at;
  return copy;
}

/**
 * vi_exported_annotations_download_url_free:
 * @self: (transfer full) (nullable): a #ViExportedAnnotationsDownloadUrl
 *
 * Frees @self.
 */
void
vi_exported_annotations_download_url_free (
    ViExportedAnnotationsDownloadUrl *self)
{
  if (self == NULL)
    return;
  g_free (self->url);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (ViExportSpec,
                     vi_export_spec,
                     vi_export_spec_copy,
                     vi_export_spec_free)

/**
 * vi_export_spec_copy:
 * @self: a #ViExportSpec
 *
 * Returns: (transfer full): a copy of @self
 */
ViExportSpec *
vi_export_spec_copy (const ViExportSpec *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * vi_export_spec_free:
 * @self: (transfer full) (nullable): a #ViExportSpec
 *
 * Frees @self.
 */
void
vi_export_spec_free (ViExportSpec *self)
{
  g_free (self);
}

struct _ViExportedAnnotations {
  gatomicrefcount                   ref_count;
  char                             *organization_id;
  char                             *dataset_id;
  char                             *dataset_export_id;
  ViExportSpec                      spec;
  JsonNode                         *spec_json;
  GPtrArray                        *conditions;
  ViExportedAnnotationsDownloadUrl *download_url;
  ViResourceMetadata               *metadata;
  char                             *self_link;
  char                             *etag;
};

G_DEFINE_BOXED_TYPE (ViExportedAnnotations,
                     vi_exported_annotations,
                     vi_exported_annotations_ref,
                     vi_exported_annotations_unref)

static gpointer
resource_condition_copy_func (gconstpointer src, gpointer data)
{
  return vi_resource_condition_copy (src);
}

/* Strings are copied (NULL stored as ""); spec, download_url (nullable)
 * and the conditions (element-type ViResourceCondition, nullable) are
 * copied; spec_json (nullable), the `spec` object as sent, is copied;
 * metadata (nullable) gets a reference. */
ViExportedAnnotations *
_vi_exported_annotations_new (
    const char                             *organization_id,
    const char                             *dataset_id,
    const char                             *dataset_export_id,
    const ViExportSpec                     *spec,
    JsonNode                               *spec_json,
    GPtrArray                              *conditions,
    const ViExportedAnnotationsDownloadUrl *download_url,
    ViResourceMetadata                     *metadata,
    const char                             *self_link,
    const char                             *etag)
{
  ViExportedAnnotations *self = g_new0 (ViExportedAnnotations, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->organization_id = _vi_strdup_or_empty (organization_id);
  self->dataset_id = _vi_strdup_or_empty (dataset_id);
  self->dataset_export_id = _vi_strdup_or_empty (dataset_export_id);
  if (spec != NULL) {
    self->spec = *spec;
  } else {
    self->spec.format = VI_EXPORT_FORMAT_VI_FULL;
    self->spec.normalized = TRUE;
  }
  self->spec_json = spec_json != NULL ? json_node_copy (spec_json) : NULL;
  if (conditions != NULL) {
    self->conditions = g_ptr_array_copy (conditions,
                                         resource_condition_copy_func, NULL);
    g_ptr_array_set_free_func (self->conditions,
                               (GDestroyNotify) vi_resource_condition_free);
  } else {
    self->conditions = g_ptr_array_new_with_free_func (
        (GDestroyNotify) vi_resource_condition_free);
  }
  if (download_url != NULL)
    self->download_url = vi_exported_annotations_download_url_copy (
        download_url);
  self->metadata = metadata != NULL ? vi_resource_metadata_ref (metadata)
                                    : vi_resource_metadata_new (0, 0, 0);
  self->self_link = _vi_strdup_or_empty (self_link);
  self->etag = _vi_strdup_or_empty (etag);
  return self;
}

/**
 * vi_exported_annotations_ref:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViExportedAnnotations *
vi_exported_annotations_ref (ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_exported_annotations_unref:
 * @self: (transfer full): a #ViExportedAnnotations
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_exported_annotations_unref (ViExportedAnnotations *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->organization_id);
  g_free (self->dataset_id);
  g_free (self->dataset_export_id);
  g_clear_pointer (&self->spec_json, json_node_unref);
  g_ptr_array_unref (self->conditions);
  vi_exported_annotations_download_url_free (self->download_url);
  vi_resource_metadata_unref (self->metadata);
  g_free (self->self_link);
  g_free (self->etag);
  g_free (self);
}

/**
 * vi_exported_annotations_get_kind:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the resource kind, `DatasetExport`
 */
const char *
vi_exported_annotations_get_kind (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return "DatasetExport";
}

/**
 * vi_exported_annotations_get_organization_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the organization id (`workspaceId` on the wire)
 */
const char *
vi_exported_annotations_get_organization_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->organization_id;
}

/**
 * vi_exported_annotations_get_dataset_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the dataset id, without the `"{organization}_"` prefix
 */
const char *
vi_exported_annotations_get_dataset_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_id;
}

/**
 * vi_exported_annotations_get_dataset_export_id:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the export id (`datasetExportId`)
 */
const char *
vi_exported_annotations_get_dataset_export_id (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->dataset_export_id;
}

/**
 * vi_exported_annotations_get_spec:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none): the spec, decoded
 */
const ViExportSpec *
vi_exported_annotations_get_spec (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->spec;
}

/**
 * vi_exported_annotations_get_spec_json:
 * @self: a #ViExportedAnnotations
 *
 * Gets the `spec` object as the server sent it (the reference types it as
 * `dict[str, Any]`), with any member this version does not decode.  Do not
 * modify it.
 *
 * Returns: (transfer none) (nullable): the `spec` object, or %NULL for an
 *   export that was not read from JSON
 */
JsonNode *
vi_exported_annotations_get_spec_json (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->spec_json;
}

/**
 * vi_exported_annotations_get_conditions:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none) (element-type ViResourceCondition): the
 *   conditions of `status`, in the server's order; do not modify the array
 */
GPtrArray *
vi_exported_annotations_get_conditions (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->conditions;
}

/**
 * vi_exported_annotations_get_download_url:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none) (nullable): where to download the archive, once
 *   the export is done
 */
const ViExportedAnnotationsDownloadUrl *
vi_exported_annotations_get_download_url (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->download_url;
}

/**
 * vi_exported_annotations_get_metadata:
 * @self: a #ViExportedAnnotations
 *
 * Returns: (transfer none): the metadata
 */
ViResourceMetadata *
vi_exported_annotations_get_metadata (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->metadata;
}

/**
 * vi_exported_annotations_get_self_link:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the `selfLink`
 */
const char *
vi_exported_annotations_get_self_link (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->self_link;
}

/**
 * vi_exported_annotations_get_etag:
 * @self: a #ViExportedAnnotations
 *
 * Returns: the `etag`
 */
const char *
vi_exported_annotations_get_etag (const ViExportedAnnotations *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->etag;
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
