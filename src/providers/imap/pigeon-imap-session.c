/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-command-private.h"
#include "pigeon-imap-session.h"
#include "pigeon-imap-uidset.h"

/* LITERAL- (RFC 7888) allows non-synchronising literals up to this size. */
#define LITERAL_MINUS_MAX 4096

struct _PigeonImapSession
{
  GObject parent_instance;

  const PigeonImapIoFuncs *funcs;
  gpointer io;
  GDestroyNotify io_free;
  PigeonImapParser *parser;

  PigeonImapState state;
  GHashTable *capabilities;   /* upper-case names */
  guint capability_serial;
  GHashTable *enabled;
  PigeonImapSelected selected;

  guint tag_counter;
  GPtrArray *in_flight;       /* PigeonImapCommand*, oldest first */
  PigeonImapCommand *waiting_continuation;

  PigeonImapUnsolicitedFunc unsolicited_func;
  gpointer unsolicited_data;

  char *bye_text;
  gboolean logging_out;
  GError *broken;             /* the failure that broke the session */
};

G_DEFINE_FINAL_TYPE (PigeonImapSession, pigeon_imap_session, G_TYPE_OBJECT)

static void
pigeon_imap_session_finalize (GObject *object)
{
  PigeonImapSession *self = (PigeonImapSession *) object;

  if (self->io != NULL && self->broken == NULL)
    self->funcs->close (self->io);
  if (self->io_free != NULL)
    self->io_free (self->io);
  pigeon_imap_parser_free (self->parser);
  g_hash_table_unref (self->capabilities);
  g_hash_table_unref (self->enabled);
  g_free (self->selected.mailbox);
  g_ptr_array_unref (self->in_flight);
  g_free (self->bye_text);
  g_clear_error (&self->broken);

  G_OBJECT_CLASS (pigeon_imap_session_parent_class)->finalize (object);
}

static void
pigeon_imap_session_class_init (PigeonImapSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pigeon_imap_session_finalize;
}

static void
pigeon_imap_session_init (PigeonImapSession *self)
{
  self->capabilities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->enabled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->in_flight = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_command_unref);
}

PigeonImapSession *
pigeon_imap_session_new (const PigeonImapIoFuncs *funcs,
                         gpointer                 io,
                         GDestroyNotify           io_free,
                         const PigeonImapLimits  *limits)
{
  PigeonImapSession *self;

  g_return_val_if_fail (funcs != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_IMAP_SESSION, NULL);
  self->funcs = funcs;
  self->io = io;
  self->io_free = io_free;
  self->parser = pigeon_imap_parser_new (limits);
  return self;
}

void
pigeon_imap_session_set_unsolicited_func (PigeonImapSession        *self,
                                          PigeonImapUnsolicitedFunc func,
                                          gpointer                  user_data)
{
  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));

  self->unsolicited_func = func;
  self->unsolicited_data = user_data;
}

/* ------------------------------------------------------------------ breaking */

static gboolean
check_usable (PigeonImapSession *self,
              GError           **error)
{
  if (self->broken == NULL)
    return TRUE;
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                       self->broken->message);
  return FALSE;
}

/* Takes ERROR (a read, write or parse failure), closes the transport and propagates it;
 * a connection the server announced it would close reports the server's words. */
static gboolean
break_session (PigeonImapSession *self,
               GError            *error,
               GError           **out_error)
{
  g_assert (error != NULL);

  if (self->broken == NULL)
    {
      if (self->bye_text != NULL && !self->logging_out &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GError *bye = g_error_new (PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                                     _("The server closed the connection: %s"),
                                     self->bye_text);
          g_error_free (error);
          error = bye;
        }
      self->broken = g_error_copy (error);
      self->funcs->close (self->io);
      self->state = PIGEON_IMAP_STATE_LOGOUT;
    }
  g_propagate_error (out_error, error);
  return FALSE;
}

gboolean
pigeon_imap_session_is_broken (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), TRUE);
  return self->broken != NULL;
}

void
pigeon_imap_session_close (PigeonImapSession *self)
{
  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));

  self->funcs->close (self->io);
}

