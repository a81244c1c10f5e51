/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The scheduler with a scripted provider: what it calls, when, and what the account shows. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-account-sync.h"
#include "pigeon-error.h"

/* ------------------------------------------------------------------ what the fake server does */

static struct
{
  GMutex lock;
  GCond cond;
  guint connects;
  guint connect_failures;        /* fail the next N connects as a lost connection */
  gboolean auth_fails;           /* fail every connect as a refused password */
  GArray *connect_times;         /* gint64, monotonic */
  GPtrArray *synced;             /* "INBOX/0" = path / flags, in call order */
  guint waits;
  gboolean push;                 /* the next wait_for_changes reports a change */
  guint applied;
  GArray *bodies;                /* gint64 */
  guint connected;               /* connections open now */
  guint max_connected;
} fake;

static void
fake_reset (void)
{
  g_mutex_lock (&fake.lock);
  fake.connects = 0;
  fake.connect_failures = 0;
  fake.auth_fails = FALSE;
  g_clear_pointer (&fake.connect_times, g_array_unref);
  fake.connect_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_clear_pointer (&fake.synced, g_ptr_array_unref);
  fake.synced = g_ptr_array_new_with_free_func (g_free);
  fake.waits = 0;
  fake.push = FALSE;
  fake.applied = 0;
  g_clear_pointer (&fake.bodies, g_array_unref);
  fake.bodies = g_array_new (FALSE, FALSE, sizeof (gint64));
  fake.connected = 0;
  fake.max_connected = 0;
  g_mutex_unlock (&fake.lock);
}

#define FAKE_TYPE_PROVIDER (fake_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (FakeProvider, fake_provider, FAKE, PROVIDER, PigeonProvider)
struct _FakeProviderClass { PigeonProviderClass parent_class; };
typedef struct { gboolean connected; } FakeProviderPrivate;
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FakeProvider, fake_provider, PIGEON_TYPE_PROVIDER)

static gboolean
fake_connect (PigeonProvider *provider,
              GCancellable   *cancellable,
              GError        **error)
{
  FakeProviderPrivate *priv = fake_provider_get_instance_private (FAKE_PROVIDER (provider));
  gint64 now = g_get_monotonic_time ();
  gboolean ok = TRUE;

  if (priv->connected)
    return TRUE;
  g_mutex_lock (&fake.lock);
  fake.connects++;
  g_array_append_val (fake.connect_times, now);
  if (fake.auth_fails)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   "The server rejected the password for fake: no");
      ok = FALSE;
    }
  else if (fake.connect_failures > 0)
    {
      fake.connect_failures--;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST, "Connection refused");
      ok = FALSE;
    }
  else
    {
      fake.connected++;
      fake.max_connected = MAX (fake.max_connected, fake.connected);
    }
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
  priv->connected = ok;
  return ok;
}

static void
fake_disconnect (PigeonProvider *provider)
{
  FakeProviderPrivate *priv = fake_provider_get_instance_private (FAKE_PROVIDER (provider));

  if (!priv->connected)
    return;
  priv->connected = FALSE;
  g_mutex_lock (&fake.lock);
  fake.connected--;
  g_mutex_unlock (&fake.lock);
}

static gboolean
fake_sync_folders (PigeonProvider *provider,
                   GCancellable   *cancellable,
                   GError        **error)
{
  g_autoptr(GPtrArray) folders =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
  const char *paths[] = { "Archive", "INBOX" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      PigeonFolder *folder = pigeon_folder_new ();

      folder->path = g_strdup (paths[i]);
      folder->name = g_strdup (paths[i]);
      folder->role = strcmp (paths[i], "INBOX") == 0 ? PIGEON_FOLDER_ROLE_INBOX
                                                     : PIGEON_FOLDER_ROLE_ARCHIVE;
      g_ptr_array_add (folders, folder);
    }
  return pigeon_store_replace_folders (pigeon_provider_get_store (provider), folders, error);
}

