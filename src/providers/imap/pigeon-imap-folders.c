/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-private.h"
#include "pigeon-imap-utf7.h"

char *
pigeon_imap_path_to_mailbox (PigeonImapSession *session,
                             const char        *path)
{
  if (g_ascii_strcasecmp (path, "INBOX") == 0)
    return g_strdup ("INBOX");
  if (pigeon_imap_session_uses_utf8_names (session))
    return g_strdup (path);
  return pigeon_imap_utf7_encode (path);
}

char *
pigeon_imap_folder_mailbox (PigeonImapSession  *session,
                            const PigeonFolder *folder)
{
  if (folder->remote_id != NULL)
    return g_strdup (folder->remote_id);
  return pigeon_imap_path_to_mailbox (session, folder->path);
}

typedef struct
{
  PigeonImapProvider *self;
  GPtrArray *folders;       /* PigeonFolder* */
  GHashTable *seen;         /* raw names */
  gboolean utf8_names;
} ListContext;

static PigeonFolderRole
special_use_role (const char *attribute)
{
  static const struct { const char *name; PigeonFolderRole role; } table[] = {
    { "\\Sent", PIGEON_FOLDER_ROLE_SENT },
    { "\\Drafts", PIGEON_FOLDER_ROLE_DRAFTS },
    { "\\Trash", PIGEON_FOLDER_ROLE_TRASH },
    { "\\Junk", PIGEON_FOLDER_ROLE_JUNK },
    { "\\Archive", PIGEON_FOLDER_ROLE_ARCHIVE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (attribute, table[i].name) == 0)
      return table[i].role;
  return PIGEON_FOLDER_ROLE_NONE;
}

static PigeonFolder *
folder_from_list (const PigeonImapResponse *response,
                  gboolean                  utf8_names)
{
  PigeonImapValue *attributes = pigeon_imap_response_get_arg (response, 0);
  PigeonImapValue *delimiter = pigeon_imap_response_get_arg (response, 1);
  g_autofree char *raw = pigeon_imap_value_dup_string (pigeon_imap_response_get_arg (response, 2));
  g_autoptr(PigeonFolder) folder = NULL;
  char *last;

  if (raw == NULL || *raw == '\0' || !pigeon_imap_value_is_list (attributes) ||
      !g_utf8_validate (raw, -1, NULL))
    return NULL;

  folder = pigeon_folder_new ();
  folder->remote_id = g_strdup (raw);
  if (g_ascii_strcasecmp (raw, "INBOX") == 0)
    {
      folder->path = g_strdup ("INBOX");
      folder->remote_id = (g_free (folder->remote_id), g_strdup ("INBOX"));
      folder->role = PIGEON_FOLDER_ROLE_INBOX;
    }
  else
    {
      if (!utf8_names)
        folder->path = pigeon_imap_utf7_decode (raw);
      if (folder->path == NULL)
        folder->path = g_strdup (raw);
    }
  if (!pigeon_imap_value_is_nil (delimiter))
    {
      folder->delimiter = pigeon_imap_value_dup_string (delimiter);
      if (folder->delimiter != NULL && *folder->delimiter == '\0')
        g_clear_pointer (&folder->delimiter, g_free);
    }

  for (guint i = 0; i < pigeon_imap_value_get_n_items (attributes); i++)
    {
      PigeonImapValue *item = pigeon_imap_value_get_item (attributes, i);
      const char *attribute = pigeon_imap_value_get_atom (item);
      PigeonFolderRole role;

      if (attribute == NULL)
        continue;
      if (g_ascii_strcasecmp (attribute, "\\NonExistent") == 0)
        return NULL;   /* subscribed, but gone */
      if (g_ascii_strcasecmp (attribute, "\\Noselect") == 0)
        folder->flags |= PIGEON_FOLDER_FLAG_NOSELECT;
      else if (g_ascii_strcasecmp (attribute, "\\Noinferiors") == 0)
        folder->flags |= PIGEON_FOLDER_FLAG_NOINFERIORS;
      else if (g_ascii_strcasecmp (attribute, "\\Subscribed") == 0)
        folder->flags |= PIGEON_FOLDER_FLAG_SUBSCRIBED;
      else if (folder->role == PIGEON_FOLDER_ROLE_NONE &&
               (role = special_use_role (attribute)) != PIGEON_FOLDER_ROLE_NONE)
        folder->role = role;
    }

  last = folder->delimiter != NULL ? g_strrstr (folder->path, folder->delimiter) : NULL;
  if (last != NULL && last != folder->path && last[strlen (folder->delimiter)] != '\0')
    {
      folder->parent_path = g_strndup (folder->path, (gsize) (last - folder->path));
      folder->name = g_strdup (last + strlen (folder->delimiter));
    }
  else
    folder->name = g_strdup (folder->path);
  return g_steal_pointer (&folder);
}

static void
note_status (PigeonImapProvider       *self,
             const PigeonImapResponse *response)
{
  g_autofree char *raw = pigeon_imap_value_dup_string (pigeon_imap_response_get_arg (response, 0));
  PigeonImapValue *items = pigeon_imap_response_get_arg (response, 1);
  PigeonImapStatusItems *status;

  if (raw == NULL || !pigeon_imap_value_is_list (items))
    return;
  status = g_new0 (PigeonImapStatusItems, 1);
  for (guint i = 0; i + 1 < pigeon_imap_value_get_n_items (items); i += 2)
    {
      const char *name = pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, i));
      PigeonImapValue *value = pigeon_imap_value_get_item (items, i + 1);

      if (name == NULL)
        continue;
      if (g_ascii_strcasecmp (name, "MESSAGES") == 0)
        pigeon_imap_value_get_uint32 (value, &status->messages);
      else if (g_ascii_strcasecmp (name, "UIDNEXT") == 0)
        pigeon_imap_value_get_uint32 (value, &status->uidnext);
      else if (g_ascii_strcasecmp (name, "UIDVALIDITY") == 0)
        pigeon_imap_value_get_uint32 (value, &status->uidvalidity);
      else if (g_ascii_strcasecmp (name, "HIGHESTMODSEQ") == 0)
        pigeon_imap_value_get_uint64 (value, &status->highestmodseq);
    }
  g_hash_table_replace (self->status, g_steal_pointer (&raw), status);
}

