/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gmime/gmime.h>

#include "pigeon-account.h"
#include "pigeon-secrets.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/* Providers implement this extension point, named by protocol ("imap", "pop3",
 * "activesync", "smtp").  Nothing outside src/providers/ names a protocol in code. */
#define PIGEON_PROVIDER_EXTENSION_POINT_NAME "pigeon-provider"

typedef enum /*< flags >*/
{
  PIGEON_PROVIDER_CAP_NONE              = 0,
  PIGEON_PROVIDER_CAP_RECEIVE           = 1 << 0,  /* brings mail in: an account protocol */
  PIGEON_PROVIDER_CAP_FOLDERS           = 1 << 1,  /* the server has folders */
  PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL = 1 << 2,  /* the server is the truth (not POP3) */
  PIGEON_PROVIDER_CAP_PUSH              = 1 << 3,  /* wait_for_changes is real push */
  PIGEON_PROVIDER_CAP_SEND              = 1 << 4,  /* can send mail itself */
  PIGEON_PROVIDER_CAP_SAVES_SENT        = 1 << 5,  /* sending also files a copy in Sent */
  PIGEON_PROVIDER_CAP_CONTACTS          = 1 << 6,
  PIGEON_PROVIDER_CAP_CALENDAR          = 1 << 7,
  PIGEON_PROVIDER_CAP_SERVER_SEARCH     = 1 << 8,
  PIGEON_PROVIDER_CAP_URL_HOST          = 1 << 9,  /* the "host" setting may be a URL */
  PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS = 1 << 10, /* uses the account's smtp-* settings */
  PIGEON_PROVIDER_CAP_SEND_CHECKPOINT   = 1 << 11, /* send calls pigeon_provider_send_checkpoint */
} PigeonProviderCaps;

typedef enum /*< flags >*/
{
  PIGEON_SYNC_FLAGS_NONE   = 0,
  PIGEON_SYNC_FLAGS_BODIES = 1 << 0,  /* also fetch bodies within the sync window */
  PIGEON_SYNC_FLAGS_FULL   = 1 << 1,  /* ignore incremental state: compare everything */
} PigeonSyncFlags;

#define PIGEON_TYPE_PROVIDER (pigeon_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (PigeonProvider, pigeon_provider, PIGEON, PROVIDER, GObject)

/*
 * A protocol implementation for one account.  The vfuncs block and are called from a
 * worker thread (never the UI thread), one at a time per provider instance unless the
 * provider documents otherwise; each honours its GCancellable.  What a provider learns is
 * written into the account's PigeonStore; errors are PIGEON_ERROR with a sentence the user
 * can act on ("The server rejected the password for alice@example.org").
 */
struct _PigeonProviderClass
{
  GObjectClass parent_class;

  /* The description, filled in class_init. */
  const char        *protocol;               /* "imap" */
  const char        *display_name;           /* translatable: "IMAP" */
  const char        *description;            /* one sentence for the account assistant */
  guint16            default_port_tls;       /* implicit TLS, e.g. 993 */
  guint16            default_port_plain;     /* STARTTLS or plain, e.g. 143 */
  PigeonProviderCaps caps;
  /* Other names this protocol goes by in settings documents (the type of an ISPDB server,
   * an Autodiscover protocol type), lower case, NULL-terminated; NULL when the protocol
   * name is the only one.  The account assistant maps what it finds through these. */
  const char * const *config_names;

