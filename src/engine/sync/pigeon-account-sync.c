/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-account-sync.h"
#include "pigeon-error.h"

struct _PigeonAccountSync
{
  GObject parent_instance;

  PigeonAccount *account;
  PigeonStore *store;
  GMainContext *context;
  GNetworkMonitor *monitor;
  PigeonSyncTiming timing;
  gulong pending_ops_handler;
  gulong network_handler;

  PigeonProvider *sync_provider;
  PigeonProvider *change_provider;   /* NULL: everything runs in the sync lane */
  GThread *sync_thread;
  GThread *change_thread;

  /* Everything below is guarded by LOCK; COND announces a change of any of it. */
  GMutex lock;
  GCond cond;
  gboolean running;
  gboolean stopping;
  gboolean online;
  gboolean retry;                    /* the user asked: now, not after the backoff */
  gboolean replay;                   /* queued changes wait for the server */
  gint64 replay_not_before;          /* monotonic; G_MAXINT64: until the user acts */
  GQueue folder_requests;            /* folder ids (GINT_TO_POINTER is too small: boxed) */
  GQueue requests;                   /* GTask* with a Request: bodies, searches */
  GCancellable *stop_cancellable;    /* cancelled by stop() */
  GCancellable *run_cancellable;     /* the sync lane's connection; cancelled when offline */
  GCancellable *wait_cancellable;    /* the sync lane's current wait, NULL when busy */

  GMutex replay_lock;                /* one replay at a time, whichever lane runs it */
};

G_DEFINE_FINAL_TYPE (PigeonAccountSync, pigeon_account_sync, G_TYPE_OBJECT)

static const PigeonSyncTiming default_timing = {
  .backoff_first_ms = 2000,
  .backoff_max_ms = 5 * 60 * 1000,
  .push_renew_seconds = 25 * 60,
  .check_interval_seconds = 0,
  .idle_disconnect_seconds = 120,
};

/* ------------------------------------------------------------------ reporting to the account */

typedef struct
{
  PigeonAccount *account;
  gboolean set_state;
  PigeonAccountState state;
  char *text;
  gboolean set_error;
  GError *error;
} AccountUpdate;

static gboolean
apply_update_cb (gpointer data)
{
  AccountUpdate *update = data;

  if (update->set_error)
    pigeon_account_set_last_error (update->account, update->error);
  if (update->set_state)
    pigeon_account_set_state (update->account, update->state, update->text);
  return G_SOURCE_REMOVE;
}

static void
update_free (gpointer data)
{
  AccountUpdate *update = data;

  g_object_unref (update->account);
  g_free (update->text);
  g_clear_error (&update->error);
  g_free (update);
}

static void
post_update (PigeonAccountSync *self,
             AccountUpdate     *update)
{
  update->account = g_object_ref (self->account);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, apply_update_cb, update,
                              update_free);
}

static void
report_state (PigeonAccountSync  *self,
              PigeonAccountState  state,
              const char         *text)
{
  AccountUpdate *update = g_new0 (AccountUpdate, 1);

  update->set_state = TRUE;
  update->state = state;
  update->text = g_strdup (text);
  post_update (self, update);
}

/* ERROR NULL clears the last error. */
static void
report_error (PigeonAccountSync *self,
              const GError      *error,
              const char        *text)
{
  AccountUpdate *update = g_new0 (AccountUpdate, 1);

  update->set_error = TRUE;
  update->error = error != NULL ? g_error_copy (error) : NULL;
  if (error != NULL)
    {
      update->set_state = TRUE;
      update->state = PIGEON_ACCOUNT_STATE_ERROR;
      update->text = g_strdup (text != NULL ? text : error->message);
    }
  post_update (self, update);
}

/* ::progress, on the main context. */
static void
progress_cb (PigeonProvider    *provider,
             const char        *folder,
             guint              done,
             guint              total,
             PigeonAccountSync *self)
{
  g_autofree char *text = NULL;

  if (total == 0)
    return;
  if (folder != NULL)
    /* TRANSLATORS: "Syncing Inbox — 3,200 of 10,000" */
    text = g_strdup_printf (_("Syncing %s — %'u of %'u"), folder, done, total);
  else
    /* TRANSLATORS: messages of several folders, "Downloading messages — 30 of 120" */
    text = g_strdup_printf (_("Downloading messages — %'u of %'u"), done, total);
  pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_SYNCING, text);
}

