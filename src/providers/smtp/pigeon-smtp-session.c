/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-smtp"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-sasl.h"
#include "pigeon-smtp-session.h"

/* RFC 5321 4.5.3.2: up to ten minutes for the reply to the end of the data, while the
 * server scans the message. */
#define FINAL_REPLY_TIMEOUT 600
#define QUIT_TIMEOUT        5
#define DEFAULT_TIMEOUT     30
/* A command line, including an AUTH initial response, stays within 512 octets. */
#define MAX_COMMAND         500
#define MAX_ADDRESS         512

struct _PigeonSmtpSession
{
  GObject parent_instance;

  PigeonConnection *connection;
  PigeonSmtpReplyParser *parser;
  PigeonSmtpCaps *caps;
  guint timeout;       /* seconds for each read */
  gboolean open;       /* connected and in step with the server */
  gboolean dirty;      /* a transaction began and did not end: RSET before the next */
};

G_DEFINE_FINAL_TYPE (PigeonSmtpSession, pigeon_smtp_session, G_TYPE_OBJECT)

static void
pigeon_smtp_session_finalize (GObject *object)
{
  PigeonSmtpSession *self = (PigeonSmtpSession *) object;

  pigeon_connection_close (self->connection);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->parser, pigeon_smtp_reply_parser_free);
  g_clear_pointer (&self->caps, pigeon_smtp_caps_free);

  G_OBJECT_CLASS (pigeon_smtp_session_parent_class)->finalize (object);
}

static void
pigeon_smtp_session_class_init (PigeonSmtpSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pigeon_smtp_session_finalize;
}

static void
pigeon_smtp_session_init (PigeonSmtpSession *self)
{
  self->parser = pigeon_smtp_reply_parser_new ();
  self->timeout = DEFAULT_TIMEOUT;
}

PigeonSmtpSession *
pigeon_smtp_session_new (PigeonConnection *connection)
{
  PigeonSmtpSession *self;

  g_return_val_if_fail (PIGEON_IS_CONNECTION (connection), NULL);

  self = g_object_new (PIGEON_TYPE_SMTP_SESSION, NULL);
  self->connection = g_object_ref (connection);
  pigeon_connection_set_max_line (connection, PIGEON_SMTP_MAX_LINE);
  return self;
}

void
pigeon_smtp_session_set_timeout (PigeonSmtpSession *self,
                                 guint              seconds)
{
  g_return_if_fail (PIGEON_IS_SMTP_SESSION (self));
  g_return_if_fail (seconds > 0);

  self->timeout = seconds;
  pigeon_connection_set_timeout (self->connection, seconds);
}

PigeonConnection *
pigeon_smtp_session_get_connection (PigeonSmtpSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), NULL);
  return self->connection;
}

const PigeonSmtpCaps *
pigeon_smtp_session_get_caps (PigeonSmtpSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), NULL);
  return self->caps;
}

gboolean
pigeon_smtp_session_is_open (PigeonSmtpSession *self)
{
  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), FALSE);
  return self->open && pigeon_connection_is_connected (self->connection);
}

static const char *
host (PigeonSmtpSession *self)
{
  return pigeon_connection_get_host (self->connection);
}

/* Out of step with the server: nothing more is sent on this connection. */
static void
drop (PigeonSmtpSession *self)
{
  self->open = FALSE;
  pigeon_connection_close (self->connection);
}

/* ------------------------------------------------------------------ replies */

static PigeonSmtpReply *
read_reply (PigeonSmtpSession  *self,
            GCancellable       *cancellable,
            GError            **error)
{
  for (;;)
    {
      PigeonSmtpReply *reply = NULL;
      g_autofree char *line = NULL;
      gsize length;

      line = pigeon_connection_read_line (self->connection, &length, cancellable, error);
      if (line == NULL ||
          !pigeon_smtp_reply_parser_feed (self->parser, line, length, host (self), &reply,
                                          error))
        {
          drop (self);
          return NULL;
        }
      if (reply != NULL)
        {
          /* 421: the server is closing the connection, whatever the command was. */
          if (reply->code == 421)
            {
              g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

              pigeon_smtp_reply_free (reply);
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                           _("The outgoing server %s is not available right now (it says: "
                             "“%s”). Pigeon will try again later."), host (self), text);
              drop (self);
              return NULL;
            }
          return reply;
        }
    }
}

