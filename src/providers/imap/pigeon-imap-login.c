/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-connection.h"
#include "pigeon-error.h"
#include "pigeon-imap-private.h"
#include "pigeon-sasl.h"

/* ------------------------------------------------------------------ PigeonConnection as I/O */

static char *
conn_read_line (gpointer io, gsize *length, GCancellable *cancellable, GError **error)
{
  return pigeon_connection_read_line (io, length, cancellable, error);
}

static GBytes *
conn_read_bytes (gpointer io, gsize count, GCancellable *cancellable, GError **error)
{
  return pigeon_connection_read_bytes (io, count, cancellable, error);
}

static gboolean
conn_write (gpointer io, const void *data, gsize length, GCancellable *cancellable,
            GError **error)
{
  return pigeon_connection_write (io, data, length, cancellable, error);
}

static gboolean
conn_write_line (gpointer io, const char *line, GCancellable *cancellable, GError **error)
{
  return pigeon_connection_write_line (io, line, cancellable, error);
}

static gboolean
conn_write_secret_line (gpointer io, const char *line, const char *trace_prefix,
                        GCancellable *cancellable, GError **error)
{
  return pigeon_connection_write_secret_line (io, line, trace_prefix, cancellable, error);
}

static gboolean
conn_flush (gpointer io, GCancellable *cancellable, GError **error)
{
  return pigeon_connection_flush (io, cancellable, error);
}

static gboolean
conn_start_tls (gpointer io, GCancellable *cancellable, GError **error)
{
  return pigeon_connection_start_tls (io, cancellable, error);
}

static gboolean
conn_start_compression (gpointer io, GError **error)
{
  return pigeon_connection_start_compression (io, error);
}

static void
conn_set_read_timeout (gpointer io, guint seconds)
{
  pigeon_connection_set_read_timeout (io, seconds);
}

static void
conn_close (gpointer io)
{
  pigeon_connection_close (io);
}

static const PigeonImapIoFuncs connection_funcs = {
  .read_line = conn_read_line,
  .read_bytes = conn_read_bytes,
  .write = conn_write,
  .write_line = conn_write_line,
  .write_secret_line = conn_write_secret_line,
  .flush = conn_flush,
  .start_tls = conn_start_tls,
  .start_compression = conn_start_compression,
  .set_read_timeout = conn_set_read_timeout,
  .close = conn_close,
};

/* ------------------------------------------------------------------ authentication */

typedef struct
{
  PigeonSasl *sasl;
  gboolean started;
  GError *error;      /* the SASL exchange failed on our side */
} Auth;

static gboolean
send_sasl_step (PigeonImapSession *session,
                Auth              *auth,
                const guchar      *challenge,
                gsize              length,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autofree char *encoded = NULL;
  gboolean ok;

  auth->started = TRUE;
  if (!pigeon_sasl_step (auth->sasl, challenge, length, response, &auth->error))
    {
      /* "*" cancels the exchange; the server answers with a tagged BAD. */
      return pigeon_imap_session_write_line (session, "*", FALSE, cancellable, error) &&
             pigeon_imap_session_flush (session, cancellable, error);
    }
  encoded = pigeon_sasl_encode (response->data, response->len);
  pigeon_sasl_wipe (response);
  ok = pigeon_imap_session_write_line (session, encoded, TRUE, cancellable, error) &&
       pigeon_imap_session_flush (session, cancellable, error);
  explicit_bzero (encoded, strlen (encoded));
  return ok;
}

static gboolean
auth_continuation_cb (PigeonImapSession  *session,
                      PigeonImapCommand  *command,
                      PigeonImapResponse *response,
                      gpointer            user_data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  Auth *auth = user_data;
  g_autofree guchar *challenge = NULL;
  gsize length = 0;

  if (auth->error != NULL)
    return pigeon_imap_session_write_line (session, "*", FALSE, cancellable, error) &&
           pigeon_imap_session_flush (session, cancellable, error);

  /* A client-first mechanism without SASL-IR gets an empty challenge to start. */
  if (!auth->started && pigeon_sasl_has_initial_response (auth->sasl))
    return send_sasl_step (session, auth, NULL, 0, cancellable, error);

  challenge = pigeon_sasl_decode (response->text, &length, &auth->error);
  if (challenge == NULL)
    return pigeon_imap_session_write_line (session, "*", FALSE, cancellable, error) &&
           pigeon_imap_session_flush (session, cancellable, error);
  return send_sasl_step (session, auth, challenge, length, cancellable, error);
}

