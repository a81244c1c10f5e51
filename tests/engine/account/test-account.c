/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-account-manager.h"
#include "pigeon-error.h"

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("pigeon-account-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static PigeonAccount *
make_account (const char *id)
{
  PigeonAccount *account = pigeon_account_new (id);

  g_object_set (account,
                "name", "Work",
                "real-name", "Alice Example",
                "email", "alice@example.test",
                "protocol", "imap",
                "host", "127.0.0.1",
                "port", 31993u,
                "security", PIGEON_SECURITY_TLS,
                "user", "alice",
                "trusted-certificate", "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                                       "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
                "smtp-host", "127.0.0.1",
                "smtp-port", 31587u,
                "smtp-security", PIGEON_SECURITY_STARTTLS,
                "pop3-keep", PIGEON_POP3_KEEP_DAYS,
                "pop3-keep-days", 30u,
                "sync-window-days", 90u,
                "check-interval", 5u,
                "enabled", FALSE,
                "signature", "-- \nAlice",
                "identities", "Alice at Home <alice@home.example>\nalias@example.test",
                NULL);
  return account;
}

static void
test_round_trip (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(PigeonAccountManager) again = NULL;
  g_autoptr(PigeonAccount) account = make_account ("0a1b2c3d");
  g_autoptr(GError) error = NULL;
  PigeonAccount *loaded;

  g_assert_true (pigeon_account_manager_load (manager, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 0);

  g_assert_true (pigeon_account_manager_add (manager, account, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 1);

  again = pigeon_account_manager_new (dir, dir);
  g_assert_true (pigeon_account_manager_load (again, &error));
  g_assert_no_error (error);
  loaded = pigeon_account_manager_lookup (again, "0a1b2c3d");
  g_assert_nonnull (loaded);
  g_assert_true (pigeon_account_manager_lookup (again, "Work") == loaded);

  /* Every persisted property comes back as it was. */
  {
    guint n;
    g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (account), &n);

    for (guint i = 0; i < n; i++)
      {
        g_auto(GValue) a = G_VALUE_INIT;
        g_auto(GValue) b = G_VALUE_INIT;

        if (!pigeon_account_is_persisted_property (specs[i]->name))
          continue;
        g_value_init (&a, specs[i]->value_type);
        g_value_init (&b, specs[i]->value_type);
        g_object_get_property (G_OBJECT (account), specs[i]->name, &a);
        g_object_get_property (G_OBJECT (loaded), specs[i]->name, &b);
        if (g_param_values_cmp (specs[i], &a, &b) != 0)
          g_error ("property %s differs after a round trip", specs[i]->name);
      }
  }
  g_assert_cmpstr (pigeon_account_get_trusted_certificate (loaded), ==,
                   "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_assert_cmpstr (pigeon_account_get_signature (loaded), ==, "-- \nAlice");

  remove_tree (dir);
}

static void
test_identities (void)
{
  g_autoptr(PigeonAccount) account = make_account ("22222222");
  g_auto(GStrv) identities = pigeon_account_dup_identities (account);

  /* The account's own first, then the others as written, blank lines dropped. */
  g_assert_cmpuint (g_strv_length (identities), ==, 3);
  g_assert_cmpstr (identities[0], ==, "Alice Example <alice@example.test>");
  g_assert_cmpstr (identities[1], ==, "Alice at Home <alice@home.example>");
  g_assert_cmpstr (identities[2], ==, "alias@example.test");

  g_object_set (account, "identities", "\n  \n", "real-name", NULL, NULL);
  g_clear_pointer (&identities, g_strfreev);
  identities = pigeon_account_dup_identities (account);
  g_assert_cmpuint (g_strv_length (identities), ==, 1);
  g_assert_cmpstr (identities[0], ==, "alice@example.test");
}

static void
test_no_secret_in_file (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(PigeonAccount) account = make_account ("11111111");
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_true (pigeon_account_manager_add (manager, account, NULL));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "password"));
  g_assert_nonnull (strstr (contents, "[Account 11111111]"));
  /* Settings are private to the user. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  remove_tree (dir);
}

static void
test_autosave (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(PigeonAccountManager) again = NULL;
  g_autoptr(PigeonAccount) account = make_account ("22222222");

  g_assert_true (pigeon_account_manager_add (manager, account, NULL));
  g_object_set (account, "name", "Renamed", NULL);
  /* Saved on the next idle, not synchronously. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  again = pigeon_account_manager_new (dir, dir);
  g_assert_true (pigeon_account_manager_load (again, NULL));
  g_assert_nonnull (pigeon_account_manager_lookup (again, "Renamed"));

  /* A runtime property is not a setting: no save for it. */
  pigeon_account_set_state (account, PIGEON_ACCOUNT_STATE_SYNCING, "Syncing");
  g_assert_false (g_main_context_pending (NULL));

  remove_tree (dir);
}

static void
test_damaged_file (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  g_autofree char *after = NULL;
  const char *damaged = "[Account 33333333]\nname=ok\nemail=a@b.test\nprotocol=imap\nhost=h\n"
                        "\x01garbage without equals sign\n";
  const char *name;
  gboolean copy_found = FALSE;

  g_assert_true (g_file_set_contents (path, damaged, -1, NULL));
  g_assert_false (pigeon_account_manager_load (manager, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "accounts.ini.damaged-"));

  /* The original is untouched and a copy exists beside it. */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, damaged);
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "accounts.ini.damaged-"))
      copy_found = TRUE;
  g_assert_true (copy_found);

  remove_tree (dir);
}

