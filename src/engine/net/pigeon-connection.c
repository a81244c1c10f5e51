/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-net"

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>
#include <zlib.h>

#include "pigeon-account.h"
#include "pigeon-certificate.h"
#include "pigeon-connection.h"
#include "pigeon-error.h"

#define TRACE_DOMAIN      "pigeon-trace"
#define TRACE_MAX         200
#define DEFAULT_TIMEOUT   30
#define DEFAULT_MAX_LINE  (1024 * 1024)
#define DEFAULT_MAX_BYTES ((gsize) 512 * 1024 * 1024)
#define READ_CHUNK        (16 * 1024)
#define WRITE_THRESHOLD   (64 * 1024)
#define ZLIB_CHUNK        (16 * 1024)

struct _PigeonConnection
{
  GObject parent_instance;

  char *host;
  guint16 port;
  PigeonSecurity security;
  char *pinned;                 /* 64 lower-case hex digits, or NULL */
  char *trace_name;
  guint timeout;                /* connect, handshake, writes */
  guint read_timeout;
  gsize max_line;
  gsize max_bytes;

  /* close() may run on any thread; these fields are guarded by lock. */
  GMutex lock;
  gboolean connected;
  gboolean closed;
  guint busy;                   /* operations in progress */
  GCancellable *close_cancellable;
  GSocketConnection *tcp;
  GSocket *socket;
  GIOStream *tls;

  /* The rest belongs to the thread that runs the operations. */
  GPollableInputStream *in;
  GPollableOutputStream *out;

  GTlsCertificate *peer_certificate;
  GTlsCertificateFlags peer_errors;
  gboolean peer_refused;
  gboolean pin_mismatch;

  guint8 *rbuf;
  gsize rbuf_size;
  gsize rpos;                   /* first unread byte */
  gsize rlen;                   /* end of the buffered bytes */

  GByteArray *wbuf;
  gboolean wbuf_secret;         /* holds a secret line: sized up front, never grown */
  gsize wbuf_reserved;

  gboolean compressing;
  z_stream zin;
  z_stream zout;
  gboolean zout_pending;        /* deflated without a sync flush since */
  guint8 *zin_buf;
  gsize zin_buf_size;
};

G_DEFINE_FINAL_TYPE (PigeonConnection, pigeon_connection, G_TYPE_OBJECT)

static void
wipe (void   *data,
      gsize   length)
{
  if (data != NULL && length > 0)
    explicit_bzero (data, length);
}

static void
release_transport (GSocketConnection *tcp,
                   GSocket           *socket,
                   GIOStream         *tls)
{
  /* Shut the socket down first so a TLS close_notify cannot block on a dead peer. */
  if (socket != NULL)
    shutdown (g_socket_get_fd (socket), SHUT_RDWR);
  if (tls != NULL)
    g_io_stream_close (tls, NULL, NULL);
  if (tcp != NULL)
    g_io_stream_close (G_IO_STREAM (tcp), NULL, NULL);
  g_clear_object (&tls);
  g_clear_object (&socket);
  g_clear_object (&tcp);
}

/* Drops the transport while nothing else uses it (no operation in progress, or called
 * from the one that is). */
static void
drop_transport (PigeonConnection *self)
{
  GSocketConnection *tcp;
  GSocket *socket;
  GIOStream *tls;

  g_mutex_lock (&self->lock);
  tcp = g_steal_pointer (&self->tcp);
  socket = g_steal_pointer (&self->socket);
  tls = g_steal_pointer (&self->tls);
  self->connected = FALSE;
  g_mutex_unlock (&self->lock);

  self->in = NULL;
  self->out = NULL;
  release_transport (tcp, socket, tls);

  if (self->compressing)
    {
      inflateEnd (&self->zin);
      deflateEnd (&self->zout);
      self->compressing = FALSE;
    }
  g_clear_pointer (&self->zin_buf, g_free);
  self->zin_buf_size = 0;
  self->rpos = self->rlen = 0;
  if (self->wbuf_secret)
    wipe (self->wbuf->data, self->wbuf->len);
  g_byte_array_set_size (self->wbuf, 0);
  self->wbuf_secret = FALSE;
}

static gboolean
is_closed (PigeonConnection *self)
{
  gboolean closed;

  g_mutex_lock (&self->lock);
  closed = self->closed;
  g_mutex_unlock (&self->lock);
  return closed;
}

static void
set_closed_error (PigeonConnection  *self,
                  GError           **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
               _("The connection to %s was closed."), self->host);
}

