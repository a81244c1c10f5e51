/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Big ActiveSync messages without their attachments: the ItemOperations requests, the
 * answers (good, refused and malformed), the stored document with its placeholders, and
 * the placeholder replaced by the downloaded part. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-eas-wbxml.h"
#include "pigeon-error.h"
#include "pigeon-mime.h"

/* The request survives the wire: encoded to WBXML and back, it is the same tree. */
static void
assert_round_trip (const PigeonEasNode *request)
{
  g_autoptr(GBytes) wire = pigeon_eas_wbxml_encode (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonEasNode) back = pigeon_eas_wbxml_decode (g_bytes_get_data (wire, NULL),
                                                           g_bytes_get_size (wire), &error);

  g_assert_no_error (error);
  g_assert_true (pigeon_eas_node_equal (request, back));
}

static void
test_attachment_request (void)
{
  g_autoptr(PigeonEasNode) request = pigeon_activesync_attachment_request ("mail/INBOX/7/2");
  PigeonEasNode *fetch = pigeon_eas_node_find (request, "ItemOperations:Fetch");

  g_assert_true (pigeon_eas_node_is (request, "ItemOperations:ItemOperations"));
  g_assert_nonnull (fetch);
  g_assert_cmpuint (pigeon_eas_node_n_children (request), ==, 1);
  g_assert_cmpstr (pigeon_eas_node_find_text (fetch, "ItemOperations:Store"), ==, "Mailbox");
  g_assert_cmpstr (pigeon_eas_node_find_text (fetch, "AirSyncBase:FileReference"), ==,
                   "mail/INBOX/7/2");
  /* the whole of it: no byte range, no other options */
  g_assert_null (pigeon_eas_node_find (fetch, "ItemOperations:Options"));
  assert_round_trip (request);
}

static void
test_text_request (void)
{
  g_autoptr(PigeonEasNode) request = pigeon_activesync_text_request ("mail/INBOX", "7");
  /* longer than a ServerId may be: a search LongId */
  g_autoptr(PigeonEasNode) by_long_id = pigeon_activesync_text_request (
    "mail/INBOX", "RgAAAAD1234567890123456789012345678901234567890" "1234567890123456789");
  PigeonEasNode *fetch = pigeon_eas_node_find (request, "ItemOperations:Fetch");
  PigeonEasNode *options = pigeon_eas_node_find (fetch, "ItemOperations:Options");
  PigeonEasNode *preference = pigeon_eas_node_find (options, "AirSyncBase:BodyPreference");

  g_assert_cmpstr (pigeon_eas_node_find_text (fetch, "AirSync:CollectionId"), ==, "mail/INBOX");
  g_assert_cmpstr (pigeon_eas_node_find_text (fetch, "AirSync:ServerId"), ==, "7");
  /* HTML, in full, without MIME */
  g_assert_cmpstr (pigeon_eas_node_find_text (preference, "AirSyncBase:Type"), ==, "2");
  g_assert_null (pigeon_eas_node_find (preference, "AirSyncBase:TruncationSize"));
  g_assert_null (pigeon_eas_node_find (options, "AirSync:MIMESupport"));
  assert_round_trip (request);

  fetch = pigeon_eas_node_find (by_long_id, "ItemOperations:Fetch");
  g_assert_nonnull (pigeon_eas_node_find (fetch, "Search:LongId"));
  g_assert_null (pigeon_eas_node_find (fetch, "AirSync:ServerId"));
}

/* An answer as a server writes it: top status, fetch status, and Properties with DATA
 * (NULL: none) as base64 text or, with OPAQUE, as bytes. */
