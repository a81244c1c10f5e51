/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-message-render.h"
#include "pigeon-provider.h"

/* Deeper quoting than this is drawn at this depth. */
#define MAX_QUOTE_DEPTH 8
/* Bodies past this size are cut (a view of megabytes of text helps nobody). */
#define MAX_TEXT_BYTES (8 * 1024 * 1024)

static void
attachment_free (gpointer data)
{
  PigeonAttachment *a = data;

  g_free (a->filename);
  g_free (a->content_type);
  g_free (a->reference);
  g_clear_object (&a->part);
  g_free (a);
}

void
pigeon_rendered_message_free (PigeonRenderedMessage *rendered)
{
  if (rendered == NULL)
    return;
  g_free (rendered->html);
  g_clear_pointer (&rendered->attachments, g_ptr_array_unref);
  g_clear_pointer (&rendered->cid_parts, g_hash_table_unref);
  g_free (rendered);
}

/* ------------------------------------------------------------------ plain text */

static GRegex *
link_regex (void)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    {
      GRegex *r = g_regex_new (
        "(?:(?:https?|ftp)://|www\\.|mailto:)[^\\s<>\"']*[^\\s<>\"'.,;:!?)\\]}]"
        "|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
        G_REGEX_OPTIMIZE | G_REGEX_CASELESS, 0, NULL);
      g_once_init_leave (&regex, r);
    }
  return regex;
}

static void
append_linked (GString    *out,
               const char *line)
{
  g_autoptr(GMatchInfo) match = NULL;
  const char *rest = line;

  g_regex_match (link_regex (), line, 0, &match);
  while (g_match_info_matches (match))
    {
      int start, end;
      g_autofree char *text = NULL;
      g_autofree char *href = NULL;
      g_autofree char *escaped_text = NULL;
      g_autofree char *escaped_href = NULL;
      g_autofree char *before = NULL;

      g_match_info_fetch_pos (match, 0, &start, &end);
      before = g_markup_escape_text (rest, line + start - rest);
      g_string_append (out, before);
      text = g_strndup (line + start, end - start);
      if (g_ascii_strncasecmp (text, "www.", 4) == 0)
        href = g_strconcat ("http://", text, NULL);
      else if (strstr (text, "://") == NULL && g_ascii_strncasecmp (text, "mailto:", 7) != 0)
        href = g_strconcat ("mailto:", text, NULL);
      else
        href = g_strdup (text);
      escaped_text = g_markup_escape_text (text, -1);
      escaped_href = g_markup_escape_text (href, -1);
      g_string_append_printf (out, "<a href=\"%s\">%s</a>", escaped_href, escaped_text);
      rest = line + end;
      g_match_info_next (match, NULL);
    }
  {
    g_autofree char *tail = g_markup_escape_text (rest, -1);

    g_string_append (out, tail);
  }
}

/* Counts the quote markers ("> > ") at the start of LINE and returns the text after
 * them. */
static const char *
strip_quotes (const char *line,
              guint      *depth)
{
  const char *p = line;
  const char *after = line;

  *depth = 0;
  for (;;)
    {
      while (*p == ' ')
        p++;
      if (*p != '>')
        break;
      (*depth)++;
      p++;
      after = (*p == ' ') ? p + 1 : p;
    }
  return *depth > 0 ? after : line;
}

char *
pigeon_render_plain_text (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *valid = NULL;
  guint open = 0;
  gboolean in_signature = FALSE;

  g_return_val_if_fail (text != NULL, NULL);

  valid = g_utf8_make_valid (text, MIN (strlen (text), MAX_TEXT_BYTES));
  lines = g_strsplit (valid, "\n", -1);
  g_string_append (out, "<div class=\"pigeon-plain\">");
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line);
      const char *body;
      guint depth;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      /* The last empty piece after a final newline is not a line. */
      if (lines[i + 1] == NULL && len == 0)
        break;

      body = strip_quotes (line, &depth);
      depth = MIN (depth, MAX_QUOTE_DEPTH);
      while (open > depth)
        {
          g_string_append (out, "</blockquote>");
          open--;
        }
      while (open < depth)
        {
          open++;
          g_string_append_printf (out, "<blockquote class=\"quote quote-%u\">", open);
        }
      if (depth == 0 && !in_signature && strcmp (line, "-- ") == 0)
        {
          in_signature = TRUE;
          g_string_append (out, "<div class=\"signature\">");
        }
      append_linked (out, body);
      g_string_append_c (out, '\n');
    }
  while (open-- > 0)
    g_string_append (out, "</blockquote>");
  if (in_signature)
    g_string_append (out, "</div>");
  g_string_append (out, "</div>");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
