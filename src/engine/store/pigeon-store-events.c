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
put_cb (PigeonStore  *store,
        sqlite3      *db,
        gpointer      data,
        GError      **error)
{
  const PigeonEvent *event = ((EventArgs *) data)->event;
  sqlite3_stmt *stmt;

  if (!prepare (store, db,
                "INSERT INTO events (remote_id, subject, location, organizer, starts_at, ends_at, "
                "  all_day, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "ON CONFLICT (remote_id) DO UPDATE SET subject = excluded.subject, "
                "  location = excluded.location, organizer = excluded.organizer, "
                "  starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
                "  all_day = excluded.all_day, body = excluded.body",
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
  return step_done (store, db, stmt, sqlite3_step (stmt), error);
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

static gboolean
upcoming_cb (PigeonStore  *store,
             sqlite3      *db,
             gpointer      data,
             GError      **error)
{
  EventArgs *args = data;
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT id, remote_id, subject, location, organizer, starts_at, ends_at, all_day, "
                "  body FROM events WHERE ends_at >= ?1 ORDER BY starts_at, id LIMIT ?2",
                &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->from);
  sqlite3_bind_int64 (stmt, 2, args->limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
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
      g_ptr_array_add (args->out, event);
    }
  return step_done (store, db, stmt, rc, error);
}

GPtrArray *
pigeon_store_list_upcoming_events (PigeonStore *self,
                                   gint64       from,
                                   guint        limit,
                                   GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_event_free);
  EventArgs args = { NULL, NULL, FALSE, from, limit ? limit : G_MAXINT, out };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, upcoming_cb, &args, error))
    return NULL;
  return g_steal_pointer (&out);
}
