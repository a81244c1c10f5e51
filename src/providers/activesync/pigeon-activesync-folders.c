/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"

#define FOLDER_SYNC_INVALID_KEY 9

static void
collection_free (EasCollection *collection)
{
  g_free (collection->server_id);
  g_free (collection->parent_id);
  g_free (collection->name);
  g_free (collection);
}

static GHashTable *
new_hierarchy (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) collection_free);
}

static void
put_collection (GHashTable *hierarchy,
                const char *server_id,
                const char *parent_id,
                const char *name,
                guint       type)
{
  EasCollection *collection = g_new0 (EasCollection, 1);

  collection->server_id = g_strdup (server_id);
  collection->parent_id = g_strdup (parent_id ?: "0");
  collection->name = g_strdup (name ?: server_id);
  collection->type = type;
  g_hash_table_replace (hierarchy, collection->server_id, collection);
}

/* One line per collection: escaped server id, parent id, type and name, tab-separated. */
static char *
serialize_hierarchy (GHashTable *hierarchy)
{
  GString *out = g_string_new (NULL);
  GHashTableIter iter;
  EasCollection *collection;

  g_hash_table_iter_init (&iter, hierarchy);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &collection))
    {
      g_autofree char *id = g_strescape (collection->server_id, NULL);
      g_autofree char *parent = g_strescape (collection->parent_id, NULL);
      g_autofree char *name = g_strescape (collection->name, NULL);

      g_string_append_printf (out, "%s\t%s\t%u\t%s\n", id, parent, collection->type, name);
    }
  return g_string_free (out, FALSE);
}

gboolean
pigeon_activesync_load_hierarchy (PigeonActiveSyncProvider *self,
                                  GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = pigeon_store_get_state (store, STATE_HIERARCHY, &local_error);
  g_auto(GStrv) lines = NULL;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_pointer (&self->hierarchy, g_hash_table_unref);
  self->hierarchy = new_hierarchy ();
  if (text == NULL)
    return TRUE;

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 4);
      g_autofree char *id = NULL, *parent = NULL, *name = NULL;

      if (g_strv_length (fields) != 4)
        continue;
      id = g_strcompress (fields[0]);
      parent = g_strcompress (fields[1]);
      name = g_strcompress (fields[3]);
      put_collection (self->hierarchy, id, parent, name, (guint) g_ascii_strtoull (fields[2], NULL, 10));
    }
  return TRUE;
}

GPtrArray *
pigeon_activesync_collections (PigeonActiveSyncProvider *self,
                               const guint              *types,
                               guint                     n_types)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter iter;
  EasCollection *collection;

  if (self->hierarchy == NULL)
    return out;
  g_hash_table_iter_init (&iter, self->hierarchy);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &collection))
    for (guint i = 0; i < n_types; i++)
      if (collection->type == types[i])
        g_ptr_array_add (out, collection);
  return out;
}

static gboolean
is_mail_type (guint type)
{
  switch (type)
    {
    case EAS_FOLDER_GENERIC:
    case EAS_FOLDER_INBOX:
    case EAS_FOLDER_DRAFTS:
    case EAS_FOLDER_DELETED:
    case EAS_FOLDER_SENT:
    case EAS_FOLDER_USER_MAIL:
      return TRUE;
    default:
      return FALSE;
    }
}

/* "Parent/Child" from the display names up the ParentId chain. */
static char *
collection_path (GHashTable    *hierarchy,
                 EasCollection *collection)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GString *path = g_string_new (NULL);
  EasCollection *at = collection;

  /* a loop in the chain (a broken server) ends after as many steps as there are folders */
  for (guint steps = 0; at != NULL && steps <= g_hash_table_size (hierarchy); steps++)
    {
      g_ptr_array_insert (names, 0, at->name);
      at = g_hash_table_lookup (hierarchy, at->parent_id);
    }
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *clean = g_strdelimit (g_strdup (g_ptr_array_index (names, i)), "/", '_');

      g_string_append_printf (path, "%s%s", i ? "/" : "", clean);
    }
  return g_string_free (path, FALSE);
}

