/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime-private.h"
#include "pigeon-store-outbox.h"
#include "pigeon-store-private.h"

/* Subjects are read from the first bytes of the message: the header is there. */
#define HEADER_PEEK 16384

/* ------------------------------------------------------------------ entries */

G_DEFINE_BOXED_TYPE (PigeonOutboxEntry, pigeon_outbox_entry, pigeon_outbox_entry_copy,
                     pigeon_outbox_entry_free)

PigeonOutboxEntry *
pigeon_outbox_entry_copy (const PigeonOutboxEntry *entry)
{
  PigeonOutboxEntry *copy;

  g_return_val_if_fail (entry != NULL, NULL);

  copy = g_memdup2 (entry, sizeof *entry);
  copy->raw = entry->raw ? g_bytes_ref (entry->raw) : NULL;
  copy->sender = g_strdup (entry->sender);
  copy->recipients = g_strdupv (entry->recipients);
  copy->last_error = g_strdup (entry->last_error);
  copy->message_id = g_strdup (entry->message_id);
  copy->subject = g_strdup (entry->subject);
  return copy;
}

void
pigeon_outbox_entry_free (PigeonOutboxEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_pointer (&entry->raw, g_bytes_unref);
  g_free (entry->sender);
  g_strfreev (entry->recipients);
  g_free (entry->last_error);
  g_free (entry->message_id);
  g_free (entry->subject);
  g_free (entry);
}

#define OUTBOX_COLUMNS \
  "id, sender, recipients, state, send_after, attempts, last_error, created, sent_at, " \
  "saved_to_sent, message_id"

/* The columns above, then either the whole raw (WITH_RAW) or its first bytes. */
static PigeonOutboxEntry *
entry_from_row (PigeonStmt *stmt,
                gboolean    with_raw)
{
  PigeonOutboxEntry *entry = g_new0 (PigeonOutboxEntry, 1);
  g_autofree char *recipients = pigeon_stmt_dup_text (stmt, 2);
  g_autoptr(GBytes) head = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  const void *blob = sqlite3_column_blob (stmt, 11);
  gsize size = sqlite3_column_bytes (stmt, 11);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->sender = pigeon_stmt_dup_text (stmt, 1);
  entry->recipients = g_strsplit (recipients ? recipients : "", "\n", -1);
  entry->state = (PigeonOutboxState) sqlite3_column_int (stmt, 3);
  entry->send_after = sqlite3_column_int64 (stmt, 4);
  entry->attempts = (guint) sqlite3_column_int (stmt, 5);
  entry->last_error = pigeon_stmt_dup_text (stmt, 6);
  entry->created = sqlite3_column_int64 (stmt, 7);
  entry->sent_at = sqlite3_column_int64 (stmt, 8);
  entry->saved_to_sent = sqlite3_column_int (stmt, 9) != 0;
  entry->message_id = pigeon_stmt_dup_text (stmt, 10);

  head = g_bytes_new (blob != NULL ? blob : "", size);
  envelope = pigeon_mime_parse_envelope (head, NULL);
  if (envelope != NULL)
    entry->subject = g_steal_pointer (&envelope->subject);
  if (with_raw)
    entry->raw = g_steal_pointer (&head);
  return entry;
}

static PigeonOutboxEntry *
entry_with_raw_from_row (PigeonStmt *stmt)
{
  return entry_from_row (stmt, TRUE);
}

static PigeonOutboxEntry *
entry_without_raw_from_row (PigeonStmt *stmt)
{
  return entry_from_row (stmt, FALSE);
}

/* ------------------------------------------------------------------ adding */

typedef struct
{
  GBytes  *raw;
  char    *sender;
  GStrv    recipients;
  gint64   send_after;
  char    *message_id;
  gint64   id;
} AddData;

static void
add_data_free (AddData *ad)
{
  g_bytes_unref (ad->raw);
  g_free (ad->sender);
  g_strfreev (ad->recipients);
  g_free (ad->message_id);
  g_free (ad);
}

