/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-store.h"
#include "vi-server-json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define STORE_FORMAT      "vi-local-server-store"
#define STORE_VERSION     1
#define SNAPSHOT_NAME     "store.jsonl"
#define JOURNAL_NAME      "journal.jsonl"
#define ID_LENGTH         20
/* The journal is folded into a new snapshot once it holds more records than
 * this plus the number of live annotations: the cost of a snapshot is then
 * paid for by as many mutations as it writes lines. */
#define COMPACT_MIN_OPS   10000
#define MAX_ASSET_ID_LEN  4096

struct _ViStore {
  char       *org;
  GHashTable *datasets;           /* id -> ViStoreDataset, owned */
  guint64     next_seq;
  guint64     n_annotations;

  char       *dir;                /* NULL: memory only */
  int         journal_fd;
  guint64     journal_ops;
};

/* ---- ids ---------------------------------------------------------------- */

static gboolean
id_is_valid (const char *id)
{
  gsize len = 0;
  const char *p;

  for (p = id; *p != '\0'; p++, len++)
    {
      if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
        return FALSE;
    }
  return len >= 1 && len <= 255;
}

gboolean
vi_store_dataset_id_is_valid (const char *dataset_id)
{
  return dataset_id != NULL && id_is_valid (dataset_id);
}

gboolean
vi_store_annotation_id_is_valid (const char *annotation_id)
{
  return annotation_id != NULL && id_is_valid (annotation_id);
}

/* Random ids of ID_LENGTH characters from [A-Za-z0-9_-], the first one a
 * letter (so that an id never looks like a command-line option). */
static void
random_id (char buf[ID_LENGTH + 1])
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  guint32 bits = 0;
  guint n_bits = 0;
  guint i;

  buf[0] = alphabet[g_random_int_range (0, 52)];
  for (i = 1; i < ID_LENGTH; i++)
    {
      if (n_bits < 6)
        {
          bits = g_random_int ();
          n_bits = 32;
        }
      buf[i] = alphabet[bits & 0x3f];
      bits >>= 6;
      n_bits -= 6;
    }
  buf[ID_LENGTH] = '\0';
}

/* 16 hex digits; not through printf, which was a tenth of an import's
 * time (one etag per part). */
static char *
random_etag (void)
{
  static const char hex[] = "0123456789abcdef";
  guint64 bits = ((guint64) g_random_int () << 32) | g_random_int ();
  char *etag = g_malloc (17);
  guint i;

  for (i = 0; i < 16; i++)
    etag[i] = hex[(bits >> (60 - 4 * i)) & 0xf];
  etag[16] = '\0';
  return etag;
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* ---- objects ------------------------------------------------------------ */

static void
annotation_free (ViStoreAnnotation *ann)
{
  g_free (ann->id);
  g_clear_pointer (&ann->group_id, g_ref_string_release);
  g_free (ann->text);
  g_free (ann->answer);
  g_free (ann->etag);
  g_free (ann->box_json);
  g_free (ann);
}

static void
asset_free (ViStoreAsset *asset)
{
  g_sequence_free (asset->annotations);
  g_free (asset->id);
  g_free (asset->json_ids);
  g_free (asset->self_prefix);
  g_free (asset);
}

static ViStoreAsset *
asset_new (ViStoreDataset *dataset,
           const char     *asset_id)
{
  ViStoreAsset *asset = g_new0 (ViStoreAsset, 1);
  const char *org = dataset->store->org;
  g_autofree char *composite = g_strconcat (org, "_", dataset->id, NULL);
  GString *s;

  asset->id = g_strdup (asset_id);
  asset->dataset = dataset;
  asset->annotations = g_sequence_new (NULL);

  s = g_string_new ("\"assetId\":");
  _vi_json_append_string (s, asset_id);
  g_string_append (s, ",\"workspaceId\":");
  _vi_json_append_string (s, org);
  g_string_append (s, ",\"datasetId\":");
  _vi_json_append_string (s, composite);
  asset->json_ids = g_string_free (s, FALSE);

  /* Only unreserved characters and %XX: safe inside a JSON string as is. */
  s = g_string_new ("/workspaces/");
  _vi_uri_append_segment (s, org);
  g_string_append (s, "/datasets/");
  _vi_uri_append_segment (s, composite);
  g_string_append (s, "/assets/");
  _vi_uri_append_segment (s, asset_id);
  g_string_append (s, "/annotations/");
  asset->self_prefix = g_string_free (s, FALSE);

  return asset;
}

static void
dataset_free (ViStoreDataset *dataset)
{
  /* Assets first: their sequences point at the annotations. */
  g_hash_table_unref (dataset->assets);
  g_hash_table_unref (dataset->annotations);
  g_free (dataset->id);
  g_free (dataset);
}

static ViStoreDataset *
dataset_new (ViStore    *store,
             const char *dataset_id)
{
  ViStoreDataset *dataset = g_new0 (ViStoreDataset, 1);

  dataset->id = g_strdup (dataset_id);
  dataset->store = store;
  dataset->assets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) asset_free);
  dataset->annotations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                (GDestroyNotify) annotation_free);
  return dataset;
}

static ViStoreDataset *
get_dataset (ViStore    *store,
             const char *dataset_id)
{
  ViStoreDataset *dataset = g_hash_table_lookup (store->datasets, dataset_id);

  if (dataset == NULL)
    {
      dataset = dataset_new (store, dataset_id);
      g_hash_table_insert (store->datasets, dataset->id, dataset);
    }
  return dataset;
}