static PigeonFolderRole
role_for (EasCollection *collection)
{
  switch (collection->type)
    {
    case EAS_FOLDER_INBOX: return PIGEON_FOLDER_ROLE_INBOX;
    case EAS_FOLDER_DRAFTS: return PIGEON_FOLDER_ROLE_DRAFTS;
    case EAS_FOLDER_DELETED: return PIGEON_FOLDER_ROLE_TRASH;
    case EAS_FOLDER_SENT: return PIGEON_FOLDER_ROLE_SENT;
    default: return pigeon_folder_role_guess (collection->name, NULL);
    }
}

static gboolean
write_mail_folders (PigeonActiveSyncProvider *self,
                    GError                  **error)
{
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
  GHashTableIter iter;
  EasCollection *collection;

  g_hash_table_iter_init (&iter, self->hierarchy);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &collection))
    {
      PigeonFolder *folder;
      EasCollection *parent;

      if (!is_mail_type (collection->type))
        continue;
      folder = pigeon_folder_new ();
      folder->path = collection_path (self->hierarchy, collection);
      folder->name = g_strdup (collection->name);
      folder->delimiter = g_strdup ("/");
      parent = g_hash_table_lookup (self->hierarchy, collection->parent_id);
      if (parent != NULL)
        folder->parent_path = collection_path (self->hierarchy, parent);
      folder->role = role_for (collection);
      folder->flags = PIGEON_FOLDER_FLAG_SUBSCRIBED;
      folder->remote_id = g_strdup (collection->server_id);
      g_ptr_array_add (folders, folder);
    }
  return pigeon_store_replace_folders (pigeon_provider_get_store (PIGEON_PROVIDER (self)), folders,
                                       error);
}

static void
apply_changes (PigeonActiveSyncProvider *self,
               PigeonEasNode            *changes)
{
  for (guint i = 0; changes != NULL && i < pigeon_eas_node_n_children (changes); i++)
    {
      PigeonEasNode *change = pigeon_eas_node_get_child (changes, i);
      const char *id = pigeon_eas_node_find_text (change, "FolderHierarchy:ServerId");

      if (id == NULL)
        continue;
      if (pigeon_eas_node_is (change, "FolderHierarchy:Add") ||
          pigeon_eas_node_is (change, "FolderHierarchy:Update"))
        put_collection (self->hierarchy, id,
                        pigeon_eas_node_find_text (change, "FolderHierarchy:ParentId"),
                        pigeon_eas_node_find_text (change, "FolderHierarchy:DisplayName"),
                        (guint) pigeon_eas_node_find_int (change, "FolderHierarchy:Type",
                                                          EAS_FOLDER_GENERIC));
      else if (pigeon_eas_node_is (change, "FolderHierarchy:Delete"))
        g_hash_table_remove (self->hierarchy, id);
    }
}

gboolean
pigeon_activesync_folder_sync (PigeonActiveSyncProvider *self,
                               GCancellable             *cancellable,
                               GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(GError) local_error = NULL;
  g_autofree char *key = pigeon_store_get_state (store, STATE_FOLDER_SYNC_KEY, &local_error);
  g_autofree char *serialized = NULL;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (self->hierarchy == NULL && !pigeon_activesync_load_hierarchy (self, error))
    return FALSE;

  for (guint attempt = 0; ; attempt++)
    {
      g_autoptr(PigeonEasNode) request = pigeon_eas_node_new ("FolderHierarchy:FolderSync");
      g_autoptr(PigeonEasNode) reply = NULL;
      const char *new_key;
      gint64 status;

      if (key == NULL)
        key = g_strdup ("0");
      pigeon_eas_node_add_text (request, "FolderHierarchy:SyncKey", key);
      reply = pigeon_eas_client_command (self->client, "FolderSync", request, NULL, 0,
                                         cancellable, &local_error);
      if (reply == NULL)
        {
          if (local_error == NULL)
            g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                         _("The server sent no folder list."));
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      status = pigeon_eas_node_find_int (reply, "FolderHierarchy:Status", 0);
      if (status == FOLDER_SYNC_INVALID_KEY && attempt == 0)
        {
          g_message ("ActiveSync: the folder sync key is no longer valid, starting over");
          g_clear_pointer (&key, g_free);
          continue;
        }
      if (status != 1)
        return pigeon_activesync_sync_status_error (_("the folder list"), status, error);

      if (g_strcmp0 (key, "0") == 0)
        g_hash_table_remove_all (self->hierarchy);
      apply_changes (self, pigeon_eas_node_find (reply, "FolderHierarchy:Changes"));
      new_key = pigeon_eas_node_find_text (reply, "FolderHierarchy:SyncKey");
      g_free (key);
      key = g_strdup (new_key ?: "0");
      break;
    }

  /* folders first: a crash after them only makes the next FolderSync repeat itself */
  serialized = serialize_hierarchy (self->hierarchy);
  if (!write_mail_folders (self, error) ||
      !pigeon_store_set_state (store, STATE_HIERARCHY, serialized, error) ||
      !pigeon_store_set_state (store, STATE_FOLDER_SYNC_KEY, key, error))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ folder changes */

static EasCollection *
collection_by_path (PigeonActiveSyncProvider *self,
                    const char               *path)
{
  GHashTableIter iter;
  EasCollection *collection;

  if (path == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, self->hierarchy);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &collection))
    if (is_mail_type (collection->type))
      {
        g_autofree char *candidate = collection_path (self->hierarchy, collection);

        if (g_strcmp0 (candidate, path) == 0)
          return collection;
      }
  return NULL;
}