static gboolean
fake_sync_folder (PigeonProvider  *provider,
                  gint64           folder_id,
                  PigeonSyncFlags  flags,
                  GCancellable    *cancellable,
                  GError         **error)
{
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (store, folder_id, error);
  g_autoptr(GPtrArray) messages =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  PigeonMessage *message = pigeon_message_new ();

  if (folder == NULL)
    return FALSE;
  /* One message per folder, so there is something to change. */
  message->uidvalidity = 1;
  message->uid = 1;
  message->subject = g_strdup ("hello");
  message->date = 1700000000;
  g_ptr_array_add (messages, message);
  if (!pigeon_store_upsert_messages (store, folder_id, messages, error))
    return FALSE;
  pigeon_provider_report_progress (provider, folder->name, 3200, 10000);

  g_mutex_lock (&fake.lock);
  g_ptr_array_add (fake.synced, g_strdup_printf ("%s/%d", folder->path,
                                                 (flags & PIGEON_SYNC_FLAGS_BODIES) != 0));
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
  return TRUE;
}

static void
wake_fake_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  g_mutex_lock (&fake.lock);
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
}

static gboolean
fake_wait_for_changes (PigeonProvider *provider,
                       guint           timeout_seconds,
                       GCancellable   *cancellable,
                       GError        **error)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_fake_cb), NULL, NULL);
  gboolean ok = TRUE;

  g_mutex_lock (&fake.lock);
  fake.waits++;
  g_cond_broadcast (&fake.cond);
  while (!fake.push && !g_cancellable_is_cancelled (cancellable) &&
         g_cond_wait_until (&fake.cond, &fake.lock, end))
    ;
  if (fake.push)
    fake.push = FALSE;
  else if (g_cancellable_set_error_if_cancelled (cancellable, error))
    ok = FALSE;
  g_mutex_unlock (&fake.lock);
  g_cancellable_disconnect (cancellable, handler);
  return ok;
}

static gboolean
fake_apply_op (PigeonProvider        *provider,
               const PigeonPendingOp *op,
               GCancellable          *cancellable,
               GError               **error)
{
  g_mutex_lock (&fake.lock);
  fake.applied++;
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
  return TRUE;
}

static gboolean
fake_fetch_body (PigeonProvider *provider,
                 gint64          message_id,
                 GCancellable   *cancellable,
                 GError        **error)
{
  g_mutex_lock (&fake.lock);
  g_array_append_val (fake.bodies, message_id);
  g_mutex_unlock (&fake.lock);
  return TRUE;
}

/* The server finds the synced "hello" and one more message the store did not have, which
 * it stores; the ids come back oldest first, so the caller's order is the wrapper's. */
static gboolean
fake_search (PigeonProvider  *provider,
             const char      *query,
             gint64           folder_id,
             GArray          *message_ids,
             GCancellable    *cancellable,
             GError         **error)
{
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autoptr(PigeonFolder) inbox = pigeon_store_get_folder_by_path (store, "INBOX", error);
  g_autoptr(GPtrArray) messages =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(PigeonMessage) synced = NULL;
  PigeonMessage *found = pigeon_message_new ();

  g_assert_cmpstr (query, ==, "hello");
  g_assert_nonnull (inbox);
  g_assert_true (folder_id == 0 || folder_id == inbox->id);
  synced = pigeon_store_get_message_by_uid (store, inbox->id, 1, error);
  g_assert_nonnull (synced);
  found->uidvalidity = 1;
  found->uid = 2;
  found->subject = g_strdup ("hello from the server");
  found->date = 1800000000;
  g_ptr_array_add (messages, found);
  if (!pigeon_store_upsert_messages (store, inbox->id, messages, error))
    return FALSE;
  g_array_append_val (message_ids, synced->id);
  g_array_append_val (message_ids, found->id);
  g_array_append_val (message_ids, synced->id);
  return TRUE;
}

static void
fake_provider_class_init (FakeProviderClass *klass)
{
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  provider_class->display_name = "Fake";
  provider_class->default_port_tls = 1;
  provider_class->default_port_plain = 1;
  provider_class->connect = fake_connect;
  provider_class->disconnect = fake_disconnect;
  provider_class->sync_folders = fake_sync_folders;
  provider_class->sync_folder = fake_sync_folder;
  provider_class->fetch_body = fake_fetch_body;
  provider_class->apply_op = fake_apply_op;
  provider_class->wait_for_changes = fake_wait_for_changes;
  provider_class->search = fake_search;
}

static void
fake_provider_init (FakeProvider *self)
{
  /* Never the keyring in a unit test. */
  pigeon_provider_set_password (PIGEON_PROVIDER (self), "secret");
}

