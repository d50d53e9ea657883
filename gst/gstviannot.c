/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN and the gettext
 * domain come from meson (config.h). */
#include "config.h"

#include <gst/gst.h>
#include <glib/gi18n-lib.h>

#include "gstviannotelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

#ifdef ENABLE_NLS
  /* The elements' messages are translatable, in viannot's own domain. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
#endif

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
