/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-folder-sidebar.h"
#include "pigeon-window.h"

struct _PigeonWindow
{
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkInfoBar *config_info_bar;
  GtkLabel *config_info_label;
  GtkStack *main_stack;
  GtkPaned *outer_paned;
  GtkPaned *inner_paned;
  PigeonFolderSidebar *sidebar;
  GtkLabel *list_status;

  PigeonApplication *application;
  GSettings *settings;
  PigeonSession *folder_session;
  gint64 folder_id;
};

G_DEFINE_FINAL_TYPE (PigeonWindow, pigeon_window, GTK_TYPE_APPLICATION_WINDOW)

/* Window state is remembered only when the schema is installed (not when running an
 * uninstalled build without GSETTINGS_SCHEMA_DIR). */
static GSettings *
lookup_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

static void
update_page (PigeonWindow *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  gtk_stack_set_visible_child_name (self->main_stack,
                                    g_list_model_get_n_items (accounts) > 0 ? "mail" : "empty");
}

static void
accounts_changed_cb (GListModel   *model,
                     guint         position,
                     guint         removed,
                     guint         added,
                     PigeonWindow *self)
{
  update_page (self);
}

static void
update_list_status (PigeonWindow *self)
{
  PigeonStore *store = self->folder_session ? pigeon_session_get_store (self->folder_session)
                                            : NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  g_autofree char *text = NULL;

  if (store != NULL && self->folder_id != 0)
    folder = pigeon_store_get_folder (store, self->folder_id, NULL);
  if (folder == NULL)
    {
      gtk_label_set_text (self->list_status, _("Select a folder"));
      return;
    }
  if (folder->total == 0)
    text = g_strdup (_("This folder is empty"));
  else
    /* Translators: a count of messages, then of unread ones. */
    text = g_strdup_printf (ngettext ("%'u message, %'u unread", "%'u messages, %'u unread",
                                      folder->total),
                            folder->total, folder->unread);
  gtk_label_set_text (self->list_status, text);
}

static void
folder_updated_cb (PigeonStore  *store,
                   gint64        folder_id,
                   PigeonWindow *self)
{
  if (folder_id == self->folder_id)
    update_list_status (self);
}

static void
folder_selected_cb (PigeonFolderSidebar *sidebar,
                    PigeonSession       *session,
                    gint64               folder_id,
                    PigeonWindow        *self)
{
  if (self->folder_session != NULL && pigeon_session_get_store (self->folder_session) != NULL)
    g_signal_handlers_disconnect_by_data (pigeon_session_get_store (self->folder_session), self);
  g_set_object (&self->folder_session, session);
  self->folder_id = folder_id;
  if (session != NULL && pigeon_session_get_store (session) != NULL)
    g_signal_connect_object (pigeon_session_get_store (session), "folder-updated",
                             G_CALLBACK (folder_updated_cb), self, 0);
  update_list_status (self);
}

static void
config_info_bar_response_cb (GtkInfoBar   *info_bar,
                             int           response,
                             PigeonWindow *self)
{
  gtk_widget_hide (GTK_WIDGET (info_bar));
}

static void
save_state (PigeonWindow *self)
{
  GdkWindow *gdk_window = gtk_widget_get_window (GTK_WIDGET (self));
  gboolean maximized;
  int width, height;

  if (self->settings == NULL || gdk_window == NULL)
    return;
  maximized = (gdk_window_get_state (gdk_window) & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
  if (!maximized)
    {
      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_int (self->settings, "sidebar-width", gtk_paned_get_position (self->outer_paned));
  g_settings_set_int (self->settings, "list-width", gtk_paned_get_position (self->inner_paned));
}

static void
restore_state (PigeonWindow *self)
{
  if (self->settings == NULL)
    return;
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  gtk_paned_set_position (self->outer_paned, g_settings_get_int (self->settings, "sidebar-width"));
  gtk_paned_set_position (self->inner_paned, g_settings_get_int (self->settings, "list-width"));
}

static gboolean
pigeon_window_delete_event (GtkWidget   *widget,
                            GdkEventAny *event)
{
  save_state (PIGEON_WINDOW (widget));
  return GTK_WIDGET_CLASS (pigeon_window_parent_class)->delete_event (widget, event);
}

static void
pigeon_window_dispose (GObject *object)
{
  PigeonWindow *self = (PigeonWindow *) object;

  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (pigeon_application_get_manager (self->application),
                                            self);
      g_clear_object (&self->application);
    }
  g_clear_object (&self->folder_session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pigeon_window_parent_class)->dispose (object);
}

static void
pigeon_window_class_init (PigeonWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_window_dispose;
  widget_class->delete_event = pigeon_window_delete_event;

  g_type_ensure (PIGEON_TYPE_FOLDER_SIDEBAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, config_info_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, config_info_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, outer_paned);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, inner_paned);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, list_status);
  gtk_widget_class_bind_template_callback (widget_class, folder_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, config_info_bar_response_cb);
}

static void
pigeon_window_init (PigeonWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = lookup_settings ();
  restore_state (self);
}

PigeonWindow *
pigeon_window_new (PigeonApplication *application)
{
  PigeonWindow *self;
  const GError *config_error;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  self = g_object_new (PIGEON_TYPE_WINDOW, "application", application, NULL);
  self->application = g_object_ref (application);

  g_signal_connect (pigeon_application_get_manager (application), "items-changed",
                    G_CALLBACK (accounts_changed_cb), self);
  pigeon_folder_sidebar_set_application (self->sidebar, application);
  update_page (self);

  config_error = pigeon_application_get_config_error (application);
  if (config_error != NULL)
    {
      gtk_label_set_text (self->config_info_label, config_error->message);
      gtk_widget_show (GTK_WIDGET (self->config_info_bar));
    }
  return self;
}
