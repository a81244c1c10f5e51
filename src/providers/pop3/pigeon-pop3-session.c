/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-pop3"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-connection.h"
#include "pigeon-error.h"
#include "pigeon-pop3-session.h"
#include "pigeon-sasl.h"

/* Commands in flight with PIPELINING.  RETR and DELE lines are a few bytes each, so the
 * window never fills the socket buffers while the server is busy answering. */
#define RETR_WINDOW 64
#define DELE_WINDOW 256
/* What a server's text may add to an error message. */
#define MAX_SERVER_TEXT 200
/* RFC 5034: an AUTH command line with its initial response is at most 255 octets. */
#define MAX_AUTH_LINE 255

struct _PigeonPop3Session
{
  GObject parent_instance;

  char *host;
  guint16 port;
  PigeonSecurity security;
  char *pinned;
  guint timeout;
  PigeonPop3Limits limits;

  PigeonConnection *connection;
  PigeonPop3Parser *parser;
  PigeonPop3Capabilities *caps;
  gboolean have_capa;    /* the server answered CAPA at all */
  char *apop_timestamp;
  char *mechanism;
  char *user;            /* for error messages */
  guint retry_after;
  char *response_code;   /* of the last refusal */
  gboolean broken;
};

G_DEFINE_FINAL_TYPE (PigeonPop3Session, pigeon_pop3_session, G_TYPE_OBJECT)

void
pigeon_pop3_entry_free (PigeonPop3Entry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->uidl);
  g_free (entry);
}

static void
pigeon_pop3_session_finalize (GObject *object)
{
  PigeonPop3Session *self = (PigeonPop3Session *) object;

  if (self->connection != NULL)
    pigeon_connection_close (self->connection);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->parser, pigeon_pop3_parser_free);
  g_clear_pointer (&self->caps, pigeon_pop3_capabilities_free);
  g_free (self->host);
  g_free (self->pinned);
  g_free (self->apop_timestamp);
  g_free (self->mechanism);
  g_free (self->user);
  g_free (self->response_code);

  G_OBJECT_CLASS (pigeon_pop3_session_parent_class)->finalize (object);
}

static void
pigeon_pop3_session_class_init (PigeonPop3SessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pigeon_pop3_session_finalize;
}

static void
pigeon_pop3_session_init (PigeonPop3Session *self)
{
  self->timeout = 60;
  self->caps = pigeon_pop3_capabilities_new ();
}

PigeonPop3Session *
pigeon_pop3_session_new (const char             *host,
                         guint16                 port,
                         PigeonSecurity          security,
                         const char             *pinned_fingerprint,
                         const PigeonPop3Limits *limits)
{
  PigeonPop3Session *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_POP3_SESSION, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  self->pinned = g_strdup (pinned_fingerprint);
  if (limits != NULL)
    self->limits = *limits;
  else
    pigeon_pop3_limits_init_default (&self->limits);
  self->parser = pigeon_pop3_parser_new (&self->limits);
  return self;
}

void
pigeon_pop3_session_set_timeout (PigeonPop3Session *self,
                                 guint              seconds)
{
  g_return_if_fail (PIGEON_IS_POP3_SESSION (self));

  self->timeout = seconds;
  if (self->connection != NULL)
    pigeon_connection_set_timeout (self->connection, seconds);
}

const PigeonPop3Capabilities *
pigeon_pop3_session_get_capabilities (PigeonPop3Session *self)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), NULL);

  return self->caps;
}

gboolean
pigeon_pop3_session_is_encrypted (PigeonPop3Session *self)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);

  return self->connection != NULL && pigeon_connection_is_encrypted (self->connection);
}

const char *
pigeon_pop3_session_get_mechanism (PigeonPop3Session *self)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), NULL);

  return self->mechanism;
}

guint
pigeon_pop3_session_get_retry_after (PigeonPop3Session *self)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), 0);

  return self->retry_after;
}

const char *
pigeon_pop3_session_get_response_code (PigeonPop3Session *self)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), NULL);

  return self->response_code;
}

void
pigeon_pop3_session_close (PigeonPop3Session *self)
{
  g_return_if_fail (PIGEON_IS_POP3_SESSION (self));

  if (self->connection != NULL)
    pigeon_connection_close (self->connection);
  pigeon_pop3_parser_reset (self->parser);
  self->broken = TRUE;
}

/* ------------------------------------------------------------------ errors */

