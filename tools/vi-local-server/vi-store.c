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
/* Staged journal lines are written to a batch's spool file in pieces of
 * about this size, and copied into the journal in pieces of this size. */
#define SPOOL_CHUNK       (1 << 20)
#define COMMIT_LINE       "{\"op\":\"commit\"}\n"

struct _ViStore {
  char       *org;
  GHashTable *datasets;           /* id -> ViStoreDataset, owned */
  guint64     next_seq;
  guint64     n_annotations;

  char       *dir;                /* NULL: memory only */
  int         journal_fd;
  guint64     journal_ops;
  GHashTable *records;            /* kind -> (id -> JSON text), with a data directory */

  guint64     load_seq_base;      /* while loading a transaction: its seqBase */
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
  store->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_hash_table_unref);
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
  g_hash_table_unref (store->records);
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

/* @seq is the part's sequence number, or in a transaction its offset from
 * the transaction's seqBase. */
static void
append_put_line (GString                 *out,
                 const char              *dataset_id,
                 const char              *asset_id,
                 guint64                  seq,
                 const ViStoreAnnotation *ann)
{
  APPEND_LITERAL (out, "{\"op\":\"put\",\"dataset\":");
  _vi_json_append_string (out, dataset_id);
  APPEND_LITERAL (out, ",\"asset\":");
  _vi_json_append_string (out, asset_id);
  APPEND_LITERAL (out, ",\"seq\":");
  append_uint (out, seq);
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

static int
open_file (const char  *path,
           int          flags,
           int          mode,
           GError     **error)
{
  int fd = g_open (path, flags, mode);

  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot open %s: %s", path, g_strerror (errsv));
    }
  return fd;
}

static gboolean
write_all (int          fd,
           const char  *what,
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
                       "cannot write %s: %s", what, g_strerror (errsv));
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
  if (!write_all (store->journal_fd, "the journal", lines->str, lines->len, error))
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

/* What vi_store_batch_add_records() checks of one record (it computes the
 * spans), for callers that sort good records from bad ones first. */
gboolean
vi_store_check_record (ViJsonlRecord  *record,
                       GError        **error)
{
  return check_record (record, 0, error);
}

/* ---- batches ------------------------------------------------------------ */

struct _ViStoreBatch {
  char       *dataset_id;
  gboolean    persist;            /* the store has a data directory */
  GPtrArray  *parts;              /* ViStoreAnnotation: asset NULL, seq = index */
  GPtrArray  *part_assets;        /* the asset id of each part, owned by asset_ids */
  GHashTable *asset_ids;          /* owned asset ids, each once */
  GHashTable *bare_assets;        /* assets of records without parts (not owned) */
  GHashTable *ids;                /* the part ids, unique within the batch */
  GString    *lines;              /* put lines not yet in the spool file */
  char       *spool_path;
  int         spool_fd;
  guint64     spool_bytes;
};

/**
 * vi_store_batch_new:
 * @store: the store the batch is for; called with the server's lock held
 * @dataset_id: the dataset the records go to
 *
 * Returns: (transfer full): an empty batch
 */
ViStoreBatch *
vi_store_batch_new (ViStore    *store,
                    const char *dataset_id)
{
  ViStoreBatch *batch = g_new0 (ViStoreBatch, 1);

  batch->dataset_id = g_strdup (dataset_id);
  batch->persist = store->dir != NULL;
  batch->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) annotation_free);
  batch->part_assets = g_ptr_array_new ();
  batch->asset_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  batch->bare_assets = g_hash_table_new (g_str_hash, g_str_equal);
  batch->ids = g_hash_table_new (g_str_hash, g_str_equal);
  batch->lines = g_string_new (NULL);
  batch->spool_fd = -1;
  return batch;
}

void
vi_store_batch_free (ViStoreBatch *batch)
{
  if (batch == NULL)
    return;
  if (batch->spool_fd >= 0)
    close (batch->spool_fd);
  if (batch->spool_path != NULL)
    g_unlink (batch->spool_path);
  g_free (batch->spool_path);
  g_hash_table_unref (batch->ids);
  g_ptr_array_unref (batch->parts);
  g_ptr_array_unref (batch->part_assets);
  g_hash_table_unref (batch->bare_assets);
  g_hash_table_unref (batch->asset_ids);
  g_string_free (batch->lines, TRUE);
  g_free (batch->dataset_id);
  g_free (batch);
}

