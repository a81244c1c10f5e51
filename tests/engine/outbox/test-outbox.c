/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The outbox with a scripted sending provider: every path an entry can take, crashes
 * simulated at each point (the rows a dead sender leaves behind), undo, send later,
 * backoff, the copy in Sent, drafts, and address completion. */
#define G_LOG_DOMAIN "test-outbox"

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-outbox.h"
#include "pigeon-store-outbox.h"
#include "test-store-util.h"

/* ------------------------------------------------------------------ a scripted provider */

typedef enum
{
  OUTCOME_ACCEPT,
  OUTCOME_ACCEPT_SOME,        /* accepted, "nobody@" rejected */
  OUTCOME_REFUSE,             /* PIGEON_ERROR_REJECTED before the data */
  OUTCOME_UNREACHABLE,        /* connect fails: PIGEON_ERROR_CONNECT */
  OUTCOME_LOST_BEFORE_DATA,   /* CONNECTION_LOST before the checkpoint */
  OUTCOME_LOST_AFTER_DATA,    /* CONNECTION_LOST after the checkpoint */
} Outcome;

static struct
{
  Outcome outcome;
  GPtrArray *sent;          /* GBytes of every message the "server" accepted */
  guint checkpoints;
  guint connects;
} script;

typedef struct { PigeonProvider parent_instance; } TestSender;
typedef struct { PigeonProviderClass parent_class; } TestSenderClass;

static gboolean
test_sender_connect (PigeonProvider  *provider,
                     GCancellable    *cancellable,
                     GError         **error)
{
  script.connects++;
  if (script.outcome == OUTCOME_UNREACHABLE)
    {
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT,
                           "Could not connect to smtp.example.test: Connection refused");
      return FALSE;
    }
  return TRUE;
}

static gboolean
test_sender_send (PigeonProvider      *provider,
                  GBytes              *message,
                  const char          *from,
                  const char * const  *recipients,
                  GPtrArray           *rejected,
                  GCancellable        *cancellable,
                  GError             **error)
{
  gboolean checkpoints = (pigeon_provider_get_caps (provider) &
                          PIGEON_PROVIDER_CAP_SEND_CHECKPOINT) != 0;

  switch (script.outcome)
    {
    case OUTCOME_REFUSE:
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED,
                           "The outgoing server refused the message: 554 spam");
      return FALSE;
    case OUTCOME_LOST_BEFORE_DATA:
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST, "Lost.");
      return FALSE;
    default:
      break;
    }
  if (checkpoints)
    {
      if (!pigeon_provider_send_checkpoint (provider, error))
        return FALSE;
      script.checkpoints++;
    }
  if (script.outcome == OUTCOME_LOST_AFTER_DATA)
    {
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST, "Lost.");
      return FALSE;
    }
  if (script.outcome == OUTCOME_ACCEPT_SOME)
    g_ptr_array_add (rejected,
                     g_strdup ("nobody@example.test was rejected: 550 5.1.1 User unknown"));
  g_ptr_array_add (script.sent, g_bytes_ref (message));
  return TRUE;
}

static void
test_sender_class_init_common (PigeonProviderClass *klass,
                               const char          *protocol,
                               PigeonProviderCaps   caps)
{
  klass->protocol = protocol;
  klass->display_name = protocol;
  klass->description = "Sends for the outbox tests";
  klass->default_port_tls = 1;
  klass->default_port_plain = 2;
  klass->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_SEND | caps;
  klass->connect = test_sender_connect;
  klass->send = test_sender_send;
}

/* "outboxserver": the server keeps mail (Sent is a server folder), checkpoints. */
static GType test_server_get_type (void);
G_DEFINE_TYPE (TestSender, test_server, PIGEON_TYPE_PROVIDER)
static void test_server_class_init (TestSenderClass *klass)
{
  test_sender_class_init_common (PIGEON_PROVIDER_CLASS (klass), "outboxserver",
                                 PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL |
                                 PIGEON_PROVIDER_CAP_SEND_CHECKPOINT);
}
static void test_server_init (TestSender *self) { }

