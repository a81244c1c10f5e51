/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The provider against a scripted fake server on loopback that answers with what a real
 * server never sends: every hostile reply must end in an error for that connection, leave
 * the store as it was, and the next sync (with a well-behaved server) must work. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-provider.h"
#include "pigeon-providers.h"
#include "pigeon-store.h"

typedef void (*Hostile) (GOutputStream *out, const char *tag);

typedef struct
{
  GSocketListener *listener;
  GCancellable *cancellable;
  guint16 port;
  GThread *thread;
  Hostile hostile;         /* answers the envelope FETCH; NULL: a normal answer */
  const char *search;      /* the ESEARCH answer */
  const char *caps;        /* after login; NULL: IMAP4rev1 LITERAL+ ESEARCH UIDPLUS */
  guint64 modseq;          /* HIGHESTMODSEQ; 0: the server has no CONDSTORE */
  GMutex lock;
  GPtrArray *log;          /* every command received, without its tag */
} FakeServer;

static gboolean
has_cap (FakeServer *server,
         const char *cap)
{
  g_autofree char *padded = g_strdup_printf (" %s ", server->caps);
  g_autofree char *needle = g_strdup_printf (" %s ", cap);

  return strstr (padded, needle) != NULL;
}

/* Whether the client sent a command starting with PREFIX, and forget the log. */
static gboolean
sent (FakeServer *server,
      const char *prefix)
{
  gboolean found = FALSE;

  g_mutex_lock (&server->lock);
  for (guint i = 0; i < server->log->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (server->log, i), prefix))
      found = TRUE;
  g_mutex_unlock (&server->lock);
  return found;
}

static void
forget (FakeServer *server)
{
  g_mutex_lock (&server->lock);
  g_ptr_array_set_size (server->log, 0);
  g_mutex_unlock (&server->lock);
}

static void say (GOutputStream *out, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
say (GOutputStream *out,
     const char    *format,
     ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL);
}

static const char envelope_fetch[] =
  "* %u FETCH (UID %u FLAGS (\\Seen) INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" "
  "RFC822.SIZE 120 ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"Message %u\" "
  "((\"A\" NIL \"a\" \"example.test\")) NIL NIL ((NIL NIL \"b\" \"example.test\")) NIL NIL NIL "
  "\"<m%u@fake>\") BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL) "
  "BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n)\r\n";

