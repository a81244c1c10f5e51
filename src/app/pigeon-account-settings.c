/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-account-settings-password.h"
#include "pigeon-account-settings-private.h"
#include "pigeon-certificate.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"
#include "pigeon-provider.h"

struct _PigeonAccountSettings
{
  GtkDialog parent_instance;

  /* template */
  GtkHeaderBar *header_bar;
  GtkStack *stack;
  GtkInfoBar *error_bar;
  GtkLabel *error_label;
  GtkWidget *error_trust_button;
  GtkEntry *name_entry;
  GtkEntry *real_name_entry;
  GtkEntry *email_entry;
  GtkTextView *signature_view;
  GtkListBox *identities_list;
  GtkWidget *identity_add_row;
  GtkEntry *identity_name_entry;
  GtkEntry *identity_address_entry;
  GtkWidget *identity_add_button;
  GtkSwitch *notify_switch;
  GtkSwitch *enabled_switch;
  GtkLabel *protocol_label;
  GtkLabel *host_title;
  GtkEntry *host_entry;
  GtkEntry *port_entry;
  GtkComboBoxText *security_combo;
  GtkEntry *user_entry;
  GtkWidget *certificate_row;
  GtkLabel *certificate_title;
  GtkWidget *smtp_group;
  GtkEntry *smtp_host_entry;
  GtkEntry *smtp_port_entry;
  GtkComboBoxText *smtp_security_combo;
  GtkEntry *smtp_user_entry;
  GtkWidget *smtp_certificate_row;
  GtkLabel *smtp_certificate_title;
  GtkSpinner *apply_spinner;
  GtkLabel *apply_status;
  GtkWidget *apply_button;
  GtkComboBoxText *interval_combo;
  GtkComboBoxText *window_combo;
  GtkWidget *pop3_group;
  GtkComboBoxText *pop3_keep_combo;
  GtkWidget *pop3_days_row;
  GtkSpinButton *pop3_days_spin;

  GSimpleActionGroup *actions;
  PigeonApplication *application;
  PigeonAccount *account;
  GCancellable *cancellable;
  gboolean loading;               /* filling the widgets: their signals change nothing */

  PigeonAccount *candidate;       /* the server settings being checked */
  char *untrusted_fingerprint;
  gboolean untrusted_outgoing;
  gboolean unchecked_ok;          /* the check could not decide: Apply keeps them anyway */
};

G_DEFINE_FINAL_TYPE (PigeonAccountSettings, pigeon_account_settings, GTK_TYPE_DIALOG)

static const char *const pop3_keep_ids[] = {
  [PIGEON_POP3_KEEP_FOREVER] = "forever",
  [PIGEON_POP3_KEEP_DAYS] = "days",
  [PIGEON_POP3_KEEP_UNTIL_DELETED] = "until-deleted",
  [PIGEON_POP3_KEEP_NO] = "no",
};

static void load_identities (PigeonAccountSettings *self);

/* ------------------------------------------------------------------ helpers */

static PigeonProviderClass *
account_provider (PigeonAccountSettings *self)
{
  return pigeon_provider_class_lookup (pigeon_account_get_protocol (self->account));
}

static char *
entry_text (GtkEntry *entry)
{
  char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));

  if (*text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
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

/* The port in ENTRY (0 for an empty one); FALSE when it is not a port. */
static gboolean
entry_port (GtkEntry *entry,
            guint    *port)
{
  const char *text = gtk_entry_get_text (entry);
  guint64 n = 0;

  if (*text != '\0' && !g_ascii_string_to_unsigned (text, 10, 1, 65535, &n, NULL))
    return FALSE;
  *port = (guint) n;
  return TRUE;
}

static PigeonSecurity
combo_security (GtkComboBoxText *combo)
{
  PigeonSecurity security = PIGEON_SECURITY_TLS;

  pigeon_security_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo)), &security);
  return security;
}

static void
mark_invalid (GtkWidget *widget,
              gboolean   invalid)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  if (invalid)
    gtk_style_context_add_class (context, "error");
  else
    gtk_style_context_remove_class (context, "error");
}

