/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"
#include "pigeon-mime.h"

#define PREVIEW_BYTES    512   /* plain-text preview asked for in the list */
#define PREVIEW_CHARS    200
#define BODY_TYPE_PLAIN  "1"
#define BODY_TYPE_MIME   "4"
#define FLAG_STATUS_SET  2
#define MOVE_STATUS_OK   3

/* ------------------------------------------------------------------ items -> rows */

gint64
pigeon_activesync_parse_date (const char *text)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  if (text == NULL)
    return 0;
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL && strlen (text) == 16 && text[8] == 'T')
    {
      /* the compact form of calendar items: 20261126T142545Z */
      int y, mo, d, h, mi, s;

      if (sscanf (text, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s) == 6)
        dt = g_date_time_new_utc (y, mo, d, h, mi, s);
    }
  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

static char *
addresses (const char *text)
{
  g_autoptr(InternetAddressList) list = NULL;
  char *formatted;

  if (text == NULL || *text == '\0')
    return NULL;
  list = internet_address_list_parse (NULL, text);
  formatted = list != NULL ? pigeon_mime_format_addresses (list) : NULL;
  return formatted != NULL ? formatted : g_strdup (text);
}

static char *
one_line_preview (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean space = FALSE;
  guint chars = 0;

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p != '\0' && chars < PREVIEW_CHARS; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (g_unichar_isspace (c))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
      chars++;
    }
  return out->len > 0 ? g_strdup (out->str) : NULL;
}

static PigeonMessageFlags
apply_flag_fields (const PigeonEasNode *data,
                   PigeonMessageFlags   flags)
{
  const char *read = pigeon_eas_node_find_text (data, "Email:Read");
  PigeonEasNode *flag = pigeon_eas_node_find (data, "Email:Flag");
  gint64 verb = pigeon_eas_node_find_int (data, "Email2:LastVerbExecuted", 0);

  if (read != NULL)
    flags = g_strcmp0 (read, "1") == 0 ? flags | PIGEON_MESSAGE_FLAG_SEEN
                                         : flags & ~PIGEON_MESSAGE_FLAG_SEEN;
  if (flag != NULL)
    flags = pigeon_eas_node_find_int (flag, "Email:Status", 0) == FLAG_STATUS_SET
              ? flags | PIGEON_MESSAGE_FLAG_FLAGGED
              : flags & ~PIGEON_MESSAGE_FLAG_FLAGGED;
  if (verb == 1 || verb == 2)
    flags |= PIGEON_MESSAGE_FLAG_ANSWERED;
  else if (verb == 3)
    flags |= PIGEON_MESSAGE_FLAG_FORWARDED;
  return flags;
}

PigeonMessage *
pigeon_activesync_message_from_data (const PigeonEasNode *data,
                                     const char          *server_id)
{
  PigeonMessage *message = pigeon_message_new ();
  PigeonEasNode *body = pigeon_eas_node_find (data, "AirSyncBase:Body");
  PigeonEasNode *attachments = pigeon_eas_node_find (data, "AirSyncBase:Attachments");

  message->remote_id = g_strdup (server_id);
  message->from = addresses (pigeon_eas_node_find_text (data, "Email:From"));
  message->to = addresses (pigeon_eas_node_find_text (data, "Email:To"));
  message->cc = addresses (pigeon_eas_node_find_text (data, "Email:Cc"));
  message->reply_to = addresses (pigeon_eas_node_find_text (data, "Email:ReplyTo"));
  message->subject = g_strdup (pigeon_eas_node_find_text (data, "Email:Subject") ?: "");
  message->date = pigeon_activesync_parse_date (pigeon_eas_node_find_text (data, "Email:DateReceived"));
  message->internal_date = message->date;
  message->flags = apply_flag_fields (data, PIGEON_MESSAGE_FLAG_NONE);
  message->has_attachments = attachments != NULL && pigeon_eas_node_n_children (attachments) > 0;
  if (body != NULL)
    {
      message->preview = one_line_preview (pigeon_eas_node_find_text (body, "AirSyncBase:Data"));
      message->size = MAX (0, pigeon_eas_node_find_int (body, "AirSyncBase:EstimatedDataSize", 0));
    }
  /* Sync gives no message size: the text's and the attachments' make an estimate, which
   * decides how the message is fetched when opened. */
  for (guint i = 0; i < pigeon_eas_node_n_children (attachments); i++)
    message->size += MAX (0, pigeon_eas_node_find_int (pigeon_eas_node_get_child (attachments, i),
                                                       "AirSyncBase:EstimatedDataSize", 0));
  return message;
}

