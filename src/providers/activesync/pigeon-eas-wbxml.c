/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <string.h>

#include "pigeon-eas-wbxml.h"
#include "pigeon-error.h"

/* WBXML 1.3 global tokens. */
enum
{
  WBXML_SWITCH_PAGE = 0x00,
  WBXML_END         = 0x01,
  WBXML_ENTITY      = 0x02,
  WBXML_STR_I       = 0x03,
  WBXML_LITERAL     = 0x04,
  WBXML_EXT_I_0     = 0x40,
  WBXML_EXT_I_2     = 0x42,
  WBXML_PI          = 0x43,
  WBXML_LITERAL_C   = 0x44,
  WBXML_EXT_T_0     = 0x80,
  WBXML_EXT_T_2     = 0x82,
  WBXML_STR_T       = 0x83,
  WBXML_LITERAL_A   = 0x84,
  WBXML_EXT_0       = 0xc0,
  WBXML_EXT_2       = 0xc2,
  WBXML_OPAQUE      = 0xc3,
  WBXML_LITERAL_AC  = 0xc4,
};

#define TAG_HAS_ATTRIBUTES 0x80
#define TAG_HAS_CONTENT    0x40
#define CHARSET_UTF8       106

typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
  const guint8 *strtbl;
  gsize         strtbl_len;
} Reader;

static gboolean
fail (GError    **error,
      const char *what,
      gsize       offset)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
               "The server sent a malformed ActiveSync reply (%s at byte %" G_GSIZE_FORMAT ").",
               what, offset);
  return FALSE;
}

static gboolean
read_byte (Reader  *r,
           guint8  *out,
           GError **error)
{
  if (r->pos >= r->len)
    return fail (error, "unexpected end", r->pos);
  *out = r->data[r->pos++];
  return TRUE;
}

/* mb_u_int32: 7 bits per byte, high bit set on all but the last, at most 5 bytes. */
static gboolean
read_mb_uint32 (Reader   *r,
                guint32  *out,
                GError  **error)
{
  guint64 value = 0;

  for (guint i = 0; i < 5; i++)
    {
      guint8 b;

      if (!read_byte (r, &b, error))
        return FALSE;
      value = (value << 7) | (b & 0x7f);
      if ((b & 0x80) == 0)
        {
          if (value > G_MAXUINT32)
            return fail (error, "integer too large", r->pos);
          *out = (guint32) value;
          return TRUE;
        }
    }
  return fail (error, "integer too long", r->pos);
}

static gboolean
append_content (PigeonEasNode *node,
                const guint8  *bytes,
                gsize          len,
                gboolean       opaque,
                Reader        *r,
                GError       **error)
{
  if (node == NULL || node->children != NULL)
    return fail (error, "content outside an element", r->pos);
  if (node->content == NULL)
    node->content = g_string_sized_new (len);
  g_string_append_len (node->content, (const char *) bytes, len);
  node->opaque |= opaque;
  return TRUE;
}

static gboolean
read_inline_string (Reader         *r,
                    PigeonEasNode  *node,
                    GError        **error)
{
  const guint8 *start = r->data + r->pos;
  const guint8 *nul = memchr (start, 0, r->len - r->pos);

  if (nul == NULL)
    return fail (error, "unterminated string", r->pos);
  r->pos += (nul - start) + 1;
  return append_content (node, start, nul - start, FALSE, r, error);
}

static gboolean
read_table_string (Reader         *r,
                   PigeonEasNode  *node,
                   GError        **error)
{
  guint32 offset;
  const guint8 *nul;

  if (!read_mb_uint32 (r, &offset, error))
    return FALSE;
  if (offset >= r->strtbl_len)
    return fail (error, "string table reference out of range", r->pos);
  nul = memchr (r->strtbl + offset, 0, r->strtbl_len - offset);
  if (nul == NULL)
    return fail (error, "unterminated string table entry", r->pos);
  return append_content (node, r->strtbl + offset, nul - (r->strtbl + offset), FALSE, r, error);
}