static PigeonSmtpReply *
command (PigeonSmtpSession  *self,
         const char         *line,
         GCancellable       *cancellable,
         GError            **error)
{
  if (!pigeon_connection_write_line (self->connection, line, cancellable, error) ||
      !pigeon_connection_flush (self->connection, cancellable, error))
    {
      drop (self);
      return NULL;
    }
  return read_reply (self, cancellable, error);
}

/* A refusal as an error: 4xx is for now (SERVER), 5xx for good (REJECTED unless CODE
 * says otherwise).  FORMAT has one %s, the reply's text. */
static void
set_reply_error (PigeonSmtpSession     *self,
                 const PigeonSmtpReply *reply,
                 PigeonErrorCode        permanent_code,
                 const char            *format,
                 GError               **error)
{
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);
  g_autofree char *sentence = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  sentence = g_strdup_printf (format, text);
#pragma GCC diagnostic pop
  if (pigeon_smtp_reply_is_transient (reply))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                 _("%s Pigeon will try again later."), sentence);
  else
    g_set_error_literal (error, PIGEON_ERROR, permanent_code, sentence);
}

/* ------------------------------------------------------------------ opening */

static gboolean
introduce (PigeonSmtpSession  *self,
           const char         *helo_name,
           GCancellable       *cancellable,
           GError            **error)
{
  g_autofree char *ehlo = g_strdup_printf ("EHLO %s", helo_name);
  g_autofree char *helo = NULL;
  g_autoptr(PigeonSmtpReply) reply = NULL;

  g_clear_pointer (&self->caps, pigeon_smtp_caps_free);
  reply = command (self, ehlo, cancellable, error);
  if (reply == NULL)
    return FALSE;
  if (reply->code == 250)
    {
      self->caps = pigeon_smtp_caps_parse (reply);
      return TRUE;
    }
  if (reply->code < 500)
    {
      set_reply_error (self, reply, PIGEON_ERROR_REJECTED,
                       _("The outgoing server refused to talk to Pigeon: %s."), error);
      drop (self);
      return FALSE;
    }

  /* A server from before ESMTP: no extensions at all. */
  g_clear_pointer (&reply, pigeon_smtp_reply_free);
  helo = g_strdup_printf ("HELO %s", helo_name);
  reply = command (self, helo, cancellable, error);
  if (reply == NULL)
    return FALSE;
  if (reply->code != 250)
    {
      set_reply_error (self, reply, PIGEON_ERROR_REJECTED,
                       _("The outgoing server refused to talk to Pigeon: %s."), error);
      drop (self);
      return FALSE;
    }
  self->caps = g_new0 (PigeonSmtpCaps, 1);
  self->caps->auth = g_new0 (char *, 1);
  return TRUE;
}

static gboolean
start_tls (PigeonSmtpSession  *self,
           const char         *helo_name,
           GCancellable       *cancellable,
           GError            **error)
{
  g_autoptr(PigeonSmtpReply) reply = NULL;

  if ((self->caps->extensions & PIGEON_SMTP_EXT_STARTTLS) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("The outgoing server %s does not offer to encrypt the connection "
                     "(STARTTLS), so Pigeon sent neither your password nor your mail. Check "
                     "the outgoing server settings: port 465 with TLS may work."),
                   host (self));
      drop (self);
      return FALSE;
    }
  reply = command (self, "STARTTLS", cancellable, error);
  if (reply == NULL)
    return FALSE;
  if (reply->code != 220)
    {
      g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("The outgoing server %s would not encrypt the connection (it says: "
                     "“%s”), so Pigeon sent neither your password nor your mail."),
                   host (self), text);
      drop (self);
      return FALSE;
    }
  if (!pigeon_connection_start_tls (self->connection, cancellable, error))
    {
      drop (self);
      return FALSE;
    }
  /* RFC 3207 4.2: forget everything learnt before the handshake. */
  return introduce (self, helo_name, cancellable, error);
}

