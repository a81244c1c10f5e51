/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-folder-chooser.h"
#include "pigeon-settings.h"
#include "pigeon-store-list.h"
#include "pigeon-window-private.h"

/*
 * The window's actions on the selected messages.  Each is written to the store first (the
 * list updates at once) and queued for the server in the same transaction; the session
 * sends the queue shortly after.
 */

void
pigeon_window_report_error (PigeonWindow *self,
                            const char   *title,
                            const char   *message)
{
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", title);

  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", message);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
change_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_store_change_finish (PIGEON_STORE (source), result, &error))
    pigeon_window_report_error (self, _("The change could not be saved"), error->message);
}

static void
change_flags (PigeonWindow       *self,
              PigeonMessageFlags  add,
              PigeonMessageFlags  remove)
{
  g_autoptr(GPtrArray) selection = pigeon_message_list_dup_selection (self->message_list);

  for (guint i = 0; i < selection->len; i++)
    {
      PigeonMessageSelection *s = g_ptr_array_index (selection, i);

      pigeon_store_change_flags_async (pigeon_session_get_store (s->session),
                                       (const gint64 *) (gpointer) s->ids->data, s->ids->len,
                                       add, remove, NULL, change_done_cb, g_object_ref (self));
    }
}

void
pigeon_window_set_star (PigeonWindow  *self,
                        PigeonSession *session,
                        gint64         id,
                        gboolean       starred)
{
  PigeonStore *store = pigeon_session_get_store (session);

  if (store == NULL)
    return;
  pigeon_store_change_flags_async (store, &id, 1,
                                   starred ? PIGEON_MESSAGE_FLAG_FLAGGED : 0,
                                   starred ? 0 : PIGEON_MESSAGE_FLAG_FLAGGED,
                                   NULL, change_done_cb, g_object_ref (self));
}

static void
mark_read_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  change_flags (user_data, PIGEON_MESSAGE_FLAG_SEEN, 0);
}

static void
mark_unread_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  change_flags (user_data, 0, PIGEON_MESSAGE_FLAG_SEEN);
}

static void
star_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  change_flags (user_data, PIGEON_MESSAGE_FLAG_FLAGGED, 0);
}

static void
unstar_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  change_flags (user_data, 0, PIGEON_MESSAGE_FLAG_FLAGGED);
}

static void
toggle_read_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PigeonWindow *self = user_data;
  gboolean unread, read, starred, unstarred;

  pigeon_message_list_get_selection_state (self->message_list, &unread, &read, &starred,
                                           &unstarred);
  if (unread)
    change_flags (self, PIGEON_MESSAGE_FLAG_SEEN, 0);
  else if (read)
    change_flags (self, 0, PIGEON_MESSAGE_FLAG_SEEN);
}

static void
toggle_star_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PigeonWindow *self = user_data;
  gboolean unread, read, starred, unstarred;

  pigeon_message_list_get_selection_state (self->message_list, &unread, &read, &starred,
                                           &unstarred);
  if (unstarred)
    change_flags (self, PIGEON_MESSAGE_FLAG_FLAGGED, 0);
  else if (starred)
    change_flags (self, 0, PIGEON_MESSAGE_FLAG_FLAGGED);
}

/* ------------------------------------------------------------------ moving and deleting */

/* Splits IDS into those in FOLDER_ID and the rest. */
static void
split_by_folder (PigeonStore *store,
                 GArray      *ids,
                 gint64       folder_id,
                 GArray      *inside,
                 GArray      *outside)
{
  g_autoptr(GPtrArray) messages = pigeon_store_get_messages (store,
                                                             (const gint64 *) (gpointer) ids->data,
                                                             ids->len, NULL);

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      const PigeonMessage *m = g_ptr_array_index (messages, i);

      g_array_append_val (m->folder_id == folder_id ? inside : outside, m->id);
    }
}

static void
move_ids (PigeonWindow *self,
          PigeonStore  *store,
          GArray       *ids,
          gint64        dest_folder_id)
{
  if (ids->len == 0)
    return;
  pigeon_store_move_messages_async (store, (const gint64 *) (gpointer) ids->data, ids->len,
                                    dest_folder_id, NULL, change_done_cb, g_object_ref (self));
}

typedef struct
{
  PigeonWindow *window;
  GPtrArray *doomed;   /* PigeonMessageSelection* to expunge */
} ExpungeData;

