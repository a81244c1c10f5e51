/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-account.h"
#include "pigeon-provider.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * Keeps one account in sync while the program runs, whatever its protocol.
 *
 * A worker thread (the sync lane) connects, learns the folder list, brings the inbox and
 * then every other folder up to date (envelopes of all folders first, then bodies within
 * the account's sync window), and then waits for the server to report changes (push, where
 * the provider has it) or for the check interval to pass.  Transient failures are retried
 * with capped exponential backoff and jitter; a refused password or an untrusted
 * certificate stops all retrying until pigeon_account_sync_retry_now().  When the network
 * monitor reports no network the account goes quiet (OFFLINE) and resumes when it returns.
 *
 * For providers whose server keeps the mail, a second provider instance in its own thread
 * (the change lane) replays the user's queued changes within a moment of them being made
 * (the store's ::pending-ops-changed), downloads bodies the user asked for and runs the
 * user's searches on the server, even while a long sync runs.  So an account uses at most
 * three connections: syncing, push, changes.
 * Other providers do all of it in the sync lane.
 *
 * The account's runtime properties (state, status text, last error, quota) are updated on
 * the main context this object was created in.
 */

#define PIGEON_TYPE_ACCOUNT_SYNC (pigeon_account_sync_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccountSync, pigeon_account_sync, PIGEON, ACCOUNT_SYNC, GObject)

/* Times the scheduler uses; the defaults suit people, tests shorten them. */
typedef struct
{
  guint backoff_first_ms;     /* first retry after a transient failure (2,000) */
  guint backoff_max_ms;       /* cap (300,000) */
  guint push_renew_seconds;   /* longest single wait_for_changes with push (1,500) */
  guint check_interval_seconds; /* 0: the account's check-interval (minutes) */
  guint idle_disconnect_seconds;  /* the change lane hangs up after this long unused (120) */
} PigeonSyncTiming;

PigeonAccountSync *pigeon_account_sync_new          (PigeonAccount     *account,
                                                     PigeonStore       *store);
PigeonAccount     *pigeon_account_sync_get_account  (PigeonAccountSync *self);
PigeonStore       *pigeon_account_sync_get_store    (PigeonAccountSync *self);

/* Starts the threads (FALSE with an error when the account's protocol is unknown). */
gboolean           pigeon_account_sync_start        (PigeonAccountSync *self,
                                                     GError           **error);
/* Stops them: cancels what runs, logs out, and waits for the threads to end. */
void               pigeon_account_sync_stop         (PigeonAccountSync *self);
gboolean           pigeon_account_sync_is_running   (PigeonAccountSync *self);

/* The user acted (entered the password, trusted the certificate, pressed "Sync now"):
 * connect and sync at once, forgetting any backoff. */
void               pigeon_account_sync_retry_now    (PigeonAccountSync *self);
/* The user looks at this folder: sync it next. */
void               pigeon_account_sync_request_folder (PigeonAccountSync *self,
                                                       gint64             folder_id);
/* Downloads one message's body now (the user opened it). */
void               pigeon_account_sync_fetch_body_async  (PigeonAccountSync   *self,
                                                          gint64               message_id,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           pigeon_account_sync_fetch_body_finish (PigeonAccountSync  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

/* Searches the server (pigeon_provider_search) in FOLDER_ID, or everywhere with 0, in the
 * lane that serves the user's requests; finish returns the store ids of the hits, newest
 * first (GArray of gint64). */
void               pigeon_account_sync_search_async      (PigeonAccountSync   *self,
                                                          const char          *query,
                                                          gint64               folder_id,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GArray            *pigeon_account_sync_search_finish     (PigeonAccountSync  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

/* Downloads an attachment the store holds only as a placeholder with REFERENCE
 * (pigeon_provider_fetch_attachment) in the lane that serves the user's requests; finish
 * gives its decoded bytes, which the stored message holds from then on. */
void               pigeon_account_sync_fetch_attachment_async  (PigeonAccountSync   *self,
                                                                gint64               message_id,
                                                                const char          *reference,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
GBytes            *pigeon_account_sync_fetch_attachment_finish (PigeonAccountSync  *self,
                                                                GAsyncResult       *result,
                                                                GError            **error);

/* For tests and special setups; call before start. */
void               pigeon_account_sync_set_timing   (PigeonAccountSync      *self,
                                                     const PigeonSyncTiming *timing);
void               pigeon_account_sync_set_network_monitor (PigeonAccountSync *self,
                                                            GNetworkMonitor   *monitor);

G_END_DECLS
