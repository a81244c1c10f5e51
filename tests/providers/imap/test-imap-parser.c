/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-imap-parser.h"

static void
collect_cb (PigeonImapResponse *response,
            gpointer            user_data)
{
  g_ptr_array_add (user_data, response);
}

/* Parses TEXT (CR LF line ends) in one go with the given limits; NULL and ERROR set when
 * the parser refuses it. */
static GPtrArray *
parse_with (const char             *text,
            gsize                   length,
            const PigeonImapLimits *limits,
            GError                **error)
{
  g_autoptr(PigeonImapParser) parser = pigeon_imap_parser_new (limits);
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_response_free);

  if (!pigeon_imap_parser_feed_bytes (parser, (const guint8 *) text, length, collect_cb, out,
                                      error))
    return NULL;
  return g_steal_pointer (&out);
}

static PigeonImapResponse *
parse_one (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = parse_with (text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
  return g_ptr_array_steal_index (out, 0);
}

static void
assert_refused (const char             *text,
                gsize                   length,
                const PigeonImapLimits *limits)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = parse_with (text, length, limits, &error);

  g_assert_null (out);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

#define REFUSE(text, limits) assert_refused (text, strlen (text), limits)

static void
assert_string (PigeonImapValue *value,
               const char      *expected)
{
  g_autofree char *s = pigeon_imap_value_dup_string (value);

  g_assert_cmpstr (s, ==, expected);
}

/* ------------------------------------------------------------------ status responses */

static void
test_untagged_status (void)
{
  g_autoptr(PigeonImapResponse) r = parse_one ("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
  guint32 n;

  g_assert_cmpint (r->kind, ==, PIGEON_IMAP_RESPONSE_UNTAGGED);
  g_assert_cmpint (r->status, ==, PIGEON_IMAP_STATUS_OK);
  g_assert_cmpstr (r->name, ==, "OK");
  g_assert_cmpstr (r->code, ==, "UIDVALIDITY");
  g_assert_cmpstr (r->code_text, ==, "3857529045");
  g_assert_cmpuint (pigeon_imap_value_get_n_items (r->code_args), ==, 1);
  g_assert_true (pigeon_imap_value_get_uint32 (pigeon_imap_value_get_item (r->code_args, 0), &n));
  g_assert_cmpuint (n, ==, 3857529045u);
  g_assert_cmpstr (r->text, ==, "UIDs valid");
  g_assert_null (r->tag);
}

static void
test_tagged_status (void)
{
  g_autoptr(PigeonImapResponse) ok = parse_one ("A0042 OK [READ-WRITE] SELECT completed\r\n");
  g_autoptr(PigeonImapResponse) no =
    parse_one ("a1 no [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  g_autoptr(PigeonImapResponse) bare = parse_one ("x OK\r\n");

  g_assert_cmpint (ok->kind, ==, PIGEON_IMAP_RESPONSE_TAGGED);
  g_assert_cmpstr (ok->tag, ==, "A0042");
  g_assert_cmpint (ok->status, ==, PIGEON_IMAP_STATUS_OK);
  g_assert_cmpstr (ok->code, ==, "READ-WRITE");
  g_assert_cmpstr (ok->code_text, ==, "");
  g_assert_cmpuint (pigeon_imap_value_get_n_items (ok->code_args), ==, 0);
  g_assert_cmpstr (ok->text, ==, "SELECT completed");

  g_assert_cmpint (no->status, ==, PIGEON_IMAP_STATUS_NO);
  g_assert_cmpstr (no->code, ==, "AUTHENTICATIONFAILED");
  g_assert_cmpstr (no->text, ==, "Authentication failed.");

  g_assert_cmpint (bare->status, ==, PIGEON_IMAP_STATUS_OK);
  g_assert_null (bare->code);
  g_assert_cmpstr (bare->text, ==, "");
}

static void
test_code_with_list (void)
{
  g_autoptr(PigeonImapResponse) r =
    parse_one ("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
               "Flags permitted.\r\n");
  g_autoptr(PigeonImapResponse) copy =
    parse_one ("A3 OK [COPYUID 1700000000 3:5,9 101:104] Moved UIDs.\r\n");
  PigeonImapValue *flags;

  g_assert_cmpstr (r->code, ==, "PERMANENTFLAGS");
  flags = pigeon_imap_value_get_item (r->code_args, 0);
  g_assert_true (pigeon_imap_value_is_list (flags));
  g_assert_cmpuint (pigeon_imap_value_get_n_items (flags), ==, 6);
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (flags, 5)), ==, "\\*");
  g_assert_cmpstr (r->text, ==, "Flags permitted.");

  g_assert_cmpstr (copy->code, ==, "COPYUID");
  g_assert_cmpuint (pigeon_imap_value_get_n_items (copy->code_args), ==, 3);
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (copy->code_args, 1)),
                   ==, "3:5,9");
}

