/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * ViAnnotationContent: the contents of one part of an annotation, the
 * reference's AnnotationContent union (a caption, a phrase-grounding box,
 * a VQA pair, or a kind this version does not know, kept as raw JSON).
 */
#include "config.h"

#include <string.h>

#include "vi-model-private.h"

/* One allocation: the struct, then the doubles of `bound`, then the
 * strings.  A page holds thousands of these. */
struct _ViAnnotationContent {
  gatomicrefcount ref_count;
  ViContentKind   kind;
  ViArena        *arena;     /* owner of the memory and references */
  const char     *kind_name; /* static, or inline for unknown kinds */
  const char     *text;      /* caption, or VQA question; inline */
  const char     *answer;    /* VQA; inline */
  const double   *bound;     /* 2 * n_points doubles; inline */
  gsize           n_points;
  int             target[2];
  JsonNode       *raw;    /* unknown kinds, and contents partly read */
  const char     *unread; /* static: what of the contents was not read */
};

#define CONTENT_HEADER_SIZE ((sizeof (ViAnnotationContent) + 7) & ~(gsize) 7)

G_DEFINE_BOXED_TYPE (ViAnnotationContent,
                     vi_annotation_content,
                     vi_annotation_content_ref,
                     vi_annotation_content_unref)

static ViAnnotationContent *
content_alloc (ViArena      *arena,
               ViContentKind kind,
               gsize         n_doubles,
               gsize         string_bytes,
               char        **strings)
{
  ViAnnotationContent *self;
  gsize                size;

  g_return_val_if_fail (n_doubles <=
                            (G_MAXSIZE - CONTENT_HEADER_SIZE - string_bytes) /
                                sizeof (double),
                        NULL);

  size = CONTENT_HEADER_SIZE + n_doubles * sizeof (double) + string_bytes;
  self = arena != NULL ? _vi_arena_alloc (arena, size) : g_malloc (size);
  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  self->arena = arena;
  self->kind_name = vi_content_kind_to_string (kind);
  self->text = NULL;
  self->answer = NULL;
  self->bound = NULL;
  self->n_points = 0;
  self->target[0] = self->target[1] = 0;
  self->raw = NULL;
  self->unread = NULL;
  *strings = (char *) self + CONTENT_HEADER_SIZE + n_doubles * sizeof (double);
  return self;
}

ViAnnotationContent *
_vi_annotation_content_new_caption_len (ViArena    *arena,
                                        const char *text,
                                        gsize       len)
{
  ViAnnotationContent *self;
  char                *strings;

  if (text == NULL)
    len = 0;
  self = content_alloc (arena, VI_CONTENT_KIND_CAPTION, 0, len + 1, &strings);
  self->text = _vi_pack_string (&strings, text, len);
  return self;
}

ViAnnotationContent *
_vi_annotation_content_new_vqa_len (ViArena    *arena,
                                    const char *question,
                                    gsize       question_len,
                                    const char *answer,
                                    gsize       answer_len)
{
  ViAnnotationContent *self;
  char                *strings;

  self = content_alloc (arena, VI_CONTENT_KIND_VQA, 0,
                        question_len + 1 + answer_len + 1, &strings);
  self->text = _vi_pack_string (&strings, question, question_len);
  self->answer = _vi_pack_string (&strings, answer, answer_len);
  return self;
}

/**
 * vi_annotation_content_new_caption:
 * @text: (nullable): the caption; %NULL is the empty caption
 *
 * Creates the contents of a caption part (the reference's `Caption`).
 *
 * Returns: (transfer full): a new #ViAnnotationContent
 */
ViAnnotationContent *
vi_annotation_content_new_caption (const char *text)
{
  return _vi_annotation_content_new_caption_len (NULL, text,
                                                 text != NULL ? strlen (text)
                                                              : 0);
}

/**
 * vi_annotation_content_new_phrase_grounding_bounding_box: (skip)
 * @points: the points of `bound`, `x, y` pairs flattened, so
 *   `2 * n_points` doubles
 * @n_points: the number of points, at least 1 (4 for a box)
 * @start: the phrase's first character in the caption
 * @end: one past its last character
 *
 * Creates the contents of a box part (the reference's
 * `PhraseGroundingBoundingBox`): `bound` is the list of points and
 * `target` is `[start, end]`.
 *
 * Not introspectable (the array holds twice @n_points values): bindings
 * use vi_annotation_content_new_from_bbox().
 *
 * Returns: (transfer full): a new #ViAnnotationContent
 */
