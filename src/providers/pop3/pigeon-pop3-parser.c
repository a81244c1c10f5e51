/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-pop3"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-pop3-parser.h"

/* RFC 2449: response codes are short atoms; anything longer is not one. */
#define MAX_CODE 64
/* RFC 1939 allows 70; a little slack for servers that ignore it, but bounded. */
#define MAX_UIDL 255
/* SASL mechanism names are at most 20 characters (RFC 4422). */
#define MAX_MECHANISM 20
#define MAX_MECHANISMS 32
#define MAX_IMPLEMENTATION 256
#define MAX_APOP_TIMESTAMP 256
/* How much of an offending line an error message quotes. */
#define QUOTE_LENGTH 60

struct _PigeonPop3Parser
{
  PigeonPop3Limits limits;

  /* Replies announced and not complete yet: a queue in an array, read from HEAD. */
  GArray *expected;  /* guint8 PigeonPop3ReplyKind */
  guint head;

  gboolean in_data;
  guint64 data_bytes;
  guint data_lines;

  char code[MAX_CODE + 1];

  GByteArray *partial;  /* pigeon_pop3_parser_feed: the line read so far */
  gboolean failed;
};

void
pigeon_pop3_limits_init_default (PigeonPop3Limits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_status_line = 4096;
  limits->max_data_line = 1024 * 1024;
  limits->max_multiline = 256 * 1024 * 1024;
  limits->max_lines = 4 * 1024 * 1024;
  limits->max_expected = 100000;
}

PigeonPop3Parser *
pigeon_pop3_parser_new (const PigeonPop3Limits *limits)
{
  PigeonPop3Parser *self = g_new0 (PigeonPop3Parser, 1);

  if (limits != NULL)
    self->limits = *limits;
  else
    pigeon_pop3_limits_init_default (&self->limits);
  self->expected = g_array_new (FALSE, FALSE, sizeof (guint8));
  self->partial = g_byte_array_new ();
  return self;
}

void
pigeon_pop3_parser_free (PigeonPop3Parser *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->expected);
  g_byte_array_unref (self->partial);
  g_free (self);
}

void
pigeon_pop3_parser_reset (PigeonPop3Parser *self)
{
  g_return_if_fail (self != NULL);

  g_array_set_size (self->expected, 0);
  self->head = 0;
  self->in_data = FALSE;
  self->data_bytes = 0;
  self->data_lines = 0;
  self->code[0] = '\0';
  g_byte_array_set_size (self->partial, 0);
  self->failed = FALSE;
}

guint
pigeon_pop3_parser_get_expected (PigeonPop3Parser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->expected->len - self->head;
}

gboolean
pigeon_pop3_parser_in_data (PigeonPop3Parser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->in_data;
}

gboolean
pigeon_pop3_parser_expect (PigeonPop3Parser    *self,
                           PigeonPop3ReplyKind  kind,
                           GError             **error)
{
  guint8 k = kind;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (kind <= PIGEON_POP3_REPLY_SASL, FALSE);

  if (pigeon_pop3_parser_get_expected (self) >= self->limits.max_expected)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("Too many POP3 commands are waiting for a reply (%u)."),
                   self->limits.max_expected);
      return FALSE;
    }
  /* Drop what was read once the queue is empty, so it never grows with the session. */
  if (self->head == self->expected->len)
    {
      g_array_set_size (self->expected, 0);
      self->head = 0;
    }
  else if (self->head > 4096 && self->head * 2 > self->expected->len)
    {
      g_array_remove_range (self->expected, 0, self->head);
      self->head = 0;
    }
  g_array_append_val (self->expected, k);
  return TRUE;
}

static void
pop_expected (PigeonPop3Parser *self)
{
  g_assert (self->head < self->expected->len);
  self->head++;
}

/* A short, printable excerpt of LINE for an error message. */
static char *
quote_line (const char *line,
            gsize       length)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < length && i < QUOTE_LENGTH; i++)
    {
      guchar c = line[i];

      if (c >= 0x20 && c < 0x7f)
        g_string_append_c (out, c);
      else
        g_string_append_printf (out, "\\x%02x", c);
    }
  if (length > QUOTE_LENGTH)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static gboolean
fail (PigeonPop3Parser *self,
      GError          **error,
      const char       *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (PigeonPop3Parser *self,
      GError          **error,
      const char       *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  self->failed = TRUE;
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL, message);
  return FALSE;
}

