/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-account-dialog.h"
#include "pigeon-assistant-protocol-row.h"
#include "pigeon-assistant.h"
#include "pigeon-autoconfig.h"
#include "pigeon-certificate.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"
#include "pigeon-provider.h"

struct _PigeonAssistant
{
  GtkDialog parent_instance;

  /* template */
  GtkWidget *back_button;
  GtkWidget *next_button;
  GtkStack *stack;
  GtkInfoBar *details_error_bar;
  GtkLabel *details_error_label;
  GtkLabel *details_hint_label;
  GtkEntry *real_name_entry;
  GtkEntry *email_entry;
  GtkEntry *password_entry;
  GtkSpinner *spinner;
  GtkLabel *busy_title;
  GtkLabel *busy_detail;
  GtkLabel *choose_subtitle;
  GtkListBox *protocol_list;
  GtkImage *problem_icon;
  GtkLabel *problem_title;
  GtkLabel *problem_body;
  GtkWidget *certificate_frame;
  GtkLabel *certificate_host;
  GtkLabel *certificate_details;
  GtkLabel *certificate_fingerprint;
  GtkWidget *trust_button;
  GtkWidget *retry_button;
  GtkWidget *problem_manual_button;

  GSimpleActionGroup *actions;
  PigeonApplication *application;
  PigeonAutoconfig *autoconfig;
  GCancellable *cancellable;          /* of what the busy page waits for */

  char *found_email;                  /* the address RESULT is for */
  PigeonAutoconfigResult *result;
  char *protocol;                     /* the protocol chosen */
  guint server_index;                 /* which of its servers is being tried */

  PigeonAccount *account;             /* being built; its id (and cache directory) reserved */
  PigeonStore *store;                 /* the account's own, opened for the login check */
  char *store_dir;
  char *store_protocol;               /* the protocol the cache was opened for */
  gboolean saved;

  char *untrusted_fingerprint;        /* shown on the certificate page */
  gboolean untrusted_outgoing;
  const char *problem_back;           /* the page Back leads to from the problem page */
};

G_DEFINE_FINAL_TYPE (PigeonAssistant, pigeon_assistant, GTK_TYPE_DIALOG)

static void check_incoming (PigeonAssistant *self);
static void check_outgoing (PigeonAssistant *self);

/* ------------------------------------------------------------------ pages */

