/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-certificate-dialog.h"
#include "pigeon-error.h"
#include "pigeon-password-dialog.h"
#include "pigeon-window-private.h"

/*
 * One bar per account in trouble, under the header bar: what went wrong, in the words of
 * the engine, and the one button that fixes it: "Enter Password…" for a rejected or
 * missing password, "Show Certificate…" for a certificate that is not trusted, else
 * "Retry".
 */

enum {
  RESPONSE_FIX = 1,
};

static PigeonSession *
session_of (PigeonWindow  *self,
            PigeonAccount *account)
{
  return pigeon_application_get_session (self->application, account);
}

static void
bar_response_cb (GtkInfoBar   *bar,
                 int           response,
                 PigeonWindow *self)
{
  PigeonAccount *account = g_object_get_data (G_OBJECT (bar), "pigeon-account");
  PigeonSession *session = account ? session_of (self, account) : NULL;
  const GError *error = account ? pigeon_account_get_last_error (account) : NULL;

  if (response != RESPONSE_FIX || session == NULL)
    {
      gtk_widget_hide (GTK_WIDGET (bar));
      return;
    }
  if (error != NULL && (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH) ||
                        g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD)))
    gtk_window_present (GTK_WINDOW (pigeon_password_dialog_new (GTK_WINDOW (self), session)));
  else if (error != NULL && g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE))
    gtk_window_present (GTK_WINDOW (pigeon_certificate_dialog_new (GTK_WINDOW (self), session,
                                                                   error)));
  else
    pigeon_session_sync_now (session);
}

static GtkWidget *
make_bar (PigeonWindow  *self,
          PigeonAccount *account,
          const GError  *error)
{
  GtkWidget *bar = gtk_info_bar_new ();
  GtkWidget *label;
  GtkWidget *button;
  g_autofree char *markup = NULL;
  const char *fix;

  if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH) ||
      g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD))
    fix = _("_Enter Password…");
  else if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE))
    fix = _("_Show Certificate…");
  else
    fix = _("_Retry");

  gtk_info_bar_set_message_type (GTK_INFO_BAR (bar),
                                 pigeon_error_is_transient (error) ? GTK_MESSAGE_WARNING
                                                                   : GTK_MESSAGE_ERROR);
  gtk_info_bar_set_show_close_button (GTK_INFO_BAR (bar), TRUE);
  markup = g_markup_printf_escaped ("<b>%s</b>: %s", pigeon_account_get_name (account),
                                    error->message);
  label = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_container_add (GTK_CONTAINER (gtk_info_bar_get_content_area (GTK_INFO_BAR (bar))), label);
  button = gtk_info_bar_add_button (GTK_INFO_BAR (bar), fix, RESPONSE_FIX);
  {
    /* The accessible name without the mnemonic underscore. */
    g_autoptr(GString) name = g_string_new (fix);

    g_string_replace (name, "_", "", 0);
    atk_object_set_name (gtk_widget_get_accessible (button), name->str);
  }
  g_object_set_data_full (G_OBJECT (bar), "pigeon-account", g_object_ref (account),
                          g_object_unref);
  g_signal_connect (bar, "response", G_CALLBACK (bar_response_cb), self);
  gtk_widget_show_all (bar);
  return bar;
}

static void
rebuild_bars (PigeonWindow *self)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->account_bars));

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  for (guint i = 0; self->watched_accounts != NULL && i < self->watched_accounts->len; i++)
    {
      PigeonAccount *account = g_ptr_array_index (self->watched_accounts, i);
      PigeonSession *session = session_of (self, account);
      const GError *error = pigeon_account_get_last_error (account);

      if (error == NULL && session != NULL)
        error = pigeon_session_get_store_error (session);
      if (error != NULL)
        gtk_container_add (GTK_CONTAINER (self->account_bars), make_bar (self, account, error));
    }
}

static void
account_error_cb (GObject      *object,
                  GParamSpec   *pspec,
                  PigeonWindow *self)
{
  rebuild_bars (self);
}

/* All Inboxes (or nothing yet) gains an account's inbox when its store opens or its first
 * sync brings the folder list. */
static void
folders_changed_cb (PigeonStore  *store,
                    PigeonWindow *self)
{
  PigeonMessageListModel *model = pigeon_message_list_get_model (self->message_list);
  g_autoptr(GPtrArray) sessions = NULL;
  guint inboxes = 0;

  if (self->folder_session != NULL)
    return;
  /* A reload loses the selection: only when an inbox came or went. */
  sessions = pigeon_window_dup_open_sessions (self);
  for (guint i = 0; i < sessions->len; i++)
    {
      g_autoptr(PigeonFolder) inbox =
        pigeon_store_get_folder_by_role (pigeon_session_get_store (g_ptr_array_index (sessions, i)),
                                         PIGEON_FOLDER_ROLE_INBOX, NULL);

      inboxes += inbox != NULL;
    }
  if (model != NULL && pigeon_message_list_model_get_search (model) == NULL &&
      pigeon_message_list_model_get_n_sources (model) == inboxes)
    return;
  pigeon_window_reload_list (self);
}

static void
session_store_cb (PigeonSession *session,
                  GParamSpec    *pspec,
                  PigeonWindow  *self)
{
  PigeonStore *store = pigeon_session_get_store (session);

  rebuild_bars (self);
  if (store != NULL && g_signal_handler_find (store, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                                              0, 0, NULL, folders_changed_cb, self) == 0)
    g_signal_connect_object (store, "folders-changed", G_CALLBACK (folders_changed_cb), self, 0);
  folders_changed_cb (store, self);
}

void
pigeon_window_unwatch_accounts (PigeonWindow *self)
{
  if (self->watched_accounts == NULL)
    return;
  for (guint i = 0; i < self->watched_accounts->len; i++)
    {
      PigeonAccount *account = g_ptr_array_index (self->watched_accounts, i);
      PigeonSession *session = self->application ? session_of (self, account) : NULL;

      g_signal_handlers_disconnect_by_data (account, self);
      if (session != NULL)
        g_signal_handlers_disconnect_by_data (session, self);
    }
  g_clear_pointer (&self->watched_accounts, g_ptr_array_unref);
}

void
pigeon_window_watch_accounts (PigeonWindow *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  pigeon_window_unwatch_accounts (self);
  self->watched_accounts = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      PigeonAccount *account = g_list_model_get_item (accounts, i);
      PigeonSession *session = session_of (self, account);

      g_ptr_array_add (self->watched_accounts, account);
      g_signal_connect (account, "notify::last-error", G_CALLBACK (account_error_cb), self);
      if (session != NULL)
        {
          g_signal_connect (session, "notify::store", G_CALLBACK (session_store_cb), self);
          g_signal_connect (session, "notify::store-error", G_CALLBACK (session_store_cb), self);
          if (pigeon_session_get_store (session) != NULL &&
              g_signal_handler_find (pigeon_session_get_store (session),
                                     G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA, 0, 0, NULL,
                                     folders_changed_cb, self) == 0)
            g_signal_connect_object (pigeon_session_get_store (session), "folders-changed",
                                     G_CALLBACK (folders_changed_cb), self, 0);
        }
    }
  rebuild_bars (self);
}
