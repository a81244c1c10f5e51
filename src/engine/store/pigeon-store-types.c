/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <string.h>

#include "pigeon-store-types.h"

G_DEFINE_BOXED_TYPE (PigeonFolder, pigeon_folder, pigeon_folder_copy, pigeon_folder_free)
G_DEFINE_BOXED_TYPE (PigeonMessage, pigeon_message, pigeon_message_copy, pigeon_message_free)
G_DEFINE_BOXED_TYPE (PigeonPendingOp, pigeon_pending_op,
                     pigeon_pending_op_copy, pigeon_pending_op_free)
G_DEFINE_BOXED_TYPE (PigeonStoreChange, pigeon_store_change,
                     pigeon_store_change_copy, pigeon_store_change_free)

/* ------------------------------------------------------------------ folders */

PigeonFolder *
pigeon_folder_new (void)
{
  return g_new0 (PigeonFolder, 1);
}

PigeonFolder *
pigeon_folder_copy (const PigeonFolder *folder)
{
  PigeonFolder *copy;

  g_return_val_if_fail (folder != NULL, NULL);

  copy = g_memdup2 (folder, sizeof *folder);
  copy->path = g_strdup (folder->path);
  copy->name = g_strdup (folder->name);
  copy->parent_path = g_strdup (folder->parent_path);
  copy->delimiter = g_strdup (folder->delimiter);
  copy->remote_id = g_strdup (folder->remote_id);
  copy->sync_key = g_strdup (folder->sync_key);
  return copy;
}

void
pigeon_folder_free (PigeonFolder *folder)
{
  if (folder == NULL)
    return;
  g_free (folder->path);
  g_free (folder->name);
  g_free (folder->parent_path);
  g_free (folder->delimiter);
  g_free (folder->remote_id);
  g_free (folder->sync_key);
  g_free (folder);
}

/* ------------------------------------------------------------------ messages */

PigeonMessage *
pigeon_message_new (void)
{
  return g_new0 (PigeonMessage, 1);
}

PigeonMessage *
pigeon_message_copy (const PigeonMessage *message)
{
  PigeonMessage *copy;

  g_return_val_if_fail (message != NULL, NULL);

  copy = g_memdup2 (message, sizeof *message);
  copy->remote_id = g_strdup (message->remote_id);
  copy->message_id = g_strdup (message->message_id);
  copy->in_reply_to = g_strdup (message->in_reply_to);
  copy->references = g_strdup (message->references);
  copy->from = g_strdup (message->from);
  copy->reply_to = g_strdup (message->reply_to);
  copy->to = g_strdup (message->to);
  copy->cc = g_strdup (message->cc);
  copy->subject = g_strdup (message->subject);
  copy->preview = g_strdup (message->preview);
  return copy;
}

void
pigeon_message_free (PigeonMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->remote_id);
  g_free (message->message_id);
  g_free (message->in_reply_to);
  g_free (message->references);
  g_free (message->from);
  g_free (message->reply_to);
  g_free (message->to);
  g_free (message->cc);
  g_free (message->subject);
  g_free (message->preview);
  g_free (message);
}

/* ------------------------------------------------------------------ roles */

static const char * const role_names[] = {
  [PIGEON_FOLDER_ROLE_NONE] = "none",
  [PIGEON_FOLDER_ROLE_INBOX] = "inbox",
  [PIGEON_FOLDER_ROLE_SENT] = "sent",
  [PIGEON_FOLDER_ROLE_DRAFTS] = "drafts",
  [PIGEON_FOLDER_ROLE_TRASH] = "trash",
  [PIGEON_FOLDER_ROLE_JUNK] = "junk",
  [PIGEON_FOLDER_ROLE_ARCHIVE] = "archive",
};

const char *
pigeon_folder_role_to_string (PigeonFolderRole role)
{
  if ((guint) role < G_N_ELEMENTS (role_names))
    return role_names[role];
  return "none";
}

PigeonFolderRole
pigeon_folder_role_from_string (const char *str)
{
  if (str == NULL)
    return PIGEON_FOLDER_ROLE_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    {
      if (g_ascii_strcasecmp (str, role_names[i]) == 0)
        return (PigeonFolderRole) i;
    }
  return PIGEON_FOLDER_ROLE_NONE;
}

/* Names servers without SPECIAL-USE give these folders: English, the common localised
 * ones, and what Outlook and Gmail call them. */
