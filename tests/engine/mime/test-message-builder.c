/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messages built for sending: encoded right, read back the same by GMime, and no header
 * field can be forged through what a user types. */
#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-message-builder.h"
#include "pigeon-mime.h"

static const char *attachment_name = "Übersicht «März» 2024 — naïve.pdf";

static GBytes *
binary_bytes (void)
{
  guint8 data[3000];

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 7 + 3);
  return g_bytes_new (data, sizeof data);
}

static PigeonMessageBuilder *
full_builder (void)
{
  PigeonMessageBuilder *builder = pigeon_message_builder_new ();
  g_autoptr(GBytes) data = binary_bytes ();
  g_autoptr(GError) error = NULL;

  pigeon_message_builder_set_from (builder, "Zoë Çelik", "zoe@example.test");
  g_assert_true (pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO,
                                                        "Jörg Müller <jorg@example.test>, "
                                                        "ann@example.test", &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_CC,
                                                        "\"Doe, John\" <john@example.test>",
                                                        &error));
  g_assert_true (pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_BCC,
                                                        "secret@example.test; ANN@example.test",
                                                        &error));
  g_assert_no_error (error);
  pigeon_message_builder_set_subject (builder, "Grüße aus Köln — 日本語 ✓");
  pigeon_message_builder_set_text (builder, "Hallo Jörg,\n\nanbei die Übersicht.\n.\nZoë\n");
  pigeon_message_builder_add_attachment (builder, attachment_name, "application/pdf", data);
  return builder;
}

static GMimeMessage *
parse (GBytes *raw)
{
  g_autoptr(GError) error = NULL;
  GMimeMessage *message = pigeon_mime_parse (raw, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static gboolean
header_present (GBytes     *raw,
                const char *field)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  g_autofree char *start = g_strdup_printf ("%s:", field);
  g_autofree char *inner = g_strdup_printf ("\r\n%s:", field);
  char *end = strstr (text, "\r\n\r\n");

  if (end != NULL)
    *end = '\0';
  return g_str_has_prefix (text, start) || strstr (text, inner) != NULL;
}

static void
test_round_trip (void)
{
  g_autoptr(PigeonMessageBuilder) builder = full_builder ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING,
                                                        &error);
  g_autoptr(GMimeMessage) message = NULL;
  g_autofree char *to = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) recipients = pigeon_message_builder_dup_recipients (builder);
  const char *expected_recipients[] = {
    "jorg@example.test", "ann@example.test", "john@example.test", "secret@example.test", NULL
  };
  GMimePartIter *iter;
  gboolean found_attachment = FALSE;
  gsize size;
  const guint8 *bytes;

  g_assert_no_error (error);
  bytes = g_bytes_get_data (raw, &size);
  /* On the wire: 7-bit, CR LF everywhere, no bare LF */
  for (gsize i = 0; i < size; i++)
    {
      g_assert_cmpuint (bytes[i], <, 0x80);
      if (bytes[i] == '\n')
        g_assert_true (i > 0 && bytes[i - 1] == '\r');
    }
  /* the copy in Sent keeps Bcc; what the recipients get has none */
  g_assert_true (header_present (raw, "Bcc"));
  g_assert_false (header_present (raw, "X-Pigeon-Bcc"));
  {
    g_autoptr(GBytes) wire = pigeon_mime_without_field (raw, "Bcc");

    g_assert_false (header_present (wire, "Bcc"));
    g_assert_true (header_present (wire, "Cc"));
    g_assert_cmpuint (g_bytes_get_size (wire), <, g_bytes_get_size (raw));
  }
  g_assert_true (header_present (raw, "Date"));
  g_assert_true (header_present (raw, "MIME-Version"));
  g_assert_cmpstrv (recipients, expected_recipients);

  message = parse (raw);
  g_assert_cmpstr (g_mime_message_get_subject (message), ==, "Grüße aus Köln — 日本語 ✓");
  to = pigeon_mime_format_addresses (g_mime_message_get_addresses (message,
                                                                   GMIME_ADDRESS_TYPE_TO));
  g_assert_cmpstr (to, ==, "Jörg Müller <jorg@example.test>, ann@example.test");
  g_assert_true (g_str_has_suffix (g_mime_message_get_message_id (message), "@example.test"));
  pigeon_mime_extract_text (message, &text, NULL, NULL);
  g_assert_cmpstr (text, ==, "Hallo Jörg,\r\n\r\nanbei die Übersicht.\r\n.\r\nZoë");

  iter = g_mime_part_iter_new (GMIME_OBJECT (message));
  do
    {
      GMimeObject *part = g_mime_part_iter_get_current (iter);

      if (GMIME_IS_PART (part) && g_mime_part_is_attachment (GMIME_PART (part)))
        {
          g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
          g_autoptr(GBytes) expected = binary_bytes ();
          GByteArray *got;

          found_attachment = TRUE;
          g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (part)), ==, attachment_name);
          g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (GMIME_PART (part)),
                                               stream);
          got = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
          g_assert_cmpmem (got->data, got->len, g_bytes_get_data (expected, NULL),
                           g_bytes_get_size (expected));
        }
    }
  while (g_mime_part_iter_next (iter));
  g_mime_part_iter_free (iter);
  g_assert_true (found_attachment);
}

