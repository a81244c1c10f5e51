/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "pigeon-error.h"
#include "pigeon-mime-private.h"
#include "pigeon-store-pop3.h"
#include "pigeon-store-private.h"

struct _PigeonStoreDownload
{
  char *uidl;
  gint64 server_size;
  GBytes *raw;
  PigeonMessage *message;  /* the row to insert: identity, envelope, preview */
  char *body_text;
};

void
pigeon_store_uidl_free (PigeonStoreUidl *uidl)
{
  if (uidl == NULL)
    return;
  g_free (uidl->uidl);
  g_free (uidl);
}

/* ------------------------------------------------------------------ reading */

static gboolean
list_uidls_func (PigeonStore *self,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  GHashTable *table = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT u.uidl, u.message_id, u.size, u.downloaded_at, u.delete_pending, u.deleted, "
    "  EXISTS (SELECT 1 FROM messages m WHERE m.id = u.message_id) "
    "FROM pop3_uidls u", error);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  for (;;)
    {
      PigeonStoreUidl *row;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        return TRUE;
      row = g_new0 (PigeonStoreUidl, 1);
      row->uidl = pigeon_stmt_dup_text (stmt, 0);
      row->message_id = sqlite3_column_int64 (stmt, 1);
      row->size = sqlite3_column_int64 (stmt, 2);
      row->downloaded_at = sqlite3_column_int64 (stmt, 3);
      row->delete_pending = sqlite3_column_int (stmt, 4) != 0;
      row->deleted = sqlite3_column_int (stmt, 5) != 0;
      row->message_exists = sqlite3_column_int (stmt, 6) != 0;
      g_hash_table_replace (table, row->uidl, row);
    }
}

GHashTable *
pigeon_store_pop3_list_uidls (PigeonStore *self,
                              GError     **error)
{
  g_autoptr(GHashTable) table = NULL;

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                 (GDestroyNotify) pigeon_store_uidl_free);
  if (!pigeon_store_run_read (self, list_uidls_func, table, error))
    return NULL;
  return g_steal_pointer (&table);
}

/* ------------------------------------------------------------------ downloads */

PigeonStoreDownload *
pigeon_store_download_new (const char *uidl,
                           gint64      server_size,
                           GBytes     *raw,
                           gint64      received)
{
  PigeonStoreDownload *download;
  g_autoptr(GMimeMessage) parsed = NULL;
  PigeonMessage *m;

  g_return_val_if_fail (uidl != NULL, NULL);
  g_return_val_if_fail (raw != NULL, NULL);

  download = g_new0 (PigeonStoreDownload, 1);
  download->uidl = g_strdup (uidl);
  download->server_size = server_size;
  download->raw = g_bytes_ref (raw);
  download->message = m = pigeon_message_new ();

  /* A message GMime cannot make anything of is still kept, whole, with what is known. */
  parsed = pigeon_mime_parse (raw, NULL);
  if (parsed != NULL)
    {
      pigeon_mime_fill_envelope (parsed, m);
      pigeon_mime_extract_text (parsed, &download->body_text, &m->preview,
                                &m->has_attachments);
    }
  m->remote_id = g_strdup (uidl);
  m->internal_date = received;
  m->size = g_bytes_get_size (raw);
  return download;
}

void
pigeon_store_download_free (PigeonStoreDownload *download)
{
  if (download == NULL)
    return;
  g_free (download->uidl);
  g_bytes_unref (download->raw);
  pigeon_message_free (download->message);
  g_free (download->body_text);
  g_free (download);
}

gint64
pigeon_store_download_get_message_id (PigeonStoreDownload *download)
{
  g_return_val_if_fail (download != NULL, 0);

  return download->message->id;
}

typedef struct
{
  gint64     folder_id;
  GPtrArray *downloads;
  gboolean   delete_pending;
} CommitData;

static gboolean
uidl_known (PigeonStore *self,
            sqlite3     *db,
            const char  *uidl,
            gboolean    *known,
            GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT 1 FROM pop3_uidls WHERE uidl = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uidl, -1, SQLITE_STATIC);
  return pigeon_store_step (self, db, stmt, known, error);
}

static gboolean
insert_body (PigeonStore *self,
             sqlite3     *db,
             gint64       message_id,
             GBytes      *raw,
             GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO bodies (message_id, raw) VALUES (?, ?)", error);
  gsize size;
  const void *bytes = g_bytes_get_data (raw, &size);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, message_id);
  sqlite3_bind_blob64 (stmt, 2, bytes != NULL ? bytes : "", size, SQLITE_STATIC);
  return pigeon_store_step_done (self, db, stmt, error);
}

