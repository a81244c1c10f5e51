/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: FETCH responses from a hostile server turned into message rows
 * (envelope, addresses, encoded words, dates, BODYSTRUCTURE) never crash or leak. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>

#include "pigeon-imap-fetch.h"
#include "pigeon-mime.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
response_cb (PigeonImapResponse *response,
             gpointer            user_data)
{
  PigeonImapFetch fetch;

  if (pigeon_imap_fetch_parse (response, &fetch))
    {
      g_autoptr(PigeonMessage) message = pigeon_imap_fetch_to_message (&fetch, 1);

      if (fetch.bodystructure != NULL)
        pigeon_imap_bodystructure_has_attachments (fetch.bodystructure);
      if (message != NULL)
        g_assert (message->subject == NULL || g_utf8_validate (message->subject, -1, NULL));
    }
  pigeon_imap_response_free (response);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PigeonImapLimits limits;
  g_autoptr(PigeonImapParser) parser = NULL;

  pigeon_mime_init ();
  pigeon_imap_limits_init_default (&limits);
  limits.max_line = 65536;
  limits.max_literal = 65536;
  limits.max_response = 262144;
  limits.max_depth = 64;
  limits.max_values = 16384;
  parser = pigeon_imap_parser_new (&limits);
  pigeon_imap_parser_feed_bytes (parser, data, size, response_cb, NULL, NULL);
  return 0;
}
