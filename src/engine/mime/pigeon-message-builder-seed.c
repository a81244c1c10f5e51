/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The other half of pigeon-message-builder.h: messages given whole (pigeonctl send), and
 * what a reply, a forward or a reopened draft starts from. */
#define G_LOG_DOMAIN "pigeon-mime"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-message-builder.h"
#include "pigeon-mime-private.h"

/* ------------------------------------------------------------------ messages given whole */

/* CR LF for every line end (a bare LF or a bare CR too). */
static GByteArray *
to_crlf (GBytes *raw)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (raw, &length);
  GByteArray *out = g_byte_array_sized_new (length + length / 32 + 2);

  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == '\r')
        {
          g_byte_array_append (out, (const guint8 *) "\r\n", 2);
          if (i + 1 < length && data[i + 1] == '\n')
            i++;
        }
      else if (data[i] == '\n')
        g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      else
        g_byte_array_append (out, data + i, 1);
    }
  return out;
}

/* Offset of the empty line that ends the header (or the length when there is none). */
static gsize
header_end (const GByteArray *crlf)
{
  if (crlf->len >= 2 && crlf->data[0] == '\r' && crlf->data[1] == '\n')
    return 0;
  for (gsize i = 0; i + 3 < crlf->len; i++)
    if (memcmp (crlf->data + i, "\r\n\r\n", 4) == 0)
      return i + 2;
  return crlf->len;
}

static void
add_addresses (GPtrArray           *out,
               GHashTable          *seen,
               InternetAddressList *list)
{
  for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          add_addresses (out, seen,
                         internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)));
          continue;
        }
      {
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
        char *folded;

        if (addr == NULL || *addr == '\0')
          continue;
        folded = g_utf8_casefold (addr, -1);
        if (g_hash_table_contains (seen, folded))
          {
            g_free (folded);
            continue;
          }
        g_hash_table_add (seen, folded);
        g_ptr_array_add (out, g_strdup (addr));
      }
    }
}

static const char *
first_mailbox (InternetAddressList *list)
{
  for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        return internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
    }
  return NULL;
}

GBytes *
pigeon_message_prepare_for_sending (GBytes      *raw,
                                    const char  *default_name,
                                    const char  *default_from,
                                    char       **sender,
                                    GStrv       *recipients,
                                    GError     **error)
{
  g_autoptr(GByteArray) crlf = NULL;
  g_autoptr(GBytes) normal = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GString *head;
  GByteArray *out;
  gboolean has_date = FALSE, has_id = FALSE, has_from = FALSE;
  const char *from;
  gsize end;

  g_return_val_if_fail (raw != NULL && sender != NULL && recipients != NULL, NULL);

  crlf = to_crlf (raw);
  normal = g_bytes_new (crlf->data, crlf->len);
  message = pigeon_mime_parse (normal, error);
  if (message == NULL)
    return NULL;

  add_addresses (rcpts, seen, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO));
  add_addresses (rcpts, seen, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_CC));
  add_addresses (rcpts, seen, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_BCC));
  if (rcpts->len == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The message has no recipients: it needs a To, Cc or Bcc field."));
      return NULL;
    }
  from = first_mailbox (g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_FROM));

  /* The header, field by field (a field runs on over lines that start with a blank).  Bcc
   * stays: the copy in Sent keeps it, and the provider that sends leaves it out. */
  end = header_end (crlf);
  out = g_byte_array_sized_new (crlf->len + 256);
  for (gsize start = 0; start < end;)
    {
      gsize stop = start;

      do
        {
          const guint8 *nl = memchr (crlf->data + stop, '\n', end - stop);

          stop = nl != NULL ? (gsize) (nl - crlf->data) + 1 : end;
        }
      while (stop < end && (crlf->data[stop] == ' ' || crlf->data[stop] == '\t'));

      if (pigeon_mime_field_is (crlf->data + start, stop - start, "Date"))
        has_date = TRUE;
      else if (pigeon_mime_field_is (crlf->data + start, stop - start, "Message-ID"))
        has_id = TRUE;
      else if (pigeon_mime_field_is (crlf->data + start, stop - start, "From"))
        has_from = TRUE;
      g_byte_array_append (out, crlf->data + start, stop - start);
      start = stop;
    }

  head = g_string_new (NULL);
  if (!has_from || from == NULL)
    {
      g_autoptr(InternetAddress) mailbox = NULL;
      g_autofree char *text = NULL;

      if (default_from == NULL)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                       _("The message has no sender: it needs a From field."));
          g_string_free (head, TRUE);
          g_byte_array_unref (out);
          return NULL;
        }
      mailbox = internet_address_mailbox_new (default_name, default_from);
      text = internet_address_to_string (mailbox, NULL, TRUE);
      if (!has_from)
        g_string_append_printf (head, "From: %s\r\n", text);
      from = default_from;
    }
  if (!has_date)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *date = g_mime_utils_header_format_date (now);

      g_string_append_printf (head, "Date: %s\r\n", date);
    }
  if (!has_id)
    {
      const char *at = strrchr (from, '@');
      g_autofree char *domain = at != NULL ? g_hostname_to_ascii (at + 1) : NULL;
      g_autofree char *id = g_mime_utils_generate_message_id (domain != NULL ? domain
                                                                             : "pigeon.invalid");

      g_string_append_printf (head, "Message-ID: <%s>\r\n", id);
    }
  g_byte_array_prepend (out, (const guint8 *) head->str, head->len);
  g_string_free (head, TRUE);
  g_byte_array_append (out, crlf->data + end, crlf->len - end);

  *sender = g_strdup (from);
  g_ptr_array_add (rcpts, NULL);
  *recipients = (GStrv) g_ptr_array_free (g_steal_pointer (&rcpts), FALSE);
  return g_byte_array_free_to_bytes (out);
}