static gboolean
op_begin (PigeonConnection  *self,
          GError           **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = self->connected && !self->closed;
  if (ok)
    self->busy++;
  g_mutex_unlock (&self->lock);
  if (!ok)
    set_closed_error (self, error);
  return ok;
}

static void
op_end (PigeonConnection *self)
{
  gboolean release;

  g_mutex_lock (&self->lock);
  g_assert (self->busy > 0);
  self->busy--;
  release = self->closed && self->busy == 0;
  g_mutex_unlock (&self->lock);

  if (release)
    drop_transport (self);
}

/* A cancellable that fires when the caller cancels or when close() runs, for the calls
 * (connect, handshake) that the socket shutdown alone might not interrupt. */
typedef struct
{
  GCancellable *cancellable;
  GCancellable *user;
  GCancellable *closing;
  gulong user_handler;
  gulong closing_handler;
} OpCancellable;

static void
forward_cancel_cb (GCancellable *source,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
op_cancellable_init (OpCancellable    *oc,
                     PigeonConnection *self,
                     GCancellable     *user)
{
  oc->cancellable = g_cancellable_new ();
  oc->user = user;
  oc->closing = self->close_cancellable;
  oc->user_handler = 0;
  if (user != NULL)
    oc->user_handler = g_cancellable_connect (user, G_CALLBACK (forward_cancel_cb),
                                              oc->cancellable, NULL);
  oc->closing_handler = g_cancellable_connect (oc->closing, G_CALLBACK (forward_cancel_cb),
                                               oc->cancellable, NULL);
}

static void
op_cancellable_clear (OpCancellable *oc)
{
  if (oc->user != NULL)
    g_cancellable_disconnect (oc->user, oc->user_handler);
  g_cancellable_disconnect (oc->closing, oc->closing_handler);
  g_clear_object (&oc->cancellable);
}

/* Protocol trace */

static gboolean
trace_enabled (void)
{
  return !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, TRACE_DOMAIN);
}

static void
trace_text (PigeonConnection *self,
            char              direction,
            const char       *data,
            gsize             length,
            const char       *suffix)
{
  g_autoptr(GString) text = NULL;
  g_autofree char *valid = NULL;
  gsize shown = MIN (length, TRACE_MAX);

  text = g_string_sized_new (shown + 32);
  for (gsize i = 0; i < shown; i++)
    {
      guchar c = (guchar) data[i];
      /* Control characters would garble the terminal the trace is read on. */
      g_string_append_c (text, c < 0x20 || c == 0x7f ? '.' : (char) c);
    }
  if (length > shown)
    g_string_append_printf (text, "… (%" G_GSIZE_FORMAT " bytes)", length);
  if (suffix != NULL)
    g_string_append (text, suffix);
  valid = g_utf8_make_valid (text->str, text->len);
  g_log_structured (TRACE_DOMAIN, G_LOG_LEVEL_DEBUG,
                    "MESSAGE", "[%s %s] %c: %s", self->trace_name, self->host, direction,
                    valid);
}

static void
trace_line (PigeonConnection *self,
            char              direction,
            const char       *data,
            gsize             length)
{
  if (trace_enabled ())
    trace_text (self, direction, data, length, NULL);
}

static void
trace_bytes (PigeonConnection *self,
             char              direction,
             gsize             length)
{
  if (trace_enabled ())
    g_log_structured (TRACE_DOMAIN, G_LOG_LEVEL_DEBUG,
                      "MESSAGE", "[%s %s] %c: {%" G_GSIZE_FORMAT " bytes}",
                      self->trace_name, self->host, direction, length);
}

/* Certificates */

static gboolean
accept_certificate_cb (GTlsConnection       *tls,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  PigeonConnection *self = user_data;
  g_autofree char *fingerprint = NULL;

  g_set_object (&self->peer_certificate, certificate);
  self->peer_errors = errors;

  if (self->pinned != NULL)
    {
      fingerprint = pigeon_certificate_dup_sha256 (certificate);
      if (fingerprint != NULL && g_ascii_strcasecmp (fingerprint, self->pinned) == 0)
        return TRUE;
      self->pin_mismatch = TRUE;
    }
  self->peer_refused = TRUE;
  return FALSE;
}

/* Object */

static void
pigeon_connection_finalize (GObject *object)
{
  PigeonConnection *self = PIGEON_CONNECTION (object);

  drop_transport (self);
  g_clear_object (&self->peer_certificate);
  g_clear_object (&self->close_cancellable);
  g_clear_pointer (&self->rbuf, g_free);
  g_clear_pointer (&self->wbuf, g_byte_array_unref);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->pinned, g_free);
  g_clear_pointer (&self->trace_name, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pigeon_connection_parent_class)->finalize (object);
}

