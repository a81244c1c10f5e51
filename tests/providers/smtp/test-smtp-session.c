/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMTP session against a scripted server: what a real server will not do on demand
 * (no EHLO, no STARTTLS, refusals, odd and hostile replies, a small SIZE). */
#define G_LOG_DOMAIN "test-smtp"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-smtp-session.h"
#include "smtp-fake-server.h"

#define GREETING "S: 220 mail.example.test ESMTP ready"
#define HELO_LINE "C: EHLO [127.0.0.1]"
#define PLAIN_AUTH "C: AUTH PLAIN AHVzZXIAcGFzcw=="   /* "\0user\0pass" */

static PigeonSmtpSession *
session_for (SmtpFakeServer *server,
             PigeonSecurity  security)
{
  g_autofree char *pin = smtp_fake_server_dup_fingerprint ();
  g_autoptr(PigeonConnection) connection =
    pigeon_connection_new ("127.0.0.1", smtp_fake_server_get_port (server), security,
                           security == PIGEON_SECURITY_NONE ? NULL : pin, "smtp");
  PigeonSmtpSession *session = pigeon_smtp_session_new (connection);

  pigeon_smtp_session_set_timeout (session, 10);
  return session;
}

static GBytes *
message_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static const char *simple_message =
  "From: user@example.test\r\nTo: bob@example.test\r\nSubject: Hi\r\n\r\nHello Bob\r\n";

static gboolean
send_simple (PigeonSmtpSession  *session,
             const char * const *recipients,
             GPtrArray          *rejected,
             GError            **error)
{
  g_autoptr(GBytes) message = message_bytes (simple_message);

  return pigeon_smtp_session_send (session, "user@example.test", recipients, message, NULL,
                                   NULL, rejected, NULL, error);
}

/* ------------------------------------------------------------------ the good path */