static void
expunge_response_cb (GtkDialog   *dialog,
                     int          response,
                     ExpungeData *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      pigeon_message_list_select_next_after_removal (data->window->message_list);
      for (guint i = 0; i < data->doomed->len; i++)
        {
          PigeonMessageSelection *s = g_ptr_array_index (data->doomed, i);

          pigeon_store_expunge_messages_async (pigeon_session_get_store (s->session),
                                               (const gint64 *) (gpointer) s->ids->data,
                                               s->ids->len, NULL, change_done_cb,
                                               g_object_ref (data->window));
        }
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
  g_object_unref (data->window);
  g_ptr_array_unref (data->doomed);
  g_free (data);
}

static void
confirm_expunge (PigeonWindow *self,
                 GPtrArray    *doomed)
{
  ExpungeData *data;
  GtkWidget *dialog;
  guint count = 0;

  for (guint i = 0; i < doomed->len; i++)
    count += ((PigeonMessageSelection *) g_ptr_array_index (doomed, i))->ids->len;
  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   ngettext ("Delete %'u message for good?",
                                             "Delete %'u messages for good?", count),
                                   count);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("They are removed from the server too, and "
                                              "cannot be brought back."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_style_context_add_class (
    gtk_widget_get_style_context (gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Delete"),
                                                         GTK_RESPONSE_ACCEPT)),
    "destructive-action");
  data = g_new0 (ExpungeData, 1);
  data->window = g_object_ref (self);
  data->doomed = g_ptr_array_ref (doomed);
  g_signal_connect (dialog, "response", G_CALLBACK (expunge_response_cb), data);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Moves the selection to each account's folder of ROLE.  To the trash, what is in the trash
 * already (or everything, for an account without one) is deleted for good, after asking. */
static void
move_to_role (PigeonWindow     *self,
              PigeonFolderRole  role)
{
  g_autoptr(GPtrArray) selection = pigeon_message_list_dup_selection (self->message_list);
  g_autoptr(GPtrArray) doomed =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_selection_free);
  gboolean selected_next = FALSE;

  for (guint i = 0; i < selection->len; i++)
    {
      PigeonMessageSelection *s = g_ptr_array_index (selection, i);
      PigeonStore *store = pigeon_session_get_store (s->session);
      g_autoptr(PigeonFolder) dest = pigeon_store_get_folder_by_role (store, role, NULL);
      g_autoptr(GArray) inside = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(GArray) outside = g_array_new (FALSE, FALSE, sizeof (gint64));

      if (dest == NULL && role == PIGEON_FOLDER_ROLE_ARCHIVE)
        {
          g_autofree char *message = g_strdup_printf (
            _("The account “%s” has no archive folder. Make one on the server (or mark a "
              "folder as the archive there) and try again."),
            pigeon_account_get_name (pigeon_session_get_account (s->session)));

          pigeon_window_report_error (self, _("Nowhere to archive to"), message);
          continue;
        }
      if (dest == NULL)
        {
          PigeonMessageSelection *d = g_new0 (PigeonMessageSelection, 1);

          d->session = g_object_ref (s->session);
          d->ids = g_array_ref (s->ids);
          g_ptr_array_add (doomed, d);
          continue;
        }
      split_by_folder (store, s->ids, dest->id, inside, outside);
      if (!selected_next && outside->len > 0)
        {
          pigeon_message_list_select_next_after_removal (self->message_list);
          selected_next = TRUE;
        }
      move_ids (self, store, outside, dest->id);
      if (role == PIGEON_FOLDER_ROLE_TRASH && inside->len > 0)
        {
          PigeonMessageSelection *d = g_new0 (PigeonMessageSelection, 1);

          d->session = g_object_ref (s->session);
          d->ids = g_steal_pointer (&inside);
          g_ptr_array_add (doomed, d);
        }
    }
  if (doomed->len > 0)
    confirm_expunge (self, doomed);
}

static void
delete_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  move_to_role (user_data, PIGEON_FOLDER_ROLE_TRASH);
}

static void
archive_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  move_to_role (user_data, PIGEON_FOLDER_ROLE_ARCHIVE);
}

