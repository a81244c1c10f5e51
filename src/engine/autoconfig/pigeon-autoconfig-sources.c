/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-database.h"
#include "pigeon-autoconfig-private.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"
#include "pigeon-provider.h"

void
pigeon_autoconfig_chain_cancellable (GCancellable *outer,
                                     GCancellable *inner)
{
  if (outer == NULL)
    return;
  if (g_cancellable_is_cancelled (outer))
    g_cancellable_cancel (inner);
  else
    g_signal_connect_object (outer, "cancelled", G_CALLBACK (g_cancellable_cancel), inner,
                             G_CONNECT_SWAPPED);
}

PigeonAutoconfigResult *
pigeon_autoconfig_source_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
return_result (GTask                  *task,
               PigeonAutoconfigResult *result,
               const char             *what)
{
  if (result == NULL || pigeon_autoconfig_result_is_empty (result))
    {
      g_clear_pointer (&result, pigeon_autoconfig_result_free);
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("%s named no server Pigeon can use."), what);
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) pigeon_autoconfig_result_free);
}

/* ------------------------------------------------------------------ race */

struct _PigeonAutoconfigRace
{
  GTask *task;
  GCancellable *cancellable;
  guint n;
  PigeonAutoconfigResult **results;
  GError **errors;
  gboolean *done;
  gboolean returned;
};

typedef PigeonAutoconfigRace Race;

typedef struct
{
  Race *race;
  guint index;
} RaceSlot;

static void
race_free (Race *race)
{
  for (guint i = 0; i < race->n; i++)
    {
      g_clear_pointer (&race->results[i], pigeon_autoconfig_result_free);
      g_clear_error (&race->errors[i]);
    }
  g_free (race->results);
  g_free (race->errors);
  g_free (race->done);
  g_object_unref (race->cancellable);
  g_object_unref (race->task);
}

PigeonAutoconfigRace *
pigeon_autoconfig_race_new (GTask *task,
                            guint  n)
{
  Race *race = g_rc_box_new0 (Race);

  race->task = g_object_ref (task);
  race->cancellable = g_cancellable_new ();
  pigeon_autoconfig_chain_cancellable (g_task_get_cancellable (task), race->cancellable);
  race->n = n;
  race->results = g_new0 (PigeonAutoconfigResult *, n);
  race->errors = g_new0 (GError *, n);
  race->done = g_new0 (gboolean, n);
  return race;
}

void
pigeon_autoconfig_race_unref (PigeonAutoconfigRace *race)
{
  g_rc_box_release_full (race, (GDestroyNotify) race_free);
}

gpointer
pigeon_autoconfig_race_slot (PigeonAutoconfigRace *race,
                             guint                 index)
{
  RaceSlot *slot = g_new0 (RaceSlot, 1);

  slot->race = g_rc_box_acquire (race);
  slot->index = index;
  return slot;
}

GCancellable *
pigeon_autoconfig_race_get_cancellable (PigeonAutoconfigRace *race)
{
  return race->cancellable;
}

static void
race_settle (Race *race)
{
  for (guint i = 0; i < race->n && !race->returned; i++)
    {
      if (!race->done[i])
        return;
      if (race->results[i] != NULL)
        {
          race->returned = TRUE;
          g_task_return_pointer (race->task, g_steal_pointer (&race->results[i]),
                                 (GDestroyNotify) pigeon_autoconfig_result_free);
          g_cancellable_cancel (race->cancellable);
        }
    }
  if (!race->returned)
    {
      race->returned = TRUE;
      g_task_return_error (race->task, g_steal_pointer (&race->errors[0]));
    }
}

void
pigeon_autoconfig_race_slot_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  RaceSlot *slot = user_data;
  Race *race = slot->race;
  GError *error = NULL;

  race->results[slot->index] = pigeon_autoconfig_source_finish (result, &error);
  race->errors[slot->index] = error;
  race->done[slot->index] = TRUE;
  if (!race->returned)
    race_settle (race);
  pigeon_autoconfig_race_unref (race);
  g_free (slot);
}

/* ------------------------------------------------------------------ domain autoconfig */

typedef struct
{
  PigeonAutoconfigContext *context;
  char *url;
} FetchConfig;

static void
fetch_config_free (gpointer data)
{
  FetchConfig *fetch = data;

  pigeon_autoconfig_context_unref (fetch->context);
  g_free (fetch->url);
  g_free (fetch);
}

