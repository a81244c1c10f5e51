/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-smtp"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-smtp-reply.h"

#define TEXT_MAX_CHARS 300

struct _PigeonSmtpReplyParser
{
  PigeonSmtpReply *pending;   /* the lines of a reply that is not finished yet */
  gsize            bytes;
};

void
pigeon_smtp_reply_free (PigeonSmtpReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->enhanced);
  g_ptr_array_unref (reply->lines);
  g_free (reply);
}

static PigeonSmtpReply *
reply_new (guint code)
{
  PigeonSmtpReply *reply = g_new0 (PigeonSmtpReply, 1);

  reply->code = code;
  reply->lines = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

gboolean
pigeon_smtp_reply_is_positive (const PigeonSmtpReply *reply)
{
  return reply != NULL && reply->code >= 200 && reply->code < 400;
}

gboolean
pigeon_smtp_reply_is_transient (const PigeonSmtpReply *reply)
{
  return reply != NULL && reply->code >= 400 && reply->code < 500;
}

/* Printable, valid UTF-8, one line. */
static void
append_clean (GString    *out,
              const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);

  for (const char *p = valid; *p; p++)
    g_string_append_c (out, ((guchar) *p < 0x20 || *p == 0x7f) ? ' ' : *p);
}

char *
pigeon_smtp_reply_dup_text (const PigeonSmtpReply *reply)
{
  g_autoptr(GString) out = NULL;
  glong chars;

  g_return_val_if_fail (reply != NULL, NULL);

  out = g_string_new (NULL);
  g_string_append_printf (out, "%u", reply->code);
  for (guint i = 0; i < reply->lines->len; i++)
    {
      const char *text = g_ptr_array_index (reply->lines, i);

      if (*text == '\0')
        continue;
      g_string_append_c (out, ' ');
      append_clean (out, text);
    }
  chars = g_utf8_strlen (out->str, -1);
  if (chars > TEXT_MAX_CHARS)
    {
      const char *cut = g_utf8_offset_to_pointer (out->str, TEXT_MAX_CHARS);

      g_string_truncate (out, cut - out->str);
      g_string_append (out, "…");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "5.1.1" at the start of TEXT, followed by a space or the end (RFC 3463). */
static char *
parse_enhanced (const char *text)
{
  const char *p = text;

  if (*p != '2' && *p != '4' && *p != '5')
    return NULL;
  p++;
  for (guint part = 0; part < 2; part++)
    {
      guint digits = 0;

      if (*p != '.')
        return NULL;
      p++;
      while (g_ascii_isdigit (*p) && digits < 3)
        {
          p++;
          digits++;
        }
      if (digits == 0)
        return NULL;
    }
  if (*p != '\0' && *p != ' ')
    return NULL;
  return g_strndup (text, p - text);
}

PigeonSmtpReplyParser *
pigeon_smtp_reply_parser_new (void)
{
  return g_new0 (PigeonSmtpReplyParser, 1);
}

void
pigeon_smtp_reply_parser_reset (PigeonSmtpReplyParser *self)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->pending, pigeon_smtp_reply_free);
  self->bytes = 0;
}

void
pigeon_smtp_reply_parser_free (PigeonSmtpReplyParser *self)
{
  if (self == NULL)
    return;
  pigeon_smtp_reply_parser_reset (self);
  g_free (self);
}

static gboolean
malformed (PigeonSmtpReplyParser  *self,
           const char             *host,
           const char             *why,
           GError                **error)
{
  pigeon_smtp_reply_parser_reset (self);
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("The outgoing server %s sent a reply Pigeon cannot read (%s)."),
               host != NULL ? host : "", why);
  return FALSE;
}

