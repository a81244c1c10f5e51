/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-mime"

#include "config.h"

#include <string.h>

#include "pigeon-mime.h"

/*
 * HTML to plain text for the search index and previews.  Message HTML is hostile, so this
 * is a single forward scan: no recursion, no tree, every byte looked at a bounded number
 * of times, input and output capped.
 */

#define HTML_INPUT_LIMIT  (8 * 1024 * 1024)
#define HTML_OUTPUT_LIMIT (1024 * 1024)
#define TAG_NAME_MAX      16

typedef struct
{
  GString *out;
  guint    newlines;  /* line breaks owed before the next text */
  gboolean space;     /* a space owed before the next text */
  guint    pre;       /* inside <pre>: keep line breaks */
} HtmlText;

static void
want_newlines (HtmlText *t,
               guint     n)
{
  t->newlines = MAX (t->newlines, n);
}

static void
emit_char (HtmlText *t,
           gunichar  c)
{
  /* Invisible characters newsletters use to pad their hidden preheaders. */
  if (c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF || c == 0x034F ||
      c == 0x00AD || c == 0x2060)
    return;
  if (c == '\n' && t->pre > 0)
    {
      want_newlines (t, 1);
      return;
    }
  if (g_unichar_isspace (c) || c == 0x00A0)
    {
      t->space = TRUE;
      return;
    }
  if (c < 0x20 || (c >= 0x7F && c < 0xA0))
    return;

  if (t->out->len > 0)
    {
      if (t->newlines > 0)
        {
          for (guint i = 0; i < MIN (t->newlines, 2); i++)
            g_string_append_c (t->out, '\n');
        }
      else if (t->space)
        {
          g_string_append_c (t->out, ' ');
        }
    }
  t->newlines = 0;
  t->space = FALSE;
  g_string_append_unichar (t->out, c);
}

static const struct
{
  const char *name;
  gunichar    c;
} entities[] = {
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
  { "nbsp", 0x00A0 }, { "ensp", ' ' }, { "emsp", ' ' }, { "thinsp", ' ' },
  { "shy", 0x00AD }, { "zwnj", 0x200C }, { "zwj", 0x200D },
  { "copy", 0x00A9 }, { "reg", 0x00AE }, { "trade", 0x2122 }, { "hellip", 0x2026 },
  { "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
  { "ldquo", 0x201C }, { "rdquo", 0x201D }, { "sbquo", 0x201A }, { "bdquo", 0x201E },
  { "laquo", 0x00AB }, { "raquo", 0x00BB }, { "euro", 0x20AC }, { "pound", 0x00A3 },
  { "yen", 0x00A5 }, { "cent", 0x00A2 }, { "sect", 0x00A7 }, { "deg", 0x00B0 },
  { "plusmn", 0x00B1 }, { "times", 0x00D7 }, { "divide", 0x00F7 }, { "middot", 0x00B7 },
  { "bull", 0x2022 }, { "para", 0x00B6 }, { "iexcl", 0x00A1 }, { "iquest", 0x00BF },
  { "auml", 0x00E4 }, { "ouml", 0x00F6 }, { "uuml", 0x00FC }, { "Auml", 0x00C4 },
  { "Ouml", 0x00D6 }, { "Uuml", 0x00DC }, { "szlig", 0x00DF }, { "eacute", 0x00E9 },
  { "Eacute", 0x00C9 }, { "egrave", 0x00E8 }, { "ecirc", 0x00EA }, { "agrave", 0x00E0 },
  { "aacute", 0x00E1 }, { "acirc", 0x00E2 }, { "ccedil", 0x00E7 }, { "iacute", 0x00ED },
  { "oacute", 0x00F3 }, { "uacute", 0x00FA }, { "ntilde", 0x00F1 }, { "aring", 0x00E5 },
  { "Aring", 0x00C5 }, { "oslash", 0x00F8 }, { "aelig", 0x00E6 }, { "ocirc", 0x00F4 },
};

/* Decodes the entity at P ('&'); returns the bytes consumed, 0 when it is not one. */
static gsize
decode_entity (const char *p,
               gunichar   *out)
{
  const char *q = p + 1;
  char name[12];
  gsize n = 0;

  if (*q == '#')
    {
      guint64 value = 0;
      gboolean hex = FALSE;
      guint digits = 0;

      q++;
      if (*q == 'x' || *q == 'X')
        {
          hex = TRUE;
          q++;
        }
      while (digits < 8 && (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q)))
        {
          value = value * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value (*q)
                                                 : g_ascii_digit_value (*q));
          q++;
          digits++;
        }
      if (digits == 0)
        return 0;
      if (*q == ';')
        q++;
      if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        value = 0xFFFD;
      *out = (gunichar) value;
      return q - p;
    }

  while (n < sizeof name - 1 && g_ascii_isalnum (*q))
    name[n++] = *q++;
  name[n] = '\0';
  if (n == 0 || *q != ';')
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      if (strcmp (name, entities[i].name) == 0)
        {
          *out = entities[i].c;
          return q + 1 - p;
        }
    }
  return 0;
}