/* A server that keeps mail and pushes (two lanes), and one that does neither (one lane). */
GType fake_push_get_type (void);
GType fake_poll_get_type (void);

typedef struct { FakeProvider parent_instance; } FakePush;
typedef struct { FakeProviderClass parent_class; } FakePushClass;
G_DEFINE_TYPE (FakePush, fake_push, FAKE_TYPE_PROVIDER)
static void
fake_push_class_init (FakePushClass *klass)
{
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  provider_class->protocol = "fake-push";
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS |
                         PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL | PIGEON_PROVIDER_CAP_PUSH |
                         PIGEON_PROVIDER_CAP_SERVER_SEARCH;
}
static void fake_push_init (FakePush *self) {}

typedef struct { FakeProvider parent_instance; } FakePoll;
typedef struct { FakeProviderClass parent_class; } FakePollClass;
G_DEFINE_TYPE (FakePoll, fake_poll, FAKE_TYPE_PROVIDER)
static void
fake_poll_class_init (FakePollClass *klass)
{
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  provider_class->protocol = "fake-poll";
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_SERVER_SEARCH;
  provider_class->wait_for_changes = NULL;
}
static void fake_poll_init (FakePoll *self) {}

/* ------------------------------------------------------------------ a network monitor we switch */

#define TEST_TYPE_MONITOR (test_monitor_get_type ())
G_DECLARE_FINAL_TYPE (TestMonitor, test_monitor, TEST, MONITOR, GObject)
struct _TestMonitor { GObject parent_instance; gboolean available; };
enum { MONITOR_PROP_0, MONITOR_PROP_AVAILABLE, MONITOR_PROP_METERED, MONITOR_PROP_CONNECTIVITY };

static gboolean
test_monitor_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
test_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = test_monitor_initable_init;
}

static void
test_monitor_iface_init (GNetworkMonitorInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestMonitor, test_monitor, G_TYPE_OBJECT,
  G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_monitor_initable_iface_init)
  G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, test_monitor_iface_init))

static void
test_monitor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TestMonitor *self = TEST_MONITOR (object);

  switch (prop_id)
    {
    case MONITOR_PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case MONITOR_PROP_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case MONITOR_PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_monitor_class_init (TestMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_monitor_get_property;
  g_object_class_override_property (object_class, MONITOR_PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, MONITOR_PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, MONITOR_PROP_CONNECTIVITY, "connectivity");
}

static void
test_monitor_init (TestMonitor *self)
{
  self->available = TRUE;
}

static void
test_monitor_set_available (TestMonitor *self,
                            gboolean     available)
{
  self->available = available;
  g_signal_emit_by_name (self, "network-changed", available);
}

/* ------------------------------------------------------------------ fixture */

typedef struct
{
  char *dir;
  PigeonAccount *account;
  PigeonStore *store;
  TestMonitor *monitor;
  PigeonAccountSync *sync;
} Fixture;

static const PigeonSyncTiming fast = {
  .backoff_first_ms = 100,
  .backoff_max_ms = 400,
  .push_renew_seconds = 30,
  .check_interval_seconds = 60,
  .idle_disconnect_seconds = 1,
};

static void
setup (Fixture      *fixture,
       gconstpointer data)
{
  const char *protocol = data;
  g_autoptr(GError) error = NULL;

  fake_reset ();
  fixture->dir = g_dir_make_tmp ("pigeon-sync-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store = pigeon_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  fixture->account = pigeon_account_new ("a1");
  g_object_set (fixture->account, "name", "Fake", "email", "me@example.invalid",
                "protocol", protocol, "host", "mail.example.invalid", NULL);
  fixture->monitor = g_object_new (TEST_TYPE_MONITOR, NULL);
  fixture->sync = pigeon_account_sync_new (fixture->account, fixture->store);
  pigeon_account_sync_set_timing (fixture->sync, &fast);
  pigeon_account_sync_set_network_monitor (fixture->sync, G_NETWORK_MONITOR (fixture->monitor));
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
teardown (Fixture      *fixture,
          gconstpointer data)
{
  pigeon_account_sync_stop (fixture->sync);
  g_clear_object (&fixture->sync);
  /* the account updates posted on the way out */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  pigeon_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->account);
  g_clear_object (&fixture->monitor);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
start (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_account_sync_start (fixture->sync, &error));
  g_assert_no_error (error);
}

typedef gboolean (*Condition) (Fixture *fixture);

/* Runs the main context until CONDITION holds; FALSE after SECONDS. */
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
      g_usleep (5000);
    }
  return TRUE;
}

