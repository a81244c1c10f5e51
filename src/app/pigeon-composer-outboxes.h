/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-application.h"
#include "pigeon-outbox.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_COMPOSER_OUTBOXES (pigeon_composer_outboxes_get_type ())
G_DECLARE_FINAL_TYPE (PigeonComposerOutboxes, pigeon_composer_outboxes, PIGEON,
                      COMPOSER_OUTBOXES, GObject)

/*
 * The application's outbox senders: one PigeonOutbox per account, running from the moment
 * its store is open (so what a crash or an earlier run left is sent at once), with the
 * undo delay of the GSettings key undo-send-delay.  The application is held while one of
 * them is sending, so quitting never cuts a message in half.
 *
 * Property n-waiting: messages waiting to be sent, all accounts together.
 * Signals, for the window's status bar:
 *   ::queued (PigeonOutbox *, gint64 id, const char *subject, gint64 send_after)
 *   ::sent   (PigeonOutbox *, gint64 id, const char *subject, GStrv rejected)
 *   ::failed (PigeonOutbox *, gint64 id, const char *subject, const char *why)
 */
PigeonComposerOutboxes *pigeon_composer_outboxes_get_default (PigeonApplication *app);
/* NULL while the account's store is still opening. */
PigeonOutbox           *pigeon_composer_outboxes_lookup      (PigeonComposerOutboxes *self,
                                                              PigeonAccount          *account);
/* Every running outbox. */
GPtrArray              *pigeon_composer_outboxes_list        (PigeonComposerOutboxes *self);
guint                   pigeon_composer_outboxes_get_n_waiting (PigeonComposerOutboxes *self);
guint                   pigeon_composer_outboxes_get_undo_delay (PigeonComposerOutboxes *self);
/* The composer queued a message: tells the status bar (::queued). */
void                    pigeon_composer_outboxes_note_queued (PigeonComposerOutboxes *self,
                                                              PigeonOutbox           *outbox,
                                                              gint64                  id,
                                                              const char             *subject,
                                                              gint64                  send_after);
/* Stops every sender (the application is shutting down). */
void                    pigeon_composer_outboxes_shutdown    (PigeonComposerOutboxes *self);

G_END_DECLS
