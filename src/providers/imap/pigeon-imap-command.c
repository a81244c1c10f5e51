/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-command-private.h"

static void
part_free (gpointer data)
{
  PigeonImapCommandPart *part = data;

  g_string_free (part->text, TRUE);
  g_clear_pointer (&part->literal, g_bytes_unref);
  g_free (part);
}

static PigeonImapCommandPart *
last_part (PigeonImapCommand *command)
{
  return g_ptr_array_index (command->parts, command->parts->len - 1);
}

PigeonImapCommand *
pigeon_imap_command_new (const char *name)
{
  PigeonImapCommand *command = g_new0 (PigeonImapCommand, 1);
  PigeonImapCommandPart *part = g_new0 (PigeonImapCommandPart, 1);

  g_return_val_if_fail (name != NULL, NULL);

  g_atomic_ref_count_init (&command->ref_count);
  command->name = g_strdup (name);
  command->parts = g_ptr_array_new_with_free_func (part_free);
  part->text = g_string_new (name);
  g_ptr_array_add (command->parts, part);
  return command;
}

PigeonImapCommand *
pigeon_imap_command_ref (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);

  g_atomic_ref_count_inc (&command->ref_count);
  return command;
}

void
pigeon_imap_command_unref (PigeonImapCommand *command)
{
  g_return_if_fail (command != NULL);

  if (!g_atomic_ref_count_dec (&command->ref_count))
    return;
  g_free (command->name);
  if (command->secret_prefix != NULL)
    {
      /* The line held a credential. */
      for (guint i = 0; i < command->parts->len; i++)
        {
          PigeonImapCommandPart *part = g_ptr_array_index (command->parts, i);

          explicit_bzero (part->text->str, part->text->len);
        }
      g_free (command->secret_prefix);
    }
  g_ptr_array_unref (command->parts);
  g_free (command->tag);
  g_clear_pointer (&command->response, pigeon_imap_response_free);
  g_free (command);
}

void
pigeon_imap_command_add_text (PigeonImapCommand *command,
                              const char        *format,
                              ...)
{
  va_list args;

  g_return_if_fail (command != NULL);

  va_start (args, format);
  g_string_append_vprintf (last_part (command)->text, format, args);
  va_end (args);
}

static gboolean
is_plain_atom (const char *str)
{
  if (*str == '\0' || g_ascii_strcasecmp (str, "NIL") == 0)
    return FALSE;
  for (const char *p = str; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c <= 0x20 || c >= 0x7f || strchr ("(){%*\"\\]", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_quotable (const char *str)
{
  for (const char *p = str; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c == '\r' || c == '\n' || c >= 0x80)
        return FALSE;
    }
  return TRUE;
}

void
pigeon_imap_command_add_astring (PigeonImapCommand *command,
                                 const char        *str)
{
  GString *text;

  g_return_if_fail (command != NULL);
  g_return_if_fail (str != NULL);

  if (!is_plain_atom (str) && !is_quotable (str))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (str, strlen (str));

      pigeon_imap_command_add_literal (command, bytes);
      return;
    }
  text = last_part (command)->text;
  g_string_append_c (text, ' ');
  if (is_plain_atom (str))
    {
      g_string_append (text, str);
      return;
    }
  g_string_append_c (text, '"');
  for (const char *p = str; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (text, '\\');
      g_string_append_c (text, *p);
    }
  g_string_append_c (text, '"');
}

void
pigeon_imap_command_add_literal (PigeonImapCommand *command,
                                 GBytes            *data)
{
  PigeonImapCommandPart *part;

  g_return_if_fail (command != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (command->secret_prefix == NULL);

  part = last_part (command);
  g_string_append_c (part->text, ' ');
  part->literal = g_bytes_ref (data);
  part = g_new0 (PigeonImapCommandPart, 1);
  part->text = g_string_new (NULL);
  g_ptr_array_add (command->parts, part);
}

void
pigeon_imap_command_set_secret (PigeonImapCommand *command,
                                const char        *trace_prefix)
{
  g_return_if_fail (command != NULL);
  g_return_if_fail (command->parts->len == 1);

  g_free (command->secret_prefix);
  command->secret_prefix = g_strdup (trace_prefix);
}

void
pigeon_imap_command_set_untagged_func (PigeonImapCommand      *command,
                                       PigeonImapUntaggedFunc  func,
                                       gpointer                user_data)
{
  g_return_if_fail (command != NULL);

  command->untagged_func = func;
  command->untagged_data = user_data;
}

void
pigeon_imap_command_set_continuation_func (PigeonImapCommand          *command,
                                           PigeonImapContinuationFunc  func,
                                           gpointer                    user_data)
{
  g_return_if_fail (command != NULL);

  command->continuation_func = func;
  command->continuation_data = user_data;
}

const char *
pigeon_imap_command_get_name (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->name;
}

const char *
pigeon_imap_command_get_tag (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->tag;
}

gboolean
pigeon_imap_command_is_done (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, FALSE);
  return command->done;
}

PigeonImapResponse *
pigeon_imap_command_get_response (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->response;
}

PigeonImapStatus
pigeon_imap_command_get_status (PigeonImapCommand *command)
{
  g_return_val_if_fail (command != NULL, PIGEON_IMAP_STATUS_NONE);
  return command->response != NULL ? command->response->status : PIGEON_IMAP_STATUS_NONE;
}

static PigeonErrorCode
code_to_error (const char *code)
{
  static const struct { const char *code; PigeonErrorCode error; } table[] = {
    { "AUTHENTICATIONFAILED", PIGEON_ERROR_AUTH },
    { "AUTHORIZATIONFAILED", PIGEON_ERROR_AUTH },
    { "EXPIRED", PIGEON_ERROR_AUTH },
    { "CONTACTADMIN", PIGEON_ERROR_AUTH },
    { "PRIVACYREQUIRED", PIGEON_ERROR_AUTH },
    { "UNAVAILABLE", PIGEON_ERROR_SERVER },
    { "SERVERBUG", PIGEON_ERROR_SERVER },
    { "INUSE", PIGEON_ERROR_IN_USE },
    { "NONEXISTENT", PIGEON_ERROR_NOT_FOUND },
    { "TRYCREATE", PIGEON_ERROR_NOT_FOUND },
    { "OVERQUOTA", PIGEON_ERROR_TOO_BIG },
    { "LIMIT", PIGEON_ERROR_TOO_BIG },
    { "TOOBIG", PIGEON_ERROR_TOO_BIG },
  };

  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (table); i++)
    if (strcmp (code, table[i].code) == 0)
      return table[i].error;
  return PIGEON_ERROR_FAILED;
}

gboolean
pigeon_imap_command_check (PigeonImapCommand *command,
                           GError           **error)
{
  PigeonImapResponse *response;

  g_return_val_if_fail (command != NULL, FALSE);

  response = command->response;
  if (response != NULL && response->status == PIGEON_IMAP_STATUS_OK)
    return TRUE;
  if (response == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                   _("The server did not answer %s."), command->name);
      return FALSE;
    }
  if (response->status == PIGEON_IMAP_STATUS_BAD)
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                 _("The server did not accept %s: %s"), command->name, response->text);
  else
    g_set_error (error, PIGEON_ERROR, code_to_error (response->code),
                 _("The server refused %s: %s"), command->name, response->text);
  return FALSE;
}
