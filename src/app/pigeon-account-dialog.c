/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-account-dialog.h"
#include "pigeon-provider.h"

struct _PigeonAccountDialog
{
  GtkDialog parent_instance;

  GtkInfoBar *error_bar;
  GtkLabel *error_label;
  GtkGrid *grid;
  GtkEntry *name_entry;
  GtkEntry *real_name_entry;
  GtkEntry *email_entry;
  GtkEntry *password_entry;
  GtkComboBoxText *protocol_combo;
  GtkLabel *protocol_description;
  GtkLabel *host_entry_label;
  GtkEntry *host_entry;
  GtkEntry *port_entry;
  GtkComboBoxText *security_combo;
  GtkEntry *user_entry;
  GtkWidget *smtp_heading;
  GtkWidget *smtp_host_entry_label;
  GtkEntry *smtp_host_entry;
  GtkWidget *smtp_port_entry_label;
  GtkEntry *smtp_port_entry;
  GtkWidget *smtp_security_combo_label;
  GtkComboBoxText *smtp_security_combo;
  GtkWidget *smtp_user_entry_label;
  GtkEntry *smtp_user_entry;
  GtkWidget *pop3_heading;
  GtkWidget *pop3_keep_combo_label;
  GtkComboBoxText *pop3_keep_combo;
  GtkWidget *pop3_days_spin_label;
  GtkSpinButton *pop3_days_spin;
  GtkWidget *add_button;

  PigeonApplication *application;
  GCancellable *cancellable;
  /* From pigeon_account_dialog_prefill: the servers whose certificate the user trusted. */
  char *trusted_host;
  char *trusted_certificate;
  char *smtp_trusted_host;
  char *smtp_trusted_certificate;
};

G_DEFINE_FINAL_TYPE (PigeonAccountDialog, pigeon_account_dialog, GTK_TYPE_DIALOG)

static PigeonProviderClass *
selected_provider (PigeonAccountDialog *self)
{
  const char *protocol = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->protocol_combo));

  return protocol ? pigeon_provider_class_lookup (protocol) : NULL;
}

static PigeonSecurity
combo_security (GtkComboBoxText *combo)
{
  PigeonSecurity security = PIGEON_SECURITY_TLS;

  pigeon_security_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo)), &security);
  return security;
}

/* An empty port field means the protocol's usual port, shown as the placeholder. */
static void
update_port_placeholders (PigeonAccountDialog *self)
{
  PigeonProviderClass *klass = selected_provider (self);
  PigeonProviderClass *smtp;
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                                          PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);
  g_autofree char *port = NULL;
  g_autofree char *smtp_port = NULL;

  if (klass != NULL)
    port = g_strdup_printf ("%u", combo_security (self->security_combo) == PIGEON_SECURITY_TLS
                                    ? klass->default_port_tls : klass->default_port_plain);
  gtk_entry_set_placeholder_text (self->port_entry, port);

  smtp = senders[0] ? pigeon_provider_class_lookup (senders[0]) : NULL;
  if (smtp != NULL)
    smtp_port = g_strdup_printf ("%u",
                                 combo_security (self->smtp_security_combo) == PIGEON_SECURITY_TLS
                                   ? smtp->default_port_tls : smtp->default_port_plain);
  gtk_entry_set_placeholder_text (self->smtp_port_entry, smtp_port);
}

static gboolean
port_valid (GtkEntry *entry)
{
  const char *text = gtk_entry_get_text (entry);
  guint64 n;

  return *text == '\0' || g_ascii_string_to_unsigned (text, 10, 1, 65535, &n, NULL);
}

static void
changed_cb (PigeonAccountDialog *self)
{
  const char *email = gtk_entry_get_text (self->email_entry);
  const char *at = strchr (email, '@');
  gboolean ok;

  ok = at != NULL && at != email && at[1] != '\0' &&
       *gtk_entry_get_text (self->password_entry) != '\0' &&
       *gtk_entry_get_text (self->host_entry) != '\0' &&
       selected_provider (self) != NULL &&
       port_valid (self->port_entry) && port_valid (self->smtp_port_entry);
  gtk_widget_set_sensitive (self->add_button, ok && self->cancellable == NULL);
}

static void
set_visible (GtkWidget *widget,
             gboolean   visible)
{
  gtk_widget_set_visible (widget, visible);
}

