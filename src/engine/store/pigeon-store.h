/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "pigeon-store-types.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_STORE (pigeon_store_get_type ())
G_DECLARE_FINAL_TYPE (PigeonStore, pigeon_store, PIGEON, STORE, GObject)

/*
 * One SQLite database per account (DIR/store.db, WAL), the account's local cache and the
 * truth for everything the user did that the server has not seen yet.
 *
 * Threads: every write runs on the store's own worker thread, one transaction per call.
 * The blocking calls below may be made from any thread but the UI thread (pigeonctl and
 * provider worker threads use them); they hand the work to the worker and wait.  Reads run
 * on the calling thread over a pooled read-only connection (WAL readers never wait for the
 * writer).  The UI uses the _async variants, or reads of a few rows at a time.
 *
 * Signals are emitted on the main context the store was opened in, after the transaction
 * that caused them committed:
 *   ::folders-changed ()                         folder rows added, removed or renamed
 *   ::folder-updated (gint64 folder_id)          counts or sync state of one folder changed
 *   ::messages-changed (PigeonStoreChange *)     rows of one folder added, updated, removed
 *   ::pending-ops-changed ()                     the queue grew (a provider should replay)
 *   ::outbox-changed ()
 */

/* Opens (creating and migrating as needed) DIR/store.db.  Errors: PIGEON_ERROR_STORE_TOO_NEW
 * for a database written by a newer Pigeon, PIGEON_ERROR_STORAGE for a damaged one or a full
 * disk; the message names the file and says what to do. */
PigeonStore    *pigeon_store_open               (const char    *dir,
                                                 GError       **error);
