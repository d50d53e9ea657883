/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The element reference of docs/elements.md, from the registry:
 *
 *   gen-element-docs PLUGIN TEMPLATE OUTPUT
 *
 * loads the built PLUGIN, and writes TEMPLATE to OUTPUT with the part
 * between the BEGIN and END markers replaced by one section per element of
 * the plugin (in name order): its metadata and a table of its properties
 * (name, type and range, default, flags, description), as the registry
 * describes them.  The elements are the plugin's, whatever they are: a new
 * element appears without touching this tool.  Defaults are what a new
 * element has before anything is set: the output does not
 * depend on the environment: the value of a fresh instance (an element's
 * init may change a base class's default, as GstVideoFilter does for
 * qos), or the specification's default for a write-only property. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>

#define BEGIN_MARK "<!-- BEGIN GENERATED: element reference -->"
#define END_MARK "<!-- END GENERATED: element reference -->"

/* Markdown table cells: no bar, no line break. */
static void
append_cell (GString * out, const gchar * text)
{
  const gchar *p;

  g_string_append (out, " ");
  for (p = text; *p; p++) {
    if (*p == '|')
      g_string_append (out, "\\|");
    else if (*p == '\n' || *p == '\r' || *p == '\t')
      g_string_append_c (out, ' ');
    else
      g_string_append_c (out, *p);
  }
  g_string_append (out, " |");
}

/* In backticks, which keep '<', '*' and '_' literal; a value with a
 * backtick in it gets double ones. */
static gchar *
code (const gchar * text)
{
  if (strchr (text, '`') != NULL)
    return g_strdup_printf ("`` %s ``", text);
  return g_strdup_printf ("`%s`", text);
}

static gchar *
format_double (gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (v >= G_MAXDOUBLE)
    return g_strdup ("max double");
  if (v <= -G_MAXDOUBLE)
    return g_strdup ("min double");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", v));
}

#define RANGE_INT(fmt, min, max, lo, hi) \
    ((min) == (lo) && (max) == (hi) ? NULL : \
        g_strdup_printf (fmt " – " fmt, (min), (max)))

/* The type of @pspec, with its range when it has one. */
static gchar *
type_text (GParamSpec * pspec)
{
  GType t = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gchar *range = NULL, *ret;
  const gchar *name;

  if (G_IS_PARAM_SPEC_BOOLEAN (pspec)) {
    name = "boolean";
  } else if (G_IS_PARAM_SPEC_STRING (pspec)) {
    name = "string";
  } else if (G_IS_PARAM_SPEC_INT (pspec)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT (pspec);

    name = "int";
    range = RANGE_INT ("%d", p->minimum, p->maximum, G_MININT, G_MAXINT);
  } else if (G_IS_PARAM_SPEC_UINT (pspec)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT (pspec);

    name = "uint";
    range = RANGE_INT ("%u", p->minimum, p->maximum, 0, G_MAXUINT);
  } else if (G_IS_PARAM_SPEC_INT64 (pspec)) {
    GParamSpecInt64 *p = G_PARAM_SPEC_INT64 (pspec);

    name = "int64";
    range = RANGE_INT ("%" G_GINT64_FORMAT, p->minimum, p->maximum,
        G_MININT64, G_MAXINT64);
  } else if (G_IS_PARAM_SPEC_UINT64 (pspec)) {
    GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (pspec);

    name = "uint64";
    range = RANGE_INT ("%" G_GUINT64_FORMAT, p->minimum, p->maximum,
        (guint64) 0, G_MAXUINT64);
  } else if (G_IS_PARAM_SPEC_DOUBLE (pspec)) {
    GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (pspec);
    gchar *lo = format_double (p->minimum), *hi = format_double (p->maximum);

    name = "double";
    range = g_strdup_printf ("%s – %s", lo, hi);
    g_free (lo);
    g_free (hi);
  } else if (G_IS_PARAM_SPEC_ENUM (pspec)) {
    GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
    GString *nicks = g_string_new (NULL);
    guint i;

    for (i = 0; i < klass->n_values; i++)
      g_string_append_printf (nicks, "%s%s", i ? ", " : "",
          klass->values[i].value_nick);
    ret = g_strdup_printf ("enum %s: %s", g_type_name (t), nicks->str);
    g_string_free (nicks, TRUE);
    return ret;
  } else {
    name = g_type_name (t);
  }

  ret = range ? g_strdup_printf ("%s (%s)", name, range) : g_strdup (name);
  g_free (range);
  return ret;
}