static gboolean
list_cb (PigeonImapCommand  *command,
         PigeonImapResponse *response,
         gpointer            user_data)
{
  ListContext *ctx = user_data;

  if (g_strcmp0 (response->name, "LIST") == 0)
    {
      PigeonFolder *folder = folder_from_list (response, ctx->utf8_names);

      if (folder != NULL && !g_hash_table_contains (ctx->seen, folder->remote_id))
        {
          g_hash_table_add (ctx->seen, g_strdup (folder->remote_id));
          g_ptr_array_add (ctx->folders, folder);
        }
      else if (folder != NULL)
        pigeon_folder_free (folder);
      return TRUE;
    }
  if (g_strcmp0 (response->name, "STATUS") == 0)
    {
      note_status (ctx->self, response);
      return TRUE;
    }
  return FALSE;
}

/* Without SPECIAL-USE (or for roles it left open) the names tell: "Sent Items",
 * "Gelöschte Elemente", "INBOX.Trash". */
static void
guess_roles (PigeonImapProvider *self,
             GPtrArray          *folders)
{
  gboolean taken[PIGEON_FOLDER_ROLE_ARCHIVE + 1] = { FALSE };
  gsize prefix_length = self->personal_prefix != NULL ? strlen (self->personal_prefix) : 0;

  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);

      if (folder->role <= PIGEON_FOLDER_ROLE_ARCHIVE)
        taken[folder->role] = TRUE;
    }
  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);
      const char *path = folder->path;
      PigeonFolderRole role;

      if (folder->role != PIGEON_FOLDER_ROLE_NONE || (folder->flags & PIGEON_FOLDER_FLAG_NOSELECT))
        continue;
      /* "INBOX.Sent" on a server whose personal folders live under "INBOX." */
      if (prefix_length > 0 && strncmp (path, self->personal_prefix, prefix_length) == 0)
        path += prefix_length;
      role = pigeon_folder_role_guess (path, folder->delimiter);
      if (role != PIGEON_FOLDER_ROLE_NONE && role != PIGEON_FOLDER_ROLE_INBOX && !taken[role])
        {
          folder->role = role;
          taken[role] = TRUE;
        }
    }
}

