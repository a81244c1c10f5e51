/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Store figures: envelope insert rate, resync rate, body rate, search and list latency.
 *
 *   bench-store [--count N] [--batch N] [--bodies N] [--keep DIR]
 *
 * Prints figures; asserts nothing.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>

#include "pigeon-mime.h"
#include "pigeon-store.h"

static const char * const words[] = {
  "lorem", "ipsum", "dolor", "sit", "amet", "meeting", "agenda", "invoice", "budget",
  "review", "deadline", "server", "client", "mailbox", "folder", "thread", "attachment",
  "draft", "quarterly", "report", "schedule", "release", "build", "patch", "lunch",
  "project", "update", "question", "proposal", "contract", "holiday", "travel", "team",
  "weekly", "notes", "design", "launch", "customer", "support", "ticket",
};
static const char * const names[] = {
  "Alice Example <alice@example.test>", "Bob Builder <bob@example.test>",
  "Carol Jones <carol@lists.example.org>", "Dave O'Brien <dave@corp.example.com>",
  "Erin Smith <erin@example.net>", "Frank Müller <frank@beispiel.example>",
  "Zoë Ångström <zoe@example.se>", "山田 太郎 <taro@example.jp>",
  "GitLab <noreply@gitlab.example.com>", "Grace Hopper <grace@navy.example.mil>",
};

static char *
sentence (GRand *rand,
          guint  n_words)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_words; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
  return g_string_free (out, FALSE);
}

static GPtrArray *
make_envelopes (guint count)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);

  for (guint i = 0; i < count; i++)
    {
      PigeonMessage *m = pigeon_message_new ();
      g_autofree char *subject = sentence (rand, g_rand_int_range (rand, 3, 9));

      m->uidvalidity = 1;
      m->uid = i + 1;
      m->date = 1700000000 + i * 60;
      m->internal_date = m->date;
      m->subject = g_strdup_printf ("%s %u", subject, i);
      m->from = g_strdup (names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))]);
      m->to = g_strdup (names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))]);
      if (g_rand_int_range (rand, 0, 4) == 0)
        m->cc = g_strdup (names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))]);
      m->message_id = g_strdup_printf ("%u.%08x@bench.example.test", i, g_rand_int (rand));
      if (i > 0 && g_rand_int_range (rand, 0, 5) == 0)
        {
          m->in_reply_to = g_strdup_printf ("%u.x@bench.example.test", i - 1);
          m->references = g_strdup (m->in_reply_to);
        }
      m->flags = g_rand_int_range (rand, 0, 10) < 8 ? PIGEON_MESSAGE_FLAG_SEEN : 0;
      m->size = g_rand_int_range (rand, 1500, 80000);
      g_ptr_array_add (all, m);
    }
  return all;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/* Upserts ALL in batches (newest first, as a sync does); returns seconds. */
static double
upsert_all (PigeonStore *store,
            gint64       folder,
            GPtrArray   *all,
            guint        batch_size)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  gint64 start = g_get_monotonic_time ();

  for (guint i = all->len; i > 0; )
    {
      g_autoptr(GError) error = NULL;

      g_ptr_array_set_size (batch, 0);
      for (guint j = 0; j < batch_size && i > 0; j++)
        g_ptr_array_add (batch, all->pdata[--i]);
      if (!pigeon_store_upsert_messages (store, folder, batch, &error))
        g_error ("upsert: %s", error->message);
    }
  return seconds_since (start);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
time_search (PigeonStore *store,
             const char  *query,
             gint64       folder,
             guint        limit)
{
  double times[15];
  guint hits = 0;

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) found = NULL;
      gint64 start = g_get_monotonic_time ();

      found = pigeon_store_search (store, query, folder, limit, &error);
      if (found == NULL)
        g_error ("search: %s", error->message);
      times[i] = seconds_since (start) * 1000;
      hits = found->len;
    }
  qsort (times, G_N_ELEMENTS (times), sizeof (double), compare_doubles);
  g_print ("  search %-22s limit %-5u %6u hits  median %7.2f ms  max %7.2f ms\n", query,
           limit, hits, times[G_N_ELEMENTS (times) / 2], times[G_N_ELEMENTS (times) - 1]);
}

static void
time_list (PigeonStore *store,
           gint64       folder,
           guint        offset,
           guint        limit)
{
  double best = G_MAXDOUBLE;

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GPtrArray) page = NULL;
      gint64 start = g_get_monotonic_time ();

      page = pigeon_store_list_messages (store, folder, offset, limit, NULL);
      best = MIN (best, seconds_since (start) * 1000);
      g_assert (page != NULL);
    }
  g_print ("  list offset %-7u limit %-4u best %7.2f ms\n", offset, limit, best);
}