/* The server's words, safe to show: valid UTF-8, no control characters, not too long. */
static char *
server_text (const char *text,
             gsize       length)
{
  g_autofree char *valid = g_utf8_make_valid (text, MIN (length, MAX_SERVER_TEXT * 4));
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (const char *p = valid; *p != '\0' && n < MAX_SERVER_TEXT; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  if (*out->str == '\0')
    g_string_append (out, _("no reason given"));
  return g_string_free (out, FALSE);
}

static char *
format_minutes (guint seconds)
{
  guint minutes = MAX (1, (seconds + 59) / 60);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", minutes),
                          minutes);
}

/*
 * Turns a -ERR into the error the window reacts to.  CODE is the response code or NULL;
 * WHAT says what was refused ("the password", "message 3"); FALLBACK is the code for a
 * -ERR without a known response code.
 */
static void
set_reply_error (PigeonPop3Session *self,
                 const char        *code,
                 const char        *text,
                 gsize              length,
                 PigeonErrorCode    fallback,
                 const char        *what,
                 GError           **error)
{
  g_autofree char *said = server_text (text, length);
  g_autofree char *wait = NULL;
  const char *user = self->user != NULL ? self->user : "";

  g_free (self->response_code);
  self->response_code = g_strdup (code);
  self->retry_after = 0;
  if (g_strcmp0 (code, "IN-USE") == 0)
    {
      self->retry_after = 60;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_IN_USE,
                   _("Another program is reading the mailbox of %s on %s right now, and the "
                     "server lets only one in at a time (it says: “%s”). Close the other "
                     "program, or try again in a minute."),
                   user, self->host, said);
    }
  else if (g_strcmp0 (code, "LOGIN-DELAY") == 0)
    {
      self->retry_after = self->caps->login_delay > 0 ? self->caps->login_delay : 300;
      wait = format_minutes (self->retry_after);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("%s allows %s to log in only every so often, and it is too soon (it "
                     "says: “%s”). Wait %s before trying again."),
                   self->host, user, said, wait);
    }
  else if (g_strcmp0 (code, "AUTH") == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   _("%s rejected the user name or password for %s (it says: “%s”)."),
                   self->host, user, said);
    }
  else if (g_strcmp0 (code, "SYS/TEMP") == 0)
    {
      self->retry_after = 300;
      wait = format_minutes (self->retry_after);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("%s has a temporary problem (it says: “%s”). Try again in %s."),
                   self->host, said, wait);
    }
  else if (g_strcmp0 (code, "SYS/PERM") == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("%s has a problem that will not go away by itself (it says: “%s”). "
                     "Ask the mail provider about it."),
                   self->host, said);
    }
  else if (fallback == PIGEON_ERROR_AUTH)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   _("%s rejected the user name or password for %s (it says: “%s”)."),
                   self->host, user, said);
    }
  else
    {
      g_set_error (error, PIGEON_ERROR, fallback, _("%s refused %s (it says: “%s”)."),
                   self->host, what, said);
    }
}

static void
break_session (PigeonPop3Session *self)
{
  pigeon_pop3_session_close (self);
}

static gboolean
check_usable (PigeonPop3Session *self,
              GError           **error)
{
  if (self->connection == NULL || self->broken)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                   _("The connection to %s was closed."), self->host);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ sending and reading */

