/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pigeon-message-list-private.h"
#include "test-app-util.h"

/*
 * The message list model against a real store.  A "mirror" follows the model's signals
 * the way GtkTreeView does (row-inserted puts a row at its path, row-deleted takes one
 * away): after any change it must equal the model's order, and a row that stayed must
 * never have been deleted and inserted again (that is what keeps a view's selection and
 * scroll position).
 */

typedef struct
{
  GtkTreeModel *model;
  GArray *rows;         /* gint64: source << 48 | id */
  guint inserted;
  guint deleted;
  guint changed;
  GHashTable *deleted_keys;
} Mirror;

static gint64
key_at (GtkTreeModel *model,
        GtkTreeIter  *iter)
{
  int source;
  gint64 id;

  gtk_tree_model_get (model, iter, PIGEON_MESSAGE_LIST_COL_SOURCE, &source,
                      PIGEON_MESSAGE_LIST_COL_ID, &id, -1);
  return ((gint64) source << 48) | id;
}

static void
row_inserted_cb (GtkTreeModel *model,
                 GtkTreePath  *path,
                 GtkTreeIter  *iter,
                 Mirror       *mirror)
{
  gint64 key;

  if (gtk_tree_path_get_depth (path) != 1)
    return;
  key = key_at (model, iter);
  g_array_insert_val (mirror->rows, gtk_tree_path_get_indices (path)[0], key);
  mirror->inserted++;
}

static void
row_deleted_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                Mirror       *mirror)
{
  int index;

  if (gtk_tree_path_get_depth (path) != 1)
    return;
  index = gtk_tree_path_get_indices (path)[0];
  g_assert_cmpint (index, <, (int) mirror->rows->len);
  g_hash_table_add (mirror->deleted_keys,
                    g_memdup2 (&g_array_index (mirror->rows, gint64, index), sizeof (gint64)));
  g_array_remove_index (mirror->rows, index);
  mirror->deleted++;
}

static void
row_changed_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                GtkTreeIter  *iter,
                Mirror       *mirror)
{
  if (gtk_tree_path_get_depth (path) == 1)
    {
      /* A changed row is the row the mirror has there. */
      g_assert_cmpint (key_at (model, iter), ==,
                       g_array_index (mirror->rows, gint64, gtk_tree_path_get_indices (path)[0]));
    }
  mirror->changed++;
}

static GArray *
model_rows (GtkTreeModel *model)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  GtkTreeIter iter;
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter))
    {
      gint64 key = key_at (model, &iter);

      g_array_append_val (rows, key);
    }
  return rows;
}

static Mirror *
mirror_new (GtkTreeModel *model)
{
  Mirror *mirror = g_new0 (Mirror, 1);

  mirror->model = model;
  mirror->rows = model_rows (model);
  mirror->deleted_keys = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_signal_connect (model, "row-inserted", G_CALLBACK (row_inserted_cb), mirror);
  g_signal_connect (model, "row-deleted", G_CALLBACK (row_deleted_cb), mirror);
  g_signal_connect (model, "row-changed", G_CALLBACK (row_changed_cb), mirror);
  return mirror;
}

static void
mirror_assert_matches (Mirror *mirror)
{
  g_autoptr(GArray) actual = model_rows (mirror->model);

  g_assert_cmpuint (mirror->rows->len, ==, actual->len);
  g_assert_cmpmem (mirror->rows->data, mirror->rows->len * sizeof (gint64),
                   actual->data, actual->len * sizeof (gint64));
}

static void
mirror_free (Mirror *mirror)
{
  g_signal_handlers_disconnect_by_data (mirror->model, mirror);
  g_array_unref (mirror->rows);
  g_hash_table_unref (mirror->deleted_keys);
  g_free (mirror);
}

static void
flag_cb (gpointer  object,
         gboolean *flag)
{
  *flag = TRUE;
}

