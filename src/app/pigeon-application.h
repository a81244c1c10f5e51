/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-account-manager.h"
#include "pigeon-session.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_APPLICATION (pigeon_application_get_type ())
G_DECLARE_FINAL_TYPE (PigeonApplication, pigeon_application, PIGEON, APPLICATION, GtkApplication)

PigeonApplication    *pigeon_application_new              (void);
PigeonAccountManager *pigeon_application_get_manager      (PigeonApplication *self);
/* The running state of an account (store, sync), NULL for an unknown account. */
PigeonSession        *pigeon_application_get_session      (PigeonApplication *self,
                                                           PigeonAccount     *account);
/* Why accounts.ini could not be read at start, or NULL. */
const GError         *pigeon_application_get_config_error (PigeonApplication *self);

/* Saves the password in the keyring first, then adds the account (so an account never
 * exists without its secret).  Errors are sentences for the user (keyring missing, …). */
void      pigeon_application_add_account_async     (PigeonApplication   *self,
                                                    PigeonAccount       *account,
                                                    const char          *password,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  pigeon_application_add_account_finish    (PigeonApplication   *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* Stops its sync, removes it from accounts.ini, deletes its cache and its secrets. */
void      pigeon_application_remove_account_async  (PigeonApplication   *self,
                                                    PigeonAccount       *account,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean  pigeon_application_remove_account_finish (PigeonApplication   *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
