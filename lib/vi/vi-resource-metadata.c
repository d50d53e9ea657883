/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include "vi-model-private.h"
#include "vi-maps-private.h"
#include "vi-json-private.h"

/*
 * ViResourceMetadata: times, generation and attributes of a resource of
 * the API (an annotation, an import session, an export).
 */

G_DEFINE_BOXED_TYPE (ViResourceMetadata,
                     vi_resource_metadata,
                     vi_resource_metadata_ref,
                     vi_resource_metadata_unref)

ViResourceMetadata *
_vi_resource_metadata_new_full (gint64      time_created,
                                gint64      last_updated,
                                gint64      generation,
                                GHashTable *attributes)
{
  return _vi_resource_metadata_new_in (NULL, time_created, last_updated,
                                       generation, attributes);
}

/* arena: (nullable): where to put it; its references are then the
 * arena's, and it comes with none. */
ViResourceMetadata *
_vi_resource_metadata_new_in (ViArena    *arena,
                              gint64      time_created,
                              gint64      last_updated,
                              gint64      generation,
                              GHashTable *attributes)
{
  ViResourceMetadata *self;

  if (arena != NULL) {
    self = _vi_arena_alloc (arena, sizeof (ViResourceMetadata));
    _vi_arena_own_attributes (arena, &self->attributes);
  } else {
    self = g_new (ViResourceMetadata, 1);
  }
  g_atomic_ref_count_init (&self->ref_count);
  self->arena = arena;
  self->time_created = time_created;
  self->last_updated = last_updated;
  self->generation = generation;
  self->attributes = attributes;
  return self;
}

/**
 * vi_resource_metadata_new:
 * @time_created: creation time, milliseconds since the Unix epoch
 * @last_updated: time of the last update, milliseconds since the epoch
 * @generation: the resource's generation
 *
 * Creates the metadata of a resource (the reference's `ResourceMetadata`),
 * with no attributes.
 *
 * Returns: (transfer full): a new #ViResourceMetadata
 */
ViResourceMetadata *
vi_resource_metadata_new (gint64 time_created,
                          gint64 last_updated,
                          gint64 generation)
{
  return _vi_resource_metadata_new_full (time_created, last_updated, generation,
                                         NULL);
}

/**
 * vi_resource_metadata_ref:
 * @self: a #ViResourceMetadata
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViResourceMetadata *
vi_resource_metadata_ref (ViResourceMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->arena != NULL)
    _vi_arena_ref (self->arena);
  else
    g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_resource_metadata_unref:
 * @self: (transfer full): a #ViResourceMetadata
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_resource_metadata_unref (ViResourceMetadata *self)
{
  g_return_if_fail (self != NULL);

  if (self->arena != NULL) {
    _vi_arena_unref (self->arena);
    return;
  }
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->attributes, g_hash_table_unref);
  g_free (self);
}

/**
 * vi_resource_metadata_get_time_created:
 * @self: a #ViResourceMetadata
 *
 * Returns: the creation time, milliseconds since the Unix epoch
 */
gint64
vi_resource_metadata_get_time_created (const ViResourceMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->time_created;
}

/**
 * vi_resource_metadata_get_last_updated:
 * @self: a #ViResourceMetadata
 *
 * Returns: the time of the last update, milliseconds since the Unix epoch
 */
gint64
vi_resource_metadata_get_last_updated (const ViResourceMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->last_updated;
}

/**
 * vi_resource_metadata_get_generation:
 * @self: a #ViResourceMetadata
 *
 * Returns: the generation of the resource
 */
gint64
vi_resource_metadata_get_generation (const ViResourceMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->generation;
}

/**
 * vi_resource_metadata_get_attributes:
 * @self: a #ViResourceMetadata
 *
 * Returns: (transfer none) (element-type utf8 utf8): the attributes, never
 *   %NULL; change them with vi_resource_metadata_set_attribute()
 */
GHashTable *
vi_resource_metadata_get_attributes (const ViResourceMetadata *self)
{
  ViResourceMetadata *mutable_self = (ViResourceMetadata *) self;
  GHashTable         *attributes;

  g_return_val_if_fail (self != NULL, NULL);

  /* Created on first use; readers on several threads may race here, and
   * the loser drops its table. */
  attributes = g_atomic_pointer_get (&mutable_self->attributes);
  if (attributes == NULL) {
    GHashTable *fresh = _vi_string_map_new ();

    if (g_atomic_pointer_compare_and_exchange (&mutable_self->attributes, NULL,
                                               fresh)) {
      attributes = fresh;
    } else {
      g_hash_table_unref (fresh);
      attributes = g_atomic_pointer_get (&mutable_self->attributes);
    }
  }
  return attributes;
}

/**
 * vi_resource_metadata_set_attribute:
 * @self: a #ViResourceMetadata
 * @key: the attribute
 * @value: (nullable): its value, or %NULL to remove it
 *
 * Sets or removes one attribute.  Metadata shared with other threads must
 * not be changed.
 */
void
vi_resource_metadata_set_attribute (ViResourceMetadata *self,
                                    const char         *key,
                                    const char         *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);

  if (value == NULL) {
    if (self->attributes != NULL)
      g_hash_table_remove (self->attributes, key);
  } else {
    g_hash_table_insert (vi_resource_metadata_get_attributes (self),
                         g_strdup (key), g_strdup (value));
  }
}

/* The `metadata` member of parent (required). */
ViResourceMetadata *
_vi_resource_metadata_from_json (JsonObject       *parent,
                                 const ViJsonPath *parent_path,
                                 GError          **error)
{
  ViJsonPath  path = VI_JSON_PATH_MEMBER (parent_path, "metadata");
  JsonObject *object;
  GHashTable *attributes;
  gint64      time_created, last_updated, generation;

  if (!vi_json_get_object (parent, parent_path, "metadata", TRUE, &object,
                           error) ||
      !vi_json_get_int (object, &path, "timeCreated", TRUE, &time_created,
                        error) ||
      !vi_json_get_int (object, &path, "lastUpdated", TRUE, &last_updated,
                        error) ||
      !vi_json_get_int (object, &path, "generation", TRUE, &generation,
                        error) ||
      !vi_json_get_string_map (object, &path, "attributes", TRUE, &attributes,
                               error))
    return NULL;

  return _vi_resource_metadata_new_full (time_created, last_updated, generation,
                                         attributes);
}

void
_vi_resource_metadata_to_json (JsonObject               *parent,
                               const ViResourceMetadata *metadata)
{
  JsonObject *object = vi_json_add_object (parent, "metadata");

  json_object_set_int_member (object, "timeCreated",
                              vi_resource_metadata_get_time_created (metadata));
  json_object_set_int_member (object, "lastUpdated",
                              vi_resource_metadata_get_last_updated (metadata));
  json_object_set_int_member (object, "generation",
                              vi_resource_metadata_get_generation (metadata));
  vi_json_add_string_map (object, "attributes",
                          vi_resource_metadata_get_attributes (metadata));
}