static void
test_rfc2231_filename (void)
{
  g_autoptr(PigeonMessageBuilder) builder = full_builder ();
  g_autoptr(GBytes) raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));

  /* filename*=UTF-8''… (possibly split into filename*0*=, filename*1*=) */
  g_assert_true (strstr (text, "filename*=utf-8''") != NULL ||
                 strstr (text, "filename*0*=utf-8''") != NULL ||
                 strstr (text, "filename*=UTF-8''") != NULL ||
                 strstr (text, "filename*0*=UTF-8''") != NULL);
  /* and the subject as encoded-words */
  g_assert_nonnull (strstr (text, "Subject: =?"));
}

static void
test_bcc_for_drafts (void)
{
  g_autoptr(PigeonMessageBuilder) builder = full_builder ();
  g_autoptr(GBytes) raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_DRAFT, NULL);
  g_autoptr(GMimeMessage) message = parse (raw);
  g_autofree char *bcc = pigeon_mime_format_addresses (
    g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_BCC));

  g_assert_cmpstr (bcc, ==, "secret@example.test, ANN@example.test");
}

static void
test_html_alternative (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  GMimeObject *body;

  pigeon_message_builder_set_from (builder, NULL, "zoe@example.test");
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "ann@example.test", NULL);
  pigeon_message_builder_set_subject (builder, "Rich");
  pigeon_message_builder_set_html (builder, "<p><b>Bold</b> and <i>ïtalic</i></p><ul><li>one</li>"
                                            "</ul>");
  raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, NULL);
  message = parse (raw);
  body = g_mime_message_get_mime_part (message);
  g_assert_true (GMIME_IS_MULTIPART (body));
  g_assert_true (g_mime_content_type_is_type (g_mime_object_get_content_type (body), "multipart",
                                              "alternative"));
  g_assert_cmpint (g_mime_multipart_get_count (GMIME_MULTIPART (body)), ==, 2);
  g_assert_true (g_mime_content_type_is_type (
    g_mime_object_get_content_type (g_mime_multipart_get_part (GMIME_MULTIPART (body), 0)),
    "text", "plain"));
  {
    g_autofree char *plain = g_mime_text_part_get_text (
      GMIME_TEXT_PART (g_mime_multipart_get_part (GMIME_MULTIPART (body), 0)));
    g_autofree char *html = g_mime_text_part_get_text (
      GMIME_TEXT_PART (g_mime_multipart_get_part (GMIME_MULTIPART (body), 1)));

    g_assert_nonnull (strstr (plain, "Bold and ïtalic"));
    g_assert_nonnull (strstr (html, "<b>Bold</b>"));
  }
}

