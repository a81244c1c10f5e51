/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include "pigeon-imap-uidset.h"

static void
test_parse (void)
{
  g_autoptr(GArray) set = pigeon_imap_uidset_parse ("9,3:5,4,12:10,6,*", 100);
  PigeonImapRange *r;

  g_assert_nonnull (set);
  /* sorted and merged: 3:6, 9:12 (9 touches 10:12), 100 */
  g_assert_cmpuint (set->len, ==, 3);
  r = &g_array_index (set, PigeonImapRange, 0);
  g_assert_cmpuint (r->first, ==, 3);
  g_assert_cmpuint (r->last, ==, 6);
  r = &g_array_index (set, PigeonImapRange, 1);
  g_assert_cmpuint (r->first, ==, 9);
  g_assert_cmpuint (r->last, ==, 12);
  g_assert_cmpuint (pigeon_imap_uidset_count (set), ==, 4 + 4 + 1);
  g_assert_true (pigeon_imap_uidset_contains (set, 100));
  g_assert_true (pigeon_imap_uidset_contains (set, 11));
  g_assert_false (pigeon_imap_uidset_contains (set, 7));
  g_assert_false (pigeon_imap_uidset_contains (set, 2));
  g_assert_false (pigeon_imap_uidset_contains (set, 101));
}

static void
test_parse_invalid (void)
{
  static const char *bad[] = { "", ",", "1,", "1::2", "0", "a", "1:4294967296", "1 2", "3:" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GArray) set = pigeon_imap_uidset_parse (bad[i], 10);

      g_assert_null (set);
    }
}

static void
test_huge_range (void)
{
  g_autoptr(GArray) set = pigeon_imap_uidset_parse ("1:4294967295", 0);
  g_autoptr(GArray) expanded = pigeon_imap_uidset_expand ("1:4294967295", 100000);

  /* Ranges stay ranges; expanding is refused past the bound instead of eating memory. */
  g_assert_cmpuint (pigeon_imap_uidset_count (set), ==, G_GUINT64_CONSTANT (4294967295));
  g_assert_null (expanded);
}

static void
test_expand_order (void)
{
  g_autoptr(GArray) src = pigeon_imap_uidset_expand ("7,3:5", 10);
  g_autoptr(GArray) dst = pigeon_imap_uidset_expand ("101:104", 10);
  g_autoptr(GArray) star = pigeon_imap_uidset_expand ("1:*", 10);

  g_assert_cmpuint (src->len, ==, 4);
  g_assert_cmpuint (g_array_index (src, guint32, 0), ==, 7);
  g_assert_cmpuint (g_array_index (src, guint32, 1), ==, 3);
  g_assert_cmpuint (dst->len, ==, 4);
  g_assert_cmpuint (g_array_index (dst, guint32, 3), ==, 104);
  g_assert_null (star);
}

static void
test_format (void)
{
  guint32 uids[] = { 9, 3, 4, 5, 5, 12, 11, 1 };
  g_autofree char *text = pigeon_imap_uidset_format (uids, G_N_ELEMENTS (uids));
  g_autofree char *empty = pigeon_imap_uidset_format (uids, 0);
  guint32 max[] = { G_MAXUINT32, G_MAXUINT32 - 1 };
  g_autofree char *top = pigeon_imap_uidset_format (max, 2);

  g_assert_cmpstr (text, ==, "1,3:5,9,11:12");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (top, ==, "4294967294:4294967295");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imap/uidset/parse", test_parse);
  g_test_add_func ("/imap/uidset/parse-invalid", test_parse_invalid);
  g_test_add_func ("/imap/uidset/huge-range", test_huge_range);
  g_test_add_func ("/imap/uidset/expand-order", test_expand_order);
  g_test_add_func ("/imap/uidset/format", test_format);

  return g_test_run ();
}