static void
set_action_enabled (PigeonAssistant *self,
                    const char      *name,
                    gboolean         enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static const char *
current_page (PigeonAssistant *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

static gboolean
details_valid (PigeonAssistant *self)
{
  g_autofree char *email = g_strstrip (g_strdup (gtk_entry_get_text (self->email_entry)));

  return pigeon_autoconfig_split_address (email, NULL, NULL) &&
         *gtk_entry_get_text (self->password_entry) != '\0';
}

static void
update_buttons (PigeonAssistant *self)
{
  const char *page = current_page (self);
  gboolean details = g_strcmp0 (page, "details") == 0;
  gboolean choose = g_strcmp0 (page, "choose") == 0;
  gboolean problem = g_strcmp0 (page, "problem") == 0;

  gtk_widget_set_visible (self->back_button, choose || problem);
  gtk_widget_set_visible (self->next_button, details || choose || g_strcmp0 (page, "busy") == 0);
  gtk_button_set_label (GTK_BUTTON (self->next_button), choose ? _("_Sign In") : _("_Next"));
  set_action_enabled (self, "next", (details && details_valid (self)) || choose);
  set_action_enabled (self, "back", choose || problem);
  if (details || choose)
    gtk_widget_grab_default (self->next_button);
}

static void
show_page (PigeonAssistant *self,
           const char      *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  if (g_strcmp0 (name, "busy") == 0)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  update_buttons (self);
}

static void
show_busy (PigeonAssistant *self,
           const char      *title,
           const char      *detail)
{
  gtk_label_set_text (self->busy_title, title);
  gtk_label_set_text (self->busy_detail, detail);
  show_page (self, "busy");
}

static void
hide_details_error (PigeonAssistant *self)
{
  gtk_widget_hide (GTK_WIDGET (self->details_error_bar));
}

/* Back on the first page, with what went wrong above the fields; FOCUS gets the focus. */
static void
show_details_error (PigeonAssistant *self,
                    const char      *message,
                    const char      *hint_markup,
                    GtkEntry        *focus)
{
  gtk_label_set_text (self->details_error_label, message);
  gtk_label_set_markup (self->details_hint_label, hint_markup ? hint_markup : "");
  gtk_widget_set_visible (GTK_WIDGET (self->details_hint_label), hint_markup != NULL);
  gtk_widget_show (GTK_WIDGET (self->details_error_bar));
  show_page (self, "details");
  if (focus != NULL)
    {
      gtk_widget_grab_focus (GTK_WIDGET (focus));
      gtk_editable_select_region (GTK_EDITABLE (focus), 0, -1);
    }
}

typedef enum
{
  PROBLEM_OFFER_NOTHING = 0,
  PROBLEM_OFFER_RETRY   = 1 << 0,
  PROBLEM_OFFER_TRUST   = 1 << 1,
} ProblemOffers;

static void
show_problem (PigeonAssistant *self,
              const char      *icon,
              const char      *title,
              const char      *body,
              ProblemOffers    offers,
              const char      *back)
{
  gtk_image_set_from_icon_name (self->problem_icon, icon, GTK_ICON_SIZE_DIALOG);
  gtk_label_set_text (self->problem_title, title);
  gtk_label_set_text (self->problem_body, body);
  gtk_widget_set_visible (self->certificate_frame, (offers & PROBLEM_OFFER_TRUST) != 0);
  gtk_widget_set_visible (self->trust_button, (offers & PROBLEM_OFFER_TRUST) != 0);
  gtk_widget_set_visible (self->retry_button, (offers & PROBLEM_OFFER_RETRY) != 0);
  self->problem_back = back;
  show_page (self, "problem");
  /* Not the trust button: trusting must be a decision, not a reflex on Enter. */
  if (offers & PROBLEM_OFFER_RETRY)
    gtk_widget_grab_focus (self->retry_button);
  else
    gtk_widget_grab_focus (self->problem_manual_button);
}

/* ------------------------------------------------------------------ the account */

static char *
entry_email (PigeonAssistant *self)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (self->email_entry)));
}

static PigeonAccount *
find_existing_account (PigeonAssistant *self,
                       const char      *email)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

      if (g_ascii_strcasecmp (pigeon_account_get_email (account), email) == 0)
        return account;
    }
  return NULL;
}

/* The account under construction, with the id (and cache directory) it will keep. */
static PigeonAccount *
ensure_account (PigeonAssistant *self)
{
  if (self->account == NULL)
    {
      PigeonAccountManager *manager = pigeon_application_get_manager (self->application);
      g_autofree char *id = pigeon_account_manager_dup_unused_id (manager);

      self->account = pigeon_account_new (id);
    }
  return self->account;
}

static void
fill_identity (PigeonAssistant *self,
               PigeonAccount   *account)
{
  g_autofree char *email = entry_email (self);
  g_autofree char *real_name = g_strstrip (g_strdup (gtk_entry_get_text (self->real_name_entry)));

  g_object_set (account,
                "name", email,
                "email", email,
                "real-name", *real_name ? real_name : NULL,
                NULL);
}

/* The servers found for PROTOCOL that Pigeon can use, best first. */
static GPtrArray *
usable_servers (PigeonAssistant *self,
                const char      *protocol)
{
  GPtrArray *servers = g_ptr_array_new ();

  for (guint i = 0; self->result && i < self->result->incoming->len; i++)
    {
      PigeonAutoconfigServer *server = g_ptr_array_index (self->result->incoming, i);

      if (g_strcmp0 (server->protocol, protocol) == 0 &&
          pigeon_autoconfig_server_is_usable (server))
        g_ptr_array_add (servers, server);
    }
  return servers;
}

static PigeonAssistantProtocolRow *
selected_row (PigeonAssistant *self)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->protocol_list));

  for (GList *l = rows; l; l = l->next)
    if (pigeon_assistant_protocol_row_get_selected (l->data))
      return l->data;
  return NULL;
}

