/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_WINDOW (pigeon_window_get_type ())
G_DECLARE_FINAL_TYPE (PigeonWindow, pigeon_window, PIGEON, WINDOW, GtkApplicationWindow)

PigeonWindow *pigeon_window_new (PigeonApplication *application);
/* Shows one message: its account's inbox (or the folder it is in) with the message
 * selected (a notification was clicked). */
void pigeon_window_show_message (PigeonWindow *self,
                                 const char *account_id,
                                 gint64 message_id);

G_END_DECLS