static PigeonEasNode *
answer (int         status,
        int         fetch_status,
        const char *content_type,
        const char *data,
        gboolean    opaque)
{
  PigeonEasNode *reply = pigeon_eas_node_new ("ItemOperations:ItemOperations");
  PigeonEasNode *fetch, *properties;

  pigeon_eas_node_add_printf (reply, "ItemOperations:Status", "%d", status);
  fetch = pigeon_eas_node_add (pigeon_eas_node_add (reply, "ItemOperations:Response"),
                               "ItemOperations:Fetch");
  pigeon_eas_node_add_printf (fetch, "ItemOperations:Status", "%d", fetch_status);
  pigeon_eas_node_add_text (fetch, "AirSyncBase:FileReference", "mail/INBOX/7/2");
  properties = pigeon_eas_node_add (fetch, "ItemOperations:Properties");
  if (content_type != NULL)
    pigeon_eas_node_add_text (properties, "AirSyncBase:ContentType", content_type);
  if (data != NULL && opaque)
    pigeon_eas_node_add_opaque (properties, "ItemOperations:Data", (const guint8 *) data,
                                strlen (data));
  else if (data != NULL)
    pigeon_eas_node_add_text (properties, "ItemOperations:Data", data);
  return reply;
}

static void
test_parse_answer (void)
{
  g_autoptr(PigeonEasNode) reply = answer (1, 1, "application/pdf", "JVBERi0xLjQK\r\nAAEC/w==",
                                           FALSE);
  g_autoptr(PigeonEasNode) wire = NULL;
  g_autoptr(GBytes) wire_bytes = pigeon_eas_wbxml_encode (reply);
  g_autoptr(GError) error = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) raw = NULL;

  /* as it comes off the wire */
  wire = pigeon_eas_wbxml_decode (g_bytes_get_data (wire_bytes, NULL),
                                  g_bytes_get_size (wire_bytes), &error);
  g_assert_no_error (error);
  bytes = pigeon_activesync_attachment_parse (wire, 1024, &content_type, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   "%PDF-1.4\n\x00\x01\x02\xff", 13);
  g_assert_cmpstr (content_type, ==, "application/pdf");

  /* OPAQUE data is the bytes themselves */
  g_clear_pointer (&reply, pigeon_eas_node_free);
  g_clear_pointer (&content_type, g_free);
  reply = answer (1, 1, "(null)/", "raw bytes", TRUE);
  raw = pigeon_activesync_attachment_parse (reply, 1024, &content_type, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "raw bytes", 9);
  g_assert_null (content_type);
}

static void
assert_refused (PigeonEasNode *reply,
                gsize          max_size,
                int            code,
                const char    *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = pigeon_activesync_attachment_parse (reply, max_size, NULL, &error);

  g_assert_null (bytes);
  g_assert_error (error, PIGEON_ERROR, code);
  g_assert_nonnull (strstr (error->message, words));
  pigeon_eas_node_free (reply);
}

static void
test_parse_failures (void)
{
  g_autoptr(PigeonEasNode) other = pigeon_eas_node_new ("AirSync:Sync");

  /* malformed */
  assert_refused (answer (1, 1, "application/pdf", NULL, FALSE), 1024, PIGEON_ERROR_PROTOCOL,
                  "without its content");
  assert_refused (answer (1, 1, "application/pdf", "JVBER*i0x", FALSE), 1024,
                  PIGEON_ERROR_PROTOCOL, "damaged");
  assert_refused (answer (1, 1, "application/pdf", "JVBERi0", FALSE), 1024,
                  PIGEON_ERROR_PROTOCOL, "damaged");
  assert_refused (answer (1, 1, "application/pdf", "JV=BERi0", FALSE), 1024,
                  PIGEON_ERROR_PROTOCOL, "damaged");
  assert_refused (pigeon_eas_node_copy (other), 1024, PIGEON_ERROR_PROTOCOL, "did not answer");
  {
    PigeonEasNode *no_fetch = pigeon_eas_node_new ("ItemOperations:ItemOperations");

    pigeon_eas_node_add_text (no_fetch, "ItemOperations:Status", "1");
    assert_refused (no_fetch, 1024, PIGEON_ERROR_PROTOCOL, "did not answer");
  }
  /* refused by the server */
  assert_refused (answer (1, 6, NULL, NULL, FALSE), 1024, PIGEON_ERROR_NOT_FOUND,
                  "no longer has");
  assert_refused (answer (1, 15, NULL, NULL, FALSE), 1024, PIGEON_ERROR_NOT_FOUND,
                  "no longer has");
  assert_refused (answer (1, 11, NULL, NULL, FALSE), 1024, PIGEON_ERROR_TOO_BIG, "too large");
  assert_refused (answer (1, 5, NULL, NULL, FALSE), 1024, PIGEON_ERROR_REJECTED,
                  "does not allow");
  assert_refused (answer (2, 1, "application/pdf", "AAAA", FALSE), 1024, PIGEON_ERROR_SERVER,
                  "status 2");
  assert_refused (answer (1, 12, NULL, NULL, FALSE), 1024, PIGEON_ERROR_SERVER, "status 12");
  /* SOGo's way of saying it has no such part */
  assert_refused (answer (1, 1, "(null)/(null)", "(null)", FALSE), 1024,
                  PIGEON_ERROR_NOT_FOUND, "no longer has");
  /* bounded: refused before decoding, and after */
  assert_refused (answer (1, 1, "application/pdf", "AAAAAAAAAAAAAAAAAAAA", FALSE), 8,
                  PIGEON_ERROR_TOO_BIG, "larger than");
  assert_refused (answer (1, 1, "application/pdf", "AAAAAAAAAAAA", FALSE), 8,
                  PIGEON_ERROR_TOO_BIG, "larger than");
  assert_refused (answer (1, 1, "application/pdf", "0123456789", TRUE), 8,
                  PIGEON_ERROR_TOO_BIG, "larger than");
}

