/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-xml.h"
#include "pigeon-autodiscover.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"
#include "pigeon-provider.h"

#define MAX_SERVERS 32
#define MAX_FIELD   2048

#define NS_REQUEST_MOBILESYNC \
  "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#define NS_RESPONSE_MOBILESYNC \
  "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
#define NS_REQUEST_OUTLOOK \
  "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define NS_RESPONSE_OUTLOOK \
  "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

GBytes *
pigeon_autodiscover_build_request (const char               *email,
                                   PigeonAutodiscoverSchema  schema)
{
  gboolean mobilesync = schema == PIGEON_AUTODISCOVER_REQUEST_MOBILESYNC;
  g_autofree char *escaped = NULL;
  char *body;

  g_return_val_if_fail (email != NULL, NULL);

  escaped = g_markup_escape_text (email, -1);
  body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
                          "<Autodiscover xmlns=\"%s\">\r\n"
                          "  <Request>\r\n"
                          "    <EMailAddress>%s</EMailAddress>\r\n"
                          "    <AcceptableResponseSchema>%s</AcceptableResponseSchema>\r\n"
                          "  </Request>\r\n"
                          "</Autodiscover>\r\n",
                          mobilesync ? NS_REQUEST_MOBILESYNC : NS_REQUEST_OUTLOOK, escaped,
                          mobilesync ? NS_RESPONSE_MOBILESYNC : NS_RESPONSE_OUTLOOK);
  return g_bytes_new_take (body, strlen (body));
}

void
pigeon_autodiscover_reply_free (PigeonAutodiscoverReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->redirect);
  g_clear_pointer (&reply->result, pigeon_autoconfig_result_free);
  g_free (reply);
}

static gboolean
is_web_address (const char *url)
{
  return (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://")) &&
         g_uri_is_valid (url, G_URI_FLAGS_NONE, NULL);
}

static gboolean
set_server_error (xmlNode  *error_node,
                  GError  **error)
{
  g_autofree char *message = pigeon_autoconfig_xml_child_text (error_node, "Message", 500);
  g_autofree char *code = pigeon_autoconfig_xml_child_text (error_node, "ErrorCode", 16);

  if (code == NULL)
    code = pigeon_autoconfig_xml_child_text (error_node, "Status", 16);
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
               _("The Autodiscover service has no settings for this address (%s%s%s)."),
               message ? message : _("no reason given"), code ? ", " : "", code ? code : "");
  return FALSE;
}

static void
add_server (PigeonAutoconfigResult *result,
            PigeonAutoconfigServer *server)
{
  PigeonProviderClass *klass = pigeon_provider_class_lookup (server->protocol);

  if ((klass->caps & PIGEON_PROVIDER_CAP_RECEIVE) && result->incoming->len < MAX_SERVERS)
    g_ptr_array_add (result->incoming, server);
  else if ((klass->caps & PIGEON_PROVIDER_CAP_SEND) &&
           (klass->caps & PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS) &&
           result->outgoing->len < MAX_SERVERS)
    g_ptr_array_add (result->outgoing, server);
  else
    pigeon_autoconfig_server_free (server);
}

/* <Action><Settings><Server><Type>MobileSync</Type><Url>…</Url></Server>… */
static void
parse_mobilesync_settings (xmlNode                *settings,
                           PigeonAutoconfigResult *result)
{
  for (xmlNode *node = settings->children; node; node = node->next)
    {
      g_autofree char *type = NULL;
      g_autofree char *lower = NULL;
      g_autofree char *url = NULL;
      PigeonProviderClass *klass;
      PigeonAutoconfigServer *server;

      if (!pigeon_autoconfig_xml_is (node, "Server"))
        continue;
      type = pigeon_autoconfig_xml_child_text (node, "Type", 64);
      url = pigeon_autoconfig_xml_child_text (node, "Url", MAX_FIELD);
      if (type == NULL || url == NULL || !is_web_address (url))
        continue;
      lower = g_ascii_strdown (type, -1);
      klass = pigeon_provider_class_lookup_config_name (lower);
      if (klass == NULL || !(klass->caps & PIGEON_PROVIDER_CAP_URL_HOST))
        continue;
      server = pigeon_autoconfig_server_new (klass->protocol, url, 0,
                                             g_str_has_prefix (url, "https:")
                                               ? PIGEON_SECURITY_TLS : PIGEON_SECURITY_NONE,
                                             PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER);
      add_server (result, server);
    }
}