static PigeonMessageListModel *
load_model (PigeonListSort  sort,
            gboolean        threaded,
            const char     *search,
            TestSession   **sessions,
            gint64         *folders,
            guint           n)
{
  PigeonMessageListModel *model = pigeon_message_list_model_new (sort, threaded, search);
  gboolean loaded = FALSE;

  for (guint i = 0; i < n; i++)
    pigeon_message_list_model_add_source (model, sessions[i]->session, folders[i]);
  g_signal_connect (model, "loaded", G_CALLBACK (flag_cb), &loaded);
  pigeon_message_list_model_load (model);
  test_wait_for (&loaded);
  g_assert_true (pigeon_message_list_model_is_loaded (model));
  g_assert_null (pigeon_message_list_model_get_error (model));
  return model;
}

/* Until the model shows N rows and the reloads that store changes asked for have run. */
static void
wait_rows (PigeonMessageListModel *model,
           guint                   n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (pigeon_message_list_model_get_n_rows (model) != n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  test_iterate_for (300);
}

static char *
string_at (GtkTreeModel *model,
           int           position,
           int           column)
{
  GtkTreeIter iter;
  char *value = NULL;

  g_assert_true (gtk_tree_model_iter_nth_child (model, &iter, NULL, position));
  gtk_tree_model_get (model, &iter, column, &value, -1);
  return value;
}

/* ------------------------------------------------------------------ tests */

static void
test_load_order (void)
{
  TestSession *ts = test_session_new ("Order");
  gint64 folder = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autofree char *markup = NULL;
  GRand *rand = g_rand_new_with_seed (7);

  for (guint i = 1; i <= 300; i++)
    {
      g_autofree char *subject = g_strdup_printf ("Subject %u", i);

      test_add_message (ts->store, folder, i, 1700000000 + g_rand_int_range (rand, 0, 50000),
                        "Alice <alice@example.test>", subject,
                        i % 3 ? PIGEON_MESSAGE_FLAG_SEEN : 0, NULL, NULL);
    }
  g_rand_free (rand);

  model = load_model (PIGEON_LIST_SORT_DATE, FALSE, NULL, &ts, &folder, 1);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), ==, 300);
  g_assert_true (gtk_tree_model_get_flags (GTK_TREE_MODEL (model)) & GTK_TREE_MODEL_LIST_ONLY);

  /* Newest first, ties by id descending: what the store's index says. */
  {
    g_autoptr(GPtrArray) messages = pigeon_store_list_messages (ts->store, folder, 0, 0, NULL);

    for (guint i = 0; i < messages->len; i++)
      {
        gint64 key = ((PigeonMessage *) g_ptr_array_index (messages, i))->id;

        g_array_append_val (expected, key);
      }
  }
  rows = model_rows (GTK_TREE_MODEL (model));
  g_assert_cmpmem (rows->data, rows->len * sizeof (gint64),
                   expected->data, expected->len * sizeof (gint64));

  markup = string_at (GTK_TREE_MODEL (model), 0, PIGEON_MESSAGE_LIST_COL_MARKUP);
  g_assert_nonnull (strstr (markup, "Alice"));
  g_assert_nonnull (strstr (markup, "Subject "));
  test_session_free (ts);
}