static guint
synced_count (void)
{
  guint n;

  g_mutex_lock (&fake.lock);
  n = fake.synced->len;
  g_mutex_unlock (&fake.lock);
  return n;
}

static gboolean
is_idle (Fixture *fixture)
{
  return pigeon_account_get_state (fixture->account) == PIGEON_ACCOUNT_STATE_IDLE &&
         synced_count () >= 4;
}

static gboolean
is_waiting (Fixture *fixture)
{
  gboolean waiting;

  g_mutex_lock (&fake.lock);
  waiting = fake.waits > 0;
  g_mutex_unlock (&fake.lock);
  return waiting && is_idle (fixture);
}

static char *
synced_list (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_mutex_lock (&fake.lock);
  for (guint i = 0; i < fake.synced->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "",
                            (const char *) g_ptr_array_index (fake.synced, i));
  g_mutex_unlock (&fake.lock);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------ tests */

/* Connect, folder list, inbox first, envelopes of every folder before bodies, then wait. */
static void
test_first_pass (Fixture      *fixture,
                 gconstpointer data)
{
  g_autofree char *order = NULL;

  start (fixture);
  g_assert_true (wait_for (fixture, is_waiting, 5));
  order = synced_list ();
  g_assert_cmpstr (order, ==, "INBOX/0 Archive/0 INBOX/1 Archive/1");
  g_assert_null (pigeon_account_get_last_error (fixture->account));
  /* Only the sync lane: the change lane connects when there is something to replay. */
  g_assert_cmpuint (fake.connects, ==, 1);
}

static void
status_text_cb (PigeonAccount *account,
                GParamSpec    *pspec,
                GPtrArray     *seen)
{
  g_ptr_array_add (seen, g_strdup (pigeon_account_get_status_text (account)));
}

/* "Syncing INBOX — 3200 of 10000" (the C locale has no digit grouping), then idle. */
static void
test_progress (Fixture      *fixture,
               gconstpointer data)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  gboolean found = FALSE;

  g_signal_connect (fixture->account, "notify::status-text", G_CALLBACK (status_text_cb), seen);
  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  for (guint i = 0; i < seen->len; i++)
    if (g_strcmp0 (g_ptr_array_index (seen, i), "Syncing INBOX — 3200 of 10000") == 0)
      found = TRUE;
  g_assert_true (found);
  g_signal_handlers_disconnect_by_data (fixture->account, seen);
}

static guint pushed_before;

static gboolean
inbox_synced_again (Fixture *fixture)
{
  return synced_count () > pushed_before;
}

static void
test_push (Fixture      *fixture,
           gconstpointer data)
{
  g_autofree char *order = NULL;

  start (fixture);
  g_assert_true (wait_for (fixture, is_waiting, 5));
  pushed_before = synced_count ();
  g_mutex_lock (&fake.lock);
  fake.push = TRUE;
  g_cond_broadcast (&fake.cond);
  g_mutex_unlock (&fake.lock);
  g_assert_true (wait_for (fixture, inbox_synced_again, 2));
  order = synced_list ();
  g_assert_true (g_str_has_suffix (order, "Archive/1 INBOX/1"));
}

static gboolean
one_applied (Fixture *fixture)
{
  gboolean done;

  g_mutex_lock (&fake.lock);
  done = fake.applied >= 1;
  g_mutex_unlock (&fake.lock);
  return done;
}

