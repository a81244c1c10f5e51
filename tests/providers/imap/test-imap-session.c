/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "imap-script.h"
#include "pigeon-error.h"
#include "pigeon-imap-session.h"

#define SCRIPT(...) ((const char * const[]) { __VA_ARGS__, NULL })

static PigeonImapSession *
start (ImapScript *script)
{
  PigeonImapSession *session = imap_script_new_session (script);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_imap_session_read_greeting (session, NULL, &error));
  g_assert_no_error (error);
  return session;
}

/* ------------------------------------------------------------------ greeting */

static void
test_greeting (void)
{
  g_autoptr(ImapScript) script =
    imap_script_new (SCRIPT ("S: * OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready."));
  g_autoptr(PigeonImapSession) session = start (script);

  g_assert_cmpint (pigeon_imap_session_get_state (session), ==,
                   PIGEON_IMAP_STATE_NOT_AUTHENTICATED);
  g_assert_true (pigeon_imap_session_has_capability (session, "literal+"));
  g_assert_true (pigeon_imap_session_has_capability_prefix (session, "AUTH="));
  g_assert_false (pigeon_imap_session_has_capability (session, "IDLE"));
  imap_script_assert_done (script);
}

/* IMAP4rev2 includes extensions a server need not list; alone it also means UTF-8 names. */
static void
test_imap4rev2 (void)
{
  g_autoptr(ImapScript) rev2 = imap_script_new (SCRIPT ("S: * OK [CAPABILITY IMAP4rev2] ready"));
  g_autoptr(ImapScript) both =
    imap_script_new (SCRIPT ("S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2] ready"));
  g_autoptr(ImapScript) rev1 = imap_script_new (SCRIPT ("S: * OK [CAPABILITY IMAP4rev1] ready"));
  g_autoptr(PigeonImapSession) a = start (rev2);
  g_autoptr(PigeonImapSession) b = start (both);
  g_autoptr(PigeonImapSession) c = start (rev1);

  g_assert_true (pigeon_imap_session_has_capability (a, "ESEARCH"));
  g_assert_true (pigeon_imap_session_has_capability (a, "MOVE"));
  g_assert_true (pigeon_imap_session_has_capability (a, "UIDPLUS"));
  g_assert_true (pigeon_imap_session_uses_utf8_names (a));
  g_assert_true (pigeon_imap_session_has_capability (b, "IDLE"));
  g_assert_false (pigeon_imap_session_uses_utf8_names (b));
  g_assert_false (pigeon_imap_session_has_capability (c, "MOVE"));
  g_assert_false (pigeon_imap_session_uses_utf8_names (c));
}

static void
test_greeting_preauth (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT ("S: * PREAUTH welcome back"));
  g_autoptr(PigeonImapSession) session = start (script);

  g_assert_cmpint (pigeon_imap_session_get_state (session), ==, PIGEON_IMAP_STATE_AUTHENTICATED);
  g_assert_false (pigeon_imap_session_has_capabilities (session));
}

static void
test_greeting_bye (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT ("S: * BYE Too many connections"));
  g_autoptr(PigeonImapSession) session = imap_script_new_session (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_read_greeting (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "Too many connections"));
  g_assert_true (pigeon_imap_session_is_broken (session));
}

