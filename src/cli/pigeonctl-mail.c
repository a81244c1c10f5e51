/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeonctl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-sync-once.h"
#include "pigeonctl-private.h"

/* ------------------------------------------------------------------ sync */

static gboolean
sync_one (PigeonCtl      *ctl,
          PigeonAccount  *account,
          PigeonSyncFlags flags,
          GError        **error)
{
  g_autoptr(PigeonStore) store = pigeonctl_open_store (ctl, account, error);

  if (store == NULL)
    return FALSE;
  return pigeon_sync_account_once (account, store, flags, NULL, error);
}

static gboolean
cmd_sync (PigeonCtl *ctl,
          GError   **error)
{
  gboolean bodies = FALSE;
  GOptionEntry entries[] = {
    { "bodies", 0, 0, G_OPTION_ARG_NONE, &bodies, N_("Also download message bodies"), NULL },
    { NULL }
  };
  PigeonSyncFlags flags;
  g_autoptr(GError) first_error = NULL;
  guint n;

  if (!pigeonctl_parse_options (ctl, entries, "[ACCOUNT]", 0, 1, error))
    return FALSE;
  flags = bodies ? PIGEON_SYNC_FLAGS_BODIES : PIGEON_SYNC_FLAGS_NONE;

  if (ctl->argc == 2)
    {
      PigeonAccount *account = pigeonctl_find_account (ctl, ctl->argv[1], error);
      return account != NULL && sync_one (ctl, account, flags, error);
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (ctl->manager));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (G_LIST_MODEL (ctl->manager), i);
      g_autoptr(GError) account_error = NULL;

      if (!pigeon_account_get_enabled (account))
        continue;
      if (!sync_one (ctl, account, flags, &account_error))
        {
          fprintf (stderr, "pigeonctl: %s: %s\n", pigeon_account_get_name (account),
                   account_error->message);
          if (first_error == NULL)
            first_error = g_steal_pointer (&account_error);
        }
    }
  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ reading */

static gboolean
cmd_folders (PigeonCtl *ctl,
             GError   **error)
{
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  if (!pigeonctl_parse_options (ctl, NULL, "ACCOUNT", 1, 1, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL ||
      (folders = pigeon_store_list_folders (store, error)) == NULL)
    return FALSE;

  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);

      printf ("%s\t%s\t%u\t%u\n", folder->path,
              folder->role ? pigeon_folder_role_to_string (folder->role) : "-",
              folder->total, folder->unread);
    }
  return TRUE;
}

static void
print_message (PigeonMessage *message,
               gboolean       json)
{
  g_autofree char *date = pigeonctl_format_date (message->date);
  g_auto(GStrv) flags = pigeon_message_flags_to_strv (message->flags);

  if (json)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      g_string_append_printf (out, "{\"id\":%" G_GINT64_FORMAT ",\"uid\":%u,\"message_id\":",
                              message->id, message->uid);
      pigeonctl_json_string (out, message->message_id);
      g_string_append (out, ",\"date\":");
      pigeonctl_json_string (out, date);
      g_string_append (out, ",\"from\":");
      pigeonctl_json_string (out, message->from);
      g_string_append (out, ",\"subject\":");
      pigeonctl_json_string (out, message->subject);
      g_string_append (out, ",\"flags\":[");
      for (guint i = 0; flags[i]; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          pigeonctl_json_string (out, flags[i]);
        }
      g_string_append_printf (out, "],\"size\":%" G_GINT64_FORMAT ",\"has_attachments\":%s}",
                              message->size, message->has_attachments ? "true" : "false");
      printf ("%s\n", out->str);
    }
  else
    {
      g_autofree char *flag_text = g_strjoinv (",", flags);

      printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", message->id, date ? date : "-",
              message->from ? message->from : "", message->subject ? message->subject : "",
              *flag_text ? flag_text : "-");
    }
}

static gboolean
cmd_list (PigeonCtl *ctl,
          GError   **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per line"), NULL },
    { NULL }
  };
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  guint offset = 0;

  if (!pigeonctl_parse_options (ctl, entries, "ACCOUNT FOLDER", 2, 2, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL ||
      (folder = pigeonctl_find_folder (store, ctl->argv[2], error)) == NULL)
    return FALSE;

  /* Pages keep memory flat on huge folders. */
  for (;;)
    {
      g_autoptr(GPtrArray) page = pigeon_store_list_messages (store, folder->id, offset, 2000,
                                                              error);
      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        print_message (g_ptr_array_index (page, i), json);
      if (page->len < 2000)
        break;
      offset += page->len;
    }
  return TRUE;
}

