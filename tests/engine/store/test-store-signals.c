/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "test-store-util.h"
#include "test-store.h"

/* ------------------------------------------------------------------ signals */

typedef struct
{
  GThread    *main_thread;
  PigeonStore *store;
  guint       folders_changed;
  guint       pending_ops_changed;
  GArray     *updated_folders;  /* gint64 */
  GPtrArray  *changes;          /* PigeonStoreChange* */
  gboolean    wrong_thread;
  gboolean    check_visible;
  gboolean    not_visible;
} Recorder;

static void
folders_changed_cb (PigeonStore *store,
                    Recorder    *r)
{
  r->wrong_thread |= g_thread_self () != r->main_thread;
  r->folders_changed++;
}

static void
folder_updated_cb (PigeonStore *store,
                   gint64       folder_id,
                   Recorder    *r)
{
  r->wrong_thread |= g_thread_self () != r->main_thread;
  g_array_append_val (r->updated_folders, folder_id);
}

static void
messages_changed_cb (PigeonStore       *store,
                     PigeonStoreChange *change,
                     Recorder          *r)
{
  r->wrong_thread |= g_thread_self () != r->main_thread;
  /* Emitted after the commit: what was added can be read at once. */
  for (guint i = 0; r->check_visible && i < change->added->len; i++)
    {
      g_autoptr(PigeonMessage) m = pigeon_store_get_message (store,
                                                             g_array_index (change->added,
                                                                            gint64, i),
                                                             NULL);

      r->not_visible |= m == NULL || m->folder_id != change->folder_id;
    }
  g_ptr_array_add (r->changes, pigeon_store_change_copy (change));
}

static void
pending_ops_changed_cb (PigeonStore *store,
                        Recorder    *r)
{
  r->wrong_thread |= g_thread_self () != r->main_thread;
  r->pending_ops_changed++;
}

static void
recorder_init (Recorder    *r,
               PigeonStore *store)
{
  memset (r, 0, sizeof *r);
  r->main_thread = g_thread_self ();
  r->store = store;
  r->updated_folders = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_store_change_free);
  g_signal_connect (store, "folders-changed", G_CALLBACK (folders_changed_cb), r);
  g_signal_connect (store, "folder-updated", G_CALLBACK (folder_updated_cb), r);
  g_signal_connect (store, "messages-changed", G_CALLBACK (messages_changed_cb), r);
  g_signal_connect (store, "pending-ops-changed", G_CALLBACK (pending_ops_changed_cb), r);
}

static void
recorder_clear (Recorder *r)
{
  g_signal_handlers_disconnect_by_data (r->store, r);
  g_array_unref (r->updated_folders);
  g_ptr_array_unref (r->changes);
}

static void
assert_ids (GArray       *ids,
            const gint64 *expected,
            guint         n)
{
  g_assert_cmpuint (ids->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (ids, gint64, i), ==, expected[i]);
}

typedef struct
{
  PigeonStore *store;
  gint64       folder;
  gint64       ids[3];
  gint64       trash;
} SyncWork;

/* What a provider does on its own thread. */
static gpointer
sync_thread (gpointer data)
{
  SyncWork *w = data;
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  PigeonFlagUpdate update = { 2, NULL, PIGEON_MESSAGE_FLAG_SEEN, 0 };
  guint32 gone = 3;

  w->folder = test_add_folder (w->store, "INBOX");
  w->trash = test_add_folder (w->store, "Trash");
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (batch, test_make_message (7, i + 1, 1000 + i, "signalled", 0));
  g_assert_true (pigeon_store_upsert_messages (w->store, w->folder, batch, NULL));
  for (guint i = 0; i < 3; i++)
    w->ids[i] = ((PigeonMessage *) batch->pdata[i])->id;
  g_assert_true (pigeon_store_update_flags (w->store, w->folder, &update, 1, NULL));
  g_assert_true (pigeon_store_remove_by_uid (w->store, w->folder, &gone, 1, NULL));
  g_assert_true (pigeon_store_move_messages (w->store, &w->ids[0], 1, w->trash, NULL));
  return NULL;
}

