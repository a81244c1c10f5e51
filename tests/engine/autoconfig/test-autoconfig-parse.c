/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ISPDB and Autodiscover parsers on documents as servers publish them, including
 * broken and hostile ones (a clear error, never a crash), and Pigeon's own provider list. */
#include "config.h"

#include <string.h>

#include "autoconfig-test-util.h"
#include "pigeon-autoconfig-database.h"
#include "pigeon-autoconfig-xml.h"
#include "pigeon-autodiscover.h"
#include "pigeon-certificate.h"
#include "pigeon-error.h"
#include "pigeon-ispdb.h"

static GBytes *
read_data (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);
  return g_bytes_new_take (contents, length);
}

static PigeonAutoconfigResult *
parse_file (const char  *name,
            const char  *email,
            GError     **error)
{
  g_autoptr(GBytes) bytes = read_data (name);

  return pigeon_ispdb_parse (bytes, email, PIGEON_AUTOCONFIG_SOURCE_DOMAIN, error);
}

static void
assert_server (const PigeonAutoconfigServer *server,
               const char                   *protocol,
               const char                   *host,
               guint                         port,
               PigeonSecurity                security,
               const char                   *user)
{
  g_assert_nonnull (server);
  g_assert_cmpstr (server->protocol, ==, protocol);
  g_assert_cmpstr (server->host, ==, host);
  g_assert_cmpuint (server->port, ==, port);
  g_assert_cmpint (server->security, ==, security);
  g_assert_cmpstr (server->user, ==, user);
}

/* ------------------------------------------------------------------ ISPDB */

static void
test_ispdb_hosting_provider (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;
  g_auto(GStrv) protocols = NULL;
  g_autoptr(PigeonAccount) account = pigeon_account_new ("acc1");

  result = parse_file ("hosting-provider.xml", "alice.smith@example.test", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->display_name, ==, "Example Hosting Mail");
  g_assert_cmpstr (result->documentation_url, ==, "https://help.examplehost.test/mail/clients");

  /* The exchange server has no provider here and is left out. */
  g_assert_cmpuint (result->incoming->len, ==, 3);
  assert_server (result->incoming->pdata[0], "imap", "mail.example.test", 993,
                 PIGEON_SECURITY_TLS, "alice.smith");
  assert_server (result->incoming->pdata[1], "imap", "mail.example.test", 143,
                 PIGEON_SECURITY_STARTTLS, "alice.smith");
  assert_server (result->incoming->pdata[2], "pop3", "pop.examplehost.test", 995,
                 PIGEON_SECURITY_TLS, NULL);
  g_assert_cmpuint (result->outgoing->len, ==, 2);
  assert_server (result->outgoing->pdata[0], "smtp", "smtp.examplehost.test", 587,
                 PIGEON_SECURITY_STARTTLS, NULL);

  protocols = pigeon_autoconfig_result_list_protocols (result);
  g_assert_cmpuint (g_strv_length (protocols), ==, 2);
  g_assert_cmpstr (protocols[0], ==, "imap");
  g_assert_cmpstr (protocols[1], ==, "pop3");

  /* Sorting puts implicit TLS first, keeping the file's order otherwise. */
  pigeon_autoconfig_result_sort (result);
  assert_server (result->outgoing->pdata[0], "smtp", "smtp.examplehost.test", 465,
                 PIGEON_SECURITY_TLS, NULL);
  assert_server (result->incoming->pdata[1], "pop3", "pop.examplehost.test", 995,
                 PIGEON_SECURITY_TLS, NULL);

  pigeon_autoconfig_result_apply (result, pigeon_autoconfig_result_get_incoming (result, "imap"),
                                  account);
  g_assert_cmpstr (pigeon_account_get_protocol (account), ==, "imap");
  g_assert_cmpstr (pigeon_account_get_host (account), ==, "mail.example.test");
  g_assert_cmpuint (pigeon_account_get_port (account), ==, 993);
  g_assert_cmpstr (pigeon_account_get_user (account), ==, "alice.smith");
  g_assert_cmpstr (pigeon_account_get_smtp_host (account), ==, "smtp.examplehost.test");
  g_assert_cmpuint (pigeon_account_get_smtp_port (account), ==, 465);
  g_assert_cmpint (pigeon_account_get_smtp_security (account), ==, PIGEON_SECURITY_TLS);
}

