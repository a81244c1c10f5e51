/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-mime"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-message-builder.h"
#include "pigeon-mime.h"

typedef struct
{
  char *filename;
  char *content_type;
  GBytes *data;
  gboolean is_message;
} Attachment;

struct _PigeonMessageBuilder
{
  GObject parent_instance;

  char *from_name;
  char *from_address;
  InternetAddressList *recipients[3];   /* by PigeonRecipientKind */
  char *unparsed[3];
  char *subject;
  char *text;
  char *html;
  GPtrArray *attachments;               /* Attachment* */
  char *in_reply_to;
  char *references;
  char *message_id;
  GDateTime *date;
};

G_DEFINE_FINAL_TYPE (PigeonMessageBuilder, pigeon_message_builder, G_TYPE_OBJECT)

static void
attachment_free (gpointer data)
{
  Attachment *a = data;

  g_free (a->filename);
  g_free (a->content_type);
  g_bytes_unref (a->data);
  g_free (a);
}

static void
pigeon_message_builder_finalize (GObject *object)
{
  PigeonMessageBuilder *self = (PigeonMessageBuilder *) object;

  g_free (self->from_name);
  g_free (self->from_address);
  for (guint i = 0; i < G_N_ELEMENTS (self->recipients); i++)
    {
      g_clear_object (&self->recipients[i]);
      g_free (self->unparsed[i]);
    }
  g_free (self->subject);
  g_free (self->text);
  g_free (self->html);
  g_ptr_array_unref (self->attachments);
  g_free (self->in_reply_to);
  g_free (self->references);
  g_free (self->message_id);
  g_clear_pointer (&self->date, g_date_time_unref);

  G_OBJECT_CLASS (pigeon_message_builder_parent_class)->finalize (object);
}

static void
pigeon_message_builder_class_init (PigeonMessageBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pigeon_message_builder_finalize;
}

static void
pigeon_message_builder_init (PigeonMessageBuilder *self)
{
  pigeon_mime_init ();
  for (guint i = 0; i < G_N_ELEMENTS (self->recipients); i++)
    self->recipients[i] = internet_address_list_new ();
  self->attachments = g_ptr_array_new_with_free_func (attachment_free);
}

PigeonMessageBuilder *
pigeon_message_builder_new (void)
{
  return g_object_new (PIGEON_TYPE_MESSAGE_BUILDER, NULL);
}

/* ------------------------------------------------------------------ what goes in headers */

/* One line of printable text: every control character (CR and LF above all) becomes a
 * space, so no value can end its header field and start another. */
static char *
one_line (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

/* An addr-spec Pigeon is willing to write: local@domain, no spaces, quotes, brackets or
 * control characters anywhere. */
static gboolean
address_is_sane (const char *address)
{
  const char *at;

  if (address == NULL || *address == '\0' || !g_utf8_validate (address, -1, NULL))
    return FALSE;
  at = strrchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0')
    return FALSE;
  for (const char *p = address; *p; p++)
    {
      guchar c = *p;

      if (c <= ' ' || c == 0x7f || strchr ("<>()[]\\,;:\"", c) != NULL)
        return FALSE;
    }
  return TRUE;
}

/* A message id as written between angle brackets, or NULL when it is not one. */
static char *
clean_message_id (const char *id)
{
  g_autofree char *trimmed = NULL;
  gsize length;

  if (id == NULL)
    return NULL;
  trimmed = g_strstrip (g_strdup (id));
  length = strlen (trimmed);
  if (length >= 2 && trimmed[0] == '<' && trimmed[length - 1] == '>')
    {
      memmove (trimmed, trimmed + 1, length - 2);
      trimmed[length - 2] = '\0';
    }
  if (*trimmed == '\0' || strchr (trimmed, '@') == NULL)
    return NULL;
  for (const char *p = trimmed; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || *p == '<' || *p == '>')
      return NULL;
  return g_steal_pointer (&trimmed);
}

/* "a b c" (bare ids) or "<a> <b>" to "<a> <b>", dropping what is not an id. */
static char *
format_references (const char *references)
{
  g_auto(GStrv) ids = NULL;
  GString *out;

  if (references == NULL)
    return NULL;
  ids = g_strsplit_set (references, " \t\r\n,", -1);
  out = g_string_new (NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *id = clean_message_id (ids[i]);

      if (id == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "<%s>", id);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ setters */

void
pigeon_message_builder_set_from (PigeonMessageBuilder *self,
                                 const char           *name,
                                 const char           *address)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->from_name);
  g_free (self->from_address);
  self->from_name = one_line (name);
  self->from_address = one_line (address);
}

const char *
pigeon_message_builder_get_from_address (PigeonMessageBuilder *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_BUILDER (self), NULL);
  return self->from_address;
}

