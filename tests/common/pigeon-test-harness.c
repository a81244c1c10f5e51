/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pigeon-test-harness.h"

/* A helper command that has not finished by then is hung: fail with a message rather than
 * leave it to meson's timeout, which would kill the test and not the command. */
#define RUN_TIMEOUT_SECONDS 60

static PigeonTestHarness harness;

static gboolean
parse_port (const char *variable,
            guint16    *port)
{
  const char *value = g_getenv (variable);
  guint64 number;

  if (value == NULL
      || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT16, &number, NULL))
    return FALSE;
  *port = (guint16) number;
  return TRUE;
}

static gboolean
harness_load (void)
{
  g_autofree char *env_file = NULL;

  harness.dir = g_getenv ("PIGEON_TEST_HB");
  harness.host = g_getenv ("PIGEON_TEST_HOST");
  harness.domain = g_getenv ("PIGEON_TEST_DOMAIN");
  harness.ca_file = g_getenv ("PIGEON_TEST_CA_FILE");
  if (harness.dir == NULL || harness.host == NULL || harness.domain == NULL
      || harness.ca_file == NULL || g_getenv ("PIGEON_TEST_HARNESS") == NULL)
    return FALSE;

  /* the variables may outlive the harness they describe */
  env_file = g_build_filename (harness.dir, "session.env", NULL);
  if (!g_file_test (env_file, G_FILE_TEST_IS_REGULAR))
    return FALSE;

  return parse_port ("PIGEON_TEST_IMAP_PORT", &harness.imap_port)
         && parse_port ("PIGEON_TEST_IMAPS_PORT", &harness.imaps_port)
         && parse_port ("PIGEON_TEST_POP3_PORT", &harness.pop3_port)
         && parse_port ("PIGEON_TEST_POP3S_PORT", &harness.pop3s_port)
         && parse_port ("PIGEON_TEST_SMTP_PORT", &harness.smtp_port)
         && parse_port ("PIGEON_TEST_SUBMISSION_PORT", &harness.submission_port)
         && parse_port ("PIGEON_TEST_SUBMISSIONS_PORT", &harness.submissions_port);
}

/**
 * pigeon_test_harness_get:
 *
 * Returns: (nullable): the running harness, or %NULL when the test runs without one
 */
const PigeonTestHarness *
pigeon_test_harness_get (void)
{
  static gsize loaded;
  static gboolean available;

  if (g_once_init_enter (&loaded))
    {
      available = harness_load ();
      g_once_init_leave (&loaded, 1);
    }
  return available ? &harness : NULL;
}

/**
 * pigeon_test_harness_require:
 *
 * Like pigeon_test_harness_get(), but a test binary that needs the harness and runs without
 * it stops here with a message saying how to run it, and fails.
 *
 * Returns: (not nullable): the running harness
 */
const PigeonTestHarness *
pigeon_test_harness_require (void)
{
  const PigeonTestHarness *h = pigeon_test_harness_get ();

  if (h == NULL)
    {
      const char *message =
        "This test needs Pigeon's test harness (mail servers, a keyring and a display), "
        "and none is running. Run it through ./test (./test --suite integration, say), or "
        "start the harness with tests/harness/harness.sh up and source the file it prints "
        "before meson test.";

      g_print ("Bail out! %s\n", message);
      g_printerr ("%s\n", message);
      exit (1);
    }
  return h;
}

static char *
bytes_to_string (GBytes *bytes)
{
  const char *data;
  gsize size = 0;
  char *string;

  data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  string = g_malloc (size + 1);
  if (size > 0)
    memcpy (string, data, size);
  string[size] = '\0';
  return string;
}

typedef struct
{
  GBytes   *out;
  GBytes   *err;
  GError   *error;
  gboolean  done;
  gboolean  timed_out;
  GCancellable *cancellable;
} RunState;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RunState *state = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result,
                                   &state->out, &state->err, &state->error);
  state->done = TRUE;
}

static gboolean
run_timeout_cb (gpointer user_data)
{
  RunState *state = user_data;

  state->timed_out = TRUE;
  g_cancellable_cancel (state->cancellable);
  return G_SOURCE_REMOVE;
}

/**
 * pigeon_test_run:
 * @argv: the command
 * @input: (nullable): what to write to its standard input (closed at once when %NULL)
 * @standard_output: (out) (optional): what it wrote there, NUL-terminated
 * @standard_error: (out) (optional): what it wrote there, NUL-terminated
 *
 * Runs a command (pigeonctl, say) in the test's environment and waits for it.
 *
 * Returns: its exit status, 128 + the signal that killed it, or -1 when it could not be
 *   started or had to be killed after a minute
 */
