/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannotsrc against identity, same source, same process:
 *
 *   bench-src FILE FRAMES [both|viannotsrc|identity] [RUNS]
 *
 * runs "videotestsrc num-buffers=FRAMES ! 1920x1080 ! X ! fakesink" with
 * X = viannotsrc location=FILE (every frame gets the file's first asset)
 * or identity, alternating, and prints one line per run:
 * "<identity wall s> <viannotsrc wall s> <identity cpu s> <viannotsrc cpu s>"
 * (both), or "<wall s> <cpu s>" of the one pipeline; cpu is the process's
 * user + system time, less noisy than the wall time on a loaded machine.  The first frame of a viannotsrc run is checked to carry
 * the annotations, so that the numbers measure real work. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>

#include "bench-gst.h"

static guint n_rois_first = G_MAXUINT;

static GstPadProbeReturn
first_frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer state = NULL;
  guint n = 0;

  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    n++;
  if (gst_buffer_get_vi_annot_meta (buf) == NULL)
    n = 0;
  n_rois_first = n;
  return GST_PAD_PROBE_REMOVE;
}

static double
run_one (const char *file, guint frames, gboolean viannot, double *cpu)
{
  GError *error = NULL;
  GstElement *pipeline, *sink;
  gchar *desc;
  double wall;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
      "%s%s%s ! fakesink name=sink sync=false", frames,
      viannot ? "viannotsrc location=\"" : "identity",
      viannot ? file : "", viannot ? "\"" : "");
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

  if (viannot && n_rois_first == 0) {
    g_printerr ("bench-src: the first frame has no annotations\n");
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
    g_printerr ("usage: bench-src FILE FRAMES [both|viannotsrc|identity] "
        "[RUNS]\n");
    return 2;
  }
  file = argv[1];
  frames = atoi (argv[2]);
  mode = argc > 3 ? argv[3] : "both";
  runs = argc > 4 ? atoi (argv[4]) : 1;

  for (i = 0; i < runs; i++) {
    double ca, cb;

    if (g_str_equal (mode, "both")) {
      double a = run_one (file, frames, FALSE, &ca);
      double b = run_one (file, frames, TRUE, &cb);

      g_print ("%.6f %.6f %.6f %.6f\n", a, b, ca, cb);
    } else {
      double a = run_one (file, frames, g_str_equal (mode, "viannotsrc"),
          &ca);

      g_print ("%.6f %.6f\n", a, ca);
    }
  }
  if (n_rois_first != G_MAXUINT)
    g_printerr ("bench-src: %u ROI metas on the first frame\n", n_rois_first);

  return 0;
}
