/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime-private.h"
#include "pigeon-store-private.h"

/* ------------------------------------------------------------------ the queue */

gboolean
pigeon_store_queue_op (PigeonStore           *self,
                       sqlite3               *db,
                       const PigeonPendingOp *op,
                       GError               **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO pending_ops (kind, message_id, folder_id, uidvalidity, uid, remote_id, "
    "  dest_folder_id, flags_add, flags_remove, path, new_path, data, attempts, created) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, op->kind);
  sqlite3_bind_int64 (stmt, 2, op->message_id);
  sqlite3_bind_int64 (stmt, 3, op->folder_id);
  sqlite3_bind_int64 (stmt, 4, op->uidvalidity);
  sqlite3_bind_int64 (stmt, 5, op->uid);
  pigeon_stmt_bind_text (stmt, 6, op->remote_id);
  sqlite3_bind_int64 (stmt, 7, op->dest_folder_id);
  sqlite3_bind_int (stmt, 8, op->flags_add);
  sqlite3_bind_int (stmt, 9, op->flags_remove);
  pigeon_stmt_bind_text (stmt, 10, op->path);
  pigeon_stmt_bind_text (stmt, 11, op->new_path);
  if (op->data != NULL)
    {
      gsize size;
      const void *bytes = g_bytes_get_data (op->data, &size);

      sqlite3_bind_blob64 (stmt, 12, bytes != NULL ? bytes : "", size, SQLITE_STATIC);
    }
  sqlite3_bind_int64 (stmt, 13, pigeon_store_now ());
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  pigeon_store_note_pending_ops (self);
  return TRUE;
}

static PigeonPendingOp *
op_from_row (PigeonStmt *stmt)
{
  PigeonPendingOp *op = pigeon_pending_op_new ((PigeonOpKind) sqlite3_column_int (stmt, 1));

  op->id = sqlite3_column_int64 (stmt, 0);
  op->message_id = sqlite3_column_int64 (stmt, 2);
  op->folder_id = sqlite3_column_int64 (stmt, 3);
  op->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 4);
  op->uid = (guint32) sqlite3_column_int64 (stmt, 5);
  op->remote_id = pigeon_stmt_dup_text (stmt, 6);
  op->dest_folder_id = sqlite3_column_int64 (stmt, 7);
  op->flags_add = (PigeonMessageFlags) sqlite3_column_int (stmt, 8);
  op->flags_remove = (PigeonMessageFlags) sqlite3_column_int (stmt, 9);
  op->path = pigeon_stmt_dup_text (stmt, 10);
  op->new_path = pigeon_stmt_dup_text (stmt, 11);
  if (sqlite3_column_type (stmt, 12) != SQLITE_NULL)
    op->data = g_bytes_new (sqlite3_column_blob (stmt, 12), sqlite3_column_bytes (stmt, 12));
  op->attempts = (guint) sqlite3_column_int (stmt, 13);
  op->created = sqlite3_column_int64 (stmt, 14);
  return op;
}

typedef struct
{
  gint64     op_id;
  GPtrArray *ops;
} OpsData;

#define OP_COLUMNS \
  "id, kind, message_id, folder_id, uidvalidity, uid, remote_id, dest_folder_id, " \
  "flags_add, flags_remove, path, new_path, data, attempts, created"

static gboolean
list_ops_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  OpsData *od = data;
  g_autoptr(PigeonStmt) stmt = NULL;

  if (od->op_id != 0)
    {
      stmt = pigeon_store_prepare (self, db,
                                   "SELECT " OP_COLUMNS " FROM pending_ops WHERE id = ?", error);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, 1, od->op_id);
    }
  else
    {
      stmt = pigeon_store_prepare (self, db,
                                   "SELECT " OP_COLUMNS " FROM pending_ops ORDER BY id", error);
    }
  if (stmt == NULL)
    return FALSE;
  return pigeon_store_collect_rows (self, db, stmt, (PigeonRowFunc) op_from_row, od->ops,
                                    error);
}

