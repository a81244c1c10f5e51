/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-provider.h"
#include "pigeon-settings.h"
#include "pigeon-window-private.h"

G_DEFINE_FINAL_TYPE (PigeonWindow, pigeon_window, GTK_TYPE_APPLICATION_WINDOW)

static void
show_header_child (GtkWidget *child,
                   gpointer   user_data)
{
  PigeonWindow *self = user_data;
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  if (child != GTK_WIDGET (self->menu_button))
    gtk_widget_set_visible (child, g_list_model_get_n_items (accounts) > 0);
}

static void
update_page (PigeonWindow *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  gtk_stack_set_visible_child_name (self->main_stack,
                                    g_list_model_get_n_items (accounts) > 0 ? "mail" : "empty");
  /* Without an account there is nothing to get, find, write or act on: only the menu. */
  gtk_container_foreach (GTK_CONTAINER (self->header_bar), show_header_child, self);
}

static void
accounts_changed_cb (GListModel   *model,
                     guint         position,
                     guint         removed,
                     guint         added,
                     PigeonWindow *self)
{
  update_page (self);
  pigeon_window_watch_accounts (self);
}

GPtrArray *
pigeon_window_dup_open_sessions (PigeonWindow *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));
  GPtrArray *sessions = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      PigeonSession *session = pigeon_application_get_session (self->application, account);

      if (session != NULL && pigeon_session_get_store (session) != NULL)
        g_ptr_array_add (sessions, g_object_ref (session));
    }
  return sessions;
}

/* ------------------------------------------------------------------ the list */

static const char *
search_text (PigeonWindow *self)
{
  const char *text;

  if (!gtk_search_bar_get_search_mode (self->search_bar))
    return NULL;
  text = gtk_entry_get_text (GTK_ENTRY (self->search_entry));
  return text != NULL && *text != '\0' ? text : NULL;
}

static void
set_titles (PigeonWindow *self,
            const char   *title,
            const char   *subtitle)
{
  gtk_header_bar_set_title (self->header_bar, title ? title : "Pigeon");
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);
}

void
pigeon_window_reload_list (PigeonWindow *self)
{
  const char *search = search_text (self);
  gboolean everywhere = search != NULL && gtk_toggle_button_get_active (self->everywhere_check);
  gboolean all_inboxes = self->folder_session == NULL &&
                         self->folder_id == PIGEON_FOLDER_SIDEBAR_ALL_INBOXES;
  PigeonListSort sort = pigeon_settings_get_enum ("sort-order", PIGEON_LIST_SORT_DATE);
  gboolean threaded = pigeon_settings_get_boolean ("conversation-view", FALSE);
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(GPtrArray) sessions = pigeon_window_dup_open_sessions (self);
  g_autofree char *empty = NULL;
  g_autofree char *folder_name = NULL;

  if (pigeon_window_show_server_results (self, search, sort))
    return;
  model = pigeon_message_list_model_new (sort, threaded, search);
  if (everywhere || all_inboxes)
    {
      for (guint i = 0; i < sessions->len; i++)
        {
          PigeonSession *session = g_ptr_array_index (sessions, i);
          g_autoptr(PigeonFolder) inbox = NULL;

          if (everywhere)
            {
              pigeon_message_list_model_add_source (model, session, 0);
              continue;
            }
          inbox = pigeon_store_get_folder_by_role (pigeon_session_get_store (session),
                                                   PIGEON_FOLDER_ROLE_INBOX, NULL);
          if (inbox != NULL)
            pigeon_message_list_model_add_source (model, session, inbox->id);
        }
    }
  else if (self->folder_session != NULL && self->folder_id > 0 &&
           pigeon_session_get_store (self->folder_session) != NULL)
    {
      g_autoptr(PigeonFolder) folder =
        pigeon_store_get_folder (pigeon_session_get_store (self->folder_session),
                                 self->folder_id, NULL);

      if (folder != NULL)
        {
          folder_name = g_strdup (folder->role == PIGEON_FOLDER_ROLE_INBOX &&
                                  folder->parent_path == NULL ? _("Inbox") : folder->name);
          pigeon_message_list_model_add_source (model, self->folder_session, self->folder_id);
        }
    }

  if (pigeon_message_list_model_get_n_sources (model) == 0)
    {
      set_titles (self, NULL, NULL);
      pigeon_message_list_set_model (self->message_list, NULL,
                                     sessions->len == 0 ? _("Opening the mail cache…")
                                     : all_inboxes ? _("No inbox has been downloaded yet")
                                     : _("Select a folder"));
      return;
    }

  if (search != NULL)
    {
      empty = g_strdup_printf (_("No messages match “%s”"), search);
      set_titles (self, _("Search Results"),
                  everywhere ? _("All folders") : (folder_name ? folder_name : _("All Inboxes")));
    }
  else if (all_inboxes)
    {
      empty = g_strdup (_("Your inboxes are empty"));
      set_titles (self, _("All Inboxes"), NULL);
    }
  else
    {
      empty = g_strdup (_("This folder is empty"));
      set_titles (self, folder_name,
                  pigeon_account_get_name (pigeon_session_get_account (self->folder_session)));
    }
  pigeon_message_list_set_model (self->message_list, model, empty);
}

