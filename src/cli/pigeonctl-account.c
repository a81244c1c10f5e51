/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeonctl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pigeon-error.h"
#include "pigeon-secrets.h"
#include "pigeonctl-private.h"

static char *
read_password_from_stdin (GError **error)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  char chunk[256];
  ssize_t n;

  while ((n = read (STDIN_FILENO, chunk, sizeof chunk)) > 0)
    g_string_append_len (buf, chunk, n);
  explicit_bzero (chunk, sizeof chunk);

  /* One trailing line break belongs to the shell, not the password. */
  if (buf->len > 0 && buf->str[buf->len - 1] == '\n')
    g_string_truncate (buf, buf->len - 1);
  if (buf->len > 0 && buf->str[buf->len - 1] == '\r')
    g_string_truncate (buf, buf->len - 1);
  if (buf->len == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("--password-stdin was given but standard input was empty"));
      return NULL;
    }
  return g_string_free (g_steal_pointer (&buf), FALSE);
}

static gboolean
parse_pop3_keep (const char     *value,
                 PigeonPop3Keep *keep,
                 guint          *days,
                 GError        **error)
{
  guint64 n;

  if (g_strcmp0 (value, "forever") == 0)
    *keep = PIGEON_POP3_KEEP_FOREVER;
  else if (g_strcmp0 (value, "until-deleted") == 0)
    *keep = PIGEON_POP3_KEEP_UNTIL_DELETED;
  else if (g_strcmp0 (value, "no") == 0)
    *keep = PIGEON_POP3_KEEP_NO;
  else if (g_str_has_prefix (value, "days:") &&
           g_ascii_string_to_unsigned (value + 5, 10, 1, 100000, &n, NULL))
    {
      *keep = PIGEON_POP3_KEEP_DAYS;
      *days = (guint) n;
    }
  else
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("--pop3-keep takes forever, days:N, until-deleted or no, not “%s”"), value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_security (const char     *option,
                const char     *value,
                PigeonSecurity *out,
                GError        **error)
{
  if (value == NULL)
    return TRUE;
  if (!pigeon_security_from_string (value, out))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("%s takes tls, starttls or none, not “%s”"), option, value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_port (const char *option,
            int         value,
            GError    **error)
{
  if (value < 0 || value > 65535)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("%s must be between 1 and 65535"), option);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_fingerprint (const char *option,
                   const char *value,
                   GError    **error)
{
  g_autofree char *norm = NULL;

  if (value == NULL)
    return TRUE;
  norm = pigeon_account_normalize_fingerprint (value);
  if (norm == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("%s takes a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed"),
                   option);
      return FALSE;
    }
  return TRUE;
}

static gboolean
account_add (PigeonCtl *ctl,
             GError   **error)
{
  g_autofree char *name = NULL, *email = NULL, *protocol = NULL, *host = NULL;
  g_autofree char *security = NULL, *user = NULL, *trust = NULL;
  g_autofree char *smtp_host = NULL, *smtp_security = NULL, *smtp_user = NULL;
  g_autofree char *smtp_trust = NULL, *pop3_keep = NULL, *real_name = NULL;
  int port = 0, smtp_port = 0, sync_days = 0;
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Account name"), "NAME" },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, N_("E-mail address"), "ADDR" },
    { "real-name", 0, 0, G_OPTION_ARG_STRING, &real_name, N_("Your name on sent mail"), "NAME" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, N_("imap, pop3 or activesync"), "P" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, N_("Incoming server (ActiveSync: host or URL)"), "HOST" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Incoming port (default: the protocol's)"), "N" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &security, N_("tls, starttls or none"), "S" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("User name (default: the address)"), "USER" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, N_("Read the password from standard input into the keyring"), NULL },
    { "trust-certificate", 0, 0, G_OPTION_ARG_STRING, &trust, N_("Trust this incoming server certificate (SHA-256)"), "SHA256" },
    { "smtp-host", 0, 0, G_OPTION_ARG_STRING, &smtp_host, N_("Outgoing server"), "HOST" },
    { "smtp-port", 0, 0, G_OPTION_ARG_INT, &smtp_port, N_("Outgoing port"), "N" },
    { "smtp-security", 0, 0, G_OPTION_ARG_STRING, &smtp_security, N_("tls, starttls or none"), "S" },
    { "smtp-user", 0, 0, G_OPTION_ARG_STRING, &smtp_user, N_("Outgoing user name (default: the incoming one)"), "USER" },
    { "smtp-trust-certificate", 0, 0, G_OPTION_ARG_STRING, &smtp_trust, N_("Trust this outgoing server certificate (SHA-256)"), "SHA256" },
    { "pop3-keep", 0, 0, G_OPTION_ARG_STRING, &pop3_keep, N_("forever, days:N, until-deleted or no"), "POLICY" },
    { "sync-days", 0, 0, G_OPTION_ARG_INT, &sync_days, N_("Download bodies of the last N days only (0: all)"), "N" },
    { NULL }
  };
  g_autoptr(PigeonAccount) account = NULL;
  g_autofree char *id = NULL;
  PigeonSecurity sec = PIGEON_SECURITY_TLS, smtp_sec = PIGEON_SECURITY_STARTTLS;
  PigeonPop3Keep keep = PIGEON_POP3_KEEP_FOREVER;
  guint keep_days = 14;
  char *password = NULL;

  if (!pigeonctl_parse_options (ctl, entries, "", 0, 0, error))
    return FALSE;

  if (email == NULL || protocol == NULL || host == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("account add needs at least --email, --protocol and --host"));
      return FALSE;
    }
  if (pigeon_provider_class_lookup (protocol) == NULL ||
      !(pigeon_provider_class_lookup (protocol)->caps & PIGEON_PROVIDER_CAP_RECEIVE))
    {
      g_auto(GStrv) known = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_RECEIVE);
      g_autofree char *list = g_strjoinv (", ", known);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("Unknown protocol “%s” (this Pigeon knows: %s)"), protocol, list);
      return FALSE;
    }
  if (!parse_security ("--security", security, &sec, error) ||
      !parse_security ("--smtp-security", smtp_security, &smtp_sec, error) ||
      !parse_port ("--port", port, error) || !parse_port ("--smtp-port", smtp_port, error) ||
      !parse_fingerprint ("--trust-certificate", trust, error) ||
      !parse_fingerprint ("--smtp-trust-certificate", smtp_trust, error))
    return FALSE;
  if (pop3_keep != NULL && !parse_pop3_keep (pop3_keep, &keep, &keep_days, error))
    return FALSE;
  if (sync_days < 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID, _("--sync-days cannot be negative"));
      return FALSE;
    }

  if (password_stdin && (password = read_password_from_stdin (error)) == NULL)
    return FALSE;

  id = pigeon_account_manager_dup_unused_id (ctl->manager);
  account = pigeon_account_new (id);
  g_object_set (account,
                "name", name ? name : email,
                "real-name", real_name,
                "email", email,
                "protocol", protocol,
                "host", host,
                "port", (guint) port,
                "security", sec,
                "user", user,
                "trusted-certificate", trust,
                "smtp-host", smtp_host,
                "smtp-port", (guint) smtp_port,
                "smtp-security", smtp_sec,
                "smtp-user", smtp_user,
                "smtp-trusted-certificate", smtp_trust,
                "pop3-keep", keep,
                "pop3-keep-days", keep_days,
                "sync-window-days", (guint) sync_days,
                NULL);

  /* The secret first: an account that cannot keep its password is not added. */
  if (password != NULL)
    {
      g_autofree char *label = g_strdup_printf (_("Pigeon mail password for %s"), email);
      gboolean ok = pigeon_secrets_store_sync (id, PIGEON_SECRET_ROLE_INCOMING, label, password,
                                               NULL, error);

      explicit_bzero (password, strlen (password));
      g_free (password);
      if (!ok)
        return FALSE;
    }

  if (!pigeon_account_manager_add (ctl->manager, account, error))
    {
      if (password_stdin)
        pigeon_secrets_clear_sync (id, NULL, NULL);
      return FALSE;
    }

  printf ("%s\n", id);
  return TRUE;
}

