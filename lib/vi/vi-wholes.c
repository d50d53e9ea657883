/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViWholes: annotation parts grouped into the wholes they are parts of
 * (`spec.aggregation.whole.id`), the one place this grouping is done for
 * the plugin's annotation sets and the local server's exports.
 */
#include "config.h"

#include "vi-wholes.h"
#include "vi-annotation.h"

/**
 * ViWholes:
 *
 * Annotation parts grouped into wholes.
 *
 * The API lists the parts of an annotation one by one: a `Caption` part,
 * a `PhraseGroundingBoundingBox` part per grounded phrase and a `Vqa`
 * part per question, which share the id of their whole
 * (`spec.aggregation.whole.id`), in no particular order.  A #ViWholes
 * puts them back together: wholes in the order their first part was
 * added, and in each whole its caption part, its box parts and its VQA
 * parts, each kind in the order added.
 *
 * The parts are the caller's: a #ViWholes knows them by a number the
 * caller gives (typically an index into the caller's own array) and
 * hands those numbers back, so it groups #ViAnnotations
 * (vi_wholes_new_from_annotations()) as well as any other record of a
 * part (vi_wholes_new() and vi_wholes_add_part()).
 *
 * A part without a whole id (%NULL or empty) is a whole by itself.  A
 * whole has at most one caption: a second caption part is not taken, and
 * neither is a part of a kind that is none of the three; both are listed
 * by vi_wholes_get_dropped(), so that the caller can say so.
 */

typedef struct {
  char   *id;      /* NULL for a part without a whole id */
  guint   caption; /* G_MAXUINT when none */
  GArray *boxes;   /* guint, or NULL */
  GArray *vqa;     /* guint, or NULL */
} Whole;

struct _ViWholes {
  gatomicrefcount ref_count;
  GArray         *wholes;  /* Whole */
  GHashTable     *by_id;   /* whole id (owned by its Whole) -> index + 1 */
  GArray         *dropped; /* guint */
};

G_DEFINE_BOXED_TYPE (ViWholes, vi_wholes, vi_wholes_ref, vi_wholes_unref)

static void
whole_clear (gpointer data)
{
  Whole *w = data;

  g_free (w->id);
  if (w->boxes != NULL)
    g_array_unref (w->boxes);
  if (w->vqa != NULL)
    g_array_unref (w->vqa);
}

/**
 * vi_wholes_new:
 *
 * Creates an empty grouping, to which parts are added with
 * vi_wholes_add_part().
 *
 * Returns: (transfer full): a new #ViWholes
 */
ViWholes *
vi_wholes_new (void)
{
  ViWholes *self = g_new0 (ViWholes, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->wholes = g_array_new (FALSE, FALSE, sizeof (Whole));
  g_array_set_clear_func (self->wholes, whole_clear);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->dropped = g_array_new (FALSE, FALSE, sizeof (guint));
  return self;
}

/**
 * vi_wholes_new_from_annotations:
 * @annotations: (element-type Vi.Annotation): annotation parts, as listed
 *   by the API
 * @asset_id: (nullable): when set, parts of another asset are left out
 *
 * Groups the parts of @annotations.  A part is known by its index in
 * @annotations.  Parts of another asset than @asset_id (those without an
 * asset id are taken) and parts without contents are left out, not
 * dropped; parts of an unknown kind are dropped.
 *
 * Returns: (transfer full): a new #ViWholes
 */
ViWholes *
vi_wholes_new_from_annotations (GPtrArray *annotations, const char *asset_id)
{
  ViWholes *self;
  guint     i;

  g_return_val_if_fail (annotations != NULL, NULL);

  self = vi_wholes_new ();
  for (i = 0; i < annotations->len; i++) {
    const ViAnnotation  *a = g_ptr_array_index (annotations, i);
    ViAnnotationSpec    *spec = vi_annotation_get_spec (a);
    const char          *a_asset = vi_annotation_get_asset_id (a);
    ViAnnotationContent *content;

    if (spec == NULL)
      continue;
    if (asset_id != NULL && a_asset != NULL && !g_str_equal (asset_id, a_asset))
      continue;
    content = vi_annotation_spec_get_contents (spec);
    if (content == NULL)
      continue;
    vi_wholes_add_part (self, i, vi_annotation_spec_get_whole_id (spec),
                        vi_annotation_content_get_kind (content));
  }
  return self;
}

/**
 * vi_wholes_ref:
 * @self: a #ViWholes
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViWholes *
vi_wholes_ref (ViWholes *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_wholes_unref:
 * @self: (transfer full): a #ViWholes
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_wholes_unref (ViWholes *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_hash_table_unref (self->by_id);
  g_array_unref (self->wholes);
  g_array_unref (self->dropped);
  g_free (self);
}

static Whole *
whole_for_id (ViWholes *self, const char *whole_id)
{
  Whole    whole = { NULL, G_MAXUINT, NULL, NULL };
  gpointer index;

  if (whole_id != NULL && *whole_id != '\0') {
    index = g_hash_table_lookup (self->by_id, whole_id);
    if (index != NULL)
      return &g_array_index (self->wholes, Whole, GPOINTER_TO_UINT (index) - 1);
    whole.id = g_strdup (whole_id);
    g_hash_table_insert (self->by_id, whole.id,
                         GUINT_TO_POINTER (self->wholes->len + 1));
  }
  g_array_append_val (self->wholes, whole);
  return &g_array_index (self->wholes, Whole, self->wholes->len - 1);
}

static void
append_part (GArray **parts, guint part)
{
  if (*parts == NULL)
    *parts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (*parts, part);
}

/**
 * vi_wholes_add_part:
 * @self: a #ViWholes
 * @part: the caller's number for the part, handed back by the getters
 * @whole_id: (nullable): the id of the whole the part belongs to; %NULL
 *   or empty for a part that is a whole by itself
 * @kind: the kind of the part's contents
 *
 * Adds a part to its whole, which is created (after the others) with its
 * first part.  A second caption of a whole and a part of a kind other
 * than %VI_CONTENT_KIND_CAPTION,
 * %VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX and %VI_CONTENT_KIND_VQA
 * are not taken: they go to vi_wholes_get_dropped().
 *
 * Returns: %TRUE if the part was taken, %FALSE if it was dropped
 */
gboolean
vi_wholes_add_part (ViWholes     *self,
                    guint         part,
                    const char   *whole_id,
                    ViContentKind kind)
{
  Whole *whole;

  g_return_val_if_fail (self != NULL, FALSE);

  if (kind != VI_CONTENT_KIND_CAPTION &&
      kind != VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX &&
      kind != VI_CONTENT_KIND_VQA) {
    g_array_append_val (self->dropped, part);
    return FALSE;
  }

  whole = whole_for_id (self, whole_id);
  switch (kind) {
    case VI_CONTENT_KIND_CAPTION:
      if (whole->caption != G_MAXUINT) {
        g_array_append_val (self->dropped, part);
        return FALSE;
      }
      whole->caption = part;
      break;
    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
      append_part (&whole->boxes, part);
      break;
    case VI_CONTENT_KIND_VQA:
    default:
      append_part (&whole->vqa, part);
      break;
  }
  return TRUE;
}

/**
 * vi_wholes_get_n_wholes:
 * @self: a #ViWholes
 *
 * Returns: the number of wholes
 */
guint
vi_wholes_get_n_wholes (const ViWholes *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->wholes->len;
}

static const Whole *
get_whole (const ViWholes *self, guint whole)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (whole < self->wholes->len, NULL);

  return &g_array_index (self->wholes, Whole, whole);
}

