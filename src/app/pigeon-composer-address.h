/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

/*
 * Address completion for the composer's To, Cc and Bcc fields: while the user types the
 * address after the last comma, it offers the people of every account's store (those
 * written to first, then those seen in mail), looked up off the UI thread; choosing one
 * puts "Name <address>, " in place of what was typed.
 */
void pigeon_composer_address_attach (GtkEntry          *entry,
                                     PigeonApplication *app);

G_END_DECLS
