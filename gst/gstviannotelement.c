/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#include "config.h"

#include <gio/gio.h>
#include <gst/video/video.h>
#include <vi/vi.h>

#include <gst/viannot/gstviannotmeta.h>
#include "gstviannotconfig.h"
#include "gstviannotelements.h"

GST_DEBUG_CATEGORY (gst_vi_annot_debug);

/* One-time init shared by every element of the plugin, whichever is
 * registered first (static builds register elements one by one).  The
 * types used from the worker threads are ensured here, on the
 * registering thread, as gstsoupelement.c does for GIO. */
void
viannot_element_init (GstPlugin * plugin)
{
  static gsize res = FALSE;

  if (g_once_init_enter (&res)) {
    GST_DEBUG_CATEGORY_INIT (gst_vi_annot_debug, "viannot", 0,
        "Parts the viannot elements share");
    g_type_ensure (G_TYPE_SOCKET_CLIENT);
    g_type_ensure (G_TYPE_SOCKET_ADDRESS);
    g_type_ensure (G_TYPE_INET_SOCKET_ADDRESS);
    g_type_ensure (G_TYPE_INET_ADDRESS);
    g_type_ensure (VI_TYPE_CLIENT);
    g_type_ensure (VI_TYPE_JSONL_READER);
    g_type_ensure (GST_TYPE_VI_ANNOT_SET);
    g_type_ensure (GST_TYPE_VI_ANNOT_ON_ERROR);
    g_type_ensure (GST_TYPE_VI_ANNOT_UPLOAD_ON_ERROR);
    gst_vi_annot_meta_get_info ();
    gst_vi_annot_roi_meta_get_info ();
    gst_video_region_of_interest_meta_get_info ();
    g_once_init_leave (&res, TRUE);
  }
}