static gboolean
collect_mailboxes (InternetAddressList  *list,
                   InternetAddressList  *into,
                   GError              **error)
{
  for (int i = 0; i < internet_address_list_length (list); i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          InternetAddressList *members =
            internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address));

          if (!collect_mailboxes (members, into, error))
            return FALSE;
          continue;
        }
      {
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
        g_autofree char *name = one_line (internet_address_get_name (address));
        g_autoptr(InternetAddress) clean = NULL;

        if (!address_is_sane (addr))
          {
            g_autofree char *shown = internet_address_to_string (address, NULL, FALSE);

            g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                         _("“%s” is not an e-mail address."), shown);
            return FALSE;
          }
        clean = internet_address_mailbox_new (name != NULL && *name != '\0' ? name : NULL, addr);
        internet_address_list_add (into, clean);
      }
    }
  return TRUE;
}

/* The comma-separated pieces of LINE (not counting commas in quotes or angle brackets),
 * trimmed, without empty ones. */
static GPtrArray *
split_addresses (const char *line)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
  gboolean quoted = FALSE;
  gboolean angled = FALSE;
  const char *start = line;

  for (const char *p = line;; p++)
    {
      if (*p == '\\' && quoted && p[1] != '\0')
        {
          p++;
          continue;
        }
      if (*p == '"')
        quoted = !quoted;
      else if (*p == '<' && !quoted)
        angled = TRUE;
      else if (*p == '>' && !quoted)
        angled = FALSE;
      if (*p == '\0' || (*p == ',' && !quoted && !angled))
        {
          char *piece = g_strstrip (g_strndup (start, p - start));

          if (*piece != '\0')
            g_ptr_array_add (pieces, piece);
          else
            g_free (piece);
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }
  return pieces;
}

gboolean
pigeon_message_builder_add_recipients (PigeonMessageBuilder  *self,
                                       PigeonRecipientKind    kind,
                                       const char            *text,
                                       GError               **error)
{
  g_autofree char *line = NULL;
  g_autoptr(InternetAddressList) clean = NULL;
  g_autoptr(GPtrArray) pieces_array = NULL;
  g_auto(GStrv) pieces = NULL;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_BUILDER (self), FALSE);
  g_return_val_if_fail (kind <= PIGEON_RECIPIENT_BCC, FALSE);

  line = one_line (text);
  if (line == NULL || *line == '\0')
    return TRUE;
  /* Semicolons separate addresses in what people type (Outlook's habit). */
  pieces = g_strsplit (line, ";", -1);
  g_free (line);
  line = g_strjoinv (",", pieces);

  /* Piece by piece: GMime's parser skips what it cannot read, and a typo must not
   * vanish silently. */
  clean = internet_address_list_new ();
  pieces_array = split_addresses (line);
  for (guint i = 0; i < pieces_array->len; i++)
    {
      const char *piece = g_ptr_array_index (pieces_array, i);
      g_autoptr(InternetAddressList) parsed = internet_address_list_parse (NULL, piece);

      if (parsed == NULL || internet_address_list_length (parsed) == 0)
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                       _("“%s” is not an e-mail address."), piece);
          return FALSE;
        }
      if (!collect_mailboxes (parsed, clean, error))
        return FALSE;
    }
  internet_address_list_append (self->recipients[kind], clean);
  return TRUE;
}

void
pigeon_message_builder_set_unparsed (PigeonMessageBuilder *self,
                                     PigeonRecipientKind   kind,
                                     const char           *text)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (kind <= PIGEON_RECIPIENT_BCC);

  g_free (self->unparsed[kind]);
  self->unparsed[kind] = one_line (text);
}

GStrv
pigeon_message_builder_dup_recipients (PigeonMessageBuilder *self)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (PIGEON_IS_MESSAGE_BUILDER (self), NULL);

  for (guint k = 0; k < G_N_ELEMENTS (self->recipients); k++)
    for (int i = 0; i < internet_address_list_length (self->recipients[k]); i++)
      {
        InternetAddress *address = internet_address_list_get_address (self->recipients[k], i);
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
        char *folded = g_utf8_casefold (addr, -1);

        if (g_hash_table_contains (seen, folded))
          {
            g_free (folded);
            continue;
          }
        g_hash_table_add (seen, folded);
        g_ptr_array_add (out, g_strdup (addr));
      }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

void
pigeon_message_builder_set_subject (PigeonMessageBuilder *self,
                                    const char           *subject)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->subject);
  self->subject = one_line (subject);
}

void
pigeon_message_builder_set_text (PigeonMessageBuilder *self,
                                 const char           *text)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->text);
  self->text = text != NULL ? g_utf8_make_valid (text, -1) : NULL;
}

void
pigeon_message_builder_set_html (PigeonMessageBuilder *self,
                                 const char           *html)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->html);
  self->html = html != NULL ? g_utf8_make_valid (html, -1) : NULL;
}

