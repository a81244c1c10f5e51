/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  PIGEON_FOLDER_ROLE_NONE,
  PIGEON_FOLDER_ROLE_INBOX,
  PIGEON_FOLDER_ROLE_SENT,
  PIGEON_FOLDER_ROLE_DRAFTS,
  PIGEON_FOLDER_ROLE_TRASH,
  PIGEON_FOLDER_ROLE_JUNK,
  PIGEON_FOLDER_ROLE_ARCHIVE,
} PigeonFolderRole;

typedef enum /*< flags >*/
{
  PIGEON_FOLDER_FLAG_NONE        = 0,
  PIGEON_FOLDER_FLAG_NOSELECT    = 1 << 0,  /* a container only: no messages of its own */
  PIGEON_FOLDER_FLAG_NOINFERIORS = 1 << 1,
  PIGEON_FOLDER_FLAG_SUBSCRIBED  = 1 << 2,
  PIGEON_FOLDER_FLAG_LOCAL       = 1 << 3,  /* exists only in the store (POP3 folders) */
} PigeonFolderFlags;

typedef enum /*< flags >*/
{
  PIGEON_MESSAGE_FLAG_NONE      = 0,
  PIGEON_MESSAGE_FLAG_SEEN      = 1 << 0,
  PIGEON_MESSAGE_FLAG_ANSWERED  = 1 << 1,
  PIGEON_MESSAGE_FLAG_FLAGGED   = 1 << 2,
  PIGEON_MESSAGE_FLAG_DELETED   = 1 << 3,
  PIGEON_MESSAGE_FLAG_DRAFT     = 1 << 4,
  PIGEON_MESSAGE_FLAG_FORWARDED = 1 << 5,
  PIGEON_MESSAGE_FLAG_JUNK      = 1 << 6,
} PigeonMessageFlags;

/* A folder row.  Plain data, copied in and out of the store. */
typedef struct
{
  gint64            id;
  char             *path;          /* full path as the server names it: "Archive/2024" */
  char             *name;          /* last component, for display */
  char             *parent_path;   /* NULL at the top */
  char             *delimiter;     /* hierarchy delimiter, NULL when flat */
  PigeonFolderRole  role;
  PigeonFolderFlags flags;
  char             *remote_id;     /* the server's own id where it has one (ActiveSync) */
  /* sync state, owned by the provider */
  guint32           uidvalidity;
  guint32           uidnext;
  guint64           highestmodseq;
  char             *sync_key;      /* opaque provider state (ActiveSync SyncKey, …) */
  /* maintained by the store */
  guint             total;
  guint             unread;
} PigeonFolder;

/* A message row: the envelope, flags and where it lives on the server. */
typedef struct
{
  gint64             id;
  gint64             folder_id;
  /* server identity: (uidvalidity, uid) for IMAP, remote_id for the others */
  guint32            uidvalidity;
  guint32            uid;
  char              *remote_id;
  /* envelope */
  char              *message_id;   /* without angle brackets */
  char              *in_reply_to;
  char              *references;   /* space-separated ids without brackets */
  gint64             date;         /* Date header, else internal date; seconds since 1970 UTC */
  gint64             internal_date;
  char              *from;         /* "Name <addr>" as decoded UTF-8 */
  char              *reply_to;
  char              *to;           /* comma-separated, decoded */
  char              *cc;
  char              *subject;
  PigeonMessageFlags flags;
  guint64            modseq;
  gint64             size;
  gboolean           has_attachments;
  char              *preview;      /* the first ~200 characters of text, single line */
  gint64             thread_id;    /* 0 when unknown */
  gboolean           has_body;     /* read-only: the raw bytes are in the store */
} PigeonMessage;

#define PIGEON_TYPE_FOLDER  (pigeon_folder_get_type ())
#define PIGEON_TYPE_MESSAGE (pigeon_message_get_type ())
GType           pigeon_folder_get_type   (void) G_GNUC_CONST;
GType           pigeon_message_get_type  (void) G_GNUC_CONST;

PigeonFolder   *pigeon_folder_new        (void);
PigeonFolder   *pigeon_folder_copy       (const PigeonFolder *folder);
void            pigeon_folder_free       (PigeonFolder *folder);
PigeonMessage  *pigeon_message_new       (void);
PigeonMessage  *pigeon_message_copy      (const PigeonMessage *message);
void            pigeon_message_free      (PigeonMessage *message);

const char     *pigeon_folder_role_to_string    (PigeonFolderRole role);
PigeonFolderRole pigeon_folder_role_from_string (const char *str);
/* Guesses a role from a folder name ("Sent Items", "Gesendet", "INBOX.Trash", …). */
PigeonFolderRole pigeon_folder_role_guess       (const char *path,
                                                 const char *delimiter);
/* "seen", "answered", "flagged", "deleted", "draft", "forwarded", "junk" */
char          **pigeon_message_flags_to_strv    (PigeonMessageFlags flags);
gboolean        pigeon_message_flag_from_string (const char         *str,
                                                 PigeonMessageFlags *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonFolder, pigeon_folder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonMessage, pigeon_message_free)

/* The queue of what the user did that the server has not seen yet. */
typedef enum
{
  PIGEON_OP_SET_FLAGS,       /* flags_add / flags_remove on one message */
  PIGEON_OP_MOVE,            /* to dest_folder_id */
  PIGEON_OP_EXPUNGE,         /* delete for good */
  PIGEON_OP_APPEND,          /* data into folder_id (drafts, sent), with flags_add */
  PIGEON_OP_CREATE_FOLDER,   /* path */
  PIGEON_OP_RENAME_FOLDER,   /* path -> new_path */
  PIGEON_OP_DELETE_FOLDER,   /* path */
} PigeonOpKind;

typedef struct
{
  gint64             id;
  PigeonOpKind       kind;
  gint64             message_id;      /* the local row, which may since have gone */
  gint64             folder_id;       /* the folder the message was in when queued */
  /* the message's server identity when queued */
  guint32            uidvalidity;
  guint32            uid;
  char              *remote_id;
  gint64             dest_folder_id;
  PigeonMessageFlags flags_add;
  PigeonMessageFlags flags_remove;
  char              *path;
  char              *new_path;
  GBytes            *data;
  guint              attempts;
  gint64             created;         /* seconds since 1970 */
} PigeonPendingOp;

#define PIGEON_TYPE_PENDING_OP (pigeon_pending_op_get_type ())
GType            pigeon_pending_op_get_type (void) G_GNUC_CONST;
PigeonPendingOp *pigeon_pending_op_new      (PigeonOpKind kind);
PigeonPendingOp *pigeon_pending_op_copy     (const PigeonPendingOp *op);
void             pigeon_pending_op_free     (PigeonPendingOp *op);
const char      *pigeon_op_kind_to_string   (PigeonOpKind kind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonPendingOp, pigeon_pending_op_free)

/* What a write changed, delivered with the store's change signals. */
typedef struct
{
  gint64  folder_id;
  GArray *added;     /* gint64 message ids */
  GArray *updated;
  GArray *removed;
} PigeonStoreChange;

#define PIGEON_TYPE_STORE_CHANGE (pigeon_store_change_get_type ())
GType              pigeon_store_change_get_type (void) G_GNUC_CONST;
/* A change with three empty arrays (ids ascending when the store fills them). */
PigeonStoreChange *pigeon_store_change_new      (gint64                   folder_id);
PigeonStoreChange *pigeon_store_change_copy     (const PigeonStoreChange *change);
void               pigeon_store_change_free     (PigeonStoreChange       *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonStoreChange, pigeon_store_change_free)

G_END_DECLS
