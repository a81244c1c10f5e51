/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-account.h"
#include "pigeon-pop3-parser.h"

G_BEGIN_DECLS

/*
 * One POP3 connection (RFC 1939, 2449, 2595, 5034): greeting, CAPA, STLS, login (SASL,
 * APOP or USER/PASS), the mailbox listing (LIST + UIDL), RETR, TOP and DELE, pipelined when
 * the server offers PIPELINING, and QUIT, which is when the server really deletes.
 * Blocking, for one worker thread.
 *
 * Errors are PIGEON_ERROR with a sentence for the user.  The server's response codes
 * decide the code: [IN-USE] is IN_USE, [AUTH] is AUTH, [LOGIN-DELAY] and [SYS/TEMP] are
 * SERVER; pigeon_pop3_session_get_retry_after() then says how long to wait.  Any read,
 * write or parse failure closes the connection; later calls fail with CONNECTION_LOST.
 */

#define PIGEON_TYPE_POP3_SESSION (pigeon_pop3_session_get_type ())
G_DECLARE_FINAL_TYPE (PigeonPop3Session, pigeon_pop3_session, PIGEON, POP3_SESSION, GObject)

/* One message of the maildrop. */
typedef struct
{
  guint    number;  /* message number in this session, from 1 */
  guint64  size;    /* octets, as LIST reports them */
  char    *uidl;    /* NULL when the server has no UIDL */
} PigeonPop3Entry;

void             pigeon_pop3_entry_free            (PigeonPop3Entry *entry);

PigeonPop3Session *pigeon_pop3_session_new         (const char             *host,
                                                    guint16                 port,
                                                    PigeonSecurity          security,
                                                    const char             *pinned_fingerprint,
                                                    const PigeonPop3Limits *limits);

/* Seconds to wait for the connection and each read (default 60). */
void             pigeon_pop3_session_set_timeout   (PigeonPop3Session *self,
                                                    guint              seconds);

/* Connects, reads the greeting, asks for CAPA and, with STARTTLS security, upgrades with
 * STLS (refusing to go on without it) and asks for CAPA again. */
gboolean         pigeon_pop3_session_connect       (PigeonPop3Session *self,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* Logs in as USER.  MECHANISM NULL picks the best the server offers: SCRAM or CRAM-MD5,
 * then PLAIN/LOGIN or USER/PASS over an encrypted connection, APOP rather than a password
 * in clear text; "USER", "APOP" or a SASL name forces one.  ALLOW_PLAINTEXT permits
 * sending the password unencrypted (the account's explicit opt-in).  Afterwards CAPA is
 * asked again, as servers may offer more once logged in. */
gboolean         pigeon_pop3_session_login         (PigeonPop3Session *self,
                                                    const char        *mechanism,
                                                    const char        *user,
                                                    const char        *password,
                                                    gboolean           allow_plaintext,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* The maildrop: LIST and, when the server has it, UIDL (both pipelined where possible).
 * PigeonPop3Entry*, by number.  *HAS_UIDL says whether UIDL worked. */
GPtrArray       *pigeon_pop3_session_list          (PigeonPop3Session *self,
                                                    gboolean          *has_uidl,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* Called for each message, in order: RAW is the message with CR LF line ends, dots
 * unstuffed; or RAW is NULL and REFUSAL says why the server would not send it.  Return
 * FALSE (with ERROR set) to stop. */
typedef gboolean (*PigeonPop3MessageFunc) (PigeonPop3Session *session,
                                           guint              number,
                                           GBytes            *raw,
                                           const GError      *refusal,
                                           gpointer           user_data,
                                           GError           **error);

/* RETR each of NUMBERS, pipelined when the server offers PIPELINING.  A message the server
 * refuses (-ERR) is reported to FUNC and the others still come. */
gboolean         pigeon_pop3_session_retrieve      (PigeonPop3Session     *self,
                                                    const guint           *numbers,
                                                    guint                  n_numbers,
                                                    PigeonPop3MessageFunc  func,
                                                    gpointer               user_data,
                                                    GCancellable          *cancellable,
                                                    GError               **error);

/* TOP NUMBER LINES: the header and the first LINES lines of the body. */
GBytes          *pigeon_pop3_session_top           (PigeonPop3Session *self,
                                                    guint              number,
                                                    guint              lines,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* DELE each of NUMBERS (pipelined when offered).  DELETED (N_NUMBERS entries) gets TRUE
 * for each the server marked; a refusal of one message does not stop the others.  The
 * server deletes only at a successful QUIT. */
gboolean         pigeon_pop3_session_delete        (PigeonPop3Session *self,
                                                    const guint       *numbers,
                                                    guint              n_numbers,
                                                    gboolean          *deleted,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

gboolean         pigeon_pop3_session_noop          (PigeonPop3Session *self,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* QUIT: TRUE when the server confirmed, which means every DELE of the session is done. */
gboolean         pigeon_pop3_session_quit          (PigeonPop3Session *self,
                                                    GCancellable      *cancellable,
                                                    GError           **error);

/* Drops the connection without QUIT: the server forgets every DELE of the session. */
void             pigeon_pop3_session_close         (PigeonPop3Session *self);

const PigeonPop3Capabilities *pigeon_pop3_session_get_capabilities (PigeonPop3Session *self);
gboolean         pigeon_pop3_session_is_encrypted  (PigeonPop3Session *self);
/* The mechanism the last login used ("USER", "APOP", "SCRAM-SHA-256", …). */
const char      *pigeon_pop3_session_get_mechanism (PigeonPop3Session *self);
/* After an IN_USE or SERVER error: seconds before trying again is worth it (0: unknown). */
guint            pigeon_pop3_session_get_retry_after (PigeonPop3Session *self);
/* The response code of the last -ERR ("LOGIN-DELAY", "IN-USE", …), NULL when it had none. */
const char      *pigeon_pop3_session_get_response_code (PigeonPop3Session *self);

G_END_DECLS
