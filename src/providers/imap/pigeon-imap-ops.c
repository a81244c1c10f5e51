/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-fetch.h"
#include "pigeon-imap-private.h"
#include "pigeon-imap-uidset.h"
#include "pigeon-mime.h"

/* Replaying the user's queued changes.  Each function returns TRUE when the server has
 * the change or when it can never apply (the message or folder is gone), logging the
 * latter; FALSE with an error when it should be tried again. */

static gboolean
dropped (const PigeonPendingOp *op,
         const char            *why)
{
  g_message ("Dropping queued %s: %s", pigeon_op_kind_to_string (op->kind), why);
  return TRUE;
}

/* Selects the folder the op's message was in and checks it is the same mailbox
 * (UIDVALIDITY) the op was queued against.  *GONE when it no longer exists. */
static gboolean
select_for_op (PigeonImapProvider    *self,
               const PigeonPendingOp *op,
               PigeonImapSession    **out_session,
               gboolean              *gone,
               GCancellable          *cancellable,
               GError               **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(GError) local_error = NULL;
  PigeonImapSession *session;

  *gone = FALSE;
  if (op->uid == 0)
    {
      /* Queued while the message had no server identity, which it never got. */
      *gone = TRUE;
      return TRUE;
    }
  folder = pigeon_store_get_folder (store, op->folder_id, NULL);
  if (folder == NULL)
    {
      *gone = TRUE;
      return TRUE;
    }
  session = pigeon_imap_get_work_session (self, cancellable, error);
  if (session == NULL)
    return FALSE;
  if (!pigeon_imap_ensure_selected (session, folder, cancellable, &local_error))
    {
      if (g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND))
        {
          *gone = TRUE;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (op->uidvalidity != 0 &&
      pigeon_imap_session_get_selected (session)->uidvalidity != op->uidvalidity)
    *gone = TRUE;
  *out_session = session;
  return TRUE;
}

/* Counts FETCH responses: a STORE answers with one per message that exists. */
static gboolean
count_fetch_cb (PigeonImapCommand  *command,
                PigeonImapResponse *response,
                gpointer            user_data)
{
  guint *count = user_data;

  if (g_strcmp0 (response->name, "FETCH") != 0)
    return FALSE;
  (*count)++;
  return TRUE;
}

/* UID STORE UID ±FLAGS (FLAGS); *EXISTS tells whether the message was there. */
static gboolean
store_flags (PigeonImapSession  *session,
             guint32             uid,
             char                sign,
             PigeonMessageFlags  flags,
             gboolean           *exists,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autofree char *list = pigeon_imap_flags_to_string (flags);
  g_autoptr(PigeonImapCommand) command = NULL;
  guint count = 0;

  if (*list == '\0')
    return TRUE;
  command = pigeon_imap_command_new ("UID STORE");
  pigeon_imap_command_add_text (command, " %u %cFLAGS (%s)", uid, sign, list);
  pigeon_imap_command_set_untagged_func (command, count_fetch_cb, &count);
  if (!pigeon_imap_session_run (session, command, cancellable, error))
    return FALSE;
  *exists = count > 0;
  return TRUE;
}

static gboolean
apply_flags (PigeonImapProvider    *self,
             const PigeonPendingOp *op,
             GCancellable          *cancellable,
             GError               **error)
{
  PigeonImapSession *session = NULL;
  gboolean gone;
  gboolean exists = TRUE;

  if (!select_for_op (self, op, &session, &gone, cancellable, error))
    return FALSE;
  if (gone)
    return dropped (op, "the message is no longer on the server");
  if (!store_flags (session, op->uid, '+', op->flags_add, &exists, cancellable, error) ||
      !store_flags (session, op->uid, '-', op->flags_remove, &exists, cancellable, error))
    return FALSE;
  if (!exists)
    return dropped (op, "the message is no longer on the server");
  return TRUE;
}

/* "[COPYUID uidvalidity source-set dest-set]": the new UID of SOURCE_UID. */
static gboolean
parse_copyuid (const char *code_text,
               guint32     source_uid,
               guint32    *dest_uidvalidity,
               guint32    *dest_uid)
{
  g_auto(GStrv) parts = code_text != NULL ? g_strsplit (code_text, " ", 0) : NULL;
  g_autoptr(GArray) source = NULL;
  g_autoptr(GArray) dest = NULL;
  guint64 uidvalidity;

  if (parts == NULL || g_strv_length (parts) != 3 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &uidvalidity, NULL))
    return FALSE;
  source = pigeon_imap_uidset_expand (parts[1], 100000);
  dest = pigeon_imap_uidset_expand (parts[2], 100000);
  if (source == NULL || dest == NULL || source->len != dest->len)
    return FALSE;
  for (guint i = 0; i < source->len; i++)
    if (g_array_index (source, guint32, i) == source_uid)
      {
        *dest_uidvalidity = (guint32) uidvalidity;
        *dest_uid = g_array_index (dest, guint32, i);
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  guint32 source_uid;
  guint32 dest_uidvalidity;
  guint32 dest_uid;
} CopyUid;

static void
check_copyuid (CopyUid                  *copy,
               const PigeonImapResponse *response)
{
  if (g_strcmp0 (response->code, "COPYUID") == 0)
    parse_copyuid (response->code_text, copy->source_uid, &copy->dest_uidvalidity,
                   &copy->dest_uid);
}

/* MOVE reports COPYUID in an untagged OK before the EXPUNGEs. */
static gboolean
move_cb (PigeonImapCommand  *command,
         PigeonImapResponse *response,
         gpointer            user_data)
{
  if (response->status != PIGEON_IMAP_STATUS_OK)
    return FALSE;
  check_copyuid (user_data, response);
  return response->code != NULL;
}

/* NO [TRYCREATE]: the destination does not exist. */
static gboolean
no_destination (const GError *error)
{
  return g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
}

static gboolean
expunge_uid (PigeonImapSession *session,
             guint32            uid,
             GCancellable      *cancellable,
             GError           **error)
{
  g_autoptr(PigeonImapCommand) command = NULL;

  if (pigeon_imap_session_has_capability (session, "UIDPLUS"))
    {
      command = pigeon_imap_command_new ("UID EXPUNGE");
      pigeon_imap_command_add_text (command, " %u", uid);
    }
  else
    command = pigeon_imap_command_new ("EXPUNGE");
  return pigeon_imap_session_run (session, command, cancellable, error);
}

static gboolean
apply_move (PigeonImapProvider    *self,
            const PigeonPendingOp *op,
            GCancellable          *cancellable,
            GError               **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  PigeonImapSession *session = NULL;
  g_autoptr(PigeonFolder) dest = NULL;
  g_autoptr(PigeonImapCommand) command = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dest_mailbox = NULL;
  CopyUid copy = { op->uid, 0, 0 };
  gboolean gone;
  gboolean ok;

  dest = pigeon_store_get_folder (store, op->dest_folder_id, NULL);
  if (dest == NULL)
    return dropped (op, "the destination folder is gone");
  if (!select_for_op (self, op, &session, &gone, cancellable, error))
    return FALSE;
  if (gone)
    {
      /* Nothing to move; the local copy goes, so nothing shows that is not there. */
      if (op->message_id != 0 &&
          !pigeon_store_set_message_server_id (store, op->message_id, 0, 0, NULL, error))
        return FALSE;
      return dropped (op, "the message is no longer on the server");
    }

  dest_mailbox = pigeon_imap_folder_mailbox (session, dest);
  if (pigeon_imap_session_has_capability (session, "MOVE"))
    {
      command = pigeon_imap_command_new ("UID MOVE");
      pigeon_imap_command_add_text (command, " %u", op->uid);
      pigeon_imap_command_add_astring (command, dest_mailbox);
      pigeon_imap_command_set_untagged_func (command, move_cb, &copy);
      ok = pigeon_imap_session_run (session, command, cancellable, &local_error);
    }
  else
    {
      gboolean exists = TRUE;

      command = pigeon_imap_command_new ("UID COPY");
      pigeon_imap_command_add_text (command, " %u", op->uid);
      pigeon_imap_command_add_astring (command, dest_mailbox);
      ok = pigeon_imap_session_run (session, command, cancellable, &local_error);
      if (ok)
        {
          check_copyuid (&copy, pigeon_imap_command_get_response (command));
          ok = store_flags (session, op->uid, '+', PIGEON_MESSAGE_FLAG_DELETED, &exists,
                            cancellable, &local_error) &&
               expunge_uid (session, op->uid, cancellable, &local_error);
        }
    }
  if (!ok)
    {
      if (no_destination (local_error))
        return dropped (op, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (pigeon_imap_command_get_response (command) != NULL)
    check_copyuid (&copy, pigeon_imap_command_get_response (command));

  if (op->message_id == 0)
    return TRUE;
  if (copy.dest_uid != 0)
    return pigeon_store_set_message_server_id (store, op->message_id, copy.dest_uidvalidity,
                                               copy.dest_uid, NULL, error);
  if (pigeon_imap_session_has_capability (session, "UIDPLUS"))
    g_message ("The server moved nothing for a queued move: the message was gone");
  /* No new UID known: the next sync of the destination brings the message back, once. */
  return pigeon_store_set_message_server_id (store, op->message_id, 0, 0, NULL, error);
}

static gboolean
apply_expunge (PigeonImapProvider    *self,
               const PigeonPendingOp *op,
               GCancellable          *cancellable,
               GError               **error)
{
  PigeonImapSession *session = NULL;
  gboolean gone;
  gboolean exists = TRUE;

  if (!select_for_op (self, op, &session, &gone, cancellable, error))
    return FALSE;
  if (gone)
    return dropped (op, "the message is no longer on the server");
  if (!store_flags (session, op->uid, '+', PIGEON_MESSAGE_FLAG_DELETED, &exists, cancellable,
                    error))
    return FALSE;
  if (!exists)
    return dropped (op, "the message is no longer on the server");
  return expunge_uid (session, op->uid, cancellable, error);
}

/* ------------------------------------------------------------------ append, once */

static gboolean
uploaded_search_cb (PigeonImapCommand  *command,
                    PigeonImapResponse *response,
                    gpointer            user_data)
{
  GArray *uids = user_data;

  if (g_strcmp0 (response->name, "SEARCH") != 0)
    return FALSE;
  for (guint i = 0; i < pigeon_imap_response_get_n_args (response); i++)
    {
      guint32 uid;

      if (pigeon_imap_value_get_uint32 (pigeon_imap_response_get_arg (response, i), &uid) &&
          uid != 0)
        g_array_append_val (uids, uid);
    }
  return TRUE;
}

/* Whether A and B are the same message, line ends aside (a server may store LF). */
static gboolean
same_message (GBytes *a,
              GBytes *b)
{
  gsize la, lb, i = 0, j = 0;
  const guint8 *x = g_bytes_get_data (a, &la);
  const guint8 *y = g_bytes_get_data (b, &lb);

  while (i < la && j < lb)
    {
      if (x[i] == '\r' && i + 1 < la && x[i + 1] == '\n')
        i++;
      if (y[j] == '\r' && j + 1 < lb && y[j + 1] == '\n')
        j++;
      if (x[i] != y[j])
        return FALSE;
      i++;
      j++;
    }
  return i == la && j == lb;
}

/* The newest messages with one Message-ID looked at: a folder with more copies of one
 * message than this has a problem of its own. */
#define MAX_UPLOADED_CANDIDATES 3

/*
 * An APPEND whose answer never came (the connection dropped, Pigeon was stopped at that
 * moment) may still have been stored.  Uploading it again would leave two copies, so
 * before an upload the folder is searched for the message: one with the same Message-ID
 * that is byte for byte the same is the copy uploaded before, and *UID names it (0 when
 * there is none).  A draft saved again keeps its Message-ID but not its bytes, so each
 * version still goes up.
 */
static gboolean
find_uploaded (PigeonImapSession  *session,
               PigeonFolder       *folder,
               GBytes             *data,
               guint32            *uidvalidity,
               guint32            *uid,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autofree char *field = pigeon_mime_get_field (data, "Message-ID");
  g_autofree char *id = field != NULL ? pigeon_mime_parse_message_ids (field, TRUE) : NULL;
  g_autoptr(PigeonImapCommand) search = NULL;
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  *uid = 0;
  /* Without a Message-ID, or one a plain SEARCH cannot carry, there is nothing to match. */
  if (id == NULL || !g_str_is_ascii (id) || strpbrk (id, "\"\\") != NULL)
    return TRUE;
  if (!pigeon_imap_ensure_selected (session, folder, cancellable, error))
    return FALSE;

  search = pigeon_imap_command_new ("UID SEARCH");
  pigeon_imap_command_add_text (search, " HEADER Message-ID ");
  pigeon_imap_command_add_astring (search, id);
  pigeon_imap_command_set_untagged_func (search, uploaded_search_cb, uids);
  if (!pigeon_imap_session_run (session, search, cancellable, error))
    return FALSE;
  for (guint i = 0; i < uids->len && i < MAX_UPLOADED_CANDIDATES; i++)
    {
      guint32 candidate = g_array_index (uids, guint32, uids->len - 1 - i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) body = pigeon_imap_fetch_uid_body (session, candidate, cancellable,
                                                           &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (body != NULL && same_message (body, data))
        {
          *uid = candidate;
          *uidvalidity = pigeon_imap_session_get_selected (session)->uidvalidity;
          break;
        }
    }
  return TRUE;
}

static gboolean
apply_append (PigeonImapProvider    *self,
              const PigeonPendingOp *op,
              GCancellable          *cancellable,
              GError               **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(PigeonImapCommand) command = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *mailbox = NULL;
  g_autofree char *flags = NULL;
  PigeonImapSession *session;
  PigeonImapResponse *response;
  guint32 uidvalidity = 0, uid = 0;

  folder = pigeon_store_get_folder (store, op->folder_id, NULL);
  if (folder == NULL)
    return dropped (op, "the folder is gone");
  if (op->data == NULL || g_bytes_get_size (op->data) == 0)
    return dropped (op, "there is no message to upload");
  session = pigeon_imap_get_work_session (self, cancellable, error);
  if (session == NULL)
    return FALSE;

  if (!find_uploaded (session, folder, op->data, &uidvalidity, &uid, cancellable, &local_error))
    {
      if (no_destination (local_error))
        return dropped (op, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (uid != 0)
    {
      g_debug ("The server already has the message to upload to %s (UID %u)", folder->name,
               uid);
      return op->message_id == 0 ||
             pigeon_store_set_message_server_id (store, op->message_id, uidvalidity, uid, NULL,
                                                 error);
    }

  mailbox = pigeon_imap_folder_mailbox (session, folder);
  flags = pigeon_imap_flags_to_string (op->flags_add);
  command = pigeon_imap_command_new ("APPEND");
  pigeon_imap_command_add_astring (command, mailbox);
  pigeon_imap_command_add_text (command, " (%s)", flags);
  pigeon_imap_command_add_literal (command, op->data);
  if (!pigeon_imap_session_run (session, command, cancellable, &local_error))
    {
      if (no_destination (local_error))
        return dropped (op, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  response = pigeon_imap_command_get_response (command);
  if (g_strcmp0 (response->code, "APPENDUID") == 0)
    {
      g_auto(GStrv) parts = g_strsplit (response->code_text, " ", 0);
      guint64 a, b;

      if (g_strv_length (parts) == 2 &&
          g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &a, NULL) &&
          g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &b, NULL))
        {
          uidvalidity = (guint32) a;
          uid = (guint32) b;
        }
    }
  if (op->message_id == 0)
    return TRUE;
  /* Without APPENDUID the local row goes and the next sync brings the message back. */
  return pigeon_store_set_message_server_id (store, op->message_id, uidvalidity, uid, NULL,
                                             error);
}

/* ------------------------------------------------------------------ folders */

/* The wire name of a folder path, preferring the name the server listed. */
static char *
mailbox_for_path (PigeonImapProvider *self,
                  PigeonImapSession  *session,
                  const char         *path)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder_by_path (store, path, NULL);

  if (folder != NULL && folder->remote_id != NULL)
    return g_strdup (folder->remote_id);
  return pigeon_imap_path_to_mailbox (session, path);
}

/* Leaves MAILBOX if it is selected: it is about to be renamed or deleted. */
static gboolean
leave_mailbox (PigeonImapSession *session,
               const char        *mailbox,
               GCancellable      *cancellable,
               GError           **error)
{
  if (g_strcmp0 (pigeon_imap_session_get_selected (session)->mailbox, mailbox) != 0)
    return TRUE;
  return pigeon_imap_session_unselect (session, cancellable, error);
}

static gboolean
run_folder_command (PigeonImapSession *session,
                    PigeonImapCommand *command,
                    const char        *ok_code,
                    const char        *drop_code,
                    const PigeonPendingOp *op,
                    GCancellable      *cancellable,
                    GError           **error)
{
  PigeonImapResponse *response;

  if (!pigeon_imap_session_send (session, command, cancellable, error) ||
      !pigeon_imap_session_wait (session, command, cancellable, error))
    return FALSE;
  response = pigeon_imap_command_get_response (command);
  if (response->status == PIGEON_IMAP_STATUS_OK || g_strcmp0 (response->code, ok_code) == 0)
    return TRUE;
  if (drop_code != NULL && g_strcmp0 (response->code, drop_code) == 0)
    return dropped (op, response->text);
  return pigeon_imap_command_check (command, error);
}

static gboolean
apply_folder_op (PigeonImapProvider    *self,
                 const PigeonPendingOp *op,
                 GCancellable          *cancellable,
                 GError               **error)
{
  PigeonImapSession *session = pigeon_imap_get_work_session (self, cancellable, error);
  g_autoptr(PigeonImapCommand) command = NULL;
  g_autofree char *mailbox = NULL;

  if (session == NULL)
    return FALSE;
  if (op->path == NULL || (op->kind == PIGEON_OP_RENAME_FOLDER && op->new_path == NULL))
    return dropped (op, "it names no folder");

  switch (op->kind)
    {
    case PIGEON_OP_CREATE_FOLDER:
      mailbox = pigeon_imap_path_to_mailbox (session, op->path);
      command = pigeon_imap_command_new ("CREATE");
      pigeon_imap_command_add_astring (command, mailbox);
      if (!run_folder_command (session, command, "ALREADYEXISTS", NULL, op, cancellable, error))
        return FALSE;
      {
        g_autoptr(PigeonImapCommand) subscribe = pigeon_imap_command_new ("SUBSCRIBE");
        g_autoptr(GError) ignored = NULL;

        pigeon_imap_command_add_astring (subscribe, mailbox);
        if (!pigeon_imap_session_run (session, subscribe, cancellable, &ignored) &&
            pigeon_imap_session_is_broken (session))
          {
            g_propagate_error (error, g_steal_pointer (&ignored));
            return FALSE;
          }
      }
      return TRUE;

    case PIGEON_OP_RENAME_FOLDER:
      {
        g_autofree char *new_mailbox = pigeon_imap_path_to_mailbox (session, op->new_path);

        /* The store already renamed the row; until the next LIST it keeps the old wire
         * name. */
        mailbox = mailbox_for_path (self, session, op->new_path);
        if (g_strcmp0 (mailbox, new_mailbox) == 0)
          {
            g_free (mailbox);
            mailbox = pigeon_imap_path_to_mailbox (session, op->path);
          }
        if (!leave_mailbox (session, mailbox, cancellable, error))
          return FALSE;
        command = pigeon_imap_command_new ("RENAME");
        pigeon_imap_command_add_astring (command, mailbox);
        pigeon_imap_command_add_astring (command, new_mailbox);
        return run_folder_command (session, command, NULL, "NONEXISTENT", op, cancellable, error);
      }

    case PIGEON_OP_DELETE_FOLDER:
      mailbox = mailbox_for_path (self, session, op->path);
      if (!leave_mailbox (session, mailbox, cancellable, error))
        return FALSE;
      command = pigeon_imap_command_new ("DELETE");
      pigeon_imap_command_add_astring (command, mailbox);
      return run_folder_command (session, command, "NONEXISTENT", NULL, op, cancellable, error);

    default:
      g_assert_not_reached ();
    }
}

gboolean
pigeon_imap_apply_op (PigeonImapProvider    *self,
                      const PigeonPendingOp *op,
                      GCancellable          *cancellable,
                      GError               **error)
{
  switch (op->kind)
    {
    case PIGEON_OP_SET_FLAGS:
      return apply_flags (self, op, cancellable, error);
    case PIGEON_OP_MOVE:
      return apply_move (self, op, cancellable, error);
    case PIGEON_OP_EXPUNGE:
      return apply_expunge (self, op, cancellable, error);
    case PIGEON_OP_APPEND:
      return apply_append (self, op, cancellable, error);
    case PIGEON_OP_CREATE_FOLDER:
    case PIGEON_OP_RENAME_FOLDER:
    case PIGEON_OP_DELETE_FOLDER:
      return apply_folder_op (self, op, cancellable, error);
    default:
      return dropped (op, "Pigeon does not know this kind of change");
    }
}
