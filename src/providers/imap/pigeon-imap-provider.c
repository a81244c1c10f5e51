/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-imap-private.h"
#include "pigeon-mime.h"

/*
 * The IMAP provider.
 *
 * Session pool.  One provider instance holds at most two logged-in sessions
 * (PigeonImapSession over a PigeonConnection), opened lazily and reopened after a
 * failure:
 *   - "work": the folder list, folder sync, body downloads and the replay of queued
 *     changes.  Commands on it are pipelined: several FETCHes are in flight while the
 *     answers of the first are being stored.
 *   - "idle": opened by wait_for_changes only; it EXAMINEs the inbox and sits in IDLE
 *     (renewed every 25 minutes, before servers drop idle clients), so new mail is seen
 *     within a second or two while the work session is busy or idle.  Where the server
 *     offers NOTIFY it also watches every personal mailbox: mail arriving in another
 *     folder (filed there by a server-side filter, or by another client) is reported as a
 *     STATUS, and take_changes names that folder to the scheduler.
 * The scheduler (src/engine/sync/) runs one instance for syncing and, for providers whose
 * server keeps mail, a second one for queued changes and bodies the user asked for, so an
 * account uses at most three connections.  A session that sees a malformed or hostile
 * reply, a dropped connection or a timeout is closed; the next call opens a new one.
 *
 * Folder sync (pigeon-imap-folder-sync.c).  SELECT with QRESYNC (our UIDVALIDITY and
 * HIGHESTMODSEQ) where enabled, so the server itself reports what vanished and which
 * flags changed; else SELECT with CONDSTORE.  A new UIDVALIDITY drops the folder's cache
 * first.  Then:
 *   1. If the message count and UIDNEXT prove nothing was added or removed, skip to 3.
 *      Otherwise ask for every UID (UID SEARCH, compact with ESEARCH) and compare with the
 *      store: local UIDs the server lacks are removed; server UIDs the store lacks are
 *      fetched.  This one rule covers the first sync, new mail and an interrupted sync.
 *   2. Missing envelopes are fetched newest first (highest UID first) in batches (200,
 *      then 1,000 UIDs), four UID FETCHes in flight; each batch is one store transaction,
 *      so the top of a huge folder shows within a fraction of a second.
 *   3. Flags of known messages: from QRESYNC's FETCHes, else UID FETCH (CHANGEDSINCE) with
 *      CONDSTORE, else a full UID/FLAGS comparison in chunks of 5,000.
 *   4. With PIGEON_SYNC_FLAGS_BODIES, bodies within the account's sync window, pipelined.
 *   5. Only then the folder's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ are saved, so a sync
 *      cut off anywhere starts over from a consistent state, and the store's unique
 *      (folder, UIDVALIDITY, UID) index makes a duplicate impossible.
 * LIST-STATUS lets an unchanged folder be skipped without selecting it at all.
 *
 * Search on the server (pigeon-imap-search.c): UID SEARCH on the work session, one folder
 * or each selectable one in turn; hits beyond the store are fetched like step 2.
 */

struct _PigeonImapProviderClass
{
  PigeonProviderClass parent_class;
};

G_DEFINE_FINAL_TYPE (PigeonImapProvider, pigeon_imap_provider, PIGEON_TYPE_PROVIDER)

static gboolean
pigeon_imap_provider_connect (PigeonProvider *provider,
                              GCancellable   *cancellable,
                              GError        **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return pigeon_imap_get_work_session (self, cancellable, error) != NULL;
}

static void
pigeon_imap_provider_disconnect (PigeonProvider *provider)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  if (self->idle != NULL)
    pigeon_imap_session_logout (self->idle, NULL);
  if (self->work != NULL)
    pigeon_imap_session_logout (self->work, NULL);
  g_clear_object (&self->idle);
  g_clear_object (&self->work);
}

/* A session that failed is dropped here, so the next call starts with a fresh one. */
static gboolean
release_on_failure (PigeonImapProvider *self,
                    gboolean            ok)
{
  if (!ok)
    pigeon_imap_release_broken (self);
  return ok;
}

