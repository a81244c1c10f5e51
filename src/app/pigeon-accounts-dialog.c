/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-account-settings.h"
#include "pigeon-accounts-dialog.h"
#include "pigeon-provider.h"

struct _PigeonAccountsDialog
{
  GtkDialog parent_instance;

  GtkInfoBar *error_bar;
  GtkLabel *error_label;
  GtkStack *stack;
  GtkListBox *list_box;

  PigeonApplication *application;
};

G_DEFINE_FINAL_TYPE (PigeonAccountsDialog, pigeon_accounts_dialog, GTK_TYPE_DIALOG)

static void
remove_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonAccountsDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_account_settings_confirm_remove_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_show (GTK_WIDGET (self->error_bar));
    }
}

static void
remove_clicked_cb (GtkButton            *button,
                   PigeonAccountsDialog *self)
{
  PigeonAccount *account = g_object_get_data (G_OBJECT (button), "account");

  pigeon_account_settings_confirm_remove_async (self->application, account, GTK_WINDOW (self),
                                                remove_done_cb, g_object_ref (self));
}

/* This dialog is no application window, so app actions do not reach its buttons by name. */
static void
settings_clicked_cb (GtkButton            *button,
                     PigeonAccountsDialog *self)
{
  PigeonAccount *account = g_object_get_data (G_OBJECT (button), "account");

  g_action_group_activate_action (G_ACTION_GROUP (self->application), "account-settings",
                                  g_variant_new_string (pigeon_account_get_id (account)));
}

static void
name_button (GtkWidget  *button,
             const char *name)
{
  gtk_widget_set_tooltip_text (button, name);
  atk_object_set_name (gtk_widget_get_accessible (button), name);
}

/* The buttons say which account they act on, also after a rename. */
static void
name_buttons (GtkWidget     *box,
              GParamSpec    *pspec,
              PigeonAccount *account)
{
  g_autofree char *remove = g_strdup_printf (_("Remove %s"), pigeon_account_get_name (account));
  g_autofree char *settings = g_strdup_printf (_("Settings for %s"),
                                               pigeon_account_get_name (account));

  name_button (g_object_get_data (G_OBJECT (box), "remove"), remove);
  name_button (g_object_get_data (G_OBJECT (box), "settings"), settings);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  PigeonAccountsDialog *self = user_data;
  PigeonAccount *account = item;
  PigeonProviderClass *klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (account));
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  g_autofree char *subtitle_text = NULL;
  GtkWidget *subtitle;
  GtkWidget *remove;
  GtkWidget *settings;

  subtitle_text = g_strdup_printf ("%s · %s · %s", pigeon_account_get_email (account),
                                   klass ? _(klass->display_name) : pigeon_account_get_protocol (account),
                                   pigeon_account_get_host (account));
  subtitle = gtk_label_new (subtitle_text);

  /* Renamed in its settings: the row follows. */
  g_object_bind_property (account, "name", title, "label", G_BINDING_SYNC_CREATE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (title), "heading");
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (subtitle), "dim-label");
  gtk_box_pack_start (GTK_BOX (labels), title, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (labels), subtitle, FALSE, FALSE, 0);

  remove = gtk_button_new_from_icon_name ("user-trash-symbolic", GTK_ICON_SIZE_BUTTON);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (remove), "account", g_object_ref (account), g_object_unref);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked_cb), self);

  settings = gtk_button_new_from_icon_name ("emblem-system-symbolic", GTK_ICON_SIZE_BUTTON);
  gtk_widget_set_valign (settings, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (settings), "account", g_object_ref (account), g_object_unref);
  g_signal_connect (settings, "clicked", G_CALLBACK (settings_clicked_cb), self);

  gtk_box_pack_start (GTK_BOX (box), labels, TRUE, TRUE, 0);
  gtk_box_pack_end (GTK_BOX (box), remove, FALSE, FALSE, 0);
  gtk_box_pack_end (GTK_BOX (box), settings, FALSE, FALSE, 0);
  g_object_set_data (G_OBJECT (box), "remove", remove);
  g_object_set_data (G_OBJECT (box), "settings", settings);
  name_buttons (box, NULL, account);
  g_signal_connect_object (account, "notify::name", G_CALLBACK (name_buttons), box,
                           G_CONNECT_SWAPPED);
  g_object_set (box, "margin", 12, NULL);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_widget_show_all (row);
  return row;
}

static void
update_stack (PigeonAccountsDialog *self)
{
  GListModel *model = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (model) ? "list" : "empty");
}

static void
accounts_changed_cb (GListModel           *model,
                     guint                 position,
                     guint                 removed,
                     guint                 added,
                     PigeonAccountsDialog *self)
{
  update_stack (self);
}

static void
pigeon_accounts_dialog_dispose (GObject *object)
{
  PigeonAccountsDialog *self = (PigeonAccountsDialog *) object;

  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (pigeon_application_get_manager (self->application),
                                            self);
      g_clear_object (&self->application);
    }

  G_OBJECT_CLASS (pigeon_accounts_dialog_parent_class)->dispose (object);
}

static void
pigeon_accounts_dialog_class_init (PigeonAccountsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_accounts_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-accounts-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountsDialog, error_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountsDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountsDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonAccountsDialog, list_box);
  gtk_widget_class_bind_template_callback (widget_class, gtk_widget_hide);
}

static void
pigeon_accounts_dialog_init (PigeonAccountsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PigeonAccountsDialog *
pigeon_accounts_dialog_new (PigeonApplication *application,
                            GtkWindow         *parent)
{
  PigeonAccountsDialog *self;
  PigeonAccountManager *manager;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  self = g_object_new (PIGEON_TYPE_ACCOUNTS_DIALOG,
                       "use-header-bar", TRUE,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  manager = pigeon_application_get_manager (application);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (manager), create_row, self, NULL);
  g_signal_connect (manager, "items-changed", G_CALLBACK (accounts_changed_cb), self);
  update_stack (self);
  return self;
}
