/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "test-store-util.h"
#include "test-store.h"

static PigeonFolder *
make_folder (const char      *path,
             PigeonFolderRole role,
             const char      *remote_id)
{
  PigeonFolder *folder = pigeon_folder_new ();

  folder->path = g_strdup (path);
  folder->delimiter = g_strdup ("/");
  folder->role = role;
  folder->remote_id = g_strdup (remote_id);
  return folder;
}

static PigeonFolder *
get_by_path (PigeonStore *store,
             const char  *path)
{
  g_autoptr(GError) error = NULL;
  PigeonFolder *folder = pigeon_store_get_folder_by_path (store, path, &error);

  g_assert_no_error (error);
  return folder;
}

static void
test_folders_upsert (StoreFixture *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) inbox = make_folder ("INBOX", PIGEON_FOLDER_ROLE_INBOX, NULL);
  g_autoptr(PigeonFolder) sub = make_folder ("Archive/2024", PIGEON_FOLDER_ROLE_NONE, "r-24");
  g_autoptr(PigeonFolder) got = NULL;
  g_autoptr(GPtrArray) all = NULL;
  gint64 inbox_id, sub_id;

  inbox_id = pigeon_store_upsert_folder (f->store, inbox, &error);
  g_assert_no_error (error);
  sub_id = pigeon_store_upsert_folder (f->store, sub, &error);
  g_assert_no_error (error);
  g_assert_cmpint (inbox_id, >, 0);
  g_assert_cmpint (sub_id, !=, inbox_id);

  got = get_by_path (f->store, "Archive/2024");
  g_assert_cmpint (got->id, ==, sub_id);
  g_assert_cmpstr (got->name, ==, "2024");
  g_assert_cmpstr (got->parent_path, ==, "Archive");
  g_assert_cmpstr (got->remote_id, ==, "r-24");
  g_clear_pointer (&got, pigeon_folder_free);

  /* Same path again: updated in place, sync state and counts left alone. */
  g_assert_true (pigeon_store_set_folder_sync_state (f->store, inbox_id, 77, 100, 5000,
                                                     "key-1", &error));
  inbox->flags = PIGEON_FOLDER_FLAG_SUBSCRIBED;
  g_assert_cmpint (pigeon_store_upsert_folder (f->store, inbox, &error), ==, inbox_id);
  got = pigeon_store_get_folder (f->store, inbox_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->flags, ==, PIGEON_FOLDER_FLAG_SUBSCRIBED);
  g_assert_cmpuint (got->uidvalidity, ==, 77);
  g_assert_cmpuint (got->uidnext, ==, 100);
  g_assert_cmpuint (got->highestmodseq, ==, 5000);
  g_assert_cmpstr (got->sync_key, ==, "key-1");
  g_clear_pointer (&got, pigeon_folder_free);

  got = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_INBOX, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->id, ==, inbox_id);
  g_clear_pointer (&got, pigeon_folder_free);

  got = pigeon_store_get_folder_by_remote_id (f->store, "r-24", &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->id, ==, sub_id);
  g_clear_pointer (&got, pigeon_folder_free);

  /* Not there is no error. */
  g_assert_null (pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_TRASH, &error));
  g_assert_no_error (error);
  g_assert_null (pigeon_store_get_folder (f->store, 9999, &error));
  g_assert_no_error (error);
  g_assert_null (pigeon_store_get_folder_by_path (f->store, "inbox", &error));
  g_assert_no_error (error);

  /* A server that renamed a folder it knows by id: same row, new path. */
  g_free (sub->path);
  sub->path = g_strdup ("Archive/Year 2024");
  g_assert_cmpint (pigeon_store_upsert_folder (f->store, sub, &error), ==, sub_id);
  got = pigeon_store_get_folder (f->store, sub_id, &error);
  g_assert_cmpstr (got->path, ==, "Archive/Year 2024");
  g_assert_cmpstr (got->name, ==, "Year 2024");

  all = pigeon_store_list_folders (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
}

