/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-outbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "pigeon-error.h"
#include "pigeon-outbox.h"

#define DEFAULT_UNDO_DELAY  5
#define FIRST_RETRY         30          /* seconds; doubles with every failed attempt */
#define LAST_RETRY          (15 * 60)
#define LOCK_WAIT           (120 * G_USEC_PER_SEC)
#define KEEP_FINISHED       (7 * 24 * 3600)

struct _PigeonOutbox
{
  GObject parent_instance;

  PigeonAccount *account;
  PigeonStore *store;
  guint undo_delay;
  guint n_waiting;
  GMainContext *context;
  PigeonProvider *sender;

  /* The background sender, on the main context. */
  gboolean started;
  gboolean busy;
  gboolean again;
  gboolean again_retry_now;
  GCancellable *cancellable;
  guint timer_id;
};

G_DEFINE_FINAL_TYPE (PigeonOutbox, pigeon_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_STORE,
  PROP_UNDO_DELAY,
  PROP_N_WAITING,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNAL_SENT,
  SIGNAL_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule (PigeonOutbox *self);

/* ------------------------------------------------------------------ GObject */

static void
pigeon_outbox_dispose (GObject *object)
{
  PigeonOutbox *self = (PigeonOutbox *) object;

  pigeon_outbox_stop (self);

  G_OBJECT_CLASS (pigeon_outbox_parent_class)->dispose (object);
}

static void
pigeon_outbox_finalize (GObject *object)
{
  PigeonOutbox *self = (PigeonOutbox *) object;

  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_clear_object (&self->sender);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (pigeon_outbox_parent_class)->finalize (object);
}

static void
pigeon_outbox_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PigeonOutbox *self = PIGEON_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_UNDO_DELAY:
      g_value_set_uint (value, self->undo_delay);
      break;
    case PROP_N_WAITING:
      g_value_set_uint (value, self->n_waiting);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_outbox_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PigeonOutbox *self = PIGEON_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_UNDO_DELAY:
      pigeon_outbox_set_undo_delay (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_outbox_class_init (PigeonOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_outbox_dispose;
  object_class->finalize = pigeon_outbox_finalize;
  object_class->get_property = pigeon_outbox_get_property;
  object_class->set_property = pigeon_outbox_set_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, PIGEON_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, PIGEON_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNDO_DELAY] =
    g_param_spec_uint ("undo-delay", NULL, NULL, 0, 600, DEFAULT_UNDO_DELAY,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_WAITING] =
    g_param_spec_uint ("n-waiting", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRV);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRING);
}

static void
pigeon_outbox_init (PigeonOutbox *self)
{
  self->undo_delay = DEFAULT_UNDO_DELAY;
  self->context = g_main_context_ref_thread_default ();
}

PigeonOutbox *
pigeon_outbox_new (PigeonAccount *account,
                   PigeonStore   *store)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (PIGEON_IS_STORE (store), NULL);

  return g_object_new (PIGEON_TYPE_OUTBOX, "account", account, "store", store, NULL);
}

PigeonAccount *
pigeon_outbox_get_account (PigeonOutbox *self)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), NULL);
  return self->account;
}

PigeonStore *
pigeon_outbox_get_store (PigeonOutbox *self)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), NULL);
  return self->store;
}

guint
pigeon_outbox_get_undo_delay (PigeonOutbox *self)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), 0);
  return self->undo_delay;
}

void
pigeon_outbox_set_undo_delay (PigeonOutbox *self,
                              guint         seconds)
{
  g_return_if_fail (PIGEON_IS_OUTBOX (self));

  if (self->undo_delay == seconds)
    return;
  self->undo_delay = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNDO_DELAY]);
}

guint
pigeon_outbox_get_n_waiting (PigeonOutbox *self)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), 0);
  return self->n_waiting;
}

void
pigeon_outbox_set_sender (PigeonOutbox   *self,
                          PigeonProvider *sender)
{
  g_return_if_fail (PIGEON_IS_OUTBOX (self));
  g_return_if_fail (sender == NULL || PIGEON_IS_PROVIDER (sender));

  g_set_object (&self->sender, sender);
}

/* ------------------------------------------------------------------ reports */

typedef struct
{
  PigeonOutbox *self;
  gint64 id;
  char *subject;
  GStrv rejected;
  char *why;
  gboolean failed;
} Report;

static void
report_free (gpointer data)
{
  Report *report = data;

  g_object_unref (report->self);
  g_free (report->subject);
  g_strfreev (report->rejected);
  g_free (report->why);
  g_free (report);
}