static gboolean
cmd_show (PigeonCtl *ctl,
          GError   **error)
{
  gboolean raw = FALSE;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, N_("Print the raw RFC 5322 message"), NULL },
    { NULL }
  };
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(PigeonMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  GMimeMessage *parsed;
  g_autofree char *text = NULL;
  g_autofree char *date = NULL;

  if (!pigeonctl_parse_options (ctl, entries, "ACCOUNT FOLDER ID", 3, 3, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL ||
      (folder = pigeonctl_find_folder (store, ctl->argv[2], error)) == NULL ||
      (message = pigeonctl_find_message (store, folder, ctl->argv[3], error)) == NULL)
    return FALSE;

  body = pigeon_store_get_body (store, message->id, &local_error);
  if (body == NULL && local_error == NULL)
    {
      g_autoptr(PigeonProvider) provider = pigeon_provider_new_for_account (account, store, error);

      if (provider == NULL || !pigeon_provider_connect (provider, NULL, error))
        return FALSE;
      if (!pigeon_provider_fetch_body (provider, message->id, NULL, error))
        {
          pigeon_provider_disconnect (provider);
          return FALSE;
        }
      pigeon_provider_disconnect (provider);
      body = pigeon_store_get_body (store, message->id, &local_error);
    }
  if (body == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("The server did not return the message"));
      return FALSE;
    }

  if (raw)
    {
      fwrite (g_bytes_get_data (body, NULL), 1, g_bytes_get_size (body), stdout);
      return TRUE;
    }

  parsed = pigeon_mime_parse (body, error);
  if (parsed == NULL)
    return FALSE;
  pigeon_mime_extract_text (parsed, &text, NULL, NULL);
  g_object_unref (parsed);
  date = pigeonctl_format_date (message->date);
  printf ("From: %s\n", message->from ? message->from : "");
  printf ("To: %s\n", message->to ? message->to : "");
  if (message->cc)
    printf ("Cc: %s\n", message->cc);
  printf ("Date: %s\n", date ? date : "");
  printf ("Subject: %s\n\n", message->subject ? message->subject : "");
  printf ("%s\n", text ? text : "");
  return TRUE;
}

/* The server's hits (pigeon_provider_search), as store rows newest first. */
static GPtrArray *
search_server (PigeonAccount  *account,
               PigeonStore    *store,
               const char     *query,
               gint64          folder_id,
               GError        **error)
{
  PigeonProviderClass *klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (account));
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GPtrArray *results;
  gboolean ok;

  if (klass != NULL && (klass->caps & PIGEON_PROVIDER_CAP_SERVER_SEARCH) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("%s is a %s account, whose server cannot search. Leave out --server to "
                     "search the messages on this computer."),
                   pigeon_account_get_name (account), _(klass->display_name));
      return NULL;
    }
  provider = pigeon_provider_new_for_account (account, store, error);
  if (provider == NULL || !pigeon_provider_connect (provider, NULL, error))
    return NULL;
  ok = pigeon_provider_search (provider, query, folder_id, ids, NULL, error);
  pigeon_provider_disconnect (provider);
  if (!ok)
    return NULL;

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      PigeonMessage *message = pigeon_store_get_message (store, g_array_index (ids, gint64, i),
                                                         &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          g_ptr_array_unref (results);
          return NULL;
        }
      /* a row the sync removed meanwhile is no longer a hit */
      if (message != NULL)
        g_ptr_array_add (results, message);
    }
  return results;
}

static gboolean
cmd_search (PigeonCtl *ctl,
            GError   **error)
{
  gboolean json = FALSE;
  gboolean server = FALSE;
  g_autofree char *folder_path = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per line"), NULL },
    { "server", 0, 0, G_OPTION_ARG_NONE, &server,
      N_("Ask the server (what it has beyond this computer is downloaded)"), NULL },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder_path, N_("Only this folder"), N_("FOLDER") },
    { NULL }
  };
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(GPtrArray) results = NULL;
  gint64 folder_id;

  if (!pigeonctl_parse_options (ctl, entries, "ACCOUNT QUERY", 2, 2, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL)
    return FALSE;
  if (folder_path != NULL && (folder = pigeonctl_find_folder (store, folder_path, error)) == NULL)
    return FALSE;
  folder_id = folder != NULL ? folder->id : 0;

  if (server)
    results = search_server (account, store, ctl->argv[2], folder_id, error);
  else
    results = pigeon_store_search (store, ctl->argv[2], folder_id, 0, error);
  if (results == NULL)
    return FALSE;

  for (guint i = 0; i < results->len; i++)
    print_message (g_ptr_array_index (results, i), json);
  return TRUE;
}

/* ------------------------------------------------------------------ changes */

