/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNT_DIALOG (pigeon_account_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountDialog, pigeon_account_dialog, PIGEON, ACCOUNT_DIALOG, GtkDialog)

/* The manual account form: every setting by hand.  Saves the password in the keyring and
 * the account in accounts.ini; errors show in the dialog. */
PigeonAccountDialog *pigeon_account_dialog_new     (PigeonApplication   *application,
                                                    GtkWindow           *parent);
/* Fills the form from ACCOUNT's settings and PASSWORD (may be NULL), for the account
 * assistant's "Edit settings manually".  A certificate the user trusted for a server stays
 * trusted as long as the form keeps that server. */
void                 pigeon_account_dialog_prefill (PigeonAccountDialog *self,
                                                    PigeonAccount       *account,
                                                    const char          *password);

G_END_DECLS
