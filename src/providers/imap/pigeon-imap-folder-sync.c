/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-fetch.h"
#include "pigeon-imap-private.h"
#include "pigeon-imap-uidset.h"

/* Envelopes: a small first batch so the top of the list shows at once, then bigger ones,
 * several in flight. */
#define FIRST_ENVELOPE_BATCH 200
#define ENVELOPE_BATCH       1000
#define ENVELOPES_IN_FLIGHT  4
/* Flag comparison without CONDSTORE, in UID chunks. */
#define FLAG_CHUNK           5000
#define FLAGS_IN_FLIGHT      3
/* Bodies: batches bounded by count and announced size. */
#define BODY_BATCH           100
#define BODY_BATCH_BYTES     (8 * 1024 * 1024)
#define BODIES_IN_FLIGHT     3

typedef struct
{
  GArray *ids;              /* gint64 */
  GPtrArray *raws;          /* GBytes* */
} BodyBatch;

typedef struct
{
  PigeonImapProvider *self;
  PigeonStore *store;
  PigeonFolder *folder;
  guint32 uidvalidity;
  GPtrArray *vanished;      /* GArray* of PigeonImapRange, from VANISHED (EARLIER) */
  GArray *flag_updates;     /* PigeonFlagUpdate from FETCH responses without an envelope */
  GPtrArray *messages;      /* PigeonMessage* fetched and not stored yet */
  GArray *search;           /* server UIDs as PigeonImapRange (ESEARCH) or guint32 */
  gboolean search_ranges;
  GHashTable *body_ids;     /* uid -> message id, for body prefetch */
  BodyBatch *batch;         /* bodies of the FETCH being read */
  GThreadPool *writer;      /* stores batches while the next ones download: two threads,
                             * so MIME parsing runs in parallel (the store serialises the
                             * writes themselves) */
  GMutex writer_lock;
  GCond writer_cond;
  guint batches_queued;
  guint bodies_stored;
  GError *store_error;      /* the writer's first failure */
} SyncContext;

static void
sync_context_clear (SyncContext *ctx)
{
  g_mutex_clear (&ctx->writer_lock);
  g_cond_clear (&ctx->writer_cond);
  g_clear_pointer (&ctx->folder, pigeon_folder_free);
  g_clear_pointer (&ctx->vanished, g_ptr_array_unref);
  g_clear_pointer (&ctx->flag_updates, g_array_unref);
  g_clear_pointer (&ctx->messages, g_ptr_array_unref);
  g_clear_pointer (&ctx->search, g_array_unref);
  g_clear_pointer (&ctx->body_ids, g_hash_table_unref);
  g_clear_error (&ctx->store_error);
}

static void
note_flags (SyncContext           *ctx,
            const PigeonImapFetch *fetch)
{
  PigeonFlagUpdate update = { fetch->uid, NULL, fetch->flags, fetch->modseq };

  if (fetch->uid != 0 && fetch->has_flags)
    g_array_append_val (ctx->flag_updates, update);
}

/* ------------------------------------------------------------------ selection */

static gboolean
select_cb (PigeonImapCommand  *command,
           PigeonImapResponse *response,
           gpointer            user_data)
{
  SyncContext *ctx = user_data;

  if (g_strcmp0 (response->name, "VANISHED") == 0)
    {
      /* VANISHED (EARLIER) set */
      const char *set = pigeon_imap_value_get_atom (pigeon_imap_response_get_arg (response, 1));
      GArray *ranges;

      if (!pigeon_imap_value_is_list (pigeon_imap_response_get_arg (response, 0)) || set == NULL)
        return FALSE;
      ranges = pigeon_imap_uidset_parse (set, G_MAXUINT32);
      if (ranges != NULL)
        g_ptr_array_add (ctx->vanished, ranges);
      return TRUE;
    }
  if (g_strcmp0 (response->name, "FETCH") == 0)
    {
      PigeonImapFetch fetch;

      if (pigeon_imap_fetch_parse (response, &fetch))
        note_flags (ctx, &fetch);
      return TRUE;
    }
  return FALSE;
}

