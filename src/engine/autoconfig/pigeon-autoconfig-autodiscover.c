/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-autoconfig-private.h"
#include "pigeon-autodiscover.h"
#include "pigeon-error.h"

/*
 * The Autodiscover client of [MS-OXDSCLI] section 3.1.5: the request goes to
 * https://<domain>/autodiscover/autodiscover.xml and https://autodiscover.<domain>/…, then
 * to where a plain http://autodiscover.<domain>/… redirects, then to the host of the
 * _autodiscover._tcp SRV record.  All four start at once; the first in that order that
 * answers with settings wins.  Each asks for the mobilesync schema first (an ActiveSync
 * server), then for the outlook schema (IMAP, POP3, SMTP).
 */

#define MAX_HOPS 10
#define PATH "/autodiscover/autodiscover.xml"

typedef enum
{
  ATTEMPT_POST,
  ATTEMPT_HTTP_REDIRECT,
  ATTEMPT_SRV,
} AttemptKind;

typedef struct
{
  PigeonAutoconfigContext *context;
  char *url;
  char *email;
  PigeonAutodiscoverSchema schema;
  guint hops;
} Attempt;

static void
attempt_free (gpointer data)
{
  Attempt *attempt = data;

  pigeon_autoconfig_context_unref (attempt->context);
  g_free (attempt->url);
  g_free (attempt->email);
  g_free (attempt);
}

static void post (GTask *task);

static void
post_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Attempt *attempt = g_task_get_task_data (task);
  g_autoptr(GBytes) document = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = NULL;
  GError *error = NULL;

  document = pigeon_autoconfig_fetch_finish (result, &error);
  if (document == NULL)
    {
      g_debug ("Autodiscover %s: %s", attempt->url, error->message);
      g_task_return_error (task, error);
      return;
    }
  reply = pigeon_autodiscover_parse (document, attempt->email, &error);
  if (reply == NULL || (reply->action == PIGEON_AUTODISCOVER_SETTINGS &&
                        pigeon_autoconfig_result_is_empty (reply->result)))
    {
      g_debug ("Autodiscover %s: %s", attempt->url, error ? error->message : "no server");
      /* A server that knows only Outlook's schema says so with an error. */
      if (attempt->schema == PIGEON_AUTODISCOVER_REQUEST_MOBILESYNC &&
          (error == NULL || g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND)))
        {
          g_clear_error (&error);
          attempt->schema = PIGEON_AUTODISCOVER_REQUEST_OUTLOOK;
          post (g_steal_pointer (&task));
          return;
        }
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                                 _("The Autodiscover service named no server Pigeon can use."));
      return;
    }

  switch (reply->action)
    {
    case PIGEON_AUTODISCOVER_SETTINGS:
      /* After a redirect to another address, that address is the one to log in with. */
      if (g_ascii_strcasecmp (attempt->email, attempt->context->email) != 0)
        for (guint i = 0; i < reply->result->incoming->len; i++)
          {
            PigeonAutoconfigServer *server = g_ptr_array_index (reply->result->incoming, i);

            if (server->user == NULL)
              server->user = g_strdup (attempt->email);
          }
      g_task_return_pointer (task, g_steal_pointer (&reply->result),
                             (GDestroyNotify) pigeon_autoconfig_result_free);
      return;
    case PIGEON_AUTODISCOVER_REDIRECT_ADDRESS:
      g_free (attempt->email);
      attempt->email = g_steal_pointer (&reply->redirect);
      break;
    case PIGEON_AUTODISCOVER_REDIRECT_URL:
    default:
      g_free (attempt->url);
      attempt->url = g_steal_pointer (&reply->redirect);
      break;
    }
  if (++attempt->hops > MAX_HOPS)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                               _("The Autodiscover service redirected too many times."));
      return;
    }
  post (g_steal_pointer (&task));
}

static void
post (GTask *task)
{
  Attempt *attempt = g_task_get_task_data (task);
  g_autoptr(GBytes) body = pigeon_autodiscover_build_request (attempt->email, attempt->schema);

  pigeon_autoconfig_fetch_async (attempt->context, attempt->url, body, attempt->email,
                                 g_task_get_cancellable (task), post_cb, task);
}

static void
redirect_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Attempt *attempt = g_task_get_task_data (task);
  GError *error = NULL;
  char *target;

  target = pigeon_autoconfig_find_redirect_finish (result, &error);
  if (target == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_free (attempt->url);
  attempt->url = target;
  post (g_steal_pointer (&task));
}

static void
srv_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Attempt *attempt = g_task_get_task_data (task);
  GError *error = NULL;
  GList *targets;
  const char *host;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  if (targets == NULL)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("%s has no Autodiscover SRV record: %s"),
                               attempt->context->domain, error->message);
      g_error_free (error);
      return;
    }
  host = g_srv_target_get_hostname (targets->data);
  if (host == NULL || g_strcmp0 (host, ".") == 0 || *host == '\0')
    g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                             _("%s offers no Autodiscover service."), attempt->context->domain);
  else
    {
      attempt->url = g_strdup_printf ("https://%s:%u" PATH, host,
                                      g_srv_target_get_port (targets->data));
      post (g_object_ref (task));
    }
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
}

static void
attempt_async (PigeonAutoconfigContext *context,
               AttemptKind              kind,
               char                    *url,
               GCancellable            *cancellable,
               GAsyncReadyCallback      callback,
               gpointer                 user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Attempt *attempt = g_new0 (Attempt, 1);
  g_autoptr(GResolver) resolver = NULL;

  g_task_set_source_tag (task, attempt_async);
  attempt->context = pigeon_autoconfig_context_ref (context);
  attempt->url = url;
  attempt->email = g_strdup (context->email);
  attempt->schema = PIGEON_AUTODISCOVER_REQUEST_MOBILESYNC;
  g_task_set_task_data (task, attempt, attempt_free);

  switch (kind)
    {
    case ATTEMPT_POST:
      post (task);
      break;
    case ATTEMPT_HTTP_REDIRECT:
      pigeon_autoconfig_find_redirect_async (context, url, cancellable, redirect_cb, task);
      break;
    case ATTEMPT_SRV:
    default:
      resolver = g_resolver_get_default ();
      g_resolver_lookup_service_async (resolver, "autodiscover", "tcp", context->domain,
                                       cancellable, srv_cb, task);
      break;
    }
}

void
pigeon_autoconfig_autodiscover_async (PigeonAutoconfigContext *context,
                                      GCancellable            *cancellable,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  PigeonAutoconfigRace *race = NULL;
  char *urls[] = {
    g_strdup_printf ("https://%s" PATH, context->domain),
    g_strdup_printf ("https://autodiscover.%s" PATH, context->domain),
    g_strdup_printf ("http://autodiscover.%s" PATH, context->domain),
    NULL,
  };
  const AttemptKind kinds[] = { ATTEMPT_POST, ATTEMPT_POST, ATTEMPT_HTTP_REDIRECT, ATTEMPT_SRV };

  g_task_set_source_tag (task, pigeon_autoconfig_autodiscover_async);
  race = pigeon_autoconfig_race_new (task, G_N_ELEMENTS (kinds));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    attempt_async (context, kinds[i], urls[i], pigeon_autoconfig_race_get_cancellable (race),
                   pigeon_autoconfig_race_slot_cb, pigeon_autoconfig_race_slot (race, i));
  pigeon_autoconfig_race_unref (race);
}
