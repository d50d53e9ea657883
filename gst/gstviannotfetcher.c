/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <gio/gio.h>

#include "gstviannotfetcher.h"
#include "gstviannotelements.h"

#define GST_CAT_DEFAULT gst_vi_annot_debug

#define MIN_CACHE_SIZE 32

typedef enum
{
  ENTRY_NEW,                    /* queued, not requested yet */
  ENTRY_FETCHING,
  ENTRY_READY,
  ENTRY_NO_ASSET,               /* template mode: 404 */
  ENTRY_FAILED,
} EntryState;

/* One asset, in the cache. */
typedef struct
{
  gchar *asset_id;
  guint64 index;                /* asked for by this frame; G_MAXUINT64: any */
  GstViAnnotSet *set;           /* NULL until fetched */
  EntryState state;
  gboolean in_flight;
  gboolean refresh_queued;
  gint64 fetched_at;            /* monotonic, us */
  guint64 last_use;
  GError *error;                /* ENTRY_FAILED, ENTRY_NO_ASSET: why */
} Entry;

typedef struct
{
  gchar *asset_id;
  guint64 index;                /* G_MAXUINT64: never stale */
} QueueItem;

typedef struct
{
  GstViAnnotStore store;

  GstViAnnotWorker *worker;
  const GstViAnnotConfig *config;       /* the element's, immutable */
  const GstViAnnotFrameMap *map;        /* the element's, immutable */
  const GstViAnnotErrorContext *ctx;    /* the element's, immutable */
  gboolean template_mode;
  guint page_size;
  guint prefetch;
  guint refresh_interval;
  GCancellable *cancellable;    /* cancelled in stop only */

  /* worker thread only */
  gboolean shutting_down;
  GSource *refresh_source;
  GSource *retry_source;
  gboolean warned_refresh;

  /* store lock */
  GHashTable *cache;            /* asset id -> Entry */
  GQueue queue;                 /* QueueItem: assets to fetch */
  guint in_flight;
  gboolean pump_scheduled;
  guint64 use_clock;            /* LRU stamp */
  guint64 current_index;
  guint64 next_prefetch;
  GstViAnnotOutage outage;
  gboolean retry_due;           /* outage: the next request may go */
  guint64 outage_missed;        /* frames-missed when it started */
  gboolean found_asset;
  gboolean warned_no_asset;
} GstViAnnotFetcher;

typedef struct
{
  GstViAnnotFetcher *self;
  gchar *asset_id;
  gint64 start_time;
  gboolean refresh;
} FetchData;

static gboolean _pump_cb (gpointer user_data);

static void
entry_free (Entry * entry)
{
  g_free (entry->asset_id);
  g_clear_pointer (&entry->set, gst_vi_annot_set_unref);
  g_clear_error (&entry->error);
  g_free (entry);
}

static void
queue_item_free (QueueItem * item)
{
  g_free (item->asset_id);
  g_free (item);
}

/* Called with the lock. */
static void
schedule_pump_locked (GstViAnnotFetcher * self)
{
  if (self->pump_scheduled)
    return;
  self->pump_scheduled = TRUE;
  gst_vi_annot_worker_invoke (self->worker, _pump_cb, self, NULL);
}

static void
enqueue_locked (GstViAnnotFetcher * self, const gchar * asset_id,
    guint64 index, gboolean head)
{
  QueueItem *item = g_new0 (QueueItem, 1);

  item->asset_id = g_strdup (asset_id);
  item->index = index;
  if (head)
    g_queue_push_head (&self->queue, item);
  else
    g_queue_push_tail (&self->queue, item);
  schedule_pump_locked (self);
}

/* Called with the lock: queue asset for fetching unless it is there. */
static Entry *
request_asset_locked (GstViAnnotFetcher * self, const gchar * asset_id,
    guint64 index)
{
  Entry *entry = g_hash_table_lookup (self->cache, asset_id);

  if (entry != NULL)
    return entry;

  entry = g_new0 (Entry, 1);
  entry->asset_id = g_strdup (asset_id);
  entry->index = index;
  entry->state = ENTRY_NEW;
  entry->last_use = ++self->use_clock;
  g_hash_table_insert (self->cache, entry->asset_id, entry);
  enqueue_locked (self, asset_id, index, FALSE);

  return entry;
}

/* Called with the lock: a fetched asset is fetched again, the current
 * set staying in use meanwhile. */
static void
request_refresh_locked (GstViAnnotFetcher * self, Entry * entry)
{
  if (entry->in_flight || entry->refresh_queued)
    return;
  entry->refresh_queued = TRUE;
  enqueue_locked (self, entry->asset_id, G_MAXUINT64, FALSE);
}

