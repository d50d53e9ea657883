/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>
#include <gio/gio.h>

#include "gstviannoterrors.h"
#include "gstviannotlocal.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

/* Reasons quoted in the warning about invalid lines. */
#define MAX_QUOTED_REASONS 3
/* Invalid lines longer than this are not searched for their asset. */
#define MAX_SCANNED_LINE (64 * 1024)

/* One asset of the file. */
typedef struct
{
  GstViAnnotSet *set;
  guint count;
} LocalAsset;

/* An asset named on invalid lines. */
typedef struct
{
  guint n_lines;
  GError *first;
} BadAsset;

typedef struct
{
  GstViAnnotStore store;

  GstViAnnotWorker *worker;
  gchar *location;
  const GstViAnnotFrameMap *map;        /* the element's, immutable */
  gboolean template_mode;
  guint refresh_interval;
  GCancellable *cancellable;    /* cancelled in stop only */

  /* worker thread only */
  gboolean shutting_down;
  GSource *refresh_source;
  guint last_n_bad;

  /* store lock; the tables are immutable once swapped in */
  GHashTable *table;            /* asset -> LocalAsset */
  GHashTable *bad_assets;       /* asset -> BadAsset */
  gchar *first_asset;
  GError *load_error;           /* the first load failed */
} GstViAnnotLocal;

static void
local_asset_free (LocalAsset * asset)
{
  g_clear_pointer (&asset->set, gst_vi_annot_set_unref);
  g_free (asset);
}

static void
bad_asset_free (BadAsset * bad)
{
  g_clear_error (&bad->first);
  g_free (bad);
}

/* The value of the first "asset_id" member of a line that is not valid
 * JSONL, found textually (a best effort for a message: the line may not
 * even be JSON); NULL if there is none in a simple form. */
static gchar *
find_asset_id (const gchar * line)
{
  static const gchar key[] = "\"asset_id\"";
  const gchar *p;

  for (p = strstr (line, key); p != NULL; p = strstr (p + 1, key)) {
    const gchar *q = p + strlen (key), *end;
    gchar *raw, *value;

    while (g_ascii_isspace (*q))
      q++;
    if (*q != ':')
      continue;
    q++;
    while (g_ascii_isspace (*q))
      q++;
    if (*q != '"')
      continue;
    q++;
    for (end = q; *end != '\0' && *end != '"'; end++) {
      if (*end == '\\' && end[1] != '\0')
        end++;
    }
    if (*end != '"' || end == q)
      continue;
    raw = g_strndup (q, end - q);
    if (strstr (raw, "\\u") != NULL) {
      g_free (raw);
      continue;
    }
    value = g_strcompress (raw);
    g_free (raw);
    if (g_utf8_validate (value, -1, NULL))
      return value;
    g_free (value);
  }
  return NULL;
}

static void
note_bad_line (GHashTable * bad_assets, const gchar * line,
    const GError * error)
{
  gchar *asset = find_asset_id (line);
  BadAsset *bad;

  if (asset == NULL)
    return;
  bad = g_hash_table_lookup (bad_assets, asset);
  if (bad == NULL) {
    bad = g_new0 (BadAsset, 1);
    bad->first = g_error_copy (error);
    g_hash_table_insert (bad_assets, asset, bad);
  } else {
    g_free (asset);
  }
  bad->n_lines++;
}

/* Reads @path again for the lines the reader refused and notes the asset
 * each names.  Lines are counted as the reader counts them (every '\n'
 * ends one); only the refused ones are kept, up to MAX_SCANNED_LINE. */