gboolean
pigeon_smtp_session_open (PigeonSmtpSession  *self,
                          PigeonSecurity      security,
                          const char         *helo_name,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autoptr(PigeonSmtpReply) greeting = NULL;

  g_autofree char *literal = NULL;

  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), FALSE);

  pigeon_smtp_reply_parser_reset (self->parser);
  if (!pigeon_connection_connect (self->connection, cancellable, error))
    return FALSE;
  self->open = TRUE;
  if (helo_name == NULL)
    {
      /* RFC 5321 4.1.3: an address literal when there is no better name. */
      g_autofree char *address = pigeon_connection_dup_local_address (self->connection);

      if (address == NULL)
        literal = g_strdup ("[127.0.0.1]");
      else if (strchr (address, ':') != NULL)
        literal = g_strdup_printf ("[IPv6:%s]", address);
      else
        literal = g_strdup_printf ("[%s]", address);
      helo_name = literal;
    }

  greeting = read_reply (self, cancellable, error);
  if (greeting == NULL)
    return FALSE;
  if (greeting->code != 220)
    {
      set_reply_error (self, greeting, PIGEON_ERROR_REJECTED,
                       _("The outgoing server does not take connections from here: %s."),
                       error);
      drop (self);
      return FALSE;
    }
  if (!introduce (self, helo_name, cancellable, error))
    return FALSE;
  if (security == PIGEON_SECURITY_STARTTLS && !start_tls (self, helo_name, cancellable, error))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ AUTH */

/* Sends LINE (and frees it, wiped): it may hold the password. */
static gboolean
send_secret (PigeonSmtpSession  *self,
             char               *line,
             const char         *trace_prefix,
             GCancellable       *cancellable,
             GError            **error)
{
  gboolean ok = pigeon_connection_write_secret_line (self->connection, line, trace_prefix,
                                                     cancellable, error) &&
                pigeon_connection_flush (self->connection, cancellable, error);

  explicit_bzero (line, strlen (line));
  g_free (line);
  if (!ok)
    drop (self);
  return ok;
}

/* The base64 response to CHALLENGE (NULL for a client-first mechanism's first step). */
static char *
compute_response (PigeonSasl    *sasl,
                  const guchar  *challenge,
                  gsize          length,
                  GError       **error)
{
  g_autoptr(GByteArray) response = g_byte_array_new ();
  char *encoded;

  if (!pigeon_sasl_step (sasl, challenge, length, response, error))
    {
      pigeon_sasl_wipe (response);
      return NULL;
    }
  encoded = pigeon_sasl_encode (response->data, response->len);
  pigeon_sasl_wipe (response);
  return encoded;
}

/* RFC 4954 4: "*" cancels the exchange; the server answers 501 and the session goes on. */
static void
cancel_exchange (PigeonSmtpSession *self,
                 GCancellable      *cancellable)
{
  g_autoptr(PigeonSmtpReply) reply = command (self, "*", cancellable, NULL);
}

static void
set_auth_error (PigeonSmtpSession     *self,
                const PigeonSmtpReply *reply,
                const char            *user,
                GError               **error)
{
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

  if (pigeon_smtp_reply_is_transient (reply))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                 _("The outgoing server %s cannot check the password right now (it says: "
                   "“%s”). Pigeon will try again later."), host (self), text);
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                 _("The outgoing server %s rejected the password for %s (it says: “%s”)."),
                 host (self), user, text);
}

/* Sends the AUTH command, with the initial response when the mechanism has one and the
 * line stays short enough; else the response waits for the server's empty challenge. */
static gboolean
start_exchange (PigeonSmtpSession  *self,
                PigeonSasl         *sasl,
                const char         *command_line,
                const char         *user,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autofree char *encoded = NULL;
  g_autoptr(PigeonSmtpReply) reply = NULL;
  char *line;

  if (!pigeon_sasl_has_initial_response (sasl))
    {
      line = g_strdup (command_line);
      return send_secret (self, line, command_line, cancellable, error);
    }
  encoded = compute_response (sasl, NULL, 0, error);
  if (encoded == NULL)
    return FALSE;
  if (strlen (command_line) + 1 + strlen (encoded) <= MAX_COMMAND)
    {
      /* An empty initial response is "=". */
      line = g_strdup_printf ("%s %s", command_line, *encoded != '\0' ? encoded : "=");
      explicit_bzero (encoded, strlen (encoded));
      return send_secret (self, line, command_line, cancellable, error);
    }
  line = g_strdup (command_line);
  if (!send_secret (self, line, command_line, cancellable, error))
    {
      explicit_bzero (encoded, strlen (encoded));
      return FALSE;
    }
  reply = read_reply (self, cancellable, error);
  if (reply == NULL || reply->code != 334)
    {
      explicit_bzero (encoded, strlen (encoded));
      if (reply != NULL)
        set_auth_error (self, reply, user, error);
      return FALSE;
    }
  return send_secret (self, g_steal_pointer (&encoded), "", cancellable, error);
}

