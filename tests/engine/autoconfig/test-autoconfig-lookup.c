/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PigeonAutoconfig against a local web server (HTTP, and HTTPS for Autodiscover), a test
 * resolver for SRV, MX and host names, and local listeners for guesses. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "autoconfig-test-util.h"
#include "pigeon-autoconfig.h"
#include "pigeon-error.h"

typedef struct
{
  int status;
  char *body;
  char *location;
  char *password;          /* Basic credentials the route demands, "user:password" */
  char *body_if;           /* answer BODY only when the request contains this */
  char *other_body;        /* else this */
  gboolean stall;          /* never answer */
} Route;

typedef struct
{
  SoupServer *server;
  char *base;
  GHashTable *routes;      /* path -> Route */
  GPtrArray *requests;     /* "METHOD PATH [auth]" */
  GPtrArray *stalled;      /* SoupServerMessage */
  GTlsDatabase *database;
  PigeonAutoconfig *autoconfig;
  gboolean https;
} Fixture;

static TestResolver *resolver;
static guint16 greeting_port;
static guint16 silent_port;

static void
route_free (gpointer data)
{
  Route *route = data;

  g_free (route->body);
  g_free (route->location);
  g_free (route->password);
  g_free (route->body_if);
  g_free (route->other_body);
  g_free (route);
}

static char *
read_data (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("%s", error->message);
  return contents;
}

static Route *
add_route (Fixture    *fixture,
           const char *path,
           int         status,
           const char *body)
{
  Route *route = g_new0 (Route, 1);

  route->status = status;
  route->body = g_strdup (body);
  g_hash_table_replace (fixture->routes, g_strdup (path), route);
  return route;
}

static gboolean
has_request (Fixture    *fixture,
             const char *prefix)
{
  for (guint i = 0; i < fixture->requests->len; i++)
    if (g_str_has_prefix (fixture->requests->pdata[i], prefix))
      return TRUE;
  return FALSE;
}

static void
handler (SoupServer        *server,
         SoupServerMessage *message,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (message);
  const char *authorization = soup_message_headers_get_one (request_headers, "Authorization");
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) body_bytes = soup_message_body_flatten (request_body);
  g_autofree char *request_text = g_strndup (g_bytes_get_data (body_bytes, NULL),
                                             g_bytes_get_size (body_bytes));
  Route *route = g_hash_table_lookup (fixture->routes, path);
  const char *answer;

  g_ptr_array_add (fixture->requests,
                   g_strdup_printf ("%s %s%s%s", soup_server_message_get_method (message), path,
                                    authorization ? " " : "",
                                    authorization ? authorization : ""));
  if (route == NULL)
    {
      soup_server_message_set_status (message, 404, NULL);
      return;
    }
  if (route->stall)
    {
      soup_server_message_pause (message);
      g_ptr_array_add (fixture->stalled, g_object_ref (message));
      return;
    }
  if (route->password != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) route->password,
                                                  strlen (route->password));
      g_autofree char *expected = g_strdup_printf ("Basic %s", encoded);

      if (g_strcmp0 (authorization, expected) != 0)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                        "WWW-Authenticate", "Basic realm=\"test\"");
          soup_server_message_set_status (message, 401, NULL);
          return;
        }
    }
  if (route->location != NULL)
    {
      soup_server_message_set_redirect (message, route->status, route->location);
      return;
    }
  answer = route->body;
  if (route->body_if != NULL && strstr (request_text, route->body_if) == NULL)
    answer = route->other_body;
  soup_server_message_set_status (message, route->status, NULL);
  if (answer != NULL)
    soup_server_message_set_response (message, "text/xml", SOUP_MEMORY_COPY, answer,
                                      strlen (answer));
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "..", "net", "data", "server.pem",
                                                NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "..", "net", "data", "server.key",
                                                NULL);
  GSList *uris;

  fixture->https = GPOINTER_TO_INT (data);
  fixture->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, route_free);
  fixture->requests = g_ptr_array_new_with_free_func (g_free);
  fixture->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  if (fixture->https)
    {
      certificate = g_tls_certificate_new_from_files (pem, key, &error);
      g_assert_no_error (error);
      fixture->server = soup_server_new ("tls-certificate", certificate, NULL);
      fixture->database = g_tls_file_database_new (pem, &error);
      g_assert_no_error (error);
    }
  else
    fixture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->server, NULL, handler, fixture, NULL);
  soup_server_listen_local (fixture->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY |
                            (fixture->https ? SOUP_SERVER_LISTEN_HTTPS : 0), &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->server);
  fixture->base = g_strdup_printf ("%s://127.0.0.1:%d", fixture->https ? "https" : "http",
                                   g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  fixture->autoconfig = pigeon_autoconfig_new ();
  g_object_set (fixture->autoconfig,
                "http-base", fixture->base,
                "timeout", 1,
                "tls-database", fixture->database,
                NULL);
  test_resolver_reset (resolver);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  gint64 drained = g_get_monotonic_time () + 500 * G_TIME_SPAN_MILLISECOND;

  /* Attempts that lost a race may still be shaking hands with the server; their TLS needs
   * this thread's main context, and closing the server's side waits for them.  Let them
   * finish before the server goes. */
  while (fixture->https && g_get_monotonic_time () < drained)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  for (guint i = 0; i < fixture->stalled->len; i++)
    {
      soup_server_message_set_status (fixture->stalled->pdata[i], 503, NULL);
      soup_server_message_unpause (fixture->stalled->pdata[i]);
    }
  g_clear_object (&fixture->autoconfig);
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->database);
  g_hash_table_unref (fixture->routes);
  g_ptr_array_unref (fixture->requests);
  g_ptr_array_unref (fixture->stalled);
  g_free (fixture->base);
}