/* ------------------------------------------------------------------ seeds */

void
pigeon_compose_attachment_free (PigeonComposeAttachment *attachment)
{
  if (attachment == NULL)
    return;
  g_free (attachment->name);
  g_free (attachment->content_type);
  g_clear_pointer (&attachment->data, g_bytes_unref);
  g_free (attachment);
}

void
pigeon_compose_seed_free (PigeonComposeSeed *seed)
{
  if (seed == NULL)
    return;
  g_free (seed->from);
  g_free (seed->to);
  g_free (seed->cc);
  g_free (seed->bcc);
  g_free (seed->subject);
  g_free (seed->in_reply_to);
  g_free (seed->references);
  g_free (seed->body);
  g_free (seed->html);
  g_clear_pointer (&seed->attachments, g_ptr_array_unref);
  g_free (seed);
}

char *
pigeon_compose_quote_text (const char *text)
{
  g_auto(GStrv) lines = NULL;
  GString *out;
  guint n;

  g_return_val_if_fail (text != NULL, NULL);

  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  /* A text that ends with a line break has no last line to quote. */
  if (n > 0 && *lines[n - 1] == '\0')
    n--;
  out = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      const char *line = lines[i];
      gsize length = strlen (line);

      if (length > 0 && line[length - 1] == '\r')
        length--;
      if (length == 0)
        g_string_append (out, ">");
      else if (line[0] == '>')
        g_string_append_c (out, '>');
      else
        g_string_append (out, "> ");
      g_string_append_len (out, line, length);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* The message's text as the composer shows it: LF line ends, no trailing blank lines. */
static char *
extract_text (GMimeMessage *message)
{
  g_autofree char *text = NULL;
  GString *out;

  pigeon_mime_extract_text (message, &text, NULL, NULL);
  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p; p++)
    if (!(*p == '\r' && p[1] == '\n'))
      g_string_append_c (out, *p);
  while (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

static gboolean
is_own (const char         *address,
        const char * const *own)
{
  for (guint i = 0; own != NULL && own[i] != NULL; i++)
    if (g_ascii_strcasecmp (address, own[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Mailboxes of LIST not in OWN and not in SEEN, appended to INTO. */
static void
gather (InternetAddressList *into,
        InternetAddressList *list,
        const char * const  *own,
        GHashTable          *seen)
{
  for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);
      const char *addr;

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          gather (into, internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)),
                  own, seen);
          continue;
        }
      addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
      if (addr == NULL || *addr == '\0' || is_own (addr, own))
        continue;
      if (!g_hash_table_add (seen, g_ascii_strdown (addr, -1)))
        continue;
      internet_address_list_add (into, address);
    }
}

static char *
format_list (InternetAddressList *list)
{
  if (list == NULL || internet_address_list_length (list) == 0)
    return g_strdup ("");
  return internet_address_list_to_string (list, NULL, FALSE);
}

static char *
prefixed_subject (const char *subject,
                  const char *prefix)
{
  g_autofree char *prefix_colon = g_strconcat (prefix, ":", NULL);
  const char *s = subject != NULL ? subject : "";

  while (*s == ' ')
    s++;
  if (g_ascii_strncasecmp (s, prefix_colon, strlen (prefix_colon)) == 0)
    return g_strdup (s);
  return g_strdup_printf ("%s %s", prefix_colon, s);
}

static char *
format_date (GMimeMessage *message)
{
  GDateTime *date = g_mime_message_get_date (message);
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return NULL;
  local = g_date_time_to_local (date);
  /* Translators: the date and time in the line before a quoted message, see strftime. */
  return g_date_time_format (local, _("%a, %-d %b %Y at %H:%M"));
}

static char *
display_sender (GMimeMessage *message)
{
  InternetAddressList *from = g_mime_message_get_from (message);
  InternetAddress *first;

  if (from == NULL || internet_address_list_length (from) == 0)
    return g_strdup (_("someone"));
  first = internet_address_list_get_address (from, 0);
  if (internet_address_get_name (first) != NULL && *internet_address_get_name (first) != '\0')
    return g_strdup (internet_address_get_name (first));
  if (INTERNET_ADDRESS_IS_MAILBOX (first))
    return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (first)));
  return internet_address_to_string (first, NULL, FALSE);
}