static gboolean
count_contact (PigeonStore *self,
               sqlite3     *db,
               const char  *email,
               GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO contacts (source, email, use_count, last_used) VALUES ('sent', ?1, 1, ?2) "
    "ON CONFLICT (source, email) DO UPDATE SET use_count = use_count + 1, last_used = ?2",
    error);
  g_autofree char *folded = g_utf8_casefold (email, -1);

  if (stmt == NULL)
    return FALSE;
  pigeon_stmt_bind_text (stmt, 1, folded);
  sqlite3_bind_int64 (stmt, 2, pigeon_store_now ());
  return pigeon_store_step_done (self, db, stmt, error);
}

static gboolean
add_func (PigeonStore *self,
          sqlite3     *db,
          gpointer     data,
          GError     **error)
{
  AddData *ad = data;
  g_autofree char *recipients = g_strjoinv ("\n", ad->recipients);
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "INSERT INTO outbox (raw, sender, recipients, state, send_after, created, message_id) "
    "VALUES (?, ?, ?, 0, ?, ?, ?)", error);
  gsize size;
  const void *bytes = g_bytes_get_data (ad->raw, &size);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob64 (stmt, 1, bytes != NULL ? bytes : "", size, SQLITE_STATIC);
  pigeon_stmt_bind_text (stmt, 2, ad->sender);
  pigeon_stmt_bind_text (stmt, 3, recipients);
  sqlite3_bind_int64 (stmt, 4, ad->send_after);
  sqlite3_bind_int64 (stmt, 5, pigeon_store_now ());
  pigeon_stmt_bind_text (stmt, 6, ad->message_id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  ad->id = sqlite3_last_insert_rowid (db);

  for (guint i = 0; ad->recipients[i] != NULL; i++)
    if (!count_contact (self, db, ad->recipients[i], error))
      return FALSE;
  pigeon_store_note_outbox (self);
  return TRUE;
}

static AddData *
add_data_new (GBytes             *raw,
              const char         *sender,
              const char * const *recipients,
              gint64              send_after,
              GError            **error)
{
  g_autoptr(PigeonMessage) envelope = NULL;
  AddData *ad;

  for (guint i = 0; recipients[i] != NULL; i++)
    if (*recipients[i] == '\0' || strchr (recipients[i], '\n') != NULL)
      {
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                     _("“%s” is not an address Pigeon can send to."), recipients[i]);
        return NULL;
      }
  envelope = pigeon_mime_parse_envelope (raw, error);
  if (envelope == NULL)
    return NULL;

  ad = g_new0 (AddData, 1);
  ad->raw = g_bytes_ref (raw);
  ad->sender = g_strdup (sender);
  ad->recipients = g_strdupv ((char **) recipients);
  ad->send_after = send_after;
  ad->message_id = g_steal_pointer (&envelope->message_id);
  return ad;
}

gint64
pigeon_store_outbox_add (PigeonStore        *self,
                         GBytes             *raw,
                         const char         *sender,
                         const char * const *recipients,
                         gint64              send_after,
                         GError            **error)
{
  AddData *ad;
  gint64 id;

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (raw != NULL && sender != NULL, 0);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, 0);

  ad = add_data_new (raw, sender, recipients, send_after, error);
  if (ad == NULL)
    return 0;
  id = pigeon_store_run_write (self, add_func, ad, error) ? ad->id : 0;
  add_data_free (ad);
  return id;
}

static void
add_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  AddData *given = task_data;
  GError *error = NULL;
  gint64 id;

  id = pigeon_store_outbox_add (source_object, given->raw, given->sender,
                                (const char * const *) given->recipients, given->send_after,
                                &error);
  if (id == 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, id);
}

void
pigeon_store_outbox_add_async (PigeonStore         *self,
                               GBytes              *raw,
                               const char          *sender,
                               const char * const  *recipients,
                               gint64               send_after,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AddData *ad;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (raw != NULL && sender != NULL);
  g_return_if_fail (recipients != NULL && recipients[0] != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_store_outbox_add_async);
  /* Parsing the message for its Message-ID is no work for the UI thread either. */
  ad = g_new0 (AddData, 1);
  ad->raw = g_bytes_ref (raw);
  ad->sender = g_strdup (sender);
  ad->recipients = g_strdupv ((char **) recipients);
  ad->send_after = send_after;
  g_task_set_task_data (task, ad, (GDestroyNotify) add_data_free);
  g_task_run_in_thread (task, add_thread);
}