/* Applies the chosen protocol's current server, keeping certificates the user trusted. */
static gboolean
apply_server (PigeonAssistant *self)
{
  g_autoptr(GPtrArray) servers = usable_servers (self, self->protocol);
  PigeonAccount *account = ensure_account (self);
  PigeonAssistantProtocolRow *row = selected_row (self);
  const PigeonAutoconfigServer *server;
  g_autofree char *old_host = g_strdup (pigeon_account_get_host (account));
  g_autofree char *old_smtp_host = g_strdup (pigeon_account_get_smtp_host (account));

  if (self->server_index >= servers->len)
    return FALSE;
  server = g_ptr_array_index (servers, self->server_index);
  fill_identity (self, account);
  pigeon_autoconfig_result_apply (self->result, server, account);
  if (g_strcmp0 (old_host, pigeon_account_get_host (account)) != 0)
    g_object_set (account, "trusted-certificate", NULL, NULL);
  if (g_strcmp0 (old_smtp_host, pigeon_account_get_smtp_host (account)) != 0)
    g_object_set (account, "smtp-trusted-certificate", NULL, NULL);
  if (row != NULL && !pigeon_assistant_protocol_row_get_keep_on_server (row))
    g_object_set (account, "pop3-keep", PIGEON_POP3_KEEP_NO, NULL);
  else
    g_object_set (account, "pop3-keep", PIGEON_POP3_KEEP_FOREVER, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ cache directory */

static void
delete_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL)
    {
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) || child == NULL)
        break;
      delete_tree (child);
    }
  if (!g_file_delete (file, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove %s: %s", g_file_peek_path (file), error->message);
}

/* The check's cache goes with an account that was never added. */
static void
discard_store (PigeonAssistant *self)
{
  if (self->store != NULL)
    pigeon_store_close (self->store);
  g_clear_object (&self->store);
  if (self->store_dir != NULL && !self->saved)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (self->store_dir);

      delete_tree (dir);
    }
  g_clear_pointer (&self->store_dir, g_free);
}

/* ------------------------------------------------------------------ saving */

static void
add_account_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonAssistant) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_application_add_account_finish (PIGEON_APPLICATION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_details_error (self, error->message, NULL, NULL);
      return;
    }
  self->saved = TRUE;
  g_clear_pointer (&self->store_dir, g_free);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
save (PigeonAssistant *self)
{
  g_autofree char *title = g_strdup_printf (_("Adding %s…"),
                                            pigeon_account_get_email (self->account));

  show_busy (self, title, _("The password goes into your keyring."));
  /* The session opens the store again once the account is added. */
  if (self->store != NULL)
    pigeon_store_close (self->store);
  g_clear_object (&self->store);
  pigeon_application_add_account_async (self->application, self->account,
                                        gtk_entry_get_text (self->password_entry),
                                        self->cancellable, add_account_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ login checks */

static char *
domain_of (const char *email)
{
  char *domain = NULL;

  pigeon_autoconfig_split_address (email, NULL, &domain);
  return domain;
}

static char *
hint_for_password (PigeonAssistant *self)
{
  g_autofree char *text = NULL;

  if (self->result == NULL || self->result->instruction == NULL)
    return NULL;
  text = g_markup_escape_text (self->result->instruction, -1);
  if (self->result->instruction_url != NULL)
    {
      g_autofree char *url = g_markup_escape_text (self->result->instruction_url, -1);

      return g_strdup_printf ("%s <a href=\"%s\">%s</a>", text, url,
                              _("Open the provider’s page"));
    }
  return g_steal_pointer (&text);
}

/* Where Back leads after a failed login: the choice, when there was one. */
static const char *
back_from_login (PigeonAssistant *self)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->protocol_list));

  return rows != NULL && rows->next != NULL ? "choose" : "details";
}

/* The error's sentences before the one naming the fingerprint, which the page shows on a
 * line of its own. */