pigeon_render_unflow (const char *text,
                      gboolean    delsp)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) paragraph = g_string_new (NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint depth = 0;
  gboolean open = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line);
      guint line_depth = 0;
      const char *content;
      gboolean soft;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      if (lines[i + 1] == NULL && len == 0)
        break;
      while (line[line_depth] == '>')
        line_depth++;
      content = line + line_depth;
      if (*content == ' ')
        content++;   /* space-stuffing */
      /* A paragraph does not run across quote levels. */
      if (open && line_depth != depth)
        {
          g_string_append_c (out, '\n');
          open = FALSE;
        }
      if (!open)
        {
          depth = line_depth;
          g_string_truncate (paragraph, 0);
          for (guint d = 0; d < depth; d++)
            g_string_append_c (paragraph, '>');
          if (depth > 0)
            g_string_append_c (paragraph, ' ');
          g_string_append (out, paragraph->str);
          open = TRUE;
        }
      /* A trailing space marks a soft break, except on the signature separator. */
      soft = strcmp (content, "-- ") != 0 && g_str_has_suffix (content, " ");
      if (soft && delsp)
        g_string_append_len (out, content, strlen (content) - 1);
      else
        g_string_append (out, content);
      if (!soft)
        {
          g_string_append_c (out, '\n');
          open = FALSE;
        }
    }
  if (open)
    g_string_append_c (out, '\n');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
pigeon_render_plain_document (const char *fragment,
                              gboolean    dark)
{
  static const char light[] =
    "body{color:#2e3436;background:#ffffff}a{color:#1a5fb4}"
    ".quote{color:#555753;border-left-color:#3584e4}"
    ".quote-2{border-left-color:#2ec27e}.quote-3{border-left-color:#e5a50a}"
    ".quote-4{border-left-color:#c061cb}.signature{color:#77767b}";
  static const char dark_css[] =
    "body{color:#eeeeec;background:#242424}a{color:#78aeed}"
    ".quote{color:#c0bfbc;border-left-color:#62a0ea}"
    ".quote-2{border-left-color:#57e389}.quote-3{border-left-color:#f8e45c}"
    ".quote-4{border-left-color:#dc8add}.signature{color:#9a9996}";

  return g_strdup_printf (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
    "<style>"
    "body{margin:12px 16px;font-family:sans-serif;font-size:1rem;line-height:1.4;"
    "overflow-wrap:anywhere}"
    ".pigeon-plain{white-space:pre-wrap}"
    "blockquote.quote{margin:0.2em 0;padding:0 0 0 0.8em;border-left:3px solid;"
    "white-space:pre-wrap}"
    "img{max-width:100%%;height:auto}"
    "%s"
    "</style></head><body class=\"%s\">%s</body></html>",
    dark ? dark_css : light, dark ? "dark" : "light", fragment);
}

/* ------------------------------------------------------------------ remote content */

gboolean
pigeon_render_has_remote_content (const char *html)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    {
      GRegex *r = g_regex_new (
        "\\b(?:src|srcset|background|poster|data|dynsrc|lowsrc)\\s*=\\s*[\"']?[^\"'>]*?"
        "(?:https?:)?//"
        "|url\\s*\\(\\s*[\"']?\\s*(?:https?:)?//"
        "|@import\\s*[\"']?\\s*(?:https?:)?//"
        "|<link\\b[^>]*\\bhref\\s*=\\s*[\"']?\\s*(?:https?:)?//",
        G_REGEX_OPTIMIZE | G_REGEX_CASELESS | G_REGEX_RAW, 0, NULL);
      g_once_init_leave (&regex, r);
    }
  return html != NULL && g_regex_match (regex, html, 0, NULL);
}

char *
pigeon_render_address_of (const char *mailbox)
{
  const char *lt, *gt;

  if (mailbox == NULL)
    return NULL;
  lt = strrchr (mailbox, '<');
  if (lt != NULL && (gt = strchr (lt, '>')) != NULL && gt > lt + 1)
    return g_ascii_strdown (lt + 1, gt - lt - 1);
  if (strchr (mailbox, '@') != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (mailbox));

      return g_ascii_strdown (trimmed, -1);
    }
  return NULL;
}

/* ------------------------------------------------------------------ the MIME tree */

typedef struct
{
  gboolean   prefer_plain;
  GString   *body;          /* HTML, or the plain text fragments */
  gboolean   body_is_html;
  gboolean   have_body;
  GPtrArray *inline_text;   /* further inline text parts, as fragments */
  GPtrArray *attachments;
  GHashTable *cid_parts;
  guint      counter;
  gboolean   on_server;
} Walk;

