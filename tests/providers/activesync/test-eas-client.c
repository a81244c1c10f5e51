/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP side of ActiveSync against a scripted server: what SOGo never does (449, 451,
 * 503 with Retry-After, a web page instead of ActiveSync) must still end well. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "pigeon-eas-client.h"
#include "pigeon-eas-wbxml.h"
#include "pigeon-error.h"

typedef struct _Fake Fake;
typedef void (*FakeHandler) (Fake *fake, SoupServerMessage *msg, const char *command);

struct _Fake
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  FakeHandler   handler;
  guint         calls;
  char         *last_policy_key;
  GMutex        lock;
  GCond         ready;
};

static void
reply_node (SoupServerMessage *msg,
            PigeonEasNode     *node)
{
  g_autoptr(GBytes) bytes = pigeon_eas_wbxml_encode (node);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/vnd.ms-sync.wbxml", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  pigeon_eas_node_free (node);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fake *fake = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_mutex_lock (&fake->lock);
  fake->calls++;
  g_free (fake->last_policy_key);
  fake->last_policy_key = g_strdup (soup_message_headers_get_one (headers, "X-MS-PolicyKey"));
  g_mutex_unlock (&fake->lock);
  if (g_strcmp0 (soup_message_headers_get_one (headers, "Authorization"),
                 "Basic dXNlcjpwYXNz") != 0)   /* user:pass */
    {
      soup_server_message_set_status (msg, 401, NULL);
      return;
    }
  fake->handler (fake, msg, query ? g_hash_table_lookup (query, "Cmd") : NULL);
}

static gpointer
fake_thread (gpointer data)
{
  Fake *fake = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, handler_cb, fake, NULL);
  soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  g_mutex_lock (&fake->lock);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d/Microsoft-Server-ActiveSync",
                               g_uri_get_port (uris->data));
  g_cond_signal (&fake->ready);
  g_mutex_unlock (&fake->lock);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  g_main_loop_run (fake->loop);
  g_clear_object (&fake->server);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static Fake *
fake_new (FakeHandler handler)
{
  Fake *fake = g_new0 (Fake, 1);

  fake->handler = handler;
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_mutex_init (&fake->lock);
  g_cond_init (&fake->ready);
  g_mutex_lock (&fake->lock);
  fake->thread = g_thread_new ("fake-eas", fake_thread, fake);
  while (fake->url == NULL)
    g_cond_wait (&fake->ready, &fake->lock);
  g_mutex_unlock (&fake->lock);
  return fake;
}

