/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-script.h"
#include "pigeon-error.h"

struct _ImapScript
{
  GPtrArray *lines;
  guint position;
  GByteArray *to_client;     /* server output not read yet */
  GByteArray *unflushed;     /* client output not flushed yet */
  GByteArray *to_server;     /* flushed client output not matched yet */
  gboolean closed;
  gboolean session_owns;
};

ImapScript *
imap_script_new (const char * const *lines)
{
  ImapScript *script = g_new0 (ImapScript, 1);

  script->lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    g_ptr_array_add (script->lines, g_strdup (lines[i]));
  script->to_client = g_byte_array_new ();
  script->unflushed = g_byte_array_new ();
  script->to_server = g_byte_array_new ();
  return script;
}

void
imap_script_free (ImapScript *script)
{
  if (script == NULL)
    return;
  g_ptr_array_unref (script->lines);
  g_byte_array_unref (script->to_client);
  g_byte_array_unref (script->unflushed);
  g_byte_array_unref (script->to_server);
  g_free (script);
}

/* Takes the next flushed client line, or NULL. */
static char *
take_client_line (ImapScript *script)
{
  guint8 *eol = script->to_server->len > 0
                  ? memchr (script->to_server->data, '\n', script->to_server->len) : NULL;
  gsize length;
  char *line;

  if (eol == NULL)
    return NULL;
  length = (gsize) (eol - script->to_server->data);
  g_assert_true (length > 0 && script->to_server->data[length - 1] == '\r');
  line = g_strndup ((const char *) script->to_server->data, length - 1);
  g_byte_array_remove_range (script->to_server, 0, (guint) length + 1);
  return line;
}

/* Plays the script until the client has something to read; FALSE when it waits on the
 * client. */
static gboolean
run_server (ImapScript *script,
            GError    **error)
{
  while (script->position < script->lines->len)
    {
      const char *step = g_ptr_array_index (script->lines, script->position);

      if (g_str_has_prefix (step, "S: "))
        {
          g_byte_array_append (script->to_client, (const guint8 *) step + 3, strlen (step + 3));
          g_byte_array_append (script->to_client, (const guint8 *) "\r\n", 2);
        }
      else if (g_str_has_prefix (step, "C: "))
        {
          g_autofree char *line = take_client_line (script);

          if (line == NULL)
            {
              if (script->to_client->len > 0)
                return TRUE;
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                           "The script waits for the client to send “%s”", step + 3);
              return FALSE;
            }
          g_assert_cmpstr (line, ==, step + 3);
        }
      else if (strcmp (step, "X:") == 0)
        {
          script->position++;
          script->closed = TRUE;
          return TRUE;
        }
      else if (strcmp (step, "T:") == 0 || strcmp (step, "Z:") == 0)
        {
          /* A client read here means it skipped the upgrade. */
          if (script->to_client->len > 0)
            return TRUE;
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                       "The script waits for the client to upgrade (%s)", step);
          return FALSE;
        }
      else
        g_error ("bad script line “%s”", step);
      script->position++;
    }
  return TRUE;
}

static gboolean
ensure_input (ImapScript *script,
              gsize       needed,
              gboolean    line,
              GError    **error)
{
  for (;;)
    {
      if (line ? (script->to_client->len > 0 &&
                  memchr (script->to_client->data, '\n', script->to_client->len) != NULL)
               : script->to_client->len >= needed)
        return TRUE;
      if (script->closed || script->position >= script->lines->len)
        {
          g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                               "The server closed the connection.");
          return FALSE;
        }
      {
        guint before = script->position;
        gsize had = script->to_client->len;

        if (!run_server (script, error))
          return FALSE;
        if (script->position == before && script->to_client->len == had && !script->closed)
          {
            g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                                 "The script is stuck.");
            return FALSE;
          }
      }
    }
}