gboolean
pigeon_imap_ensure_selected (PigeonImapSession  *session,
                             const PigeonFolder *folder,
                             GCancellable       *cancellable,
                             GError            **error)
{
  const PigeonImapSelected *selected = pigeon_imap_session_get_selected (session);
  g_autofree char *mailbox = pigeon_imap_folder_mailbox (session, folder);

  if (pigeon_imap_session_get_state (session) == PIGEON_IMAP_STATE_SELECTED &&
      !selected->read_only && g_strcmp0 (selected->mailbox, mailbox) == 0)
    return TRUE;
  return pigeon_imap_session_select (session, mailbox, FALSE, NULL, NULL, NULL, cancellable,
                                     error);
}

/* ------------------------------------------------------------------ which UIDs exist */

static gboolean
search_cb (PigeonImapCommand  *command,
           PigeonImapResponse *response,
           gpointer            user_data)
{
  SyncContext *ctx = user_data;

  if (g_strcmp0 (response->name, "ESEARCH") == 0)
    {
      for (guint i = 0; i + 1 < pigeon_imap_response_get_n_args (response); i++)
        {
          const char *set;
          g_autoptr(GArray) ranges = NULL;

          if (!pigeon_imap_value_is_atom (pigeon_imap_response_get_arg (response, i), "ALL"))
            continue;
          set = pigeon_imap_value_get_atom (pigeon_imap_response_get_arg (response, i + 1));
          ranges = set != NULL ? pigeon_imap_uidset_parse (set, G_MAXUINT32) : NULL;
          if (ranges != NULL)
            g_array_append_vals (ctx->search, ranges->data, ranges->len);
        }
      return TRUE;
    }
  if (g_strcmp0 (response->name, "SEARCH") == 0)
    {
      for (guint i = 0; i < pigeon_imap_response_get_n_args (response); i++)
        {
          guint32 uid;

          if (pigeon_imap_value_get_uint32 (pigeon_imap_response_get_arg (response, i), &uid) &&
              uid != 0)
            {
              PigeonImapRange range = { uid, uid };

              g_array_append_val (ctx->search, range);
            }
        }
      return TRUE;
    }
  return FALSE;
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const PigeonImapRange *x = a, *y = b;

  return x->first < y->first ? -1 : x->first > y->first;
}

/* The server's UIDs as sorted, merged ranges. */
static GArray *
search_all_uids (SyncContext        *ctx,
                 PigeonImapSession  *session,
                 GCancellable       *cancellable,
                 GError            **error)
{
  const PigeonImapSelected *selected = pigeon_imap_session_get_selected (session);
  g_autoptr(PigeonImapCommand) command = NULL;
  GArray *merged;
  guint64 count = 0;

  ctx->search = g_array_new (FALSE, FALSE, sizeof (PigeonImapRange));
  if (selected->exists > 0)
    {
      command = pigeon_imap_command_new (pigeon_imap_session_has_capability (session, "ESEARCH")
                                           ? "UID SEARCH RETURN (ALL) ALL"
                                           : "UID SEARCH ALL");
      pigeon_imap_command_set_untagged_func (command, search_cb, ctx);
      if (!pigeon_imap_session_run (session, command, cancellable, error))
        return NULL;
    }

  g_array_sort (ctx->search, compare_ranges);
  merged = g_array_new (FALSE, FALSE, sizeof (PigeonImapRange));
  for (guint i = 0; i < ctx->search->len; i++)
    {
      PigeonImapRange *r = &g_array_index (ctx->search, PigeonImapRange, i);
      PigeonImapRange *last = merged->len > 0
                                ? &g_array_index (merged, PigeonImapRange, merged->len - 1)
                                : NULL;

      if (last != NULL && (guint64) r->first <= (guint64) last->last + 1)
        last->last = MAX (last->last, r->last);
      else
        g_array_append_val (merged, *r);
    }
  for (guint i = 0; i < merged->len; i++)
    {
      PigeonImapRange *r = &g_array_index (merged, PigeonImapRange, i);

      count += (guint64) r->last - r->first + 1;
    }
  /* A server that claims more messages than the mailbox holds is not believed (and not
   * allowed to make us walk four billion UIDs). */
  if (count > (guint64) selected->exists + 1000)
    {
      g_array_unref (merged);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server listed more messages in %s than it holds."), ctx->folder->path);
      return NULL;
    }
  return merged;
}