static void
pigeon_connection_class_init (PigeonConnectionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pigeon_connection_finalize;
}

static void
pigeon_connection_init (PigeonConnection *self)
{
  g_mutex_init (&self->lock);
  self->timeout = DEFAULT_TIMEOUT;
  self->read_timeout = DEFAULT_TIMEOUT;
  self->max_line = DEFAULT_MAX_LINE;
  self->max_bytes = DEFAULT_MAX_BYTES;
  self->close_cancellable = g_cancellable_new ();
  self->rbuf_size = READ_CHUNK;
  self->rbuf = g_malloc (self->rbuf_size);
  self->wbuf = g_byte_array_new ();
}

PigeonConnection *
pigeon_connection_new (const char     *host,
                       guint16         port,
                       PigeonSecurity  security,
                       const char     *pinned_fingerprint,
                       const char     *trace_name)
{
  PigeonConnection *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);
  g_return_val_if_fail (port != 0, NULL);

  self = g_object_new (PIGEON_TYPE_CONNECTION, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  if (pinned_fingerprint != NULL && *pinned_fingerprint != '\0')
    self->pinned = pigeon_account_normalize_fingerprint (pinned_fingerprint);
  self->trace_name = g_strdup (trace_name ? trace_name : "net");
  return self;
}

void
pigeon_connection_set_timeout (PigeonConnection *self,
                               guint             seconds)
{
  g_return_if_fail (PIGEON_IS_CONNECTION (self));

  self->timeout = seconds;
  self->read_timeout = seconds;
}

void
pigeon_connection_set_read_timeout (PigeonConnection *self,
                                    guint             seconds)
{
  g_return_if_fail (PIGEON_IS_CONNECTION (self));

  self->read_timeout = seconds;
}

void
pigeon_connection_set_max_line (PigeonConnection *self,
                                gsize             max_line)
{
  g_return_if_fail (PIGEON_IS_CONNECTION (self));
  g_return_if_fail (max_line > 0);

  self->max_line = max_line;
}

void
pigeon_connection_set_max_bytes (PigeonConnection *self,
                                 gsize             max_bytes)
{
  g_return_if_fail (PIGEON_IS_CONNECTION (self));
  g_return_if_fail (max_bytes > 0);

  self->max_bytes = max_bytes;
}

/* Transport: non-blocking reads and writes on the current stream (plain or TLS), waiting
 * on the socket in between, so timeouts and cancellation work the same over TLS. */

static gboolean
wait_socket (PigeonConnection  *self,
             GIOCondition       condition,
             guint              seconds,
             GCancellable      *cancellable,
             GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 timeout_us = seconds > 0 ? (gint64) seconds * G_USEC_PER_SEC : -1;

  if (g_socket_condition_timed_wait (self->socket, condition, timeout_us, cancellable,
                                     &local_error))
    return TRUE;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                 _("%s did not answer within %u seconds."), self->host, seconds);
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                 _("The connection to %s was lost: %s"), self->host, local_error->message);
  return FALSE;
}

static void
set_io_error (PigeonConnection  *self,
              GError            *local_error,
              GError           **error)
{
  if (is_closed (self))
    set_closed_error (self, error);
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (local_error));
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                 _("The connection to %s was lost: %s"), self->host, local_error->message);
}

/* At least one byte into BUFFER; 0 at end of stream, -1 on error. */
static gssize
transport_read (PigeonConnection  *self,
                guint8            *buffer,
                gsize              size,
                GCancellable      *cancellable,
                GError           **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      n = g_pollable_input_stream_read_nonblocking (self->in, buffer, size, cancellable,
                                                    &local_error);
      if (n >= 0)
        return n;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* A TLS stream reports a peer that vanished as an error, not as EOF. */
          if (g_error_matches (local_error, G_TLS_ERROR, G_TLS_ERROR_EOF))
            return 0;
          set_io_error (self, local_error, error);
          return -1;
        }
      if (!wait_socket (self, G_IO_IN, self->read_timeout, cancellable, error))
        {
          if (is_closed (self))
            {
              g_clear_error (error);
              set_closed_error (self, error);
            }
          return -1;
        }
    }
}

