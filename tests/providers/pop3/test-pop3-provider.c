/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pop3"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-pop3-download.h"
#include "pigeon-pop3-provider.h"
#include "pop3-fake-server.h"

/* The provider against the scripted server, with a real store: what a server without UIDL
 * (or without TOP) gets, and that nothing is deleted on the server before it is committed. */

#define MSG_ONE "Message-ID: <one@pigeon.test>\r\nSubject: one\r\n\r\nfirst\r\n"
#define MSG_TWO "From: x@pigeon.test\r\nSubject: two\r\n\r\nsecond\r\n..dotted\r\n"
#define MSG_THREE "Message-ID: <three@pigeon.test>\r\nSubject: three\r\n\r\nthird\r\n"

typedef struct
{
  char *dir;
  PigeonStore *store;
  PigeonAccount *account;
  gint64 inbox;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  pigeon_pop3_provider_register ();
  f->dir = g_dir_make_tmp ("pigeon-pop3-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->account = pigeon_account_new ("abcdef01");
  g_object_set (f->account, "email", "alice@pigeon.test", "user", "alice", "protocol", "pop3",
                "host", "127.0.0.1", "security", PIGEON_SECURITY_NONE, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *db = g_build_filename (f->dir, "store.db", NULL);
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (db, "-shm", NULL);

  pigeon_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->account);
  g_unlink (db);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static PigeonProvider *
new_provider (Fixture        *f,
              Pop3FakeServer *server,
              PigeonPop3Keep  keep)
{
  g_autoptr(GError) error = NULL;
  PigeonProvider *provider;

  g_object_set (f->account, "port", server != NULL ? pop3_fake_server_get_port (server) : 110,
                "pop3-keep", keep, NULL);
  provider = pigeon_provider_new ("pop3", f->account, f->store, &error);
  g_assert_no_error (error);
  g_assert_true (PIGEON_IS_POP3_PROVIDER (provider));
  pigeon_provider_set_password (provider, "secret");
  return provider;
}

/* connect, make the local folders, check the inbox, disconnect: what a sync does. */
static gboolean
sync_inbox (Fixture        *f,
            PigeonProvider *provider,
            GError        **error)
{
  g_autoptr(PigeonFolder) inbox = NULL;
  gboolean ok;

  if (!pigeon_provider_connect (provider, NULL, error))
    return FALSE;
  g_assert_true (pigeon_provider_sync_folders (provider, NULL, NULL));
  inbox = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_INBOX, NULL);
  g_assert_nonnull (inbox);
  f->inbox = inbox->id;
  ok = pigeon_provider_sync_folder (provider, inbox->id, PIGEON_SYNC_FLAGS_NONE, NULL, error);
  pigeon_provider_disconnect (provider);
  return ok;
}

/* Script lines that send MESSAGE as a multi-line reply (dot-stuffed). */
static void
add_reply (GPtrArray  *script,
           const char *message)
{
  g_auto(GStrv) lines = g_strsplit (message, "\r\n", -1);

  g_ptr_array_add (script, g_strdup ("S: +OK"));
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    g_ptr_array_add (script, g_strdup_printf ("S: %s%s", lines[i][0] == '.' ? "." : "",
                                              lines[i]));
  g_ptr_array_add (script, g_strdup ("S: ."));
}

/* The header of MESSAGE, as TOP n 0 sends it. */
static void
add_top_reply (GPtrArray  *script,
               const char *message)
{
  g_autofree char *header = g_strndup (message, strstr (message, "\r\n\r\n") + 4 - message);

  add_reply (script, header);
}

static void
add (GPtrArray  *script,
     const char *line)
{
  g_ptr_array_add (script, g_strdup (line));
}

/* Greeting, CAPA (CAPA NULL: the server does not know the command), USER/PASS, and CAPA
 * again where the server has it. */
static void
add_login (GPtrArray          *script,
           const char * const *capa)
{
  add (script, "S: +OK ready");
  for (guint round = 0; round < 2; round++)
    {
      if (round == 1)
        {
          add (script, "C: USER alice");
          add (script, "S: +OK");
          add (script, "C: PASS secret");
          add (script, "S: +OK");
          if (capa == NULL)
            return;
        }
      add (script, "C: CAPA");
      if (capa == NULL)
        {
          add (script, "S: -ERR");
          continue;
        }
      add (script, "S: +OK");
      for (guint i = 0; capa[i] != NULL; i++)
        g_ptr_array_add (script, g_strconcat ("S: ", capa[i], NULL));
      add (script, "S: .");
    }
}

static void
add_list (GPtrArray          *script,
          const char * const *messages)
{
  add (script, "C: LIST");
  add (script, "S: +OK");
  for (guint i = 0; messages[i] != NULL; i++)
    g_ptr_array_add (script, g_strdup_printf ("S: %u %zu", i + 1, strlen (messages[i])));
  add (script, "S: .");
}

static guint
count_inbox (Fixture *f)
{
  return pigeon_store_count_messages (f->store, f->inbox, NULL);
}

static void
assert_store_holds (Fixture    *f,
                    const char *message)
{
  g_autoptr(GPtrArray) rows = pigeon_store_list_messages (f->store, f->inbox, 0, 0, NULL);
  guint found = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      PigeonMessage *m = g_ptr_array_index (rows, i);
      g_autoptr(GBytes) raw = pigeon_store_get_body (f->store, m->id, NULL);

      if (raw != NULL && g_bytes_get_size (raw) == strlen (message) &&
          memcmp (g_bytes_get_data (raw, NULL), message, strlen (message)) == 0)
        found++;
    }
  g_assert_cmpuint (found, ==, 1);
}

