/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-pop3-session.h"
#include "pigeon-provider.h"
#include "pigeon-store-pop3.h"

G_BEGIN_DECLS

/* The store state key holding the account's POP3 warning (a server without UIDL). */
#define PIGEON_POP3_STATE_WARNING "pop3-warning"

typedef struct
{
  PigeonPop3Keep  keep;
  guint           keep_days;
  gint64          now;          /* seconds since 1970: "downloaded at", and the days policy */
  const char     *folder_name;  /* for progress reports */
  char           *warning;      /* out: a sentence for the account status, or NULL */
} PigeonPop3DownloadOptions;

/*
 * One check of the maildrop through SESSION (logged in), which it ends: downloads into
 * FOLDER_ID, newest first, every message never downloaded before, committing each with its
 * unique id; then DELEtes the server copies the keep policy (or the user) wants gone, all
 * of them already committed locally, and QUITs.  When it fails half-way, what was committed
 * stays and the next check goes on from there: nothing is downloaded twice, and nothing is
 * deleted on the server that is not in the store.
 */
gboolean pigeon_pop3_download       (PigeonPop3Session         *session,
                                     PigeonProvider            *provider,
                                     gint64                     folder_id,
                                     PigeonPop3DownloadOptions *options,
                                     GCancellable              *cancellable,
                                     GError                   **error);

/* For servers without UIDL: "<message-id> SIZE", or "sha256:HEX SIZE" of the header when
 * there is no Message-ID.  MESSAGE may be the whole message or only its header (TOP n 0).
 * The space keeps these apart from real unique ids, which never contain one. */
char    *pigeon_pop3_fallback_key   (GBytes                    *message,
                                     guint64                    size);

G_END_DECLS
