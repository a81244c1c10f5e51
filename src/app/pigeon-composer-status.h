/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_COMPOSER_STATUS (pigeon_composer_status_get_type ())
G_DECLARE_FINAL_TYPE (PigeonComposerStatus, pigeon_composer_status, PIGEON, COMPOSER_STATUS,
                      GtkRevealer)

/*
 * The outbox in the main window: a bar at its foot that says "Sending “Lunch”…" with Undo
 * while the message can still be taken back, "1 message waiting to be sent" (and why, with
 * Send Now) while the server cannot be reached, and what went wrong, by address, when a
 * message or a recipient was refused.  Hidden when there is nothing to say.
 */
PigeonComposerStatus *pigeon_composer_status_new             (PigeonApplication    *app);
/* For a status bar made by a window's template: it starts reporting once it has the
 * application. */
void                  pigeon_composer_status_set_application (PigeonComposerStatus *self,
                                                              PigeonApplication    *app);

G_END_DECLS
