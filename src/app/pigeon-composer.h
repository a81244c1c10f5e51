/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"
#include "pigeon-message-builder.h"
#include "pigeon-store-outbox.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_COMPOSER (pigeon_composer_get_type ())
G_DECLARE_FINAL_TYPE (PigeonComposer, pigeon_composer, PIGEON, COMPOSER, GtkApplicationWindow)

/*
 * The composer window (ui/pigeon-composer.ui): From (the account), To, Cc, Bcc with
 * completion, Subject, the body as plain text or, at the user's choice, rich text edited in
 * WebKitGTK (sent as multipart/alternative), attachments by file chooser or drag and drop.
 * Send puts the message in the account's outbox (see PigeonOutbox: it can be taken back for
 * the undo delay, from the main window's status bar) and closes the window; Send Later
 * picks a date and time.  The draft is saved in the account's Drafts folder every few
 * seconds while it changes and when the window closes, each save replacing the last; the
 * draft goes when the message is sent.  The account's signature goes below a new message.
 *
 * Window actions (win.): send, send-later, attach, rich-text (stateful), save-draft, discard,
 * bold, italic, bullets, numbers, link, quote.
 */

/* A new message from ACCOUNT (NULL: the first account). */
PigeonComposer *pigeon_composer_new             (PigeonApplication       *app,
                                                 PigeonAccount           *account);
/* A reply, reply to all, forward (inline or as an attachment) of MESSAGE_ID of ACCOUNT's
 * store, or (PIGEON_COMPOSE_EDIT) that draft, continued.  The window shows at once and
 * fills in when the message is read (from the store, or from the server). */
PigeonComposer *pigeon_composer_new_for_message (PigeonApplication       *app,
                                                 PigeonAccount           *account,
                                                 PigeonComposeMode        mode,
                                                 gint64                   message_id);
/* A message taken back from the outbox (undo, or one that failed). */
PigeonComposer *pigeon_composer_new_from_outbox (PigeonApplication       *app,
                                                 PigeonAccount           *account,
                                                 const PigeonOutboxEntry *entry);

/* The fields as typed (tests and mailto: links use these too). */
void            pigeon_composer_set_fields      (PigeonComposer          *self,
                                                 const char              *to,
                                                 const char              *cc,
                                                 const char              *subject,
                                                 const char              *body);

G_END_DECLS
