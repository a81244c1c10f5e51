/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A scripted POP3 server on 127.0.0.1 for the unit tests: it serves one connection in a
 * thread, following a script of lines:
 *   "S: text"   send text and CR LF
 *   "R: text"   send text as it is, after g_strcompress (so "\r\n" works), without CR LF
 *   "C: text"   the next line from the client must match text (a GPattern: * and ?)
 *   "Q:"        the client must have sent nothing more for now (checks that a client did
 *               not pipeline)
 *   "X:"        close the connection
 * Anything the server sees that the script did not expect is recorded, and
 * pop3_fake_server_finish() fails the test with it.
 */
typedef struct _Pop3FakeServer Pop3FakeServer;

/* LINES is copied; the server starts listening at once and serves one connection. */
Pop3FakeServer *pop3_fake_server_new        (const char * const *lines);
/* Same, from a GPtrArray of lines (for scripts built in code). */
Pop3FakeServer *pop3_fake_server_new_array  (GPtrArray          *lines);
guint16         pop3_fake_server_get_port   (Pop3FakeServer     *self);
/* Waits for the script to end and asserts it ran as written (and whole). */
void            pop3_fake_server_finish     (Pop3FakeServer     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pop3FakeServer, pop3_fake_server_finish)

G_END_DECLS
