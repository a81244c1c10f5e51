/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ActiveSync provider against a real SOGo (started once by the test harness): what a
 * user does in Pigeon must be what the Dovecot behind SOGo holds, and the other way round. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-message-builder.h"
#include "pigeon-mime.h"
#include "pigeon-provider.h"
#include "pigeon-providers.h"
#include "pigeon-store-contacts.h"
#include "pigeon-store-events.h"
#include "pigeon-store.h"
#include "pigeon-test-harness.h"

#define HELPER SOURCE_DIR "/sogo_helper.py"

typedef struct
{
  char           *dir;
  char           *user;
  PigeonAccount  *account;
  PigeonStore    *store;
  PigeonProvider *provider;
} Fixture;

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    {
      /* requires the harness: fails (never skips) with a hint when it is missing */
      pigeon_test_harness_require ();
      g_error ("%s is not set: SOGo did not start with the test harness "
               "(install it with build-aux/install-deps.sh test)", name);
    }
  return value;
}

static char *
helper (const char *command,
        ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) "/usr/bin/python3");
  g_ptr_array_add (argv, (char *) HELPER);
  g_ptr_array_add (argv, (char *) command);
  va_start (args, command);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  status = pigeon_test_run ((const char * const *) argv->pdata, NULL, &out, &err);
  if (status != 0)
    g_error ("sogo_helper.py %s failed (%d): %s", command, status, err);
  return g_steal_pointer (&out);
}

/* The folder as Dovecot has it: one GStrv per message (uid, seen, flagged, answered,
 * deleted, message id, in-reply-to, subject). */
static GPtrArray *
imap_messages (const char *user,
               const char *folder)
{
  g_autofree char *out = helper ("imap", user, folder, NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      {
        char **fields = g_strsplit (lines[i], "\t", 8);

        g_assert_cmpuint (g_strv_length (fields), ==, 8);
        g_ptr_array_add (messages, fields);
      }
  return messages;
}

static char **
imap_find (GPtrArray  *messages,
           const char *subject)
{
  for (guint i = 0; i < messages->len; i++)
    {
      char **fields = g_ptr_array_index (messages, i);

      if (g_strcmp0 (fields[7], subject) == 0)
        return fields;
    }
  return NULL;
}

static char *
address (const char *user)
{
  return g_strdup_printf ("%s@example.test", user);
}

static GPtrArray *
wait_for_subject (const char *user,
                  const char *folder,
                  const char *subject)
{
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GPtrArray) messages = imap_messages (user, folder);

      if (imap_find (messages, subject) != NULL)
        return g_steal_pointer (&messages);
      g_usleep (G_USEC_PER_SEC / 5);
    }
  g_error ("“%s” never reached %s's %s", subject, user, folder);
}

static void
deliver (const char *from,
         const char *to,
         const char *subject)
{
  g_autofree char *from_addr = address (from), *to_addr = address (to);
  g_autofree char *out = helper ("deliver", from_addr, to_addr, subject, NULL);
  g_autoptr(GPtrArray) arrived = NULL;

  /* delivery is asynchronous: wait until Dovecot has it */
  arrived = wait_for_subject (to, "INBOX", subject);
}

static void
fixture_open (Fixture    *f,
              const char *user,
              const char *url,
              const char *password,
              const char *pinned)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *email = address (user);

  f->dir = g_dir_make_tmp ("pigeon-activesync-XXXXXX", &error);
  g_assert_no_error (error);
  f->user = g_strdup (user);
  f->account = pigeon_account_new (user);
  g_object_set (f->account,
                "name", user, "email", email, "protocol", "activesync",
                "host", url, "user", user,
                "security", g_str_has_prefix (url, "https:") ? PIGEON_SECURITY_TLS
                                                             : PIGEON_SECURITY_NONE,
                "trusted-certificate", pinned,
                NULL);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->provider = pigeon_provider_new_for_account (f->account, f->store, &error);
  g_assert_no_error (error);
  pigeon_provider_set_password (f->provider, password);
}

