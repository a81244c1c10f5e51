/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-imap-private.h"

/* Servers may drop an idle client after 30 minutes (RFC 3501 §5.4): IDLE is renewed well
 * before. */
#define IDLE_RENEW_SECONDS (25 * 60)
/* Without IDLE, the inbox is asked with NOOP this often. */
#define NOOP_INTERVAL_SECONDS 60

static void
idle_unsolicited_cb (PigeonImapSession  *session,
                     PigeonImapResponse *response,
                     gpointer            user_data)
{
  PigeonImapProvider *self = user_data;
  const char *name = response->name;

  if (g_strcmp0 (name, "EXISTS") == 0 || g_strcmp0 (name, "EXPUNGE") == 0 ||
      g_strcmp0 (name, "FETCH") == 0 || g_strcmp0 (name, "VANISHED") == 0)
    self->idle_changed = TRUE;
}

static gboolean
idle_continuation_cb (PigeonImapSession  *session,
                      PigeonImapCommand  *command,
                      PigeonImapResponse *response,
                      gpointer            user_data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  gboolean *idling = user_data;

  *idling = TRUE;
  return TRUE;
}

/* The idle session, logged in and looking at the inbox. */
static PigeonImapSession *
ensure_idle_session (PigeonImapProvider *self,
                     GCancellable       *cancellable,
                     GError            **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autofree char *mailbox = NULL;
  g_autoptr(PigeonImapSession) session = NULL;

  pigeon_imap_release_broken (self);
  if (self->idle != NULL)
    return self->idle;

  session = pigeon_imap_open_session (self, "idle", cancellable, error);
  if (session == NULL)
    return NULL;
  inbox = pigeon_store_get_folder_by_role (store, PIGEON_FOLDER_ROLE_INBOX, NULL);
  mailbox = inbox != NULL ? pigeon_imap_folder_mailbox (session, inbox) : g_strdup ("INBOX");
  pigeon_imap_session_set_unsolicited_func (session, idle_unsolicited_cb, self);
  if (!pigeon_imap_session_select (session, mailbox, TRUE, NULL, NULL, NULL, cancellable, error))
    return NULL;
  self->idle = g_steal_pointer (&session);
  return self->idle;
}

static gboolean
is_interruption (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT);
}

/* One IDLE of at most SECONDS.  *CANCELLED when CANCELLABLE ended it early. */
static gboolean
idle_once (PigeonImapProvider *self,
           PigeonImapSession  *session,
           guint               seconds,
           gboolean           *cancelled,
           GCancellable       *cancellable,
           GError            **error)
{
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("IDLE");
  gboolean idling = FALSE;
  gboolean ok = TRUE;

  pigeon_imap_command_set_continuation_func (command, idle_continuation_cb, &idling);
  if (!pigeon_imap_session_send (session, command, cancellable, error) ||
      !pigeon_imap_session_flush (session, cancellable, error))
    return FALSE;
  while (!idling && !pigeon_imap_command_is_done (command))
    if (!pigeon_imap_session_read_response (session, cancellable, error))
      return FALSE;
  if (pigeon_imap_command_is_done (command))
    return pigeon_imap_command_check (command, error);

  pigeon_imap_session_set_read_timeout (session, seconds);
  while (!self->idle_changed)
    {
      g_autoptr(GError) wait_error = NULL;

      if (pigeon_imap_session_read_interruptible (session, cancellable, &wait_error))
        continue;
      if (!is_interruption (wait_error))
        {
          g_propagate_error (error, g_steal_pointer (&wait_error));
          ok = FALSE;
        }
      else
        *cancelled = g_error_matches (wait_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      break;
    }
  pigeon_imap_session_set_read_timeout (session, 30);
  if (!ok)
    return FALSE;

  /* End the IDLE whatever happened; this part must not be cancelled. */
  return pigeon_imap_session_write_line (session, "DONE", FALSE, NULL, error) &&
         pigeon_imap_session_wait (session, command, NULL, error) &&
         pigeon_imap_command_check (command, error);
}

static gboolean
poll_once (PigeonImapSession *session,
           guint              seconds,
           gboolean          *cancelled,
           GCancellable      *cancellable,
           GError           **error)
{
  GPollFD fd;

  if (cancellable != NULL && g_cancellable_make_pollfd (cancellable, &fd))
    {
      g_poll (&fd, 1, (gint) seconds * 1000);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep ((gulong) seconds * G_USEC_PER_SEC);
  if (g_cancellable_is_cancelled (cancellable))
    {
      *cancelled = TRUE;
      return TRUE;
    }
  return pigeon_imap_session_run_simple (session, "NOOP", cancellable, error);
}

gboolean
pigeon_imap_wait_for_changes (PigeonImapProvider *self,
                              guint               timeout_seconds,
                              GCancellable       *cancellable,
                              GError            **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  PigeonImapSession *session = ensure_idle_session (self, cancellable, error);

  if (session == NULL)
    return FALSE;

  self->idle_changed = FALSE;
  for (;;)
    {
      gint64 left_us = deadline - g_get_monotonic_time ();
      gint64 left = (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
      gboolean cancelled = FALSE;
      gboolean ok;

      if (left_us <= 0 || self->idle_changed)
        return TRUE;
      if (pigeon_imap_session_has_capability (session, "IDLE"))
        ok = idle_once (self, session, (guint) MIN (left, IDLE_RENEW_SECONDS), &cancelled,
                        cancellable, error);
      else
        ok = poll_once (session, (guint) MIN (left, NOOP_INTERVAL_SECONDS), &cancelled,
                        cancellable, error);
      if (!ok)
        {
          pigeon_imap_release_broken (self);
          return FALSE;
        }
      if (cancelled)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("Waiting for new mail was stopped."));
          return FALSE;
        }
    }
}
