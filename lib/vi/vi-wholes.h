/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_WHOLES_H__
#define __VI_WHOLES_H__

#if !defined(__VI_INSIDE__) && !defined(VI_COMPILATION)
#error "Only <vi/vi.h> can be included directly."
#endif

#include <glib-object.h>
#include <vi/vi-version.h>
#include <vi/vi-enums.h>

G_BEGIN_DECLS

typedef struct _ViWholes ViWholes;
#define VI_TYPE_WHOLES (vi_wholes_get_type ())
VI_AVAILABLE_IN_ALL
GType vi_wholes_get_type (void) G_GNUC_CONST;
VI_AVAILABLE_IN_ALL
ViWholes *vi_wholes_new (void);
VI_AVAILABLE_IN_ALL
ViWholes *vi_wholes_new_from_annotations (GPtrArray  *annotations,
                                          const char *asset_id);
VI_AVAILABLE_IN_ALL
ViWholes *vi_wholes_ref (ViWholes *self);
VI_AVAILABLE_IN_ALL
void vi_wholes_unref (ViWholes *self);
VI_AVAILABLE_IN_ALL
gboolean vi_wholes_add_part (ViWholes     *self,
                             guint         part,
                             const char   *whole_id,
                             ViContentKind kind);
VI_AVAILABLE_IN_ALL
guint vi_wholes_get_n_wholes (const ViWholes *self);
VI_AVAILABLE_IN_ALL
const char *vi_wholes_get_whole_id (const ViWholes *self, guint whole);
VI_AVAILABLE_IN_ALL
gboolean vi_wholes_get_caption (const ViWholes *self, guint whole, guint *part);
VI_AVAILABLE_IN_ALL
const guint *vi_wholes_get_boxes (const ViWholes *self,
                                  guint           whole,
                                  guint          *n_parts);
VI_AVAILABLE_IN_ALL
const guint *vi_wholes_get_vqa (const ViWholes *self,
                                guint           whole,
                                guint          *n_parts);
VI_AVAILABLE_IN_ALL
const guint *vi_wholes_get_dropped (const ViWholes *self, guint *n_parts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViWholes, vi_wholes_unref)

G_END_DECLS

#endif /* __VI_WHOLES_H__ */
