/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-net"

#include "config.h"

#include <string.h>
#include <sys/random.h>

#include <glib/gi18n-lib.h>

#include "pigeon-error.h"
#include "pigeon-sasl-private.h"
#include "pigeon-sasl.h"

/* A server asking for more rounds than this is trying to stall us. */
#define SCRAM_MAX_ITERATIONS 1000000
#define SCRAM_NONCE_BYTES    18
#define MAX_DIGEST           32

typedef enum
{
  MECH_PLAIN,
  MECH_LOGIN,
  MECH_CRAM_MD5,
  MECH_SCRAM_SHA_1,
  MECH_SCRAM_SHA_256,
} Mechanism;

static const char * const mechanism_names[] = {
  [MECH_PLAIN] = "PLAIN",
  [MECH_LOGIN] = "LOGIN",
  [MECH_CRAM_MD5] = "CRAM-MD5",
  [MECH_SCRAM_SHA_1] = "SCRAM-SHA-1",
  [MECH_SCRAM_SHA_256] = "SCRAM-SHA-256",
};

struct _PigeonSasl
{
  Mechanism mechanism;
  char *user;
  char *password;
  guint step;
  gboolean done;

  /* SCRAM */
  char *client_nonce;
  char *client_first_bare;
  guchar server_signature[MAX_DIGEST];
};

static void
wipe_string (char *str)
{
  if (str != NULL)
    {
      explicit_bzero (str, strlen (str));
      g_free (str);
    }
}

typedef char char_secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (char_secret, wipe_string)

static gboolean
lookup_mechanism (const char *name,
                  Mechanism  *out)
{
  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (mechanism_names); i++)
    {
      if (g_ascii_strcasecmp (name, mechanism_names[i]) == 0)
        {
          *out = (Mechanism) i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
pigeon_sasl_is_supported (const char *mechanism)
{
  Mechanism m;

  return lookup_mechanism (mechanism, &m);
}

const char *
pigeon_sasl_choose (const char * const *offered,
                    gboolean            encrypted,
                    gboolean            allow_plaintext)
{
  /* SCRAM proves both sides without showing the password to anyone, even to a server
   * that only pretends to be ours; over TLS, PLAIN works with every kind of stored
   * password, which CRAM-MD5 does not. */
  static const Mechanism encrypted_order[] = {
    MECH_SCRAM_SHA_256, MECH_SCRAM_SHA_1, MECH_PLAIN, MECH_LOGIN, MECH_CRAM_MD5,
  };
  static const Mechanism plain_order[] = {
    MECH_SCRAM_SHA_256, MECH_SCRAM_SHA_1, MECH_CRAM_MD5, MECH_PLAIN, MECH_LOGIN,
  };
  const Mechanism *order = encrypted ? encrypted_order : plain_order;

  if (offered == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (encrypted_order); i++)
    {
      Mechanism want = order[i];

      if (!encrypted && !allow_plaintext && (want == MECH_PLAIN || want == MECH_LOGIN))
        continue;
      for (guint j = 0; offered[j] != NULL; j++)
        {
          if (g_ascii_strcasecmp (offered[j], mechanism_names[want]) == 0)
            return mechanism_names[want];
        }
    }
  return NULL;
}

PigeonSasl *
pigeon_sasl_new (const char *mechanism,
                 const char *user,
                 const char *password)
{
  PigeonSasl *self;
  Mechanism m;

  g_return_val_if_fail (lookup_mechanism (mechanism, &m), NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  self = g_new0 (PigeonSasl, 1);
  self->mechanism = m;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  return self;
}

void
pigeon_sasl_free (PigeonSasl *self)
{
  if (self == NULL)
    return;
  wipe_string (self->password);
  wipe_string (self->client_first_bare);
  g_free (self->client_nonce);
  g_free (self->user);
  explicit_bzero (self, sizeof *self);
  g_free (self);
}

const char *
pigeon_sasl_get_mechanism (PigeonSasl *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return mechanism_names[self->mechanism];
}

gboolean
pigeon_sasl_has_initial_response (PigeonSasl *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->mechanism == MECH_PLAIN || self->mechanism == MECH_SCRAM_SHA_1 ||
         self->mechanism == MECH_SCRAM_SHA_256;
}

gboolean
pigeon_sasl_is_done (PigeonSasl *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->done;
}

void
pigeon_sasl_set_client_nonce (PigeonSasl *self,
                              const char *nonce)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (nonce != NULL && *nonce != '\0');

  g_free (self->client_nonce);
  self->client_nonce = g_strdup (nonce);
}

char *
pigeon_sasl_encode (const guchar *data,
                    gsize         length)
{
  if (length == 0)
    return g_strdup ("");
  return g_base64_encode (data, length);
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

guchar *
pigeon_sasl_decode (const char  *text,
                    gsize       *length,
                    GError     **error)
{
  gsize len, padding = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  len = strlen (text);
  if (len >= 1 && text[len - 1] == '=')
    padding++;
  if (len >= 2 && text[len - 2] == '=')
    padding++;
  for (gsize i = 0; i < len - padding; i++)
    {
      if (!is_base64_char (text[i]))
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                       _("The server sent a malformed base64 challenge."));
          return NULL;
        }
    }
  if (len % 4 != 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server sent a malformed base64 challenge."));
      return NULL;
    }
  if (len == 0)
    {
      *length = 0;
      return g_malloc0 (1);
    }
  return g_base64_decode (text, length);
}

void
pigeon_sasl_wipe (GByteArray *bytes)
{
  g_return_if_fail (bytes != NULL);

  if (bytes->len > 0)
    explicit_bzero (bytes->data, bytes->len);
  g_byte_array_set_size (bytes, 0);
}

static void
respond (GByteArray *response,
         const void *data,
         gsize       length)
{
  pigeon_sasl_wipe (response);
  g_byte_array_append (response, data, length);
}

static gboolean
malformed (PigeonSasl  *self,
           GError     **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               _("The server sent a malformed %s challenge."),
               mechanism_names[self->mechanism]);
  return FALSE;
}

