/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-connection.h"
#include "pigeon-smtp-reply.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_SMTP_SESSION (pigeon_smtp_session_get_type ())
G_DECLARE_FINAL_TYPE (PigeonSmtpSession, pigeon_smtp_session, PIGEON, SMTP_SESSION, GObject)

/*
 * One SMTP submission connection (RFC 5321, 6409): greeting, EHLO (HELO when the server
 * knows no EHLO), STARTTLS (RFC 3207), AUTH (RFC 4954) through pigeon-sasl, and mail
 * transactions with PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152) and
 * SMTPUTF8 (RFC 6531).  Blocking; use it from one worker thread.
 *
 * Errors are PIGEON_ERROR with a sentence for the user: CONNECT / CERTIFICATE /
 * CONNECTION_LOST / TIMEOUT from the connection, PROTOCOL for a reply that cannot be read,
 * UNSUPPORTED when the server cannot do what the account's settings demand (STARTTLS), AUTH
 * for a refused login, SERVER for a temporary (4xx) refusal, REJECTED for a permanent one,
 * TOO_BIG when the message exceeds the server's SIZE, INVALID for an address that cannot be
 * put in an SMTP command.
 */

/* Called right before the end of the message data is sent, the point after which the
 * server may have the message; returning FALSE abandons the transaction (the connection
 * is closed, so the server discards what it got). */
typedef gboolean (*PigeonSmtpCheckpointFunc) (gpointer   user_data,
                                              GError   **error);

/* Takes a reference on CONNECTION, which must be created but not yet connected. */
PigeonSmtpSession    *pigeon_smtp_session_new          (PigeonConnection  *connection);
PigeonConnection     *pigeon_smtp_session_get_connection (PigeonSmtpSession *self);
/* Seconds to wait for connecting and for each reply (default 30); the reply to the end
 * of the message data may take up to ten minutes whatever this says. */
void                  pigeon_smtp_session_set_timeout  (PigeonSmtpSession *self,
                                                        guint              seconds);
/* The EHLO reply's extensions (after STARTTLS: the second EHLO's); NULL before open. */
const PigeonSmtpCaps *pigeon_smtp_session_get_caps     (PigeonSmtpSession *self);

/* Connects, reads the greeting, introduces itself as HELO_NAME (NULL: this end's address
 * literal, "[192.0.2.7]") and, with
 * PIGEON_SECURITY_STARTTLS, upgrades the connection: a server that does not offer STARTTLS
 * is refused before anything else is sent. */
gboolean  pigeon_smtp_session_open          (PigeonSmtpSession   *self,
                                             PigeonSecurity       security,
                                             const char          *helo_name,
                                             GCancellable        *cancellable,
                                             GError             **error);
/* Logs in with the best mechanism both sides know (pigeon_sasl_choose); PLAIN and LOGIN on
 * an unencrypted connection only with ALLOW_PLAINTEXT.  When SCRAM is refused on an
 * encrypted connection, tries once more with the next mechanism: servers that store
 * passwords hashed announce SCRAM they cannot do.  A server that offers no AUTH at all is
 * not logged in to (a relay that trusts its network); it then refuses the mail itself. */
gboolean  pigeon_smtp_session_authenticate  (PigeonSmtpSession   *self,
                                             const char          *user,
                                             const char          *password,
                                             gboolean             allow_plaintext,
                                             GCancellable        *cancellable,
                                             GError             **error);
/* One mail transaction: FROM to RECIPIENTS, MESSAGE (RFC 5322 bytes; line ends are sent
 * as CR LF and lines are dot-stuffed here).  TRUE once the server accepted the message for
 * at least one recipient; a recipient refused for good is appended to REJECTED as
 * "bob@example.org was rejected: 550 5.1.1 no such user" and the others still get it.  A
 * recipient refused for now (4xx) abandons the transaction with PIGEON_ERROR_SERVER, so
 * the whole message is tried again later and nobody gets it twice. */
gboolean  pigeon_smtp_session_send          (PigeonSmtpSession        *self,
                                             const char               *from,
                                             const char * const       *recipients,
                                             GBytes                   *message,
                                             PigeonSmtpCheckpointFunc  checkpoint,
                                             gpointer                  checkpoint_data,
                                             GPtrArray                *rejected,
                                             GCancellable             *cancellable,
                                             GError                  **error);
/* Whether the connection is still usable for another transaction. */
gboolean  pigeon_smtp_session_is_open       (PigeonSmtpSession   *self);
/* QUIT, politely, then close; never fails. */
void      pigeon_smtp_session_quit          (PigeonSmtpSession   *self);

/* Whether ADDRESS can be put in MAIL FROM / RCPT TO: an addr-spec without spaces, angle
 * brackets, control characters or line breaks.  *NEEDS_UTF8 tells whether it has non-ASCII
 * characters (which need SMTPUTF8). */
gboolean  pigeon_smtp_address_is_valid      (const char          *address,
                                             gboolean            *needs_utf8);

G_END_DECLS