GPtrArray *
pigeon_store_list_pending_ops (PigeonStore *self,
                               GError     **error)
{
  OpsData od = { 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  od.ops = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_pending_op_free);
  if (!pigeon_store_run_read (self, list_ops_func, &od, error))
    {
      g_ptr_array_unref (od.ops);
      return NULL;
    }
  return od.ops;
}

PigeonPendingOp *
pigeon_store_get_pending_op (PigeonStore *self,
                             gint64       op_id,
                             GError     **error)
{
  g_autoptr(GPtrArray) ops = NULL;
  OpsData od = { op_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (op_id > 0, NULL);

  ops = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_pending_op_free);
  od.ops = ops;
  if (!pigeon_store_run_read (self, list_ops_func, &od, error) || ops->len == 0)
    return NULL;
  return g_steal_pointer (&ops->pdata[0]);
}

guint
pigeon_store_count_pending_ops (PigeonStore *self,
                                GError     **error)
{
  gint64 count;

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);

  if (!pigeon_store_read_int (self, "SELECT count(*) FROM pending_ops", NULL, 0, &count, NULL,
                              error))
    return 0;
  return (guint) count;
}

/* An operation that is already gone (dropped by a folder reset) counts as completed. */
gboolean
pigeon_store_complete_pending_op (PigeonStore *self,
                                  gint64       op_id,
                                  GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_write_ints (self, "DELETE FROM pending_ops WHERE id = ?", &op_id, 1,
                                  error);
}

gboolean
pigeon_store_retry_pending_op (PigeonStore *self,
                               gint64       op_id,
                               GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_write_ints (self,
                                  "UPDATE pending_ops SET attempts = attempts + 1 WHERE id = ?",
                                  &op_id, 1, error);
}

/* ------------------------------------------------------------------ the user's changes */

typedef struct
{
  gint64            *ids;
  guint              n_ids;
  PigeonMessageFlags add;
  PigeonMessageFlags remove;
  gint64             dest_folder_id;
} ChangeData;

static ChangeData *
change_data_new (const gint64 *ids,
                 guint         n_ids)
{
  ChangeData *cd = g_new0 (ChangeData, 1);

  cd->ids = g_memdup2 (ids, sizeof (gint64) * n_ids);
  cd->n_ids = n_ids;
  return cd;
}

static void
change_data_free (gpointer data)
{
  ChangeData *cd = data;

  g_free (cd->ids);
  g_free (cd);
}

/* The row's place and server identity; FALSE with no error when it is gone. */
typedef struct
{
  gint64             folder_id;
  guint32            uidvalidity;
  guint32            uid;
  char              *remote_id;
  PigeonMessageFlags flags;
} RowIdentity;

static gboolean
read_identity (PigeonStore *self,
               sqlite3     *db,
               gint64       message_id,
               RowIdentity *out,
               gboolean    *found,
               GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT folder_id, uidvalidity, uid, remote_id, flags FROM messages WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, message_id);
  if (!pigeon_store_step (self, db, stmt, found, error))
    return FALSE;
  if (*found)
    {
      out->folder_id = sqlite3_column_int64 (stmt, 0);
      out->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 1);
      out->uid = (guint32) sqlite3_column_int64 (stmt, 2);
      out->remote_id = pigeon_stmt_dup_text (stmt, 3);
      out->flags = (PigeonMessageFlags) sqlite3_column_int (stmt, 4);
    }
  return TRUE;
}

static void
identity_to_op (const RowIdentity *row,
                gint64             message_id,
                PigeonPendingOp   *op)
{
  op->message_id = message_id;
  op->folder_id = row->folder_id;
  op->uidvalidity = row->uidvalidity;
  op->uid = row->uid;
  op->remote_id = g_strdup (row->remote_id);
}

/* Rows that are gone (a sync removed them meanwhile) are skipped: the user's change to a
 * message that no longer exists has nothing to do. */
