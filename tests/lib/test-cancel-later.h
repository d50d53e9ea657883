/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2025 The viannot authors */
#pragma once

#include <gio/gio.h>

/* Test helper: cancels cancellable from a thread of its own after
 * delay_us microseconds, as an application's other thread would.  Join
 * the thread returned before dropping cancellable.
 *
 * Only for the tests where the moment itself is what is tested: cancels
 * spread over the whole of a call, at any moment of it.  A cancel meant
 * to land in a given state of the call (a request the server has, a
 * pause) waits for that state instead:
 * vi_test_server_cancel_on_request(). */

typedef struct {
  GCancellable *cancellable;
  gulong        delay_us;
} CancelLater;

static gpointer
cancel_later_thread (gpointer data)
{
  CancelLater *c = data;

  if (c->delay_us > 0)
    g_usleep (c->delay_us);
  g_cancellable_cancel (c->cancellable);
  g_free (c);
  return NULL;
}

static inline GThread *
cancel_later (GCancellable *cancellable, gulong delay_us)
{
  CancelLater *c = g_new0 (CancelLater, 1);

  c->cancellable = cancellable;
  c->delay_us = delay_us;
  return g_thread_new ("cancel-later", cancel_later_thread, c);
}
