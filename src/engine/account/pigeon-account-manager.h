/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-account.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNT_MANAGER (pigeon_account_manager_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountManager, pigeon_account_manager, PIGEON, ACCOUNT_MANAGER, GObject)

/*
 * The accounts, as a GListModel of PigeonAccount, loaded from and saved (atomically) to
 * CONFIG_DIR/accounts.ini.  CONFIG_DIR defaults to $XDG_CONFIG_HOME/pigeon and DATA_DIR
 * (where each account's cache lives, DATA_DIR/<id>/) to $XDG_DATA_HOME/pigeon.
 * A change to a persisted account property is saved on the next idle.
 */
PigeonAccountManager *pigeon_account_manager_new              (const char *config_dir,
                                                               const char *data_dir);
const char     *pigeon_account_manager_get_config_dir          (PigeonAccountManager *self);
const char     *pigeon_account_manager_get_data_dir            (PigeonAccountManager *self);
char           *pigeon_account_manager_dup_account_dir         (PigeonAccountManager *self,
                                                                PigeonAccount        *account);

/* Reads accounts.ini.  A damaged file is copied aside (accounts.ini.damaged-DATE), never
 * overwritten silently; the error says where the copy went, and the manager then holds the
 * accounts it could read. */
gboolean        pigeon_account_manager_load                    (PigeonAccountManager *self,
                                                                GError              **error);
gboolean        pigeon_account_manager_save                    (PigeonAccountManager *self,
                                                                GError              **error);

PigeonAccount  *pigeon_account_manager_lookup                  (PigeonAccountManager *self,
                                                                const char           *id_or_name);
/* Gives the account a fresh id when it has none that is free, then adds and saves it. */
gboolean        pigeon_account_manager_add                     (PigeonAccountManager *self,
                                                                PigeonAccount        *account,
                                                                GError              **error);
/* Removes the account from the list and the file, and deletes its cache directory.
 * The caller clears its secrets (pigeon_secrets_clear_*). */
gboolean        pigeon_account_manager_remove                  (PigeonAccountManager *self,
                                                                PigeonAccount        *account,
                                                                GError              **error);
char           *pigeon_account_manager_dup_unused_id           (PigeonAccountManager *self);

G_END_DECLS