/* ------------------------------------------------------------------ state */

PigeonImapState
pigeon_imap_session_get_state (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), PIGEON_IMAP_STATE_LOGOUT);
  return self->state;
}

void
pigeon_imap_session_set_state (PigeonImapSession *self,
                               PigeonImapState    state)
{
  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));
  self->state = state;
}

gboolean
pigeon_imap_session_has_capability (PigeonImapSession *self,
                                    const char        *name)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  upper = g_ascii_strup (name, -1);
  return g_hash_table_contains (self->capabilities, upper);
}

gboolean
pigeon_imap_session_has_capability_prefix (PigeonImapSession *self,
                                           const char        *prefix)
{
  GHashTableIter iter;
  gpointer key;
  gsize length = strlen (prefix);

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  g_hash_table_iter_init (&iter, self->capabilities);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_ascii_strncasecmp (key, prefix, length) == 0)
      return TRUE;
  return FALSE;
}

gboolean
pigeon_imap_session_has_capabilities (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  return g_hash_table_size (self->capabilities) > 0;
}

char **
pigeon_imap_session_dup_capability_values (PigeonImapSession *self,
                                           const char        *prefix)
{
  GHashTableIter iter;
  gpointer key;
  gsize length = strlen (prefix);
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), NULL);

  g_hash_table_iter_init (&iter, self->capabilities);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_ascii_strncasecmp (key, prefix, length) == 0)
      g_ptr_array_add (out, g_strdup ((const char *) key + length));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

guint
pigeon_imap_session_get_capability_serial (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), 0);
  return self->capability_serial;
}

void
pigeon_imap_session_clear_capabilities (PigeonImapSession *self)
{
  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));
  g_hash_table_remove_all (self->capabilities);
}

gboolean
pigeon_imap_session_uses_utf8_names (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  /* A server that speaks only IMAP4rev2 names mailboxes in UTF-8; so does one after
   * ENABLE UTF8=ACCEPT.  Otherwise names are modified UTF-7. */
  return (g_hash_table_contains (self->capabilities, "IMAP4REV2") &&
          !g_hash_table_contains (self->capabilities, "IMAP4REV1")) ||
         g_hash_table_contains (self->enabled, "UTF8=ACCEPT");
}

gboolean
pigeon_imap_session_is_enabled (PigeonImapSession *self,
                                const char        *extension)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  upper = g_ascii_strup (extension, -1);
  return g_hash_table_contains (self->enabled, upper);
}

const PigeonImapSelected *
pigeon_imap_session_get_selected (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), NULL);
  return &self->selected;
}

guint
pigeon_imap_session_get_n_in_flight (PigeonImapSession *self)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), 0);
  return self->in_flight->len;
}

static void
set_capabilities (PigeonImapSession     *self,
                  const PigeonImapValue *list)
{
  /* IMAP4rev2 (RFC 9051) includes these whether or not the server lists them. */
  static const char *rev2[] = {
    "NAMESPACE", "UNSELECT", "UIDPLUS", "ESEARCH", "ENABLE", "IDLE", "SASL-IR",
    "LIST-EXTENDED", "LIST-STATUS", "MOVE", "LITERAL-", "SPECIAL-USE",
  };

  self->capability_serial++;
  g_hash_table_remove_all (self->capabilities);
  for (guint i = 0; i < pigeon_imap_value_get_n_items (list); i++)
    {
      const char *atom = pigeon_imap_value_get_atom (pigeon_imap_value_get_item (list, i));

      if (atom != NULL)
        g_hash_table_add (self->capabilities, g_ascii_strup (atom, -1));
    }
  if (g_hash_table_contains (self->capabilities, "IMAP4REV2"))
    for (guint i = 0; i < G_N_ELEMENTS (rev2); i++)
      g_hash_table_add (self->capabilities, g_strdup (rev2[i]));
}

static void
reset_selected (PigeonImapSession *self)
{
  g_clear_pointer (&self->selected.mailbox, g_free);
  memset (&self->selected, 0, sizeof self->selected);
}