static gboolean
send_command (PigeonPop3Session   *self,
              const char          *line,
              const char          *secret_prefix,
              PigeonPop3ReplyKind  kind,
              GCancellable        *cancellable,
              GError             **error)
{
  gboolean ok;

  if (!check_usable (self, error))
    return FALSE;
  if (secret_prefix != NULL)
    ok = pigeon_connection_write_secret_line (self->connection, line, secret_prefix,
                                              cancellable, error);
  else
    ok = pigeon_connection_write_line (self->connection, line, cancellable, error);
  if (!ok || !pigeon_pop3_parser_expect (self->parser, kind, error))
    {
      break_session (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
flush (PigeonPop3Session *self,
       GCancellable      *cancellable,
       GError           **error)
{
  if (!pigeon_connection_flush (self->connection, cancellable, error))
    {
      break_session (self);
      return FALSE;
    }
  return TRUE;
}

/* Reads one line and what it means.  *LINE owns the memory EVENT points into. */
static gboolean
read_event (PigeonPop3Session *self,
            PigeonPop3Event   *event,
            char             **line,
            GCancellable      *cancellable,
            GError           **error)
{
  gsize length;
  gboolean in_data = pigeon_pop3_parser_in_data (self->parser);
  g_autoptr(GError) local_error = NULL;

  g_assert (*line == NULL);
  if (!check_usable (self, error))
    return FALSE;
  *line = pigeon_connection_read_line (self->connection, &length, cancellable, &local_error);
  if (*line == NULL)
    {
      break_session (self);
      /* The final dot never came: say so, rather than just "connection lost". */
      if (in_data && g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST))
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST,
                     _("The connection to %s was lost in the middle of a reply; nothing of "
                       "it was kept."),
                     self->host);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!pigeon_pop3_parser_feed_line (self->parser, *line, length, event, error))
    {
      break_session (self);
      return FALSE;
    }
  return TRUE;
}

/* Reads a status reply: TRUE with *OK set, FALSE on a connection or protocol failure.
 * On -ERR the error (for the caller to use or drop) is in REFUSAL. */
static gboolean
read_status (PigeonPop3Session *self,
             gboolean          *ok,
             PigeonErrorCode    fallback,
             const char        *what,
             GError           **refusal,
             GCancellable      *cancellable,
             GError           **error)
{
  g_autofree char *line = NULL;
  PigeonPop3Event event;

  if (!read_event (self, &event, &line, cancellable, error))
    return FALSE;
  if (event.kind == PIGEON_POP3_EVENT_OK)
    {
      *ok = TRUE;
      return TRUE;
    }
  if (event.kind == PIGEON_POP3_EVENT_ERR)
    {
      *ok = FALSE;
      set_reply_error (self, event.code, event.text, event.length, fallback, what, refusal);
      return TRUE;
    }
  /* A challenge outside AUTH cannot happen: the parser allows it only in SASL replies. */
  g_assert_not_reached ();
  return FALSE;
}

/* One command, one status line; a -ERR becomes ERROR. */
static gboolean
simple_command (PigeonPop3Session *self,
                const char        *line,
                const char        *secret_prefix,
                PigeonErrorCode    fallback,
                const char        *what,
                GCancellable      *cancellable,
                GError           **error)
{
  gboolean ok;

  if (!send_command (self, line, secret_prefix, PIGEON_POP3_REPLY_SINGLE, cancellable, error) ||
      !flush (self, cancellable, error) ||
      !read_status (self, &ok, fallback, what, error, cancellable, error))
    return FALSE;
  return ok;
}

typedef gboolean (*DataLineFunc) (const char *line,
                                  gsize       length,
                                  gpointer    user_data,
                                  GError    **error);

/* Reads the rest of a multi-line reply whose +OK was read: each line to FUNC. */
static gboolean
read_data (PigeonPop3Session *self,
           DataLineFunc       func,
           gpointer           user_data,
           GCancellable      *cancellable,
           GError           **error)
{
  for (;;)
    {
      g_autofree char *line = NULL;
      PigeonPop3Event event;

      if (!read_event (self, &event, &line, cancellable, error))
        return FALSE;
      if (event.kind == PIGEON_POP3_EVENT_END)
        return TRUE;
      g_assert (event.kind == PIGEON_POP3_EVENT_DATA);
      if (!func (event.text, event.length, user_data, error))
        {
          break_session (self);
          return FALSE;
        }
    }
}

/* Reads a multi-line reply: TRUE with *OK; the data lines go to FUNC after a +OK. */
static gboolean
read_multi (PigeonPop3Session *self,
            gboolean          *ok,
            DataLineFunc       func,
            gpointer           user_data,
            PigeonErrorCode    fallback,
            const char        *what,
            GError           **refusal,
            GCancellable      *cancellable,
            GError           **error)
{
  if (!read_status (self, ok, fallback, what, refusal, cancellable, error))
    return FALSE;
  if (!*ok)
    return TRUE;
  return read_data (self, func, user_data, cancellable, error);
}

/* ------------------------------------------------------------------ connect */

static gboolean
capa_line_cb (const char *line,
              gsize       length,
              gpointer    user_data,
              GError    **error)
{
  PigeonPop3Capabilities *caps = user_data;

  pigeon_pop3_capabilities_add_line (caps, line);
  return TRUE;
}

static gboolean
ask_capabilities (PigeonPop3Session *self,
                  GCancellable      *cancellable,
                  GError           **error)
{
  g_autoptr(PigeonPop3Capabilities) caps = pigeon_pop3_capabilities_new ();
  g_autoptr(GError) refusal = NULL;
  gboolean ok;

  if (!send_command (self, "CAPA", NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error) ||
      !flush (self, cancellable, error) ||
      !read_multi (self, &ok, capa_line_cb, caps, PIGEON_ERROR_UNSUPPORTED, "CAPA", &refusal,
                   cancellable, error))
    return FALSE;

  /* A server from before RFC 2449 knows no CAPA: it then offers USER and nothing more. */
  self->have_capa = ok;
  pigeon_pop3_capabilities_free (self->caps);
  self->caps = g_steal_pointer (&caps);
  return TRUE;
}

static gboolean
start_tls (PigeonPop3Session *self,
           GCancellable      *cancellable,
           GError           **error)
{
  g_autoptr(GError) refusal = NULL;
  gboolean ok = FALSE;

  if (!self->have_capa || (self->caps->flags & PIGEON_POP3_CAPA_STLS))
    {
      if (!send_command (self, "STLS", NULL, PIGEON_POP3_REPLY_SINGLE, cancellable, error) ||
          !flush (self, cancellable, error) ||
          !read_status (self, &ok, PIGEON_ERROR_UNSUPPORTED, "STLS", &refusal, cancellable,
                        error))
        return FALSE;
    }
  if (!ok)
    {
      break_session (self);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("%s does not offer STLS on port %u, so the connection cannot be "
                     "encrypted. Choose TLS (usually port 995) in the account settings."),
                   self->host, self->port);
      return FALSE;
    }
  if (!pigeon_connection_start_tls (self->connection, cancellable, error))
    {
      break_session (self);
      return FALSE;
    }
  /* RFC 2595: forget everything learned before the handshake. */
  return ask_capabilities (self, cancellable, error);
}