static void
test_folders_replace (StoreFixture *f,
                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = test_folder_array_new ();
  g_autoptr(GPtrArray) second = test_folder_array_new ();
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(PigeonFolder) local = make_folder ("Local", PIGEON_FOLDER_ROLE_NONE, NULL);
  g_autoptr(PigeonFolder) gone = NULL;
  gint64 old_id, user_created;

  g_ptr_array_add (first, make_folder ("INBOX", PIGEON_FOLDER_ROLE_INBOX, NULL));
  g_ptr_array_add (first, make_folder ("Sent", PIGEON_FOLDER_ROLE_SENT, NULL));
  g_ptr_array_add (first, make_folder ("Old", PIGEON_FOLDER_ROLE_NONE, NULL));
  g_assert_true (pigeon_store_replace_folders (f->store, first, &error));
  g_assert_no_error (error);

  local->flags = PIGEON_FOLDER_FLAG_LOCAL;
  g_assert_cmpint (pigeon_store_upsert_folder (f->store, local, &error), >, 0);
  user_created = pigeon_store_create_folder (f->store, "Projects", "/", FALSE, &error);
  g_assert_no_error (error);
  gone = get_by_path (f->store, "Old");
  old_id = gone->id;
  test_add_message (f->store, old_id, 1, 100, "in a folder that goes", 0);

  g_ptr_array_add (second, make_folder ("INBOX", PIGEON_FOLDER_ROLE_INBOX, NULL));
  g_ptr_array_add (second, make_folder ("Sent", PIGEON_FOLDER_ROLE_SENT, NULL));
  g_ptr_array_add (second, make_folder ("Trash", PIGEON_FOLDER_ROLE_TRASH, NULL));
  g_assert_true (pigeon_store_replace_folders (f->store, second, &error));
  g_assert_no_error (error);

  all = pigeon_store_list_folders (f->store, &error);
  g_assert_cmpuint (all->len, ==, 5);
  g_assert_cmpstr (((PigeonFolder *) all->pdata[0])->path, ==, "INBOX");
  g_assert_cmpstr (((PigeonFolder *) all->pdata[1])->path, ==, "Local");
  g_assert_cmpstr (((PigeonFolder *) all->pdata[2])->path, ==, "Projects");
  g_assert_cmpint (((PigeonFolder *) all->pdata[2])->id, ==, user_created);
  g_assert_cmpstr (((PigeonFolder *) all->pdata[3])->path, ==, "Sent");
  g_assert_cmpstr (((PigeonFolder *) all->pdata[4])->path, ==, "Trash");
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 0);
}