static void
folder_chosen_cb (PigeonFolderChooser *chooser,
                  int                  response,
                  PigeonWindow        *self)
{
  gint64 dest = pigeon_folder_chooser_get_folder_id (chooser);

  if (response == GTK_RESPONSE_ACCEPT && dest != 0)
    {
      g_autoptr(GPtrArray) selection = pigeon_message_list_dup_selection (self->message_list);

      if (selection->len == 1)
        {
          PigeonMessageSelection *s = g_ptr_array_index (selection, 0);

          pigeon_message_list_select_next_after_removal (self->message_list);
          move_ids (self, pigeon_session_get_store (s->session), s->ids, dest);
        }
    }
  gtk_widget_destroy (GTK_WIDGET (chooser));
}

static void
move_to_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PigeonWindow *self = user_data;
  g_autoptr(GPtrArray) selection = pigeon_message_list_dup_selection (self->message_list);
  PigeonMessageSelection *s;
  GtkWidget *chooser;

  /* A folder belongs to one account: messages of several cannot go to one. */
  if (selection->len != 1)
    return;
  s = g_ptr_array_index (selection, 0);
  chooser = pigeon_folder_chooser_new (GTK_WINDOW (self), s->session,
                                       self->folder_session == s->session ? self->folder_id : 0,
                                       s->ids->len);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_chosen_cb), self);
  gtk_window_present (GTK_WINDOW (chooser));
}

/* ------------------------------------------------------------------ answering */

/* The composer's app.reply and the like take (account id, message id): the message shown,
 * else the one selected. */
static void
compose_for_message (PigeonWindow *self,
                     const char   *app_action)
{
  PigeonSession *session = pigeon_message_view_get_session (self->message_view);
  gint64 id = pigeon_message_view_get_message_id (self->message_view);

  if (session == NULL &&
      !pigeon_message_list_get_selected_message (self->message_list, &session, &id))
    return;
  g_action_group_activate_action (G_ACTION_GROUP (self->application), app_action,
                                  g_variant_new ("(sx)",
                                                 pigeon_account_get_id (
                                                   pigeon_session_get_account (session)),
                                                 id));
}

static void
reply_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  compose_for_message (user_data, "reply");
}

static void
reply_all_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  compose_for_message (user_data, "reply-all");
}

static void
forward_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  compose_for_message (user_data, "forward");
}

/* ------------------------------------------------------------------ the rest */

static void
find_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PigeonWindow *self = user_data;

  if (gtk_search_bar_get_search_mode (self->search_bar) &&
      !gtk_widget_has_focus (GTK_WIDGET (self->search_entry)))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
      return;
    }
  gtk_search_bar_set_search_mode (self->search_bar,
                                  !gtk_search_bar_get_search_mode (self->search_bar));
}

static void
get_mail_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  PigeonWindow *self = user_data;
  g_autoptr(GPtrArray) sessions = pigeon_window_dup_open_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    pigeon_session_sync_now (g_ptr_array_index (sessions, i));
}

static void
view_source_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  pigeon_message_view_view_source (PIGEON_WINDOW (user_data)->message_view);
}

static void
show_remote_content_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  pigeon_message_view_show_remote_content (PIGEON_WINDOW (user_data)->message_view);
}

static void
zoom_in_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  pigeon_message_view_zoom (PIGEON_WINDOW (user_data)->message_view, 1);
}

static void
zoom_out_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  pigeon_message_view_zoom (PIGEON_WINDOW (user_data)->message_view, -1);
}

static void
zoom_reset_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  pigeon_message_view_zoom (PIGEON_WINDOW (user_data)->message_view, 0);
}

static void
conversations_action (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  GSettings *settings = pigeon_settings_get ();

  g_simple_action_set_state (action, value);
  if (settings != NULL)
    g_settings_set_boolean (settings, "conversation-view", g_variant_get_boolean (value));
  pigeon_window_reload_list (user_data);
}

static void
sort_action (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  GSettings *settings = pigeon_settings_get ();

  g_simple_action_set_state (action, value);
  if (settings != NULL)
    g_settings_set_string (settings, "sort-order", g_variant_get_string (value, NULL));
  pigeon_window_reload_list (user_data);
}