static char *
certificate_details (const char *message,
                     const char *sha256)
{
  g_autofree char *upper = g_ascii_strup (sha256, 5);
  g_autofree char *start = g_strdup_printf ("%.2s:%.2s", upper, upper + 2);
  const char *at = strstr (message, start);
  const char *end = NULL;

  for (const char *p = message; at != NULL && p < at; p++)
    if (p[0] == '.' && p[1] == ' ')
      end = p + 1;
  if (end == NULL)
    return g_strdup (message);
  return g_strndup (message, end - message);
}

static void
show_certificate_problem (PigeonAssistant *self,
                          const char      *host,
                          guint            port,
                          const GError    *error,
                          char            *sha256,
                          gboolean         outgoing)
{
  g_autofree char *body = NULL;
  g_autofree char *pretty = NULL;
  g_autofree char *where = NULL;
  g_autofree char *details = NULL;
  GString *colons = g_string_new (NULL);

  /* Two lines of sixteen bytes, the way fingerprints are usually shown. */
  for (guint i = 0; sha256[i] != '\0' && sha256[i + 1] != '\0'; i += 2)
    g_string_append_printf (colons, "%s%c%c", i == 0 ? "" : i == 32 ? "\n" : ":",
                            g_ascii_toupper (sha256[i]), g_ascii_toupper (sha256[i + 1]));
  pretty = g_string_free (colons, FALSE);

  g_free (self->untrusted_fingerprint);
  self->untrusted_fingerprint = sha256;
  self->untrusted_outgoing = outgoing;

  body = g_strdup_printf (_("Pigeon cannot confirm that %s is the server it claims to be. "
                            "Someone on the network may be listening in, or the server uses a "
                            "certificate of its own making, as small servers often do. Trust "
                            "it only if you know the server, and its fingerprint matches what "
                            "its administrator gave you."), host);
  where = g_strdup_printf (_("%s, port %u"), host, port);
  details = certificate_details (error->message, sha256);
  gtk_label_set_text (self->certificate_host, where);
  gtk_label_set_text (self->certificate_details, details);
  gtk_label_set_text (self->certificate_fingerprint, pretty);
  show_problem (self, "channel-insecure-symbolic", _("The Server’s Certificate Is Not Trusted"),
                body, PROBLEM_OFFER_TRUST, back_from_login (self));
  /* Selectable, for copying; but nothing is selected until the user does so. */
  gtk_label_select_region (self->certificate_details, 0, 0);
  gtk_label_select_region (self->certificate_fingerprint, 0, 0);
}

/* The port the login check used: the account's, or its provider's usual one. */
static guint
server_port (PigeonAssistant *self,
             gboolean         outgoing)
{
  g_autoptr(PigeonProvider) provider = NULL;

  provider = outgoing ? pigeon_provider_new_for_sending (self->account, NULL, NULL)
                      : pigeon_provider_new_for_account (self->account, NULL, NULL);
  return provider ? pigeon_provider_get_port (provider) : 0;
}

/* What a failed login says to the user, and what it offers. */
static void
login_failed (PigeonAssistant *self,
              const GError    *error,
              gboolean         outgoing)
{
  const char *host = outgoing ? pigeon_account_get_smtp_host (self->account)
                              : pigeon_account_get_host (self->account);
  guint port = server_port (self, outgoing);
  const char *back = back_from_login (self);
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;

  if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH) ||
      g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD))
    {
      g_autofree char *hint = hint_for_password (self);

      show_details_error (self, error->message, hint, self->password_entry);
      return;
    }
  if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE))
    {
      char *sha256 = pigeon_certificate_error_dup_sha256 (error);
      const char *trusted_in = pigeon_account_get_trusted_certificate (self->account);

      /* The outgoing server showing the very certificate just trusted for the same host
       * needs no second question. */
      if (outgoing && sha256 != NULL && g_strcmp0 (sha256, trusted_in) == 0 &&
          g_ascii_strcasecmp (host, pigeon_account_get_host (self->account)) == 0)
        {
          g_object_set (self->account, "smtp-trusted-certificate", sha256, NULL);
          g_free (sha256);
          check_outgoing (self);
          return;
        }
      if (sha256 != NULL)
        {
          show_certificate_problem (self, host, port, error, sha256, outgoing);
          return;
        }
    }
  if (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT) ||
      g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT) ||
      g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST) ||
      g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_OFFLINE))
    {
      title = g_strdup_printf (_("Pigeon Could Not Reach %s"), host);
      body = g_strdup_printf (_("%s\n\nCheck that this computer is online. If it is, the server "
                                "may be down for a moment, or its settings may be wrong."),
                              error->message);
      show_problem (self, "network-error-symbolic", title, body,
                    PROBLEM_OFFER_RETRY, back);
      return;
    }
  show_problem (self, "dialog-warning-symbolic",
                outgoing ? _("The Outgoing Server Refused") : _("Signing In Failed"),
                error->message, PROBLEM_OFFER_RETRY, back);
}

