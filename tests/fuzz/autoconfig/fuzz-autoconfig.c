/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: whatever a web server sends as an autoconfig file or an Autodiscover
 * answer, the parsers return settings or a PROTOCOL/NOT_FOUND error, within their limits. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>

#include "autoconfig-test-util.h"
#include "pigeon-autodiscover.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_result (PigeonAutoconfigResult *result)
{
  for (guint i = 0; i < result->incoming->len; i++)
    {
      PigeonAutoconfigServer *server = g_ptr_array_index (result->incoming, i);

      g_assert (server->protocol != NULL && server->host != NULL);
      g_assert (g_utf8_validate (server->host, -1, NULL));
    }
  g_assert (result->incoming->len <= 32 && result->outgoing->len <= 32);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gsize registered;
  static const TestPorts ports = { 993, 143, 995, 110, 465, 587 };
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = NULL;
  g_auto(GStrv) domains = NULL;

  if (g_once_init_enter (&registered))
    {
      test_providers_register (&ports);
      g_once_init_leave (&registered, 1);
    }

  result = pigeon_ispdb_parse (bytes, "fuzz@example.test", PIGEON_AUTOCONFIG_SOURCE_DOMAIN,
                               &error);
  if (result != NULL)
    check_result (result);
  else
    g_assert (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL));
  g_clear_error (&error);

  domains = pigeon_ispdb_parse_domains (bytes, &error);
  g_assert ((domains != NULL) == (error == NULL));
  g_clear_error (&error);

  reply = pigeon_autodiscover_parse (bytes, "fuzz@example.test", &error);
  if (reply != NULL && reply->result != NULL)
    check_result (reply->result);
  else if (reply != NULL)
    g_assert (reply->redirect != NULL);
  else
    g_assert (g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL) ||
              g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND));
  return 0;
}