/* ------------------------------------------------------------------ the mail target */

typedef struct
{
  EasSyncTarget  target;
  PigeonStore   *store;
  char          *collection_id;
  char          *name;
} MailTarget;

static char *
mail_load_key (EasSyncTarget  *target,
               GError        **error)
{
  MailTarget *mt = (MailTarget *) target;
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (mt->store, target->folder_id, error);

  if (folder == NULL)
    return NULL;
  return g_strdup (folder->sync_key ?: "0");
}

static gboolean
mail_save_key (EasSyncTarget  *target,
               const char     *key,
               GError        **error)
{
  MailTarget *mt = (MailTarget *) target;

  return pigeon_store_set_folder_sync_state (mt->store, target->folder_id, 0, 0, 0, key, error);
}

static guint
filter_type (guint days)
{
  static const struct { guint days, filter; } filters[] = {
    { 1, 1 }, { 3, 2 }, { 7, 3 }, { 14, 4 }, { 31, 5 }, { 93, 6 }, { 186, 7 },
  };

  if (days == 0)
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    if (days <= filters[i].days)
      return filters[i].filter;
  return 0;
}

static void
mail_options (EasSyncTarget *target,
              PigeonEasNode *collection)
{
  PigeonAccount *account = pigeon_provider_get_account (PIGEON_PROVIDER (target->provider));
  PigeonEasNode *options = pigeon_eas_node_add (collection, "AirSync:Options");
  PigeonEasNode *preference;

  pigeon_eas_node_add_printf (options, "AirSync:FilterType", "%u",
                              filter_type (pigeon_account_get_sync_window_days (account)));
  preference = pigeon_eas_node_add (options, "AirSyncBase:BodyPreference");
  pigeon_eas_node_add_text (preference, "AirSyncBase:Type", BODY_TYPE_PLAIN);
  pigeon_eas_node_add_printf (preference, "AirSyncBase:TruncationSize", "%u", PREVIEW_BYTES);
}