static void
quota_cb (PigeonProvider    *provider,
          guint64            used,
          guint64            limit,
          PigeonAccountSync *self)
{
  pigeon_account_set_quota (self->account, used, limit);
}

/* ------------------------------------------------------------------ what stops what */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Failures only the user can fix: no point in trying again by ourselves. */
static gboolean
needs_user (const GError *error)
{
  static const PigeonErrorCode codes[] = {
    PIGEON_ERROR_AUTH, PIGEON_ERROR_NO_PASSWORD, PIGEON_ERROR_KEYRING,
    PIGEON_ERROR_CERTIFICATE, PIGEON_ERROR_UNSUPPORTED, PIGEON_ERROR_STORE_TOO_NEW,
    PIGEON_ERROR_CONFIG,
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_error_matches (error, PIGEON_ERROR, (gint) codes[i]))
      return TRUE;
  return FALSE;
}

/* Failures that end the whole pass rather than one folder's sync. */
static gboolean
ends_pass (const GError *error)
{
  return is_cancelled (error) || pigeon_error_is_transient (error) || needs_user (error) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
}

/* For g_cancellable_connect: one cancellable cancels another. */
static void
cancel_other_cb (GCancellable *source,
                 gpointer      other)
{
  g_cancellable_cancel (other);
}

static gboolean
is_stopping (PigeonAccountSync *self)
{
  gboolean stopping;

  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  return stopping;
}

/* ------------------------------------------------------------------ shared steps */

static gboolean
replay (PigeonAccountSync *self,
        PigeonProvider    *provider,
        GCancellable      *cancellable,
        GError           **error)
{
  gboolean ok;

  g_mutex_lock (&self->replay_lock);
  ok = pigeon_provider_replay_pending_ops (provider, cancellable, error);
  g_mutex_unlock (&self->replay_lock);
  return ok;
}

/* Replays the queue; only failures that concern the connection are returned, the rest
 * were handled by the queue itself (counted, dropped after a few tries). */
