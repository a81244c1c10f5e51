/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The IMAP provider against the harness Dovecot, checked with a second client. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-test-util.h"
#include "pigeon-error.h"
#include "pigeon-test-harness.h"

#define SEEDED 3000

static void
sync_ok (ImapFixture    *fixture,
         PigeonSyncFlags flags)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (imap_fixture_sync (fixture, fixture->provider, flags, &error));
  g_assert_no_error (error);
}

static void
assert_same_as_server (ImapFixture *fixture,
                       const char  *folder)
{
  g_autofree char *server = imap_server_listing (fixture, folder);
  g_autofree char *local = imap_store_listing (fixture, folder);

  g_assert_cmpstr (local, ==, server);
}

/* A seeded mailbox of a few thousand messages: the store lists exactly the server's UIDs
 * with the server's flags, and the envelopes are readable. */
static void
test_initial_sync (ImapFixture   *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) newest = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(PigeonFolder) sent = NULL;
  guint with_subject = 0;

  pigeon_test_harness_seed (fixture->user, SEEDED, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);

  assert_same_as_server (fixture, "INBOX");
  inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", &error);
  g_assert_cmpuint (inbox->total, ==, SEEDED);
  g_assert_cmpint (inbox->role, ==, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_cmpuint (inbox->uidvalidity, !=, 0);
  sent = pigeon_store_get_folder_by_role (fixture->store, PIGEON_FOLDER_ROLE_SENT, &error);
  g_assert_nonnull (sent);
  g_assert_cmpstr (sent->path, ==, "Sent");

  newest = pigeon_store_list_messages (fixture->store, inbox->id, 0, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (newest->len, ==, 50);
  for (guint i = 0; i < newest->len; i++)
    {
      PigeonMessage *m = g_ptr_array_index (newest, i);

      g_assert_nonnull (m->from);
      g_assert_cmpint (m->date, >, 0);
      g_assert_cmpint (m->size, >, 0);
      if (m->subject != NULL && *m->subject != '\0')
        with_subject++;
      g_assert_true (m->subject == NULL || g_utf8_validate (m->subject, -1, NULL));
    }
  g_assert_cmpuint (with_subject, >, 40);

  /* A second sync changes nothing. */
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  assert_same_as_server (fixture, "INBOX");
}

/* The peer's message with an encoded subject and a known Message-ID arrives intact. */
static void
test_envelope_fields (ImapFixture   *fixture,
                      gconstpointer  data)
{
  static const char message[] =
    "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.test>\r\n"
    "To: \"Doe, Jane\" <jane@example.test>, bob@example.test\r\n"
    "Cc: Team: a@example.test, b@example.test;\r\n"
    "Subject: =?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\n"
    "Message-ID: <envelope-1@peer.example>\r\n"
    "In-Reply-To: <parent@peer.example>\r\n"
    "References: <root@peer.example>\r\n <parent@peer.example>\r\n"
    "Date: Tue, 02 Jan 2024 09:30:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n"
    "--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
    "Content-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0=\r\n--b--\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  PigeonMessage *m;

  g_free (imap_peer (fixture, (const char *[]) { "append", "INBOX", NULL }, message));
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  messages = pigeon_store_list_messages (fixture->store, imap_fixture_folder_id (fixture, "INBOX"),
                                         0, 0, &error);
  g_assert_cmpuint (messages->len, ==, 1);
  m = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (m->subject, ==, "Grüße aus Köln");
  g_assert_cmpstr (m->from, ==, "Jürgen Müller <juergen@example.test>");
  g_assert_cmpstr (m->to, ==, "\"Doe, Jane\" <jane@example.test>, bob@example.test");
  g_assert_cmpstr (m->cc, ==, "a@example.test, b@example.test");
  g_assert_cmpstr (m->message_id, ==, "envelope-1@peer.example");
  g_assert_cmpstr (m->in_reply_to, ==, "parent@peer.example");
  g_assert_cmpstr (m->references, ==, "root@peer.example parent@peer.example");
  g_assert_cmpint (m->date, ==, 1704184200);
  g_assert_true (m->has_attachments);
}

/* A flag changed by another client shows after the next sync. */
static void
test_flag_from_other_client (ImapFixture   *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;

  pigeon_test_harness_seed (fixture->user, 200, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);

  g_free (IMAP_PEER (fixture, "store", "INBOX", "17", "+FLAGS", "\\Flagged", "\\Seen"));
  g_free (IMAP_PEER (fixture, "store", "INBOX", "18", "-FLAGS", "\\Seen"));
  g_free (IMAP_PEER (fixture, "store", "INBOX", "19", "+FLAGS", "$Forwarded"));
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);

  assert_same_as_server (fixture, "INBOX");
  inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", &error);
  m = pigeon_store_get_message_by_uid (fixture->store, inbox->id, 17, &error);
  g_assert_true (m->flags & PIGEON_MESSAGE_FLAG_FLAGGED);
}