static gboolean
change_flags_func (PigeonStore *self,
                   sqlite3     *db,
                   gpointer     data,
                   GError     **error)
{
  ChangeData *cd = data;

  for (guint i = 0; i < cd->n_ids; i++)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_SET_FLAGS);
      RowIdentity row = { 0 };
      PigeonMessageFlags flags;
      gboolean found;

      if (!read_identity (self, db, cd->ids[i], &row, &found, error))
        return FALSE;
      if (!found)
        continue;
      identity_to_op (&row, cd->ids[i], op);
      g_free (row.remote_id);

      flags = (row.flags | cd->add) & ~cd->remove;
      if (flags == row.flags)
        continue;
      op->flags_add = cd->add & ~row.flags;
      op->flags_remove = cd->remove & row.flags;

      if (!pigeon_store_exec_ints (self, db, "UPDATE messages SET flags = ? WHERE id = ?",
                                   (const gint64[]) { flags, cd->ids[i] }, 2, error) ||
          !pigeon_store_queue_op (self, db, op, error))
        return FALSE;
      pigeon_store_note_message (self, row.folder_id, cd->ids[i], 'u');
    }
  return TRUE;
}

gboolean
pigeon_store_change_flags (PigeonStore       *self,
                           const gint64      *message_ids,
                           guint              n_ids,
                           PigeonMessageFlags add,
                           PigeonMessageFlags remove,
                           GError           **error)
{
  ChangeData cd = { (gint64 *) message_ids, n_ids, add, remove, 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (message_ids != NULL || n_ids == 0, FALSE);

  return pigeon_store_run_write (self, change_flags_func, &cd, error);
}

static gboolean
move_func (PigeonStore *self,
           sqlite3     *db,
           gpointer     data,
           GError     **error)
{
  ChangeData *cd = data;
  gboolean found;

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT path, flags FROM folders WHERE id = ?", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, cd->dest_folder_id);
    if (!pigeon_store_step (self, db, stmt, &found, error))
      return FALSE;
    if (!found)
      {
        pigeon_store_set_folder_not_found (error);
        return FALSE;
      }
    if (sqlite3_column_int (stmt, 1) & PIGEON_FOLDER_FLAG_NOSELECT)
      {
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                     _("The folder “%s” cannot hold messages, only other folders."),
                     (const char *) sqlite3_column_text (stmt, 0));
        return FALSE;
      }
  }

  for (guint i = 0; i < cd->n_ids; i++)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_MOVE);
      RowIdentity row = { 0 };

      if (!read_identity (self, db, cd->ids[i], &row, &found, error))
        return FALSE;
      if (!found)
        continue;
      identity_to_op (&row, cd->ids[i], op);
      g_free (row.remote_id);
      if (row.folder_id == cd->dest_folder_id)
        continue;
      op->dest_folder_id = cd->dest_folder_id;

      /* Its identity in the new folder comes from the server later
       * (pigeon_store_set_message_server_id). */
      if (!pigeon_store_exec_ints (self, db,
                                   "UPDATE messages SET folder_id = ?, uidvalidity = 0, uid = 0, "
                                   "remote_id = NULL WHERE id = ?",
                                   (const gint64[]) { cd->dest_folder_id, cd->ids[i] }, 2,
                                   error) ||
          !pigeon_store_queue_op (self, db, op, error))
        return FALSE;
      pigeon_store_note_message (self, row.folder_id, cd->ids[i], 'r');
      pigeon_store_note_message (self, cd->dest_folder_id, cd->ids[i], 'a');
    }
  return TRUE;
}