static char *
part_text (GMimeObject *object)
{
  if (!GMIME_IS_TEXT_PART (object))
    return g_strdup ("");
  {
    char *text = g_mime_text_part_get_text (GMIME_TEXT_PART (object));

    return text != NULL ? text : g_strdup ("");
  }
}

static gboolean
is_attachment (GMimeObject *object)
{
  GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (object);

  return disposition != NULL && g_mime_content_disposition_is_attachment (disposition);
}

GBytes *
pigeon_render_part_bytes (GMimeObject *part)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GByteArray *array;

  if (GMIME_IS_PART (part))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (part));

      if (content != NULL)
        g_mime_data_wrapper_write_to_stream (content, stream);
    }
  else if (GMIME_IS_MESSAGE_PART (part))
    {
      GMimeMessage *message = g_mime_message_part_get_message (GMIME_MESSAGE_PART (part));

      if (message != NULL)
        g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, stream);
    }
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

static char *
default_filename (GMimeObject *object,
                  guint        counter)
{
  GMimeContentType *type = g_mime_object_get_content_type (object);
  g_autofree char *mime = g_mime_content_type_get_mime_type (type);
  g_autofree char *extension = NULL;

  if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *message = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
      const char *subject = message ? g_mime_message_get_subject (message) : NULL;

      if (subject != NULL && *subject != '\0')
        {
          g_autofree char *safe = g_strdelimit (g_strdup (subject), "/\\:", '-');

          return g_strconcat (safe, ".eml", NULL);
        }
      return g_strdup (_("Forwarded message.eml"));
    }
  if (g_mime_content_type_is_type (type, "image", "*"))
    extension = g_strdup (g_mime_content_type_get_media_subtype (type));
  else if (g_mime_content_type_is_type (type, "text", "calendar"))
    extension = g_strdup ("ics");
  else if (g_mime_content_type_is_type (type, "text", "plain"))
    extension = g_strdup ("txt");
  /* Translators: the name of an attachment that came without one; %u counts them. */
  return extension ? g_strdup_printf (_("attachment-%u.%s"), counter, extension)
                   : g_strdup_printf (_("attachment-%u"), counter);
}

static void
add_attachment (Walk        *walk,
                GMimeObject *object,
                gboolean     inline_image)
{
  PigeonAttachment *a = g_new0 (PigeonAttachment, 1);
  GMimeContentType *type = g_mime_object_get_content_type (object);
  const char *filename = GMIME_IS_PART (object) ? g_mime_part_get_filename (GMIME_PART (object))
                                                : NULL;
  g_autoptr(GBytes) bytes = pigeon_render_part_bytes (object);

  walk->counter++;
  a->filename = filename && *filename ? g_path_get_basename (filename)
                                      : default_filename (object, walk->counter);
  a->content_type = g_mime_content_type_get_mime_type (type);
  a->size = g_bytes_get_size (bytes);
  a->part = g_object_ref (object);
  a->inline_image = inline_image;
  g_ptr_array_add (walk->attachments, a);
}

/* A placeholder for an attachment still on the server: listed like the others, with the
 * name, type and size the server gave. */
static gboolean
add_placeholder (Walk        *walk,
                 GMimeObject *object)
{
  g_autofree char *reference = NULL;
  g_autoptr(GMimeObject) real = NULL;
  guint64 size = 0;
  PigeonAttachment *a;
  const char *filename;

  if (!pigeon_provider_parse_placeholder (object, &reference, &size, &real))
    return FALSE;
  a = g_new0 (PigeonAttachment, 1);
  filename = g_mime_part_get_filename (GMIME_PART (object));
  walk->counter++;
  a->filename = filename && *filename ? g_path_get_basename (filename)
                                      : default_filename (real, walk->counter);
  a->content_type = g_mime_content_type_get_mime_type (g_mime_object_get_content_type (real));
  a->size = (gsize) size;
  a->part = g_object_ref (object);
  a->reference = g_steal_pointer (&reference);
  g_ptr_array_add (walk->attachments, a);
  walk->on_server = TRUE;
  return TRUE;
}

static void
register_cid (Walk        *walk,
              GMimeObject *object)
{
  const char *cid;

  if (!GMIME_IS_PART (object))
    return;
  cid = g_mime_part_get_content_id (GMIME_PART (object));
  if (cid == NULL || *cid == '\0')
    return;
  g_hash_table_replace (walk->cid_parts, g_ascii_strdown (cid, -1), g_object_ref (object));
}

static void walk_object (Walk *walk, GMimeObject *object);