static GHashTable *
find_bad_assets (const gchar * path, GPtrArray * bad_lines,
    GCancellable * cancellable)
{
  GHashTable *bad_assets = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) bad_asset_free);
  GHashTable *wanted = g_hash_table_new (NULL, NULL);
  GFile *file = g_file_new_for_path (path);
  GFileInputStream *in;
  GByteArray *line = g_byte_array_new ();
  guint8 chunk[16 * 1024];
  guint line_number = 1, i;
  const GError *current = NULL;
  gboolean overflow = FALSE;
  gssize n;

  for (i = 0; i < bad_lines->len; i++) {
    const GError *e = g_ptr_array_index (bad_lines, i);

    if (vi_error_get_line (e) > 0)
      g_hash_table_insert (wanted, GUINT_TO_POINTER (vi_error_get_line (e)),
          (gpointer) e);
  }

  in = g_file_read (file, cancellable, NULL);
  if (in == NULL)
    goto done;
  current = g_hash_table_lookup (wanted, GUINT_TO_POINTER (line_number));

  while ((n = g_input_stream_read (G_INPUT_STREAM (in), chunk, sizeof chunk,
              cancellable, NULL)) > 0) {
    const guint8 *p = chunk, *end = chunk + n;

    while (p < end) {
      const guint8 *nl = memchr (p, '\n', end - p);
      const guint8 *stop = nl ? nl : end;

      if (current != NULL && !overflow) {
        if (line->len + (stop - p) > MAX_SCANNED_LINE)
          overflow = TRUE;
        else
          g_byte_array_append (line, p, stop - p);
      }
      if (nl == NULL)
        break;
      if (current != NULL && !overflow) {
        g_byte_array_append (line, (const guint8 *) "", 1);
        note_bad_line (bad_assets, (const gchar *) line->data, current);
      }
      g_byte_array_set_size (line, 0);
      overflow = FALSE;
      line_number++;
      current = g_hash_table_lookup (wanted, GUINT_TO_POINTER (line_number));
      p = nl + 1;
    }
  }
  if (current != NULL && !overflow && line->len > 0) {
    g_byte_array_append (line, (const guint8 *) "", 1);
    note_bad_line (bad_assets, (const gchar *) line->data, current);
  }
  g_object_unref (in);

done:
  g_byte_array_unref (line);
  g_object_unref (file);
  g_hash_table_unref (wanted);
  return bad_assets;
}

static GstMessage *
bad_lines_message (GstViAnnotLocal * self, guint n_bad, guint n_lines,
    GPtrArray * bad_lines)
{
  GString *text = g_string_new (NULL);
  GError *gerror;
  GstMessage *msg;
  guint i, quoted = MIN (bad_lines->len, MAX_QUOTED_REASONS);

  g_string_append_printf (text, "%u of %u lines of \"%s\" are invalid and "
      "were skipped: ", n_bad, n_lines, self->location);
  for (i = 0; i < quoted; i++) {
    const GError *e = g_ptr_array_index (bad_lines, i);

    g_string_append_printf (text, "%s%s", i > 0 ? "; " : "", e->message);
  }
  if (n_bad > quoted)
    g_string_append_printf (text, " (and %u more)", n_bad - quoted);
  g_string_append_c (text, '.');

  gerror = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      text->str);
  msg = gst_message_new_warning_with_details (GST_OBJECT_CAST
      (self->store.element), gerror, NULL, gst_structure_new ("details",
          "location", G_TYPE_STRING, self->location,
          "invalid-lines", G_TYPE_UINT, n_bad,
          "lines", G_TYPE_UINT, n_lines, NULL));
  g_error_free (gerror);
  g_string_free (text, TRUE);

  return msg;
}

/* On the worker: reads the whole file into a new table of sets, swapped
 * in under the lock. */
