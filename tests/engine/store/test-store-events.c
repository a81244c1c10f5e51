/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Calendar events in the store: a recurring one is listed at each of its upcoming dates,
 * among single events, and what a store of schema 1 held survives the migration. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include "pigeon-store-events.h"
#include "test-store-util.h"

#define DAY (24 * 3600)
#define WEEK (7 * DAY)

static gint64
now_hour (void)
{
  return g_get_real_time () / G_USEC_PER_SEC / 3600 * 3600;
}

static void
put (PigeonStore *store,
     PigeonEvent *event)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_store_put_event (store, event, &error));
  g_assert_no_error (error);
}

static PigeonEvent *
event_new (const char *remote_id,
           const char *subject,
           gint64      starts_at,
           gint64      minutes)
{
  PigeonEvent *event = pigeon_event_new ();

  event->remote_id = g_strdup (remote_id);
  event->subject = g_strdup (subject);
  event->location = g_strdup ("Room 1");
  event->starts_at = starts_at;
  event->ends_at = starts_at + minutes * 60;
  event->time_zone = g_strdup ("XST+00:00");
  return event;
}

/* A weekly meeting that began a year ago, one cancelled and one moved occurrence ahead. */
static PigeonEvent *
weekly_new (gint64 now)
{
  PigeonEvent *event = event_new ("cal/weekly", "Weekly sync", now - 52 * WEEK + 2 * 3600, 60);
  PigeonEventException cancelled = { now + WEEK + 2 * 3600, TRUE };
  PigeonEventException moved = {
    now + 2 * WEEK + 2 * 3600, FALSE, now + 2 * WEEK + 5 * 3600, now + 2 * WEEK + 6 * 3600,
    g_strdup ("Weekly sync (moved)"), NULL,
  };

  event->recurrence = g_new0 (PigeonRecurrence, 1);
  event->recurrence->type = PIGEON_RECURRENCE_WEEKLY;
  event->recurrence->interval = 1;
  g_assert_true (pigeon_recurrence_normalize (event->recurrence));
  event->exceptions = pigeon_event_exceptions_new ();
  g_array_append_val (event->exceptions, cancelled);
  g_array_append_val (event->exceptions, moved);
  return event;
}

static void
test_upcoming_occurrences (StoreFixture *f,
                           gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) upcoming = NULL;
  gint64 now = now_hour ();
  g_autoptr(PigeonEvent) weekly = weekly_new (now);
  g_autoptr(PigeonEvent) single = event_new ("cal/single", "Dentist", now + WEEK + 3 * 3600, 30);
  g_autoptr(PigeonEvent) past = event_new ("cal/past", "Old news", now - 10 * DAY, 30);
  PigeonEvent *e;

  put (f->store, weekly);
  put (f->store, single);
  put (f->store, past);

  upcoming = pigeon_store_list_upcoming_events (f->store, now, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upcoming->len, ==, 4);

  /* this week's meeting, the dentist (next week's meeting is cancelled), the moved one
   * with its own time and subject, and the one after */
  e = g_ptr_array_index (upcoming, 0);
  g_assert_cmpstr (e->subject, ==, "Weekly sync");
  g_assert_cmpint (e->starts_at, ==, now + 2 * 3600);
  g_assert_cmpint (e->ends_at, ==, now + 3 * 3600);
  g_assert_nonnull (e->recurrence);
  g_assert_cmpint (e->recurrence->type, ==, PIGEON_RECURRENCE_WEEKLY);
  g_assert_cmpstr (e->location, ==, "Room 1");

  e = g_ptr_array_index (upcoming, 1);
  g_assert_cmpstr (e->subject, ==, "Dentist");
  g_assert_null (e->recurrence);

  e = g_ptr_array_index (upcoming, 2);
  g_assert_cmpstr (e->subject, ==, "Weekly sync (moved)");
  g_assert_cmpint (e->starts_at, ==, now + 2 * WEEK + 5 * 3600);
  g_assert_cmpint (e->ends_at, ==, now + 2 * WEEK + 6 * 3600);
  g_assert_cmpint (e->original_start, ==, now + 2 * WEEK + 2 * 3600);
  g_assert_cmpstr (e->location, ==, "Room 1");

  e = g_ptr_array_index (upcoming, 3);
  g_assert_cmpstr (e->subject, ==, "Weekly sync");
  g_assert_cmpint (e->starts_at, ==, now + 3 * WEEK + 2 * 3600);
}

