/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: whatever a server sends, the SMTP reply parser answers with replies or
 * a PROTOCOL error within its bounds, and every reply it returns can be shown to a person
 * and read as an EHLO answer. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pigeon-smtp-reply.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  const uint8_t *end = data + size;

  /* One line at a time, as PigeonConnection hands them over (without CR LF). */
  while (data < end)
    {
      const uint8_t *nl = memchr (data, '\n', end - data);
      const uint8_t *line_end = nl != NULL ? nl : end;
      gsize length = line_end - data;
      PigeonSmtpReply *reply = NULL;
      g_autoptr(GError) error = NULL;

      if (length > 0 && data[length - 1] == '\r')
        length--;
      if (!pigeon_smtp_reply_parser_feed (parser, (const char *) data, length, "fuzz", &reply,
                                          &error))
        {
          g_assert (error != NULL && reply == NULL);
          /* The connection would be closed; a fresh one starts clean. */
          pigeon_smtp_reply_parser_reset (parser);
        }
      else if (reply != NULL)
        {
          g_autofree char *text = pigeon_smtp_reply_dup_text (reply);
          g_autoptr(PigeonSmtpCaps) caps = pigeon_smtp_caps_parse (reply);

          g_assert (g_utf8_validate (text, -1, NULL));
          g_assert (reply->code >= 200 && reply->code <= 599);
          g_assert (reply->lines->len >= 1 && reply->lines->len <= PIGEON_SMTP_MAX_LINES);
          g_assert (caps->auth != NULL);
          pigeon_smtp_reply_free (reply);
        }
      data = nl != NULL ? nl + 1 : end;
    }
  return 0;
}
