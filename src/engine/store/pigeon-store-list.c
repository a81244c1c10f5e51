/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-store-list.h"
#include "pigeon-store-private.h"

/* ------------------------------------------------------------------ entries */

typedef struct
{
  const char     *sql;
  gint64          args[2];
  guint           n_args;
  gboolean        grouped;   /* columns: id, date, thread_id, count, unread[, sender] */
  gboolean        with_sender;
  GStringChunk   *senders;
  GArray         *entries;
} EntryQuery;

static gboolean
entry_query_func (PigeonStore *self,
                  sqlite3     *db,
                  gpointer     data,
                  GError     **error)
{
  EntryQuery *q = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db, q->sql, error);

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < q->n_args; i++)
    sqlite3_bind_int64 (stmt, i + 1, q->args[i]);

  for (;;)
    {
      PigeonListEntry entry = { 0 };
      gboolean has_row;
      int column = 0;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        break;
      entry.id = sqlite3_column_int64 (stmt, column++);
      entry.date = sqlite3_column_int64 (stmt, column++);
      entry.thread_id = sqlite3_column_int64 (stmt, column++);
      if (q->grouped)
        {
          entry.count = (guint32) sqlite3_column_int64 (stmt, column++);
          entry.unread = (guint32) sqlite3_column_int64 (stmt, column++);
        }
      else
        {
          entry.count = 1;
        }
      if (q->with_sender)
        {
          const char *sender = (const char *) sqlite3_column_text (stmt, column);

          entry.sender = g_string_chunk_insert_const (q->senders, sender ? sender : "");
        }
      g_array_append_val (q->entries, entry);
    }
  return TRUE;
}

static GArray *
run_entry_query (PigeonStore *self,
                 EntryQuery  *q,
                 GError     **error)
{
  q->entries = g_array_new (FALSE, FALSE, sizeof (PigeonListEntry));
  if (!pigeon_store_run_read (self, entry_query_func, q, error))
    {
      g_array_unref (q->entries);
      return NULL;
    }
  return q->entries;
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const PigeonListEntry *ea = a;
  const PigeonListEntry *eb = b;

  if (ea->date != eb->date)
    return ea->date > eb->date ? -1 : 1;
  if (ea->id != eb->id)
    return ea->id > eb->id ? -1 : 1;
  return 0;
}

GArray *
pigeon_store_list_entries (PigeonStore     *self,
                           gint64           folder_id,
                           PigeonListFlags  flags,
                           GStringChunk    *senders,
                           GError         **error)
{
  gboolean with_sender = (flags & PIGEON_LIST_WITH_SENDER) != 0;
  gboolean recipients = (flags & PIGEON_LIST_RECIPIENTS) != 0;
  EntryQuery q = { 0 };
  GArray *entries;

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (!with_sender || senders != NULL, NULL);

  q.args[0] = folder_id;
  q.n_args = 1;
  q.with_sender = with_sender;
  q.senders = senders;

  if ((flags & PIGEON_LIST_THREADED) == 0)
    {
      /* The folder's date index answers this alone (it holds the row id). */
      if (!with_sender)
        q.sql = "SELECT id, date, 0 FROM messages WHERE folder_id = ? "
                "ORDER BY date DESC, id DESC";
      else if (recipients)
        q.sql = "SELECT id, date, 0, recipients_to FROM messages WHERE folder_id = ? "
                "ORDER BY date DESC, id DESC";
      else
        q.sql = "SELECT id, date, 0, sender FROM messages WHERE folder_id = ? "
                "ORDER BY date DESC, id DESC";
      return run_entry_query (self, &q, error);
    }

  if (!pigeon_store_assign_threads (self, folder_id, error))
    return NULL;
  /* SQLite takes the bare columns (id, sender) from the row that has MAX (date). */
  q.grouped = TRUE;
  if (!with_sender)
    q.sql = "SELECT id, MAX (date), thread_id, COUNT (*), SUM ((flags & 1) = 0) "
            "FROM messages WHERE folder_id = ? GROUP BY thread_id";
  else if (recipients)
    q.sql = "SELECT id, MAX (date), thread_id, COUNT (*), SUM ((flags & 1) = 0), "
            "recipients_to FROM messages WHERE folder_id = ? GROUP BY thread_id";
  else
    q.sql = "SELECT id, MAX (date), thread_id, COUNT (*), SUM ((flags & 1) = 0), sender "
            "FROM messages WHERE folder_id = ? GROUP BY thread_id";
  entries = run_entry_query (self, &q, error);
  if (entries != NULL)
    g_array_sort (entries, compare_newest_first);
  return entries;
}

