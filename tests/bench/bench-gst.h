/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the benchmarks that compare GStreamer pipelines in one process
 * share. */
#pragma once

#include <stdlib.h>
#include <sys/resource.h>
#include <gst/gst.h>

/* user + system seconds of this process so far: less noisy than wall time
 * on a loaded machine */
static inline double
bench_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Plays @pipeline to EOS; returns the wall seconds, and the process's cpu
 * seconds in @cpu.  An error message ends the benchmark, named @who. */
static inline double
bench_run_to_eos (GstElement * pipeline, const char *who, double *cpu)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GError *error = NULL;
  GstMessage *msg;
  gint64 t0, t1;
  double c0;

  c0 = bench_cpu_seconds ();
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  t1 = g_get_monotonic_time ();
  *cpu = bench_cpu_seconds () - c0;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    g_printerr ("%s: %s\n", who, error->message);
    exit (1);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  return (t1 - t0) / 1e6;
}
