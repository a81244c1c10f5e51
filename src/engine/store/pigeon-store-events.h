/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-recurrence.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/* A calendar event (the events table), shown read-only. */
typedef struct
{
  gint64    id;
  char     *remote_id;
  char     *subject;
  char     *location;
  char     *organizer;
  gint64    starts_at;   /* seconds since 1970 UTC */
  gint64    ends_at;
  gboolean  all_day;
  char     *body;
  /* the time zone its rule runs in, a POSIX TZ rule or NULL for the local one */
  char             *time_zone;
  /* NULL: a single event */
  PigeonRecurrence *recurrence;
  /* PigeonEventException (pigeon_event_exceptions_new()), or NULL */
  GArray           *exceptions;
  /* in a list of occurrences: the start the rule gives this one (starts_at is where it
   * is, which an exception may have moved); 0 elsewhere */
  gint64            original_start;
} PigeonEvent;

PigeonEvent *pigeon_event_new   (void);
void         pigeon_event_free  (PigeonEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonEvent, pigeon_event_free)

/* Inserts or updates (by remote id) EVENT, with its recurrence and exceptions. */
gboolean   pigeon_store_put_event               (PigeonStore       *self,
                                                 const PigeonEvent *event,
                                                 GError           **error);
/* Removes the event REMOTE_ID, or every event whose remote id starts with it (PREFIX). */
gboolean   pigeon_store_remove_events           (PigeonStore       *self,
                                                 const char        *remote_id,
                                                 gboolean           prefix,
                                                 GError           **error);
GPtrArray *pigeon_store_list_event_remote_ids   (PigeonStore       *self,
                                                 const char        *prefix,
                                                 GError           **error);
/* The occurrences that end after FROM (or start at FROM or later), by start time, at most
 * LIMIT (PigeonEvent*; 0, or more than PIGEON_RECURRENCE_MAX_EXPANDED, means that many): a
 * single event once, a recurring one at each of its next dates, each with its own start and
 * end, subject and location (an exception may change them), its recurrence set and no
 * exceptions. */
GPtrArray *pigeon_store_list_upcoming_events    (PigeonStore       *self,
                                                 gint64             from,
                                                 guint              limit,
                                                 GError           **error);
/* The same for the occurrences that overlap [FROM, TO), with at most PER_EVENT (0: no
 * more than LIMIT) of each recurring event, so a daily one leaves room for the others. */
GPtrArray *pigeon_store_list_event_occurrences  (PigeonStore       *self,
                                                 gint64             from,
                                                 gint64             to,
                                                 guint              limit,
                                                 guint              per_event,
                                                 GError           **error);

G_END_DECLS
