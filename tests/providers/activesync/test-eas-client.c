/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP side of ActiveSync against a scripted server: what SOGo never does (449, 451,
 * 503 with Retry-After, a web page instead of ActiveSync) must still end well. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-eas-client.h"
#include "pigeon-eas-wbxml.h"
#include "pigeon-error.h"
#include "pigeon-store-list.h"

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
  GPtrArray    *commands;       /* Cmd= of each request */
  GPtrArray    *requests;       /* PigeonEasNode* of each (NULL: no body) */
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
  if (query != NULL && g_hash_table_lookup (query, "Cmd") != NULL)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);

      g_ptr_array_add (fake->commands, g_strdup (g_hash_table_lookup (query, "Cmd")));
      g_ptr_array_add (fake->requests,
                       body->length > 0 ? pigeon_eas_wbxml_decode ((const guint8 *) body->data,
                                                                   body->length, NULL)
                                        : NULL);
    }
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
  fake->commands = g_ptr_array_new_with_free_func (g_free);
  fake->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_eas_node_free);
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
  g_ptr_array_unref (fake->commands);
  g_ptr_array_unref (fake->requests);
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

/* ------------------------------------------------------------------ the provider */

/* OPTIONS, then what the test's reply function says for each command. */
typedef PigeonEasNode *(*FakeReplyFunc) (const char *command, PigeonEasNode *request);
static FakeReplyFunc fake_reply;

static void
provider_handler (Fake              *fake,
                  SoupServerMessage *msg,
                  const char        *command)
{
  PigeonEasNode *reply;

  if (g_strcmp0 (soup_server_message_get_method (msg), "OPTIONS") == 0)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      soup_message_headers_replace (headers, "MS-ASProtocolVersions", "12.1,14.0,14.1");
      soup_message_headers_replace (headers, "MS-ASProtocolCommands",
                                    "Sync,FolderSync,ItemOperations,Search,SendMail,"
                                    "SmartReply,SmartForward");
      soup_server_message_set_status (msg, 200, NULL);
      return;
    }
  g_mutex_lock (&fake->lock);
  reply = fake_reply (command, fake->requests->len > 0
                                 ? g_ptr_array_index (fake->requests, fake->requests->len - 1)
                                 : NULL);
  g_mutex_unlock (&fake->lock);
  if (reply == NULL)
    soup_server_message_set_status (msg, 200, NULL);
  else
    reply_node (msg, reply);
}

typedef struct
{
  Fake           *fake;
  char           *dir;
  PigeonAccount  *account;
  PigeonStore    *store;
  PigeonProvider *provider;
  gint64          inbox;
  gint64          archive;
  gint64          known;     /* a message of the inbox the store has (ServerId 7) */
} ProviderFixture;

static gint64
add_folder (PigeonStore      *store,
            const char       *path,
            const char       *remote_id,
            PigeonFolderRole  role)
{
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  g_autoptr(GError) error = NULL;
  gint64 id;

  folder->path = g_strdup (path);
  folder->remote_id = g_strdup (remote_id);
  folder->role = role;
  id = pigeon_store_upsert_folder (store, folder, &error);
  g_assert_no_error (error);
  return id;
}

static void
provider_setup (ProviderFixture *f,
                FakeReplyFunc    reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                  pigeon_message_free);
  PigeonMessage *known = pigeon_message_new ();

  fake_reply = reply;
  f->fake = fake_new (provider_handler);
  f->dir = g_dir_make_tmp ("pigeon-eas-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->inbox = add_folder (f->store, "INBOX", "mail%2FINBOX", PIGEON_FOLDER_ROLE_INBOX);
  f->archive = add_folder (f->store, "Archive", "mail%2FArchive", PIGEON_FOLDER_ROLE_ARCHIVE);

  known->remote_id = g_strdup ("7");
  known->subject = g_strdup ("already here");
  known->message_id = g_strdup ("orig@example.test");
  known->date = 1700000000;
  g_ptr_array_add (messages, known);
  pigeon_store_upsert_messages (f->store, f->inbox, messages, &error);
  g_assert_no_error (error);
  f->known = known->id;

  f->account = pigeon_account_new ("eas-test");
  g_object_set (f->account, "name", "t", "email", "user@example.test", "protocol", "activesync",
                "host", f->fake->url, "user", "user", "security", PIGEON_SECURITY_NONE, NULL);
  f->provider = g_object_new (PIGEON_TYPE_ACTIVESYNC_PROVIDER, "account", f->account,
                              "store", f->store, NULL);
  pigeon_provider_set_password (f->provider, "pass");
  pigeon_provider_connect (f->provider, NULL, &error);
  g_assert_no_error (error);
}

