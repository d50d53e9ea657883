/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * annotate_video: viannotsrc and viannotoverlay in a C application.
 *
 *   annotate_video DATASET ASSET_TEMPLATE [FRAMES] [OUTPUT.webm]
 *
 * Builds, element by element,
 *
 *   videotestsrc ! video/x-raw,width=640,height=360,framerate=15/1 !
 *   viannotsrc dataset-id=DATASET asset-id-template=ASSET_TEMPLATE
 *              asset-rate=1/2 ! viannotoverlay ! SINK
 *
 * where SINK is fakesink, or vp8enc ! webmmux ! filesink when OUTPUT is
 * given.  A buffer probe on the overlay's sink pad reads each frame's
 * GstViAnnotMeta and prints its phrases with their boxes in pixels of
 * that frame; a bus watch prints the element's messages and stops the
 * main loop at EOS or on an error; the element's statistics are printed
 * at the end.  Credentials and endpoint come from the environment
 * (DATATURE_VI_SECRET_KEY, DATATURE_VI_ORGANIZATION_ID,
 * DATATURE_VI_API_ENDPOINT), as the element reads them.
 *
 * Build:
 *   cc annotate_video.c -o annotate_video \
 *     $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-video-1.0 gstviannot-1.0)
 */

#include <stdlib.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>

typedef struct
{
  GMainLoop *loop;
  gchar *last_asset;
  int status;
} App;

/* Prints the annotations of a frame when its asset changes. */
static GstPadProbeReturn
on_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstViAnnotMeta *meta = gst_buffer_get_vi_annot_meta (buffer);
  GstVideoInfo vinfo;
  GstCaps *caps;
  GString *out;
  const gchar *asset;
  guint i;

  if (meta == NULL) {
    g_print ("%.3fs: no annotations\n",
        (double) GST_BUFFER_PTS (buffer) / GST_SECOND);
    return GST_PAD_PROBE_OK;
  }
  /* Strings of the meta live as long as the buffer: copy what is kept. */
  asset = gst_vi_annot_meta_get_asset_id (meta);
  if (g_strcmp0 (asset, app->last_asset) == 0)
    return GST_PAD_PROBE_OK;
  g_free (app->last_asset);
  app->last_asset = g_strdup (asset);

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps)) {
    gst_clear_caps (&caps);
    return GST_PAD_PROBE_OK;
  }
  gst_caps_unref (caps);

  /* One g_print: the bus watch prints from the main thread meanwhile. */
  out = g_string_new (NULL);
  g_string_append_printf (out, "%.3fs: asset %s\n",
      (double) GST_BUFFER_PTS (buffer) / GST_SECOND, asset);
  for (i = 0; i < gst_vi_annot_meta_get_n_captions (meta); i++)
    g_string_append_printf (out, "  caption \"%s\"\n",
        gst_vi_annot_meta_get_caption (meta, i));
  for (i = 0; i < gst_vi_annot_meta_get_n_phrases (meta); i++) {
    ViPixelBox box;

    /* Pixels of this frame (a crop meta on the buffer included). */
    if (!gst_vi_annot_meta_get_phrase_pixels_for_buffer (meta, i, buffer,
            &vinfo, &box))
      continue;
    g_string_append_printf (out, "  \"%s\" [%d, %d, %d, %d]\n",
        gst_vi_annot_meta_get_phrase (meta, i), box.x_min, box.y_min,
        box.x_max, box.y_max);
  }
  for (i = 0; i < gst_vi_annot_meta_get_n_interactions (meta); i++)
    g_string_append_printf (out, "  Q \"%s\" A \"%s\"\n",
        gst_vi_annot_meta_get_question (meta, i),
        gst_vi_annot_meta_get_answer (meta, i));
  g_print ("%s", out->str);
  g_string_free (out, TRUE);
  return GST_PAD_PROBE_OK;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      guint count = 0;
      guint64 ms = 0;

      if (gst_structure_has_name (s, "vi-annotations-fetched")) {
        gst_structure_get_uint (s, "count", &count);
        gst_structure_get_uint64 (s, "milliseconds", &ms);
        g_print ("fetched %s: %u annotations in %" G_GUINT64_FORMAT " ms\n",
            gst_structure_get_string (s, "asset-id"), count, ms);
      }
      break;
    }
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
          error->message);
      break;
    case GST_MESSAGE_ERROR:
      /* The message says what to check (credentials, dataset, asset);
       * the debug string has the server's message. */
      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          error->message, GST_STR_NULL (debug));
      app->status = 1;
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static GstElement *
make (GstElement * bin, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    g_printerr ("no element %s: is GST_PLUGIN_PATH set?\n", factory);
    exit (1);
  }
  gst_bin_add (GST_BIN (bin), e);
  return e;
}

int
main (int argc, char **argv)
{
  App app = { NULL, NULL, 0 };
  GstElement *pipeline, *src, *filter, *annot, *overlay, *last;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) pad = NULL;
  GstStructure *stats = NULL;
  gchar *text;
  gint frames = 60;

  gst_init (&argc, &argv);
  if (argc < 3 || argc > 5) {
    g_printerr ("usage: %s DATASET ASSET_TEMPLATE [FRAMES] [OUTPUT.webm]\n",
        argv[0]);
    return 2;
  }
  if (argc >= 4)
    frames = atoi (argv[3]);

  pipeline = gst_pipeline_new ("annotate");
  src = make (pipeline, "videotestsrc", NULL);
  filter = make (pipeline, "capsfilter", NULL);
  annot = make (pipeline, "viannotsrc", "annot");
  overlay = make (pipeline, "viannotoverlay", NULL);
  g_object_set (src, "num-buffers", frames, NULL);
  caps = gst_caps_from_string ("video/x-raw,width=640,height=360,"
      "framerate=15/1");
  g_object_set (filter, "caps", caps, NULL);
  /* One asset every 2 s of video: frame n at 15 fps is asset n / 30. */
  g_object_set (annot, "dataset-id", argv[1], "asset-id-template", argv[2],
      "asset-rate", 1, 2, NULL);
  if (!gst_element_link_many (src, filter, annot, overlay, NULL))
    g_error ("cannot link the source elements");

  if (argc == 5) {
    GstElement *enc = make (pipeline, "vp8enc", NULL);
    GstElement *mux = make (pipeline, "webmmux", NULL);

    last = make (pipeline, "filesink", NULL);
    g_object_set (last, "location", argv[4], NULL);
    if (!gst_element_link_many (overlay, enc, mux, last, NULL))
      g_error ("cannot link the encoder");
  } else {
    last = make (pipeline, "fakesink", NULL);
    if (!gst_element_link (overlay, last))
      g_error ("cannot link the sink");
  }

  pad = gst_element_get_static_pad (overlay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, &app, NULL);

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, &app);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    app.status = 1;             /* the error is on the bus */
  g_main_loop_run (app.loop);

  g_object_get (annot, "stats", &stats, NULL);
  text = gst_structure_to_string (stats);
  g_print ("viannotsrc stats: %s\n", text);
  g_free (text);
  gst_structure_free (stats);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_free (app.last_asset);
  gst_deinit ();
  return app.status;
}