static gboolean
replay_in_pass (PigeonAccountSync *self,
                PigeonProvider    *provider,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (replay (self, provider, cancellable, &local_error))
    return TRUE;
  if (ends_pass (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_message ("Queued changes for %s: %s", pigeon_account_get_name (self->account),
             local_error->message);
  return TRUE;
}

/* What the user asked the server for, run by whichever lane serves requests. */
typedef enum
{
  REQUEST_BODY,
  REQUEST_SEARCH,
  REQUEST_ATTACHMENT,
} RequestKind;

typedef struct
{
  RequestKind kind;
  gint64 id;          /* the message (BODY, ATTACHMENT), the folder or 0 (SEARCH) */
  char *query;        /* SEARCH; the reference (ATTACHMENT) */
} Request;

static void
request_free (gpointer data)
{
  Request *request = data;

  g_free (request->query);
  g_free (request);
}

static GTask *
request_new (PigeonAccountSync   *self,
             RequestKind          kind,
             gint64               id,
             const char          *query,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->kind = kind;
  request->id = id;
  request->query = g_strdup (query);
  g_task_set_task_data (task, request, request_free);
  return task;
}

static void
run_request (PigeonAccountSync *self,
             PigeonProvider    *provider,
             GTask             *task)
{
  Request *request = g_task_get_task_data (task);
  GCancellable *caller = g_task_get_cancellable (task);
  /* Ended by the caller or by stop(), whichever comes first. */
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gulong a = caller != NULL ? g_cancellable_connect (caller, G_CALLBACK (cancel_other_cb),
                                                     cancellable, NULL) : 0;
  gulong b = g_cancellable_connect (self->stop_cancellable, G_CALLBACK (cancel_other_cb),
                                    cancellable, NULL);
  g_autoptr(GArray) hits = NULL;
  g_autoptr(GBytes) content = NULL;
  GError *error = NULL;
  gboolean ok = pigeon_provider_connect (provider, cancellable, &error);

  if (ok && request->kind == REQUEST_BODY)
    ok = pigeon_provider_fetch_body (provider, request->id, cancellable, &error);
  else if (ok && request->kind == REQUEST_ATTACHMENT)
    {
      content = pigeon_provider_fetch_attachment (provider, request->id, request->query,
                                                  cancellable, &error);
      ok = content != NULL;
    }
  else if (ok)
    {
      hits = g_array_new (FALSE, FALSE, sizeof (gint64));
      ok = pigeon_provider_search (provider, request->query, request->id, hits, cancellable,
                                   &error);
    }
  if (caller != NULL)
    g_cancellable_disconnect (caller, a);
  g_cancellable_disconnect (self->stop_cancellable, b);
  if (!ok)
    g_task_return_error (task, error);
  else if (request->kind == REQUEST_BODY)
    g_task_return_boolean (task, TRUE);
  else if (request->kind == REQUEST_ATTACHMENT)
    g_task_return_pointer (task, g_steal_pointer (&content), (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_pointer (task, g_steal_pointer (&hits), (GDestroyNotify) g_array_unref);
}

static GTask *
pop_request (PigeonAccountSync *self)
{
  GTask *task;

  g_mutex_lock (&self->lock);
  task = g_queue_pop_head (&self->requests);
  g_mutex_unlock (&self->lock);
  return task;
}

static void
fail_requests (PigeonAccountSync *self,
                 const GError      *error)
{
  GTask *task;

  while ((task = pop_request (self)) != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

/* ------------------------------------------------------------------ the sync lane */

static int
inbox_first (gconstpointer a,
             gconstpointer b)
{
  const PigeonFolder *fa = *(PigeonFolder * const *) a;
  const PigeonFolder *fb = *(PigeonFolder * const *) b;
  gboolean ia = fa->role == PIGEON_FOLDER_ROLE_INBOX;
  gboolean ib = fb->role == PIGEON_FOLDER_ROLE_INBOX;

  if (ia != ib)
    return ia ? -1 : 1;
  return g_strcmp0 (fa->path, fb->path);
}

static gboolean
sync_one (PigeonAccountSync *self,
          gint64             folder_id,
          const char        *path,
          PigeonSyncFlags    flags,
          GCancellable      *cancellable,
          GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (pigeon_provider_sync_folder (self->sync_provider, folder_id, flags, cancellable,
                                   &local_error))
    return TRUE;
  if (ends_pass (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* One folder's trouble (gone meanwhile, refused) does not stop the others. */
  g_message ("Could not sync %s: %s", path != NULL ? path : "a folder", local_error->message);
  return TRUE;
}

/* What the user asked for meanwhile: folders to look at, and in the one-lane case queued
 * changes and bodies.  Between two folders of a pass, and while waiting. */
static gboolean
serve_requests (PigeonAccountSync *self,
                GCancellable      *cancellable,
                GError           **error)
{
  for (;;)
    {
      gint64 *folder_id;
      gboolean want_replay = FALSE;
      GTask *task = NULL;

      g_mutex_lock (&self->lock);
      folder_id = g_queue_pop_head (&self->folder_requests);
      if (self->change_provider == NULL)
        {
          want_replay = self->replay;
          self->replay = FALSE;
          if (folder_id == NULL && !want_replay)
            task = g_queue_pop_head (&self->requests);
        }
      g_mutex_unlock (&self->lock);

      if (want_replay && !replay_in_pass (self, self->sync_provider, cancellable, error))
        {
          g_free (folder_id);
          return FALSE;
        }
      if (folder_id != NULL)
        {
          gboolean ok = sync_one (self, *folder_id, NULL, PIGEON_SYNC_FLAGS_BODIES, cancellable,
                                  error);

          g_free (folder_id);
          if (!ok)
            return FALSE;
        }
      if (task != NULL)
        {
          run_request (self, self->sync_provider, task);
          g_object_unref (task);
        }
      if (folder_id == NULL && !want_replay && task == NULL)
        return TRUE;
    }
}

/* Replay, folder list, envelopes of every folder (inbox first), then bodies. */
static gboolean
full_pass (PigeonAccountSync *self,
           GCancellable      *cancellable,
           GError           **error)
{
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) local_error = NULL;
  static const PigeonSyncFlags passes[] = { PIGEON_SYNC_FLAGS_NONE, PIGEON_SYNC_FLAGS_BODIES };

  report_state (self, PIGEON_ACCOUNT_STATE_SYNCING, _("Syncing…"));
  if (!replay_in_pass (self, self->sync_provider, cancellable, error))
    return FALSE;
  if (!pigeon_provider_sync_folders (self->sync_provider, cancellable, &local_error))
    {
      if (!g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  folders = pigeon_store_list_folders (self->store, error);
  if (folders == NULL)
    return FALSE;
  g_ptr_array_sort (folders, inbox_first);

  for (guint p = 0; p < G_N_ELEMENTS (passes); p++)
    for (guint i = 0; i < folders->len; i++)
      {
        PigeonFolder *folder = g_ptr_array_index (folders, i);

        if (folder->flags & PIGEON_FOLDER_FLAG_NOSELECT)
          continue;
        if (!serve_requests (self, cancellable, error) ||
            !sync_one (self, folder->id, folder->path, passes[p], cancellable, error))
          return FALSE;
      }
  return TRUE;
}

static gint64
inbox_id (PigeonAccountSync *self)
{
  g_autoptr(PigeonFolder) inbox = pigeon_store_get_folder_by_role (self->store,
                                                                   PIGEON_FOLDER_ROLE_INBOX, NULL);

  return inbox != NULL ? inbox->id : 0;
}

static guint
check_interval_seconds (PigeonAccountSync *self)
{
  if (self->timing.check_interval_seconds > 0)
    return self->timing.check_interval_seconds;
  return pigeon_account_get_check_interval (self->account) * 60;
}

/* Blocks until WAIT_CANCELLABLE fires or SECONDS pass, for providers without push. */
static void
sleep_on_cond (PigeonAccountSync *self,
               guint              seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !g_cancellable_is_cancelled (self->wait_cancellable) &&
         g_cond_wait_until (&self->cond, &self->lock, end))
    ;
  g_mutex_unlock (&self->lock);
}

/* One push wait; then the folders the server said changed are brought up to date (the
 * inbox when it did not say which, or when the wait simply ended), and a change only a
 * full pass brings in makes one due at once.  A wait ended by WAIT (the user asked for
 * something) is no failure. */
static gboolean
wait_for_push (PigeonAccountSync *self,
               GCancellable      *wait,
               guint              seconds,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autoptr(GCancellable) either = g_cancellable_new ();
  g_autoptr(GError) wait_error = NULL;
  gulong a = g_cancellable_connect (wait, G_CALLBACK (cancel_other_cb), either, NULL);
  gulong b = g_cancellable_connect (cancellable, G_CALLBACK (cancel_other_cb), either, NULL);
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean elsewhere = FALSE;
  gboolean ok;

  ok = pigeon_provider_wait_for_changes (self->sync_provider, seconds, either, &wait_error);
  g_cancellable_disconnect (wait, a);
  g_cancellable_disconnect (cancellable, b);
  if (!ok)
    {
      if (is_cancelled (wait_error) && !g_cancellable_is_cancelled (cancellable))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&wait_error));
      return FALSE;
    }
  pigeon_provider_take_changes (self->sync_provider, changed, &elsewhere);
  if (elsewhere)
    {
      g_mutex_lock (&self->lock);
      self->retry = TRUE;
      g_mutex_unlock (&self->lock);
    }
  if (changed->len == 0)
    {
      gint64 inbox = inbox_id (self);

      if (inbox != 0)
        g_array_append_val (changed, inbox);
    }
  for (guint i = 0; i < changed->len; i++)
    if (!sync_one (self, g_array_index (changed, gint64, i), NULL, PIGEON_SYNC_FLAGS_BODIES,
                   cancellable, error))
      return FALSE;
  return TRUE;
}

/* Waits for the server (push) or the clock, serving the user's requests, until the next
 * full pass is due.  FALSE with an error when the connection failed. */
static gboolean
steady_state (PigeonAccountSync *self,
              GCancellable      *cancellable,
              GError           **error)
{
  gboolean push = (pigeon_provider_get_caps (self->sync_provider) & PIGEON_PROVIDER_CAP_PUSH) != 0;
  gint64 due = g_get_monotonic_time () + (gint64) check_interval_seconds (self) * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GCancellable) wait = g_cancellable_new ();
      gint64 left;
      gboolean retry;
      gboolean woken;
      gboolean ok = TRUE;

      if (!serve_requests (self, cancellable, error))
        return FALSE;

      g_mutex_lock (&self->lock);
      retry = self->retry;
      self->retry = FALSE;
      if (self->stopping || !self->online)
        {
          g_mutex_unlock (&self->lock);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
          return FALSE;
        }
      left = (due - g_get_monotonic_time ()) / G_USEC_PER_SEC;
      if (retry || left <= 0)
        {
          g_mutex_unlock (&self->lock);
          return TRUE;    /* a full pass */
        }
      self->wait_cancellable = g_object_ref (wait);
      woken = g_queue_get_length (&self->folder_requests) > 0 ||
              (self->change_provider == NULL &&
               (self->replay || g_queue_get_length (&self->requests) > 0));
      g_mutex_unlock (&self->lock);

      if (!woken)
        {
          report_state (self, PIGEON_ACCOUNT_STATE_IDLE, NULL);
          if (push)
            ok = wait_for_push (self, wait, (guint) MIN (left, self->timing.push_renew_seconds),
                                cancellable, error);
          else
            sleep_on_cond (self, (guint) left);
        }

      g_mutex_lock (&self->lock);
      g_clear_object (&self->wait_cancellable);
      g_mutex_unlock (&self->lock);
      if (!ok)
        return FALSE;
    }
}

/* Connected, a full pass, then the steady state, and again when the next pass is due. */
static gboolean
run_connected (PigeonAccountSync *self,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autofree char *connecting = g_strdup_printf (_("Connecting to %s…"),
                                                 pigeon_provider_get_host (self->sync_provider));

  report_state (self, PIGEON_ACCOUNT_STATE_CONNECTING, connecting);
  if (!pigeon_provider_connect (self->sync_provider, cancellable, error))
    return FALSE;
  report_error (self, NULL, NULL);
  for (;;)
    {
      if (!full_pass (self, cancellable, error) || !steady_state (self, cancellable, error))
        return FALSE;
    }
}

/* After the user acted on a refused login: the keyring's password of now, if there is a
 * keyring to ask (else the one held stays). */
static void
reload_password (PigeonProvider *provider)
{
  g_autoptr(GError) error = NULL;

  if (!pigeon_provider_load_password (provider, NULL, &error))
    g_debug ("The keyring could not be read again; the credentials in use stay: %s",
             error->message);
}

static guint
backoff_ms (PigeonAccountSync *self,
            guint              failures)
{
  guint64 delay = self->timing.backoff_first_ms;

  for (guint i = 1; i < failures && delay < self->timing.backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->timing.backoff_max_ms);
  /* ±25 %, so many clients that lost the same server do not all come back at once. */
  return (guint) (delay * g_random_double_range (0.75, 1.25));
}

/* Waits until the user acts, the network changes, or (MS > 0) the time passes. */
static void
wait_for_user_or (PigeonAccountSync *self,
                  guint              ms,
                  gboolean           was_online)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !self->retry && self->online == was_online)
    {
      if (ms == 0)
        g_cond_wait (&self->cond, &self->lock);
      else if (!g_cond_wait_until (&self->cond, &self->lock, end))
        break;
    }
  self->retry = FALSE;
  g_mutex_unlock (&self->lock);
}

static gpointer
sync_lane_thread (gpointer data)
{
  PigeonAccountSync *self = data;
  guint failures = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GCancellable) run = g_cancellable_new ();
      gboolean online;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      online = self->online;
      if (online)
        g_set_object (&self->run_cancellable, run);
      g_mutex_unlock (&self->lock);

      if (!online)
        {
          if (self->change_provider == NULL)
            {
              g_autoptr(GError) offline = g_error_new_literal (PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                                                               _("There is no network."));

              fail_requests (self, offline);
            }
          pigeon_provider_disconnect (self->sync_provider);
          report_state (self, PIGEON_ACCOUNT_STATE_OFFLINE, _("Offline"));
          wait_for_user_or (self, 0, FALSE);
          failures = 0;
          continue;
        }

      {
        g_autoptr(GCancellable) both = g_cancellable_new ();
        gulong a = g_cancellable_connect (run, G_CALLBACK (cancel_other_cb), both, NULL);
        gulong b = g_cancellable_connect (self->stop_cancellable,
                                          G_CALLBACK (cancel_other_cb), both, NULL);

        run_connected (self, both, &error);
        g_cancellable_disconnect (run, a);
        g_cancellable_disconnect (self->stop_cancellable, b);
      }
      pigeon_provider_disconnect (self->sync_provider);

      if (is_stopping (self))
        break;
      if (g_cancellable_is_cancelled (run) || error == NULL)
        continue;         /* the network went away: the top of the loop goes quiet */

      if (self->change_provider == NULL)
        fail_requests (self, error);
      if (needs_user (error))
        {
          g_message ("%s: %s", pigeon_account_get_name (self->account), error->message);
          report_error (self, error, NULL);
          wait_for_user_or (self, 0, TRUE);
          /* The user may have entered a new password meanwhile. */
          reload_password (self->sync_provider);
          failures = 0;
        }
      else
        {
          guint ms = backoff_ms (self, ++failures);
          g_autofree char *text = g_strdup_printf (_("%s Trying again in %u seconds."),
                                                   error->message, (ms + 999) / 1000);

          g_debug ("%s: %s (retry in %u ms)", pigeon_account_get_name (self->account),
                   error->message, ms);
          report_error (self, error, text);
          wait_for_user_or (self, ms, TRUE);
        }
    }

  pigeon_provider_disconnect (self->sync_provider);
  return NULL;
}

