/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-mime.h"

G_BEGIN_DECLS

/* Fills the envelope fields of OUT (message_id, in_reply_to, references, date, from,
 * reply_to, to, cc, subject) from an already parsed MESSAGE, for callers that parsed it
 * anyway (the store's set_body and append).  Fields already set in OUT are replaced. */
void            pigeon_mime_fill_envelope       (GMimeMessage  *message,
                                                 PigeonMessage *out);

/* Whether LINE (LENGTH bytes: a header field with its folded lines) is the field NAME. */
gboolean        pigeon_mime_field_is            (const guint8  *line,
                                                 gsize          length,
                                                 const char    *name);

G_END_DECLS