static gboolean
local_has (GArray  *local,
           guint32  uid)
{
  guint lo = 0, hi = local->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 v = g_array_index (local, PigeonUidFlags, mid).uid;

      if (uid < v)
        hi = mid;
      else if (uid > v)
        lo = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

static gboolean
remove_uids (SyncContext *ctx,
             GArray      *uids,
             GError     **error)
{
  if (uids->len == 0)
    return TRUE;
  g_debug ("%s: %u messages are gone from the server", ctx->folder->path, uids->len);
  return pigeon_store_remove_by_uid (ctx->store, ctx->folder->id, (const guint32 *) uids->data,
                                     uids->len, error);
}

/* ------------------------------------------------------------------ envelopes */

static gboolean
envelope_cb (PigeonImapCommand  *command,
             PigeonImapResponse *response,
             gpointer            user_data)
{
  SyncContext *ctx = user_data;
  PigeonImapFetch fetch;
  PigeonMessage *message;

  if (g_strcmp0 (response->name, "FETCH") != 0)
    return FALSE;
  if (!pigeon_imap_fetch_parse (response, &fetch))
    return TRUE;
  message = pigeon_imap_fetch_to_message (&fetch, ctx->uidvalidity);
  if (message != NULL)
    g_ptr_array_add (ctx->messages, message);
  else
    note_flags (ctx, &fetch);
  return TRUE;
}

static gboolean
store_fetched (SyncContext *ctx,
               GError     **error)
{
  gboolean ok;

  if (ctx->messages->len == 0)
    return TRUE;
  ok = pigeon_store_upsert_messages (ctx->store, ctx->folder->id, ctx->messages, error);
  g_ptr_array_set_size (ctx->messages, 0);
  return ok;
}

static int
compare_uids_descending (const void *a,
                         const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x > y ? -1 : x < y;
}

/* Fetches the envelopes of UIDS (newest first), pipelined, one store transaction per
 * batch. */
static gboolean
fetch_envelopes (SyncContext       *ctx,
                 PigeonImapSession *session,
                 GArray            *uids,
                 GCancellable      *cancellable,
                 GError           **error)
{
  g_autoptr(GQueue) in_flight = g_queue_new ();
  gboolean modseq = pigeon_imap_session_has_capability (session, "CONDSTORE");
  guint next = 0;
  guint stored = 0;
  gboolean ok = TRUE;

  if (uids->len == 0)
    return TRUE;
  qsort (uids->data, uids->len, sizeof (guint32), compare_uids_descending);
  pigeon_provider_report_progress (PIGEON_PROVIDER (ctx->self), ctx->folder->name, 0, uids->len);

  while (ok && (next < uids->len || !g_queue_is_empty (in_flight)))
    {
      g_autoptr(PigeonImapCommand) done = NULL;

      while (ok && next < uids->len && g_queue_get_length (in_flight) < ENVELOPES_IN_FLIGHT)
        {
          guint count = MIN (next == 0 ? FIRST_ENVELOPE_BATCH : ENVELOPE_BATCH, uids->len - next);
          g_autofree char *set = pigeon_imap_uidset_format (&g_array_index (uids, guint32, next),
                                                            count);
          PigeonImapCommand *command = pigeon_imap_command_new ("UID FETCH");

          pigeon_imap_command_add_text (command, " %s (" PIGEON_IMAP_ENVELOPE_ITEMS "%s)", set,
                                        modseq ? " MODSEQ" : "");
          pigeon_imap_command_set_untagged_func (command, envelope_cb, ctx);
          g_queue_push_tail (in_flight, command);
          ok = pigeon_imap_session_send (session, command, cancellable, error);
          next += count;
        }
      if (!ok)
        break;
      done = g_queue_pop_head (in_flight);
      ok = pigeon_imap_session_wait (session, done, cancellable, error) &&
           pigeon_imap_command_check (done, error);
      stored += ctx->messages->len;
      ok = ok && store_fetched (ctx, error);
      if (ok)
        pigeon_provider_report_progress (PIGEON_PROVIDER (ctx->self), ctx->folder->name,
                                         MIN (stored, uids->len), uids->len);
    }
  g_queue_free_full (g_steal_pointer (&in_flight), (GDestroyNotify) pigeon_imap_command_unref);
  return ok;
}

gboolean
pigeon_imap_fetch_envelopes (PigeonImapProvider *self,
                             PigeonImapSession  *session,
                             const PigeonFolder *folder,
                             GArray             *uids,
                             GCancellable       *cancellable,
                             GError            **error)
{
  SyncContext ctx = { self, pigeon_provider_get_store (PIGEON_PROVIDER (self)) };
  gboolean ok;

  g_mutex_init (&ctx.writer_lock);
  g_cond_init (&ctx.writer_cond);
  ctx.folder = pigeon_folder_copy (folder);
  ctx.uidvalidity = pigeon_imap_session_get_selected (session)->uidvalidity;
  ctx.flag_updates = g_array_new (FALSE, FALSE, sizeof (PigeonFlagUpdate));
  ctx.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  ok = fetch_envelopes (&ctx, session, uids, cancellable, error);
  sync_context_clear (&ctx);
  return ok;
}

/* ------------------------------------------------------------------ flags */

static gboolean
flags_cb (PigeonImapCommand  *command,
          PigeonImapResponse *response,
          gpointer            user_data)
{
  SyncContext *ctx = user_data;
  PigeonImapFetch fetch;

  if (g_strcmp0 (response->name, "FETCH") != 0)
    return FALSE;
  if (pigeon_imap_fetch_parse (response, &fetch))
    note_flags (ctx, &fetch);
  return TRUE;
}

/* Without CONDSTORE: every known message's flags, compared in chunks. */
static gboolean
compare_all_flags (SyncContext       *ctx,
                   PigeonImapSession *session,
                   GArray            *local,
                   GCancellable      *cancellable,
                   GError           **error)
{
  g_autoptr(GQueue) in_flight = g_queue_new ();
  guint next = 0;
  gboolean ok = TRUE;

  while (ok && (next < local->len || !g_queue_is_empty (in_flight)))
    {
      g_autoptr(PigeonImapCommand) done = NULL;

      while (ok && next < local->len && g_queue_get_length (in_flight) < FLAGS_IN_FLIGHT)
        {
          guint last = MIN (next + FLAG_CHUNK, local->len) - 1;
          PigeonImapCommand *command = pigeon_imap_command_new ("UID FETCH");

          pigeon_imap_command_add_text (command, " %u:%u (UID FLAGS)",
                                        g_array_index (local, PigeonUidFlags, next).uid,
                                        g_array_index (local, PigeonUidFlags, last).uid);
          pigeon_imap_command_set_untagged_func (command, flags_cb, ctx);
          g_queue_push_tail (in_flight, command);
          ok = pigeon_imap_session_send (session, command, cancellable, error);
          next = last + 1;
        }
      if (!ok)
        break;
      done = g_queue_pop_head (in_flight);
      ok = pigeon_imap_session_wait (session, done, cancellable, error) &&
           pigeon_imap_command_check (done, error);
    }
  g_queue_free_full (g_steal_pointer (&in_flight), (GDestroyNotify) pigeon_imap_command_unref);
  return ok;
}

static gboolean
apply_flag_updates (SyncContext *ctx,
                    GArray      *local,
                    GError     **error)
{
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (PigeonFlagUpdate));

  /* Only real changes, so an unchanged mailbox costs no write. */
  for (guint i = 0; i < ctx->flag_updates->len; i++)
    {
      PigeonFlagUpdate *u = &g_array_index (ctx->flag_updates, PigeonFlagUpdate, i);
      guint lo = 0, hi = local->len;
      gboolean differs = TRUE;

      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          PigeonUidFlags *l = &g_array_index (local, PigeonUidFlags, mid);

          if (u->uid < l->uid)
            hi = mid;
          else if (u->uid > l->uid)
            lo = mid + 1;
          else
            {
              differs = l->flags != u->flags || (u->modseq != 0 && l->modseq != u->modseq);
              break;
            }
        }
      if (differs)
        g_array_append_val (changed, *u);
    }
  g_array_set_size (ctx->flag_updates, 0);
  if (changed->len == 0)
    return TRUE;
  return pigeon_store_update_flags (ctx->store, ctx->folder->id,
                                    (const PigeonFlagUpdate *) changed->data, changed->len, error);
}

