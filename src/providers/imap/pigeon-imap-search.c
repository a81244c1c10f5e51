/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-private.h"
#include "pigeon-imap-uidset.h"

/*
 * Server-side search: UID SEARCH in one folder or in every selectable one.  Each word of
 * the query must occur somewhere in the message (TEXT: its header or its body), as in the
 * local index where every word must match.  A word with non-ASCII characters goes as a
 * literal with CHARSET UTF-8; with ESEARCH the answer is a compact UID set.  Hits the store
 * does not have yet (beyond what was synced, or arrived since) get their envelopes fetched
 * by the folder sync's own code, so they are rows like any other.
 */

/* The newest hits per folder taken into the store: a search that matches most of a huge
 * mailbox brings in its most recent part, not the whole of it. */
#define MAX_HITS_PER_FOLDER 500

/* What the server answered: UID ranges, from ESEARCH's set or SEARCH's numbers. */
typedef struct
{
  GArray *ranges;   /* PigeonImapRange */
  gboolean malformed;
} SearchResult;

static gboolean
search_cb (PigeonImapCommand  *command,
           PigeonImapResponse *response,
           gpointer            user_data)
{
  SearchResult *result = user_data;

  if (g_strcmp0 (response->name, "ESEARCH") == 0)
    {
      for (guint i = 0; i + 1 < pigeon_imap_response_get_n_args (response); i++)
        {
          const char *set;
          g_autoptr(GArray) ranges = NULL;

          if (!pigeon_imap_value_is_atom (pigeon_imap_response_get_arg (response, i), "ALL"))
            continue;
          set = pigeon_imap_value_get_atom (pigeon_imap_response_get_arg (response, i + 1));
          ranges = set != NULL ? pigeon_imap_uidset_parse (set, G_MAXUINT32) : NULL;
          if (ranges != NULL)
            g_array_append_vals (result->ranges, ranges->data, ranges->len);
          else
            result->malformed = TRUE;
        }
      return TRUE;
    }
  if (g_strcmp0 (response->name, "SEARCH") == 0)
    {
      for (guint i = 0; i < pigeon_imap_response_get_n_args (response); i++)
        {
          guint32 uid;

          if (pigeon_imap_value_get_uint32 (pigeon_imap_response_get_arg (response, i), &uid) &&
              uid != 0)
            {
              PigeonImapRange range = { uid, uid };

              g_array_append_val (result->ranges, range);
            }
        }
      return TRUE;
    }
  return FALSE;
}

static int
compare_ranges_descending (gconstpointer a,
                           gconstpointer b)
{
  const PigeonImapRange *x = a, *y = b;

  return x->last > y->last ? -1 : x->last < y->last;
}

/* The newest (highest) UIDs of RANGES, at most LIMIT, highest first; NULL when the server
 * claims more hits than the mailbox holds. */
static GArray *
newest_uids (GArray  *ranges,
             guint32  exists,
             guint    limit)
{
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint64 count = 0;
  guint64 below = (guint64) G_MAXUINT32 + 1;   /* every UID taken so far is this or above */

  for (guint i = 0; i < ranges->len; i++)
    {
      PigeonImapRange *r = &g_array_index (ranges, PigeonImapRange, i);

      count += (guint64) r->last - r->first + 1;
    }
  if (count > (guint64) exists + 1000)
    {
      g_array_unref (uids);
      return NULL;
    }
  g_array_sort (ranges, compare_ranges_descending);
  for (guint i = 0; i < ranges->len && uids->len < limit; i++)
    {
      PigeonImapRange *r = &g_array_index (ranges, PigeonImapRange, i);

      /* ranges may overlap (SEARCH may repeat a number): take each UID once */
      for (guint64 uid = MIN ((guint64) r->last, below - 1);
           uid >= r->first && uid > 0 && uids->len < limit; uid--)
        {
          guint32 u = (guint32) uid;

          g_array_append_val (uids, u);
          below = u;
        }
    }
  return uids;
}

static gboolean
is_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

/* "UID SEARCH [RETURN (ALL)] [CHARSET UTF-8] TEXT word TEXT word …" */
static PigeonImapCommand *
search_command (PigeonImapSession  *session,
                const char * const *words)
{
  PigeonImapCommand *command = pigeon_imap_command_new ("UID SEARCH");
  gboolean ascii = TRUE;

  for (guint i = 0; words[i] != NULL; i++)
    ascii = ascii && is_ascii (words[i]);
  if (pigeon_imap_session_has_capability (session, "ESEARCH"))
    pigeon_imap_command_add_text (command, " RETURN (ALL)");
  if (!ascii)
    pigeon_imap_command_add_text (command, " CHARSET UTF-8");
  for (guint i = 0; words[i] != NULL; i++)
    {
      pigeon_imap_command_add_text (command, " TEXT");
      pigeon_imap_command_add_astring (command, words[i]);
    }
  return command;
}

