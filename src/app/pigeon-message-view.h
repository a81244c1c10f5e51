/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-session.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_MESSAGE_VIEW (pigeon_message_view_get_type ())
G_DECLARE_FINAL_TYPE (PigeonMessageView, pigeon_message_view, PIGEON, MESSAGE_VIEW, GtkBin)

/*
 * One message: the header block, the body in a PigeonWebView (remote content blocked until
 * the user allows it, for this message or always for its sender), the attachments bar.
 * It marks the message read after the mark-read-delay setting, and downloads a body the
 * store does not have yet through the session.
 */
GtkWidget *pigeon_message_view_new          (void);
void       pigeon_message_view_show_message (PigeonMessageView *self,
                                             PigeonSession     *session,
                                             gint64             message_id);
/* Shows no message: ICON_NAME, TITLE and (optional) DETAIL instead. */
void       pigeon_message_view_show_status  (PigeonMessageView *self,
                                             const char        *icon_name,
                                             const char        *title,
                                             const char        *detail);
gboolean   pigeon_message_view_has_message  (PigeonMessageView *self);
PigeonSession *pigeon_message_view_get_session (PigeonMessageView *self);
gint64     pigeon_message_view_get_message_id (PigeonMessageView *self);

/* Text zoom by steps (1 bigger, -1 smaller, 0 back to 100 %); remembered. */
void       pigeon_message_view_zoom         (PigeonMessageView *self,
                                             int                step);
/* Opens a window with the raw message. */
void       pigeon_message_view_view_source  (PigeonMessageView *self);
/* Loads the remote content of the message shown ("Show remote content"). */
void       pigeon_message_view_show_remote_content (PigeonMessageView *self);

G_END_DECLS
