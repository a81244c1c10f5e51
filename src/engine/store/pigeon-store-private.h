/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * Shared by the store's own files.  Every function here runs inside pigeon_store_run_write
 * or pigeon_store_run_read, on the connection the calling thread is working on.
 */

/* A statement from the connection's cache: prepared once, reset (not finalized) when
 * released.  g_autoptr(PigeonStmt) releases it at the end of the scope.  SQL must be a
 * string literal: the cache knows statements by the address of their text. */
typedef sqlite3_stmt PigeonStmt;
PigeonStmt     *pigeon_store_prepare            (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 GError       **error);
void            pigeon_stmt_release             (PigeonStmt    *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonStmt, pigeon_stmt_release)

/* Runs SQL (no parameters, no rows wanted) through the statement cache. */
gboolean        pigeon_store_exec               (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 GError       **error);
/* The same with ?1 … ?N_ARGS bound to the integers in ARGS; sqlite3_changes() tells
 * afterwards how many rows it touched. */
gboolean        pigeon_store_exec_ints          (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 const gint64  *args,
                                                 guint          n_args,
                                                 GError       **error);
/* Runs SQL with ?1 … ?N_ARGS bound to ARGS and reads the first column of its first row
 * into *VALUE: 0, and *FOUND FALSE, when no row came.  VALUE and FOUND may be NULL. */
gboolean        pigeon_store_query_int          (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 const gint64  *args,
                                                 guint          n_args,
                                                 gint64        *value,
                                                 gboolean      *found,
                                                 GError       **error);
/* The same with ?1 bound to TEXT. */
gboolean        pigeon_store_query_int_by_text  (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 const char    *text,
                                                 gint64        *value,
                                                 gboolean      *found,
                                                 GError       **error);
/* Steps once: TRUE with *HAS_ROW telling whether a row came, FALSE on error. */
gboolean        pigeon_store_step               (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 PigeonStmt    *stmt,
                                                 gboolean      *has_row,
                                                 GError       **error);
/* Steps until the statement is done, appending each row's first column (an id, gint64)
 * to IDS. */
gboolean        pigeon_store_step_collect_ids   (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 PigeonStmt    *stmt,
                                                 GArray        *ids,
                                                 GError       **error);
/* Steps a DELETE … RETURNING id, folder_id until it is done, noting each row removed. */
gboolean        pigeon_store_step_removed       (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 PigeonStmt    *stmt,
                                                 GError       **error);
/* The same for SQL with ?1 … ?N_ARGS bound to the integers in ARGS. */
gboolean        pigeon_store_exec_removed       (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *sql,
                                                 const gint64  *args,
                                                 guint          n_args,
                                                 GError       **error);
/* Steps until the statement is done (rows, if any, are ignored). */
gboolean        pigeon_store_step_done          (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 PigeonStmt    *stmt,
                                                 GError       **error);

/* NULL binds SQL NULL; the text is copied. */
void            pigeon_stmt_bind_text           (PigeonStmt    *stmt,
                                                 int            index,
                                                 const char    *text);
char           *pigeon_stmt_dup_text            (PigeonStmt    *stmt,
                                                 int            column);

/* Queues FUNC on the worker as an async call tagged SOURCE_TAG (for the _finish checks);
 * DATA is destroyed on the worker once FUNC ran or was skipped. */
