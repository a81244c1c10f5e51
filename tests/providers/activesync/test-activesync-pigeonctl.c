/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pigeonctl on an ActiveSync account: account add with a URL, then the mail commands, each
 * checked against the Dovecot behind SOGo. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "pigeon-test-harness.h"

#define HELPER SOURCE_DIR "/sogo_helper.py"

static char *config_dir, *data_dir;

static char *
run (const char *input,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) PIGEONCTL);
  g_ptr_array_add (argv, (char *) "--config-dir");
  g_ptr_array_add (argv, config_dir);
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, data_dir);
  va_start (args, input);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  status = pigeon_test_run ((const char * const *) argv->pdata, input, &out, &err);
  if (status != 0)
    g_error ("pigeonctl %s failed (%d): %s", (char *) argv->pdata[5], status, err);
  return g_steal_pointer (&out);
}

static char *
helper (const char *command,
        const char *a,
        const char *b,
        const char *c)
{
  const char *argv[] = { "/usr/bin/python3", HELPER, command, a, b, c, NULL };
  g_autofree char *out = NULL, *err = NULL;

  if (pigeon_test_run (argv, NULL, &out, &err) != 0)
    g_error ("sogo_helper.py %s failed: %s", command, err);
  return g_steal_pointer (&out);
}

/* The line of SUBJECT in sogo_helper.py's listing of the folder, or NULL. */
static char *
imap_line (const char *folder,
           const char *subject)
{
  g_autofree char *out = helper ("imap", "grace", folder, NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_suffix (lines[i], subject))
      return g_strdup (lines[i]);
  return NULL;
}

static char *
message_id_of (const char *json_lines,
               const char *subject)
{
  g_auto(GStrv) lines = g_strsplit (json_lines, "\n", -1);
  g_autofree char *needle = g_strdup_printf ("\"subject\":\"%s\"", subject);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      {
        const char *id = strstr (lines[i], "\"id\":");

        g_assert_nonnull (id);
        return g_strdup_printf ("%" G_GINT64_FORMAT, g_ascii_strtoll (id + 5, NULL, 10));
      }
  g_error ("no message “%s” in: %s", subject, json_lines);
}

static void
test_mail_commands (void)
{
  const char *url = g_getenv ("PIGEON_TEST_SOGO_URL");
  g_autofree char *id = NULL, *folders = NULL, *list = NULL, *show = NULL;
  g_autofree char *first = NULL, *second = NULL, *third = NULL, *line = NULL;

  pigeon_test_harness_require ();
  g_assert_nonnull (url);
  pigeon_test_make_dirs (&config_dir, &data_dir);
  g_free (helper ("deliver", "bob@example.test", "grace@example.test", "ctl first"));
  g_free (helper ("deliver", "bob@example.test", "grace@example.test", "ctl second"));
  g_free (helper ("deliver", "bob@example.test", "grace@example.test", "ctl third"));
  for (guint i = 0; i < 100 && (line = imap_line ("INBOX", "ctl third")) == NULL; i++)
    g_usleep (G_USEC_PER_SEC / 5);
  g_assert_nonnull (line);
  g_clear_pointer (&line, g_free);

  id = run ("secret-grace\n", "account", "add", "--name", "grace", "--email",
            "grace@example.test", "--protocol", "activesync", "--host", url, "--security",
            "none", "--user", "grace", "--password-stdin", NULL);
  g_strstrip (id);
  g_assert_cmpstr (id, !=, "");
  g_free (run (NULL, "sync", "grace", NULL));

  folders = run (NULL, "folders", "grace", NULL);
  g_assert_nonnull (strstr (folders, "INBOX\tinbox\t3\t3\n"));
  g_assert_nonnull (strstr (folders, "Trash\ttrash\t"));
  list = run (NULL, "list", "grace", "INBOX", "--json", NULL);
  first = message_id_of (list, "ctl first");
  second = message_id_of (list, "ctl second");
  third = message_id_of (list, "ctl third");

  show = run (NULL, "show", "grace", "INBOX", first, NULL);
  g_assert_nonnull (strstr (show, "Body of ctl first"));

  g_free (run (NULL, "flag", "grace", "INBOX", first, "+flagged", NULL));
  g_free (run (NULL, "flag", "grace", "INBOX", first, "+seen", NULL));
  line = imap_line ("INBOX", "ctl first");
  g_assert_true (g_str_has_prefix (strchr (line, '\t'), "\t1\t1\t"));
  g_clear_pointer (&line, g_free);

  g_free (run (NULL, "move", "grace", "INBOX", second, "Junk", NULL));
  line = imap_line ("Junk", "ctl second");
  g_assert_nonnull (line);
  g_clear_pointer (&line, g_free);

  g_free (run (NULL, "delete", "grace", "INBOX", third, NULL));
  line = imap_line ("Trash", "ctl third");
  g_assert_nonnull (line);

  /* the server searches every folder; each message is listed once, from its folder */
  {
    g_autofree char *found = run (NULL, "search", "grace", "ctl", "--server", NULL);
    g_auto(GStrv) lines = g_strsplit (g_strstrip (found), "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_nonnull (strstr (found, "\tctl first\t"));
    g_assert_nonnull (strstr (found, "\tctl second\t"));
    g_assert_nonnull (strstr (found, "\tctl third\t"));
  }

  g_free (run (NULL, "account", "remove", "grace", NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/activesync/pigeonctl/mail-commands", test_mail_commands);
  return g_test_run ();
}
