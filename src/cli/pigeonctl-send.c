/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeonctl"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-message-builder.h"
#include "pigeon-outbox.h"
#include "pigeonctl-private.h"

#define MAX_MESSAGE ((gsize) 512 * 1024 * 1024)

static GBytes *
read_stdin (GError **error)
{
  g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  gssize copied;

  copied = g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error);
  if (copied < 0)
    return NULL;
  if ((gsize) copied > MAX_MESSAGE)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   _("The message on standard input is larger than 512 MB."));
      return NULL;
    }
  if (copied == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("There is no message on standard input."));
      return NULL;
    }
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

/* A sent message's copy waits as a queued append: hand it to the server now. */
static void
push_copy (PigeonAccount *account,
           PigeonStore   *store)
{
  g_autoptr(GError) error = NULL;
  guint pending = pigeon_store_count_pending_ops (store, &error);

  if (pending > 0)
    pigeonctl_push_changes (account, store);
}

static gboolean
report_entry (PigeonStore  *store,
              gint64        id,
              const char   *account_name,
              GError      **error)
{
  g_autoptr(PigeonOutboxEntry) entry = NULL;
  g_autoptr(GError) local_error = NULL;

  entry = pigeon_store_outbox_get (store, id, &local_error);
  if (entry == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("The message is no longer in the outbox."));
      return FALSE;
    }

  switch (entry->state)
    {
    case PIGEON_OUTBOX_SENT:
      if (entry->last_error != NULL && *entry->last_error != '\0')
        {
          g_auto(GStrv) lines = g_strsplit (entry->last_error, "\n", -1);
          g_autofree char *joined = g_strjoinv ("; ", lines);

          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED,
                       _("The message was sent, but not to everyone: %s"), joined);
          return FALSE;
        }
      return TRUE;
    case PIGEON_OUTBOX_FAILED:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED, "%s",
                   entry->last_error != NULL ? entry->last_error : _("The message was not sent."));
      return FALSE;
    case PIGEON_OUTBOX_QUEUED:
    case PIGEON_OUTBOX_SENDING:
    case PIGEON_OUTBOX_CANCELLED:
    default:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                   _("The message waits in the outbox (%s). Try again with pigeonctl send %s "
                     "--queued."),
                   entry->last_error != NULL ? entry->last_error : _("not sent yet"),
                   account_name);
      return FALSE;
    }
}

static gboolean
send_queued (PigeonCtl     *ctl,
             PigeonAccount *account,
             PigeonStore   *store,
             PigeonOutbox  *outbox,
             GError       **error)
{
  g_autoptr(GPtrArray) left = NULL;
  guint waiting = 0;
  const char *why = NULL;

  if (!pigeon_outbox_flush (outbox, TRUE, NULL, error))
    return FALSE;
  push_copy (account, store);

  left = pigeon_store_outbox_list (store, error);
  if (left == NULL)
    return FALSE;
  for (guint i = 0; i < left->len; i++)
    {
      PigeonOutboxEntry *entry = g_ptr_array_index (left, i);

      /* A message the user scheduled for later is not late. */
      if (entry->state == PIGEON_OUTBOX_QUEUED && entry->attempts == 0)
        continue;
      waiting++;
      if (why == NULL)
        why = entry->last_error;
    }
  if (waiting > 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_OFFLINE,
                   ngettext ("%u message still waits in the outbox (%s).",
                             "%u messages still wait in the outbox (%s).", waiting),
                   waiting, why != NULL ? why : _("not sent"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
cmd_send (PigeonCtl *ctl,
          GError   **error)
{
  gboolean queued = FALSE;
  GOptionEntry entries[] = {
    { "queued", 0, 0, G_OPTION_ARG_NONE, &queued,
      N_("Read no message: send what waits in the outbox"), NULL },
    { NULL }
  };
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonOutbox) outbox = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GBytes) ready = NULL;
  g_autofree char *sender = NULL;
  g_auto(GStrv) recipients = NULL;
  gint64 id;

  if (!pigeonctl_parse_options (ctl, entries, "ACCOUNT", 1, 1, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL)
    return FALSE;
  outbox = pigeon_outbox_new (account, store);
  if (queued)
    return send_queued (ctl, account, store, outbox, error);

  /* Into the outbox first: from there nothing is lost, whatever happens next. */
  if ((input = read_stdin (error)) == NULL ||
      (ready = pigeon_message_prepare_for_sending (input, pigeon_account_get_real_name (account),
                                                   pigeon_account_get_email (account), &sender,
                                                   &recipients, error)) == NULL)
    return FALSE;
  id = pigeon_store_outbox_add (store, ready, sender, (const char * const *) recipients,
                                g_get_real_time () / G_USEC_PER_SEC, error);
  if (id == 0)
    return FALSE;

  if (!pigeon_outbox_flush (outbox, FALSE, NULL, error))
    return FALSE;
  push_copy (account, store);
  return report_entry (store, id, ctl->argv[1], error);
}

static const char *
state_name (PigeonOutboxState state)
{
  switch (state)
    {
    case PIGEON_OUTBOX_QUEUED:
      return "queued";
    case PIGEON_OUTBOX_SENDING:
      return "sending";
    case PIGEON_OUTBOX_SENT:
      return "sent";
    case PIGEON_OUTBOX_FAILED:
      return "failed";
    case PIGEON_OUTBOX_CANCELLED:
    default:
      return "cancelled";
    }
}

static gboolean
cmd_outbox (PigeonCtl *ctl,
            GError   **error)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per line"), NULL },
    { NULL }
  };
  PigeonAccount *account;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(GPtrArray) list = NULL;

  if (!pigeonctl_parse_options (ctl, entries, "ACCOUNT", 1, 1, error))
    return FALSE;
  if ((account = pigeonctl_find_account (ctl, ctl->argv[1], error)) == NULL ||
      (store = pigeonctl_open_store (ctl, account, error)) == NULL ||
      (list = pigeon_store_outbox_list (store, error)) == NULL)
    return FALSE;

  for (guint i = 0; i < list->len; i++)
    {
      PigeonOutboxEntry *entry = g_ptr_array_index (list, i);
      g_autofree char *when = pigeonctl_format_date (entry->send_after);

      if (json)
        {
          g_autoptr(GString) out = g_string_new (NULL);

          g_string_append_printf (out, "{\"id\":%" G_GINT64_FORMAT ",\"state\":\"%s\","
                                  "\"attempts\":%u,\"send_after\":", entry->id,
                                  state_name (entry->state), entry->attempts);
          pigeonctl_json_string (out, when);
          g_string_append (out, ",\"message_id\":");
          pigeonctl_json_string (out, entry->message_id);
          g_string_append (out, ",\"subject\":");
          pigeonctl_json_string (out, entry->subject);
          g_string_append (out, ",\"last_error\":");
          pigeonctl_json_string (out, entry->last_error);
          g_string_append_c (out, '}');
          printf ("%s\n", out->str);
        }
      else
        {
          printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", entry->id, state_name (entry->state),
                  when != NULL ? when : "-", entry->subject != NULL ? entry->subject : "",
                  entry->last_error != NULL ? entry->last_error : "");
        }
    }
  return TRUE;
}

const PigeonCtlCommand pigeonctl_send_commands[] = {
  { "send", "ACCOUNT [--queued] < message.eml",
    N_("Send a message through the outbox (or send what waits there)"), cmd_send },
  { "outbox", "ACCOUNT [--json]", N_("The messages waiting in the outbox"), cmd_outbox },
  { NULL }
};