static gboolean
quota_cb (PigeonImapCommand  *command,
          PigeonImapResponse *response,
          gpointer            user_data)
{
  PigeonImapProvider *self = user_data;
  PigeonImapValue *resources;

  if (g_strcmp0 (response->name, "QUOTAROOT") == 0)
    return TRUE;
  if (g_strcmp0 (response->name, "QUOTA") != 0)
    return FALSE;
  resources = pigeon_imap_response_get_arg (response, 1);
  for (guint i = 0; i + 2 < pigeon_imap_value_get_n_items (resources); i += 3)
    {
      guint64 used, limit;

      if (pigeon_imap_value_is_atom (pigeon_imap_value_get_item (resources, i), "STORAGE") &&
          pigeon_imap_value_get_uint64 (pigeon_imap_value_get_item (resources, i + 1), &used) &&
          pigeon_imap_value_get_uint64 (pigeon_imap_value_get_item (resources, i + 2), &limit) &&
          used < G_MAXUINT64 / 1024 && limit < G_MAXUINT64 / 1024)
        {
          /* In units of 1024 octets. */
          pigeon_provider_report_quota (PIGEON_PROVIDER (self), used * 1024, limit * 1024);
          break;
        }
    }
  return TRUE;
}

gboolean
pigeon_imap_sync_folder_list (PigeonImapProvider *self,
                              GCancellable       *cancellable,
                              GError            **error)
{
  PigeonImapSession *session = pigeon_imap_get_work_session (self, cancellable, error);
  g_autoptr(PigeonImapCommand) list = NULL;
  g_autoptr(PigeonImapCommand) quota = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GHashTable) seen = NULL;
  ListContext ctx;
  gboolean have_inbox = FALSE;

  if (session == NULL)
    return FALSE;

  folders = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx = (ListContext) { self, folders, seen, pigeon_imap_session_uses_utf8_names (session) };

  list = pigeon_imap_command_new ("LIST \"\" \"*\"");
  if (pigeon_imap_session_has_capability (session, "LIST-EXTENDED"))
    {
      pigeon_imap_command_add_text (list, " RETURN (SUBSCRIBED%s",
                                    pigeon_imap_session_has_capability (session, "SPECIAL-USE")
                                      ? " SPECIAL-USE" : "");
      if (pigeon_imap_session_has_capability (session, "LIST-STATUS"))
        pigeon_imap_command_add_text (list, " STATUS (MESSAGES UIDNEXT UIDVALIDITY%s)",
                                      pigeon_imap_session_has_capability (session, "CONDSTORE")
                                        ? " HIGHESTMODSEQ" : "");
      pigeon_imap_command_add_text (list, ")");
    }
  pigeon_imap_command_set_untagged_func (list, list_cb, &ctx);
  g_hash_table_remove_all (self->status);

  if (pigeon_imap_session_has_capability (session, "QUOTA"))
    {
      quota = pigeon_imap_command_new ("GETQUOTAROOT INBOX");
      pigeon_imap_command_set_untagged_func (quota, quota_cb, self);
    }

  /* LIST and GETQUOTAROOT go out together. */
  if (!pigeon_imap_session_send (session, list, cancellable, error) ||
      (quota != NULL && !pigeon_imap_session_send (session, quota, cancellable, error)) ||
      !pigeon_imap_session_wait (session, list, cancellable, error) ||
      (quota != NULL && !pigeon_imap_session_wait (session, quota, cancellable, error)))
    return FALSE;
  if (!pigeon_imap_command_check (list, error))
    return FALSE;

  for (guint i = 0; i < folders->len; i++)
    if (((PigeonFolder *) g_ptr_array_index (folders, i))->role == PIGEON_FOLDER_ROLE_INBOX)
      have_inbox = TRUE;
  if (!have_inbox)
    {
      /* Every account has an inbox, listed or not. */
      PigeonFolder *inbox = pigeon_folder_new ();

      inbox->path = g_strdup ("INBOX");
      inbox->name = g_strdup ("INBOX");
      inbox->remote_id = g_strdup ("INBOX");
      inbox->role = PIGEON_FOLDER_ROLE_INBOX;
      g_ptr_array_insert (folders, 0, inbox);
    }
  guess_roles (self, folders);
  return pigeon_store_replace_folders (pigeon_provider_get_store (PIGEON_PROVIDER (self)), folders,
                                       error);
}
