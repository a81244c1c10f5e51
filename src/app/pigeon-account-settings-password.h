/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNT_SETTINGS_PASSWORD (pigeon_account_settings_password_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountSettingsPassword, pigeon_account_settings_password, PIGEON,
                      ACCOUNT_SETTINGS_PASSWORD, GtkDialog)

/* Asks for an account's new password, checks it with the server, and keeps it in the
 * keyring.  A password the server refuses is not kept; when the server cannot be asked,
 * the user may keep it anyway. */
PigeonAccountSettingsPassword *pigeon_account_settings_password_new (PigeonApplication *application,
                                                                     PigeonAccount     *account,
                                                                     GtkWindow         *parent);

G_END_DECLS