/* ------------------------------------------------------------------ the change lane */

static gpointer
change_lane_thread (gpointer data)
{
  PigeonAccountSync *self = data;
  gboolean connected = FALSE;
  gboolean reload = FALSE;
  gint64 idle_until = 0;
  guint failures = 0;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      GTask *task;
      g_autoptr(GError) error = NULL;
      gboolean ok;

      for (;;)
        {
          gint64 now = g_get_monotonic_time ();
          gint64 until = G_MAXINT64;

          if (self->stopping || g_queue_get_length (&self->requests) > 0 ||
              (self->replay && self->online && now >= self->replay_not_before))
            break;
          if (connected && !self->online)
            {
              /* No network: no connection either. */
              g_mutex_unlock (&self->lock);
              pigeon_provider_disconnect (self->change_provider);
              g_mutex_lock (&self->lock);
              connected = FALSE;
              continue;
            }
          if (self->replay && self->online)
            until = self->replay_not_before;
          if (connected)
            until = MIN (until, idle_until);
          if (until == G_MAXINT64)
            g_cond_wait (&self->cond, &self->lock);
          else if (!g_cond_wait_until (&self->cond, &self->lock, until) && connected &&
                   g_get_monotonic_time () >= idle_until)
            {
              /* Unused for a while: hang up. */
              g_mutex_unlock (&self->lock);
              pigeon_provider_disconnect (self->change_provider);
              g_mutex_lock (&self->lock);
              connected = FALSE;
            }
        }
      if (self->stopping)
        break;

      task = g_queue_pop_head (&self->requests);
      if (task != NULL)
        {
          gboolean online = self->online;

          g_mutex_unlock (&self->lock);
          if (online)
            run_request (self, self->change_provider, task);
          else if (((Request *) g_task_get_task_data (task))->kind == REQUEST_SEARCH)
            g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                                     _("The server cannot be searched: there is no network."));
          else if (((Request *) g_task_get_task_data (task))->kind == REQUEST_ATTACHMENT)
            g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                                     _("This attachment is still on the server, and there is "
                                       "no network."));
          else
            g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                                     _("This message has not been downloaded, and there is no "
                                       "network."));
          g_object_unref (task);
          connected = online;
          g_mutex_lock (&self->lock);
          idle_until = g_get_monotonic_time () +
                       (gint64) self->timing.idle_disconnect_seconds * G_USEC_PER_SEC;
          continue;
        }

      self->replay = FALSE;
      g_mutex_unlock (&self->lock);
      if (pigeon_store_count_pending_ops (self->store, NULL) == 0)
        {
          /* Nothing queued (done by the sync lane meanwhile): no need to connect. */
          g_mutex_lock (&self->lock);
          continue;
        }
      if (reload)
        reload_password (self->change_provider);
      reload = FALSE;
      ok = pigeon_provider_connect (self->change_provider, self->stop_cancellable, &error) &&
           replay (self, self->change_provider, self->stop_cancellable, &error);
      g_mutex_lock (&self->lock);
      connected = TRUE;
      idle_until = g_get_monotonic_time () +
                   (gint64) self->timing.idle_disconnect_seconds * G_USEC_PER_SEC;
      if (ok)
        {
          failures = 0;
          self->replay_not_before = 0;
          continue;
        }
      if (self->stopping)
        break;
      if (needs_user (error))
        {
          /* The sync lane tells the user; try again when they act, with the keyring's
           * password of then. */
          reload = TRUE;
          self->replay = TRUE;
          self->replay_not_before = G_MAXINT64;
        }
      else if (ends_pass (error))
        {
          self->replay = TRUE;
          self->replay_not_before = g_get_monotonic_time () +
                                    (gint64) backoff_ms (self, ++failures) * 1000;
        }
      else
        g_message ("Queued changes for %s: %s", pigeon_account_get_name (self->account),
                   error->message);
      if (!ok)
        {
          g_mutex_unlock (&self->lock);
          pigeon_provider_disconnect (self->change_provider);
          g_mutex_lock (&self->lock);
          connected = FALSE;
        }
    }
  g_mutex_unlock (&self->lock);
  pigeon_provider_disconnect (self->change_provider);
  return NULL;
}