guint
vi_store_batch_get_n_parts (ViStoreBatch *batch)
{
  return batch->parts->len;
}

static gboolean
spool_flush (ViStoreBatch  *batch,
             GError       **error)
{
  if (batch->spool_fd < 0 || batch->lines->len == 0)
    return TRUE;
  if (!write_all (batch->spool_fd, batch->spool_path, batch->lines->str, batch->lines->len,
                  error))
    return FALSE;
  batch->spool_bytes += batch->lines->len;
  g_string_truncate (batch->lines, 0);
  return TRUE;
}

/**
 * vi_store_batch_set_spool:
 * @batch: a batch
 * @path: a file to create, removed with the batch
 * @error: return location for a #GError
 *
 * Keeps the batch's journal lines in @path instead of in memory (they are
 * only made when the store has a data directory).
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_batch_set_spool (ViStoreBatch  *batch,
                          const char    *path,
                          GError       **error)
{
  int fd;

  g_return_val_if_fail (batch->spool_fd < 0, FALSE);

  if (!batch->persist)
    return TRUE;
  fd = open_file (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600, error);
  if (fd < 0)
    return FALSE;
  batch->spool_fd = fd;
  batch->spool_path = g_strdup (path);
  return spool_flush (batch, error);
}

static ViStoreAnnotation *
new_part (ViStoreBatch    *batch,
          const char      *group_id,
          ViStorePartKind  kind,
          gint64           now)
{
  ViStoreAnnotation *ann = g_new0 (ViStoreAnnotation, 1);
  char id[ID_LENGTH + 1];

  do
    random_id (id);
  while (g_hash_table_contains (batch->ids, id));

  ann->seq = batch->parts->len;
  ann->id = g_strdup (id);
  g_hash_table_add (batch->ids, ann->id);
  ann->group_id = g_ref_string_acquire ((char *) group_id);
  ann->kind = kind;
  ann->time_created = now;
  ann->last_updated = now;
  ann->generation = 1;
  ann->etag = random_etag ();
  return ann;
}

static void
batch_add_part (ViStoreBatch      *batch,
                const char        *asset_id,
                ViStoreAnnotation *ann)
{
  if (ann->kind == VI_STORE_PART_BOX)
    ann->box_json = box_contents_json (ann);
  if (batch->persist)
    append_put_line (batch->lines, batch->dataset_id, asset_id, ann->seq, ann);
  g_ptr_array_add (batch->parts, ann);
  g_ptr_array_add (batch->part_assets, (gpointer) asset_id);
}

/**
 * vi_store_batch_add_records:
 * @batch: a batch
 * @records: (array length=n_records): records; their spans are computed
 * @n_records: the number of records
 * @error: return location for a #GError
 *
 * Makes the annotation parts of @records (design.md section 7: one Caption
 * part when the record has a caption, one PhraseGroundingBoundingBox part
 * per grounded phrase, one Vqa part per interaction, all sharing a new
 * group id), without touching the store: no lock is needed.  Every record
 * is checked first; on failure nothing of @records is added.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_batch_add_records (ViStoreBatch   *batch,
                            ViJsonlRecord **records,
                            guint           n_records,
                            GError        **error)
{
  gint64 now = now_ms ();
  guint i, j;

  for (i = 0; i < n_records; i++)
    {
      if (!check_record (records[i], i, error))
        return FALSE;
    }

  for (i = 0; i < n_records; i++)
    {
      ViJsonlRecord *record = records[i];
      const char *caption = vi_jsonl_record_get_caption (record);
      guint n_phrases = vi_jsonl_record_get_n_phrases (record);
      guint n_interactions = vi_jsonl_record_get_n_interactions (record);
      const char *asset_id = vi_jsonl_record_get_asset_id (record);
      char *owned_asset_id;
      char group_buf[ID_LENGTH + 1];
      char *group;
      guint first = batch->parts->len;

      if (!g_hash_table_lookup_extended (batch->asset_ids, asset_id,
                                         (gpointer *) &owned_asset_id, NULL))
        {
          owned_asset_id = g_strdup (asset_id);
          g_hash_table_add (batch->asset_ids, owned_asset_id);
        }

      random_id (group_buf);
      group = g_ref_string_new (group_buf);

      if (caption != NULL)
        {
          ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_CAPTION, now);

          ann->text = g_strdup (caption);
          batch_add_part (batch, owned_asset_id, ann);
        }
      for (j = 0; j < n_phrases; j++)
        {
          const ViGroundedPhrase *phrase = vi_jsonl_record_get_phrase (record, j);
          ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_BOX, now);

          ann->bbox = phrase->bbox;
          ann->target[0] = phrase->start;
          ann->target[1] = phrase->end;
          batch_add_part (batch, owned_asset_id, ann);
        }
      for (j = 0; j < n_interactions; j++)
        {
          const ViVqaInteraction *vqa = vi_jsonl_record_get_interaction (record, j);
          ViStoreAnnotation *ann = new_part (batch, group, VI_STORE_PART_VQA, now);

          ann->text = g_strdup (vqa->question);
          ann->answer = g_strdup (vqa->answer);
          batch_add_part (batch, owned_asset_id, ann);
        }
      g_ref_string_release (group);

      /* A line with nothing to store still makes its asset known. */
      if (first == batch->parts->len)
        g_hash_table_add (batch->bare_assets, owned_asset_id);
    }

  if (batch->lines->len >= SPOOL_CHUNK)
    return spool_flush (batch, error);
  return TRUE;
}