/* A change made while the account waits for the server is replayed within a second. */
static void
test_pending_ops (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) message = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  gint64 queued;

  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  inbox = pigeon_store_get_folder_by_role (fixture->store, PIGEON_FOLDER_ROLE_INBOX, &error);
  message = pigeon_store_get_message_by_uid (fixture->store, inbox->id, 1, &error);
  g_assert_nonnull (message);
  queued = g_get_monotonic_time ();
  g_assert_true (pigeon_store_change_flags (fixture->store, &message->id, 1,
                                            PIGEON_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_true (wait_for (fixture, one_applied, 2));
  g_test_message ("replayed after %.0f ms", (g_get_monotonic_time () - queued) / 1000.0);
  g_assert_cmpuint (pigeon_store_count_pending_ops (fixture->store, NULL), ==, 0);
}

static gboolean
connected_after_failures (Fixture *fixture)
{
  return is_idle (fixture) && fake.connects >= 4;
}

/* Transient failures: retried after 100, 200, 400 ms (±25 %), then it connects. */
static void
test_backoff (Fixture      *fixture,
              gconstpointer data)
{
  static const double expected_ms[] = { 100, 200, 400 };

  fake.connect_failures = 3;
  start (fixture);
  g_assert_true (wait_for (fixture, connected_after_failures, 10));
  g_assert_cmpuint (fake.connects, ==, 4);
  for (guint i = 0; i < 3; i++)
    {
      double gap = (g_array_index (fake.connect_times, gint64, i + 1) -
                    g_array_index (fake.connect_times, gint64, i)) / 1000.0;

      g_test_message ("retry %u after %.0f ms", i + 1, gap);
      g_assert_cmpfloat (gap, >=, expected_ms[i] * 0.75 - 5);
      g_assert_cmpfloat (gap, <=, expected_ms[i] * 1.25 + 400);  /* slack for a busy machine */
    }
  g_assert_null (pigeon_account_get_last_error (fixture->account));
}

static gboolean
shows_auth_error (Fixture *fixture)
{
  const GError *error = pigeon_account_get_last_error (fixture->account);

  return pigeon_account_get_state (fixture->account) == PIGEON_ACCOUNT_STATE_ERROR &&
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
}

/* A refused password is shown and not retried until the user acts. */
static void
test_auth_stops (Fixture      *fixture,
                 gconstpointer data)
{
  fake.auth_fails = TRUE;
  start (fixture);
  g_assert_true (wait_for (fixture, shows_auth_error, 5));
  g_usleep (800 * 1000);    /* eight times the first backoff */
  g_mutex_lock (&fake.lock);
  g_assert_cmpuint (fake.connects, ==, 1);
  fake.auth_fails = FALSE;
  g_mutex_unlock (&fake.lock);

  pigeon_account_sync_retry_now (fixture->sync);
  g_assert_true (wait_for (fixture, is_idle, 5));
  g_assert_null (pigeon_account_get_last_error (fixture->account));
}

static gboolean
is_offline (Fixture *fixture)
{
  return pigeon_account_get_state (fixture->account) == PIGEON_ACCOUNT_STATE_OFFLINE;
}

/* No network: quiet, no connection attempt; back: syncs; gone again: quiet again. */
static void
test_offline (Fixture      *fixture,
              gconstpointer data)
{
  gint64 lost;

  fixture->monitor->available = FALSE;
  start (fixture);
  g_assert_true (wait_for (fixture, is_offline, 5));
  g_usleep (300 * 1000);
  g_assert_cmpuint (fake.connects, ==, 0);

  test_monitor_set_available (fixture->monitor, TRUE);
  g_assert_true (wait_for (fixture, is_waiting, 5));

  lost = g_get_monotonic_time ();
  test_monitor_set_available (fixture->monitor, FALSE);
  g_assert_true (wait_for (fixture, is_offline, 2));
  g_test_message ("quiet %.0f ms after the network went",
                  (g_get_monotonic_time () - lost) / 1000.0);
  g_assert_cmpuint (fake.connected, ==, 0);
}

static guint polls_before;

static gboolean
polled_again (Fixture *fixture)
{
  return synced_count () >= polls_before + 4;
}

/* Without push the account is checked again every check interval, all in one lane. */
static void
test_poll (Fixture      *fixture,
           gconstpointer data)
{
  PigeonSyncTiming timing = fast;

  timing.check_interval_seconds = 1;
  pigeon_account_sync_set_timing (fixture->sync, &timing);
  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  polls_before = synced_count ();
  g_assert_true (wait_for (fixture, polled_again, 3));
  g_assert_cmpuint (fake.waits, ==, 0);
  g_assert_cmpuint (fake.max_connected, ==, 1);
}

/* One lane: a queued change interrupts the wait as well. */
static void
test_poll_pending_ops (Fixture      *fixture,
                       gconstpointer data)
{
  test_pending_ops (fixture, data);
}

static guint requested_before;

static gboolean
archive_synced_again (Fixture *fixture)
{
  g_autofree char *order = synced_list ();

  return synced_count () > requested_before && g_str_has_suffix (order, "Archive/1");
}

/* The user opens a folder: it is synced next, within a moment, even while waiting. */
static void
test_request_folder (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr(PigeonFolder) archive = NULL;

  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  archive = pigeon_store_get_folder_by_path (fixture->store, "Archive", NULL);
  requested_before = synced_count ();
  pigeon_account_sync_request_folder (fixture->sync, archive->id);
  g_assert_true (wait_for (fixture, archive_synced_again, 2));
}

typedef struct
{
  gboolean done;
  gboolean ok;
} BodyResult;

static void
body_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BodyResult *body = user_data;
  g_autoptr(GError) error = NULL;

  body->ok = pigeon_account_sync_fetch_body_finish (PIGEON_ACCOUNT_SYNC (source), result, &error);
  g_assert_no_error (error);
  body->done = TRUE;
}

