/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-store-private.h"

/* ------------------------------------------------------------------ helpers */

char *
pigeon_store_folder_name_from_path (const char *path,
                                    const char *delimiter)
{
  const char *last;

  if (delimiter == NULL || *delimiter == '\0')
    return g_strdup (path);
  last = g_strrstr (path, delimiter);
  if (last == NULL || last[strlen (delimiter)] == '\0')
    return g_strdup (path);
  return g_strdup (last + strlen (delimiter));
}

char *
pigeon_store_folder_parent_from_path (const char *path,
                                      const char *delimiter)
{
  const char *last;

  if (delimiter == NULL || *delimiter == '\0')
    return NULL;
  last = g_strrstr (path, delimiter);
  if (last == NULL || last == path || last[strlen (delimiter)] == '\0')
    return NULL;
  return g_strndup (path, last - path);
}

PigeonFolder *
pigeon_store_folder_from_row (PigeonStmt *stmt)
{
  PigeonFolder *folder = pigeon_folder_new ();

  folder->id = sqlite3_column_int64 (stmt, 0);
  folder->path = pigeon_stmt_dup_text (stmt, 1);
  folder->name = pigeon_stmt_dup_text (stmt, 2);
  folder->parent_path = pigeon_stmt_dup_text (stmt, 3);
  folder->delimiter = pigeon_stmt_dup_text (stmt, 4);
  folder->role = (PigeonFolderRole) sqlite3_column_int (stmt, 5);
  folder->flags = (PigeonFolderFlags) sqlite3_column_int (stmt, 6);
  folder->remote_id = pigeon_stmt_dup_text (stmt, 7);
  folder->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 8);
  folder->uidnext = (guint32) sqlite3_column_int64 (stmt, 9);
  folder->highestmodseq = (guint64) sqlite3_column_int64 (stmt, 10);
  folder->sync_key = pigeon_stmt_dup_text (stmt, 11);
  folder->total = (guint) MAX (sqlite3_column_int64 (stmt, 12), 0);
  folder->unread = (guint) MAX (sqlite3_column_int64 (stmt, 13), 0);
  return folder;
}

gboolean
pigeon_store_check_folder (PigeonStore *self,
                           sqlite3     *db,
                           gint64       folder_id,
                           GError     **error)
{
  gboolean found;

  if (!pigeon_store_query_int (self, db, "SELECT 1 FROM folders WHERE id = ?", &folder_id, 1,
                               NULL, &found, error))
    return FALSE;
  if (!found)
    pigeon_store_set_folder_not_found (error);
  return found;
}

gboolean
pigeon_store_check_path_free (PigeonStore *self,
                              sqlite3     *db,
                              const char  *path,
                              GError     **error)
{
  gboolean taken;

  if (!pigeon_store_query_int_by_text (self, db, "SELECT 1 FROM folders WHERE path = ?", path,
                                       NULL, &taken, error))
    return FALSE;
  if (taken)
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                 _("A folder named “%s” already exists."), path);
  return !taken;
}

/* ------------------------------------------------------------------ reading */

typedef struct
{
  const char *sql;
  gint64      int_arg;
  const char *text_arg;
  GPtrArray  *rows;
} FolderQuery;

static gboolean
folder_query_func (PigeonStore *self,
                   sqlite3     *db,
                   gpointer     data,
                   GError     **error)
{
  FolderQuery *q = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db, q->sql, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_bind_parameter_count (stmt) > 0)
    {
      if (q->text_arg != NULL)
        pigeon_stmt_bind_text (stmt, 1, q->text_arg);
      else
        sqlite3_bind_int64 (stmt, 1, q->int_arg);
    }
  return pigeon_store_collect_rows (self, db, stmt, (PigeonRowFunc) pigeon_store_folder_from_row,
                                    q->rows, error);
}

static GPtrArray *
query_folders (PigeonStore *self,
               const char  *sql,
               gint64       int_arg,
               const char  *text_arg,
               GError     **error)
{
  FolderQuery q = { sql, int_arg, text_arg, NULL };

  q.rows = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
  if (!pigeon_store_run_read (self, folder_query_func, &q, error))
    {
      g_ptr_array_unref (q.rows);
      return NULL;
    }
  return q.rows;
}

