/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include "pigeon-autoconfig-types.h"
#include "pigeon-provider.h"

G_DEFINE_BOXED_TYPE (PigeonAutoconfigServer, pigeon_autoconfig_server,
                     pigeon_autoconfig_server_copy, pigeon_autoconfig_server_free)
G_DEFINE_BOXED_TYPE (PigeonAutoconfigResult, pigeon_autoconfig_result,
                     pigeon_autoconfig_result_copy, pigeon_autoconfig_result_free)

PigeonAutoconfigServer *
pigeon_autoconfig_server_new (const char             *protocol,
                              const char             *host,
                              guint16                 port,
                              PigeonSecurity          security,
                              PigeonAutoconfigSource  source)
{
  PigeonAutoconfigServer *server = g_new0 (PigeonAutoconfigServer, 1);

  server->protocol = g_strdup (protocol);
  server->host = g_strdup (host);
  server->port = port;
  server->security = security;
  server->auth = PIGEON_AUTOCONFIG_AUTH_PASSWORD;
  server->source = source;
  return server;
}

PigeonAutoconfigServer *
pigeon_autoconfig_server_copy (const PigeonAutoconfigServer *server)
{
  PigeonAutoconfigServer *copy;

  g_return_val_if_fail (server != NULL, NULL);

  copy = pigeon_autoconfig_server_new (server->protocol, server->host, server->port,
                                       server->security, server->source);
  copy->user = g_strdup (server->user);
  copy->auth = server->auth;
  return copy;
}

void
pigeon_autoconfig_server_free (PigeonAutoconfigServer *server)
{
  if (server == NULL)
    return;
  g_free (server->protocol);
  g_free (server->host);
  g_free (server->user);
  g_free (server);
}

gboolean
pigeon_autoconfig_server_is_usable (const PigeonAutoconfigServer *server)
{
  g_return_val_if_fail (server != NULL, FALSE);

  return server->security != PIGEON_SECURITY_NONE &&
         (server->auth & PIGEON_AUTOCONFIG_AUTH_PASSWORD) != 0;
}

gboolean
pigeon_autoconfig_server_equal (const PigeonAutoconfigServer *a,
                                const PigeonAutoconfigServer *b)
{
  return g_strcmp0 (a->protocol, b->protocol) == 0 &&
         g_ascii_strcasecmp (a->host, b->host) == 0 &&
         a->port == b->port &&
         a->security == b->security;
}

/* ------------------------------------------------------------------ result */

static GPtrArray *
new_server_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_autoconfig_server_free);
}

PigeonAutoconfigResult *
pigeon_autoconfig_result_new (void)
{
  PigeonAutoconfigResult *result = g_new0 (PigeonAutoconfigResult, 1);

  result->incoming = new_server_array ();
  result->outgoing = new_server_array ();
  return result;
}

static void
append_copies (GPtrArray       *to,
               const GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    {
      const PigeonAutoconfigServer *server = g_ptr_array_index (from, i);
      gboolean known = FALSE;

      for (guint j = 0; j < to->len && !known; j++)
        known = pigeon_autoconfig_server_equal (g_ptr_array_index (to, j), server);
      if (!known)
        g_ptr_array_add (to, pigeon_autoconfig_server_copy (server));
    }
}

PigeonAutoconfigResult *
pigeon_autoconfig_result_copy (const PigeonAutoconfigResult *result)
{
  PigeonAutoconfigResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = pigeon_autoconfig_result_new ();
  pigeon_autoconfig_result_merge (copy, result);
  return copy;
}

void
pigeon_autoconfig_result_free (PigeonAutoconfigResult *result)
{
  if (result == NULL)
    return;
  g_free (result->display_name);
  g_ptr_array_unref (result->incoming);
  g_ptr_array_unref (result->outgoing);
  g_free (result->instruction);
  g_free (result->instruction_url);
  g_free (result->documentation_url);
  g_free (result);
}

static void
take_if_unset (char       **field,
               const char  *value)
{
  if (*field == NULL && value != NULL)
    *field = g_strdup (value);
}

void
pigeon_autoconfig_result_merge (PigeonAutoconfigResult       *result,
                                const PigeonAutoconfigResult *other)
{
  g_return_if_fail (result != NULL);
  g_return_if_fail (other != NULL);

  append_copies (result->incoming, other->incoming);
  append_copies (result->outgoing, other->outgoing);
  take_if_unset (&result->display_name, other->display_name);
  if (result->instruction == NULL && result->instruction_url == NULL)
    {
      take_if_unset (&result->instruction, other->instruction);
      take_if_unset (&result->instruction_url, other->instruction_url);
    }
  take_if_unset (&result->documentation_url, other->documentation_url);
}

