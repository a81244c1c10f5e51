/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pigeon-certificate-dialog.h"
#include "pigeon-message-render.h"
#include "pigeon-notifier.h"

/* What the message view is given to show: the document, the cid: parts, the attachments. */

static GMimeMessage *
parse (const char *text)
{
  g_autoptr(GBytes) raw = g_bytes_new_static (text, strlen (text));
  g_autoptr(GError) error = NULL;
  GMimeMessage *message = pigeon_mime_parse (raw, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
test_plain_links_and_quotes (void)
{
  g_autofree char *html = pigeon_render_plain_text (
    "Hello <you> & co,\n"
    "see https://example.org/a?b=1&c=2. or www.example.com\n"
    "> quoted once, from mailto:bob@example.test\n"
    "> > quoted twice\n"
    ">>> three\n"
    "back to me@example.test\n"
    "-- \n"
    "Signature\n");

  /* Escaped text, never markup from the message. */
  g_assert_nonnull (strstr (html, "Hello &lt;you&gt; &amp; co,"));
  /* Links, the sentence's full stop left out. */
  g_assert_nonnull (strstr (html, "<a href=\"https://example.org/a?b=1&amp;c=2\">"
                                  "https://example.org/a?b=1&amp;c=2</a>. or"));
  g_assert_nonnull (strstr (html, "<a href=\"http://www.example.com\">www.example.com</a>"));
  g_assert_nonnull (strstr (html, "<a href=\"mailto:me@example.test\">me@example.test</a>"));
  g_assert_nonnull (strstr (html,
                            "<a href=\"mailto:bob@example.test\">mailto:bob@example.test</a>"));
  /* Quote levels nest, without their markers. */
  g_assert_nonnull (strstr (html, "<blockquote class=\"quote quote-1\">quoted once"));
  g_assert_nonnull (strstr (html, "<blockquote class=\"quote quote-2\">quoted twice"));
  g_assert_nonnull (strstr (html, "<blockquote class=\"quote quote-3\">three"));
  g_assert_null (strstr (html, "&gt; quoted"));
  g_assert_nonnull (strstr (html, "</blockquote></blockquote></blockquote>back to"));
  g_assert_nonnull (strstr (html, "<div class=\"signature\">-- \nSignature"));
}

static void
test_unflow (void)
{
  g_autofree char *plain = pigeon_render_unflow (
    "This paragraph was \r\nwrapped by the \r\nsender.\r\n"
    "\r\n"
    "> A quote that \r\n"
    "> goes on.\r\n"
    ">> Deeper \r\n"
    "back at the top.\r\n"
    " >not a quote, stuffed\r\n"
    "-- \r\n"
    "Sig\r\n", FALSE);
  g_autofree char *delsp = pigeon_render_unflow ("Long wo \r\nrd\r\n", TRUE);

  g_assert_cmpstr (plain, ==,
                   "This paragraph was wrapped by the sender.\n"
                   "\n"
                   "> A quote that goes on.\n"
                   ">> Deeper \n"
                   "back at the top.\n"
                   ">not a quote, stuffed\n"
                   "-- \n"
                   "Sig\n");
  g_assert_cmpstr (delsp, ==, "Long word\n");
}

static void
test_flowed_message (void)
{
  static const char text[] =
    "From: a@example.test\r\n"
    "Subject: Flowed\r\n"
    "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
    "\r\n"
    "One long line \r\nwrapped in two.\r\n";
  g_autoptr(GMimeMessage) message = parse (text);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, FALSE, FALSE);

  g_assert_nonnull (strstr (rendered->html, "One long line wrapped in two."));
}

static void
test_plain_document_dark (void)
{
  g_autofree char *light = pigeon_render_plain_document ("x", FALSE);
  g_autofree char *dark = pigeon_render_plain_document ("x", TRUE);

  g_assert_nonnull (strstr (light, "class=\"light\""));
  g_assert_nonnull (strstr (dark, "class=\"dark\""));
  g_assert_nonnull (strstr (dark, "background:#242424"));
}

static void
test_remote_content_detection (void)
{
  static const char *remote[] = {
    "<img src=\"https://tracker.example.com/p.gif\">",
    "<IMG SRC=http://x.example/p.gif>",
    "<img src='//cdn.example.com/x.png'>",
    "<img srcset=\"a.png 1x, https://x.example/b.png 2x\">",
    "<body background=\"http://x.example/bg.jpg\">",
    "<video poster=\"https://x.example/p.jpg\">",
    "<div style=\"background: url( 'https://x.example/a.png' )\">",
    "<style>@import \"https://x.example/a.css\";</style>",
    "<link rel=stylesheet href=\"https://x.example/a.css\">",
    "<object data=\"http://x.example/o\">",
  };
  static const char *local[] = {
    "<img src=\"cid:logo@shop\">",
    "<a href=\"https://example.org\">a link is no load</a>",
    "<img src=\"data:image/png;base64,AAAA\">",
    "<p>Visit https://example.org some time</p>",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (remote); i++)
    g_assert_true (pigeon_render_has_remote_content (remote[i]));
  for (guint i = 0; i < G_N_ELEMENTS (local); i++)
    g_assert_false (pigeon_render_has_remote_content (local[i]));
  g_assert_false (pigeon_render_has_remote_content (NULL));
}

static const char related_message[] =
  "From: Shop <news@shop.example.com>\r\n"
  "To: me@example.test\r\n"
  "Subject: Sale\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
  "\r\n"
  "--outer\r\n"
  "Content-Type: multipart/related; boundary=\"rel\"\r\n"
  "\r\n"
  "--rel\r\n"
  "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
  "\r\n"
  "--alt\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "\r\n"
  "Plain sale.\r\n"
  "--alt\r\n"
  "Content-Type: text/html; charset=utf-8\r\n"
  "\r\n"
  "<html><body><h1>Sale</h1><img src=\"cid:Logo@Shop\">"
  "<img src=\"https://tracker.example.com/p.gif\"></body></html>\r\n"
  "--alt--\r\n"
  "--rel\r\n"
  "Content-Type: image/png\r\n"
  "Content-ID: <logo@shop>\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "iVBORw0KGgo=\r\n"
  "--rel--\r\n"
  "--outer\r\n"
  "Content-Type: application/pdf; name=\"price list.pdf\"\r\n"
  "Content-Disposition: attachment; filename=\"price list.pdf\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "JVBERi0xLjQK\r\n"
  "--outer\r\n"
  "Content-Type: image/jpeg\r\n"
  "Content-Disposition: inline; filename=\"photo.jpg\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "/9j/4AAQ\r\n"
  "--outer--\r\n";

static void
test_related_html (void)
{
  g_autoptr(GMimeMessage) message = parse (related_message);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, FALSE, FALSE);
  const PigeonAttachment *pdf = NULL, *photo = NULL;
  GMimeObject *logo;

  g_assert_false (rendered->plain);
  g_assert_true (rendered->has_remote);
  g_assert_nonnull (strstr (rendered->html, "<h1>Sale</h1>"));
  /* The logo is content (the HTML shows it); its Content-ID is found whatever its case. */
  logo = g_hash_table_lookup (rendered->cid_parts, "logo@shop");
  g_assert_nonnull (logo);
  {
    g_autoptr(GBytes) bytes = pigeon_render_part_bytes (logo);

    g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8);
    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 4, "\x89PNG", 4);
  }

  /* The PDF and the inline photo are attachments; the photo also shows, after the body. */
  for (guint i = 0; i < rendered->attachments->len; i++)
    {
      const PigeonAttachment *a = g_ptr_array_index (rendered->attachments, i);

      if (g_strcmp0 (a->filename, "price list.pdf") == 0)
        pdf = a;
      else if (g_strcmp0 (a->filename, "photo.jpg") == 0)
        photo = a;
      else
        g_assert_not_reached ();
    }
  g_assert_nonnull (pdf);
  g_assert_cmpstr (pdf->content_type, ==, "application/pdf");
  g_assert_cmpuint (pdf->size, ==, 9);
  g_assert_false (pdf->inline_image);
  g_assert_nonnull (photo);
  g_assert_true (photo->inline_image);
  g_assert_nonnull (strstr (rendered->html,
                            "<img class=\"pigeon-inline\" src=\"cid:pigeon-part-"));
  /* ... before the document ends. */
  g_assert_true (strstr (rendered->html, "pigeon-inline") < strstr (rendered->html, "</body>"));
}

