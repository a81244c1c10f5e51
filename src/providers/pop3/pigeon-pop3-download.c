/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-pop3"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-pop3-download.h"

/* A transaction per this many messages or bytes: few commits, bounded memory. */
#define BATCH_MESSAGES 200
#define BATCH_BYTES (8 * 1024 * 1024)
/* Batches downloaded and not yet committed, at most. */
#define BATCHES_IN_FLIGHT 2
#define SECONDS_PER_DAY (24 * 60 * 60)

/* Commits batches on a thread of its own, so the next ones download meanwhile. */
typedef struct
{
  PigeonStore *store;
  gint64       folder_id;
  gboolean     delete_pending;
  GThread     *thread;
  GMutex       lock;
  GCond        cond;
  GQueue       queue;    /* GPtrArray of PigeonStoreDownload, oldest first */
  guint        busy;     /* batches queued or being committed */
  gboolean     closing;
  GError      *error;    /* the first failure; later batches are dropped */
} Committer;

typedef struct
{
  PigeonProvider            *provider;
  PigeonStore               *store;
  gint64                     folder_id;
  PigeonPop3DownloadOptions *options;
  GHashTable                *by_number;  /* number -> PigeonPop3Entry (borrowed) */
  GHashTable                *known;      /* uidl -> PigeonStoreUidl */
  GHashTable                *seen;       /* uidls retrieved in this session */
  GPtrArray                 *batch;      /* PigeonStoreDownload, not handed over yet */
  gsize                      batch_bytes;
  Committer                 *committer;
  guint                      refused;    /* messages the server would not send */
  char                      *refusal;    /* what it said the first time */
  guint                      too_big;    /* messages over the size Pigeon takes */
  guint                      done;
  guint                      total;
} Download;

/* ------------------------------------------------------------------ fallback keys */

static gsize
header_length (const char *data,
               gsize       size)
{
  for (gsize i = 0; i < size; i++)
    {
      if (data[i] != '\n')
        continue;
      if (i + 1 < size && data[i + 1] == '\n')
        return i + 1;
      if (i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n')
        return i + 1;
    }
  return size;
}

char *
pigeon_pop3_fallback_key (GBytes  *message,
                          guint64  size)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  g_autoptr(GBytes) header = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  g_autofree char *digest = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  length = header_length (data, length);
  header = g_bytes_new (data, length);
  pigeon_mime_init ();
  envelope = pigeon_mime_parse_envelope (header, NULL);
  if (envelope != NULL && envelope->message_id != NULL && *envelope->message_id != '\0' &&
      strpbrk (envelope->message_id, " \t\r\n") == NULL)
    return g_strdup_printf ("<%s> %" G_GUINT64_FORMAT, envelope->message_id, size);

  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
  return g_strdup_printf ("sha256:%s %" G_GUINT64_FORMAT, digest, size);
}

/* Without UIDL: a key for each message from its header (TOP n 0).  FALSE without an error
 * when the server has no TOP either: the keys are then made from the messages as they are
 * retrieved. */
static gboolean
keys_from_headers (PigeonPop3Session *session,
                   GPtrArray         *entries,
                   GCancellable      *cancellable,
                   GError           **error)
{
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonPop3Entry *entry = g_ptr_array_index (entries, i);
      g_autoptr(GBytes) header = NULL;
      g_autoptr(GError) local_error = NULL;

      header = pigeon_pop3_session_top (session, entry->number, 0, cancellable, &local_error);
      if (header == NULL)
        {
          if (i == 0 && g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED))
            return FALSE;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      entry->uidl = pigeon_pop3_fallback_key (header, entry->size);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ downloading */

static gpointer
committer_thread (gpointer data)
{
  Committer *c = data;

  g_mutex_lock (&c->lock);
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;

      while (g_queue_is_empty (&c->queue) && !c->closing)
        g_cond_wait (&c->cond, &c->lock);
      batch = g_queue_pop_head (&c->queue);
      if (batch == NULL)
        break;
      if (c->error == NULL)
        {
          GError *error = NULL;
          gboolean ok;

          g_mutex_unlock (&c->lock);
          ok = pigeon_store_pop3_commit_downloads (c->store, c->folder_id, batch,
                                                   c->delete_pending, &error);
          g_clear_pointer (&batch, g_ptr_array_unref);
          g_mutex_lock (&c->lock);
          if (!ok)
            c->error = error;
        }
      c->busy--;
      g_cond_broadcast (&c->cond);
    }
  g_mutex_unlock (&c->lock);
  return NULL;
}