/* ------------------------------------------------------------------ signals from outside */

/* Wakes whichever lane waits (called with LOCK held). */
static void
wake (PigeonAccountSync *self,
      gboolean           interrupt_wait)
{
  g_cond_broadcast (&self->cond);
  if (interrupt_wait && self->wait_cancellable != NULL)
    g_cancellable_cancel (self->wait_cancellable);
}

static void
pending_ops_changed_cb (PigeonStore       *store,
                        PigeonAccountSync *self)
{
  g_mutex_lock (&self->lock);
  self->replay = TRUE;
  if (self->replay_not_before != G_MAXINT64)
    self->replay_not_before = 0;
  wake (self, self->change_provider == NULL);
  g_mutex_unlock (&self->lock);
}

static gboolean
host_is_local (PigeonAccountSync *self)
{
  const char *host = pigeon_provider_get_host (self->sync_provider);
  g_autoptr(GInetAddress) address = host != NULL ? g_inet_address_new_from_string (host) : NULL;

  if (g_strcmp0 (host, "localhost") == 0)
    return TRUE;
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static void
network_changed_cb (GNetworkMonitor   *monitor,
                    gboolean           available,
                    PigeonAccountSync *self)
{
  /* A server on this machine is there with or without a network. */
  gboolean online = available || host_is_local (self);

  g_mutex_lock (&self->lock);
  if (online != self->online)
    {
      self->online = online;
      if (!online && self->run_cancellable != NULL)
        g_cancellable_cancel (self->run_cancellable);
      if (online)
        self->retry = TRUE;
      wake (self, TRUE);
    }
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ public API */

static void
pigeon_account_sync_dispose (GObject *object)
{
  PigeonAccountSync *self = (PigeonAccountSync *) object;

  pigeon_account_sync_stop (self);
  g_clear_object (&self->sync_provider);
  g_clear_object (&self->change_provider);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (pigeon_account_sync_parent_class)->dispose (object);
}

static void
pigeon_account_sync_finalize (GObject *object)
{
  PigeonAccountSync *self = (PigeonAccountSync *) object;

  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->stop_cancellable);
  g_clear_object (&self->run_cancellable);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->replay_lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (pigeon_account_sync_parent_class)->finalize (object);
}

static void
pigeon_account_sync_class_init (PigeonAccountSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_account_sync_dispose;
  object_class->finalize = pigeon_account_sync_finalize;
}

static void
pigeon_account_sync_init (PigeonAccountSync *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->replay_lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->folder_requests);
  g_queue_init (&self->requests);
  self->timing = default_timing;
  self->context = g_main_context_ref_thread_default ();
}

