/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"

/*
 * Server-side search: the Search command on the Mailbox store ([MS-ASCMD] 2.2.1.16), the
 * user's words as FreeText, limited to one collection or across the mailbox.  Each Result
 * names its collection and carries the item's properties, which become a store row the
 * way a Sync's Add does (pigeon_activesync_message_from_data) when the row is not there
 * yet.
 *
 * Which row: a Result identifies its item by a LongId, which the specification makes
 * opaque, not by the ServerId a Sync uses.  When a Result does carry an AirSync:ServerId,
 * that is the row's remote id.  Otherwise, servers that build the LongId from the
 * collection and the ServerId ("<CollectionId>+<ServerId>" in SOGo, with ':' in Z-Push)
 * give the ServerId back by that prefix, so a later Sync of the item finds the same row.
 * A LongId of any other shape (Exchange's) becomes the row's remote id itself, and
 * pigeon_activesync_fetch_body asks for the item by LongId when it is not a ServerId.
 */

#define PAGE_SIZE        100
#define MAX_RESULTS      500
#define BODY_TYPE_PLAIN  "1"
#define PREVIEW_BYTES    "512"
#define STATUS_OK        1

static gboolean
status_error (gint64   status,
              GError **error)
{
  switch (status)
    {
    case 3:    /* server error */
    case 7:    /* connection failure (to a back end) */
    case 10:   /* timed out */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("The server could not search just now (status %d). "
                     "Try again in a moment."), (int) status);
      break;
    case 8:    /* too complex */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The server found the search too complex. Try fewer words."));
      break;
    default:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                   _("The server refused the search (status %d)."), (int) status);
      break;
    }
  return FALSE;
}

static PigeonEasNode *
search_request (const char *query,
                const char *collection_id,
                guint       first)
{
  PigeonEasNode *request = pigeon_eas_node_new ("Search:Search");
  PigeonEasNode *store = pigeon_eas_node_add (request, "Search:Store");
  PigeonEasNode *and, *options, *preference;

  pigeon_eas_node_add_text (store, "Search:Name", "Mailbox");
  and = pigeon_eas_node_add (pigeon_eas_node_add (store, "Search:Query"), "Search:And");
  pigeon_eas_node_add_text (and, "AirSync:Class", "Email");
  if (collection_id != NULL)
    pigeon_eas_node_add_text (and, "AirSync:CollectionId", collection_id);
  pigeon_eas_node_add_text (and, "Search:FreeText", query);
  options = pigeon_eas_node_add (store, "Search:Options");
  pigeon_eas_node_add (options, "Search:RebuildResults");
  pigeon_eas_node_add_printf (options, "Search:Range", "%u-%u", first, first + PAGE_SIZE - 1);
  /* the same preview the folder sync asks for */
  preference = pigeon_eas_node_add (options, "AirSyncBase:BodyPreference");
  pigeon_eas_node_add_text (preference, "AirSyncBase:Type", BODY_TYPE_PLAIN);
  pigeon_eas_node_add_text (preference, "AirSyncBase:TruncationSize", PREVIEW_BYTES);
  return request;
}

#define MAX_SERVER_ID_LENGTH 64

gboolean
pigeon_activesync_is_long_id (const char *remote_id)
{
  return remote_id != NULL && strlen (remote_id) > MAX_SERVER_ID_LENGTH;
}

/* Collection ids come back escaped or not ("mail%2FINBOX", "mail/INBOX"): compare them
 * unescaped. */
static char *
normalize_id (const char *id)
{
  char *unescaped = g_uri_unescape_string (id, NULL);

  return unescaped != NULL ? unescaped : g_strdup (id);
}

/* The remote id of a Result's item (see the comment at the top). */
char *
pigeon_activesync_search_item_id (const char *collection_id,
                                  const char *long_id,
                                  const char *server_id)
{
  g_autofree char *collection = NULL;
  g_autofree char *item = NULL;

  if (server_id != NULL && *server_id != '\0')
    return g_strdup (server_id);
  if (long_id == NULL || *long_id == '\0')
    return NULL;
  if (collection_id == NULL)
    return g_strdup (long_id);

  collection = normalize_id (collection_id);
  item = normalize_id (long_id);
  if (g_str_has_prefix (item, collection))
    {
      const char *rest = item + strlen (collection);

      if ((rest[0] == '+' || rest[0] == ':') && rest[1] != '\0')
        return g_strdup (rest + 1);
    }
  return g_strdup (long_id);
}

typedef struct
{
  PigeonStore *store;
  GHashTable  *folders;      /* normalized collection id -> gint64 folder id (boxed) */
  gint64       folder_id;    /* the folder searched, 0: all */
  GHashTable  *added;        /* folder id (boxed) -> GPtrArray of PigeonMessage* to store */
  GArray      *message_ids;
} SearchContext;

static gint64
folder_of (SearchContext *ctx,
           const char    *collection_id)
{
  g_autofree char *key = NULL;
  gint64 *id;

  if (collection_id == NULL)
    return ctx->folder_id;
  key = normalize_id (collection_id);
  id = g_hash_table_lookup (ctx->folders, key);
  return id != NULL ? *id : 0;
}