static gboolean
is_on (const char *value)
{
  return value != NULL && g_ascii_strcasecmp (value, "on") == 0;
}

static PigeonSecurity
outlook_security (xmlNode             *protocol,
                  PigeonProviderClass *klass,
                  guint                port)
{
  g_autofree char *encryption = pigeon_autoconfig_xml_child_text (protocol, "Encryption", 16);
  g_autofree char *ssl = pigeon_autoconfig_xml_child_text (protocol, "SSL", 8);
  gboolean implicit = port == 0 || port == klass->default_port_tls;

  if (encryption != NULL)
    {
      if (g_ascii_strcasecmp (encryption, "SSL") == 0)
        return PIGEON_SECURITY_TLS;
      if (g_ascii_strcasecmp (encryption, "TLS") == 0)
        return PIGEON_SECURITY_STARTTLS;
      if (g_ascii_strcasecmp (encryption, "None") == 0)
        return PIGEON_SECURITY_NONE;
    }
  /* SSL "on" (the default) says encrypted, not how: the port tells. */
  if (ssl != NULL && !is_on (ssl))
    return PIGEON_SECURITY_NONE;
  return implicit ? PIGEON_SECURITY_TLS : PIGEON_SECURITY_STARTTLS;
}

/* <Account><Protocol><Type>IMAP</Type><Server>…</Server><Port>993</Port>… */
static void
parse_outlook_protocol (xmlNode                *protocol,
                        const char             *email,
                        PigeonAutoconfigResult *result)
{
  g_autofree char *type = pigeon_autoconfig_xml_child_text (protocol, "Type", 64);
  g_autofree char *host = pigeon_autoconfig_xml_child_text (protocol, "Server", 253);
  g_autofree char *port_text = pigeon_autoconfig_xml_child_text (protocol, "Port", 16);
  g_autofree char *login = pigeon_autoconfig_xml_child_text (protocol, "LoginName", 512);
  g_autofree char *spa = pigeon_autoconfig_xml_child_text (protocol, "SPA", 8);
  g_autofree char *lower = NULL;
  PigeonProviderClass *klass;
  PigeonAutoconfigServer *server;
  guint64 port = 0;

  if (type == NULL || host == NULL || strpbrk (host, " /\\@") != NULL)
    return;
  lower = g_ascii_strdown (type, -1);
  klass = pigeon_provider_class_lookup_config_name (lower);
  if (klass == NULL || (klass->caps & PIGEON_PROVIDER_CAP_URL_HOST))
    return;
  if (port_text != NULL && !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    return;

  server = pigeon_autoconfig_server_new (klass->protocol, host, (guint16) port,
                                         outlook_security (protocol, klass, (guint) port),
                                         PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER);
  /* Secure Password Authentication is NTLM. */
  server->auth = is_on (spa) ? PIGEON_AUTOCONFIG_AUTH_OTHER : PIGEON_AUTOCONFIG_AUTH_PASSWORD;
  if (login != NULL && g_ascii_strcasecmp (login, email) != 0)
    server->user = g_steal_pointer (&login);
  add_server (result, server);
}

static PigeonAutodiscoverReply *
parse_outlook_account (xmlNode     *account,
                       const char  *email,
                       GError     **error)
{
  g_autoptr(PigeonAutodiscoverReply) reply = g_new0 (PigeonAutodiscoverReply, 1);
  g_autofree char *action = pigeon_autoconfig_xml_child_text (account, "Action", 32);

  if (action != NULL && g_ascii_strcasecmp (action, "redirectAddr") == 0)
    {
      reply->action = PIGEON_AUTODISCOVER_REDIRECT_ADDRESS;
      reply->redirect = pigeon_autoconfig_xml_child_text (account, "RedirectAddr", 320);
    }
  else if (action != NULL && g_ascii_strcasecmp (action, "redirectUrl") == 0)
    {
      reply->action = PIGEON_AUTODISCOVER_REDIRECT_URL;
      reply->redirect = pigeon_autoconfig_xml_child_text (account, "RedirectUrl", MAX_FIELD);
    }
  else
    {
      reply->action = PIGEON_AUTODISCOVER_SETTINGS;
      reply->result = pigeon_autoconfig_result_new ();
      for (xmlNode *node = account->children; node; node = node->next)
        if (pigeon_autoconfig_xml_is (node, "Protocol"))
          parse_outlook_protocol (node, email, reply->result);
      return g_steal_pointer (&reply);
    }
  if (reply->redirect == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The Autodiscover service redirected without saying where to."));
      return NULL;
    }
  return g_steal_pointer (&reply);
}

static PigeonAutodiscoverReply *
parse_mobilesync_action (xmlNode  *action,
                         GError  **error)
{
  g_autoptr(PigeonAutodiscoverReply) reply = g_new0 (PigeonAutodiscoverReply, 1);
  xmlNode *node;

  if ((node = pigeon_autoconfig_xml_child (action, "Error")) != NULL)
    {
      set_server_error (node, error);
      return NULL;
    }
  if ((node = pigeon_autoconfig_xml_child (action, "Redirect")) != NULL)
    {
      reply->action = PIGEON_AUTODISCOVER_REDIRECT_ADDRESS;
      reply->redirect = pigeon_autoconfig_xml_text (node, 320);
      if (reply->redirect == NULL)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                       _("The Autodiscover service redirected without saying where to."));
          return NULL;
        }
      return g_steal_pointer (&reply);
    }
  reply->action = PIGEON_AUTODISCOVER_SETTINGS;
  reply->result = pigeon_autoconfig_result_new ();
  if ((node = pigeon_autoconfig_xml_child (action, "Settings")) != NULL)
    parse_mobilesync_settings (node, reply->result);
  return g_steal_pointer (&reply);
}