static void
add_attachment (PigeonMessageBuilder *self,
                const char           *filename,
                const char           *content_type,
                GBytes               *data,
                gboolean              is_message)
{
  Attachment *a = g_new0 (Attachment, 1);

  a->filename = one_line (filename);
  a->content_type = g_strdup (content_type);
  a->data = g_bytes_ref (data);
  a->is_message = is_message;
  g_ptr_array_add (self->attachments, a);
}

void
pigeon_message_builder_add_attachment (PigeonMessageBuilder *self,
                                       const char           *filename,
                                       const char           *content_type,
                                       GBytes               *data)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (filename != NULL && data != NULL);

  add_attachment (self, filename, content_type, data, FALSE);
}

void
pigeon_message_builder_add_message (PigeonMessageBuilder *self,
                                    const char           *filename,
                                    GBytes               *raw)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));
  g_return_if_fail (raw != NULL);

  add_attachment (self, filename != NULL ? filename : "message.eml", "message/rfc822", raw,
                  TRUE);
}

void
pigeon_message_builder_set_in_reply_to (PigeonMessageBuilder *self,
                                        const char           *message_id)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->in_reply_to);
  self->in_reply_to = clean_message_id (message_id);
}

void
pigeon_message_builder_set_references (PigeonMessageBuilder *self,
                                       const char           *references)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->references);
  self->references = format_references (references);
}

void
pigeon_message_builder_set_message_id (PigeonMessageBuilder *self,
                                       const char           *message_id)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_free (self->message_id);
  self->message_id = clean_message_id (message_id);
}

/* On the sender's domain, so it says where it came from and cannot clash with another's. */
static char *
new_message_id (const char *from_address)
{
  const char *at = from_address != NULL ? strrchr (from_address, '@') : NULL;
  g_autofree char *domain = NULL;

  if (at != NULL && address_is_sane (from_address))
    domain = g_hostname_to_ascii (at + 1);
  return g_mime_utils_generate_message_id (domain != NULL ? domain : "pigeon.invalid");
}

const char *
pigeon_message_builder_get_message_id (PigeonMessageBuilder *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_BUILDER (self), NULL);

  if (self->message_id == NULL)
    self->message_id = new_message_id (self->from_address);
  return self->message_id;
}

void
pigeon_message_builder_set_date (PigeonMessageBuilder *self,
                                 GDateTime            *date)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_BUILDER (self));

  g_clear_pointer (&self->date, g_date_time_unref);
  self->date = date != NULL ? g_date_time_ref (date) : NULL;
}

/* ------------------------------------------------------------------ building */

static GMimeObject *
text_part (const char *subtype,
           const char *text)
{
  GMimeTextPart *part = g_mime_text_part_new_with_subtype (subtype);

  g_mime_text_part_set_text (part, text != NULL ? text : "");
  g_mime_part_set_content_encoding (
    GMIME_PART (part),
    g_mime_part_get_best_content_encoding (GMIME_PART (part), GMIME_ENCODING_CONSTRAINT_7BIT));
  return GMIME_OBJECT (part);
}

static GMimeObject *
body_part (PigeonMessageBuilder *self)
{
  g_autofree char *derived = NULL;
  GMimeMultipart *alternative;
  GMimeObject *part;

  if (self->html == NULL)
    return text_part ("plain", self->text);

  if (self->text == NULL)
    derived = pigeon_mime_html_to_text (self->html);
  alternative = g_mime_multipart_new_with_subtype ("alternative");
  part = text_part ("plain", self->text != NULL ? self->text : derived);
  g_mime_multipart_add (alternative, part);
  g_object_unref (part);
  part = text_part ("html", self->html);
  g_mime_multipart_add (alternative, part);
  g_object_unref (part);
  return GMIME_OBJECT (alternative);
}

static GMimeObject *
attachment_part (const Attachment  *a,
                 GError           **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (a->data, &size);
  g_autofree char *guessed = NULL;
  g_autofree char *mime_type = NULL;
  GMimeContentType *type;
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeDataWrapper) content = NULL;
  GMimePart *part;

  if (a->is_message)
    {
      g_autoptr(GMimeMessage) message = pigeon_mime_parse (a->data, error);
      GMimeMessagePart *message_part;

      if (message == NULL)
        return NULL;
      message_part = g_mime_message_part_new_with_message ("rfc822", message);
      g_mime_object_set_disposition (GMIME_OBJECT (message_part), "attachment");
      g_mime_object_set_content_disposition_parameter (GMIME_OBJECT (message_part), "filename",
                                                       a->filename);
      return GMIME_OBJECT (message_part);
    }

  if (a->content_type != NULL)
    mime_type = g_strdup (a->content_type);
  else
    {
      guessed = g_content_type_guess (a->filename, data, size, NULL);
      mime_type = g_content_type_get_mime_type (guessed);
    }
  type = g_mime_content_type_parse (NULL, mime_type != NULL ? mime_type
                                                            : "application/octet-stream");
  part = g_mime_part_new_with_type (g_mime_content_type_get_media_type (type),
                                    g_mime_content_type_get_media_subtype (type));
  g_object_unref (type);
  stream = g_mime_stream_mem_new_with_buffer ((const char *) data, size);
  content = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content (part, content);
  g_mime_object_set_disposition (GMIME_OBJECT (part), "attachment");
  g_mime_part_set_filename (part, a->filename);
  g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT (part);
}

