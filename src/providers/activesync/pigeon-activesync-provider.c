/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"
#include "pigeon-mime.h"

G_DEFINE_FINAL_TYPE (PigeonActiveSyncProvider, pigeon_activesync_provider, PIGEON_TYPE_PROVIDER)

static void
policy_key_changed_cb (PigeonEasClient          *client,
                       GParamSpec               *pspec,
                       PigeonActiveSyncProvider *self)
{
  g_autoptr(GError) error = NULL;

  if (!pigeon_store_set_state (pigeon_provider_get_store (PIGEON_PROVIDER (self)), STATE_POLICY_KEY,
                               pigeon_eas_client_get_policy_key (client), &error))
    g_warning ("Could not keep the ActiveSync policy key: %s", error->message);
}

/* Generated once per account and kept: the server knows this computer by it. */
static char *
device_id (PigeonStore  *store,
           GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  char *id = pigeon_store_get_state (store, STATE_DEVICE_ID, &local_error);
  g_autofree char *uuid = NULL;
  GString *fresh;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (id != NULL)
    return id;

  uuid = g_uuid_string_random ();
  fresh = g_string_new (NULL);
  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (fresh, g_ascii_toupper (*p));
  if (!pigeon_store_set_state (store, STATE_DEVICE_ID, fresh->str, error))
    {
      g_string_free (fresh, TRUE);
      return NULL;
    }
  return g_string_free (fresh, FALSE);
}

static gboolean
pigeon_activesync_provider_connect (PigeonProvider  *provider,
                                    GCancellable    *cancellable,
                                    GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);
  PigeonAccount *account = pigeon_provider_get_account (provider);
  PigeonStore *store = pigeon_provider_get_store (provider);
  gboolean use_tls = pigeon_provider_get_security (provider) != PIGEON_SECURITY_NONE;
  g_autofree char *url = NULL;
  g_autofree char *device = NULL;
  g_autofree char *policy_key = NULL;
  g_autofree char *heartbeat = NULL;

  url = pigeon_eas_client_build_url (pigeon_provider_get_host (provider), use_tls,
                                     pigeon_account_get_port (account));
  if (url == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is neither a server name nor an http or https address."),
                   pigeon_provider_get_host (provider));
      return FALSE;
    }
  if (g_str_has_prefix (url, "http:") && use_tls)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("%s is not encrypted. To use it anyway, set the account's security to "
                     "“none”."), url);
      return FALSE;
    }

  pigeon_mime_init ();
  device = device_id (store, error);
  if (device == NULL)
    return FALSE;
  policy_key = pigeon_store_get_state (store, STATE_POLICY_KEY, NULL);
  heartbeat = pigeon_store_get_state (store, STATE_HEARTBEAT, NULL);
  self->heartbeat = heartbeat != NULL ? (guint) g_ascii_strtoull (heartbeat, NULL, 10) : 0;

  g_clear_object (&self->client);
  self->client = pigeon_eas_client_new (url, pigeon_provider_get_login (provider),
                                        pigeon_provider_get_password (provider), device,
                                        pigeon_provider_get_pinned_certificate (provider));
  pigeon_eas_client_set_policy_key (self->client, policy_key);
  g_signal_connect_object (self->client, "notify::policy-key",
                           G_CALLBACK (policy_key_changed_cb), self, 0);

  if (!pigeon_eas_client_options (self->client, cancellable, error))
    {
      g_clear_object (&self->client);
      return FALSE;
    }
  return pigeon_activesync_load_hierarchy (self, error);
}

static void
pigeon_activesync_provider_disconnect (PigeonProvider *provider)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  /* HTTP has no session to end: drop the connections */
  g_clear_object (&self->client);
}

static gboolean
not_connected (PigeonActiveSyncProvider *self,
               GError                  **error)
{
  if (self->client != NULL)
    return FALSE;
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST, _("Not connected to the server."));
  return TRUE;
}

static gboolean
pigeon_activesync_provider_sync_folders (PigeonProvider  *provider,
                                         GCancellable    *cancellable,
                                         GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  /* contacts and calendars ride along with the folder list: they are account-wide */
  return pigeon_activesync_folder_sync (self, cancellable, error) &&
         pigeon_activesync_sync_pim (self, cancellable, error);
}

static gboolean
pigeon_activesync_provider_sync_folder (PigeonProvider  *provider,
                                        gint64           folder_id,
                                        PigeonSyncFlags  flags,
                                        GCancellable    *cancellable,
                                        GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);
  PigeonStore *store = pigeon_provider_get_store (provider);
  g_autoptr(GError) local_error = NULL;

  if (not_connected (self, error))
    return FALSE;
  if ((flags & PIGEON_SYNC_FLAGS_FULL) != 0 &&
      !pigeon_store_set_folder_sync_state (store, folder_id, 0, 0, 0, "0", error))
    return FALSE;

  if (!pigeon_activesync_sync_mail_folder (self, folder_id, cancellable, &local_error))
    {
      /* the folder may have moved or gone: learn the hierarchy again, then retry once */
      if (!g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (!pigeon_activesync_folder_sync (self, cancellable, error) ||
          !pigeon_activesync_sync_mail_folder (self, folder_id, cancellable, error))
        return FALSE;
    }

  if (flags & PIGEON_SYNC_FLAGS_BODIES)
    {
      g_autoptr(GArray) missing = pigeon_store_list_missing_bodies (store, folder_id, 0, 0, error);

      if (missing == NULL)
        return FALSE;
      for (guint i = 0; i < missing->len; i++)
        {
          g_autoptr(GError) body_error = NULL;

          if (!pigeon_activesync_fetch_body (self, g_array_index (missing, gint64, i), cancellable,
                                             &body_error))
            {
              if (!g_error_matches (body_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND))
                {
                  g_propagate_error (error, g_steal_pointer (&body_error));
                  return FALSE;
                }
            }
          pigeon_provider_report_progress (provider, NULL, i + 1, missing->len);
        }
    }
  return TRUE;
}