void            pigeon_store_open_async         (const char          *dir,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
PigeonStore    *pigeon_store_open_finish        (GAsyncResult  *result,
                                                 GError       **error);
/* Waits for queued writes, then closes the connections.  Called by dispose as well. */
void            pigeon_store_close              (PigeonStore   *self);
const char     *pigeon_store_get_path           (PigeonStore   *self);

/* The schema version this build writes (PRAGMA user_version). */
guint           pigeon_store_schema_version     (void);

/* ------------------------------------------------------------------ generic plumbing */

typedef gboolean (*PigeonStoreFunc) (PigeonStore  *store,
                                     sqlite3      *db,
                                     gpointer      data,
                                     GError      **error);

/* Runs FUNC on the worker inside one transaction (rolled back when it fails).  Code in
 * the store's own files uses this; it records changes with pigeon_store_note_*().  Store
 * calls FUNC makes run inline, in the same transaction (in a savepoint of their own). */
gboolean        pigeon_store_run_write          (PigeonStore    *self,
                                                 PigeonStoreFunc func,
                                                 gpointer        data,
                                                 GError        **error);
void            pigeon_store_run_write_async    (PigeonStore         *self,
                                                 PigeonStoreFunc      func,
                                                 gpointer             data,
                                                 GDestroyNotify       data_destroy,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        pigeon_store_run_write_finish   (PigeonStore   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);
/* Runs FUNC on the calling thread with a read-only connection. */
gboolean        pigeon_store_run_read           (PigeonStore    *self,
                                                 PigeonStoreFunc func,
                                                 gpointer        data,
                                                 GError        **error);

/* Inside a write: record what changed so the signals carry it. */
void            pigeon_store_note_folders_changed (PigeonStore *self);
void            pigeon_store_note_folder_updated  (PigeonStore *self,
                                                   gint64       folder_id);
void            pigeon_store_note_message         (PigeonStore *self,
                                                   gint64       folder_id,
                                                   gint64       message_id,
                                                   char         kind /* 'a', 'u', 'r' */);
void            pigeon_store_note_pending_ops     (PigeonStore *self);
void            pigeon_store_note_outbox          (PigeonStore *self);

/* Sets ERROR from the connection's last failure, as a sentence for the user
 * (a full disk, a damaged file, …). */
void            pigeon_store_set_sqlite_error   (PigeonStore   *self,
                                                 sqlite3       *db,
                                                 int            rc,
                                                 GError       **error);

/* ------------------------------------------------------------------ account state */

/* Small named values that belong to the account (ActiveSync device id, hierarchy sync key,
 * POP3 bookkeeping).  NULL when unset. */
char           *pigeon_store_get_state          (PigeonStore   *self,
                                                 const char    *key,
                                                 GError       **error);
gboolean        pigeon_store_set_state          (PigeonStore   *self,
                                                 const char    *key,
                                                 const char    *value,
                                                 GError       **error);

/* ------------------------------------------------------------------ folders */

/* The getters return NULL and no error when there is no such folder (get_folder_by_role:
 * the first folder with that role). */
GPtrArray      *pigeon_store_list_folders       (PigeonStore   *self,
                                                 GError       **error);  /* PigeonFolder* */
PigeonFolder   *pigeon_store_get_folder         (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GError       **error);
PigeonFolder   *pigeon_store_get_folder_by_path (PigeonStore   *self,
                                                 const char    *path,
                                                 GError       **error);
PigeonFolder   *pigeon_store_get_folder_by_role (PigeonStore   *self,
                                                 PigeonFolderRole role,
                                                 GError       **error);
PigeonFolder   *pigeon_store_get_folder_by_remote_id (PigeonStore *self,
                                                      const char  *remote_id,
                                                      GError     **error);
/* Inserts or updates (by path) the folder's name, parent, delimiter, role, flags and
 * remote id; sync state and counts are left alone.  Returns the row id (0 on error).
 * A NULL name or parent is derived from the path and delimiter.  A path not in the
 * store with a remote id that is renames that folder (ActiveSync). */
gint64          pigeon_store_upsert_folder      (PigeonStore        *self,
                                                 const PigeonFolder *folder,
                                                 GError            **error);
/* Replaces the whole folder list in one transaction: upserts FOLDERS and deletes every
 * folder (and its messages) not in it, except local ones and those the user created
 * that are still queued (PIGEON_OP_CREATE_FOLDER). */
gboolean        pigeon_store_replace_folders    (PigeonStore   *self,
                                                 GPtrArray     *folders,
                                                 GError       **error);
gboolean        pigeon_store_delete_folder      (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GError       **error);
/* Renames the folder and every folder below it. */
gboolean        pigeon_store_rename_folder      (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 const char    *new_path,
                                                 GError       **error);
gboolean        pigeon_store_set_folder_sync_state (PigeonStore *self,
                                                    gint64       folder_id,
                                                    guint32      uidvalidity,
                                                    guint32      uidnext,
                                                    guint64      highestmodseq,
                                                    const char  *sync_key,
                                                    GError     **error);
/* Drops every message of the folder and its sync state (UIDVALIDITY changed, invalid
 * sync key).  Pending operations on those messages are dropped as well.  Rows that have
 * no server identity yet (appended, or moved here by the user) stay with their
 * operations; a queued move out of the folder is dropped with the moved copy, so the
 * next sync brings the message back here once. */
gboolean        pigeon_store_reset_folder       (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GError       **error);

/* ------------------------------------------------------------------ messages */

/* Inserts or updates MESSAGES (PigeonMessage*) of FOLDER_ID in one transaction.  A row is
 * identified by (folder, uidvalidity, uid) when uid != 0, else by (folder, remote_id); an
 * existing row gets the new flags, modseq and any envelope field that is set.  Each
 * message's id is filled in.  The schema makes a duplicate impossible. */
gboolean        pigeon_store_upsert_messages    (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GPtrArray     *messages,
                                                 GError       **error);
/* Server-side flag changes, by uid (uid != 0, within the folder's current UIDVALIDITY)
 * or remote_id.  Here and in upsert_messages, changes the user queued that the server
 * has not seen yet are applied on top, so a sync never undoes them. */
typedef struct
{
  guint32            uid;
  const char        *remote_id;
  PigeonMessageFlags flags;
  guint64            modseq;
} PigeonFlagUpdate;
gboolean        pigeon_store_update_flags       (PigeonStore            *self,
                                                 gint64                  folder_id,
                                                 const PigeonFlagUpdate *updates,
                                                 guint                   n_updates,
                                                 GError                **error);
/* Messages the server no longer has (uids within the folder's current UIDVALIDITY). */
gboolean        pigeon_store_remove_by_uid      (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 const guint32 *uids,
                                                 guint          n_uids,
                                                 GError       **error);
gboolean        pigeon_store_remove_by_remote_id (PigeonStore       *self,
                                                  gint64             folder_id,
                                                  const char * const *remote_ids,
                                                  GError           **error);
gboolean        pigeon_store_remove_messages    (PigeonStore   *self,
                                                 const gint64  *message_ids,
                                                 guint          n_ids,
                                                 GError       **error);

/* NULL and no error when there is no such message.  By uid: among the folder's current
 * UIDVALIDITY (its sync state's, else the newest stored). */
PigeonMessage  *pigeon_store_get_message        (PigeonStore   *self,
                                                 gint64         message_id,
                                                 GError       **error);
PigeonMessage  *pigeon_store_get_message_by_uid (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 guint32        uid,
                                                 GError       **error);
PigeonMessage  *pigeon_store_get_message_by_remote_id (PigeonStore *self,
                                                       gint64       folder_id,
                                                       const char  *remote_id,
                                                       GError     **error);
/* Newest first (date, then id), OFFSET/LIMIT for paging; LIMIT 0 means all. */
GPtrArray      *pigeon_store_list_messages      (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 guint          offset,
                                                 guint          limit,
                                                 GError       **error);
guint           pigeon_store_count_messages     (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GError       **error);
/* (uid, flags) of every message of the folder with the given uidvalidity, by uid
 * ascending: GArray of PigeonUidFlags. */
typedef struct
{
  guint32            uid;
  PigeonMessageFlags flags;
  guint64            modseq;
} PigeonUidFlags;
GArray         *pigeon_store_list_uids          (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 guint32        uidvalidity,
                                                 GError       **error);
/* Remote ids of every message of the folder (for providers without uids). */
GPtrArray      *pigeon_store_list_remote_ids    (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GError       **error);

/* Stores the raw RFC 5322 bytes once and, from them, the search text, preview and
 * attachment flag. */
gboolean        pigeon_store_set_body           (PigeonStore   *self,
                                                 gint64         message_id,
                                                 GBytes        *raw,
                                                 GError       **error);
/* The same for N_BODIES messages in one transaction (a sync downloading many): a message
 * that has gone meanwhile is skipped. */
gboolean        pigeon_store_set_bodies         (PigeonStore   *self,
                                                 const gint64  *message_ids,
                                                 GBytes * const *raws,
                                                 guint          n_bodies,
                                                 GError       **error);
/* NULL (and no error) when the body is not cached yet. */
GBytes         *pigeon_store_get_body           (PigeonStore   *self,
                                                 gint64         message_id,
                                                 GError       **error);
/* Ids of messages in FOLDER_ID without a cached body, newest first, dated SINCE or later
 * (0: any date), at most LIMIT. */
GArray         *pigeon_store_list_missing_bodies (PigeonStore  *self,
                                                  gint64        folder_id,
                                                  gint64        since,
                                                  guint         limit,
                                                  GError      **error);

/* Full-text search (FTS5) over subject, addresses and body text.  QUERY is what the user
 * typed: words are matched as prefixes, all must match.  FOLDER_ID 0 searches every
 * folder.  Newest first. */
GPtrArray      *pigeon_store_search             (PigeonStore   *self,
                                                 const char    *query,
                                                 gint64         folder_id,
                                                 guint          limit,
                                                 GError       **error);

/* ------------------------------------------------------------------ the user's changes */

/* Each call changes the local rows and queues the matching pending operations in one
 * transaction, so the change shows at once and survives a crash.  Each operation carries
 * the message's server identity as it was when queued; ids of rows that are gone are
 * skipped, and a change that changes nothing queues nothing.  change_flags queues only
 * the bits that change (flags_add / flags_remove). */
gboolean        pigeon_store_change_flags       (PigeonStore       *self,
                                                 const gint64      *message_ids,
                                                 guint              n_ids,
                                                 PigeonMessageFlags add,
                                                 PigeonMessageFlags remove,
                                                 GError           **error);
/* Moves the rows to DEST_FOLDER_ID (their server identity is cleared until the provider
 * learns the new one) and queues PIGEON_OP_MOVE for each. */
gboolean        pigeon_store_move_messages      (PigeonStore   *self,
                                                 const gint64  *message_ids,
                                                 guint          n_ids,
                                                 gint64         dest_folder_id,
                                                 GError       **error);
/* Removes the rows and queues PIGEON_OP_EXPUNGE for each (delete for good). */
gboolean        pigeon_store_expunge_messages   (PigeonStore   *self,
                                                 const gint64  *message_ids,
                                                 guint          n_ids,
                                                 GError       **error);
/* Adds a local row in FOLDER_ID for RAW (envelope parsed from it, body stored) and
 * queues PIGEON_OP_APPEND with RAW as data and FLAGS as flags_add.  Returns the new row
 * id, 0 on error (PIGEON_ERROR_PROTOCOL when RAW is no message at all). */
gint64          pigeon_store_append_message     (PigeonStore       *self,
                                                 gint64             folder_id,
                                                 GBytes            *raw,
                                                 PigeonMessageFlags flags,
                                                 GError           **error);
/* Folder changes made by the user: the local change plus the queued operation. */
gint64          pigeon_store_create_folder      (PigeonStore   *self,
                                                 const char    *path,
                                                 const char    *delimiter,
                                                 gboolean       local_only,
                                                 GError       **error);

void            pigeon_store_change_flags_async (PigeonStore         *self,
                                                 const gint64        *message_ids,
                                                 guint                n_ids,
                                                 PigeonMessageFlags   add,
                                                 PigeonMessageFlags   remove,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void            pigeon_store_move_messages_async (PigeonStore         *self,
                                                  const gint64        *message_ids,
                                                  guint                n_ids,
                                                  gint64               dest_folder_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void            pigeon_store_expunge_messages_async (PigeonStore         *self,
                                                     const gint64        *message_ids,
                                                     guint                n_ids,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* Finishes any of the three above. */
gboolean        pigeon_store_change_finish      (PigeonStore   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);

/* ------------------------------------------------------------------ pending operations */

GPtrArray      *pigeon_store_list_pending_ops   (PigeonStore   *self,
                                                 GError       **error);  /* oldest first */
guint           pigeon_store_count_pending_ops  (PigeonStore   *self,
                                                 GError       **error);
/* One operation as it is now (set_message_server_id may have given it an identity since
 * it was listed); NULL and no error when it is no longer queued. */
PigeonPendingOp *pigeon_store_get_pending_op    (PigeonStore   *self,
                                                 gint64         op_id,
                                                 GError       **error);
/* The server has it: remove it from the queue. */
gboolean        pigeon_store_complete_pending_op (PigeonStore  *self,
                                                  gint64        op_id,
                                                  GError      **error);
/* It failed; count the attempt (the caller decides when to give up and complete it). */
gboolean        pigeon_store_retry_pending_op   (PigeonStore   *self,
                                                 gint64         op_id,
                                                 GError       **error);
/* After a move or append: the message now has this identity on the server (or, with
 * uid 0 and remote_id NULL, the row is dropped so the next sync brings it back once).
 * Operations queued for the message after it lost its identity get this one, up to and
 * including the next queued move; while such a move is queued the row keeps waiting for
 * the identity that move brings.  So re-read the queue after calling this.  A second
 * row with the same identity in the folder (a sync brought it in first) is dropped. */
gboolean        pigeon_store_set_message_server_id (PigeonStore *self,
                                                    gint64       message_id,
                                                    guint32      uidvalidity,
                                                    guint32      uid,
                                                    const char  *remote_id,
                                                    GError     **error);

G_END_DECLS
