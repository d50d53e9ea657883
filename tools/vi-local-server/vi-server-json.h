/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include "vi-json-write-private.h"

G_BEGIN_DECLS

/* The server writes its responses with libvi's GString JSON writer
 * (vi-json-write-private.h); doubles always keep a fraction or an
 * exponent, so that typed readers see a double. */
void vi_json_append_double  (GString    *out,
                             double      value);

G_END_DECLS