static void
split_path (const char  *path,
            char       **out_parent,
            char       **out_name)
{
  const char *slash = strrchr (path, '/');

  *out_parent = slash != NULL ? g_strndup (path, slash - path) : NULL;
  *out_name = g_strdup (slash != NULL ? slash + 1 : path);
}

/* Sends one folder command; FolderSync first when the key went stale. */
static PigeonEasNode *
folder_command (PigeonActiveSyncProvider *self,
                const char               *command,
                PigeonEasNode            *(*build) (PigeonActiveSyncProvider *, const char *,
                                                    gconstpointer),
                gconstpointer             data,
                gint64                   *out_status,
                GCancellable             *cancellable,
                GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));

  for (guint attempt = 0; ; attempt++)
    {
      g_autofree char *key = pigeon_store_get_state (store, STATE_FOLDER_SYNC_KEY, NULL);
      g_autoptr(PigeonEasNode) request = build (self, key ?: "0", data);
      g_autoptr(PigeonEasNode) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *new_key;

      reply = pigeon_eas_client_command (self->client, command, request, NULL, 0, cancellable,
                                         &local_error);
      if (reply == NULL)
        {
          if (local_error == NULL)
            g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                         _("The server did not answer the folder change."));
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      *out_status = pigeon_eas_node_find_int (reply, "FolderHierarchy:Status", 0);
      if (*out_status == FOLDER_SYNC_INVALID_KEY && attempt == 0)
        {
          if (!pigeon_activesync_folder_sync (self, cancellable, error))
            return NULL;
          continue;
        }
      new_key = pigeon_eas_node_find_text (reply, "FolderHierarchy:SyncKey");
      if (*out_status == 1 && new_key != NULL &&
          !pigeon_store_set_state (store, STATE_FOLDER_SYNC_KEY, new_key, error))
        return NULL;
      return g_steal_pointer (&reply);
    }
}

typedef struct
{
  const char *server_id;
  const char *parent_id;
  const char *name;
} FolderArgs;

static PigeonEasNode *
build_create (PigeonActiveSyncProvider *self,
              const char               *key,
              gconstpointer             data)
{
  const FolderArgs *args = data;
  PigeonEasNode *request = pigeon_eas_node_new ("FolderHierarchy:FolderCreate");

  pigeon_eas_node_add_text (request, "FolderHierarchy:SyncKey", key);
  pigeon_eas_node_add_text (request, "FolderHierarchy:ParentId", args->parent_id);
  pigeon_eas_node_add_text (request, "FolderHierarchy:DisplayName", args->name);
  pigeon_eas_node_add_printf (request, "FolderHierarchy:Type", "%d", EAS_FOLDER_USER_MAIL);
  return request;
}