PigeonAccountSync *
pigeon_account_sync_new (PigeonAccount *account,
                         PigeonStore   *store)
{
  PigeonAccountSync *self;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (PIGEON_IS_STORE (store), NULL);

  self = g_object_new (PIGEON_TYPE_ACCOUNT_SYNC, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  return self;
}

PigeonAccount *
pigeon_account_sync_get_account (PigeonAccountSync *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_SYNC (self), NULL);
  return self->account;
}

PigeonStore *
pigeon_account_sync_get_store (PigeonAccountSync *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_SYNC (self), NULL);
  return self->store;
}

void
pigeon_account_sync_set_timing (PigeonAccountSync      *self,
                                const PigeonSyncTiming *timing)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));
  g_return_if_fail (!self->running);

  self->timing = timing != NULL ? *timing : default_timing;
}

void
pigeon_account_sync_set_network_monitor (PigeonAccountSync *self,
                                         GNetworkMonitor   *monitor)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));
  g_return_if_fail (!self->running);

  g_set_object (&self->monitor, monitor);
}

gboolean
pigeon_account_sync_start (PigeonAccountSync *self,
                           GError           **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT_SYNC (self), FALSE);

  if (self->running)
    return TRUE;

  /* Created here, on the main context, so their signals arrive here. */
  g_clear_object (&self->sync_provider);
  g_clear_object (&self->change_provider);
  self->sync_provider = pigeon_provider_new_for_account (self->account, self->store, error);
  if (self->sync_provider == NULL)
    return FALSE;
  g_signal_connect_object (self->sync_provider, "progress", G_CALLBACK (progress_cb), self, 0);
  g_signal_connect_object (self->sync_provider, "quota", G_CALLBACK (quota_cb), self, 0);
  if (pigeon_provider_get_caps (self->sync_provider) & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL)
    {
      self->change_provider = pigeon_provider_new_for_account (self->account, self->store, error);
      if (self->change_provider == NULL)
        return FALSE;
    }

  if (self->monitor == NULL)
    self->monitor = g_object_ref (g_network_monitor_get_default ());
  self->network_handler = g_signal_connect (self->monitor, "network-changed",
                                            G_CALLBACK (network_changed_cb), self);
  self->pending_ops_handler = g_signal_connect (self->store, "pending-ops-changed",
                                                G_CALLBACK (pending_ops_changed_cb), self);

  g_clear_object (&self->stop_cancellable);
  self->stop_cancellable = g_cancellable_new ();
  self->stopping = FALSE;
  self->retry = FALSE;
  self->online = g_network_monitor_get_network_available (self->monitor) || host_is_local (self);
  /* Whatever was queued before this start (a crash, a restart, offline work). */
  self->replay = TRUE;
  self->replay_not_before = 0;
  self->running = TRUE;

  name = g_strdup_printf ("pigeon-sync-%s", pigeon_account_get_id (self->account));
  self->sync_thread = g_thread_new (name, sync_lane_thread, self);
  if (self->change_provider != NULL)
    {
      g_free (name);
      name = g_strdup_printf ("pigeon-changes-%s", pigeon_account_get_id (self->account));
      self->change_thread = g_thread_new (name, change_lane_thread, self);
    }
  return TRUE;
}