static void
test_header_injection (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *text = NULL;
  const char *hostile_recipients[] = {
    "bob@example.test\r\nBcc: evil@example.test",
    "bob@example.test\nX-Evil: yes",
    "\"Bob\r\nBcc: evil@example.test\" <bob@example.test>",
  };

  pigeon_message_builder_set_from (builder, "Zoë\r\nBcc: evil@example.test",
                                   "zoe@example.test");
  pigeon_message_builder_set_subject (builder, "Hello\r\nBcc: evil@example.test\r\n\r\nbody?");
  pigeon_message_builder_set_in_reply_to (builder, "<a@b>\r\nBcc: evil@example.test");
  pigeon_message_builder_set_references (builder, "<a@b>\r\nX-Evil: evil@example.test <c@d>");
  for (guint i = 0; i < G_N_ELEMENTS (hostile_recipients); i++)
    {
      g_clear_error (&error);
      /* Either refused, or taken as an address whose name holds the text: never a field. */
      pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, hostile_recipients[i],
                                             &error);
    }
  g_clear_error (&error);
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "ann@example.test", NULL);
  pigeon_message_builder_set_text (builder, "Body\r\n");
  raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, &error);
  g_assert_no_error (error);

  g_assert_false (header_present (raw, "Bcc"));
  g_assert_false (header_present (raw, "X-Evil"));
  text = g_strndup (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  message = parse (raw);
  g_assert_null (g_mime_object_get_header (GMIME_OBJECT (message), "Bcc"));
  g_assert_null (g_mime_object_get_header (GMIME_OBJECT (message), "X-Evil"));
  g_assert_cmpstr (g_mime_message_get_subject (message), ==,
                   "Hello  Bcc: evil@example.test    body?");
  /* Whatever became of the typed text, nobody receives it unseen: every envelope
   * recipient is in the To field everyone reads. */
  recipients = pigeon_message_builder_dup_recipients (builder);
  {
    g_autofree char *to = pigeon_mime_format_addresses (
      g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO));

    for (guint i = 0; recipients[i] != NULL; i++)
      g_assert_nonnull (strstr (to, recipients[i]));
  }
  /* and an id that is not one is left out */
  g_assert_null (g_mime_object_get_header (GMIME_OBJECT (message), "In-Reply-To"));
}

static void
test_bad_addresses (void)
{
  const char *bad[] = { "bob", "bob@", "@example.test", "bob smith@example.test",
                        "<>", "ann@example.test, not an address" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) recipients = NULL;

      g_assert_false (pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, bad[i],
                                                             &error));
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
      /* nothing of a refused field is kept */
      recipients = pigeon_message_builder_dup_recipients (builder);
      g_assert_cmpuint (g_strv_length (recipients), ==, 0);
    }
}

static void
test_message_id_domain (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  const char *id;

  pigeon_message_builder_set_from (builder, NULL, "someone@bücher.example");
  id = pigeon_message_builder_get_message_id (builder);
  g_assert_true (g_str_has_suffix (id, "@xn--bcher-kva.example"));
  /* the same one every time */
  g_assert_cmpstr (pigeon_message_builder_get_message_id (builder), ==, id);
}

static void
test_reply_headers (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GMimeMessage) message = NULL;

  pigeon_message_builder_set_from (builder, NULL, "zoe@example.test");
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "ann@example.test", NULL);
  pigeon_message_builder_set_in_reply_to (builder, "parent@example.test");
  pigeon_message_builder_set_references (builder, "<root@example.test> parent@example.test");
  raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, NULL);
  message = parse (raw);
  g_assert_cmpstr (g_mime_object_get_header (GMIME_OBJECT (message), "In-Reply-To"), ==,
                   "<parent@example.test>");
  g_assert_cmpstr (g_mime_object_get_header (GMIME_OBJECT (message), "References"), ==,
                   "<root@example.test> <parent@example.test>");
}