static void
test_live_changes (void)
{
  TestSession *ts = test_session_new ("Live");
  gint64 folder = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GError) error = NULL;
  Mirror *mirror;
  guint kept_before;

  for (guint i = 1; i <= 200; i++)
    {
      gint64 id = test_add_message (ts->store, folder, i, 1700000000 + i * 100,
                                    "Bob <bob@example.test>", "Old", 0, NULL, NULL);

      g_array_append_val (ids, id);
    }
  model = load_model (PIGEON_LIST_SORT_DATE, FALSE, NULL, &ts, &folder, 1);
  wait_rows (model, 200);
  mirror = mirror_new (GTK_TREE_MODEL (model));

  /* A sync adds rows between the old ones in one batch, the user removes some and reads
   * others. */
  for (guint i = 0; i < 50; i++)
    {
      PigeonMessage *m = pigeon_message_new ();

      m->uidvalidity = 1;
      m->uid = 1000 + i;
      m->date = 1700000000 + i * 400 + 50;
      m->subject = g_strdup ("New");
      g_ptr_array_add (batch, m);
    }
  g_assert_true (pigeon_store_upsert_messages (ts->store, folder, batch, &error));
  g_assert_no_error (error);
  wait_rows (model, 250);
  mirror_assert_matches (mirror);
  g_assert_cmpuint (mirror->inserted, ==, 50);
  g_assert_cmpuint (mirror->deleted, ==, 0);

  g_assert_true (pigeon_store_remove_messages (ts->store, (gint64 *) (gpointer) ids->data, 20,
                                               &error));
  g_assert_no_error (error);
  wait_rows (model, 230);
  mirror_assert_matches (mirror);
  g_assert_cmpuint (mirror->deleted, ==, 20);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), ==, 230);
  /* Only what went away was deleted: no row was taken out and put back. */
  for (guint i = 20; i < ids->len; i++)
    g_assert_false (g_hash_table_contains (mirror->deleted_keys,
                                           &g_array_index (ids, gint64, i)));

  kept_before = mirror->changed;
  g_assert_true (pigeon_store_change_flags (ts->store, &g_array_index (ids, gint64, 100), 10,
                                            PIGEON_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_no_error (error);
  /* Flags are redrawn as soon as the store says so, with no reload of the order. */
  test_iterate_for (50);
  g_assert_cmpuint (mirror->changed - kept_before, >=, 10);
  {
    GtkTreeIter iter;
    gboolean unread = TRUE;

    g_assert_true (pigeon_message_list_model_find (model, 0, g_array_index (ids, gint64, 100),
                                                   &iter));
    gtk_tree_model_get (GTK_TREE_MODEL (model), &iter, PIGEON_MESSAGE_LIST_COL_UNREAD, &unread,
                        -1);
    g_assert_false (unread);
  }
  mirror_assert_matches (mirror);
  mirror_free (mirror);
  test_session_free (ts);
}

static void
test_sender_sort (void)
{
  TestSession *ts = test_session_new ("Senders");
  gint64 folder = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  g_autoptr(PigeonMessageListModel) model = NULL;
  static const char *senders[] = {
    "\"Zoë Ångström\" <zoe@example.se>", "bob@example.test", "Alice <alice@example.test>",
    "Carol Jones <carol@example.org>", "alice <alice2@example.test>",
  };
  static const char *expected[] = { "Alice", "alice", "bob@example.test", "Carol Jones",
                                    "Zoë Ångström" };
  Mirror *mirror;

  for (guint i = 0; i < G_N_ELEMENTS (senders); i++)
    test_add_message (ts->store, folder, i + 1, 1700000000 + i * 10, senders[i], "Hello", 0,
                      NULL, NULL);
  model = load_model (PIGEON_LIST_SORT_SENDER, FALSE, NULL, &ts, &folder, 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *sender = string_at (GTK_TREE_MODEL (model), i,
                                           PIGEON_MESSAGE_LIST_COL_SENDER);

      /* The two Alices tie on the name; the newer comes first. */
      if (i < 2)
        g_assert_true (g_ascii_strcasecmp (sender, "alice") == 0);
      else
        g_assert_cmpstr (sender, ==, expected[i]);
    }
  {
    g_autofree char *first = string_at (GTK_TREE_MODEL (model), 0, PIGEON_MESSAGE_LIST_COL_SENDER);

    g_assert_cmpstr (first, ==, "alice");
  }

  /* A new sender lands in its place. */
  wait_rows (model, 5);
  mirror = mirror_new (GTK_TREE_MODEL (model));
  test_add_message (ts->store, folder, 99, 1600000000, "Dave <dave@example.test>", "Hi", 0,
                    NULL, NULL);
  wait_rows (model, 6);
  mirror_assert_matches (mirror);
  {
    g_autofree char *sender = string_at (GTK_TREE_MODEL (model), 4,
                                         PIGEON_MESSAGE_LIST_COL_SENDER);

    g_assert_cmpstr (sender, ==, "Dave");
  }
  mirror_free (mirror);
  test_session_free (ts);
}

static void
test_threads (void)
{
  TestSession *ts = test_session_new ("Threads");
  gint64 folder = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  g_autoptr(PigeonMessageListModel) model = NULL;
  GtkTreeModel *tree;
  GtkTreeIter iter, child;
  guint count;
  Mirror *mirror;
  gint64 root;

  /* A conversation of three (one reply arrived before the message it answers), another
   * of two, and a message alone. */
  root = test_add_message (ts->store, folder, 1, 1000, "A <a@x>", "Plan", 0, "a1@x", NULL);
  test_add_message (ts->store, folder, 3, 3000, "C <c@x>", "Re: Plan", 0, "a3@x", "a1@x a2@x");
  test_add_message (ts->store, folder, 2, 2000, "B <b@x>", "Re: Plan", PIGEON_MESSAGE_FLAG_SEEN,
                    "a2@x", "a1@x");
  test_add_message (ts->store, folder, 4, 1500, "D <d@x>", "Lunch", PIGEON_MESSAGE_FLAG_SEEN,
                    "b1@x", NULL);
  test_add_message (ts->store, folder, 5, 2500, "E <e@x>", "Re: Lunch", PIGEON_MESSAGE_FLAG_SEEN,
                    "b2@x", "b1@x");
  test_add_message (ts->store, folder, 6, 500, "F <f@x>", "Alone", PIGEON_MESSAGE_FLAG_SEEN,
                    "c1@x", NULL);

  model = load_model (PIGEON_LIST_SORT_DATE, TRUE, NULL, &ts, &folder, 1);
  tree = GTK_TREE_MODEL (model);
  g_assert_false (gtk_tree_model_get_flags (tree) & GTK_TREE_MODEL_LIST_ONLY);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), ==, 3);

  /* The conversation with the newest message first; it shows that message. */
  g_assert_true (gtk_tree_model_iter_nth_child (tree, &iter, NULL, 0));
  gtk_tree_model_get (tree, &iter, PIGEON_MESSAGE_LIST_COL_THREAD_COUNT, &count, -1);
  g_assert_cmpuint (count, ==, 3);
  g_assert_true (gtk_tree_model_iter_has_child (tree, &iter));
  g_assert_cmpint (gtk_tree_model_iter_n_children (tree, &iter), ==, 3);
  g_assert_true (gtk_tree_model_iter_children (tree, &child, &iter));
  {
    gint64 id;

    /* Its messages, oldest first. */
    gtk_tree_model_get (tree, &child, PIGEON_MESSAGE_LIST_COL_ID, &id, -1);
    g_assert_cmpint (id, ==, root);
  }
  {
    g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
    guint source;

    pigeon_message_list_model_collect_ids (model, &iter, &source, ids);
    g_assert_cmpuint (ids->len, ==, 3);
  }
  g_assert_true (gtk_tree_model_iter_nth_child (tree, &iter, NULL, 2));
  g_assert_false (gtk_tree_model_iter_has_child (tree, &iter));

  /* A reply to the older conversation moves it to the top. */
  wait_rows (model, 3);
  mirror = mirror_new (tree);
  test_add_message (ts->store, folder, 7, 4000, "D <d@x>", "Re: Lunch", 0, "b3@x",
                    "b1@x b2@x");
  /* The row count stays: wait for the conversation to move. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (mirror->inserted == 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (500);
      }
    test_iterate_for (300);
  }
  mirror_assert_matches (mirror);
  g_assert_true (gtk_tree_model_iter_nth_child (tree, &iter, NULL, 0));
  gtk_tree_model_get (tree, &iter, PIGEON_MESSAGE_LIST_COL_THREAD_COUNT, &count, -1);
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), ==, 3);
  mirror_free (mirror);
  test_session_free (ts);
}

static void
test_all_inboxes (void)
{
  TestSession *sessions[2] = { test_session_new ("One"), test_session_new ("Two") };
  gint64 folders[2];
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(GArray) rows = NULL;
  gint64 previous = G_MAXINT64;

  folders[0] = test_add_folder (sessions[0]->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  folders[1] = test_add_folder (sessions[1]->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  for (guint i = 0; i < 40; i++)
    test_add_message (sessions[i % 2]->store, folders[i % 2], i + 1, 1700000000 + i * 7,
                      "X <x@y>", "Both", 0, NULL, NULL);
  model = load_model (PIGEON_LIST_SORT_DATE, FALSE, NULL, sessions, folders, 2);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), ==, 40);

  /* One list, newest first, alternating between the accounts as the dates do. */
  for (int i = 0; i < 40; i++)
    {
      GtkTreeIter iter;
      guint source;
      gint64 id;
      g_autoptr(PigeonMessage) message = NULL;

      g_assert_true (gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (model), &iter, NULL, i));
      g_assert_true (pigeon_message_list_model_get_message (model, &iter, &source, &id));
      g_assert_cmpuint (source, ==, (39 - i) % 2);
      message = pigeon_store_get_message (sessions[source]->store, id, NULL);
      g_assert_cmpint (message->date, <, previous);
      previous = message->date;
    }
  g_clear_object (&model);
  test_session_free (sessions[0]);
  test_session_free (sessions[1]);
}