/* "outboxlocal": folders are local (POP3-like), no checkpoint. */
typedef TestSender TestLocal;
typedef TestSenderClass TestLocalClass;
static GType test_local_get_type (void);
G_DEFINE_TYPE (TestLocal, test_local, PIGEON_TYPE_PROVIDER)
static void test_local_class_init (TestLocalClass *klass)
{
  test_sender_class_init_common (PIGEON_PROVIDER_CLASS (klass), "outboxlocal", 0);
}
static void test_local_init (TestLocal *self) { }

/* "outboxsaves": files the copy in Sent itself (ActiveSync-like). */
typedef TestSender TestSaves;
typedef TestSenderClass TestSavesClass;
static GType test_saves_get_type (void);
G_DEFINE_TYPE (TestSaves, test_saves, PIGEON_TYPE_PROVIDER)
static void test_saves_class_init (TestSavesClass *klass)
{
  test_sender_class_init_common (PIGEON_PROVIDER_CLASS (klass), "outboxsaves",
                                 PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL |
                                 PIGEON_PROVIDER_CAP_SAVES_SENT);
}
static void test_saves_init (TestSaves *self) { }

/* "outboxnosend": receives only; the account has no outgoing server either. */
typedef struct { PigeonProvider parent_instance; } TestNoSend;
typedef struct { PigeonProviderClass parent_class; } TestNoSendClass;
static GType test_no_send_get_type (void);
G_DEFINE_TYPE (TestNoSend, test_no_send, PIGEON_TYPE_PROVIDER)
static void test_no_send_class_init (TestNoSendClass *klass)
{
  PIGEON_PROVIDER_CLASS (klass)->protocol = "outboxnosend";
  PIGEON_PROVIDER_CLASS (klass)->display_name = "outboxnosend";
  PIGEON_PROVIDER_CLASS (klass)->caps = PIGEON_PROVIDER_CAP_RECEIVE;
}
static void test_no_send_init (TestNoSend *self) { }

/* ------------------------------------------------------------------ fixture */

typedef struct
{
  char *dir;
  PigeonAccount *account;
  PigeonStore *store;
  PigeonOutbox *outbox;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *protocol = data != NULL ? data : "outboxserver";
  g_autoptr(PigeonProvider) sender = NULL;
  g_autoptr(GError) error = NULL;

  script.outcome = OUTCOME_ACCEPT;
  script.sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  script.checkpoints = 0;
  script.connects = 0;

  f->dir = test_make_tmp_dir ();
  f->account = pigeon_account_new ("0badcafe");
  g_object_set (f->account, "email", "zoe@example.test", "protocol", protocol,
                "host", "mail.example.test", NULL);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->outbox = pigeon_outbox_new (f->account, f->store);
  /* With a password, so the base class does not ask the keyring. */
  sender = pigeon_provider_new_for_sending (f->account, f->store, NULL);
  if (sender != NULL)
    {
      pigeon_provider_set_password (sender, "secret");
      pigeon_outbox_set_sender (f->outbox, sender);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->outbox);
  test_unref_and_wait (g_steal_pointer (&f->store));
  g_clear_object (&f->account);
  test_remove_tree (f->dir);
  g_free (f->dir);
  g_clear_pointer (&script.sent, g_ptr_array_unref);
}

static GBytes *
make_message (const char *subject)
{
  g_autofree char *text = g_strdup_printf (
    "From: Zoë <zoe@example.test>\r\nTo: bob@example.test\r\nSubject: %s\r\n"
    "Message-ID: <%s@example.test>\r\nDate: Fri, 01 Mar 2024 10:00:00 +0000\r\n\r\n"
    "Body of %s\r\n", subject, subject, subject);

  return g_bytes_new (text, strlen (text));
}

