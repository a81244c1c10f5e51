/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pop3"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-pop3-parser.h"

/* Feeds LINE (NUL-terminated) and returns the event, asserting it parsed. */
static PigeonPop3Event
feed (PigeonPop3Parser *parser,
      const char       *line)
{
  PigeonPop3Event event;
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_parser_feed_line (parser, line, strlen (line), &event, &error));
  g_assert_no_error (error);
  return event;
}

static void
expect (PigeonPop3Parser   *parser,
        PigeonPop3ReplyKind kind)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_parser_expect (parser, kind, &error));
  g_assert_no_error (error);
}

static void
test_status (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
  PigeonPop3Event event;

  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 4);

  event = feed (parser, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_OK);
  g_assert_null (event.code);
  g_assert_cmpstr (event.text, ==, "POP3 server ready <1896.697170952@dbc.mtview.ca.us>");

  event = feed (parser, "+OK");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_OK);
  g_assert_cmpuint (event.length, ==, 0);

  /* Lower case, as some servers send it. */
  event = feed (parser, "-err no such message");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_ERR);
  g_assert_cmpstr (event.text, ==, "no such message");

  event = feed (parser, "-ERR");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_ERR);
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 0);
}

static void
test_response_codes (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
  PigeonPop3Event event;

  for (guint i = 0; i < 6; i++)
    expect (parser, PIGEON_POP3_REPLY_SINGLE);

  event = feed (parser, "-ERR [IN-USE] Mailbox is locked by another POP3 session");
  g_assert_cmpstr (event.code, ==, "IN-USE");
  g_assert_cmpstr (event.text, ==, "Mailbox is locked by another POP3 session");

  event = feed (parser, "-ERR [sys/temp] try later");
  g_assert_cmpstr (event.code, ==, "SYS/TEMP");
  g_assert_cmpstr (event.text, ==, "try later");

  event = feed (parser, "-ERR [AUTH]");
  g_assert_cmpstr (event.code, ==, "AUTH");
  g_assert_cmpstr (event.text, ==, "");

  /* Not a code: unclosed, with a space, or empty.  The whole rest is text. */
  event = feed (parser, "-ERR [IN-USE Mailbox is locked");
  g_assert_null (event.code);
  g_assert_cmpstr (event.text, ==, "[IN-USE Mailbox is locked");
  event = feed (parser, "-ERR [] nothing");
  g_assert_null (event.code);
  event = feed (parser,
                "-ERR [AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA] x");
  g_assert_null (event.code);
}

static void
test_multiline (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
  PigeonPop3Event event;

  expect (parser, PIGEON_POP3_REPLY_MULTI);
  expect (parser, PIGEON_POP3_REPLY_MULTI);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);

  event = feed (parser, "+OK 120 octets");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_OK);
  g_assert_true (pigeon_pop3_parser_in_data (parser));

  /* A data line that looks like a status line is data. */
  event = feed (parser, "+OK not a status");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_DATA);
  g_assert_cmpstr (event.text, ==, "+OK not a status");

  /* Dot-stuffing: the server doubled the leading dot. */
  event = feed (parser, "..");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_DATA);
  g_assert_cmpstr (event.text, ==, ".");
  event = feed (parser, "...and more");
  g_assert_cmpstr (event.text, ==, "..and more");
  event = feed (parser, "");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_DATA);
  g_assert_cmpuint (event.length, ==, 0);

  event = feed (parser, ".");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_END);
  g_assert_false (pigeon_pop3_parser_in_data (parser));
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 2);

  /* -ERR to a multi-line command has no data. */
  event = feed (parser, "-ERR no such message");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_ERR);
  g_assert_false (pigeon_pop3_parser_in_data (parser));

  event = feed (parser, "+OK bye");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_OK);
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 0);
}

static void
test_sasl (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
  PigeonPop3Event event;

  expect (parser, PIGEON_POP3_REPLY_SASL);
  event = feed (parser, "+ VXNlcm5hbWU6");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_CHALLENGE);
  g_assert_cmpstr (event.text, ==, "VXNlcm5hbWU6");
  event = feed (parser, "+");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_CHALLENGE);
  g_assert_cmpuint (event.length, ==, 0);
  event = feed (parser, "+ ");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_CHALLENGE);
  g_assert_cmpuint (event.length, ==, 0);
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 1);
  event = feed (parser, "+OK Logged in.");
  g_assert_cmpint (event.kind, ==, PIGEON_POP3_EVENT_OK);
  g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 0);
}