static void
append_record_line (GString    *out,
                    const char *kind,
                    const char *id,
                    const char *json)
{
  APPEND_LITERAL (out, "{\"op\":\"record\",\"kind\":");
  _vi_json_append_string (out, kind);
  APPEND_LITERAL (out, ",\"id\":");
  _vi_json_append_string (out, id);
  APPEND_LITERAL (out, ",\"value\":");
  g_string_append (out, json);
  APPEND_LITERAL (out, "}\n");
}

static void
records_put (ViStore    *store,
             const char *kind,
             const char *id,
             const char *json)
{
  GHashTable *of_kind = g_hash_table_lookup (store->records, kind);

  if (of_kind == NULL)
    {
      of_kind = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (store->records, g_strdup (kind), of_kind);
    }
  g_hash_table_insert (of_kind, g_strdup (id), g_strdup (json));
}

/* Copies the batch's lines into the journal.  Called with everything
 * before them written; the caller cuts the journal back on failure. */
static gboolean
journal_copy_batch (ViStore       *store,
                    ViStoreBatch  *batch,
                    GError       **error)
{
  if (batch->spool_fd >= 0)
    {
      g_autofree char *buf = g_malloc (SPOOL_CHUNK);
      guint64 done = 0;

      if (!spool_flush (batch, error))
        return FALSE;
      while (done < batch->spool_bytes)
        {
          gssize n = pread (batch->spool_fd, buf,
                            (gsize) MIN ((guint64) SPOOL_CHUNK, batch->spool_bytes - done),
                            (off_t) done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              int errsv = n < 0 ? errno : EIO;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                           "cannot read %s: %s", batch->spool_path, g_strerror (errsv));
              return FALSE;
            }
          if (!write_all (store->journal_fd, "the journal", buf, (gsize) n, error))
            return FALSE;
          done += (guint64) n;
        }
      return TRUE;
    }
  return write_all (store->journal_fd, "the journal", batch->lines->str, batch->lines->len,
                    error);
}

/* Appends a transaction: {"op":"begin","seqBase":N,"bytes":B}, B bytes of
 * lines (head, the batch's put lines, tail), {"op":"commit"}.  Loading
 * applies it only when the commit line is where "bytes" says, so a crash
 * in the middle of writing it leaves none of it. */
