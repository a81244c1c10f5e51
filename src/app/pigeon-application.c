/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-account-settings.h"
#include "pigeon-accounts-dialog.h"
#include "pigeon-application.h"
#include "pigeon-assistant.h"
#include "pigeon-composer-actions.h"
#include "pigeon-color-scheme.h"
#include "pigeon-mime.h"
#include "pigeon-providers.h"
#include "pigeon-secrets.h"
#include "pigeon-window.h"

struct _PigeonApplication
{
  GtkApplication parent_instance;

  char *config_dir;
  char *data_dir;
  PigeonAccountManager *manager;
  GError *config_error;
  GHashTable *sessions;   /* account id -> PigeonSession */
  gboolean welcomed;      /* the first window was shown */
};

G_DEFINE_FINAL_TYPE (PigeonApplication, pigeon_application, GTK_TYPE_APPLICATION)

static void
sync_sessions (PigeonApplication *self)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  g_autoptr(GHashTable) alive = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (model, i);
      const char *id = pigeon_account_get_id (account);

      g_hash_table_add (alive, (gpointer) id);
      if (!g_hash_table_contains (self->sessions, id))
        {
          g_autofree char *dir = pigeon_account_manager_dup_account_dir (self->manager, account);
          g_hash_table_insert (self->sessions, g_strdup (id), pigeon_session_new (account, dir));
        }
    }

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (alive, key))
      {
        pigeon_session_shutdown (value);
        g_hash_table_iter_remove (&iter);
      }
}

static void
accounts_changed_cb (GListModel        *model,
                     guint              position,
                     guint              removed,
                     guint              added,
                     PigeonApplication *self)
{
  sync_sessions (self);
}

static void
present_window (PigeonApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (pigeon_window_new (self));
  gtk_window_present (window);
}

static void
add_account_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PigeonApplication *self = user_data;
  GtkWindow *window;

  present_window (self);
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (pigeon_assistant_new (self, window)));
}

static void
accounts_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  PigeonApplication *self = user_data;
  GtkWindow *window;

  present_window (self);
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (pigeon_accounts_dialog_new (self, window)));
}

static void
account_settings_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  PigeonApplication *self = user_data;
  PigeonAccount *account = pigeon_account_manager_lookup (self->manager,
                                                          g_variant_get_string (parameter, NULL));
  GtkWindow *parent;

  if (account == NULL)
    return;
  present_window (self);
  /* Over the dialog it was asked from (the Accounts list), else over the window. */
  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (pigeon_account_settings_new (self, account, parent)));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PigeonApplication *self = user_data;
  static const char *authors[] = { "The Pigeon developers", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "program-name", "Pigeon",
                         "logo-icon-name", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Mail for POP3, IMAP and Exchange ActiveSync accounts"),
                         "website", "https://github.com/pigeonmail/pigeon",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PigeonApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing the windows lets them save their state; the application then exits. */
  for (GList *l = windows; l; l = l->next)
    gtk_widget_destroy (l->data);
  g_list_free (windows);
}

static void
show_message_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PigeonApplication *self = user_data;
  const char *account_id;
  gint64 message_id;

  g_variant_get (parameter, "(&sx)", &account_id, &message_id);
  present_window (self);
  pigeon_window_show_message (PIGEON_WINDOW (gtk_application_get_active_window (
                                GTK_APPLICATION (self))),
                              account_id, message_id);
}

static const GActionEntry app_actions[] = {
  { "add-account", add_account_action },
  { "show-message", show_message_action, "(sx)" },
  { "accounts", accounts_action },
  { "account-settings", account_settings_action, "s" },
  { "about", about_action },
  { "quit", quit_action },
};

static int
pigeon_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  PigeonApplication *self = PIGEON_APPLICATION (app);
  const char *dir;

  if (g_variant_dict_lookup (options, "config-dir", "^&ay", &dir))
    self->config_dir = g_canonicalize_filename (dir, NULL);
  if (g_variant_dict_lookup (options, "data-dir", "^&ay", &dir))
    self->data_dir = g_canonicalize_filename (dir, NULL);
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("Pigeon %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
pigeon_application_startup (GApplication *app)
{
  PigeonApplication *self = PIGEON_APPLICATION (app);
  static const char *quit_accels[] = { "<Primary>q", NULL };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (pigeon_application_parent_class)->startup (app);

  g_set_application_name ("Pigeon");
  gtk_window_set_default_icon_name (APPLICATION_ID);
  pigeon_mime_init ();
  pigeon_providers_register ();

  pigeon_color_scheme_follow (gtk_settings_get_default ());
  gtk_css_provider_load_from_resource (css, "/io/github/pigeonmail/Pigeon/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);

  self->manager = pigeon_account_manager_new (self->config_dir, self->data_dir);
  if (!pigeon_account_manager_load (self->manager, &self->config_error))
    g_warning ("%s", self->config_error->message);
  g_signal_connect (self->manager, "items-changed", G_CALLBACK (accounts_changed_cb), self);
  sync_sessions (self);
  pigeon_composer_install (self);
}

static void
pigeon_application_activate (GApplication *app)
{
  PigeonApplication *self = PIGEON_APPLICATION (app);
  gboolean first = !self->welcomed;

  self->welcomed = TRUE;
  present_window (self);
  /* Nothing to read yet: the first window opens on the assistant, the way in.  Not when
   * the accounts file could not be read, whose accounts are still there to recover. */
  if (first && self->config_error == NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->manager)) == 0)
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

      gtk_window_present (GTK_WINDOW (pigeon_assistant_new (self, window)));
    }
}