/* The agenda shows the selected account's next events when its server keeps a calendar. */
static void
update_agenda (PigeonWindow *self)
{
  PigeonStore *store = NULL;

  if (self->folder_session != NULL)
    {
      PigeonAccount *account = pigeon_session_get_account (self->folder_session);
      PigeonProviderClass *klass =
        pigeon_provider_class_lookup (pigeon_account_get_protocol (account));

      if (klass != NULL && (klass->caps & PIGEON_PROVIDER_CAP_CALENDAR) != 0)
        store = pigeon_session_get_store (self->folder_session);
    }
  pigeon_agenda_view_set_store (self->agenda_view, store);
  gtk_revealer_set_reveal_child (self->agenda_revealer, store != NULL);
}

static void
folder_selected_cb (PigeonFolderSidebar *sidebar,
                    PigeonSession       *session,
                    gint64               folder_id,
                    PigeonWindow        *self)
{
  g_set_object (&self->folder_session, session);
  self->folder_id = folder_id;
  if (session != NULL && folder_id > 0)
    pigeon_session_folder_shown (session, folder_id);
  update_agenda (self);
  /* The server's results belong to the folder (and account) they were asked for. */
  pigeon_window_reset_server_search (self);
  /* A search stays with the folder it was made in. */
  if (search_text (self) != NULL && !gtk_toggle_button_get_active (self->everywhere_check))
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  pigeon_window_reload_list (self);
}

static void
sidebar_error_cb (PigeonFolderSidebar *sidebar,
                  const char          *title,
                  const char          *message,
                  PigeonWindow        *self)
{
  pigeon_window_report_error (self, title, message);
}

/* ------------------------------------------------------------------ the selection */

static void
list_selection_changed_cb (PigeonMessageList *list,
                           PigeonWindow      *self)
{
  guint count = pigeon_message_list_count_selected (list);
  PigeonSession *session = NULL;
  gint64 id = 0;

  if (count == 1 && pigeon_message_list_get_selected_message (list, &session, &id))
    {
      pigeon_message_view_show_message (self->message_view, session, id);
    }
  else if (count == 0)
    {
      pigeon_message_view_show_status (self->message_view, "io.github.pigeonmail.Pigeon-symbolic",
                                       _("No message selected"), NULL);
    }
  else
    {
      g_autofree char *title = g_strdup_printf (ngettext ("%'u message selected",
                                                          "%'u messages selected", count),
                                                count);

      pigeon_message_view_show_status (self->message_view, "edit-select-all-symbolic", title,
                                       NULL);
    }
  pigeon_window_update_actions (self);
}

static void
list_star_toggled_cb (PigeonMessageList *list,
                      PigeonSession     *session,
                      gint64             id,
                      gboolean           starred,
                      PigeonWindow      *self)
{
  pigeon_window_set_star (self, session, id, starred);
}

static void
list_action_cb (PigeonMessageList *list,
                const char        *name,
                PigeonWindow      *self)
{
  pigeon_window_list_action (self, name);
}

/* ------------------------------------------------------------------ search */

static void
search_changed_cb (GtkWidget    *widget,
                   PigeonWindow *self)
{
  /* Other words, or another scope: the local results again, until asked.  (The entry
   * reports typing a moment late: words that are the server's question already are no
   * change.) */
  if (!pigeon_window_server_search_is_current (self))
    pigeon_window_reset_server_search (self);
  pigeon_window_reload_list (self);
}

static void
stop_search_cb (GtkSearchEntry *entry,
                PigeonWindow   *self)
{
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
search_activate_cb (GtkSearchEntry *entry,
                    PigeonWindow   *self)
{
  pigeon_message_list_focus (self->message_list);
}

static void
search_mode_cb (GtkSearchBar *bar,
                GParamSpec   *pspec,
                PigeonWindow *self)
{
  if (gtk_search_bar_get_search_mode (bar))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
      return;
    }
  /* Closing the search shows the folder again. */
  if (gtk_entry_get_text (GTK_ENTRY (self->search_entry))[0] != '\0')
    gtk_entry_set_text (GTK_ENTRY (self->search_entry), "");
  else
    pigeon_window_reload_list (self);
}

/* ------------------------------------------------------------------ state */

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
  GSettings *settings = pigeon_settings_get ();
  GdkWindow *gdk_window = gtk_widget_get_window (GTK_WIDGET (self));
  gboolean maximized;
  int width, height;

  if (settings == NULL || gdk_window == NULL)
    return;
  maximized = (gdk_window_get_state (gdk_window) & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  g_settings_set_boolean (settings, "window-maximized", maximized);
  if (!maximized)
    {
      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
    }
  g_settings_set_int (settings, "sidebar-width",
                      CLAMP (gtk_paned_get_position (self->outer_paned), 100, 1000));
  g_settings_set_int (settings, "list-width",
                      CLAMP (gtk_paned_get_position (self->inner_paned), 200, 2000));
}