static void
test_ispdb_domains (void)
{
  g_autoptr(GBytes) bytes = read_data ("hosting-provider.xml");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) domains = pigeon_ispdb_parse_domains (bytes, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (domains), ==, 2);
  g_assert_cmpstr (domains[0], ==, "example.test");
  g_assert_cmpstr (domains[1], ==, "example-alias.test");
}

static void
test_ispdb_oauth_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;
  g_auto(GStrv) protocols = NULL;

  result = parse_file ("oauth-only.xml", "bob@bigcloud.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->incoming->len, ==, 1);
  g_assert_false (pigeon_autoconfig_server_is_usable (result->incoming->pdata[0]));
  g_assert_true (pigeon_autoconfig_result_needs_oauth2 (result));
  protocols = pigeon_autoconfig_result_list_protocols (result);
  g_assert_cmpuint (g_strv_length (protocols), ==, 0);
  g_assert_null (pigeon_autoconfig_result_get_incoming (result, "imap"));
  g_assert_null (pigeon_autoconfig_result_get_outgoing (result));
}

static void
test_ispdb_plain_and_instructions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;
  const PigeonAutoconfigServer *imap;

  result = parse_file ("plain-and-instructions.xml", "carol@oldisp.test", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->display_name, ==, "Old ISP");
  g_assert_cmpuint (result->incoming->len, ==, 2);
  /* Plain text is never chosen by itself. */
  g_assert_false (pigeon_autoconfig_server_is_usable (result->incoming->pdata[0]));
  g_assert_null (pigeon_autoconfig_result_get_incoming (result, "pop3"));
  /* No port: the provider's usual one; no authentication listed: a password. */
  imap = pigeon_autoconfig_result_get_incoming (result, "imap");
  assert_server (imap, "imap", "imap.oldisp.test", 0, PIGEON_SECURITY_TLS, NULL);
  g_assert_cmpint (imap->auth, ==, PIGEON_AUTOCONFIG_AUTH_PASSWORD);
  /* An SMTP relay by address takes no password: not usable either. */
  g_assert_null (pigeon_autoconfig_result_get_outgoing (result));
  g_assert_false (pigeon_autoconfig_result_needs_oauth2 (result));

  g_assert_cmpstr (result->instruction_url, ==, "https://www.oldisp.test/settings/mail-access");
  g_assert_cmpstr (result->instruction, ==, "Turn on IMAP access in your account settings first.");
}

static void
test_ispdb_bad_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;

  /* Every broken server is skipped; the one good one (sloppily written) remains. */
  result = parse_file ("malformed-bad-values.xml", "dave@sloppy.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->incoming->len, ==, 1);
  assert_server (result->incoming->pdata[0], "imap", "IMAP.Sloppy.test", 993,
                 PIGEON_SECURITY_TLS, NULL);
}

static void
test_ispdb_malformed (gconstpointer data)
{
  const char *name = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = parse_file (name, "eve@example.test", &error);

  g_assert_null (result);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_cmpuint (strlen (error->message), >, 10);
  g_test_message ("%s: %s", name, error->message);
}

static void
test_ispdb_entities (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;

  /* Exponential entity expansion stops the parser. */
  result = parse_file ("malformed-entities.xml", "eve@evil.test", &error);
  g_assert_null (result);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Any DTD (entities, outside files) is refused outright. */
  result = parse_file ("malformed-doctype.xml", "eve@evil.test", &error);
  g_assert_null (result);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "document type"));
}

static void
test_ispdb_garbage (void)
{
  static const char *const documents[] = {
    "",
    "\xff\xfe\x00<\x00c\x00",
    "<clientConfig>",
    "<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>\xc3\x28</hostname>"
    "</incomingServer></emailProvider></clientConfig>",
    "<?xml version=\"1.0\"?><clientConfig/><extra/>",
    "not xml at all",
  };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (documents[i], strlen (documents[i]));
      g_autoptr(GError) error = NULL;
      g_autoptr(PigeonAutoconfigResult) result = NULL;

      result = pigeon_ispdb_parse (bytes, "a@b.test", PIGEON_AUTOCONFIG_SOURCE_DOMAIN, &error);
      g_assert_null (result);
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
    }
}

