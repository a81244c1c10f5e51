/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logging in to the harness Dovecot: TLS, STARTTLS, certificates, passwords. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-test-util.h"
#include "pigeon-error.h"
#include "pigeon-test-harness.h"

static void
test_tls (ImapFixture   *fixture,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_provider_sync_folders (fixture->provider, NULL, &error));
  g_assert_no_error (error);
}

static void
test_starttls (ImapFixture   *fixture,
               gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(GError) error = NULL;

  g_object_set (fixture->account,
                "port", (guint) h->imap_port,
                "security", PIGEON_SECURITY_STARTTLS,
                NULL);
  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_provider_sync_folders (fixture->provider, NULL, &error));
  g_assert_no_error (error);
}

/* Plain text, with the account's explicit opt-in. */
static void
test_plain (ImapFixture   *fixture,
            gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(GError) error = NULL;

  g_object_set (fixture->account,
                "port", (guint) h->imap_port,
                "security", PIGEON_SECURITY_NONE,
                NULL);
  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_no_error (error);
}

static void
test_wrong_password (ImapFixture   *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  pigeon_provider_set_password (fixture->provider, "not-the-password");
  g_assert_false (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_test_message ("%s", error->message);
  /* It names the account and carries the server's own words. */
  g_assert_nonnull (strstr (error->message, fixture->user));
  g_assert_nonnull (strstr (error->message, "Authentication failed"));
  g_assert_false (pigeon_error_is_transient (error));
}

static void
test_untrusted_certificate (ImapFixture   *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = pigeon_test_harness_dup_certificate_sha256 ();

  g_object_set (fixture->account, "trusted-certificate", NULL, NULL);
  g_assert_false (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
  g_test_message ("%s", error->message);
  g_assert_false (pigeon_error_is_transient (error));
  g_clear_error (&error);

  /* Another certificate's fingerprint does not help either. */
  g_object_set (fixture->account, "trusted-certificate",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL);
  g_assert_false (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
  g_clear_error (&error);

  /* Pinned: accepted. */
  g_object_set (fixture->account, "trusted-certificate", fingerprint, NULL);
  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_no_error (error);
}

/* The protocol trace (G_MESSAGES_DEBUG) shows the conversation but never the password. */
static GMutex trace_lock;
static GString *trace;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&trace_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      {
        g_string_append (trace, fields[i].value);
        g_string_append_c (trace, '\n');
      }
  g_mutex_unlock (&trace_lock);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
test_trace_has_no_secrets (ImapFixture   *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *encoded = NULL;

  g_mutex_lock (&trace_lock);
  g_string_truncate (trace, 0);
  g_mutex_unlock (&trace_lock);

  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (fixture->provider);

  plain = g_strdup_printf ("%c%s%c%s", 0, fixture->user, 0, fixture->password);
  encoded = g_base64_encode ((const guchar *) plain, 2 + strlen (fixture->user) +
                                                     strlen (fixture->password));
  g_mutex_lock (&trace_lock);
  g_assert_nonnull (strstr (trace->str, "AUTHENTICATE"));
  g_assert_nonnull (strstr (trace->str, "<redacted>"));
  g_assert_null (strstr (trace->str, fixture->password));
  g_assert_null (strstr (trace->str, encoded));
  g_mutex_unlock (&trace_lock);
}

/* COMPRESS=DEFLATE (skipped on loopback unless asked for, as main() does for this binary):
 * a whole sync through it. */
static void
test_compress (ImapFixture   *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;

  pigeon_test_harness_seed (fixture->user, 300, NULL);
  g_mutex_lock (&trace_lock);
  g_string_truncate (trace, 0);
  g_mutex_unlock (&trace_lock);
  g_assert_true (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_true (pigeon_provider_sync_folders (fixture->provider, NULL, &error));
  inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", &error);
  g_assert_true (pigeon_provider_sync_folder (fixture->provider, inbox->id,
                                              PIGEON_SYNC_FLAGS_BODIES, NULL, &error));
  g_assert_no_error (error);
  g_mutex_lock (&trace_lock);
  g_assert_nonnull (strstr (trace->str, "COMPRESS DEFLATE"));
  g_mutex_unlock (&trace_lock);
  g_clear_pointer (&inbox, pigeon_folder_free);
  inbox = pigeon_store_get_folder_by_path (fixture->store, "INBOX", &error);
  g_assert_cmpuint (inbox->total, ==, 300);
}

static void
test_unreachable (ImapFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* A port nobody listens on. */
  g_object_set (fixture->account, "port", 9, NULL);
  g_assert_false (pigeon_provider_connect (fixture->provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT);
  g_assert_true (pigeon_error_is_transient (error));
}

int
main (int   argc,
      char *argv[])
{
  /* Every domain on, the trace included, and captured; compression even over loopback, so
   * every login here goes through it.  (Before any thread exists.) */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_setenv ("PIGEON_IMAP_COMPRESS", "always", TRUE);
  trace = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/imap/login/" path, ImapFixture, NULL, imap_fixture_setup, func, \
              imap_fixture_teardown)
  ADD ("tls", test_tls);
  ADD ("starttls", test_starttls);
  ADD ("plain", test_plain);
  ADD ("wrong-password", test_wrong_password);
  ADD ("untrusted-certificate", test_untrusted_certificate);
  ADD ("trace-has-no-secrets", test_trace_has_no_secrets);
  ADD ("compress", test_compress);
  ADD ("unreachable", test_unreachable);
#undef ADD

  return g_test_run ();
}
