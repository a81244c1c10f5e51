/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-session.h"

G_BEGIN_DECLS

/* A disabled account (it never syncs) with its session and open store in a temporary
 * directory; torn down with test_session_free. */
typedef struct
{
  char          *dir;
  PigeonAccount *account;
  PigeonSession *session;
  PigeonStore   *store;   /* borrowed from the session */
} TestSession;

TestSession *test_session_new         (const char  *name);
void         test_session_free        (TestSession *ts);

gint64       test_add_folder          (PigeonStore *store,
                                       const char  *path,
                                       PigeonFolderRole role);
/* One message with these headers; returns its row id. */
gint64       test_add_message         (PigeonStore       *store,
                                       gint64             folder_id,
                                       guint32            uid,
                                       gint64             date,
                                       const char        *from,
                                       const char        *subject,
                                       PigeonMessageFlags flags,
                                       const char        *message_id,
                                       const char        *references);
/* Iterates the main context until CONDITION (a boolean it watches) holds; fails after 10 s. */
void         test_wait_for            (gboolean   *condition);
void         test_iterate_for         (guint       ms);
void         test_remove_tree         (const char *path);

G_END_DECLS