static gboolean
account_list (PigeonCtl *ctl,
              GError   **error)
{
  guint n;

  if (!pigeonctl_parse_options (ctl, NULL, "", 0, 0, error))
    return FALSE;

  n = g_list_model_get_n_items (G_LIST_MODEL (ctl->manager));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (G_LIST_MODEL (ctl->manager), i);

      printf ("%s\t%s\t%s\t%s\n", pigeon_account_get_id (account),
              pigeon_account_get_name (account), pigeon_account_get_protocol (account),
              pigeon_account_get_email (account));
    }
  return TRUE;
}

static gboolean
account_remove (PigeonCtl *ctl,
                GError   **error)
{
  PigeonAccount *account;
  g_autofree char *id = NULL;

  if (!pigeonctl_parse_options (ctl, NULL, "ACCOUNT", 1, 1, error))
    return FALSE;
  account = pigeonctl_find_account (ctl, ctl->argv[1], error);
  if (account == NULL)
    return FALSE;

  id = g_strdup (pigeon_account_get_id (account));
  if (!pigeon_secrets_clear_sync (id, NULL, error))
    return FALSE;
  return pigeon_account_manager_remove (ctl->manager, account, error);
}

const PigeonCtlCommand pigeonctl_account_commands[] = {
  { "account add",
    "--name NAME --email ADDR --protocol imap|pop3|activesync --host HOST [--port N] "
    "[--security tls|starttls|none] [--user USER] [--password-stdin] [--trust-certificate SHA256] "
    "[--smtp-host HOST --smtp-port N --smtp-security tls|starttls|none] "
    "[--smtp-trust-certificate SHA256] [--pop3-keep forever|days:N|until-deleted|no] "
    "[--sync-days N]",
    N_("Add an account and print its id"), account_add },
  { "account list", "", N_("One line per account: id, name, protocol, address"), account_list },
  { "account remove", "ACCOUNT", N_("Remove an account, its secrets and its cache"),
    account_remove },
  { NULL }
};