static gboolean
_load_cb (gpointer user_data)
{
  GstViAnnotLocal *self = user_data;
  ViJsonlReader *reader;
  GError *error = NULL;
  GHashTable *groups = NULL, *table = NULL, *old_table = NULL;
  GHashTable *bad_assets = NULL, *old_bad = NULL;
  GPtrArray *order = NULL, *bad_lines = NULL;
  gchar *first = NULL;
  gint64 start_time = g_get_monotonic_time ();
  gboolean refresh;
  guint n_records = 0, n_bad, n_lines, count, i;
  const gchar *asset;

  if (self->shutting_down)
    return G_SOURCE_REMOVE;

  reader = vi_jsonl_reader_new_for_path (self->location, &error);
  if (reader == NULL)
    goto failed;
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_SKIP);

  groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  order = g_ptr_array_new_with_free_func (g_free);
  for (;;) {
    ViJsonlRecord *record = vi_jsonl_reader_next (reader, self->cancellable,
        &error);
    GPtrArray *records;

    if (record == NULL)
      break;
    n_records++;
    asset = vi_jsonl_record_get_asset_id (record);
    if (asset == NULL)
      asset = "";
    records = g_hash_table_lookup (groups, asset);
    if (records == NULL) {
      records = g_ptr_array_new_with_free_func ((GDestroyNotify)
          vi_jsonl_record_unref);
      g_hash_table_insert (groups, g_strdup (asset), records);
      g_ptr_array_add (order, g_strdup (asset));
    }
    g_ptr_array_add (records, record);
  }
  n_bad = vi_jsonl_reader_get_n_bad_lines (reader);
  n_lines = vi_jsonl_reader_get_line_number (reader);
  bad_lines = g_ptr_array_ref (vi_jsonl_reader_get_bad_lines (reader));
  g_object_unref (reader);
  if (error != NULL)
    goto failed;

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) local_asset_free);
  for (i = 0; i < order->len; i++) {
    GPtrArray *records;
    LocalAsset *la = g_new0 (LocalAsset, 1);

    asset = g_ptr_array_index (order, i);
    records = g_hash_table_lookup (groups, asset);
    la->set = gst_vi_annot_set_new_from_records (NULL, asset, records);
    la->count = records->len;
    g_hash_table_insert (table, g_strdup (asset), la);
  }
  if (order->len > 0)
    first = g_strdup (g_ptr_array_index (order, 0));
  g_clear_pointer (&order, g_ptr_array_unref);
  g_clear_pointer (&groups, g_hash_table_unref);
  if (n_bad > 0)
    bad_assets = find_bad_assets (self->location, bad_lines, self->cancellable);

  gst_vi_annot_store_lock (&self->store);
  refresh = self->table != NULL;
  old_table = self->table;
  self->table = table;
  old_bad = self->bad_assets;
  self->bad_assets = bad_assets;
  g_free (self->first_asset);
  self->first_asset = first;
  if (refresh)
    self->store.stats.refreshes++;
  self->store.stats.fetches++;
  if (n_bad > 0 && n_bad != self->last_n_bad)
    gst_vi_annot_store_post_locked (&self->store,
        bad_lines_message (self, n_bad, n_lines, bad_lines));
  self->last_n_bad = n_bad;
  g_cond_broadcast (&self->store.cond);
  gst_vi_annot_store_unlock (&self->store);

  g_clear_pointer (&old_table, g_hash_table_unref);
  g_clear_pointer (&old_bad, g_hash_table_unref);
  g_ptr_array_unref (bad_lines);

  asset = gst_vi_annot_frame_map_get_asset_id (self->map);
  count = n_records;
  if (!self->template_mode) {
    LocalAsset *la;

    if (asset == NULL)
      asset = first;
    la = asset ? g_hash_table_lookup (table, asset) : NULL;
    count = la ? la->count : 0;
  }
  gst_vi_annot_store_post_fetched (&self->store,
      self->template_mode ? NULL : asset, count, start_time, refresh,
      "location", self->location);

  return G_SOURCE_REMOVE;