static void
fetch_config_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchConfig *fetch = g_task_get_task_data (task);
  g_autoptr(GBytes) document = NULL;
  PigeonAutoconfigResult *config;
  GError *error = NULL;

  document = pigeon_autoconfig_fetch_finish (result, &error);
  if (document == NULL)
    {
      g_debug ("autoconfig %s: %s", fetch->url, error->message);
      g_task_return_error (task, error);
      return;
    }
  config = pigeon_ispdb_parse (document, fetch->context->email, PIGEON_AUTOCONFIG_SOURCE_DOMAIN,
                               &error);
  if (config == NULL)
    {
      g_debug ("autoconfig %s: %s", fetch->url, error->message);
      g_task_return_error (task, error);
      return;
    }
  return_result (task, config, fetch->url);
}

static void
fetch_config_async (PigeonAutoconfigContext *context,
                    char                    *url,
                    GCancellable            *cancellable,
                    GAsyncReadyCallback      callback,
                    gpointer                 user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  FetchConfig *fetch = g_new0 (FetchConfig, 1);

  g_task_set_source_tag (task, fetch_config_async);
  fetch->context = pigeon_autoconfig_context_ref (context);
  fetch->url = url;
  g_task_set_task_data (task, fetch, fetch_config_free);
  pigeon_autoconfig_fetch_async (context, url, NULL, NULL, cancellable, fetch_config_cb, task);
}

void
pigeon_autoconfig_domain_async (PigeonAutoconfigContext *context,
                                GCancellable            *cancellable,
                                GAsyncReadyCallback      callback,
                                gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Race *race = pigeon_autoconfig_race_new (task, 2);

  g_task_set_source_tag (task, pigeon_autoconfig_domain_async);
  fetch_config_async (context,
                      g_strdup_printf ("https://autoconfig.%s/mail/config-v1.1.xml",
                                       context->domain),
                      race->cancellable, pigeon_autoconfig_race_slot_cb,
                      pigeon_autoconfig_race_slot (race, 0));
  fetch_config_async (context,
                      g_strdup_printf ("https://%s/.well-known/autoconfig/mail/config-v1.1.xml",
                                       context->domain),
                      race->cancellable, pigeon_autoconfig_race_slot_cb,
                      pigeon_autoconfig_race_slot (race, 1));
  pigeon_autoconfig_race_unref (race);
}

/* ------------------------------------------------------------------ MX */

static int
compare_mx (gconstpointer a,
            gconstpointer b)
{
  guint16 pa, pb;

  g_variant_get ((GVariant *) a, "(q&s)", &pa, NULL);
  g_variant_get ((GVariant *) b, "(q&s)", &pb, NULL);
  return (int) pa - (int) pb;
}

static void
mx_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PigeonAutoconfigContext *context = g_task_get_task_data (task);
  GList *records;
  GError *error = NULL;

  records = g_resolver_lookup_records_finish (G_RESOLVER (source), result, &error);
  if (records == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("%s has no mail server record: %s"), context->domain,
                               error->message);
      g_error_free (error);
      return;
    }
  records = g_list_sort (records, compare_mx);
  for (GList *l = records; l; l = l->next)
    {
      const char *host;
      PigeonAutoconfigResult *config;

      g_variant_get (l->data, "(q&s)", NULL, &host);
      /* The domain's own name would only find what the direct lookup did not. */
      if (pigeon_autoconfig_host_in_domain (host, context->domain))
        continue;
      config = pigeon_autoconfig_database_lookup_host (host, context->email,
                                                       PIGEON_AUTOCONFIG_SOURCE_MX);
      if (config != NULL)
        {
          g_debug ("%s receives mail at %s, a host of %s", context->domain, host,
                   config->display_name);
          g_list_free_full (records, (GDestroyNotify) g_variant_unref);
          return_result (task, config, host);
          return;
        }
    }
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
  g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                           _("The mail servers of %s are not on Pigeon's list of providers."),
                           context->domain);
}

void
pigeon_autoconfig_mx_async (PigeonAutoconfigContext *context,
                            GCancellable            *cancellable,
                            GAsyncReadyCallback      callback,
                            gpointer                 user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();

  g_task_set_source_tag (task, pigeon_autoconfig_mx_async);
  g_task_set_task_data (task, pigeon_autoconfig_context_ref (context),
                        (GDestroyNotify) pigeon_autoconfig_context_unref);
  g_resolver_lookup_records_async (resolver, context->domain, G_RESOLVER_RECORD_MX, cancellable,
                                   mx_cb, task);
}