static gboolean
pigeon_activesync_provider_fetch_body (PigeonProvider  *provider,
                                       gint64           message_id,
                                       GCancellable    *cancellable,
                                       GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  return pigeon_activesync_fetch_body (self, message_id, cancellable, error);
}

static gboolean
pigeon_activesync_provider_apply_op (PigeonProvider        *provider,
                                     const PigeonPendingOp *op,
                                     GCancellable          *cancellable,
                                     GError               **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  return pigeon_activesync_apply_op (self, op, cancellable, error);
}

static gboolean
pigeon_activesync_provider_send (PigeonProvider      *provider,
                                 GBytes              *message,
                                 const char          *from,
                                 const char * const  *recipients,
                                 GPtrArray           *rejected,
                                 GCancellable        *cancellable,
                                 GError             **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  /* the server takes the recipients from the message's own headers */
  return pigeon_activesync_send (self, message, rejected, cancellable, error);
}

static gboolean
pigeon_activesync_provider_wait_for_changes (PigeonProvider  *provider,
                                             guint            timeout_seconds,
                                             GCancellable    *cancellable,
                                             GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  return pigeon_activesync_wait_for_changes (self, timeout_seconds, cancellable, error);
}

static void
pigeon_activesync_provider_take_changes (PigeonProvider *provider,
                                         GArray         *folder_ids,
                                         gboolean       *elsewhere)
{
  pigeon_activesync_take_changes (PIGEON_ACTIVESYNC_PROVIDER (provider), folder_ids, elsewhere);
}

static gboolean
pigeon_activesync_provider_search (PigeonProvider  *provider,
                                   const char      *query,
                                   gint64           folder_id,
                                   GArray          *message_ids,
                                   GCancellable    *cancellable,
                                   GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return FALSE;
  return pigeon_activesync_search (self, query, folder_id, message_ids, cancellable, error);
}

static GBytes *
pigeon_activesync_provider_fetch_attachment (PigeonProvider  *provider,
                                             gint64           message_id,
                                             const char      *reference,
                                             char           **out_content_type,
                                             GCancellable    *cancellable,
                                             GError         **error)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (provider);

  if (not_connected (self, error))
    return NULL;
  return pigeon_activesync_fetch_attachment (self, reference,
                                             PIGEON_PROVIDER_MAX_ATTACHMENT_SIZE,
                                             out_content_type, cancellable, error);
}

static void
pigeon_activesync_provider_finalize (GObject *object)
{
  PigeonActiveSyncProvider *self = PIGEON_ACTIVESYNC_PROVIDER (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->hierarchy, g_hash_table_unref);
  g_clear_pointer (&self->ping_changed, g_ptr_array_unref);

  G_OBJECT_CLASS (pigeon_activesync_provider_parent_class)->finalize (object);
}

static void
pigeon_activesync_provider_class_init (PigeonActiveSyncProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PigeonProviderClass *provider_class = PIGEON_PROVIDER_CLASS (klass);
  /* What Exchange Autodiscover calls an ActiveSync server. */
  static const char * const config_names[] = { "mobilesync", NULL };

  object_class->finalize = pigeon_activesync_provider_finalize;

  provider_class->protocol = "activesync";
  provider_class->display_name = N_("Exchange ActiveSync");
  provider_class->description = N_("Mail, contacts and calendar from an Exchange or "
                                   "Outlook-style server, kept in sync with the server.");
  provider_class->default_port_tls = 443;
  provider_class->default_port_plain = 80;
  provider_class->config_names = config_names;
  provider_class->caps = PIGEON_PROVIDER_CAP_RECEIVE | PIGEON_PROVIDER_CAP_FOLDERS |
                         PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL | PIGEON_PROVIDER_CAP_PUSH |
                         PIGEON_PROVIDER_CAP_SEND | PIGEON_PROVIDER_CAP_SAVES_SENT |
                         PIGEON_PROVIDER_CAP_CONTACTS | PIGEON_PROVIDER_CAP_CALENDAR |
                         PIGEON_PROVIDER_CAP_SERVER_SEARCH | PIGEON_PROVIDER_CAP_URL_HOST;

  provider_class->connect = pigeon_activesync_provider_connect;
  provider_class->disconnect = pigeon_activesync_provider_disconnect;
  provider_class->sync_folders = pigeon_activesync_provider_sync_folders;
  provider_class->sync_folder = pigeon_activesync_provider_sync_folder;
  provider_class->fetch_body = pigeon_activesync_provider_fetch_body;
  provider_class->apply_op = pigeon_activesync_provider_apply_op;
  provider_class->send = pigeon_activesync_provider_send;
  provider_class->wait_for_changes = pigeon_activesync_provider_wait_for_changes;
  provider_class->search = pigeon_activesync_provider_search;
  provider_class->take_changes = pigeon_activesync_provider_take_changes;
  provider_class->fetch_attachment = pigeon_activesync_provider_fetch_attachment;
}

static void
pigeon_activesync_provider_init (PigeonActiveSyncProvider *self)
{
  self->ping_changed = g_ptr_array_new_with_free_func (g_free);
}

void
pigeon_activesync_provider_register (void)
{
  pigeon_provider_register_type (PIGEON_TYPE_ACTIVESYNC_PROVIDER, "activesync");
}