typedef struct
{
  gboolean done;
  PigeonAutoconfigResult *result;
  GError *error;
  gint64 elapsed_ms;
  gint64 started;
} Outcome;

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->result = pigeon_autoconfig_lookup_finish (PIGEON_AUTOCONFIG (source), result,
                                                     &outcome->error);
  outcome->elapsed_ms = (g_get_monotonic_time () - outcome->started) / 1000;
  outcome->done = TRUE;
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->result, pigeon_autoconfig_result_free);
  g_clear_error (&outcome->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

static void
run_lookup (Fixture      *fixture,
            const char   *email,
            const char   *password,
            GCancellable *cancellable,
            Outcome      *outcome)
{
  outcome->started = g_get_monotonic_time ();
  pigeon_autoconfig_lookup_async (fixture->autoconfig, email, password, cancellable, lookup_cb,
                                  outcome);
  test_wait_for (&outcome->done);
  g_test_message ("lookup of %s took %" G_GINT64_FORMAT " ms", email, outcome->elapsed_ms);
}

static const PigeonAutoconfigServer *
incoming (Outcome *outcome,
          guint    index)
{
  g_assert_no_error (outcome->error);
  g_assert_cmpuint (outcome->result->incoming->len, >, index);
  return outcome->result->incoming->pdata[index];
}

/* ------------------------------------------------------------------ tests */

static void
test_bundled (Fixture       *fixture,
              gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };

  run_lookup (fixture, "  someone@GMail.com ", NULL, NULL, &outcome);
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "imap.gmail.com");
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_BUNDLED);
  /* Pigeon's own list answers without asking the network anything. */
  g_assert_cmpuint (fixture->requests->len, ==, 0);
  g_assert_cmpuint (test_resolver_get_queries (resolver)->len, ==, 0);
}

static void
test_domain (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) outcome = { 0 };

  add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200, document);
  run_lookup (fixture, "alice.smith@example.test", "secret", NULL, &outcome);
  g_assert_cmpstr (outcome.result->display_name, ==, "Example Hosting Mail");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "mail.example.test");
  g_assert_cmpstr (incoming (&outcome, 0)->user, ==, "alice.smith");
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_DOMAIN);
  g_assert_cmpstr (pigeon_autoconfig_result_get_outgoing (outcome.result)->host, ==,
                   "smtp.examplehost.test");
  /* The other sources were asked too, in parallel. */
  g_assert_true (has_request (fixture, "POST /example.test/autodiscover/autodiscover.xml"));
  g_assert_true (g_ptr_array_find_with_equal_func (test_resolver_get_queries (resolver),
                                                   "SRV _imaps._tcp.example.test", g_str_equal,
                                                   NULL));
  /* No password travelled over plain HTTP. */
  for (guint i = 0; i < fixture->requests->len; i++)
    g_assert_null (strstr (fixture->requests->pdata[i], "Basic"));
  g_assert_cmpint (outcome.elapsed_ms, <, 4000);
}

