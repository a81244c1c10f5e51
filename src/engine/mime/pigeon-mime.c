/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-mime"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime-private.h"

/* Bounds for hostile messages: how deep and how many parts the text walk visits, and how
 * much text one message gives the search index. */
#define MAX_DEPTH        32
#define MAX_PARTS        1000
#define BODY_TEXT_LIMIT  (1024 * 1024)
#define PART_BYTES_LIMIT (4 * 1024 * 1024)
#define PREVIEW_CHARS    200

static GMimeParserOptions *parser_options;

void
pigeon_mime_init (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      static const char *fallback[] = { "UTF-8", "windows-1252", "iso-8859-1", NULL };
      GMimeParserOptions *options;

      g_mime_init ();
      options = g_mime_parser_options_new ();
      g_mime_parser_options_set_rfc2047_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_address_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_parameter_compliance_mode (options,
                                                           GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_allow_addresses_without_domain (options, TRUE);
      g_mime_parser_options_set_fallback_charsets (options, fallback);
      parser_options = options;
      g_once_init_leave (&initialized, 1);
    }
}

GMimeMessage *
pigeon_mime_parse (GBytes  *raw,
                   GError **error)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  GMimeMessage *message;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (raw != NULL, NULL);

  pigeon_mime_init ();
  data = g_bytes_get_data (raw, &len);
  if (len == 0)
    {
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                           _("The message is empty."));
      return NULL;
    }

  stream = g_mime_stream_mem_new_with_buffer ((const char *) data, len);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  message = g_mime_parser_construct_message (parser, parser_options);
  if (message == NULL)
    {
      g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                           _("The message could not be read: it is not in the Internet "
                             "mail format."));
      return NULL;
    }
  return message;
}

/* ------------------------------------------------------------------ envelope */

/* Header text as one line of valid UTF-8: line breaks and control characters become
 * spaces. */
static char *
clean_line (const char *text)
{
  char *clean;

  if (text == NULL)
    return NULL;
  clean = g_utf8_make_valid (text, -1);
  for (char *p = clean; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        *p = ' ';
    }
  g_strstrip (clean);
  return clean;
}

static void
append_mailbox (GString    *out,
                const char *name,
                const char *addr)
{
  g_autofree char *clean_name = clean_line (name);
  g_autofree char *clean_addr = clean_line (addr);

  if (clean_addr != NULL && *clean_addr == '\0')
    g_clear_pointer (&clean_addr, g_free);
  if (clean_name != NULL && (*clean_name == '\0' || g_strcmp0 (clean_name, clean_addr) == 0))
    g_clear_pointer (&clean_name, g_free);
  if (clean_name == NULL && clean_addr == NULL)
    return;

  if (out->len > 0)
    g_string_append (out, ", ");
  if (clean_name != NULL)
    {
      /* Quote a name that would otherwise read as several addresses. */
      if (strpbrk (clean_name, ",;<>\"@") != NULL)
        {
          g_string_append_c (out, '"');
          for (const char *p = clean_name; *p != '\0'; p++)
            {
              if (*p == '"' || *p == '\\')
                g_string_append_c (out, '\\');
              g_string_append_c (out, *p);
            }
          g_string_append_c (out, '"');
        }
      else
        {
          g_string_append (out, clean_name);
        }
      if (clean_addr != NULL)
        g_string_append_printf (out, " <%s>", clean_addr);
    }
  else
    {
      g_string_append (out, clean_addr);
    }
}

char *
pigeon_mime_format_addresses (InternetAddressList *list)
{
  GString *out;
  int n;

  if (list == NULL || (n = internet_address_list_length (list)) == 0)
    return NULL;

  out = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (ia))
        {
          append_mailbox (out, internet_address_get_name (ia),
                          internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia)));
        }
      else if (INTERNET_ADDRESS_IS_GROUP (ia))
        {
          /* A group stands for its members; groups do not nest. */
          InternetAddressList *members =
            internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia));
          int m = members != NULL ? internet_address_list_length (members) : 0;

          for (int j = 0; j < m; j++)
            {
              InternetAddress *member = internet_address_list_get_address (members, j);

              if (INTERNET_ADDRESS_IS_MAILBOX (member))
                append_mailbox (out, internet_address_get_name (member),
                                internet_address_mailbox_get_addr (
                                  INTERNET_ADDRESS_MAILBOX (member)));
            }
        }
    }

  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