static void
test_message_attachment (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  const char *original = "From: ann@example.test\r\nSubject: Original\r\n\r\nThe original.\r\n";
  g_autoptr(GBytes) inner = g_bytes_new_static (original, strlen (original));
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  GMimeObject *part;

  pigeon_message_builder_set_from (builder, NULL, "zoe@example.test");
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "bob@example.test", NULL);
  pigeon_message_builder_add_message (builder, "Original.eml", inner);
  raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, NULL);
  message = parse (raw);
  part = g_mime_multipart_get_part (GMIME_MULTIPART (g_mime_message_get_mime_part (message)), 1);
  g_assert_true (GMIME_IS_MESSAGE_PART (part));
  g_assert_cmpstr (g_mime_message_get_subject (
                     g_mime_message_part_get_message (GMIME_MESSAGE_PART (part))), ==, "Original");
}

/* ------------------------------------------------------------------ given whole */

static void
test_prepare_for_sending (void)
{
  const char *input =
    "From: Zoë <zoe@example.test>\n"
    "To: ann@example.test, Bob <bob@example.test>\n"
    "Cc: carol@example.test\n"
    "Bcc: hidden@example.test,\n"
    " also-hidden@example.test\n"
    "Subject: Given whole\n"
    "\n"
    "Bcc: this line is body text, not a field\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (input, strlen (input));
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autoptr(GBytes) ready = pigeon_message_prepare_for_sending (raw, NULL, NULL, &sender,
                                                                &recipients, &error);
  const char *expected[] = { "ann@example.test", "bob@example.test", "carol@example.test",
                             "hidden@example.test", "also-hidden@example.test", NULL };
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (sender, ==, "zoe@example.test");
  g_assert_cmpstrv (recipients, expected);
  text = g_strndup (g_bytes_get_data (ready, NULL), g_bytes_get_size (ready));
  g_assert_true (g_str_has_prefix (text, "Date: "));
  g_assert_nonnull (strstr (text, "\r\nMessage-ID: <"));
  g_assert_nonnull (strstr (text,
                            "\r\nBcc: hidden@example.test,\r\n also-hidden@example.test\r\n"));
  g_assert_true (g_str_has_suffix (text, "\r\n\r\nBcc: this line is body text, not a field\r\n"));
  g_assert_null (strstr (text, "\n\n"));
}

/* What a recipient gets: the Bcc field goes with its folded lines, a Bcc line in the body
 * stays, and so does a field whose name only starts with "Bcc". */
static void
test_without_field (void)
{
  const char *input =
    "From: zoe@example.test\r\n"
    "BCC: hidden@example.test,\r\n"
    "\talso-hidden@example.test\r\n"
    "To: ann@example.test\r\n"
    "Bcc-Note: kept\r\n"
    "bcc: third@example.test\r\n"
    "\r\n"
    "Bcc: this line is body text\r\n";
  const char *expected =
    "From: zoe@example.test\r\n"
    "To: ann@example.test\r\n"
    "Bcc-Note: kept\r\n"
    "\r\n"
    "Bcc: this line is body text\r\n";
  const char *none = "From: zoe@example.test\nTo: ann@example.test\n\nbody\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (input, strlen (input));
  g_autoptr(GBytes) plain = g_bytes_new_static (none, strlen (none));
  g_autoptr(GBytes) out = pigeon_mime_without_field (raw, "Bcc");
  g_autoptr(GBytes) same = pigeon_mime_without_field (plain, "Bcc");

  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                   expected, strlen (expected));
  g_assert_true (same == plain);

  /* a field's value: the first of its name, unfolded, trimmed */
  {
    g_autofree char *bcc = pigeon_mime_get_field (raw, "bcc");
    g_autofree char *note = pigeon_mime_get_field (raw, "Bcc-Note");
    g_autofree char *subject = pigeon_mime_get_field (raw, "Subject");

    g_assert_cmpstr (bcc, ==, "hidden@example.test,\talso-hidden@example.test");
    g_assert_cmpstr (note, ==, "kept");
    g_assert_null (subject);
  }
}

