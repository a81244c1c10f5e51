/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-popup-menu.h"

static gboolean
destroy_menu_cb (gpointer user_data)
{
  gtk_widget_destroy (user_data);
  return G_SOURCE_REMOVE;
}

/* "deactivate" comes before the chosen item is activated: a menu destroyed right then
 * takes the item's actions with it. */
static void
menu_deactivate_cb (GtkMenu *menu,
                    gpointer user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, destroy_menu_cb, g_object_ref (menu),
                   g_object_unref);
}

void
pigeon_popup_menu (GMenuModel         *model,
                   GtkWidget          *attach_widget,
                   const GdkEvent     *event,
                   const GdkRectangle *rect)
{
  GtkWidget *menu;

  g_return_if_fail (G_IS_MENU_MODEL (model));
  g_return_if_fail (GTK_IS_WIDGET (attach_widget));

  menu = gtk_menu_new_from_model (model);
  gtk_menu_attach_to_widget (GTK_MENU (menu), attach_widget, NULL);
  g_signal_connect (menu, "deactivate", G_CALLBACK (menu_deactivate_cb), NULL);
  if (event != NULL)
    gtk_menu_popup_at_pointer (GTK_MENU (menu), event);
  else if (rect != NULL)
    gtk_menu_popup_at_rect (GTK_MENU (menu), gtk_widget_get_window (attach_widget), rect,
                            GDK_GRAVITY_SOUTH_WEST, GDK_GRAVITY_NORTH_WEST, NULL);
  else
    gtk_menu_popup_at_widget (GTK_MENU (menu), attach_widget, GDK_GRAVITY_CENTER,
                              GDK_GRAVITY_NORTH_WEST, NULL);
}