void            pigeon_store_submit_async       (PigeonStore         *self,
                                                 PigeonStoreFunc      func,
                                                 gpointer             data,
                                                 GDestroyNotify       data_destroy,
                                                 gpointer             source_tag,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

/* Column lists and row readers, so every query returns the same shape. */
#define PIGEON_STORE_FOLDER_COLUMNS \
  "id, path, name, parent_path, delimiter, role, flags, remote_id, uidvalidity, uidnext, " \
  "highestmodseq, sync_key, total, unread"
PigeonFolder   *pigeon_store_folder_from_row    (PigeonStmt    *stmt);

#define PIGEON_STORE_MESSAGE_COLUMNS \
  "m.id, m.folder_id, m.uidvalidity, m.uid, m.remote_id, m.message_id, m.in_reply_to, " \
  "m.refs, m.date, m.internal_date, m.sender, m.reply_to, m.recipients_to, " \
  "m.recipients_cc, m.subject, m.flags, m.modseq, m.size, m.has_attachments, m.preview, " \
  "m.thread_id, EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id)"
PigeonMessage  *pigeon_store_message_from_row   (PigeonStmt    *stmt);

/* Reads a list of rows made by FROM_ROW (PigeonFolder or PigeonMessage readers). */
typedef gpointer (*PigeonRowFunc) (PigeonStmt *stmt);
gboolean        pigeon_store_collect_rows       (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 PigeonStmt    *stmt,
                                                 PigeonRowFunc  from_row,
                                                 GPtrArray     *into,
                                                 GError       **error);

/* Seconds since 1970. */
gint64          pigeon_store_now                (void);

/* Inside a write: appends OP to the queue (its id and created time are assigned) and
 * notes the queue grew. */
gboolean        pigeon_store_queue_op           (PigeonStore           *self,
                                                 sqlite3               *db,
                                                 const PigeonPendingOp *op,
                                                 GError               **error);

/* Inside a write: the search row of MESSAGE_ID (replacing any); BODY may be NULL. */
gboolean        pigeon_store_fts_set            (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 gint64         message_id,
                                                 const char    *subject,
                                                 const char    *from,
                                                 const char    *to,
                                                 const char    *cc,
                                                 const char    *body,
                                                 GError       **error);

/* Inside a write: inserts a new message row in FOLDER_ID from MESSAGE (its identity, flags
 * and envelope) with its search row, notes it, and returns the new id (0 on error). */
gint64          pigeon_store_insert_message     (PigeonStore         *self,
                                                 sqlite3             *db,
                                                 gint64               folder_id,
                                                 const PigeonMessage *message,
                                                 const char          *body_text,
                                                 GError             **error);

/* Inside a write: deletes folder FOLDER_ID (its messages cascade) and notes it all. */
gboolean        pigeon_store_delete_folder_row  (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 gint64         folder_id,
                                                 GError       **error);

/* Called as the public API is (not from inside a store function's own statements):
 * pigeon_store_exec_ints() as a write of its own, for calls that are that one statement
 * and note nothing. */
gboolean        pigeon_store_write_ints         (PigeonStore   *self,
                                                 const char    *sql,
                                                 const gint64  *args,
                                                 guint          n_args,
                                                 GError       **error);
/* Likewise pigeon_store_query_int() as a read of its own. */
gboolean        pigeon_store_read_int           (PigeonStore   *self,
                                                 const char    *sql,
                                                 const gint64  *args,
                                                 guint          n_args,
                                                 gint64        *value,
                                                 gboolean      *found,
                                                 GError       **error);

/* Inside a read or write: TRUE when folder FOLDER_ID is there, else FALSE with the
 * folder-not-found error. */
gboolean        pigeon_store_check_folder       (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 gint64         folder_id,
                                                 GError       **error);

/* Inside a read or write: TRUE when no folder has PATH, else FALSE with an error that
 * says the name is taken. */
gboolean        pigeon_store_check_path_free    (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 const char    *path,
                                                 GError       **error);

/* The last path component, after DELIMITER (the whole path without one). */
char           *pigeon_store_folder_name_from_path   (const char *path,
                                                      const char *delimiter);
/* Everything before the last DELIMITER; NULL at the top or without one. */
char           *pigeon_store_folder_parent_from_path (const char *path,
                                                      const char *delimiter);

/* PIGEON_ERROR_NOT_FOUND for a message or folder that is no longer in the store. */
void            pigeon_store_set_message_not_found (GError **error);
void            pigeon_store_set_folder_not_found  (GError **error);

G_END_DECLS
