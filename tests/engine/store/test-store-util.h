/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "pigeon-error.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/* A fresh store in a temporary directory, removed after the test. */
typedef struct
{
  char        *dir;
  PigeonStore *store;
} StoreFixture;

void            store_fixture_setup     (StoreFixture  *fixture,
                                         gconstpointer  data);
void            store_fixture_teardown  (StoreFixture  *fixture,
                                         gconstpointer  data);

/* Drops STORE and waits until it is finalized. */
void            test_unref_and_wait     (PigeonStore   *store);

char           *test_make_tmp_dir       (void);
void            test_remove_tree        (const char    *path);

/* Arrays that own their PigeonMessage / PigeonFolder elements. */
GPtrArray      *test_message_array_new  (void);
GPtrArray      *test_folder_array_new   (void);

gint64          test_add_folder         (PigeonStore   *store,
                                         const char    *path);
/* An envelope with uid/uidvalidity, a date and a subject; the rest plausible. */
PigeonMessage  *test_make_message       (guint32            uidvalidity,
                                         guint32            uid,
                                         gint64             date,
                                         const char        *subject,
                                         PigeonMessageFlags flags);
/* Upserts one message and returns its id. */
gint64          test_add_message        (PigeonStore       *store,
                                         gint64             folder_id,
                                         guint32            uid,
                                         gint64             date,
                                         const char        *subject,
                                         PigeonMessageFlags flags);
/* A raw RFC 5322 message. */
GBytes         *test_make_raw           (const char    *subject,
                                         const char    *from,
                                         const char    *body);

/* Iterates the default main context until *FLAG is set (fails after 10 s). */
void            test_wait_for_flag      (gboolean      *flag);
/* Iterates the default main context until nothing is pending. */
void            test_drain_main_context (void);

/* Runs SQL against DB_PATH with a connection of its own. */
void            test_exec_sql           (const char    *db_path,
                                         const char    *sql);
gint64          test_query_int          (PigeonStore   *store,
                                         const char    *sql);

G_END_DECLS
