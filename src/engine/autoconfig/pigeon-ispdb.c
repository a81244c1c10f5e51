/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-xml.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"
#include "pigeon-provider.h"

/* Bounds on what a document may ask of us. */
#define MAX_SERVERS 32
#define MAX_DOMAINS 1000
#define MAX_FIELD   1024

gboolean
pigeon_autoconfig_split_address (const char  *email,
                                 char       **local_part,
                                 char       **domain)
{
  const char *at;

  if (email == NULL)
    return FALSE;
  at = strrchr (email, '@');
  if (at == NULL || at == email || at[1] == '\0' || strchr (at + 1, '.') == NULL ||
      strpbrk (email, " \t\r\n/\\") != NULL)
    return FALSE;
  if (local_part != NULL)
    *local_part = g_strndup (email, at - email);
  if (domain != NULL)
    *domain = g_ascii_strdown (at + 1, -1);
  return TRUE;
}

static char *
substitute (const char *template,
            const char *email)
{
  g_autofree char *local = NULL;
  g_autofree char *domain = NULL;
  g_autoptr(GString) out = g_string_new (template);

  if (!pigeon_autoconfig_split_address (email, &local, &domain))
    return g_string_free (g_steal_pointer (&out), FALSE);
  g_string_replace (out, "%EMAILADDRESS%", email, 0);
  g_string_replace (out, "%EMAILLOCALPART%", local, 0);
  g_string_replace (out, "%EMAILDOMAIN%", domain, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
valid_host (const char          *host,
            PigeonProviderClass *klass)
{
  gsize length = strlen (host);

  if (length == 0 || length > 253)
    return FALSE;
  if ((klass->caps & PIGEON_PROVIDER_CAP_URL_HOST) &&
      (g_str_has_prefix (host, "https://") || g_str_has_prefix (host, "http://")))
    return g_uri_is_valid (host, G_URI_FLAGS_NONE, NULL);
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
parse_socket_type (const char     *value,
                   PigeonSecurity *security)
{
  if (value == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (value, "SSL") == 0 || g_ascii_strcasecmp (value, "TLS") == 0)
    *security = PIGEON_SECURITY_TLS;
  else if (g_ascii_strcasecmp (value, "STARTTLS") == 0)
    *security = PIGEON_SECURITY_STARTTLS;
  else if (g_ascii_strcasecmp (value, "plain") == 0)
    *security = PIGEON_SECURITY_NONE;
  else
    return FALSE;
  return TRUE;
}

static PigeonAutoconfigAuth
parse_authentication (xmlNode *server)
{
  PigeonAutoconfigAuth auth = PIGEON_AUTOCONFIG_AUTH_NONE;
  gboolean listed = FALSE;

  for (xmlNode *child = server->children; child; child = child->next)
    {
      g_autofree char *value = NULL;

      if (!pigeon_autoconfig_xml_is (child, "authentication"))
        continue;
      listed = TRUE;
      value = pigeon_autoconfig_xml_text (child, 64);
      if (value == NULL)
        continue;
      /* "plain" and "secure" are the format's old names for the first two. */
      if (g_ascii_strcasecmp (value, "password-cleartext") == 0 ||
          g_ascii_strcasecmp (value, "password-encrypted") == 0 ||
          g_ascii_strcasecmp (value, "plain") == 0 ||
          g_ascii_strcasecmp (value, "secure") == 0)
        auth |= PIGEON_AUTOCONFIG_AUTH_PASSWORD;
      else if (g_ascii_strcasecmp (value, "OAuth2") == 0)
        auth |= PIGEON_AUTOCONFIG_AUTH_OAUTH2;
      else
        auth |= PIGEON_AUTOCONFIG_AUTH_OTHER;
    }
  /* A server that says nothing about it takes a password. */
  return listed ? auth : PIGEON_AUTOCONFIG_AUTH_PASSWORD;
}

static PigeonAutoconfigServer *
parse_server (xmlNode                *node,
              const char             *email,
              PigeonAutoconfigSource  source)
{
  g_autofree char *type = pigeon_autoconfig_xml_attribute (node, "type");
  g_autofree char *hostname = pigeon_autoconfig_xml_child_text (node, "hostname", MAX_FIELD);
  g_autofree char *port_text = pigeon_autoconfig_xml_child_text (node, "port", 16);
  g_autofree char *socket_type = pigeon_autoconfig_xml_child_text (node, "socketType", 32);
  g_autofree char *username = pigeon_autoconfig_xml_child_text (node, "username", MAX_FIELD);
  g_autofree char *host = NULL;
  PigeonProviderClass *klass;
  PigeonAutoconfigServer *server;
  PigeonSecurity security;
  guint64 port = 0;

  if (type == NULL || hostname == NULL)
    return NULL;
  klass = pigeon_provider_class_lookup_config_name (type);
  if (klass == NULL)
    {
      g_debug ("No provider for servers of type “%s”", type);
      return NULL;
    }
  host = substitute (hostname, email);
  if (!valid_host (host, klass))
    {
      g_debug ("Skipping a server with the host name “%s”", host);
      return NULL;
    }
  if (port_text != NULL && !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_debug ("Skipping %s: “%s” is not a port", host, port_text);
      return NULL;
    }
  if (!parse_socket_type (socket_type ? socket_type : "plain", &security))
    {
      g_debug ("Skipping %s: unknown socket type “%s”", host, socket_type);
      return NULL;
    }

  server = pigeon_autoconfig_server_new (klass->protocol, host, (guint16) port, security, source);
  server->auth = parse_authentication (node);
  if (username != NULL)
    {
      server->user = substitute (username, email);
      if (g_ascii_strcasecmp (server->user, email) == 0)
        g_clear_pointer (&server->user, g_free);
    }
  return server;
}

static int
language_rank (const char *lang)
{
  const char * const *names = g_get_language_names ();
  g_autofree char *want = NULL;

  /* No lang attribute is English, the format's default. */
  want = g_strdelimit (g_strdup (lang ? lang : "en"), "-", '_');
  for (int i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (names[i], want) == 0)
      return i;
  return lang == NULL ? 1000 : 2000;
}

static void
parse_enable (xmlNode                *node,
              PigeonAutoconfigResult *result)
{
  int best = G_MAXINT;

  result->instruction_url = pigeon_autoconfig_xml_attribute (node, "visiturl");
  if (result->instruction_url != NULL &&
      !g_str_has_prefix (result->instruction_url, "https://") &&
      !g_str_has_prefix (result->instruction_url, "http://"))
    g_clear_pointer (&result->instruction_url, g_free);

  for (xmlNode *child = node->children; child; child = child->next)
    {
      g_autofree char *lang = NULL;
      g_autofree char *text = NULL;
      int rank;

      if (!pigeon_autoconfig_xml_is (child, "instruction"))
        continue;
      lang = pigeon_autoconfig_xml_attribute (child, "lang");
      text = pigeon_autoconfig_xml_text (child, MAX_FIELD);
      rank = language_rank (lang);
      if (text != NULL && rank < best)
        {
          best = rank;
          g_free (result->instruction);
          result->instruction = g_steal_pointer (&text);
        }
    }
}

static xmlNode *
find_provider (xmlDoc  *doc,
               GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *provider;

  if (!pigeon_autoconfig_xml_is (root, "clientConfig"))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The document is not a mail settings file (it starts with <%s>, not "
                     "<clientConfig>)."), (const char *) root->name);
      return NULL;
    }
  provider = pigeon_autoconfig_xml_child (root, "emailProvider");
  if (provider == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The mail settings file names no e-mail provider."));
      return NULL;
    }
  return provider;
}

PigeonAutoconfigResult *
pigeon_ispdb_parse (GBytes                  *document,
                    const char              *email,
                    PigeonAutoconfigSource   source,
                    GError                 **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;
  xmlNode *provider;
  guint servers = 0;

  g_return_val_if_fail (document != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  doc = pigeon_autoconfig_xml_read (document, error);
  if (doc == NULL)
    return NULL;
  provider = find_provider (doc, error);
  if (provider == NULL)
    return NULL;

  result = pigeon_autoconfig_result_new ();
  result->display_name = pigeon_autoconfig_xml_child_text (provider, "displayName", 200);
  if (result->display_name == NULL)
    result->display_name = pigeon_autoconfig_xml_child_text (provider, "displayShortName", 200);

  for (xmlNode *child = provider->children; child; child = child->next)
    {
      gboolean incoming = pigeon_autoconfig_xml_is (child, "incomingServer");
      PigeonAutoconfigServer *server;

      if (pigeon_autoconfig_xml_is (child, "documentation") && result->documentation_url == NULL)
        {
          result->documentation_url = pigeon_autoconfig_xml_attribute (child, "url");
          continue;
        }
      if (pigeon_autoconfig_xml_is (child, "enable"))
        {
          parse_enable (child, result);
          continue;
        }
      if (!incoming && !pigeon_autoconfig_xml_is (child, "outgoingServer"))
        continue;
      if (incoming)
        servers++;
      if (servers > MAX_SERVERS || result->outgoing->len >= MAX_SERVERS)
        continue;
      server = parse_server (child, email, source);
      if (server != NULL)
        g_ptr_array_add (incoming ? result->incoming : result->outgoing, server);
    }
  /* <enable> sits beside <emailProvider> in many files. */
  for (xmlNode *child = provider->parent->children; child; child = child->next)
    if (pigeon_autoconfig_xml_is (child, "enable") && result->instruction == NULL)
      parse_enable (child, result);

  if (servers == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The mail settings file lists no incoming server."));
      return NULL;
    }
  return g_steal_pointer (&result);
}

char **
pigeon_ispdb_parse_domains (GBytes  *document,
                            GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func (g_free);
  xmlNode *provider;

  doc = pigeon_autoconfig_xml_read (document, error);
  if (doc == NULL)
    return NULL;
  provider = find_provider (doc, error);
  if (provider == NULL)
    return NULL;

  for (xmlNode *child = provider->children; child != NULL; child = child->next)
    {
      g_autofree char *domain = NULL;

      if (domains->len >= MAX_DOMAINS)
        break;
      if (!pigeon_autoconfig_xml_is (child, "domain"))
        continue;
      domain = pigeon_autoconfig_xml_text (child, 253);
      if (domain != NULL)
        g_ptr_array_add (domains, g_ascii_strdown (domain, -1));
    }
  g_ptr_array_add (domains, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&domains), FALSE);
}
