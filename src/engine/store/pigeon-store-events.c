/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include "pigeon-store-events.h"

PigeonEvent *
pigeon_event_new (void)
{
  return g_new0 (PigeonEvent, 1);
}

void
pigeon_event_free (PigeonEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->remote_id);
  g_free (event->subject);
  g_free (event->location);
  g_free (event->organizer);
  g_free (event->body);
  g_free (event->time_zone);
  g_free (event->recurrence);
  g_clear_pointer (&event->exceptions, g_array_unref);
  g_free (event);
}

typedef struct
{
  const PigeonEvent *event;
  const char        *remote_id;
  gboolean           prefix;
  gint64             from;
  guint              limit;
  GPtrArray         *out;
  gint64             to;
  guint              per_event;
} EventArgs;

static gboolean
step_done (PigeonStore  *store,
           sqlite3      *db,
           sqlite3_stmt *stmt,
           int           rc,
           GError      **error)
{
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
prepare (PigeonStore   *store,
         sqlite3       *db,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  int rc = sqlite3_prepare_v2 (db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
put_recurrence (PigeonStore       *store,
                sqlite3           *db,
                gint64             event_id,
                const PigeonEvent *event,
                GError           **error)
{
  const PigeonRecurrence *rule = event->recurrence;
  sqlite3_stmt *stmt;

  if (!prepare (store, db,
                "INSERT INTO event_recurrences (event_id, type, repeat_interval, until, "
                "  occurrences, day_of_week, day_of_month, week_of_month, month_of_year, "
                "  first_day_of_week) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event_id);
  sqlite3_bind_int (stmt, 2, rule->type);
  sqlite3_bind_int (stmt, 3, rule->interval);
  sqlite3_bind_int64 (stmt, 4, rule->until);
  sqlite3_bind_int (stmt, 5, rule->occurrences);
  sqlite3_bind_int (stmt, 6, rule->day_of_week);
  sqlite3_bind_int (stmt, 7, rule->day_of_month);
  sqlite3_bind_int (stmt, 8, rule->week_of_month);
  sqlite3_bind_int (stmt, 9, rule->month_of_year);
  sqlite3_bind_int (stmt, 10, rule->first_day_of_week);
  return step_done (store, db, stmt, sqlite3_step (stmt), error);
}

static gboolean
put_exceptions (PigeonStore       *store,
                sqlite3           *db,
                gint64             event_id,
                const PigeonEvent *event,
                GError           **error)
{
  sqlite3_stmt *stmt;
  int rc = SQLITE_DONE;

  if (!prepare (store, db,
                "INSERT OR REPLACE INTO event_exceptions (event_id, original_start, deleted, "
                "  starts_at, ends_at, subject, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &stmt, error))
    return FALSE;
  for (guint i = 0; i < MIN (event->exceptions->len, PIGEON_RECURRENCE_MAX_EXCEPTIONS); i++)
    {
      const PigeonEventException *ex = &g_array_index (event->exceptions,
                                                       PigeonEventException, i);

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, event_id);
      sqlite3_bind_int64 (stmt, 2, ex->original_start);
      sqlite3_bind_int (stmt, 3, ex->deleted ? 1 : 0);
      sqlite3_bind_int64 (stmt, 4, ex->starts_at);
      sqlite3_bind_int64 (stmt, 5, ex->ends_at);
      sqlite3_bind_text (stmt, 6, ex->subject, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, ex->location, -1, SQLITE_STATIC);
      if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
        break;
    }
  return step_done (store, db, stmt, rc, error);
}

/* The rule and exceptions are replaced whole: a server sends an event's every field. */
static gboolean
put_children (PigeonStore       *store,
              sqlite3           *db,
              const PigeonEvent *event,
              GError           **error)
{
  sqlite3_stmt *stmt;
  gint64 event_id = 0;
  int rc;

  if (!prepare (store, db, "SELECT id FROM events WHERE remote_id = ?1", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, event->remote_id, -1, SQLITE_STATIC);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    event_id = sqlite3_column_int64 (stmt, 0);
  if (!step_done (store, db, stmt, rc, error))
    return FALSE;
  g_assert (event_id != 0);

  if (!prepare (store, db, "DELETE FROM event_recurrences WHERE event_id = ?1", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event_id);
  if (!step_done (store, db, stmt, sqlite3_step (stmt), error))
    return FALSE;
  if (!prepare (store, db, "DELETE FROM event_exceptions WHERE event_id = ?1", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event_id);
  if (!step_done (store, db, stmt, sqlite3_step (stmt), error))
    return FALSE;

  if (event->recurrence == NULL)
    return TRUE;
  if (!put_recurrence (store, db, event_id, event, error))
    return FALSE;
  return event->exceptions == NULL || put_exceptions (store, db, event_id, event, error);
}

static gboolean
put_cb (PigeonStore  *store,
        sqlite3      *db,
        gpointer      data,
        GError      **error)
{
  const PigeonEvent *event = ((EventArgs *) data)->event;
  sqlite3_stmt *stmt;

  if (!prepare (store, db,
                "INSERT INTO events (remote_id, subject, location, organizer, starts_at, ends_at, "
                "  all_day, body, time_zone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                "ON CONFLICT (remote_id) DO UPDATE SET subject = excluded.subject, "
                "  location = excluded.location, organizer = excluded.organizer, "
                "  starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
                "  all_day = excluded.all_day, body = excluded.body, "
                "  time_zone = excluded.time_zone",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, event->remote_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, event->subject, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, event->location, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, event->organizer, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, event->starts_at);
  sqlite3_bind_int64 (stmt, 6, event->ends_at);
  sqlite3_bind_int (stmt, 7, event->all_day ? 1 : 0);
  sqlite3_bind_text (stmt, 8, event->body, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, event->time_zone, -1, SQLITE_STATIC);
  if (!step_done (store, db, stmt, sqlite3_step (stmt), error))
    return FALSE;
  return put_children (store, db, event, error);
}

gboolean
pigeon_store_put_event (PigeonStore       *self,
                        const PigeonEvent *event,
                        GError           **error)
{
  EventArgs args = { event };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (event != NULL && event->remote_id != NULL, FALSE);

  return pigeon_store_run_write (self, put_cb, &args, error);
}

static gboolean
remove_cb (PigeonStore  *store,
           sqlite3      *db,
           gpointer      data,
           GError      **error)
{
  EventArgs *args = data;
  sqlite3_stmt *stmt;

  if (!prepare (store, db,
                args->prefix ? "DELETE FROM events WHERE substr (remote_id, 1, length (?1)) = ?1"
                             : "DELETE FROM events WHERE remote_id = ?1",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->remote_id, -1, SQLITE_STATIC);
  return step_done (store, db, stmt, sqlite3_step (stmt), error);
}

gboolean
pigeon_store_remove_events (PigeonStore *self,
                            const char  *remote_id,
                            gboolean     prefix,
                            GError     **error)
{
  EventArgs args = { NULL, remote_id, prefix };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (remote_id != NULL, FALSE);

  return pigeon_store_run_write (self, remove_cb, &args, error);
}

static gboolean
list_ids_cb (PigeonStore  *store,
             sqlite3      *db,
             gpointer      data,
             GError      **error)
{
  EventArgs *args = data;
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db, "SELECT remote_id FROM events WHERE substr (remote_id, 1, length (?1)) = ?1",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->remote_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (args->out, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  return step_done (store, db, stmt, rc, error);
}

GPtrArray *
pigeon_store_list_event_remote_ids (PigeonStore *self,
                                    const char  *prefix,
                                    GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  EventArgs args = { NULL, prefix, TRUE, 0, 0, out };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, list_ids_cb, &args, error))
    return NULL;
  return g_steal_pointer (&out);
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

#define EVENT_COLUMNS \
  "e.id, e.remote_id, e.subject, e.location, e.organizer, e.starts_at, e.ends_at, " \
  "e.all_day, e.body, e.time_zone"

static PigeonEvent *
event_from_row (sqlite3_stmt *stmt)
{
  PigeonEvent *event = pigeon_event_new ();

  event->id = sqlite3_column_int64 (stmt, 0);
  event->remote_id = dup_column (stmt, 1);
  event->subject = dup_column (stmt, 2);
  event->location = dup_column (stmt, 3);
  event->organizer = dup_column (stmt, 4);
  event->starts_at = sqlite3_column_int64 (stmt, 5);
  event->ends_at = sqlite3_column_int64 (stmt, 6);
  event->all_day = sqlite3_column_int (stmt, 7) != 0;
  event->body = dup_column (stmt, 8);
  event->time_zone = dup_column (stmt, 9);
  return event;
}

/* Single events in the window, soonest first. */
static gboolean
list_single (PigeonStore  *store,
             sqlite3      *db,
             EventArgs    *args,
             GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT " EVENT_COLUMNS " FROM events e "
                "WHERE (e.ends_at > ?1 OR e.starts_at >= ?1) AND e.starts_at < ?2 "
                "  AND NOT EXISTS (SELECT 1 FROM event_recurrences r WHERE r.event_id = e.id) "
                "ORDER BY e.starts_at, e.id LIMIT ?3",
                &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->from);
  sqlite3_bind_int64 (stmt, 2, args->to);
  sqlite3_bind_int64 (stmt, 3, args->limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PigeonEvent *event = event_from_row (stmt);

      event->original_start = event->starts_at;
      g_ptr_array_add (args->out, event);
    }
  return step_done (store, db, stmt, rc, error);
}

static gboolean
load_exceptions (PigeonStore  *store,
                 sqlite3      *db,
                 PigeonEvent  *event,
                 GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT original_start, deleted, starts_at, ends_at, subject, location "
                "FROM event_exceptions WHERE event_id = ?1 ORDER BY original_start LIMIT ?2",
                &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event->id);
  sqlite3_bind_int (stmt, 2, PIGEON_RECURRENCE_MAX_EXCEPTIONS);
  event->exceptions = pigeon_event_exceptions_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PigeonEventException ex = {
        sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1) != 0,
        sqlite3_column_int64 (stmt, 2), sqlite3_column_int64 (stmt, 3),
        dup_column (stmt, 4), dup_column (stmt, 5),
      };

      g_array_append_val (event->exceptions, ex);
    }
  return step_done (store, db, stmt, rc, error);
}

/* The recurring events that may have an occurrence before TO, with their rules. */
static gboolean
load_series (PigeonStore  *store,
             sqlite3      *db,
             EventArgs    *args,
             GPtrArray    *series,
             GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT " EVENT_COLUMNS ", r.type, r.repeat_interval, r.until, r.occurrences, "
                "  r.day_of_week, r.day_of_month, r.week_of_month, r.month_of_year, "
                "  r.first_day_of_week "
                "FROM events e JOIN event_recurrences r ON r.event_id = e.id "
                "WHERE e.starts_at < ?1 ORDER BY e.starts_at, e.id",
                &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->to);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PigeonEvent *event = event_from_row (stmt);
      PigeonRecurrence *rule = g_new0 (PigeonRecurrence, 1);

      rule->type = sqlite3_column_int (stmt, 10);
      rule->interval = sqlite3_column_int (stmt, 11);
      rule->until = sqlite3_column_int64 (stmt, 12);
      rule->occurrences = sqlite3_column_int (stmt, 13);
      rule->day_of_week = sqlite3_column_int (stmt, 14);
      rule->day_of_month = sqlite3_column_int (stmt, 15);
      rule->week_of_month = sqlite3_column_int (stmt, 16);
      rule->month_of_year = sqlite3_column_int (stmt, 17);
      rule->first_day_of_week = sqlite3_column_int (stmt, 18);
      /* what the store holds went through this on the way in; a file edited by hand
       * still gets no rule that could run away */
      if (!pigeon_recurrence_normalize (rule))
        g_clear_pointer (&rule, g_free);
      event->recurrence = rule;
      g_ptr_array_add (series, event);
    }
  if (!step_done (store, db, stmt, rc, error))
    return FALSE;
  for (guint i = 0; i < series->len; i++)
    if (!load_exceptions (store, db, g_ptr_array_index (series, i), error))
      return FALSE;
  return TRUE;
}

static PigeonEvent *
occurrence_new (const PigeonEvent      *series,
                const PigeonOccurrence *occurrence)
{
  PigeonEvent *event = pigeon_event_new ();
  const PigeonEventException *ex = NULL;

  if (occurrence->exception >= 0)
    ex = &g_array_index (series->exceptions, PigeonEventException, occurrence->exception);
  event->id = series->id;
  event->remote_id = g_strdup (series->remote_id);
  event->subject = g_strdup (ex != NULL && ex->subject != NULL ? ex->subject : series->subject);
  event->location = g_strdup (ex != NULL && ex->location != NULL ? ex->location
                                                                  : series->location);
  event->organizer = g_strdup (series->organizer);
  event->starts_at = occurrence->starts_at;
  event->ends_at = occurrence->ends_at;
  event->all_day = series->all_day;
  event->body = g_strdup (series->body);
  event->time_zone = g_strdup (series->time_zone);
  if (series->recurrence != NULL)
    event->recurrence = g_memdup2 (series->recurrence, sizeof (PigeonRecurrence));
  event->original_start = occurrence->original_start;
  return event;
}

static void
expand_series (const PigeonEvent *series,
               EventArgs         *args)
{
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (series->time_zone);
  const PigeonEventException *exceptions = NULL;
  guint n_exceptions = 0;
  g_autoptr(GArray) occurrences = NULL;

  if (series->exceptions != NULL && series->recurrence != NULL)
    {
      exceptions = (const PigeonEventException *) (gpointer) series->exceptions->data;
      n_exceptions = series->exceptions->len;
    }
  occurrences = pigeon_recurrence_expand (series->recurrence, tz, series->starts_at,
                                          series->ends_at, series->all_day, exceptions,
                                          n_exceptions, args->from, args->to,
                                          MIN (args->limit, args->per_event));
  for (guint i = 0; i < occurrences->len; i++)
    g_ptr_array_add (args->out,
                     occurrence_new (series, &g_array_index (occurrences, PigeonOccurrence, i)));
}

static gint
occurrence_compare (gconstpointer a,
                    gconstpointer b)
{
  const PigeonEvent *ea = *(PigeonEvent **) a, *eb = *(PigeonEvent **) b;

  if (ea->starts_at != eb->starts_at)
    return ea->starts_at < eb->starts_at ? -1 : 1;
  if (ea->id != eb->id)
    return ea->id < eb->id ? -1 : 1;
  return ea->original_start < eb->original_start ? -1 : ea->original_start > eb->original_start;
}

static gboolean
occurrences_cb (PigeonStore  *store,
                sqlite3      *db,
                gpointer      data,
                GError      **error)
{
  EventArgs *args = data;
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_event_free);

  if (!list_single (store, db, args, error) || !load_series (store, db, args, series, error))
    return FALSE;
  for (guint i = 0; i < series->len; i++)
    expand_series (g_ptr_array_index (series, i), args);
  g_ptr_array_sort (args->out, occurrence_compare);
  if (args->out->len > args->limit)
    g_ptr_array_set_size (args->out, args->limit);
  return TRUE;
}

GPtrArray *
pigeon_store_list_event_occurrences (PigeonStore *self,
                                     gint64       from,
                                     gint64       to,
                                     guint        limit,
                                     guint        per_event,
                                     GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_event_free);
  EventArgs args = { NULL, NULL, FALSE, from, 0, out, to, per_event != 0 ? per_event : G_MAXUINT };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  /* each recurring event expands to at most this many, so the limit bounds the work */
  args.limit = limit != 0 ? MIN (limit, PIGEON_RECURRENCE_MAX_EXPANDED)
                          : PIGEON_RECURRENCE_MAX_EXPANDED;
  if (from >= to)
    return g_steal_pointer (&out);
  if (!pigeon_store_run_read (self, occurrences_cb, &args, error))
    return NULL;
  return g_steal_pointer (&out);
}

GPtrArray *
pigeon_store_list_upcoming_events (PigeonStore *self,
                                   gint64       from,
                                   guint        limit,
                                   GError     **error)
{
  return pigeon_store_list_event_occurrences (self, from, G_MAXINT64, limit, 0, error);
}