static gchar *
value_text (GParamSpec * pspec, const GValue * v)
{
  gchar *s, *ret;

  if (G_IS_PARAM_SPEC_STRING (pspec)) {
    const gchar *str = g_value_get_string (v);

    if (str == NULL)
      return g_strdup ("none");
    s = g_strdup_printf ("\"%s\"", str);
  } else if (G_IS_PARAM_SPEC_BOOLEAN (pspec)) {
    s = g_strdup (g_value_get_boolean (v) ? "true" : "false");
  } else if (G_IS_PARAM_SPEC_DOUBLE (pspec)) {
    s = format_double (g_value_get_double (v));
  } else if (G_IS_PARAM_SPEC_ENUM (pspec)) {
    GEnumValue *e = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class,
        g_value_get_enum (v));

    s = g_strdup (e ? e->value_nick : "?");
  } else if (G_VALUE_HOLDS_BOXED (v) || G_VALUE_HOLDS_OBJECT (v) ||
      G_VALUE_HOLDS_POINTER (v)) {
    /* statistics and the like: no default to speak of */
    return g_strdup ("—");
  } else {
    s = g_strdup_value_contents (v);
  }
  ret = code (s);
  g_free (s);
  return ret;
}

static gchar *
flags_text (GParamSpec * pspec)
{
  GString *f = g_string_new (NULL);
  gboolean r = (pspec->flags & G_PARAM_READABLE) != 0;
  gboolean w = (pspec->flags & G_PARAM_WRITABLE) != 0;

  g_string_append (f, r && w ? "read/write" : r ? "read-only" : "write-only");
  if (w) {
    if (pspec->flags & GST_PARAM_MUTABLE_PLAYING)
      g_string_append (f, ", changeable while playing");
    else if (pspec->flags & GST_PARAM_MUTABLE_PAUSED)
      g_string_append (f, ", changeable up to PAUSED");
    else if (pspec->flags & GST_PARAM_MUTABLE_READY)
      g_string_append (f, ", changeable up to READY");
  }
  if (pspec->flags & GST_PARAM_CONTROLLABLE)
    g_string_append (f, ", controllable");
  if (pspec->flags & G_PARAM_CONSTRUCT_ONLY)
    g_string_append (f, ", construct only");
  if (pspec->flags & G_PARAM_DEPRECATED)
    g_string_append (f, ", deprecated");
  return g_string_free (f, FALSE);
}

static gint
compare_pspecs (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(GParamSpec **) a)->name, (*(GParamSpec **) b)->name);
}

/* The value of @pspec on a fresh @element, its default if write-only. */
static gchar *
default_text (GstElement * element, GParamSpec * pspec)
{
  GValue v = G_VALUE_INIT;
  gchar *s;

  if (!(pspec->flags & G_PARAM_READABLE))
    return value_text (pspec, g_param_spec_get_default_value (pspec));
  g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (pspec));
  g_object_get_property (G_OBJECT (element), pspec->name, &v);
  s = value_text (pspec, &v);
  g_value_unset (&v);
  return s;
}