/* ------------------------------------------------------------------ SRV */

/*
 * RFC 6186 names the services "imap", "pop3" and "submission"; each has a variant with
 * implicit TLS named by an added "s" (RFC 8314).  The names here are the TLS ones, the
 * others are derived, and the incoming ones are looked up among the providers under the
 * name without the "s".
 */
static const struct
{
  const char *tls_service;
  gboolean    outgoing;
} srv_services[] = {
  { "imaps", FALSE },
  { "pop3s", FALSE },
  { "submissions", TRUE },
};

typedef struct
{
  PigeonAutoconfigContext *context;
  PigeonAutoconfigResult *result;
  guint pending;
} SrvLookup;

typedef struct
{
  GTask *task;
  char *protocol;
  gboolean outgoing;
  PigeonSecurity security;
} SrvQuery;

static void
srv_lookup_free (gpointer data)
{
  SrvLookup *lookup = data;

  pigeon_autoconfig_context_unref (lookup->context);
  g_clear_pointer (&lookup->result, pigeon_autoconfig_result_free);
  g_free (lookup);
}

static void
srv_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  SrvQuery *query = user_data;
  g_autoptr(GTask) task = query->task;
  SrvLookup *lookup = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *targets;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  for (GList *l = targets; l; l = l->next)
    {
      const char *host = g_srv_target_get_hostname (l->data);
      guint16 port = g_srv_target_get_port (l->data);
      PigeonAutoconfigServer *server;

      /* "." says the service is deliberately not offered. */
      if (port == 0 || host == NULL || *host == '\0' || g_strcmp0 (host, ".") == 0)
        continue;
      server = pigeon_autoconfig_server_new (query->protocol, host, port, query->security,
                                             PIGEON_AUTOCONFIG_SOURCE_SRV);
      g_ptr_array_add (query->outgoing ? lookup->result->outgoing : lookup->result->incoming,
                       server);
    }
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
  g_free (query->protocol);
  g_free (query);

  if (--lookup->pending == 0)
    {
      if (g_task_return_error_if_cancelled (task))
        return;
      return_result (task, g_steal_pointer (&lookup->result), lookup->context->domain);
    }
}

static void
start_srv_query (GTask          *task,
                 const char     *service,
                 const char     *protocol,
                 gboolean        outgoing,
                 PigeonSecurity  security)
{
  SrvLookup *lookup = g_task_get_task_data (task);
  SrvQuery *query = g_new0 (SrvQuery, 1);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();

  query->task = g_object_ref (task);
  query->protocol = g_strdup (protocol);
  query->outgoing = outgoing;
  query->security = security;
  lookup->pending++;
  g_resolver_lookup_service_async (resolver, service, "tcp", lookup->context->domain,
                                   g_task_get_cancellable (task), srv_cb, query);
}

void
pigeon_autoconfig_srv_async (PigeonAutoconfigContext *context,
                             GCancellable            *cancellable,
                             GAsyncReadyCallback      callback,
                             gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SrvLookup *lookup = g_new0 (SrvLookup, 1);
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                                          PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);

  g_task_set_source_tag (task, pigeon_autoconfig_srv_async);
  lookup->context = pigeon_autoconfig_context_ref (context);
  lookup->result = pigeon_autoconfig_result_new ();
  g_task_set_task_data (task, lookup, srv_lookup_free);

  for (guint i = 0; i < G_N_ELEMENTS (srv_services); i++)
    {
      const char *tls = srv_services[i].tls_service;
      g_autofree char *plain = g_strndup (tls, strlen (tls) - 1);
      PigeonProviderClass *klass = NULL;

      if (srv_services[i].outgoing)
        klass = senders[0] ? pigeon_provider_class_lookup (senders[0]) : NULL;
      else
        klass = pigeon_provider_class_lookup_config_name (plain);
      if (klass == NULL)
        continue;
      start_srv_query (task, tls, klass->protocol, srv_services[i].outgoing,
                       PIGEON_SECURITY_TLS);
      start_srv_query (task, plain, klass->protocol, srv_services[i].outgoing,
                       PIGEON_SECURITY_STARTTLS);
    }
  if (lookup->pending == 0)
    g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                             _("No provider of this Pigeon has SRV records."));
}
