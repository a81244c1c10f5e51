/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-composer-attachment.h"

struct _PigeonComposerAttachment
{
  GtkBox parent_instance;

  GtkImage *icon;
  GtkLabel *name_label;
  GtkLabel *size_label;
  GtkButton *remove_button;

  char *name;
  char *content_type;
  GBytes *data;
  gboolean is_message;
};

G_DEFINE_FINAL_TYPE (PigeonComposerAttachment, pigeon_composer_attachment, GTK_TYPE_BOX)

enum {
  SIGNAL_TAKE_OFF,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
remove_clicked_cb (PigeonComposerAttachment *self)
{
  g_signal_emit (self, signals[SIGNAL_TAKE_OFF], 0);
}

static void
pigeon_composer_attachment_finalize (GObject *object)
{
  PigeonComposerAttachment *self = (PigeonComposerAttachment *) object;

  g_free (self->name);
  g_free (self->content_type);
  g_clear_pointer (&self->data, g_bytes_unref);

  G_OBJECT_CLASS (pigeon_composer_attachment_parent_class)->finalize (object);
}

static void
pigeon_composer_attachment_class_init (PigeonComposerAttachmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pigeon_composer_attachment_finalize;

  /* ::take-off (): the user took it off the message. */
  signals[SIGNAL_TAKE_OFF] =
    g_signal_new ("take-off", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/pigeonmail/Pigeon/pigeon-composer-attachment.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerAttachment, icon);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerAttachment, name_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerAttachment, size_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerAttachment, remove_button);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
}

static void
pigeon_composer_attachment_init (PigeonComposerAttachment *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PigeonComposerAttachment *
pigeon_composer_attachment_new (const char *name,
                                const char *content_type,
                                GBytes     *data,
                                gboolean    is_message)
{
  PigeonComposerAttachment *self;
  g_autofree char *size = NULL;
  g_autofree char *remove_name = NULL;
  g_autofree char *type = NULL;
  g_autoptr(GIcon) icon = NULL;

  g_return_val_if_fail (name != NULL && data != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_COMPOSER_ATTACHMENT, NULL);
  self->name = g_strdup (name);
  self->content_type = g_strdup (content_type);
  self->data = g_bytes_ref (data);
  self->is_message = is_message;

  type = g_content_type_from_mime_type (content_type != NULL ? content_type
                                                             : "application/octet-stream");
  icon = g_content_type_get_symbolic_icon (type != NULL ? type : "application/octet-stream");
  gtk_image_set_from_gicon (self->icon, icon, GTK_ICON_SIZE_DND);
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);
  size = g_format_size (g_bytes_get_size (data));
  gtk_label_set_text (self->size_label, size);
  /* Translators: the accessible name of the button that removes an attachment. */
  remove_name = g_strdup_printf (_("Remove %s"), name);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->remove_button)), remove_name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->remove_button), remove_name);
  return self;
}

const char *
pigeon_composer_attachment_get_name (PigeonComposerAttachment *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_ATTACHMENT (self), NULL);
  return self->name;
}

const char *
pigeon_composer_attachment_get_content_type (PigeonComposerAttachment *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_ATTACHMENT (self), NULL);
  return self->content_type;
}

GBytes *
pigeon_composer_attachment_get_data (PigeonComposerAttachment *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_ATTACHMENT (self), NULL);
  return self->data;
}

gboolean
pigeon_composer_attachment_is_message (PigeonComposerAttachment *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_ATTACHMENT (self), FALSE);
  return self->is_message;
}