/* Response codes, in tagged and untagged status responses alike. */
static void
handle_code (PigeonImapSession  *self,
             PigeonImapResponse *response)
{
  const char *code = response->code;
  PigeonImapValue *arg;

  if (code == NULL)
    return;
  arg = pigeon_imap_value_get_item (response->code_args, 0);
  if (strcmp (code, "CAPABILITY") == 0 && response->code_args != NULL)
    set_capabilities (self, response->code_args);
  else if (strcmp (code, "UIDVALIDITY") == 0)
    pigeon_imap_value_get_uint32 (arg, &self->selected.uidvalidity);
  else if (strcmp (code, "UIDNEXT") == 0)
    pigeon_imap_value_get_uint32 (arg, &self->selected.uidnext);
  else if (strcmp (code, "HIGHESTMODSEQ") == 0)
    pigeon_imap_value_get_uint64 (arg, &self->selected.highestmodseq);
  else if (strcmp (code, "NOMODSEQ") == 0)
    self->selected.nomodseq = TRUE;
  else if (strcmp (code, "READ-ONLY") == 0)
    self->selected.read_only = TRUE;
  else if (strcmp (code, "ALERT") == 0)
    g_message ("The server says: %s", response->text);
}

/* What every untagged response tells the session itself. */
static void
handle_untagged (PigeonImapSession  *self,
                 PigeonImapResponse *response)
{
  const char *name = response->name;

  if (response->status != PIGEON_IMAP_STATUS_NONE)
    {
      handle_code (self, response);
      if (response->status == PIGEON_IMAP_STATUS_BYE)
        {
          g_free (self->bye_text);
          self->bye_text = g_strdup (response->text);
        }
      return;
    }
  if (strcmp (name, "CAPABILITY") == 0)
    set_capabilities (self, response->args);
  else if (strcmp (name, "ENABLED") == 0)
    {
      for (guint i = 0; i < pigeon_imap_response_get_n_args (response); i++)
        {
          PigeonImapValue *arg = pigeon_imap_response_get_arg (response, i);
          const char *atom = pigeon_imap_value_get_atom (arg);

          if (atom != NULL)
            g_hash_table_add (self->enabled, g_ascii_strup (atom, -1));
        }
    }
  else if (strcmp (name, "EXISTS") == 0 && response->has_number)
    self->selected.exists = response->number;
  else if (strcmp (name, "EXPUNGE") == 0 && response->has_number)
    {
      if (self->selected.exists > 0)
        self->selected.exists--;
    }
  else if (strcmp (name, "VANISHED") == 0 && pigeon_imap_response_get_n_args (response) == 1)
    {
      /* VANISHED without (EARLIER) replaces EXPUNGE once QRESYNC is on. */
      const char *set = pigeon_imap_value_get_atom (pigeon_imap_response_get_arg (response, 0));
      g_autoptr(GArray) ranges = set != NULL ? pigeon_imap_uidset_parse (set, 0) : NULL;
      guint64 count = pigeon_imap_uidset_count (ranges);

      self->selected.exists = count < self->selected.exists
                                ? self->selected.exists - (guint32) count : 0;
    }
}

/* ------------------------------------------------------------------ reading */

static PigeonImapCommand *
find_in_flight (PigeonImapSession *self,
                const char        *tag,
                guint             *index)
{
  for (guint i = 0; i < self->in_flight->len; i++)
    {
      PigeonImapCommand *command = g_ptr_array_index (self->in_flight, i);

      if (g_strcmp0 (command->tag, tag) == 0)
        {
          *index = i;
          return command;
        }
    }
  return NULL;
}

static gboolean
protocol_error (PigeonImapSession *self,
                GError           **error,
                const char        *why)
{
  return break_session (self,
                        g_error_new (PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                                     _("The server sent a reply Pigeon cannot read (%s)."), why),
                        error);
}