PigeonAutodiscoverReply *
pigeon_autodiscover_parse (GBytes      *document,
                           const char  *email,
                           GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  PigeonAutodiscoverReply *reply = NULL;
  xmlNode *root, *response, *node;

  g_return_val_if_fail (document != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  doc = pigeon_autoconfig_xml_read (document, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  response = pigeon_autoconfig_xml_child (root, "Response");
  if (!pigeon_autoconfig_xml_is (root, "Autodiscover") || response == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The answer is not an Autodiscover response."));
      return NULL;
    }

  if ((node = pigeon_autoconfig_xml_child (response, "Error")) != NULL)
    set_server_error (node, error);
  else if ((node = pigeon_autoconfig_xml_child (response, "Action")) != NULL)
    reply = parse_mobilesync_action (node, error);
  else if ((node = pigeon_autoconfig_xml_child (response, "Account")) != NULL)
    reply = parse_outlook_account (node, email, error);
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                 _("The Autodiscover response holds neither settings nor a redirect."));

  if (reply != NULL && reply->action == PIGEON_AUTODISCOVER_REDIRECT_ADDRESS &&
      !pigeon_autoconfig_split_address (reply->redirect, NULL, NULL))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The Autodiscover service redirected to “%s”, which is not an address."),
                   reply->redirect);
      g_clear_pointer (&reply, pigeon_autodiscover_reply_free);
    }
  if (reply != NULL && reply->action == PIGEON_AUTODISCOVER_REDIRECT_URL &&
      !g_str_has_prefix (reply->redirect, "https://"))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The Autodiscover service redirected to “%s”, which is not an encrypted "
                     "web address."), reply->redirect);
      g_clear_pointer (&reply, pigeon_autodiscover_reply_free);
    }
  return reply;
}