/* PLAIN, LOGIN, CRAM-MD5 */

static gboolean
step_plain (PigeonSasl  *self,
            GByteArray  *response)
{
  gsize ulen = strlen (self->user), plen = strlen (self->password);

  pigeon_sasl_wipe (response);
  /* authzid (empty) NUL authcid NUL password */
  g_byte_array_append (response, (const guint8 *) "", 1);
  g_byte_array_append (response, (const guint8 *) self->user, ulen);
  g_byte_array_append (response, (const guint8 *) "", 1);
  g_byte_array_append (response, (const guint8 *) self->password, plen);
  self->done = TRUE;
  return TRUE;
}

static gboolean
step_login (PigeonSasl  *self,
            GByteArray  *response)
{
  /* The prompts ("Username:", "Password:") vary between servers; their order does not. */
  if (self->step == 0)
    {
      respond (response, self->user, strlen (self->user));
    }
  else
    {
      respond (response, self->password, strlen (self->password));
      self->done = TRUE;
    }
  return TRUE;
}

static gboolean
step_cram_md5 (PigeonSasl    *self,
               const guchar  *challenge,
               gsize          length,
               GByteArray    *response,
               GError       **error)
{
  g_autofree char *digest = NULL;

  if (length == 0)
    return malformed (self, error);

  digest = g_compute_hmac_for_data (G_CHECKSUM_MD5, (const guchar *) self->password,
                                    strlen (self->password), challenge, length);
  pigeon_sasl_wipe (response);
  g_byte_array_append (response, (const guint8 *) self->user, strlen (self->user));
  g_byte_array_append (response, (const guint8 *) " ", 1);
  g_byte_array_append (response, (const guint8 *) digest, strlen (digest));
  self->done = TRUE;
  return TRUE;
}

/* SCRAM (RFC 5802) */

