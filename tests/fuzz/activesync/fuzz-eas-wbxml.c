/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: whatever a server sends, the WBXML decoder answers with a tree or a
 * PROTOCOL error, within its bounds; a tree it returns encodes and decodes to itself. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>

#include "pigeon-eas-wbxml.h"
#include "pigeon-eas-xml.h"
#include "pigeon-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
walk (const PigeonEasNode *node)
{
  pigeon_eas_tag_local_name (node->tag);
  pigeon_eas_node_get_text (node);
  pigeon_eas_node_find_int (node, "AirSync:Status", 0);
  for (guint i = 0; i < pigeon_eas_node_n_children (node); i++)
    walk (pigeon_eas_node_get_child (node, i));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PigeonEasNode) node = pigeon_eas_wbxml_decode (data, size, &error);
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(PigeonEasNode) again = NULL;
  g_autofree char *xml = NULL;

  if (node == NULL)
    {
      g_assert (error != NULL);
      g_assert (error->domain == PIGEON_ERROR);
      return 0;
    }
  walk (node);
  xml = pigeon_eas_node_to_xml (node, 64);
  g_assert (xml != NULL);

  encoded = pigeon_eas_wbxml_encode (node);
  again = pigeon_eas_wbxml_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                                   &error);
  g_assert (again != NULL);
  g_assert (pigeon_eas_node_equal (node, again));
  return 0;
}
