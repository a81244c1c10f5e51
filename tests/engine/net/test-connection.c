/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-connection"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <zlib.h>

#include "pigeon-connection.h"
#include "pigeon-error.h"

/* A scripted server on 127.0.0.1: one connection, one script per test, run in a thread
 * while the test drives a PigeonConnection against it. */

typedef struct _FakeServer FakeServer;
typedef void (*ServerScript) (FakeServer *server);

struct _FakeServer
{
  GSocketListener *listener;
  guint16 port;
  ServerScript script;
  GThread *thread;
  GSocketConnection *connection;
  GIOStream *stream;            /* the connection, or TLS over it */
  gsize arg;                    /* for the script */
  z_stream zin;
  z_stream zout;
  gboolean compressing;
  GByteArray *plain_in;         /* inflated, not yet read */
};

static char *
data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

static GTlsCertificate *
load_certificate (const char *name)
{
  g_autofree char *pem_name = g_strconcat (name, ".pem", NULL);
  g_autofree char *key_name = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = data_path (pem_name);
  g_autofree char *key = data_path (key_name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert;

  cert = g_tls_certificate_new_from_files (pem, key, &error);
  g_assert_no_error (error);
  return cert;
}

static char *
fingerprint_hex (const char *name)
{
  g_autoptr(GTlsCertificate) cert = load_certificate (name);
  g_autoptr(GByteArray) der = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static char *
fingerprint_colons (const char *name)
{
  g_autofree char *hex = fingerprint_hex (name);
  GString *out = g_string_new (NULL);

  for (guint i = 0; hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (hex[i]));
    }
  return g_string_free (out, FALSE);
}

static gpointer
server_thread (gpointer data)
{
  FakeServer *server = data;
  g_autoptr(GError) error = NULL;

  server->connection = g_socket_listener_accept (server->listener, NULL, NULL, &error);
  g_assert_no_error (error);
  /* A server read that waits this long means the client failed to send: fail, not hang. */
  g_socket_set_timeout (g_socket_connection_get_socket (server->connection), 10);
  server->stream = G_IO_STREAM (g_object_ref (server->connection));
  server->script (server);
  g_io_stream_close (server->stream, NULL, NULL);
  return NULL;
}

static FakeServer *
fake_server_start_full (ServerScript script,
                        gsize        arg)
{
  FakeServer *server = g_new0 (FakeServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  server->listener = g_socket_listener_new ();
  g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->script = script;
  server->arg = arg;
  server->plain_in = g_byte_array_new ();
  server->thread = g_thread_new ("fake-server", server_thread, server);
  return server;
}

static FakeServer *
fake_server_start (ServerScript script)
{
  return fake_server_start_full (script, 0);
}

static void
fake_server_join (FakeServer *server)
{
  g_thread_join (server->thread);
  if (server->compressing)
    {
      inflateEnd (&server->zin);
      deflateEnd (&server->zout);
    }
  g_clear_object (&server->stream);
  g_clear_object (&server->connection);
  g_clear_object (&server->listener);
  g_byte_array_unref (server->plain_in);
  g_free (server);
}

static void
srv_send_raw (FakeServer *server,
              const void *data,
              gsize       length)
{
  GOutputStream *out = g_io_stream_get_output_stream (server->stream);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (out, data, length, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
srv_send_z (FakeServer *server,
            const void *data,
            gsize       length)
{
  guint8 chunk[4096];

  server->zout.next_in = (Bytef *) data;
  server->zout.avail_in = length;
  do
    {
      server->zout.next_out = chunk;
      server->zout.avail_out = sizeof chunk;
      g_assert_cmpint (deflate (&server->zout, Z_SYNC_FLUSH), !=, Z_STREAM_ERROR);
      srv_send_raw (server, chunk, sizeof chunk - server->zout.avail_out);
    }
  while (server->zout.avail_out == 0);
}

static void
srv_send (FakeServer *server,
          const char *text)
{
  if (server->compressing)
    srv_send_z (server, text, strlen (text));
  else
    srv_send_raw (server, text, strlen (text));
}

/* Up to WANT more bytes for the reader (inflated when compressing); FALSE at end of
 * stream.  Lines are read a byte at a time so nothing past them is consumed before a
 * STARTTLS switch. */
static gboolean
srv_fill (FakeServer *server,
          gsize       want)
{
  GInputStream *in = g_io_stream_get_input_stream (server->stream);
  g_autoptr(GError) error = NULL;
  guint8 raw[4096];
  gssize n;

  n = g_input_stream_read (in, raw, server->compressing ? sizeof raw : MIN (want, sizeof raw),
                           NULL, &error);
  if (n <= 0)
    return FALSE;
  if (!server->compressing)
    {
      g_byte_array_append (server->plain_in, raw, n);
      return TRUE;
    }
  server->zin.next_in = raw;
  server->zin.avail_in = n;
  while (server->zin.avail_in > 0)
    {
      guint8 out[4096];
      int ret;

      server->zin.next_out = out;
      server->zin.avail_out = sizeof out;
      ret = inflate (&server->zin, Z_SYNC_FLUSH);
      g_assert_true (ret == Z_OK || ret == Z_BUF_ERROR);
      g_byte_array_append (server->plain_in, out, sizeof out - server->zin.avail_out);
    }
  return TRUE;
}

/* One line without CR LF, or NULL at end of stream. */
static char *
srv_read_line (FakeServer *server)
{
  for (;;)
    {
      guint8 *nl = server->plain_in->len > 0
                     ? memchr (server->plain_in->data, '\n', server->plain_in->len)
                     : NULL;

      if (nl != NULL)
        {
          gsize len = nl - server->plain_in->data;
          char *line = g_strndup ((char *) server->plain_in->data,
                                  len > 0 && nl[-1] == '\r' ? len - 1 : len);

          g_byte_array_remove_range (server->plain_in, 0, len + 1);
          return line;
        }
      if (!srv_fill (server, 1))
        return NULL;
    }
}

static GBytes *
srv_read_bytes (FakeServer *server,
                gsize       count)
{
  while (server->plain_in->len < count)
    g_assert_true (srv_fill (server, count - server->plain_in->len));
  {
    GBytes *bytes = g_bytes_new (server->plain_in->data, count);

    g_byte_array_remove_range (server->plain_in, 0, count);
    return bytes;
  }
}

static void
srv_expect (FakeServer *server,
            const char *expected)
{
  g_autofree char *line = srv_read_line (server);

  g_assert_cmpstr (line, ==, expected);
}

static void
srv_wait_eof (FakeServer *server)
{
  char *line;

  while ((line = srv_read_line (server)) != NULL)
    g_free (line);
}

static gboolean
srv_start_tls (FakeServer *server,
               const char *cert_name)
{
  g_autoptr(GTlsCertificate) cert = load_certificate (cert_name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  tls = g_tls_server_connection_new (G_IO_STREAM (server->connection), cert, &error);
  g_assert_no_error (error);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL))
    return FALSE;
  g_set_object (&server->stream, tls);
  return TRUE;
}

static void
srv_start_compression (FakeServer *server)
{
  g_assert_cmpint (inflateInit2 (&server->zin, -15), ==, Z_OK);
  g_assert_cmpint (deflateInit2 (&server->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
  server->compressing = TRUE;
}

/* Client helpers */

static PigeonConnection *
client_new (FakeServer     *server,
            PigeonSecurity  security,
            const char     *pin)
{
  PigeonConnection *conn = pigeon_connection_new ("127.0.0.1", server->port, security, pin,
                                                  "imap");

  pigeon_connection_set_timeout (conn, 10);
  return conn;
}

static char *
client_read (PigeonConnection *conn)
{
  g_autoptr(GError) error = NULL;
  char *line = pigeon_connection_read_line (conn, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

static void
client_expect (PigeonConnection *conn,
               const char       *expected)
{
  g_autofree char *line = client_read (conn);

  g_assert_cmpstr (line, ==, expected);
}

static void
client_send (PigeonConnection *conn,
             const char       *line)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_connection_write_line (conn, line, NULL, &error));
  g_assert_true (pigeon_connection_flush (conn, NULL, &error));
  g_assert_no_error (error);
}

static void
client_connect (PigeonConnection *conn)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_connection_connect (conn, NULL, &error));
  g_assert_no_error (error);
}

/* Plain exchange, pipelined replies, bare LF, NUL inside a line */

static void
script_plain (FakeServer *server)
{
  static const char with_nul[] = "bare lf\nnul\0inside\r\n";

  srv_send (server, "* OK hello\r\n");
  srv_expect (server, "a1 NOOP");
  srv_send (server, "* 1 EXISTS\r\na1 OK done\r\n");
  srv_expect (server, "a2 NEXT");
  srv_send_raw (server, with_nul, sizeof with_nul - 1);
  srv_wait_eof (server);
}

static void
test_plain_exchange (void)
{
  FakeServer *server = fake_server_start (script_plain);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;

  g_assert_false (pigeon_connection_is_connected (conn));
  client_connect (conn);
  g_assert_true (pigeon_connection_is_connected (conn));
  g_assert_false (pigeon_connection_is_encrypted (conn));
  g_assert_cmpstr (pigeon_connection_get_host (conn), ==, "127.0.0.1");
  g_assert_null (pigeon_connection_get_peer_certificate (conn));

  client_expect (conn, "* OK hello");
  g_assert_false (pigeon_connection_has_buffered_input (conn));
  client_send (conn, "a1 NOOP");
  client_expect (conn, "* 1 EXISTS");
  g_assert_true (pigeon_connection_has_buffered_input (conn));
  client_expect (conn, "a1 OK done");
  g_assert_false (pigeon_connection_has_buffered_input (conn));

  client_send (conn, "a2 NEXT");
  client_expect (conn, "bare lf");
  line = pigeon_connection_read_line (conn, &length, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, 10);
  g_assert_cmpmem (line, length, "nul\0inside", 10);
  g_assert_cmpint (line[length], ==, '\0');

  pigeon_connection_close (conn);
  g_assert_false (pigeon_connection_is_connected (conn));
  fake_server_join (server);
}

static void
test_connect_refused (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(PigeonConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  guint16 port;

  /* A port that was just free and is closed again: nothing listens there. */
  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (listener);

  conn = pigeon_connection_new ("127.0.0.1", port, PIGEON_SECURITY_TLS, NULL, "imap");
  g_assert_false (pigeon_connection_connect (conn, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT);
  expected = g_strdup_printf ("Could not connect to 127.0.0.1 port %u: connection refused",
                              port);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_false (pigeon_connection_is_connected (conn));
}

/* Line limits */

static void
script_endless_line (FakeServer *server)
{
  GOutputStream *out = g_io_stream_get_output_stream (server->stream);
  g_autofree char *chunk = g_malloc (65536);

  memset (chunk, 'x', 65536);
  srv_send (server, "* OK\r\n");
  /* Until the client gives up: a reader without a bound would never return. */
  while (g_output_stream_write_all (out, chunk, 65536, NULL, NULL, NULL))
    ;
}

static void
test_line_too_long (void)
{
  FakeServer *server = fake_server_start (script_endless_line);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  pigeon_connection_set_max_line (conn, 4096);
  client_connect (conn);
  client_expect (conn, "* OK");
  line = pigeon_connection_read_line (conn, NULL, NULL, &error);
  g_assert_null (line);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "longer than 4096 bytes"));
  /* Out of step with the server: the connection is closed, later calls say so. */
  g_assert_false (pigeon_connection_is_connected (conn));
  g_clear_error (&error);
  g_assert_null (pigeon_connection_read_line (conn, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
  fake_server_join (server);
}

static void
script_limit_lines (FakeServer *server)
{
  gsize limit = server->arg;
  g_autoptr(GString) text = g_string_new (NULL);

  /* Exactly at the limit (with CR LF), then one byte over it. */
  for (gsize i = 0; i < limit; i++)
    g_string_append_c (text, 'y');
  g_string_append (text, "\r\n");
  for (gsize i = 0; i < limit + 1; i++)
    g_string_append_c (text, 'z');
  g_string_append (text, "\r\n");
  srv_send_raw (server, text->str, text->len);
  srv_wait_eof (server);
}

static void
check_line_limit (gsize limit,
                  gsize set_limit)
{
  FakeServer *server;
  g_autoptr(PigeonConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gsize length = 0;

  server = fake_server_start_full (script_limit_lines, limit);
  conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  if (set_limit > 0)
    pigeon_connection_set_max_line (conn, set_limit);
  client_connect (conn);

  first = pigeon_connection_read_line (conn, &length, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, limit);
  g_assert_cmpint (first[0], ==, 'y');
  g_assert_cmpint (first[limit - 1], ==, 'y');

  second = pigeon_connection_read_line (conn, &length, NULL, &error);
  g_assert_null (second);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_object (&conn);
  fake_server_join (server);
}

static void
test_line_at_limit (void)
{
  check_line_limit (5000, 5000);
}

static void
test_default_line_limit (void)
{
  check_line_limit (1024 * 1024, 0);
}

/* Literals */

static void
script_literal (FakeServer *server)
{
  g_autofree char *big = g_malloc (200000);

  for (gsize i = 0; i < 200000; i++)
    big[i] = 'a' + i % 26;
  srv_send (server, "* 1 FETCH (BODY[] {12}\r\nhello\r\nworld)\r\n* 2 FETCH (BODY[] {200000}\r\n");
  srv_send_raw (server, big, 200000);
  srv_send (server, ")\r\n");
  srv_wait_eof (server);
}

static void
test_literal (void)
{
  FakeServer *server = fake_server_start (script_literal);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) small = NULL;
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) none = NULL;
  const char *data;
  gsize size;

  client_connect (conn);
  client_expect (conn, "* 1 FETCH (BODY[] {12}");
  small = pigeon_connection_read_bytes (conn, 12, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (small, &size);
  g_assert_cmpmem (data, size, "hello\r\nworld", 12);
  client_expect (conn, ")");

  client_expect (conn, "* 2 FETCH (BODY[] {200000}");
  big = pigeon_connection_read_bytes (conn, 200000, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (big, &size);
  g_assert_cmpuint (size, ==, 200000);
  for (gsize i = 0; i < size; i++)
    {
      if (data[i] != 'a' + (char) (i % 26))
        g_assert_cmpuint (i, ==, G_MAXSIZE);
    }
  client_expect (conn, ")");

  /* A literal bigger than the limit is refused before anything is allocated. */
  pigeon_connection_set_max_bytes (conn, 1000);
  none = pigeon_connection_read_bytes (conn, 1001, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_false (pigeon_connection_is_connected (conn));

  g_clear_object (&conn);
  fake_server_join (server);
}

/* End of stream */

static void
script_eof_mid_line (FakeServer *server)
{
  srv_send (server, "* OK\r\n* partial");
}

static void
test_eof_mid_line (void)
{
  FakeServer *server = fake_server_start (script_eof_mid_line);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  client_connect (conn);
  client_expect (conn, "* OK");
  line = pigeon_connection_read_line (conn, NULL, NULL, &error);
  g_assert_null (line);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  fake_server_join (server);
}

static void
script_eof_mid_literal (FakeServer *server)
{
  srv_send (server, "* 1 FETCH (BODY[] {100}\r\nonly a few bytes");
}

static void
test_eof_mid_literal (void)
{
  FakeServer *server = fake_server_start (script_eof_mid_literal);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  client_connect (conn);
  client_expect (conn, "* 1 FETCH (BODY[] {100}");
  bytes = pigeon_connection_read_bytes (conn, 100, NULL, &error);
  g_assert_null (bytes);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
  fake_server_join (server);
}

/* Waiting: timeout, cancellation, close from another thread */

static void
script_greet_then_wait (FakeServer *server)
{
  srv_send (server, "* OK\r\n");
  srv_wait_eof (server);
}

static void
test_read_timeout (void)
{
  FakeServer *server = fake_server_start (script_greet_then_wait);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gint64 start;
  double elapsed;

  client_connect (conn);
  pigeon_connection_set_read_timeout (conn, 1);
  client_expect (conn, "* OK");
  start = g_get_monotonic_time ();
  line = pigeon_connection_read_line (conn, NULL, NULL, &error);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_null (line);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT);
  g_assert_cmpfloat (elapsed, >=, 0.9);
  g_assert_cmpfloat (elapsed, <, 5.0);

  g_clear_object (&conn);
  fake_server_join (server);
}

static void
script_silent_tls (FakeServer *server)
{
  /* Accepts TCP, then never answers the TLS ClientHello. */
  srv_wait_eof (server);
}

static void
test_handshake_timeout (void)
{
  FakeServer *server = fake_server_start (script_silent_tls);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_TLS, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  pigeon_connection_set_timeout (conn, 1);
  g_assert_false (pigeon_connection_connect (conn, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_false (pigeon_connection_is_connected (conn));

  g_clear_object (&conn);
  fake_server_join (server);
}

static gpointer
cancel_later_thread (gpointer data)
{
  g_usleep (200 * 1000);
  g_cancellable_cancel (G_CANCELLABLE (data));
  return NULL;
}

static void
test_cancel_from_thread (void)
{
  FakeServer *server = fake_server_start (script_greet_then_wait);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GThread *thread;
  gint64 start;

  client_connect (conn);
  pigeon_connection_set_read_timeout (conn, 0);
  client_expect (conn, "* OK");
  thread = g_thread_new ("cancel", cancel_later_thread, cancellable);
  start = g_get_monotonic_time ();
  line = pigeon_connection_read_line (conn, NULL, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (line);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  g_clear_object (&conn);
  fake_server_join (server);
}

static gpointer
close_later_thread (gpointer data)
{
  g_usleep (200 * 1000);
  pigeon_connection_close (PIGEON_CONNECTION (data));
  return NULL;
}

static void
check_close_interrupts (PigeonConnection *conn)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GThread *thread;
  gint64 start;

  pigeon_connection_set_read_timeout (conn, 0);
  thread = g_thread_new ("close", close_later_thread, conn);
  start = g_get_monotonic_time ();
  line = pigeon_connection_read_line (conn, NULL, NULL, &error);
  g_thread_join (thread);
  g_assert_null (line);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_false (pigeon_connection_is_connected (conn));

  g_clear_error (&error);
  g_assert_false (pigeon_connection_write_line (conn, "a1 NOOP", NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
}

static void
test_close_from_thread (void)
{
  FakeServer *server = fake_server_start (script_greet_then_wait);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);

  client_connect (conn);
  client_expect (conn, "* OK");
  check_close_interrupts (conn);
  fake_server_join (server);
}

static void
script_tls_greet_then_wait (FakeServer *server)
{
  if (!srv_start_tls (server, "server"))
    return;
  srv_send (server, "* OK\r\n");
  srv_wait_eof (server);
}

static void
test_close_from_thread_tls (void)
{
  FakeServer *server = fake_server_start (script_tls_greet_then_wait);
  g_autofree char *pin = fingerprint_hex ("server");
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_TLS, pin);

  client_connect (conn);
  client_expect (conn, "* OK");
  check_close_interrupts (conn);
  fake_server_join (server);
}

/* TLS and certificates */

static void
script_tls_exchange (FakeServer *server)
{
  if (!srv_start_tls (server, "server"))
    return;
  srv_send (server, "* OK secure\r\n");
  srv_expect (server, "a1 NOOP");
  srv_send (server, "a1 OK\r\n");
  srv_wait_eof (server);
}

static void
check_refused (FakeServer       *server,
               const char       *cert_name,
               const char       *pin,
               const char * const *needles)
{
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_TLS, pin);
  g_autoptr(GTlsCertificate) expected_cert = load_certificate (cert_name);
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = fingerprint_colons (cert_name);
  g_autofree char *peer_fingerprint = NULL;
  GTlsCertificate *peer;

  g_assert_false (pigeon_connection_connect (conn, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The certificate of 127.0.0.1 is not trusted: "));
  g_assert_true (g_str_has_suffix (error->message, fingerprint));
  for (guint i = 0; needles[i] != NULL; i++)
    {
      if (strstr (error->message, needles[i]) == NULL)
        g_error ("“%s” lacks “%s”", error->message, needles[i]);
    }
  g_assert_false (pigeon_connection_is_connected (conn));

  /* Still there for the "Trust" button. */
  peer = pigeon_connection_get_peer_certificate (conn);
  g_assert_nonnull (peer);
  g_assert_true (g_tls_certificate_is_same (peer, expected_cert));
  peer_fingerprint = pigeon_connection_dup_peer_fingerprint (conn);
  g_assert_cmpstr (peer_fingerprint, ==, fingerprint);
}

static void
test_tls_self_signed_refused (void)
{
  FakeServer *server = fake_server_start (script_tls_exchange);
  g_autoptr(GTlsCertificate) cert = load_certificate ("server");
  g_autoptr(GDateTime) until = g_tls_certificate_get_not_valid_after (cert);
  g_autofree char *until_text = g_date_time_format (until, "to %Y-%m-%d");
  const char *needles[] = {
    "it is self-signed (issued to CN=localhost,O=harness)", until_text, NULL,
  };

  check_refused (server, "server", NULL, needles);
  fake_server_join (server);
}

static void
check_pinned_exchange (const char *pin)
{
  FakeServer *server = fake_server_start (script_tls_exchange);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_TLS, pin);
  g_autofree char *fingerprint = fingerprint_colons ("server");
  g_autofree char *peer_fingerprint = NULL;

  client_connect (conn);
  g_assert_true (pigeon_connection_is_encrypted (conn));
  peer_fingerprint = pigeon_connection_dup_peer_fingerprint (conn);
  g_assert_cmpstr (peer_fingerprint, ==, fingerprint);
  client_expect (conn, "* OK secure");
  client_send (conn, "a1 NOOP");
  client_expect (conn, "a1 OK");
  g_clear_object (&conn);
  fake_server_join (server);
}

static void
test_tls_pinned_accepted (void)
{
  g_autofree char *lower = fingerprint_hex ("server");
  g_autofree char *upper = fingerprint_colons ("server");

  check_pinned_exchange (lower);
  check_pinned_exchange (upper);
}

static void
test_tls_wrong_pin (void)
{
  FakeServer *server = fake_server_start (script_tls_exchange);
  g_autofree char *other = fingerprint_hex ("other-host");
  const char *needles[] = {
    "it is self-signed",
    "it is not the certificate you chose to trust for this server",
    NULL,
  };

  check_refused (server, "server", other, needles);
  fake_server_join (server);
}

static void
script_tls_expired (FakeServer *server)
{
  if (!srv_start_tls (server, "expired"))
    return;
  srv_send (server, "* OK old\r\n");
  srv_wait_eof (server);
}

static void
test_tls_expired (void)
{
  FakeServer *server = fake_server_start (script_tls_expired);
  const char *needles[] = { "it expired on 2000-12-31", "valid from 2000-01-01", NULL };
  g_autofree char *pin = fingerprint_hex ("expired");
  g_autoptr(PigeonConnection) conn = NULL;

  check_refused (server, "expired", NULL, needles);
  fake_server_join (server);

  /* The user trusted exactly this certificate: it is accepted, expired or not. */
  server = fake_server_start (script_tls_expired);
  conn = client_new (server, PIGEON_SECURITY_TLS, pin);
  client_connect (conn);
  client_expect (conn, "* OK old");
  g_clear_object (&conn);
  fake_server_join (server);
}

static void
test_tls_host_name (void)
{
  FakeServer *server = fake_server_start (script_tls_exchange);
  g_autoptr(PigeonConnection) conn = NULL;
  g_autoptr(GError) error = NULL;

  /* Resolved by GIO; the certificate names localhost, so only the issuer is wrong. */
  conn = pigeon_connection_new ("localhost", server->port, PIGEON_SECURITY_TLS, NULL, "imap");
  pigeon_connection_set_timeout (conn, 10);
  g_assert_false (pigeon_connection_connect (conn, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE);
  g_assert_true (g_str_has_prefix (error->message, "The certificate of localhost is not "
                                   "trusted: it is self-signed (issued to"));
  g_assert_null (strstr (error->message, "issued for"));
  g_clear_object (&conn);
  fake_server_join (server);
}

static void
script_tls_other_host (FakeServer *server)
{
  srv_start_tls (server, "other-host");
}

static void
test_tls_wrong_host (void)
{
  FakeServer *server = fake_server_start (script_tls_other_host);
  const char *needles[] = { "it was issued for other.example.org, not 127.0.0.1", NULL };

  check_refused (server, "other-host", NULL, needles);
  fake_server_join (server);
}

/* Enough incompressible data to fill the socket buffers, so writes over TLS block and
 * resume part-way through records. */
#define LARGE_SIZE (4 * 1024 * 1024)

static guint8 *
large_data (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4978);
  guint8 *data = g_malloc (LARGE_SIZE);

  for (gsize i = 0; i < LARGE_SIZE; i++)
    data[i] = (guint8) g_rand_int (rand);
  return data;
}

static void
script_tls_large (FakeServer *server)
{
  g_autofree guint8 *expected = large_data ();
  g_autoptr(GBytes) received = NULL;
  g_autofree char *header = g_strdup_printf ("* 1 FETCH (BODY[] {%d}\r\n", LARGE_SIZE);

  if (!srv_start_tls (server, "server"))
    return;
  srv_expect (server, "a1 APPEND INBOX {4194304}");
  received = srv_read_bytes (server, LARGE_SIZE);
  g_assert_cmpmem (g_bytes_get_data (received, NULL), LARGE_SIZE, expected, LARGE_SIZE);
  srv_expect (server, "");
  srv_send (server, header);
  srv_send_raw (server, expected, LARGE_SIZE);
  srv_send (server, ")\r\na1 OK\r\n");
  srv_wait_eof (server);
}

static void
test_tls_large_transfer (void)
{
  FakeServer *server = fake_server_start (script_tls_large);
  g_autofree char *pin = fingerprint_hex ("server");
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_TLS, pin);
  g_autofree guint8 *data = large_data ();
  g_autoptr(GBytes) fetched = NULL;
  g_autoptr(GError) error = NULL;

  client_connect (conn);
  g_assert_true (pigeon_connection_write_line (conn, "a1 APPEND INBOX {4194304}", NULL,
                                               &error));
  g_assert_true (pigeon_connection_write (conn, data, LARGE_SIZE, NULL, &error));
  client_send (conn, "");
  g_assert_no_error (error);

  client_expect (conn, "* 1 FETCH (BODY[] {4194304}");
  fetched = pigeon_connection_read_bytes (conn, LARGE_SIZE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (fetched, NULL), g_bytes_get_size (fetched), data,
                   LARGE_SIZE);
  client_expect (conn, ")");
  client_expect (conn, "a1 OK");
  g_clear_object (&conn);
  fake_server_join (server);
}

/* STARTTLS */

static void
script_starttls (FakeServer *server)
{
  srv_send (server, "* OK plain\r\n");
  srv_expect (server, "a1 STARTTLS");
  srv_send (server, "a1 OK begin\r\n");
  if (!srv_start_tls (server, "server"))
    return;
  srv_expect (server, "a2 NOOP");
  srv_send (server, "a2 OK secure\r\n");
  srv_wait_eof (server);
}

static void
test_starttls (void)
{
  FakeServer *server = fake_server_start (script_starttls);
  g_autofree char *pin = fingerprint_hex ("server");
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_STARTTLS, pin);
  g_autoptr(GError) error = NULL;

  client_connect (conn);
  g_assert_false (pigeon_connection_is_encrypted (conn));
  client_expect (conn, "* OK plain");
  client_send (conn, "a1 STARTTLS");
  client_expect (conn, "a1 OK begin");
  g_assert_true (pigeon_connection_start_tls (conn, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_connection_is_encrypted (conn));
  client_send (conn, "a2 NOOP");
  client_expect (conn, "a2 OK secure");
  g_clear_object (&conn);
  fake_server_join (server);
}

static void
script_starttls_injection (FakeServer *server)
{
  srv_send (server, "* OK plain\r\n");
  srv_expect (server, "a1 STARTTLS");
  /* One write: the injected line sits behind the reply in the client's buffer. */
  srv_send (server, "a1 OK begin\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
  srv_start_tls (server, "server");
}

static void
test_starttls_injection (void)
{
  FakeServer *server = fake_server_start (script_starttls_injection);
  g_autofree char *pin = fingerprint_hex ("server");
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_STARTTLS, pin);
  g_autoptr(GError) error = NULL;

  client_connect (conn);
  client_expect (conn, "* OK plain");
  client_send (conn, "a1 STARTTLS");
  client_expect (conn, "a1 OK begin");
  g_assert_false (pigeon_connection_start_tls (conn, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_false (pigeon_connection_is_connected (conn));
  g_assert_false (pigeon_connection_is_encrypted (conn));
  g_clear_object (&conn);
  fake_server_join (server);
}

/* COMPRESS=DEFLATE */

#define APPEND_SIZE 300000

static void
script_compress (FakeServer *server)
{
  g_autoptr(GBytes) literal = NULL;
  const guchar *data;
  gsize size;

  srv_send (server, "* OK\r\n");
  srv_expect (server, "a1 COMPRESS DEFLATE");
  srv_send (server, "a1 OK compressing\r\n");
  srv_start_compression (server);
  /* Sent at once behind the reply: the client must inflate what it already buffered. */
  srv_send (server, "* 1 EXISTS\r\n");
  /* Each answer below needs the client's command to arrive whole, which only happens if
   * every flush was a sync flush. */
  srv_expect (server, "a2 NOOP");
  srv_send (server, "a2 OK\r\n");
  srv_expect (server, "a3 APPEND INBOX {300000}");
  literal = srv_read_bytes (server, APPEND_SIZE);
  data = g_bytes_get_data (literal, &size);
  for (gsize i = 0; i < size; i++)
    g_assert_cmpint (data[i], ==, (guchar) (i * 7 % 251));
  srv_expect (server, "");
  srv_send (server, "a3 OK appended\r\n");
  srv_wait_eof (server);
}

static void
test_compression (void)
{
  FakeServer *server = fake_server_start (script_compress);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree guchar *literal = g_malloc (APPEND_SIZE);

  for (gsize i = 0; i < APPEND_SIZE; i++)
    literal[i] = (guchar) (i * 7 % 251);

  client_connect (conn);
  client_expect (conn, "* OK");
  client_send (conn, "a1 COMPRESS DEFLATE");
  client_expect (conn, "a1 OK compressing");
  g_assert_true (pigeon_connection_start_compression (conn, &error));
  g_assert_no_error (error);
  client_expect (conn, "* 1 EXISTS");
  client_send (conn, "a2 NOOP");
  client_expect (conn, "a2 OK");
  g_assert_true (pigeon_connection_write_line (conn, "a3 APPEND INBOX {300000}", NULL,
                                               &error));
  g_assert_true (pigeon_connection_write (conn, literal, APPEND_SIZE, NULL, &error));
  client_send (conn, "");
  g_assert_no_error (error);
  client_expect (conn, "a3 OK appended");
  g_clear_object (&conn);
  fake_server_join (server);
}

/* Protocol trace */

static GMutex trace_lock;
static GPtrArray *trace_lines;

static GLogWriterOutput
trace_writer (GLogLevelFlags   level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (g_strcmp0 (domain, "pigeon-trace") == 0 && message != NULL)
    {
      g_mutex_lock (&trace_lock);
      if (trace_lines != NULL)
        g_ptr_array_add (trace_lines, g_strdup (message));
      g_mutex_unlock (&trace_lock);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
trace_has (const char *line)
{
  for (guint i = 0; i < trace_lines->len; i++)
    {
      if (g_str_equal (trace_lines->pdata[i], line))
        return TRUE;
    }
  return FALSE;
}

static void
script_trace (FakeServer *server)
{
  srv_send (server, "* OK greeting\r\n");
  /* Redaction is for the trace only: the server gets the real line. */
  srv_expect (server, "a1 LOGIN alice hunter2");
  srv_expect (server, "a2 APPEND INBOX {5}");
  srv_expect (server, "hello");
  srv_expect (server, "AUTHENTICATE-RESPONSE aHVudGVyMg==");
  srv_send (server, "a1 OK welcome\r\n");
  srv_wait_eof (server);
}

static void
test_trace_redaction (void)
{
  FakeServer *server = fake_server_start (script_trace);
  g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *long_line = g_strnfill (500, 'q');
  gboolean truncated = FALSE;

  g_mutex_lock (&trace_lock);
  trace_lines = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&trace_lock);

  client_connect (conn);
  client_expect (conn, "* OK greeting");
  g_assert_true (pigeon_connection_write_secret_line (conn, "a1 LOGIN alice hunter2",
                                                      "a1 LOGIN alice ", NULL, &error));
  g_assert_true (pigeon_connection_write_line (conn, "a2 APPEND INBOX {5}", NULL, &error));
  g_assert_true (pigeon_connection_write (conn, "hello\r\n", 7, NULL, &error));
  g_assert_true (pigeon_connection_write_secret_line (conn,
                                                      "AUTHENTICATE-RESPONSE aHVudGVyMg==",
                                                      NULL, NULL, &error));
  g_assert_true (pigeon_connection_flush (conn, NULL, &error));
  g_assert_no_error (error);
  client_expect (conn, "a1 OK welcome");

  g_assert_true (pigeon_connection_write_line (conn, long_line, NULL, &error));
  g_assert_no_error (error);

  g_mutex_lock (&trace_lock);
  for (guint i = 0; i < trace_lines->len; i++)
    g_test_message ("trace: %s", (char *) trace_lines->pdata[i]);
  g_assert_true (trace_has ("[imap 127.0.0.1] S: * OK greeting"));
  g_assert_true (trace_has ("[imap 127.0.0.1] C: a1 LOGIN alice <redacted>"));
  g_assert_true (trace_has ("[imap 127.0.0.1] C: a2 APPEND INBOX {5}"));
  g_assert_true (trace_has ("[imap 127.0.0.1] C: {7 bytes}"));
  g_assert_true (trace_has ("[imap 127.0.0.1] C: <redacted>"));
  g_assert_true (trace_has ("[imap 127.0.0.1] S: a1 OK welcome"));
  for (guint i = 0; i < trace_lines->len; i++)
    {
      const char *line = trace_lines->pdata[i];

      g_assert_null (strstr (line, "hunter2"));
      g_assert_null (strstr (line, "aHVudGVyMg"));
      if (strstr (line, "qqqq") != NULL)
        {
          g_assert_cmpuint (strlen (line), <, 260);
          g_assert_nonnull (strstr (line, "(500 bytes)"));
          truncated = TRUE;
        }
    }
  g_assert_true (truncated);
  g_clear_pointer (&trace_lines, g_ptr_array_unref);
  g_mutex_unlock (&trace_lock);

  g_clear_object (&conn);
  fake_server_join (server);
}

static void
script_untraced (FakeServer *server)
{
  srv_send (server, "* OK greeting\r\n");
  srv_expect (server, "a1 NOOP");
  srv_wait_eof (server);
}

static void
test_trace_off (void)
{
  if (g_test_subprocess ())
    {
      FakeServer *server = fake_server_start (script_untraced);
      g_autoptr(PigeonConnection) conn = client_new (server, PIGEON_SECURITY_NONE, NULL);

      g_mutex_lock (&trace_lock);
      trace_lines = g_ptr_array_new_with_free_func (g_free);
      g_mutex_unlock (&trace_lock);
      client_connect (conn);
      client_expect (conn, "* OK greeting");
      client_send (conn, "a1 NOOP");
      g_clear_object (&conn);
      fake_server_join (server);
      g_assert_cmpuint (trace_lines->len, ==, 0);
      return;
    }

  /* main() clears G_MESSAGES_DEBUG in the subprocess. */
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Set before any thread exists; the trace is off unless the variable names it. */
  g_setenv ("G_MESSAGES_DEBUG", g_test_subprocess () ? "" : "pigeon-trace", TRUE);
  g_log_set_writer_func (trace_writer, NULL, NULL);

  g_test_add_func ("/net/connection/plain-exchange", test_plain_exchange);
  g_test_add_func ("/net/connection/connect-refused", test_connect_refused);
  g_test_add_func ("/net/connection/line-too-long", test_line_too_long);
  g_test_add_func ("/net/connection/line-at-limit", test_line_at_limit);
  g_test_add_func ("/net/connection/default-line-limit", test_default_line_limit);
  g_test_add_func ("/net/connection/literal", test_literal);
  g_test_add_func ("/net/connection/eof-mid-line", test_eof_mid_line);
  g_test_add_func ("/net/connection/eof-mid-literal", test_eof_mid_literal);
  g_test_add_func ("/net/connection/read-timeout", test_read_timeout);
  g_test_add_func ("/net/connection/cancel-from-thread", test_cancel_from_thread);
  g_test_add_func ("/net/connection/close-from-thread", test_close_from_thread);
  g_test_add_func ("/net/connection/compression", test_compression);
  g_test_add_func ("/net/connection/trace-redaction", test_trace_redaction);
  g_test_add_func ("/net/connection/trace-off", test_trace_off);
  g_test_add_func ("/net/tls/self-signed-refused", test_tls_self_signed_refused);
  g_test_add_func ("/net/tls/pinned-accepted", test_tls_pinned_accepted);
  g_test_add_func ("/net/tls/wrong-pin", test_tls_wrong_pin);
  g_test_add_func ("/net/tls/expired", test_tls_expired);
  g_test_add_func ("/net/tls/wrong-host", test_tls_wrong_host);
  g_test_add_func ("/net/tls/host-name", test_tls_host_name);
  g_test_add_func ("/net/tls/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/net/tls/close-from-thread", test_close_from_thread_tls);
  g_test_add_func ("/net/tls/large-transfer", test_tls_large_transfer);
  g_test_add_func ("/net/tls/starttls", test_starttls);
  g_test_add_func ("/net/tls/starttls-injection", test_starttls_injection);

  return g_test_run ();
}
