/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-composer-outboxes.h"

#define DATA_KEY "pigeon-composer-outboxes"
#define DEFAULT_UNDO_DELAY 5

struct _PigeonComposerOutboxes
{
  GObject parent_instance;

  PigeonApplication *app;       /* not owned: the application owns this */
  GSettings *settings;
  GHashTable *outboxes;         /* account id -> PigeonOutbox */
  guint n_waiting;
};

G_DEFINE_FINAL_TYPE (PigeonComposerOutboxes, pigeon_composer_outboxes, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_WAITING,
  N_PROPS
};

enum {
  SIGNAL_QUEUED,
  SIGNAL_SENT,
  SIGNAL_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
pigeon_composer_outboxes_finalize (GObject *object)
{
  PigeonComposerOutboxes *self = (PigeonComposerOutboxes *) object;

  pigeon_composer_outboxes_shutdown (self);
  g_clear_pointer (&self->outboxes, g_hash_table_unref);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pigeon_composer_outboxes_parent_class)->finalize (object);
}

static void
pigeon_composer_outboxes_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  PigeonComposerOutboxes *self = PIGEON_COMPOSER_OUTBOXES (object);

  switch (prop_id)
    {
    case PROP_N_WAITING:
      g_value_set_uint (value, self->n_waiting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_composer_outboxes_class_init (PigeonComposerOutboxesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pigeon_composer_outboxes_finalize;
  object_class->get_property = pigeon_composer_outboxes_get_property;

  properties[PROP_N_WAITING] =
    g_param_spec_uint ("n-waiting", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_QUEUED] =
    g_signal_new ("queued", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, PIGEON_TYPE_OUTBOX, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_INT64);
  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, PIGEON_TYPE_OUTBOX, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRV);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, PIGEON_TYPE_OUTBOX, G_TYPE_INT64, G_TYPE_STRING,
                  G_TYPE_STRING);
}

static void
pigeon_composer_outboxes_init (PigeonComposerOutboxes *self)
{
  self->outboxes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* The schema is there once installed, or with GSETTINGS_SCHEMA_DIR in an uninstalled build;
 * without it the default delay holds. */
static GSettings *
lookup_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

guint
pigeon_composer_outboxes_get_undo_delay (PigeonComposerOutboxes *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self), DEFAULT_UNDO_DELAY);

  if (self->settings == NULL)
    return DEFAULT_UNDO_DELAY;
  return (guint) MAX (g_settings_get_int (self->settings, "undo-send-delay"), 0);
}

static void
update_n_waiting (PigeonComposerOutboxes *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->outboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += pigeon_outbox_get_n_waiting (value);
  if (n == self->n_waiting)
    return;
  self->n_waiting = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WAITING]);
}

static void
n_waiting_cb (PigeonOutbox           *outbox,
              GParamSpec             *pspec,
              PigeonComposerOutboxes *self)
{
  update_n_waiting (self);
}

/* A send in progress keeps the application alive: closing the last window waits for it. */
static void
busy_cb (PigeonOutbox           *outbox,
         GParamSpec             *pspec,
         PigeonComposerOutboxes *self)
{
  gboolean busy = pigeon_outbox_get_busy (outbox);
  gboolean was = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (outbox), "pigeon-held"));

  if (busy == was)
    return;
  g_object_set_data (G_OBJECT (outbox), "pigeon-held", GINT_TO_POINTER (busy));
  if (busy)
    g_application_hold (G_APPLICATION (self->app));
  else
    g_application_release (G_APPLICATION (self->app));
}

static void
sent_cb (PigeonOutbox           *outbox,
         gint64                  id,
         const char             *subject,
         GStrv                   rejected,
         PigeonComposerOutboxes *self)
{
  g_signal_emit (self, signals[SIGNAL_SENT], 0, outbox, id, subject, rejected);
}

static void
failed_cb (PigeonOutbox           *outbox,
           gint64                  id,
           const char             *subject,
           const char             *why,
           PigeonComposerOutboxes *self)
{
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, outbox, id, subject, why);
}

static void
undo_delay_changed_cb (GSettings              *settings,
                       const char             *key,
                       PigeonComposerOutboxes *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->outboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    pigeon_outbox_set_undo_delay (value, pigeon_composer_outboxes_get_undo_delay (self));
}

static void
stop_outbox (PigeonComposerOutboxes *self,
             PigeonOutbox           *outbox)
{
  g_signal_handlers_disconnect_by_data (outbox, self);
  pigeon_outbox_stop (outbox);
  /* Its pass (if one runs) finishes on its own; the hold goes with it. */
  if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (outbox), "pigeon-held")))
    g_signal_connect_object (outbox, "notify::busy", G_CALLBACK (busy_cb), self, 0);
}