GArray *
pigeon_store_list_thread (PigeonStore *self,
                          gint64       folder_id,
                          gint64       thread_id,
                          GError     **error)
{
  EntryQuery q = {
    "SELECT id, date, thread_id FROM messages WHERE thread_id = ? AND folder_id = ? "
    "ORDER BY date ASC, id ASC",
    { thread_id, folder_id }, 2,
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return run_entry_query (self, &q, error);
}

GArray *
pigeon_store_search_entries (PigeonStore  *self,
                             const char   *query,
                             gint64        folder_id,
                             guint         limit,
                             GStringChunk *senders,
                             GError      **error)
{
  g_autoptr(GPtrArray) found = NULL;
  GArray *entries;

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  found = pigeon_store_search (self, query, folder_id, limit, error);
  if (found == NULL)
    return NULL;
  entries = g_array_sized_new (FALSE, FALSE, sizeof (PigeonListEntry), found->len);
  for (guint i = 0; i < found->len; i++)
    {
      const PigeonMessage *message = g_ptr_array_index (found, i);
      PigeonListEntry entry = { 0 };

      entry.id = message->id;
      entry.date = message->date;
      entry.thread_id = message->thread_id;
      entry.count = 1;
      entry.unread = (message->flags & PIGEON_MESSAGE_FLAG_SEEN) == 0;
      if (senders != NULL)
        entry.sender = g_string_chunk_insert_const (senders,
                                                    message->from ? message->from : "");
      g_array_append_val (entries, entry);
    }
  return entries;
}

/* ------------------------------------------------------------------ rows by id */

typedef struct
{
  const gint64 *ids;
  guint         n_ids;
  GPtrArray    *rows;
} RowsData;

static gboolean
get_messages_func (PigeonStore *self,
                   sqlite3     *db,
                   gpointer     data,
                   GError     **error)
{
  RowsData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m "
    "WHERE m.id IN (SELECT value FROM json_each (?))", error);
  GString *json;

  if (stmt == NULL)
    return FALSE;
  /* One statement for any number of ids: they travel as a JSON array. */
  json = g_string_sized_new (rd->n_ids * 8 + 2);
  g_string_append_c (json, '[');
  for (guint i = 0; i < rd->n_ids; i++)
    g_string_append_printf (json, i ? ",%" G_GINT64_FORMAT : "%" G_GINT64_FORMAT, rd->ids[i]);
  g_string_append_c (json, ']');
  sqlite3_bind_text (stmt, 1, json->str, (int) json->len, g_free);
  g_string_free (json, FALSE);

  return pigeon_store_collect_rows (self, db, stmt,
                                    (PigeonRowFunc) pigeon_store_message_from_row,
                                    rd->rows, error);
}

GPtrArray *
pigeon_store_get_messages (PigeonStore  *self,
                           const gint64 *ids,
                           guint         n_ids,
                           GError      **error)
{
  RowsData rd = { ids, n_ids, NULL };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);

  rd.rows = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  if (n_ids == 0)
    return rd.rows;
  if (!pigeon_store_run_read (self, get_messages_func, &rd, error))
    {
      g_ptr_array_unref (rd.rows);
      return NULL;
    }
  return rd.rows;
}

/* ------------------------------------------------------------------ id lists */