static void
test_well_known (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) outcome = { 0 };

  add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200,
             "<html><body>Welcome to nginx!</body></html>");
  add_route (fixture, "/example.test/.well-known/autoconfig/mail/config-v1.1.xml", 200, document);
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "mail.example.test");
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_DOMAIN);
}

static void
test_redirects (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) followed = { 0 };
  g_auto(Outcome) refused = { 0 };
  Route *route;

  route = add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 301, NULL);
  route->location = g_strdup ("https://config.examplehost.test/mail/example.test.xml");
  add_route (fixture, "/config.examplehost.test/mail/example.test.xml", 200, document);
  run_lookup (fixture, "alice@example.test", NULL, NULL, &followed);
  g_assert_cmpstr (incoming (&followed, 0)->host, ==, "mail.example.test");

  /* Not to plain HTTP, where anyone on the way could have written the answer. */
  route = add_route (fixture, "/autoconfig.other.test/mail/config-v1.1.xml", 302, NULL);
  route->location = g_strdup ("http://config.examplehost.test/mail/example.test.xml");
  run_lookup (fixture, "alice@other.test", NULL, NULL, &refused);
  g_assert_error (refused.error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (refused.error->message, "other.test"));
}

static void
test_srv (Fixture       *fixture,
          gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };
  const PigeonAutoconfigServer *outgoing;

  test_resolver_add_srv (resolver, "_imaps._tcp.example.test", 10, 0, 993, "imap.example.test");
  test_resolver_add_srv (resolver, "_imaps._tcp.example.test", 20, 0, 993, "backup.example.test");
  test_resolver_add_srv (resolver, "_imap._tcp.example.test", 0, 0, 0, ".");
  test_resolver_add_srv (resolver, "_pop3s._tcp.example.test", 10, 0, 995, "pop.example.test");
  test_resolver_add_srv (resolver, "_submission._tcp.example.test", 0, 1, 587,
                         "smtp.example.test");
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);

  g_assert_cmpuint (outcome.result->incoming->len, ==, 3);
  g_assert_cmpstr (incoming (&outcome, 0)->protocol, ==, "imap");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "imap.example.test");
  g_assert_cmpuint (incoming (&outcome, 0)->port, ==, 993);
  g_assert_cmpint (incoming (&outcome, 0)->security, ==, PIGEON_SECURITY_TLS);
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_SRV);
  g_assert_cmpstr (incoming (&outcome, 1)->host, ==, "backup.example.test");
  g_assert_cmpstr (incoming (&outcome, 2)->protocol, ==, "pop3");
  outgoing = pigeon_autoconfig_result_get_outgoing (outcome.result);
  g_assert_cmpstr (outgoing->protocol, ==, "smtp");
  g_assert_cmpstr (outgoing->host, ==, "smtp.example.test");
  g_assert_cmpuint (outgoing->port, ==, 587);
  g_assert_cmpint (outgoing->security, ==, PIGEON_SECURITY_STARTTLS);
}

static void
test_mx (Fixture       *fixture,
         gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };

  test_resolver_add_mx (resolver, "company.test", 20, "alt1.aspmx.l.google.com");
  test_resolver_add_mx (resolver, "company.test", 10, "aspmx.l.google.com");
  run_lookup (fixture, "boss@company.test", NULL, NULL, &outcome);
  g_assert_cmpstr (outcome.result->display_name, ==, "Google Mail");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "imap.gmail.com");
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_MX);
}

static void
test_merged_order (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) outcome = { 0 };
  const PigeonAutoconfigServer *last;

  add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200, document);
  test_resolver_add_srv (resolver, "_imaps._tcp.example.test", 0, 0, 993, "srv.example.test");
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);
  /* The domain's file first, then what SRV added. */
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_DOMAIN);
  last = outcome.result->incoming->pdata[outcome.result->incoming->len - 1];
  g_assert_cmpstr (last->host, ==, "srv.example.test");
  g_assert_cmpint (last->source, ==, PIGEON_AUTOCONFIG_SOURCE_SRV);
}