static void
test_window_and_update (StoreFixture *f,
                        gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) window = NULL, after = NULL, gone = NULL;
  gint64 now = now_hour ();
  g_autoptr(PigeonEvent) weekly = weekly_new (now);

  put (f->store, weekly);
  /* four weeks ahead: this week's, the moved one, the fourth week's */
  window = pigeon_store_list_event_occurrences (f->store, now, now + 4 * WEEK, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (window->len, ==, 3);

  /* the server ends the series with this week's and drops its exceptions: they go too */
  weekly->recurrence->occurrences = 53;
  g_clear_pointer (&weekly->exceptions, g_array_unref);
  put (f->store, weekly);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM event_exceptions"), ==, 0);
  after = pigeon_store_list_event_occurrences (f->store, now, now + 4 * WEEK, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 1);

  /* removed, with its rule */
  g_assert_true (pigeon_store_remove_events (f->store, "cal/", TRUE, &error));
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM event_recurrences"), ==, 0);
  gone = pigeon_store_list_upcoming_events (f->store, now, 10, &error);
  g_assert_cmpuint (gone->len, ==, 0);
}

/* A rule the store holds that nobody could follow (written by hand, or by a bug) shows the
 * event once, and a limit of 0 still returns a bounded list. */
static void
test_bad_rule_in_store (StoreFixture *f,
                        gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) upcoming = NULL, all = NULL;
  gint64 now = now_hour ();
  g_autoptr(PigeonEvent) weekly = weekly_new (now);
  g_autoptr(PigeonEvent) daily = event_new ("cal/daily", "Stand-up", now + 3600, 15);

  weekly->starts_at = now + 3600;
  weekly->ends_at = now + 7200;
  put (f->store, weekly);
  test_exec_sql (pigeon_store_get_path (f->store),
                 "UPDATE event_recurrences SET type = 42, repeat_interval = -9");
  upcoming = pigeon_store_list_upcoming_events (f->store, now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upcoming->len, ==, 1);
  g_assert_null (((PigeonEvent *) g_ptr_array_index (upcoming, 0))->recurrence);

  daily->recurrence = g_new0 (PigeonRecurrence, 1);
  daily->recurrence->type = PIGEON_RECURRENCE_DAILY;
  g_assert_true (pigeon_recurrence_normalize (daily->recurrence));
  put (f->store, daily);
  all = pigeon_store_list_upcoming_events (f->store, now, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, PIGEON_RECURRENCE_MAX_EXPANDED);

  /* three of the daily one leave room for the one after them */
  g_clear_pointer (&all, g_ptr_array_unref);
  all = pigeon_store_list_event_occurrences (f->store, now, G_MAXINT64, 10, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  g_assert_cmpstr (((PigeonEvent *) g_ptr_array_index (all, 3))->subject, ==, "Stand-up");
}

/* An event a store of schema 1 held is still listed after the migration, as a single one
 * in the local time zone. */
static void
test_migrated_event (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "store.db", NULL);
  g_autofree char *snapshot = g_build_filename (SCHEMAS_DIR, "001.sql", NULL);
  g_autofree char *sql = NULL;
  g_autofree char *insert = NULL;
  g_autoptr(GPtrArray) upcoming = NULL;
  gint64 now = now_hour ();
  PigeonStore *store;
  PigeonEvent *e;

  g_file_get_contents (snapshot, &sql, NULL, &error);
  g_assert_no_error (error);
  test_exec_sql (db_path, sql);
  insert = g_strdup_printf ("INSERT INTO events (remote_id, subject, starts_at, ends_at) "
                            "VALUES ('cal/1', 'Kept', %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
                            now + DAY, now + DAY + 3600);
  test_exec_sql (db_path, insert);
  test_exec_sql (db_path, "PRAGMA user_version = 1");

  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  upcoming = pigeon_store_list_upcoming_events (store, now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upcoming->len, ==, 1);
  e = g_ptr_array_index (upcoming, 0);
  g_assert_cmpstr (e->subject, ==, "Kept");
  g_assert_cmpint (e->starts_at, ==, now + DAY);
  g_assert_null (e->time_zone);
  g_assert_null (e->recurrence);
  test_unref_and_wait (store);
  test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/events/upcoming-occurrences", StoreFixture, NULL, store_fixture_setup,
              test_upcoming_occurrences, store_fixture_teardown);
  g_test_add ("/store/events/window-and-update", StoreFixture, NULL, store_fixture_setup,
              test_window_and_update, store_fixture_teardown);
  g_test_add ("/store/events/bad-rule-in-store", StoreFixture, NULL, store_fixture_setup,
              test_bad_rule_in_store, store_fixture_teardown);
  g_test_add_func ("/store/events/migrated-from-schema-1", test_migrated_event);

  return g_test_run ();
}
