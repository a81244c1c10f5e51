/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-database.h"
#include "pigeon-autoconfig-private.h"
#include "pigeon-autoconfig.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"

/* After an autoconfig file was found, how long the other sources may still add to it. */
#define GRACE_MS 1500

struct _PigeonAutoconfig
{
  GObject parent_instance;

  guint timeout;
  char *http_base;
  GTlsDatabase *tls_database;
  SoupSession *session;
};

G_DEFINE_FINAL_TYPE (PigeonAutoconfig, pigeon_autoconfig, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TIMEOUT,
  PROP_HTTP_BASE,
  PROP_TLS_DATABASE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ context */

PigeonAutoconfigContext *
pigeon_autoconfig_context_new (SoupSession *session,
                               const char  *http_base,
                               const char  *email,
                               const char  *password,
                               guint        timeout)
{
  PigeonAutoconfigContext *context = g_atomic_rc_box_new0 (PigeonAutoconfigContext);

  context->session = g_object_ref (session);
  context->http_base = g_strdup (http_base);
  context->email = g_strdup (email);
  pigeon_autoconfig_split_address (email, NULL, &context->domain);
  context->password = g_strdup (password);
  context->timeout = timeout;
  return context;
}

PigeonAutoconfigContext *
pigeon_autoconfig_context_ref (PigeonAutoconfigContext *context)
{
  return g_atomic_rc_box_acquire (context);
}

static void
context_clear (gpointer data)
{
  PigeonAutoconfigContext *context = data;

  g_object_unref (context->session);
  g_free (context->http_base);
  g_free (context->email);
  g_free (context->domain);
  if (context->password != NULL)
    {
      explicit_bzero (context->password, strlen (context->password));
      g_free (context->password);
    }
}

void
pigeon_autoconfig_context_unref (PigeonAutoconfigContext *context)
{
  g_atomic_rc_box_release_full (context, context_clear);
}

/* ------------------------------------------------------------------ object */

static void
pigeon_autoconfig_finalize (GObject *object)
{
  PigeonAutoconfig *self = (PigeonAutoconfig *) object;

  g_clear_object (&self->session);
  g_clear_object (&self->tls_database);
  g_free (self->http_base);

  G_OBJECT_CLASS (pigeon_autoconfig_parent_class)->finalize (object);
}

static void
pigeon_autoconfig_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PigeonAutoconfig *self = PIGEON_AUTOCONFIG (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_HTTP_BASE:
      g_value_set_string (value, self->http_base);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_autoconfig_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PigeonAutoconfig *self = PIGEON_AUTOCONFIG (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      if (self->timeout != g_value_get_uint (value))
        {
          self->timeout = g_value_get_uint (value);
          g_clear_object (&self->session);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_HTTP_BASE:
      if (g_strcmp0 (self->http_base, g_value_get_string (value)) != 0)
        {
          g_free (self->http_base);
          self->http_base = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TLS_DATABASE:
      if (g_set_object (&self->tls_database, g_value_get_object (value)))
        {
          g_clear_object (&self->session);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_autoconfig_class_init (PigeonAutoconfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = pigeon_autoconfig_finalize;
  object_class->get_property = pigeon_autoconfig_get_property;
  object_class->set_property = pigeon_autoconfig_set_property;

  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, NULL, 1, 120, 5, flags);
  properties[PROP_HTTP_BASE] = g_param_spec_string ("http-base", NULL, NULL, NULL, flags);
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL, G_TYPE_TLS_DATABASE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pigeon_autoconfig_init (PigeonAutoconfig *self)
{
  const char *base = g_getenv ("PIGEON_TEST_AUTOCONFIG_BASE");

  self->timeout = 5;
  if (base != NULL && *base != '\0')
    self->http_base = g_strdup (base);
}

PigeonAutoconfig *
pigeon_autoconfig_new (void)
{
  return g_object_new (PIGEON_TYPE_AUTOCONFIG, NULL);
}

static SoupSession *
ensure_session (PigeonAutoconfig *self)
{
  if (self->session == NULL)
    {
      g_autofree char *agent = g_strdup_printf ("Pigeon/%s", PACKAGE_VERSION);

      self->session = soup_session_new_with_options ("timeout", self->timeout,
                                                     "user-agent", agent,
                                                     NULL);
      if (self->tls_database != NULL)
        soup_session_set_tls_database (self->session, self->tls_database);
    }
  return self->session;
}

/* ------------------------------------------------------------------ lookup */

typedef void (*SourceFunc) (PigeonAutoconfigContext *context,
                            GCancellable            *cancellable,
                            GAsyncReadyCallback      callback,
                            gpointer                 user_data);

/* In the order their results are merged. */
static const struct
{
  PigeonAutoconfigSource source;
  SourceFunc start;
  guint deadline;         /* in timeouts */
  gboolean authoritative; /* a complete answer: the others get only the grace period */
  const char *name;
} sources[] = {
  { PIGEON_AUTOCONFIG_SOURCE_DOMAIN, pigeon_autoconfig_domain_async, 2, TRUE, "autoconfig" },
  { PIGEON_AUTOCONFIG_SOURCE_MX, pigeon_autoconfig_mx_async, 1, TRUE, "mx" },
  { PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER, pigeon_autoconfig_autodiscover_async, 3, FALSE,
    "autodiscover" },
  { PIGEON_AUTOCONFIG_SOURCE_SRV, pigeon_autoconfig_srv_async, 1, FALSE, "srv" },
  { PIGEON_AUTOCONFIG_SOURCE_GUESS, pigeon_autoconfig_guess_async, 2, FALSE, "guess" },
};
#define N_SOURCES G_N_ELEMENTS (sources)

typedef struct
{
  PigeonAutoconfigContext *context;
  PigeonAutoconfigResult *results[N_SOURCES];
  GCancellable *cancellables[N_SOURCES];
  guint deadlines[N_SOURCES];
  gboolean done[N_SOURCES];
  guint pending;
  guint grace;
} Lookup;

typedef struct
{
  GTask *task;
  guint index;
} SourceSlot;

static void
lookup_free (gpointer data)
{
  Lookup *lookup = data;

  for (guint i = 0; i < N_SOURCES; i++)
    {
      g_clear_pointer (&lookup->results[i], pigeon_autoconfig_result_free);
      g_clear_object (&lookup->cancellables[i]);
      g_clear_handle_id (&lookup->deadlines[i], g_source_remove);
    }
  g_clear_handle_id (&lookup->grace, g_source_remove);
  g_clear_pointer (&lookup->context, pigeon_autoconfig_context_unref);
  g_free (lookup);
}

static void
cancel_pending (Lookup *lookup)
{
  for (guint i = 0; i < N_SOURCES; i++)
    if (!lookup->done[i])
      g_cancellable_cancel (lookup->cancellables[i]);
}

static gboolean
grace_over_cb (gpointer user_data)
{
  Lookup *lookup = user_data;

  lookup->grace = 0;
  g_debug ("autoconfig: an autoconfig file was found; not waiting for the rest");
  cancel_pending (lookup);
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  SourceSlot *slot = user_data;
  Lookup *lookup = g_task_get_task_data (slot->task);

  lookup->deadlines[slot->index] = 0;
  g_debug ("autoconfig: %s took too long", sources[slot->index].name);
  g_cancellable_cancel (lookup->cancellables[slot->index]);
  return G_SOURCE_REMOVE;
}

static void
finish_lookup (GTask *task)
{
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(PigeonAutoconfigResult) merged = pigeon_autoconfig_result_new ();

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Guesses count only when nothing that knows answered, even when they were quicker. */
  for (guint i = 0; i < N_SOURCES; i++)
    if (lookup->results[i] != NULL &&
        (sources[i].source != PIGEON_AUTOCONFIG_SOURCE_GUESS ||
         pigeon_autoconfig_result_is_empty (merged)))
      pigeon_autoconfig_result_merge (merged, lookup->results[i]);
  pigeon_autoconfig_result_sort (merged);
  if (pigeon_autoconfig_result_is_empty (merged))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("Pigeon found no mail settings for %s."),
                               lookup->context->domain);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&merged),
                         (GDestroyNotify) pigeon_autoconfig_result_free);
}

static void
source_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SourceSlot *slot = user_data;
  g_autoptr(GTask) task = slot->task;
  Lookup *lookup = g_task_get_task_data (task);
  guint index = slot->index;
  g_autoptr(GError) error = NULL;

  lookup->results[index] = pigeon_autoconfig_source_finish (result, &error);
  lookup->done[index] = TRUE;
  lookup->pending--;
  g_clear_handle_id (&lookup->deadlines[index], g_source_remove);
  g_free (slot);
  g_debug ("autoconfig: %s for %s: %s", sources[index].name, lookup->context->domain,
           error ? error->message : "found");

  if (lookup->results[index] != NULL)
    {
      /* Guessing is only for when nothing else knows. */
      if (sources[index].source != PIGEON_AUTOCONFIG_SOURCE_GUESS)
        for (guint i = 0; i < N_SOURCES; i++)
          if (sources[i].source == PIGEON_AUTOCONFIG_SOURCE_GUESS && !lookup->done[i])
            g_cancellable_cancel (lookup->cancellables[i]);
      if (sources[index].authoritative && lookup->grace == 0 && lookup->pending > 0)
        lookup->grace = g_timeout_add (GRACE_MS, grace_over_cb, lookup);
    }
  if (lookup->pending == 0)
    {
      g_clear_handle_id (&lookup->grace, g_source_remove);
      finish_lookup (task);
    }
}

void
pigeon_autoconfig_lookup_async (PigeonAutoconfig     *self,
                                const char           *email,
                                const char           *password,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *address = NULL;
  PigeonAutoconfigResult *bundled;
  Lookup *lookup;

  g_return_if_fail (PIGEON_IS_AUTOCONFIG (self));
  g_return_if_fail (email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_autoconfig_lookup_async);

  address = g_strstrip (g_strdup (email));
  if (!pigeon_autoconfig_split_address (address, NULL, &domain))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                               _("“%s” is not an e-mail address."), address);
      return;
    }

  bundled = pigeon_autoconfig_database_lookup (domain, address, PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  if (bundled != NULL && (!pigeon_autoconfig_result_is_empty (bundled) ||
                          pigeon_autoconfig_result_needs_oauth2 (bundled)))
    {
      g_debug ("autoconfig: %s is on Pigeon's list (%s)", domain, bundled->display_name);
      pigeon_autoconfig_result_sort (bundled);
      g_task_return_pointer (task, bundled, (GDestroyNotify) pigeon_autoconfig_result_free);
      return;
    }
  g_clear_pointer (&bundled, pigeon_autoconfig_result_free);

  lookup = g_new0 (Lookup, 1);
  lookup->context = pigeon_autoconfig_context_new (ensure_session (self), self->http_base,
                                                   address, password, self->timeout);
  g_task_set_task_data (task, lookup, lookup_free);

  for (guint i = 0; i < N_SOURCES; i++)
    {
      SourceSlot *slot = g_new0 (SourceSlot, 1);

      slot->task = g_object_ref (task);
      slot->index = i;
      lookup->cancellables[i] = g_cancellable_new ();
      pigeon_autoconfig_chain_cancellable (cancellable, lookup->cancellables[i]);
      lookup->pending++;
      lookup->deadlines[i] = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
                                                         sources[i].deadline * self->timeout,
                                                         deadline_cb, slot, NULL);
      sources[i].start (lookup->context, lookup->cancellables[i], source_done_cb, slot);
    }
}

PigeonAutoconfigResult *
pigeon_autoconfig_lookup_finish (PigeonAutoconfig  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_AUTOCONFIG (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