int
pigeon_test_run (const char * const *argv,
                 const char         *input,
                 char              **standard_output,
                 char              **standard_error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GBytes) stdin_bytes = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GError) error = NULL;
  RunState state = { .cancellable = cancellable };
  int status;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, -1);

  if (standard_output != NULL)
    *standard_output = NULL;
  if (standard_error != NULL)
    *standard_error = NULL;

  subprocess = g_subprocess_newv (argv,
                                  G_SUBPROCESS_FLAGS_STDIN_PIPE
                                  | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                  | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                  &error);
  if (subprocess == NULL)
    {
      g_test_message ("could not start %s: %s", argv[0], error->message);
      if (standard_error != NULL)
        *standard_error = g_strdup (error->message);
      return -1;
    }

  stdin_bytes = g_bytes_new (input, input != NULL ? strlen (input) : 0);

  g_main_context_push_thread_default (context);
  timeout = g_timeout_source_new_seconds (RUN_TIMEOUT_SECONDS);
  g_source_set_callback (timeout, run_timeout_cb, &state, NULL);
  g_source_attach (timeout, context);
  g_subprocess_communicate_async (subprocess, stdin_bytes, cancellable, communicate_cb, &state);
  while (!state.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  if (state.error != NULL)
    {
      if (state.timed_out)
        g_test_message ("%s did not finish within %d s and was killed",
                        argv[0], RUN_TIMEOUT_SECONDS);
      else
        g_test_message ("could not talk to %s: %s", argv[0], state.error->message);
      g_subprocess_force_exit (subprocess);
      g_subprocess_wait (subprocess, NULL, NULL);
      if (standard_error != NULL)
        *standard_error = g_strdup (state.error->message);
      g_clear_error (&state.error);
      g_clear_pointer (&state.out, g_bytes_unref);
      g_clear_pointer (&state.err, g_bytes_unref);
      return -1;
    }

  if (g_subprocess_get_if_exited (subprocess))
    status = g_subprocess_get_exit_status (subprocess);
  else
    status = 128 + g_subprocess_get_term_sig (subprocess);

  if (standard_output != NULL)
    *standard_output = bytes_to_string (state.out);
  if (standard_error != NULL)
    *standard_error = bytes_to_string (state.err);
  g_clear_pointer (&state.out, g_bytes_unref);
  g_clear_pointer (&state.err, g_bytes_unref);
  return status;
}

/* Runs tests/harness/harness.sh; anything but success ends the test binary. */
static void
harness_command (const char * const *args,
                 const char         *input)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  int status;

  pigeon_test_harness_require ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("PIGEON_TEST_HARNESS"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  status = pigeon_test_run ((const char * const *) argv->pdata, input, NULL, &err);
  if (status != 0)
    g_error ("harness.sh %s failed (exit status %d): %s", args[0], status, err);
}

/**
 * pigeon_test_harness_new_user:
 * @user: (out): a user name no other test uses
 * @password: (out): its password
 *
 * Creates a mailbox of its own for the calling test (IMAP, POP3 and SMTP AUTH all accept
 * the pair), so tests running in parallel never share one.
 */
void
pigeon_test_harness_new_user (char **user,
                              char **password)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  static gint counter;
  g_autofree char *name = NULL;
  char secret[21];

  g_return_if_fail (user != NULL && password != NULL);

  name = g_strdup_printf ("u%d-%u-%04x", (int) getpid (),
                          (guint) g_atomic_int_add (&counter, 1),
                          (guint) g_random_int_range (0, 0x10000));
  for (guint i = 0; i < sizeof secret - 1; i++)
    secret[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  secret[sizeof secret - 1] = '\0';

  harness_command ((const char *[]) { "adduser", name, secret, NULL }, NULL);

  *user = g_steal_pointer (&name);
  *password = g_strdup (secret);
}

/**
 * pigeon_test_harness_address:
 * @user: a harness user
 *
 * Returns: (transfer full): the user's mail address
 */
char *
pigeon_test_harness_address (const char *user)
{
  return g_strconcat (user, "@", pigeon_test_harness_require ()->domain, NULL);
}

/**
 * pigeon_test_harness_seed:
 * @user: a harness user
 * @count: how many messages
 * @folder: (nullable): the folder (`Lists/dev`, say); %NULL for INBOX
 *
 * Writes @count realistic messages (plain, HTML, attachments, replies, non-ASCII headers and
 * ten fixed edge cases first) straight into the user's folder, creating it.
 */
