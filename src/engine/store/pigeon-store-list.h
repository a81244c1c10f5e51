/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * What a message list needs from the store: the order of a folder's rows as compact
 * entries (so a view of a million messages holds ids, not messages), the rows behind a
 * handful of ids, conversations, and the user's folder changes that the list's menus make.
 * Like the rest of the store, the reads run on the calling thread over a read connection;
 * the whole-folder ones belong on a worker thread.
 */

/* One row of a message list.  Unthreaded: one message.  Threaded: one conversation in the
 * folder, represented by its newest message (ID and DATE), with its size and unread
 * count. */
typedef struct
{
  gint64      id;
  gint64      date;
  gint64      thread_id;
  guint32     count;
  guint32     unread;
  const char *sender;   /* with PIGEON_LIST_WITH_SENDER: in the caller's string chunk (the
                         * To field instead with PIGEON_LIST_RECIPIENTS) */
} PigeonListEntry;

typedef enum /*< flags >*/
{
  PIGEON_LIST_NONE        = 0,
  PIGEON_LIST_THREADED    = 1 << 0,  /* one entry per conversation */
  PIGEON_LIST_WITH_SENDER = 1 << 1,  /* fill PigeonListEntry.sender */
  PIGEON_LIST_RECIPIENTS  = 1 << 2,  /* ... with the To field (Sent, Drafts) */
} PigeonListFlags;

/* Every entry of FOLDER_ID, newest first (date, then id, descending; conversations by
 * their newest message).  Threaded, conversations are assigned first (see
 * pigeon_store_assign_threads), which writes.  SENDERS holds the sender strings. */
GArray     *pigeon_store_list_entries       (PigeonStore     *self,
                                             gint64           folder_id,
                                             PigeonListFlags  flags,
                                             GStringChunk    *senders,
                                             GError         **error);
/* The messages of one conversation in FOLDER_ID, oldest first; count 1 each. */
GArray     *pigeon_store_list_thread        (PigeonStore     *self,
                                             gint64           folder_id,
                                             gint64           thread_id,
                                             GError         **error);
/* Full-text search as pigeon_store_search, as entries (FOLDER_ID 0: every folder). */
GArray     *pigeon_store_search_entries     (PigeonStore     *self,
                                             const char      *query,
                                             gint64           folder_id,
                                             guint            limit,
                                             GStringChunk    *senders,
                                             GError         **error);
/* The rows behind IDS, in no particular order; ids no longer in the store are left out. */
GPtrArray  *pigeon_store_get_messages       (PigeonStore     *self,
                                             const gint64    *ids,
                                             guint            n_ids,
                                             GError         **error);  /* PigeonMessage* */
/* Ids of the unread messages of FOLDER_ID (for "Mark Folder as Read"). */
GArray     *pigeon_store_list_unread_ids    (PigeonStore     *self,
                                             gint64           folder_id,
                                             GError         **error);
/* Ids of every message of the conversation THREAD_ID, in any folder. */
GArray     *pigeon_store_list_thread_ids    (PigeonStore     *self,
                                             gint64           thread_id,
                                             GError         **error);

/* Gives every message of FOLDER_ID without one a conversation id: that of the nearest
 * message it refers to (References, then In-Reply-To) already in the store, else one
 * derived from the first message id it refers to, so replies that arrive before the
 * message they answer still join it.  Runs one transaction on the writer. */
gboolean    pigeon_store_assign_threads     (PigeonStore     *self,
                                             gint64           folder_id,
                                             GError         **error);

/* The conversation id derived from a message's headers alone (never 0). */
gint64      pigeon_store_thread_key         (const char      *message_id,
                                             const char      *in_reply_to,
                                             const char      *references,
                                             gint64           row_id);

/* The user's folder changes, as pigeon_store_create_folder: the local change and the queued
 * operation in one transaction.  Renaming moves the folders below along. */
gboolean    pigeon_store_user_rename_folder (PigeonStore     *self,
                                             gint64           folder_id,
                                             const char      *new_path,
                                             GError         **error);
/* Deletes the folder, the folders below it and their messages. */
gboolean    pigeon_store_user_delete_folder (PigeonStore     *self,
                                             gint64           folder_id,
                                             GError         **error);

G_END_DECLS
