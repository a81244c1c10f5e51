/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "test-store-util.h"
#include "test-store.h"

static GPtrArray *
make_batch (guint32 uidvalidity,
            guint   first_uid,
            guint   n)
{
  GPtrArray *batch = test_message_array_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *subject = g_strdup_printf ("Message number %u", first_uid + i);

      g_ptr_array_add (batch, test_make_message (uidvalidity, first_uid + i,
                                                 1700000000 + first_uid + i, subject, 0));
    }
  return batch;
}

static void
test_messages_upsert_idempotent (StoreFixture *f,
                                 gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = make_batch (7, 1, 100);
  g_autoptr(GPtrArray) again = make_batch (7, 1, 100);
  g_autoptr(GArray) uids = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");

  g_assert_true (pigeon_store_upsert_messages (f->store, folder, first, &error));
  g_assert_no_error (error);

  /* The same batch again, as after an interrupted sync, with news on some of them. */
  for (guint i = 0; i < again->len; i += 10)
    ((PigeonMessage *) again->pdata[i])->flags = PIGEON_MESSAGE_FLAG_SEEN |
                                                 PIGEON_MESSAGE_FLAG_FLAGGED;
  ((PigeonMessage *) again->pdata[1])->modseq = 12345;
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, again, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < first->len; i++)
    g_assert_cmpint (((PigeonMessage *) first->pdata[i])->id, ==,
                     ((PigeonMessage *) again->pdata[i])->id);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, folder, &error), ==, 100);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages"), ==, 100);
  g_assert_cmpint (test_query_int (f->store, "SELECT count(*) FROM messages_fts"), ==, 100);

  uids = pigeon_store_list_uids (f->store, folder, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uids->len, ==, 100);
  for (guint i = 0; i < uids->len; i++)
    {
      PigeonUidFlags *entry = &g_array_index (uids, PigeonUidFlags, i);

      g_assert_cmpuint (entry->uid, ==, i + 1);
      g_assert_cmpint (entry->flags, ==, i % 10 == 0 ? (PIGEON_MESSAGE_FLAG_SEEN |
                                                         PIGEON_MESSAGE_FLAG_FLAGGED) : 0);
      g_assert_cmpuint (entry->modseq, ==, i == 1 ? 12345 : 0);
    }

  /* A batch that names a uid twice still leaves one row. */
  {
    g_autoptr(GPtrArray) twice = make_batch (7, 500, 1);

    g_ptr_array_add (twice, test_make_message (7, 500, 1, "same uid", PIGEON_MESSAGE_FLAG_SEEN));
    g_assert_true (pigeon_store_upsert_messages (f->store, folder, twice, &error));
    g_assert_cmpint (((PigeonMessage *) twice->pdata[0])->id, ==,
                     ((PigeonMessage *) twice->pdata[1])->id);
    g_assert_cmpuint (pigeon_store_count_messages (f->store, folder, NULL), ==, 101);
  }

  /* The schema itself refuses a duplicate, whatever the code above it does. */
  g_assert_cmpint (test_query_int (f->store,
                                   "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                   "AND name IN ('messages_server_uid', 'messages_remote_id') "
                                   "AND sql LIKE 'CREATE UNIQUE%'"), ==, 2);
}

static void
test_messages_upsert_envelope_update (StoreFixture *f,
                                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = make_batch (7, 1, 1);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  PigeonMessage *m = batch->pdata[0];

  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));

  /* Flags only (as a flag resync sends them): the envelope stays. */
  g_clear_pointer (&m->subject, g_free);
  g_clear_pointer (&m->from, g_free);
  m->flags = PIGEON_MESSAGE_FLAG_ANSWERED;
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  got = pigeon_store_get_message (f->store, m->id, &error);
  g_assert_cmpstr (got->subject, ==, "Message number 1");
  g_assert_cmpstr (got->from, ==, "Alice Example <alice@example.test>");
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_ANSWERED);
  g_clear_pointer (&got, pigeon_message_free);

  /* A new subject reaches the search index too. */
  m->subject = g_strdup ("Renamed thing");
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  found = pigeon_store_search (f->store, "renamed", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = pigeon_store_search (f->store, "number", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 0);
}

