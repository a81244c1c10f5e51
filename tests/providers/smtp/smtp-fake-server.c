/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-smtp"

#include "config.h"

#include <string.h>

#include "smtp-fake-server.h"

struct _SmtpFakeServer
{
  GSocketListener *listener;
  guint16 port;
  GStrv lines;
  GThread *thread;
  gboolean finished;
  char *failure;       /* written by the thread, read after it was joined */
  GString *data;
};

static void
fail (SmtpFakeServer *self,
      guint           index,
      const char     *format,
      ...) G_GNUC_PRINTF (3, 4);

static void
fail (SmtpFakeServer *self,
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

static GTlsCertificate *
load_certificate (void)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert;

  cert = g_tls_certificate_new_from_files (NET_DATA_DIR "/server.pem", NET_DATA_DIR "/server.key",
                                           &error);
  g_assert_no_error (error);
  return cert;
}

char *
smtp_fake_server_dup_fingerprint (void)
{
  g_autoptr(GTlsCertificate) cert = load_certificate ();
  g_autoptr(GByteArray) der = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
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

static GDataInputStream *
data_stream (GIOStream *stream)
{
  GDataInputStream *in = g_data_input_stream_new (g_io_stream_get_input_stream (stream));

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  return in;
}

static gpointer
server_thread (gpointer data)
{
  SmtpFakeServer *self = data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
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
  stream = G_IO_STREAM (g_object_ref (connection));
  in = data_stream (stream);

  for (i = 0; self->lines[i] != NULL; i++)
    {
      const char *line = self->lines[i];
      const char *arg = strlen (line) > 3 ? line + 3 : "";
      GOutputStream *out = g_io_stream_get_output_stream (stream);

      if (g_str_has_prefix (line, "S:"))
        {
          g_autofree char *text = g_strconcat (arg, "\r\n", NULL);

          if (!g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL))
            {
              fail (self, i, "could not send");
              break;
            }
        }
      else if (g_str_has_prefix (line, "C:") || g_str_has_prefix (line, "E:"))
        {
          g_autofree char *got = NULL;
          g_autoptr(GError) read_error = NULL;

          got = g_data_input_stream_read_line (in, NULL, NULL, &read_error);
          if (g_str_has_prefix (line, "E:"))
            {
              if (got != NULL)
                fail (self, i, "the client sent “%s” instead of closing", got);
              if (got != NULL)
                break;
              continue;
            }
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
      else if (g_str_has_prefix (line, "D:"))
        {
          for (;;)
            {
              g_autofree char *got = g_data_input_stream_read_line (in, NULL, NULL, NULL);

              if (got == NULL)
                {
                  fail (self, i, "the data ended without a final dot");
                  break;
                }
              if (strcmp (got, ".") == 0)
                break;
              g_string_append (self->data, got);
              g_string_append_c (self->data, '\n');
            }
          if (self->failure != NULL)
            break;
        }
      else if (g_str_has_prefix (line, "Q:"))
        {
          if (client_spoke (socket, in))
            {
              fail (self, i, "the client sent more before this reply");
              break;
            }
        }
      else if (g_str_has_prefix (line, "T:"))
        {
          g_autoptr(GTlsCertificate) cert = load_certificate ();
          g_autoptr(GIOStream) tls = NULL;
          g_autoptr(GError) tls_error = NULL;

          if (g_buffered_input_stream_get_available (G_BUFFERED_INPUT_STREAM (in)) > 0)
            {
              fail (self, i, "the client sent plain text after STARTTLS");
              break;
            }
          tls = g_tls_server_connection_new (G_IO_STREAM (connection), cert, &tls_error);
          if (tls == NULL ||
              !g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &tls_error))
            {
              fail (self, i, "TLS handshake: %s", tls_error->message);
              break;
            }
          g_set_object (&stream, tls);
          g_clear_object (&in);
          in = data_stream (stream);
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
  g_io_stream_close (stream, NULL, NULL);
  if (stream != G_IO_STREAM (connection))
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return NULL;
}

SmtpFakeServer *
smtp_fake_server_new (const char * const *lines)
{
  SmtpFakeServer *self = g_new0 (SmtpFakeServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->lines = g_strdupv ((char **) lines);
  self->data = g_string_new (NULL);
  self->listener = g_socket_listener_new ();
  g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->thread = g_thread_new ("smtp-fake-server", server_thread, self);
  return self;
}

guint16
smtp_fake_server_get_port (SmtpFakeServer *self)
{
  return self->port;
}

void
smtp_fake_server_finish (SmtpFakeServer *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_thread_join (self->thread);
  g_socket_listener_close (self->listener);
  if (self->failure != NULL)
    g_error ("The fake SMTP server: %s", self->failure);
}

char *
smtp_fake_server_dup_data (SmtpFakeServer *self)
{
  g_assert_true (self->finished);
  return g_strdup (self->data->str);
}

void
smtp_fake_server_free (SmtpFakeServer *self)
{
  smtp_fake_server_finish (self);
  g_object_unref (self->listener);
  g_strfreev (self->lines);
  g_string_free (self->data, TRUE);
  g_free (self->failure);
  g_free (self);
}
