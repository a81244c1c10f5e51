/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_AUTOCONFIG (pigeon_autoconfig_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAutoconfig, pigeon_autoconfig, PIGEON, AUTOCONFIG, GObject)

/*
 * Finds the settings for an e-mail address, the way the account assistant needs them.
 *
 * Pigeon's own list of providers answers at once, without the network.  Otherwise these
 * run in parallel, each with its own deadline: the domain's autoconfig file
 * (https://autoconfig.<domain>/mail/config-v1.1.xml and
 * https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml), the domain's MX hosts
 * looked up in Pigeon's list, Exchange Autodiscover, RFC 6186 SRV records, and guesses
 * (usual host names on the providers' usual ports).  Guesses stop, and count for nothing,
 * as soon as another source found a server.  Once an autoconfig file was found, the rest
 * get a moment more.
 * Everything found is merged, best first (see PigeonAutoconfigSource).
 *
 * Names are resolved through g_resolver_get_default(): tests install their own resolver
 * with g_resolver_set_default().
 *
 * Properties:
 *   timeout       seconds for each connection and each read (default 5)
 *   tls-database  the certificates trusted for https (default: the system's)
 *   http-base     test plumbing: when set, a request for https://HOST/PATH goes to
 *                 HTTP-BASE/HOST/PATH instead.  It defaults to the environment variable
 *                 PIGEON_TEST_AUTOCONFIG_BASE, which the test suite sets and nobody else.
 */
PigeonAutoconfig       *pigeon_autoconfig_new           (void);

/* PASSWORD (may be NULL) is offered to the domain's own Autodiscover service only, over
 * https.  Errors: PIGEON_ERROR_INVALID for what is not an address, PIGEON_ERROR_NOT_FOUND
 * when nothing was found (the message says so for the domain). */
void                    pigeon_autoconfig_lookup_async  (PigeonAutoconfig     *self,
                                                         const char           *email,
                                                         const char           *password,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
PigeonAutoconfigResult *pigeon_autoconfig_lookup_finish (PigeonAutoconfig     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