gboolean
pigeon_pop3_session_connect (PigeonPop3Session *self,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_autofree char *line = NULL;
  PigeonPop3Event event;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);
  g_return_val_if_fail (self->connection == NULL, FALSE);

  self->connection = pigeon_connection_new (self->host, self->port, self->security,
                                            self->pinned, "pop3");
  pigeon_connection_set_timeout (self->connection, self->timeout);
  pigeon_connection_set_max_line (self->connection,
                                  MAX (self->limits.max_status_line,
                                       self->limits.max_data_line));
  pigeon_pop3_parser_reset (self->parser);
  self->broken = FALSE;
  if (!pigeon_connection_connect (self->connection, cancellable, error))
    {
      break_session (self);
      return FALSE;
    }

  if (!pigeon_pop3_parser_expect (self->parser, PIGEON_POP3_REPLY_SINGLE, error) ||
      !read_event (self, &event, &line, cancellable, error))
    return FALSE;
  if (event.kind != PIGEON_POP3_EVENT_OK)
    {
      set_reply_error (self, event.code, event.text, event.length, PIGEON_ERROR_SERVER,
                       _("the connection"), error);
      break_session (self);
      return FALSE;
    }
  g_clear_pointer (&self->apop_timestamp, g_free);
  self->apop_timestamp = pigeon_pop3_parse_apop_timestamp (event.text);

  if (!ask_capabilities (self, cancellable, error))
    return FALSE;
  if (self->security == PIGEON_SECURITY_STARTTLS && !start_tls (self, cancellable, error))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ login */

static gboolean
check_credential (PigeonPop3Session *self,
                  const char        *value,
                  GError           **error)
{
  if (strpbrk (value, "\r\n") != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The user name or password for %s contains a line break, which POP3 "
                     "cannot send."),
                   self->host);
      return FALSE;
    }
  return TRUE;
}

static gboolean
login_user_pass (PigeonPop3Session *self,
                 const char        *user,
                 const char        *password,
                 GCancellable      *cancellable,
                 GError           **error)
{
  g_autofree char *user_line = g_strconcat ("USER ", user, NULL);
  g_autofree char *pass_line = g_strconcat ("PASS ", password, NULL);
  gboolean ok;

  ok = simple_command (self, user_line, NULL, PIGEON_ERROR_AUTH, "USER", cancellable, error) &&
       simple_command (self, pass_line, "PASS ", PIGEON_ERROR_AUTH, "PASS", cancellable, error);
  explicit_bzero (pass_line, strlen (pass_line));
  return ok;
}

static gboolean
login_apop (PigeonPop3Session *self,
            const char        *user,
            const char        *password,
            GCancellable      *cancellable,
            GError           **error)
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autofree char *line = NULL;
  g_autofree char *prefix = g_strdup_printf ("APOP %s ", user);
  gboolean ok;

  g_checksum_update (md5, (const guchar *) self->apop_timestamp, -1);
  g_checksum_update (md5, (const guchar *) password, -1);
  line = g_strdup_printf ("APOP %s %s", user, g_checksum_get_string (md5));
  ok = simple_command (self, line, prefix, PIGEON_ERROR_AUTH, "APOP", cancellable, error);
  explicit_bzero (line, strlen (line));
  return ok;
}