static gboolean
journal_append_transaction (ViStore       *store,
                            guint64        seq_base,
                            GString       *head,
                            ViStoreBatch  *batch,
                            GString       *tail,
                            GError       **error)
{
  g_autoptr(GString) begin = g_string_new (NULL);
  guint64 bytes = head->len + batch->spool_bytes + batch->lines->len + tail->len;
  off_t start;

  APPEND_LITERAL (begin, "{\"op\":\"begin\",\"seqBase\":");
  append_uint (begin, seq_base);
  APPEND_LITERAL (begin, ",\"bytes\":");
  append_uint (begin, bytes);
  APPEND_LITERAL (begin, "}\n");
  g_string_append_len (begin, head->str, head->len);

  start = lseek (store->journal_fd, 0, SEEK_END);
  if (!write_all (store->journal_fd, "the journal", begin->str, begin->len, error) ||
      !journal_copy_batch (store, batch, error) ||
      !write_all (store->journal_fd, "the journal", tail->str, tail->len, error) ||
      !write_all (store->journal_fd, "the journal", COMMIT_LINE, sizeof COMMIT_LINE - 1,
                  error))
    {
      if (start >= 0 && ftruncate (store->journal_fd, start) != 0)
        g_warning ("cannot cut the journal in %s back: %s",
                   store->dir, g_strerror (errno));
      return FALSE;
    }
  store->journal_ops += batch->parts->len + 2;
  return TRUE;
}

/**
 * vi_store_commit:
 * @store: the store; called with the server's lock held
 * @batch: a batch made for @store; it is emptied
 * @record_kind: (nullable): the kind of a record to set with the parts
 * @record_id: (nullable): its id
 * @record_json: (nullable): its value, one JSON value on one line
 * @n_added: (out) (optional): the number of parts added
 * @error: return location for a #GError
 *
 * Adds the parts of @batch to the store, and sets the record, all at once:
 * in memory under the lock, and in the journal as one transaction, so that
 * after a crash either all of it or none of it is there.
 *
 * Returns: %TRUE on success; on failure nothing changed
 */
gboolean
vi_store_commit (ViStore       *store,
                 ViStoreBatch  *batch,
                 const char    *record_kind,
                 const char    *record_id,
                 const char    *record_json,
                 guint         *n_added,
                 GError       **error)
{
  const char *dataset_id = batch->dataset_id;
  ViStoreDataset *dataset;
  guint64 seq_base = store->next_seq;
  GHashTableIter iter;
  gpointer key;
  guint i;

  g_return_val_if_fail (batch->persist == (store->dir != NULL), FALSE);

  if (n_added != NULL)
    *n_added = 0;
  if (!vi_store_dataset_id_is_valid (dataset_id))
    return vi_store_ensure_dataset (store, dataset_id, error);

  /* Ids are 120 random bits: a collision with a stored part is not going to
   * happen, but it would replace that part, so it is checked. */
  dataset = vi_store_lookup_dataset (store, dataset_id);
  for (i = 0; dataset != NULL && i < batch->parts->len; i++)
    {
      ViStoreAnnotation *ann = g_ptr_array_index (batch->parts, i);

      if (g_hash_table_contains (dataset->annotations, ann->id))
        {
          g_set_error (error, VI_ERROR, VI_ERROR_FAILED,
                       "a new annotation id collided with a stored one (%s); try again",
                       ann->id);
          return FALSE;
        }
    }

  if (store->dir != NULL)
    {
      g_autoptr(GString) head = g_string_new (NULL);
      g_autoptr(GString) tail = g_string_new (NULL);

      if (dataset == NULL)
        append_simple_line (head, "dataset", dataset_id, NULL, NULL);
      g_hash_table_iter_init (&iter, batch->bare_assets);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          if (dataset == NULL || vi_store_dataset_lookup_asset (dataset, key) == NULL)
            append_simple_line (head, "asset", dataset_id, "asset", key);
        }
      if (record_kind != NULL)
        append_record_line (tail, record_kind, record_id, record_json);
      if ((head->len > 0 || batch->parts->len > 0 || tail->len > 0) &&
          !journal_append_transaction (store, seq_base, head, batch, tail, error))
        return FALSE;
      if (record_kind != NULL)
        records_put (store, record_kind, record_id, record_json);
    }

  /* Commit: the parts now belong to the store. */
  dataset = get_dataset (store, dataset_id);
  g_hash_table_iter_init (&iter, batch->bare_assets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    get_asset (dataset, key);
  g_ptr_array_set_free_func (batch->parts, NULL);
  for (i = 0; i < batch->parts->len; i++)
    {
      ViStoreAnnotation *ann = g_ptr_array_index (batch->parts, i);

      ann->seq += seq_base;
      store_insert (store, get_asset (dataset, g_ptr_array_index (batch->part_assets, i)), ann);
    }
  store->next_seq = MAX (store->next_seq, seq_base + batch->parts->len);
  if (n_added != NULL)
    *n_added = batch->parts->len;

  g_hash_table_remove_all (batch->ids);
  g_ptr_array_set_size (batch->parts, 0);
  g_ptr_array_set_free_func (batch->parts, (GDestroyNotify) annotation_free);
  g_ptr_array_set_size (batch->part_assets, 0);
  g_hash_table_remove_all (batch->bare_assets);

  journal_maybe_compact (store);
  return TRUE;
}