static void
take_text (Walk        *walk,
           GMimeObject *object)
{
  GMimeContentType *type = g_mime_object_get_content_type (object);
  g_autofree char *text = part_text (object);
  gboolean html = g_mime_content_type_is_type (type, "text", "html");
  const char *format = g_mime_content_type_get_parameter (type, "format");

  if (!html && format != NULL && g_ascii_strcasecmp (format, "flowed") == 0)
    {
      const char *delsp = g_mime_content_type_get_parameter (type, "delsp");
      char *unflowed = pigeon_render_unflow (text, delsp != NULL &&
                                                   g_ascii_strcasecmp (delsp, "yes") == 0);

      g_free (text);
      text = unflowed;
    }

  if (!walk->have_body)
    {
      walk->have_body = TRUE;
      walk->body_is_html = html;
      g_string_append (walk->body, text);
      return;
    }
  /* A further inline text part (a list footer, say) joins the body. */
  if (html)
    g_ptr_array_add (walk->inline_text, g_steal_pointer (&text));
  else
    g_ptr_array_add (walk->inline_text, pigeon_render_plain_text (text));
}

static GMimeObject *
pick_alternative (Walk           *walk,
                  GMimeMultipart *multipart)
{
  GMimeObject *plain = NULL, *html = NULL, *other = NULL;
  int n = g_mime_multipart_get_count (multipart);

  /* The last of each kind is the richest the sender offered. */
  for (int i = 0; i < n; i++)
    {
      GMimeObject *child = g_mime_multipart_get_part (multipart, i);
      GMimeContentType *type = g_mime_object_get_content_type (child);

      if (g_mime_content_type_is_type (type, "text", "plain"))
        plain = child;
      else if (g_mime_content_type_is_type (type, "text", "html"))
        html = child;
      else if (GMIME_IS_MULTIPART (child))
        other = child;
    }
  if (walk->prefer_plain && plain != NULL)
    return plain;
  if (other != NULL && html == NULL)
    return other;
  if (html != NULL)
    return html;
  return plain != NULL ? plain : other;
}

static void
walk_multipart (Walk           *walk,
                GMimeMultipart *multipart)
{
  GMimeObject *object = GMIME_OBJECT (multipart);
  GMimeContentType *type = g_mime_object_get_content_type (object);
  int n = g_mime_multipart_get_count (multipart);

  if (g_mime_content_type_is_type (type, "multipart", "alternative"))
    {
      GMimeObject *chosen = pick_alternative (walk, multipart);

      if (chosen != NULL)
        walk_object (walk, chosen);
      /* Parts the chosen one leaves out may still be cid: targets (images beside both). */
      for (int i = 0; i < n; i++)
        if (g_mime_multipart_get_part (multipart, i) != chosen &&
            !GMIME_IS_TEXT_PART (g_mime_multipart_get_part (multipart, i)))
          register_cid (walk, g_mime_multipart_get_part (multipart, i));
      return;
    }
  if (g_mime_content_type_is_type (type, "multipart", "related") && n > 0)
    {
      /* The root first (start= names it, else the first part); the rest it refers to. */
      const char *start = g_mime_content_type_get_parameter (type, "start");
      GMimeObject *root = NULL;

      if (start != NULL)
        {
          g_autofree char *id = g_strdup (start);

          g_strstrip (id);
          if (id[0] == '<')
            {
              memmove (id, id + 1, strlen (id));
              if (*id != '\0' && id[strlen (id) - 1] == '>')
                id[strlen (id) - 1] = '\0';
            }
          for (int i = 0; i < n && root == NULL; i++)
            {
              GMimeObject *child = g_mime_multipart_get_part (multipart, i);

              if (GMIME_IS_PART (child) &&
                  g_strcmp0 (g_mime_part_get_content_id (GMIME_PART (child)), id) == 0)
                root = child;
            }
        }
      if (root == NULL)
        root = g_mime_multipart_get_part (multipart, 0);
      for (int i = 0; i < n; i++)
        if (g_mime_multipart_get_part (multipart, i) != root)
          register_cid (walk, g_mime_multipart_get_part (multipart, i));
      walk_object (walk, root);
      return;
    }
  for (int i = 0; i < n; i++)
    walk_object (walk, g_mime_multipart_get_part (multipart, i));
}