static void
test_prefer_plain (void)
{
  g_autoptr(GMimeMessage) message = parse (related_message);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, TRUE, TRUE);

  g_assert_true (rendered->plain);
  g_assert_nonnull (strstr (rendered->html, "Plain sale."));
  g_assert_null (strstr (rendered->html, "<h1>"));
  g_assert_nonnull (strstr (rendered->html, "class=\"dark\""));
}

static void
test_forward_and_text_parts (void)
{
  static const char text[] =
    "From: a@example.test\r\n"
    "Subject: Fwd\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe, see below.\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: b@example.test\r\n"
    "Subject: The original\r\n"
    "\r\n"
    "Original text.\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "List footer\r\n"
    "--b--\r\n";
  g_autoptr(GMimeMessage) message = parse (text);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, FALSE, FALSE);
  const PigeonAttachment *forwarded;

  g_assert_true (rendered->plain);
  /* Decoded from its charset. */
  g_assert_nonnull (strstr (rendered->html, "Grüße, see below."));
  /* A further inline text part joins the body. */
  g_assert_nonnull (strstr (rendered->html, "<hr>"));
  g_assert_nonnull (strstr (rendered->html, "List footer"));
  g_assert_false (rendered->has_remote);
  g_assert_cmpuint (rendered->attachments->len, ==, 1);
  forwarded = g_ptr_array_index (rendered->attachments, 0);
  g_assert_cmpstr (forwarded->filename, ==, "The original.eml");
  g_assert_cmpstr (forwarded->content_type, ==, "message/rfc822");
  {
    g_autoptr(GBytes) bytes = pigeon_render_part_bytes (forwarded->part);
    g_autofree char *raw = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

    g_assert_nonnull (strstr (raw, "Original text."));
  }
}