static ViStoreAsset *
get_asset (ViStoreDataset *dataset,
           const char     *asset_id)
{
  ViStoreAsset *asset = g_hash_table_lookup (dataset->assets, asset_id);

  if (asset == NULL)
    {
      asset = asset_new (dataset, asset_id);
      g_hash_table_insert (dataset->assets, asset->id, asset);
    }
  return asset;
}

static int
compare_seq (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const ViStoreAnnotation *x = a, *y = b;

  return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

static void
store_remove (ViStore           *store,
              ViStoreAnnotation *ann)
{
  g_sequence_remove (ann->iter);
  store->n_annotations--;
  /* Frees ann. */
  g_hash_table_remove (ann->asset->dataset->annotations, ann->id);
}

static char *box_contents_json (const ViStoreAnnotation *ann);

/* Takes ownership of @ann.  A part with the same id is replaced, which is
 * what makes replaying a journal idempotent. */
static void
store_insert (ViStore           *store,
              ViStoreAsset      *asset,
              ViStoreAnnotation *ann)
{
  ViStoreDataset *dataset = asset->dataset;
  ViStoreAnnotation *old;
  GSequenceIter *end;

  old = g_hash_table_lookup (dataset->annotations, ann->id);
  if (old != NULL)
    store_remove (store, old);

  ann->asset = asset;
  if (ann->kind == VI_STORE_PART_BOX && ann->box_json == NULL)
    ann->box_json = box_contents_json (ann);
  end = g_sequence_get_end_iter (asset->annotations);
  if (g_sequence_iter_is_begin (end) ||
      ((ViStoreAnnotation *) g_sequence_get (g_sequence_iter_prev (end)))->seq < ann->seq)
    ann->iter = g_sequence_append (asset->annotations, ann);
  else
    ann->iter = g_sequence_insert_sorted (asset->annotations, ann, compare_seq, NULL);

  g_hash_table_insert (dataset->annotations, ann->id, ann);
  store->n_annotations++;
  if (ann->seq >= store->next_seq)
    store->next_seq = ann->seq + 1;
}

static void
dataset_clear (ViStore        *store,
               ViStoreDataset *dataset)
{
  store->n_annotations -= g_hash_table_size (dataset->annotations);
  g_hash_table_remove_all (dataset->assets);
  g_hash_table_remove_all (dataset->annotations);
}

ViStore *
vi_store_new (const char *organization_id)
{
  ViStore *store = g_new0 (ViStore, 1);

  store->org = g_strdup (organization_id);
  store->datasets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) dataset_free);
  store->next_seq = 1;
  store->journal_fd = -1;
  return store;
}

void
vi_store_free (ViStore *store)
{
  if (store == NULL)
    return;
  if (store->journal_fd >= 0)
    close (store->journal_fd);
  g_hash_table_unref (store->datasets);
  g_free (store->dir);
  g_free (store->org);
  g_free (store);
}

const char *
vi_store_get_dir (ViStore *store)
{
  return store->dir;
}

const char *
vi_store_get_organization_id (ViStore *store)
{
  return store->org;
}

ViStoreDataset *
vi_store_lookup_dataset (ViStore    *store,
                         const char *dataset_id)
{
  return g_hash_table_lookup (store->datasets, dataset_id);
}

ViStoreAsset *
vi_store_dataset_lookup_asset (ViStoreDataset *dataset,
                               const char     *asset_id)
{
  return g_hash_table_lookup (dataset->assets, asset_id);
}

ViStoreAnnotation *
vi_store_dataset_lookup_annotation (ViStoreDataset *dataset,
                                    const char     *annotation_id)
{
  return g_hash_table_lookup (dataset->annotations, annotation_id);
}

/* ---- JSON of a part, as served ------------------------------------------ */

static const char *
part_bound_type (ViStorePartKind kind)
{
  switch (kind)
    {
    case VI_STORE_PART_CAPTION:
      return "caption";
    case VI_STORE_PART_BOX:
      return "box";
    case VI_STORE_PART_VQA:
    default:
      return "vqa";
    }
}

/* The role and the contents kind of a part.  The SDK knows only "Caption"
 * and "PhraseGroundingBoundingBox"; VQA parts are served with role and kind
 * "Vqa" and contents {question, answer} (design.md section 7): libvi keeps
 * parts of unknown kind, the Python SDK would refuse them. */
static const char *
part_role (ViStorePartKind kind)
{
  switch (kind)
    {
    case VI_STORE_PART_CAPTION:
      return "Caption";
    case VI_STORE_PART_BOX:
      return "PhraseGroundingBoundingBox";
    case VI_STORE_PART_VQA:
    default:
      return "Vqa";
    }
}

static void
append_uint (GString *out,
             guint64  value)
{
  char buf[24];
  int i = sizeof buf;

  do
    {
      buf[--i] = '0' + (char) (value % 10);
      value /= 10;
    }
  while (value != 0);
  g_string_append_len (out, buf + i, sizeof buf - i);
}

static void
append_int (GString *out,
            gint64   value)
{
  if (value < 0)
    {
      g_string_append_c (out, '-');
      append_uint (out, (guint64) 0 - (guint64) value);
    }
  else
    {
      append_uint (out, (guint64) value);
    }
}

static void
append_point (GString *out,
              double   x,
              double   y)
{
  g_string_append_c (out, '[');
  vi_json_append_double (out, x);
  g_string_append_c (out, ',');
  vi_json_append_double (out, y);
  g_string_append_c (out, ']');
}