static gboolean
dispatch (PigeonImapSession  *self,
          PigeonImapResponse *response,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autoptr(PigeonImapResponse) owned = response;

  switch (response->kind)
    {
    case PIGEON_IMAP_RESPONSE_CONTINUATION:
      {
        PigeonImapCommand *command = self->waiting_continuation;

        if (command == NULL)
          return protocol_error (self, error, _("a continuation nobody asked for"));
        if (command->awaiting_literal)
          {
            command->awaiting_literal = FALSE;
            command->got_continuation = TRUE;
            self->waiting_continuation = NULL;
            return TRUE;
          }
        if (command->continuation_func == NULL)
          return protocol_error (self, error, _("a continuation nobody asked for"));
        return command->continuation_func (self, command, response, command->continuation_data,
                                           cancellable, error);
      }

    case PIGEON_IMAP_RESPONSE_TAGGED:
      {
        guint index;
        PigeonImapCommand *command = find_in_flight (self, response->tag, &index);

        if (command == NULL)
          return protocol_error (self, error, _("an answer to a command never sent"));
        handle_code (self, response);
        command->response = g_steal_pointer (&owned);
        command->done = TRUE;
        if (self->waiting_continuation == command)
          self->waiting_continuation = NULL;
        g_ptr_array_remove_index (self->in_flight, index);
        return TRUE;
      }

    case PIGEON_IMAP_RESPONSE_UNTAGGED:
    default:
      handle_untagged (self, response);
      for (guint i = 0; i < self->in_flight->len; i++)
        {
          PigeonImapCommand *command = g_ptr_array_index (self->in_flight, i);

          if (command->untagged_func != NULL &&
              command->untagged_func (command, response, command->untagged_data))
            return TRUE;
        }
      if (self->unsolicited_func != NULL)
        self->unsolicited_func (self, response, self->unsolicited_data);
      return TRUE;
    }
}

static gboolean
read_response (PigeonImapSession *self,
               gboolean           interruptible,
               GCancellable      *cancellable,
               GError           **error)
{
  PigeonImapParseResult result;
  GError *local_error = NULL;
  g_autofree char *line = NULL;
  gsize length;

  if (!check_usable (self, error))
    return FALSE;

  line = self->funcs->read_line (self->io, &length, cancellable, &local_error);
  if (line == NULL)
    {
      /* Nothing of a response was consumed: the stream is still in step. */
      if (interruptible &&
          (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
           g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT)))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      return break_session (self, local_error, error);
    }
  result = pigeon_imap_parser_feed_line (self->parser, line, length, &local_error);

  while (result == PIGEON_IMAP_PARSE_NEED_LITERAL || result == PIGEON_IMAP_PARSE_NEED_LINE)
    {
      if (result == PIGEON_IMAP_PARSE_NEED_LITERAL)
        {
          g_autoptr(GBytes) bytes = NULL;
          gsize size = pigeon_imap_parser_get_literal_size (self->parser);

          bytes = self->funcs->read_bytes (self->io, size, cancellable, &local_error);
          if (bytes == NULL)
            {
              pigeon_imap_parser_reset (self->parser);
              return break_session (self, local_error, error);
            }
          result = pigeon_imap_parser_feed_literal (self->parser, bytes, &local_error);
        }
      else
        {
          g_free (line);
          line = self->funcs->read_line (self->io, &length, cancellable, &local_error);
          if (line == NULL)
            {
              pigeon_imap_parser_reset (self->parser);
              return break_session (self, local_error, error);
            }
          result = pigeon_imap_parser_feed_line (self->parser, line, length, &local_error);
        }
    }
  if (result == PIGEON_IMAP_PARSE_ERROR)
    return break_session (self, local_error, error);

  return dispatch (self, pigeon_imap_parser_steal_response (self->parser), cancellable, error);
}

gboolean
pigeon_imap_session_read_response (PigeonImapSession *self,
                                   GCancellable      *cancellable,
                                   GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  return read_response (self, FALSE, cancellable, error);
}

gboolean
pigeon_imap_session_read_interruptible (PigeonImapSession *self,
                                        GCancellable      *cancellable,
                                        GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  return read_response (self, TRUE, cancellable, error);
}

