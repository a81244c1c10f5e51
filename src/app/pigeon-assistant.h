/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-application.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ASSISTANT (pigeon_assistant_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAssistant, pigeon_assistant, PIGEON, ASSISTANT, GtkDialog)

/*
 * The account assistant: name, address and password; then Pigeon finds the settings
 * (PigeonAutoconfig), lets the user choose between the protocols the server offers, logs
 * in with them before saving anything, and says clearly what failed: an address nobody
 * knows, a wrong password, a server out of reach, a certificate that is not trusted (with
 * its details, and a choice to trust it for that server).  "Edit Settings Manually" opens
 * the manual form (PigeonAccountDialog) with what is known so far, at any step.
 */
PigeonAssistant *pigeon_assistant_new (PigeonApplication *application,
                                       GtkWindow         *parent);

G_END_DECLS