#define APPEND_LITERAL(out, lit) g_string_append_len ((out), (lit), sizeof (lit) - 1)

/* The 4 corners [[x1,y1],[x2,y1],[x2,y2],[x1,y2]] and the span. */
static char *
box_contents_json (const ViStoreAnnotation *ann)
{
  GString *out = g_string_sized_new (128);

  APPEND_LITERAL (out, "\"bound\":[");
  append_point (out, ann->bbox.x_min, ann->bbox.y_min);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_max, ann->bbox.y_min);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_max, ann->bbox.y_max);
  g_string_append_c (out, ',');
  append_point (out, ann->bbox.x_min, ann->bbox.y_max);
  APPEND_LITERAL (out, "],\"target\":[");
  append_int (out, ann->target[0]);
  g_string_append_c (out, ',');
  append_int (out, ann->target[1]);
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

void
vi_store_annotation_to_json (const ViStoreAnnotation *ann,
                             GString                 *out)
{
  const ViStoreAsset *asset = ann->asset;
  const char *role = part_role (ann->kind);

  /* Ids are [A-Za-z0-9_-] (checked when created or loaded), so they are
   * written without escaping. */
  APPEND_LITERAL (out, "{\"kind\":\"Annotation\",\"annotationId\":\"");
  g_string_append (out, ann->id);
  APPEND_LITERAL (out, "\",");
  g_string_append (out, asset->json_ids);
  APPEND_LITERAL (out, ",\"spec\":{\"boundType\":\"");
  g_string_append (out, part_bound_type (ann->kind));
  APPEND_LITERAL (out, "\",\"tag\":0,\"aggregation\":{\"whole\":{\"id\":\"");
  g_string_append (out, ann->group_id);
  APPEND_LITERAL (out, "\"},\"thisPart\":{\"role\":\"");
  g_string_append (out, role);
  APPEND_LITERAL (out, "\"}},\"contents\":{\"kind\":\"");
  g_string_append (out, role);
  APPEND_LITERAL (out, "\",");

  switch (ann->kind)
    {
    case VI_STORE_PART_CAPTION:
      APPEND_LITERAL (out, "\"contents\":");
      _vi_json_append_string (out, ann->text);
      break;
    case VI_STORE_PART_BOX:
      g_string_append (out, ann->box_json);
      break;
    case VI_STORE_PART_VQA:
    default:
      APPEND_LITERAL (out, "\"question\":");
      _vi_json_append_string (out, ann->text);
      APPEND_LITERAL (out, ",\"answer\":");
      _vi_json_append_string (out, ann->answer);
      break;
    }

  APPEND_LITERAL (out, "}},\"metadata\":{\"timeCreated\":");
  append_int (out, ann->time_created);
  APPEND_LITERAL (out, ",\"lastUpdated\":");
  append_int (out, ann->last_updated);
  APPEND_LITERAL (out, ",\"generation\":");
  append_int (out, ann->generation);
  APPEND_LITERAL (out, ",\"attributes\":{}},\"selfLink\":\"");
  g_string_append (out, asset->self_prefix);
  g_string_append (out, ann->id);
  APPEND_LITERAL (out, "\",\"etag\":");
  _vi_json_append_string (out, ann->etag);
  g_string_append_c (out, '}');
}

/* ---- journal lines ------------------------------------------------------ */

static const char *
part_kind_name (ViStorePartKind kind)
{
  return part_bound_type (kind);
}

static void
append_put_line (GString                 *out,
                 const ViStoreAnnotation *ann)
{
  APPEND_LITERAL (out, "{\"op\":\"put\",\"dataset\":");
  _vi_json_append_string (out, ann->asset->dataset->id);
  APPEND_LITERAL (out, ",\"asset\":");
  _vi_json_append_string (out, ann->asset->id);
  APPEND_LITERAL (out, ",\"seq\":");
  append_uint (out, ann->seq);
  APPEND_LITERAL (out, ",\"id\":");
  _vi_json_append_string (out, ann->id);
  APPEND_LITERAL (out, ",\"group\":");
  _vi_json_append_string (out, ann->group_id);
  APPEND_LITERAL (out, ",\"kind\":\"");
  g_string_append (out, part_kind_name (ann->kind));
  g_string_append_c (out, '"');
  switch (ann->kind)
    {
    case VI_STORE_PART_CAPTION:
      APPEND_LITERAL (out, ",\"text\":");
      _vi_json_append_string (out, ann->text);
      break;
    case VI_STORE_PART_BOX:
      APPEND_LITERAL (out, ",\"bbox\":[");
      vi_json_append_double (out, ann->bbox.x_min);
      g_string_append_c (out, ',');
      vi_json_append_double (out, ann->bbox.y_min);
      g_string_append_c (out, ',');
      vi_json_append_double (out, ann->bbox.x_max);
      g_string_append_c (out, ',');
      vi_json_append_double (out, ann->bbox.y_max);
      APPEND_LITERAL (out, "],\"target\":[");
      append_int (out, ann->target[0]);
      g_string_append_c (out, ',');
      append_int (out, ann->target[1]);
      g_string_append_c (out, ']');
      break;
    case VI_STORE_PART_VQA:
    default:
      APPEND_LITERAL (out, ",\"text\":");
      _vi_json_append_string (out, ann->text);
      APPEND_LITERAL (out, ",\"answer\":");
      _vi_json_append_string (out, ann->answer);
      break;
    }
  APPEND_LITERAL (out, ",\"created\":");
  append_int (out, ann->time_created);
  APPEND_LITERAL (out, ",\"updated\":");
  append_int (out, ann->last_updated);
  APPEND_LITERAL (out, ",\"generation\":");
  append_int (out, ann->generation);
  APPEND_LITERAL (out, ",\"etag\":");
  _vi_json_append_string (out, ann->etag);
  APPEND_LITERAL (out, "}\n");
}