static gboolean
is_unreachable (const GError *error)
{
  return g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CONNECT) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_TIMEOUT);
}

static void
check_outgoing_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PigeonAssistant) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_provider_check_login_finish (PIGEON_PROVIDER (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        login_failed (self, error, TRUE);
      return;
    }
  save (self);
}

static void
check_outgoing (PigeonAssistant *self)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  const char *protocol = pigeon_account_get_protocol (self->account);
  PigeonProviderClass *klass = pigeon_provider_class_lookup (protocol);
  g_auto(GStrv) senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                                          PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);

  /* A protocol that sends by itself was checked with the login; without an outgoing
   * server found, or a provider to check it with, the account can still receive. */
  if ((klass->caps & PIGEON_PROVIDER_CAP_SEND) || !pigeon_account_has_smtp (self->account) ||
      senders[0] == NULL)
    {
      save (self);
      return;
    }

  provider = pigeon_provider_new_for_sending (self->account, self->store, &error);
  if (provider == NULL)
    {
      login_failed (self, error, TRUE);
      return;
    }
  title = g_strdup_printf (_("Checking the outgoing server %s…"),
                           pigeon_account_get_smtp_host (self->account));
  show_busy (self, title, _("Pigeon signs in to make sure it can send your mail."));
  pigeon_provider_set_password (provider, gtk_entry_get_text (self->password_entry));
  pigeon_provider_check_login_async (provider, self->cancellable, check_outgoing_cb,
                                     g_object_ref (self));
}

static void
check_incoming_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PigeonAssistant) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_provider_check_login_finish (PIGEON_PROVIDER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Out of reach: another server the sources named for this protocol may answer. */
      if (is_unreachable (error))
        {
          self->server_index++;
          if (apply_server (self))
            {
              g_debug ("Trying the next server: %s", error->message);
              check_incoming (self);
              return;
            }
          self->server_index = 0;
          apply_server (self);
        }
      login_failed (self, error, FALSE);
      return;
    }
  check_outgoing (self);
}

static void
run_incoming_check (PigeonAssistant *self)
{
  g_autoptr(PigeonProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = pigeon_provider_new_for_account (self->account, self->store, &error);
  if (provider == NULL)
    {
      login_failed (self, error, FALSE);
      return;
    }
  pigeon_provider_set_password (provider, gtk_entry_get_text (self->password_entry));
  pigeon_provider_check_login_async (provider, self->cancellable, check_incoming_cb,
                                     g_object_ref (self));
}

static void
store_open_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PigeonAssistant) self = user_data;
  g_autoptr(GError) error = NULL;

  self->store = pigeon_store_open_finish (result, &error);
  if (self->store == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_problem (self, "dialog-warning-symbolic", _("Pigeon Could Not Prepare the Account"),
                      error->message, PROBLEM_OFFER_RETRY, "details");
      return;
    }
  run_incoming_check (self);
}

