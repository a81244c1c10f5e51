/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-account-sync.h"
#include "pigeon-error.h"
#include "pigeon-provider.h"
#include "pigeon-session.h"

/* The store remembers that the account was synced completely once. */
#define INITIAL_SYNC_KEY "app.initial-sync-done"

struct _PigeonSession
{
  GObject parent_instance;

  PigeonAccount *account;
  PigeonStore *store;
  GError *store_error;
  GCancellable *cancellable;
  gboolean initial_sync_done;
  PigeonAccountSync *sync;   /* the scheduler, while the account is enabled */
  gulong state_handler;
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

/* The first full pass is over when the scheduler goes idle while running, without error:
 * from then on, new mail is news. */
static void
account_state_cb (PigeonAccount *account,
                  GParamSpec    *pspec,
                  PigeonSession *self)
{
  g_autoptr(GError) error = NULL;

  if (self->initial_sync_done || self->sync == NULL || self->store == NULL ||
      !pigeon_account_sync_is_running (self->sync) ||
      pigeon_account_get_state (account) != PIGEON_ACCOUNT_STATE_IDLE ||
      pigeon_account_get_last_error (account) != NULL)
    return;
  if (!pigeon_store_set_state (self->store, INITIAL_SYNC_KEY, "1", &error))
    g_warning ("%s", error->message);
  self->initial_sync_done = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIAL_SYNC_DONE]);
}

static void
stop_sync (PigeonSession *self)
{
  if (self->sync == NULL)
    return;
  g_clear_signal_handler (&self->state_handler, self->account);
  /* Waits for the threads: they log out first. */
  pigeon_account_sync_stop (self->sync);
  g_clear_object (&self->sync);
}

static void
start_sync (PigeonSession *self)
{
  g_autoptr(GError) error = NULL;

  if (self->sync != NULL || self->store == NULL || self->cancellable == NULL ||
      !pigeon_account_get_enabled (self->account))
    return;
  self->sync = pigeon_account_sync_new (self->account, self->store);
  self->state_handler = g_signal_connect (self->account, "notify::state",
                                          G_CALLBACK (account_state_cb), self);
  if (!pigeon_account_sync_start (self->sync, &error))
    {
      g_message ("%s: %s", pigeon_account_get_name (self->account), error->message);
      g_clear_signal_handler (&self->state_handler, self->account);
      g_clear_object (&self->sync);
      pigeon_account_set_last_error (self->account, error);
      pigeon_account_set_state (self->account, PIGEON_ACCOUNT_STATE_ERROR, NULL);
    }
}

static void
enabled_cb (PigeonAccount *account,
            GParamSpec    *pspec,
            PigeonSession *self)
{
  if (pigeon_account_get_enabled (account))
    start_sync (self);
  else
    stop_sync (self);
}

void
pigeon_session_sync_now (PigeonSession *self)
{
  g_return_if_fail (PIGEON_IS_SESSION (self));

  if (self->sync == NULL)
    start_sync (self);
  else
    pigeon_account_sync_retry_now (self->sync);
}

void
pigeon_session_resync_folder (PigeonSession *self,
                              gint64         folder_id)
{
  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (folder_id != 0);

  if (self->sync != NULL)
    pigeon_account_sync_request_folder (self->sync, folder_id);
}

void
pigeon_session_folder_shown (PigeonSession *self,
                             gint64         folder_id)
{
  g_return_if_fail (PIGEON_IS_SESSION (self));

  if (self->sync != NULL && folder_id > 0)
    pigeon_account_sync_request_folder (self->sync, folder_id);
}

static void
body_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (pigeon_account_sync_fetch_body_finish (PIGEON_ACCOUNT_SYNC (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
pigeon_session_fetch_body_async (PigeonSession       *self,
                                 gint64               message_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (message_id != 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_session_fetch_body_async);
  if (self->sync == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                               _("This message has not been downloaded, and the account is "
                                 "turned off. Turn it on in the account settings to download "
                                 "it."));
      return;
    }
  pigeon_account_sync_fetch_body_async (self->sync, message_id, cancellable, body_fetched_cb,
                                        g_steal_pointer (&task));
}

gboolean
pigeon_session_fetch_body_finish (PigeonSession  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
attachment_fetched_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *content = pigeon_account_sync_fetch_attachment_finish (PIGEON_ACCOUNT_SYNC (source),
                                                                 result, &error);

  if (content != NULL)
    g_task_return_pointer (task, content, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

void
pigeon_session_fetch_attachment_async (PigeonSession       *self,
                                       gint64               message_id,
                                       const char          *reference,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (message_id != 0);
  g_return_if_fail (reference != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_session_fetch_attachment_async);
  if (self->sync == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                               _("This attachment is still on the server, and the account is "
                                 "turned off. Turn it on in the account settings to download "
                                 "it."));
      return;
    }
  pigeon_account_sync_fetch_attachment_async (self->sync, message_id, reference, cancellable,
                                              attachment_fetched_cb, g_steal_pointer (&task));
}

GBytes *
pigeon_session_fetch_attachment_finish (PigeonSession  *self,
                                        GAsyncResult   *result,
                                        GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
pigeon_session_can_search_server (PigeonSession *self)
{
  PigeonProviderClass *klass;

  g_return_val_if_fail (PIGEON_IS_SESSION (self), FALSE);

  klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (self->account));
  return klass != NULL && (klass->caps & PIGEON_PROVIDER_CAP_SERVER_SEARCH) != 0;
}

static void
searched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GArray *ids = pigeon_account_sync_search_finish (PIGEON_ACCOUNT_SYNC (source), result, &error);

  if (ids != NULL)
    g_task_return_pointer (task, ids, (GDestroyNotify) g_array_unref);
  else
    g_task_return_error (task, error);
}

void
pigeon_session_search_async (PigeonSession       *self,
                             const char          *query,
                             gint64               folder_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_SESSION (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_session_search_async);
  if (!pigeon_session_can_search_server (self))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                               _("The server of %s cannot search; only the messages on this "
                                 "computer can be searched."),
                               pigeon_account_get_name (self->account));
      return;
    }
  if (self->sync == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                               _("%s is turned off. Turn it on in the account settings to "
                                 "search its server."),
                               pigeon_account_get_name (self->account));
      return;
    }
  pigeon_account_sync_search_async (self->sync, query, folder_id, cancellable, searched_cb,
                                    g_steal_pointer (&task));
}

GArray *
pigeon_session_search_finish (PigeonSession  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_signal_connect_object (self->account, "notify::enabled", G_CALLBACK (enabled_cb), self, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
  if (self->initial_sync_done)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIAL_SYNC_DONE]);
  start_sync (self);
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

  stop_sync (self);
  g_signal_handlers_disconnect_by_data (self->account, self);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->store != NULL)
    {
      pigeon_store_close (self->store);
      g_clear_object (&self->store);
    }
}