gboolean
pigeon_smtp_reply_parser_feed (PigeonSmtpReplyParser  *self,
                               const char             *line,
                               gsize                   length,
                               const char             *host,
                               PigeonSmtpReply       **reply,
                               GError                **error)
{
  guint code;
  gboolean last;
  char *text;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL || length == 0, FALSE);
  g_return_val_if_fail (reply != NULL && *reply == NULL, FALSE);

  if (length > PIGEON_SMTP_MAX_LINE)
    return malformed (self, host, _("a line is too long"), error);
  if (length < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1]) ||
      !g_ascii_isdigit (line[2]))
    return malformed (self, host, _("a line does not start with a reply code"), error);
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 200 || code > 599)
    return malformed (self, host, _("a reply code is out of range"), error);
  if (length > 3 && line[3] != ' ' && line[3] != '-')
    return malformed (self, host, _("a reply code is not followed by a space"), error);
  if (memchr (line, '\0', length) != NULL)
    return malformed (self, host, _("a line holds a NUL byte"), error);
  last = length == 3 || line[3] == ' ';

  if (self->pending == NULL)
    {
      self->pending = reply_new (code);
      self->bytes = 0;
    }
  else if (self->pending->code != code)
    {
      return malformed (self, host, _("the code changes within a reply"), error);
    }
  if (self->pending->lines->len >= PIGEON_SMTP_MAX_LINES ||
      self->bytes + length > PIGEON_SMTP_MAX_REPLY)
    return malformed (self, host, _("a reply is too long"), error);

  text = g_strndup (length > 4 ? line + 4 : "", length > 4 ? length - 4 : 0);
  if (self->pending->lines->len == 0)
    self->pending->enhanced = parse_enhanced (text);
  g_ptr_array_add (self->pending->lines, text);
  self->bytes += length;

  if (last)
    {
      *reply = g_steal_pointer (&self->pending);
      self->bytes = 0;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ EHLO */

void
pigeon_smtp_caps_free (PigeonSmtpCaps *caps)
{
  if (caps == NULL)
    return;
  g_strfreev (caps->auth);
  g_free (caps);
}

static void
add_mechanisms (GPtrArray  *mechanisms,
                char      **words)
{
  for (guint i = 1; words[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (words[i], -1);
      gboolean seen = FALSE;

      if (*upper == '\0')
        continue;
      for (guint j = 0; j < mechanisms->len && !seen; j++)
        seen = strcmp (g_ptr_array_index (mechanisms, j), upper) == 0;
      if (!seen && mechanisms->len < 64)
        g_ptr_array_add (mechanisms, g_steal_pointer (&upper));
    }
}

PigeonSmtpCaps *
pigeon_smtp_caps_parse (const PigeonSmtpReply *ehlo)
{
  PigeonSmtpCaps *caps = g_new0 (PigeonSmtpCaps, 1);
  g_autoptr(GPtrArray) mechanisms = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (ehlo != NULL, caps);

  for (guint i = 1; i < ehlo->lines->len; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_ptr_array_index (ehlo->lines, i), " \t", -1);
      const char *keyword = words[0];

      if (keyword == NULL)
        continue;
      if (g_ascii_strcasecmp (keyword, "STARTTLS") == 0)
        caps->extensions |= PIGEON_SMTP_EXT_STARTTLS;
      else if (g_ascii_strcasecmp (keyword, "PIPELINING") == 0)
        caps->extensions |= PIGEON_SMTP_EXT_PIPELINING;
      else if (g_ascii_strcasecmp (keyword, "8BITMIME") == 0)
        caps->extensions |= PIGEON_SMTP_EXT_8BITMIME;
      else if (g_ascii_strcasecmp (keyword, "SMTPUTF8") == 0)
        caps->extensions |= PIGEON_SMTP_EXT_SMTPUTF8;
      else if (g_ascii_strcasecmp (keyword, "ENHANCEDSTATUSCODES") == 0)
        caps->extensions |= PIGEON_SMTP_EXT_ENHANCEDSTATUSCODES;
      else if (g_ascii_strcasecmp (keyword, "SIZE") == 0)
        {
          guint64 size = 0;

          caps->extensions |= PIGEON_SMTP_EXT_SIZE;
          if (words[1] != NULL &&
              g_ascii_string_to_unsigned (words[1], 10, 0, G_MAXUINT64, &size, NULL))
            caps->max_size = size;
        }
      else if (g_ascii_strcasecmp (keyword, "AUTH") == 0)
        {
          caps->extensions |= PIGEON_SMTP_EXT_AUTH;
          add_mechanisms (mechanisms, words);
        }
      else if (g_ascii_strncasecmp (keyword, "AUTH=", 5) == 0)
        {
          /* The pre-standard form some old servers still send: "AUTH=LOGIN PLAIN". */
          g_auto(GStrv) rest = g_strsplit_set (g_ptr_array_index (ehlo->lines, i) + 4, " =\t",
                                               -1);

          caps->extensions |= PIGEON_SMTP_EXT_AUTH;
          add_mechanisms (mechanisms, rest);
        }
    }
  g_ptr_array_add (mechanisms, NULL);
  caps->auth = (GStrv) g_ptr_array_free (g_steal_pointer (&mechanisms), FALSE);
  return caps;
}
