/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACCOUNT_SETTINGS (pigeon_account_settings_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountSettings, pigeon_account_settings, PIGEON, ACCOUNT_SETTINGS,
                      GtkDialog)

/*
 * One account's settings: its name, address, signature and notifications; its servers
 * (checked with a login before they apply), password and trusted certificates; how often
 * it is checked, which bodies are downloaded, and for a server that does not keep the mail,
 * how long messages stay there.  Everything but the servers applies as it is changed, on
 * the PigeonAccount itself: whoever watches the account hears of it through notify.
 */
PigeonAccountSettings *pigeon_account_settings_new (PigeonApplication *application,
                                                    PigeonAccount     *account,
                                                    GtkWindow         *parent);

/* Asks over PARENT whether to remove ACCOUNT and, if so, removes it with its secrets and
 * its cache.  Finishes with TRUE once removed, or FALSE with G_IO_ERROR_CANCELLED when the
 * user kept it, or with what went wrong. */
void     pigeon_account_settings_confirm_remove_async  (PigeonApplication   *application,
                                                        PigeonAccount       *account,
                                                        GtkWindow           *parent,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean pigeon_account_settings_confirm_remove_finish (GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