static void
test_bad_value (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(GError) error = NULL;
  const char *contents =
    "[Account 44444444]\nname=Good\nemail=a@b.test\nprotocol=imap\nhost=h\n"
    "[Account 55555555]\nname=Bad\nemail=c@d.test\nprotocol=imap\nhost=h\nport=99999999\n";

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_assert_false (pigeon_account_manager_load (manager, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "55555555"));
  /* The readable account is still there. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 1);
  g_assert_nonnull (pigeon_account_manager_lookup (manager, "Good"));

  remove_tree (dir);
}

static void
test_remove (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(PigeonAccount) account = make_account ("66666666");
  g_autofree char *cache = g_build_filename (dir, "66666666", "sub", NULL);
  g_autofree char *file = g_build_filename (cache, "store.db", NULL);
  g_autofree char *account_dir = g_build_filename (dir, "66666666", NULL);

  g_assert_true (pigeon_account_manager_add (manager, account, NULL));
  g_assert_cmpint (g_mkdir_with_parents (cache, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));

  g_assert_true (pigeon_account_manager_remove (manager, account, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (manager)), ==, 0);
  g_assert_false (g_file_test (account_dir, G_FILE_TEST_EXISTS));

  remove_tree (dir);
}

static void
test_validation (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(PigeonAccountManager) manager = pigeon_account_manager_new (dir, dir);
  g_autoptr(PigeonAccount) account = pigeon_account_new ("77777777");
  g_autoptr(PigeonAccount) dup = make_account ("88888888");
  g_autoptr(PigeonAccount) dup2 = make_account ("99999999");
  g_autoptr(GError) error = NULL;

  g_object_set (account, "email", "not-an-address", "protocol", "imap", "host", "h", NULL);
  g_assert_false (pigeon_account_manager_add (manager, account, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (pigeon_account_manager_add (manager, dup, NULL));
  g_assert_false (pigeon_account_manager_add (manager, dup2, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);   /* same name "Work" */

  remove_tree (dir);
}

static void
test_fingerprint (void)
{
  g_autofree char *a = pigeon_account_normalize_fingerprint (
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
  g_autofree char *b = pigeon_account_normalize_fingerprint ("abcd");
  g_autofree char *c = pigeon_account_normalize_fingerprint (
    "zz:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");

  g_assert_cmpstr (a, ==, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_assert_null (b);
  g_assert_null (c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/round-trip", test_round_trip);
  g_test_add_func ("/account/identities", test_identities);
  g_test_add_func ("/account/no-secret-in-file", test_no_secret_in_file);
  g_test_add_func ("/account/autosave", test_autosave);
  g_test_add_func ("/account/damaged-file", test_damaged_file);
  g_test_add_func ("/account/bad-value", test_bad_value);
  g_test_add_func ("/account/remove", test_remove);
  g_test_add_func ("/account/validation", test_validation);
  g_test_add_func ("/account/fingerprint", test_fingerprint);

  return g_test_run ();
}