static void
show_error (PigeonAccountSettings *self,
            const char            *message,
            gboolean               offer_trust)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (self->error_trust_button, offer_trust);
  gtk_widget_show (GTK_WIDGET (self->error_bar));
}

static void
hide_error (PigeonAccountSettings *self)
{
  gtk_widget_hide (GTK_WIDGET (self->error_bar));
}

static char *
pretty_fingerprint (const char *sha256)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; sha256[i] != '\0' && sha256[i + 1] != '\0'; i += 2)
    g_string_append_printf (out, "%s%c%c", i ? ":" : "", g_ascii_toupper (sha256[i]),
                            g_ascii_toupper (sha256[i + 1]));
  return g_string_free (out, FALSE);
}

static char *
describe_interval (guint minutes)
{
  return g_strdup_printf (ngettext ("Every %u minute", "Every %u minutes", minutes), minutes);
}

static char *
describe_window (guint days)
{
  return g_strdup_printf (ngettext ("The last %u day", "The last %u days", days), days);
}

/* Combo items for a value the list lacks ("Every 45 minutes"), so every value shows. */
static void
select_number (GtkComboBoxText *combo,
               guint            value,
               char          *(*describe) (guint))
{
  g_autofree char *id = g_strdup_printf ("%u", value);

  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), id))
    {
      g_autofree char *label = describe (value);

      gtk_combo_box_text_append (combo, id, label);
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), id);
    }
}

static guint
combo_number (GtkComboBoxText *combo)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo));

  return id ? (guint) g_ascii_strtoull (id, NULL, 10) : 0;
}

/* ------------------------------------------------------------------ showing the account */

static void
update_certificates (PigeonAccountSettings *self)
{
  const char *incoming = pigeon_account_get_trusted_certificate (self->account);
  const char *outgoing = pigeon_account_get_smtp_trusted_certificate (self->account);

  gtk_widget_set_visible (self->certificate_row, incoming != NULL);
  if (incoming != NULL)
    {
      g_autofree char *pretty = pretty_fingerprint (incoming);
      g_autofree char *title = g_strdup_printf (_("Trusted certificate\n%s"), pretty);

      gtk_label_set_text (self->certificate_title, title);
    }
  gtk_widget_set_visible (self->smtp_certificate_row, outgoing != NULL);
  if (outgoing != NULL)
    {
      g_autofree char *pretty = pretty_fingerprint (outgoing);
      g_autofree char *title = g_strdup_printf (_("Trusted certificate\n%s"), pretty);

      gtk_label_set_text (self->smtp_certificate_title, title);
    }
}

static void
update_pop3_days (PigeonAccountSettings *self)
{
  gtk_widget_set_visible (self->pop3_days_row,
                          pigeon_account_get_pop3_keep (self->account) == PIGEON_POP3_KEEP_DAYS);
}

static void
load_servers (PigeonAccountSettings *self)
{
  PigeonAccount *account = self->account;

  set_entry (self->host_entry, pigeon_account_get_host (account));
  set_port_entry (self->port_entry, pigeon_account_get_port (account));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->security_combo),
                               pigeon_security_to_string (pigeon_account_get_security (account)));
  set_entry (self->user_entry, pigeon_account_get_user (account));
  set_entry (self->smtp_host_entry, pigeon_account_get_smtp_host (account));
  set_port_entry (self->smtp_port_entry, pigeon_account_get_smtp_port (account));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->smtp_security_combo),
                               pigeon_security_to_string (
                                 pigeon_account_get_smtp_security (account)));
  set_entry (self->smtp_user_entry, pigeon_account_get_smtp_user (account));
}

