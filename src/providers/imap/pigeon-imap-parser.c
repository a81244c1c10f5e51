/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-parser.h"

struct _PigeonImapValue
{
  PigeonImapValueType type;
  gsize length;
  char *data;        /* atoms and quoted strings, NUL-terminated */
  GBytes *bytes;     /* literals */
  GPtrArray *items;  /* lists */
};

struct _PigeonImapParser
{
  PigeonImapLimits limits;
  PigeonImapResponse *response;  /* under construction */
  GPtrArray *stack;              /* open lists, borrowed; [0] is response->args */
  gboolean want_literal;
  gsize literal_size;
  gsize response_bytes;
  guint values;
  GByteArray *buffer;            /* feed_bytes: a partial line or literal */
};

/* ------------------------------------------------------------------ values */

static void
value_free (gpointer data)
{
  PigeonImapValue *value = data;

  if (value == NULL)
    return;
  g_free (value->data);
  g_clear_pointer (&value->bytes, g_bytes_unref);
  g_clear_pointer (&value->items, g_ptr_array_unref);
  g_free (value);
}

static PigeonImapValue *
value_new (PigeonImapValueType type)
{
  PigeonImapValue *value = g_new0 (PigeonImapValue, 1);

  value->type = type;
  if (type == PIGEON_IMAP_VALUE_LIST)
    value->items = g_ptr_array_new_with_free_func (value_free);
  return value;
}

PigeonImapValueType
pigeon_imap_value_get_value_type (const PigeonImapValue *value)
{
  g_return_val_if_fail (value != NULL, PIGEON_IMAP_VALUE_NIL);
  return value->type;
}

gboolean
pigeon_imap_value_is_nil (const PigeonImapValue *value)
{
  return value != NULL && value->type == PIGEON_IMAP_VALUE_NIL;
}

gboolean
pigeon_imap_value_is_list (const PigeonImapValue *value)
{
  return value != NULL && value->type == PIGEON_IMAP_VALUE_LIST;
}

const char *
pigeon_imap_value_get_atom (const PigeonImapValue *value)
{
  if (value == NULL || value->type != PIGEON_IMAP_VALUE_ATOM)
    return NULL;
  return value->data;
}

gboolean
pigeon_imap_value_is_atom (const PigeonImapValue *value,
                           const char            *word)
{
  const char *atom = pigeon_imap_value_get_atom (value);

  return atom != NULL && g_ascii_strcasecmp (atom, word) == 0;
}

const char *
pigeon_imap_value_get_string (const PigeonImapValue *value,
                              gsize                 *length)
{
  if (value == NULL ||
      (value->type != PIGEON_IMAP_VALUE_STRING && value->type != PIGEON_IMAP_VALUE_ATOM))
    {
      if (length != NULL)
        *length = 0;
      return NULL;
    }
  if (value->bytes != NULL)
    {
      gsize size;
      const char *data = g_bytes_get_data (value->bytes, &size);

      if (length != NULL)
        *length = size;
      return data != NULL ? data : "";
    }
  if (length != NULL)
    *length = value->length;
  return value->data;
}

char *
pigeon_imap_value_dup_string (const PigeonImapValue *value)
{
  gsize length;
  const char *data = pigeon_imap_value_get_string (value, &length);

  if (data == NULL || memchr (data, '\0', length) != NULL)
    return NULL;
  return g_strndup (data, length);
}

GBytes *
pigeon_imap_value_dup_bytes (const PigeonImapValue *value)
{
  gsize length;
  const char *data;

  if (value != NULL && value->bytes != NULL)
    return g_bytes_ref (value->bytes);
  data = pigeon_imap_value_get_string (value, &length);
  if (data == NULL)
    return NULL;
  return g_bytes_new (data, length);
}

gboolean
pigeon_imap_value_get_uint64 (const PigeonImapValue *value,
                              guint64               *out)
{
  const char *atom = pigeon_imap_value_get_atom (value);
  guint64 n = 0;

  if (atom == NULL || *atom == '\0')
    return FALSE;
  for (const char *p = atom; *p; p++)
    {
      if (!g_ascii_isdigit (*p) || n > (G_MAXUINT64 - (guint64) (*p - '0')) / 10)
        return FALSE;
      n = n * 10 + (guint64) (*p - '0');
    }
  *out = n;
  return TRUE;
}