static void
check_incoming (PigeonAssistant *self)
{
  PigeonAccountManager *manager = pigeon_application_get_manager (self->application);
  g_autofree char *title = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  title = g_strdup_printf (_("Signing in to %s…"), pigeon_account_get_host (self->account));
  show_busy (self, title, _("Pigeon checks the settings before it saves anything."));

  /* Some protocols keep state from the first login (a device id): the check uses the
   * account's own cache, which stays if the account is added.  A cache begun for another
   * protocol is not this account's. */
  if (self->store != NULL &&
      g_strcmp0 (self->store_protocol, pigeon_account_get_protocol (self->account)) != 0)
    discard_store (self);
  if (self->store != NULL)
    {
      run_incoming_check (self);
      return;
    }
  if (self->store_dir == NULL)
    self->store_dir = pigeon_account_manager_dup_account_dir (manager, self->account);
  g_free (self->store_protocol);
  self->store_protocol = g_strdup (pigeon_account_get_protocol (self->account));
  pigeon_store_open_async (self->store_dir, self->cancellable, store_open_cb,
                           g_object_ref (self));
}

static void
start_check (PigeonAssistant *self)
{
  PigeonAssistantProtocolRow *row = selected_row (self);

  if (row != NULL)
    {
      g_free (self->protocol);
      self->protocol = g_strdup (pigeon_assistant_protocol_row_get_protocol (row));
    }
  self->server_index = 0;
  if (!apply_server (self))
    return;
  check_incoming (self);
}

/* ------------------------------------------------------------------ finding settings */

/* Protocols that sync contacts and calendar (found through Autodiscover: an Exchange-style
 * server) first, then those whose server keeps the mail, then the rest. */
static int
protocol_rank (const char *protocol)
{
  PigeonProviderCaps caps = pigeon_provider_class_lookup (protocol)->caps;

  if (caps & (PIGEON_PROVIDER_CAP_CONTACTS | PIGEON_PROVIDER_CAP_CALENDAR))
    return 0;
  if (caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL)
    return 1;
  return 2;
}

static void
fill_choices (PigeonAssistant *self,
              char           **protocols)
{
  g_autoptr(GList) old = gtk_container_get_children (GTK_CONTAINER (self->protocol_list));
  PigeonAssistantProtocolRow *first = NULL;
  PigeonAssistantProtocolRow *best = NULL;
  int best_rank = G_MAXINT;
  g_autofree char *subtitle = NULL;

  for (GList *l = old; l; l = l->next)
    gtk_widget_destroy (l->data);

  for (guint i = 0; protocols[i]; i++)
    {
      const PigeonAutoconfigServer *server =
        pigeon_autoconfig_result_get_incoming (self->result, protocols[i]);
      PigeonAssistantProtocolRow *row = pigeon_assistant_protocol_row_new (server, first);

      if (first == NULL)
        first = row;
      if (protocol_rank (protocols[i]) < best_rank)
        {
          best_rank = protocol_rank (protocols[i]);
          best = row;
        }
      gtk_container_add (GTK_CONTAINER (self->protocol_list), GTK_WIDGET (row));
    }
  if (best != NULL)
    pigeon_assistant_protocol_row_select (best);

  if (self->result->display_name != NULL)
    subtitle = g_strdup_printf (_("%s offers more than one way. Pick the one that suits how "
                                  "you read your mail."), self->result->display_name);
  else
    subtitle = g_strdup (_("Your provider offers more than one way. Pick the one that suits how "
                           "you read your mail."));
  gtk_label_set_text (self->choose_subtitle, subtitle);
}