static void
test_greeting_garbage (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT ("S: HTTP/1.1 400 Bad Request"));
  g_autoptr(PigeonImapSession) session = imap_script_new_session (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_read_greeting (session, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

/* ------------------------------------------------------------------ commands */

typedef struct
{
  guint fetches;
  guint unsolicited;
  guint32 last_exists;
} Seen;

static gboolean
count_fetch_cb (PigeonImapCommand  *command,
                PigeonImapResponse *response,
                gpointer            user_data)
{
  Seen *seen = user_data;

  if (strcmp (response->name, "FETCH") != 0)
    return FALSE;
  seen->fetches++;
  return TRUE;
}

static void
unsolicited_cb (PigeonImapSession  *session,
                PigeonImapResponse *response,
                gpointer            user_data)
{
  Seen *seen = user_data;

  seen->unsolicited++;
  if (g_strcmp0 (response->name, "EXISTS") == 0)
    seen->last_exists = response->number;
}

/* Three commands written before any answer is read; the answers may come in any order
 * and untagged responses in between go where they belong. */
static void
test_pipelining (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready",
    "C: A1 UID FETCH 1:2 (FLAGS)",
    "C: A2 UID FETCH 3 (FLAGS)",
    "C: A3 NOOP",
    "S: * 1 FETCH (UID 1 FLAGS ())",
    "S: * 7 EXISTS",
    "S: * 2 FETCH (UID 2 FLAGS (\\Seen))",
    "S: A1 OK done",
    "S: A3 OK noop",
    "S: * 3 FETCH (UID 3 FLAGS ())",
    "S: A2 OK done"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) a = pigeon_imap_command_new ("UID FETCH 1:2 (FLAGS)");
  g_autoptr(PigeonImapCommand) b = pigeon_imap_command_new ("UID FETCH 3 (FLAGS)");
  g_autoptr(PigeonImapCommand) c = pigeon_imap_command_new ("NOOP");
  g_autoptr(GError) error = NULL;
  Seen seen = { 0 };

  pigeon_imap_session_set_unsolicited_func (session, unsolicited_cb, &seen);
  pigeon_imap_command_set_untagged_func (a, count_fetch_cb, &seen);
  pigeon_imap_command_set_untagged_func (b, count_fetch_cb, &seen);

  g_assert_true (pigeon_imap_session_send (session, a, NULL, &error));
  g_assert_true (pigeon_imap_session_send (session, b, NULL, &error));
  g_assert_true (pigeon_imap_session_send (session, c, NULL, &error));
  g_assert_cmpuint (pigeon_imap_session_get_n_in_flight (session), ==, 3);
  g_assert_cmpuint (imap_script_get_unflushed (script), >, 0);

  /* Waiting for the last one reads every answer. */
  g_assert_true (pigeon_imap_session_wait (session, b, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_imap_command_is_done (a));
  g_assert_true (pigeon_imap_command_is_done (c));
  g_assert_cmpstr (pigeon_imap_command_get_tag (c), ==, "A3");
  g_assert_cmpint (pigeon_imap_command_get_status (b), ==, PIGEON_IMAP_STATUS_OK);
  g_assert_cmpuint (seen.fetches, ==, 3);
  g_assert_cmpuint (seen.unsolicited, ==, 1);
  g_assert_cmpuint (seen.last_exists, ==, 7);
  g_assert_cmpuint (pigeon_imap_session_get_selected (session)->exists, ==, 7);
  g_assert_cmpuint (pigeon_imap_session_get_n_in_flight (session), ==, 0);
  imap_script_assert_done (script);
}

static void
test_astring (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready",
    "C: A1 X atom \"two words\" \"q\\\"uote\\\\\" \"NIL\" \"\" {6+}",
    "C: Entwü",
    "S: A1 OK"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("X");
  g_autoptr(GError) error = NULL;

  pigeon_imap_command_add_astring (command, "atom");
  pigeon_imap_command_add_astring (command, "two words");
  pigeon_imap_command_add_astring (command, "q\"uote\\");
  pigeon_imap_command_add_astring (command, "NIL");
  pigeon_imap_command_add_astring (command, "");
  pigeon_imap_command_add_astring (command, "Entwü");
  g_assert_true (pigeon_imap_session_run (session, command, NULL, &error));
  g_assert_no_error (error);
  imap_script_assert_done (script);
}

/* With LITERAL+ the literal goes out at once, so APPEND pipelines with what follows. */
static void
test_literal_plus (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready",
    "C: A1 APPEND INBOX (\\Seen) {5+}",
    "C: hello",
    "C: A2 NOOP",
    "S: A1 OK [APPENDUID 17 42] Append completed.",
    "S: A2 OK"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) append = pigeon_imap_command_new ("APPEND INBOX (\\Seen)");
  g_autoptr(PigeonImapCommand) noop = pigeon_imap_command_new ("NOOP");
  g_autoptr(GBytes) data = g_bytes_new_static ("hello", 5);
  g_autoptr(GError) error = NULL;
  PigeonImapResponse *response;

  pigeon_imap_command_add_literal (append, data);
  g_assert_true (pigeon_imap_session_send (session, append, NULL, &error));
  g_assert_true (pigeon_imap_session_send (session, noop, NULL, &error));
  g_assert_true (pigeon_imap_session_wait (session, noop, NULL, &error));
  g_assert_no_error (error);
  response = pigeon_imap_command_get_response (append);
  g_assert_cmpstr (response->code, ==, "APPENDUID");
  g_assert_cmpstr (response->code_text, ==, "17 42");
  imap_script_assert_done (script);
}

/* Without LITERAL+ the client waits for "+" before the literal's bytes. */
static void
test_literal_sync (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK [CAPABILITY IMAP4rev1] ready",
    "C: A1 APPEND Drafts {5}",
    "S: * 3 EXISTS",
    "S: + Ready for literal data",
    "C: hello",
    "S: A1 OK done"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) append = pigeon_imap_command_new ("APPEND Drafts");
  g_autoptr(GBytes) data = g_bytes_new_static ("hello", 5);
  g_autoptr(GError) error = NULL;

  pigeon_imap_command_add_literal (append, data);
  g_assert_true (pigeon_imap_session_run (session, append, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pigeon_imap_session_get_selected (session)->exists, ==, 3);
  imap_script_assert_done (script);
}

/* The server may refuse a literal instead of asking for it: nothing more is sent. */
static void
test_literal_refused (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK [CAPABILITY IMAP4rev1] ready",
    "C: A1 APPEND Drafts {100000}",
    "S: A1 NO [TOOBIG] Message too large",
    "C: A2 NOOP",
    "S: A2 OK"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) append = pigeon_imap_command_new ("APPEND Drafts");
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (100000), 100000);
  g_autoptr(GError) error = NULL;

  pigeon_imap_command_add_literal (append, data);
  g_assert_false (pigeon_imap_session_run (session, append, NULL, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG);
  g_assert_nonnull (strstr (error->message, "Message too large"));
  g_clear_error (&error);
  g_assert_true (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
  g_assert_no_error (error);
  imap_script_assert_done (script);
}

/* LITERAL- allows non-synchronising literals up to 4096 bytes only. */
static void
test_literal_minus (void)
{
  g_autofree char *big = g_strnfill (4097, 'x');
  g_autofree char *big_line = g_strconcat ("C: ", big, NULL);
  const char *lines[] = {
    "S: * OK [CAPABILITY IMAP4rev1 LITERAL-] ready",
    "C: A1 X {3+}",
    "C: abc {4097}",
    "S: + go",
    big_line,
    "S: A1 OK",
    NULL,
  };
  g_autoptr(ImapScript) script = imap_script_new (lines);
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("X");
  g_autoptr(GBytes) small = g_bytes_new_static ("abc", 3);
  g_autoptr(GBytes) large = g_bytes_new (big, 4097);
  g_autoptr(GError) error = NULL;

  pigeon_imap_command_add_literal (command, small);
  pigeon_imap_command_add_literal (command, large);
  g_assert_true (pigeon_imap_session_run (session, command, NULL, &error));
  g_assert_no_error (error);
  imap_script_assert_done (script);
}

/* ------------------------------------------------------------------ continuations */

typedef struct
{
  gboolean idling;
  guint exists;
} Idle;

static gboolean
idle_continuation_cb (PigeonImapSession  *session,
                      PigeonImapCommand  *command,
                      PigeonImapResponse *response,
                      gpointer            user_data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  Idle *idle = user_data;

  idle->idling = TRUE;
  return TRUE;
}

static void
idle_unsolicited_cb (PigeonImapSession  *session,
                     PigeonImapResponse *response,
                     gpointer            user_data)
{
  Idle *idle = user_data;

  if (g_strcmp0 (response->name, "EXISTS") == 0)
    idle->exists = response->number;
}

static void
test_continuation_func (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready",
    "C: A1 IDLE",
    "S: + idling",
    "S: * 4 EXISTS",
    "C: DONE",
    "S: A1 OK Idle completed."));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(PigeonImapCommand) command = pigeon_imap_command_new ("IDLE");
  g_autoptr(GError) error = NULL;
  Idle idle = { 0 };

  pigeon_imap_command_set_continuation_func (command, idle_continuation_cb, &idle);
  pigeon_imap_session_set_unsolicited_func (session, idle_unsolicited_cb, &idle);
  g_assert_true (pigeon_imap_session_send (session, command, NULL, &error));
  g_assert_true (pigeon_imap_session_flush (session, NULL, &error));
  while (idle.exists == 0)
    g_assert_true (pigeon_imap_session_read_response (session, NULL, &error));
  g_assert_true (idle.idling);
  g_assert_true (pigeon_imap_session_write_line (session, "DONE", FALSE, NULL, &error));
  g_assert_true (pigeon_imap_session_wait (session, command, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pigeon_imap_command_check (command, &error));
  imap_script_assert_done (script);
}