static gboolean
send_sasl_response (PigeonPop3Session *self,
                    const char        *prefix,
                    GByteArray        *response,
                    GCancellable      *cancellable,
                    GError           **error)
{
  g_autofree char *encoded = pigeon_sasl_encode (response->data, response->len);
  g_autofree char *line = g_strconcat (prefix, encoded, NULL);
  gboolean ok;

  ok = pigeon_connection_write_secret_line (self->connection, line, prefix, cancellable, error) &&
       flush (self, cancellable, error);
  explicit_bzero (encoded, strlen (encoded));
  explicit_bzero (line, strlen (line));
  if (!ok)
    break_session (self);
  return ok;
}

/* SASL responses may hold the password: wiped whenever they are dropped. */
typedef GByteArray SecretBytes;

static void
secret_bytes_free (SecretBytes *bytes)
{
  pigeon_sasl_wipe (bytes);
  g_byte_array_unref (bytes);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretBytes, secret_bytes_free)

/* Sends AUTH MECHANISM.  The client's first response goes on the same line when it fits
 * (RFC 5034); otherwise it stays in RESPONSE, for the server's empty challenge, and
 * *PENDING says so. */
static gboolean
send_auth (PigeonPop3Session *self,
           PigeonSasl        *sasl,
           GByteArray        *response,
           gboolean          *pending,
           GCancellable      *cancellable,
           GError           **error)
{
  g_autofree char *command = g_strdup_printf ("AUTH %s", pigeon_sasl_get_mechanism (sasl));
  g_autofree char *encoded = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *line = NULL;
  gboolean ok;

  *pending = FALSE;
  if (!pigeon_sasl_has_initial_response (sasl))
    return send_command (self, command, NULL, PIGEON_POP3_REPLY_SASL, cancellable, error);

  if (!pigeon_sasl_step (sasl, NULL, 0, response, error))
    return FALSE;
  encoded = pigeon_sasl_encode (response->data, response->len);
  if (strlen (command) + 1 + strlen (encoded) > MAX_AUTH_LINE - 2)
    {
      explicit_bzero (encoded, strlen (encoded));
      *pending = TRUE;
      return send_command (self, command, NULL, PIGEON_POP3_REPLY_SASL, cancellable, error);
    }

  prefix = g_strconcat (command, " ", NULL);
  /* "=" is an empty initial response. */
  line = g_strconcat (prefix, *encoded != '\0' ? encoded : "=", NULL);
  ok = send_command (self, line, prefix, PIGEON_POP3_REPLY_SASL, cancellable, error);
  explicit_bzero (encoded, strlen (encoded));
  explicit_bzero (line, strlen (line));
  pigeon_sasl_wipe (response);
  return ok;
}

/* Computes the answer to one challenge into RESPONSE. */
static gboolean
answer_challenge (PigeonPop3Session     *self,
                  PigeonSasl            *sasl,
                  const PigeonPop3Event *event,
                  GByteArray            *response,
                  GError               **error)
{
  g_autofree guchar *challenge = NULL;
  gsize length = 0;

  if (event->length > 0)
    {
      challenge = pigeon_sasl_decode (event->text, &length, error);
      if (challenge == NULL)
        return FALSE;
    }
  return pigeon_sasl_step (sasl, challenge, length, response, error);
}

static gboolean
login_sasl (PigeonPop3Session *self,
            const char        *mechanism,
            const char        *user,
            const char        *password,
            GCancellable      *cancellable,
            GError           **error)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new (mechanism, user, password);
  g_autoptr(SecretBytes) response = g_byte_array_new ();
  gboolean pending;

  if (!send_auth (self, sasl, response, &pending, cancellable, error) ||
      !flush (self, cancellable, error))
    return FALSE;

  for (;;)
    {
      g_autofree char *line = NULL;
      PigeonPop3Event event;

      if (!read_event (self, &event, &line, cancellable, error))
        return FALSE;
      if (event.kind == PIGEON_POP3_EVENT_ERR)
        {
          set_reply_error (self, event.code, event.text, event.length, PIGEON_ERROR_AUTH,
                           "AUTH", error);
          return FALSE;
        }
      if (event.kind == PIGEON_POP3_EVENT_OK)
        {
          if (pigeon_sasl_is_done (sasl))
            return TRUE;
          break_session (self);
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                       _("%s said the login succeeded without proving that it knows the "
                         "password; Pigeon does not trust this server."),
                       self->host);
          return FALSE;
        }

      g_assert (event.kind == PIGEON_POP3_EVENT_CHALLENGE);
      /* The first challenge of a client-first mechanism asks for the initial response. */
      if (!pending && !answer_challenge (self, sasl, &event, response, error))
        {
          /* The exchange cannot go on; the session is of no further use. */
          break_session (self);
          return FALSE;
        }
      pending = FALSE;
      if (!send_sasl_response (self, "", response, cancellable, error))
        return FALSE;
      pigeon_sasl_wipe (response);
    }
}