static const GActionEntry window_actions[] = {
  { "reply", reply_action },
  { "reply-all", reply_all_action },
  { "forward", forward_action },
  { "mark-read", mark_read_action },
  { "mark-unread", mark_unread_action },
  { "star", star_action },
  { "unstar", unstar_action },
  { "toggle-read", toggle_read_action },
  { "toggle-star", toggle_star_action },
  { "delete", delete_action },
  { "archive", archive_action },
  { "move-to", move_to_action },
  { "find", find_action },
  { "get-mail", get_mail_action },
  { "view-source", view_source_action },
  { "show-remote-content", show_remote_content_action },
  { "zoom-in", zoom_in_action },
  { "zoom-out", zoom_out_action },
  { "zoom-reset", zoom_reset_action },
  { "conversations", NULL, NULL, "false", conversations_action },
  { "sort", NULL, "s", "'date'", sort_action },
};

static const struct
{
  const char *action;
  const char *accels[3];
} accels[] = {
  { "win.reply", { "<Primary>r", NULL } },
  { "win.reply-all", { "<Primary><Shift>r", NULL } },
  { "win.forward", { "<Primary>l", NULL } },
  { "win.mark-read", { "<Primary>i", NULL } },
  { "win.mark-unread", { "<Primary><Shift>i", NULL } },
  { "win.toggle-star", { "<Primary><Shift>s", NULL } },
  { "win.archive", { "<Primary><Shift>a", NULL } },
  { "win.delete", { "<Primary>Delete", NULL } },
  { "win.move-to", { "<Primary><Shift>m", NULL } },
  { "win.find", { "<Primary>f", NULL } },
  { "win.get-mail", { "F5", NULL } },
  { "win.view-source", { "<Primary>u", NULL } },
  { "win.zoom-in", { "<Primary>plus", "<Primary>equal", NULL } },
  { "win.zoom-out", { "<Primary>minus", NULL } },
  { "win.zoom-reset", { "<Primary>0", NULL } },
};

static void
set_enabled (PigeonWindow *self,
             const char   *name,
             gboolean      enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
pigeon_window_update_actions (PigeonWindow *self)
{
  guint count = pigeon_message_list_count_selected (self->message_list);
  gboolean unread = FALSE, read = FALSE, starred = FALSE, unstarred = FALSE;
  gboolean one_account = FALSE;
  gboolean message = pigeon_message_view_has_message (self->message_view);

  if (count > 0)
    {
      g_autoptr(GPtrArray) selection = pigeon_message_list_dup_selection (self->message_list);

      one_account = selection->len == 1;
      pigeon_message_list_get_selection_state (self->message_list, &unread, &read, &starred,
                                               &unstarred);
    }
  set_enabled (self, "mark-read", unread);
  set_enabled (self, "mark-unread", read);
  set_enabled (self, "star", unstarred);
  set_enabled (self, "unstar", starred);
  set_enabled (self, "toggle-read", count > 0);
  set_enabled (self, "toggle-star", count > 0);
  set_enabled (self, "delete", count > 0);
  set_enabled (self, "archive", count > 0);
  set_enabled (self, "move-to", one_account);
  /* The composer's actions are the application's: without them, nothing to answer with. */
  set_enabled (self, "reply", message && g_action_group_has_action (
                 G_ACTION_GROUP (self->application), "reply"));
  set_enabled (self, "reply-all", message && g_action_group_has_action (
                 G_ACTION_GROUP (self->application), "reply-all"));
  set_enabled (self, "forward", message && g_action_group_has_action (
                 G_ACTION_GROUP (self->application), "forward"));
  set_enabled (self, "view-source", message);
  set_enabled (self, "show-remote-content", message);
  set_enabled (self, "zoom-in", message);
  set_enabled (self, "zoom-out", message);
  set_enabled (self, "zoom-reset", message);
}

void
pigeon_window_list_action (PigeonWindow *self,
                           const char   *name)
{
  g_action_group_activate_action (G_ACTION_GROUP (self), name, NULL);
}

void
pigeon_window_install_actions (PigeonWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *sort = NULL;

  g_action_map_add_action_entries (G_ACTION_MAP (self), window_actions,
                                   G_N_ELEMENTS (window_actions), self);
  for (guint i = 0; application != NULL && i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (application, accels[i].action, accels[i].accels);

  g_simple_action_set_state (
    G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "conversations")),
    g_variant_new_boolean (pigeon_settings_get_boolean ("conversation-view", FALSE)));
  if (pigeon_settings_get () != NULL)
    sort = g_settings_get_string (pigeon_settings_get (), "sort-order");
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                          "sort")),
                             g_variant_new_string (sort ? sort : "date"));
  pigeon_window_update_actions (self);
}