gboolean
pigeon_imap_value_get_uint32 (const PigeonImapValue *value,
                              guint32               *out)
{
  guint64 n;

  if (!pigeon_imap_value_get_uint64 (value, &n) || n > G_MAXUINT32)
    return FALSE;
  *out = (guint32) n;
  return TRUE;
}

guint
pigeon_imap_value_get_n_items (const PigeonImapValue *value)
{
  if (value == NULL || value->type != PIGEON_IMAP_VALUE_LIST)
    return 0;
  return value->items->len;
}

PigeonImapValue *
pigeon_imap_value_get_item (const PigeonImapValue *value,
                            guint                  index)
{
  if (value == NULL || value->type != PIGEON_IMAP_VALUE_LIST || index >= value->items->len)
    return NULL;
  return g_ptr_array_index (value->items, index);
}

/* ------------------------------------------------------------------ responses */

void
pigeon_imap_response_free (PigeonImapResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->tag);
  g_free (response->name);
  g_free (response->code);
  g_free (response->code_text);
  value_free (response->code_args);
  g_free (response->text);
  value_free (response->args);
  g_free (response);
}

PigeonImapValue *
pigeon_imap_response_get_arg (const PigeonImapResponse *response,
                              guint                     index)
{
  g_return_val_if_fail (response != NULL, NULL);
  return pigeon_imap_value_get_item (response->args, index);
}

guint
pigeon_imap_response_get_n_args (const PigeonImapResponse *response)
{
  g_return_val_if_fail (response != NULL, 0);
  return pigeon_imap_value_get_n_items (response->args);
}

/* ------------------------------------------------------------------ parser */

void
pigeon_imap_limits_init_default (PigeonImapLimits *limits)
{
  limits->max_line = 8 * 1024 * 1024;
  limits->max_literal = 256 * 1024 * 1024;
  limits->max_response = 512 * 1024 * 1024;
  limits->max_depth = 128;
  limits->max_values = 2 * 1000 * 1000;
}

PigeonImapParser *
pigeon_imap_parser_new (const PigeonImapLimits *limits)
{
  PigeonImapParser *parser = g_new0 (PigeonImapParser, 1);

  if (limits != NULL)
    parser->limits = *limits;
  else
    pigeon_imap_limits_init_default (&parser->limits);
  parser->stack = g_ptr_array_new ();
  parser->buffer = g_byte_array_new ();
  return parser;
}

void
pigeon_imap_parser_free (PigeonImapParser *parser)
{
  if (parser == NULL)
    return;
  pigeon_imap_parser_reset (parser);
  g_ptr_array_unref (parser->stack);
  g_byte_array_unref (parser->buffer);
  g_free (parser);
}

const PigeonImapLimits *
pigeon_imap_parser_get_limits (PigeonImapParser *parser)
{
  return &parser->limits;
}

void
pigeon_imap_parser_reset (PigeonImapParser *parser)
{
  g_clear_pointer (&parser->response, pigeon_imap_response_free);
  g_ptr_array_set_size (parser->stack, 0);
  parser->want_literal = FALSE;
  parser->literal_size = 0;
  parser->response_bytes = 0;
  parser->values = 0;
  g_byte_array_set_size (parser->buffer, 0);
}

static PigeonImapParseResult
fail (PigeonImapParser *parser,
      GError          **error,
      const char       *why)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("The server sent a reply Pigeon cannot read (%s)."), why);
  pigeon_imap_parser_reset (parser);
  return PIGEON_IMAP_PARSE_ERROR;
}

/* Atom characters as servers really send them: anything printable except the list,
 * string and literal delimiters.  "]" ends an atom only inside a response code. */
static inline gboolean
is_atom_char (guchar c,
              gboolean in_code)
{
  if (c <= 0x20 || c == 0x7f)
    return FALSE;
  switch (c)
    {
    case '(':
    case ')':
    case '"':
      return FALSE;
    case ']':
      return !in_code;
    default:
      return TRUE;
    }
}

static gboolean
add_value (PigeonImapParser *parser,
           PigeonImapValue  *value,
           GError          **error)
{
  PigeonImapValue *top = g_ptr_array_index (parser->stack, parser->stack->len - 1);

  g_ptr_array_add (top->items, value);
  if (++parser->values > parser->limits.max_values)
    {
      fail (parser, error, _("too many values in one response"));
      return FALSE;
    }
  return TRUE;
}

