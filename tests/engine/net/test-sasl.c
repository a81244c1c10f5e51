/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sasl"

#include "config.h"

#include <string.h>

#include "pigeon-error.h"
#include "pigeon-sasl-private.h"
#include "pigeon-sasl.h"

static void
assert_response (GByteArray *response,
                 const char *expected,
                 gsize       expected_len)
{
  g_assert_cmpmem (response->data, response->len, expected, expected_len);
}

static void
step_ok (PigeonSasl *sasl,
         const char *challenge,
         GByteArray *response)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pigeon_sasl_step (sasl, (const guchar *) challenge,
                                   challenge ? strlen (challenge) : 0, response, &error));
  g_assert_no_error (error);
}

static void
test_plain (void)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("plain", "alice@example.org", "s3cret");
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  static const char expected[] = "\0alice@example.org\0s3cret";

  g_assert_cmpstr (pigeon_sasl_get_mechanism (sasl), ==, "PLAIN");
  g_assert_true (pigeon_sasl_has_initial_response (sasl));
  g_assert_false (pigeon_sasl_is_done (sasl));
  step_ok (sasl, NULL, response);
  assert_response (response, expected, sizeof expected - 1);
  g_assert_true (pigeon_sasl_is_done (sasl));

  /* Nothing follows a PLAIN response. */
  g_assert_false (pigeon_sasl_step (sasl, (const guchar *) "more", 4, response, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);

  pigeon_sasl_wipe (response);
  g_assert_cmpuint (response->len, ==, 0);
}

static void
test_login (void)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("LOGIN", "alice", "s3cret");
  g_autoptr(GByteArray) response = g_byte_array_new ();

  g_assert_false (pigeon_sasl_has_initial_response (sasl));
  step_ok (sasl, "Username:", response);
  assert_response (response, "alice", 5);
  g_assert_false (pigeon_sasl_is_done (sasl));
  step_ok (sasl, "Password:", response);
  assert_response (response, "s3cret", 6);
  g_assert_true (pigeon_sasl_is_done (sasl));
}