static void
collect_attachment (GMimeObject *parent,
                    GMimeObject *part,
                    gpointer     user_data)
{
  GPtrArray *into = user_data;
  PigeonComposeAttachment *a;
  g_autoptr(GMimeStream) stream = NULL;
  GByteArray *bytes;
  const char *name;

  if (!GMIME_IS_PART (part) || !g_mime_part_is_attachment (GMIME_PART (part)))
    return;
  name = g_mime_part_get_filename (GMIME_PART (part));
  bytes = g_byte_array_new ();
  stream = g_mime_stream_mem_new_with_byte_array (bytes);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  if (g_mime_part_get_content (GMIME_PART (part)) != NULL)
    g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (GMIME_PART (part)), stream);

  a = g_new0 (PigeonComposeAttachment, 1);
  a->name = g_strdup (name != NULL ? name : _("attachment"));
  a->content_type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (part));
  a->data = g_byte_array_free_to_bytes (bytes);
  g_ptr_array_add (into, a);
}

static void
collect_message_attachment (GMimeObject *parent,
                            GMimeObject *part,
                            gpointer     user_data)
{
  GPtrArray *into = user_data;
  GMimeMessage *inner;
  PigeonComposeAttachment *a;
  g_autofree char *text = NULL;
  const char *subject;

  if (!GMIME_IS_MESSAGE_PART (part))
    return;
  inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (part));
  if (inner == NULL)
    return;
  text = g_mime_object_to_string (GMIME_OBJECT (inner), NULL);
  subject = g_mime_object_get_content_disposition_parameter (part, "filename");
  if (subject == NULL)
    subject = g_mime_message_get_subject (inner);
  a = g_new0 (PigeonComposeAttachment, 1);
  a->name = g_strdup (subject != NULL ? subject : "message.eml");
  a->content_type = g_strdup ("message/rfc822");
  a->data = g_bytes_new (text, strlen (text));
  a->is_message = TRUE;
  g_ptr_array_add (into, a);
}

static GPtrArray *
attachments_of (GMimeMessage *message)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                   pigeon_compose_attachment_free);

  g_mime_message_foreach (message, collect_attachment, out);
  g_mime_message_foreach (message, collect_message_attachment, out);
  return out;
}

/* The first text/html part that is not an attachment. */
static void
find_html (GMimeObject *parent,
           GMimeObject *part,
           gpointer     user_data)
{
  char **html = user_data;

  if (*html != NULL || !GMIME_IS_TEXT_PART (part) || g_mime_part_is_attachment (GMIME_PART (part)))
    return;
  if (g_mime_content_type_is_type (g_mime_object_get_content_type (part), "text", "html"))
    *html = g_mime_text_part_get_text (GMIME_TEXT_PART (part));
}

