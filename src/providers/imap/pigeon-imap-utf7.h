/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Mailbox names on the wire are "modified UTF-7" (RFC 3501 §5.1.3) unless the server
 * speaks UTF8=ACCEPT.  Decoding returns NULL for a name that is not valid modified UTF-7
 * (the caller then keeps the raw name). */
char *pigeon_imap_utf7_decode (const char *name);
char *pigeon_imap_utf7_encode (const char *utf8);

G_END_DECLS
