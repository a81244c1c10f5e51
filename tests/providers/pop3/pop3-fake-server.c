/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pop3"

#include "config.h"

#include <string.h>

#include "pop3-fake-server.h"

struct _Pop3FakeServer
{
  GSocketListener *listener;
  guint16 port;
  GStrv lines;
  GThread *thread;
  char *failure;  /* written by the thread, read after it was joined */
};

static void
fail (Pop3FakeServer *self,
      guint           index,
      const char     *format,
      ...) G_GNUC_PRINTF (3, 4);

static void
fail (Pop3FakeServer *self,
      guint           index,
      const char     *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (self->failure != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  self->failure = g_strdup_printf ("script line %u (%s): %s", index + 1,
                                   index < g_strv_length (self->lines) ? self->lines[index] : "end",
                                   message);
}

static gboolean
send_bytes (GOutputStream *out,
            const char    *data,
            gsize          length)
{
  return g_output_stream_write_all (out, data, length, NULL, NULL, NULL);
}

/* Whether the client sent something within a tenth of a second. */
static gboolean
client_spoke (GSocket          *socket,
              GDataInputStream *in)
{
  if (g_buffered_input_stream_get_available (G_BUFFERED_INPUT_STREAM (in)) > 0)
    return TRUE;
  return g_socket_condition_timed_wait (socket, G_IO_IN, G_USEC_PER_SEC / 10, NULL, NULL) &&
         (g_socket_condition_check (socket, G_IO_IN) & G_IO_IN) != 0 &&
         g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (in), 1, NULL, NULL) > 0;
}

static gpointer
server_thread (gpointer data)
{
  Pop3FakeServer *self = data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *out;
  GSocket *socket;
  guint i;

  connection = g_socket_listener_accept (self->listener, NULL, NULL, &error);
  if (connection == NULL)
    {
      fail (self, 0, "accept: %s", error->message);
      return NULL;
    }
  socket = g_socket_connection_get_socket (connection);
  /* A client that never sends what the script waits for fails the test, not hangs it. */
  g_socket_set_timeout (socket, 10);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  for (i = 0; self->lines[i] != NULL; i++)
    {
      const char *line = self->lines[i];
      const char *arg = strlen (line) > 3 ? line + 3 : "";

      if (g_str_has_prefix (line, "S:"))
        {
          g_autofree char *text = g_strconcat (arg, "\r\n", NULL);

          if (!send_bytes (out, text, strlen (text)))
            break;
        }
      else if (g_str_has_prefix (line, "R:"))
        {
          g_autofree char *raw = g_strcompress (arg);

          if (!send_bytes (out, raw, strlen (raw)))
            break;
        }
      else if (g_str_has_prefix (line, "C:"))
        {
          g_autofree char *got = NULL;
          g_autoptr(GError) read_error = NULL;

          got = g_data_input_stream_read_line (in, NULL, NULL, &read_error);
          if (got == NULL)
            {
              fail (self, i, "the client sent nothing (%s)",
                    read_error ? read_error->message : "it closed the connection");
              break;
            }
          if (!g_pattern_match_simple (arg, got))
            {
              fail (self, i, "the client sent “%s”", got);
              break;
            }
        }
      else if (g_str_has_prefix (line, "Q:"))
        {
          if (client_spoke (socket, in))
            {
              fail (self, i, "the client sent more before this reply");
              break;
            }
        }
      else if (g_str_has_prefix (line, "X:"))
        {
          break;
        }
      else
        {
          fail (self, i, "not a script line");
          break;
        }
    }

  /* The client must not send more than the script knows of. */
  if (self->lines[i] == NULL && client_spoke (socket, in))
    {
      g_autofree char *extra = g_data_input_stream_read_line (in, NULL, NULL, NULL);

      if (extra != NULL)
        fail (self, i, "the client sent “%s” after the script ended", extra);
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return NULL;
}

Pop3FakeServer *
pop3_fake_server_new (const char * const *lines)
{
  Pop3FakeServer *self = g_new0 (Pop3FakeServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->lines = g_strdupv ((char **) lines);
  self->listener = g_socket_listener_new ();
  g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->thread = g_thread_new ("pop3-fake-server", server_thread, self);
  return self;
}

Pop3FakeServer *
pop3_fake_server_new_array (GPtrArray *lines)
{
  g_ptr_array_add (lines, NULL);
  return pop3_fake_server_new ((const char * const *) lines->pdata);
}

guint16
pop3_fake_server_get_port (Pop3FakeServer *self)
{
  return self->port;
}

void
pop3_fake_server_finish (Pop3FakeServer *self)
{
  g_autofree char *failure = NULL;

  g_thread_join (self->thread);
  failure = g_steal_pointer (&self->failure);
  g_socket_listener_close (self->listener);
  g_object_unref (self->listener);
  g_strfreev (self->lines);
  g_free (self);
  if (failure != NULL)
    g_error ("The fake POP3 server: %s", failure);
}
