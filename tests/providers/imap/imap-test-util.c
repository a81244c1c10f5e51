/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-test-util.h"
#include "pigeon-error.h"
#include "pigeon-providers.h"
#include "pigeon-test-harness.h"

void
imap_fixture_setup (ImapFixture   *fixture,
                    gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *config_dir = NULL;
  g_autofree char *address = NULL;
  g_autofree char *fingerprint = pigeon_test_harness_dup_certificate_sha256 ();
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  pigeon_providers_register ();
  pigeon_test_harness_new_user (&fixture->user, &fixture->password);
  pigeon_test_make_dirs (&config_dir, &fixture->data_dir);
  address = pigeon_test_harness_address (fixture->user);
  id = pigeon_account_generate_id ();
  fixture->account = pigeon_account_new (id);
  g_object_set (fixture->account,
                "name", fixture->user,
                "email", address,
                "protocol", "imap",
                "host", h->host,
                "port", (guint) h->imaps_port,
                "security", PIGEON_SECURITY_TLS,
                "user", fixture->user,
                "trusted-certificate", fingerprint,
                NULL);
  fixture->store = pigeon_store_open (fixture->data_dir, &error);
  g_assert_no_error (error);
  fixture->provider = imap_fixture_new_provider (fixture);
}

void
imap_fixture_teardown (ImapFixture   *fixture,
                       gconstpointer  data)
{
  pigeon_provider_disconnect (fixture->provider);
  g_clear_object (&fixture->provider);
  pigeon_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->account);
  g_free (fixture->user);
  g_free (fixture->password);
  g_free (fixture->data_dir);
}

PigeonProvider *
imap_fixture_new_provider (ImapFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  PigeonProvider *provider = pigeon_provider_new ("imap", fixture->account, fixture->store,
                                                  &error);

  g_assert_no_error (error);
  pigeon_provider_set_password (provider, fixture->password);
  return provider;
}

static int
inbox_first (gconstpointer a,
             gconstpointer b)
{
  const PigeonFolder *fa = *(PigeonFolder * const *) a;
  const PigeonFolder *fb = *(PigeonFolder * const *) b;

  if ((fa->role == PIGEON_FOLDER_ROLE_INBOX) != (fb->role == PIGEON_FOLDER_ROLE_INBOX))
    return fa->role == PIGEON_FOLDER_ROLE_INBOX ? -1 : 1;
  return g_strcmp0 (fa->path, fb->path);
}

gboolean
imap_fixture_sync (ImapFixture     *fixture,
                   PigeonProvider  *provider,
                   PigeonSyncFlags  flags,
                   GError         **error)
{
  g_autoptr(GPtrArray) folders = NULL;

  if (!pigeon_provider_connect (provider, NULL, error) ||
      !pigeon_provider_replay_pending_ops (provider, NULL, error) ||
      !pigeon_provider_sync_folders (provider, NULL, error))
    return FALSE;
  folders = pigeon_store_list_folders (fixture->store, error);
  if (folders == NULL)
    return FALSE;
  g_ptr_array_sort (folders, inbox_first);
  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);

      if (!pigeon_provider_sync_folder (provider, folder->id, flags, NULL, error))
        return FALSE;
    }
  return TRUE;
}

gint64
imap_fixture_folder_id (ImapFixture *fixture,
                        const char  *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder_by_path (fixture->store, path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (folder);
  return folder->id;
}

char *
imap_peer (ImapFixture        *fixture,
           const char * const *args,
           const char         *input)
{
  const char *root = g_getenv ("PIGEON_TEST_SOURCE_ROOT");
  g_autofree char *script = root != NULL
    ? g_build_filename (root, "tests", "providers", "imap", "imap_peer.py", NULL)
    : g_test_build_filename (G_TEST_DIST, "imap_peer.py", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, "/usr/bin/python3");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, fixture->user);
  g_ptr_array_add (argv, fixture->password);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  status = pigeon_test_run ((const char * const *) argv->pdata, input, &out, &err);
  if (status != 0)
    g_error ("imap_peer.py %s failed: %s", args[0], err);
  return out;
}

/* Flags Pigeon keeps, as IMAP names in sorted order. */
static const char *known_flags[] = {
  "$Forwarded", "$Junk", "\\Answered", "\\Deleted", "\\Draft", "\\Flagged", "\\Seen",
};

static char *
filter_flags (char **names)
{
  GString *out = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (known_flags); k++)
    for (guint i = 0; names[i] != NULL; i++)
      if (g_ascii_strcasecmp (names[i], known_flags[k]) == 0)
        {
          g_string_append_c (out, ' ');
          g_string_append (out, known_flags[k]);
          break;
        }
  return g_string_free (out, FALSE);
}

char *
imap_server_listing (ImapFixture *fixture,
                     const char  *folder)
{
  g_autofree char *out = IMAP_PEER (fixture, "uids", folder);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GString *listing = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;
      g_autofree char *flags = NULL;

      if (*lines[i] == '\0')
        continue;
      words = g_strsplit (lines[i], " ", -1);
      flags = filter_flags (words + 1);
      g_string_append_printf (listing, "%s%s\n", words[0], flags);
    }
  return g_string_free (listing, FALSE);
}