static gboolean
has_prefix_ci (const char *line,
               gsize       length,
               const char *prefix)
{
  gsize n = strlen (prefix);

  return length >= n && g_ascii_strncasecmp (line, prefix, n) == 0 &&
         (length == n || line[n] == ' ' || line[n] == '\t');
}

/* Fills EVENT's code and text from what follows +OK or -ERR: "[CODE] text" or "text". */
static void
split_code (PigeonPop3Parser *self,
            const char       *rest,
            gsize             length,
            PigeonPop3Event  *event)
{
  while (length > 0 && (*rest == ' ' || *rest == '\t'))
    {
      rest++;
      length--;
    }

  self->code[0] = '\0';
  event->code = NULL;
  if (length > 2 && rest[0] == '[')
    {
      gsize end;

      for (end = 1; end < length && end <= MAX_CODE + 1; end++)
        {
          guchar c = rest[end];

          if (c == ']' || c <= 0x20 || c >= 0x7f || c == '[')
            break;
        }
      if (end > 1 && end < length && end <= MAX_CODE + 1 && rest[end] == ']')
        {
          for (gsize i = 1; i < end; i++)
            self->code[i - 1] = g_ascii_toupper (rest[i]);
          self->code[end - 1] = '\0';
          event->code = self->code;
          rest += end + 1;
          length -= end + 1;
          while (length > 0 && (*rest == ' ' || *rest == '\t'))
            {
              rest++;
              length--;
            }
        }
    }
  event->text = rest;
  event->length = length;
}

static gboolean
feed_data_line (PigeonPop3Parser *self,
                const char       *line,
                gsize             length,
                PigeonPop3Event  *event,
                GError          **error)
{
  event->reply = PIGEON_POP3_REPLY_MULTI;

  if (length == 1 && line[0] == '.')
    {
      self->in_data = FALSE;
      pop_expected (self);
      event->kind = PIGEON_POP3_EVENT_END;
      event->text = line + 1;
      event->length = 0;
      return TRUE;
    }

  if (length > self->limits.max_data_line)
    return fail (self, error,
                 _("The POP3 server sent a line of %zu bytes, more than the "
                   "limit of %zu."),
                 length, self->limits.max_data_line);

  self->data_lines++;
  self->data_bytes += length + 2;
  if (self->data_lines > self->limits.max_lines)
    return fail (self, error,
                 _("The POP3 server sent a reply of more than %u lines."),
                 self->limits.max_lines);
  if (self->data_bytes > self->limits.max_multiline)
    return fail (self, error,
                 _("The POP3 server sent a reply larger than %zu MB, the limit "
                   "for one message."),
                 self->limits.max_multiline / (1024 * 1024));

  /* A line starting with a dot had the dot doubled by the server. */
  if (length > 0 && line[0] == '.')
    {
      line++;
      length--;
    }
  event->kind = PIGEON_POP3_EVENT_DATA;
  event->text = line;
  event->length = length;
  return TRUE;
}

gboolean
pigeon_pop3_parser_feed_line (PigeonPop3Parser *self,
                              const char       *line,
                              gsize             length,
                              PigeonPop3Event  *event,
                              GError          **error)
{
  PigeonPop3ReplyKind kind;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  memset (event, 0, sizeof *event);
  if (self->failed)
    return fail (self, error, _("The POP3 connection is unusable after an earlier error."));

  if (self->in_data)
    return feed_data_line (self, line, length, event, error);

  if (length > self->limits.max_status_line)
    return fail (self, error,
                 _("The POP3 server sent a status line of %zu bytes, more "
                   "than the limit of %zu."),
                 length, self->limits.max_status_line);

  if (pigeon_pop3_parser_get_expected (self) == 0)
    {
      g_autofree char *quoted = quote_line (line, length);

      return fail (self, error,
                   _("The POP3 server sent a reply to no command (“%s”)."), quoted);
    }
  kind = g_array_index (self->expected, guint8, self->head);
  event->reply = kind;

  if (has_prefix_ci (line, length, "+OK"))
    {
      event->kind = PIGEON_POP3_EVENT_OK;
      split_code (self, line + 3, length - 3, event);
      if (kind == PIGEON_POP3_REPLY_MULTI)
        {
          self->in_data = TRUE;
          self->data_bytes = 0;
          self->data_lines = 0;
        }
      else
        {
          pop_expected (self);
        }
      return TRUE;
    }

  if (has_prefix_ci (line, length, "-ERR"))
    {
      event->kind = PIGEON_POP3_EVENT_ERR;
      split_code (self, line + 4, length - 4, event);
      pop_expected (self);
      return TRUE;
    }

  if (kind == PIGEON_POP3_REPLY_SASL && length >= 1 && line[0] == '+' &&
      (length == 1 || line[1] == ' '))
    {
      event->kind = PIGEON_POP3_EVENT_CHALLENGE;
      event->text = length > 1 ? line + 2 : line + 1;
      event->length = length > 1 ? length - 2 : 0;
      return TRUE;
    }

  {
    g_autofree char *quoted = quote_line (line, length);

    return fail (self, error,
                 _("The POP3 server sent a reply that is neither +OK nor -ERR (“%s”)."),
                 quoted);
  }
}

