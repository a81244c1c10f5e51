/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <string.h>

#include "pigeon-autoconfig-xml.h"
#include "pigeon-error.h"

xmlDoc *
pigeon_autoconfig_xml_read (GBytes  *document,
                            GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlParserCtxtPtr ctxt;
  const char *data;
  gsize size;

  g_return_val_if_fail (document != NULL, NULL);

  data = g_bytes_get_data (document, &size);
  if (size == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The settings document is empty."));
      return NULL;
    }
  if (size > PIGEON_AUTOCONFIG_MAX_DOCUMENT)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The settings document is too large (%zu bytes)."), size);
      return NULL;
    }

  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_FAILED, _("Out of memory"));
      return NULL;
    }
  /* No network, no entity substitution, no DTD loading, libxml2's default depth limit;
   * parse errors come back through the GError below, never on stderr. */
  doc = xmlCtxtReadMemory (ctxt, data, (int) size, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR |
                           XML_PARSE_NOCDATA);
  if (doc == NULL || !ctxt->wellFormed)
    {
      const xmlError *last = xmlCtxtGetLastError (ctxt);

      if (last != NULL && last->line > 0)
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The settings document is not well-formed XML (line %d)."), last->line);
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The settings document is not well-formed XML."));
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);

  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The settings document declares a document type, which settings "
                     "documents never do."));
      return NULL;
    }
  if (xmlDocGetRootElement (doc) == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The settings document has no content."));
      return NULL;
    }
  return g_steal_pointer (&doc);
}

gboolean
pigeon_autoconfig_xml_is (xmlNode    *node,
                          const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE &&
         strcmp ((const char *) node->name, name) == 0;
}

xmlNode *
pigeon_autoconfig_xml_child (xmlNode    *node,
                             const char *name)
{
  if (node == NULL)
    return NULL;
  for (xmlNode *child = node->children; child; child = child->next)
    if (pigeon_autoconfig_xml_is (child, name))
      return child;
  return NULL;
}

char *
pigeon_autoconfig_xml_text (xmlNode *node,
                            gsize    max_length)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (node == NULL)
    return NULL;
  /* Only the element's own text and CDATA: entity references are never expanded. */
  for (xmlNode *child = node->children; child; child = child->next)
    {
      if (child->type != XML_TEXT_NODE && child->type != XML_CDATA_SECTION_NODE)
        continue;
      g_string_append (text, (const char *) child->content);
      if (text->len > max_length + 64)
        return NULL;
    }
  g_strstrip (text->str);
  text->len = strlen (text->str);
  if (text->len == 0 || text->len > max_length || !g_utf8_validate (text->str, -1, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
pigeon_autoconfig_xml_child_text (xmlNode    *node,
                                  const char *name,
                                  gsize       max_length)
{
  return pigeon_autoconfig_xml_text (pigeon_autoconfig_xml_child (node, name), max_length);
}

char *
pigeon_autoconfig_xml_attribute (xmlNode    *node,
                                 const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *out;

  if (value == NULL)
    return NULL;
  out = g_strstrip (g_strdup ((const char *) value));
  xmlFree (value);
  if (*out == '\0' || !g_utf8_validate (out, -1, NULL))
    {
      g_free (out);
      return NULL;
    }
  return out;
}
