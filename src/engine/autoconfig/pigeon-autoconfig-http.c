/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-private.h"
#include "pigeon-autoconfig-xml.h"
#include "pigeon-error.h"

#define MAX_REDIRECTS 5
#define READ_CHUNK    8192

gboolean
pigeon_autoconfig_host_in_domain (const char *host,
                                  const char *domain)
{
  gsize host_len, domain_len;

  if (host == NULL || domain == NULL)
    return FALSE;
  host_len = strlen (host);
  domain_len = strlen (domain);
  if (g_ascii_strcasecmp (host, domain) == 0)
    return TRUE;
  return host_len > domain_len + 1 && host[host_len - domain_len - 1] == '.' &&
         g_ascii_strcasecmp (host + host_len - domain_len, domain) == 0;
}

/* Test plumbing: "https://HOST/PATH" goes to "BASE/HOST/PATH" instead. */
static char *
effective_url (PigeonAutoconfigContext *context,
               GUri                    *uri)
{
  g_autofree char *base = NULL;

  if (context->http_base == NULL)
    return g_uri_to_string (uri);
  base = g_strdup (context->http_base);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  return g_strdup_printf ("%s/%s%s%s%s", base, g_uri_get_host (uri), g_uri_get_path (uri),
                          g_uri_get_query (uri) ? "?" : "",
                          g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
}

static GError *
map_transport_error (const GError *error,
                     GUri         *uri)
{
  const char *host = g_uri_get_host (uri);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (error->domain == G_TLS_ERROR)
    return g_error_new (PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                        _("The secure connection to %s failed: %s"), host, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (PIGEON_ERROR, PIGEON_ERROR_TIMEOUT, _("%s did not answer in time."),
                        host);
  return g_error_new (PIGEON_ERROR, PIGEON_ERROR_CONNECT, _("Could not reach %s: %s"), host,
                      error->message);
}

/* ------------------------------------------------------------------ fetch */

typedef struct
{
  PigeonAutoconfigContext *context;
  GUri *uri;             /* the address as the protocol names it (before test plumbing) */
  gboolean encrypted;    /* and whether the request really goes out over https */
  GBytes *body;
  char *user;
  guint redirects;
  GInputStream *stream;
  GByteArray *data;
} Fetch;

static void
fetch_free (gpointer data)
{
  Fetch *fetch = data;

  g_clear_pointer (&fetch->context, pigeon_autoconfig_context_unref);
  g_clear_pointer (&fetch->uri, g_uri_unref);
  g_clear_pointer (&fetch->body, g_bytes_unref);
  g_free (fetch->user);
  g_clear_object (&fetch->stream);
  g_clear_pointer (&fetch->data, g_byte_array_unref);
  g_free (fetch);
}

static gboolean
authenticate_cb (SoupMessage *message,
                 SoupAuth    *auth,
                 gboolean     retrying,
                 gpointer     user_data)
{
  GTask *task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  PigeonAutoconfigContext *context = fetch->context;

  /* A password goes only where the address's own domain sent us, encrypted, in Basic
   * form, and only once (a second challenge means it was rejected). */
  if (retrying || fetch->user == NULL || context->password == NULL || !fetch->encrypted ||
      g_strcmp0 (g_uri_get_scheme (fetch->uri), "https") != 0 ||
      !pigeon_autoconfig_host_in_domain (g_uri_get_host (fetch->uri), context->domain) ||
      g_ascii_strcasecmp (soup_auth_get_scheme_name (auth), "Basic") != 0)
    return FALSE;
  soup_auth_authenticate (auth, fetch->user, context->password);
  return TRUE;
}

static void send_request (GTask *task);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, map_transport_error (error, fetch->uri));
      g_error_free (error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&fetch->data)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  g_byte_array_append (fetch->data, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  if (fetch->data->len > PIGEON_AUTOCONFIG_MAX_DOCUMENT)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                               _("%s sent more than a settings document holds."),
                               g_uri_get_host (fetch->uri));
      return;
    }
  g_input_stream_read_bytes_async (fetch->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, g_object_ref (task));
}

