/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-net"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pigeon-certificate.h"
#include "pigeon-error.h"

char *
pigeon_certificate_dup_sha256 (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static char *
format_fingerprint (const char *hex)
{
  GString *out = g_string_sized_new (96);

  for (gsize i = 0; hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (hex[i]));
    }
  return g_string_free (out, FALSE);
}

char *
pigeon_certificate_dup_fingerprint (GTlsCertificate *certificate)
{
  g_autofree char *hex = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  hex = pigeon_certificate_dup_sha256 (certificate);
  return hex ? format_fingerprint (hex) : NULL;
}

static char *
format_date (GDateTime *date)
{
  if (date == NULL)
    return g_strdup (_("an unknown date"));
  return g_date_time_format (date, "%Y-%m-%d");
}

static char *
certificate_names (GTlsCertificate *certificate)
{
  g_autoptr(GPtrArray) dns = g_tls_certificate_get_dns_names (certificate);
  g_autoptr(GPtrArray) ips = g_tls_certificate_get_ip_addresses (certificate);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; dns != NULL && i < dns->len; i++)
    {
      gsize size;
      const char *name = g_bytes_get_data (dns->pdata[i], &size);

      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append_len (out, name, size);
    }
  for (guint i = 0; ips != NULL && i < ips->len; i++)
    {
      g_autofree char *ip = g_inet_address_to_string (ips->pdata[i]);

      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, ip);
    }
  if (out->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
add_reason (GPtrArray  *reasons,
            char       *reason)
{
  g_ptr_array_add (reasons, reason);
}

static char *
join_reasons (GPtrArray *reasons)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < reasons->len; i++)
    {
      if (i > 0)
        g_string_append (out, i + 1 == reasons->len ? _(" and ") : ", ");
      g_string_append (out, reasons->pdata[i]);
    }
  return g_string_free (out, FALSE);
}

GError *
pigeon_certificate_new_error (GTlsCertificate      *cert,
                              GTlsCertificateFlags  flags,
                              const char           *host,
                              gboolean              pin_mismatch)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) not_before = g_tls_certificate_get_not_valid_before (cert);
  g_autoptr(GDateTime) not_after = g_tls_certificate_get_not_valid_after (cert);
  g_autofree char *subject = g_tls_certificate_get_subject_name (cert);
  g_autofree char *issuer = g_tls_certificate_get_issuer_name (cert);
  g_autofree char *from = format_date (not_before);
  g_autofree char *until = format_date (not_after);
  g_autofree char *fingerprint = pigeon_certificate_dup_fingerprint (cert);
  g_autofree char *why = NULL;
  g_autofree char *owner = NULL;
  gboolean self_signed = subject != NULL && g_strcmp0 (subject, issuer) == 0;

  /* Some backends skip the date checks once the issuer is unknown; the user should
   * still hear that the certificate expired. */
  if (not_after != NULL && g_date_time_compare (now, not_after) > 0)
    flags |= G_TLS_CERTIFICATE_EXPIRED;
  if (not_before != NULL && g_date_time_compare (now, not_before) < 0)
    flags |= G_TLS_CERTIFICATE_NOT_ACTIVATED;

  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    add_reason (reasons, g_strdup (self_signed ? _("it is self-signed")
                                                : _("it was issued by an unknown authority")));
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_autofree char *names = certificate_names (cert);

      if (names != NULL)
        add_reason (reasons, g_strdup_printf (_("it was issued for %s, not %s"), names,
                                              host));
      else
        add_reason (reasons, g_strdup_printf (_("it was not issued for %s"), host));
    }
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    add_reason (reasons, g_strdup_printf (_("it expired on %s"), until));
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    add_reason (reasons, g_strdup_printf (_("it is not valid before %s"), from));
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    add_reason (reasons, g_strdup (_("it has been revoked")));
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    add_reason (reasons, g_strdup (_("it uses an insecure algorithm")));
  if (pin_mismatch)
    add_reason (reasons, g_strdup (_("it is not the certificate you chose to trust for "
                                     "this server")));
  if (reasons->len == 0)
    add_reason (reasons, g_strdup (_("it could not be verified")));
  why = join_reasons (reasons);

  if (self_signed || issuer == NULL)
    owner = g_strdup_printf (_("issued to %s"), subject ? subject : _("an unnamed owner"));
  else
    owner = g_strdup_printf (_("issued to %s by %s"), subject ? subject : _("an unnamed owner"),
                             issuer);

  return g_error_new (PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE,
                      _("The certificate of %s is not trusted: %s (%s). It is valid from %s "
                        "to %s. SHA-256 fingerprint: %s"),
                      host, why, owner, from, until, fingerprint ? fingerprint : "?");
}

char *
pigeon_certificate_error_dup_sha256 (const GError *error)
{
  const char *p;

  if (!g_error_matches (error, PIGEON_ERROR, PIGEON_ERROR_CERTIFICATE))
    return NULL;

  /* Look for 32 hex pairs joined by colons, not preceded by another hex pair. */
  for (p = error->message; *p != '\0'; p++)
    {
      g_autoptr(GString) hex = g_string_sized_new (64);
      const char *q = p;

      if (p != error->message && (g_ascii_isxdigit (p[-1]) || p[-1] == ':'))
        continue;
      while (hex->len < 64 && g_ascii_isxdigit (q[0]) && g_ascii_isxdigit (q[1]))
        {
          g_string_append_c (hex, g_ascii_tolower (q[0]));
          g_string_append_c (hex, g_ascii_tolower (q[1]));
          q += 2;
          if (hex->len < 64)
            {
              if (*q != ':')
                break;
              q++;
            }
        }
      if (hex->len == 64 && !g_ascii_isxdigit (*q) && *q != ':')
        return g_string_free (g_steal_pointer (&hex), FALSE);
    }
  return NULL;
}