static gint64
queue (Fixture    *f,
       const char *subject,
       gint64      send_after)
{
  g_autoptr(GBytes) raw = make_message (subject);
  g_autoptr(GError) error = NULL;
  const char *recipients[] = { "bob@example.test", "nobody@example.test", NULL };
  gint64 id;

  id = pigeon_store_outbox_add (f->store, raw, "zoe@example.test", recipients, send_after,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
flush (Fixture  *f,
       gboolean  retry_now)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_outbox_flush (f->outbox, retry_now, NULL, &error));
  g_assert_no_error (error);
}

static PigeonOutboxEntry *
entry (Fixture *f,
       gint64   id)
{
  g_autoptr(GError) error = NULL;
  PigeonOutboxEntry *e = pigeon_store_outbox_get (f->store, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (e);
  return e;
}

static guint
count_in_role (Fixture          *f,
               PigeonFolderRole  role)
{
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder_by_role (f->store, role, NULL);

  return folder != NULL ? pigeon_store_count_messages (f->store, folder->id, NULL) : 0;
}

static guint
count_ops (Fixture      *f,
           PigeonOpKind  kind)
{
  g_autoptr(GPtrArray) ops = pigeon_store_list_pending_ops (f->store, NULL);
  guint n = 0;

  for (guint i = 0; i < ops->len; i++)
    if (((PigeonPendingOp *) g_ptr_array_index (ops, i))->kind == kind)
      n++;
  return n;
}

/* ------------------------------------------------------------------ sending */

static void
test_send (Fixture       *f,
           gconstpointer  data)
{
  gint64 id = queue (f, "hello", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;
  g_autoptr(GBytes) expected = make_message ("hello");
  g_autoptr(PigeonFolder) sent = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  g_assert_cmpuint (pigeon_store_outbox_count_waiting (f->store, NULL), ==, 1);
  flush (f, FALSE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_true (e->saved_to_sent);
  g_assert_null (e->last_error);
  g_assert_cmpuint (script.sent->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (script.sent, 0), expected));
  g_assert_cmpuint (script.checkpoints, ==, 1);
  g_assert_cmpuint (pigeon_store_outbox_count_waiting (f->store, NULL), ==, 0);

  /* The copy is in a Sent folder made for it on the server: a queued create, then an
   * append, both for the account's provider to replay. */
  sent = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_SENT, NULL);
  g_assert_nonnull (sent);
  g_assert_cmpstr (sent->path, ==, "Sent");
  g_assert_false (sent->flags & PIGEON_FOLDER_FLAG_LOCAL);
  messages = pigeon_store_list_messages (f->store, sent->id, 0, 0, NULL);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpstr (((PigeonMessage *) g_ptr_array_index (messages, 0))->message_id, ==,
                   "hello@example.test");
  g_assert_true (((PigeonMessage *) g_ptr_array_index (messages, 0))->flags &
                 PIGEON_MESSAGE_FLAG_SEEN);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_CREATE_FOLDER), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_APPEND), ==, 1);

  /* Nothing goes twice. */
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 1);
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 1);
}

static void
test_send_local_sent (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(PigeonFolder) sent = NULL;

  queue (f, "local", now ());
  flush (f, FALSE);
  g_assert_cmpuint (script.sent->len, ==, 1);
  g_assert_cmpuint (script.checkpoints, ==, 0);
  sent = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_SENT, NULL);
  g_assert_nonnull (sent);
  g_assert_true (sent->flags & PIGEON_FOLDER_FLAG_LOCAL);
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_CREATE_FOLDER), ==, 0);
}

static void
test_send_saves_sent (Fixture       *f,
                      gconstpointer  data)
{
  gint64 id = queue (f, "saves", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;

  flush (f, FALSE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 0);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_APPEND), ==, 0);
}

static void
test_existing_sent_folder (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  gint64 sent_id;

  folder->path = g_strdup ("Sent Items");
  folder->role = PIGEON_FOLDER_ROLE_SENT;
  sent_id = pigeon_store_upsert_folder (f->store, folder, NULL);
  queue (f, "existing", now ());
  flush (f, FALSE);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, sent_id, NULL), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_CREATE_FOLDER), ==, 0);
}

