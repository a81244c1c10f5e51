/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-account-settings-private.h"
#include "pigeon-error.h"
#include "pigeon-provider.h"
#include "pigeon-secrets.h"

PigeonAccount *
pigeon_account_settings_copy_account (PigeonAccount *account)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  guint n_specs;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (account),
                                                                  &n_specs);

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  for (guint i = 0; i < n_specs; i++)
    {
      GValue value = G_VALUE_INIT;

      if (!pigeon_account_is_persisted_property (specs[i]->name))
        continue;
      g_value_init (&value, specs[i]->value_type);
      g_object_get_property (G_OBJECT (account), specs[i]->name, &value);
      g_ptr_array_add (names, (gpointer) specs[i]->name);
      g_array_append_val (values, value);
    }
  /* "id" is among them, and construct-only: set in one go. */
  return PIGEON_ACCOUNT (g_object_new_with_properties (PIGEON_TYPE_ACCOUNT, names->len,
                                                      (const char **) names->pdata,
                                                      (const GValue *) values->data));
}

typedef struct
{
  PigeonApplication *application;
  PigeonAccount *candidate;
  char *password;
  gboolean incoming_only;
  gboolean outgoing;
} Check;

static void
check_free (gpointer data)
{
  Check *check = data;

  g_object_unref (check->application);
  g_object_unref (check->candidate);
  if (check->password != NULL)
    explicit_bzero (check->password, strlen (check->password));
  g_free (check->password);
  g_free (check);
}

static PigeonStore *
account_store (Check *check)
{
  PigeonSession *session = pigeon_application_get_session (check->application,
                                                           check->candidate);

  return session ? pigeon_session_get_store (session) : NULL;
}

static void
outgoing_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!pigeon_provider_check_login_finish (PIGEON_PROVIDER (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
check_outgoing (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  const char *protocol = pigeon_account_get_protocol (check->candidate);
  PigeonProviderClass *klass = pigeon_provider_class_lookup (protocol);
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                                          PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);
  g_autoptr(PigeonProvider) provider = NULL;
  GError *error = NULL;

  check->outgoing = TRUE;
  if (check->incoming_only || klass == NULL || (klass->caps & PIGEON_PROVIDER_CAP_SEND) ||
      !pigeon_account_has_smtp (check->candidate) || senders[0] == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  provider = pigeon_provider_new_for_sending (check->candidate, account_store (check), &error);
  if (provider == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  pigeon_provider_set_password (provider, check->password);
  pigeon_provider_check_login_async (provider, g_task_get_cancellable (task), outgoing_cb, task);
}

static void
incoming_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!pigeon_provider_check_login_finish (PIGEON_PROVIDER (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  check_outgoing (task);
}

static void
check_incoming (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  g_autoptr(PigeonProvider) provider = NULL;
  GError *error = NULL;

  /* Some protocols keep state in the account's cache: no check without it. */
  if (account_store (check) == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                               _("The mail cache of %s is not open, so its settings cannot be "
                                 "checked now."), pigeon_account_get_email (check->candidate));
      g_object_unref (task);
      return;
    }
  provider = pigeon_provider_new_for_account (check->candidate, account_store (check), &error);
  if (provider == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  pigeon_provider_set_password (provider, check->password);
  pigeon_provider_check_login_async (provider, g_task_get_cancellable (task), incoming_cb, task);
}

static void
password_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  GError *error = NULL;
  char *password;

  password = pigeon_secrets_lookup_finish (result, &error);
  check->password = g_strdup (password);
  pigeon_secrets_free (password);
  if (check->password == NULL)
    {
      if (error == NULL)
        error = g_error_new (PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD,
                             _("There is no password for %s in the keyring. Set one with "
                               "Change Password."),
                             pigeon_account_get_email (check->candidate));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  check_incoming (task);
}

void
pigeon_account_settings_check_async (PigeonApplication    *application,
                                     PigeonAccount        *candidate,
                                     const char           *password,
                                     gboolean              incoming_only,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Check *check = g_new0 (Check, 1);

  g_task_set_source_tag (task, pigeon_account_settings_check_async);
  check->application = g_object_ref (application);
  check->candidate = g_object_ref (candidate);
  check->incoming_only = incoming_only;
  g_task_set_task_data (task, check, check_free);

  if (password != NULL)
    {
      check->password = g_strdup (password);
      check_incoming (task);
      return;
    }
  pigeon_secrets_lookup_async (pigeon_account_get_id (candidate), PIGEON_SECRET_ROLE_INCOMING,
                               cancellable, password_cb, task);
}

gboolean
pigeon_account_settings_check_finish (GAsyncResult  *result,
                                      gboolean      *outgoing,
                                      GError       **error)
{
  Check *check = g_task_get_task_data (G_TASK (result));

  if (outgoing != NULL)
    *outgoing = check->outgoing;
  return g_task_propagate_boolean (G_TASK (result), error);
}
