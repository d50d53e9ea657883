/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-write.h"

G_BEGIN_DECLS

/* Dataset exports and their downloads (vi-server-exports.c). */

/* The routes of exports, and the download URL, reached without
 * authentication (the export id is the credential). */
extern const ViServerRoute vi_server_export_routes[];
extern const ViServerRoute vi_server_download_routes[];

/* Makes the tables of exports of w. */
void vi_server_exports_init (ViServerWrite *w);

G_END_DECLS