static void
test_code_unparseable (void)
{
  /* The text of an unknown code may be anything but "]": keep it raw. */
  g_autoptr(PigeonImapResponse) r = parse_one ("* NO [X-ODD \"half quoted] Try later\r\n");
  g_autoptr(PigeonImapResponse) open = parse_one ("* OK [ALERT no end\r\n");

  g_assert_cmpstr (r->code, ==, "X-ODD");
  g_assert_null (r->code_args);
  g_assert_cmpstr (r->code_text, ==, "\"half quoted");
  g_assert_cmpstr (r->text, ==, "Try later");

  g_assert_null (open->code);
  g_assert_cmpstr (open->text, ==, "[ALERT no end");
}

static void
test_continuation (void)
{
  g_autoptr(PigeonImapResponse) idle = parse_one ("+ idling\r\n");
  g_autoptr(PigeonImapResponse) empty = parse_one ("+\r\n");
  g_autoptr(PigeonImapResponse) sasl = parse_one ("+ cj1mc2RmZ2RmZw==\r\n");

  g_assert_cmpint (idle->kind, ==, PIGEON_IMAP_RESPONSE_CONTINUATION);
  g_assert_cmpstr (idle->text, ==, "idling");
  g_assert_cmpstr (empty->text, ==, "");
  g_assert_cmpstr (sasl->text, ==, "cj1mc2RmZ2RmZw==");
}

/* ------------------------------------------------------------------ data responses */

static void
test_numbered (void)
{
  g_autoptr(PigeonImapResponse) exists = parse_one ("* 23 EXISTS\r\n");
  g_autoptr(PigeonImapResponse) expunge = parse_one ("* 4294967295 expunge\r\n");

  g_assert_true (exists->has_number);
  g_assert_cmpuint (exists->number, ==, 23);
  g_assert_cmpstr (exists->name, ==, "EXISTS");
  g_assert_cmpuint (pigeon_imap_response_get_n_args (exists), ==, 0);
  g_assert_cmpuint (expunge->number, ==, G_MAXUINT32);
  g_assert_cmpstr (expunge->name, ==, "EXPUNGE");

  REFUSE ("* 4294967296 EXISTS\r\n", NULL);
  REFUSE ("* 12 OK hello\r\n", NULL);
}

static void
test_capability (void)
{
  g_autoptr(PigeonImapResponse) r =
    parse_one ("* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN COMPRESS=DEFLATE\r\n");

  g_assert_cmpstr (r->name, ==, "CAPABILITY");
  g_assert_false (r->has_number);
  g_assert_cmpuint (pigeon_imap_response_get_n_args (r), ==, 5);
  g_assert_true (pigeon_imap_value_is_atom (pigeon_imap_response_get_arg (r, 2), "literal+"));
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_response_get_arg (r, 4)), ==,
                   "COMPRESS=DEFLATE");
}

