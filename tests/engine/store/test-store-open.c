/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-store-util.h"
#include "test-store.h"

/* ------------------------------------------------------------------ opening */

typedef struct
{
  const char *sql;
  char       *text;
} TextQuery;

static gboolean
text_query_func (PigeonStore *store,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  TextQuery *q = data;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, q->sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  q->text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return TRUE;
}

static void
test_open_fresh (StoreFixture *f,
                 gconstpointer data)
{
  g_autofree char *expected = g_build_filename (f->dir, "store.db", NULL);
  TextQuery q = { "PRAGMA journal_mode", NULL };

  g_assert_cmpstr (pigeon_store_get_path (f->store), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (pigeon_store_schema_version (), >=, 1);
  g_assert_cmpint (test_query_int (f->store, "PRAGMA user_version"), ==,
                   pigeon_store_schema_version ());

  g_assert_true (pigeon_store_run_read (f->store, text_query_func, &q, NULL));
  g_assert_cmpstr (q.text, ==, "wal");
  g_free (q.text);
}

/* Connection settings of the writer, seen from inside a write. */
static gboolean
writer_settings_func (PigeonStore *store,
                      sqlite3     *db,
                      gpointer     data,
                      GError     **error)
{
  gint64 *values = data;
  const char *queries[] = { "PRAGMA foreign_keys", "PRAGMA synchronous" };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, queries[i], -1, &stmt, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      values[i] = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
    }
  return TRUE;
}

static void
test_open_writer_settings (StoreFixture *f,
                           gconstpointer data)
{
  gint64 values[2] = { -1, -1 };

  g_assert_true (pigeon_store_run_write (f->store, writer_settings_func, values, NULL));
  g_assert_cmpint (values[0], ==, 1);  /* foreign_keys = ON */
  g_assert_cmpint (values[1], ==, 1);  /* synchronous = NORMAL */
}

static void
test_open_reopen (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  PigeonStore *store;
  gint64 folder_id;

  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_store_set_state (store, "device-id", "abc123", &error));
  folder_id = test_add_folder (store, "INBOX");
  test_add_message (store, folder_id, 1, 1000, "kept across restarts", 0);
  pigeon_store_close (store);
  /* Closed: calls fail with an error instead of touching a closed database. */
  g_assert_null (pigeon_store_get_state (store, "device-id", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (pigeon_store_set_state (store, "x", "y", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED);
  g_clear_error (&error);
  g_object_unref (store);

  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  value = pigeon_store_get_state (store, "device-id", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "abc123");
  g_assert_cmpuint (pigeon_store_count_messages (store, folder_id, &error), ==, 1);
  g_object_unref (store);
  test_remove_tree (dir);
}

static void
open_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  PigeonStore **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = pigeon_store_open_finish (result, &error);
  g_assert_no_error (error);
}

static void
open_fail_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **out = user_data;

  g_assert_null (pigeon_store_open_finish (result, out));
  g_assert_nonnull (*out);
}

