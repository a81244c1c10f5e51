/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-error.h"
#include "pigeon-provider.h"
#include "pigeon-session.h"
#include "pigeon-sync-once.h"

/* The store remembers that the account was synced completely once. */
#define INITIAL_SYNC_KEY "app.initial-sync-done"
/* After the user changed something, the queue goes to the server this soon. */
#define REPLAY_DELAY_SECONDS 2

struct _PigeonSession
{
  GObject parent_instance;

  PigeonAccount *account;
  PigeonStore *store;
  GError *store_error;
  GCancellable *cancellable;
  gboolean initial_sync_done;

  gboolean syncing;
  gboolean sync_again;
  guint timer;
  guint replay_timer;
};

G_DEFINE_FINAL_TYPE (PigeonSession, pigeon_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_STORE,
  PROP_STORE_ERROR,
  PROP_INITIAL_SYNC_DONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
pigeon_session_dispose (GObject *object)
{
  PigeonSession *self = (PigeonSession *) object;

  pigeon_session_shutdown (self);

  G_OBJECT_CLASS (pigeon_session_parent_class)->dispose (object);
}

static void
pigeon_session_finalize (GObject *object)
{
  PigeonSession *self = (PigeonSession *) object;

  g_clear_object (&self->account);
  g_clear_error (&self->store_error);

  G_OBJECT_CLASS (pigeon_session_parent_class)->finalize (object);
}

static void
pigeon_session_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PigeonSession *self = PIGEON_SESSION (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_STORE_ERROR:
      g_value_set_boxed (value, self->store_error);
      break;
    case PROP_INITIAL_SYNC_DONE:
      g_value_set_boolean (value, self->initial_sync_done);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_session_class_init (PigeonSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_session_dispose;
  object_class->finalize = pigeon_session_finalize;
  object_class->get_property = pigeon_session_get_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, PIGEON_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, PIGEON_TYPE_STORE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STORE_ERROR] =
    g_param_spec_boxed ("store-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_INITIAL_SYNC_DONE] =
    g_param_spec_boolean ("initial-sync-done", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pigeon_session_init (PigeonSession *self)
{
  self->cancellable = g_cancellable_new ();
}

/* ------------------------------------------------------------------ syncing */

typedef struct
{
  PigeonAccount *account;
  PigeonStore *store;
  gint64 folder_id;   /* 0: the whole account */
  gint64 message_id;  /* a body to fetch */
} SyncJob;

static void
sync_job_free (SyncJob *job)
{
  g_clear_object (&job->account);
  g_clear_object (&job->store);
  g_free (job);
}

static SyncJob *
sync_job_new (PigeonSession *self)
{
  SyncJob *job = g_new0 (SyncJob, 1);

  job->account = g_object_ref (self->account);
  job->store = g_object_ref (self->store);
  return job;
}

/* One connection for one folder or one body. */
static gboolean
run_connected (SyncJob       *job,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(PigeonProvider) provider = pigeon_provider_new_for_account (job->account, job->store,
                                                                        error);
  gboolean ok;

  if (provider == NULL ||
      !pigeon_provider_load_password (provider, cancellable, error) ||
      !pigeon_provider_connect (provider, cancellable, error))
    return FALSE;
  if (job->message_id != 0)
    ok = pigeon_provider_fetch_body (provider, job->message_id, cancellable, error);
  else
    ok = pigeon_provider_sync_folder (provider, job->folder_id, PIGEON_SYNC_FLAGS_FULL,
                                      cancellable, error);
  pigeon_provider_disconnect (provider);
  return ok;
}

static void
sync_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SyncJob *job = task_data;
  GError *error = NULL;
  gboolean ok;

  if (job->folder_id != 0 || job->message_id != 0)
    ok = run_connected (job, cancellable, &error);
  else
    ok = pigeon_sync_account_once (job->account, job->store, PIGEON_SYNC_FLAGS_NONE,
                                   cancellable, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void schedule_next (PigeonSession *self);

static gboolean
network_down (void)
{
  return !g_network_monitor_get_network_available (g_network_monitor_get_default ());
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PigeonSession *self = PIGEON_SESSION (source);
  g_autoptr(GError) error = NULL;

  self->syncing = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if ((g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT) ||
           g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_OFFLINE)) && network_down ())
        {
          pigeon_account_set_last_error (self->account, NULL);
          pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_OFFLINE, NULL);
        }
      else
        {
          g_message ("%s: %s", pigeon_account_get_name (self->account), error->message);
          pigeon_account_set_last_error (self->account, error);
          pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_ERROR, NULL);
        }
    }
  else
    {
      pigeon_account_set_last_error (self->account, NULL);
      pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_IDLE, NULL);
      if (!self->initial_sync_done && self->store != NULL)
        {
          g_autoptr(GError) state_error = NULL;

          if (!pigeon_store_set_state (self->store, INITIAL_SYNC_KEY, "1", &state_error))
            g_warning ("%s", state_error->message);
          self->initial_sync_done = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIAL_SYNC_DONE]);
        }
    }

  if (self->sync_again)
    {
      self->sync_again = FALSE;
      pigeon_session_sync_now (self);
      return;
    }
  schedule_next (self);
}

static gboolean
can_sync (PigeonSession *self)
{
  return self->store != NULL && self->cancellable != NULL &&
         pigeon_account_get_enabled (self->account);
}