static void
update_pop3_days (PigeonAccountDialog *self)
{
  gboolean days = g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->pop3_keep_combo)),
                             "days") == 0;

  set_visible (self->pop3_days_spin_label, days && gtk_widget_get_visible (self->pop3_heading));
  set_visible (GTK_WIDGET (self->pop3_days_spin), days && gtk_widget_get_visible (self->pop3_heading));
}

static void
protocol_changed_cb (PigeonAccountDialog *self)
{
  PigeonProviderClass *klass = selected_provider (self);
  gboolean smtp, pop3;

  if (klass == NULL)
    return;

  gtk_label_set_text (self->protocol_description, klass->description);
  gtk_label_set_text_with_mnemonic (self->host_entry_label,
                                    (klass->caps & PIGEON_PROVIDER_CAP_URL_HOST)
                                      ? _("_Server or URL") : _("_Server"));

  /* A protocol that sends mail itself needs no outgoing server; one whose server does not
   * keep the mail (POP3) asks what to leave there. */
  smtp = (klass->caps & PIGEON_PROVIDER_CAP_SEND) == 0;
  pop3 = (klass->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL) == 0;
  set_visible (self->smtp_heading, smtp);
  set_visible (self->smtp_host_entry_label, smtp);
  set_visible (GTK_WIDGET (self->smtp_host_entry), smtp);
  set_visible (self->smtp_port_entry_label, smtp);
  set_visible (GTK_WIDGET (self->smtp_port_entry), smtp);
  set_visible (self->smtp_security_combo_label, smtp);
  set_visible (GTK_WIDGET (self->smtp_security_combo), smtp);
  set_visible (self->smtp_user_entry_label, smtp);
  set_visible (GTK_WIDGET (self->smtp_user_entry), smtp);
  set_visible (self->pop3_heading, pop3);
  set_visible (self->pop3_keep_combo_label, pop3);
  set_visible (GTK_WIDGET (self->pop3_keep_combo), pop3);
  update_pop3_days (self);

  update_port_placeholders (self);
  changed_cb (self);
}

static void
security_changed_cb (PigeonAccountDialog *self)
{
  update_port_placeholders (self);
  changed_cb (self);
}

static void
show_error (PigeonAccountDialog *self,
            const char          *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (GTK_WIDGET (self->error_bar));
}

static guint
entry_port (GtkEntry *entry)
{
  guint64 n = 0;

  g_ascii_string_to_unsigned (gtk_entry_get_text (entry), 10, 1, 65535, &n, NULL);
  return (guint) n;
}

static const char *
entry_text_or_null (GtkEntry *entry)
{
  const char *text = gtk_entry_get_text (entry);

  return *text ? text : NULL;
}

static PigeonAccount *
build_account (PigeonAccountDialog *self)
{
  PigeonAccountManager *manager = pigeon_application_get_manager (self->application);
  g_autofree char *id = pigeon_account_manager_dup_unused_id (manager);
  g_autofree char *email = g_strstrip (g_strdup (gtk_entry_get_text (self->email_entry)));
  g_autofree char *host = g_strstrip (g_strdup (gtk_entry_get_text (self->host_entry)));
  const char *name = entry_text_or_null (self->name_entry);
  PigeonAccount *account = pigeon_account_new (id);
  PigeonProviderClass *klass = selected_provider (self);
  PigeonPop3Keep keep = PIGEON_POP3_KEEP_FOREVER;
  const char *keep_id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->pop3_keep_combo));
  gboolean smtp = (klass->caps & PIGEON_PROVIDER_CAP_SEND) == 0;

  if (g_strcmp0 (keep_id, "days") == 0)
    keep = PIGEON_POP3_KEEP_DAYS;
  else if (g_strcmp0 (keep_id, "until-deleted") == 0)
    keep = PIGEON_POP3_KEEP_UNTIL_DELETED;
  else if (g_strcmp0 (keep_id, "no") == 0)
    keep = PIGEON_POP3_KEEP_NO;

  if (g_strcmp0 (host, self->trusted_host) == 0)
    g_object_set (account, "trusted-certificate", self->trusted_certificate, NULL);
  if (smtp && g_strcmp0 (entry_text_or_null (self->smtp_host_entry), self->smtp_trusted_host) == 0)
    g_object_set (account, "smtp-trusted-certificate", self->smtp_trusted_certificate, NULL);
  g_object_set (account,
                "name", name ? name : email,
                "real-name", entry_text_or_null (self->real_name_entry),
                "email", email,
                "protocol", klass->protocol,
                "host", host,
                "port", entry_port (self->port_entry),
                "security", combo_security (self->security_combo),
                "user", entry_text_or_null (self->user_entry),
                "smtp-host", smtp ? entry_text_or_null (self->smtp_host_entry) : NULL,
                "smtp-port", smtp ? entry_port (self->smtp_port_entry) : 0,
                "smtp-security", combo_security (self->smtp_security_combo),
                "smtp-user", smtp ? entry_text_or_null (self->smtp_user_entry) : NULL,
                "pop3-keep", keep,
                "pop3-keep-days", (guint) gtk_spin_button_get_value_as_int (self->pop3_days_spin),
                NULL);
  return account;
}

