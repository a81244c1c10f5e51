/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "pigeon-eas-wbxml.h"
#include "pigeon-eas-xml.h"
#include "pigeon-error.h"

/* The captured SOGo traffic: NNN-Command-req|resp.{xml,wbxml}. */
static GPtrArray *
fixtures (const char *suffix)
{
  g_autoptr(GDir) dir = g_dir_open (ACTIVESYNC_DATA_DIR, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, suffix))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - strlen (".wbxml")));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return names;
}

static GBytes *
load (const char *stem,
      const char *ext)
{
  g_autofree char *path = g_strdup_printf ("%s/%s%s", ACTIVESYNC_DATA_DIR, stem, ext);
  g_autoptr(GError) error = NULL;
  char *data;
  gsize len;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

/* The XML side of a fixture.  Raw CRs are kept as character references, or the XML parser
 * would fold CRLF in message bodies to LF. */
static PigeonEasNode *
load_xml (const char *stem)
{
  g_autoptr(GBytes) bytes = load (stem, ".xml");
  g_autoptr(GString) xml = g_string_new_len (g_bytes_get_data (bytes, NULL),
                                              g_bytes_get_size (bytes));
  g_autoptr(GError) error = NULL;
  PigeonEasNode *node;

  g_string_replace (xml, "\r", "&#13;", 0);
  node = pigeon_eas_node_from_xml (xml->str, xml->len, &error);
  g_assert_no_error (error);
  return node;
}

static PigeonEasNode *
decode_bytes (GBytes  *bytes,
              GError **error)
{
  return pigeon_eas_wbxml_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
}

static void
assert_same_tree (const char          *stem,
                  const PigeonEasNode *a,
                  const PigeonEasNode *b)
{
  if (!pigeon_eas_node_equal (a, b))
    {
      g_autofree char *xa = pigeon_eas_node_to_xml (a, 0);
      g_autofree char *xb = pigeon_eas_node_to_xml (b, 0);

      g_test_message ("%s:\n%s\n%s", stem, xa, xb);
      g_test_fail ();
    }
}

static void
test_decode_responses (void)
{
  g_autoptr(GPtrArray) stems = fixtures ("-resp.wbxml");

  g_assert_cmpuint (stems->len, >=, 40);
  for (guint i = 0; i < stems->len; i++)
    {
      const char *stem = g_ptr_array_index (stems, i);
      g_autoptr(GBytes) wbxml = load (stem, ".wbxml");
      g_autoptr(GError) error = NULL;
      g_autoptr(PigeonEasNode) decoded = decode_bytes (wbxml, &error);
      g_autoptr(PigeonEasNode) expected = load_xml (stem);
      g_autoptr(GBytes) again = NULL;

      g_assert_no_error (error);
      assert_same_tree (stem, decoded, expected);
      /* SOGo's encoder and ours agree byte for byte */
      again = pigeon_eas_wbxml_encode (decoded);
      g_assert_true (g_bytes_equal (again, wbxml));
    }
}

static void
test_encode_requests (void)
{
  g_autoptr(GPtrArray) stems = fixtures ("-req.wbxml");

  g_assert_cmpuint (stems->len, >=, 48);
  for (guint i = 0; i < stems->len; i++)
    {
      const char *stem = g_ptr_array_index (stems, i);
      g_autoptr(GBytes) wbxml = load (stem, ".wbxml");
      g_autoptr(PigeonEasNode) request = load_xml (stem);
      g_autoptr(GBytes) encoded = pigeon_eas_wbxml_encode (request);
      g_autoptr(GError) error = NULL;
      g_autoptr(PigeonEasNode) decoded = NULL;

      if (!g_bytes_equal (encoded, wbxml))
        {
          g_test_message ("%s encodes differently", stem);
          g_test_fail ();
        }
      decoded = decode_bytes (wbxml, &error);
      g_assert_no_error (error);
      assert_same_tree (stem, decoded, request);
    }
}

static void
test_spec_names (void)
{
  /* [MS-ASWBXML] names where libwbxml2 spells them differently */
  static const struct { const char *name; guint page, token; } cases[] = {
    { "AirSync:Sync", 0, 0x05 },
    { "AirSync:HeartbeatInterval", 0, 0x29 },
    { "Contacts:BusinessAddressCity", 1, 0x0d },
    { "Contacts:AssistantPhoneNumber", 1, 0x07 },
    { "Email:ReplyTo", 2, 0x19 },
    { "Email:Status", 2, 0x3b },
    { "Calendar:OrganizerEmail", 4, 0x19 },
    { "Calendar:DtStamp", 4, 0x11 },
    { "Tasks:UtcStartDate", 9, 0x1f },
    { "Settings:SMTPAddress", 18, 0x1f },
    { "Settings:RightsManagementInformation", 18, 0x2b },
    { "ComposeMail:Mime", 21, 0x10 },
    { "AirSyncBase:Preview", 17, 0x18 },
    { "RightsManagement:Owner", 24, 0x12 },
    { "GAL:EmailAddress", 16, 0x0f },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint16 tag;

      g_assert_true (pigeon_eas_tag_from_name (cases[i].name, &tag));
      g_assert_cmpuint (PIGEON_EAS_TAG_PAGE (tag), ==, cases[i].page);
      g_assert_cmpuint (PIGEON_EAS_TAG_TOKEN (tag), ==, cases[i].token);
      g_assert_cmpstr (pigeon_eas_tag_local_name (tag), ==, strchr (cases[i].name, ':') + 1);
    }
  g_assert_false (pigeon_eas_tag_from_name ("Email:Reply-To", NULL));
  g_assert_false (pigeon_eas_tag_from_name ("Nope:Sync", NULL));
}

static void
test_build_and_find (void)
{
  g_autoptr(PigeonEasNode) sync = pigeon_eas_node_new ("AirSync:Sync");
  PigeonEasNode *collection = pigeon_eas_node_add (pigeon_eas_node_add (sync, "AirSync:Collections"),
                                                   "AirSync:Collection");
  g_autoptr(PigeonEasNode) decoded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  PigeonEasNode *found;

  pigeon_eas_node_add_text (collection, "AirSync:SyncKey", "0");
  pigeon_eas_node_add_printf (collection, "AirSync:WindowSize", "%u", 100u);
  pigeon_eas_node_add (collection, "AirSync:GetChanges");
  bytes = pigeon_eas_wbxml_encode (sync);
  decoded = decode_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_true (pigeon_eas_node_equal (sync, decoded));

  found = pigeon_eas_node_find_path (decoded, "AirSync:Collections/AirSync:Collection");
  g_assert_nonnull (found);
  g_assert_cmpstr (pigeon_eas_node_find_text (found, "AirSync:SyncKey"), ==, "0");
  g_assert_cmpint (pigeon_eas_node_find_int (found, "AirSync:WindowSize", -1), ==, 100);
  g_assert_cmpint (pigeon_eas_node_find_int (found, "AirSync:Status", -1), ==, -1);
  g_assert_cmpstr (pigeon_eas_node_find_text (found, "AirSync:GetChanges"), ==, "");
  g_assert_null (pigeon_eas_node_find_text (found, "AirSync:Class"));
}

static void
assert_malformed (const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonEasNode) node = pigeon_eas_wbxml_decode (data, len, &error);

  g_assert_null (node);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_malformed (void)
{
  /* header only; wrong charset; attributes; END without element; trailing data;
   * a string without NUL; an opaque length past the end; a 6-byte integer;
   * a string table reference out of range; a LITERAL tag; text that is not UTF-8 */
  static const guint8 empty[] = { 0x03, 0x01, 0x6a, 0x00 };
  static const guint8 latin1[] = { 0x03, 0x01, 0x04, 0x00, 0x05 };
  static const guint8 attrs[] = { 0x03, 0x01, 0x6a, 0x00, 0xc5, 0x01, 0x01 };
  static const guint8 lone_end[] = { 0x03, 0x01, 0x6a, 0x00, 0x01 };
  static const guint8 trailing[] = { 0x03, 0x01, 0x6a, 0x00, 0x05, 0x05 };
  static const guint8 unterminated[] = { 0x03, 0x01, 0x6a, 0x00, 0x45, 0x03, 'a', 'b' };
  static const guint8 opaque[] = { 0x03, 0x01, 0x6a, 0x00, 0x45, 0xc3, 0x7f, 'a', 0x01 };
  static const guint8 longint[] = { 0x03, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x6a, 0x00, 0x05 };
  static const guint8 strtbl[] = { 0x03, 0x01, 0x6a, 0x02, 'a', 0x00, 0x45, 0x83, 0x05, 0x01 };
  static const guint8 literal[] = { 0x03, 0x01, 0x6a, 0x00, 0x04, 0x00 };
  static const guint8 bad_utf8[] = { 0x03, 0x01, 0x6a, 0x00, 0x45, 0x03, 0xff, 0xfe, 0x00, 0x01 };
  static const guint8 *cases[] = { empty, latin1, attrs, lone_end, trailing, unterminated, opaque,
                                   longint, strtbl, literal, bad_utf8 };
  static const gsize sizes[] = { sizeof empty, sizeof latin1, sizeof attrs, sizeof lone_end,
                                 sizeof trailing, sizeof unterminated, sizeof opaque,
                                 sizeof longint, sizeof strtbl, sizeof literal, sizeof bad_utf8 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_malformed (cases[i], sizes[i]);
}

static void
test_string_table_and_entity (void)
{
  /* <Sync>"a" STR_T, ENTITY U+00FC</Sync> */
  static const guint8 doc[] = { 0x03, 0x01, 0x6a, 0x02, 'a', 0x00,
                                0x45, 0x83, 0x00, 0x02, 0x81, 0x7c, 0x01 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonEasNode) node = pigeon_eas_wbxml_decode (doc, sizeof doc, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_eas_node_get_text (node), ==, "a\xc3\xbc");
}

static void
test_depth_limit (void)
{
  g_autoptr(GByteArray) doc = g_byte_array_new ();
  static const guint8 header[] = { 0x03, 0x01, 0x6a, 0x00 };
  guint8 open = 0x45, end = 0x01;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonEasNode) ok = NULL;

  g_byte_array_append (doc, header, sizeof header);
  for (guint i = 0; i < PIGEON_EAS_WBXML_MAX_DEPTH; i++)
    g_byte_array_append (doc, &open, 1);
  for (guint i = 0; i < PIGEON_EAS_WBXML_MAX_DEPTH; i++)
    g_byte_array_append (doc, &end, 1);
  ok = pigeon_eas_wbxml_decode (doc->data, doc->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);

  g_byte_array_set_size (doc, sizeof header);
  for (guint i = 0; i <= PIGEON_EAS_WBXML_MAX_DEPTH; i++)
    g_byte_array_append (doc, &open, 1);
  for (guint i = 0; i <= PIGEON_EAS_WBXML_MAX_DEPTH; i++)
    g_byte_array_append (doc, &end, 1);
  assert_malformed (doc->data, doc->len);
}

static void
test_every_truncation_fails (void)
{
  g_autoptr(GBytes) wbxml = load ("004-Sync-resp", ".wbxml");
  gsize len;
  const guint8 *data = g_bytes_get_data (wbxml, &len);

  /* a cut anywhere is an error, never a crash or a half tree */
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PigeonEasNode) node = pigeon_eas_wbxml_decode (data, cut, &error);

      g_assert_null (node);
      g_assert_nonnull (error);
    }
}