static void
test_search (void)
{
  TestSession *ts = test_session_new ("Search");
  gint64 inbox = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  gint64 other = test_add_folder (ts->store, "Other", PIGEON_FOLDER_ROLE_NONE);
  g_autoptr(PigeonMessageListModel) here = NULL;
  g_autoptr(PigeonMessageListModel) everywhere = NULL;
  gint64 everything = 0;

  test_add_message (ts->store, inbox, 1, 100, "A <a@x>", "Quarterly budget", 0, NULL, NULL);
  test_add_message (ts->store, inbox, 2, 200, "A <a@x>", "Lunch", 0, NULL, NULL);
  test_add_message (ts->store, other, 1, 300, "A <a@x>", "Budget review", 0, NULL, NULL);

  here = load_model (PIGEON_LIST_SORT_DATE, TRUE, "budg", &ts, &inbox, 1);
  /* Search results are a flat list. */
  g_assert_false (pigeon_message_list_model_get_threaded (here));
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (here), ==, 1);
  everywhere = load_model (PIGEON_LIST_SORT_DATE, FALSE, "budget", &ts, &everything, 1);
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (everywhere), ==, 2);
  {
    g_autofree char *subject = string_at (GTK_TREE_MODEL (everywhere), 0,
                                          PIGEON_MESSAGE_LIST_COL_SUBJECT);

    g_assert_cmpstr (subject, ==, "Budget review");
  }
  g_clear_object (&here);
  g_clear_object (&everywhere);
  test_session_free (ts);
}