static GChecksumType
scram_hash (PigeonSasl *self)
{
  return self->mechanism == MECH_SCRAM_SHA_1 ? G_CHECKSUM_SHA1 : G_CHECKSUM_SHA256;
}

static gsize
scram_digest_len (PigeonSasl *self)
{
  return g_checksum_type_get_length (scram_hash (self));
}

static void
hmac (GChecksumType  type,
      const guchar  *key,
      gsize          key_len,
      const void    *data,
      gsize          len,
      guchar        *out)
{
  GHmac *h = g_hmac_new (type, key, key_len);
  gsize out_len = g_checksum_type_get_length (type);

  g_hmac_update (h, data, len);
  g_hmac_get_digest (h, out, &out_len);
  g_hmac_unref (h);
}

/* Hi() of RFC 5802: PBKDF2 with HMAC and one output block. */
static void
scram_hi (GChecksumType  type,
          const char    *password,
          const guchar  *salt,
          gsize          salt_len,
          guint          iterations,
          guchar        *out)
{
  static const guchar block_one[4] = { 0, 0, 0, 1 };
  gsize dlen = g_checksum_type_get_length (type);
  GHmac *keyed = g_hmac_new (type, (const guchar *) password, strlen (password));
  guchar u[MAX_DIGEST];
  GHmac *h;
  gsize n;

  h = g_hmac_copy (keyed);
  g_hmac_update (h, salt, salt_len);
  g_hmac_update (h, block_one, sizeof block_one);
  n = dlen;
  g_hmac_get_digest (h, u, &n);
  g_hmac_unref (h);
  memcpy (out, u, dlen);

  for (guint i = 1; i < iterations; i++)
    {
      h = g_hmac_copy (keyed);
      g_hmac_update (h, u, dlen);
      n = dlen;
      g_hmac_get_digest (h, u, &n);
      g_hmac_unref (h);
      for (gsize j = 0; j < dlen; j++)
        out[j] ^= u[j];
    }
  g_hmac_unref (keyed);
  explicit_bzero (u, sizeof u);
}

static gboolean
in_ranges (gunichar       c,
           const gunichar ranges[][2],
           gsize          n_ranges)
{
  for (gsize i = 0; i < n_ranges; i++)
    {
      if (c >= ranges[i][0] && c <= ranges[i][1])
        return TRUE;
    }
  return FALSE;
}

/* SASLprep (RFC 4013) mapping and normalisation: characters commonly mapped to nothing
 * are dropped, non-ASCII spaces become spaces, then NFKC.  ASCII passwords come out
 * unchanged; a password that is not UTF-8 is used as it is. */
static char *
saslprep (const char *password)
{
  static const gunichar to_nothing[][2] = {
    { 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x1806, 0x1806 }, { 0x180B, 0x180D },
    { 0x200B, 0x200D }, { 0x2060, 0x2060 }, { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF },
  };
  static const gunichar to_space[][2] = {
    { 0x00A0, 0x00A0 }, { 0x1680, 0x1680 }, { 0x2000, 0x200A }, { 0x202F, 0x202F },
    { 0x205F, 0x205F }, { 0x3000, 0x3000 },
  };
  GString *mapped;
  char *normalized;

  if (!g_utf8_validate (password, -1, NULL))
    return g_strdup (password);

  mapped = g_string_sized_new (strlen (password) + 1);
  for (const char *p = password; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (in_ranges (c, to_nothing, G_N_ELEMENTS (to_nothing)))
        continue;
      if (in_ranges (c, to_space, G_N_ELEMENTS (to_space)))
        c = ' ';
      g_string_append_unichar (mapped, c);
    }
  normalized = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFKC);
  explicit_bzero (mapped->str, mapped->allocated_len);
  g_string_free (mapped, TRUE);
  return normalized ? normalized : g_strdup (password);
}