static void
test_prepare_needs_recipients (void)
{
  const char *input = "From: zoe@example.test\r\nSubject: nobody\r\n\r\nbody\r\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (input, strlen (input));
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autoptr(GBytes) ready = pigeon_message_prepare_for_sending (raw, NULL, NULL, &sender,
                                                                &recipients, &error);

  g_assert_null (ready);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
}

static void
test_prepare_default_from (void)
{
  const char *input = "To: ann@example.test\r\nSubject: no From\r\n\r\nbody\r\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (input, strlen (input));
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autoptr(GBytes) ready = pigeon_message_prepare_for_sending (raw, "Zoë", "zoe@example.test",
                                                                &sender, &recipients, &error);
  g_autoptr(GMimeMessage) message = NULL;
  g_autofree char *from = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (sender, ==, "zoe@example.test");
  message = parse (ready);
  from = pigeon_mime_format_addresses (g_mime_message_get_from (message));
  g_assert_cmpstr (from, ==, "Zoë <zoe@example.test>");
}

/* ------------------------------------------------------------------ reply, forward */

static const char *original_message =
  "From: Ann Example <ann@example.test>\r\n"
  "Reply-To: Ann's List <list@example.test>\r\n"
  "To: zoe@example.test, bob@example.test\r\n"
  "Cc: Carol <carol@example.test>, ZOE@example.test\r\n"
  "Subject: Lunch on Friday?\r\n"
  "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n"
  "Message-ID: <lunch@example.test>\r\n"
  "References: <root@example.test>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
  "\r\n"
  "--b\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Transfer-Encoding: 8bit\r\n"
  "\r\n"
  "Shall we eat at the café?\r\n"
  "> earlier quote\r\n"
  "\r\n"
  "Ann\r\n"
  "--b\r\n"
  "Content-Type: text/plain; name=\"menu.txt\"\r\n"
  "Content-Disposition: attachment; filename=\"menu.txt\"\r\n"
  "\r\n"
  "Soup\r\n"
  "--b--\r\n";

static PigeonComposeSeed *
seed (PigeonComposeMode mode)
{
  g_autoptr(GBytes) raw = g_bytes_new_static (original_message, strlen (original_message));
  const char *own[] = { "zoe@example.test", NULL };
  g_autoptr(GError) error = NULL;
  PigeonComposeSeed *s = pigeon_compose_seed_new (mode, raw, own, &error);

  g_assert_no_error (error);
  return s;
}

static void
test_reply (void)
{
  g_autoptr(PigeonComposeSeed) s = seed (PIGEON_COMPOSE_REPLY);

  g_assert_cmpstr (s->to, ==, "Ann's List <list@example.test>");
  g_assert_cmpstr (s->cc, ==, "");
  g_assert_cmpstr (s->subject, ==, "Re: Lunch on Friday?");
  g_assert_cmpstr (s->in_reply_to, ==, "lunch@example.test");
  g_assert_cmpstr (s->references, ==, "<root@example.test> <lunch@example.test>");
  g_assert_true (g_str_has_prefix (s->body, "On "));
  g_assert_nonnull (strstr (s->body, "Ann Example wrote:\n"));
  g_assert_nonnull (strstr (s->body,
                            "\n> Shall we eat at the café?\n>> earlier quote\n>\n> Ann\n"));
  g_assert_cmpuint (s->attachments->len, ==, 0);
}

static void
test_reply_all (void)
{
  g_autoptr(PigeonComposeSeed) s = seed (PIGEON_COMPOSE_REPLY_ALL);

  g_assert_cmpstr (s->to, ==, "Ann's List <list@example.test>");
  /* the user's own address (in any case) is left out */
  g_assert_cmpstr (s->cc, ==, "bob@example.test, Carol <carol@example.test>");
}

static void
test_reply_twice (void)
{
  g_autoptr(GBytes) raw = NULL;
  const char *message = "From: a@example.test\r\nSubject: RE: again\r\n\r\nx\r\n";
  g_autoptr(PigeonComposeSeed) s = NULL;

  raw = g_bytes_new_static (message, strlen (message));
  s = pigeon_compose_seed_new (PIGEON_COMPOSE_REPLY, raw, NULL, NULL);
  g_assert_cmpstr (s->subject, ==, "RE: again");
  g_assert_cmpstr (s->to, ==, "a@example.test");
}