static void
load (PigeonAccountSettings *self)
{
  PigeonAccount *account = self->account;
  PigeonProviderClass *klass = account_provider (self);
  PigeonPop3Keep keep = pigeon_account_get_pop3_keep (account);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->signature_view);
  const char *signature = pigeon_account_get_signature (account);

  self->loading = TRUE;
  set_entry (self->name_entry, pigeon_account_get_name (account));
  set_entry (self->real_name_entry, pigeon_account_get_real_name (account));
  set_entry (self->email_entry, pigeon_account_get_email (account));
  gtk_text_buffer_set_text (buffer, signature ? signature : "", -1);
  load_identities (self);

  gtk_label_set_text (self->protocol_label,
                      klass ? _(klass->display_name) : pigeon_account_get_protocol (account));
  gtk_label_set_text (self->host_title, klass && (klass->caps & PIGEON_PROVIDER_CAP_URL_HOST)
                                          ? _("Server or web address") : _("Server"));
  load_servers (self);
  gtk_widget_set_visible (self->smtp_group,
                          klass == NULL || (klass->caps & PIGEON_PROVIDER_CAP_SEND) == 0);
  update_certificates (self);

  select_number (self->interval_combo, pigeon_account_get_check_interval (account),
                 describe_interval);
  select_number (self->window_combo, pigeon_account_get_sync_window_days (account),
                 describe_window);
  /* Only a server that does not keep the mail asks how long it should. */
  gtk_widget_set_visible (self->pop3_group,
                          klass != NULL && !(klass->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL));
  if (keep < G_N_ELEMENTS (pop3_keep_ids))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->pop3_keep_combo), pop3_keep_ids[keep]);
  gtk_spin_button_set_value (self->pop3_days_spin, pigeon_account_get_pop3_keep_days (account));
  update_pop3_days (self);
  self->loading = FALSE;
}

static void
account_notify_cb (PigeonAccountSettings *self,
                   GParamSpec            *pspec)
{
  if (g_str_has_suffix (pspec->name, "trusted-certificate"))
    update_certificates (self);
}

/* ------------------------------------------------------------------ live settings */

static PigeonAccount *
account_named (PigeonAccountSettings *self,
               const char            *name)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

      if (g_strcmp0 (pigeon_account_get_name (account), name) == 0)
        return account;
    }
  return NULL;
}

static void
name_changed_cb (PigeonAccountSettings *self)
{
  g_autofree char *name = entry_text (self->name_entry);
  PigeonAccount *other;

  if (self->loading)
    return;
  /* Names tell accounts apart (pigeonctl takes them): empty or taken ones wait. */
  other = name ? account_named (self, name) : NULL;
  mark_invalid (GTK_WIDGET (self->name_entry), name == NULL || (other && other != self->account));
  if (name != NULL && (other == NULL || other == self->account))
    g_object_set (self->account, "name", name, NULL);
}

static void
real_name_changed_cb (PigeonAccountSettings *self)
{
  g_autofree char *name = entry_text (self->real_name_entry);

  if (!self->loading)
    g_object_set (self->account, "real-name", name, NULL);
}

static void
email_changed_cb (PigeonAccountSettings *self)
{
  g_autofree char *email = entry_text (self->email_entry);
  gboolean valid = pigeon_autoconfig_split_address (email, NULL, NULL);

  if (self->loading)
    return;
  mark_invalid (GTK_WIDGET (self->email_entry), !valid);
  if (valid)
    g_object_set (self->account, "email", email, NULL);
}

static void
signature_changed_cb (PigeonAccountSettings *self,
                      GtkTextBuffer         *buffer)
{
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  if (self->loading)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_object_set (self->account, "signature", *text ? text : NULL, NULL);
}

static void
interval_changed_cb (PigeonAccountSettings *self)
{
  guint minutes = combo_number (self->interval_combo);

  if (!self->loading && minutes > 0)
    g_object_set (self->account, "check-interval", minutes, NULL);
}

static void
window_changed_cb (PigeonAccountSettings *self)
{
  if (!self->loading && gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->window_combo)))
    g_object_set (self->account, "sync-window-days", combo_number (self->window_combo), NULL);
}

