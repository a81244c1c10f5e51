/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-name-dialog.h"

struct _PigeonNameDialog
{
  GtkDialog parent_instance;

  GtkLabel *prompt_label;
  GtkEntry *name_entry;
  GtkButton *accept_button;
  char *name;
};

G_DEFINE_FINAL_TYPE (PigeonNameDialog, pigeon_name_dialog, GTK_TYPE_DIALOG)

static void
name_changed_cb (GtkEntry         *entry,
                 PigeonNameDialog *self)
{
  g_free (self->name);
  self->name = g_strstrip (g_strdup (gtk_entry_get_text (entry)));
  gtk_widget_set_sensitive (GTK_WIDGET (self->accept_button), *self->name != '\0');
}

static void
pigeon_name_dialog_finalize (GObject *object)
{
  PigeonNameDialog *self = (PigeonNameDialog *) object;

  g_free (self->name);

  G_OBJECT_CLASS (pigeon_name_dialog_parent_class)->finalize (object);
}

static void
pigeon_name_dialog_class_init (PigeonNameDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pigeon_name_dialog_finalize;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-name-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonNameDialog, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonNameDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonNameDialog, accept_button);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
}

static void
pigeon_name_dialog_init (PigeonNameDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->name = g_strdup ("");
}

GtkWidget *
pigeon_name_dialog_new (GtkWindow  *parent,
                        const char *title,
                        const char *prompt,
                        const char *initial,
                        const char *accept_label)
{
  PigeonNameDialog *self = g_object_new (PIGEON_TYPE_NAME_DIALOG,
                                         "transient-for", parent,
                                         "title", title,
                                         "use-header-bar", TRUE,
                                         NULL);

  gtk_label_set_text (self->prompt_label, prompt);
  gtk_button_set_label (self->accept_button, accept_label);
  gtk_entry_set_text (self->name_entry, initial ? initial : "");
  name_changed_cb (self->name_entry, self);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->name_entry)), prompt);
  return GTK_WIDGET (self);
}

const char *
pigeon_name_dialog_get_name (PigeonNameDialog *self)
{
  g_return_val_if_fail (PIGEON_IS_NAME_DIALOG (self), NULL);
  return self->name;
}
