/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime-private.h"
#include "pigeon-store-private.h"

PigeonMessage *
pigeon_store_message_from_row (PigeonStmt *stmt)
{
  PigeonMessage *message = pigeon_message_new ();

  message->id = sqlite3_column_int64 (stmt, 0);
  message->folder_id = sqlite3_column_int64 (stmt, 1);
  message->uidvalidity = (guint32) sqlite3_column_int64 (stmt, 2);
  message->uid = (guint32) sqlite3_column_int64 (stmt, 3);
  message->remote_id = pigeon_stmt_dup_text (stmt, 4);
  message->message_id = pigeon_stmt_dup_text (stmt, 5);
  message->in_reply_to = pigeon_stmt_dup_text (stmt, 6);
  message->references = pigeon_stmt_dup_text (stmt, 7);
  message->date = sqlite3_column_int64 (stmt, 8);
  message->internal_date = sqlite3_column_int64 (stmt, 9);
  message->from = pigeon_stmt_dup_text (stmt, 10);
  message->reply_to = pigeon_stmt_dup_text (stmt, 11);
  message->to = pigeon_stmt_dup_text (stmt, 12);
  message->cc = pigeon_stmt_dup_text (stmt, 13);
  message->subject = pigeon_stmt_dup_text (stmt, 14);
  message->flags = (PigeonMessageFlags) sqlite3_column_int (stmt, 15);
  message->modseq = (guint64) sqlite3_column_int64 (stmt, 16);
  message->size = sqlite3_column_int64 (stmt, 17);
  message->has_attachments = sqlite3_column_int (stmt, 18) != 0;
  message->preview = pigeon_stmt_dup_text (stmt, 19);
  message->thread_id = sqlite3_column_int64 (stmt, 20);
  message->has_body = sqlite3_column_int (stmt, 21) != 0;
  return message;
}

/* ------------------------------------------------------------------ search rows */

static char *
join_addresses (const char *from,
                const char *to,
                const char *cc)
{
  const char *parts[3] = { from, to, cc };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      if (parts[i] == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, parts[i]);
    }
  return g_string_free (out, FALSE);
}

static gboolean
fts_insert (PigeonStore *self,
            sqlite3     *db,
            gint64       message_id,
            const char  *subject,
            const char  *from,
            const char  *to,
            const char  *cc,
            const char  *body,
            GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO messages_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)", error);
  g_autofree char *addresses = join_addresses (from, to, cc);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, message_id);
  pigeon_stmt_bind_text (stmt, 2, subject);
  sqlite3_bind_text (stmt, 3, addresses, -1, SQLITE_STATIC);
  pigeon_stmt_bind_text (stmt, 4, body);
  return pigeon_store_step_done (self, db, stmt, error);
}

gboolean
pigeon_store_fts_set (PigeonStore *self,
                      sqlite3     *db,
                      gint64       message_id,
                      const char  *subject,
                      const char  *from,
                      const char  *to,
                      const char  *cc,
                      const char  *body,
                      GError     **error)
{
  if (!pigeon_store_exec_ints (self, db, "DELETE FROM messages_fts WHERE rowid = ?",
                               &message_id, 1, error))
    return FALSE;
  return fts_insert (self, db, message_id, subject, from, to, cc, body, error);
}

/* The search row again from the message's current envelope, keeping its body text. */
static gboolean
fts_refresh_envelope (PigeonStore *self,
                      sqlite3     *db,
                      gint64       message_id,
                      GError     **error)
{
  g_autofree char *subject = NULL, *from = NULL, *to = NULL, *cc = NULL, *body = NULL;
  gboolean has_row;

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT m.subject, m.sender, m.recipients_to, m.recipients_cc, "
      "  (SELECT body FROM messages_fts WHERE rowid = m.id) "
      "FROM messages m WHERE m.id = ?", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, message_id);
    if (!pigeon_store_step (self, db, stmt, &has_row, error))
      return FALSE;
    if (!has_row)
      return TRUE;
    subject = pigeon_stmt_dup_text (stmt, 0);
    from = pigeon_stmt_dup_text (stmt, 1);
    to = pigeon_stmt_dup_text (stmt, 2);
    cc = pigeon_stmt_dup_text (stmt, 3);
    body = pigeon_stmt_dup_text (stmt, 4);
  }
  return pigeon_store_fts_set (self, db, message_id, subject, from, to, cc, body, error);
}

/* ------------------------------------------------------------------ inserting */