static void
test_ispdb_limits (void)
{
  g_autoptr(GString) deep = g_string_new ("<clientConfig><emailProvider>");
  g_autoptr(GString) big = g_string_new ("<clientConfig><emailProvider>");
  g_autoptr(GString) many = g_string_new ("<clientConfig><emailProvider>");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutoconfigResult) result = NULL;

  /* Nesting beyond libxml2's limit. */
  for (guint i = 0; i < 50000; i++)
    g_string_append (deep, "<a>");
  bytes = g_string_free_to_bytes (g_steal_pointer (&deep));
  result = pigeon_ispdb_parse (bytes, "a@b.test", PIGEON_AUTOCONFIG_SOURCE_DOMAIN, &error);
  g_assert_null (result);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Larger than any settings document. */
  while (big->len <= PIGEON_AUTOCONFIG_MAX_DOCUMENT)
    g_string_append (big, "<domain>padding.test</domain>");
  g_string_append (big, "</emailProvider></clientConfig>");
  bytes = g_string_free_to_bytes (g_steal_pointer (&big));
  result = pigeon_ispdb_parse (bytes, "a@b.test", PIGEON_AUTOCONFIG_SOURCE_DOMAIN, &error);
  g_assert_null (result);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Thousands of servers: only the first few are read. */
  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (many, "<incomingServer type=\"imap\"><hostname>h%u.test</hostname>"
                                  "<socketType>SSL</socketType></incomingServer>", i);
  g_string_append (many, "</emailProvider></clientConfig>");
  bytes = g_string_free_to_bytes (g_steal_pointer (&many));
  result = pigeon_ispdb_parse (bytes, "a@b.test", PIGEON_AUTOCONFIG_SOURCE_DOMAIN, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->incoming->len, ==, 32);
}

/* ------------------------------------------------------------------ Autodiscover */

static PigeonAutodiscoverReply *
parse_autodiscover (const char  *name,
                    const char  *email,
                    GError     **error)
{
  g_autoptr(GBytes) bytes = read_data (name);

  return pigeon_autodiscover_parse (bytes, email, error);
}

static void
test_autodiscover_request (void)
{
  g_autoptr(GBytes) mobilesync = NULL;
  g_autoptr(GBytes) outlook = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  mobilesync = pigeon_autodiscover_build_request ("a<b>@example.test",
                                                  PIGEON_AUTODISCOVER_REQUEST_MOBILESYNC);
  text = g_strndup (g_bytes_get_data (mobilesync, NULL), g_bytes_get_size (mobilesync));
  g_assert_nonnull (strstr (text, "<EMailAddress>a&lt;b&gt;@example.test</EMailAddress>"));
  g_assert_nonnull (strstr (text, "mobilesync/responseschema/2006</AcceptableResponseSchema>"));
  g_clear_pointer (&text, g_free);

  outlook = pigeon_autodiscover_build_request ("a@example.test",
                                               PIGEON_AUTODISCOVER_REQUEST_OUTLOOK);
  text = g_strndup (g_bytes_get_data (outlook, NULL), g_bytes_get_size (outlook));
  g_assert_nonnull (strstr (text, "outlook/responseschema/2006a</AcceptableResponseSchema>"));
}

static void
test_autodiscover_mobilesync (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = NULL;

  reply = parse_autodiscover ("autodiscover-mobilesync.xml", "chris@contoso.test", &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->action, ==, PIGEON_AUTODISCOVER_SETTINGS);
  g_assert_cmpuint (reply->result->incoming->len, ==, 1);
  assert_server (reply->result->incoming->pdata[0], "eas",
                 "https://mail.contoso.test/Microsoft-Server-ActiveSync", 0, PIGEON_SECURITY_TLS,
                 NULL);
  g_assert_cmpint (((PigeonAutoconfigServer *) reply->result->incoming->pdata[0])->source, ==,
                   PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER);
  g_assert_cmpuint (reply->result->outgoing->len, ==, 0);
}