gint64
pigeon_store_outbox_add_finish (PigeonStore   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

/* ------------------------------------------------------------------ reading */

typedef struct
{
  gint64     id;
  GPtrArray *entries;
  GArray    *ids;
  gboolean   found;
  PigeonFolderRole role;
  const char *message_id;
} ReadData;

static gboolean
get_func (PigeonStore *self,
          sqlite3     *db,
          gpointer     data,
          GError     **error)
{
  ReadData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT " OUTBOX_COLUMNS ", raw FROM outbox WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rd->id);
  return pigeon_store_collect_rows (self, db, stmt, (PigeonRowFunc) entry_with_raw_from_row,
                                    rd->entries, error);
}

PigeonOutboxEntry *
pigeon_store_outbox_get (PigeonStore  *self,
                         gint64        id,
                         GError      **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 pigeon_outbox_entry_free);
  ReadData rd = { id, entries };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, get_func, &rd, error) || entries->len == 0)
    return NULL;
  return g_steal_pointer (&entries->pdata[0]);
}

static gboolean
list_func (PigeonStore *self,
           sqlite3     *db,
           gpointer     data,
           GError     **error)
{
  ReadData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT " OUTBOX_COLUMNS ", substr (raw, 1, " G_STRINGIFY (HEADER_PEEK) ") FROM outbox "
    "WHERE state IN (0, 1, 3) ORDER BY send_after, id", error);

  if (stmt == NULL)
    return FALSE;
  return pigeon_store_collect_rows (self, db, stmt, (PigeonRowFunc) entry_without_raw_from_row,
                                    rd->entries, error);
}

GPtrArray *
pigeon_store_outbox_list (PigeonStore  *self,
                          GError      **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 pigeon_outbox_entry_free);
  ReadData rd = { 0, entries };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, list_func, &rd, error))
    return NULL;
  return g_steal_pointer (&entries);
}

guint
pigeon_store_outbox_count_waiting (PigeonStore  *self,
                                   GError      **error)
{
  gint64 count;

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);

  if (!pigeon_store_read_int (self, "SELECT count(*) FROM outbox WHERE state IN (0, 1)", NULL,
                              0, &count, NULL, error))
    return 0;
  return (guint) count;
}

static gboolean
unsaved_func (PigeonStore *self,
              sqlite3     *db,
              gpointer     data,
              GError     **error)
{
  ReadData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT id FROM outbox WHERE state = 2 AND saved_to_sent = 0 ORDER BY id", error);

  if (stmt == NULL)
    return FALSE;
  return pigeon_store_step_collect_ids (self, db, stmt, rd->ids, error);
}

GArray *
pigeon_store_outbox_list_unsaved (PigeonStore  *self,
                                  GError      **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  ReadData rd = { 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  rd.ids = ids;
  if (!pigeon_store_run_read (self, unsaved_func, &rd, error))
    return NULL;
  return g_steal_pointer (&ids);
}

static gboolean
has_message_id_func (PigeonStore *self,
                     sqlite3     *db,
                     gpointer     data,
                     GError     **error)
{
  ReadData *rd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id "
    "WHERE m.message_id = ? AND f.role = ? LIMIT 1", error);

  if (stmt == NULL)
    return FALSE;
  pigeon_stmt_bind_text (stmt, 1, rd->message_id);
  sqlite3_bind_int (stmt, 2, rd->role);
  return pigeon_store_step (self, db, stmt, &rd->found, error);
}

gboolean
pigeon_store_has_message_id (PigeonStore      *self,
                             PigeonFolderRole  role,
                             const char       *message_id,
                             gboolean         *found,
                             GError          **error)
{
  ReadData rd = { 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (found != NULL, FALSE);

  *found = FALSE;
  if (message_id == NULL || *message_id == '\0')
    return TRUE;
  rd.role = role;
  rd.message_id = message_id;
  if (!pigeon_store_run_read (self, has_message_id_func, &rd, error))
    return FALSE;
  *found = rd.found;
  return TRUE;
}

/* ------------------------------------------------------------------ state changes */

typedef struct
{
  gint64             id;
  gint64             send_after;
  const char        *text;
  const char * const *rejected;
  PigeonOutboxSave   save;
  gboolean           changed;
  PigeonOutboxEntry *entry;
} StateData;

static gboolean
claim_func (PigeonStore *self,
            sqlite3     *db,
            gpointer     data,
            GError     **error)
{
  StateData *sd = data;

  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE outbox SET state = 1, sent_at = 0, "
                               "attempts = attempts + 1 WHERE id = ? AND state = 0",
                               &sd->id, 1, error))
    return FALSE;
  sd->changed = sqlite3_changes (db) > 0;
  if (sd->changed)
    pigeon_store_note_outbox (self);
  return TRUE;
}