static void
provider_teardown (ProviderFixture *f)
{
  g_autofree char *db = g_build_filename (f->dir, "store.db", NULL);

  pigeon_provider_disconnect (f->provider);
  g_clear_object (&f->provider);
  pigeon_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->account);
  g_clear_pointer (&f->fake, fake_free);
  g_unlink (db);
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* The last request with command COMMAND. */
static PigeonEasNode *
last_request (Fake       *fake,
              const char *command)
{
  PigeonEasNode *found = NULL;

  for (guint i = 0; i < fake->commands->len; i++)
    if (g_strcmp0 (g_ptr_array_index (fake->commands, i), command) == 0)
      found = g_ptr_array_index (fake->requests, i);
  return found;
}

static PigeonEasNode *
search_result (PigeonEasNode *store,
               const char    *long_id,
               const char    *collection_id,
               const char    *subject,
               const char    *date)
{
  PigeonEasNode *result = pigeon_eas_node_add (store, "Search:Result");
  PigeonEasNode *properties;

  if (long_id != NULL)
    pigeon_eas_node_add_text (result, "Search:LongId", long_id);
  if (collection_id != NULL)
    pigeon_eas_node_add_text (result, "AirSync:CollectionId", collection_id);
  if (subject == NULL)
    return result;
  properties = pigeon_eas_node_add (result, "Search:Properties");
  pigeon_eas_node_add_text (properties, "Email:From", "Ann <ann@example.test>");
  pigeon_eas_node_add_text (properties, "Email:Subject", subject);
  pigeon_eas_node_add_text (properties, "Email:DateReceived", date);
  pigeon_eas_node_add_text (properties, "Email:Read", "1");
  return result;
}

#define EXCHANGE_LONG_ID \
  "RgAAAAAbhH1XyNGJQ5v1v0N2v3v3BwCmVdG9qK0sR5cNwhR8o2eTAAAAAAEMAACmVdG9qK0sR5cNwhR8o2eTAAAAAB9BAAAJ"

static PigeonEasNode *
search_reply (const char    *command,
              PigeonEasNode *request)
{
  PigeonEasNode *reply, *store, *and;

  if (g_strcmp0 (command, "ItemOperations") == 0)
    {
      PigeonEasNode *fetch, *body;
      static const char mime[] = "From: ann@example.test\r\nSubject: old report\r\n"
                                 "Message-ID: <old@example.test>\r\n\r\nthe report\r\n";

      reply = pigeon_eas_node_new ("ItemOperations:ItemOperations");
      pigeon_eas_node_add_text (reply, "ItemOperations:Status", "1");
      fetch = pigeon_eas_node_add (pigeon_eas_node_add (reply, "ItemOperations:Response"),
                                   "ItemOperations:Fetch");
      pigeon_eas_node_add_text (fetch, "ItemOperations:Status", "1");
      body = pigeon_eas_node_add (pigeon_eas_node_add (fetch, "ItemOperations:Properties"),
                                  "AirSyncBase:Body");
      pigeon_eas_node_add_text (body, "AirSyncBase:Type", "4");
      pigeon_eas_node_add_text (body, "AirSyncBase:Data", mime);
      return reply;
    }
  g_assert_cmpstr (command, ==, "Search");
  reply = pigeon_eas_node_new ("Search:Search");
  and = pigeon_eas_node_find_path (request, "Search:Store/Search:Query/Search:And");
  if (g_strcmp0 (pigeon_eas_node_find_text (and, "Search:FreeText"), "busy") == 0)
    {
      pigeon_eas_node_add_text (reply, "Search:Status", "1");
      store = pigeon_eas_node_add (pigeon_eas_node_add (reply, "Search:Response"), "Search:Store");
      pigeon_eas_node_add_text (store, "Search:Status", "10");
      return reply;
    }
  pigeon_eas_node_add_text (reply, "Search:Status", "1");
  store = pigeon_eas_node_add (pigeon_eas_node_add (reply, "Search:Response"), "Search:Store");
  pigeon_eas_node_add_text (store, "Search:Status", "1");
  /* known already: the store's row, not a second one */
  search_result (store, "mail%2FINBOX+7", "mail%2FINBOX", "already here",
                 "2023-11-14T22:13:20.000Z");
  /* not synced yet, the collection unescaped as SOGo sends it searching everywhere */
  search_result (store, "mail/INBOX+12", "mail/INBOX", "found on the server",
                 "2024-03-01T10:00:00.000Z");
  /* an opaque LongId (Exchange's kind) */
  search_result (store, EXCHANGE_LONG_ID, "mail%2FArchive", "old report",
                 "2020-05-05T08:00:00.000Z");
  /* a collection this account does not keep, and an empty Result */
  search_result (store, "contacts+1", "contacts", "not mail we keep", "2024-01-01T00:00:00.000Z");
  search_result (store, NULL, NULL, NULL, NULL);
  pigeon_eas_node_add_text (store, "Search:Range", "0-4");
  pigeon_eas_node_add_text (store, "Search:Total", "5");
  return reply;
}

