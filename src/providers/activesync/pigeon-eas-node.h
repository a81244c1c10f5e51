/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "pigeon-eas-codepages.h"

G_BEGIN_DECLS

/*
 * One element of an ActiveSync document.  EAS has no attributes and no mixed content: an
 * element holds child elements or content (text, or OPAQUE bytes), never both.  Tags are
 * written "Namespace:Name" as in [MS-ASWBXML] ("AirSync:SyncKey").
 */
typedef struct _PigeonEasNode PigeonEasNode;
struct _PigeonEasNode
{
  guint16        tag;
  gboolean       opaque;    /* content came as (or goes out as) OPAQUE bytes */
  GString       *content;   /* NULL when the element is empty; always NUL-terminated */
  GPtrArray     *children;  /* PigeonEasNode*, NULL when none */
  PigeonEasNode *parent;
};

PigeonEasNode *pigeon_eas_node_new            (const char    *tag);
PigeonEasNode *pigeon_eas_node_new_tag        (guint16        tag);
void           pigeon_eas_node_free           (PigeonEasNode *node);
/* A deep copy without a parent. */
PigeonEasNode *pigeon_eas_node_copy           (const PigeonEasNode *node);

/* Builders: each returns the new child, owned by PARENT. */
PigeonEasNode *pigeon_eas_node_add            (PigeonEasNode *parent,
                                               const char    *tag);
PigeonEasNode *pigeon_eas_node_add_text       (PigeonEasNode *parent,
                                               const char    *tag,
                                               const char    *text);
PigeonEasNode *pigeon_eas_node_add_printf     (PigeonEasNode *parent,
                                               const char    *tag,
                                               const char    *format,
                                               ...) G_GNUC_PRINTF (3, 4);
PigeonEasNode *pigeon_eas_node_add_opaque     (PigeonEasNode *parent,
                                               const char    *tag,
                                               const guint8  *data,
                                               gsize          len);
/* Takes ownership of CHILD. */
void           pigeon_eas_node_append         (PigeonEasNode *parent,
                                               PigeonEasNode *child);

gboolean       pigeon_eas_node_is             (const PigeonEasNode *node,
                                               const char          *tag);
guint          pigeon_eas_node_n_children     (const PigeonEasNode *node);
PigeonEasNode *pigeon_eas_node_get_child      (const PigeonEasNode *node,
                                               guint                index);
/* The first child with TAG, or NULL. */
PigeonEasNode *pigeon_eas_node_find           (const PigeonEasNode *node,
                                               const char          *tag);
/* Follows a path of tags separated by '/': "AirSync:Collections/AirSync:Collection". */
PigeonEasNode *pigeon_eas_node_find_path      (const PigeonEasNode *node,
                                               const char          *path);
/* The content of the node (or of its first child with TAG) as text; NULL when absent. */
const char    *pigeon_eas_node_get_text       (const PigeonEasNode *node);
const char    *pigeon_eas_node_find_text      (const PigeonEasNode *node,
                                               const char          *tag);
/* The content as a number; FALLBACK when absent or not a number. */
gint64         pigeon_eas_node_find_int       (const PigeonEasNode *node,
                                               const char          *tag,
                                               gint64               fallback);

/* Same tags, content and shape (the opaque flag is ignored: it is how, not what). */
gboolean       pigeon_eas_node_equal          (const PigeonEasNode *a,
                                               const PigeonEasNode *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonEasNode, pigeon_eas_node_free)

G_END_DECLS