static gboolean
mail_apply (EasSyncTarget  *target,
            PigeonEasNode  *commands,
            GHashTable     *seen,
            GError        **error)
{
  MailTarget *mt = (MailTarget *) target;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) updates = g_array_new (FALSE, TRUE, sizeof (PigeonFlagUpdate));
  g_autoptr(GPtrArray) update_ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; commands != NULL && i < pigeon_eas_node_n_children (commands); i++)
    {
      PigeonEasNode *command = pigeon_eas_node_get_child (commands, i);
      const char *server_id = pigeon_eas_node_find_text (command, "AirSync:ServerId");
      PigeonEasNode *data = pigeon_eas_node_find (command, "AirSync:ApplicationData");

      if (server_id == NULL)
        continue;
      if (pigeon_eas_node_is (command, "AirSync:Add") && data != NULL)
        {
          g_ptr_array_add (added, pigeon_activesync_message_from_data (data, server_id));
          if (seen != NULL)
            g_hash_table_add (seen, g_strdup (server_id));
        }
      else if (pigeon_eas_node_is (command, "AirSync:Change") && data != NULL)
        {
          g_autoptr(PigeonMessage) current =
            pigeon_store_get_message_by_remote_id (mt->store, target->folder_id, server_id, NULL);
          PigeonFlagUpdate update = { 0 };
          char *id;

          if (current == NULL)
            continue;
          id = g_strdup (server_id);
          g_ptr_array_add (update_ids, id);
          update.remote_id = id;
          update.flags = apply_flag_fields (data, current->flags);
          g_array_append_val (updates, update);
        }
      else if (pigeon_eas_node_is (command, "AirSync:Delete") ||
               pigeon_eas_node_is (command, "AirSync:SoftDelete"))
        g_ptr_array_add (removed, g_strdup (server_id));
    }

  if (added->len > 0 && !pigeon_store_upsert_messages (mt->store, target->folder_id, added, error))
    return FALSE;
  if (updates->len > 0 &&
      !pigeon_store_update_flags (mt->store, target->folder_id,
                                  (const PigeonFlagUpdate *) updates->data, updates->len, error))
    return FALSE;
  if (removed->len > 0)
    {
      g_ptr_array_add (removed, NULL);
      if (!pigeon_store_remove_by_remote_id (mt->store, target->folder_id,
                                             (const char * const *) removed->pdata, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
mail_prune (EasSyncTarget  *target,
            GHashTable     *seen,
            GError        **error)
{
  MailTarget *mt = (MailTarget *) target;
  g_autoptr(GPtrArray) local = pigeon_store_list_remote_ids (mt->store, target->folder_id, error);
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();

  if (local == NULL)
    return FALSE;
  for (guint i = 0; i < local->len; i++)
    if (!g_hash_table_contains (seen, g_ptr_array_index (local, i)))
      g_ptr_array_add (gone, g_ptr_array_index (local, i));
  if (gone->len == 0)
    return TRUE;
  g_ptr_array_add (gone, NULL);
  return pigeon_store_remove_by_remote_id (mt->store, target->folder_id,
                                           (const char * const *) gone->pdata, error);
}

static void
mail_target_clear (MailTarget *mt)
{
  g_free (mt->collection_id);
  g_free (mt->name);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MailTarget, mail_target_clear)

static gboolean
mail_target_init (PigeonActiveSyncProvider *self,
                  gint64                    folder_id,
                  MailTarget               *mt,
                  PigeonFolder            **out_folder,
                  GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (store, folder_id, error);

  if (folder == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND, _("The folder is gone."));
      return FALSE;
    }
  if (folder->remote_id == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("%s is not on the server."), folder->path);
      return FALSE;
    }
  mt->store = store;
  mt->collection_id = g_strdup (folder->remote_id);
  mt->name = g_strdup (folder->path);
  mt->target.provider = self;
  mt->target.collection_id = mt->collection_id;
  mt->target.class_name = "Email";
  mt->target.display_name = mt->name;
  mt->target.folder_id = folder_id;
  mt->target.load_key = mail_load_key;
  mt->target.save_key = mail_save_key;
  mt->target.options = mail_options;
  mt->target.apply = mail_apply;
  mt->target.prune = mail_prune;
  if (out_folder != NULL)
    *out_folder = g_steal_pointer (&folder);
  return TRUE;
}

gboolean
pigeon_activesync_sync_mail_folder (PigeonActiveSyncProvider *self,
                                    gint64                    folder_id,
                                    GCancellable             *cancellable,
                                    GError                  **error)
{
  g_auto(MailTarget) mt = { 0 };

  if (!mail_target_init (self, folder_id, &mt, NULL, error))
    return FALSE;
  return pigeon_activesync_sync_collection (&mt.target, cancellable, error);
}

/* ------------------------------------------------------------------ bodies */

gboolean
pigeon_activesync_fetch_body (PigeonActiveSyncProvider *self,
                              gint64                    message_id,
                              GCancellable             *cancellable,
                              GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonMessage) message = pigeon_store_get_message (store, message_id, error);
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(PigeonEasNode) request = NULL;
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) raw = NULL;
  PigeonEasNode *fetch, *options, *preference, *body;
  const char *data;

  if (message == NULL)
    return FALSE;
  folder = pigeon_store_get_folder (store, message->folder_id, error);
  if (folder == NULL)
    return FALSE;
  if (message->remote_id == NULL || folder->remote_id == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is not on the server yet."));
      return FALSE;
    }
  if (message->size > PIGEON_ACTIVESYNC_LARGE_MESSAGE)
    {
      gboolean need_mime = FALSE;

      if (!pigeon_activesync_fetch_text (self, message, folder->remote_id, &need_mime,
                                         cancellable, error))
        return FALSE;
      if (!need_mime)
        return TRUE;
    }

  request = pigeon_eas_node_new ("ItemOperations:ItemOperations");
  fetch = pigeon_eas_node_add (request, "ItemOperations:Fetch");
  pigeon_eas_node_add_text (fetch, "ItemOperations:Store", "Mailbox");
  if (pigeon_activesync_is_long_id (message->remote_id))
    pigeon_eas_node_add_text (fetch, "Search:LongId", message->remote_id);
  else
    {
      pigeon_eas_node_add_text (fetch, "AirSync:CollectionId", folder->remote_id);
      pigeon_eas_node_add_text (fetch, "AirSync:ServerId", message->remote_id);
    }
  options = pigeon_eas_node_add (fetch, "ItemOperations:Options");
  pigeon_eas_node_add_text (options, "AirSync:MIMESupport", "2");
  preference = pigeon_eas_node_add (options, "AirSyncBase:BodyPreference");
  pigeon_eas_node_add_text (preference, "AirSyncBase:Type", BODY_TYPE_MIME);

  reply = pigeon_eas_client_command (self->client, "ItemOperations", request, NULL, 0,
                                     cancellable, &local_error);
  if (reply == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The server sent nothing for the message."));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  fetch = pigeon_eas_node_find_path (reply, "ItemOperations:Response/ItemOperations:Fetch");
  if (pigeon_eas_node_find_int (reply, "ItemOperations:Status", 0) != 1 || fetch == NULL ||
      pigeon_eas_node_find_int (fetch, "ItemOperations:Status", 0) != 1)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message is no longer on the server."));
      return FALSE;
    }
  body = pigeon_eas_node_find_path (fetch, "ItemOperations:Properties/AirSyncBase:Body");
  data = pigeon_eas_node_find_text (body, "AirSyncBase:Data");
  if (data == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server sent the message without its content."));
      return FALSE;
    }
  body = pigeon_eas_node_find (body, "AirSyncBase:Data");
  raw = g_bytes_new (body->content->str, body->content->len);
  return pigeon_store_set_body (store, message_id, raw, error);
}

