/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Big messages through a real SOGo: opened as their text with the attachments left on the
 * server, then each attachment fetched by its FileReference, byte for byte what was sent. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-provider.h"
#include "pigeon-providers.h"
#include "pigeon-store.h"
#include "pigeon-test-harness.h"

#define HELPER SOURCE_DIR "/sogo_helper.py"
#define USER "grace"
#define BIG_SIZE (2 * 1024 * 1024 + 12345)

/* A 24×24 PNG. */
static const char logo_base64[] =
  "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAADnklEQVR42hXUqxpFERSF0Z1lWZZlWZZlWZZlWZZlWf6z"
  "LHuO43iA8Vm3+X0f4kN+qA/9YT7sh/vwH+EjfqSP/FE+6kf76B/jY36sDz72x/m4H98nEAIpUAItMAIrcAIvCIIoSIIs"
  "KIIqaIIuGIIpWAIEW3AEVzxIIiRSoiRaYiRW4iReEiRRkiRZUiRV0iRdMiRTsiRItuRIrnyQQiikQim0wiiswim8Iiii"
  "Iimyoiiqoim6YiimYilQbMVRXPUgjdBIjdJojdFYjdN4TdBETdJkTdFUTdN0zdBMzdKg2ZqjufpBBmGQBmXQBmOwBmfw"
  "hmCIhmTIhmKohmbohmGYhmXAsA3HcM2DLMIiLcqiLcZiLc7iLcESLcmSLcVSLc3SLcMyLcuCZVuO5doHOYRDOpRDO4zD"
  "OpzDO4IjOpIjO4qjOpqjO4ZjOpYDx3Ycx3UP8giP9CiP9hiP9TiP9wRP9CRP9hRP9TRP9wzP9CwPnu05nusfFBABGVAB"
  "HTABG3ABHwiBGEiBHCiBGmiBHhiBGVgBAjtwAjc8KCIiMqIiOmIiNuIiPhIiMZIiOVIiNdIiPTIiM7IiRHbkRG58UEIk"
  "ZEIldMIkbMIlfCIkYiIlcqIkaqIlemIkZmIlSOzESdz0oIzIyIzK6IzJ2IzL+EzIxEzK5EzJ1EzL9MzIzMzKkNmZk7n5"
  "QQVRkAVV0AVTsAVX8IVQiIVUyIVSqIVW6IVRmIVVoLALp3DLgyqiIiuqoiumYiuu4iuhEiupkiulUiut0iujMiurQmVX"
  "TuXWBzVEQzZUQzdMwzZcwzdCIzZSIzdKozZaozdGYzZWg8ZunMZtD+qIjuyoju6Yju24ju+ETuykTu6UTu20Tu+MzJys"
  "Dp3dOZ3bHzQQAzlQAz0wAztwAz8IgzhIgzwogzpogz4YgzlYAwZ7cAZ3PGgiJnKiJnpiJnbiJn4SJnGSJnlSJnXSJn0y"
  "JnOyJkz25EzufNBCLORCLfTCLOzCLfwiLOIiLfKiLOqiLfpiLOZiLVjsxVnc9aB/YL6oeyH14uUFwzvpd4zvjN4BvNV9"
  "S/fW5Q36jeg197XlFfS+8pD/23Dgvvj+NmIjN2qjN2ZjN27jN2ETN2mTN2VTN23TN2MzN2v/mb05m7sfdBAHeVAHfTAH"
  "e3AHfwiHeEiHfCiHemiHfhiHeVjn/5l9OId7HnQRF3lRF30xF3txF38Jl3hJl3wpl3ppl34Zl3lZ91/SvpzLvfwAj0rH"
  "rlvy/HQAAAAASUVORK5CYII=";

typedef struct
{
  char           *dir;
  PigeonAccount  *account;
  PigeonStore    *store;
  PigeonProvider *provider;
} Fixture;

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    {
      /* requires the harness: fails (never skips) with a hint when it is missing */
      pigeon_test_harness_require ();
      g_error ("%s is not set: SOGo did not start with the test harness "
               "(install it with build-aux/install-deps.sh test)", name);
    }
  return value;
}