gboolean
pigeon_store_outbox_claim (PigeonStore  *self,
                           gint64        id,
                           gboolean     *claimed,
                           GError      **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (claimed != NULL, FALSE);

  *claimed = FALSE;
  if (!pigeon_store_run_write (self, claim_func, &sd, error))
    return FALSE;
  *claimed = sd.changed;
  return TRUE;
}

static gboolean
handed_over_func (PigeonStore *self,
                  sqlite3     *db,
                  gpointer     data,
                  GError     **error)
{
  StateData *sd = data;

  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE outbox SET sent_at = ? WHERE id = ? AND state = 1",
                               (const gint64[]) { MAX (pigeon_store_now (), 1), sd->id }, 2,
                               error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The message is no longer being sent."));
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_store_outbox_mark_handed_over (PigeonStore  *self,
                                      gint64        id,
                                      GError      **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, handed_over_func, &sd, error);
}

static gboolean
read_raw (PigeonStore *self,
          sqlite3     *db,
          gint64       id,
          GBytes     **raw,
          GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "SELECT raw FROM outbox WHERE id = ?", error);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!pigeon_store_step (self, db, stmt, &found, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is no longer in the outbox."));
      return FALSE;
    }
  *raw = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  return TRUE;
}

/* Inside a write: files the entry's bytes in the Sent folder. */
static gboolean
file_copy (PigeonStore      *self,
           sqlite3          *db,
           gint64            id,
           PigeonOutboxSave  save,
           GError          **error)
{
  g_autoptr(GBytes) raw = NULL;
  gint64 folder_id;

  if (save == PIGEON_OUTBOX_SAVE_NONE)
    return TRUE;
  folder_id = pigeon_store_ensure_folder (self, PIGEON_FOLDER_ROLE_SENT,
                                          save == PIGEON_OUTBOX_SAVE_LOCAL_FOLDER, error);
  if (folder_id == 0 || !read_raw (self, db, id, &raw, error))
    return FALSE;
  return pigeon_store_append_message (self, folder_id, raw, PIGEON_MESSAGE_FLAG_SEEN,
                                      error) != 0;
}

static gboolean
sent_func (PigeonStore *self,
           sqlite3     *db,
           gpointer     data,
           GError     **error)
{
  StateData *sd = data;
  g_autofree char *rejected = NULL;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "UPDATE outbox SET state = 2, sent_at = ?, last_error = ?, saved_to_sent = 1 "
    "WHERE id = ? AND state IN (1, 3)", error);

  if (stmt == NULL)
    return FALSE;
  if (sd->rejected != NULL && sd->rejected[0] != NULL)
    rejected = g_strjoinv ("\n", (char **) sd->rejected);
  sqlite3_bind_int64 (stmt, 1, pigeon_store_now ());
  pigeon_stmt_bind_text (stmt, 2, rejected);
  sqlite3_bind_int64 (stmt, 3, sd->id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The message is no longer being sent."));
      return FALSE;
    }
  pigeon_store_note_outbox (self);
  return file_copy (self, db, sd->id, sd->save, error);
}

gboolean
pigeon_store_outbox_mark_sent (PigeonStore        *self,
                               gint64              id,
                               const char * const *rejected,
                               PigeonOutboxSave    save,
                               GError            **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  sd.rejected = rejected;
  sd.save = save;
  return pigeon_store_run_write (self, sent_func, &sd, error);
}

static gboolean
save_copy_func (PigeonStore *self,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  StateData *sd = data;

  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE outbox SET saved_to_sent = 1 "
                               "WHERE id = ? AND state = 2 AND saved_to_sent = 0",
                               &sd->id, 1, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    return TRUE;
  return file_copy (self, db, sd->id, sd->save, error);
}

gboolean
pigeon_store_outbox_save_copy (PigeonStore       *self,
                               gint64             id,
                               PigeonOutboxSave   save,
                               GError           **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  sd.save = save;
  return pigeon_store_run_write (self, save_copy_func, &sd, error);
}

