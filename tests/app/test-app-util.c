/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "test-app-util.h"

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
test_wait_for (gboolean *condition)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!*condition)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
}

void
test_iterate_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
}

static void
store_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  *(gboolean *) user_data = TRUE;
}

TestSession *
test_session_new (const char *name)
{
  TestSession *ts = g_new0 (TestSession, 1);
  g_autoptr(GError) error = NULL;
  gboolean opened = FALSE;
  gulong handler;

  ts->dir = g_dir_make_tmp ("pigeon-app-XXXXXX", &error);
  g_assert_no_error (error);
  ts->account = pigeon_account_new (name);
  g_object_set (ts->account, "name", name, "email", "reader@example.test", "protocol", "imap",
                "host", "127.0.0.1", "enabled", FALSE, NULL);
  ts->session = pigeon_session_new (ts->account, ts->dir);
  handler = g_signal_connect (ts->session, "notify::store", G_CALLBACK (store_notify_cb),
                              &opened);
  test_wait_for (&opened);
  g_signal_handler_disconnect (ts->session, handler);
  ts->store = pigeon_session_get_store (ts->session);
  g_assert_nonnull (ts->store);
  return ts;
}

void
test_session_free (TestSession *ts)
{
  pigeon_session_shutdown (ts->session);
  g_clear_object (&ts->session);
  g_clear_object (&ts->account);
  /* Let queued callbacks holding the store run out. */
  test_iterate_for (20);
  test_remove_tree (ts->dir);
  g_free (ts->dir);
  g_free (ts);
}

gint64
test_add_folder (PigeonStore     *store,
                 const char      *path,
                 PigeonFolderRole role)
{
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  g_autoptr(GError) error = NULL;
  gint64 id;

  folder->path = g_strdup (path);
  folder->delimiter = g_strdup ("/");
  folder->role = role;
  folder->uidvalidity = 1;
  id = pigeon_store_upsert_folder (store, folder, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

gint64
test_add_message (PigeonStore       *store,
                  gint64             folder_id,
                  guint32            uid,
                  gint64             date,
                  const char        *from,
                  const char        *subject,
                  PigeonMessageFlags flags,
                  const char        *message_id,
                  const char        *references)
{
  g_autoptr(GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GError) error = NULL;
  PigeonMessage *m = pigeon_message_new ();

  m->uidvalidity = 1;
  m->uid = uid;
  m->date = date;
  m->internal_date = date;
  m->from = g_strdup (from);
  m->subject = g_strdup (subject);
  m->flags = flags;
  m->message_id = g_strdup (message_id);
  m->references = g_strdup (references);
  g_ptr_array_add (batch, m);
  g_assert_true (pigeon_store_upsert_messages (store, folder_id, batch, &error));
  g_assert_no_error (error);
  return m->id;
}