static void
test_hostile_html_is_not_changed (void)
{
  /* The document is the sender's own: Pigeon does not try to clean it (WebKit's settings
   * and the content rules make it harmless), it only reports the remote references. */
  static const char text[] =
    "From: a@example.test\r\n"
    "Subject: Script\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<title>orig</title><script>document.title='pwned'</script><p>Hi</p>\r\n";
  g_autoptr(GMimeMessage) message = parse (text);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, FALSE, FALSE);

  g_assert_false (rendered->plain);
  g_assert_false (rendered->has_remote);
  g_assert_nonnull (strstr (rendered->html, "<script>"));
}

static void
test_address_of (void)
{
  g_autofree char *a = pigeon_render_address_of ("Alice <Alice@Example.TEST>");
  g_autofree char *b = pigeon_render_address_of (" bob@example.test ");
  g_autofree char *c = pigeon_render_address_of ("Nobody");

  g_assert_cmpstr (a, ==, "alice@example.test");
  g_assert_cmpstr (b, ==, "bob@example.test");
  g_assert_null (c);
  g_assert_null (pigeon_render_address_of (NULL));
}

static void
test_certificate_fingerprint (void)
{
  g_autofree char *found = pigeon_certificate_dialog_find_fingerprint (
    "The certificate of 127.0.0.1 is not trusted: it is self-signed (issued to CN=x). It is "
    "valid from 1 Jan 2024 to 1 Jan 2034. SHA-256 fingerprint: "
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:"
    "D7:E8:F9");

  g_assert_cmpstr (found, ==,
                   "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9");
  /* A shorter hex run (SHA-1, say) is no SHA-256 fingerprint. */
  g_assert_null (pigeon_certificate_dialog_find_fingerprint (
    "SHA-1: 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D"));
  g_assert_null (pigeon_certificate_dialog_find_fingerprint ("no fingerprint"));
}