static void
pop3_changed_cb (PigeonAccountSettings *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->pop3_keep_combo));
  guint days;

  if (self->loading)
    return;
  days = (guint) gtk_spin_button_get_value_as_int (self->pop3_days_spin);
  for (guint i = 0; id != NULL && i < G_N_ELEMENTS (pop3_keep_ids); i++)
    if (g_strcmp0 (id, pop3_keep_ids[i]) == 0)
      g_object_set (self->account, "pop3-keep", (PigeonPop3Keep) i, "pop3-keep-days", days, NULL);
  update_pop3_days (self);
}

/* ------------------------------------------------------------------ servers */

static void check_candidate (PigeonAccountSettings *self);

/* The server settings in the form, on a copy of the account; NULL with a message when the
 * form is not complete. */
static PigeonAccount *
servers_from_form (PigeonAccountSettings  *self,
                   char                  **problem)
{
  g_autoptr(PigeonAccount) candidate = pigeon_account_settings_copy_account (self->account);
  g_autofree char *host = entry_text (self->host_entry);
  g_autofree char *user = entry_text (self->user_entry);
  g_autofree char *smtp_host = entry_text (self->smtp_host_entry);
  g_autofree char *smtp_user = entry_text (self->smtp_user_entry);
  guint port, smtp_port;

  if (host == NULL)
    {
      *problem = g_strdup (_("The incoming server is missing."));
      return NULL;
    }
  if (!entry_port (self->port_entry, &port) || !entry_port (self->smtp_port_entry, &smtp_port))
    {
      *problem = g_strdup (_("A port is a number from 1 to 65535."));
      return NULL;
    }
  g_object_set (candidate,
                "host", host,
                "port", port,
                "security", combo_security (self->security_combo),
                "user", user,
                NULL);
  if (gtk_widget_get_visible (self->smtp_group))
    g_object_set (candidate,
                  "smtp-host", smtp_host,
                  "smtp-port", smtp_port,
                  "smtp-security", combo_security (self->smtp_security_combo),
                  "smtp-user", smtp_user,
                  NULL);
  /* A certificate was trusted for one server only. */
  if (g_ascii_strcasecmp (host, pigeon_account_get_host (self->account)) != 0)
    g_object_set (candidate, "trusted-certificate", NULL, NULL);
  if (g_strcmp0 (smtp_host, pigeon_account_get_smtp_host (self->account)) != 0)
    g_object_set (candidate, "smtp-trusted-certificate", NULL, NULL);
  return g_steal_pointer (&candidate);
}

static gboolean
servers_differ (PigeonAccountSettings *self,
                PigeonAccount         *candidate)
{
  PigeonAccount *a = self->account;
  PigeonAccount *c = candidate;

  return g_strcmp0 (pigeon_account_get_host (a), pigeon_account_get_host (c)) != 0 ||
         pigeon_account_get_port (a) != pigeon_account_get_port (c) ||
         pigeon_account_get_security (a) != pigeon_account_get_security (c) ||
         g_strcmp0 (pigeon_account_get_user (a), pigeon_account_get_user (c)) != 0 ||
         g_strcmp0 (pigeon_account_get_smtp_host (a), pigeon_account_get_smtp_host (c)) != 0 ||
         pigeon_account_get_smtp_port (a) != pigeon_account_get_smtp_port (c) ||
         pigeon_account_get_smtp_security (a) != pigeon_account_get_smtp_security (c) ||
         g_strcmp0 (pigeon_account_get_smtp_user (a), pigeon_account_get_smtp_user (c)) != 0;
}

static void
changed_cb (PigeonAccountSettings *self)
{
  g_autofree char *problem = NULL;
  g_autoptr(PigeonAccount) candidate = NULL;

  if (self->loading)
    return;
  candidate = servers_from_form (self, &problem);
  self->unchecked_ok = FALSE;
  gtk_button_set_label (GTK_BUTTON (self->apply_button), _("_Check and Apply"));
  gtk_label_set_text (self->apply_status, problem ? problem : "");
  gtk_widget_set_sensitive (self->apply_button,
                            candidate != NULL && servers_differ (self, candidate));
}