static void
test_open_async (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *bad = g_build_filename (dir, "bad", NULL);
  g_autofree char *bad_db = g_build_filename (bad, "store.db", NULL);
  g_autoptr(GError) error = NULL;
  PigeonStore *store = NULL;

  pigeon_store_open_async (dir, NULL, open_cb, &store);
  while (store == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (PIGEON_IS_STORE (store));
  g_assert_true (pigeon_store_set_state (store, "k", "v", &error));
  g_object_unref (store);

  g_assert_cmpint (g_mkdir (bad, 0700), ==, 0);
  g_assert_true (g_file_set_contents (bad_db, "not a database at all, clearly", -1, NULL));
  pigeon_store_open_async (bad, NULL, open_fail_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
  test_remove_tree (dir);
}

static void
test_open_state (StoreFixture *f,
                 gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *value = NULL;

  missing = pigeon_store_get_state (f->store, "sync-key", &error);
  g_assert_no_error (error);
  g_assert_null (missing);

  g_assert_true (pigeon_store_set_state (f->store, "sync-key", "1", &error));
  g_assert_true (pigeon_store_set_state (f->store, "sync-key", "2", &error));
  value = pigeon_store_get_state (f->store, "sync-key", &error);
  g_assert_cmpstr (value, ==, "2");

  g_assert_true (pigeon_store_set_state (f->store, "sync-key", NULL, &error));
  g_assert_no_error (error);
  g_free (missing);
  missing = pigeon_store_get_state (f->store, "sync-key", &error);
  g_assert_null (missing);
}

/* ------------------------------------------------------------------ migrations */

/* Every table, index and trigger as SQLite keeps them, in a stable order. */
static char *
dump_schema (const char *db_path)
{
  GString *out = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                     "SELECT type, name, tbl_name, coalesce (sql, '') FROM sqlite_master "
                     "ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s|%s|%s|%s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                            sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  g_string_append_printf (out, "user_version=%u\n", pigeon_store_schema_version ());
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

static char *
schema_of_store_in (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "store.db", NULL);
  PigeonStore *store = pigeon_store_open (dir, &error);

  g_assert_no_error (error);
  g_object_unref (store);
  return dump_schema (path);
}

/* Builds DIR/store.db at schema VERSION from SNAPSHOT (NULL: an empty file) and opens it
 * with the store, which migrates it. */
static char *
migrate_from (const char *snapshot,
              guint       version)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "store.db", NULL);
  g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", version);
  char *schema;

  if (snapshot != NULL)
    {
      g_autofree char *sql = NULL;
      g_autoptr(GError) error = NULL;

      g_file_get_contents (snapshot, &sql, NULL, &error);
      g_assert_no_error (error);
      test_exec_sql (db_path, sql);
      test_exec_sql (db_path, set_version);
    }
  else
    {
      g_assert_true (g_file_set_contents (db_path, "", 0, NULL));
    }

  schema = schema_of_store_in (dir);
  test_remove_tree (dir);
  return schema;
}

/*
 * A database at every earlier schema version migrates to exactly what a fresh store has.
 * tests/engine/store/schemas/ holds one NNN.sql per released version (the whole schema at
 * version NNN, as `sqlite3 store.db .schema` prints it); adding a migration means adding
 * the snapshot of the version before it, which this test insists on.
 */
static void
test_migrations_from_every_version (void)
{
  g_autofree char *fresh_dir = test_make_tmp_dir ();
  g_autofree char *fresh = schema_of_store_in (fresh_dir);
  g_autofree char *from_empty = migrate_from (NULL, 0);
  guint current = pigeon_store_schema_version ();

  test_remove_tree (fresh_dir);
  g_assert_cmpstr (from_empty, ==, fresh);

  for (guint version = 1; version < current; version++)
    {
      g_autofree char *name = g_strdup_printf ("%03u.sql", version);
      g_autofree char *snapshot = g_build_filename (SCHEMAS_DIR, name, NULL);
      g_autofree char *migrated = NULL;

      if (!g_file_test (snapshot, G_FILE_TEST_IS_REGULAR))
        g_error ("No snapshot of schema %u in %s: add %s so migrations from it are tested",
                 version, SCHEMAS_DIR, name);
      g_test_message ("migrating from schema %u", version);
      migrated = migrate_from (snapshot, version);
      g_assert_cmpstr (migrated, ==, fresh);
    }
}

/* Every migration in the resource runs on the right version and the store knows them
 * all: a store opened twice is not migrated twice. */
static void
test_migrations_idempotent (StoreFixture *f,
                            gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 folder_id = test_add_folder (f->store, "INBOX");
  g_autofree char *before = dump_schema (pigeon_store_get_path (f->store));
  g_autofree char *after = NULL;

  g_clear_object (&f->store);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  after = dump_schema (pigeon_store_get_path (f->store));
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM folders"), ==, 1);
  g_assert_cmpint (folder_id, >, 0);
}

/* ------------------------------------------------------------------ bad files */

static void
test_open_too_new (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "store.db", NULL);
  g_autoptr(GError) error = NULL;
  PigeonStore *store;

  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  g_object_unref (store);
  test_exec_sql (db_path, "PRAGMA user_version = 999");

  store = pigeon_store_open (dir, &error);
  g_assert_null (store);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORE_TOO_NEW);
  g_assert_nonnull (strstr (error->message, db_path));
  g_assert_nonnull (strstr (error->message, "newer version of Pigeon"));
  test_remove_tree (dir);
}

