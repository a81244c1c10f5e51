/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-store-contacts.h"
#include "pigeon-store-events.h"

/*
 * Contacts (for address completion) and calendars (for the agenda): each collection syncs
 * like a mail folder, but its rows live in the contacts and events tables with remote ids
 * "COLLECTION/SERVERID", and its sync key in the account state.
 */
#define CONTACT_SOURCE "activesync"

typedef struct
{
  EasSyncTarget  target;
  PigeonStore   *store;
  char          *prefix;   /* "COLLECTION/" */
} PimTarget;

static char *
pim_load_key (EasSyncTarget  *target,
              GError        **error)
{
  PimTarget *pt = (PimTarget *) target;
  g_autofree char *state = g_strconcat (STATE_SYNC_KEY_PREFIX, target->collection_id, NULL);

  return pigeon_store_get_state (pt->store, state, error);
}

static gboolean
pim_save_key (EasSyncTarget  *target,
              const char     *key,
              GError        **error)
{
  PimTarget *pt = (PimTarget *) target;
  g_autofree char *state = g_strconcat (STATE_SYNC_KEY_PREFIX, target->collection_id, NULL);

  return pigeon_store_set_state (pt->store, state, key, error);
}

static char *
item_id (PimTarget  *pt,
         const char *server_id)
{
  return g_strconcat (pt->prefix, server_id, NULL);
}

/* ------------------------------------------------------------------ contacts */

static char *
bare_address (const char *text)
{
  g_autoptr(InternetAddressList) list = NULL;
  InternetAddress *address;

  if (text == NULL || *text == '\0')
    return NULL;
  list = internet_address_list_parse (NULL, text);
  if (list == NULL || internet_address_list_length (list) == 0)
    return NULL;
  address = internet_address_list_get_address (list, 0);
  if (!INTERNET_ADDRESS_IS_MAILBOX (address))
    return NULL;
  return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)));
}

static char *
contact_name (const PigeonEasNode *data)
{
  const char *file_as = pigeon_eas_node_find_text (data, "Contacts:FileAs");
  const char *first = pigeon_eas_node_find_text (data, "Contacts:FirstName");
  const char *last = pigeon_eas_node_find_text (data, "Contacts:LastName");

  if (first != NULL || last != NULL)
    return g_strstrip (g_strdup_printf ("%s %s", first ?: "", last ?: ""));
  return g_strdup (file_as);
}

static gboolean
put_contact (PimTarget           *pt,
             const char          *server_id,
             const PigeonEasNode *data,
             GError             **error)
{
  static const char * const fields[] = {
    "Contacts:Email1Address", "Contacts:Email2Address", "Contacts:Email3Address",
  };
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *id = item_id (pt, server_id);
  g_autofree char *name = contact_name (data);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      char *address = bare_address (pigeon_eas_node_find_text (data, fields[i]));

      if (address != NULL)
        g_ptr_array_add (emails, address);
    }
  g_ptr_array_add (emails, NULL);
  return pigeon_store_put_contact (pt->store, CONTACT_SOURCE, id, name,
                                   (const char * const *) emails->pdata, error);
}

