/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pop3"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-pop3-session.h"
#include "pigeon-test-harness.h"

/* The POP3 session against the harness Dovecot: every way of logging in, over POP3S and
 * STLS, and the replies a real server gives to a wrong password and a locked mailbox. */

typedef struct
{
  const char    *mechanism;  /* NULL: let the session choose */
  PigeonSecurity security;
} LoginCase;

static PigeonPop3Session *
new_session (PigeonSecurity security)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *pin = pigeon_test_harness_dup_certificate_sha256 ();
  guint16 port = security == PIGEON_SECURITY_TLS ? h->pop3s_port : h->pop3_port;
  PigeonPop3Session *session;

  session = pigeon_pop3_session_new (h->host, port, security, pin, NULL);
  pigeon_pop3_session_set_timeout (session, 20);
  return session;
}

static PigeonPop3Session *
log_in (const char     *user,
        const char     *password,
        PigeonSecurity  security)
{
  PigeonPop3Session *session = new_session (security);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_pop3_session_login (session, NULL, user, password, FALSE, NULL,
                                            &error));
  g_assert_no_error (error);
  return session;
}

static void
test_login (gconstpointer data)
{
  const LoginCase *lc = data;
  g_autofree char *user = NULL, *password = NULL;
  g_autoptr(PigeonPop3Session) session = new_session (lc->security);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  const PigeonPop3Capabilities *caps;
  gboolean has_uidl = FALSE;

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_seed (user, 3, "INBOX");

  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_pop3_session_is_encrypted (session));
  g_assert_true (pigeon_pop3_session_login (session, lc->mechanism, user, password, FALSE, NULL,
                                            &error));
  g_assert_no_error (error);
  if (lc->mechanism == NULL)
    g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, "SCRAM-SHA-256");
  else
    g_assert_cmpstr (pigeon_pop3_session_get_mechanism (session), ==, lc->mechanism);

  /* What Dovecot offers once logged in. */
  caps = pigeon_pop3_session_get_capabilities (session);
  g_assert_true (caps->flags & PIGEON_POP3_CAPA_PIPELINING);
  g_assert_true (caps->flags & PIGEON_POP3_CAPA_UIDL);
  g_assert_true (caps->flags & PIGEON_POP3_CAPA_RESP_CODES);

  entries = pigeon_pop3_session_list (session, &has_uidl, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_uidl);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_true (pigeon_pop3_session_quit (session, NULL, &error));
  g_assert_no_error (error);
}

