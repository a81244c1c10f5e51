/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeonctl"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-providers.h"
#include "pigeonctl-private.h"

static const PigeonCtlCommand *command_tables[] = {
  pigeonctl_account_commands,
  pigeonctl_mail_commands,
  pigeonctl_send_commands,
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage: pigeonctl [--config-dir DIR] [--data-dir DIR] COMMAND …"));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const PigeonCtlCommand *c = command_tables[t]; c->name; c++)
      fprintf (out, "  %s %s\n      %s\n", c->name, c->usage, _(c->summary));
}

/* "account add" is two words; every other command one. */
static const PigeonCtlCommand *
find_command (int    argc,
              char **argv,
              int   *words)
{
  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const PigeonCtlCommand *c = command_tables[t]; c->name; c++)
      {
        g_auto(GStrv) parts = g_strsplit (c->name, " ", -1);
        guint n = g_strv_length (parts);
        gboolean match = (int) n <= argc;

        for (guint i = 0; match && i < n; i++)
          match = strcmp (parts[i], argv[i]) == 0;
        if (match)
          {
            *words = n;
            return c;
          }
      }
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autoptr(PigeonAccountManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rest = NULL;
  g_autofree char *command_name = NULL;
  const PigeonCtlCommand *command;
  PigeonCtl ctl = { 0 };
  int words = 0;
  int i;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("pigeonctl");

  /* Global options come before the command; parse them by hand so each command can own
   * its own option set. */
  for (i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--config-dir"))
        {
          const char *v = strchr (argv[i], '=');
          g_free (config_dir);
          config_dir = g_strdup (v ? v + 1 : (i + 1 < argc ? argv[++i] : NULL));
        }
      else if (g_str_has_prefix (argv[i], "--data-dir"))
        {
          const char *v = strchr (argv[i], '=');
          g_free (data_dir);
          data_dir = g_strdup (v ? v + 1 : (i + 1 < argc ? argv[++i] : NULL));
        }
      else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          print_usage (stdout);
          return 0;
        }
      else
        break;
    }
  if (i >= argc)
    {
      print_usage (stderr);
      return 2;
    }

  command = find_command (argc - i, argv + i, &words);
  if (command == NULL)
    {
      fprintf (stderr, _("pigeonctl: unknown command “%s”. Try pigeonctl --help.\n"), argv[i]);
      return 2;
    }

  pigeon_mime_init ();
  pigeon_providers_register ();

  manager = pigeon_account_manager_new (config_dir, data_dir);
  if (!pigeon_account_manager_load (manager, &error))
    {
      /* A damaged file: say so, then carry on with what could be read. */
      fprintf (stderr, "pigeonctl: %s\n", error->message);
      g_clear_error (&error);
    }

  command_name = g_strdup (command->name);
  rest = g_ptr_array_new ();
  g_ptr_array_add (rest, command_name);
  for (int j = i + words; j < argc; j++)
    g_ptr_array_add (rest, argv[j]);

  ctl.manager = manager;
  ctl.argc = rest->len;
  g_ptr_array_add (rest, NULL);
  ctl.argv = (char **) rest->pdata;

  if (!command->func (&ctl, &error))
    {
      fprintf (stderr, "pigeonctl: %s\n", error->message);
      return 1;
    }
  return 0;
}
