/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"

/* ------------------------------------------------------------------ fixtures */

static GBytes *
load_fixture (const char *name)
{
  g_autofree char *path = g_build_filename (MIME_DATA_DIR, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

typedef struct
{
  const char *file;
  const char *subject;
  const char *from;
  const char *to;
  const char *cc;
  const char *reply_to;
  const char *message_id;
  const char *in_reply_to;
  const char *references;
  gint64      date;
  gboolean    has_attachments;
  const char *preview;
  /* NULL-terminated: what the search text must and must not hold */
  const char *text_has[6];
  const char *text_lacks[6];
} Expected;

static const Expected fixtures[] = {
  {
    "rfc2047-subject.eml", "Échec et mat à la réunion", "André Pirard <pirard@vm1.example.be>",
    "山田 <taro@example.jp>, \"Doe, John\" <john@example.test>", NULL,
    "Réponses <replies@example.test>", "rfc2047@example.test", "parent@example.test",
    "root@example.test parent@example.test", 1709552096, FALSE,
    "Plain ASCII body about the chess meeting.",
    { "chess meeting" }, { NULL },
  },
  {
    "latin1-qp.eml", "Menü du jour", "Chef <chef@restaurant.example>", "guest@example.test",
    NULL, NULL, "menu-1@restaurant.example", NULL, NULL, 1709280000, FALSE,
    "Café crème brûlée, naïve tarte à la française. Prix: 12 € = bon marché.",
    { "Café crème brûlée, naïve tarte à la française.\nPrix: 12 € = bon marché." },
    { "=E9", NULL },
  },
  {
    "alternative.eml", "Re: Lunch on Friday?", "Alice Example <alice@example.test>",
    "Bob Builder <bob@example.test>", NULL, NULL, "alt-1@example.test",
    "lunch@example.test", "lunch@example.test", 1709810100, FALSE,
    "Sounds good, the Thai place at noon works for me.",
    { "Sounds good", "> Shall we try the new Thai place" },
    { "HTMLONLYWORD", "<p>", NULL },
  },
  {
    "html-only.eml", "Spring sale", "Newsletter <news@shop.example>", "you@example.test", NULL,
    NULL, "news-2024-03@shop.example", NULL, NULL, 1709377200, FALSE,
    "Spring sale: 20€ off & free shipping Café <tables> ☺ New line Cell one Cell two",
    { "Spring sale: 20€ off & free shipping", "Café <tables> ☺\nNew line", "Cell one Cell two" },
    { "TITLEWORD", "STYLEWORD", "SCRIPTWORD", "COMMENTWORD", "tracker", "b\">" },
  },
  {
    "attachment-rfc2231.eml", "Your statement", "Accounts <accounts@bank.example>",
    "you@example.test", NULL, NULL, "statement@bank.example", NULL, NULL, 1709625600, TRUE,
    "See the attached rates.",
    { "See the attached rates." }, { "SECRETPAYLOAD", "JVBER", NULL },
  },
  {
    "no-date.eml", NULL, "nobody@example.test", "you@example.test", NULL, NULL,
    "nodate@example.test", NULL, NULL, 0, FALSE,
    "A message with neither a date nor a subject.",
    { "neither a date" }, { NULL },
  },
  {
    "broken-charset.eml", "Grüße", "Müller <mueller@example.de>", "you@example.test", NULL,
    NULL, "broken@example.de", NULL, NULL, 1709456400, FALSE,
    "Herzliche Grüße aus Köln und Ärger mit Zeichensätzen.",
    { "Herzliche Grüße aus Köln und Ärger mit Zeichensätzen." }, { NULL },
  },
  {
    "rfc822-forward.eml", "Fwd: Original subject", "Carol Jones <carol@lists.example.org>",
    "Bob Builder <bob@example.test>", NULL, NULL, "fwd@lists.example.org", NULL, NULL,
    1709564400, TRUE, "Forwarding this, see below.",
    { "Forwarding this" }, { "ORIGINALBODYTEXT", NULL },
  },
  {
    "inline-image.eml", "New logo", "Designer <design@studio.example>", "you@example.test",
    NULL, NULL, "logo@studio.example", NULL, NULL, 1709740800, FALSE,
    "Here is the new logo:",
    { "Here is the new logo:" }, { "IMAGEPAYLOAD", "cid:", NULL },
  },
  {
    "inline-photo.eml", "Photo from the garden", "Grandma <grandma@example.test>",
    "you@example.test", NULL, NULL, "photo@example.test", NULL, NULL, 1709744400, TRUE,
    "The roses are out.",
    { "The roses are out." }, { NULL },
  },
  {
    "signed.eml", "Signed note", "Erin Smith <erin@example.net>", "you@example.test", NULL,
    NULL, "signed@example.net", NULL, NULL, 1709798400, FALSE, "This note is signed.",
    { "This note is signed." }, { "PGP SIGNATURE", NULL },
  },
  {
    "utf8-headers.eml", "Grüße aus Zürich 🐦", "Zoë Ångström <zoe@example.se>",
    "alice@example.test, Bob <bob@example.test>", NULL, NULL, "utf8@example.se", NULL, NULL,
    1709832600, FALSE, "Grüße aus Zürich!",
    { "Grüße aus Zürich!" }, { NULL },
  },
};

static void
test_mime_fixture (gconstpointer data)
{
  const Expected *e = data;
  g_autoptr(GBytes) raw = load_fixture (e->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autofree char *text = NULL;
  g_autofree char *preview = NULL;
  gboolean attachments = !e->has_attachments;

  envelope = pigeon_mime_parse_envelope (raw, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, e->subject);
  g_assert_cmpstr (envelope->from, ==, e->from);
  g_assert_cmpstr (envelope->to, ==, e->to);
  g_assert_cmpstr (envelope->cc, ==, e->cc);
  g_assert_cmpstr (envelope->reply_to, ==, e->reply_to);
  g_assert_cmpstr (envelope->message_id, ==, e->message_id);
  g_assert_cmpstr (envelope->in_reply_to, ==, e->in_reply_to);
  g_assert_cmpstr (envelope->references, ==, e->references);
  g_assert_cmpint (envelope->date, ==, e->date);
  g_assert_cmpint (envelope->size, ==, g_bytes_get_size (raw));
  g_assert_cmpint (envelope->has_attachments, ==, e->has_attachments);
  g_assert_cmpstr (envelope->preview, ==, e->preview);
  g_assert_cmpuint (envelope->uid, ==, 0);
  g_assert_cmpint (envelope->flags, ==, 0);

  message = pigeon_mime_parse (raw, &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_mime_extract_text (message, &text, &preview, &attachments));
  g_assert_cmpint (attachments, ==, e->has_attachments);
  g_assert_cmpstr (preview, ==, e->preview);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (e->text_has) && e->text_has[i] != NULL; i++)
    {
      if (strstr (text, e->text_has[i]) == NULL)
        g_error ("%s: “%s” not in the text:\n%s", e->file, e->text_has[i], text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (e->text_lacks) && e->text_lacks[i] != NULL; i++)
    {
      if (strstr (text, e->text_lacks[i]) != NULL)
        g_error ("%s: “%s” should not be in the text:\n%s", e->file, e->text_lacks[i], text);
    }
}

/* GMime decodes RFC 2231 parameters: the attachment keeps its name. */
static void
test_mime_rfc2231_filename (void)
{
  g_autoptr(GBytes) raw = load_fixture ("attachment-rfc2231.eml");
  g_autoptr(GMimeMessage) message = pigeon_mime_parse (raw, NULL);
  GMimeMultipart *mixed = GMIME_MULTIPART (g_mime_message_get_mime_part (message));
  GMimePart *pdf = GMIME_PART (g_mime_multipart_get_part (mixed, 1));

  g_assert_cmpstr (g_mime_part_get_filename (pdf), ==, "€ rates März.pdf");
}

static void
test_mime_garbage (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  static const char junk[] = "\x00\x01\x02\xff\xfe binary\r\n\r\n\x00";
  g_autoptr(GBytes) binary = g_bytes_new_static (junk, sizeof junk - 1);
  g_autoptr(GBytes) headers_only = g_bytes_new_static ("Subject: only\r\n", 15);
  g_autoptr(PigeonMessage) envelope = NULL;

  g_assert_null (pigeon_mime_parse (empty, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Whatever can be read is: never a crash, always valid UTF-8. */
  envelope = pigeon_mime_parse_envelope (binary, &error);
  if (envelope != NULL)
    {
      g_assert_true (envelope->subject == NULL || g_utf8_validate (envelope->subject, -1, NULL));
      g_assert_true (g_utf8_validate (envelope->preview, -1, NULL));
    }
  else
    {
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
    }
  g_clear_error (&error);
  g_clear_pointer (&envelope, pigeon_message_free);

  envelope = pigeon_mime_parse_envelope (headers_only, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, "only");
  g_assert_cmpstr (envelope->preview, ==, "");
  g_assert_false (envelope->has_attachments);
}

/* A hostile message nested far deeper than anyone writes: parsed in bounded time, the
 * walk stops at its depth limit. */
static void
test_mime_deep_nesting (void)
{
  g_autoptr(GString) s = g_string_new ("From: a@example.test\r\nSubject: deep\r\n"
                                       "MIME-Version: 1.0\r\n");
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(PigeonMessage) envelope = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  const guint depth = 20000;

  for (guint i = 0; i < depth; i++)
    g_string_append_printf (s, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n--b%u\r\n",
                            i, i);
  g_string_append (s, "Content-Type: text/plain\r\n\r\nat the bottom\r\n");
  for (guint i = depth; i > 0; i--)
    g_string_append_printf (s, "--b%u--\r\n", i - 1);
  raw = g_bytes_new (s->str, s->len);

  envelope = pigeon_mime_parse_envelope (raw, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->subject, ==, "deep");
  g_assert_cmpstr (envelope->preview, ==, "");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
}

static void
test_mime_format_addresses (void)
{
  g_autoptr(InternetAddressList) list = NULL;
  g_autofree char *text = NULL;

  g_assert_null (pigeon_mime_format_addresses (NULL));
  list = internet_address_list_parse (NULL,
    "=?UTF-8?Q?J=C3=BCrgen?= <j@example.test>, plain@example.test, "
    "\"Smith, Ann \\\"AJ\\\"\" <ann@example.test>, "
    "Team: x@example.test, y@example.test;, "
    "\"same@example.test\" <same@example.test>");
  text = pigeon_mime_format_addresses (list);
  g_assert_cmpstr (text, ==,
                   "Jürgen <j@example.test>, plain@example.test, "
                   "\"Smith, Ann \\\"AJ\\\"\" <ann@example.test>, x@example.test, y@example.test, "
                   "same@example.test");
  g_clear_object (&list);
  list = internet_address_list_new ();
  g_assert_null (pigeon_mime_format_addresses (list));
}

/* ------------------------------------------------------------------ HTML */

static void
assert_html (const char *html,
             const char *expected)
{
  g_autofree char *text = pigeon_mime_html_to_text (html);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_mime_html_basics (void)
{
  assert_html (NULL, "");
  assert_html ("", "");
  assert_html ("plain text", "plain text");
  assert_html ("<p>one</p><p>two</p>", "one\n\ntwo");
  assert_html ("a<br>b<br/>c<BR >d", "a\nb\nc\nd");
  assert_html ("<div>  lots   of\n\n  space  </div>", "lots of space");
  assert_html ("<ul><li>first</li><li>second</li></ul>", "first\nsecond");
  assert_html ("<pre>line 1\nline 2</pre>", "line 1\nline 2");
  assert_html ("&lt;b&gt; &amp;amp; &quot;q&quot; &#39;s&#39; &#x41;&#66;",
               "<b> &amp; \"q\" 's' AB");
  assert_html ("caf&eacute; &euro;5 &hellip; &unknown; & alone &#0; &#xD800;",
               "café €5 … &unknown; & alone \xef\xbf\xbd \xef\xbf\xbd");
  assert_html ("a&nbsp;&nbsp;b", "a b");
  assert_html ("x<script>alert('<p>no</p>')</script>y", "xy");
  assert_html ("x<SCRIPT type=text/javascript>1</ScRiPt >y", "xy");
  assert_html ("<style>p{}</style><p>shown</p>", "shown");
  assert_html ("<head><title>t</title></head><body>b</body>", "b");
  assert_html ("a<!-- hidden <p> -->b", "ab");
  assert_html ("<a href=\"x>y\" title='>'>link</a>", "link");
  assert_html ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2");
  assert_html ("<td>a</td><td>b</td>", "a b");
  assert_html ("pre\xe2\x80\x8bview\xc2\xad", "preview");
  assert_html ("broken \xff utf8", "broken \xef\xbf\xbd utf8");
  assert_html ("<!DOCTYPE html><?xml x?>text", "text");
}

/* Hostile markup: every shape finishes quickly and never grows without bound. */
static void
test_mime_html_hostile (void)
{
  static const char * const openers[] = { "<div>", "<!--", "<script>", "<a title=\"", "&#",
                                          "<", "<p", "&amp", "<pre>" };
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < G_N_ELEMENTS (openers); i++)
    {
      g_autoptr(GString) html = g_string_new (NULL);
      g_autofree char *text = NULL;

      for (guint j = 0; j < 200000; j++)
        g_string_append (html, openers[i]);
      g_string_append (html, "end");
      text = pigeon_mime_html_to_text (html->str);
      g_assert_true (g_utf8_validate (text, -1, NULL));
      g_assert_cmpuint (strlen (text), <=, 1024 * 1024 + 8);
    }

  /* Twenty megabytes of text: the output is capped. */
  {
    g_autofree char *huge = g_strnfill (20 * 1024 * 1024, 'x');
    g_autofree char *text = pigeon_mime_html_to_text (huge);

    g_assert_cmpuint (strlen (text), <=, 1024 * 1024 + 8);
  }
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------ seeded mailbox */

/* The harness's seeder (tests/harness/seed_maildir.py) writes a realistic mix (and its odd cases); every message parses
 * into a sane envelope. */
static void
test_mime_seeded_maildir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pigeon-mime-XXXXXX", &error);
  g_autofree char *cur = g_build_filename (dir, "cur", NULL);
  g_autofree char *err_out = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name;
  int status = 0;
  guint parsed = 0, with_subject = 0, with_date = 0, with_attachments = 0;
  const char *argv[] = { PYTHON, SEEDER, "--maildir", dir, "--count", "50", NULL };

  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                &err_out, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("seed_maildir.py failed: %s", err_out);

  listing = g_dir_open (cur, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (cur, name, NULL);
      g_autoptr(GBytes) raw = NULL;
      g_autoptr(PigeonMessage) envelope = NULL;
      g_autoptr(GMimeMessage) message = NULL;
      g_autofree char *text = NULL;
      char *contents;
      gsize len;

      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      raw = g_bytes_new_take (contents, len);
      envelope = pigeon_mime_parse_envelope (raw, &error);
      g_assert_no_error (error);
      g_assert_nonnull (envelope->from);
      g_assert_true (g_utf8_validate (envelope->from, -1, NULL));
      g_assert_true (envelope->subject == NULL || g_utf8_validate (envelope->subject, -1, NULL));
      g_assert_true (g_utf8_validate (envelope->preview, -1, NULL));
      g_assert_cmpuint (g_utf8_strlen (envelope->preview, -1), <=, 200);
      g_assert_null (strchr (envelope->preview, '\n'));
      g_assert_cmpint (envelope->size, ==, len);

      message = pigeon_mime_parse (raw, &error);
      g_assert_true (pigeon_mime_extract_text (message, &text, NULL, NULL));
      g_assert_true (g_utf8_validate (text, -1, NULL));
      /* Base64 attachment data never reaches the search text. */
      g_assert_null (strstr (text, "JVBERi0"));
      g_assert_null (strstr (text, "iVBORw0KGgo"));

      parsed++;
      with_subject += envelope->subject != NULL && *envelope->subject != '\0';
      with_date += envelope->date != 0;
      with_attachments += envelope->has_attachments;
    }
  g_test_message ("%u parsed, %u with subject, %u dated, %u with attachments", parsed,
                  with_subject, with_date, with_attachments);
  g_assert_cmpuint (parsed, ==, 50);
  g_assert_cmpuint (with_subject, >=, 45);
  g_assert_cmpuint (with_date, >=, 45);
  g_assert_cmpuint (with_attachments, >=, 1);

  g_dir_rewind (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (cur, name, NULL);

      g_unlink (path);
    }
  for (guint i = 0; i < 3; i++)
    {
      static const char * const subdirs[] = { "cur", "new", "tmp" };
      g_autofree char *path = g_build_filename (dir, subdirs[i], NULL);

      g_rmdir (path);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();

  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *path = g_strdup_printf ("/mime/fixture/%s", fixtures[i].file);

      g_test_add_data_func (path, &fixtures[i], test_mime_fixture);
    }
  g_test_add_func ("/mime/rfc2231-filename", test_mime_rfc2231_filename);
  g_test_add_func ("/mime/garbage", test_mime_garbage);
  g_test_add_func ("/mime/deep-nesting", test_mime_deep_nesting);
  g_test_add_func ("/mime/format-addresses", test_mime_format_addresses);
  g_test_add_func ("/mime/html/basics", test_mime_html_basics);
  g_test_add_func ("/mime/html/hostile", test_mime_html_hostile);
  g_test_add_func ("/mime/seeded-maildir", test_mime_seeded_maildir);

  return g_test_run ();
}
