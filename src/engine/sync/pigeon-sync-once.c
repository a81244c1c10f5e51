/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-sync"

#include "config.h"

#include "pigeon-error.h"
#include "pigeon-sync-once.h"

static int
inbox_first (gconstpointer a,
             gconstpointer b)
{
  const PigeonFolder *fa = *(PigeonFolder * const *) a;
  const PigeonFolder *fb = *(PigeonFolder * const *) b;
  gboolean ia = fa->role == PIGEON_FOLDER_ROLE_INBOX;
  gboolean ib = fb->role == PIGEON_FOLDER_ROLE_INBOX;

  if (ia != ib)
    return ia ? -1 : 1;
  return g_strcmp0 (fa->path, fb->path);
}

static gboolean
stops_everything (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         pigeon_error_is_transient (error) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_AUTH) ||
         g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
}

static gboolean
sync_connected (PigeonProvider  *provider,
                PigeonStore     *store,
                PigeonSyncFlags  flags,
                GCancellable    *cancellable,
                GError         **error)
{
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GError) first_error = NULL;

  if (!pigeon_provider_replay_pending_ops (provider, cancellable, error))
    return FALSE;
  if (!pigeon_provider_sync_folders (provider, cancellable, error))
    return FALSE;

  folders = pigeon_store_list_folders (store, error);
  if (folders == NULL)
    return FALSE;
  g_ptr_array_sort (folders, inbox_first);

  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);
      g_autoptr(GError) folder_error = NULL;

      if (folder->flags & PIGEON_FOLDER_FLAG_NOSELECT)
        continue;
      if (pigeon_provider_sync_folder (provider, folder->id, flags, cancellable, &folder_error))
        continue;
      if (stops_everything (folder_error))
        {
          g_propagate_error (error, g_steal_pointer (&folder_error));
          return FALSE;
        }
      g_message ("Could not sync %s: %s", folder->path, folder_error->message);
      if (first_error == NULL)
        first_error = g_steal_pointer (&folder_error);
    }

  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_sync_account_once (PigeonAccount   *account,
                          PigeonStore     *store,
                          PigeonSyncFlags  flags,
                          GCancellable    *cancellable,
                          GError         **error)
{
  g_autoptr(PigeonProvider) provider = NULL;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (PIGEON_IS_STORE (store), FALSE);

  provider = pigeon_provider_new_for_account (account, store, error);
  if (provider == NULL)
    return FALSE;
  if (!pigeon_provider_connect (provider, cancellable, error))
    return FALSE;
  ok = sync_connected (provider, store, flags, cancellable, error);
  pigeon_provider_disconnect (provider);
  return ok;
}
