/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include "pigeon-imap-utf7.h"

static const struct { const char *wire; const char *utf8; } pairs[] = {
  { "INBOX", "INBOX" },
  { "Entw&APw-rfe", "Entwürfe" },
  { "&AMQ-rger & Co", NULL },  /* a bare "&" is not valid modified UTF-7 */
  { "Tom &- Jerry", "Tom & Jerry" },
  { "&ZeVnLIqe-", "日本語" },
  { "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語" },
  { "&2D3eAA-", "😀" },
  { "Gel&APY-schte Elemente", "Gelöschte Elemente" },
};

static void
test_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *decoded = pigeon_imap_utf7_decode (pairs[i].wire);

      g_assert_cmpstr (decoded, ==, pairs[i].utf8);
    }
}

static void
test_encode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *encoded = NULL;

      if (pairs[i].utf8 == NULL)
        continue;
      encoded = pigeon_imap_utf7_encode (pairs[i].utf8);
      g_assert_cmpstr (encoded, ==, pairs[i].wire);
    }
}

static void
test_invalid (void)
{
  static const char *bad[] = {
    "&",            /* no end */
    "&AGE-",        /* "a" encoded: printable ASCII must be plain */
    "&Jjo!-",       /* not base64 */
    "&AMQ",         /* no "-" */
    "&2D0-",        /* a lone surrogate */
    "tab\there",    /* control character */
    "caf\xc3\xa9",  /* raw 8-bit */
    "&AMQA-",       /* leftover bits not zero */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *decoded = pigeon_imap_utf7_decode (bad[i]);

      g_assert_null (decoded);
    }
}

static void
test_roundtrip (void)
{
  static const char *names[] = { "a&b&&c", "Ärger/Übel", "x\x01y", "   ", "&-&-", "ä&ö" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *encoded = pigeon_imap_utf7_encode (names[i]);
      g_autofree char *decoded = pigeon_imap_utf7_decode (encoded);

      g_assert_cmpstr (decoded, ==, names[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/utf7/decode", test_decode);
  g_test_add_func ("/imap/utf7/encode", test_encode);
  g_test_add_func ("/imap/utf7/invalid", test_invalid);
  g_test_add_func ("/imap/utf7/roundtrip", test_roundtrip);

  return g_test_run ();
}