static void
rejected (PigeonImapProvider *self,
          PigeonImapCommand  *command,
          GError            **error)
{
  PigeonImapResponse *response = pigeon_imap_command_get_response (command);
  g_autoptr(GError) check = NULL;

  pigeon_imap_command_check (command, &check);
  if (g_error_matches (check, PIGEON_ERROR, PIGEON_ERROR_SERVER) ||
      g_error_matches (check, PIGEON_ERROR, PIGEON_ERROR_IN_USE))
    {
      /* [UNAVAILABLE]: the server cannot check passwords right now; try again later. */
      g_propagate_error (error, g_steal_pointer (&check));
      return;
    }
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
               _("The server rejected the password for %s: %s"),
               pigeon_provider_get_login (PIGEON_PROVIDER (self)),
               response != NULL ? response->text : "");
}

static gboolean
authenticate_sasl (PigeonImapProvider *self,
                   PigeonImapSession  *session,
                   const char         *mechanism,
                   GCancellable       *cancellable,
                   GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new (mechanism, pigeon_provider_get_login (provider),
                                                pigeon_provider_get_password (provider));
  g_autoptr(PigeonImapCommand) command = NULL;
  g_autofree char *name = g_strdup_printf ("AUTHENTICATE %s", mechanism);
  Auth auth = { sasl, FALSE, NULL };

  command = pigeon_imap_command_new (name);
  if (pigeon_sasl_has_initial_response (sasl) &&
      pigeon_imap_session_has_capability (session, "SASL-IR"))
    {
      g_autoptr(GByteArray) response = g_byte_array_new ();
      g_autofree char *encoded = NULL;

      if (!pigeon_sasl_step (sasl, NULL, 0, response, error))
        return FALSE;
      auth.started = TRUE;
      encoded = pigeon_sasl_encode (response->data, response->len);
      pigeon_sasl_wipe (response);
      pigeon_imap_command_add_text (command, " %s", *encoded != '\0' ? encoded : "=");
      explicit_bzero (encoded, strlen (encoded));
      pigeon_imap_command_set_secret (command, name);
    }
  pigeon_imap_command_set_continuation_func (command, auth_continuation_cb, &auth);

  if (!pigeon_imap_session_send (session, command, cancellable, error) ||
      !pigeon_imap_session_wait (session, command, cancellable, error))
    {
      g_clear_error (&auth.error);
      return FALSE;
    }
  if (auth.error != NULL)
    {
      g_propagate_error (error, auth.error);
      return FALSE;
    }
  if (pigeon_imap_command_get_status (command) != PIGEON_IMAP_STATUS_OK)
    {
      rejected (self, command, error);
      return FALSE;
    }
  if (!pigeon_sasl_is_done (sasl))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   _("The server accepted the login to %s without proving it knows the "
                     "password; Pigeon does not trust it."),
                   pigeon_provider_get_host (PIGEON_PROVIDER (self)));
      return FALSE;
    }
  return TRUE;
}

static gboolean
authenticate_login (PigeonImapProvider *self,
                    PigeonImapSession  *session,
                    GCancellable       *cancellable,
                    GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  const char *password = pigeon_provider_get_password (provider);
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("LOGIN");

  if (strpbrk (password, "\r\n") != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The password cannot be sent to %s: it contains a line break."),
                   pigeon_provider_get_host (provider));
      return FALSE;
    }
  pigeon_imap_command_add_astring (command, pigeon_provider_get_login (provider));
  /* Quoted even when 8-bit: a literal would have to be sent outside the secret line. */
  pigeon_imap_command_add_text (command, " \"");
  for (const char *p = password; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        pigeon_imap_command_add_text (command, "\\");
      pigeon_imap_command_add_text (command, "%c", *p);
    }
  pigeon_imap_command_add_text (command, "\"");
  pigeon_imap_command_set_secret (command, "LOGIN");

  if (!pigeon_imap_session_send (session, command, cancellable, error) ||
      !pigeon_imap_session_wait (session, command, cancellable, error))
    return FALSE;
  if (pigeon_imap_command_get_status (command) != PIGEON_IMAP_STATUS_OK)
    {
      rejected (self, command, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
authenticate (PigeonImapProvider *self,
              PigeonImapSession  *session,
              gboolean            encrypted,
              GCancellable       *cancellable,
              GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  gboolean plaintext_allowed = pigeon_provider_get_security (provider) == PIGEON_SECURITY_NONE;
  g_auto(GStrv) offered = pigeon_imap_session_dup_capability_values (session, "AUTH=");
  const char *mechanism = pigeon_sasl_choose ((const char * const *) offered, encrypted,
                                              plaintext_allowed);

  if (pigeon_provider_get_password (provider) == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD,
                   _("There is no password for %s."), pigeon_provider_get_login (provider));
      return FALSE;
    }
  if (mechanism != NULL)
    return authenticate_sasl (self, session, mechanism, cancellable, error);
  if (!pigeon_imap_session_has_capability (session, "LOGINDISABLED") &&
      (encrypted || plaintext_allowed))
    return authenticate_login (self, session, cancellable, error);
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
               _("%s offers no way to log in that Pigeon can use safely."),
               pigeon_provider_get_host (provider));
  return FALSE;
}

