/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannotsrc against identity, same source, same process:
 *
 *   bench-src FILE FRAMES [all|identity|viannotsrc|viannotsrc-noroi] [RUNS]
 *
 * runs "videotestsrc num-buffers=FRAMES ! 1920x1080 ! X ! fakesink" with
 * X = identity, viannotsrc location=FILE (every frame gets the file's
 * first asset, with its ROI metas) or the same with attach-roi-meta=false,
 * and prints one line per run: with "all", the three alternating,
 * "<wall s> <cpu s>" of each in that order; else "<wall s> <cpu s>" of the
 * one pipeline.  cpu is the process's user + system time, less noisy than
 * the wall time on a loaded machine.  The first frame of a viannotsrc run
 * is checked to carry the annotations (and as many ROI metas as asked),
 * so that the numbers measure real work. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>

#include "bench-gst.h"

typedef enum
{
  MODE_IDENTITY,
  MODE_VIANNOTSRC,
  MODE_VIANNOTSRC_NOROI,
} Mode;

static guint n_rois_first = G_MAXUINT;
static gboolean annotated_first;

static GstPadProbeReturn
first_frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer state = NULL;
  guint n = 0;

  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    n++;
  annotated_first = gst_buffer_get_vi_annot_meta (buf) != NULL;
  n_rois_first = n;
  return GST_PAD_PROBE_REMOVE;
}

static double
run_one (const char *file, guint frames, Mode mode, double *cpu)
{
  gboolean viannot = mode != MODE_IDENTITY;
  GError *error = NULL;
  GstElement *pipeline, *sink;
  gchar *desc;
  double wall;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
      "%s%s%s%s ! fakesink name=sink sync=false", frames,
      viannot ? "viannotsrc location=\"" : "identity",
      viannot ? file : "", viannot ? "\"" : "",
      mode == MODE_VIANNOTSRC_NOROI ? " attach-roi-meta=false" : "");
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("bench-src: %s\n", error->message);
    exit (1);
  }
  if (viannot) {
    GstPad *pad;

    sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_frame_probe,
        NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (sink);
  }

  wall = bench_run_to_eos (pipeline, "bench-src", cpu);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  if (viannot && (!annotated_first || (mode == MODE_VIANNOTSRC) !=
          (n_rois_first > 0))) {
    g_printerr ("bench-src: the first frame has no annotations or not the "
        "ROI metas asked for\n");
    exit (1);
  }
  return wall;
}

int
main (int argc, char **argv)
{
  const char *file, *mode;
  guint frames, runs, i;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: bench-src FILE FRAMES "
        "[all|identity|viannotsrc|viannotsrc-noroi] [RUNS]\n");
    return 2;
  }
  file = argv[1];
  frames = atoi (argv[2]);
  mode = argc > 3 ? argv[3] : "all";
  runs = argc > 4 ? atoi (argv[4]) : 1;

  for (i = 0; i < runs; i++) {
    double c[3], w[3];

    if (g_str_equal (mode, "all")) {
      guint m;

      for (m = MODE_IDENTITY; m <= MODE_VIANNOTSRC_NOROI; m++)
        w[m] = run_one (file, frames, m, &c[m]);
      g_print ("%.6f %.6f %.6f %.6f %.6f %.6f\n", w[0], c[0], w[1], c[1],
          w[2], c[2]);
    } else {
      Mode m = g_str_equal (mode, "viannotsrc") ? MODE_VIANNOTSRC :
          g_str_equal (mode, "viannotsrc-noroi") ? MODE_VIANNOTSRC_NOROI :
          MODE_IDENTITY;

      w[0] = run_one (file, frames, m, &c[0]);
      g_print ("%.6f %.6f\n", w[0], c[0]);
    }
  }
  return 0;
}