static char *
references_for_reply (GMimeMessage *message,
                      const char   *message_id)
{
  const char *references = g_mime_object_get_header (GMIME_OBJECT (message), "References");
  const char *in_reply_to = g_mime_object_get_header (GMIME_OBJECT (message), "In-Reply-To");
  GString *out = g_string_new (NULL);

  if (references != NULL)
    g_string_append (out, references);
  else if (in_reply_to != NULL)
    g_string_append (out, in_reply_to);
  if (message_id != NULL)
    g_string_append_printf (out, "%s<%s>", out->len > 0 ? " " : "", message_id);
  return g_string_free (out, FALSE);
}

static void
seed_reply (PigeonComposeSeed   *seed,
            GMimeMessage        *message,
            gboolean             all,
            const char * const  *own)
{
  g_autoptr(InternetAddressList) to = internet_address_list_new ();
  g_autoptr(InternetAddressList) cc = internet_address_list_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  InternetAddressList *reply_to = g_mime_message_get_reply_to (message);
  InternetAddressList *from = g_mime_message_get_from (message);
  const char *message_id = g_mime_message_get_message_id (message);
  const char *sender = first_mailbox (from);
  g_autofree char *text = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *date = format_date (message);
  g_autofree char *who = display_sender (message);
  g_autofree char *attribution = NULL;

  if (sender != NULL && is_own (sender, own))
    /* An answer to one's own message goes to whom it went to. */
    gather (to, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO), NULL, seen);
  else if (reply_to != NULL && internet_address_list_length (reply_to) > 0)
    gather (to, reply_to, NULL, seen);
  else
    gather (to, from, NULL, seen);
  if (all)
    {
      gather (cc, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO), own, seen);
      gather (cc, g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_CC), own, seen);
    }
  seed->to = format_list (to);
  seed->cc = format_list (cc);
  /* Translators: the prefix of a reply's subject; mail programs everywhere know "Re". */
  seed->subject = prefixed_subject (g_mime_message_get_subject (message), "Re");
  seed->in_reply_to = g_strdup (message_id);
  seed->references = references_for_reply (message, message_id);

  text = extract_text (message);
  quoted = pigeon_compose_quote_text (text);
  if (date != NULL)
    /* Translators: "On <date>, <name> wrote:" before the quoted message. */
    attribution = g_strdup_printf (_("On %s, %s wrote:"), date, who);
  else
    attribution = g_strdup_printf (_("%s wrote:"), who);
  seed->body = g_strdup_printf ("%s\n%s", attribution, quoted);
}

static void
seed_forward (PigeonComposeSeed *seed,
              GMimeMessage      *message,
              GBytes            *raw,
              gboolean           as_attachment)
{
  const char *subject = g_mime_message_get_subject (message);
  const char *message_id = g_mime_message_get_message_id (message);
  g_autofree char *text = NULL;
  g_autofree char *date = format_date (message);
  g_autofree char *from = format_list (g_mime_message_get_from (message));
  g_autofree char *to = format_list (g_mime_message_get_addresses (message,
                                                                   GMIME_ADDRESS_TYPE_TO));
  g_autofree char *cc = format_list (g_mime_message_get_addresses (message,
                                                                   GMIME_ADDRESS_TYPE_CC));
  GString *body;

  seed->to = g_strdup ("");
  seed->cc = g_strdup ("");
  seed->subject = prefixed_subject (subject, "Fwd");
  /* References, without In-Reply-To, ending with the message forwarded: the forward joins
   * its conversation, and a server that can forward a message it holds (ActiveSync's
   * SmartForward) learns which one it is. */
  if (message_id != NULL)
    seed->references = references_for_reply (message, message_id);
  if (as_attachment)
    {
      PigeonComposeAttachment *a = g_new0 (PigeonComposeAttachment, 1);
      g_autofree char *name = NULL;

      name = g_strdup_printf ("%s.eml", subject != NULL && *subject ? subject : "message");
      g_strdelimit (name, "/\\", '_');
      a->name = g_steal_pointer (&name);
      a->content_type = g_strdup ("message/rfc822");
      a->data = g_bytes_ref (raw);
      a->is_message = TRUE;
      seed->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                          pigeon_compose_attachment_free);
      g_ptr_array_add (seed->attachments, a);
      seed->body = g_strdup ("");
      return;
    }

  text = extract_text (message);
  body = g_string_new ("\n\n");
  g_string_append_printf (body, "-------- %s --------\n", _("Forwarded Message"));
  g_string_append_printf (body, "%s: %s\n", _("Subject"), subject != NULL ? subject : "");
  if (date != NULL)
    g_string_append_printf (body, "%s: %s\n", _("Date"), date);
  g_string_append_printf (body, "%s: %s\n", _("From"), from);
  if (*to != '\0')
    g_string_append_printf (body, "%s: %s\n", _("To"), to);
  if (*cc != '\0')
    g_string_append_printf (body, "%s: %s\n", _("Cc"), cc);
  g_string_append_printf (body, "\n%s\n", text);
  seed->body = g_string_free (body, FALSE);
  seed->attachments = attachments_of (message);
}

