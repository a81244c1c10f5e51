/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: whatever a server sends, the IMAP parser answers with responses or a
 * PROTOCOL error, within its limits, and everything it returns can be walked. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>

#include "pigeon-imap-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
walk_value (const PigeonImapValue *value)
{
  gsize length;
  guint64 n;
  g_autofree char *s = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (value == NULL)
    return;
  pigeon_imap_value_get_string (value, &length);
  s = pigeon_imap_value_dup_string (value);
  bytes = pigeon_imap_value_dup_bytes (value);
  pigeon_imap_value_get_uint64 (value, &n);
  pigeon_imap_value_is_atom (value, "NIL");
  for (guint i = 0; i < pigeon_imap_value_get_n_items (value); i++)
    walk_value (pigeon_imap_value_get_item (value, i));
}

static void
response_cb (PigeonImapResponse *response,
             gpointer            user_data)
{
  guint *count = user_data;

  walk_value (response->args);
  walk_value (response->code_args);
  g_assert (response->kind != PIGEON_IMAP_RESPONSE_TAGGED || response->tag != NULL);
  g_assert (response->kind == PIGEON_IMAP_RESPONSE_CONTINUATION || response->name != NULL);
  (*count)++;
  pigeon_imap_response_free (response);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PigeonImapLimits limits;
  g_autoptr(PigeonImapParser) parser = NULL;
  gsize chunk;
  guint count = 0;

  /* Small limits so the fuzzer reaches them; the first byte picks how the stream is cut
   * into reads, as a socket would. */
  pigeon_imap_limits_init_default (&limits);
  limits.max_line = 4096;
  limits.max_literal = 65536;
  limits.max_response = 131072;
  limits.max_depth = 32;
  limits.max_values = 4096;
  if (size == 0)
    return 0;
  chunk = (gsize) data[0] + 1;
  data++;
  size--;

  parser = pigeon_imap_parser_new (&limits);
  while (size > 0)
    {
      gsize n = MIN (chunk, size);

      if (!pigeon_imap_parser_feed_bytes (parser, data, n, response_cb, &count, NULL))
        {
          /* The connection would be closed; a fresh one starts clean. */
          pigeon_imap_parser_reset (parser);
        }
      data += n;
      size -= n;
    }
  return 0;
}