ViAnnotationContent *
vi_annotation_content_new_phrase_grounding_bounding_box (const double *points,
                                                         gsize         n_points,
                                                         int           start,
                                                         int           end)
{
  g_return_val_if_fail (points != NULL, NULL);
  g_return_val_if_fail (n_points > 0 &&
                            n_points <= G_MAXSIZE / (4 * sizeof (double)),
                        NULL);

  return _vi_annotation_content_new_box_in (NULL, points, n_points, start, end);
}

/* vi_annotation_content_new_phrase_grounding_bounding_box(), in arena
 * (nullable). */
ViAnnotationContent *
_vi_annotation_content_new_box_in (ViArena      *arena,
                                   const double *points,
                                   gsize         n_points,
                                   int           start,
                                   int           end)
{
  ViAnnotationContent *self;
  double              *bound;
  char                *strings;

  self = content_alloc (arena, VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX,
                        2 * n_points, 0, &strings);
  bound = (double *) ((char *) self + CONTENT_HEADER_SIZE);
  memcpy (bound, points, 2 * n_points * sizeof (double));
  self->bound = bound;
  self->n_points = n_points;
  self->target[0] = start;
  self->target[1] = end;
  return self;
}

/* Keeps raw (a reference if immutable, else a copy) on self, owned by
 * arena if there is one. */
static void
content_keep_raw (ViAnnotationContent *self, ViArena *arena, JsonNode *raw)
{
  self->raw = json_node_is_immutable (raw) ? json_node_ref (raw)
                                           : json_node_copy (raw);
  if (arena != NULL)
    _vi_arena_own_node (arena, self->raw);
}

/* A box part whose `bound` is there but not a list of [x, y] points (a
 * shape this version does not read, such as one list of four numbers):
 * the part is kept, with its target, no points, and the contents object
 * as sent (raw), instead of failing the page.  arena is nullable. */
ViAnnotationContent *
_vi_annotation_content_new_box_unread_in (ViArena  *arena,
                                          JsonNode *raw,
                                          int       start,
                                          int       end)
{
  ViAnnotationContent *self;
  char                *strings;

  g_return_val_if_fail (raw != NULL, NULL);

  self = content_alloc (arena, VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX, 0,
                        0, &strings);
  self->target[0] = start;
  self->target[1] = end;
  self->unread = VI_CONTENT_UNREAD_BOUND;
  content_keep_raw (self, arena, raw);
  return self;
}

/**
 * vi_annotation_content_new_from_bbox:
 * @bbox: a normalized box
 * @start: the phrase's first character in the caption
 * @end: one past its last character
 *
 * Creates the contents of a box part whose `bound` is the four corners of
 * @bbox, `[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]` (docs/decisions.md,
 * "Lines become parts").
 *
 * Returns: (transfer full): a new #ViAnnotationContent
 */
ViAnnotationContent *
vi_annotation_content_new_from_bbox (const ViBBox *bbox, int start, int end)
{
  double bound[8];

  g_return_val_if_fail (bbox != NULL, NULL);

  vi_bbox_to_bound (bbox, bound);
  return vi_annotation_content_new_phrase_grounding_bounding_box (bound, 4,
                                                                  start, end);
}

/**
 * vi_annotation_content_new_vqa:
 * @question: the question
 * @answer: the answer
 *
 * Creates the contents of a question/answer part (`Vqa`, docs/decisions.md,
 * "Lines become parts").
 *
 * Returns: (transfer full): a new #ViAnnotationContent
 */
ViAnnotationContent *
vi_annotation_content_new_vqa (const char *question, const char *answer)
{
  g_return_val_if_fail (question != NULL, NULL);
  g_return_val_if_fail (answer != NULL, NULL);

  return _vi_annotation_content_new_vqa_len (NULL, question, strlen (question),
                                             answer, strlen (answer));
}

/* Contents of a kind this version does not know: kind_name as sent, and
 * the whole contents object (its `kind` included); raw gets a reference
 * when it is immutable, a copy otherwise. */
ViAnnotationContent *
_vi_annotation_content_new_unknown (const char *kind_name, JsonNode *raw)
{
  return _vi_annotation_content_new_unknown_in (NULL, kind_name, raw);
}

/* The same in arena (nullable), which then keeps the node. */
ViAnnotationContent *
_vi_annotation_content_new_unknown_in (ViArena    *arena,
                                       const char *kind_name,
                                       JsonNode   *raw)
{
  ViAnnotationContent *self;
  gsize                len;
  char                *strings;

  g_return_val_if_fail (kind_name != NULL, NULL);

  len = strlen (kind_name);
  self = content_alloc (arena, VI_CONTENT_KIND_UNKNOWN, 0, len + 1, &strings);
  self->kind_name = _vi_pack_string (&strings, kind_name, len);
  if (raw != NULL)
    content_keep_raw (self, arena, raw);
  return self;
}