static void
assert_protocol_error (PigeonPop3Parser *parser,
                       const char       *line,
                       gsize             length)
{
  PigeonPop3Event event;
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_pop3_parser_feed_line (parser, line, length, &event, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_nonnull (error->message);
}

static void
test_malformed (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
  PigeonPop3Event event;
  g_autoptr(GError) error = NULL;

  /* Nothing was asked. */
  assert_protocol_error (parser, "+OK", 3);

  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  assert_protocol_error (parser, "* OK IMAP4rev1 ready", 20);
  /* Once failed, the parser stays failed until reset. */
  assert_protocol_error (parser, "+OK", 3);

  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  assert_protocol_error (parser, "+OKAY", 5);

  /* A challenge outside AUTH. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_MULTI);
  assert_protocol_error (parser, "+ abc", 5);

  /* A NUL in a status line is the end of its text, not a crash. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  g_assert_true (pigeon_pop3_parser_feed_line (parser, "+OK a\0b", 7, &event, &error));
  g_assert_cmpuint (event.length, ==, 3);
}

static void
test_limits (void)
{
  PigeonPop3Limits limits;
  g_autoptr(PigeonPop3Parser) parser = NULL;
  g_autofree char *long_line = NULL;
  g_autoptr(GError) error = NULL;

  pigeon_pop3_limits_init_default (&limits);
  limits.max_status_line = 100;
  limits.max_data_line = 200;
  limits.max_multiline = 1000;
  limits.max_lines = 20;
  limits.max_expected = 3;
  parser = pigeon_pop3_parser_new (&limits);

  /* Status line over its limit. */
  long_line = g_strnfill (150, 'x');
  memcpy (long_line, "+OK ", 4);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  assert_protocol_error (parser, long_line, strlen (long_line));

  /* A data line may be longer than a status line, but not over its own limit. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_MULTI);
  feed (parser, "+OK");
  g_assert_cmpint (feed (parser, long_line).kind, ==, PIGEON_POP3_EVENT_DATA);
  g_free (long_line);
  long_line = g_strnfill (201, 'y');
  assert_protocol_error (parser, long_line, strlen (long_line));

  /* Too many bytes in one reply. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_MULTI);
  feed (parser, "+OK");
  g_free (long_line);
  long_line = g_strnfill (190, 'z');
  for (guint i = 0; i < 5; i++)
    feed (parser, long_line);
  assert_protocol_error (parser, long_line, strlen (long_line));

  /* Too many lines in one reply. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_MULTI);
  feed (parser, "+OK");
  for (guint i = 0; i < 20; i++)
    feed (parser, "1 abc");
  assert_protocol_error (parser, "1 abc", 5);

  /* Too many replies outstanding. */
  pigeon_pop3_parser_reset (parser);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);
  g_assert_false (pigeon_pop3_parser_expect (parser, PIGEON_POP3_REPLY_SINGLE, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

/* Many replies in flight: the queue of expectations stays in order and bounded. */
static void
test_pipelined_queue (void)
{
  g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);

  for (guint round = 0; round < 50; round++)
    {
      for (guint i = 0; i < 200; i++)
        expect (parser, i % 2 ? PIGEON_POP3_REPLY_MULTI : PIGEON_POP3_REPLY_SINGLE);
      for (guint i = 0; i < 200; i++)
        {
          g_assert_cmpint (feed (parser, "+OK").kind, ==, PIGEON_POP3_EVENT_OK);
          if (i % 2)
            {
              g_assert_true (pigeon_pop3_parser_in_data (parser));
              g_assert_cmpint (feed (parser, ".").kind, ==, PIGEON_POP3_EVENT_END);
            }
          else
            {
              g_assert_false (pigeon_pop3_parser_in_data (parser));
            }
          /* New commands go out while replies come in. */
          if (i == 100)
            expect (parser, PIGEON_POP3_REPLY_SINGLE);
        }
      g_assert_cmpint (feed (parser, "-ERR").kind, ==, PIGEON_POP3_EVENT_ERR);
      g_assert_cmpuint (pigeon_pop3_parser_get_expected (parser), ==, 0);
    }
}

typedef struct
{
  GString *log;
} Collect;

static void
collect_cb (const PigeonPop3Event *event,
            gpointer               user_data)
{
  Collect *c = user_data;
  static const char *names[] = { "none", "ok", "err", "challenge", "data", "end" };

  g_string_append_printf (c->log, "%s[%s|", names[event->kind], event->code ? event->code : "");
  g_string_append_len (c->log, event->text, event->length);
  g_string_append (c->log, "]\n");
}

/* The byte-stream front end gives the same events however the stream is cut. */
static void
test_feed_bytes (void)
{
  const char *stream =
    "+OK ready\r\n"
    "+OK\r\n"
    "TOP\r\n"
    "SASL PLAIN LOGIN\r\n"
    ".\r\n"
    "+OK message follows\r\n"
    "Subject: x\n"            /* a bare LF */
    "\r\n"
    "..dots\r\n"
    ".\r\n"
    "-ERR [IN-USE] locked\r\n";
  const char *expected =
    "ok[|ready]\n"
    "ok[|]\n"
    "data[|TOP]\n"
    "data[|SASL PLAIN LOGIN]\n"
    "end[|]\n"
    "ok[|message follows]\n"
    "data[|Subject: x]\n"
    "data[|]\n"
    "data[|.dots]\n"
    "end[|]\n"
    "err[IN-USE|locked]\n";
  gsize total = strlen (stream);

  for (gsize chunk = 1; chunk <= total; chunk++)
    {
      g_autoptr(PigeonPop3Parser) parser = pigeon_pop3_parser_new (NULL);
      Collect c = { g_string_new (NULL) };
      g_autoptr(GError) error = NULL;

      expect (parser, PIGEON_POP3_REPLY_SINGLE);
      expect (parser, PIGEON_POP3_REPLY_MULTI);
      expect (parser, PIGEON_POP3_REPLY_MULTI);
      expect (parser, PIGEON_POP3_REPLY_SINGLE);
      for (gsize at = 0; at < total; at += chunk)
        {
          g_assert_true (pigeon_pop3_parser_feed (parser, (const guint8 *) stream + at,
                                                  MIN (chunk, total - at), collect_cb, &c,
                                                  &error));
          g_assert_no_error (error);
        }
      g_assert_cmpstr (c.log->str, ==, expected);
      g_string_free (c.log, TRUE);
    }
}

static void
test_feed_bytes_long_line (void)
{
  PigeonPop3Limits limits;
  g_autoptr(PigeonPop3Parser) parser = NULL;
  g_autofree char *junk = g_strnfill (64, 'a');
  Collect c = { g_string_new (NULL) };
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  pigeon_pop3_limits_init_default (&limits);
  limits.max_status_line = 100;
  parser = pigeon_pop3_parser_new (&limits);
  expect (parser, PIGEON_POP3_REPLY_SINGLE);

  /* A line without end fails once it passes the limit, before it is buffered whole. */
  for (guint i = 0; i < 10 && ok; i++)
    ok = pigeon_pop3_parser_feed (parser, (const guint8 *) junk, 64, collect_cb, &c, &error);
  g_assert_false (ok);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_cmpstr (c.log->str, ==, "");
  g_string_free (c.log, TRUE);
}

static void
test_listing (void)
{
  guint n;
  guint64 size;
  g_autofree char *uidl = NULL;

  g_assert_true (pigeon_pop3_parse_listing ("2 320", &n, &size));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (size, ==, 320);
  g_assert_true (pigeon_pop3_parse_listing ("7 12345678901 octets", &n, &size));
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (12345678901));
  g_assert_false (pigeon_pop3_parse_listing ("", &n, &size));
  g_assert_false (pigeon_pop3_parse_listing ("1", &n, &size));
  g_assert_false (pigeon_pop3_parse_listing ("1 x", &n, &size));
  g_assert_false (pigeon_pop3_parse_listing ("-1 10", &n, &size));
  g_assert_false (pigeon_pop3_parse_listing ("99999999999 10", &n, &size));
  g_assert_false (pigeon_pop3_parse_listing ("1 99999999999999999999999", &n, &size));

  g_assert_true (pigeon_pop3_parse_uidl ("1 whqtswO00WBw418f9t5JxYwZ", &n, &uidl));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (uidl, ==, "whqtswO00WBw418f9t5JxYwZ");
  g_clear_pointer (&uidl, g_free);
  g_assert_true (pigeon_pop3_parse_uidl ("12 00000001 ", &n, &uidl));
  g_assert_cmpstr (uidl, ==, "00000001");
  g_clear_pointer (&uidl, g_free);
  g_assert_false (pigeon_pop3_parse_uidl ("0 abc", &n, &uidl));
  g_assert_false (pigeon_pop3_parse_uidl ("1", &n, &uidl));
  g_assert_false (pigeon_pop3_parse_uidl ("1 ", &n, &uidl));
  g_assert_false (pigeon_pop3_parse_uidl ("1 two words", &n, &uidl));
  g_assert_false (pigeon_pop3_parse_uidl ("1 caf\xc3\xa9", &n, &uidl));
  {
    g_autofree char *huge = g_strnfill (300, 'u');
    g_autofree char *line = g_strconcat ("1 ", huge, NULL);

    g_assert_false (pigeon_pop3_parse_uidl (line, &n, &uidl));
  }
  g_assert_null (uidl);
}

static void
test_apop_timestamp (void)
{
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL;

  t1 = pigeon_pop3_parse_apop_timestamp ("POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
  g_assert_cmpstr (t1, ==, "<1896.697170952@dbc.mtview.ca.us>");
  t2 = pigeon_pop3_parse_apop_timestamp ("Dovecot ready.");
  g_assert_null (t2);
  t3 = pigeon_pop3_parse_apop_timestamp ("ready <no-at-sign>");
  g_assert_null (t3);
  t4 = pigeon_pop3_parse_apop_timestamp ("ready <unclosed@x");
  g_assert_null (t4);
}

static void
test_capabilities (void)
{
  g_autoptr(PigeonPop3Capabilities) caps = pigeon_pop3_capabilities_new ();
  const char *lines[] = {
    "TOP", "uidl", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER",
    "SASL PLAIN login SCRAM-SHA-256 bad!name PLAIN", "LOGIN-DELAY 900", "EXPIRE 30",
    "IMPLEMENTATION Dovecot 2.3", "X-UNKNOWN whatever", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    pigeon_pop3_capabilities_add_line (caps, lines[i]);

  g_assert_cmphex (caps->flags, ==,
                   PIGEON_POP3_CAPA_TOP | PIGEON_POP3_CAPA_UIDL | PIGEON_POP3_CAPA_RESP_CODES |
                   PIGEON_POP3_CAPA_PIPELINING | PIGEON_POP3_CAPA_AUTH_RESP_CODE |
                   PIGEON_POP3_CAPA_STLS | PIGEON_POP3_CAPA_USER | PIGEON_POP3_CAPA_SASL |
                   PIGEON_POP3_CAPA_LOGIN_DELAY | PIGEON_POP3_CAPA_EXPIRE);
  g_assert_cmpuint (caps->sasl->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (caps->sasl, 0), ==, "PLAIN");
  g_assert_cmpstr (g_ptr_array_index (caps->sasl, 1), ==, "LOGIN");
  g_assert_cmpstr (g_ptr_array_index (caps->sasl, 2), ==, "SCRAM-SHA-256");
  g_assert_cmpuint (caps->login_delay, ==, 900);
  g_assert_cmpint (caps->expire_days, ==, 30);
  g_assert_cmpstr (caps->implementation, ==, "Dovecot 2.3");

  pigeon_pop3_capabilities_add_line (caps, "EXPIRE NEVER");
  g_assert_cmpint (caps->expire_days, ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/parser/status", test_status);
  g_test_add_func ("/pop3/parser/response-codes", test_response_codes);
  g_test_add_func ("/pop3/parser/multiline-dot-stuffing", test_multiline);
  g_test_add_func ("/pop3/parser/sasl-challenge", test_sasl);
  g_test_add_func ("/pop3/parser/malformed", test_malformed);
  g_test_add_func ("/pop3/parser/limits", test_limits);
  g_test_add_func ("/pop3/parser/pipelined-queue", test_pipelined_queue);
  g_test_add_func ("/pop3/parser/feed-bytes", test_feed_bytes);
  g_test_add_func ("/pop3/parser/feed-bytes-long-line", test_feed_bytes_long_line);
  g_test_add_func ("/pop3/parser/listing-uidl", test_listing);
  g_test_add_func ("/pop3/parser/apop-timestamp", test_apop_timestamp);
  g_test_add_func ("/pop3/parser/capabilities", test_capabilities);

  return g_test_run ();
}
