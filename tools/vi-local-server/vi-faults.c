/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vi-faults.h"
#include "vi-server-json.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <vi/vi.h>

#define DEFAULT_FAULT_STATUS     503
#define DEFAULT_FAULT_LATENCY_MS 1000
#define MAX_FAULT_LATENCY_MS     (10 * 60 * 1000)
#define MAX_FAULT_BODY_NESTING   (16 * 1024 * 1024)

struct _ViFaultRule {
  char          *method;
  char          *path;
  gint64         after;
  gint64         times;
  ViFaultAction  action;
  guint          status;
  char          *retry_after;
  guint          latency_ms;
  char          *body;
  gint64         body_nesting;

  gint64         seen;
  gint64         fired;
};

static const struct {
  const char    *name;
  ViFaultAction  action;
} actions[] = {
  { "status", VI_FAULT_STATUS },
  { "drop", VI_FAULT_DROP },
  { "truncate", VI_FAULT_TRUNCATE },
  { "latency", VI_FAULT_LATENCY },
  { "malformed", VI_FAULT_MALFORMED },
};

const char *
vi_fault_action_to_string (ViFaultAction action)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      if (actions[i].action == action)
        return actions[i].name;
    }
  return "none";
}

void
vi_fault_rule_free (ViFaultRule *rule)
{
  g_free (rule->method);
  g_free (rule->path);
  g_free (rule->retry_after);
  g_free (rule->body);
  g_free (rule);
}

void
vi_fault_clear (ViFault *fault)
{
  g_clear_pointer (&fault->retry_after, g_free);
  g_clear_pointer (&fault->body, g_bytes_unref);
  fault->action = VI_FAULT_NONE;
}

static gboolean
member_int (JsonNode    *node,
            const char  *name,
            gint64       min,
            gint64       max,
            gint64      *out,
            GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "fault rule: “%s” must be an integer from %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT, name, min, max);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
member_string (JsonNode    *node,
               const char  *name,
               char       **out,
               GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "fault rule: “%s” must be a string", name);
      return FALSE;
    }
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static ViFaultRule *
parse_rule (JsonNode  *node,
            GError   **error)
{
  ViFaultRule *rule;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean have_action = FALSE;
  gint64 value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "a fault rule must be a JSON object");
      return NULL;
    }

  rule = g_new0 (ViFaultRule, 1);
  rule->times = 1;
  rule->status = DEFAULT_FAULT_STATUS;
  rule->latency_ms = DEFAULT_FAULT_LATENCY_MS;

  /* Unknown members are refused: a misspelt "time" would otherwise give a
   * rule that silently does something else than intended. */
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (g_str_equal (name, "method"))
        {
          if (!member_string (member, name, &rule->method, error))
            goto fail;
        }
      else if (g_str_equal (name, "path"))
        {
          if (!member_string (member, name, &rule->path, error))
            goto fail;
        }
      else if (g_str_equal (name, "after"))
        {
          if (!member_int (member, name, 0, G_MAXINT64, &rule->after, error))
            goto fail;
        }
      else if (g_str_equal (name, "times"))
        {
          if (!member_int (member, name, -1, G_MAXINT64, &rule->times, error))
            goto fail;
        }
      else if (g_str_equal (name, "status"))
        {
          if (!member_int (member, name, 200, 599, &value, error))
            goto fail;
          rule->status = (guint) value;
        }
      else if (g_str_equal (name, "latencyMs"))
        {
          if (!member_int (member, name, 0, MAX_FAULT_LATENCY_MS, &value, error))
            goto fail;
          rule->latency_ms = (guint) value;
        }
      else if (g_str_equal (name, "retryAfter"))
        {
          /* A number is accepted too, and sent as its decimal text. */
          if (JSON_NODE_HOLDS_VALUE (member) &&
              json_node_get_value_type (member) == G_TYPE_INT64)
            {
              g_free (rule->retry_after);
              rule->retry_after = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                   json_node_get_int (member));
            }
          else if (!member_string (member, name, &rule->retry_after, error))
            {
              goto fail;
            }
          if (strpbrk (rule->retry_after, "\r\n") != NULL)
            {
              g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                                   "fault rule: “retryAfter” must be one line");
              goto fail;
            }
        }
      else if (g_str_equal (name, "body"))
        {
          if (!member_string (member, name, &rule->body, error))
            goto fail;
        }
      else if (g_str_equal (name, "bodyNesting"))
        {
          if (!member_int (member, name, 1, MAX_FAULT_BODY_NESTING,
                           &rule->body_nesting, error))
            goto fail;
        }
      else if (g_str_equal (name, "action"))
        {
          g_autofree char *action = NULL;
          guint i;

          if (!member_string (member, name, &action, error))
            goto fail;
          for (i = 0; i < G_N_ELEMENTS (actions); i++)
            {
              if (g_str_equal (action, actions[i].name))
                break;
            }
          if (i == G_N_ELEMENTS (actions))
            {
              g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "fault rule: unknown action “%s” (status, drop, truncate, "
                           "latency or malformed)", action);
              goto fail;
            }
          rule->action = actions[i].action;
          have_action = TRUE;
        }
      else
        {
          g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                       "fault rule: unknown member “%s”", name);
          goto fail;
        }
    }

  if (!have_action)
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "fault rule: “action” is required");
      goto fail;
    }
  if (rule->body != NULL && rule->body_nesting > 0)
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "fault rule: “body” and “bodyNesting” exclude each other");
      goto fail;
    }
  return rule;