static gboolean
emit_report_cb (gpointer data)
{
  Report *report = data;

  if (report->failed)
    g_signal_emit (report->self, signals[SIGNAL_FAILED], 0, report->id, report->subject,
                   report->why);
  else
    g_signal_emit (report->self, signals[SIGNAL_SENT], 0, report->id, report->subject,
                   report->rejected);
  return G_SOURCE_REMOVE;
}

static void
report (PigeonOutbox            *self,
        const PigeonOutboxEntry *entry,
        const char * const      *rejected,
        const char              *why)
{
  const char *none[] = { NULL };
  Report *r;

  /* Only a running sender has listeners; a flush from pigeonctl has no main loop. */
  if (!self->started)
    return;
  r = g_new0 (Report, 1);
  r->self = g_object_ref (self);
  r->id = entry->id;
  r->subject = g_strdup (entry->subject);
  r->rejected = g_strdupv ((char **) (rejected != NULL ? rejected : none));
  r->why = g_strdup (why);
  r->failed = why != NULL;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_report_cb, r, report_free);
}

/* ------------------------------------------------------------------ one pass */

/* One sender per account at a time, across processes; the kernel lets go of the lock
 * when its holder dies, however it dies. */
static int
take_lock (PigeonOutbox  *self,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (pigeon_store_get_path (self->store));
  g_autofree char *path = g_build_filename (dir, "outbox.lock", NULL);
  gint64 deadline = g_get_monotonic_time () + LOCK_WAIT;
  int fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Pigeon cannot use its outbox in %s: %s"), dir, g_strerror (saved));
      return -1;
    }
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;

      if (saved != EWOULDBLOCK && saved != EINTR)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                       _("Pigeon cannot use its outbox in %s: %s"), dir, g_strerror (saved));
          close (fd);
          return -1;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return -1;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_IN_USE,
                       _("Another Pigeon is sending mail for %s and does not finish; the "
                         "messages stay in the outbox."), pigeon_account_get_email (self->account));
          close (fd);
          return -1;
        }
      g_usleep (G_USEC_PER_SEC / 10);
    }
  return fd;
}

static void
drop_lock (int fd)
{
  flock (fd, LOCK_UN);
  close (fd);
}

static const char *
maybe_sent_text (void)
{
  return _("Pigeon lost contact with the server while it was accepting this message, so it "
           "may already have been sent. Check your Sent folder, or ask a recipient, before "
           "sending it again.");
}

/* Where the copy of a sent message goes: nowhere when the sending provider files it
 * itself, else the Sent folder, which lives on the server when the account's server
 * keeps its mail. */
static PigeonOutboxSave
save_mode (PigeonOutbox   *self,
           PigeonProvider *sender)
{
  PigeonProviderClass *incoming;

  if (sender != NULL && (pigeon_provider_get_caps (sender) & PIGEON_PROVIDER_CAP_SAVES_SENT))
    return PIGEON_OUTBOX_SAVE_NONE;
  incoming = pigeon_provider_class_lookup (pigeon_account_get_protocol (self->account));
  if (incoming != NULL && (incoming->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL))
    return PIGEON_OUTBOX_SAVE_SERVER_FOLDER;
  return PIGEON_OUTBOX_SAVE_LOCAL_FOLDER;
}

/* Entries a dead sender left SENDING (the lock is ours, so nobody else is sending). */
static gboolean
recover (PigeonOutbox  *self,
         GPtrArray     *entries,
         GError       **error)
{
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonOutboxEntry *entry = g_ptr_array_index (entries, i);
      gboolean in_sent = FALSE;

      if (entry->state != PIGEON_OUTBOX_SENDING)
        continue;
      if (entry->sent_at == 0)
        {
          g_message ("Sending message %" G_GINT64_FORMAT " was interrupted before the server "
                     "had it; it is sent again", entry->id);
          if (!pigeon_store_outbox_requeue (self->store, entry->id, entry->send_after,
                                            entry->last_error, error))
            return FALSE;
          entry->state = PIGEON_OUTBOX_QUEUED;
          continue;
        }
      if (!pigeon_store_has_message_id (self->store, PIGEON_FOLDER_ROLE_SENT, entry->message_id,
                                        &in_sent, error))
        return FALSE;
      if (in_sent)
        {
          g_message ("Message %" G_GINT64_FORMAT " was interrupted after the server had it, "
                     "and is in Sent: it was sent", entry->id);
          if (!pigeon_store_outbox_mark_sent (self->store, entry->id, NULL,
                                              PIGEON_OUTBOX_SAVE_NONE, error))
            return FALSE;
          entry->state = PIGEON_OUTBOX_SENT;
          report (self, entry, NULL, NULL);
          continue;
        }
      g_message ("Message %" G_GINT64_FORMAT " was interrupted while the server was accepting "
                 "it; it waits for the user", entry->id);
      if (!pigeon_store_outbox_fail (self->store, entry->id, maybe_sent_text (), error))
        return FALSE;
      entry->state = PIGEON_OUTBOX_FAILED;
      report (self, entry, NULL, maybe_sent_text ());
    }
  return TRUE;
}

