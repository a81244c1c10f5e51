/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-mime.h"

G_BEGIN_DECLS

/*
 * Turns a parsed message into what the message view shows: one HTML document (the HTML
 * part as the sender wrote it, or the plain text part made into HTML with links and quote
 * levels), the parts the document may load through cid: URIs, and the attachments.
 * Nothing here touches the network or GTK; it runs on a worker thread.
 */

typedef struct
{
  char      *filename;       /* as the sender named it, or made up from the type */
  char      *content_type;   /* "image/png" */
  gsize      size;           /* decoded size in bytes */
  GMimeObject *part;         /* the part (a message/rfc822 too), referenced */
  gboolean   inline_image;   /* also shown in the document */
  /* Non-NULL when the content is still on the server: PART is then the placeholder (see
   * PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE), SIZE the server's estimate, and this the
   * reference that pigeon_session_fetch_attachment_async takes. */
  char      *reference;
} PigeonAttachment;

typedef struct
{
  char       *html;          /* the document to load */
  gboolean    plain;         /* made from text/plain */
  gboolean    has_remote;    /* refers to content outside the message */
  GPtrArray  *attachments;   /* PigeonAttachment* */
  GHashTable *cid_parts;     /* Content-ID (lower case, no brackets) -> GMimePart* */
  gboolean    on_server;     /* some attachments are still on the server */
} PigeonRenderedMessage;

PigeonRenderedMessage *pigeon_render_message          (GMimeMessage *message,
                                                       gboolean      prefer_plain,
                                                       gboolean      dark);
void                   pigeon_rendered_message_free   (PigeonRenderedMessage *rendered);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonRenderedMessage, pigeon_rendered_message_free)

/* The part's decoded bytes (transfer encoding undone; a message/rfc822 as written). */
GBytes  *pigeon_render_part_bytes            (GMimeObject *part);

/* Plain text as an HTML fragment: escaped, URLs and addresses as links, lines quoted with
 * '>' in nested blockquotes (class "quote-N"), the signature after "-- " dimmed. */
char    *pigeon_render_plain_text            (const char *text);
/* format=flowed text (RFC 3676) with its soft line breaks joined, so each paragraph is one
 * line (quote markers kept) that the view wraps to its width.  DELSP: DelSp=yes. */
char    *pigeon_render_unflow                (const char *text,
                                              gboolean    delsp);
/* A whole document around FRAGMENT with Pigeon's plain-text style. */
char    *pigeon_render_plain_document        (const char *fragment,
                                              gboolean    dark);
/* Whether HTML refers to anything outside the message (http:, https:, protocol-relative
 * URLs in src, srcset, background, poster, data, url(), @import, <link>). */
gboolean pigeon_render_has_remote_content    (const char *html);
/* "Name <addr>" -> "addr" (lower case); NULL without one. */
char    *pigeon_render_address_of            (const char *mailbox);

G_END_DECLS