/* ------------------------------------------------------------------ no UIDL */

static void
test_no_uidl_with_top (Fixture       *f,
                       gconstpointer  data)
{
  const char *first[] = { MSG_ONE, MSG_TWO, NULL };
  const char *second[] = { MSG_ONE, MSG_TWO, MSG_THREE, NULL };
  const char *capa[] = { "USER", "TOP", NULL };
  g_autoptr(GPtrArray) script = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) uidls = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *key_one = g_strdup_printf ("<one@pigeon.test> %zu", strlen (MSG_ONE));
  g_autofree char *key_two = NULL;
  g_autoptr(GBytes) two = g_bytes_new_static (MSG_TWO, strlen (MSG_TWO));

  /* A server that answers CAPA without UIDL: Pigeon does not even ask for it. */
  add_login (script, capa);
  add_list (script, first);
  add (script, "C: TOP 1 0");
  add_top_reply (script, MSG_ONE);
  add (script, "C: TOP 2 0");
  add_top_reply (script, MSG_TWO);
  /* Newest first. */
  add (script, "C: RETR 2");
  add_reply (script, MSG_TWO);
  add (script, "C: RETR 1");
  add_reply (script, MSG_ONE);
  add (script, "C: QUIT");
  add (script, "S: +OK");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_FOREVER);
    g_assert_true (sync_inbox (f, provider, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (count_inbox (f), ==, 2);
  assert_store_holds (f, MSG_ONE);
  assert_store_holds (f, MSG_TWO);

  /* Known by Message-ID and size, or by a digest of the header where there is no id. */
  uidls = pigeon_store_pop3_list_uidls (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (uidls), ==, 2);
  g_assert_true (g_hash_table_contains (uidls, key_one));
  key_two = pigeon_pop3_fallback_key (two, strlen (MSG_TWO));
  g_assert_true (g_str_has_prefix (key_two, "sha256:"));
  g_assert_true (g_hash_table_contains (uidls, key_two));

  /* The account says why. */
  warning = pigeon_store_get_state (f->store, PIGEON_POP3_STATE_WARNING, NULL);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "UIDL"));

  /* Next check: only the new one is retrieved. */
  g_ptr_array_set_size (script, 0);
  g_clear_object (&provider);
  add_login (script, capa);
  add_list (script, second);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *top = g_strdup_printf ("C: TOP %u 0", i + 1);

      add (script, top);
      add_top_reply (script, second[i]);
    }
  add (script, "C: RETR 3");
  add_reply (script, MSG_THREE);
  add (script, "C: QUIT");
  add (script, "S: +OK");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_FOREVER);
    g_assert_true (sync_inbox (f, provider, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (count_inbox (f), ==, 3);
  assert_store_holds (f, MSG_THREE);
}

static void
test_no_uidl_no_top (Fixture       *f,
                     gconstpointer  data)
{
  const char *first[] = { MSG_ONE, MSG_TWO, NULL };
  const char *second[] = { MSG_THREE, NULL };
  g_autoptr(GPtrArray) script = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  /* A server from before CAPA, without UIDL and TOP: keys come from the messages. */
  add_login (script, NULL);
  add_list (script, first);
  add (script, "C: UIDL");
  add (script, "S: -ERR unknown command");
  add (script, "C: TOP 1 0");
  add (script, "S: -ERR unknown command");
  add (script, "C: RETR 2");
  add_reply (script, MSG_TWO);
  add (script, "C: RETR 1");
  add_reply (script, MSG_ONE);
  /* Keep "no": deleted once committed. */
  add (script, "C: DELE 1");
  add (script, "S: +OK");
  add (script, "C: DELE 2");
  add (script, "S: +OK");
  add (script, "C: QUIT");
  add (script, "S: +OK");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_NO);
    g_assert_true (sync_inbox (f, provider, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (count_inbox (f), ==, 2);

  g_ptr_array_set_size (script, 0);
  g_clear_object (&provider);
  add_login (script, NULL);
  add_list (script, second);
  add (script, "C: UIDL");
  add (script, "S: -ERR unknown command");
  add (script, "C: TOP 1 0");
  add (script, "S: -ERR unknown command");
  add (script, "C: RETR 1");
  add_reply (script, MSG_THREE);
  add (script, "C: DELE 1");
  add (script, "S: +OK");
  add (script, "C: QUIT");
  add (script, "S: +OK");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_NO);
    g_assert_true (sync_inbox (f, provider, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (count_inbox (f), ==, 3);
  assert_store_holds (f, MSG_ONE);
  assert_store_holds (f, MSG_TWO);
  assert_store_holds (f, MSG_THREE);
}

/* ------------------------------------------------------------------ commit before DELE */

static void
add_uidl_login (GPtrArray *script)
{
  const char *capa[] = { "USER", "UIDL", "PIPELINING", NULL };

  add_login (script, capa);
}

static void
test_connection_lost_mid_download (Fixture       *f,
                                   gconstpointer  data)
{
  const char *messages[] = { MSG_ONE, MSG_TWO, NULL };
  g_autoptr(GPtrArray) script = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) uidls = NULL;
  PigeonStoreUidl *row;

  add_uidl_login (script);
  add (script, "C: LIST");
  add (script, "C: UIDL");
  add (script, "S: +OK");
  g_ptr_array_add (script, g_strdup_printf ("S: 1 %zu", strlen (messages[0])));
  g_ptr_array_add (script, g_strdup_printf ("S: 2 %zu", strlen (messages[1])));
  add (script, "S: .");
  add (script, "S: +OK");
  add (script, "S: 1 uid-one");
  add (script, "S: 2 uid-two");
  add (script, "S: .");
  add (script, "C: RETR 2");
  add (script, "C: RETR 1");
  add_reply (script, MSG_TWO);
  /* The second message is cut off: the connection goes, no DELE is ever sent. */
  add (script, "S: +OK");
  add (script, "S: Message-ID: <one@pigeon.test>");
  add (script, "X:");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_NO);
    g_assert_false (sync_inbox (f, provider, &error));
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
    g_clear_error (&error);
  }
  /* The whole message is kept, marked to be deleted on the server next time. */
  g_assert_cmpuint (count_inbox (f), ==, 1);
  assert_store_holds (f, MSG_TWO);
  uidls = pigeon_store_pop3_list_uidls (f->store, &error);
  g_assert_cmpuint (g_hash_table_size (uidls), ==, 1);
  row = g_hash_table_lookup (uidls, "uid-two");
  g_assert_nonnull (row);
  g_assert_true (row->delete_pending);
  g_assert_false (row->deleted);
  g_clear_pointer (&uidls, g_hash_table_unref);

  /* Next check: the rest arrives, then both go from the server, then QUIT. */
  g_ptr_array_set_size (script, 0);
  g_clear_object (&provider);
  add_uidl_login (script);
  add (script, "C: LIST");
  add (script, "C: UIDL");
  add (script, "S: +OK");
  g_ptr_array_add (script, g_strdup_printf ("S: 1 %zu", strlen (messages[0])));
  g_ptr_array_add (script, g_strdup_printf ("S: 2 %zu", strlen (messages[1])));
  add (script, "S: .");
  add (script, "S: +OK");
  add (script, "S: 1 uid-one");
  add (script, "S: 2 uid-two");
  add (script, "S: .");
  add (script, "C: RETR 1");
  add_reply (script, MSG_ONE);
  add (script, "C: DELE 1");
  add (script, "C: DELE 2");
  add (script, "S: +OK");
  add (script, "S: +OK");
  add (script, "C: QUIT");
  add (script, "S: +OK");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_NO);
    g_assert_true (sync_inbox (f, provider, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (count_inbox (f), ==, 2);
  uidls = pigeon_store_pop3_list_uidls (f->store, &error);
  g_assert_cmpuint (g_hash_table_size (uidls), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      row = g_hash_table_lookup (uidls, i == 0 ? "uid-one" : "uid-two");
      g_assert_true (row->deleted);
      g_assert_false (row->delete_pending);
    }
}

static void
test_quit_refused_keeps_pending (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) script = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) uidls = NULL;
  PigeonStoreUidl *row;

  add_uidl_login (script);
  add (script, "C: LIST");
  add (script, "C: UIDL");
  add (script, "S: +OK");
  g_ptr_array_add (script, g_strdup_printf ("S: 1 %zu", strlen (MSG_ONE)));
  add (script, "S: .");
  add (script, "S: +OK");
  add (script, "S: 1 uid-one");
  add (script, "S: .");
  add (script, "C: RETR 1");
  add_reply (script, MSG_ONE);
  add (script, "C: DELE 1");
  add (script, "S: +OK");
  add (script, "C: QUIT");
  add (script, "S: -ERR [SYS/TEMP] could not remove deleted messages");
  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_NO);
    g_assert_false (sync_inbox (f, provider, &error));
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  }
  /* Not confirmed: still to be deleted at the next check. */
  uidls = pigeon_store_pop3_list_uidls (f->store, NULL);
  row = g_hash_table_lookup (uidls, "uid-one");
  g_assert_true (row->delete_pending);
  g_assert_false (row->deleted);
  g_assert_cmpuint (count_inbox (f), ==, 1);
}

