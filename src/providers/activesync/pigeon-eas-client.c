/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pigeon-eas-client.h"
#include "pigeon-eas-wbxml.h"
#include "pigeon-eas-xml.h"
#include "pigeon-error.h"

#define WBXML_CONTENT_TYPE     "application/vnd.ms-sync.wbxml"
#define DEVICE_TYPE            "Pigeon"
#define DEFAULT_TIMEOUT        120   /* seconds without an answer before giving up */
#define MAX_RETRY_AFTER        60    /* a longer Retry-After fails the call instead */
#define MAX_ATTEMPTS           4
#define TRACE_CONTENT          256   /* bytes of each value shown in the debug trace */

static const char * const known_versions[] = { "16.1", "16.0", "14.1", "14.0", "12.1" };

struct _PigeonEasClient
{
  GObject      parent_instance;

  char        *url;
  char        *host;
  char        *user;
  char        *password;
  char        *device_id;
  char        *pinned;
  char        *version;
  char        *policy_key;
  GStrv        commands;

  SoupSession *session;
  SoupSession *poll_session;   /* long polls get their own read timeout */
  guint        poll_timeout;

  char        *peer_fingerprint;   /* of the last certificate that did not verify */
  GTlsCertificateFlags peer_errors;
  gboolean     provisioning;
};

G_DEFINE_FINAL_TYPE (PigeonEasClient, pigeon_eas_client, G_TYPE_OBJECT)

enum { PROP_0, PROP_POLICY_KEY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
pigeon_eas_client_finalize (GObject *object)
{
  PigeonEasClient *self = PIGEON_EAS_CLIENT (object);

  g_free (self->url);
  g_free (self->host);
  g_free (self->user);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->device_id);
  g_free (self->pinned);
  g_free (self->version);
  g_free (self->policy_key);
  g_strfreev (self->commands);
  g_clear_object (&self->session);
  g_clear_object (&self->poll_session);
  g_free (self->peer_fingerprint);

  G_OBJECT_CLASS (pigeon_eas_client_parent_class)->finalize (object);
}

static void
pigeon_eas_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PigeonEasClient *self = PIGEON_EAS_CLIENT (object);

  switch (prop_id)
    {
    case PROP_POLICY_KEY:
      g_value_set_string (value, self->policy_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_eas_client_class_init (PigeonEasClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pigeon_eas_client_finalize;
  object_class->get_property = pigeon_eas_client_get_property;

  properties[PROP_POLICY_KEY] =
    g_param_spec_string ("policy-key", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pigeon_eas_client_init (PigeonEasClient *self)
{
}

static SoupSession *
new_session (guint timeout)
{
  SoupSession *session = soup_session_new_with_options ("timeout", timeout,
                                                        "idle-timeout", 60,
                                                        "user-agent", "Pigeon/" PACKAGE_VERSION,
                                                        NULL);

  /* Basic credentials go out with every request; libsoup must not answer 401s itself. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_AUTH_MANAGER);
  return session;
}

static void
set_url (PigeonEasClient *self,
         char            *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_free (self->url);
  self->url = url;
  g_free (self->host);
  self->host = g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url);
}

static const char *
url_host (PigeonEasClient *self)
{
  return self->host;
}

PigeonEasClient *
pigeon_eas_client_new (const char *url,
                       const char *user,
                       const char *password,
                       const char *device_id,
                       const char *pinned_fingerprint)
{
  PigeonEasClient *self;

  g_return_val_if_fail (url != NULL && user != NULL && device_id != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_EAS_CLIENT, NULL);
  set_url (self, g_strdup (url));
  self->user = g_strdup (user);
  self->password = g_strdup (password ? password : "");
  self->device_id = g_strdup (device_id);
  self->pinned = g_strdup (pinned_fingerprint);
  self->session = new_session (DEFAULT_TIMEOUT);
  return self;
}

char *
pigeon_eas_client_build_url (const char *host_or_url,
                             gboolean    use_tls,
                             guint       port)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  const char *scheme;

  if (host_or_url == NULL || *host_or_url == '\0')
    return NULL;

  if (strstr (host_or_url, "://") == NULL)
    {
      if (strpbrk (host_or_url, "/?# ") != NULL)
        return NULL;
      return g_strdup_printf ("%s://%s%s%.0u/Microsoft-Server-ActiveSync",
                              use_tls ? "https" : "http", host_or_url,
                              port != 0 ? ":" : "", port);
    }

  uri = g_uri_parse (host_or_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    return NULL;

  /* The endpoint's last segment is always Microsoft-Server-ActiveSync; a base such as
   * https://host/SOGo gets it appended. */
  path = g_strdup (g_uri_get_path (uri));
  while (g_str_has_suffix (path, "/"))
    path[strlen (path) - 1] = '\0';
  if (!g_str_has_suffix (path, "/Microsoft-Server-ActiveSync"))
    {
      char *longer = g_strconcat (path, "/Microsoft-Server-ActiveSync", NULL);

      g_free (path);
      path = longer;
    }
  return g_uri_join (G_URI_FLAGS_NONE, scheme, g_uri_get_userinfo (uri), g_uri_get_host (uri),
                     g_uri_get_port (uri), path, NULL, NULL);
}

const char *
pigeon_eas_client_get_url (PigeonEasClient *self)
{
  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), NULL);
  return self->url;
}

const char *
pigeon_eas_client_get_version (PigeonEasClient *self)
{
  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), NULL);
  return self->version;
}

