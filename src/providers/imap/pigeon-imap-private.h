/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-imap-provider.h"
#include "pigeon-imap-session.h"

G_BEGIN_DECLS

/* What LIST-STATUS said about a mailbox, to skip folders that did not change. */
typedef struct
{
  guint32 messages;
  guint32 uidnext;
  guint32 uidvalidity;
  guint64 highestmodseq;
} PigeonImapStatusItems;

struct _PigeonImapProvider
{
  PigeonProvider parent_instance;

  PigeonImapSession *work;     /* folder list, folder sync, bodies, changes */
  PigeonImapSession *idle;     /* IDLE on the inbox, opened by wait_for_changes */
  gboolean idle_changed;       /* the idle session saw a change */
  GHashTable *idle_mailboxes;  /* raw names of the mailboxes it saw change (set) */

  char *personal_prefix;       /* NAMESPACE: personal namespace prefix ("" or "INBOX.") */
  char *personal_delimiter;
  GHashTable *status;          /* raw mailbox name -> PigeonImapStatusItems, used once */
};

/* pigeon-imap-login.c: a logged-in session (TLS, capabilities, authentication, ID,
 * ENABLE, COMPRESS, NAMESPACE). */
PigeonImapSession *pigeon_imap_open_session      (PigeonImapProvider *self,
                                                  const char         *purpose,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* The work session, opened (again) when needed. */
PigeonImapSession *pigeon_imap_get_work_session  (PigeonImapProvider *self,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* Drops a broken session so the next call opens a new one. */
void               pigeon_imap_release_broken    (PigeonImapProvider *self);

/* pigeon-imap-folders.c */
gboolean           pigeon_imap_sync_folder_list  (PigeonImapProvider *self,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* The folder's name on the wire (the listed name; else the path in modified UTF-7, or
 * UTF-8 where the session uses it). */
char              *pigeon_imap_folder_mailbox    (PigeonImapSession  *session,
                                                  const PigeonFolder *folder);
char              *pigeon_imap_path_to_mailbox   (PigeonImapSession  *session,
                                                  const char         *path);

/* pigeon-imap-folder-sync.c */
gboolean           pigeon_imap_sync_one_folder   (PigeonImapProvider *self,
                                                  gint64              folder_id,
                                                  PigeonSyncFlags     flags,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
gboolean           pigeon_imap_fetch_one_body    (PigeonImapProvider *self,
                                                  gint64              message_id,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* The whole message UID of the mailbox selected on SESSION; NULL without an error when the
 * server has no such message. */
GBytes            *pigeon_imap_fetch_uid_body    (PigeonImapSession  *session,
                                                  guint32             uid,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* Fetches the envelopes of UIDS of FOLDER, selected on SESSION, into the store as the
 * folder sync does (newest first, pipelined, a transaction per batch); sorts UIDS. */
gboolean           pigeon_imap_fetch_envelopes   (PigeonImapProvider *self,
                                                  PigeonImapSession  *session,
                                                  const PigeonFolder *folder,
                                                  GArray             *uids,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* Selects FOLDER read-write on SESSION unless it already is; FALSE with NOT_FOUND when
 * the server has no such mailbox. */
gboolean           pigeon_imap_ensure_selected   (PigeonImapSession  *session,
                                                  const PigeonFolder *folder,
                                                  GCancellable       *cancellable,
                                                  GError            **error);

/* pigeon-imap-ops.c */
gboolean           pigeon_imap_apply_op          (PigeonImapProvider    *self,
                                                  const PigeonPendingOp *op,
                                                  GCancellable          *cancellable,
                                                  GError               **error);

/* pigeon-imap-search.c: UID SEARCH in FOLDER_ID (0: every selectable folder); hits the
 * store lacks are fetched; their ids are appended to MESSAGE_IDS. */
gboolean           pigeon_imap_search            (PigeonImapProvider *self,
                                                  const char         *query,
                                                  gint64              folder_id,
                                                  GArray             *message_ids,
                                                  GCancellable       *cancellable,
                                                  GError            **error);

/* pigeon-imap-idle.c */
gboolean           pigeon_imap_wait_for_changes  (PigeonImapProvider *self,
                                                  guint               timeout_seconds,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
void               pigeon_imap_take_changes      (PigeonImapProvider *self,
                                                  GArray             *folder_ids);

G_END_DECLS
