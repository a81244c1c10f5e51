/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-smtp"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-smtp-provider.h"
#include "pigeon-smtp-session.h"

struct _PigeonSmtpProvider
{
  PigeonProvider parent_instance;

  PigeonSmtpSession *session;
};

G_DEFINE_FINAL_TYPE (PigeonSmtpProvider, pigeon_smtp_provider, PIGEON_TYPE_PROVIDER)

static gboolean
pigeon_smtp_provider_connect (PigeonProvider  *provider,
                              GCancellable    *cancellable,
                              GError         **error)
{
  PigeonSmtpProvider *self = PIGEON_SMTP_PROVIDER (provider);
  g_autoptr(PigeonConnection) connection = NULL;
  g_autoptr(PigeonSmtpSession) session = NULL;
  PigeonSecurity security = pigeon_provider_get_security (provider);
  const char *host = pigeon_provider_get_host (provider);

  if (self->session != NULL)
    {
      pigeon_smtp_session_quit (self->session);
      g_clear_object (&self->session);
    }
  if (host == NULL || *host == '\0')
    {
      PigeonAccount *account = pigeon_provider_get_account (provider);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The account %s has no outgoing server. Add one in the account "
                     "settings."), pigeon_account_get_email (account));
      return FALSE;
    }

  connection = pigeon_connection_new (host, pigeon_provider_get_port (provider), security,
                                      pigeon_provider_get_pinned_certificate (provider), "smtp");
  session = pigeon_smtp_session_new (connection);
  if (!pigeon_smtp_session_open (session, security, NULL, cancellable, error) ||
      !pigeon_smtp_session_authenticate (session, pigeon_provider_get_login (provider),
                                         pigeon_provider_get_password (provider),
                                         security == PIGEON_SECURITY_NONE, cancellable, error))
    {
      pigeon_smtp_session_quit (session);
      return FALSE;
    }
  self->session = g_steal_pointer (&session);
  return TRUE;
}

static void
pigeon_smtp_provider_disconnect (PigeonProvider *provider)
{
  PigeonSmtpProvider *self = PIGEON_SMTP_PROVIDER (provider);

  if (self->session != NULL)
    {
      pigeon_smtp_session_quit (self->session);
      g_clear_object (&self->session);
    }
}

static gboolean
checkpoint_cb (gpointer   user_data,
               GError   **error)
{
  return pigeon_provider_send_checkpoint (PIGEON_PROVIDER (user_data), error);
}

static gboolean
pigeon_smtp_provider_send (PigeonProvider      *provider,
                           GBytes              *message,
                           const char          *from,
                           const char * const  *recipients,
                           GPtrArray           *rejected,
                           GCancellable        *cancellable,
                           GError             **error)
{
  PigeonSmtpProvider *self = PIGEON_SMTP_PROVIDER (provider);
  /* Bcc recipients are in the envelope only: no recipient may learn of them. */
  g_autoptr(GBytes) wire = pigeon_mime_without_field (message, "Bcc");

  /* A connection the server closed since the last message is opened again. */
  if ((self->session == NULL || !pigeon_smtp_session_is_open (self->session)) &&
      !pigeon_provider_connect (provider, cancellable, error))
    return FALSE;
  return pigeon_smtp_session_send (self->session, from, recipients, wire, checkpoint_cb,
                                   provider, rejected, cancellable, error);
}

static void
pigeon_smtp_provider_finalize (GObject *object)
{
  PigeonSmtpProvider *self = (PigeonSmtpProvider *) object;

  if (self->session != NULL)
    pigeon_connection_close (pigeon_smtp_session_get_connection (self->session));
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pigeon_smtp_provider_parent_class)->finalize (object);
}

static void
pigeon_smtp_provider_class_init (PigeonSmtpProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  object_class->finalize = pigeon_smtp_provider_finalize;

  provider_class->protocol = "smtp";
  provider_class->display_name = _("SMTP");
  provider_class->description = _("Sends mail through the outgoing server of your account.");
  provider_class->default_port_tls = 465;
  provider_class->default_port_plain = 587;
  provider_class->caps = PIGEON_PROVIDER_CAP_SEND | PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS |
                         PIGEON_PROVIDER_CAP_SEND_CHECKPOINT;

  provider_class->connect = pigeon_smtp_provider_connect;
  provider_class->disconnect = pigeon_smtp_provider_disconnect;
  provider_class->send = pigeon_smtp_provider_send;
}

static void
pigeon_smtp_provider_init (PigeonSmtpProvider *self)
{
}

void
pigeon_smtp_provider_register (void)
{
  pigeon_provider_register_type (PIGEON_TYPE_SMTP_PROVIDER, "smtp");
}