static PigeonEasNode *
build_update (PigeonActiveSyncProvider *self,
              const char               *key,
              gconstpointer             data)
{
  const FolderArgs *args = data;
  PigeonEasNode *request = pigeon_eas_node_new ("FolderHierarchy:FolderUpdate");

  pigeon_eas_node_add_text (request, "FolderHierarchy:SyncKey", key);
  pigeon_eas_node_add_text (request, "FolderHierarchy:ServerId", args->server_id);
  pigeon_eas_node_add_text (request, "FolderHierarchy:ParentId", args->parent_id);
  pigeon_eas_node_add_text (request, "FolderHierarchy:DisplayName", args->name);
  return request;
}

static PigeonEasNode *
build_delete (PigeonActiveSyncProvider *self,
              const char               *key,
              gconstpointer             data)
{
  const FolderArgs *args = data;
  PigeonEasNode *request = pigeon_eas_node_new ("FolderHierarchy:FolderDelete");

  pigeon_eas_node_add_text (request, "FolderHierarchy:SyncKey", key);
  pigeon_eas_node_add_text (request, "FolderHierarchy:ServerId", args->server_id);
  return request;
}

static gboolean
save_hierarchy (PigeonActiveSyncProvider *self,
                GError                  **error)
{
  g_autofree char *serialized = serialize_hierarchy (self->hierarchy);

  return write_mail_folders (self, error) &&
         pigeon_store_set_state (pigeon_provider_get_store (PIGEON_PROVIDER (self)),
                                 STATE_HIERARCHY, serialized, error);
}

gboolean
pigeon_activesync_folder_op (PigeonActiveSyncProvider *self,
                             const PigeonPendingOp    *op,
                             GCancellable             *cancellable,
                             GError                  **error)
{
  g_autofree char *parent_path = NULL, *name = NULL;
  g_autoptr(PigeonEasNode) reply = NULL;
  EasCollection *collection, *parent;
  FolderArgs args = { 0 };
  gint64 status = 0;

  if (self->hierarchy == NULL && !pigeon_activesync_load_hierarchy (self, error))
    return FALSE;

  switch (op->kind)
    {
    case PIGEON_OP_CREATE_FOLDER:
      split_path (op->path, &parent_path, &name);
      parent = collection_by_path (self, parent_path);
      args.parent_id = parent != NULL ? parent->server_id : "0";
      args.name = name;
      reply = folder_command (self, "FolderCreate", build_create, &args, &status, cancellable, error);
      if (reply == NULL)
        return FALSE;
      if (status == 1 && pigeon_eas_node_find_text (reply, "FolderHierarchy:ServerId") != NULL)
        {
          put_collection (self->hierarchy,
                          pigeon_eas_node_find_text (reply, "FolderHierarchy:ServerId"),
                          args.parent_id, name, EAS_FOLDER_USER_MAIL);
          return save_hierarchy (self, error);
        }
      break;

    case PIGEON_OP_RENAME_FOLDER:
      collection = collection_by_path (self, op->path);
      if (collection == NULL)
        break;
      split_path (op->new_path, &parent_path, &name);
      parent = collection_by_path (self, parent_path);
      args.server_id = collection->server_id;
      args.parent_id = parent != NULL ? parent->server_id : "0";
      args.name = name;
      reply = folder_command (self, "FolderUpdate", build_update, &args, &status, cancellable, error);
      if (reply == NULL)
        return FALSE;
      if (status == 1)
        {
          put_collection (self->hierarchy, collection->server_id, args.parent_id, name,
                          collection->type);
          return save_hierarchy (self, error);
        }
      break;

    case PIGEON_OP_DELETE_FOLDER:
      collection = collection_by_path (self, op->path);
      if (collection == NULL)
        break;
      args.server_id = collection->server_id;
      reply = folder_command (self, "FolderDelete", build_delete, &args, &status, cancellable, error);
      if (reply == NULL)
        return FALSE;
      if (status == 1)
        {
          g_hash_table_remove (self->hierarchy, args.server_id);
          return save_hierarchy (self, error);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  if (status == 6 || status == 11)   /* server error, try again later */
    return pigeon_activesync_sync_status_error (op->path, 16, error);
  /* exists already, is gone, or may not be changed: it can never apply */
  g_message ("ActiveSync: the server refused the change to folder %s (status %" G_GINT64_FORMAT ")",
             op->path, status);
  return TRUE;
}
