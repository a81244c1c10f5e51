/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-provider.h"

G_BEGIN_DECLS

/*
 * Made-up providers under the names settings documents use (tests are outside src/, so
 * they may name protocols): "imap" and "pop3" receive, "smtp" sends with the outgoing
 * settings, "eas" takes a URL and is known to Autodiscover as "mobilesync".  Their default
 * ports are what test_providers_register () is given, so guesses reach local listeners.
 */
typedef struct
{
  guint16 imap_tls, imap_plain;
  guint16 pop3_tls, pop3_plain;
  guint16 smtp_tls, smtp_plain;
} TestPorts;

void test_providers_register (const TestPorts *ports);

/*
 * A GResolver that knows only what a test tells it: host names (all 127.0.0.1), SRV and
 * MX records.  Everything else is "not found", at once.  Installed as the default resolver.
 */
#define TEST_TYPE_RESOLVER (test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestResolver, test_resolver, TEST, RESOLVER, GResolver)

TestResolver *test_resolver_install     (void);
void          test_resolver_reset       (TestResolver *self);
void          test_resolver_add_host    (TestResolver *self,
                                         const char   *host);
/* RRNAME like "_imaps._tcp.example.test"; TARGET "." says "no such service". */
void          test_resolver_add_srv     (TestResolver *self,
                                         const char   *rrname,
                                         guint16       priority,
                                         guint16       weight,
                                         guint16       port,
                                         const char   *target);
void          test_resolver_add_mx      (TestResolver *self,
                                         const char   *domain,
                                         guint16       preference,
                                         const char   *host);
/* Every query so far ("A imap.example.test", "SRV _imaps._tcp.example.test", "MX …"). */
GPtrArray    *test_resolver_get_queries (TestResolver *self);

/* Runs the default main context until *DONE is set (or fails the test after 30 s). */
void          test_wait_for             (gboolean     *done);

G_END_DECLS