static gboolean
read_opaque (Reader         *r,
             PigeonEasNode  *node,
             GError        **error)
{
  guint32 len;
  const guint8 *start;

  if (!read_mb_uint32 (r, &len, error))
    return FALSE;
  if (len > r->len - r->pos)
    return fail (error, "opaque data runs past the end", r->pos);
  start = r->data + r->pos;
  r->pos += len;
  return append_content (node, start, len, TRUE, r, error);
}

static gboolean
read_entity (Reader         *r,
             PigeonEasNode  *node,
             GError        **error)
{
  guint32 codepoint;
  char utf8[6];
  int n;

  if (!read_mb_uint32 (r, &codepoint, error))
    return FALSE;
  if (!g_unichar_validate (codepoint) || codepoint == 0)
    return fail (error, "invalid character entity", r->pos);
  n = g_unichar_to_utf8 (codepoint, utf8);
  return append_content (node, (const guint8 *) utf8, n, FALSE, r, error);
}

static gboolean
read_header (Reader  *r,
             GError **error)
{
  guint8 version;
  guint32 public_id, charset, strtbl_len;

  if (!read_byte (r, &version, error))
    return FALSE;
  if (version < 0x01 || version > 0x03)
    return fail (error, "unknown WBXML version", 0);
  if (!read_mb_uint32 (r, &public_id, error))
    return FALSE;
  if (public_id == 0 && !read_mb_uint32 (r, &public_id, error))  /* index into the table */
    return FALSE;
  if (!read_mb_uint32 (r, &charset, error))
    return FALSE;
  if (charset != CHARSET_UTF8)
    return fail (error, "character set other than UTF-8", r->pos);
  if (!read_mb_uint32 (r, &strtbl_len, error))
    return FALSE;
  if (strtbl_len > r->len - r->pos)
    return fail (error, "string table runs past the end", r->pos);
  r->strtbl = r->data + r->pos;
  r->strtbl_len = strtbl_len;
  r->pos += strtbl_len;
  return TRUE;
}

static gboolean
check_content (PigeonEasNode *node,
               GError       **error)
{
  /* Text must be UTF-8 (opaque content may be anything) and free of NUL. */
  if (node->content != NULL && !node->opaque &&
      !g_utf8_validate (node->content->str, node->content->len, NULL))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   "The server sent text that is not valid UTF-8 in an ActiveSync reply.");
      return FALSE;
    }
  return TRUE;
}