static void
test_list (void)
{
  g_autoptr(PigeonImapResponse) r =
    parse_one ("* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n");
  g_autoptr(PigeonImapResponse) nil_delim = parse_one ("* LIST (\\Noselect) NIL \"\"\r\n");
  g_autoptr(PigeonImapResponse) status =
    parse_one ("* STATUS \"Sent Items\" "
               "(MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 90060115205545359)\r\n");
  PigeonImapValue *attrs = pigeon_imap_response_get_arg (r, 0);
  PigeonImapValue *items;
  guint64 modseq;

  g_assert_cmpuint (pigeon_imap_value_get_n_items (attrs), ==, 2);
  g_assert_true (pigeon_imap_value_is_atom (pigeon_imap_value_get_item (attrs, 1), "\\sent"));
  assert_string (pigeon_imap_response_get_arg (r, 1), "/");
  assert_string (pigeon_imap_response_get_arg (r, 2), "Sent Items");

  g_assert_true (pigeon_imap_value_is_nil (pigeon_imap_response_get_arg (nil_delim, 1)));
  assert_string (pigeon_imap_response_get_arg (nil_delim, 2), "");

  items = pigeon_imap_response_get_arg (status, 1);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (items), ==, 6);
  g_assert_true (pigeon_imap_value_get_uint64 (pigeon_imap_value_get_item (items, 5), &modseq));
  g_assert_cmpuint (modseq, ==, G_GUINT64_CONSTANT (90060115205545359));
}

static void
test_quoted_escapes (void)
{
  g_autoptr(PigeonImapResponse) r =
    parse_one ("* LIST () \"\\\\\" \"say \\\"hi\\\" \\\\ now\"\r\n");

  assert_string (pigeon_imap_response_get_arg (r, 1), "\\");
  assert_string (pigeon_imap_response_get_arg (r, 2), "say \"hi\" \\ now");
  REFUSE ("* LIST () \"/\" \"no end\r\n", NULL);
}

static void
test_nil (void)
{
  g_autoptr(PigeonImapResponse) r = parse_one ("* 1 FETCH (X NIL Y nil Z \"NIL\" W NILS)\r\n");
  PigeonImapValue *items = pigeon_imap_response_get_arg (r, 0);

  g_assert_true (pigeon_imap_value_is_nil (pigeon_imap_value_get_item (items, 1)));
  g_assert_true (pigeon_imap_value_is_nil (pigeon_imap_value_get_item (items, 3)));
  g_assert_false (pigeon_imap_value_is_nil (pigeon_imap_value_get_item (items, 5)));
  assert_string (pigeon_imap_value_get_item (items, 5), "NIL");
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 7)), ==, "NILS");
  g_assert_null (pigeon_imap_value_dup_string (pigeon_imap_value_get_item (items, 1)));
}

static const char envelope_fetch[] =
  "* 12 FETCH (UID 4827 FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
  "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
  "\"IMAP4rev1 WG mtg summary and minutes\" "
  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
  "((NIL NIL \"imap\" \"cac.washington.edu\")) "
  "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
  "NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
  "BODY[HEADER.FIELDS (REFERENCES)] {27}\r\n"
  "References: <a@b> <c@d>\r\n\r\n"
  " MODSEQ (624140003))\r\n";

static void
test_fetch_envelope (void)
{
  g_autoptr(PigeonImapResponse) r = parse_one (envelope_fetch);
  PigeonImapValue *items = pigeon_imap_response_get_arg (r, 0);
  PigeonImapValue *envelope;
  PigeonImapValue *cc;
  PigeonImapValue *section;
  gsize length;
  const char *data;
  guint32 uid;

  g_assert_true (r->has_number);
  g_assert_cmpuint (r->number, ==, 12);
  g_assert_cmpstr (r->name, ==, "FETCH");
  g_assert_cmpuint (pigeon_imap_response_get_n_args (r), ==, 1);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (items), ==, 14);
  g_assert_true (pigeon_imap_value_get_uint32 (pigeon_imap_value_get_item (items, 1), &uid));
  g_assert_cmpuint (uid, ==, 4827);

  envelope = pigeon_imap_value_get_item (items, 9);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (envelope), ==, 10);
  assert_string (pigeon_imap_value_get_item (envelope, 1), "IMAP4rev1 WG mtg summary and minutes");
  cc = pigeon_imap_value_get_item (envelope, 6);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (cc), ==, 2);
  assert_string (pigeon_imap_value_get_item (pigeon_imap_value_get_item (cc, 1), 0),
                 "John Klensin");
  g_assert_true (pigeon_imap_value_is_nil (pigeon_imap_value_get_item (envelope, 7)));

  section = pigeon_imap_value_get_item (items, 10);
  g_assert_cmpstr (pigeon_imap_value_get_atom (section), ==, "BODY[HEADER.FIELDS (REFERENCES)]");
  data = pigeon_imap_value_get_string (pigeon_imap_value_get_item (items, 11), &length);
  g_assert_cmpuint (length, ==, 27);
  g_assert_true (memcmp (data, "References: <a@b> <c@d>\r\n\r\n", 27) == 0);
  g_assert_true (pigeon_imap_value_is_atom (pigeon_imap_value_get_item (items, 12), "MODSEQ"));
}