static void
test_autodiscover_outlook (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = NULL;
  PigeonAutoconfigServer *legacy;

  reply = parse_autodiscover ("autodiscover-outlook.xml", "alice@panel.test", &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->action, ==, PIGEON_AUTODISCOVER_SETTINGS);
  g_assert_cmpuint (reply->result->incoming->len, ==, 3);
  assert_server (reply->result->incoming->pdata[0], "imap", "mail.panel.test", 993,
                 PIGEON_SECURITY_TLS, NULL);
  /* SSL on, on the plain port: STARTTLS. */
  assert_server (reply->result->incoming->pdata[1], "pop3", "mail.panel.test", 110,
                 PIGEON_SECURITY_STARTTLS, "alice");
  legacy = reply->result->incoming->pdata[2];
  assert_server (legacy, "imap", "legacy.panel.test", 143, PIGEON_SECURITY_NONE, NULL);
  g_assert_cmpint (legacy->auth, ==, PIGEON_AUTOCONFIG_AUTH_OTHER);
  g_assert_false (pigeon_autoconfig_server_is_usable (legacy));
  g_assert_cmpuint (reply->result->outgoing->len, ==, 1);
  assert_server (reply->result->outgoing->pdata[0], "smtp", "mail.panel.test", 587,
                 PIGEON_SECURITY_STARTTLS, NULL);
}

static void
test_autodiscover_redirects (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutodiscoverReply) address = NULL;
  g_autoptr(PigeonAutodiscoverReply) url = NULL;
  g_autoptr(PigeonAutodiscoverReply) plain = NULL;

  address = parse_autodiscover ("autodiscover-redirect-address.xml", "chris@contoso.test", &error);
  g_assert_no_error (error);
  g_assert_cmpint (address->action, ==, PIGEON_AUTODISCOVER_REDIRECT_ADDRESS);
  g_assert_cmpstr (address->redirect, ==, "chris@contoso-cloud.test");

  url = parse_autodiscover ("autodiscover-redirect-url.xml", "chris@contoso.test", &error);
  g_assert_no_error (error);
  g_assert_cmpint (url->action, ==, PIGEON_AUTODISCOVER_REDIRECT_URL);
  g_assert_cmpstr (url->redirect, ==,
                   "https://autodiscover.region.test/autodiscover/autodiscover.xml");

  /* A redirect to an unencrypted address would hand the password to anyone listening. */
  plain = parse_autodiscover ("autodiscover-redirect-plain.xml", "chris@contoso.test", &error);
  g_assert_null (plain);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_autodiscover_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = NULL;

  reply = parse_autodiscover ("autodiscover-error.xml", "chris@contoso.test", &error);
  g_assert_null (reply);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Invalid Request"));
  g_assert_nonnull (strstr (error->message, "600"));
}

static void
test_autodiscover_malformed (gconstpointer data)
{
  const char *name = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonAutodiscoverReply) reply = parse_autodiscover (name, "a@b.test", &error);

  g_assert_null (reply);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_test_message ("%s: %s", name, error->message);
}

/* ------------------------------------------------------------------ bundled list */