gboolean
pigeon_store_move_messages (PigeonStore  *self,
                            const gint64 *message_ids,
                            guint         n_ids,
                            gint64        dest_folder_id,
                            GError      **error)
{
  ChangeData cd = { (gint64 *) message_ids, n_ids, 0, 0, dest_folder_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (message_ids != NULL || n_ids == 0, FALSE);

  return pigeon_store_run_write (self, move_func, &cd, error);
}

static gboolean
expunge_func (PigeonStore *self,
              sqlite3     *db,
              gpointer     data,
              GError     **error)
{
  ChangeData *cd = data;

  for (guint i = 0; i < cd->n_ids; i++)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_EXPUNGE);
      RowIdentity row = { 0 };
      gboolean found;

      if (!read_identity (self, db, cd->ids[i], &row, &found, error))
        return FALSE;
      if (!found)
        continue;
      identity_to_op (&row, cd->ids[i], op);
      g_free (row.remote_id);

      if (!pigeon_store_exec_ints (self, db, "DELETE FROM messages WHERE id = ?", &cd->ids[i], 1,
                                   error) ||
          !pigeon_store_queue_op (self, db, op, error))
        return FALSE;
      pigeon_store_note_message (self, row.folder_id, cd->ids[i], 'r');
    }
  return TRUE;
}

gboolean
pigeon_store_expunge_messages (PigeonStore  *self,
                               const gint64 *message_ids,
                               guint         n_ids,
                               GError      **error)
{
  ChangeData cd = { (gint64 *) message_ids, n_ids, 0, 0, 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (message_ids != NULL || n_ids == 0, FALSE);

  return pigeon_store_run_write (self, expunge_func, &cd, error);
}

void
pigeon_store_change_flags_async (PigeonStore         *self,
                                 const gint64        *message_ids,
                                 guint                n_ids,
                                 PigeonMessageFlags   add,
                                 PigeonMessageFlags   remove,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  ChangeData *cd;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (message_ids != NULL || n_ids == 0);

  cd = change_data_new (message_ids, n_ids);
  cd->add = add;
  cd->remove = remove;
  pigeon_store_submit_async (self, change_flags_func, cd, change_data_free,
                             pigeon_store_change_flags_async, cancellable, callback,
                             user_data);
}

void
pigeon_store_move_messages_async (PigeonStore         *self,
                                  const gint64        *message_ids,
                                  guint                n_ids,
                                  gint64               dest_folder_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ChangeData *cd;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (message_ids != NULL || n_ids == 0);

  cd = change_data_new (message_ids, n_ids);
  cd->dest_folder_id = dest_folder_id;
  pigeon_store_submit_async (self, move_func, cd, change_data_free,
                             pigeon_store_move_messages_async, cancellable, callback,
                             user_data);
}

void
pigeon_store_expunge_messages_async (PigeonStore         *self,
                                     const gint64        *message_ids,
                                     guint                n_ids,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  ChangeData *cd;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (message_ids != NULL || n_ids == 0);

  cd = change_data_new (message_ids, n_ids);
  pigeon_store_submit_async (self, expunge_func, cd, change_data_free,
                             pigeon_store_expunge_messages_async, cancellable, callback,
                             user_data);
}

gboolean
pigeon_store_change_finish (PigeonStore  *self,
                            GAsyncResult *result,
                            GError      **error)
{
  gpointer tag;

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  tag = g_task_get_source_tag (G_TASK (result));
  g_return_val_if_fail (tag == pigeon_store_change_flags_async ||
                        tag == pigeon_store_move_messages_async ||
                        tag == pigeon_store_expunge_messages_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ appending */

typedef struct
{
  gint64         folder_id;
  GBytes        *raw;
  PigeonMessage *envelope;
  const char    *body_text;
  gint64         id;
} AppendData;

static gboolean
append_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  AppendData *ad = data;
  g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_APPEND);

  if (!pigeon_store_check_folder (self, db, ad->folder_id, error))
    return FALSE;
  ad->id = pigeon_store_insert_message (self, db, ad->folder_id, ad->envelope,
                                        ad->body_text, error);
  if (ad->id == 0)
    return FALSE;

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "INSERT INTO bodies (message_id, raw) VALUES (?, ?)", error);
    gsize size;
    const void *bytes = g_bytes_get_data (ad->raw, &size);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, ad->id);
    sqlite3_bind_blob64 (stmt, 2, bytes != NULL ? bytes : "", size, SQLITE_STATIC);
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
  }

  op->message_id = ad->id;
  op->folder_id = ad->folder_id;
  op->flags_add = ad->envelope->flags;
  op->data = g_bytes_ref (ad->raw);
  return pigeon_store_queue_op (self, db, op, error);
}

