/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-private.h"

/* Servers may drop an idle client after 30 minutes (RFC 3501 §5.4): IDLE is renewed well
 * before. */
#define IDLE_RENEW_SECONDS (25 * 60)
/* Without IDLE, the inbox is asked with NOOP this often. */
#define NOOP_INTERVAL_SECONDS 60

/* What the idle session watches besides the inbox it examines, where the server offers
 * NOTIFY (RFC 5465): new and removed messages in every personal mailbox, reported as
 * STATUS responses.  Flag changes elsewhere are left to the next full pass. */
#define NOTIFY_EVENTS \
  "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) " \
  "(personal (MessageNew MessageExpunge))"

static void
idle_unsolicited_cb (PigeonImapSession  *session,
                     PigeonImapResponse *response,
                     gpointer            user_data)
{
  PigeonImapProvider *self = user_data;
  const char *name = response->name;
  char *mailbox = NULL;

  if (g_strcmp0 (name, "EXISTS") == 0 || g_strcmp0 (name, "EXPUNGE") == 0 ||
      g_strcmp0 (name, "FETCH") == 0 || g_strcmp0 (name, "VANISHED") == 0)
    mailbox = g_strdup (pigeon_imap_session_get_selected (session)->mailbox);
  else if (g_strcmp0 (name, "STATUS") == 0 && pigeon_imap_response_get_n_args (response) > 0)
    mailbox = pigeon_imap_value_dup_string (pigeon_imap_response_get_arg (response, 0));
  else
    return;
  self->idle_changed = TRUE;
  /* bounded: a server naming endless mailboxes gets a full pass's worth, no more */
  if (mailbox != NULL && g_hash_table_size (self->idle_mailboxes) < 1000)
    g_hash_table_add (self->idle_mailboxes, mailbox);
  else
    g_free (mailbox);
}

static gboolean
same_mailbox (const char *a,
              const char *b)
{
  /* INBOX is INBOX in any case (RFC 3501 §5.1) */
  if (g_ascii_strcasecmp (a, "INBOX") == 0)
    return g_ascii_strcasecmp (b, "INBOX") == 0;
  return strcmp (a, b) == 0;
}

void
pigeon_imap_take_changes (PigeonImapProvider *self,
                          GArray             *folder_ids)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(GPtrArray) folders = NULL;
  GHashTableIter iter;
  gpointer mailbox;

  if (self->idle == NULL || g_hash_table_size (self->idle_mailboxes) == 0)
    return;
  folders = pigeon_store_list_folders (store, NULL);
  for (guint i = 0; folders != NULL && i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);
      g_autofree char *name = pigeon_imap_folder_mailbox (self->idle, folder);

      g_hash_table_iter_init (&iter, self->idle_mailboxes);
      while (g_hash_table_iter_next (&iter, &mailbox, NULL))
        if (same_mailbox (mailbox, name))
          {
            g_array_append_val (folder_ids, folder->id);
            break;
          }
    }
  g_hash_table_remove_all (self->idle_mailboxes);
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
  if (pigeon_imap_session_has_capability (session, "NOTIFY"))
    {
      g_autoptr(PigeonImapCommand) notify = pigeon_imap_command_new (NOTIFY_EVENTS);
      g_autoptr(GError) notify_error = NULL;

      /* A refusal leaves plain IDLE on the inbox; a broken connection is a failure. */
      if (!pigeon_imap_session_run (session, notify, cancellable, &notify_error))
        {
          PigeonImapStatus status = pigeon_imap_command_get_status (notify);

          if (status != PIGEON_IMAP_STATUS_NO && status != PIGEON_IMAP_STATUS_BAD)
            {
              g_propagate_error (error, g_steal_pointer (&notify_error));
              return NULL;
            }
          g_debug ("The server refused NOTIFY, only the inbox is watched: %s",
                   notify_error->message);
        }
    }
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
