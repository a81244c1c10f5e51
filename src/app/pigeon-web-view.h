/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <webkit2/webkit2.h>

G_BEGIN_DECLS

#define PIGEON_TYPE_WEB_VIEW (pigeon_web_view_get_type ())
G_DECLARE_FINAL_TYPE (PigeonWebView, pigeon_web_view, PIGEON, WEB_VIEW, WebKitWebView)

/*
 * WebKit for hostile mail: JavaScript off, WebKit's sandbox on, every load outside the
 * message blocked by a content rule list until the caller allows remote content for one
 * document, inline parts served through cid: URIs from the parts the caller hands in, no
 * navigation (a clicked link opens in the user's browser), no plug-ins, storage or media.
 *
 * ::hovering-link (const char *uri or NULL)   the pointer is over a link
 */
GtkWidget *pigeon_web_view_new            (void);
/* Loads HTML.  CID_PARTS (Content-ID -> GMimeObject) stay referenced until the next load.
 * With ALLOW_REMOTE the content rules are lifted for this document only.  PAPER gives the
 * page a white background (a sender's HTML assumes one). */
void       pigeon_web_view_load_message   (PigeonWebView *self,
                                           const char    *html,
                                           GHashTable    *cid_parts,
                                           gboolean       allow_remote,
                                           gboolean       paper);
void       pigeon_web_view_clear          (PigeonWebView *self);
gboolean   pigeon_web_view_get_remote_allowed (PigeonWebView *self);
/* Text zoom, 1.0 = 100 %. */
void       pigeon_web_view_set_text_zoom  (PigeonWebView *self,
                                           double         zoom);

/* The content rule list that blocks remote content, as WebKit's JSON. */
const char *pigeon_web_view_get_block_rules (void);

G_END_DECLS