static gboolean
insert_uidl (PigeonStore         *self,
             sqlite3             *db,
             PigeonStoreDownload *download,
             gboolean             delete_pending,
             GError             **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO pop3_uidls (uidl, message_id, size, downloaded_at, delete_pending) "
    "VALUES (?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, download->uidl, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, download->message->id);
  sqlite3_bind_int64 (stmt, 3, download->server_size);
  sqlite3_bind_int64 (stmt, 4, download->message->internal_date);
  sqlite3_bind_int (stmt, 5, delete_pending ? 1 : 0);
  return pigeon_store_step_done (self, db, stmt, error);
}

static gboolean
commit_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  CommitData *cd = data;

  if (!pigeon_store_check_folder (self, db, cd->folder_id, error))
    return FALSE;
  for (guint i = 0; i < cd->downloads->len; i++)
    {
      PigeonStoreDownload *download = g_ptr_array_index (cd->downloads, i);
      PigeonMessage *m = download->message;
      gboolean known;

      m->id = 0;
      if (!uidl_known (self, db, download->uidl, &known, error))
        return FALSE;
      if (known)
        continue;

      m->folder_id = cd->folder_id;
      m->id = pigeon_store_insert_message (self, db, cd->folder_id, m, download->body_text,
                                           error);
      if (m->id == 0 ||
          !insert_body (self, db, m->id, download->raw, error) ||
          !insert_uidl (self, db, download, cd->delete_pending, error))
        {
          m->id = 0;
          return FALSE;
        }
    }
  pigeon_store_note_folder_updated (self, cd->folder_id);
  return TRUE;
}

gboolean
pigeon_store_pop3_commit_downloads (PigeonStore *self,
                                    gint64       folder_id,
                                    GPtrArray   *downloads,
                                    gboolean     delete_pending,
                                    GError     **error)
{
  CommitData cd = { folder_id, downloads, delete_pending };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (downloads != NULL, FALSE);

  if (downloads->len == 0)
    return TRUE;
  if (!pigeon_store_run_write (self, commit_func, &cd, error))
    {
      /* Nothing of the transaction is in the store. */
      for (guint i = 0; i < downloads->len; i++)
        ((PigeonStoreDownload *) g_ptr_array_index (downloads, i))->message->id = 0;
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ deletion state */

typedef struct
{
  const char * const *uidls;
  const char         *sql;
} MarkData;

static gboolean
mark_func (PigeonStore *self,
           sqlite3     *db,
           gpointer     data,
           GError     **error)
{
  MarkData *md = data;

  for (guint i = 0; md->uidls[i] != NULL; i++)
    {
      g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db, md->sql, error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, md->uidls[i], -1, SQLITE_STATIC);
      if (!pigeon_store_step_done (self, db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_pop3_mark_delete_pending (PigeonStore        *self,
                                       const char * const *uidls,
                                       GError            **error)
{
  MarkData md = {
    uidls, "UPDATE pop3_uidls SET delete_pending = 1 WHERE uidl = ? AND deleted = 0"
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (uidls != NULL, FALSE);

  if (uidls[0] == NULL)
    return TRUE;
  return pigeon_store_run_write (self, mark_func, &md, error);
}

gboolean
pigeon_store_pop3_mark_message_delete_pending (PigeonStore *self,
                                               gint64       message_id,
                                               GError     **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  if (message_id <= 0)
    return TRUE;
  return pigeon_store_write_ints (self,
                                  "UPDATE pop3_uidls SET delete_pending = 1 "
                                  "WHERE message_id = ? AND deleted = 0",
                                  &message_id, 1, error);
}

gboolean
pigeon_store_pop3_mark_deleted (PigeonStore        *self,
                                const char * const *uidls,
                                GError            **error)
{
  MarkData md = {
    uidls, "UPDATE pop3_uidls SET delete_pending = 0, deleted = 1 WHERE uidl = ?"
  };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (uidls != NULL, FALSE);

  if (uidls[0] == NULL)
    return TRUE;
  return pigeon_store_run_write (self, mark_func, &md, error);
}

/* ------------------------------------------------------------------ durability */

static gboolean
sync_file (const char *path,
           gboolean    may_be_missing,
           GError    **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      if (saved == ENOENT && may_be_missing)
        return TRUE;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Could not write %s to disk: %s"), path, g_strerror (saved));
      return FALSE;
    }
  /* fsync reaches every page of the file, whichever descriptor wrote it. */
  if (fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Could not write %s to disk: %s"), path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
pigeon_store_pop3_flush (PigeonStore *self,
                         GError     **error)
{
  const char *path;
  g_autofree char *wal = NULL;

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  /* With synchronous = NORMAL a commit is in the log, not yet on disk; a checkpoint syncs
   * the log before it copies pages out, so the log and the file together are enough. */
  path = pigeon_store_get_path (self);
  wal = g_strconcat (path, "-wal", NULL);
  return sync_file (wal, TRUE, error) && sync_file (path, FALSE, error);
}