static void
test_open_damaged (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *damaged_dir = g_build_filename (dir, "damaged", NULL);
  g_autofree char *healthy_dir = g_build_filename (dir, "healthy", NULL);
  g_autofree char *db_path = g_build_filename (damaged_dir, "store.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *after = NULL;
  guint8 junk[8192];
  gsize after_len;
  PigeonStore *healthy;

  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_assert_cmpint (g_mkdir (damaged_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (db_path, (const char *) junk, sizeof junk, NULL));

  g_assert_null (pigeon_store_open (damaged_dir, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, db_path));
  g_assert_nonnull (strstr (error->message, "damaged"));

  /* Left exactly as it was, for the user (or a recovery tool) to deal with. */
  g_assert_true (g_file_get_contents (db_path, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, junk, sizeof junk);

  /* Another account's store is unaffected. */
  healthy = pigeon_store_open (healthy_dir, NULL);
  g_assert_nonnull (healthy);
  g_assert_cmpint (test_add_folder (healthy, "INBOX"), >, 0);
  g_object_unref (healthy);
  test_remove_tree (dir);
}

static void
test_open_unwritable_dir (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *file = g_build_filename (dir, "file", NULL);
  g_autofree char *below = g_build_filename (file, "account", NULL);
  g_autoptr(GError) error = NULL;

  /* A path through a regular file can never be created, even as root. */
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_null (pigeon_store_open (below, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, below));
  test_remove_tree (dir);
}

/* A full disk, made real by capping the database's size: the error says so and the
 * transaction leaves nothing behind. */
static gboolean
fill_disk_func (PigeonStore *store,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  g_autofree char *big = g_strnfill (4000, 'x');
  g_autofree char *cap = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 pages;
  int rc = SQLITE_OK;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA page_count", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  pages = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  cap = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages + 3);
  g_assert_cmpint (sqlite3_exec (db, cap, NULL, NULL, NULL), ==, SQLITE_OK);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO state (key, value) VALUES (?, ?)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (int i = 0; i < 1000 && rc == SQLITE_OK; i++)
    {
      g_autofree char *key = g_strdup_printf ("filler-%d", i);

      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, big, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (rc & 0xff, ==, SQLITE_FULL);
  pigeon_store_set_sqlite_error (store, db, rc, error);
  return FALSE;
}

static gboolean
uncap_func (PigeonStore *store,
            sqlite3     *db,
            gpointer     data,
            GError     **error)
{
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  return TRUE;
}

static void
test_open_disk_full (StoreFixture *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_store_set_state (f->store, "before", "1", &error));
  g_assert_false (pigeon_store_run_write (f->store, fill_disk_func, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
  g_assert_true (g_str_has_prefix (error->message, "The disk is full"));
  g_assert_nonnull (strstr (error->message, pigeon_store_get_path (f->store)));
  g_clear_error (&error);

  g_assert_true (pigeon_store_run_write (f->store, uncap_func, NULL, &error));
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM state"), ==, 1);
  /* And the store goes on working. */
  g_assert_true (pigeon_store_set_state (f->store, "after", "2", &error));
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM state"), ==, 2);
}

void
test_store_add_open_tests (void)
{
  g_test_add ("/store/open/fresh", StoreFixture, NULL, store_fixture_setup,
              test_open_fresh, store_fixture_teardown);
  g_test_add ("/store/open/writer-settings", StoreFixture, NULL, store_fixture_setup,
              test_open_writer_settings, store_fixture_teardown);
  g_test_add_func ("/store/open/reopen", test_open_reopen);
  g_test_add_func ("/store/open/async", test_open_async);
  g_test_add ("/store/open/state", StoreFixture, NULL, store_fixture_setup,
              test_open_state, store_fixture_teardown);
  g_test_add_func ("/store/open/too-new", test_open_too_new);
  g_test_add_func ("/store/open/damaged", test_open_damaged);
  g_test_add_func ("/store/open/unwritable-dir", test_open_unwritable_dir);
  g_test_add ("/store/open/disk-full", StoreFixture, NULL, store_fixture_setup,
              test_open_disk_full, store_fixture_teardown);
  g_test_add_func ("/store/migrations/from-every-version", test_migrations_from_every_version);
  g_test_add ("/store/migrations/idempotent", StoreFixture, NULL, store_fixture_setup,
              test_migrations_idempotent, store_fixture_teardown);
}