static void
fixture_connect (Fixture    *f,
                 const char *user)
{
  g_autofree char *password = g_strconcat ("secret-", user, NULL);
  g_autoptr(GError) error = NULL;

  fixture_open (f, user, env ("PIGEON_TEST_SOGO_URL"), password, NULL);
  pigeon_provider_connect (f->provider, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_close (Fixture *f)
{
  pigeon_provider_disconnect (f->provider);
  g_clear_object (&f->provider);
  pigeon_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->account);
  g_clear_pointer (&f->user, g_free);
  g_clear_pointer (&f->dir, g_free);
}

static PigeonFolder *
folder_by_role (Fixture          *f,
                PigeonFolderRole  role)
{
  g_autoptr(GError) error = NULL;
  PigeonFolder *folder = pigeon_store_get_folder_by_role (f->store, role, &error);

  g_assert_no_error (error);
  g_assert_nonnull (folder);
  return folder;
}

/* What the sync scheduler does once: replay, folder list (with contacts and calendars),
 * then the folder. */
static void
sync_folder (Fixture          *f,
             PigeonFolderRole  role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) folder = NULL;

  pigeon_provider_replay_pending_ops (f->provider, NULL, &error);
  g_assert_no_error (error);
  pigeon_provider_sync_folders (f->provider, NULL, &error);
  g_assert_no_error (error);
  folder = folder_by_role (f, role);
  pigeon_provider_sync_folder (f->provider, folder->id, PIGEON_SYNC_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
}

static PigeonMessage *
store_find (Fixture          *f,
            PigeonFolderRole  role,
            const char       *subject)
{
  g_autoptr(PigeonFolder) folder = folder_by_role (f, role);
  g_autoptr(GPtrArray) messages = pigeon_store_list_messages (f->store, folder->id, 0, 0, NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      PigeonMessage *message = g_ptr_array_index (messages, i);

      if (g_strcmp0 (message->subject, subject) == 0)
        return pigeon_message_copy (message);
    }
  return NULL;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* ------------------------------------------------------------------ tests */

static void
test_initial_sync (void)
{
  Fixture f = { 0 };
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(GPtrArray) server = imap_messages ("alice", "INBOX");
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) ours = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) theirs = g_ptr_array_new_with_free_func (g_free);
  guint seeded = (guint) g_ascii_strtoull (env ("PIGEON_TEST_SOGO_SEED"), NULL, 10);

  g_assert_cmpuint (server->len, ==, seeded);
  fixture_connect (&f, "alice");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  /* a second sync changes nothing and duplicates nothing */
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);

  inbox = folder_by_role (&f, PIGEON_FOLDER_ROLE_INBOX);
  messages = pigeon_store_list_messages (f.store, inbox->id, 0, 0, NULL);
  g_assert_cmpuint (messages->len, ==, server->len);
  g_assert_cmpuint (inbox->total, ==, server->len);

  /* the same subjects with the same read state */
  for (guint i = 0; i < messages->len; i++)
    {
      PigeonMessage *m = g_ptr_array_index (messages, i);

      g_ptr_array_add (ours, g_strdup_printf ("%d %s", (m->flags & PIGEON_MESSAGE_FLAG_SEEN) != 0,
                                              m->subject));
    }
  for (guint i = 0; i < server->len; i++)
    {
      char **fields = g_ptr_array_index (server, i);

      g_ptr_array_add (theirs, g_strdup_printf ("%s %s", fields[1], fields[7]));
    }
  g_ptr_array_sort (ours, compare_strings);
  g_ptr_array_sort (theirs, compare_strings);
  for (guint i = 0; i < ours->len; i++)
    g_assert_cmpstr (g_ptr_array_index (ours, i), ==, g_ptr_array_index (theirs, i));
  fixture_close (&f);
}