static PigeonImapValue *
make_atom (const char *start,
           gsize       length)
{
  PigeonImapValue *value;

  if (length == 3 && g_ascii_strncasecmp (start, "NIL", 3) == 0)
    return value_new (PIGEON_IMAP_VALUE_NIL);
  value = value_new (PIGEON_IMAP_VALUE_ATOM);
  value->data = g_strndup (start, length);
  value->length = length;
  return value;
}

/* A quoted string starting at line[*pos] == '"'. */
static PigeonImapValue *
parse_quoted (PigeonImapParser *parser,
              const char       *line,
              gsize             length,
              gsize            *pos,
              GError          **error)
{
  GString *out = g_string_new (NULL);
  gsize i = *pos + 1;
  PigeonImapValue *value;

  for (;;)
    {
      char c;

      if (i >= length)
        {
          g_string_free (out, TRUE);
          fail (parser, error, _("a quoted string does not end"));
          return NULL;
        }
      c = line[i++];
      if (c == '"')
        break;
      if (c == '\\' && i < length && (line[i] == '"' || line[i] == '\\'))
        c = line[i++];
      g_string_append_c (out, c);
    }
  *pos = i;
  value = value_new (PIGEON_IMAP_VALUE_STRING);
  value->length = out->len;
  value->data = g_string_free (out, FALSE);
  return value;
}

/* "{N}", "{N+}" or "~{N}" at line[*pos], which must end the line. */
static gboolean
parse_literal_announcement (PigeonImapParser *parser,
                            const char       *line,
                            gsize             length,
                            gsize             pos,
                            GError          **error)
{
  guint64 size = 0;
  gsize digits = 0;

  if (line[pos] == '~')
    pos++;
  pos++;  /* '{' */
  while (pos < length && g_ascii_isdigit (line[pos]))
    {
      size = size * 10 + (guint64) (line[pos++] - '0');
      if (++digits > 18)
        break;
    }
  if (pos < length && line[pos] == '+')
    pos++;
  if (digits == 0 || digits > 18 || pos >= length || line[pos] != '}' || pos + 1 != length)
    {
      fail (parser, error, _("a malformed literal"));
      return FALSE;
    }
  if (size > parser->limits.max_literal)
    {
      fail (parser, error, _("a literal over the size limit"));
      return FALSE;
    }
  if (size > parser->limits.max_response - parser->response_bytes)
    {
      fail (parser, error, _("a response over the size limit"));
      return FALSE;
    }
  parser->want_literal = TRUE;
  parser->literal_size = (gsize) size;
  return TRUE;
}

/* Reads values from line[*pos] into the open lists until the line ends, a literal is
 * announced, or (IN_CODE, at the base level) a "]" closes a response code. */
static PigeonImapParseResult
tokenize (PigeonImapParser *parser,
          const char       *line,
          gsize             length,
          gsize            *pos,
          guint             base,
          gboolean          in_code,
          GError          **error)
{
  gsize i = *pos;

  for (;;)
    {
      guchar c;

      while (i < length && line[i] == ' ')
        i++;
      if (i >= length)
        break;
      c = (guchar) line[i];

      if (in_code && c == ']' && parser->stack->len == base)
        break;

      if (c == '(')
        {
          PigeonImapValue *list = value_new (PIGEON_IMAP_VALUE_LIST);

          if (!add_value (parser, list, error))
            return PIGEON_IMAP_PARSE_ERROR;
          if (parser->stack->len > parser->limits.max_depth)
            return fail (parser, error, _("lists nested too deeply"));
          g_ptr_array_add (parser->stack, list);
          i++;
        }
      else if (c == ')')
        {
          if (parser->stack->len <= base)
            return fail (parser, error, _("an unexpected “)”"));
          g_ptr_array_set_size (parser->stack, parser->stack->len - 1);
          i++;
        }
      else if (c == '"')
        {
          PigeonImapValue *value = parse_quoted (parser, line, length, &i, error);

          if (value == NULL || !add_value (parser, value, error))
            return PIGEON_IMAP_PARSE_ERROR;
        }
      else if (c == '{' || (c == '~' && i + 1 < length && line[i + 1] == '{'))
        {
          if (in_code)
            return fail (parser, error, _("a literal inside a response code"));
          if (!parse_literal_announcement (parser, line, length, i, error))
            return PIGEON_IMAP_PARSE_ERROR;
          *pos = length;
          return PIGEON_IMAP_PARSE_NEED_LITERAL;
        }
      else if (is_atom_char (c, in_code))
        {
          gsize start = i;

          while (i < length && is_atom_char ((guchar) line[i], in_code))
            {
              if (line[i] == '[' && !in_code)
                {
                  /* A section, "BODY[HEADER.FIELDS (DATE FROM)]": spaces and parentheses
                   * belong to the atom up to the closing bracket. */
                  const char *close = memchr (line + i, ']', length - i);

                  if (close == NULL)
                    return fail (parser, error, _("a “[” without “]”"));
                  i = (gsize) (close - line) + 1;
                }
              else
                i++;
            }
          if (!add_value (parser, make_atom (line + start, i - start), error))
            return PIGEON_IMAP_PARSE_ERROR;
        }
      else
        return fail (parser, error, _("an unexpected character"));
    }
  *pos = i;
  return PIGEON_IMAP_PARSE_NEED_LINE;
}