gboolean
pigeon_imap_session_read_greeting (PigeonImapSession *self,
                                   GCancellable      *cancellable,
                                   GError           **error)
{
  PigeonImapResponse *response;
  GError *local_error = NULL;
  g_autofree char *line = NULL;
  gsize length;
  PigeonImapParseResult result;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (!check_usable (self, error))
    return FALSE;
  line = self->funcs->read_line (self->io, &length, cancellable, &local_error);
  if (line == NULL)
    return break_session (self, local_error, error);
  result = pigeon_imap_parser_feed_line (self->parser, line, length, &local_error);
  if (result == PIGEON_IMAP_PARSE_ERROR)
    return break_session (self, local_error, error);
  if (result != PIGEON_IMAP_PARSE_COMPLETE)
    {
      pigeon_imap_parser_reset (self->parser);
      return protocol_error (self, error, _("a greeting that is not a status"));
    }
  response = pigeon_imap_parser_steal_response (self->parser);
  if (response->kind != PIGEON_IMAP_RESPONSE_UNTAGGED ||
      (response->status != PIGEON_IMAP_STATUS_OK &&
       response->status != PIGEON_IMAP_STATUS_PREAUTH &&
       response->status != PIGEON_IMAP_STATUS_BYE))
    {
      pigeon_imap_response_free (response);
      return protocol_error (self, error, _("a greeting that is not a status"));
    }
  handle_code (self, response);
  if (response->status == PIGEON_IMAP_STATUS_BYE)
    {
      GError *bye = g_error_new (PIGEON_ERROR, PIGEON_ERROR_SERVER,
                                 _("The server refused the connection: %s"), response->text);

      pigeon_imap_response_free (response);
      return break_session (self, bye, error);
    }
  if (response->status == PIGEON_IMAP_STATUS_PREAUTH)
    self->state = PIGEON_IMAP_STATE_AUTHENTICATED;
  else
    self->state = PIGEON_IMAP_STATE_NOT_AUTHENTICATED;
  pigeon_imap_response_free (response);
  return TRUE;
}

/* ------------------------------------------------------------------ writing */

static gboolean
io_write (PigeonImapSession *self,
          const void        *data,
          gsize              length,
          GCancellable      *cancellable,
          GError           **error)
{
  GError *local_error = NULL;

  if (!self->funcs->write (self->io, data, length, cancellable, &local_error))
    return break_session (self, local_error, error);
  return TRUE;
}

gboolean
pigeon_imap_session_flush (PigeonImapSession *self,
                           GCancellable      *cancellable,
                           GError           **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (!check_usable (self, error))
    return FALSE;
  if (!self->funcs->flush (self->io, cancellable, &local_error))
    return break_session (self, local_error, error);
  return TRUE;
}

static gboolean
io_write_line (PigeonImapSession *self,
               const char        *line,
               GCancellable      *cancellable,
               GError           **error)
{
  GError *local_error = NULL;

  if (!self->funcs->write_line (self->io, line, cancellable, &local_error))
    return break_session (self, local_error, error);
  return TRUE;
}

gboolean
pigeon_imap_session_write_line (PigeonImapSession *self,
                                const char        *line,
                                gboolean           secret,
                                GCancellable      *cancellable,
                                GError           **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (!check_usable (self, error))
    return FALSE;
  if (secret)
    {
      if (!self->funcs->write_secret_line (self->io, line, "", cancellable, &local_error))
        return break_session (self, local_error, error);
      return TRUE;
    }
  return io_write_line (self, line, cancellable, error);
}

/* Sends a synchronising literal's announcement and waits for the server's go-ahead.
 * FALSE without error when the server refused the command instead. */
static gboolean
wait_for_literal_go_ahead (PigeonImapSession *self,
                           PigeonImapCommand *command,
                           GCancellable      *cancellable,
                           GError           **error)
{
  if (!pigeon_imap_session_flush (self, cancellable, error))
    return FALSE;
  command->awaiting_literal = TRUE;
  command->got_continuation = FALSE;
  self->waiting_continuation = command;
  while (!command->got_continuation && !command->done)
    {
      if (!pigeon_imap_session_read_response (self, cancellable, error))
        return FALSE;
    }
  command->awaiting_literal = FALSE;
  return command->got_continuation;
}