static void
test_some_rejected (Fixture       *f,
                    gconstpointer  data)
{
  gint64 id = queue (f, "some", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;

  script.outcome = OUTCOME_ACCEPT_SOME;
  flush (f, FALSE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpstr (e->last_error, ==, "nobody@example.test was rejected: 550 5.1.1 User unknown");
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 1);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  gint64 id = queue (f, "refused", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;
  g_autoptr(PigeonOutboxEntry) again = NULL;

  script.outcome = OUTCOME_REFUSE;
  flush (f, TRUE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_FAILED);
  g_assert_cmpstr (e->last_error, ==, "The outgoing server refused the message: 554 spam");
  /* failed waits for the user, even when asked to retry */
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 0);
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 0);

  /* "Send Again" */
  script.outcome = OUTCOME_ACCEPT;
  g_assert_true (pigeon_outbox_retry (f->outbox, id, NULL));
  flush (f, FALSE);
  again = entry (f, id);
  g_assert_cmpint (again->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpuint (script.sent->len, ==, 1);
}

static void
test_unreachable_backoff (Fixture       *f,
                          gconstpointer  data)
{
  gint64 first = queue (f, "first", now ());
  gint64 second = queue (f, "second", now ());
  gint64 before = now ();
  g_autoptr(PigeonOutboxEntry) e1 = NULL;
  g_autoptr(PigeonOutboxEntry) e2 = NULL;
  g_autoptr(PigeonOutboxEntry) e3 = NULL;
  g_autoptr(PigeonOutboxEntry) after = NULL;

  script.outcome = OUTCOME_UNREACHABLE;
  flush (f, FALSE);
  e1 = entry (f, first);
  e2 = entry (f, second);
  g_assert_cmpint (e1->state, ==, PIGEON_OUTBOX_QUEUED);
  g_assert_cmpuint (e1->attempts, ==, 1);
  g_assert_cmpint (e1->send_after, >=, before + 30);
  g_assert_cmpint (e1->send_after, <=, now () + 30);
  g_assert_nonnull (strstr (e1->last_error, "Connection refused"));
  g_assert_cmpint (e2->state, ==, PIGEON_OUTBOX_QUEUED);
  /* one connection attempt for the pass, not one per message */
  g_assert_cmpuint (script.connects, ==, 1);
  g_assert_cmpuint (pigeon_store_outbox_count_waiting (f->store, NULL), ==, 2);

  /* not due yet: a plain pass leaves them */
  flush (f, FALSE);
  g_assert_cmpuint (script.connects, ==, 1);

  /* the backoff doubles */
  flush (f, TRUE);
  e3 = entry (f, first);
  g_assert_cmpuint (e3->attempts, ==, 2);
  g_assert_cmpint (e3->send_after, >=, before + 60);

  /* the server is back: each goes once */
  script.outcome = OUTCOME_ACCEPT;
  flush (f, TRUE);
  after = entry (f, second);
  g_assert_cmpint (after->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpuint (script.sent->len, ==, 2);
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 2);
}

static void
test_no_outgoing_server (Fixture       *f,
                         gconstpointer  data)
{
  gint64 id = queue (f, "nowhere", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;

  flush (f, TRUE);
  e = entry (f, id);
  /* it waits, saying why, for the account's settings to change */
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_QUEUED);
  g_assert_cmpuint (e->attempts, ==, 1);
  g_assert_nonnull (strstr (e->last_error, "has no outgoing server"));
  g_assert_cmpuint (script.sent->len, ==, 0);
}

static void
test_send_later (Fixture       *f,
                 gconstpointer  data)
{
  gint64 id = queue (f, "later", now () + 3600);
  g_autoptr(PigeonOutboxEntry) e = NULL;
  g_autoptr(GPtrArray) list = NULL;

  flush (f, TRUE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_QUEUED);
  g_assert_cmpuint (script.sent->len, ==, 0);
  g_assert_cmpuint (script.connects, ==, 0);
  list = pigeon_store_outbox_list (f->store, NULL);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((PigeonOutboxEntry *) g_ptr_array_index (list, 0))->subject, ==, "later");
  g_assert_null (((PigeonOutboxEntry *) g_ptr_array_index (list, 0))->raw);
}

