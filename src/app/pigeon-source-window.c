/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-source-window.h"

struct _PigeonSourceWindow
{
  GtkWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkTextView *text_view;
};

G_DEFINE_FINAL_TYPE (PigeonSourceWindow, pigeon_source_window, GTK_TYPE_WINDOW)

static void
pigeon_source_window_class_init (PigeonSourceWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-source-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonSourceWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonSourceWindow, text_view);
}

static void
pigeon_source_window_init (PigeonSourceWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pigeon_source_window_new (GtkWindow  *parent,
                          const char *subject,
                          GBytes     *raw)
{
  PigeonSourceWindow *self;
  gsize size;
  const char *data;
  g_autofree char *text = NULL;

  g_return_val_if_fail (raw != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_SOURCE_WINDOW, "transient-for", parent, NULL);
  gtk_header_bar_set_subtitle (self->header_bar,
                               subject && *subject ? subject : _("(No subject)"));
  data = g_bytes_get_data (raw, &size);
  /* 8-bit bytes in the wrong charset are shown as replacement characters, not dropped. */
  text = g_utf8_make_valid (data ? data : "", size);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text, -1);
  return GTK_WIDGET (self);
}