static void
test_changes_seen_over_imap (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) read = NULL, unread = NULL, flagged = NULL, moved = NULL;
  g_autoptr(PigeonMessage) deleted = NULL;
  g_autoptr(PigeonFolder) junk = NULL, trash = NULL;
  g_autoptr(GPtrArray) inbox_after = NULL, junk_after = NULL, trash_after = NULL;
  char **row;

  deliver ("bob", "carol", "change read");
  deliver ("bob", "carol", "change unread");
  deliver ("bob", "carol", "change flagged");
  deliver ("bob", "carol", "change moved");
  deliver ("bob", "carol", "change deleted");
  fixture_connect (&f, "carol");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  read = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change read");
  unread = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change unread");
  flagged = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change flagged");
  moved = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change moved");
  deleted = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change deleted");
  g_assert_true (read && unread && flagged && moved && deleted);
  junk = folder_by_role (&f, PIGEON_FOLDER_ROLE_JUNK);
  trash = folder_by_role (&f, PIGEON_FOLDER_ROLE_TRASH);

  g_assert_true (pigeon_store_change_flags (f.store, &read->id, 1, PIGEON_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_true (pigeon_store_change_flags (f.store, &unread->id, 1, PIGEON_MESSAGE_FLAG_SEEN, 0, &error));
  g_assert_true (pigeon_store_change_flags (f.store, &flagged->id, 1, PIGEON_MESSAGE_FLAG_FLAGGED, 0, &error));
  g_assert_true (pigeon_store_move_messages (f.store, &moved->id, 1, junk->id, &error));
  g_assert_true (pigeon_store_move_messages (f.store, &deleted->id, 1, trash->id, &error));
  pigeon_provider_replay_pending_ops (f.provider, NULL, &error);
  g_assert_no_error (error);
  /* and back to unread, after the server had it read */
  g_assert_true (pigeon_store_change_flags (f.store, &unread->id, 1, 0, PIGEON_MESSAGE_FLAG_SEEN, &error));
  pigeon_provider_replay_pending_ops (f.provider, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_pending_ops (f.store, NULL), ==, 0);

  inbox_after = imap_messages ("carol", "INBOX");
  junk_after = imap_messages ("carol", "Junk");
  trash_after = imap_messages ("carol", "Trash");
  row = imap_find (inbox_after, "change read");
  g_assert_nonnull (row);
  g_assert_cmpstr (row[1], ==, "1");
  row = imap_find (inbox_after, "change unread");
  g_assert_cmpstr (row[1], ==, "0");
  row = imap_find (inbox_after, "change flagged");
  g_assert_cmpstr (row[2], ==, "1");
  row = imap_find (inbox_after, "change moved");
  g_assert_true (row == NULL || g_strcmp0 (row[4], "1") == 0);
  g_assert_nonnull (imap_find (junk_after, "change moved"));
  g_assert_nonnull (imap_find (trash_after, "change deleted"));

  /* the next sync agrees: nothing doubled, the moved rows sit in their new folders */
  sync_folder (&f, PIGEON_FOLDER_ROLE_JUNK);
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, junk->id, NULL), ==, junk_after->len);
  {
    g_autoptr(PigeonMessage) in_junk = store_find (&f, PIGEON_FOLDER_ROLE_JUNK, "change moved");
    g_autoptr(PigeonMessage) still = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "change moved");

    g_assert_nonnull (in_junk);
    g_assert_nonnull (in_junk->remote_id);
    g_assert_null (still);
  }
  fixture_close (&f);
}

typedef struct
{
  PigeonProvider *provider;
  gboolean        ok;
  GError         *error;
  gint64          returned_at;
} PingData;

static gpointer
ping_thread (gpointer data)
{
  PingData *ping = data;

  ping->ok = pigeon_provider_wait_for_changes (ping->provider, 30, NULL, &ping->error);
  ping->returned_at = g_get_monotonic_time ();
  return NULL;
}

static void
test_push (void)
{
  Fixture f = { 0 };
  gint64 delivered_at, deadline;
  gboolean arrived = FALSE, inbox_named = FALSE;
  g_autoptr(PigeonFolder) inbox = NULL;

  deliver ("bob", "dave", "push warm-up");
  fixture_connect (&f, "dave");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  /* SOGo remembers the first new uid of a sync with adds: one empty sync settles it */
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);

  delivered_at = 0;
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!arrived && g_get_monotonic_time () < deadline)
    {
      PingData ping = { f.provider };
      GThread *thread = g_thread_new ("ping", ping_thread, &ping);
      g_autoptr(PigeonMessage) message = NULL;

      if (delivered_at == 0)
        {
          g_usleep (G_USEC_PER_SEC);
          deliver ("bob", "dave", "pushed message");
          delivered_at = g_get_monotonic_time ();
        }
      g_thread_join (thread);
      g_assert_no_error (ping.error);
      g_assert_true (ping.ok);
      /* the answer names the folder that changed, so the scheduler syncs that one */
      {
        g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (gint64));
        gboolean elsewhere = TRUE;

        if (inbox == NULL)
          inbox = pigeon_store_get_folder_by_role (f.store, PIGEON_FOLDER_ROLE_INBOX, NULL);
        pigeon_provider_take_changes (f.provider, changed, &elsewhere);
        g_assert_false (elsewhere);
        for (guint i = 0; i < changed->len; i++)
          inbox_named |= g_array_index (changed, gint64, i) == inbox->id;
      }
      sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
      message = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "pushed message");
      arrived = message != NULL;
      if (arrived)
        /* within the heartbeat (30 s) of the delivery, not at the end of the next one */
        g_assert_cmpint (ping.returned_at - delivered_at, <, 30 * G_USEC_PER_SEC);
    }
  g_assert_true (arrived);
  g_assert_true (inbox_named);
  fixture_close (&f);
}

