/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-store.h"

G_BEGIN_DECLS

/*
 * Addresses for completion (the contacts table): from a server's address book (SOURCE
 * "activesync", …) or seen in mail.  A server contact is known by its REMOTE_ID and may
 * have several addresses, one row each.
 */

/* Replaces the rows of (SOURCE, REMOTE_ID) with one per address in EMAILS (NULL-terminated;
 * empty removes the contact). */
gboolean   pigeon_store_put_contact              (PigeonStore        *self,
                                                  const char         *source,
                                                  const char         *remote_id,
                                                  const char         *name,
                                                  const char * const *emails,
                                                  GError            **error);
/* Removes the contacts of SOURCE whose remote id is REMOTE_ID, or starts with it when
 * PREFIX is TRUE. */
gboolean   pigeon_store_remove_contacts          (PigeonStore        *self,
                                                  const char         *source,
                                                  const char         *remote_id,
                                                  gboolean            prefix,
                                                  GError            **error);
/* Distinct remote ids of SOURCE starting with PREFIX. */
GPtrArray *pigeon_store_list_contact_remote_ids  (PigeonStore        *self,
                                                  const char         *source,
                                                  const char         *prefix,
                                                  GError            **error);
/* Completion: "Name <address>" of every contact whose name or address has a word starting
 * with TEXT (case-insensitive), most used first, at most LIMIT. */
GPtrArray *pigeon_store_complete_address         (PigeonStore        *self,
                                                  const char         *text,
                                                  guint               limit,
                                                  GError            **error);

G_END_DECLS
