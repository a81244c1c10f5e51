/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* IMAP sequence sets ("1:5,7,9:*") of UIDs or message numbers. */
typedef struct
{
  guint32 first;
  guint32 last;
} PigeonImapRange;

/* Sorted, merged ranges (GArray of PigeonImapRange); "*" stands for STAR.  NULL when TEXT
 * is not a sequence set. */
GArray   *pigeon_imap_uidset_parse    (const char *text,
                                       guint32     star);
guint64   pigeon_imap_uidset_count    (GArray     *ranges);
gboolean  pigeon_imap_uidset_contains (GArray     *ranges,
                                       guint32     value);
/* Every number of TEXT in the order written (COPYUID pairs source and destination UIDs by
 * position); NULL when it is not a sequence set, uses "*", or holds more than MAX. */
GArray   *pigeon_imap_uidset_expand   (const char *text,
                                       guint       max);
/* The shortest set for N_UIDS numbers in any order ("3:5,9"); "" for none. */
char     *pigeon_imap_uidset_format   (const guint32 *uids,
                                       guint          n_uids);

G_END_DECLS