static const char sent_template[] =
  "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%s"
  "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n\r\nHello from Pigeon. Grüße.\r\n";

static gboolean
send_message (Fixture    *f,
              const char *to,
              const char *subject,
              const char *message_id,
              const char *in_reply_to,
              GError    **error)
{
  g_autofree char *from = address (f->user);
  g_autofree char *to_addr = address (to);
  g_autofree char *extra = in_reply_to != NULL
    ? g_strdup_printf ("In-Reply-To: <%s>\r\nReferences: <%s>\r\n", in_reply_to, in_reply_to)
    : g_strdup ("");
  g_autofree char *text = g_strdup_printf (sent_template, from, to_addr, subject, message_id,
                                           extra);
  g_autoptr(GBytes) raw = g_bytes_new (text, strlen (text));
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  const char *recipients[] = { to_addr, NULL };

  return pigeon_provider_send (f->provider, raw, from, recipients, rejected, NULL, error);
}

static void
test_send_mail (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) inbox = NULL, sent = NULL;

  fixture_connect (&f, "erin");
  g_assert_true (pigeon_provider_get_caps (f.provider) & PIGEON_PROVIDER_CAP_SAVES_SENT);
  send_message (&f, "frank", "sent with SendMail", "sendmail.1@example.test", NULL, &error);
  g_assert_no_error (error);
  inbox = wait_for_subject ("frank", "INBOX", "sent with SendMail");
  sent = wait_for_subject ("erin", "Sent", "sent with SendMail");
  g_assert_cmpstr (imap_find (inbox, "sent with SendMail")[5], ==, "sendmail.1@example.test");
  fixture_close (&f);
}

/* A Bcc recipient gets the message, the others never see the field, and the copy the
 * server saved in Sent keeps it. */
static void
test_send_mail_bcc (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) oscars = NULL, peggys = NULL, sent = NULL;
  g_autofree char *from = address ("nina"), *to = address ("oscar"), *bcc = address ("peggy");
  g_autofree char *extra = g_strdup_printf ("Bcc: %s\r\n", bcc);
  g_autofree char *text = g_strdup_printf (sent_template, from, to, "secretly copied",
                                           "bcc.1@example.test", extra);
  g_autoptr(GBytes) raw = g_bytes_new (text, strlen (text));
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  const char *recipients[] = { to, bcc, NULL };
  g_autofree char *seen_by_oscar = NULL, *seen_by_peggy = NULL, *kept = NULL;

  fixture_connect (&f, "nina");
  pigeon_provider_send (f.provider, raw, from, recipients, rejected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rejected->len, ==, 0);
  oscars = wait_for_subject ("oscar", "INBOX", "secretly copied");
  peggys = wait_for_subject ("peggy", "INBOX", "secretly copied");
  sent = wait_for_subject ("nina", "Sent", "secretly copied");
  seen_by_oscar = helper ("header", "oscar", "INBOX", "secretly copied", "Bcc", NULL);
  seen_by_peggy = helper ("header", "peggy", "INBOX", "secretly copied", "Bcc", NULL);
  kept = helper ("header", "nina", "Sent", "secretly copied", "Bcc", NULL);
  g_assert_cmpstr (seen_by_oscar, ==, "");
  g_assert_cmpstr (seen_by_peggy, ==, "");
  g_assert_nonnull (strstr (kept, bcc));
  fixture_close (&f);
}

static void
test_smart_reply (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) original = NULL;
  g_autoptr(GPtrArray) erins = NULL, franks = NULL;
  char **reply, **answered;

  deliver ("erin", "frank", "question for frank");
  fixture_connect (&f, "frank");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  original = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "question for frank");
  g_assert_nonnull (original);
  /* opening it fetches the full message (ItemOperations) and so its Message-ID */
  pigeon_provider_fetch_body (f.provider, original->id, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&original, pigeon_message_free);
  original = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "question for frank");
  g_assert_nonnull (original->message_id);

  send_message (&f, "erin", "Re: question for frank", "reply.1@example.test",
                original->message_id, &error);
  g_assert_no_error (error);
  erins = wait_for_subject ("erin", "INBOX", "Re: question for frank");
  reply = imap_find (erins, "Re: question for frank");
  g_assert_cmpstr (reply[6], ==, original->message_id);
  /* SmartReply (not SendMail) marked the original answered on the server */
  franks = imap_messages ("frank", "INBOX");
  answered = imap_find (franks, "question for frank");
  g_assert_cmpstr (answered[3], ==, "1");
  fixture_close (&f);
}

