/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "test-store-util.h"
#include "test-store.h"

static GPtrArray *
list_ops (PigeonStore *store)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *ops = pigeon_store_list_pending_ops (store, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (ops->len, ==, pigeon_store_count_pending_ops (store, NULL));
  return ops;
}

#define OP(ops, i) ((PigeonPendingOp *) (ops)->pdata[i])

static gboolean
message_exists (PigeonStore *store,
                gint64       id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) message = pigeon_store_get_message (store, id, &error);

  g_assert_no_error (error);
  return message != NULL;
}

static void
test_ops_change_flags (StoreFixture *f,
                       gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  gint64 ids[3];

  for (guint i = 0; i < 3; i++)
    ids[i] = test_add_message (f->store, folder, 10 + i, 1000, "flag me",
                               i == 0 ? PIGEON_MESSAGE_FLAG_SEEN : 0);

  /* Mark all read and flagged: the first was read already, so only flagged for it. */
  g_assert_true (pigeon_store_change_flags (f->store, ids, 3,
                                            PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_FLAGGED,
                                            0, &error));
  /* A change that changes nothing queues nothing. */
  g_assert_true (pigeon_store_change_flags (f->store, ids, 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_change_flags (f->store, &ids[2], 1, 0,
                                            PIGEON_MESSAGE_FLAG_FLAGGED, &error));
  g_assert_no_error (error);

  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 4);
  for (guint i = 0; i < ops->len; i++)
    {
      g_assert_cmpint (OP (ops, i)->kind, ==, PIGEON_OP_SET_FLAGS);
      g_assert_cmpint (OP (ops, i)->folder_id, ==, folder);
      g_assert_cmpuint (OP (ops, i)->uidvalidity, ==, 7);
      g_assert_cmpint (OP (ops, i)->created, >, 0);
      if (i > 0)
        g_assert_cmpint (OP (ops, i)->id, >, OP (ops, i - 1)->id);
    }
  g_assert_cmpint (OP (ops, 0)->message_id, ==, ids[0]);
  g_assert_cmpuint (OP (ops, 0)->uid, ==, 10);
  g_assert_cmpint (OP (ops, 0)->flags_add, ==, PIGEON_MESSAGE_FLAG_FLAGGED);
  g_assert_cmpint (OP (ops, 1)->flags_add, ==,
                   PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_FLAGGED);
  g_assert_cmpuint (OP (ops, 2)->uid, ==, 12);
  g_assert_cmpint (OP (ops, 3)->message_id, ==, ids[2]);
  g_assert_cmpint (OP (ops, 3)->flags_add, ==, 0);
  g_assert_cmpint (OP (ops, 3)->flags_remove, ==, PIGEON_MESSAGE_FLAG_FLAGGED);

  got = pigeon_store_get_message (f->store, ids[2], &error);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_SEEN);

  /* Gone meanwhile: nothing to do, no error. */
  {
    gint64 gone = 4242;

    g_assert_true (pigeon_store_change_flags (f->store, &gone, 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                              &error));
    g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 4);
  }
}