/* The message row alone; its search row is the caller's business. */
static gint64
insert_row (PigeonStore         *self,
            sqlite3             *db,
            gint64               folder_id,
            const PigeonMessage *m,
            GError             **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO messages (folder_id, uidvalidity, uid, remote_id, message_id, "
    "  in_reply_to, refs, date, internal_date, sender, reply_to, recipients_to, "
    "  recipients_cc, subject, flags, modseq, size, has_attachments, preview, thread_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  gint64 id;

  if (stmt == NULL)
    return 0;
  /* The strings outlive the step: no copies on the hot path of a sync. */
  sqlite3_bind_int64 (stmt, 1, folder_id);
  sqlite3_bind_int64 (stmt, 2, m->uid != 0 ? m->uidvalidity : 0);
  sqlite3_bind_int64 (stmt, 3, m->uid);
  sqlite3_bind_text (stmt, 4, m->remote_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, m->message_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, m->in_reply_to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, m->references, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 8, m->date != 0 ? m->date : m->internal_date);
  sqlite3_bind_int64 (stmt, 9, m->internal_date);
  sqlite3_bind_text (stmt, 10, m->from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, m->reply_to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 12, m->to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 13, m->cc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 14, m->subject, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 15, m->flags);
  sqlite3_bind_int64 (stmt, 16, (sqlite3_int64) m->modseq);
  sqlite3_bind_int64 (stmt, 17, m->size);
  sqlite3_bind_int (stmt, 18, m->has_attachments ? 1 : 0);
  sqlite3_bind_text (stmt, 19, m->preview, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 20, m->thread_id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return 0;
  id = sqlite3_last_insert_rowid (db);
  pigeon_store_note_message (self, folder_id, id, 'a');
  return id;
}

gint64
pigeon_store_insert_message (PigeonStore         *self,
                             sqlite3             *db,
                             gint64               folder_id,
                             const PigeonMessage *m,
                             const char          *body_text,
                             GError             **error)
{
  gint64 id = insert_row (self, db, folder_id, m, error);

  if (id == 0 ||
      !fts_insert (self, db, id, m->subject, m->from, m->to, m->cc, body_text, error))
    return 0;
  return id;
}

/* The folder's current UIDVALIDITY: its sync state's, else the newest among its rows. */
static gboolean
current_uidvalidity (PigeonStore *self,
                     sqlite3     *db,
                     gint64       folder_id,
                     gint64      *uidvalidity,
                     GError     **error)
{
  return pigeon_store_query_int (self, db,
                                 "SELECT coalesce (nullif ((SELECT uidvalidity FROM folders "
                                 "  WHERE id = ?1), 0), "
                                 "  (SELECT uidvalidity FROM messages WHERE folder_id = ?1 "
                                 "   AND uid <> 0 ORDER BY uidvalidity DESC LIMIT 1), 0)",
                                 &folder_id, 1, uidvalidity, NULL, error);
}

/* Server flags with the user's queued changes on top, so a sync never undoes what the
 * user did before the server heard of it. */
static gboolean
apply_pending_flags (PigeonStore        *self,
                     sqlite3            *db,
                     gint64              message_id,
                     PigeonMessageFlags *flags,
                     GError            **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT flags_add, flags_remove FROM pending_ops "
    "WHERE message_id = ? AND kind = ? ORDER BY id", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, message_id);
  sqlite3_bind_int (stmt, 2, PIGEON_OP_SET_FLAGS);
  for (;;)
    {
      gboolean has_row;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        return TRUE;
      *flags |= sqlite3_column_int (stmt, 0);
      *flags &= ~sqlite3_column_int (stmt, 1);
    }
}

static gboolean
have_pending_flags (PigeonStore *self,
                    sqlite3     *db,
                    gboolean    *any,
                    GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT 1 FROM pending_ops WHERE kind = ? LIMIT 1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, PIGEON_OP_SET_FLAGS);
  return pigeon_store_step (self, db, stmt, any, error);
}

/* ------------------------------------------------------------------ upserting */

typedef struct
{
  gint64     folder_id;
  GPtrArray *messages;
} UpsertData;