static Committer *
committer_start (PigeonStore *store,
                 gint64       folder_id,
                 gboolean     delete_pending)
{
  Committer *c = g_new0 (Committer, 1);

  c->store = store;
  c->folder_id = folder_id;
  c->delete_pending = delete_pending;
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  g_queue_init (&c->queue);
  c->thread = g_thread_new ("pigeon-pop3-commit", committer_thread, c);
  return c;
}

/* Hands BATCH over, waiting while too many are in flight.  FALSE when a commit failed. */
static gboolean
committer_push (Committer  *c,
                GPtrArray  *batch,
                GError    **error)
{
  g_mutex_lock (&c->lock);
  while (c->busy >= BATCHES_IN_FLIGHT && c->error == NULL)
    g_cond_wait (&c->cond, &c->lock);
  if (c->error != NULL)
    {
      g_propagate_error (error, g_error_copy (c->error));
      g_mutex_unlock (&c->lock);
      g_ptr_array_unref (batch);
      return FALSE;
    }
  g_queue_push_tail (&c->queue, batch);
  c->busy++;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  return TRUE;
}

/* Waits until everything handed over is committed (or failed), and frees C. */
static gboolean
committer_finish (Committer  *c,
                  GError    **error)
{
  gboolean ok;

  g_mutex_lock (&c->lock);
  c->closing = TRUE;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  g_thread_join (c->thread);

  ok = c->error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&c->error));
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
  return ok;
}

static gboolean
commit_batch (Download  *dl,
              GError   **error)
{
  GPtrArray *batch = dl->batch;

  if (batch->len == 0)
    return TRUE;
  dl->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_store_download_free);
  dl->batch_bytes = 0;
  if (!committer_push (dl->committer, batch, error))
    return FALSE;
  pigeon_provider_report_progress (dl->provider, dl->options->folder_name, dl->done, dl->total);
  return TRUE;
}

static gboolean
message_cb (PigeonPop3Session *session,
            guint              number,
            GBytes            *raw,
            const GError      *refusal,
            gpointer           user_data,
            GError           **error)
{
  Download *dl = user_data;
  PigeonPop3Entry *entry = g_hash_table_lookup (dl->by_number, GUINT_TO_POINTER (number));

  g_assert (entry != NULL);
  dl->done++;
  /* It stays on the server, and the next check tries again. */
  if (raw == NULL)
    {
      if (dl->refused++ == 0)
        dl->refusal = g_strdup (refusal->message);
      return TRUE;
    }
  if (entry->uidl == NULL)
    entry->uidl = pigeon_pop3_fallback_key (raw, entry->size);
  /* Known already (a fallback key, or a unique id the server listed twice). */
  if (g_hash_table_contains (dl->known, entry->uidl) ||
      g_hash_table_contains (dl->seen, entry->uidl))
    return TRUE;
  g_hash_table_add (dl->seen, g_strdup (entry->uidl));

  g_ptr_array_add (dl->batch,
                   pigeon_store_download_new (entry->uidl, entry->size, raw, dl->options->now));
  dl->batch_bytes += g_bytes_get_size (raw);
  if (dl->batch->len >= BATCH_MESSAGES || dl->batch_bytes >= BATCH_BYTES)
    return commit_batch (dl, error);
  return TRUE;
}

static int
compare_numbers_descending (gconstpointer a,
                            gconstpointer b)
{
  guint na = *(const guint *) a;
  guint nb = *(const guint *) b;

  return (na < nb) - (na > nb);
}