const char *
pigeon_eas_client_get_policy_key (PigeonEasClient *self)
{
  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), NULL);
  return self->policy_key;
}

void
pigeon_eas_client_set_policy_key (PigeonEasClient *self,
                                  const char      *policy_key)
{
  g_return_if_fail (PIGEON_IS_EAS_CLIENT (self));

  if (g_strcmp0 (self->policy_key, policy_key) == 0)
    return;
  g_free (self->policy_key);
  self->policy_key = g_strdup (policy_key);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POLICY_KEY]);
}

gboolean
pigeon_eas_client_supports (PigeonEasClient *self,
                            const char      *command)
{
  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), FALSE);
  return self->commands != NULL && g_strv_contains ((const char * const *) self->commands, command);
}

/* ------------------------------------------------------------------ TLS */

static char *
fingerprint_of (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static char *
format_fingerprint (const char *hex)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2)
    g_string_append_printf (out, "%s%c%c", i ? ":" : "", g_ascii_toupper (hex[i]),
                            g_ascii_toupper (hex[i + 1]));
  return g_string_free (out, FALSE);
}

static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  PigeonEasClient *self = user_data;
  g_autofree char *fingerprint = fingerprint_of (certificate);

  g_free (self->peer_fingerprint);
  self->peer_fingerprint = g_strdup (fingerprint);
  self->peer_errors = errors;
  return fingerprint != NULL && self->pinned != NULL &&
         g_ascii_strcasecmp (fingerprint, self->pinned) == 0;
}

/* ------------------------------------------------------------------ HTTP */

static gboolean
map_transport_error (PigeonEasClient *self,
                     GError          *soup_error,
                     GError         **error)
{
  const char *host = url_host (self);

  if (g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_error_copy (soup_error));
      return FALSE;
    }
  if (soup_error->domain == G_TLS_ERROR && self->peer_fingerprint != NULL)
    {
      g_autofree char *pretty = format_fingerprint (self->peer_fingerprint);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                   _("The certificate of %s is not trusted. Its SHA-256 fingerprint is %s."),
                   host, pretty);
    }
  else if (soup_error->domain == G_TLS_ERROR)
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                 _("A secure connection to %s failed: %s"), host, soup_error->message);
  else if (soup_error->domain == G_RESOLVER_ERROR ||
           g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
           g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
           g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
           g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT,
                 _("Could not connect to %s: %s"), host, soup_error->message);
  else if (g_error_matches (soup_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                 _("%s stopped answering."), host);
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                 _("The connection to %s was lost: %s"), host, soup_error->message);
  return FALSE;
}

