/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNT_DIALOG (pigeon_account_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountDialog, pigeon_account_dialog, PIGEON, ACCOUNT_DIALOG, GtkDialog)

/* The manual account form: every setting by hand.  Saves the password in the keyring and
 * the account in accounts.ini; errors show in the dialog. */
PigeonAccountDialog *pigeon_account_dialog_new (PigeonApplication *application,
                                                GtkWindow         *parent);

G_END_DECLS