  /* Log in; leaves the provider ready for the calls below. */
  gboolean (*connect)          (PigeonProvider  *self,
                                GCancellable    *cancellable,
                                GError         **error);
  /* Log out politely where possible; never fails. */
  void     (*disconnect)       (PigeonProvider  *self);
  /* Learn the folder list and roles; write it with pigeon_store_replace_folders. */
  gboolean (*sync_folders)     (PigeonProvider  *self,
                                GCancellable    *cancellable,
                                GError         **error);
  /* Bring one folder up to date: newest first, envelopes before bodies. */
  gboolean (*sync_folder)      (PigeonProvider  *self,
                                gint64           folder_id,
                                PigeonSyncFlags  flags,
                                GCancellable    *cancellable,
                                GError         **error);
  /* Fetch one message's raw bytes into the store (pigeon_store_set_body). */
  gboolean (*fetch_body)       (PigeonProvider  *self,
                                gint64           message_id,
                                GCancellable    *cancellable,
                                GError         **error);
  /* Replay one queued user change.  Return TRUE when the server has it, or when it can
   * never apply (the message is gone): the caller then removes it from the queue. */
  gboolean (*apply_op)         (PigeonProvider        *self,
                                const PigeonPendingOp *op,
                                GCancellable          *cancellable,
                                GError               **error);
  /* Submit MESSAGE (raw RFC 5322) from FROM to RECIPIENTS.  TRUE when at least one
   * recipient was accepted; each refused one is appended to REJECTED as a sentence
   * ("bob@example.org was rejected: 550 no such user").  MESSAGE may carry a Bcc field
   * (the copy in Sent keeps it): no recipient may get it, so a provider either leaves it
   * out (pigeon_mime_without_field) or hands it to a server that does. */
  gboolean (*send)             (PigeonProvider      *self,
                                GBytes              *message,
                                const char          *from,
                                const char * const  *recipients,
                                GPtrArray           *rejected,
                                GCancellable        *cancellable,
                                GError             **error);
  /* Block until the server reports a change (push) or TIMEOUT_SECONDS pass.  Returns TRUE
   * in both cases; FALSE with an error when the connection failed. */
  gboolean (*wait_for_changes) (PigeonProvider  *self,
                                guint            timeout_seconds,
                                GCancellable    *cancellable,
                                GError         **error);
  /* Ask the server which messages match QUERY (what the user typed) in FOLDER_ID, or in
   * every folder with 0.  Every hit must end up as a row of the store (envelopes of hits
   * the store lacks are fetched as the sync would); their ids (gint64) are appended to
   * MESSAGE_IDS in any order.  Providers with PIGEON_PROVIDER_CAP_SERVER_SEARCH. */
  gboolean (*search)           (PigeonProvider  *self,
                                const char      *query,
                                gint64           folder_id,
                                GArray          *message_ids,
                                GCancellable    *cancellable,
                                GError         **error);
  /* After wait_for_changes returned: appends to FOLDER_IDS (gint64) the store ids of the
   * folders the server said changed since the last call, the inbox among them; sets
   * *ELSEWHERE when it named something only a full pass brings in (contacts, calendars,
   * the folder list).  Optional: without it, a change brings the inbox up to date. */
  void     (*take_changes)     (PigeonProvider  *self,
                                GArray          *folder_ids,
                                gboolean        *elsewhere);
  /* Download the content of one attachment that a stored message holds only as a
   * placeholder (see PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE); REFERENCE is the placeholder's
   * "reference" parameter.  Returns the decoded bytes and, in OUT_CONTENT_TYPE, the type the
   * server gives them (NULL: keep the placeholder's).  Only providers that write
   * placeholders implement it. */
  GBytes  *(*fetch_attachment) (PigeonProvider  *self,
                                gint64           message_id,
                                const char      *reference,
                                char           **out_content_type,
                                GCancellable    *cancellable,
                                GError         **error);

  gpointer padding[8];
};

/*
 * A stored message may hold an attachment without its content, when its provider left it
 * on the server to keep opening a big message cheap: a message/external-body part
 * (RFC 2046 5.2.3) with access-type PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE, the parameters
 * "reference" (what the provider needs to fetch it) and "size" (bytes, as the server
 * estimated them), Content-Disposition attachment with the file name, and inside, as the
 * RFC has it, the headers of the real part (its Content-Type, Content-ID).
 * pigeon_provider_fetch_attachment downloads it and puts the real part in its place.
 */
#define PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE "x-pigeon-server"
/* Whether PART is such a placeholder; then OUT_REFERENCE and OUT_SIZE get its reference and
 * size, and OUT_REAL (when not NULL) the real part's headers as an empty part (its content
 * type and Content-ID; the placeholder's disposition and file name). */
gboolean pigeon_provider_parse_placeholder (GMimeObject  *part,
                                            char        **out_reference,
                                            guint64      *out_size,
                                            GMimeObject **out_real);
/* Attachments bigger than this are refused rather than held in memory. */
#define PIGEON_PROVIDER_MAX_ATTACHMENT_SIZE ((gsize) 128 * 1024 * 1024)