static gboolean
requeue_func (PigeonStore *self,
              sqlite3     *db,
              gpointer     data,
              GError     **error)
{
  StateData *sd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "UPDATE outbox SET state = 0, sent_at = 0, send_after = ?, last_error = ? "
    "WHERE id = ? AND state = 1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sd->send_after);
  pigeon_stmt_bind_text (stmt, 2, sd->text);
  sqlite3_bind_int64 (stmt, 3, sd->id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  pigeon_store_note_outbox (self);
  return TRUE;
}

gboolean
pigeon_store_outbox_requeue (PigeonStore  *self,
                             gint64        id,
                             gint64        send_after,
                             const char   *why,
                             GError      **error)
{
  StateData sd = { id, send_after, why };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, requeue_func, &sd, error);
}

static gboolean
fail_func (PigeonStore *self,
           sqlite3     *db,
           gpointer     data,
           GError     **error)
{
  StateData *sd = data;
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
    "UPDATE outbox SET state = 3, last_error = ? WHERE id = ? AND state IN (0, 1)", error);

  if (stmt == NULL)
    return FALSE;
  pigeon_stmt_bind_text (stmt, 1, sd->text);
  sqlite3_bind_int64 (stmt, 2, sd->id);
  if (!pigeon_store_step_done (self, db, stmt, error))
    return FALSE;
  pigeon_store_note_outbox (self);
  return TRUE;
}

gboolean
pigeon_store_outbox_fail (PigeonStore  *self,
                          gint64        id,
                          const char   *why,
                          GError      **error)
{
  StateData sd = { id, 0, why };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, fail_func, &sd, error);
}

static gboolean
retry_func (PigeonStore *self,
            sqlite3     *db,
            gpointer     data,
            GError     **error)
{
  StateData *sd = data;

  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE outbox SET state = 0, sent_at = 0, attempts = 0, "
                               "send_after = ?, last_error = NULL WHERE id = ? AND state = 3",
                               (const gint64[]) { pigeon_store_now (), sd->id }, 2, error))
    return FALSE;
  pigeon_store_note_outbox (self);
  return TRUE;
}

gboolean
pigeon_store_outbox_retry (PigeonStore  *self,
                           gint64        id,
                           GError      **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_run_write (self, retry_func, &sd, error);
}

static gboolean
cancel_func (PigeonStore *self,
             sqlite3     *db,
             gpointer     data,
             GError     **error)
{
  StateData *sd = data;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 pigeon_outbox_entry_free);
  ReadData rd = { sd->id, entries };

  if (!get_func (self, db, &rd, error))
    return FALSE;
  if (entries->len == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is no longer in the outbox."));
      return FALSE;
    }
  sd->entry = g_steal_pointer (&entries->pdata[0]);
  if (sd->entry->state != PIGEON_OUTBOX_QUEUED && sd->entry->state != PIGEON_OUTBOX_FAILED)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID, "%s",
                   sd->entry->state == PIGEON_OUTBOX_CANCELLED
                     ? _("The message was already taken back.")
                     : _("It is too late to undo: the message is on its way."));
      g_clear_pointer (&sd->entry, pigeon_outbox_entry_free);
      return FALSE;
    }

  if (!pigeon_store_exec_ints (self, db, "UPDATE outbox SET state = 4 WHERE id = ?", &sd->id, 1,
                               error))
    return FALSE;
  pigeon_store_note_outbox (self);
  return TRUE;
}

PigeonOutboxEntry *
pigeon_store_outbox_cancel (PigeonStore  *self,
                            gint64        id,
                            GError      **error)
{
  StateData sd = { id };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_write (self, cancel_func, &sd, error))
    {
      g_clear_pointer (&sd.entry, pigeon_outbox_entry_free);
      return NULL;
    }
  return sd.entry;
}

static void
cancel_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  PigeonOutboxEntry *entry;

  entry = pigeon_store_outbox_cancel (source_object, *(gint64 *) task_data, &error);
  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) pigeon_outbox_entry_free);
}

void
pigeon_store_outbox_cancel_async (PigeonStore         *self,
                                  gint64               id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_store_outbox_cancel_async);
  g_task_set_task_data (task, g_memdup2 (&id, sizeof id), g_free);
  g_task_run_in_thread (task, cancel_thread);
}