/* ------------------------------------------------------------------ bodies */

static BodyBatch *
body_batch_new (void)
{
  BodyBatch *batch = g_new0 (BodyBatch, 1);

  batch->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  batch->raws = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return batch;
}

static void
body_batch_free (BodyBatch *batch)
{
  g_array_unref (batch->ids);
  g_ptr_array_unref (batch->raws);
  g_free (batch);
}

static gboolean
body_cb (PigeonImapCommand  *command,
         PigeonImapResponse *response,
         gpointer            user_data)
{
  SyncContext *ctx = user_data;
  PigeonImapFetch fetch;
  gint64 id;

  if (g_strcmp0 (response->name, "FETCH") != 0)
    return FALSE;
  if (!pigeon_imap_fetch_parse (response, &fetch))
    return TRUE;
  if (fetch.body == NULL)
    {
      note_flags (ctx, &fetch);
      return TRUE;
    }
  id = GPOINTER_TO_SIZE (g_hash_table_lookup (ctx->body_ids, GUINT_TO_POINTER (fetch.uid)));
  if (id == 0)
    return TRUE;
  g_array_append_val (ctx->batch->ids, id);
  g_ptr_array_add (ctx->batch->raws, pigeon_imap_value_dup_bytes (fetch.body));
  return TRUE;
}

