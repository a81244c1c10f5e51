/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <string.h>

#include "pigeon-eas-node.h"

PigeonEasNode *
pigeon_eas_node_new_tag (guint16 tag)
{
  PigeonEasNode *node = g_new0 (PigeonEasNode, 1);

  node->tag = tag;
  return node;
}

PigeonEasNode *
pigeon_eas_node_new (const char *tag)
{
  return pigeon_eas_node_new_tag (pigeon_eas_tag (tag));
}

void
pigeon_eas_node_free (PigeonEasNode *node)
{
  if (node == NULL)
    return;
  if (node->content != NULL)
    g_string_free (node->content, TRUE);
  g_clear_pointer (&node->children, g_ptr_array_unref);
  g_free (node);
}

PigeonEasNode *
pigeon_eas_node_copy (const PigeonEasNode *node)
{
  PigeonEasNode *copy = pigeon_eas_node_new_tag (node->tag);

  copy->opaque = node->opaque;
  if (node->content != NULL)
    copy->content = g_string_new_len (node->content->str, node->content->len);
  for (guint i = 0; i < pigeon_eas_node_n_children (node); i++)
    pigeon_eas_node_append (copy, pigeon_eas_node_copy (g_ptr_array_index (node->children, i)));
  return copy;
}

void
pigeon_eas_node_append (PigeonEasNode *parent,
                        PigeonEasNode *child)
{
  g_return_if_fail (parent != NULL && child != NULL && child->parent == NULL);
  g_return_if_fail (parent->content == NULL);

  if (parent->children == NULL)
    parent->children = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_eas_node_free);
  g_ptr_array_add (parent->children, child);
  child->parent = parent;
}

PigeonEasNode *
pigeon_eas_node_add (PigeonEasNode *parent,
                     const char    *tag)
{
  PigeonEasNode *child = pigeon_eas_node_new (tag);

  pigeon_eas_node_append (parent, child);
  return child;
}

PigeonEasNode *
pigeon_eas_node_add_text (PigeonEasNode *parent,
                          const char    *tag,
                          const char    *text)
{
  PigeonEasNode *child = pigeon_eas_node_add (parent, tag);

  child->content = g_string_new (text);
  return child;
}

PigeonEasNode *
pigeon_eas_node_add_printf (PigeonEasNode *parent,
                            const char    *tag,
                            const char    *format,
                            ...)
{
  PigeonEasNode *child = pigeon_eas_node_add (parent, tag);
  va_list args;

  child->content = g_string_new (NULL);
  va_start (args, format);
  g_string_vprintf (child->content, format, args);
  va_end (args);
  return child;
}

PigeonEasNode *
pigeon_eas_node_add_opaque (PigeonEasNode *parent,
                            const char    *tag,
                            const guint8  *data,
                            gsize          len)
{
  PigeonEasNode *child = pigeon_eas_node_add (parent, tag);

  child->content = g_string_new_len ((const char *) data, len);
  child->opaque = TRUE;
  return child;
}

gboolean
pigeon_eas_node_is (const PigeonEasNode *node,
                    const char          *tag)
{
  guint16 code;

  return node != NULL && pigeon_eas_tag_from_name (tag, &code) && node->tag == code;
}

guint
pigeon_eas_node_n_children (const PigeonEasNode *node)
{
  return node != NULL && node->children != NULL ? node->children->len : 0;
}

PigeonEasNode *
pigeon_eas_node_get_child (const PigeonEasNode *node,
                           guint                index)
{
  g_return_val_if_fail (index < pigeon_eas_node_n_children (node), NULL);
  return g_ptr_array_index (node->children, index);
}

static PigeonEasNode *
find_code (const PigeonEasNode *node,
           guint16              code)
{
  for (guint i = 0; i < pigeon_eas_node_n_children (node); i++)
    {
      PigeonEasNode *child = g_ptr_array_index (node->children, i);

      if (child->tag == code)
        return child;
    }
  return NULL;
}

PigeonEasNode *
pigeon_eas_node_find (const PigeonEasNode *node,
                      const char          *tag)
{
  if (node == NULL)
    return NULL;
  return find_code (node, pigeon_eas_tag (tag));
}

PigeonEasNode *
pigeon_eas_node_find_path (const PigeonEasNode *node,
                           const char          *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  const PigeonEasNode *at = node;

  for (guint i = 0; at != NULL && parts[i] != NULL; i++)
    at = pigeon_eas_node_find (at, parts[i]);
  return (PigeonEasNode *) at;
}

const char *
pigeon_eas_node_get_text (const PigeonEasNode *node)
{
  if (node == NULL)
    return NULL;
  return node->content != NULL ? node->content->str : (node->children == NULL ? "" : NULL);
}

const char *
pigeon_eas_node_find_text (const PigeonEasNode *node,
                           const char          *tag)
{
  return pigeon_eas_node_get_text (pigeon_eas_node_find (node, tag));
}

gint64
pigeon_eas_node_find_int (const PigeonEasNode *node,
                          const char          *tag,
                          gint64               fallback)
{
  const char *text = pigeon_eas_node_find_text (node, tag);
  gint64 value;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL))
    return fallback;
  return value;
}

gboolean
pigeon_eas_node_equal (const PigeonEasNode *a,
                       const PigeonEasNode *b)
{
  guint n;

  if (a->tag != b->tag)
    return FALSE;
  if ((a->content == NULL) != (b->content == NULL))
    return FALSE;
  if (a->content != NULL &&
      (a->content->len != b->content->len ||
       memcmp (a->content->str, b->content->str, a->content->len) != 0))
    return FALSE;
  n = pigeon_eas_node_n_children (a);
  if (n != pigeon_eas_node_n_children (b))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!pigeon_eas_node_equal (g_ptr_array_index (a->children, i),
                                g_ptr_array_index (b->children, i)))
      return FALSE;
  return TRUE;
}