/* A Fetch answer's Properties with an HTML body, an inline image and two attachments. */
static PigeonEasNode *
properties (gboolean truncated)
{
  PigeonEasNode *props = pigeon_eas_node_new ("ItemOperations:Properties");
  PigeonEasNode *body = pigeon_eas_node_add (props, "AirSyncBase:Body");
  PigeonEasNode *list = pigeon_eas_node_add (props, "AirSyncBase:Attachments");
  PigeonEasNode *a;

  pigeon_eas_node_add_text (body, "AirSyncBase:Type", "2");
  pigeon_eas_node_add_text (body, "AirSyncBase:Truncated", truncated ? "1" : "0");
  pigeon_eas_node_add_text (body, "AirSyncBase:Data",
                            "<p>Figures attached.</p><img src=\"cid:logo@x\">");
  a = pigeon_eas_node_add (list, "AirSyncBase:Attachment");
  pigeon_eas_node_add_text (a, "AirSyncBase:DisplayName", "logo.png");
  pigeon_eas_node_add_text (a, "AirSyncBase:FileReference", "mail/INBOX/7/1.2");
  pigeon_eas_node_add_text (a, "AirSyncBase:ContentId", "<logo@x>");
  pigeon_eas_node_add_text (a, "AirSyncBase:IsInline", "1");
  pigeon_eas_node_add_text (a, "AirSyncBase:Method", "1");
  pigeon_eas_node_add_text (a, "AirSyncBase:EstimatedDataSize", "1315");
  a = pigeon_eas_node_add (list, "AirSyncBase:Attachment");
  pigeon_eas_node_add_text (a, "AirSyncBase:DisplayName", "../../etc/Q3 report.pdf");
  pigeon_eas_node_add_text (a, "AirSyncBase:FileReference", "mail/INBOX/7/2");
  pigeon_eas_node_add_text (a, "AirSyncBase:Method", "1");
  pigeon_eas_node_add_text (a, "AirSyncBase:EstimatedDataSize", "2516582");
  a = pigeon_eas_node_add (list, "AirSyncBase:Attachment");
  pigeon_eas_node_add_text (a, "AirSyncBase:DisplayName", "no reference.txt");
  a = pigeon_eas_node_add (list, "AirSyncBase:Attachment");
  pigeon_eas_node_add_text (a, "AirSyncBase:DisplayName", "Fwd: minutes");
  pigeon_eas_node_add_text (a, "AirSyncBase:FileReference", "mail/INBOX/7/3");
  pigeon_eas_node_add_text (a, "AirSyncBase:Method", "5");
  return props;
}