void
pigeon_session_sync_now (PigeonSession *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_SESSION (self));

  if (!can_sync (self))
    return;
  if (self->syncing)
    {
      self->sync_again = TRUE;
      return;
    }
  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_handle_id (&self->replay_timer, g_source_remove);
  self->syncing = TRUE;
  pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_SYNCING, _("Getting mail…"));

  task = g_task_new (self, self->cancellable, sync_done_cb, NULL);
  g_task_set_source_tag (task, pigeon_session_sync_now);
  g_task_set_task_data (task, sync_job_new (self), (GDestroyNotify) sync_job_free);
  g_task_run_in_thread (task, sync_thread);
}

static gboolean
timer_cb (gpointer user_data)
{
  PigeonSession *self = user_data;

  self->timer = 0;
  pigeon_session_sync_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_next (PigeonSession *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
  if (!can_sync (self))
    return;
  self->timer = g_timeout_add_seconds (pigeon_account_get_check_interval (self->account) * 60,
                                       timer_cb, self);
  g_source_set_name_by_id (self->timer, "[pigeon] check for mail");
}

static gboolean
replay_cb (gpointer user_data)
{
  PigeonSession *self = user_data;

  self->replay_timer = 0;
  pigeon_session_sync_now (self);
  return G_SOURCE_REMOVE;
}

static void
pending_ops_changed_cb (PigeonStore   *store,
                        PigeonSession *self)
{
  if (self->replay_timer != 0 || !can_sync (self))
    return;
  self->replay_timer = g_timeout_add_seconds (REPLAY_DELAY_SECONDS, replay_cb, self);
  g_source_set_name_by_id (self->replay_timer, "[pigeon] send changes");
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    PigeonSession   *self)
{
  if (available && pigeon_account_get_state (self->account) == PIGEON_ACCOUNT_STATE_OFFLINE)
    pigeon_session_sync_now (self);
}

static void
folder_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PigeonSession *self = PIGEON_SESSION (source);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      pigeon_account_set_last_error (self->account, error);
      pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_ERROR, NULL);
    }
}

void
pigeon_session_resync_folder (PigeonSession *self,
                              gint64         folder_id)
{
  g_autoptr(GTask) task = NULL;
  SyncJob *job;

  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (folder_id != 0);

  if (!can_sync (self))
    return;
  job = sync_job_new (self);
  job->folder_id = folder_id;
  task = g_task_new (self, self->cancellable, folder_done_cb, NULL);
  g_task_set_source_tag (task, pigeon_session_resync_folder);
  g_task_set_task_data (task, job, (GDestroyNotify) sync_job_free);
  g_task_run_in_thread (task, sync_thread);
}

void
pigeon_session_fetch_body_async (PigeonSession       *self,
                                 gint64               message_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SyncJob *job;

  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (message_id != 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_session_fetch_body_async);
  if (self->store == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                               _("The mail cache of this account is not open."));
      return;
    }
  if (!pigeon_account_get_enabled (self->account))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                               _("This message has not been downloaded, and the account is "
                                 "turned off. Turn it on in the account settings to download "
                                 "it."));
      return;
    }
  job = sync_job_new (self);
  job->message_id = message_id;
  g_task_set_task_data (task, job, (GDestroyNotify) sync_job_free);
  g_task_run_in_thread (task, sync_thread);
}

gboolean
pigeon_session_fetch_body_finish (PigeonSession  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ opening */

static void
store_open_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PigeonSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  PigeonStore *store;

  store = pigeon_store_open_finish (result, &error);
  if (store == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("%s: %s", pigeon_account_get_name (self->account), error->message);
      self->store_error = g_steal_pointer (&error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE_ERROR]);
      return;
    }
  if (self->cancellable == NULL)
    {
      /* Shut down while opening. */
      pigeon_store_close (store);
      g_object_unref (store);
      return;
    }
  self->store = store;
  done = pigeon_store_get_state (store, INITIAL_SYNC_KEY, NULL);
  self->initial_sync_done = done != NULL;
  g_signal_connect (store, "pending-ops-changed", G_CALLBACK (pending_ops_changed_cb), self);
  g_signal_connect_object (g_network_monitor_get_default (), "network-changed",
                           G_CALLBACK (network_changed_cb), self, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
  if (self->initial_sync_done)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIAL_SYNC_DONE]);
  pigeon_session_sync_now (self);
}

PigeonSession *
pigeon_session_new (PigeonAccount *account,
                    const char    *store_dir)
{
  PigeonSession *self;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (store_dir != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_SESSION, NULL);
  self->account = g_object_ref (account);
  pigeon_store_open_async (store_dir, self->cancellable, store_open_cb, g_object_ref (self));
  return self;
}

PigeonAccount *
pigeon_session_get_account (PigeonSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SESSION (self), NULL);
  return self->account;
}

PigeonStore *
pigeon_session_get_store (PigeonSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SESSION (self), NULL);
  return self->store;
}

const GError *
pigeon_session_get_store_error (PigeonSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SESSION (self), NULL);
  return self->store_error;
}

gboolean
pigeon_session_get_initial_sync_done (PigeonSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SESSION (self), FALSE);
  return self->initial_sync_done;
}

void
pigeon_session_shutdown (PigeonSession *self)
{
  g_return_if_fail (PIGEON_IS_SESSION (self));

  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_handle_id (&self->replay_timer, g_source_remove);
  g_signal_handlers_disconnect_by_data (g_network_monitor_get_default (), self);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->store != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->store, self);
      pigeon_store_close (self->store);
      g_clear_object (&self->store);
    }
}
