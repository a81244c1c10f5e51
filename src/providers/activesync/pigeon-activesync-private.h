/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-activesync-provider.h"
#include "pigeon-eas-client.h"
#include "pigeon-eas-node.h"
#include "pigeon-store-events.h"

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
  GPtrArray       *ping_changed;   /* collection ids the last Pings said changed */
  gboolean         ping_elsewhere; /* and the folder hierarchy changed */
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

/* pigeon-activesync-attachments.c */
/* Messages bigger than this are opened as their text and attachment list; the attachments
 * wait on the server until asked for.  Smaller ones come whole (MIME): exact and cheap. */
#define PIGEON_ACTIVESYNC_LARGE_MESSAGE (1024 * 1024)

/* One entry of AirSyncBase:Attachments ([MS-ASAIRS] 2.2.2.7). */
typedef struct
{
  char    *display_name;     /* a file name (no path), or NULL */
  char    *file_reference;
  gint64   method;           /* 1 normal, 5 an embedded message, 6 OLE */
  gint64   size;             /* EstimatedDataSize, 0 when unknown */
  char    *content_id;       /* without angle brackets, or NULL */
  gboolean is_inline;
  char    *content_type;     /* guessed from the name, or what the server said */
} PigeonActiveSyncAttachmentInfo;

void           pigeon_activesync_attachment_info_free (PigeonActiveSyncAttachmentInfo *info);
/* The attachments (PigeonActiveSyncAttachmentInfo*) of an AirSyncBase:Attachments node;
 * entries without a FileReference are left out.  NODE may be NULL. */
GPtrArray     *pigeon_activesync_attachments_from_node (const PigeonEasNode *node);
/* Whether the attachment is an inline image small enough to come with the text. */
gboolean       pigeon_activesync_is_inline_image      (const PigeonActiveSyncAttachmentInfo *info);
/* ItemOperations Fetch of one attachment by FileReference. */
PigeonEasNode *pigeon_activesync_attachment_request   (const char *file_reference);
/* ItemOperations Fetch of a message's whole text as HTML, without MIME. */
PigeonEasNode *pigeon_activesync_text_request         (const char *collection_id,
                                                       const char *remote_id);
/* The decoded bytes of an attachment Fetch answer (and the type the server gives them),
 * at most MAX_SIZE; a clear error for a refusal, a missing or damaged Data, or too much. */
GBytes        *pigeon_activesync_attachment_parse     (const PigeonEasNode  *reply,
                                                       gsize                 max_size,
                                                       char                **out_content_type,
                                                       GError              **error);
/* The MIME document stored for a big message: ENVELOPE's headers, the Body of PROPERTIES
 * (a Fetch answer's), the images of INLINE_IMAGES (info -> GBytes) as parts and every other
 * attachment of ATTACHMENTS as a placeholder part (PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE). */
GBytes        *pigeon_activesync_build_partial        (const PigeonMessage *envelope,
                                                       const PigeonEasNode *properties,
                                                       GPtrArray           *attachments,
                                                       GHashTable          *inline_images,
                                                       GError             **error);
GBytes        *pigeon_activesync_fetch_attachment     (PigeonActiveSyncProvider  *self,
                                                       const char                *file_reference,
                                                       gsize                      max_size,
                                                       char                     **out_content_type,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);
/* Fetches MESSAGE's text and attachment list and stores the document built from them.
 * OUT_NEED_MIME: the server gave no attachment list for a message with attachments; fetch
 * the whole MIME instead. */
gboolean       pigeon_activesync_fetch_text           (PigeonActiveSyncProvider  *self,
                                                       const PigeonMessage       *message,
                                                       const char                *collection_id,
                                                       gboolean                  *out_need_mime,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);

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
/* A calendar item of a Sync (its ApplicationData) as an event without a remote id; the
 * forms of 12.1 to 16.1 are all read. */
PigeonEvent *pigeon_activesync_parse_event  (const PigeonEasNode      *data);

/* pigeon-activesync-ping.c */
gboolean pigeon_activesync_wait_for_changes (PigeonActiveSyncProvider *self,
                                             guint                     timeout_seconds,
                                             GCancellable             *cancellable,
                                             GError                  **error);

void     pigeon_activesync_take_changes     (PigeonActiveSyncProvider *self,
                                             GArray                   *folder_ids,
                                             gboolean                 *elsewhere);

/* Helpers shared by the files above. */
gint64   pigeon_activesync_parse_date       (const char *text);

G_END_DECLS