static void
apply_candidate (PigeonAccountSettings *self)
{
  PigeonAccount *c = self->candidate;

  g_object_set (self->account,
                "host", pigeon_account_get_host (c),
                "port", pigeon_account_get_port (c),
                "security", pigeon_account_get_security (c),
                "user", pigeon_account_get_user (c),
                "trusted-certificate", pigeon_account_get_trusted_certificate (c),
                "smtp-host", pigeon_account_get_smtp_host (c),
                "smtp-port", pigeon_account_get_smtp_port (c),
                "smtp-security", pigeon_account_get_smtp_security (c),
                "smtp-user", pigeon_account_get_smtp_user (c),
                "smtp-trusted-certificate", pigeon_account_get_smtp_trusted_certificate (c),
                NULL);
  g_clear_object (&self->candidate);
  self->unchecked_ok = FALSE;
  gtk_button_set_label (GTK_BUTTON (self->apply_button), _("_Check and Apply"));
  gtk_widget_set_sensitive (self->apply_button, FALSE);
  gtk_label_set_text (self->apply_status, _("Applied."));
  hide_error (self);
}

static void
servers_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PigeonAccountSettings) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean outgoing = FALSE;
  gboolean ok = pigeon_account_settings_check_finish (result, &outgoing, &error);

  /* Cancelled: the dialog is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_stop (self->apply_spinner);
  if (ok)
    {
      apply_candidate (self);
      return;
    }

  gtk_label_set_text (self->apply_status, "");
  gtk_widget_set_sensitive (self->apply_button, TRUE);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);
  self->untrusted_fingerprint = pigeon_certificate_error_dup_sha256 (error);
  self->untrusted_outgoing = outgoing;

  /* The outgoing server showing the very certificate trusted for the same incoming host
   * needs no second question (as in the assistant). */
  if (outgoing && self->untrusted_fingerprint != NULL &&
      g_strcmp0 (self->untrusted_fingerprint,
                 pigeon_account_get_trusted_certificate (self->candidate)) == 0 &&
      g_ascii_strcasecmp (pigeon_account_get_smtp_host (self->candidate),
                          pigeon_account_get_host (self->candidate)) == 0)
    {
      g_object_set (self->candidate, "smtp-trusted-certificate", self->untrusted_fingerprint,
                    NULL);
      g_clear_pointer (&self->untrusted_fingerprint, g_free);
      check_candidate (self);
      return;
    }

  if (outgoing)
    {
      g_autofree char *message = g_strdup_printf (_("Outgoing server: %s"), error->message);

      show_error (self, message, self->untrusted_fingerprint != NULL);
    }
  else
    show_error (self, error->message, self->untrusted_fingerprint != NULL);
  /* Settings the server could not be asked about may still be right. */
  if (self->untrusted_fingerprint == NULL)
    {
      self->unchecked_ok = TRUE;
      gtk_button_set_label (GTK_BUTTON (self->apply_button), _("_Apply Anyway"));
    }
}

static void
check_candidate (PigeonAccountSettings *self)
{
  hide_error (self);
  gtk_widget_set_sensitive (self->apply_button, FALSE);
  gtk_spinner_start (self->apply_spinner);
  gtk_label_set_text (self->apply_status, _("Signing in…"));
  pigeon_account_settings_check_async (self->application, self->candidate, NULL, FALSE,
                                       self->cancellable, servers_checked_cb,
                                       g_object_ref (self));
}

static void
apply_servers_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;
  g_autofree char *problem = NULL;
  g_autoptr(PigeonAccount) candidate = servers_from_form (self, &problem);

  if (candidate == NULL)
    {
      show_error (self, problem, FALSE);
      return;
    }
  if (self->unchecked_ok && self->candidate != NULL)
    {
      apply_candidate (self);
      return;
    }
  g_set_object (&self->candidate, candidate);
  check_candidate (self);
}

static void
trust_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;

  if (self->candidate == NULL || self->untrusted_fingerprint == NULL)
    return;
  g_object_set (self->candidate,
                self->untrusted_outgoing ? "smtp-trusted-certificate" : "trusted-certificate",
                self->untrusted_fingerprint, NULL);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);
  check_candidate (self);
}