static gboolean
authenticate_with (PigeonSmtpSession  *self,
                   const char         *mechanism,
                   const char         *user,
                   const char         *password,
                   GCancellable       *cancellable,
                   GError            **error)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new (mechanism, user, password);
  g_autofree char *command_line = g_strdup_printf ("AUTH %s", mechanism);

  if (!start_exchange (self, sasl, command_line, user, cancellable, error))
    return FALSE;

  for (;;)
    {
      g_autoptr(PigeonSmtpReply) reply = read_reply (self, cancellable, error);
      g_autofree guchar *challenge = NULL;
      char *response;
      gsize length = 0;

      if (reply == NULL)
        return FALSE;
      if (reply->code == 235)
        {
          if (!pigeon_sasl_is_done (sasl))
            {
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                           _("The outgoing server %s accepted the login without proving it "
                             "knows the password; Pigeon does not trust it."), host (self));
              drop (self);
              return FALSE;
            }
          return TRUE;
        }
      if (reply->code != 334)
        {
          set_auth_error (self, reply, user, error);
          return FALSE;
        }
      challenge = pigeon_sasl_decode (g_ptr_array_index (reply->lines, 0), &length, error);
      response = challenge != NULL ? compute_response (sasl, challenge, length, error) : NULL;
      if (response == NULL)
        {
          cancel_exchange (self, cancellable);
          return FALSE;
        }
      if (!send_secret (self, response, "", cancellable, error))
        return FALSE;
    }
}

static gboolean
is_scram (const char *mechanism)
{
  return g_ascii_strncasecmp (mechanism, "SCRAM-", 6) == 0;
}

gboolean
pigeon_smtp_session_authenticate (PigeonSmtpSession  *self,
                                  const char         *user,
                                  const char         *password,
                                  gboolean            allow_plaintext,
                                  GCancellable       *cancellable,
                                  GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean encrypted;
  const char *mechanism;

  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (self->caps != NULL, FALSE);
  g_return_val_if_fail (user != NULL && password != NULL, FALSE);

  if ((self->caps->extensions & PIGEON_SMTP_EXT_AUTH) == 0)
    return TRUE;

  encrypted = pigeon_connection_is_encrypted (self->connection);
  mechanism = pigeon_sasl_choose ((const char * const *) self->caps->auth, encrypted,
                                  allow_plaintext);
  if (mechanism == NULL)
    {
      g_autofree char *offered = g_strjoinv (", ", self->caps->auth);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("The outgoing server %s offers no way to log in that Pigeon can use "
                     "safely (it offers: %s). Use an encrypted connection."),
                   host (self), *offered ? offered : "-");
      return FALSE;
    }
  if (authenticate_with (self, mechanism, user, password, cancellable, &local_error))
    return TRUE;

  if (encrypted && is_scram (mechanism) &&
      g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_AUTH) &&
      pigeon_smtp_session_is_open (self))
    {
      g_autoptr(GPtrArray) others = g_ptr_array_new ();

      for (guint i = 0; self->caps->auth[i] != NULL; i++)
        if (!is_scram (self->caps->auth[i]))
          g_ptr_array_add (others, self->caps->auth[i]);
      g_ptr_array_add (others, NULL);
      mechanism = pigeon_sasl_choose ((const char * const *) others->pdata, encrypted,
                                      allow_plaintext);
      if (mechanism != NULL)
        {
          g_debug ("%s refused SCRAM; trying %s once", host (self), mechanism);
          g_clear_error (&local_error);
          return authenticate_with (self, mechanism, user, password, cancellable, error);
        }
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* ------------------------------------------------------------------ mail */

gboolean
pigeon_smtp_address_is_valid (const char *address,
                              gboolean   *needs_utf8)
{
  const char *at;
  gboolean utf8 = FALSE;

  if (needs_utf8 != NULL)
    *needs_utf8 = FALSE;
  if (address == NULL || *address == '\0' || strlen (address) > MAX_ADDRESS ||
      !g_utf8_validate (address, -1, NULL))
    return FALSE;
  at = strrchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0')
    return FALSE;
  for (const char *p = address; *p; p++)
    {
      guchar c = *p;

      if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' ||
          c == ',' || c == ';' || c == '\\' || c == '[' || c == ']')
        return FALSE;
      if (c >= 0x80)
        utf8 = TRUE;
    }
  if (needs_utf8 != NULL)
    *needs_utf8 = utf8;
  return TRUE;
}

