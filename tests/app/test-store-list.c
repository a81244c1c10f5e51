/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-store-list.h"
#include "test-app-util.h"

/* The store's read helpers the message list uses (src/engine/store/pigeon-store-list.c). */

typedef struct
{
  char        *dir;
  PigeonStore *store;
  gint64       inbox;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("pigeon-list-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox = test_add_folder (f->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  pigeon_store_close (f->store);
  g_clear_object (&f->store);
  test_iterate_for (10);
  test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
test_entries_order (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(GStringChunk) senders = g_string_chunk_new (64);
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  gint64 a, b, c;

  a = test_add_message (f->store, f->inbox, 1, 300, "Ann <a@x>", "A", 0, NULL, NULL);
  b = test_add_message (f->store, f->inbox, 2, 100, "Ben <b@x>", "B", 0, NULL, NULL);
  c = test_add_message (f->store, f->inbox, 3, 300, "Cid <c@x>", "C", 0, NULL, NULL);

  entries = pigeon_store_list_entries (f->store, f->inbox, PIGEON_LIST_WITH_SENDER, senders,
                                       &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 3);
  /* Newest first; equal dates by id, the newer row first. */
  g_assert_cmpint (g_array_index (entries, PigeonListEntry, 0).id, ==, c);
  g_assert_cmpint (g_array_index (entries, PigeonListEntry, 1).id, ==, a);
  g_assert_cmpint (g_array_index (entries, PigeonListEntry, 2).id, ==, b);
  g_assert_cmpstr (g_array_index (entries, PigeonListEntry, 2).sender, ==, "Ben <b@x>");
  g_assert_cmpuint (g_array_index (entries, PigeonListEntry, 0).count, ==, 1);
}

static void
test_conversations (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GArray) thread = NULL;
  g_autoptr(GArray) all = NULL;
  g_autoptr(GError) error = NULL;
  gint64 sent = test_add_folder (f->store, "Sent", PIGEON_FOLDER_ROLE_SENT);
  gint64 root, reply, late, alone, mine;
  const PigeonListEntry *first;

  /* A reply that names only its parent (no References) joins through the parent; the
   * copy of a message in Sent shares its conversation. */
  root = test_add_message (f->store, f->inbox, 1, 100, "A <a@x>", "Q", PIGEON_MESSAGE_FLAG_SEEN,
                           "m1@x", NULL);
  reply = test_add_message (f->store, f->inbox, 2, 200, "B <b@x>", "Re: Q", 0, "m2@x",
                            "m1@x");
  alone = test_add_message (f->store, f->inbox, 3, 50, "D <d@x>", "Other",
                            PIGEON_MESSAGE_FLAG_SEEN, NULL, NULL);
  mine = test_add_message (f->store, sent, 1, 250, "Me <me@x>", "Re: Q",
                           PIGEON_MESSAGE_FLAG_SEEN, "m9@x", "m1@x m2@x");
  {
    /* m3 answers m2 by In-Reply-To only. */
    g_autoptr(GPtrArray) batch =
      g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
    PigeonMessage *m = pigeon_message_new ();

    m->uidvalidity = 1;
    m->uid = 4;
    m->date = 400;
    m->from = g_strdup ("C <c@x>");
    m->subject = g_strdup ("Re: Re: Q");
    m->message_id = g_strdup ("m3@x");
    m->in_reply_to = g_strdup ("m2@x");
    g_ptr_array_add (batch, m);
    g_assert_true (pigeon_store_upsert_messages (f->store, f->inbox, batch, &error));
    g_assert_no_error (error);
    late = m->id;
  }

  entries = pigeon_store_list_entries (f->store, f->inbox, PIGEON_LIST_THREADED, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  first = &g_array_index (entries, PigeonListEntry, 0);
  g_assert_cmpint (first->id, ==, late);
  g_assert_cmpint (first->date, ==, 400);
  g_assert_cmpuint (first->count, ==, 3);
  g_assert_cmpuint (first->unread, ==, 2);
  g_assert_cmpint (g_array_index (entries, PigeonListEntry, 1).id, ==, alone);

  thread = pigeon_store_list_thread (f->store, f->inbox, first->thread_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (thread->len, ==, 3);
  g_assert_cmpint (g_array_index (thread, PigeonListEntry, 0).id, ==, root);
  g_assert_cmpint (g_array_index (thread, PigeonListEntry, 1).id, ==, reply);
  g_assert_cmpint (g_array_index (thread, PigeonListEntry, 2).id, ==, late);

  /* Sent's copy is assigned when its folder is listed, and joins. */
  g_assert_true (pigeon_store_assign_threads (f->store, sent, &error));
  g_assert_no_error (error);
  all = pigeon_store_list_thread_ids (f->store, first->thread_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  {
    gboolean found = FALSE;

    for (guint i = 0; i < all->len; i++)
      found |= g_array_index (all, gint64, i) == mine;
    g_assert_true (found);
  }
}

static void
test_thread_key (void)
{
  gint64 by_root = pigeon_store_thread_key ("m3@x", "m2@x", "m1@x m2@x", 5);

  /* The first message referred to decides: the same for every reply and the root. */
  g_assert_cmpint (by_root, ==, pigeon_store_thread_key ("m2@x", NULL, "m1@x", 9));
  g_assert_cmpint (by_root, ==, pigeon_store_thread_key ("m1@x", NULL, NULL, 1));
  g_assert_cmpint (by_root, >, 0);
  g_assert_cmpint (by_root, !=, pigeon_store_thread_key ("other@x", NULL, NULL, 1));
  /* No ids at all: a conversation of one, of its own. */
  g_assert_cmpint (pigeon_store_thread_key (NULL, NULL, NULL, 42), ==, -42);
}

static void
test_messages_by_id (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) unread = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ids[3];

  ids[0] = test_add_message (f->store, f->inbox, 1, 1, "A <a@x>", "one", 0, NULL, NULL);
  ids[1] = test_add_message (f->store, f->inbox, 2, 2, "A <a@x>", "two",
                             PIGEON_MESSAGE_FLAG_SEEN, NULL, NULL);
  ids[2] = 999999;   /* not in the store */

  rows = pigeon_store_get_messages (f->store, ids, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  unread = pigeon_store_list_unread_ids (f->store, f->inbox, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unread->len, ==, 1);
  g_assert_cmpint (g_array_index (unread, gint64, 0), ==, ids[0]);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = pigeon_store_get_messages (f->store, ids, 0, &error);
  g_assert_cmpuint (rows->len, ==, 0);
}

static guint
count_ops (PigeonStore  *store,
           PigeonOpKind  kind)
{
  g_autoptr(GPtrArray) ops = pigeon_store_list_pending_ops (store, NULL);
  guint n = 0;

  for (guint i = 0; i < ops->len; i++)
    n += ((PigeonPendingOp *) g_ptr_array_index (ops, i))->kind == kind;
  return n;
}

static void
test_user_rename (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 projects = test_add_folder (f->store, "Projects", PIGEON_FOLDER_ROLE_NONE);
  gint64 child = test_add_folder (f->store, "Projects/Pigeon", PIGEON_FOLDER_ROLE_NONE);
  g_autoptr(PigeonFolder) moved = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  const PigeonPendingOp *op;

  g_assert_true (pigeon_store_user_rename_folder (f->store, projects, "Work", &error));
  g_assert_no_error (error);
  moved = pigeon_store_get_folder (f->store, child, &error);
  g_assert_cmpstr (moved->path, ==, "Work/Pigeon");
  ops = pigeon_store_list_pending_ops (f->store, &error);
  g_assert_cmpuint (ops->len, ==, 1);
  op = g_ptr_array_index (ops, 0);
  g_assert_cmpint (op->kind, ==, PIGEON_OP_RENAME_FOLDER);
  g_assert_cmpstr (op->path, ==, "Projects");
  g_assert_cmpstr (op->new_path, ==, "Work");

  /* Nothing changes, nothing is queued; the inbox keeps its name. */
  g_assert_true (pigeon_store_user_rename_folder (f->store, projects, "Work", &error));
  g_assert_cmpuint (count_ops (f->store, PIGEON_OP_RENAME_FOLDER), ==, 1);
  g_assert_false (pigeon_store_user_rename_folder (f->store, f->inbox, "Old", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pigeon_store_user_rename_folder (f->store, child, "INBOX", &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
}

static void
test_user_delete (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 top = test_add_folder (f->store, "Old", PIGEON_FOLDER_ROLE_NONE);
  gint64 mid = test_add_folder (f->store, "Old/2023", PIGEON_FOLDER_ROLE_NONE);
  gint64 leaf = test_add_folder (f->store, "Old/2023/Q1", PIGEON_FOLDER_ROLE_NONE);
  gint64 keep = test_add_folder (f->store, "Older", PIGEON_FOLDER_ROLE_NONE);
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(PigeonFolder) gone = NULL;
  g_autoptr(PigeonFolder) kept = NULL;

  test_add_message (f->store, leaf, 1, 1, "A <a@x>", "in the leaf", 0, NULL, NULL);
  g_assert_true (pigeon_store_user_delete_folder (f->store, top, &error));
  g_assert_no_error (error);

  /* The server hears of the deepest first; a folder whose name merely starts the same
   * stays. */
  ops = pigeon_store_list_pending_ops (f->store, &error);
  g_assert_cmpuint (ops->len, ==, 3);
  g_assert_cmpstr (((PigeonPendingOp *) g_ptr_array_index (ops, 0))->path, ==, "Old/2023/Q1");
  g_assert_cmpstr (((PigeonPendingOp *) g_ptr_array_index (ops, 1))->path, ==, "Old/2023");
  g_assert_cmpstr (((PigeonPendingOp *) g_ptr_array_index (ops, 2))->path, ==, "Old");
  for (guint i = 0; i < ops->len; i++)
    g_assert_cmpint (((PigeonPendingOp *) g_ptr_array_index (ops, i))->kind, ==,
                     PIGEON_OP_DELETE_FOLDER);
  gone = pigeon_store_get_folder (f->store, mid, &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, leaf, NULL), ==, 0);
  kept = pigeon_store_get_folder (f->store, keep, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);

  g_assert_false (pigeon_store_user_delete_folder (f->store, f->inbox, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();
  g_test_add ("/store-list/entries-order", Fixture, NULL, fixture_setup, test_entries_order,
              fixture_teardown);
  g_test_add ("/store-list/conversations", Fixture, NULL, fixture_setup, test_conversations,
              fixture_teardown);
  g_test_add_func ("/store-list/thread-key", test_thread_key);
  g_test_add ("/store-list/messages-by-id", Fixture, NULL, fixture_setup, test_messages_by_id,
              fixture_teardown);
  g_test_add ("/store-list/user-rename", Fixture, NULL, fixture_setup, test_user_rename,
              fixture_teardown);
  g_test_add ("/store-list/user-delete", Fixture, NULL, fixture_setup, test_user_delete,
              fixture_teardown);
  return g_test_run ();
}