static PigeonMessage *
message_from (const char *from,
              const char *subject)
{
  PigeonMessage *m = pigeon_message_new ();

  m->from = g_strdup (from);
  m->subject = g_strdup (subject);
  return m;
}

static void
test_notification_text (void)
{
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  g_autofree char *title = NULL, *body = NULL, *title2 = NULL, *body2 = NULL;

  g_ptr_array_add (one, message_from ("Alice <alice@example.test>", "Lunch?"));
  pigeon_notifier_describe ("Work", one, &title, &body);
  g_assert_cmpstr (title, ==, "Alice");
  g_assert_cmpstr (body, ==, "Lunch?");

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *subject = g_strdup_printf ("Report %u", i);

      g_ptr_array_add (many, message_from ("Bob <bob@example.test>", subject));
    }
  pigeon_notifier_describe ("Work", many, &title2, &body2);
  g_assert_cmpstr (title2, ==, "5 new messages in Work");
  g_assert_cmpstr (body2, ==, "Bob: Report 0\nBob: Report 1\nBob: Report 2\nand 2 more");
}

/* An attachment still on the server (a placeholder the ActiveSync provider stores for big
 * messages) is listed like the others, with the reference that downloads it. */
static const char on_server_message[] =
  "From: Bob <bob@example.test>\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
  "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the report.</p>\r\n"
  "--b\r\nContent-Type: message/external-body; access-type=\"x-pigeon-server\";\r\n"
  " reference=\"mail/INBOX/7/2\"; size=2516582\r\n"
  "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n"
  "Content-Type: application/pdf\r\n\r\n"
  "--b\r\nContent-Type: message/external-body; access-type=\"URL\"; URL=\"http://x.test/\"\r\n"
  "\r\nContent-Type: text/plain\r\n\r\n"
  "--b--\r\n";

static void
test_attachment_on_server (void)
{
  g_autoptr(GMimeMessage) message = parse (on_server_message);
  g_autoptr(PigeonRenderedMessage) rendered = pigeon_render_message (message, FALSE, FALSE);
  const PigeonAttachment *report;

  g_assert_nonnull (strstr (rendered->html, "See the report."));
  g_assert_true (rendered->on_server);
  /* the report, and the URL one as an ordinary (and empty) attachment: not ours to fetch */
  g_assert_cmpuint (rendered->attachments->len, ==, 2);
  report = g_ptr_array_index (rendered->attachments, 0);
  g_assert_cmpstr (report->filename, ==, "report.pdf");
  g_assert_cmpstr (report->content_type, ==, "application/pdf");
  g_assert_cmpuint (report->size, ==, 2516582);
  g_assert_cmpstr (report->reference, ==, "mail/INBOX/7/2");
  g_assert_false (report->inline_image);
  g_assert_null (((PigeonAttachment *) g_ptr_array_index (rendered->attachments, 1))->reference);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();
  g_test_add_func ("/message-render/plain/links-and-quotes", test_plain_links_and_quotes);
  g_test_add_func ("/message-render/plain/dark", test_plain_document_dark);
  g_test_add_func ("/message-render/plain/unflow", test_unflow);
  g_test_add_func ("/message-render/plain/flowed-message", test_flowed_message);
  g_test_add_func ("/message-render/remote-content", test_remote_content_detection);
  g_test_add_func ("/message-render/related-html", test_related_html);
  g_test_add_func ("/message-render/prefer-plain", test_prefer_plain);
  g_test_add_func ("/message-render/forward-and-text-parts", test_forward_and_text_parts);
  g_test_add_func ("/message-render/hostile-html", test_hostile_html_is_not_changed);
  g_test_add_func ("/message-render/address-of", test_address_of);
  g_test_add_func ("/message-render/attachment-on-server", test_attachment_on_server);
  g_test_add_func ("/certificate-dialog/fingerprint", test_certificate_fingerprint);
  g_test_add_func ("/notifier/text", test_notification_text);
  return g_test_run ();
}
