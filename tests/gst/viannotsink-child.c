/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The pipeline test-viannotsink-recovery kills:
 *
 *   viannotsink-child ENDPOINT SPOOL FIRST N
 *
 * pushes frames FIRST .. FIRST+N-1 (asset f<number>, one "car" box each)
 * through appsrc ! viannotsink dataset-id=b spool-dir=SPOOL (one batch,
 * sent at EOS), then EOS, and exits 0 once EOS is out (everything
 * imported), 1 on an error.  It says on stdout, a line each, flushed, what
 * the test waits for: "progress STAGE SESSION" for vi-upload-progress,
 * "done BATCH" for vi-upload-done, "eos", "error MESSAGE". */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "vi-local-server.h"

static void
say (const gchar * format, ...)
G_GNUC_PRINTF (1, 2);

     static void say (const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static GstBuffer *
frame (guint n)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (64 * 48);
  GstVideoRegionOfInterestMeta *roi;

  gst_buffer_memset (buf, 0, 0, 64 * 48);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 30);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "car", 8, 8, 16, 16);
  roi->id = (gint) n;
  return buf;
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *src;
  GstMessage *msg;
  GstBus *bus;
  GError *error = NULL;
  gchar *desc;
  guint first, n, i;
  int status = 1;

  gst_init (&argc, &argv);
  if (argc != 5) {
    g_printerr ("usage: viannotsink-child ENDPOINT SPOOL FIRST N\n");
    return 2;
  }
  first = atoi (argv[3]);
  n = atoi (argv[4]);

  desc = g_strdup_printf ("appsrc name=src format=time caps=video/x-raw,"
      "format=GRAY8,width=64,height=48,framerate=30/1 ! viannotsink "
      "endpoint=%s organization-id=%s dataset-id=b spool-dir=%s "
      "asset-id-template=f%%03d batch-size=1000 batch-interval=0",
      argv[1], VI_LOCAL_SERVER_DEFAULT_ORGANIZATION_ID, argv[2]);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (pipeline == NULL) {
    say ("error %s", error->message);
    return 1;
  }
  /* The key from the environment (DATATURE_VI_SECRET_KEY), as the README
   * says to give it. */
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = frame (first + i);
    GstFlowReturn ret;

    /* The action signal does not take the buffer. */
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
  }
  {
    GstFlowReturn ret;

    g_signal_emit_by_name (src, "end-of-stream", &ret);
  }

  for (;;) {
    const GstStructure *s;

    msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      say ("eos");
      status = 0;
      gst_message_unref (msg);
      break;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &error, NULL);
      say ("error %s", error->message);
      g_clear_error (&error);
      gst_message_unref (msg);
      break;
    }
    if (gst_message_has_name (msg, "vi-upload-progress"))
      say ("progress %s %s", gst_structure_get_string (s, "stage"),
          gst_structure_get_string (s, "session-id"));
    else if (gst_message_has_name (msg, "vi-upload-done"))
      say ("done %s", gst_structure_get_string (s, "batch"));
    gst_message_unref (msg);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return status;
}