/* The writer thread: parse and store one batch (one transaction). */
static void
write_batch (gpointer data,
             gpointer user_data)
{
  BodyBatch *batch = data;
  SyncContext *ctx = user_data;
  GError *error = NULL;
  gboolean ok;

  ok = pigeon_store_set_bodies (ctx->store, (const gint64 *) batch->ids->data,
                                (GBytes * const *) batch->raws->pdata, batch->ids->len, &error);
  g_mutex_lock (&ctx->writer_lock);
  if (ok)
    ctx->bodies_stored += batch->ids->len;
  else if (ctx->store_error == NULL)
    ctx->store_error = error;
  else
    g_error_free (error);
  ctx->batches_queued--;
  g_cond_broadcast (&ctx->writer_cond);
  g_mutex_unlock (&ctx->writer_lock);
  body_batch_free (batch);
}

/* Hands the bodies read so far to the writer, waiting while it is too far behind (so at
 * most a few batches of bodies are in memory).  FALSE with the writer's error. */
static gboolean
queue_batch (SyncContext *ctx,
             guint       *stored,
             GError     **error)
{
  gboolean ok;

  g_mutex_lock (&ctx->writer_lock);
  while (ctx->batches_queued >= BODIES_IN_FLIGHT && ctx->store_error == NULL)
    g_cond_wait (&ctx->writer_cond, &ctx->writer_lock);
  ok = ctx->store_error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&ctx->store_error));
  else if (ctx->batch->ids->len > 0)
    {
      ctx->batches_queued++;
      g_thread_pool_push (ctx->writer, g_steal_pointer (&ctx->batch), NULL);
      ctx->batch = body_batch_new ();
    }
  *stored = ctx->bodies_stored;
  g_mutex_unlock (&ctx->writer_lock);
  return ok;
}

