/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* viannot GStreamer plugin
 * Copyright (C) 2025 The viannot authors
 */

#include "config.h"

#include <gst/gst.h>

#include "gstviannotelements.h"

#ifndef GST_LICENSE
#define GST_LICENSE "LGPL"
#endif
#ifndef GST_PACKAGE_NAME
#define GST_PACKAGE_NAME "viannot"
#endif
#ifndef GST_PACKAGE_ORIGIN
#define GST_PACKAGE_ORIGIN "https://vi.datature.com"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (viannotsrc, plugin);
#ifdef VIANNOT_HAVE_OVERLAY
  ret |= GST_ELEMENT_REGISTER (viannotoverlay, plugin);
#endif
  ret |= GST_ELEMENT_REGISTER (viannotsink, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, viannot,
    "Datature Vi dataset annotations on video frames", plugin_init, VERSION,
    GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