fail:
  vi_fault_rule_free (rule);
  return NULL;
}

GPtrArray *
vi_fault_rules_parse (const char  *json,
                      gssize       length,
                      GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) rules = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = length < 0 ? strlen (json) : (gsize) length;
  gsize pos = 0;

  while (pos < len && g_ascii_isspace (json[pos]))
    pos++;
  if (pos == len)
    {
      g_set_error_literal (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                           "no fault rule given");
      return NULL;
    }
  root = vi_server_json_parse (json, len, &local_error);
  if (root == NULL)
    {
      g_set_error (error, VI_ERROR, VI_ERROR_INVALID_ARGUMENT,
                   "fault rules are not valid JSON: %s", local_error->message);
      return NULL;
    }

  rules = g_ptr_array_new_with_free_func ((GDestroyNotify) vi_fault_rule_free);
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);
      guint i;

      for (i = 0; i < json_array_get_length (array); i++)
        {
          ViFaultRule *rule = parse_rule (json_array_get_element (array, i), error);

          if (rule == NULL)
            return NULL;
          g_ptr_array_add (rules, rule);
        }
    }
  else
    {
      ViFaultRule *rule = parse_rule (root, error);

      if (rule == NULL)
        return NULL;
      g_ptr_array_add (rules, rule);
    }

  return g_steal_pointer (&rules);
}

/* {"error":"X","message":[[…]]}, the arrays nested depth deep. */
static GBytes *
nested_body (gint64 depth)
{
  static const char head[] = "{\"error\":\"X\",\"message\":";
  gsize len = sizeof head - 1 + 2 * (gsize) depth + 1;
  char *body = g_malloc (len);

  memcpy (body, head, sizeof head - 1);
  memset (body + sizeof head - 1, '[', depth);
  memset (body + sizeof head - 1 + depth, ']', depth);
  body[len - 1] = '}';
  return g_bytes_new_take (body, len);
}

gboolean
vi_fault_rules_match (GPtrArray  *rules,
                      const char *method,
                      const char *path,
                      ViFault    *fault)
{
  guint i;

  for (i = 0; i < rules->len; i++)
    {
      ViFaultRule *rule = g_ptr_array_index (rules, i);

      if (rule->method != NULL && g_ascii_strcasecmp (rule->method, method) != 0)
        continue;
      if (rule->path != NULL && !g_str_has_prefix (path, rule->path))
        continue;

      rule->seen++;
      if (rule->seen <= rule->after)
        continue;
      if (rule->times >= 0 && rule->fired >= rule->times)
        continue;

      rule->fired++;
      fault->action = rule->action;
      fault->status = rule->status;
      fault->retry_after = g_strdup (rule->retry_after);
      fault->latency_ms = rule->latency_ms;
      if (rule->body != NULL)
        fault->body = g_bytes_new (rule->body, strlen (rule->body));
      else if (rule->body_nesting > 0)
        fault->body = nested_body (rule->body_nesting);
      return TRUE;
    }
  return FALSE;
}

void
vi_fault_rules_to_json (GPtrArray *rules,
                        GString   *out)
{
  guint i;

  g_string_append_c (out, '[');
  for (i = 0; i < rules->len; i++)
    {
      ViFaultRule *rule = g_ptr_array_index (rules, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"action\":");
      _vi_json_append_string (out, vi_fault_action_to_string (rule->action));
      if (rule->method != NULL)
        {
          g_string_append (out, ",\"method\":");
          _vi_json_append_string (out, rule->method);
        }
      if (rule->path != NULL)
        {
          g_string_append (out, ",\"path\":");
          _vi_json_append_string (out, rule->path);
        }
      g_string_append_printf (out, ",\"after\":%" G_GINT64_FORMAT
                              ",\"times\":%" G_GINT64_FORMAT
                              ",\"status\":%u,\"latencyMs\":%u",
                              rule->after, rule->times, rule->status, rule->latency_ms);
      if (rule->retry_after != NULL)
        {
          g_string_append (out, ",\"retryAfter\":");
          _vi_json_append_string (out, rule->retry_after);
        }
      if (rule->body != NULL)
        {
          g_string_append (out, ",\"body\":");
          _vi_json_append_string (out, rule->body);
        }
      if (rule->body_nesting > 0)
        g_string_append_printf (out, ",\"bodyNesting\":%" G_GINT64_FORMAT,
                                rule->body_nesting);
      g_string_append_printf (out, ",\"seen\":%" G_GINT64_FORMAT
                              ",\"fired\":%" G_GINT64_FORMAT "}",
                              rule->seen, rule->fired);
    }
  g_string_append_c (out, ']');
}