/* RETR what was never downloaded, newest (highest number) first, committing as it goes. */
static gboolean
retrieve_new (Download          *dl,
              PigeonPop3Session *session,
              GPtrArray         *entries,
              GCancellable      *cancellable,
              GError           **error)
{
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) local_error = NULL;
  PigeonPop3Limits limits;
  gboolean ok;

  /* The session's limit counts stuffed dots and line ends too: leave room for them. */
  pigeon_pop3_limits_init_default (&limits);
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonPop3Entry *entry = g_ptr_array_index (entries, i);

      if (entry->uidl != NULL && g_hash_table_contains (dl->known, entry->uidl))
        continue;
      /* One huge message must not keep every other one from arriving. */
      if (entry->size > limits.max_multiline - limits.max_multiline / 8)
        {
          dl->too_big++;
          continue;
        }
      g_array_append_val (numbers, entry->number);
    }
  g_array_sort (numbers, compare_numbers_descending);
  dl->total = numbers->len;
  if (numbers->len == 0)
    return TRUE;

  pigeon_provider_report_progress (dl->provider, dl->options->folder_name, 0, dl->total);
  dl->committer = committer_start (dl->store, dl->folder_id,
                                   dl->options->keep == PIGEON_POP3_KEEP_NO);
  ok = pigeon_pop3_session_retrieve (session, (const guint *) numbers->data, numbers->len,
                                     message_cb, dl, cancellable, &local_error);
  /* Whatever arrived whole is kept, even when the rest failed. */
  if (!commit_batch (dl, ok ? &local_error : NULL))
    ok = FALSE;
  if (!committer_finish (g_steal_pointer (&dl->committer), ok ? &local_error : NULL))
    ok = FALSE;
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ deleting */

static gboolean
should_delete (const PigeonPop3DownloadOptions *options,
               const PigeonStoreUidl           *row)
{
  if (row->delete_pending)
    return TRUE;
  switch (options->keep)
    {
    case PIGEON_POP3_KEEP_NO:
      return TRUE;
    case PIGEON_POP3_KEEP_DAYS:
      return options->now >= row->downloaded_at + (gint64) options->keep_days * SECONDS_PER_DAY;
    case PIGEON_POP3_KEEP_UNTIL_DELETED:
      return !row->message_exists;
    case PIGEON_POP3_KEEP_FOREVER:
    default:
      return FALSE;
    }
}

/* Records that the server no longer has what it did not list (deleted by us in a session
 * whose end we did not see, or by another client). */
static gboolean
forget_gone (Download   *dl,
             GHashTable *listed,
             GError    **error)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  PigeonStoreUidl *row;

  g_hash_table_iter_init (&iter, dl->known);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    if (!row->deleted && !g_hash_table_contains (listed, row->uidl))
      g_ptr_array_add (gone, row->uidl);
  if (gone->len == 0)
    return TRUE;
  g_ptr_array_add (gone, NULL);
  return pigeon_store_pop3_mark_deleted (dl->store, (const char * const *) gone->pdata, error);
}

static gboolean
delete_and_quit (Download          *dl,
                 PigeonPop3Session *session,
                 GPtrArray         *entries,
                 GCancellable      *cancellable,
                 GError           **error)
{
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GPtrArray) confirmed = g_ptr_array_new ();
  g_autofree gboolean *deleted = NULL;

  /* What the store holds now, including what this session committed. */
  g_clear_pointer (&dl->known, g_hash_table_unref);
  dl->known = pigeon_store_pop3_list_uidls (dl->store, error);
  if (dl->known == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      PigeonPop3Entry *entry = g_ptr_array_index (entries, i);
      PigeonStoreUidl *row;

      /* Without UIDL or TOP, a message never retrieved has no key: it is not ours. */
      if (entry->uidl == NULL)
        continue;
      g_hash_table_add (listed, entry->uidl);
      row = g_hash_table_lookup (dl->known, entry->uidl);
      /* Only what is committed locally may go from the server. */
      if (row != NULL && should_delete (dl->options, row))
        {
          g_array_append_val (numbers, entry->number);
          g_ptr_array_add (keys, entry->uidl);
        }
    }
  if (!forget_gone (dl, listed, error))
    return FALSE;

  if (numbers->len == 0)
    return pigeon_pop3_session_quit (session, cancellable, error);

  /* The local copies must survive a power cut before the server copies go. */
  if (!pigeon_store_pop3_flush (dl->store, error))
    return FALSE;
  deleted = g_new0 (gboolean, numbers->len);
  if (!pigeon_pop3_session_delete (session, (const guint *) numbers->data, numbers->len,
                                   deleted, cancellable, error) ||
      !pigeon_pop3_session_quit (session, cancellable, error))
    return FALSE;

  for (guint i = 0; i < numbers->len; i++)
    if (deleted[i])
      g_ptr_array_add (confirmed, g_ptr_array_index (keys, i));
  g_ptr_array_add (confirmed, NULL);
  return pigeon_store_pop3_mark_deleted (dl->store, (const char * const *) confirmed->pdata,
                                         error);
}

