/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PigeonAccountSync driving the IMAP provider against the harness Dovecot: push brings new
 * mail in within seconds, a change made locally reaches the server within about a second,
 * and the account shows where it stands. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-test-util.h"
#include "pigeon-account-sync.h"
#include "pigeon-error.h"
#include "pigeon-secrets.h"
#include "pigeon-test-harness.h"

typedef struct
{
  ImapFixture imap;
  PigeonAccountSync *sync;
} Fixture;

static void
setup (Fixture      *fixture,
       gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  imap_fixture_setup (&fixture->imap, data);
  /* The scheduler makes its own providers: the password comes from the keyring. */
  g_assert_true (pigeon_secrets_store_sync (pigeon_account_get_id (fixture->imap.account),
                                            PIGEON_SECRET_ROLE_INCOMING, "test",
                                            fixture->imap.password, NULL, &error));
  g_assert_no_error (error);
  fixture->sync = pigeon_account_sync_new (fixture->imap.account, fixture->imap.store);
}

static void
teardown (Fixture      *fixture,
          gconstpointer data)
{
  pigeon_account_sync_stop (fixture->sync);
  g_clear_object (&fixture->sync);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  pigeon_secrets_clear_sync (pigeon_account_get_id (fixture->imap.account), NULL, NULL);
  imap_fixture_teardown (&fixture->imap, data);
}

typedef gboolean (*Condition) (Fixture *fixture);

static gboolean
wait_for (Fixture  *fixture,
          Condition condition,
          double    seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!condition (fixture))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return TRUE;
}

static guint expected_count;

static gboolean
inbox_has_expected (Fixture *fixture)
{
  g_autoptr(PigeonFolder) inbox = pigeon_store_get_folder_by_path (fixture->imap.store, "INBOX",
                                                                   NULL);

  return inbox != NULL && inbox->total == expected_count &&
         pigeon_account_get_state (fixture->imap.account) == PIGEON_ACCOUNT_STATE_IDLE;
}

static void
start (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_account_sync_start (fixture->sync, &error));
  g_assert_no_error (error);
}

static void
test_push (Fixture      *fixture,
           gconstpointer data)
{
  static const char message[] =
    "From: a@example.test\r\nTo: b@example.test\r\nSubject: Pushed\r\n"
    "Message-ID: <scheduler-push@peer>\r\n\r\nhello\r\n";
  gint64 delivered;

  pigeon_test_harness_seed (fixture->imap.user, 50, NULL);
  start (fixture);
  expected_count = 50;
  g_assert_true (wait_for (fixture, inbox_has_expected, 20));
  g_usleep (500 * 1000);     /* into IDLE */

  delivered = g_get_monotonic_time ();
  pigeon_test_harness_deliver (fixture->imap.user, NULL, message);
  expected_count = 51;
  g_assert_true (wait_for (fixture, inbox_has_expected, 5));
  g_test_message ("new mail in the store %.2f s after delivery",
                  (g_get_monotonic_time () - delivered) / 1e6);
}

static gboolean
archive_has_expected (Fixture *fixture)
{
  g_autoptr(PigeonFolder) archive = pigeon_store_get_folder_by_path (fixture->imap.store,
                                                                     "Archive", NULL);

  return archive != NULL && archive->total == expected_count;
}

/* Mail filed into another folder (a server-side filter, another client) is reported over
 * NOTIFY while idle and synced at once, without waiting for the next full pass. */
static void
test_push_other_folder (Fixture      *fixture,
                        gconstpointer data)
{
  static const char message[] =
    "From: a@example.test\r\nTo: b@example.test\r\nSubject: Filed away\r\n"
    "Message-ID: <scheduler-notify@peer>\r\n\r\nhello\r\n";
  gint64 filed;

  start (fixture);
  expected_count = 0;
  g_assert_true (wait_for (fixture, inbox_has_expected, 20));
  g_assert_true (wait_for (fixture, archive_has_expected, 20));
  g_usleep (500 * 1000);     /* into IDLE */

  filed = g_get_monotonic_time ();
  g_free (imap_peer (&fixture->imap, (const char *[]) { "append", "Archive", NULL }, message));
  expected_count = 1;
  /* the next full pass is minutes away: only push can bring it this soon */
  g_assert_true (wait_for (fixture, archive_has_expected, 10));
  g_test_message ("filed mail in the store %.2f s after it arrived",
                  (g_get_monotonic_time () - filed) / 1e6);
}

