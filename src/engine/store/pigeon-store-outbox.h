/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * The store's part in sending: the outbox table (messages waiting to be sent, durable
 * before anything goes on the wire), drafts, and the addresses the composer completes.
 * Every call here is blocking (worker threads, pigeonctl) unless it is an _async one; each
 * write is one transaction and emits ::outbox-changed when it touched the outbox.
 *
 * An entry's life (the state column):
 *   QUEUED  → SENDING    claimed by the one sender of the account (pigeon_store_outbox_claim)
 *   SENDING → handed_over  the message data went to the server (sent_at set while SENDING)
 *   SENDING → SENT       the server accepted it, in the same transaction as the copy in Sent
 *   SENDING → QUEUED     it failed in a way worth trying again (send_after: the next try)
 *   SENDING → FAILED     it needs the user (refused, too big, or maybe sent: see last_error)
 *   QUEUED  → CANCELLED  undo, or the user discarded it
 *   FAILED  → QUEUED     the user said "send again"
 */

typedef enum
{
  PIGEON_OUTBOX_QUEUED,
  PIGEON_OUTBOX_SENDING,
  PIGEON_OUTBOX_SENT,
  PIGEON_OUTBOX_FAILED,
  PIGEON_OUTBOX_CANCELLED,
} PigeonOutboxState;

typedef struct
{
  gint64            id;
  GBytes           *raw;          /* NULL in listings */
  char             *sender;       /* envelope sender */
  GStrv             recipients;   /* envelope recipients (To, Cc and Bcc) */
  PigeonOutboxState state;
  gint64            send_after;   /* seconds since 1970: not before (undo delay, send later,
                                   * the next try after a failure) */
  guint             attempts;
  char             *last_error;   /* why the last try failed, or who was rejected */
  gint64            created;
  gint64            sent_at;      /* SENT: when accepted; SENDING: when the data was handed
                                   * over (0: not yet) */
  gboolean          saved_to_sent;
  char             *message_id;   /* without angle brackets */
  char             *subject;      /* decoded, for the window ("Sending “Lunch”…") */
} PigeonOutboxEntry;

#define PIGEON_TYPE_OUTBOX_ENTRY (pigeon_outbox_entry_get_type ())
GType              pigeon_outbox_entry_get_type (void) G_GNUC_CONST;
PigeonOutboxEntry *pigeon_outbox_entry_copy     (const PigeonOutboxEntry *entry);
void               pigeon_outbox_entry_free     (PigeonOutboxEntry       *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonOutboxEntry, pigeon_outbox_entry_free)

/* Where the copy of a sent message goes. */
typedef enum
{
  PIGEON_OUTBOX_SAVE_NONE,          /* the server files it itself (CAP_SAVES_SENT) */
  PIGEON_OUTBOX_SAVE_SERVER_FOLDER, /* the Sent folder, made on the server when missing */
  PIGEON_OUTBOX_SAVE_LOCAL_FOLDER,  /* the Sent folder, made in the store when missing */
} PigeonOutboxSave;

/* Queues RAW (CR LF line ends) for SENDER → RECIPIENTS, not before SEND_AFTER, and counts
 * each recipient as used in the contacts (for completion).  Returns the entry's id, 0 on
 * error. */
gint64             pigeon_store_outbox_add        (PigeonStore        *self,
                                                   GBytes             *raw,
                                                   const char         *sender,
                                                   const char * const *recipients,
                                                   gint64              send_after,
                                                   GError            **error);