static void
test_ops_move_and_server_id (StoreFixture *f,
                             gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  g_autoptr(GBytes) raw = test_make_raw ("Moved", "A <a@example.test>", "cached body");
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 archive = test_add_folder (f->store, "Archive");
  gint64 id = test_add_message (f->store, inbox, 41, 1000, "Moved", 0);

  g_assert_true (pigeon_store_set_body (f->store, id, raw, &error));
  g_assert_true (pigeon_store_move_messages (f->store, &id, 1, archive, &error));
  g_assert_no_error (error);

  /* The same row, now in the archive, without a server identity; body kept. */
  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_cmpint (got->folder_id, ==, archive);
  g_assert_cmpuint (got->uid, ==, 0);
  g_assert_cmpuint (got->uidvalidity, ==, 0);
  g_assert_null (got->remote_id);
  g_assert_true (got->has_body);
  g_clear_pointer (&got, pigeon_message_free);

  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 1);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_MOVE);
  g_assert_cmpint (OP (ops, 0)->message_id, ==, id);
  g_assert_cmpint (OP (ops, 0)->folder_id, ==, inbox);
  g_assert_cmpint (OP (ops, 0)->dest_folder_id, ==, archive);
  g_assert_cmpuint (OP (ops, 0)->uid, ==, 41);
  g_assert_cmpuint (OP (ops, 0)->uidvalidity, ==, 7);

  /* Meanwhile a sync of the archive brought the moved message in as a row of its own. */
  test_add_message (f->store, archive, 900, 1000, "Moved", 0);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, archive, NULL), ==, 2);

  /* The provider moved it and learned its new uid (COPYUID). */
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 7, 900, NULL, &error));
  g_assert_no_error (error);
  got = pigeon_store_get_message_by_uid (f->store, archive, 900, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->id, ==, id);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, archive, NULL), ==, 1);
  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 0)->id, &error));
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 0);

  /* Moving within the same folder is no move. */
  g_assert_true (pigeon_store_move_messages (f->store, &id, 1, archive, &error));
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 0);

  /* Into a folder that cannot hold messages, or one that does not exist: refused. */
  {
    g_autoptr(PigeonFolder) container = pigeon_folder_new ();
    gint64 container_id;

    container->path = g_strdup ("Container");
    container->flags = PIGEON_FOLDER_FLAG_NOSELECT;
    container_id = pigeon_store_upsert_folder (f->store, container, &error);
    g_assert_false (pigeon_store_move_messages (f->store, &id, 1, container_id, &error));
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (pigeon_store_move_messages (f->store, &id, 1, 4242, &error));
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  }
}

/* Moved twice before the provider replayed anything: each move learns its source
 * identity from the one before. */
static void
test_ops_move_chain (StoreFixture *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  gint64 a = test_add_folder (f->store, "A");
  gint64 b = test_add_folder (f->store, "B");
  gint64 c = test_add_folder (f->store, "C");
  gint64 id = test_add_message (f->store, a, 5, 1000, "travels", 0);

  g_assert_true (pigeon_store_move_messages (f->store, &id, 1, b, &error));
  g_assert_true (pigeon_store_change_flags (f->store, &id, 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_move_messages (f->store, &id, 1, c, &error));
  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 3);
  g_assert_cmpuint (OP (ops, 1)->uid, ==, 0);
  g_assert_cmpint (OP (ops, 1)->folder_id, ==, b);
  g_assert_cmpuint (OP (ops, 2)->uid, ==, 0);
  g_assert_cmpint (OP (ops, 2)->folder_id, ==, b);

  /* First move replayed: uid 50 in B goes to the flag change and the second move; the
   * row itself is on its way to C and stays without one. */
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 8, 50, NULL, &error));
  {
    /* What a provider that listed the queue before sees when it looks again. */
    g_autoptr(PigeonPendingOp) again = pigeon_store_get_pending_op (f->store, OP (ops, 2)->id,
                                                                    &error);

    g_assert_no_error (error);
    g_assert_cmpint (again->kind, ==, PIGEON_OP_MOVE);
    g_assert_cmpuint (again->uid, ==, 50);
    g_assert_cmpint (again->dest_folder_id, ==, c);
  }
  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 0)->id, &error));
  g_clear_pointer (&ops, g_ptr_array_unref);
  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 2);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_SET_FLAGS);
  g_assert_cmpuint (OP (ops, 0)->uid, ==, 50);
  g_assert_cmpuint (OP (ops, 0)->uidvalidity, ==, 8);
  g_assert_cmpint (OP (ops, 1)->kind, ==, PIGEON_OP_MOVE);
  g_assert_cmpuint (OP (ops, 1)->uid, ==, 50);
  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_cmpint (got->folder_id, ==, c);
  g_assert_cmpuint (got->uid, ==, 0);
  g_clear_pointer (&got, pigeon_message_free);

  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 0)->id, &error));
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 9, 70, NULL, &error));
  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 1)->id, &error));
  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_cmpint (got->folder_id, ==, c);
  g_assert_cmpuint (got->uid, ==, 70);
  g_assert_cmpuint (got->uidvalidity, ==, 9);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_SEEN);
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 0);
}