static char *
scram_escape_user (const char *user)
{
  GString *out = g_string_new (NULL);

  for (const char *p = user; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (out, "=2C");
      else if (*p == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
scram_make_nonce (PigeonSasl  *self,
                  GError     **error)
{
  guchar random[SCRAM_NONCE_BYTES];

  if (self->client_nonce != NULL)
    return TRUE;
  if (getrandom (random, sizeof random, 0) != sizeof random)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                   _("The system could not provide random numbers for logging in."));
      return FALSE;
    }
  self->client_nonce = g_base64_encode (random, sizeof random);
  return TRUE;
}

static gboolean
scram_client_first (PigeonSasl  *self,
                    gsize        length,
                    GByteArray  *response,
                    GError     **error)
{
  g_autofree char *user = NULL;
  g_autofree char *message = NULL;

  if (length != 0)
    return malformed (self, error);
  if (!scram_make_nonce (self, error))
    return FALSE;

  user = scram_escape_user (self->user);
  self->client_first_bare = g_strdup_printf ("n=%s,r=%s", user, self->client_nonce);
  /* gs2 header: no channel binding, no authzid */
  message = g_strconcat ("n,,", self->client_first_bare, NULL);
  respond (response, message, strlen (message));
  return TRUE;
}

/* The value of attribute NAME in a SCRAM message, or NULL. */
static const char *
scram_attribute (char       **parts,
                 char         name)
{
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == name && parts[i][1] == '=')
        return parts[i] + 2;
    }
  return NULL;
}

static gboolean
scram_client_final (PigeonSasl    *self,
                    const guchar  *challenge,
                    gsize          length,
                    GByteArray    *response,
                    GError       **error)
{
  GChecksumType type = scram_hash (self);
  gsize dlen = scram_digest_len (self);
  g_autofree char *server_first = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guchar *salt = NULL;
  g_autofree char *without_proof = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *proof_b64 = NULL;
  g_autoptr(char_secret) password = NULL;
  const char *nonce, *salt_b64, *iter_str;
  guchar salted[MAX_DIGEST], client_key[MAX_DIGEST], stored_key[MAX_DIGEST];
  guchar client_signature[MAX_DIGEST], proof[MAX_DIGEST], server_key[MAX_DIGEST];
  gsize salt_len = 0, stored_len = dlen;
  guint64 iterations;
  char *end = NULL;
  GChecksum *checksum;

  if (length == 0 || memchr (challenge, '\0', length) != NULL)
    return malformed (self, error);
  server_first = g_strndup ((const char *) challenge, length);
  parts = g_strsplit (server_first, ",", -1);

  /* m= announces an extension we would have to understand. */
  if (parts[0] == NULL || g_str_has_prefix (parts[0], "m="))
    return malformed (self, error);
  nonce = scram_attribute (parts, 'r');
  salt_b64 = scram_attribute (parts, 's');
  iter_str = scram_attribute (parts, 'i');
  if (nonce == NULL || salt_b64 == NULL || iter_str == NULL)
    return malformed (self, error);

  /* The server extends our nonce; anything else is a replay or an impostor. */
  if (!g_str_has_prefix (nonce, self->client_nonce) ||
      strlen (nonce) <= strlen (self->client_nonce))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server answered the %s login with a nonce that does not match."),
                   mechanism_names[self->mechanism]);
      return FALSE;
    }

  salt = pigeon_sasl_decode (salt_b64, &salt_len, NULL);
  iterations = g_ascii_strtoull (iter_str, &end, 10);
  if (salt == NULL || salt_len == 0 || end == iter_str || *end != '\0' || iterations == 0)
    return malformed (self, error);
  if (iterations > SCRAM_MAX_ITERATIONS)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server asked for %llu %s rounds, more than the "
                     "limit of %d."),
                   (unsigned long long) iterations, mechanism_names[self->mechanism],
                   SCRAM_MAX_ITERATIONS);
      return FALSE;
    }

  password = saslprep (self->password);
  scram_hi (type, password, salt, salt_len, (guint) iterations, salted);

  hmac (type, salted, dlen, "Client Key", strlen ("Client Key"), client_key);
  checksum = g_checksum_new (type);
  g_checksum_update (checksum, client_key, dlen);
  g_checksum_get_digest (checksum, stored_key, &stored_len);
  g_checksum_free (checksum);

  /* "biws" is base64 of the gs2 header "n,,". */
  without_proof = g_strdup_printf ("c=biws,r=%s", nonce);
  auth_message = g_strdup_printf ("%s,%s,%s", self->client_first_bare, server_first,
                                  without_proof);
  hmac (type, stored_key, dlen, auth_message, strlen (auth_message), client_signature);
  for (gsize i = 0; i < dlen; i++)
    proof[i] = client_key[i] ^ client_signature[i];

  hmac (type, salted, dlen, "Server Key", strlen ("Server Key"), server_key);
  hmac (type, server_key, dlen, auth_message, strlen (auth_message), self->server_signature);

  proof_b64 = g_base64_encode (proof, dlen);
  pigeon_sasl_wipe (response);
  g_byte_array_append (response, (const guint8 *) without_proof, strlen (without_proof));
  g_byte_array_append (response, (const guint8 *) ",p=", 3);
  g_byte_array_append (response, (const guint8 *) proof_b64, strlen (proof_b64));

  explicit_bzero (salted, sizeof salted);
  explicit_bzero (client_key, sizeof client_key);
  explicit_bzero (stored_key, sizeof stored_key);
  explicit_bzero (server_key, sizeof server_key);
  explicit_bzero (proof, sizeof proof);
  return TRUE;
}