static int
security_rank (PigeonSecurity security)
{
  switch (security)
    {
    case PIGEON_SECURITY_TLS:
      return 0;
    case PIGEON_SECURITY_STARTTLS:
      return 1;
    case PIGEON_SECURITY_NONE:
    default:
      return 2;
    }
}

static int
compare_servers (gconstpointer pa,
                 gconstpointer pb)
{
  const PigeonAutoconfigServer *a = *(const PigeonAutoconfigServer * const *) pa;
  const PigeonAutoconfigServer *b = *(const PigeonAutoconfigServer * const *) pb;

  if (a->source != b->source)
    return a->source < b->source ? -1 : 1;
  return security_rank (a->security) - security_rank (b->security);
}

void
pigeon_autoconfig_result_sort (PigeonAutoconfigResult *result)
{
  g_return_if_fail (result != NULL);

  /* A stable sort: the order within a source and security is the source's preference. */
  g_ptr_array_sort (result->incoming, compare_servers);
  g_ptr_array_sort (result->outgoing, compare_servers);
}

gboolean
pigeon_autoconfig_result_is_empty (const PigeonAutoconfigResult *result)
{
  g_return_val_if_fail (result != NULL, TRUE);
  return result->incoming->len == 0;
}

char **
pigeon_autoconfig_result_list_protocols (const PigeonAutoconfigResult *result)
{
  g_autoptr(GPtrArray) protocols = g_ptr_array_new ();

  g_return_val_if_fail (result != NULL, NULL);

  for (guint i = 0; i < result->incoming->len; i++)
    {
      const PigeonAutoconfigServer *server = g_ptr_array_index (result->incoming, i);

      if (!pigeon_autoconfig_server_is_usable (server))
        continue;
      if (!g_ptr_array_find_with_equal_func (protocols, server->protocol, g_str_equal, NULL))
        g_ptr_array_add (protocols, g_strdup (server->protocol));
    }
  g_ptr_array_add (protocols, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&protocols), FALSE);
}

const PigeonAutoconfigServer *
pigeon_autoconfig_result_get_incoming (const PigeonAutoconfigResult *result,
                                       const char                   *protocol)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (protocol != NULL, NULL);

  for (guint i = 0; i < result->incoming->len; i++)
    {
      const PigeonAutoconfigServer *server = g_ptr_array_index (result->incoming, i);

      if (g_strcmp0 (server->protocol, protocol) == 0 &&
          pigeon_autoconfig_server_is_usable (server))
        return server;
    }
  return NULL;
}

const PigeonAutoconfigServer *
pigeon_autoconfig_result_get_outgoing (const PigeonAutoconfigResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  for (guint i = 0; i < result->outgoing->len; i++)
    {
      const PigeonAutoconfigServer *server = g_ptr_array_index (result->outgoing, i);

      if (pigeon_autoconfig_server_is_usable (server))
        return server;
    }
  return NULL;
}

gboolean
pigeon_autoconfig_result_needs_oauth2 (const PigeonAutoconfigResult *result)
{
  gboolean oauth2 = FALSE;

  g_return_val_if_fail (result != NULL, FALSE);

  for (guint i = 0; i < result->incoming->len; i++)
    {
      const PigeonAutoconfigServer *server = g_ptr_array_index (result->incoming, i);

      if (pigeon_autoconfig_server_is_usable (server))
        return FALSE;
      if (server->auth & PIGEON_AUTOCONFIG_AUTH_OAUTH2)
        oauth2 = TRUE;
    }
  return oauth2;
}

void
pigeon_autoconfig_result_apply (const PigeonAutoconfigResult *result,
                                const PigeonAutoconfigServer *incoming,
                                PigeonAccount                *account)
{
  PigeonProviderClass *klass;
  const PigeonAutoconfigServer *outgoing = NULL;

  g_return_if_fail (result != NULL);
  g_return_if_fail (incoming != NULL);
  g_return_if_fail (PIGEON_IS_ACCOUNT (account));

  klass = pigeon_provider_class_lookup (incoming->protocol);
  if (klass != NULL && (klass->caps & PIGEON_PROVIDER_CAP_SEND) == 0)
    outgoing = pigeon_autoconfig_result_get_outgoing (result);

  g_object_set (account,
                "protocol", incoming->protocol,
                "host", incoming->host,
                "port", (guint) incoming->port,
                "security", incoming->security,
                "user", incoming->user,
                NULL);
  if (outgoing != NULL)
    g_object_set (account,
                  "smtp-host", outgoing->host,
                  "smtp-port", (guint) outgoing->port,
                  "smtp-security", outgoing->security,
                  "smtp-user", outgoing->user,
                  NULL);
}