static void
test_attachment_list (void)
{
  g_autoptr(PigeonEasNode) props = properties (FALSE);
  g_autoptr(GPtrArray) list =
    pigeon_activesync_attachments_from_node (pigeon_eas_node_find (props,
                                                                   "AirSyncBase:Attachments"));
  PigeonActiveSyncAttachmentInfo *logo, *report, *forwarded;
  g_autoptr(GPtrArray) none = pigeon_activesync_attachments_from_node (NULL);

  g_assert_cmpuint (none->len, ==, 0);
  /* the one without a FileReference cannot be fetched: left out */
  g_assert_cmpuint (list->len, ==, 3);
  logo = g_ptr_array_index (list, 0);
  report = g_ptr_array_index (list, 1);
  forwarded = g_ptr_array_index (list, 2);
  g_assert_cmpstr (logo->content_id, ==, "logo@x");
  g_assert_cmpstr (logo->content_type, ==, "image/png");
  g_assert_true (pigeon_activesync_is_inline_image (logo));
  /* a name is never a path */
  g_assert_cmpstr (report->display_name, ==, "Q3 report.pdf");
  g_assert_cmpstr (report->content_type, ==, "application/pdf");
  g_assert_cmpint (report->size, ==, 2516582);
  g_assert_false (pigeon_activesync_is_inline_image (report));
  g_assert_cmpstr (forwarded->content_type, ==, "message/rfc822");
}

typedef struct
{
  GMimeObject *html, *image, *report, *report_placeholder, *forwarded_placeholder;
} Parts;

static void
collect_cb (GMimeObject *parent,
            GMimeObject *part,
            gpointer     data)
{
  Parts *parts = data;
  g_autofree char *reference = NULL;
  GMimeContentType *type = g_mime_object_get_content_type (part);

  if (pigeon_provider_parse_placeholder (part, &reference, NULL, NULL))
    {
      if (g_strcmp0 (reference, "mail/INBOX/7/2") == 0)
        parts->report_placeholder = part;
      else
        parts->forwarded_placeholder = part;
    }
  else if (g_mime_content_type_is_type (type, "text", "html"))
    parts->html = part;
  else if (g_mime_content_type_is_type (type, "image", "png"))
    parts->image = part;
  else if (g_mime_content_type_is_type (type, "application", "pdf"))
    parts->report = part;
}

static GBytes *
part_bytes (GMimeObject *part)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GByteArray *array;

  g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (GMIME_PART (part)), stream);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

