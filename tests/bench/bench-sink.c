/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannotsink against fakesink, same source, same process:
 *
 *   bench-sink ENDPOINT WORKDIR FRAMES [RUNS [all|fakesink|viannotsink]]
 *
 * runs "videotestsrc num-buffers=FRAMES ! 320x240 ! X" where every frame
 * gets 20 ROI metas with `detection` parameters (a detector's output) and
 * X is fakesink, or viannotsink writing WORKDIR/run<N>.jsonl and
 * uploading to dataset bench<N> of ENDPOINT (credentials from the
 * environment), each frame its own asset (asset-id-template), until EOS:
 * with wait-until-done, until the server has imported everything.  Prints
 * per run "<fakesink s> <viannotsink s> <boxes>", boxes being what the
 * server holds at the end, counted in an export of the dataset (every
 * grounded phrase box of every line).  With "fakesink" or "viannotsink",
 * only that pipeline runs and only its time is printed (for profilers). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <vi/vi.h>

#include "bench-gst.h"

#define N_ROIS 20

static const gchar *labels[] = { "car", "person", "dog", "bicycle", "bus" };

/* The detector: 20 boxes on every frame, moving with it. */
static GstPadProbeReturn
detect_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  guint64 n = GST_BUFFER_OFFSET (buf);
  guint i;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  for (i = 0; i < N_ROIS; i++) {
    guint x = (i % 5) * 64 + (n % 16), y = (i / 5) * 60 + (n % 8);
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_add_video_region_of_interest_meta (buf, labels[i % 5], x,
        y, 40, 30);

    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new ("detection", "label", G_TYPE_STRING,
            labels[i % 5], "confidence", G_TYPE_DOUBLE,
            0.5 + (i % 5) / 10.0, NULL));
  }
  return GST_PAD_PROBE_OK;
}

static double
run_one (guint frames, const gchar * sink)
{
  GError *error = NULL;
  GstElement *pipeline, *det;
  GstPad *pad;
  gchar *desc;
  double wall, cpu;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! video/x-raw,"
      "format=I420,width=320,height=240,framerate=30/1 ! identity name=det "
      "! %s", frames, sink);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("bench-sink: %s\n", error->message);
    exit (1);
  }
  det = gst_bin_get_by_name (GST_BIN (pipeline), "det");
  pad = gst_element_get_static_pad (det, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, detect_probe, NULL,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (det);

  wall = bench_run_to_eos (pipeline, "bench-sink", &cpu);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return wall;
}

/* The boxes dataset holds, from an export of it. */
static guint64
count_boxes (const gchar * endpoint, const gchar * dataset,
    const gchar * workdir)
{
  GError *error = NULL;
  ViClient *client = vi_client_new (endpoint, NULL, NULL, NULL, &error);
  ViExportedAnnotations *export = NULL;
  ViJsonlReader *reader;
  ViJsonlRecord *record;
  gchar *dir = g_build_filename (workdir, "export", NULL);
  gchar *path;
  guint64 boxes = 0;

  if (client != NULL)
    export = vi_client_create_export (client, dataset,
        VI_EXPORT_FORMAT_VI_JSONL, TRUE, NULL, &error);
  if (export != NULL) {
    ViExportedAnnotations *ready = vi_client_wait_export (client, dataset,
        vi_exported_annotations_get_dataset_export_id (export), 200, 0, NULL,
        &error);

    vi_exported_annotations_unref (export);
    export = ready;
  }
  if (export != NULL)
    vi_client_download_export (client, export, dir, 0, NULL, NULL, NULL,
        &error);
  if (error != NULL) {
    g_printerr ("bench-sink: export of %s: %s\n", dataset, error->message);
    exit (1);
  }
  path = g_build_filename (dir, dataset, "dump", "annotations",
      "annotations.jsonl", NULL);
  reader = vi_jsonl_reader_new_for_path (path, &error);
  if (reader == NULL) {
    g_printerr ("bench-sink: %s\n", error->message);
    exit (1);
  }
  vi_jsonl_reader_set_error_mode (reader, VI_JSONL_ERROR_MODE_FAIL);
  while ((record = vi_jsonl_reader_next (reader, NULL, &error)) != NULL) {
    boxes += vi_jsonl_record_get_n_phrases (record);
    vi_jsonl_record_unref (record);
  }
  if (error != NULL) {
    g_printerr ("bench-sink: %s\n", error->message);
    exit (1);
  }
  g_object_unref (reader);
  vi_exported_annotations_unref (export);
  g_object_unref (client);
  g_free (path);
  g_free (dir);
  return boxes;
}

int
main (int argc, char **argv)
{
  const gchar *endpoint, *workdir, *mode;
  guint frames, runs, i;

  gst_init (&argc, &argv);
  if (argc < 4) {
    g_printerr ("usage: bench-sink ENDPOINT WORKDIR FRAMES [RUNS]\n");
    return 2;
  }
  endpoint = argv[1];
  workdir = argv[2];
  frames = atoi (argv[3]);
  runs = argc > 4 ? atoi (argv[4]) : 1;
  mode = argc > 5 ? argv[5] : "all";

  for (i = 0; i < runs; i++) {
    gchar *dataset = g_strdup_printf ("bench%u", i);
    gchar *sink = g_strdup_printf ("viannotsink endpoint=%s dataset-id=%s "
        "asset-id-template=frame_%%06d location=%s/run%u.jsonl "
        "spool-dir=%s/spool%u", endpoint, dataset, workdir, i, workdir, i);
    double fake, vi;

    if (g_str_equal (mode, "fakesink")) {
      g_print ("%.6f\n", run_one (frames, "fakesink sync=false"));
    } else if (g_str_equal (mode, "viannotsink")) {
      g_print ("%.6f\n", run_one (frames, sink));
    } else {
      fake = run_one (frames, "fakesink sync=false");
      vi = run_one (frames, sink);
      g_print ("%.6f %.6f %" G_GUINT64_FORMAT "\n", fake, vi,
          count_boxes (endpoint, dataset, workdir));
    }
    g_free (sink);
    g_free (dataset);
  }
  return 0;
}