static void
test_bodystructure (void)
{
  g_autoptr(PigeonImapResponse) r = parse_one (
    "* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" "
    "12 1 NIL NIL NIL NIL)"
    "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 4000 NIL "
    "(\"attachment\" (\"FILENAME\" \"a.pdf\")) NIL NIL) "
    "\"MIXED\" (\"BOUNDARY\" \"xyz\") NIL NIL NIL))\r\n");
  PigeonImapValue *body = pigeon_imap_value_get_item (pigeon_imap_response_get_arg (r, 0), 1);
  PigeonImapValue *pdf = pigeon_imap_value_get_item (body, 1);
  PigeonImapValue *disposition = pigeon_imap_value_get_item (pdf, 8);

  g_assert_cmpuint (pigeon_imap_value_get_n_items (body), ==, 7);
  assert_string (pigeon_imap_value_get_item (body, 2), "MIXED");
  assert_string (pigeon_imap_value_get_item (disposition, 0), "attachment");
}

static void
test_section_atoms (void)
{
  static const char text[] =
    "* 1 FETCH (BODY[]<0> {3}\r\nabc BODY[1.2.MIME] \"x\" BODY[HEADER.FIELDS (A \"B\")] NIL "
    "BINARY[2] ~{2}\r\n\x00\x01)\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = parse_with (text, sizeof text - 1, NULL, &error);
  PigeonImapValue *items;

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
  items = pigeon_imap_response_get_arg (g_ptr_array_index (out, 0), 0);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (items), ==, 8);
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 0)), ==,
                   "BODY[]<0>");
  assert_string (pigeon_imap_value_get_item (items, 1), "abc");
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 2)), ==,
                   "BODY[1.2.MIME]");
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 4)), ==,
                   "BODY[HEADER.FIELDS (A \"B\")]");
  g_assert_true (pigeon_imap_value_is_nil (pigeon_imap_value_get_item (items, 5)));
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 6)), ==,
                   "BINARY[2]");
}

static void
test_literal8 (void)
{
  static const char text[] = "* 1 FETCH (BINARY[] ~{4}\r\n\x00\xff\r\n UID 9)\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = parse_with (text, sizeof text - 1, NULL, &error);
  PigeonImapValue *items;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
  items = pigeon_imap_response_get_arg (g_ptr_array_index (out, 0), 0);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (items), ==, 4);
  g_assert_cmpstr (pigeon_imap_value_get_atom (pigeon_imap_value_get_item (items, 0)), ==,
                   "BINARY[]");
  bytes = pigeon_imap_value_dup_bytes (pigeon_imap_value_get_item (items, 1));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 4);
  g_assert_true (memcmp (g_bytes_get_data (bytes, NULL), "\x00\xff\r\n", 4) == 0);
  /* Text with a NUL is no C string. */
  g_assert_null (pigeon_imap_value_dup_string (pigeon_imap_value_get_item (items, 1)));
}

/* A literal as the last item, a literal right before ")", an empty literal, and a literal
 * in a LIST reply. */
