/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Search on the server with the IMAP provider, against the harness Dovecot: what only the
 * server has is found, and then is in the store like a synced message. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-test-util.h"
#include "pigeon-error.h"
#include "pigeon-providers.h"
#include "pigeon-test-harness.h"

static char *
message (const char *subject,
         const char *date,
         const char *body)
{
  return g_strdup_printf ("From: Ann <ann@example.test>\r\n"
                          "To: someone@example.test\r\n"
                          "Subject: %s\r\n"
                          "Date: %s\r\n"
                          "Message-ID: <%08x@search.example>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n\r\n"
                          "%s\r\n", subject, date, g_random_int (), body);
}

static void
append (ImapFixture *fixture,
        const char  *folder,
        const char  *subject,
        const char  *date,
        const char  *body)
{
  g_autofree char *text = message (subject, date, body);

  g_free (imap_peer (fixture, (const char *[]) { "append", folder, NULL }, text));
}

static void
sync_ok (ImapFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_fixture_sync (fixture, fixture->provider, PIGEON_SYNC_FLAGS_NONE, &error));
  g_assert_no_error (error);
}

static GArray *
search_ok (ImapFixture *fixture,
           const char  *query,
           gint64       folder_id)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_assert_true (pigeon_provider_search (fixture->provider, query, folder_id, ids, NULL, &error));
  g_assert_no_error (error);
  return ids;
}

static char *
subject_of (ImapFixture *fixture,
            GArray      *ids,
            guint        i)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = pigeon_store_get_message (fixture->store,
                                                         g_array_index (ids, gint64, i), &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return g_strdup (m->subject);
}

static guint
count (ImapFixture *fixture,
       const char  *folder)
{
  return pigeon_store_count_messages (fixture->store, imap_fixture_folder_id (fixture, folder),
                                      NULL);
}

/* A message that arrived after the last sync is found on the server and is then in the
 * store, in its folder, like any synced message; the next sync does not add it twice. */
static void
test_server_only (ImapFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(GArray) everywhere = NULL;
  g_autoptr(GArray) inbox = NULL;
  g_autoptr(GArray) both_words = NULL;
  g_autoptr(GArray) nothing = NULL;
  g_autofree char *first = NULL, *second = NULL, *third = NULL;
  g_autofree char *server = NULL, *local = NULL;
  g_autoptr(PigeonMessage) found = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_provider_get_caps (fixture->provider) & PIGEON_PROVIDER_CAP_SERVER_SEARCH);
  pigeon_test_harness_seed (fixture->user, 40, NULL);
  append (fixture, "INBOX", "Quarterly zebra report", "Mon, 04 Mar 2024 09:00:00 +0000",
          "Numbers inside.");
  sync_ok (fixture);
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 41);

  /* behind the store's back: one in the inbox, one in Sent with the word only in its body */
  append (fixture, "INBOX", "Sighting", "Tue, 05 Mar 2024 09:00:00 +0000",
          "A zebra crossed the road.");
  append (fixture, "Sent", "Re: animals", "Wed, 06 Mar 2024 09:00:00 +0000",
          "More zebra pictures attached, in spirit.");
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 41);

  everywhere = search_ok (fixture, "zebra", 0);
  g_assert_cmpuint (everywhere->len, ==, 3);
  first = subject_of (fixture, everywhere, 0);
  second = subject_of (fixture, everywhere, 1);
  third = subject_of (fixture, everywhere, 2);
  /* newest first */
  g_assert_cmpstr (first, ==, "Re: animals");
  g_assert_cmpstr (second, ==, "Sighting");
  g_assert_cmpstr (third, ==, "Quarterly zebra report");
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 42);
  g_assert_cmpuint (count (fixture, "Sent"), ==, 1);
  found = pigeon_store_get_message (fixture->store, g_array_index (everywhere, gint64, 1),
                                    &error);
  g_assert_cmpint (found->folder_id, ==, imap_fixture_folder_id (fixture, "INBOX"));
  g_assert_cmpstr (found->from, ==, "Ann <ann@example.test>");
  g_assert_cmpuint (found->uid, !=, 0);

  /* one folder; every word must match */
  inbox = search_ok (fixture, "zebra", imap_fixture_folder_id (fixture, "INBOX"));
  g_assert_cmpuint (inbox->len, ==, 2);
  both_words = search_ok (fixture, "zebra   quarterly", 0);
  g_assert_cmpuint (both_words->len, ==, 1);
  g_assert_cmpint (g_array_index (both_words, gint64, 0), ==,
                   g_array_index (everywhere, gint64, 2));
  nothing = search_ok (fixture, "okapi", 0);
  g_assert_cmpuint (nothing->len, ==, 0);

  /* the next sync sees the same messages as the server, once each */
  sync_ok (fixture);
  server = imap_server_listing (fixture, "INBOX");
  local = imap_store_listing (fixture, "INBOX");
  g_assert_cmpstr (local, ==, server);
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 42);
}

/* Words beyond ASCII go as UTF-8 literals; a folder never synced is searched all the same. */
static void
test_non_ascii (ImapFixture   *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) quoted = NULL;
  g_autofree char *subject = NULL;

  /* the folder list only: the store has no message yet */
  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_true (pigeon_provider_sync_folders (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  append (fixture, "INBOX", "Grüße aus Köln", "Thu, 07 Mar 2024 09:00:00 +0000",
          "Der Dom steht noch.");
  append (fixture, "INBOX", "Plain", "Thu, 07 Mar 2024 10:00:00 +0000",
          "Nothing \"quoted\" about it.");
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 0);

  ids = search_ok (fixture, "köln", imap_fixture_folder_id (fixture, "INBOX"));
  g_assert_cmpuint (ids->len, ==, 1);
  subject = subject_of (fixture, ids, 0);
  g_assert_cmpstr (subject, ==, "Grüße aus Köln");
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 1);

  /* a word the command line must quote */
  quoted = search_ok (fixture, "\"quoted\"", 0);
  g_assert_cmpuint (quoted->len, ==, 1);
  g_assert_cmpuint (count (fixture, "INBOX"), ==, 2);
}

/* POP3 has no search on the server: the call says so in a sentence. */
static void
test_unsupported (void)
{
  g_autoptr(PigeonAccount) account = pigeon_account_new ("pop3-search");
  g_autofree char *config_dir = NULL, *data_dir = NULL;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;

  pigeon_test_make_dirs (&config_dir, &data_dir);
  g_object_set (account, "name", "p", "email", "p@example.test", "protocol", "pop3",
                "host", "127.0.0.1", NULL);
  store = pigeon_store_open (data_dir, &error);
  g_assert_no_error (error);
  provider = pigeon_provider_new_for_account (account, store, &error);
  g_assert_no_error (error);
  g_assert_false (pigeon_provider_get_caps (provider) & PIGEON_PROVIDER_CAP_SERVER_SEARCH);
  g_assert_false (pigeon_provider_search (provider, "zebra", 0, ids, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "cannot search on the server"));
  pigeon_store_close (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_providers_register ();

#define ADD(path, func) \
  g_test_add ("/imap/search/" path, ImapFixture, NULL, imap_fixture_setup, func, \
              imap_fixture_teardown)
  ADD ("server-only", test_server_only);
  ADD ("non-ascii", test_non_ascii);
#undef ADD
  g_test_add_func ("/imap/search/unsupported", test_unsupported);

  return g_test_run ();
}