static gboolean
take_result (SearchContext  *ctx,
             PigeonEasNode  *result,
             GError        **error)
{
  PigeonEasNode *properties = pigeon_eas_node_find (result, "Search:Properties");
  const char *collection_id = pigeon_eas_node_find_text (result, "AirSync:CollectionId");
  const char *server_id = pigeon_eas_node_find_text (result, "AirSync:ServerId");
  g_autofree char *item_id = NULL;
  g_autoptr(PigeonMessage) existing = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *class_name = pigeon_eas_node_find_text (result, "AirSync:Class");
  gint64 folder_id;
  GPtrArray *added;

  /* an empty Result is how a server says "no match" */
  if (properties == NULL || (class_name != NULL && g_strcmp0 (class_name, "Email") != 0))
    return TRUE;
  if (server_id == NULL)
    server_id = pigeon_eas_node_find_text (properties, "AirSync:ServerId");
  folder_id = folder_of (ctx, collection_id);
  item_id = pigeon_activesync_search_item_id (collection_id,
                                              pigeon_eas_node_find_text (result, "Search:LongId"),
                                              server_id);
  if (folder_id == 0 || item_id == NULL)
    {
      g_debug ("ActiveSync: a search result in a collection we do not keep (%s)",
               collection_id != NULL ? collection_id : "none");
      return TRUE;
    }

  existing = pigeon_store_get_message_by_remote_id (ctx->store, folder_id, item_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (existing != NULL)
    {
      g_array_append_val (ctx->message_ids, existing->id);
      return TRUE;
    }
  added = g_hash_table_lookup (ctx->added, &folder_id);
  if (added == NULL)
    {
      added = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
      g_hash_table_insert (ctx->added, g_memdup2 (&folder_id, sizeof folder_id), added);
    }
  for (guint i = 0; i < added->len; i++)
    if (g_strcmp0 (((PigeonMessage *) g_ptr_array_index (added, i))->remote_id, item_id) == 0)
      return TRUE;
  g_ptr_array_add (added, pigeon_activesync_message_from_data (properties, item_id));
  return TRUE;
}

/* One page of results; *N_RESULTS counts its Result elements, *TOTAL is the server's. */
static gboolean
search_page (PigeonActiveSyncProvider  *self,
             SearchContext             *ctx,
             const char                *query,
             const char                *collection_id,
             guint                      first,
             guint                     *n_results,
             guint                     *total,
             GCancellable              *cancellable,
             GError                   **error)
{
  g_autoptr(PigeonEasNode) request = search_request (query, collection_id, first);
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  PigeonEasNode *store;
  gint64 status;

  reply = pigeon_eas_client_command (self->client, "Search", request, NULL, 0, cancellable,
                                     &local_error);
  if (reply == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The server did not answer the search."));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  status = pigeon_eas_node_find_int (reply, "Search:Status", 0);
  if (status != STATUS_OK)
    return status_error (status, error);
  store = pigeon_eas_node_find_path (reply, "Search:Response/Search:Store");
  if (store == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server answered the search without results."));
      return FALSE;
    }
  status = pigeon_eas_node_find_int (store, "Search:Status", STATUS_OK);
  if (status != STATUS_OK)
    return status_error (status, error);

  *n_results = 0;
  for (guint i = 0; i < pigeon_eas_node_n_children (store); i++)
    {
      PigeonEasNode *child = pigeon_eas_node_get_child (store, i);

      if (!pigeon_eas_node_is (child, "Search:Result"))
        continue;
      (*n_results)++;
      if (!take_result (ctx, child, error))
        return FALSE;
    }
  *total = (guint) CLAMP (pigeon_eas_node_find_int (store, "Search:Total", 0), 0, G_MAXUINT);
  return TRUE;
}

static gboolean
store_added (SearchContext  *ctx,
             GError        **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, ctx->added);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *messages = value;

      if (!pigeon_store_upsert_messages (ctx->store, *(gint64 *) key, messages, error))
        return FALSE;
      for (guint i = 0; i < messages->len; i++)
        g_array_append_val (ctx->message_ids,
                            ((PigeonMessage *) g_ptr_array_index (messages, i))->id);
    }
  return TRUE;
}

static void
search_context_clear (SearchContext *ctx)
{
  g_clear_pointer (&ctx->folders, g_hash_table_unref);
  g_clear_pointer (&ctx->added, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SearchContext, search_context_clear)

gboolean
pigeon_activesync_search (PigeonActiveSyncProvider *self,
                          const char               *query,
                          gint64                    folder_id,
                          GArray                   *message_ids,
                          GCancellable             *cancellable,
                          GError                  **error)
{
  g_auto(SearchContext) ctx = { 0 };
  g_autoptr(GPtrArray) folders = NULL;
  g_autofree char *collection_id = NULL;
  guint first = 0;

  ctx.store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  ctx.folder_id = folder_id;
  ctx.message_ids = message_ids;
  ctx.folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ctx.added = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                     (GDestroyNotify) g_ptr_array_unref);

  folders = pigeon_store_list_folders (ctx.store, error);
  if (folders == NULL)
    return FALSE;
  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);

      if (folder->remote_id == NULL)
        continue;
      g_hash_table_insert (ctx.folders, normalize_id (folder->remote_id),
                           g_memdup2 (&folder->id, sizeof folder->id));
      if (folder->id == folder_id)
        collection_id = g_strdup (folder->remote_id);
    }
  if (folder_id != 0 && collection_id == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("This folder is not on the server, so the server cannot search it."));
      return FALSE;
    }

  /* page by page, up to what a person will look through */
  while (first < MAX_RESULTS)
    {
      guint n_results = 0, total = 0;

      if (!search_page (self, &ctx, query, collection_id, first, &n_results, &total, cancellable,
                        error))
        return FALSE;
      first += n_results;
      if (n_results == 0 || first >= total)
        break;
    }
  return store_added (&ctx, error);
}
