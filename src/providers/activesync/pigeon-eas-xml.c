/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "pigeon-eas-xml.h"
#include "pigeon-error.h"

static void
append_escaped (GString    *out,
                const char *text,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    switch (text[i])
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\r': g_string_append (out, "&#13;"); break;
      default: g_string_append_c (out, text[i]); break;
      }
}

static void
write_node (GString             *out,
            const PigeonEasNode *node,
            guint                parent_page,
            gsize                max_content)
{
  guint page = PIGEON_EAS_TAG_PAGE (node->tag);
  const char *name = pigeon_eas_tag_local_name (node->tag);
  g_autofree char *unknown = NULL;

  if (name == NULL)
    name = unknown = g_strdup_printf ("Unknown0x%02X", PIGEON_EAS_TAG_TOKEN (node->tag));
  g_string_append_printf (out, "<%s", name);
  if (page != parent_page)
    g_string_append_printf (out, " xmlns=\"%s:\"",
                            pigeon_eas_page_namespace (page) ?: "Unknown");
  if (node->content == NULL && node->children == NULL)
    {
      g_string_append (out, "/>");
      return;
    }
  if (node->content != NULL && max_content > 0 && node->content->len > max_content)
    g_string_append_printf (out, ">[%" G_GSIZE_FORMAT " bytes]", node->content->len);
  else if (node->content != NULL && node->opaque)
    {
      g_autofree char *b64 = g_base64_encode ((const guchar *) node->content->str,
                                              node->content->len);

      g_string_append_printf (out, " opaque=\"1\">%s", b64);
    }
  else if (node->content != NULL)
    {
      g_string_append_c (out, '>');
      append_escaped (out, node->content->str, node->content->len);
    }
  else
    g_string_append_c (out, '>');

  for (guint i = 0; i < pigeon_eas_node_n_children (node); i++)
    write_node (out, g_ptr_array_index (node->children, i), page, max_content);
  g_string_append_printf (out, "</%s>", name);
}

char *
pigeon_eas_node_to_xml (const PigeonEasNode *node,
                        gsize                max_content)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  write_node (out, node, G_MAXUINT, max_content);
  return g_string_free (out, FALSE);
}

static gpointer
invalid (GError    **error,
         const char *what)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID, "Not an ActiveSync document: %s", what);
  return NULL;
}

static PigeonEasNode *
convert_element (xmlNode  *element,
                 guint     depth,
                 GError  **error)
{
  g_autoptr(PigeonEasNode) node = NULL;
  g_autofree char *qname = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  guint16 tag;
  gboolean has_elements = FALSE;
  xmlChar *opaque;

  if (depth > 64)
    return invalid (error, "nested too deeply");
  if (element->ns == NULL || element->ns->href == NULL ||
      !g_str_has_suffix ((const char *) element->ns->href, ":"))
    return invalid (error, "an element without an ActiveSync namespace");
  qname = g_strconcat ((const char *) element->ns->href, element->name, NULL);
  if (!pigeon_eas_tag_from_name (qname, &tag))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID, "Unknown ActiveSync tag %s", qname);
      return NULL;
    }
  node = pigeon_eas_node_new_tag (tag);

  for (xmlNode *child = element->children; child != NULL; child = child->next)
    {
      if (child->type == XML_ELEMENT_NODE)
        {
          PigeonEasNode *sub = convert_element (child, depth + 1, error);

          if (sub == NULL)
            return NULL;
          pigeon_eas_node_append (node, sub);
          has_elements = TRUE;
        }
      else if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE)
        g_string_append (text, (const char *) child->content);
    }

  if (has_elements)
    {
      /* whitespace between elements is layout, not content */
      for (gsize i = 0; i < text->len; i++)
        if (!g_ascii_isspace (text->str[i]))
          return invalid (error, "text beside elements");
      return g_steal_pointer (&node);
    }
  if (element->children == NULL)
    return g_steal_pointer (&node);

  opaque = xmlGetProp (element, (const xmlChar *) "opaque");
  if (opaque != NULL && strcmp ((const char *) opaque, "1") == 0)
    {
      gsize len;
      g_autofree guchar *bytes = g_base64_decode (text->str, &len);

      node->content = g_string_new_len ((const char *) bytes, len);
      node->opaque = TRUE;
    }
  else
    {
      node->content = g_string_new_len (text->str, text->len);
      node->opaque = opaque != NULL;
    }
  xmlFree (opaque);
  return g_steal_pointer (&node);
}

PigeonEasNode *
pigeon_eas_node_from_xml (const char *xml,
                          gsize       len,
                          GError    **error)
{
  xmlDoc *doc;
  PigeonEasNode *node;

  g_return_val_if_fail (xml != NULL, NULL);

  if (len > G_MAXINT)
    return invalid (error, "too large");
  doc = xmlReadMemory (xml, (int) len, NULL, "UTF-8",
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      if (doc != NULL)
        xmlFreeDoc (doc);
      return invalid (error, "not well-formed XML");
    }
  node = convert_element (xmlDocGetRootElement (doc), 0, error);
  xmlFreeDoc (doc);
  return node;
}