/* ------------------------------------------------------------------ the diff alone */

static PigeonListRows *
random_rows (GRand   *rand,
             guint    n,
             gboolean by_sender)
{
  PigeonListRows *rows = pigeon_list_rows_new ();
  static const char *keys[] = { "a", "b", "c", "d" };

  for (guint i = 0; i < n; i++)
    {
      PigeonListRow row = { 0 };

      row.id = g_rand_int_range (rand, 1, 400);
      row.date = g_rand_int_range (rand, 0, 60);
      row.source = g_rand_int_range (rand, 0, 2);
      row.count = 1;
      if (by_sender)
        row.key = g_string_chunk_insert_const (rows->strings,
                                               keys[(row.id + row.source) % G_N_ELEMENTS (keys)]);
      g_array_append_val (rows->rows, row);
    }
  return rows;
}

static int
compare_cb (gconstpointer a,
            gconstpointer b,
            gpointer      sort)
{
  return pigeon_list_row_compare (a, b, GPOINTER_TO_INT (sort));
}

/* Unique (source, id) rows in list order; a second row with the same id is dropped. */
static void
normalise (PigeonListRows *rows,
           PigeonListSort  sort)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < rows->rows->len;)
    {
      PigeonListRow *row = &g_array_index (rows->rows, PigeonListRow, i);
      gint64 key = ((gint64) row->source << 48) | row->id;

      if (g_hash_table_contains (seen, &key))
        {
          g_array_remove_index (rows->rows, i);
          continue;
        }
      g_hash_table_add (seen, g_memdup2 (&key, sizeof key));
      i++;
    }
  g_array_sort_with_data (rows->rows, compare_cb, GINT_TO_POINTER (sort));
}