static const struct
{
  const char      *name;
  PigeonFolderRole role;
} role_guesses[] = {
  { "Sent", PIGEON_FOLDER_ROLE_SENT },
  { "Sent Items", PIGEON_FOLDER_ROLE_SENT },
  { "Sent Messages", PIGEON_FOLDER_ROLE_SENT },
  { "Sent Mail", PIGEON_FOLDER_ROLE_SENT },
  { "Gesendet", PIGEON_FOLDER_ROLE_SENT },
  { "Gesendete Elemente", PIGEON_FOLDER_ROLE_SENT },
  { "Envoyés", PIGEON_FOLDER_ROLE_SENT },
  { "Éléments envoyés", PIGEON_FOLDER_ROLE_SENT },
  { "Drafts", PIGEON_FOLDER_ROLE_DRAFTS },
  { "Entwürfe", PIGEON_FOLDER_ROLE_DRAFTS },
  { "Brouillons", PIGEON_FOLDER_ROLE_DRAFTS },
  { "Trash", PIGEON_FOLDER_ROLE_TRASH },
  { "Deleted Items", PIGEON_FOLDER_ROLE_TRASH },
  { "Deleted Messages", PIGEON_FOLDER_ROLE_TRASH },
  { "Bin", PIGEON_FOLDER_ROLE_TRASH },
  { "Papierkorb", PIGEON_FOLDER_ROLE_TRASH },
  { "Gelöschte Elemente", PIGEON_FOLDER_ROLE_TRASH },
  { "Corbeille", PIGEON_FOLDER_ROLE_TRASH },
  { "Éléments supprimés", PIGEON_FOLDER_ROLE_TRASH },
  { "Junk", PIGEON_FOLDER_ROLE_JUNK },
  { "Spam", PIGEON_FOLDER_ROLE_JUNK },
  { "Junk E-mail", PIGEON_FOLDER_ROLE_JUNK },
  { "Junk Email", PIGEON_FOLDER_ROLE_JUNK },
  { "Junk-E-Mail", PIGEON_FOLDER_ROLE_JUNK },
  { "Courrier indésirable", PIGEON_FOLDER_ROLE_JUNK },
  { "Archive", PIGEON_FOLDER_ROLE_ARCHIVE },
  { "Archives", PIGEON_FOLDER_ROLE_ARCHIVE },
  { "Archiv", PIGEON_FOLDER_ROLE_ARCHIVE },
};

static gboolean
names_equal (const char *a,
             const char *b)
{
  g_autofree char *fa = g_utf8_casefold (a, -1);
  g_autofree char *fb = g_utf8_casefold (b, -1);
  g_autofree char *na = g_utf8_normalize (fa, -1, G_NORMALIZE_NFC);
  g_autofree char *nb = g_utf8_normalize (fb, -1, G_NORMALIZE_NFC);

  return na != NULL && nb != NULL && strcmp (na, nb) == 0;
}

/* Strips one leading container that holds the special folders on common servers:
 * "INBOX." / "INBOX/" (Courier, Cyrus) and "[Gmail]/". */
static const char *
strip_container (const char *path,
                 const char *delimiter)
{
  static const char * const containers[] = { "INBOX", "[Gmail]", "[Google Mail]" };

  for (guint i = 0; i < G_N_ELEMENTS (containers); i++)
    {
      gsize len = strlen (containers[i]);

      if (g_ascii_strncasecmp (path, containers[i], len) != 0)
        continue;
      if (delimiter != NULL && *delimiter != '\0')
        {
          if (strncmp (path + len, delimiter, strlen (delimiter)) == 0)
            return path + len + strlen (delimiter);
        }
      else if (path[len] == '.' || path[len] == '/')
        {
          return path + len + 1;
        }
    }
  return path;
}

PigeonFolderRole
pigeon_folder_role_guess (const char *path,
                          const char *delimiter)
{
  const char *name;

  g_return_val_if_fail (path != NULL, PIGEON_FOLDER_ROLE_NONE);

  if (g_ascii_strcasecmp (path, "INBOX") == 0)
    return PIGEON_FOLDER_ROLE_INBOX;

  name = strip_container (path, delimiter);
  /* Only top-level folders (or those directly in the container) are special:
   * "Projects/Sent" is the user's own. */
  if (delimiter != NULL && *delimiter != '\0' && strstr (name, delimiter) != NULL)
    return PIGEON_FOLDER_ROLE_NONE;
  if (!g_utf8_validate (name, -1, NULL))
    return PIGEON_FOLDER_ROLE_NONE;

  for (guint i = 0; i < G_N_ELEMENTS (role_guesses); i++)
    {
      if (names_equal (name, role_guesses[i].name))
        return role_guesses[i].role;
    }
  return PIGEON_FOLDER_ROLE_NONE;
}