static char *
script_read_line (gpointer      io,
                  gsize        *length,
                  GCancellable *cancellable,
                  GError      **error)
{
  ImapScript *script = io;
  guint8 *eol;
  gsize n;
  char *line;

  if (!ensure_input (script, 0, TRUE, error))
    return NULL;
  eol = memchr (script->to_client->data, '\n', script->to_client->len);
  n = (gsize) (eol - script->to_client->data);
  line = g_strndup ((const char *) script->to_client->data, n > 0 && eol[-1] == '\r' ? n - 1 : n);
  *length = n > 0 && eol[-1] == '\r' ? n - 1 : n;
  g_byte_array_remove_range (script->to_client, 0, (guint) n + 1);
  return line;
}

static GBytes *
script_read_bytes (gpointer      io,
                   gsize         count,
                   GCancellable *cancellable,
                   GError      **error)
{
  ImapScript *script = io;
  GBytes *bytes;

  if (!ensure_input (script, count, FALSE, error))
    return NULL;
  bytes = g_bytes_new (script->to_client->data, count);
  g_byte_array_remove_range (script->to_client, 0, (guint) count);
  return bytes;
}

static gboolean
script_write (gpointer      io,
              const void   *data,
              gsize         length,
              GCancellable *cancellable,
              GError      **error)
{
  ImapScript *script = io;

  if (script->closed)
    {
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST, "closed");
      return FALSE;
    }
  g_byte_array_append (script->unflushed, data, (guint) length);
  return TRUE;
}

static gboolean
script_write_line (gpointer      io,
                   const char   *line,
                   GCancellable *cancellable,
                   GError      **error)
{
  return script_write (io, line, strlen (line), cancellable, error) &&
         script_write (io, "\r\n", 2, cancellable, error);
}

static gboolean
script_write_secret_line (gpointer      io,
                          const char   *line,
                          const char   *trace_prefix,
                          GCancellable *cancellable,
                          GError      **error)
{
  return script_write (io, line, strlen (line), cancellable, error) &&
         script_write (io, "\r\n", 2, cancellable, error);
}

static gboolean
script_flush (gpointer      io,
              GCancellable *cancellable,
              GError      **error)
{
  ImapScript *script = io;

  g_byte_array_append (script->to_server, script->unflushed->data, script->unflushed->len);
  g_byte_array_set_size (script->unflushed, 0);
  return TRUE;
}

static gboolean
expect_upgrade (ImapScript *script,
                const char *step,
                GError    **error)
{
  if (!run_server (script, error) && !g_error_matches (*error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT))
    return FALSE;
  g_clear_error (error);
  g_assert_cmpuint (script->position, <, script->lines->len);
  g_assert_cmpstr (g_ptr_array_index (script->lines, script->position), ==, step);
  script->position++;
  return TRUE;
}

static gboolean
script_start_tls (gpointer      io,
                  GCancellable *cancellable,
                  GError      **error)
{
  return expect_upgrade (io, "T:", error);
}

static gboolean
script_start_compression (gpointer io,
                          GError **error)
{
  return expect_upgrade (io, "Z:", error);
}

static void
script_close (gpointer io)
{
  ImapScript *script = io;

  script->closed = TRUE;
}

static const PigeonImapIoFuncs script_funcs = {
  .read_line = script_read_line,
  .read_bytes = script_read_bytes,
  .write = script_write,
  .write_line = script_write_line,
  .write_secret_line = script_write_secret_line,
  .flush = script_flush,
  .start_tls = script_start_tls,
  .start_compression = script_start_compression,
  .close = script_close,
};

PigeonImapSession *
imap_script_new_session (ImapScript *script)
{
  return pigeon_imap_session_new (&script_funcs, script, NULL, NULL);
}

gsize
imap_script_get_unflushed (ImapScript *script)
{
  return script->unflushed->len;
}

void
imap_script_assert_done (ImapScript *script)
{
  GError *error = NULL;

  /* Let the server match what the client sent last. */
  if (script->position < script->lines->len && !script->closed)
    {
      run_server (script, &error);
      g_clear_error (&error);
    }
  g_assert_cmpuint (script->position, ==, script->lines->len);
  g_assert_cmpuint (script->to_server->len, ==, 0);
  g_assert_cmpuint (script->unflushed->len, ==, 0);
}
