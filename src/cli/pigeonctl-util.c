/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeonctl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "pigeon-error.h"
#include "pigeonctl-private.h"

gboolean
pigeonctl_parse_options (PigeonCtl    *ctl,
                         GOptionEntry *entries,
                         const char   *parameter_string,
                         int           min_args,
                         int           max_args,
                         GError      **error)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter_string);
  g_autofree char *prgname = g_strdup_printf ("pigeonctl %s", ctl->argv[0]);

  g_set_prgname (prgname);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  else
    /* A command without options of its own takes "-seen" and the like as arguments. */
    g_option_context_set_ignore_unknown_options (context, TRUE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &ctl->argc, &ctl->argv, error))
    return FALSE;

  /* argv[0] is the command; the rest are positional arguments. */
  if (ctl->argc - 1 < min_args || (max_args >= 0 && ctl->argc - 1 > max_args))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("Usage: pigeonctl %s %s"), ctl->argv[0], parameter_string);
      return FALSE;
    }
  return TRUE;
}

PigeonAccount *
pigeonctl_find_account (PigeonCtl  *ctl,
                        const char *id_or_name,
                        GError    **error)
{
  PigeonAccount *account = pigeon_account_manager_lookup (ctl->manager, id_or_name);

  if (account == NULL)
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                 _("No account “%s”. See pigeonctl account list."), id_or_name);
  return account;
}

PigeonStore *
pigeonctl_open_store (PigeonCtl     *ctl,
                      PigeonAccount *account,
                      GError       **error)
{
  g_autofree char *dir = pigeon_account_manager_dup_account_dir (ctl->manager, account);

  return pigeon_store_open (dir, error);
}

PigeonFolder *
pigeonctl_find_folder (PigeonStore *store,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  PigeonFolder *folder = pigeon_store_get_folder_by_path (store, path, &local_error);

  /* INBOX is case-insensitive (RFC 3501). */
  if (folder == NULL && local_error == NULL && g_ascii_strcasecmp (path, "INBOX") == 0)
    folder = pigeon_store_get_folder_by_role (store, PIGEON_FOLDER_ROLE_INBOX, &local_error);
  if (folder == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("No folder “%s”. See pigeonctl folders, after a sync."), path);
    }
  return folder;
}

PigeonMessage *
pigeonctl_find_message (PigeonStore  *store,
                        PigeonFolder *folder,
                        const char   *id,
                        GError      **error)
{
  g_autoptr(PigeonMessage) message = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 n;

  if (!g_ascii_string_to_unsigned (id, 10, 1, G_MAXINT64, &n, NULL))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not a message id (see the \"id\" field of pigeonctl list)"), id);
      return NULL;
    }
  message = pigeon_store_get_message (store, (gint64) n, &local_error);
  if (message == NULL || message->folder_id != folder->id)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("No message %s in %s"), id, folder->path);
      return NULL;
    }
  return g_steal_pointer (&message);
}

void
pigeonctl_push_changes (PigeonAccount *account,
                        PigeonStore   *store)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = pigeon_provider_new_for_account (account, store, &error);
  if (provider != NULL && pigeon_provider_connect (provider, NULL, &error))
    {
      pigeon_provider_replay_pending_ops (provider, NULL, &error);
      pigeon_provider_disconnect (provider);
    }
  if (error != NULL)
    fprintf (stderr, _("pigeonctl: the change is saved and will reach the server at the next "
                       "sync (%s)\n"), error->message);
}

void
pigeonctl_json_string (GString    *out,
                       const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      guchar c = *p;

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

char *
pigeonctl_format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_time <= 0)
    return NULL;
  dt = g_date_time_new_from_unix_utc (unix_time);
  return dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}
