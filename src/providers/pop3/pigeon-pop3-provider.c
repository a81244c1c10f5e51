/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-pop3"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-pop3-download.h"
#include "pigeon-pop3-provider.h"
#include "pigeon-pop3-session.h"

struct _PigeonPop3Provider
{
  PigeonProvider parent_instance;

  PigeonPop3Session *session;
  GMainContext *context;  /* where the account's status is set */
};

G_DEFINE_FINAL_TYPE (PigeonPop3Provider, pigeon_pop3_provider, PIGEON_TYPE_PROVIDER)

/* The account's local folders, made once; the user may rename or delete them later. */
static const struct
{
  const char       *path;
  PigeonFolderRole  role;
} local_folders[] = {
  { "Inbox", PIGEON_FOLDER_ROLE_INBOX },
  { "Sent", PIGEON_FOLDER_ROLE_SENT },
  { "Drafts", PIGEON_FOLDER_ROLE_DRAFTS },
  { "Trash", PIGEON_FOLDER_ROLE_TRASH },
};
#define STATE_FOLDERS_MADE "pop3-local-folders"
/* After [LOGIN-DELAY]: no login before this time (seconds since 1970), as every early try
 * would only make the server's wait start over. */
#define STATE_LOGIN_NOT_BEFORE "pop3-login-not-before"

/* ------------------------------------------------------------------ status */

typedef struct
{
  PigeonAccount *account;
  char *text;
} StatusData;

static gboolean
set_status_cb (gpointer user_data)
{
  StatusData *sd = user_data;

  pigeon_account_set_state (sd->account, pigeon_account_get_state (sd->account), sd->text);
  return G_SOURCE_REMOVE;
}

static void
status_data_free (gpointer user_data)
{
  StatusData *sd = user_data;

  g_object_unref (sd->account);
  g_free (sd->text);
  g_free (sd);
}

/* Shows TEXT as the account's status (on the context the provider was made in) and keeps
 * it in the store, so it outlives this run; NULL clears it. */
static void
report_warning (PigeonPop3Provider *self,
                const char         *text)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autofree char *previous = NULL;
  g_autoptr(GError) error = NULL;
  StatusData *sd;

  previous = pigeon_store_get_state (store, PIGEON_POP3_STATE_WARNING, NULL);
  if (g_strcmp0 (previous, text) == 0)
    return;
  if (!pigeon_store_set_state (store, PIGEON_POP3_STATE_WARNING, text, &error))
    g_message ("Could not keep the account's warning: %s", error->message);
  if (text != NULL)
    g_message ("%s", text);

  sd = g_new0 (StatusData, 1);
  sd->account = g_object_ref (pigeon_provider_get_account (provider));
  sd->text = g_strdup (text);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, set_status_cb, sd,
                              status_data_free);
}

/* ------------------------------------------------------------------ connecting */

/* FALSE (and a SERVER error) while the server's LOGIN-DELAY has not passed. */
static gboolean
check_login_delay (PigeonPop3Provider *self,
                   GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  g_autofree char *value = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *time = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 not_before;

  value = pigeon_store_get_state (pigeon_provider_get_store (provider), STATE_LOGIN_NOT_BEFORE,
                                  &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (value == NULL)
    return TRUE;
  not_before = g_ascii_strtoll (value, NULL, 10);
  if (not_before <= g_get_real_time () / G_USEC_PER_SEC)
    return TRUE;

  when = g_date_time_new_from_unix_local (not_before);
  time = g_date_time_format (when, "%X");
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
               _("%s allows %s to log in only every so often; Pigeon waits until %s before "
                 "it logs in again."),
               pigeon_provider_get_host (provider), pigeon_provider_get_login (provider), time);
  return FALSE;
}