/**
 * vi_annotation_content_ref:
 * @self: a #ViAnnotationContent
 *
 * Returns: (transfer full): @self, with one more reference
 */
ViAnnotationContent *
vi_annotation_content_ref (ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->arena != NULL)
    _vi_arena_ref (self->arena);
  else
    g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vi_annotation_content_unref:
 * @self: (transfer full): a #ViAnnotationContent
 *
 * Drops a reference, freeing @self when it was the last one.
 */
void
vi_annotation_content_unref (ViAnnotationContent *self)
{
  g_return_if_fail (self != NULL);

  if (self->arena != NULL) {
    _vi_arena_unref (self->arena);
    return;
  }
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->raw, json_node_unref);
  g_free (self);
}

/**
 * vi_annotation_content_get_kind:
 * @self: a #ViAnnotationContent
 *
 * Returns: which kind of contents @self holds
 */
ViContentKind
vi_annotation_content_get_kind (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, VI_CONTENT_KIND_UNKNOWN);

  return self->kind;
}

/**
 * vi_annotation_content_get_kind_name:
 * @self: a #ViAnnotationContent
 *
 * Returns: the wire `kind` of @self; for %VI_CONTENT_KIND_UNKNOWN, the
 *   string the server sent
 */
const char *
vi_annotation_content_get_kind_name (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->kind_name;
}

/**
 * vi_annotation_content_get_caption:
 * @self: a #ViAnnotationContent
 *
 * Returns: (nullable): the caption text (possibly empty) of a
 *   %VI_CONTENT_KIND_CAPTION, %NULL for other kinds
 */
const char *
vi_annotation_content_get_caption (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->kind == VI_CONTENT_KIND_CAPTION ? self->text : NULL;
}

/**
 * vi_annotation_content_get_bound: (skip)
 * @self: a #ViAnnotationContent
 * @n_points: (out) (optional): the number of points
 *
 * Gets the `bound` of a %VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
 * `x, y` pairs flattened, so `2 * n_points` doubles.  Not introspectable
 * for the same reason; bindings use vi_annotation_content_get_bbox().
 *
 * A `bound` of another shape (see vi_annotation_content_get_unread()) has
 * no points here: it is in vi_annotation_content_get_raw_json().
 *
 * Returns: (transfer none) (nullable): the points, or %NULL (and 0 points)
 *   for other kinds and for a `bound` that could not be read
 */
const double *
vi_annotation_content_get_bound (const ViAnnotationContent *self,
                                 gsize                     *n_points)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->kind != VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX) {
    if (n_points != NULL)
      *n_points = 0;
    return NULL;
  }
  if (n_points != NULL)
    *n_points = self->n_points;
  return self->bound;
}

/**
 * vi_annotation_content_get_bbox:
 * @self: a #ViAnnotationContent
 * @bbox: (out caller-allocates): the box around the points of `bound`
 *
 * Gets the smallest box holding every point of the `bound` of a
 * %VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX (vi_bbox_from_bound()).
 *
 * Returns: %TRUE if @bbox was set; %FALSE for other kinds, and when
 *   `bound` could not be read (vi_annotation_content_get_unread())
 */
gboolean
vi_annotation_content_get_bbox (const ViAnnotationContent *self, ViBBox *bbox)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (bbox != NULL, FALSE);

  if (self->kind != VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX)
    return FALSE;
  return vi_bbox_from_bound (self->bound, self->n_points, bbox);
}

/**
 * vi_annotation_content_get_target:
 * @self: a #ViAnnotationContent
 * @start: (out) (optional): the phrase's first character
 * @end: (out) (optional): one past its last character
 *
 * Gets the `target` of a %VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX,
 * the span of the phrase in the caption.
 *
 * Returns: %TRUE if @self has a target; %FALSE for other kinds
 */
gboolean
vi_annotation_content_get_target (const ViAnnotationContent *self,
                                  int                       *start,
                                  int                       *end)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->kind != VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX)
    return FALSE;
  if (start != NULL)
    *start = self->target[0];
  if (end != NULL)
    *end = self->target[1];
  return TRUE;
}

/**
 * vi_annotation_content_get_question:
 * @self: a #ViAnnotationContent
 *
 * Returns: (nullable): the question of a %VI_CONTENT_KIND_VQA, %NULL for
 *   other kinds
 */