static void
test_search (void)
{
  ProviderFixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) again = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) in_inbox = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(PigeonMessage) found = NULL, old = NULL;
  g_autoptr(GBytes) body = NULL;
  PigeonEasNode *request, *and;

  provider_setup (&f, search_reply);
  g_assert_true (pigeon_provider_get_caps (f.provider) & PIGEON_PROVIDER_CAP_SERVER_SEARCH);

  pigeon_provider_search (f.provider, "  report ", 0, ids, NULL, &error);
  g_assert_no_error (error);
  request = last_request (f.fake, "Search");
  g_assert_nonnull (request);
  g_assert_cmpstr (pigeon_eas_node_find_text (pigeon_eas_node_find (request, "Search:Store"),
                                              "Search:Name"), ==, "Mailbox");
  and = pigeon_eas_node_find_path (request, "Search:Store/Search:Query/Search:And");
  g_assert_cmpstr (pigeon_eas_node_find_text (and, "Search:FreeText"), ==, "report");
  /* every folder: no collection named */
  g_assert_null (pigeon_eas_node_find_text (and, "AirSync:CollectionId"));

  /* three hits, newest first; two of them new rows of their folders */
  g_assert_cmpuint (ids->len, ==, 3);
  found = pigeon_store_get_message (f.store, g_array_index (ids, gint64, 0), &error);
  g_assert_cmpstr (found->subject, ==, "found on the server");
  g_assert_cmpint (found->folder_id, ==, f.inbox);
  /* the ServerId a Sync uses, so the next sync finds this row */
  g_assert_cmpstr (found->remote_id, ==, "12");
  g_assert_cmpint (g_array_index (ids, gint64, 1), ==, f.known);
  old = pigeon_store_get_message (f.store, g_array_index (ids, gint64, 2), &error);
  g_assert_cmpstr (old->subject, ==, "old report");
  g_assert_cmpint (old->folder_id, ==, f.archive);
  g_assert_cmpstr (old->remote_id, ==, EXCHANGE_LONG_ID);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, f.inbox, NULL), ==, 2);

  /* the same search again finds the same rows and makes no new ones */
  pigeon_provider_search (f.provider, "report", 0, again, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (again->data, again->len * sizeof (gint64), ids->data,
                   ids->len * sizeof (gint64));
  g_assert_cmpuint (pigeon_store_count_messages (f.store, f.inbox, NULL), ==, 2);
  g_assert_cmpuint (pigeon_store_count_messages (f.store, f.archive, NULL), ==, 1);

  /* one folder: its collection is named */
  pigeon_provider_search (f.provider, "report", f.inbox, in_inbox, NULL, &error);
  g_assert_no_error (error);
  and = pigeon_eas_node_find_path (last_request (f.fake, "Search"),
                                   "Search:Store/Search:Query/Search:And");
  g_assert_cmpstr (pigeon_eas_node_find_text (and, "AirSync:CollectionId"), ==, "mail%2FINBOX");

  /* a row known by its LongId is fetched by it */
  pigeon_provider_fetch_body (f.provider, old->id, NULL, &error);
  g_assert_no_error (error);
  request = pigeon_eas_node_find (last_request (f.fake, "ItemOperations"), "ItemOperations:Fetch");
  g_assert_cmpstr (pigeon_eas_node_find_text (request, "Search:LongId"), ==, EXCHANGE_LONG_ID);
  g_assert_null (pigeon_eas_node_find_text (request, "AirSync:ServerId"));
  body = pigeon_store_get_body (f.store, old->id, &error);
  g_assert_nonnull (body);

  provider_teardown (&f);
}

