/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pigeon-eas-node.h"

G_BEGIN_DECLS

/*
 * ActiveSync documents as XML, the way the protocol documentation writes them: each code
 * page is a namespace "Name:" declared where it starts; opaque content is base64 with an
 * opaque="1" attribute (opaque="utf-8": the bytes as text).  Used for the protocol trace
 * and by the tests that compare with captured traffic.
 */

/* Content longer than MAX_CONTENT bytes is written as "[N bytes]" (0: write it all). */
char          *pigeon_eas_node_to_xml   (const PigeonEasNode *node,
                                         gsize                max_content);
PigeonEasNode *pigeon_eas_node_from_xml (const char          *xml,
                                         gsize                len,
                                         GError             **error);

G_END_DECLS