/* ------------------------------------------------------------------ user changes */

static gboolean
apply_flags (PigeonActiveSyncProvider *self,
             const PigeonPendingOp    *op,
             GCancellable             *cancellable,
             GError                  **error)
{
  PigeonMessageFlags changed = op->flags_add | op->flags_remove;
  g_auto(MailTarget) mt = { 0 };
  PigeonEasNode *change, *data;
  gint64 status;

  if ((changed & (PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_FLAGGED)) == 0)
    return TRUE;   /* nothing ActiveSync can express */
  if (!mail_target_init (self, op->folder_id, &mt, NULL, error))
    return g_error_matches (*error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);

  change = pigeon_eas_node_new ("AirSync:Change");
  pigeon_eas_node_add_text (change, "AirSync:ServerId", op->remote_id);
  data = pigeon_eas_node_add (change, "AirSync:ApplicationData");
  if (changed & PIGEON_MESSAGE_FLAG_SEEN)
    pigeon_eas_node_add_text (data, "Email:Read",
                              (op->flags_add & PIGEON_MESSAGE_FLAG_SEEN) ? "1" : "0");
  if (changed & PIGEON_MESSAGE_FLAG_FLAGGED)
    {
      PigeonEasNode *flag = pigeon_eas_node_add (data, "Email:Flag");

      if (op->flags_add & PIGEON_MESSAGE_FLAG_FLAGGED)
        {
          pigeon_eas_node_add_text (flag, "Email:Status", "2");
          pigeon_eas_node_add_text (flag, "Email:FlagType", "Follow up");
        }
    }
  if (!pigeon_activesync_sync_send_change (&mt.target, change, &status, cancellable, error))
    return FALSE;
  if (status != 1)
    g_message ("ActiveSync: the server did not take a flag change in %s (status %" G_GINT64_FORMAT
               "); the next sync shows its state", mt.name, status);
  return TRUE;
}