static void
test_ops_server_id_unknown (StoreFixture *f,
                            gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 a = test_add_folder (f->store, "A");
  gint64 b = test_add_folder (f->store, "B");
  gint64 id = test_add_message (f->store, a, 5, 1000, "no uidplus", 0);

  g_assert_true (pigeon_store_move_messages (f->store, &id, 1, b, &error));
  /* The server moved it but did not say where: the next sync of B brings it back once. */
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 0, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (message_exists (f->store, id));
  g_assert_cmpuint (pigeon_store_count_messages (f->store, b, NULL), ==, 0);
  /* A row that is gone already is fine too. */
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 0, 0, NULL, &error));
  g_assert_true (pigeon_store_set_message_server_id (f->store, id, 1, 2, NULL, &error));
  g_assert_no_error (error);
}

static void
test_ops_expunge (StoreFixture *f,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  gint64 folder = test_add_folder (f->store, "Trash");
  PigeonMessage *m = test_make_message (0, 0, 1000, "bye", 0);
  gint64 ids[2];

  m->remote_id = g_strdup ("7:12");
  g_ptr_array_add (batch, m);
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  ids[0] = m->id;
  ids[1] = test_add_message (f->store, folder, 3, 1000, "bye too", 0);

  g_assert_true (pigeon_store_expunge_messages (f->store, ids, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, folder, NULL), ==, 0);
  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 2);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_EXPUNGE);
  g_assert_cmpstr (OP (ops, 0)->remote_id, ==, "7:12");
  g_assert_cmpint (OP (ops, 0)->message_id, ==, ids[0]);
  g_assert_cmpuint (OP (ops, 1)->uid, ==, 3);
  g_assert_cmpint (OP (ops, 1)->folder_id, ==, folder);
}

static const char draft[] =
  "From: Bob <bob@example.test>\r\n"
  "To: Carol <carol@example.test>\r\n"
  "Subject: Draft about the picnic\r\n"
  "Message-ID: <draft-1@example.test>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "\r\n"
  "Bring sandwiches and lemonade.\r\n";

static void
test_ops_append (StoreFixture *f,
                 gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (draft, strlen (draft));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("", 0);
  gint64 drafts = test_add_folder (f->store, "Drafts");
  gint64 id;

  id = pigeon_store_append_message (f->store, drafts, raw,
                                    PIGEON_MESSAGE_FLAG_DRAFT | PIGEON_MESSAGE_FLAG_SEEN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_cmpint (got->folder_id, ==, drafts);
  g_assert_cmpstr (got->subject, ==, "Draft about the picnic");
  g_assert_cmpstr (got->to, ==, "Carol <carol@example.test>");
  g_assert_cmpstr (got->preview, ==, "Bring sandwiches and lemonade.");
  g_assert_cmpuint (got->uid, ==, 0);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_DRAFT | PIGEON_MESSAGE_FLAG_SEEN);
  g_assert_cmpint (got->date, >, 0);  /* no Date header: when it was written */
  g_assert_true (got->has_body);
  body = pigeon_store_get_body (f->store, id, &error);
  g_assert_true (g_bytes_equal (body, raw));
  found = pigeon_store_search (f->store, "lemonade", drafts, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);

  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 1);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_APPEND);
  g_assert_cmpint (OP (ops, 0)->message_id, ==, id);
  g_assert_cmpint (OP (ops, 0)->folder_id, ==, drafts);
  g_assert_cmpint (OP (ops, 0)->flags_add, ==,
                   PIGEON_MESSAGE_FLAG_DRAFT | PIGEON_MESSAGE_FLAG_SEEN);
  g_assert_true (g_bytes_equal (OP (ops, 0)->data, raw));

  g_assert_cmpint (pigeon_store_append_message (f->store, 4242, raw, 0, &error), ==, 0);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (pigeon_store_append_message (f->store, drafts, garbage, 0, &error), ==, 0);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 1);
}

static void
test_ops_create_folder (StoreFixture *f,
                        gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  gint64 id, local;

  id = pigeon_store_create_folder (f->store, "Projects/Pigeon", "/", FALSE, &error);
  g_assert_no_error (error);
  folder = pigeon_store_get_folder (f->store, id, &error);
  g_assert_cmpstr (folder->name, ==, "Pigeon");
  g_assert_cmpstr (folder->parent_path, ==, "Projects");
  g_assert_false (folder->flags & PIGEON_FOLDER_FLAG_LOCAL);

  local = pigeon_store_create_folder (f->store, "Local Archive", "/", TRUE, &error);
  g_clear_pointer (&folder, pigeon_folder_free);
  folder = pigeon_store_get_folder (f->store, local, &error);
  g_assert_true (folder->flags & PIGEON_FOLDER_FLAG_LOCAL);
  g_assert_cmpint (folder->role, ==, PIGEON_FOLDER_ROLE_NONE);

  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 1);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_CREATE_FOLDER);
  g_assert_cmpstr (OP (ops, 0)->path, ==, "Projects/Pigeon");
  g_assert_cmpint (OP (ops, 0)->folder_id, ==, id);

  g_assert_cmpint (pigeon_store_create_folder (f->store, "Projects/Pigeon", "/", FALSE, &error),
                   ==, 0);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Projects/Pigeon"));
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 1);
}