static void
test_literal_positions (void)
{
  static const char text[] =
    "* LIST () \"/\" {5}\r\nInbox\r\n"
    "* 2 FETCH (BODY[] {0}\r\n)\r\n"
    "* 3 FETCH (BODY[TEXT] {2}\r\nhi)\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = parse_with (text, sizeof text - 1, NULL, &error);
  PigeonImapValue *items;
  gsize length;

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 3);
  assert_string (pigeon_imap_response_get_arg (g_ptr_array_index (out, 0), 2), "Inbox");
  items = pigeon_imap_response_get_arg (g_ptr_array_index (out, 1), 0);
  g_assert_nonnull (pigeon_imap_value_get_string (pigeon_imap_value_get_item (items, 1), &length));
  g_assert_cmpuint (length, ==, 0);
  items = pigeon_imap_response_get_arg (g_ptr_array_index (out, 2), 0);
  assert_string (pigeon_imap_value_get_item (items, 1), "hi");
}

/* The same transcript fed in every chunk size gives the same responses. */
static void
test_literal_split (void)
{
  g_autoptr(GString) transcript = g_string_new (NULL);
  static const char body[] = "From: a@b\r\nSubject: {5}\r\n\r\n* 9 EXISTS\r\nA1 OK fake\r\n";

  g_string_append (transcript, "* 1 EXISTS\r\n");
  g_string_append_printf (transcript, "* 1 FETCH (UID 7 BODY[] {%zu}\r\n%s FLAGS (\\Seen))\r\n",
                          sizeof body - 1, body);
  g_string_append (transcript, envelope_fetch);
  g_string_append (transcript, "A1 OK done\r\n");

  for (gsize chunk = 1; chunk <= transcript->len; chunk++)
    {
      g_autoptr(PigeonImapParser) parser = pigeon_imap_parser_new (NULL);
      g_autoptr(GPtrArray) out =
        g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_response_free);
      PigeonImapValue *items;
      gsize length;
      const char *data;

      for (gsize pos = 0; pos < transcript->len; pos += chunk)
        {
          g_autoptr(GError) error = NULL;
          gsize n = MIN (chunk, transcript->len - pos);

          g_assert_true (pigeon_imap_parser_feed_bytes (parser,
                                                        (const guint8 *) transcript->str + pos,
                                                        n, collect_cb, out, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpuint (out->len, ==, 4);
      items = pigeon_imap_response_get_arg (g_ptr_array_index (out, 1), 0);
      data = pigeon_imap_value_get_string (pigeon_imap_value_get_item (items, 3), &length);
      g_assert_cmpuint (length, ==, sizeof body - 1);
      g_assert_true (memcmp (data, body, length) == 0);
      g_assert_cmpuint (pigeon_imap_value_get_n_items (pigeon_imap_value_get_item (items, 5)), ==,
                        1);
      g_assert_cmpstr (((PigeonImapResponse *) g_ptr_array_index (out, 3))->tag, ==, "A1");
    }
}

/* The line/literal interface the connection uses. */
static void
test_line_interface (void)
{
  g_autoptr(PigeonImapParser) parser = pigeon_imap_parser_new (NULL);
  g_autoptr(GBytes) literal = g_bytes_new_static ("hello", 5);
  g_autoptr(PigeonImapResponse) r = NULL;
  g_autoptr(GError) error = NULL;
  static const char line1[] = "* 4 FETCH (BODY[] {5}";
  static const char line2[] = " UID 10)";

  g_assert_cmpint (pigeon_imap_parser_feed_line (parser, line1, strlen (line1), &error), ==,
                   PIGEON_IMAP_PARSE_NEED_LITERAL);
  g_assert_cmpuint (pigeon_imap_parser_get_literal_size (parser), ==, 5);
  g_assert_cmpint (pigeon_imap_parser_feed_literal (parser, literal, &error), ==,
                   PIGEON_IMAP_PARSE_NEED_LINE);
  g_assert_cmpint (pigeon_imap_parser_feed_line (parser, line2, strlen (line2), &error), ==,
                   PIGEON_IMAP_PARSE_COMPLETE);
  g_assert_no_error (error);
  r = pigeon_imap_parser_steal_response (parser);
  g_assert_cmpuint (pigeon_imap_value_get_n_items (pigeon_imap_response_get_arg (r, 0)), ==, 4);

  /* A literal of the wrong size is refused, and the parser is usable after a reset. */
  g_assert_cmpint (pigeon_imap_parser_feed_line (parser, line1, strlen (line1), &error), ==,
                   PIGEON_IMAP_PARSE_NEED_LITERAL);
  {
    g_autoptr(GBytes) wrong = g_bytes_new_static ("hey", 3);

    g_assert_cmpint (pigeon_imap_parser_feed_literal (parser, wrong, &error), ==,
                     PIGEON_IMAP_PARSE_ERROR);
    g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
    g_clear_error (&error);
  }
  pigeon_imap_parser_reset (parser);
  g_assert_cmpint (pigeon_imap_parser_feed_line (parser, "* 1 EXISTS", 10, &error), ==,
                   PIGEON_IMAP_PARSE_COMPLETE);
}

/* ------------------------------------------------------------------ refusals and bounds */

static void
test_malformed (void)
{
  static const char *cases[] = {
    "\r\n",                                   /* empty line */
    "* \r\n",                                 /* no name */
    "*FETCH\r\n",                             /* no space */
    "A1 FETCH (1)\r\n",                       /* tagged data */
    "A1 BYE bye\r\n",                         /* tagged BYE */
    "* 1 FETCH (UID 1\r\n",                   /* unbalanced ( */
    "* 1 FETCH UID 1)\r\n",                   /* unbalanced ) */
    "* 1 FETCH (BODY[] {5} UID 1)\r\n",       /* literal not at end of line */
    "* 1 FETCH (BODY[] {}\r\n",               /* literal without size */
    "* 1 FETCH (BODY[] {12a}\r\n",            /* bad size */
    "* 1 FETCH (BODY[] {99999999999999999999}\r\n", /* overflowing size */
    "* 1 FETCH (BODY[HEADER\r\n",             /* section without ] */
    "* 12a EXISTS\r\n",                       /* bad number */
    "(A1 OK\r\n",                             /* bad tag */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i]);
      assert_refused (cases[i], strlen (cases[i]), NULL);
    }
  /* NUL bytes in a line */
  assert_refused ("* OK a\0b\r\n", 10, NULL);
  assert_refused ("* CAPABILITY IMAP4\0rev1\r\n", 25, NULL);
}