static void
test_search_failure (void)
{
  ProviderFixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  provider_setup (&f, search_reply);
  /* the store's status 10 (timed out): worth trying again, and said so */
  g_assert_false (pigeon_provider_search (f.provider, "busy", 0, ids, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_true (pigeon_error_is_transient (error));
  g_assert_cmpuint (ids->len, ==, 0);
  provider_teardown (&f);
}

static void
test_search_item_id (void)
{
  static const struct { const char *collection, *long_id, *server_id, *out; } cases[] = {
    { "mail%2FINBOX", "mail%2FINBOX+12", NULL, "12" },
    { "mail/INBOX", "mail/INBOX+12", NULL, "12" },
    { "mail%2FINBOX", "mail/INBOX+12", NULL, "12" },
    { "5", "5:33", NULL, "33" },
    { "5", "5:33", "5:34", "5:34" },
    { "5", "RgAAAA", NULL, "RgAAAA" },
    { "5", "5+", NULL, "5+" },
    { NULL, "opaque", NULL, "opaque" },
    { "5", NULL, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = pigeon_activesync_search_item_id (cases[i].collection,
                                                              cases[i].long_id,
                                                              cases[i].server_id);

      g_assert_cmpstr (id, ==, cases[i].out);
    }
}

static PigeonEasNode *
send_reply (const char    *command,
            PigeonEasNode *request)
{
  /* success is an empty answer */
  return NULL;
}

static void
send_raw (ProviderFixture *f,
          const char      *headers)
{
  g_autofree char *text = g_strdup_printf ("From: user@example.test\r\nTo: bob@example.test\r\n"
                                           "Subject: Fwd: already here\r\n%s\r\nhello\r\n",
                                           headers);
  g_autoptr(GBytes) raw = g_bytes_new (text, strlen (text));
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  const char *recipients[] = { "bob@example.test", NULL };
  g_autoptr(GError) error = NULL;

  pigeon_provider_send (f->provider, raw, "user@example.test", recipients, rejected, NULL,
                        &error);
  g_assert_no_error (error);
}

static void
test_smart_forward (void)
{
  ProviderFixture f = { 0 };
  PigeonEasNode *request, *source;

  provider_setup (&f, send_reply);

  /* a forward: References ending with a stored message, no In-Reply-To */
  send_raw (&f, "References: <root@example.test> <orig@example.test>\r\n");
  g_assert_cmpstr (g_ptr_array_index (f.fake->commands, f.fake->commands->len - 1), ==,
                   "SmartForward");
  request = last_request (f.fake, "SmartForward");
  g_assert_true (pigeon_eas_node_is (request, "ComposeMail:SmartForward"));
  source = pigeon_eas_node_find (request, "ComposeMail:Source");
  g_assert_cmpstr (pigeon_eas_node_find_text (source, "ComposeMail:FolderId"), ==,
                   "mail%2FINBOX");
  g_assert_cmpstr (pigeon_eas_node_find_text (source, "ComposeMail:ItemId"), ==, "7");
  g_assert_nonnull (pigeon_eas_node_find (request, "ComposeMail:SaveInSentItems"));
  /* what the composer made is what goes out: the server adds no second original */
  g_assert_nonnull (pigeon_eas_node_find (request, "ComposeMail:ReplaceMime"));
  g_assert_nonnull (strstr (pigeon_eas_node_find_text (request, "ComposeMail:Mime"), "hello"));

  /* a reply: In-Reply-To */
  send_raw (&f, "In-Reply-To: <orig@example.test>\r\nReferences: <orig@example.test>\r\n");
  g_assert_cmpstr (g_ptr_array_index (f.fake->commands, f.fake->commands->len - 1), ==,
                   "SmartReply");

  /* neither (the last reference is not stored, or there is none): a new message */
  send_raw (&f, "References: <orig@example.test> <elsewhere@example.test>\r\n");
  g_assert_cmpstr (g_ptr_array_index (f.fake->commands, f.fake->commands->len - 1), ==,
                   "SendMail");
  send_raw (&f, "");
  g_assert_cmpstr (g_ptr_array_index (f.fake->commands, f.fake->commands->len - 1), ==,
                   "SendMail");
  provider_teardown (&f);
}

/* A calendar item as 14.1 and as 16.x servers write it: the same event comes out. */
static void
test_parse_event_versions (void)
{
  for (guint v = 0; v < 2; v++)
    {
      gboolean sixteen = v == 1;
      g_autoptr(PigeonEasNode) data = pigeon_eas_node_new ("AirSync:ApplicationData");
      g_autoptr(PigeonEvent) event = NULL;
      PigeonEasNode *rule, *exceptions, *deleted, *moved;
      PigeonEventException *ex;

      pigeon_eas_node_add_text (data, "Calendar:Subject", "Weekly sync");
      pigeon_eas_node_add_text (data, "Calendar:StartTime", "20250106T090000Z");
      pigeon_eas_node_add_text (data, "Calendar:EndTime", "20250106T100000Z");
      if (sixteen)
        pigeon_eas_node_add_text (pigeon_eas_node_add (data, "AirSyncBase:Location"),
                                  "AirSyncBase:DisplayName", "Room 3");
      else
        pigeon_eas_node_add_text (data, "Calendar:Location", "Room 3");
      rule = pigeon_eas_node_add (data, "Calendar:Recurrence");
      pigeon_eas_node_add_text (rule, "Calendar:Type", "1");
      pigeon_eas_node_add_text (rule, "Calendar:Interval", "1");
      pigeon_eas_node_add_text (rule, "Calendar:DayOfWeek", "2");
      exceptions = pigeon_eas_node_add (data, "Calendar:Exceptions");
      deleted = pigeon_eas_node_add (exceptions, "Calendar:Exception");
      moved = pigeon_eas_node_add (exceptions, "Calendar:Exception");
      pigeon_eas_node_add_text (deleted, sixteen ? "AirSyncBase:InstanceId"
                                                 : "Calendar:ExceptionStartTime",
                                "20250113T090000Z");
      pigeon_eas_node_add_text (deleted, "Calendar:Deleted", "1");
      pigeon_eas_node_add_text (moved, sixteen ? "AirSyncBase:InstanceId"
                                               : "Calendar:ExceptionStartTime",
                                "20250120T090000Z");
      pigeon_eas_node_add_text (moved, "Calendar:StartTime", "20250121T090000Z");
      if (sixteen)
        pigeon_eas_node_add_text (pigeon_eas_node_add (moved, "AirSyncBase:Location"),
                                  "AirSyncBase:DisplayName", "Room 5");
      else
        pigeon_eas_node_add_text (moved, "Calendar:Location", "Room 5");

      event = pigeon_activesync_parse_event (data);
      g_assert_cmpstr (event->subject, ==, "Weekly sync");
      g_assert_cmpstr (event->location, ==, "Room 3");
      g_assert_nonnull (event->recurrence);
      g_assert_cmpint (event->recurrence->type, ==, PIGEON_RECURRENCE_WEEKLY);
      g_assert_nonnull (event->exceptions);
      g_assert_cmpuint (event->exceptions->len, ==, 2);
      ex = &g_array_index (event->exceptions, PigeonEventException, 0);
      g_assert_cmpint (ex->original_start, ==, 1736758800);
      g_assert_true (ex->deleted);
      ex = &g_array_index (event->exceptions, PigeonEventException, 1);
      g_assert_cmpint (ex->original_start, ==, 1737363600);
      g_assert_false (ex->deleted);
      g_assert_cmpint (ex->starts_at, ==, 1737450000);
      g_assert_cmpstr (ex->location, ==, "Room 5");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_activesync_provider_register ();

  g_test_add_func ("/activesync/client/build-url", test_build_url);
  g_test_add_func ("/activesync/client/options", test_options);
  g_test_add_func ("/activesync/client/web-page", test_web_page);
  g_test_add_func ("/activesync/client/retry-after", test_retry_after);
  g_test_add_func ("/activesync/client/provision-on-449", test_provision_on_449);
  g_test_add_func ("/activesync/client/empty-reply", test_empty_reply);
  g_test_add_func ("/activesync/provider/search", test_search);
  g_test_add_func ("/activesync/provider/search-failure", test_search_failure);
  g_test_add_func ("/activesync/provider/search-item-id", test_search_item_id);
  g_test_add_func ("/activesync/provider/smart-forward", test_smart_forward);
  g_test_add_func ("/activesync/provider/parse-event-versions", test_parse_event_versions);

  return g_test_run ();
}
