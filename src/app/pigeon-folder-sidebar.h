/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

/* The folder id ::folder-selected carries (with no session) for "All Inboxes". */
#define PIGEON_FOLDER_SIDEBAR_ALL_INBOXES ((gint64) -1)

#define PIGEON_TYPE_FOLDER_SIDEBAR (pigeon_folder_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (PigeonFolderSidebar, pigeon_folder_sidebar, PIGEON, FOLDER_SIDEBAR,
                      GtkBin)

/*
 * "All Inboxes", then every account with its folders (role icons, unread counts, nested
 * folders) and its state (syncing, offline, the last error, the quota).  A right click
 * offers the folder's actions: mark all read, synchronize, new, rename, delete.
 *
 * ::folder-selected (PigeonSession *session, gint64 folder_id) when the user picks a folder;
 * session is NULL and folder_id PIGEON_FOLDER_SIDEBAR_ALL_INBOXES for "All Inboxes", and
 * session NULL with folder_id 0 when the selection went away.
 * ::error (const char *title, const char *message) when a folder action failed.
 */
GtkWidget *pigeon_folder_sidebar_new              (void);
void       pigeon_folder_sidebar_set_application  (PigeonFolderSidebar *self,
                                                   PigeonApplication   *application);
/* Selects a folder of an account by role (the inbox when an account is added). */
gboolean   pigeon_folder_sidebar_select_role      (PigeonFolderSidebar *self,
                                                   PigeonAccount       *account,
                                                   int                  role);
gboolean   pigeon_folder_sidebar_select_folder    (PigeonFolderSidebar *self,
                                                   PigeonSession       *session,
                                                   gint64               folder_id);
void       pigeon_folder_sidebar_select_all_inboxes (PigeonFolderSidebar *self);

G_END_DECLS