static SoupSession *
session_for (PigeonEasClient *self,
             guint            timeout_seconds)
{
  if (timeout_seconds == 0 || timeout_seconds <= DEFAULT_TIMEOUT)
    return self->session;
  if (self->poll_session == NULL || self->poll_timeout != timeout_seconds)
    {
      g_clear_object (&self->poll_session);
      self->poll_session = new_session (timeout_seconds);
      self->poll_timeout = timeout_seconds;
    }
  return self->poll_session;
}

/* Sends one request; returns the message (status and headers) and the body in OUT_BODY. */
static SoupMessage *
send_request (PigeonEasClient  *self,
              const char       *method,
              const char       *uri,
              GBytes           *body,
              gboolean          with_policy_key,
              guint             timeout_seconds,
              GBytes          **out_body,
              GCancellable     *cancellable,
              GError          **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autofree char *credentials = NULL;
  g_autofree char *authorization = NULL;
  SoupMessageHeaders *headers;
  guint8 buffer[16384];

  if (message == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("%s is not a valid ActiveSync address."), self->url);
      return NULL;
    }
  headers = soup_message_get_request_headers (message);
  credentials = g_strconcat (self->user, ":", self->password, NULL);
  authorization = g_base64_encode ((const guchar *) credentials, strlen (credentials));
  memset (credentials, 0, strlen (credentials));
  {
    g_autofree char *value = g_strconcat ("Basic ", authorization, NULL);

    soup_message_headers_replace (headers, "Authorization", value);
    memset (value, 0, strlen (value));
    memset (authorization, 0, strlen (authorization));
  }
  soup_message_headers_replace (headers, "MS-ASProtocolVersion", self->version ?: "14.1");
  if (with_policy_key && self->policy_key != NULL)
    soup_message_headers_replace (headers, "X-MS-PolicyKey", self->policy_key);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, WBXML_CONTENT_TYPE, body);
  g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);

  stream = soup_session_send (session_for (self, timeout_seconds), message, cancellable,
                              &local_error);
  if (stream == NULL)
    {
      map_transport_error (self, local_error, error);
      return NULL;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, cancellable, &local_error);

      if (n < 0)
        {
          map_transport_error (self, local_error, error);
          return NULL;
        }
      if (n == 0)
        break;
      if (data->len + (gsize) n > PIGEON_EAS_WBXML_MAX_SIZE)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                       _("The reply from %s is too large."), url_host (self));
          return NULL;
        }
      g_byte_array_append (data, buffer, n);
    }
  *out_body = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  return g_steal_pointer (&message);
}