/* One client, one line at a time: a mailbox INBOX of three messages and an empty Archive. */
static void
serve (FakeServer        *server,
       GSocketConnection *connection)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in =
    g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  const char *caps = server->caps;
  gboolean archive = FALSE;

  say (out, "* OK [CAPABILITY IMAP4rev1 LITERAL+] fake ready\r\n");
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, server->cancellable, NULL);
      g_auto(GStrv) words = NULL;
      const char *tag;
      const char *command;
      const char *rest;

      if (line == NULL)
        return;
      g_strchomp (line);
      words = g_strsplit (line, " ", 4);
      if (g_strv_length (words) < 2)
        return;
      tag = words[0];
      command = words[1];
      rest = line + strlen (tag) + 1;
      g_mutex_lock (&server->lock);
      g_ptr_array_add (server->log, g_strdup (rest));
      g_mutex_unlock (&server->lock);

      if (g_ascii_strcasecmp (command, "LOGIN") == 0)
        say (out, "%s OK [CAPABILITY %s] Logged in\r\n", tag, caps);
      else if (g_ascii_strcasecmp (command, "CAPABILITY") == 0)
        say (out, "* CAPABILITY %s\r\n%s OK done\r\n", caps, tag);
      else if (g_ascii_strcasecmp (command, "LIST") == 0)
        say (out, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
             "* LIST (\\HasNoChildren) \"/\" Archive\r\n%s OK done\r\n", tag);
      else if (g_ascii_strcasecmp (command, "SELECT") == 0 ||
               g_ascii_strcasecmp (command, "EXAMINE") == 0)
        {
          archive = strstr (rest, "Archive") != NULL;
          say (out, "* %u EXISTS\r\n* OK [UIDVALIDITY %u] ok\r\n* OK [UIDNEXT %u] ok\r\n",
               archive ? 0 : 3, archive ? 9 : 7, archive ? 1 : 4);
          if (server->modseq != 0)
            say (out, "* OK [HIGHESTMODSEQ %" G_GUINT64_FORMAT "] ok\r\n", server->modseq);
          say (out, "%s OK [READ-WRITE] done\r\n", tag);
        }
      else if (g_ascii_strcasecmp (command, "UID") == 0 && g_str_has_prefix (words[2], "SEARCH"))
        {
          if (archive)
            say (out, "%s OK done\r\n", tag);
          else if (has_cap (server, "ESEARCH"))
            say (out, "* ESEARCH (TAG \"%s\") UID ALL %s\r\n%s OK done\r\n", tag,
                 server->search ? server->search : "1:3", tag);
          else
            say (out, "* SEARCH 1 2 3\r\n%s OK done\r\n", tag);
        }
      else if (g_ascii_strcasecmp (command, "UID") == 0 && g_str_has_prefix (words[2], "FETCH"))
        {
          if (strstr (rest, "CHANGEDSINCE") != NULL)
            say (out, "* 2 FETCH (UID 2 FLAGS (\\Seen \\Flagged) MODSEQ (%" G_GUINT64_FORMAT
                 "))\r\n", server->modseq);
          else if (strstr (rest, "ENVELOPE") == NULL)
            for (guint i = 1; i <= 3; i++)
              say (out, "* %u FETCH (UID %u FLAGS (\\Seen))\r\n", i, i);
          else if (server->hostile != NULL)
            {
              server->hostile (out, tag);
              return;
            }
          else
            for (guint i = 3; i >= 1; i--)
              say (out, envelope_fetch, i, i, i, i);
          say (out, "%s OK done\r\n", tag);
        }
      else if (g_ascii_strcasecmp (command, "UID") == 0 &&
               (g_str_has_prefix (words[2], "COPY") || g_str_has_prefix (words[2], "MOVE")))
        {
          /* UID COPY|MOVE 2 Archive: the message becomes UID 1 there */
          gboolean uidplus = has_cap (server, "UIDPLUS");

          if (g_str_has_prefix (words[2], "MOVE"))
            say (out, "%s* 2 EXPUNGE\r\n%s OK done\r\n",
                 uidplus ? "* OK [COPYUID 9 2 1] moved\r\n" : "", tag);
          else
            say (out, "%s OK %sdone\r\n", tag, uidplus ? "[COPYUID 9 2 1] " : "");
        }
      else if (g_ascii_strcasecmp (command, "LOGOUT") == 0)
        {
          say (out, "* BYE bye\r\n%s OK done\r\n", tag);
          return;
        }
      else
        say (out, "%s OK done\r\n", tag);
    }
}

static gpointer
server_thread (gpointer data)
{
  FakeServer *server = data;

  for (;;)
    {
      g_autoptr(GSocketConnection) connection =
        g_socket_listener_accept (server->listener, NULL, server->cancellable, NULL);

      if (connection == NULL)
        return NULL;
      /* Answers go out line by line: without this, Nagle and delayed ACKs cost 40 ms each. */
      g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                           1, NULL);
      serve (server, connection);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
}

typedef struct
{
  FakeServer server;
  char *dir;
  PigeonAccount *account;
  PigeonStore *store;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  pigeon_providers_register ();
  g_mutex_init (&fixture->server.lock);
  fixture->server.log = g_ptr_array_new_with_free_func (g_free);
  fixture->server.caps = "IMAP4rev1 LITERAL+ ESEARCH UIDPLUS";
  fixture->server.listener = g_socket_listener_new ();
  fixture->server.cancellable = g_cancellable_new ();
  g_socket_listener_add_address (fixture->server.listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  fixture->server.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  fixture->server.thread = g_thread_new ("fake-imap", server_thread, &fixture->server);

  fixture->dir = g_dir_make_tmp ("pigeon-imap-fake-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store = pigeon_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  fixture->account = pigeon_account_new ("fake");
  g_object_set (fixture->account,
                "name", "fake", "email", "me@example.test", "protocol", "imap",
                "host", "127.0.0.1", "port", (guint) fixture->server.port,
                "security", PIGEON_SECURITY_NONE, "user", "me",
                NULL);
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
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_cancellable_cancel (fixture->server.cancellable);
  g_socket_listener_close (fixture->server.listener);
  g_thread_join (fixture->server.thread);
  g_object_unref (fixture->server.listener);
  g_object_unref (fixture->server.cancellable);
  g_ptr_array_unref (fixture->server.log);
  g_mutex_clear (&fixture->server.lock);
  pigeon_store_close (fixture->store);
  g_object_unref (fixture->store);
  g_object_unref (fixture->account);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static gboolean
sync_inbox (Fixture  *fixture,
            GError  **error)
{
  g_autoptr(PigeonProvider) provider = pigeon_provider_new ("imap", fixture->account,
                                                            fixture->store, error);
  g_autoptr(PigeonFolder) inbox = NULL;
  gboolean ok;

  g_assert_nonnull (provider);
  pigeon_provider_set_password (provider, "secret");
  if (!pigeon_provider_connect (provider, NULL, error) ||
      !pigeon_provider_sync_folders (provider, NULL, error))
    return FALSE;
  inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", error);
  g_assert_nonnull (inbox);
  ok = pigeon_provider_sync_folder (provider, inbox->id, PIGEON_SYNC_FLAGS_NONE, NULL, error);
  pigeon_provider_disconnect (provider);
  return ok;
}

static guint
inbox_count (Fixture *fixture)
{
  g_autoptr(PigeonFolder) inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", NULL);

  return inbox != NULL ? pigeon_store_count_messages (fixture->store, inbox->id, NULL) : 0;
}

/* The scenario's reply refuses with PROTOCOL (or CONNECTION_LOST), stores nothing, and a
 * normal server afterwards syncs fine. */
static void
check_hostile (Fixture         *fixture,
               PigeonErrorCode  expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (sync_inbox (fixture, &error));
  g_assert_error (error, PIGEON_ERROR, (gint) expected);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (inbox_count (fixture), ==, 0);

  fixture->server.hostile = NULL;
  fixture->server.search = NULL;
  g_clear_error (&error);
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inbox_count (fixture), ==, 3);
}

static void
test_normal (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) archive = NULL;

  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inbox_count (fixture), ==, 3);
  /* No SPECIAL-USE here: the role comes from the name. */
  archive = pigeon_store_get_folder_by_path (fixture->store, "Archive", &error);
  g_assert_cmpint (archive->role, ==, PIGEON_FOLDER_ROLE_ARCHIVE);
}

