/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMTP reply parser and the EHLO keywords: well-formed replies, and everything a server
 * might send instead, within bounds. */
#define G_LOG_DOMAIN "test-smtp"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-smtp-reply.h"

/* Feeds LINES ("\n"-separated) and returns the one reply they make, failing the test when
 * they make none or more. */
static PigeonSmtpReply *
parse (const char *lines)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  g_auto(GStrv) split = g_strsplit (lines, "\n", -1);
  PigeonSmtpReply *reply = NULL;

  for (guint i = 0; split[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (reply);
      g_assert_true (pigeon_smtp_reply_parser_feed (parser, split[i], strlen (split[i]), "host",
                                                    &reply, &error));
      g_assert_no_error (error);
    }
  g_assert_nonnull (reply);
  return reply;
}

static void
assert_malformed (const char *line,
                  gsize       length)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  PigeonSmtpReply *reply = NULL;

  g_assert_false (pigeon_smtp_reply_parser_feed (parser, line, length, "smtp.example.test",
                                                 &reply, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "smtp.example.test"));
  g_assert_null (reply);
}

static void
test_single_line (void)
{
  g_autoptr(PigeonSmtpReply) reply = parse ("250 2.1.5 Ok");
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

  g_assert_cmpuint (reply->code, ==, 250);
  g_assert_cmpstr (reply->enhanced, ==, "2.1.5");
  g_assert_cmpuint (reply->lines->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 0), ==, "2.1.5 Ok");
  g_assert_cmpstr (text, ==, "250 2.1.5 Ok");
  g_assert_true (pigeon_smtp_reply_is_positive (reply));
  g_assert_false (pigeon_smtp_reply_is_transient (reply));
}

static void
test_bare_code (void)
{
  g_autoptr(PigeonSmtpReply) reply = parse ("354");
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

  g_assert_cmpuint (reply->code, ==, 354);
  g_assert_null (reply->enhanced);
  g_assert_cmpstr (text, ==, "354");
}

static void
test_multiline (void)
{
  g_autoptr(PigeonSmtpReply) reply =
    parse ("550-5.7.1 This message was\n550-5.7.1 refused for policy\n550 5.7.1 reasons");
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);

  g_assert_cmpuint (reply->code, ==, 550);
  g_assert_cmpuint (reply->lines->len, ==, 3);
  g_assert_cmpstr (reply->enhanced, ==, "5.7.1");
  g_assert_cmpstr (text, ==, "550 5.7.1 This message was 5.7.1 refused for policy 5.7.1 reasons");
}

static void
test_transient (void)
{
  g_autoptr(PigeonSmtpReply) reply = parse ("451 4.3.0 Try again later");

  g_assert_true (pigeon_smtp_reply_is_transient (reply));
  g_assert_false (pigeon_smtp_reply_is_positive (reply));
}

static void
test_not_enhanced (void)
{
  const char *lines[] = { "250 2.1 Ok", "250 3.1.1 x", "250 2.1.1234 x", "250 2.1.5x", "250 x" };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(PigeonSmtpReply) reply = parse (lines[i]);

      g_assert_null (reply->enhanced);
    }
}

static void
test_malformed (void)
{
  const char nul[] = "250 a\0b";

  assert_malformed ("", 0);
  assert_malformed ("25", 2);
  assert_malformed ("abc def", 7);
  assert_malformed ("199 too low", 11);
  assert_malformed ("600 too high", 12);
  assert_malformed ("250_underscore", 14);
  assert_malformed (nul, sizeof nul - 1);
}