static gboolean
prefetch_bodies (SyncContext       *ctx,
                 PigeonImapSession *session,
                 GCancellable      *cancellable,
                 GError           **error)
{
  PigeonAccount *account = pigeon_provider_get_account (PIGEON_PROVIDER (ctx->self));
  guint days = pigeon_account_get_sync_window_days (account);
  gint64 since = days > 0 ? g_get_real_time () / G_USEC_PER_SEC - (gint64) days * 86400 : 0;
  PigeonImapLimits limits;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GQueue) in_flight = g_queue_new ();
  guint next = 0;
  guint stored = 0;
  gboolean ok = TRUE;

  pigeon_imap_limits_init_default (&limits);
  ids = pigeon_store_list_missing_bodies (ctx->store, ctx->folder->id, since, 0, error);
  if (ids == NULL)
    return FALSE;
  ctx->body_ids = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autoptr(PigeonMessage) message = pigeon_store_get_message (ctx->store, id, NULL);

      /* Only what the server has under this UIDVALIDITY, and what a literal may hold. */
      if (message == NULL || message->uid == 0 || message->uidvalidity != ctx->uidvalidity ||
          (guint64) message->size > limits.max_literal)
        continue;
      g_hash_table_insert (ctx->body_ids, GUINT_TO_POINTER (message->uid),
                           GSIZE_TO_POINTER ((gsize) id));
      g_array_append_val (uids, message->uid);
      g_array_append_val (sizes, message->size);
    }
  if (uids->len == 0)
    return TRUE;

  ctx->batch = body_batch_new ();
  ctx->writer = g_thread_pool_new (write_batch, ctx, 2, TRUE, NULL);
  pigeon_provider_report_progress (PIGEON_PROVIDER (ctx->self), ctx->folder->name, 0, uids->len);
  while (ok && (next < uids->len || !g_queue_is_empty (in_flight)))
    {
      g_autoptr(PigeonImapCommand) done = NULL;

      while (ok && next < uids->len && g_queue_get_length (in_flight) < BODIES_IN_FLIGHT)
        {
          guint count = 0;
          gint64 bytes = 0;
          g_autofree char *set = NULL;
          PigeonImapCommand *command;

          while (next + count < uids->len && count < BODY_BATCH &&
                 (count == 0 ||
                  bytes + g_array_index (sizes, gint64, next + count) <= BODY_BATCH_BYTES))
            bytes += g_array_index (sizes, gint64, next + count++);
          set = pigeon_imap_uidset_format (&g_array_index (uids, guint32, next), count);
          command = pigeon_imap_command_new ("UID FETCH");
          pigeon_imap_command_add_text (command, " %s (UID BODY.PEEK[])", set);
          pigeon_imap_command_set_untagged_func (command, body_cb, ctx);
          g_queue_push_tail (in_flight, command);
          ok = pigeon_imap_session_send (session, command, cancellable, error);
          next += count;
        }
      if (!ok)
        break;
      done = g_queue_pop_head (in_flight);
      ok = pigeon_imap_session_wait (session, done, cancellable, error) &&
           pigeon_imap_command_check (done, error) &&
           queue_batch (ctx, &stored, error);
      if (ok)
        pigeon_provider_report_progress (PIGEON_PROVIDER (ctx->self), ctx->folder->name,
                                         stored, uids->len);
    }
  g_queue_free_full (g_steal_pointer (&in_flight), (GDestroyNotify) pigeon_imap_command_unref);
  /* Let the writer finish what it has, then report how it went. */
  g_thread_pool_free (g_steal_pointer (&ctx->writer), FALSE, TRUE);
  g_clear_pointer (&ctx->batch, body_batch_free);
  if (ok && ctx->store_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&ctx->store_error));
      ok = FALSE;
    }
  if (ok)
    pigeon_provider_report_progress (PIGEON_PROVIDER (ctx->self), ctx->folder->name,
                                     ctx->bodies_stored, uids->len);
  return ok;
}

/* ------------------------------------------------------------------ one folder */

/* Whether LIST-STATUS showed the folder exactly as we left it. */
static gboolean
unchanged_since_last_sync (PigeonImapProvider *self,
                           const PigeonFolder *folder,
                           const char         *mailbox)
{
  PigeonImapStatusItems *status = g_hash_table_lookup (self->status, mailbox);
  gboolean unchanged;

  if (status == NULL)
    return FALSE;
  unchanged = folder->uidvalidity != 0 && status->uidvalidity == folder->uidvalidity &&
              status->uidnext == folder->uidnext && status->messages == folder->total &&
              status->highestmodseq != 0 && status->highestmodseq == folder->highestmodseq;
  /* Good for one look only: it ages with the first change. */
  g_hash_table_remove (self->status, mailbox);
  return unchanged;
}

