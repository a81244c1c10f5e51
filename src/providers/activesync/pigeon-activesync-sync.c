/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"

#define WINDOW_SIZE      100
#define MAX_KEY_RESTARTS 2

gboolean
pigeon_activesync_sync_status_error (const char *display_name,
                                     gint64      status,
                                     GError    **error)
{
  switch (status)
    {
    case 5:    /* server error */
    case 16:   /* retry */
    case 110:  /* server error, try later */
    case 111:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("The server could not sync %s just now (status %d)."),
                   display_name, (int) status);
      break;
    case EAS_SYNC_STATUS_HIERARCHY_CHANGED:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("%s is no longer on the server."), display_name);
      break;
    default:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server refused to sync %s (status %d)."),
                   display_name, (int) status);
      break;
    }
  return FALSE;
}

static PigeonEasNode *
sync_request (EasSyncTarget  *target,
              const char     *key,
              PigeonEasNode **out_collection)
{
  PigeonEasNode *sync = pigeon_eas_node_new ("AirSync:Sync");
  PigeonEasNode *collection = pigeon_eas_node_add (pigeon_eas_node_add (sync, "AirSync:Collections"),
                                                   "AirSync:Collection");

  /* 12.1 and later drop Class; SyncKey comes before CollectionId */
  pigeon_eas_node_add_text (collection, "AirSync:SyncKey", key);
  pigeon_eas_node_add_text (collection, "AirSync:CollectionId", target->collection_id);
  *out_collection = collection;
  return sync;
}

/* The reply's collection, or a status error for the whole request. */
static PigeonEasNode *
reply_collection (EasSyncTarget  *target,
                  PigeonEasNode  *reply,
                  gint64         *out_status,
                  GError        **error)
{
  PigeonEasNode *collections = pigeon_eas_node_find (reply, "AirSync:Collections");
  gint64 top_status = pigeon_eas_node_find_int (reply, "AirSync:Status", 1);

  if (top_status != 1)
    {
      *out_status = top_status;
      return NULL;
    }
  for (guint i = 0; collections != NULL && i < pigeon_eas_node_n_children (collections); i++)
    {
      PigeonEasNode *collection = pigeon_eas_node_get_child (collections, i);

      if (g_strcmp0 (pigeon_eas_node_find_text (collection, "AirSync:CollectionId"),
                     target->collection_id) == 0)
        {
          *out_status = pigeon_eas_node_find_int (collection, "AirSync:Status", 1);
          return collection;
        }
    }
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("The server's answer about %s does not mention it."), target->display_name);
  *out_status = 0;
  return NULL;
}

static void
estimate (EasSyncTarget *target,
          const char    *key,
          GCancellable  *cancellable)
{
  g_autoptr(PigeonEasNode) request = pigeon_eas_node_new ("GetItemEstimate:GetItemEstimate");
  PigeonEasNode *collection = pigeon_eas_node_add (
    pigeon_eas_node_add (request, "GetItemEstimate:Collections"), "GetItemEstimate:Collection");
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  PigeonEasNode *options;
  gint64 count;

  /* Also what phones do first: SOGo enables CONDSTORE on the mailbox when it answers. */
  pigeon_eas_node_add_text (collection, "AirSync:SyncKey", key);
  pigeon_eas_node_add_text (collection, "GetItemEstimate:CollectionId", target->collection_id);
  options = pigeon_eas_node_add (collection, "AirSync:Options");
  pigeon_eas_node_add_text (options, "AirSync:Class", target->class_name);
  pigeon_eas_node_add_text (options, "AirSync:FilterType", "0");

  reply = pigeon_eas_client_command (target->provider->client, "GetItemEstimate", request, NULL,
                                     0, cancellable, &error);
  if (reply == NULL)
    {
      if (error != NULL)
        g_debug ("GetItemEstimate for %s failed: %s", target->display_name, error->message);
      return;
    }
  count = pigeon_eas_node_find_int (
    pigeon_eas_node_find_path (reply, "GetItemEstimate:Response/GetItemEstimate:Collection"),
    "GetItemEstimate:Estimate", -1);
  if (count >= 0)
    pigeon_provider_report_progress (PIGEON_PROVIDER (target->provider), target->display_name, 0,
                                     (guint) count);
}

/* Sync(0): a fresh key for the collection. */
static char *
initial_key (EasSyncTarget *target,
             GCancellable  *cancellable,
             GError       **error)
{
  PigeonEasNode *collection;
  g_autoptr(PigeonEasNode) request = sync_request (target, "0", &collection);
  g_autoptr(PigeonEasNode) reply = NULL;
  const char *key;
  gint64 status;

  reply = pigeon_eas_client_command (target->provider->client, "Sync", request, NULL, 0,
                                     cancellable, error);
  if (reply == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The server gave no sync key for %s."), target->display_name);
      return NULL;
    }
  collection = reply_collection (target, reply, &status, error);
  if (collection == NULL && status == 0)
    return NULL;
  if (status != 1)
    {
      pigeon_activesync_sync_status_error (target->display_name, status, error);
      return NULL;
    }
  key = pigeon_eas_node_find_text (collection, "AirSync:SyncKey");
  if (key == NULL || *key == '\0')
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server gave no sync key for %s."), target->display_name);
      return NULL;
    }
  return g_strdup (key);
}