static gboolean
pigeon_imap_provider_sync_folders (PigeonProvider *provider,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_sync_folder_list (self, cancellable, error));
}

static gboolean
pigeon_imap_provider_sync_folder (PigeonProvider  *provider,
                                  gint64           folder_id,
                                  PigeonSyncFlags  flags,
                                  GCancellable    *cancellable,
                                  GError         **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_sync_one_folder (self, folder_id, flags,
                                                                cancellable, error));
}

static gboolean
pigeon_imap_provider_fetch_body (PigeonProvider *provider,
                                 gint64          message_id,
                                 GCancellable   *cancellable,
                                 GError        **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_fetch_one_body (self, message_id, cancellable,
                                                               error));
}

static gboolean
pigeon_imap_provider_apply_op (PigeonProvider        *provider,
                               const PigeonPendingOp *op,
                               GCancellable          *cancellable,
                               GError               **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_apply_op (self, op, cancellable, error));
}

static void
pigeon_imap_provider_take_changes (PigeonProvider *provider,
                                   GArray         *folder_ids,
                                   gboolean       *elsewhere)
{
  pigeon_imap_take_changes (PIGEON_IMAP_PROVIDER (provider), folder_ids);
}

static gboolean
pigeon_imap_provider_wait_for_changes (PigeonProvider *provider,
                                       guint           timeout_seconds,
                                       GCancellable   *cancellable,
                                       GError        **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_wait_for_changes (self, timeout_seconds,
                                                                 cancellable, error));
}

static gboolean
pigeon_imap_provider_search (PigeonProvider  *provider,
                             const char      *query,
                             gint64           folder_id,
                             GArray          *message_ids,
                             GCancellable    *cancellable,
                             GError         **error)
{
  PigeonImapProvider *self = PIGEON_IMAP_PROVIDER (provider);

  return release_on_failure (self, pigeon_imap_search (self, query, folder_id, message_ids,
                                                       cancellable, error));
}

static void
pigeon_imap_provider_finalize (GObject *object)
{
  PigeonImapProvider *self = (PigeonImapProvider *) object;

  g_clear_object (&self->idle);
  g_clear_object (&self->work);
  g_free (self->personal_prefix);
  g_free (self->personal_delimiter);
  g_hash_table_unref (self->status);
  g_hash_table_unref (self->idle_mailboxes);

  G_OBJECT_CLASS (pigeon_imap_provider_parent_class)->finalize (object);
}

static void
pigeon_imap_provider_class_init (PigeonImapProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  object_class->finalize = pigeon_imap_provider_finalize;

  provider_class->protocol = "imap";
  provider_class->display_name = _("IMAP");
  provider_class->description = _("Mail stays on the server and is the same on every device "
                                  "and in webmail.");
  provider_class->default_port_tls = 993;
  provider_class->default_port_plain = 143;
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS |
                         PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL | PIGEON_PROVIDER_CAP_PUSH |
                         PIGEON_PROVIDER_CAP_SERVER_SEARCH;

  provider_class->connect = pigeon_imap_provider_connect;
  provider_class->disconnect = pigeon_imap_provider_disconnect;
  provider_class->sync_folders = pigeon_imap_provider_sync_folders;
  provider_class->sync_folder = pigeon_imap_provider_sync_folder;
  provider_class->fetch_body = pigeon_imap_provider_fetch_body;
  provider_class->apply_op = pigeon_imap_provider_apply_op;
  provider_class->wait_for_changes = pigeon_imap_provider_wait_for_changes;
  provider_class->search = pigeon_imap_provider_search;
  provider_class->take_changes = pigeon_imap_provider_take_changes;

  pigeon_mime_init ();
}

static void
pigeon_imap_provider_init (PigeonImapProvider *self)
{
  self->status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->idle_mailboxes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
pigeon_imap_provider_register (void)
{
  pigeon_provider_register_type (PIGEON_TYPE_IMAP_PROVIDER, "imap");
}