static void
forget_certificate_action (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;

  g_object_set (self->account, "trusted-certificate", NULL, NULL);
}

static void
forget_smtp_certificate_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;

  g_object_set (self->account, "smtp-trusted-certificate", NULL, NULL);
}

static void
change_password_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;

  gtk_window_present (GTK_WINDOW (pigeon_account_settings_password_new (self->application,
                                                                        self->account,
                                                                        GTK_WINDOW (self))));
}

/* ------------------------------------------------------------------ other addresses */

/* The account's other identities, one a line, without LINE_TO_DROP (may be NULL) and with
 * LINE_TO_ADD (may be NULL) at the end. */
static void
write_identities (PigeonAccountSettings *self,
                  const char            *line_to_drop,
                  const char            *line_to_add)
{
  const char *current = pigeon_account_get_identities (self->account);
  g_auto(GStrv) lines = current ? g_strsplit (current, "\n", -1) : NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean dropped = FALSE;

  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        continue;
      if (!dropped && g_strcmp0 (lines[i], line_to_drop) == 0)
        {
          dropped = TRUE;
          continue;
        }
      g_string_append_printf (out, "%s%s", out->len ? "\n" : "", lines[i]);
    }
  if (line_to_add != NULL)
    g_string_append_printf (out, "%s%s", out->len ? "\n" : "", line_to_add);
  g_object_set (self->account, "identities", out->len ? out->str : NULL, NULL);
  load_identities (self);
}

static void
remove_identity_clicked_cb (GtkButton             *button,
                            PigeonAccountSettings *self)
{
  write_identities (self, g_object_get_data (G_OBJECT (button), "identity"), NULL);
}

static GtkWidget *
identity_row (PigeonAccountSettings *self,
              const char            *identity)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (identity);
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic", GTK_ICON_SIZE_BUTTON);
  g_autofree char *name = g_strdup_printf (_("Remove %s"), identity);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set (box, "margin-start", 12, "margin-end", 12, "margin-top", 8, "margin-bottom", 8,
                NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_tooltip_text (remove, name);
  atk_object_set_name (gtk_widget_get_accessible (remove), name);
  gtk_button_set_relief (GTK_BUTTON (remove), GTK_RELIEF_NONE);
  g_object_set_data_full (G_OBJECT (remove), "identity", g_strdup (identity), g_free);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_identity_clicked_cb), self, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  gtk_box_pack_end (GTK_BOX (box), remove, FALSE, FALSE, 0);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_widget_show_all (row);
  return row;
}

static void
load_identities (PigeonAccountSettings *self)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->identities_list));
  g_auto(GStrv) identities = pigeon_account_dup_identities (self->account);

  for (GList *l = rows; l; l = l->next)
    if (l->data != self->identity_add_row)
      gtk_widget_destroy (l->data);
  /* The first is the account's own address, on its own row above. */
  for (guint i = 1; identities[i] != NULL; i++)
    gtk_list_box_insert (self->identities_list, identity_row (self, identities[i]), (int) i - 1);
}

static char *
new_identity (PigeonAccountSettings *self)
{
  g_autofree char *name = entry_text (self->identity_name_entry);
  g_autofree char *address = entry_text (self->identity_address_entry);

  if (!pigeon_autoconfig_split_address (address, NULL, NULL))
    return NULL;
  /* Quoted when the name holds what would end it early. */
  if (name != NULL && strpbrk (name, ",;<>\"@") != NULL)
    {
      g_autoptr(GString) quoted = g_string_new (name);

      g_string_replace (quoted, "\\", "\\\\", 0);
      g_string_replace (quoted, "\"", "\\\"", 0);
      return g_strdup_printf ("\"%s\" <%s>", quoted->str, address);
    }
  return name ? g_strdup_printf ("%s <%s>", name, address) : g_steal_pointer (&address);
}

