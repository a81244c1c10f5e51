/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PIGEON_TYPE_NAME_DIALOG (pigeon_name_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonNameDialog, pigeon_name_dialog, PIGEON, NAME_DIALOG, GtkDialog)

/*
 * Asks for one name (a new folder, a folder's new name).  ::response is GTK_RESPONSE_ACCEPT
 * with a non-empty name, which pigeon_name_dialog_get_name returns trimmed.
 */
GtkWidget  *pigeon_name_dialog_new      (GtkWindow  *parent,
                                         const char *title,
                                         const char *prompt,
                                         const char *initial,
                                         const char *accept_label);
const char *pigeon_name_dialog_get_name (PigeonNameDialog *self);

G_END_DECLS
