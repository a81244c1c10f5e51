/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A tag is its code page and token in one number, as on the wire after SWITCH_PAGE. */
#define PIGEON_EAS_N_CODE_PAGES 25
#define PIGEON_EAS_TAG(page, token) ((guint16) (((page) << 8) | (token)))
#define PIGEON_EAS_TAG_PAGE(tag)    ((guint) ((tag) >> 8))
#define PIGEON_EAS_TAG_TOKEN(tag)   ((guint) ((tag) & 0x3f))

/* "AirSync:SyncKey" -> tag.  FALSE for a name no code page has. */
gboolean    pigeon_eas_tag_from_name       (const char *qualified_name,
                                            guint16    *out_tag);
/* The same for names written in our own code: an unknown one is a programming error. */
guint16     pigeon_eas_tag                 (const char *qualified_name);
/* "AirSync" for page 0; NULL beyond the known pages. */
const char *pigeon_eas_page_namespace      (guint       page);
gboolean    pigeon_eas_page_from_namespace (const char *namespace,
                                            guint      *out_page);
/* "SyncKey"; NULL for a token the page does not define. */
const char *pigeon_eas_tag_local_name      (guint16     tag);

G_END_DECLS