static gboolean
transport_write_all (PigeonConnection  *self,
                     const guint8      *data,
                     gsize              length,
                     GCancellable      *cancellable,
                     GError           **error)
{
  while (length > 0)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      n = g_pollable_output_stream_write_nonblocking (self->out, data, length, cancellable,
                                                      &local_error);
      if (n > 0)
        {
          data += n;
          length -= n;
          continue;
        }
      if (n < 0 && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          set_io_error (self, local_error, error);
          return FALSE;
        }
      if (!wait_socket (self, G_IO_OUT, self->timeout, cancellable, error))
        {
          if (is_closed (self))
            {
              g_clear_error (error);
              set_closed_error (self, error);
            }
          return FALSE;
        }
    }
  return TRUE;
}

/* Decoded bytes (inflated when compression is on) into BUFFER: at least one byte, 0 at
 * end of stream, -1 on error. */
static gssize
decoded_read (PigeonConnection  *self,
              guint8            *buffer,
              gsize              size,
              GCancellable      *cancellable,
              GError           **error)
{
  if (!self->compressing)
    return transport_read (self, buffer, size, cancellable, error);

  for (;;)
    {
      gsize produced;
      int ret;

      if (self->zin.avail_in == 0)
        {
          gssize n = transport_read (self, self->zin_buf, self->zin_buf_size, cancellable,
                                     error);
          if (n <= 0)
            return n;
          self->zin.next_in = self->zin_buf;
          self->zin.avail_in = n;
        }

      self->zin.next_out = buffer;
      self->zin.avail_out = size;
      ret = inflate (&self->zin, Z_SYNC_FLUSH);
      produced = size - self->zin.avail_out;
      if (ret == Z_STREAM_END)
        return produced;
      if ((ret != Z_OK && ret != Z_BUF_ERROR) ||
          (ret == Z_BUF_ERROR && self->zin.avail_in > 0 && produced == 0))
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                       _("%s sent damaged compressed data."), self->host);
          return -1;
        }
      if (produced > 0)
        return produced;
    }
}

/* Reading */

static void
compact_buffer (PigeonConnection *self)
{
  if (self->rpos == self->rlen)
    {
      self->rpos = self->rlen = 0;
      /* A long line grew the buffer; give the memory back once it is consumed. */
      if (self->rbuf_size > 4 * READ_CHUNK)
        {
          self->rbuf_size = READ_CHUNK;
          self->rbuf = g_realloc (self->rbuf, self->rbuf_size);
        }
    }
  else if (self->rpos > 0)
    {
      memmove (self->rbuf, self->rbuf + self->rpos, self->rlen - self->rpos);
      self->rlen -= self->rpos;
      self->rpos = 0;
    }
}

/* Reads more into the buffer; FALSE with an error at end of stream. */
static gboolean
fill_buffer (PigeonConnection  *self,
             GCancellable      *cancellable,
             GError           **error)
{
  gssize n;

  compact_buffer (self);
  if (self->rbuf_size - self->rlen < READ_CHUNK)
    {
      self->rbuf_size = MAX (self->rbuf_size * 2, self->rlen + READ_CHUNK);
      self->rbuf = g_realloc (self->rbuf, self->rbuf_size);
    }

  n = decoded_read (self, self->rbuf + self->rlen, self->rbuf_size - self->rlen, cancellable,
                    error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    {
      if (is_closed (self))
        set_closed_error (self, error);
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                     _("%s closed the connection unexpectedly."), self->host);
      return FALSE;
    }
  self->rlen += n;
  return TRUE;
}

static void
line_too_long (PigeonConnection  *self,
               GError           **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("%s sent a line longer than %zu bytes; the connection was "
                 "closed."), self->host, self->max_line);
  /* The stream is out of step now; nothing after this could be trusted. */
  pigeon_connection_close (self);
}

char *
pigeon_connection_read_line (PigeonConnection  *self,
                             gsize             *length,
                             GCancellable      *cancellable,
                             GError           **error)
{
  gsize scanned = 0;
  char *line = NULL;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!op_begin (self, error))
    return NULL;

  for (;;)
    {
      const guint8 *start = self->rbuf + self->rpos;
      gsize avail = self->rlen - self->rpos;
      const guint8 *nl = avail > scanned ? memchr (start + scanned, '\n', avail - scanned)
                                         : NULL;

      if (nl != NULL)
        {
          gsize len = nl - start;

          if (len > 0 && start[len - 1] == '\r')
            len--;
          if (len > self->max_line)
            {
              line_too_long (self, error);
              break;
            }
          line = g_malloc (len + 1);
          memcpy (line, start, len);
          line[len] = '\0';
          self->rpos += (nl - start) + 1;
          trace_line (self, 'S', line, len);
          if (length != NULL)
            *length = len;
          break;
        }

      scanned = avail;
      /* max_line bytes plus a CR may still end well. */
      if (scanned > self->max_line + 1)
        {
          line_too_long (self, error);
          break;
        }
      if (!fill_buffer (self, cancellable, error))
        break;
    }

  op_end (self);
  return line;
}