/* Adds the records as one batch. */
gboolean
vi_store_add_records (ViStore        *store,
                      const char     *dataset_id,
                      ViJsonlRecord **records,
                      guint           n_records,
                      guint          *n_added,
                      GError        **error)
{
  g_autoptr(ViStoreBatch) batch = NULL;

  if (n_added != NULL)
    *n_added = 0;
  if (!vi_store_dataset_id_is_valid (dataset_id))
    return vi_store_ensure_dataset (store, dataset_id, error);

  batch = vi_store_batch_new (store, dataset_id);
  return vi_store_batch_add_records (batch, records, n_records, error) &&
         vi_store_commit (store, batch, NULL, NULL, NULL, n_added, error);
}

/**
 * vi_store_set_record:
 * @store: a store; called with the server's lock held
 * @kind: the kind of record ("session")
 * @id: its id within the kind
 * @json: its value, one JSON value on one line
 * @error: return location for a #GError
 *
 * Keeps an opaque record with the data directory: journaled now, in every
 * snapshot, and handed back by vi_store_foreach_record() after a restart.
 * Without a data directory, does nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
vi_store_set_record (ViStore     *store,
                     const char  *kind,
                     const char  *id,
                     const char  *json,
                     GError     **error)
{
  g_autoptr(GString) line = NULL;

  if (store->dir == NULL)
    return TRUE;
  line = g_string_new (NULL);
  append_record_line (line, kind, id, json);
  if (!journal_append (store, line, 1, error))
    return FALSE;
  records_put (store, kind, id, json);
  journal_maybe_compact (store);
  return TRUE;
}

void
vi_store_foreach_record (ViStore           *store,
                         const char        *kind,
                         ViStoreRecordFunc  func,
                         gpointer           user_data)
{
  GHashTable *of_kind = g_hash_table_lookup (store->records, kind);
  GHashTableIter iter;
  gpointer key, value;

  if (of_kind == NULL)
    return;
  g_hash_table_iter_init (&iter, of_kind);
  while (g_hash_table_iter_next (&iter, &key, &value))
    func (key, value, user_data);
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
            {
              const ViStoreAnnotation *ann = g_sequence_get (it);

              append_put_line (out, dataset->id, asset->id, ann->seq, ann);
            }
        }
    }

  {
    guint n_kinds;
    g_autofree gpointer *kinds = g_hash_table_get_keys_as_array (store->records, &n_kinds);

    qsort (kinds, n_kinds, sizeof (gpointer), compare_strings);
    for (i = 0; i < n_kinds; i++)
      {
        GHashTable *of_kind = g_hash_table_lookup (store->records, kinds[i]);
        g_autofree gpointer *ids = NULL;
        guint n_ids, j;

        ids = g_hash_table_get_keys_as_array (of_kind, &n_ids);
        qsort (ids, n_ids, sizeof (gpointer), compare_strings);
        for (j = 0; j < n_ids; j++)
          append_record_line (out, kinds[i], ids[j], g_hash_table_lookup (of_kind, ids[j]));
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

  /* In a transaction, seq counts from its seqBase. */
  if (seq >= 0 && (guint64) seq <= G_MAXINT64 - store->load_seq_base)
    seq += (gint64) store->load_seq_base;
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

  if (g_str_equal (op, "record"))
    {
      const char *kind, *id;
      JsonNode *value = json_object_get_member (obj, "value");
      g_autofree char *json = NULL;

      if ((kind = get_string (obj, "kind", error)) == NULL ||
          (id = get_string (obj, "id", error)) == NULL)
        return FALSE;
      if (value == NULL)
        {
          g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_DATA, "missing “value”");
          return FALSE;
        }
      json = json_to_string (value, FALSE);
      records_put (store, kind, id, json);
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
  g_autofree char *contents = NULL;
  const char *txn_end = NULL;     /* where the open transaction's commit line is */
  gsize length;
  char *line, *end;
  guint line_no = 0;

  *n_ops = 0;
  store->load_seq_base = 0;
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  for (line = contents; line < contents + length; line = end + 1)
    {
      g_autoptr(JsonNode) root = NULL;
      const char *op;

      line_no++;
      end = memchr (line, '\n', contents + length - line);
      if (end == NULL)
        {
          /* Every record ends with a newline: this is a write that was cut
           * short by a crash, and it was never applied. */
          g_warning ("%s:%u: ignoring an incomplete last line", path, line_no);
          break;
        }

      if (txn_end != NULL && line >= txn_end)
        {
          /* "bytes" of the begin line led exactly here, and the commit
           * line was checked to be here. */
          if (line != txn_end)
            {
              g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                                   "a transaction does not end where its “bytes” say");
              goto bad_line;
            }
          txn_end = NULL;
          store->load_seq_base = 0;
          (*n_ops)++;
          continue;
        }
      if (end == line)
        continue;

      root = vi_server_json_parse (line, end - line, &local_error);
      if (root == NULL)
        goto bad_line;
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                               "not a JSON object");
          goto bad_line;
        }

      op = get_string (json_node_get_object (root), "op", &local_error);
      if (op == NULL)
        goto bad_line;
      if (g_str_equal (op, "begin"))
        {
          JsonObject *obj = json_node_get_object (root);
          gint64 seq_base, bytes;

          if (txn_end != NULL)
            {
              g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                                   "a transaction begins inside another");
              goto bad_line;
            }
          if (!get_int (obj, "seqBase", &seq_base, &local_error) ||
              !get_int (obj, "bytes", &bytes, &local_error))
            goto bad_line;
          if (seq_base <= 0 || bytes < 0)
            {
              g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                                   "invalid seqBase or bytes");
              goto bad_line;
            }
          /* Applied only when complete: a crash while it was written (it is
           * always the end of the journal then) leaves nothing of it. */
          if ((guint64) bytes > (guint64) (contents + length - (end + 1)) ||
              (gsize) (contents + length - (end + 1 + bytes)) < sizeof COMMIT_LINE - 1 ||
              memcmp (end + 1 + bytes, COMMIT_LINE, sizeof COMMIT_LINE - 1) != 0)
            {
              g_warning ("%s:%u: ignoring a transaction of %" G_GINT64_FORMAT " bytes that "
                         "was not completely written (an import interrupted by a crash)",
                         path, line_no, bytes);
              break;
            }
          txn_end = end + 1 + bytes;
          store->load_seq_base = (guint64) seq_base;
          (*n_ops)++;
          continue;
        }
      if (g_str_equal (op, "commit"))
        {
          g_set_error_literal (&local_error, VI_ERROR, VI_ERROR_INVALID_DATA,
                               "a commit outside a transaction");
          goto bad_line;
        }
      if (!load_op (store, json_node_get_object (root), &local_error))
        goto bad_line;
      (*n_ops)++;
    }
  store->load_seq_base = 0;
  return TRUE;

bad_line:
  store->load_seq_base = 0;
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

  fd = open_file (journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, error);
  if (fd < 0)
    goto fail;

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
  g_hash_table_remove_all (store->records);
  store->n_annotations = 0;
  store->next_seq = 1;
  return FALSE;
}