static void
append_simple_line (GString    *out,
                    const char *op,
                    const char *dataset_id,
                    const char *key,
                    const char *value)
{
  APPEND_LITERAL (out, "{\"op\":");
  _vi_json_append_string (out, op);
  APPEND_LITERAL (out, ",\"dataset\":");
  _vi_json_append_string (out, dataset_id);
  if (key != NULL)
    {
      g_string_append_c (out, ',');
      _vi_json_append_string (out, key);
      g_string_append_c (out, ':');
      _vi_json_append_string (out, value);
    }
  APPEND_LITERAL (out, "}\n");
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len,
           GError     **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "cannot write the journal: %s", g_strerror (errsv));
          return FALSE;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

static gboolean store_compact (ViStore  *store,
                               GError  **error);

/* Appends complete lines to the journal, before the caller applies them in
 * memory.  A failed write is cut off again, so the journal never keeps a
 * torn line in its middle. */
static gboolean
journal_append (ViStore  *store,
                GString  *lines,
                guint64   n_ops,
                GError  **error)
{
  off_t start;

  if (store->dir == NULL || lines->len == 0)
    return TRUE;

  start = lseek (store->journal_fd, 0, SEEK_END);
  if (!write_all (store->journal_fd, lines->str, lines->len, error))
    {
      if (start >= 0 && ftruncate (store->journal_fd, start) != 0)
        g_warning ("cannot cut the journal in %s back: %s",
                   store->dir, g_strerror (errno));
      return FALSE;
    }
  store->journal_ops += n_ops;
  return TRUE;
}

/* Called after a mutation has been applied. */
static void
journal_maybe_compact (ViStore *store)
{
  g_autoptr(GError) error = NULL;

  if (store->dir == NULL ||
      store->journal_ops <= COMPACT_MIN_OPS + store->n_annotations)
    return;

  /* Not fatal: the journal still holds everything. */
  if (!store_compact (store, &error))
    g_warning ("cannot write a snapshot in %s: %s", store->dir, error->message);
}

/* ---- mutations ---------------------------------------------------------- */

gboolean
vi_store_ensure_dataset (ViStore     *store,
                         const char  *dataset_id,
                         GError     **error)
{
  g_autoptr(GString) line = NULL;

  if (!vi_store_dataset_id_is_valid (dataset_id))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "invalid dataset id “%s”: use 1 to 255 characters from "
                   "A-Z, a-z, 0-9, '_' and '-'", dataset_id ? dataset_id : "");
      return FALSE;
    }
  if (vi_store_lookup_dataset (store, dataset_id) != NULL)
    return TRUE;

  line = g_string_new (NULL);
  append_simple_line (line, "dataset", dataset_id, NULL, NULL);
  if (!journal_append (store, line, 1, error))
    return FALSE;
  get_dataset (store, dataset_id);
  journal_maybe_compact (store);
  return TRUE;
}

gboolean
vi_store_clear_dataset (ViStore     *store,
                        const char  *dataset_id,
                        GError     **error)
{
  g_autoptr(GString) line = NULL;
  ViStoreDataset *dataset;

  if (!vi_store_ensure_dataset (store, dataset_id, error))
    return FALSE;
  dataset = vi_store_lookup_dataset (store, dataset_id);
  if (g_hash_table_size (dataset->assets) == 0)
    return TRUE;

  line = g_string_new (NULL);
  append_simple_line (line, "clear", dataset_id, NULL, NULL);
  if (!journal_append (store, line, 1, error))
    return FALSE;
  dataset_clear (store, dataset);
  journal_maybe_compact (store);
  return TRUE;
}

static gboolean
check_utf8 (const char  *str,
            const char  *what,
            guint        index,
            GError     **error)
{
  if (str == NULL || g_utf8_validate (str, -1, NULL))
    return TRUE;
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
               "record %u: the %s is not valid UTF-8", index + 1, what);
  return FALSE;
}