static void
add_account_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->cancellable);
  if (!pigeon_application_add_account_finish (PIGEON_APPLICATION (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          show_error (self, error->message);
          gtk_widget_set_sensitive (GTK_WIDGET (self->grid), TRUE);
          changed_cb (self);
        }
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
pigeon_account_dialog_response (GtkDialog *dialog,
                                int        response)
{
  PigeonAccountDialog *self = PIGEON_ACCOUNT_DIALOG (dialog);
  g_autoptr(PigeonAccount) account = NULL;

  if (response != GTK_RESPONSE_OK)
    {
      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  if (!gtk_widget_get_sensitive (self->add_button))
    return;

  gtk_widget_hide (GTK_WIDGET (self->error_bar));
  account = build_account (self);
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (GTK_WIDGET (self->grid), FALSE);
  gtk_widget_set_sensitive (self->add_button, FALSE);
  pigeon_application_add_account_async (self->application, account,
                                        gtk_entry_get_text (self->password_entry),
                                        self->cancellable, add_account_cb, g_object_ref (self));
}

static void
pigeon_account_dialog_dispose (GObject *object)
{
  PigeonAccountDialog *self = (PigeonAccountDialog *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->application);
  g_clear_pointer (&self->trusted_host, g_free);
  g_clear_pointer (&self->trusted_certificate, g_free);
  g_clear_pointer (&self->smtp_trusted_host, g_free);
  g_clear_pointer (&self->smtp_trusted_certificate, g_free);

  G_OBJECT_CLASS (pigeon_account_dialog_parent_class)->dispose (object);
}

static void
pigeon_account_dialog_class_init (PigeonAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = pigeon_account_dialog_dispose;
  dialog_class->response = pigeon_account_dialog_response;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-account-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PigeonAccountDialog, name)
  BIND (error_bar);
  BIND (error_label);
  BIND (grid);
  BIND (name_entry);
  BIND (real_name_entry);
  BIND (email_entry);
  BIND (password_entry);
  BIND (protocol_combo);
  BIND (protocol_description);
  BIND (host_entry_label);
  BIND (host_entry);
  BIND (port_entry);
  BIND (security_combo);
  BIND (user_entry);
  BIND (smtp_heading);
  BIND (smtp_host_entry_label);
  BIND (smtp_host_entry);
  BIND (smtp_port_entry_label);
  BIND (smtp_port_entry);
  BIND (smtp_security_combo_label);
  BIND (smtp_security_combo);
  BIND (smtp_user_entry_label);
  BIND (smtp_user_entry);
  BIND (pop3_heading);
  BIND (pop3_keep_combo_label);
  BIND (pop3_keep_combo);
  BIND (pop3_days_spin_label);
  BIND (pop3_days_spin);
  BIND (add_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, protocol_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, security_changed_cb);
}

static void
pop3_keep_changed_cb (PigeonAccountDialog *self)
{
  update_pop3_days (self);
}

static void
pigeon_account_dialog_init (PigeonAccountDialog *self)
{
  g_auto(GStrv) protocols = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  protocols = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_RECEIVE);
  for (guint i = 0; protocols[i]; i++)
    {
      PigeonProviderClass *klass = pigeon_provider_class_lookup (protocols[i]);
      gtk_combo_box_text_append (self->protocol_combo, protocols[i], _(klass->display_name));
    }
  /* Preselect a general-purpose protocol that keeps mail and folders on the server and
   * takes a plain host name (what most people have); else the first one. */
  gtk_combo_box_set_active (GTK_COMBO_BOX (self->protocol_combo), 0);
  for (guint i = 0; protocols[i]; i++)
    {
      PigeonProviderCaps caps = pigeon_provider_class_lookup (protocols[i])->caps;
      PigeonProviderCaps want = PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL | PIGEON_PROVIDER_CAP_FOLDERS;

      if ((caps & want) == want && !(caps & PIGEON_PROVIDER_CAP_URL_HOST))
        {
          gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->protocol_combo), protocols[i]);
          break;
        }
    }
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->security_combo), "tls");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->smtp_security_combo), "starttls");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->pop3_keep_combo), "forever");
  g_signal_connect_swapped (self->pop3_keep_combo, "changed", G_CALLBACK (pop3_keep_changed_cb),
                            self);
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_OK);
  protocol_changed_cb (self);
}