/**
 * vi_wholes_get_whole_id:
 * @self: a #ViWholes
 * @whole: which whole, below vi_wholes_get_n_wholes(), in the order of
 *   their first parts
 *
 * Returns: (nullable): the id of the whole, or %NULL for a part that was
 *   added without one
 */
const char *
vi_wholes_get_whole_id (const ViWholes *self, guint whole)
{
  const Whole *w = get_whole (self, whole);

  return w != NULL ? w->id : NULL;
}

/**
 * vi_wholes_get_caption:
 * @self: a #ViWholes
 * @whole: which whole, below vi_wholes_get_n_wholes()
 * @part: (out) (optional): the caption part, as given to
 *   vi_wholes_add_part()
 *
 * Returns: %TRUE if the whole has a caption part
 */
gboolean
vi_wholes_get_caption (const ViWholes *self, guint whole, guint *part)
{
  const Whole *w = get_whole (self, whole);

  if (w == NULL || w->caption == G_MAXUINT)
    return FALSE;
  if (part != NULL)
    *part = w->caption;
  return TRUE;
}

static const guint *
parts_of (const GArray *parts, guint *n_parts)
{
  if (n_parts != NULL)
    *n_parts = parts != NULL ? parts->len : 0;
  return parts != NULL ? (const guint *) parts->data : NULL;
}

/**
 * vi_wholes_get_boxes:
 * @self: a #ViWholes
 * @whole: which whole, below vi_wholes_get_n_wholes()
 * @n_parts: (out): the number of box parts
 *
 * Returns: (array length=n_parts) (transfer none) (nullable): the
 *   `PhraseGroundingBoundingBox` parts of the whole, in the order they
 *   were added, or %NULL when it has none
 */
const guint *
vi_wholes_get_boxes (const ViWholes *self, guint whole, guint *n_parts)
{
  const Whole *w = get_whole (self, whole);

  return parts_of (w != NULL ? w->boxes : NULL, n_parts);
}

/**
 * vi_wholes_get_vqa:
 * @self: a #ViWholes
 * @whole: which whole, below vi_wholes_get_n_wholes()
 * @n_parts: (out): the number of VQA parts
 *
 * Returns: (array length=n_parts) (transfer none) (nullable): the `Vqa`
 *   parts of the whole, in the order they were added, or %NULL when it
 *   has none
 */
const guint *
vi_wholes_get_vqa (const ViWholes *self, guint whole, guint *n_parts)
{
  const Whole *w = get_whole (self, whole);

  return parts_of (w != NULL ? w->vqa : NULL, n_parts);
}

/**
 * vi_wholes_get_dropped:
 * @self: a #ViWholes
 * @n_parts: (out): the number of parts dropped
 *
 * The parts vi_wholes_add_part() did not take: second (and later)
 * captions of a whole, and parts of a kind it does not group.
 *
 * Returns: (array length=n_parts) (transfer none) (nullable): the parts,
 *   in the order they were added, or %NULL when none was dropped
 */
const guint *
vi_wholes_get_dropped (const ViWholes *self, guint *n_parts)
{
  g_return_val_if_fail (self != NULL, NULL);

  return parts_of (self->dropped->len > 0 ? self->dropped : NULL, n_parts);
}