static PigeonFolder *
query_one_folder (PigeonStore *self,
                  const char  *sql,
                  gint64       int_arg,
                  const char  *text_arg,
                  GError     **error)
{
  g_autoptr(GPtrArray) rows = query_folders (self, sql, int_arg, text_arg, error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_steal_pointer (&rows->pdata[0]);
}

GPtrArray *
pigeon_store_list_folders (PigeonStore *self,
                           GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return query_folders (self,
                        "SELECT " PIGEON_STORE_FOLDER_COLUMNS " FROM folders ORDER BY path",
                        0, NULL, error);
}

PigeonFolder *
pigeon_store_get_folder (PigeonStore *self,
                         gint64       folder_id,
                         GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return query_one_folder (self,
                           "SELECT " PIGEON_STORE_FOLDER_COLUMNS " FROM folders WHERE id = ?",
                           folder_id, NULL, error);
}

PigeonFolder *
pigeon_store_get_folder_by_path (PigeonStore *self,
                                 const char  *path,
                                 GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return query_one_folder (self,
                           "SELECT " PIGEON_STORE_FOLDER_COLUMNS " FROM folders WHERE path = ?",
                           0, path, error);
}

PigeonFolder *
pigeon_store_get_folder_by_role (PigeonStore     *self,
                                 PigeonFolderRole role,
                                 GError         **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return query_one_folder (self,
                           "SELECT " PIGEON_STORE_FOLDER_COLUMNS " FROM folders "
                           "WHERE role = ? ORDER BY id LIMIT 1",
                           role, NULL, error);
}

PigeonFolder *
pigeon_store_get_folder_by_remote_id (PigeonStore *self,
                                      const char  *remote_id,
                                      GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (remote_id != NULL, NULL);

  return query_one_folder (self,
                           "SELECT " PIGEON_STORE_FOLDER_COLUMNS " FROM folders "
                           "WHERE remote_id = ?",
                           0, remote_id, error);
}

/* ------------------------------------------------------------------ renaming */

/* Renames FOLDER_ID and every folder below it, inside a write. */
static gboolean
rename_in (PigeonStore *self,
           sqlite3     *db,
           gint64       folder_id,
           const char  *new_path,
           GError     **error)
{
  g_autofree char *old_path = NULL;
  g_autofree char *delimiter = NULL;
  g_autofree char *name = NULL;
  g_autofree char *parent = NULL;
  gboolean has_row;

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT path, delimiter FROM folders WHERE id = ?", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, folder_id);
    if (!pigeon_store_step (self, db, stmt, &has_row, error))
      return FALSE;
    if (!has_row)
      {
        pigeon_store_set_folder_not_found (error);
        return FALSE;
      }
    old_path = pigeon_stmt_dup_text (stmt, 0);
    delimiter = pigeon_stmt_dup_text (stmt, 1);
  }

  if (g_strcmp0 (old_path, new_path) == 0)
    return TRUE;
  if (!pigeon_store_check_path_free (self, db, new_path, error))
    return FALSE;

  name = pigeon_store_folder_name_from_path (new_path, delimiter);
  parent = pigeon_store_folder_parent_from_path (new_path, delimiter);
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "UPDATE folders SET path = ?, name = ?, parent_path = ? WHERE id = ?", error);

    if (stmt == NULL)
      return FALSE;
    pigeon_stmt_bind_text (stmt, 1, new_path);
    pigeon_stmt_bind_text (stmt, 2, name);
    pigeon_stmt_bind_text (stmt, 3, parent);
    sqlite3_bind_int64 (stmt, 4, folder_id);
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
  }

  if (delimiter != NULL && *delimiter != '\0')
    {
      g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
        "UPDATE folders SET path = ?1 || substr (path, length (?2) + 1), "
        "  parent_path = ?1 || substr (parent_path, length (?2) + 1) "
        "WHERE id <> ?4 AND substr (path, 1, length (?2) + length (?3)) = ?2 || ?3",
        error);

      if (stmt == NULL)
        return FALSE;
      pigeon_stmt_bind_text (stmt, 1, new_path);
      pigeon_stmt_bind_text (stmt, 2, old_path);
      pigeon_stmt_bind_text (stmt, 3, delimiter);
      sqlite3_bind_int64 (stmt, 4, folder_id);
      if (!pigeon_store_step_done (self, db, stmt, error))
        return FALSE;
    }

  pigeon_store_note_folders_changed (self);
  return TRUE;
}