static void
test_document_and_replacement (void)
{
  g_autoptr(PigeonEasNode) props = properties (FALSE);
  g_autoptr(PigeonEasNode) truncated = properties (TRUE);
  g_autoptr(GPtrArray) list =
    pigeon_activesync_attachments_from_node (pigeon_eas_node_find (props,
                                                                   "AirSyncBase:Attachments"));
  g_autoptr(GHashTable) images = g_hash_table_new_full (NULL, NULL, NULL,
                                                        (GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) logo = g_bytes_new_static ("\x89PNG\r\n\x1a\n", 8);
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n\x00\xff", 11);
  g_autoptr(PigeonMessage) envelope = pigeon_message_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL, again = NULL, back = NULL;
  g_autoptr(GMimeMessage) doc = NULL;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (
    (GDestroyNotify) pigeon_message_free);
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pigeon-eas-attachments-XXXXXX", &error);
  g_autofree char *text = NULL;
  g_autofree char *reference = NULL;
  guint64 size = 0;
  gint64 folder_id, message_id;
  Parts parts = { 0 };

  envelope->from = g_strdup ("Bob <bob@example.test>");
  envelope->to = g_strdup ("kim@example.test");
  envelope->subject = g_strdup ("Q3");
  envelope->date = 1795000000;
  g_hash_table_insert (images, g_ptr_array_index (list, 0), g_bytes_ref (logo));

  /* a truncated text is refused rather than stored as if whole */
  g_assert_null (pigeon_activesync_build_partial (envelope, truncated, list, images, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);

  raw = pigeon_activesync_build_partial (envelope, props, list, images, &error);
  g_assert_no_error (error);
  /* it says what it is, to whoever reads the source */
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                  "X-Pigeon-Partial: "));
  doc = pigeon_mime_parse (raw, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_mime_message_get_subject (doc), ==, "Q3");
  g_mime_message_foreach (doc, collect_cb, &parts);
  text = g_mime_text_part_get_text (GMIME_TEXT_PART (parts.html));
  g_assert_cmpstr (text, ==, "<p>Figures attached.</p><img src=\"cid:logo@x\">");
  g_assert_nonnull (parts.image);
  g_assert_cmpstr (g_mime_part_get_content_id (GMIME_PART (parts.image)), ==, "logo@x");
  {
    g_autoptr(GBytes) image = part_bytes (parts.image);

    g_assert_true (g_bytes_equal (image, logo));
  }
  g_assert_nonnull (parts.report_placeholder);
  g_assert_nonnull (parts.forwarded_placeholder);
  g_assert_null (parts.report);
  g_assert_true (pigeon_provider_parse_placeholder (parts.report_placeholder, &reference, &size,
                                                    NULL));
  g_assert_cmpuint (size, ==, 2516582);
  g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (parts.report_placeholder)), ==,
                   "Q3 report.pdf");

  /* stored, then the placeholder replaced by what was downloaded */
  store = pigeon_store_open (dir, &error);
  g_assert_no_error (error);
  folder->path = g_strdup ("INBOX");
  folder->remote_id = g_strdup ("mail/INBOX");
  folder_id = pigeon_store_upsert_folder (store, folder, &error);
  g_assert_no_error (error);
  g_ptr_array_add (messages, pigeon_message_copy (envelope));
  ((PigeonMessage *) g_ptr_array_index (messages, 0))->remote_id = g_strdup ("7");
  pigeon_store_upsert_messages (store, folder_id, messages, &error);
  g_assert_no_error (error);
  stored = pigeon_store_list_messages (store, folder_id, 0, 0, &error);
  g_assert_no_error (error);
  message_id = ((PigeonMessage *) g_ptr_array_index (stored, 0))->id;
  pigeon_store_set_body (store, message_id, raw, &error);
  g_assert_no_error (error);

  pigeon_provider_store_attachment (store, message_id, "mail/INBOX/7/2", "application/pdf",
                                    pdf, &error);
  g_assert_no_error (error);
  again = pigeon_store_get_body (store, message_id, &error);
  g_assert_no_error (error);
  g_clear_object (&doc);
  memset (&parts, 0, sizeof parts);
  doc = pigeon_mime_parse (again, &error);
  g_assert_no_error (error);
  g_mime_message_foreach (doc, collect_cb, &parts);
  g_assert_null (parts.report_placeholder);
  g_assert_nonnull (parts.forwarded_placeholder);
  g_assert_nonnull (parts.report);
  g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (parts.report)), ==, "Q3 report.pdf");
  back = part_bytes (parts.report);
  g_assert_true (g_bytes_equal (back, pdf));
  /* the rest as it was */
  g_assert_nonnull (parts.html);
  g_assert_nonnull (parts.image);

  /* nothing left to replace for that reference */
  g_assert_false (pigeon_provider_store_attachment (store, message_id, "mail/INBOX/7/2", NULL,
                                                    pdf, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_clear_error (&error);
  pigeon_store_close (store);
  g_clear_object (&store);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();
  g_test_add_func ("/activesync/attachments/request", test_attachment_request);
  g_test_add_func ("/activesync/attachments/text-request", test_text_request);
  g_test_add_func ("/activesync/attachments/parse-answer", test_parse_answer);
  g_test_add_func ("/activesync/attachments/parse-failures", test_parse_failures);
  g_test_add_func ("/activesync/attachments/list", test_attachment_list);
  g_test_add_func ("/activesync/attachments/document-and-replacement",
                   test_document_and_replacement);
  return g_test_run ();
}