static gboolean
wait_seconds (guint          seconds,
              GCancellable  *cancellable,
              GError       **error)
{
  GPollFD pollfd;

  if (cancellable != NULL && g_cancellable_make_pollfd (cancellable, &pollfd))
    {
      g_poll (&pollfd, 1, seconds * 1000);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep (seconds * G_USEC_PER_SEC);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

typedef enum { HTTP_OK, HTTP_RETRY, HTTP_PROVISION, HTTP_FAILED } HttpOutcome;

/* What an HTTP status means for ActiveSync. */
static HttpOutcome
check_status (PigeonEasClient  *self,
              SoupMessage      *message,
              GCancellable     *cancellable,
              GError          **error)
{
  guint status = soup_message_get_status (message);
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  const char *host = url_host (self);

  switch (status)
    {
    case 200:
      return HTTP_OK;
    case 401:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   _("The server rejected the password for %s."), self->user);
      return HTTP_FAILED;
    case 403:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("%s does not allow ActiveSync for %s on this device."), host, self->user);
      return HTTP_FAILED;
    case 449:
      return HTTP_PROVISION;
    case 451:
      {
        const char *location = soup_message_headers_get_one (headers, "X-MS-Location");
        g_autofree char *url = location ? pigeon_eas_client_build_url (location, TRUE, 0) : NULL;

        /* never from https down to http */
        if (url != NULL && (g_str_has_prefix (url, "https:") || !g_str_has_prefix (self->url, "https:")))
          {
            g_message ("ActiveSync: %s redirects to %s", host, url);
            set_url (self, g_steal_pointer (&url));
            return HTTP_RETRY;
          }
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("%s moved the mailbox without saying where."), host);
        return HTTP_FAILED;
      }
    case 429:
    case 503:
      {
        const char *retry_after = soup_message_headers_get_one (headers, "Retry-After");
        guint64 seconds = 0;

        if (retry_after != NULL &&
            g_ascii_string_to_unsigned (retry_after, 10, 0, G_MAXUINT, &seconds, NULL) &&
            seconds <= MAX_RETRY_AFTER)
          {
            g_message ("ActiveSync: %s is busy, retrying in %u s", host, (guint) seconds);
            return wait_seconds (MAX (seconds, 1), cancellable, error) ? HTTP_RETRY : HTTP_FAILED;
          }
        if (retry_after != NULL)
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                       _("%s is busy and asks to try again in %s seconds."), host, retry_after);
        else
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                       _("%s is busy (HTTP %u); Pigeon will try again later."), host, status);
        return HTTP_FAILED;
      }
    case 507:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   _("The mailbox of %s on %s is full."), self->user, host);
      return HTTP_FAILED;
    default:
      if (status >= 500)
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                     _("%s failed to answer (HTTP %u %s)."), host, status,
                     soup_message_get_reason_phrase (message));
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("%s refused the request (HTTP %u %s)."), host, status,
                     soup_message_get_reason_phrase (message));
      return HTTP_FAILED;
    }
}

static gboolean
not_activesync (PigeonEasClient *self,
                GError         **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("%s is not an ActiveSync server (it answered with something else, such as a "
                 "web page). Check the address: it usually ends in /Microsoft-Server-ActiveSync."),
               self->url);
  return FALSE;
}

gboolean
pigeon_eas_client_options (PigeonEasClient *self,
                           GCancellable    *cancellable,
                           GError         **error)
{
  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), FALSE);

  for (guint attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(SoupMessage) message = NULL;
      g_auto(GStrv) offered = NULL;
      const char *versions, *commands;
      HttpOutcome outcome;

      message = send_request (self, "OPTIONS", self->url, NULL, FALSE, 0, &body, cancellable,
                              error);
      if (message == NULL)
        return FALSE;
      outcome = check_status (self, message, cancellable, error);
      if (outcome == HTTP_RETRY)
        continue;
      if (outcome == HTTP_FAILED)
        return FALSE;
      if (outcome == HTTP_PROVISION)
        return not_activesync (self, error);

      versions = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                               "MS-ASProtocolVersions");
      commands = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                               "MS-ASProtocolCommands");
      if (versions == NULL)
        return not_activesync (self, error);

      offered = g_strsplit (versions, ",", -1);
      for (guint i = 0; offered[i] != NULL; i++)
        g_strstrip (offered[i]);
      g_clear_pointer (&self->version, g_free);
      for (guint i = 0; i < G_N_ELEMENTS (known_versions) && self->version == NULL; i++)
        if (g_strv_contains ((const char * const *) offered, known_versions[i]))
          self->version = g_strdup (known_versions[i]);
      if (self->version == NULL)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                       _("%s speaks only ActiveSync %s; Pigeon needs 12.1 or newer."),
                       url_host (self), versions);
          return FALSE;
        }
      g_strfreev (self->commands);
      self->commands = g_strsplit (commands ?: "", ",", -1);
      for (guint i = 0; self->commands[i] != NULL; i++)
        g_strstrip (self->commands[i]);
      g_debug ("ActiveSync: %s speaks %s, using %s", url_host (self), versions, self->version);
      return TRUE;
    }
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
               _("%s kept asking Pigeon to try again."), url_host (self));
  return FALSE;
}