PigeonAccountDialog *
pigeon_account_dialog_new (PigeonApplication *application,
                           GtkWindow         *parent)
{
  PigeonAccountDialog *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  self = g_object_new (PIGEON_TYPE_ACCOUNT_DIALOG,
                       "use-header-bar", TRUE,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  return self;
}

static void
set_entry (GtkEntry   *entry,
           const char *text)
{
  gtk_entry_set_text (entry, text ? text : "");
}

static void
set_port_entry (GtkEntry *entry,
                guint     port)
{
  g_autofree char *text = port ? g_strdup_printf ("%u", port) : NULL;

  set_entry (entry, text);
}

void
pigeon_account_dialog_prefill (PigeonAccountDialog *self,
                               PigeonAccount       *account,
                               const char          *password)
{
  static const char *const keep_ids[] = {
    [PIGEON_POP3_KEEP_FOREVER] = "forever",
    [PIGEON_POP3_KEEP_DAYS] = "days",
    [PIGEON_POP3_KEEP_UNTIL_DELETED] = "until-deleted",
    [PIGEON_POP3_KEEP_NO] = "no",
  };
  const char *protocol;
  PigeonPop3Keep keep;

  g_return_if_fail (PIGEON_IS_ACCOUNT_DIALOG (self));
  g_return_if_fail (PIGEON_IS_ACCOUNT (account));

  if (g_strcmp0 (pigeon_account_get_name (account), pigeon_account_get_email (account)) != 0)
    set_entry (self->name_entry, pigeon_account_get_name (account));
  set_entry (self->real_name_entry, pigeon_account_get_real_name (account));
  set_entry (self->email_entry, pigeon_account_get_email (account));
  set_entry (self->password_entry, password);

  protocol = pigeon_account_get_protocol (account);
  if (protocol != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->protocol_combo), protocol);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->security_combo),
                               pigeon_security_to_string (pigeon_account_get_security (account)));
  set_entry (self->host_entry, pigeon_account_get_host (account));
  set_port_entry (self->port_entry, pigeon_account_get_port (account));
  set_entry (self->user_entry, pigeon_account_get_user (account));

  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->smtp_security_combo),
                               pigeon_security_to_string (
                                 pigeon_account_get_smtp_security (account)));
  set_entry (self->smtp_host_entry, pigeon_account_get_smtp_host (account));
  set_port_entry (self->smtp_port_entry, pigeon_account_get_smtp_port (account));
  set_entry (self->smtp_user_entry, pigeon_account_get_smtp_user (account));

  keep = pigeon_account_get_pop3_keep (account);
  if (keep < G_N_ELEMENTS (keep_ids))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->pop3_keep_combo), keep_ids[keep]);
  gtk_spin_button_set_value (self->pop3_days_spin, pigeon_account_get_pop3_keep_days (account));

  g_free (self->trusted_host);
  g_free (self->trusted_certificate);
  g_free (self->smtp_trusted_host);
  g_free (self->smtp_trusted_certificate);
  self->trusted_host = g_strdup (pigeon_account_get_host (account));
  self->trusted_certificate = g_strdup (pigeon_account_get_trusted_certificate (account));
  self->smtp_trusted_host = g_strdup (pigeon_account_get_smtp_host (account));
  self->smtp_trusted_certificate = g_strdup (pigeon_account_get_smtp_trusted_certificate (account));

  protocol_changed_cb (self);
}