failed:
  g_clear_pointer (&order, g_ptr_array_unref);
  g_clear_pointer (&groups, g_hash_table_unref);
  g_clear_pointer (&bad_lines, g_ptr_array_unref);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_error (&error);
    return G_SOURCE_REMOVE;
  }
  gst_vi_annot_store_lock (&self->store);
  self->store.stats.fetch_errors++;
  if (self->table == NULL && self->load_error == NULL)
    self->load_error = g_steal_pointer (&error);
  g_cond_broadcast (&self->store.cond);
  gst_vi_annot_store_unlock (&self->store);
  if (error != NULL) {
    GstViAnnotErrorContext ctx = { NULL, NULL, self->location, NULL, NULL,
      NULL, GST_RESOURCE_ERROR_READ
    };

    /* A reload failed: keep the previous annotations. */
    gst_vi_annot_post_request_error (self->store.element,
        GST_MESSAGE_WARNING, error, NULL, &ctx);
    g_clear_error (&error);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
_refresh_cb (gpointer user_data)
{
  _load_cb (user_data);
  return G_SOURCE_CONTINUE;
}

static GstViAnnotLookup
gst_vi_annot_local_lookup (GstViAnnotStore * store, const gchar * asset_id,
    guint64 index, GstViAnnotSet ** set, GError ** error)
{
  GstViAnnotLocal *self = (GstViAnnotLocal *) store;
  LocalAsset *la;
  BadAsset *bad;

  if (self->load_error != NULL) {
    *error = g_error_copy (self->load_error);
    return GST_VI_ANNOT_LOOKUP_FAILED;
  }
  if (self->table == NULL)
    return GST_VI_ANNOT_LOOKUP_PENDING;
  if (asset_id == NULL)
    asset_id = self->first_asset;
  if (asset_id == NULL)
    return GST_VI_ANNOT_LOOKUP_NO_ASSET;

  la = g_hash_table_lookup (self->table, asset_id);
  if (la != NULL) {
    *set = gst_vi_annot_set_ref (la->set);
    return GST_VI_ANNOT_LOOKUP_READY;
  }
  /* Frames of a template may have no annotations; an explicit asset must
   * be there. */
  if (self->template_mode)
    return GST_VI_ANNOT_LOOKUP_NO_ASSET;

  bad = self->bad_assets ? g_hash_table_lookup (self->bad_assets, asset_id) :
      NULL;
  if (bad != NULL)
    *error = g_error_new (VI_ERROR, VI_ERROR_NOT_FOUND, _("Asset \"%s\" has "
            "no valid line in \"%s\": its %u line%s invalid (first: %s)."),
        asset_id, self->location, bad->n_lines,
        bad->n_lines == 1 ? " is" : "s are", bad->first->message);
  else
    *error = g_error_new (VI_ERROR, VI_ERROR_NOT_FOUND,
        _("Asset \"%s\" is not in \"%s\"."), asset_id, self->location);
  return GST_VI_ANNOT_LOOKUP_FAILED;
}

static gboolean
_setup_cb (gpointer user_data)
{
  GstViAnnotLocal *self = user_data;

  if (self->refresh_interval > 0)
    self->refresh_source = gst_vi_annot_worker_add_timeout (self->worker,
        self->refresh_interval * 1000, _refresh_cb, self, NULL);
  _load_cb (self);

  return G_SOURCE_REMOVE;
}

static gboolean
_shutdown_cb (gpointer user_data)
{
  GstViAnnotLocal *self = user_data;

  self->shutting_down = TRUE;
  if (self->refresh_source != NULL) {
    g_source_destroy (self->refresh_source);
    g_clear_pointer (&self->refresh_source, g_source_unref);
  }
  gst_vi_annot_worker_quit (self->worker);

  return G_SOURCE_REMOVE;
}

static void
gst_vi_annot_local_stop (GstViAnnotStore * store)
{
  GstViAnnotLocal *self = (GstViAnnotLocal *) store;

  g_cancellable_cancel (self->cancellable);
  gst_vi_annot_worker_invoke (self->worker, _shutdown_cb, self, NULL);
}

static void
gst_vi_annot_local_free (GstViAnnotStore * store)
{
  GstViAnnotLocal *self = (GstViAnnotLocal *) store;

  g_clear_pointer (&self->table, g_hash_table_unref);
  g_clear_pointer (&self->bad_assets, g_hash_table_unref);
  g_free (self->first_asset);
  g_clear_error (&self->load_error);
  g_free (self->location);
  g_object_unref (self->cancellable);
  gst_vi_annot_store_clear (store);
  g_free (self);
}

static const GstViAnnotStoreFuncs local_funcs = {
  gst_vi_annot_local_lookup,
  NULL,
  NULL,
  gst_vi_annot_local_stop,
  gst_vi_annot_local_free,
};

/* @map belongs to the element and must outlive the store.  The file is
 * read at once, on the worker. */
GstViAnnotStore *
gst_vi_annot_local_new (GstElement * element, GstViAnnotWorker * worker,
    const gchar * location, const GstViAnnotFrameMap * map,
    guint refresh_interval)
{
  GstViAnnotLocal *self = g_new0 (GstViAnnotLocal, 1);

  gst_vi_annot_store_init (&self->store, &local_funcs, element);
  self->worker = worker;
  self->location = g_strdup (location);
  self->map = map;
  self->template_mode = gst_vi_annot_frame_map_is_template (map);
  self->refresh_interval = refresh_interval;
  self->cancellable = g_cancellable_new ();

  gst_vi_annot_worker_invoke (worker, _setup_cb, self, NULL);

  return &self->store;
}