static void
test_lost_before_data (Fixture       *f,
                       gconstpointer  data)
{
  gint64 id = queue (f, "before", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;

  script.outcome = OUTCOME_LOST_BEFORE_DATA;
  flush (f, FALSE);
  e = entry (f, id);
  /* nothing reached the server: tried again later */
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_QUEUED);
  g_assert_cmpint (e->sent_at, ==, 0);
}

static void
test_lost_after_data (Fixture       *f,
                      gconstpointer  data)
{
  gint64 id = queue (f, "after", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;

  script.outcome = OUTCOME_LOST_AFTER_DATA;
  flush (f, FALSE);
  e = entry (f, id);
  /* the server may have it: the user decides */
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_FAILED);
  g_assert_nonnull (strstr (e->last_error, "may already have been sent"));
  script.outcome = OUTCOME_ACCEPT;
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 0);
}

/* ------------------------------------------------------------------ a dead sender's rows */

static void
test_crash_before_handover (Fixture       *f,
                            gconstpointer  data)
{
  gint64 id = queue (f, "crash1", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;
  gboolean claimed;

  /* What a sender that died while connecting or uploading leaves. */
  g_assert_true (pigeon_store_outbox_claim (f->store, id, &claimed, NULL));
  g_assert_true (claimed);
  flush (f, FALSE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpuint (script.sent->len, ==, 1);
}

static void
test_crash_after_handover (Fixture       *f,
                           gconstpointer  data)
{
  gint64 id = queue (f, "crash2", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;
  gboolean claimed;

  /* What a sender that died between the end of the data and recording the answer
   * leaves. */
  g_assert_true (pigeon_store_outbox_claim (f->store, id, &claimed, NULL));
  g_assert_true (pigeon_store_outbox_mark_handed_over (f->store, id, NULL));
  flush (f, TRUE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_FAILED);
  g_assert_nonnull (strstr (e->last_error, "may already have been sent"));
  g_assert_cmpuint (script.sent->len, ==, 0);
  g_assert_cmpuint (count_in_role (f, PIGEON_FOLDER_ROLE_SENT), ==, 0);
}

static void
test_crash_after_handover_in_sent (Fixture       *f,
                                   gconstpointer  data)
{
  gint64 id = queue (f, "crash3", now ());
  g_autoptr(PigeonOutboxEntry) e = NULL;
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  g_autoptr(PigeonMessage) copy = pigeon_message_new ();
  g_autoptr(GPtrArray) rows = test_message_array_new ();
  gint64 sent_id;
  gboolean claimed;

  g_assert_true (pigeon_store_outbox_claim (f->store, id, &claimed, NULL));
  g_assert_true (pigeon_store_outbox_mark_handed_over (f->store, id, NULL));
  /* A server that files sent mail itself has it in Sent, as a sync found. */
  folder->path = g_strdup ("Sent");
  folder->role = PIGEON_FOLDER_ROLE_SENT;
  sent_id = pigeon_store_upsert_folder (f->store, folder, NULL);
  copy->uidvalidity = 1;
  copy->uid = 7;
  copy->message_id = g_strdup ("crash3@example.test");
  copy->subject = g_strdup ("crash3");
  g_ptr_array_add (rows, g_steal_pointer (&copy));
  g_assert_true (pigeon_store_upsert_messages (f->store, sent_id, rows, NULL));

  flush (f, TRUE);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_SENT);
  g_assert_cmpuint (script.sent->len, ==, 0);
  /* and no second copy in Sent */
  g_assert_cmpuint (pigeon_store_count_messages (f->store, sent_id, NULL), ==, 1);
}

static void
test_one_sender_at_a_time (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "outbox.lock", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  int fd;

  queue (f, "locked", now ());
  /* another process sending for the account */
  fd = g_open (path, O_RDWR | O_CREAT, 0600);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
  g_cancellable_cancel (cancellable);
  g_assert_false (pigeon_outbox_flush (f->outbox, FALSE, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (script.sent->len, ==, 0);
  close (fd);
  flush (f, FALSE);
  g_assert_cmpuint (script.sent->len, ==, 1);
}

/* ------------------------------------------------------------------ undo, in the background */

typedef struct
{
  gboolean done;
  gint64 id;
  PigeonOutboxEntry *entry;
  GError *error;
  guint sent;
  GStrv rejected;
} Wait;

static void
queued_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  w->id = pigeon_outbox_queue_finish (PIGEON_OUTBOX (source), result, &w->error);
  w->done = TRUE;
}

static void
undone_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  w->entry = pigeon_outbox_undo_finish (PIGEON_OUTBOX (source), result, &w->error);
  w->done = TRUE;
}

static void
sent_cb (PigeonOutbox *outbox,
         gint64        id,
         const char   *subject,
         GStrv         rejected,
         Wait         *w)
{
  w->sent++;
  g_strfreev (w->rejected);
  w->rejected = g_strdupv (rejected);
  w->done = TRUE;
}

static gint64
queue_async (Fixture    *f,
             const char *subject,
             gint64      send_at)
{
  g_autoptr(GBytes) raw = make_message (subject);
  const char *recipients[] = { "bob@example.test", NULL };
  Wait w = { 0 };

  pigeon_outbox_queue_async (f->outbox, raw, "zoe@example.test", recipients, send_at, NULL,
                             queued_cb, &w);
  test_wait_for_flag (&w.done);
  g_assert_no_error (w.error);
  return w.id;
}

static void
test_undo (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GBytes) expected = make_message ("undo");
  g_autoptr(PigeonOutboxEntry) e = NULL;
  gint64 before = now ();
  gint64 id;
  Wait w = { 0 };

  pigeon_outbox_set_undo_delay (f->outbox, 30);
  id = queue_async (f, "undo", 0);
  e = entry (f, id);
  g_assert_cmpint (e->send_after, >=, before + 30);
  g_assert_cmpint (e->send_after, <=, now () + 31);
  /* within the delay nothing goes, even when retrying */
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 0);

  pigeon_outbox_undo_async (f->outbox, id, NULL, undone_cb, &w);
  test_wait_for_flag (&w.done);
  g_assert_no_error (w.error);
  g_assert_true (g_bytes_equal (w.entry->raw, expected));
  g_assert_cmpstr (w.entry->recipients[0], ==, "bob@example.test");
  pigeon_outbox_entry_free (w.entry);

  g_clear_pointer (&e, pigeon_outbox_entry_free);
  e = entry (f, id);
  g_assert_cmpint (e->state, ==, PIGEON_OUTBOX_CANCELLED);
  g_assert_cmpuint (pigeon_store_outbox_count_waiting (f->store, NULL), ==, 0);
  flush (f, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 0);
}

