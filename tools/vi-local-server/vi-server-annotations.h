/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-request.h"

G_BEGIN_DECLS

/* The annotations of an asset: list, get, delete (vi-server-annotations.c),
 * a route table ended by a row of NULLs. */
extern const ViServerRoute vi_server_annotation_routes[];

G_END_DECLS