static void
identity_entry_changed_cb (PigeonAccountSettings *self)
{
  g_autofree char *identity = new_identity (self);

  gtk_widget_set_sensitive (self->identity_add_button, identity != NULL);
}

static void
add_identity_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;
  g_autofree char *identity = new_identity (self);

  if (identity == NULL)
    return;
  write_identities (self, NULL, identity);
  gtk_entry_set_text (self->identity_name_entry, "");
  gtk_entry_set_text (self->identity_address_entry, "");
  gtk_widget_grab_focus (GTK_WIDGET (self->identity_name_entry));
}

static void
identity_entry_activate_cb (PigeonAccountSettings *self)
{
  add_identity_action (NULL, NULL, self);
}

/* ------------------------------------------------------------------ removal */

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!pigeon_application_remove_account_finish (PIGEON_APPLICATION (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
confirm_response_cb (GtkDialog *confirm,
                     int        response,
                     gpointer   user_data)
{
  GTask *task = user_data;
  PigeonAccount *account = g_task_get_task_data (task);

  gtk_widget_destroy (GTK_WIDGET (confirm));
  if (response != GTK_RESPONSE_ACCEPT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The account was kept."));
      g_object_unref (task);
      return;
    }
  pigeon_application_remove_account_async (g_task_get_source_object (task), account, NULL,
                                           removed_cb, task);
}

void
pigeon_account_settings_confirm_remove_async (PigeonApplication   *application,
                                              PigeonAccount       *account,
                                              GtkWindow           *parent,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  PigeonProviderClass *klass;
  GTask *task;
  GtkWidget *confirm;
  GtkWidget *remove;
  gboolean local_mail;

  g_return_if_fail (PIGEON_IS_APPLICATION (application));
  g_return_if_fail (PIGEON_IS_ACCOUNT (account));

  task = g_task_new (application, NULL, callback, user_data);
  g_task_set_source_tag (task, pigeon_account_settings_confirm_remove_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (account));
  local_mail = klass != NULL && !(klass->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL);
  confirm = gtk_message_dialog_new (parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                    GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE,
                                    _("Remove the account “%s”?"),
                                    pigeon_account_get_name (account));
  gtk_message_dialog_format_secondary_text (
    GTK_MESSAGE_DIALOG (confirm), "%s",
    local_mail
      ? _("Its password is removed from the keyring and the mail Pigeon downloaded from it is "
          "deleted from this computer. Mail still on the server is not touched.")
      : _("Its password is removed from the keyring and its local copy of your mail is deleted. "
          "Mail on the server is not touched."));
  gtk_dialog_add_button (GTK_DIALOG (confirm), _("_Cancel"), GTK_RESPONSE_CANCEL);
  remove = gtk_dialog_add_button (GTK_DIALOG (confirm), _("_Remove"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (remove), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (confirm), GTK_RESPONSE_CANCEL);
  g_signal_connect (confirm, "response", G_CALLBACK (confirm_response_cb), task);
  gtk_window_present (GTK_WINDOW (confirm));
}

gboolean
pigeon_account_settings_confirm_remove_finish (GAsyncResult  *result,
                                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
remove_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonAccountSettings) self = user_data;
  g_autoptr(GError) error = NULL;

  if (pigeon_account_settings_confirm_remove_finish (result, &error))
    gtk_widget_destroy (GTK_WIDGET (self));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_error (self, error->message, FALSE);
}

static void
remove_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonAccountSettings *self = user_data;

  pigeon_account_settings_confirm_remove_async (self->application, self->account,
                                                GTK_WINDOW (self), remove_done_cb,
                                                g_object_ref (self));
}

static const GActionEntry settings_actions[] = {
  { "apply-servers", apply_servers_action },
  { "trust", trust_action },
  { "forget-certificate", forget_certificate_action },
  { "forget-smtp-certificate", forget_smtp_certificate_action },
  { "change-password", change_password_action },
  { "remove", remove_action },
  { "add-identity", add_identity_action },
};

/* ------------------------------------------------------------------ object */

static void
error_bar_response_cb (PigeonAccountSettings *self)
{
  hide_error (self);
}

static void
accounts_changed_cb (PigeonAccountSettings *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  /* Removed elsewhere (the Accounts dialog, pigeonctl): nothing left to set. */
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

      if (account == self->account)
        return;
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
pigeon_account_settings_dispose (GObject *object)
{
  PigeonAccountSettings *self = (PigeonAccountSettings *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->application);
  g_clear_object (&self->account);
  g_clear_object (&self->candidate);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);

  G_OBJECT_CLASS (pigeon_account_settings_parent_class)->dispose (object);
}

static void
pigeon_account_settings_class_init (PigeonAccountSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_account_settings_dispose;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-account-settings.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PigeonAccountSettings, name)
  BIND (header_bar);
  BIND (stack);
  BIND (error_bar);
  BIND (error_label);
  BIND (error_trust_button);
  BIND (name_entry);
  BIND (real_name_entry);
  BIND (email_entry);
  BIND (signature_view);
  BIND (identities_list);
  BIND (identity_add_row);
  BIND (identity_name_entry);
  BIND (identity_address_entry);
  BIND (identity_add_button);
  BIND (notify_switch);
  BIND (enabled_switch);
  BIND (protocol_label);
  BIND (host_title);
  BIND (host_entry);
  BIND (port_entry);
  BIND (security_combo);
  BIND (user_entry);
  BIND (certificate_row);
  BIND (certificate_title);
  BIND (smtp_group);
  BIND (smtp_host_entry);
  BIND (smtp_port_entry);
  BIND (smtp_security_combo);
  BIND (smtp_user_entry);
  BIND (smtp_certificate_row);
  BIND (smtp_certificate_title);
  BIND (apply_spinner);
  BIND (apply_status);
  BIND (apply_button);
  BIND (interval_combo);
  BIND (window_combo);
  BIND (pop3_group);
  BIND (pop3_keep_combo);
  BIND (pop3_days_row);
  BIND (pop3_days_spin);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, real_name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, email_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, interval_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, window_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, pop3_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, identity_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, identity_entry_activate_cb);
}