/* The address as it goes on the wire: an internationalised domain in its ASCII form, so
 * only a non-ASCII local part needs SMTPUTF8.  NULL when it cannot be sent at all. */
static char *
wire_address (const char *address,
              gboolean   *needs_utf8)
{
  const char *at;
  g_autofree char *domain = NULL;
  g_autofree char *local = NULL;

  if (!pigeon_smtp_address_is_valid (address, needs_utf8))
    return NULL;
  if (!*needs_utf8)
    return g_strdup (address);
  at = strrchr (address, '@');
  local = g_strndup (address, at - address);
  domain = g_hostname_to_ascii (at + 1);
  if (domain == NULL)
    return NULL;
  *needs_utf8 = !g_str_is_ascii (local);
  return g_strdup_printf ("%s@%s", local, domain);
}

static gboolean
has_8bit (const guint8 *data,
          gsize         length)
{
  for (gsize i = 0; i < length; i++)
    if (data[i] >= 0x80)
      return TRUE;
  return FALSE;
}

/* Length of the header block (up to the first empty line). */
static gsize
header_length (const guint8 *data,
               gsize         length)
{
  for (gsize i = 0; i + 1 < length; i++)
    {
      if (data[i] != '\n')
        continue;
      if (data[i + 1] == '\n')
        return i + 1;
      if (data[i + 1] == '\r' && i + 2 < length && data[i + 2] == '\n')
        return i + 1;
    }
  return length;
}

/* The size on the wire: every line ends in CR LF. */
static guint64
wire_size (const guint8 *data,
           gsize         length)
{
  guint64 size = length;

  for (gsize i = 0; i < length; i++)
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
      size++;
  return size;
}

/* The message data, CR LF line ends, dot-stuffed (RFC 5321 4.5.2), without the final dot. */
static gboolean
write_data (PigeonSmtpSession  *self,
            const guint8       *data,
            gsize               length,
            GCancellable       *cancellable,
            GError            **error)
{
  const guint8 *p = data;
  const guint8 *end = data + length;

  while (p < end)
    {
      const guint8 *nl = memchr (p, '\n', end - p);
      const guint8 *line_end = nl != NULL ? nl : end;
      const guint8 *content_end = line_end;

      if (nl != NULL && content_end > p && content_end[-1] == '\r')
        content_end--;
      if (*p == '.' && !pigeon_connection_write (self->connection, ".", 1, cancellable, error))
        return FALSE;
      if (!pigeon_connection_write (self->connection, p, content_end - p, cancellable, error) ||
          !pigeon_connection_write (self->connection, "\r\n", 2, cancellable, error))
        return FALSE;
      p = nl != NULL ? nl + 1 : end;
    }
  return TRUE;
}

typedef struct
{
  char            *address;   /* as given */
  char            *wire;      /* as sent */
  PigeonSmtpReply *reply;
} Recipient;

static void
recipient_clear (Recipient *r)
{
  g_free (r->address);
  g_free (r->wire);
  g_clear_pointer (&r->reply, pigeon_smtp_reply_free);
}

static char *
mail_command (PigeonSmtpSession *self,
              const char        *from,
              guint64            size,
              gboolean           eight_bit,
              gboolean           utf8)
{
  GString *line = g_string_new (NULL);

  g_string_append_printf (line, "MAIL FROM:<%s>", from);
  if (self->caps->extensions & PIGEON_SMTP_EXT_SIZE)
    g_string_append_printf (line, " SIZE=%" G_GUINT64_FORMAT, size);
  if (eight_bit && (self->caps->extensions & PIGEON_SMTP_EXT_8BITMIME))
    g_string_append (line, " BODY=8BITMIME");
  if (utf8 && (self->caps->extensions & PIGEON_SMTP_EXT_SMTPUTF8))
    g_string_append (line, " SMTPUTF8");
  return g_string_free (line, FALSE);
}

