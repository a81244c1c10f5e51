/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pop3"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-pop3-session.h"
#include "pop3-fake-server.h"

#define GREETING "S: +OK POP3 ready"
#define CAPA_BASIC "C: CAPA", "S: +OK", "S: USER", "S: UIDL", "S: TOP", "S: RESP-CODES", "S: ."
#define CAPA_PIPELINING \
  "C: CAPA", "S: +OK", "S: USER", "S: UIDL", "S: TOP", "S: RESP-CODES", "S: PIPELINING", "S: ."
#define LOGIN_USER "C: USER alice", "S: +OK", "C: PASS secret", "S: +OK logged in"

static PigeonPop3Session *
session_for (Pop3FakeServer         *server,
             PigeonSecurity          security,
             const PigeonPop3Limits *limits)
{
  PigeonPop3Session *session;

  session = pigeon_pop3_session_new ("127.0.0.1", pop3_fake_server_get_port (server), security,
                                     NULL, limits);
  pigeon_pop3_session_set_timeout (session, 5);
  return session;
}

/* Connected and logged in as alice/secret with USER/PASS, over plain text. */
static PigeonPop3Session *
logged_in (Pop3FakeServer *server)
{
  PigeonPop3Session *session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_pop3_session_login (session, "USER", "alice", "secret", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  return session;
}

static void
quit (PigeonPop3Session *session)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_quit (session, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ login */

static void
test_login_user_pass (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER,
    /* Asked again after the login: this server offers more then. */
    "C: CAPA", "S: +OK", "S: USER", "S: UIDL", "S: TOP", "S: PIPELINING", "S: .",
    "C: QUIT", "S: +OK bye", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;
  const PigeonPop3Capabilities *caps;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_no_error (error);
  caps = pigeon_pop3_session_get_capabilities (session);
  g_assert_false (caps->flags & PIGEON_POP3_CAPA_PIPELINING);
  g_assert_false (pigeon_pop3_session_is_encrypted (session));

  /* NULL picks: no SASL, no APOP, plain text allowed: USER/PASS. */
  g_assert_true (pigeon_pop3_session_login (session, NULL, "alice", "secret", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, "USER");
  caps = pigeon_pop3_session_get_capabilities (session);
  g_assert_true (caps->flags & PIGEON_POP3_CAPA_PIPELINING);
  quit (session);
}

/* RFC 1939's example: a server from before CAPA, with an APOP timestamp. */
static void
test_login_apop (void)
{
  const char *script[] = {
    "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
    "C: CAPA", "S: -ERR unknown command",
    "C: APOP mrose c4c9334bac560ecc979e58001b3e22fb", "S: +OK maildrop has 1 message",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_no_error (error);
  /* In clear text, APOP rather than the password itself. */
  g_assert_true (pigeon_pop3_session_login (session, NULL, "mrose", "tanstaaf", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, "APOP");
  quit (session);
}

static void
test_login_sasl_plain (void)
{
  const char *script[] = {
    GREETING,
    "C: CAPA", "S: +OK", "S: SASL PLAIN LOGIN", "S: .",
    /* The initial response rides on the AUTH line (RFC 5034). */
    "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==", "S: +OK Logged in.",
    "C: CAPA", "S: +OK", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_true (pigeon_pop3_session_login (session, "PLAIN", "alice", "secret", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  quit (session);
}

/* An initial response too long for the AUTH line waits for the server's empty challenge. */
static void
test_login_sasl_plain_long (void)
{
  g_autofree char *password = g_strnfill (200, 'p');
  g_autofree char *plain = g_strdup_printf ("%calice%c%s", 0, 0, password);
  g_autofree char *encoded = g_base64_encode ((const guchar *) plain, 7 + 200);
  g_autofree char *answer = g_strconcat ("C: ", encoded, NULL);
  const char *script[] = {
    GREETING,
    "C: CAPA", "S: +OK", "S: SASL PLAIN", "S: .",
    "C: AUTH PLAIN", "S: + ", answer, "S: +OK Logged in.",
    "C: CAPA", "S: +OK", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_true (pigeon_pop3_session_login (session, "PLAIN", "alice", password, TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  quit (session);
}

static void
test_login_sasl_login (void)
{
  const char *script[] = {
    GREETING,
    "C: CAPA", "S: +OK", "S: SASL LOGIN", "S: .",
    "C: AUTH LOGIN", "S: + VXNlcm5hbWU6", "C: YWxpY2U=", "S: + UGFzc3dvcmQ6", "C: c2VjcmV0",
    "S: +OK Logged in.",
    "C: CAPA", "S: +OK", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  /* LOGIN sends the password itself: chosen in clear text only with the opt-in. */
  g_assert_true (pigeon_pop3_session_login (session, NULL, "alice", "secret", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, "LOGIN");
  quit (session);
}

/* RFC 2195's example exchange. */
static void
test_login_cram_md5 (void)
{
  const char *script[] = {
    GREETING,
    "C: CAPA", "S: +OK", "S: USER", "S: SASL PLAIN CRAM-MD5", "S: .",
    "C: AUTH CRAM-MD5", "S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
    "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "S: +OK",
    "C: CAPA", "S: +OK", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  /* No plain text allowed: CRAM-MD5 is the one that does not show the password. */
  g_assert_true (pigeon_pop3_session_login (session, NULL, "tim", "tanstaaftanstaaf", FALSE,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, "CRAM-MD5");
  quit (session);
}

static void
test_login_refuses_plaintext (void)
{
  const char *script[] = {
    GREETING, "C: CAPA", "S: +OK", "S: USER", "S: SASL PLAIN LOGIN", "S: .", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  /* Nothing would keep the password off an unencrypted wire: nothing is sent. */
  g_assert_false (pigeon_pop3_session_login (session, NULL, "alice", "secret", FALSE, NULL,
                                             &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "TLS"));
}

static void
test_login_scram_without_proof (void)
{
  const char *script[] = {
    GREETING, "C: CAPA", "S: +OK", "S: SASL SCRAM-SHA-256", "S: .",
    "C: AUTH SCRAM-SHA-256 *", "S: +OK welcome", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_false (pigeon_pop3_session_login (session, NULL, "alice", "secret", FALSE, NULL,
                                             &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
}

static void
test_login_line_break (void)
{
  const char *script[] = { GREETING, CAPA_BASIC, NULL };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  /* A password with CR LF would inject commands: refused before anything is sent. */
  g_assert_false (pigeon_pop3_session_login (session, "USER", "alice", "x\r\nDELE 1", TRUE,
                                             NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
}

/* ------------------------------------------------------------------ response codes */

typedef struct
{
  const char     *reply;
  PigeonErrorCode code;
  guint           retry_after;
  const char     *in_message;
} RefusalCase;

static const RefusalCase refusals[] = {
  { "S: -ERR [AUTH] Authentication failed.", PIGEON_ERROR_AUTH, 0, "alice" },
  { "S: -ERR wrong password", PIGEON_ERROR_AUTH, 0, "wrong password" },
  { "S: -ERR [IN-USE] Mailbox is locked by another POP3 session", PIGEON_ERROR_IN_USE, 60,
    "Another program" },
  { "S: -ERR [LOGIN-DELAY] Too soon", PIGEON_ERROR_SERVER, 900, "15 minutes" },
  { "S: -ERR [SYS/TEMP] Disk trouble", PIGEON_ERROR_SERVER, 300, "5 minutes" },
  { "S: -ERR [SYS/PERM] Account disabled", PIGEON_ERROR_SERVER, 0, "Account disabled" },
};

static void
test_refusal (gconstpointer data)
{
  const RefusalCase *rc = data;
  const char *script[] = {
    GREETING,
    "C: CAPA", "S: +OK", "S: USER", "S: RESP-CODES", "S: LOGIN-DELAY 900", "S: .",
    "C: USER alice", "S: +OK", "C: PASS secret", rc->reply, NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_false (pigeon_pop3_session_login (session, NULL, "alice", "secret", TRUE, NULL,
                                             &error));
  g_assert_error (error, PIGEON_ERROR, (gint) rc->code);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_nonnull (strstr (error->message, rc->in_message));
  g_assert_null (strstr (error->message, "secret"));
  g_assert_cmpuint (pigeon_pop3_session_get_retry_after (session), ==, rc->retry_after);
  if (strchr (rc->reply, '[') != NULL)
    g_assert_nonnull (strstr (rc->reply, pigeon_pop3_session_get_response_code (session)));
  else
    g_assert_null (pigeon_pop3_session_get_response_code (session));
}

static void
test_greeting_refused (void)
{
  const char *script[] = { "S: -ERR [SYS/TEMP] overloaded, come back later", NULL };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "overloaded"));
}

static void
test_stls_not_offered (void)
{
  const char *script[] = { GREETING, CAPA_BASIC, NULL };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_STARTTLS, NULL);
  g_autoptr(GError) error = NULL;

  /* No STLS in CAPA: nothing more is sent, above all no password. */
  g_assert_false (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "STLS"));
}

static void
test_stls_refused (void)
{
  const char *script[] = {
    GREETING, "C: CAPA", "S: -ERR what?", "C: STLS", "S: -ERR not here", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_STARTTLS, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
}

/* ------------------------------------------------------------------ listing */

static void
assert_entry (GPtrArray  *entries,
              guint       index,
              guint       number,
              guint64     size,
              const char *uidl)
{
  PigeonPop3Entry *entry = g_ptr_array_index (entries, index);

  g_assert_cmpuint (entry->number, ==, number);
  g_assert_cmpuint (entry->size, ==, size);
  g_assert_cmpstr (entry->uidl, ==, uidl);
}

static void
test_list_pipelined (void)
{
  const char *script[] = {
    GREETING, CAPA_PIPELINING, LOGIN_USER, CAPA_PIPELINING,
    /* Both commands arrive before either reply. */
    "C: LIST", "C: UIDL",
    "S: +OK 3 messages", "S: 1 120", "S: 2 4000", "S: 3 77", "S: .",
    "S: +OK", "S: 3 ccc", "S: 1 aaa", "S: 2 bbb", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_uidl = FALSE;

  entries = pigeon_pop3_session_list (session, &has_uidl, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_uidl);
  g_assert_cmpuint (entries->len, ==, 3);
  assert_entry (entries, 0, 1, 120, "aaa");
  assert_entry (entries, 1, 2, 4000, "bbb");
  assert_entry (entries, 2, 3, 77, "ccc");
  quit (session);
}

static void
test_list_one_at_a_time (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    /* Without PIPELINING, UIDL waits for the reply to LIST. */
    "C: LIST", "Q:", "S: +OK", "S: 1 10", "S: .",
    "C: UIDL", "S: +OK", "S: 1 x", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_uidl = FALSE;

  entries = pigeon_pop3_session_list (session, &has_uidl, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_uidl);
  assert_entry (entries, 0, 1, 10, "x");
  quit (session);
}

static void
test_list_without_uidl (void)
{
  const char *script[] = {
    GREETING, "C: CAPA", "S: -ERR", LOGIN_USER,
    "C: LIST", "S: +OK", "S: 1 10", "S: 2 20", "S: .",
    "C: UIDL", "S: -ERR unknown command",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_uidl = TRUE;

  entries = pigeon_pop3_session_list (session, &has_uidl, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (has_uidl);
  assert_entry (entries, 0, 1, 10, NULL);
  assert_entry (entries, 1, 2, 20, NULL);
  quit (session);
}

static void
test_list_uidl_incomplete (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: LIST", "S: +OK", "S: 1 10", "S: 2 20", "S: .",
    "C: UIDL", "S: +OK", "S: 1 x", "S: .", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  entries = pigeon_pop3_session_list (session, NULL, NULL, &error);
  g_assert_null (entries);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_list_malformed (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: LIST", "S: +OK", "S: 1 10", "S: one hundred", "S: .", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  entries = pigeon_pop3_session_list (session, NULL, NULL, &error);
  g_assert_null (entries);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  /* The session is closed after a protocol error. */
  g_clear_error (&error);
  g_assert_false (pigeon_pop3_session_noop (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
}

/* ------------------------------------------------------------------ retrieving */

typedef struct
{
  GPtrArray *messages;  /* GBytes */
  GArray *numbers;
} Retrieved;

static gboolean
collect_message_cb (PigeonPop3Session *session,
                    guint              number,
                    GBytes            *raw,
                    const GError      *refusal,
                    gpointer           user_data,
                    GError           **error)
{
  Retrieved *r = user_data;

  g_assert_true ((raw == NULL) == (refusal != NULL));
  /* A refused message is recorded as an empty one with its number. */
  g_ptr_array_add (r->messages, raw != NULL ? g_bytes_ref (raw) : g_bytes_new (NULL, 0));
  g_array_append_val (r->numbers, number);
  return TRUE;
}

static void
retrieved_init (Retrieved *r)
{
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->numbers = g_array_new (FALSE, FALSE, sizeof (guint));
}

static void
retrieved_clear (Retrieved *r)
{
  g_ptr_array_unref (r->messages);
  g_array_unref (r->numbers);
}

static void
assert_message (Retrieved  *r,
                guint       index,
                guint       number,
                const char *text)
{
  GBytes *raw = g_ptr_array_index (r->messages, index);
  gsize size;
  const char *data = g_bytes_get_data (raw, &size);

  g_assert_cmpuint (g_array_index (r->numbers, guint, index), ==, number);
  g_assert_cmpmem (data, size, text, strlen (text));
}

static void
test_retrieve_pipelined (void)
{
  const char *script[] = {
    GREETING, CAPA_PIPELINING, LOGIN_USER, CAPA_PIPELINING,
    "C: RETR 3", "C: RETR 1",
    "S: +OK 30 octets", "S: Subject: three", "S: ", "S: ..", "S: ...dots", "S: end", "S: .",
    "S: +OK", "S: Subject: one", "S: ", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 3, 1 };
  Retrieved r;

  retrieved_init (&r);
  g_assert_true (pigeon_pop3_session_retrieve (session, numbers, 2, collect_message_cb, &r,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.messages->len, ==, 2);
  assert_message (&r, 0, 3, "Subject: three\r\n\r\n.\r\n..dots\r\nend\r\n");
  assert_message (&r, 1, 1, "Subject: one\r\n\r\n");
  retrieved_clear (&r);
  quit (session);
}

static void
test_retrieve_one_at_a_time (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: RETR 1", "Q:", "S: +OK", "S: a", "S: .",
    "C: RETR 2", "Q:", "S: +OK", "S: b", "S: .",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 1, 2 };
  Retrieved r;

  retrieved_init (&r);
  g_assert_true (pigeon_pop3_session_retrieve (session, numbers, 2, collect_message_cb, &r,
                                               NULL, &error));
  g_assert_no_error (error);
  assert_message (&r, 0, 1, "a\r\n");
  assert_message (&r, 1, 2, "b\r\n");
  retrieved_clear (&r);
  quit (session);
}

static void
test_retrieve_missing_final_dot (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: RETR 1", "S: +OK", "S: Subject: cut", "S: ", "S: half a message", "X:", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 1 };
  Retrieved r;

  retrieved_init (&r);
  g_assert_false (pigeon_pop3_session_retrieve (session, numbers, 1, collect_message_cb, &r,
                                                NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
  g_assert_nonnull (strstr (error->message, "middle"));
  /* Half a message is no message. */
  g_assert_cmpuint (r.messages->len, ==, 0);
  retrieved_clear (&r);
}

static gboolean
refused_cb (PigeonPop3Session *session,
            guint              number,
            GBytes            *raw,
            const GError      *refusal,
            gpointer           user_data,
            GError           **error)
{
  if (raw == NULL)
    {
      g_assert_error (refusal, PIGEON_ERROR, PIGEON_ERROR_SERVER);
      g_assert_nonnull (strstr (refusal->message, "cannot read this one"));
    }
  return collect_message_cb (session, number, raw, refusal, user_data, error);
}

/* One message the server will not send does not keep the others from coming. */
static void
test_retrieve_refused (void)
{
  const char *script[] = {
    GREETING, CAPA_PIPELINING, LOGIN_USER, CAPA_PIPELINING,
    "C: RETR 9", "C: RETR 8", "S: -ERR [SYS/PERM] cannot read this one", "S: +OK", "S: b",
    "S: .", "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 9, 8 };
  Retrieved r;

  retrieved_init (&r);
  g_assert_true (pigeon_pop3_session_retrieve (session, numbers, 2, refused_cb, &r, NULL,
                                               &error));
  g_assert_no_error (error);
  assert_message (&r, 0, 9, "");
  assert_message (&r, 1, 8, "b\r\n");
  retrieved_clear (&r);
  quit (session);
}

static void
test_retrieve_long_line (void)
{
  g_autofree char *long_line = g_strnfill (5000, 'a');
  g_autofree char *long_server_line = g_strconcat ("S: ", long_line, NULL);
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: RETR 1", "S: +OK", "S: Subject: x", long_server_line, "S: .", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  PigeonPop3Limits limits;
  const guint numbers[] = { 1 };
  Retrieved r;

  pigeon_pop3_limits_init_default (&limits);
  limits.max_data_line = 1000;
  session = session_for (server, PIGEON_SECURITY_NONE, &limits);
  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_true (pigeon_pop3_session_login (session, "USER", "alice", "secret", TRUE, NULL,
                                            &error));
  g_assert_no_error (error);

  retrieved_init (&r);
  g_assert_false (pigeon_pop3_session_retrieve (session, numbers, 1, collect_message_cb, &r,
                                                NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_cmpuint (r.messages->len, ==, 0);
  retrieved_clear (&r);
}

static void
test_status_line_too_long (void)
{
  g_autofree char *long_text = g_strnfill (8000, 'b');
  g_autofree char *long_reply = g_strconcat ("S: +OK ", long_text, NULL);
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC, "C: NOOP", long_reply, NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_pop3_session_noop (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_malformed_reply (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC, "C: NOOP", "S: * OK IMAP here", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_pop3_session_noop (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "* OK IMAP here"));
}

/* Bytes after the greeting that nobody asked for. */
static void
test_unsolicited_reply (void)
{
  const char *script[] = { GREETING, "S: +OK surprise", "C: CAPA", NULL };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = session_for (server, PIGEON_SECURITY_NONE, NULL);
  g_autoptr(GError) error = NULL;

  /* "+OK surprise" is taken as the reply to CAPA, whose data then never ends properly:
   * the connection closes when the script ends, in the middle of a reply. */
  g_assert_false (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
}

static void
test_top (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: TOP 2 0", "S: +OK", "S: Message-ID: <a@b>", "S: Subject: hi", "S: ", "S: .",
    "C: TOP 3 0", "S: -ERR no such message",
    "C: QUIT", "S: +OK", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GBytes) header = NULL;
  g_autoptr(GBytes) missing = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected = "Message-ID: <a@b>\r\nSubject: hi\r\n\r\n";

  header = pigeon_pop3_session_top (session, 2, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (header, NULL), g_bytes_get_size (header), expected,
                   strlen (expected));
  missing = pigeon_pop3_session_top (session, 3, 0, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  /* A refused TOP leaves the session usable. */
  quit (session);
}

/* ------------------------------------------------------------------ deleting */

static void
test_delete_pipelined (void)
{
  const char *script[] = {
    GREETING, CAPA_PIPELINING, LOGIN_USER, CAPA_PIPELINING,
    "C: DELE 1", "C: DELE 2", "C: DELE 3",
    "S: +OK", "S: -ERR message 2 already deleted", "S: +OK",
    "C: QUIT", "S: +OK 2 messages deleted", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 1, 2, 3 };
  gboolean deleted[3] = { FALSE, TRUE, FALSE };

  g_assert_true (pigeon_pop3_session_delete (session, numbers, 3, deleted, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (deleted[0]);
  g_assert_false (deleted[1]);
  g_assert_true (deleted[2]);
  quit (session);
}

static void
test_quit_refused (void)
{
  const char *script[] = {
    GREETING, CAPA_BASIC, LOGIN_USER, CAPA_BASIC,
    "C: DELE 1", "Q:", "S: +OK",
    "C: QUIT", "S: -ERR [SYS/TEMP] some deleted messages not removed", NULL
  };
  g_autoptr(Pop3FakeServer) server = pop3_fake_server_new (script);
  g_autoptr(PigeonPop3Session) session = logged_in (server);
  g_autoptr(GError) error = NULL;
  const guint numbers[] = { 1 };
  gboolean deleted[1];

  g_assert_true (pigeon_pop3_session_delete (session, numbers, 1, deleted, NULL, &error));
  g_assert_true (deleted[0]);
  /* The deletions are not confirmed: the caller must not record them. */
  g_assert_false (pigeon_pop3_session_quit (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/session/login/user-pass", test_login_user_pass);
  g_test_add_func ("/pop3/session/login/apop", test_login_apop);
  g_test_add_func ("/pop3/session/login/sasl-plain", test_login_sasl_plain);
  g_test_add_func ("/pop3/session/login/sasl-plain-long", test_login_sasl_plain_long);
  g_test_add_func ("/pop3/session/login/sasl-login", test_login_sasl_login);
  g_test_add_func ("/pop3/session/login/cram-md5", test_login_cram_md5);
  g_test_add_func ("/pop3/session/login/refuses-plaintext", test_login_refuses_plaintext);
  g_test_add_func ("/pop3/session/login/scram-without-proof", test_login_scram_without_proof);
  g_test_add_func ("/pop3/session/login/line-break", test_login_line_break);
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3/session/refusal/%u", i);

      g_test_add_data_func (path, &refusals[i], test_refusal);
    }
  g_test_add_func ("/pop3/session/greeting-refused", test_greeting_refused);
  g_test_add_func ("/pop3/session/stls-not-offered", test_stls_not_offered);
  g_test_add_func ("/pop3/session/stls-refused", test_stls_refused);
  g_test_add_func ("/pop3/session/list/pipelined", test_list_pipelined);
  g_test_add_func ("/pop3/session/list/one-at-a-time", test_list_one_at_a_time);
  g_test_add_func ("/pop3/session/list/without-uidl", test_list_without_uidl);
  g_test_add_func ("/pop3/session/list/uidl-incomplete", test_list_uidl_incomplete);
  g_test_add_func ("/pop3/session/list/malformed", test_list_malformed);
  g_test_add_func ("/pop3/session/retrieve/pipelined-dot-stuffing", test_retrieve_pipelined);
  g_test_add_func ("/pop3/session/retrieve/one-at-a-time", test_retrieve_one_at_a_time);
  g_test_add_func ("/pop3/session/retrieve/missing-final-dot", test_retrieve_missing_final_dot);
  g_test_add_func ("/pop3/session/retrieve/refused", test_retrieve_refused);
  g_test_add_func ("/pop3/session/retrieve/long-line", test_retrieve_long_line);
  g_test_add_func ("/pop3/session/status-line-too-long", test_status_line_too_long);
  g_test_add_func ("/pop3/session/malformed-reply", test_malformed_reply);
  g_test_add_func ("/pop3/session/unsolicited-reply", test_unsolicited_reply);
  g_test_add_func ("/pop3/session/top", test_top);
  g_test_add_func ("/pop3/session/delete/pipelined", test_delete_pipelined);
  g_test_add_func ("/pop3/session/quit-refused", test_quit_refused);

  return g_test_run ();
}