static void
test_autodiscover (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *document = read_data ("autodiscover-mobilesync.xml");
  g_auto(Outcome) outcome = { 0 };
  Route *route;
  g_autofree char *expected = NULL;
  g_autofree char *encoded = NULL;

  route = add_route (fixture, "/autodiscover.contoso.test/autodiscover/autodiscover.xml", 200,
                     document);
  route->password = g_strdup ("chris@contoso.test:hunter2");
  run_lookup (fixture, "chris@contoso.test", "hunter2", NULL, &outcome);
  g_assert_cmpstr (incoming (&outcome, 0)->protocol, ==, "eas");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==,
                   "https://mail.contoso.test/Microsoft-Server-ActiveSync");
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_AUTODISCOVER);

  encoded = g_base64_encode ((const guchar *) "chris@contoso.test:hunter2", 26);
  expected = g_strdup_printf ("POST /autodiscover.contoso.test/autodiscover/autodiscover.xml "
                              "Basic %s", encoded);
  g_assert_true (has_request (fixture, expected));
}

static void
test_autodiscover_outlook_schema (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };
  Route *route;

  route = add_route (fixture, "/panel.test/autodiscover/autodiscover.xml", 200, NULL);
  route->body_if = g_strdup ("outlook/requestschema");
  route->body = read_data ("autodiscover-outlook.xml");
  route->other_body = read_data ("autodiscover-error.xml");
  run_lookup (fixture, "alice@panel.test", "pw", NULL, &outcome);
  g_assert_cmpstr (incoming (&outcome, 0)->protocol, ==, "imap");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "mail.panel.test");
  g_assert_cmpstr (pigeon_autoconfig_result_get_outgoing (outcome.result)->host, ==,
                   "mail.panel.test");
}

static void
test_autodiscover_foreign_redirect (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *document = read_data ("autodiscover-mobilesync.xml");
  g_auto(Outcome) outcome = { 0 };
  Route *route;

  /* The plain-HTTP step points somewhere outside the domain: the request goes there, the
   * password does not. */
  route = add_route (fixture, "/autodiscover.contoso.test/autodiscover/autodiscover.xml", 302,
                     NULL);
  route->location = g_strdup ("https://collector.attacker.test/autodiscover/autodiscover.xml");
  route = add_route (fixture, "/collector.attacker.test/autodiscover/autodiscover.xml", 200,
                     document);
  route->password = g_strdup ("chris@contoso.test:hunter2");
  run_lookup (fixture, "chris@contoso.test", "hunter2", NULL, &outcome);
  g_assert_error (outcome.error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_assert_true (has_request (fixture, "POST /collector.attacker.test/"));
  for (guint i = 0; i < fixture->requests->len; i++)
    if (strstr (fixture->requests->pdata[i], "attacker") != NULL)
      g_assert_null (strstr (fixture->requests->pdata[i], "Basic"));
}

static void
test_guess (Fixture       *fixture,
            gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };

  test_resolver_add_host (resolver, "imap.example.test");
  test_resolver_add_host (resolver, "mail.example.test");
  test_resolver_add_host (resolver, "smtp.example.test");
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);

  /* Both names reach the server that greets; the SMTP port accepts but never greets. */
  g_assert_cmpuint (outcome.result->incoming->len, ==, 2);
  g_assert_cmpstr (incoming (&outcome, 0)->protocol, ==, "imap");
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "imap.example.test");
  g_assert_cmpuint (incoming (&outcome, 0)->port, ==, greeting_port);
  g_assert_cmpint (incoming (&outcome, 0)->security, ==, PIGEON_SECURITY_STARTTLS);
  g_assert_cmpint (incoming (&outcome, 0)->source, ==, PIGEON_AUTOCONFIG_SOURCE_GUESS);
  g_assert_cmpstr (incoming (&outcome, 1)->host, ==, "mail.example.test");
  g_assert_cmpuint (outcome.result->outgoing->len, ==, 0);
}

static void
test_guess_stops (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) outcome = { 0 };

  /* With a published file, the guesses are dropped, even those that answered. */
  add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200, document);
  test_resolver_add_host (resolver, "imap.example.test");
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);
  for (guint i = 0; i < outcome.result->incoming->len; i++)
    g_assert_cmpint (incoming (&outcome, i)->source, !=, PIGEON_AUTOCONFIG_SOURCE_GUESS);
}