static void
small_limits (PigeonImapLimits *limits)
{
  pigeon_imap_limits_init_default (limits);
  limits->max_line = 64;
  limits->max_literal = 100;
  limits->max_response = 300;
  limits->max_depth = 4;
  limits->max_values = 20;
}

static void
test_limit_literal (void)
{
  PigeonImapLimits limits;
  g_autofree char *ok = NULL;
  g_autofree char *big = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) out = NULL;

  small_limits (&limits);
  {
    g_autofree char *payload = g_strnfill (100, 'x');

    ok = g_strdup_printf ("* 1 FETCH (BODY[] {100}\r\n%s)\r\n", payload);
  }
  out = parse_with (ok, strlen (ok), &limits, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);

  /* Refused on the announcement, before a single byte of it is buffered. */
  big = g_strdup ("* 1 FETCH (BODY[] {101}\r\n");
  assert_refused (big, strlen (big), &limits);
  REFUSE ("* 1 FETCH (BODY[] {4294967296}\r\n", NULL);
}

static void
test_limit_line (void)
{
  PigeonImapLimits limits;
  g_autofree char *line = NULL;
  g_autoptr(PigeonImapParser) parser = NULL;
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_response_free);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  small_limits (&limits);
  line = g_strnfill (64, 'a');
  memcpy (line, "* OK ", 5);
  out = parse_with (line, 0, &limits, &error);   /* nothing fed, nothing parsed */
  g_assert_nonnull (out);
  {
    g_autofree char *text = g_strconcat (line, "\r\n", NULL);
    g_autoptr(GPtrArray) one = parse_with (text, strlen (text), &limits, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (one->len, ==, 1);
  }
  {
    g_autofree char *text = g_strconcat (line, "a\r\n", NULL);

    assert_refused (text, strlen (text), &limits);
  }

  /* A line that never ends is refused as soon as it passes the limit, however it is fed. */
  parser = pigeon_imap_parser_new (&limits);
  for (guint i = 0; i < 1000 && ok; i++)
    ok = pigeon_imap_parser_feed_bytes (parser, (const guint8 *) "aaaaaaaa", 8, collect_cb,
                                        out, &error);
  g_assert_false (ok);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_limit_depth (void)
{
  PigeonImapLimits limits;

  small_limits (&limits);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) out = parse_with ("* X ((((a))))\r\n", 15, &limits, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (out->len, ==, 1);
  }
  REFUSE ("* X (((((a)))))\r\n", &limits);

  /* Default limits: a hostile nesting of 100,000 is refused, not recursed into. */
  {
    g_autoptr(GString) deep = g_string_new ("* X ");

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, '(');
    g_string_append (deep, "\r\n");
    assert_refused (deep->str, deep->len, NULL);
  }
}