typedef struct
{
  const char *sql;
  gint64      arg;
  GArray     *ids;
} IdQuery;

static gboolean
id_query_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  IdQuery *q = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db, q->sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, q->arg);
  return pigeon_store_step_collect_ids (self, db, stmt, q->ids, error);
}

static GArray *
run_id_query (PigeonStore *self,
              const char  *sql,
              gint64       arg,
              GError     **error)
{
  IdQuery q = { sql, arg, g_array_new (FALSE, FALSE, sizeof (gint64)) };

  if (!pigeon_store_run_read (self, id_query_func, &q, error))
    {
      g_array_unref (q.ids);
      return NULL;
    }
  return q.ids;
}

GArray *
pigeon_store_list_unread_ids (PigeonStore *self,
                              gint64       folder_id,
                              GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return run_id_query (self, "SELECT id FROM messages WHERE folder_id = ? AND (flags & 1) = 0",
                       folder_id, error);
}

GArray *
pigeon_store_list_thread_ids (PigeonStore *self,
                              gint64       thread_id,
                              GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (thread_id != 0, NULL);

  return run_id_query (self, "SELECT id FROM messages WHERE thread_id = ?", thread_id, error);
}

/* ------------------------------------------------------------------ conversations */

/* FNV-1a: stable across runs and builds, unlike g_str_hash's contract. */
static gint64
hash_message_id (const char *message_id)
{
  guint64 hash = G_GUINT64_CONSTANT (14695981039346656037);

  for (const guchar *p = (const guchar *) message_id; *p != '\0'; p++)
    {
      hash ^= *p;
      hash *= G_GUINT64_CONSTANT (1099511628211);
    }
  /* Positive and never 0; messages without any id get negative keys of their own. */
  return (gint64) (hash >> 2) + 1;
}

/* The ids a message refers to, the conversation's first message first. */
static GPtrArray *
referenced_ids (const char *in_reply_to,
                const char *references)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  if (references != NULL)
    {
      g_auto(GStrv) tokens = g_strsplit_set (references, " \t\r\n", -1);

      for (guint i = 0; tokens[i] != NULL; i++)
        if (*tokens[i] != '\0')
          g_ptr_array_add (ids, g_strdup (tokens[i]));
    }
  if (in_reply_to != NULL && *in_reply_to != '\0')
    {
      gboolean known = FALSE;

      for (guint i = 0; i < ids->len && !known; i++)
        known = strcmp (g_ptr_array_index (ids, i), in_reply_to) == 0;
      if (!known)
        g_ptr_array_add (ids, g_strdup (in_reply_to));
    }
  return ids;
}

gint64
pigeon_store_thread_key (const char *message_id,
                         const char *in_reply_to,
                         const char *references,
                         gint64      row_id)
{
  g_autoptr(GPtrArray) refs = referenced_ids (in_reply_to, references);

  if (refs->len > 0)
    return hash_message_id (g_ptr_array_index (refs, 0));
  if (message_id != NULL && *message_id != '\0')
    return hash_message_id (message_id);
  return -row_id;
}

typedef struct
{
  gint64  id;
  char   *message_id;
  char   *in_reply_to;
  char   *references;
} Unthreaded;

static void
unthreaded_clear (gpointer data)
{
  Unthreaded *u = data;

  g_free (u->message_id);
  g_free (u->in_reply_to);
  g_free (u->references);
}

static gboolean
known_thread (PigeonStore *self,
              sqlite3     *db,
              const char  *message_id,
              gint64      *thread_id,
              GError     **error)
{
  return pigeon_store_query_int_by_text (self, db,
                                         "SELECT thread_id FROM messages "
                                         "WHERE message_id = ? AND thread_id <> 0 LIMIT 1",
                                         message_id, thread_id, NULL, error);
}