static gboolean
check_record (ViJsonlRecord  *record,
              guint           index,
              GError        **error)
{
  const char *asset_id = vi_jsonl_record_get_asset_id (record);
  guint n_phrases = vi_jsonl_record_get_n_phrases (record);
  guint n_interactions = vi_jsonl_record_get_n_interactions (record);
  g_autoptr(GError) local_error = NULL;
  guint i;

  if (asset_id == NULL || *asset_id == '\0' || strlen (asset_id) > MAX_ASSET_ID_LEN)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "record %u: the asset id must have 1 to %d bytes",
                   index + 1, MAX_ASSET_ID_LEN);
      return FALSE;
    }
  if (!check_utf8 (asset_id, "asset id", index, error) ||
      !check_utf8 (vi_jsonl_record_get_caption (record), "caption", index, error))
    return FALSE;

  for (i = 0; i < n_phrases; i++)
    {
      const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, i);
      const ViBBox *b = &phrase->bbox;

      if (!check_utf8 (phrase->phrase, "phrase", index, error))
        return FALSE;
      if (!(isfinite (b->x_min) && isfinite (b->y_min) &&
            isfinite (b->x_max) && isfinite (b->y_max) &&
            b->x_min >= 0.0 && b->y_min >= 0.0 && b->x_max <= 1.0 && b->y_max <= 1.0 &&
            b->x_min < b->x_max && b->y_min < b->y_max))
        {
          g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                       "record %u (asset “%s”): the box of phrase %u is not a "
                       "normalized box with min < max", index + 1, asset_id, i + 1);
          return FALSE;
        }
    }

  if (n_phrases > 0 && !vi_jsonl_record_compute_spans (record, &local_error))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                   "record %u (asset “%s”): %s", index + 1, asset_id,
                   local_error->message);
      return FALSE;
    }
  for (i = 0; i < n_phrases; i++)
    {
      const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, i);

      if (phrase->start < 0 || phrase->end < phrase->start)
        {
          g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                       "record %u (asset “%s”): phrase “%s” has no span in the caption",
                       index + 1, asset_id, phrase->phrase);
          return FALSE;
        }
    }

  for (i = 0; i < n_interactions; i++)
    {
      const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (record, i);

      if (vqa->question == NULL || vqa->answer == NULL)
        {
          g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                       "record %u (asset “%s”): interaction %u lacks a question or an answer",
                       index + 1, asset_id, i + 1);
          return FALSE;
        }
      if (!check_utf8 (vqa->question, "question", index, error) ||
          !check_utf8 (vqa->answer, "answer", index, error))
        return FALSE;
    }

  return TRUE;
}

static ViStoreAnnotation *
new_part (ViStore        *store,
          ViStoreDataset *dataset,
          GHashTable     *batch_ids,
          guint64         seq,
          const char     *group_id,
          ViStorePartKind kind,
          gint64          now)
{
  ViStoreAnnotation *ann = g_new0 (ViStoreAnnotation, 1);
  char id[ID_LENGTH + 1];

  do
    random_id (id);
  while ((dataset != NULL && g_hash_table_contains (dataset->annotations, id)) ||
         g_hash_table_contains (batch_ids, id));

  ann->seq = seq;
  ann->id = g_strdup (id);
  g_hash_table_add (batch_ids, ann->id);
  ann->group_id = g_ref_string_acquire ((char *) group_id);
  ann->kind = kind;
  ann->time_created = now;
  ann->last_updated = now;
  ann->generation = 1;
  ann->etag = random_etag ();
  return ann;
}

/* What vi_store_add_records() checks of one record (it computes the
 * spans), for callers that sort good records from bad ones first. */
gboolean
vi_store_check_record (ViJsonlRecord  *record,
                       GError        **error)
{
  return check_record (record, 0, error);
}

/* One record becomes one Caption part (when it has a caption), one
 * PhraseGroundingBoundingBox part per grounded phrase and one Vqa part per
 * interaction, all sharing a new group id (design.md section 7). */