static void
test_diff_random (void)
{
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 400; round++)
    {
      PigeonListSort sort = round % 2 ? PIGEON_LIST_SORT_SENDER : PIGEON_LIST_SORT_DATE;
      g_autoptr(PigeonListRows) old = random_rows (rand, g_rand_int_range (rand, 0, 80),
                                                   sort == PIGEON_LIST_SORT_SENDER);
      g_autoptr(PigeonListRows) new_rows = pigeon_list_rows_new ();
      g_autoptr(GArray) edits = NULL;
      g_autoptr(GArray) replay = g_array_new (FALSE, FALSE, sizeof (PigeonListRow));
      guint i = 0, j = 0;

      normalise (old, sort);
      /* The new list: most old rows kept, some dropped, some moved, some new. */
      for (guint k = 0; k < old->rows->len; k++)
        {
          PigeonListRow row = g_array_index (old->rows, PigeonListRow, k);
          int fate = g_rand_int_range (rand, 0, 10);

          if (fate == 0)
            continue;
          if (fate == 1)
            row.date = g_rand_int_range (rand, 0, 60);
          if (sort == PIGEON_LIST_SORT_SENDER)
            row.key = g_string_chunk_insert_const (new_rows->strings, row.key);
          g_array_append_val (new_rows->rows, row);
        }
      {
        g_autoptr(PigeonListRows) extra = random_rows (rand, g_rand_int_range (rand, 0, 20),
                                                       sort == PIGEON_LIST_SORT_SENDER);

        for (guint k = 0; k < extra->rows->len; k++)
          {
            PigeonListRow row = g_array_index (extra->rows, PigeonListRow, k);

            row.id += 1000;
            if (row.key != NULL)
              row.key = g_string_chunk_insert_const (new_rows->strings, row.key);
            g_array_append_val (new_rows->rows, row);
          }
      }
      normalise (new_rows, sort);

      /* Replaying the edit on the old list gives the new one. */
      edits = pigeon_list_diff (old, new_rows, sort);
      for (guint e = 0; e < edits->len; e++)
        {
          const PigeonListEdit *edit = &g_array_index (edits, PigeonListEdit, e);

          for (guint k = 0; k < edit->n; k++)
            switch (edit->kind)
              {
              case PIGEON_LIST_EDIT_KEEP:
              case PIGEON_LIST_EDIT_CHANGE:
                g_assert_true (pigeon_list_row_same (&g_array_index (old->rows, PigeonListRow, i),
                                                     &g_array_index (new_rows->rows,
                                                                     PigeonListRow, j)));
                g_array_append_val (replay, g_array_index (new_rows->rows, PigeonListRow, j));
                i++;
                j++;
                break;
              case PIGEON_LIST_EDIT_DELETE:
                i++;
                break;
              case PIGEON_LIST_EDIT_INSERT:
                g_array_append_val (replay, g_array_index (new_rows->rows, PigeonListRow, j));
                j++;
                break;
              default:
                g_assert_not_reached ();
              }
        }
      g_assert_cmpuint (i, ==, old->rows->len);
      g_assert_cmpuint (j, ==, new_rows->rows->len);
      g_assert_cmpuint (replay->len, ==, new_rows->rows->len);
      for (guint k = 0; k < replay->len; k++)
        g_assert_true (pigeon_list_row_same (&g_array_index (replay, PigeonListRow, k),
                                             &g_array_index (new_rows->rows, PigeonListRow, k)));
    }
  g_rand_free (rand);
}

