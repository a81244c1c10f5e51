/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs against the real gnome-keyring of the test session (./test starts it). */
#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-secrets.h"

static void
test_store_lookup_clear (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("t%08x", g_random_int ());
  char *password;

  g_assert_true (pigeon_secrets_store_sync (id, PIGEON_SECRET_ROLE_INCOMING, "test incoming",
                                            "in-secret ü", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_secrets_store_sync (id, PIGEON_SECRET_ROLE_OUTGOING, "test outgoing",
                                            "out-secret", NULL, &error));
  g_assert_no_error (error);

  password = pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_INCOMING, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "in-secret ü");
  pigeon_secrets_free (password);
  password = pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_OUTGOING, NULL, &error);
  g_assert_cmpstr (password, ==, "out-secret");
  pigeon_secrets_free (password);

  /* Storing again replaces, it does not add a second item. */
  g_assert_true (pigeon_secrets_store_sync (id, PIGEON_SECRET_ROLE_INCOMING, "test incoming",
                                            "changed", NULL, &error));
  password = pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_INCOMING, NULL, &error);
  g_assert_cmpstr (password, ==, "changed");
  pigeon_secrets_free (password);

  g_assert_true (pigeon_secrets_clear_sync (id, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_INCOMING, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_OUTGOING, NULL, &error));
  g_assert_no_error (error);
}

typedef struct
{
  GMainLoop *loop;
  char *password;
  GError *error;
  gboolean ok;
} AsyncData;

static void
stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncData *data = user_data;

  data->ok = pigeon_secrets_store_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
looked_up_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncData *data = user_data;

  data->password = pigeon_secrets_lookup_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
cleared_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncData *data = user_data;

  data->ok = pigeon_secrets_clear_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
test_async (void)
{
  AsyncData data = { g_main_loop_new (NULL, FALSE), NULL, NULL, FALSE };
  g_autofree char *id = g_strdup_printf ("t%08x", g_random_int ());

  pigeon_secrets_store_async (id, PIGEON_SECRET_ROLE_INCOMING, "async", "pw", NULL, stored_cb,
                              &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_true (data.ok);

  pigeon_secrets_lookup_async (id, PIGEON_SECRET_ROLE_INCOMING, NULL, looked_up_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_cmpstr (data.password, ==, "pw");
  g_clear_pointer (&data.password, pigeon_secrets_free);

  pigeon_secrets_clear_async (id, NULL, cleared_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);

  pigeon_secrets_lookup_async (id, PIGEON_SECRET_ROLE_INCOMING, NULL, looked_up_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_null (data.password);
  g_main_loop_unref (data.loop);
}

/* Without a keyring service: a clear PIGEON_ERROR_KEYRING, never a fallback. */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pigeon_secrets_store_sync ("nokeyring", PIGEON_SECRET_ROLE_INCOMING, "x",
                                                 "pw", NULL, &error));
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_KEYRING);
      g_assert_nonnull (strstr (error->message, "keyring"));
      return;
    }
  {
    /* The child is a fresh exec and inherits this environment. */
    g_autofree char *saved = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

    g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    if (saved)
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);
    else
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  }
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/secrets/async", test_async);
  g_test_add_func ("/secrets/no-keyring", test_no_keyring);

  return g_test_run ();
}
