/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The client side of the SASL mechanisms Pigeon speaks (IMAP AUTHENTICATE, POP3 AUTH,
 * SMTP AUTH): PLAIN (empty authzid), LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256
 * (RFC 5802, RFC 7677; the server's signature is verified).  It only computes bytes: the
 * caller does the protocol framing and the base64 (pigeon_sasl_encode/decode).
 *
 * A caller loop:
 *   sasl = pigeon_sasl_new (mech, user, password);
 *   if (pigeon_sasl_has_initial_response (sasl))   send step (NULL, 0) with the command
 *   else                                            send the command alone
 *   for each server challenge                      send step (challenge)
 *   when the server says it succeeded              require pigeon_sasl_is_done (sasl)
 * SCRAM is done only after the server's final message proved it knows the password; a
 * server that reports success before that must be treated as a failure.
 *
 * Responses may hold the password: send them with pigeon_connection_write_secret_line
 * and clear them with pigeon_sasl_wipe.
 */

typedef struct _PigeonSasl PigeonSasl;

/* Whether MECHANISM (case-insensitive) is one this module speaks. */
gboolean     pigeon_sasl_is_supported         (const char         *mechanism);

/* The best of the OFFERED mechanisms (a NULL-terminated list, case-insensitive), as one
 * of the upper-case names above, or NULL when none is acceptable.  SCRAM comes first
 * everywhere; PLAIN and LOGIN send the password itself and are chosen only over an
 * ENCRYPTED channel, or with ALLOW_PLAINTEXT (the account's explicit opt-in). */
const char  *pigeon_sasl_choose               (const char * const *offered,
                                               gboolean            encrypted,
                                               gboolean            allow_plaintext);

PigeonSasl  *pigeon_sasl_new                  (const char         *mechanism,
                                               const char         *user,
                                               const char         *password);
void         pigeon_sasl_free                 (PigeonSasl         *self);

const char  *pigeon_sasl_get_mechanism        (PigeonSasl         *self);
/* Whether the client speaks first (PLAIN, SCRAM): the first step then takes no
 * challenge, and its response may go with the command (SASL-IR, SMTP AUTH). */
gboolean     pigeon_sasl_has_initial_response (PigeonSasl         *self);

/* Computes the response to CHALLENGE (already base64-decoded; NULL/0 for the first step
 * of a client-first mechanism) into RESPONSE_OUT, replacing its contents.  Fails with
 * PIGEON_ERROR_PROTOCOL on a malformed or dishonest challenge and PIGEON_ERROR_AUTH when
 * the server reports a SCRAM error. */
gboolean     pigeon_sasl_step                 (PigeonSasl         *self,
                                               const guchar       *challenge,
                                               gsize               length,
                                               GByteArray         *response_out,
                                               GError            **error);
gboolean     pigeon_sasl_is_done              (PigeonSasl         *self);

/* Base64 without line breaks ("" for no data). */
char        *pigeon_sasl_encode               (const guchar       *data,
                                               gsize               length);
/* Strict base64: anything but the alphabet and final padding is PIGEON_ERROR_PROTOCOL. */
guchar      *pigeon_sasl_decode               (const char         *text,
                                               gsize              *length,
                                               GError            **error);
/* Zeroes BYTES and empties it. */
void         pigeon_sasl_wipe                 (GByteArray         *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonSasl, pigeon_sasl_free)

G_END_DECLS