static gboolean
offers_sasl (PigeonPop3Session *self,
             const char        *mechanism)
{
  for (guint i = 0; i < self->caps->sasl->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->caps->sasl, i), mechanism) == 0)
      return TRUE;
  return FALSE;
}

/* The method to log in with, or NULL (and ERROR) when none is acceptable. */
static char *
choose_mechanism (PigeonPop3Session *self,
                  gboolean           allow_plaintext,
                  GError           **error)
{
  gboolean encrypted = pigeon_pop3_session_is_encrypted (self);
  const char *sasl;

  g_ptr_array_add (self->caps->sasl, NULL);
  sasl = pigeon_sasl_choose ((const char * const *) self->caps->sasl->pdata, encrypted,
                             allow_plaintext);
  g_ptr_array_remove_index (self->caps->sasl, self->caps->sasl->len - 1);

  /* In clear text, APOP at least keeps the password itself off the wire. */
  if (!encrypted && self->apop_timestamp != NULL &&
      (sasl == NULL || g_str_equal (sasl, "PLAIN") || g_str_equal (sasl, "LOGIN")))
    return g_strdup ("APOP");
  if (sasl != NULL)
    return g_strdup (sasl);
  if (self->apop_timestamp != NULL)
    return g_strdup ("APOP");
  if ((encrypted || allow_plaintext) &&
      (!self->have_capa || (self->caps->flags & PIGEON_POP3_CAPA_USER) ||
       self->caps->sasl->len == 0))
    return g_strdup ("USER");

  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
               encrypted ? _("%s offers no way to log in that Pigeon knows.")
                         : _("%s offers no way to log in without sending the password "
                             "unencrypted. Choose TLS or STARTTLS in the account settings."),
               self->host);
  return NULL;
}

gboolean
pigeon_pop3_session_login (PigeonPop3Session *self,
                           const char        *mechanism,
                           const char        *user,
                           const char        *password,
                           gboolean           allow_plaintext,
                           GCancellable      *cancellable,
                           GError           **error)
{
  g_autofree char *chosen = NULL;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!check_usable (self, error) || !check_credential (self, user, error) ||
      !check_credential (self, password, error))
    return FALSE;
  g_free (self->user);
  self->user = g_strdup (user);

  if (mechanism == NULL)
    chosen = choose_mechanism (self, allow_plaintext, error);
  else
    chosen = g_ascii_strup (mechanism, -1);
  if (chosen == NULL)
    return FALSE;

  if (g_str_equal (chosen, "APOP"))
    {
      if (self->apop_timestamp == NULL)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                       _("%s does not offer APOP."), self->host);
          return FALSE;
        }
      ok = login_apop (self, user, password, cancellable, error);
    }
  else if (g_str_equal (chosen, "USER"))
    {
      ok = login_user_pass (self, user, password, cancellable, error);
    }
  else
    {
      if (!pigeon_sasl_is_supported (chosen) ||
          (self->have_capa && !offers_sasl (self, chosen)))
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                       _("%s does not offer the login method %s."), self->host, chosen);
          return FALSE;
        }
      ok = login_sasl (self, chosen, user, password, cancellable, error);
    }
  if (!ok)
    return FALSE;

  g_free (self->mechanism);
  self->mechanism = g_steal_pointer (&chosen);
  self->retry_after = 0;
  /* Servers may offer more (PIPELINING, say) once the user is known. */
  if (self->have_capa)
    return ask_capabilities (self, cancellable, error);
  return TRUE;
}

/* ------------------------------------------------------------------ transaction */

typedef struct
{
  PigeonPop3Session *self;
  GHashTable *by_number;  /* guint -> PigeonPop3Entry (owned by ENTRIES) */
  GPtrArray *entries;
  gboolean uidl;
} ListData;

static gboolean
list_line_cb (const char *line,
              gsize       length,
              gpointer    user_data,
              GError    **error)
{
  ListData *ld = user_data;
  PigeonPop3Entry *entry;
  guint number;
  guint64 size;

  if (!pigeon_pop3_parse_listing (line, &number, &size) || number == 0 ||
      g_hash_table_contains (ld->by_number, GUINT_TO_POINTER (number)))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s sent a malformed message list."), ld->self->host);
      return FALSE;
    }
  entry = g_new0 (PigeonPop3Entry, 1);
  entry->number = number;
  entry->size = size;
  g_ptr_array_add (ld->entries, entry);
  g_hash_table_insert (ld->by_number, GUINT_TO_POINTER (number), entry);
  return TRUE;
}

