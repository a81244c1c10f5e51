/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <string.h>

#include "pigeon-imap-utf7.h"

static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
alphabet_index (char c)
{
  const char *p;

  if (c == '\0')
    return -1;
  p = strchr (alphabet, c);
  return p != NULL ? (int) (p - alphabet) : -1;
}

/* Decodes the base64 run between '&' and '-' (UTF-16BE) and appends it as UTF-8. */
static gboolean
decode_run (const char *run,
            gsize       length,
            GString    *out)
{
  guint32 bits = 0;
  guint n_bits = 0;
  g_autofree gunichar2 *units = NULL;
  glong n_units = 0;
  g_autofree char *utf8 = NULL;

  if (length == 0)
    return FALSE;  /* "&-" is handled by the caller */
  units = g_new (gunichar2, length * 6 / 16 + 1);
  for (gsize i = 0; i < length; i++)
    {
      int v = alphabet_index (run[i]);

      if (v < 0)
        return FALSE;
      bits = (bits << 6) | (guint32) v;
      n_bits += 6;
      if (n_bits >= 16)
        {
          n_bits -= 16;
          units[n_units++] = (gunichar2) ((bits >> n_bits) & 0xffff);
        }
    }
  /* Leftover bits must be zero padding of less than one base64 digit's worth of a unit. */
  if (n_bits >= 6 || (bits & ((1u << n_bits) - 1)) != 0)
    return FALSE;
  utf8 = g_utf16_to_utf8 (units, n_units, NULL, NULL, NULL);
  if (utf8 == NULL)
    return FALSE;
  /* Printable ASCII must not be encoded (the encoding would not be unique). */
  for (const char *p = utf8; *p; p++)
    if ((guchar) *p >= 0x20 && (guchar) *p <= 0x7e)
      return FALSE;
  g_string_append (out, utf8);
  return TRUE;
}

char *
pigeon_imap_utf7_decode (const char *name)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  out = g_string_new (NULL);
  for (const char *p = name; *p; )
    {
      guchar c = (guchar) *p;

      if (c < 0x20 || c > 0x7e)
        return NULL;
      if (c != '&')
        {
          g_string_append_c (out, (char) c);
          p++;
          continue;
        }
      if (p[1] == '-')
        {
          g_string_append_c (out, '&');
          p += 2;
          continue;
        }
      {
        const char *end = strchr (p + 1, '-');

        if (end == NULL || !decode_run (p + 1, (gsize) (end - p - 1), out))
          return NULL;
        p = end + 1;
      }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
flush_run (GString         *out,
           const gunichar2 *units,
           glong            n_units)
{
  guint32 bits = 0;
  guint n_bits = 0;

  g_string_append_c (out, '&');
  for (glong i = 0; i < n_units; i++)
    {
      bits = (bits << 16) | units[i];
      n_bits += 16;
      while (n_bits >= 6)
        {
          n_bits -= 6;
          g_string_append_c (out, alphabet[(bits >> n_bits) & 0x3f]);
        }
    }
  if (n_bits > 0)
    g_string_append_c (out, alphabet[(bits << (6 - n_bits)) & 0x3f]);
  g_string_append_c (out, '-');
}

char *
pigeon_imap_utf7_encode (const char *utf8)
{
  GString *out;
  const char *p;

  g_return_val_if_fail (utf8 != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (utf8, -1, NULL), NULL);

  out = g_string_new (NULL);
  p = utf8;
  while (*p)
    {
      guchar c = (guchar) *p;
      const char *start;
      g_autofree gunichar2 *units = NULL;
      glong n_units;

      if (c >= 0x20 && c <= 0x7e)
        {
          if (c == '&')
            g_string_append (out, "&-");
          else
            g_string_append_c (out, (char) c);
          p++;
          continue;
        }
      start = p;
      while (*p && ((guchar) *p < 0x20 || (guchar) *p > 0x7e))
        p = g_utf8_next_char (p);
      units = g_utf8_to_utf16 (start, p - start, NULL, &n_units, NULL);
      flush_run (out, units, n_units);
    }
  return g_string_free (out, FALSE);
}
