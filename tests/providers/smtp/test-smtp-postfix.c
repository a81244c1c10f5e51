/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMTP provider against the harness Postfix: STARTTLS on submission, implicit TLS on
 * submissions, plain text without AUTH on the relay port, the certificate and the password
 * checked, and a recipient refused by address while the other gets the message.  Delivery
 * itself is checked over IMAP by test-smtp-pigeonctl.py. */
#define G_LOG_DOMAIN "test-smtp"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-provider.h"
#include "pigeon-providers.h"
#include "pigeon-test-harness.h"

typedef struct
{
  char *user;
  char *password;
  PigeonAccount *account;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *fingerprint = pigeon_test_harness_dup_certificate_sha256 ();
  g_autofree char *address = NULL;

  pigeon_test_harness_new_user (&f->user, &f->password);
  address = pigeon_test_harness_address (f->user);
  f->account = pigeon_account_new ("5eedf00d");
  g_object_set (f->account, "email", address, "protocol", "imap", "host", h->host,
                "smtp-host", h->host, "smtp-port", (guint) h->submission_port,
                "smtp-security", PIGEON_SECURITY_STARTTLS,
                "smtp-trusted-certificate", fingerprint, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->account);
  g_free (f->user);
  g_free (f->password);
}

static PigeonProvider *
smtp_provider (Fixture    *f,
               const char *password)
{
  g_autoptr(GError) error = NULL;
  PigeonProvider *provider = pigeon_provider_new ("smtp", f->account, NULL, &error);

  g_assert_no_error (error);
  pigeon_provider_set_password (provider, password);
  return provider;
}

static GBytes *
message_from (const char *from,
              const char *to)
{
  g_autofree char *text = g_strdup_printf (
    "From: %s\r\nTo: %s\r\nSubject: provider test\r\nMessage-ID: <%u@example.test>\r\n\r\n"
    "Hello\r\n.\r\n", from, to, g_random_int ());

  return g_bytes_new (text, strlen (text));
}

static void
test_starttls (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = smtp_provider (f, f->password);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_provider_connect (provider, NULL, &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (provider);
}

static void
test_implicit_tls (Fixture       *f,
                   gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->account, "smtp-port", (guint) h->submissions_port,
                "smtp-security", PIGEON_SECURITY_TLS, NULL);
  provider = smtp_provider (f, f->password);
  g_assert_true (pigeon_provider_connect (provider, NULL, &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (provider);
}

static void
test_plain_relay (Fixture       *f,
                  gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *address = pigeon_test_harness_address (f->user);
  const char *recipients[] = { address, NULL };

  /* The relay port offers no AUTH: no login, and the server decides. */
  g_object_set (f->account, "smtp-port", (guint) h->smtp_port,
                "smtp-security", PIGEON_SECURITY_NONE, NULL);
  provider = smtp_provider (f, f->password);
  message = message_from (address, address);
  g_assert_true (pigeon_provider_send (provider, message, address, recipients, rejected, NULL,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rejected->len, ==, 0);
  pigeon_provider_disconnect (provider);
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = smtp_provider (f, "wrong-password");
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_provider_connect (provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_assert_null (strstr (error->message, "wrong-password"));
}

static void
test_untrusted_certificate (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->account, "smtp-trusted-certificate", NULL, NULL);
  provider = smtp_provider (f, f->password);
  g_assert_false (pigeon_provider_connect (provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
}

static void
test_rejected_recipient (Fixture       *f,
                         gconstpointer  data)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(PigeonProvider) provider = smtp_provider (f, f->password);
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *address = pigeon_test_harness_address (f->user);
  g_autofree char *nobody = g_strdup_printf ("nobody-%u@%s", g_random_int (), h->domain);
  g_autofree char *expected = g_strdup_printf ("%s was rejected: 550", nobody);
  g_autoptr(GBytes) message = message_from (address, address);
  const char *recipients[] = { nobody, address, NULL };
  const char *only_nobody[] = { nobody, NULL };

  g_assert_true (pigeon_provider_connect (provider, NULL, &error));
  g_assert_true (pigeon_provider_send (provider, message, address, recipients, rejected, NULL,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rejected->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (rejected, 0), expected));

  /* nobody at all: refused, and the connection is still good for the next one */
  g_ptr_array_set_size (rejected, 0);
  g_assert_false (pigeon_provider_send (provider, message, address, only_nobody, rejected, NULL,
                                        &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED);
  g_clear_error (&error);
  g_assert_true (pigeon_provider_send (provider, message, address, recipients + 1, NULL, NULL,
                                       &error));
  g_assert_no_error (error);
  pigeon_provider_disconnect (provider);
}

static void
test_sender_not_owned (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PigeonProvider) provider = smtp_provider (f, f->password);
  g_autoptr(GError) error = NULL;
  g_autofree char *address = pigeon_test_harness_address (f->user);
  g_autoptr(GBytes) message = message_from (address, address);
  const char *recipients[] = { address, NULL };

  /* Not a line break in an address ever reaches the server. */
  g_assert_false (pigeon_provider_send (provider, message, "a@example.test>\r\nRSET",
                                        recipients, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  pigeon_provider_disconnect (provider);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_providers_register ();

#define ADD(path, func) \
  g_test_add ("/smtp/postfix/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("starttls", test_starttls);
  ADD ("implicit-tls", test_implicit_tls);
  ADD ("plain-relay", test_plain_relay);
  ADD ("wrong-password", test_wrong_password);
  ADD ("untrusted-certificate", test_untrusted_certificate);
  ADD ("rejected-recipient", test_rejected_recipient);
  ADD ("hostile-sender", test_sender_not_owned);
#undef ADD

  return g_test_run ();
}