/* ------------------------------------------------------------------ faults */

static void
assert_broken (PigeonImapSession *session,
               GError            *error,
               PigeonErrorCode    code)
{
  g_autoptr(GError) later = NULL;

  g_assert_error (error, PIGEON_ERROR, (gint) code);
  g_assert_true (pigeon_imap_session_is_broken (session));
  g_assert_false (pigeon_imap_session_run_simple (session, "NOOP", NULL, &later));
  g_assert_error (later, PIGEON_ERROR, PIGEON_ERROR_CONNECTION_LOST);
}

static void
test_unexpected_continuation (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready", "C: A1 NOOP", "S: + surprise"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
  assert_broken (session, error, PIGEON_ERROR_PROTOCOL);
}

static void
test_unknown_tag (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready", "C: A1 NOOP", "S: A7 OK whose?"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
  assert_broken (session, error, PIGEON_ERROR_PROTOCOL);
}

static void
test_malformed_breaks (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready", "C: A1 UID FETCH 1 (FLAGS)", "S: * 1 FETCH (UID 1 FLAGS (\\Seen)",
    "S: A1 OK"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_run_simple (session, "UID FETCH 1 (FLAGS)", NULL, &error));
  assert_broken (session, error, PIGEON_ERROR_PROTOCOL);
}

