/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "autoconfig-test-util.h"

/* ------------------------------------------------------------------ providers */

static TestPorts test_ports;

#define DEFINE_TEST_PROVIDER(Name, name, PROTOCOL, CAPS, TLS, PLAIN, NAMES)              \
  G_DECLARE_FINAL_TYPE (Name, name, TEST, Name, PigeonProvider)                           \
  struct _##Name { PigeonProvider parent_instance; };                                     \
  G_DEFINE_FINAL_TYPE (Name, name, PIGEON_TYPE_PROVIDER)                                  \
  static void name##_class_init (Name##Class *klass)                                      \
  {                                                                                       \
    PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);                  \
    provider_class->protocol = PROTOCOL;                                                  \
    provider_class->display_name = PROTOCOL;                                              \
    provider_class->description = "A provider made up for the tests.";                   \
    provider_class->default_port_tls = TLS;                                               \
    provider_class->default_port_plain = PLAIN;                                           \
    provider_class->caps = CAPS;                                                          \
    provider_class->config_names = NAMES;                                                 \
  }                                                                                       \
  static void name##_init (Name *self) { }

static const char * const eas_names[] = { "mobilesync", NULL };

DEFINE_TEST_PROVIDER (TestImap, test_imap, "imap",
                      PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS |
                      PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL,
                      test_ports.imap_tls, test_ports.imap_plain, NULL)
DEFINE_TEST_PROVIDER (TestPop3, test_pop3, "pop3", PIGEON_PROVIDER_CAP_RECEIVE,
                      test_ports.pop3_tls, test_ports.pop3_plain, NULL)
DEFINE_TEST_PROVIDER (TestSmtp, test_smtp, "smtp",
                      PIGEON_PROVIDER_CAP_SEND | PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS,
                      test_ports.smtp_tls, test_ports.smtp_plain, NULL)
DEFINE_TEST_PROVIDER (TestEas, test_eas, "eas",
                      PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS |
                      PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL | PIGEON_PROVIDER_CAP_SEND |
                      PIGEON_PROVIDER_CAP_CONTACTS | PIGEON_PROVIDER_CAP_URL_HOST,
                      443, 80, eas_names)

void
test_providers_register (const TestPorts *ports)
{
  if (ports != NULL)
    test_ports = *ports;
  pigeon_provider_register_type (test_imap_get_type (), "imap");
  pigeon_provider_register_type (test_pop3_get_type (), "pop3");
  pigeon_provider_register_type (test_smtp_get_type (), "smtp");
  pigeon_provider_register_type (test_eas_get_type (), "eas");
}

/* ------------------------------------------------------------------ resolver */

struct _TestResolver
{
  GResolver parent_instance;

  GMutex lock;
  GHashTable *hosts;      /* set of names */
  GHashTable *srv;        /* rrname -> GList of GSrvTarget */
  GHashTable *mx;         /* domain -> GList of GVariant (qs) */
  GPtrArray *queries;
};

G_DEFINE_FINAL_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static void
free_srv_list (gpointer data)
{
  g_list_free_full (data, (GDestroyNotify) g_srv_target_free);
}

static void
free_mx_list (gpointer data)
{
  g_list_free_full (data, (GDestroyNotify) g_variant_unref);
}

static void
note (TestResolver *self,
      const char   *kind,
      const char   *name)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->queries, g_strdup_printf ("%s %s", kind, name));
  g_mutex_unlock (&self->lock);
}

