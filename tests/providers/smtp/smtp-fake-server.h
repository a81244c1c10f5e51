/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A scripted SMTP server on 127.0.0.1 for the unit tests, for the faults and odd replies a
 * real server will not produce.  It serves one connection in a thread, line by line:
 *   "S: text"   send text and CR LF
 *   "C: text"   the next line from the client must match text (a GPattern: * and ?)
 *   "Q:"        the client must have sent nothing more for now (it waited for a reply)
 *   "T:"        TLS handshake as the server, with tests/engine/net/data/server.pem
 *   "D:"        read message data up to the line "." (kept for smtp_fake_server_dup_data)
 *   "E:"        the client must close the connection now, sending nothing more
 *   "X:"        close the connection
 * Anything the server sees that the script did not expect fails the test at
 * smtp_fake_server_finish().
 */
typedef struct _SmtpFakeServer SmtpFakeServer;

SmtpFakeServer *smtp_fake_server_new        (const char * const *lines);
guint16         smtp_fake_server_get_port   (SmtpFakeServer     *self);
/* The SHA-256 of the server's certificate, for a pinned TLS connection. */
char           *smtp_fake_server_dup_fingerprint (void);
/* Waits for the script to end and asserts it ran as written (and whole). */
void            smtp_fake_server_finish     (SmtpFakeServer     *self);
/* After finish: the data lines read by "D:" (as sent, dot-stuffed, joined by "\n"). */
char           *smtp_fake_server_dup_data   (SmtpFakeServer     *self);
void            smtp_fake_server_free       (SmtpFakeServer     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmtpFakeServer, smtp_fake_server_free)

G_END_DECLS