/* A command-level status that asks for provisioning (142-144) or a new policy. */
static gboolean
wants_provisioning (const PigeonEasNode *reply)
{
  for (guint i = 0; i < pigeon_eas_node_n_children (reply); i++)
    {
      PigeonEasNode *child = pigeon_eas_node_get_child (reply, i);
      const char *name = pigeon_eas_tag_local_name (child->tag);

      if (g_strcmp0 (name, "Status") == 0 && child->content != NULL)
        {
          gint64 status = g_ascii_strtoll (child->content->str, NULL, 10);

          return status >= 142 && status <= 144;
        }
    }
  return FALSE;
}

static char *
command_uri (PigeonEasClient *self,
             const char      *command,
             const char      *extra_query)
{
  g_autofree char *user = g_uri_escape_string (self->user, NULL, FALSE);
  g_autofree char *device = g_uri_escape_string (self->device_id, NULL, FALSE);

  return g_strdup_printf ("%s?Cmd=%s&User=%s&DeviceId=%s&DeviceType=%s%s", self->url, command,
                          user, device, DEVICE_TYPE, extra_query ?: "");
}

PigeonEasNode *
pigeon_eas_client_command (PigeonEasClient     *self,
                           const char          *command,
                           const PigeonEasNode *request,
                           const char          *extra_query,
                           guint                timeout_seconds,
                           GCancellable        *cancellable,
                           GError             **error)
{
  g_autoptr(GBytes) body = NULL;
  gboolean provisioned = FALSE;

  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), NULL);
  g_return_val_if_fail (command != NULL, NULL);

  if (request != NULL)
    {
      body = pigeon_eas_wbxml_encode (request);
      if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN) == FALSE)
        {
          g_autofree char *xml = pigeon_eas_node_to_xml (request, TRACE_CONTENT);

          g_debug ("ActiveSync %s > %s", command, xml);
        }
    }

  for (guint attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
    {
      g_autoptr(GBytes) reply_body = NULL;
      g_autoptr(SoupMessage) message = NULL;
      g_autofree char *uri = command_uri (self, command, extra_query);
      g_autoptr(PigeonEasNode) reply = NULL;
      const char *content_type;
      HttpOutcome outcome;

      message = send_request (self, "POST", uri, body, !self->provisioning, timeout_seconds,
                              &reply_body, cancellable, error);
      if (message == NULL)
        return NULL;
      outcome = check_status (self, message, cancellable, error);
      if (outcome == HTTP_FAILED)
        return NULL;
      if (outcome == HTTP_RETRY)
        continue;
      if (outcome == HTTP_PROVISION)
        {
          if (self->provisioning || provisioned)
            {
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                           _("%s keeps asking for device policies that Pigeon cannot accept."),
                           url_host (self));
              return NULL;
            }
          if (!pigeon_eas_client_provision (self, cancellable, error))
            return NULL;
          provisioned = TRUE;
          continue;
        }

      if (g_bytes_get_size (reply_body) == 0)
        {
          g_debug ("ActiveSync %s < (empty)", command);
          return NULL;
        }
      content_type = soup_message_headers_get_content_type (
        soup_message_get_response_headers (message), NULL);
      if (content_type == NULL || g_ascii_strcasecmp (content_type, WBXML_CONTENT_TYPE) != 0)
        {
          not_activesync (self, error);
          return NULL;
        }

      reply = pigeon_eas_wbxml_decode (g_bytes_get_data (reply_body, NULL),
                                       g_bytes_get_size (reply_body), error);
      if (reply == NULL)
        return NULL;
      if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN) == FALSE)
        {
          g_autofree char *xml = pigeon_eas_node_to_xml (reply, TRACE_CONTENT);

          g_debug ("ActiveSync %s < %s", command, xml);
        }
      if (!self->provisioning && !provisioned && wants_provisioning (reply))
        {
          if (!pigeon_eas_client_provision (self, cancellable, error))
            return NULL;
          provisioned = TRUE;
          continue;
        }
      return g_steal_pointer (&reply);
    }
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
               _("%s kept asking Pigeon to try again."), url_host (self));
  return NULL;
}

/* ------------------------------------------------------------------ provisioning */