gboolean
pigeon_imap_session_send (PigeonImapSession *self,
                          PigeonImapCommand *command,
                          GCancellable      *cancellable,
                          GError           **error)
{
  gboolean non_sync_any;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  g_return_val_if_fail (command != NULL, FALSE);
  g_return_val_if_fail (command->tag == NULL, FALSE);

  if (!check_usable (self, error))
    return FALSE;

  command->tag = g_strdup_printf ("A%u", ++self->tag_counter);
  g_ptr_array_add (self->in_flight, pigeon_imap_command_ref (command));

  if (command->secret_prefix != NULL)
    {
      PigeonImapCommandPart *part = g_ptr_array_index (command->parts, 0);
      g_autofree char *line = g_strdup_printf ("%s %s", command->tag, part->text->str);
      g_autofree char *prefix = g_strdup_printf ("%s %s ", command->tag, command->secret_prefix);
      GError *local_error = NULL;
      gboolean ok;

      ok = self->funcs->write_secret_line (self->io, line, prefix, cancellable, &local_error);
      explicit_bzero (line, strlen (line));
      if (!ok)
        return break_session (self, local_error, error);
    }
  else
    {
      /* Whole lines, each ending where a literal's bytes follow. */
      g_autoptr(GString) line = g_string_new (command->tag);

      non_sync_any = pigeon_imap_session_has_capability (self, "LITERAL+");
      g_string_append_c (line, ' ');
      for (guint i = 0; i < command->parts->len; i++)
        {
          PigeonImapCommandPart *part = g_ptr_array_index (command->parts, i);
          gsize size;
          gboolean non_sync;

          g_string_append_len (line, part->text->str, (gssize) part->text->len);
          if (part->literal == NULL)
            continue;
          size = g_bytes_get_size (part->literal);
          non_sync = non_sync_any ||
                     (pigeon_imap_session_has_capability (self, "LITERAL-") &&
                      size <= LITERAL_MINUS_MAX);
          g_string_append_printf (line, "{%" G_GSIZE_FORMAT "%s}", size, non_sync ? "+" : "");
          if (!io_write_line (self, line->str, cancellable, error))
            return FALSE;
          g_string_truncate (line, 0);
          if (!non_sync && !wait_for_literal_go_ahead (self, command, cancellable, error))
            return command->done;
          if (!io_write (self, g_bytes_get_data (part->literal, NULL), size, cancellable, error))
            return FALSE;
        }
      if (!io_write_line (self, line->str, cancellable, error))
        return FALSE;
    }
  if (command->continuation_func != NULL)
    self->waiting_continuation = command;
  return TRUE;
}

