/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-account.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_SESSION (pigeon_session_get_type ())
G_DECLARE_FINAL_TYPE (PigeonSession, pigeon_session, PIGEON, SESSION, GObject)

/*
 * What the window keeps per account while it runs: the account, its store (opened in the
 * background; a store that cannot open leaves an error for this account only, the others
 * work), and the background sync once the scheduler is attached.
 *
 * Properties: account, store (NULL until open), store-error (GError, NULL when fine).
 */
PigeonSession  *pigeon_session_new             (PigeonAccount *account,
                                                const char    *store_dir);
PigeonAccount  *pigeon_session_get_account     (PigeonSession *self);
PigeonStore    *pigeon_session_get_store       (PigeonSession *self);
const GError   *pigeon_session_get_store_error (PigeonSession *self);
/* Stops background work and closes the store (before the account is removed). */
void            pigeon_session_shutdown        (PigeonSession *self);

G_END_DECLS
