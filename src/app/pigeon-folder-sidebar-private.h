/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-folder-sidebar.h"

G_BEGIN_DECLS

/* Shared by the sidebar and its folder menu (pigeon-folder-sidebar-menu.c). */
struct _PigeonFolderSidebar
{
  GtkBin parent_instance;

  GtkTreeView *tree_view;
  GtkTreeStore *store;
  GtkTreeSelection *selection;
  GMenuModel *folder_menu;
  GMenuModel *account_menu;
  GMenuModel *inboxes_menu;
  GSimpleActionGroup *actions;

  PigeonApplication *application;
  GPtrArray *watched;   /* WatchedSession*, one per account shown */
  gboolean rebuilding;

  /* the row a context menu is about */
  char *menu_account_id;
  gint64 menu_folder_id;
  int menu_kind;
};

enum {
  COL_KIND,
  COL_ACCOUNT_ID,
  COL_FOLDER_ID,
  COL_ICON,
  COL_MARKUP,
  COL_COUNT,
  COL_TOOLTIP,
  N_COLUMNS
};

enum {
  KIND_ACCOUNT,
  KIND_FOLDER,
  KIND_ALL_INBOXES,
};

enum {
  SIGNAL_FOLDER_SELECTED,
  SIGNAL_ERROR,
  N_SIGNALS
};

/* The signal connections made for one account's session and store. */
typedef struct
{
  PigeonFolderSidebar *sidebar;
  PigeonSession *session;
  PigeonStore *store;    /* the store we connected to, which may change */
} WatchedSession;

PigeonSession *pigeon_folder_sidebar_session_for      (PigeonFolderSidebar *self,
                                                      const char          *account_id);
void           pigeon_folder_sidebar_emit_error       (PigeonFolderSidebar *self,
                                                      const char          *title,
                                                      const char          *message);

/* pigeon-folder-sidebar-menu.c: the folder. action group and the context menu. */
void           pigeon_folder_sidebar_init_menu        (PigeonFolderSidebar *self);
gboolean       pigeon_folder_sidebar_button_press_cb  (GtkTreeView         *tree_view,
                                                      GdkEventButton      *event,
                                                      PigeonFolderSidebar *self);
gboolean       pigeon_folder_sidebar_popup_menu_cb    (GtkWidget           *widget,
                                                      PigeonFolderSidebar *self);

G_END_DECLS