/* The response code "[CODE args]" at line[*pos] == '['.  A code we cannot tokenize keeps
 * its raw text only. */
static void
parse_code (PigeonImapParser   *parser,
            PigeonImapResponse *response,
            const char         *line,
            gsize               length,
            gsize              *pos)
{
  gsize i = *pos + 1;
  gsize start = i;
  gsize args_start;
  const char *close;
  PigeonImapValue *args;

  while (i < length && is_atom_char ((guchar) line[i], TRUE))
    i++;
  if (i == start || i >= length || (line[i] != ' ' && line[i] != ']'))
    {
      /* Not a response code after all: leave it to the text. */
      return;
    }
  response->code = g_ascii_strup (line + start, (gssize) (i - start));
  if (line[i] == ']')
    {
      response->code_text = g_strdup ("");
      response->code_args = value_new (PIGEON_IMAP_VALUE_LIST);
      *pos = i + 1;
      return;
    }

  args_start = ++i;
  args = value_new (PIGEON_IMAP_VALUE_LIST);
  g_ptr_array_set_size (parser->stack, 0);
  g_ptr_array_add (parser->stack, args);
  if (tokenize (parser, line, length, &i, 1, TRUE, NULL) == PIGEON_IMAP_PARSE_NEED_LINE &&
      i < length && line[i] == ']')
    {
      response->code_args = args;
      response->code_text = g_strndup (line + args_start, i - args_start);
      *pos = i + 1;
      g_ptr_array_set_size (parser->stack, 0);
      return;
    }
  /* On failure tokenize() reset the parser, which owns nothing at this point (the
   * response is the caller's until the line is done). */
  value_free (args);
  g_ptr_array_set_size (parser->stack, 0);

  close = memchr (line + args_start, ']', length - args_start);
  if (close == NULL)
    {
      g_clear_pointer (&response->code, g_free);
      return;
    }
  response->code_text = g_strndup (line + args_start, (gsize) (close - line) - args_start);
  *pos = (gsize) (close - line) + 1;
}

static void
parse_resp_text (PigeonImapParser   *parser,
                 PigeonImapResponse *response,
                 const char         *line,
                 gsize               length,
                 gsize               pos)
{
  if (pos < length && line[pos] == ' ')
    pos++;
  if (pos < length && line[pos] == '[')
    {
      parse_code (parser, response, line, length, &pos);
      if (pos < length && line[pos] == ' ')
        pos++;
    }
  response->text = g_strndup (line + pos, length - pos);
}

static PigeonImapStatus
status_from_name (const char *name)
{
  static const struct { const char *name; PigeonImapStatus status; } table[] = {
    { "OK", PIGEON_IMAP_STATUS_OK },
    { "NO", PIGEON_IMAP_STATUS_NO },
    { "BAD", PIGEON_IMAP_STATUS_BAD },
    { "BYE", PIGEON_IMAP_STATUS_BYE },
    { "PREAUTH", PIGEON_IMAP_STATUS_PREAUTH },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (name, table[i].name) == 0)
      return table[i].status;
  return PIGEON_IMAP_STATUS_NONE;
}

/* A tag or response name at line[*pos]: atom characters up to the first other one;
 * FALSE when there are none. */
static gboolean
read_word (const char *line,
           gsize       length,
           gsize      *pos,
           gsize      *start)
{
  gsize i = *pos;

  *start = i;
  while (i < length && is_atom_char ((guchar) line[i], TRUE) && line[i] != '{' &&
         line[i] != '[')
    i++;
  *pos = i;
  return i > *start;
}

