/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pigeon-eas-node.h"

G_BEGIN_DECLS

/* Bounds on what a server may send: deeper, bigger or longer documents are refused. */
#define PIGEON_EAS_WBXML_MAX_DEPTH 32
#define PIGEON_EAS_WBXML_MAX_NODES (1024 * 1024)
#define PIGEON_EAS_WBXML_MAX_SIZE  ((gsize) 256 * 1024 * 1024)

/* Decodes an ActiveSync WBXML document (WBXML 1.3, UTF-8).  Malformed or oversized input
 * fails with PIGEON_ERROR_PROTOCOL. */
PigeonEasNode *pigeon_eas_wbxml_decode (const guint8  *data,
                                        gsize          len,
                                        GError       **error);
/* Encodes ROOT as [MS-ASWBXML] requires: version 1.3, public id 1, UTF-8, no string table.
 * Text content goes out as STR_I, opaque content as OPAQUE. */
GBytes        *pigeon_eas_wbxml_encode (const PigeonEasNode *root);

G_END_DECLS
