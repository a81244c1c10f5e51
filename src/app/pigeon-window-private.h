/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-agenda-view.h"
#include "pigeon-folder-sidebar.h"
#include "pigeon-message-list.h"
#include "pigeon-message-view.h"
#include "pigeon-notifier.h"
#include "pigeon-window.h"

G_BEGIN_DECLS

/* Shared by the window's files: the window itself, its actions, its account bars. */
struct _PigeonWindow
{
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkMenuButton *menu_button;
  GtkInfoBar *config_info_bar;
  GtkLabel *config_info_label;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkToggleButton *everywhere_check;
  GtkToggleButton *search_button;
  GtkButton *server_search_button;
  GtkSpinner *server_search_spinner;
  GtkLabel *server_search_label;
  GtkBox *account_bars;
  GtkStack *main_stack;
  GtkPaned *outer_paned;
  GtkPaned *inner_paned;
  PigeonFolderSidebar *sidebar;
  PigeonMessageList *message_list;
  GtkStack *content_stack;
  GtkRevealer *agenda_revealer;
  PigeonAgendaView *agenda_view;
  PigeonMessageView *message_view;

  PigeonApplication *application;
  PigeonNotifier *notifier;
  /* what the list shows: a folder of one account, or (no session) All Inboxes */
  PigeonSession *folder_session;
  gint64 folder_id;
  GPtrArray *watched_accounts;   /* PigeonAccount*, for the account bars */
  /* Search on Server: the search running (its cancellable), then its results */
  GCancellable *server_search_cancellable;
  PigeonSession *server_session;
  char *server_query;
  gboolean server_everywhere;    /* asked with "All folders" */
  gint64 server_folder_id;       /* 0: every folder */
  GArray *server_ids;            /* gint64, newest first; NULL until the server answered */
};

/* pigeon-window-actions.c */
void pigeon_window_install_actions   (PigeonWindow *self);
void pigeon_window_update_actions    (PigeonWindow *self);
void pigeon_window_list_action       (PigeonWindow *self,
                                      const char   *name);
void pigeon_window_set_star          (PigeonWindow  *self,
                                      PigeonSession *session,
                                      gint64         id,
                                      gboolean       starred);
void pigeon_window_report_error      (PigeonWindow *self,
                                      const char   *title,
                                      const char   *message);
/* The sessions whose stores are open, in the order of the accounts. */
GPtrArray *pigeon_window_dup_open_sessions (PigeonWindow *self);

/* pigeon-window-accounts.c */
void pigeon_window_watch_accounts    (PigeonWindow *self);
void pigeon_window_unwatch_accounts  (PigeonWindow *self);

/* pigeon-window.c */
void pigeon_window_reload_list       (PigeonWindow *self);

/* pigeon-window-search.c: Search on Server */
void     pigeon_window_update_server_search     (PigeonWindow   *self);
/* Whether the search on the server (running or done) is for the words and scope shown. */
gboolean pigeon_window_server_search_is_current (PigeonWindow   *self);
/* Cancels a search on the server and forgets its results. */
void     pigeon_window_reset_server_search      (PigeonWindow   *self);
/* Puts the server's results for SEARCH in the list, if there are any: TRUE when it did. */
gboolean pigeon_window_show_server_results      (PigeonWindow   *self,
                                                 const char     *search,
                                                 PigeonListSort  sort);
void     pigeon_window_server_search_clicked_cb (GtkButton      *button,
                                                 PigeonWindow   *self);

G_END_DECLS
