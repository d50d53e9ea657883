/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <vi/vi.h>

#include "gstviannotrepeats.h"

GType
gst_vi_annot_sink_repeated_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VI_ANNOT_SINK_REPEATED_FIRST,
        "The first frame of an asset that has annotations", "first"},
    {GST_VI_ANNOT_SINK_REPEATED_LAST,
        "The last frame of an asset that has annotations", "last"},
    {GST_VI_ANNOT_SINK_REPEATED_ALL, "Every frame, one line each", "all"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstViAnnotSinkRepeated", values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

/* @max_recent: how many written assets "first" remembers. */
void
gst_vi_annot_repeats_init (GstViAnnotRepeats * r, guint max_recent)
{
  r->mode = GST_VI_ANNOT_SINK_REPEATED_FIRST;
  r->max_recent = max_recent;
  r->last_asset = NULL;
  r->changed = FALSE;
  r->recent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&r->recent_order);
  r->held_asset = NULL;
  r->held = NULL;
}

void
gst_vi_annot_repeats_clear (GstViAnnotRepeats * r)
{
  gst_vi_annot_repeats_reset (r, r->mode);
  g_clear_pointer (&r->recent, g_hash_table_unref);
}

/* A new run in @mode: every asset and what was held forgotten. */
void
gst_vi_annot_repeats_reset (GstViAnnotRepeats * r, GstViAnnotSinkRepeated mode)
{
  r->mode = mode;
  g_clear_pointer (&r->last_asset, g_free);
  r->changed = FALSE;
  g_hash_table_remove_all (r->recent);
  g_queue_clear (&r->recent_order);
  g_clear_pointer (&r->held_asset, g_free);
  g_clear_pointer (&r->held, g_ptr_array_unref);
}

/* A frame of @asset_id: FALSE when its records are not needed ("first"
 * and the asset was written); otherwise it is the current frame. */
gboolean
gst_vi_annot_repeats_check (GstViAnnotRepeats * r, const gchar * asset_id)
{
  r->changed = g_strcmp0 (asset_id, r->last_asset) != 0;
  if (r->mode == GST_VI_ANNOT_SINK_REPEATED_FIRST &&
      g_hash_table_contains (r->recent, asset_id))
    return FALSE;
  if (r->changed) {
    g_free (r->last_asset);
    r->last_asset = g_strdup (asset_id);
  }
  return TRUE;
}

/* The records held that the current frame, of @asset_id, ends (NULL:
 * none): a frame of another asset, even one without records of its own
 * (@has_records FALSE).  They stay held until
 * gst_vi_annot_repeats_written(). */
GPtrArray *
gst_vi_annot_repeats_due (GstViAnnotRepeats * r, const gchar * asset_id,
    gboolean has_records)
{
  if (r->held == NULL)
    return NULL;
  if (has_records ? g_strcmp0 (r->held_asset, asset_id) == 0 : !r->changed)
    return NULL;
  return r->held;
}

/* The writer took the records held: they are no longer ours. */
void
gst_vi_annot_repeats_written (GstViAnnotRepeats * r)
{
  r->held = NULL;
  g_clear_pointer (&r->held_asset, g_free);
}

/* "first": @asset_id is written; remembered unless it is already (the
 * oldest of max_recent forgotten). */
static void
remember (GstViAnnotRepeats * r, const gchar * asset_id)
{
  gchar *key;

  if (g_hash_table_contains (r->recent, asset_id))
    return;
  if (g_queue_get_length (&r->recent_order) >= r->max_recent)
    g_hash_table_remove (r->recent, g_queue_pop_head (&r->recent_order));
  key = g_strdup (asset_id);
  g_hash_table_add (r->recent, key);
  g_queue_push_tail (&r->recent_order, key);
}

/* The current frame's records (not empty), of @asset_id: "last" holds
 * them in place of what it held for that asset (TRUE; *@records is
 * replaced by an empty array), the others write them now (FALSE), "first"
 * remembering the asset as written. */
gboolean
gst_vi_annot_repeats_hold (GstViAnnotRepeats * r, const gchar * asset_id,
    GPtrArray ** records)
{
  switch (r->mode) {
    case GST_VI_ANNOT_SINK_REPEATED_LAST:
      g_clear_pointer (&r->held, g_ptr_array_unref);
      r->held = *records;
      *records = g_ptr_array_new_with_free_func ((GDestroyNotify)
          vi_jsonl_record_unref);
      g_free (r->held_asset);
      r->held_asset = g_strdup (asset_id);
      return TRUE;
    case GST_VI_ANNOT_SINK_REPEATED_FIRST:
      remember (r, asset_id);
      return FALSE;
    case GST_VI_ANNOT_SINK_REPEATED_ALL:
    default:
      return FALSE;
  }
}

/* What is held ("last", at EOS or stop), or NULL; held until
 * gst_vi_annot_repeats_written(). */
GPtrArray *
gst_vi_annot_repeats_get_held (GstViAnnotRepeats * r)
{
  return r->held;
}