/* A draft keeps a field that was not all addresses as it was typed. */
static char *
edited_field (GMimeMessage     *message,
              GMimeAddressType  type,
              const char       *unparsed_header)
{
  const char *raw = g_mime_object_get_header (GMIME_OBJECT (message), unparsed_header);

  if (raw != NULL)
    return g_mime_utils_header_decode_text (NULL, raw);
  return format_list (g_mime_message_get_addresses (message, type));
}

static void
seed_edit (PigeonComposeSeed *seed,
           GMimeMessage      *message)
{
  g_autofree char *html = NULL;
  const char *in_reply_to = g_mime_object_get_header (GMIME_OBJECT (message), "In-Reply-To");
  const char *subject;

  seed->from = g_strdup (first_mailbox (g_mime_message_get_from (message)));
  seed->to = edited_field (message, GMIME_ADDRESS_TYPE_TO, "X-Pigeon-To");
  seed->cc = edited_field (message, GMIME_ADDRESS_TYPE_CC, "X-Pigeon-Cc");
  seed->bcc = edited_field (message, GMIME_ADDRESS_TYPE_BCC, "X-Pigeon-Bcc");
  subject = g_mime_message_get_subject (message);
  seed->subject = g_strdup (subject != NULL ? subject : "");
  if (in_reply_to != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (in_reply_to));

      if (g_str_has_prefix (trimmed, "<") && g_str_has_suffix (trimmed, ">"))
        seed->in_reply_to = g_strndup (trimmed + 1, strlen (trimmed) - 2);
    }
  seed->references = g_strdup (g_mime_object_get_header (GMIME_OBJECT (message), "References"));
  g_mime_message_foreach (message, find_html, &html);
  seed->html = g_steal_pointer (&html);
  seed->body = extract_text (message);
  seed->attachments = attachments_of (message);
}

PigeonComposeSeed *
pigeon_compose_seed_new (PigeonComposeMode   mode,
                         GBytes             *original_raw,
                         const char * const *own_addresses,
                         GError            **error)
{
  g_autoptr(GMimeMessage) message = NULL;
  PigeonComposeSeed *seed;

  g_return_val_if_fail (original_raw != NULL || mode == PIGEON_COMPOSE_NEW, NULL);

  seed = g_new0 (PigeonComposeSeed, 1);
  if (mode == PIGEON_COMPOSE_NEW)
    {
      seed->to = g_strdup ("");
      seed->cc = g_strdup ("");
      seed->subject = g_strdup ("");
      seed->body = g_strdup ("");
    }
  else
    {
      message = pigeon_mime_parse (original_raw, error);
      if (message == NULL)
        {
          pigeon_compose_seed_free (seed);
          return NULL;
        }
    }

  switch (mode)
    {
    case PIGEON_COMPOSE_NEW:
      break;
    case PIGEON_COMPOSE_EDIT:
      seed_edit (seed, message);
      break;
    case PIGEON_COMPOSE_REPLY:
    case PIGEON_COMPOSE_REPLY_ALL:
      seed_reply (seed, message, mode == PIGEON_COMPOSE_REPLY_ALL, own_addresses);
      break;
    case PIGEON_COMPOSE_FORWARD:
    case PIGEON_COMPOSE_FORWARD_ATTACHMENT:
      seed_forward (seed, message, original_raw, mode == PIGEON_COMPOSE_FORWARD_ATTACHMENT);
      break;
    default:
      g_assert_not_reached ();
    }
  if (seed->attachments == NULL)
    seed->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                        pigeon_compose_attachment_free);
  return seed;
}
