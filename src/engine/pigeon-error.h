/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The engine-wide error domain.  Every provider maps what went wrong onto one of
 * these codes, because that is what the window reacts to (a wrong password offers
 * "Enter password…", an untrusted certificate offers "Trust", and so on).  The
 * message is a sentence the user can act on.
 */
#define PIGEON_ERROR (pigeon_error_quark ())

typedef enum
{
  PIGEON_ERROR_FAILED,            /* anything else */
  PIGEON_ERROR_AUTH,              /* the server rejected the credentials */
  PIGEON_ERROR_NO_PASSWORD,       /* no password in the keyring for this account */
  PIGEON_ERROR_KEYRING,           /* the keyring is missing or locked */
  PIGEON_ERROR_CERTIFICATE,       /* the server's certificate is not trusted */
  PIGEON_ERROR_CONNECT,           /* host unreachable, refused, DNS failure */
  PIGEON_ERROR_CONNECTION_LOST,   /* the server dropped the connection */
  PIGEON_ERROR_TIMEOUT,           /* the server stopped answering */
  PIGEON_ERROR_PROTOCOL,          /* malformed or hostile reply */
  PIGEON_ERROR_UNSUPPORTED,       /* the server lacks something we need */
  PIGEON_ERROR_SERVER,            /* the server reported a (possibly temporary) failure */
  PIGEON_ERROR_IN_USE,            /* the mailbox is locked by another client */
  PIGEON_ERROR_NOT_FOUND,         /* no such account, folder or message */
  PIGEON_ERROR_INVALID,           /* bad input from the user or a caller */
  PIGEON_ERROR_STORAGE,           /* local disk or database trouble */
  PIGEON_ERROR_STORE_TOO_NEW,     /* the cache was written by a newer Pigeon */
  PIGEON_ERROR_CONFIG,            /* accounts.ini is damaged */
  PIGEON_ERROR_REJECTED,          /* a recipient or message was refused */
  PIGEON_ERROR_TOO_BIG,           /* the message exceeds a server limit */
  PIGEON_ERROR_OFFLINE,           /* no network */
} PigeonErrorCode;

GQuark      pigeon_error_quark           (void);
gboolean    pigeon_error_is_transient    (const GError *error);
const char *pigeon_error_code_to_string  (PigeonErrorCode code);

G_END_DECLS