static void
add_address_field (GMimeMessage        *message,
                   GMimeAddressType     type,
                   InternetAddressList *list)
{
  if (internet_address_list_length (list) > 0)
    internet_address_list_append (g_mime_message_get_addresses (message, type), list);
}

static void
set_ascii_header (GMimeObject *object,
                  const char  *name,
                  const char  *value)
{
  if (value != NULL)
    g_mime_object_set_header (object, name, value, NULL);
}

GBytes *
pigeon_message_builder_build (PigeonMessageBuilder  *self,
                              PigeonMessagePurpose   purpose,
                              GError               **error)
{
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeObject) body = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  g_autofree char *in_reply_to = NULL;
  GMimeFormatOptions *options;
  GByteArray *bytes;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_BUILDER (self), NULL);

  if (self->from_address == NULL || !address_is_sane (self->from_address))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not an address Pigeon can send from."),
                   self->from_address != NULL ? self->from_address : "");
      return NULL;
    }

  /* Fields in the order people read them; empty address fields are left out. */
  message = g_mime_message_new (FALSE);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM,
                              self->from_name != NULL && *self->from_name ? self->from_name : NULL,
                              self->from_address);
  add_address_field (message, GMIME_ADDRESS_TYPE_TO, self->recipients[PIGEON_RECIPIENT_TO]);
  add_address_field (message, GMIME_ADDRESS_TYPE_CC, self->recipients[PIGEON_RECIPIENT_CC]);
  add_address_field (message, GMIME_ADDRESS_TYPE_BCC, self->recipients[PIGEON_RECIPIENT_BCC]);
  g_mime_message_set_subject (message, self->subject != NULL ? self->subject : "", "utf-8");
  now = self->date != NULL ? g_date_time_ref (self->date) : g_date_time_new_now_local ();
  g_mime_message_set_date (message, now);
  g_mime_message_set_message_id (message, pigeon_message_builder_get_message_id (self));
  if (self->in_reply_to != NULL)
    in_reply_to = g_strdup_printf ("<%s>", self->in_reply_to);
  set_ascii_header (GMIME_OBJECT (message), "In-Reply-To", in_reply_to);
  set_ascii_header (GMIME_OBJECT (message), "References", self->references);
  set_ascii_header (GMIME_OBJECT (message), "User-Agent", "Pigeon/" PACKAGE_VERSION);
  if (purpose == PIGEON_MESSAGE_FOR_DRAFT)
    {
      static const char *names[] = { "X-Pigeon-To", "X-Pigeon-Cc", "X-Pigeon-Bcc" };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        if (self->unparsed[i] != NULL && *self->unparsed[i] != '\0')
          g_mime_object_set_header (GMIME_OBJECT (message), names[i], self->unparsed[i], "utf-8");
    }

  body = body_part (self);
  if (self->attachments->len > 0)
    {
      GMimeMultipart *mixed = g_mime_multipart_new_with_subtype ("mixed");

      g_mime_multipart_add (mixed, body);
      for (guint i = 0; i < self->attachments->len; i++)
        {
          g_autoptr(GMimeObject) part = attachment_part (g_ptr_array_index (self->attachments, i),
                                                         error);

          if (part == NULL)
            {
              g_object_unref (mixed);
              return NULL;
            }
          g_mime_multipart_add (mixed, part);
        }
      g_set_object (&body, GMIME_OBJECT (mixed));
      g_object_unref (mixed);
    }
  g_mime_message_set_mime_part (message, body);

  options = g_mime_format_options_new ();
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_format_options_set_param_encoding_method (options, GMIME_PARAM_ENCODING_METHOD_RFC2231);
  bytes = g_byte_array_new ();
  stream = g_mime_stream_mem_new_with_byte_array (bytes);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  if (g_mime_object_write_to_stream (GMIME_OBJECT (message), options, stream) < 0)
    {
      g_mime_format_options_free (options);
      g_byte_array_unref (bytes);
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                           _("The message could not be written."));
      return NULL;
    }
  g_mime_format_options_free (options);
  return g_byte_array_free_to_bytes (bytes);
}