static void
remember_login_delay (PigeonPop3Provider *self,
                      PigeonPop3Session  *session,
                      gboolean            logged_in)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autofree char *value = NULL;
  g_autoptr(GError) error = NULL;

  if (logged_in)
    {
      /* The wait is over: forget it, if there was one. */
      g_autofree char *previous = pigeon_store_get_state (store, STATE_LOGIN_NOT_BEFORE, NULL);

      if (previous == NULL)
        return;
    }
  else if (g_strcmp0 (pigeon_pop3_session_get_response_code (session), "LOGIN-DELAY") == 0)
    {
      value = g_strdup_printf ("%" G_GINT64_FORMAT,
                               g_get_real_time () / G_USEC_PER_SEC +
                               pigeon_pop3_session_get_retry_after (session));
    }
  else
    {
      return;
    }
  if (!pigeon_store_set_state (store, STATE_LOGIN_NOT_BEFORE, value, &error))
    g_message ("Could not keep the server's login delay: %s", error->message);
}

static gboolean
open_session (PigeonPop3Provider *self,
              GCancellable       *cancellable,
              GError            **error)
{
  PigeonProvider *provider = PIGEON_PROVIDER (self);
  g_autoptr(PigeonPop3Session) session = NULL;
  PigeonSecurity security = pigeon_provider_get_security (provider);
  gboolean logged_in;

  if (self->session != NULL)
    return TRUE;
  if (!check_login_delay (self, error))
    return FALSE;
  if (pigeon_provider_get_password (provider) == NULL &&
      !pigeon_provider_load_password (provider, cancellable, error))
    return FALSE;

  session = pigeon_pop3_session_new (pigeon_provider_get_host (provider),
                                     pigeon_provider_get_port (provider), security,
                                     pigeon_provider_get_pinned_certificate (provider), NULL);
  if (!pigeon_pop3_session_connect (session, cancellable, error))
    {
      pigeon_pop3_session_close (session);
      return FALSE;
    }
  logged_in = pigeon_pop3_session_login (session, NULL, pigeon_provider_get_login (provider),
                                         pigeon_provider_get_password (provider),
                                         security == PIGEON_SECURITY_NONE, cancellable, error);
  remember_login_delay (self, session, logged_in);
  if (!logged_in)
    {
      pigeon_pop3_session_close (session);
      return FALSE;
    }
  self->session = g_steal_pointer (&session);
  return TRUE;
}

static gboolean
pigeon_pop3_provider_connect (PigeonProvider *provider,
                              GCancellable   *cancellable,
                              GError        **error)
{
  return open_session (PIGEON_POP3_PROVIDER (provider), cancellable, error);
}

static void
pigeon_pop3_provider_disconnect (PigeonProvider *provider)
{
  PigeonPop3Provider *self = PIGEON_POP3_PROVIDER (provider);
  g_autoptr(PigeonPop3Session) session = g_steal_pointer (&self->session);
  g_autoptr(GError) error = NULL;

  if (session != NULL && !pigeon_pop3_session_quit (session, NULL, &error))
    g_debug ("QUIT failed: %s", error->message);
}

/* ------------------------------------------------------------------ folders */