static gboolean
envelope_differs (PigeonStmt          *found,
                  const PigeonMessage *m)
{
  const char *fields[4] = { m->subject, m->from, m->to, m->cc };

  for (int i = 0; i < 4; i++)
    {
      if (fields[i] != NULL &&
          g_strcmp0 (fields[i], (const char *) sqlite3_column_text (found, i + 1)) != 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
update_existing (PigeonStore         *self,
                 sqlite3             *db,
                 gint64               folder_id,
                 gint64               id,
                 const PigeonMessage *m,
                 PigeonMessageFlags   flags,
                 gboolean             refresh_search,
                 GError             **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "UPDATE messages SET flags = ?2, modseq = ?3, "
    "  message_id = coalesce (?4, message_id), in_reply_to = coalesce (?5, in_reply_to), "
    "  refs = coalesce (?6, refs), date = CASE WHEN ?7 <> 0 THEN ?7 ELSE date END, "
    "  internal_date = CASE WHEN ?8 <> 0 THEN ?8 ELSE internal_date END, "
    "  sender = coalesce (?9, sender), reply_to = coalesce (?10, reply_to), "
    "  recipients_to = coalesce (?11, recipients_to), "
    "  recipients_cc = coalesce (?12, recipients_cc), subject = coalesce (?13, subject), "
    "  size = CASE WHEN ?14 <> 0 THEN ?14 ELSE size END, "
    "  has_attachments = (has_attachments OR ?15), preview = coalesce (?16, preview), "
    "  thread_id = CASE WHEN ?17 <> 0 THEN ?17 ELSE thread_id END "
    "WHERE id = ?1 AND NOT (flags = ?2 AND modseq = ?3 "
    "  AND message_id IS coalesce (?4, message_id) "
    "  AND in_reply_to IS coalesce (?5, in_reply_to) AND refs IS coalesce (?6, refs) "
    "  AND (?7 = 0 OR date = ?7) AND (?8 = 0 OR internal_date = ?8) "
    "  AND sender IS coalesce (?9, sender) AND reply_to IS coalesce (?10, reply_to) "
    "  AND recipients_to IS coalesce (?11, recipients_to) "
    "  AND recipients_cc IS coalesce (?12, recipients_cc) "
    "  AND subject IS coalesce (?13, subject) AND (?14 = 0 OR size = ?14) "
    "  AND (NOT ?15 OR has_attachments) AND preview IS coalesce (?16, preview) "
    "  AND (?17 = 0 OR thread_id = ?17))", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int (stmt, 2, flags);
  sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) m->modseq);
  sqlite3_bind_text (stmt, 4, m->message_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, m->in_reply_to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, m->references, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, m->date != 0 ? m->date : m->internal_date);
  sqlite3_bind_int64 (stmt, 8, m->internal_date);
  sqlite3_bind_text (stmt, 9, m->from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, m->reply_to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, m->to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 12, m->cc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 13, m->subject, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 14, m->size);
  sqlite3_bind_int (stmt, 15, m->has_attachments ? 1 : 0);
  sqlite3_bind_text (stmt, 16, m->preview, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 17, m->thread_id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    return TRUE;

  if (refresh_search && !fts_refresh_envelope (self, db, id, error))
    return FALSE;
  pigeon_store_note_message (self, folder_id, id, 'u');
  return TRUE;
}

/*
 * The search rows of new messages go in together, after the message rows: FTS5 writes
 * out what it holds in memory whenever another statement of the transaction opens a
 * statement savepoint (every INSERT into messages does), and one row at a time that cost
 * two thirds of a sync's time.
 */
static gboolean
flush_search_rows (PigeonStore *self,
                   sqlite3     *db,
                   GPtrArray   *pending,
                   GHashTable  *pending_ids,
                   GError     **error)
{
  for (guint i = 0; i < pending->len; i++)
    {
      const PigeonMessage *m = g_ptr_array_index (pending, i);

      if (!fts_insert (self, db, m->id, m->subject, m->from, m->to, m->cc, NULL, error))
        return FALSE;
    }
  g_ptr_array_set_size (pending, 0);
  g_hash_table_remove_all (pending_ids);
  return TRUE;
}

static gboolean
upsert_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  UpsertData *ud = data;
  g_autoptr(PigeonStmt) by_uid = NULL;
  g_autoptr(PigeonStmt) by_remote_id = NULL;
  g_autoptr(GPtrArray) pending = g_ptr_array_new ();
  g_autoptr(GHashTable) pending_ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  gboolean pending_flags;

  if (!pigeon_store_check_folder (self, db, ud->folder_id, error) ||
      !have_pending_flags (self, db, &pending_flags, error))
    return FALSE;

  by_uid = pigeon_store_prepare (self, db,
    "SELECT id, subject, sender, recipients_to, recipients_cc FROM messages "
    "WHERE folder_id = ? AND uidvalidity = ? AND uid = ? AND uid <> 0", error);
  by_remote_id = pigeon_store_prepare (self, db,
    "SELECT id, subject, sender, recipients_to, recipients_cc FROM messages "
    "WHERE folder_id = ? AND remote_id = ?", error);
  if (by_uid == NULL || by_remote_id == NULL)
    return FALSE;

  for (guint i = 0; i < ud->messages->len; i++)
    {
      PigeonMessage *m = g_ptr_array_index (ud->messages, i);
      PigeonStmt *find = NULL;
      gboolean has_row = FALSE;

      if (m->uid != 0)
        {
          find = by_uid;
          sqlite3_bind_int64 (find, 1, ud->folder_id);
          sqlite3_bind_int64 (find, 2, m->uidvalidity);
          sqlite3_bind_int64 (find, 3, m->uid);
        }
      else if (m->remote_id != NULL)
        {
          find = by_remote_id;
          sqlite3_bind_int64 (find, 1, ud->folder_id);
          sqlite3_bind_text (find, 2, m->remote_id, -1, SQLITE_STATIC);
        }
      if (find != NULL && !pigeon_store_step (self, db, find, &has_row, error))
        return FALSE;

      if (has_row)
        {
          PigeonMessageFlags flags = m->flags;
          gboolean refresh = envelope_differs (find, m);

          m->id = sqlite3_column_int64 (find, 0);
          pigeon_stmt_release (find);
          /* The same message twice in one batch: its search row must exist before it
           * can be brought up to date. */
          if (refresh && g_hash_table_contains (pending_ids, &m->id) &&
              !flush_search_rows (self, db, pending, pending_ids, error))
            return FALSE;
          if (pending_flags && !apply_pending_flags (self, db, m->id, &flags, error))
            return FALSE;
          if (!update_existing (self, db, ud->folder_id, m->id, m, flags, refresh, error))
            return FALSE;
        }
      else
        {
          if (find != NULL)
            pigeon_stmt_release (find);
          m->folder_id = ud->folder_id;
          m->id = insert_row (self, db, ud->folder_id, m, error);
          if (m->id == 0)
            return FALSE;
          g_ptr_array_add (pending, m);
          g_hash_table_add (pending_ids, &m->id);
        }
    }

  return flush_search_rows (self, db, pending, pending_ids, error);
}

gboolean
pigeon_store_upsert_messages (PigeonStore *self,
                              gint64       folder_id,
                              GPtrArray   *messages,
                              GError     **error)
{
  UpsertData ud = { folder_id, messages };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (messages != NULL, FALSE);

  if (messages->len == 0)
    return TRUE;
  return pigeon_store_run_write (self, upsert_func, &ud, error);
}

/* ------------------------------------------------------------------ server changes */

typedef struct
{
  gint64                  folder_id;
  const PigeonFlagUpdate *updates;
  guint                   n_updates;
} FlagsData;

static gboolean
update_flags_func (PigeonStore *self,
                   sqlite3     *db,
                   gpointer     data,
                   GError     **error)
{
  FlagsData *fd = data;
  g_autoptr(PigeonStmt) by_uid = NULL;
  g_autoptr(PigeonStmt) by_remote_id = NULL;
  gint64 uidvalidity;
  gboolean pending_flags;

  if (!current_uidvalidity (self, db, fd->folder_id, &uidvalidity, error) ||
      !have_pending_flags (self, db, &pending_flags, error))
    return FALSE;

  by_uid = pigeon_store_prepare (self, db,
    "SELECT id FROM messages WHERE folder_id = ? AND uidvalidity = ? AND uid = ? "
    "AND uid <> 0", error);
  by_remote_id = pigeon_store_prepare (self, db,
    "SELECT id FROM messages WHERE folder_id = ? AND remote_id = ?", error);
  if (by_uid == NULL || by_remote_id == NULL)
    return FALSE;

  for (guint i = 0; i < fd->n_updates; i++)
    {
      const PigeonFlagUpdate *u = &fd->updates[i];
      PigeonMessageFlags flags = u->flags;
      PigeonStmt *find;
      gboolean has_row;
      gint64 id;

      if (u->uid != 0)
        {
          find = by_uid;
          sqlite3_bind_int64 (find, 1, fd->folder_id);
          sqlite3_bind_int64 (find, 2, uidvalidity);
          sqlite3_bind_int64 (find, 3, u->uid);
        }
      else if (u->remote_id != NULL)
        {
          find = by_remote_id;
          sqlite3_bind_int64 (find, 1, fd->folder_id);
          pigeon_stmt_bind_text (find, 2, u->remote_id);
        }
      else
        {
          continue;
        }
      if (!pigeon_store_step (self, db, find, &has_row, error))
        return FALSE;
      id = has_row ? sqlite3_column_int64 (find, 0) : 0;
      pigeon_stmt_release (find);
      if (id == 0)
        continue;

      if (pending_flags && !apply_pending_flags (self, db, id, &flags, error))
        return FALSE;

      if (!pigeon_store_exec_ints (self, db,
                                   "UPDATE messages SET flags = ?2, modseq = ?3 "
                                   "WHERE id = ?1 AND (flags <> ?2 OR modseq <> ?3)",
                                   (const gint64[]) { id, flags, (gint64) u->modseq }, 3,
                                   error))
        return FALSE;
      if (sqlite3_changes (db) > 0)
        pigeon_store_note_message (self, fd->folder_id, id, 'u');
    }
  return TRUE;
}

gboolean
pigeon_store_update_flags (PigeonStore            *self,
                           gint64                  folder_id,
                           const PigeonFlagUpdate *updates,
                           guint                   n_updates,
                           GError                **error)
{
  FlagsData fd = { folder_id, updates, n_updates };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (updates != NULL || n_updates == 0, FALSE);

  if (n_updates == 0)
    return TRUE;
  return pigeon_store_run_write (self, update_flags_func, &fd, error);
}

typedef struct
{
  gint64              folder_id;
  const guint32      *uids;
  guint               n_uids;
  const char * const *remote_ids;
  const gint64       *ids;
  guint               n_ids;
} RemoveData;

static gboolean
remove_by_uid_func (PigeonStore *self,
                    sqlite3     *db,
                    gpointer     data,
                    GError     **error)
{
  RemoveData *rd = data;
  gint64 uidvalidity;

  if (!current_uidvalidity (self, db, rd->folder_id, &uidvalidity, error))
    return FALSE;
  for (guint i = 0; i < rd->n_uids; i++)
    {
      if (!pigeon_store_exec_removed (self, db,
                                      "DELETE FROM messages WHERE folder_id = ? "
                                      "AND uidvalidity = ? AND uid = ? AND uid <> 0 "
                                      "RETURNING id, folder_id",
                                      (const gint64[]) { rd->folder_id, uidvalidity,
                                                         rd->uids[i] }, 3,
                                      error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_remove_by_uid (PigeonStore   *self,
                            gint64         folder_id,
                            const guint32 *uids,
                            guint          n_uids,
                            GError       **error)
{
  RemoveData rd = { .folder_id = folder_id, .uids = uids, .n_uids = n_uids };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (uids != NULL || n_uids == 0, FALSE);

  if (n_uids == 0)
    return TRUE;
  return pigeon_store_run_write (self, remove_by_uid_func, &rd, error);
}

static gboolean
remove_by_remote_id_func (PigeonStore *self,
                          sqlite3     *db,
                          gpointer     data,
                          GError     **error)
{
  RemoveData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "DELETE FROM messages WHERE folder_id = ? AND remote_id = ? RETURNING id, folder_id",
    error);

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; rd->remote_ids[i] != NULL; i++)
    {
      sqlite3_bind_int64 (stmt, 1, rd->folder_id);
      pigeon_stmt_bind_text (stmt, 2, rd->remote_ids[i]);
      if (!pigeon_store_step_removed (self, db, stmt, error))
        return FALSE;
      sqlite3_reset (stmt);
    }
  return TRUE;
}

gboolean
pigeon_store_remove_by_remote_id (PigeonStore        *self,
                                  gint64              folder_id,
                                  const char * const *remote_ids,
                                  GError            **error)
{
  RemoveData rd = { .folder_id = folder_id, .remote_ids = remote_ids };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (remote_ids != NULL, FALSE);

  if (remote_ids[0] == NULL)
    return TRUE;
  return pigeon_store_run_write (self, remove_by_remote_id_func, &rd, error);
}

static gboolean
remove_messages_func (PigeonStore *self,
                      sqlite3     *db,
                      gpointer     data,
                      GError     **error)
{
  RemoveData *rd = data;

  for (guint i = 0; i < rd->n_ids; i++)
    {
      if (!pigeon_store_exec_removed (self, db,
                                      "DELETE FROM messages WHERE id = ? RETURNING id, folder_id",
                                      &rd->ids[i], 1, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_remove_messages (PigeonStore  *self,
                              const gint64 *message_ids,
                              guint         n_ids,
                              GError      **error)
{
  RemoveData rd = { .ids = message_ids, .n_ids = n_ids };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (message_ids != NULL || n_ids == 0, FALSE);

  if (n_ids == 0)
    return TRUE;
  return pigeon_store_run_write (self, remove_messages_func, &rd, error);
}

/* ------------------------------------------------------------------ reading */

typedef struct
{
  const char *sql;
  gint64      args[3];
  guint       n_args;
  const char *text_arg;     /* bound after the integer arguments */
  gboolean    uidvalidity;  /* bind the current UIDVALIDITY of args[0] after the rest */
  GPtrArray  *rows;
} MessageQuery;

static gboolean
message_query_func (PigeonStore *self,
                    sqlite3     *db,
                    gpointer     data,
                    GError     **error)
{
  MessageQuery *q = data;
  g_autoptr(PigeonStmt) stmt = NULL;
  gint64 uidvalidity = 0;
  int index = 1;

  if (q->uidvalidity && !current_uidvalidity (self, db, q->args[0], &uidvalidity, error))
    return FALSE;
  stmt = pigeon_store_prepare (self, db, q->sql, error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < q->n_args; i++)
    sqlite3_bind_int64 (stmt, index++, q->args[i]);
  if (q->text_arg != NULL)
    pigeon_stmt_bind_text (stmt, index++, q->text_arg);
  if (q->uidvalidity)
    sqlite3_bind_int64 (stmt, index++, uidvalidity);
  return pigeon_store_collect_rows (self, db, stmt,
                                    (PigeonRowFunc) pigeon_store_message_from_row,
                                    q->rows, error);
}

static GPtrArray *
run_message_query (PigeonStore  *self,
                   MessageQuery *q,
                   GError      **error)
{
  q->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  if (!pigeon_store_run_read (self, message_query_func, q, error))
    {
      g_ptr_array_unref (q->rows);
      return NULL;
    }
  return q->rows;
}

static PigeonMessage *
run_message_query_one (PigeonStore  *self,
                       MessageQuery *q,
                       GError      **error)
{
  g_autoptr(GPtrArray) rows = run_message_query (self, q, error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_steal_pointer (&rows->pdata[0]);
}

PigeonMessage *
pigeon_store_get_message (PigeonStore *self,
                          gint64       message_id,
                          GError     **error)
{
  MessageQuery q = {
    "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?",
    { message_id }, 1,
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return run_message_query_one (self, &q, error);
}

PigeonMessage *
pigeon_store_get_message_by_uid (PigeonStore *self,
                                 gint64       folder_id,
                                 guint32      uid,
                                 GError     **error)
{
  MessageQuery q = {
    "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m "
    "WHERE m.folder_id = ? AND m.uid = ? AND m.uid <> 0 AND m.uidvalidity = ?",
    { folder_id, uid }, 2, NULL, TRUE,
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return run_message_query_one (self, &q, error);
}

PigeonMessage *
pigeon_store_get_message_by_remote_id (PigeonStore *self,
                                       gint64       folder_id,
                                       const char  *remote_id,
                                       GError     **error)
{
  MessageQuery q = {
    "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m "
    "WHERE m.folder_id = ? AND m.remote_id = ?",
    { folder_id }, 1, remote_id,
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (remote_id != NULL, NULL);

  return run_message_query_one (self, &q, error);
}

GPtrArray *
pigeon_store_list_messages (PigeonStore *self,
                            gint64       folder_id,
                            guint        offset,
                            guint        limit,
                            GError     **error)
{
  MessageQuery q = {
    "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m WHERE m.folder_id = ? "
    "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?",
    { folder_id, limit == 0 ? -1 : (gint64) limit, offset }, 3,
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return run_message_query (self, &q, error);
}

typedef struct
{
  gint64  folder_id;
  gint64  arg;
  guint   limit;
  GArray *array;
  GPtrArray *strings;
} ListData;

guint
pigeon_store_count_messages (PigeonStore *self,
                             gint64       folder_id,
                             GError     **error)
{
  gint64 total;
  gboolean found;

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);

  if (!pigeon_store_read_int (self, "SELECT total FROM folders WHERE id = ?", &folder_id, 1,
                              &total, &found, error))
    return 0;
  if (!found)
    {
      pigeon_store_set_folder_not_found (error);
      return 0;
    }
  return (guint) MAX (total, 0);
}

static gboolean
list_uids_func (PigeonStore *self,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  ListData *ld = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT uid, flags, modseq FROM messages "
    "WHERE folder_id = ? AND uidvalidity = ? AND uid <> 0 ORDER BY uid", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ld->folder_id);
  sqlite3_bind_int64 (stmt, 2, ld->arg);
  for (;;)
    {
      PigeonUidFlags entry;
      gboolean has_row;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        return TRUE;
      entry.uid = (guint32) sqlite3_column_int64 (stmt, 0);
      entry.flags = (PigeonMessageFlags) sqlite3_column_int (stmt, 1);
      entry.modseq = (guint64) sqlite3_column_int64 (stmt, 2);
      g_array_append_val (ld->array, entry);
    }
}

GArray *
pigeon_store_list_uids (PigeonStore *self,
                        gint64       folder_id,
                        guint32      uidvalidity,
                        GError     **error)
{
  ListData ld = { .folder_id = folder_id, .arg = uidvalidity };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  ld.array = g_array_new (FALSE, FALSE, sizeof (PigeonUidFlags));
  if (!pigeon_store_run_read (self, list_uids_func, &ld, error))
    {
      g_array_unref (ld.array);
      return NULL;
    }
  return ld.array;
}

static gboolean
list_remote_ids_func (PigeonStore *self,
                      sqlite3     *db,
                      gpointer     data,
                      GError     **error)
{
  ListData *ld = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT remote_id FROM messages WHERE folder_id = ? AND remote_id IS NOT NULL "
    "ORDER BY remote_id", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ld->folder_id);
  for (;;)
    {
      gboolean has_row;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        return TRUE;
      g_ptr_array_add (ld->strings, pigeon_stmt_dup_text (stmt, 0));
    }
}

GPtrArray *
pigeon_store_list_remote_ids (PigeonStore *self,
                              gint64       folder_id,
                              GError     **error)
{
  ListData ld = { .folder_id = folder_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  ld.strings = g_ptr_array_new_with_free_func (g_free);
  if (!pigeon_store_run_read (self, list_remote_ids_func, &ld, error))
    {
      g_ptr_array_unref (ld.strings);
      return NULL;
    }
  return ld.strings;
}

static gboolean
missing_bodies_func (PigeonStore *self,
                     sqlite3     *db,
                     gpointer     data,
                     GError     **error)
{
  ListData *ld = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT m.id FROM messages m WHERE m.folder_id = ? AND m.date >= ? "
    "AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id) "
    "ORDER BY m.date DESC, m.id DESC LIMIT ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ld->folder_id);
  sqlite3_bind_int64 (stmt, 2, ld->arg);
  sqlite3_bind_int64 (stmt, 3, ld->limit == 0 ? -1 : (gint64) ld->limit);
  return pigeon_store_step_collect_ids (self, db, stmt, ld->array, error);
}

GArray *
pigeon_store_list_missing_bodies (PigeonStore *self,
                                  gint64       folder_id,
                                  gint64       since,
                                  guint        limit,
                                  GError     **error)
{
  ListData ld = { .folder_id = folder_id, .arg = since, .limit = limit };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  ld.array = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!pigeon_store_run_read (self, missing_bodies_func, &ld, error))
    {
      g_array_unref (ld.array);
      return NULL;
    }
  return ld.array;
}

/* ------------------------------------------------------------------ bodies */

typedef struct
{
  gint64         message_id;
  GBytes        *raw;
  PigeonMessage *envelope;  /* parsed from RAW, NULL when it could not be */
  char          *body_text;
  GBytes        *result;
} BodyData;

static gboolean
set_body_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  BodyData *bd = data;
  const PigeonMessage *e = bd->envelope;
  gint64 folder_id;
  gboolean has_row;

  if (!pigeon_store_query_int (self, db, "SELECT folder_id FROM messages WHERE id = ?",
                               &bd->message_id, 1, &folder_id, &has_row, error))
    return FALSE;
  if (!has_row)
    {
      pigeon_store_set_message_not_found (error);
      return FALSE;
    }

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "INSERT INTO bodies (message_id, raw) VALUES (?, ?) "
      "ON CONFLICT (message_id) DO UPDATE SET raw = excluded.raw", error);
    gsize size;
    const void *raw = g_bytes_get_data (bd->raw, &size);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, bd->message_id);
    sqlite3_bind_blob64 (stmt, 2, raw != NULL ? raw : "", size, SQLITE_STATIC);
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
  }

  /* What the body says, and envelope fields the server did not give us. */
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "UPDATE messages SET preview = ?2, has_attachments = ?3, "
      "  size = CASE WHEN size = 0 THEN ?4 ELSE size END, "
      "  message_id = coalesce (message_id, ?5), in_reply_to = coalesce (in_reply_to, ?6), "
      "  refs = coalesce (refs, ?7), date = CASE WHEN date = 0 THEN ?8 ELSE date END, "
      "  sender = coalesce (sender, ?9), reply_to = coalesce (reply_to, ?10), "
      "  recipients_to = coalesce (recipients_to, ?11), "
      "  recipients_cc = coalesce (recipients_cc, ?12), subject = coalesce (subject, ?13) "
      "WHERE id = ?1", error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, bd->message_id);
    pigeon_stmt_bind_text (stmt, 2, e != NULL ? e->preview : NULL);
    sqlite3_bind_int (stmt, 3, e != NULL && e->has_attachments);
    sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) g_bytes_get_size (bd->raw));
    if (e != NULL)
      {
        pigeon_stmt_bind_text (stmt, 5, e->message_id);
        pigeon_stmt_bind_text (stmt, 6, e->in_reply_to);
        pigeon_stmt_bind_text (stmt, 7, e->references);
        sqlite3_bind_int64 (stmt, 8, e->date);
        pigeon_stmt_bind_text (stmt, 9, e->from);
        pigeon_stmt_bind_text (stmt, 10, e->reply_to);
        pigeon_stmt_bind_text (stmt, 11, e->to);
        pigeon_stmt_bind_text (stmt, 12, e->cc);
        pigeon_stmt_bind_text (stmt, 13, e->subject);
      }
    else
      {
        sqlite3_bind_int64 (stmt, 8, 0);
      }
    if (!pigeon_store_step_done (self, db, stmt, error))
      return FALSE;
  }

  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT subject, sender, recipients_to, recipients_cc FROM messages WHERE id = ?",
      error);
    g_autofree char *subject = NULL, *from = NULL, *to = NULL, *cc = NULL;

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, bd->message_id);
    if (!pigeon_store_step (self, db, stmt, &has_row, error))
      return FALSE;
    subject = pigeon_stmt_dup_text (stmt, 0);
    from = pigeon_stmt_dup_text (stmt, 1);
    to = pigeon_stmt_dup_text (stmt, 2);
    cc = pigeon_stmt_dup_text (stmt, 3);
    pigeon_stmt_release (g_steal_pointer (&stmt));
    if (!pigeon_store_fts_set (self, db, bd->message_id, subject, from, to, cc,
                               bd->body_text, error))
      return FALSE;
  }

  pigeon_store_note_message (self, folder_id, bd->message_id, 'u');
  return TRUE;
}

