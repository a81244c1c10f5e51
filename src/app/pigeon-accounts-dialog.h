/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNTS_DIALOG (pigeon_accounts_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountsDialog, pigeon_accounts_dialog, PIGEON, ACCOUNTS_DIALOG,
                      GtkDialog)

/* Lists the accounts; removes one after confirmation (account, secrets and cache). */
PigeonAccountsDialog *pigeon_accounts_dialog_new (PigeonApplication *application,
                                                  GtkWindow         *parent);

G_END_DECLS