static GArray *
search_ok (Fixture    *f,
           const char *query,
           gint64      folder_id)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  pigeon_provider_search (f->provider, query, folder_id, ids, NULL, &error);
  g_assert_no_error (error);
  return ids;
}

static PigeonMessage *
stored (Fixture *f,
        GArray  *ids,
        guint    i)
{
  g_autoptr(GError) error = NULL;
  PigeonMessage *message = pigeon_store_get_message (f->store, g_array_index (ids, gint64, i),
                                                     &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

/* Search on SOGo: a message delivered after the last sync is found, becomes a row of the
 * inbox under the ServerId the next Sync uses (so it is not added twice), and opens. */
static void
test_server_search (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(GArray) everywhere = NULL, in_inbox = NULL, nothing = NULL;
  g_autoptr(PigeonMessage) newest = NULL, older = NULL;
  g_autoptr(GPtrArray) server = NULL;
  g_autoptr(GBytes) body = NULL;
  char **row;

  deliver ("bob", "leo", "okapi in the garden");
  deliver ("bob", "leo", "unrelated news");
  fixture_connect (&f, "leo");
  g_assert_true (pigeon_provider_get_caps (f.provider) & PIGEON_PROVIDER_CAP_SERVER_SEARCH);
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  inbox = folder_by_role (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_null (store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "second okapi sighting"));

  /* only on the server */
  deliver ("bob", "leo", "second okapi sighting");
  everywhere = search_ok (&f, "okapi", 0);
  g_assert_cmpuint (everywhere->len, ==, 2);
  newest = stored (&f, everywhere, 0);
  older = stored (&f, everywhere, 1);
  g_assert_cmpstr (newest->subject, ==, "second okapi sighting");
  g_assert_cmpstr (older->subject, ==, "okapi in the garden");
  g_assert_cmpint (newest->folder_id, ==, inbox->id);
  g_assert_cmpstr (newest->from, ==, "bob@example.test");
  /* SOGo's ServerId of a mail is its IMAP UID */
  server = imap_messages ("leo", "INBOX");
  row = imap_find (server, "second okapi sighting");
  g_assert_nonnull (row);
  g_assert_cmpstr (newest->remote_id, ==, row[0]);

  /* it opens like a synced message */
  pigeon_provider_fetch_body (f.provider, newest->id, NULL, &error);
  g_assert_no_error (error);
  body = pigeon_store_get_body (f.store, newest->id, &error);
  g_assert_nonnull (body);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  "Body of second okapi sighting"));

  /* one folder; a word nowhere */
  in_inbox = search_ok (&f, "okapi", inbox->id);
  g_assert_cmpuint (in_inbox->len, ==, 2);
  nothing = search_ok (&f, "aardvark", 0);
  g_assert_cmpuint (nothing->len, ==, 0);

  /* the next sync brings nothing twice */
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, inbox->id, NULL), ==, server->len);
  fixture_close (&f);
}

/* Whether SOGo's log has a request of USER with command CMD. */
static gboolean
sogo_logged (const char *user,
             const char *cmd)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *path = g_build_filename (h->dir, "log", "sogo.log", NULL);
  g_autofree char *needle = g_strdup_printf ("Cmd=%s&User=%s&", cmd, user);
  g_autofree char *text = NULL;

  for (guint i = 0; i < 50; i++)
    {
      g_clear_pointer (&text, g_free);
      if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle) != NULL)
        return TRUE;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  return FALSE;
}

/* A forward made the way the composer makes one goes out as SmartForward: it reaches the
 * recipient with the original's text, and the server files it in Sent. */