static void
test_code_changes (void)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  PigeonSmtpReply *reply = NULL;

  g_assert_true (pigeon_smtp_reply_parser_feed (parser, "250-first", 9, "h", &reply, &error));
  g_assert_null (reply);
  g_assert_false (pigeon_smtp_reply_parser_feed (parser, "550 second", 10, "h", &reply, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_null (reply);

  /* after a reset, the next reply parses */
  g_clear_error (&error);
  pigeon_smtp_reply_parser_reset (parser);
  g_assert_true (pigeon_smtp_reply_parser_feed (parser, "220 hi", 6, "h", &reply, &error));
  g_assert_nonnull (reply);
  pigeon_smtp_reply_free (reply);
}

static void
test_too_long_line (void)
{
  g_autofree char *line = g_malloc (PIGEON_SMTP_MAX_LINE + 2);

  memset (line, 'x', PIGEON_SMTP_MAX_LINE + 1);
  memcpy (line, "250 ", 4);
  line[PIGEON_SMTP_MAX_LINE + 1] = '\0';
  assert_malformed (line, PIGEON_SMTP_MAX_LINE + 1);
}

static void
test_too_many_lines (void)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  PigeonSmtpReply *reply = NULL;
  guint i;

  for (i = 0; i < PIGEON_SMTP_MAX_LINES; i++)
    g_assert_true (pigeon_smtp_reply_parser_feed (parser, "250-more", 8, "h", &reply, &error));
  g_assert_false (pigeon_smtp_reply_parser_feed (parser, "250-more", 8, "h", &reply, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_null (reply);
}

static void
test_too_many_bytes (void)
{
  g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_malloc (PIGEON_SMTP_MAX_LINE + 1);
  PigeonSmtpReply *reply = NULL;
  gsize fed = 0;
  gboolean ok = TRUE;

  memset (line, 'y', PIGEON_SMTP_MAX_LINE);
  memcpy (line, "250-", 4);
  line[PIGEON_SMTP_MAX_LINE] = '\0';
  while (ok && fed <= PIGEON_SMTP_MAX_REPLY)
    {
      ok = pigeon_smtp_reply_parser_feed (parser, line, PIGEON_SMTP_MAX_LINE, "h", &reply,
                                          &error);
      fed += PIGEON_SMTP_MAX_LINE;
    }
  g_assert_false (ok);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_null (reply);
}

static void
test_text_is_clean (void)
{
  g_autoptr(PigeonSmtpReply) reply = parse ("550 bad \x01\x1b[31mred\x7f \xff\xfe text");
  g_autofree char *text = pigeon_smtp_reply_dup_text (reply);
  g_autoptr(GString) long_line = g_string_new ("550 ");
  g_autoptr(PigeonSmtpReply) long_reply = NULL;
  g_autofree char *long_text = NULL;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p; p++)
    g_assert_true ((guchar) *p >= 0x20 && *p != 0x7f);

  for (guint i = 0; i < 1000; i++)
    g_string_append (long_line, "ü");
  long_reply = parse (long_line->str);
  long_text = pigeon_smtp_reply_dup_text (long_reply);
  g_assert_cmpint (g_utf8_strlen (long_text, -1), <=, 301);
  g_assert_true (g_str_has_suffix (long_text, "…"));
}

static void
test_ehlo_keywords (void)
{
  g_autoptr(PigeonSmtpReply) reply =
    parse ("250-mail.example.test Hello\n"
           "250-pipelining\n"
           "250-SIZE 10240000\n"
           "250-8BITMIME\n"
           "250-AUTH PLAIN login CRAM-MD5\n"
           "250-AUTH=LOGIN XOAUTH2\n"
           "250-STARTTLS\n"
           "250-ENHANCEDSTATUSCODES\n"
           "250-SMTPUTF8\n"
           "250-X-UNKNOWN whatever\n"
           "250 CHUNKING");
  g_autoptr(PigeonSmtpCaps) caps = pigeon_smtp_caps_parse (reply);
  const char *mechanisms[] = { "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", NULL };

  g_assert_cmpuint (caps->extensions, ==,
                    PIGEON_SMTP_EXT_PIPELINING | PIGEON_SMTP_EXT_SIZE | PIGEON_SMTP_EXT_8BITMIME |
                    PIGEON_SMTP_EXT_AUTH | PIGEON_SMTP_EXT_STARTTLS |
                    PIGEON_SMTP_EXT_ENHANCEDSTATUSCODES | PIGEON_SMTP_EXT_SMTPUTF8);
  g_assert_cmpuint (caps->max_size, ==, 10240000);
  g_assert_cmpstrv (caps->auth, mechanisms);
}

static void
test_ehlo_odd_size (void)
{
  const char *replies[] = { "250-x\n250 SIZE", "250-x\n250 SIZE lots", "250-x\n250 SIZE -5" };

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_autoptr(PigeonSmtpReply) reply = parse (replies[i]);
      g_autoptr(PigeonSmtpCaps) caps = pigeon_smtp_caps_parse (reply);

      g_assert_true (caps->extensions & PIGEON_SMTP_EXT_SIZE);
      g_assert_cmpuint (caps->max_size, ==, 0);
      g_assert_nonnull (caps->auth);
      g_assert_null (caps->auth[0]);
    }
}

/* Every byte string a server could send leads to replies or a PROTOCOL error, never a
 * crash: a cheap cousin of the fuzz target that runs in the unit suite. */
static void
test_random_lines (void)
{
  GRand *rand = g_rand_new_with_seed (6);

  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr(PigeonSmtpReplyParser) parser = pigeon_smtp_reply_parser_new ();
      guint n_lines = g_rand_int_range (rand, 1, 6);

      for (guint l = 0; l < n_lines; l++)
        {
          char line[64];
          gsize length = g_rand_int_range (rand, 0, sizeof line);
          PigeonSmtpReply *reply = NULL;
          g_autoptr(GError) error = NULL;

          for (gsize i = 0; i < length; i++)
            line[i] = i < 3 && g_rand_boolean (rand) ? '2' + g_rand_int_range (rand, 0, 4)
                      : i == 3 ? " -x"[g_rand_int_range (rand, 0, 3)]
                      : (char) g_rand_int_range (rand, 0, 256);
          if (!pigeon_smtp_reply_parser_feed (parser, line, length, "h", &reply, &error))
            {
              g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
              break;
            }
          if (reply != NULL)
            {
              g_autofree char *text = pigeon_smtp_reply_dup_text (reply);
              g_autoptr(PigeonSmtpCaps) caps = pigeon_smtp_caps_parse (reply);

              g_assert_true (g_utf8_validate (text, -1, NULL));
              g_assert_cmpuint (reply->code, >=, 200);
              g_assert_cmpuint (reply->code, <=, 599);
              pigeon_smtp_reply_free (reply);
            }
        }
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp/reply/single-line", test_single_line);
  g_test_add_func ("/smtp/reply/bare-code", test_bare_code);
  g_test_add_func ("/smtp/reply/multiline", test_multiline);
  g_test_add_func ("/smtp/reply/transient", test_transient);
  g_test_add_func ("/smtp/reply/not-enhanced", test_not_enhanced);
  g_test_add_func ("/smtp/reply/malformed", test_malformed);
  g_test_add_func ("/smtp/reply/code-changes", test_code_changes);
  g_test_add_func ("/smtp/reply/too-long-line", test_too_long_line);
  g_test_add_func ("/smtp/reply/too-many-lines", test_too_many_lines);
  g_test_add_func ("/smtp/reply/too-many-bytes", test_too_many_bytes);
  g_test_add_func ("/smtp/reply/text-is-clean", test_text_is_clean);
  g_test_add_func ("/smtp/reply/ehlo-keywords", test_ehlo_keywords);
  g_test_add_func ("/smtp/reply/ehlo-odd-size", test_ehlo_odd_size);
  g_test_add_func ("/smtp/reply/random-lines", test_random_lines);

  return g_test_run ();
}