static void
test_pipelined_send (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE,
    "S: 250-mail.example.test", "S: 250-PIPELINING", "S: 250-SIZE 100000",
    "S: 250-8BITMIME", "S: 250 AUTH PLAIN LOGIN",
    PLAIN_AUTH,
    "S: 235 2.7.0 Authentication successful",
    /* everything up to DATA arrives at once, before any reply */
    "C: MAIL FROM:<user@example.test> SIZE=*",
    "C: RCPT TO:<bob@example.test>",
    "C: RCPT TO:<carol@example.test>",
    "C: DATA",
    "S: 250 2.1.0 Ok", "S: 250 2.1.5 Ok", "S: 250 2.1.5 Ok",
    "S: 354 End data with <CR><LF>.<CR><LF>",
    "D:",
    "S: 250 2.0.0 Ok: queued as 1234",
    "C: QUIT", "S: 221 2.0.0 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", "carol@example.test", NULL };
  g_autofree char *data = NULL;
  const PigeonSmtpCaps *caps;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_no_error (error);
  caps = pigeon_smtp_session_get_caps (session);
  g_assert_cmpuint (caps->max_size, ==, 100000);
  g_assert_true (caps->extensions & PIGEON_SMTP_EXT_PIPELINING);
  g_assert_true (pigeon_smtp_session_authenticate (session, "user", "pass", TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (send_simple (session, rcpts, rejected, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rejected->len, ==, 0);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);

  data = smtp_fake_server_dup_data (server);
  g_assert_cmpstr (data, ==,
                   "From: user@example.test\nTo: bob@example.test\nSubject: Hi\n\nHello Bob\n");
}

static void
test_one_by_one_without_pipelining (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250 mail.example.test",
    "C: MAIL FROM:<user@example.test>", "Q:", "S: 250 Ok",
    "C: RCPT TO:<bob@example.test>", "Q:", "S: 250 Ok",
    "C: DATA", "Q:", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", NULL };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_no_error (error);
  /* no AUTH offered: nothing to log in to */
  g_assert_true (pigeon_smtp_session_authenticate (session, "user", "pass", TRUE, NULL, &error));
  g_assert_true (send_simple (session, rcpts, NULL, &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
}

static void
test_helo_fallback (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 502 5.5.2 Error: command not recognized",
    "C: HELO [127.0.0.1]", "S: 250 mail.example.test",
    "C: MAIL FROM:<user@example.test>", "S: 250 Ok",
    "C: RCPT TO:<bob@example.test>", "S: 250 Ok",
    "C: DATA", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", NULL };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_smtp_session_get_caps (session)->extensions, ==, 0);
  g_assert_true (send_simple (session, rcpts, NULL, &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
}

/* A caller may name itself. */
static void
test_helo_name (void)
{
  const char *script[] = {
    GREETING,
    "C: EHLO client.example.test", "S: 250 mail.example.test",
    "C: QUIT", "S: 221 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, "client.example.test",
                                           NULL, &error));
  g_assert_no_error (error);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

/* ------------------------------------------------------------------ TLS */

static void
test_starttls (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 STARTTLS",
    "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS",
    "T:",
    /* what was learnt before the handshake is forgotten */
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH PLAIN",
    PLAIN_AUTH, "S: 235 Ok",
    "C: QUIT", "S: 221 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_STARTTLS, NULL, NULL,
                                           &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_connection_is_encrypted (pigeon_smtp_session_get_connection (session)));
  /* PLAIN without the plain-text opt-in: fine, the connection is encrypted */
  g_assert_true (pigeon_smtp_session_authenticate (session, "user", "pass", FALSE, NULL,
                                                   &error));
  g_assert_no_error (error);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

static void
test_starttls_missing (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH PLAIN",
    /* no password, no mail, not even QUIT in the clear */
    "E:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_smtp_session_open (session, PIGEON_SECURITY_STARTTLS, NULL, NULL,
                                            &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "STARTTLS"));
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

static void
test_starttls_refused (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 STARTTLS",
    "C: STARTTLS", "S: 454 4.7.0 TLS not available due to local problem",
    "E:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_STARTTLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_smtp_session_open (session, PIGEON_SECURITY_STARTTLS, NULL, NULL,
                                            &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

static void
test_implicit_tls (void)
{
  const char *script[] = {
    "T:",
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH LOGIN",
    "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6",
    "C: dXNlcg==", "S: 334 UGFzc3dvcmQ6",
    "C: cGFzcw==", "S: 235 Ok",
    "C: QUIT", "S: 221 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_TLS, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_smtp_session_authenticate (session, "user", "pass", FALSE, NULL,
                                                   &error));
  g_assert_no_error (error);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

/* ------------------------------------------------------------------ AUTH */

static void
test_plain_refused_in_clear (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH PLAIN LOGIN",
    /* QUIT comes next: no AUTH was tried */
    "C: QUIT", "S: 221 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_false (pigeon_smtp_session_authenticate (session, "user", "pass", FALSE, NULL,
                                                    &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

static void
test_cram_md5 (void)
{
  /* RFC 2195's example: the challenge and the digest for tim / tanstaaftanstaaf */
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH PLAIN CRAM-MD5",
    "C: AUTH CRAM-MD5",
    "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
    "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
    "S: 235 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_true (pigeon_smtp_session_authenticate (session, "tim", "tanstaaftanstaaf", FALSE,
                                                   NULL, &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
}

static void
test_wrong_password (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH PLAIN",
    PLAIN_AUTH, "S: 535 5.7.8 Error: authentication failed",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_false (pigeon_smtp_session_authenticate (session, "user", "pass", TRUE, NULL,
                                                    &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "authentication failed"));
  smtp_fake_server_finish (server);
}

static void
test_scram_refused_falls_back (void)
{
  const char *script[] = {
    "T:",
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH SCRAM-SHA-256 PLAIN",
    "C: AUTH SCRAM-SHA-256 *", "S: 535 5.7.8 Error: authentication failed",
    PLAIN_AUTH, "S: 235 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_TLS, NULL, NULL, &error));
  g_assert_true (pigeon_smtp_session_authenticate (session, "user", "pass", FALSE, NULL,
                                                   &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
}

static void
test_scram_dishonest_server (void)
{
  /* A server that says "fine" to SCRAM without its final proof is not believed. */
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 AUTH SCRAM-SHA-1",
    "C: AUTH SCRAM-SHA-1 *", "S: 235 Ok",
    "E:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_false (pigeon_smtp_session_authenticate (session, "user", "pass", FALSE, NULL,
                                                    &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

/* ------------------------------------------------------------------ refusals */

static const char *ehlo_pipelining[] = {
  GREETING,
  HELO_LINE, "S: 250-mail.example.test", "S: 250-ENHANCEDSTATUSCODES", "S: 250 PIPELINING",
};

static SmtpFakeServer *
server_after_ehlo (const char * const *rest)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  SmtpFakeServer *server;

  for (guint i = 0; i < G_N_ELEMENTS (ehlo_pipelining); i++)
    g_ptr_array_add (lines, (gpointer) ehlo_pipelining[i]);
  for (guint i = 0; rest[i] != NULL; i++)
    g_ptr_array_add (lines, (gpointer) rest[i]);
  g_ptr_array_add (lines, NULL);
  server = smtp_fake_server_new ((const char * const *) lines->pdata);
  return server;
}

/* Opens a session on SERVER (no TLS) and sends the simple message to RCPTS, which must
 * fail with CODE and a sentence holding WORDS (unless NULL).  The session, for more checks. */
static PigeonSmtpSession *
send_refused (SmtpFakeServer     *server,
              const char * const *rcpts,
              GPtrArray          *rejected,
              int                 code,
              const char         *words,
              GError            **out_error)
{
  PigeonSmtpSession *session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_false (send_simple (session, rcpts, rejected, &error));
  g_assert_error (error, PIGEON_ERROR, code);
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
  if (out_error != NULL)
    *out_error = g_steal_pointer (&error);
  return session;
}

static void
test_one_recipient_rejected (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>",
    "C: RCPT TO:<nobody@example.test>",
    "C: RCPT TO:<bob@example.test>",
    "C: DATA",
    "S: 250 2.1.0 Ok",
    "S: 550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
    "S: 250 2.1.5 Ok",
    "S: 354 Go ahead",
    "D:",
    "S: 250 2.0.0 Ok: queued",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "nobody@example.test", "bob@example.test", NULL };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_true (send_simple (session, rcpts, rejected, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rejected->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (rejected, 0), ==,
                   "nobody@example.test was rejected: 550 5.1.1 <nobody@example.test>: "
                   "Recipient address rejected: User unknown");
  smtp_fake_server_finish (server);
}

static void
test_all_recipients_rejected (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>",
    "C: RCPT TO:<nobody@example.test>",
    "C: DATA",
    "S: 250 2.1.0 Ok",
    "S: 550 5.1.1 User unknown",
    "S: 554 5.5.1 Error: no valid recipients",
    "C: RSET", "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  const char *rcpts[] = { "nobody@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, rejected, PIGEON_ERROR_REJECTED,
                  "nobody@example.test was rejected: 550", NULL);

  g_assert_cmpuint (rejected->len, ==, 1);
  g_assert_true (pigeon_smtp_session_is_open (session));
  smtp_fake_server_finish (server);
}

static void
test_recipient_later (void)
{
  /* 4xx for one recipient: nobody gets it now, everybody later, nobody twice */
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>",
    "C: RCPT TO:<bob@example.test>",
    "C: RCPT TO:<carol@example.test>",
    "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 450 4.2.0 <carol@example.test>: greylisted",
    "S: 354 Go ahead",
    /* after a 354 only a closed connection keeps the server from delivering */
    "E:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", "carol@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, NULL, PIGEON_ERROR_SERVER, "carol@example.test", &error);

  g_assert_true (pigeon_error_is_transient (error));
  g_assert_false (pigeon_smtp_session_is_open (session));
  smtp_fake_server_finish (server);
}

static void
test_sender_refused (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>",
    "C: RCPT TO:<bob@example.test>",
    "C: DATA",
    "S: 553 5.7.1 <user@example.test>: Sender address rejected: not owned by user",
    "S: 503 5.5.1 Error: need MAIL command",
    "S: 503 5.5.1 Error: need RCPT command",
    "C: RSET", "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  const char *rcpts[] = { "bob@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, NULL, PIGEON_ERROR_REJECTED, "not owned by user", NULL);

  smtp_fake_server_finish (server);
}

static void
test_message_refused_after_data (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>", "C: RCPT TO:<bob@example.test>", "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 354 Go ahead",
    "D:",
    "S: 554 5.7.1 Message rejected as spam",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  const char *rcpts[] = { "bob@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, NULL, PIGEON_ERROR_REJECTED, "spam", NULL);

  smtp_fake_server_finish (server);
}

static void
test_size_limit (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250 SIZE 40",
    /* refused before a byte of it is sent: QUIT comes next */
    "C: QUIT", "S: 221 Bye",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  const char *rcpts[] = { "bob@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, NULL, PIGEON_ERROR_TOO_BIG, "40 bytes", NULL);

  pigeon_smtp_session_quit (session);
  smtp_fake_server_finish (server);
}

static void
test_server_closing (void)
{
  const char *script[] = { "S: 421 4.3.2 Service shutting down", NULL };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_true (pigeon_error_is_transient (error));
  smtp_fake_server_finish (server);
}

/* ------------------------------------------------------------------ data */

static void
test_dot_stuffing (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>*", "C: RCPT TO:<bob@example.test>", "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = message_bytes ("Subject: dots\n\n.\n..two\n.hidden\nlast line");
  const char *rcpts[] = { "bob@example.test", NULL };
  g_autofree char *data = NULL;

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_true (pigeon_smtp_session_send (session, "user@example.test", rcpts, message, NULL,
                                           NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
  data = smtp_fake_server_dup_data (server);
  g_assert_cmpstr (data, ==, "Subject: dots\n\n..\n...two\n..hidden\nlast line\n");
}

static void
test_eight_bit_and_utf8 (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250-mail.example.test", "S: 250-8BITMIME", "S: 250 SMTPUTF8",
    "C: MAIL FROM:<user@example.test> BODY=8BITMIME SMTPUTF8", "S: 250 Ok",
    /* the domain in its ASCII form; the local part needs SMTPUTF8 */
    "C: RCPT TO:<jörg@xn--bcher-kva.example>", "S: 250 Ok",
    "C: DATA", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = message_bytes ("Subject: Grüße\r\n\r\nÄpfel\r\n");
  const char *rcpts[] = { "jörg@bücher.example", NULL };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_true (pigeon_smtp_session_send (session, "user@example.test", rcpts, message, NULL,
                                           NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  smtp_fake_server_finish (server);
}

static void
test_utf8_address_unsupported (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250 mail.example.test",
    "Q:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  const char *rcpts[] = { "jörg@example.test", NULL };
  g_autoptr(PigeonSmtpSession) session =
    send_refused (server, rcpts, NULL, PIGEON_ERROR_UNSUPPORTED, NULL, NULL);

  smtp_fake_server_finish (server);
}

static void
test_command_injection (void)
{
  const char *script[] = {
    GREETING,
    HELO_LINE, "S: 250 mail.example.test",
    "Q:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  const char *hostile[] = {
    "bob@example.test>\r\nRCPT TO:<evil@example.test",
    "bob@example.test\nDATA",
    "<bob@example.test>",
    "bob @example.test",
    "bob",
    "@example.test",
  };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      const char *rcpts[] = { hostile[i], NULL };
      g_autoptr(GError) error = NULL;

      g_assert_false (send_simple (session, rcpts, NULL, &error));
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID);
    }
  smtp_fake_server_finish (server);
}

typedef struct
{
  guint calls;
  gboolean allow;
} Checkpoint;

static gboolean
checkpoint_cb (gpointer   user_data,
               GError   **error)
{
  Checkpoint *cp = user_data;

  cp->calls++;
  if (!cp->allow)
    g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE, "The disk is full.");
  return cp->allow;
}

static void
test_checkpoint_abandons (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>", "C: RCPT TO:<bob@example.test>", "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 354 Go ahead",
    "C: From: user@example.test", "C: To: bob@example.test", "C: Subject: Hi", "C: ",
    "C: Hello Bob",
    /* no final dot: the connection closes and the server drops the message */
    "E:",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GBytes) message = message_bytes (simple_message);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", NULL };
  Checkpoint cp = { 0, FALSE };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_false (pigeon_smtp_session_send (session, "user@example.test", rcpts, message,
                                            checkpoint_cb, &cp, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE);
  g_assert_cmpuint (cp.calls, ==, 1);
  smtp_fake_server_finish (server);
}

static void
test_checkpoint_before_final_dot (void)
{
  const char *script[] = {
    "C: MAIL FROM:<user@example.test>", "C: RCPT TO:<bob@example.test>", "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    "C: MAIL FROM:<user@example.test>", "C: RCPT TO:<bob@example.test>", "C: DATA",
    "S: 250 Ok", "S: 250 Ok", "S: 354 Go ahead",
    "D:",
    "S: 250 Ok",
    NULL
  };
  g_autoptr(SmtpFakeServer) server = server_after_ehlo (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GBytes) message = message_bytes (simple_message);
  g_autoptr(GError) error = NULL;
  const char *rcpts[] = { "bob@example.test", NULL };
  Checkpoint cp = { 0, TRUE };

  g_assert_true (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  /* two messages on one connection, each with its checkpoint */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (pigeon_smtp_session_send (session, "user@example.test", rcpts, message,
                                               checkpoint_cb, &cp, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (cp.calls, ==, 2);
  smtp_fake_server_finish (server);
}

static void
test_garbage_reply (void)
{
  const char *script[] = { "S: hello, I am not an SMTP server", NULL };
  g_autoptr(SmtpFakeServer) server = smtp_fake_server_new (script);
  g_autoptr(PigeonSmtpSession) session = session_for (server, PIGEON_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  smtp_fake_server_finish (server);
}

static void
test_long_reply_line (void)
{
  g_autofree char *long_line = NULL;
  g_autoptr(GString) text = g_string_new ("S: 220 ");
  const char *script[] = { NULL, NULL };
  g_autoptr(SmtpFakeServer) server = NULL;
  g_autoptr(PigeonSmtpSession) session = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < PIGEON_SMTP_MAX_LINE; i++)
    g_string_append_c (text, 'x');
  long_line = g_string_free (g_steal_pointer (&text), FALSE);
  script[0] = long_line;
  server = smtp_fake_server_new (script);
  session = session_for (server, PIGEON_SECURITY_NONE);

  g_assert_false (pigeon_smtp_session_open (session, PIGEON_SECURITY_NONE, NULL, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  smtp_fake_server_finish (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp/session/pipelined-send", test_pipelined_send);
  g_test_add_func ("/smtp/session/one-by-one", test_one_by_one_without_pipelining);
  g_test_add_func ("/smtp/session/helo-fallback", test_helo_fallback);
  g_test_add_func ("/smtp/session/helo-name", test_helo_name);
  g_test_add_func ("/smtp/session/starttls", test_starttls);
  g_test_add_func ("/smtp/session/starttls-missing", test_starttls_missing);
  g_test_add_func ("/smtp/session/starttls-refused", test_starttls_refused);
  g_test_add_func ("/smtp/session/implicit-tls-login", test_implicit_tls);
  g_test_add_func ("/smtp/session/plain-refused-in-clear", test_plain_refused_in_clear);
  g_test_add_func ("/smtp/session/cram-md5", test_cram_md5);
  g_test_add_func ("/smtp/session/wrong-password", test_wrong_password);
  g_test_add_func ("/smtp/session/scram-refused-falls-back", test_scram_refused_falls_back);
  g_test_add_func ("/smtp/session/scram-dishonest-server", test_scram_dishonest_server);
  g_test_add_func ("/smtp/session/one-recipient-rejected", test_one_recipient_rejected);
  g_test_add_func ("/smtp/session/all-recipients-rejected", test_all_recipients_rejected);
  g_test_add_func ("/smtp/session/recipient-later", test_recipient_later);
  g_test_add_func ("/smtp/session/sender-refused", test_sender_refused);
  g_test_add_func ("/smtp/session/message-refused", test_message_refused_after_data);
  g_test_add_func ("/smtp/session/size-limit", test_size_limit);
  g_test_add_func ("/smtp/session/server-closing", test_server_closing);
  g_test_add_func ("/smtp/session/dot-stuffing", test_dot_stuffing);
  g_test_add_func ("/smtp/session/8bit-and-utf8", test_eight_bit_and_utf8);
  g_test_add_func ("/smtp/session/utf8-address-unsupported", test_utf8_address_unsupported);
  g_test_add_func ("/smtp/session/command-injection", test_command_injection);
  g_test_add_func ("/smtp/session/checkpoint-abandons", test_checkpoint_abandons);
  g_test_add_func ("/smtp/session/checkpoint-before-final-dot", test_checkpoint_before_final_dot);
  g_test_add_func ("/smtp/session/garbage-reply", test_garbage_reply);
  g_test_add_func ("/smtp/session/long-reply-line", test_long_reply_line);

  return g_test_run ();
}
