/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-session.h"

struct _PigeonSession
{
  GObject parent_instance;

  PigeonAccount *account;
  PigeonStore *store;
  GError *store_error;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (PigeonSession, pigeon_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_STORE,
  PROP_STORE_ERROR,
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
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pigeon_session_init (PigeonSession *self)
{
  self->cancellable = g_cancellable_new ();
}

static void
store_open_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PigeonSession) self = user_data;
  g_autoptr(GError) error = NULL;
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
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

void
pigeon_session_shutdown (PigeonSession *self)
{
  g_return_if_fail (PIGEON_IS_SESSION (self));

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