static void
test_messages_remote_ids (StoreFixture *f,
                          gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  const char *gone[] = { "5:2", "no-such-id", NULL };
  PigeonFlagUpdate update = { 0, "5:3", PIGEON_MESSAGE_FLAG_FLAGGED, 0 };
  gint64 folder = test_add_folder (f->store, "Inbox");

  for (guint i = 1; i <= 3; i++)
    {
      PigeonMessage *m = test_make_message (0, 0, 100 * i, "by remote id", 0);

      m->remote_id = g_strdup_printf ("5:%u", i);
      g_ptr_array_add (batch, m);
    }
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, folder, NULL), ==, 3);

  got = pigeon_store_get_message_by_remote_id (f->store, folder, "5:2", &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->id, ==, ((PigeonMessage *) batch->pdata[1])->id);

  g_assert_true (pigeon_store_update_flags (f->store, folder, &update, 1, &error));
  g_clear_pointer (&got, pigeon_message_free);
  got = pigeon_store_get_message_by_remote_id (f->store, folder, "5:3", &error);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_FLAGGED);

  g_assert_true (pigeon_store_remove_by_remote_id (f->store, folder, gone, &error));
  g_assert_no_error (error);
  ids = pigeon_store_list_remote_ids (f->store, folder, &error);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpstr (ids->pdata[0], ==, "5:1");
  g_assert_cmpstr (ids->pdata[1], ==, "5:3");
  g_assert_null (pigeon_store_get_message_by_remote_id (f->store, folder, "5:2", &error));
  g_assert_no_error (error);
}

static void
test_messages_remove (StoreFixture *f,
                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = make_batch (7, 1, 10);
  g_autoptr(GArray) uids = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  guint32 gone[] = { 2, 4, 99 };
  gint64 ids[2];

  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  g_assert_true (pigeon_store_remove_by_uid (f->store, folder, gone, G_N_ELEMENTS (gone),
                                             &error));
  g_assert_no_error (error);
  ids[0] = ((PigeonMessage *) batch->pdata[0])->id;
  ids[1] = ((PigeonMessage *) batch->pdata[9])->id;
  g_assert_true (pigeon_store_remove_messages (f->store, ids, 2, &error));
  g_assert_no_error (error);

  uids = pigeon_store_list_uids (f->store, folder, 7, &error);
  g_assert_cmpuint (uids->len, ==, 6);
  g_assert_cmpuint (g_array_index (uids, PigeonUidFlags, 0).uid, ==, 3);
  g_assert_cmpuint (g_array_index (uids, PigeonUidFlags, 5).uid, ==, 9);

  got = pigeon_store_get_message_by_uid (f->store, folder, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->uid, ==, 5);
  g_assert_cmpuint (got->uidvalidity, ==, 7);
  g_assert_cmpstr (got->subject, ==, "Message number 5");
  g_assert_null (pigeon_store_get_message_by_uid (f->store, folder, 4, &error));
  g_assert_no_error (error);

  /* Other UIDVALIDITY: a different list. */
  g_clear_pointer (&uids, g_array_unref);
  uids = pigeon_store_list_uids (f->store, folder, 8, &error);
  g_assert_cmpuint (uids->len, ==, 0);
}

static void
test_messages_list_paging (StoreFixture *f,
                           gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  g_autoptr(GPtrArray) all = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  gint64 other = test_add_folder (f->store, "Other");

  /* Dates out of order, with ties, and one with only an internal date. */
  for (guint i = 0; i < 50; i++)
    g_ptr_array_add (batch, test_make_message (7, i + 1, 1000 + (i * 37) % 50 / 2, "paged", 0));
  ((PigeonMessage *) batch->pdata[7])->date = 0;
  ((PigeonMessage *) batch->pdata[7])->internal_date = 5000;
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  test_add_message (f->store, other, 1, 9999, "elsewhere", 0);

  all = pigeon_store_list_messages (f->store, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 50);
  g_assert_cmpint (((PigeonMessage *) all->pdata[0])->date, ==, 5000);
  for (guint i = 1; i < all->len; i++)
    {
      PigeonMessage *a = all->pdata[i - 1], *b = all->pdata[i];

      g_assert_cmpint (a->folder_id, ==, folder);
      g_assert_true (a->date > b->date || (a->date == b->date && a->id > b->id));
    }

  for (guint offset = 0; offset < 50; offset += 15)
    {
      g_autoptr(GPtrArray) page = pigeon_store_list_messages (f->store, folder, offset, 15,
                                                              &error);

      g_assert_cmpuint (page->len, ==, MIN (15, 50 - offset));
      for (guint i = 0; i < page->len; i++)
        g_assert_cmpint (((PigeonMessage *) page->pdata[i])->id, ==,
                         ((PigeonMessage *) all->pdata[offset + i])->id);
    }
}