static char *
helper (const char *command,
        ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) "/usr/bin/python3");
  g_ptr_array_add (argv, (char *) HELPER);
  g_ptr_array_add (argv, (char *) command);
  va_start (args, command);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  status = pigeon_test_run ((const char * const *) argv->pdata, NULL, &out, &err);
  if (status != 0)
    g_error ("sogo_helper.py %s failed (%d): %s", command, status, err);
  return g_steal_pointer (&out);
}

/* Sends RAW to USER over SMTP and waits until Dovecot has it. */
static void
send_and_wait (GBytes     *raw,
               const char *subject)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "pigeon-attachments-sogo.eml",
                                            NULL);
  g_autofree char *to = g_strdup_printf ("%s@example.test", USER);

  g_file_set_contents (path, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), &error);
  g_assert_no_error (error);
  g_free (helper ("send-file", "bob@example.test", to, path, NULL));
  g_unlink (path);
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *out = helper ("imap", USER, "INBOX", NULL);

      if (strstr (out, subject) != NULL)
        return;
      g_usleep (G_USEC_PER_SEC / 5);
    }
  g_error ("“%s” never reached %s's INBOX", subject, USER);
}

/* A message with an HTML text, an inline image and a big attachment of BIG's bytes. */
static GBytes *
big_message (const char *subject,
             GBytes     *big,
             GBytes     *logo)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *big64 = g_base64_encode (g_bytes_get_data (big, NULL), g_bytes_get_size (big));
  gsize len = strlen (big64);

  g_string_append_printf (out,
    "From: Bob <bob@example.test>\r\nTo: <%s@example.test>\r\nSubject: %s\r\n"
    "Message-ID: <big-%d-%u@example.test>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
    "--outer\r\nContent-Type: multipart/related; boundary=\"rel\"; type=\"text/html\"\r\n\r\n"
    "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<html><body><p>The quarterly report is attached.</p>"
    "<p><img src=\"cid:logo@pigeon.test\" alt=\"logo\"></p></body></html>\r\n"
    "--rel\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n"
    "Content-ID: <logo@pigeon.test>\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n"
    "--rel--\r\n"
    "--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n",
    USER, subject, (int) getpid (), g_str_hash (subject), logo_base64);
  for (gsize i = 0; i < len; i += 76)
    {
      g_string_append_len (out, big64 + i, MIN (76, len - i));
      g_string_append (out, "\r\n");
    }
  g_string_append (out, "--outer--\r\n");
  return g_string_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
random_bytes (gsize size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  return g_bytes_new_take (data, size);
}

/* An account of USER on SOGo, at URL (NULL: SOGo itself). */
static void
fixture_connect_to (Fixture    *f,
                    const char *url)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("pigeon-activesync-XXXXXX", &error);
  g_assert_no_error (error);
  f->account = pigeon_account_new (USER);
  g_object_set (f->account, "name", USER, "email", USER "@example.test",
                "protocol", "activesync", "host", url ? url : env ("PIGEON_TEST_SOGO_URL"),
                "user", USER,
                "security", PIGEON_SECURITY_NONE, NULL);
  f->store = pigeon_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->provider = pigeon_provider_new_for_account (f->account, f->store, &error);
  g_assert_no_error (error);
  pigeon_provider_set_password (f->provider, "secret-" USER);
  pigeon_provider_connect (f->provider, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_connect (Fixture *f)
{
  fixture_connect_to (f, NULL);
}

static void
fixture_close (Fixture *f)
{
  pigeon_provider_disconnect (f->provider);
  g_clear_object (&f->provider);
  pigeon_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->account);
  g_clear_pointer (&f->dir, g_free);
}

static PigeonMessage *
sync_and_find (Fixture    *f,
               const char *subject)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonFolder) inbox = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  pigeon_provider_sync_folders (f->provider, NULL, &error);
  g_assert_no_error (error);
  inbox = pigeon_store_get_folder_by_role (f->store, PIGEON_FOLDER_ROLE_INBOX, &error);
  g_assert_no_error (error);
  pigeon_provider_sync_folder (f->provider, inbox->id, PIGEON_SYNC_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  messages = pigeon_store_list_messages (f->store, inbox->id, 0, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      PigeonMessage *message = g_ptr_array_index (messages, i);

      if (g_strcmp0 (message->subject, subject) == 0)
        return pigeon_message_copy (message);
    }
  g_error ("“%s” is not in the synced inbox", subject);
}

