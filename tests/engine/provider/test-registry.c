/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pigeon-error.h"
#include "pigeon-provider.h"

/* Two providers made up for the test: one that only receives, one that only sends. */
#define TEST_TYPE_IN (test_in_get_type ())
G_DECLARE_FINAL_TYPE (TestIn, test_in, TEST, IN, PigeonProvider)
struct _TestIn { PigeonProvider parent_instance; };
G_DEFINE_FINAL_TYPE (TestIn, test_in, PIGEON_TYPE_PROVIDER)

static void
test_in_class_init (TestInClass *klass)
{
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  provider_class->protocol = "testin";
  provider_class->display_name = "Test In";
  provider_class->description = "Receives";
  provider_class->default_port_tls = 1993;
  provider_class->default_port_plain = 1143;
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS;
}

static void test_in_init (TestIn *self) { }

#define TEST_TYPE_OUT (test_out_get_type ())
G_DECLARE_FINAL_TYPE (TestOut, test_out, TEST, OUT, PigeonProvider)
struct _TestOut { PigeonProvider parent_instance; };
G_DEFINE_FINAL_TYPE (TestOut, test_out, PIGEON_TYPE_PROVIDER)

static void
test_out_class_init (TestOutClass *klass)
{
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  provider_class->protocol = "testout";
  provider_class->display_name = "Test Out";
  provider_class->default_port_tls = 1465;
  provider_class->default_port_plain = 1587;
  provider_class->caps = PIGEON_PROVIDER_CAP_SEND | PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS;
}

static void test_out_init (TestOut *self) { }

static PigeonAccount *
make_account (const char *protocol)
{
  PigeonAccount *account = pigeon_account_new ("abcdef01");

  g_object_set (account, "email", "a@example.test", "protocol", protocol, "host", "in.example.test",
                NULL);
  return account;
}

static void
test_lookup (void)
{
  g_auto(GStrv) receivers = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_RECEIVE);
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND);
  g_auto(GStrv) all = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_NONE);

  g_assert_nonnull (pigeon_provider_class_lookup ("testin"));
  g_assert_cmpstr (pigeon_provider_class_lookup ("testin")->display_name, ==, "Test In");
  g_assert_null (pigeon_provider_class_lookup ("nosuch"));
  g_assert_true (g_strv_contains ((const char * const *) receivers, "testin"));
  g_assert_false (g_strv_contains ((const char * const *) receivers, "testout"));
  g_assert_true (g_strv_contains ((const char * const *) senders, "testout"));
  g_assert_cmpuint (g_strv_length (all), ==, 2);
  g_assert_cmpstr (all[0], ==, "testin");   /* sorted */
}

static void
test_new_for_account (void)
{
  g_autoptr(PigeonAccount) account = make_account ("testin");
  g_autoptr(PigeonAccount) unknown = make_account ("jmap");
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(PigeonProvider) none = NULL;
  g_autoptr(GError) error = NULL;

  provider = pigeon_provider_new_for_account (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TEST_IS_IN (provider));
  g_assert_true (pigeon_provider_get_account (provider) == account);
  g_assert_cmpstr (pigeon_provider_get_host (provider), ==, "in.example.test");
  /* Default ports follow the security setting. */
  g_assert_cmpuint (pigeon_provider_get_port (provider), ==, 1993);
  g_object_set (account, "security", PIGEON_SECURITY_STARTTLS, NULL);
  g_assert_cmpuint (pigeon_provider_get_port (provider), ==, 1143);
  g_object_set (account, "port", 4242u, NULL);
  g_assert_cmpuint (pigeon_provider_get_port (provider), ==, 4242);
  g_assert_cmpint (pigeon_provider_get_secret_role (provider), ==, PIGEON_SECRET_ROLE_INCOMING);

  none = pigeon_provider_new_for_account (unknown, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
}

static void
test_new_for_sending (void)
{
  g_autoptr(PigeonAccount) account = make_account ("testin");
  g_autoptr(PigeonProvider) sender = NULL;
  g_autoptr(GError) error = NULL;

  /* No outgoing server: a sentence saying so. */
  sender = pigeon_provider_new_for_sending (account, NULL, &error);
  g_assert_null (sender);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_clear_error (&error);

  g_object_set (account, "smtp-host", "out.example.test", "smtp-security", PIGEON_SECURITY_TLS,
                "user", "alice", NULL);
  sender = pigeon_provider_new_for_sending (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TEST_IS_OUT (sender));
  g_assert_cmpstr (pigeon_provider_get_host (sender), ==, "out.example.test");
  g_assert_cmpuint (pigeon_provider_get_port (sender), ==, 1465);
  g_assert_cmpint (pigeon_provider_get_security (sender), ==, PIGEON_SECURITY_TLS);
  /* The outgoing login falls back to the incoming one. */
  g_assert_cmpstr (pigeon_provider_get_login (sender), ==, "alice");
  g_assert_cmpint (pigeon_provider_get_secret_role (sender), ==, PIGEON_SECRET_ROLE_OUTGOING);
}

static void
test_unsupported_vfunc (void)
{
  g_autoptr(PigeonAccount) account = make_account ("testin");
  g_autoptr(PigeonProvider) provider = pigeon_provider_new_for_account (account, NULL, NULL);
  g_autoptr(GError) error = NULL;

  pigeon_provider_set_password (provider, "secret");
  g_assert_false (pigeon_provider_sync_folders (provider, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  g_assert_cmpstr (pigeon_provider_get_password (provider), ==, "secret");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  pigeon_provider_register_type (TEST_TYPE_IN, "testin");
  pigeon_provider_register_type (TEST_TYPE_OUT, "testout");

  g_test_add_func ("/provider/registry/lookup", test_lookup);
  g_test_add_func ("/provider/registry/new-for-account", test_new_for_account);
  g_test_add_func ("/provider/registry/new-for-sending", test_new_for_sending);
  g_test_add_func ("/provider/registry/unsupported", test_unsupported_vfunc);

  return g_test_run ();
}
