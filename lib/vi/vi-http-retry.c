/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
/*
 * When an exchange is tried again (docs/protocol.md §10), for every request
 * libvi sends: 429 up to max_rate_limit_retries times honouring Retry-After
 * (capped), 500/502/503/504, timeouts and transport errors up to
 * max_retries times with full-jitter exponential backoff.  The waits
 * between attempts are main-context timeouts that a cancellation ends at
 * once.
 */
#include "config.h"

#include <math.h>

#include "vi-http-private.h"

/* Retry-After is delta-seconds (integer or decimal) or an HTTP-date. */
gboolean
_vi_http_parse_retry_after (const char *value, GDateTime *now, double *seconds)
{
  char  *end = NULL;
  double v;
  g_autoptr (GDateTime) date = NULL;

  if (value == NULL)
    return FALSE;
  while (g_ascii_isspace (*value))
    value++;
  if (*value == '\0')
    return FALSE;

  v = g_ascii_strtod (value, &end);
  if (end != value) {
    while (g_ascii_isspace (*end))
      end++;
    if (*end == '\0' && isfinite (v) && v >= 0) {
      *seconds = v;
      return TRUE;
    }
    if (*end == '\0')
      return FALSE;
  }

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return FALSE;
  v = g_date_time_difference (date, now) / (double) G_USEC_PER_SEC;
  *seconds = MAX (v, 0.0);
  return TRUE;
}

/* Full jitter: uniform(0, base * 2^(attempt-1)), capped; attempt counts
 * from 1. */
double
_vi_http_backoff_delay (const ViRetryPolicy *policy, guint attempt)
{
  double ceiling;

  ceiling = policy->base_delay * ldexp (1.0, (int) MIN (attempt, 30u) - 1);
  ceiling = MIN (ceiling, policy->max_delay);
  if (ceiling <= 0)
    return 0;
  return g_random_double_range (0, ceiling);
}

/* The retry rule of docs/protocol.md §10, shared by API calls, signed uploads
 * and ranged downloads.  status is the HTTP status, or 0 when the exchange
 * failed below HTTP (transport_error, never a cancellation).  Counts the
 * retry in state and gives the wait before the next attempt. */
gboolean
_vi_retry_next (const ViRetryPolicy *policy,
                ViRetryState        *state,
                guint                status,
                SoupMessageHeaders  *response_headers,
                double              *delay)
{
  if (status == 0 || status == 500 || status == 502 || status == 503 ||
      status == 504) {
    /* Retry-After is ignored for these, as the SDK does. */
    if (state->server_retries >= policy->max_retries)
      return FALSE;
    state->server_retries++;
    *delay = _vi_http_backoff_delay (policy, state->server_retries);
    return TRUE;
  }

  if (status == 429) {
    const char *retry_after = response_headers
        ? soup_message_headers_get_one (response_headers, "Retry-After")
        : NULL;
    g_autoptr (GDateTime) now = NULL;

    if (state->rate_retries >= policy->max_rate_limit_retries)
      return FALSE;
    state->rate_retries++;
    now = g_date_time_new_now_utc ();
    if (_vi_http_parse_retry_after (retry_after, now, delay))
      *delay = MIN (*delay, policy->max_delay);
    else
      *delay = _vi_http_backoff_delay (policy, state->rate_retries);
    return TRUE;
  }

  return FALSE;
}

/* ------------------------------------------------------------------------
 * Waiting before the next attempt
 * ------------------------------------------------------------------------ */

typedef struct {
  GTask      *task;
  ViRetryFunc again;
} RetryLater;

static void
retry_slept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RetryLater *later = user_data;
  g_autoptr (GTask) task = later->task;
  ViRetryFunc again = later->again;
  GError     *error = NULL;

  g_free (later);
  if (!_vi_sleep_finish (result, &error)) {
    g_task_return_error (task, error);
    return;
  }
  again (task);
}

void
_vi_retry_later (GTask *task, double seconds, ViRetryFunc again)
{
  RetryLater *later = g_new (RetryLater, 1);

  later->task = g_object_ref (task);
  later->again = again;
  _vi_sleep_async (seconds, g_task_get_cancellable (task), retry_slept_cb,
                   later);
}