PigeonEasNode *
pigeon_eas_wbxml_decode (const guint8  *data,
                         gsize          len,
                         GError       **error)
{
  Reader r = { data, len, 0, NULL, 0 };
  g_autoptr(PigeonEasNode) root = NULL;
  PigeonEasNode *current = NULL;
  guint page = 0, depth = 0, n_nodes = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len > PIGEON_EAS_WBXML_MAX_SIZE)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   "The server's ActiveSync reply is too large (%" G_GSIZE_FORMAT " bytes).",
                   len);
      return NULL;
    }
  if (!read_header (&r, error))
    return NULL;

  while (r.pos < r.len)
    {
      guint8 token = r.data[r.pos++];
      gboolean ok = TRUE;

      if (root != NULL && current == NULL)
        {
          fail (error, "data after the document", r.pos - 1);
          return NULL;
        }

      switch (token)
        {
        case WBXML_SWITCH_PAGE:
          {
            guint8 next;

            ok = read_byte (&r, &next, error);
            page = next;
          }
          break;
        case WBXML_END:
          if (current == NULL)
            ok = fail (error, "END outside an element", r.pos - 1);
          else
            {
              ok = check_content (current, error);
              current = current->parent;
              depth--;
            }
          break;
        case WBXML_ENTITY:
          ok = read_entity (&r, current, error);
          break;
        case WBXML_STR_I:
          ok = read_inline_string (&r, current, error);
          break;
        case WBXML_STR_T:
          ok = read_table_string (&r, current, error);
          break;
        case WBXML_OPAQUE:
          ok = read_opaque (&r, current, error);
          break;
        case WBXML_LITERAL: case WBXML_LITERAL_A: case WBXML_LITERAL_C: case WBXML_LITERAL_AC:
        case WBXML_PI:
        case WBXML_EXT_I_0: case WBXML_EXT_I_0 + 1: case WBXML_EXT_I_2:
        case WBXML_EXT_T_0: case WBXML_EXT_T_0 + 1: case WBXML_EXT_T_2:
        case WBXML_EXT_0: case WBXML_EXT_0 + 1: case WBXML_EXT_2:
          ok = fail (error, "token ActiveSync does not use", r.pos - 1);
          break;
        default:
          {
            PigeonEasNode *node;

            if (token & TAG_HAS_ATTRIBUTES)
              {
                ok = fail (error, "attributes", r.pos - 1);
                break;
              }
            if (current != NULL && current->content != NULL)
              {
                ok = fail (error, "element inside text", r.pos - 1);
                break;
              }
            if (++n_nodes > PIGEON_EAS_WBXML_MAX_NODES)
              {
                ok = fail (error, "too many elements", r.pos - 1);
                break;
              }
            node = pigeon_eas_node_new_tag (PIGEON_EAS_TAG (page, token & 0x3f));
            if (current != NULL)
              pigeon_eas_node_append (current, node);
            else if (root == NULL)
              root = node;
            if (token & TAG_HAS_CONTENT)
              {
                if (++depth > PIGEON_EAS_WBXML_MAX_DEPTH)
                  {
                    ok = fail (error, "elements nested too deeply", r.pos - 1);
                    break;
                  }
                current = node;
              }
          }
          break;
        }
      if (!ok)
        return NULL;
    }

  if (root == NULL)
    {
      fail (error, "no document", r.pos);
      return NULL;
    }
  if (current != NULL)
    {
      fail (error, "unexpected end", r.pos);
      return NULL;
    }
  return g_steal_pointer (&root);
}

static void
write_mb_uint32 (GByteArray *out,
                 guint32     value)
{
  guint8 buf[5];
  int i = 4;

  buf[i] = value & 0x7f;
  while ((value >>= 7) != 0)
    buf[--i] = 0x80 | (value & 0x7f);
  g_byte_array_append (out, buf + i, 5 - i);
}

static void
encode_node (GByteArray          *out,
             const PigeonEasNode *node,
             guint               *page)
{
  guint node_page = PIGEON_EAS_TAG_PAGE (node->tag);
  gboolean has_content = node->content != NULL || node->children != NULL;
  guint8 byte;

  if (node_page != *page)
    {
      guint8 sw[2] = { WBXML_SWITCH_PAGE, node_page };

      g_byte_array_append (out, sw, 2);
      *page = node_page;
    }
  byte = PIGEON_EAS_TAG_TOKEN (node->tag) | (has_content ? TAG_HAS_CONTENT : 0);
  g_byte_array_append (out, &byte, 1);
  if (!has_content)
    return;

  if (node->content != NULL && node->opaque)
    {
      byte = WBXML_OPAQUE;
      g_byte_array_append (out, &byte, 1);
      write_mb_uint32 (out, node->content->len);
      g_byte_array_append (out, (const guint8 *) node->content->str, node->content->len);
    }
  else if (node->content != NULL)
    {
      byte = WBXML_STR_I;
      g_byte_array_append (out, &byte, 1);
      /* up to the first NUL: text never contains one */
      g_byte_array_append (out, (const guint8 *) node->content->str,
                           strlen (node->content->str) + 1);
    }
  for (guint i = 0; i < pigeon_eas_node_n_children (node); i++)
    encode_node (out, g_ptr_array_index (node->children, i), page);

  byte = WBXML_END;
  g_byte_array_append (out, &byte, 1);
}

GBytes *
pigeon_eas_wbxml_encode (const PigeonEasNode *root)
{
  static const guint8 header[] = { 0x03, 0x01, CHARSET_UTF8, 0x00 };
  GByteArray *out;
  guint page = 0;

  g_return_val_if_fail (root != NULL, NULL);

  out = g_byte_array_new ();
  g_byte_array_append (out, header, sizeof header);
  encode_node (out, root, &page);
  return g_byte_array_free_to_bytes (out);
}