void
pigeon_account_sync_stop (PigeonAccountSync *self)
{
  g_autoptr(GError) stopped = NULL;

  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));

  if (!self->running)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  wake (self, TRUE);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->stop_cancellable);

  g_clear_pointer (&self->sync_thread, g_thread_join);
  g_clear_pointer (&self->change_thread, g_thread_join);

  g_clear_signal_handler (&self->network_handler, self->monitor);
  g_clear_signal_handler (&self->pending_ops_handler, self->store);
  stopped = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Syncing was stopped."));
  fail_requests (self, stopped);
  g_queue_clear_full (&self->folder_requests, g_free);
  self->running = FALSE;
  report_state (self, PIGEON_ACCOUNT_STATE_IDLE, NULL);
}

gboolean
pigeon_account_sync_is_running (PigeonAccountSync *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_SYNC (self), FALSE);
  return self->running;
}

void
pigeon_account_sync_retry_now (PigeonAccountSync *self)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));

  g_mutex_lock (&self->lock);
  self->retry = TRUE;
  if (self->replay)
    self->replay_not_before = 0;
  wake (self, TRUE);
  g_mutex_unlock (&self->lock);
}

void
pigeon_account_sync_request_folder (PigeonAccountSync *self,
                                    gint64             folder_id)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->folder_requests, g_memdup2 (&folder_id, sizeof folder_id));
  wake (self, TRUE);
  g_mutex_unlock (&self->lock);
}