PigeonOutboxEntry *
pigeon_store_outbox_cancel_finish (PigeonStore   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
pigeon_store_outbox_purge (PigeonStore  *self,
                           gint64        older_than,
                           GError      **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);

  return pigeon_store_write_ints (self,
                                  "DELETE FROM outbox WHERE (state = 4 AND created < ?1) "
                                  "OR (state = 2 AND saved_to_sent = 1 AND sent_at < ?1)",
                                  &older_than, 1, error);
}

/* ------------------------------------------------------------------ folders, drafts */

typedef struct
{
  PigeonFolderRole role;
  gboolean         local_only;
  GBytes          *raw;
  gint64           replaces;
  gint64           id;
} FolderData;

static const char *
role_folder_path (PigeonFolderRole role)
{
  switch (role)
    {
    case PIGEON_FOLDER_ROLE_SENT:
      return "Sent";
    case PIGEON_FOLDER_ROLE_DRAFTS:
      return "Drafts";
    case PIGEON_FOLDER_ROLE_TRASH:
      return "Trash";
    case PIGEON_FOLDER_ROLE_JUNK:
      return "Junk";
    case PIGEON_FOLDER_ROLE_ARCHIVE:
      return "Archive";
    case PIGEON_FOLDER_ROLE_INBOX:
    case PIGEON_FOLDER_ROLE_NONE:
    default:
      return "INBOX";
    }
}

static gboolean
ensure_folder_func (PigeonStore *self,
                    sqlite3     *db,
                    gpointer     data,
                    GError     **error)
{
  FolderData *fd = data;
  const char *path = role_folder_path (fd->role);
  gboolean found;

  if (!pigeon_store_query_int (self, db,
                               "SELECT id FROM folders WHERE role = ? AND (flags & ?) = 0 "
                               "ORDER BY id LIMIT 1",
                               (const gint64[]) { fd->role, PIGEON_FOLDER_FLAG_NOSELECT }, 2,
                               &fd->id, &found, error))
    return FALSE;
  if (found)
    return TRUE;
  if (!pigeon_store_query_int_by_text (self, db, "SELECT id FROM folders WHERE path = ?", path,
                                       &fd->id, NULL, error))
    return FALSE;
  if (fd->id == 0)
    fd->id = pigeon_store_create_folder (self, path, NULL, fd->local_only, error);
  if (fd->id == 0)
    return FALSE;

  /* The role is what later lookups go by, whatever the name suggested. */
  if (!pigeon_store_exec_ints (self, db,
                               "UPDATE folders SET role = ?1 WHERE id = ?2 AND role <> ?1",
                               (const gint64[]) { fd->role, fd->id }, 2, error))
    return FALSE;
  if (sqlite3_changes (db) > 0)
    pigeon_store_note_folders_changed (self);
  return TRUE;
}

gint64
pigeon_store_ensure_folder (PigeonStore      *self,
                            PigeonFolderRole  role,
                            gboolean          local_only,
                            GError          **error)
{
  FolderData fd = { role, local_only };

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (role != PIGEON_FOLDER_ROLE_NONE, 0);

  if (!pigeon_store_run_write (self, ensure_folder_func, &fd, error))
    return 0;
  return fd.id;
}

/* Inside a write: removes the draft REPLACES.  One whose upload is still queued is
 * forgotten with its upload (nothing goes to the server); one the server has is deleted
 * there too. */
static gboolean
drop_draft (PigeonStore *self,
            sqlite3     *db,
            gint64       replaces,
            GError     **error)
{
  gint64 folder_id;
  gboolean queued;

  if (!pigeon_store_query_int (self, db,
                               "SELECT folder_id FROM pending_ops "
                               "WHERE kind = ? AND message_id = ? LIMIT 1",
                               (const gint64[]) { PIGEON_OP_APPEND, replaces }, 2, &folder_id,
                               &queued, error))
    return FALSE;
  if (!queued)
    return pigeon_store_expunge_messages (self, &replaces, 1, error);

  if (!pigeon_store_exec_ints (self, db, "DELETE FROM pending_ops WHERE message_id = ?",
                               &replaces, 1, error) ||
      !pigeon_store_exec_ints (self, db, "DELETE FROM messages WHERE id = ?", &replaces, 1,
                               error))
    return FALSE;
  if (sqlite3_changes (db) > 0)
    pigeon_store_note_message (self, folder_id, replaces, 'r');
  return TRUE;
}