static void
test_ops_complete_retry_reopen (StoreFixture *f,
                                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 trash = test_add_folder (f->store, "Trash");
  gint64 ids[3];

  for (guint i = 0; i < 3; i++)
    ids[i] = test_add_message (f->store, inbox, i + 1, 1000 + i, "queued", 0);
  g_assert_true (pigeon_store_change_flags (f->store, &ids[0], 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_move_messages (f->store, &ids[1], 1, trash, &error));
  g_assert_true (pigeon_store_expunge_messages (f->store, &ids[2], 1, &error));
  ops = list_ops (f->store);
  g_assert_true (pigeon_store_retry_pending_op (f->store, OP (ops, 0)->id, &error));
  g_assert_true (pigeon_store_retry_pending_op (f->store, OP (ops, 0)->id, &error));
  g_assert_no_error (error);

  /* As after a crash and a restart. */
  g_clear_object (&f->store);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  g_clear_pointer (&ops, g_ptr_array_unref);
  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 3);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_SET_FLAGS);
  g_assert_cmpuint (OP (ops, 0)->attempts, ==, 2);
  g_assert_cmpint (OP (ops, 1)->kind, ==, PIGEON_OP_MOVE);
  g_assert_cmpuint (OP (ops, 1)->attempts, ==, 0);
  g_assert_cmpint (OP (ops, 2)->kind, ==, PIGEON_OP_EXPUNGE);

  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 1)->id, &error));
  {
    g_autoptr(PigeonPendingOp) gone = pigeon_store_get_pending_op (f->store, OP (ops, 1)->id,
                                                                   &error);

    g_assert_null (gone);
    g_assert_no_error (error);
  }
  /* Completing twice (or one a reset dropped) is harmless. */
  g_assert_true (pigeon_store_complete_pending_op (f->store, OP (ops, 1)->id, &error));
  g_assert_no_error (error);
  g_clear_pointer (&ops, g_ptr_array_unref);
  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 2);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_SET_FLAGS);
  g_assert_cmpint (OP (ops, 1)->kind, ==, PIGEON_OP_EXPUNGE);
}