/* ------------------------------------------------------------------ the whole check */

static void
add_sentence (GString    *text,
              const char *format,
              ...) G_GNUC_PRINTF (2, 3);

static void
add_sentence (GString    *text,
              const char *format,
              ...)
{
  va_list args;

  if (text->len > 0)
    g_string_append_c (text, ' ');
  va_start (args, format);
  g_string_append_vprintf (text, format, args);
  va_end (args);
}

gboolean
pigeon_pop3_download (PigeonPop3Session         *session,
                      PigeonProvider            *provider,
                      gint64                     folder_id,
                      PigeonPop3DownloadOptions *options,
                      GCancellable              *cancellable,
                      GError                   **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) by_number = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Download dl = { provider, pigeon_provider_get_store (provider), folder_id, options,
                  by_number, NULL, seen };
  g_autoptr(GString) warning = g_string_new (NULL);
  gboolean has_uidl = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (session), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  g_clear_pointer (&options->warning, g_free);
  dl.batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_store_download_free);
  entries = pigeon_pop3_session_list (session, &has_uidl, cancellable, error);
  if (entries == NULL)
    goto out;
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonPop3Entry *entry = g_ptr_array_index (entries, i);

      g_hash_table_insert (by_number, GUINT_TO_POINTER (entry->number), entry);
    }

  if (!has_uidl)
    {
      g_autoptr(GError) local_error = NULL;

      g_string_append_printf (warning,
                              _("%s does not give its messages unique ids (UIDL), so Pigeon "
                                "recognises the messages it already has by their Message-ID "
                                "and size. Two different messages with the same Message-ID "
                                "and size would be taken for one."),
                              pigeon_provider_get_host (provider));
      if (entries->len > 0 &&
          !keys_from_headers (session, entries, cancellable, &local_error) &&
          local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto out;
        }
    }

  dl.known = pigeon_store_pop3_list_uidls (dl.store, error);
  if (dl.known == NULL || !retrieve_new (&dl, session, entries, cancellable, error))
    goto out;
  if (dl.too_big > 0)
    {
      PigeonPop3Limits limits;

      pigeon_pop3_limits_init_default (&limits);
      add_sentence (warning,
                    g_dngettext (GETTEXT_PACKAGE,
                                 "%u message on %s is larger than %zu MB, more than Pigeon "
                                 "downloads; it stays on the server.",
                                 "%u messages on %s are larger than %zu MB, more than Pigeon "
                                 "downloads; they stay on the server.",
                                 dl.too_big),
                    dl.too_big, pigeon_provider_get_host (provider),
                    limits.max_multiline / (1024 * 1024));
    }
  if (dl.refused > 0)
    add_sentence (warning,
                  g_dngettext (GETTEXT_PACKAGE,
                               "%u message could not be downloaded and stays on the server "
                               "until the next check (%s).",
                               "%u messages could not be downloaded and stay on the server "
                               "until the next check (%s).",
                               dl.refused),
                  dl.refused, dl.refusal);
  if (!delete_and_quit (&dl, session, entries, cancellable, error))
    goto out;
  ok = TRUE;

out:
  if (warning->len > 0)
    options->warning = g_strdup (warning->str);
  g_free (dl.refusal);
  if (!ok)
    pigeon_pop3_session_close (session);
  g_clear_pointer (&dl.known, g_hash_table_unref);
  g_clear_pointer (&dl.batch, g_ptr_array_unref);
  return ok;
}
