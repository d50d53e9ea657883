/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_RESOURCE_METADATA_H__
#define __VI_RESOURCE_METADATA_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib-object.h>
#include <vi/vi-version.h>

G_BEGIN_DECLS

/**
 * ViResourceMetadata:
 *
 * The reference's `ResourceMetadata`: when a resource was created and
 * last updated (milliseconds since the epoch), its generation, and free
 * string attributes.
 */
typedef struct _ViResourceMetadata ViResourceMetadata;
#define VI_TYPE_RESOURCE_METADATA (vi_resource_metadata_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_resource_metadata_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViResourceMetadata *vi_resource_metadata_new (gint64 time_created,
                                              gint64 last_updated,
                                              gint64 generation);
VI_AVAILABLE_IN_ALL
ViResourceMetadata *vi_resource_metadata_ref (ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
void vi_resource_metadata_unref (ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
gint64 vi_resource_metadata_get_time_created (const ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
gint64 vi_resource_metadata_get_last_updated (const ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
gint64 vi_resource_metadata_get_generation (const ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
GHashTable *vi_resource_metadata_get_attributes (const ViResourceMetadata *self);
VI_AVAILABLE_IN_ALL
void vi_resource_metadata_set_attribute (ViResourceMetadata *self,
                                         const char         *key,
                                         const char         *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViResourceMetadata, vi_resource_metadata_unref)

G_END_DECLS

#endif /* __VI_RESOURCE_METADATA_H__ */
