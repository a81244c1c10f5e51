/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <string.h>

#include "pigeon-imap-fetch.h"
#include "pigeon-mime.h"

/* ------------------------------------------------------------------ flags */

static const struct
{
  const char *name;
  PigeonMessageFlags flag;
} flag_names[] = {
  { "\\Seen", PIGEON_MESSAGE_FLAG_SEEN },
  { "\\Answered", PIGEON_MESSAGE_FLAG_ANSWERED },
  { "\\Flagged", PIGEON_MESSAGE_FLAG_FLAGGED },
  { "\\Deleted", PIGEON_MESSAGE_FLAG_DELETED },
  { "\\Draft", PIGEON_MESSAGE_FLAG_DRAFT },
  { "$Forwarded", PIGEON_MESSAGE_FLAG_FORWARDED },
  { "$Junk", PIGEON_MESSAGE_FLAG_JUNK },
  { "Junk", PIGEON_MESSAGE_FLAG_JUNK },  /* Thunderbird's older keyword; read only */
};

PigeonMessageFlags
pigeon_imap_flags_from_list (const PigeonImapValue *list)
{
  PigeonMessageFlags flags = 0;

  for (guint i = 0; i < pigeon_imap_value_get_n_items (list); i++)
    {
      const char *atom = pigeon_imap_value_get_atom (pigeon_imap_value_get_item (list, i));

      if (atom == NULL)
        continue;
      for (guint j = 0; j < G_N_ELEMENTS (flag_names); j++)
        if (g_ascii_strcasecmp (atom, flag_names[j].name) == 0)
          flags |= flag_names[j].flag;
    }
  return flags;
}

char *
pigeon_imap_flags_to_string (PigeonMessageFlags flags)
{
  GString *out = g_string_new (NULL);

  for (guint j = 0; j < G_N_ELEMENTS (flag_names); j++)
    {
      /* Each flag once, under its standard name. */
      if ((flags & flag_names[j].flag) == 0 || strcmp (flag_names[j].name, "Junk") == 0)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, flag_names[j].name);
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ dates */

gint64
pigeon_imap_parse_internal_date (const char *text)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char month[4] = { 0 };
  int day, year, hour, minute, second, zone;
  char sign;
  const char *m;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *offset = NULL;

  if (text == NULL)
    return 0;
  while (*text == ' ')
    text++;
  if (sscanf (text, "%d-%3c-%d %d:%d:%d %c%4d", &day, month, &year, &hour, &minute, &second,
              &sign, &zone) != 8 || (sign != '+' && sign != '-'))
    return 0;
  m = strstr (months, month);
  if (m == NULL || (m - months) % 3 != 0 || zone < 0 || zone > 2359)
    return 0;
  offset = g_strdup_printf ("%c%02d:%02d", sign, zone / 100, zone % 100);
  tz = g_time_zone_new_identifier (offset);
  if (tz == NULL)
    return 0;
  dt = g_date_time_new (tz, year, (int) ((m - months) / 3) + 1, day, hour, minute, second);
  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

/* ------------------------------------------------------------------ FETCH items */

gboolean
pigeon_imap_fetch_parse (const PigeonImapResponse *response,
                         PigeonImapFetch          *out)
{
  PigeonImapValue *items;
  guint n;

  memset (out, 0, sizeof *out);
  out->size = -1;
  if (response->kind != PIGEON_IMAP_RESPONSE_UNTAGGED || !response->has_number ||
      g_strcmp0 (response->name, "FETCH") != 0 || pigeon_imap_response_get_n_args (response) != 1)
    return FALSE;
  items = pigeon_imap_response_get_arg (response, 0);
  n = pigeon_imap_value_get_n_items (items);
  if (!pigeon_imap_value_is_list (items) || n % 2 != 0)
    return FALSE;

  out->seq = response->number;
  for (guint i = 0; i < n; i += 2)
    {
      const char *name = pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, i));
      PigeonImapValue *value = pigeon_imap_value_get_item (items, i + 1);

      if (name == NULL)
        return FALSE;
      if (g_ascii_strcasecmp (name, "UID") == 0)
        {
          if (!pigeon_imap_value_get_uint32 (value, &out->uid))
            return FALSE;
        }
      else if (g_ascii_strcasecmp (name, "FLAGS") == 0)
        {
          if (!pigeon_imap_value_is_list (value))
            return FALSE;
          out->has_flags = TRUE;
          out->flags = pigeon_imap_flags_from_list (value);
        }
      else if (g_ascii_strcasecmp (name, "MODSEQ") == 0)
        {
          if (!pigeon_imap_value_get_uint64 (pigeon_imap_value_get_item (value, 0), &out->modseq))
            return FALSE;
        }
      else if (g_ascii_strcasecmp (name, "INTERNALDATE") == 0)
        {
          g_autofree char *date = pigeon_imap_value_dup_string (value);

          out->internal_date = pigeon_imap_parse_internal_date (date);
        }
      else if (g_ascii_strcasecmp (name, "RFC822.SIZE") == 0)
        {
          guint64 size;

          if (!pigeon_imap_value_get_uint64 (value, &size) || size > G_MAXINT64)
            return FALSE;
          out->size = (gint64) size;
        }
      else if (g_ascii_strcasecmp (name, "ENVELOPE") == 0)
        {
          if (!pigeon_imap_value_is_list (value) || pigeon_imap_value_get_n_items (value) < 10)
            return FALSE;
          out->envelope = value;
        }
      else if (g_ascii_strcasecmp (name, "BODYSTRUCTURE") == 0)
        out->bodystructure = value;
      else if (g_ascii_strncasecmp (name, "BODY[HEADER.FIELDS", 18) == 0)
        out->references = value;
      else if (g_ascii_strcasecmp (name, "BODY[]") == 0 ||
               g_ascii_strcasecmp (name, "BINARY[]") == 0)
        {
          if (pigeon_imap_value_get_value_type (value) != PIGEON_IMAP_VALUE_STRING)
            return FALSE;
          out->body = value;
        }
    }
  return TRUE;
}