static gint64
next_try (guint attempts)
{
  guint delay = FIRST_RETRY;

  for (guint i = 1; i < attempts && delay < LAST_RETRY; i++)
    delay *= 2;
  return g_get_real_time () / G_USEC_PER_SEC + MIN (delay, LAST_RETRY);
}

/* Failures that no later try can mend: only the user can (change the message, the
 * recipients, the settings of the account). */
static gboolean
needs_the_user (const GError *error)
{
  return g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_INVALID) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
}

/* After the data went to the server, these leave it unknown whether it took it. */
static gboolean
leaves_doubt (const GError *error)
{
  return g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         (error->domain == G_IO_ERROR);
}

typedef struct
{
  PigeonOutbox *self;
  gint64 id;
  gboolean handed_over;
} Attempt;

static gboolean
checkpoint_cb (PigeonProvider  *provider,
               gpointer         user_data,
               GError         **error)
{
  Attempt *attempt = user_data;

  if (!pigeon_store_outbox_mark_handed_over (attempt->self->store, attempt->id, error))
    return FALSE;
  attempt->handed_over = TRUE;
  return TRUE;
}

typedef struct
{
  PigeonProvider *provider;
  gboolean connected;
  gboolean checkpoints;
  PigeonOutboxSave save;
  GError *connect_error;     /* the server could not be reached: the rest wait too */
} Sender;

/* Sends one claimed entry and records what became of it.  FALSE only for a store error. */
static gboolean
send_entry (PigeonOutbox       *self,
            Sender             *sender,
            PigeonOutboxEntry  *entry,
            GCancellable       *cancellable,
            GError            **error)
{
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) send_error = NULL;
  Attempt attempt = { self, entry->id, FALSE };
  gboolean ok;

  if (sender->connect_error == NULL && !sender->connected && sender->provider != NULL)
    {
      if (pigeon_provider_connect (sender->provider, cancellable, &sender->connect_error))
        sender->connected = TRUE;
    }
  if (sender->connect_error != NULL)
    return pigeon_store_outbox_requeue (self->store, entry->id, next_try (entry->attempts),
                                        sender->connect_error->message, error);

  if (!sender->checkpoints)
    {
      /* Without a checkpoint the server may have it from the moment send is called. */
      if (!pigeon_store_outbox_mark_handed_over (self->store, entry->id, error))
        return FALSE;
      attempt.handed_over = TRUE;
    }
  pigeon_provider_set_send_checkpoint (sender->provider, checkpoint_cb, &attempt);
  ok = pigeon_provider_send (sender->provider, entry->raw, entry->sender,
                             (const char * const *) entry->recipients, rejected, cancellable,
                             &send_error);
  pigeon_provider_set_send_checkpoint (sender->provider, NULL, NULL);

  if (ok)
    {
      g_ptr_array_add (rejected, NULL);
      if (!pigeon_store_outbox_mark_sent (self->store, entry->id,
                                          (const char * const *) rejected->pdata, sender->save,
                                          error))
        return FALSE;
      g_debug ("Message %" G_GINT64_FORMAT " was sent", entry->id);
      report (self, entry, (const char * const *) rejected->pdata, NULL);
      return TRUE;
    }

  /* Whatever went wrong, the next message gets a fresh connection. */
  pigeon_provider_disconnect (sender->provider);
  sender->connected = FALSE;

  if (attempt.handed_over && leaves_doubt (send_error))
    {
      g_message ("Message %" G_GINT64_FORMAT ": %s", entry->id, send_error->message);
      report (self, entry, NULL, maybe_sent_text ());
      return pigeon_store_outbox_fail (self->store, entry->id, maybe_sent_text (), error);
    }
  if (needs_the_user (send_error))
    {
      report (self, entry, NULL, send_error->message);
      return pigeon_store_outbox_fail (self->store, entry->id, send_error->message, error);
    }
  g_message ("Message %" G_GINT64_FORMAT " waits for another try: %s", entry->id,
             send_error->message);
  return pigeon_store_outbox_requeue (self->store, entry->id, next_try (entry->attempts),
                                      send_error->message, error);
}