typedef struct
{
  GMimeObject *placeholder;
  GMimeObject *image;
  GMimeObject *attachment;
  GMimeObject *html;
} Parts;

static void
collect_cb (GMimeObject *parent,
            GMimeObject *part,
            gpointer     data)
{
  Parts *parts = data;
  GMimeContentType *type = g_mime_object_get_content_type (part);

  if (pigeon_provider_parse_placeholder (part, NULL, NULL, NULL))
    parts->placeholder = part;
  else if (g_mime_content_type_is_type (type, "image", "png"))
    parts->image = part;
  else if (g_mime_content_type_is_type (type, "application", "pdf"))
    parts->attachment = part;
  else if (g_mime_content_type_is_type (type, "text", "html"))
    parts->html = part;
}

static GBytes *
part_bytes (GMimeObject *part)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GByteArray *array;

  g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (GMIME_PART (part)), stream);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

/* ------------------------------------------------------------------ tests */

static void
test_fetch_by_reference (void)
{
  Fixture f = { 0 };
  g_autofree char *subject = g_strdup_printf ("Quarterly report %d", (int) getpid ());
  g_autoptr(GBytes) big = random_bytes (BIG_SIZE);
  gsize logo_len = 0;
  g_autofree guchar *logo_data = g_base64_decode (logo_base64, &logo_len);
  g_autoptr(GBytes) logo = g_bytes_new (logo_data, logo_len);
  g_autoptr(GBytes) message = big_message (subject, big, logo);
  g_autoptr(PigeonMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL, fetched = NULL, again = NULL, image = NULL;
  g_autoptr(GMimeMessage) parsed = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *text = NULL;
  guint64 size = 0;
  Parts parts = { 0 };

  send_and_wait (message, subject);
  fixture_connect (&f);
  stored = sync_and_find (&f, subject);
  /* the estimate from the Sync counts the attachment: this is a big message */
  g_assert_cmpint (stored->size, >, 1024 * 1024);
  g_assert_true (stored->has_attachments);

  pigeon_provider_fetch_body (f.provider, stored->id, NULL, &error);
  g_assert_no_error (error);
  raw = pigeon_store_get_body (f.store, stored->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (raw);
  /* the text came without the two megabytes */
  g_assert_cmpuint (g_bytes_get_size (raw), <, 64 * 1024);
  parsed = pigeon_mime_parse (raw, &error);
  g_assert_no_error (error);
  g_mime_message_foreach (parsed, collect_cb, &parts);
  g_assert_nonnull (parts.html);
  text = g_mime_text_part_get_text (GMIME_TEXT_PART (parts.html));
  g_assert_nonnull (strstr (text, "The quarterly report is attached."));
  g_assert_null (parts.attachment);
  g_assert_nonnull (parts.placeholder);
  g_assert_true (pigeon_provider_parse_placeholder (parts.placeholder, &reference, &size, NULL));
  g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (parts.placeholder)), ==, "report.pdf");
  /* an estimate: SOGo gives the size of the part as encoded (base64 in lines: 4/3 and a
   * bit more), where [MS-ASAIRS] asks for the decoded one */
  g_assert_cmpuint (size, >, BIG_SIZE - BIG_SIZE / 10);
  g_assert_cmpuint (size, <, BIG_SIZE / 3 * 4 + BIG_SIZE / 10);
  /* the inline image came with the text, so cid: works */
  g_assert_nonnull (parts.image);
  g_assert_cmpstr (g_mime_part_get_content_id (GMIME_PART (parts.image)), ==, "logo@pigeon.test");
  image = part_bytes (parts.image);
  g_assert_true (g_bytes_equal (image, logo));

  /* the attachment by its FileReference: the bytes that were sent */
  fetched = pigeon_provider_fetch_attachment (f.provider, stored->id, reference, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (fetched), ==, BIG_SIZE);
  g_assert_true (g_bytes_equal (fetched, big));

  /* and it is kept: the stored message now holds it in the placeholder's place */
  g_clear_pointer (&raw, g_bytes_unref);
  g_clear_object (&parsed);
  memset (&parts, 0, sizeof parts);
  raw = pigeon_store_get_body (f.store, stored->id, &error);
  g_assert_no_error (error);
  parsed = pigeon_mime_parse (raw, &error);
  g_assert_no_error (error);
  g_mime_message_foreach (parsed, collect_cb, &parts);
  g_assert_null (parts.placeholder);
  g_assert_nonnull (parts.attachment);
  g_assert_cmpstr (g_mime_part_get_filename (GMIME_PART (parts.attachment)), ==, "report.pdf");
  again = part_bytes (parts.attachment);
  g_assert_true (g_bytes_equal (again, big));
  g_assert_nonnull (parts.html);

  /* a second download of the same one is refused locally: nothing left to fetch */
  g_assert_null (pigeon_provider_fetch_attachment (f.provider, stored->id, reference, NULL,
                                                   &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND);
  fixture_close (&f);
}

/* The connection cut in the middle of a download: a sentence saying so, the placeholder
 * still in place, and the next try brings the whole attachment. */
static void
test_download_cut (void)
{
  Fixture f = { 0 };
  g_autofree char *subject = g_strdup_printf ("Cut report %d", (int) getpid ());
  g_autoptr(GBytes) big = random_bytes (BIG_SIZE);
  g_autoptr(GBytes) message = big_message (subject, big, NULL);
  g_autoptr(PigeonMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL, fetched = NULL;
  g_autoptr(GMimeMessage) parsed = NULL;
  g_autoptr(GSubprocess) proxy = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pigeon-cut-XXXXXX", NULL);
  g_autofree char *port_file = g_build_filename (dir, "port", NULL);
  g_autofree char *arm_file = g_build_filename (dir, "arm", NULL);
  g_autofree char *port = NULL, *url = NULL, *reference = NULL;
  guint64 size = 0;
  Parts parts = { 0 };

  send_and_wait (message, subject);
  proxy = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "/usr/bin/python3", HELPER,
                            "cut-proxy", env ("PIGEON_TEST_SOGO_PORT"), port_file, arm_file, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 500 && !g_file_get_contents (port_file, &port, NULL, NULL); i++)
    g_usleep (10000);
  g_assert_nonnull (port);
  url = g_strdup_printf ("http://127.0.0.1:%u/SOGo/Microsoft-Server-ActiveSync",
                         (guint) g_ascii_strtoull (port, NULL, 10));
  fixture_connect_to (&f, url);
  stored = sync_and_find (&f, subject);
  pigeon_provider_fetch_body (f.provider, stored->id, NULL, &error);
  g_assert_no_error (error);
  raw = pigeon_store_get_body (f.store, stored->id, &error);
  g_assert_no_error (error);
  parsed = pigeon_mime_parse (raw, &error);
  g_mime_message_foreach (parsed, collect_cb, &parts);
  g_assert_nonnull (parts.placeholder);
  g_assert_true (pigeon_provider_parse_placeholder (parts.placeholder, &reference, &size, NULL));

  /* the answer carrying the attachment stops halfway */
  g_file_set_contents (arm_file, "ItemOperations", -1, NULL);
  g_assert_null (pigeon_provider_fetch_attachment (f.provider, stored->id, reference, NULL,
                                                   &error));
  g_assert_nonnull (error);
  g_assert_true (pigeon_error_is_transient (error));
  g_assert_false (g_file_test (arm_file, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  /* nothing was kept of it: the stored message is as it was */
  {
    g_autoptr(GBytes) unchanged = pigeon_store_get_body (f.store, stored->id, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (unchanged, raw));
  }

  /* the next try brings all of it */
  fetched = pigeon_provider_fetch_attachment (f.provider, stored->id, reference, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (fetched, big));
  fixture_close (&f);

  g_subprocess_force_exit (proxy);
  g_subprocess_wait (proxy, NULL, NULL);
  g_unlink (port_file);
  g_rmdir (dir);
}

static void
test_unknown_reference (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  fixture_connect (&f);
  bytes = pigeon_provider_fetch_attachment (f.provider, 1, "mail%2FINBOX%2F999999%2F2", NULL,
                                            &error);
  g_assert_null (bytes);
  g_assert_nonnull (error);
  g_test_message ("SOGo on an unknown FileReference: %s", error->message);
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_providers_register ();
  g_test_add_func ("/activesync/sogo/attachments/fetch-by-reference", test_fetch_by_reference);
  g_test_add_func ("/activesync/sogo/attachments/unknown-reference", test_unknown_reference);
  g_test_add_func ("/activesync/sogo/attachments/download-cut", test_download_cut);
  return g_test_run ();
}