static PigeonEasNode *
provision_request (PigeonEasClient *self,
                   const char      *temporary_key)
{
  PigeonEasNode *provision = pigeon_eas_node_new ("Provision:Provision");
  PigeonEasNode *policy;

  if (temporary_key == NULL && self->version != NULL && g_strcmp0 (self->version, "14.1") >= 0)
    {
      PigeonEasNode *set = pigeon_eas_node_add (
        pigeon_eas_node_add (provision, "Settings:DeviceInformation"), "Settings:Set");

      pigeon_eas_node_add_text (set, "Settings:Model", "Pigeon");
      pigeon_eas_node_add_text (set, "Settings:FriendlyName", "Pigeon");
      pigeon_eas_node_add_text (set, "Settings:OS", "Linux");
      pigeon_eas_node_add_text (set, "Settings:UserAgent", "Pigeon/" PACKAGE_VERSION);
    }
  policy = pigeon_eas_node_add (pigeon_eas_node_add (provision, "Provision:Policies"),
                                "Provision:Policy");
  pigeon_eas_node_add_text (policy, "Provision:PolicyType", "MS-EAS-Provisioning-WBXML");
  if (temporary_key != NULL)
    {
      pigeon_eas_node_add_text (policy, "Provision:PolicyKey", temporary_key);
      pigeon_eas_node_add_text (policy, "Provision:Status", "1");
    }
  return provision;
}

static gboolean
provision_failed (PigeonEasClient *self,
                  gint64           status,
                  GError         **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("%s refused to provision this device (status %d)."),
               url_host (self), (int) status);
  return FALSE;
}

gboolean
pigeon_eas_client_provision (PigeonEasClient *self,
                             GCancellable    *cancellable,
                             GError         **error)
{
  g_autoptr(PigeonEasNode) request = provision_request (self, NULL);
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(PigeonEasNode) ack = NULL;
  g_autoptr(PigeonEasNode) ack_reply = NULL;
  PigeonEasNode *policy;
  const char *key;
  gint64 status;

  g_return_val_if_fail (PIGEON_IS_EAS_CLIENT (self), FALSE);

  self->provisioning = TRUE;
  reply = pigeon_eas_client_command (self, "Provision", request, NULL, 0, cancellable, error);
  if (reply == NULL)
    {
      self->provisioning = FALSE;
      return error == NULL || *error == NULL ? provision_failed (self, 0, error) : FALSE;
    }
  status = pigeon_eas_node_find_int (reply, "Provision:Status", 0);
  policy = pigeon_eas_node_find_path (reply, "Provision:Policies/Provision:Policy");
  if (status != 1 || policy == NULL)
    {
      self->provisioning = FALSE;
      return provision_failed (self, status, error);
    }

  key = pigeon_eas_node_find_text (policy, "Provision:PolicyKey");
  status = pigeon_eas_node_find_int (policy, "Provision:Status", 0);
  if (status == 2 || key == NULL)
    {
      /* "no policy for this client": carry on without a key (SOGo does this) */
      self->provisioning = FALSE;
      pigeon_eas_client_set_policy_key (self, NULL);
      return TRUE;
    }
  if (status != 1)
    {
      self->provisioning = FALSE;
      return provision_failed (self, status, error);
    }

  ack = provision_request (self, key);
  ack_reply = pigeon_eas_client_command (self, "Provision", ack, NULL, 0, cancellable, error);
  self->provisioning = FALSE;
  if (ack_reply == NULL)
    return error == NULL || *error == NULL ? provision_failed (self, 0, error) : FALSE;
  policy = pigeon_eas_node_find_path (ack_reply, "Provision:Policies/Provision:Policy");
  key = pigeon_eas_node_find_text (policy, "Provision:PolicyKey");
  if (pigeon_eas_node_find_int (ack_reply, "Provision:Status", 0) != 1 || key == NULL)
    return provision_failed (self, pigeon_eas_node_find_int (ack_reply, "Provision:Status", 0),
                             error);
  pigeon_eas_client_set_policy_key (self, key);
  return TRUE;
}