/* The same without CONDSTORE's help: a FULL sync compares every flag. */
static void
test_full_flag_compare (ImapFixture   *fixture,
                        gconstpointer  data)
{
  pigeon_test_harness_seed (fixture->user, 300, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  g_free (IMAP_PEER (fixture, "store", "INBOX", "1:50", "+FLAGS", "\\Answered"));
  g_free (IMAP_PEER (fixture, "expunge", "INBOX", "60"));
  sync_ok (fixture, PIGEON_SYNC_FLAGS_FULL);
  assert_same_as_server (fixture, "INBOX");
}

static PigeonMessage *
message_by_uid (ImapFixture *fixture,
                const char  *folder,
                guint32      uid)
{
  g_autoptr(GError) error = NULL;
  PigeonMessage *m = pigeon_store_get_message_by_uid (fixture->store,
                                                       imap_fixture_folder_id (fixture, folder),
                                                       uid, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

/* Local flag, move and delete reach the server. */
static void
test_local_changes (ImapFixture   *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) flagged = NULL;
  g_autoptr(PigeonMessage) moved = NULL;
  g_autoptr(PigeonMessage) deleted = NULL;
  g_autoptr(PigeonMessage) moved_now = NULL;
  g_autofree char *archive = NULL;
  g_autofree char *inbox = NULL;
  gint64 archive_id;

  pigeon_test_harness_seed (fixture->user, 100, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  flagged = message_by_uid (fixture, "INBOX", 5);
  moved = message_by_uid (fixture, "INBOX", 6);
  deleted = message_by_uid (fixture, "INBOX", 7);
  archive_id = imap_fixture_folder_id (fixture, "Archive");

  g_assert_true (pigeon_store_change_flags (fixture->store, &flagged->id, 1,
                                            PIGEON_MESSAGE_FLAG_FLAGGED | PIGEON_MESSAGE_FLAG_SEEN,
                                            0, &error));
  g_assert_true (pigeon_store_move_messages (fixture->store, &moved->id, 1, archive_id, &error));
  g_assert_true (pigeon_store_expunge_messages (fixture->store, &deleted->id, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_pending_ops (fixture->store, NULL), ==, 3);

  g_assert_true (pigeon_provider_replay_pending_ops (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_pending_ops (fixture->store, NULL), ==, 0);

  inbox = IMAP_PEER (fixture, "uids", "INBOX");
  g_assert_nonnull (strstr (inbox, "\n5 \\Flagged \\Seen\n"));
  g_assert_null (strstr (inbox, "\n6 "));
  g_assert_null (strstr (inbox, "\n7 "));
  archive = IMAP_PEER (fixture, "messages", "Archive");
  g_assert_nonnull (strstr (archive, moved->message_id));

  /* The moved row learnt its new UID (COPYUID), so a sync does not add a second copy. */
  moved_now = pigeon_store_get_message (fixture->store, moved->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (moved_now->folder_id, ==, archive_id);
  g_assert_cmpuint (moved_now->uid, !=, 0);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  assert_same_as_server (fixture, "INBOX");
  assert_same_as_server (fixture, "Archive");
  g_assert_cmpuint (pigeon_store_count_messages (fixture->store, archive_id, NULL), ==, 1);
}

/* A queued change on a message another client deleted meanwhile is dropped, not retried. */
static void
test_change_on_vanished_message (ImapFixture   *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;

  pigeon_test_harness_seed (fixture->user, 20, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  m = message_by_uid (fixture, "INBOX", 3);
  g_free (IMAP_PEER (fixture, "expunge", "INBOX", "3"));
  g_assert_true (pigeon_store_change_flags (fixture->store, &m->id, 1, PIGEON_MESSAGE_FLAG_FLAGGED,
                                            0, &error));
  g_assert_true (pigeon_provider_replay_pending_ops (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_pending_ops (fixture->store, NULL), ==, 0);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  assert_same_as_server (fixture, "INBOX");
}

/* A draft appended locally is uploaded (APPENDUID gives the row its UID). */
static void
test_append (ImapFixture   *fixture,
             gconstpointer  data)
{
  static const char draft[] =
    "From: me@example.test\r\nTo: you@example.test\r\nSubject: A draft\r\n"
    "Message-ID: <draft-1@pigeon.test>\r\n\r\nNot finished.\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (draft, sizeof draft - 1);
  g_autoptr(PigeonMessage) row = NULL;
  g_autofree char *drafts = NULL;
  gint64 drafts_id;
  gint64 id;

  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  drafts_id = imap_fixture_folder_id (fixture, "Drafts");
  id = pigeon_store_append_message (fixture->store, drafts_id, raw,
                                    PIGEON_MESSAGE_FLAG_DRAFT | PIGEON_MESSAGE_FLAG_SEEN, &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_provider_replay_pending_ops (fixture->provider, NULL, &error));
  g_assert_no_error (error);

  drafts = IMAP_PEER (fixture, "uids", "Drafts");
  g_assert_cmpstr (drafts, ==, "1 \\Draft \\Seen\n");
  row = pigeon_store_get_message (fixture->store, id, &error);
  g_assert_cmpuint (row->uid, ==, 1);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  g_assert_cmpuint (pigeon_store_count_messages (fixture->store, drafts_id, NULL), ==, 1);
}

/* An upload whose answer was lost (Pigeon stopped, the connection dropped) may have been
 * stored: replayed, it leaves one copy, and the local row takes that copy's UID.  A draft
 * saved again with the same Message-ID but other words still goes up. */
static void
test_append_once (ImapFixture   *fixture,
                  gconstpointer  data)
{
  static const char sent[] =
    "From: me@example.test\r\nTo: you@example.test\r\nSubject: Sent once\r\n"
    "Message-ID: <sent-once@pigeon.test>\r\n\r\nOnly one copy, please.\r\n";
  static const char edited[] =
    "From: me@example.test\r\nTo: you@example.test\r\nSubject: Sent once\r\n"
    "Message-ID: <sent-once@pigeon.test>\r\n\r\nOnly one copy, please!\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static (sent, sizeof sent - 1);
  g_autoptr(GBytes) other = g_bytes_new_static (edited, sizeof edited - 1);
  g_autoptr(PigeonMessage) row = NULL;
  g_autofree char *uids = NULL, *after = NULL;
  gint64 sent_id, id;

  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  sent_id = imap_fixture_folder_id (fixture, "Sent");
  /* the first upload reached the server; its answer never came back */
  g_free (imap_peer (fixture, (const char *[]) { "append", "Sent", NULL }, sent));
  g_free (imap_peer (fixture, (const char *[]) { "append", "Sent", NULL }, "Subject: other\r\n"
                     "Message-ID: <sent-once@pigeon.test>\r\n\r\nnot the same\r\n"));
  id = pigeon_store_append_message (fixture->store, sent_id, raw, PIGEON_MESSAGE_FLAG_SEEN,
                                    &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_provider_replay_pending_ops (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  uids = IMAP_PEER (fixture, "uids", "Sent");
  g_assert_cmpstr (uids, ==, "1 \n2 \n");
  row = pigeon_store_get_message (fixture->store, id, &error);
  g_assert_cmpuint (row->uid, ==, 1);

  /* other bytes under the same Message-ID are another message: they go up */
  pigeon_store_append_message (fixture->store, sent_id, other, PIGEON_MESSAGE_FLAG_SEEN,
                               &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_provider_replay_pending_ops (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  after = IMAP_PEER (fixture, "uids", "Sent");
  g_assert_cmpstr (after, ==, "1 \n2 \n3 \\Seen\n");
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  g_assert_cmpuint (pigeon_store_count_messages (fixture->store, sent_id, NULL), ==, 3);
}

/* Bodies: on demand, and prefetched with PIGEON_SYNC_FLAGS_BODIES. */
static void
test_bodies (ImapFixture   *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GArray) missing = NULL;
  gint64 inbox;

  pigeon_test_harness_seed (fixture->user, 150, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  inbox = imap_fixture_folder_id (fixture, "INBOX");
  m = message_by_uid (fixture, "INBOX", 42);
  g_assert_null (pigeon_store_get_body (fixture->store, m->id, &error));
  g_assert_true (pigeon_provider_fetch_body (fixture->provider, m->id, NULL, &error));
  g_assert_no_error (error);
  body = pigeon_store_get_body (fixture->store, m->id, &error);
  g_assert_nonnull (body);
  g_assert_cmpuint (g_bytes_get_size (body), ==, (gsize) m->size);

  sync_ok (fixture, PIGEON_SYNC_FLAGS_BODIES);
  missing = pigeon_store_list_missing_bodies (fixture->store, inbox, 0, 0, &error);
  g_assert_cmpuint (missing->len, ==, 0);
  {
    g_autoptr(GPtrArray) hits = pigeon_store_search (fixture->store, "commodo", inbox, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, >, 0);
  }
}

/* New mail while idling shows within seconds. */
typedef struct
{
  ImapFixture *fixture;
  PigeonProvider *provider;
  gboolean done;
  gboolean ok;
  gint64 woke;
  GError *error;
} Waiter;

static gpointer
wait_thread (gpointer data)
{
  Waiter *w = data;

  w->ok = pigeon_provider_wait_for_changes (w->provider, 60, NULL, &w->error);
  w->woke = g_get_monotonic_time ();
  g_atomic_int_set (&w->done, TRUE);
  return NULL;
}

static void
test_idle (ImapFixture   *fixture,
           gconstpointer  data)
{
  static const char message[] =
    "From: a@example.test\r\nTo: b@example.test\r\nSubject: Pushed\r\n"
    "Message-ID: <pushed@peer>\r\n\r\nhello\r\n";
  g_autoptr(PigeonProvider) waiter_provider = imap_fixture_new_provider (fixture);
  Waiter w = { fixture, waiter_provider };
  GThread *thread;
  gint64 delivered;

  pigeon_test_harness_seed (fixture->user, 10, NULL);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  thread = g_thread_new ("wait", wait_thread, &w);
  g_usleep (1500 * 1000);     /* let it log in and enter IDLE */
  g_assert_false (g_atomic_int_get (&w.done));

  delivered = g_get_monotonic_time ();
  pigeon_test_harness_deliver (fixture->user, NULL, message);
  g_thread_join (thread);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  g_test_message ("woke %.2f s after delivery", (w.woke - delivered) / 1e6);
  g_assert_cmpint (w.woke - delivered, <, 5 * G_USEC_PER_SEC);

  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  g_assert_cmpuint (pigeon_store_count_messages (fixture->store,
                                                 imap_fixture_folder_id (fixture, "INBOX"), NULL),
                    ==, 11);
  pigeon_provider_disconnect (waiter_provider);
}

/* Cancelling a wait ends it at once and leaves the provider usable. */
static gpointer
cancel_later_thread (gpointer data)
{
  g_usleep (700 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_idle_cancel (ImapFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start;
  GThread *thread;

  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  start = g_get_monotonic_time ();
  thread = g_thread_new ("cancel", cancel_later_thread, cancellable);
  g_assert_false (pigeon_provider_wait_for_changes (fixture->provider, 60, cancellable, &error));
  g_thread_join (thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* A wait that times out returns TRUE, on the same idle connection. */
  g_assert_true (pigeon_provider_wait_for_changes (fixture->provider, 2, NULL, &error));
  g_assert_no_error (error);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
}

/* A folder recreated on the server (new UIDVALIDITY) is rebuilt. */
static void
test_uidvalidity_change (ImapFixture   *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) before = NULL;
  g_autoptr(PigeonFolder) after = NULL;
  g_autofree char *listing = NULL;

  pigeon_test_harness_seed (fixture->user, 40, "Lists/dev");
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  before = pigeon_store_get_folder_by_path (fixture->store, "Lists/dev", &error);
  g_assert_cmpuint (before->total, ==, 40);

  g_usleep (1100 * 1000);   /* Dovecot takes UIDVALIDITY from the clock */
  g_free (IMAP_PEER (fixture, "recreate", "Lists/dev", "3"));
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  after = pigeon_store_get_folder_by_path (fixture->store, "Lists/dev", &error);
  g_assert_cmpuint (after->uidvalidity, !=, before->uidvalidity);
  g_assert_cmpuint (after->total, ==, 3);
  assert_same_as_server (fixture, "Lists/dev");
  listing = IMAP_PEER (fixture, "messages", "Lists/dev");
  g_assert_nonnull (strstr (listing, "<recreated-2@peer>"));
}

/* Folder changes: create, rename, delete. */
static void
test_folder_ops (ImapFixture   *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folders = NULL;
  gint64 id;

  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  id = pigeon_store_create_folder (fixture->store, "Projekte/Größe", "/", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  folders = IMAP_PEER (fixture, "folders");
  g_assert_nonnull (strstr (folders, "Projekte/Gr&APYA3w-e"));
  g_assert_cmpint (imap_fixture_folder_id (fixture, "Projekte/Größe"), >, 0);

  /* The store has no user calls for these yet: the provider gets the ops directly. */
  {
    g_autoptr(PigeonPendingOp) rename = pigeon_pending_op_new (PIGEON_OP_RENAME_FOLDER);
    g_autoptr(PigeonPendingOp) remove = pigeon_pending_op_new (PIGEON_OP_DELETE_FOLDER);
    g_autoptr(PigeonPendingOp) stale = pigeon_pending_op_new (PIGEON_OP_RENAME_FOLDER);

    rename->path = g_strdup ("Projekte/Größe");
    rename->new_path = g_strdup ("Projekte/Übersicht");
    g_assert_true (pigeon_provider_apply_op (fixture->provider, rename, NULL, &error));
    g_assert_no_error (error);
    g_free (folders);
    folders = IMAP_PEER (fixture, "folders");
    g_assert_null (strstr (folders, "Projekte/Gr&APYA3w-e"));
    g_assert_nonnull (strstr (folders, "Projekte/&ANw-bersicht"));

    remove->path = g_strdup ("Projekte/Übersicht");
    g_assert_true (pigeon_provider_apply_op (fixture->provider, remove, NULL, &error));
    g_assert_no_error (error);
    g_free (folders);
    folders = IMAP_PEER (fixture, "folders");
    g_assert_null (strstr (folders, "&ANw-bersicht"));

    /* Renaming what is not there any more is dropped, not retried. */
    stale->path = g_strdup ("Nirgends");
    stale->new_path = g_strdup ("Irgendwo");
    g_assert_true (pigeon_provider_apply_op (fixture->provider, stale, NULL, &error));
    g_assert_no_error (error);
  }
  sync_ok (fixture, PIGEON_SYNC_FLAGS_NONE);
  {
    g_autoptr(PigeonFolder) gone = pigeon_store_get_folder_by_path (fixture->store,
                                                                    "Projekte/Größe", NULL);

    g_assert_null (gone);
  }
}

static PigeonStore *
scratch_store (void)
{
  g_autofree char *config = NULL;
  g_autofree char *data_dir = NULL;
  g_autoptr(GError) error = NULL;
  PigeonStore *store;

  pigeon_test_make_dirs (&config, &data_dir);
  store = pigeon_store_open (data_dir, &error);
  g_assert_no_error (error);
  return store;
}

/* One sync through PROXY into STORE (cut where the proxy is set to cut); TRUE when it got
 * through, FALSE when the cut ended it, which must be with a transient error. */
static gboolean
sync_through (ImapFixture *fixture,
              PigeonStore *store,
              PigeonSyncFlags flags)
{
  ImapFixture other = *fixture;
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  other.store = store;
  provider = imap_fixture_new_provider (&other);
  ok = imap_fixture_sync (&other, provider, flags, &error);
  if (!ok)
    {
      g_test_message ("cut: %s", error->message);
      g_assert_true (pigeon_error_is_transient (error));
    }
  pigeon_provider_disconnect (provider);
  return ok;
}

static void
assert_store_same_as_server (ImapFixture *fixture,
                             PigeonStore *store,
                             guint        inbox_count)
{
  ImapFixture other = *fixture;

  other.store = store;
  assert_same_as_server (&other, "INBOX");
  assert_same_as_server (&other, "Archive");
  g_assert_cmpuint (pigeon_store_count_messages (store, imap_fixture_folder_id (&other, "INBOX"),
                                                 NULL), ==, inbox_count);
}

/* The connection cut at many points of a first sync (envelopes, then bodies): the next sync
 * completes it, and the store equals the server with no message twice. */
static void
test_cut_connection (ImapFixture   *fixture,
                     gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  ImapProxy *proxy = imap_proxy_new (h->imaps_port);
  guint64 total;
  guint resumed_failures = 0;
  const guint points = 12;

  pigeon_test_harness_seed (fixture->user, 800, NULL);
  pigeon_test_harness_seed (fixture->user, 100, "Archive");
  g_object_set (fixture->account, "port", (guint) imap_proxy_get_port (proxy), NULL);

  /* How many bytes a whole first sync with bodies takes. */
  {
    g_autoptr(PigeonStore) store = scratch_store ();

    g_assert_true (sync_through (fixture, store, PIGEON_SYNC_FLAGS_BODIES));
    g_usleep (100 * 1000);
    total = imap_proxy_get_bytes (proxy);
    pigeon_store_close (store);
  }
  g_test_message ("a full sync reads %" G_GUINT64_FORMAT " bytes", total);
  g_assert_cmpuint (total, >, 100000);

  /* Each cut point on a fresh cache: cut, then finish. */
  for (guint i = 1; i <= points; i++)
    {
      g_autoptr(PigeonStore) store = scratch_store ();

      imap_proxy_set_cut (proxy, total * i / (points + 1));
      g_assert_false (sync_through (fixture, store, PIGEON_SYNC_FLAGS_BODIES));
      imap_proxy_set_cut (proxy, 0);
      g_assert_true (sync_through (fixture, store, PIGEON_SYNC_FLAGS_BODIES));
      assert_store_same_as_server (fixture, store, 800);
      pigeon_store_close (store);
    }

  /* One cache cut again and again, each sync getting further. */
  for (guint i = 1; i <= points; i++)
    {
      imap_proxy_set_cut (proxy, total * i / (points + 1));
      if (!sync_through (fixture, fixture->store, PIGEON_SYNC_FLAGS_BODIES))
        resumed_failures++;
    }
  g_test_message ("%u of %u cut syncs failed on one cache", resumed_failures, points);
  g_assert_cmpuint (resumed_failures, >=, 3);
  imap_proxy_set_cut (proxy, 0);
  g_assert_true (sync_through (fixture, fixture->store, PIGEON_SYNC_FLAGS_BODIES));
  assert_store_same_as_server (fixture, fixture->store, 800);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) missing = pigeon_store_list_missing_bodies (
      fixture->store, imap_fixture_folder_id (fixture, "INBOX"), 0, 0, &error);

    g_assert_cmpuint (missing->len, ==, 0);
  }
  imap_proxy_free (proxy);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/imap/sync/" path, ImapFixture, NULL, imap_fixture_setup, func, \
              imap_fixture_teardown)
  ADD ("initial", test_initial_sync);
  ADD ("envelope-fields", test_envelope_fields);
  ADD ("flag-from-other-client", test_flag_from_other_client);
  ADD ("full-flag-compare", test_full_flag_compare);
  ADD ("local-changes", test_local_changes);
  ADD ("change-on-vanished-message", test_change_on_vanished_message);
  ADD ("append", test_append);
  ADD ("append-once", test_append_once);
  ADD ("bodies", test_bodies);
  ADD ("idle", test_idle);
  ADD ("idle-cancel", test_idle_cancel);
  ADD ("uidvalidity-change", test_uidvalidity_change);
  ADD ("folder-ops", test_folder_ops);
  ADD ("cut-connection", test_cut_connection);
#undef ADD

  return g_test_run ();
}