const char *
vi_annotation_content_get_question (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->kind == VI_CONTENT_KIND_VQA ? self->text : NULL;
}

/**
 * vi_annotation_content_get_answer:
 * @self: a #ViAnnotationContent
 *
 * Returns: (nullable): the answer of a %VI_CONTENT_KIND_VQA, %NULL for
 *   other kinds
 */
const char *
vi_annotation_content_get_answer (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->kind == VI_CONTENT_KIND_VQA ? self->answer : NULL;
}

/**
 * vi_annotation_content_get_raw_json:
 * @self: a #ViAnnotationContent
 *
 * Gets the contents object as the server sent it, for a kind this version
 * does not know, or for contents of a known kind that could not all be
 * read (vi_annotation_content_get_unread()).  Do not modify it.
 *
 * Returns: (transfer none) (nullable): the `contents` object of a
 *   %VI_CONTENT_KIND_UNKNOWN or of partly read contents, %NULL otherwise
 */
JsonNode *
vi_annotation_content_get_raw_json (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->raw;
}

/**
 * vi_annotation_content_get_unread:
 * @self: a #ViAnnotationContent
 *
 * Says what of the contents this version could not read, the part being
 * kept rather than failing its page (as the SDK does where it is
 * lenient).  Today the one case is a box part whose `bound` is not a
 * list of `[x, y]` points (one list of four numbers, say): its target is
 * read, it has no points (vi_annotation_content_get_bound() gives none,
 * vi_annotation_content_get_bbox() %FALSE) and the contents as sent are
 * in vi_annotation_content_get_raw_json().  A `bound` that is missing or
 * null still fails the page, as a missing required field does.
 *
 * Returns: (nullable): a short description such as "bound: not a list of
 *   [x, y] points", or %NULL when everything was read
 */
const char *
vi_annotation_content_get_unread (const ViAnnotationContent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->unread;
}

static void
append_double (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%g", value));
}

/* The contents as vi_annotation_to_string() shows them. */
void
_vi_annotation_content_describe (const ViAnnotationContent *contents,
                                 GString                   *out)
{
  ViBBox bbox;
  gsize  i;

  g_string_append_printf (out, "  %-14s%s", "Contents:", contents->kind_name);
  switch (contents->kind) {
    case VI_CONTENT_KIND_CAPTION:
      g_string_append_printf (out, "\n    %-12s%s\n",
                              "Caption:", contents->text);
      break;
    case VI_CONTENT_KIND_PHRASE_GROUNDING_BOUNDING_BOX:
      if (contents->unread != NULL) {
        g_autofree char *raw = json_to_string (contents->raw, FALSE);

        g_string_append_printf (out, "\n    %-12s(%s)\n    %-12s%s\n",
                                "Bound:", contents->unread, "JSON:", raw);
        g_string_append_printf (out, "    %-12s[%d, %d]\n",
                                "Target:", contents->target[0],
                                contents->target[1]);
        break;
      }
      g_string_append_printf (out, "\n    %-12s[", "Bound:");
      for (i = 0; i < contents->n_points; i++) {
        if (i > 0)
          g_string_append (out, ", ");
        g_string_append_c (out, '[');
        append_double (out, contents->bound[2 * i]);
        g_string_append (out, ", ");
        append_double (out, contents->bound[2 * i + 1]);
        g_string_append_c (out, ']');
      }
      g_string_append (out, "]\n");
      if (vi_bbox_from_bound (contents->bound, contents->n_points, &bbox)) {
        g_string_append_printf (out, "    %-12s[", "Box:");
        append_double (out, bbox.x_min);
        g_string_append (out, ", ");
        append_double (out, bbox.y_min);
        g_string_append (out, ", ");
        append_double (out, bbox.x_max);
        g_string_append (out, ", ");
        append_double (out, bbox.y_max);
        g_string_append (out, "]\n");
      }
      g_string_append_printf (out, "    %-12s[%d, %d]\n",
                              "Target:", contents->target[0],
                              contents->target[1]);
      break;
    case VI_CONTENT_KIND_VQA:
      g_string_append_printf (out, "\n    %-12s%s\n    %-12s%s\n",
                              "Question:", contents->text,
                              "Answer:", contents->answer);
      break;
    case VI_CONTENT_KIND_UNKNOWN:
    default:
      g_string_append (out, " (unknown to this version)\n");
      if (contents->raw != NULL) {
        g_autofree char *raw = json_to_string (contents->raw, FALSE);

        g_string_append_printf (out, "    %-12s%s\n", "JSON:", raw);
      }
      break;
  }
}