static void
test_sender_name (void)
{
  static const struct { const char *from, *name; } cases[] = {
    { "Alice Example <alice@example.test>", "Alice Example" },
    { "\"Müller, Frank\" <frank@beispiel.example>", "Müller, Frank" },
    { "<noreply@example.test>", "noreply@example.test" },
    { "bare@example.test", "bare@example.test" },
    { "", "" },
    { NULL, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = pigeon_list_sender_name (cases[i].from);

      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

/* A big folder is shown from its top at once and revealed to the end in slices; a row
 * asked for by id comes at once; a change made meanwhile is folded in afterwards. */
static void
test_reveal (void)
{
  TestSession *ts = test_session_new ("Reveal");
  gint64 folder = test_add_folder (ts->store, "INBOX", PIGEON_FOLDER_ROLE_INBOX);
  g_autoptr(PigeonMessageListModel) model = NULL;
  g_autoptr(GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GError) error = NULL;
  const guint total = 5000;
  GtkTreeIter iter;
  gint64 deep_id = 0;
  Mirror *mirror;

  for (guint i = 1; i <= total; i++)
    {
      PigeonMessage *m = pigeon_message_new ();

      m->uidvalidity = 1;
      m->uid = i;
      m->date = m->internal_date = 1700000000 + i;
      m->from = g_strdup ("Bulk <bulk@example.test>");
      m->subject = g_strdup_printf ("Message %u", i);
      g_ptr_array_add (batch, m);
    }
  g_assert_true (pigeon_store_upsert_messages (ts->store, folder, batch, &error));
  g_assert_no_error (error);
  /* newest first: the row at 4500 is the message with uid total - 4500 */
  deep_id = ((PigeonMessage *) g_ptr_array_index (batch, total - 4500 - 1))->id;

  model = load_model (PIGEON_LIST_SORT_DATE, FALSE, NULL, &ts, &folder, 1);
  g_assert_cmpuint (pigeon_message_list_model_get_n_loaded (model), ==, total);
  g_assert_true (pigeon_message_list_model_get_revealing (model));
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), <, total);
  mirror = mirror_new (GTK_TREE_MODEL (model));

  /* asked for by id: revealed with everything above it, at once */
  g_assert_true (pigeon_message_list_model_find (model, 0, deep_id, &iter));
  g_assert_cmpuint (pigeon_message_list_model_get_n_rows (model), >=, 4501);
  {
    g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (model), &iter);

    g_assert_cmpint (gtk_tree_path_get_indices (path)[0], ==, 4500);
  }
  mirror_assert_matches (mirror);

  /* new mail meanwhile: it waits for the end of the reveal, then lands on top */
  test_add_message (ts->store, folder, total + 1, 1800000000, "New <new@example.test>",
                    "Fresh", 0, NULL, NULL);
  wait_rows (model, total + 1);
  g_assert_false (pigeon_message_list_model_get_revealing (model));
  mirror_assert_matches (mirror);
  {
    g_autofree char *top = string_at (GTK_TREE_MODEL (model), 0, PIGEON_MESSAGE_LIST_COL_SENDER);

    g_assert_cmpstr (top, ==, "New");
  }
  mirror_free (mirror);
  test_session_free (ts);
}