static void
test_smart_forward (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) original = NULL;
  g_autoptr(GBytes) raw = NULL, forward = NULL;
  g_autoptr(PigeonComposeSeed) seed = NULL;
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) leos = NULL, sent = NULL;
  g_autofree char *from = address ("mia");
  g_auto(GStrv) recipients = NULL;
  char **row;

  deliver ("bob", "mia", "holiday photos");
  fixture_connect (&f, "mia");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  original = store_find (&f, PIGEON_FOLDER_ROLE_INBOX, "holiday photos");
  g_assert_nonnull (original);
  /* the composer forwards what it opened */
  pigeon_provider_fetch_body (f.provider, original->id, NULL, &error);
  g_assert_no_error (error);
  raw = pigeon_store_get_body (f.store, original->id, &error);
  g_assert_nonnull (raw);

  seed = pigeon_compose_seed_new (PIGEON_COMPOSE_FORWARD, raw, NULL, &error);
  g_assert_no_error (error);
  pigeon_message_builder_set_from (builder, "Mia", from);
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "leo@example.test",
                                         &error);
  g_assert_no_error (error);
  pigeon_message_builder_set_subject (builder, seed->subject);
  pigeon_message_builder_set_text (builder, seed->body);
  pigeon_message_builder_set_in_reply_to (builder, seed->in_reply_to);
  pigeon_message_builder_set_references (builder, seed->references);
  forward = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, &error);
  g_assert_no_error (error);
  recipients = pigeon_message_builder_dup_recipients (builder);

  pigeon_provider_send (f.provider, forward, from, (const char * const *) recipients, rejected,
                        NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sogo_logged ("mia", "SmartForward"));

  leos = wait_for_subject ("leo", "INBOX", "Fwd: holiday photos");
  row = imap_find (leos, "Fwd: holiday photos");
  g_assert_cmpstr (row[5], ==, pigeon_message_builder_get_message_id (builder));
  /* a forward, not a reply */
  g_assert_cmpstr (row[6], ==, "");
  sent = wait_for_subject ("mia", "Sent", "Fwd: holiday photos");
  g_assert_cmpuint (sent->len, ==, 1);
  fixture_close (&f);
}

static void
test_contact_completion (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *file = g_build_filename (g_get_tmp_dir (), "pigeon-heidi.vcf", NULL);
  g_autofree char *url = g_strdup_printf ("%s/heidi/Contacts/personal/zed-pigeon.vcf",
                                          env ("PIGEON_TEST_SOGO_DAV"));
  static const char vcard[] =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:zed-pigeon\r\nFN:Zed Quimby\r\nN:Quimby;Zed;;;\r\n"
    "EMAIL;TYPE=work:zed.quimby@example.org\r\nEND:VCARD\r\n";

  fixture_connect (&f, "heidi");
  /* a first sync of the still empty address book, as a new account does */
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_file_set_contents (file, vcard, -1, &error);
  g_assert_no_error (error);
  g_free (helper ("dav-put", url, "heidi", file, NULL));
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);

  found = pigeon_store_complete_address (f.store, "quim", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (found, 0), ==, "Zed Quimby <zed.quimby@example.org>");
  g_unlink (file);
  fixture_close (&f);
}

static void
test_calendar_event (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) start = g_date_time_add_days (now, 2);
  g_autofree char *dtstart = g_date_time_format (start, "%Y%m%dT%H0000Z");
  g_autofree char *file = g_build_filename (g_get_tmp_dir (), "pigeon-ivan.ics", NULL);
  g_autofree char *url = g_strdup_printf ("%s/ivan/Calendar/personal/pigeon-event-1.ics",
                                          env ("PIGEON_TEST_SOGO_DAV"));
  g_autofree char *ics = g_strdup_printf (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pigeon//Test//EN\r\nBEGIN:VEVENT\r\n"
    "UID:pigeon-event-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDURATION:PT1H\r\n"
    "SUMMARY:Pigeon planning\r\nLOCATION:Room 4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", dtstart);
  PigeonEvent *event;

  fixture_connect (&f, "ivan");
  g_file_set_contents (file, ics, -1, &error);
  g_assert_no_error (error);
  g_free (helper ("dav-put", url, "ivan", file, NULL));
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);

  events = pigeon_store_list_upcoming_events (f.store, g_date_time_to_unix (now), 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  event = g_ptr_array_index (events, 0);
  g_assert_cmpstr (event->subject, ==, "Pigeon planning");
  g_assert_cmpstr (event->location, ==, "Room 4");
  g_assert_cmpint (event->starts_at, ==, g_date_time_to_unix (start) / 3600 * 3600);
  g_assert_cmpint (event->ends_at, ==, event->starts_at + 3600);
  g_unlink (file);
  fixture_close (&f);
}

/* A weekly meeting created over CalDAV months ago, with one date cancelled (EXDATE): the
 * store lists its next dates, each a week apart but for the cancelled one. */