/* Called with the lock: keeps the cache bounded, evicting the least
 * recently used entries that are neither in flight nor queued. */
static void
evict_locked (GstViAnnotFetcher * self)
{
  guint capacity = MAX (self->prefetch * 4, MIN_CACHE_SIZE);

  while (g_hash_table_size (self->cache) > capacity) {
    GHashTableIter iter;
    gpointer value;
    Entry *oldest = NULL;

    g_hash_table_iter_init (&iter, self->cache);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      Entry *e = value;

      if (e->in_flight || e->state == ENTRY_NEW || e->refresh_queued)
        continue;
      if (oldest == NULL || e->last_use < oldest->last_use)
        oldest = e;
    }
    if (oldest == NULL)
      break;
    g_hash_table_remove (self->cache, oldest->asset_id);
  }
}

/* Called with the lock: the service did not answer. */
static void
begin_outage_locked (GstViAnnotFetcher * self, const gchar * why,
    const GError * error, const gchar * asset_id)
{
  if (!gst_vi_annot_outage_begin (&self->outage))
    return;

  self->retry_due = FALSE;
  self->outage_missed = self->store.stats.frames_missed;
  self->store.stats.outages++;
  GST_WARNING_OBJECT (self->store.element, "outage: %s", why);
  gst_vi_annot_store_post_locked (&self->store,
      gst_vi_annot_outage_message_new (self->store.element, why, error,
          asset_id, self->ctx));
}

/* Called with the lock: the service answered; @back when with
 * annotations (or a 404), so that they are back. */
static void
end_outage_locked (GstViAnnotFetcher * self, gboolean back)
{
  gint64 duration;

  self->retry_due = FALSE;
  if (!gst_vi_annot_outage_end (&self->outage, &duration))
    return;

  GST_INFO_OBJECT (self->store.element, "outage over");
  if (back)
    gst_vi_annot_store_post_locked (&self->store,
        gst_vi_annot_back_message_new (self->store.element, duration,
            "frames-missed",
            self->store.stats.frames_missed - self->outage_missed, self->ctx));
}

static gboolean
_retry_cb (gpointer user_data)
{
  GstViAnnotFetcher *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);

  gst_vi_annot_store_lock (&self->store);
  if (self->outage.active && !self->shutting_down) {
    self->retry_due = TRUE;
    schedule_pump_locked (self);
  }
  gst_vi_annot_store_unlock (&self->store);

  return G_SOURCE_REMOVE;
}

/* On the worker: the next request of an outage, after the outage's next
 * delay. */
static void
schedule_retry (GstViAnnotFetcher * self)
{
  guint delay;

  if (self->retry_source != NULL || self->shutting_down)
    return;

  delay = gst_vi_annot_outage_next_delay (&self->outage);
  GST_DEBUG_OBJECT (self->store.element, "retrying in %u ms", delay);
  self->retry_source = gst_vi_annot_worker_add_timeout (self->worker, delay,
      _retry_cb, self, NULL);
}