static gboolean
is_due (const PigeonOutboxEntry *entry,
        gint64                   now,
        gboolean                 retry_now)
{
  return entry->state == PIGEON_OUTBOX_QUEUED &&
         (entry->send_after <= now || (retry_now && entry->attempts > 0));
}

static gboolean
send_due (PigeonOutbox  *self,
          GPtrArray     *entries,
          gboolean       retry_now,
          GCancellable  *cancellable,
          GError       **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  Sender sender = { 0 };
  gboolean ok = TRUE;

  for (guint i = 0; ok && i < entries->len; i++)
    {
      PigeonOutboxEntry *listed = g_ptr_array_index (entries, i);
      g_autoptr(PigeonOutboxEntry) entry = NULL;
      gboolean claimed;

      if (!is_due (listed, now, retry_now))
        continue;
      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (sender.provider == NULL && sender.connect_error == NULL)
        {
          /* No way to send (no outgoing server set): each entry says why, and waits for
           * the settings to change. */
          sender.provider = self->sender != NULL
                              ? g_object_ref (self->sender)
                              : pigeon_provider_new_for_sending (self->account, self->store,
                                                                 &sender.connect_error);
          if (sender.provider != NULL)
            {
              sender.checkpoints = (pigeon_provider_get_caps (sender.provider) &
                                    PIGEON_PROVIDER_CAP_SEND_CHECKPOINT) != 0;
              sender.save = save_mode (self, sender.provider);
            }
        }
      /* Undo may have taken it back since the list was read. */
      if (!pigeon_store_outbox_claim (self->store, listed->id, &claimed, error))
        {
          ok = FALSE;
          break;
        }
      if (!claimed)
        continue;
      entry = pigeon_store_outbox_get (self->store, listed->id, error);
      if (entry == NULL)
        {
          ok = FALSE;
          break;
        }
      ok = send_entry (self, &sender, entry, cancellable, error);
    }

  if (sender.provider != NULL)
    {
      if (sender.connected)
        pigeon_provider_disconnect (sender.provider);
      g_object_unref (sender.provider);
    }
  g_clear_error (&sender.connect_error);
  return ok;
}

/* Copies of sent messages that found no Sent folder when they were sent. */
static gboolean
save_pending_copies (PigeonOutbox  *self,
                     GError       **error)
{
  g_autoptr(GArray) unsaved = pigeon_store_outbox_list_unsaved (self->store, error);

  if (unsaved == NULL)
    return FALSE;
  for (guint i = 0; i < unsaved->len; i++)
    if (!pigeon_store_outbox_save_copy (self->store, g_array_index (unsaved, gint64, i),
                                        save_mode (self, NULL), error))
      return FALSE;
  return TRUE;
}

gboolean
pigeon_outbox_flush (PigeonOutbox  *self,
                     gboolean       retry_now,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  gboolean ok;
  int lock;

  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), FALSE);

  lock = take_lock (self, cancellable, error);
  if (lock < 0)
    return FALSE;

  ok = (entries = pigeon_store_outbox_list (self->store, error)) != NULL &&
       recover (self, entries, error) &&
       save_pending_copies (self, error) &&
       pigeon_store_outbox_purge (self->store,
                                  g_get_real_time () / G_USEC_PER_SEC - KEEP_FINISHED, error) &&
       send_due (self, entries, retry_now, cancellable, error);

  drop_lock (lock);
  return ok;
}

/* ------------------------------------------------------------------ queueing, undo */

static void
queued_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gint64 id;

  id = pigeon_store_outbox_add_finish (PIGEON_STORE (source), result, &error);
  if (id == 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, id);
}

void
pigeon_outbox_queue_async (PigeonOutbox        *self,
                           GBytes              *raw,
                           const char          *from,
                           const char * const  *recipients,
                           gint64               send_at,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  gint64 send_after = send_at;

  g_return_if_fail (PIGEON_IS_OUTBOX (self));
  g_return_if_fail (raw != NULL && from != NULL);
  g_return_if_fail (recipients != NULL && recipients[0] != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_outbox_queue_async);
  /* Rounded up: the whole delay, never a moment less. */
  if (send_after == 0)
    send_after = (g_get_real_time () + (gint64) self->undo_delay * G_USEC_PER_SEC +
                  G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  pigeon_store_outbox_add_async (self->store, raw, from, recipients, send_after, cancellable,
                                 queued_cb, task);
}

gint64
pigeon_outbox_queue_finish (PigeonOutbox  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

static void
undone_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  PigeonOutboxEntry *entry;

  entry = pigeon_store_outbox_cancel_finish (PIGEON_STORE (source), result, &error);
  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) pigeon_outbox_entry_free);
}