static GBytes *
make_body (GRand *rand,
           guint  i)
{
  g_autofree char *para1 = sentence (rand, 80);
  g_autofree char *para2 = sentence (rand, 120);
  g_autofree char *text = g_strdup_printf (
    "From: Alice Example <alice@example.test>\r\n"
    "To: Bob Builder <bob@example.test>\r\n"
    "Subject: body %u\r\n"
    "Date: Tue, 05 Mar 2024 10:00:00 +0000\r\n"
    "Message-ID: <body-%u@bench.example.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\n%s\r\n"
    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<html><body><p>%s</p><p>%s</p></body></html>\r\n--b--\r\n",
    i, i, para1, para2, para1, para2);

  return g_bytes_new (text, strlen (text));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(PigeonFolder) folder_row = NULL;
  g_autofree char *keep = NULL;
  g_autofree char *dir = NULL;
  int count = 100000, batch = 1000, bodies = 2000;
  GOptionEntry entries[] = {
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Envelopes to insert", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Envelopes per transaction", "N" },
    { "bodies", 0, 0, G_OPTION_ARG_INT, &bodies, "Bodies to store", "N" },
    { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep, "Use (and keep) this directory", "DIR" },
    { NULL },
  };
  PigeonStore *store;
  gint64 folder, start;
  double secs;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("— store benchmark");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || count <= 0 || batch <= 0)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "counts must be positive");
      return 2;
    }

  pigeon_mime_init ();
  dir = keep != NULL ? g_strdup (keep) : g_dir_make_tmp ("pigeon-bench-XXXXXX", NULL);
  store = pigeon_store_open (dir, &error);
  if (store == NULL)
    g_error ("open: %s", error->message);
  {
    g_autoptr(PigeonFolder) inbox = pigeon_folder_new ();

    inbox->path = g_strdup ("INBOX");
    inbox->role = PIGEON_FOLDER_ROLE_INBOX;
    folder = pigeon_store_upsert_folder (store, inbox, &error);
  }

  all = make_envelopes (count);
  g_print ("store benchmark: %d envelopes, batches of %d, in %s\n", count, batch, dir);

  secs = upsert_all (store, folder, all, batch);
  g_print ("  insert envelopes        %8.2f s  %9.0f rows/s\n", secs, count / secs);

  for (guint i = 0; i < all->len; i++)
    {
      PigeonMessage *m = all->pdata[i];

      if (i % 7 == 0)
        m->flags ^= PIGEON_MESSAGE_FLAG_FLAGGED;
    }
  secs = upsert_all (store, folder, all, batch);
  g_print ("  resync (1/7 changed)    %8.2f s  %9.0f rows/s\n", secs, count / secs);

  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (2);
    g_autoptr(GPtrArray) raws = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    guint n = MIN ((guint) bodies, all->len);

    for (guint i = 0; i < n; i++)
      g_ptr_array_add (raws, make_body (rand, i));
    start = g_get_monotonic_time ();
    for (guint i = 0; i < n; i++)
      {
        if (!pigeon_store_set_body (store, ((PigeonMessage *) all->pdata[i])->id,
                                    raws->pdata[i], &error))
          g_error ("set_body: %s", error->message);
      }
    secs = seconds_since (start);
    if (n > 0)
      g_print ("  set_body (parse+FTS)    %8.2f s  %9.0f bodies/s\n", secs, n / secs);
  }

  folder_row = pigeon_store_get_folder (store, folder, &error);
  g_print ("  folder: %u messages, %u unread\n", folder_row->total, folder_row->unread);

  time_list (store, folder, 0, 100);
  time_list (store, folder, count / 2, 100);
  time_search (store, "meeting", 0, 50);
  time_search (store, "meeting", 0, 0);
  time_search (store, "quarterly report", 0, 50);
  time_search (store, "quarterly report", folder, 0);
  time_search (store, "alice", 0, 50);
  time_search (store, "rep", 0, 50);
  time_search (store, "müller", 0, 50);
  time_search (store, "12345", 0, 50);
  time_search (store, "nosuchword", 0, 50);

  start = g_get_monotonic_time ();
  g_object_unref (store);
  g_print ("  close                   %8.2f s\n", seconds_since (start));
  start = g_get_monotonic_time ();
  store = pigeon_store_open (dir, &error);
  g_print ("  reopen                  %8.2f s\n", seconds_since (start));
  g_object_unref (store);

  {
    g_autofree char *db = g_build_filename (dir, "store.db", NULL);
    GStatBuf st;

    if (g_stat (db, &st) == 0)
      g_print ("  database size           %8.1f MB\n", st.st_size / 1e6);
  }

  if (keep == NULL)
    {
      const char *suffixes[] = { "store.db", "store.db-wal", "store.db-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *path = g_build_filename (dir, suffixes[i], NULL);

          g_unlink (path);
        }
      g_rmdir (dir);
    }
  return 0;
}