static void
show_found (PigeonAssistant *self)
{
  g_auto(GStrv) protocols = pigeon_autoconfig_result_list_protocols (self->result);

  if (protocols[0] == NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *body = NULL;
      const char *name = self->result->display_name ? self->result->display_name
                                                     : _("Your provider");

      /* Servers were found, but none Pigeon can log in to with a password. */
      title = g_strdup_printf (_("%s Needs a Sign-In Through Its Web Page"), name);
      body = g_strdup_printf (_("%s lets mail programs in only after a sign-in on its own web "
                                "page, which this version of Pigeon cannot do yet."), name);
      show_problem (self, "dialog-password-symbolic", title, body, PROBLEM_OFFER_NOTHING,
                    "details");
      return;
    }
  fill_choices (self, protocols);
  if (protocols[1] == NULL)
    start_check (self);
  else
    show_page (self, "choose");
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PigeonAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  PigeonAutoconfigResult *found;

  found = pigeon_autoconfig_lookup_finish (PIGEON_AUTOCONFIG (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (found == NULL)
    {
      g_autofree char *email = entry_email (self);
      g_autofree char *domain = domain_of (email);
      g_autofree char *title = NULL;

      if (!g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND))
        {
          show_details_error (self, error->message, NULL, self->email_entry);
          return;
        }
      title = g_strdup_printf (_("No Settings Found for %s"), domain ? domain : email);
      show_problem (self, "system-search-symbolic", title,
                    _("Check the address for typing mistakes. If it is right, your provider’s "
                      "help pages name its servers: enter them by hand."),
                    PROBLEM_OFFER_NOTHING, "details");
      return;
    }

  g_clear_pointer (&self->result, pigeon_autoconfig_result_free);
  self->result = found;
  g_free (self->found_email);
  self->found_email = entry_email (self);
  show_found (self);
}

static void
start_lookup (PigeonAssistant *self)
{
  g_autofree char *email = entry_email (self);
  g_autofree char *domain = domain_of (email);
  g_autofree char *title = g_strdup_printf (_("Looking up the settings for %s…"), domain);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  show_busy (self, title, _("Pigeon asks your provider, and looks in its own list of "
                            "providers."));
  pigeon_autoconfig_lookup_async (self->autoconfig, email,
                                  gtk_entry_get_text (self->password_entry), self->cancellable,
                                  lookup_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------ actions */

static void
next_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PigeonAssistant *self = user_data;
  const char *page = current_page (self);
  g_autofree char *email = entry_email (self);

  if (g_strcmp0 (page, "choose") == 0)
    {
      start_check (self);
      return;
    }
  if (g_strcmp0 (page, "details") != 0 || !details_valid (self))
    return;

  hide_details_error (self);
  if (find_existing_account (self, email) != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("You already have an account for %s."),
                                                  email);

      show_details_error (self, message, NULL, self->email_entry);
      return;
    }
  /* Settings found for this very address are still good: on to the choice or the login
   * (a wrong password brought the user back here). */
  if (self->result != NULL && g_ascii_strcasecmp (email, self->found_email) == 0)
    show_found (self);
  else
    start_lookup (self);
}

static void
back_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PigeonAssistant *self = user_data;
  const char *page = current_page (self);

  if (g_strcmp0 (page, "problem") == 0 && self->problem_back != NULL)
    show_page (self, self->problem_back);
  else
    show_page (self, "details");
}

static void
cancel_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  gtk_widget_destroy (GTK_WIDGET (user_data));
}

static void
retry_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PigeonAssistant *self = user_data;

  if (self->account == NULL || self->protocol == NULL)
    {
      start_lookup (self);
      return;
    }
  self->server_index = 0;
  apply_server (self);
  check_incoming (self);
}

static void
trust_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PigeonAssistant *self = user_data;

  if (self->untrusted_fingerprint == NULL || self->account == NULL)
    return;
  /* Pinned for that server only: the account's own setting for it. */
  g_object_set (self->account,
                self->untrusted_outgoing ? "smtp-trusted-certificate" : "trusted-certificate",
                self->untrusted_fingerprint, NULL);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);
  if (self->untrusted_outgoing)
    check_outgoing (self);
  else
    check_incoming (self);
}