static gboolean
sync_selected (SyncContext       *ctx,
               PigeonImapSession *session,
               gboolean           qresync,
               PigeonSyncFlags    flags,
               GCancellable      *cancellable,
               GError           **error)
{
  const PigeonImapSelected *selected = pigeon_imap_session_get_selected (session);
  PigeonFolder *folder = ctx->folder;
  g_autoptr(GArray) local = NULL;
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (PigeonUidFlags));
  gboolean full = (flags & PIGEON_SYNC_FLAGS_FULL) != 0;
  guint32 uidnext = selected->uidnext;
  guint64 highestmodseq = selected->highestmodseq;

  local = pigeon_store_list_uids (ctx->store, folder->id, ctx->uidvalidity, error);
  if (local == NULL)
    return FALSE;

  /* What QRESYNC reported as expunged since last time. */
  for (guint i = 0; i < local->len; i++)
    {
      PigeonUidFlags *entry = &g_array_index (local, PigeonUidFlags, i);
      gboolean vanished = FALSE;

      for (guint j = 0; j < ctx->vanished->len && !vanished; j++)
        vanished = pigeon_imap_uidset_contains (g_ptr_array_index (ctx->vanished, j), entry->uid);
      if (vanished)
        g_array_append_val (gone, entry->uid);
      else
        g_array_append_val (kept, *entry);
    }
  if (!remove_uids (ctx, gone, error))
    return FALSE;
  g_array_set_size (gone, 0);

  /* New or missing messages: unless the counts prove there are none, compare UID sets.
   * This also resumes an initial sync that was cut off. */
  if (full || kept->len != selected->exists || folder->uidnext != uidnext || uidnext == 0)
    {
      g_autoptr(GArray) server = search_all_uids (ctx, session, cancellable, error);
      g_autoptr(GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GArray) still = g_array_new (FALSE, FALSE, sizeof (PigeonUidFlags));

      if (server == NULL)
        return FALSE;
      for (guint i = 0; i < kept->len; i++)
        {
          PigeonUidFlags *entry = &g_array_index (kept, PigeonUidFlags, i);

          if (pigeon_imap_uidset_contains (server, entry->uid))
            g_array_append_val (still, *entry);
          else
            g_array_append_val (gone, entry->uid);
        }
      if (!remove_uids (ctx, gone, error))
        return FALSE;
      g_array_unref (kept);
      kept = g_steal_pointer (&still);

      for (guint i = 0; i < server->len; i++)
        {
          PigeonImapRange *r = &g_array_index (server, PigeonImapRange, i);

          for (guint64 uid = r->first; uid <= r->last; uid++)
            {
              guint32 u = (guint32) uid;

              if (!local_has (kept, u))
                g_array_append_val (missing, u);
            }
          if (uidnext == 0 || r->last >= uidnext)
            uidnext = r->last + 1;
        }
      if (!fetch_envelopes (ctx, session, missing, cancellable, error))
        return FALSE;
    }

  /* Flags of the messages we had. */
  if (!qresync && kept->len > 0)
    {
      if (!full && folder->highestmodseq != 0 && highestmodseq != 0)
        {
          if (highestmodseq != folder->highestmodseq)
            {
              g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("UID FETCH");

              pigeon_imap_command_add_text (command,
                                            " 1:* (UID FLAGS) (CHANGEDSINCE %" G_GUINT64_FORMAT ")",
                                            folder->highestmodseq);
              pigeon_imap_command_set_untagged_func (command, flags_cb, ctx);
              if (!pigeon_imap_session_run (session, command, cancellable, error))
                return FALSE;
            }
        }
      else if (!compare_all_flags (ctx, session, kept, cancellable, error))
        return FALSE;
    }
  if (!apply_flag_updates (ctx, kept, error))
    return FALSE;

  if ((flags & PIGEON_SYNC_FLAGS_BODIES) && !prefetch_bodies (ctx, session, cancellable, error))
    return FALSE;

  /* Only now, with everything stored, does the folder count as synced to this point. */
  return pigeon_store_set_folder_sync_state (ctx->store, folder->id, ctx->uidvalidity, uidnext,
                                             highestmodseq, NULL, error);
}

