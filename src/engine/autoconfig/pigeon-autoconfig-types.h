/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pigeon-account.h"

G_BEGIN_DECLS

/* Where a server's settings came from, in the order they are trusted. */
typedef enum
{
  PIGEON_AUTOCONFIG_SOURCE_BUNDLED,       /* Pigeon's own list of providers */
  PIGEON_AUTOCONFIG_SOURCE_DOMAIN,        /* the domain's autoconfig file */
  PIGEON_AUTOCONFIG_SOURCE_MX,            /* Pigeon's list, through the domain's mail server */
  PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER,  /* the domain's (Exchange) Autodiscover service */
  PIGEON_AUTOCONFIG_SOURCE_SRV,           /* the domain's SRV records (RFC 6186) */
  PIGEON_AUTOCONFIG_SOURCE_GUESS,         /* a usual server name that answered */
} PigeonAutoconfigSource;

/* How a server lets people log in. */
typedef enum /*< flags >*/
{
  PIGEON_AUTOCONFIG_AUTH_NONE     = 0,
  PIGEON_AUTOCONFIG_AUTH_PASSWORD = 1 << 0,  /* a password, in clear inside TLS or hashed */
  PIGEON_AUTOCONFIG_AUTH_OAUTH2   = 1 << 1,  /* a browser sign-in */
  PIGEON_AUTOCONFIG_AUTH_OTHER    = 1 << 2,  /* NTLM, Kerberos, client certificates, by address */
} PigeonAutoconfigAuth;

/* One server, mapped onto a registered provider. */
typedef struct
{
  char                   *protocol;  /* a registered provider's protocol */
  char                   *host;      /* a host name, or a URL where the provider takes one */
  guint16                 port;      /* 0: the provider's usual port for the security */
  PigeonSecurity          security;
  char                   *user;      /* the login name; NULL: the e-mail address */
  PigeonAutoconfigAuth    auth;
  PigeonAutoconfigSource  source;
} PigeonAutoconfigServer;

#define PIGEON_TYPE_AUTOCONFIG_SERVER (pigeon_autoconfig_server_get_type ())
GType                   pigeon_autoconfig_server_get_type (void) G_GNUC_CONST;
PigeonAutoconfigServer *pigeon_autoconfig_server_new      (const char             *protocol,
                                                           const char             *host,
                                                           guint16                 port,
                                                           PigeonSecurity          security,
                                                           PigeonAutoconfigSource  source);
PigeonAutoconfigServer *pigeon_autoconfig_server_copy     (const PigeonAutoconfigServer *server);
void                    pigeon_autoconfig_server_free     (PigeonAutoconfigServer *server);
/* Whether Pigeon can log in there by itself: encrypted, and with a password. */
gboolean                pigeon_autoconfig_server_is_usable (const PigeonAutoconfigServer *server);
/* The same protocol, host (without regard to case), port and security. */
gboolean                pigeon_autoconfig_server_equal    (const PigeonAutoconfigServer *a,
                                                           const PigeonAutoconfigServer *b);

/*
 * What was found for an address: the servers of every source, best first, and what the
 * provider asks its users to do (allow IMAP in the webmail, make an app password, …).
 */
typedef struct
{
  char                   *display_name;       /* "Google Mail", or NULL */
  GPtrArray              *incoming;           /* of PigeonAutoconfigServer, best first */
  GPtrArray              *outgoing;           /* of PigeonAutoconfigServer, best first */
  char                   *instruction;        /* a sentence from the provider, or NULL */
  char                   *instruction_url;    /* where to do it, or NULL */
  char                   *documentation_url;  /* the provider's page on mail programs */
} PigeonAutoconfigResult;

#define PIGEON_TYPE_AUTOCONFIG_RESULT (pigeon_autoconfig_result_get_type ())
GType                   pigeon_autoconfig_result_get_type (void) G_GNUC_CONST;
PigeonAutoconfigResult *pigeon_autoconfig_result_new      (void);
PigeonAutoconfigResult *pigeon_autoconfig_result_copy     (const PigeonAutoconfigResult *result);
void                    pigeon_autoconfig_result_free     (PigeonAutoconfigResult *result);

/* Adds what OTHER knows that RESULT does not: servers not yet listed (after RESULT's own),
 * and the display name and instructions when RESULT has none. */
void                    pigeon_autoconfig_result_merge    (PigeonAutoconfigResult       *result,
                                                           const PigeonAutoconfigResult *other);
/* Orders both lists best first: by source, then TLS before STARTTLS before none, keeping
 * the order of equals (the order a source gave). */
void                    pigeon_autoconfig_result_sort     (PigeonAutoconfigResult *result);
gboolean                pigeon_autoconfig_result_is_empty (const PigeonAutoconfigResult *result);

/* The protocols Pigeon can use for this address (usable incoming servers), best first.
 * Free with g_strfreev. */
char **
pigeon_autoconfig_result_list_protocols (const PigeonAutoconfigResult *result);
/* The best usable server for PROTOCOL (incoming), or for sending (outgoing: a server of a
 * provider that uses the account's outgoing settings), or NULL. */
const PigeonAutoconfigServer *
pigeon_autoconfig_result_get_incoming (const PigeonAutoconfigResult *result,
                                       const char                   *protocol);
const PigeonAutoconfigServer *
pigeon_autoconfig_result_get_outgoing (const PigeonAutoconfigResult *result);
/* Whether incoming servers were found that only take a browser sign-in (OAuth2). */
gboolean
pigeon_autoconfig_result_needs_oauth2 (const PigeonAutoconfigResult *result);

/* Fills ACCOUNT's incoming settings from INCOMING, and its outgoing settings from the best
 * outgoing server when INCOMING's provider does not send by itself. */
void                    pigeon_autoconfig_result_apply    (const PigeonAutoconfigResult *result,
                                                           const PigeonAutoconfigServer *incoming,
                                                           PigeonAccount                *account);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonAutoconfigServer, pigeon_autoconfig_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonAutoconfigResult, pigeon_autoconfig_result_free)

G_END_DECLS
