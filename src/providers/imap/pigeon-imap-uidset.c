/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-imap"

#include "config.h"

#include <stdlib.h>

#include "pigeon-imap-uidset.h"

/* One number or "*" at *p; advances *p. */
static gboolean
parse_number (const char **p,
              guint32      star,
              gboolean     allow_star,
              guint32     *out)
{
  guint64 n = 0;
  const char *s = *p;

  if (*s == '*')
    {
      if (!allow_star)
        return FALSE;
      *out = star;
      *p = s + 1;
      return TRUE;
    }
  if (!g_ascii_isdigit (*s))
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      n = n * 10 + (guint64) (*s++ - '0');
      if (n > G_MAXUINT32)
        return FALSE;
    }
  if (n == 0)
    return FALSE;
  *out = (guint32) n;
  *p = s;
  return TRUE;
}

/* Calls FUNC for each range of TEXT as written (first <= last). */
static gboolean
for_each_range (const char *text,
                guint32     star,
                gboolean    allow_star,
                gboolean  (*func) (guint32 first, guint32 last, gpointer data),
                gpointer    data)
{
  const char *p = text;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (;;)
    {
      guint32 a, b;

      if (!parse_number (&p, star, allow_star, &a))
        return FALSE;
      b = a;
      if (*p == ':')
        {
          p++;
          if (!parse_number (&p, star, allow_star, &b))
            return FALSE;
        }
      if (!func (MIN (a, b), MAX (a, b), data))
        return FALSE;
      if (*p == '\0')
        return TRUE;
      if (*p++ != ',')
        return FALSE;
    }
}

static gboolean
add_range_cb (guint32  first,
              guint32  last,
              gpointer data)
{
  PigeonImapRange range = { first, last };

  g_array_append_val (data, range);
  return TRUE;
}

static int
compare_ranges (gconstpointer a,
                gconstpointer b)
{
  const PigeonImapRange *x = a, *y = b;

  return x->first < y->first ? -1 : x->first > y->first;
}

GArray *
pigeon_imap_uidset_parse (const char *text,
                          guint32     star)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (PigeonImapRange));
  guint out = 0;

  if (!for_each_range (text, star, TRUE, add_range_cb, ranges))
    return NULL;
  g_array_sort (ranges, compare_ranges);
  for (guint i = 1; i < ranges->len; i++)
    {
      PigeonImapRange *prev = &g_array_index (ranges, PigeonImapRange, out);
      PigeonImapRange *cur = &g_array_index (ranges, PigeonImapRange, i);

      if ((guint64) cur->first <= (guint64) prev->last + 1)
        prev->last = MAX (prev->last, cur->last);
      else
        g_array_index (ranges, PigeonImapRange, ++out) = *cur;
    }
  g_array_set_size (ranges, out + 1);
  return g_steal_pointer (&ranges);
}

guint64
pigeon_imap_uidset_count (GArray *ranges)
{
  guint64 n = 0;

  for (guint i = 0; ranges != NULL && i < ranges->len; i++)
    {
      const PigeonImapRange *r = &g_array_index (ranges, PigeonImapRange, i);

      n += (guint64) r->last - r->first + 1;
    }
  return n;
}

gboolean
pigeon_imap_uidset_contains (GArray  *ranges,
                             guint32  value)
{
  guint lo = 0, hi;

  if (ranges == NULL)
    return FALSE;
  hi = ranges->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const PigeonImapRange *r = &g_array_index (ranges, PigeonImapRange, mid);

      if (value < r->first)
        hi = mid;
      else if (value > r->last)
        lo = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  GArray *out;
  guint max;
} Expand;

static gboolean
expand_cb (guint32  first,
           guint32  last,
           gpointer data)
{
  Expand *expand = data;

  if ((guint64) last - first + 1 > (guint64) expand->max - expand->out->len)
    return FALSE;
  for (guint64 v = first; v <= last; v++)
    {
      guint32 u = (guint32) v;

      g_array_append_val (expand->out, u);
    }
  return TRUE;
}

GArray *
pigeon_imap_uidset_expand (const char *text,
                           guint       max)
{
  Expand expand = { g_array_new (FALSE, FALSE, sizeof (guint32)), max };

  if (!for_each_range (text, 0, FALSE, expand_cb, &expand))
    {
      g_array_unref (expand.out);
      return NULL;
    }
  return expand.out;
}

static int
compare_uids (const void *a,
              const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

char *
pigeon_imap_uidset_format (const guint32 *uids,
                           guint          n_uids)
{
  g_autofree guint32 *sorted = NULL;
  GString *out = g_string_new (NULL);
  guint i = 0;

  if (n_uids == 0)
    return g_string_free (out, FALSE);
  sorted = g_memdup2 (uids, sizeof (guint32) * n_uids);
  qsort (sorted, n_uids, sizeof (guint32), compare_uids);
  while (i < n_uids)
    {
      guint j = i;

      while (j + 1 < n_uids && (sorted[j + 1] == sorted[j] || sorted[j + 1] == sorted[j] + 1))
        j++;
      if (out->len > 0)
        g_string_append_c (out, ',');
      if (sorted[j] == sorted[i])
        g_string_append_printf (out, "%u", sorted[i]);
      else
        g_string_append_printf (out, "%u:%u", sorted[i], sorted[j]);
      i = j + 1;
    }
  return g_string_free (out, FALSE);
}