static void
test_trace_elides_content (void)
{
  g_autoptr(PigeonEasNode) mail = pigeon_eas_node_new ("ComposeMail:SendMail");
  g_autofree char *xml = NULL;
  static const char mime[] = "From: a@example.org\r\nSubject: secret plans\r\n\r\nbody";

  pigeon_eas_node_add_text (mail, "ComposeMail:ClientId", "1");
  pigeon_eas_node_add_opaque (mail, "ComposeMail:Mime", (const guint8 *) mime, strlen (mime));
  xml = pigeon_eas_node_to_xml (mail, 16);
  g_assert_cmpstr (xml, ==,
                   "<SendMail xmlns=\"ComposeMail:\"><ClientId>1</ClientId>"
                   "<Mime>[50 bytes]</Mime></SendMail>");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/activesync/wbxml/decode-responses", test_decode_responses);
  g_test_add_func ("/activesync/wbxml/encode-requests", test_encode_requests);
  g_test_add_func ("/activesync/wbxml/spec-names", test_spec_names);
  g_test_add_func ("/activesync/wbxml/build-and-find", test_build_and_find);
  g_test_add_func ("/activesync/wbxml/malformed", test_malformed);
  g_test_add_func ("/activesync/wbxml/string-table-and-entity", test_string_table_and_entity);
  g_test_add_func ("/activesync/wbxml/depth-limit", test_depth_limit);
  g_test_add_func ("/activesync/wbxml/every-truncation-fails", test_every_truncation_fails);
  g_test_add_func ("/activesync/wbxml/trace-elides-content", test_trace_elides_content);

  return g_test_run ();
}