static void
start_outbox (PigeonComposerOutboxes *self,
              PigeonSession          *session)
{
  PigeonAccount *account = pigeon_session_get_account (session);
  PigeonStore *store = pigeon_session_get_store (session);
  const char *id = pigeon_account_get_id (account);
  PigeonOutbox *outbox;

  if (store == NULL || g_hash_table_contains (self->outboxes, id))
    return;
  outbox = pigeon_outbox_new (account, store);
  pigeon_outbox_set_undo_delay (outbox, pigeon_composer_outboxes_get_undo_delay (self));
  g_signal_connect_object (outbox, "notify::n-waiting", G_CALLBACK (n_waiting_cb), self, 0);
  g_signal_connect_object (outbox, "notify::busy", G_CALLBACK (busy_cb), self, 0);
  g_signal_connect_object (outbox, "sent", G_CALLBACK (sent_cb), self, 0);
  g_signal_connect_object (outbox, "failed", G_CALLBACK (failed_cb), self, 0);
  g_hash_table_insert (self->outboxes, g_strdup (id), outbox);
  pigeon_outbox_start (outbox);
  update_n_waiting (self);
}

static void
session_store_cb (PigeonSession          *session,
                  GParamSpec             *pspec,
                  PigeonComposerOutboxes *self)
{
  start_outbox (self, session);
}

static void
sync_accounts (PigeonComposerOutboxes *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->app));
  g_autoptr(GHashTable) alive = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      PigeonSession *session = pigeon_application_get_session (self->app, account);

      g_hash_table_add (alive, (gpointer) pigeon_account_get_id (account));
      if (session == NULL ||
          g_hash_table_contains (self->outboxes, pigeon_account_get_id (account)))
        continue;
      if (pigeon_session_get_store (session) != NULL)
        start_outbox (self, session);
      else if (g_object_get_data (G_OBJECT (session), DATA_KEY) == NULL)
        {
          g_object_set_data (G_OBJECT (session), DATA_KEY, self);
          g_signal_connect_object (session, "notify::store", G_CALLBACK (session_store_cb),
                                   self, 0);
        }
    }

  g_hash_table_iter_init (&iter, self->outboxes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (alive, key))
      {
        stop_outbox (self, value);
        g_hash_table_iter_remove (&iter);
      }
  update_n_waiting (self);
}

static void
accounts_changed_cb (GListModel             *model,
                     guint                   position,
                     guint                   removed,
                     guint                   added,
                     PigeonComposerOutboxes *self)
{
  sync_accounts (self);
}

PigeonComposerOutboxes *
pigeon_composer_outboxes_get_default (PigeonApplication *app)
{
  PigeonComposerOutboxes *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (app), NULL);

  self = g_object_get_data (G_OBJECT (app), DATA_KEY);
  if (self != NULL)
    return self;

  self = g_object_new (PIGEON_TYPE_COMPOSER_OUTBOXES, NULL);
  self->app = app;
  self->settings = lookup_settings ();
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed::undo-send-delay",
                             G_CALLBACK (undo_delay_changed_cb), self, 0);
  g_object_set_data_full (G_OBJECT (app), DATA_KEY, self, g_object_unref);
  /* After the application's own handler, which makes the sessions. */
  g_signal_connect_object (pigeon_application_get_manager (app), "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_AFTER);
  sync_accounts (self);
  return self;
}

PigeonOutbox *
pigeon_composer_outboxes_lookup (PigeonComposerOutboxes *self,
                                 PigeonAccount          *account)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self), NULL);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  sync_accounts (self);
  return g_hash_table_lookup (self->outboxes, pigeon_account_get_id (account));
}

GPtrArray *
pigeon_composer_outboxes_list (PigeonComposerOutboxes *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self), out);

  g_hash_table_iter_init (&iter, self->outboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (out, g_object_ref (value));
  return out;
}

guint
pigeon_composer_outboxes_get_n_waiting (PigeonComposerOutboxes *self)
{
  g_return_val_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self), 0);
  return self->n_waiting;
}

void
pigeon_composer_outboxes_note_queued (PigeonComposerOutboxes *self,
                                      PigeonOutbox           *outbox,
                                      gint64                  id,
                                      const char             *subject,
                                      gint64                  send_after)
{
  g_return_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self));
  g_return_if_fail (PIGEON_IS_OUTBOX (outbox));

  update_n_waiting (self);
  g_signal_emit (self, signals[SIGNAL_QUEUED], 0, outbox, id, subject, send_after);
}

void
pigeon_composer_outboxes_shutdown (PigeonComposerOutboxes *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (PIGEON_IS_COMPOSER_OUTBOXES (self));

  if (self->outboxes == NULL)
    return;
  g_hash_table_iter_init (&iter, self->outboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      pigeon_outbox_stop (value);
      g_signal_handlers_disconnect_by_data (value, self);
      if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (value), "pigeon-held")))
        {
          g_object_set_data (G_OBJECT (value), "pigeon-held", GINT_TO_POINTER (FALSE));
          g_application_release (G_APPLICATION (self->app));
        }
    }
  g_hash_table_remove_all (self->outboxes);
}
