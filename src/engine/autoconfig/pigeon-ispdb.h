/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

/*
 * The ISPDB format (Thunderbird's autoconfig, <clientConfig version="1.1">): what a domain
 * publishes at autoconfig.<domain>/mail/config-v1.1.xml, and what Pigeon's own list of
 * providers (data/autoconfig/) is written in.
 *
 * A server's type is looked up among the registered providers
 * (pigeon_provider_class_lookup_config_name); servers no provider knows are left out.
 * EMAIL fills the placeholders %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN%.
 * Errors are PIGEON_ERROR_PROTOCOL: not XML, not an ISPDB document, no usable server.
 */
PigeonAutoconfigResult *pigeon_ispdb_parse         (GBytes                  *document,
                                                    const char              *email,
                                                    PigeonAutoconfigSource   source,
                                                    GError                 **error);

/* The domains a document is for (its <domain> elements, lower case). */
char                  **pigeon_ispdb_parse_domains (GBytes                  *document,
                                                    GError                 **error);

/* The local part and domain of an address ("a@B.org" gives "a" and "b.org"); FALSE when it
 * is not an address. */
gboolean                pigeon_autoconfig_split_address (const char  *email,
                                                         char       **local_part,
                                                         char       **domain);

G_END_DECLS