GBytes *
pigeon_connection_read_bytes (PigeonConnection  *self,
                              gsize              count,
                              GCancellable      *cancellable,
                              GError           **error)
{
  guint8 *data;
  gsize got;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!op_begin (self, error))
    return NULL;

  if (count > self->max_bytes)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s announced %zu bytes, more than the limit of %zu; the connection "
                     "was closed."),
                   self->host, count, self->max_bytes);
      pigeon_connection_close (self);
      op_end (self);
      return NULL;
    }

  data = g_try_malloc (MAX (count, 1));
  if (data == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Not enough memory to receive %zu bytes from %s."),
                   count, self->host);
      pigeon_connection_close (self);
      op_end (self);
      return NULL;
    }

  got = MIN (count, self->rlen - self->rpos);
  if (got > 0)
    {
      memcpy (data, self->rbuf + self->rpos, got);
      self->rpos += got;
    }
  /* The rest goes straight into place: a big literal never passes the line buffer. */
  while (got < count)
    {
      gssize n = decoded_read (self, data + got, count - got, cancellable, error);

      if (n <= 0)
        {
          if (n == 0)
            {
              if (is_closed (self))
                set_closed_error (self, error);
              else
                g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                             _("%s closed the connection unexpectedly."), self->host);
            }
          g_free (data);
          op_end (self);
          return NULL;
        }
      got += n;
    }

  trace_bytes (self, 'S', count);
  op_end (self);
  return g_bytes_new_take (data, count);
}

gboolean
pigeon_connection_has_buffered_input (PigeonConnection *self)
{
  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);

  return self->rpos < self->rlen || (self->compressing && self->zin.avail_in > 0);
}

/* Writing */

static gboolean
deflate_out (PigeonConnection  *self,
             const guint8      *data,
             gsize              length,
             int                flush,
             GCancellable      *cancellable,
             GError           **error)
{
  guint8 chunk[ZLIB_CHUNK];
  gboolean ok = TRUE;

  self->zout.next_in = (Bytef *) data;
  self->zout.avail_in = length;
  do
    {
      gsize produced;

      self->zout.next_out = chunk;
      self->zout.avail_out = sizeof chunk;
      if (deflate (&self->zout, flush) == Z_STREAM_ERROR)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                       _("Could not compress data for %s."), self->host);
          ok = FALSE;
          break;
        }
      produced = sizeof chunk - self->zout.avail_out;
      if (produced > 0 && !transport_write_all (self, chunk, produced, cancellable, error))
        {
          ok = FALSE;
          break;
        }
    }
  while (self->zout.avail_out == 0 || self->zout.avail_in > 0);

  if (self->wbuf_secret)
    wipe (chunk, sizeof chunk);
  return ok;
}

static gboolean
write_out (PigeonConnection  *self,
           const guint8      *data,
           gsize              length,
           gboolean           sync,
           GCancellable      *cancellable,
           GError           **error)
{
  if (!self->compressing)
    return transport_write_all (self, data, length, cancellable, error);
  if (length == 0 && (!sync || !self->zout_pending))
    return TRUE;
  self->zout_pending = !sync;
  return deflate_out (self, data, length, sync ? Z_SYNC_FLUSH : Z_NO_FLUSH, cancellable,
                      error);
}

/* Sends the write buffer; SYNC pushes out everything compressed so far as well. */
static gboolean
send_buffer (PigeonConnection  *self,
             gboolean           sync,
             GCancellable      *cancellable,
             GError           **error)
{
  gboolean ok = write_out (self, self->wbuf->data, self->wbuf->len, sync, cancellable, error);

  if (self->wbuf_secret)
    wipe (self->wbuf->data, self->wbuf->len);
  self->wbuf_secret = FALSE;
  g_byte_array_set_size (self->wbuf, 0);
  return ok;
}