char *
imap_store_listing (ImapFixture *fixture,
                    const char  *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder_by_path (fixture->store, path, &error);
  g_autoptr(GArray) uids = NULL;
  GString *listing = g_string_new (NULL);

  g_assert_no_error (error);
  g_assert_nonnull (folder);
  uids = pigeon_store_list_uids (fixture->store, folder->id, folder->uidvalidity, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < uids->len; i++)
    {
      PigeonUidFlags *entry = &g_array_index (uids, PigeonUidFlags, i);
      GPtrArray *names = g_ptr_array_new ();
      g_autofree char *flags = NULL;

      if (entry->flags & PIGEON_MESSAGE_FLAG_SEEN)
        g_ptr_array_add (names, "\\Seen");
      if (entry->flags & PIGEON_MESSAGE_FLAG_ANSWERED)
        g_ptr_array_add (names, "\\Answered");
      if (entry->flags & PIGEON_MESSAGE_FLAG_FLAGGED)
        g_ptr_array_add (names, "\\Flagged");
      if (entry->flags & PIGEON_MESSAGE_FLAG_DELETED)
        g_ptr_array_add (names, "\\Deleted");
      if (entry->flags & PIGEON_MESSAGE_FLAG_DRAFT)
        g_ptr_array_add (names, "\\Draft");
      if (entry->flags & PIGEON_MESSAGE_FLAG_FORWARDED)
        g_ptr_array_add (names, "$Forwarded");
      if (entry->flags & PIGEON_MESSAGE_FLAG_JUNK)
        g_ptr_array_add (names, "$Junk");
      g_ptr_array_add (names, NULL);
      flags = filter_flags ((char **) names->pdata);
      g_ptr_array_free (names, TRUE);
      g_string_append_printf (listing, "%u%s\n", entry->uid, flags);
    }
  return g_string_free (listing, FALSE);
}

/* ------------------------------------------------------------------ cutting proxy */

struct _ImapProxy
{
  GSocketListener *listener;
  GCancellable *cancellable;
  guint16 port;
  guint16 target_port;
  GThread *thread;
  gpointer cut_after;       /* gsize, atomic */
  gpointer bytes;           /* gsize, atomic: server bytes of the current connection */
};

typedef struct
{
  ImapProxy *proxy;
  GSocketConnection *from;
  GSocketConnection *to;
  gboolean from_server;
} Pump;

static gpointer
pump_thread (gpointer data)
{
  Pump *pump = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pump->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (pump->to));
  guint8 buffer[16384];

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, pump->proxy->cancellable, NULL);
      gsize cut = GPOINTER_TO_SIZE (g_atomic_pointer_get (&pump->proxy->cut_after));

      if (n <= 0)
        break;
      if (pump->from_server)
        {
          gsize before = GPOINTER_TO_SIZE (g_atomic_pointer_get (&pump->proxy->bytes));

          g_atomic_pointer_set (&pump->proxy->bytes, GSIZE_TO_POINTER (before + (gsize) n));
          if (cut > 0 && before + (gsize) n >= cut)
            {
              /* Pass what fits, then drop the connection mid-stream. */
              if (cut > before)
                g_output_stream_write_all (out, buffer, (gsize) (cut - before), NULL, NULL, NULL);
              break;
            }
        }
      if (!g_output_stream_write_all (out, buffer, (gsize) n, NULL, NULL, NULL))
        break;
    }
  /* shutdown() wakes the other pump's blocking read; close() would not. */
  g_socket_shutdown (g_socket_connection_get_socket (pump->from), TRUE, TRUE, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (pump->to), TRUE, TRUE, NULL);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  ImapProxy *proxy = data;

  for (;;)
    {
      g_autoptr(GSocketConnection) client = NULL;
      g_autoptr(GSocketConnection) server = NULL;
      g_autoptr(GSocketClient) connector = g_socket_client_new ();
      Pump up, down;
      GThread *a, *b;

      client = g_socket_listener_accept (proxy->listener, NULL, proxy->cancellable, NULL);
      if (client == NULL)
        return NULL;
      server = g_socket_client_connect_to_host (connector, "127.0.0.1", proxy->target_port,
                                                proxy->cancellable, NULL);
      if (server == NULL)
        continue;
      g_atomic_pointer_set (&proxy->bytes, NULL);
      up = (Pump) { proxy, client, server, FALSE };
      down = (Pump) { proxy, server, client, TRUE };
      a = g_thread_new ("proxy-up", pump_thread, &up);
      b = g_thread_new ("proxy-down", pump_thread, &down);
      g_thread_join (a);
      g_thread_join (b);
      g_io_stream_close (G_IO_STREAM (client), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (server), NULL, NULL);
    }
}

ImapProxy *
imap_proxy_new (guint16 target_port)
{
  ImapProxy *proxy = g_new0 (ImapProxy, 1);
  g_autoptr(GError) error = NULL;

  proxy->listener = g_socket_listener_new ();
  proxy->cancellable = g_cancellable_new ();
  proxy->target_port = target_port;
  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) effective = NULL;

    g_socket_listener_add_address (proxy->listener, address, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
    g_assert_no_error (error);
    proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  }
  proxy->thread = g_thread_new ("proxy", accept_thread, proxy);
  return proxy;
}

guint16
imap_proxy_get_port (ImapProxy *proxy)
{
  return proxy->port;
}

void
imap_proxy_set_cut (ImapProxy *proxy,
                    guint64    cut_after)
{
  g_atomic_pointer_set (&proxy->cut_after, GSIZE_TO_POINTER ((gsize) cut_after));
}

guint64
imap_proxy_get_bytes (ImapProxy *proxy)
{
  return GPOINTER_TO_SIZE (g_atomic_pointer_get (&proxy->bytes));
}

void
imap_proxy_free (ImapProxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_socket_listener_close (proxy->listener);
  g_thread_join (proxy->thread);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  g_free (proxy);
}