static void
test_signals_main_context (StoreFixture *f,
                           gconstpointer data)
{
  Recorder r;
  SyncWork w = { f->store };
  GThread *thread;
  PigeonStoreChange *c;

  recorder_init (&r, f->store);
  thread = g_thread_new ("provider", sync_thread, &w);
  g_thread_join (thread);
  /* Nothing is emitted on the writing thread: it all waits for the main context. */
  g_assert_cmpuint (r.changes->len, ==, 0);
  g_assert_cmpuint (r.folders_changed, ==, 0);

  while (r.changes->len < 5)
    g_main_context_iteration (NULL, TRUE);
  test_drain_main_context ();
  g_assert_false (r.wrong_thread);
  g_assert_cmpuint (r.folders_changed, ==, 2);
  g_assert_cmpuint (r.pending_ops_changed, ==, 1);
  g_assert_cmpuint (r.changes->len, ==, 5);

  c = r.changes->pdata[0];
  g_assert_cmpint (c->folder_id, ==, w.folder);
  assert_ids (c->added, w.ids, 3);
  g_assert_cmpuint (c->updated->len + c->removed->len, ==, 0);

  c = r.changes->pdata[1];
  assert_ids (c->updated, &w.ids[1], 1);
  g_assert_cmpuint (c->added->len + c->removed->len, ==, 0);

  c = r.changes->pdata[2];
  assert_ids (c->removed, &w.ids[2], 1);

  /* A move: gone from one folder, there in the other; the pair in one emission. */
  for (guint i = 3; i < 5; i++)
    {
      c = r.changes->pdata[i];
      if (c->folder_id == w.folder)
        assert_ids (c->removed, &w.ids[0], 1);
      else
        {
          g_assert_cmpint (c->folder_id, ==, w.trash);
          assert_ids (c->added, &w.ids[0], 1);
        }
    }
  g_assert_cmpint (((PigeonStoreChange *) r.changes->pdata[3])->folder_id, !=,
                   ((PigeonStoreChange *) r.changes->pdata[4])->folder_id);

  /* Counts changed with each of the message writes. */
  {
    guint inbox_updates = 0;

    for (guint i = 0; i < r.updated_folders->len; i++)
      inbox_updates += g_array_index (r.updated_folders, gint64, i) == w.folder;
    g_assert_cmpuint (inbox_updates, ==, 4);
  }
  recorder_clear (&r);
}

/* Several store calls made inside one write run inline on the worker, in that write's
 * transaction, and what they changed is told once, folded. */
static gboolean
one_transaction_func (PigeonStore *store,
                      sqlite3     *db,
                      gpointer     data,
                      GError     **error)
{
  gint64 *ids = data;
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  PigeonFlagUpdate update = { 1, NULL, PIGEON_MESSAGE_FLAG_FLAGGED, 0 };
  gint64 folder = test_add_folder (store, "INBOX");

  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (batch, test_make_message (7, i + 1, 1000 + i, "inline", 0));
  if (!pigeon_store_upsert_messages (store, folder, batch, error) ||
      !pigeon_store_update_flags (store, folder, &update, 1, error))
    return FALSE;
  ids[0] = ((PigeonMessage *) batch->pdata[0])->id;
  ids[1] = ((PigeonMessage *) batch->pdata[1])->id;
  ids[2] = folder;
  return TRUE;
}

static gboolean
failing_func (PigeonStore *store,
              sqlite3     *db,
              gpointer     data,
              GError     **error)
{
  gint64 folder = test_add_folder (store, "Doomed");

  test_add_message (store, folder, 1, 1, "never seen", 0);
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_INVALID, "changed my mind");
  return FALSE;
}

