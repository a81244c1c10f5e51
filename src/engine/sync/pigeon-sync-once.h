/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"

G_BEGIN_DECLS

/*
 * One complete sync of an account, blocking (pigeonctl sync, tests): connect, replay the
 * queue of local changes, learn the folder list, then bring every folder up to date, the
 * inbox first.  A folder that fails for a reason of its own does not stop the others; the
 * first such error is returned at the end.  A lost connection stops the sync at once.
 */
gboolean pigeon_sync_account_once (PigeonAccount   *account,
                                   PigeonStore     *store,
                                   PigeonSyncFlags  flags,
                                   GCancellable    *cancellable,
                                   GError         **error);

G_END_DECLS