static void
test_bye (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready", "C: A1 NOOP", "S: * BYE Server shutting down for maintenance", "X:"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
  g_assert_nonnull (strstr (error->message, "Server shutting down for maintenance"));
  assert_broken (session, error, PIGEON_ERROR_CONNECTION_LOST);
}

static void
test_dropped (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready", "C: A1 UID FETCH 1 (BODY[])", "S: * 1 FETCH (UID 1 BODY[] {100}",
    "S: short", "X:"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_imap_session_run_simple (session, "UID FETCH 1 (BODY[])", NULL, &error));
  assert_broken (session, error, PIGEON_ERROR_CONNECTION_LOST);
}

static void
test_error_mapping (void)
{
  static const struct { const char *reply; PigeonErrorCode code; const char *text; } cases[] = {
    { "NO [AUTHENTICATIONFAILED] Authentication failed.", PIGEON_ERROR_AUTH,
      "Authentication failed." },
    { "NO [UNAVAILABLE] Try again later", PIGEON_ERROR_SERVER, "Try again later" },
    { "NO [INUSE] Mailbox locked", PIGEON_ERROR_IN_USE, "Mailbox locked" },
    { "NO [NONEXISTENT] No such mailbox", PIGEON_ERROR_NOT_FOUND, "No such mailbox" },
    { "NO [OVERQUOTA] Quota exceeded", PIGEON_ERROR_TOO_BIG, "Quota exceeded" },
    { "NO Something else", PIGEON_ERROR_FAILED, "Something else" },
    { "BAD Error in IMAP command", PIGEON_ERROR_FAILED, "Error in IMAP command" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reply = g_strconcat ("S: A1 ", cases[i].reply, NULL);
      const char *lines[] = { "S: * OK ready", "C: A1 NOOP", reply, NULL };
      g_autoptr(ImapScript) script = imap_script_new (lines);
      g_autoptr(PigeonImapSession) session = start (script);
      g_autoptr(GError) error = NULL;

      g_assert_false (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
      g_assert_error (error, PIGEON_ERROR, (gint) cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].text));
      g_assert_nonnull (strstr (error->message, "NOOP"));
      g_assert_false (pigeon_imap_session_is_broken (session));
    }
}

/* ------------------------------------------------------------------ mailbox state */