static void
test_signals_one_transaction (StoreFixture *f,
                              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Recorder r;
  gint64 ids[3];
  PigeonStoreChange *c;

  recorder_init (&r, f->store);
  r.check_visible = TRUE;
  g_assert_true (pigeon_store_run_write (f->store, one_transaction_func, ids, &error));
  g_assert_no_error (error);
  test_drain_main_context ();
  g_assert_false (r.wrong_thread);
  g_assert_false (r.not_visible);

  g_assert_cmpuint (r.folders_changed, ==, 1);
  g_assert_cmpuint (r.changes->len, ==, 1);
  c = r.changes->pdata[0];
  g_assert_cmpint (c->folder_id, ==, ids[2]);
  assert_ids (c->added, ids, 2);
  g_assert_cmpuint (c->updated->len, ==, 0);
  g_assert_cmpuint (r.updated_folders->len, ==, 1);

  /* A write that fails leaves no rows and says nothing. */
  g_assert_false (pigeon_store_run_write (f->store, failing_func, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  test_drain_main_context ();
  g_assert_cmpuint (r.folders_changed, ==, 1);
  g_assert_cmpuint (r.changes->len, ==, 1);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM folders"), ==, 1);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 2);
  recorder_clear (&r);
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  guint *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_store_run_write_finish (PIGEON_STORE (source), result, &error));
  g_assert_no_error (error);
  (*done)++;
}

static gboolean
insert_state_func (PigeonStore *store,
                   sqlite3     *db,
                   gpointer     data,
                   GError     **error)
{
  return pigeon_store_set_state (store, data, "queued", error);
}

/* close() finishes what was queued before it returns. */
static void
test_close_waits_for_queued (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  PigeonStore *store = pigeon_store_open (dir, &error);
  guint done = 0;

  for (guint i = 0; i < 20; i++)
    pigeon_store_run_write_async (store, insert_state_func, g_strdup_printf ("key-%u", i),
                                  g_free, NULL, write_cb, &done);
  pigeon_store_close (store);
  test_drain_main_context ();
  g_assert_cmpuint (done, ==, 20);
  g_object_unref (store);

  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_query_int (store, "SELECT count(*) FROM state"), ==, 20);
  g_object_unref (store);
  test_remove_tree (dir);
}

static void
flags_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (pigeon_store_change_finish (PIGEON_STORE (source), result, NULL));
  *done = TRUE;
}

/* The last reference may go on the worker (the async call's task) or on the main
 * thread: either way the store closes without hanging or crashing. */
static void
test_close_last_reference_anywhere (void)
{
  g_autofree char *dir = test_make_tmp_dir ();

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      PigeonStore *store = pigeon_store_open (dir, &error);
      gint64 folder = test_add_folder (store, "INBOX");
      gint64 id = test_add_message (store, folder, i + 1, 1000, "last ref", 0);
      gboolean done = FALSE;

      pigeon_store_change_flags_async (store, &id, 1, PIGEON_MESSAGE_FLAG_SEEN, 0, NULL,
                                       flags_cb, &done);
      /* Our reference goes first; the task's goes on whichever thread is last. */
      test_unref_and_wait (store);
      g_assert_true (done);
    }
  test_remove_tree (dir);
}

/* ------------------------------------------------------------------ concurrency */

typedef struct
{
  PigeonStore *store;
  gint64       folder;
  guint        index;
} WriterData;