static void
restore_state (PigeonWindow *self)
{
  GSettings *settings = pigeon_settings_get ();

  if (settings == NULL)
    return;
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  gtk_paned_set_position (self->outer_paned, g_settings_get_int (settings, "sidebar-width"));
  gtk_paned_set_position (self->inner_paned, g_settings_get_int (settings, "list-width"));
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

  pigeon_window_unwatch_accounts (self);
  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (pigeon_application_get_manager (self->application),
                                            self);
      g_clear_object (&self->application);
    }
  g_clear_object (&self->notifier);
  g_clear_object (&self->folder_session);
  if (self->server_search_cancellable != NULL)
    g_cancellable_cancel (self->server_search_cancellable);
  g_clear_object (&self->server_search_cancellable);
  g_clear_object (&self->server_session);
  g_clear_pointer (&self->server_query, g_free);
  g_clear_pointer (&self->server_ids, g_array_unref);

  G_OBJECT_CLASS (pigeon_window_parent_class)->dispose (object);
}

static void
pigeon_window_class_init (PigeonWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_window_dispose;
  widget_class->delete_event = pigeon_window_delete_event;

  g_type_ensure (PIGEON_TYPE_AGENDA_VIEW);
  g_type_ensure (PIGEON_TYPE_FOLDER_SIDEBAR);
  g_type_ensure (PIGEON_TYPE_MESSAGE_LIST);
  g_type_ensure (PIGEON_TYPE_MESSAGE_VIEW);
  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, config_info_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, config_info_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, everywhere_check);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, server_search_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, server_search_spinner);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, server_search_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, account_bars);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, outer_paned);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, inner_paned);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, message_list);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, agenda_revealer);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, agenda_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonWindow, message_view);
  gtk_widget_class_bind_template_callback (widget_class, folder_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_error_cb);
  gtk_widget_class_bind_template_callback (widget_class, config_info_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_star_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_action_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, pigeon_window_server_search_clicked_cb);
}

static void
pigeon_window_init (PigeonWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->watched_accounts = NULL;
  gtk_search_bar_connect_entry (self->search_bar, GTK_ENTRY (self->search_entry));
  g_object_bind_property (self->search_button, "active", self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self->search_bar, "notify::search-mode-enabled",
                    G_CALLBACK (search_mode_cb), self);
  restore_state (self);
  pigeon_message_view_show_status (self->message_view, "io.github.pigeonmail.Pigeon-symbolic",
                                   _("No message selected"), NULL);
}

static gboolean
select_first_folder_cb (gpointer user_data)
{
  PigeonWindow *self = user_data;

  pigeon_folder_sidebar_select_all_inboxes (self->sidebar);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

PigeonWindow *
pigeon_window_new (PigeonApplication *application)
{
  PigeonWindow *self;
  const GError *config_error;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  self = g_object_new (PIGEON_TYPE_WINDOW, "application", application, NULL);
  self->application = g_object_ref (application);
  pigeon_window_install_actions (self);

  g_signal_connect (pigeon_application_get_manager (application), "items-changed",
                    G_CALLBACK (accounts_changed_cb), self);
  pigeon_folder_sidebar_set_application (self->sidebar, application);
  pigeon_window_watch_accounts (self);
  self->notifier = pigeon_notifier_new (application);
  update_page (self);
  /* again once shown: buttons other parts add to the header bar follow the same rule */
  g_signal_connect_swapped (self, "map", G_CALLBACK (update_page), self);

  config_error = pigeon_application_get_config_error (application);
  if (config_error != NULL)
    {
      gtk_label_set_text (self->config_info_label, config_error->message);
      gtk_widget_show (GTK_WIDGET (self->config_info_bar));
    }
  /* Start on All Inboxes once the window is up. */
  g_idle_add (select_first_folder_cb, g_object_ref (self));
  return self;
}

void
pigeon_window_show_message (PigeonWindow *self,
                            const char   *account_id,
                            gint64        message_id)
{
  PigeonAccount *account;
  PigeonSession *session;
  g_autoptr(PigeonMessage) message = NULL;

  g_return_if_fail (PIGEON_IS_WINDOW (self));

  account = pigeon_account_manager_lookup (pigeon_application_get_manager (self->application),
                                           account_id);
  session = account ? pigeon_application_get_session (self->application, account) : NULL;
  if (session == NULL || pigeon_session_get_store (session) == NULL)
    return;
  message = pigeon_store_get_message (pigeon_session_get_store (session), message_id, NULL);
  if (message == NULL)
    return;
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  if (!pigeon_folder_sidebar_select_folder (self->sidebar, session, message->folder_id))
    return;
  pigeon_message_list_select_message (self->message_list, session, message_id);
}