void               pigeon_store_outbox_add_async  (PigeonStore         *self,
                                                   GBytes              *raw,
                                                   const char          *sender,
                                                   const char * const  *recipients,
                                                   gint64               send_after,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gint64             pigeon_store_outbox_add_finish (PigeonStore   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/* With the raw bytes; NULL and no error when there is no such entry. */
PigeonOutboxEntry *pigeon_store_outbox_get        (PigeonStore   *self,
                                                   gint64         id,
                                                   GError       **error);
/* Entries still waiting or needing the user (QUEUED, SENDING, FAILED), without the raw
 * bytes, by send_after then id. */
GPtrArray         *pigeon_store_outbox_list       (PigeonStore   *self,
                                                   GError       **error);
/* QUEUED and SENDING entries: the "1 message waiting to be sent". */
guint              pigeon_store_outbox_count_waiting (PigeonStore *self,
                                                      GError     **error);

/* QUEUED → SENDING, counting the attempt; *CLAIMED is FALSE when the entry was not QUEUED
 * any more (undone meanwhile). */
gboolean           pigeon_store_outbox_claim      (PigeonStore   *self,
                                                   gint64         id,
                                                   gboolean      *claimed,
                                                   GError       **error);
/* Records that the message data went to the server (sent_at, still SENDING). */
gboolean           pigeon_store_outbox_mark_handed_over (PigeonStore *self,
                                                         gint64       id,
                                                         GError     **error);
/* SENDING (or, after a crash, FAILED) → SENT, with REJECTED (sentences, may be NULL or
 * empty) as last_error, and the copy filed as SAVE says: all in one transaction. */
gboolean           pigeon_store_outbox_mark_sent  (PigeonStore        *self,
                                                   gint64              id,
                                                   const char * const *rejected,
                                                   PigeonOutboxSave    save,
                                                   GError            **error);
/* → QUEUED, to be tried at SEND_AFTER, with WHY as last_error. */
gboolean           pigeon_store_outbox_requeue    (PigeonStore   *self,
                                                   gint64         id,
                                                   gint64         send_after,
                                                   const char    *why,
                                                   GError       **error);
/* → FAILED with WHY; nothing sends it again until the user says so. */
gboolean           pigeon_store_outbox_fail       (PigeonStore   *self,
                                                   gint64         id,
                                                   const char    *why,
                                                   GError       **error);
/* FAILED → QUEUED now, with a fresh count of attempts (the user's "Send Again"). */
gboolean           pigeon_store_outbox_retry      (PigeonStore   *self,
                                                   gint64         id,
                                                   GError       **error);
/* QUEUED or FAILED → CANCELLED, returning the entry as it was (with its raw bytes) so the
 * composer can take it back.  PIGEON_ERROR_INVALID when it is being sent or was sent. */
PigeonOutboxEntry *pigeon_store_outbox_cancel     (PigeonStore   *self,
                                                   gint64         id,
                                                   GError       **error);
void               pigeon_store_outbox_cancel_async  (PigeonStore         *self,
                                                      gint64               id,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
PigeonOutboxEntry *pigeon_store_outbox_cancel_finish (PigeonStore   *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);
/* SENT entries whose copy still waits for a Sent folder (none was known yet). */
GArray            *pigeon_store_outbox_list_unsaved (PigeonStore *self,
                                                     GError     **error);  /* gint64 ids */
/* Files the copy of a SENT entry that has none yet. */
gboolean           pigeon_store_outbox_save_copy  (PigeonStore       *self,
                                                   gint64             id,
                                                   PigeonOutboxSave   save,
                                                   GError           **error);
/* Forgets SENT and CANCELLED entries older than OLDER_THAN (seconds since 1970). */
gboolean           pigeon_store_outbox_purge      (PigeonStore   *self,
                                                   gint64         older_than,
                                                   GError       **error);

/* Whether a message with MESSAGE_ID (without brackets) is in a folder with ROLE. */
gboolean           pigeon_store_has_message_id    (PigeonStore      *self,
                                                   PigeonFolderRole  role,
                                                   const char       *message_id,
                                                   gboolean         *found,
                                                   GError          **error);

/* The folder with ROLE, made (named after the role: "Sent", "Drafts") when the account has
 * none: on the server (a queued PIGEON_OP_CREATE_FOLDER), or only in the store with
 * LOCAL_ONLY.  Returns its id, 0 on error. */
gint64             pigeon_store_ensure_folder     (PigeonStore      *self,
                                                   PigeonFolderRole  role,
                                                   gboolean          local_only,
                                                   GError          **error);

/* Saves RAW as a draft in the Drafts folder (ensured as above) with the flags seen and
 * draft, and removes the draft it REPLACES (a message id, 0 for none), in one transaction.
 * Returns the new draft's message id, 0 on error. */
gint64             pigeon_store_save_draft        (PigeonStore   *self,
                                                   GBytes        *raw,
                                                   gint64         replaces,
                                                   gboolean       local_only,
                                                   GError       **error);
void               pigeon_store_save_draft_async  (PigeonStore         *self,
                                                   GBytes              *raw,
                                                   gint64               replaces,
                                                   gboolean             local_only,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gint64             pigeon_store_save_draft_finish (PigeonStore   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/* Removes a draft (sent, or discarded by the user) the way save_draft replaces one. */
void               pigeon_store_discard_draft_async  (PigeonStore         *self,
                                                      gint64               message_id,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean           pigeon_store_discard_draft_finish (PigeonStore   *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);

/* An address the composer may offer. */
typedef struct
{
  char  *name;    /* may be NULL */
  char  *email;
  guint  score;   /* how often it was used or seen */
} PigeonAddressSuggestion;

void               pigeon_address_suggestion_free (PigeonAddressSuggestion *suggestion);
/* Addresses whose e-mail or a word of whose name starts with PREFIX (case-insensitive):
 * from the contacts table (people written to, the server's address book) and from the
 * From, To and Cc of stored mail, most used first, at most LIMIT. */
GPtrArray         *pigeon_store_suggest_addresses (PigeonStore  *self,
                                                   const char   *prefix,
                                                   guint         limit,
                                                   GError      **error);

G_END_DECLS