static void
_fetch_done_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  FetchData *fd = user_data;
  GstViAnnotFetcher *self = fd->self;
  GError *error = NULL, *refresh_error = NULL;
  GPtrArray *annotations;
  GstViAnnotSet *set = NULL, *old = NULL;
  Entry *entry;
  gboolean transient, cancelled, no_asset;
  guint count = 0;

  annotations = vi_client_list_all_annotations_finish (VI_CLIENT (source),
      result, &error);
  if (annotations != NULL) {
    count = annotations->len;
    set = gst_vi_annot_set_new_from_annotations (self->config->dataset_id,
        fd->asset_id, annotations);
    g_ptr_array_unref (annotations);
  }
  transient = gst_vi_annot_error_is_transient (error);

  cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  no_asset = self->template_mode &&
      g_error_matches (error, VI_ERROR, VI_ERROR_NOT_FOUND);

  gst_vi_annot_store_lock (&self->store);
  self->in_flight--;
  if (error != NULL && !cancelled)
    self->store.stats.fetch_errors++;
  /* Any answer ends an outage. */
  if (!cancelled && !transient)
    end_outage_locked (self, error == NULL || no_asset);

  entry = g_hash_table_lookup (self->cache, fd->asset_id);
  if (entry == NULL) {
    /* Evicted meanwhile. */
  } else if (set != NULL) {
    entry->in_flight = FALSE;
    old = entry->set;
    entry->set = g_steal_pointer (&set);
    entry->state = ENTRY_READY;
    entry->fetched_at = g_get_monotonic_time ();
    self->found_asset = TRUE;
    if (fd->refresh)
      self->store.stats.refreshes++;
  } else if (cancelled) {
    entry->in_flight = FALSE;
    if (entry->set == NULL)
      entry->state = ENTRY_NEW;
  } else if (transient) {
    /* No answer: nothing is known about the asset; ask again when the
     * outage's next request may go. */
    entry->in_flight = FALSE;
    if (entry->set == NULL)
      entry->state = ENTRY_NEW;
    if (!self->shutting_down) {
      entry->refresh_queued = entry->set != NULL;
      enqueue_locked (self, entry->asset_id,
          entry->set != NULL ? G_MAXUINT64 : entry->index, TRUE);
    }
    begin_outage_locked (self, error->message, error, fd->asset_id);
  } else if (no_asset) {
    /* Said when a frame asks for this asset (lookup), not before: the
     * 404 of an asset prefetched past the end of the stream may come
     * back before the assets that exist. */
    entry->in_flight = FALSE;
    entry->state = ENTRY_NO_ASSET;
    g_clear_error (&entry->error);
    entry->error = g_error_copy (error);
  } else if (entry->set != NULL) {
    /* A refresh was refused: keep what we have, say it once. */
    entry->in_flight = FALSE;
    if (!self->warned_refresh)
      refresh_error = g_error_copy (error);
    self->warned_refresh = TRUE;
  } else {
    /* Reported when a frame asks for this asset, not before: a prefetch
     * past the end of the stream is no error. */
    entry->in_flight = FALSE;
    entry->state = ENTRY_FAILED;
    g_clear_error (&entry->error);
    entry->error = g_error_copy (error);
  }

  if (self->outage.active && transient && !self->shutting_down)
    schedule_retry (self);
  else if (!self->outage.active && self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  g_cond_broadcast (&self->store.cond);
  if (!self->shutting_down)
    schedule_pump_locked (self);
  gst_vi_annot_store_unlock (&self->store);

  if (old != NULL)
    gst_vi_annot_set_unref (old);
  if (set != NULL)
    gst_vi_annot_set_unref (set);

  if (error == NULL) {
    gst_vi_annot_store_post_fetched (&self->store, fd->asset_id, count,
        fd->start_time, fd->refresh, "dataset-id", self->config->dataset_id);
  } else if (refresh_error != NULL) {
    gst_vi_annot_post_request_error (self->store.element, GST_MESSAGE_WARNING,
        refresh_error, fd->asset_id, self->ctx);
  } else if (!cancelled) {
    GST_INFO_OBJECT (self->store.element, "fetching '%s' failed: %s",
        fd->asset_id, error->message);
  }

  g_clear_error (&refresh_error);
  g_clear_error (&error);
  g_free (fd->asset_id);
  g_free (fd);

  if (self->shutting_down && self->in_flight == 0)
    gst_vi_annot_worker_quit (self->worker);
}

/* On the worker: starts queued fetches, up to prefetch in flight, or
 * during an outage one when its retry is due. */
static gboolean
_pump_cb (gpointer user_data)
{
  GstViAnnotFetcher *self = user_data;
  ViClient *client = gst_vi_annot_worker_get_client (self->worker);
  guint max_in_flight = self->template_mode ? self->prefetch : 1;

  gst_vi_annot_store_lock (&self->store);
  self->pump_scheduled = FALSE;
  if (self->outage.active)
    max_in_flight = self->retry_due ? 1 : 0;

  while (!self->shutting_down && self->in_flight < max_in_flight) {
    QueueItem *item = g_queue_pop_head (&self->queue);
    Entry *entry;
    FetchData *fd;

    if (item == NULL)
      break;
    entry = g_hash_table_lookup (self->cache, item->asset_id);
    if (entry == NULL || entry->in_flight || (entry->state != ENTRY_NEW &&
            !entry->refresh_queued)) {
      queue_item_free (item);
      continue;
    }
    /* Frames that went by need nothing. */
    if (item->index != G_MAXUINT64 && item->index < self->current_index &&
        entry->state == ENTRY_NEW) {
      g_hash_table_remove (self->cache, item->asset_id);
      queue_item_free (item);
      continue;
    }

    fd = g_new0 (FetchData, 1);
    fd->self = self;
    fd->asset_id = g_strdup (item->asset_id);
    fd->start_time = g_get_monotonic_time ();
    fd->refresh = entry->set != NULL;
    entry->in_flight = TRUE;
    entry->refresh_queued = FALSE;
    if (entry->state == ENTRY_NEW)
      entry->state = ENTRY_FETCHING;
    self->in_flight++;
    self->store.stats.fetches++;
    self->retry_due = FALSE;
    queue_item_free (item);

    GST_LOG_OBJECT (self->store.element, "fetching '%s'", fd->asset_id);
    vi_client_list_all_annotations_async (client, self->config->dataset_id,
        fd->asset_id, self->page_size, self->cancellable, _fetch_done_cb, fd);
  }
  gst_vi_annot_store_unlock (&self->store);

  return G_SOURCE_REMOVE;
}