gboolean
pigeon_imap_session_wait (PigeonImapSession *self,
                          PigeonImapCommand *command,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  g_return_val_if_fail (command != NULL, FALSE);

  if (command->done)
    return TRUE;
  if (!pigeon_imap_session_flush (self, cancellable, error))
    return FALSE;
  while (!command->done)
    {
      if (!pigeon_imap_session_read_response (self, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_imap_session_run (PigeonImapSession *self,
                         PigeonImapCommand *command,
                         GCancellable      *cancellable,
                         GError           **error)
{
  return pigeon_imap_session_send (self, command, cancellable, error) &&
         pigeon_imap_session_wait (self, command, cancellable, error) &&
         pigeon_imap_command_check (command, error);
}

gboolean
pigeon_imap_session_run_simple (PigeonImapSession *self,
                                const char        *text,
                                GCancellable      *cancellable,
                                GError           **error)
{
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new (text);

  return pigeon_imap_session_run (self, command, cancellable, error);
}

/* ------------------------------------------------------------------ mailbox selection */

gboolean
pigeon_imap_session_select (PigeonImapSession      *self,
                            const char             *mailbox,
                            gboolean                read_only,
                            const char             *params,
                            PigeonImapUntaggedFunc  untagged_func,
                            gpointer                user_data,
                            GCancellable           *cancellable,
                            GError                **error)
{
  g_autoptr(PigeonImapCommand) command = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);
  g_return_val_if_fail (mailbox != NULL, FALSE);

  command = pigeon_imap_command_new (read_only ? "EXAMINE" : "SELECT");
  pigeon_imap_command_add_astring (command, mailbox);
  if (params != NULL)
    pigeon_imap_command_add_text (command, " %s", params);
  pigeon_imap_command_set_untagged_func (command, untagged_func, user_data);

  reset_selected (self);
  if (!pigeon_imap_session_send (self, command, cancellable, error) ||
      !pigeon_imap_session_wait (self, command, cancellable, error))
    return FALSE;
  if (!pigeon_imap_command_check (command, error))
    {
      reset_selected (self);
      if (self->state == PIGEON_IMAP_STATE_SELECTED)
        self->state = PIGEON_IMAP_STATE_AUTHENTICATED;
      return FALSE;
    }
  self->selected.mailbox = g_strdup (mailbox);
  if (read_only)
    self->selected.read_only = TRUE;
  if (self->selected.nomodseq)
    self->selected.highestmodseq = 0;
  self->state = PIGEON_IMAP_STATE_SELECTED;
  return TRUE;
}

gboolean
pigeon_imap_session_unselect (PigeonImapSession *self,
                              GCancellable      *cancellable,
                              GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (self->state != PIGEON_IMAP_STATE_SELECTED)
    return TRUE;
  if (pigeon_imap_session_has_capability (self, "UNSELECT"))
    {
      if (!pigeon_imap_session_run_simple (self, "UNSELECT", cancellable, error))
        return FALSE;
    }
  else
    {
      g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("EXAMINE");
      g_autofree char *nowhere = g_strdup_printf ("\"pigeon-unselect-%08x\"", g_random_int ());

      /* Selecting a mailbox that does not exist fails and leaves nothing selected. */
      pigeon_imap_command_add_text (command, " %s", nowhere);
      if (!pigeon_imap_session_send (self, command, cancellable, error) ||
          !pigeon_imap_session_wait (self, command, cancellable, error))
        return FALSE;
    }
  reset_selected (self);
  self->state = PIGEON_IMAP_STATE_AUTHENTICATED;
  return TRUE;
}

/* ------------------------------------------------------------------ transport changes */

gboolean
pigeon_imap_session_start_tls (PigeonImapSession *self,
                               GCancellable      *cancellable,
                               GError           **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (!check_usable (self, error))
    return FALSE;
  if (!self->funcs->start_tls (self->io, cancellable, &local_error))
    return break_session (self, local_error, error);
  /* Whatever was announced before the handshake may have been forged. */
  pigeon_imap_session_clear_capabilities (self);
  return TRUE;
}

gboolean
pigeon_imap_session_start_compression (PigeonImapSession *self,
                                       GError           **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (PIGEON_IS_IMAP_SESSION (self), FALSE);

  if (!check_usable (self, error))
    return FALSE;
  if (!self->funcs->start_compression (self->io, &local_error))
    return break_session (self, local_error, error);
  return TRUE;
}

void
pigeon_imap_session_set_read_timeout (PigeonImapSession *self,
                                      guint              seconds)
{
  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));

  if (self->funcs->set_read_timeout != NULL)
    self->funcs->set_read_timeout (self->io, seconds);
}

void
pigeon_imap_session_logout (PigeonImapSession *self,
                            GCancellable      *cancellable)
{
  g_autoptr(PigeonImapCommand) command = NULL;

  g_return_if_fail (PIGEON_IS_IMAP_SESSION (self));

  if (self->broken == NULL)
    {
      command = pigeon_imap_command_new ("LOGOUT");
      self->logging_out = TRUE;
      pigeon_imap_session_set_read_timeout (self, 5);
      if (pigeon_imap_session_send (self, command, cancellable, NULL))
        pigeon_imap_session_wait (self, command, cancellable, NULL);
    }
  if (self->broken == NULL)
    {
      self->funcs->close (self->io);
      self->broken = g_error_new_literal (PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                                          _("The connection was closed."));
    }
  self->state = PIGEON_IMAP_STATE_LOGOUT;
}