static gboolean
uidl_line_cb (const char *line,
              gsize       length,
              gpointer    user_data,
              GError    **error)
{
  ListData *ld = user_data;
  PigeonPop3Entry *entry;
  g_autofree char *uidl = NULL;
  guint number;

  if (!pigeon_pop3_parse_uidl (line, &number, &uidl))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s sent a malformed list of unique ids."), ld->self->host);
      return FALSE;
    }
  entry = g_hash_table_lookup (ld->by_number, GUINT_TO_POINTER (number));
  /* A message deleted by another session between LIST and UIDL is simply left out. */
  if (entry == NULL)
    return TRUE;
  if (entry->uidl != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("%s sent a malformed list of unique ids."), ld->self->host);
      return FALSE;
    }
  entry->uidl = g_steal_pointer (&uidl);
  return TRUE;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const PigeonPop3Entry *ea = *(PigeonPop3Entry * const *) a;
  const PigeonPop3Entry *eb = *(PigeonPop3Entry * const *) b;

  return (ea->number > eb->number) - (ea->number < eb->number);
}

GPtrArray *
pigeon_pop3_session_list (PigeonPop3Session *self,
                          gboolean          *has_uidl,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_autoptr(GHashTable) by_number = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_pop3_entry_free);
  g_autoptr(GError) refusal = NULL;
  g_autoptr(GError) uidl_refusal = NULL;
  ListData ld = { self, by_number, entries };
  gboolean pipelining;
  gboolean want_uidl;
  gboolean ok, uidl_ok = FALSE;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), NULL);

  pipelining = (self->caps->flags & PIGEON_POP3_CAPA_PIPELINING) != 0;
  /* Without CAPA, UIDL is worth a try (RFC 1939 lists it as optional). */
  want_uidl = !self->have_capa || (self->caps->flags & PIGEON_POP3_CAPA_UIDL);

  if (!send_command (self, "LIST", NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error))
    return NULL;
  if (pipelining && want_uidl &&
      !send_command (self, "UIDL", NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error))
    return NULL;
  if (!flush (self, cancellable, error) ||
      !read_multi (self, &ok, list_line_cb, &ld, PIGEON_ERROR_SERVER, _("the message list"),
                   &refusal, cancellable, error))
    return NULL;
  if (!ok)
    {
      /* The pipelined UIDL reply would be taken for the next command's. */
      if (pipelining && want_uidl)
        break_session (self);
      g_propagate_error (error, g_steal_pointer (&refusal));
      return NULL;
    }
  g_ptr_array_sort (entries, compare_entries);

  if (want_uidl)
    {
      if (!pipelining &&
          (!send_command (self, "UIDL", NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error) ||
           !flush (self, cancellable, error)))
        return NULL;
      if (!read_multi (self, &uidl_ok, uidl_line_cb, &ld, PIGEON_ERROR_UNSUPPORTED, "UIDL",
                       &uidl_refusal, cancellable, error))
        return NULL;
    }
  if (uidl_ok)
    {
      /* Every message must have its id, or none can be trusted. */
      for (guint i = 0; i < entries->len; i++)
        {
          PigeonPop3Entry *entry = g_ptr_array_index (entries, i);

          if (entry->uidl == NULL)
            {
              break_session (self);
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                           _("%s left message %u out of its list of unique ids."),
                           self->host, entry->number);
              return NULL;
            }
        }
    }
  if (has_uidl != NULL)
    *has_uidl = uidl_ok;
  return g_steal_pointer (&entries);
}

typedef struct
{
  GByteArray *message;
  gsize max;
} RetrData;

static gboolean
message_line_cb (const char *line,
                 gsize       length,
                 gpointer    user_data,
                 GError    **error)
{
  RetrData *rd = user_data;

  g_byte_array_append (rd->message, (const guint8 *) line, length);
  g_byte_array_append (rd->message, (const guint8 *) "\r\n", 2);
  return TRUE;
}

static gboolean
send_retr (PigeonPop3Session *self,
           guint              number,
           GCancellable      *cancellable,
           GError           **error)
{
  char line[32];

  g_snprintf (line, sizeof line, "RETR %u", number);
  return send_command (self, line, NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error);
}

