/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-test-harness.h"

/* The C helpers the integration tests use, against the running harness. */

typedef struct
{
  GIOStream        *tls;
  GDataInputStream *in;
  GOutputStream    *out;
  guint             tag;
} Imap;

static void
imap_close (Imap *imap)
{
  g_io_stream_close (imap->tls, NULL, NULL);
  g_clear_object (&imap->in);
  g_clear_object (&imap->tls);
}

/* Implicit TLS to the IMAPS port, trusting nothing but the harness certificate. */
static void
imap_connect (Imap             *imap,
              GTlsCertificate **peer)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  connection = g_socket_client_connect_to_host (client, h->host, h->imaps_port, NULL, &error);
  g_assert_no_error (error);
  identity = g_network_address_new (h->host, h->imaps_port);
  imap->tls = g_tls_client_connection_new (G_IO_STREAM (connection), identity, &error);
  g_assert_no_error (error);
  database = g_tls_file_database_new (h->ca_file, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (imap->tls), database);
  g_tls_connection_handshake (G_TLS_CONNECTION (imap->tls), NULL, &error);
  g_assert_no_error (error);
  if (peer != NULL)
    *peer = g_object_ref (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (imap->tls)));

  imap->in = g_data_input_stream_new (g_io_stream_get_input_stream (imap->tls));
  g_data_input_stream_set_newline_type (imap->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  imap->out = g_io_stream_get_output_stream (imap->tls);
  greeting = g_data_input_stream_read_line (imap->in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
}

/* Sends one command; returns the untagged lines and sets *ok from the tagged reply. */
static char *
imap_command (Imap       *imap,
              const char *command,
              gboolean   *ok)
{
  g_autofree char *tag = g_strdup_printf ("t%u", ++imap->tag);
  g_autofree char *line = g_strdup_printf ("%s %s\r\n", tag, command);
  g_autoptr(GString) untagged = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (imap->out, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *reply = g_data_input_stream_read_line (imap->in, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (reply);
      if (g_str_has_prefix (reply, tag) && reply[strlen (tag)] == ' ')
        {
          *ok = g_str_has_prefix (reply + strlen (tag), " OK");
          return g_string_free (g_steal_pointer (&untagged), FALSE);
        }
      g_string_append_printf (untagged, "%s\n", reply);
    }
}

static void
imap_login (Imap       *imap,
            const char *user,
            const char *password,
            gboolean    expect_ok)
{
  g_autofree char *command = g_strdup_printf ("LOGIN \"%s\" \"%s\"", user, password);
  g_autofree char *reply = NULL;
  gboolean ok;

  reply = imap_command (imap, command, &ok);
  g_assert_cmpint (ok, ==, expect_ok);
}

static guint
imap_count (Imap       *imap,
            const char *folder)
{
  g_autofree char *command = g_strdup_printf ("STATUS \"%s\" (MESSAGES)", folder);
  g_autofree char *reply = NULL;
  const char *messages;
  gboolean ok;

  reply = imap_command (imap, command, &ok);
  g_assert_true (ok);
  messages = strstr (reply, "MESSAGES ");
  g_assert_nonnull (messages);
  return (guint) g_ascii_strtoull (messages + strlen ("MESSAGES "), NULL, 10);
}

static void
test_environment (void)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  guint16 ports[] = {
    h->imap_port, h->imaps_port, h->pop3_port, h->pop3s_port,
    h->smtp_port, h->submission_port, h->submissions_port,
  };

  g_assert_true (pigeon_test_harness_get () == h);
  g_assert_cmpstr (h->host, ==, "127.0.0.1");
  g_assert_cmpstr (h->domain, ==, "example.test");
  g_assert_true (g_file_test (h->dir, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (h->ca_file, G_FILE_TEST_IS_REGULAR));
  for (guint i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_assert_cmpuint (ports[i], >, 0);
      for (guint j = 0; j < i; j++)
        g_assert_cmpuint (ports[i], !=, ports[j]);
    }
}

static void
test_new_user (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *other = NULL;
  g_autofree char *other_password = NULL;
  g_autofree char *address = NULL;
  Imap imap = { 0 };

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_new_user (&other, &other_password);
  g_assert_cmpstr (user, !=, other);
  g_assert_cmpstr (password, !=, other_password);
  address = pigeon_test_harness_address (user);
  g_assert_true (g_str_has_prefix (address, user));
  g_assert_true (g_str_has_suffix (address, "@example.test"));

  imap_connect (&imap, NULL);
  imap_login (&imap, user, other_password, FALSE);
  imap_login (&imap, user, password, TRUE);
  g_assert_cmpuint (imap_count (&imap, "INBOX"), ==, 0);
  imap_close (&imap);
}

static void
test_certificate_pin (void)
{
  g_autoptr(GTlsCertificate) peer = NULL;
  g_autoptr(GByteArray) der = NULL;
  g_autofree char *served = NULL;
  g_autofree char *pinned = NULL;
  Imap imap = { 0 };

  imap_connect (&imap, &peer);
  imap_close (&imap);
  g_object_get (peer, "certificate", &der, NULL);
  served = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);

  pinned = pigeon_test_harness_dup_certificate_sha256 ();
  g_assert_cmpuint (strlen (pinned), ==, 64);
  for (const char *c = pinned; *c != '\0'; c++)
    g_assert_true (g_ascii_isdigit (*c) || (*c >= 'a' && *c <= 'f'));
  g_assert_cmpstr (pinned, ==, served);
}

static void
test_seed_and_deliver (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *address = NULL;
  g_autofree char *message = NULL;
  Imap imap = { 0 };

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_seed (user, 12, "Archive/2024");
  pigeon_test_harness_seed (user, 3, NULL);
  address = pigeon_test_harness_address (user);
  message = g_strdup_printf ("From: <%s>\r\nTo: <%s>\r\nSubject: delivered\r\n"
                             "Message-ID: <delivered@example.test>\r\n\r\nHello.\r\n",
                             address, address);
  pigeon_test_harness_deliver (user, NULL, message);

  imap_connect (&imap, NULL);
  imap_login (&imap, user, password, TRUE);
  g_assert_cmpuint (imap_count (&imap, "Archive/2024"), ==, 12);
  g_assert_cmpuint (imap_count (&imap, "INBOX"), ==, 4);
  imap_close (&imap);
}

static void
test_run (void)
{
  const char *echo[] = { "/bin/sh", "-c", "cat; printf 'to stderr' >&2; exit 3", NULL };
  const char *killed[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
  const char *missing[] = { "/nonexistent/pigeonctl", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *missing_err = NULL;

  g_assert_cmpint (pigeon_test_run (echo, "from stdin\n", &out, &err), ==, 3);
  g_assert_cmpstr (out, ==, "from stdin\n");
  g_assert_cmpstr (err, ==, "to stderr");
  g_assert_cmpint (pigeon_test_run (killed, NULL, NULL, NULL), ==, 128 + 15);
  g_assert_cmpint (pigeon_test_run (missing, NULL, NULL, &missing_err), ==, -1);
  g_assert_nonnull (missing_err);
}

static void
test_make_dirs (void)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  g_autofree char *config2 = NULL;
  g_autofree char *data2 = NULL;
  g_autofree char *prefix = g_build_filename (h->dir, "tmp", NULL);
  g_autoptr(GDir) dir = NULL;

  pigeon_test_make_dirs (&config, &data);
  pigeon_test_make_dirs (&config2, &data2);
  g_assert_cmpstr (config, !=, config2);
  g_assert_cmpstr (config, !=, data);
  g_assert_true (g_str_has_prefix (config, prefix));
  g_assert_true (g_str_has_prefix (data, prefix));
  dir = g_dir_open (config, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
  g_assert_true (g_file_test (data, G_FILE_TEST_IS_DIR));
}

static void
test_find_in_tree (void)
{
  static const char binary[] = "SQLite\0\0\0page hunter2-secret\0tail";
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  g_autofree char *nested = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *database = NULL;
  g_autofree char *found = NULL;
  g_autofree char *missing = NULL;
  g_autoptr(GError) error = NULL;

  pigeon_test_make_dirs (&config, &data);
  nested = g_build_filename (data, "account", "cache", NULL);
  g_assert_cmpint (g_mkdir_with_parents (nested, 0700), ==, 0);
  plain = g_build_filename (config, "accounts.ini", NULL);
  g_file_set_contents (plain, "[account]\nname=Test\n", -1, &error);
  g_assert_no_error (error);
  database = g_build_filename (nested, "store.db", NULL);
  g_file_set_contents (database, binary, sizeof binary, &error);
  g_assert_no_error (error);

  found = pigeon_test_find_in_tree (data, "hunter2-secret");
  g_assert_cmpstr (found, ==, database);
  g_assert_null (pigeon_test_find_in_tree (config, "hunter2-secret"));
  missing = g_build_filename (config, "does-not-exist", NULL);
  g_assert_null (pigeon_test_find_in_tree (missing, "hunter2-secret"));
}

static void
test_artifact_path (void)
{
  g_autofree char *path = pigeon_test_artifact_path ("harness-common.txt");
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpstr (dir, ==, g_getenv ("PIGEON_TEST_ARTIFACTS"));
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  pigeon_test_harness_require ();

  g_test_add_func ("/harness/common/environment", test_environment);
  g_test_add_func ("/harness/common/new-user", test_new_user);
  g_test_add_func ("/harness/common/certificate-pin", test_certificate_pin);
  g_test_add_func ("/harness/common/seed-and-deliver", test_seed_and_deliver);
  g_test_add_func ("/harness/common/run", test_run);
  g_test_add_func ("/harness/common/make-dirs", test_make_dirs);
  g_test_add_func ("/harness/common/find-in-tree", test_find_in_tree);
  g_test_add_func ("/harness/common/artifact-path", test_artifact_path);

  return g_test_run ();
}
