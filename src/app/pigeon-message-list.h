/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-message-list-model.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_MESSAGE_LIST (pigeon_message_list_get_type ())
G_DECLARE_FINAL_TYPE (PigeonMessageList, pigeon_message_list, PIGEON, MESSAGE_LIST, GtkBin)

/* The messages of one account picked in the list: SESSION and the row ids in its store. */
typedef struct
{
  PigeonSession *session;
  GArray        *ids;      /* gint64 */
} PigeonMessageSelection;

void pigeon_message_selection_free (PigeonMessageSelection *selection);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonMessageSelection, pigeon_message_selection_free)

/*
 * The message list: a GtkTreeView in fixed-height mode over a PigeonMessageListModel.
 * Signals:
 *   ::selection-changed ()   the selected rows changed (read them with the getters)
 *   ::star-toggled (PigeonSession *session, gint64 id, gboolean starred)
 *                            the star of a row was clicked
 *   ::action (const char *name)
 *                            a key pressed in the list asks for a window action
 *                            ("delete", "archive", "toggle-star", "toggle-read", "move-to")
 */
GtkWidget      *pigeon_message_list_new                (void);
/* Shows MODEL (loading it when it has not been) or, with NULL, STATUS as a message. */
void            pigeon_message_list_set_model          (PigeonMessageList      *self,
                                                        PigeonMessageListModel *model,
                                                        const char             *empty_text);
void            pigeon_message_list_show_status        (PigeonMessageList      *self,
                                                        const char             *icon_name,
                                                        const char             *text);
PigeonMessageListModel *pigeon_message_list_get_model  (PigeonMessageList      *self);

guint           pigeon_message_list_count_selected     (PigeonMessageList      *self);
/* The one message shown when exactly one row is selected (a conversation: its newest). */
gboolean        pigeon_message_list_get_selected_message (PigeonMessageList     *self,
                                                          PigeonSession        **session,
                                                          gint64                *id);
/* Every selected message (a conversation: all of it), grouped by account. */
GPtrArray      *pigeon_message_list_dup_selection      (PigeonMessageList      *self);
/* Whether any selected row is unread / starred. */
void            pigeon_message_list_get_selection_state (PigeonMessageList     *self,
                                                         gboolean              *any_unread,
                                                         gboolean              *any_read,
                                                         gboolean              *any_starred,
                                                         gboolean              *any_unstarred);
/* Before the selected rows leave the list: the row after them gets the selection once
 * they are gone. */
void            pigeon_message_list_select_next_after_removal (PigeonMessageList *self);
/* Selects and shows one message once the list holds it. */
void            pigeon_message_list_select_message     (PigeonMessageList      *self,
                                                        PigeonSession          *session,
                                                        gint64                  id);
void            pigeon_message_list_focus              (PigeonMessageList      *self);

G_END_DECLS