typedef struct
{
  gint64      folder_id;
  const char *new_path;
} RenameData;

static gboolean
rename_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  RenameData *rd = data;

  return rename_in (self, db, rd->folder_id, rd->new_path, error);
}

gboolean
pigeon_store_rename_folder (PigeonStore *self,
                            gint64       folder_id,
                            const char  *new_path,
                            GError     **error)
{
  RenameData rd = { folder_id, new_path };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (new_path != NULL && *new_path != '\0', FALSE);

  return pigeon_store_run_write (self, rename_func, &rd, error);
}

/* ------------------------------------------------------------------ upserting */

/* Inside a write: the folder by path (or, for a server that renamed it, by remote id). */
static gint64
upsert_in (PigeonStore        *self,
           sqlite3            *db,
           const PigeonFolder *folder,
           GError            **error)
{
  g_autofree char *name = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(PigeonStmt) stmt = NULL;
  gint64 id;

  if (!pigeon_store_query_int_by_text (self, db, "SELECT id FROM folders WHERE path = ?",
                                       folder->path, &id, NULL, error))
    return 0;
  if (id == 0 && folder->remote_id != NULL)
    {
      if (!pigeon_store_query_int_by_text (self, db,
                                           "SELECT id FROM folders WHERE remote_id = ?",
                                           folder->remote_id, &id, NULL, error))
        return 0;
      if (id != 0 && !rename_in (self, db, id, folder->path, error))
        return 0;
    }

  name = folder->name != NULL ? g_strdup (folder->name)
                              : pigeon_store_folder_name_from_path (folder->path,
                                                                    folder->delimiter);
  parent = folder->parent_path != NULL ? g_strdup (folder->parent_path)
                                       : pigeon_store_folder_parent_from_path (folder->path,
                                                                               folder->delimiter);

  if (id == 0)
    {
      stmt = pigeon_store_prepare (self, db,
        "INSERT INTO folders (path, name, parent_path, delimiter, role, flags, remote_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return 0;
      pigeon_stmt_bind_text (stmt, 1, folder->path);
      pigeon_stmt_bind_text (stmt, 2, name);
      pigeon_stmt_bind_text (stmt, 3, parent);
      pigeon_stmt_bind_text (stmt, 4, folder->delimiter);
      sqlite3_bind_int (stmt, 5, folder->role);
      sqlite3_bind_int (stmt, 6, folder->flags);
      pigeon_stmt_bind_text (stmt, 7, folder->remote_id);
      if (!pigeon_store_step_done (self, db, stmt, error))
        return 0;
      pigeon_store_note_folders_changed (self);
      return sqlite3_last_insert_rowid (db);
    }

  /* A server may hand an id to another folder (ActiveSync recreated one). */
  if (folder->remote_id != NULL)
    {
      g_autoptr(PigeonStmt) clear = pigeon_store_prepare (self, db,
        "UPDATE folders SET remote_id = NULL WHERE remote_id = ? AND id <> ?", error);

      if (clear == NULL)
        return 0;
      pigeon_stmt_bind_text (clear, 1, folder->remote_id);
      sqlite3_bind_int64 (clear, 2, id);
      if (!pigeon_store_step_done (self, db, clear, error))
        return 0;
    }

  stmt = pigeon_store_prepare (self, db,
    "UPDATE folders SET name = ?1, parent_path = ?2, delimiter = ?3, role = ?4, flags = ?5, "
    "  remote_id = ?6 "
    "WHERE id = ?7 AND NOT (name IS ?1 AND parent_path IS ?2 AND delimiter IS ?3 "
    "  AND role = ?4 AND flags = ?5 AND remote_id IS ?6)", error);
  if (stmt == NULL)
    return 0;
  pigeon_stmt_bind_text (stmt, 1, name);
  pigeon_stmt_bind_text (stmt, 2, parent);
  pigeon_stmt_bind_text (stmt, 3, folder->delimiter);
  sqlite3_bind_int (stmt, 4, folder->role);
  sqlite3_bind_int (stmt, 5, folder->flags);
  pigeon_stmt_bind_text (stmt, 6, folder->remote_id);
  sqlite3_bind_int64 (stmt, 7, id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return 0;
  if (sqlite3_changes (db) > 0)
    pigeon_store_note_folders_changed (self);
  return id;
}

typedef struct
{
  const PigeonFolder *folder;
  GPtrArray          *folders;
  gint64              id;
} UpsertData;

static gboolean
upsert_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  UpsertData *ud = data;

  ud->id = upsert_in (self, db, ud->folder, error);
  return ud->id != 0;
}

gint64
pigeon_store_upsert_folder (PigeonStore        *self,
                            const PigeonFolder *folder,
                            GError            **error)
{
  UpsertData ud = { folder, NULL, 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (folder != NULL && folder->path != NULL, 0);

  if (!pigeon_store_run_write (self, upsert_func, &ud, error))
    return 0;
  return ud.id;
}

gboolean
pigeon_store_delete_folder_row (PigeonStore *self,
                                sqlite3     *db,
                                gint64       folder_id,
                                GError     **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT id FROM messages WHERE folder_id = ?", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, folder_id);
    if (!pigeon_store_step_collect_ids (self, db, stmt, ids, error))
      return FALSE;
  }

  if (!pigeon_store_exec_ints (self, db, "DELETE FROM folders WHERE id = ?", &folder_id, 1,
                               error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    {
      pigeon_store_set_folder_not_found (error);
      return FALSE;
    }

  for (guint i = 0; i < ids->len; i++)
    pigeon_store_note_message (self, folder_id, g_array_index (ids, gint64, i), 'r');
  pigeon_store_note_folders_changed (self);
  return TRUE;
}

static gboolean
replace_func (PigeonStore *self,
              sqlite3     *db,
              gpointer     data,
              GError     **error)
{
  UpsertData *ud = data;
  g_autoptr(GHashTable) kept = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                      NULL);
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < ud->folders->len; i++)
    {
      const PigeonFolder *folder = g_ptr_array_index (ud->folders, i);
      gint64 id = upsert_in (self, db, folder, error);

      if (id == 0)
        return FALSE;
      g_hash_table_add (kept, g_memdup2 (&id, sizeof id));
    }

  /* Local folders and those the user created that the server has not seen yet stay. */
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT id FROM folders WHERE (flags & ?1) = 0 AND path NOT IN "
      "  (SELECT path FROM pending_ops WHERE kind = ?2 AND path IS NOT NULL)", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int (stmt, 1, PIGEON_FOLDER_FLAG_LOCAL);
    sqlite3_bind_int (stmt, 2, PIGEON_OP_CREATE_FOLDER);
    for (;;)
      {
        gboolean has_row;
        gint64 id;

        if (!pigeon_store_step (self, db, stmt, &has_row, error))
          return FALSE;
        if (!has_row)
          break;
        id = sqlite3_column_int64 (stmt, 0);
        if (!g_hash_table_contains (kept, &id))
          g_array_append_val (gone, id);
      }
  }

  for (guint i = 0; i < gone->len; i++)
    {
      if (!pigeon_store_delete_folder_row (self, db, g_array_index (gone, gint64, i), error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_replace_folders (PigeonStore *self,
                              GPtrArray   *folders,
                              GError     **error)
{
  UpsertData ud = { NULL, folders, 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (folders != NULL, FALSE);

  for (guint i = 0; i < folders->len; i++)
    {
      const PigeonFolder *folder = g_ptr_array_index (folders, i);

      g_return_val_if_fail (folder != NULL && folder->path != NULL, FALSE);
    }

  return pigeon_store_run_write (self, replace_func, &ud, error);
}

typedef struct
{
  gint64      folder_id;
  guint32     uidvalidity;
  guint32     uidnext;
  guint64     highestmodseq;
  const char *sync_key;
} FolderData;

static gboolean
delete_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  FolderData *fd = data;

  return pigeon_store_delete_folder_row (self, db, fd->folder_id, error);
}

gboolean
pigeon_store_delete_folder (PigeonStore *self,
                            gint64       folder_id,
                            GError     **error)
{
  FolderData fd = { .folder_id = folder_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, delete_func, &fd, error);
}

/* ------------------------------------------------------------------ sync state */

/* After an UPDATE of the row FOLDER_ID: notes it, or fails when it is gone. */
static gboolean
folder_updated (PigeonStore *self,
                sqlite3     *db,
                gint64       folder_id,
                GError     **error)
{
  if (sqlite3_changes (db) == 0)
    {
      pigeon_store_set_folder_not_found (error);
      return FALSE;
    }
  pigeon_store_note_folder_updated (self, folder_id);
  return TRUE;
}

static gboolean
sync_state_func (PigeonStore *self,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  FolderData *fd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, sync_key = ? "
    "WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, fd->uidvalidity);
  sqlite3_bind_int64 (stmt, 2, fd->uidnext);
  sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) fd->highestmodseq);
  pigeon_stmt_bind_text (stmt, 4, fd->sync_key);
  sqlite3_bind_int64 (stmt, 5, fd->folder_id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  return folder_updated (self, db, fd->folder_id, error);
}

gboolean
pigeon_store_set_folder_sync_state (PigeonStore *self,
                                    gint64       folder_id,
                                    guint32      uidvalidity,
                                    guint32      uidnext,
                                    guint64      highestmodseq,
                                    const char  *sync_key,
                                    GError     **error)
{
  FolderData fd = { folder_id, uidvalidity, uidnext, highestmodseq, sync_key };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, sync_state_func, &fd, error);
}

/*
 * The folder's server identities are void.  Rows that have one go, with the queued
 * operations that name them.  Rows still waiting for an identity (appended, or moved here
 * by the user) stay with their operations: those do not depend on this folder's old state.
 * A move out of this folder that can no longer be replayed also drops the moved copy, so
 * the message comes back here, once, with the next sync.
 */
static gboolean
reset_func (PigeonStore *self,
            sqlite3     *db,
            gpointer     data,
            GError     **error)
{
  FolderData *fd = data;

  if (!pigeon_store_exec_removed (self, db,
                                  "DELETE FROM messages WHERE uid = 0 AND remote_id IS NULL "
                                  "AND id IN (SELECT message_id FROM pending_ops "
                                  "  WHERE kind = ?2 AND folder_id = ?1 "
                                  "  AND (uid <> 0 OR remote_id IS NOT NULL)) "
                                  "RETURNING id, folder_id",
                                  (const gint64[]) { fd->folder_id, PIGEON_OP_MOVE }, 2, error))
    return FALSE;

  if (!pigeon_store_exec_ints (self, db,
                               "DELETE FROM pending_ops WHERE folder_id = ?1 "
                               "AND kind IN (?2, ?3, ?4) AND (uid <> 0 OR remote_id IS NOT NULL)",
                               (const gint64[]) { fd->folder_id, PIGEON_OP_SET_FLAGS,
                                                  PIGEON_OP_MOVE, PIGEON_OP_EXPUNGE }, 4,
                               error))
    return FALSE;

  if (!pigeon_store_exec_removed (self, db,
                                  "DELETE FROM messages WHERE folder_id = ?1 "
                                  "AND (uid <> 0 OR remote_id IS NOT NULL) "
                                  "RETURNING id, folder_id",
                                  &fd->folder_id, 1, error))
    return FALSE;

  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE folders SET uidvalidity = 0, uidnext = 0, "
                               "highestmodseq = 0, sync_key = NULL WHERE id = ?",
                               &fd->folder_id, 1, error))
    return FALSE;
  return folder_updated (self, db, fd->folder_id, error);
}

gboolean
pigeon_store_reset_folder (PigeonStore *self,
                           gint64       folder_id,
                           GError     **error)
{
  FolderData fd = { .folder_id = folder_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, reset_func, &fd, error);
}