gboolean
vi_store_add_records (ViStore        *store,
                      const char     *dataset_id,
                      ViJsonlRecord **records,
                      guint           n_records,
                      guint          *n_added,
                      GError        **error)
{
  g_autoptr(GPtrArray) parts = NULL;      /* ViStoreAnnotation, with asset = NULL */
  g_autoptr(GPtrArray) part_assets = NULL; /* the asset id of each part */
  g_autoptr(GHashTable) batch_ids = NULL;
  g_autoptr(GHashTable) bare_assets = NULL;
  g_autoptr(GString) lines = NULL;
  ViStoreDataset *dataset;
  guint64 seq = store->next_seq;
  gint64 now = now_ms ();
  GHashTableIter iter;
  gpointer key;
  guint64 n_ops = 0;
  guint i, j;

  if (n_added != NULL)
    *n_added = 0;

  if (!vi_store_dataset_id_is_valid (dataset_id))
    return vi_store_ensure_dataset (store, dataset_id, error);

  /* Everything is checked before anything changes: a batch is stored whole
   * or not at all. */
  for (i = 0; i < n_records; i++)
    {
      if (!check_record (records[i], i, error))
        return FALSE;
    }

  dataset = vi_store_lookup_dataset (store, dataset_id);
  parts = g_ptr_array_new_with_free_func ((GDestroyNotify) annotation_free);
  part_assets = g_ptr_array_new ();
  batch_ids = g_hash_table_new (g_str_hash, g_str_equal);
  bare_assets = g_hash_table_new (g_str_hash, g_str_equal);

  for (i = 0; i < n_records; i++)
    {
      ViJsonlRecord *record = records[i];
      const char *asset_id = vi_jsonl_record_get_asset_id (record);
      const char *caption = vi_jsonl_record_get_caption (record);
      guint n_phrases = vi_jsonl_record_get_n_phrases (record);
      guint n_interactions = vi_jsonl_record_get_n_interactions (record);
      guint first = parts->len;
      char group_buf[ID_LENGTH + 1];
      char *group;

      random_id (group_buf);
      group = g_ref_string_new (group_buf);

      if (caption != NULL)
        {
          ViStoreAnnotation *ann = new_part (store, dataset, batch_ids, seq++, group,
                                             VI_STORE_PART_CAPTION, now);
          ann->text = g_strdup (caption);
          g_ptr_array_add (parts, ann);
        }
      for (j = 0; j < n_phrases; j++)
        {
          const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, j);
          ViStoreAnnotation *ann = new_part (store, dataset, batch_ids, seq++, group,
                                             VI_STORE_PART_BOX, now);
          ann->bbox = phrase->bbox;
          ann->target[0] = phrase->start;
          ann->target[1] = phrase->end;
          g_ptr_array_add (parts, ann);
        }
      for (j = 0; j < n_interactions; j++)
        {
          const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (record, j);
          ViStoreAnnotation *ann = new_part (store, dataset, batch_ids, seq++, group,
                                             VI_STORE_PART_VQA, now);
          ann->text = g_strdup (vqa->question);
          ann->answer = g_strdup (vqa->answer);
          g_ptr_array_add (parts, ann);
        }
      g_ref_string_release (group);

      for (j = first; j < parts->len; j++)
        g_ptr_array_add (part_assets, (gpointer) asset_id);
      /* A line with nothing to store still makes its asset known. */
      if (first == parts->len)
        g_hash_table_add (bare_assets, (gpointer) asset_id);
    }

  /* The journal lines need the dataset and asset objects only for their
   * ids, so write them from temporary ones. */
  lines = g_string_sized_new (256 * parts->len + 64);
  if (dataset == NULL)
    {
      append_simple_line (lines, "dataset", dataset_id, NULL, NULL);
      n_ops++;
    }
  g_hash_table_iter_init (&iter, bare_assets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (dataset == NULL || vi_store_dataset_lookup_asset (dataset, key) == NULL)
        {
          append_simple_line (lines, "asset", dataset_id, "asset", key);
          n_ops++;
        }
    }
  if (store->dir != NULL && parts->len > 0)
    {
      ViStoreDataset tmp_dataset = { (char *) dataset_id, store, NULL, NULL };
      ViStoreAsset tmp_asset = { NULL, &tmp_dataset, NULL, NULL, NULL };

      for (i = 0; i < parts->len; i++)
        {
          ViStoreAnnotation *ann = g_ptr_array_index (parts, i);

          tmp_asset.id = g_ptr_array_index (part_assets, i);
          ann->asset = &tmp_asset;
          append_put_line (lines, ann);
          ann->asset = NULL;
        }
      n_ops += parts->len;
    }
  if (!journal_append (store, lines, n_ops, error))
    return FALSE;

  /* Commit: the parts now belong to the store. */
  g_ptr_array_set_free_func (parts, NULL);
  dataset = get_dataset (store, dataset_id);
  g_hash_table_iter_init (&iter, bare_assets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    get_asset (dataset, key);
  for (i = 0; i < parts->len; i++)
    {
      ViStoreAnnotation *ann = g_ptr_array_index (parts, i);
      ViStoreAsset *asset = get_asset (dataset, g_ptr_array_index (part_assets, i));

      store_insert (store, asset, ann);
    }
  store->next_seq = MAX (store->next_seq, seq);
  if (n_added != NULL)
    *n_added = parts->len;

  journal_maybe_compact (store);
  return TRUE;
}

gboolean
vi_store_delete_annotation (ViStore            *store,
                            ViStoreAnnotation  *annotation,
                            GError            **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  append_simple_line (line, "delete", annotation->asset->dataset->id, "id", annotation->id);
  if (!journal_append (store, line, 1, error))
    return FALSE;
  store_remove (store, annotation);
  journal_maybe_compact (store);
  return TRUE;
}

/* ---- queries ------------------------------------------------------------ */

guint
vi_store_count_annotations (ViStore    *store,
                            const char *dataset_id,
                            const char *asset_id)
{
  ViStoreDataset *dataset = vi_store_lookup_dataset (store, dataset_id);
  ViStoreAsset *asset;

  if (dataset == NULL)
    return 0;
  if (asset_id == NULL)
    return g_hash_table_size (dataset->annotations);
  asset = vi_store_dataset_lookup_asset (dataset, asset_id);
  return asset != NULL ? (guint) g_sequence_get_length (asset->annotations) : 0;
}

GSequenceIter *
vi_store_asset_seek (ViStoreAsset *asset,
                     guint64       after_seq)
{
  ViStoreAnnotation key = { 0, };

  /* g_sequence_search() returns the position after every item equal to the
   * key: the first item whose seq is greater than after_seq. */
  key.seq = after_seq;
  return g_sequence_search (asset->annotations, &key, compare_seq, NULL);
}

