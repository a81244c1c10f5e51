/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-account-settings.h"

G_BEGIN_DECLS

/* A detached copy of ACCOUNT: the same id and every persisted setting, so that changes
 * can be tried on it before they are made on the account itself. */
PigeonAccount *pigeon_account_settings_copy_account  (PigeonAccount *account);

/*
 * Logs in with CANDIDATE's settings, to the incoming server and then (unless
 * INCOMING_ONLY) to the outgoing one where the account has one and a provider checks it,
 * and logs out.  PASSWORD NULL means
 * the one in the keyring.  The check uses the account's own cache (some protocols keep a
 * device id there).  On failure, *OUTGOING tells which server failed.
 */
void           pigeon_account_settings_check_async   (PigeonApplication    *application,
                                                      PigeonAccount        *candidate,
                                                      const char           *password,
                                                      gboolean              incoming_only,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean       pigeon_account_settings_check_finish  (GAsyncResult         *result,
                                                      gboolean             *outgoing,
                                                      GError              **error);

G_END_DECLS
