/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-certificate-dialog.h"

struct _PigeonCertificateDialog
{
  GtkDialog parent_instance;

  GtkLabel *intro_label;
  GtkLabel *details_label;
  GtkLabel *fingerprint_label;
  GtkButton *trust_button;

  PigeonSession *session;
  char *fingerprint;
};

G_DEFINE_FINAL_TYPE (PigeonCertificateDialog, pigeon_certificate_dialog, GTK_TYPE_DIALOG)

char *
pigeon_certificate_dialog_find_fingerprint (const char *message)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *found = NULL;
  g_autoptr(GString) hex = NULL;

  if (message == NULL)
    return NULL;
  /* 32 bytes as colon-separated pairs, the form the engine writes and people compare. */
  regex = g_regex_new ("\\b(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}\\b", 0, 0, NULL);
  if (!g_regex_match (regex, message, 0, &match))
    return NULL;
  found = g_match_info_fetch (match, 0);
  hex = g_string_new (NULL);
  for (const char *p = found; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (hex, g_ascii_tolower (*p));
  return hex->len == 64 ? g_string_free (g_steal_pointer (&hex), FALSE) : NULL;
}

static char *
format_fingerprint (const char *hex)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; hex[i] != '\0'; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, i % 32 == 0 ? '\n' : ':');
      g_string_append_c (out, g_ascii_toupper (hex[i]));
      if (hex[i + 1] != '\0')
        g_string_append_c (out, g_ascii_toupper (hex[i + 1]));
      else
        break;
    }
  return g_string_free (out, FALSE);
}

static void
pigeon_certificate_dialog_response (GtkDialog *dialog,
                                    int        response)
{
  PigeonCertificateDialog *self = PIGEON_CERTIFICATE_DIALOG (dialog);

  if (response == GTK_RESPONSE_ACCEPT && self->fingerprint != NULL)
    {
      PigeonAccount *account = pigeon_session_get_account (self->session);

      /* A persisted property: the account manager saves it. */
      g_object_set (account, "trusted-certificate", self->fingerprint, NULL);
      pigeon_account_set_last_error (account, NULL);
      pigeon_session_sync_now (self->session);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
pigeon_certificate_dialog_finalize (GObject *object)
{
  PigeonCertificateDialog *self = (PigeonCertificateDialog *) object;

  g_clear_object (&self->session);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (pigeon_certificate_dialog_parent_class)->finalize (object);
}

static void
pigeon_certificate_dialog_class_init (PigeonCertificateDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->finalize = pigeon_certificate_dialog_finalize;
  dialog_class->response = pigeon_certificate_dialog_response;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-certificate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonCertificateDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonCertificateDialog, details_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonCertificateDialog, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonCertificateDialog, trust_button);
}

static void
pigeon_certificate_dialog_init (PigeonCertificateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pigeon_certificate_dialog_new (GtkWindow     *parent,
                               PigeonSession *session,
                               const GError  *error)
{
  PigeonCertificateDialog *self;
  PigeonAccount *account;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (PIGEON_IS_SESSION (session), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_CERTIFICATE_DIALOG, "transient-for", parent,
                       "use-header-bar", TRUE, NULL);
  self->session = g_object_ref (session);
  account = pigeon_session_get_account (session);
  intro = g_strdup_printf (_("Pigeon could not confirm that it is talking to the real %s. "
                             "Someone may be listening in. Trust this certificate only if you "
                             "know the server uses it (ask its administrator to compare the "
                             "fingerprint)."), pigeon_account_get_host (account));
  gtk_label_set_text (self->intro_label, intro);
  gtk_label_set_text (self->details_label, error->message);
  self->fingerprint = pigeon_certificate_dialog_find_fingerprint (error->message);
  if (self->fingerprint != NULL)
    {
      g_autofree char *shown = format_fingerprint (self->fingerprint);

      gtk_label_set_text (self->fingerprint_label, shown);
    }
  else
    {
      gtk_label_set_text (self->fingerprint_label,
                          _("The certificate's fingerprint is not known, so it cannot be "
                            "trusted from here. Retry to see it."));
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->trust_button), self->fingerprint != NULL);
  return GTK_WIDGET (self);
}