void
pigeon_outbox_undo_async (PigeonOutbox        *self,
                          gint64               id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PIGEON_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_outbox_undo_async);
  pigeon_store_outbox_cancel_async (self->store, id, cancellable, undone_cb, task);
}

PigeonOutboxEntry *
pigeon_outbox_undo_finish (PigeonOutbox  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
pigeon_outbox_retry (PigeonOutbox  *self,
                     gint64         id,
                     GError       **error)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), FALSE);

  return pigeon_store_outbox_retry (self->store, id, error);
}

/* ------------------------------------------------------------------ in the background */

static void
update_n_waiting (PigeonOutbox *self)
{
  g_autoptr(GError) error = NULL;
  guint n = pigeon_store_outbox_count_waiting (self->store, &error);

  if (error != NULL)
    {
      g_warning ("%s: %s", pigeon_account_get_email (self->account), error->message);
      return;
    }
  if (n == self->n_waiting)
    return;
  self->n_waiting = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WAITING]);
}

static void
pass_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (!pigeon_outbox_flush (source_object, GPOINTER_TO_INT (task_data), cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
pass_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PigeonOutbox *self = PIGEON_OUTBOX (source);
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("%s: %s", pigeon_account_get_email (self->account), error->message);
  update_n_waiting (self);
  if (self->started)
    schedule (self);
}

static void
run_pass (PigeonOutbox *self,
          gboolean      retry_now)
{
  g_autoptr(GTask) task = NULL;

  if (self->busy)
    {
      self->again = TRUE;
      self->again_retry_now |= retry_now;
      return;
    }
  self->busy = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  task = g_task_new (self, self->cancellable, pass_done_cb, NULL);
  g_task_set_source_tag (task, run_pass);
  g_task_set_task_data (task, GINT_TO_POINTER (retry_now), NULL);
  g_task_run_in_thread (task, pass_thread);
}

static gboolean
timer_cb (gpointer user_data)
{
  PigeonOutbox *self = user_data;

  self->timer_id = 0;
  run_pass (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* The next pass: at once when asked for meanwhile, else when the next entry is due. */
static void
schedule (PigeonOutbox *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  gint64 next = G_MAXINT64;
  gint64 now_us;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->again)
    {
      gboolean retry_now = self->again_retry_now;

      self->again = self->again_retry_now = FALSE;
      run_pass (self, retry_now);
      return;
    }
  entries = pigeon_store_outbox_list (self->store, &error);
  if (entries == NULL)
    {
      g_warning ("%s: %s", pigeon_account_get_email (self->account), error->message);
      return;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (entry->state == PIGEON_OUTBOX_QUEUED)
        next = MIN (next, entry->send_after);
    }
  if (next == G_MAXINT64)
    return;
  now_us = g_get_real_time ();
  if (next * G_USEC_PER_SEC <= now_us)
    self->timer_id = g_idle_add (timer_cb, self);
  else
    self->timer_id = g_timeout_add ((guint) MIN ((next * G_USEC_PER_SEC - now_us) / 1000 + 1,
                                                 G_MAXUINT),
                                    timer_cb, self);
}

static void
outbox_changed_cb (PigeonStore  *store,
                   PigeonOutbox *self)
{
  update_n_waiting (self);
  if (!self->busy)
    schedule (self);
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    PigeonOutbox    *self)
{
  if (available && self->n_waiting > 0)
    run_pass (self, TRUE);
}

void
pigeon_outbox_start (PigeonOutbox *self)
{
  g_return_if_fail (PIGEON_IS_OUTBOX (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->store, "outbox-changed", G_CALLBACK (outbox_changed_cb), self,
                           0);
  g_signal_connect_object (g_network_monitor_get_default (), "network-changed",
                           G_CALLBACK (network_changed_cb), self, 0);
  update_n_waiting (self);
  /* Whatever a crash or an earlier run left waits no longer. */
  run_pass (self, TRUE);
}

gboolean
pigeon_outbox_get_busy (PigeonOutbox *self)
{
  g_return_val_if_fail (PIGEON_IS_OUTBOX (self), FALSE);
  return self->busy;
}

void
pigeon_outbox_send_now (PigeonOutbox *self)
{
  g_return_if_fail (PIGEON_IS_OUTBOX (self));

  if (self->started)
    run_pass (self, TRUE);
}

void
pigeon_outbox_stop (PigeonOutbox *self)
{
  g_return_if_fail (PIGEON_IS_OUTBOX (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->store, self);
  g_signal_handlers_disconnect_by_data (g_network_monitor_get_default (), self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}
