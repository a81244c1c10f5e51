/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A context menu made from MODEL, whose actions resolve from ATTACH_WIDGET: at the pointer
 * of EVENT, else at RECT (in ATTACH_WIDGET's window), else on ATTACH_WIDGET.  It is
 * destroyed once closed, after the chosen item has run. */
void pigeon_popup_menu (GMenuModel         *model,
                        GtkWidget          *attach_widget,
                        const GdkEvent     *event,
                        const GdkRectangle *rect);

G_END_DECLS