static void
append_element (GString * out, GstElementFactory * factory)
{
  const gchar *name = GST_OBJECT_NAME (factory);
  GType type = gst_element_factory_get_element_type (factory);
  GObjectClass *klass = g_type_class_ref (type);
  GstElement *element = gst_element_factory_create (factory, NULL);
  const gchar *description = gst_element_factory_get_metadata (factory,
      GST_ELEMENT_METADATA_DESCRIPTION);
  GParamSpec **pspecs;
  guint n, i;

  g_string_append_printf (out, "\n## %s\n\n", name);
  /* One full stop, whether or not the description ends with one. */
  g_string_append_printf (out, "%s — %s%s\n\n",
      gst_element_factory_get_metadata (factory,
          GST_ELEMENT_METADATA_LONGNAME), description,
      g_str_has_suffix (description, ".") ? "" : ".");
  g_string_append_printf (out, "Class `%s`, type `%s`, rank %u.\n\n",
      gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS),
      g_type_name (type), gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE
          (factory)));

  pspecs = g_object_class_list_properties (klass, &n);
  qsort (pspecs, n, sizeof (GParamSpec *), compare_pspecs);
  g_string_append (out, "| Property | Type | Default | Flags | Description |"
      "\n|---|---|---|---|---|\n");
  for (i = 0; i < n; i++) {
    GParamSpec *p = pspecs[i];
    gchar *cell;

    /* GstObject's name and parent are every element's */
    if (p->owner_type == GST_TYPE_OBJECT)
      continue;
    g_string_append (out, "|");
    cell = code (p->name);
    append_cell (out, cell);
    g_free (cell);
    cell = type_text (p);
    append_cell (out, cell);
    g_free (cell);
    cell = default_text (element, p);
    append_cell (out, cell);
    g_free (cell);
    cell = flags_text (p);
    if (p->owner_type != type) {
      gchar *tmp = g_strdup_printf ("%s; from %s", cell,
          g_type_name (p->owner_type));

      g_free (cell);
      cell = tmp;
    }
    append_cell (out, cell);
    g_free (cell);
    append_cell (out, g_param_spec_get_blurb (p));
    g_string_append_c (out, '\n');
  }
  g_free (pspecs);
  gst_object_unref (element);
  g_type_class_unref (klass);
}

static gint
compare_features (gconstpointer a, gconstpointer b)
{
  return strcmp (GST_OBJECT_NAME (a), GST_OBJECT_NAME (b));
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstPlugin *plugin;
  GList *features, *l;
  gchar *template, *begin, *end;
  GString *out;

  gst_init (&argc, &argv);
  if (argc != 4) {
    g_printerr ("usage: gen-element-docs PLUGIN TEMPLATE OUTPUT\n");
    return 2;
  }

  plugin = gst_plugin_load_file (argv[1], &error);
  if (plugin == NULL) {
    g_printerr ("gen-element-docs: %s: %s\n", argv[1], error->message);
    return 1;
  }
  if (!g_file_get_contents (argv[2], &template, NULL, &error)) {
    g_printerr ("gen-element-docs: %s\n", error->message);
    return 1;
  }
  begin = strstr (template, BEGIN_MARK);
  end = begin ? strstr (begin, END_MARK) : NULL;
  if (end == NULL) {
    g_printerr ("gen-element-docs: %s: no \"%s\" ... \"%s\" markers\n",
        argv[2], BEGIN_MARK, END_MARK);
    return 1;
  }

  out = g_string_new_len (template, begin - template + strlen (BEGIN_MARK));
  g_string_append_c (out, '\n');
  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
      gst_plugin_get_name (plugin));
  features = g_list_sort (features, compare_features);
  for (l = features; l != NULL; l = l->next) {
    GstPluginFeature *f = gst_plugin_feature_load (l->data);

    if (f == NULL) {
      g_printerr ("gen-element-docs: cannot load %s\n",
          GST_OBJECT_NAME (l->data));
      return 1;
    }
    if (GST_IS_ELEMENT_FACTORY (f))
      append_element (out, GST_ELEMENT_FACTORY (f));
    gst_object_unref (f);
  }
  gst_plugin_feature_list_free (features);
  g_string_append_c (out, '\n');
  g_string_append (out, end);

  if (!g_file_set_contents (argv[3], out->str, out->len, &error)) {
    g_printerr ("gen-element-docs: %s\n", error->message);
    return 1;
  }
  g_string_free (out, TRUE);
  g_free (template);
  gst_object_unref (plugin);
  gst_deinit ();
  return 0;
}
