/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include "vi-server-write.h"

G_BEGIN_DECLS

/*
 * An import session (vi-server-import-session.c): its files, its
 * conditions and counts, the JSON it is served as, and how it is kept in
 * the data directory and brought back after a restart.  Its routes are
 * in vi-server-imports.c, its signed uploads in vi-server-upload.c, the
 * processing of its files in vi-server-import-process.c.
 */

/* The kind of record a session is kept as in the store's data directory. */
#define VI_SERVER_SESSION_RECORD "session"

typedef enum {
  FILE_REGISTERED,
  FILE_UPLOADED,
  FILE_FAILED,
} ViServerFileState;

typedef struct _ViServerImportSession ViServerImportSession;

typedef struct {
  ViServerImportSession *session;
  char                  *name;
  guint64                size;
  guint32                crc;
  char                  *crc_b64;
  char                  *token;
  ViServerFileState      state;
  char                  *reason; /* FILE_FAILED */
  char                  *path;   /* FILE_UPLOADED: the bytes */
} ViServerImportFile;

struct _ViServerImportSession {
  char      *id;
  char      *dataset_id;
  gint64     time_created;
  gint64     last_updated;
  gint64     generation;
  char      *etag;
  GPtrArray *attributes; /* key, value, key, value… */
  gint64     upload_before;
  char      *on_bad_annotation;
  char      *on_bad_file;
  char      *on_overwritten;
  char      *source;         /* NULL when the request had none */
  GPtrArray *conditions;     /* ViServerCondition, newest first */
  GPtrArray *files;          /* ViServerImportFile, in registration order */
  gboolean   files_inserted; /* FilesInserted recorded: uploads closed */
  gboolean   finished;       /* nothing more will change */
  guint64    page_count;
  guint64    total_size;
  guint64    files_processed;
  guint64    files_failed;
  guint64    annotations_created;
  guint64    annotations_failed;
  char      *reason;
};

/* Makes the tables of sessions and upload tokens of w. */
void vi_server_imports_init (ViServerWrite *w);
/* Reads the sessions kept in the store's data directory. */
void vi_server_imports_restore (ViServerWrite *w, ViStore *store);

void     vi_server_import_file_free (ViServerImportFile *file);
void     vi_server_import_session_free (ViServerImportSession *s);
void     vi_server_session_touch (ViServerImportSession *s);
void     vi_server_session_set_condition (ViServerImportSession *s,
                                          const char            *name,
                                          const char            *status,
                                          gint64                 time,
                                          const char            *reason);
GString *vi_server_session_to_json (ViServerWrite *w, ViServerImportSession *s);
void     vi_server_session_save (ViServerWrite         *w,
                                 ViStore               *store,
                                 ViServerImportSession *s);
/* Whether value is a failure policy: Warn, RejectFile or RejectSession. */
gboolean vi_server_is_policy (const char *value);

G_END_DECLS
