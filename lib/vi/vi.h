/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#ifndef __VI_H__
#define __VI_H__

#define __VI_INSIDE__

#include <vi/vi-version.h>
#include <vi/vi-enum-types.h>
#include <vi/vi-error.h>
#include <vi/vi-enums.h>
#include <vi/vi-resource-metadata.h>
#include <vi/vi-checksum.h>
#include <vi/vi-json.h>
#include <vi/vi-geometry.h>
#include <vi/vi-jsonl.h>
#include <vi/vi-annotation.h>
#include <vi/vi-wholes.h>
#include <vi/vi-import-types.h>
#include <vi/vi-export-types.h>
#include <vi/vi-client.h>
#include <vi/vi-export.h>
#include <vi/vi-import.h>

#undef __VI_INSIDE__

#endif /* __VI_H__ */