gint64
pigeon_store_append_message (PigeonStore       *self,
                             gint64             folder_id,
                             GBytes            *raw,
                             PigeonMessageFlags flags,
                             GError           **error)
{
  g_autoptr(GMimeMessage) parsed = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  g_autofree char *body_text = NULL;
  AppendData ad = { folder_id, raw };

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (raw != NULL, 0);

  parsed = pigeon_mime_parse (raw, error);
  if (parsed == NULL)
    return 0;
  envelope = pigeon_message_new ();
  pigeon_mime_fill_envelope (parsed, envelope);
  pigeon_mime_extract_text (parsed, &body_text, &envelope->preview,
                            &envelope->has_attachments);
  envelope->flags = flags;
  envelope->size = (gint64) g_bytes_get_size (raw);
  envelope->internal_date = pigeon_store_now ();

  ad.envelope = envelope;
  ad.body_text = body_text;
  if (!pigeon_store_run_write (self, append_func, &ad, error))
    return 0;
  return ad.id;
}

/* ------------------------------------------------------------------ folders */

typedef struct
{
  const char *path;
  const char *delimiter;
  gboolean    local_only;
  gint64      id;
} CreateData;

static gboolean
create_folder_func (PigeonStore *self,
                    sqlite3     *db,
                    gpointer     data,
                    GError     **error)
{
  CreateData *cd = data;
  g_autofree char *name = pigeon_store_folder_name_from_path (cd->path, cd->delimiter);
  g_autofree char *parent = pigeon_store_folder_parent_from_path (cd->path, cd->delimiter);

  if (!pigeon_store_check_path_free (self, db, cd->path, error))
    return FALSE;
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "INSERT INTO folders (path, name, parent_path, delimiter, role, flags) "
      "VALUES (?, ?, ?, ?, ?, ?)", error);

    if (stmt == NULL)
      return FALSE;
    pigeon_stmt_bind_text (stmt, 1, cd->path);
    pigeon_stmt_bind_text (stmt, 2, name);
    pigeon_stmt_bind_text (stmt, 3, parent);
    pigeon_stmt_bind_text (stmt, 4, cd->delimiter);
    sqlite3_bind_int (stmt, 5, pigeon_folder_role_guess (cd->path, cd->delimiter));
    sqlite3_bind_int (stmt, 6, cd->local_only ? PIGEON_FOLDER_FLAG_LOCAL : 0);
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
    cd->id = sqlite3_last_insert_rowid (db);
  }
  pigeon_store_note_folders_changed (self);

  if (!cd->local_only)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_CREATE_FOLDER);

      op->folder_id = cd->id;
      op->path = g_strdup (cd->path);
      if (!pigeon_store_queue_op (self, db, op, error))
        return FALSE;
    }
  return TRUE;
}

