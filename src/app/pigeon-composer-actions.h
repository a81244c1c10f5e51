/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-application.h"

G_BEGIN_DECLS

/*
 * Sending, as the application offers it (called once from the application's startup):
 *   app.compose                                   a new message
 *   app.reply, app.reply-all, app.forward,        the message (account id, message id) of
 *   app.forward-attachment, app.open-draft  (sx)  the message id in that account's store
 * with Ctrl+N for compose and the composer's own shortcuts; every account's outbox
 * sending in the background; and, in each main window, a Compose button at the start of
 * its header bar and the outbox's status bar (pigeon-composer-status.h) at its foot.
 */
void pigeon_composer_install (PigeonApplication *app);

G_END_DECLS