static void
huge_literal (GOutputStream *out,
              const char    *tag)
{
  say (out, "* 3 FETCH (UID 3 BODY[] {99999999999}\r\n");
}

static void
test_huge_literal (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture->server.hostile = huge_literal;
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

static void
endless_line (GOutputStream *out,
              const char    *tag)
{
  g_autofree char *chunk = g_strnfill (1024 * 1024, 'a');

  say (out, "* 3 FETCH (UID 3 X ");
  for (guint i = 0; i < 12; i++)
    if (!g_output_stream_write_all (out, chunk, strlen (chunk), NULL, NULL, NULL))
      break;
}

static void
test_endless_line (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture->server.hostile = endless_line;
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

static void
deep_nesting (GOutputStream *out,
              const char    *tag)
{
  g_autofree char *parens = g_strnfill (100000, '(');

  say (out, "* 3 FETCH (UID 3 BODYSTRUCTURE %s\r\n", parens);
}

static void
test_deep_nesting (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture->server.hostile = deep_nesting;
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

static void
garbage (GOutputStream *out,
         const char    *tag)
{
  static const guint8 junk[] = { 0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, '\r', '\n' };

  g_output_stream_write_all (out, junk, sizeof junk, NULL, NULL, NULL);
}

static void
test_garbage (Fixture       *fixture,
              gconstpointer  data)
{
  fixture->server.hostile = garbage;
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

static void
unbalanced (GOutputStream *out,
            const char    *tag)
{
  say (out, "* 3 FETCH (UID 3 FLAGS (\\Seen)))\r\n%s OK done\r\n", tag);
}

static void
test_unbalanced (Fixture       *fixture,
                 gconstpointer  data)
{
  fixture->server.hostile = unbalanced;
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

static void
bye (GOutputStream *out,
     const char    *tag)
{
  say (out, "* 3 FETCH (UID 3 FLAGS ())\r\n* BYE Server shutting down\r\n");
}

static void
test_bye_mid_fetch (Fixture       *fixture,
                    gconstpointer  data)
{
  fixture->server.hostile = bye;
  check_hostile (fixture, PIGEON_ERROR_CONNECTION_LOST);
}

/* A server claiming four billion UIDs in a mailbox of three is not believed. */
static void
test_absurd_search (Fixture       *fixture,
                    gconstpointer  data)
{
  fixture->server.search = "1:4294967295";
  check_hostile (fixture, PIGEON_ERROR_PROTOCOL);
}

/* Well-formed IMAP with nonsense in it (a broken ENVELOPE, UID 0, a FETCH for a message
 * nobody asked about) is skipped, and what is good is kept. */
static void
nonsense (GOutputStream *out,
          const char    *tag)
{
  say (out, "* 1 FETCH (UID 1 ENVELOPE (NIL))\r\n");
  say (out, "* 2 FETCH (UID 0 FLAGS (\\Seen) "
       "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
  say (out, "* 9 FETCH (UID 99999 FLAGS (\\Seen))\r\n");
  say (out, envelope_fetch, 3, 3, 3, 3);
  say (out, "%s OK done\r\n", tag);
}

static void
test_nonsense (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server.hostile = nonsense;
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inbox_count (fixture), ==, 1);
}

static PigeonProvider *
new_provider (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  PigeonProvider *provider = pigeon_provider_new ("imap", fixture->account, fixture->store,
                                                  &error);

  g_assert_no_error (error);
  pigeon_provider_set_password (provider, "secret");
  return provider;
}

static PigeonMessage *
inbox_message (Fixture *fixture,
               guint32  uid)
{
  g_autoptr(PigeonFolder) inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", NULL);

  return pigeon_store_get_message_by_uid (fixture->store, inbox->id, uid, NULL);
}

/* A server with CONDSTORE but neither QRESYNC nor ESEARCH: plain UID SEARCH the first
 * time, then only what changed since the last HIGHESTMODSEQ, and no UID SEARCH when the
 * counts show nothing was added or removed. */
static void
test_condstore (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;

  fixture->server.caps = "IMAP4rev1 LITERAL+ CONDSTORE";
  fixture->server.modseq = 5;
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_true (sent (&fixture->server, "SELECT INBOX (CONDSTORE)"));
  g_assert_true (sent (&fixture->server, "UID SEARCH ALL"));
  g_assert_cmpuint (inbox_count (fixture), ==, 3);

  forget (&fixture->server);
  fixture->server.modseq = 6;
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_true (sent (&fixture->server, "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 5)"));
  g_assert_false (sent (&fixture->server, "UID SEARCH"));
  m = inbox_message (fixture, 2);
  g_assert_true (m->flags & PIGEON_MESSAGE_FLAG_FLAGGED);

  /* Nothing changed: not even the flags are asked for. */
  forget (&fixture->server);
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_false (sent (&fixture->server, "UID FETCH"));
}

/* Without CONDSTORE every flag is compared. */
static void
test_no_condstore (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server.caps = "IMAP4rev1";
  g_assert_true (sync_inbox (fixture, &error));
  forget (&fixture->server);
  g_assert_true (sync_inbox (fixture, &error));
  g_assert_no_error (error);
  g_assert_true (sent (&fixture->server, "UID FETCH 1:3 (UID FLAGS)"));
}

/* A move without MOVE: COPY, \Deleted, UID EXPUNGE; COPYUID gives the moved row its UID,
 * and without UIDPLUS the row is dropped until the next sync brings it back. */
static void
check_move_fallback (Fixture  *fixture,
                     gboolean  uidplus)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;
  g_autoptr(PigeonMessage) moved = NULL;
  g_autoptr(PigeonFolder) archive = NULL;

  fixture->server.caps = uidplus ? "IMAP4rev1 LITERAL+ UIDPLUS" : "IMAP4rev1 LITERAL+";
  g_assert_true (sync_inbox (fixture, &error));
  m = inbox_message (fixture, 2);
  archive = pigeon_store_get_folder_by_path (fixture->store, "Archive", &error);
  g_assert_nonnull (archive);
  g_assert_true (pigeon_store_move_messages (fixture->store, &m->id, 1, archive->id, &error));

  forget (&fixture->server);
  provider = new_provider (fixture);
  g_assert_true (pigeon_provider_replay_pending_ops (provider, NULL, &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (provider);
  g_assert_true (sent (&fixture->server, "UID COPY 2 Archive"));
  g_assert_true (sent (&fixture->server, "UID STORE 2 +FLAGS (\\Deleted)"));
  g_assert_true (sent (&fixture->server, uidplus ? "UID EXPUNGE 2" : "EXPUNGE"));
  g_assert_false (sent (&fixture->server, "UID MOVE"));

  moved = pigeon_store_get_message (fixture->store, m->id, NULL);
  if (uidplus)
    {
      g_assert_nonnull (moved);
      g_assert_cmpint (moved->folder_id, ==, archive->id);
      g_assert_cmpuint (moved->uidvalidity, ==, 9);
      g_assert_cmpuint (moved->uid, ==, 1);
    }
  else
    g_assert_null (moved);
}

static void
test_move_uidplus (Fixture       *fixture,
                   gconstpointer  data)
{
  check_move_fallback (fixture, TRUE);
}

static void
test_move_plain (Fixture       *fixture,
                 gconstpointer  data)
{
  check_move_fallback (fixture, FALSE);
}

/* With MOVE: one command, and COPYUID from its untagged OK. */
static void
test_move (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) m = NULL;
  g_autoptr(PigeonMessage) moved = NULL;
  g_autoptr(PigeonFolder) archive = NULL;

  fixture->server.caps = "IMAP4rev1 LITERAL+ UIDPLUS MOVE";
  g_assert_true (sync_inbox (fixture, &error));
  m = inbox_message (fixture, 2);
  archive = pigeon_store_get_folder_by_path (fixture->store, "Archive", &error);
  g_assert_true (pigeon_store_move_messages (fixture->store, &m->id, 1, archive->id, &error));
  forget (&fixture->server);
  provider = new_provider (fixture);
  g_assert_true (pigeon_provider_replay_pending_ops (provider, NULL, &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (provider);
  g_assert_true (sent (&fixture->server, "UID MOVE 2 Archive"));
  g_assert_false (sent (&fixture->server, "UID COPY"));
  moved = pigeon_store_get_message (fixture->store, m->id, NULL);
  g_assert_cmpuint (moved->uid, ==, 1);
}

/* Without IDLE, waiting for changes asks with NOOP. */
static void
test_no_idle (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_true (sync_inbox (fixture, &error));
  forget (&fixture->server);
  provider = new_provider (fixture);
  start = g_get_monotonic_time ();
  g_assert_true (pigeon_provider_wait_for_changes (provider, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC - 100000);
  g_assert_true (sent (&fixture->server, "EXAMINE INBOX"));
  g_assert_true (sent (&fixture->server, "NOOP"));
  g_assert_false (sent (&fixture->server, "IDLE"));
  pigeon_provider_disconnect (provider);
}

/* Only the folder list is known; the search brings the inbox's hits in, in the sync's way. */
static gboolean
search_everywhere (Fixture  *fixture,
                   GArray   *ids,
                   GError  **error)
{
  g_autoptr(PigeonProvider) provider = new_provider (fixture);
  gboolean ok;

  if (!pigeon_provider_connect (provider, NULL, error) ||
      !pigeon_provider_sync_folders (provider, NULL, error))
    return FALSE;
  ok = pigeon_provider_search (provider, "quarterly report", 0, ids, NULL, error);
  pigeon_provider_disconnect (provider);
  return ok;
}

static void
test_search_plain (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint uids = 0;

  /* without ESEARCH: one TEXT per word, the answer a plain SEARCH */
  fixture->server.caps = "IMAP4rev1 LITERAL+ UIDPLUS";
  g_assert_true (search_everywhere (fixture, ids, &error));
  g_assert_no_error (error);
  g_assert_true (sent (&fixture->server, "UID SEARCH TEXT quarterly TEXT report"));
  g_assert_false (sent (&fixture->server, "UID SEARCH RETURN"));
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpuint (inbox_count (fixture), ==, 3);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(PigeonMessage) hit = pigeon_store_get_message (fixture->store,
                                                               g_array_index (ids, gint64, i),
                                                               &error);

      g_assert_nonnull (hit);
      uids |= 1u << hit->uid;
    }
  g_assert_cmpuint (uids, ==, (1u << 1) | (1u << 2) | (1u << 3));
}

static void
test_search_absurd (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* four billion hits in a mailbox of three: refused, nothing walked, nothing stored */
  fixture->server.search = "1:4294967295";
  g_assert_false (search_everywhere (fixture, ids, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_true (sent (&fixture->server, "UID SEARCH RETURN (ALL) TEXT quarterly TEXT report"));
  g_assert_cmpuint (ids->len, ==, 0);
  g_assert_cmpuint (inbox_count (fixture), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/imap/fake-server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("normal", test_normal);
  ADD ("huge-literal", test_huge_literal);
  ADD ("endless-line", test_endless_line);
  ADD ("deep-nesting", test_deep_nesting);
  ADD ("garbage", test_garbage);
  ADD ("unbalanced", test_unbalanced);
  ADD ("bye-mid-fetch", test_bye_mid_fetch);
  ADD ("absurd-search", test_absurd_search);
  ADD ("nonsense", test_nonsense);
  ADD ("condstore", test_condstore);
  ADD ("no-condstore", test_no_condstore);
  ADD ("move", test_move);
  ADD ("move-fallback-uidplus", test_move_uidplus);
  ADD ("move-fallback-plain", test_move_plain);
  ADD ("no-idle", test_no_idle);
  ADD ("search-plain", test_search_plain);
  ADD ("search-absurd", test_search_absurd);
#undef ADD

  return g_test_run ();
}