/* A huge message is left alone and a refused one waits: neither holds up the others. */
static void
test_too_big_and_refused (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) script = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;

  for (guint round = 0; round < 2; round++)
    {
      g_ptr_array_set_size (script, 0);
      add_uidl_login (script);
      add (script, "C: LIST");
      add (script, "C: UIDL");
      add (script, "S: +OK");
      g_ptr_array_add (script, g_strdup_printf ("S: 1 %zu", strlen (MSG_ONE)));
      add (script, "S: 2 300000000");
      g_ptr_array_add (script, g_strdup_printf ("S: 3 %zu", strlen (MSG_THREE)));
      add (script, "S: .");
      add (script, "S: +OK");
      add (script, "S: 1 uid-one");
      add (script, "S: 2 uid-huge");
      add (script, "S: 3 uid-three");
      add (script, "S: .");
      if (round == 0)
        {
          add (script, "C: RETR 3");
          add (script, "C: RETR 1");
          add (script, "S: -ERR [SYS/TEMP] cannot read it now");
          add_reply (script, MSG_ONE);
        }
      else
        {
          add (script, "C: RETR 3");
          add_reply (script, MSG_THREE);
        }
      add (script, "C: QUIT");
      add (script, "S: +OK");
      {
        g_autoptr(Pop3FakeServer) server = pop3_fake_server_new_array (script);

        g_clear_object (&provider);
        provider = new_provider (f, server, PIGEON_POP3_KEEP_FOREVER);
        g_assert_true (sync_inbox (f, provider, &error));
        g_assert_no_error (error);
      }
      g_clear_pointer (&warning, g_free);
      warning = pigeon_store_get_state (f->store, PIGEON_POP3_STATE_WARNING, NULL);
      g_assert_nonnull (warning);
      g_assert_nonnull (strstr (warning, "larger than 256 MB"));
      if (round == 0)
        {
          g_assert_nonnull (strstr (warning, "cannot read it now"));
          g_assert_cmpuint (count_inbox (f), ==, 1);
        }
      else
        {
          g_assert_null (strstr (warning, "cannot read it now"));
          g_assert_cmpuint (count_inbox (f), ==, 2);
        }
    }
  assert_store_holds (f, MSG_ONE);
  assert_store_holds (f, MSG_THREE);
}