char *
pigeon_mime_parse_message_ids (const char *text,
                               gboolean    first_only)
{
  GMimeReferences *refs;
  GString *out;
  int n;

  if (text == NULL)
    return NULL;
  refs = g_mime_references_parse (parser_options, text);
  if (refs == NULL)
    return NULL;
  n = g_mime_references_length (refs);
  out = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *id = clean_line (g_mime_references_get_message_id (refs, i));

      if (id == NULL || *id == '\0' || strchr (id, ' ') != NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, id);
      if (first_only)
        break;
    }
  g_mime_references_free (refs);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

gboolean
pigeon_mime_field_is (const guint8 *line,
                      gsize         length,
                      const char   *name)
{
  gsize n = strlen (name);

  return length > n && line[n] == ':' && g_ascii_strncasecmp ((const char *) line, name, n) == 0;
}

/* Calls FUNC for each field of RAW's own header with its offsets; stops when FUNC says. */
typedef gboolean (*FieldFunc) (const guint8 *data,
                               gsize         start,
                               gsize         stop,
                               gpointer      user_data);

static gsize
each_field (const guint8 *data,
            gsize         length,
            FieldFunc     func,
            gpointer      user_data)
{
  gsize start = 0;

  while (start < length && data[start] != '\r' && data[start] != '\n')
    {
      gsize stop = start;

      /* A field runs on over the lines that start with a blank. */
      do
        {
          const guint8 *nl = memchr (data + stop, '\n', length - stop);

          stop = nl != NULL ? (gsize) (nl - data) + 1 : length;
        }
      while (stop < length && (data[stop] == ' ' || data[stop] == '\t'));

      if (!func (data, start, stop, user_data))
        break;
      start = stop;
    }
  return start;
}

typedef struct
{
  const char *name;
  char *value;
} FindField;

static gboolean
find_field_cb (const guint8 *data,
               gsize         start,
               gsize         stop,
               gpointer      user_data)
{
  FindField *find = user_data;
  gsize n = strlen (find->name);
  GString *value;

  if (!pigeon_mime_field_is (data + start, stop - start, find->name))
    return TRUE;
  /* unfolded: line ends go, the blanks that follow them stay */
  value = g_string_sized_new (stop - start);
  for (gsize i = start + n + 1; i < stop; i++)
    if (data[i] != '\r' && data[i] != '\n')
      g_string_append_c (value, (char) data[i]);
  find->value = g_strstrip (g_string_free (value, FALSE));
  return FALSE;
}

char *
pigeon_mime_get_field (GBytes     *raw,
                       const char *name)
{
  FindField find = { name, NULL };
  gsize length;
  const guint8 *data;

  g_return_val_if_fail (raw != NULL && name != NULL, NULL);

  data = g_bytes_get_data (raw, &length);
  each_field (data, length, find_field_cb, &find);
  return find.value;
}

typedef struct
{
  const char *name;
  GByteArray *out;
} DropField;

static gboolean
drop_field_cb (const guint8 *data,
               gsize         start,
               gsize         stop,
               gpointer      user_data)
{
  DropField *drop = user_data;

  if (pigeon_mime_field_is (data + start, stop - start, drop->name))
    {
      if (drop->out == NULL)
        {
          drop->out = g_byte_array_new ();
          g_byte_array_append (drop->out, data, start);
        }
    }
  else if (drop->out != NULL)
    g_byte_array_append (drop->out, data + start, stop - start);
  return TRUE;
}

GBytes *
pigeon_mime_without_field (GBytes     *raw,
                           const char *name)
{
  DropField drop = { name, NULL };
  gsize length, end;
  const guint8 *data;

  g_return_val_if_fail (raw != NULL && name != NULL, NULL);

  data = g_bytes_get_data (raw, &length);
  end = each_field (data, length, drop_field_cb, &drop);
  if (drop.out == NULL)
    return g_bytes_ref (raw);
  g_byte_array_append (drop.out, data + end, length - end);
  return g_byte_array_free_to_bytes (drop.out);
}

