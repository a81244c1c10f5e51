/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"

/*
 * Push: Ping holds a request open until something changes in one of the watched folders or
 * the heartbeat passes.  The heartbeat the server accepts is remembered per account.
 */
#define MIN_HEARTBEAT       30
#define MAX_HEARTBEAT       (28 * 60)
#define HTTP_SLACK          60     /* on top of the heartbeat before the request times out */
#define MAX_PING_FOLDERS    100

enum
{
  PING_EXPIRED           = 1,
  PING_CHANGES           = 2,
  PING_MISSING_PARAMS    = 3,
  PING_SYNTAX_ERROR      = 4,
  PING_BAD_HEARTBEAT     = 5,
  PING_TOO_MANY_FOLDERS  = 6,
  PING_HIERARCHY_CHANGED = 7,
  PING_SERVER_ERROR      = 8,
};

static void
add_folder (PigeonEasNode *folders,
            const char    *id,
            const char    *class_name)
{
  PigeonEasNode *folder = pigeon_eas_node_add (folders, "Ping:Folder");

  pigeon_eas_node_add_text (folder, "Ping:Id", id);
  pigeon_eas_node_add_text (folder, "Ping:Class", class_name);
}

/* Every synced mail folder, then the contacts and calendars, up to MAX folders. */
static PigeonEasNode *
ping_request (PigeonActiveSyncProvider *self,
              guint                     heartbeat,
              guint                     max_folders,
              GError                  **error)
{
  static const guint pim_types[] = { EAS_FOLDER_CONTACTS, EAS_FOLDER_USER_CONTACTS,
                                     EAS_FOLDER_CALENDAR, EAS_FOLDER_USER_CALENDAR };
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(GPtrArray) mail = pigeon_store_list_folders (store, error);
  g_autoptr(GPtrArray) pim = pigeon_activesync_collections (self, pim_types, G_N_ELEMENTS (pim_types));
  g_autoptr(PigeonEasNode) request = NULL;
  PigeonEasNode *folders;
  guint n = 0;

  if (mail == NULL)
    return NULL;
  request = pigeon_eas_node_new ("Ping:Ping");
  pigeon_eas_node_add_printf (request, "Ping:HeartbeatInterval", "%u", heartbeat);
  folders = pigeon_eas_node_add (request, "Ping:Folders");

  /* the inbox first: it matters most when the server limits the count */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < mail->len && n < max_folders; i++)
      {
        PigeonFolder *folder = g_ptr_array_index (mail, i);
        gboolean inbox = folder->role == PIGEON_FOLDER_ROLE_INBOX;

        if (folder->remote_id == NULL || folder->sync_key == NULL || inbox != (pass == 0))
          continue;
        add_folder (folders, folder->remote_id, "Email");
        n++;
      }
  for (guint i = 0; i < pim->len && n < max_folders; i++)
    {
      EasCollection *collection = g_ptr_array_index (pim, i);
      gboolean contacts = collection->type == EAS_FOLDER_CONTACTS ||
                          collection->type == EAS_FOLDER_USER_CONTACTS;

      add_folder (folders, collection->server_id, contacts ? "Contacts" : "Calendar");
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("There is no synced folder to watch yet."));
      return NULL;
    }
  return g_steal_pointer (&request);
}

static void
remember_heartbeat (PigeonActiveSyncProvider *self,
                    guint                     heartbeat)
{
  g_autofree char *value = g_strdup_printf ("%u", heartbeat);

  self->heartbeat = heartbeat;
  pigeon_store_set_state (pigeon_provider_get_store (PIGEON_PROVIDER (self)), STATE_HEARTBEAT,
                          value, NULL);
}

/* The collections a Ping answer names as changed, for take_changes. */
static void
note_changed (PigeonActiveSyncProvider *self,
              const PigeonEasNode      *folders)
{
  for (guint i = 0; folders != NULL && i < pigeon_eas_node_n_children (folders); i++)
    {
      PigeonEasNode *folder = pigeon_eas_node_get_child (folders, i);
      const char *id = pigeon_eas_node_get_text (folder);

      if (!pigeon_eas_node_is (folder, "Ping:Folder") || id == NULL || *id == '\0')
        continue;
      /* bounded: a server naming endless folders gets a full pass, no more */
      if (self->ping_changed->len >= MAX_PING_FOLDERS)
        self->ping_elsewhere = TRUE;
      else
        g_ptr_array_add (self->ping_changed, g_strdup (id));
    }
}