static void
test_undo_too_late (Fixture       *f,
                    gconstpointer  data)
{
  gint64 id = queue (f, "late", now ());
  Wait w = { 0 };

  flush (f, FALSE);
  pigeon_outbox_undo_async (f->outbox, id, NULL, undone_cb, &w);
  test_wait_for_flag (&w.done);
  g_assert_null (w.entry);
  g_assert_error (w.error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_clear_error (&w.error);
}

static void
test_background (Fixture       *f,
                 gconstpointer  data)
{
  Wait w = { 0 };
  gint64 started = g_get_monotonic_time ();

  script.outcome = OUTCOME_ACCEPT_SOME;
  g_signal_connect (f->outbox, "sent", G_CALLBACK (sent_cb), &w);
  pigeon_outbox_set_undo_delay (f->outbox, 1);
  pigeon_outbox_start (f->outbox);
  queue_async (f, "background", 0);
  g_assert_cmpuint (pigeon_outbox_get_n_waiting (f->outbox), ==, 1);

  test_wait_for_flag (&w.done);
  /* not before the undo delay */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC / 2);
  g_assert_cmpuint (w.sent, ==, 1);
  g_assert_cmpuint (g_strv_length (w.rejected), ==, 1);
  g_assert_true (g_str_has_prefix (w.rejected[0], "nobody@example.test was rejected"));
  while (pigeon_outbox_get_n_waiting (f->outbox) != 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (script.sent->len, ==, 1);
  pigeon_outbox_stop (f->outbox);
  g_strfreev (w.rejected);
}

/* ------------------------------------------------------------------ drafts */

static void
test_drafts_replace (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) one = make_message ("draft-1");
  g_autoptr(GBytes) two = make_message ("draft-2");
  g_autoptr(GBytes) three = make_message ("draft-3");
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) drafts = NULL;
  g_autoptr(PigeonMessage) kept = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  gint64 first, second, third;

  first = pigeon_store_save_draft (f->store, one, 0, FALSE, &error);
  g_assert_no_error (error);
  drafts = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_DRAFTS, NULL);
  g_assert_cmpstr (drafts->path, ==, "Drafts");

  /* The first draft never reached the server: it is forgotten with its upload. */
  second = pigeon_store_save_draft (f->store, two, first, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, drafts->id, NULL), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_APPEND), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_EXPUNGE), ==, 0);

  /* The second one is on the server now (its upload replayed): replacing deletes it there. */
  ops = pigeon_store_list_pending_ops (f->store, NULL);
  for (guint i = 0; i < ops->len; i++)
    {
      PigeonPendingOp *op = g_ptr_array_index (ops, i);

      if (op->kind == PIGEON_OP_APPEND)
        g_assert_true (pigeon_store_complete_pending_op (f->store, op->id, NULL));
    }
  g_assert_true (pigeon_store_set_message_server_id (f->store, second, 5, 42, NULL, NULL));
  third = pigeon_store_save_draft (f->store, three, second, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_messages (f->store, drafts->id, NULL), ==, 1);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_EXPUNGE), ==, 1);
  kept = pigeon_store_get_message (f->store, third, NULL);
  g_assert_cmpstr (kept->subject, ==, "draft-3");
  g_assert_true (kept->flags & PIGEON_MESSAGE_FLAG_DRAFT);
}