static PigeonImapParseResult
parse_first_line (PigeonImapParser *parser,
                  const char       *line,
                  gsize             length,
                  GError          **error)
{
  g_autoptr(PigeonImapResponse) response = g_new0 (PigeonImapResponse, 1);
  gsize pos = 0;
  gsize start;
  PigeonImapParseResult result;

  if (length == 0)
    return fail (parser, error, _("an empty line"));

  if (line[0] == '+')
    {
      response->kind = PIGEON_IMAP_RESPONSE_CONTINUATION;
      pos = (length > 1 && line[1] == ' ') ? 2 : 1;
      response->text = g_strndup (line + pos, length - pos);
      parser->response = g_steal_pointer (&response);
      return PIGEON_IMAP_PARSE_COMPLETE;
    }

  if (line[0] == '*')
    {
      response->kind = PIGEON_IMAP_RESPONSE_UNTAGGED;
      pos = 1;
    }
  else
    {
      response->kind = PIGEON_IMAP_RESPONSE_TAGGED;
      if (!read_word (line, length, &pos, &start))
        return fail (parser, error, _("a malformed tag"));
      response->tag = g_strndup (line + start, pos - start);
    }
  if (pos >= length || line[pos] != ' ')
    return fail (parser, error, _("a response without a name"));
  pos++;

  if (!read_word (line, length, &pos, &start))
    return fail (parser, error, _("a malformed response name"));
  if (response->kind == PIGEON_IMAP_RESPONSE_UNTAGGED && g_ascii_isdigit (line[start]))
    {
      guint64 n = 0;

      for (gsize i = start; i < pos; i++)
        {
          if (!g_ascii_isdigit (line[i]) || (n = n * 10 + (guint64) (line[i] - '0')) > G_MAXUINT32)
            return fail (parser, error, _("a malformed message number"));
        }
      response->has_number = TRUE;
      response->number = (guint32) n;
      if (pos >= length || line[pos] != ' ')
        return fail (parser, error, _("a number without a name"));
      pos++;
      if (!read_word (line, length, &pos, &start))
        return fail (parser, error, _("a malformed response name"));
    }
  response->name = g_ascii_strup (line + start, (gssize) (pos - start));
  response->status = status_from_name (response->name);

  if (response->kind == PIGEON_IMAP_RESPONSE_TAGGED &&
      response->status != PIGEON_IMAP_STATUS_OK && response->status != PIGEON_IMAP_STATUS_NO &&
      response->status != PIGEON_IMAP_STATUS_BAD)
    return fail (parser, error, _("a tagged response that is not OK, NO or BAD"));

  if (response->status != PIGEON_IMAP_STATUS_NONE)
    {
      if (response->has_number)
        return fail (parser, error, _("a numbered status response"));
      parse_resp_text (parser, response, line, length, pos);
      parser->response = g_steal_pointer (&response);
      return PIGEON_IMAP_PARSE_COMPLETE;
    }

  response->args = value_new (PIGEON_IMAP_VALUE_LIST);
  parser->response = g_steal_pointer (&response);
  g_ptr_array_add (parser->stack, parser->response->args);
  result = tokenize (parser, line, length, &pos, 1, FALSE, error);
  if (result == PIGEON_IMAP_PARSE_NEED_LINE)
    {
      if (parser->stack->len > 1)
        return fail (parser, error, _("a list that does not end"));
      return PIGEON_IMAP_PARSE_COMPLETE;
    }
  return result;
}

PigeonImapParseResult
pigeon_imap_parser_feed_line (PigeonImapParser  *parser,
                              const char        *line,
                              gsize              length,
                              GError           **error)
{
  PigeonImapParseResult result;
  gsize pos = 0;

  g_return_val_if_fail (parser != NULL, PIGEON_IMAP_PARSE_ERROR);
  g_return_val_if_fail (!parser->want_literal, PIGEON_IMAP_PARSE_ERROR);

  if (length > parser->limits.max_line)
    return fail (parser, error, _("a line over the length limit"));
  if (length + 2 > parser->limits.max_response - parser->response_bytes)
    return fail (parser, error, _("a response over the size limit"));
  parser->response_bytes += length + 2;
  if (memchr (line, '\0', length) != NULL)
    return fail (parser, error, _("a NUL byte in a line"));

  if (parser->response == NULL)
    return parse_first_line (parser, line, length, error);

  /* The rest of a response, after a literal. */
  result = tokenize (parser, line, length, &pos, 1, FALSE, error);
  if (result == PIGEON_IMAP_PARSE_NEED_LINE)
    {
      if (parser->stack->len > 1)
        return fail (parser, error, _("a list that does not end"));
      return PIGEON_IMAP_PARSE_COMPLETE;
    }
  return result;
}