gboolean
pigeon_pop3_session_retrieve (PigeonPop3Session     *self,
                              const guint           *numbers,
                              guint                  n_numbers,
                              PigeonPop3MessageFunc  func,
                              gpointer               user_data,
                              GCancellable          *cancellable,
                              GError               **error)
{
  guint window, sent = 0, done = 0;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);
  g_return_val_if_fail (numbers != NULL || n_numbers == 0, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  window = (self->caps->flags & PIGEON_POP3_CAPA_PIPELINING) ? RETR_WINDOW : 1;
  while (done < n_numbers)
    {
      g_autoptr(GError) refusal = NULL;
      g_autoptr(GBytes) raw = NULL;
      RetrData rd;
      gboolean ok;
      g_autofree char *what = NULL;

      /* Top the window up once half of it is answered: one write for many commands. */
      if (sent < n_numbers && sent - done <= window / 2)
        {
          while (sent < n_numbers && sent - done < window)
            if (!send_retr (self, numbers[sent++], cancellable, error))
              return FALSE;
          if (!flush (self, cancellable, error))
            return FALSE;
        }

      what = g_strdup_printf (_("to send message %u"), numbers[done]);
      rd.message = g_byte_array_new ();
      if (!read_multi (self, &ok, message_line_cb, &rd, PIGEON_ERROR_SERVER, what, &refusal,
                       cancellable, error))
        {
          g_byte_array_unref (rd.message);
          return FALSE;
        }
      raw = g_byte_array_free_to_bytes (rd.message);
      if (!func (self, numbers[done], ok ? raw : NULL, refusal, user_data, error))
        {
          break_session (self);
          return FALSE;
        }
      done++;
    }
  return TRUE;
}

GBytes *
pigeon_pop3_session_top (PigeonPop3Session *self,
                         guint              number,
                         guint              lines,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autofree char *line = g_strdup_printf ("TOP %u %u", number, lines);
  g_autofree char *what = g_strdup_printf (_("to send the headers of message %u"), number);
  RetrData rd = { g_byte_array_new () };
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), NULL);

  if (!send_command (self, line, NULL, PIGEON_POP3_REPLY_MULTI, cancellable, error) ||
      !flush (self, cancellable, error) ||
      !read_multi (self, &ok, message_line_cb, &rd, PIGEON_ERROR_UNSUPPORTED, what, error,
                   cancellable, error) ||
      !ok)
    {
      g_byte_array_unref (rd.message);
      return NULL;
    }
  return g_byte_array_free_to_bytes (rd.message);
}

gboolean
pigeon_pop3_session_delete (PigeonPop3Session *self,
                            const guint       *numbers,
                            guint              n_numbers,
                            gboolean          *deleted,
                            GCancellable      *cancellable,
                            GError           **error)
{
  guint window, sent = 0, done = 0;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);
  g_return_val_if_fail (numbers != NULL || n_numbers == 0, FALSE);
  g_return_val_if_fail (deleted != NULL || n_numbers == 0, FALSE);

  window = (self->caps->flags & PIGEON_POP3_CAPA_PIPELINING) ? DELE_WINDOW : 1;
  while (done < n_numbers)
    {
      g_autoptr(GError) refusal = NULL;

      if (sent < n_numbers && sent - done <= window / 2)
        {
          while (sent < n_numbers && sent - done < window)
            {
              char line[32];

              g_snprintf (line, sizeof line, "DELE %u", numbers[sent++]);
              if (!send_command (self, line, NULL, PIGEON_POP3_REPLY_SINGLE, cancellable,
                                 error))
                return FALSE;
            }
          if (!flush (self, cancellable, error))
            return FALSE;
        }
      if (!read_status (self, &deleted[done], PIGEON_ERROR_SERVER, "DELE", &refusal,
                        cancellable, error))
        return FALSE;
      if (!deleted[done])
        g_message ("%s did not delete message %u: %s", self->host, numbers[done],
                   refusal->message);
      done++;
    }
  return TRUE;
}

gboolean
pigeon_pop3_session_noop (PigeonPop3Session *self,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);

  return simple_command (self, "NOOP", NULL, PIGEON_ERROR_SERVER, "NOOP", cancellable, error);
}

gboolean
pigeon_pop3_session_quit (PigeonPop3Session *self,
                          GCancellable      *cancellable,
                          GError           **error)
{
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_POP3_SESSION (self), FALSE);

  ok = simple_command (self, "QUIT", NULL, PIGEON_ERROR_SERVER,
                       _("to delete the messages marked for deletion"), cancellable, error);
  pigeon_pop3_session_close (self);
  return ok;
}
