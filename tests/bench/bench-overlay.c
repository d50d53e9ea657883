/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannotoverlay against textoverlay, over an identity baseline, same
 * source, same process:
 *
 *   bench-overlay FRAMES [RUNS [MODE [PROPERTIES]]]
 *
 * runs "videotestsrc num-buffers=FRAMES ! 1920x1080 I420 ! identity ! X !
 * fakesink" where the first identity attaches one static annotation set
 * to every frame (50 labelled boxes and a one-line caption, built with the
 * public GstViAnnotMeta API) and X is identity, viannotoverlay, or
 * textoverlay showing the caption's text; each twice: blending, and with a
 * sink that takes GstVideoOverlayCompositionMeta (the ALLOCATION query of
 * fakesink is given the meta, its caps take anything).  MODE (default
 * "all") runs one of them only, by name; PROPERTIES are added to
 * viannotoverlay's.  The pipelines alternate; one line per run and
 * pipeline:
 *
 *   <name> <wall s> <cpu s>
 *
 * cpu is the process's user + system time.  Each run checks that the
 * overlays did what is measured: frames blended, or the composition meta
 * on the frames reaching the sink. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/viannot/gstviannotmeta.h>

#include "bench-gst.h"

#define CAPTION "A busy street: cars, buses, cyclists and people on the pavement"
#define N_BOXES 50

static GstViAnnotSet *bench_set;
static const gchar *overlay_props = "";

typedef struct
{
  const gchar *name;
  const gchar *element;
  gboolean composition;
} Mode;

static const Mode modes[] = {
  {"identity", "identity", FALSE},
  {"viannotoverlay-blend", "viannotoverlay", FALSE},
  {"textoverlay-blend", "textoverlay", FALSE},
  {"identity-meta-sink", "identity", TRUE},
  {"viannotoverlay-composition", "viannotoverlay", TRUE},
  {"textoverlay-composition", "textoverlay", TRUE},
};

static GstViAnnotSet *
make_set (void)
{
  static const gchar *words[] = { "cars", "buses", "cyclists", "people" };
  GstViAnnotSet *set = gst_vi_annot_set_new ("bench", "bench");
  guint c, i;

  c = gst_vi_annot_set_add_caption (set, CAPTION);
  for (i = 0; i < N_BOXES; i++) {
    ViBBox b;
    gchar *label;
    int start = -1, end = -1;

    b.x_min = (i % 10) / 10.0 + 0.01;
    b.y_min = (i / 10) / 5.0 + 0.05;
    b.x_max = b.x_min + 0.08;
    b.y_max = b.y_min + 0.14;
    if (i < G_N_ELEMENTS (words)) {
      const gchar *at = strstr (CAPTION, words[i]);

      label = g_strdup (words[i]);
      start = g_utf8_pointer_to_offset (CAPTION, at);
      end = start + g_utf8_strlen (words[i], -1);
    } else {
      label = g_strdup_printf ("object %02u", i);
    }
    gst_vi_annot_set_add_phrase (set, c, label, start, end, &b, NULL, NULL);
    g_free (label);
  }
  return set;
}

static GstPadProbeReturn
attach_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));

  gst_buffer_add_vi_annot_meta (buf, bench_set);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* fakesink answers the ALLOCATION query with nothing: make it take the
 * overlay composition meta, as a compositing video sink does. */
static GstPadProbeReturn
allocation_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION &&
      !gst_query_find_allocation_meta (query,
          GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  return GST_PAD_PROBE_OK;
}

static gint n_with_composition;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (gst_buffer_get_video_overlay_composition_meta (GST_PAD_PROBE_INFO_BUFFER
          (info)) != NULL)
    g_atomic_int_inc (&n_with_composition);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement * pipeline, const gchar * name, const gchar * pad_name,
    GstPadProbeType type, GstPadProbeCallback cb)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, type, cb, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static double
run_one (const Mode * mode, guint frames, double *cpu)
{
  GError *error = NULL;
  GstElement *pipeline, *x;
  gchar *desc;
  gchar *name;
  double wall;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
      "identity name=tag ! %s name=x %s ! fakesink name=sink sync=false",
      frames, mode->element,
      g_str_equal (mode->element, "viannotoverlay") ? overlay_props : "");
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("bench-overlay: %s\n", error->message);
    exit (1);
  }
  x = gst_bin_get_by_name (GST_BIN (pipeline), "x");
  if (g_str_equal (mode->element, "textoverlay"))
    g_object_set (x, "text", CAPTION, "wait-text", FALSE, NULL);

  add_probe (pipeline, "tag", "src", GST_PAD_PROBE_TYPE_BUFFER, attach_probe);
  add_probe (pipeline, "sink", "sink", GST_PAD_PROBE_TYPE_BUFFER,
      count_probe);
  if (mode->composition)
    add_probe (pipeline, "sink", "sink", GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        allocation_probe);
  n_with_composition = 0;

  name = g_strdup_printf ("bench-overlay: %s", mode->name);
  wall = bench_run_to_eos (pipeline, name, cpu);
  g_free (name);

  /* The numbers must measure the path they are named after. */
  if (g_str_equal (mode->element, "viannotoverlay")) {
    GstStructure *stats;
    guint64 blended = 0, attached = 0, renders = 0;

    g_object_get (x, "stats", &stats, NULL);
    gst_structure_get (stats, "blended", G_TYPE_UINT64, &blended,
        "attached", G_TYPE_UINT64, &attached, "text-renders", G_TYPE_UINT64,
        &renders, NULL);
    gst_structure_free (stats);
    if ((mode->composition ? attached : blended) != frames) {
      g_printerr ("bench-overlay: %s: %" G_GUINT64_FORMAT " frames blended, %"
          G_GUINT64_FORMAT " attached, of %u\n", mode->name, blended,
          attached, frames);
      exit (1);
    }
    if (renders > N_BOXES + 1) {
      g_printerr ("bench-overlay: %s: %" G_GUINT64_FORMAT " texts rendered "
          "for static annotations\n", mode->name, renders);
      exit (1);
    }
  }
  if (!g_str_equal (mode->element, "identity") &&
      (n_with_composition == (gint) frames) != mode->composition) {
    g_printerr ("bench-overlay: %s: %d of %u frames with a composition "
        "meta\n", mode->name, n_with_composition, frames);
    exit (1);
  }

  gst_object_unref (x);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  return wall;
}

int
main (int argc, char **argv)
{
  const gchar *only = "all";
  guint frames, runs, i, m;

  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: bench-overlay FRAMES [RUNS [MODE [PROPERTIES]]]\n");
    return 2;
  }
  frames = atoi (argv[1]);
  runs = argc > 2 ? atoi (argv[2]) : 1;
  if (argc > 3)
    only = argv[3];
  if (argc > 4)
    overlay_props = argv[4];
  bench_set = make_set ();

  for (i = 0; i < runs; i++) {
    for (m = 0; m < G_N_ELEMENTS (modes); m++) {
      double cpu, wall;

      if (!g_str_equal (only, "all") && !g_str_equal (only, modes[m].name))
        continue;
      wall = run_one (&modes[m], frames, &cpu);

      g_print ("%s %.6f %.6f\n", modes[m].name, wall, cpu);
    }
  }

  gst_vi_annot_set_unref (bench_set);
  return 0;
}
