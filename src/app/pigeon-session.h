/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-account.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_SESSION (pigeon_session_get_type ())
G_DECLARE_FINAL_TYPE (PigeonSession, pigeon_session, PIGEON, SESSION, GObject)

/*
 * What the window keeps per account while it runs: the account, its store (opened in the
 * background; a store that cannot open leaves an error for this account only, the others
 * work), and its PigeonAccountSync, started when the store opens (for an enabled account)
 * and stopped on shutdown or when the account is turned off.  The account's state, status
 * text, last error and quota tell the window how it goes.
 *
 * Properties: account, store (NULL until open), store-error (GError, NULL when fine),
 * initial-sync-done (the account has been synced completely at least once, in this run or
 * before: new mail from then on is news worth a notification).
 */
PigeonSession  *pigeon_session_new             (PigeonAccount *account,
                                                const char    *store_dir);
PigeonAccount  *pigeon_session_get_account     (PigeonSession *self);
PigeonStore    *pigeon_session_get_store       (PigeonSession *self);
const GError   *pigeon_session_get_store_error (PigeonSession *self);
gboolean        pigeon_session_get_initial_sync_done (PigeonSession *self);
/* Stops background work and closes the store (before the account is removed). */
void            pigeon_session_shutdown        (PigeonSession *self);

/* "Get Mail": syncs the account now, forgetting any backoff (after fixing a password or
 * trusting a certificate, too). */
void            pigeon_session_sync_now        (PigeonSession *self);
/* Brings one folder up to date next ("Synchronize Folder"). */
void            pigeon_session_resync_folder   (PigeonSession *self,
                                                gint64         folder_id);
/* The user looks at this folder: it is synced before the others. */
void            pigeon_session_folder_shown    (PigeonSession *self,
                                                gint64         folder_id);
/* Downloads the body of a message the store has only the envelope of. */
void            pigeon_session_fetch_body_async  (PigeonSession       *self,
                                                  gint64               message_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        pigeon_session_fetch_body_finish (PigeonSession  *self,
                                                  GAsyncResult   *result,
                                                  GError        **error);

/* Downloads an attachment that a stored message holds only as a placeholder with REFERENCE
 * (see PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE); finish gives its bytes, kept in the stored
 * message from then on. */
void            pigeon_session_fetch_attachment_async  (PigeonSession       *self,
                                                        gint64               message_id,
                                                        const char          *reference,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GBytes         *pigeon_session_fetch_attachment_finish (PigeonSession  *self,
                                                        GAsyncResult   *result,
                                                        GError        **error);

/* Searches the account's server for QUERY in FOLDER_ID (0: every folder), in the
 * background; finish gives the store ids of the hits, newest first (GArray of gint64), all
 * of them in the store by then.  Accounts whose provider cannot search their server fail
 * with PIGEON_ERROR_UNSUPPORTED. */
void            pigeon_session_search_async     (PigeonSession       *self,
                                                 const char          *query,
                                                 gint64               folder_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GArray         *pigeon_session_search_finish    (PigeonSession  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);
/* Whether the account's provider can search its server. */
gboolean        pigeon_session_can_search_server (PigeonSession *self);

G_END_DECLS