static void
test_database_lookup (void)
{
  g_autoptr(PigeonAutoconfigResult) gmail = NULL;
  g_autoptr(PigeonAutoconfigResult) upper = NULL;
  g_autoptr(PigeonAutoconfigResult) workspace = NULL;
  g_autoptr(PigeonAutoconfigResult) icloud = NULL;
  g_autoptr(PigeonAutoconfigResult) none = NULL;

  gmail = pigeon_autoconfig_database_lookup ("gmail.com", "someone@gmail.com",
                                             PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  g_assert_nonnull (gmail);
  g_assert_cmpstr (gmail->display_name, ==, "Google Mail");
  assert_server (pigeon_autoconfig_result_get_incoming (gmail, "imap"), "imap", "imap.gmail.com",
                 993, PIGEON_SECURITY_TLS, NULL);
  g_assert_nonnull (gmail->instruction);
  g_assert_true (g_str_has_prefix (gmail->instruction_url, "https://"));

  upper = pigeon_autoconfig_database_lookup ("GoogleMail.COM", "x@GoogleMail.COM",
                                             PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  g_assert_nonnull (upper);

  /* A Google Workspace domain, found through its MX host. */
  workspace = pigeon_autoconfig_database_lookup_host ("ALT1.aspmx.l.google.com.",
                                                      "boss@company.test",
                                                      PIGEON_AUTOCONFIG_SOURCE_MX);
  g_assert_nonnull (workspace);
  g_assert_cmpstr (workspace->display_name, ==, "Google Mail");
  g_assert_cmpint (((PigeonAutoconfigServer *) workspace->incoming->pdata[0])->source, ==,
                   PIGEON_AUTOCONFIG_SOURCE_MX);

  /* iCloud logs in with the local part. */
  icloud = pigeon_autoconfig_database_lookup ("me.com", "steve@me.com",
                                              PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  assert_server (pigeon_autoconfig_result_get_incoming (icloud, "imap"), "imap",
                 "imap.mail.me.com", 993, PIGEON_SECURITY_TLS, "steve");

  none = pigeon_autoconfig_database_lookup ("example.test", "a@example.test",
                                            PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  g_assert_null (none);
  g_assert_null (pigeon_autoconfig_database_lookup_host ("com", "a@b.test",
                                                         PIGEON_AUTOCONFIG_SOURCE_MX));
}

static void
test_database_every_file (void)
{
  g_auto(GStrv) domains = pigeon_autoconfig_database_list_domains ();

  /* A dozen or so large providers, each with a server Pigeon can use or a clear reason
   * (a browser sign-in) why not. */
  g_assert_cmpuint (g_strv_length (domains), >=, 50);
  for (guint i = 0; domains[i]; i++)
    {
      g_autofree char *email = g_strdup_printf ("someone@%s", domains[i]);
      g_autoptr(PigeonAutoconfigResult) result = NULL;

      result = pigeon_autoconfig_database_lookup (domains[i], email,
                                                  PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
      g_assert_nonnull (result);
      g_assert_nonnull (result->display_name);
      g_assert_cmpuint (result->incoming->len, >, 0);
      g_assert_cmpuint (result->outgoing->len, >, 0);
      g_assert_true (pigeon_autoconfig_result_get_incoming (result, "imap") != NULL ||
                     pigeon_autoconfig_result_needs_oauth2 (result));
      for (guint j = 0; j < result->incoming->len; j++)
        g_assert_cmpint (((PigeonAutoconfigServer *) result->incoming->pdata[j])->security, !=,
                         PIGEON_SECURITY_NONE);
    }
}

/* ------------------------------------------------------------------ merge */

static void
test_merge (void)
{
  g_autoptr(PigeonAutoconfigResult) a = pigeon_autoconfig_result_new ();
  g_autoptr(PigeonAutoconfigResult) b = pigeon_autoconfig_result_new ();
  PigeonAutoconfigServer *server;

  g_ptr_array_add (a->incoming, pigeon_autoconfig_server_new ("imap", "imap.x.test", 143,
                                                              PIGEON_SECURITY_STARTTLS,
                                                              PIGEON_AUTOCONFIG_SOURCE_DOMAIN));
  b->display_name = g_strdup ("X");
  g_ptr_array_add (b->incoming, pigeon_autoconfig_server_new ("imap", "IMAP.x.test", 143,
                                                              PIGEON_SECURITY_STARTTLS,
                                                              PIGEON_AUTOCONFIG_SOURCE_GUESS));
  g_ptr_array_add (b->incoming, pigeon_autoconfig_server_new ("imap", "imap.x.test", 993,
                                                              PIGEON_SECURITY_TLS,
                                                              PIGEON_AUTOCONFIG_SOURCE_GUESS));
  pigeon_autoconfig_result_merge (a, b);
  g_assert_cmpstr (a->display_name, ==, "X");
  g_assert_cmpuint (a->incoming->len, ==, 2);   /* the same server only once */
  pigeon_autoconfig_result_sort (a);
  /* The domain's own word beats a guess, even a guess with implicit TLS. */
  server = a->incoming->pdata[0];
  g_assert_cmpint (server->source, ==, PIGEON_AUTOCONFIG_SOURCE_DOMAIN);
}

/* ------------------------------------------------------------------ certificates */

static void
test_certificate_error_fingerprint (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) other = NULL;
  g_autoptr(GError) short_one = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *none = NULL;
  const char *hex = "5118d56ebef5a7a016b594c9b514b9c6242ceafcd84fd5407bea36e950700a8f";

  /* What the assistant pins comes out of the message, in whatever language it is. */
  error = g_error_new (PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                       "Das Zertifikat von 127.0.0.1 ist nicht vertrauenswürdig: selbst "
                       "signiert. SHA-256-Fingerabdruck: 51:18:D5:6E:BE:F5:A7:A0:16:B5:94:C9:"
                       "B5:14:B9:C6:24:2C:EA:FC:D8:4F:D5:40:7B:EA:36:E9:50:70:0A:8F.");
  sha256 = pigeon_certificate_error_dup_sha256 (error);
  g_assert_cmpstr (sha256, ==, hex);

  other = g_error_new (PIGEON_ERROR, PIGEON_ERROR_CONNECT, "51:18:D5:6E:BE:F5:A7:A0:16:B5:94:"
                       "C9:B5:14:B9:C6:24:2C:EA:FC:D8:4F:D5:40:7B:EA:36:E9:50:70:0A:8F");
  g_assert_null (pigeon_certificate_error_dup_sha256 (other));
  /* A SHA-1 fingerprint (20 bytes) is no SHA-256 one. */
  short_one = g_error_new (PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                           "Fingerprint 51:18:D5:6E:BE:F5:A7:A0:16:B5:94:C9:B5:14:B9:C6:"
                           "24:2C:EA:FC");
  none = pigeon_certificate_error_dup_sha256 (short_one);
  g_assert_null (none);
}

int
main (int    argc,
      char **argv)
{
  static const char *const malformed[] = {
    "malformed-truncated.xml", "malformed-html.xml", "malformed-wrong-root.xml",
    "malformed-no-provider.xml", "malformed-no-incoming.xml", "autodiscover-mobilesync.xml",
  };
  static const char *const autodiscover_malformed[] = {
    "autodiscover-malformed.xml", "hosting-provider.xml", "malformed-entities.xml",
  };

  static const TestPorts usual_ports = { 993, 143, 995, 110, 465, 587 };

  g_test_init (&argc, &argv, NULL);
  test_providers_register (&usual_ports);

  g_test_add_func ("/autoconfig/ispdb/hosting-provider", test_ispdb_hosting_provider);
  g_test_add_func ("/autoconfig/ispdb/domains", test_ispdb_domains);
  g_test_add_func ("/autoconfig/ispdb/oauth-only", test_ispdb_oauth_only);
  g_test_add_func ("/autoconfig/ispdb/plain-and-instructions", test_ispdb_plain_and_instructions);
  g_test_add_func ("/autoconfig/ispdb/bad-values", test_ispdb_bad_values);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/autoconfig/ispdb/malformed/%s", malformed[i]);
      g_test_add_data_func (path, malformed[i], test_ispdb_malformed);
    }
  g_test_add_func ("/autoconfig/ispdb/entities", test_ispdb_entities);
  g_test_add_func ("/autoconfig/ispdb/garbage", test_ispdb_garbage);
  g_test_add_func ("/autoconfig/ispdb/limits", test_ispdb_limits);
  g_test_add_func ("/autoconfig/autodiscover/request", test_autodiscover_request);
  g_test_add_func ("/autoconfig/autodiscover/mobilesync", test_autodiscover_mobilesync);
  g_test_add_func ("/autoconfig/autodiscover/outlook", test_autodiscover_outlook);
  g_test_add_func ("/autoconfig/autodiscover/redirects", test_autodiscover_redirects);
  g_test_add_func ("/autoconfig/autodiscover/error", test_autodiscover_error);
  for (guint i = 0; i < G_N_ELEMENTS (autodiscover_malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/autoconfig/autodiscover/malformed/%s",
                                               autodiscover_malformed[i]);
      g_test_add_data_func (path, autodiscover_malformed[i], test_autodiscover_malformed);
    }
  g_test_add_func ("/autoconfig/database/lookup", test_database_lookup);
  g_test_add_func ("/autoconfig/database/every-file", test_database_every_file);
  g_test_add_func ("/autoconfig/result/merge", test_merge);
  g_test_add_func ("/autoconfig/certificate/error-fingerprint", test_certificate_error_fingerprint);
  return g_test_run ();
}