static void
test_limit_values (void)
{
  PigeonImapLimits limits;
  g_autoptr(GString) many = g_string_new ("* SEARCH");

  small_limits (&limits);
  for (guint i = 0; i < 20; i++)
    g_string_append (many, " 1");
  g_string_append (many, "\r\n");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) out = parse_with (many->str, many->len, &limits, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (out->len, ==, 1);
  }
  g_string_insert (many, 8, " 1");
  assert_refused (many->str, many->len, &limits);
}

static void
test_limit_response (void)
{
  PigeonImapLimits limits;
  g_autoptr(GString) text = g_string_new ("* 1 FETCH (A {90}\r\n");

  /* Literals that each fit, in a response that does not. */
  small_limits (&limits);
  limits.max_values = 1000;
  for (guint i = 0; i < 4; i++)
    {
      for (guint j = 0; j < 90; j++)
        g_string_append_c (text, 'x');
      g_string_append (text, " B {90}\r\n");
    }
  assert_refused (text->str, text->len, &limits);
}

/* After a refusal, a reset parser reads the next response normally. */
static void
test_reset_after_error (void)
{
  g_autoptr(PigeonImapParser) parser = pigeon_imap_parser_new (NULL);
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_imap_response_free);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_parser_feed_bytes (parser, (const guint8 *) "* 1 FETCH ((\r\n", 14,
                                                 collect_cb, out, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);
  pigeon_imap_parser_reset (parser);
  g_assert_true (pigeon_imap_parser_feed_bytes (parser, (const guint8 *) "* 3 RECENT\r\n", 12,
                                                collect_cb, out, &error));
  g_assert_cmpuint (out->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/parser/untagged-status", test_untagged_status);
  g_test_add_func ("/imap/parser/tagged-status", test_tagged_status);
  g_test_add_func ("/imap/parser/code-with-list", test_code_with_list);
  g_test_add_func ("/imap/parser/code-unparseable", test_code_unparseable);
  g_test_add_func ("/imap/parser/continuation", test_continuation);
  g_test_add_func ("/imap/parser/numbered", test_numbered);
  g_test_add_func ("/imap/parser/capability", test_capability);
  g_test_add_func ("/imap/parser/list-status", test_list);
  g_test_add_func ("/imap/parser/quoted-escapes", test_quoted_escapes);
  g_test_add_func ("/imap/parser/nil", test_nil);
  g_test_add_func ("/imap/parser/fetch-envelope", test_fetch_envelope);
  g_test_add_func ("/imap/parser/bodystructure", test_bodystructure);
  g_test_add_func ("/imap/parser/section-atoms", test_section_atoms);
  g_test_add_func ("/imap/parser/literal8", test_literal8);
  g_test_add_func ("/imap/parser/literal-positions", test_literal_positions);
  g_test_add_func ("/imap/parser/literal-split", test_literal_split);
  g_test_add_func ("/imap/parser/line-interface", test_line_interface);
  g_test_add_func ("/imap/parser/malformed", test_malformed);
  g_test_add_func ("/imap/parser/limit-literal", test_limit_literal);
  g_test_add_func ("/imap/parser/limit-line", test_limit_line);
  g_test_add_func ("/imap/parser/limit-depth", test_limit_depth);
  g_test_add_func ("/imap/parser/limit-values", test_limit_values);
  g_test_add_func ("/imap/parser/limit-response", test_limit_response);
  g_test_add_func ("/imap/parser/reset-after-error", test_reset_after_error);

  return g_test_run ();
}