gboolean
pigeon_imap_sync_one_folder (PigeonImapProvider *self,
                             gint64              folder_id,
                             PigeonSyncFlags     flags,
                             GCancellable       *cancellable,
                             GError            **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  PigeonImapSession *session;
  SyncContext ctx = { self, store };
  g_autofree char *mailbox = NULL;
  g_autofree char *params = NULL;
  const PigeonImapSelected *selected;
  gboolean qresync;
  gboolean ok;

  g_mutex_init (&ctx.writer_lock);
  g_cond_init (&ctx.writer_cond);
  ctx.folder = pigeon_store_get_folder (store, folder_id, error);
  if (ctx.folder == NULL)
    {
      sync_context_clear (&ctx);
      return FALSE;
    }
  if (ctx.folder->flags & (PIGEON_FOLDER_FLAG_NOSELECT | PIGEON_FOLDER_FLAG_LOCAL))
    {
      sync_context_clear (&ctx);
      return TRUE;
    }
  session = pigeon_imap_get_work_session (self, cancellable, error);
  if (session == NULL)
    {
      sync_context_clear (&ctx);
      return FALSE;
    }
  mailbox = pigeon_imap_folder_mailbox (session, ctx.folder);
  if (!(flags & (PIGEON_SYNC_FLAGS_FULL | PIGEON_SYNC_FLAGS_BODIES)) &&
      unchanged_since_last_sync (self, ctx.folder, mailbox))
    {
      sync_context_clear (&ctx);
      return TRUE;
    }

  qresync = pigeon_imap_session_is_enabled (session, "QRESYNC") && ctx.folder->uidvalidity != 0 &&
            ctx.folder->highestmodseq != 0 && !(flags & PIGEON_SYNC_FLAGS_FULL);
  if (qresync)
    params = g_strdup_printf ("(QRESYNC (%u %" G_GUINT64_FORMAT "))", ctx.folder->uidvalidity,
                              ctx.folder->highestmodseq);
  else if (pigeon_imap_session_has_capability (session, "CONDSTORE"))
    params = g_strdup ("(CONDSTORE)");

  ctx.vanished = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  ctx.flag_updates = g_array_new (FALSE, FALSE, sizeof (PigeonFlagUpdate));
  ctx.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);

  if (!pigeon_imap_session_select (session, mailbox, FALSE, params, select_cb, &ctx, cancellable,
                                   error))
    {
      sync_context_clear (&ctx);
      return FALSE;
    }
  selected = pigeon_imap_session_get_selected (session);
  if (selected->uidvalidity == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server gave no UIDVALIDITY for %s."), ctx.folder->path);
      sync_context_clear (&ctx);
      return FALSE;
    }
  ctx.uidvalidity = selected->uidvalidity;

  if (ctx.folder->uidvalidity != 0 && ctx.folder->uidvalidity != selected->uidvalidity)
    {
      /* The mailbox was recreated: every UID we know means nothing now. */
      g_message ("%s was recreated on the server (UIDVALIDITY %u → %u); downloading it again",
                 ctx.folder->path, ctx.folder->uidvalidity, selected->uidvalidity);
      if (!pigeon_store_reset_folder (store, folder_id, error))
        {
          sync_context_clear (&ctx);
          return FALSE;
        }
      g_ptr_array_set_size (ctx.vanished, 0);
      g_array_set_size (ctx.flag_updates, 0);
      ctx.folder->uidvalidity = 0;
      ctx.folder->uidnext = 0;
      ctx.folder->highestmodseq = 0;
      qresync = FALSE;
    }

  ok = sync_selected (&ctx, session, qresync, flags, cancellable, error);
  sync_context_clear (&ctx);
  return ok;
}

/* ------------------------------------------------------------------ one body */

typedef struct
{
  guint32 uid;
  GBytes *body;
} OneBody;

static gboolean
one_body_cb (PigeonImapCommand  *command,
             PigeonImapResponse *response,
             gpointer            user_data)
{
  OneBody *one = user_data;
  PigeonImapFetch fetch;

  if (g_strcmp0 (response->name, "FETCH") != 0)
    return FALSE;
  if (pigeon_imap_fetch_parse (response, &fetch) && fetch.uid == one->uid && fetch.body != NULL)
    {
      g_clear_pointer (&one->body, g_bytes_unref);
      one->body = pigeon_imap_value_dup_bytes (fetch.body);
    }
  return TRUE;
}

GBytes *
pigeon_imap_fetch_uid_body (PigeonImapSession  *session,
                            guint32             uid,
                            GCancellable       *cancellable,
                            GError            **error)
{
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("UID FETCH");
  OneBody one = { uid, NULL };

  pigeon_imap_command_add_text (command, " %u (UID BODY.PEEK[])", uid);
  pigeon_imap_command_set_untagged_func (command, one_body_cb, &one);
  if (!pigeon_imap_session_run (session, command, cancellable, error))
    {
      g_clear_pointer (&one.body, g_bytes_unref);
      return NULL;
    }
  return one.body;
}

gboolean
pigeon_imap_fetch_one_body (PigeonImapProvider *self,
                            gint64              message_id,
                            GCancellable       *cancellable,
                            GError            **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonMessage) message = NULL;
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  PigeonImapSession *session;

  message = pigeon_store_get_message (store, message_id, error);
  if (message == NULL)
    return FALSE;
  if (message->uid == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("This message is not on the server yet."));
      return FALSE;
    }
  folder = pigeon_store_get_folder (store, message->folder_id, error);
  if (folder == NULL)
    return FALSE;
  session = pigeon_imap_get_work_session (self, cancellable, error);
  if (session == NULL || !pigeon_imap_ensure_selected (session, folder, cancellable, error))
    return FALSE;
  if (pigeon_imap_session_get_selected (session)->uidvalidity != message->uidvalidity)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is no longer on the server."));
      return FALSE;
    }

  body = pigeon_imap_fetch_uid_body (session, message->uid, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (body == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is no longer on the server."));
      return FALSE;
    }
  return pigeon_store_set_body (store, message_id, body, error);
}