static gboolean
reset (PigeonSmtpSession  *self,
       GCancellable       *cancellable,
       GError            **error)
{
  g_autoptr(PigeonSmtpReply) reply = command (self, "RSET", cancellable, error);

  if (reply == NULL)
    return FALSE;
  if (reply->code != 250)
    {
      set_reply_error (self, reply, PIGEON_ERROR_PROTOCOL,
                       _("The outgoing server would not start a new message: %s."), error);
      drop (self);
      return FALSE;
    }
  self->dirty = FALSE;
  return TRUE;
}

/* Checks everything that can fail before a byte is sent. */
static gboolean
prepare (PigeonSmtpSession   *self,
         const char          *from,
         const char * const  *recipients,
         GBytes              *message,
         char               **wire_from,
         GArray              *rcpts,
         gboolean            *utf8,
         GError             **error)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);
  gboolean needs;

  *utf8 = has_8bit (data, header_length (data, length));
  *wire_from = wire_address (from, &needs);
  if (*wire_from == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not an address Pigeon can send from."), from);
      return FALSE;
    }
  *utf8 |= needs;
  for (guint i = 0; recipients[i] != NULL; i++)
    {
      Recipient r = { 0 };

      r.address = g_strdup (recipients[i]);
      r.wire = wire_address (recipients[i], &needs);
      g_array_append_val (rcpts, r);
      if (r.wire == NULL)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                       _("“%s” is not an address Pigeon can send to."), recipients[i]);
          return FALSE;
        }
      if (needs && (self->caps->extensions & PIGEON_SMTP_EXT_SMTPUTF8) == 0)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                       _("The outgoing server %s cannot send to addresses with non-ASCII "
                         "characters, such as %s."), host (self), recipients[i]);
          return FALSE;
        }
      *utf8 |= needs;
    }
  if (*utf8 && !g_str_is_ascii (*wire_from) &&
      (self->caps->extensions & PIGEON_SMTP_EXT_SMTPUTF8) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("The outgoing server %s cannot send from an address with non-ASCII "
                     "characters (%s)."), host (self), from);
      return FALSE;
    }
  if (self->caps->max_size > 0 && wire_size (data, length) > self->caps->max_size)
    {
      g_autofree char *size = g_format_size (wire_size (data, length));
      g_autofree char *limit = g_format_size (self->caps->max_size);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   _("The message is %s, larger than the %s the outgoing server %s accepts. "
                     "Remove attachments, or share large files another way."),
                   size, limit, host (self));
      return FALSE;
    }
  return TRUE;
}

static void
set_mail_from_error (PigeonSmtpSession     *self,
                     const PigeonSmtpReply *reply,
                     const char            *from,
                     GError               **error)
{
  g_autofree char *format = NULL;

  if (reply->code == 530)
    {
      set_reply_error (self, reply, PIGEON_ERROR_AUTH,
                       _("The outgoing server wants a login before it sends mail: %s. Check "
                         "the user name for the outgoing server."), error);
      return;
    }
  if (reply->code == 552)
    {
      set_reply_error (self, reply, PIGEON_ERROR_TOO_BIG,
                       _("The outgoing server refused the message as too large: %s."), error);
      return;
    }
  /* Translators: %%s (kept as is) is the server's reply. */
  format = g_strdup_printf (_("The outgoing server refused to send mail from %s: %%s."), from);
  set_reply_error (self, reply, PIGEON_ERROR_REJECTED, format, error);
}