void
pigeon_activesync_take_changes (PigeonActiveSyncProvider *self,
                                GArray                   *folder_ids,
                                gboolean                 *elsewhere)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));

  *elsewhere = self->ping_elsewhere;
  for (guint i = 0; i < self->ping_changed->len; i++)
    {
      g_autoptr(PigeonFolder) folder =
        pigeon_store_get_folder_by_remote_id (store, g_ptr_array_index (self->ping_changed, i),
                                              NULL);

      /* a mail folder is synced on its own; contacts and calendars come with a full pass */
      if (folder != NULL)
        g_array_append_val (folder_ids, folder->id);
      else
        *elsewhere = TRUE;
    }
  g_ptr_array_set_size (self->ping_changed, 0);
  self->ping_elsewhere = FALSE;
}

gboolean
pigeon_activesync_wait_for_changes (PigeonActiveSyncProvider *self,
                                    guint                     timeout_seconds,
                                    GCancellable             *cancellable,
                                    GError                  **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  guint max_folders = MAX_PING_FOLDERS;

  if (self->hierarchy == NULL && !pigeon_activesync_load_hierarchy (self, error))
    return FALSE;

  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / G_USEC_PER_SEC;
      guint heartbeat;
      g_autoptr(PigeonEasNode) request = NULL;
      g_autoptr(PigeonEasNode) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      gint64 status;

      if (left < MIN_HEARTBEAT / 2)
        return TRUE;
      heartbeat = CLAMP ((guint) left, MIN_HEARTBEAT, MAX_HEARTBEAT);
      if (self->heartbeat != 0)
        heartbeat = MIN (heartbeat, self->heartbeat);

      request = ping_request (self, heartbeat, max_folders, error);
      if (request == NULL)
        return FALSE;
      reply = pigeon_eas_client_command (self->client, "Ping", request, NULL,
                                         heartbeat + HTTP_SLACK, cancellable, &local_error);
      if (reply == NULL)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          return TRUE;   /* an empty answer: the heartbeat passed */
        }

      status = pigeon_eas_node_find_int (reply, "Ping:Status", 0);
      switch (status)
        {
        case PING_EXPIRED:
          if (self->heartbeat == 0)
            remember_heartbeat (self, heartbeat);
          continue;
        case PING_CHANGES:
          if (self->heartbeat == 0)
            remember_heartbeat (self, heartbeat);
          note_changed (self, pigeon_eas_node_find (reply, "Ping:Folders"));
          return TRUE;
        case PING_BAD_HEARTBEAT:
          {
            gint64 allowed = pigeon_eas_node_find_int (reply, "Ping:HeartbeatInterval", 0);

            if (allowed <= 0 || (guint) allowed == heartbeat)
              return pigeon_activesync_sync_status_error (_("push"), status, error);
            g_message ("ActiveSync: the server wants a heartbeat of %u s", (guint) allowed);
            remember_heartbeat (self, (guint) allowed);
            /* a heartbeat below ours is a maximum; above it is a minimum the server
             * insists on, which we may then wait past the caller's timeout for */
            if ((guint) allowed > heartbeat)
              deadline = MAX (deadline, g_get_monotonic_time () + allowed * G_USEC_PER_SEC);
          }
          continue;
        case PING_TOO_MANY_FOLDERS:
          {
            gint64 allowed = pigeon_eas_node_find_int (reply, "Ping:MaxFolders", 0);

            if (allowed <= 0 || (guint) allowed >= max_folders)
              return pigeon_activesync_sync_status_error (_("push"), status, error);
            max_folders = (guint) allowed;
          }
          continue;
        case PING_HIERARCHY_CHANGED:
          self->ping_elsewhere = TRUE;
          return pigeon_activesync_folder_sync (self, cancellable, error);
        case PING_SERVER_ERROR:
          return pigeon_activesync_sync_status_error (_("push"), 16, error);
        default:
          return pigeon_activesync_sync_status_error (_("push"), status, error);
        }
    }
}
