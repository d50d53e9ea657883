/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <glib-unix.h>
#include <signal.h>
#include <vi/vi.h>

G_BEGIN_DECLS

#define EXIT_API 1
#define EXIT_USAGE 2
/* upload and wait: the import completed but did not create everything
 * asked for (a Warn failure policy left annotations or files out). */
#define EXIT_INCOMPLETE 3
/* Interrupted by a signal: 128 + its number, as a shell reports it (130
 * for SIGINT, 143 for SIGTERM). */
#define EXIT_SIGNAL_BASE 128

extern gboolean opt_json;
extern gboolean opt_no_wait;
extern double   opt_timeout;
extern double   opt_poll_interval;
extern char    *opt_format;
extern int      opt_connections;
extern gboolean opt_wait;
extern char    *opt_on_bad_annotation;
extern char    *opt_on_bad_file;
extern char    *opt_on_overwritten;

int api_error (const GError *error);
int interrupt_signal (void);

/* Human output (vi-annotations-output.c).  Everything printed for people
 * goes through these: control characters are escaped, so that no caption,
 * id or server message can drive the terminal. */
void  text_escape_append (GString *out, const char *text);
char *text_escape (const char *text);
void  print_line (const char *format, ...) G_GNUC_PRINTF (1, 2);
void  print_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
void  print_lines (const char *text);

/* JSON output: exact UTF-8 on stdout, indented on a terminal. */
void print_json (JsonNode *node);
void print_json_object (const char *first_key, ...) G_GNUC_NULL_TERMINATED;

/* {"items":[…]} written as the items come. */
typedef struct {
  gboolean pretty;
  guint    n_items;
} JsonItemsWriter;

void json_items_begin (JsonItemsWriter *w);
void json_items_add (JsonItemsWriter *w, JsonNode *item);
void json_items_end (JsonItemsWriter *w);

int cmd_upload (ViClient *client, char **args, GCancellable *cancellable);
int cmd_wait (ViClient *client, char **args, GCancellable *cancellable);
int cmd_export (ViClient *client, char **args, GCancellable *cancellable);

/* A one-line progress display on a terminal (redrawn in place), plain
 * lines otherwise. */
void progress_line (const char *format, ...) G_GNUC_PRINTF (1, 2);
void progress_done (void);

G_END_DECLS
