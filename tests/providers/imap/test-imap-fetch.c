/* SPDX-License-Identifier: GPL-3.0-or-later */
/* FETCH responses into message rows: flags, dates, envelopes, attachments. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "pigeon-imap-fetch.h"
#include "pigeon-mime.h"

static void
collect_cb (PigeonImapResponse *response,
            gpointer            user_data)
{
  PigeonImapResponse **out = user_data;

  g_assert_null (*out);
  *out = response;
}

static PigeonImapResponse *
parse (const char *text)
{
  g_autoptr(PigeonImapParser) parser = pigeon_imap_parser_new (NULL);
  g_autoptr(GError) error = NULL;
  PigeonImapResponse *response = NULL;

  g_assert_true (pigeon_imap_parser_feed_bytes (parser, (const guint8 *) text, strlen (text),
                                                collect_cb, &response, &error));
  g_assert_no_error (error);
  g_assert_nonnull (response);
  return response;
}

static void
test_flags (void)
{
  g_autoptr(PigeonImapResponse) r =
    parse ("* 1 FETCH (FLAGS (\\Seen \\answered $Forwarded Junk \\Recent $Label1 NonJunk))\r\n");
  PigeonImapFetch fetch;
  g_autofree char *all = NULL;
  g_autofree char *none = NULL;

  g_assert_true (pigeon_imap_fetch_parse (r, &fetch));
  g_assert_true (fetch.has_flags);
  g_assert_cmpint (fetch.flags, ==, PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_ANSWERED |
                                    PIGEON_MESSAGE_FLAG_FORWARDED | PIGEON_MESSAGE_FLAG_JUNK);

  all = pigeon_imap_flags_to_string (PIGEON_MESSAGE_FLAG_SEEN | PIGEON_MESSAGE_FLAG_FLAGGED |
                                     PIGEON_MESSAGE_FLAG_JUNK | PIGEON_MESSAGE_FLAG_FORWARDED |
                                     PIGEON_MESSAGE_FLAG_DELETED | PIGEON_MESSAGE_FLAG_DRAFT |
                                     PIGEON_MESSAGE_FLAG_ANSWERED);
  g_assert_cmpstr (all, ==, "\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded $Junk");
  none = pigeon_imap_flags_to_string (0);
  g_assert_cmpstr (none, ==, "");
}

static void
test_internal_date (void)
{
  g_assert_cmpint (pigeon_imap_parse_internal_date ("17-Jul-1996 02:44:25 -0700"), ==, 837596665);
  g_assert_cmpint (pigeon_imap_parse_internal_date (" 1-Jan-2024 00:00:00 +0000"), ==, 1704067200);
  g_assert_cmpint (pigeon_imap_parse_internal_date ("05-Mar-2024 17:30:00 +0130"), ==, 1709654400);
  g_assert_cmpint (pigeon_imap_parse_internal_date ("17-Jux-1996 02:44:25 -0700"), ==, 0);
  g_assert_cmpint (pigeon_imap_parse_internal_date ("17-Jul-1996 02:44:25"), ==, 0);
  g_assert_cmpint (pigeon_imap_parse_internal_date ("yesterday"), ==, 0);
  g_assert_cmpint (pigeon_imap_parse_internal_date (NULL), ==, 0);
}

static void
test_envelope (void)
{
  g_autoptr(PigeonImapResponse) r = parse (
    "* 7 FETCH (UID 4827 FLAGS (\\Seen) MODSEQ (12345) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
    "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
    "{39}\r\n=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\r\n Köln "
    "((\"=?iso-8859-1?q?J=FCrgen?=\" NIL \"juergen\" \"example.test\")) "
    "((\"Sender\" NIL \"sender\" \"example.test\")) "
    "((NIL NIL \"replies\" \"example.test\")) "
    "((\"Doe, Jane\" NIL \"jane\" \"example.test\")(NIL NIL \"bob\" \"example.test\")) "
    "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"example.test\")(NIL NIL NIL NIL)) "
    "NIL \"<parent@x> <other@x>\" \"<self@x>\") "
    "BODY[HEADER.FIELDS (REFERENCES)] {37}\r\nReferences: <root@x>\r\n <parent@x>\r\n\r\n)\r\n");
  PigeonImapFetch fetch;
  g_autoptr(PigeonMessage) m = NULL;

  g_assert_true (pigeon_imap_fetch_parse (r, &fetch));
  g_assert_cmpuint (fetch.seq, ==, 7);
  g_assert_cmpuint (fetch.uid, ==, 4827);
  g_assert_cmpuint (fetch.modseq, ==, 12345);
  m = pigeon_imap_fetch_to_message (&fetch, 99);
  g_assert_nonnull (m);
  g_assert_cmpuint (m->uidvalidity, ==, 99);
  g_assert_cmpuint (m->uid, ==, 4827);
  g_assert_cmpint (m->flags, ==, PIGEON_MESSAGE_FLAG_SEEN);
  g_assert_cmpuint (m->modseq, ==, 12345);
  g_assert_cmpint (m->size, ==, 4286);
  g_assert_cmpint (m->internal_date, ==, 837596665);
  g_assert_cmpint (m->date, ==, 837595405);
  g_assert_cmpstr (m->subject, ==, "Grüße aus Köln");
  g_assert_cmpstr (m->from, ==, "Jürgen <juergen@example.test>");
  g_assert_cmpstr (m->reply_to, ==, "replies@example.test");
  g_assert_cmpstr (m->to, ==, "\"Doe, Jane\" <jane@example.test>, bob@example.test");
  g_assert_cmpstr (m->cc, ==, "a@example.test");
  g_assert_cmpstr (m->in_reply_to, ==, "parent@x");
  g_assert_cmpstr (m->message_id, ==, "self@x");
  g_assert_cmpstr (m->references, ==, "root@x parent@x");
}

/* A FETCH without ENVELOPE is a flag change, not a message; a NIL date falls back to the
 * internal date; a message without From shows its Sender. */