static void
test_not_found (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };

  run_lookup (fixture, "nobody@nowhere.test", NULL, NULL, &outcome);
  g_assert_null (outcome.result);
  g_assert_error (outcome.error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (outcome.error->message, "nowhere.test"));
  g_assert_cmpint (outcome.elapsed_ms, <, 4000);
}

static void
test_stalled_server (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *document = read_data ("hosting-provider.xml");
  g_auto(Outcome) outcome = { 0 };
  Route *route;

  /* The first address never answers; the lookup does not wait for it forever, and the
   * second address still counts. */
  route = add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200, NULL);
  route->stall = TRUE;
  add_route (fixture, "/example.test/.well-known/autoconfig/mail/config-v1.1.xml", 200, document);
  run_lookup (fixture, "alice@example.test", NULL, NULL, &outcome);
  g_assert_cmpstr (incoming (&outcome, 0)->host, ==, "mail.example.test");
  g_assert_cmpint (outcome.elapsed_ms, <, 6000);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_auto(Outcome) outcome = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Route *route;

  route = add_route (fixture, "/autoconfig.example.test/mail/config-v1.1.xml", 200, NULL);
  route->stall = TRUE;
  g_timeout_add (100, cancel_cb, cancellable);
  run_lookup (fixture, "alice@example.test", NULL, cancellable, &outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (outcome.elapsed_ms, <, 1000);
}

static void
test_invalid (Fixture       *fixture,
              gconstpointer  data)
{
  static const char *const addresses[] = { "alice", "@example.test", "alice@", "alice@localhost",
                                            "al ice@example.test" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_auto(Outcome) outcome = { 0 };

      run_lookup (fixture, addresses[i], NULL, NULL, &outcome);
      g_assert_error (outcome.error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
    }
  g_assert_cmpuint (fixture->requests->len, ==, 0);
}

/* ------------------------------------------------------------------ listeners */

static gboolean
greet_cb (GSocketService    *service,
          GSocketConnection *connection,
          GObject           *source,
          gpointer           user_data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_output_stream_write_all (out, "* OK ready\r\n", 12, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static gboolean
keep_silent_cb (GSocketService    *service,
                GSocketConnection *connection,
                GObject           *source,
                gpointer           user_data)
{
  /* Hold the connection open and say nothing, until the process ends. */
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static guint16
listen_local (GCallback callback,
              gpointer  user_data)
{
  GSocketService *service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", callback, user_data);
  g_socket_service_start (service);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

int
main (int    argc,
      char **argv)
{
  TestPorts ports = { 0 };
  GPtrArray *held = g_ptr_array_new_with_free_func (g_object_unref);

  g_test_init (&argc, &argv, NULL);

  /* Port 1 on the loopback refuses at once: "nothing there". */
  greeting_port = listen_local (G_CALLBACK (greet_cb), NULL);
  silent_port = listen_local (G_CALLBACK (keep_silent_cb), held);
  ports.imap_tls = 1;
  ports.imap_plain = greeting_port;
  ports.pop3_tls = 1;
  ports.pop3_plain = 1;
  ports.smtp_tls = 1;
  ports.smtp_plain = silent_port;
  test_providers_register (&ports);
  resolver = test_resolver_install ();

#define ADD(path, func, https) \
  g_test_add ("/autoconfig/lookup/" path, Fixture, GINT_TO_POINTER (https), fixture_setup, func, \
              fixture_teardown)
  ADD ("bundled", test_bundled, FALSE);
  ADD ("domain", test_domain, FALSE);
  ADD ("well-known", test_well_known, FALSE);
  ADD ("redirects", test_redirects, FALSE);
  ADD ("srv", test_srv, FALSE);
  ADD ("mx", test_mx, FALSE);
  ADD ("merged-order", test_merged_order, FALSE);
  ADD ("autodiscover", test_autodiscover, TRUE);
  ADD ("autodiscover-outlook-schema", test_autodiscover_outlook_schema, TRUE);
  ADD ("autodiscover-foreign-redirect", test_autodiscover_foreign_redirect, TRUE);
  ADD ("guess", test_guess, FALSE);
  ADD ("guess-stops", test_guess_stops, FALSE);
  ADD ("not-found", test_not_found, FALSE);
  ADD ("stalled-server", test_stalled_server, FALSE);
  ADD ("cancel", test_cancel, FALSE);
  ADD ("invalid", test_invalid, FALSE);
#undef ADD

  return g_test_run ();
}
