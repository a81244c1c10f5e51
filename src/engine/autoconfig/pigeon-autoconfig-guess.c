/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-autoconfig-private.h"
#include "pigeon-connection.h"
#include "pigeon-error.h"
#include "pigeon-provider.h"

/*
 * The last resort: the host names mail servers usually have, on the ports each provider
 * uses by default.  For a protocol named P the names tried are P.<domain>, P without its
 * digits (pop3 gives pop) and mail.<domain>.  A server counts as found when it accepts the
 * connection (and the TLS handshake, trusted or not) and greets within the timeout: IMAP,
 * POP3 and SMTP servers all speak first.  Nothing is sent, no password least of all; the
 * login check that follows decides.
 */

typedef struct
{
  char *protocol;
  char *host;
  guint16 port;
  PigeonSecurity security;
  gboolean outgoing;
  guint timeout;
  gboolean answered;    /* written by the probe's thread, read when it has returned */
} Candidate;

typedef struct
{
  PigeonAutoconfigContext *context;
  GPtrArray *candidates;
  guint pending;
} Guess;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->protocol);
  g_free (candidate->host);
  g_free (candidate);
}

static void
guess_free (gpointer data)
{
  Guess *guess = data;

  pigeon_autoconfig_context_unref (guess->context);
  g_ptr_array_unref (guess->candidates);
  g_free (guess);
}

static void
add_candidates (Guess               *guess,
                PigeonProviderClass *klass,
                gboolean             outgoing)
{
  g_autoptr(GPtrArray) prefixes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *short_name = g_strdup (klass->protocol);
  gsize len = strlen (short_name);

  while (len > 0 && g_ascii_isdigit (short_name[len - 1]))
    short_name[--len] = '\0';
  g_ptr_array_add (prefixes, g_strdup (klass->protocol));
  if (len > 0 && strcmp (short_name, klass->protocol) != 0)
    g_ptr_array_add (prefixes, g_strdup (short_name));
  g_ptr_array_add (prefixes, g_strdup ("mail"));

  for (guint i = 0; i < prefixes->len; i++)
    for (guint tls = 0; tls < 2; tls++)
      {
        Candidate *candidate = g_new0 (Candidate, 1);

        candidate->protocol = g_strdup (klass->protocol);
        candidate->host = g_strdup_printf ("%s.%s", (char *) prefixes->pdata[i],
                                           guess->context->domain);
        candidate->security = tls == 0 ? PIGEON_SECURITY_TLS : PIGEON_SECURITY_STARTTLS;
        candidate->port = tls == 0 ? klass->default_port_tls : klass->default_port_plain;
        candidate->outgoing = outgoing;
        candidate->timeout = guess->context->timeout;
        if (candidate->port != 0)
          g_ptr_array_add (guess->candidates, candidate);
        else
          candidate_free (candidate);
      }
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Candidate *candidate = task_data;
  g_autoptr(PigeonConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greeting = NULL;

  connection = pigeon_connection_new (candidate->host, candidate->port, candidate->security,
                                      NULL, "guess");
  pigeon_connection_set_timeout (connection, candidate->timeout);
  if (!pigeon_connection_connect (connection, cancellable, &error))
    {
      /* A certificate we do not trust still proves a TLS server: the login check will
       * show it to the user. */
      if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE))
        candidate->answered = TRUE;
      g_debug ("guess %s:%u: %s", candidate->host, candidate->port, error->message);
      g_task_return_boolean (task, candidate->answered);
      return;
    }
  greeting = pigeon_connection_read_line (connection, NULL, cancellable, &error);
  candidate->answered = greeting != NULL;
  g_debug ("guess %s:%u: %s", candidate->host, candidate->port,
           greeting ? "answered" : error->message);
  pigeon_connection_close (connection);
  g_task_return_boolean (task, candidate->answered);
}

static void
probe_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Guess *guess = g_task_get_task_data (task);
  g_autoptr(PigeonAutoconfigResult) found = NULL;

  if (--guess->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;

  found = pigeon_autoconfig_result_new ();
  for (guint i = 0; i < guess->candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (guess->candidates, i);

      if (!candidate->answered)
        continue;
      g_ptr_array_add (candidate->outgoing ? found->outgoing : found->incoming,
                       pigeon_autoconfig_server_new (candidate->protocol, candidate->host,
                                                     candidate->port, candidate->security,
                                                     PIGEON_AUTOCONFIG_SOURCE_GUESS));
    }
  if (pigeon_autoconfig_result_is_empty (found))
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("No mail server answered at the usual names of %s."),
                               guess->context->domain);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&found),
                         (GDestroyNotify) pigeon_autoconfig_result_free);
}

void
pigeon_autoconfig_guess_async (PigeonAutoconfigContext *context,
                               GCancellable            *cancellable,
                               GAsyncReadyCallback      callback,
                               gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Guess *guess = g_new0 (Guess, 1);
  g_auto(GStrv) receivers = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_RECEIVE);
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                                          PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);

  g_task_set_source_tag (task, pigeon_autoconfig_guess_async);
  guess->context = pigeon_autoconfig_context_ref (context);
  guess->candidates = g_ptr_array_new_with_free_func (candidate_free);
  g_task_set_task_data (task, guess, guess_free);

  /* A provider whose server is a web address is found by Autodiscover, not by guessing. */
  for (guint i = 0; receivers[i]; i++)
    {
      PigeonProviderClass *klass = pigeon_provider_class_lookup (receivers[i]);

      if (!(klass->caps & PIGEON_PROVIDER_CAP_URL_HOST))
        add_candidates (guess, klass, FALSE);
    }
  if (senders[0] != NULL)
    add_candidates (guess, pigeon_provider_class_lookup (senders[0]), TRUE);

  if (guess->candidates->len == 0)
    {
      g_task_return_new_error (task, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                               _("No provider of this Pigeon can be guessed."));
      return;
    }
  for (guint i = 0; i < guess->candidates->len; i++)
    {
      GTask *probe = g_task_new (NULL, cancellable, probe_cb, g_object_ref (task));

      g_task_set_source_tag (probe, probe_thread);
      g_task_set_task_data (probe, g_ptr_array_index (guess->candidates, i), NULL);
      guess->pending++;
      g_task_run_in_thread (probe, probe_thread);
      g_object_unref (probe);
    }
}