static GList *
resolve_name (TestResolver              *self,
              const char                *name,
              GResolverNameLookupFlags   flags,
              GError                   **error)
{
  gboolean known;

  note (self, "A", name);
  g_mutex_lock (&self->lock);
  known = g_hash_table_contains (self->hosts, name);
  g_mutex_unlock (&self->lock);
  if (!known || (flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY))
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "Test resolver: no host %s", name);
      return NULL;
    }
  return g_list_prepend (NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static GList *
lookup_by_name_with_flags (GResolver                 *resolver,
                           const char                *name,
                           GResolverNameLookupFlags   flags,
                           GCancellable              *cancellable,
                           GError                   **error)
{
  return resolve_name (TEST_RESOLVER (resolver), name, flags, error);
}

static GList *
lookup_by_name (GResolver     *resolver,
                const char    *name,
                GCancellable  *cancellable,
                GError       **error)
{
  return resolve_name (TEST_RESOLVER (resolver), name, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                       error);
}

static void
lookup_by_name_with_flags_async (GResolver                 *resolver,
                                 const char                *name,
                                 GResolverNameLookupFlags   flags,
                                 GCancellable              *cancellable,
                                 GAsyncReadyCallback        callback,
                                 gpointer                   user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = resolve_name (TEST_RESOLVER (resolver), name, flags, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
}

static void
lookup_by_name_async (GResolver           *resolver,
                      const char          *name,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  lookup_by_name_with_flags_async (resolver, name, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                   cancellable, callback, user_data);
}

static GList *
lookup_finish (GResolver     *resolver,
               GAsyncResult  *result,
               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GList *
copy_srv (GList *list)
{
  GList *out = NULL;

  for (GList *l = list; l; l = l->next)
    out = g_list_append (out, g_srv_target_copy (l->data));
  return out;
}

static GList *
copy_mx (GList *list)
{
  return g_list_copy_deep (list, (GCopyFunc) g_variant_ref, NULL);
}

static GList *
lookup_records (GResolver            *resolver,
                const char           *rrname,
                GResolverRecordType   type,
                GCancellable         *cancellable,
                GError              **error)
{
  TestResolver *self = TEST_RESOLVER (resolver);
  GList *out = NULL;

  note (self, type == G_RESOLVER_RECORD_MX ? "MX" : "record", rrname);
  g_mutex_lock (&self->lock);
  if (type == G_RESOLVER_RECORD_MX)
    out = copy_mx (g_hash_table_lookup (self->mx, rrname));
  g_mutex_unlock (&self->lock);

  if (out == NULL)
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                 "Test resolver: no record for %s", rrname);
  return out;
}

static void
lookup_records_async (GResolver            *resolver,
                      const char           *rrname,
                      GResolverRecordType   type,
                      GCancellable         *cancellable,
                      GAsyncReadyCallback   callback,
                      gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = lookup_records (resolver, rrname, type, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, free_mx_list);
}

static GList *
lookup_service (GResolver     *resolver,
                const char    *rrname,
                GCancellable  *cancellable,
                GError       **error)
{
  TestResolver *self = TEST_RESOLVER (resolver);
  GList *out;

  note (self, "SRV", rrname);
  g_mutex_lock (&self->lock);
  out = copy_srv (g_hash_table_lookup (self->srv, rrname));
  g_mutex_unlock (&self->lock);
  if (out == NULL)
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                 "Test resolver: no SRV record for %s", rrname);
  return out;
}

static void
lookup_service_async (GResolver           *resolver,
                      const char          *rrname,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = lookup_service (resolver, rrname, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, free_srv_list);
}

static void
test_resolver_finalize (GObject *object)
{
  TestResolver *self = TEST_RESOLVER (object);

  g_hash_table_unref (self->hosts);
  g_hash_table_unref (self->srv);
  g_hash_table_unref (self->mx);
  g_ptr_array_unref (self->queries);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_resolver_finalize;
  resolver_class->lookup_by_name = lookup_by_name;
  resolver_class->lookup_by_name_async = lookup_by_name_async;
  resolver_class->lookup_by_name_finish = lookup_finish;
  resolver_class->lookup_by_name_with_flags = lookup_by_name_with_flags;
  resolver_class->lookup_by_name_with_flags_async = lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = lookup_finish;
  resolver_class->lookup_service = lookup_service;
  resolver_class->lookup_service_async = lookup_service_async;
  resolver_class->lookup_service_finish = lookup_finish;
  resolver_class->lookup_records = lookup_records;
  resolver_class->lookup_records_async = lookup_records_async;
  resolver_class->lookup_records_finish = lookup_finish;
}

static void
test_resolver_init (TestResolver *self)
{
  g_mutex_init (&self->lock);
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->srv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_srv_list);
  self->mx = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_mx_list);
  self->queries = g_ptr_array_new_with_free_func (g_free);
}

TestResolver *
test_resolver_install (void)
{
  TestResolver *self = g_object_new (TEST_TYPE_RESOLVER, NULL);

  g_resolver_set_default (G_RESOLVER (self));
  return self;
}

void
test_resolver_reset (TestResolver *self)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->hosts);
  g_hash_table_remove_all (self->srv);
  g_hash_table_remove_all (self->mx);
  g_ptr_array_set_size (self->queries, 0);
  g_mutex_unlock (&self->lock);
}

void
test_resolver_add_host (TestResolver *self,
                        const char   *host)
{
  g_mutex_lock (&self->lock);
  g_hash_table_add (self->hosts, g_strdup (host));
  g_mutex_unlock (&self->lock);
}

void
test_resolver_add_srv (TestResolver *self,
                       const char   *rrname,
                       guint16       priority,
                       guint16       weight,
                       guint16       port,
                       const char   *target)
{
  GList *list;

  g_mutex_lock (&self->lock);
  list = g_hash_table_lookup (self->srv, rrname);
  list = g_list_append (copy_srv (list), g_srv_target_new (target, port, priority, weight));
  g_hash_table_replace (self->srv, g_strdup (rrname), list);
  g_mutex_unlock (&self->lock);
}

void
test_resolver_add_mx (TestResolver *self,
                      const char   *domain,
                      guint16       preference,
                      const char   *host)
{
  GList *list;

  g_mutex_lock (&self->lock);
  list = copy_mx (g_hash_table_lookup (self->mx, domain));
  list = g_list_append (list, g_variant_ref_sink (g_variant_new ("(qs)", preference, host)));
  g_hash_table_replace (self->mx, g_strdup (domain), list);
  g_mutex_unlock (&self->lock);
}

GPtrArray *
test_resolver_get_queries (TestResolver *self)
{
  return self->queries;
}

static gboolean
too_long_cb (gpointer user_data)
{
  g_error ("The test waited 30 s for an answer");
  return G_SOURCE_REMOVE;
}

void
test_wait_for (gboolean *done)
{
  guint timer = g_timeout_add_seconds (30, too_long_cb, NULL);

  while (!*done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
}