static gboolean
_refresh_cb (gpointer user_data)
{
  GstViAnnotFetcher *self = user_data;
  Entry *entry;

  gst_vi_annot_store_lock (&self->store);
  entry = g_hash_table_lookup (self->cache,
      gst_vi_annot_frame_map_get_asset_id (self->map));
  if (entry != NULL && entry->state == ENTRY_READY)
    request_refresh_locked (self, entry);
  gst_vi_annot_store_unlock (&self->store);

  return G_SOURCE_CONTINUE;
}

/* On the worker: the first requests start there, so that they overlap
 * the preroll. */
static gboolean
_setup_cb (gpointer user_data)
{
  GstViAnnotFetcher *self = user_data;

  if (self->refresh_interval > 0 && !self->template_mode)
    self->refresh_source = gst_vi_annot_worker_add_timeout (self->worker,
        self->refresh_interval * 1000, _refresh_cb, self, NULL);

  gst_vi_annot_store_lock (&self->store);
  if (!self->template_mode) {
    request_asset_locked (self, gst_vi_annot_frame_map_get_asset_id
        (self->map), G_MAXUINT64);
  } else {
    guint64 first = self->current_index;

    for (; self->next_prefetch < first + self->prefetch; self->next_prefetch++) {
      gchar *asset = gst_vi_annot_frame_map_format (self->map,
          self->next_prefetch);

      request_asset_locked (self, asset, self->next_prefetch);
      g_free (asset);
    }
  }
  gst_vi_annot_store_unlock (&self->store);

  return G_SOURCE_REMOVE;
}

/* With the lock: queues the assets of the frames ahead. */
static void
gst_vi_annot_fetcher_prefetch (GstViAnnotStore * store, guint64 index)
{
  GstViAnnotFetcher *self = (GstViAnnotFetcher *) store;

  if (index < self->current_index || index > self->next_prefetch)
    self->next_prefetch = index;
  self->current_index = index;

  while (self->next_prefetch < index + self->prefetch) {
    gchar *asset = gst_vi_annot_frame_map_format (self->map,
        self->next_prefetch);

    request_asset_locked (self, asset, self->next_prefetch);
    g_free (asset);
    self->next_prefetch++;
  }
  evict_locked (self);
}

/* With the lock, on the streaming thread: a frame met the missing asset
 * of @entry.  The first time, while no asset of the template was found,
 * warn that the template or the dataset may be wrong. */
static void
warn_no_asset_locked (GstViAnnotFetcher * self, Entry * entry)
{
  GError *err;
  GstStructure *details;
  gchar *debug;

  if (self->found_asset || self->warned_no_asset)
    return;
  self->warned_no_asset = TRUE;

  err = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      _("Asset \"%s\" is not in dataset \"%s\" (HTTP 404): frames whose "
          "asset does not exist pass without annotations. If no frame gets "
          "any, check dataset-id and asset-id-template."), entry->asset_id,
      self->config->dataset_id);
  debug = g_strdup_printf ("%s (%s)", entry->error->message,
      self->ctx->service);
  details = gst_structure_new ("details",
      "http-status-code", G_TYPE_UINT, vi_error_get_http_status (entry->error),
      "asset-id", G_TYPE_STRING, entry->asset_id, NULL);
  GST_WARNING_OBJECT (self->store.element, "%s", err->message);
  gst_vi_annot_store_post_locked (&self->store,
      gst_message_new_warning_with_details (GST_OBJECT (self->store.element),
          err, debug, details));
  g_error_free (err);
  g_free (debug);
}