/* After [LOGIN-DELAY] the provider waits as long as the server asked, without trying. */
static void
test_login_delay (Fixture       *f,
                  gconstpointer  data)
{
  const char *script[] = {
    "S: +OK ready", "C: CAPA", "S: +OK", "S: USER", "S: LOGIN-DELAY 900", "S: RESP-CODES",
    "S: .", "C: USER alice", "S: +OK", "C: PASS secret",
    "S: -ERR [LOGIN-DELAY] wait a quarter of an hour", NULL
  };
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *not_before = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  {
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);

    provider = new_provider (f, server, PIGEON_POP3_KEEP_FOREVER);
    g_assert_false (pigeon_provider_connect (provider, NULL, &error));
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
    g_assert_nonnull (strstr (error->message, "15 minutes"));
    g_clear_error (&error);
  }
  not_before = pigeon_store_get_state (f->store, "pop3-login-not-before", NULL);
  g_assert_nonnull (not_before);
  g_assert_cmpint (g_ascii_strtoll (not_before, NULL, 10), >=, now + 900);

  /* The server is gone now: had the provider tried, this would be a CONNECT error. */
  g_assert_false (pigeon_provider_connect (provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "waits until"));
  g_clear_error (&error);

  /* Once the time has passed, it logs in, and forgets the wait. */
  g_assert_true (pigeon_store_set_state (f->store, "pop3-login-not-before", "1", NULL));
  {
    const char *again[] = {
      "S: +OK ready", "C: CAPA", "S: -ERR", "C: USER alice", "S: +OK", "C: PASS secret",
      "S: +OK", "C: QUIT", "S: +OK", NULL
    };
    g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (again);

    g_clear_object (&provider);
    provider = new_provider (f, server, PIGEON_POP3_KEEP_FOREVER);
    g_assert_true (pigeon_provider_connect (provider, NULL, &error));
    g_assert_no_error (error);
    pigeon_provider_disconnect (provider);
  }
  g_clear_pointer (&not_before, g_free);
  not_before = pigeon_store_get_state (f->store, "pop3-login-not-before", NULL);
  g_assert_null (not_before);
}