static gboolean
save_draft_func (PigeonStore *self,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  FolderData *fd = data;
  gint64 folder_id = pigeon_store_ensure_folder (self, PIGEON_FOLDER_ROLE_DRAFTS,
                                                 fd->local_only, error);

  if (folder_id == 0)
    return FALSE;
  fd->id = pigeon_store_append_message (self, folder_id, fd->raw,
                                        PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_DRAFT,
                                        error);
  if (fd->id == 0)
    return FALSE;
  return fd->replaces == 0 || drop_draft (self, db, fd->replaces, error);
}

gint64
pigeon_store_save_draft (PigeonStore  *self,
                         GBytes       *raw,
                         gint64        replaces,
                         gboolean      local_only,
                         GError      **error)
{
  FolderData fd = { PIGEON_FOLDER_ROLE_DRAFTS, local_only, raw, replaces };

  g_return_val_if_fail (PIGEON_IS_STORE (self), 0);
  g_return_val_if_fail (raw != NULL, 0);

  if (!pigeon_store_run_write (self, save_draft_func, &fd, error))
    return 0;
  return fd.id;
}

static void
folder_data_free (FolderData *fd)
{
  g_bytes_unref (fd->raw);
  g_free (fd);
}

static void
save_draft_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  FolderData *fd = task_data;
  GError *error = NULL;
  gint64 id;

  id = pigeon_store_save_draft (source_object, fd->raw, fd->replaces, fd->local_only, &error);
  if (id == 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, id);
}

void
pigeon_store_save_draft_async (PigeonStore         *self,
                               GBytes              *raw,
                               gint64               replaces,
                               gboolean             local_only,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FolderData *fd;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (raw != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_store_save_draft_async);
  fd = g_new0 (FolderData, 1);
  fd->raw = g_bytes_ref (raw);
  fd->replaces = replaces;
  fd->local_only = local_only;
  g_task_set_task_data (task, fd, (GDestroyNotify) folder_data_free);
  g_task_run_in_thread (task, save_draft_thread);
}

gint64
pigeon_store_save_draft_finish (PigeonStore   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

static gboolean
discard_draft_func (PigeonStore *self,
                    sqlite3     *db,
                    gpointer     data,
                    GError     **error)
{
  return drop_draft (self, db, *(gint64 *) data, error);
}

void
pigeon_store_discard_draft_async (PigeonStore         *self,
                                  gint64               message_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (message_id > 0);

  pigeon_store_run_write_async (self, discard_draft_func, g_memdup2 (&message_id,
                                                                     sizeof message_id),
                                g_free, cancellable, callback, user_data);
}

gboolean
pigeon_store_discard_draft_finish (PigeonStore   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return pigeon_store_run_write_finish (self, result, error);
}

/* ------------------------------------------------------------------ completion */

void
pigeon_address_suggestion_free (PigeonAddressSuggestion *suggestion)
{
  if (suggestion == NULL)
    return;
  g_free (suggestion->name);
  g_free (suggestion->email);
  g_free (suggestion);
}

typedef struct
{
  char       *prefix;     /* casefolded */
  guint       limit;
  GHashTable *by_email;   /* casefolded email -> PigeonAddressSuggestion */
} CompleteData;

static gboolean
starts_word (const char *text,
             const char *prefix)
{
  g_autofree char *folded = NULL;
  const char *p;

  if (text == NULL)
    return FALSE;
  folded = g_utf8_casefold (text, -1);
  for (p = folded; *p; p = g_utf8_next_char (p))
    {
      if ((p == folded || !g_unichar_isalnum (g_utf8_get_char (g_utf8_prev_char (p)))) &&
          g_str_has_prefix (p, prefix))
        return TRUE;
    }
  return FALSE;
}

static void
consider (CompleteData *cd,
          const char   *name,
          const char   *email,
          guint         weight)
{
  g_autofree char *key = NULL;
  PigeonAddressSuggestion *s;

  if (email == NULL || strchr (email, '@') == NULL)
    return;
  if (!starts_word (email, cd->prefix) && !starts_word (name, cd->prefix))
    return;
  key = g_utf8_casefold (email, -1);
  s = g_hash_table_lookup (cd->by_email, key);
  if (s == NULL)
    {
      s = g_new0 (PigeonAddressSuggestion, 1);
      s->email = g_strdup (email);
      g_hash_table_insert (cd->by_email, g_steal_pointer (&key), s);
    }
  if (s->name == NULL && name != NULL && *name != '\0')
    s->name = g_strdup (name);
  s->score += weight;
}

static void
consider_list (CompleteData *cd,
               const char   *text)
{
  g_autoptr(InternetAddressList) list = NULL;

  if (text == NULL)
    return;
  list = internet_address_list_parse (NULL, text);
  for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        consider (cd, internet_address_get_name (address),
                  internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)), 1);
    }
}

