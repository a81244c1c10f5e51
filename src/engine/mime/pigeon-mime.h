/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gmime/gmime.h>

#include "pigeon-store-types.h"

G_BEGIN_DECLS

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimePart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMultipart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessagePart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddress, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)

/* Call once before any other GMime use (idempotent, thread-safe). */
void            pigeon_mime_init                (void);

/* Parses RAW (RFC 5322 bytes).  NULL with PIGEON_ERROR_PROTOCOL only when nothing at all
 * can be made of it; a message with broken headers still yields what could be read. */
GMimeMessage   *pigeon_mime_parse               (GBytes        *raw,
                                                 GError       **error);

/* A PigeonMessage with the envelope filled from RAW: message_id, in_reply_to, references,
 * date (0 when absent), from, reply_to, to, cc, subject (decoded UTF-8), size,
 * has_attachments, preview.  Server identity and flags are left zero. */
PigeonMessage  *pigeon_mime_parse_envelope      (GBytes        *raw,
                                                 GError       **error);

/* Text for the search index: the plain-text part, or the HTML part reduced to text;
 * never markup, never attachment data.  Also the preview (first ~200 characters, one
 * line) and whether the message has attachments. */
gboolean        pigeon_mime_extract_text        (GMimeMessage  *message,
                                                 char         **body_text,
                                                 char         **preview,
                                                 gboolean      *has_attachments);

/* The Message-IDs in TEXT (a Message-ID, In-Reply-To or References value) without angle
 * brackets, space-separated; only the first with FIRST_ONLY.  NULL when there is none. */
char           *pigeon_mime_parse_message_ids   (const char    *text,
                                                 gboolean       first_only);

/* RAW without the header fields called NAME (compared without case; folded lines go
 * with their field).  Only the message's own header is touched, never a part's.  A
 * reference to RAW when it has no such field. */
GBytes         *pigeon_mime_without_field       (GBytes        *raw,
                                                 const char    *name);

/* The value of RAW's first header field called NAME, unfolded and trimmed but not decoded;
 * NULL when there is none. */
char           *pigeon_mime_get_field           (GBytes        *raw,
                                                 const char    *name);

/* "Name <addr>, …" decoded to UTF-8; NULL for an empty list. */
char           *pigeon_mime_format_addresses    (InternetAddressList *list);

/* Reduces HTML to readable text (block elements become line breaks, entities decoded,
 * script and style dropped).  Used for search text and previews, never for display. */
char           *pigeon_mime_html_to_text        (const char    *html);

G_END_DECLS
