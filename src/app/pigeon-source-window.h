/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PIGEON_TYPE_SOURCE_WINDOW (pigeon_source_window_get_type ())
G_DECLARE_FINAL_TYPE (PigeonSourceWindow, pigeon_source_window, PIGEON, SOURCE_WINDOW, GtkWindow)

/* A window with a message's raw bytes, as the server sent them (View Source). */
GtkWidget *pigeon_source_window_new (GtkWindow  *parent,
                                     const char *subject,
                                     GBytes     *raw);

G_END_DECLS
