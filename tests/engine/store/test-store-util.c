/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "test-store-util.h"

char *
test_make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("pigeon-store-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      test_remove_tree (child);
    }
  g_rmdir (path);
}

void
store_fixture_setup (StoreFixture *fixture,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = test_make_tmp_dir ();
  fixture->store = pigeon_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->store);
}

void
test_unref_and_wait (PigeonStore *store)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  PigeonStore *alive;
  GWeakRef weak;

  g_weak_ref_init (&weak, store);
  g_object_unref (store);
  /* An async call's task may hold the last reference a moment longer on the worker. */
  while ((alive = g_weak_ref_get (&weak)) != NULL)
    {
      g_object_unref (alive);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_weak_ref_clear (&weak);
}

void
store_fixture_teardown (StoreFixture *fixture,
                        gconstpointer data)
{
  /* Nothing may keep the store alive for long: it would keep the database open. */
  if (fixture->store != NULL)
    test_unref_and_wait (g_steal_pointer (&fixture->store));
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

GPtrArray *
test_message_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
}

GPtrArray *
test_folder_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
}

gint64
test_add_folder (PigeonStore *store,
                 const char  *path)
{
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  g_autoptr(GError) error = NULL;
  gint64 id;

  folder->path = g_strdup (path);
  folder->delimiter = g_strdup ("/");
  folder->role = pigeon_folder_role_guess (path, "/");
  id = pigeon_store_upsert_folder (store, folder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

PigeonMessage *
test_make_message (guint32            uidvalidity,
                   guint32            uid,
                   gint64             date,
                   const char        *subject,
                   PigeonMessageFlags flags)
{
  PigeonMessage *m = pigeon_message_new ();

  m->uidvalidity = uidvalidity;
  m->uid = uid;
  m->date = date;
  m->internal_date = date;
  m->subject = g_strdup (subject);
  m->from = g_strdup ("Alice Example <alice@example.test>");
  m->to = g_strdup ("Bob Builder <bob@example.test>");
  m->message_id = g_strdup_printf ("%u.%u@example.test", uidvalidity, uid);
  m->flags = flags;
  m->size = 1000 + uid;
  return m;
}

gint64
test_add_message (PigeonStore       *store,
                  gint64             folder_id,
                  guint32            uid,
                  gint64             date,
                  const char        *subject,
                  PigeonMessageFlags flags)
{
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  g_autoptr(GError) error = NULL;
  PigeonMessage *m = test_make_message (7, uid, date, subject, flags);

  g_ptr_array_add (batch, m);
  g_assert_true (pigeon_store_upsert_messages (store, folder_id, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m->id, >, 0);
  return m->id;
}

GBytes *
test_make_raw (const char *subject,
               const char *from,
               const char *body)
{
  g_autofree char *text = g_strdup_printf (
    "From: %s\r\n"
    "To: Bob Builder <bob@example.test>\r\n"
    "Subject: %s\r\n"
    "Date: Tue, 05 Mar 2024 10:00:00 +0000\r\n"
    "Message-ID: <raw-%u@example.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "%s\r\n", from, subject, g_str_hash (body), body);

  return g_bytes_new (text, strlen (text));
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
test_wait_for_flag (gboolean *flag)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

void
test_drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
test_exec_sql (const char *db_path,
               const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

typedef struct
{
  const char *sql;
  gint64      value;
} QueryData;

static gboolean
query_func (PigeonStore *store,
            sqlite3     *db,
            gpointer     data,
            GError     **error)
{
  QueryData *qd = data;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, qd->sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  qd->value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return TRUE;
}

gint64
test_query_int (PigeonStore *store,
                const char  *sql)
{
  g_autoptr(GError) error = NULL;
  QueryData qd = { sql, 0 };

  g_assert_true (pigeon_store_run_read (store, query_func, &qd, &error));
  g_assert_no_error (error);
  return qd.value;
}