static gboolean
buffer_write (PigeonConnection  *self,
              const void        *data,
              gsize              length,
              const char        *line_end,
              gboolean           secret,
              GCancellable      *cancellable,
              GError           **error)
{
  gsize extra = line_end ? strlen (line_end) : 0;

  /* A secret must not be left behind in memory that a reallocation freed. */
  if (self->wbuf_secret && self->wbuf->len + length + extra > self->wbuf_reserved &&
      !send_buffer (self, FALSE, cancellable, error))
    return FALSE;
  if (secret && !self->wbuf_secret)
    {
      gsize need = MAX (WRITE_THRESHOLD, self->wbuf->len + length + extra);
      GByteArray *fresh = g_byte_array_sized_new (need);

      g_byte_array_append (fresh, self->wbuf->data, self->wbuf->len);
      g_byte_array_unref (self->wbuf);
      self->wbuf = fresh;
      self->wbuf_reserved = need;
      self->wbuf_secret = TRUE;
    }

  if (!secret && length >= WRITE_THRESHOLD)
    {
      /* A big literal goes out from the caller's memory, not through a copy. */
      if (!send_buffer (self, FALSE, cancellable, error) ||
          !write_out (self, data, length, FALSE, cancellable, error))
        return FALSE;
    }
  else
    {
      g_byte_array_append (self->wbuf, data, length);
    }
  if (line_end != NULL)
    g_byte_array_append (self->wbuf, (const guint8 *) line_end, extra);
  if (self->wbuf->len >= WRITE_THRESHOLD)
    return send_buffer (self, FALSE, cancellable, error);
  return TRUE;
}

gboolean
pigeon_connection_write (PigeonConnection  *self,
                         const void        *data,
                         gsize              length,
                         GCancellable      *cancellable,
                         GError           **error)
{
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!op_begin (self, error))
    return FALSE;
  trace_bytes (self, 'C', length);
  ok = buffer_write (self, data, length, NULL, FALSE, cancellable, error);
  op_end (self);
  return ok;
}

gboolean
pigeon_connection_write_line (PigeonConnection  *self,
                              const char        *line,
                              GCancellable      *cancellable,
                              GError           **error)
{
  gboolean ok;
  gsize length;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (!op_begin (self, error))
    return FALSE;
  length = strlen (line);
  trace_line (self, 'C', line, length);
  ok = buffer_write (self, line, length, "\r\n", FALSE, cancellable, error);
  op_end (self);
  return ok;
}

gboolean
pigeon_connection_write_secret_line (PigeonConnection  *self,
                                     const char        *line,
                                     const char        *trace_prefix,
                                     GCancellable      *cancellable,
                                     GError           **error)
{
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  if (!op_begin (self, error))
    return FALSE;
  if (trace_enabled ())
    {
      const char *prefix = trace_prefix ? trace_prefix : "";

      trace_text (self, 'C', prefix, strlen (prefix), "<redacted>");
    }
  ok = buffer_write (self, line, strlen (line), "\r\n", TRUE, cancellable, error);
  op_end (self);
  return ok;
}

gboolean
pigeon_connection_flush (PigeonConnection  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);

  if (!op_begin (self, error))
    return FALSE;
  ok = send_buffer (self, TRUE, cancellable, error);
  op_end (self);
  return ok;
}

/* Connecting */

static void
set_connect_error (PigeonConnection  *self,
                   GError            *local_error,
                   GCancellable      *cancellable,
                   GError           **error)
{
  g_autofree char *reason = NULL;

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("The operation was cancelled."));
      return;
    }
  if (is_closed (self))
    {
      set_closed_error (self, error);
      return;
    }

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    reason = g_strdup (_("connection refused"));
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    reason = g_strdup_printf (_("no answer within %u seconds"), self->timeout);
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
    reason = g_strdup (_("the host is unreachable"));
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    reason = g_strdup (_("the network is unreachable"));
  else if (g_error_matches (local_error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    reason = g_strdup (_("no such host name"));
  else if (g_error_matches (local_error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
    reason = g_strdup (_("the host name could not be looked up"));
  else
    reason = g_strdup (local_error->message);

  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT,
               _("Could not connect to %s port %u: %s"), self->host, self->port, reason);
}

typedef struct
{
  gboolean done;
  gboolean timed_out;
  GCancellable *cancellable;
  GError *error;
} Handshake;

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Handshake *hs = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &hs->error);
  hs->done = TRUE;
}

static gboolean
handshake_timeout_cb (gpointer user_data)
{
  Handshake *hs = user_data;

  hs->timed_out = TRUE;
  g_cancellable_cancel (hs->cancellable);
  return G_SOURCE_REMOVE;
}

/* The handshake runs asynchronously in a private main context so it can have a timeout
 * and still be interrupted by close() or the caller's cancellable. */