/* MAIL, RCPT… and DATA: all at once with PIPELINING, else one by one, stopping early. */
static gboolean
envelope (PigeonSmtpSession  *self,
          const char         *mail,
          GArray             *rcpts,
          PigeonSmtpReply   **mail_reply,
          PigeonSmtpReply   **data_reply,
          gboolean            pipelining,
          GCancellable       *cancellable,
          GError            **error)
{
  guint accepted = 0;

  if (pipelining)
    {
      gboolean ok = pigeon_connection_write_line (self->connection, mail, cancellable, error);

      for (guint i = 0; ok && i < rcpts->len; i++)
        {
          g_autofree char *line = g_strdup_printf ("RCPT TO:<%s>",
                                                   g_array_index (rcpts, Recipient, i).wire);

          ok = pigeon_connection_write_line (self->connection, line, cancellable, error);
        }
      ok = ok && pigeon_connection_write_line (self->connection, "DATA", cancellable, error) &&
           pigeon_connection_flush (self->connection, cancellable, error);
      if (!ok)
        {
          drop (self);
          return FALSE;
        }
      if ((*mail_reply = read_reply (self, cancellable, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < rcpts->len; i++)
        if ((g_array_index (rcpts, Recipient, i).reply = read_reply (self, cancellable,
                                                                     error)) == NULL)
          return FALSE;
      *data_reply = read_reply (self, cancellable, error);
      return *data_reply != NULL;
    }

  if ((*mail_reply = command (self, mail, cancellable, error)) == NULL)
    return FALSE;
  if ((*mail_reply)->code != 250)
    return TRUE;
  for (guint i = 0; i < rcpts->len; i++)
    {
      Recipient *r = &g_array_index (rcpts, Recipient, i);
      g_autofree char *line = g_strdup_printf ("RCPT TO:<%s>", r->wire);

      if ((r->reply = command (self, line, cancellable, error)) == NULL)
        return FALSE;
      if (pigeon_smtp_reply_is_transient (r->reply))
        return TRUE;
      if (r->reply->code / 100 == 2)
        accepted++;
    }
  if (accepted > 0)
    *data_reply = command (self, "DATA", cancellable, error);
  return accepted == 0 || *data_reply != NULL;
}

/* Ends a transaction that must not deliver: after a 354 only closing the connection
 * stops the server from taking what follows as the message. */
static void
abandon (PigeonSmtpSession     *self,
         const PigeonSmtpReply *data_reply,
         GCancellable          *cancellable)
{
  if (data_reply != NULL && data_reply->code == 354)
    drop (self);
  else if (self->open)
    reset (self, cancellable, NULL);
}

static gboolean
finish_data (PigeonSmtpSession         *self,
             GBytes                    *message,
             PigeonSmtpCheckpointFunc   checkpoint,
             gpointer                   checkpoint_data,
             GCancellable              *cancellable,
             GError                   **error)
{
  g_autoptr(PigeonSmtpReply) reply = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);

  if (!write_data (self, data, length, cancellable, error) ||
      !pigeon_connection_flush (self->connection, cancellable, error))
    {
      drop (self);
      return FALSE;
    }
  if (checkpoint != NULL && !checkpoint (checkpoint_data, error))
    {
      drop (self);
      return FALSE;
    }
  /* From here the server may have the message: no cancelling while it answers. */
  if (!pigeon_connection_write_line (self->connection, ".", NULL, error) ||
      !pigeon_connection_flush (self->connection, NULL, error))
    {
      drop (self);
      return FALSE;
    }
  pigeon_connection_set_read_timeout (self->connection, FINAL_REPLY_TIMEOUT);
  reply = read_reply (self, NULL, error);
  pigeon_connection_set_read_timeout (self->connection, self->timeout);
  if (reply == NULL)
    return FALSE;
  self->dirty = FALSE;
  if (reply->code / 100 == 2)
    return TRUE;
  if (reply->code == 552)
    set_reply_error (self, reply, PIGEON_ERROR_TOO_BIG,
                     _("The outgoing server refused the message as too large: %s."), error);
  else
    set_reply_error (self, reply, PIGEON_ERROR_REJECTED,
                     _("The outgoing server refused the message: %s."), error);
  return FALSE;
}

gboolean
pigeon_smtp_session_send (PigeonSmtpSession        *self,
                          const char               *from,
                          const char * const       *recipients,
                          GBytes                   *message,
                          PigeonSmtpCheckpointFunc  checkpoint,
                          gpointer                  checkpoint_data,
                          GPtrArray                *rejected,
                          GCancellable             *cancellable,
                          GError                  **error)
{
  g_autoptr(GArray) rcpts = g_array_new (FALSE, TRUE, sizeof (Recipient));
  g_autoptr(PigeonSmtpReply) mail_reply = NULL;
  g_autoptr(PigeonSmtpReply) data_reply = NULL;
  g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *wire_from = NULL;
  g_autofree char *mail = NULL;
  const Recipient *later = NULL;
  gboolean utf8 = FALSE;
  gsize length;

  g_return_val_if_fail (PIGEON_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (from != NULL && recipients != NULL && recipients[0] != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  g_array_set_clear_func (rcpts, (GDestroyNotify) recipient_clear);
  if (!pigeon_smtp_session_is_open (self))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                   _("The connection to the outgoing server %s was lost."), host (self));
      return FALSE;
    }
  if (!prepare (self, from, recipients, message, &wire_from, rcpts, &utf8, error))
    return FALSE;
  if (self->dirty && !reset (self, cancellable, error))
    return FALSE;

  g_bytes_get_data (message, &length);
  mail = mail_command (self, wire_from, wire_size (g_bytes_get_data (message, NULL), length),
                       has_8bit (g_bytes_get_data (message, NULL), length), utf8);
  self->dirty = TRUE;
  if (!envelope (self, mail, rcpts, &mail_reply, &data_reply,
                 (self->caps->extensions & PIGEON_SMTP_EXT_PIPELINING) != 0, cancellable, error))
    return FALSE;

  if (mail_reply->code != 250)
    {
      set_mail_from_error (self, mail_reply, from, error);
      abandon (self, data_reply, cancellable);
      return FALSE;
    }
  for (guint i = 0; i < rcpts->len; i++)
    {
      const Recipient *r = &g_array_index (rcpts, Recipient, i);

      if (r->reply == NULL || r->reply->code / 100 == 2)
        continue;
      if (pigeon_smtp_reply_is_transient (r->reply))
        {
          if (later == NULL)
            later = r;
          continue;
        }
      {
        g_autofree char *text = pigeon_smtp_reply_dup_text (r->reply);

        /* Translators: an address, then the server's reply. */
        g_ptr_array_add (refused, g_strdup_printf (_("%s was rejected: %s"), r->address, text));
      }
    }
  if (later != NULL)
    {
      g_autofree char *text = pigeon_smtp_reply_dup_text (later->reply);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("The outgoing server cannot take mail for %s right now (it says: “%s”). "
                     "Pigeon will try again later."), later->address, text);
      abandon (self, data_reply, cancellable);
      return FALSE;
    }
  if (refused->len == rcpts->len)
    {
      g_autofree char *all = NULL;

      g_ptr_array_add (refused, NULL);
      all = g_strjoinv ("; ", (char **) refused->pdata);
      g_ptr_array_remove_index (refused, refused->len - 1);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED,
                   _("The outgoing server accepted none of the recipients: %s."), all);
      abandon (self, data_reply, cancellable);
      for (guint i = 0; rejected != NULL && i < refused->len; i++)
        g_ptr_array_add (rejected, g_strdup (g_ptr_array_index (refused, i)));
      return FALSE;
    }
  if (data_reply == NULL || data_reply->code != 354)
    {
      if (data_reply != NULL)
        set_reply_error (self, data_reply, PIGEON_ERROR_REJECTED,
                         _("The outgoing server would not take the message: %s."), error);
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The outgoing server %s did not answer the message."), host (self));
      abandon (self, data_reply, cancellable);
      return FALSE;
    }

  if (!finish_data (self, message, checkpoint, checkpoint_data, cancellable, error))
    return FALSE;
  for (guint i = 0; rejected != NULL && i < refused->len; i++)
    g_ptr_array_add (rejected, g_strdup (g_ptr_array_index (refused, i)));
  return TRUE;
}

void
pigeon_smtp_session_quit (PigeonSmtpSession *self)
{
  g_return_if_fail (PIGEON_IS_SMTP_SESSION (self));

  if (pigeon_smtp_session_is_open (self))
    {
      g_autoptr(PigeonSmtpReply) reply = NULL;

      pigeon_connection_set_read_timeout (self->connection, QUIT_TIMEOUT);
      reply = command (self, "QUIT", NULL, NULL);
    }
  drop (self);
}