/* The store's row of UID in FOLDER under the UIDVALIDITY now selected, or 0. */
static gint64
stored_id (PigeonStore  *store,
           gint64        folder_id,
           guint32       uidvalidity,
           guint32       uid,
           GError      **error)
{
  g_autoptr(PigeonMessage) message = pigeon_store_get_message_by_uid (store, folder_id, uid,
                                                                      error);

  return message != NULL && message->uidvalidity == uidvalidity ? message->id : 0;
}

static gboolean
search_folder (PigeonImapProvider  *self,
               PigeonImapSession   *session,
               const PigeonFolder  *folder,
               const char * const  *words,
               GArray              *message_ids,
               GCancellable        *cancellable,
               GError             **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonImapCommand) command = NULL;
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (PigeonImapRange));
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(PigeonFolder) current = NULL;
  SearchResult result = { ranges, FALSE };
  const PigeonImapSelected *selected;

  if (!pigeon_imap_ensure_selected (session, folder, cancellable, error))
    return FALSE;
  selected = pigeon_imap_session_get_selected (session);
  if (folder->uidvalidity != 0 && folder->uidvalidity != selected->uidvalidity)
    {
      /* The mailbox was recreated since the last sync: what the store knows of it means
       * nothing.  The sync starts it over (and brings in every envelope, hits included). */
      if (!pigeon_imap_sync_one_folder (self, folder->id, PIGEON_SYNC_FLAGS_NONE, cancellable,
                                        error))
        return FALSE;
      current = pigeon_store_get_folder (store, folder->id, error);
      if (current == NULL)
        return error == NULL || *error == NULL;
      folder = current;
      if (!pigeon_imap_ensure_selected (session, folder, cancellable, error))
        return FALSE;
      selected = pigeon_imap_session_get_selected (session);
    }
  if (selected->exists == 0)
    return TRUE;

  command = search_command (session, words);
  pigeon_imap_command_set_untagged_func (command, search_cb, &result);
  if (!pigeon_imap_session_run (session, command, cancellable, error))
    return FALSE;
  uids = result.malformed ? NULL : newest_uids (ranges, selected->exists, MAX_HITS_PER_FOLDER);
  if (uids == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server answered the search in %s with something that is not a list "
                     "of its messages."), folder->path);
      return FALSE;
    }
  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      g_autoptr(GError) local_error = NULL;
      gint64 id = stored_id (store, folder->id, selected->uidvalidity, uid, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (id != 0)
        g_array_append_val (message_ids, id);
      else
        g_array_append_val (missing, uid);
    }
  if (missing->len == 0)
    return TRUE;

  g_debug ("%s: %u hits are not in the store yet", folder->path, missing->len);
  if (!pigeon_imap_fetch_envelopes (self, session, folder, missing, cancellable, error))
    return FALSE;
  for (guint i = 0; i < missing->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 id = stored_id (store, folder->id, selected->uidvalidity,
                             g_array_index (missing, guint32, i), &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* a message expunged between the search and the fetch is simply not a hit */
      if (id != 0)
        g_array_append_val (message_ids, id);
    }
  return TRUE;
}

static gboolean
searchable (const PigeonFolder *folder)
{
  return (folder->flags & (PIGEON_FOLDER_FLAG_NOSELECT | PIGEON_FOLDER_FLAG_LOCAL)) == 0;
}

gboolean
pigeon_imap_search (PigeonImapProvider *self,
                    const char         *query,
                    gint64              folder_id,
                    GArray             *message_ids,
                    GCancellable       *cancellable,
                    GError            **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_auto(GStrv) words = g_strsplit_set (query, " \t\r\n", -1);
  g_autoptr(GPtrArray) nonempty = g_ptr_array_new ();
  g_autoptr(GPtrArray) folders = NULL;
  PigeonImapSession *session;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_ptr_array_add (nonempty, words[i]);
  if (nonempty->len == 0)
    return TRUE;
  g_ptr_array_add (nonempty, NULL);

  if (folder_id != 0)
    {
      PigeonFolder *folder = pigeon_store_get_folder (store, folder_id, error);

      if (folder == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND, _("The folder is gone."));
          return FALSE;
        }
      folders = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
      g_ptr_array_add (folders, folder);
    }
  else
    {
      folders = pigeon_store_list_folders (store, error);
      if (folders == NULL)
        return FALSE;
    }

  session = pigeon_imap_get_work_session (self, cancellable, error);
  if (session == NULL)
    return FALSE;
  for (guint i = 0; i < folders->len; i++)
    {
      PigeonFolder *folder = g_ptr_array_index (folders, i);
      g_autoptr(GError) local_error = NULL;

      if (!searchable (folder))
        continue;
      if (search_folder (self, session, folder, (const char * const *) nonempty->pdata,
                         message_ids, cancellable, &local_error))
        continue;
      /* Searching everywhere, a folder that went away meanwhile is no reason to fail. */
      if (folder_id == 0 && g_error_matches (local_error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND) &&
          !pigeon_imap_session_is_broken (session))
        {
          g_debug ("Not searching %s: %s", folder->path, local_error->message);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