static void
test_messages_missing_bodies (StoreFixture *f,
                              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) missing = NULL;
  g_autoptr(GBytes) raw = test_make_raw ("fetched", "A <a@example.test>", "body");
  gint64 folder = test_add_folder (f->store, "INBOX");
  gint64 ids[5];

  for (guint i = 0; i < 5; i++)
    ids[i] = test_add_message (f->store, folder, i + 1, 1000 * (i + 1), "needs a body", 0);
  g_assert_true (pigeon_store_set_body (f->store, ids[3], raw, &error));

  missing = pigeon_store_list_missing_bodies (f->store, folder, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 4);
  g_assert_cmpint (g_array_index (missing, gint64, 0), ==, ids[4]);
  g_assert_cmpint (g_array_index (missing, gint64, 1), ==, ids[2]);
  g_assert_cmpint (g_array_index (missing, gint64, 3), ==, ids[0]);
  g_clear_pointer (&missing, g_array_unref);

  missing = pigeon_store_list_missing_bodies (f->store, folder, 2000, 0, &error);
  g_assert_cmpuint (missing->len, ==, 3);
  g_clear_pointer (&missing, g_array_unref);
  missing = pigeon_store_list_missing_bodies (f->store, folder, 0, 2, &error);
  g_assert_cmpuint (missing->len, ==, 2);
  g_assert_cmpint (g_array_index (missing, gint64, 1), ==, ids[2]);
}

static const char html_message[] =
  "From: =?UTF-8?Q?Zo=C3=AB_=C3=85ngstr=C3=B6m?= <zoe@example.se>\r\n"
  "To: bob@example.test\r\n"
  "Subject: Invoice for March\r\n"
  "Date: Wed, 06 Mar 2024 09:30:00 +0100\r\n"
  "Message-ID: <invoice-3@example.se>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
  "\r\n"
  "--b1\r\n"
  "Content-Type: text/html; charset=utf-8\r\n"
  "\r\n"
  "<html><head><style>.x{color:red}</style></head><body><p>Please find the "
  "<b>invoice</b> attached.</p><script>stealCookies()</script></body></html>\r\n"
  "--b1\r\n"
  "Content-Type: application/pdf; name=\"invoice.pdf\"\r\n"
  "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "JVBERi0xLjQKc2VjcmV0d29yZA==\r\n"
  "--b1--\r\n";