static void
separator_header (GtkListBoxRow *row,
                  GtkListBoxRow *before,
                  gpointer       user_data)
{
  if (before != NULL && gtk_list_box_row_get_header (row) == NULL)
    gtk_list_box_row_set_header (row, gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
}

/* Every settings list gets lines between its rows. */
static void
add_separators (GtkWidget *widget,
                gpointer   user_data)
{
  if (GTK_IS_LIST_BOX (widget))
    gtk_list_box_set_header_func (GTK_LIST_BOX (widget), separator_header, NULL, NULL);
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), add_separators, NULL);
}

static void
pigeon_account_settings_init (PigeonAccountSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_separators (GTK_WIDGET (self->stack), NULL);

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), settings_actions,
                                   G_N_ELEMENTS (settings_actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "settings", G_ACTION_GROUP (self->actions));
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->apply_button, FALSE);
}

PigeonAccountSettings *
pigeon_account_settings_new (PigeonApplication *application,
                             PigeonAccount     *account,
                             GtkWindow         *parent)
{
  PigeonAccountSettings *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  /* Without use-header-bar GtkDialog drops the template's header bar once constructed. */
  self = g_object_new (PIGEON_TYPE_ACCOUNT_SETTINGS,
                       "use-header-bar", TRUE,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  self->account = g_object_ref (account);
  /* The header bar shows the page switcher; the window keeps its name for the desktop. */
  gtk_window_set_title (GTK_WINDOW (self), _("Account Settings"));
  load (self);

  g_object_bind_property (account, "name", self->header_bar, "subtitle", G_BINDING_SYNC_CREATE);
  g_object_bind_property (account, "notify", self->notify_switch, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (account, "enabled", self->enabled_switch, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_signal_connect_object (account, "notify", G_CALLBACK (account_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->signature_view), "changed",
                           G_CALLBACK (signature_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (pigeon_application_get_manager (application), "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  return self;
}