/* "ab" → '"ab"*': a phrase prefix query that no FTS5 syntax in PREFIX can break out of. */
static char *
fts_prefix_query (const char *prefix)
{
  GString *query = g_string_new ("addresses : \"");

  for (const char *p = prefix; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (query, '"');
      g_string_append_c (query, *p);
    }
  g_string_append (query, "\"*");
  return g_string_free (query, FALSE);
}

static gboolean
complete_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  CompleteData *cd = data;
  g_autofree char *like = g_strdup_printf ("%s%%", cd->prefix);
  g_autofree char *query = fts_prefix_query (cd->prefix);

  {
    /* People written to weigh more than people merely seen. */
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT name, email, use_count FROM contacts "
      "WHERE email LIKE ?1 OR name LIKE ?1 OR name LIKE '% ' || ?1 "
      "ORDER BY use_count DESC, last_used DESC LIMIT 200", error);

    if (stmt == NULL)
      return FALSE;
    pigeon_stmt_bind_text (stmt, 1, like);
    for (;;)
      {
        gboolean has_row;

        if (!pigeon_store_step (self, db, stmt, &has_row, error))
          return FALSE;
        if (!has_row)
          break;
        consider (cd, (const char *) sqlite3_column_text (stmt, 0),
                  (const char *) sqlite3_column_text (stmt, 1),
                  5 * MAX (sqlite3_column_int (stmt, 2), 1));
      }
  }
  {
    g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db,
      "SELECT m.sender, m.recipients_to, m.recipients_cc FROM messages_fts f "
      "JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ? "
      "ORDER BY f.rowid DESC LIMIT 300", error);

    if (stmt == NULL)
      return FALSE;
    pigeon_stmt_bind_text (stmt, 1, query);
    for (;;)
      {
        gboolean has_row;

        if (!pigeon_store_step (self, db, stmt, &has_row, error))
          return FALSE;
        if (!has_row)
          break;
        for (int column = 0; column < 3; column++)
          consider_list (cd, (const char *) sqlite3_column_text (stmt, column));
      }
  }
  return TRUE;
}

static int
compare_suggestions (gconstpointer a,
                     gconstpointer b)
{
  const PigeonAddressSuggestion *sa = *(PigeonAddressSuggestion * const *) a;
  const PigeonAddressSuggestion *sb = *(PigeonAddressSuggestion * const *) b;

  if (sa->score != sb->score)
    return sa->score > sb->score ? -1 : 1;
  return g_utf8_collate (sa->email, sb->email);
}

GPtrArray *
pigeon_store_suggest_addresses (PigeonStore  *self,
                                const char   *prefix,
                                guint         limit,
                                GError      **error)
{
  g_autoptr(GHashTable) by_email = NULL;
  g_autoptr(GPtrArray) out = NULL;
  g_autofree char *stripped = NULL;
  CompleteData cd = { 0 };
  GHashTableIter iter;
  gpointer value;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_address_suggestion_free);
  stripped = g_strstrip (g_strdup (prefix));
  if (*stripped == '\0')
    return g_steal_pointer (&out);

  pigeon_mime_init ();
  by_email = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cd.prefix = g_utf8_casefold (stripped, -1);
  cd.limit = limit;
  cd.by_email = by_email;
  ok = pigeon_store_run_read (self, complete_func, &cd, error);
  g_free (cd.prefix);

  /* The array owns the suggestions from here, also when the read failed half-way. */
  g_hash_table_iter_init (&iter, by_email);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (out, value);
  if (!ok)
    return NULL;
  g_ptr_array_sort (out, compare_suggestions);
  if (limit > 0 && out->len > limit)
    g_ptr_array_set_size (out, limit);
  return g_steal_pointer (&out);
}