/* ------------------------------------------------------------------ after login */

static gboolean
namespace_cb (PigeonImapCommand  *command,
              PigeonImapResponse *response,
              gpointer            user_data)
{
  PigeonImapProvider *self = user_data;
  PigeonImapValue *personal;
  PigeonImapValue *first;

  if (g_strcmp0 (response->name, "NAMESPACE") != 0)
    return FALSE;
  personal = pigeon_imap_response_get_arg (response, 0);
  first = pigeon_imap_value_get_item (personal, 0);
  if (pigeon_imap_value_get_n_items (first) >= 2)
    {
      g_free (self->personal_prefix);
      g_free (self->personal_delimiter);
      self->personal_prefix = pigeon_imap_value_dup_string (pigeon_imap_value_get_item (first, 0));
      self->personal_delimiter =
        pigeon_imap_value_dup_string (pigeon_imap_value_get_item (first, 1));
    }
  return TRUE;
}

/* ID, ENABLE and NAMESPACE, pipelined; none of them is required. */
static gboolean
introduce (PigeonImapProvider *self,
           PigeonImapSession  *session,
           GCancellable       *cancellable,
           GError            **error)
{
  g_autoptr(GPtrArray) commands =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_command_unref);

  if (pigeon_imap_session_has_capability (session, "ID"))
    {
      PigeonImapCommand *id = pigeon_imap_command_new ("ID");

      pigeon_imap_command_add_text (id, " (\"name\" \"%s\" \"version\" \"%s\")", PACKAGE_NAME,
                                    PACKAGE_VERSION);
      g_ptr_array_add (commands, id);
    }
  if (pigeon_imap_session_has_capability (session, "ENABLE"))
    {
      if (pigeon_imap_session_has_capability (session, "QRESYNC"))
        g_ptr_array_add (commands, pigeon_imap_command_new ("ENABLE CONDSTORE QRESYNC"));
      else if (pigeon_imap_session_has_capability (session, "CONDSTORE"))
        g_ptr_array_add (commands, pigeon_imap_command_new ("ENABLE CONDSTORE"));
    }
  if (pigeon_imap_session_has_capability (session, "NAMESPACE"))
    {
      PigeonImapCommand *ns = pigeon_imap_command_new ("NAMESPACE");

      pigeon_imap_command_set_untagged_func (ns, namespace_cb, self);
      g_ptr_array_add (commands, ns);
    }

  for (guint i = 0; i < commands->len; i++)
    if (!pigeon_imap_session_send (session, g_ptr_array_index (commands, i), cancellable, error))
      return FALSE;
  for (guint i = 0; i < commands->len; i++)
    {
      PigeonImapCommand *command = g_ptr_array_index (commands, i);
      g_autoptr(GError) refused = NULL;

      if (!pigeon_imap_session_wait (session, command, cancellable, error))
        return FALSE;
      if (!pigeon_imap_command_check (command, &refused))
        g_debug ("%s", refused->message);
    }
  return TRUE;
}

/* COMPRESS=DEFLATE pays where bytes are slow, not on this machine: there it only costs CPU
 * on both ends (measured: a body sync over loopback takes about twice as long with it).
 * PIGEON_IMAP_COMPRESS=always or =never overrides the choice (tests, debugging). */
static gboolean
want_compression (PigeonImapProvider *self)
{
  const char *setting = g_getenv ("PIGEON_IMAP_COMPRESS");
  const char *host = pigeon_provider_get_host (PIGEON_PROVIDER (self));
  g_autoptr(GInetAddress) address = NULL;

  if (g_strcmp0 (setting, "always") == 0)
    return TRUE;
  if (g_strcmp0 (setting, "never") == 0)
    return FALSE;
  if (host == NULL || g_ascii_strcasecmp (host, "localhost") == 0)
    return FALSE;
  address = g_inet_address_new_from_string (host);
  return address == NULL || !g_inet_address_get_is_loopback (address);
}