static void
manual_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonAssistant *self = user_data;
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  PigeonAccountDialog *dialog = pigeon_account_dialog_new (self->application, parent);
  g_autoptr(PigeonAccount) scratch = NULL;
  PigeonAccount *account = self->account;

  /* What is known so far: the settings being tried, or the best found, or the address. */
  if (account == NULL)
    {
      g_auto(GStrv) protocols = NULL;

      scratch = pigeon_account_new ("manual");
      account = scratch;
      fill_identity (self, account);
      protocols = self->result ? pigeon_autoconfig_result_list_protocols (self->result) : NULL;
      if (protocols != NULL && protocols[0] != NULL)
        pigeon_autoconfig_result_apply (self->result,
                                        pigeon_autoconfig_result_get_incoming (self->result,
                                                                               protocols[0]),
                                        account);
    }
  else
    fill_identity (self, account);
  pigeon_account_dialog_prefill (dialog, account, gtk_entry_get_text (self->password_entry));
  gtk_widget_destroy (GTK_WIDGET (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry assistant_actions[] = {
  { "next", next_action },
  { "back", back_action },
  { "cancel", cancel_action },
  { "retry", retry_action },
  { "trust", trust_action },
  { "manual", manual_action },
};

/* ------------------------------------------------------------------ template callbacks */

static void
details_changed_cb (PigeonAssistant *self)
{
  update_buttons (self);
}

static void
password_icon_press_cb (PigeonAssistant      *self,
                        GtkEntryIconPosition  position,
                        GdkEvent             *event,
                        GtkEntry             *entry)
{
  gboolean visible = !gtk_entry_get_visibility (self->password_entry);

  gtk_entry_set_visibility (self->password_entry, visible);
  gtk_entry_set_icon_from_icon_name (self->password_entry, GTK_ENTRY_ICON_SECONDARY,
                                     visible ? "view-conceal-symbolic" : "view-reveal-symbolic");
  gtk_entry_set_icon_tooltip_text (self->password_entry, GTK_ENTRY_ICON_SECONDARY,
                                   visible ? _("Hide the password") : _("Show the password"));
}

static void
protocol_row_activated_cb (PigeonAssistant *self,
                           GtkListBoxRow   *row)
{
  pigeon_assistant_protocol_row_select (PIGEON_ASSISTANT_PROTOCOL_ROW (row));
}

/* ------------------------------------------------------------------ object */

static void
pigeon_assistant_dispose (GObject *object)
{
  PigeonAssistant *self = (PigeonAssistant *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  discard_store (self);
  g_clear_object (&self->autoconfig);
  g_clear_object (&self->application);
  g_clear_object (&self->account);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->result, pigeon_autoconfig_result_free);
  g_clear_pointer (&self->found_email, g_free);
  g_clear_pointer (&self->protocol, g_free);
  g_clear_pointer (&self->store_protocol, g_free);
  g_clear_pointer (&self->untrusted_fingerprint, g_free);

  G_OBJECT_CLASS (pigeon_assistant_parent_class)->dispose (object);
}

static void
pigeon_assistant_class_init (PigeonAssistantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_assistant_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-assistant.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PigeonAssistant, name)
  BIND (back_button);
  BIND (next_button);
  BIND (stack);
  BIND (details_error_bar);
  BIND (details_error_label);
  BIND (details_hint_label);
  BIND (real_name_entry);
  BIND (email_entry);
  BIND (password_entry);
  BIND (spinner);
  BIND (busy_title);
  BIND (busy_detail);
  BIND (choose_subtitle);
  BIND (protocol_list);
  BIND (problem_icon);
  BIND (problem_title);
  BIND (problem_body);
  BIND (certificate_frame);
  BIND (certificate_host);
  BIND (certificate_details);
  BIND (certificate_fingerprint);
  BIND (trust_button);
  BIND (retry_button);
  BIND (problem_manual_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, details_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_icon_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, protocol_row_activated_cb);
}

static void
pigeon_assistant_init (PigeonAssistant *self)
{
  const char *real_name = g_get_real_name ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), assistant_actions,
                                   G_N_ELEMENTS (assistant_actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "assistant", G_ACTION_GROUP (self->actions));

  self->autoconfig = pigeon_autoconfig_new ();
  self->cancellable = g_cancellable_new ();

  /* GLib says "Unknown" when the system has no name for the user. */
  if (real_name != NULL && g_strcmp0 (real_name, "Unknown") != 0)
    gtk_entry_set_text (self->real_name_entry, real_name);
  show_page (self, "details");
  gtk_widget_grab_focus (GTK_WIDGET (self->email_entry));
}

PigeonAssistant *
pigeon_assistant_new (PigeonApplication *application,
                      GtkWindow         *parent)
{
  PigeonAssistant *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  /* Without use-header-bar GtkDialog drops the template's header bar once constructed. */
  self = g_object_new (PIGEON_TYPE_ASSISTANT,
                       "use-header-bar", TRUE,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  return self;
}