static void
test_wrong_password (gconstpointer data)
{
  const char *mechanism = data;
  g_autofree char *user = NULL, *password = NULL;
  g_autoptr(PigeonPop3Session) session = new_session (PIGEON_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  pigeon_test_harness_new_user (&user, &password);
  g_assert_true (pigeon_pop3_session_connect (session, NULL, &error));
  g_assert_false (pigeon_pop3_session_login (session, mechanism, user, "not-the-password",
                                             FALSE, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, user));
  g_assert_null (strstr (error->message, "not-the-password"));
}

static void
test_in_use (void)
{
  g_autofree char *user = NULL, *password = NULL;
  g_autoptr(PigeonPop3Session) holder = NULL;
  g_autoptr(PigeonPop3Session) second = NULL;
  g_autoptr(GError) error = NULL;

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_seed (user, 1, "INBOX");
  holder = log_in (user, password, PIGEON_SECURITY_TLS);

  second = new_session (PIGEON_SECURITY_STARTTLS);
  g_assert_true (pigeon_pop3_session_connect (second, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (pigeon_pop3_session_login (second, NULL, user, password, FALSE, NULL,
                                             &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "Another program"));
  g_assert_cmpuint (pigeon_pop3_session_get_retry_after (second), >, 0);
  g_clear_error (&error);

  /* Once the other session ends, the mailbox is free again. */
  g_assert_true (pigeon_pop3_session_quit (holder, NULL, &error));
  g_clear_object (&second);
  second = log_in (user, password, PIGEON_SECURITY_STARTTLS);
  g_assert_true (pigeon_pop3_session_quit (second, NULL, &error));
  g_assert_no_error (error);
}

typedef struct
{
  guint count;
  guint64 bytes;
} Counted;

static gboolean
count_cb (PigeonPop3Session *session,
          guint              number,
          GBytes            *raw,
          const GError      *refusal,
          gpointer           user_data,
          GError           **error)
{
  Counted *c = user_data;

  g_assert_no_error (refusal);
  c->count++;
  c->bytes += g_bytes_get_size (raw);
  return TRUE;
}

/* Pipelined RETR and DELE against the real thing; LIST sizes match what arrives. */
static void
test_retrieve_delete (void)
{
  g_autofree char *user = NULL, *password = NULL;
  g_autoptr(PigeonPop3Session) session = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  guint64 listed_bytes = 0;
  Counted counted = { 0 };
  const guint doomed[] = { 2, 5 };
  gboolean deleted[2] = { FALSE, FALSE };

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_seed (user, 150, "INBOX");
  session = log_in (user, password, PIGEON_SECURITY_TLS);

  entries = pigeon_pop3_session_list (session, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 150);
  for (guint i = 0; i < entries->len; i++)
    {
      PigeonPop3Entry *entry = g_ptr_array_index (entries, i);

      g_array_append_val (numbers, entry->number);
      listed_bytes += entry->size;
    }
  g_assert_true (pigeon_pop3_session_retrieve (session, (const guint *) numbers->data,
                                               numbers->len, count_cb, &counted, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (counted.count, ==, 150);
  /* Dots unstuffed, CR LF kept: exactly the octets LIST announced. */
  g_assert_cmpuint (counted.bytes, ==, listed_bytes);

  g_assert_true (pigeon_pop3_session_delete (session, doomed, 2, deleted, NULL, &error));
  g_assert_true (deleted[0] && deleted[1]);
  g_assert_true (pigeon_pop3_session_quit (session, NULL, &error));
  g_assert_no_error (error);

  g_clear_object (&session);
  g_clear_pointer (&entries, g_ptr_array_unref);
  session = log_in (user, password, PIGEON_SECURITY_TLS);
  entries = pigeon_pop3_session_list (session, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 148);
  g_assert_true (pigeon_pop3_session_quit (session, NULL, &error));
}

/* Without QUIT, nothing marked with DELE is deleted. */
static void
test_delete_needs_quit (void)
{
  g_autofree char *user = NULL, *password = NULL;
  g_autoptr(PigeonPop3Session) session = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  const guint doomed[] = { 1 };
  gboolean deleted[1] = { FALSE };

  pigeon_test_harness_new_user (&user, &password);
  pigeon_test_harness_seed (user, 2, "INBOX");
  session = log_in (user, password, PIGEON_SECURITY_TLS);
  g_assert_true (pigeon_pop3_session_delete (session, doomed, 1, deleted, NULL, &error));
  g_assert_true (deleted[0]);
  pigeon_pop3_session_close (session);
  g_clear_object (&session);

  session = log_in (user, password, PIGEON_SECURITY_TLS);
  entries = pigeon_pop3_session_list (session, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_true (pigeon_pop3_session_quit (session, NULL, &error));
}

int
main (int   argc,
      char *argv[])
{
  static const char *mechanisms[] = {
    NULL, "USER", "APOP", "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
  };
  static LoginCase cases[G_N_ELEMENTS (mechanisms) * 2];

  g_test_init (&argc, &argv, NULL);
  pigeon_test_harness_require ();

  for (guint i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    for (guint s = 0; s < 2; s++)
      {
        LoginCase *lc = &cases[i * 2 + s];
        g_autofree char *path = NULL;

        lc->mechanism = mechanisms[i];
        lc->security = s == 0 ? PIGEON_SECURITY_TLS : PIGEON_SECURITY_STARTTLS;
        path = g_strdup_printf ("/pop3/dovecot/login/%s/%s",
                                lc->mechanism ? lc->mechanism : "auto",
                                s == 0 ? "pop3s" : "stls");
        g_test_add_data_func (path, lc, test_login);
      }
  g_test_add_data_func ("/pop3/dovecot/wrong-password/user", "USER", test_wrong_password);
  g_test_add_data_func ("/pop3/dovecot/wrong-password/scram", "SCRAM-SHA-256",
                        test_wrong_password);
  g_test_add_func ("/pop3/dovecot/in-use", test_in_use);
  g_test_add_func ("/pop3/dovecot/retrieve-delete", test_retrieve_delete);
  g_test_add_func ("/pop3/dovecot/delete-needs-quit", test_delete_needs_quit);

  return g_test_run ();
}
