/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <webkit2/webkit2.h>

G_BEGIN_DECLS

/* What the composer's files share: the rich-text body in WebKitGTK (pigeon-composer-body.c). */

/* Makes VIEW an editor of our own content only: no scripts from the content, no navigation
 * away; CHANGED is called (with DATA) whenever the user edits it. */
void      pigeon_composer_body_setup          (WebKitWebView        *view,
                                               GCallback             changed,
                                               gpointer              data);
/* Loads HTML (a fragment, the body's content) for editing. */
void      pigeon_composer_body_load_html      (WebKitWebView        *view,
                                               const char           *html);
/* Plain text as HTML to edit: escaped, lines kept, "> " quotes as blockquotes. */
char     *pigeon_composer_body_plain_to_html  (const char           *text);
/* The edited content: its HTML fragment and its text. */
void      pigeon_composer_body_read_async     (WebKitWebView        *view,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean  pigeon_composer_body_read_finish    (WebKitWebView        *view,
                                               GAsyncResult         *result,
                                               char                **html,
                                               char                **text,
                                               GError              **error);
/* Whether TEXT (what the user wrote, not what it quotes) speaks of an attachment. */
gboolean  pigeon_composer_body_mentions_attachment (const char      *text);

G_END_DECLS