gboolean
pigeon_pop3_parser_feed (PigeonPop3Parser    *self,
                         const guint8        *data,
                         gsize                length,
                         PigeonPop3EventFunc  func,
                         gpointer             user_data,
                         GError             **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  while (length > 0)
    {
      const guint8 *nl = memchr (data, '\n', length);
      gsize take = nl != NULL ? (gsize) (nl - data) : length;
      gsize limit = self->in_data ? self->limits.max_data_line : self->limits.max_status_line;
      gsize line_length;
      PigeonPop3Event event;

      /* A line over the limit fails before it is buffered whole: max + CR may still end. */
      if (self->partial->len + take > limit + 1)
        return fail (self, error,
                     _("The POP3 server sent a line longer than %zu bytes."),
                     limit);
      g_byte_array_append (self->partial, data, take);
      if (nl == NULL)
        return TRUE;
      data += take + 1;
      length -= take + 1;

      line_length = self->partial->len;
      if (line_length > 0 && self->partial->data[line_length - 1] == '\r')
        line_length--;
      g_byte_array_set_size (self->partial, line_length + 1);
      self->partial->data[line_length] = '\0';
      if (!pigeon_pop3_parser_feed_line (self, (const char *) self->partial->data, line_length,
                                         &event, error))
        return FALSE;
      g_byte_array_set_size (self->partial, 0);
      func (&event, user_data);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ reply contents */

static gboolean
parse_number (const char **p,
              guint64      max,
              guint64     *out)
{
  const char *s = *p;
  guint64 value = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;
  for (; g_ascii_isdigit (*s); s++)
    {
      guint digit = *s - '0';

      if (value > (max - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }
  *p = s;
  *out = value;
  return TRUE;
}

static const char *
skip_blanks (const char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

gboolean
pigeon_pop3_parse_listing (const char *text,
                           guint      *number,
                           guint64    *octets)
{
  const char *p;
  guint64 n, size;

  g_return_val_if_fail (text != NULL, FALSE);

  p = skip_blanks (text);
  if (!parse_number (&p, G_MAXUINT, &n))
    return FALSE;
  if (*p != ' ' && *p != '\t')
    return FALSE;
  p = skip_blanks (p);
  if (!parse_number (&p, G_MAXINT64, &size))
    return FALSE;
  if (*p != '\0' && *p != ' ' && *p != '\t')
    return FALSE;
  if (number != NULL)
    *number = n;
  if (octets != NULL)
    *octets = size;
  return TRUE;
}

gboolean
pigeon_pop3_parse_uidl (const char  *text,
                        guint       *number,
                        char       **uidl)
{
  const char *p, *start;
  guint64 n;

  g_return_val_if_fail (text != NULL, FALSE);

  p = skip_blanks (text);
  if (!parse_number (&p, G_MAXUINT, &n) || n == 0)
    return FALSE;
  if (*p != ' ' && *p != '\t')
    return FALSE;
  start = p = skip_blanks (p);
  while ((guchar) *p >= 0x21 && (guchar) *p <= 0x7e)
    p++;
  if (p == start || p - start > MAX_UIDL)
    return FALSE;
  if (*skip_blanks (p) != '\0')
    return FALSE;
  if (number != NULL)
    *number = n;
  if (uidl != NULL)
    *uidl = g_strndup (start, p - start);
  return TRUE;
}

char *
pigeon_pop3_parse_apop_timestamp (const char *greeting)
{
  const char *start, *end;
  gboolean at = FALSE;

  g_return_val_if_fail (greeting != NULL, NULL);

  start = strchr (greeting, '<');
  if (start == NULL)
    return NULL;
  for (end = start + 1; *end != '\0' && *end != '>'; end++)
    {
      guchar c = *end;

      if (c <= 0x20 || c >= 0x7f || c == '<' || end - start > MAX_APOP_TIMESTAMP)
        return NULL;
      if (c == '@')
        at = TRUE;
    }
  if (*end != '>' || !at || end == start + 1)
    return NULL;
  return g_strndup (start, end - start + 1);
}

PigeonPop3Capabilities *
pigeon_pop3_capabilities_new (void)
{
  PigeonPop3Capabilities *caps = g_new0 (PigeonPop3Capabilities, 1);

  caps->sasl = g_ptr_array_new_with_free_func (g_free);
  caps->expire_days = -1;
  return caps;
}

void
pigeon_pop3_capabilities_free (PigeonPop3Capabilities *caps)
{
  if (caps == NULL)
    return;
  g_ptr_array_unref (caps->sasl);
  g_free (caps->implementation);
  g_free (caps);
}

static gboolean
valid_mechanism (const char *name)
{
  gsize n = strlen (name);

  if (n == 0 || n > MAX_MECHANISM)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
add_mechanism (PigeonPop3Capabilities *caps,
               const char             *name)
{
  g_autofree char *upper = g_ascii_strup (name, -1);

  if (!valid_mechanism (upper) || caps->sasl->len >= MAX_MECHANISMS)
    return;
  for (guint i = 0; i < caps->sasl->len; i++)
    if (g_str_equal (g_ptr_array_index (caps->sasl, i), upper))
      return;
  g_ptr_array_add (caps->sasl, g_steal_pointer (&upper));
}

static guint
parse_seconds (const char *s)
{
  guint64 value;

  if (s == NULL || !parse_number (&s, G_MAXUINT, &value))
    return 0;
  return value;
}

void
pigeon_pop3_capabilities_add_line (PigeonPop3Capabilities *caps,
                                   const char             *line)
{
  g_auto(GStrv) words = NULL;
  const char *name;

  g_return_if_fail (caps != NULL);
  g_return_if_fail (line != NULL);

  words = g_strsplit_set (line, " \t", -1);
  name = words[0];
  if (name == NULL || *name == '\0')
    return;

  if (g_ascii_strcasecmp (name, "TOP") == 0)
    caps->flags |= PIGEON_POP3_CAPA_TOP;
  else if (g_ascii_strcasecmp (name, "USER") == 0)
    caps->flags |= PIGEON_POP3_CAPA_USER;
  else if (g_ascii_strcasecmp (name, "UIDL") == 0)
    caps->flags |= PIGEON_POP3_CAPA_UIDL;
  else if (g_ascii_strcasecmp (name, "PIPELINING") == 0)
    caps->flags |= PIGEON_POP3_CAPA_PIPELINING;
  else if (g_ascii_strcasecmp (name, "RESP-CODES") == 0)
    caps->flags |= PIGEON_POP3_CAPA_RESP_CODES;
  else if (g_ascii_strcasecmp (name, "AUTH-RESP-CODE") == 0)
    caps->flags |= PIGEON_POP3_CAPA_AUTH_RESP_CODE;
  else if (g_ascii_strcasecmp (name, "STLS") == 0)
    caps->flags |= PIGEON_POP3_CAPA_STLS;
  else if (g_ascii_strcasecmp (name, "SASL") == 0)
    {
      caps->flags |= PIGEON_POP3_CAPA_SASL;
      for (guint i = 1; words[i] != NULL; i++)
        if (*words[i] != '\0')
          add_mechanism (caps, words[i]);
    }
  else if (g_ascii_strcasecmp (name, "LOGIN-DELAY") == 0)
    {
      caps->flags |= PIGEON_POP3_CAPA_LOGIN_DELAY;
      caps->login_delay = parse_seconds (words[1]);
    }
  else if (g_ascii_strcasecmp (name, "EXPIRE") == 0)
    {
      guint64 days;
      const char *s = words[1];

      caps->flags |= PIGEON_POP3_CAPA_EXPIRE;
      if (s != NULL && parse_number (&s, G_MAXINT, &days))
        caps->expire_days = days;
      else
        caps->expire_days = -1;
    }
  else if (g_ascii_strcasecmp (name, "IMPLEMENTATION") == 0)
    {
      const char *rest = skip_blanks (line + strlen (name));

      g_free (caps->implementation);
      caps->implementation = g_utf8_make_valid (rest, MIN (strlen (rest), MAX_IMPLEMENTATION));
    }
}