static void
test_calendar_recurring (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) weekly = g_ptr_array_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  /* tomorrow 10:00 UTC is the 21st occurrence of a series that began 20 weeks before */
  g_autoptr(GDateTime) next = g_date_time_new_utc (g_date_time_get_year (now),
                                                   g_date_time_get_month (now),
                                                   g_date_time_get_day_of_month (now), 10, 0, 0);
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (next, 1);
  g_autoptr(GDateTime) first = g_date_time_add_weeks (tomorrow, -20);
  g_autoptr(GDateTime) cancelled = g_date_time_add_weeks (tomorrow, 1);
  g_autofree char *dtstart = g_date_time_format (first, "%Y%m%dT%H%M%SZ");
  g_autofree char *exdate = g_date_time_format (cancelled, "%Y%m%dT%H%M%SZ");
  static const char * const days[] = { "MO", "TU", "WE", "TH", "FR", "SA", "SU" };
  const char *byday = days[g_date_time_get_day_of_week (first) - 1];
  g_autofree char *file = g_build_filename (g_get_tmp_dir (), "pigeon-ivan-weekly.ics", NULL);
  g_autofree char *url = g_strdup_printf ("%s/ivan/Calendar/personal/pigeon-weekly-1.ics",
                                          env ("PIGEON_TEST_SOGO_DAV"));
  g_autofree char *ics = NULL;
  gint64 expected[] = {
    g_date_time_to_unix (tomorrow),
    g_date_time_to_unix (tomorrow) + 2 * 7 * 86400,
    g_date_time_to_unix (tomorrow) + 3 * 7 * 86400,
  };

  ics = g_strdup_printf (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pigeon//Test//EN\r\nBEGIN:VEVENT\r\n"
    "UID:pigeon-weekly-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDURATION:PT1H\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=%s\r\nEXDATE:%s\r\nSUMMARY:Pigeon weekly sync\r\n"
    "LOCATION:Room 9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    dtstart, byday, exdate);

  fixture_connect (&f, "ivan");
  g_file_set_contents (file, ics, -1, &error);
  g_assert_no_error (error);
  g_free (helper ("dav-put", url, "ivan", file, NULL));
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);

  events = pigeon_store_list_upcoming_events (f.store, g_date_time_to_unix (now), 20, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      PigeonEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->subject, "Pigeon weekly sync") == 0)
        g_ptr_array_add (weekly, event);
    }
  g_assert_cmpuint (weekly->len, >=, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      PigeonEvent *event = g_ptr_array_index (weekly, i);

      g_test_message ("occurrence %u starts at %" G_GINT64_FORMAT, i, event->starts_at);
      g_assert_cmpint (event->starts_at, ==, expected[i]);
      g_assert_cmpint (event->ends_at, ==, expected[i] + 3600);
      g_assert_cmpstr (event->location, ==, "Room 9");
      g_assert_nonnull (event->recurrence);
      g_assert_cmpint (event->recurrence->type, ==, PIGEON_RECURRENCE_WEEKLY);
    }
  g_unlink (file);
  fixture_close (&f);
}

static void
test_invalid_sync_key (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(GPtrArray) ids = NULL, server = NULL;
  g_autoptr(GHashTable) unique = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *subject = g_strdup_printf ("key test %u", i);

      deliver ("bob", "judy", subject);
    }
  fixture_connect (&f, "judy");
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  inbox = folder_by_role (&f, PIGEON_FOLDER_ROLE_INBOX);
  server = imap_messages ("judy", "INBOX");
  g_assert_cmpuint (server->len, >=, 4);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, inbox->id, NULL), ==, server->len);

  /* a key the server never gave: Status 3, a sync from key 0, and no row twice */
  g_assert_true (pigeon_store_set_folder_sync_state (f.store, inbox->id, 0, 0, 0, "99-12345", &error));
  sync_folder (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, inbox->id, NULL), ==, server->len);
  ids = pigeon_store_list_remote_ids (f.store, inbox->id, &error);
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_add (unique, g_ptr_array_index (ids, i)));
  g_clear_pointer (&inbox, pigeon_folder_free);
  inbox = folder_by_role (&f, PIGEON_FOLDER_ROLE_INBOX);
  g_assert_cmpstr (inbox->sync_key, !=, "99-12345");
  fixture_close (&f);
}

static void
test_wrong_password (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;

  fixture_open (&f, "alice", env ("PIGEON_TEST_SOGO_URL"), "not-her-password", NULL);
  g_assert_false (pigeon_provider_connect (f.provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "alice"));
  fixture_close (&f);
}

