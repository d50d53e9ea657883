/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/* The export macro of libgstviannot-1.0.  The library is built with
 * hidden visibility (-fvisibility=hidden), so only what its public headers
 * mark GST_VI_ANNOT_API is exported, as GStreamer's own libraries do with
 * GST_VIDEO_API and friends. */
#ifndef __GSTVIANNOT_PRELUDE_H__
#define __GSTVIANNOT_PRELUDE_H__

#include <gst/gst.h>

#ifndef GST_VI_ANNOT_API
# ifdef BUILDING_GST_VI_ANNOT
#  define GST_VI_ANNOT_API GST_API_EXPORT
# else
#  define GST_VI_ANNOT_API GST_API_IMPORT
# endif
#endif

#endif /* __GSTVIANNOT_PRELUDE_H__ */