void
pigeon_test_harness_seed (const char *user,
                          guint       count,
                          const char *folder)
{
  g_autofree char *number = g_strdup_printf ("%u", count);

  harness_command ((const char *[]) { "seed", user, number, folder ? folder : "INBOX", NULL },
                   NULL);
}

/**
 * pigeon_test_harness_deliver:
 * @user: a harness user
 * @folder: (nullable): the folder; %NULL for INBOX
 * @message: an RFC 5322 message
 *
 * Saves @message through Dovecot, so a client idling on the folder hears of it.
 */
void
pigeon_test_harness_deliver (const char *user,
                             const char *folder,
                             const char *message)
{
  harness_command ((const char *[]) { "deliver", user, folder ? folder : "INBOX", NULL },
                   message);
}

/**
 * pigeon_test_harness_dup_certificate_sha256:
 *
 * The servers' certificate as a test pins it: the SHA-256 of its DER bytes, in lower-case
 * hex without colons.
 *
 * Returns: (transfer full): the fingerprint
 */
char *
pigeon_test_harness_dup_certificate_sha256 (void)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GError) error = NULL;

  certificate = g_tls_certificate_new_from_file (h->ca_file, &error);
  if (certificate == NULL)
    g_error ("cannot read the harness certificate %s: %s", h->ca_file, error->message);
  g_object_get (certificate, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

/**
 * pigeon_test_make_dirs:
 * @config_dir: (out): an empty directory for --config-dir
 * @data_dir: (out): an empty directory for --data-dir
 *
 * Fresh directories of the calling test's own, under the harness (removed with it).
 */
void
pigeon_test_make_dirs (char **config_dir,
                       char **data_dir)
{
  const PigeonTestHarness *h = pigeon_test_harness_require ();
  g_autofree char *base = g_build_filename (h->dir, "tmp", "pigeon-XXXXXX", NULL);

  g_return_if_fail (config_dir != NULL && data_dir != NULL);

  if (g_mkdtemp_full (base, 0700) == NULL)
    g_error ("cannot create a directory under %s/tmp: %s", h->dir, g_strerror (errno));
  *config_dir = g_build_filename (base, "config", NULL);
  *data_dir = g_build_filename (base, "data", NULL);
  if (g_mkdir (*config_dir, 0700) != 0 || g_mkdir (*data_dir, 0700) != 0)
    g_error ("cannot create directories in %s: %s", base, g_strerror (errno));
}

static gboolean
contains (const char *data,
          gsize       size,
          const char *needle,
          gsize       needle_size)
{
  for (gsize i = 0; needle_size <= size && i <= size - needle_size; i++)
    if (data[i] == needle[0] && memcmp (data + i, needle, needle_size) == 0)
      return TRUE;
  return FALSE;
}

/**
 * pigeon_test_find_in_tree:
 * @dir: a directory
 * @needle: the bytes to look for (a password, say)
 *
 * Looks through every regular file under @dir, binary ones (SQLite, WAL) included.
 *
 * Returns: (transfer full) (nullable): the path of a file containing @needle, or %NULL
 */
char *
pigeon_test_find_in_tree (const char *dir,
                          const char *needle)
{
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  g_return_val_if_fail (needle != NULL && *needle != '\0', NULL);

  handle = g_dir_open (dir, 0, &error);
  if (handle == NULL)
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_error ("cannot read the directory %s: %s", dir, error->message);
      return NULL;
    }

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      GStatBuf st;
      gsize size;

      if (g_lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          char *found = pigeon_test_find_in_tree (path, needle);

          if (found != NULL)
            return found;
        }
      else if (S_ISREG (st.st_mode))
        {
          if (!g_file_get_contents (path, &data, &size, &error))
            g_error ("cannot read %s: %s", path, error->message);
          if (contains (data, size, needle, strlen (needle)))
            return g_steal_pointer (&path);
        }
    }
  return NULL;
}

/**
 * pigeon_test_artifact_path:
 * @name: a file name (`add-account.png`, say)
 *
 * Where a test keeps something for people to look at after the run: build/test-artifacts.
 *
 * Returns: (transfer full): the path, whose directory exists
 */
char *
pigeon_test_artifact_path (const char *name)
{
  const char *dir = g_getenv ("PIGEON_TEST_ARTIFACTS");

  if (dir == NULL)
    dir = "test-artifacts";
  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_error ("cannot create %s: %s", dir, g_strerror (errno));
  return g_build_filename (dir, name, NULL);
}
