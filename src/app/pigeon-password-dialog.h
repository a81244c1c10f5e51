/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-session.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_PASSWORD_DIALOG (pigeon_password_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonPasswordDialog, pigeon_password_dialog, PIGEON, PASSWORD_DIALOG,
                      GtkDialog)

/* "Enter Password…": asks for the account's password, stores it in the keyring (and
 * nowhere else), then syncs the account again.  Closes itself. */
GtkWidget *pigeon_password_dialog_new (GtkWindow     *parent,
                                       PigeonSession *session);

G_END_DECLS