static gboolean
run_handshake (PigeonConnection  *self,
               GIOStream         *tls,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GSource *timer = NULL;
  OpCancellable oc;
  Handshake hs = { 0 };

  op_cancellable_init (&oc, self, cancellable);
  hs.cancellable = oc.cancellable;

  g_main_context_push_thread_default (context);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    oc.cancellable, handshake_cb, &hs);
  if (self->timeout > 0)
    {
      timer = g_timeout_source_new (self->timeout * 1000);
      g_source_set_callback (timer, handshake_timeout_cb, &hs, NULL);
      g_source_attach (timer, context);
    }
  while (!hs.done)
    g_main_context_iteration (context, TRUE);
  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
  op_cancellable_clear (&oc);

  if (hs.error == NULL)
    return TRUE;

  if (g_cancellable_is_cancelled (cancellable))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         _("The operation was cancelled."));
  else if (is_closed (self))
    set_closed_error (self, error);
  else if (self->peer_refused)
    g_propagate_error (error, pigeon_certificate_new_error (self->peer_certificate,
                                                            self->peer_errors, self->host,
                                                            self->pin_mismatch));
  else if (hs.timed_out)
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT,
                 _("%s did not complete the secure connection within %u seconds."),
                 self->host, self->timeout);
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT,
                 _("Could not establish a secure connection to %s port %u: %s"),
                 self->host, self->port, hs.error->message);
  g_clear_error (&hs.error);
  return FALSE;
}

static gboolean
tls_handshake (PigeonConnection  *self,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  /* The identity is both the SNI name (GIO leaves it out for IP literals) and the name
   * the certificate must carry. */
  tls = g_tls_client_connection_new (G_IO_STREAM (self->tcp), identity, &local_error);
  if (tls == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT,
                   _("Could not establish a secure connection to %s port %u: %s"),
                   self->host, self->port, local_error->message);
      return FALSE;
    }
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);

  g_clear_object (&self->peer_certificate);
  self->peer_errors = 0;
  self->pin_mismatch = FALSE;
  self->peer_refused = FALSE;

  if (!run_handshake (self, tls, cancellable, error))
    {
      g_signal_handlers_disconnect_by_func (tls, accept_certificate_cb, self);
      return FALSE;
    }

  g_set_object (&self->peer_certificate,
                g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)));
  self->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (tls));
  self->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (tls));
  g_mutex_lock (&self->lock);
  self->tls = g_steal_pointer (&tls);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
pigeon_connection_connect (PigeonConnection  *self,
                           GCancellable      *cancellable,
                           GError           **error)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GError) local_error = NULL;
  OpCancellable oc;
  GSocket *socket;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = !self->closed && !self->connected && self->busy == 0;
  if (ok)
    self->busy++;
  g_mutex_unlock (&self->lock);
  if (!ok)
    {
      if (is_closed (self))
        set_closed_error (self, error);
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                     _("The connection to %s is already open."), self->host);
      return FALSE;
    }

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, self->timeout);
  address = g_network_address_new (self->host, self->port);

  op_cancellable_init (&oc, self, cancellable);
  tcp = g_socket_client_connect (client, address, oc.cancellable, &local_error);
  op_cancellable_clear (&oc);
  if (tcp == NULL)
    {
      set_connect_error (self, local_error, cancellable, error);
      op_end (self);
      return FALSE;
    }

  /* Timeouts are ours from here on: per wait, not per socket call. */
  socket = g_socket_connection_get_socket (tcp);
  g_socket_set_timeout (socket, 0);
  g_socket_set_keepalive (socket, TRUE);

  g_mutex_lock (&self->lock);
  ok = !self->closed;
  if (ok)
    {
      self->socket = g_object_ref (socket);
      self->tcp = g_steal_pointer (&tcp);
      self->connected = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (!ok)
    {
      set_closed_error (self, error);
      op_end (self);
      return FALSE;
    }
  self->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (self->tcp)));
  self->out =
    G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (G_IO_STREAM (self->tcp)));

  if (self->security == PIGEON_SECURITY_TLS && !tls_handshake (self, cancellable, error))
    {
      drop_transport (self);
      op_end (self);
      return FALSE;
    }

  op_end (self);
  return TRUE;
}

