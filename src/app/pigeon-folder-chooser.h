/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-session.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_FOLDER_CHOOSER (pigeon_folder_chooser_get_type ())
G_DECLARE_FINAL_TYPE (PigeonFolderChooser, pigeon_folder_chooser, PIGEON, FOLDER_CHOOSER,
                      GtkDialog)

/* "Move to…": the folders of SESSION's account but CURRENT_FOLDER_ID, nested.  ::response
 * is GTK_RESPONSE_ACCEPT with a folder picked. */
GtkWidget *pigeon_folder_chooser_new           (GtkWindow     *parent,
                                                PigeonSession *session,
                                                gint64         current_folder_id,
                                                guint          n_messages);
gint64     pigeon_folder_chooser_get_folder_id (PigeonFolderChooser *self);

G_END_DECLS