static GstViAnnotLookup
gst_vi_annot_fetcher_lookup (GstViAnnotStore * store, const gchar * asset_id,
    guint64 index, GstViAnnotSet ** set, GError ** error)
{
  GstViAnnotFetcher *self = (GstViAnnotFetcher *) store;
  Entry *entry = g_hash_table_lookup (self->cache, asset_id);

  /* Evicted, or a jump in the stream: ask for it now. */
  if (entry == NULL)
    entry = request_asset_locked (self, asset_id, index);
  entry->last_use = ++self->use_clock;

  switch (entry->state) {
    case ENTRY_READY:
      if (self->template_mode && self->refresh_interval > 0 &&
          g_get_monotonic_time () - entry->fetched_at >
          (gint64) self->refresh_interval * G_USEC_PER_SEC)
        request_refresh_locked (self, entry);
      *set = gst_vi_annot_set_ref (entry->set);
      return GST_VI_ANNOT_LOOKUP_READY;
    case ENTRY_NO_ASSET:
      warn_no_asset_locked (self, entry);
      return GST_VI_ANNOT_LOOKUP_NO_ASSET;
    case ENTRY_FAILED:
      *error = g_error_copy (entry->error);
      return GST_VI_ANNOT_LOOKUP_FAILED;
    case ENTRY_NEW:
    case ENTRY_FETCHING:
    default:
      return self->outage.active ? GST_VI_ANNOT_LOOKUP_UNAVAILABLE :
          GST_VI_ANNOT_LOOKUP_PENDING;
  }
}

/* With the lock, on the streaming thread: a frame waited max-wait for
 * @asset_id, whose request is still out. */
static void
gst_vi_annot_fetcher_wait_expired (GstViAnnotStore * store,
    const gchar * asset_id)
{
  GstViAnnotFetcher *self = (GstViAnnotFetcher *) store;
  gchar *why;

  if (self->outage.active)
    return;
  why = g_strdup_printf ("no answer for asset \"%s\" within max-wait",
      asset_id);
  begin_outage_locked (self, why, NULL, asset_id);
  g_free (why);
  /* Nothing in flight would end it or schedule a retry: let one go. */
  if (self->in_flight == 0) {
    self->retry_due = TRUE;
    schedule_pump_locked (self);
  }
}

static gboolean
_shutdown_cb (gpointer user_data)
{
  GstViAnnotFetcher *self = user_data;

  self->shutting_down = TRUE;
  if (self->refresh_source != NULL) {
    g_source_destroy (self->refresh_source);
    g_clear_pointer (&self->refresh_source, g_source_unref);
  }
  if (self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  /* In-flight requests were cancelled: the last callback quits. */
  if (self->in_flight == 0)
    gst_vi_annot_worker_quit (self->worker);

  return G_SOURCE_REMOVE;
}

static void
gst_vi_annot_fetcher_stop (GstViAnnotStore * store)
{
  GstViAnnotFetcher *self = (GstViAnnotFetcher *) store;

  g_cancellable_cancel (self->cancellable);
  gst_vi_annot_worker_invoke (self->worker, _shutdown_cb, self, NULL);
}

static void
gst_vi_annot_fetcher_free (GstViAnnotStore * store)
{
  GstViAnnotFetcher *self = (GstViAnnotFetcher *) store;

  g_queue_clear_full (&self->queue, (GDestroyNotify) queue_item_free);
  g_hash_table_unref (self->cache);
  g_object_unref (self->cancellable);
  gst_vi_annot_store_clear (store);
  g_free (self);
}

static const GstViAnnotStoreFuncs fetcher_funcs = {
  gst_vi_annot_fetcher_lookup,
  gst_vi_annot_fetcher_prefetch,
  gst_vi_annot_fetcher_wait_expired,
  gst_vi_annot_fetcher_stop,
  gst_vi_annot_fetcher_free,
};

/* @config, @map and @ctx belong to the element and must outlive the
 * store; the worker's client must exist.  The first requests start at
 * once, on the worker. */
GstViAnnotStore *
gst_vi_annot_fetcher_new (GstElement * element, GstViAnnotWorker * worker,
    const GstViAnnotConfig * config, const GstViAnnotFrameMap * map,
    const GstViAnnotErrorContext * ctx, guint page_size, guint prefetch,
    guint refresh_interval)
{
  GstViAnnotFetcher *self = g_new0 (GstViAnnotFetcher, 1);

  gst_vi_annot_store_init (&self->store, &fetcher_funcs, element);
  self->worker = worker;
  self->config = config;
  self->map = map;
  self->ctx = ctx;
  self->template_mode = gst_vi_annot_frame_map_is_template (map);
  self->page_size = page_size;
  self->prefetch = prefetch;
  self->refresh_interval = refresh_interval;
  self->cancellable = g_cancellable_new ();
  gst_vi_annot_outage_init (&self->outage);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) entry_free);
  g_queue_init (&self->queue);

  /* A stream played from its start begins with start-number. */
  if (self->template_mode)
    self->current_index = self->next_prefetch =
        gst_vi_annot_frame_map_get_start_number (map);

  gst_vi_annot_worker_invoke (worker, _setup_cb, self, NULL);

  return &self->store;
}