static void
test_partial (void)
{
  g_autoptr(PigeonImapResponse) flags_only = parse ("* 3 FETCH (UID 3 FLAGS ())\r\n");
  g_autoptr(PigeonImapResponse) no_date = parse (
    "* 4 FETCH (UID 4 INTERNALDATE \"01-Jan-2024 00:00:00 +0000\" ENVELOPE (NIL NIL NIL "
    "((NIL NIL \"sender\" \"example.test\")) NIL NIL NIL NIL NIL NIL))\r\n");
  PigeonImapFetch fetch;
  g_autoptr(PigeonMessage) m = NULL;

  g_assert_true (pigeon_imap_fetch_parse (flags_only, &fetch));
  g_assert_null (pigeon_imap_fetch_to_message (&fetch, 1));
  g_assert_true (pigeon_imap_fetch_parse (no_date, &fetch));
  m = pigeon_imap_fetch_to_message (&fetch, 1);
  g_assert_cmpint (m->date, ==, 1704067200);
  g_assert_null (m->subject);
  g_assert_cmpstr (m->from, ==, "sender@example.test");
  g_assert_false (m->has_attachments);
}

static void
test_malformed (void)
{
  static const char *cases[] = {
    "* 1 FETCH (UID)\r\n",                       /* odd number of items */
    "* 1 FETCH (UID x)\r\n",                     /* not a number */
    "* 1 FETCH (UID 1 FLAGS \\Seen)\r\n",        /* flags not a list */
    "* 1 FETCH (UID 1 ENVELOPE (NIL NIL))\r\n",  /* short envelope */
    "* 1 FETCH UID 1\r\n",                       /* no list */
    "* FETCH (UID 1)\r\n",                       /* no number */
    "* 1 EXISTS\r\n",                            /* not FETCH */
    "* 1 FETCH (UID 1 BODY[] NIL)\r\n",          /* body not a string */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PigeonImapResponse) r = parse (cases[i]);
      PigeonImapFetch fetch;

      g_test_message ("%s", cases[i]);
      g_assert_false (pigeon_imap_fetch_parse (r, &fetch));
    }
}