/* ---- snapshot and loading ----------------------------------------------- */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
store_compact (ViStore  *store,
               GError  **error)
{
  g_autofree char *path = g_build_filename (store->dir, SNAPSHOT_NAME, NULL);
  g_autoptr(GString) out = g_string_sized_new (256 * store->n_annotations + 256);
  g_autofree gpointer *dataset_ids = NULL;
  guint n_datasets, i;

  APPEND_LITERAL (out, "{\"op\":\"header\",\"format\":\"" STORE_FORMAT "\",\"version\":");
  append_uint (out, STORE_VERSION);
  APPEND_LITERAL (out, ",\"nextSeq\":");
  append_uint (out, store->next_seq);
  APPEND_LITERAL (out, ",\"organizationId\":");
  _vi_json_append_string (out, store->org);
  APPEND_LITERAL (out, "}\n");

  dataset_ids = g_hash_table_get_keys_as_array (store->datasets, &n_datasets);
  qsort (dataset_ids, n_datasets, sizeof (gpointer), compare_strings);
  for (i = 0; i < n_datasets; i++)
    {
      ViStoreDataset *dataset = g_hash_table_lookup (store->datasets, dataset_ids[i]);
      g_autofree gpointer *asset_ids = NULL;
      guint n_assets, j;

      append_simple_line (out, "dataset", dataset->id, NULL, NULL);
      asset_ids = g_hash_table_get_keys_as_array (dataset->assets, &n_assets);
      qsort (asset_ids, n_assets, sizeof (gpointer), compare_strings);
      for (j = 0; j < n_assets; j++)
        {
          ViStoreAsset *asset = g_hash_table_lookup (dataset->assets, asset_ids[j]);
          GSequenceIter *it;

          append_simple_line (out, "asset", dataset->id, "asset", asset->id);
          for (it = g_sequence_get_begin_iter (asset->annotations);
               !g_sequence_iter_is_end (it);
               it = g_sequence_iter_next (it))
            append_put_line (out, g_sequence_get (it));
        }
    }

  if (!g_file_set_contents_full (path, out->str, out->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;

  /* The snapshot now holds everything; a failure here only means the
   * journal is replayed once more next time, which is harmless. */
  if (ftruncate (store->journal_fd, 0) != 0)
    g_warning ("cannot truncate the journal in %s: %s", store->dir, g_strerror (errno));
  store->journal_ops = 0;
  return TRUE;
}

static JsonNode *
get_member (JsonObject  *obj,
            const char  *name,
            GType        type,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "missing “%s”", name);
      return NULL;
    }
  if (type == JSON_TYPE_ARRAY)
    {
      if (!JSON_NODE_HOLDS_ARRAY (node))
        goto wrong_type;
    }
  else if (!JSON_NODE_HOLDS_VALUE (node) ||
           (json_node_get_value_type (node) != type &&
            !(type == G_TYPE_DOUBLE && json_node_get_value_type (node) == G_TYPE_INT64)))
    {
      goto wrong_type;
    }
  return node;

wrong_type:
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "“%s” has the wrong type", name);
  return NULL;
}

static const char *
get_string (JsonObject  *obj,
            const char  *name,
            GError     **error)
{
  JsonNode *node = get_member (obj, name, G_TYPE_STRING, error);
  const char *str;

  if (node == NULL)
    return NULL;
  str = json_node_get_string (node);
  if (!g_utf8_validate (str, -1, NULL))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "“%s” is not UTF-8", name);
      return NULL;
    }
  return str;
}

static gboolean
get_int (JsonObject  *obj,
         const char  *name,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = get_member (obj, name, G_TYPE_INT64, error);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_numbers (JsonObject  *obj,
             const char  *name,
             double      *out,
             guint        n,
             GError     **error)
{
  JsonNode *node = get_member (obj, name, JSON_TYPE_ARRAY, error);
  JsonArray *array;
  guint i;

  if (node == NULL)
    return FALSE;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != n)
    goto wrong;
  for (i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element))
        goto wrong;
      if (json_node_get_value_type (element) == G_TYPE_DOUBLE)
        out[i] = json_node_get_double (element);
      else if (json_node_get_value_type (element) == G_TYPE_INT64)
        out[i] = (double) json_node_get_int (element);
      else
        goto wrong;
    }
  return TRUE;

wrong:
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "“%s” must hold %u numbers", name, n);
  return FALSE;
}

static ViStoreDataset *
load_dataset (ViStore     *store,
              JsonObject  *obj,
              GError     **error)
{
  const char *dataset_id = get_string (obj, "dataset", error);

  if (dataset_id == NULL)
    return NULL;
  if (!vi_store_dataset_id_is_valid (dataset_id))
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "invalid dataset id “%s”", dataset_id);
      return NULL;
    }
  return get_dataset (store, dataset_id);
}

static gboolean
load_put (ViStore     *store,
          JsonObject  *obj,
          GError     **error)
{
  ViStoreDataset *dataset;
  const char *asset_id, *id, *group, *kind, *etag;
  gint64 seq, created, updated, generation;
  ViStoreAnnotation *ann;

  if ((dataset = load_dataset (store, obj, error)) == NULL ||
      (asset_id = get_string (obj, "asset", error)) == NULL ||
      (id = get_string (obj, "id", error)) == NULL ||
      (group = get_string (obj, "group", error)) == NULL ||
      (kind = get_string (obj, "kind", error)) == NULL ||
      (etag = get_string (obj, "etag", error)) == NULL ||
      !get_int (obj, "seq", &seq, error) ||
      !get_int (obj, "created", &created, error) ||
      !get_int (obj, "updated", &updated, error) ||
      !get_int (obj, "generation", &generation, error))
    return FALSE;

  if (*asset_id == '\0' || !id_is_valid (id) || !id_is_valid (group) || seq <= 0)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "invalid asset, id, group or seq");
      return FALSE;
    }

  ann = g_new0 (ViStoreAnnotation, 1);
  ann->seq = (guint64) seq;
  ann->id = g_strdup (id);
  ann->group_id = g_ref_string_new_intern (group);
  ann->time_created = created;
  ann->last_updated = updated;
  ann->generation = generation;
  ann->etag = g_strdup (etag);

  if (g_str_equal (kind, "caption"))
    {
      const char *text = get_string (obj, "text", error);

      ann->kind = VI_STORE_PART_CAPTION;
      if (text == NULL)
        goto error;
      ann->text = g_strdup (text);
    }
  else if (g_str_equal (kind, "box"))
    {
      double bbox[4], target[2];

      ann->kind = VI_STORE_PART_BOX;
      if (!get_numbers (obj, "bbox", bbox, 4, error) ||
          !get_numbers (obj, "target", target, 2, error))
        goto error;
      ann->bbox.x_min = bbox[0];
      ann->bbox.y_min = bbox[1];
      ann->bbox.x_max = bbox[2];
      ann->bbox.y_max = bbox[3];
      ann->target[0] = (int) target[0];
      ann->target[1] = (int) target[1];
    }
  else if (g_str_equal (kind, "vqa"))
    {
      const char *question, *answer;

      ann->kind = VI_STORE_PART_VQA;
      if ((question = get_string (obj, "text", error)) == NULL ||
          (answer = get_string (obj, "answer", error)) == NULL)
        goto error;
      ann->text = g_strdup (question);
      ann->answer = g_strdup (answer);
    }
  else
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "unknown kind “%s”", kind);
      goto error;
    }

  store_insert (store, get_asset (dataset, asset_id), ann);
  return TRUE;