static void
test_forward_inline (void)
{
  g_autoptr(PigeonComposeSeed) s = seed (PIGEON_COMPOSE_FORWARD);
  PigeonComposeAttachment *a;

  g_assert_cmpstr (s->to, ==, "");
  g_assert_cmpstr (s->subject, ==, "Fwd: Lunch on Friday?");
  /* a forward is no reply, but it belongs to the conversation and ends with the original */
  g_assert_null (s->in_reply_to);
  g_assert_cmpstr (s->references, ==, "<root@example.test> <lunch@example.test>");
  g_assert_nonnull (strstr (s->body, "-------- Forwarded Message --------\n"));
  g_assert_nonnull (strstr (s->body, "Subject: Lunch on Friday?\n"));
  g_assert_nonnull (strstr (s->body, "From: Ann Example <ann@example.test>\n"));
  g_assert_nonnull (strstr (s->body, "Shall we eat at the café?"));
  g_assert_cmpuint (s->attachments->len, ==, 1);
  a = g_ptr_array_index (s->attachments, 0);
  g_assert_cmpstr (a->name, ==, "menu.txt");
  /* the line break before the boundary belongs to the boundary */
  g_assert_cmpmem (g_bytes_get_data (a->data, NULL), g_bytes_get_size (a->data), "Soup", 4);
}

static void
test_forward_without_message_id (void)
{
  const char *message = "From: a@example.test\r\nSubject: no id\r\n"
                        "References: <parent@example.test>\r\n\r\nx\r\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (message, strlen (message));
  g_autoptr(PigeonComposeSeed) s = pigeon_compose_seed_new (PIGEON_COMPOSE_FORWARD, raw, NULL,
                                                            NULL);

  /* references naming the parent would make it look like the message forwarded */
  g_assert_null (s->in_reply_to);
  g_assert_null (s->references);
}

static void
test_forward_attachment (void)
{
  g_autoptr(PigeonComposeSeed) s = seed (PIGEON_COMPOSE_FORWARD_ATTACHMENT);
  PigeonComposeAttachment *a;

  g_assert_cmpstr (s->subject, ==, "Fwd: Lunch on Friday?");
  g_assert_null (s->in_reply_to);
  g_assert_cmpstr (s->references, ==, "<root@example.test> <lunch@example.test>");
  g_assert_cmpstr (s->body, ==, "");
  g_assert_cmpuint (s->attachments->len, ==, 1);
  a = g_ptr_array_index (s->attachments, 0);
  g_assert_true (a->is_message);
  g_assert_cmpstr (a->name, ==, "Lunch on Friday?.eml");
  g_assert_cmpmem (g_bytes_get_data (a->data, NULL), g_bytes_get_size (a->data), original_message,
                   strlen (original_message));
}

static void
test_edit_round_trip (void)
{
  g_autoptr(PigeonMessageBuilder) builder = full_builder ();
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(PigeonComposeSeed) s = NULL;
  PigeonComposeAttachment *a;

  pigeon_message_builder_set_in_reply_to (builder, "parent@example.test");
  raw = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_DRAFT, NULL);
  s = pigeon_compose_seed_new (PIGEON_COMPOSE_EDIT, raw, NULL, NULL);
  g_assert_cmpstr (s->from, ==, "zoe@example.test");
  g_assert_cmpstr (s->to, ==, "Jörg Müller <jorg@example.test>, ann@example.test");
  g_assert_cmpstr (s->cc, ==, "\"Doe, John\" <john@example.test>");
  g_assert_cmpstr (s->bcc, ==, "secret@example.test, ANN@example.test");
  g_assert_cmpstr (s->subject, ==, "Grüße aus Köln — 日本語 ✓");
  g_assert_cmpstr (s->in_reply_to, ==, "parent@example.test");
  g_assert_cmpstr (s->body, ==, "Hallo Jörg,\n\nanbei die Übersicht.\n.\nZoë");
  g_assert_null (s->html);
  g_assert_cmpuint (s->attachments->len, ==, 1);
  a = g_ptr_array_index (s->attachments, 0);
  g_assert_cmpstr (a->name, ==, attachment_name);
  g_assert_cmpuint (g_bytes_get_size (a->data), ==, 3000);
}

