/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"

G_BEGIN_DECLS

/*
 * POP3 accounts keep their mail locally: the account's folders (Inbox, Sent, Drafts, Trash
 * and any the user makes) exist only in the store, and everything done to them is local.
 * Syncing the inbox downloads what the server has that was never downloaded (by UIDL, or
 * Message-ID and size where the server has no UIDL) and deletes server copies as the
 * account's keep policy says, only ever after the local copy is committed.
 */

#define PIGEON_TYPE_POP3_PROVIDER (pigeon_pop3_provider_get_type ())
G_DECLARE_FINAL_TYPE (PigeonPop3Provider, pigeon_pop3_provider, PIGEON, POP3_PROVIDER,
                      PigeonProvider)

/* Puts the provider on the extension point as "pop3". */
void pigeon_pop3_provider_register (void);

G_END_DECLS
