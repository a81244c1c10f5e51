/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-imap-session.h"

G_BEGIN_DECLS

/*
 * A scripted IMAP server in memory, for the session's unit tests.  The script is a list of
 * lines:
 *   "C: text"   the client must have sent (and flushed) this line next
 *   "S: text"   the server sends this line (CR LF added)
 *   "T:"        the client starts TLS here
 *   "Z:"        the client starts compression here
 *   "X:"        the server closes the connection
 * The server runs only when the client reads: it answers what it can and, when the script
 * wants a client line that was not flushed yet, the read fails with PIGEON_ERROR_TIMEOUT
 * (a real server would wait forever).
 */
typedef struct _ImapScript ImapScript;

ImapScript        *imap_script_new          (const char * const *lines);
PigeonImapSession *imap_script_new_session  (ImapScript *script);
/* Asserts the whole script ran and the client sent nothing more. */
void               imap_script_assert_done  (ImapScript *script);
/* Lines the client wrote but has not flushed yet. */
gsize              imap_script_get_unflushed (ImapScript *script);
void               imap_script_free         (ImapScript *script);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ImapScript, imap_script_free)

G_END_DECLS