static char *
message_ids_from_header (GMimeMessage *message,
                         const char   *header,
                         gboolean      first_only)
{
  return pigeon_mime_parse_message_ids (g_mime_object_get_header (GMIME_OBJECT (message), header),
                                        first_only);
}

void
pigeon_mime_fill_envelope (GMimeMessage  *message,
                           PigeonMessage *out)
{
  GDateTime *date;
  const char *subject;

  g_return_if_fail (GMIME_IS_MESSAGE (message));
  g_return_if_fail (out != NULL);

  g_free (out->message_id);
  out->message_id = clean_line (g_mime_message_get_message_id (message));
  if (out->message_id != NULL && *out->message_id == '\0')
    g_clear_pointer (&out->message_id, g_free);

  g_free (out->in_reply_to);
  out->in_reply_to = message_ids_from_header (message, "In-Reply-To", TRUE);
  g_free (out->references);
  out->references = message_ids_from_header (message, "References", FALSE);

  date = g_mime_message_get_date (message);
  out->date = date != NULL ? g_date_time_to_unix (date) : 0;

  g_free (out->from);
  out->from = pigeon_mime_format_addresses (g_mime_message_get_from (message));
  if (out->from == NULL)
    out->from = pigeon_mime_format_addresses (g_mime_message_get_sender (message));
  g_free (out->reply_to);
  out->reply_to = pigeon_mime_format_addresses (g_mime_message_get_reply_to (message));
  g_free (out->to);
  out->to = pigeon_mime_format_addresses (g_mime_message_get_to (message));
  g_free (out->cc);
  out->cc = pigeon_mime_format_addresses (g_mime_message_get_cc (message));

  subject = g_mime_message_get_subject (message);
  g_free (out->subject);
  out->subject = clean_line (subject);
}

PigeonMessage *
pigeon_mime_parse_envelope (GBytes  *raw,
                            GError **error)
{
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;

  g_return_val_if_fail (raw != NULL, NULL);

  message = pigeon_mime_parse (raw, error);
  if (message == NULL)
    return NULL;

  envelope = pigeon_message_new ();
  pigeon_mime_fill_envelope (message, envelope);
  envelope->size = (gint64) g_bytes_get_size (raw);
  pigeon_mime_extract_text (message, NULL, &envelope->preview, &envelope->has_attachments);
  return g_steal_pointer (&envelope);
}

/* ------------------------------------------------------------------ text */

static gboolean
is_utf8_name (const char *charset)
{
  return g_ascii_strcasecmp (charset, "utf-8") == 0 ||
         g_ascii_strcasecmp (charset, "utf8") == 0 ||
         g_ascii_strcasecmp (charset, "us-ascii") == 0 ||
         g_ascii_strcasecmp (charset, "ascii") == 0;
}

/* DATA in CHARSET (which may be missing, unknown or a lie) as valid UTF-8. */
static char *
to_utf8 (const char *data,
         gsize       len,
         const char *charset)
{
  char *decoded;

  if (len == 0)
    return g_strdup ("");
  if (charset != NULL && !is_utf8_name (charset))
    {
      const char *iconv_name = g_mime_charset_iconv_name (charset);
      gsize written = 0;
      char *converted;

      /* Mail that says ISO-8859-1 is written in windows-1252 (the € sign, curly quotes),
       * as browsers assume too; bytes windows-1252 lacks fall through to the guess. */
      if (iconv_name == NULL)
        iconv_name = charset;
      if (g_ascii_strcasecmp (iconv_name, "iso-8859-1") == 0)
        iconv_name = "windows-1252";
      converted = g_convert (data, len, "UTF-8", iconv_name, NULL, &written, NULL);
      if (converted != NULL)
        {
          char *valid = g_utf8_make_valid (converted, written);

          g_free (converted);
          return valid;
        }
    }
  if (g_utf8_validate (data, len, NULL))
    return g_strndup (data, len);
  /* Undeclared or wrong: GMime tries the fallback charsets, best match wins. */
  decoded = g_mime_utils_decode_8bit (parser_options, data, len);
  return decoded != NULL ? decoded : g_utf8_make_valid (data, len);
}