/* ------------------------------------------------------------------ message flags */

static const char * const flag_names[] = {
  "seen", "answered", "flagged", "deleted", "draft", "forwarded", "junk",
};

char **
pigeon_message_flags_to_strv (PigeonMessageFlags flags)
{
  GPtrArray *strv = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    {
      if (flags & (1u << i))
        g_ptr_array_add (strv, g_strdup (flag_names[i]));
    }
  g_ptr_array_add (strv, NULL);
  return (char **) g_ptr_array_free (strv, FALSE);
}

gboolean
pigeon_message_flag_from_string (const char         *str,
                                 PigeonMessageFlags *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    {
      if (g_ascii_strcasecmp (str, flag_names[i]) == 0)
        {
          *out = (PigeonMessageFlags) (1u << i);
          return TRUE;
        }
    }
  return FALSE;
}

/* ------------------------------------------------------------------ pending operations */

PigeonPendingOp *
pigeon_pending_op_new (PigeonOpKind kind)
{
  PigeonPendingOp *op = g_new0 (PigeonPendingOp, 1);

  op->kind = kind;
  return op;
}

PigeonPendingOp *
pigeon_pending_op_copy (const PigeonPendingOp *op)
{
  PigeonPendingOp *copy;

  g_return_val_if_fail (op != NULL, NULL);

  copy = g_memdup2 (op, sizeof *op);
  copy->remote_id = g_strdup (op->remote_id);
  copy->path = g_strdup (op->path);
  copy->new_path = g_strdup (op->new_path);
  copy->data = op->data != NULL ? g_bytes_ref (op->data) : NULL;
  return copy;
}

void
pigeon_pending_op_free (PigeonPendingOp *op)
{
  if (op == NULL)
    return;
  g_free (op->remote_id);
  g_free (op->path);
  g_free (op->new_path);
  g_clear_pointer (&op->data, g_bytes_unref);
  g_free (op);
}

const char *
pigeon_op_kind_to_string (PigeonOpKind kind)
{
  static const char * const names[] = {
    [PIGEON_OP_SET_FLAGS] = "set-flags",
    [PIGEON_OP_MOVE] = "move",
    [PIGEON_OP_EXPUNGE] = "expunge",
    [PIGEON_OP_APPEND] = "append",
    [PIGEON_OP_CREATE_FOLDER] = "create-folder",
    [PIGEON_OP_RENAME_FOLDER] = "rename-folder",
    [PIGEON_OP_DELETE_FOLDER] = "delete-folder",
  };

  if ((guint) kind < G_N_ELEMENTS (names))
    return names[kind];
  return "unknown";
}

/* ------------------------------------------------------------------ changes */

PigeonStoreChange *
pigeon_store_change_new (gint64 folder_id)
{
  PigeonStoreChange *change = g_new0 (PigeonStoreChange, 1);

  change->folder_id = folder_id;
  change->added = g_array_new (FALSE, FALSE, sizeof (gint64));
  change->updated = g_array_new (FALSE, FALSE, sizeof (gint64));
  change->removed = g_array_new (FALSE, FALSE, sizeof (gint64));
  return change;
}

static GArray *
copy_ids (const GArray *ids)
{
  GArray *copy = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ids->len);

  g_array_append_vals (copy, ids->data, ids->len);
  return copy;
}

PigeonStoreChange *
pigeon_store_change_copy (const PigeonStoreChange *change)
{
  PigeonStoreChange *copy;

  g_return_val_if_fail (change != NULL, NULL);

  copy = g_new0 (PigeonStoreChange, 1);
  copy->folder_id = change->folder_id;
  copy->added = copy_ids (change->added);
  copy->updated = copy_ids (change->updated);
  copy->removed = copy_ids (change->removed);
  return copy;
}

void
pigeon_store_change_free (PigeonStoreChange *change)
{
  if (change == NULL)
    return;
  g_clear_pointer (&change->added, g_array_unref);
  g_clear_pointer (&change->updated, g_array_unref);
  g_clear_pointer (&change->removed, g_array_unref);
  g_free (change);
}
