/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_NOTIFIER (pigeon_notifier_get_type ())
G_DECLARE_FINAL_TYPE (PigeonNotifier, pigeon_notifier, PIGEON, NOTIFIER, GObject)

/*
 * Desktop notifications (GNotification) for new unread mail in the inboxes: one per
 * account, replaced as more arrives, none while an account has never finished a sync (its
 * first sync brings old mail, not news), none for accounts or users that turned them off.
 * Clicking one runs app.show-message (account id, message id).
 */
PigeonNotifier *pigeon_notifier_new (PigeonApplication *application);

/* The notification text for NEW_MESSAGES (PigeonMessage*, newest first) of ACCOUNT_NAME:
 * a title and a body.  Shared with the tests. */
void            pigeon_notifier_describe (const char  *account_name,
                                          GPtrArray   *new_messages,
                                          char       **title,
                                          char       **body);

G_END_DECLS