static void
test_messages_body (StoreFixture *f,
                    gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (html_message, strlen (html_message));
  g_autoptr(GBytes) back = NULL;
  g_autoptr(PigeonMessage) got = NULL;
  g_autoptr(GPtrArray) found = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  gint64 id = test_add_message (f->store, folder, 1, 1000, "Invoice for March", 0);

  back = pigeon_store_get_body (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_null (back);
  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_false (got->has_body);
  g_clear_pointer (&got, pigeon_message_free);

  g_assert_true (pigeon_store_set_body (f->store, id, raw, &error));
  g_assert_no_error (error);
  back = pigeon_store_get_body (f->store, id, &error);
  g_assert_true (g_bytes_equal (back, raw));

  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_true (got->has_body);
  g_assert_true (got->has_attachments);
  g_assert_cmpstr (got->preview, ==, "Please find the invoice attached.");
  /* The server's envelope wins over the parsed one. */
  g_assert_cmpstr (got->from, ==, "Alice Example <alice@example.test>");

  found = pigeon_store_search (f->store, "attached", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* Markup, scripts and attachment data are not searchable text. */
  found = pigeon_store_search (f->store, "stealCookies", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = pigeon_store_search (f->store, "color", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = pigeon_store_search (f->store, "JVBER", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 0);

  g_assert_false (pigeon_store_set_body (f->store, 4242, raw, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
}

/* A message the store knew nothing about but its id (POP3 downloads) gets its envelope
 * from the body. */
static void
test_messages_body_fills_envelope (StoreFixture *f,
                                   gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (html_message, strlen (html_message));
  g_autoptr(GPtrArray) batch = test_message_array_new ();
  g_autoptr(PigeonMessage) got = NULL;
  g_autoptr(GPtrArray) found = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  PigeonMessage *bare = pigeon_message_new ();

  bare->remote_id = g_strdup ("UIDL-1");
  g_ptr_array_add (batch, bare);
  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  g_assert_true (pigeon_store_set_body (f->store, bare->id, raw, &error));

  got = pigeon_store_get_message (f->store, bare->id, &error);
  g_assert_cmpstr (got->subject, ==, "Invoice for March");
  g_assert_cmpstr (got->from, ==, "Zoë Ångström <zoe@example.se>");
  g_assert_cmpstr (got->message_id, ==, "invoice-3@example.se");
  g_assert_cmpint (got->date, ==, 1709713800);
  g_assert_cmpint (got->size, ==, strlen (html_message));

  found = pigeon_store_search (f->store, "angstrom", 0, 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
}

static guint
search_count (PigeonStore *store,
              const char  *query,
              gint64       folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = pigeon_store_search (store, query, folder, 0, &error);

  g_assert_no_error (error);
  g_assert_nonnull (found);
  return found->len;
}

static void
test_messages_search (StoreFixture *f,
                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GBytes) raw = test_make_raw ("Lunch", "Dave <dave@corp.example.com>",
                                         "Shall we try the new Thai place on Friday?");
  static const char * const hostile[] = {
    "\"foo OR", "NEAR(", "NEAR(a b", "*", "\"", "\"\"", "a\"b", "-", "^bar", "subject:",
    "subject:foo", "AND", "OR OR", "NOT", "(", ")", "{subject}: x", "'", "\\", "a*b*",
    "foo\" OR \"bar", "🐦", "   ", "", "\t\n", "%", "_", "quarterly\"*", "+", "AND OR NOT",
    "rowid=1", "col:\"x\"", "\xff\xfe broken utf8",
  };
  gint64 inbox = test_add_folder (f->store, "INBOX");
  gint64 archive = test_add_folder (f->store, "Archive");
  gint64 lunch = test_add_message (f->store, inbox, 1, 5000, "Lunch", 0);
  gint64 older = test_add_message (f->store, inbox, 2, 1000, "Quarterly report", 0);
  gint64 newer = test_add_message (f->store, archive, 3, 3000, "Quarterly budget review", 0);

  g_assert_true (pigeon_store_set_body (f->store, lunch, raw, &error));

  /* Envelopes are searchable before any body arrives. */
  g_assert_cmpuint (search_count (f->store, "quarterly", 0), ==, 2);
  g_assert_cmpuint (search_count (f->store, "QUARTER", 0), ==, 2);  /* prefix, any case */
  g_assert_cmpuint (search_count (f->store, "quarterly budget", 0), ==, 1);
  g_assert_cmpuint (search_count (f->store, "budget quarterly", 0), ==, 1);
  g_assert_cmpuint (search_count (f->store, "quarterly nothing", 0), ==, 0);
  g_assert_cmpuint (search_count (f->store, "alice", 0), ==, 3);  /* the From: address */
  g_assert_cmpuint (search_count (f->store, "alice@example.test", 0), ==, 3);
  g_assert_cmpuint (search_count (f->store, "thai friday", 0), ==, 1);
  g_assert_cmpuint (search_count (f->store, "quarterly", archive), ==, 1);
  g_assert_cmpuint (search_count (f->store, "quarterly", inbox), ==, 1);

  found = pigeon_store_search (f->store, "quarterly", 0, 0, &error);
  g_assert_cmpint (((PigeonMessage *) found->pdata[0])->id, ==, newer);
  g_assert_cmpint (((PigeonMessage *) found->pdata[1])->id, ==, older);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = pigeon_store_search (f->store, "quarterly", 0, 1, &error);
  g_assert_cmpuint (found->len, ==, 1);

  /* User text never becomes FTS5 syntax: no errors, and words still match. */
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autoptr(GPtrArray) result = NULL;
      g_autofree char *escaped = g_strescape (hostile[i], NULL);

      g_test_message ("query: %s", escaped);
      result = pigeon_store_search (f->store, hostile[i], 0, 0, &error);
      g_assert_no_error (error);
      g_assert_nonnull (result);
    }
  g_assert_cmpuint (search_count (f->store, "\"quarterly", 0), ==, 2);
  g_assert_cmpuint (search_count (f->store, "quarterly OR lunch", 0), ==, 0);
  g_assert_cmpuint (search_count (f->store, "NEAR(quarterly", 0), ==, 0);
  g_assert_cmpuint (search_count (f->store, "(budget)", 0), ==, 1);
}

/* What the user did and the server has not heard yet survives a sync that reports the
 * old state. */
static void
test_messages_pending_flags_survive_sync (StoreFixture *f,
                                          gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = make_batch (7, 1, 2);
  g_autoptr(PigeonMessage) got = NULL;
  gint64 folder = test_add_folder (f->store, "INBOX");
  PigeonFlagUpdate stale = { 2, NULL, PIGEON_MESSAGE_FLAG_ANSWERED, 0 };
  gint64 id;

  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  id = ((PigeonMessage *) batch->pdata[0])->id;
  g_assert_true (pigeon_store_change_flags (f->store, &id, 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            &error));
  g_assert_true (pigeon_store_change_flags (f->store, &((PigeonMessage *) batch->pdata[1])->id,
                                            1, PIGEON_MESSAGE_FLAG_FLAGGED, 0, &error));

  g_assert_true (pigeon_store_upsert_messages (f->store, folder, batch, &error));
  g_assert_true (pigeon_store_update_flags (f->store, folder, &stale, 1, &error));

  got = pigeon_store_get_message (f->store, id, &error);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_SEEN);
  g_clear_pointer (&got, pigeon_message_free);
  got = pigeon_store_get_message (f->store, ((PigeonMessage *) batch->pdata[1])->id, &error);
  g_assert_cmpint (got->flags, ==, PIGEON_MESSAGE_FLAG_FLAGGED | PIGEON_MESSAGE_FLAG_ANSWERED);
}

void
test_store_add_message_tests (void)
{
  g_test_add ("/store/messages/upsert-idempotent", StoreFixture, NULL, store_fixture_setup,
              test_messages_upsert_idempotent, store_fixture_teardown);
  g_test_add ("/store/messages/upsert-envelope-update", StoreFixture, NULL,
              store_fixture_setup, test_messages_upsert_envelope_update,
              store_fixture_teardown);
  g_test_add ("/store/messages/remote-ids", StoreFixture, NULL, store_fixture_setup,
              test_messages_remote_ids, store_fixture_teardown);
  g_test_add ("/store/messages/remove", StoreFixture, NULL, store_fixture_setup,
              test_messages_remove, store_fixture_teardown);
  g_test_add ("/store/messages/list-paging", StoreFixture, NULL, store_fixture_setup,
              test_messages_list_paging, store_fixture_teardown);
  g_test_add ("/store/messages/missing-bodies", StoreFixture, NULL, store_fixture_setup,
              test_messages_missing_bodies, store_fixture_teardown);
  g_test_add ("/store/messages/body", StoreFixture, NULL, store_fixture_setup,
              test_messages_body, store_fixture_teardown);
  g_test_add ("/store/messages/body-fills-envelope", StoreFixture, NULL, store_fixture_setup,
              test_messages_body_fills_envelope, store_fixture_teardown);
  g_test_add ("/store/messages/search", StoreFixture, NULL, store_fixture_setup,
              test_messages_search, store_fixture_teardown);
  g_test_add ("/store/messages/pending-flags-survive-sync", StoreFixture, NULL,
              store_fixture_setup, test_messages_pending_flags_survive_sync,
              store_fixture_teardown);
}