static gpointer
writer_thread (gpointer data)
{
  WriterData *wd = data;

  for (guint batch_no = 0; batch_no < 10; batch_no++)
    {
      g_autoptr(GPtrArray) batch = test_message_array_new ();
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < 50; i++)
        g_ptr_array_add (batch, test_make_message (7, 10000 * (wd->index + 1) + batch_no * 50 + i,
                                                   1000 + i, "concurrent", 0));
      /* Everybody also writes the same 20 shared uids. */
      for (guint i = 0; i < 20; i++)
        g_ptr_array_add (batch, test_make_message (7, i + 1, 500, "shared",
                                                   (wd->index + batch_no) % 2 ?
                                                   PIGEON_MESSAGE_FLAG_SEEN : 0));
      g_assert_true (pigeon_store_upsert_messages (wd->store, wd->folder, batch, &error));
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_concurrency_writers (StoreFixture *f,
                          gconstpointer data)
{
  gint64 folder = test_add_folder (f->store, "INBOX");
  WriterData wd[4];
  GThread *threads[4];

  for (guint i = 0; i < 4; i++)
    {
      wd[i] = (WriterData) { f->store, folder, i };
      threads[i] = g_thread_new ("writer", writer_thread, &wd[i]);
    }
  for (guint i = 0; i < 4; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (pigeon_store_count_messages (f->store, folder, NULL), ==, 4 * 500 + 20);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 2020);
  g_assert_cmpint (test_query_int (f->store,
                                   "SELECT count(*) FROM (SELECT DISTINCT uid FROM messages)"),
                   ==, 2020);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages_fts"), ==, 2020);
  g_assert_cmpint (test_query_int (f->store,
                                   "SELECT unread = (SELECT count(*) FROM messages "
                                   "WHERE flags & 1 = 0) FROM folders"), ==, 1);
  test_drain_main_context ();
}

typedef struct
{
  PigeonStore  *store;
  gint64        folder;
  gint          done;
} BigWriter;

static gpointer
big_writer_thread (gpointer data)
{
  BigWriter *bw = data;

  for (guint batch_no = 0; batch_no < 40; batch_no++)
    {
      g_autoptr(GPtrArray) batch = test_message_array_new ();

      for (guint i = 0; i < 250; i++)
        g_ptr_array_add (batch, test_make_message (7, batch_no * 250 + i + 1,
                                                   1000 + batch_no * 250 + i, "bulk", 0));
      g_assert_true (pigeon_store_upsert_messages (bw->store, bw->folder, batch, NULL));
    }
  g_atomic_int_set (&bw->done, 1);
  return NULL;
}

/* Reads go on while a sync writes: each sees a consistent snapshot and never waits for
 * the writer to finish. */
static void
test_concurrency_read_while_write (StoreFixture *f,
                                   gconstpointer data)
{
  BigWriter bw = { f->store, test_add_folder (f->store, "INBOX"), 0 };
  GThread *thread = g_thread_new ("writer", big_writer_thread, &bw);
  guint reads = 0, last_count = 0, reads_during_write = 0;

  while (!g_atomic_int_get (&bw.done))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) page = pigeon_store_list_messages (f->store, bw.folder, 0, 50, &error);
      guint count = pigeon_store_count_messages (f->store, bw.folder, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (count, >=, last_count);
      g_assert_cmpuint (count % 250, ==, 0);  /* never half a batch */
      for (guint i = 1; i < page->len; i++)
        g_assert_cmpint (((PigeonMessage *) page->pdata[i - 1])->date, >,
                         ((PigeonMessage *) page->pdata[i])->date);
      last_count = count;
      reads++;
      if (count > 0 && count < 10000)
        reads_during_write++;
    }
  g_thread_join (thread);
  g_test_message ("%u reads, %u while the writer was half way", reads, reads_during_write);
  g_assert_cmpuint (reads_during_write, >, 0);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, bw.folder, NULL), ==, 10000);
  test_drain_main_context ();
}

void
test_store_add_signal_tests (void)
{
  g_test_add ("/store/signals/main-context", StoreFixture, NULL, store_fixture_setup,
              test_signals_main_context, store_fixture_teardown);
  g_test_add ("/store/signals/one-transaction", StoreFixture, NULL, store_fixture_setup,
              test_signals_one_transaction, store_fixture_teardown);
  g_test_add_func ("/store/close/waits-for-queued", test_close_waits_for_queued);
  g_test_add_func ("/store/close/last-reference-anywhere", test_close_last_reference_anywhere);
  g_test_add ("/store/concurrency/writers", StoreFixture, NULL, store_fixture_setup,
              test_concurrency_writers, store_fixture_teardown);
  g_test_add ("/store/concurrency/read-while-write", StoreFixture, NULL, store_fixture_setup,
              test_concurrency_read_while_write, store_fixture_teardown);
}