/* ------------------------------------------------------------------ local changes */

static gint64
commit_one (Fixture    *f,
            const char *uidl,
            const char *message)
{
  g_autoptr(GPtrArray) downloads = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_store_download_free);
  g_autoptr(GBytes) raw = g_bytes_new (message, strlen (message));
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (downloads, pigeon_store_download_new (uidl, strlen (message), raw, 1000));
  g_assert_true (pigeon_store_pop3_commit_downloads (f->store, f->inbox, downloads, FALSE,
                                                     &error));
  g_assert_no_error (error);
  /* Committing the same id again stores nothing. */
  g_assert_true (pigeon_store_pop3_commit_downloads (f->store, f->inbox, downloads, FALSE,
                                                     &error));
  g_assert_cmpint (pigeon_store_download_get_message_id (g_ptr_array_index (downloads, 0)), ==, 0);
  {
    g_autoptr(PigeonMessage) row = pigeon_store_get_message_by_remote_id (f->store, f->inbox,
                                                                           uidl, NULL);

    g_assert_nonnull (row);
    return row->id;
  }
}

static void
replay (PigeonProvider *provider)
{
  g_autoptr(GError) error = NULL;

  /* No server is needed: every change of a POP3 account is local. */
  g_assert_true (pigeon_provider_replay_pending_ops (provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_store_count_pending_ops (pigeon_provider_get_store (provider), NULL),
                    ==, 0);
}

static gboolean
pending (Fixture    *f,
         const char *uidl)
{
  g_autoptr(GHashTable) uidls = pigeon_store_pop3_list_uidls (f->store, NULL);
  PigeonStoreUidl *row = g_hash_table_lookup (uidls, uidl);

  g_assert_nonnull (row);
  return row->delete_pending;
}

static void
test_local_changes (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = new_provider (f, NULL, PIGEON_POP3_KEEP_UNTIL_DELETED);
  g_autoptr(PigeonFolder) trash = NULL;
  g_autoptr(PigeonFolder) sent = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) error = NULL;
  gint64 one, two;

  g_assert_true (pigeon_provider_sync_folders (provider, NULL, &error));
  g_assert_no_error (error);
  folders = pigeon_store_list_folders (f->store, NULL);
  g_assert_cmpuint (folders->len, ==, 4);
  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);

      g_assert_true (folder->flags & PIGEON_FOLDER_FLAG_LOCAL);
      if (folder->role == PIGEON_FOLDER_ROLE_INBOX)
        f->inbox = folder->id;
    }
  trash = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_TRASH, NULL);
  sent = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_SENT, NULL);

  /* The folders are made once: one the user deleted stays deleted. */
  g_assert_true (pigeon_store_delete_folder (f->store, sent->id, NULL));
  g_assert_true (pigeon_provider_sync_folders (provider, NULL, &error));
  g_assert_null (pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_SENT, NULL));

  one = commit_one (f, "uid-one", MSG_ONE);
  two = commit_one (f, "uid-two", MSG_TWO);

  /* Flags and moves stay local. */
  g_assert_true (pigeon_store_change_flags (f->store, &one, 1, PIGEON_MESSAGE_FLAG_SEEN, 0,
                                            NULL));
  g_assert_true (pigeon_store_move_messages (f->store, &one, 1, trash->id, NULL));
  replay (provider);
  g_assert_false (pending (f, "uid-one"));

  /* Deleted for good, after a move that took its remote id: the server copy is to go. */
  g_assert_true (pigeon_store_expunge_messages (f->store, &one, 1, NULL));
  replay (provider);
  g_assert_true (pending (f, "uid-one"));
  g_assert_false (pending (f, "uid-two"));

  /* Under "forever", deleting in Pigeon leaves the server alone. */
  g_object_set (f->account, "pop3-keep", PIGEON_POP3_KEEP_FOREVER, NULL);
  g_assert_true (pigeon_store_expunge_messages (f->store, &two, 1, NULL));
  replay (provider);
  g_assert_false (pending (f, "uid-two"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/pop3/provider/no-uidl/top", test_no_uidl_with_top);
  ADD ("/pop3/provider/no-uidl/no-top", test_no_uidl_no_top);
  ADD ("/pop3/provider/connection-lost-mid-download", test_connection_lost_mid_download);
  ADD ("/pop3/provider/quit-refused-keeps-pending", test_quit_refused_keeps_pending);
  ADD ("/pop3/provider/too-big-and-refused", test_too_big_and_refused);
  ADD ("/pop3/provider/login-delay", test_login_delay);
  ADD ("/pop3/provider/local-changes", test_local_changes);
#undef ADD

  return g_test_run ();
}
