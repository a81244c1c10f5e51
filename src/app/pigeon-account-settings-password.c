/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-account-settings-password.h"
#include "pigeon-account-settings-private.h"
#include "pigeon-error.h"
#include "pigeon-secrets.h"

struct _PigeonAccountSettingsPassword
{
  GtkDialog parent_instance;

  GtkInfoBar *error_bar;
  GtkLabel *error_label;
  GtkLabel *intro_label;
  GtkEntry *password_entry;
  GtkSpinner *spinner;
  GtkWidget *save_button;

  PigeonApplication *application;
  PigeonAccount *account;
  GCancellable *cancellable;
  gboolean unchecked_ok;        /* the server could not be asked: Save keeps it anyway */
};

G_DEFINE_FINAL_TYPE (PigeonAccountSettingsPassword, pigeon_account_settings_password,
                     GTK_TYPE_DIALOG)

static void
set_busy (PigeonAccountSettingsPassword *self,
          gboolean                       busy)
{
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_entry), !busy);
  gtk_widget_set_sensitive (self->save_button,
                            !busy && *gtk_entry_get_text (self->password_entry) != '\0');
}

static void
show_error (PigeonAccountSettingsPassword *self,
            const char                    *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (GTK_WIDGET (self->error_bar));
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PigeonAccountSettingsPassword) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_secrets_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          set_busy (self, FALSE);
          show_error (self, error->message);
        }
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
store (PigeonAccountSettingsPassword *self)
{
  g_autofree char *label = g_strdup_printf (_("Pigeon mail password for %s"),
                                            pigeon_account_get_email (self->account));

  pigeon_secrets_store_async (pigeon_account_get_id (self->account),
                              PIGEON_SECRET_ROLE_INCOMING, label,
                              gtk_entry_get_text (self->password_entry), self->cancellable,
                              stored_cb, g_object_ref (self));
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PigeonAccountSettingsPassword) self = user_data;
  g_autoptr(GError) error = NULL;

  if (pigeon_account_settings_check_finish (result, NULL, &error))
    {
      store (self);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  show_error (self, error->message);
  /* A refused password is never kept; one the server could not judge may be. */
  if (!g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH))
    {
      self->unchecked_ok = TRUE;
      gtk_button_set_label (GTK_BUTTON (self->save_button), _("_Save Anyway"));
    }
  gtk_widget_grab_focus (GTK_WIDGET (self->password_entry));
}

static void
password_changed_cb (PigeonAccountSettingsPassword *self)
{
  self->unchecked_ok = FALSE;
  gtk_button_set_label (GTK_BUTTON (self->save_button), _("_Save"));
  gtk_widget_set_sensitive (self->save_button, *gtk_entry_get_text (self->password_entry) != '\0');
}

static void
pigeon_account_settings_password_response (GtkDialog *dialog,
                                           int        response)
{
  PigeonAccountSettingsPassword *self = PIGEON_ACCOUNT_SETTINGS_PASSWORD (dialog);
  g_autoptr(PigeonAccount) candidate = NULL;

  if (response != GTK_RESPONSE_OK)
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  if (!gtk_widget_get_sensitive (self->save_button))
    return;

  gtk_widget_hide (GTK_WIDGET (self->error_bar));
  set_busy (self, TRUE);
  if (self->unchecked_ok)
    {
      store (self);
      return;
    }
  candidate = pigeon_account_settings_copy_account (self->account);
  pigeon_account_settings_check_async (self->application, candidate,
                                       gtk_entry_get_text (self->password_entry), TRUE,
                                       self->cancellable, checked_cb, g_object_ref (self));
}

static void
pigeon_account_settings_password_dispose (GObject *object)
{
  PigeonAccountSettingsPassword *self = (PigeonAccountSettingsPassword *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->application);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (pigeon_account_settings_password_parent_class)->dispose (object);
}

static void
pigeon_account_settings_password_class_init (PigeonAccountSettingsPasswordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_account_settings_password_dispose;
  GTK_DIALOG_CLASS (klass)->response = pigeon_account_settings_password_response;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-account-settings-password.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword, error_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword, error_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword,
                                        password_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword, spinner);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettingsPassword, save_button);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
}

static void
pigeon_account_settings_password_init (PigeonAccountSettingsPassword *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
}

PigeonAccountSettingsPassword *
pigeon_account_settings_password_new (PigeonApplication *application,
                                      PigeonAccount     *account,
                                      GtkWindow         *parent)
{
  PigeonAccountSettingsPassword *self;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  self = g_object_new (PIGEON_TYPE_ACCOUNT_SETTINGS_PASSWORD,
                       "use-header-bar", TRUE,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  self->account = g_object_ref (account);
  intro = g_strdup_printf (_("The new password for %s. Pigeon tries it with the server before "
                             "it keeps it in your keyring."),
                           pigeon_account_get_email (account));
  gtk_label_set_text (self->intro_label, intro);
  return self;
}
