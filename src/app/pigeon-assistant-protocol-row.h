/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ASSISTANT_PROTOCOL_ROW (pigeon_assistant_protocol_row_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAssistantProtocolRow, pigeon_assistant_protocol_row, PIGEON,
                      ASSISTANT_PROTOCOL_ROW, GtkListBoxRow)

/* One way of getting mail in the assistant's choice: the protocol's name and what it is
 * good for, the server found for it, and for protocols whose server does not keep the
 * mail, whether to leave a copy there.  Rows given the same GROUP are exclusive. */
PigeonAssistantProtocolRow *
pigeon_assistant_protocol_row_new (const PigeonAutoconfigServer *server,
                                   PigeonAssistantProtocolRow   *group);
const char *pigeon_assistant_protocol_row_get_protocol (PigeonAssistantProtocolRow *self);
gboolean    pigeon_assistant_protocol_row_get_selected (PigeonAssistantProtocolRow *self);
void        pigeon_assistant_protocol_row_select       (PigeonAssistantProtocolRow *self);
/* Meaningful for a protocol whose server does not keep the mail. */
gboolean    pigeon_assistant_protocol_row_get_keep_on_server (PigeonAssistantProtocolRow *self);

G_END_DECLS