error:
  annotation_free (ann);
  return FALSE;
}

static gboolean
load_op (ViStore     *store,
         JsonObject  *obj,
         GError     **error)
{
  const char *op = get_string (obj, "op", error);
  ViStoreDataset *dataset;

  if (op == NULL)
    return FALSE;

  if (g_str_equal (op, "put"))
    return load_put (store, obj, error);

  if (g_str_equal (op, "header"))
    {
      const char *format = get_string (obj, "format", error);
      gint64 version, next_seq;

      if (format == NULL || !get_int (obj, "version", &version, error) ||
          !get_int (obj, "nextSeq", &next_seq, error))
        return FALSE;
      if (!g_str_equal (format, STORE_FORMAT) || version > STORE_VERSION)
        {
          g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA,
                       "not a store of this version of vi-local-server (%s version %"
                       G_GINT64_FORMAT ")", format, version);
          return FALSE;
        }
      if (next_seq > 0 && (guint64) next_seq > store->next_seq)
        store->next_seq = next_seq;
      return TRUE;
    }

  if ((dataset = load_dataset (store, obj, error)) == NULL)
    return FALSE;

  if (g_str_equal (op, "dataset"))
    return TRUE;
  if (g_str_equal (op, "clear"))
    {
      dataset_clear (store, dataset);
      return TRUE;
    }
  if (g_str_equal (op, "asset"))
    {
      const char *asset_id = get_string (obj, "asset", error);

      if (asset_id == NULL)
        return FALSE;
      get_asset (dataset, asset_id);
      return TRUE;
    }
  if (g_str_equal (op, "delete"))
    {
      const char *id = get_string (obj, "id", error);
      ViStoreAnnotation *ann;

      if (id == NULL)
        return FALSE;
      ann = vi_store_dataset_lookup_annotation (dataset, id);
      if (ann != NULL)
        store_remove (store, ann);
      return TRUE;
    }

  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "unknown operation “%s”", op);
  return FALSE;
}

static gboolean
load_file (ViStore     *store,
           const char  *path,
           guint64     *n_ops,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  char *line, *end;
  guint line_no = 0;

  *n_ops = 0;
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  parser = json_parser_new_immutable ();
  for (line = contents; line < contents + length; line = end + 1)
    {
      JsonNode *root;

      line_no++;
      end = memchr (line, '\n', contents + length - line);
      if (end == NULL)
        {
          /* Every record ends with a newline: this is a write that was cut
           * short by a crash, and it was never applied. */
          g_warning ("%s:%u: ignoring an incomplete last line", path, line_no);
          break;
        }
      if (end == line)
        continue;

      if (!json_parser_load_from_data (parser, line, end - line, &local_error))
        goto bad_line;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                               "not a JSON object");
          goto bad_line;
        }
      if (!load_op (store, json_node_get_object (root), &local_error))
        goto bad_line;
      (*n_ops)++;
    }
  return TRUE;

bad_line:
  g_set_error (error, VI_ERROR, VI_ERROR_INVALID_DATA, "%s:%u: %s",
               path, line_no, local_error->message);
  return FALSE;
}

gboolean
vi_store_open_dir (ViStore     *store,
                   const char  *dir,
                   GError     **error)
{
  g_autofree char *snapshot = g_build_filename (dir, SNAPSHOT_NAME, NULL);
  g_autofree char *journal = g_build_filename (dir, JOURNAL_NAME, NULL);
  guint64 n_snapshot, n_journal;
  int fd;

  g_return_val_if_fail (store->dir == NULL, FALSE);

  if (g_hash_table_size (store->datasets) > 0)
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "the data directory must be set before anything is loaded");
      return FALSE;
    }

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot create the data directory %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  if (!load_file (store, snapshot, &n_snapshot, error) ||
      !load_file (store, journal, &n_journal, error))
    goto fail;

  fd = g_open (journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot open %s: %s", journal, g_strerror (errsv));
      goto fail;
    }

  store->journal_fd = fd;
  store->dir = g_strdup (dir);
  store->journal_ops = n_journal;

  /* Start from a fresh snapshot and an empty journal; this also drops an
   * incomplete last line of the journal, which must not stay in front of
   * new records. */
  if (!store_compact (store, error))
    {
      close (store->journal_fd);
      store->journal_fd = -1;
      g_clear_pointer (&store->dir, g_free);
      goto fail;
    }
  return TRUE;

fail:
  g_hash_table_remove_all (store->datasets);
  store->n_annotations = 0;
  store->next_seq = 1;
  return FALSE;
}