static void
test_draft_keeps_fields_as_typed (void)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  g_autoptr(GBytes) draft = NULL;
  g_autoptr(GBytes) sent = NULL;
  g_autoptr(PigeonComposeSeed) s = NULL;
  g_autofree char *text = NULL;

  pigeon_message_builder_set_from (builder, NULL, "zoe@example.test");
  pigeon_message_builder_add_recipients (builder, PIGEON_RECIPIENT_TO, "ann@example.test", NULL);
  /* half typed: not yet an address, and nothing in it may become a field */
  pigeon_message_builder_set_unparsed (builder, PIGEON_RECIPIENT_CC, "Jörg, bo\r\nX-Evil: 1");
  draft = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_DRAFT, NULL);
  s = pigeon_compose_seed_new (PIGEON_COMPOSE_EDIT, draft, NULL, NULL);
  g_assert_cmpstr (s->to, ==, "ann@example.test");
  g_assert_cmpstr (s->cc, ==, "Jörg, bo  X-Evil: 1");
  text = g_strndup (g_bytes_get_data (draft, NULL), g_bytes_get_size (draft));
  g_assert_null (strstr (text, "\r\nX-Evil:"));

  /* what is sent never carries it */
  sent = pigeon_message_builder_build (builder, PIGEON_MESSAGE_FOR_SENDING, NULL);
  g_free (text);
  text = g_strndup (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent));
  g_assert_null (strstr (text, "X-Pigeon-"));
}

static void
test_quote (void)
{
  g_autofree char *quoted = pigeon_compose_quote_text ("one\n\n> two\nthree\n");

  g_assert_cmpstr (quoted, ==, "> one\n>\n>> two\n> three\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();

  g_test_add_func ("/mime/builder/round-trip", test_round_trip);
  g_test_add_func ("/mime/builder/rfc2231-filename", test_rfc2231_filename);
  g_test_add_func ("/mime/builder/bcc-for-drafts", test_bcc_for_drafts);
  g_test_add_func ("/mime/builder/without-field", test_without_field);
  g_test_add_func ("/mime/builder/html-alternative", test_html_alternative);
  g_test_add_func ("/mime/builder/header-injection", test_header_injection);
  g_test_add_func ("/mime/builder/bad-addresses", test_bad_addresses);
  g_test_add_func ("/mime/builder/message-id-domain", test_message_id_domain);
  g_test_add_func ("/mime/builder/reply-headers", test_reply_headers);
  g_test_add_func ("/mime/builder/message-attachment", test_message_attachment);
  g_test_add_func ("/mime/builder/prepare-for-sending", test_prepare_for_sending);
  g_test_add_func ("/mime/builder/prepare-needs-recipients", test_prepare_needs_recipients);
  g_test_add_func ("/mime/builder/prepare-default-from", test_prepare_default_from);
  g_test_add_func ("/mime/seed/reply", test_reply);
  g_test_add_func ("/mime/seed/reply-all", test_reply_all);
  g_test_add_func ("/mime/seed/reply-twice", test_reply_twice);
  g_test_add_func ("/mime/seed/forward-inline", test_forward_inline);
  g_test_add_func ("/mime/seed/forward-attachment", test_forward_attachment);
  g_test_add_func ("/mime/seed/forward-without-message-id", test_forward_without_message_id);
  g_test_add_func ("/mime/seed/edit-round-trip", test_edit_round_trip);
  g_test_add_func ("/mime/seed/draft-keeps-fields-as-typed", test_draft_keeps_fields_as_typed);
  g_test_add_func ("/mime/seed/quote", test_quote);

  return g_test_run ();
}