static void
test_select (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK ready",
    "C: A1 SELECT INBOX (CONDSTORE)",
    "S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "S: * 172 EXISTS",
    "S: * OK [UIDVALIDITY 3857529045] UIDs valid",
    "S: * OK [UIDNEXT 4392] Predicted next UID",
    "S: * OK [HIGHESTMODSEQ 715194045007] Highest",
    "S: A1 OK [READ-WRITE] SELECT completed",
    "C: A2 EXAMINE \"Sent Items\"",
    "S: A2 NO [NONEXISTENT] Mailbox doesn't exist: Sent Items"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;
  const PigeonImapSelected *selected;

  pigeon_imap_session_set_state (session, PIGEON_IMAP_STATE_AUTHENTICATED);
  g_assert_true (pigeon_imap_session_select (session, "INBOX", FALSE, "(CONDSTORE)", NULL, NULL,
                                             NULL, &error));
  g_assert_no_error (error);
  selected = pigeon_imap_session_get_selected (session);
  g_assert_cmpstr (selected->mailbox, ==, "INBOX");
  g_assert_cmpuint (selected->exists, ==, 172);
  g_assert_cmpuint (selected->uidvalidity, ==, 3857529045u);
  g_assert_cmpuint (selected->uidnext, ==, 4392);
  g_assert_cmpuint (selected->highestmodseq, ==, G_GUINT64_CONSTANT (715194045007));
  g_assert_false (selected->read_only);
  g_assert_cmpint (pigeon_imap_session_get_state (session), ==, PIGEON_IMAP_STATE_SELECTED);

  g_assert_false (pigeon_imap_session_select (session, "Sent Items", TRUE, NULL, NULL, NULL, NULL,
                                              &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  g_assert_null (selected->mailbox);
  g_assert_cmpuint (selected->exists, ==, 0);
  g_assert_cmpint (pigeon_imap_session_get_state (session), ==, PIGEON_IMAP_STATE_AUTHENTICATED);
  imap_script_assert_done (script);
}

static void
test_starttls_and_compress (void)
{
  g_autoptr(ImapScript) script = imap_script_new (SCRIPT (
    "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready",
    "C: A1 STARTTLS",
    "S: A1 OK Begin TLS negotiation now.",
    "T:",
    "C: A2 CAPABILITY",
    "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN COMPRESS=DEFLATE",
    "S: A2 OK",
    "C: A3 COMPRESS DEFLATE",
    "S: A3 OK Begin compression.",
    "Z:",
    "C: A4 NOOP",
    "S: A4 OK"));
  g_autoptr(PigeonImapSession) session = start (script);
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_imap_session_run_simple (session, "STARTTLS", NULL, &error));
  g_assert_true (pigeon_imap_session_start_tls (session, NULL, &error));
  g_assert_false (pigeon_imap_session_has_capability (session, "LOGINDISABLED"));
  g_assert_true (pigeon_imap_session_run_simple (session, "CAPABILITY", NULL, &error));
  g_assert_true (pigeon_imap_session_has_capability (session, "COMPRESS=DEFLATE"));
  g_assert_true (pigeon_imap_session_run_simple (session, "COMPRESS DEFLATE", NULL, &error));
  g_assert_true (pigeon_imap_session_start_compression (session, &error));
  g_assert_true (pigeon_imap_session_run_simple (session, "NOOP", NULL, &error));
  g_assert_no_error (error);
  imap_script_assert_done (script);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/session/greeting", test_greeting);
  g_test_add_func ("/imap/session/greeting-preauth", test_greeting_preauth);
  g_test_add_func ("/imap/session/imap4rev2", test_imap4rev2);
  g_test_add_func ("/imap/session/greeting-bye", test_greeting_bye);
  g_test_add_func ("/imap/session/greeting-garbage", test_greeting_garbage);
  g_test_add_func ("/imap/session/pipelining", test_pipelining);
  g_test_add_func ("/imap/session/astring", test_astring);
  g_test_add_func ("/imap/session/literal-plus", test_literal_plus);
  g_test_add_func ("/imap/session/literal-sync", test_literal_sync);
  g_test_add_func ("/imap/session/literal-refused", test_literal_refused);
  g_test_add_func ("/imap/session/literal-minus", test_literal_minus);
  g_test_add_func ("/imap/session/continuation", test_continuation_func);
  g_test_add_func ("/imap/session/unexpected-continuation", test_unexpected_continuation);
  g_test_add_func ("/imap/session/unknown-tag", test_unknown_tag);
  g_test_add_func ("/imap/session/malformed-breaks", test_malformed_breaks);
  g_test_add_func ("/imap/session/bye", test_bye);
  g_test_add_func ("/imap/session/dropped", test_dropped);
  g_test_add_func ("/imap/session/error-mapping", test_error_mapping);
  g_test_add_func ("/imap/session/select", test_select);
  g_test_add_func ("/imap/session/starttls-compress", test_starttls_and_compress);

  return g_test_run ();
}
