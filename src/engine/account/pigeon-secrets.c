/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-secrets"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-secrets.h"

const SecretSchema *
pigeon_secrets_get_schema (void)
{
  static const SecretSchema schema = {
    SECRET_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "role", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

const char *
pigeon_secret_role_to_string (PigeonSecretRole role)
{
  return role == PIGEON_SECRET_ROLE_OUTGOING ? "outgoing" : "incoming";
}

/* libsecret reports D-Bus errors and its own; the user only needs to know the keyring
 * did not work and what to do about it. */
static GError *
keyring_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return g_error_new (PIGEON_ERROR, PIGEON_ERROR_KEYRING,
                        _("The desktop keyring is locked. Unlock it and try again."));
  return g_error_new (PIGEON_ERROR, PIGEON_ERROR_KEYRING,
                      _("The desktop keyring is not available (%s). Pigeon keeps passwords "
                        "only there: start a keyring service such as GNOME Keyring and try "
                        "again."), error->message);
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
pigeon_secrets_store_async (const char          *account_id,
                            PigeonSecretRole     role,
                            const char          *label,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_secrets_store_async);
  secret_password_store (pigeon_secrets_get_schema (), SECRET_COLLECTION_DEFAULT, label,
                         password, cancellable, store_cb, task,
                         "account", account_id,
                         "role", pigeon_secret_role_to_string (role),
                         NULL);
}

gboolean
pigeon_secrets_store_finish (GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error));
  else
    g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}

void
pigeon_secrets_lookup_async (const char          *account_id,
                             PigeonSecretRole     role,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (account_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_secrets_lookup_async);
  secret_password_lookup (pigeon_secrets_get_schema (), cancellable, lookup_cb, task,
                          "account", account_id,
                          "role", pigeon_secret_role_to_string (role),
                          NULL);
}

char *
pigeon_secrets_lookup_finish (GAsyncResult *result,
                              GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
pigeon_secrets_clear_async (const char          *account_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (account_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_secrets_clear_async);
  /* Without "role" the attributes match every item of the account. */
  secret_password_clear (pigeon_secrets_get_schema (), cancellable, clear_cb, task,
                         "account", account_id, NULL);
}

gboolean
pigeon_secrets_clear_finish (GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
pigeon_secrets_store_sync (const char       *account_id,
                           PigeonSecretRole  role,
                           const char       *label,
                           const char       *password,
                           GCancellable     *cancellable,
                           GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (account_id != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!secret_password_store_sync (pigeon_secrets_get_schema (), SECRET_COLLECTION_DEFAULT,
                                   label, password, cancellable, &local_error,
                                   "account", account_id,
                                   "role", pigeon_secret_role_to_string (role),
                                   NULL))
    {
      g_propagate_error (error, keyring_error (local_error));
      return FALSE;
    }
  return TRUE;
}

char *
pigeon_secrets_lookup_sync (const char       *account_id,
                            PigeonSecretRole  role,
                            GCancellable     *cancellable,
                            GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  char *password;

  g_return_val_if_fail (account_id != NULL, NULL);

  password = secret_password_lookup_sync (pigeon_secrets_get_schema (), cancellable,
                                          &local_error,
                                          "account", account_id,
                                          "role", pigeon_secret_role_to_string (role),
                                          NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, keyring_error (local_error));
      return NULL;
    }
  return password;
}

gboolean
pigeon_secrets_clear_sync (const char   *account_id,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (account_id != NULL, FALSE);

  secret_password_clear_sync (pigeon_secrets_get_schema (), cancellable, &local_error,
                              "account", account_id, NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, keyring_error (local_error));
      return FALSE;
    }
  return TRUE;
}

void
pigeon_secrets_free (char *password)
{
  if (password != NULL)
    secret_password_free (password);
}
