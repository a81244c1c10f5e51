/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/*
 * The careful XML reading that the autoconfig and Autodiscover parsers share: documents
 * come from servers, so they are bounded in size, may not declare a DTD (no entities, no
 * outside files), and are read without the network.  Elements are matched by local name,
 * whatever their namespace.
 */

/* Documents larger than this are refused before parsing. */
#define PIGEON_AUTOCONFIG_MAX_DOCUMENT (256 * 1024)

xmlDoc     *pigeon_autoconfig_xml_read          (GBytes      *document,
                                                 GError     **error);
xmlNode    *pigeon_autoconfig_xml_child         (xmlNode     *node,
                                                 const char  *name);
gboolean    pigeon_autoconfig_xml_is            (xmlNode     *node,
                                                 const char  *name);
/* The element's text, trimmed; NULL when it is empty or longer than MAX_LENGTH. */
char       *pigeon_autoconfig_xml_text          (xmlNode     *node,
                                                 gsize        max_length);
char       *pigeon_autoconfig_xml_child_text    (xmlNode     *node,
                                                 const char  *name,
                                                 gsize        max_length);
/* An attribute's value, trimmed; NULL when absent or empty. */
char       *pigeon_autoconfig_xml_attribute     (xmlNode     *node,
                                                 const char  *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

G_END_DECLS