static void
test_drafts_local (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) one = make_message ("local-draft");
  g_autoptr(PigeonFolder) drafts = NULL;

  g_assert_cmpint (pigeon_store_save_draft (f->store, one, 0, TRUE, NULL), >, 0);
  drafts = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_DRAFTS, NULL);
  g_assert_true (drafts->flags & PIGEON_FOLDER_FLAG_LOCAL);
  g_assert_cmpuint (count_ops (f, PIGEON_OP_CREATE_FOLDER), ==, 0);
}

/* ------------------------------------------------------------------ completion */

static void
test_suggest_addresses (Fixture       *f,
                        gconstpointer  data)
{
  gint64 inbox = test_add_folder (f->store, "INBOX");
  g_autoptr(GPtrArray) rows = test_message_array_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) by_name = NULL;
  PigeonAddressSuggestion *first;

  for (guint i = 0; i < 3; i++)
    {
      PigeonMessage *m = test_make_message (1, i + 1, 1000 + i, "hello", 0);

      g_free (m->from);
      m->from = g_strdup (i == 0 ? "Jörg Müller <jorg@example.test>"
                                 : "Johanna Smith <johanna@example.test>");
      g_free (m->to);
      m->to = g_strdup ("zoe@example.test, \"Doe, John\" <john.doe@example.test>");
      g_ptr_array_add (rows, m);
    }
  g_assert_true (pigeon_store_upsert_messages (f->store, inbox, rows, NULL));
  /* written to twice: first */
  queue (f, "x", now () + 3600);
  queue (f, "y", now () + 3600);

  /* most seen first: John in three messages, Johanna in two, Jörg in one */
  found = pigeon_store_suggest_addresses (f->store, "jo", 10, NULL);
  g_assert_cmpuint (found->len, ==, 3);
  first = g_ptr_array_index (found, 0);
  g_assert_cmpstr (first->email, ==, "john.doe@example.test");
  g_assert_cmpstr (first->name, ==, "Doe, John");
  g_assert_cmpstr (((PigeonAddressSuggestion *) g_ptr_array_index (found, 1))->name, ==,
                   "Johanna Smith");
  g_assert_cmpstr (((PigeonAddressSuggestion *) g_ptr_array_index (found, 2))->email, ==,
                   "jorg@example.test");

  /* a word of the name */
  by_name = pigeon_store_suggest_addresses (f->store, "MÜLL", 10, NULL);
  g_assert_cmpuint (by_name->len, ==, 1);
  g_assert_cmpstr (((PigeonAddressSuggestion *) g_ptr_array_index (by_name, 0))->email, ==,
                   "jorg@example.test");

  /* the recipients written to (bob, nobody) come from the contacts */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = pigeon_store_suggest_addresses (f->store, "bob", 10, NULL);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (((PigeonAddressSuggestion *) g_ptr_array_index (found, 0))->score, >=, 10);

  /* FTS syntax in what is typed is only text */
  none = pigeon_store_suggest_addresses (f->store, "\") OR (x", 10, NULL);
  g_assert_nonnull (none);
  g_assert_cmpuint (none->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();
  pigeon_provider_register_type (test_server_get_type (), "outboxserver");
  pigeon_provider_register_type (test_local_get_type (), "outboxlocal");
  pigeon_provider_register_type (test_saves_get_type (), "outboxsaves");
  pigeon_provider_register_type (test_no_send_get_type (), "outboxnosend");

#define ADD(path, func, protocol) \
  g_test_add ("/outbox/" path, Fixture, protocol, fixture_setup, func, fixture_teardown)
  ADD ("send", test_send, "outboxserver");
  ADD ("send-local-sent", test_send_local_sent, "outboxlocal");
  ADD ("send-saves-sent", test_send_saves_sent, "outboxsaves");
  ADD ("existing-sent-folder", test_existing_sent_folder, "outboxserver");
  ADD ("some-rejected", test_some_rejected, "outboxserver");
  ADD ("refused", test_refused, "outboxserver");
  ADD ("unreachable-backoff", test_unreachable_backoff, "outboxserver");
  ADD ("no-outgoing-server", test_no_outgoing_server, "outboxnosend");
  ADD ("send-later", test_send_later, "outboxserver");
  ADD ("lost-before-data", test_lost_before_data, "outboxserver");
  ADD ("lost-after-data", test_lost_after_data, "outboxserver");
  ADD ("lost-without-checkpoint", test_lost_after_data, "outboxlocal");
  ADD ("crash-before-handover", test_crash_before_handover, "outboxserver");
  ADD ("crash-after-handover", test_crash_after_handover, "outboxserver");
  ADD ("crash-after-handover-in-sent", test_crash_after_handover_in_sent, "outboxserver");
  ADD ("one-sender-at-a-time", test_one_sender_at_a_time, "outboxserver");
  ADD ("undo", test_undo, "outboxserver");
  ADD ("undo-too-late", test_undo_too_late, "outboxserver");
  ADD ("background", test_background, "outboxserver");
  ADD ("drafts-replace", test_drafts_replace, "outboxserver");
  ADD ("drafts-local", test_drafts_local, "outboxlocal");
  ADD ("suggest-addresses", test_suggest_addresses, "outboxserver");
#undef ADD

  return g_test_run ();
}