static gboolean
pigeon_pop3_provider_sync_folders (PigeonProvider *provider,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autofree char *made = NULL;
  g_autoptr(GError) local_error = NULL;

  made = pigeon_store_get_state (store, STATE_FOLDERS_MADE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (made != NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (local_folders); i++)
    {
      g_autoptr(PigeonFolder) existing = NULL;
      g_autoptr(PigeonFolder) folder = NULL;

      existing = pigeon_store_get_folder_by_role (store, local_folders[i].role, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (existing != NULL)
        continue;

      folder = pigeon_folder_new ();
      folder->path = g_strdup (local_folders[i].path);
      folder->name = g_strdup (local_folders[i].path);
      folder->role = local_folders[i].role;
      folder->flags = PIGEON_FOLDER_FLAG_LOCAL | PIGEON_FOLDER_FLAG_SUBSCRIBED;
      if (pigeon_store_upsert_folder (store, folder, error) == 0)
        return FALSE;
    }
  return pigeon_store_set_state (store, STATE_FOLDERS_MADE, "1", error);
}

static gboolean
pigeon_pop3_provider_sync_folder (PigeonProvider  *provider,
                                  gint64           folder_id,
                                  PigeonSyncFlags  flags,
                                  GCancellable    *cancellable,
                                  GError         **error)
{
  PigeonPop3Provider *self = PIGEON_POP3_PROVIDER (provider);
  PigeonAccount *account = pigeon_provider_get_account (provider);
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(PigeonPop3Session) session = NULL;
  g_autoptr(GError) local_error = NULL;
  PigeonPop3DownloadOptions options = { 0 };
  gboolean ok;

  folder = pigeon_store_get_folder (store, folder_id, &local_error);
  if (folder == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("The folder is no longer there."));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Only the inbox has a server side; every other folder is the store's alone. */
  if (folder->role != PIGEON_FOLDER_ROLE_INBOX)
    return TRUE;

  if (!open_session (self, cancellable, error))
    return FALSE;
  /* The session ends here: its QUIT is what makes the server delete. */
  session = g_steal_pointer (&self->session);

  options.keep = pigeon_account_get_pop3_keep (account);
  options.keep_days = pigeon_account_get_pop3_keep_days (account);
  options.now = g_get_real_time () / G_USEC_PER_SEC;
  options.folder_name = folder->name;
  ok = pigeon_pop3_download (session, provider, folder_id, &options, cancellable, error);
  report_warning (self, options.warning);
  g_free (options.warning);
  return ok;
}

/* ------------------------------------------------------------------ the user's changes */

static gboolean
pigeon_pop3_provider_apply_op (PigeonProvider        *provider,
                               const PigeonPendingOp *op,
                               GCancellable          *cancellable,
                               GError               **error)
{
  PigeonAccount *account = pigeon_provider_get_account (provider);
  PigeonStore *store = pigeon_provider_get_store (provider);

  /* The folders are local: every change is complete once it is in the store.  Only
   * deleting a message for good may concern the server, at the next check. */
  if (op->kind != PIGEON_OP_EXPUNGE ||
      pigeon_account_get_pop3_keep (account) != PIGEON_POP3_KEEP_UNTIL_DELETED)
    return TRUE;

  if (op->remote_id != NULL)
    {
      const char *uidls[] = { op->remote_id, NULL };

      if (!pigeon_store_pop3_mark_delete_pending (store, uidls, error))
        return FALSE;
    }
  /* A message moved between local folders lost its remote id but kept its row id. */
  return pigeon_store_pop3_mark_message_delete_pending (store, op->message_id, error);
}

/* ------------------------------------------------------------------ class */

static void
pigeon_pop3_provider_finalize (GObject *object)
{
  PigeonPop3Provider *self = (PigeonPop3Provider *) object;

  if (self->session != NULL)
    pigeon_pop3_session_close (self->session);
  g_clear_object (&self->session);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (pigeon_pop3_provider_parent_class)->finalize (object);
}

static void
pigeon_pop3_provider_class_init (PigeonPop3ProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);

  object_class->finalize = pigeon_pop3_provider_finalize;

  provider_class->protocol = "pop3";
  provider_class->display_name = _("POP3");
  provider_class->description =
    _("Downloads mail to this computer, and leaves a copy on the server for as long as you "
      "choose.");
  provider_class->default_port_tls = 995;
  provider_class->default_port_plain = 110;
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE;

  provider_class->connect = pigeon_pop3_provider_connect;
  provider_class->disconnect = pigeon_pop3_provider_disconnect;
  provider_class->sync_folders = pigeon_pop3_provider_sync_folders;
  provider_class->sync_folder = pigeon_pop3_provider_sync_folder;
  provider_class->apply_op = pigeon_pop3_provider_apply_op;
}

static void
pigeon_pop3_provider_init (PigeonPop3Provider *self)
{
  self->context = g_main_context_ref_thread_default ();
}

void
pigeon_pop3_provider_register (void)
{
  pigeon_provider_register_type (PIGEON_TYPE_POP3_PROVIDER, "pop3");
}