/* Sent and Drafts name the recipients in the sender's place, and sort by them. */
static void
test_recipients (void)
{
  TestSession *ts = test_session_new ("Recipients");
  gint64 folder = test_add_folder (ts->store, "Sent", PIGEON_FOLDER_ROLE_SENT);
  g_autoptr(PigeonMessageListModel) model = NULL;
  static const char *to[] = {
    "Zoë <zoe@example.se>", "\"Doe, Jane\" <jane@example.test>, bob@example.test", "",
  };
  static const char *expected[] = { "To: (no recipient)", "To: Doe, Jane, bob@example.test",
                                    "To: Zoë" };
  g_autoptr(GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (to); i++)
    {
      PigeonMessage *m = pigeon_message_new ();

      m->uidvalidity = 1;
      m->uid = i + 1;
      m->date = m->internal_date = 1700000000 + i * 10;
      m->from = g_strdup ("Me <me@example.test>");
      m->to = g_strdup (to[i]);
      m->subject = g_strdup ("Sent");
      g_ptr_array_add (batch, m);
    }
  g_assert_true (pigeon_store_upsert_messages (ts->store, folder, batch, &error));
  g_assert_no_error (error);

  model = load_model (PIGEON_LIST_SORT_SENDER, FALSE, NULL, &ts, &folder, 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *shown = string_at (GTK_TREE_MODEL (model), i,
                                          PIGEON_MESSAGE_LIST_COL_SENDER);

      g_assert_cmpstr (shown, ==, expected[i]);
    }
  g_clear_object (&model);
  /* by date, the same names */
  model = load_model (PIGEON_LIST_SORT_DATE, FALSE, NULL, &ts, &folder, 1);
  {
    g_autofree char *newest = string_at (GTK_TREE_MODEL (model), 0,
                                         PIGEON_MESSAGE_LIST_COL_SENDER);

    g_assert_cmpstr (newest, ==, "To: (no recipient)");
  }
  test_session_free (ts);
}

static void
test_format_date (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2024, 3, 14, 15, 0, 0);
  g_autoptr(GDateTime) morning = g_date_time_new_local (2024, 3, 14, 9, 5, 0);
  g_autoptr(GDateTime) yesterday = g_date_time_new_local (2024, 3, 13, 22, 0, 0);
  g_autoptr(GDateTime) last_year = g_date_time_new_local (2023, 12, 1, 12, 0, 0);
  g_autofree char *today = pigeon_message_list_format_date (g_date_time_to_unix (morning), now);
  g_autofree char *yday = pigeon_message_list_format_date (g_date_time_to_unix (yesterday), now);
  g_autofree char *old = pigeon_message_list_format_date (g_date_time_to_unix (last_year), now);
  g_autofree char *none = pigeon_message_list_format_date (0, now);

  g_assert_cmpstr (today, ==, "09:05");
  g_assert_cmpstr (yday, ==, "Yesterday");
  g_assert_nonnull (strstr (old, "23"));
  g_assert_cmpstr (none, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/message-list/model/load-order", test_load_order);
  g_test_add_func ("/message-list/model/live-changes", test_live_changes);
  g_test_add_func ("/message-list/model/sender-sort", test_sender_sort);
  g_test_add_func ("/message-list/model/threads", test_threads);
  g_test_add_func ("/message-list/model/all-inboxes", test_all_inboxes);
  g_test_add_func ("/message-list/model/search", test_search);
  g_test_add_func ("/message-list/diff/random", test_diff_random);
  g_test_add_func ("/message-list/sender-name", test_sender_name);
  g_test_add_func ("/message-list/model/recipients", test_recipients);
  g_test_add_func ("/message-list/model/reveal", test_reveal);
  g_test_add_func ("/message-list/format-date", test_format_date);
  return g_test_run ();
}