gint64
pigeon_store_create_folder (PigeonStore *self,
                            const char  *path,
                            const char  *delimiter,
                            gboolean     local_only,
                            GError     **error)
{
  CreateData cd = { path, delimiter, local_only, 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (path != NULL && *path != '\0', 0);

  if (!pigeon_store_run_write (self, create_folder_func, &cd, error))
    return 0;
  return cd.id;
}

/* ------------------------------------------------------------------ server identities */

typedef struct
{
  gint64      message_id;
  guint32     uidvalidity;
  guint32     uid;
  const char *remote_id;
} ServerIdData;

/*
 * The operations queued after the message lost its identity (a move, an append) carry
 * none yet: up to and including the next move, they concern the message where it now is
 * on the server, so they get this identity.  If such a move is still queued, the local
 * row is already past it and waits for the identity that move brings.
 */
static gboolean
pass_identity_to_ops (PigeonStore        *self,
                      sqlite3            *db,
                      const ServerIdData *sd,
                      gboolean           *still_moving,
                      GError            **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  *still_moving = FALSE;
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT id, kind FROM pending_ops WHERE message_id = ?1 AND uid = 0 "
      "AND remote_id IS NULL AND kind IN (?2, ?3, ?4) ORDER BY id", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, sd->message_id);
    sqlite3_bind_int (stmt, 2, PIGEON_OP_SET_FLAGS);
    sqlite3_bind_int (stmt, 3, PIGEON_OP_MOVE);
    sqlite3_bind_int (stmt, 4, PIGEON_OP_EXPUNGE);
    while (!*still_moving)
      {
        gboolean has_row;
        gint64 id;

        if (!pigeon_store_step (self, db, stmt, &has_row, error))
          return FALSE;
        if (!has_row)
          break;
        id = sqlite3_column_int64 (stmt, 0);
        g_array_append_val (ids, id);
        *still_moving = sqlite3_column_int (stmt, 1) == PIGEON_OP_MOVE;
      }
  }

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
        "UPDATE pending_ops SET uidvalidity = ?, uid = ?, remote_id = ? WHERE id = ?", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, sd->uid != 0 ? sd->uidvalidity : 0);
      sqlite3_bind_int64 (stmt, 2, sd->uid);
      pigeon_stmt_bind_text (stmt, 3, sd->remote_id);
      sqlite3_bind_int64 (stmt, 4, g_array_index (ids, gint64, i));
      if (!pigeon_store_step_done (self, db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
server_id_func (PigeonStore *self,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  ServerIdData *sd = data;
  RowIdentity row = { 0 };
  gboolean found, still_moving;

  if (!read_identity (self, db, sd->message_id, &row, &found, error))
    return FALSE;
  g_clear_pointer (&row.remote_id, g_free);

  /* No identity to be had (the server gave no UIDPLUS answer): drop the row, and the
   * next sync of its folder brings the message back, once. */
  if (sd->uid == 0 && sd->remote_id == NULL)
    {
      if (!found)
        return TRUE;
      if (!pigeon_store_exec_ints (self, db, "DELETE FROM messages WHERE id = ?",
                                   &sd->message_id, 1, error))
        return FALSE;
      pigeon_store_note_message (self, row.folder_id, sd->message_id, 'r');
      return TRUE;
    }

  if (!pass_identity_to_ops (self, db, sd, &still_moving, error))
    return FALSE;
  if (!found || still_moving)
    return TRUE;

  /* A sync may have brought the message in already as a row of its own: this row, which
   * the user may be looking at, stays and the other goes. */
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "DELETE FROM messages WHERE folder_id = ?1 AND id <> ?2 "
      "AND ((?4 <> 0 AND uidvalidity = ?3 AND uid = ?4 AND uid <> 0) OR remote_id = ?5) "
      "RETURNING id, folder_id", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, row.folder_id);
    sqlite3_bind_int64 (stmt, 2, sd->message_id);
    sqlite3_bind_int64 (stmt, 3, sd->uidvalidity);
    sqlite3_bind_int64 (stmt, 4, sd->uid);
    pigeon_stmt_bind_text (stmt, 5, sd->remote_id);
    if (!pigeon_store_step_removed (self, db, stmt, error))
      return FALSE;
  }

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "UPDATE messages SET uidvalidity = ?, uid = ?, remote_id = ? WHERE id = ?", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, sd->uid != 0 ? sd->uidvalidity : 0);
    sqlite3_bind_int64 (stmt, 2, sd->uid);
    pigeon_stmt_bind_text (stmt, 3, sd->remote_id);
    sqlite3_bind_int64 (stmt, 4, sd->message_id);
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
  }
  pigeon_store_note_message (self, row.folder_id, sd->message_id, 'u');
  return TRUE;
}

gboolean
pigeon_store_set_message_server_id (PigeonStore *self,
                                    gint64       message_id,
                                    guint32      uidvalidity,
                                    guint32      uid,
                                    const char  *remote_id,
                                    GError     **error)
{
  ServerIdData sd = { message_id, uidvalidity, uid, remote_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, server_id_func, &sd, error);
}