static void
pigeon_application_shutdown (GApplication *app)
{
  PigeonApplication *self = PIGEON_APPLICATION (app);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    pigeon_session_shutdown (value);
  g_hash_table_remove_all (self->sessions);
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_clear_object (&self->manager);

  G_APPLICATION_CLASS (pigeon_application_parent_class)->shutdown (app);
}

static void
pigeon_application_finalize (GObject *object)
{
  PigeonApplication *self = (PigeonApplication *) object;

  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->config_dir, g_free);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_error (&self->config_error);

  G_OBJECT_CLASS (pigeon_application_parent_class)->finalize (object);
}

static void
pigeon_application_class_init (PigeonApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = pigeon_application_finalize;
  app_class->handle_local_options = pigeon_application_handle_local_options;
  app_class->startup = pigeon_application_startup;
  app_class->activate = pigeon_application_activate;
  app_class->shutdown = pigeon_application_shutdown;
}

static void
pigeon_application_init (PigeonApplication *self)
{
  static const GOptionEntry options[] = {
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Read accounts from DIR instead of ~/.config/pigeon"), N_("DIR") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Keep the mail cache in DIR instead of ~/.local/share/pigeon"), N_("DIR") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
    { NULL }
  };

  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

PigeonApplication *
pigeon_application_new (void)
{
  return g_object_new (PIGEON_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/pigeonmail/Pigeon",
                       NULL);
}

PigeonAccountManager *
pigeon_application_get_manager (PigeonApplication *self)
{
  g_return_val_if_fail (PIGEON_IS_APPLICATION (self), NULL);
  return self->manager;
}

PigeonSession *
pigeon_application_get_session (PigeonApplication *self,
                                PigeonAccount     *account)
{
  g_return_val_if_fail (PIGEON_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);
  return g_hash_table_lookup (self->sessions, pigeon_account_get_id (account));
}

const GError *
pigeon_application_get_config_error (PigeonApplication *self)
{
  g_return_val_if_fail (PIGEON_IS_APPLICATION (self), NULL);
  return self->config_error;
}

/* ------------------------------------------------------------------ add / remove */

static void
add_secret_stored_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PigeonApplication *self = g_task_get_source_object (task);
  PigeonAccount *account = g_task_get_task_data (task);
  GError *error = NULL;

  if (!pigeon_secrets_store_finish (result, &error) ||
      !pigeon_account_manager_add (self->manager, account, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
pigeon_application_add_account_async (PigeonApplication   *self,
                                      PigeonAccount       *account,
                                      const char          *password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;
  GError *error = NULL;

  g_return_if_fail (PIGEON_IS_APPLICATION (self));
  g_return_if_fail (PIGEON_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_application_add_account_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (!pigeon_account_validate (account, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (password == NULL || *password == '\0')
    {
      if (!pigeon_account_manager_add (self->manager, account, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  label = g_strdup_printf (_("Pigeon mail password for %s"), pigeon_account_get_email (account));
  pigeon_secrets_store_async (pigeon_account_get_id (account), PIGEON_SECRET_ROLE_INCOMING, label,
                              password, cancellable, add_secret_stored_cb,
                              g_steal_pointer (&task));
}

gboolean
pigeon_application_add_account_finish (PigeonApplication *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
remove_secrets_cleared_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PigeonApplication *self = g_task_get_source_object (task);
  PigeonAccount *account = g_task_get_task_data (task);
  PigeonSession *session;
  GError *error = NULL;

  if (!pigeon_secrets_clear_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  session = pigeon_application_get_session (self, account);
  if (session != NULL)
    pigeon_session_shutdown (session);
  if (!pigeon_account_manager_remove (self->manager, account, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
pigeon_application_remove_account_async (PigeonApplication   *self,
                                         PigeonAccount       *account,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PIGEON_IS_APPLICATION (self));
  g_return_if_fail (PIGEON_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_application_remove_account_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);
  pigeon_secrets_clear_async (pigeon_account_get_id (account), cancellable,
                              remove_secrets_cleared_cb, task);
}

gboolean
pigeon_application_remove_account_finish (PigeonApplication *self,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