static gboolean
thread_for (PigeonStore      *self,
            sqlite3          *db,
            const Unthreaded *u,
            gint64           *thread_id,
            GError          **error)
{
  g_autoptr(GPtrArray) refs = referenced_ids (u->in_reply_to, u->references);

  /* Another copy of this very message (in Sent, say) already has one. */
  if (u->message_id != NULL && *u->message_id != '\0')
    {
      if (!known_thread (self, db, u->message_id, thread_id, error))
        return FALSE;
      if (*thread_id != 0)
        return TRUE;
    }
  for (guint i = 0; i < refs->len; i++)
    {
      if (!known_thread (self, db, g_ptr_array_index (refs, i), thread_id, error))
        return FALSE;
      if (*thread_id != 0)
        return TRUE;
    }
  *thread_id = pigeon_store_thread_key (u->message_id, u->in_reply_to, u->references, u->id);
  return TRUE;
}

static gboolean
assign_threads_func (PigeonStore *self,
                     sqlite3     *db,
                     gpointer     data,
                     GError     **error)
{
  gint64 folder_id = *(gint64 *) data;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Unthreaded));

  g_array_set_clear_func (rows, unthreaded_clear);
  {
    /* Oldest first, so a conversation's first message is usually placed first. */
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT id, message_id, in_reply_to, refs FROM messages "
      "WHERE folder_id = ? AND thread_id = 0 ORDER BY date ASC, id ASC", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, folder_id);
    for (;;)
      {
        Unthreaded u;
        gboolean has_row;

        if (!pigeon_store_step (self, db, stmt, &has_row, error))
          return FALSE;
        if (!has_row)
          break;
        u.id = sqlite3_column_int64 (stmt, 0);
        u.message_id = pigeon_stmt_dup_text (stmt, 1);
        u.in_reply_to = pigeon_stmt_dup_text (stmt, 2);
        u.references = pigeon_stmt_dup_text (stmt, 3);
        g_array_append_val (rows, u);
      }
  }

  for (guint i = 0; i < rows->len; i++)
    {
      const Unthreaded *u = &g_array_index (rows, Unthreaded, i);
      gint64 thread_id;

      if (!thread_for (self, db, u, &thread_id, error) ||
          !pigeon_store_exec_ints (self, db, "UPDATE messages SET thread_id = ? WHERE id = ?",
                                   (const gint64[]) { thread_id, u->id }, 2, error))
        return FALSE;
    }
  /* Not noted: the conversation id is bookkeeping, nothing a view shows changed. */
  return TRUE;
}

gboolean
pigeon_store_assign_threads (PigeonStore *self,
                             gint64       folder_id,
                             GError     **error)
{
  gboolean pending;

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  /* Most calls find nothing to do: ask a reader before queueing behind the writer. */
  if (!pigeon_store_read_int (self,
                              "SELECT 1 FROM messages WHERE folder_id = ? AND thread_id = 0 "
                              "LIMIT 1",
                              &folder_id, 1, NULL, &pending, error))
    return FALSE;
  if (!pending)
    return TRUE;
  return pigeon_store_run_write (self, assign_threads_func, &folder_id, error);
}

/* ------------------------------------------------------------------ the user's folder changes */

typedef struct
{
  gint64      folder_id;
  char       *path;
  char       *delimiter;
  int         role;
  int         flags;
} FolderInfo;

static void
folder_info_clear (FolderInfo *info)
{
  g_clear_pointer (&info->path, g_free);
  g_clear_pointer (&info->delimiter, g_free);
}

static gboolean
read_folder_info (PigeonStore *self,
                  sqlite3     *db,
                  gint64       folder_id,
                  FolderInfo  *info,
                  GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT path, delimiter, role, flags FROM folders WHERE id = ?", error);
  gboolean has_row;

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
  info->folder_id = folder_id;
  info->path = pigeon_stmt_dup_text (stmt, 0);
  info->delimiter = pigeon_stmt_dup_text (stmt, 1);
  info->role = sqlite3_column_int (stmt, 2);
  info->flags = sqlite3_column_int (stmt, 3);
  return TRUE;
}

typedef struct
{
  gint64      folder_id;
  const char *new_path;
} UserRenameData;