static void
test_folders_rename (StoreFixture *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 archive = test_add_folder (f->store, "Archive");
  gint64 year = test_add_folder (f->store, "Archive/2023");
  gint64 quarter = test_add_folder (f->store, "Archive/2023/Q1");
  gint64 lookalike = test_add_folder (f->store, "Archiver");
  gint64 other = test_add_folder (f->store, "Other");
  struct { gint64 id; const char *path, *name, *parent; } expected[] = {
    { archive, "Old", "Old", NULL },
    { year, "Old/2023", "2023", "Old" },
    { quarter, "Old/2023/Q1", "Q1", "Old/2023" },
    { lookalike, "Archiver", "Archiver", NULL },
  };
  gint64 message = test_add_message (f->store, quarter, 1, 100, "stays with its folder", 0);

  g_assert_true (pigeon_store_rename_folder (f->store, archive, "Old", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (f->store, expected[i].id, NULL);

      g_assert_cmpstr (folder->path, ==, expected[i].path);
      g_assert_cmpstr (folder->name, ==, expected[i].name);
      g_assert_cmpstr (folder->parent_path, ==, expected[i].parent);
    }
  {
    g_autoptr(PigeonMessage) m = pigeon_store_get_message (f->store, message, &error);

    g_assert_no_error (error);
    g_assert_cmpint (m->folder_id, ==, quarter);
  }

  g_assert_false (pigeon_store_rename_folder (f->store, other, "Old", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Old"));
  g_clear_error (&error);
  g_assert_false (pigeon_store_rename_folder (f->store, 4242, "Nowhere", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
}

static void
test_folders_delete_cascade (StoreFixture *f,
                             gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GBytes) raw = test_make_raw ("Quarterly zebra report", "Carol <carol@example.test>",
                                         "The zebra numbers are in.");
  gint64 folder = test_add_folder (f->store, "Reports");
  gint64 keep = test_add_folder (f->store, "INBOX");
  gint64 m1 = test_add_message (f->store, folder, 1, 100, "zebra one", 0);

  test_add_message (f->store, folder, 2, 200, "zebra two", 0);
  test_add_message (f->store, keep, 1, 300, "zebra kept", 0);
  g_assert_true (pigeon_store_set_body (f->store, m1, raw, &error));
  g_assert_no_error (error);

  g_assert_true (pigeon_store_delete_folder (f->store, folder, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 1);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM bodies"), ==, 0);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages_fts"), ==, 1);
  found = pigeon_store_search (f->store, "zebra", 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((PigeonMessage *) found->pdata[0])->subject, ==, "zebra kept");

  g_assert_false (pigeon_store_delete_folder (f->store, folder, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
}

static void
assert_counts (PigeonStore *store,
               gint64       folder_id,
               guint        total,
               guint        unread)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (store, folder_id, &error);
  g_autofree char *count_sql = g_strdup_printf (
    "SELECT count(*) FROM messages WHERE folder_id = %" G_GINT64_FORMAT, folder_id);

  g_assert_no_error (error);
  g_assert_cmpuint (folder->total, ==, total);
  g_assert_cmpuint (folder->unread, ==, unread);
  g_assert_cmpuint (pigeon_store_count_messages (store, folder_id, NULL), ==, total);
  g_assert_cmpint (test_query_int (store, count_sql), ==, total);
}

static void
test_folders_counters (StoreFixture *f,
                       gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 archive = test_add_folder (f->store, "Archive");
  gint64 ids[6];
  guint32 gone_uid = 2;
  PigeonFlagUpdate seen = { 3, NULL, PIGEON_MESSAGE_FLAG_SEEN, 9 };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    ids[i] = test_add_message (f->store, inbox, i + 1, 1000 + i, "counted",
                               i < 2 ? PIGEON_MESSAGE_FLAG_SEEN : 0);
  assert_counts (f->store, inbox, 6, 4);

  /* The server says uid 3 was read. */
  g_assert_true (pigeon_store_update_flags (f->store, inbox, &seen, 1, &error));
  assert_counts (f->store, inbox, 6, 3);

  /* The user reads one and marks one unread. */
  g_assert_true (pigeon_store_change_flags (f->store, &ids[3], 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_change_flags (f->store, &ids[0], 1, 0, PIGEON_MESSAGE_FLAG_SEEN,
                                            &error));
  assert_counts (f->store, inbox, 6, 3);

  /* Moves carry the message's state to the other folder's counts. */
  g_assert_true (pigeon_store_move_messages (f->store, &ids[4], 2, archive, &error));
  g_assert_no_error (error);
  assert_counts (f->store, inbox, 4, 1);
  assert_counts (f->store, archive, 2, 2);

  /* Deletes: by the server, and by the user. */
  g_assert_true (pigeon_store_remove_by_uid (f->store, inbox, &gone_uid, 1, &error));
  assert_counts (f->store, inbox, 3, 1);
  g_assert_true (pigeon_store_expunge_messages (f->store, &ids[5], 1, &error));
  assert_counts (f->store, archive, 1, 1);
  g_assert_no_error (error);
}

static void
test_folders_role_guess (void)
{
  static const struct
  {
    const char      *path;
    const char      *delimiter;
    PigeonFolderRole role;
  } cases[] = {
    { "INBOX", "/", PIGEON_FOLDER_ROLE_INBOX },
    { "inbox", NULL, PIGEON_FOLDER_ROLE_INBOX },
    { "Inbox", ".", PIGEON_FOLDER_ROLE_INBOX },
    { "Sent", "/", PIGEON_FOLDER_ROLE_SENT },
    { "Sent Items", "/", PIGEON_FOLDER_ROLE_SENT },
    { "Sent Messages", "/", PIGEON_FOLDER_ROLE_SENT },
    { "Gesendet", "/", PIGEON_FOLDER_ROLE_SENT },
    { "Envoyés", "/", PIGEON_FOLDER_ROLE_SENT },
    { "ENVOYÉS", "/", PIGEON_FOLDER_ROLE_SENT },
    { "INBOX.Sent", ".", PIGEON_FOLDER_ROLE_SENT },
    { "INBOX/Sent Items", "/", PIGEON_FOLDER_ROLE_SENT },
    { "INBOX.Drafts", NULL, PIGEON_FOLDER_ROLE_DRAFTS },
    { "Drafts", "/", PIGEON_FOLDER_ROLE_DRAFTS },
    { "Entwürfe", "/", PIGEON_FOLDER_ROLE_DRAFTS },
    { "Brouillons", "/", PIGEON_FOLDER_ROLE_DRAFTS },
    { "Trash", "/", PIGEON_FOLDER_ROLE_TRASH },
    { "Deleted Items", "/", PIGEON_FOLDER_ROLE_TRASH },
    { "Deleted Messages", "/", PIGEON_FOLDER_ROLE_TRASH },
    { "Papierkorb", "/", PIGEON_FOLDER_ROLE_TRASH },
    { "Corbeille", "/", PIGEON_FOLDER_ROLE_TRASH },
    { "INBOX.Trash", ".", PIGEON_FOLDER_ROLE_TRASH },
    { "Junk", "/", PIGEON_FOLDER_ROLE_JUNK },
    { "Spam", "/", PIGEON_FOLDER_ROLE_JUNK },
    { "Junk E-mail", "/", PIGEON_FOLDER_ROLE_JUNK },
    { "junk e-mail", "/", PIGEON_FOLDER_ROLE_JUNK },
    { "Archive", "/", PIGEON_FOLDER_ROLE_ARCHIVE },
    { "Archives", "/", PIGEON_FOLDER_ROLE_ARCHIVE },
    { "Archiv", "/", PIGEON_FOLDER_ROLE_ARCHIVE },
    { "INBOX.Archive", ".", PIGEON_FOLDER_ROLE_ARCHIVE },
    { "[Gmail]/Sent Mail", "/", PIGEON_FOLDER_ROLE_SENT },
    { "Projects/Sent", "/", PIGEON_FOLDER_ROLE_NONE },
    { "INBOX.Projects.Trash", ".", PIGEON_FOLDER_ROLE_NONE },
    { "Sentinel", "/", PIGEON_FOLDER_ROLE_NONE },
    { "Archive/2024", "/", PIGEON_FOLDER_ROLE_NONE },
    { "Receipts", "/", PIGEON_FOLDER_ROLE_NONE },
    { "", "/", PIGEON_FOLDER_ROLE_NONE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].path);
      g_assert_cmpint (pigeon_folder_role_guess (cases[i].path, cases[i].delimiter), ==,
                       cases[i].role);
    }
}

static void
test_types_strings (void)
{
  g_auto(GStrv) strv = NULL;
  PigeonMessageFlags flag;

  for (PigeonFolderRole role = PIGEON_FOLDER_ROLE_NONE; role <= PIGEON_FOLDER_ROLE_ARCHIVE;
       role++)
    g_assert_cmpint (pigeon_folder_role_from_string (pigeon_folder_role_to_string (role)),
                     ==, role);
  g_assert_cmpstr (pigeon_folder_role_to_string (PIGEON_FOLDER_ROLE_SENT), ==, "sent");
  g_assert_cmpint (pigeon_folder_role_from_string ("bogus"), ==, PIGEON_FOLDER_ROLE_NONE);

  strv = pigeon_message_flags_to_strv (PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_FLAGGED |
                                       PIGEON_MESSAGE_FLAG_JUNK);
  g_assert_cmpuint (g_strv_length (strv), ==, 3);
  g_assert_cmpstr (strv[0], ==, "seen");
  g_assert_cmpstr (strv[1], ==, "flagged");
  g_assert_cmpstr (strv[2], ==, "junk");
  for (guint i = 0; strv[i] != NULL; i++)
    g_assert_true (pigeon_message_flag_from_string (strv[i], &flag));
  g_assert_true (pigeon_message_flag_from_string ("Forwarded", &flag));
  g_assert_cmpint (flag, ==, PIGEON_MESSAGE_FLAG_FORWARDED);
  g_assert_false (pigeon_message_flag_from_string ("recent", &flag));
  g_assert_cmpstr (pigeon_op_kind_to_string (PIGEON_OP_MOVE), ==, "move");
}

static void
test_types_boxed_copies (void)
{
  g_autoptr(PigeonFolder) folder = make_folder ("A/B", PIGEON_FOLDER_ROLE_SENT, "rid");
  g_autoptr(PigeonFolder) folder_copy = NULL;
  g_autoptr(PigeonMessage) message = test_make_message (1, 2, 3, "subject", 0);
  g_autoptr(PigeonMessage) message_copy = NULL;
  g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_APPEND);
  g_autoptr(PigeonPendingOp) op_copy = NULL;
  g_autoptr(PigeonStoreChange) change = pigeon_store_change_new (5);
  g_autoptr(PigeonStoreChange) change_copy = NULL;
  gint64 id = 42;

  folder_copy = g_boxed_copy (PIGEON_TYPE_FOLDER, folder);
  g_assert_true (folder_copy->path != folder->path);
  g_assert_cmpstr (folder_copy->path, ==, "A/B");
  g_assert_cmpstr (folder_copy->remote_id, ==, "rid");

  message_copy = g_boxed_copy (PIGEON_TYPE_MESSAGE, message);
  g_assert_cmpstr (message_copy->subject, ==, "subject");
  g_assert_true (message_copy->subject != message->subject);

  op->data = g_bytes_new_static ("raw", 3);
  op->path = g_strdup ("Drafts");
  op_copy = g_boxed_copy (PIGEON_TYPE_PENDING_OP, op);
  g_assert_true (g_bytes_equal (op_copy->data, op->data));
  g_assert_cmpstr (op_copy->path, ==, "Drafts");

  g_array_append_val (change->added, id);
  change_copy = g_boxed_copy (PIGEON_TYPE_STORE_CHANGE, change);
  g_assert_cmpint (change_copy->folder_id, ==, 5);
  g_assert_cmpuint (change_copy->added->len, ==, 1);
  g_assert_cmpint (g_array_index (change_copy->added, gint64, 0), ==, 42);
  g_assert_cmpuint (change_copy->removed->len, ==, 0);
}

void
test_store_add_folder_tests (void)
{
  g_test_add ("/store/folders/upsert", StoreFixture, NULL, store_fixture_setup,
              test_folders_upsert, store_fixture_teardown);
  g_test_add ("/store/folders/replace", StoreFixture, NULL, store_fixture_setup,
              test_folders_replace, store_fixture_teardown);
  g_test_add ("/store/folders/rename", StoreFixture, NULL, store_fixture_setup,
              test_folders_rename, store_fixture_teardown);
  g_test_add ("/store/folders/delete-cascade", StoreFixture, NULL, store_fixture_setup,
              test_folders_delete_cascade, store_fixture_teardown);
  g_test_add ("/store/folders/counters", StoreFixture, NULL, store_fixture_setup,
              test_folders_counters, store_fixture_teardown);
  g_test_add_func ("/store/folders/role-guess", test_folders_role_guess);
  g_test_add_func ("/store/types/strings", test_types_strings);
  g_test_add_func ("/store/types/boxed-copies", test_types_boxed_copies);
}
