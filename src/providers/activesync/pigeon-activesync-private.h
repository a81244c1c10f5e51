/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-activesync-provider.h"
#include "pigeon-eas-client.h"
#include "pigeon-eas-node.h"

G_BEGIN_DECLS

/* FolderHierarchy types ([MS-ASCMD] 2.2.3.186.3). */
typedef enum
{
  EAS_FOLDER_GENERIC       = 1,
  EAS_FOLDER_INBOX         = 2,
  EAS_FOLDER_DRAFTS        = 3,
  EAS_FOLDER_DELETED       = 4,
  EAS_FOLDER_SENT          = 5,
  EAS_FOLDER_OUTBOX        = 6,
  EAS_FOLDER_TASKS         = 7,
  EAS_FOLDER_CALENDAR      = 8,
  EAS_FOLDER_CONTACTS      = 9,
  EAS_FOLDER_NOTES         = 10,
  EAS_FOLDER_JOURNAL       = 11,
  EAS_FOLDER_USER_MAIL     = 12,
  EAS_FOLDER_USER_CALENDAR = 13,
  EAS_FOLDER_USER_CONTACTS = 14,
  EAS_FOLDER_USER_TASKS    = 15,
} EasFolderType;

typedef struct
{
  char *server_id;
  char *parent_id;
  char *name;
  guint type;
} EasCollection;

struct _PigeonActiveSyncProvider
{
  PigeonProvider   parent_instance;

  PigeonEasClient *client;
  GHashTable      *hierarchy;      /* server id -> EasCollection */
  guint            heartbeat;      /* seconds, as the server last accepted it */
};

/* Store state keys. */
#define STATE_DEVICE_ID       "activesync-device-id"
#define STATE_POLICY_KEY      "activesync-policy-key"
#define STATE_HIERARCHY       "activesync-hierarchy"
#define STATE_FOLDER_SYNC_KEY "activesync-folder-sync-key"
#define STATE_SYNC_KEY_PREFIX "activesync-sync-key:"  /* + collection id (contacts, calendar) */
#define STATE_HEARTBEAT       "activesync-heartbeat"

/* The sync of one collection: where its key lives and what its items become. */
typedef struct _EasSyncTarget EasSyncTarget;
struct _EasSyncTarget
{
  PigeonActiveSyncProvider *provider;
  const char               *collection_id;
  const char               *class_name;    /* "Email", "Contacts", "Calendar" */
  const char               *display_name;  /* for progress */
  gint64                    folder_id;     /* mail: the store's folder, else 0 */

  char     *(*load_key) (EasSyncTarget  *target,
                         GError        **error);
  gboolean  (*save_key) (EasSyncTarget  *target,
                         const char     *key,
                         GError        **error);
  /* Adds the collection's Options (filter, body preference); may be NULL. */
  void      (*options)  (EasSyncTarget  *target,
                         PigeonEasNode  *collection);
  /* One window of server changes; SEEN (non-NULL during a sync from key 0) collects the
   * server ids of everything the server still has. */
  gboolean  (*apply)    (EasSyncTarget  *target,
                         PigeonEasNode  *commands,
                         GHashTable     *seen,
                         GError        **error);
  /* After a complete sync from key 0: drop what the server no longer has. */
  gboolean  (*prune)    (EasSyncTarget  *target,
                         GHashTable     *seen,
                         GError        **error);
};

/* The collection-level status that needs a FolderSync first. */
#define EAS_SYNC_STATUS_HIERARCHY_CHANGED 12

/* pigeon-activesync-sync.c */
gboolean pigeon_activesync_sync_collection  (EasSyncTarget  *target,
                                             GCancellable   *cancellable,
                                             GError        **error);
/* Sends one Sync with COMMANDS (Change/Delete for the collection) and applies what comes
 * back.  Returns the Responses node entry for the item, if the server sent one, in
 * OUT_RESPONSE_STATUS (1 when it sent none: success). */
gboolean pigeon_activesync_sync_send_change (EasSyncTarget  *target,
                                             PigeonEasNode  *command,
                                             gint64         *out_response_status,
                                             GCancellable   *cancellable,
                                             GError        **error);
gboolean pigeon_activesync_sync_status_error (const char     *display_name,
                                              gint64          status,
                                              GError        **error);

/* pigeon-activesync-folders.c */
gboolean pigeon_activesync_folder_sync      (PigeonActiveSyncProvider *self,
                                             GCancellable             *cancellable,
                                             GError                  **error);
gboolean pigeon_activesync_load_hierarchy   (PigeonActiveSyncProvider *self,
                                             GError                  **error);
/* Creates, renames or deletes a folder on the server (FolderCreate/Update/Delete). */
gboolean pigeon_activesync_folder_op        (PigeonActiveSyncProvider *self,
                                             const PigeonPendingOp    *op,
                                             GCancellable             *cancellable,
                                             GError                  **error);
/* Collections of the given types, in no particular order (EasCollection*, borrowed). */
GPtrArray *pigeon_activesync_collections    (PigeonActiveSyncProvider *self,
                                             const guint              *types,
                                             guint                     n_types);

/* pigeon-activesync-mail.c */
void     pigeon_activesync_mail_target      (PigeonActiveSyncProvider *self,
                                             const PigeonFolder       *folder,
                                             EasSyncTarget            *target);
gboolean pigeon_activesync_sync_mail_folder (PigeonActiveSyncProvider *self,
                                             gint64                    folder_id,
                                             GCancellable             *cancellable,
                                             GError                  **error);
gboolean pigeon_activesync_fetch_body       (PigeonActiveSyncProvider *self,
                                             gint64                    message_id,
                                             GCancellable             *cancellable,
                                             GError                  **error);
gboolean pigeon_activesync_apply_op         (PigeonActiveSyncProvider *self,
                                             const PigeonPendingOp    *op,
                                             GCancellable             *cancellable,
                                             GError                  **error);
gboolean pigeon_activesync_send             (PigeonActiveSyncProvider *self,
                                             GBytes                   *message,
                                             GPtrArray                *rejected,
                                             GCancellable             *cancellable,
                                             GError                  **error);
PigeonMessage *pigeon_activesync_message_from_data (const PigeonEasNode *data,
                                                    const char          *server_id);

/* pigeon-activesync-search.c */
gboolean pigeon_activesync_search           (PigeonActiveSyncProvider *self,
                                             const char               *query,
                                             gint64                    folder_id,
                                             GArray                   *message_ids,
                                             GCancellable             *cancellable,
                                             GError                  **error);
/* The remote id of a search result's item: SERVER_ID when the server gave one, else the
 * ServerId the LongId is built from ("<collection>+<id>", "<collection>:<id>"), else the
 * LongId itself.  NULL without any. */
char    *pigeon_activesync_search_item_id   (const char *collection_id,
                                             const char *long_id,
                                             const char *server_id);
/* Whether a message's remote id is a search LongId rather than a ServerId (a ServerId has
 * at most 64 characters, [MS-ASCMD]). */
gboolean pigeon_activesync_is_long_id       (const char *remote_id);

/* pigeon-activesync-pim.c */
gboolean pigeon_activesync_sync_pim         (PigeonActiveSyncProvider *self,
                                             GCancellable             *cancellable,
                                             GError                  **error);

/* pigeon-activesync-ping.c */
gboolean pigeon_activesync_wait_for_changes (PigeonActiveSyncProvider *self,
                                             guint                     timeout_seconds,
                                             GCancellable             *cancellable,
                                             GError                  **error);

/* Helpers shared by the files above. */
gint64   pigeon_activesync_parse_date       (const char *text);

G_END_DECLS
