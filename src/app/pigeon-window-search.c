/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-error.h"
#include "pigeon-window-private.h"

/*
 * "Search on Server" in the search bar: for an account whose provider searches its server,
 * the words typed go to the server (the selected folder, or every folder with "All
 * folders"), in the background; the hits, all in the store by then, replace the local
 * results in the list until the words, the folder or the search change.
 */

static void
set_status (PigeonWindow *self,
            const char   *text,
            gboolean      failed)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->server_search_label));

  gtk_label_set_text (self->server_search_label, text != NULL ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->server_search_label), failed ? text : NULL);
  if (failed)
    gtk_style_context_add_class (style, "pigeon-search-failed");
  else
    gtk_style_context_remove_class (style, "pigeon-search-failed");
  gtk_widget_set_visible (GTK_WIDGET (self->server_search_label), text != NULL);
}

static void
set_running (PigeonWindow *self,
             gboolean      running)
{
  if (running)
    gtk_spinner_start (self->server_search_spinner);
  else
    gtk_spinner_stop (self->server_search_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->server_search_spinner), running);
  pigeon_window_update_server_search (self);
}

static gboolean
has_words (const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      return TRUE;
  return FALSE;
}

void
pigeon_window_update_server_search (PigeonWindow *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->search_entry));
  gboolean offered = self->folder_session != NULL &&
                     pigeon_session_get_store (self->folder_session) != NULL &&
                     pigeon_session_can_search_server (self->folder_session);
  gboolean running = self->server_search_cancellable != NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->server_search_button), offered);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_search_button),
                            offered && !running && has_words (text));
}

gboolean
pigeon_window_server_search_is_current (PigeonWindow *self)
{
  gboolean everywhere = gtk_toggle_button_get_active (self->everywhere_check);

  return self->server_query != NULL && self->server_everywhere == everywhere &&
         g_strcmp0 (gtk_entry_get_text (GTK_ENTRY (self->search_entry)), self->server_query) == 0;
}

void
pigeon_window_reset_server_search (PigeonWindow *self)
{
  if (self->server_search_cancellable != NULL)
    {
      g_cancellable_cancel (self->server_search_cancellable);
      g_clear_object (&self->server_search_cancellable);
    }
  g_clear_object (&self->server_session);
  g_clear_pointer (&self->server_query, g_free);
  g_clear_pointer (&self->server_ids, g_array_unref);
  gtk_spinner_stop (self->server_search_spinner);
  gtk_widget_hide (GTK_WIDGET (self->server_search_spinner));
  set_status (self, NULL, FALSE);
  pigeon_window_update_server_search (self);
}

gboolean
pigeon_window_show_server_results (PigeonWindow *self,
                                   const char   *search,
                                   PigeonListSort sort)
{
  PigeonAccount *account;
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *subtitle = NULL;

  if (self->server_ids == NULL || search == NULL || g_strcmp0 (search, self->server_query) != 0 ||
      pigeon_session_get_store (self->server_session) == NULL)
    return FALSE;

  model = pigeon_message_list_model_new (sort, FALSE, search);
  pigeon_message_list_model_add_source_ids (model, self->server_session,
                                            (const gint64 *) (gpointer) self->server_ids->data,
                                            self->server_ids->len);
  account = pigeon_session_get_account (self->server_session);
  if (self->server_folder_id > 0)
    folder = pigeon_store_get_folder (pigeon_session_get_store (self->server_session),
                                      self->server_folder_id, NULL);
  if (folder != NULL)
    /* Translators: the subtitle of server search results: "Work — Archive" */
    subtitle = g_strdup_printf (_("%s — %s"), pigeon_account_get_name (account),
                                folder->role == PIGEON_FOLDER_ROLE_INBOX &&
                                folder->parent_path == NULL ? _("Inbox") : folder->name);
  else
    subtitle = g_strdup_printf (_("%s — All folders"), pigeon_account_get_name (account));
  gtk_header_bar_set_title (self->header_bar, _("Server Search Results"));
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);
  empty = g_strdup_printf (_("The server has no messages that match “%s”"), search);
  pigeon_message_list_set_model (self->message_list, model, empty);
  return TRUE;
}

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = pigeon_session_search_finish (PIGEON_SESSION (source), result, &error);
  g_autofree char *found = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->server_search_cancellable);
  set_running (self, FALSE);
  if (ids == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The server could not be searched. %s"),
                                               error->message);

      g_message ("Search on %s: %s",
                 pigeon_account_get_name (pigeon_session_get_account (PIGEON_SESSION (source))),
                 error->message);
      g_clear_object (&self->server_session);
      set_status (self, text, TRUE);
      return;
    }
  self->server_ids = g_steal_pointer (&ids);
  found = g_strdup_printf (ngettext ("%'u found on the server", "%'u found on the server",
                                     self->server_ids->len),
                           self->server_ids->len);
  set_status (self, found, FALSE);
  pigeon_window_reload_list (self);
}

void
pigeon_window_server_search_clicked_cb (GtkButton    *button,
                                        PigeonWindow *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->search_entry));
  g_autofree char *query = g_strstrip (g_strdup (text));
  gboolean everywhere = gtk_toggle_button_get_active (self->everywhere_check);
  PigeonSession *session = self->folder_session;

  if (session == NULL || *query == '\0')
    return;
  pigeon_window_reset_server_search (self);
  self->server_session = g_object_ref (session);
  self->server_query = g_strdup (text);
  self->server_everywhere = everywhere;
  self->server_folder_id = everywhere || self->folder_id <= 0 ? 0 : self->folder_id;
  self->server_search_cancellable = g_cancellable_new ();
  set_status (self, _("Searching the server…"), FALSE);
  set_running (self, TRUE);
  pigeon_session_search_async (session, query, self->server_folder_id,
                               self->server_search_cancellable, search_done_cb,
                               g_object_ref (self));
}
