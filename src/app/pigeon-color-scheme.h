/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Dark style that follows the desktop: the Settings portal's org.freedesktop.appearance
 * color-scheme (inside Flatpak and wherever a portal runs), else the GNOME setting
 * org.gnome.desktop.interface color-scheme; "prefer-dark" turns on GTK's dark variant
 * (gtk-application-prefer-dark-theme), which the message view follows too.
 */
void pigeon_color_scheme_follow (GtkSettings *settings);

G_END_DECLS
