/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

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
} PigeonEvent;

PigeonEvent *pigeon_event_new   (void);
void         pigeon_event_free  (PigeonEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonEvent, pigeon_event_free)

/* Inserts or updates (by remote id) EVENT. */
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
/* Events that end at or after FROM, by start time, at most LIMIT (PigeonEvent*). */
GPtrArray *pigeon_store_list_upcoming_events    (PigeonStore       *self,
                                                 gint64             from,
                                                 guint              limit,
                                                 GError           **error);

G_END_DECLS