static gboolean
contacts_apply (EasSyncTarget  *target,
                PigeonEasNode  *commands,
                GHashTable     *seen,
                GError        **error)
{
  PimTarget *pt = (PimTarget *) target;

  for (guint i = 0; commands != NULL && i < pigeon_eas_node_n_children (commands); i++)
    {
      PigeonEasNode *command = pigeon_eas_node_get_child (commands, i);
      const char *server_id = pigeon_eas_node_find_text (command, "AirSync:ServerId");
      PigeonEasNode *data = pigeon_eas_node_find (command, "AirSync:ApplicationData");

      if (server_id == NULL)
        continue;
      if ((pigeon_eas_node_is (command, "AirSync:Add") ||
           pigeon_eas_node_is (command, "AirSync:Change")) && data != NULL)
        {
          if (!put_contact (pt, server_id, data, error))
            return FALSE;
          if (seen != NULL)
            g_hash_table_add (seen, item_id (pt, server_id));
        }
      else if (pigeon_eas_node_is (command, "AirSync:Delete") ||
               pigeon_eas_node_is (command, "AirSync:SoftDelete"))
        {
          g_autofree char *id = item_id (pt, server_id);

          if (!pigeon_store_remove_contacts (pt->store, CONTACT_SOURCE, id, FALSE, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
contacts_prune (EasSyncTarget  *target,
                GHashTable     *seen,
                GError        **error)
{
  PimTarget *pt = (PimTarget *) target;
  g_autoptr(GPtrArray) ids = pigeon_store_list_contact_remote_ids (pt->store, CONTACT_SOURCE,
                                                                   pt->prefix, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (seen, g_ptr_array_index (ids, i)) &&
        !pigeon_store_remove_contacts (pt->store, CONTACT_SOURCE, g_ptr_array_index (ids, i),
                                       FALSE, error))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ calendar */

static void
calendar_options (EasSyncTarget *target,
                  PigeonEasNode *collection)
{
  PigeonEasNode *options = pigeon_eas_node_add (collection, "AirSync:Options");
  PigeonEasNode *preference;

  pigeon_eas_node_add_text (options, "AirSync:FilterType", "0");
  preference = pigeon_eas_node_add (options, "AirSyncBase:BodyPreference");
  pigeon_eas_node_add_text (preference, "AirSyncBase:Type", "1");
  pigeon_eas_node_add_text (preference, "AirSyncBase:TruncationSize", "2048");
}

/* A number from the server, kept within what pigeon_recurrence_normalize() can judge. */
static gint
find_small_int (const PigeonEasNode *node,
                const char          *tag,
                gint                 fallback)
{
  return (gint) CLAMP (pigeon_eas_node_find_int (node, tag, fallback), -1, 100000);
}

/* Calendar:Recurrence; NULL when absent or a rule nobody could follow (the event then keeps
 * its first occurrence only). */
static PigeonRecurrence *
parse_recurrence (const PigeonEasNode *node)
{
  g_autofree PigeonRecurrence *rule = NULL;

  if (node == NULL)
    return NULL;
  rule = g_new0 (PigeonRecurrence, 1);
  rule->type = find_small_int (node, "Calendar:Type", -1);
  rule->interval = find_small_int (node, "Calendar:Interval", 1);
  rule->until = pigeon_activesync_parse_date (pigeon_eas_node_find_text (node, "Calendar:Until"));
  rule->occurrences = find_small_int (node, "Calendar:Occurrences", 0);
  rule->day_of_week = find_small_int (node, "Calendar:DayOfWeek", 0);
  rule->day_of_month = find_small_int (node, "Calendar:DayOfMonth", 0);
  rule->week_of_month = find_small_int (node, "Calendar:WeekOfMonth", 0);
  rule->month_of_year = find_small_int (node, "Calendar:MonthOfYear", 0);
  rule->first_day_of_week = find_small_int (node, "Calendar:FirstDayOfWeek", 0);
  if (!pigeon_recurrence_normalize (rule))
    {
      g_debug ("A recurrence rule of type %d is not understood; keeping the first occurrence",
               rule->type);
      return NULL;
    }
  return g_steal_pointer (&rule);
}

/* Where an event (or one changed occurrence) takes place: Calendar:Location up to 14.1,
 * AirSyncBase:Location with a DisplayName from 16.0 on. */
static char *
parse_location (const PigeonEasNode *node)
{
  const char *text = pigeon_eas_node_find_text (node, "Calendar:Location");

  if (text == NULL)
    text = pigeon_eas_node_find_text (pigeon_eas_node_find (node, "AirSyncBase:Location"),
                                      "AirSyncBase:DisplayName");
  return g_strdup (text);
}

/* Calendar:Exceptions: each Exception names the occurrence it changes by the start the
 * rule gives it (Calendar:ExceptionStartTime up to 14.1, AirSyncBase:InstanceId from 16.0
 * on), and deletes it or carries its own times, subject and location. */
static GArray *
parse_exceptions (const PigeonEasNode *node)
{
  GArray *exceptions = pigeon_event_exceptions_new ();

  for (guint i = 0; node != NULL && i < pigeon_eas_node_n_children (node) &&
                    exceptions->len < PIGEON_RECURRENCE_MAX_EXCEPTIONS; i++)
    {
      PigeonEasNode *child = pigeon_eas_node_get_child (node, i);
      PigeonEventException ex = { 0 };
      const char *original;

      if (!pigeon_eas_node_is (child, "Calendar:Exception"))
        continue;
      original = pigeon_eas_node_find_text (child, "Calendar:ExceptionStartTime");

      if (original == NULL)
        original = pigeon_eas_node_find_text (child, "AirSyncBase:InstanceId");
      ex.original_start = pigeon_activesync_parse_date (original);
      if (ex.original_start <= 0)
        continue;
      ex.deleted = pigeon_eas_node_find_int (child, "Calendar:Deleted", 0) == 1;
      ex.starts_at = pigeon_activesync_parse_date (
        pigeon_eas_node_find_text (child, "Calendar:StartTime"));
      ex.ends_at = pigeon_activesync_parse_date (
        pigeon_eas_node_find_text (child, "Calendar:EndTime"));
      if (ex.ends_at != 0 && ex.starts_at != 0 && ex.ends_at < ex.starts_at)
        ex.ends_at = ex.starts_at;
      ex.subject = g_strdup (pigeon_eas_node_find_text (child, "Calendar:Subject"));
      ex.location = parse_location (child);
      g_array_append_val (exceptions, ex);
    }
  return exceptions;
}

/* Calendar:TimeZone, a base64 Windows TIME_ZONE_INFORMATION, as a POSIX TZ rule; NULL
 * (the local time zone) when absent or not one. */
static char *
parse_time_zone (const char *text)
{
  g_autofree guint8 *data = NULL;
  gsize len = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 1024)
    return NULL;
  data = g_base64_decode (text, &len);
  return pigeon_recurrence_time_zone_from_windows (data, len);
}

PigeonEvent *
pigeon_activesync_parse_event (const PigeonEasNode *data)
{
  PigeonEvent *event = pigeon_event_new ();
  const char *organizer_name = pigeon_eas_node_find_text (data, "Calendar:OrganizerName");
  const char *organizer_email = pigeon_eas_node_find_text (data, "Calendar:OrganizerEmail");

  event->subject = g_strdup (pigeon_eas_node_find_text (data, "Calendar:Subject"));
  event->location = parse_location (data);
  if (organizer_name != NULL && organizer_email != NULL)
    event->organizer = g_strdup_printf ("%s <%s>", organizer_name, organizer_email);
  else
    event->organizer = g_strdup (organizer_name ?: organizer_email);
  event->starts_at = pigeon_activesync_parse_date (
    pigeon_eas_node_find_text (data, "Calendar:StartTime"));
  event->ends_at = pigeon_activesync_parse_date (
    pigeon_eas_node_find_text (data, "Calendar:EndTime"));
  if (event->ends_at < event->starts_at)
    event->ends_at = event->starts_at;
  event->all_day = pigeon_eas_node_find_int (data, "Calendar:AllDayEvent", 0) == 1;
  event->body = g_strdup (pigeon_eas_node_find_text (
    pigeon_eas_node_find (data, "AirSyncBase:Body"), "AirSyncBase:Data"));
  event->time_zone = parse_time_zone (pigeon_eas_node_find_text (data, "Calendar:TimeZone"));
  event->recurrence = parse_recurrence (pigeon_eas_node_find (data, "Calendar:Recurrence"));
  if (event->recurrence != NULL)
    event->exceptions = parse_exceptions (pigeon_eas_node_find (data, "Calendar:Exceptions"));
  return event;
}

static gboolean
put_event (PimTarget           *pt,
           const char          *server_id,
           const PigeonEasNode *data,
           GError             **error)
{
  g_autoptr(PigeonEvent) event = pigeon_activesync_parse_event (data);

  event->remote_id = item_id (pt, server_id);
  return pigeon_store_put_event (pt->store, event, error);
}

static gboolean
calendar_apply (EasSyncTarget  *target,
                PigeonEasNode  *commands,
                GHashTable     *seen,
                GError        **error)
{
  PimTarget *pt = (PimTarget *) target;

  for (guint i = 0; commands != NULL && i < pigeon_eas_node_n_children (commands); i++)
    {
      PigeonEasNode *command = pigeon_eas_node_get_child (commands, i);
      const char *server_id = pigeon_eas_node_find_text (command, "AirSync:ServerId");
      PigeonEasNode *data = pigeon_eas_node_find (command, "AirSync:ApplicationData");

      if (server_id == NULL)
        continue;
      if ((pigeon_eas_node_is (command, "AirSync:Add") ||
           pigeon_eas_node_is (command, "AirSync:Change")) && data != NULL)
        {
          if (!put_event (pt, server_id, data, error))
            return FALSE;
          if (seen != NULL)
            g_hash_table_add (seen, item_id (pt, server_id));
        }
      else if (pigeon_eas_node_is (command, "AirSync:Delete") ||
               pigeon_eas_node_is (command, "AirSync:SoftDelete"))
        {
          g_autofree char *id = item_id (pt, server_id);

          if (!pigeon_store_remove_events (pt->store, id, FALSE, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
calendar_prune (EasSyncTarget  *target,
                GHashTable     *seen,
                GError        **error)
{
  PimTarget *pt = (PimTarget *) target;
  g_autoptr(GPtrArray) ids = pigeon_store_list_event_remote_ids (pt->store, pt->prefix, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (seen, g_ptr_array_index (ids, i)) &&
        !pigeon_store_remove_events (pt->store, g_ptr_array_index (ids, i), FALSE, error))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ both */

static gboolean
sync_one (PigeonActiveSyncProvider *self,
          EasCollection            *collection,
          gboolean                  contacts,
          GCancellable             *cancellable,
          GError                  **error)
{
  PimTarget pt = { 0 };
  g_autofree char *prefix = g_strconcat (collection->server_id, "/", NULL);

  pt.store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  pt.prefix = prefix;
  pt.target.provider = self;
  pt.target.collection_id = collection->server_id;
  pt.target.class_name = contacts ? "Contacts" : "Calendar";
  pt.target.display_name = collection->name;
  pt.target.load_key = pim_load_key;
  pt.target.save_key = pim_save_key;
  pt.target.options = contacts ? NULL : calendar_options;
  pt.target.apply = contacts ? contacts_apply : calendar_apply;
  pt.target.prune = contacts ? contacts_prune : calendar_prune;
  return pigeon_activesync_sync_collection (&pt.target, cancellable, error);
}

gboolean
pigeon_activesync_sync_pim (PigeonActiveSyncProvider *self,
                            GCancellable             *cancellable,
                            GError                  **error)
{
  static const guint contact_types[] = { EAS_FOLDER_CONTACTS, EAS_FOLDER_USER_CONTACTS };
  static const guint calendar_types[] = { EAS_FOLDER_CALENDAR, EAS_FOLDER_USER_CALENDAR };
  g_autoptr(GPtrArray) contacts = pigeon_activesync_collections (self, contact_types, 2);
  g_autoptr(GPtrArray) calendars = pigeon_activesync_collections (self, calendar_types, 2);

  for (guint i = 0; i < contacts->len; i++)
    if (!sync_one (self, g_ptr_array_index (contacts, i), TRUE, cancellable, error))
      return FALSE;
  for (guint i = 0; i < calendars->len; i++)
    if (!sync_one (self, g_ptr_array_index (calendars, i), FALSE, cancellable, error))
      return FALSE;
  return TRUE;
}