static gboolean
scram_verify_server (PigeonSasl    *self,
                     const guchar  *challenge,
                     gsize          length,
                     GByteArray    *response,
                     GError       **error)
{
  gsize dlen = scram_digest_len (self);
  g_autofree char *server_final = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guchar *signature = NULL;
  const char *verifier, *failure;
  gsize sig_len = 0;
  guchar diff = 0;

  if (length == 0 || memchr (challenge, '\0', length) != NULL)
    return malformed (self, error);
  server_final = g_strndup ((const char *) challenge, length);
  parts = g_strsplit (server_final, ",", -1);

  failure = scram_attribute (parts, 'e');
  if (failure != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_AUTH,
                   _("The server rejected the %s login: %s"),
                   mechanism_names[self->mechanism], failure);
      return FALSE;
    }

  verifier = scram_attribute (parts, 'v');
  if (verifier == NULL)
    return malformed (self, error);
  signature = pigeon_sasl_decode (verifier, &sig_len, NULL);
  if (signature == NULL || sig_len != dlen)
    return malformed (self, error);
  for (gsize i = 0; i < dlen; i++)
    diff |= signature[i] ^ self->server_signature[i];
  if (diff != 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server could not prove that it knows your password (%s signature "
                     "mismatch); it may not be the server it claims to be."),
                   mechanism_names[self->mechanism]);
      return FALSE;
    }

  pigeon_sasl_wipe (response);
  self->done = TRUE;
  return TRUE;
}

gboolean
pigeon_sasl_step (PigeonSasl    *self,
                  const guchar  *challenge,
                  gsize          length,
                  GByteArray    *response_out,
                  GError       **error)
{
  gboolean ok = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (challenge != NULL || length == 0, FALSE);
  g_return_val_if_fail (response_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->done)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server continued the %s login after it was complete."),
                   mechanism_names[self->mechanism]);
      return FALSE;
    }

  switch (self->mechanism)
    {
    case MECH_PLAIN:
      ok = step_plain (self, response_out);
      break;
    case MECH_LOGIN:
      ok = step_login (self, response_out);
      break;
    case MECH_CRAM_MD5:
      ok = step_cram_md5 (self, challenge, length, response_out, error);
      break;
    case MECH_SCRAM_SHA_1:
    case MECH_SCRAM_SHA_256:
      if (self->step == 0)
        ok = scram_client_first (self, length, response_out, error);
      else if (self->step == 1)
        ok = scram_client_final (self, challenge, length, response_out, error);
      else
        ok = scram_verify_server (self, challenge, length, response_out, error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (ok)
    self->step++;
  return ok;
}