gboolean
pigeon_connection_start_tls (PigeonConnection  *self,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!op_begin (self, error))
    return FALSE;

  if (self->tls != NULL || self->compressing)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The connection to %s cannot be upgraded to TLS now."), self->host);
      op_end (self);
      return FALSE;
    }

  /* Bytes that arrived with the reply to STARTTLS were sent in plain text, so anyone on
   * the path could have added them; they must never be read as if they came over TLS. */
  if (self->rpos < self->rlen)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s sent unexpected data before the secure connection was set up; the "
                     "connection was closed for safety."), self->host);
      pigeon_connection_close (self);
      op_end (self);
      return FALSE;
    }

  if (self->wbuf->len > 0 && !send_buffer (self, TRUE, cancellable, error))
    {
      op_end (self);
      return FALSE;
    }

  if (!tls_handshake (self, cancellable, error))
    {
      drop_transport (self);
      op_end (self);
      return FALSE;
    }

  op_end (self);
  return TRUE;
}

gboolean
pigeon_connection_start_compression (PigeonConnection  *self,
                                     GError           **error)
{
  gsize pending;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!op_begin (self, error))
    return FALSE;

  if (self->compressing)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The connection to %s is already compressed."), self->host);
      op_end (self);
      return FALSE;
    }

  /* What the caller wrote before this point is still meant to go out uncompressed. */
  if (self->wbuf->len > 0 && !send_buffer (self, TRUE, NULL, error))
    {
      op_end (self);
      return FALSE;
    }

  memset (&self->zin, 0, sizeof self->zin);
  memset (&self->zout, 0, sizeof self->zout);
  if (inflateInit2 (&self->zin, -15) != Z_OK)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                   _("Could not start compression for %s."), self->host);
      op_end (self);
      return FALSE;
    }
  if (deflateInit2 (&self->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
                    Z_DEFAULT_STRATEGY) != Z_OK)
    {
      inflateEnd (&self->zin);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                   _("Could not start compression for %s."), self->host);
      op_end (self);
      return FALSE;
    }

  /* The server compresses from the byte after its reply, which may already be
   * buffered: those bytes are the start of the compressed stream. */
  pending = self->rlen - self->rpos;
  self->zin_buf_size = MAX (ZLIB_CHUNK, pending);
  self->zin_buf = g_malloc (self->zin_buf_size);
  if (pending > 0)
    memcpy (self->zin_buf, self->rbuf + self->rpos, pending);
  self->zin.next_in = self->zin_buf;
  self->zin.avail_in = pending;
  self->rpos = self->rlen = 0;
  self->zout_pending = FALSE;
  self->compressing = TRUE;

  op_end (self);
  return TRUE;
}

gboolean
pigeon_connection_is_encrypted (PigeonConnection *self)
{
  gboolean encrypted;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);

  g_mutex_lock (&self->lock);
  encrypted = self->tls != NULL && self->connected && !self->closed;
  g_mutex_unlock (&self->lock);
  return encrypted;
}

gboolean
pigeon_connection_is_connected (PigeonConnection *self)
{
  gboolean connected;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), FALSE);

  g_mutex_lock (&self->lock);
  connected = self->connected && !self->closed;
  g_mutex_unlock (&self->lock);
  return connected;
}

const char *
pigeon_connection_get_host (PigeonConnection *self)
{
  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);

  return self->host;
}

char *
pigeon_connection_dup_local_address (PigeonConnection *self)
{
  g_autoptr(GSocketAddress) address = NULL;
  char *text = NULL;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->socket != NULL && !self->closed)
    address = g_socket_get_local_address (self->socket, NULL);
  g_mutex_unlock (&self->lock);
  if (G_IS_INET_SOCKET_ADDRESS (address))
    text = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return text;
}

GTlsCertificate *
pigeon_connection_get_peer_certificate (PigeonConnection *self)
{
  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);

  return self->peer_certificate;
}

char *
pigeon_connection_dup_peer_fingerprint (PigeonConnection *self)
{
  g_return_val_if_fail (PIGEON_IS_CONNECTION (self), NULL);

  if (self->peer_certificate == NULL)
    return NULL;
  return pigeon_certificate_dup_fingerprint (self->peer_certificate);
}

void
pigeon_connection_close (PigeonConnection *self)
{
  gboolean release;

  g_return_if_fail (PIGEON_IS_CONNECTION (self));

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->closed = TRUE;
  /* shutdown() wakes a poll() or recv() blocked on the socket in another thread without
   * freeing the descriptor under it; the descriptor is closed once no call uses it. */
  if (self->socket != NULL)
    shutdown (g_socket_get_fd (self->socket), SHUT_RDWR);
  release = self->busy == 0;
  g_mutex_unlock (&self->lock);

  g_cancellable_cancel (self->close_cancellable);
  if (release)
    drop_transport (self);
}