/* The decoded content of PART as UTF-8 (transfer encoding and charset undone). */
static char *
part_text (GMimePart *part)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  g_autoptr(GMimeStream) stream = NULL;
  GByteArray *bytes;
  gsize len;

  if (content == NULL)
    return g_strdup ("");

  stream = g_mime_stream_mem_new ();
  if (g_mime_data_wrapper_write_to_stream (content, stream) < 0)
    return g_strdup ("");
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  len = MIN (bytes->len, PART_BYTES_LIMIT);
  /* NUL bytes end C strings early; nobody wants them in text. */
  for (gsize i = 0; i < len; i++)
    {
      if (bytes->data[i] == 0)
        bytes->data[i] = ' ';
    }
  return to_utf8 ((const char *) bytes->data, len,
                  g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset"));
}

static gboolean
is_type (GMimeObject *object,
         const char  *type,
         const char  *subtype)
{
  GMimeContentType *content_type = g_mime_object_get_content_type (object);

  return content_type != NULL && g_mime_content_type_is_type (content_type, type, subtype);
}

/* Content-Disposition: attachment, or a file name on anything but text — except an image
 * a multipart/related HTML body shows by its Content-ID. */
static gboolean
is_attachment (GMimeObject *object,
               gboolean     in_related)
{
  GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (object);

  if (disposition != NULL && g_mime_content_disposition_is_attachment (disposition))
    return TRUE;
  if (GMIME_IS_MESSAGE_PART (object))
    return TRUE;
  if (!GMIME_IS_PART (object) || is_type (object, "text", "*"))
    return FALSE;
  if (in_related && g_mime_object_get_content_id (object) != NULL)
    return FALSE;
  return g_mime_part_get_filename (GMIME_PART (object)) != NULL;
}

typedef struct
{
  GMimeObject *object;
  guint        depth;
  gboolean     want_text;
  gboolean     in_related;
} WalkItem;

/* Which child of a multipart/alternative to read: the plain text one, else the last
 * (richest) one. */
static int
pick_alternative (GMimeMultipart *multipart)
{
  int n = g_mime_multipart_get_count (multipart);

  for (int i = 0; i < n; i++)
    {
      GMimeObject *child = g_mime_multipart_get_part (multipart, i);

      if (is_type (child, "text", "plain") && !is_attachment (child, FALSE))
        return i;
    }
  return n - 1;
}

/* The root of a multipart/related: the part named by its start parameter, else the
 * first. */
static int
pick_related_root (GMimeMultipart *multipart)
{
  const char *start = g_mime_object_get_content_type_parameter (GMIME_OBJECT (multipart),
                                                                "start");
  int n = g_mime_multipart_get_count (multipart);

  if (start != NULL)
    {
      g_autofree char *id = g_mime_utils_decode_message_id (start);

      for (int i = 0; id != NULL && i < n; i++)
        {
          const char *cid = g_mime_object_get_content_id (g_mime_multipart_get_part (multipart,
                                                                                     i));

          if (g_strcmp0 (cid, id) == 0)
            return i;
        }
    }
  return 0;
}

static void
push_children (GArray         *stack,
               GMimeMultipart *multipart,
               const WalkItem *item)
{
  int n = g_mime_multipart_get_count (multipart);
  int chosen = -1;
  int last = n - 1;
  gboolean related = is_type (GMIME_OBJECT (multipart), "multipart", "related");

  if (GMIME_IS_MULTIPART_ENCRYPTED (multipart))
    return;  /* nothing readable, nothing attached */
  if (GMIME_IS_MULTIPART_SIGNED (multipart))
    last = MIN (last, 0);  /* the signature is not an attachment */
  if (is_type (GMIME_OBJECT (multipart), "multipart", "alternative"))
    chosen = pick_alternative (multipart);
  else if (related)
    chosen = pick_related_root (multipart);

  /* Pushed last first, so the walk reads them in order. */
  for (int i = last; i >= 0; i--)
    {
      WalkItem child = {
        g_mime_multipart_get_part (multipart, i),
        item->depth + 1,
        item->want_text && (chosen < 0 || chosen == i),
        related ? i != chosen : item->in_related,
      };

      if (child.object != NULL)
        g_array_append_val (stack, child);
    }
}