static gboolean
attachments_in (const char *bodystructure)
{
  g_autofree char *text = g_strdup_printf ("* 1 FETCH (UID 1 BODYSTRUCTURE %s)\r\n", bodystructure);
  g_autoptr(PigeonImapResponse) r = parse (text);
  PigeonImapFetch fetch;

  g_assert_true (pigeon_imap_fetch_parse (r, &fetch));
  g_assert_nonnull (fetch.bodystructure);
  return pigeon_imap_bodystructure_has_attachments (fetch.bodystructure);
}

#define TEXT_PLAIN \
  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)"
#define TEXT_HTML \
  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 40 2 NIL NIL NIL NIL)"

static void
test_attachments (void)
{
  /* body text only */
  g_assert_false (attachments_in (TEXT_PLAIN));
  g_assert_false (attachments_in ("(" TEXT_PLAIN TEXT_HTML
                                  " \"ALTERNATIVE\" (\"BOUNDARY\" \"b\") NIL NIL NIL)"));
  /* an inline image of an HTML mail, without a name */
  g_assert_false (attachments_in ("(" TEXT_HTML
                                  "(\"IMAGE\" \"PNG\" NIL \"<logo>\" NIL \"BASE64\" 900 NIL "
                                  "(\"inline\" NIL) NIL NIL) \"RELATED\" NIL NIL NIL NIL)"));
  /* a PDF disposed as attachment */
  g_assert_true (attachments_in ("(" TEXT_PLAIN
                                 "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL "
                                 "\"BASE64\" 4000 NIL "
                                 "(\"attachment\" (\"FILENAME\" \"a.pdf\")) NIL NIL) "
                                 "\"MIXED\" (\"BOUNDARY\" \"x\") NIL NIL NIL)"));
  /* a named part without disposition, nested in alternative-in-mixed */
  g_assert_true (attachments_in ("((" TEXT_PLAIN TEXT_HTML " \"ALTERNATIVE\" NIL NIL NIL NIL)"
                                 "(\"APPLICATION\" \"OCTET-STREAM\" "
                                 "(\"NAME\" \"data.bin\") NIL NIL "
                                 "\"BASE64\" 10 NIL NIL NIL NIL) \"MIXED\" NIL NIL NIL NIL)"));
  /* a text file attached */
  g_assert_true (attachments_in ("(" TEXT_PLAIN "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1 NIL "
                                 "(\"ATTACHMENT\" (\"FILENAME\" \"notes.txt\")) NIL NIL) "
                                 "\"MIXED\" NIL NIL NIL NIL)"));
  /* a forwarded message */
  g_assert_true (attachments_in ("(" TEXT_PLAIN
                                 "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 300 "
                                 "(NIL \"fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) "
                                 TEXT_PLAIN " 10 NIL NIL NIL NIL) "
                                 "\"MIXED\" NIL NIL NIL NIL)"));
  /* nonsense is no attachment, and no crash */
  g_assert_false (attachments_in ("NIL"));
  g_assert_false (attachments_in ("((((()))))"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();

  g_test_add_func ("/imap/fetch/flags", test_flags);
  g_test_add_func ("/imap/fetch/internal-date", test_internal_date);
  g_test_add_func ("/imap/fetch/envelope", test_envelope);
  g_test_add_func ("/imap/fetch/partial", test_partial);
  g_test_add_func ("/imap/fetch/malformed", test_malformed);
  g_test_add_func ("/imap/fetch/attachments", test_attachments);

  return g_test_run ();
}
