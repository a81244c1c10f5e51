/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

/*
 * Pigeon's own list of large mail providers (data/autoconfig/, ISPDB format): compiled
 * into the engine, and read from PKGDATADIR/autoconfig/ as installed, where a file there
 * replaces the built-in one of the same name and new files add providers.
 */

/* The settings for DOMAIN, or NULL when no provider on the list serves it.  EMAIL fills
 * the placeholders; SOURCE is recorded on every server. */
PigeonAutoconfigResult *pigeon_autoconfig_database_lookup     (const char             *domain,
                                                               const char             *email,
                                                               PigeonAutoconfigSource  source);
/* The same for a mail server's host name (a domain's MX): the provider whose domain is the
 * host or one of its parent domains ("alt1.aspmx.l.google.com" finds "google.com"). */
PigeonAutoconfigResult *pigeon_autoconfig_database_lookup_host (const char             *host,
                                                                const char             *email,
                                                                PigeonAutoconfigSource  source);
/* Every domain on the list (for tests and diagnostics), sorted. */
char                  **pigeon_autoconfig_database_list_domains (void);

G_END_DECLS