typedef struct
{
  PigeonAccount *account;
  PigeonStore *store;
  PigeonFolder *folder;
  PigeonMessage *message;
} Target;

static void
target_clear (Target *t)
{
  g_clear_object (&t->store);
  g_clear_pointer (&t->folder, pigeon_folder_free);
  g_clear_pointer (&t->message, pigeon_message_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

static gboolean
find_target (PigeonCtl *ctl,
             Target    *t,
             GError   **error)
{
  return (t->account = pigeonctl_find_account (ctl, ctl->argv[1], error)) != NULL &&
         (t->store = pigeonctl_open_store (ctl, t->account, error)) != NULL &&
         (t->folder = pigeonctl_find_folder (t->store, ctl->argv[2], error)) != NULL &&
         (t->message = pigeonctl_find_message (t->store, t->folder, ctl->argv[3], error)) != NULL;
}

static gboolean
cmd_flag (PigeonCtl *ctl,
          GError   **error)
{
  g_auto(Target) t = { 0 };
  PigeonMessageFlags flag;
  const char *change;

  if (!pigeonctl_parse_options (ctl, NULL, "ACCOUNT FOLDER ID +seen|-seen|+flagged|-flagged",
                                4, 4, error))
    return FALSE;
  change = ctl->argv[4];
  if ((change[0] != '+' && change[0] != '-') ||
      !pigeon_message_flag_from_string (change + 1, &flag))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not a flag change; use +seen, -seen, +flagged, -flagged, "
                     "+answered or -answered"), change);
      return FALSE;
    }
  if (!find_target (ctl, &t, error))
    return FALSE;
  if (!pigeon_store_change_flags (t.store, &t.message->id, 1,
                                  change[0] == '+' ? flag : 0,
                                  change[0] == '-' ? flag : 0, error))
    return FALSE;
  pigeonctl_push_changes (t.account, t.store);
  return TRUE;
}

static gboolean
cmd_move (PigeonCtl *ctl,
          GError   **error)
{
  g_auto(Target) t = { 0 };
  g_autoptr(PigeonFolder) dest = NULL;

  if (!pigeonctl_parse_options (ctl, NULL, "ACCOUNT FOLDER ID DEST_FOLDER", 4, 4, error))
    return FALSE;
  if (!find_target (ctl, &t, error) ||
      (dest = pigeonctl_find_folder (t.store, ctl->argv[4], error)) == NULL)
    return FALSE;
  if (dest->id == t.folder->id)
    return TRUE;
  if (!pigeon_store_move_messages (t.store, &t.message->id, 1, dest->id, error))
    return FALSE;
  pigeonctl_push_changes (t.account, t.store);
  return TRUE;
}

/* Delete moves to Trash; in Trash (or without one) it deletes for good. */
static gboolean
cmd_delete (PigeonCtl *ctl,
            GError   **error)
{
  g_auto(Target) t = { 0 };
  g_autoptr(PigeonFolder) trash = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!pigeonctl_parse_options (ctl, NULL, "ACCOUNT FOLDER ID", 3, 3, error))
    return FALSE;
  if (!find_target (ctl, &t, error))
    return FALSE;

  trash = pigeon_store_get_folder_by_role (t.store, PIGEON_FOLDER_ROLE_TRASH, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (trash != NULL && trash->id != t.folder->id)
    ok = pigeon_store_move_messages (t.store, &t.message->id, 1, trash->id, error);
  else
    ok = pigeon_store_expunge_messages (t.store, &t.message->id, 1, error);
  if (!ok)
    return FALSE;
  pigeonctl_push_changes (t.account, t.store);
  return TRUE;
}

const PigeonCtlCommand pigeonctl_mail_commands[] = {
  { "sync", "[ACCOUNT] [--bodies]", N_("One full sync of one or every account, then exit"),
    cmd_sync },
  { "folders", "ACCOUNT", N_("One line per folder: path, role, total, unread"), cmd_folders },
  { "list", "ACCOUNT FOLDER [--json]", N_("The folder's messages, newest first"), cmd_list },
  { "show", "ACCOUNT FOLDER ID [--raw]", N_("A message's text (or its raw bytes)"), cmd_show },
  { "flag", "ACCOUNT FOLDER ID +seen|-seen|+flagged|-flagged", N_("Change a flag"), cmd_flag },
  { "move", "ACCOUNT FOLDER ID DEST_FOLDER", N_("Move a message"), cmd_move },
  { "delete", "ACCOUNT FOLDER ID", N_("Move a message to Trash (in Trash: delete it)"),
    cmd_delete },
  { "search", "ACCOUNT QUERY [--json] [--server] [--folder FOLDER]",
    N_("Search the local index, or with --server the server"), cmd_search },
  { NULL }
};
