/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * vi-annotations output: human text with control characters escaped, and
 * JSON written as exact UTF-8 bytes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vi-annotations.h"

/* Characters that can move the cursor, change the terminal's title or
 * state, or reorder what is shown: C0 controls (TAB and LF included, so
 * that a value stays on its line), DEL, C1 controls (ESC's 8-bit forms)
 * and the bidirectional marks, embeddings, overrides and isolates, and the
 * line and paragraph separators. */
static gboolean
needs_escape (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
      c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069);
}

/**
 * text_escape_append:
 * @out: where to append
 * @text: text from the server, a file or the command line
 *
 * Appends @text with every character of needs_escape() written as a
 * visible escape (`\n`, `\r`, `\t`, `\xHH` below 0x80, `\uHHHH` above) and
 * every byte that is not valid UTF-8 as `\xHH`.  Backslashes are kept as
 * they are: this is for people, JSON output is exact.
 */
void
text_escape_append (GString *out, const char *text)
{
  const char *p = text;

  while (*p != '\0') {
    const char *run = p;
    gunichar    c;
    const char *next;

    /* Printable ASCII, most of any text, is copied in runs. */
    while ((guchar) *p >= 0x20 && (guchar) *p < 0x7f)
      p++;
    if (p > run)
      g_string_append_len (out, run, p - run);
    if (*p == '\0')
      break;

    c = g_utf8_get_char_validated (p, -1);
    if (c == (gunichar) -1 || c == (gunichar) -2) {
      g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
      p++;
      continue;
    }
    next = g_utf8_next_char (p);
    if (!needs_escape (c))
      g_string_append_len (out, p, next - p);
    else if (c == '\n')
      g_string_append (out, "\\n");
    else if (c == '\r')
      g_string_append (out, "\\r");
    else if (c == '\t')
      g_string_append (out, "\\t");
    else if (c < 0x80)
      g_string_append_printf (out, "\\x%02x", c);
    else
      g_string_append_printf (out, "\\u%04x", c);
    p = next;
  }
}

char *
text_escape (const char *text)
{
  GString *out = g_string_sized_new (strlen (text) + 16);

  text_escape_append (out, text);
  return g_string_free (out, FALSE);
}

static void print_escaped (FILE       *stream,
                           const char *prefix,
                           const char *format,
                           va_list     args) G_GNUC_PRINTF (3, 0);

static void
print_escaped (FILE       *stream,
               const char *prefix,
               const char *format,
               va_list     args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);
  g_autoptr (GString) line = g_string_new (prefix);

  text_escape_append (line, text);
  if (stream == stdout)
    g_print ("%s\n", line->str);
  else
    g_printerr ("%s\n", line->str);
}

/**
 * print_line:
 * @format: a printf() format for one line, without its newline
 *
 * Prints one line on stdout, escaped as a whole (text_escape_append()).
 */
void
print_line (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_escaped (stdout, "", format, args);
  va_end (args);
}

/**
 * print_error:
 * @format: a printf() format for one message, without its newline
 *
 * Prints `vi-annotations: ` and the message on stderr, escaped.
 */
void
print_error (const char *format, ...)
{
  va_list args;

  /* What stdout holds goes out first, so that a message never lands in
   * the middle of a line of output when both go to one place. */
  fflush (stdout);
  va_start (args, format);
  print_escaped (stderr, "vi-annotations: ", format, args);
  va_end (args);
}

/**
 * print_lines:
 * @text: a description on several lines (libvi's summaries)
 *
 * Prints each line of @text with print_line(); a final newline is not an
 * extra empty line.  A newline inside a value of @text cannot be told
 * from the others and starts a line too; nothing else gets through.
 */
void
print_lines (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  if (n > 0 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    print_line ("%s", lines[i]);
}

/* ---- JSON --------------------------------------------------------------- */

static gboolean
json_pretty (void)
{
  return isatty (STDOUT_FILENO);
}

/* Exact bytes on stdout: g_print() would convert to the locale's charset. */
static void
write_out (const char *data, gsize len)
{
  fwrite (data, 1, len, stdout);
}

static char *
generate (JsonNode *node, gboolean pretty, gsize *len)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, pretty);
  return json_generator_to_data (gen, len);
}

/**
 * print_json:
 * @node: the document
 *
 * Writes @node and a newline on stdout, indented on a terminal.
 */
void
print_json (JsonNode *node)
{
  gsize            len;
  g_autofree char *text = generate (node, json_pretty (), &len);

  write_out (text, len);
  write_out ("\n", 1);
}

/**
 * print_json_object:
 * @first_key: the first key, then its string value, then
 *   `NULL`-terminated key and value pairs; a value %NULL is written as
 *   `true`
 *
 * Writes a flat object of strings (and `true`) on one line, with the
 * project's JSON writer: any key or value is escaped as JSON wants.  A
 * value that is not valid UTF-8 (a file name) has its bad bytes replaced
 * with U+FFFD.
 */
void
print_json_object (const char *first_key, ...)
{
  g_autoptr (GString) out = g_string_new ("{");
  const char *key = first_key;
  va_list     args;

  va_start (args, first_key);
  while (key != NULL) {
    const char *value = va_arg (args, const char *);

    if (out->len > 1)
      g_string_append_c (out, ',');
    vi_json_append_string (out, key);
    g_string_append_c (out, ':');
    if (value == NULL) {
      g_string_append (out, "true");
    } else {
      g_autofree char *valid = g_utf8_make_valid (value, -1);
      vi_json_append_string (out, valid);
    }
    key = va_arg (args, const char *);
  }
  va_end (args);
  g_string_append (out, "}\n");
  write_out (out->str, out->len);
}

/*
 * {"items":[…]} written item by item: the bytes are those JsonGenerator
 * gives for the whole document (compact, or indented on a terminal), but
 * only one item is ever held.  Each item is generated as the only element
 * of a one-item document and cut out of it, so its indentation is the one
 * it has in the whole.
 */
void
json_items_begin (JsonItemsWriter *w)
{
  w->pretty = json_pretty ();
  w->n_items = 0;
}

void
json_items_add (JsonItemsWriter *w, JsonNode *item)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject      *obj = json_object_new ();
  JsonArray       *items = json_array_new ();
  const char      *head = w->pretty ? "{\n  \"items\" : [\n" : "{\"items\":[";
  const char      *tail = w->pretty ? "\n  ]\n}" : "]}";
  g_autofree char *text = NULL;
  gsize            len, head_len = strlen (head), tail_len = strlen (tail);

  json_array_add_element (items, item);
  json_object_set_array_member (obj, "items", items);
  json_node_take_object (root, obj);
  text = generate (root, w->pretty, &len);
  g_assert (len >= head_len + tail_len && g_str_has_prefix (text, head) &&
            g_str_has_suffix (text, tail));

  if (w->n_items == 0)
    write_out (head, head_len);
  else if (w->pretty)
    write_out (",\n", 2);
  else
    write_out (",", 1);
  write_out (text + head_len, len - head_len - tail_len);
  w->n_items++;
}

void
json_items_end (JsonItemsWriter *w)
{
  if (w->n_items == 0) {
    g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new ();

    json_object_set_array_member (obj, "items", json_array_new ());
    json_node_take_object (root, obj);
    print_json (root);
  } else if (w->pretty)
    write_out ("\n  ]\n}\n", 7);
  else
    write_out ("]}\n", 3);
}