static void
test_certificate (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (env ("PIGEON_TEST_SOGO_CERT"), &error);
  g_autoptr(GByteArray) der = NULL;
  g_autofree char *sha256 = NULL;
  const char *url = env ("PIGEON_TEST_SOGO_URL_TLS");

  g_assert_no_error (error);
  g_object_get (cert, "certificate", &der, NULL);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);

  /* not trusted: the error names the fingerprint the user may pin */
  fixture_open (&f, "alice", url, "secret-alice", NULL);
  g_assert_false (pigeon_provider_connect (f.provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
  {
    g_autofree char *lower = g_ascii_strdown (error->message, -1);
    g_autofree char *first = g_strndup (sha256, 2);

    g_assert_nonnull (strstr (lower, first));
  }
  fixture_close (&f);
  g_clear_error (&error);

  /* pinned: the same server is fine */
  fixture_open (&f, "alice", url, "secret-alice", sha256);
  pigeon_provider_connect (f.provider, NULL, &error);
  g_assert_no_error (error);
  pigeon_provider_sync_folders (f.provider, NULL, &error);
  g_assert_no_error (error);
  fixture_close (&f);
}

static void
test_connection_cut (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proxy = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pigeon-cut-XXXXXX", NULL);
  g_autofree char *port_file = g_build_filename (dir, "port", NULL);
  g_autofree char *arm_file = g_build_filename (dir, "arm", NULL);
  g_autofree char *port = NULL, *url = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(GPtrArray) server = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *subject = g_strdup_printf ("cut test %u", i);

      deliver ("carol", "bob", subject);
    }
  proxy = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "/usr/bin/python3", HELPER,
                            "cut-proxy", env ("PIGEON_TEST_SOGO_PORT"), port_file, arm_file, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 500 && !g_file_get_contents (port_file, &port, NULL, NULL); i++)
    g_usleep (10000);
  g_assert_nonnull (port);
  url = g_strdup_printf ("http://127.0.0.1:%u/SOGo/Microsoft-Server-ActiveSync",
                         (guint) g_ascii_strtoull (port, NULL, 10));

  fixture_open (&f, "bob", url, "secret-bob", NULL);
  pigeon_provider_connect (f.provider, NULL, &error);
  g_assert_no_error (error);
  pigeon_provider_sync_folders (f.provider, NULL, &error);
  g_assert_no_error (error);
  inbox = folder_by_role (&f, PIGEON_FOLDER_ROLE_INBOX);

  /* the first Sync reply that carries something is cut in half */
  g_file_set_contents (arm_file, "", 0, NULL);
  g_assert_false (pigeon_provider_sync_folder (f.provider, inbox->id, 0, NULL, &error));
  g_assert_true (pigeon_error_is_transient (error));
  g_clear_error (&error);
  g_assert_false (g_file_test (arm_file, G_FILE_TEST_EXISTS));

  /* the next attempt gets everything, once */
  pigeon_provider_sync_folder (f.provider, inbox->id, 0, NULL, &error);
  g_assert_no_error (error);
  server = imap_messages ("bob", "INBOX");
  g_assert_cmpuint (server->len, >=, 3);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, inbox->id, NULL), ==, server->len);
  fixture_close (&f);

  g_subprocess_force_exit (proxy);
  g_subprocess_wait (proxy, NULL, NULL);
  g_unlink (port_file);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_providers_register ();

  g_test_add_func ("/activesync/sogo/wrong-password", test_wrong_password);
  g_test_add_func ("/activesync/sogo/certificate", test_certificate);
  g_test_add_func ("/activesync/sogo/initial-sync", test_initial_sync);
  g_test_add_func ("/activesync/sogo/changes-seen-over-imap", test_changes_seen_over_imap);
  g_test_add_func ("/activesync/sogo/invalid-sync-key", test_invalid_sync_key);
  g_test_add_func ("/activesync/sogo/connection-cut", test_connection_cut);
  g_test_add_func ("/activesync/sogo/send-mail", test_send_mail);
  g_test_add_func ("/activesync/sogo/send-mail-bcc", test_send_mail_bcc);
  g_test_add_func ("/activesync/sogo/smart-reply", test_smart_reply);
  g_test_add_func ("/activesync/sogo/server-search", test_server_search);
  g_test_add_func ("/activesync/sogo/smart-forward", test_smart_forward);
  g_test_add_func ("/activesync/sogo/contact-completion", test_contact_completion);
  g_test_add_func ("/activesync/sogo/calendar-event", test_calendar_event);
  g_test_add_func ("/activesync/sogo/calendar-recurring", test_calendar_recurring);
  g_test_add_func ("/activesync/sogo/push", test_push);

  return g_test_run ();
}