static void
queue_request (PigeonAccountSync *self,
               GTask             *task)
{
  if (!self->running)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                               _("%s is not being synced right now."),
                               pigeon_account_get_name (self->account));
      g_object_unref (task);
      return;
    }
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->requests, task);
  wake (self, self->change_provider == NULL);
  g_mutex_unlock (&self->lock);
}

void
pigeon_account_sync_fetch_body_async (PigeonAccountSync   *self,
                                      gint64               message_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));

  task = request_new (self, REQUEST_BODY, message_id, NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_account_sync_fetch_body_async);
  queue_request (self, task);
}

gboolean
pigeon_account_sync_fetch_body_finish (PigeonAccountSync  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pigeon_account_sync_search_async (PigeonAccountSync   *self,
                                  const char          *query,
                                  gint64               folder_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));
  g_return_if_fail (query != NULL);

  task = request_new (self, REQUEST_SEARCH, folder_id, query, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_account_sync_search_async);
  queue_request (self, task);
}

GArray *
pigeon_account_sync_search_finish (PigeonAccountSync  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
pigeon_account_sync_fetch_attachment_async (PigeonAccountSync   *self,
                                            gint64               message_id,
                                            const char          *reference,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PIGEON_IS_ACCOUNT_SYNC (self));
  g_return_if_fail (reference != NULL);

  task = request_new (self, REQUEST_ATTACHMENT, message_id, reference, cancellable, callback,
                      user_data);
  g_task_set_source_tag (task, pigeon_account_sync_fetch_attachment_async);
  queue_request (self, task);
}

GBytes *
pigeon_account_sync_fetch_attachment_finish (PigeonAccountSync  *self,
                                             GAsyncResult       *result,
                                             GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
