/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

/*
 * Passwords in the desktop keyring (or the Secret portal), and nowhere else.  Items use the
 * schema io.github.pigeonmail.Pigeon.Secret with the attributes "account" (the account id)
 * and "role" (incoming or outgoing).  Failures of the keyring itself are PIGEON_ERROR_KEYRING
 * with a sentence for the user; a missing item is not an error (NULL password).
 */
typedef enum
{
  PIGEON_SECRET_ROLE_INCOMING,
  PIGEON_SECRET_ROLE_OUTGOING,
} PigeonSecretRole;

const SecretSchema *pigeon_secrets_get_schema      (void);
const char         *pigeon_secret_role_to_string   (PigeonSecretRole role);

void      pigeon_secrets_store_async      (const char          *account_id,
                                           PigeonSecretRole     role,
                                           const char          *label,
                                           const char          *password,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean  pigeon_secrets_store_finish     (GAsyncResult        *result,
                                           GError             **error);
void      pigeon_secrets_lookup_async     (const char          *account_id,
                                           PigeonSecretRole     role,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* Free the result with pigeon_secrets_free (it wipes the memory). */
char     *pigeon_secrets_lookup_finish    (GAsyncResult        *result,
                                           GError             **error);
/* Clears both roles of the account. */
void      pigeon_secrets_clear_async      (const char          *account_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean  pigeon_secrets_clear_finish     (GAsyncResult        *result,
                                           GError             **error);

/* Blocking variants, for pigeonctl and for provider worker threads. */
gboolean  pigeon_secrets_store_sync       (const char          *account_id,
                                           PigeonSecretRole     role,
                                           const char          *label,
                                           const char          *password,
                                           GCancellable        *cancellable,
                                           GError             **error);
char     *pigeon_secrets_lookup_sync      (const char          *account_id,
                                           PigeonSecretRole     role,
                                           GCancellable        *cancellable,
                                           GError             **error);
gboolean  pigeon_secrets_clear_sync       (const char          *account_id,
                                           GCancellable        *cancellable,
                                           GError             **error);

void      pigeon_secrets_free             (char                *password);


G_END_DECLS