/* Elements whose content is never text for the reader. */
static gboolean
is_skipped_element (const char *name)
{
  static const char * const skipped[] = {
    "script", "style", "head", "title", "template", "noscript", "svg", "math", "object",
    "iframe", "textarea", "select",
  };

  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    {
      if (strcmp (name, skipped[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Line breaks an element stands for: 2 for paragraphs, 1 for lines, 0 for inline. */
static guint
element_breaks (const char *name)
{
  static const char * const paragraphs[] = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "dl", "pre",
  };
  static const char * const lines[] = {
    "br", "div", "li", "tr", "dt", "dd", "hr", "section", "article", "header", "footer",
    "address", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside",
    "center", "caption", "tbody", "thead", "tfoot", "body", "html",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paragraphs); i++)
    {
      if (strcmp (name, paragraphs[i]) == 0)
        return 2;
    }
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      if (strcmp (name, lines[i]) == 0)
        return 1;
    }
  return 0;
}

/* Where the element NAME that started before P ends: after its "</name…>", or END. */
static const char *
skip_element (const char *p,
              const char *end,
              const char *name)
{
  gsize len = strlen (name);

  while (p < end)
    {
      const char *lt = memchr (p, '<', end - p);

      if (lt == NULL)
        return end;
      if (lt + 1 < end && lt[1] == '/' && (gsize) (end - lt - 2) >= len &&
          g_ascii_strncasecmp (lt + 2, name, len) == 0 &&
          !g_ascii_isalnum (lt[2 + len]))
        {
          const char *gt = memchr (lt, '>', end - lt);

          return gt != NULL ? gt + 1 : end;
        }
      p = lt + 1;
    }
  return end;
}

/* After the tag that starts at START ('<'): quoted attribute values may hold '>'. */
static const char *
skip_tag (const char *start,
          const char *end)
{
  char quote = 0;

  for (const char *p = start + 1; p < end; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
        }
      else if (*p == '"' || *p == '\'')
        {
          /* Only a quote that opens an attribute value (after '=') counts. */
          const char *b = p - 1;

          while (b > start && g_ascii_isspace (*b))
            b--;
          if (*b == '=')
            quote = *p;
        }
      else if (*p == '>')
        {
          return p + 1;
        }
    }
  return end;
}

static const char *
handle_markup (HtmlText   *t,
               const char *p,
               const char *end)
{
  const char *q = p + 1;
  char name[TAG_NAME_MAX + 1];
  gboolean closing = FALSE;
  gsize n = 0;
  guint breaks;

  if (end - p >= 4 && strncmp (p, "<!--", 4) == 0)
    {
      const char *close = g_strstr_len (p + 4, end - p - 4, "-->");

      return close != NULL ? close + 3 : end;
    }
  if (*q == '!' || *q == '?')
    {
      const char *gt = memchr (q, '>', end - q);

      return gt != NULL ? gt + 1 : end;
    }
  if (*q == '/')
    {
      closing = TRUE;
      q++;
    }
  if (!g_ascii_isalpha (*q))
    return NULL;  /* a literal '<' */
  while (g_ascii_isalnum (*q))
    {
      if (n < TAG_NAME_MAX)
        name[n++] = g_ascii_tolower (*q);
      q++;
    }
  name[n] = '\0';

  p = skip_tag (p, end);
  if (!closing && is_skipped_element (name))
    return skip_element (p, end, name);

  if (strcmp (name, "pre") == 0)
    {
      if (closing && t->pre > 0)
        t->pre--;
      else if (!closing && t->pre < 1000)
        t->pre++;
    }
  if (strcmp (name, "td") == 0 || strcmp (name, "th") == 0)
    t->space = TRUE;
  breaks = element_breaks (name);
  if (breaks > 0)
    want_newlines (t, breaks);
  return p;
}

char *
pigeon_mime_html_to_text (const char *html)
{
  g_autofree char *valid = NULL;
  HtmlText t = { 0 };
  const char *p, *end;
  gsize len;

  if (html == NULL)
    return g_strdup ("");

  len = strnlen (html, HTML_INPUT_LIMIT);
  valid = g_utf8_make_valid (html, len);
  p = valid;
  end = valid + strlen (valid);
  t.out = g_string_sized_new (MIN (len, 4096));

  while (p < end && t.out->len < HTML_OUTPUT_LIMIT)
    {
      if (*p == '<')
        {
          const char *next = handle_markup (&t, p, end);

          if (next != NULL)
            {
              p = next;
              continue;
            }
        }
      else if (*p == '&')
        {
          gunichar c;
          gsize used = decode_entity (p, &c);

          if (used > 0)
            {
              emit_char (&t, c);
              p += used;
              continue;
            }
        }
      emit_char (&t, g_utf8_get_char (p));
      p = g_utf8_next_char (p);
    }

  return g_string_free (t.out, FALSE);
}