static void
append_part_text (GString   *body,
                  GMimePart *part)
{
  g_autofree char *text = part_text (part);

  if (is_type (GMIME_OBJECT (part), "text", "html"))
    {
      g_autofree char *plain = pigeon_mime_html_to_text (text);

      g_free (text);
      text = g_steal_pointer (&plain);
    }
  g_strstrip (text);
  if (*text == '\0')
    return;
  if (body->len > 0)
    g_string_append (body, "\n\n");
  g_string_append (body, text);
}

static gboolean
is_quote_line (const char *line)
{
  while (*line == ' ' || *line == '\t')
    line++;
  return *line == '>';
}

/* The first ~200 characters of the new text on one line: quoted lines and the
 * "… wrote:" line that introduces them are left out when anything else is there. */
static char *
make_preview (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", 2000);
  GString *out = g_string_new (NULL);
  guint chars = 0;

  for (int pass = 0; pass < 2 && out->len == 0; pass++)
    {
      for (guint i = 0; lines[i] != NULL && chars < PREVIEW_CHARS; i++)
        {
          const char *line = lines[i];

          if (pass == 0)
            {
              g_autofree char *trimmed = g_strchomp (g_strdup (line));

              if (is_quote_line (line))
                continue;
              if (g_str_has_suffix (trimmed, ":") && lines[i + 1] != NULL &&
                  is_quote_line (lines[i + 1]))
                continue;
            }
          /* Every run of white space, line ends included, becomes one space. */
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            {
              g_string_append_c (out, ' ');
              chars++;
            }
          for (const char *p = line; *p != '\0' && chars < PREVIEW_CHARS;
               p = g_utf8_next_char (p))
            {
              gunichar c = g_utf8_get_char (p);

              if (g_unichar_isspace (c))
                {
                  if (out->len > 0 && out->str[out->len - 1] != ' ')
                    {
                      g_string_append_c (out, ' ');
                      chars++;
                    }
                }
              else
                {
                  g_string_append_unichar (out, c);
                  chars++;
                }
            }
        }
    }

  g_strstrip (out->str);
  return g_string_free (out, FALSE);
}

gboolean
pigeon_mime_extract_text (GMimeMessage *message,
                          char        **body_text,
                          char        **preview,
                          gboolean     *has_attachments)
{
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (WalkItem));
  g_autoptr(GString) body = g_string_new (NULL);
  gboolean attachments = FALSE;
  GMimeObject *root;
  guint visited = 0;

  g_return_val_if_fail (GMIME_IS_MESSAGE (message), FALSE);

  root = g_mime_message_get_mime_part (message);
  if (root != NULL)
    {
      WalkItem item = { root, 0, TRUE, FALSE };

      g_array_append_val (stack, item);
    }

  while (stack->len > 0 && visited < MAX_PARTS)
    {
      WalkItem item = g_array_index (stack, WalkItem, stack->len - 1);

      g_array_set_size (stack, stack->len - 1);
      visited++;

      if (GMIME_IS_MULTIPART (item.object))
        {
          if (item.depth < MAX_DEPTH)
            push_children (stack, GMIME_MULTIPART (item.object), &item);
          continue;
        }
      if (is_attachment (item.object, item.in_related))
        {
          attachments = TRUE;
          continue;
        }
      if (!item.want_text || !GMIME_IS_PART (item.object) || body->len >= BODY_TEXT_LIMIT)
        continue;
      if (is_type (item.object, "text", "plain") || is_type (item.object, "text", "html"))
        append_part_text (body, GMIME_PART (item.object));
    }

  if (body->len > BODY_TEXT_LIMIT)
    {
      const char *cut = body->str + BODY_TEXT_LIMIT;

      /* Back to the start of a character. */
      while (cut > body->str && ((guchar) *cut & 0xC0) == 0x80)
        cut--;
      g_string_truncate (body, cut - body->str);
    }

  if (preview != NULL)
    *preview = make_preview (body->str);
  if (has_attachments != NULL)
    *has_attachments = attachments;
  if (body_text != NULL)
    *body_text = g_string_free (g_steal_pointer (&body), FALSE);
  return TRUE;
}
