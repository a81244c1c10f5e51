/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/* An IMAP account of its own on the harness Dovecot, with a fresh store. */
typedef struct
{
  char           *user;
  char           *password;
  char           *data_dir;
  PigeonAccount  *account;
  PigeonStore    *store;
  PigeonProvider *provider;
} ImapFixture;

void            imap_fixture_setup        (ImapFixture   *fixture,
                                           gconstpointer  data);
void            imap_fixture_teardown     (ImapFixture   *fixture,
                                           gconstpointer  data);
/* A provider of the fixture's account with the password set (not from the keyring). */
PigeonProvider *imap_fixture_new_provider (ImapFixture   *fixture);
/* What pigeonctl sync does: replay, folder list, every folder (inbox first). */
gboolean        imap_fixture_sync         (ImapFixture     *fixture,
                                           PigeonProvider  *provider,
                                           PigeonSyncFlags  flags,
                                           GError         **error);
gint64          imap_fixture_folder_id    (ImapFixture   *fixture,
                                           const char    *path);

/* The second client (imap_peer.py): its standard output, asserting success. */
char           *imap_peer                 (ImapFixture        *fixture,
                                           const char * const *args,
                                           const char         *input);
#define IMAP_PEER(fixture, ...) \
  imap_peer (fixture, (const char * const[]) { __VA_ARGS__, NULL }, NULL)

/* "uid flags…" lines for FOLDER: from the server (peer) and from the store, in the same
 * format, so a test compares them as strings. */
char           *imap_server_listing       (ImapFixture   *fixture,
                                           const char    *folder);
char           *imap_store_listing        (ImapFixture   *fixture,
                                           const char    *folder);

/* A TCP proxy to the harness's IMAPS port that cuts every connection after it has passed
 * CUT_AFTER bytes from the server (0: never). */
typedef struct _ImapProxy ImapProxy;
ImapProxy      *imap_proxy_new            (guint16        target_port);
guint16         imap_proxy_get_port       (ImapProxy     *proxy);
void            imap_proxy_set_cut        (ImapProxy     *proxy,
                                           guint64        cut_after);
guint64         imap_proxy_get_bytes      (ImapProxy     *proxy);  /* server bytes so far */
void            imap_proxy_free           (ImapProxy     *proxy);

G_END_DECLS