gsize
pigeon_imap_parser_get_literal_size (PigeonImapParser *parser)
{
  g_return_val_if_fail (parser != NULL, 0);
  return parser->want_literal ? parser->literal_size : 0;
}

PigeonImapParseResult
pigeon_imap_parser_feed_literal (PigeonImapParser  *parser,
                                 GBytes            *bytes,
                                 GError           **error)
{
  PigeonImapValue *value;

  g_return_val_if_fail (parser != NULL, PIGEON_IMAP_PARSE_ERROR);
  g_return_val_if_fail (parser->want_literal, PIGEON_IMAP_PARSE_ERROR);
  g_return_val_if_fail (bytes != NULL, PIGEON_IMAP_PARSE_ERROR);

  if (g_bytes_get_size (bytes) != parser->literal_size)
    return fail (parser, error, _("a literal of the wrong size"));
  parser->want_literal = FALSE;
  parser->response_bytes += parser->literal_size;

  value = value_new (PIGEON_IMAP_VALUE_STRING);
  value->bytes = g_bytes_ref (bytes);
  value->length = parser->literal_size;
  if (!add_value (parser, value, error))
    return PIGEON_IMAP_PARSE_ERROR;
  return PIGEON_IMAP_PARSE_NEED_LINE;
}

PigeonImapResponse *
pigeon_imap_parser_steal_response (PigeonImapParser *parser)
{
  PigeonImapResponse *response;

  g_return_val_if_fail (parser != NULL, NULL);
  g_return_val_if_fail (!parser->want_literal, NULL);

  response = g_steal_pointer (&parser->response);
  g_ptr_array_set_size (parser->stack, 0);
  parser->response_bytes = 0;
  parser->values = 0;
  return response;
}

/* ------------------------------------------------------------------ byte stream framing */

static gboolean
handle_result (PigeonImapParser       *parser,
               PigeonImapParseResult   result,
               PigeonImapResponseFunc  func,
               gpointer                user_data)
{
  if (result == PIGEON_IMAP_PARSE_ERROR)
    return FALSE;
  if (result == PIGEON_IMAP_PARSE_COMPLETE)
    func (pigeon_imap_parser_steal_response (parser), user_data);
  return TRUE;
}

gboolean
pigeon_imap_parser_feed_bytes (PigeonImapParser       *parser,
                               const guint8           *data,
                               gsize                   length,
                               PigeonImapResponseFunc  func,
                               gpointer                user_data,
                               GError                **error)
{
  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  while (length > 0)
    {
      PigeonImapParseResult result;

      if (parser->want_literal)
        {
          gsize take = MIN (length, parser->literal_size - parser->buffer->len);
          g_autoptr(GBytes) literal = NULL;

          g_byte_array_append (parser->buffer, data, (guint) take);
          data += take;
          length -= take;
          if (parser->buffer->len < parser->literal_size)
            break;
          literal = g_byte_array_free_to_bytes (g_steal_pointer (&parser->buffer));
          parser->buffer = g_byte_array_new ();
          result = pigeon_imap_parser_feed_literal (parser, literal, error);
        }
      else
        {
          const guint8 *eol = memchr (data, '\n', length);
          gsize take = eol != NULL ? (gsize) (eol - data) : length;
          gsize line_length;

          /* +1: the CR before the LF is not part of the line. */
          if (parser->buffer->len + take > parser->limits.max_line + 1)
            {
              fail (parser, error, _("a line over the length limit"));
              return FALSE;
            }
          g_byte_array_append (parser->buffer, data, (guint) take);
          if (eol == NULL)
            break;
          data += take + 1;
          length -= take + 1;

          line_length = parser->buffer->len;
          if (line_length > 0 && parser->buffer->data[line_length - 1] == '\r')
            line_length--;
          result = pigeon_imap_parser_feed_line (parser, (const char *) parser->buffer->data,
                                                 line_length, error);
          g_byte_array_set_size (parser->buffer, 0);
        }
      if (!handle_result (parser, result, func, user_data))
        return FALSE;
    }
  return TRUE;
}