gboolean
pigeon_store_set_body (PigeonStore *self,
                       gint64       message_id,
                       GBytes      *raw,
                       GError     **error)
{
  g_autoptr(GMimeMessage) parsed = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  g_autofree char *body_text = NULL;
  BodyData bd = { message_id, raw };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (raw != NULL, FALSE);

  /* Parsing happens here, on the caller's thread, so the writer is not held up. */
  parsed = pigeon_mime_parse (raw, NULL);
  if (parsed != NULL)
    {
      envelope = pigeon_message_new ();
      pigeon_mime_fill_envelope (parsed, envelope);
      pigeon_mime_extract_text (parsed, &body_text, &envelope->preview,
                                &envelope->has_attachments);
    }
  bd.envelope = envelope;
  bd.body_text = body_text;
  return pigeon_store_run_write (self, set_body_func, &bd, error);
}

typedef struct
{
  BodyData *bodies;
  guint     n_bodies;
} BodiesData;

static gboolean
set_bodies_func (PigeonStore *self,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  BodiesData *bd = data;

  for (guint i = 0; i < bd->n_bodies; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (set_body_func (self, db, &bd->bodies[i], &local_error))
        continue;
      /* Deleted while it was downloading: nothing to keep it for. */
      if (g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND))
        continue;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_set_bodies (PigeonStore    *self,
                         const gint64   *message_ids,
                         GBytes * const *raws,
                         guint           n_bodies,
                         GError        **error)
{
  g_autofree BodyData *bodies = NULL;
  BodiesData bd;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (n_bodies == 0 || (message_ids != NULL && raws != NULL), FALSE);

  if (n_bodies == 0)
    return TRUE;
  /* Parsing happens here, on the caller's thread; the writer only writes. */
  bodies = g_new0 (BodyData, n_bodies);
  for (guint i = 0; i < n_bodies; i++)
    {
      g_autoptr(GMimeMessage) parsed = pigeon_mime_parse (raws[i], NULL);

      bodies[i].message_id = message_ids[i];
      bodies[i].raw = raws[i];
      if (parsed != NULL)
        {
          bodies[i].envelope = pigeon_message_new ();
          pigeon_mime_fill_envelope (parsed, bodies[i].envelope);
          pigeon_mime_extract_text (parsed, &bodies[i].body_text, &bodies[i].envelope->preview,
                                    &bodies[i].envelope->has_attachments);
        }
    }
  bd = (BodiesData) { bodies, n_bodies };
  ok = pigeon_store_run_write (self, set_bodies_func, &bd, error);
  for (guint i = 0; i < n_bodies; i++)
    {
      g_clear_pointer (&bodies[i].envelope, pigeon_message_free);
      g_free (bodies[i].body_text);
    }
  return ok;
}

static gboolean
get_body_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  BodyData *bd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT raw FROM bodies WHERE message_id = ?", error);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, bd->message_id);
  if (!pigeon_store_step (self, db, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    bd->result = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  return TRUE;
}

GBytes *
pigeon_store_get_body (PigeonStore *self,
                       gint64       message_id,
                       GError     **error)
{
  BodyData bd = { message_id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, get_body_func, &bd, error))
    return NULL;
  return bd.result;
}

/* ------------------------------------------------------------------ search */

/* What the user typed as an FTS5 query that can only mean "all these words, as
 * prefixes": every token becomes a quoted string (quotes doubled) followed by '*', so no
 * user text is ever read as FTS5 syntax.  NULL when nothing searchable is left. */
static char *
build_match (const char *query)
{
  g_autofree char *valid = g_utf8_make_valid (query, -1);
  g_auto(GStrv) tokens = NULL;
  GString *match = g_string_new (NULL);

  for (char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_isspace (g_utf8_get_char (p)))
        *p = ' ';
    }
  tokens = g_strsplit (valid, " ", -1);

  for (guint i = 0; tokens[i] != NULL && i < 32; i++)
    {
      gboolean searchable = FALSE;

      for (const char *p = tokens[i]; *p != '\0' && !searchable; p = g_utf8_next_char (p))
        searchable = g_unichar_isalnum (g_utf8_get_char (p));
      if (!searchable)
        continue;

      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_c (match, '"');
      for (const char *p = tokens[i]; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (match, '"');
          g_string_append_c (match, *p);
        }
      g_string_append (match, "\"*");
    }

  if (match->len == 0)
    {
      g_string_free (match, TRUE);
      return NULL;
    }
  return g_string_free (match, FALSE);
}

GPtrArray *
pigeon_store_search (PigeonStore *self,
                     const char  *query,
                     gint64       folder_id,
                     guint        limit,
                     GError     **error)
{
  g_autofree char *match = NULL;
  MessageQuery q = { 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  match = build_match (query);
  if (match == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);

  /* Numbered parameters: ?1 folder, ?2 limit, ?3 the match. */
  if (folder_id != 0)
    q.sql = "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m "
            "WHERE m.folder_id = ?1 AND m.id IN "
            "  (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?3) "
            "ORDER BY m.date DESC, m.id DESC LIMIT ?2";
  else
    q.sql = "SELECT " PIGEON_STORE_MESSAGE_COLUMNS " FROM messages m "
            "WHERE m.id IN "
            "  (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?3) "
            "ORDER BY m.date DESC, m.id DESC LIMIT ?2";
  q.args[0] = folder_id;
  q.args[1] = limit == 0 ? -1 : (gint64) limit;
  q.n_args = 2;
  q.text_arg = match;
  return run_message_query (self, &q, error);
}
