/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * POP3 bookkeeping (table pop3_uidls): every unique id ever downloaded, committed in the
 * same transaction as the message it produced, and whether the server copy is still to be
 * deleted (delete_pending) or is gone (deleted).  A known id is never downloaded again, so a
 * crash between the commit and the server's DELE neither loses nor duplicates mail.
 */

/* One row of pop3_uidls. */
typedef struct
{
  char    *uidl;
  gint64   message_id;      /* the local row it produced; it may since have been expunged */
  gboolean message_exists;  /* whether that local row is still there */
  gint64   size;            /* octets on the server */
  gint64   downloaded_at;   /* seconds since 1970 */
  gboolean delete_pending;  /* delete it on the server at the next session */
  gboolean deleted;         /* the server no longer has it */
} PigeonStoreUidl;

void        pigeon_store_uidl_free             (PigeonStoreUidl *uidl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonStoreUidl, pigeon_store_uidl_free)

/* Every row, uidl -> PigeonStoreUidl*. */
GHashTable *pigeon_store_pop3_list_uidls       (PigeonStore   *self,
                                                GError       **error);

/* A message as downloaded, ready to be committed.  Parsing (envelope, search text,
 * preview) happens here, on the caller's thread, so the store's writer is not held up. */
typedef struct _PigeonStoreDownload PigeonStoreDownload;

PigeonStoreDownload *pigeon_store_download_new  (const char          *uidl,
                                                 gint64               server_size,
                                                 GBytes              *raw,
                                                 gint64               received);
void        pigeon_store_download_free          (PigeonStoreDownload *download);
/* The local row id, after a commit (0 when it was skipped as already known). */
gint64      pigeon_store_download_get_message_id (PigeonStoreDownload *download);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonStoreDownload, pigeon_store_download_free)

/* Commits DOWNLOADS (PigeonStoreDownload*) in one transaction: for each, a message row in
 * FOLDER_ID (remote_id = its uidl) with its raw bytes and search text, and its pop3_uidls row
 * with DELETE_PENDING.  A uidl that is already known is skipped: nothing is stored twice. */
gboolean    pigeon_store_pop3_commit_downloads  (PigeonStore   *self,
                                                 gint64         folder_id,
                                                 GPtrArray     *downloads,
                                                 gboolean       delete_pending,
                                                 GError       **error);

/* Marks the server copies of UIDLS (NULL-terminated) to be deleted at the next session. */
gboolean    pigeon_store_pop3_mark_delete_pending (PigeonStore        *self,
                                                   const char * const *uidls,
                                                   GError            **error);
/* The same for whatever uidl produced local message MESSAGE_ID (an expunged message);
 * TRUE also when there is none. */
gboolean    pigeon_store_pop3_mark_message_delete_pending (PigeonStore *self,
                                                           gint64       message_id,
                                                           GError     **error);
/* The server confirmed the deletion of UIDLS, or no longer lists them. */
gboolean    pigeon_store_pop3_mark_deleted      (PigeonStore        *self,
                                                 const char * const *uidls,
                                                 GError            **error);

/* Makes every committed transaction durable (syncs the write-ahead log to disk), so a power
 * cut after the server deleted its copy cannot take the local one. */
gboolean    pigeon_store_pop3_flush             (PigeonStore        *self,
                                                 GError            **error);

G_END_DECLS