static char *flagged_uid_line;

static gboolean
server_has_flag (Fixture *fixture)
{
  g_autofree char *inbox = IMAP_PEER (&fixture->imap, "uids", "INBOX");

  return strstr (inbox, flagged_uid_line) != NULL;
}

static void
test_local_change_reaches_server (Fixture      *fixture,
                                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;
  gint64 changed;

  pigeon_test_harness_seed (fixture->imap.user, 20, NULL);
  start (fixture);
  expected_count = 20;
  g_assert_true (wait_for (fixture, inbox_has_expected, 20));

  m = pigeon_store_get_message_by_uid (fixture->imap.store,
                                       imap_fixture_folder_id (&fixture->imap, "INBOX"), 4, &error);
  g_assert_nonnull (m);
  changed = g_get_monotonic_time ();
  g_assert_true (pigeon_store_change_flags (fixture->imap.store, &m->id, 1,
                                            PIGEON_MESSAGE_FLAG_FLAGGED | PIGEON_MESSAGE_FLAG_SEEN,
                                            0, &error));
  flagged_uid_line = g_strdup ("\n4 \\Flagged \\Seen\n");
  g_assert_true (wait_for (fixture, server_has_flag, 5));
  g_test_message ("on the server %.2f s after the change",
                  (g_get_monotonic_time () - changed) / 1e6);
  g_clear_pointer (&flagged_uid_line, g_free);
  g_assert_cmpuint (pigeon_store_count_pending_ops (fixture->imap.store, NULL), ==, 0);
}

static gboolean
shows_auth_error (Fixture *fixture)
{
  return g_error_matches (pigeon_account_get_last_error (fixture->imap.account), PIGEON_ERROR,
                          PIGEON_ERROR_AUTH) &&
         pigeon_account_get_state (fixture->imap.account) == PIGEON_ACCOUNT_STATE_ERROR;
}

static void
test_wrong_password (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_secrets_store_sync (pigeon_account_get_id (fixture->imap.account),
                                            PIGEON_SECRET_ROLE_INCOMING, "test", "wrong",
                                            NULL, &error));
  start (fixture);
  g_assert_true (wait_for (fixture, shows_auth_error, 10));
  g_test_message ("%s", pigeon_account_get_last_error (fixture->imap.account)->message);

  /* The user enters the right one, and says so. */
  g_assert_true (pigeon_secrets_store_sync (pigeon_account_get_id (fixture->imap.account),
                                            PIGEON_SECRET_ROLE_INCOMING, "test",
                                            fixture->imap.password, NULL, &error));
  pigeon_account_sync_retry_now (fixture->sync);
  expected_count = 0;
  g_assert_true (wait_for (fixture, inbox_has_expected, 20));
  g_assert_null (pigeon_account_get_last_error (fixture->imap.account));
}

static gboolean
has_quota (Fixture *fixture)
{
  return pigeon_account_get_quota_limit (fixture->imap.account) > 0;
}

static void
test_quota (Fixture      *fixture,
            gconstpointer data)
{
  pigeon_test_harness_seed (fixture->imap.user, 30, NULL);
  start (fixture);
  g_assert_true (wait_for (fixture, has_quota, 20));
  g_assert_cmpuint (pigeon_account_get_quota_limit (fixture->imap.account), ==,
                    G_GUINT64_CONSTANT (1024) * 1024 * 1024);
  g_assert_cmpuint (pigeon_account_get_quota_used (fixture->imap.account), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/imap/scheduler/" path, Fixture, NULL, setup, func, teardown)
  ADD ("push", test_push);
  ADD ("push-other-folder", test_push_other_folder);
  ADD ("local-change-reaches-server", test_local_change_reaches_server);
  ADD ("wrong-password", test_wrong_password);
  ADD ("quota", test_quota);
#undef ADD

  return g_test_run ();
}
