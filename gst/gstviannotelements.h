/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __GST_VI_ANNOT_ELEMENTS_H__
#define __GST_VI_ANNOT_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The debug category of the parts the elements share ("viannot"); each
 * element has its own as well. */
GST_DEBUG_CATEGORY_EXTERN (gst_vi_annot_debug);

G_GNUC_INTERNAL void viannot_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (viannotsrc);
#ifdef VIANNOT_HAVE_OVERLAY
GST_ELEMENT_REGISTER_DECLARE (viannotoverlay);
#endif
GST_ELEMENT_REGISTER_DECLARE (viannotsink);

G_END_DECLS

#endif /* __GST_VI_ANNOT_ELEMENTS_H__ */