static gboolean
user_rename_func (PigeonStore *self,
                  sqlite3     *db,
                  gpointer     data,
                  GError     **error)
{
  UserRenameData *rd = data;
  FolderInfo info = { 0 };
  gboolean ok = FALSE;

  if (!read_folder_info (self, db, rd->folder_id, &info, error))
    return FALSE;
  if (info.role == PIGEON_FOLDER_ROLE_INBOX)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The inbox cannot be renamed."));
      goto out;
    }
  if (g_strcmp0 (info.path, rd->new_path) == 0)
    {
      ok = TRUE;
      goto out;
    }
  /* Called on the writer, this runs inside our transaction. */
  if (!pigeon_store_rename_folder (self, rd->folder_id, rd->new_path, error))
    goto out;
  if ((info.flags & PIGEON_FOLDER_FLAG_LOCAL) == 0)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_RENAME_FOLDER);

      op->folder_id = rd->folder_id;
      op->path = g_strdup (info.path);
      op->new_path = g_strdup (rd->new_path);
      if (!pigeon_store_queue_op (self, db, op, error))
        goto out;
    }
  ok = TRUE;

out:
  folder_info_clear (&info);
  return ok;
}

gboolean
pigeon_store_user_rename_folder (PigeonStore *self,
                                 gint64       folder_id,
                                 const char  *new_path,
                                 GError     **error)
{
  UserRenameData rd = { folder_id, new_path };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (new_path != NULL && *new_path != '\0', FALSE);

  return pigeon_store_run_write (self, user_rename_func, &rd, error);
}

static gboolean
delete_one (PigeonStore      *self,
            sqlite3          *db,
            const FolderInfo *info,
            GError          **error)
{
  if ((info->flags & PIGEON_FOLDER_FLAG_LOCAL) == 0)
    {
      g_autoptr(PigeonPendingOp) op = pigeon_pending_op_new (PIGEON_OP_DELETE_FOLDER);

      op->folder_id = info->folder_id;
      op->path = g_strdup (info->path);
      if (!pigeon_store_queue_op (self, db, op, error))
        return FALSE;
    }
  return pigeon_store_delete_folder_row (self, db, info->folder_id, error);
}

static gboolean
user_delete_func (PigeonStore *self,
                  sqlite3     *db,
                  gpointer     data,
                  GError     **error)
{
  gint64 folder_id = *(gint64 *) data;
  FolderInfo info = { 0 };
  g_autoptr(GArray) below = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean ok = FALSE;

  if (!read_folder_info (self, db, folder_id, &info, error))
    return FALSE;
  if (info.role == PIGEON_FOLDER_ROLE_INBOX)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The inbox cannot be deleted."));
      goto out;
    }

  if (info.delimiter != NULL && *info.delimiter != '\0')
    {
      /* Deepest first: a server deletes a folder, not what is below it. */
      g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
        "SELECT id FROM folders WHERE substr (path, 1, length (?1) + length (?2)) = ?1 || ?2 "
        "ORDER BY length (path) DESC", error);

      if (stmt == NULL)
        goto out;
      pigeon_stmt_bind_text (stmt, 1, info.path);
      pigeon_stmt_bind_text (stmt, 2, info.delimiter);
      if (!pigeon_store_step_collect_ids (self, db, stmt, below, error))
        goto out;
    }

  for (guint i = 0; i < below->len; i++)
    {
      FolderInfo child = { 0 };
      gboolean deleted;

      if (!read_folder_info (self, db, g_array_index (below, gint64, i), &child, error))
        goto out;
      deleted = delete_one (self, db, &child, error);
      folder_info_clear (&child);
      if (!deleted)
        goto out;
    }
  ok = delete_one (self, db, &info, error);

out:
  folder_info_clear (&info);
  return ok;
}

gboolean
pigeon_store_user_delete_folder (PigeonStore *self,
                                 gint64       folder_id,
                                 GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, user_delete_func, &folder_id, error);
}
