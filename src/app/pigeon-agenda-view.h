/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-store.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_AGENDA_VIEW (pigeon_agenda_view_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAgendaView, pigeon_agenda_view, PIGEON, AGENDA_VIEW, GtkBin)

/*
 * A read-only agenda: the next events of an account's calendars (the store's events table,
 * filled by providers with PIGEON_PROVIDER_CAP_CALENDAR), soonest first; a recurring event
 * at each of its next few dates, marked as repeating.  It reloads when
 * the store reports a sync and once a minute, so "today" and "tomorrow" stay true.
 */
GtkWidget *pigeon_agenda_view_new       (void);
/* The account whose events to show; NULL shows none. */
void       pigeon_agenda_view_set_store (PigeonAgendaView *self,
                                         PigeonStore      *store);
void       pigeon_agenda_view_reload    (PigeonAgendaView *self);

G_END_DECLS