static BodyResult *current_body;

static gboolean
body_done (Fixture *fixture)
{
  return current_body->done;
}

static void
test_fetch_body (Fixture      *fixture,
                 gconstpointer data)
{
  BodyResult body = { FALSE, FALSE };

  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  current_body = &body;
  pigeon_account_sync_fetch_body_async (fixture->sync, 42, NULL, body_done_cb, &body);
  g_assert_true (wait_for (fixture, body_done, 2));
  g_assert_true (body.ok);
  g_assert_cmpuint (fake.bodies->len, ==, 1);
  g_assert_cmpint (g_array_index (fake.bodies, gint64, 0), ==, 42);
}

typedef struct
{
  gboolean done;
  GArray *ids;
  GError *error;
} SearchResult;

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SearchResult *search = user_data;

  search->ids = pigeon_account_sync_search_finish (PIGEON_ACCOUNT_SYNC (source), result,
                                                   &search->error);
  search->done = TRUE;
}

static SearchResult *current_search;

static gboolean
search_done (Fixture *fixture)
{
  return current_search->done;
}

/* A search on the server goes to whichever lane serves the user; its hits, each once and
 * newest first, are rows of the store. */
static void
test_search (Fixture      *fixture,
             gconstpointer data)
{
  SearchResult search = { FALSE, NULL, NULL };
  g_autoptr(PigeonMessage) newest = NULL;

  start (fixture);
  g_assert_true (wait_for (fixture, is_idle, 5));
  current_search = &search;
  pigeon_account_sync_search_async (fixture->sync, "hello", 0, NULL, search_done_cb, &search);
  g_assert_true (wait_for (fixture, search_done, 2));
  g_assert_no_error (search.error);
  g_assert_cmpuint (search.ids->len, ==, 2);
  newest = pigeon_store_get_message (fixture->store, g_array_index (search.ids, gint64, 0), NULL);
  g_assert_cmpstr (newest->subject, ==, "hello from the server");
  g_array_unref (search.ids);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_provider_register_type (fake_push_get_type (), "fake-push");
  pigeon_provider_register_type (fake_poll_get_type (), "fake-poll");

#define ADD(path, protocol, func) \
  g_test_add ("/sync/account-sync/" path, Fixture, protocol, setup, func, teardown)
  ADD ("first-pass", "fake-push", test_first_pass);
  ADD ("progress", "fake-push", test_progress);
  ADD ("push", "fake-push", test_push);
  ADD ("pending-ops", "fake-push", test_pending_ops);
  ADD ("backoff", "fake-poll", test_backoff);
  ADD ("auth-stops", "fake-push", test_auth_stops);
  ADD ("offline", "fake-push", test_offline);
  ADD ("poll", "fake-poll", test_poll);
  ADD ("poll-pending-ops", "fake-poll", test_poll_pending_ops);
  ADD ("request-folder", "fake-push", test_request_folder);
  ADD ("request-folder-one-lane", "fake-poll", test_request_folder);
  ADD ("fetch-body", "fake-push", test_fetch_body);
  ADD ("fetch-body-one-lane", "fake-poll", test_fetch_body);
  ADD ("search", "fake-push", test_search);
  ADD ("search-one-lane", "fake-poll", test_search);
#undef ADD

  return g_test_run ();
}