/* Called by a provider's register function: puts TYPE on the extension point under
 * PROTOCOL (its class's protocol string). */
void                 pigeon_provider_register_type     (GType       type,
                                                        const char *protocol);
PigeonProviderClass *pigeon_provider_class_lookup      (const char *protocol);
/* The provider known as NAME in a settings document: its protocol or one of its
 * config_names, compared without regard to case; NULL when none is. */
PigeonProviderClass *pigeon_provider_class_lookup_config_name (const char *name);
/* Protocols of every registered provider with the given caps (NULL-terminated, sorted). */
char               **pigeon_provider_list_protocols    (PigeonProviderCaps required_caps);

/* The account's incoming provider (its protocol). */
PigeonProvider *pigeon_provider_new_for_account (PigeonAccount  *account,
                                                 PigeonStore    *store,
                                                 GError        **error);
/* The provider that sends for the account: the incoming one when it can send itself,
 * else the one that uses the account's outgoing (smtp-*) settings. */
PigeonProvider *pigeon_provider_new_for_sending (PigeonAccount  *account,
                                                 PigeonStore    *store,
                                                 GError        **error);
PigeonProvider *pigeon_provider_new             (const char     *protocol,
                                                 PigeonAccount  *account,
                                                 PigeonStore    *store,
                                                 GError        **error);

PigeonAccount  *pigeon_provider_get_account     (PigeonProvider *self);
PigeonStore    *pigeon_provider_get_store       (PigeonProvider *self);
PigeonProviderCaps pigeon_provider_get_caps     (PigeonProvider *self);
const char     *pigeon_provider_get_protocol    (PigeonProvider *self);
/* Which keyring item this provider logs in with. */
PigeonSecretRole pigeon_provider_get_secret_role (PigeonProvider *self);

/* The password, held in memory only while the provider lives and wiped after. */
void            pigeon_provider_set_password    (PigeonProvider *self,
                                                 const char     *password);
const char     *pigeon_provider_get_password    (PigeonProvider *self);
/* Looks the password up in the keyring (blocking; worker threads only).  A missing one is
 * PIGEON_ERROR_NO_PASSWORD.  The outgoing role falls back to the incoming password. */
gboolean        pigeon_provider_load_password   (PigeonProvider *self,
                                                 GCancellable   *cancellable,
                                                 GError        **error);

/* Connection settings as the provider should use them: the account's incoming or outgoing
 * fields, with the class's default port when the account has none. */
const char     *pigeon_provider_get_host        (PigeonProvider *self);
guint16         pigeon_provider_get_port        (PigeonProvider *self);
PigeonSecurity  pigeon_provider_get_security    (PigeonProvider *self);
const char     *pigeon_provider_get_login       (PigeonProvider *self);
const char     *pigeon_provider_get_pinned_certificate (PigeonProvider *self);

/* For providers: report progress ("Syncing Inbox — 3,200 of 10,000"; FOLDER_NAME NULL for
 * work across folders) and quota.  May be
 * called from the worker thread; ::progress and notify::quota reach listeners on the main
 * context the provider was created in. */
void            pigeon_provider_report_progress (PigeonProvider *self,
                                                 const char     *folder_name,
                                                 guint           done,
                                                 guint           total);
void            pigeon_provider_report_quota    (PigeonProvider *self,
                                                 guint64         used_bytes,
                                                 guint64         limit_bytes);

/* Blocking entry points (they check the vfunc exists and fail with PIGEON_ERROR_UNSUPPORTED
 * otherwise). */
gboolean        pigeon_provider_connect         (PigeonProvider *self,
                                                 GCancellable   *cancellable,
                                                 GError        **error);
void            pigeon_provider_disconnect      (PigeonProvider *self);
gboolean        pigeon_provider_sync_folders    (PigeonProvider *self,
                                                 GCancellable   *cancellable,
                                                 GError        **error);
gboolean        pigeon_provider_sync_folder     (PigeonProvider *self,
                                                 gint64          folder_id,
                                                 PigeonSyncFlags flags,
                                                 GCancellable   *cancellable,
                                                 GError        **error);
gboolean        pigeon_provider_fetch_body      (PigeonProvider *self,
                                                 gint64          message_id,
                                                 GCancellable   *cancellable,
                                                 GError        **error);