static void
test_cram_md5 (void)
{
  /* RFC 2195, section 2 */
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("CRAM-MD5", "tim", "tanstaaftanstaaf");
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guchar *challenge = NULL;
  g_autofree char *encoded = NULL;
  gsize length = 0;

  g_assert_false (pigeon_sasl_has_initial_response (sasl));
  challenge = pigeon_sasl_decode ("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
                                  &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (challenge, length, "<1896.697170952@postoffice.reston.mci.net>", 42);
  g_assert_true (pigeon_sasl_step (sasl, challenge, length, response, &error));
  g_assert_no_error (error);
  assert_response (response, "tim b913a602c7eda7a495b4e6e7334d3890", 36);
  encoded = pigeon_sasl_encode (response->data, response->len);
  g_assert_cmpstr (encoded, ==, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  g_assert_true (pigeon_sasl_is_done (sasl));
}

static void
test_cram_md5_empty_challenge (void)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("CRAM-MD5", "tim", "tanstaaftanstaaf");
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (pigeon_sasl_step (sasl, NULL, 0, response, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_false (pigeon_sasl_is_done (sasl));
}

typedef struct
{
  const char *mechanism;
  const char *nonce;
  const char *client_first;
  const char *server_first;
  const char *client_final;
  const char *server_final;
} ScramVector;

/* RFC 5802 section 5 and RFC 7677 section 3: user "user", password "pencil". */
static const ScramVector scram_sha_1 = {
  "SCRAM-SHA-1",
  "fyko+d2lbbFgONRv9qkxdawL",
  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

static const ScramVector scram_sha_256 = {
  "SCRAM-SHA-256",
  "rOprNGfwEbeRWgbNEkqO",
  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

static PigeonSasl *
scram_to_final (const ScramVector *v,
                GByteArray        *response)
{
  PigeonSasl *sasl = pigeon_sasl_new (v->mechanism, "user", "pencil");

  pigeon_sasl_set_client_nonce (sasl, v->nonce);
  g_assert_true (pigeon_sasl_has_initial_response (sasl));
  step_ok (sasl, NULL, response);
  assert_response (response, v->client_first, strlen (v->client_first));
  step_ok (sasl, v->server_first, response);
  assert_response (response, v->client_final, strlen (v->client_final));
  g_assert_false (pigeon_sasl_is_done (sasl));
  return sasl;
}

static void
check_scram_vector (const ScramVector *v)
{
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(PigeonSasl) sasl = scram_to_final (v, response);

  step_ok (sasl, v->server_final, response);
  g_assert_cmpuint (response->len, ==, 0);
  g_assert_true (pigeon_sasl_is_done (sasl));
}

static void
test_scram_sha_1 (void)
{
  check_scram_vector (&scram_sha_1);
}

static void
test_scram_sha_256 (void)
{
  check_scram_vector (&scram_sha_256);
}

static void
test_scram_bad_server_signature (void)
{
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(PigeonSasl) sasl = scram_to_final (&scram_sha_256, response);
  g_autoptr(GError) error = NULL;
  const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  g_assert_false (pigeon_sasl_step (sasl, (const guchar *) forged, strlen (forged), response,
                                    &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
  g_assert_false (pigeon_sasl_is_done (sasl));
}

static void
test_scram_server_error (void)
{
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(PigeonSasl) sasl = scram_to_final (&scram_sha_1, response);
  g_autoptr(GError) error = NULL;
  const char *failure = "e=invalid-proof";

  g_assert_false (pigeon_sasl_step (sasl, (const guchar *) failure, strlen (failure),
                                    response, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "invalid-proof"));
  g_assert_false (pigeon_sasl_is_done (sasl));
}

static void
check_bad_server_first (const char *server_first)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  pigeon_sasl_set_client_nonce (sasl, scram_sha_1.nonce);
  step_ok (sasl, NULL, response);
  g_assert_false (pigeon_sasl_step (sasl, (const guchar *) server_first, strlen (server_first),
                                    response, &error));
  g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
}

static void
test_scram_bad_server_first (void)
{
  /* Not our nonce, our nonce unextended, no salt, bad salt, no or silly iterations, an
   * unknown mandatory extension, a stalling iteration count. */
  check_bad_server_first ("r=someoneelse3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,i=4096");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,s=Q!XCR+Q6sek8bf92,i=4096");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=0");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=12x");
  check_bad_server_first ("m=ext,r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=4096");
  check_bad_server_first ("r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=4000000000");
}

static void
test_scram_username_escape (void)
{
  g_autoptr(PigeonSasl) sasl = pigeon_sasl_new ("SCRAM-SHA-256", "a,b=c", "pw");
  g_autoptr(GByteArray) response = g_byte_array_new ();
  g_autoptr(PigeonSasl) random_nonce = pigeon_sasl_new ("SCRAM-SHA-256", "u", "pw");
  g_autofree char *first = NULL;

  pigeon_sasl_set_client_nonce (sasl, "abc");
  step_ok (sasl, NULL, response);
  assert_response (response, "n,,n=a=2Cb=3Dc,r=abc", 20);

  /* Without the hook the nonce is random: 18 bytes, base64. */
  step_ok (random_nonce, NULL, response);
  first = g_strndup ((const char *) response->data, response->len);
  g_assert_true (g_str_has_prefix (first, "n,,n=u,r="));
  g_assert_cmpuint (strlen (first), ==, strlen ("n,,n=u,r=") + 24);
}

static void
test_scram_saslprep (void)
{
  /* RFC 4013: a no-break space is a space and a soft hyphen vanishes, so both spellings
   * must produce the same proof. */
  g_autoptr(PigeonSasl) a = pigeon_sasl_new ("SCRAM-SHA-1", "user", "pen cil");
  g_autoptr(PigeonSasl) b = pigeon_sasl_new ("SCRAM-SHA-1", "user", "pen\xc2\xa0" "c\xc2\xad" "il");
  g_autoptr(GByteArray) ra = g_byte_array_new ();
  g_autoptr(GByteArray) rb = g_byte_array_new ();

  pigeon_sasl_set_client_nonce (a, scram_sha_1.nonce);
  pigeon_sasl_set_client_nonce (b, scram_sha_1.nonce);
  step_ok (a, NULL, ra);
  step_ok (b, NULL, rb);
  step_ok (a, scram_sha_1.server_first, ra);
  step_ok (b, scram_sha_1.server_first, rb);
  g_assert_cmpmem (ra->data, ra->len, rb->data, rb->len);
  /* And differ from "pencil": the test would pass trivially otherwise. */
  g_assert_cmpint (memcmp (ra->data, scram_sha_1.client_final, ra->len), !=, 0);
}

static void
test_choose (void)
{
  const char *all[] = { "LOGIN", "plain", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", NULL };
  const char *with_plus[] = { "SCRAM-SHA-256-PLUS", "PLAIN", NULL };
  const char *passwords[] = { "LOGIN", "PLAIN", NULL };
  const char *login_only[] = { "LOGIN", NULL };
  const char *cram[] = { "PLAIN", "CRAM-MD5", NULL };
  const char *unknown[] = { "GSSAPI", "XOAUTH2", "NTLM", NULL };
  const char *none[] = { NULL };
  const char *no_sha256[] = { "CRAM-MD5", "SCRAM-SHA-1", NULL };

  g_assert_cmpstr (pigeon_sasl_choose (all, TRUE, FALSE), ==, "SCRAM-SHA-256");
  g_assert_cmpstr (pigeon_sasl_choose (all, FALSE, FALSE), ==, "SCRAM-SHA-256");
  g_assert_cmpstr (pigeon_sasl_choose (no_sha256, FALSE, FALSE), ==, "SCRAM-SHA-1");
  g_assert_cmpstr (pigeon_sasl_choose (with_plus, TRUE, FALSE), ==, "PLAIN");

  /* Over TLS: PLAIN before LOGIN, and before CRAM-MD5. */
  g_assert_cmpstr (pigeon_sasl_choose (passwords, TRUE, FALSE), ==, "PLAIN");
  g_assert_cmpstr (pigeon_sasl_choose (login_only, TRUE, FALSE), ==, "LOGIN");
  g_assert_cmpstr (pigeon_sasl_choose (cram, TRUE, FALSE), ==, "PLAIN");

  /* In the clear: never the password itself unless the user opted in. */
  g_assert_null (pigeon_sasl_choose (passwords, FALSE, FALSE));
  g_assert_null (pigeon_sasl_choose (login_only, FALSE, FALSE));
  g_assert_cmpstr (pigeon_sasl_choose (cram, FALSE, FALSE), ==, "CRAM-MD5");
  g_assert_cmpstr (pigeon_sasl_choose (passwords, FALSE, TRUE), ==, "PLAIN");
  g_assert_cmpstr (pigeon_sasl_choose (with_plus, FALSE, FALSE), ==, NULL);

  g_assert_null (pigeon_sasl_choose (unknown, TRUE, TRUE));
  g_assert_null (pigeon_sasl_choose (none, TRUE, TRUE));
  g_assert_null (pigeon_sasl_choose (NULL, TRUE, TRUE));

  g_assert_true (pigeon_sasl_is_supported ("scram-sha-1"));
  g_assert_false (pigeon_sasl_is_supported ("SCRAM-SHA-1-PLUS"));
  g_assert_false (pigeon_sasl_is_supported (NULL));
}

static void
test_base64 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *empty = pigeon_sasl_encode (NULL, 0);
  const char *bad[] = { "abc", "ab=c", "a===", "ab c", "YW\nJj", "!!!!", NULL };
  gsize length = 99;

  g_assert_cmpstr (empty, ==, "");
  decoded = pigeon_sasl_decode ("", &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, 0);
  g_clear_pointer (&decoded, g_free);

  decoded = pigeon_sasl_decode ("YWJjZA==", &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, length, "abcd", 4);

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autofree guchar *none = pigeon_sasl_decode (bad[i], &length, &error);

      g_assert_null (none);
      g_assert_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL);
      g_clear_error (&error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/net/sasl/plain", test_plain);
  g_test_add_func ("/net/sasl/login", test_login);
  g_test_add_func ("/net/sasl/cram-md5", test_cram_md5);
  g_test_add_func ("/net/sasl/cram-md5-empty-challenge", test_cram_md5_empty_challenge);
  g_test_add_func ("/net/sasl/scram-sha-1", test_scram_sha_1);
  g_test_add_func ("/net/sasl/scram-sha-256", test_scram_sha_256);
  g_test_add_func ("/net/sasl/scram-bad-server-signature", test_scram_bad_server_signature);
  g_test_add_func ("/net/sasl/scram-server-error", test_scram_server_error);
  g_test_add_func ("/net/sasl/scram-bad-server-first", test_scram_bad_server_first);
  g_test_add_func ("/net/sasl/scram-username-escape", test_scram_username_escape);
  g_test_add_func ("/net/sasl/scram-saslprep", test_scram_saslprep);
  g_test_add_func ("/net/sasl/choose", test_choose);
  g_test_add_func ("/net/sasl/base64", test_base64);

  return g_test_run ();
}
