/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: whatever a server sends, the POP3 parser reports events or a PROTOCOL
 * error, within its limits, and the reply-content parsers take every line it hands out. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pigeon-pop3-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  PigeonPop3Parser *parser;
  guint32 state;  /* picks the kind of each reply announced */
  PigeonPop3Capabilities *caps;
} Fuzz;

static PigeonPop3ReplyKind
next_kind (Fuzz *f)
{
  f->state = f->state * 1103515245 + 12345;
  return (PigeonPop3ReplyKind) ((f->state >> 16) % 3);
}

/* Keeps a few replies announced, as a pipelining client would. */
static void
top_up (Fuzz *f)
{
  while (pigeon_pop3_parser_get_expected (f->parser) < 4)
    g_assert (pigeon_pop3_parser_expect (f->parser, next_kind (f), NULL));
}

static void
event_cb (const PigeonPop3Event *event,
          gpointer               user_data)
{
  Fuzz *f = user_data;
  g_autofree char *text = NULL;
  g_autofree char *uidl = NULL;
  g_autofree char *stamp = NULL;
  guint number;
  guint64 octets;

  g_assert (event->kind != PIGEON_POP3_EVENT_NONE);
  g_assert (event->text != NULL || event->length == 0);
  g_assert (event->kind == PIGEON_POP3_EVENT_OK || event->kind == PIGEON_POP3_EVENT_ERR ||
            event->code == NULL);
  if (event->code != NULL)
    g_assert (*event->code != '\0' && strlen (event->code) <= 64);

  text = g_strndup (event->text != NULL ? event->text : "", event->length);
  pigeon_pop3_parse_listing (text, &number, &octets);
  if (pigeon_pop3_parse_uidl (text, &number, &uidl))
    g_assert (number > 0 && *uidl != '\0' && strchr (uidl, ' ') == NULL);
  stamp = pigeon_pop3_parse_apop_timestamp (text);
  if (stamp != NULL)
    g_assert (stamp[0] == '<' && strchr (stamp, '@') != NULL);
  pigeon_pop3_capabilities_add_line (f->caps, text);
  g_assert (f->caps->sasl->len <= 32);

  top_up (f);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PigeonPop3Limits limits;
  g_autoptr(PigeonPop3Parser) parser = NULL;
  g_autoptr(PigeonPop3Capabilities) caps = pigeon_pop3_capabilities_new ();
  Fuzz f;
  gsize chunk;

  /* Small limits so the fuzzer reaches them; the first byte picks how the stream is cut
   * into reads, the second how the replies are announced. */
  if (size < 2)
    return 0;
  pigeon_pop3_limits_init_default (&limits);
  limits.max_status_line = 512;
  limits.max_data_line = 2048;
  limits.max_multiline = 16384;
  limits.max_lines = 256;
  limits.max_expected = 8;
  chunk = (gsize) data[0] + 1;
  parser = pigeon_pop3_parser_new (&limits);
  f.parser = parser;
  f.state = data[1];
  f.caps = caps;
  data += 2;
  size -= 2;

  top_up (&f);
  while (size > 0)
    {
      gsize n = MIN (chunk, size);

      if (!pigeon_pop3_parser_feed (parser, data, n, event_cb, &f, NULL))
        {
          /* The connection would be closed; a fresh one starts clean. */
          pigeon_pop3_parser_reset (parser);
          top_up (&f);
        }
      data += n;
      size -= n;
    }
  return 0;
}