/* Header text (unfolded, RFC 2047 words decoded) on one line; NULL for NIL.  The same
 * cleaning the MIME helpers do, so an envelope and a parsed body agree. */
static char *
decode_text (const PigeonImapValue *value)
{
  g_autofree char *raw = pigeon_imap_value_dup_string (value);
  g_autofree char *unfolded = NULL;
  char *decoded;

  if (raw == NULL)
    return NULL;
  unfolded = g_mime_utils_header_unfold (raw);
  decoded = g_mime_utils_header_decode_text (NULL, unfolded);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    {
      g_free (decoded);
      decoded = g_utf8_make_valid (unfolded, -1);
    }
  for (char *p = decoded; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_strstrip (decoded);
}

/* The envelope's address list (name adl mailbox host ...), groups flattened. */
static char *
format_addresses (const PigeonImapValue *list)
{
  InternetAddressList *out = internet_address_list_new ();
  char *text;

  for (guint i = 0; i < pigeon_imap_value_get_n_items (list); i++)
    {
      PigeonImapValue *address = pigeon_imap_value_get_item (list, i);
      g_autofree char *name = NULL;
      g_autofree char *mailbox = NULL;
      g_autofree char *host = NULL;
      g_autofree char *addr = NULL;

      if (pigeon_imap_value_get_n_items (address) != 4)
        continue;
      mailbox = decode_text (pigeon_imap_value_get_item (address, 2));
      host = decode_text (pigeon_imap_value_get_item (address, 3));
      /* (NIL NIL "group" NIL) opens a group and (NIL NIL NIL NIL) closes it. */
      if (mailbox == NULL || host == NULL)
        continue;
      name = decode_text (pigeon_imap_value_get_item (address, 0));
      addr = *host != '\0' ? g_strdup_printf ("%s@%s", mailbox, host) : g_strdup (mailbox);
      {
        InternetAddress *ia = internet_address_mailbox_new (name, addr);

        internet_address_list_add (out, ia);
        g_object_unref (ia);
      }
    }
  text = pigeon_mime_format_addresses (out);
  g_object_unref (out);
  return text;
}

/* The References header's value from "References: <a> <b>\r\n\r\n" (folded or not). */
static char *
references_from_header (const PigeonImapValue *value)
{
  g_autofree char *text = pigeon_imap_value_dup_string (value);
  char *colon;

  if (text == NULL)
    return NULL;
  colon = strchr (text, ':');
  if (colon == NULL)
    return NULL;
  return pigeon_mime_parse_message_ids (colon + 1, FALSE);
}

static gint64
envelope_date (const PigeonImapValue *value)
{
  g_autofree char *text = pigeon_imap_value_dup_string (value);
  g_autoptr(GDateTime) date = NULL;

  if (text == NULL)
    return 0;
  date = g_mime_utils_header_decode_date (text);
  return date != NULL ? g_date_time_to_unix (date) : 0;
}

PigeonMessage *
pigeon_imap_fetch_to_message (const PigeonImapFetch *fetch,
                              guint32                uidvalidity)
{
  const PigeonImapValue *env = fetch->envelope;
  PigeonMessage *message;
  g_autofree char *in_reply_to = NULL;
  g_autofree char *message_id = NULL;

  if (env == NULL || fetch->uid == 0)
    return NULL;

  message = pigeon_message_new ();
  message->uidvalidity = uidvalidity;
  message->uid = fetch->uid;
  message->flags = fetch->flags;
  message->modseq = fetch->modseq;
  message->internal_date = fetch->internal_date;
  message->size = MAX (fetch->size, 0);

  message->date = envelope_date (pigeon_imap_value_get_item (env, 0));
  if (message->date == 0)
    message->date = fetch->internal_date;
  message->subject = decode_text (pigeon_imap_value_get_item (env, 1));
  message->from = format_addresses (pigeon_imap_value_get_item (env, 2));
  if (message->from == NULL)
    message->from = format_addresses (pigeon_imap_value_get_item (env, 3));
  message->reply_to = format_addresses (pigeon_imap_value_get_item (env, 4));
  message->to = format_addresses (pigeon_imap_value_get_item (env, 5));
  message->cc = format_addresses (pigeon_imap_value_get_item (env, 6));
  in_reply_to = pigeon_imap_value_dup_string (pigeon_imap_value_get_item (env, 8));
  message->in_reply_to = pigeon_mime_parse_message_ids (in_reply_to, TRUE);
  message_id = pigeon_imap_value_dup_string (pigeon_imap_value_get_item (env, 9));
  message->message_id = pigeon_mime_parse_message_ids (message_id, TRUE);
  if (fetch->references != NULL)
    message->references = references_from_header (fetch->references);
  if (fetch->bodystructure != NULL)
    message->has_attachments = pigeon_imap_bodystructure_has_attachments (fetch->bodystructure);
  return message;
}

/* ------------------------------------------------------------------ BODYSTRUCTURE */

static gboolean
is_string (const PigeonImapValue *value,
           const char            *text)
{
  gsize length;
  const char *s = pigeon_imap_value_get_string (value, &length);

  return s != NULL && strlen (text) == length && g_ascii_strncasecmp (s, text, length) == 0;
}

/* Whether the parameter list (k v k v ...) has KEY. */
static gboolean
has_param (const PigeonImapValue *params,
           const char            *key)
{
  for (guint i = 0; i + 1 < pigeon_imap_value_get_n_items (params); i += 2)
    if (is_string (pigeon_imap_value_get_item (params, i), key) ||
        is_string (pigeon_imap_value_get_item (params, i), "FILENAME*") ||
        is_string (pigeon_imap_value_get_item (params, i), "NAME*"))
      return TRUE;
  return FALSE;
}

static gboolean
part_is_attachment (const PigeonImapValue *part)
{
  const PigeonImapValue *type = pigeon_imap_value_get_item (part, 0);
  const PigeonImapValue *subtype = pigeon_imap_value_get_item (part, 1);
  const PigeonImapValue *disposition;
  guint disposition_index = 8;

  if (is_string (type, "TEXT"))
    disposition_index = 9;        /* after the line count */
  else if (is_string (type, "MESSAGE") && is_string (subtype, "RFC822"))
    return TRUE;                  /* a forwarded message */

  disposition = pigeon_imap_value_get_item (part, disposition_index);
  if (pigeon_imap_value_is_list (disposition))
    {
      if (is_string (pigeon_imap_value_get_item (disposition, 0), "ATTACHMENT"))
        return TRUE;
      if (has_param (pigeon_imap_value_get_item (disposition, 1), "FILENAME") &&
          !is_string (type, "TEXT"))
        return TRUE;
    }
  /* An undisposed part with a name that is not body text. */
  return !is_string (type, "TEXT") && !is_string (type, "MULTIPART") &&
         has_param (pigeon_imap_value_get_item (part, 2), "NAME");
}

gboolean
pigeon_imap_bodystructure_has_attachments (const PigeonImapValue *body)
{
  const PigeonImapValue *first = pigeon_imap_value_get_item (body, 0);

  if (!pigeon_imap_value_is_list (body))
    return FALSE;
  if (pigeon_imap_value_is_list (first))
    {
      /* multipart: the parts, then the subtype and extension data */
      for (guint i = 0; i < pigeon_imap_value_get_n_items (body); i++)
        {
          const PigeonImapValue *part = pigeon_imap_value_get_item (body, i);

          if (!pigeon_imap_value_is_list (part))
            break;
          if (pigeon_imap_bodystructure_has_attachments (part))
            return TRUE;
        }
      return FALSE;
    }
  return part_is_attachment (body);
}
