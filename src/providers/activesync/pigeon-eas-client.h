/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-eas-node.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_EAS_CLIENT (pigeon_eas_client_get_type ())
G_DECLARE_FINAL_TYPE (PigeonEasClient, pigeon_eas_client, PIGEON, EAS_CLIENT, GObject)

/*
 * Exchange ActiveSync over HTTP (libsoup 3, blocking calls for worker threads, one call at
 * a time): OPTIONS, commands as WBXML, Basic authentication, provisioning when the server
 * asks for it (HTTP 449, status 142-144), 451 redirects, 503 with Retry-After, and the
 * HTTP failures mapped onto PIGEON_ERROR codes.
 *
 * URL is the full endpoint ("https://mail.example.org/Microsoft-Server-ActiveSync").
 * PINNED_FINGERPRINT (SHA-256 of the DER, 64 hex digits) accepts that one certificate when
 * it does not verify.
 */
PigeonEasClient *pigeon_eas_client_new              (const char      *url,
                                                     const char      *user,
                                                     const char      *password,
                                                     const char      *device_id,
                                                     const char      *pinned_fingerprint);

/* "https://host/…/Microsoft-Server-ActiveSync" from what the user typed: a URL (with or
 * without the path) or a host name (then https, or http with USE_TLS FALSE, on PORT when
 * not 0).  NULL when it is neither. */
char            *pigeon_eas_client_build_url        (const char      *host_or_url,
                                                     gboolean         use_tls,
                                                     guint            port);

const char      *pigeon_eas_client_get_url          (PigeonEasClient *self);
/* The negotiated protocol version ("14.1"); NULL before pigeon_eas_client_options(). */
const char      *pigeon_eas_client_get_version      (PigeonEasClient *self);
/* The policy key from provisioning ("0" or NULL: none); the provider persists it and
 * hands it back next time.  ::notify::policy-key tells when provisioning changed it. */
const char      *pigeon_eas_client_get_policy_key   (PigeonEasClient *self);
void             pigeon_eas_client_set_policy_key   (PigeonEasClient *self,
                                                     const char      *policy_key);
/* Whether OPTIONS listed COMMAND. */
gboolean         pigeon_eas_client_supports         (PigeonEasClient *self,
                                                     const char      *command);

/* OPTIONS: checks the endpoint and credentials and picks the newest version both sides
 * speak (16.1, 16.0, 14.1, 14.0, 12.1). */
gboolean         pigeon_eas_client_options          (PigeonEasClient *self,
                                                     GCancellable    *cancellable,
                                                     GError         **error);

/* Sends COMMAND with REQUEST (NULL: no body) and EXTRA_QUERY ("&ItemId=…", already
 * escaped, or NULL).  Returns the reply, or NULL with no error for an empty reply (which
 * several commands use for "done" or "no changes").  TIMEOUT_SECONDS bounds the wait for
 * an answer (0: the default), for long polls such as Ping. */
PigeonEasNode   *pigeon_eas_client_command          (PigeonEasClient     *self,
                                                     const char          *command,
                                                     const PigeonEasNode *request,
                                                     const char          *extra_query,
                                                     guint                timeout_seconds,
                                                     GCancellable        *cancellable,
                                                     GError             **error);

/* Provision (two steps, or one when the server has no policy for us). */
gboolean         pigeon_eas_client_provision        (PigeonEasClient *self,
                                                     GCancellable    *cancellable,
                                                     GError         **error);

G_END_DECLS