static void
test_ops_reset_folder (StoreFixture *f,
                       gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (draft, strlen (draft));
  g_autoptr(PigeonFolder) folder = NULL;
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 other = test_add_folder (f->store, "Other");
  gint64 ids[4], appended, moved_in, elsewhere;

  for (guint i = 0; i < 4; i++)
    ids[i] = test_add_message (f->store, inbox, i + 1, 1000 + i, "to be reset", 0);
  elsewhere = test_add_message (f->store, other, 1, 1000, "moved into the inbox", 0);
  g_assert_true (pigeon_store_set_folder_sync_state (f->store, inbox, 7, 5, 99, NULL, &error));

  g_assert_true (pigeon_store_change_flags (f->store, &ids[0], 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_move_messages (f->store, &ids[1], 1, other, &error));
  appended = pigeon_store_append_message (f->store, inbox, raw, 0, &error);
  moved_in = elsewhere;
  g_assert_true (pigeon_store_move_messages (f->store, &moved_in, 1, inbox, &error));
  g_assert_no_error (error);

  /* UIDVALIDITY changed on the server. */
  g_assert_true (pigeon_store_reset_folder (f->store, inbox, &error));
  g_assert_no_error (error);

  folder = pigeon_store_get_folder (f->store, inbox, &error);
  g_assert_cmpuint (folder->uidvalidity, ==, 0);
  g_assert_cmpuint (folder->uidnext, ==, 0);
  g_assert_cmpuint (folder->highestmodseq, ==, 0);
  /* What only this store knows stays: the appended draft and the message moved in. */
  g_assert_cmpuint (folder->total, ==, 2);
  g_assert_true (message_exists (f->store, appended));
  g_assert_true (message_exists (f->store, moved_in));
  /* The copy moved out of the reset folder goes: the server never moved it, and the next
   * sync of the inbox shows it there once. */
  g_assert_false (message_exists (f->store, ids[1]));
  g_assert_cmpuint (pigeon_store_count_messages (f->store, other, NULL), ==, 0);

  ops = list_ops (f->store);
  g_assert_cmpuint (ops->len, ==, 2);
  g_assert_cmpint (OP (ops, 0)->kind, ==, PIGEON_OP_APPEND);
  g_assert_cmpint (OP (ops, 1)->kind, ==, PIGEON_OP_MOVE);
  g_assert_cmpint (OP (ops, 1)->folder_id, ==, other);
}

static void
async_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_store_change_finish (PIGEON_STORE (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_store_change_finish (PIGEON_STORE (source), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *done = TRUE;
}

static void
test_ops_async (StoreFixture *f,
                gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PigeonMessage) got = NULL;
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 trash = test_add_folder (f->store, "Trash");
  gint64 ids[3];
  gboolean done = FALSE;

  for (guint i = 0; i < 3; i++)
    ids[i] = test_add_message (f->store, inbox, i + 1, 1000 + i, "async", 0);

  pigeon_store_change_flags_async (f->store, ids, 3, PIGEON_MESSAGE_FLAG_SEEN, 0, NULL,
                                   async_cb, &done);
  test_wait_for_flag (&done);
  g_assert_cmpuint (test_query_int (f->store, "SELECT unread FROM folders WHERE path = 'INBOX'"),
                    ==, 0);

  done = FALSE;
  pigeon_store_move_messages_async (f->store, &ids[0], 1, trash, NULL, async_cb, &done);
  test_wait_for_flag (&done);
  got = pigeon_store_get_message (f->store, ids[0], NULL);
  g_assert_cmpint (got->folder_id, ==, trash);

  done = FALSE;
  pigeon_store_expunge_messages_async (f->store, &ids[1], 1, NULL, async_cb, &done);
  test_wait_for_flag (&done);
  g_assert_false (message_exists (f->store, ids[1]));

  /* Cancelled before it ran: nothing happens. */
  done = FALSE;
  g_cancellable_cancel (cancellable);
  pigeon_store_expunge_messages_async (f->store, &ids[2], 1, cancellable, cancelled_cb, &done);
  test_wait_for_flag (&done);
  g_assert_true (message_exists (f->store, ids[2]));
  g_assert_cmpuint (pigeon_store_count_pending_ops (f->store, NULL), ==, 5);
}

void
test_store_add_ops_tests (void)
{
  g_test_add ("/store/ops/change-flags", StoreFixture, NULL, store_fixture_setup,
              test_ops_change_flags, store_fixture_teardown);
  g_test_add ("/store/ops/move-and-server-id", StoreFixture, NULL, store_fixture_setup,
              test_ops_move_and_server_id, store_fixture_teardown);
  g_test_add ("/store/ops/move-chain", StoreFixture, NULL, store_fixture_setup,
              test_ops_move_chain, store_fixture_teardown);
  g_test_add ("/store/ops/server-id-unknown", StoreFixture, NULL, store_fixture_setup,
              test_ops_server_id_unknown, store_fixture_teardown);
  g_test_add ("/store/ops/expunge", StoreFixture, NULL, store_fixture_setup,
              test_ops_expunge, store_fixture_teardown);
  g_test_add ("/store/ops/append", StoreFixture, NULL, store_fixture_setup,
              test_ops_append, store_fixture_teardown);
  g_test_add ("/store/ops/create-folder", StoreFixture, NULL, store_fixture_setup,
              test_ops_create_folder, store_fixture_teardown);
  g_test_add ("/store/ops/complete-retry-reopen", StoreFixture, NULL, store_fixture_setup,
              test_ops_complete_retry_reopen, store_fixture_teardown);
  g_test_add ("/store/ops/reset-folder", StoreFixture, NULL, store_fixture_setup,
              test_ops_reset_folder, store_fixture_teardown);
  g_test_add ("/store/ops/async", StoreFixture, NULL, store_fixture_setup,
              test_ops_async, store_fixture_teardown);
}
