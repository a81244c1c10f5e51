/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"
#include "pigeon-store-outbox.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_OUTBOX (pigeon_outbox_get_type ())
G_DECLARE_FINAL_TYPE (PigeonOutbox, pigeon_outbox, PIGEON, OUTBOX, GObject)

/*
 * The account's outbox sender.  A message is first written into the store's outbox (see
 * pigeon-store-outbox.h), then sent by whichever provider sends for the account
 * (pigeon_provider_new_for_sending: it never names a protocol), once its time has come:
 * after the undo delay, at the time the user chose, or at the next try after a failure
 * (30 s, doubling up to 15 minutes; at once when the network comes back).
 *
 * Never twice.  One sender per account at a time, across processes (a lock file beside the
 * store), so a second Pigeon or pigeonctl waits its turn.  An entry is SENDING while it is
 * being sent; the moment its data goes to the server is recorded (the provider's send
 * checkpoint, right before SMTP's final dot; for a provider without one, right before its
 * send is called), and the server's acceptance is recorded as SENT in the same transaction
 * as the copy in Sent.  An entry found SENDING when the sender starts belonged to a sender
 * that died:
 *   - its data had not been handed over: nothing reached the server, it is sent again;
 *   - its data had been handed over: the server may have accepted it in the instant before
 *     the process died.  If a message with its Message-ID is in the account's Sent folder
 *     (a server that files sent mail itself put it there), it is marked SENT; otherwise it
 *     becomes FAILED with a sentence saying it may already have been sent, and it is sent
 *     again only when the user says so.  A duplicate is never risked silently, and nothing
 *     is lost silently either.
 * The same holds when the connection drops while the server is answering the end of the
 * data.
 *
 * After acceptance the copy goes to the Sent folder through the store (an append the
 * account's provider replays; a local folder on accounts whose server keeps no folders),
 * unless the sending provider files it itself (PIGEON_PROVIDER_CAP_SAVES_SENT).  Recipients
 * the server refused are reported by address (the entry's last_error, the ::sent signal)
 * while the others get the message.
 *
 * Properties: account, store (construct-only), undo-delay (seconds a new message waits so
 * it can be taken back, default 5), n-waiting (QUEUED and SENDING entries), busy (a pass
 * is sending in the background: an application should not quit under it).
 * Signals, on the main context the outbox was made in:
 *   ::sent (gint64 id, const char *subject, GStrv rejected)
 *   ::failed (gint64 id, const char *subject, const char *why)   it needs the user
 */
PigeonOutbox   *pigeon_outbox_new              (PigeonAccount *account,
                                                PigeonStore   *store);
PigeonAccount  *pigeon_outbox_get_account      (PigeonOutbox  *self);
PigeonStore    *pigeon_outbox_get_store        (PigeonOutbox  *self);
guint           pigeon_outbox_get_undo_delay   (PigeonOutbox  *self);
void            pigeon_outbox_set_undo_delay   (PigeonOutbox  *self,
                                                guint          seconds);
guint           pigeon_outbox_get_n_waiting    (PigeonOutbox  *self);
/* The provider to send with.  By default each pass makes one with
 * pigeon_provider_new_for_sending; a caller that already has one (with its password, say)
 * may lend it.  The outbox uses it from its passes only, one at a time. */
void            pigeon_outbox_set_sender       (PigeonOutbox   *self,
                                                PigeonProvider *sender);

/* Queues RAW (from pigeon_message_builder_build or pigeon_message_prepare_for_sending:
 * CR LF, no Bcc header) for FROM → RECIPIENTS.  SEND_AT 0 sends after the undo delay;
 * else not before SEND_AT (seconds since 1970: send later).  Returns the entry's id. */
void            pigeon_outbox_queue_async      (PigeonOutbox        *self,
                                                GBytes              *raw,
                                                const char          *from,
                                                const char * const  *recipients,
                                                gint64               send_at,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gint64          pigeon_outbox_queue_finish     (PigeonOutbox  *self,
                                                GAsyncResult  *result,
                                                GError       **error);
/* Takes a message back (undo, or discarding one that failed): it will not be sent.  The
 * entry, with its bytes and recipients, goes back to the composer.  PIGEON_ERROR_INVALID
 * when it is already on its way. */
void            pigeon_outbox_undo_async       (PigeonOutbox        *self,
                                                gint64               id,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
PigeonOutboxEntry *pigeon_outbox_undo_finish   (PigeonOutbox  *self,
                                                GAsyncResult  *result,
                                                GError       **error);
/* A FAILED entry is tried again now (the user's "Send Again"). */
gboolean        pigeon_outbox_retry            (PigeonOutbox  *self,
                                                gint64         id,
                                                GError       **error);

/* Sends in the background from now on: what is due at once, the rest when its time
 * comes, again when the network returns.  pigeon_outbox_stop (or the last unref) ends it;
 * a send in progress finishes (or fails) first, its state safe in the store either way. */
void            pigeon_outbox_start            (PigeonOutbox  *self);
void            pigeon_outbox_stop             (PigeonOutbox  *self);
gboolean        pigeon_outbox_get_busy         (PigeonOutbox  *self);
/* Tries what waits now, whatever its next try said (the user's "Send Now", the network
 * back); a message scheduled for later keeps its time. */
void            pigeon_outbox_send_now         (PigeonOutbox  *self);

/* One pass, blocking (pigeonctl, tests; never the UI thread): sends every entry that is
 * due, and with RETRY_NOW also those waiting for their next try after a failure (never
 * one scheduled for later by the user).  What happened to each entry is in the store;
 * FALSE only when the pass could not run (the store, the lock, no provider). */
gboolean        pigeon_outbox_flush            (PigeonOutbox  *self,
                                                gboolean       retry_now,
                                                GCancellable  *cancellable,
                                                GError       **error);

G_END_DECLS