static void
fake_free (Fake *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_free (fake->url);
  g_free (fake->last_policy_key);
  g_mutex_clear (&fake->lock);
  g_cond_clear (&fake->ready);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

static PigeonEasClient *
client_for (Fake       *fake,
            const char *password)
{
  return pigeon_eas_client_new (fake->url, "user", password, "DEVICE1", NULL);
}

static PigeonEasNode *
folder_sync (PigeonEasClient *client,
             GError         **error)
{
  g_autoptr(PigeonEasNode) request = pigeon_eas_node_new ("FolderHierarchy:FolderSync");

  pigeon_eas_node_add_text (request, "FolderHierarchy:SyncKey", "0");
  return pigeon_eas_client_command (client, "FolderSync", request, NULL, 0, NULL, error);
}

static PigeonEasNode *
folder_sync_reply (void)
{
  PigeonEasNode *reply = pigeon_eas_node_new ("FolderHierarchy:FolderSync");

  pigeon_eas_node_add_text (reply, "FolderHierarchy:Status", "1");
  pigeon_eas_node_add_text (reply, "FolderHierarchy:SyncKey", "1");
  return reply;
}

/* ------------------------------------------------------------------ tests */

static void
test_build_url (void)
{
  static const struct { const char *in; gboolean tls; guint port; const char *out; } cases[] = {
    { "mail.example.org", TRUE, 0, "https://mail.example.org/Microsoft-Server-ActiveSync" },
    { "mail.example.org", FALSE, 8080, "http://mail.example.org:8080/Microsoft-Server-ActiveSync" },
    { "https://mail.example.org", TRUE, 0, "https://mail.example.org/Microsoft-Server-ActiveSync" },
    { "http://127.0.0.1:21000/SOGo", FALSE, 0,
      "http://127.0.0.1:21000/SOGo/Microsoft-Server-ActiveSync" },
    { "https://h/Microsoft-Server-ActiveSync/", TRUE, 0, "https://h/Microsoft-Server-ActiveSync" },
    { "ftp://mail.example.org", TRUE, 0, NULL },
    { "mail example", TRUE, 0, NULL },
    { "", TRUE, 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = pigeon_eas_client_build_url (cases[i].in, cases[i].tls, cases[i].port);

      g_assert_cmpstr (url, ==, cases[i].out);
    }
}

static void
options_handler (Fake              *fake,
                 SoupServerMessage *msg,
                 const char        *command)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  g_assert_cmpstr (soup_server_message_get_method (msg), ==, "OPTIONS");
  soup_message_headers_replace (headers, "MS-ASProtocolVersions", "2.5,12.1,14.0,14.1,16.0,16.1");
  soup_message_headers_replace (headers, "MS-ASProtocolCommands", "Sync,FolderSync,SmartReply");
  soup_server_message_set_status (msg, 200, NULL);
}

static void
test_options (void)
{
  g_autoptr(Fake) fake = fake_new (options_handler);
  g_autoptr(PigeonEasClient) client = client_for (fake, "pass");
  g_autoptr(PigeonEasClient) wrong = client_for (fake, "wrong");
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_eas_client_options (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_eas_client_get_version (client), ==, "16.1");
  g_assert_true (pigeon_eas_client_supports (client, "SmartReply"));
  g_assert_false (pigeon_eas_client_supports (client, "Search"));

  g_assert_false (pigeon_eas_client_options (wrong, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
}

static void
web_page_handler (Fake              *fake,
                  SoupServerMessage *msg,
                  const char        *command)
{
  static const char page[] = "<html><body>Webmail</body></html>";

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, sizeof page - 1);
}

static void
test_web_page (void)
{
  g_autoptr(Fake) fake = fake_new (web_page_handler);
  g_autoptr(PigeonEasClient) client = client_for (fake, "pass");
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_eas_client_options (client, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_clear_error (&error);
  reply = folder_sync (client, &error);
  g_assert_null (reply);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
busy_handler (Fake              *fake,
              SoupServerMessage *msg,
              const char        *command)
{
  if (fake->calls == 1)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      soup_server_message_set_status (msg, 503, NULL);
      return;
    }
  if (fake->calls == 3)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "3600");
      soup_server_message_set_status (msg, 503, NULL);
      return;
    }
  reply_node (msg, folder_sync_reply ());
}

static void
test_retry_after (void)
{
  g_autoptr(Fake) fake = fake_new (busy_handler);
  g_autoptr(PigeonEasClient) client = client_for (fake, "pass");
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(PigeonEasNode) refused = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  /* a short Retry-After is waited out, then the request goes through */
  reply = folder_sync (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpuint (fake->calls, ==, 2);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC);

  /* a long one fails at once with a transient error that names the wait */
  refused = folder_sync (client, &error);
  g_assert_null (refused);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_true (pigeon_error_is_transient (error));
  g_assert_nonnull (strstr (error->message, "3600"));
}

static void
provision_handler (Fake              *fake,
                   SoupServerMessage *msg,
                   const char        *command)
{
  if (g_strcmp0 (command, "Provision") == 0)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(PigeonEasNode) request = pigeon_eas_wbxml_decode ((const guint8 *) body->data,
                                                                  body->length, NULL);
      PigeonEasNode *policy = pigeon_eas_node_find_path (request,
                                                         "Provision:Policies/Provision:Policy");
      gboolean ack = pigeon_eas_node_find_text (policy, "Provision:PolicyKey") != NULL;
      PigeonEasNode *reply = pigeon_eas_node_new ("Provision:Provision");
      PigeonEasNode *answer;

      g_assert_cmpstr (pigeon_eas_node_find_text (policy, "Provision:PolicyType"), ==,
                       "MS-EAS-Provisioning-WBXML");
      pigeon_eas_node_add_text (reply, "Provision:Status", "1");
      answer = pigeon_eas_node_add (pigeon_eas_node_add (reply, "Provision:Policies"),
                                    "Provision:Policy");
      pigeon_eas_node_add_text (answer, "Provision:PolicyType", "MS-EAS-Provisioning-WBXML");
      pigeon_eas_node_add_text (answer, "Provision:Status", "1");
      pigeon_eas_node_add_text (answer, "Provision:PolicyKey", ack ? "4242" : "1111");
      reply_node (msg, reply);
      return;
    }
  if (g_strcmp0 (fake->last_policy_key, "4242") != 0)
    {
      soup_server_message_set_status (msg, 449, NULL);
      return;
    }
  reply_node (msg, folder_sync_reply ());
}

static void
test_provision_on_449 (void)
{
  g_autoptr(Fake) fake = fake_new (provision_handler);
  g_autoptr(PigeonEasClient) client = client_for (fake, "pass");
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = folder_sync (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpstr (pigeon_eas_client_get_policy_key (client), ==, "4242");
  /* FolderSync (449), Provision, Provision acknowledged, FolderSync again */
  g_assert_cmpuint (fake->calls, ==, 4);
}

static void
empty_handler (Fake              *fake,
               SoupServerMessage *msg,
               const char        *command)
{
  soup_server_message_set_status (msg, 200, NULL);
}

static void
test_empty_reply (void)
{
  g_autoptr(Fake) fake = fake_new (empty_handler);
  g_autoptr(PigeonEasClient) client = client_for (fake, "pass");
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* "nothing changed" and "sent" come as an empty 200 */
  reply = folder_sync (client, &error);
  g_assert_no_error (error);
  g_assert_null (reply);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/activesync/client/build-url", test_build_url);
  g_test_add_func ("/activesync/client/options", test_options);
  g_test_add_func ("/activesync/client/web-page", test_web_page);
  g_test_add_func ("/activesync/client/retry-after", test_retry_after);
  g_test_add_func ("/activesync/client/provision-on-449", test_provision_on_449);
  g_test_add_func ("/activesync/client/empty-reply", test_empty_reply);

  return g_test_run ();
}