static gboolean
ensure_capabilities (PigeonImapSession *session,
                     GCancellable      *cancellable,
                     GError           **error)
{
  if (pigeon_imap_session_has_capabilities (session))
    return TRUE;
  return pigeon_imap_session_run_simple (session, "CAPABILITY", cancellable, error);
}

static gboolean
log_in (PigeonImapProvider *self,
        PigeonImapSession  *session,
        PigeonConnection   *connection,
        GCancellable       *cancellable,
        GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);

  if (!pigeon_imap_session_read_greeting (session, cancellable, error))
    return FALSE;

  if (pigeon_provider_get_security (provider) == PIGEON_SECURITY_STARTTLS)
    {
      if (!ensure_capabilities (session, cancellable, error))
        return FALSE;
      if (!pigeon_imap_session_has_capability (session, "STARTTLS"))
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                       _("%s does not offer STARTTLS, so the connection cannot be "
                         "encrypted. Choose TLS on its own port in the account settings."),
                       pigeon_provider_get_host (provider));
          return FALSE;
        }
      if (!pigeon_imap_session_run_simple (session, "STARTTLS", cancellable, error) ||
          !pigeon_imap_session_start_tls (session, cancellable, error))
        return FALSE;
    }

  if (pigeon_imap_session_get_state (session) == PIGEON_IMAP_STATE_NOT_AUTHENTICATED)
    {
      guint serial;

      if (!ensure_capabilities (session, cancellable, error))
        return FALSE;
      serial = pigeon_imap_session_get_capability_serial (session);
      if (!authenticate (self, session, pigeon_connection_is_encrypted (connection), cancellable,
                         error))
        return FALSE;
      pigeon_imap_session_set_state (session, PIGEON_IMAP_STATE_AUTHENTICATED);
      /* Logging in changes what the server offers: the OK usually carries the new list;
       * otherwise ask. */
      if (pigeon_imap_session_get_capability_serial (session) == serial)
        pigeon_imap_session_clear_capabilities (session);
    }
  if (!ensure_capabilities (session, cancellable, error))
    return FALSE;

  if (pigeon_imap_session_has_capability (session, "COMPRESS=DEFLATE") && want_compression (self))
    {
      if (!pigeon_imap_session_run_simple (session, "COMPRESS DEFLATE", cancellable, error) ||
          !pigeon_imap_session_start_compression (session, error))
        return FALSE;
    }
  return introduce (self, session, cancellable, error);
}

PigeonImapSession *
pigeon_imap_open_session (PigeonImapProvider *self,
                          const char         *purpose,
                          GCancellable       *cancellable,
                          GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  PigeonImapLimits limits;
  g_autoptr(PigeonConnection) connection = NULL;
  g_autoptr(PigeonImapSession) session = NULL;
  g_autofree char *trace = g_strdup_printf ("imap-%s", purpose);

  pigeon_imap_limits_init_default (&limits);
  connection = pigeon_connection_new (pigeon_provider_get_host (provider),
                                      pigeon_provider_get_port (provider),
                                      pigeon_provider_get_security (provider),
                                      pigeon_provider_get_pinned_certificate (provider),
                                      trace);
  pigeon_connection_set_max_line (connection, limits.max_line);
  pigeon_connection_set_max_bytes (connection, limits.max_literal);
  if (!pigeon_connection_connect (connection, cancellable, error))
    return NULL;

  session = pigeon_imap_session_new (&connection_funcs, g_object_ref (connection),
                                     g_object_unref, &limits);
  if (!log_in (self, session, connection, cancellable, error))
    {
      pigeon_imap_session_close (session);
      return NULL;
    }
  return g_steal_pointer (&session);
}

PigeonImapSession *
pigeon_imap_get_work_session (PigeonImapProvider *self,
                              GCancellable       *cancellable,
                              GError            **error)
{
  pigeon_imap_release_broken (self);
  if (self->work == NULL)
    self->work = pigeon_imap_open_session (self, "work", cancellable, error);
  return self->work;
}

void
pigeon_imap_release_broken (PigeonImapProvider *self)
{
  if (self->work != NULL && pigeon_imap_session_is_broken (self->work))
    g_clear_object (&self->work);
  if (self->idle != NULL && pigeon_imap_session_is_broken (self->idle))
    g_clear_object (&self->idle);
}
