/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_FOLDER_SIDEBAR (pigeon_folder_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (PigeonFolderSidebar, pigeon_folder_sidebar, PIGEON, FOLDER_SIDEBAR,
                      GtkBin)

/*
 * Every account with its folders (role icons, unread counts, nested folders) and its state.
 * ::folder-selected (PigeonSession *session, gint64 folder_id) when the user picks a folder;
 * session is NULL when the selection went away.
 */
GtkWidget *pigeon_folder_sidebar_new              (void);
void       pigeon_folder_sidebar_set_application  (PigeonFolderSidebar *self,
                                                   PigeonApplication   *application);
/* Selects a folder of an account by role (the inbox when an account is added). */
gboolean   pigeon_folder_sidebar_select_role      (PigeonFolderSidebar *self,
                                                   PigeonAccount       *account,
                                                   int                  role);

G_END_DECLS
