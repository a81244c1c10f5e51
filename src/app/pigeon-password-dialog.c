/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-password-dialog.h"
#include "pigeon-secrets.h"

struct _PigeonPasswordDialog
{
  GtkDialog parent_instance;

  GtkLabel *intro_label;
  GtkEntry *password_entry;
  GtkLabel *error_label;
  GtkButton *save_button;
  GtkSpinner *spinner;

  PigeonSession *session;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (PigeonPasswordDialog, pigeon_password_dialog, GTK_TYPE_DIALOG)

static void
set_busy (PigeonPasswordDialog *self,
          gboolean              busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            !busy && gtk_entry_get_text_length (self->password_entry) > 0);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
}

static void
password_changed_cb (GtkEntry             *entry,
                     PigeonPasswordDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            gtk_entry_get_text_length (entry) > 0);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PigeonPasswordDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_secrets_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_show (GTK_WIDGET (self->error_label));
      return;
    }
  /* The keyring has it: try again with it. */
  pigeon_account_set_last_error (pigeon_session_get_account (self->session), NULL);
  pigeon_session_sync_now (self->session);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
pigeon_password_dialog_response (GtkDialog *dialog,
                                 int        response)
{
  PigeonPasswordDialog *self = PIGEON_PASSWORD_DIALOG (dialog);
  PigeonAccount *account = pigeon_session_get_account (self->session);
  g_autofree char *label = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  if (gtk_entry_get_text_length (self->password_entry) == 0)
    return;
  set_busy (self, TRUE);
  gtk_widget_hide (GTK_WIDGET (self->error_label));
  label = g_strdup_printf (_("Pigeon mail password for %s"), pigeon_account_get_email (account));
  pigeon_secrets_store_async (pigeon_account_get_id (account), PIGEON_SECRET_ROLE_INCOMING, label,
                              gtk_entry_get_text (self->password_entry), self->cancellable,
                              stored_cb, g_object_ref (self));
}

static void
pigeon_password_dialog_dispose (GObject *object)
{
  PigeonPasswordDialog *self = (PigeonPasswordDialog *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pigeon_password_dialog_parent_class)->dispose (object);
}

static void
pigeon_password_dialog_class_init (PigeonPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = pigeon_password_dialog_dispose;
  dialog_class->response = pigeon_password_dialog_response;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-password-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonPasswordDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonPasswordDialog, password_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonPasswordDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonPasswordDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonPasswordDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
}

static void
pigeon_password_dialog_init (PigeonPasswordDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
pigeon_password_dialog_new (GtkWindow     *parent,
                            PigeonSession *session)
{
  PigeonPasswordDialog *self;
  PigeonAccount *account;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (PIGEON_IS_SESSION (session), NULL);

  self = g_object_new (PIGEON_TYPE_PASSWORD_DIALOG, "transient-for", parent,
                       "use-header-bar", TRUE, NULL);
  self->session = g_object_ref (session);
  account = pigeon_session_get_account (session);
  intro = g_strdup_printf (_("The server of “%s” needs the password of %s on %s."),
                           pigeon_account_get_name (account), pigeon_account_get_login (account),
                           pigeon_account_get_host (account));
  gtk_label_set_text (self->intro_label, intro);
  set_busy (self, FALSE);
  return GTK_WIDGET (self);
}
