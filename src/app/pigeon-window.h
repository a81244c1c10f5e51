/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_WINDOW (pigeon_window_get_type ())
G_DECLARE_FINAL_TYPE (PigeonWindow, pigeon_window, PIGEON, WINDOW, GtkApplicationWindow)

PigeonWindow *pigeon_window_new (PigeonApplication *application);

G_END_DECLS