gboolean        pigeon_provider_apply_op        (PigeonProvider        *self,
                                                 const PigeonPendingOp *op,
                                                 GCancellable          *cancellable,
                                                 GError               **error);
gboolean        pigeon_provider_send            (PigeonProvider      *self,
                                                 GBytes              *message,
                                                 const char          *from,
                                                 const char * const  *recipients,
                                                 GPtrArray           *rejected,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
/*
 * The point of no return of a send.  A provider with PIGEON_PROVIDER_CAP_SEND_CHECKPOINT
 * calls pigeon_provider_send_checkpoint from its send vfunc right before the step after
 * which the server may have taken the message (SMTP: the end of the data); a send that
 * fails before that call left nothing with the server.  The caller of
 * pigeon_provider_send (the outbox) sets FUNC to record that moment durably; when FUNC
 * fails, the provider abandons the send so the server discards the message.  Without
 * the capability, the caller must assume the server may have the message from the
 * moment send is called.
 */
typedef gboolean (*PigeonSendCheckpointFunc) (PigeonProvider  *provider,
                                              gpointer         user_data,
                                              GError         **error);
void            pigeon_provider_set_send_checkpoint (PigeonProvider           *self,
                                                     PigeonSendCheckpointFunc  func,
                                                     gpointer                  user_data);
/* TRUE when no function is set. */
gboolean        pigeon_provider_send_checkpoint     (PigeonProvider  *self,
                                                     GError         **error);
gboolean        pigeon_provider_wait_for_changes (PigeonProvider *self,
                                                  guint           timeout_seconds,
                                                  GCancellable   *cancellable,
                                                  GError        **error);
/* Which folders changed (see the take_changes vfunc); nothing, and *ELSEWHERE FALSE, for a
 * provider that cannot say. */
void            pigeon_provider_take_changes    (PigeonProvider *self,
                                                 GArray         *folder_ids,
                                                 gboolean       *elsewhere);
/* Server-side search (see the search vfunc): MESSAGE_IDS gets the store ids of the hits,
 * each once, newest first.  PIGEON_ERROR_UNSUPPORTED, with a sentence saying so, when the
 * provider cannot search on its server. */
gboolean        pigeon_provider_search          (PigeonProvider *self,
                                                 const char     *query,
                                                 gint64          folder_id,
                                                 GArray         *message_ids,
                                                 GCancellable   *cancellable,
                                                 GError        **error);
/* Downloads the attachment that the stored message MESSAGE_ID holds as a placeholder with
 * REFERENCE (see the fetch_attachment vfunc), puts the real part in the placeholder's place
 * in the stored message (one transaction; the message's text, flags and search index stay
 * as they are) and returns its decoded bytes.  PIGEON_ERROR_UNSUPPORTED for providers that
 * write no placeholders; PIGEON_ERROR_NOT_FOUND when the message or the placeholder is
 * gone; PIGEON_ERROR_TOO_BIG past PIGEON_PROVIDER_MAX_ATTACHMENT_SIZE. */
GBytes         *pigeon_provider_fetch_attachment (PigeonProvider *self,
                                                  gint64          message_id,
                                                  const char     *reference,
                                                  GCancellable   *cancellable,
                                                  GError        **error);
/* Replaces the placeholder for REFERENCE in the stored message MESSAGE_ID by a part of
 * CONTENT_TYPE (NULL: the placeholder's) holding CONTENT, in one transaction (what
 * pigeon_provider_fetch_attachment does after the download). */
gboolean        pigeon_provider_store_attachment (PigeonStore    *store,
                                                  gint64          message_id,
                                                  const char     *reference,
                                                  const char     *content_type,
                                                  GBytes         *content,
                                                  GError        **error);
/* Replays the whole pending-operation queue in order: completes what the server took,
 * drops (with a log line) what can never apply, stops at the first transient failure. */
gboolean        pigeon_provider_replay_pending_ops (PigeonProvider *self,
                                                    GCancellable   *cancellable,
                                                    GError        **error);

/* Connect, then disconnect: checks settings and password before an account is saved. */
void            pigeon_provider_check_login_async  (PigeonProvider      *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        pigeon_provider_check_login_finish (PigeonProvider *self,
                                                    GAsyncResult   *result,
                                                    GError        **error);

G_END_DECLS