gboolean
pigeon_activesync_sync_collection (EasSyncTarget  *target,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  g_autofree char *key = NULL;
  g_autoptr(GHashTable) seen = NULL;
  guint restarts = 0, done = 0;

  key = target->load_key (target, error);
  if (key == NULL && error != NULL && *error != NULL)
    return FALSE;

  for (;;)
    {
      PigeonEasNode *collection, *reply_coll;
      g_autoptr(PigeonEasNode) request = NULL;
      g_autoptr(PigeonEasNode) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *new_key;
      gint64 status;

      if (key == NULL || g_strcmp0 (key, "0") == 0)
        {
          g_free (key);
          key = initial_key (target, cancellable, error);
          if (key == NULL || !target->save_key (target, key, error))
            return FALSE;
          g_clear_pointer (&seen, g_hash_table_unref);
          seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          estimate (target, key, cancellable);
        }

      request = sync_request (target, key, &collection);
      pigeon_eas_node_add (collection, "AirSync:DeletesAsMoves");
      pigeon_eas_node_add (collection, "AirSync:GetChanges");
      pigeon_eas_node_add_printf (collection, "AirSync:WindowSize", "%u", WINDOW_SIZE);
      if (target->options != NULL)
        target->options (target, collection);

      reply = pigeon_eas_client_command (target->provider->client, "Sync", request, NULL, 0,
                                         cancellable, &local_error);
      if (reply == NULL && local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (reply == NULL)
        break;   /* an empty answer: nothing (more) changed */

      reply_coll = reply_collection (target, reply, &status, error);
      if (reply_coll == NULL && status == 0)
        return FALSE;
      if (status == 3)
        {
          /* invalid sync key: start the collection again from 0; rows are matched by
           * server id, so nothing is duplicated, and what is gone is pruned at the end */
          g_message ("ActiveSync: the sync key of %s is no longer valid, syncing it again",
                     target->display_name);
          if (++restarts > MAX_KEY_RESTARTS)
            return pigeon_activesync_sync_status_error (target->display_name, status, error);
          g_clear_pointer (&key, g_free);
          if (!target->save_key (target, "0", error))
            return FALSE;
          continue;
        }
      if (status != 1)
        return pigeon_activesync_sync_status_error (target->display_name, status, error);

      if (!target->apply (target, pigeon_eas_node_find (reply_coll, "AirSync:Commands"), seen,
                          error))
        return FALSE;
      new_key = pigeon_eas_node_find_text (reply_coll, "AirSync:SyncKey");
      if (new_key != NULL && *new_key != '\0' && g_strcmp0 (new_key, key) != 0)
        {
          if (!target->save_key (target, new_key, error))
            return FALSE;
          g_free (key);
          key = g_strdup (new_key);
        }
      done += pigeon_eas_node_n_children (pigeon_eas_node_find (reply_coll, "AirSync:Commands"));
      pigeon_provider_report_progress (PIGEON_PROVIDER (target->provider), target->display_name,
                                       done, 0);
      if (pigeon_eas_node_find (reply_coll, "AirSync:MoreAvailable") == NULL)
        break;
    }

  if (seen != NULL && target->prune != NULL)
    return target->prune (target, seen, error);
  return TRUE;
}

gboolean
pigeon_activesync_sync_send_change (EasSyncTarget  *target,
                                    PigeonEasNode  *command,
                                    gint64         *out_response_status,
                                    GCancellable   *cancellable,
                                    GError        **error)
{
  g_autoptr(PigeonEasNode) owned = command;
  guint restarts = 0;

  *out_response_status = 1;
  for (;;)
    {
      g_autofree char *key = target->load_key (target, error);
      PigeonEasNode *collection, *reply_coll, *responses;
      g_autoptr(PigeonEasNode) request = NULL;
      g_autoptr(PigeonEasNode) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *new_key;
      gint64 status;

      if (key == NULL && error != NULL && *error != NULL)
        return FALSE;
      if (key == NULL || g_strcmp0 (key, "0") == 0)
        {
          /* a change needs a current key: sync the collection first */
          if (!pigeon_activesync_sync_collection (target, cancellable, error))
            return FALSE;
          continue;
        }

      request = sync_request (target, key, &collection);
      pigeon_eas_node_add (collection, "AirSync:DeletesAsMoves");
      if (target->options != NULL)
        target->options (target, collection);
      {
        PigeonEasNode *commands = pigeon_eas_node_add (collection, "AirSync:Commands");

        /* the command is sent again after a restart, so send a copy */
        pigeon_eas_node_append (commands, pigeon_eas_node_copy (owned));
      }

      reply = pigeon_eas_client_command (target->provider->client, "Sync", request, NULL, 0,
                                         cancellable, &local_error);
      if (reply == NULL && local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (reply == NULL)
        return TRUE;

      reply_coll = reply_collection (target, reply, &status, error);
      if (reply_coll == NULL && status == 0)
        return FALSE;
      if (status == 3 && ++restarts <= MAX_KEY_RESTARTS)
        {
          if (!target->save_key (target, "0", error))
            return FALSE;
          continue;
        }
      if (status != 1)
        return pigeon_activesync_sync_status_error (target->display_name, status, error);

      responses = pigeon_eas_node_find (reply_coll, "AirSync:Responses");
      for (guint i = 0; responses != NULL && i < pigeon_eas_node_n_children (responses); i++)
        {
          PigeonEasNode *entry = pigeon_eas_node_get_child (responses, i);

          *out_response_status = pigeon_eas_node_find_int (entry, "AirSync:Status", 1);
        }
      if (!target->apply (target, pigeon_eas_node_find (reply_coll, "AirSync:Commands"), NULL,
                          error))
        return FALSE;
      new_key = pigeon_eas_node_find_text (reply_coll, "AirSync:SyncKey");
      if (new_key != NULL && *new_key != '\0' && !target->save_key (target, new_key, error))
        return FALSE;
      return TRUE;
    }
}