/* The next address of a redirect, or NULL (with ERROR set) when it may not be followed. */
static GUri *
redirect_target (Fetch        *fetch,
                 SoupMessage  *message,
                 GError      **error)
{
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                       "Location");
  g_autoptr(GUri) target = NULL;

  if (location != NULL)
    target = g_uri_parse_relative (fetch->uri, location, G_URI_FLAGS_NONE, NULL);
  if (target == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s redirected to an invalid address."), g_uri_get_host (fetch->uri));
      return NULL;
    }
  if (g_strcmp0 (g_uri_get_scheme (target), "https") != 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("%s redirected to an unencrypted address, which Pigeon does not follow."),
                   g_uri_get_host (fetch->uri));
      return NULL;
    }
  return g_steal_pointer (&target);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GInputStream) stream = NULL;
  GCancellable *cancellable;
  GError *error = NULL;
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, map_transport_error (error, fetch->uri));
      g_error_free (error);
      return;
    }

  status = soup_message_get_status (message);
  if (SOUP_STATUS_IS_REDIRECTION (status) && status != SOUP_STATUS_NOT_MODIFIED)
    {
      GUri *target = redirect_target (fetch, message, &error);

      if (target == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (++fetch->redirects > MAX_REDIRECTS)
        {
          g_uri_unref (target);
          g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                                   _("%s redirected too many times."),
                                   g_uri_get_host (fetch->uri));
          return;
        }
      g_uri_unref (fetch->uri);
      fetch->uri = target;
      send_request (g_steal_pointer (&task));
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("%s answered %u %s."), g_uri_get_host (fetch->uri), status,
                               soup_message_get_reason_phrase (message));
      return;
    }

  fetch->stream = g_steal_pointer (&stream);
  fetch->data = g_byte_array_new ();
  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_bytes_async (fetch->stream, READ_CHUNK, G_PRIORITY_DEFAULT, cancellable,
                                   read_cb, g_steal_pointer (&task));
}

static void
send_request (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  g_autofree char *url = effective_url (fetch->context, fetch->uri);
  g_autoptr(SoupMessage) message = NULL;

  message = soup_message_new (fetch->body ? "POST" : "GET", url);
  fetch->encrypted = g_str_has_prefix (url, "https://");
  if (message == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                               _("“%s” is not a web address."), url);
      g_object_unref (task);
      return;
    }
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  if (fetch->body != NULL)
    soup_message_set_request_body_from_bytes (message, "text/xml; charset=utf-8", fetch->body);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept",
                                "text/xml, application/xml");
  g_signal_connect_object (message, "authenticate", G_CALLBACK (authenticate_cb), task, 0);
  soup_session_send_async (fetch->context->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), send_cb, task);
}

void
pigeon_autoconfig_fetch_async (PigeonAutoconfigContext *context,
                               const char              *url,
                               GBytes                  *body,
                               const char              *user,
                               GCancellable            *cancellable,
                               GAsyncReadyCallback      callback,
                               gpointer                 user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Fetch *fetch = g_new0 (Fetch, 1);

  g_task_set_source_tag (task, pigeon_autoconfig_fetch_async);
  g_task_set_task_data (task, fetch, fetch_free);
  fetch->context = pigeon_autoconfig_context_ref (context);
  fetch->body = body ? g_bytes_ref (body) : NULL;
  fetch->user = g_strdup (user);
  fetch->uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (fetch->uri == NULL || g_uri_get_host (fetch->uri) == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                               _("“%s” is not a web address."), url);
      g_object_unref (task);
      return;
    }
  send_request (task);
}

GBytes *
pigeon_autoconfig_fetch_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ redirect only */

static void
find_redirect_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GUri) target = NULL;
  GError *error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, map_transport_error (error, fetch->uri));
      g_error_free (error);
      return;
    }
  if (!SOUP_STATUS_IS_REDIRECTION (soup_message_get_status (message)))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("%s did not redirect."), g_uri_get_host (fetch->uri));
      return;
    }
  target = redirect_target (fetch, message, &error);
  if (target == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_uri_to_string (target), g_free);
}

void
pigeon_autoconfig_find_redirect_async (PigeonAutoconfigContext *context,
                                       const char              *url,
                                       GCancellable            *cancellable,
                                       GAsyncReadyCallback      callback,
                                       gpointer                 user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Fetch *fetch = g_new0 (Fetch, 1);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *effective = NULL;

  g_task_set_source_tag (task, pigeon_autoconfig_find_redirect_async);
  g_task_set_task_data (task, fetch, fetch_free);
  fetch->context = pigeon_autoconfig_context_ref (context);
  fetch->uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_assert (fetch->uri != NULL);

  effective = effective_url (context, fetch->uri);
  message = soup_message_new ("GET", effective);
  g_assert (message != NULL);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_async (context->session, message, G_PRIORITY_DEFAULT, cancellable,
                           find_redirect_cb, task);
}

char *
pigeon_autoconfig_find_redirect_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