static gboolean
apply_expunge (PigeonActiveSyncProvider *self,
               const PigeonPendingOp    *op,
               GCancellable             *cancellable,
               GError                  **error)
{
  g_auto(MailTarget) mt = { 0 };
  PigeonEasNode *delete;
  gint64 status;

  if (!mail_target_init (self, op->folder_id, &mt, NULL, error))
    return g_error_matches (*error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  delete = pigeon_eas_node_new ("AirSync:Delete");
  pigeon_eas_node_add_text (delete, "AirSync:ServerId", op->remote_id);
  return pigeon_activesync_sync_send_change (&mt.target, delete, &status, cancellable, error);
}

static gboolean
apply_move (PigeonActiveSyncProvider *self,
            const PigeonPendingOp    *op,
            GCancellable             *cancellable,
            GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonFolder) source = pigeon_store_get_folder (store, op->folder_id, NULL);
  g_autoptr(PigeonFolder) dest = pigeon_store_get_folder (store, op->dest_folder_id, NULL);
  g_autoptr(PigeonEasNode) request = NULL;
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  PigeonEasNode *move, *response;
  const char *dst_id;
  gint64 status;

  if (source == NULL || dest == NULL || source->remote_id == NULL || dest->remote_id == NULL)
    {
      g_message ("ActiveSync: dropping a move whose folders are gone");
      return TRUE;
    }
  request = pigeon_eas_node_new ("Move:MoveItems");
  move = pigeon_eas_node_add (request, "Move:Move");
  pigeon_eas_node_add_text (move, "Move:SrcMsgId", op->remote_id);
  pigeon_eas_node_add_text (move, "Move:SrcFldId", source->remote_id);
  pigeon_eas_node_add_text (move, "Move:DstFldId", dest->remote_id);

  reply = pigeon_eas_client_command (self->client, "MoveItems", request, NULL, 0, cancellable,
                                     &local_error);
  if (reply == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The server did not answer the move."));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  response = pigeon_eas_node_find (reply, "Move:Response");
  status = pigeon_eas_node_find_int (response, "Move:Status", 0);
  dst_id = pigeon_eas_node_find_text (response, "Move:DstMsgId");
  switch (status)
    {
    case MOVE_STATUS_OK:
      /* the row already sits in DEST; give it its new server id, or let the next sync of
       * DEST bring it back once */
      return pigeon_store_set_message_server_id (store, op->message_id, 0, 0, dst_id, error);
    case 1:   /* the source message is gone */
    case 2:   /* the destination is gone */
    case 4:   /* source and destination are the same */
      g_message ("ActiveSync: dropping a move to %s (status %" G_GINT64_FORMAT ")", dest->path,
                 status);
      return pigeon_store_set_message_server_id (store, op->message_id, 0, 0, NULL, error);
    default:
      return pigeon_activesync_sync_status_error (dest->path, status == 7 ? 16 : status, error);
    }
}

gboolean
pigeon_activesync_apply_op (PigeonActiveSyncProvider *self,
                            const PigeonPendingOp    *op,
                            GCancellable             *cancellable,
                            GError                  **error)
{
  switch (op->kind)
    {
    case PIGEON_OP_SET_FLAGS:
      if (op->remote_id == NULL)
        return TRUE;
      return apply_flags (self, op, cancellable, error);
    case PIGEON_OP_MOVE:
      if (op->remote_id == NULL)
        return TRUE;
      return apply_move (self, op, cancellable, error);
    case PIGEON_OP_EXPUNGE:
      if (op->remote_id == NULL)
        return TRUE;
      return apply_expunge (self, op, cancellable, error);
    case PIGEON_OP_APPEND:
      /* ActiveSync 14 cannot upload mail into a folder: sent copies come from
       * SaveInSentItems, drafts stay on this computer */
      g_message ("ActiveSync: the server cannot store a message in a folder; it stays local");
      return TRUE;
    case PIGEON_OP_CREATE_FOLDER:
    case PIGEON_OP_RENAME_FOLDER:
    case PIGEON_OP_DELETE_FOLDER:
      return pigeon_activesync_folder_op (self, op, cancellable, error);
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ sending */

static gboolean
find_by_message_id_cb (PigeonStore  *store,
                       sqlite3      *db,
                       gpointer      data,
                       GError      **error)
{
  gpointer *args = data;
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db,
                               "SELECT id FROM messages WHERE message_id = ? AND remote_id IS NOT NULL "
                               "ORDER BY id DESC LIMIT 1", -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, args[0], -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *(gint64 *) args[1] = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static PigeonMessage *
get_message_by_message_id (PigeonStore *store,
                           const char  *message_id)
{
  gint64 id = 0;
  gpointer args[2] = { (gpointer) message_id, &id };

  if (!pigeon_store_run_read (store, find_by_message_id_cb, args, NULL) || id == 0)
    return NULL;
  return pigeon_store_get_message (store, id, NULL);
}

static PigeonMessage *
find_first_reference (PigeonStore *store,
                      const char  *header,
                      gboolean     last)
{
  GMimeReferences *refs;
  PigeonMessage *original = NULL;
  int n;

  if (header == NULL)
    return NULL;
  refs = g_mime_references_parse (NULL, header);
  n = refs != NULL ? g_mime_references_length (refs) : 0;
  if (n > 0)
    original = get_message_by_message_id (store,
                                          g_mime_references_get_message_id (refs,
                                                                            last ? n - 1 : 0));
  if (refs != NULL)
    g_mime_references_free (refs);
  return original;
}

/*
 * The stored message this one answers or forwards, so the server can act on its original
 * (SmartReply, SmartForward): the server keeps the conversation and marks the original
 * answered or forwarded.
 *
 * A reply names its original in In-Reply-To.  A forward written in Pigeon has no
 * In-Reply-To but References ending with the forwarded message (the message builder's
 * forward seed), which is what threads it with the original elsewhere too; so a message
 * with References and no In-Reply-To whose last reference is a stored message is a forward
 * of it.  Nothing is added to the message for this: both are ordinary RFC 5322 fields.
 */
static PigeonMessage *
find_original (PigeonStore  *store,
               GMimeMessage *mime,
               gboolean     *forward)
{
  const char *in_reply_to = g_mime_object_get_header (GMIME_OBJECT (mime), "In-Reply-To");
  const char *references = g_mime_object_get_header (GMIME_OBJECT (mime), "References");

  *forward = in_reply_to == NULL && references != NULL;
  if (in_reply_to != NULL)
    return find_first_reference (store, in_reply_to, FALSE);
  return find_first_reference (store, references, TRUE);
}

gboolean
pigeon_activesync_send (PigeonActiveSyncProvider *self,
                        GBytes                   *message,
                        GPtrArray                *rejected,
                        GCancellable             *cancellable,
                        GError                  **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(GMimeMessage) mime = pigeon_mime_parse (message, NULL);
  g_autoptr(PigeonMessage) original = NULL;
  g_autoptr(PigeonFolder) original_folder = NULL;
  g_autoptr(PigeonEasNode) request = NULL;
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *client_id = g_uuid_string_random ();
  const char *command = "SendMail";
  gboolean forward = FALSE;
  gint64 status;

  if (mime != NULL)
    original = find_original (store, mime, &forward);
  if (original != NULL && original->remote_id != NULL)
    original_folder = pigeon_store_get_folder (store, original->folder_id, NULL);
  if (original_folder != NULL && original_folder->remote_id != NULL)
    {
      const char *smart = forward ? "SmartForward" : "SmartReply";

      if (pigeon_eas_client_supports (self->client, smart))
        command = smart;
    }

  {
    g_autofree char *tag = g_strconcat ("ComposeMail:", command, NULL);

    request = pigeon_eas_node_new (tag);
  }
  pigeon_eas_node_add_text (request, "ComposeMail:ClientId", client_id);
  pigeon_eas_node_add (request, "ComposeMail:SaveInSentItems");
  if (g_strcmp0 (command, "SendMail") != 0)
    {
      PigeonEasNode *source = pigeon_eas_node_add (request, "ComposeMail:Source");

      if (pigeon_activesync_is_long_id (original->remote_id))
        pigeon_eas_node_add_text (source, "ComposeMail:LongId", original->remote_id);
      else
        {
          pigeon_eas_node_add_text (source, "ComposeMail:FolderId", original_folder->remote_id);
          pigeon_eas_node_add_text (source, "ComposeMail:ItemId", original->remote_id);
        }
      /* The composer already put in what the user chose to keep of the original: quoted
       * text in a reply; its text and attachments, or the whole message attached, in a
       * forward.  Without ReplaceMime the server would add the original a second time. */
      pigeon_eas_node_add (request, "ComposeMail:ReplaceMime");
    }
  pigeon_eas_node_add_opaque (request, "ComposeMail:Mime", g_bytes_get_data (message, NULL),
                              g_bytes_get_size (message));

  reply = pigeon_eas_client_command (self->client, command, request, NULL, 0, cancellable,
                                     &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* success is an empty answer; a failure carries a status */
  status = reply != NULL ? pigeon_eas_node_find_int (reply, "ComposeMail:Status", 1) : 1;
  if (status == 1)
    return TRUE;
  g_set_error (error, PIGEON_ERROR, status == 110 || status == 111 ? PIGEON_ERROR_SERVER
                                                                   : PIGEON_ERROR_REJECTED,
               _("The server refused to send the message (status %d)."),
               (int) status);
  return FALSE;
}
