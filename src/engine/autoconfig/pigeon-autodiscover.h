/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

/*
 * Exchange Autodiscover, the "POX" (plain old XML) protocol of [MS-OXDSCLI]: the request
 * a client posts to https://<domain>/autodiscover/autodiscover.xml, and the two answers
 * servers give, the mobilesync schema (an ActiveSync URL) and the outlook schema (IMAP,
 * POP3 and SMTP settings, as hosting panels publish them).
 *
 * Protocol types are looked up among the registered providers
 * (pigeon_provider_class_lookup_config_name, lower case: "mobilesync", …); what no
 * provider knows is left out.
 */

typedef enum
{
  PIGEON_AUTODISCOVER_REQUEST_MOBILESYNC,
  PIGEON_AUTODISCOVER_REQUEST_OUTLOOK,
} PigeonAutodiscoverSchema;

typedef enum
{
  PIGEON_AUTODISCOVER_SETTINGS,          /* result holds the servers */
  PIGEON_AUTODISCOVER_REDIRECT_ADDRESS,  /* ask again for the address in redirect */
  PIGEON_AUTODISCOVER_REDIRECT_URL,      /* ask the service at redirect */
} PigeonAutodiscoverAction;

typedef struct
{
  PigeonAutodiscoverAction  action;
  char                     *redirect;
  PigeonAutoconfigResult   *result;
} PigeonAutodiscoverReply;

GBytes                  *pigeon_autodiscover_build_request (const char               *email,
                                                            PigeonAutodiscoverSchema  schema);
/* Errors: PIGEON_ERROR_PROTOCOL for what is not an Autodiscover answer, and
 * PIGEON_ERROR_NOT_FOUND, with the server's own message, for an answer that reports an
 * error. */
PigeonAutodiscoverReply *pigeon_autodiscover_parse         (GBytes                   *document,
                                                            const char               *email,
                                                            GError                  **error);
void                     pigeon_autodiscover_reply_free    (PigeonAutodiscoverReply  *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonAutodiscoverReply, pigeon_autodiscover_reply_free)

G_END_DECLS