static void
walk_object (Walk        *walk,
             GMimeObject *object)
{
  GMimeContentType *type = g_mime_object_get_content_type (object);

  if (add_placeholder (walk, object))
    return;
  if (GMIME_IS_MULTIPART (object))
    {
      /* Signed: the content is the first part; the signature is no attachment. */
      if (g_mime_content_type_is_type (type, "multipart", "signed"))
        {
          if (g_mime_multipart_get_count (GMIME_MULTIPART (object)) > 0)
            walk_object (walk, g_mime_multipart_get_part (GMIME_MULTIPART (object), 0));
          return;
        }
      walk_multipart (walk, GMIME_MULTIPART (object));
      return;
    }
  if (GMIME_IS_MESSAGE_PART (object))
    {
      add_attachment (walk, object, FALSE);
      return;
    }
  if (!GMIME_IS_PART (object))
    return;

  if (!is_attachment (object) &&
      (g_mime_content_type_is_type (type, "text", "plain") ||
       g_mime_content_type_is_type (type, "text", "html")))
    {
      take_text (walk, object);
      return;
    }
  if (!is_attachment (object) && g_mime_content_type_is_type (type, "image", "*"))
    {
      /* An inline image: shown in the document and listed with the attachments. */
      register_cid (walk, object);
      add_attachment (walk, object, TRUE);
      return;
    }
  register_cid (walk, object);
  add_attachment (walk, object, FALSE);
}

/* Inserts EXTRA before </body> of HTML, or at its end. */
static void
append_to_document (GString    *html,
                    const char *extra)
{
  g_autofree char *lower = g_ascii_strdown (html->str, html->len);
  const char *end = g_strrstr (lower, "</body");

  if (end != NULL)
    g_string_insert (html, end - lower, extra);
  else
    g_string_append (html, extra);
}

static char *
cid_of_attachment (PigeonRenderedMessage *rendered,
                   GMimeObject           *part)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, rendered->cid_parts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value == part)
      return g_strdup (key);
  return NULL;
}

PigeonRenderedMessage *
pigeon_render_message (GMimeMessage *message,
                       gboolean      prefer_plain,
                       gboolean      dark)
{
  PigeonRenderedMessage *rendered = g_new0 (PigeonRenderedMessage, 1);
  Walk walk = { 0 };
  GMimeObject *body = g_mime_message_get_mime_part (message);
  g_autoptr(GString) extra = g_string_new (NULL);
  g_autofree char *lower = NULL;

  g_return_val_if_fail (GMIME_IS_MESSAGE (message), NULL);

  walk.prefer_plain = prefer_plain;
  walk.body = g_string_new (NULL);
  walk.inline_text = g_ptr_array_new_with_free_func (g_free);
  walk.attachments = g_ptr_array_new_with_free_func (attachment_free);
  walk.cid_parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (body != NULL)
    walk_object (&walk, body);

  rendered->attachments = walk.attachments;
  rendered->cid_parts = walk.cid_parts;
  rendered->plain = !walk.body_is_html;
  rendered->on_server = walk.on_server;

  for (guint i = 0; i < walk.inline_text->len; i++)
    g_string_append_printf (extra, "<hr>%s", (char *) g_ptr_array_index (walk.inline_text, i));

  /* Inline images the body does not show itself come after it. */
  lower = g_ascii_strdown (walk.body->str, walk.body->len);
  for (guint i = 0; i < rendered->attachments->len; i++)
    {
      PigeonAttachment *a = g_ptr_array_index (rendered->attachments, i);
      g_autofree char *cid = NULL;
      g_autofree char *needle = NULL;

      if (!a->inline_image)
        continue;
      cid = cid_of_attachment (rendered, a->part);
      if (cid == NULL)
        {
          cid = g_strdup_printf ("pigeon-part-%u@pigeon.invalid", i);
          g_hash_table_replace (rendered->cid_parts, g_strdup (cid), g_object_ref (a->part));
        }
      needle = g_strconcat ("cid:", cid, NULL);
      if (walk.body_is_html && strstr (lower, needle) != NULL)
        {
          /* The document shows it: it is content, not an attachment to list. */
          g_ptr_array_remove_index (rendered->attachments, i);
          i--;
          continue;
        }
      {
        g_autofree char *escaped = g_markup_escape_text (cid, -1);

        g_string_append_printf (extra, "<p><img class=\"pigeon-inline\" src=\"cid:%s\"></p>",
                                escaped);
      }
    }

  if (walk.body_is_html)
    {
      if (extra->len > 0)
        append_to_document (walk.body, extra->str);
      rendered->html = g_string_free (walk.body, FALSE);
    }
  else
    {
      g_autofree char *fragment = pigeon_render_plain_text (walk.body->str);
      g_autofree char *joined = g_strconcat (fragment, extra->str, NULL);

      g_string_free (walk.body, TRUE);
      rendered->html = pigeon_render_plain_document (joined, dark);
    }
  rendered->has_remote = pigeon_render_has_remote_content (rendered->html);
  g_ptr_array_unref (walk.inline_text);
  return rendered;
}
